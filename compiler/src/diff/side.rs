//! The sides a diff compares, as trees of stacks: a bundle just built, or a bundle's files (as
//! `convoxc build --out-dir` writes them, or as a convox rack rendered them, with its
//! `meta.json`). A deployed app's side is made by the applier from what CloudFormation returns.

use super::facts::NESTED_STACK;
use super::model::{Body, Stack};
use super::template_text::read;
use crate::back::{Bundle, Template};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

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

/// The nested stacks of a template: logical ID → its `TemplateURL` (a template not parsed yet
/// that does not name the type has none, and stays unparsed).
fn nested_urls(template: &Body) -> Vec<(String, String)> {
    if !template.may_nest() {
        return Vec::new();
    }
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
/// address in its parent's `TemplateURL` (`…/<sha256>.json`). Templates move into the tree (one
/// referenced twice is copied).
fn tree(root: Body, root_digest: String, nested: Vec<(String, String, Body)>) -> Stack {
    // (bundle path, sha256 of its text, template)
    let mut uses: HashMap<String, usize> = HashMap::new();
    for t in std::iter::once(&root).chain(nested.iter().map(|(_, _, t)| t)) {
        for (_, url) in nested_urls(t) {
            if let Some(sha) = sha_in(&url) {
                *uses.entry(sha.to_string()).or_default() += 1;
            }
        }
    }
    let mut pool: HashMap<String, (String, Body)> = nested.into_iter().map(|(p, sha, t)| (sha, (p, t))).collect();
    fn attach(stack: &mut Stack, pool: &mut HashMap<String, (String, Body)>, uses: &mut HashMap<String, usize>) {
        for (id, url) in nested_urls(&stack.template) {
            let Some(sha) = sha_in(&url) else { continue };
            let left = uses.get_mut(sha).map(|n| {
                *n -= 1;
                *n
            });
            let entry = match left {
                Some(0) => pool.remove(sha),
                _ => pool.get(sha).cloned(),
            };
            let Some((path, template)) = entry else { continue };
            let mut child = Stack {
                template,
                label: Some(label_of(&path)),
                digest: Some(sha.to_string()),
                ..Stack::default()
            };
            attach(&mut child, pool, uses);
            stack.nested.insert(id, child);
        }
    }
    let mut stack = Stack {
        template: root,
        label: Some("app".into()),
        digest: Some(root_digest),
        ..Stack::default()
    };
    attach(&mut stack, &mut pool, &mut uses);
    stack
}

/// The content address in a `TemplateURL`: its last run of 64 hex digits.
fn sha_in(url: &str) -> Option<&str> {
    let b = url.as_bytes();
    let mut end = b.len();
    while end >= 64 {
        let start = end - 64;
        if b[start..end].iter().all(u8::is_ascii_hexdigit)
            && (start == 0 || !b[start - 1].is_ascii_hexdigit())
            && (end == b.len() || !b[end].is_ascii_hexdigit())
        {
            return Some(&url[start..end]);
        }
        end -= 1;
    }
    None
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A bundle just built: the app template parsed, the nested ones parsed when the diff looks at
/// them (`Body`).
pub fn from_bundle(bundle: &Bundle) -> Stack {
    let nested = bundle
        .nested()
        .map(|(path, t): (String, &Template)| (path, t.sha256.clone(), Body::deferred(Arc::from(t.text.as_str()))))
        .collect();
    let app: Value = serde_json::from_str(&bundle.app.text).expect("a built template is JSON");
    tree(app.into(), bundle.app.sha256.clone(), nested)
}

/// A bundle file's template: JSON is checked now and parsed when the diff looks at it; YAML is
/// read now (its errors, and JSON's, said when the bundle is read).
fn template_of(path: &str, text: &str) -> Result<Body, String> {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => Ok(Body::deferred(Arc::from(text))),
        Err(_) => read(path, text).map(Body::from),
    }
}

/// A bundle's files: `app.json` and the nested templates by their path in the folder
/// (`services/web.json`, …), and `meta.json` when there is one (a convox-made bundle's: which
/// logical ID each nested stack has, and the parameter values the app stack was given).
/// A template may be JSON or CloudFormation YAML (`template_text`), in a `.json`, `.yaml` or
/// `.yml` file. Templates are parsed in parallel.
pub fn from_files(files: &BTreeMap<String, String>) -> Result<Stack, String> {
    use rayon::prelude::*;
    let parse = |path: &str, text: &str| read(path, text).map(Body::from);
    let (root_name, root_text) = ["app.json", "app.yaml", "app.yml"]
        .into_iter()
        .find_map(|name| Some((name, files.get(name)?)))
        .ok_or("no app.json in the bundle")?;
    let meta = files
        .get("meta.json")
        .map(|m| serde_json::from_str::<Value>(m).map_err(|e| format!("meta.json: not JSON: {e}")))
        .transpose()?;
    let templates: Vec<(&String, &String)> = files
        .iter()
        .filter(|(p, _)| {
            ![root_name, "meta.json", "case.json"].contains(&p.as_str())
                && [".json", ".yaml", ".yml"].iter().any(|e| p.ends_with(e))
        })
        .collect();
    let (root, nested) = rayon::join(
        || parse(root_name, root_text),
        || {
            templates
                .par_iter()
                .map(|(path, text)| Ok(((*path).clone(), sha256(text), template_of(path, text)?)))
                .collect::<Result<Vec<_>, String>>()
        },
    );
    let (root, nested) = (root?, nested?);
    let Some(meta) = meta else {
        return Ok(tree(root, sha256(root_text), nested));
    };
    // meta.json names each nested stack's file
    let mut by_file: HashMap<String, Body> = nested.into_iter().map(|(p, _, t)| (p, t)).collect();
    let mut stack = Stack {
        template: root,
        label: Some("app".into()),
        digest: Some(sha256(root_text)),
        ..Stack::default()
    };
    for entry in meta.get("stacks").and_then(Value::as_array).into_iter().flatten() {
        let (Some(id), Some(file)) = (
            entry.get("logical_id").and_then(Value::as_str),
            entry.get("file").and_then(Value::as_str),
        ) else {
            continue;
        };
        let template = by_file
            .remove(file)
            .ok_or_else(|| format!("meta.json names {file}, which is not in the bundle (or twice)"))?;
        stack.nested.insert(
            id.to_string(),
            Stack {
                template,
                label: Some(label_of(file)),
                digest: files.get(file).map(|t| sha256(t)),
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
