//! App resource types and their options (reference §2.4): each option is a parameter of the
//! resource's nested stack, with its default and the check it gets (run by
//! `front::decode::resource_options`).

use super::app::ResourceType;

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
            o(
                "Encrypted",
                "",
                Check::BoolOrEmpty,
                "encrypt storage at rest and require TLS (default: yes for a new database; one that exists keeps what it has)",
            ),
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
                "",
                Check::BoolOrEmpty,
                "at-rest and in-transit encryption with an auth token, a rediss:// URL (default: yes for a new cache; one that exists keeps what it has)",
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
        "",
        Check::BoolOrEmpty,
        "encrypt the file system: true with a KMS key of its own; by default (unset) with the AWS-managed key for a new one (one that exists keeps what it has)",
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

/// The parameter that makes a database refuse connections without TLS: postgres `rds.force_ssl`,
/// mysql (5.7 and later) and mariadb (10.5 and later) `require_secure_transport`. None for a
/// version without it (mariadb 10.4) or another engine.
pub fn tls_parameter(engine: &str, version: &str) -> Option<(&'static str, &'static str)> {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    let (major, minor) = (parts.next().flatten()?, parts.next().flatten().unwrap_or(0));
    match engine {
        "postgres" => Some(("rds.force_ssl", "1")),
        "mysql" if (major, minor) >= (5, 7) => Some(("require_secure_transport", "1")),
        "mariadb" if (major, minor) >= (10, 5) => Some(("require_secure_transport", "1")),
        _ => None,
    }
}

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
