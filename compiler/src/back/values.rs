//! Small values the view models share.

use crate::ir::naming::RESERVED_TAGS;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A manifest's `tags:` without the keys convoxc sets itself.
pub(super) fn user_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !RESERVED_TAGS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `Fn::Sub` of a text with its variables.
pub(super) fn sub_with(text: &str, vars: Value) -> Value {
    json!({"Fn::Sub": [text, vars]})
}
