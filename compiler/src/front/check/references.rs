//! References between sections: links, resources, timers' services, volumes, shared domains, policies.

use crate::diagnostic::Code;
use crate::front::cx::{Cx, index, join};
use crate::front::decode::Decoded;
use crate::ir::naming::env_name;
use crate::ir::*;
use crate::names::suggest;
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn references(cx: &mut Cx, app: &mut Decoded) {
    let service_names: Vec<String> = app.services.iter().map(|s| s.name.clone()).collect();
    let resource_types: BTreeMap<String, ResourceType> =
        app.resources.iter().map(|r| (r.name.clone(), r.kind)).collect();
    let ported: BTreeSet<String> = app
        .services
        .iter()
        .filter(|s| s.port.is_some())
        .map(|s| s.name.clone())
        .collect();
    let mut nlb_ports: BTreeMap<u16, String> = BTreeMap::new();

    for s in &mut app.services {
        let sp = join("services", &s.name);
        for (i, link) in s.links.iter().enumerate() {
            let p = index(&join(&sp, "links"), i);
            if !service_names.contains(link) {
                let help =
                    suggest(link, service_names.iter().map(String::as_str)).map(|x| format!("did you mean `{x}`?"));
                cx.report(Code::UnknownReference, &p, &p, format!("no such service: {link}"), help);
            } else if !ported.contains(link) {
                cx.report_warning(
                    Code::UnknownReference,
                    &p,
                    &p,
                    format!(
                        "linked service `{link}` has no port, so {}_URL would point nowhere",
                        env_name(link)
                    ),
                    Some(format!("give `{link}` a `port:` or remove the link")),
                );
            }
        }
        for (i, r) in s.resources.iter().enumerate() {
            let p = index(&join(&sp, "resources"), i);
            if resource_types.contains_key(r) || cx.spans.contains_key(&format!("resources.{r}#name")) {
                continue; // declared (a resource that failed to decode has its own diagnostic)
            }
            let help = if let Some((name, _)) = r.split_once(':') {
                Some(format!(
                    "`NAME:ENV` aliases are convox v3; on a generation-2 rack write `- {}` (it sets {}_URL)",
                    name.trim(),
                    env_name(name.trim())
                ))
            } else {
                suggest(r, resource_types.keys().map(String::as_str))
                    .map(|x| format!("did you mean `{x}`?"))
                    .or_else(|| Some("declare it under the top-level `resources:`".into()))
            };
            cx.report(
                Code::UnknownReference,
                &p,
                &p,
                format!("service resource `{r}` is not declared under resources"),
                help,
            );
        }
        // volumes: an efs resource of the service, or a host path
        let vp = join(&sp, "volumes");
        for (i, v) in s.volumes.iter_mut().enumerate() {
            let p = index(&vp, i);
            let Volume::Host { source, target } = v.clone() else {
                continue;
            };
            if !target.starts_with('/') {
                cx.report(
                    Code::Volume,
                    &p,
                    &p,
                    format!("volume target `{target}` must be an absolute path"),
                    None,
                );
                continue;
            }
            if source.is_empty() {
                cx.report(Code::Volume, &p, &p, "volume source is empty", None);
                continue;
            }
            match resource_types.get(&source) {
                Some(ResourceType::Efs) if s.resources.contains(&source) => {
                    *v = Volume::Efs {
                        resource: source,
                        target,
                    };
                }
                Some(ResourceType::Efs) => {
                    cx.report(
                        Code::Volume,
                        &p,
                        &p,
                        format!("volume `{source}` names the efs resource `{source}`, which this service does not list under resources"),
                        Some(format!("add `{source}` to services.{}.resources to mount it", s.name)),
                    );
                }
                _ => {}
            }
        }
        if s.agent.is_some() && !s.nlb.is_empty() {
            cx.report(
                Code::Nlb,
                &join(&sp, "nlb"),
                &join(&sp, "nlb"),
                format!("service {}: agent mode is incompatible with nlb ports", s.name),
                None,
            );
        }
        for (i, e) in s.nlb.iter().enumerate() {
            let p = index(&join(&sp, "nlb"), i);
            match nlb_ports.get(&e.port) {
                Some(other) if *other != s.name => {
                    cx.report(
                        Code::Nlb,
                        &p,
                        &format!("{p}#port"),
                        format!(
                            "nlb port {} declared by services {other} and {}; rack NLB listener is shared, each port must be unique across services",
                            e.port, s.name
                        ),
                        None,
                    );
                }
                _ => {
                    nlb_ports.insert(e.port, s.name.clone());
                }
            }
        }
    }
    for t in &mut app.timers {
        let tp = join("timers", &t.name);
        match app.services.iter().find(|s| s.name == t.service) {
            Some(s) => {
                if t.policies.is_empty() {
                    t.policies = s.policies.clone();
                }
            }
            None => {
                let help = suggest(&t.service, service_names.iter().map(String::as_str))
                    .map(|x| format!("did you mean `{x}`?"));
                cx.report(
                    Code::UnknownReference,
                    &join(&tp, "service"),
                    &join(&tp, "service"),
                    format!("no such service: {}", t.service),
                    help,
                );
            }
        }
    }
    for s in &app.services {
        for (i, p) in s.policies.iter().enumerate() {
            policy(cx, &index(&join(&join("services", &s.name), "policies"), i), p);
        }
    }
    for t in &app.timers {
        for (i, p) in t.policies.iter().enumerate() {
            let path = index(&join(&join("timers", &t.name), "policies"), i);
            if cx.spans.contains_key(&path) {
                policy(cx, &path, p);
            }
        }
    }
}

/// The same domain on two services: both get a host rule for it, and the load balancer routes it
/// to whichever rule has the lower priority (a warning: it deploys, but one service is unreachable
/// by that name; convox's own full.yml does this through a merge key).
pub(super) fn shared_domains(cx: &mut Cx, app: &Decoded) {
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for s in app.services.iter().filter(|s| s.port.is_some()) {
        for d in &s.domains {
            match owner.get(d.as_str()) {
                Some(first) => {
                    let p = join(&join("services", &s.name), "domain");
                    let msg = format!(
                        "domain `{d}` is also a domain of service {first}: only one of them will receive its traffic"
                    );
                    let help = "both get a host rule for it and the load balancer uses the one with the lower (hashed) priority; remove it from one of them";
                    cx.report_warning(Code::Domain, &p, &p, msg, Some(help.into()));
                }
                None => {
                    owner.insert(d, &s.name);
                }
            }
        }
    }
}

fn policy(cx: &mut Cx, path: &str, arn: &str) {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && (parts[4] == "aws" || (parts[4].len() == 12 && parts[4].bytes().all(|b| b.is_ascii_digit())))
        && parts[5].strip_prefix("policy/").is_some_and(|n| !n.is_empty());
    if !ok {
        cx.report(
            Code::Policy,
            path,
            path,
            format!("`{arn}` is not an IAM managed-policy ARN"),
            Some("write arn:aws:iam::aws:policy/NAME or arn:aws:iam::<account>:policy/NAME".into()),
        );
    }
}
