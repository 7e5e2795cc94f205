//! The app against the rack it is compiled for (when rack params are given).

use crate::diagnostic::Code;
use crate::front::cx::{Cx, index, join};
use crate::front::decode::Decoded;
use crate::ir::RackParams;
use crate::ir::*;

pub(super) fn rack_support(cx: &mut Cx, app: &Decoded, rack: &RackParams) {
    let yes = |k: &str| rack.get(k) == Some("Yes");
    if rack.get("LogDriver") == Some("Syslog") {
        fargate_log_driver(cx, app);
    }
    for s in &app.services {
        let sp = join("services", &s.name);
        if s.internal && !yes("Internal") {
            let at = if cx.spans.contains_key(&join(&sp, "internal")) {
                join(&sp, "internal")
            } else {
                join(&sp, "internalAndExternal")
            };
            cx.report(
                Code::RackSupport,
                &join(&sp, "internal"),
                &at,
                "rack does not support internal services",
                Some("set the rack param Internal=Yes".into()),
            );
        }
        if yes("InternalOnly") && !s.internal && (s.port.is_some() || !s.nlb.is_empty()) {
            cx.report(
                Code::RackSupport,
                &sp,
                &format!("{sp}#name"),
                "rack only supports internal services",
                Some("add `internal: true` (the rack has InternalOnly=Yes)".into()),
            );
        }
        for (i, e) in s.nlb.iter().enumerate() {
            let p = index(&join(&sp, "nlb"), i);
            let at = format!("{p}#port");
            match e.scheme {
                NlbScheme::Public if !yes("NLB") => {
                    cx.report(
                        Code::RackSupport,
                        &p,
                        &at,
                        format!("service {} declares public nlb port {} but rack does not have NLB enabled; run 'convox rack params set NLB=Yes' first", s.name, e.port),
                        None,
                    );
                }
                NlbScheme::Internal if !yes("NLBInternal") => {
                    cx.report(
                        Code::RackSupport,
                        &p,
                        &at,
                        format!(
                            "service {} declares internal nlb port {} but rack does not have NLBInternal enabled; run 'convox rack params set Internal=Yes NLBInternal=Yes' first",
                            s.name, e.port
                        ),
                        None,
                    );
                }
                _ => {}
            }
            if e.preserve_client_ip == Some(true) && rack.get("InstanceSecurityGroup").is_some_and(|v| !v.is_empty()) {
                cx.report(
                    Code::RackSupport,
                    &p,
                    &at,
                    format!("service {} nlb port {}: cannot set preserve_client_ip=true on a rack with a customer-supplied InstanceSecurityGroup", s.name, e.port),
                    Some("the rack cannot open the client CIDRs on a security group it does not own".into()),
                );
            }
        }
    }
}

/// The rack's `LogDriver=Syslog` gives every container the syslog log driver, which Fargate does
/// not have (`ir::aws::FARGATE_LOG_DRIVERS`): each param that puts a service or timer on Fargate.
fn fargate_log_driver(cx: &mut Cx, app: &Decoded) {
    let mut on_fargate: Vec<String> = ["FargateServices", "FargateTimers"]
        .into_iter()
        .filter(|k| matches!(app.params.get(*k).map(String::as_str), Some("Yes" | "Spot")))
        .map(str::to_string)
        .collect();
    on_fargate.extend(
        app.services
            .iter()
            .map(|s| format!("{}Formation", s.logical_name))
            .filter(|k| app.params.get(k).is_some_and(|f| f.contains("FARGATE"))),
    );
    for param in on_fargate {
        let p = join("params", &param);
        cx.report(
            Code::Fargate,
            &p,
            &p,
            format!(
                "{param} runs tasks on Fargate, and the rack's LogDriver is Syslog: Fargate supports only the {} log drivers, so ECS refuses the task definition",
                crate::ir::aws::FARGATE_LOG_DRIVERS.join(", ")
            ),
            Some("set the rack param LogDriver=CloudWatch (a rack syslog resource can forward the log group), or run these tasks on EC2".into()),
        );
    }
}
