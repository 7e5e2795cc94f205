//! The rack's parameters as both sides see them: the table of the rack template's 110
//! parameters plus convoxc's own (name, kind, default, bounds; transcribed in `rack_table.rs`),
//! and `RackParams`, every one resolved. Decoding and checking them is the front end's
//! (`front::rack_params`); the rack stack is the back end's (`back::rack`).

pub use super::rack_table::{Kind, PARAMS, ParamSpec};
use serde::Serialize;
use std::collections::BTreeMap;

pub fn spec(name: &str) -> Option<&'static ParamSpec> {
    all().find(|p| p.name == name)
}

/// convox's 110 parameters, then convoxc's own.
pub fn all() -> impl Iterator<Item = &'static ParamSpec> {
    PARAMS.iter().chain(EXTENSIONS)
}

const fn text(name: &'static str, description: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind: Kind::String,
        default: Some(""),
        allowed: &[],
        min: None,
        max: None,
        no_echo: false,
        description,
    }
}

/// Parameters convoxc adds. convox's routers answer on `*.<prefix>.convox.site`, a domain and
/// certificate that convox itself runs; a convoxc rack answers on a domain of yours.
pub static EXTENSIONS: &[ParamSpec] = &[
    text(
        "RouterHost",
        "(convoxc) DNS domain of the public router: services answer on <app>-<service>.<RouterHost> (required unless InternalOnly=Yes)",
    ),
    text(
        "RouterInternalHost",
        "(convoxc) DNS domain of the internal router (default: internal.<RouterHost>)",
    ),
    text(
        "RouterHostedZoneId",
        "(convoxc) Route 53 public hosted zone of the router domains: certificates are validated by DNS there and wildcard records point at the routers",
    ),
    text(
        "RouterCertificateArn",
        "(convoxc) An existing ACM certificate for *.<RouterHost>, used instead of a new DNS-validated one",
    ),
    text(
        "RouterInternalCertificateArn",
        "(convoxc) An existing ACM certificate for *.<RouterInternalHost>, used instead of a new DNS-validated one",
    ),
    ParamSpec {
        name: "LoadBalancerAccessLogs",
        kind: Kind::String,
        default: Some("Yes"),
        allowed: &["Yes", "No"],
        min: None,
        max: None,
        no_echo: false,
        description: "(convoxc) The routers and NLBs write access logs to the rack's Logs bucket (under <router>/); not with a LogBucket of your own",
    },
];

/// Where convoxc's default differs from convox's, for a new rack: (param, convoxc's value,
/// convox's value, why). A rack that exists keeps what it has unless its params say otherwise
/// ([`RackParams::keep_deployed`]): `rack apply` never changes it by a default.
pub const SECURE_DEFAULTS: &[(&str, &str, &str, &str)] = &[
    (
        "IMDSHttpTokens",
        "required",
        "optional",
        "instances answer only IMDSv2, so a container cannot read the instance role's credentials with a plain GET",
    ),
    (
        "EnableSharedEFSVolumeEncryption",
        "true",
        "false",
        "the shared /volumes file system is encrypted at rest",
    ),
    (
        "LoadBalancerAccessLogs",
        "Yes",
        "No",
        "the routers and NLBs write access logs to the rack's Logs bucket",
    ),
    (
        "EnableS3Versioning",
        "Enabled",
        "Suspended",
        "the settings bucket keeps the earlier versions of what it holds (for 365 days)",
    ),
];

/// The rack's parameters, every one resolved (given value or default). The NoEcho `Password` is
/// never kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RackParams {
    pub values: BTreeMap<String, String>,
    /// The params the rack params file gives (the rest are defaults).
    #[serde(skip)]
    pub given: std::collections::BTreeSet<String>,
    /// Stack tags from the `Tags` pseudo-parameter (`k=v,k=v`).
    pub tags: BTreeMap<String, String>,
}

impl RackParams {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// All defaults.
    pub fn defaults() -> Self {
        let values = all()
            .filter(|p| !p.no_echo)
            .map(|p| (p.name.to_string(), p.default.unwrap_or("").to_string()))
            .collect();
        RackParams {
            values,
            given: Default::default(),
            tags: BTreeMap::new(),
        }
    }

    /// convoxc's secure defaults ([`SECURE_DEFAULTS`]) for the params not given.
    pub fn with_secure_defaults(mut self) -> Self {
        for (name, ours, _, _) in SECURE_DEFAULTS {
            if !self.given.contains(*name) {
                self.values.insert(name.to_string(), ours.to_string());
            }
        }
        self
    }

    /// For a rack that exists (its deployed params, by name): each secure default not given keeps
    /// the deployed value (convox's default when the rack has none). Returns what was kept:
    /// (param, kept value, convoxc's default, why).
    pub fn keep_deployed(&mut self, deployed: &BTreeMap<String, String>) -> Vec<(String, String, String, String)> {
        let mut kept = Vec::new();
        for (name, ours, convox, why) in SECURE_DEFAULTS {
            if self.given.contains(*name) {
                continue;
            }
            let was = deployed.get(*name).map_or(*convox, String::as_str);
            if was != *ours {
                self.values.insert(name.to_string(), was.to_string());
                kept.push((name.to_string(), was.to_string(), ours.to_string(), why.to_string()));
            }
        }
        kept
    }

    /// The defaults with these params set.
    pub fn with(pairs: &[(&str, &str)]) -> Self {
        let mut p = RackParams::defaults();
        for (k, v) in pairs {
            p.values.insert(k.to_string(), v.to_string());
        }
        p
    }

    /// Whether a Yes/No param is on.
    pub fn yes(&self, name: &str) -> bool {
        matches!(self.get(name), Some("Yes" | "yes" | "true" | "True"))
    }

    /// A param's value, trimmed ("" when unset).
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("").trim()
    }

    /// A numeric param (0 when unset or not a number).
    pub fn number(&self, name: &str) -> i64 {
        self.text(name).parse().unwrap_or(0)
    }

    /// A comma-delimited list param, without empty items.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.text(name)
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Whether the rack has an internal router (`Internal` or `InternalOnly`).
    pub fn internal_router(&self) -> bool {
        self.yes("Internal") || self.yes("InternalOnly")
    }

    /// How many availability zones the rack spans (3 unless `MaxAvailabilityZones` is 2).
    pub fn az_count(&self) -> usize {
        if self.number("MaxAvailabilityZones") == 2 { 2 } else { 3 }
    }
}

/// The Route 53 zone through which ACM validates a certificate for `domain` (its
/// `DomainValidationOptions`): the rack's `RouterHostedZoneId`, when the domain is its `RouterHost`
/// or under it (the rack writes `*.<RouterHost>` in that zone, so the zone holds those names).
/// None otherwise: then ACM waits, up to 72 hours, for the validation record to be added by hand
/// ("Setting up DNS validation": the certificate stays pending until the CNAME is found).
pub fn validation_zone<'a>(domain: &str, rack: Option<&'a RackParams>) -> Option<&'a str> {
    let rack = rack?;
    let zone = rack.get("RouterHostedZoneId").filter(|z| !z.is_empty())?;
    let host = rack.get("RouterHost").filter(|h| !h.is_empty())?.trim_end_matches('.');
    let name = domain.strip_prefix("*.").unwrap_or(domain).trim_end_matches('.');
    let (name, host) = (name.as_bytes(), host.as_bytes());
    let inside = name.eq_ignore_ascii_case(host)
        || (name.len() > host.len()
            && name[name.len() - host.len()..].eq_ignore_ascii_case(host)
            && name[name.len() - host.len() - 1] == b'.');
    inside.then_some(zone)
}

#[cfg(test)]
mod secure_defaults {
    use super::*;

    #[test]
    fn a_new_rack_gets_them_and_one_that_exists_keeps_what_it_has() {
        let mut p = RackParams::defaults();
        p.given.insert("EnableS3Versioning".into());
        p.values.insert("EnableS3Versioning".into(), "Suspended".into());
        let mut p = p.with_secure_defaults();
        assert_eq!(p.text("IMDSHttpTokens"), "required");
        assert_eq!(p.text("EnableSharedEFSVolumeEncryption"), "true");
        assert_eq!(p.text("EnableS3Versioning"), "Suspended", "given: as given");
        // deployed by convox (its parameters) or an earlier convoxc: the deployed values win;
        // a param the deployed rack does not have is convox's default
        let deployed = BTreeMap::from([("IMDSHttpTokens".to_string(), "optional".to_string())]);
        let kept = p.keep_deployed(&deployed);
        let names: Vec<&str> = kept
            .iter()
            .map(|(n, v, ..)| (n.as_str(), v.as_str()))
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            [
                "IMDSHttpTokens",
                "EnableSharedEFSVolumeEncryption",
                "LoadBalancerAccessLogs"
            ]
        );
        assert_eq!(p.text("IMDSHttpTokens"), "optional");
        assert_eq!(p.text("EnableSharedEFSVolumeEncryption"), "false");
        assert_eq!(p.text("EnableS3Versioning"), "Suspended");
        // a rack already on the secure values keeps nothing
        let mut q = RackParams::defaults().with_secure_defaults();
        let on: BTreeMap<String, String> = SECURE_DEFAULTS
            .iter()
            .map(|(n, v, ..)| (n.to_string(), v.to_string()))
            .collect();
        assert!(q.keep_deployed(&on).is_empty());
    }
}
