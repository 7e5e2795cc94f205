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
];

/// The rack's parameters, every one resolved (given value or default). The NoEcho `Password` is
/// never kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RackParams {
    pub values: BTreeMap<String, String>,
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
            tags: BTreeMap::new(),
        }
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
