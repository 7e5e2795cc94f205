//! Rendered template text → JSON value: trailing commas (which keep the templates free of
//! comma bookkeeping) are removed, and a duplicate key is an error instead of "last wins".

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Remove commas that precede `}` or `]` (outside strings).
pub fn strip_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut pending_comma: Option<usize> = None;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                pending_comma = None;
                in_string = true;
                out.push(c);
            }
            ',' => {
                pending_comma = Some(out.len());
                out.push(c);
            }
            '}' | ']' => {
                if let Some(at) = pending_comma.take() {
                    out.remove(at);
                }
                out.push(c);
            }
            c if c.is_whitespace() => out.push(c),
            _ => {
                pending_comma = None;
                out.push(c);
            }
        }
    }
    out
}

/// Parse JSON, rejecting duplicate object keys.
pub fn parse_strict(text: &str) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = <Strict as serde::Deserialize>::deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(v.0)
}

struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
        Ok(Strict(
            serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
        ))
    }
    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Strict, A::Error> {
        let mut v = Vec::new();
        while let Some(Strict(x)) = a.next_element()? {
            v.push(x);
        }
        Ok(Strict(Value::Array(v)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Strict, A::Error> {
        let mut m = Map::new();
        while let Some(k) = a.next_key::<String>()? {
            let Strict(v) = a.next_value()?;
            if m.insert(k.clone(), v).is_some() {
                return Err(de::Error::custom(format!("duplicate key `{k}`")));
            }
        }
        Ok(Strict(Value::Object(m)))
    }
}

/// Merge a template fragment into a template, section by section (Parameters, Conditions,
/// Resources, Outputs …): an entry defined by two fragments is an error, never "last wins".
pub fn merge(into: &mut Map<String, Value>, from: Value) -> Result<(), String> {
    let Value::Object(from) = from else {
        return Err("a template fragment must be an object".into());
    };
    for (section, entries) in from {
        match (into.get_mut(&section), entries) {
            (Some(Value::Object(a)), Value::Object(b)) => {
                for (k, v) in b {
                    if a.insert(k.clone(), v).is_some() {
                        return Err(format!("`{section}.{k}` is defined twice"));
                    }
                }
            }
            (Some(_), _) => return Err(format!("`{section}` is defined twice")),
            (None, v) => {
                into.insert(section, v);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_commas_go_strings_stay() {
        assert_eq!(
            strip_trailing_commas(r#"{"a": [1, 2, ], "b": "x,}", }"#),
            r#"{"a": [1, 2 ], "b": "x,}" }"#
        );
        assert_eq!(strip_trailing_commas(r#"{"a": "q\",]", }"#), r#"{"a": "q\",]" }"#);
    }

    #[test]
    fn duplicates_are_errors() {
        assert!(
            parse_strict(r#"{"a": 1, "a": 2}"#)
                .unwrap_err()
                .contains("duplicate key `a`")
        );
        assert!(parse_strict(r#"{"a": {"b": 1}, "c": [1]}"#).is_ok());
    }

    #[test]
    fn merge_detects_collisions() {
        let mut a = Map::new();
        merge(&mut a, serde_json::json!({"Resources": {"A": {"Type": "x"}}})).unwrap();
        merge(&mut a, serde_json::json!({"Resources": {"B": {}}, "Outputs": {}})).unwrap();
        assert!(merge(&mut a, serde_json::json!({"Resources": {"B": {}}})).is_err());
        assert_eq!(a["Resources"].as_object().unwrap().len(), 2);
    }
}
