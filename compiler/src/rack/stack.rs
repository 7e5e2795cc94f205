//! The rack stack: the network, the ECS cluster, the instances and the load balancers that apps
//! run on, compiled from the rack params (`templates/rack.json`). Every param is resolved here,
//! at compile time, so the template has no conditions: what it says is what will exist.
//!
//! Its exports keep convox's names (`<rack>:Vpc`, `<rack>:RouterListener443`, …, reference
//! §3.3) so that the app stacks from `convoxc build` deploy onto it; [`exports`] lists them so a
//! build can check an app's imports against the rack it targets.

use super::RackParams;
use crate::backend::{RenderError, Template};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// One problem with the params for building a rack: the param it concerns and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub param: &'static str,
    pub message: String,
    pub help: Option<String>,
}

fn yes(p: &RackParams, name: &str) -> bool {
    matches!(p.get(name), Some("Yes" | "yes" | "true" | "True"))
}

fn text<'p>(p: &'p RackParams, name: &str) -> &'p str {
    p.get(name).unwrap_or("").trim()
}

fn number(p: &RackParams, name: &str) -> i64 {
    text(p, name).parse().unwrap_or(0)
}

fn list(p: &RackParams, name: &str) -> Vec<String> {
    text(p, name)
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// What the rack template needs beyond what the param table checks: the domain of its routers
/// and consistent scaling schedules.
pub fn problems(p: &RackParams) -> Vec<Problem> {
    let mut out = Vec::new();
    let public = !yes(p, "InternalOnly");
    if public && text(p, "RouterHost").is_empty() {
        out.push(Problem {
            param: "RouterHost",
            message: "the rack's public router needs a domain: services answer on <app>-<service>.<RouterHost>".into(),
            help: Some(
                "set RouterHost (e.g. `RouterHost: apps.example.com`) and RouterHostedZoneId, its Route 53 zone; convox's convox.site domain is run by convox and cannot be used"
                    .into(),
            ),
        });
    }
    if internal_router(p) && text(p, "RouterHost").is_empty() && text(p, "RouterInternalHost").is_empty() {
        out.push(Problem {
            param: "RouterInternalHost",
            message: "the rack's internal router needs a domain: set RouterInternalHost (or RouterHost)".into(),
            help: None,
        });
    }
    for name in ["RouterHost", "RouterInternalHost"] {
        let v = text(p, name);
        if !v.is_empty() && !is_domain(v) {
            out.push(Problem {
                param: if name == "RouterHost" {
                    "RouterHost"
                } else {
                    "RouterInternalHost"
                },
                message: format!("{name} `{v}` is not a DNS domain name"),
                help: Some("use lowercase labels of letters, digits and dashes, separated by dots".into()),
            });
        }
    }
    let zone = text(p, "RouterHostedZoneId");
    if !zone.is_empty() && !zone.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        out.push(Problem {
            param: "RouterHostedZoneId",
            message: format!(
                "RouterHostedZoneId `{zone}` is not a Route 53 hosted zone ID (like Z0123456789ABCDEFGHIJ)"
            ),
            help: None,
        });
    }
    for name in ["RouterCertificateArn", "RouterInternalCertificateArn"] {
        let v = text(p, name);
        let acm = v.starts_with("arn:aws") && v.contains(":acm:");
        if !v.is_empty() && !acm {
            out.push(Problem {
                param: name,
                message: format!("{name} `{v}` is not an ACM certificate ARN"),
                help: None,
            });
        }
    }
    let down = text(p, "ScheduleRackScaleDown");
    let up = text(p, "ScheduleRackScaleUp");
    for (name, v) in [("ScheduleRackScaleDown", down), ("ScheduleRackScaleUp", up)] {
        if !v.is_empty() && v.split_whitespace().count() != 5 {
            out.push(Problem {
                param: name,
                message: format!(
                    "{name} `{v}` is not a 5-field cron expression (minute hour day-of-month month day-of-week, UTC)"
                ),
                help: None,
            });
        }
    }
    if down.is_empty() != up.is_empty() {
        let (param, other) = if down.is_empty() {
            ("ScheduleRackScaleUp", "ScheduleRackScaleDown")
        } else {
            ("ScheduleRackScaleDown", "ScheduleRackScaleUp")
        };
        out.push(Problem {
            param,
            message: format!("{param} is set without {other}: the rack would scale one way and never back"),
            help: Some(format!("set {other} too")),
        });
    }
    if !text(p, "ExistingVpc").is_empty() && text(p, "InternetGateway").is_empty() {
        out.push(Problem {
            param: "InternetGateway",
            message: "with ExistingVpc the rack's public subnets need the VPC's internet gateway: set InternetGateway"
                .into(),
            help: None,
        });
    }
    if !list(p, "SpotFleetAllowedInstanceTypes").is_empty() && !list(p, "SpotFleetExcludedInstanceTypes").is_empty() {
        out.push(Problem {
            param: "SpotFleetExcludedInstanceTypes",
            message: "SpotFleetAllowedInstanceTypes and SpotFleetExcludedInstanceTypes cannot both be set".into(),
            help: None,
        });
    }
    let zones = list(p, "AvailabilityZones");
    if !zones.is_empty() && zones.len() < az_count(p) {
        out.push(Problem {
            param: "AvailabilityZones",
            message: format!(
                "AvailabilityZones names {} zone(s) but the rack uses {} (MaxAvailabilityZones)",
                zones.len(),
                az_count(p)
            ),
            help: None,
        });
    }
    out
}

fn is_domain(v: &str) -> bool {
    v.len() <= 200
        && v.contains('.')
        && v.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

fn internal_router(p: &RackParams) -> bool {
    yes(p, "Internal") || yes(p, "InternalOnly")
}

fn az_count(p: &RackParams) -> usize {
    if number(p, "MaxAvailabilityZones") == 2 { 2 } else { 3 }
}

/// The exports the rack stack makes under these params (names without the `<rack>:` prefix).
pub fn exports(p: &RackParams) -> BTreeSet<String> {
    let view = RackView::new("rack", p);
    view.exports.iter().map(|e| e.name.clone()).collect()
}

/// Build the rack template. The params must have passed [`problems`].
pub fn build(name: &str, p: &RackParams) -> Result<Template, RenderError> {
    let r = crate::backend::render::shared()?;
    let view = RackView::new(name, p);
    r.template(&["rack.json"], &view)
}

#[derive(Serialize)]
struct Az {
    index: usize,
    /// The zone was named by the AvailabilityZones param.
    named: bool,
    zone: Value,
    public_cidr: String,
    private_cidr: String,
}

#[derive(Serialize)]
struct Router {
    /// `Router` or `RouterInternal`: the logical-ID and export prefix.
    logical: &'static str,
    internal: bool,
    /// `public` or `private`: the subnets it lives in.
    subnets: &'static str,
    host: String,
    /// The security groups given by a param, instead of the rack's own.
    given_groups: Vec<String>,
    /// Who may reach it when the rack makes its group.
    ingress_cidr: Value,
    certificate_arn: Option<String>,
    name: String,
}

#[derive(Serialize)]
struct Nlb {
    /// `NLBRouter` or `NLBRouterInternal`.
    logical: &'static str,
    /// `NLB` or `NLBInternal`: the export prefix.
    export: &'static str,
    internal: bool,
    cross_zone: bool,
    deletion_protection: bool,
    preserve_client_ip: bool,
    allow_cidrs: Vec<String>,
}

#[derive(Serialize)]
struct Schedule {
    logical: &'static str,
    recurrence: String,
    min: i64,
    desired: i64,
}

#[derive(Serialize)]
struct Spot {
    base: i64,
    max_price: String,
    strategy: &'static str,
    allowed: Vec<String>,
    excluded: Vec<String>,
    min_memory: i64,
    min_vcpu: i64,
}

#[derive(Serialize)]
struct Instances {
    instance_type: String,
    /// An explicit AMI (the `Ami` param); else the SSM parameter `AmiParameter` resolves one.
    ami: Option<String>,
    ami_parameter: String,
    key: Option<String>,
    tenancy: String,
    cpu_credits: Option<String>,
    imds_tokens: String,
    hop_limit: i64,
    encrypt_ebs: bool,
    volume_size: i64,
    min: i64,
    max: i64,
    /// None when autoscaling decides.
    desired: Option<i64>,
    batch: i64,
    autoscale: bool,
    policy: Option<String>,
    security_group: Option<String>,
    user_data: Value,
    spot: Option<Spot>,
    schedules: Vec<Schedule>,
}

#[derive(Serialize)]
struct Export {
    name: String,
    value: Value,
}

#[derive(Serialize)]
struct RackView {
    /// Rack params that apps take as their own params (convox passes them on every deploy):
    /// outputs, so that the applier can read them from the rack stack.
    app_params: Vec<(String, String)>,
    /// The params as given (no NoEcho ones), in the template's Metadata: `convoxc apply` reads
    /// them back to compile an app against this rack (zones, NLB defaults, exports …).
    params: BTreeMap<String, String>,
    rack: String,
    azs: Vec<Az>,
    existing_vpc: Option<String>,
    /// The VPC: `{"Ref": "Vpc"}` or the existing VPC's ID.
    vpc: Value,
    instances_depend_on: Vec<String>,
    internet_gateway: Option<String>,
    vpc_cidr: String,
    private: bool,
    /// `SubnetPrivate` when the rack is private, else `Subnet`: where instances and internal
    /// load balancers go.
    inner_subnets: &'static str,
    routers: Vec<Router>,
    zone_id: Option<String>,
    nlbs: Vec<Nlb>,
    instances: Instances,
    idle_timeout: i64,
    mitigation: String,
    ssl_policy: String,
    port80: bool,
    versioning: String,
    kms: bool,
    log_bucket: Option<String>,
    log_retention: Option<i64>,
    efs_encrypted: bool,
    exports: Vec<Export>,
}

/// Instance families of AWS Graviton (arm64): the arm64 ECS-optimized AMI.
fn is_arm(instance_type: &str) -> bool {
    let family = instance_type.split('.').next().unwrap_or("");
    // m6g, c7gd, t4g, r8g, x2gd, im4gn, is4gen, a1 …
    family == "a1"
        || family
            .trim_start_matches(|c: char| c.is_ascii_lowercase())
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .starts_with('g')
}

fn opt(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_string())
}

impl RackView {
    fn new(rack: &str, p: &RackParams) -> Self {
        let n = az_count(p);
        let zones = list(p, "AvailabilityZones");
        let azs = (0..n)
            .map(|i| Az {
                index: i,
                named: zones.get(i).is_some(),
                zone: match zones.get(i) {
                    Some(z) => json!(z),
                    None => json!({"Fn::Select": [i, {"Fn::GetAZs": ""}]}),
                },
                public_cidr: text(p, &format!("Subnet{i}CIDR")).to_string(),
                private_cidr: text(p, &format!("SubnetPrivate{i}CIDR")).to_string(),
            })
            .collect();
        let private = yes(p, "Private");
        let vpc_cidr = text(p, "VPCCIDR").to_string();
        let router_host = text(p, "RouterHost").to_string();
        let internal_host = match text(p, "RouterInternalHost") {
            "" => format!("internal.{router_host}"),
            h => h.to_string(),
        };
        let mut routers = Vec::new();
        if !yes(p, "InternalOnly") {
            routers.push(Router {
                logical: "Router",
                internal: false,
                subnets: "Subnet",
                host: router_host.clone(),
                given_groups: list(p, "RouterSecurityGroup"),
                ingress_cidr: json!("0.0.0.0/0"),
                certificate_arn: opt(text(p, "RouterCertificateArn")),
                name: rack.to_string(),
            });
        }
        if internal_router(p) {
            routers.push(Router {
                logical: "RouterInternal",
                internal: true,
                subnets: if private { "SubnetPrivate" } else { "Subnet" },
                host: internal_host,
                given_groups: list(p, "RouterInternalSecurityGroup"),
                ingress_cidr: json!(vpc_cidr),
                certificate_arn: opt(text(p, "RouterInternalCertificateArn")),
                name: format!("{rack}{}", text(p, "InternalRouterSuffix")),
            });
        }
        let mut nlbs = Vec::new();
        if yes(p, "NLB") {
            nlbs.push(Nlb {
                logical: "NLBRouter",
                export: "NLB",
                internal: false,
                cross_zone: yes(p, "NLBCrossZone"),
                deletion_protection: yes(p, "NLBDeletionProtection"),
                preserve_client_ip: yes(p, "NLBPreserveClientIP"),
                allow_cidrs: list(p, "NLBAllowCIDR"),
            });
        }
        if yes(p, "NLBInternal") {
            let mut allow = list(p, "NLBInternalAllowCIDR");
            if allow.is_empty() {
                allow.push(vpc_cidr.clone());
            }
            nlbs.push(Nlb {
                logical: "NLBRouterInternal",
                export: "NLBInternal",
                internal: true,
                cross_zone: yes(p, "NLBInternalCrossZone"),
                deletion_protection: yes(p, "NLBInternalDeletionProtection"),
                preserve_client_ip: yes(p, "NLBInternalPreserveClientIP"),
                allow_cidrs: allow,
            });
        }

        let ha = text(p, "HighAvailability") != "false";
        let count = if ha {
            number(p, "InstanceCount")
        } else {
            number(p, "NoHaInstanceCount")
        };
        let autoscale = yes(p, "Autoscale");
        let instance_type = text(p, "InstanceType").to_string();
        let ami_parameter = if is_arm(&instance_type) {
            text(p, "DefaultAmiArm")
        } else {
            text(p, "DefaultAmi")
        };
        // spot capacity: convox's SpotInstanceBid (spot instances) or SpotFleetMaxPrice (spot
        // fleet); a convoxc rack has one group that mixes spot and on-demand instances
        let bid = opt(text(p, "SpotInstanceBid")).or_else(|| opt(text(p, "SpotFleetMaxPrice")));
        let spot = bid.map(|bid| Spot {
            base: number(p, "OnDemandMinCount"),
            max_price: bid,
            strategy: match text(p, "SpotFleetAllocationStrategy") {
                "capacityOptimized" => "capacity-optimized",
                "diversified" => "price-capacity-optimized",
                _ => "lowest-price",
            },
            allowed: list(p, "SpotFleetAllowedInstanceTypes"),
            excluded: list(p, "SpotFleetExcludedInstanceTypes"),
            min_memory: number(p, "SpotFleetMinMemoryMiB"),
            min_vcpu: number(p, "SpotFleetMinVcpuCount").max(1),
        });
        let mut schedules = Vec::new();
        if let (Some(down), Some(up)) = (
            opt(text(p, "ScheduleRackScaleDown")),
            opt(text(p, "ScheduleRackScaleUp")),
        ) {
            schedules.push(Schedule {
                logical: "InstancesScheduledScaleDown",
                recurrence: down,
                min: 0,
                desired: 0,
            });
            schedules.push(Schedule {
                logical: "InstancesScheduledScaleUp",
                recurrence: up,
                min: count,
                desired: count,
            });
        }
        let instances = Instances {
            ami: opt(text(p, "Ami")),
            ami_parameter: ami_parameter.to_string(),
            key: opt(text(p, "Key")),
            tenancy: text(p, "Tenancy").to_string(),
            cpu_credits: opt(text(p, "CpuCredits")),
            imds_tokens: text(p, "IMDSHttpTokens").to_string(),
            hop_limit: number(p, "IMDSHttpPutResponseHopLimit"),
            encrypt_ebs: yes(p, "EncryptEbs"),
            volume_size: number(p, "VolumeSize"),
            min: count,
            // room to grow: autoscaling may go up to ten times the base count
            max: if autoscale { (count * 10).max(10) } else { count },
            desired: (!autoscale).then_some(count),
            batch: number(p, "InstanceUpdateBatchSize"),
            autoscale,
            policy: opt(text(p, "InstancePolicy")),
            security_group: opt(text(p, "InstanceSecurityGroup")),
            user_data: user_data(p),
            spot,
            schedules,
            instance_type,
        };
        let log_retention = match text(p, "LogRetention") {
            "" => None,
            v => v.parse().ok(),
        };
        let existing_vpc = opt(text(p, "ExistingVpc"));
        // instances mount the shared volume and reach ECS and ECR as they boot
        let mut instances_depend_on = vec!["RoutePublicDefault".to_string()];
        if private {
            instances_depend_on.extend((0..n).map(|i| format!("RoutePrivateDefault{i}")));
        }
        instances_depend_on.extend((0..n).map(|i| format!("VolumeTarget{i}")));
        let mut view = RackView {
            app_params: crate::validate::RACK_OWNED
                .iter()
                .map(|n| (n.to_string(), text(p, n).to_string()))
                .collect(),
            params: p
                .values
                .iter()
                .filter(|(k, _)| super::spec(k).is_some_and(|s| !s.no_echo))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            rack: rack.to_string(),
            azs,
            vpc: match &existing_vpc {
                Some(v) => json!(v),
                None => json!({"Ref": "Vpc"}),
            },
            instances_depend_on,
            internet_gateway: existing_vpc.as_ref().and(opt(text(p, "InternetGateway"))),
            existing_vpc,
            vpc_cidr,
            private,
            inner_subnets: if private { "SubnetPrivate" } else { "Subnet" },
            routers,
            zone_id: opt(text(p, "RouterHostedZoneId")),
            nlbs,
            instances,
            idle_timeout: number(p, "LoadBalancerIdleTimeout"),
            mitigation: text(p, "RouterMitigationMode").to_string(),
            ssl_policy: match text(p, "SslPolicy") {
                "" => "ELBSecurityPolicy-TLS13-1-2-2021-06".to_string(),
                s => s.to_string(),
            },
            port80: !yes(p, "DisableALBPort80"),
            versioning: text(p, "EnableS3Versioning").to_string(),
            kms: text(p, "Encryption") != "No",
            log_bucket: opt(text(p, "LogBucket")),
            log_retention,
            efs_encrypted: text(p, "EnableSharedEFSVolumeEncryption") == "true",
            exports: Vec::new(),
        };
        view.exports = view.export_list();
        view
    }

    fn export_list(&self) -> Vec<Export> {
        let r = |l: &str| json!({"Ref": l});
        let att = |l: &str, a: &str| json!({"Fn::GetAtt": [l, a]});
        let mut e: Vec<(String, Value)> = vec![
            ("Cluster".into(), r("Cluster")),
            ("CustomerManagedKey".into(), att("CustomerManagedKey", "Arn")),
            ("CMKPolicy".into(), r("CMKPolicy")),
            // convox's EncryptionKey is a second key for env secrets; convoxc keeps secrets in
            // SSM under the one customer managed key
            ("EncryptionKey".into(), att("CustomerManagedKey", "Arn")),
            ("HostedZone".into(), r("HostedZone")),
            (
                "InstancesSecurityGroup".into(),
                match &self.instances.security_group {
                    Some(g) => json!(g),
                    None => r("InstancesSecurity"),
                },
            ),
            ("LogGroup".into(), r("LogGroup")),
            ("NotificationTopic".into(), r("NotificationTopic")),
            ("ServiceRole".into(), att("ServiceRole", "Arn")),
            ("SettingsBucket".into(), r("Settings")),
            ("Vpc".into(), self.vpc.clone()),
            ("VpcCidr".into(), json!(self.vpc_cidr)),
        ];
        for az in &self.azs {
            e.push((format!("Subnet{}", az.index), r(&format!("Subnet{}", az.index))));
            if self.private {
                e.push((
                    format!("SubnetPrivate{}", az.index),
                    r(&format!("SubnetPrivate{}", az.index)),
                ));
            }
        }
        for router in &self.routers {
            let l = router.logical;
            let domain = if router.internal { "DomainInternal" } else { "Domain" };
            e.push((domain.into(), att(l, "DNSName")));
            e.push((
                format!("{l}Certificate"),
                match &router.certificate_arn {
                    Some(a) => json!(a),
                    None => r(&format!("{l}Certificate")),
                },
            ));
            e.push((format!("{l}Host"), json!(router.host)));
            if self.port80 {
                e.push((format!("{l}Listener80"), r(&format!("{l}Listener80"))));
            }
            e.push((format!("{l}Listener443"), r(&format!("{l}Listener443"))));
            e.push((format!("{l}Name"), att(l, "LoadBalancerFullName")));
            e.push((
                format!("{l}SecurityGroup"),
                match router.given_groups.first() {
                    Some(g) => json!(g),
                    None => r(&format!("{l}Security")),
                },
            ));
        }
        for nlb in &self.nlbs {
            let (l, x) = (nlb.logical, nlb.export);
            e.push((format!("{x}Arn"), r(l)));
            e.push((format!("{x}CanonicalHostedZoneID"), att(l, "CanonicalHostedZoneID")));
            e.push((format!("{x}Host"), att(l, "DNSName")));
            e.push((format!("{x}SecurityGroup"), r(&format!("{l}Security"))));
            if !nlb.internal {
                for az in &self.azs {
                    e.push((format!("NLBEIP{}", az.index), r(&format!("{l}EIP{}", az.index))));
                }
            }
        }
        e.sort_by(|a, b| a.0.cmp(&b.0));
        e.into_iter().map(|(name, value)| Export { name, value }).collect()
    }
}

/// The instances' cloud-init user data: ECS agent settings, the shared EFS volume at /volumes,
/// swap, image pruning and the user's boot/run commands. Built as `Fn::Join` pieces (not
/// `Fn::Sub`) so that `${...}` in a user's command reaches the shell unchanged.
fn user_data(p: &RackParams) -> Value {
    let mut ecs = vec![
        "ECS_ENABLE_TASK_IAM_ROLE=true".to_string(),
        "ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=true".to_string(),
        "ECS_ENABLE_SPOT_INSTANCE_DRAINING=true".to_string(),
        format!("ECS_IMAGE_PULL_BEHAVIOR={}", text(p, "ImagePullBehavior")),
    ];
    if let Some(t) = opt(text(p, "EcsContainerStopTimeout")) {
        ecs.push(format!("ECS_CONTAINER_STOP_TIMEOUT={t}"));
    }
    let proxy = opt(text(p, "HttpProxy"));
    if let Some(proxy) = &proxy {
        ecs.push(format!("HTTP_PROXY={proxy}"));
        ecs.push("NO_PROXY=169.254.169.254,169.254.170.2,/var/run/docker.sock".to_string());
    }
    let swap = number(p, "SwapSize");
    let hours = number(p, "PruneOlderImagesInHour");
    let freq = text(p, "PruneOlderImagesCronRunFreq");
    let yaml = |s: &str| serde_json::to_string(s).expect("a string serialises");

    let mut lines: Vec<Value> = vec![json!("#cloud-config\nrepo_upgrade: none\n")];
    if let Some(cmd) = opt(text(p, "InstanceBootCommand")) {
        lines.push(json!(format!("bootcmd:\n  - {}\n", yaml(&cmd))));
    }
    lines.push(json!("packages:\n  - amazon-efs-utils\nwrite_files:\n  - path: /etc/ecs/ecs.config\n    append: true\n    content: |\n      ECS_CLUSTER="));
    lines.push(json!({"Ref": "Cluster"}));
    let mut rest = String::from("\n");
    for l in &ecs {
        rest.push_str(&format!("      {l}\n"));
    }
    rest.push_str(&format!(
        "  - path: /etc/cron.{freq}/convoxc-prune-images\n    permissions: '0755'\n    content: |\n      #!/bin/sh\n      docker image prune --all --force --filter until={hours}h\n"
    ));
    if let Some(proxy) = &proxy {
        rest.push_str(&format!(
            "  - path: /etc/systemd/system/docker.service.d/http-proxy.conf\n    content: |\n      [Service]\n      Environment=\"HTTP_PROXY={proxy}\" \"HTTPS_PROXY={proxy}\" \"NO_PROXY=169.254.169.254,169.254.170.2\"\n"
        ));
    }
    // the shared volume, in fstab so that it is mounted again after a reboot
    rest.push_str("runcmd:\n  - mkdir -p /volumes\n  - [sh, -c, \"echo '");
    lines.push(json!(rest));
    lines.push(json!({"Ref": "VolumeFilesystem"}));
    let mut tail = String::from(":/ /volumes efs _netdev,tls 0 0' >> /etc/fstab && mount -a -t efs\"]\n");
    if swap > 0 {
        tail.push_str(&format!(
            "  - [sh, -c, \"fallocate -l {swap}G /swapfile && chmod 600 /swapfile && mkswap /swapfile && swapon /swapfile && echo '/swapfile none swap sw 0 0' >> /etc/fstab\"]\n"
        ));
    }
    if let Some(cmd) = opt(text(p, "InstanceRunCommand")) {
        tail.push_str(&format!("  - {}\n", yaml(&cmd)));
    }
    lines.push(json!(tail));
    json!({"Fn::Base64": {"Fn::Join": ["", lines]}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> RackParams {
        let mut p = RackParams::defaults();
        for (k, v) in pairs {
            p.values.insert(k.to_string(), v.to_string());
        }
        p
    }

    #[test]
    fn graviton_types_get_the_arm_ami() {
        for t in [
            "t4g.small",
            "m6g.large",
            "c7gd.xlarge",
            "a1.medium",
            "im4gn.large",
            "r8g.large",
        ] {
            assert!(is_arm(t), "{t}");
        }
        for t in [
            "t3.small",
            "m5.large",
            "c6i.large",
            "g4dn.xlarge",
            "m6a.large",
            "inf1.xlarge",
        ] {
            assert!(!is_arm(t), "{t}");
        }
    }

    #[test]
    fn router_host_is_required_unless_internal_only() {
        let p = params(&[]);
        assert_eq!(problems(&p).iter().map(|x| x.param).collect::<Vec<_>>(), ["RouterHost"]);
        let p = params(&[("InternalOnly", "Yes"), ("RouterInternalHost", "int.example.com")]);
        assert!(problems(&p).is_empty(), "{:?}", problems(&p));
        let p = params(&[("RouterHost", "Apps.example.com")]);
        assert_eq!(problems(&p).len(), 1);
    }

    #[test]
    fn exports_follow_the_params() {
        let base = params(&[("RouterHost", "apps.example.com")]);
        let e = exports(&base);
        assert!(e.contains("RouterListener80") && e.contains("Subnet2") && !e.contains("SubnetPrivate0"));
        assert!(!e.contains("RouterInternalListener443") && !e.contains("NLBArn"));
        let p = params(&[
            ("RouterHost", "apps.example.com"),
            ("DisableALBPort80", "Yes"),
            ("MaxAvailabilityZones", "2"),
            ("Private", "Yes"),
            ("Internal", "Yes"),
            ("NLB", "Yes"),
        ]);
        let e = exports(&p);
        assert!(!e.contains("RouterListener80") && !e.contains("Subnet2"));
        assert!(e.contains("SubnetPrivate1") && e.contains("RouterInternalListener443") && e.contains("NLBEIP1"));
    }
}
