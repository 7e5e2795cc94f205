//! `services:` → IR services: the service's own keys, build, command, agent, volumes; its
//! domains, health check, port and scaling have their own files.

use super::domains::domains;
use super::environment::env_list;
use super::health::health;
use super::nlb;
use super::ports::port;
use super::scale::scale;
use crate::diagnostic::Code;
use crate::front::cx::{Cx, Fields, index, join};
use crate::front::keys::Place;
use crate::front::yaml::{Node, Value};
use crate::ir::*;
use crate::names::upper_name;

pub(super) fn service(cx: &mut Cx, name: &str, key: &Node, body: &Node, global_env: &[EnvDecl]) -> Option<Service> {
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
        .map(|n| nlb::entries(cx, name, n, &p("nlb")))
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

    let links = f.get("links").map(|n| cx.name_list(n, &p("links"))).unwrap_or_default();
    let policies = f
        .get("policies")
        .map(|n| cx.name_list(n, &p("policies")))
        .unwrap_or_default();
    let resources = f
        .get("resources")
        .map(|n| cx.name_list(n, &p("resources")))
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
        links,
        nlb,
        policies,
        port,
        privileged: flag(cx, &f, &path, "privileged").unwrap_or(false),
        resources,
        scale,
        singleton,
        sticky,
        tags: tags.into_iter().map(|(k, v, _)| (k, v)).collect(),
        termination,
        test,
        volumes,
    })
}

/// `src[:dst]`; whether `src` is an efs resource is decided in `front::check`.
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
