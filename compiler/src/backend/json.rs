//! Rendered template text → JSON value: trailing commas (which keep the templates free of
//! comma bookkeeping) are removed, and a duplicate key is an error instead of "last wins".

use serde_json::{Map, Value};

/// Remove commas that precede `}` or `]` (outside strings), and reject an object that has the
/// same key twice. One pass over the bytes; the result is plain JSON.
pub fn normalize(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut pending_comma: Option<usize> = None;
    // one entry per open container: the keys seen so far (None for arrays)
    let mut keys: Vec<Option<std::collections::HashSet<&[u8]>>> = Vec::new();
    let mut last_string: Option<&[u8]> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' => {
                pending_comma = None;
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                let end = j.min(bytes.len());
                out.extend_from_slice(&bytes[i..(end + 1).min(bytes.len())]);
                last_string = Some(&bytes[start..end]);
                i = end + 1;
                continue;
            }
            b':' => {
                if let (Some(k), Some(Some(seen))) = (last_string.take(), keys.last_mut())
                    && !seen.insert(k)
                {
                    return Err(format!("duplicate key `{}`", String::from_utf8_lossy(k)));
                }
                out.push(b);
            }
            b',' => {
                pending_comma = Some(out.len());
                last_string = None;
                out.push(b);
            }
            b'{' | b'[' => {
                keys.push((b == b'{').then(std::collections::HashSet::new));
                pending_comma = None;
                last_string = None;
                out.push(b);
            }
            b'}' | b']' => {
                keys.pop();
                if let Some(at) = pending_comma.take() {
                    out.remove(at);
                }
                last_string = None;
                out.push(b);
            }
            b' ' | b'\n' | b'\r' | b'\t' => out.push(b),
            _ => {
                pending_comma = None;
                last_string = None;
                out.push(b);
            }
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// Parse rendered template text (trailing commas allowed, duplicate keys rejected).
pub fn parse_strict(text: &str) -> Result<Value, String> {
    serde_json::from_str(&normalize(text)?).map_err(|e| e.to_string())
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
            r#"{"a": [1, 2 ], "b": "x,}" }"#
        );
        assert_eq!(normalize(r#"{"a": "q\",]", }"#).unwrap(), r#"{"a": "q\",]" }"#);
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
