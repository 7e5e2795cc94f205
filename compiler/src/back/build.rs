//! IR → the app's bundle: the view models of every stack, rendered (nested stacks in parallel),
//! with services moved into group stacks when the app stack would break a quota; and the checks
//! of a built bundle (quotas, RDS identifiers, nested parameters' constraints, the rack's exports).

use super::app::{AppView, NestedKeys};
use super::group;
use super::limits;
use super::options::{BuildOptions, Keep};
use super::render::{self, RenderError};
use super::service::SERVICE_TEMPLATES;
use super::template::{Bundle, Template};
use super::{imports, rack};
use crate::diagnostic::{Diagnostic, Locations};
use crate::ir::naming::{resource_id, service_id};
use crate::ir::{App, RackParams};
use serde_json::Value;

/// Services per group stack (when grouping is needed): keeps a group far below 200
/// parameters, 500 resources and 1 MB.
pub const GROUP_SIZE: usize = 80;

/// Compile a validated app to its CloudFormation bundle.
pub fn build(app: &App, options: &BuildOptions) -> Result<Bundle, RenderError> {
    let r = render::shared()?;
    let kept_unencrypted = unencrypted_kept(app, &options.keep);
    let app = &kept_unencrypted.unwrap_or_else(|| app.clone());
    let model = AppView::new(app, options);
    // nested stacks are independent: render them in parallel (the order of the results is the
    // manifest's, so the output does not depend on scheduling)
    use rayon::prelude::*;
    let resources = model
        .resources
        .par_iter()
        .map(|res| {
            Ok((
                res.name.clone(),
                kept(r.template(&res.templates(), res)?, &options.keep, Some(&res.logical)),
            ))
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    let services = model
        .services
        .par_iter()
        .map(|svc| {
            let id = service_id(&svc.ir.logical_name);
            Ok((
                svc.name.clone(),
                kept(r.template(SERVICE_TEMPLATES, svc)?, &options.keep, Some(&id)),
            ))
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    let timers = model
        .timers
        .par_iter()
        .map(|t| {
            Ok((
                t.name.clone(),
                kept(r.template(&["timer.json"], t)?, &options.keep, Some(&t.logical)),
            ))
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    let urls = NestedKeys {
        services: services.iter().map(|(n, t)| (n.clone(), t.key())).collect(),
        timers: timers.iter().map(|(n, t)| (n.clone(), t.key())).collect(),
        resources: resources.iter().map(|(n, t)| (n.clone(), t.key())).collect(),
    };
    let mut root_view = model.with_keys(urls);
    if !root_view.clearly_too_big() {
        let root = kept(r.template(&["app.json"], &root_view)?, &options.keep, None);
        if limits::fits(&root) {
            return Ok(Bundle {
                app: root,
                services,
                timers,
                resources,
                groups: Vec::new(),
            });
        }
    }
    // too big for one app stack: the services go into groups, each a nested stack
    let group_views = group::take_groups(&mut root_view, GROUP_SIZE);
    let groups = group_views
        .par_iter()
        .enumerate()
        .map(|(i, g)| Ok((format!("group{i}"), r.template(&["group.json"], g)?)))
        .collect::<Result<Vec<_>, RenderError>>()?;
    group::set_groups(
        &mut root_view,
        &group_views,
        &groups.iter().map(|(_, t)| t.key()).collect::<Vec<_>>(),
    );
    // the view model of a large app is many small allocations: freed while the app stack renders
    let (root, _) = rayon::join(
        || r.template(&["app.json"], &root_view),
        || rayon::join(|| drop(group_views), || drop(model)),
    );
    let root = root?;
    Ok(Bundle {
        app: root,
        services,
        timers,
        resources,
        groups,
    })
}

/// The properties that hold a resource's encryption, by type: where a resource that exists keeps
/// being unencrypted when the manifest does not ask (the deployed value wins).
const ENCRYPTION: &[(&str, &str)] = &[
    ("Instance", "/Properties/StorageEncrypted"),
    ("ReplicationGroup", "/Properties/AtRestEncryptionEnabled"),
    ("FileSystem", "/Properties/Encrypted"),
];

/// The app with `encrypted: false` for each resource whose encryption is convoxc's default and
/// that exists unencrypted (a keep says so): all of it then stays as it is — its URL, its auth
/// token, TLS — not only the property that would replace it. None when there is none.
fn unencrypted_kept(app: &App, keep: &[Keep]) -> Option<App> {
    let falsy = |v: &Option<Value>| match v {
        None => true,
        Some(Value::Bool(b)) => !b,
        Some(Value::String(s)) => s != "true",
        Some(_) => false,
    };
    let kept: Vec<String> = app
        .resources
        .iter()
        .filter(|r| r.encryption_defaulted() && r.encrypted())
        .filter(|r| {
            let id = resource_id(&r.logical_name);
            keep.iter().any(|k| {
                k.stack.last() == Some(&id)
                    && ENCRYPTION.contains(&(k.resource.as_str(), k.pointer.as_str()))
                    && falsy(&k.value)
            })
        })
        .map(|r| r.name.clone())
        .collect();
    if kept.is_empty() {
        return None;
    }
    let mut app = app.clone();
    for r in app.resources.iter_mut().filter(|r| kept.contains(&r.name)) {
        r.options.insert("Encrypted".into(), "false".into());
    }
    Some(app)
}

/// A rendered template with the deployed values it keeps (for the stack whose logical ID is `id`,
/// or the root): each set at its pointer, or removed.
fn kept(t: Template, keep: &[Keep], id: Option<&str>) -> Template {
    let here: Vec<&Keep> = keep
        .iter()
        .filter(|k| k.stack.last().map(String::as_str) == id)
        .collect();
    if here.is_empty() {
        return t;
    }
    let mut v = t.value().clone();
    for k in here {
        let pointer = format!("/Resources/{}{}", k.resource, k.pointer);
        let Some((parent, last)) = pointer.rsplit_once('/') else {
            continue;
        };
        let last = last.replace("~1", "/").replace("~0", "~");
        let Some(parent) = v.pointer_mut(parent) else { continue };
        match (parent, &k.value) {
            (Value::Object(m), Some(x)) => {
                m.insert(last, x.clone());
            }
            (Value::Object(m), None) => {
                m.remove(&last);
            }
            (Value::Array(a), Some(x)) => {
                if let Some(slot) = last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                    *slot = x.clone();
                }
            }
            _ => {}
        }
    }
    Template::new(v)
}

/// Check a built bundle against CloudFormation's quotas and RDS's identifier limits, and (with
/// rack params) every export it imports against the ones the rack makes.
pub fn check(
    bundle: &Bundle,
    app: &App,
    rack: Option<&RackParams>,
    options: &BuildOptions,
    at: &Locations,
) -> Vec<Diagnostic> {
    let mut diags = limits::check(bundle, at);
    diags.extend(super::constraints::check(bundle, at));
    diags.extend(limits::rds_identifiers(app, options.rack.as_deref(), &options.app, at));
    if !options.app.is_empty() {
        diags.extend(limits::host_labels(app, &options.app, at));
    }
    // with rack params: every export the app imports must be one the rack makes
    if let Some(rack) = rack {
        let exports = rack::exports(rack);
        let name = options.rack.as_deref().unwrap_or("<rack>");
        diags.extend(imports::check(bundle, &exports, name, at));
    }
    diags
}
