//! The spanned YAML tree.
//!
//! serde-saphyr parses (YAML 1.1 scalars: `yes`/`no`/`on`/`off` are booleans, as in convox's
//! yaml.v2) into a generic [`Node`] where every key and value carries its span. Merge keys
//! (`<<` and the quoted `"<<"` that convox also honours) are expanded here rather than by the
//! parser, and duplicate keys are kept so that the decoder can report them.

use crate::source::Span;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{MessageFormatter, Spanned};

/// A YAML node. `span` is in the coordinates of the parsed (interpolated) text.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Where the node is written. For content reached through an alias this is the anchor's
    /// definition, since that is where the text to fix is.
    pub span: Span,
    /// Set for nodes reached through an alias: where the alias (`*name`) is.
    pub alias: Option<Span>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
    /// True for entries that came from a merge key rather than being written in this map.
    pub merged: bool,
}

impl Value {
    /// What a YAML user would call this kind of node, for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }
}

/// A YAML syntax error: message and where (parsed-text coordinates).
#[derive(Clone, Debug)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
}

fn span_of(loc: &serde_saphyr::Location, text: &str) -> Option<Span> {
    let s = loc.span();
    let start = s.byte_offset()? as usize;
    let len = s.byte_len().unwrap_or(0) as usize;
    let start = start.min(text.len());
    Some(Span::new(start, (start + len).min(text.len())))
}

/// Byte offset of a 1-based line/column (in characters) in `text`.
fn offset_of_line_col(text: &str, line: u64, col: u64) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == line {
            return offset
                + l.char_indices()
                    .nth(col.saturating_sub(1) as usize)
                    .map_or(l.len(), |(b, _)| b);
        }
        offset += l.len();
    }
    text.len()
}

/// Parse one YAML document. An empty document is `Null`.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut options = serde_saphyr::Options::default();
    options.merge_keys = serde_saphyr::MergeKeyPolicy::AsOrdinary;
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
    options.with_snippet = false;
    // The parser's alias/anchor heuristic refuses 100 aliases of fewer than a tenth as many
    // anchors: an ordinary manifest where 100 services merge one `x-defaults` (convox's Go loader
    // takes it). What stops an expansion bomb is the rest of the budget, kept: the events replayed
    // through aliases, nodes and depth are capped (`a_yaml_bomb_is_still_refused`).
    let mut budget = serde_saphyr::Budget::default();
    budget.enforce_alias_anchor_ratio = false;
    options.budget = Some(budget);
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---")
    {
        return Ok(Node {
            value: Value::Null,
            span: Span::new(0, 0),
            alias: None,
        });
    }
    match serde_saphyr::from_str_with_options::<Spanned<Raw>>(text, options) {
        Ok(raw) => Ok(convert(raw, text)),
        Err(e) => {
            let span = e
                .location()
                .map(|l| {
                    span_of(&l, text).unwrap_or_else(|| {
                        let o = offset_of_line_col(text, l.line(), l.column());
                        Span::new(o, o)
                    })
                })
                .unwrap_or_default();
            // The problem in words: the error's own rendering (a snippet naming `<input>`, or
            // " at line X, column Y") is left out, since our diagnostic shows the span in the file.
            let message = serde_saphyr::DefaultMessageFormatter.format_message(&e);
            let message = message.lines().map(str::trim).collect::<Vec<_>>().join(" ");
            Err(SyntaxError { message, span })
        }
    }
}

/// The parser's view, before merge keys are expanded.
enum Raw {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Raw;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Raw, D2::Error> {
                Raw::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
                Ok(Raw::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
                Ok(Raw::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
                Ok(Raw::Int(v.into()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
                Ok(Raw::Int(v))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Raw, E> {
                Ok(i128::try_from(v).map(Raw::Int).unwrap_or(Raw::Float(v as f64)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
                Ok(Raw::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
                Ok(Raw::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Raw, E> {
                Ok(Raw::Str(v))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Raw, E> {
                Ok(Raw::Str(String::from_utf8_lossy(v).into_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Raw::Seq(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut v = Vec::new();
                while let Some(entry) = a.next_entry()? {
                    v.push(entry);
                }
                Ok(Raw::Map(v))
            }
        }
        d.deserialize_any(V)
    }
}

fn convert(raw: Spanned<Raw>, text: &str) -> Node {
    let referenced = span_of(&raw.referenced, text).unwrap_or_default();
    let defined = span_of(&raw.defined, text).unwrap_or(referenced);
    let (span, alias) = if defined != referenced {
        (defined, Some(referenced))
    } else {
        (referenced, None)
    };
    let value = match raw.value {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Int(i),
        Raw::Float(f) => Value::Float(f),
        Raw::Str(s) => Value::Str(s),
        Raw::Seq(items) => Value::Seq(items.into_iter().map(|i| convert(i, text)).collect()),
        Raw::Map(entries) => {
            let entries: Vec<Entry> = entries
                .into_iter()
                .map(|(k, v)| {
                    let key = convert(k, text);
                    let mut value = convert(v, text);
                    if matches!(value.value, Value::Null) && value.alias.is_none() {
                        value.span = empty_value_at(&key, value.span, text);
                    }
                    Entry {
                        key,
                        value,
                        merged: false,
                    }
                })
                .collect();
            Value::Map(expand_merges(entries))
        }
    };
    Node { value, span, alias }
}

/// Where an empty value (`key:` and nothing after) is: right after `key: `, where a `${VAR}`
/// substituted by an empty string was, rather than at the colon the parser gives.
fn empty_value_at(key: &Node, span: Span, text: &str) -> Span {
    let rest = text.get(key.span.end..).unwrap_or("");
    let after_colon = rest
        .strip_prefix(|c: char| c == '"' || c == '\'')
        .unwrap_or(rest)
        .trim_start_matches([' ', '\t']);
    let Some(after) = after_colon.strip_prefix(':') else {
        return span;
    };
    let at = text.len() - after.trim_start_matches([' ', '\t']).len();
    if span.is_empty() && span.start <= at && text[span.start..at].find('\n').is_none() {
        Span::new(at, at)
    } else {
        span
    }
}

/// YAML 1.1 merge keys: `<<: map` or `<<: [map, ...]`. Keys written in the map win over merged
/// ones; among several merged maps the first wins. A `<<` whose value is not a map (or a list of
/// maps) is kept as an ordinary entry so that the decoder reports it.
fn expand_merges(entries: Vec<Entry>) -> Vec<Entry> {
    let is_merge = |e: &Entry| matches!(&e.key.value, Value::Str(s) if s == "<<") && mergeable(&e.value);
    if !entries.iter().any(is_merge) {
        return entries;
    }
    let written: Vec<Value> = entries
        .iter()
        .filter(|e| !is_merge(e))
        .map(|e| e.key.value.clone())
        .collect();
    let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
    for e in entries {
        if !is_merge(&e) {
            out.push(e);
            continue;
        }
        let sources: Vec<Node> = match e.value.value {
            Value::Map(_) => vec![e.value],
            Value::Seq(items) => items,
            _ => unreachable!("mergeable() checked the shape"),
        };
        for source in sources {
            if let Value::Map(merged) = source.value {
                for mut m in merged {
                    let taken =
                        written.contains(&m.key.value) || out.iter().any(|o| o.merged && o.key.value == m.key.value);
                    if !taken {
                        m.merged = true;
                        out.push(m);
                    }
                }
            }
        }
    }
    out
}

fn mergeable(v: &Node) -> bool {
    match &v.value {
        Value::Map(_) => true,
        Value::Seq(items) => !items.is_empty() && items.iter().all(|i| matches!(i.value, Value::Map(_))),
        _ => false,
    }
}

impl Node {
    /// The node as JSON (for JSON Schema validation). Map keys become strings; floats that are
    /// not finite become null.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => match i64::try_from(*i) {
                Ok(v) => J::from(v),
                Err(_) => J::from(*i as f64),
            },
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| {
                        let k = match &e.key.value {
                            Value::Str(s) => s.clone(),
                            Value::Int(i) => i.to_string(),
                            Value::Bool(b) => b.to_string(),
                            other => format!("{other:?}"),
                        };
                        (k, e.value.to_json())
                    })
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(n: &'a Node, key: &str) -> &'a Node {
        match &n.value {
            Value::Map(es) => &es.iter().find(|e| e.key.value == Value::Str(key.into())).unwrap().value,
            _ => panic!("not a map"),
        }
    }

    #[test]
    fn yaml11_scalars_and_spans() {
        let t = "a: yes\nb: \"yes\"\nc: 8080\nd: off\ne: ~\n";
        let n = parse(t).unwrap();
        assert_eq!(get(&n, "a").value, Value::Bool(true));
        assert_eq!(get(&n, "b").value, Value::Str("yes".into()));
        assert_eq!(get(&n, "c").value, Value::Int(8080));
        assert_eq!(get(&n, "d").value, Value::Bool(false));
        assert_eq!(get(&n, "e").value, Value::Null);
        let c = get(&n, "c");
        assert_eq!(&t[c.span.start..c.span.end], "8080");
    }

    #[test]
    fn merge_keys_plain_and_quoted() {
        let t = "base: &b\n  x: 1\n  z: 2\none:\n  <<: *b\n  z: 3\ntwo:\n  \"<<\": *b\n  x: 9\n";
        let n = parse(t).unwrap();
        let one = get(&n, "one");
        assert_eq!(get(one, "x").value, Value::Int(1));
        assert_eq!(get(one, "z").value, Value::Int(3));
        let two = get(&n, "two");
        assert_eq!(get(two, "x").value, Value::Int(9));
        assert_eq!(get(two, "z").value, Value::Int(2));
        // merged content points at its definition, and knows the alias site
        let z = get(two, "z");
        assert_eq!(&t[z.span.start..z.span.end], "2");
        assert!(z.alias.is_some());
    }

    #[test]
    fn duplicates_are_kept_and_crlf_bom_free_text_parses() {
        let n = parse("a: 1\r\na: 2\r\n").unwrap();
        match n.value {
            Value::Map(es) => assert_eq!(es.len(), 2),
            _ => panic!(),
        }
    }

    #[test]
    fn many_services_merging_one_anchor_parse() {
        let mut text = String::from("x-defaults: &defaults\n  port: 3000\nservices:\n");
        for i in 0..150 {
            text.push_str(&format!("  s{i}:\n    <<: *defaults\n"));
        }
        let doc = parse(&text).expect("150 aliases of one anchor");
        let Value::Map(top) = &doc.value else { panic!("a map") };
        assert_eq!(top.len(), 2);
    }

    #[test]
    fn a_yaml_bomb_is_still_refused() {
        // nine levels of ten aliases each: 10^9 scalars once expanded
        let mut text = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*l{}", i - 1); 10].join(", ");
            text.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
        }
        let started = std::time::Instant::now();
        let e = parse(&text).expect_err("an expansion bomb");
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "refused early");
        assert!(!e.message.is_empty());
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(!e.message.is_empty());
        let text = "services:\n  web:\n    image: x\n   port: 80\n";
        let e = parse(text).unwrap_err();
        assert_eq!(e.message, "while parsing a block mapping, did not find expected key");
        assert_eq!(&text[e.span.start..], "port: 80\n");
    }
}
