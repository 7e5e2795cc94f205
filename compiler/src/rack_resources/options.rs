//! The option tables of reference §5 (convox's names, defaults and descriptions; a description
//! is ours where convox's is empty or wrong), each option's check, and the checks across options.

use super::{Kind, Problem};
use crate::diagnostic::{Code, Severity};
use crate::resources::{self, Check as Base};
use std::collections::BTreeMap;

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
const RDS_ENCRYPTED: RackOption = o("Encrypted", "false", BOOL, "Encrypt database with KMS");
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
    "cache.t2.micro",
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
            o("Encrypted", "false", BOOL, "Encrypt at rest and in transit"),
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

/// What is wrong with a value, if anything. An empty value is an error unless the option can be
/// empty: convox reads `key=` as `false`, which means "on" to nobody and is no number.
pub fn check(spec: &RackOption, v: &str) -> Option<String> {
    match spec.check {
        Check::Base(b) => {
            if v.is_empty() {
                return Some(format!("expected {}, not an empty value", expected(b)));
            }
            resources::check_value(b, v)
        }
        Check::OneOf(allowed) => (!allowed.contains(&v)).then(|| format!("expected one of {}", allowed.join(", "))),
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
                    && v.len() <= super::MAX_NAME
                    && v.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            (!ok).then(|| {
                "expected the name of another resource of this rack (lowercase letters, digits, dashes)".into()
            })
        }
        Check::Family => {
            let ok = v
                .strip_prefix("postgres")
                .is_some_and(|ver| resources::check_value(Base::Version, ver).is_none());
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
