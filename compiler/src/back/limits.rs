//! CloudFormation quotas, checked on the compiled bundle and reported against the manifest:
//! template body size, resources, parameters, outputs, and logical-ID charset and length.

pub use super::outline::{
    ListenerRule, MAX_BODY_INLINE, MAX_BODY_S3, MAX_LOGICAL_ID, MAX_OUTPUTS, MAX_PARAMETERS, MAX_RESOURCES, Outline,
    SECTIONS,
};
use super::template::{Bundle, Template};
use crate::diagnostic::Locations;
use crate::diagnostic::{Code, Diagnostic, Severity};

/// Whether a template is within every quota (used to decide whether services need grouping).
pub fn fits(t: &Template) -> bool {
    t.text.len() <= MAX_BODY_S3
        && SECTIONS
            .iter()
            .zip(&t.outline.sections)
            .all(|((_, max), ids)| ids.len() <= *max)
}

/// Every quota problem of a bundle, as diagnostics at the manifest entry that produced it.
pub fn check(bundle: &Bundle, at: &Locations) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_template(
        &bundle.app,
        "app.json",
        &["services", "resources", "timers"],
        at,
        &mut out,
    );
    if bundle.app.text.len() > MAX_BODY_INLINE {
        let mut d = at.diagnostic(
            Code::Limit,
            &["services"],
            format!(
                "app.json is {} bytes, over the {MAX_BODY_INLINE}-byte limit for a template sent inline",
                bundle.app.text.len()
            ),
        );
        d.severity = Severity::Warning;
        d.help = Some("deploy it from S3 (TemplateURL), as `convoxc apply` does".into());
        out.push(d);
    }
    priority_collisions(bundle, at, &mut out);
    rule_quota(bundle, at, &mut out);
    for (kind, list) in [
        ("services", &bundle.services),
        ("timers", &bundle.timers),
        ("resources", &bundle.resources),
    ] {
        for (name, t) in list {
            let key = format!("{kind}.{name}#name");
            let value = format!("{kind}.{name}");
            check_template(
                t,
                &format!("{kind}/{name}.json"),
                &[key.as_str(), value.as_str()],
                at,
                &mut out,
            );
        }
    }
    // the group stacks of a very large app hold services' stacks: reported at `services`
    for (name, t) in &bundle.groups {
        check_template(t, &format!("groups/{name}.json"), &["services"], at, &mut out);
    }
    out
}

fn check_template(t: &Template, file: &str, paths: &[&str], at: &Locations, out: &mut Vec<Diagnostic>) {
    let mut problem = |msg: String| out.push(at.diagnostic(Code::Limit, paths, format!("{file}: {msg}")));
    if t.text.len() > MAX_BODY_S3 {
        problem(format!(
            "the template is {} bytes, over CloudFormation's {MAX_BODY_S3}-byte limit",
            t.text.len()
        ));
    }
    for ((section, max), entries) in SECTIONS.iter().zip(&t.outline.sections) {
        if entries.len() > *max {
            problem(format!(
                "{} {section}, over CloudFormation's limit of {max} per template",
                entries.len()
            ));
        }
        for id in entries {
            if id.is_empty() || id.len() > MAX_LOGICAL_ID || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                problem(format!(
                    "`{id}` is not a valid logical ID (1-{MAX_LOGICAL_ID} letters and digits)"
                ));
            }
        }
    }
}

/// Rules an Application Load Balancer takes by default (an adjustable AWS quota, shared by every
/// app of the rack).
pub const MAX_ALB_RULES: usize = 100;

/// Warn when this app alone needs more listener rules on one of the rack's load balancers than
/// the default quota (rules on the port-80 listener count only with RedirectHttps=No).
fn rule_quota(bundle: &Bundle, at: &Locations, out: &mut Vec<Diagnostic>) {
    let mut per_listener: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (_, t) in &bundle.services {
        for r in &t.outline.listener_rules {
            let http_only = matches!(
                r.condition.as_deref(),
                Some("RouteHttp" | "InternalDomainsAndRouteHttp")
            );
            if !http_only {
                *per_listener.entry(r.listener.clone()).or_default() += 1;
            }
        }
    }
    for (listener, n) in per_listener.into_iter().filter(|(_, n)| *n > MAX_ALB_RULES) {
        let name = listener
            .split(':')
            .next_back()
            .unwrap_or("")
            .trim_matches(|c| c == '"' || c == '}');
        let mut d = at.diagnostic(
            Code::Limit,
            &["services"],
            format!("this app needs {n} rules on the rack's {name}; a load balancer allows {MAX_ALB_RULES} by default"),
        );
        d.severity = crate::diagnostic::Severity::Warning;
        d.help = Some("raise the quota, set the app param InternalDomains=No (one rule fewer per service), or spread the app over racks".into());
        out.push(d);
    }
}

/// Two listener rules of the app with the same priority on the same listener: CloudFormation
/// would fail with PriorityInUse (convox's hash can collide; nothing checked it).
fn priority_collisions(bundle: &Bundle, at: &Locations, out: &mut Vec<Diagnostic>) {
    let mut seen: std::collections::BTreeMap<(String, u64), (String, String)> = std::collections::BTreeMap::new();
    for (service, t) in &bundle.services {
        for rule in &t.outline.listener_rules {
            let Some(priority) = rule.priority else {
                continue;
            };
            let logical = &rule.logical_id;
            let key = (rule.listener.clone(), priority);
            match seen.get(&key) {
                Some((other, other_rule)) if other != service || other_rule != logical => {
                    let path = format!("services.{service}#name");
                    out.push(at.diagnostic(
                        Code::Limit,
                        &[path.as_str()],
                        format!("listener rule {logical} of service {service} has priority {priority}, the same as {other_rule} of service {other}"),
                    ));
                }
                _ => {
                    seen.insert(key, (service.clone(), logical.clone()));
                }
            }
        }
    }
}

/// RDS instance identifiers are at most 63 characters, and a database keeps convox's
/// identifier, its nested stack's name: `<rack>-<app>-Resource<Name>-<13 characters>`. Checked
/// when the rack's name is known (the name cannot change without replacing the database).
pub fn rds_identifiers(app: &crate::ir::App, rack: Option<&str>, app_name: &str, at: &Locations) -> Vec<Diagnostic> {
    use crate::ir::ResourceType::{Mariadb, Mysql, Postgres};
    let Some(rack) = rack else { return Vec::new() };
    app.resources
        .iter()
        .filter(|r| matches!(r.kind, Mariadb | Mysql | Postgres))
        .filter_map(|r| {
            let len = rack.len() + app_name.len() + "Resource".len() + r.logical_name.len() + 3 + 13;
            (len > 63).then(|| {
                at.diagnostic(
                    Code::Limit,
                    &[&format!("resources.{}#name", r.name), &format!("resources.{}", r.name)],
                    format!(
                        "the database's identifier ({rack}-{app_name}-Resource{}-<13 characters>) would be {len} characters; RDS allows 63",
                        r.logical_name
                    ),
                )
                .help("use a shorter resource name, app name or rack name")
            })
        })
        .collect()
}

/// A service with a port answers on `<app>-<service>.<RouterHost>`: `<app>-<service>` is one DNS
/// label, at most 63 characters (RFC 1035; Route 53 "each label can be up to 63 characters"), and
/// the router's `*.<RouterHost>` certificate covers exactly one label.
pub fn host_labels(app: &crate::ir::App, app_name: &str, at: &Locations) -> Vec<Diagnostic> {
    app.services
        .iter()
        .filter(|s| s.port.is_some())
        .filter_map(|s| {
            let len = app_name.len() + 1 + s.name.len();
            (len > 63).then(|| {
                at.diagnostic(
                    Code::Limit,
                    &[&format!("services.{}#name", s.name), &format!("services.{}", s.name)],
                    format!(
                        "service {} answers on {app_name}-{}.<RouterHost>, whose first label is {len} characters; a DNS label is at most 63",
                        s.name, s.name
                    ),
                )
                .help("use a shorter service or app name")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(v: serde_json::Value) -> Template {
        Template::new(v)
    }

    #[test]
    fn colliding_priorities_are_reported() {
        let rule = |p: u64| json!({"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {"ListenerArn": "L443", "Priority": p}});
        let bundle = Bundle {
            app: template(json!({})),
            services: vec![
                (
                    "a".into(),
                    template(json!({"Resources": {"BalancerListenerRule443": rule(7)}})),
                ),
                (
                    "b".into(),
                    template(json!({"Resources": {"BalancerListenerRule443": rule(7), "Other": rule(8)}})),
                ),
            ],
            timers: vec![],
            resources: vec![],
            groups: vec![],
        };
        let mut out = Vec::new();
        priority_collisions(&bundle, &Locations::default(), &mut out);
        assert_eq!(out.len(), 1);
        assert!(
            out[0]
                .message
                .contains("priority 7, the same as BalancerListenerRule443 of service a"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn rule_quota_is_a_warning() {
        let rule = |p: u64| json!({"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {"ListenerArn": {"Fn::ImportValue": {"Fn::Sub": "${Rack}:RouterListener443"}}, "Priority": p}});
        let services = (0..101u64)
            .map(|i| (format!("s{i}"), template(json!({"Resources": {"R": rule(i + 1)}}))))
            .collect();
        let bundle = Bundle {
            app: template(json!({})),
            services,
            timers: vec![],
            resources: vec![],
            groups: vec![],
        };
        let mut out = Vec::new();
        rule_quota(&bundle, &Locations::default(), &mut out);
        assert_eq!(out.len(), 1);
        assert!(!out[0].is_error());
        assert!(
            out[0].message.contains("101 rules on the rack's RouterListener443"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn quotas() {
        let many: serde_json::Map<String, serde_json::Value> =
            (0..201).map(|i| (format!("P{i}"), json!({"Type": "String"}))).collect();
        let t = template(json!({"Parameters": many, "Resources": {"bad-id": {}}}));
        assert!(!fits(&t));
        let mut out = Vec::new();
        check_template(&t, "app.json", &[""], &Locations::default(), &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
    }
}
