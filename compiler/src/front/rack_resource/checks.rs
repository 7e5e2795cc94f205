//! The checks of rack-resource options: each value against its option's check, and the checks
//! across options.

use crate::diagnostic::{Code, Severity};
use crate::front::decode::resource_options::check_value;
use crate::ir::rack_resource::{Check, Kind, MAX_NAME, RackOption};
use crate::ir::resource_options::Check as Base;
use crate::ir::resource_options::{CACHE_CLASSES_NOT_CREATED, NEW_CACHE_CLASS};
use std::collections::BTreeMap;

/// One problem found across options.
pub(super) struct Problem {
    pub(super) code: Code,
    pub(super) severity: Severity,
    /// The options it concerns, the first one given is where it points (else the type).
    pub(super) at: Vec<&'static str>,
    pub(super) message: String,
    pub(super) help: Option<String>,
}

/// What is wrong with a value, if anything. An empty value is an error unless the option can be
/// empty: convox reads `key=` as `false`, which means "on" to nobody and is no number.
pub fn check(spec: &RackOption, v: &str) -> Option<String> {
    match spec.check {
        Check::Base(b) => {
            if v.is_empty() {
                return Some(format!("expected {}, not an empty value", expected(b)));
            }
            check_value(b, v)
        }
        Check::OneOf(allowed) => (!allowed.contains(&v)).then(|| {
            let shown: Vec<&str> = allowed
                .iter()
                .map(|a| if a.is_empty() { "\"\" (unset)" } else { a })
                .collect();
            format!("expected one of {}", shown.join(", "))
        }),
        Check::Url(schemes) => url_problem(v, schemes),
        Check::Identifier(max) => {
            let ok = v.starts_with(|c: char| c.is_ascii_alphabetic())
                && v.len() <= max
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            (!ok).then(|| format!("expected a letter, then letters, digits or `_` (at most {max})"))
        }
        Check::ResourceName => {
            let ok = v.is_empty()
                || (v.starts_with(|c: char| c.is_ascii_lowercase())
                    && v.len() <= MAX_NAME
                    && v.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            (!ok).then(|| {
                "expected the name of another resource of this rack (lowercase letters, digits, dashes)".into()
            })
        }
        Check::Family => {
            let ok = v
                .strip_prefix("postgres")
                .is_some_and(|ver| check_value(Base::Version, ver).is_none());
            (!ok).then(|| "expected postgres<major>, like postgres16".into())
        }
        Check::MaxConnections => {
            let ok = v.is_empty()
                || v.parse::<u32>().is_ok_and(|n| n > 0)
                || (v.starts_with('{') && v.ends_with('}') && v.len() > 2);
            (!ok).then(|| "expected a number or a formula like {DBInstanceClassMemory/15000000}".into())
        }
        Check::Snapshot => v
            .contains(char::is_whitespace)
            .then(|| "expected a snapshot identifier or ARN".into()),
        Check::Text => v
            .is_empty()
            .then(|| "expected a format string, not an empty value".into()),
        Check::Generated => Some("never given".into()),
    }
}

fn expected(b: Base) -> String {
    match b {
        Base::Bool | Base::BoolOrEmpty => "true or false".into(),
        Base::Int(lo, hi) => format!("a whole number from {lo} to {hi}"),
        Base::Version => "a version number".into(),
        Base::Prefix(p) => format!("an instance class starting with `{p}`"),
        _ => "a value".into(),
    }
}

/// A help line for a bad value, where there is more to say than the message.
pub fn help(spec: &RackOption) -> Option<String> {
    match spec.check {
        Check::Generated => Some(
            "`convoxc apply` generates the password and passes it as the stack's NoEcho Password parameter; \
             it never appears in a template, an output or the command line"
                .into(),
        ),
        _ => None,
    }
}

/// convox's URL check (`invalid URL scheme: %s. Allowed schemes are: %s`), and a host.
fn url_problem(v: &str, schemes: &[&str]) -> Option<String> {
    if v.is_empty() {
        return Some("must specify a URL".into());
    }
    let Some((scheme, rest)) = v.split_once("://") else {
        return Some(format!(
            "expected a URL like {}://host:port",
            schemes.last().copied().unwrap_or_default()
        ));
    };
    if !schemes.contains(&scheme) {
        return Some(format!(
            "invalid URL scheme: {scheme}. Allowed schemes are: {}",
            schemes.join(", ")
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let (host, port) = match host.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, Some(p)),
        _ => (host, None),
    };
    if host.is_empty() || v.contains(char::is_whitespace) {
        return Some("the URL has no host".into());
    }
    if let Some(p) = port
        && !p.parse::<u16>().is_ok_and(|n| n > 0)
    {
        return Some(format!("`{p}` is not a port number"));
    }
    None
}

/// `postgres<major>`: the parameter-group family of a version (9.6 keeps its minor).
pub fn postgres_family(version: &str) -> String {
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or_default();
    match major.parse::<u32>() {
        Ok(n) if n < 10 => format!("postgres{major}.{}", parts.next().unwrap_or("0")),
        _ => format!("postgres{major}"),
    }
}

fn version_at_least(v: &str, major: u32, minor: u32) -> bool {
    let mut p = v.split('.').map(|x| x.parse::<u32>().unwrap_or(0));
    (p.next().unwrap_or(0), p.next().unwrap_or(0)) >= (major, minor)
}

/// convox's checks across options, and the ones CloudFormation would otherwise fail on.
pub(super) fn cross_check(
    kind: Kind,
    o: &BTreeMap<&'static str, String>,
    given: &BTreeMap<&'static str, (String, crate::source::Span)>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut error = |at: Vec<&'static str>, message: String, help: Option<&str>| {
        out.push(Problem {
            code: Code::ResourceOption,
            severity: Severity::Error,
            at,
            message,
            help: help.map(str::to_string),
        })
    };
    match kind {
        Kind::Syslog | Kind::Webhook if o["Url"].is_empty() => error(
            vec!["Url"],
            "must specify a URL".into(),
            Some(if kind == Kind::Syslog {
                "add Url=tcp+tls://host:port (tcp, tcp+tls or udp)"
            } else {
                "add Url=https://…"
            }),
        ),
        Kind::Redis | Kind::Valkey => {
            if o["AutomaticFailoverEnabled"] == "true" && o["NumCacheClusters"] == "1" {
                error(
                    vec!["AutomaticFailoverEnabled", "NumCacheClusters"],
                    "AutomaticFailoverEnabled=true must be accompanied with NumCacheClusters=2 or higher".into(),
                    Some("add NumCacheClusters=2"),
                );
            }
            let engine = o.get("Engine").map_or("valkey", String::as_str);
            let v = &o["EngineVersion"];
            if engine == "valkey" && !version_at_least(v, 7, 2) {
                error(
                    vec!["EngineVersion", "Engine"],
                    format!("valkey has no version {v}: ElastiCache offers valkey 7.2 and later"),
                    None,
                );
            } else if engine == "redis" && version_at_least(v, 7, 2) {
                error(
                    vec!["EngineVersion", "Engine"],
                    format!("ElastiCache has no redis {v}: its last redis is 7.1 (later versions are valkey)"),
                    Some("use Engine=valkey, or the valkey resource type"),
                );
            }
        }
        Kind::Postgres => {
            if let Some((family, _)) = given.get("Family") {
                let want = postgres_family(&o["EngineVersion"]);
                if *family != want {
                    error(
                        vec!["Family", "EngineVersion"],
                        format!(
                            "Family {family} does not match EngineVersion {} (its family is {want})",
                            o["EngineVersion"]
                        ),
                        Some("leave Family out: it follows EngineVersion"),
                    );
                }
            }
        }
        _ => {}
    }
    if matches!(kind, Kind::Redis | Kind::Valkey | Kind::Memcached)
        && let Some((class, _)) = given.get("InstanceType")
        && let Some(old) = CACHE_CLASSES_NOT_CREATED.iter().find(|p| class.starts_with(*p))
    {
        out.push(Problem {
            code: Code::ResourceOption,
            severity: Severity::Warning,
            at: vec!["InstanceType"],
            message: format!(
                "ElastiCache no longer creates clusters on {old}* node types: a new resource with InstanceType={class} fails to create (one that exists keeps running)"
            ),
            help: Some(format!("use a current node type such as {NEW_CACHE_CLASS} or cache.t4g.micro")),
        });
    }
    if matches!(kind, Kind::Mysql | Kind::Postgres) && !o["DatabaseSnapshotIdentifier"].is_empty() {
        for (k, why) in [
            ("Encrypted", "a restored database is encrypted as its snapshot is"),
            ("Database", "a restored database keeps the snapshot's databases"),
        ] {
            if given.contains_key(k) {
                out.push(Problem {
                    code: Code::Ignored,
                    severity: Severity::Warning,
                    at: vec![k],
                    message: format!("{k} is ignored when restoring from DatabaseSnapshotIdentifier: {why}"),
                    help: None,
                });
            }
        }
    }
    out
}
