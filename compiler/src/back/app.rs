//! The view model of the app stack (`templates/app.json`): the app's parameters, certificates,
//! and one nested stack per resource, service and timer (or group, `group.rs`), with the
//! parameters the app stack passes each; and the internal record of every service with a port.

use super::options::BuildOptions;
use super::outline::{MAX_BODY_S3, MAX_RESOURCES};
use super::resource::ResourceView;
use super::service::{Priorities, ServiceView};
use super::timer::TimerView;
use crate::ir::naming::{APP_PARAMS, RACK_OWNED, certificate_id, record_id, service_id};
use crate::ir::rack::validation_zone;
use crate::ir::*;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

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
    /// The build each service (and its timers) runs, where the deploy names one
    /// (`BuildOptions::builds`); the others take the app stack's `Build`.
    #[serde(skip)]
    pub builds: BTreeMap<String, String>,
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
    pub(super) app: String,
    rack: Option<String>,
    params: Vec<ParamView>,
    pub(super) certificates: Vec<CertificateView>,
    resources: Vec<NestedView>,
    pub(super) services: Vec<NestedView>,
    pub(super) groups: Vec<NestedView>,
    timers: Vec<NestedView>,
    agents: Vec<String>,
    service_names: Vec<String>,
    /// ECS Exec is on: the app's service role may open the SSM channels it needs.
    exec: bool,
    /// The registry's lifecycle policy (`lifecycle.rs`), as its JSON text.
    lifecycle_policy: String,
}

impl RootView {
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
        resources > MAX_RESOURCES || parameter_bytes > MAX_BODY_S3
    }
}

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

#[derive(Serialize, Clone)]
pub struct NestedView {
    pub(super) logical: String,
    pub(super) name: String,
    pub(super) key: String,
    #[serde(serialize_with = "json_entries")]
    pub(super) parameters: BTreeMap<String, Value>,
    /// The service has an `Endpoint` output (its first domain).
    pub(super) endpoint: bool,
    pub(super) auto_minor: bool,
    pub(super) password: bool,
    /// The resource's URL and password as a Secrets Manager secret (`{"url", "password"}`):
    /// containers read them as ECS secrets, never as plain task-definition environment.
    pub(super) secret: Option<Value>,
    /// A service with a port: convox's `internal-<service>.<app>.<rack>.convox` record.
    pub(super) record: Option<InternalRecord>,
}

/// convox's `RecordSet<Service>Internal` (reference §2.1): a CNAME in the rack's private zone
/// from `internal-<service>.<app>.<rack>.convox` to the service's load balancer, made in the app
/// stack (or the service's group stack) for every service with a port.
#[derive(Serialize, Clone)]
pub struct InternalRecord {
    pub(super) logical: String,
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
    pub(super) logical: String,
    pub(super) service: String,
    domains: Vec<String>,
    /// Each domain that lies in the rack's Route 53 zone, with that zone: ACM validates it
    /// through the zone (`ir::rack::validation_zone`).
    validation: Vec<(String, String)>,
}

impl AppView {
    pub fn new(ir: &App, options: &BuildOptions) -> AppView {
        let app = options.app.clone();
        let resources: Vec<ResourceView> = ir
            .resources
            .iter()
            .map(|r| ResourceView::new(ir, r, &options.keep))
            .collect();
        use rayon::prelude::*;
        let mut services: Vec<ServiceView> = ir
            .services
            .par_iter()
            .map(|s| ServiceView::new(ir, s, &app, options))
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
                logical: certificate_id(&s.ir.logical_name),
                service: s.name.clone(),
                domains: s.domains.clone(),
                validation: s
                    .domains
                    .iter()
                    .filter_map(|d| Some((d.clone(), validation_zone(d, ir.rack.as_ref())?.to_string())))
                    .collect(),
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
            builds: options.builds.clone(),
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
            let from_rack = RACK_OWNED
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
                parameters: r.parameters().map(|(k, v)| (k.clone(), json!(v))).collect(),
                endpoint: false,
                auto_minor: r.ir.kind != ResourceType::Efs,
                password: r.needs_password(),
                secret: r.secret(),
                record: None,
            })
            .collect();
        let services = self
            .services
            .par_iter()
            .map(|s| NestedView {
                logical: service_id(&s.ir.logical_name),
                name: s.name.clone(),
                key: key(&keys.services, &s.name),
                parameters: self.service_parameters(s),
                endpoint: s.port.is_some() && !s.domains.is_empty(),
                auto_minor: false,
                password: false,
                secret: None,
                record: s.port.is_some().then(|| InternalRecord {
                    logical: record_id(&s.ir.logical_name),
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
            exec: self.services.iter().any(|s| s.exec && s.policies.is_empty()),
            lifecycle_policy: super::lifecycle::policy(self.services.iter().filter(|s| s.ir.image.is_none()).count()),
        }
    }

    fn shared_task_parameters(&self, s: &ServiceView, fargate: Value, own_role: bool) -> BTreeMap<String, Value> {
        let mut p = BTreeMap::new();
        let r = |n: &str| json!({ "Ref": n });
        // a service's own build when the deploy names one: a service whose image did not change
        // keeps the build it runs, so its task definition stays as it is
        let build = self.builds.get(&s.name).map_or_else(|| r("Build"), |b| json!(b));
        p.insert("Build".into(), build);
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
            for (param, value) in res.values() {
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
                    json!({ "Ref": certificate_id(&s.ir.logical_name) }),
                );
            }
        }
        p
    }

    fn timer_parameters(&self, t: &TimerView) -> BTreeMap<String, Value> {
        self.shared_task_parameters(&t.service, json!({"Ref": "FargateTimers"}), !t.policies.is_empty())
    }
}
