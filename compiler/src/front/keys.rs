//! Which keys exist where in convox.yml, and which belong to other convox generations.

/// The places in convox.yml that take a map with a fixed set of keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Top,
    Service,
    Agent,
    Build,
    Deployment,
    Health,
    Nlb,
    PortMap,
    Scale,
    ScaleCount,
    Cooldown,
    Targets,
    CustomMetric,
    Termination,
    Resource,
    Timer,
}

impl Place {
    /// Where this place is, for "belongs under" hints.
    pub fn describe(self) -> &'static str {
        match self {
            Place::Top => "the top level",
            Place::Service => "services.<name>",
            Place::Agent => "services.<name>.agent",
            Place::Build => "services.<name>.build",
            Place::Deployment => "services.<name>.deployment",
            Place::Health => "services.<name>.health",
            Place::Nlb => "services.<name>.nlb[]",
            Place::PortMap => "services.<name>.port",
            Place::Scale => "services.<name>.scale",
            Place::ScaleCount => "services.<name>.scale.count",
            Place::Cooldown => "services.<name>.scale.cooldown",
            Place::Targets => "services.<name>.scale.targets",
            Place::CustomMetric => "services.<name>.scale.targets.custom.<metric>",
            Place::Termination => "services.<name>.termination",
            Place::Resource => "resources.<name>",
            Place::Timer => "timers.<name>",
        }
    }

    pub fn known(self) -> &'static [&'static str] {
        match self {
            Place::Top => &["environment", "params", "resources", "services", "timers"],
            Place::Service => &[
                "agent",
                "build",
                "command",
                "deployment",
                "domain",
                "drain",
                "environment",
                "health",
                "image",
                "init",
                "internal",
                "internalAndExternal",
                "links",
                "nlb",
                "policies",
                "port",
                "privileged",
                "resources",
                "scale",
                "singleton",
                "sticky",
                "tags",
                "termination",
                "test",
                "volumes",
            ],
            Place::Agent => &["enabled", "ports"],
            Place::Build => &["args", "manifest", "path"],
            Place::Deployment => &["maximum", "minimum"],
            Place::Health => &["grace", "interval", "path", "timeout"],
            Place::Nlb => &[
                "allow_cidr",
                "certificate",
                "containerPort",
                "cross_zone",
                "port",
                "preserve_client_ip",
                "protocol",
                "scheme",
            ],
            Place::PortMap => &["port", "scheme"],
            Place::Scale => &["cooldown", "count", "cpu", "memory", "targets"],
            Place::ScaleCount => &["max", "min"],
            Place::Cooldown => &["down", "up"],
            Place::Targets => &["cpu", "custom", "memory", "requests"],
            Place::CustomMetric => &["aggregate", "dimensions", "value"],
            Place::Termination => &["grace"],
            Place::Resource => &["options", "tags", "type"],
            Place::Timer => &["command", "policies", "schedule", "service"],
        }
    }

    /// Keys of other convox generations that a generation-2 rack ignores, with what to use
    /// instead (or why it is ignored).
    pub fn foreign(self) -> &'static [(&'static str, &'static str)] {
        const V3: &str = "a convox v3 (Kubernetes rack) key";
        const COMPOSE: &str = "a docker-compose / convox generation-1 key";
        match self {
            Place::Top => &[
                ("appSettings", V3),
                ("balancers", V3),
                ("budget", V3),
                ("configs", V3),
                ("labels", V3),
                ("version", "a docker-compose key; convox.yml has no version"),
            ],
            Place::Service => &[
                ("accessControl", V3),
                ("annotations", V3),
                ("certificate", V3),
                ("configMounts", V3),
                ("grpcHealthEnabled", V3),
                ("imagePullSecrets", V3),
                ("ingressAnnotations", V3),
                ("initContainer", V3),
                ("internalRouter", V3),
                ("lifecycle", V3),
                ("liveness", V3),
                ("nodeAffinityLabels", V3),
                ("nodeSelectorLabels", V3),
                (
                    "ports",
                    "a convox v3 / docker-compose key; generation 2 routes one `port:` (plus `nlb:` entries)",
                ),
                ("securityContext", V3),
                ("startupProbe", V3),
                ("timeout", V3),
                ("tls", V3),
                ("volumeOptions", V3),
                ("whitelist", V3),
                ("container_name", COMPOSE),
                (
                    "cpu_shares",
                    "a docker-compose / convox generation-1 key; use scale.cpu",
                ),
                ("depends_on", COMPOSE),
                ("dockerfile", "a docker-compose key; use build.manifest"),
                ("entrypoint", COMPOSE),
                ("env_file", COMPOSE),
                ("expose", COMPOSE),
                (
                    "labels",
                    "a docker-compose / convox generation-1 key (convox.* labels configured gen-1 racks)",
                ),
                (
                    "mem_limit",
                    "a docker-compose / convox generation-1 key; use scale.memory",
                ),
                ("networks", COMPOSE),
                ("restart", COMPOSE),
            ],
            Place::Build => &[
                ("context", "a docker-compose key; use build.path"),
                ("dockerfile", "a docker-compose key; use build.manifest"),
            ],
            Place::Scale => &[("gpu", V3), ("keda", V3), ("limit", V3), ("vpa", V3)],
            Place::Targets => &[("external", V3)],
            Place::Health => &[("disable", V3), ("liveness", V3)],
            Place::Timer => &[
                ("annotations", V3),
                ("concurrency", V3),
                ("concurrencyPolicy", V3),
                ("parallelCount", V3),
            ],
            _ => &[],
        }
    }

    const ALL: [Place; 16] = [
        Place::Top,
        Place::Service,
        Place::Agent,
        Place::Build,
        Place::Deployment,
        Place::Health,
        Place::Nlb,
        Place::PortMap,
        Place::Scale,
        Place::ScaleCount,
        Place::Cooldown,
        Place::Targets,
        Place::CustomMetric,
        Place::Termination,
        Place::Resource,
        Place::Timer,
    ];

    /// The other places where `key` is a known key (for "belongs under" hints).
    pub fn homes_of(self, key: &str) -> Vec<Place> {
        Place::ALL
            .into_iter()
            .filter(|p| *p != self && p.known().contains(&key))
            .collect()
    }
}

/// Top-level keys that only 2017 convox/praxis manifests have.
pub const PRAXIS_TOP: &[&str] = &["buckets", "caches", "keys", "queues", "tables", "workflows"];
