//! A checked rack resource → its stack template. What is not layout (ports, engines, subnets,
//! the URL's shape, which resources exist) is decided here; `templates/rack-resources/` lays
//! out CloudFormation.

use super::render::{RenderError, Renderer, import};
use super::template::Template;
use crate::ir::rack_resource::{Kind, Resource};
use crate::ir::resource_options;
use crate::names::upper_name;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "rack-resources/_stack.json",
        include_str!("../../../templates/rack-resources/_stack.json"),
    ),
    (
        "rack-resources/_network.json",
        include_str!("../../../templates/rack-resources/_network.json"),
    ),
    (
        "rack-resources/_credentials.json",
        include_str!("../../../templates/rack-resources/_credentials.json"),
    ),
    (
        "rack-resources/_forwarder.json",
        include_str!("../../../templates/rack-resources/_forwarder.json"),
    ),
    (
        "rack-resources/memcached.json",
        include_str!("../../../templates/rack-resources/memcached.json"),
    ),
    (
        "rack-resources/rds.json",
        include_str!("../../../templates/rack-resources/rds.json"),
    ),
    (
        "rack-resources/redis.json",
        include_str!("../../../templates/rack-resources/redis.json"),
    ),
    (
        "rack-resources/s3.json",
        include_str!("../../../templates/rack-resources/s3.json"),
    ),
    (
        "rack-resources/sns.json",
        include_str!("../../../templates/rack-resources/sns.json"),
    ),
    (
        "rack-resources/sqs.json",
        include_str!("../../../templates/rack-resources/sqs.json"),
    ),
    (
        "rack-resources/syslog.json",
        include_str!("../../../templates/rack-resources/syslog.json"),
    ),
    (
        "rack-resources/webhook.json",
        include_str!("../../../templates/rack-resources/webhook.json"),
    ),
];

/// The Lambda forwarders' code (ours, inline as `Code.ZipFile`; nothing is fetched).
pub const SYSLOG_CODE: &str = include_str!("../../../templates/rack-resources/syslog.py");
pub const WEBHOOK_CODE: &str = include_str!("../../../templates/rack-resources/webhook.py");

/// Everything a rack-resource template needs.
#[derive(Serialize)]
struct View<'a> {
    r#type: &'static str,
    name: &'a str,
    /// Default of the `Rack` parameter.
    rack: Option<&'a str>,
    private: bool,
    /// Every option, resolved (strings, as given or defaulted).
    o: &'a BTreeMap<&'static str, String>,
    /// Options recorded in the template's Metadata: all of them (a forwarder's URL masked), with
    /// those given marked.
    shown: BTreeMap<&'static str, String>,
    given: &'a [&'static str],
    /// The subnets databases, caches and a private forwarder go in (rack exports).
    subnets: Vec<Value>,
    /// Port the security group opens (databases and caches).
    port: u16,
    engine: &'static str,
    tags: Vec<Value>,
    /// `Fn::Sub` text of the URL output (no secret in it).
    url: String,
    /// RDS: restoring from a snapshot; its own KMS key.
    restore: bool,
    kms_key: bool,
    /// Databases and caches: encrypted (at rest and in transit; unless `Encrypted=false`).
    encrypted: bool,
    /// Databases: the parameter that refuses connections without TLS, when encrypted.
    tls: Option<(&'static str, &'static str)>,
    /// Databases: the parameter-group family.
    family: String,
    /// The ARN of another rack resource (s3 Topic, sns Queue), as an intrinsic.
    target_arn: Option<Value>,
    /// Forwarders: the URL without what may be secret (user, password, path, query): the rest
    /// of it is a NoEcho parameter and a secret.
    masked_url: String,
    /// Forwarders: the code, its environment, and whether it runs in the rack's VPC.
    code: &'static str,
    env: BTreeMap<&'static str, &'a str>,
    vpc: bool,
    /// syslog: (logical ID, log group) of each linked app's subscription filter.
    links: Vec<(String, &'a str)>,
}

/// A URL with only its scheme and host (and port): `https://hooks.slack.com/…`,
/// `tcp+tls://logs.example.com:6514`. A webhook's token is in its path or query, a syslog
/// server's credentials before the host.
pub fn masked(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (authority, tail) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let hidden = authority.contains('@') || !tail.trim_start_matches('/').is_empty();
    format!("{scheme}://{host}{}", if hidden { "/…" } else { "" })
}

fn tag(k: &str, v: Value) -> Value {
    json!({"Key": k, "Value": v})
}

/// Compile a checked rack resource to its stack template.
pub fn build(r: &Resource) -> Result<Template, RenderError> {
    let mut renderer = Renderer::new()?;
    renderer.add_templates(TEMPLATES)?;
    let o = &r.options;
    let truthy = |k: &str| o.get(k).is_some_and(|v| v == "true");
    // unset is encrypted: only `false` turns it off
    let encrypted = matches!(r.kind, Kind::Mysql | Kind::Postgres | Kind::Redis | Kind::Valkey)
        && o.get("Encrypted").is_none_or(|v| v != "false");
    let subnets = if r.private {
        ["SubnetPrivate0", "SubnetPrivate1"]
    } else {
        ["Subnet0", "Subnet1"]
    };
    let (port, engine) = match r.kind {
        Kind::Memcached => (11211, "memcached"),
        Kind::Mysql => (3306, "mysql"),
        Kind::Postgres => (5432, "postgres"),
        Kind::Redis if o["Engine"] == "valkey" => (6379, "valkey"),
        Kind::Redis => (6379, "redis"),
        Kind::Valkey => (6379, "valkey"),
        _ => (0, ""),
    };
    let restore = o.get("DatabaseSnapshotIdentifier").is_some_and(|s| !s.is_empty());
    let url = match r.kind {
        Kind::Memcached => {
            "${CacheCluster.ConfigurationEndpoint.Address}:${CacheCluster.ConfigurationEndpoint.Port}".into()
        }
        Kind::Mysql | Kind::Postgres => format!(
            "{engine}://{}@${{Instance.Endpoint.Address}}:${{Instance.Endpoint.Port}}/{}",
            o["Username"], o["Database"]
        ),
        Kind::Redis | Kind::Valkey => format!(
            "{}://${{ReplicationGroup.PrimaryEndPoint.Address}}:${{ReplicationGroup.PrimaryEndPoint.Port}}/{}",
            if encrypted { "rediss" } else { "redis" },
            o["Database"]
        ),
        Kind::S3 => "s3://${Bucket}".into(),
        Kind::Sns => "sns://${Topic}".into(),
        Kind::Sqs | Kind::Syslog | Kind::Webhook => String::new(), // written in the template
    };
    let other = |service: &str, key: &str| {
        o.get(key).filter(|v| !v.is_empty()).map(|v| {
            json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:${{Rack}}-{v}")})
        })
    };
    let view = View {
        r#type: r.kind.as_str(),
        name: &r.name,
        rack: r.rack.as_deref(),
        private: r.private,
        o,
        shown: o
            .iter()
            .map(|(k, v)| (*k, if *k == "Url" { masked(v) } else { v.clone() }))
            .collect(),
        given: &r.given,
        subnets: subnets.iter().map(|s| import(s)).collect(),
        port,
        engine,
        tags: vec![
            tag("Name", json!(r.name)),
            tag("Rack", json!({"Ref": "Rack"})),
            tag("Resource", json!(r.kind.as_str())),
            tag("System", json!("convox")),
            tag("Type", json!("resource")),
        ],
        url,
        restore,
        kms_key: truthy("Encrypted") && !restore,
        encrypted,
        tls: encrypted
            .then(|| resource_options::tls_parameter(engine, &o["EngineVersion"]))
            .flatten(),
        family: match engine {
            "postgres" => o.get("Family").cloned().unwrap_or_default(),
            _ => {
                let mut v = o.get("EngineVersion").map_or("", String::as_str).split('.');
                format!("{engine}{}.{}", v.next().unwrap_or(""), v.next().unwrap_or("0"))
            }
        },
        target_arn: other("sns", "Topic").or_else(|| other("sqs", "Queue")),
        code: match r.kind {
            Kind::Syslog => SYSLOG_CODE,
            Kind::Webhook => WEBHOOK_CODE,
            _ => "",
        },
        masked_url: o.get("Url").map(|u| masked(u)).unwrap_or_default(),
        env: match r.kind {
            Kind::Syslog => BTreeMap::from([("SYSLOG_FORMAT", o["Format"].as_str())]),
            _ => BTreeMap::new(),
        },
        vpc: r.private && r.kind == Kind::Syslog,
        links: r
            .links
            .iter()
            .map(|l| (format!("Link{}", upper_name(&l.app)), l.log_group.as_str()))
            .collect(),
    };
    let body = match r.kind {
        Kind::Memcached => "memcached.json",
        Kind::Mysql | Kind::Postgres => "rds.json",
        Kind::Redis | Kind::Valkey => "redis.json",
        Kind::S3 => "s3.json",
        Kind::Sns => "sns.json",
        Kind::Sqs => "sqs.json",
        Kind::Syslog => "syslog.json",
        Kind::Webhook => "webhook.json",
    };
    let mut parts = vec!["rack-resources/_stack.json".to_string()];
    parts.extend(
        match r.kind {
            Kind::Memcached | Kind::Mysql | Kind::Postgres | Kind::Redis | Kind::Valkey => Some("_network.json"),
            Kind::S3 | Kind::Sns | Kind::Sqs => Some("_credentials.json"),
            Kind::Syslog | Kind::Webhook => Some("_forwarder.json"),
        }
        .map(|p| format!("rack-resources/{p}")),
    );
    parts.push(format!("rack-resources/{body}"));
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    renderer.template(&parts, &view)
}
