//! The names both sides must agree on: the logical IDs and parameter names a resource takes
//! (the front end's collision check and the templates use these same functions), convox's
//! environment-variable names, the app stack's parameters, the tags and variables convoxc sets
//! itself, and where an app's environment values are kept.

use super::app::{Resource, ResourceType};

/// Tag keys convoxc sets itself; a `tags:` entry with one of them is dropped (with a warning).
pub const RESERVED_TAGS: &[&str] = &["App", "Name", "Rack", "Service", "System", "Type"];

/// Variables convoxc sets in every container, over any declaration of the same name.
pub const SYSTEM_ENV: &[&str] = &["APP", "AWS_REGION", "BUILD", "RACK", "SERVICE"];

/// convox's `envname`: upper-case, `-` → `_`.
pub fn env_name(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// App stack parameters (reference §2.1): name, allowed values (empty: free text), default.
pub const APP_PARAMS: &[(&str, &[&str], &str)] = &[
    ("AutoMinorVersionUpgrade", &["true", "false"], "true"),
    ("CircuitBreaker", &["Yes", "No"], "Yes"),
    ("ECSExec", &["Yes", "No"], "No"),
    ("EnableContainerReadonlyRootFilesystem", &["Yes", "No"], "No"),
    ("FargateServices", &["Yes", "Spot", "No"], "No"),
    ("FargateTimers", &["Yes", "Spot", "No"], "No"),
    ("IamPolicy", &[], ""),
    ("IgnoreManualScaleCount", &["Yes", "No"], "No"),
    ("InternalDomains", &["Yes", "No"], "Yes"),
    ("Isolate", &["Yes", "No"], "No"),
    (
        "LoadBalancerAlgorithm",
        &["round_robin", "least_outstanding_requests"],
        "round_robin",
    ),
    ("LoadBalancerGrpcSuccessCodes", &[], "12"),
    ("LoadBalancerSuccessCodes", &[], "200-399,401"),
    ("LogBucket", &[], ""),
    ("LogDriver", &["CloudWatch", "Syslog", ""], "CloudWatch"),
    ("LogRetention", super::aws::LOG_RETENTION, "7"),
    ("PlaceLambdaInVpc", &["Yes", "No"], "No"),
    ("Private", &["Yes", "No"], "No"),
    ("RackUrl", &["Yes", "No"], "No"),
    ("RedirectHttps", &["Yes", "No"], "Yes"),
    ("SlowStartDuration", &[], "0"),
    ("SyslogDestination", &[], ""),
    ("SyslogFormat", &[], "rfc5424"),
    ("TaskTags", &["Yes", "No"], "No"),
];

/// App params that a convox rack overwrites from its own params on every deploy.
pub const RACK_OWNED: &[&str] = &[
    "EnableContainerReadonlyRootFilesystem",
    "LogBucket",
    "LogDriver",
    "PlaceLambdaInVpc",
    "Private",
    "SyslogDestination",
    "SyslogFormat",
];

/// The SSM parameter (SecureString) that holds an app's environment variable:
/// `/convoxc/<rack>/<app>/<NAME>`. `convoxc apply` writes them; tasks read them as ECS secrets.
pub fn env_parameter_path(rack: &str, app: &str, name: &str) -> String {
    format!("/convoxc/{rack}/{app}/{name}")
}

/// The URL a service gets for a resource, as an `Fn::Sub` text over `Host` and `Port` (and
/// `ResourcePassword`).
pub fn url_template(r: &Resource) -> &'static str {
    let encrypted = r.encrypted();
    match r.kind {
        ResourceType::Postgres => "postgres://app:${ResourcePassword}@${Host}:${Port}/app",
        ResourceType::Mysql | ResourceType::Mariadb => "mysql://app:${ResourcePassword}@${Host}:${Port}/app",
        ResourceType::Redis | ResourceType::Valkey if encrypted => "rediss://:${ResourcePassword}@${Host}:${Port}/0",
        ResourceType::Redis | ResourceType::Valkey => "redis://${Host}:${Port}/0",
        _ => "${Host}:${Port}",
    }
}

/// Whether a resource's URL or password holds the password.
pub fn has_secret(r: &Resource) -> bool {
    url_template(r).contains("${ResourcePassword}")
}

/// The parameter names a linked resource's values take in a service stack (the keys of
/// `AppView::resource_values`; a test keeps the two in step).
pub fn linked_parameter_names(r: &Resource) -> Vec<String> {
    let l = resource_id(&r.logical_name);
    let suffixes: &[&str] = match r.kind {
        ResourceType::Efs => &["FileSystemId", "AccessPointId"],
        _ if has_secret(r) => &["User", "Host", "Port", "Name", "Secret"],
        _ => &["User", "Host", "Port", "Name", "", "Pass"],
    };
    suffixes.iter().map(|s| format!("{l}{s}")).collect()
}

/// The logical IDs of the app stack's own resources, which no manifest name may take.
pub const APP_OWN_IDS: &[&str] = &["LogGroup", "Registry", "ServiceRole", "ExecutionRole"];

/// A service's nested stack in the app stack (or its group stack).
pub fn service_id(logical_name: &str) -> String {
    format!("Service{logical_name}")
}

/// The ACM certificate of a service with a port and domains.
pub fn certificate_id(logical_name: &str) -> String {
    format!("Balancer{logical_name}Certificate")
}

/// convox's `RecordSet<Service>Internal` of a service with a port.
pub fn record_id(logical_name: &str) -> String {
    format!("RecordSet{logical_name}Internal")
}

/// A timer's nested stack.
pub fn timer_id(logical_name: &str) -> String {
    format!("Timer{logical_name}")
}

/// A resource's nested stack.
pub fn resource_id(logical_name: &str) -> String {
    format!("Resource{logical_name}")
}

/// The logical IDs a resource adds to the app stack's Resources.
pub fn app_resource_ids(r: &Resource) -> Vec<String> {
    let l = resource_id(&r.logical_name);
    if has_secret(r) {
        vec![format!("{l}Secret"), l]
    } else {
        vec![l]
    }
}
