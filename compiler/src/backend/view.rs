//! The view model: everything the templates need, computed here from the IR (names, rule
//! priorities, environment lists, URLs, which parameters a stack declares).

use super::BuildOptions;
use super::render::import;
use crate::ir::*;
use crate::validate::{APP_PARAMS, env_name};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The fragments of a service stack, merged in this order.
pub const SERVICE_TEMPLATES: &[&str] = &[
    "service/task.json",
    "service/balancer.json",
    "service/nlb.json",
    "service/scaling.json",
];

/// Host paths that convox mounts as they are (everything else lives under `/volumes/<app>/`).
const SYSTEM_PATHS: &[&str] = &[
    "/cgroup/",
    "/dev/log",
    "/etc/passwd",
    "/proc/",
    "/sys/fs/cgroup/",
    "/sys/kernel/debug/",
    "/var/log/audit/",
    "/var/run/",
    "/var/run/docker.sock",
    "/var/lib/docker/containers/",
];

/// Variables every container gets (`validate::SYSTEM_ENV`); they win over a declaration of the same name.
fn system_env(app: &str, service: &str) -> [(&'static str, Value); 5] {
    [
        ("APP", json!(app)),
        ("AWS_REGION", json!({"Ref": "AWS::Region"})),
        ("BUILD", json!({"Ref": "Build"})),
        ("RACK", json!({"Ref": "Rack"})),
        ("SERVICE", json!(service)),
    ]
}

/// Listener-rule priorities taken so far in this app, per listener: convox's hash collides
/// (two rules on one listener with one priority fail the deploy with PriorityInUse), so a taken
/// priority moves to the next free one of its tier. Rules are assigned in manifest order, so a
/// rule keeps convox's priority unless an earlier rule of the app already has it.
#[derive(Default)]
pub struct Priorities(BTreeMap<String, std::collections::BTreeSet<u32>>);

impl Priorities {
    fn take(&mut self, listener: &str, wanted: u32) -> u32 {
        let used = self.0.entry(listener.to_string()).or_default();
        let (lo, hi) = if wanted > 25000 { (25001, 50000) } else { (1, 25000) };
        let mut p = wanted;
        while used.contains(&p) {
            p = if p >= hi { lo } else { p + 1 };
        }
        used.insert(p);
        p
    }
}

/// convox's listener-rule priority: `((crc32("<app>-<service>-<domain>") + index + 2) mod 2^32)
/// mod 25000`, plus 25000 for wildcard domains (so they sort after exact ones), else plus 1.
pub fn priority(app: &str, service: &str, domain: &str, index: i64) -> u32 {
    let hash = crc32fast::hash(format!("{app}-{service}-{domain}").as_bytes());
    let sum = hash.wrapping_add(index as u32).wrapping_add(2);
    let tier = if domain.starts_with("*.") { 25000 } else { 1 };
    sum % 25000 + tier
}

#[derive(Serialize)]
pub struct AppView {
    pub app: String,
    pub rack: Option<String>,
    pub params: Vec<ParamView>,
    pub certificates: Vec<CertificateView>,
    pub resources: Vec<ResourceView>,
    pub services: Vec<ServiceView>,
    pub timers: Vec<TimerView>,
    pub agents: Vec<String>,
    pub service_names: Vec<String>,
}

/// Where each nested template is stored (its content-addressed key), by name.
pub struct NestedKeys {
    pub services: BTreeMap<String, String>,
    pub timers: BTreeMap<String, String>,
    pub resources: BTreeMap<String, String>,
}

/// The app stack's view: it owns what it shows, so that the app's view model can be freed
/// while the app stack renders.
#[derive(Serialize)]
pub struct RootView {
    app: String,
    rack: Option<String>,
    params: Vec<ParamView>,
    certificates: Vec<CertificateView>,
    resources: Vec<NestedView>,
    services: Vec<NestedView>,
    groups: Vec<NestedView>,
    timers: Vec<NestedView>,
    agents: Vec<String>,
    service_names: Vec<String>,
}

/// A group of services in its own nested stack (for apps too big for one app stack).
#[derive(Serialize)]
pub struct GroupView {
    app: String,
    first: String,
    last: String,
    parameters: Vec<GroupParam>,
    certificates: Vec<CertificateView>,
    services: Vec<NestedView>,
    #[serde(skip)]
    values: BTreeMap<String, Value>,
}

#[derive(Serialize)]
struct GroupParam {
    name: String,
    no_echo: bool,
}

impl RootView {
    /// Move the services (and their certificates) into groups of `size`. Each service parameter
    /// that is an expression of the app stack becomes a group parameter (named after what it
    /// refers to), whose value the app stack passes.
    pub fn take_groups(&mut self, size: usize) -> Vec<GroupView> {
        use rayon::prelude::*;
        let mut services = std::mem::take(&mut self.services).into_iter().peekable();
        let mut chunks: Vec<Vec<NestedView>> = Vec::new();
        while services.peek().is_some() {
            chunks.push(services.by_ref().take(size.max(1)).collect());
        }
        // a service has at most one certificate
        let mut certificates: BTreeMap<String, CertificateView> = std::mem::take(&mut self.certificates)
            .into_iter()
            .map(|c| (c.service.clone(), c))
            .collect();
        let certs: Vec<Vec<CertificateView>> = chunks
            .iter()
            .map(|chunk| chunk.iter().filter_map(|s| certificates.remove(&s.name)).collect())
            .collect();
        let app = self.app.to_string();
        chunks
            .into_par_iter()
            .zip(certs)
            .map(|(chunk, certs)| {
                let local: std::collections::BTreeSet<&str> = certs.iter().map(|c| c.logical.as_str()).collect();
                // a group parameter must not take the logical ID of one of the group's resources
                // (a service `role-arn` is `ServiceRoleArn`, like the hoisted ServiceRole ARN)
                let resources: std::collections::BTreeSet<String> = chunk
                    .iter()
                    .flat_map(|s| std::iter::once(s.logical.clone()).chain(s.record.iter().map(|r| r.logical.clone())))
                    .chain(local.iter().map(|l| l.to_string()))
                    .collect();
                let mut values: BTreeMap<String, Value> = BTreeMap::new();
                let first = chunk.first().map(|s| s.name.clone()).unwrap_or_default();
                let last = chunk.last().map(|s| s.name.clone()).unwrap_or_default();
                let mut stacks = Vec::with_capacity(chunk.len());
                for mut s in chunk {
                    for (name, v) in s.parameters.iter_mut() {
                        if v.is_string() || v.is_number() {
                            continue; // literals stay in the group template
                        }
                        if let Some(r) = v.get("Ref").and_then(Value::as_str)
                            && local.contains(r)
                        {
                            continue; // a certificate of this group
                        }
                        let mut hoisted = hoist_name(name, v);
                        loop {
                            if resources.contains(&hoisted) {
                                hoisted.push('X');
                                continue;
                            }
                            match values.get(&hoisted) {
                                Some(existing) if existing == v => break,
                                Some(_) => hoisted.push('X'),
                                None => {
                                    values.insert(hoisted.clone(), v.clone());
                                    break;
                                }
                            }
                        }
                        // most are `Ref`s of app-stack parameters, which keep their names
                        if v.get("Ref").and_then(Value::as_str) != Some(hoisted.as_str()) {
                            *v = json!({ "Ref": hoisted });
                        }
                    }
                    stacks.push(s);
                }
                let parameters = values
                    .iter()
                    .map(|(name, v)| GroupParam {
                        name: name.clone(),
                        no_echo: v.to_string().contains("ResourcePassword"),
                    })
                    .collect();
                GroupView {
                    app: app.clone(),
                    first,
                    last,
                    parameters,
                    certificates: certs,
                    services: stacks,
                    values,
                }
            })
            .collect()
    }

    /// Whether the single-stack layout certainly breaks a quota (more nested stacks and
    /// certificates than 500 resources, or service parameters alone near the 1 MB body limit),
    /// so that rendering it can be skipped.
    pub fn clearly_too_big(&self) -> bool {
        let records = self.services.iter().filter(|s| s.record.is_some()).count();
        let secrets = self.resources.iter().filter(|r| r.secret.is_some()).count();
        let resources = 4
            + self.certificates.len()
            + self.services.len()
            + records
            + self.timers.len()
            + self.resources.len()
            + secrets;
        // a parameter entry takes ~100 bytes of pretty JSON in the root
        let parameter_bytes: usize = self.services.iter().map(|s| s.parameters.len() * 100).sum();
        resources > super::limits::MAX_RESOURCES || parameter_bytes > super::limits::MAX_BODY_S3
    }

    /// Point the root at the rendered groups.
    pub fn set_groups(&mut self, groups: &[GroupView], keys: &[String]) {
        self.groups = groups
            .iter()
            .zip(keys)
            .enumerate()
            .map(|(i, (g, key))| NestedView {
                logical: format!("ServiceGroup{i}"),
                name: format!("group{i}"),
                key: key.clone(),
                parameters: g.values.clone(),
                endpoint: false,
                auto_minor: false,
                password: false,
                secret: None,
                record: None,
            })
            .collect();
    }
}

/// The group parameter for an app-stack expression: `Ref X` → X, `GetAtt L.A` → LA, else the
/// service parameter's own name.
/// A nested stack's parameters reach the templates as one JSON text marked safe: its entries,
/// each followed by a comma (`"Name": value,`), printed inside the `Parameters` object. The
/// templates only print them, and a 500-service app has some 30,000.
fn json_entries<S: serde::Serializer>(m: &BTreeMap<String, Value>, s: S) -> Result<S::Ok, S::Error> {
    use std::fmt::Write;
    let mut text = String::with_capacity(m.len() * 64);
    for (k, v) in m {
        let _ = write!(text, "{}: {v},", Value::from(k.as_str()));
    }
    serde::Serialize::serialize(&minijinja::Value::from_safe_string(text), s)
}

fn hoist_name(param: &str, v: &Value) -> String {
    let alnum = |s: &str| s.chars().filter(char::is_ascii_alphanumeric).collect::<String>();
    if let Some(r) = v.get("Ref").and_then(Value::as_str) {
        return alnum(r);
    }
    if let Some([l, a]) = v.get("Fn::GetAtt").and_then(Value::as_array).map(Vec::as_slice) {
        return alnum(&format!("{}{}", l.as_str().unwrap_or(""), a.as_str().unwrap_or("")));
    }
    alnum(param)
}

#[derive(Serialize, Clone)]
struct NestedView {
    logical: String,
    name: String,
    key: String,
    #[serde(serialize_with = "json_entries")]
    parameters: BTreeMap<String, Value>,
    /// The service has an `Endpoint` output (its first domain).
    endpoint: bool,
    auto_minor: bool,
    password: bool,
    /// The resource's URL and password as a Secrets Manager secret (`{"url", "password"}`):
    /// containers read them as ECS secrets, never as plain task-definition environment.
    secret: Option<Value>,
    /// A service with a port: convox's `internal-<service>.<app>.<rack>.convox` record.
    record: Option<InternalRecord>,
}

/// convox's `RecordSet<Service>Internal` (reference §2.1): a CNAME in the rack's private zone
/// from `internal-<service>.<app>.<rack>.convox` to the service's load balancer, made in the app
/// stack (or the service's group stack) for every service with a port.
#[derive(Serialize, Clone)]
struct InternalRecord {
    logical: String,
    /// The record name as an `Fn::Sub` text over `${Rack}`.
    name: String,
    /// The rack export holding the load balancer's DNS name: `Domain` or `DomainInternal`.
    target: &'static str,
}

#[derive(Serialize, Clone)]
pub struct ParamView {
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    default: Option<String>,
    allowed: Vec<&'static str>,
    no_echo: bool,
    description: String,
}

#[derive(Serialize, Clone)]
pub struct CertificateView {
    logical: String,
    service: String,
    domains: Vec<String>,
}

#[derive(Serialize)]
pub struct ResourceView {
    pub name: String,
    /// The rack's availability zones (its MaxAvailabilityZones, 3 unless rack params say 2):
    /// an EFS file system needs a mount target in each zone the instances run in.
    zones: Vec<usize>,
    logical: String,
    #[serde(rename = "type")]
    kind: &'static str,
    engine: &'static str,
    default_version: String,
    port: u16,
    /// The resource's `tags:`, on every taggable resource of its stack.
    tags: BTreeMap<String, String>,
    #[serde(skip)]
    ir: Resource,
}

impl ResourceView {
    pub fn templates(&self) -> [&'static str; 1] {
        [match self.ir.kind {
            ResourceType::Postgres | ResourceType::Mysql | ResourceType::Mariadb => "resources/rds.json",
            ResourceType::Redis | ResourceType::Valkey => "resources/elasticache.json",
            ResourceType::Memcached => "resources/memcached.json",
            ResourceType::Efs => "resources/efs.json",
        }]
    }
    fn needs_password(&self) -> bool {
        !matches!(self.ir.kind, ResourceType::Efs | ResourceType::Memcached)
    }
}

#[derive(Serialize, Clone)]
pub struct EnvVar {
    name: String,
    value: Value,
}

#[derive(Serialize, Clone)]
struct PortView {
    port: u16,
    protocol: &'static str,
    protocol_version: Option<&'static str>,
    matcher_key: &'static str,
    matcher_param: &'static str,
    matcher_default: &'static str,
}

#[derive(Serialize, Clone)]
struct MountView {
    target: String,
    volume: String,
}

#[derive(Serialize, Clone)]
struct VolumeView {
    name: String,
    /// `Resource<Name>` of an efs resource (its parameters are `<that>FileSystemId/AccessPointId`).
    efs: Option<String>,
    host_path: Option<String>,
}

#[derive(Serialize, Clone)]
struct PortMapping {
    container: u16,
    host: Option<u16>,
    protocol: String,
}

#[derive(Serialize, Clone)]
struct LinkedView {
    params: Vec<String>,
}

#[derive(Serialize, Clone)]
struct TargetGroupView {
    logical: String,
    output: String,
}

#[derive(Serialize, Clone)]
struct RuleView {
    logical: String,
    listener: String,
    host: Value,
    priority: u32,
    target_group: String,
    condition: Option<&'static str>,
    depends_on: Option<String>,
}

#[derive(Serialize, Clone)]
struct ListenerCertificateView {
    logical: String,
    listener: String,
}

#[derive(Serialize, Clone)]
struct NlbView {
    port: u16,
    container_port: u16,
    protocol: &'static str,
    certificate: Option<String>,
    iam_certificate: bool,
    target_group: String,
    listener: String,
    balancer: &'static str,
    security_group: &'static str,
    preserve_client_ip: bool,
    cross_zone: Option<bool>,
    cidrs: Vec<CidrView>,
}

#[derive(Serialize, Clone)]
struct CidrView {
    logical: String,
    cidr: String,
}

#[derive(Serialize, Clone)]
struct LoadBalancerView {
    port: u16,
    target_group: String,
}

#[derive(Serialize, Clone)]
struct ScalingView {
    min: u32,
    max: u32,
    cooldown: Cooldown,
    policies: Vec<PolicyView>,
}

#[derive(Serialize, Clone)]
struct PolicyView {
    logical: String,
    metric: &'static str,
    value: f64,
    /// The target groups whose requests per target a `requests` policy tracks: the service's
    /// one, or an internalAndExternal service's two (added up).
    target_groups: Vec<String>,
    custom: Option<CustomView>,
}

#[derive(Serialize, Clone)]
struct CustomView {
    name: String,
    namespace: String,
    statistic: &'static str,
    dimensions: BTreeMap<String, String>,
}

/// Count, cpu and memory of a service: convox.yml's `<Service>Formation` param if it has one,
/// else its scale.
#[derive(Serialize, Clone, Copy)]
struct Formation {
    count: u32,
    cpu: u32,
    memory: u32,
}

#[derive(Serialize, Clone)]
pub struct ServiceView {
    pub name: String,
    app: String,
    image: Value,
    /// The image comes from the app's registry (no `image:`).
    registry: bool,
    command: Option<Vec<String>>,
    environment: Vec<EnvVar>,
    /// Variables read from SSM parameters at task start (`ValueFrom` ARNs).
    secrets: Vec<EnvVar>,
    init: bool,
    privileged: bool,
    termination_grace: u32,
    agent: bool,
    port: Option<PortView>,
    policies: Vec<String>,
    router: &'static str,
    internal: bool,
    internal_and_external: bool,
    domains: Vec<String>,
    health: Health,
    drain: u32,
    sticky: bool,
    deployment: Deployment,
    grace: Option<u32>,
    mounts: Vec<MountView>,
    volumes: Vec<VolumeView>,
    port_mappings: Vec<PortMapping>,
    linked: Vec<LinkedView>,
    task_role: Value,
    target_groups: Vec<TargetGroupView>,
    rules: Vec<RuleView>,
    listener_certificates: Vec<ListenerCertificateView>,
    load_balancers: Vec<LoadBalancerView>,
    depends_on: Vec<String>,
    legacy_service_role: bool,
    nlb: Vec<NlbView>,
    autoscaling: Option<ScalingView>,
    formation: Formation,
    /// The service's `tags:` (sorted), applied to its ECS service and task definition.
    tags: BTreeMap<String, String>,
    #[serde(skip)]
    fargate: Option<&'static str>,
    #[serde(skip)]
    ir: Service,
}

#[derive(Serialize)]
pub struct TimerView {
    pub name: String,
    app: String,
    logical: String,
    schedule: String,
    schedule_expression: String,
    command: Vec<String>,
    service: ServiceView,
    policies: Vec<String>,
    task_role: Value,
    cluster_arn: Value,
    target_id: String,
}

/// A manifest's `tags:` without the keys convoxc sets itself.
fn user_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !crate::validate::RESERVED_TAGS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The URL a service gets for a resource, as an `Fn::Sub` text over `Host` and `Port` (and
/// `ResourcePassword`).
fn url_template(r: &Resource) -> &'static str {
    let encrypted = r.options.get("Encrypted").is_some_and(|e| e == "true");
    match r.kind {
        ResourceType::Postgres => "postgres://app:${ResourcePassword}@${Host}:${Port}/app",
        ResourceType::Mysql | ResourceType::Mariadb => "mysql://app:${ResourcePassword}@${Host}:${Port}/app",
        ResourceType::Redis | ResourceType::Valkey if encrypted => "rediss://:${ResourcePassword}@${Host}:${Port}/0",
        ResourceType::Redis | ResourceType::Valkey => "redis://${Host}:${Port}/0",
        _ => "${Host}:${Port}",
    }
}

/// Whether a resource's URL or password holds the password.
fn has_secret(r: &Resource) -> bool {
    url_template(r).contains("${ResourcePassword}")
}

/// The parameter names a linked resource's values take in a service stack (the keys of
/// `AppView::resource_values`; a test keeps the two in step).
pub(crate) fn linked_parameter_names(r: &Resource) -> Vec<String> {
    let l = format!("Resource{}", r.logical_name);
    let suffixes: &[&str] = match r.kind {
        ResourceType::Efs => &["FileSystemId", "AccessPointId"],
        _ if has_secret(r) => &["User", "Host", "Port", "Name", "Secret"],
        _ => &["User", "Host", "Port", "Name", "", "Pass"],
    };
    suffixes.iter().map(|s| format!("{l}{s}")).collect()
}

/// The logical IDs a resource adds to the app stack's Resources.
pub(crate) fn app_resource_ids(r: &Resource) -> Vec<String> {
    let l = format!("Resource{}", r.logical_name);
    if has_secret(r) {
        vec![format!("{l}Secret"), l]
    } else {
        vec![l]
    }
}

fn sub_with(text: &str, vars: Value) -> Value {
    json!({"Fn::Sub": [text, vars]})
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

impl AppView {
    pub fn new(ir: &App, options: &BuildOptions) -> AppView {
        let app = options.app.clone();
        let resources: Vec<ResourceView> = ir
            .resources
            .iter()
            .map(|r| {
                let zones = match ir.rack.as_ref().and_then(|p| p.get("MaxAvailabilityZones")) {
                    Some("2") => 2,
                    _ => 3,
                };
                let (engine, port) = resource_engine(r.kind);
                let default_version = crate::resources::options(r.kind)
                    .iter()
                    .find(|o| o.param == "Version")
                    .map(|o| o.default.to_string())
                    .unwrap_or_default();
                ResourceView {
                    zones: (0..zones).collect(),
                    name: r.name.clone(),
                    logical: format!("Resource{}", r.logical_name),
                    kind: r.kind.as_str(),
                    engine,
                    default_version,
                    port,
                    tags: user_tags(&r.tags),
                    ir: r.clone(),
                }
            })
            .collect();
        use rayon::prelude::*;
        let mut services: Vec<ServiceView> = ir
            .services
            .par_iter()
            .map(|s| ServiceView::new(ir, s, &app, &options.env_names))
            .collect();
        // convox's priorities collide: a rule whose priority an earlier rule (in manifest order)
        // of its listener has taken moves on, so this pass is in order
        let mut priorities = Priorities::default();
        for rule in services.iter_mut().flat_map(|s| s.rules.iter_mut()) {
            rule.priority = priorities.take(&rule.listener, rule.priority);
        }
        let timers = ir
            .timers
            .iter()
            .filter_map(|t| {
                let svc = services.iter().find(|s| s.name == t.service)?;
                Some(TimerView::new(t, svc, &app))
            })
            .collect();
        let certificates = services
            .iter()
            .filter(|s| s.port.is_some() && !s.domains.is_empty())
            .map(|s| CertificateView {
                logical: format!("Balancer{}Certificate", s.ir.logical_name),
                service: s.name.clone(),
                domains: s.domains.clone(),
            })
            .collect();
        let agents = services.iter().filter(|s| s.agent).map(|s| s.name.clone()).collect();
        let mut service_names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
        service_names.sort();
        let mut view = AppView {
            app,
            rack: options.rack.clone(),
            params: Vec::new(),
            certificates,
            resources,
            services,
            timers,
            agents,
            service_names,
        };
        view.params = view.root_params(ir);
        view
    }

    /// The root stack's parameters: the app params that something uses, with convox.yml's
    /// `params:` as their defaults. Count, cpu and memory are compile-time values (the manifest,
    /// or its `<Service>Formation` param), not parameters: convox.yml says what runs.
    fn root_params(&self, ir: &App) -> Vec<ParamView> {
        let has_services = !self.services.is_empty();
        let has_port = self.services.iter().any(|s| s.port.is_some());
        let http = self
            .services
            .iter()
            .any(|s| s.port.as_ref().is_some_and(|p| p.matcher_key == "HttpCode"));
        let grpc = self
            .services
            .iter()
            .any(|s| s.port.as_ref().is_some_and(|p| p.matcher_key == "GrpcCode"));
        let has_timers = !self.timers.is_empty();
        let rds_or_cache = self.resources.iter().any(|r| r.ir.kind != ResourceType::Efs);
        let password = self.resources.iter().any(ResourceView::needs_password);
        let used = |name: &str| match name {
            "AutoMinorVersionUpgrade" => rds_or_cache,
            "CircuitBreaker" | "Isolate" | "TaskTags" => has_services,
            // agents run on instances only; a service with a Formation param has its own
            "FargateServices" => self.services.iter().any(|s| !s.agent && s.fargate.is_none()),
            "IgnoreManualScaleCount" => self.services.iter().any(|s| !s.agent),
            "EnableContainerReadonlyRootFilesystem" | "Private" | "SyslogDestination" | "SyslogFormat" => {
                has_services || has_timers
            }
            "FargateTimers" => has_timers,
            "InternalDomains" | "LoadBalancerAlgorithm" | "RedirectHttps" | "SlowStartDuration" => has_port,
            "LoadBalancerSuccessCodes" => http,
            "LoadBalancerGrpcSuccessCodes" => grpc,
            "IamPolicy" | "LogDriver" | "LogRetention" => true,
            _ => false,
        };
        let mut out = Vec::new();
        for (name, allowed, default) in APP_PARAMS {
            if !used(name) {
                continue;
            }
            // the params a convox rack sets on every deploy come from the rack, when it is known
            let from_rack = crate::validate::RACK_OWNED
                .contains(name)
                .then(|| ir.rack.as_ref().and_then(|r| r.get(name)))
                .flatten();
            let default = match from_rack {
                Some(v) => v.to_string(),
                None => ir.params.get(*name).cloned().unwrap_or_else(|| default.to_string()),
            };
            out.push(ParamView {
                name: name.to_string(),
                kind: if *name == "SlowStartDuration" {
                    "Number"
                } else {
                    "String"
                },
                default: Some(default),
                allowed: allowed.to_vec(),
                no_echo: false,
                description: format!("convox app parameter {name}"),
            });
        }
        if password {
            out.push(ParamView {
                name: "ResourcePassword".into(),
                kind: "String",
                default: None,
                allowed: Vec::new(),
                no_echo: true,
                description: "Password of the app's databases and caches (letters and digits, 16-41)".into(),
            });
        }
        out
    }

    pub fn with_keys(&self, keys: NestedKeys) -> RootView {
        use rayon::prelude::*;
        let key = |m: &BTreeMap<String, String>, n: &str| m.get(n).cloned().unwrap_or_default();
        let resources = self
            .resources
            .iter()
            .map(|r| NestedView {
                logical: r.logical.clone(),
                name: r.name.clone(),
                key: key(&keys.resources, &r.name),
                parameters: r.ir.options.iter().map(|(k, v)| (k.clone(), json!(v))).collect(),
                endpoint: false,
                auto_minor: r.ir.kind != ResourceType::Efs,
                password: r.needs_password(),
                secret: self.resource_secret(r),
                record: None,
            })
            .collect();
        let services = self
            .services
            .par_iter()
            .map(|s| NestedView {
                logical: format!("Service{}", s.ir.logical_name),
                name: s.name.clone(),
                key: key(&keys.services, &s.name),
                parameters: self.service_parameters(s),
                endpoint: s.port.is_some() && !s.domains.is_empty(),
                auto_minor: false,
                password: false,
                secret: None,
                record: s.port.is_some().then(|| InternalRecord {
                    logical: format!("RecordSet{}Internal", s.ir.logical_name),
                    name: format!("internal-{}.{}.${{Rack}}.convox.", s.name, self.app),
                    target: if s.internal { "DomainInternal" } else { "Domain" },
                }),
            })
            .collect();
        let timers = self
            .timers
            .iter()
            .map(|t| NestedView {
                logical: t.logical.clone(),
                name: t.name.clone(),
                key: key(&keys.timers, &t.name),
                parameters: self.timer_parameters(t),
                endpoint: false,
                auto_minor: false,
                password: false,
                secret: None,
                record: None,
            })
            .collect();
        RootView {
            app: self.app.clone(),
            rack: self.rack.clone(),
            params: self.params.clone(),
            certificates: self.certificates.clone(),
            resources,
            services,
            groups: Vec::new(),
            timers,
            agents: self.agents.clone(),
            service_names: self.service_names.clone(),
        }
    }

    fn shared_task_parameters(&self, s: &ServiceView, fargate: Value, own_role: bool) -> BTreeMap<String, Value> {
        let mut p = BTreeMap::new();
        let r = |n: &str| json!({ "Ref": n });
        p.insert("Build".into(), r("Build"));
        p.insert("Cpu".into(), json!(s.formation.cpu.to_string()));
        p.insert("Memory".into(), json!(s.formation.memory.to_string()));
        p.insert(
            "EnableContainerReadonlyRootFilesystem".into(),
            r("EnableContainerReadonlyRootFilesystem"),
        );
        p.insert("ExecutionRole".into(), json!({"Fn::GetAtt": ["ExecutionRole", "Arn"]}));
        p.insert("Fargate".into(), fargate);
        p.insert("LogDriver".into(), r("LogDriver"));
        p.insert(
            "LogGroup".into(),
            json!({"Fn::If": ["EnableCloudWatch", {"Ref": "LogGroup"}, ""]}),
        );
        p.insert("Private".into(), r("Private"));
        p.insert("Rack".into(), r("Rack"));
        if s.registry {
            p.insert("Registry".into(), r("Registry"));
        }
        if !own_role {
            p.insert("Role".into(), json!({"Fn::GetAtt": ["ServiceRole", "Arn"]}));
        }
        p.insert("SyslogDestination".into(), r("SyslogDestination"));
        p.insert("SyslogFormat".into(), r("SyslogFormat"));
        for res in
            s.ir.resources
                .iter()
                .filter_map(|n| self.resources.iter().find(|r| &r.name == n))
        {
            for (param, value) in self.resource_values(res) {
                p.insert(param, value);
            }
        }
        p
    }

    fn service_parameters(&self, s: &ServiceView) -> BTreeMap<String, Value> {
        let fargate = match s.fargate {
            Some(f) => json!(f),
            // ECS runs daemon services on instances only
            None if s.agent => json!("No"),
            None => json!({"Ref": "FargateServices"}),
        };
        let mut p = self.shared_task_parameters(s, fargate, !s.policies.is_empty());
        let r = |n: &str| json!({ "Ref": n });
        p.insert("CircuitBreaker".into(), r("CircuitBreaker"));
        p.insert("Isolate".into(), r("Isolate"));
        p.insert("TaskTags".into(), r("TaskTags"));
        if !s.agent {
            p.insert("Count".into(), json!(s.formation.count.to_string()));
            p.insert("IgnoreManualScaleCount".into(), r("IgnoreManualScaleCount"));
        }
        if let Some(port) = &s.port {
            for n in [
                "InternalDomains",
                "LoadBalancerAlgorithm",
                "RedirectHttps",
                "SlowStartDuration",
                port.matcher_param,
            ] {
                p.insert(n.into(), r(n));
            }
            if !s.domains.is_empty() {
                p.insert(
                    "Certificate".into(),
                    json!({ "Ref": format!("Balancer{}Certificate", s.ir.logical_name) }),
                );
            }
        }
        p
    }

    fn timer_parameters(&self, t: &TimerView) -> BTreeMap<String, Value> {
        self.shared_task_parameters(&t.service, json!({"Ref": "FargateTimers"}), !t.policies.is_empty())
    }

    /// The secret string of a resource whose URL or password holds the password: JSON with
    /// `url` and `password`, built by CloudFormation from the NoEcho ResourcePassword (letters
    /// and digits only, so it needs no JSON escaping).
    fn resource_secret(&self, r: &ResourceView) -> Option<Value> {
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
    fn resource_values(&self, r: &ResourceView) -> Vec<(String, Value)> {
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

impl ServiceView {
    fn new(ir: &App, s: &Service, app: &str, env_names: &std::collections::BTreeSet<String>) -> ServiceView {
        let router = if s.internal { "RouterInternal" } else { "Router" };
        let formation_param: Vec<String> = ir
            .params
            .get(&format!("{}Formation", s.logical_name))
            .map(|f| f.split(',').map(|x| x.trim().to_string()).collect())
            .unwrap_or_default();
        let number = |i: usize, default: u32| formation_param.get(i).and_then(|x| x.parse().ok()).unwrap_or(default);
        let formation = Formation {
            count: number(0, s.scale.count.min),
            cpu: number(1, s.scale.cpu),
            memory: number(2, s.scale.memory),
        };
        let fargate = match formation_param.get(3).map(String::as_str) {
            Some("FARGATE") => Some("Yes"),
            Some("FARGATE_SPOT") => Some("Spot"),
            _ => None,
        };
        let image = match &s.image {
            Some(i) => json!(i),
            None => {
                json!({"Fn::Sub": format!("${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/${{Registry}}:{}.${{Build}}", s.name)})
            }
        };

        // environment: defaults (the service's own override global ones), links, resources
        let mut env: BTreeMap<String, Value> = BTreeMap::new();
        for d in &s.environment {
            if let EnvDecl::Default { name, default } = d {
                env.insert(name.clone(), json!(default));
            }
        }
        for link in &s.links {
            let host = match ir.services.iter().find(|x| &x.name == link) {
                Some(l) if l.internal => "RouterInternalHost",
                _ => "RouterHost",
            };
            env.insert(
                format!("{}_URL", env_name(link)),
                sub_with(
                    &format!("https://{app}-{link}.${{Host}}"),
                    json!({"Host": import(host)}),
                ),
            );
        }
        let mut linked = Vec::new();
        let mut resource_secrets: BTreeMap<String, Value> = BTreeMap::new();
        for rname in &s.resources {
            let Some(r) = ir.resources.iter().find(|r| &r.name == rname) else {
                continue;
            };
            let l = format!("Resource{}", r.logical_name);
            if r.kind == ResourceType::Efs {
                linked.push(LinkedView {
                    params: vec![format!("{l}AccessPointId"), format!("{l}FileSystemId")],
                });
                continue;
            }
            let e = env_name(&r.name);
            let mut params = Vec::new();
            let secret = has_secret(r);
            for (suffix, var) in [
                ("", "URL"),
                ("User", "USER"),
                ("Pass", "PASS"),
                ("Host", "HOST"),
                ("Port", "PORT"),
                ("Name", "NAME"),
            ] {
                if secret && (var == "URL" || var == "PASS") {
                    // from the resource's secret, as ECS secrets (below)
                    let key = if var == "URL" { "url" } else { "password" };
                    resource_secrets.insert(
                        format!("{e}_{var}"),
                        json!({ "Fn::Sub": format!("${{{l}Secret}}:{key}::") }),
                    );
                    continue;
                }
                let p = format!("{l}{suffix}");
                env.insert(format!("{e}_{var}"), json!({ "Ref": p }));
                params.push(p);
            }
            if secret {
                params.push(format!("{l}Secret"));
            }
            linked.push(LinkedView { params });
        }
        // values given at deploy time come from SSM as ECS secrets: every required variable, a
        // defaulted one that has a value, and for `*` every variable that has one
        let mut secrets: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for d in &s.environment {
            match d {
                EnvDecl::Required { name } => {
                    secrets.insert(name.clone());
                }
                EnvDecl::Default { name, .. } if env_names.contains(name) => {
                    secrets.insert(name.clone());
                }
                EnvDecl::Wildcard => secrets.extend(env_names.iter().cloned()),
                EnvDecl::Default { .. } => {}
            }
        }
        // set by convox at run time, over any declaration of the same name
        for (name, value) in system_env(app, &s.name) {
            secrets.remove(name);
            env.insert(name.to_string(), value);
        }
        for name in &secrets {
            env.remove(name);
        }
        let environment = env.into_iter().map(|(name, value)| EnvVar { name, value }).collect();
        // a resource's URL and password, unless the app gives that variable itself
        resource_secrets.retain(|name, _| !secrets.contains(name));
        let mut secrets: Vec<EnvVar> = secrets
            .into_iter()
            .map(|name| {
                let arn = format!(
                    "arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{}",
                    super::env_parameter_path("${Rack}", app, &name)
                );
                EnvVar {
                    value: json!({ "Fn::Sub": arn }),
                    name,
                }
            })
            .collect();
        secrets.extend(resource_secrets.into_iter().map(|(name, value)| EnvVar { name, value }));
        secrets.sort_by(|a, b| a.name.cmp(&b.name));

        // volumes
        let mut volumes = Vec::new();
        let mut mounts = Vec::new();
        for (i, v) in s.volumes.iter().enumerate() {
            match v {
                Volume::Efs { resource, target } => {
                    let logical = ir
                        .resources
                        .iter()
                        .find(|r| &r.name == resource)
                        .map(|r| format!("Resource{}", r.logical_name));
                    volumes.push(VolumeView {
                        name: resource.clone(),
                        efs: logical,
                        host_path: None,
                    });
                    mounts.push(MountView {
                        target: target.clone(),
                        volume: resource.clone(),
                    });
                }
                Volume::Host { source, target } => {
                    let name = format!("volume-{i}");
                    let host = if SYSTEM_PATHS.contains(&source.as_str()) {
                        source.clone()
                    } else {
                        format!("/volumes/{app}/{}", source.trim_start_matches('/'))
                    };
                    volumes.push(VolumeView {
                        name: name.clone(),
                        efs: None,
                        host_path: Some(host),
                    });
                    mounts.push(MountView {
                        target: target.clone(),
                        volume: name,
                    });
                }
            }
        }

        // ports
        let mut port_mappings = Vec::new();
        if let Some(p) = &s.port {
            port_mappings.push(PortMapping {
                container: p.port,
                host: None,
                protocol: "tcp".into(),
            });
        }
        if let Some(a) = &s.agent {
            for p in &a.ports {
                port_mappings.push(PortMapping {
                    container: p.port,
                    host: Some(p.port),
                    protocol: p.protocol.clone(),
                });
            }
        }
        for e in &s.nlb {
            if !port_mappings.iter().any(|m| m.container == e.container_port) {
                port_mappings.push(PortMapping {
                    container: e.container_port,
                    host: None,
                    protocol: "tcp".into(),
                });
            }
        }

        let port = s.port.map(|p| {
            let (protocol, version) = match p.scheme {
                Scheme::Http => ("HTTP", None),
                Scheme::Https => ("HTTPS", None),
                Scheme::Grpc => ("HTTP", Some("GRPC")),
                Scheme::SecureGrpc => ("HTTPS", Some("GRPC")),
            };
            let grpc = version.is_some();
            PortView {
                port: p.port,
                protocol,
                protocol_version: version,
                matcher_key: if grpc { "GrpcCode" } else { "HttpCode" },
                matcher_param: if grpc {
                    "LoadBalancerGrpcSuccessCodes"
                } else {
                    "LoadBalancerSuccessCodes"
                },
                matcher_default: if grpc { "12" } else { "200-399,401" },
            }
        });

        let mut view = ServiceView {
            name: s.name.clone(),
            app: app.to_string(),
            image,
            registry: s.image.is_none(),
            command: s.command.clone(),
            environment,
            secrets,
            init: s.init,
            privileged: s.privileged,
            termination_grace: s.termination.grace,
            agent: s.agent.is_some(),
            port,
            policies: s.policies.clone(),
            router,
            internal: s.internal,
            internal_and_external: s.internal_and_external,
            domains: s.domains.clone(),
            health: s.health.clone(),
            drain: s.drain,
            sticky: s.sticky,
            deployment: s.deployment,
            grace: (s.port.is_some() || !s.nlb.is_empty()).then_some(s.health.grace),
            mounts,
            volumes,
            port_mappings,
            linked,
            task_role: if s.policies.is_empty() {
                json!({"Ref": "Role"})
            } else {
                json!({"Fn::GetAtt": ["DedicatedRole", "Arn"]})
            },
            target_groups: Vec::new(),
            rules: Vec::new(),
            listener_certificates: Vec::new(),
            load_balancers: Vec::new(),
            depends_on: Vec::new(),
            legacy_service_role: s.port.is_some() && !s.internal_and_external && s.nlb.is_empty(),
            nlb: Vec::new(),
            autoscaling: None,
            formation,
            tags: user_tags(&s.tags),
            fargate,
            ir: s.clone(),
        };
        view.routing(app);
        view.nlb(ir);
        view.scaling();
        view
    }

    /// Target groups and host-header rules (reference §2.2.3), with convox's logical IDs and
    /// priorities (before collisions with other services' rules are resolved).
    fn routing(&mut self, app: &str) {
        let Some(port) = self.port.as_ref().map(|p| p.port) else {
            return;
        };
        let s = self.ir.clone();
        let name = s.name.as_str();
        let main_tg = if s.internal {
            "BalancerTargetGroupInternal"
        } else {
            "BalancerTargetGroup"
        }
        .to_string();
        self.target_groups.push(TargetGroupView {
            logical: main_tg.clone(),
            output: "TargetGroup".into(),
        });
        self.load_balancers.push(LoadBalancerView {
            port,
            target_group: main_tg.clone(),
        });
        let has_domains = !s.domains.is_empty();
        let host_of = |router: &str| {
            sub_with(
                &format!("{app}-{name}.${{Host}}"),
                json!({"Host": import(&format!("{router}Host"))}),
            )
        };
        let internal_host = json!({"Fn::Sub": format!("{name}.{app}.${{Rack}}.convox")});

        let add_set = |view: &mut ServiceView, router: &str, tg: &str, suffix: &str, default_domain: &str| {
            let default_cond = if has_domains { Some("InternalDomains") } else { None };
            let http_cond = if has_domains {
                "InternalDomainsAndRouteHttp"
            } else {
                "RouteHttp"
            };
            view.rules.push(RuleView {
                logical: format!("BalancerListenerRule443{suffix}"),
                listener: format!("{router}Listener443"),
                host: host_of(router),
                priority: priority(app, name, default_domain, -1),
                target_group: tg.into(),
                condition: default_cond,
                depends_on: None,
            });
            view.rules.push(RuleView {
                logical: format!("BalancerListenerRule80{suffix}"),
                listener: format!("{router}Listener80"),
                host: host_of(router),
                priority: priority(app, name, default_domain, -1),
                target_group: tg.into(),
                condition: Some(http_cond),
                depends_on: None,
            });
            for (i, d) in s.domains.iter().enumerate() {
                let key = if suffix.is_empty() {
                    d.clone()
                } else {
                    format!("{d}-external")
                };
                for (listener, cond) in [("443", None), ("80", Some("RouteHttp"))] {
                    view.rules.push(RuleView {
                        logical: format!("BalancerListenerRule{listener}Domain{i}{suffix}"),
                        listener: format!("{router}Listener{listener}"),
                        host: json!(d),
                        priority: priority(app, name, &key, i as i64),
                        target_group: tg.into(),
                        condition: cond,
                        // rules are created one after another, as convox does (avoids throttling)
                        // (the 80 rules all carry RouteHttp, so the previous one exists too)
                        depends_on: (i > 0).then(|| format!("BalancerListenerRule{listener}Domain{}{suffix}", i - 1)),
                    });
                }
            }
            if has_domains {
                view.listener_certificates.push(ListenerCertificateView {
                    logical: format!("BalancerListenerCertificate{suffix}"),
                    listener: format!("{router}Listener443"),
                });
            }
            let first = if has_domains {
                format!("BalancerListenerRule443Domain0{suffix}")
            } else {
                format!("BalancerListenerRule443{suffix}")
            };
            view.depends_on.push(first);
        };
        let router = self.router;
        add_set(self, router, &main_tg, "", "default");
        // the internal DNS name <service>.<app>.<rack>.convox
        for (listener, cond) in [("443", "InternalDomains"), ("80", "InternalDomainsAndRouteHttp")] {
            self.rules.push(RuleView {
                logical: format!("BalancerListenerRule{listener}Internal"),
                listener: format!("{}Listener{listener}", self.router),
                host: internal_host.clone(),
                priority: priority(app, name, "internal", -1),
                target_group: main_tg.clone(),
                condition: Some(cond),
                depends_on: None,
            });
        }
        if s.internal_and_external {
            let tg = "BalancerTargetGroupExternal".to_string();
            self.target_groups.push(TargetGroupView {
                logical: tg.clone(),
                output: "TargetGroupExternal".into(),
            });
            self.load_balancers.push(LoadBalancerView {
                port,
                target_group: tg.clone(),
            });
            add_set(self, "Router", &tg, "External", "default-external");
        }
    }

    fn nlb(&mut self, ir: &App) {
        // a rack param left unset is convox's default, No: written out, because the target
        // group's own default (enabled for instance targets) would drop public clients that the
        // instances' security group does not admit
        let rack_default = |key: &str| ir.rack.as_ref().and_then(|r| r.get(key)) == Some("Yes");
        for e in &self.ir.nlb {
            let internal = e.scheme == NlbScheme::Internal;
            let tg = format!("NLBTargetGroup{}", e.port);
            let listener = format!("NLBListener{}", e.port);
            self.load_balancers.push(LoadBalancerView {
                port: e.container_port,
                target_group: tg.clone(),
            });
            self.depends_on.push(listener.clone());
            self.nlb.push(NlbView {
                port: e.port,
                container_port: e.container_port,
                protocol: if e.protocol == NlbProtocol::Tls { "TLS" } else { "TCP" },
                certificate: e.certificate.clone(),
                iam_certificate: e.certificate.as_deref().is_some_and(|c| c.contains(":iam::")),
                target_group: tg,
                listener,
                balancer: if internal { "NLBInternalArn" } else { "NLBArn" },
                security_group: if internal {
                    "NLBInternalSecurityGroup"
                } else {
                    "NLBSecurityGroup"
                },
                preserve_client_ip: e.preserve_client_ip.unwrap_or_else(|| {
                    rack_default(if internal {
                        "NLBInternalPreserveClientIP"
                    } else {
                        "NLBPreserveClientIP"
                    })
                }),
                cross_zone: e.cross_zone,
                cidrs: e
                    .allow_cidr
                    .iter()
                    .enumerate()
                    .map(|(j, c)| CidrView {
                        logical: format!("NLBPortIngress{}Cidr{j}", e.port),
                        cidr: c.clone(),
                    })
                    .collect(),
            });
        }
    }

    /// Autoscaling when the count is a range; min/max are compile-time numbers (no
    /// Lambda-backed Custom::MathMin/MathMax).
    fn scaling(&mut self) {
        let s = &self.ir;
        if self.agent || s.scale.count.min >= s.scale.count.max {
            return;
        }
        let t = &s.scale.targets;
        // requests per target of the service's target groups: one, or for internalAndExternal
        // both (the same tasks are targets of both load balancers)
        let target_groups: Vec<String> = if self.internal_and_external {
            self.target_groups.iter().map(|t| t.logical.clone()).collect()
        } else {
            self.target_groups
                .first()
                .map(|t| t.logical.clone())
                .into_iter()
                .collect()
        };
        let mut policies = Vec::new();
        for (logical, metric, value) in [
            ("AutoscalingPolicyCpu", "ECSServiceAverageCPUUtilization", t.cpu),
            (
                "AutoscalingPolicyMemory",
                "ECSServiceAverageMemoryUtilization",
                t.memory,
            ),
            ("AutoscalingPolicyRequests", "ALBRequestCountPerTarget", t.requests),
        ] {
            if let Some(v) = value {
                policies.push(PolicyView {
                    logical: logical.into(),
                    metric,
                    value: f64::from(v),
                    target_groups: if metric == "ALBRequestCountPerTarget" {
                        target_groups.clone()
                    } else {
                        Vec::new()
                    },
                    custom: None,
                });
            }
        }
        for (i, m) in t.custom.iter().enumerate() {
            policies.push(PolicyView {
                logical: format!("AutoscalingPolicyCustom{i}"),
                metric: "",
                value: m.value,
                target_groups: Vec::new(),
                custom: Some(CustomView {
                    name: m.name.clone(),
                    namespace: m.namespace.clone(),
                    statistic: match m.aggregate {
                        Statistic::Average => "Average",
                        Statistic::Maximum => "Maximum",
                        Statistic::Minimum => "Minimum",
                        Statistic::Sum => "Sum",
                    },
                    dimensions: m.dimensions.clone(),
                }),
            });
        }
        self.autoscaling = Some(ScalingView {
            min: s.scale.count.min,
            max: s.scale.count.max,
            cooldown: s.scale.cooldown,
            policies,
        });
    }
}

impl TimerView {
    fn new(t: &Timer, service: &ServiceView, app: &str) -> TimerView {
        TimerView {
            name: t.name.clone(),
            app: app.to_string(),
            logical: format!("Timer{}", t.logical_name),
            schedule: t.schedule.clone(),
            schedule_expression: t.schedule_expression.clone(),
            command: vec!["sh".into(), "-c".into(), t.command.clone()],
            service: service.clone(),
            policies: t.policies.clone(),
            task_role: if t.policies.is_empty() {
                json!({"Ref": "Role"})
            } else {
                json!({"Fn::GetAtt": ["DedicatedRole", "Arn"]})
            },
            cluster_arn: sub_with(
                "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/${Cluster}",
                json!({"Cluster": import("Cluster")}),
            ),
            target_id: t
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '-'
                    }
                })
                .take(64)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::priority;

    #[test]
    fn taken_priorities_move_to_the_next_free_one() {
        let mut p = super::Priorities::default();
        assert_eq!(p.take("L", 7), 7);
        assert_eq!(p.take("L", 7), 8);
        assert_eq!(p.take("L", 8), 9);
        assert_eq!(p.take("other", 7), 7);
        assert_eq!(p.take("L", 25000), 25000);
        assert_eq!(p.take("L", 25000), 1);
        assert_eq!(p.take("L", 50000), 50000);
        assert_eq!(p.take("L", 50000), 25001);
    }

    #[test]
    fn linked_parameter_names_are_the_values_keys() {
        let text = "resources:\n  pg:\n    type: postgres\n  my:\n    type: mysql\n  ma:\n    type: mariadb\n  \
                    re:\n    type: redis\n  rs:\n    type: redis\n    options:\n      encrypted: true\n  \
                    va:\n    type: valkey\n  me:\n    type: memcached\n  fs:\n    type: efs\n";
        let loaded = crate::load(crate::Input {
            manifest: Some(crate::SourceFile::new("convox.yml", text)),
            ..Default::default()
        });
        let app = loaded.app.expect("valid");
        let options = crate::backend::BuildOptions {
            app: "a".into(),
            rack: None,
            env_names: Default::default(),
        };
        let view = super::AppView::new(&app, &options);
        assert_eq!(view.resources.len(), 8);
        for r in &view.resources {
            let mut keys: Vec<String> = view.resource_values(r).into_iter().map(|(k, _)| k).collect();
            let mut names = super::linked_parameter_names(&r.ir);
            keys.sort();
            names.sort();
            assert_eq!(keys, names, "{}", r.name);
        }
    }

    #[test]
    fn priorities_match_convox() {
        assert_eq!(priority("myapp", "web", "default", -1), 14628);
        assert_eq!(priority("myapp", "web", "internal", -1), 7392);
        assert_eq!(priority("myapp", "web", "default-external", -1), 13181);
        assert_eq!(priority("myapp", "web", "foo.example.org", 0), 12041);
        assert_eq!(priority("myapp", "web", "*.example.org", 1), 35311);
        assert_eq!(priority("myapp", "web", "foo.example.org-external", 0), 14547);
    }
}
