//! Parsing a convox.yml again after a small edit (the language server, on every keystroke):
//! the text is cut into its top-level entries, and the entries of its block maps (each
//! service, resource, timer), each parsed on its own and kept in a `ParseCache` by its text, so
//! that only what changed is parsed again. The tree is the one `yaml::parse` gives, span for
//! span (`tests`: every real-world file and fixture); a text where cutting could change the
//! meaning (anchors, aliases, merge keys, tabs, directives, documents, anything but `key:` at the
//! left margin) is parsed whole.

use super::yaml::{Entry, Node, SyntaxError, Value, parse};
use crate::source::Span;
use std::collections::HashMap;

/// Parsed pieces by their text, with spans from the piece's start.
#[derive(Default)]
pub struct ParseCache {
    pieces: HashMap<String, Node>,
}

/// A part of the text: a top-level entry parsed whole, or one whose value is a block map parsed
/// entry by entry.
enum Part {
    Whole(usize, usize),
    Split {
        key: (usize, usize),
        entries: Vec<(usize, usize)>,
    },
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn meaningful(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// A plain `key:` (or `key: value`) line body.
fn is_key_line(body: &str) -> bool {
    let Some(first) = body.chars().next() else { return false };
    if !(first.is_ascii_alphanumeric() || first == '_') {
        return false;
    }
    match body.split_once(':') {
        Some((k, rest)) => {
            !k.contains(['#', '{', '[', '"', '\'']) && (rest.is_empty() || rest.starts_with([' ', '\r', '\n']))
        }
        None => false,
    }
}

/// Whether cutting the text into entries keeps its meaning (a false "no" only costs speed).
fn cuttable(text: &str) -> bool {
    if text.contains("<<") || text.contains('\t') || text.starts_with('\u{feff}') {
        return false;
    }
    // anchors and aliases tie entries together
    let b = text.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if (c == b'&' || c == b'*')
            && (i == 0 || matches!(b[i - 1], b' ' | b'[' | b'{' | b',' | b'\n' | b'-' | b':'))
            && b.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'_')
        {
            return false;
        }
    }
    text.lines().all(|l| {
        !(l.starts_with("---") || l.starts_with("...") || l.starts_with('%'))
            && (indent(l) > 0 || !meaningful(l) || is_key_line(l))
    })
}

/// The parts of a cuttable text, or None when a block map's entries are not all `key:` lines at
/// one indentation.
fn parts(text: &str) -> Option<Vec<Part>> {
    // (start, end) of each line, without its newline
    let mut lines = Vec::new();
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        lines.push((at, at + l.len()));
        at += l.len();
    }
    let mut out = Vec::new();
    let mut i = 0;
    // text before the first top-level key (comments, blank lines) goes with it
    let mut pending_start = 0;
    while i < lines.len() {
        let (s, e) = lines[i];
        let line = &text[s..e];
        if indent(line) > 0 || !meaningful(line) {
            i += 1;
            continue;
        }
        // a top-level key at line i: its part runs to the next one
        let mut j = i + 1;
        while j < lines.len() {
            let l = &text[lines[j].0..lines[j].1];
            if indent(l) == 0 && meaningful(l) {
                break;
            }
            j += 1;
        }
        let end = if j < lines.len() { lines[j].0 } else { text.len() };
        let inline = line.split_once(':').is_some_and(|(_, rest)| meaningful(rest));
        let children: Vec<usize> = (i + 1..j)
            .filter(|k| meaningful(&text[lines[*k].0..lines[*k].1]))
            .collect();
        let child_indent = children.first().map(|k| indent(&text[lines[*k].0..lines[*k].1]));
        let entry_lines: Vec<usize> = match child_indent {
            Some(ci) if !inline => children
                .iter()
                .copied()
                .filter(|k| indent(&text[lines[*k].0..lines[*k].1]) == ci)
                .collect(),
            _ => Vec::new(),
        };
        let all_keys = !entry_lines.is_empty()
            && entry_lines
                .iter()
                .all(|k| is_key_line(text[lines[*k].0..lines[*k].1].trim_start()))
            && children
                .iter()
                .all(|k| indent(&text[lines[*k].0..lines[*k].1]) >= child_indent.unwrap_or(0));
        if entry_lines.len() >= 2 && all_keys {
            let mut entries = Vec::with_capacity(entry_lines.len());
            for (n, k) in entry_lines.iter().enumerate() {
                let from = lines[*k].0;
                let to = entry_lines.get(n + 1).map_or(end, |next| lines[*next].0);
                entries.push((from, to));
            }
            out.push(Part::Split {
                key: (pending_start, lines[entry_lines[0]].0),
                entries,
            });
        } else {
            if child_indent.is_some() && !inline && entry_lines.is_empty() {
                return None;
            }
            out.push(Part::Whole(pending_start, end));
        }
        pending_start = end;
        i = j;
    }
    Some(out)
}

fn shift(n: &Node, by: usize) -> Node {
    let move_span = |s: Span| Span::new(s.start + by, s.end + by);
    let value = match &n.value {
        Value::Seq(items) => Value::Seq(items.iter().map(|i| shift(i, by)).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|e| Entry {
                    key: shift(&e.key, by),
                    value: shift(&e.value, by),
                    merged: e.merged,
                })
                .collect(),
        ),
        other => other.clone(),
    };
    Node {
        value,
        span: move_span(n.span),
        alias: n.alias.map(move_span),
    }
}

impl ParseCache {
    /// How many pieces it holds.
    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The entries of one piece of text, parsed (or taken from the cache), with spans in the
    /// whole text.
    fn entries(&mut self, used: &mut HashMap<String, Node>, text: &str, from: usize, to: usize) -> Option<Vec<Entry>> {
        let piece = &text[from..to];
        let shifted = match used.get(piece) {
            // the same text twice in one file (a duplicated entry)
            Some(n) => shift(n, from),
            None => {
                let node = match self.pieces.remove(piece) {
                    Some(n) => n,
                    None => parse(piece).ok()?,
                };
                let shifted = shift(&node, from);
                used.insert(piece.to_string(), node);
                shifted
            }
        };
        match shifted.value {
            Value::Map(es) => Some(es),
            Value::Null => Some(Vec::new()),
            _ => None,
        }
    }
}

/// `yaml::parse`, reusing the pieces of the text that are as they were.
pub fn parse_cached(text: &str, cache: &mut ParseCache) -> Result<Node, SyntaxError> {
    let whole = || parse(text);
    if !cuttable(text) {
        return whole();
    }
    let Some(parts) = parts(text) else { return whole() };
    if parts.is_empty() {
        return whole();
    }
    let mut used = HashMap::new();
    let mut entries = Vec::new();
    for p in &parts {
        match p {
            Part::Whole(from, to) => match cache.entries(&mut used, text, *from, *to) {
                Some(es) => entries.extend(es),
                None => return whole(),
            },
            Part::Split { key, entries: pieces } => {
                let Some(mut head) = cache.entries(&mut used, text, key.0, key.1) else {
                    return whole();
                };
                let (Some(mut entry), true) = (head.pop(), head.is_empty()) else {
                    return whole();
                };
                let mut children = Vec::new();
                for (from, to) in pieces {
                    match cache.entries(&mut used, text, *from, *to) {
                        Some(es) => children.extend(es),
                        None => return whole(),
                    }
                }
                // a block map's span is where its first key starts (as the parser gives it)
                let start = children.first().map_or(entry.value.span.start, |c| c.key.span.start);
                entry.value = Node {
                    value: Value::Map(children),
                    span: Span::new(start, start),
                    alias: None,
                };
                entries.push(entry);
            }
        }
    }
    cache.pieces = used;
    let start = entries.first().map_or(0, |e| e.key.span.start);
    Ok(Node {
        value: Value::Map(entries),
        span: Span::new(start, start),
        alias: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_tree_as_a_whole_parse() {
        for t in [
            "services:\n  web:\n    image: x\n    port: 3000\n  worker:\n    command: y\n# c\nresources:\n  db:\n    type: postgres\n",
            "environment:\n  - A=1\nservices:\n  web: {}\n  api:\n    links: [web]\n",
            "services:\n  web:\n    image: x\n",
            "a: 1\nb:\n  c: 2\n  d: 3\n",
        ] {
            let mut cache = ParseCache::default();
            assert_eq!(parse_cached(t, &mut cache).unwrap(), parse(t).unwrap(), "{t}");
            // and again from the cache, after an edit
            let edited = t.replacen("x", "xy", 1);
            assert_eq!(
                parse_cached(&edited, &mut cache).unwrap(),
                parse(&edited).unwrap(),
                "{edited}"
            );
        }
    }
}
