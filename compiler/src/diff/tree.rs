//! A structural diff of two JSON values: maps key by key, lists by their longest common
//! subsequence (one inserted environment entry is one insertion, not a change of every entry
//! after it), where a removed and an inserted entry with the same identity (`Name`, `Key`, …) are
//! one changed entry. Intrinsics are compared in one form: `Fn::GetAtt` as a list, `Fn::Sub`
//! without an empty variable map.

use serde::Serialize;
use serde_json::{Map, Value};

/// One difference, at a JSON pointer below the compared value (`/Environment/3/Value`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Edit {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// The keys that identify an entry of a list of objects (so that a changed entry is one change).
const IDENTITY_KEYS: &[&str] = &[
    "Name",
    "Key",
    "ContainerName",
    "Sid",
    "PolicyName",
    "Id",
    "Field",
    "ParameterKey",
];

/// A value in the one form both sides are compared in: CloudFormation reads a template's numbers
/// and booleans as text (`"MinLength": 1` is `"1"`), so they are text here.
pub fn normalize(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Object(m) => {
            if m.len() == 1 {
                if let Some(Value::String(s)) = m.get("Fn::GetAtt")
                    && let Some((l, a)) = s.split_once('.')
                {
                    return serde_json::json!({"Fn::GetAtt": [l, a]});
                }
                if let Some(Value::Array(a)) = m.get("Fn::Sub")
                    && a.len() == 2
                    && a[1].as_object().is_some_and(Map::is_empty)
                {
                    return serde_json::json!({"Fn::Sub": normalize(&a[0])});
                }
            }
            Value::Object(m.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

/// Whether a value is an intrinsic function or a `Ref` (compared as a whole, never key by key).
pub fn is_intrinsic(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        m.len() == 1
            && m.keys()
                .all(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
    })
}

/// Whether two values are the same to CloudFormation: equal, or the same text built two ways
/// (`Fn::Sub` and `Fn::Join` of the same pieces, a `Fn::Sub` of plain text and that text).
pub fn same(a: &Value, b: &Value) -> bool {
    a == b || ((is_intrinsic(a) || is_intrinsic(b)) && canonical(a) == canonical(b))
}

/// Text-building intrinsics as one `Fn::Join` of pieces (literal text and the expressions
/// between), with adjacent text merged; a value of text alone is that text.
fn canonical(v: &Value) -> Value {
    let mut pieces = Vec::new();
    if !concat(v, &mut pieces) {
        return match v {
            Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), canonical(x))).collect()),
            Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
            other => other.clone(),
        };
    }
    let mut merged: Vec<Value> = Vec::new();
    for p in pieces {
        match (merged.last_mut(), &p) {
            (Some(Value::String(last)), Value::String(s)) => last.push_str(s),
            _ if p == Value::String(String::new()) => {}
            _ => merged.push(p),
        }
    }
    match merged.as_slice() {
        [] => Value::String(String::new()),
        [Value::String(s)] => Value::String(s.clone()),
        _ => serde_json::json!({"Fn::Join": ["", merged]}),
    }
}

/// The pieces of a text-building value, or false when it is not one.
fn concat(v: &Value, out: &mut Vec<Value>) -> bool {
    match v {
        Value::String(s) => {
            out.push(Value::String(s.clone()));
            true
        }
        Value::Object(m) if m.len() == 1 => {
            if let Some(sub) = m.get("Fn::Sub") {
                let (text, vars) = match sub {
                    Value::String(t) => (t.as_str(), None),
                    Value::Array(a) if a.len() == 2 => match (a[0].as_str(), a[1].as_object()) {
                        (Some(t), Some(vars)) => (t, Some(vars)),
                        _ => return false,
                    },
                    _ => return false,
                };
                let mut rest = text;
                while let Some(start) = rest.find("${") {
                    out.push(Value::String(rest[..start].to_string()));
                    let Some(len) = rest[start..].find('}') else {
                        return false;
                    };
                    let name = &rest[start + 2..start + len];
                    if let Some(lit) = name.strip_prefix('!') {
                        out.push(Value::String(format!("${{{lit}}}")));
                    } else if let Some(x) = vars.and_then(|vars| vars.get(name)) {
                        if !concat(x, out) {
                            out.push(canonical(x));
                        }
                    } else if let Some((res, attr)) = name.split_once('.') {
                        out.push(serde_json::json!({"Fn::GetAtt": [res, attr]}));
                    } else {
                        out.push(serde_json::json!({"Ref": name}));
                    }
                    rest = &rest[start + len + 1..];
                }
                out.push(Value::String(rest.to_string()));
                return true;
            }
            if let Some(Value::Array(a)) = m.get("Fn::Join")
                && let [Value::String(sep), Value::Array(items)] = a.as_slice()
            {
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(Value::String(sep.clone()));
                    }
                    if !concat(x, out) {
                        out.push(canonical(x));
                    }
                }
                return true;
            }
            false
        }
        _ => false,
    }
}

/// Every difference between `old` and `new` (both normalized), below `path`.
pub fn diff(path: &str, old: &Value, new: &Value, out: &mut Vec<Edit>) {
    if same(old, new) {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) if !is_intrinsic(old) && !is_intrinsic(new) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}/{}", escape(k));
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => diff(&p, x, y, out),
                    (Some(x), None) => out.push(Edit {
                        path: p,
                        old: Some(x.clone()),
                        new: None,
                    }),
                    (None, Some(y)) => out.push(Edit {
                        path: p,
                        old: None,
                        new: Some(y.clone()),
                    }),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => diff_lists(path, a, b, out),
        _ => out.push(Edit {
            path: path.to_string(),
            old: Some(old.clone()),
            new: Some(new.clone()),
        }),
    }
}

/// `~` and `/` escaped as in a JSON pointer.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn identity(v: &Value) -> Option<(&'static str, &Value)> {
    let m = v.as_object()?;
    IDENTITY_KEYS.iter().find_map(|k| m.get(*k).map(|id| (*k, id)))
}

/// Lists by their longest common subsequence; in each gap, entries with the same identity are
/// compared, the rest are removals (at their old index) and insertions (at their new index).
fn diff_lists(path: &str, a: &[Value], b: &[Value], out: &mut Vec<Edit>) {
    if let Some(key) = keyed_by(a, b) {
        return diff_keyed(path, key, a, b, out);
    }
    // trim the common head and tail: most lists differ in a few places
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (xa, xb) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    // LCS table over the middle (lists here are short: environment, rules, statements)
    let (n, m) = (xa.len(), xb.len());
    if n * m > 1 << 22 {
        // too long for the table: position by position
        for k in 0..n.max(m) {
            let p = format!("{path}/{}", head + k);
            match (xa.get(k), xb.get(k)) {
                (Some(x), Some(y)) => diff(&p, x, y, out),
                (x, y) => out.push(Edit {
                    path: p,
                    old: x.cloned(),
                    new: y.cloned(),
                }),
            }
        }
        return;
    }
    let mut t = vec![0u32; (n + 1) * (m + 1)];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i * (m + 1) + j] = if xa[i] == xb[j] {
                t[(i + 1) * (m + 1) + j + 1] + 1
            } else {
                t[(i + 1) * (m + 1) + j].max(t[i * (m + 1) + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut removed: Vec<usize> = Vec::new();
    let mut inserted: Vec<usize> = Vec::new();
    let flush = |removed: &mut Vec<usize>, inserted: &mut Vec<usize>, out: &mut Vec<Edit>| {
        pair_gap(path, head, xa, xb, removed, inserted, out);
        removed.clear();
        inserted.clear();
    };
    while i < n || j < m {
        if i < n && j < m && xa[i] == xb[j] {
            flush(&mut removed, &mut inserted, out);
            i += 1;
            j += 1;
        } else if j < m && (i == n || t[i * (m + 1) + j + 1] >= t[(i + 1) * (m + 1) + j]) {
            inserted.push(j);
            j += 1;
        } else {
            removed.push(i);
            i += 1;
        }
    }
    flush(&mut removed, &mut inserted, out);
}

/// The identity key that every entry of both lists has, once each (a list of environment
/// variables, tags, containers): such a list is compared as a map, its order aside.
fn keyed_by(a: &[Value], b: &[Value]) -> Option<&'static str> {
    let first = a.first().or(b.first())?;
    let (key, _) = identity(first)?;
    let mut seen = std::collections::BTreeSet::new();
    for (side, list) in [(0, a), (1, b)] {
        for v in list {
            match identity(v) {
                Some((k, id)) if k == key && seen.insert((side, id.to_string())) => {}
                _ => return None,
            }
        }
    }
    Some(key)
}

/// Entries matched by their identity: changed ones at their new index, removed ones at their
/// old index, added ones at their new index.
fn diff_keyed(path: &str, key: &str, a: &[Value], b: &[Value], out: &mut Vec<Edit>) {
    let id = |v: &Value| v.get(key).map(Value::to_string).unwrap_or_default();
    for (i, x) in a.iter().enumerate() {
        match b.iter().position(|y| id(y) == id(x)) {
            Some(j) => diff(&format!("{path}/{j}"), x, &b[j], out),
            None => out.push(Edit {
                path: format!("{path}/{i}"),
                old: Some(x.clone()),
                new: None,
            }),
        }
    }
    for (j, y) in b.iter().enumerate() {
        if !a.iter().any(|x| id(x) == id(y)) {
            out.push(Edit {
                path: format!("{path}/{j}"),
                old: None,
                new: Some(y.clone()),
            });
        }
    }
}

fn pair_gap(
    path: &str,
    offset: usize,
    a: &[Value],
    b: &[Value],
    removed: &[usize],
    inserted: &[usize],
    out: &mut Vec<Edit>,
) {
    let mut used = vec![false; inserted.len()];
    let mut gone = Vec::new();
    for &i in removed {
        // the same identity, else (a gap of one removal and one insertion) the same position
        let twin = identity(&a[i])
            .and_then(|id| (0..inserted.len()).find(|&k| !used[k] && identity(&b[inserted[k]]) == Some(id)))
            .or_else(|| {
                (removed.len() == 1 && inserted.len() == 1 && (i == inserted[0] || !is_scalar(&a[i]))).then_some(0)
            });
        match twin {
            Some(k) => {
                used[k] = true;
                diff(&format!("{path}/{}", offset + inserted[k]), &a[i], &b[inserted[k]], out);
            }
            None => gone.push(i),
        }
    }
    for i in gone {
        out.push(Edit {
            path: format!("{path}/{}", offset + i),
            old: Some(a[i].clone()),
            new: None,
        });
    }
    for (k, &j) in inserted.iter().enumerate() {
        if !used[k] {
            out.push(Edit {
                path: format!("{path}/{}", offset + j),
                old: None,
                new: Some(b[j].clone()),
            });
        }
    }
}

fn is_scalar(v: &Value) -> bool {
    !(v.is_object() || v.is_array()) || is_intrinsic(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn edits(a: Value, b: Value) -> Vec<(String, Option<Value>, Option<Value>)> {
        let mut out = Vec::new();
        diff("", &normalize(&a), &normalize(&b), &mut out);
        out.into_iter().map(|e| (e.path, e.old, e.new)).collect()
    }

    #[test]
    fn one_inserted_entry_is_one_insertion() {
        let env = |names: &[&str]| {
            json!(
                names
                    .iter()
                    .map(|n| json!({"Name": n, "Value": "x"}))
                    .collect::<Vec<_>>()
            )
        };
        let e = edits(env(&["A", "B", "C"]), env(&["A", "AA", "B", "C"]));
        assert_eq!(e, vec![("/1".into(), None, Some(json!({"Name": "AA", "Value": "x"})))]);
    }

    #[test]
    fn an_entry_with_the_same_identity_is_one_change() {
        let a = json!([{"Name": "A", "Value": "1"}, {"Name": "B", "Value": "2"}]);
        let b = json!([{"Name": "A", "Value": "1"}, {"Name": "B", "Value": "3"}]);
        assert_eq!(
            edits(a, b),
            vec![("/1/Value".into(), Some(json!("2")), Some(json!("3")))]
        );
    }

    #[test]
    fn lists_keyed_by_name_compare_as_maps() {
        let a = json!([{"Name": "B", "Value": "1"}, {"Name": "A", "Value": "1"}, {"Name": "C", "Value": "1"}]);
        let b = json!([{"Name": "A", "Value": "1"}, {"Name": "B", "Value": "2"}, {"Name": "D", "Value": "1"}]);
        assert_eq!(
            edits(a, b),
            vec![
                ("/1/Value".into(), Some(json!("1")), Some(json!("2"))),
                ("/2".into(), Some(json!({"Name": "C", "Value": "1"})), None),
                ("/2".into(), None, Some(json!({"Name": "D", "Value": "1"}))),
            ]
        );
    }

    #[test]
    fn intrinsic_forms_compare_equal() {
        assert!(
            edits(
                json!({"X": {"Fn::GetAtt": "A.B"}}),
                json!({"X": {"Fn::GetAtt": ["A", "B"]}})
            )
            .is_empty()
        );
        assert!(edits(json!({"Fn::Sub": ["a${B}", {}]}), json!({"Fn::Sub": "a${B}"})).is_empty());
        // the same text built with Fn::Sub and with Fn::Join
        let sub =
            json!({"Fn::Sub": ["service/${Cluster}/${Service.Name}", {"Cluster": {"Fn::ImportValue": "r:Cluster"}}]});
        let join = json!({"Fn::Join": ["/", ["service", {"Fn::ImportValue": "r:Cluster"}, {"Fn::GetAtt": ["Service", "Name"]}]]});
        assert!(edits(sub.clone(), join).is_empty());
        assert!(edits(json!({"Fn::Sub": "plain"}), json!("plain")).is_empty());
        assert!(!edits(sub, json!({"Fn::Join": ["/", ["service", "x"]]})).is_empty());
        // an intrinsic against a literal is one change of the whole value
        let e = edits(json!({"P": {"Ref": "X"}}), json!({"P": "x"}));
        assert_eq!(e, vec![("/P".into(), Some(json!({"Ref": "X"})), Some(json!("x")))]);
    }

    #[test]
    fn removals_and_keys() {
        let e = edits(json!({"a": 1, "b": [1, 2, 3]}), json!({"b": [1, 3], "c": "x/y"}));
        assert_eq!(
            e,
            vec![
                ("/a".into(), Some(json!("1")), None),
                ("/b/1".into(), Some(json!("2")), None),
                ("/c".into(), None, Some(json!("x/y"))),
            ]
        );
        let e = edits(json!({"a/b": 1}), json!({"a/b": 2}));
        assert_eq!(e[0].0, "/a~1b");
        // numbers and booleans are text to CloudFormation
        assert!(
            edits(
                json!({"MinLength": 1, "NoEcho": true}),
                json!({"MinLength": "1", "NoEcho": "true"})
            )
            .is_empty()
        );
    }
}
