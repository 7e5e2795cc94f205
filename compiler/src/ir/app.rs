//! The validated, typed intermediate representation: what will be deployed.
//!
//! Every default convox applies (reference §1.6) is resolved here, so the back end never has to
//! know a default. Collections keep manifest order (services, resources, timers) or are sorted
//! (maps), so serialising the IR is deterministic. Environment *values* are never part of the
//! IR: only declared names and their defaults.

use super::rack::RackParams;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct App {
    /// Global `environment:` declarations (prepended to every service's own).
    pub environment: Vec<EnvDecl>,
    /// App stack parameter overrides, as written (raw scalar text).
    pub params: BTreeMap<String, String>,
    pub resources: Vec<Resource>,
    pub services: Vec<Service>,
    pub timers: Vec<Timer>,
    /// The rack the app is compiled for, when rack params were given.
    pub rack: Option<RackParams>,
}

/// One environment declaration: `NAME`, `NAME=default` or `*`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EnvDecl {
    Required { name: String },
    Default { name: String, default: String },
    Wildcard,
}

impl EnvDecl {
    pub fn name(&self) -> &str {
        match self {
            EnvDecl::Required { name } | EnvDecl::Default { name, .. } => name,
            EnvDecl::Wildcard => "*",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Service {
    pub name: String,
    /// convox's `upperName` of the service name: the `<Name>` in `Service<Name>`.
    pub logical_name: String,
    pub agent: Option<Agent>,
    pub build: Option<Build>,
    pub command: Option<Vec<String>>,
    pub deployment: Deployment,
    pub domains: Vec<String>,
    pub drain: u32,
    /// Global declarations followed by the service's own, as convox combines them.
    pub environment: Vec<EnvDecl>,
    pub health: Health,
    pub image: Option<String>,
    pub init: bool,
    pub internal: bool,
    pub internal_and_external: bool,
    pub links: Vec<String>,
    pub nlb: Vec<Nlb>,
    pub policies: Vec<String>,
    pub port: Option<Port>,
    pub privileged: bool,
    pub resources: Vec<String>,
    pub scale: Scale,
    pub singleton: bool,
    pub sticky: bool,
    pub tags: BTreeMap<String, String>,
    pub termination: Termination,
    pub test: Option<String>,
    pub volumes: Vec<Volume>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Agent {
    pub ports: Vec<AgentPort>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgentPort {
    pub port: u16,
    pub protocol: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Build {
    pub path: String,
    pub manifest: String,
    pub args: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Deployment {
    pub minimum: u32,
    pub maximum: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Health {
    pub grace: u32,
    pub interval: u32,
    pub path: String,
    pub timeout: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    Http,
    Https,
    Grpc,
    SecureGrpc,
}

impl Scheme {
    pub const ALL: [(&'static str, Scheme); 4] = [
        ("http", Scheme::Http),
        ("https", Scheme::Https),
        ("grpc", Scheme::Grpc),
        ("secure-grpc", Scheme::SecureGrpc),
    ];
    pub fn as_str(self) -> &'static str {
        Scheme::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map(|(n, _)| *n)
            .unwrap_or("http")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Port {
    pub port: u16,
    pub scheme: Scheme,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NlbProtocol {
    Tcp,
    Tls,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NlbScheme {
    Public,
    Internal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Nlb {
    pub port: u16,
    pub container_port: u16,
    pub protocol: NlbProtocol,
    pub scheme: NlbScheme,
    pub certificate: Option<String>,
    /// None: inherit the rack's setting.
    pub cross_zone: Option<bool>,
    pub allow_cidr: Vec<String>,
    /// None: the rack default for the scheme.
    pub preserve_client_ip: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scale {
    pub count: Count,
    pub cpu: u32,
    pub memory: u32,
    pub cooldown: Cooldown,
    pub targets: Targets,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    pub min: u32,
    pub max: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Cooldown {
    pub down: u32,
    pub up: u32,
}

#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct Targets {
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    pub requests: Option<u32>,
    /// Sorted by `namespace/name` (convox iterates a Go map here: random order).
    pub custom: Vec<CustomMetric>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Statistic {
    Average,
    Maximum,
    Minimum,
    Sum,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomMetric {
    pub namespace: String,
    pub name: String,
    pub aggregate: Statistic,
    pub value: f64,
    pub dimensions: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Termination {
    pub grace: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Volume {
    /// An `efs` resource of the app, mounted at `target`.
    Efs { resource: String, target: String },
    /// A host path (rack EFS under `/volumes/<app>/` unless it is a well-known system path).
    Host { source: String, target: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceType {
    Efs,
    Mariadb,
    Memcached,
    Mysql,
    Postgres,
    Redis,
    Valkey,
}

impl ResourceType {
    pub const ALL: [(&'static str, ResourceType); 7] = [
        ("efs", ResourceType::Efs),
        ("mariadb", ResourceType::Mariadb),
        ("memcached", ResourceType::Memcached),
        ("mysql", ResourceType::Mysql),
        ("postgres", ResourceType::Postgres),
        ("redis", ResourceType::Redis),
        ("valkey", ResourceType::Valkey),
    ];
    pub fn as_str(self) -> &'static str {
        ResourceType::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(n, _)| *n)
            .unwrap_or("")
    }
}

impl Resource {
    /// Whether the resource is encrypted (at rest and, for databases and caches, in transit): what
    /// its `encrypted` option says, and yes when it says nothing — except memcached, which cannot be.
    pub fn encrypted(&self) -> bool {
        self.kind != ResourceType::Memcached && self.options.get("Encrypted").is_none_or(|e| e != "false")
    }
    /// Whether `encrypted` is convoxc's default rather than the manifest's word (then a resource
    /// that exists unencrypted keeps being so: the deployed value wins).
    pub fn encryption_defaulted(&self) -> bool {
        self.options.get("Encrypted").is_none_or(|e| e.is_empty())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resource {
    pub name: String,
    pub logical_name: String,
    #[serde(rename = "type")]
    pub kind: ResourceType,
    /// Every parameter of the resource template (keyed by its CloudFormation parameter name),
    /// with the manifest's value or the template default.
    pub options: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Timer {
    pub name: String,
    pub logical_name: String,
    pub command: String,
    /// As written in convox.yml.
    pub schedule: String,
    /// The EventBridge expression (`cron(...)`, six fields) that will be deployed.
    pub schedule_expression: String,
    pub service: String,
    /// The timer's own policies, or the service's when it has none (convox's default).
    pub policies: Vec<String>,
}
