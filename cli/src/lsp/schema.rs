//! What the convox.yml schema (`schema/convox.schema.json`, embedded in the compiler) says of a
//! key: its description, the shapes it accepts and its default — for hover and completion.

use convoxc_compiler::front::schema::MANIFEST;
use serde_json::Value;
use std::sync::OnceLock;

fn root() -> &'static Value {
    static ROOT: OnceLock<Value> = OnceLock::new();
    ROOT.get_or_init(|| serde_json::from_str(MANIFEST).expect("the embedded schema is JSON"))
}

fn resolve(v: &Value) -> &Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|p| root().pointer(p))
            .map(resolve)
            .unwrap_or(v),
        None => v,
    }
}

/// The branches of a node: itself, or its `anyOf`/`oneOf` alternatives (resolved).
fn branches(v: &Value) -> Vec<&Value> {
    let v = resolve(v);
    let mut out = vec![v];
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(a)) = v.get(key) {
            out.extend(a.iter().flat_map(branches));
        }
    }
    out
}

/// The schema of `key` inside `v` (a property, else a pattern property).
fn child<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    for b in branches(v) {
        if key == "[]" {
            if let Some(items) = b.get("items") {
                return Some(items);
            }
            continue;
        }
        if let Some(p) = b.get("properties").and_then(|p| p.get(key)) {
            return Some(p);
        }
        if let Some(Value::Object(pp)) = b.get("patternProperties")
            && let Some((_, s)) = pp.iter().next()
        {
            return Some(s);
        }
    }
    None
}

/// The schema at a key path (`["services", "web", "health"]`; `[]` steps into a list).
pub fn at(path: &[String]) -> Option<&'static Value> {
    let mut v = root();
    for k in path {
        v = child(v, k)?;
    }
    Some(v)
}

/// The keys the schema names for the map at a path, with their descriptions.
pub fn keys(path: &[String]) -> Vec<(String, String)> {
    let Some(v) = at(path) else { return Vec::new() };
    let mut out = Vec::new();
    for b in branches(v) {
        if let Some(Value::Object(props)) = b.get("properties") {
            for (k, s) in props {
                out.push((k.clone(), description(s)));
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

fn description(v: &Value) -> String {
    branches(v)
        .iter()
        .find_map(|b| b.get("description").and_then(Value::as_str))
        .unwrap_or("")
        .to_string()
}

fn shapes(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for b in branches(v) {
        if let Some(Value::Array(e)) = b.get("enum") {
            out.push(e.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" | "));
        } else if let Some(t) = b.get("type").and_then(Value::as_str) {
            let s = match t {
                "object" => "a map",
                "array" => "a list",
                "string" if b.get("pattern").is_some() => "text (a pattern)",
                "string" => "text",
                "integer" => "a whole number",
                "number" => "a number",
                "boolean" => "true or false",
                "null" => "empty",
                other => other,
            };
            out.push(s.to_string());
        }
    }
    out.dedup();
    out
}

/// Markdown for a key: description, the shapes it takes, its default.
pub fn hover(path: &[String]) -> Option<String> {
    let v = at(path)?;
    let mut text = format!("**{}**", path.join("."));
    let d = description(v);
    if !d.is_empty() {
        text.push_str("\n\n");
        text.push_str(&d);
    }
    let s = shapes(v);
    if !s.is_empty() {
        text.push_str(&format!("\n\nTakes: {}", s.join(", or ")));
    }
    if let Some(default) = branches(v).iter().find_map(|b| b.get("default")) {
        text.push_str(&format!("\n\nDefault: `{default}`"));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_string).collect()
    }

    #[test]
    fn walks_to_keys_through_refs_and_patterns() {
        let h = hover(&path("services.web.agent")).unwrap();
        assert!(
            h.starts_with("**services.web.agent**\n\nRun one task of this service on every instance"),
            "{h}"
        );
        assert!(h.contains("Default: `false`"), "{h}");
        let keys: Vec<String> = keys(&path("services.web")).into_iter().map(|(k, _)| k).collect();
        assert!(keys.contains(&"port".to_string()) && keys.contains(&"health".to_string()));
        assert!(at(&path("services.web.nope")).is_none());
    }
}
