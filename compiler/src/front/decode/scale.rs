//! A service's `scale:`: count (fixed or a range), cpu, memory, gpu, autoscaling targets.

use crate::diagnostic::Code;
use crate::front::cx::{Cx, join};
use crate::front::keys::Place;
use crate::front::yaml::{Node, Value};
use crate::ir::*;
use crate::names::suggest;

pub(super) fn scale(cx: &mut Cx, n: Option<&Node>, path: &str) -> Scale {
    let mut s = Scale {
        count: Count { min: 1, max: 1 },
        cpu: 256,
        memory: 512,
        cooldown: Cooldown { down: 60, up: 60 },
        targets: Targets::default(),
    };
    let Some(n) = n else { return s };
    match &n.value {
        Value::Int(_) | Value::Str(_) => {
            if let Some(c) = count(cx, n, path) {
                s.count = c;
            }
        }
        Value::Null => {
            cx.warn(
                Code::Scale,
                n,
                path,
                "an empty `scale:` gives the service a count of 0 in convox: it will not run",
                Some("remove `scale:` for the default count of 1, or write `scale: 0` if that is intended".into()),
            );
            s.count = Count { min: 0, max: 0 };
        }
        Value::Map(es) => {
            let Some(f) = cx.fields(n, path, Place::Scale) else {
                return s;
            };
            if es.is_empty() {
                s.count = Count { min: 0, max: 0 };
                cx.warn(
                    Code::Scale,
                    n,
                    path,
                    "an empty `scale:` map gives the service a count of 0 in convox",
                    None,
                );
            }
            if let Some(c) = f.get("count").and_then(|c| count(cx, c, &join(path, "count"))) {
                s.count = c;
            }
            for (k, slot) in [("cpu", &mut s.cpu), ("memory", &mut s.memory)] {
                if let Some(v) = f.get(k) {
                    let kp = join(path, k);
                    match cx.int(v, &kp) {
                        Some(0) => cx.warn(
                            Code::Ignored,
                            v,
                            &kp,
                            format!("scale.{k}: 0 is treated as unset: the default applies"),
                            None,
                        ),
                        Some(x) => {
                            if let Some(x) = cx.check_range(v, &kp, x, 1, 1_048_576, &format!("scale.{k}")) {
                                *slot = x;
                            }
                        }
                        None => {}
                    }
                }
            }
            if let Some(c) = f.get("cooldown") {
                let cp = join(path, "cooldown");
                match &c.value {
                    Value::Map(_) => {
                        if let Some(cf) = cx.fields(c, &cp, Place::Cooldown) {
                            for (k, slot) in [("down", &mut s.cooldown.down), ("up", &mut s.cooldown.up)] {
                                if let Some(v) = cf.get(k) {
                                    let kp = join(&cp, k);
                                    if let Some(x) = cx
                                        .int_or_numeric(v, &kp)
                                        .and_then(|x| cx.check_range(v, &kp, x, 0, 86_400, "cooldown"))
                                    {
                                        *slot = x;
                                    }
                                }
                            }
                        }
                    }
                    _ => {
                        if let Some(x) = cx
                            .int_or_numeric(c, &cp)
                            .and_then(|x| cx.check_range(c, &cp, x, 0, 86_400, "cooldown"))
                        {
                            s.cooldown = Cooldown { down: x, up: x };
                        }
                    }
                }
            }
            if let Some(t) = f.get("targets") {
                s.targets = targets(cx, t, &join(path, "targets"));
            }
        }
        _ => cx.wrong_type(n, path, "a count (2, \"1-3\") or a map"),
    }
    if s.count.min > s.count.max {
        cx.error(
            Code::Scale,
            n,
            path,
            format!(
                "scale count minimum ({}) is greater than its maximum ({})",
                s.count.min, s.count.max
            ),
            None,
        );
    }
    s
}

fn count(cx: &mut Cx, n: &Node, path: &str) -> Option<Count> {
    let bad = |cx: &mut Cx, t: &str| {
        let help = if t.ends_with('+') {
            "convox cannot parse `n+`; write a range like \"1-10\""
        } else {
            "write a count (2) or a range (\"1-5\")"
        };
        cx.error(
            Code::Scale,
            n,
            path,
            format!("invalid scale count `{t}`"),
            Some(help.into()),
        );
        None
    };
    match &n.value {
        Value::Int(i) => {
            let v = cx.check_range(n, path, i64::try_from(*i).unwrap_or(-1), 0, 1000, "scale count")?;
            Some(Count { min: v, max: v })
        }
        Value::Str(s) => {
            let t = s.trim();
            let (a, b) = t.split_once('-').unwrap_or((t, t));
            match (a.trim().parse::<i64>(), b.trim().parse::<i64>()) {
                (Ok(a), Ok(b)) => {
                    let a = cx.check_range(n, path, a, 0, 1000, "scale count")?;
                    let b = cx.check_range(n, path, b, 0, 1000, "scale count")?;
                    Some(Count { min: a, max: b })
                }
                _ => bad(cx, t),
            }
        }
        Value::Map(_) => {
            let f = cx.fields(n, path, Place::ScaleCount)?;
            let min = f.get("min").and_then(|v| cx.int_or_numeric(v, &join(path, "min")));
            let max = f.get("max").and_then(|v| cx.int_or_numeric(v, &join(path, "max")));
            let min = cx.check_range(
                f.get("min").unwrap_or(n),
                path,
                min.unwrap_or(0),
                0,
                1000,
                "scale count",
            )?;
            let max = cx.check_range(
                f.get("max").unwrap_or(n),
                path,
                max.unwrap_or(0),
                0,
                1000,
                "scale count",
            )?;
            Some(Count { min, max })
        }
        _ => {
            cx.wrong_type(n, path, "a count (2), a range (\"1-5\") or {min, max}");
            None
        }
    }
}

fn targets(cx: &mut Cx, n: &Node, path: &str) -> Targets {
    let mut t = Targets::default();
    let Some(f) = cx.fields(n, path, Place::Targets) else {
        return t;
    };
    for (k, slot, max) in [
        ("cpu", &mut t.cpu, 100),
        ("memory", &mut t.memory, 100),
        ("requests", &mut t.requests, 1_000_000),
    ] {
        if let Some(v) = f.get(k) {
            *slot = cx.int_in(v, &join(path, k), 1, max, &format!("targets.{k}"));
        }
    }
    if let Some(c) = f.get("custom") {
        let cp = join(path, "custom");
        for (key, knode, body) in cx.named(c, &cp, "a map of Namespace/MetricName to metric targets") {
            let mp = join(&cp, &key);
            let Some((namespace, name)) = key.rsplit_once('/').filter(|(ns, n)| !ns.is_empty() && !n.is_empty()) else {
                cx.error(
                    Code::Scale,
                    knode,
                    &mp,
                    format!("custom metric `{key}` needs a namespace: Namespace/MetricName"),
                    Some("for example AWS/SQS/ApproximateNumberOfMessagesVisible".into()),
                );
                continue;
            };
            let Some(mf) = cx.fields(body, &mp, Place::CustomMetric) else {
                continue;
            };
            let aggregate = match mf.get("aggregate") {
                Some(a) => match cx.string(a, &join(&mp, "aggregate")) {
                    Some(s) => match s.to_ascii_lowercase().as_str() {
                        "avg" => Some(Statistic::Average),
                        "max" => Some(Statistic::Maximum),
                        "min" => Some(Statistic::Minimum),
                        "sum" => Some(Statistic::Sum),
                        _ => {
                            let help = suggest(&s.to_ascii_lowercase(), ["avg", "max", "min", "sum"])
                                .map(|x| format!("did you mean `{x}`?"));
                            cx.error(
                                Code::Scale,
                                a,
                                &join(&mp, "aggregate"),
                                format!("unknown metric statistic `{s}`: use avg, max, min or sum"),
                                help,
                            );
                            None
                        }
                    },
                    None => None,
                },
                None => {
                    cx.error(
                        Code::Scale,
                        knode,
                        &mp,
                        "custom metric needs `aggregate` (avg, max, min or sum)",
                        None,
                    );
                    None
                }
            };
            let value = match mf.get("value") {
                Some(v) => match &v.value {
                    Value::Int(i) if *i > 0 => Some(*i as f64),
                    Value::Float(x) if *x > 0.0 && x.is_finite() => Some(*x),
                    Value::Int(_) | Value::Float(_) => {
                        cx.error(
                            Code::Scale,
                            v,
                            &join(&mp, "value"),
                            "the target value must be greater than 0",
                            None,
                        );
                        None
                    }
                    _ => {
                        cx.wrong_type(v, &join(&mp, "value"), "a number");
                        None
                    }
                },
                None => {
                    cx.error(
                        Code::Scale,
                        knode,
                        &mp,
                        "custom metric needs `value` (the target)",
                        None,
                    );
                    None
                }
            };
            let dimensions = mf
                .get("dimensions")
                .map(|d| cx.string_map(d, &join(&mp, "dimensions")))
                .unwrap_or_default();
            if let (Some(aggregate), Some(value)) = (aggregate, value) {
                t.custom.push(CustomMetric {
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                    aggregate,
                    value,
                    dimensions: dimensions.into_iter().map(|(k, v, _)| (k, v)).collect(),
                });
            }
        }
        t.custom
            .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    }
    t
}
