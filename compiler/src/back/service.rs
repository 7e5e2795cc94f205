//! The view model of a service's nested stack (`templates/service/`): its task definition,
//! containers and environment, volumes, load-balancer routing with convox's listener-rule
//! priorities, NLB ports and scaling.

use super::render::import;
use super::values::{sub_with, user_tags};
use crate::ir::naming::{env_name, env_parameter_path, has_secret, resource_id};
use crate::ir::*;
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

/// Variables every container gets (`ir::naming::SYSTEM_ENV`); they win over a declaration of the same name.
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
    pub(super) fn take(&mut self, listener: &str, wanted: u32) -> u32 {
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

#[derive(Serialize, Clone)]
pub struct EnvVar {
    name: String,
    value: Value,
}

#[derive(Serialize, Clone)]
pub(super) struct PortView {
    port: u16,
    protocol: &'static str,
    protocol_version: Option<&'static str>,
    pub(super) matcher_key: &'static str,
    pub(super) matcher_param: &'static str,
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
pub(super) struct RuleView {
    logical: String,
    pub(super) listener: String,
    host: Value,
    pub(super) priority: u32,
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

/// Whether the app asks for ECS Exec (convox's app param `ECSExec`). A compile-time value, as
/// count, cpu and memory are: convox.yml's `params:` say it.
pub(super) fn ecs_exec(ir: &App) -> bool {
    ir.params.get("ECSExec").is_some_and(|v| v == "Yes")
}

/// Count, cpu and memory of a service: convox.yml's `<Service>Formation` param if it has one,
/// else its scale.
#[derive(Serialize, Clone, Copy)]
pub(super) struct Formation {
    pub(super) count: u32,
    pub(super) cpu: u32,
    pub(super) memory: u32,
}

#[derive(Serialize, Clone)]
pub struct ServiceView {
    pub name: String,
    app: String,
    image: Value,
    /// The image comes from the app's registry (no `image:`).
    pub(super) registry: bool,
    command: Option<Vec<String>>,
    environment: Vec<EnvVar>,
    /// Variables read from SSM parameters at task start (`ValueFrom` ARNs).
    secrets: Vec<EnvVar>,
    init: bool,
    privileged: bool,
    termination_grace: u32,
    pub(super) agent: bool,
    pub(super) port: Option<PortView>,
    pub(super) policies: Vec<String>,
    router: &'static str,
    pub(super) internal: bool,
    internal_and_external: bool,
    pub(super) domains: Vec<String>,
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
    pub(super) rules: Vec<RuleView>,
    listener_certificates: Vec<ListenerCertificateView>,
    load_balancers: Vec<LoadBalancerView>,
    depends_on: Vec<String>,
    legacy_service_role: bool,
    /// ECS Exec (the app param `ECSExec: Yes`): the service runs its tasks with it, and its own
    /// task role may open the SSM channels it needs.
    pub(super) exec: bool,
    nlb: Vec<NlbView>,
    autoscaling: Option<ScalingView>,
    pub(super) formation: Formation,
    /// The service's `tags:` (sorted), applied to its ECS service and task definition.
    tags: BTreeMap<String, String>,
    #[serde(skip)]
    pub(super) fargate: Option<&'static str>,
    #[serde(skip)]
    pub(super) ir: Service,
}

impl ServiceView {
    pub(super) fn new(ir: &App, s: &Service, app: &str, options: &super::options::BuildOptions) -> ServiceView {
        let env_names = &options.env_names;
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
            let l = resource_id(&r.logical_name);
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
        if let Some(revision) = env_revision(&secrets, &options.env_versions) {
            env.insert(ENV_REVISION.to_string(), json!(revision));
        }
        let environment = env.into_iter().map(|(name, value)| EnvVar { name, value }).collect();
        // a resource's URL and password, unless the app gives that variable itself
        resource_secrets.retain(|name, _| !secrets.contains(name));
        let mut secrets: Vec<EnvVar> = secrets
            .into_iter()
            .map(|name| {
                let arn = format!(
                    "arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{}",
                    env_parameter_path("${Rack}", app, &name)
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
                        .map(|r| resource_id(&r.logical_name));
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
            exec: ecs_exec(ir),
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

#[cfg(test)]
mod tests {
    use super::{Priorities, priority};

    #[test]
    fn taken_priorities_move_to_the_next_free_one() {
        let mut p = Priorities::default();
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
    fn priorities_match_convox() {
        assert_eq!(priority("myapp", "web", "default", -1), 14628);
        assert_eq!(priority("myapp", "web", "internal", -1), 7392);
        assert_eq!(priority("myapp", "web", "default-external", -1), 13181);
        assert_eq!(priority("myapp", "web", "foo.example.org", 0), 12041);
        assert_eq!(priority("myapp", "web", "*.example.org", 1), 35311);
        assert_eq!(priority("myapp", "web", "foo.example.org-external", 0), 14547);
    }
}

/// The variable that carries a digest of the SSM versions of the values a service reads.
pub const ENV_REVISION: &str = "CONVOXC_ENV_REVISION";

/// A digest of the versions of the values a service reads (names and versions, never values), or
/// None when no version is known.
fn env_revision(
    names: &std::collections::BTreeSet<String>,
    versions: &std::collections::BTreeMap<String, i64>,
) -> Option<String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let mut any = false;
    for n in names {
        if let Some(v) = versions.get(n) {
            h.update(format!("{n}={v}\n").as_bytes());
            any = true;
        }
    }
    any.then(|| h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod revision_tests {
    use super::env_revision;
    use std::collections::{BTreeMap, BTreeSet};

    #[test]
    fn the_revision_follows_the_versions_of_what_a_service_reads() {
        let names: BTreeSet<String> = ["A", "B"].map(String::from).into();
        let v1: BTreeMap<String, i64> = [("A".into(), 1), ("B".into(), 4), ("C".into(), 2)].into();
        let mut v2 = v1.clone();
        v2.insert("C".into(), 3); // a value this service does not read
        assert_eq!(env_revision(&names, &v1), env_revision(&names, &v2));
        v2.insert("B".into(), 5);
        assert_ne!(env_revision(&names, &v1), env_revision(&names, &v2));
        assert_eq!(env_revision(&names, &v1).unwrap().len(), 16);
        assert_eq!(env_revision(&names, &BTreeMap::new()), None);
    }
}
