//! Rendered template text → canonical JSON text, without building a `serde_json::Value`.
//!
//! A template renders to JSON text with trailing commas allowed (they keep the templates free of
//! comma bookkeeping). This module parses that text into a tree that borrows from it, sorts
//! every object's keys, rejects a repeated key (serde_json's `Value` would keep the last one and
//! hide a template mistake), merges a stack's fragments section by section, and writes the
//! result exactly as `serde_json::to_string_pretty` writes the equivalent sorted `Value`: two-space
//! indent, `"key": value`, `{}` and `[]` when empty, strings escaped as serde_json escapes them.
//! Strings without a backslash are copied as they are (that is already serde_json's form);
//! the rest are decoded and escaped again, so minijinja's `\u0026`-style escapes come out as
//! serde_json writes them. `tests/tests/build_properties.rs` checks the equivalence on
//! generated JSON.
//!
//! Why not `Value`: a 500-service app is 14 MB of JSON; parsing it into maps of owned strings,
//! sorting through B-trees and freeing them again was most of the build's time.

use std::borrow::Cow;
use std::fmt::Write as _;

/// A parsed JSON value that borrows its text.
#[derive(Debug)]
pub enum Node<'a> {
    /// `true`, `false`, `null` or a number, as written.
    Atom(&'a str),
    /// A string's content between its quotes, as written; `escaped` when it has a backslash.
    Str {
        raw: &'a str,
        escaped: bool,
    },
    Array(Vec<Node<'a>>),
    /// Entries sorted by (decoded) key, no key twice.
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// The entry `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(entries) => entries
                .binary_search_by(|(k, _)| k.as_ref().cmp(key))
                .ok()
                .map(|i| &entries[i].1),
            _ => None,
        }
    }

    /// The value of a string without escapes (logical IDs, types and conditions never have any).
    pub fn as_plain_str(&self) -> Option<&'a str> {
        match self {
            Node::Str { raw, escaped: false } => Some(raw),
            _ => None,
        }
    }

    /// An object's entries (empty for anything else).
    pub fn entries(&self) -> &[(Cow<'a, str>, Node<'a>)] {
        match self {
            Node::Object(entries) => entries,
            _ => &[],
        }
    }
}

/// Parse one rendered fragment (trailing commas allowed, repeated keys rejected).
pub fn parse(text: &str) -> Result<Node<'_>, String> {
    let mut p = Parser {
        src: text,
        bytes: text.as_bytes(),
        pos: 0,
        entries: Vec::with_capacity(64),
        items: Vec::with_capacity(64),
    };
    let v = p.value(0)?;
    p.ws();
    if p.pos < p.bytes.len() {
        return Err(p.error("trailing characters after the template"));
    }
    Ok(v)
}

/// Merge fragments of one stack (each an object) section by section: `Resources` of two
/// fragments become one `Resources`; an entry defined by two fragments is an error.
pub fn merge<'a>(fragments: Vec<Node<'a>>) -> Result<Node<'a>, String> {
    let mut sections = Vec::new();
    for f in fragments {
        let Node::Object(entries) = f else {
            return Err("a template fragment must be an object".into());
        };
        sections.extend(entries);
    }
    sections.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<(Cow<'a, str>, Node<'a>)> = Vec::with_capacity(sections.len());
    for (key, value) in sections {
        match out.last_mut() {
            Some((last, Node::Object(into))) if *last == key => {
                let Node::Object(more) = value else {
                    return Err(format!("`{key}` is defined twice"));
                };
                into.extend(more);
                into.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                if let Some(w) = into.windows(2).find(|w| w[0].0 == w[1].0) {
                    return Err(format!("`{key}.{}` is defined twice", w[0].0));
                }
            }
            Some((last, _)) if *last == key => return Err(format!("`{key}` is defined twice")),
            _ => out.push((key, value)),
        }
    }
    Ok(Node::Object(out))
}

/// Canonical pretty text of rendered JSON text (what `Template` stores), with a final newline.
pub fn pretty(text: &str) -> Result<String, String> {
    let node = parse(text)?;
    let mut out = String::with_capacity(text.len());
    write_pretty(&node, &mut out);
    out.push('\n');
    Ok(out)
}

/// Write `node` as `serde_json::to_string_pretty` writes the equivalent `Value`.
pub fn write_pretty(node: &Node, out: &mut String) {
    write(node, out, Some(0));
}

/// Write `node` as `serde_json::to_string` writes the equivalent `Value` (compact).
pub fn write_compact(node: &Node, out: &mut String) {
    write(node, out, None);
}

fn write(node: &Node, out: &mut String, indent: Option<usize>) {
    fn newline(out: &mut String, level: usize) {
        out.push('\n');
        for _ in 0..level {
            out.push_str("  ");
        }
    }
    match node {
        Node::Atom(a) => write_atom(a, out),
        Node::Str { raw, escaped } => write_str(raw, *escaped, out),
        Node::Array(items) if items.is_empty() => out.push_str("[]"),
        Node::Object(entries) if entries.is_empty() => out.push_str("{}"),
        Node::Array(items) => {
            out.push('[');
            let inner = indent.map(|l| l + 1);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(l) = inner {
                    newline(out, l);
                }
                write(item, out, inner);
            }
            if let Some(l) = indent {
                newline(out, l);
            }
            out.push(']');
        }
        Node::Object(entries) => {
            out.push('{');
            let inner = indent.map(|l| l + 1);
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(l) = inner {
                    newline(out, l);
                }
                match key {
                    // a key as written without escapes is already in serde_json's form
                    Cow::Borrowed(raw) => {
                        out.push('"');
                        out.push_str(raw);
                        out.push('"');
                    }
                    Cow::Owned(decoded) => write_escaped(decoded, out),
                }
                out.push_str(if indent.is_some() { ": " } else { ":" });
                write(value, out, inner);
            }
            if let Some(l) = indent {
                newline(out, l);
            }
            out.push('}');
        }
    }
}

fn write_atom(a: &str, out: &mut String) {
    let plain_integer =
        a.len() < 19 && (a == "0" || (a.as_bytes()[0] != b'0' && a.bytes().all(|b| b.is_ascii_digit())));
    if plain_integer || matches!(a, "true" | "false" | "null") {
        out.push_str(a);
    } else {
        // negative numbers, fractions, exponents: as serde_json reads and writes them
        match serde_json::from_str::<serde_json::Number>(a) {
            Ok(n) => {
                let _ = write!(out, "{n}");
            }
            Err(_) => out.push_str(a),
        }
    }
}

fn write_str(raw: &str, escaped: bool, out: &mut String) {
    if escaped {
        write_escaped(&decode(raw).unwrap_or(Cow::Borrowed(raw)), out);
    } else {
        out.push('"');
        out.push_str(raw);
        out.push('"');
    }
}

/// A string as serde_json writes it.
fn write_escaped(s: &str, out: &mut String) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(s).expect("a string serialises"));
    }
}

/// The value of a string's content as written between its quotes.
fn decode(raw: &str) -> Result<Cow<'_, str>, String> {
    if !raw.contains('\\') {
        return Ok(Cow::Borrowed(raw));
    }
    let mut quoted = String::with_capacity(raw.len() + 2);
    quoted.push('"');
    quoted.push_str(raw);
    quoted.push('"');
    serde_json::from_str::<String>(&quoted)
        .map(Cow::Owned)
        .map_err(|e| e.to_string())
}

/// Nesting deeper than this is a template bug (and would otherwise overflow the stack).
const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Entries and items of the containers being parsed, innermost last: each container is
    /// moved out into a vector of its exact size when it closes (no growing per container).
    entries: Vec<(Cow<'a, str>, Node<'a>)>,
    items: Vec<Node<'a>>,
}

impl<'a> Parser<'a> {
    fn error(&self, what: &str) -> String {
        let before = &self.src[..self.pos.min(self.src.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        format!("{what} at line {line} column {column}")
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        self.ws();
        match self.bytes.get(self.pos) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let (raw, escaped) = self.string()?;
                Ok(Node::Str { raw, escaped })
            }
            Some(b't' | b'f' | b'n') => {
                for word in ["true", "false", "null"] {
                    if self.src[self.pos..].starts_with(word) {
                        self.pos += word.len();
                        return Ok(Node::Atom(word));
                    }
                }
                Err(self.error("expected a value"))
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end of the template")),
        }
    }

    fn string(&mut self) -> Result<(&'a str, bool), String> {
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            match memchr::memchr2(b'"', b'\\', &self.bytes[i..]) {
                Some(n) if self.bytes[i + n] == b'"' => {
                    i += n;
                    break;
                }
                Some(n) => {
                    escaped = true;
                    i += n + 2;
                    if i > self.bytes.len() {
                        return Err(self.error("unterminated string"));
                    }
                }
                None => return Err(self.error("unterminated string")),
            }
        }
        let raw = &self.src[start..i];
        if let Some(n) = raw.bytes().position(|b| b < 0x20) {
            self.pos = start + n;
            return Err(self.error("control character in a string"));
        }
        if escaped {
            // the escapes must be valid JSON
            decode(raw).map_err(|e| self.error(&format!("bad string escape ({e})")))?;
        }
        self.pos = i + 1;
        Ok((raw, escaped))
    }

    fn number(&mut self) -> Result<Node<'a>, String> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while p.bytes.get(p.pos).is_some_and(u8::is_ascii_digit) {
                p.pos += 1;
            }
            p.pos > from
        };
        if self.bytes[self.pos] == b'-' {
            self.pos += 1;
        }
        let int_start = self.pos;
        if !digits(self) || (self.bytes[int_start] == b'0' && self.pos - int_start > 1) {
            return Err(self.error("bad number"));
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(self.error("bad number"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.error("bad number"));
            }
        }
        Ok(Node::Atom(&self.src[start..self.pos]))
    }

    /// After a value inside `[...]` or `{...}`: `,` (perhaps before the closing bracket) or the
    /// closing bracket. Returns whether the container ended.
    fn next_or_end(&mut self, close: u8) -> Result<bool, String> {
        self.ws();
        match self.bytes.get(self.pos) {
            Some(b',') => {
                self.pos += 1;
                self.ws();
                if self.bytes.get(self.pos) == Some(&close) {
                    self.pos += 1;
                    return Ok(true);
                }
                Ok(false)
            }
            Some(b) if *b == close => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(self.error(if close == b'}' {
                "expected `,` or `}`"
            } else {
                "expected `,` or `]`"
            })),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node<'a>, String> {
        self.pos += 1;
        self.ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Node::Array(Vec::new()));
        }
        let base = self.items.len();
        loop {
            let item = self.value(depth + 1)?;
            self.items.push(item);
            if self.next_or_end(b']')? {
                return Ok(Node::Array(self.items.drain(base..).collect()));
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node<'a>, String> {
        self.pos += 1;
        self.ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Node::Object(Vec::new()));
        }
        let base = self.entries.len();
        loop {
            self.ws();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a key"));
            }
            let (raw, escaped) = self.string()?;
            let key = if escaped {
                decode(raw).map_err(|e| self.error(&e))?
            } else {
                Cow::Borrowed(raw)
            };
            self.ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.error("expected `:`"));
            }
            self.pos += 1;
            let value = self.value(depth + 1)?;
            self.entries.push((key, value));
            if self.next_or_end(b'}')? {
                break;
            }
        }
        let mut entries: Vec<_> = self.entries.drain(base..).collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(format!("duplicate key `{}`", w[0].0));
        }
        Ok(Node::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_pretty(text: &str) -> String {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        serde_json::to_string_pretty(&v).unwrap() + "\n"
    }

    #[test]
    fn same_bytes_as_serde_json() {
        for text in [
            r#"{"b": [1, 2, {"z": null, "a": true}], "a": "x\u0026y", "c": {}, "d": [], "e": -1.5e3, "f": "\u00e9\n"}"#,
            r#"[]"#,
            r#""plain""#,
            r#"{"k\"ey": "a\\b", "K": 0, "é": "ü", "n": 12345678901234567890, "m": -0}"#,
        ] {
            assert_eq!(pretty(text).unwrap(), serde_pretty(text), "{text}");
        }
    }

    #[test]
    fn trailing_commas_are_allowed_once() {
        assert_eq!(
            pretty(r#"{"a": [1, 2, ], "b": "x,}", }"#).unwrap(),
            serde_pretty(r#"{"a": [1, 2], "b": "x,}"}"#)
        );
        assert!(pretty("[1,,]").is_err());
        assert!(pretty("[,]").is_err());
        assert!(pretty("{,}").is_err());
    }

    #[test]
    fn duplicates_are_errors() {
        assert!(pretty(r#"{"a": 1, "a": 2}"#).unwrap_err().contains("duplicate key `a`"));
        assert!(pretty(r#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}], "c": "a"}"#).is_ok());
        assert!(pretty(r#"{"x": {"k": 1, "k": 1}}"#).is_err());
        assert!(pretty(r#"{"a\"b": 1, "a\u0022b": 2}"#).is_err());
    }

    #[test]
    fn bad_json_is_an_error_with_a_position() {
        for bad in [
            "{",
            r#"{"a" 1}"#,
            r#"{"a": tru}"#,
            "01",
            "1.",
            r#""\x""#,
            "\"a\nb\"",
            "{} x",
            r#"{"a": 1 "b": 2}"#,
        ] {
            assert!(pretty(bad).is_err(), "{bad:?}");
        }
        assert!(pretty("{\n  \"a\": ?\n}").unwrap_err().contains("line 2 column 8"));
    }

    #[test]
    fn merge_detects_collisions() {
        let a = parse(r#"{"Resources": {"A": {"Type": "x"}}, "Parameters": {}}"#).unwrap();
        let b = parse(r#"{"Resources": {"B": {}}, "Outputs": {}}"#).unwrap();
        let merged = merge(vec![a, b]).unwrap();
        assert_eq!(merged.get("Resources").unwrap().entries().len(), 2);
        let c = parse(r#"{"Resources": {"B": {}}}"#).unwrap();
        assert!(
            merge(vec![merged, c])
                .unwrap_err()
                .contains("`Resources.B` is defined twice")
        );
        let d = parse(r#"{"Description": "x"}"#).unwrap();
        let e = parse(r#"{"Description": "y"}"#).unwrap();
        assert!(
            merge(vec![d, e])
                .unwrap_err()
                .contains("`Description` is defined twice")
        );
    }
}
