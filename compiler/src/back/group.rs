//! The view model of a group stack (`templates/group.json`): for apps too big for one app stack,
//! services move into groups, each a nested stack; an app-stack expression a service needs
//! becomes a group parameter.

use super::app::{CertificateView, NestedView, RootView};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A group of services in its own nested stack (for apps too big for one app stack).
#[derive(Serialize)]
pub struct GroupView {
    app: String,
    first: String,
    last: String,
    parameters: Vec<GroupParam>,
    certificates: Vec<CertificateView>,
    services: Vec<NestedView>,
    #[serde(skip)]
    values: BTreeMap<String, Value>,
}

#[derive(Serialize)]
struct GroupParam {
    name: String,
    no_echo: bool,
}

/// Move the services (and their certificates) into groups of `size`. Each service parameter
/// that is an expression of the app stack becomes a group parameter (named after what it
/// refers to), whose value the app stack passes.
pub(super) fn take_groups(root: &mut RootView, size: usize) -> Vec<GroupView> {
    use rayon::prelude::*;
    let mut services = std::mem::take(&mut root.services).into_iter().peekable();
    let mut chunks: Vec<Vec<NestedView>> = Vec::new();
    while services.peek().is_some() {
        chunks.push(services.by_ref().take(size.max(1)).collect());
    }
    // a service has at most one certificate
    let mut certificates: BTreeMap<String, CertificateView> = std::mem::take(&mut root.certificates)
        .into_iter()
        .map(|c| (c.service.clone(), c))
        .collect();
    let certs: Vec<Vec<CertificateView>> = chunks
        .iter()
        .map(|chunk| chunk.iter().filter_map(|s| certificates.remove(&s.name)).collect())
        .collect();
    let app = root.app.to_string();
    chunks
        .into_par_iter()
        .zip(certs)
        .map(|(chunk, certs)| {
            let local: std::collections::BTreeSet<&str> = certs.iter().map(|c| c.logical.as_str()).collect();
            // a group parameter must not take the logical ID of one of the group's resources
            // (a service `role-arn` is `ServiceRoleArn`, like the hoisted ServiceRole ARN)
            let resources: std::collections::BTreeSet<String> = chunk
                .iter()
                .flat_map(|s| std::iter::once(s.logical.clone()).chain(s.record.iter().map(|r| r.logical.clone())))
                .chain(local.iter().map(|l| l.to_string()))
                .collect();
            let mut values: BTreeMap<String, Value> = BTreeMap::new();
            let first = chunk.first().map(|s| s.name.clone()).unwrap_or_default();
            let last = chunk.last().map(|s| s.name.clone()).unwrap_or_default();
            let mut stacks = Vec::with_capacity(chunk.len());
            for mut s in chunk {
                for (name, v) in s.parameters.iter_mut() {
                    if v.is_string() || v.is_number() {
                        continue; // literals stay in the group template
                    }
                    if let Some(r) = v.get("Ref").and_then(Value::as_str)
                        && local.contains(r)
                    {
                        continue; // a certificate of this group
                    }
                    let mut hoisted = hoist_name(name, v);
                    loop {
                        if resources.contains(&hoisted) {
                            hoisted.push('X');
                            continue;
                        }
                        match values.get(&hoisted) {
                            Some(existing) if existing == v => break,
                            Some(_) => hoisted.push('X'),
                            None => {
                                values.insert(hoisted.clone(), v.clone());
                                break;
                            }
                        }
                    }
                    // most are `Ref`s of app-stack parameters, which keep their names
                    if v.get("Ref").and_then(Value::as_str) != Some(hoisted.as_str()) {
                        *v = json!({ "Ref": hoisted });
                    }
                }
                stacks.push(s);
            }
            let parameters = values
                .iter()
                .map(|(name, v)| GroupParam {
                    name: name.clone(),
                    no_echo: v.to_string().contains("ResourcePassword"),
                })
                .collect();
            GroupView {
                app: app.clone(),
                first,
                last,
                parameters,
                certificates: certs,
                services: stacks,
                values,
            }
        })
        .collect()
}

/// Point the root at the rendered groups.
pub(super) fn set_groups(root: &mut RootView, groups: &[GroupView], keys: &[String]) {
    root.groups = groups
        .iter()
        .zip(keys)
        .enumerate()
        .map(|(i, (g, key))| NestedView {
            logical: format!("ServiceGroup{i}"),
            name: format!("group{i}"),
            key: key.clone(),
            parameters: g.values.clone(),
            endpoint: false,
            auto_minor: false,
            password: false,
            secret: None,
            record: None,
        })
        .collect();
}

/// The group parameter for an app-stack expression: `Ref X` → X, `GetAtt L.A` → LA, else the
/// service parameter's own name.
fn hoist_name(param: &str, v: &Value) -> String {
    let alnum = |s: &str| s.chars().filter(char::is_ascii_alphanumeric).collect::<String>();
    if let Some(r) = v.get("Ref").and_then(Value::as_str) {
        return alnum(r);
    }
    if let Some([l, a]) = v.get("Fn::GetAtt").and_then(Value::as_array).map(Vec::as_slice) {
        return alnum(&format!("{}{}", l.as_str().unwrap_or(""), a.as_str().unwrap_or("")));
    }
    alnum(param)
}
