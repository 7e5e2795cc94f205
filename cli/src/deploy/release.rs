//! The release a deploy records (`aws/releases.rs`): drafted before the change set from what is
//! deployed, finished by the flow once the deploy has an outcome (the change set ran and the stack
//! settled, failed, was held by `--no-execute`, or only environment values were stored). A no-op
//! records nothing.

use crate::aws::builds;
use crate::aws::clients::Clients;
use crate::aws::releases::{self, Manifest, Record};
use crate::aws::secrets;
use crate::deploy::plan::Compiled;
use crate::deploy::say;
use crate::deploy::stack::ParamValue;
use aws_sdk_cloudformation::types::Stack;
use convoxc_compiler::back::Bundle;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// A release being made: everything but its outcome.
#[derive(Clone)]
pub(crate) struct Draft {
    pub bucket: String,
    pub record: Record,
    /// The environment variables whose SSM versions it records (read once the values are stored).
    pub env_names: BTreeSet<String>,
}

/// Every template of a bundle by its path (`app.json`, `services/web.json` …) → its S3 key.
pub(crate) fn template_keys(bundle: &Bundle) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = bundle.nested().map(|(p, t)| (p, t.key())).collect();
    out.insert("app.json".into(), bundle.app.key());
    out
}

/// The parameter values a release records: given ones, kept ones as deployed, never a secret.
pub(crate) fn recorded_params(
    params: &BTreeMap<String, ParamValue>,
    existing: Option<&Stack>,
) -> BTreeMap<String, String> {
    params
        .iter()
        .filter_map(|(k, v)| {
            let value = match v {
                ParamValue::Plain(s) => s.clone(),
                ParamValue::UsePrevious => existing?
                    .parameters()
                    .iter()
                    .find(|p| p.parameter_key() == Some(k))?
                    .parameter_value()?
                    .to_string(),
                ParamValue::Secret(_) => return None,
            };
            Some((k.clone(), value))
        })
        .collect()
}

/// What the release of an app deploy holds before it runs. `params` are the app stack's (its
/// `Release` the new ID), `images` the tag each built service runs.
pub(crate) async fn draft(
    c: &Clients,
    (rack, app, id): (&str, &str, &str),
    compiled: &Compiled,
    params: &BTreeMap<String, ParamValue>,
    existing: Option<&Stack>,
    images: &[(String, String)],
) -> Draft {
    let source = &compiled.source;
    let dir = std::path::Path::new(&source.name)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let parameters = recorded_params(params, existing);
    Draft {
        bucket: compiled.bucket.clone(),
        env_names: source.env_names.clone(),
        record: Record {
            version: releases::VERSION,
            id: id.to_string(),
            app: app.to_string(),
            rack: rack.to_string(),
            created: builds::now(),
            who: releases::caller(c).await,
            description: releases::git_description(dir),
            rollback_of: None,
            manifest: Manifest {
                name: source.name.clone(),
                sha256: releases::sha256(&source.text),
                text: source.text.clone(),
            },
            rack_params_sha256: source.rack_params_sha256.clone(),
            templates: template_keys(&compiled.bundle),
            build: parameters.get("Build").cloned(),
            parameters,
            images: images.iter().cloned().collect(),
            environment: BTreeMap::new(),
            unstored: Vec::new(),
            change_set: None,
            executed: false,
            status: String::new(),
        },
    }
}

/// How a deploy ended, for its release.
pub(crate) enum Outcome<'a> {
    /// The change set ran; the stack's final status.
    Ran(&'a str, &'a str),
    /// `--no-execute`: the change set left for review; `unstored`, the values given that were not stored.
    Held(&'a str, Vec<String>),
    /// Only environment values were stored (no service reads them yet).
    Stored,
}

/// Finish a release and write it. A record that cannot be written is a warning, not the deploy's
/// failure (what was deployed stays deployed).
pub(crate) async fn finish(c: &Clients, draft: Option<&Draft>, outcome: Outcome<'_>) {
    let Some(draft) = draft else { return };
    let mut r = draft.record.clone();
    match outcome {
        Outcome::Ran(set, status) => {
            r.change_set = Some(set.to_string());
            r.executed = true;
            r.status = status.to_string();
        }
        Outcome::Held(set, unstored) => {
            r.change_set = Some(set.to_string());
            r.executed = false;
            r.status = "NOT_EXECUTED".into();
            r.unstored = unstored;
        }
        Outcome::Stored => {
            r.executed = true;
            r.status = "ENVIRONMENT_STORED".into();
        }
    }
    let written = async {
        let stored = secrets::stored_versions(c, &r.rack, &r.app).await?;
        r.environment = stored
            .into_iter()
            .filter(|(name, _)| draft.env_names.contains(name) && !r.unstored.contains(name))
            .map(|(name, (_, version))| (name, version))
            .collect();
        releases::write(c, &draft.bucket, &r).await
    }
    .await;
    if r.executed && releases::succeeded(&r.status) {
        keep_images(c, &r).await;
    }
    match written {
        Ok(()) => say::step(
            format!("release {} recorded ({})", r.id, r.status),
            json!({"type": "release", "id": r.id, "status": r.status, "executed": r.executed}),
        ),
        Err(e) => say::note(format!("warning: release {} was not recorded: {e}", r.id)),
    }
}

/// Mark the images a deployed release ran so that the registry's lifecycle policy keeps them
/// (`kept_<service>.<build>`, `compiler/src/back/lifecycle.rs`). A mark that cannot be added is a
/// warning: the image is then kept only while it is among the newest builds.
async fn keep_images(c: &Clients, r: &Record) {
    if r.images.is_empty() {
        return;
    }
    let stack = format!("{}-{}", r.rack, r.app);
    let registry = match crate::images::resolve::open_registry(c, &stack).await {
        Ok(Some((_, registry))) => registry,
        Ok(None) => return,
        Err(e) => {
            return say::note(format!(
                "warning: the images of release {} were not marked to keep: {e}",
                r.id
            ));
        }
    };
    for tag in r.images.values() {
        let kept = convoxc_compiler::back::lifecycle::kept_tag(tag);
        if let Err(e) = registry.add_tag(tag, &kept).await {
            say::note(format!("warning: {tag} was not marked to keep ({kept}): {e}"));
        }
    }
}
