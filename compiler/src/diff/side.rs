//! The sides a diff compares, as trees of stacks: a bundle just built, or a bundle's files (as
//! `convoxc build --out-dir` writes them, or as a convox rack rendered them, with its
//! `meta.json`). A deployed app's side is made by the applier from what CloudFormation returns.

use super::facts::NESTED_STACK;
use super::model::Stack;
use crate::back::Bundle;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What a nested stack is to the user, from its bundle path (`services/web.json` → "service web").
pub fn label_of(path: &str) -> String {
    let stem = path.rsplit_once('.').map_or(path, |(s, _)| s);
    match stem.split_once('/') {
        Some(("services", n)) => format!("service {n}"),
        Some(("timers", n)) => format!("timer {n}"),
        Some(("resources", n)) => format!("resource {n}"),
        Some(("groups", n)) => format!("services {n}"),
        _ => stem.to_string(),
    }
}

/// The nested stacks of a template: logical ID → its `TemplateURL`.
fn nested_urls(template: &Value) -> Vec<(String, String)> {
    template
        .get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(NESTED_STACK))
        .filter_map(|(id, r)| {
            let url = r.pointer("/Properties/TemplateURL")?;
            let text = match url {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some((id.clone(), text))
        })
        .collect()
}

/// A tree of stacks from templates by bundle path, each nested stack found by the content
/// address in its parent's `TemplateURL` (`…/<sha256>.json`).
fn tree(root: Value, nested: Vec<(String, String, Value)>) -> Stack {
    // (bundle path, sha256 of its text, template)
    fn attach(stack: &mut Stack, all: &[(String, String, Value)]) {
        for (id, url) in nested_urls(&stack.template) {
            if let Some((path, _, t)) = all.iter().find(|(_, sha, _)| url.contains(sha.as_str())) {
                let mut child = Stack {
                    template: t.clone(),
                    label: Some(label_of(path)),
                    ..Stack::default()
                };
                attach(&mut child, all);
                stack.nested.insert(id, child);
            }
        }
    }
    let mut stack = Stack {
        template: root,
        label: Some("app".into()),
        ..Stack::default()
    };
    attach(&mut stack, &nested);
    stack
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A bundle just built.
pub fn from_bundle(bundle: &Bundle) -> Stack {
    let nested = bundle
        .nested()
        .map(|(path, t)| {
            (
                path,
                t.key()
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .trim_end_matches(".json")
                    .to_string(),
                t.value().clone(),
            )
        })
        .collect();
    tree(bundle.app.value().clone(), nested)
}

/// A bundle's files: `app.json` and the nested templates by their path in the folder
/// (`services/web.json`, …), and `meta.json` when there is one (a convox-made bundle's: which
/// logical ID each nested stack has, and the parameter values the app stack was given).
pub fn from_files(files: &BTreeMap<String, String>) -> Result<Stack, String> {
    let parse = |path: &str, text: &str| -> Result<Value, String> {
        serde_json::from_str(text).map_err(|e| format!("{path}: not a JSON template: {e}"))
    };
    let root_text = files.get("app.json").ok_or("no app.json in the bundle")?;
    let root = parse("app.json", root_text)?;
    let meta = files.get("meta.json").map(|m| parse("meta.json", m)).transpose()?;
    let mut nested = Vec::new();
    for (path, text) in files {
        if path == "app.json" || path == "meta.json" || path == "case.json" || !path.ends_with(".json") {
            continue;
        }
        nested.push((path.clone(), sha256(text), parse(path, text)?));
    }
    let mut stack = tree(root, nested.clone());
    if let Some(meta) = meta {
        // meta.json names each nested stack's file: it wins over content addresses
        for entry in meta.get("stacks").and_then(Value::as_array).into_iter().flatten() {
            let (Some(id), Some(file)) = (
                entry.get("logical_id").and_then(Value::as_str),
                entry.get("file").and_then(Value::as_str),
            ) else {
                continue;
            };
            let template = nested
                .iter()
                .find(|(p, _, _)| p == file)
                .map(|(_, _, t)| t.clone())
                .ok_or_else(|| format!("meta.json names {file}, which is not in the bundle"))?;
            stack.nested.insert(
                id.to_string(),
                Stack {
                    template,
                    label: Some(label_of(file)),
                    ..Stack::default()
                },
            );
        }
        for (k, v) in meta
            .get("root_parameters")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            stack.parameters.insert(k.clone(), v.clone());
        }
    }
    Ok(stack)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_as_the_manifest() {
        assert_eq!(label_of("services/web.json"), "service web");
        assert_eq!(label_of("resources/database.json"), "resource database");
        assert_eq!(label_of("timers/cleanup.yaml"), "timer cleanup");
    }

    #[test]
    fn nested_stacks_are_found_by_content_address() {
        let web = r#"{"Resources": {}}"#.to_string();
        let root = format!(
            r#"{{"Resources": {{"ServiceWeb": {{"Type": "AWS::CloudFormation::Stack", "Properties": {{"TemplateURL": "https://b.s3.amazonaws.com/convoxc/templates/{}.json"}}}}}}}}"#,
            sha256(&web)
        );
        let files = BTreeMap::from([("app.json".to_string(), root), ("services/web.json".to_string(), web)]);
        let s = from_files(&files).unwrap();
        assert_eq!(s.nested["ServiceWeb"].label.as_deref(), Some("service web"));
        assert!(from_files(&BTreeMap::new()).unwrap_err().contains("app.json"));
    }
}
