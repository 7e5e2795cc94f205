//! Checks across sections, after decoding: names and the logical IDs they become, references,
//! required env, app params, engine versions, scaling, Fargate sizes, and (when rack params are
//! given) what the rack supports, AWS's quotas on values passed through, secrets that would reach a template. One file per concern.

mod certificates;
mod engines;
mod env;
mod names;
mod params;
pub mod quotas;
mod rack;
mod references;
pub mod scaling;
pub mod secrets;

use crate::front::cx::Cx;
use crate::front::decode::Decoded;
use crate::ir::RackParams;
use std::collections::BTreeMap;

pub fn validate(cx: &mut Cx, app: &mut Decoded, env: Option<&BTreeMap<String, String>>, rack: Option<&RackParams>) {
    names::names(cx, app);
    names::system_env(cx, app);
    names::reserved_tags(cx, app);
    references::shared_domains(cx, app);
    references::references(cx, app);
    if let Some(env) = env {
        env::required_env(cx, app, env);
    }
    secrets::secrets_in_templates(cx, app);
    params::params(cx, app);
    engines::engine_versions(cx, app);
    engines::secure_defaults(cx, app);
    scaling::scaling(cx, app);
    scaling::fargate(cx, app);
    quotas::quotas(cx, app);
    if let Some(rack) = rack {
        certificates::certificates(cx, app, rack);
        rack::rack_support(cx, app, rack);
    }
}
