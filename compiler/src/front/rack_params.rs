//! Rack parameters (reference §3.1): parsed from a JSON or YAML map, checked against the rack
//! template's 110 parameters and convox's own cross-checks, resolved with defaults.

use crate::diagnostic::{Code, Diagnostic, Locations};
use crate::front::cidr;
use crate::front::cx::Cx;
use crate::front::interpolate::Interpolated;
use crate::front::yaml::{self, Node, Value};
use crate::ir::RackParams;
use crate::ir::rack::{Kind, ParamSpec, all, spec};
use crate::names::suggest;
use crate::source::{SourceFile, SourceId, Span, strip_bom};
use std::collections::BTreeMap;

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
    params.given = given.keys().cloned().collect();
    let params = params.with_secure_defaults();
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

/// Parse, decode and check a rack-params file: the params (when they have no error) and where
/// each one is in the file.
pub fn load(file: &SourceFile, id: SourceId, out: &mut Vec<Diagnostic>) -> (Option<RackParams>, Locations) {
    let mut at = Locations {
        source: id,
        spans: Default::default(),
    };
    let params = decode_rack(file, id, out, &mut at);
    (params, at)
}

fn decode_rack(file: &SourceFile, id: SourceId, out: &mut Vec<Diagnostic>, at: &mut Locations) -> Option<RackParams> {
    let (text, base) = strip_bom(&file.text);
    let interp = Interpolated::verbatim(text, base);
    let mut cx = Cx::new(id, &file.text, &interp, true);
    let root = match yaml::parse(&interp.text) {
        Ok(n) => n,
        Err(e) => {
            out.push(Diagnostic::new(
                Code::YamlSyntax,
                id,
                interp.to_original(e.span),
                "",
                e.message,
            ));
            return None;
        }
    };
    if !matches!(root.value, Value::Map(_) | Value::Null) {
        cx.error(
            Code::NotAMap,
            &root,
            "",
            format!("rack params must be a map of NAME: value, found {}", root.value.kind()),
            None,
        );
        out.append(&mut cx.diags);
        return None;
    }
    let params = decode(&mut cx, &root);
    let ok = !cx.diags.iter().any(Diagnostic::is_error);
    out.append(&mut cx.diags);
    at.spans = std::mem::take(&mut cx.spans);
    ok.then_some(params)
}

/// One problem with the params for building a rack: the param it concerns and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub param: &'static str,
    pub message: String,
    pub help: Option<String>,
}

/// What makes the rack stack wait or go wrong without refusing it, as warnings: a router
/// certificate with no zone to validate it through (ACM keeps the stack CREATE_IN_PROGRESS until
/// the validation CNAME is added by hand, up to 72 hours).
pub fn warnings(p: &RackParams) -> Vec<Problem> {
    let mut out = Vec::new();
    let public = !p.yes("InternalOnly");
    let host = p.text("RouterHost");
    if public
        && !host.is_empty()
        && p.text("RouterHostedZoneId").is_empty()
        && p.text("RouterCertificateArn").is_empty()
    {
        out.push(Problem {
            param: "RouterHost",
            message: format!(
                "the router's certificate for *.{host} is validated by DNS with no RouterHostedZoneId: the rack stack waits (up to 72 hours, then fails) until its validation CNAME is added"
            ),
            help: Some("set RouterHostedZoneId (the Route 53 zone of RouterHost) or RouterCertificateArn (an issued certificate), or add the CNAME ACM shows as soon as the stack starts".into()),
        });
    }
    out
}

/// What the rack template needs beyond what the param table checks: the domain of its routers
/// and consistent scaling schedules.
pub fn problems(p: &RackParams) -> Vec<Problem> {
    let mut out = Vec::new();
    let public = !p.yes("InternalOnly");
    if public && p.text("RouterHost").is_empty() {
        out.push(Problem {
            param: "RouterHost",
            message: "the rack's public router needs a domain: services answer on <app>-<service>.<RouterHost>".into(),
            help: Some(
                "set RouterHost (e.g. `RouterHost: apps.example.com`) and RouterHostedZoneId, its Route 53 zone; convox's convox.site domain is run by convox and cannot be used"
                    .into(),
            ),
        });
    }
    if p.internal_router() && p.text("RouterHost").is_empty() && p.text("RouterInternalHost").is_empty() {
        out.push(Problem {
            param: "RouterInternalHost",
            message: "the rack's internal router needs a domain: set RouterInternalHost (or RouterHost)".into(),
            help: None,
        });
    }
    for name in ["RouterHost", "RouterInternalHost"] {
        let v = p.text(name);
        if !v.is_empty() && !is_domain(v) {
            out.push(Problem {
                param: if name == "RouterHost" {
                    "RouterHost"
                } else {
                    "RouterInternalHost"
                },
                message: format!("{name} `{v}` is not a DNS domain name"),
                help: Some("use lowercase labels of letters, digits and dashes, separated by dots".into()),
            });
        }
    }
    let zone = p.text("RouterHostedZoneId");
    if !zone.is_empty() && !zone.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        out.push(Problem {
            param: "RouterHostedZoneId",
            message: format!(
                "RouterHostedZoneId `{zone}` is not a Route 53 hosted zone ID (like Z0123456789ABCDEFGHIJ)"
            ),
            help: None,
        });
    }
    for name in ["RouterCertificateArn", "RouterInternalCertificateArn"] {
        let v = p.text(name);
        let acm = v.starts_with("arn:aws") && v.contains(":acm:");
        if !v.is_empty() && !acm {
            out.push(Problem {
                param: name,
                message: format!("{name} `{v}` is not an ACM certificate ARN"),
                help: None,
            });
        }
    }
    let down = p.text("ScheduleRackScaleDown");
    let up = p.text("ScheduleRackScaleUp");
    for (name, v) in [("ScheduleRackScaleDown", down), ("ScheduleRackScaleUp", up)] {
        if !v.is_empty() && v.split_whitespace().count() != 5 {
            out.push(Problem {
                param: name,
                message: format!(
                    "{name} `{v}` is not a 5-field cron expression (minute hour day-of-month month day-of-week, UTC)"
                ),
                help: None,
            });
        }
    }
    if down.is_empty() != up.is_empty() {
        let (param, other) = if down.is_empty() {
            ("ScheduleRackScaleUp", "ScheduleRackScaleDown")
        } else {
            ("ScheduleRackScaleDown", "ScheduleRackScaleUp")
        };
        out.push(Problem {
            param,
            message: format!("{param} is set without {other}: the rack would scale one way and never back"),
            help: Some(format!("set {other} too")),
        });
    }
    if !p.text("ExistingVpc").is_empty() && p.text("InternetGateway").is_empty() {
        out.push(Problem {
            param: "InternetGateway",
            message: "with ExistingVpc the rack's public subnets need the VPC's internet gateway: set InternetGateway"
                .into(),
            help: None,
        });
    }
    if !p.list("SpotFleetAllowedInstanceTypes").is_empty() && !p.list("SpotFleetExcludedInstanceTypes").is_empty() {
        out.push(Problem {
            param: "SpotFleetExcludedInstanceTypes",
            message: "SpotFleetAllowedInstanceTypes and SpotFleetExcludedInstanceTypes cannot both be set".into(),
            help: None,
        });
    }
    let zones = p.list("AvailabilityZones");
    if !zones.is_empty() && zones.len() < p.az_count() {
        out.push(Problem {
            param: "AvailabilityZones",
            message: format!(
                "AvailabilityZones names {} zone(s) but the rack uses {} (MaxAvailabilityZones)",
                zones.len(),
                p.az_count()
            ),
            help: None,
        });
    }
    out
}

fn is_domain(v: &str) -> bool {
    v.len() <= 200
        && v.contains('.')
        && v.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::rack::PARAMS;

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

    #[test]
    fn router_host_is_required_unless_internal_only() {
        let p = RackParams::with(&[]);
        assert_eq!(problems(&p).iter().map(|x| x.param).collect::<Vec<_>>(), ["RouterHost"]);
        let p = RackParams::with(&[("InternalOnly", "Yes"), ("RouterInternalHost", "int.example.com")]);
        assert!(problems(&p).is_empty(), "{:?}", problems(&p));
        let p = RackParams::with(&[("RouterHost", "Apps.example.com")]);
        assert_eq!(problems(&p).len(), 1);
    }
}
