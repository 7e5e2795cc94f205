//! App resource types and their options (reference §2.4): each option is a parameter of the
//! resource's nested stack. Option keys are matched through convox's `upperName`, so
//! `deletionProtection`, `owner-gid` and `owner_gid` all name their parameter.

use crate::cx::{Cx, join};
use crate::diagnostic::Code;
use crate::ir::ResourceType;
use crate::names::{suggest, upper_name};
use crate::source::Span;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    Any,
    Bool,
    /// true, false or empty
    BoolOrEmpty,
    Int(i64, i64),
    Version,
    Prefix(&'static str),
    /// hh:mm-hh:mm (UTC)
    Window,
    Octal,
}

/// One option of a resource type: the nested-stack parameter, its default and its check.
#[derive(Clone, Copy, Debug)]
pub struct OptionSpec {
    pub param: &'static str,
    pub default: &'static str,
    pub check: Check,
    pub description: &'static str,
}

const fn o(param: &'static str, default: &'static str, check: Check, description: &'static str) -> OptionSpec {
    OptionSpec {
        param,
        default,
        check,
        description,
    }
}

macro_rules! rds {
    ($version:literal) => {
        &[
            o(
                "BackupRetentionPeriod",
                "1",
                Check::Int(0, 35),
                "days of automated backups to keep",
            ),
            o("Class", "db.t3.micro", Check::Prefix("db."), "RDS instance class"),
            o(
                "DeletionProtection",
                "false",
                Check::Bool,
                "refuse to delete the database",
            ),
            o("Durable", "false", Check::Bool, "Multi-AZ deployment"),
            o("Encrypted", "", Check::BoolOrEmpty, "encrypt storage at rest"),
            o(
                "Iops",
                "0",
                Check::Int(0, 256_000),
                "provisioned IOPS (io2 storage) or 0 for gp2",
            ),
            o(
                "ParameterGroupName",
                "",
                Check::Any,
                "DB parameter group (default: the engine's default group)",
            ),
            o(
                "PreferredBackupWindow",
                "",
                Check::Window,
                "daily backup window, hh:mm-hh:mm UTC",
            ),
            o(
                "PromotedFromReplica",
                "",
                Check::Any,
                "set when a read replica was promoted",
            ),
            o(
                "ReadSourceDB",
                "",
                Check::Any,
                "make this a read replica of another database",
            ),
            o("Snapshot", "", Check::Any, "snapshot identifier to restore from"),
            o("Storage", "20", Check::Int(5, 65_536), "allocated storage in GB"),
            o("Version", $version, Check::Version, "engine version"),
        ]
    };
}

const POSTGRES: &[OptionSpec] = rds!("12");
const MYSQL: &[OptionSpec] = rds!("5.7");
const MARIADB: &[OptionSpec] = rds!("10.4");

const CACHE_CLASS: OptionSpec = o(
    "Class",
    "cache.t2.micro",
    Check::Prefix("cache."),
    "ElastiCache node type",
);

/// redis and valkey (ElastiCache replication groups) differ only in their default version.
macro_rules! replication_group {
    ($version:literal) => {
        &[
            CACHE_CLASS,
            o("Durable", "false", Check::Bool, "automatic failover across zones"),
            o(
                "Encrypted",
                "false",
                Check::Bool,
                "at-rest and in-transit encryption (with an auth token)",
            ),
            o("Nodes", "1", Check::Int(1, 6), "number of cache clusters"),
            o("Version", $version, Check::Version, "engine version"),
        ]
    };
}

const REDIS: &[OptionSpec] = replication_group!("7.0");
const VALKEY: &[OptionSpec] = replication_group!("8.1");
const MEMCACHED: &[OptionSpec] = &[
    CACHE_CLASS,
    o(
        "Encrypted",
        "",
        Check::BoolOrEmpty,
        "accepted for compatibility; memcached is not encrypted",
    ),
    o("Nodes", "1", Check::Int(1, 40), "number of cache nodes"),
    o("Version", "1.4", Check::Version, "engine version"),
];
const EFS: &[OptionSpec] = &[
    o(
        "Encrypted",
        "false",
        Check::Bool,
        "encrypt the file system with a KMS key of its own",
    ),
    o(
        "OwnerGid",
        "1000",
        Check::Int(0, 4_294_967_295),
        "group owning the root directory",
    ),
    o(
        "OwnerUid",
        "1000",
        Check::Int(0, 4_294_967_295),
        "user owning the root directory",
    ),
    o("Path", "/", Check::Any, "root directory of the access point"),
    o("Permissions", "0777", Check::Octal, "permissions of the root directory"),
];

pub fn options(kind: ResourceType) -> &'static [OptionSpec] {
    match kind {
        ResourceType::Postgres => POSTGRES,
        ResourceType::Mysql => MYSQL,
        ResourceType::Mariadb => MARIADB,
        ResourceType::Redis => REDIS,
        ResourceType::Valkey => VALKEY,
        ResourceType::Memcached => MEMCACHED,
        ResourceType::Efs => EFS,
    }
}

/// Match the manifest's options to the type's parameters, check values, fill defaults.
pub fn resolve_options(
    cx: &mut Cx,
    kind: ResourceType,
    path: &str,
    given: Vec<(String, String, Span)>,
) -> BTreeMap<String, String> {
    let specs = options(kind);
    let mut out: BTreeMap<String, String> = specs
        .iter()
        .map(|s| (s.param.to_string(), s.default.to_string()))
        .collect();
    let mut seen: BTreeMap<&'static str, String> = BTreeMap::new();
    for (key, value, span) in given {
        let p = join(&join(path, "options"), &key);
        let at = |cx: &Cx, code: Code, msg: String, help: Option<String>| {
            crate::diagnostic::Diagnostic::new(code, cx.source, span, &p, msg).help_opt(help)
        };
        let param = upper_name(&key);
        let Some(spec) = specs.iter().find(|s| s.param == param) else {
            let help = if ["Password", "ResourcePassword"].contains(&param.as_str()) {
                Some("resource passwords are generated by convoxc and passed as NoEcho parameters; never write them in convox.yml".into())
            } else {
                let names: Vec<String> = specs.iter().map(|s| lower_first(s.param)).collect();
                match suggest(&key, names.iter().map(String::as_str)) {
                    Some(s) => Some(format!("did you mean `{s}`?")),
                    None => Some(format!("{} options: {}", kind.as_str(), names.join(", "))),
                }
            };
            let d = at(
                cx,
                Code::ResourceOption,
                format!("{} resources have no option `{key}`", kind.as_str()),
                help,
            );
            cx.push(d);
            continue;
        };
        if let Some(prev) = seen.insert(spec.param, key.clone()) {
            let d = at(
                cx,
                Code::ResourceOption,
                format!("option `{key}` sets the same parameter as `{prev}` ({})", spec.param),
                None,
            );
            cx.push(d);
        }
        let mut value = value;
        if spec.param == "Version"
            && matches!(
                kind,
                ResourceType::Redis | ResourceType::Valkey | ResourceType::Memcached
            )
            && !value.contains('.')
        {
            value.push_str(".0"); // convox appends .0 to a cache version without a dot
        }
        if let Some(problem) = check_value(spec.check, &value) {
            let d = at(
                cx,
                Code::ResourceOption,
                format!("invalid value `{value}` for option `{key}`: {problem}"),
                None,
            );
            cx.push(d);
            continue;
        }
        out.insert(spec.param.to_string(), value);
    }
    // automatic failover needs a replica
    if matches!(kind, ResourceType::Redis | ResourceType::Valkey)
        && out.get("Durable").is_some_and(|d| d == "true")
        && out.get("Nodes").is_some_and(|n| n == "1")
    {
        let d = crate::diagnostic::Diagnostic::new(
            Code::ResourceOption,
            cx.source,
            cx.spans
                .get(&join(&join(path, "options"), "durable"))
                .copied()
                .unwrap_or_default(),
            join(&join(path, "options"), "durable"),
            "durable (automatic failover) needs at least 2 nodes",
        )
        .help("set `nodes: 2` or more");
        cx.push(d);
    }
    out
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

pub(crate) fn check_value(check: Check, v: &str) -> Option<String> {
    match check {
        Check::Any => None,
        Check::Bool => (!matches!(v, "true" | "false")).then(|| "expected true or false".into()),
        Check::BoolOrEmpty => (!matches!(v, "true" | "false" | "")).then(|| "expected true or false".into()),
        Check::Int(lo, hi) => match v.parse::<i64>() {
            Ok(n) if (lo..=hi).contains(&n) => None,
            Ok(_) => Some(format!("expected a whole number from {lo} to {hi}")),
            Err(_) => Some("expected a whole number".into()),
        },
        Check::Version => {
            let ok = !v.is_empty()
                && v.split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            (!ok).then(|| "expected a version number like 14 or 7.1".into())
        }
        Check::Prefix(p) => {
            (!v.starts_with(p) || v.len() == p.len()).then(|| format!("expected an instance class starting with `{p}`"))
        }
        Check::Window => {
            let ok = v.is_empty() || {
                let t = |s: &str| {
                    let b = s.as_bytes();
                    b.len() == 5
                        && b[2] == b':'
                        && s[..2].parse::<u32>().is_ok_and(|h| h < 24)
                        && s[3..].parse::<u32>().is_ok_and(|m| m < 60)
                };
                v.split_once('-').is_some_and(|(a, b)| t(a) && t(b))
            };
            (!ok).then(|| "expected hh:mm-hh:mm (UTC)".into())
        }
        Check::Octal => {
            let ok = (3..=4).contains(&v.len()) && v.bytes().all(|b| (b'0'..=b'7').contains(&b));
            (!ok).then(|| "expected octal permissions like 0755".into())
        }
    }
}
