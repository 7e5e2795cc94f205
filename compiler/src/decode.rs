//! convox.yml → typed IR: shapes, defaults (reference §1.6) and per-field checks.
//! Cross-references between sections are checked afterwards, in `validate`.

use crate::cx::{Cx, Fields, index, join};
use crate::diagnostic::Code;
use crate::ir::*;
use crate::keys::Place;
use crate::names::{suggest, upper_name};
use crate::resources;
use crate::yaml::{Node, Value};
use std::collections::BTreeMap;

pub struct Decoded {
    pub environment: Vec<EnvDecl>,
    pub params: BTreeMap<String, String>,
    pub resources: Vec<Resource>,
    pub services: Vec<Service>,
    pub timers: Vec<Timer>,
}

pub fn decode(cx: &mut Cx, top: &Fields) -> Decoded {
    let environment = top
        .get("environment")
        .map(|n| env_list(cx, n, "environment"))
        .unwrap_or_default();
    let params = top.get("params").map(|n| params(cx, n)).unwrap_or_default();
    let resources = top
        .get("resources")
        .map(|n| decode_resources(cx, n))
        .unwrap_or_default();
    let mut services = Vec::new();
    if let Some(n) = top.get("services") {
        for (name, key, body) in cx.named(n, "services", "a map of service names to services") {
            if let Some(s) = service(cx, &name, key, body, &environment) {
                services.push(s);
            }
        }
    }
    let mut timers = Vec::new();
    if let Some(n) = top.get("timers") {
        for (name, key, body) in cx.named(n, "timers", "a map of timer names to timers") {
            if let Some(t) = timer(cx, &name, key, body) {
                timers.push(t);
            }
        }
    }
    Decoded {
        environment,
        params,
        resources,
        services,
        timers,
    }
}

/// App params keep the scalar text as written (`TaskTags: Yes` stays "Yes", as in convox).
fn params(cx: &mut Cx, n: &Node) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, _, v) in cx.named(n, "params", "a map of parameter names to values") {
        let p = join("params", &k);
        let text = match &v.value {
            Value::Str(s) => s.clone(),
            Value::Null => String::new(),
            Value::Seq(_) | Value::Map(_) => {
                cx.wrong_type(v, &p, "a single value");
                continue;
            }
            _ => cx.raw(v).to_string(),
        };
        cx.spans.insert(p, cx.span(v));
        out.insert(k, text);
    }
    out
}

// ---- environment ----

/// An environment list: strings (`NAME`, `NAME=default`, `*`), nested lists flattened.
pub fn env_list(cx: &mut Cx, n: &Node, path: &str) -> Vec<EnvDecl> {
    let mut out = Vec::new();
    match &n.value {
        Value::Null => {}
        Value::Seq(items) => env_items(cx, items, path, path, &mut out),
        Value::Map(_) => cx.error(
            Code::WrongType,
            n,
            path,
            "environment must be a list, found a map",
            Some("write each variable as a list item: `- NAME=default` (or `- NAME` for a required one)".into()),
        ),
        _ => cx.wrong_type(n, path, "a list of NAME or NAME=default entries"),
    }
    out
}

fn env_items(cx: &mut Cx, items: &[Node], list: &str, path: &str, out: &mut Vec<EnvDecl>) {
    for (i, item) in items.iter().enumerate() {
        let p = index(path, i);
        match &item.value {
            Value::Str(s) => {
                if let Some(d) = env_decl(cx, item, &p, s) {
                    let site = format!("{p}#{}", d.name());
                    cx.spans.insert(site.clone(), cx.span(item));
                    cx.env_sites
                        .entry(list.to_string())
                        .or_default()
                        .push((d.name().to_string(), site));
                    out.push(d);
                }
            }
            Value::Seq(inner) => env_items(cx, inner, list, &p, out),
            Value::Map(es) if es.len() == 1 => {
                let k = cx.raw(&es[0].key).to_string();
                let v = cx.raw(&es[0].value).to_string();
                cx.error(
                    Code::EnvDeclaration,
                    item,
                    &p,
                    "an environment entry must be a string, found a map",
                    Some(format!("write `- {k}={v}` (convox silently drops map entries)")),
                );
            }
            other => {
                let raw = cx.raw(item).to_string();
                cx.error(
                    Code::EnvDeclaration,
                    item,
                    &p,
                    format!("an environment entry must be a string, found {}", other.kind()),
                    Some(format!(
                        "quote it: \"{raw}\" (convox silently drops entries that are not strings)"
                    )),
                );
            }
        }
    }
}

fn env_decl(cx: &mut Cx, n: &Node, path: &str, s: &str) -> Option<EnvDecl> {
    if s == "*" {
        return Some(EnvDecl::Wildcard);
    }
    let (name, default) = match s.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (s, None),
    };
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '$' || c == '{' || c == '}')
    {
        cx.error(
            Code::EnvDeclaration,
            n,
            path,
            format!("`{s}` is not NAME, NAME=default or *"),
            Some("a variable name is letters, digits and underscores, with no spaces".into()),
        );
        return None;
    }
    Some(match default {
        Some(d) => EnvDecl::Default {
            name: name.to_string(),
            default: d.to_string(),
        },
        None => EnvDecl::Required { name: name.to_string() },
    })
}

// ---- resources ----

fn decode_resources(cx: &mut Cx, n: &Node) -> Vec<Resource> {
    let mut out = Vec::new();
    for (name, key, body) in cx.named(n, "resources", "a map of resource names to resources") {
        let path = join("resources", &name);
        cx.spans.insert(format!("{path}#name"), cx.span(key));
        let Some(f) = cx.fields(body, &path, Place::Resource) else {
            continue;
        };
        let type_text = f
            .get("type")
            .and_then(|t| cx.string(t, &join(&path, "type")))
            .unwrap_or_default();
        let kind = if type_text.trim().is_empty() {
            let at = f
                .get("type")
                .unwrap_or(if matches!(body.value, Value::Null) { key } else { body });
            cx.error(
                Code::ResourceType,
                at,
                &join(&path, "type"),
                "resource type can not be blank",
                Some(format!("set `type:` to one of {}", resource_type_names())),
            );
            None
        } else {
            resource_type(cx, f.get("type").unwrap_or(body), &join(&path, "type"), &type_text)
        };
        let tags = f
            .get("tags")
            .map(|t| cx.string_map(t, &join(&path, "tags")))
            .unwrap_or_default();
        let options = f
            .get("options")
            .map(|o| cx.string_map(o, &join(&path, "options")))
            .unwrap_or_default();
        let Some(kind) = kind else { continue };
        let options = resources::resolve_options(cx, kind, &path, options);
        out.push(Resource {
            logical_name: upper_name(&name),
            name,
            kind,
            options,
            tags: tags.into_iter().map(|(k, v, _)| (k, v)).collect(),
        });
    }
    out
}

fn resource_type_names() -> String {
    ResourceType::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

fn resource_type(cx: &mut Cx, n: &Node, path: &str, text: &str) -> Option<ResourceType> {
    if let Some((_, t)) = ResourceType::ALL.iter().find(|(name, _)| *name == text) {
        return Some(*t);
    }
    let help = if ["s3", "sns", "sqs", "syslog", "webhook"].contains(&text) {
        format!(
            "`{text}` is a rack-level resource: create it with `convoxc resources build {text}` and link it to the app"
        )
    } else if let Some(s) = suggest(text, ResourceType::ALL.iter().map(|(n, _)| *n)) {
        format!("did you mean `{s}`?")
    } else {
        format!("app resource types are {}", resource_type_names())
    };
    cx.error(
        Code::ResourceType,
        n,
        path,
        format!("unknown resource type `{text}`"),
        Some(help),
    );
    None
}

// ---- timers ----

fn timer(cx: &mut Cx, name: &str, key: &Node, body: &Node) -> Option<Timer> {
    let path = join("timers", name);
    cx.spans.insert(format!("{path}#name"), cx.span(key));
    let f = cx.fields(body, &path, Place::Timer)?;
    let mut missing = Vec::new();
    let mut text = |cx: &mut Cx, k: &str| -> Option<(String, &Node)> {
        match f.get(k) {
            Some(n) => cx.string(n, &join(&path, k)).map(|s| (s, n)),
            None => {
                missing.push(k.to_string());
                None
            }
        }
    };
    let command = text(cx, "command");
    let schedule = text(cx, "schedule");
    let service = text(cx, "service");
    if !missing.is_empty() {
        let at = if matches!(body.value, Value::Null) { key } else { body };
        cx.error(
            Code::WrongType,
            at,
            &path,
            format!(
                "timer `{name}` is missing {}",
                missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
            ),
            Some("a timer needs `command`, `schedule` and `service`".into()),
        );
    }
    let policies = f
        .get("policies")
        .map(|p| cx.string_list(p, &join(&path, "policies")))
        .unwrap_or_default();
    let (command, cmd_node) = command?;
    if command.trim().is_empty() {
        cx.error(
            Code::InvalidValue,
            cmd_node,
            &join(&path, "command"),
            "the timer command is empty",
            None,
        );
    }
    let (schedule, sched_node) = schedule?;
    let expression = crate::cron::to_eventbridge(cx, sched_node, &join(&path, "schedule"), &schedule);
    let (service, _) = service?;
    Some(Timer {
        logical_name: upper_name(name),
        name: name.to_string(),
        command,
        schedule,
        schedule_expression: expression.unwrap_or_default(),
        service,
        policies: policies.into_iter().map(|(p, _)| p).collect(),
    })
}

// ---- services ----

fn service(cx: &mut Cx, name: &str, key: &Node, body: &Node, global_env: &[EnvDecl]) -> Option<Service> {
    let path = join("services", name);
    cx.spans.insert(format!("{path}#name"), cx.span(key));
    let f = cx.fields(body, &path, Place::Service)?;
    let p = |k: &str| join(&path, k);

    let image = f.get("image").and_then(|n| cx.string(n, &p("image")));
    let build = build(cx, &f, &p("build"), image.is_some());
    let command = f.get("command").and_then(|n| command(cx, n, &p("command")));
    let agent = f.get("agent").and_then(|n| agent(cx, n, &p("agent")));
    let singleton = flag(cx, &f, &path, "singleton").unwrap_or(false);

    // deployment: attribute-based defaults; explicit 0 respected
    let (mut min, mut max) = if agent.is_some() || singleton {
        (0, 100)
    } else {
        (50, 200)
    };
    if let Some(d) = f
        .get("deployment")
        .and_then(|n| cx.fields(n, &p("deployment"), Place::Deployment))
    {
        if let Some(n) = d.get("minimum") {
            min = cx
                .int_in(n, &p("deployment.minimum"), 0, 100, "deployment.minimum (percent)")
                .unwrap_or(min);
        }
        if let Some(n) = d.get("maximum") {
            max = cx
                .int_in(n, &p("deployment.maximum"), 1, 1000, "deployment.maximum (percent)")
                .unwrap_or(max);
        }
    }

    let domains = f
        .get("domain")
        .map(|n| domains(cx, n, &p("domain")))
        .unwrap_or_default();

    let mut drain = 30;
    if let Some(n) = f.get("drain")
        && let Some(v) = cx.int_in(n, &p("drain"), 0, 3600, "drain (seconds)")
    {
        if v == 0 {
            cx.warn(
                Code::Ignored,
                n,
                &p("drain"),
                "drain: 0 is treated as unset: the default of 30 seconds applies",
                Some("convox replaces a zero drain with 30; use 1 for the shortest deregistration delay".into()),
            );
        } else {
            drain = v;
        }
    }

    let mut environment: Vec<EnvDecl> = global_env.to_vec();
    if let Some(n) = f.get("environment") {
        environment.extend(env_list(cx, n, &p("environment")));
    }

    let port = f.get("port").and_then(|n| port(cx, n, &p("port")));
    let nlb = f
        .get("nlb")
        .map(|n| crate::nlb::entries(cx, name, n, &p("nlb")))
        .unwrap_or_default();
    let health = health(cx, f.get("health"), &p("health"), port.is_some());
    if port.is_none()
        && nlb.is_empty()
        && let Some(h) = f.get("health")
        && !matches!(h.value, Value::Null)
    {
        cx.warn(
            Code::Ignored,
            h,
            &p("health"),
            "health has no effect: the service has no port, so nothing checks it",
            Some("health checks belong to the load balancer target group that `port:` creates".into()),
        );
    }
    let internal_and_external = flag(cx, &f, &path, "internalAndExternal").unwrap_or(false);
    let internal_flag = flag(cx, &f, &path, "internal");
    if internal_and_external && internal_flag == Some(false) {
        cx.warn(
            Code::Ignored,
            f.get("internal").unwrap_or(body),
            &p("internal"),
            "internal: false has no effect: internalAndExternal makes the service internal too",
            None,
        );
    }
    let internal = internal_flag.unwrap_or(false) || internal_and_external;

    let links = f
        .get("links")
        .map(|n| cx.string_list(n, &p("links")))
        .unwrap_or_default();
    let policies = f
        .get("policies")
        .map(|n| cx.string_list(n, &p("policies")))
        .unwrap_or_default();
    let resources = f
        .get("resources")
        .map(|n| cx.string_list(n, &p("resources")))
        .unwrap_or_default();
    let scale = scale(cx, f.get("scale"), &p("scale"));
    let sticky = flag(cx, &f, &path, "sticky").unwrap_or(true);
    let tags = f.get("tags").map(|n| cx.string_map(n, &p("tags"))).unwrap_or_default();
    let mut termination = Termination { grace: 30 };
    if let Some(t) = f
        .get("termination")
        .and_then(|n| cx.fields(n, &p("termination"), Place::Termination))
        && let Some(n) = t.get("grace")
    {
        termination.grace = cx
            .int_in(n, &p("termination.grace"), 0, 3600, "termination.grace (seconds)")
            .unwrap_or(30);
    }
    let test = f.get("test").and_then(|n| cx.string(n, &p("test")));
    let volumes = f
        .get("volumes")
        .map(|n| cx.string_list(n, &p("volumes")))
        .unwrap_or_default();
    let volumes = volumes.into_iter().map(|(v, _)| parse_volume(&v)).collect();

    Some(Service {
        name: name.to_string(),
        logical_name: upper_name(name),
        agent,
        build,
        command,
        deployment: Deployment {
            minimum: min,
            maximum: max,
        },
        domains,
        drain,
        environment,
        health,
        image,
        init: flag(cx, &f, &path, "init").unwrap_or(false),
        internal,
        internal_and_external,
        links: links.into_iter().map(|(l, _)| l).collect(),
        nlb,
        policies: policies.into_iter().map(|(l, _)| l).collect(),
        port,
        privileged: flag(cx, &f, &path, "privileged").unwrap_or(false),
        resources: resources.into_iter().map(|(l, _)| l).collect(),
        scale,
        singleton,
        sticky,
        tags: tags.into_iter().map(|(k, v, _)| (k, v)).collect(),
        termination,
        test,
        volumes,
    })
}

/// `src[:dst]`; whether `src` is an efs resource is decided in `validate`.
fn parse_volume(v: &str) -> Volume {
    match v.split_once(':') {
        Some((s, t)) => Volume::Host {
            source: s.to_string(),
            target: t.to_string(),
        },
        None => Volume::Host {
            source: v.to_string(),
            target: v.to_string(),
        },
    }
}

fn flag(cx: &mut Cx, f: &Fields, path: &str, key: &str) -> Option<bool> {
    f.get(key).and_then(|n| cx.boolean(n, &join(path, key)))
}

fn build(cx: &mut Cx, f: &Fields, path: &str, has_image: bool) -> Option<Build> {
    let (mut bpath, mut manifest, mut args) = (None, None, Vec::new());
    if let Some(n) = f.get("build") {
        match &n.value {
            Value::Map(_) => {
                if let Some(b) = cx.fields(n, path, Place::Build) {
                    bpath = b.get("path").and_then(|x| cx.string(x, &join(path, "path")));
                    manifest = b.get("manifest").and_then(|x| cx.string(x, &join(path, "manifest")));
                    args = b
                        .get("args")
                        .map(|x| cx.string_list(x, &join(path, "args")))
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(a, _)| a)
                        .collect();
                }
            }
            _ => bpath = cx.string(n, path),
        }
    }
    let bpath = bpath.filter(|p| !p.is_empty());
    if has_image && bpath.is_none() {
        return None;
    }
    Some(Build {
        path: bpath.unwrap_or_else(|| ".".into()),
        manifest: manifest
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "Dockerfile".into()),
        args,
    })
}

fn command(cx: &mut Cx, n: &Node, path: &str) -> Option<Vec<String>> {
    match &n.value {
        Value::Str(s) => Some(vec!["sh".into(), "-c".into(), s.clone()]),
        Value::Int(_) | Value::Float(_) => Some(vec!["sh".into(), "-c".into(), cx.raw(n).to_string()]),
        Value::Seq(_) => {
            let items = cx.string_list(n, path);
            Some(items.into_iter().map(|(s, _)| s).collect())
        }
        Value::Null => None,
        _ => {
            cx.wrong_type(n, path, "a string or a list of strings");
            None
        }
    }
}

fn agent(cx: &mut Cx, n: &Node, path: &str) -> Option<Agent> {
    match &n.value {
        Value::Bool(true) => Some(Agent { ports: Vec::new() }),
        Value::Bool(false) | Value::Null => None,
        Value::Map(_) => {
            let f = cx.fields(n, path, Place::Agent)?;
            if let Some(e) = f.get("enabled")
                && cx.boolean(e, &join(path, "enabled")) == Some(false)
            {
                cx.error(
                    Code::InvalidValue,
                    e,
                    &join(path, "enabled"),
                    "`enabled: false` inside an agent map still enables the agent in convox",
                    Some(
                        "convox enables the agent for any `agent:` map; write `agent: false` or remove the key".into(),
                    ),
                );
            }
            let mut ports = Vec::new();
            if let Some(pn) = f.get("ports") {
                let pp = join(path, "ports");
                match &pn.value {
                    Value::Seq(items) => {
                        for (i, item) in items.iter().enumerate() {
                            if let Some(p) = agent_port(cx, item, &index(&pp, i)) {
                                ports.push(p);
                            }
                        }
                    }
                    Value::Null => {}
                    _ => cx.wrong_type(pn, &pp, "a list of ports (5000 or \"5000/udp\")"),
                }
            }
            Some(Agent { ports })
        }
        _ => {
            cx.wrong_type(n, path, "a boolean or a map with `ports`");
            None
        }
    }
}

fn agent_port(cx: &mut Cx, n: &Node, path: &str) -> Option<AgentPort> {
    let (num, proto) = match &n.value {
        Value::Int(i) => (i64::try_from(*i).unwrap_or(-1), "tcp".to_string()),
        Value::Str(s) => {
            let (a, b) = s.split_once('/').unwrap_or((s.as_str(), "tcp"));
            let Ok(num) = a.trim().parse::<i64>() else {
                cx.error(
                    Code::Port,
                    n,
                    path,
                    format!("invalid agent port `{s}`"),
                    Some("write 5000 or \"5000/udp\"".into()),
                );
                return None;
            };
            (num, b.trim().to_ascii_lowercase())
        }
        _ => {
            cx.wrong_type(n, path, "a port (5000 or \"5000/udp\")");
            return None;
        }
    };
    let port = cx.check_range(n, path, num, 1, 65535, "an agent port")?;
    if proto != "tcp" && proto != "udp" {
        cx.error(
            Code::Port,
            n,
            path,
            format!("agent port protocol must be tcp or udp, found `{proto}`"),
            None,
        );
        return None;
    }
    Some(AgentPort {
        port: port as u16,
        protocol: proto,
    })
}

fn domains(cx: &mut Cx, n: &Node, path: &str) -> Vec<String> {
    let items: Vec<(String, &Node)> = match &n.value {
        Value::Str(s) => s
            .split(',')
            .map(|d| (d.trim().to_string(), n))
            .filter(|(d, _)| !d.is_empty())
            .collect(),
        Value::Null => Vec::new(),
        Value::Seq(items) if items.iter().any(|i| matches!(i.value, Value::Null)) => {
            // null items (e.g. an empty ${VAR}) are dropped like empty comma-separated entries
            let kept: Vec<Node> = items
                .iter()
                .filter(|i| !matches!(i.value, Value::Null))
                .cloned()
                .collect();
            let list = Node {
                value: Value::Seq(kept),
                span: n.span,
                alias: n.alias,
            };
            return domains(cx, &list, path);
        }
        _ => cx
            .string_list(n, path)
            .into_iter()
            .map(|(d, n)| (d.trim().to_string(), n))
            .filter(|(d, _)| !d.is_empty())
            .collect(),
    };
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (d, node) in items {
        if let Some(problem) = domain_problem(&d) {
            cx.error(
                Code::Domain,
                node,
                path,
                format!("`{d}` is not a valid domain name: {problem}"),
                None,
            );
        } else if out.contains(&d) {
            cx.error(Code::Domain, node, path, format!("domain `{d}` is listed twice"), None);
        } else {
            out.push(d);
        }
    }
    out
}

/// Why a domain name is not a valid (optionally `*.`-wildcard) DNS name, or None.
fn domain_problem(d: &str) -> Option<&'static str> {
    if d.len() > 253 {
        return Some("longer than 253 characters");
    }
    let rest = d.strip_prefix("*.").unwrap_or(d);
    if !rest.contains('.') {
        return Some("it needs at least two labels (name.tld)");
    }
    for label in rest.split('.') {
        if label.is_empty() {
            return Some("it has an empty label");
        }
        if label.len() > 63 {
            return Some("a label is longer than 63 characters");
        }
        if label.contains('*') {
            return Some("a wildcard is only allowed as the whole first label (*.example.org)");
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Some("labels may contain only letters, digits and hyphens");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some("a label may not start or end with a hyphen");
        }
    }
    None
}

fn health(cx: &mut Cx, n: Option<&Node>, path: &str, routed: bool) -> Health {
    let (mut grace, mut interval, mut hpath, mut timeout) = (0i64, 0i64, String::new(), 0i64);
    let mut nodes: [Option<&Node>; 3] = [None; 3];
    if let Some(n) = n {
        match &n.value {
            Value::Str(s) => hpath = s.clone(),
            Value::Map(_) | Value::Null => {
                if let Some(f) = cx.fields(n, path, Place::Health) {
                    for (i, k) in ["grace", "interval", "timeout"].iter().enumerate() {
                        if let Some(v) = f.get(k) {
                            let val = cx.int(v, &join(path, k)).unwrap_or(0);
                            if val == 0 && matches!(v.value, Value::Int(_)) {
                                cx.warn(
                                    Code::Ignored,
                                    v,
                                    &join(path, k),
                                    format!("health.{k}: 0 is treated as unset: the default applies"),
                                    None,
                                );
                            }
                            nodes[i] = Some(v);
                            match i {
                                0 => grace = val,
                                1 => interval = val,
                                _ => timeout = val,
                            }
                        }
                    }
                    if let Some(v) = f.get("path") {
                        hpath = cx.string(v, &join(path, "path")).unwrap_or_default();
                    }
                }
            }
            _ => cx.wrong_type(n, path, "a path string or a map"),
        }
    }
    if hpath.is_empty() {
        hpath = "/".into();
    }
    if interval == 0 {
        interval = 5;
    }
    if grace == 0 {
        grace = interval;
    }
    let timeout_defaulted = timeout == 0;
    if timeout == 0 {
        timeout = interval - 1;
    }
    // AWS limits (target group health checks, ECS grace period): they only apply to a target group
    let at = |i: usize| if routed { nodes[i].or(n) } else { None };
    let interval_ok = (5..=300).contains(&interval);
    if let Some(node) = at(1)
        && !interval_ok
    {
        cx.error(
            Code::Health,
            node,
            &join(path, "interval"),
            format!("health.interval must be between 5 and 300 seconds, found {interval}"),
            None,
        );
    }
    if let Some(node) = at(2).filter(|_| interval_ok || !timeout_defaulted) {
        if !(2..=120).contains(&timeout) {
            let why = if timeout_defaulted {
                format!(" (defaulted to interval − 1 = {timeout})")
            } else {
                String::new()
            };
            cx.error(
                Code::Health,
                node,
                &join(path, "timeout"),
                format!("health.timeout must be between 2 and 120 seconds, found {timeout}{why}"),
                timeout_defaulted.then(|| "set health.timeout explicitly".to_string()),
            );
        } else if timeout >= interval {
            cx.error(
                Code::Health,
                node,
                &join(path, "timeout"),
                format!("health.timeout ({timeout}s) must be less than health.interval ({interval}s)"),
                Some("the load balancer rejects a timeout that is not shorter than the interval".into()),
            );
        }
    }
    if let Some(node) = at(0)
        && !(0..=2_147_483_647).contains(&grace)
    {
        cx.error(
            Code::Health,
            node,
            &join(path, "grace"),
            format!("health.grace must be at least 0, found {grace}"),
            None,
        );
    }
    if (!hpath.starts_with('/') || hpath.len() > 1024)
        && let Some(node) = n.filter(|_| routed)
    {
        cx.error(
            Code::Health,
            node,
            &join(path, "path"),
            format!("health path `{hpath}` must start with / and be at most 1024 characters"),
            None,
        );
    }
    let u = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    Health {
        grace: u(grace),
        interval: u(interval),
        path: hpath,
        timeout: u(timeout),
    }
}

fn port(cx: &mut Cx, n: &Node, path: &str) -> Option<Port> {
    match &n.value {
        Value::Null => None,
        Value::Int(i) => {
            let v = cx.check_range(n, path, i64::try_from(*i).unwrap_or(-1), 1, 65535, "port")?;
            Some(Port {
                port: v as u16,
                scheme: Scheme::Http,
            })
        }
        Value::Str(s) => port_string(cx, n, path, s, None),
        Value::Map(_) => {
            let f = cx.fields(n, path, Place::PortMap)?;
            let scheme = f
                .get("scheme")
                .and_then(|s| cx.string(s, &join(path, "scheme")).map(|t| (t, s)));
            let scheme = match scheme {
                Some((t, node)) => Some(parse_scheme(cx, node, &join(path, "scheme"), &t)?),
                None => None,
            };
            let Some(pn) = f.get("port") else {
                cx.error(Code::Port, n, path, "a port map needs `port`", None);
                return None;
            };
            match &pn.value {
                Value::Int(i) => {
                    let v = cx.check_range(
                        pn,
                        &join(path, "port"),
                        i64::try_from(*i).unwrap_or(-1),
                        1,
                        65535,
                        "port",
                    )?;
                    Some(Port {
                        port: v as u16,
                        scheme: scheme.unwrap_or(Scheme::Http),
                    })
                }
                Value::Str(s) => port_string(cx, pn, &join(path, "port"), s, scheme),
                _ => {
                    cx.wrong_type(pn, &join(path, "port"), "a port number");
                    None
                }
            }
        }
        _ => {
            cx.wrong_type(n, path, "a port (3000, \"https:3000\" or a map)");
            None
        }
    }
}

fn port_string(cx: &mut Cx, n: &Node, path: &str, s: &str, scheme: Option<Scheme>) -> Option<Port> {
    let (sch, num) = match s.rsplit_once(':') {
        Some((a, b)) => (Some(a), b),
        None => (None, s),
    };
    let Ok(v) = num.trim().parse::<i64>() else {
        let help = match s.split_once('/') {
            Some((p, sc)) => format!("write it as scheme:port, e.g. \"{sc}:{p}\""),
            None => "write a number (3000) or scheme:port (\"https:3000\")".into(),
        };
        cx.error(Code::Port, n, path, format!("invalid port `{s}`"), Some(help));
        return None;
    };
    let v = cx.check_range(n, path, v, 1, 65535, "port")?;
    let scheme = match sch {
        Some(t) => parse_scheme(cx, n, path, t)?,
        None => scheme.unwrap_or(Scheme::Http),
    };
    Some(Port { port: v as u16, scheme })
}

fn parse_scheme(cx: &mut Cx, n: &Node, path: &str, t: &str) -> Option<Scheme> {
    if let Some((_, s)) = Scheme::ALL.iter().find(|(name, _)| *name == t) {
        return Some(*s);
    }
    let names = Scheme::ALL.map(|(n, _)| n);
    let help = match suggest(t, names) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("the schemes are {}", names.join(", ")),
    };
    cx.error(Code::Port, n, path, format!("unknown port scheme `{t}`"), Some(help));
    None
}

fn scale(cx: &mut Cx, n: Option<&Node>, path: &str) -> Scale {
    let mut s = Scale {
        count: Count { min: 1, max: 1 },
        cpu: 256,
        memory: 512,
        cooldown: Cooldown { down: 60, up: 60 },
        targets: Targets::default(),
    };
    let Some(n) = n else { return s };
    match &n.value {
        Value::Int(_) | Value::Str(_) => {
            if let Some(c) = count(cx, n, path) {
                s.count = c;
            }
        }
        Value::Null => {
            cx.warn(
                Code::Scale,
                n,
                path,
                "an empty `scale:` gives the service a count of 0 in convox: it will not run",
                Some("remove `scale:` for the default count of 1, or write `scale: 0` if that is intended".into()),
            );
            s.count = Count { min: 0, max: 0 };
        }
        Value::Map(es) => {
            let Some(f) = cx.fields(n, path, Place::Scale) else {
                return s;
            };
            if es.is_empty() {
                s.count = Count { min: 0, max: 0 };
                cx.warn(
                    Code::Scale,
                    n,
                    path,
                    "an empty `scale:` map gives the service a count of 0 in convox",
                    None,
                );
            }
            if let Some(c) = f.get("count").and_then(|c| count(cx, c, &join(path, "count"))) {
                s.count = c;
            }
            for (k, slot) in [("cpu", &mut s.cpu), ("memory", &mut s.memory)] {
                if let Some(v) = f.get(k) {
                    let kp = join(path, k);
                    match cx.int(v, &kp) {
                        Some(0) => cx.warn(
                            Code::Ignored,
                            v,
                            &kp,
                            format!("scale.{k}: 0 is treated as unset: the default applies"),
                            None,
                        ),
                        Some(x) => {
                            if let Some(x) = cx.check_range(v, &kp, x, 1, 1_048_576, &format!("scale.{k}")) {
                                *slot = x;
                            }
                        }
                        None => {}
                    }
                }
            }
            if let Some(c) = f.get("cooldown") {
                let cp = join(path, "cooldown");
                match &c.value {
                    Value::Map(_) => {
                        if let Some(cf) = cx.fields(c, &cp, Place::Cooldown) {
                            for (k, slot) in [("down", &mut s.cooldown.down), ("up", &mut s.cooldown.up)] {
                                if let Some(v) = cf.get(k) {
                                    let kp = join(&cp, k);
                                    if let Some(x) = cx
                                        .int_or_numeric(v, &kp)
                                        .and_then(|x| cx.check_range(v, &kp, x, 0, 86_400, "cooldown"))
                                    {
                                        *slot = x;
                                    }
                                }
                            }
                        }
                    }
                    _ => {
                        if let Some(x) = cx
                            .int_or_numeric(c, &cp)
                            .and_then(|x| cx.check_range(c, &cp, x, 0, 86_400, "cooldown"))
                        {
                            s.cooldown = Cooldown { down: x, up: x };
                        }
                    }
                }
            }
            if let Some(t) = f.get("targets") {
                s.targets = targets(cx, t, &join(path, "targets"));
            }
        }
        _ => cx.wrong_type(n, path, "a count (2, \"1-3\") or a map"),
    }
    if s.count.min > s.count.max {
        cx.error(
            Code::Scale,
            n,
            path,
            format!(
                "scale count minimum ({}) is greater than its maximum ({})",
                s.count.min, s.count.max
            ),
            None,
        );
    }
    s
}

fn count(cx: &mut Cx, n: &Node, path: &str) -> Option<Count> {
    let bad = |cx: &mut Cx, t: &str| {
        let help = if t.ends_with('+') {
            "convox cannot parse `n+`; write a range like \"1-10\""
        } else {
            "write a count (2) or a range (\"1-5\")"
        };
        cx.error(
            Code::Scale,
            n,
            path,
            format!("invalid scale count `{t}`"),
            Some(help.into()),
        );
        None
    };
    match &n.value {
        Value::Int(i) => {
            let v = cx.check_range(n, path, i64::try_from(*i).unwrap_or(-1), 0, 1000, "scale count")?;
            Some(Count { min: v, max: v })
        }
        Value::Str(s) => {
            let t = s.trim();
            let (a, b) = t.split_once('-').unwrap_or((t, t));
            match (a.trim().parse::<i64>(), b.trim().parse::<i64>()) {
                (Ok(a), Ok(b)) => {
                    let a = cx.check_range(n, path, a, 0, 1000, "scale count")?;
                    let b = cx.check_range(n, path, b, 0, 1000, "scale count")?;
                    Some(Count { min: a, max: b })
                }
                _ => bad(cx, t),
            }
        }
        Value::Map(_) => {
            let f = cx.fields(n, path, Place::ScaleCount)?;
            let min = f.get("min").and_then(|v| cx.int_or_numeric(v, &join(path, "min")));
            let max = f.get("max").and_then(|v| cx.int_or_numeric(v, &join(path, "max")));
            let min = cx.check_range(
                f.get("min").unwrap_or(n),
                path,
                min.unwrap_or(0),
                0,
                1000,
                "scale count",
            )?;
            let max = cx.check_range(
                f.get("max").unwrap_or(n),
                path,
                max.unwrap_or(0),
                0,
                1000,
                "scale count",
            )?;
            Some(Count { min, max })
        }
        _ => {
            cx.wrong_type(n, path, "a count (2), a range (\"1-5\") or {min, max}");
            None
        }
    }
}

fn targets(cx: &mut Cx, n: &Node, path: &str) -> Targets {
    let mut t = Targets::default();
    let Some(f) = cx.fields(n, path, Place::Targets) else {
        return t;
    };
    for (k, slot, max) in [
        ("cpu", &mut t.cpu, 100),
        ("memory", &mut t.memory, 100),
        ("requests", &mut t.requests, 1_000_000),
    ] {
        if let Some(v) = f.get(k) {
            *slot = cx.int_in(v, &join(path, k), 1, max, &format!("targets.{k}"));
        }
    }
    if let Some(c) = f.get("custom") {
        let cp = join(path, "custom");
        for (key, knode, body) in cx.named(c, &cp, "a map of Namespace/MetricName to metric targets") {
            let mp = join(&cp, &key);
            let Some((namespace, name)) = key.rsplit_once('/').filter(|(ns, n)| !ns.is_empty() && !n.is_empty()) else {
                cx.error(
                    Code::Scale,
                    knode,
                    &mp,
                    format!("custom metric `{key}` needs a namespace: Namespace/MetricName"),
                    Some("for example AWS/SQS/ApproximateNumberOfMessagesVisible".into()),
                );
                continue;
            };
            let Some(mf) = cx.fields(body, &mp, Place::CustomMetric) else {
                continue;
            };
            let aggregate = match mf.get("aggregate") {
                Some(a) => match cx.string(a, &join(&mp, "aggregate")) {
                    Some(s) => match s.to_ascii_lowercase().as_str() {
                        "avg" => Some(Statistic::Average),
                        "max" => Some(Statistic::Maximum),
                        "min" => Some(Statistic::Minimum),
                        "sum" => Some(Statistic::Sum),
                        _ => {
                            let help = suggest(&s.to_ascii_lowercase(), ["avg", "max", "min", "sum"])
                                .map(|x| format!("did you mean `{x}`?"));
                            cx.error(
                                Code::Scale,
                                a,
                                &join(&mp, "aggregate"),
                                format!("unknown metric statistic `{s}`: use avg, max, min or sum"),
                                help,
                            );
                            None
                        }
                    },
                    None => None,
                },
                None => {
                    cx.error(
                        Code::Scale,
                        knode,
                        &mp,
                        "custom metric needs `aggregate` (avg, max, min or sum)",
                        None,
                    );
                    None
                }
            };
            let value = match mf.get("value") {
                Some(v) => match &v.value {
                    Value::Int(i) if *i > 0 => Some(*i as f64),
                    Value::Float(x) if *x > 0.0 && x.is_finite() => Some(*x),
                    Value::Int(_) | Value::Float(_) => {
                        cx.error(
                            Code::Scale,
                            v,
                            &join(&mp, "value"),
                            "the target value must be greater than 0",
                            None,
                        );
                        None
                    }
                    _ => {
                        cx.wrong_type(v, &join(&mp, "value"), "a number");
                        None
                    }
                },
                None => {
                    cx.error(
                        Code::Scale,
                        knode,
                        &mp,
                        "custom metric needs `value` (the target)",
                        None,
                    );
                    None
                }
            };
            let dimensions = mf
                .get("dimensions")
                .map(|d| cx.string_map(d, &join(&mp, "dimensions")))
                .unwrap_or_default();
            if let (Some(aggregate), Some(value)) = (aggregate, value) {
                t.custom.push(CustomMetric {
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                    aggregate,
                    value,
                    dimensions: dimensions.into_iter().map(|(k, v, _)| (k, v)).collect(),
                });
            }
        }
        t.custom
            .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    }
    t
}
