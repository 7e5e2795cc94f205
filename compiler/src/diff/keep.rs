//! The deployed value wins: where a report says a resource that exists would be replaced only
//! because convoxc writes a create-only value differently from what is deployed on purpose
//! (`facts::deliberate`) or by default where the manifest says nothing (the new template's
//! `Metadata.convoxc.Defaults`: encryption), the values to keep, so that a rebuild leaves it as it
//! is. A replacement the manifest asks for (another domain, another port, `encrypted: true`) is
//! left alone, and new resources take convoxc's values.

use super::facts;
use super::model::{Action, Class, Replacement, Report};
use super::tree::is_intrinsic;
use crate::back::Keep;
use serde_json::Value;

/// What to keep: for every replaced resource whose deployed values at the changed create-only
/// paths are known (no expression of the old template's own), those values.
pub fn keeps(report: &Report) -> Vec<Keep> {
    let mut out = Vec::new();
    for s in &report.stacks {
        for r in &s.resources {
            if r.action != Action::Modify || r.class == Class::Benign {
                continue;
            }
            if r.replacement == Replacement::No {
                // changed in place only where convoxc's default changed (a cache's node type): the
                // deployed value stays, unless unknown (an expression of the old template's own)
                out.extend(
                    r.deployed
                        .iter()
                        .filter(|(_, v)| v.as_ref().is_some_and(known))
                        .map(|(pointer, value)| Keep {
                            stack: s.path.clone(),
                            resource: r.logical_id.clone(),
                            pointer: pointer.clone(),
                            value: value.clone(),
                        }),
                );
                continue;
            }
            let deliberate = facts::deliberate(&r.resource_type);
            let all_deliberate = r.deployed.iter().all(|(pointer, _)| {
                pointer
                    .strip_prefix("/Properties/")
                    .map(|p| p.split('/').next().unwrap_or(""))
                    .is_some_and(|p| deliberate.contains(&p) || r.defaulted.iter().any(|d| d == p))
            });
            if r.deployed.is_empty()
                || !r.same_names
                || !all_deliberate
                || !r.deployed.iter().all(|(_, v)| v.as_ref().is_none_or(known))
            {
                continue;
            }
            out.extend(r.deployed.iter().map(|(pointer, value)| Keep {
                stack: s.path.clone(),
                resource: r.logical_id.clone(),
                pointer: pointer.clone(),
                value: value.clone(),
            }));
        }
    }
    out
}

fn known(v: &Value) -> bool {
    match v {
        Value::Object(m) => !is_intrinsic(v) && m.values().all(known),
        Value::Array(a) => a.iter().all(known),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::engine::compare;
    use crate::diff::model::Stack;
    use serde_json::json;

    fn cert(domain: &str, dns: bool, alternatives: &[&str]) -> Stack {
        let mut p = json!({"DomainName": domain});
        if dns {
            p["ValidationMethod"] = json!("DNS");
        }
        if !alternatives.is_empty() {
            p["SubjectAlternativeNames"] = json!(alternatives);
        }
        Stack {
            template: json!({"Resources": {"Cert": {"Type": "AWS::CertificateManager::Certificate", "Properties": p}}})
                .into(),
            ..Stack::default()
        }
    }

    #[test]
    fn a_certificate_keeps_its_validation_not_its_domains() {
        // convox's: email validation, the domain as its own alternative name; convoxc's: DNS
        let deployed = cert("a.example.org", false, &["a.example.org"]);
        let k = keeps(&compare(Some(&deployed), Some(&cert("a.example.org", true, &[]))));
        let pointers: Vec<&str> = k.iter().map(|k| k.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/Properties/SubjectAlternativeNames", "/Properties/ValidationMethod"]
        );
        assert_eq!(k[1].value, None, "no ValidationMethod was deployed");
        // another domain is the manifest's change: the certificate is replaced as asked
        assert!(keeps(&compare(Some(&deployed), Some(&cert("b.example.org", true, &[])))).is_empty());
        // and so is one more name
        assert!(
            keeps(&compare(
                Some(&deployed),
                Some(&cert("a.example.org", false, &["a.example.org", "c.example.org"]))
            ))
            .is_empty()
        );
    }

    #[test]
    fn only_deliberate_differences_are_kept() {
        let tg = |port: &str, name: &str| Stack {
            template: json!({"Resources": {
                "TG": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Port": port}},
                "Policy": {"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {"PolicyName": name}}
            }})
            .into(),
            ..Stack::default()
        };
        let k = keeps(&compare(
            Some(&tg("80", "web autoscaling cpu")),
            Some(&tg("81", "app-AutoscalingPolicyCpu")),
        ));
        assert_eq!(k.len(), 1, "{k:?}");
        assert_eq!(
            (k[0].resource.as_str(), k[0].value.clone()),
            ("Policy", Some(json!("web autoscaling cpu")))
        );
    }
}
