//! `releases rollback ID` and `releases promote ID`: an earlier (or held) release deployed as it
//! was, through the flow — its templates (no recompile: the stored bytes, checked against their
//! content address), its parameter values, its images (checked present before any change set)
//! and its environment. ECS cannot pin an SSM parameter version, so each value that changed since
//! is written back as a new version (read from the parameter's history) after consent, shown in
//! the same report; a variable added since is removed. The rollback is a new release.

use crate::aws::builds;
use crate::aws::clients::{Clients, Error, Result, describe, err};
use crate::aws::releases::{self, Record};
use crate::aws::secrets::{self, Pending};
use crate::deploy::consent::Flags;
use crate::deploy::flow::{Deployment, deploy};
use crate::deploy::plan;
use crate::deploy::release::Draft;
use crate::deploy::settle::settle;
use crate::deploy::stack::ParamValue;
use crate::images::resolve::check_tags;
use aws_sdk_s3::primitives::ByteStream;
use convoxc_compiler::back::{Bundle, KEY_PREFIX, Template};
use convoxc_compiler::diff::{Action, EnvChange};
use convoxc_compiler::ir::naming::env_parameter_path;
use std::collections::BTreeMap;

/// Which release, and how.
pub(crate) struct Rollback<'a> {
    pub rack: &'a str,
    pub app: &'a str,
    pub id: &'a str,
    pub flags: &'a Flags,
    /// `promote`: a release held by `--no-execute` (else a rollback to one that ran).
    pub promote: bool,
}

/// What the environment needs to be the release's again: values to write back, variables to
/// remove, the report's lines, and the variables whose value SSM no longer holds.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Restore {
    pub write: BTreeMap<String, String>,
    pub remove: Vec<String>,
    pub changes: Vec<EnvChange>,
    pub lost: Vec<String>,
}

/// Decide the restore from the release's versions, what is stored now (value, version) and each
/// parameter's history (version → value; SSM keeps the newest 100).
pub(crate) fn restore(
    wanted: &BTreeMap<String, i64>,
    now: &BTreeMap<String, (String, i64)>,
    history: &BTreeMap<String, BTreeMap<i64, String>>,
) -> Restore {
    let mut r = Restore::default();
    for (name, version) in wanted {
        let current = now.get(name);
        if current.is_some_and(|(_, v)| v == version) {
            continue;
        }
        let Some(value) = history.get(name).and_then(|h| h.get(version)) else {
            r.lost.push(format!("{name} (version {version})"));
            continue;
        };
        match current {
            Some((v, _)) if v == value => {}
            _ => {
                r.write.insert(name.clone(), value.clone());
                r.changes.push(EnvChange {
                    name: name.clone(),
                    action: if current.is_some() { Action::Modify } else { Action::Add },
                });
            }
        }
    }
    for name in now.keys().filter(|n| !n.starts_with('.') && !wanted.contains_key(*n)) {
        r.remove.push(name.clone());
        r.changes.push(EnvChange {
            name: name.clone(),
            action: Action::Remove,
        });
    }
    r.changes.sort_by(|a, b| a.name.cmp(&b.name));
    r
}

/// A parameter's history: version → value (decrypted). Empty when the parameter is gone.
async fn history(c: &Clients, path: &str) -> Result<BTreeMap<i64, String>> {
    let mut out = BTreeMap::new();
    let mut pages = c
        .ssm
        .get_parameter_history()
        .name(path)
        .with_decryption(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_parameter_not_found()) => break,
            Err(e) => return Err(describe(&format!("reading the history of {path}"), &e)),
        };
        for p in page.parameters() {
            if let Some(v) = p.value() {
                out.insert(p.version(), v.to_string());
            }
        }
    }
    Ok(out)
}

/// The value a release's variable had (`releases info --reveal`): None when SSM no longer holds it.
pub(crate) async fn value_at(
    c: &Clients,
    (rack, app): (&str, &str),
    name: &str,
    version: i64,
) -> Result<Option<String>> {
    Ok(history(c, &env_parameter_path(rack, app, name)).await?.remove(&version))
}

/// A stored template, its bytes checked against the content address its key names.
async fn template(c: &Clients, bucket: &str, key: &str) -> Result<Template> {
    let digest = key
        .strip_prefix(KEY_PREFIX)
        .and_then(|k| k.strip_suffix(".json"))
        .ok_or_else(|| Error(format!("{key} is not a content-addressed template key")))?;
    let out =
        c.s3.get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| describe(&format!("reading s3://{bucket}/{key} (a template of the release)"), &e))?;
    let bytes = collect(out.body, bucket, key).await?;
    let text = String::from_utf8(bytes).map_err(|_| Error(format!("s3://{bucket}/{key} is not text")))?;
    if releases::sha256(&text) != digest {
        return err(format!(
            "s3://{bucket}/{key} does not hold the template its name is the digest of (it was changed in the bucket): \
             nothing was changed; this release cannot be deployed as it was"
        ));
    }
    let value = serde_json::from_str(&text).map_err(|e| Error(format!("s3://{bucket}/{key}: {e}")))?;
    let t = Template::new(value);
    if t.text != text {
        return err(format!("s3://{bucket}/{key} is not a template as convoxc writes it"));
    }
    Ok(t)
}

async fn collect(body: ByteStream, bucket: &str, key: &str) -> Result<Vec<u8>> {
    Ok(body
        .collect()
        .await
        .map_err(|e| Error(format!("reading s3://{bucket}/{key}: {e}")))?
        .into_bytes()
        .to_vec())
}

/// The release's bundle, from its stored templates.
async fn bundle(c: &Clients, bucket: &str, r: &Record) -> Result<Bundle> {
    let Some(root) = r.templates.get("app.json") else {
        return err(format!("release {} names no app.json template", r.id));
    };
    let mut b = Bundle {
        app: template(c, bucket, root).await?,
        services: Vec::new(),
        timers: Vec::new(),
        resources: Vec::new(),
        groups: Vec::new(),
    };
    for (path, key) in &r.templates {
        let Some((kind, file)) = path.split_once('/') else {
            continue;
        };
        let name = file.trim_end_matches(".json").to_string();
        let t = template(c, bucket, key).await?;
        match kind {
            "services" => b.services.push((name, t)),
            "timers" => b.timers.push((name, t)),
            "resources" => b.resources.push((name, t)),
            "groups" => b.groups.push((name, t)),
            _ => return err(format!("release {}: unknown template path {path}", r.id)),
        }
    }
    Ok(b)
}

/// Deploy release `r.id` again.
pub(crate) async fn rollback(c: &Clients, r: Rollback<'_>) -> Result<()> {
    let (rack, app) = (r.rack, r.app);
    let stack = format!("{rack}-{app}");
    let rack_stack = crate::aws::rack_stack::rack_stack(c, rack).await?;
    let bucket = crate::aws::lookup::output(&rack_stack, "SettingsBucket")
        .ok_or_else(|| {
            Error(format!(
                "stack {rack} has no SettingsBucket output: is it a convox rack?"
            ))
        })?
        .to_string();
    let Some(record) = releases::read(c, &bucket, app, r.id).await? else {
        return err(format!(
            "app {app} has no release {}: `convoxc releases --app {app}` lists them",
            r.id
        ));
    };
    match (r.promote, record.executed) {
        (true, true) => {
            return err(format!(
                "release {} ran already: `convoxc releases rollback {}` deploys it again",
                record.id, record.id
            ));
        }
        (false, false) => {
            return err(format!(
                "release {} was never executed (held by --no-execute): `convoxc releases promote {}` deploys it",
                record.id, record.id
            ));
        }
        _ => {}
    }
    if !record.unstored.is_empty() {
        return err(format!(
            "release {} was held before its environment values were stored, so they are nowhere to restore from: {}\n  \
             nothing was changed; deploy again with those values",
            record.id,
            record.unstored.join(", ")
        ));
    }
    // everything that can refuse is checked before any change set: templates, images, values
    let bundle = bundle(c, &bucket, &record).await?;
    check_tags(c, &stack, &record.images.clone().into_iter().collect::<Vec<_>>()).await?;
    let now = secrets::stored_versions(c, rack, app).await?;
    let mut histories = BTreeMap::new();
    for (name, version) in &record.environment {
        if now.get(name).is_none_or(|(_, v)| v != version) {
            histories.insert(name.clone(), history(c, &env_parameter_path(rack, app, name)).await?);
        }
    }
    let plan = restore(&record.environment, &now, &histories);
    if !plan.lost.is_empty() {
        return err(format!(
            "SSM no longer holds the value release {} ran with (it keeps a parameter's newest 100 versions, \
             and none once it is deleted): {}\n  nothing was changed",
            record.id,
            plan.lost.join(", ")
        ));
    }
    let Some(existing) = settle(c, &stack, r.flags).await? else {
        return err(format!("app {app} is not deployed on rack {rack} (no stack {stack})"));
    };

    let id = releases::new_id();
    let mut params: BTreeMap<String, ParamValue> = record
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), ParamValue::Plain(v.clone())))
        .collect();
    if bundle.app.value().pointer("/Parameters/Release").is_some() {
        params.insert("Release".into(), ParamValue::Plain(id.clone()));
    }
    if bundle.app.value().pointer("/Parameters/ResourcePassword").is_some() {
        let value = match now.get(secrets::RESOURCE_PASSWORD) {
            Some((p, _)) => ParamValue::Secret(p.clone()),
            None => ParamValue::UsePrevious,
        };
        params.insert("ResourcePassword".into(), value);
    }
    let mut new = record.clone();
    new.id = id.clone();
    new.created = builds::now();
    new.who = releases::caller(c).await;
    new.rollback_of = Some(record.id.clone());
    // how it ends is this deploy's own
    (new.change_set, new.executed, new.status) = (None, false, String::new());
    new.description = Some(format!(
        "{} of {}{}",
        if r.promote { "promote" } else { "rollback" },
        record.id,
        record
            .description
            .as_ref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default()
    ));
    new.parameters = crate::deploy::release::recorded_params(&params, Some(&existing));
    let draft = Draft {
        bucket: bucket.clone(),
        env_names: record.environment.keys().cloned().collect(),
        record: new,
    };
    let nested: Vec<&Template> = bundle.nested().map(|(_, t)| t).collect();
    let d = Deployment {
        stack: &stack,
        root: &bundle.app,
        nested,
        bucket: Some(bucket.clone()),
        params,
        tags: plan::app_tags(rack, app),
        flags: r.flags,
        pending: Pending {
            rack: rack.to_string(),
            app: app.to_string(),
            env: plan.write,
            remove: plan.remove,
            staged: Vec::new(),
            password: None,
            key: crate::aws::rack_stack::secrets_key(&rack_stack),
        },
        environment: plan.changes,
        consented: false,
        app: Some(app.to_string()),
        part: false,
        side: None,
        release: Some(draft),
    };
    deploy(c, d, Some(existing), Some(&bundle)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The release ran A at version 2 and B at version 1; since, A was changed twice (version 4),
    /// B is unchanged, C was added, and D's history lost the version the release ran (SSM keeps
    /// 100): A goes back to its version-2 value as a new version, C is removed, D is named.
    #[test]
    fn the_environment_goes_back_to_the_release_and_lost_values_are_named() {
        let wanted: BTreeMap<String, i64> = [("A".into(), 2), ("B".into(), 1), ("D".into(), 3)].into();
        let now: BTreeMap<String, (String, i64)> = [
            ("A".into(), ("a4".into(), 4)),
            ("B".into(), ("b1".into(), 1)),
            ("C".into(), ("c1".into(), 1)),
            ("D".into(), ("d200".into(), 200)),
            (".resource-password".into(), ("p".into(), 1)),
        ]
        .into();
        let history: BTreeMap<String, BTreeMap<i64, String>> = [
            (
                "A".into(),
                [(1, "a1".into()), (2, "a2".into()), (3, "a3".into()), (4, "a4".into())].into(),
            ),
            ("D".into(), (101..=200).map(|v| (v, format!("d{v}"))).collect()),
        ]
        .into();
        let r = restore(&wanted, &now, &history);
        assert_eq!(r.write, [("A".to_string(), "a2".to_string())].into());
        assert_eq!(r.remove, ["C"]);
        assert_eq!(r.lost, ["D (version 3)"]);
        let names: Vec<(&str, Action)> = r.changes.iter().map(|c| (c.name.as_str(), c.action)).collect();
        assert_eq!(names, [("A", Action::Modify), ("C", Action::Remove)]);
        // a value written back to what it was (a later version with the release's value) is no change
        let now2: BTreeMap<String, (String, i64)> = [("A".into(), ("a2".into(), 5))].into();
        let wanted2: BTreeMap<String, i64> = [("A".into(), 2)].into();
        assert_eq!(restore(&wanted2, &now2, &history), Restore::default());
    }
}
