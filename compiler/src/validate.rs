//! Checks across sections: names, references, logical IDs, env, params, Fargate, and (when rack
//! params are given) what the rack supports.

use crate::cx::{Cx, index, join};
use crate::decode::Decoded;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::ir::*;
use crate::names::suggest;
use crate::rack::RackParams;
use crate::source::Span;
use std::collections::{BTreeMap, BTreeSet};

impl Cx<'_> {
    fn at(&self, path: &str) -> Span {
        self.spans.get(path).copied().unwrap_or_default()
    }
    fn report(
        &mut self,
        code: Code,
        path: &str,
        span_path: &str,
        msg: impl Into<String>,
        help: Option<String>,
    ) -> &mut Diagnostic {
        let d = Diagnostic::new(code, self.source, self.at(span_path), path, msg).help_opt(help);
        self.push(d);
        self.diags.last_mut().expect("just pushed")
    }
}

pub fn validate(cx: &mut Cx, app: &mut Decoded, env: Option<&BTreeMap<String, String>>, rack: Option<&RackParams>) {
    names(cx, app);
    system_env(cx, app);
    reserved_tags(cx, app);
    shared_domains(cx, app);
    references(cx, app);
    if let Some(env) = env {
        required_env(cx, app, env);
    }
    params(cx, app);
    engine_versions(cx, app);
    scaling(cx, app);
    fargate(cx, app);
    if let Some(rack) = rack {
        rack_support(cx, app, rack);
    }
}

/// RDS major versions past their end of standard support, as of this release of convoxc (a table,
/// not a clock: the same manifest always gives the same diagnostics). PostgreSQL and MySQL go on
/// in RDS Extended Support, charged per vCPU-hour; MariaDB has no Extended Support, so RDS no
/// longer creates those versions. convox's defaults (postgres 12, mysql 5.7, mariadb 10.4) are
/// all here. From the RDS release calendars: PostgreSQL 13's standard support ended in February
/// 2026, MySQL 8.0's in July 2026, MariaDB 10.5's community life in June 2025.
const PAST_STANDARD_SUPPORT: &[(ResourceType, &[&str], &str, &str)] = &[
    (
        ResourceType::Postgres,
        &["9", "10", "11", "12", "13"],
        "past RDS standard support and runs in paid RDS Extended Support",
        "16",
    ),
    (
        ResourceType::Mysql,
        &["5.6", "5.7", "8.0"],
        "past RDS standard support and runs in paid RDS Extended Support",
        "8.4",
    ),
    (
        ResourceType::Mariadb,
        &["10.2", "10.3", "10.4", "10.5"],
        "past its end of life; RDS has no Extended Support for MariaDB and no longer creates it",
        "10.11",
    ),
];

fn engine_versions(cx: &mut Cx, app: &Decoded) {
    for r in &app.resources {
        let Some(version) = r.options.get("Version") else {
            continue;
        };
        let Some((_, _, why, suggested)) = PAST_STANDARD_SUPPORT.iter().find(|(kind, majors, _, _)| {
            *kind == r.kind
                && majors
                    .iter()
                    .any(|m| version == m || version.strip_prefix(m).is_some_and(|rest| rest.starts_with('.')))
        }) else {
            continue;
        };
        let path = join("resources", &r.name);
        let options = join(&path, "options");
        let given = cx
            .spans
            .keys()
            .find(|k| {
                k.strip_prefix(&format!("{options}."))
                    .is_some_and(|o| o.eq_ignore_ascii_case("version"))
            })
            .cloned();
        let (msg, span_path) = match &given {
            Some(k) => (format!("{} {version} is {why}", r.kind.as_str()), k.clone()),
            None => (
                format!("{} {version}, convox's default version, is {why}", r.kind.as_str()),
                format!("{path}#name"),
            ),
        };
        let help = format!(
            "set `options: {{version: \"{suggested}\"}}` (a newer major version; an existing database is upgraded in place, which needs a maintenance window)"
        );
        cx.report(Code::EngineVersion, &given.unwrap_or(path), &span_path, msg, Some(help))
            .severity = Severity::Warning;
    }
}

/// Tag keys convoxc sets itself; a `tags:` entry with one of them is dropped (with a warning).
pub const RESERVED_TAGS: &[&str] = &["App", "Name", "Rack", "Service", "System", "Type"];

fn reserved_tags(cx: &mut Cx, app: &Decoded) {
    let lists = app
        .services
        .iter()
        .map(|s| (join(&join("services", &s.name), "tags"), &s.tags))
        .chain(
            app.resources
                .iter()
                .map(|r| (join(&join("resources", &r.name), "tags"), &r.tags)),
        );
    let mut found = Vec::new();
    for (path, tags) in lists {
        for k in tags.keys().filter(|k| RESERVED_TAGS.contains(&k.as_str())) {
            found.push(join(&path, k));
        }
    }
    for p in found {
        cx.report(
            Code::Ignored,
            &p,
            &p,
            "this tag key is set by convoxc; the manifest's value is dropped",
            Some(format!("convoxc sets {}", RESERVED_TAGS.join(", "))),
        )
        .severity = Severity::Warning;
    }
}

/// Variables convoxc sets in every container, over any declaration of the same name.
pub const SYSTEM_ENV: &[&str] = &["APP", "AWS_REGION", "BUILD", "RACK", "SERVICE"];

fn system_env(cx: &mut Cx, app: &Decoded) {
    let mut seen = BTreeSet::new();
    for s in &app.services {
        for list in [
            "environment".to_string(),
            join(&join("services", &s.name), "environment"),
        ] {
            for name in SYSTEM_ENV {
                let site = find_decl(cx, &list, name);
                if site.contains('#') && seen.insert(site.clone()) {
                    cx.report(
                        Code::Ignored,
                        &list,
                        &site,
                        format!("{name} is set by convox in every container; this declaration is overridden"),
                        Some(format!("rename the variable (e.g. MY_{name})")),
                    )
                    .severity = Severity::Warning;
                }
            }
        }
    }
}

fn names(cx: &mut Cx, app: &Decoded) {
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
/// first; the ID lists are the backend's (`backend::view`).
fn logical_ids(cx: &mut Cx, app: &Decoded) {
    use crate::backend::view::{app_resource_ids, linked_parameter_names};
    /// Who makes an ID: the manifest path (empty for the app's own) and how to say it.
    type Owner = (String, String);
    let service = |s: &Service| (join("services", &s.name), format!("service `{}`", s.name));
    let resource = |r: &Resource| (join("resources", &r.name), format!("resource `{}`", r.name));
    /// (ID, first owner, second owner, where): found first, reported after.
    type Clash = (String, Owner, Owner, String);
    let mut clashes: Vec<Clash> = Vec::new();
    let mut ids: BTreeMap<String, Owner> = ["LogGroup", "Registry", "ServiceRole", "ExecutionRole"]
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
        claim(
            &mut ids,
            format!("Service{}", s.logical_name),
            service(s),
            &mut clashes,
            in_app,
        );
        if s.port.is_some() && !s.domains.is_empty() {
            claim(
                &mut ids,
                format!("Balancer{}Certificate", s.logical_name),
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
        claim(
            &mut ids,
            format!("Timer{}", t.logical_name),
            owner,
            &mut clashes,
            in_app,
        );
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
        let source = cx.source;
        let d = cx.report(
            Code::LogicalIdCollision,
            &second.0,
            &format!("{}#name", second.0),
            format!(
                "{} and {} both become the CloudFormation logical ID {id} {at}",
                second.1, first.1
            ),
            Some("rename one of them: convox would silently overwrite one with the other".into()),
        );
        if !first.0.is_empty() {
            d.related.push(crate::diagnostic::Related {
                source,
                span: first_span,
                label: "first declared here".into(),
            });
        }
    }
}

fn references(cx: &mut Cx, app: &mut Decoded) {
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
                cx.report(
                    Code::UnknownReference,
                    &p,
                    &p,
                    format!(
                        "linked service `{link}` has no port, so {}_URL would point nowhere",
                        env_name(link)
                    ),
                    Some(format!("give `{link}` a `port:` or remove the link")),
                )
                .severity = Severity::Warning;
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
fn shared_domains(cx: &mut Cx, app: &Decoded) {
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
                    cx.report(Code::Domain, &p, &p, msg, Some(help.into())).severity = Severity::Warning;
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

/// convox's `envname`: upper-case, `-` → `_`.
pub fn env_name(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

fn required_env(cx: &mut Cx, app: &Decoded, env: &BTreeMap<String, String>) {
    // one diagnostic per declaration site (a global one, or one shared through a merge key, is
    // reported once, naming every service that needs it)
    let mut missing: BTreeMap<(Span, String), (String, Vec<String>)> = BTreeMap::new();
    for s in &app.services {
        let own_start = app.environment.len();
        for (i, d) in s.environment.iter().enumerate() {
            if let EnvDecl::Required { name } = d
                && !env.contains_key(name)
            {
                let site = if i < own_start {
                    find_decl(cx, "environment", name)
                } else {
                    find_decl(cx, &join(&join("services", &s.name), "environment"), name)
                };
                let path = site.split('#').next().unwrap_or("");
                let path = path.rsplit_once('[').map_or(path, |(p, _)| p).to_string();
                let entry = missing
                    .entry((cx.at(&site), name.clone()))
                    .or_insert_with(|| (path, Vec::new()));
                if !entry.1.contains(&s.name) {
                    entry.1.push(s.name.clone());
                }
            }
        }
    }
    for ((span, name), (path, services)) in missing {
        let d = Diagnostic::new(
            Code::RequiredEnv,
            cx.source,
            span,
            path,
            format!("required env: {name}"),
        )
        .help(format!(
            "needed by {}; set it with -e {name}=… or in --env-file",
            services.join(", ")
        ));
        cx.push(d);
    }
}

/// The span key of the first declaration of `name` in an environment list, or the list itself.
fn find_decl(cx: &Cx, list_path: &str, name: &str) -> String {
    cx.env_sites
        .get(list_path)
        .and_then(|sites| sites.iter().find(|(n, _)| n == name))
        .map(|(_, site)| site.clone())
        .unwrap_or_else(|| list_path.to_string())
}

/// App stack parameters (reference §2.1): name, allowed values (empty: free text), default.
pub const APP_PARAMS: &[(&str, &[&str], &str)] = &[
    ("AutoMinorVersionUpgrade", &["true", "false"], "true"),
    ("CircuitBreaker", &["Yes", "No"], "No"),
    ("EnableContainerReadonlyRootFilesystem", &["Yes", "No"], "No"),
    ("FargateServices", &["Yes", "Spot", "No"], "No"),
    ("FargateTimers", &["Yes", "Spot", "No"], "No"),
    ("IamPolicy", &[], ""),
    ("IgnoreManualScaleCount", &["Yes", "No"], "No"),
    ("InternalDomains", &["Yes", "No"], "Yes"),
    ("Isolate", &["Yes", "No"], "No"),
    (
        "LoadBalancerAlgorithm",
        &["round_robin", "least_outstanding_requests"],
        "round_robin",
    ),
    ("LoadBalancerGrpcSuccessCodes", &[], "12"),
    ("LoadBalancerSuccessCodes", &[], "200-399,401"),
    ("LogBucket", &[], ""),
    ("LogDriver", &["CloudWatch", "Syslog", ""], "CloudWatch"),
    ("LogRetention", &[], "7"),
    ("PlaceLambdaInVpc", &["Yes", "No"], "No"),
    ("Private", &["Yes", "No"], "No"),
    ("RackUrl", &["Yes", "No"], "No"),
    ("RedirectHttps", &["Yes", "No"], "Yes"),
    ("SlowStartDuration", &[], "0"),
    ("SyslogDestination", &[], ""),
    ("SyslogFormat", &[], "rfc5424"),
    ("TaskTags", &["Yes", "No"], "No"),
];

/// App params that a convox rack overwrites from its own params on every deploy.
pub const RACK_OWNED: &[&str] = &[
    "EnableContainerReadonlyRootFilesystem",
    "LogBucket",
    "LogDriver",
    "PlaceLambdaInVpc",
    "Private",
    "SyslogDestination",
    "SyslogFormat",
];

fn params(cx: &mut Cx, app: &Decoded) {
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
        if !allowed.is_empty() && !allowed.contains(&value.as_str()) {
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
        } else if name == "LogRetention" && !value.is_empty() && value.parse::<u32>().is_err() {
            cx.report(
                Code::Params,
                &p,
                &p,
                format!("LogRetention must be a number of days or blank, found `{value}`"),
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

fn formation_problem(v: &str) -> Option<&'static str> {
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

fn scaling(cx: &mut Cx, app: &Decoded) {
    for s in &app.services {
        // settings of the load balancer target group, which only a `port:` creates
        let sp = join("services", &s.name);
        for (key, needs_port_only) in [("domain", true), ("sticky", true), ("drain", false)] {
            let p = join(&sp, key);
            let unrouted = s.port.is_none() && (needs_port_only || s.nlb.is_empty());
            if unrouted && cx.spans.contains_key(&p) {
                cx.report(
                    Code::Ignored,
                    &p,
                    &p,
                    format!("`{key}` has no effect: the service has no port"),
                    Some("it configures the load balancer, which routes only to services with `port:`".into()),
                )
                .severity = Severity::Warning;
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
            cx.report(
                Code::Ignored,
                &tp,
                &tp,
                "agent services run one task per instance: scale targets have no effect",
                None,
            )
            .severity = Severity::Warning;
        } else if has_targets && s.scale.count.min == s.scale.count.max {
            cx.report(
                Code::Ignored,
                &tp,
                &tp,
                format!(
                    "autoscaling targets have no effect: the count is fixed at {}",
                    s.scale.count.min
                ),
                Some("give scale.count a range, e.g. \"1-5\"".into()),
            )
            .severity = Severity::Warning;
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

fn fargate(cx: &mut Cx, app: &Decoded) {
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

fn rack_support(cx: &mut Cx, app: &Decoded, rack: &RackParams) {
    let yes = |k: &str| rack.get(k) == Some("Yes");
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
