//! Creating and changing a rack resource (`resources create`, `update`, `link`, `unlink` of a
//! syslog): its options checked as `resources build` checks them, against the deployed rack's
//! params, its template compiled, then the change-set flow (preview, consent, follow). Its
//! password (database) or auth token (encrypted cache) is generated on create and kept in SSM
//! (`rack_resources::password_path`), written after consent, the way an app resource's is.

use crate::args::Format;
use crate::aws::apps;
use crate::aws::clients::{Clients, Error, Result, err};
use crate::aws::lookup::{describe_stack, output};
use crate::aws::rack_resources::{self, password_path};
use crate::aws::rack_stack;
use crate::aws::secrets::{self, Pending};
use crate::deploy::consent::Flags;
use crate::deploy::flow::{Deployment, deploy};
use crate::deploy::say;
use crate::deploy::stack::ParamValue;
use crate::output;
use convoxc_compiler::back;
use convoxc_compiler::front::rack_resource::{Request, load};
use convoxc_compiler::ir::rack_resource::{Kind, Link, Resource};
use std::collections::BTreeMap;

/// A resource to check: its type, name and options as `K=V` (a forwarder's URL among them; the
/// URL itself goes only into a NoEcho parameter, `deploy_resource`'s `url`).
pub(crate) struct Wanted {
    pub kind: Kind,
    pub name: String,
    pub options: Vec<String>,
}

/// Check the options against the rack (its params: a private rack puts it in private subnets)
/// and fill in the syslog links. Diagnostics are printed.
pub(crate) async fn checked(c: &Clients, rack: &str, wanted: Wanted) -> Result<Resource> {
    let rack_stack = rack_stack::rack_stack(c, rack).await?;
    let rack_params = rack_stack::rack_params(c, &rack_stack).await?;
    let loaded = load(Request {
        kind: wanted.kind,
        name: wanted.name.clone(),
        options: wanted.options,
        rack: Some(rack.to_string()),
        rack_params,
    });
    if !loaded.diagnostics.is_empty() {
        output::print(&loaded.sources, &loaded.diagnostics, Format::Human);
    }
    let Some(mut resource) = loaded.resource else {
        return err(format!(
            "the options of {} have errors; nothing was changed",
            wanted.name
        ));
    };
    if resource.kind == Kind::Syslog {
        resource.links = syslog_links(c, rack, &resource.name).await?;
    }
    Ok(resource)
}

/// The apps a syslog resource is linked to, with their log groups (the app stack's `LogGroup`
/// output).
async fn syslog_links(c: &Clients, rack: &str, name: &str) -> Result<Vec<Link>> {
    let all = apps::list(c, rack).await?;
    let mut out = Vec::new();
    for ((resource, app), _) in rack_resources::links(c, rack).await? {
        if resource != name {
            continue;
        }
        let Some(a) = all.iter().find(|a| a.name == app) else {
            return err(format!(
                "{name} is linked to {app}, which rack {rack} no longer has: `convoxc resources unlink {name} --app {app}`"
            ));
        };
        let Some(group) = output(&a.stack, "LogGroup") else {
            return err(format!(
                "app {app} has no LogGroup output (its logs do not go to CloudWatch), so syslog {name} cannot read them"
            ));
        };
        out.push(Link {
            app,
            log_group: group.to_string(),
        });
    }
    Ok(out)
}

/// Deploy the resource's stack `<rack>-<name>`: created when `create`, else updated (it must
/// exist). `url`: a forwarder's URL given anew (else the deployed one is kept).
pub(crate) async fn deploy_resource(
    c: &Clients,
    rack: &str,
    resource: &Resource,
    url: Option<&str>,
    flags: &Flags,
    create: bool,
) -> Result<()> {
    let stack = format!("{rack}-{}", resource.name);
    let existing = describe_stack(c, &stack).await?;
    match (&existing, create) {
        (Some(_), true) => {
            return err(format!(
                "a stack named {stack} already exists: choose another --name (`convoxc resources` lists the rack's)"
            ));
        }
        (None, false) => return err(format!("there is no stack {stack}")),
        _ => {}
    }
    let existing = crate::deploy::settle::settle(c, &stack, flags).await?;
    let template = back::rack_resource::build(resource).map_err(|e| Error(e.to_string()))?;
    let declared = |p: &str| template.value().pointer(&format!("/Parameters/{p}")).is_some();
    let deployed_has = |p: &str| {
        existing
            .as_ref()
            .is_some_and(|s| s.parameters().iter().any(|x| x.parameter_key() == Some(p)))
    };
    let mut params = BTreeMap::from([("Rack".to_string(), ParamValue::Plain(rack.to_string()))]);
    let rack_stack = rack_stack::rack_stack(c, rack).await?;
    let mut pending = Pending {
        key: rack_stack::secrets_key(&rack_stack),
        ..Pending::default()
    };
    if declared("Password") {
        let path = password_path(rack, &resource.name);
        let stored = secrets::under(c, &rack_resources::store(rack, &resource.name), false)
            .await?
            .remove(&path);
        let value = match stored {
            Some(p) => ParamValue::Secret(p),
            None if deployed_has("Password") => {
                eprintln!(
                    "warning: the password of {} is not in SSM ({path}); keeping the deployed one",
                    resource.name
                );
                ParamValue::UsePrevious
            }
            None => {
                let p = secrets::random_password().map_err(|e| Error(format!("cannot generate a password: {e}")))?;
                pending.password = Some((path, p.clone()));
                ParamValue::Secret(p)
            }
        };
        params.insert("Password".into(), value);
    }
    if declared("Url") {
        let value = match url {
            Some(u) => ParamValue::Secret(u.to_string()),
            None if deployed_has("Url") => ParamValue::UsePrevious,
            None => return err(format!("{} needs a URL: give url=…", resource.name)),
        };
        params.insert("Url".into(), value);
    }
    let tags: BTreeMap<String, String> = [
        ("Name", resource.name.as_str()),
        ("Rack", rack),
        ("Resource", resource.kind.as_str()),
        ("System", "convox"),
        ("Type", "resource"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let bucket = output(&rack_stack, "SettingsBucket").map(str::to_string);
    if create {
        say::note(format!(
            "creating {} resource {} ({stack})",
            resource.kind.as_str(),
            resource.name
        ));
    }
    deploy(
        c,
        Deployment {
            stack: &stack,
            root: &template,
            nested: Vec::new(),
            bucket,
            params,
            tags,
            flags,
            pending,
            environment: Vec::new(),
            consented: false,
            app: None,
            part: false,
            side: None,
            release: None,
        },
        existing,
        None,
    )
    .await
}
