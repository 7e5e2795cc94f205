//! Rack-level resources (reference §5) as both sides see them: the types, convox's option
//! tables (names, defaults, descriptions; a description is ours where convox's is empty or wrong)
//! with the check each option gets, and a checked `Resource`. Decoding the `K=V` arguments and
//! running the checks is `front::rack_resource`; the templates are `back::rack_resource`.

use super::resource_options::Check as Base;
use crate::names::suggest;
use std::collections::BTreeMap;

/// The types `convox rack resources types` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Memcached,
    Mysql,
    Postgres,
    Redis,
    S3,
    Sns,
    Sqs,
    Syslog,
    Valkey,
    Webhook,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::Memcached,
        Kind::Mysql,
        Kind::Postgres,
        Kind::Redis,
        Kind::S3,
        Kind::Sns,
        Kind::Sqs,
        Kind::Syslog,
        Kind::Valkey,
        Kind::Webhook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Memcached => "memcached",
            Kind::Mysql => "mysql",
            Kind::Postgres => "postgres",
            Kind::Redis => "redis",
            Kind::S3 => "s3",
            Kind::Sns => "sns",
            Kind::Sqs => "sqs",
            Kind::Syslog => "syslog",
            Kind::Valkey => "valkey",
            Kind::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// The closest type name, for "did you mean".
    pub fn suggest(s: &str) -> Option<&'static str> {
        suggest(s, Kind::ALL.iter().map(|k| k.as_str()))
    }

    /// convox's option table for this type.
    pub fn options(self) -> &'static [RackOption] {
        table(self)
    }
}

/// A checked rack resource: every option resolved (given value or default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub kind: Kind,
    pub name: String,
    pub options: BTreeMap<&'static str, String>,
    /// The options that were given (the rest are defaults).
    pub given: Vec<&'static str>,
    pub rack: Option<String>,
    /// The rack is Private: use SubnetPrivate0/1.
    pub private: bool,
    /// syslog: the apps linked to it (`convoxc resources link`), sorted by app; the loader
    /// leaves it empty, the applier fills it from what it keeps.
    pub links: Vec<Link>,
}

/// A syslog resource's link to an app: a subscription filter on the app's log group.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Link {
    pub app: String,
    pub log_group: String,
}

/// Longest resource name: `<rack>-<name>` names the stack, the database, the bucket and the
/// queue, which allow 63 or 80 characters.
pub const MAX_NAME: usize = 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// A check shared with app resources (bool, whole-number range, version, instance class).
    Base(Base),
    OneOf(&'static [&'static str]),
    /// A URL with one of these schemes and a host (required: there is no default).
    Url(&'static [&'static str]),
    /// An RDS name (database, user): a letter, then letters, digits or `_`, at most this long.
    Identifier(usize),
    /// Another rack resource's name, or empty.
    ResourceName,
    /// A postgres parameter-group family: `postgres<major>`.
    Family,
    /// A whole number or a formula in braces (`{DBInstanceClassMemory/15000000}`), or empty.
    MaxConnections,
    /// A snapshot identifier or ARN, or empty.
    Snapshot,
    /// Any text but empty.
    Text,
    /// Never given: generated at apply and passed as a NoEcho parameter (the password).
    Generated,
}

/// One option: its name (the CloudFormation parameter name in convox), default, description.
#[derive(Clone, Copy, Debug)]
pub struct RackOption {
    pub name: &'static str,
    pub default: &'static str,
    pub description: &'static str,
    pub check: Check,
}

impl RackOption {
    /// The default as `convoxc resources options` shows it.
    pub fn shown_default(&self) -> &'static str {
        match self.check {
            Check::Generated => "(generated at apply)",
            _ => self.default,
        }
    }
}

const fn o(name: &'static str, default: &'static str, check: Check, description: &'static str) -> RackOption {
    RackOption {
        name,
        default,
        description,
        check,
    }
}

const BOOL: Check = Check::Base(Base::Bool);

const STORAGE: RackOption = o(
    "AllocatedStorage",
    "20",
    Check::Base(Base::Int(20, 65_536)),
    "Allocated storage size (GB)",
);
const MAJOR_UPGRADE: RackOption = o(
    "AllowMajorVersionUpgrade",
    "false",
    BOOL,
    "Allow upgrades to a new major version",
);
const MINOR_UPGRADE: RackOption = o(
    "AutoMinorVersionUpgrade",
    "true",
    BOOL,
    "Apply minor version upgrades in the maintenance window",
);
const DATABASE: RackOption = o("Database", "app", Check::Identifier(63), "Default database name");
const SNAPSHOT: RackOption = o(
    "DatabaseSnapshotIdentifier",
    "",
    Check::Snapshot,
    "ARN of database snapshot to restore",
);
/// Encryption: unset, a new database is encrypted (the AWS-managed RDS key) and requires TLS;
/// `true` gives it a KMS key of its own (as convox does); `false` turns both off.
const RDS_ENCRYPTED: RackOption = o(
    "Encrypted",
    "",
    Check::OneOf(&["", "true", "false"]),
    "Encrypt database (unset: yes, with the AWS-managed key, and TLS required; true: with a KMS key of its own; false: no)",
);
const DB_CLASS: RackOption = o(
    "InstanceType",
    "db.t3.micro",
    Check::Base(Base::Prefix("db.")),
    "Instance class for database nodes",
);
const MULTI_AZ: RackOption = o("MultiAZ", "false", BOOL, "Multiple availability zone");
const PASSWORD: RackOption = o(
    "Password",
    "",
    Check::Generated,
    "Server password (a NoEcho parameter: never in the template)",
);
const CACHE_CLASS: RackOption = o(
    "InstanceType",
    "cache.t3.micro",
    Check::Base(Base::Prefix("cache.")),
    "The type of instance to use",
);

const MEMCACHED: &[RackOption] = &[
    CACHE_CLASS,
    o(
        "NumCacheNodes",
        "1",
        Check::Base(Base::Int(1, 40)),
        "The number of cache nodes",
    ),
];

const MYSQL: &[RackOption] = &[
    STORAGE,
    MAJOR_UPGRADE,
    MINOR_UPGRADE,
    DATABASE,
    SNAPSHOT,
    RDS_ENCRYPTED,
    o("EngineVersion", "5.7", Check::Base(Base::Version), "Version of MySQL"),
    DB_CLASS,
    MULTI_AZ,
    PASSWORD,
    o("Username", "app", Check::Identifier(16), "Server username"),
];

const POSTGRES: &[RackOption] = &[
    STORAGE,
    MAJOR_UPGRADE,
    MINOR_UPGRADE,
    o(
        "BackupRetentionPeriod",
        "1",
        Check::Base(Base::Int(0, 35)),
        "The automatic RDS backup retention period, (default 1 day)",
    ),
    DATABASE,
    SNAPSHOT,
    RDS_ENCRYPTED,
    o("EngineVersion", "12", Check::Base(Base::Version), "Version of Postgres"),
    o(
        "Family",
        "postgres12",
        Check::Family,
        "Postgres version family (default: postgres<major of EngineVersion>)",
    ),
    DB_CLASS,
    o(
        "MaxConnections",
        "",
        Check::MaxConnections,
        "ParameterGroup max_connections value, i.e. '{DBInstanceClassMemory/15000000}'",
    ),
    MULTI_AZ,
    PASSWORD,
    o("Username", "postgres", Check::Identifier(63), "Server username"),
];

/// redis and valkey: an ElastiCache replication group.
macro_rules! replication_group {
    ($version:literal $(, $engine:expr)?) => {
        &[
            o(
                "AutomaticFailoverEnabled",
                "false",
                BOOL,
                "Indicates whether Multi-AZ is enabled. Must be accompanied with NumCacheClusters=2 or higher.",
            ),
            o("Database", "0", Check::Base(Base::Int(0, 15)), "Default database index"),
            o(
                "Encrypted",
                "",
                Check::OneOf(&["", "true", "false"]),
                "Encrypt at rest and in transit with an auth token, a rediss:// URL (unset: yes; false: no)",
            ),
            $($engine,)?
            o("EngineVersion", $version, Check::Base(Base::Version), "The version of the cache engine"),
            CACHE_CLASS,
            o(
                "NumCacheClusters",
                "1",
                Check::Base(Base::Int(1, 6)),
                "The number of cache clusters for this replication group",
            ),
        ]
    };
}

const REDIS: &[RackOption] = replication_group!(
    "7.0",
    o(
        "Engine",
        "redis",
        Check::OneOf(&["redis", "valkey"]),
        "The cache engine to use (redis or valkey)"
    )
);
const VALKEY: &[RackOption] = replication_group!("8.1");

const S3: &[RackOption] = &[
    o(
        "Topic",
        "",
        Check::ResourceName,
        "SNS resource name for change notifications",
    ),
    o("Versioning", "false", BOOL, "Enable versioning"),
];

const SNS: &[RackOption] = &[o(
    "Queue",
    "",
    Check::ResourceName,
    "SQS resource name to subscribe to this SNS topic",
)];

const SQS: &[RackOption] = &[
    o(
        "MessageRetentionPeriod",
        "345600",
        Check::Base(Base::Int(60, 1_209_600)),
        "Number of seconds that a message should be retained on the queue (60–1209600)",
    ),
    o(
        "ReceiveMessageWaitTime",
        "0",
        Check::Base(Base::Int(0, 20)),
        "Number of seconds that ReceiveMessage should wait for new messages before returning (0–20)",
    ),
    o(
        "VisibilityTimeout",
        "30",
        Check::Base(Base::Int(0, 43_200)),
        "Number of seconds that a message should wait for confirmation before being returned to the queue (0–43200)",
    ),
];

pub const SYSLOG_SCHEMES: &[&str] = &["tcp", "tcp+tls", "udp"];
pub const WEBHOOK_SCHEMES: &[&str] = &["http", "https"];

const SYSLOG: &[RackOption] = &[
    o(
        "Format",
        "<22>1 {DATE} {GROUP} {SERVICE} {CONTAINER} - - {MESSAGE}",
        Check::Text,
        "Syslog format string",
    ),
    o(
        "Url",
        "",
        Check::Url(SYSLOG_SCHEMES),
        "Syslog URL, e.g. 'tcp+tls://logs1.papertrailapp.com:11235'",
    ),
];

const WEBHOOK: &[RackOption] = &[o("Url", "", Check::Url(WEBHOOK_SCHEMES), "Webhook URL")];

pub fn table(kind: Kind) -> &'static [RackOption] {
    match kind {
        Kind::Memcached => MEMCACHED,
        Kind::Mysql => MYSQL,
        Kind::Postgres => POSTGRES,
        Kind::Redis => REDIS,
        Kind::S3 => S3,
        Kind::Sns => SNS,
        Kind::Sqs => SQS,
        Kind::Syslog => SYSLOG,
        Kind::Valkey => VALKEY,
        Kind::Webhook => WEBHOOK,
    }
}
