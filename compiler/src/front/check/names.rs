//! Names: reserved tags, system variables, the names of services, resources and timers, and
//! the logical IDs they become (within a kind and across kinds).

use crate::diagnostic::{Code, Diagnostic};
use crate::front::cx::{Cx, join};
use crate::front::decode::Decoded;
use crate::ir::naming::{
    APP_OWN_IDS, RESERVED_TAGS, SYSTEM_ENV, app_resource_ids, certificate_id, linked_parameter_names, service_id,
    timer_id,
};
use crate::ir::*;
use std::collections::{BTreeMap, BTreeSet};

/// The `tags:` of every service and resource, with their key paths.
pub(super) fn tag_lists(app: &Decoded) -> Vec<(String, &BTreeMap<String, String>)> {
    app.services
        .iter()
        .map(|s| (join(&join("services", &s.name), "tags"), &s.tags))
        .chain(
            app.resources
                .iter()
                .map(|r| (join(&join("resources", &r.name), "tags"), &r.tags)),
        )
        .collect()
}

pub(super) fn reserved_tags(cx: &mut Cx, app: &Decoded) {
    let mut found = Vec::new();
    for (path, tags) in tag_lists(app) {
        for k in tags.keys().filter(|k| RESERVED_TAGS.contains(&k.as_str())) {
            found.push(join(&path, k));
        }
    }
    for p in found {
        cx.report_warning(
            Code::Ignored,
            &p,
            &p,
            "this tag key is set by convoxc; the manifest's value is dropped",
            Some(format!("convoxc sets {}", RESERVED_TAGS.join(", "))),
        );
    }
}

pub(super) fn system_env(cx: &mut Cx, app: &Decoded) {
    if app.services.is_empty() {
        return; // the global list is said through the services that take it
    }
    let mut seen = BTreeSet::new();
    let lists = std::iter::once("environment".to_string()).chain(
        app.services
            .iter()
            .map(|s| join(&join("services", &s.name), "environment")),
    );
    for list in lists {
        // each system variable's first declaration in the list (the global list is read once;
        // merged declarations share a site, said once)
        let found: Vec<(&str, String)> = cx.env_sites.get(&list).map_or_else(Vec::new, |sites| {
            SYSTEM_ENV
                .iter()
                .filter_map(|name| {
                    sites
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, site)| (*name, site.clone()))
                })
                .collect()
        });
        for (name, site) in found {
            if site.contains('#') && seen.insert(site.clone()) {
                cx.report_warning(
                    Code::Ignored,
                    &list,
                    &site,
                    format!("{name} is set by convox in every container; this declaration is overridden"),
                    Some(format!("rename the variable (e.g. MY_{name})")),
                );
            }
        }
    }
}

pub(super) fn names(cx: &mut Cx, app: &Decoded) {
    for s in &app.services {
        let ok = s.name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && s.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            let p = join("services", &s.name);
            let fixed: String = s
                .name
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            cx.report(
                Code::InvalidName,
                &p,
                &format!("{p}#name"),
                format!(
                    "service name {} invalid, must contain only lowercase alphanumeric and dashes",
                    s.name
                ),
                Some(format!(
                    "a service name starts with a lowercase letter; for example `{fixed}`"
                )),
            );
        }
    }
    for (section, list) in [
        (
            "resources",
            app.resources.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ),
        ("timers", app.timers.iter().map(|t| t.name.as_str()).collect::<Vec<_>>()),
    ] {
        for name in list {
            let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                let p = join(section, name);
                cx.report(
                    Code::InvalidName,
                    &p,
                    &format!("{p}#name"),
                    format!("{} name `{name}` invalid: it must start with a letter and contain only letters, digits, - and _", &section[..section.len() - 1]),
                    Some("the name becomes part of CloudFormation logical IDs, which allow only letters and digits".into()),
                );
            }
        }
    }
    logical_ids(cx, app);
}

/// Names that become the same CloudFormation logical ID: two of one kind (`my-db` and `my_db`
/// are both `ResourceMyDb`), or of different kinds (a service `role` is the app's `ServiceRole`;
/// resources `db` and `db-secret` both make `ResourceDbSecret`; a service linking `db` and
/// `db-host` would get the parameter `ResourceDbHost` twice). convox silently overwrites the
/// first; the IDs are `ir::naming`'s, as the templates' are.
fn logical_ids(cx: &mut Cx, app: &Decoded) {
    /// Who makes an ID: the manifest path (empty for the app's own) and how to say it.
    type Owner = (String, String);
    let service = |s: &Service| (join("services", &s.name), format!("service `{}`", s.name));
    let resource = |r: &Resource| (join("resources", &r.name), format!("resource `{}`", r.name));
    /// (ID, first owner, second owner, where): found first, reported after.
    type Clash = (String, Owner, Owner, String);
    let mut clashes: Vec<Clash> = Vec::new();
    let mut ids: BTreeMap<String, Owner> = APP_OWN_IDS
        .iter()
        .map(|id| (id.to_string(), (String::new(), format!("the app's own {id}"))))
        .collect();
    /// Take `id` for `owner`, or note the clash with whoever has it (a pair of names is one
    /// problem, however many IDs they share).
    fn claim(ids: &mut BTreeMap<String, Owner>, id: String, owner: Owner, clashes: &mut Vec<Clash>, at: &str) {
        match ids.get(&id) {
            Some(first) if *first != owner && !clashes.iter().any(|c| c.1 == *first && c.2 == owner) => {
                clashes.push((id, first.clone(), owner, at.to_string()));
            }
            Some(_) => {}
            None => {
                ids.insert(id, owner);
            }
        }
    }
    let in_app = "in the app stack";
    for s in &app.services {
        claim(&mut ids, service_id(&s.logical_name), service(s), &mut clashes, in_app);
        if s.port.is_some() && !s.domains.is_empty() {
            claim(
                &mut ids,
                certificate_id(&s.logical_name),
                service(s),
                &mut clashes,
                in_app,
            );
        }
    }
    for r in &app.resources {
        for id in app_resource_ids(r) {
            claim(&mut ids, id, resource(r), &mut clashes, in_app);
        }
    }
    for t in &app.timers {
        let owner = (join("timers", &t.name), format!("timer `{}`", t.name));
        claim(&mut ids, timer_id(&t.logical_name), owner, &mut clashes, in_app);
    }
    // a service stack's parameters for its linked resources
    for s in &app.services {
        let mut params: BTreeMap<String, Owner> = BTreeMap::new();
        let at = format!("among the parameters of service {}", s.name);
        for r in s
            .resources
            .iter()
            .filter_map(|n| app.resources.iter().find(|r| &r.name == n))
        {
            for id in linked_parameter_names(r) {
                claim(&mut params, id, resource(r), &mut clashes, &at);
            }
        }
    }
    for (id, first, second, at) in clashes {
        let first_span = cx.at(&format!("{}#name", first.0));
        let mut d = Diagnostic::new(
            Code::LogicalIdCollision,
            cx.source,
            cx.at(&format!("{}#name", second.0)),
            &second.0,
            format!(
                "{} and {} both become the CloudFormation logical ID {id} {at}",
                second.1, first.1
            ),
        )
        .help("rename one of them: convox would silently overwrite one with the other");
        if !first.0.is_empty() {
            d = d.related(cx.source, first_span, "first declared here");
        }
        cx.push(d);
    }
}
