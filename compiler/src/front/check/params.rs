//! The app's `params:`: known names, allowed values, rack-owned params, formation values.

use crate::diagnostic::Code;
use crate::front::cx::{Cx, join};
use crate::front::decode::Decoded;
use crate::ir::naming::{APP_PARAMS, RACK_OWNED};
use crate::names::suggest;

pub(super) fn params(cx: &mut Cx, app: &Decoded) {
    for (name, value) in &app.params {
        let p = join("params", name);
        if let Some(svc) = name.strip_suffix("Formation").filter(|s| !s.is_empty()) {
            if !app.services.iter().any(|s| s.logical_name == svc) {
                let names: Vec<String> = app
                    .services
                    .iter()
                    .map(|s| format!("{}Formation", s.logical_name))
                    .collect();
                let help = suggest(name, names.iter().map(String::as_str)).map(|x| format!("did you mean `{x}`?"));
                cx.report(
                    Code::Params,
                    &p,
                    &p,
                    format!("`{name}` names no service (service Formation params are <ServiceLogicalName>Formation)"),
                    help,
                );
            } else if let Some(problem) = formation_problem(value) {
                cx.report(
                    Code::Params,
                    &p,
                    &p,
                    format!("invalid {name} `{value}`: {problem}"),
                    Some("write count,cpu,memory[,FARGATE|FARGATE_SPOT], e.g. 2,512,1024".into()),
                );
            }
            continue;
        }
        if ["Rack", "ResourcePassword"].contains(&name.as_str()) {
            let why = if name == "Rack" {
                "it is set by convoxc from --rack"
            } else {
                "it is a secret: convoxc generates resource passwords and passes them as NoEcho parameters"
            };
            cx.report(
                Code::Params,
                &p,
                &p,
                format!("`{name}` cannot be set in convox.yml: {why}"),
                None,
            );
            continue;
        }
        let Some((_, allowed, _)) = APP_PARAMS.iter().find(|(n, _, _)| n == name) else {
            let help = suggest(name, APP_PARAMS.iter().map(|(n, _, _)| *n)).map(|x| format!("did you mean `{x}`?"));
            cx.report(
                Code::Params,
                &p,
                &p,
                format!("the app stack has no parameter `{name}`"),
                help.or_else(|| Some("see the app parameters in the convoxc schema (convoxc schema)".into())),
            );
            continue;
        };
        if name == "LogRetention" && !allowed.contains(&value.as_str()) {
            cx.report(
                Code::Params,
                &p,
                &p,
                format!(
                    "LogRetention `{value}`: CloudWatch Logs keeps logs for {} days, or forever (blank)",
                    crate::ir::aws::log_retention_list()
                ),
                Some("pick the nearest of those values (docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html)".into()),
            );
        } else if !allowed.is_empty() && !allowed.contains(&value.as_str()) {
            let shown: Vec<String> = allowed
                .iter()
                .map(|a| {
                    if a.is_empty() {
                        "\"\"".to_string()
                    } else {
                        a.to_string()
                    }
                })
                .collect();
            cx.report(
                Code::Params,
                &p,
                &p,
                format!("`{value}` is not an allowed value of {name}: {}", shown.join(", ")),
                None,
            );
        } else if name == "SlowStartDuration" && !matches!(value.parse::<u32>(), Ok(0 | 30..=900)) {
            cx.report(
                Code::Params,
                &p,
                &p,
                format!("SlowStartDuration must be 0 or 30-900 seconds, found `{value}`"),
                None,
            );
        } else if RACK_OWNED.contains(&name.as_str()) {
            cx.report(
                Code::ParamsIgnored,
                &p,
                &p,
                format!("{name} comes from the rack's own {name} parameter"),
                Some("set it on the rack (--rack-params) instead".into()),
            );
        }
    }
}

pub(super) fn formation_problem(v: &str) -> Option<&'static str> {
    let parts: Vec<&str> = v.split(',').map(str::trim).collect();
    if !(3..=4).contains(&parts.len()) {
        return Some("expected 3 or 4 comma-separated values");
    }
    if parts[..3].iter().any(|p| p.parse::<u32>().is_err()) {
        return Some("count, cpu and memory must be whole numbers");
    }
    if parts.len() == 4 && !["FARGATE", "FARGATE_SPOT"].contains(&parts[3]) {
        return Some("the fourth value must be FARGATE or FARGATE_SPOT");
    }
    None
}
