//! `convoxc deploy`: from source to running. Plan the images (one per distinct build, IDs from
//! their content), build what the registry lacks, push it, then deploy the app with each service
//! on its build — one consent for all of it.
//!
//! An app that exists has its registry: its images are built and pushed before the change set
//! (immutable tags derived from content, which nothing deployed names until a change set runs, as
//! templates are uploaded before one), and the report and the question are `apply`'s. A new app
//! has no registry yet: its images are built (nothing leaves the machine), the whole plan is shown
//! and asked about once, then the app stack is made with its registry and no service, the images
//! are pushed, and the whole app is deployed onto it.

use crate::aws::builds::{self, Record};
use crate::aws::clients::{Clients, Error, Result};
use crate::aws::lookup::describe_stack;
use crate::deploy::app::{AppDeploy, deploy_app};
use crate::deploy::consent::{Flags, consent};
use crate::deploy::flow::{self, Deployment};
use crate::deploy::plan::{self, Compiled, Prepared};
use crate::deploy::preview;
use crate::deploy::say;
use crate::deploy::settle::settle;
use crate::images::engine::Engine;
use crate::images::plan::{Plan, plan as plan_images};
use crate::images::publish::{self, Counts, Target, interruptible};
use crate::images::resolve::{check_present, open_registry};
use convoxc_compiler::back::Template;
use convoxc_compiler::diff;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

/// What `deploy` is told besides the manifest.
pub(crate) struct Ship<'a> {
    pub rack: &'a str,
    pub flags: &'a Flags,
    /// `--build ID`: the name of this build instead of the one derived from its content.
    pub build: Option<&'a str>,
    /// `--engine`.
    pub engine: Option<&'a str>,
    /// `--platform`.
    pub platform: Option<&'a str>,
    /// The manifest's folder: build paths are relative to it.
    pub base: &'a Path,
}

/// The images of the app, planned. Problems with a build (a missing Dockerfile) are all said.
pub(crate) fn images(p: &Prepared, s: &Ship<'_>) -> Result<Option<Plan>> {
    let Some(app) = p.app() else { return Ok(None) };
    let mut planned = plan_images(app, s.base, &p.env, p.loaded.rack.as_ref(), s.platform).map_err(|problems| {
        Error(format!(
            "cannot build the app's images; nothing was built or changed:\n  {}",
            problems.into_iter().map(|e| e.0).collect::<Vec<_>>().join("\n  ")
        ))
    })?;
    if let Some(id) = s.build {
        for i in &mut planned.images {
            i.id = id.to_string();
        }
        if !planned.images.is_empty() {
            planned.id = Some(id.to_string());
        }
    }
    Ok(Some(planned))
}

/// The build each service runs: a built one its image's, a service given its `image:` the build
/// it runs now (so it does not roll for a build it does not run), or the app's when it is new.
fn service_builds(p: &Prepared, planned: &Plan) -> BTreeMap<String, String> {
    let mut builds = planned.service_builds();
    if let Some(id) = &planned.id {
        builds.extend(p.given_image_builds(id));
    }
    builds
}

/// Build, push and record: the images of `planned` that the registry lacks.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn publish_all(
    c: &Clients,
    (bucket, app): (&str, &str),
    planned: &Plan,
    s: &Ship<'_>,
    target: &Target<'_>,
    engine: &mut Option<Engine>,
    counts: &mut Counts,
    built: Option<Vec<publish::Built>>,
) -> Result<()> {
    // Ctrl-C stops the engine and removes the temporary login
    interruptible(async {
        let built = match built {
            Some(b) => b,
            None => publish::build(planned, engine, s.engine, Some(target), app, s.base, counts).await?,
        };
        publish::push(planned, &built, engine.as_ref(), target, app, counts).await
    })
    .await?;
    if let Some(id) = &planned.id {
        let record = Record {
            id: id.clone(),
            services: planned.service_builds(),
            pushed: builds::now(),
        };
        builds::write(c, bucket, app, &record).await?;
    }
    Ok(())
}

fn say_counts(counts: &Counts, id: Option<&str>) {
    say::step(
        format!(
            "images: {} built, {} pushed, {} already in the registry{}",
            counts.built,
            counts.pushed,
            counts.skipped,
            id.map(|i| format!(" (build {i})")).unwrap_or_default()
        ),
        json!({"type": "images", "build": id, "built": counts.built, "pushed": counts.pushed, "skipped": counts.skipped}),
    );
}

/// `convoxc deploy` once the app is loaded.
pub(crate) async fn ship(c: &Clients, p: Prepared, s: Ship<'_>) -> Result<()> {
    let Some(planned) = images(&p, &s)? else {
        // the manifest has errors: compiling prints them
        p.compile(BTreeMap::new(), None)?;
        return Ok(());
    };
    let app = p.app_name().to_string();
    let stack = p.stack_name().to_string();
    let bucket = p.bucket().to_string();
    let builds = service_builds(&p, &planned);
    let root_build = planned.id.clone().or_else(|| s.build.map(str::to_string));
    let mut engine = None;
    let mut counts = Counts::default();

    let (compiled, existing, consented) = match settle(c, &stack, s.flags).await? {
        Some(existing) => {
            // the registry is there: what it lacks is built and pushed before the question
            if let Some((access, registry)) = open_registry(c, &stack).await? {
                let target = Target {
                    access: &access,
                    registry: &registry,
                };
                let at = (bucket.as_str(), app.as_str());
                publish_all(c, at, &planned, &s, &target, &mut engine, &mut counts, None).await?;
                say_counts(&counts, planned.id.as_deref());
            } else if !planned.images.is_empty() {
                return Err(Error(format!(
                    "{stack} has no registry (no `Registry` resource): cannot push its images"
                )));
            }
            (p.compile(builds, root_build.as_deref())?, Some(existing), false)
        }
        None => {
            // a new app: build first (a failed build makes nothing), then one question for all
            let built = interruptible(publish::build(
                &planned,
                &mut engine,
                s.engine,
                None,
                &app,
                s.base,
                &mut counts,
            ))
            .await?;
            let bootstrap = p.bootstrap()?;
            let compiled = p.compile(builds, root_build.as_deref())?;
            if !first_plan(&compiled, &s, &app, root_build.as_deref(), planned.images.len()).await? {
                return Ok(());
            }
            make_registry(c, &bootstrap, (s.rack, &app), s.flags, root_build.as_deref(), true).await?;
            let Some((access, registry)) = open_registry(c, &stack).await? else {
                return Err(Error(format!("{stack} was made, but has no registry to push to")));
            };
            let target = Target {
                access: &access,
                registry: &registry,
            };
            let at = (bucket.as_str(), app.as_str());
            publish_all(c, at, &planned, &s, &target, &mut engine, &mut counts, Some(built)).await?;
            say_counts(&counts, planned.id.as_deref());
            (compiled, describe_stack(c, &stack).await?, true)
        }
    };
    check_present(c, &compiled, root_build.as_deref(), existing.as_ref()).await?;
    let d = AppDeploy {
        rack: s.rack,
        app: &app,
        compiled: &compiled,
        build: root_build.as_deref(),
        flags: s.flags,
        consented,
    };
    deploy_app(c, d, existing).await
}

/// A first deploy's plan: the whole app as it will be (everything is added), said once, and the
/// one question. False: `--no-execute` stopped it.
async fn first_plan(compiled: &Compiled, s: &Ship<'_>, app: &str, build: Option<&str>, images: usize) -> Result<bool> {
    let stack = &compiled.stack_name;
    let input = plan::parameters(compiled, s.rack, app, None, build)?;
    let new = preview::new_side(
        &compiled.bundle.app,
        Some(&compiled.bundle),
        &input.params,
        &input.tags,
        None,
    );
    let mut report = diff::compare_with(None, Some(&new), &[]);
    report.environment = plan::env_changes(compiled);
    flow::plan(stack, None, &report);
    say::step(
        format!(
            "{stack} is new: its app stack is made first with the registry, log group and roles (no service runs), \
             the {images} image(s) pushed there, then the whole app deployed"
        ),
        json!({"type": "first-deploy", "stack": stack, "images": images}),
    );
    if s.flags.no_execute {
        say::verdict(
            "--no-execute: stopping here; nothing was pushed, stored or created",
            json!({"stack": stack, "result": "held", "change_set": null}),
        );
        return Ok(false);
    }
    consent(s.flags, &format!("Create {stack} and deploy it?"), &[]).await?;
    Ok(true)
}

/// Make a new app's stack with its registry and no service. `consented`: to the whole plan of a
/// first deploy (else the flow shows this stack's change set and asks).
async fn make_registry(
    c: &Clients,
    bootstrap: &Compiled,
    (rack, app): (&str, &str),
    flags: &Flags,
    build: Option<&str>,
    consented: bool,
) -> Result<()> {
    let stack = &bootstrap.stack_name;
    let input = plan::parameters(bootstrap, rack, app, None, build.or(Some("none")))?;
    say::step(
        format!("creating {stack} with its registry (no service yet)"),
        json!({"type": "bootstrap", "stack": stack}),
    );
    let nested: Vec<&Template> = bootstrap.bundle.nested().map(|(_, t)| t).collect();
    let deployment = Deployment {
        stack,
        root: &bootstrap.bundle.app,
        nested,
        bucket: Some(bootstrap.bucket.clone()),
        params: input.params,
        tags: input.tags,
        flags,
        // nothing is stored in SSM for it: the whole app's deploy stores what it needs
        pending: crate::aws::secrets::Pending {
            rack: rack.to_string(),
            app: app.to_string(),
            env: BTreeMap::new(),
            remove: Vec::new(),
            staged: Vec::new(),
            password: None,
            key: None,
        },
        environment: Vec::new(),
        consented,
        app: Some(app.to_string()),
        part: consented,
        side: None,
        release: None,
    };
    flow::deploy(c, deployment, None, Some(&bootstrap.bundle)).await
}

/// `convoxc apps create`: the app stack with its registry, log group and roles, and no service,
/// through the flow (its change set shown, consent). What the first `deploy` makes itself.
pub(crate) async fn create_app(c: &Clients, rack: &str, app: &str, flags: &Flags) -> Result<()> {
    let stack = format!("{rack}-{app}");
    if describe_stack(c, &stack).await?.is_some() {
        return Err(Error(format!("app {app} exists on rack {rack} (stack {stack})")));
    }
    let input = plan::AppInput {
        rack,
        app,
        manifest: convoxc_compiler::SourceFile::new("convox.yml", "services: {}\n"),
        env_file: None,
        env: &[],
    };
    let p = plan::prepare(c, input).await?;
    let bootstrap = p.bootstrap()?;
    make_registry(c, &bootstrap, (rack, app), flags, None, false).await
}
