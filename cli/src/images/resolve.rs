//! Which build each service runs, and the check that nothing runs an image that is not there.
//!
//! A service's stack gets its own build (`BuildOptions::builds`): a deploy gives a built service
//! the build of its sources, and every other service keeps the build it runs, so that only the
//! services whose image changed get a new task definition. `apply --build ID` names a build
//! pushed before (by `images push`, or convox's builder): its record says each service's build,
//! and a build without a record (convox's) is every built service's.

use crate::aws::builds;
use crate::aws::clients::{Clients, Error, Result};
use crate::aws::ecr;
use crate::deploy::plan::{Compiled, Prepared};
use crate::images::plan::tag;
use crate::images::registry::Registry;
use aws_sdk_cloudformation::types::Stack;
use std::collections::BTreeMap;

/// The build each service runs for an `apply`: with `--build ID`, that build's (its record, or
/// ID for every built service; a service given its `image:` keeps the build it runs); without,
/// the ones they run now.
pub(crate) async fn builds_for(c: &Clients, p: &Prepared, build: Option<&str>) -> Result<BTreeMap<String, String>> {
    let deployed = p.deployed_builds();
    let Some(id) = build else { return Ok(deployed) };
    let Some(app) = p.app() else { return Ok(deployed) };
    let record = builds::read(c, p.bucket(), p.app_name(), id).await?;
    let mut out = p.given_image_builds(id);
    for s in app.services.iter().filter(|s| s.image.is_none()) {
        let b = match &record {
            Some(r) => r.services.get(&s.name).cloned().ok_or_else(|| {
                Error(format!(
                    "build {id} has no image of service {}: it was pushed before the service was built from \
                     source; push a new build (`convoxc images push`) or deploy (`convoxc deploy`)",
                    s.name
                ))
            })?,
            None => id.to_string(),
        };
        out.insert(s.name.clone(), b);
    }
    Ok(out)
}

/// The registry of an app stack that exists, with a login; None when the stack or its registry
/// does not exist yet.
pub(crate) async fn open_registry(c: &Clients, stack: &str) -> Result<Option<(ecr::Access, Registry)>> {
    let Some(repository) = ecr::repository(c, stack).await? else {
        return Ok(None);
    };
    let access = ecr::access(c, &repository).await?;
    let registry = Registry::new(
        &access.host,
        &access.repository,
        &access.user,
        &access.password,
        access.insecure,
    );
    Ok(Some((access, registry)))
}

/// Stop before any change set when a built service would run an image that is not in the app's
/// registry (ECS would retry pulling it until CloudFormation gives up, hours later). `build`: the
/// app stack's `Build` as given; a service without its own build runs that, or the deployed one.
pub(crate) async fn check_present(
    c: &Clients,
    compiled: &Compiled,
    build: Option<&str>,
    existing: Option<&Stack>,
) -> Result<()> {
    let wanted = wanted(compiled, build, existing);
    check_tags(c, &compiled.stack_name, &wanted).await
}

/// The image tag each built service runs: its own build, else the app stack's `Build` as given,
/// else the deployed one.
pub(crate) fn wanted(compiled: &Compiled, build: Option<&str>, existing: Option<&Stack>) -> Vec<(String, String)> {
    let deployed_root = existing.and_then(|s| {
        s.parameters()
            .iter()
            .find(|p| p.parameter_key() == Some("Build"))
            .and_then(|p| p.parameter_value())
    });
    compiled
        .built
        .iter()
        .filter_map(|s| {
            let b = compiled.builds.get(s).map(String::as_str).or(build).or(deployed_root)?;
            Some((s.clone(), tag(s, b)))
        })
        .collect()
}

/// Stop before any change set when one of these images (`(service, tag)`) is not in the registry
/// of `stack`.
pub(crate) async fn check_tags(c: &Clients, stack: &str, wanted: &[(String, String)]) -> Result<()> {
    if wanted.is_empty() {
        return Ok(());
    }
    let Some((access, registry)) = open_registry(c, stack).await? else {
        let list = wanted
            .iter()
            .map(|(s, t)| format!("service {s}: {t}"))
            .collect::<Vec<_>>()
            .join("\n  ");
        return Err(Error(format!(
            "{stack} has no registry yet, so it holds none of the images its services would run:\n  {list}\n  \
             nothing was changed; `convoxc deploy` builds and pushes them (it makes the app's registry first), or \
             `convoxc apps create` then `convoxc images push`"
        )));
    };
    let mut missing = Vec::new();
    for (service, t) in wanted {
        let found = registry.digest(t).await.map_err(|e| {
            Error(format!(
                "checking that {} is in the app's registry: {e}",
                access.image(t)
            ))
        })?;
        if found.is_none() {
            missing.push(format!("service {service}: {}", access.image(t)));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error(format!(
        "the app's registry does not have every image this deploy runs:\n  {}\n  nothing was changed; push them \
         first (`convoxc images push` from the sources of that build), or let `convoxc deploy` build and push them",
        missing.join("\n  ")
    )))
}
