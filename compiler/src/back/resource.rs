//! The view model of an app resource's nested stack (`templates/resources/`): its engine, port,
//! zones and tags, and what the app stack passes a service for it (its URL, or the secret that
//! holds its URL and password).

use super::options::Keep;
use super::values::{sub_with, user_tags};
use crate::ir::naming::{has_secret, resource_id, url_template};
use crate::ir::resource_options;
use crate::ir::{App, Resource, ResourceType};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A parameter group of the database's family with the one parameter that refuses connections
/// without TLS.
#[derive(Serialize)]
struct TlsGroup {
    family: String,
    parameter: &'static str,
    value: &'static str,
}

#[derive(Serialize)]
pub struct ResourceView {
    pub name: String,
    /// The rack's availability zones (its MaxAvailabilityZones, 3 unless rack params say 2):
    /// an EFS file system needs a mount target in each zone the instances run in.
    zones: Vec<usize>,
    pub(super) logical: String,
    #[serde(rename = "type")]
    kind: &'static str,
    engine: &'static str,
    default_version: String,
    /// A database's default parameter group for its version (`default.postgres16`,
    /// `default.mysql8.0`), named as convox names it when no `parameterGroupName` is given.
    default_parameter_group: Option<String>,
    port: u16,
    /// Encrypted at rest and in transit (`Resource::encrypted`).
    encrypted: bool,
    /// efs: with a KMS key of its own (the manifest's `encrypted: true`, as convox does); by
    /// default, the AWS-managed key.
    own_key: bool,
    /// A database that is a read replica (its storage encryption is its source's).
    replica: bool,
    /// A database's own parameter group that requires TLS, when it gets one.
    tls: Option<TlsGroup>,
    /// The `Storage` parameter's `MinValue`: gp2's 20 GiB, or the manifest's size below it (a
    /// database that exists keeps what it has; a new one is refused where the deployed stack is
    /// known, `diff::refusals`, and warned about offline).
    storage_min: i64,
    /// The main resource's `Metadata`: the create-only properties whose value is convoxc's
    /// default, not the manifest's (`convoxc.Defaults`: an existing resource keeps its own values
    /// there, the deployed value wins, `diff::keeps`), the checkov checks an unencrypted one
    /// skips and why, cfn-lint's exceptions.
    metadata: Value,
    /// The resource's `tags:`, on every taggable resource of its stack.
    tags: BTreeMap<String, String>,
    #[serde(skip)]
    pub(super) ir: Resource,
}

impl ResourceView {
    pub(super) fn new(ir: &App, r: &Resource, keep: &[Keep]) -> ResourceView {
        let zones = match ir.rack.as_ref().and_then(|p| p.get("MaxAvailabilityZones")) {
            Some("2") => 2,
            _ => 3,
        };
        let (engine, port) = resource_engine(r.kind);
        let default_version = resource_options::options(r.kind)
            .iter()
            .find(|o| o.param == "Version")
            .map(|o| o.default.to_string())
            .unwrap_or_default();
        let version = r
            .options
            .get("Version")
            .map_or(default_version.as_str(), String::as_str);
        let default_parameter_group = default_parameter_group(engine, version);
        let logical = resource_id(&r.logical_name);
        let sql = matches!(
            r.kind,
            ResourceType::Postgres | ResourceType::Mysql | ResourceType::Mariadb
        );
        let option = |k: &str| r.options.get(k).map_or("", String::as_str);
        let encrypted = r.encrypted();
        let replica = sql && !option("ReadSourceDB").is_empty() && option("PromotedFromReplica") != "true";
        // an existing database that keeps its parameter group keeps accepting what it accepted
        let group_kept = keep.iter().any(|k| {
            k.stack.last() == Some(&logical)
                && k.resource == "Instance"
                && k.pointer == "/Properties/DBParameterGroupName"
        });
        let tls = (sql && encrypted && option("ParameterGroupName").is_empty() && !group_kept)
            .then(|| {
                let family = default_parameter_group
                    .as_deref()?
                    .strip_prefix("default.")?
                    .to_string();
                let (parameter, value) = resource_options::tls_parameter(engine, version)?;
                Some(TlsGroup {
                    family,
                    parameter,
                    value,
                })
            })
            .flatten();
        let mut defaults = Vec::new();
        if r.encryption_defaulted() && r.kind != ResourceType::Memcached {
            defaults.extend(match r.kind {
                ResourceType::Redis | ResourceType::Valkey => {
                    &["AtRestEncryptionEnabled", "AuthToken", "TransitEncryptionEnabled"][..]
                }
                ResourceType::Efs => &["Encrypted", "KmsKeyId"][..],
                _ if replica => &[][..],
                _ => &["StorageEncrypted"][..],
            });
        }
        if tls.is_some() {
            defaults.push("DBParameterGroupName");
        }
        // a new cache gets a node type ElastiCache still creates; one that exists keeps its own
        let cache = matches!(
            r.kind,
            ResourceType::Redis | ResourceType::Valkey | ResourceType::Memcached
        );
        let mut ir_resource = r.clone();
        if cache && option("Class").is_empty() {
            defaults.push("CacheNodeType");
            ir_resource
                .options
                .insert("Class".into(), resource_options::NEW_CACHE_CLASS.into());
        }
        let mut metadata = serde_json::Map::new();
        if matches!(r.kind, ResourceType::Redis | ResourceType::Valkey) || sql {
            // W1011 prefers a Secrets Manager dynamic reference; the password is a NoEcho
            // parameter by design (generated by convoxc's applier and kept in SSM), never text
            metadata.insert("cfn-lint".into(), json!({"config": {"ignore_checks": ["W1011"]}}));
        }
        if !defaults.is_empty() {
            metadata.insert("convoxc".into(), json!({ "Defaults": defaults }));
        }
        let unencrypted: &[&str] = match r.kind {
            _ if encrypted || replica => &[],
            ResourceType::Redis | ResourceType::Valkey => &["CKV_AWS_29", "CKV_AWS_30", "CKV_AWS_31"],
            ResourceType::Efs => &["CKV_AWS_42"],
            ResourceType::Memcached => &[],
            _ => &["CKV_AWS_16"],
        };
        if !unencrypted.is_empty() {
            let why = "unencrypted because the manifest says `encrypted: false`, or because it exists unencrypted \
                       and convoxc keeps it as deployed (it encrypts new ones)";
            let skip: Vec<Value> = unencrypted.iter().map(|id| json!({"id": id, "comment": why})).collect();
            metadata.insert("checkov".into(), json!({ "skip": skip }));
        }
        let storage_min = option("Storage")
            .parse::<i64>()
            .map_or(resource_options::RDS_STORAGE.0, |s| {
                s.min(resource_options::RDS_STORAGE.0)
            });
        ResourceView {
            storage_min,
            zones: (0..zones).collect(),
            name: r.name.clone(),
            logical,
            kind: r.kind.as_str(),
            engine,
            default_version,
            default_parameter_group,
            port,
            encrypted,
            own_key: r.kind == ResourceType::Efs && option("Encrypted") == "true",
            replica,
            tls,
            metadata: Value::Object(metadata),
            tags: user_tags(&r.tags),
            ir: ir_resource,
        }
    }

    pub fn templates(&self) -> [&'static str; 1] {
        [match self.ir.kind {
            ResourceType::Postgres | ResourceType::Mysql | ResourceType::Mariadb => "resources/rds.json",
            ResourceType::Redis | ResourceType::Valkey => "resources/elasticache.json",
            ResourceType::Memcached => "resources/memcached.json",
            ResourceType::Efs => "resources/efs.json",
        }]
    }
    /// Databases always; caches when encrypted (the auth token).
    pub(super) fn needs_password(&self) -> bool {
        match self.ir.kind {
            ResourceType::Efs | ResourceType::Memcached => false,
            ResourceType::Redis | ResourceType::Valkey => self.encrypted,
            _ => true,
        }
    }

    /// The parameters the app stack passes the resource's stack: its options, except those
    /// compiled into its template (encryption; the parameter group, when it is the database's own).
    pub(super) fn parameters(&self) -> impl Iterator<Item = (&String, &String)> {
        let compiled = self.ir.kind != ResourceType::Memcached;
        let own_group = self.tls.is_some();
        self.ir.options.iter().filter(move |(k, _)| {
            let set_here = (compiled && k.as_str() == "Encrypted") || (own_group && k.as_str() == "ParameterGroupName");
            !set_here
        })
    }

    /// The secret string of a resource whose URL or password holds the password: JSON with
    /// `url` and `password`, built by CloudFormation from the NoEcho ResourcePassword (letters
    /// and digits only, so it needs no JSON escaping).
    pub(super) fn secret(&self) -> Option<Value> {
        let r = self;
        if !has_secret(&r.ir) {
            return None;
        }
        let url = url_template(&r.ir);
        let out = |o: &str| json!({"Fn::GetAtt": [&r.logical, format!("Outputs.{o}")]});
        Some(sub_with(
            &format!("{{\"url\":\"{url}\",\"password\":\"${{ResourcePassword}}\"}}"),
            json!({"Host": out("Host"), "Port": out("Port")}),
        ))
    }

    /// The values a service gets for a linked resource (`Resource<R>`, `…User`, … or the efs ids).
    pub(super) fn values(&self) -> Vec<(String, Value)> {
        let r = self;
        let l = &r.logical;
        let out = |o: &str| json!({"Fn::GetAtt": [l, format!("Outputs.{o}")]});
        let vars = json!({"Host": out("Host"), "Port": out("Port")});
        match r.ir.kind {
            ResourceType::Efs => vec![
                (format!("{l}FileSystemId"), out("FileSystemId")),
                (format!("{l}AccessPointId"), out("AccessPointId")),
            ],
            kind => {
                // the names convox gives databases; caches have none
                let sql = matches!(
                    kind,
                    ResourceType::Postgres | ResourceType::Mysql | ResourceType::Mariadb
                );
                let (user, name) = if sql { ("app", "app") } else { ("", "") };
                let mut values = vec![
                    (format!("{l}User"), json!(user)),
                    (format!("{l}Host"), out("Host")),
                    (format!("{l}Port"), out("Port")),
                    (format!("{l}Name"), json!(name)),
                ];
                if has_secret(&r.ir) {
                    // the URL and the password come from the resource's secret (ECS secrets)
                    values.push((format!("{l}Secret"), json!({ "Ref": format!("{l}Secret") })));
                } else {
                    values.push((l.clone(), sub_with(url_template(&r.ir), vars.clone())));
                    values.push((format!("{l}Pass"), json!("")));
                }
                values
            }
        }
    }
}

/// RDS's default parameter group of an engine version: its family is `postgres<major>` from
/// PostgreSQL 10 on (`postgres<major>.<minor>` before), `mysql<major>.<minor>` and
/// `mariadb<major>.<minor>`.
fn default_parameter_group(engine: &str, version: &str) -> Option<String> {
    let mut parts = version.split('.');
    let major = parts.next().filter(|m| !m.is_empty())?;
    let minor = parts.next();
    let family = match (engine, minor) {
        ("postgres", _) if major.parse::<u32>().is_ok_and(|m| m >= 10) => format!("postgres{major}"),
        ("postgres" | "mysql" | "mariadb", Some(minor)) => format!("{engine}{major}.{minor}"),
        _ => return None,
    };
    Some(format!("default.{family}"))
}

fn resource_engine(kind: ResourceType) -> (&'static str, u16) {
    match kind {
        ResourceType::Postgres => ("postgres", 5432),
        ResourceType::Mysql => ("mysql", 3306),
        ResourceType::Mariadb => ("mariadb", 3306),
        ResourceType::Redis => ("redis", 6379),
        ResourceType::Valkey => ("valkey", 6379),
        ResourceType::Memcached => ("memcached", 11211),
        ResourceType::Efs => ("efs", 2049),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_parameter_groups_follow_rds_families() {
        let g = |e, v| default_parameter_group(e, v);
        assert_eq!(g("postgres", "16").as_deref(), Some("default.postgres16"));
        assert_eq!(g("postgres", "12.4").as_deref(), Some("default.postgres12"));
        assert_eq!(g("postgres", "9.6").as_deref(), Some("default.postgres9.6"));
        assert_eq!(g("mysql", "8.0.35").as_deref(), Some("default.mysql8.0"));
        assert_eq!(g("mariadb", "10.5").as_deref(), Some("default.mariadb10.5"));
        assert_eq!(g("mysql", "8"), None);
        assert_eq!(g("redis", "7.1"), None);
    }
    use crate::ir::naming::linked_parameter_names;

    #[test]
    fn linked_parameter_names_are_the_values_keys() {
        let resource = |name: &str, kind: ResourceType, encrypted: bool| Resource {
            name: name.into(),
            logical_name: crate::names::upper_name(name),
            kind,
            options: if encrypted {
                BTreeMap::from([("Encrypted".to_string(), "true".to_string())])
            } else {
                BTreeMap::new()
            },
            tags: BTreeMap::new(),
        };
        let app = App {
            environment: Vec::new(),
            params: BTreeMap::new(),
            resources: vec![
                resource("pg", ResourceType::Postgres, false),
                resource("my", ResourceType::Mysql, false),
                resource("ma", ResourceType::Mariadb, false),
                resource("re", ResourceType::Redis, false),
                resource("rs", ResourceType::Redis, true),
                resource("va", ResourceType::Valkey, false),
                resource("me", ResourceType::Memcached, false),
                resource("fs", ResourceType::Efs, false),
            ],
            services: Vec::new(),
            timers: Vec::new(),
            rack: None,
        };
        for r in &app.resources {
            let view = ResourceView::new(&app, r, &[]);
            let mut keys: Vec<String> = view.values().into_iter().map(|(k, _)| k).collect();
            let mut names = linked_parameter_names(r);
            keys.sort();
            names.sort();
            assert_eq!(keys, names, "{}", r.name);
        }
    }
}
