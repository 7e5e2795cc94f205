//! Getting a deploy's images into the app's registry: build what is not there, then push each
//! service's tag that is not there. The registry's tags are immutable, so a tag is checked
//! first and never pushed twice; an image whose every tag is there is not even built (a re-run
//! after a failure builds and pushes nothing).

use crate::aws::clients::{Error, Result};
use crate::aws::ecr::Access;
use crate::deploy::say;
use crate::images::engine::{Engine, Login, Output};
use crate::images::plan::{Image, Plan};
use crate::images::registry::Registry;
use serde_json::json;
use std::path::Path;

/// How many images were built, tags pushed, and images or tags found already in the registry.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub built: usize,
    pub pushed: usize,
    pub skipped: usize,
}

/// The app's registry: where, and how to read it.
pub(crate) struct Target<'a> {
    pub access: &'a Access,
    pub registry: &'a Registry,
}

impl Target<'_> {
    async fn has(&self, tag: &str) -> Result<bool> {
        self.registry.digest(tag).await.map(|d| d.is_some()).map_err(|e| {
            Error(format!(
                "looking for {} in the app's registry: {e}",
                self.access.image(tag)
            ))
        })
    }
}

/// Run image work so that Ctrl-C stops it cleanly: the engine's process is stopped and the
/// temporary registry login removed (both when their futures are dropped), and nothing is deployed.
pub(crate) async fn interruptible<T>(work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::select! {
        r = work => r,
        _ = tokio::signal::ctrl_c() => Err(Error(
            "interrupted while building or pushing images: nothing was deployed (a tag already pushed stays: \
             it is named by its content, and the next run skips it)".into(),
        )),
    }
}

/// The name an image is built under on this machine before it is tagged for the registry: this
/// process's own (two deploys on one machine never move each other's names), removed once pushed.
fn local(app: &str, image: &Image) -> String {
    format!("convoxc-build/{app}:{}-{}", image.id, std::process::id())
}

fn engine_output() -> Output {
    if say::json() { Output::Discard } else { Output::Stderr }
}

/// Build the images of `plan` that the registry (when there is one yet) does not have under
/// every tag. Returns the images built, by index; the engine is found only when something
/// needs building.
pub(crate) async fn build(
    plan: &Plan,
    engine: &mut Option<Engine>,
    choice: Option<&str>,
    target: Option<&Target<'_>>,
    app: &str,
    base: &Path,
    counts: &mut Counts,
) -> Result<Vec<Built>> {
    let mut built = Vec::new();
    for (i, image) in plan.images.iter().enumerate() {
        if let Some(t) = target {
            let mut all = true;
            for tag in image.tags() {
                all &= t.has(&tag).await?;
            }
            if all {
                counts.skipped += 1;
                say::step(
                    format!(
                        "image {}: already in the registry ({})",
                        image.id,
                        image.tags().join(", ")
                    ),
                    json!({"type": "image", "id": image.id, "services": image.services, "result": "skipped", "tags": image.tags()}),
                );
                continue;
            }
        }
        if engine.is_none() {
            *engine = Some(Engine::find(choice).map_err(|e| Error(e.to_string()))?);
        }
        let Some(e) = engine.as_ref() else { continue };
        say::step(
            format!(
                "building image {} for {}",
                image.describe(base),
                image.services.join(", ")
            ),
            json!({"type": "image", "id": image.id, "services": image.services, "result": "building"}),
        );
        let started = std::time::Instant::now();
        let local_id = e
            .build(&image.spec, &[local(app, image)], engine_output())
            .await
            .map_err(|err| Error(format!("building the image of {}: {err}", image.services.join(", "))))?;
        counts.built += 1;
        say::step(
            format!("image {}: built in {:.1} s", image.id, started.elapsed().as_secs_f32()),
            json!({"type": "image", "id": image.id, "services": image.services, "result": "built",
                   "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0}),
        );
        // the engine's image ID (what is pushed), else its local name
        let source = if local_id.is_empty() {
            local(app, image)
        } else {
            local_id
        };
        built.push(Built { index: i, source });
    }
    Ok(built)
}

/// An image built by this run: its place in the plan, and what the engine knows it by.
pub(crate) struct Built {
    index: usize,
    source: String,
}

/// Push every tag of the built images that the registry does not have, with a login that lives
/// in a temporary engine configuration for the pushes only.
pub(crate) async fn push(
    plan: &Plan,
    built: &[Built],
    engine: Option<&Engine>,
    target: &Target<'_>,
    app: &str,
    counts: &mut Counts,
) -> Result<()> {
    let (Some(engine), false) = (engine, built.is_empty()) else {
        return Ok(());
    };
    let a = target.access;
    let login = Login::new(&a.host, &a.user, &a.password).map_err(|e| Error(e.to_string()))?;
    for b in built {
        let image = &plan.images[b.index];
        for tag in image.tags() {
            let reference = a.image(&tag);
            if target.has(&tag).await? {
                counts.skipped += 1;
                say::step(
                    format!("{reference}: already in the registry"),
                    json!({"type": "image", "id": image.id, "tag": tag, "result": "skipped"}),
                );
                continue;
            }
            let started = std::time::Instant::now();
            engine
                .push_as(&b.source, &reference, &login, a.insecure, engine_output())
                .await
                .map_err(|e| Error(format!("pushing {reference}: {e}")))?;
            counts.pushed += 1;
            say::step(
                format!("{reference}: pushed in {:.1} s", started.elapsed().as_secs_f32()),
                json!({"type": "image", "id": image.id, "tag": tag, "result": "pushed", "image": reference}),
            );
        }
        // the image keeps its registry names; only the local working name goes (best effort)
        let _ = engine.untag(&local(app, image)).await;
    }
    Ok(())
}
