//! The JSON Schemas published for editors: convox.yml (hand-written, `schema/convox.schema.json`)
//! and rack params (generated from the rack parameter table, checked in as
//! `schema/rack-params.schema.json`; a test keeps the two equal).

use crate::ir::rack::{self, Kind};
use serde_json::{Map, Value, json};

/// The convox.yml schema (draft-07).
pub const MANIFEST: &str = include_str!("../../../schema/convox.schema.json");

/// The rack params schema (draft-07), generated from the rack parameter tables.
pub fn rack_params() -> Value {
    let mut props = Map::new();
    for p in rack::all() {
        let mut s = Map::new();
        s.insert("description".into(), json!(p.description));
        let numeric_or_text = json!([{"type": "string"}, {"type": "number"}]);
        match p.kind {
            Kind::Number => {
                let mut n = Map::new();
                n.insert("type".into(), json!("number"));
                if let Some(min) = p.min {
                    n.insert("minimum".into(), json!(min));
                }
                if let Some(max) = p.max {
                    n.insert("maximum".into(), json!(max));
                }
                s.insert(
                    "anyOf".into(),
                    json!([Value::Object(n), {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"}]),
                );
            }
            Kind::CommaDelimitedList => {
                s.insert(
                    "anyOf".into(),
                    json!([{"type": "string"}, {"type": "array", "items": {"type": "string"}}]),
                );
            }
            Kind::String | Kind::SsmImageId if !p.allowed.is_empty() => {
                // YAML 1.1 reads an unquoted Yes/No as a boolean; convoxc keeps the text as written
                let yes_no = p.allowed.contains(&"Yes") || p.allowed.contains(&"true");
                let mut any = vec![json!({"type": "string", "enum": p.allowed})];
                if yes_no {
                    any.push(json!({"type": "boolean"}));
                }
                // numbers, or blank and numbers (LogRetention): the numbers may be written unquoted
                if p.allowed
                    .iter()
                    .filter(|a| !a.is_empty())
                    .all(|a| a.parse::<f64>().is_ok())
                {
                    any.push(json!({"type": "number", "enum": p.allowed.iter().filter_map(|a| a.parse::<i64>().ok()).collect::<Vec<_>>()}));
                }
                s.insert("anyOf".into(), Value::Array(any));
            }
            Kind::String | Kind::SsmImageId => {
                s.insert("anyOf".into(), numeric_or_text);
            }
        }
        // a new rack's default: convoxc's where it made convox's safer (an existing rack keeps its own)
        let secure = crate::ir::rack::SECURE_DEFAULTS.iter().find(|(n, ..)| *n == p.name);
        if let Some(d) = secure.map(|(_, ours, ..)| *ours).or(p.default) {
            s.insert("default".into(), json!(d));
        }
        if let Some((_, _, convox, why)) = secure {
            let text = s.get("description").and_then(Value::as_str).unwrap_or("").to_string();
            s.insert(
                "description".into(),
                json!(format!("{text} (convoxc: a new rack defaults to the safer value, convox's is {convox}: {why}; a rack that exists keeps what it has)")),
            );
        }
        if p.no_echo {
            s.insert(
                "deprecationMessage".into(),
                json!("ignored by convoxc (no rack API); never store a password in a params file"),
            );
        }
        props.insert(p.name.into(), Value::Object(s));
    }
    props.insert(
        "Tags".into(),
        json!({"type": "string", "pattern": "^([^=,]+=[^,]*)(,[^=,]+=[^,]*)*$", "description": "Stack tags, written key1=val1,key2=val2."}),
    );
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://convoxc.dev/schema/rack-params.schema.json",
        "title": "convoxc rack parameters",
        "description": "Parameters of a convox generation-2 rack, as a JSON or YAML map of NAME: value.",
        "type": "object",
        "additionalProperties": false,
        "properties": Value::Object(props),
    })
}

/// The rack params schema as the file is written: pretty JSON with a final newline.
pub fn rack_params_text() -> String {
    let mut s = serde_json::to_string_pretty(&rack_params()).expect("a JSON value serialises");
    s.push('\n');
    s
}
