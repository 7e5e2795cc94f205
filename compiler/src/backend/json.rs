//! Rendered template text → JSON value: trailing commas (which keep the templates free of
//! comma bookkeeping) are removed, and a duplicate key is an error instead of "last wins".

use serde_json::{Map, Value};

/// Remove commas that precede `}` or `]` (outside strings). One pass over the bytes; the
/// result is plain JSON.
pub fn normalize(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut pending_comma: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' => {
                pending_comma = None;
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                let end = (j + 1).min(bytes.len());
                out.extend_from_slice(&bytes[i..end]);
                i = end;
                continue;
            }
            b',' => {
                pending_comma = Some(out.len());
                out.push(b);
            }
            b'}' | b']' => {
                if let Some(at) = pending_comma.take() {
                    out[at] = b' ';
                }
                out.push(b);
            }
            b' ' | b'\n' | b'\r' | b'\t' => out.push(b),
            _ => {
                pending_comma = None;
                out.push(b);
            }
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// A JSON value whose objects never repeat a key: serde_json's own `Value` keeps the last of
/// two equal keys, which would hide a template mistake.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        use serde_json::map::Entry;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            match out.entry(key) {
                Entry::Occupied(e) => {
                    return Err(serde::de::Error::custom(format!("duplicate key `{}`", e.key())));
                }
                Entry::Vacant(e) => {
                    e.insert(value);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// Parse rendered template text (trailing commas allowed, duplicate keys rejected).
pub fn parse_strict(text: &str) -> Result<Value, String> {
    serde_json::from_str::<Strict>(&normalize(text)?)
        .map(|s| s.0)
        .map_err(|e| e.to_string())
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
            normalize(r#"{"a": [1, 2, ], "b": "x,}", }"#).unwrap(),
            r#"{"a": [1, 2  ], "b": "x,}"  }"#
        );
        assert_eq!(normalize(r#"{"a": "q\",]", }"#).unwrap(), r#"{"a": "q\",]"  }"#);
    }

    #[test]
    fn duplicates_are_errors() {
        assert!(
            parse_strict(r#"{"a": 1, "a": 2}"#)
                .unwrap_err()
                .contains("duplicate key `a`")
        );
        assert!(parse_strict(r#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}], "c": "a"}"#).is_ok());
        assert!(parse_strict(r#"{"x": {"k": 1, "k": 1}}"#).is_err());
        assert!(parse_strict(r#"{"a\"b": 1, "a\"b": 2}"#).is_err());
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
