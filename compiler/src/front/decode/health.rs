//! A service's `health:` (path, grace, interval, timeout, thresholds), with convox's defaults.

use crate::diagnostic::Code;
use crate::front::cx::{Cx, join};
use crate::front::keys::Place;
use crate::front::yaml::{Node, Value};
use crate::ir::*;

pub(super) fn health(cx: &mut Cx, n: Option<&Node>, path: &str, routed: bool) -> Health {
    let (mut grace, mut interval, mut hpath, mut timeout) = (0i64, 0i64, String::new(), 0i64);
    let mut nodes: [Option<&Node>; 3] = [None; 3];
    if let Some(n) = n {
        match &n.value {
            Value::Str(s) => hpath = s.clone(),
            Value::Map(_) | Value::Null => {
                if let Some(f) = cx.fields(n, path, Place::Health) {
                    for (i, k) in ["grace", "interval", "timeout"].iter().enumerate() {
                        if let Some(v) = f.get(k) {
                            let val = cx.int(v, &join(path, k)).unwrap_or(0);
                            if val == 0 && matches!(v.value, Value::Int(_)) {
                                cx.warn(
                                    Code::Ignored,
                                    v,
                                    &join(path, k),
                                    format!("health.{k}: 0 is treated as unset: the default applies"),
                                    None,
                                );
                            }
                            nodes[i] = Some(v);
                            match i {
                                0 => grace = val,
                                1 => interval = val,
                                _ => timeout = val,
                            }
                        }
                    }
                    if let Some(v) = f.get("path") {
                        hpath = cx.string(v, &join(path, "path")).unwrap_or_default();
                    }
                }
            }
            _ => cx.wrong_type(n, path, "a path string or a map"),
        }
    }
    if hpath.is_empty() {
        hpath = "/".into();
    }
    if interval == 0 {
        interval = 5;
    }
    if grace == 0 {
        grace = interval;
    }
    let timeout_defaulted = timeout == 0;
    if timeout == 0 {
        timeout = interval - 1;
    }
    // AWS limits (target group health checks, ECS grace period): they only apply to a target group
    let at = |i: usize| if routed { nodes[i].or(n) } else { None };
    let interval_ok = (5..=300).contains(&interval);
    if let Some(node) = at(1)
        && !interval_ok
    {
        cx.error(
            Code::Health,
            node,
            &join(path, "interval"),
            format!("health.interval must be between 5 and 300 seconds, found {interval}"),
            None,
        );
    }
    if let Some(node) = at(2).filter(|_| interval_ok || !timeout_defaulted) {
        if !(2..=120).contains(&timeout) {
            let why = if timeout_defaulted {
                format!(" (defaulted to interval − 1 = {timeout})")
            } else {
                String::new()
            };
            cx.error(
                Code::Health,
                node,
                &join(path, "timeout"),
                format!("health.timeout must be between 2 and 120 seconds, found {timeout}{why}"),
                timeout_defaulted.then(|| "set health.timeout explicitly".to_string()),
            );
        } else if timeout >= interval {
            cx.error(
                Code::Health,
                node,
                &join(path, "timeout"),
                format!("health.timeout ({timeout}s) must be less than health.interval ({interval}s)"),
                Some("the load balancer rejects a timeout that is not shorter than the interval".into()),
            );
        }
    }
    if let Some(node) = at(0)
        && !(0..=2_147_483_647).contains(&grace)
    {
        cx.error(
            Code::Health,
            node,
            &join(path, "grace"),
            format!("health.grace must be at least 0, found {grace}"),
            None,
        );
    }
    if (!hpath.starts_with('/') || hpath.len() > 1024)
        && let Some(node) = n.filter(|_| routed)
    {
        cx.error(
            Code::Health,
            node,
            &join(path, "path"),
            format!("health path `{hpath}` must start with / and be at most 1024 characters"),
            None,
        );
    }
    let u = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    Health {
        grace: u(grace),
        interval: u(interval),
        path: hpath,
        timeout: u(timeout),
    }
}
