//! Names: reserved tags, system variables, the names of services, resources and timers, and
//! the logical IDs they become (within a kind and across kinds).

use crate::diagnostic::{Code, Diagnostic};
use crate::front::cx::{Cx, join};
use crate::front::decode::Decoded;
use crate::ir::naming::{
    APP_OWN_IDS, RESERVED_TAGS, SYSTEM_ENV, app_resource_ids, certificate_id, linked_parameter_names, service_id,
    timer_id,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    /// Who makes an ID — the app itself, or a service, resource or timer by its index — compared
    /// cheaply; its manifest path and words are made only for a clash.
    #[derive(Clone, Copy, PartialEq)]
    enum Owner {
        App(usize),
        Service(usize),
        Resource(usize),
        Timer(usize),
    }
    /// (ID, first owner, second owner, where): found first, reported after.
    type Clash = (String, Owner, Owner, &'static str);
    /// Take `id` for `owner`, or note the clash with whoever has it (a pair of names is one
    /// problem, however many IDs they share).
    fn claim<K: AsRef<str> + Eq + std::hash::Hash>(
        ids: &mut HashMap<K, Owner, rustc_hash::FxBuildHasher>,
        id: K,
        owner: Owner,
        clashes: &mut Vec<(Clash, usize)>,
        at: &'static str,
        service: usize,
    ) {
        match ids.get(&id) {
            Some(first) if *first != owner && !clashes.iter().any(|((_, f, o, _), _)| f == first && *o == owner) => {
                clashes.push(((id.as_ref().to_string(), *first, owner, at), service));
            }
            Some(_) => {}
            None => {
                ids.insert(id, owner);
            }
        }
    }
    let mut clashes: Vec<(Clash, usize)> = Vec::new();
    let mut ids: HashMap<String, Owner, rustc_hash::FxBuildHasher> = APP_OWN_IDS
        .iter()
        .enumerate()
        .map(|(i, id)| (id.to_string(), Owner::App(i)))
        .collect();
    const IN_APP: &str = "in the app stack";
    const AMONG_PARAMETERS: &str = "among the parameters of service";
    for (i, s) in app.services.iter().enumerate() {
        claim(
            &mut ids,
            service_id(&s.logical_name),
            Owner::Service(i),
            &mut clashes,
            IN_APP,
            0,
        );
        if s.port.is_some() && !s.domains.is_empty() {
            claim(
                &mut ids,
                certificate_id(&s.logical_name),
                Owner::Service(i),
                &mut clashes,
                IN_APP,
                0,
            );
        }
    }
    for (i, r) in app.resources.iter().enumerate() {
        for id in app_resource_ids(r) {
            claim(&mut ids, id, Owner::Resource(i), &mut clashes, IN_APP, 0);
        }
    }
    for (i, t) in app.timers.iter().enumerate() {
        claim(
            &mut ids,
            timer_id(&t.logical_name),
            Owner::Timer(i),
            &mut clashes,
            IN_APP,
            0,
        );
    }
    // a service stack's parameters for its linked resources (each resource's names made once)
    let linked: Vec<Vec<String>> = app.resources.iter().map(linked_parameter_names).collect();
    let by_name: HashMap<&str, usize, rustc_hash::FxBuildHasher> = app
        .resources
        .iter()
        .enumerate()
        .rev()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    for (si, s) in app.services.iter().enumerate() {
        let mut params: HashMap<&str, Owner, rustc_hash::FxBuildHasher> = HashMap::default();
        for ri in s.resources.iter().filter_map(|n| by_name.get(n.as_str()).copied()) {
            for id in &linked[ri] {
                claim(
                    &mut params,
                    id.as_str(),
                    Owner::Resource(ri),
                    &mut clashes,
                    AMONG_PARAMETERS,
                    si,
                );
            }
        }
    }
    // the manifest path of an owner (empty for the app's own) and how to say it
    let said = |o: Owner| -> (String, String) {
        match o {
            Owner::App(i) => (String::new(), format!("the app's own {}", APP_OWN_IDS[i])),
            Owner::Service(i) => {
                let s = &app.services[i];
                (join("services", &s.name), format!("service `{}`", s.name))
            }
            Owner::Resource(i) => {
                let r = &app.resources[i];
                (join("resources", &r.name), format!("resource `{}`", r.name))
            }
            Owner::Timer(i) => {
                let t = &app.timers[i];
                (join("timers", &t.name), format!("timer `{}`", t.name))
            }
        }
    };
    for ((id, first, second, at), service) in clashes {
        let (first, second) = (said(first), said(second));
        let at = if at == AMONG_PARAMETERS {
            format!("{at} {}", app.services[service].name)
        } else {
            at.to_string()
        };
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
