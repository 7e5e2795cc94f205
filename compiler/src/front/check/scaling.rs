//! Scaling and Fargate: count ranges, targets, and Fargate's cpu/memory pairs.

use crate::diagnostic::Code;
use crate::front::cx::{Cx, index, join};
use crate::front::decode::Decoded;
use crate::ir::*;

pub(super) fn scaling(cx: &mut Cx, app: &Decoded) {
    for s in &app.services {
        // settings of the load balancer target group, which only a `port:` creates
        let sp = join("services", &s.name);
        for (key, needs_port_only) in [("domain", true), ("sticky", true), ("drain", false)] {
            let p = join(&sp, key);
            let unrouted = s.port.is_none() && (needs_port_only || s.nlb.is_empty());
            if unrouted && cx.spans.contains_key(&p) {
                cx.report_warning(
                    Code::Ignored,
                    &p,
                    &p,
                    format!("`{key}` has no effect: the service has no port"),
                    Some("it configures the load balancer, which routes only to services with `port:`".into()),
                );
            }
        }
        let sp = join("services", &s.name);
        let t = &s.scale.targets;
        let has_targets = t.cpu.is_some() || t.memory.is_some() || t.requests.is_some() || !t.custom.is_empty();
        let tp = join(&sp, "scale.targets");
        if t.requests.is_some() && s.port.is_none() {
            cx.report(
                Code::Scale,
                &join(&tp, "requests"),
                &join(&tp, "requests"),
                "a requests target needs a `port:`: it counts load-balancer requests per target",
                None,
            );
        }
        if has_targets && s.agent.is_some() {
            cx.report_warning(
                Code::Ignored,
                &tp,
                &tp,
                "agent services run one task per instance: scale targets have no effect",
                None,
            );
        } else if has_targets && s.scale.count.min == s.scale.count.max {
            cx.report_warning(
                Code::Ignored,
                &tp,
                &tp,
                format!(
                    "autoscaling targets have no effect: the count is fixed at {}",
                    s.scale.count.min
                ),
                Some("give scale.count a range, e.g. \"1-5\"".into()),
            );
        }
    }
}

/// Fargate task sizes: cpu units → allowed memory (MiB) range and step.
const FARGATE: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 512), // special-cased: 512, 1024 or 2048
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

pub fn fargate_pair_ok(cpu: u32, memory: u32) -> bool {
    if cpu == 256 {
        return [512, 1024, 2048].contains(&memory);
    }
    FARGATE
        .iter()
        .any(|&(c, lo, hi, step)| c == cpu && (lo..=hi).contains(&memory) && (memory - lo).is_multiple_of(step))
}

pub(super) fn fargate(cx: &mut Cx, app: &Decoded) {
    let all = matches!(
        app.params.get("FargateServices").map(String::as_str),
        Some("Yes" | "Spot")
    );
    let timers = matches!(
        app.params.get("FargateTimers").map(String::as_str),
        Some("Yes" | "Spot")
    );
    for s in &app.services {
        let sp = join("services", &s.name);
        let formation = app.params.get(&format!("{}Formation", s.logical_name));
        let own = formation.is_some_and(|f| f.contains("FARGATE"));
        let timer_on_fargate = timers && app.timers.iter().any(|t| t.service == s.name);
        if !(all || own || timer_on_fargate) {
            continue;
        }
        let why = if all || own {
            "this service runs on Fargate"
        } else {
            "a timer of this service runs on Fargate"
        };
        let (cpu, memory) = match formation.map(|f| f.split(',').map(str::trim).collect::<Vec<_>>()) {
            Some(parts) if parts.len() >= 3 => (
                parts[1].parse().unwrap_or(s.scale.cpu),
                parts[2].parse().unwrap_or(s.scale.memory),
            ),
            _ => (s.scale.cpu, s.scale.memory),
        };
        if !fargate_pair_ok(cpu, memory) {
            let valid = FARGATE
                .iter()
                .find(|(c, ..)| *c == cpu)
                .map(|(_, lo, hi, step)| format!("with cpu {cpu}, memory is {lo}-{hi} in steps of {step}"))
                .unwrap_or_else(|| "Fargate cpu is 256, 512, 1024, 2048, 4096, 8192 or 16384".into());
            let at = if cx.spans.contains_key(&join(&sp, "scale")) {
                join(&sp, "scale")
            } else {
                format!("{sp}#name")
            };
            cx.report(
                Code::Fargate,
                &join(&sp, "scale"),
                &at,
                format!("Fargate has no task size cpu {cpu} / memory {memory} ({why})"),
                Some(valid),
            );
        }
        if (all || own) && s.agent.is_some() {
            cx.report(
                Code::Fargate,
                &join(&sp, "agent"),
                &join(&sp, "agent"),
                "agent (daemon) services cannot run on Fargate",
                None,
            );
        }
        if (all || own) && s.termination.grace > 120 {
            let p = join(&sp, "termination.grace");
            let msg = format!(
                "termination.grace is {} seconds; Fargate stops containers after at most 120",
                s.termination.grace
            );
            cx.report(Code::Fargate, &p, &p, msg, None);
        }
        if all || own || timer_on_fargate {
            if s.privileged {
                cx.report(
                    Code::Fargate,
                    &join(&sp, "privileged"),
                    &join(&sp, "privileged"),
                    format!("privileged containers cannot run on Fargate ({why})"),
                    None,
                );
            }
            for (i, v) in s.volumes.iter().enumerate() {
                if let Volume::Host { source, .. } = v {
                    let p = index(&join(&sp, "volumes"), i);
                    cx.report(
                        Code::Fargate,
                        &p,
                        &p,
                        format!("host volume `{source}` cannot be mounted on Fargate ({why}; use an efs resource)"),
                        None,
                    );
                }
            }
        }
    }
}
