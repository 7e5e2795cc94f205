//! Required environment variables, when the environment is known.

use crate::diagnostic::{Code, Diagnostic};
use crate::front::cx::{Cx, join};
use crate::front::decode::Decoded;
use crate::ir::*;
use crate::source::Span;
use std::collections::BTreeMap;

pub(super) fn required_env(cx: &mut Cx, app: &Decoded, env: &BTreeMap<String, String>) {
    // one diagnostic per declaration site (a global one, or one shared through a merge key, is
    // reported once, naming every service that needs it)
    let mut missing: BTreeMap<(Span, String), (String, Vec<String>)> = BTreeMap::new();
    for s in &app.services {
        let own_start = app.environment.len();
        for (i, d) in s.environment.iter().enumerate() {
            if let EnvDecl::Required { name } = d
                && !env.contains_key(name)
            {
                let site = if i < own_start {
                    find_decl(cx, "environment", name)
                } else {
                    find_decl(cx, &join(&join("services", &s.name), "environment"), name)
                };
                let path = site.split('#').next().unwrap_or("");
                let path = path.rsplit_once('[').map_or(path, |(p, _)| p).to_string();
                let entry = missing
                    .entry((cx.at(&site), name.clone()))
                    .or_insert_with(|| (path, Vec::new()));
                if !entry.1.contains(&s.name) {
                    entry.1.push(s.name.clone());
                }
            }
        }
    }
    for ((span, name), (path, services)) in missing {
        let d = Diagnostic::new(
            Code::RequiredEnv,
            cx.source,
            span,
            path,
            format!("required env: {name}"),
        )
        .help(format!(
            "needed by {}; set it with -e {name}=… or in --env-file",
            services.join(", ")
        ));
        cx.push(d);
    }
}

/// The span key of the first declaration of `name` in an environment list, or the list itself.
pub(super) fn find_decl(cx: &Cx, list_path: &str, name: &str) -> String {
    cx.env_sites
        .get(list_path)
        .and_then(|sites| sites.iter().find(|(n, _)| n == name))
        .map(|(_, site)| site.clone())
        .unwrap_or_else(|| list_path.to_string())
}
