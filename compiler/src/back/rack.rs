//! The rack stack: the network, the ECS cluster, the instances and the load balancers that apps
//! run on, compiled from the rack params (`templates/rack.json`). Every param is resolved here,
//! at compile time, so the template has no conditions: what it says is what will exist.
//!
//! Its exports keep convox's names (`<rack>:Vpc`, `<rack>:RouterListener443`, …, reference
//! §3.3) so that the app stacks from `convoxc build` deploy onto it; [`exports`] lists them so a
//! build can check an app's imports against the rack it targets.

use super::render::{self, RenderError};
use super::template::Template;
use crate::ir::RackParams;
use crate::ir::naming::RACK_OWNED;
use crate::ir::rack::spec;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The exports the rack stack makes under these params (names without the `<rack>:` prefix).
pub fn exports(p: &RackParams) -> BTreeSet<String> {
    let view = RackView::new("rack", p);
    view.exports.iter().map(|e| e.name.clone()).collect()
}

/// Build the rack template. The params must have passed [`problems`].
/// The AWS account that writes an Application Load Balancer's access logs, in each region opened
/// before August 2022 (Elastic Load Balancing's documentation, "Enable access logs"); newer regions
/// deliver them as the service `logdelivery.elasticloadbalancing.amazonaws.com`.
const ELB_ACCOUNTS: &[(&str, &str)] = &[
    ("af-south-1", "098369216593"),
    ("ap-east-1", "754344448648"),
    ("ap-northeast-1", "582318560864"),
    ("ap-northeast-2", "600734575887"),
    ("ap-northeast-3", "383597477331"),
    ("ap-south-1", "718504428378"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ap-southeast-3", "589379963580"),
    ("ca-central-1", "985666609251"),
    ("eu-central-1", "054676820928"),
    ("eu-north-1", "897822967062"),
    ("eu-south-1", "635631232127"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-west-3", "009996457667"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
];

pub fn build(name: &str, p: &RackParams) -> Result<Template, RenderError> {
    let r = render::shared()?;
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
    /// The routers and NLBs write access logs to the rack's Logs bucket.
    access_logs: bool,
    /// The regions whose load balancers deliver logs as an ELB account of their own (opened
    /// before August 2022), in `Fn::Or`s of at most 10; elsewhere the log-delivery service does.
    elb_regions: Vec<Vec<&'static str>>,
    elb_accounts: &'static [(&'static str, &'static str)],
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
        let n = p.az_count();
        let zones = p.list("AvailabilityZones");
        let azs = (0..n)
            .map(|i| Az {
                index: i,
                named: zones.get(i).is_some(),
                zone: match zones.get(i) {
                    Some(z) => json!(z),
                    None => json!({"Fn::Select": [i, {"Fn::GetAZs": ""}]}),
                },
                public_cidr: p.text(&format!("Subnet{i}CIDR")).to_string(),
                private_cidr: p.text(&format!("SubnetPrivate{i}CIDR")).to_string(),
            })
            .collect();
        let private = p.yes("Private");
        let vpc_cidr = p.text("VPCCIDR").to_string();
        let router_host = p.text("RouterHost").to_string();
        let internal_host = match p.text("RouterInternalHost") {
            "" => format!("internal.{router_host}"),
            h => h.to_string(),
        };
        let mut routers = Vec::new();
        if !p.yes("InternalOnly") {
            routers.push(Router {
                logical: "Router",
                internal: false,
                subnets: "Subnet",
                host: router_host.clone(),
                given_groups: p.list("RouterSecurityGroup"),
                ingress_cidr: json!("0.0.0.0/0"),
                certificate_arn: opt(p.text("RouterCertificateArn")),
                name: rack.to_string(),
            });
        }
        if p.internal_router() {
            routers.push(Router {
                logical: "RouterInternal",
                internal: true,
                subnets: if private { "SubnetPrivate" } else { "Subnet" },
                host: internal_host,
                given_groups: p.list("RouterInternalSecurityGroup"),
                ingress_cidr: json!(vpc_cidr),
                certificate_arn: opt(p.text("RouterInternalCertificateArn")),
                name: format!("{rack}{}", p.text("InternalRouterSuffix")),
            });
        }
        let mut nlbs = Vec::new();
        if p.yes("NLB") {
            nlbs.push(Nlb {
                logical: "NLBRouter",
                export: "NLB",
                internal: false,
                cross_zone: p.yes("NLBCrossZone"),
                deletion_protection: p.yes("NLBDeletionProtection"),
                preserve_client_ip: p.yes("NLBPreserveClientIP"),
                allow_cidrs: p.list("NLBAllowCIDR"),
            });
        }
        if p.yes("NLBInternal") {
            let mut allow = p.list("NLBInternalAllowCIDR");
            if allow.is_empty() {
                allow.push(vpc_cidr.clone());
            }
            nlbs.push(Nlb {
                logical: "NLBRouterInternal",
                export: "NLBInternal",
                internal: true,
                cross_zone: p.yes("NLBInternalCrossZone"),
                deletion_protection: p.yes("NLBInternalDeletionProtection"),
                preserve_client_ip: p.yes("NLBInternalPreserveClientIP"),
                allow_cidrs: allow,
            });
        }

        let ha = p.text("HighAvailability") != "false";
        let count = if ha {
            p.number("InstanceCount")
        } else {
            p.number("NoHaInstanceCount")
        };
        let autoscale = p.yes("Autoscale");
        let instance_type = p.text("InstanceType").to_string();
        let ami_parameter = if is_arm(&instance_type) {
            p.text("DefaultAmiArm")
        } else {
            p.text("DefaultAmi")
        };
        // spot capacity: convox's SpotInstanceBid (spot instances) or SpotFleetMaxPrice (spot
        // fleet); a convoxc rack has one group that mixes spot and on-demand instances
        let bid = opt(p.text("SpotInstanceBid")).or_else(|| opt(p.text("SpotFleetMaxPrice")));
        let spot = bid.map(|bid| Spot {
            base: p.number("OnDemandMinCount"),
            max_price: bid,
            strategy: match p.text("SpotFleetAllocationStrategy") {
                "capacityOptimized" => "capacity-optimized",
                "diversified" => "price-capacity-optimized",
                _ => "lowest-price",
            },
            allowed: p.list("SpotFleetAllowedInstanceTypes"),
            excluded: p.list("SpotFleetExcludedInstanceTypes"),
            min_memory: p.number("SpotFleetMinMemoryMiB"),
            min_vcpu: p.number("SpotFleetMinVcpuCount").max(1),
        });
        let mut schedules = Vec::new();
        if let (Some(down), Some(up)) = (opt(p.text("ScheduleRackScaleDown")), opt(p.text("ScheduleRackScaleUp"))) {
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
            ami: opt(p.text("Ami")),
            ami_parameter: ami_parameter.to_string(),
            key: opt(p.text("Key")),
            tenancy: p.text("Tenancy").to_string(),
            cpu_credits: opt(p.text("CpuCredits")),
            imds_tokens: p.text("IMDSHttpTokens").to_string(),
            hop_limit: p.number("IMDSHttpPutResponseHopLimit"),
            encrypt_ebs: p.yes("EncryptEbs"),
            volume_size: p.number("VolumeSize"),
            min: count,
            // room to grow: autoscaling may go up to ten times the base count
            max: if autoscale { (count * 10).max(10) } else { count },
            desired: (!autoscale).then_some(count),
            batch: p.number("InstanceUpdateBatchSize"),
            autoscale,
            policy: opt(p.text("InstancePolicy")),
            security_group: opt(p.text("InstanceSecurityGroup")),
            user_data: user_data(p),
            spot,
            schedules,
            instance_type,
        };
        let log_retention = match p.text("LogRetention") {
            "" => None,
            v => v.parse().ok(),
        };
        let existing_vpc = opt(p.text("ExistingVpc"));
        // instances mount the shared volume and reach ECS and ECR as they boot
        let mut instances_depend_on = vec!["RoutePublicDefault".to_string()];
        if private {
            instances_depend_on.extend((0..n).map(|i| format!("RoutePrivateDefault{i}")));
        }
        instances_depend_on.extend((0..n).map(|i| format!("VolumeTarget{i}")));
        let mut view = RackView {
            app_params: RACK_OWNED
                .iter()
                .map(|n| (n.to_string(), p.text(n).to_string()))
                .collect(),
            params: p
                .values
                .iter()
                .filter(|(k, _)| spec(k).is_some_and(|s| !s.no_echo))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            rack: rack.to_string(),
            azs,
            vpc: match &existing_vpc {
                Some(v) => json!(v),
                None => json!({"Ref": "Vpc"}),
            },
            instances_depend_on,
            internet_gateway: existing_vpc.as_ref().and(opt(p.text("InternetGateway"))),
            existing_vpc,
            vpc_cidr,
            private,
            inner_subnets: if private { "SubnetPrivate" } else { "Subnet" },
            routers,
            zone_id: opt(p.text("RouterHostedZoneId")),
            nlbs,
            instances,
            idle_timeout: p.number("LoadBalancerIdleTimeout"),
            mitigation: p.text("RouterMitigationMode").to_string(),
            ssl_policy: match p.text("SslPolicy") {
                "" => "ELBSecurityPolicy-TLS13-1-2-2021-06".to_string(),
                s => s.to_string(),
            },
            port80: !p.yes("DisableALBPort80"),
            versioning: p.text("EnableS3Versioning").to_string(),
            kms: p.text("Encryption") != "No",
            log_bucket: opt(p.text("LogBucket")),
            access_logs: p.yes("LoadBalancerAccessLogs") && p.text("LogBucket").is_empty(),
            elb_regions: ELB_ACCOUNTS
                .chunks(10)
                .map(|c| c.iter().map(|(r, _)| *r).collect())
                .collect(),
            elb_accounts: ELB_ACCOUNTS,
            log_retention,
            efs_encrypted: p.text("EnableSharedEFSVolumeEncryption") == "true",
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
            // SSM under the one customer managed key (the applier writes its apps' and rack
            // resources' SecureStrings with the CustomerManagedKey output: cli aws::rack_stack)
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
        format!("ECS_IMAGE_PULL_BEHAVIOR={}", p.text("ImagePullBehavior")),
    ];
    if let Some(t) = opt(p.text("EcsContainerStopTimeout")) {
        ecs.push(format!("ECS_CONTAINER_STOP_TIMEOUT={t}"));
    }
    let proxy = opt(p.text("HttpProxy"));
    if let Some(proxy) = &proxy {
        ecs.push(format!("HTTP_PROXY={proxy}"));
        ecs.push("NO_PROXY=169.254.169.254,169.254.170.2,/var/run/docker.sock".to_string());
    }
    let swap = p.number("SwapSize");
    let hours = p.number("PruneOlderImagesInHour");
    let freq = p.text("PruneOlderImagesCronRunFreq");
    let yaml = |s: &str| serde_json::to_string(s).expect("a string serialises");

    let mut lines: Vec<Value> = vec![json!("#cloud-config\nrepo_upgrade: none\n")];
    if let Some(cmd) = opt(p.text("InstanceBootCommand")) {
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
    if let Some(cmd) = opt(p.text("InstanceRunCommand")) {
        tail.push_str(&format!("  - {}\n", yaml(&cmd)));
    }
    lines.push(json!(tail));
    json!({"Fn::Base64": {"Fn::Join": ["", lines]}})
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn exports_follow_the_params() {
        let base = RackParams::with(&[("RouterHost", "apps.example.com")]);
        let e = exports(&base);
        assert!(e.contains("RouterListener80") && e.contains("Subnet2") && !e.contains("SubnetPrivate0"));
        assert!(!e.contains("RouterInternalListener443") && !e.contains("NLBArn"));
        let p = RackParams::with(&[
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
