//! `resources:` → IR resources: the type and its options (`resource_options.rs`).

use super::resource_options::resolve_options;
use crate::diagnostic::Code;
use crate::front::cx::{Cx, join};
use crate::front::keys::Place;
use crate::front::yaml::{Node, Value};
use crate::ir::*;
use crate::names::{suggest, upper_name};

pub(super) fn decode_resources(cx: &mut Cx, n: &Node) -> Vec<Resource> {
    let mut out = Vec::new();
    for (name, key, body) in cx.named(n, "resources", "a map of resource names to resources") {
        let path = join("resources", &name);
        cx.spans.insert(format!("{path}#name"), cx.span(key));
        let Some(f) = cx.fields(body, &path, Place::Resource) else {
            continue;
        };
        let type_text = f
            .get("type")
            .and_then(|t| cx.string(t, &join(&path, "type")))
            .unwrap_or_default();
        let kind = if type_text.trim().is_empty() {
            let at = f
                .get("type")
                .unwrap_or(if matches!(body.value, Value::Null) { key } else { body });
            cx.error(
                Code::ResourceType,
                at,
                &join(&path, "type"),
                "resource type can not be blank",
                Some(format!("set `type:` to one of {}", resource_type_names())),
            );
            None
        } else {
            resource_type(cx, f.get("type").unwrap_or(body), &join(&path, "type"), &type_text)
        };
        let tags = f
            .get("tags")
            .map(|t| cx.string_map(t, &join(&path, "tags")))
            .unwrap_or_default();
        let options = f
            .get("options")
            .map(|o| cx.string_map(o, &join(&path, "options")))
            .unwrap_or_default();
        let Some(kind) = kind else { continue };
        let options = resolve_options(cx, kind, &path, options);
        out.push(Resource {
            logical_name: upper_name(&name),
            name,
            kind,
            options,
            tags: tags.into_iter().map(|(k, v, _)| (k, v)).collect(),
        });
    }
    out
}

fn resource_type_names() -> String {
    ResourceType::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

fn resource_type(cx: &mut Cx, n: &Node, path: &str, text: &str) -> Option<ResourceType> {
    if let Some((_, t)) = ResourceType::ALL.iter().find(|(name, _)| *name == text) {
        return Some(*t);
    }
    let help = if ["s3", "sns", "sqs", "syslog", "webhook"].contains(&text) {
        format!(
            "`{text}` is a rack-level resource: create it with `convoxc resources build {text}` and link it to the app"
        )
    } else if let Some(s) = suggest(text, ResourceType::ALL.iter().map(|(n, _)| *n)) {
        format!("did you mean `{s}`?")
    } else {
        format!("app resource types are {}", resource_type_names())
    };
    cx.error(
        Code::ResourceType,
        n,
        path,
        format!("unknown resource type `{text}`"),
        Some(help),
    );
    None
}
