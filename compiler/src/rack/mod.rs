//! Rack parameters (reference §3.1): parsed from a JSON or YAML map, checked against the rack
//! template's 110 parameters and convox's own cross-checks, resolved with defaults.

pub mod stack;
mod table;

use crate::cidr;
use crate::cx::Cx;
use crate::diagnostic::Code;
use crate::names::suggest;
use crate::source::Span;
use crate::yaml::{Node, Value};
use serde::Serialize;
use std::collections::BTreeMap;

pub use table::PARAMS;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    String,
    Number,
    CommaDelimitedList,
    SsmImageId,
}

#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: Kind,
    /// None for the two parameters without a default (Password, Version).
    pub default: Option<&'static str>,
    pub allowed: &'static [&'static str],
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub no_echo: bool,
    pub description: &'static str,
}

pub fn spec(name: &str) -> Option<&'static ParamSpec> {
    all().find(|p| p.name == name)
}

/// convox's 110 parameters, then convoxc's own.
pub fn all() -> impl Iterator<Item = &'static ParamSpec> {
    PARAMS.iter().chain(EXTENSIONS)
}

const fn text(name: &'static str, description: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind: Kind::String,
        default: Some(""),
        allowed: &[],
        min: None,
        max: None,
        no_echo: false,
        description,
    }
}

/// Parameters convoxc adds. convox's routers answer on `*.<prefix>.convox.site`, a domain and
/// certificate that convox itself runs; a convoxc rack answers on a domain of yours.
pub static EXTENSIONS: &[ParamSpec] = &[
    text(
        "RouterHost",
        "(convoxc) DNS domain of the public router: services answer on <app>-<service>.<RouterHost> (required unless InternalOnly=Yes)",
    ),
    text(
        "RouterInternalHost",
        "(convoxc) DNS domain of the internal router (default: internal.<RouterHost>)",
    ),
    text(
        "RouterHostedZoneId",
        "(convoxc) Route 53 public hosted zone of the router domains: certificates are validated by DNS there and wildcard records point at the routers",
    ),
    text(
        "RouterCertificateArn",
        "(convoxc) An existing ACM certificate for *.<RouterHost>, used instead of a new DNS-validated one",
    ),
    text(
        "RouterInternalCertificateArn",
        "(convoxc) An existing ACM certificate for *.<RouterInternalHost>, used instead of a new DNS-validated one",
    ),
];

/// Parameters that concern the rack's infrastructure but that convoxc does differently (each
/// with the reason, shown in the warning).
pub const DIFFERENT: &[(&str, &str)] = &[
    (
        "AutoscaleExtra",
        "convoxc scales instances with target tracking on the cluster's CPU and memory reservation, not with convox's extra-capacity Lambda",
    ),
    (
        "NoHAAutoscaleExtra",
        "convoxc scales instances with target tracking on the cluster's CPU and memory reservation, not with convox's extra-capacity Lambda",
    ),
    (
        "InstancesIpToIncludInWhiteListing",
        "it whitelists instance IPs for convox's rack API, which convoxc does not run",
    ),
    ("PlaceLambdaInVpc", "a convoxc rack has no Lambda functions"),
    (
        "MaintainTimerState",
        "it is read by convox's API when it deploys timers; convoxc's timers are EventBridge rules in the app stack",
    ),
    (
        "SpotFleetMinOnDemandCount",
        "a convoxc rack has one auto scaling group with spot and on-demand instances: OnDemandMinCount sets its on-demand base",
    ),
    ("SpotFleetTargetType", "the auto scaling group counts instances (units)"),
];

/// Parameters that concern convox's own rack API, builder and telemetry: convoxc is the control
/// plane, so they are accepted and reported as ignored.
pub const IGNORED: &[&str] = &[
    "ApiCount",
    "ApiCpu",
    "ApiMonitorMemory",
    "ApiRouter",
    "ApiWebMemory",
    "BuildCpu",
    "BuildImage",
    "BuildInstance",
    "BuildInstancePolicy",
    "BuildInstanceSecurityGroup",
    "BuildMemory",
    "BuildMethod",
    "BuildVolumeSize",
    "ClientId",
    "Development",
    "DynamoDbTableDeletionProtectionEnabled",
    "DynamoDbTablePointInTimeRecoveryEnabled",
    "EcsPollInterval",
    "FargateBuildCpu",
    "FargateBuildMemory",
    "Password",
    "PrivateApi",
    "PrivateApiSecurityGroup",
    "PrivateBuild",
    "Telemetry",
    "Version",
    "WhiteList",
];

/// The rack's parameters, every one resolved (given value or default). The NoEcho `Password` is
/// never kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RackParams {
    pub values: BTreeMap<String, String>,
    /// Stack tags from the `Tags` pseudo-parameter (`k=v,k=v`).
    pub tags: BTreeMap<String, String>,
}

impl RackParams {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// All defaults.
    pub fn defaults() -> Self {
        let values = all()
            .filter(|p| !p.no_echo)
            .map(|p| (p.name.to_string(), p.default.unwrap_or("").to_string()))
            .collect();
        RackParams {
            values,
            tags: BTreeMap::new(),
        }
    }
}

/// Decode and check a rack-params document.
pub fn decode(cx: &mut Cx, root: &Node) -> RackParams {
    let mut params = RackParams::defaults();
    let entries = cx.named(root, "", "a map of rack parameter names to values");
    let mut given: BTreeMap<String, (String, Span)> = BTreeMap::new();
    for (name, key, value) in entries {
        let text = match &value.value {
            Value::Seq(items) => {
                // a list is accepted for CommaDelimitedList params
                let parts: Vec<String> = items.iter().filter_map(|i| cx.string(i, &name)).collect();
                parts.join(",")
            }
            Value::Map(_) => {
                cx.wrong_type(value, &name, "a single value");
                continue;
            }
            Value::Null => String::new(),
            Value::Str(s) => s.clone(),
            // YAML 1.1 reads Yes/No as booleans: keep the text as written
            _ => cx.raw(value).to_string(),
        };
        if name == "Tags" {
            for pair in text.split(',').filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some((k, v)) if !k.is_empty() => {
                        params.tags.insert(k.to_string(), v.to_string());
                    }
                    _ => cx.error(
                        Code::RackParam,
                        value,
                        "Tags",
                        "invalid Tags parameter. expected format: 'key1=val1,key2=val2'",
                        None,
                    ),
                }
            }
            continue;
        }
        let Some(spec) = spec(&name) else {
            let help = suggest(&name, all().map(|p| p.name)).map(|s| format!("did you mean `{s}`?"));
            cx.error(
                Code::RackParam,
                key,
                &name,
                format!("the rack has no parameter `{name}`"),
                help,
            );
            continue;
        };
        if let Some(problem) = value_problem(spec, &text) {
            let help = if !spec.allowed.is_empty() {
                suggest(&text, spec.allowed.iter().copied())
                    .filter(|s| !s.is_empty())
                    .map(|s| format!("did you mean `{s}`?"))
            } else {
                None
            };
            cx.error(
                Code::RackParam,
                value,
                &name,
                format!("invalid value `{text}` for {name}: {problem}"),
                help,
            );
            continue;
        }
        let why = if IGNORED.contains(&spec.name) {
            Some(if spec.no_echo {
                "it is the convox rack API password; convoxc has no rack API (and a password does not belong in a params file)"
            } else {
                "it configures convox's rack API, builder or telemetry, which convoxc does not run"
            })
        } else {
            DIFFERENT.iter().find(|(n, _)| *n == spec.name).map(|(_, why)| *why)
        };
        if let Some(why) = why {
            cx.warn(
                Code::RackParamIgnored,
                key,
                &name,
                format!("{name} is ignored: {why}"),
                None,
            );
        }
        let span = cx.span(value);
        cx.spans.insert(name.clone(), span);
        given.insert(name.clone(), (text.clone(), span));
        if !spec.no_echo {
            params.values.insert(name, text);
        }
    }
    cross_checks(cx, &params, &given);
    params
}

fn value_problem(spec: &ParamSpec, v: &str) -> Option<String> {
    if !spec.allowed.is_empty() && !spec.allowed.contains(&v) {
        let shown: Vec<String> = spec
            .allowed
            .iter()
            .map(|a| if a.is_empty() { "\"\"".into() } else { a.to_string() })
            .collect();
        return Some(format!("allowed values are {}", shown.join(", ")));
    }
    if spec.kind == Kind::Number {
        let Ok(n) = v.trim().parse::<f64>() else {
            return Some("expected a number".into());
        };
        if let Some(min) = spec.min
            && n < min as f64
        {
            return Some(format!("the minimum is {min}"));
        }
        if let Some(max) = spec.max
            && n > max as f64
        {
            return Some(format!("the maximum is {max}"));
        }
    }
    None
}

fn cross_checks(cx: &mut Cx, p: &RackParams, given: &BTreeMap<String, (String, Span)>) {
    let yes = |k: &str| p.get(k) == Some("Yes");
    let at = |cx: &mut Cx, name: &str, msg: String| {
        let span = given.get(name).map(|(_, s)| *s).unwrap_or_default();
        let d = crate::diagnostic::Diagnostic::new(Code::RackParam, cx.source, span, name, msg);
        cx.push(d);
    };
    if yes("NLB") && yes("InternalOnly") {
        at(
            cx,
            "NLB",
            "cannot enable public NLB on an InternalOnly rack; use NLBInternal instead".into(),
        );
    }
    if yes("NLBInternal") && !yes("Internal") {
        at(
            cx,
            "NLBInternal",
            "cannot enable NLBInternal on a rack without Internal=Yes; set Internal=Yes in the same command".into(),
        );
    }
    let custom_sg = p.get("InstanceSecurityGroup").is_some_and(|v| !v.is_empty());
    for name in ["NLBPreserveClientIP", "NLBInternalPreserveClientIP"] {
        if yes(name) && custom_sg {
            at(
                cx,
                name,
                format!("cannot enable {name} on a rack with a customer-supplied InstanceSecurityGroup"),
            );
        }
    }
    for name in ["NLBAllowCIDR", "NLBInternalAllowCIDR"] {
        let Some((text, _)) = given.get(name) else {
            continue;
        };
        let entries: Vec<&str> = text.split(',').filter(|e| !e.is_empty()).collect();
        if entries.len() > 5 {
            at(
                cx,
                name,
                format!("{name} accepts at most 5 CIDRs; got {}", entries.len()),
            );
        }
        let mut seen = Vec::new();
        for e in entries {
            if e.trim() != e {
                at(
                    cx,
                    name,
                    format!("{name} entry {e:?} has leading or trailing whitespace; remove the spaces and retry"),
                );
            } else if let Err(problem) = cidr::check(e) {
                at(cx, name, format!("{name} entry {e:?} {problem}"));
            } else if seen.contains(&e) {
                at(cx, name, format!("{name} contains duplicate entry: {e}"));
            }
            seen.push(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_consistent() {
        assert_eq!(PARAMS.len(), 110);
        for p in PARAMS {
            if let Some(d) = p.default {
                assert!(
                    p.allowed.is_empty() || p.allowed.contains(&d),
                    "{}: default {d:?} not allowed",
                    p.name
                );
            }
        }
        assert_eq!(PARAMS.iter().filter(|p| p.default.is_none()).count(), 2);
        for i in IGNORED.iter().chain(DIFFERENT.iter().map(|(n, _)| n)) {
            assert!(spec(i).is_some(), "{i}");
        }
    }
}
