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
                Check::Int(0, RDS_IOPS.1),
                "provisioned IOPS (io2 storage: 1000 to 256000, 0.5 to 50 per GiB) or 0 for gp2",
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
            o(
                "Storage",
                "20",
                Check::Int(RDS_STORAGE_EVER, RDS_STORAGE.1),
                "allocated storage in GiB (a new database, gp2: 20 to 65536; with iops, io2: 100 to 65536)",
            ),
            o("Version", $version, Check::Version, "engine version"),
        ]
    };
}

/// RDS storage for MariaDB, MySQL and PostgreSQL, in GiB (CreateDBInstance, AllocatedStorage):
/// "General Purpose (SSD) storage (gp2, gp3): Must be an integer from 20 to 65536"; "Provisioned
/// IOPS storage (io1, io2): Must be an integer from 100 to 65536".
pub const RDS_STORAGE: (i64, i64) = (20, 65_536);
/// The least storage RDS ever allocated a database (magnetic, "standard": "Must be an integer from
/// 5 to 3072"): a database convox made long ago may have 5 to 19 GiB and keeps it (RDS checks the
/// size when it creates a database, and an unchanged size is never sent again), so below 20 is a
/// warning offline and an error only for a database that does not exist yet (`diff::refusals`).
pub const RDS_STORAGE_EVER: i64 = 5;
pub const RDS_IOPS_STORAGE_MIN: i64 = 100;
/// Provisioned IOPS (CreateDBInstance, Iops; the RDS storage page): 1,000 to 256,000, "a multiple
/// between .5 and 50 of the storage amount".
pub const RDS_IOPS: (i64, i64) = (1_000, 256_000);

/// What RDS refuses of a storage size and IOPS (0: gp2, else io2), each problem with the option
/// it is about (`Storage` or `Iops`).
pub fn rds_storage_problems(storage: i64, iops: i64) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if iops == 0 {
        return out;
    }
    if iops < RDS_IOPS.0 {
        out.push((
            "Iops",
            format!(
                "RDS provisions {} to {} IOPS (io2 storage), or 0 for gp2",
                RDS_IOPS.0, RDS_IOPS.1
            ),
        ));
    }
    if storage < RDS_IOPS_STORAGE_MIN {
        out.push((
            "Storage",
            format!(
                "provisioned IOPS (io2) storage is {RDS_IOPS_STORAGE_MIN} to {} GiB",
                RDS_STORAGE.1
            ),
        ));
    }
    if iops > storage * 50 || iops * 2 < storage {
        out.push((
            "Iops",
            format!(
                "RDS takes 0.5 to 50 IOPS per GiB of storage: {iops} IOPS for {storage} GiB is outside {} to {}",
                (storage + 1) / 2,
                storage * 50
            ),
        ));
    }
    out
}

const POSTGRES: &[OptionSpec] = rds!("12");
const MYSQL: &[OptionSpec] = rds!("5.7");
const MARIADB: &[OptionSpec] = rds!("10.4");

/// The node type of a new cache whose manifest names none. convox's `cache.t2.micro` no longer
/// creates ("You will no longer be able to create new ElastiCache clusters using T2 instances",
/// ElastiCache's supported node types); T3 is offered in every region, with every engine version
/// convoxc accepts (T4g needs memcached 1.5.16 or redis 5.0.6). A cache that exists keeps its own
/// node type (`Metadata.convoxc.Defaults`: the deployed value wins).
pub const NEW_CACHE_CLASS: &str = "cache.t3.micro";

/// ElastiCache node types it no longer creates clusters on (previous generation, and T2): an
/// existing cluster keeps running on them.
pub const CACHE_CLASSES_NOT_CREATED: &[&str] = &[
    "cache.t1.",
    "cache.t2.",
    "cache.m1.",
    "cache.m2.",
    "cache.m3.",
    "cache.c1.",
    "cache.r3.",
];

const CACHE_CLASS: OptionSpec = o(
    "Class",
    "",
    Check::Prefix("cache."),
    "ElastiCache node type (default: cache.t3.micro for a new cache; one that exists keeps its own)",
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
