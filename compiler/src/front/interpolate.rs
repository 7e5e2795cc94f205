//! `${VAR}` interpolation on the raw manifest text, as convox does it (before YAML parsing),
//! keeping a map from every output byte back to the original file.
//!
//! convox's rule (reference §1.1): every match of `\$\{([^}]*?)\}` is replaced by the value of the
//! variable named by the text between the braces, verbatim, or by "" when it is not set. No
//! escapes, no `${X:-default}`, `$X` untouched, comments and quoted strings included.

use crate::source::Span;
use std::collections::BTreeMap;

/// The result of interpolation: the text the YAML parser reads, and the offset map.
#[derive(Clone, Debug)]
pub struct Interpolated {
    pub text: String,
    /// Output-ordered pieces. Literal pieces map byte for byte; substituted pieces map to the
    /// whole `${...}` they replaced.
    pieces: Vec<Piece>,
    /// Every `${...}` reference, in file order.
    pub references: Vec<Reference>,
}

#[derive(Clone, Debug)]
struct Piece {
    out: usize,
    out_len: usize,
    orig: usize,
    orig_len: usize,
    literal: bool,
}

/// One `${NAME}` occurrence in the original text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub span: Span,
    pub set: bool,
}

/// Interpolate `text` (which starts at byte `base` of the original file, e.g. after a BOM).
pub fn interpolate(text: &str, base: usize, env: &BTreeMap<String, String>) -> Interpolated {
    let mut out = String::with_capacity(text.len());
    let mut pieces = Vec::new();
    let mut references = Vec::new();
    let bytes = text.as_bytes();
    let mut lit_start = 0;
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'$' && bytes[i + 1] == b'{' {
            if let Some(close) = text[i + 2..].find('}') {
                let name = &text[i + 2..i + 2 + close];
                let end = i + 2 + close + 1;
                push_literal(&mut out, &mut pieces, text, base, lit_start, i);
                let value = env.get(name);
                let start_out = out.len();
                if let Some(v) = value {
                    out.push_str(v);
                }
                pieces.push(Piece {
                    out: start_out,
                    out_len: out.len() - start_out,
                    orig: base + i,
                    orig_len: end - i,
                    literal: false,
                });
                references.push(Reference {
                    name: name.to_string(),
                    span: Span::new(base + i, base + end),
                    set: value.is_some(),
                });
                i = end;
                lit_start = end;
                continue;
            }
            break; // no closing brace anywhere after: nothing more can match
        }
        i += 1;
    }
    push_literal(&mut out, &mut pieces, text, base, lit_start, text.len());
    Interpolated {
        text: out,
        pieces,
        references,
    }
}

fn push_literal(out: &mut String, pieces: &mut Vec<Piece>, text: &str, base: usize, from: usize, to: usize) {
    if to > from {
        pieces.push(Piece {
            out: out.len(),
            out_len: to - from,
            orig: base + from,
            orig_len: to - from,
            literal: true,
        });
        out.push_str(&text[from..to]);
    }
}

impl Interpolated {
    /// Map an output byte offset to the original file. `end` selects the end of a substituted
    /// reference (for span ends) instead of its start.
    fn map(&self, off: usize, end: bool) -> usize {
        let idx = self
            .pieces
            .partition_point(|p| p.out + p.out_len <= off && !(end && p.out + p.out_len == off));
        match self.pieces.get(idx) {
            Some(p) if p.literal => p.orig + (off - p.out).min(p.orig_len),
            Some(p) if end => p.orig + p.orig_len,
            Some(p) => p.orig,
            None => self.pieces.last().map_or(off, |p| p.orig + p.orig_len),
        }
    }

    /// Map a span of the interpolated text to a span of the original file.
    pub fn to_original(&self, span: Span) -> Span {
        let mut start = self.map(span.start, false);
        // a value that begins with an empty substitution begins at its `${...}`
        let first = self.pieces.partition_point(|p| p.out < span.start);
        if let Some(p) = self.pieces[first..]
            .iter()
            .take_while(|p| p.out == span.start && p.out_len == 0)
            .next()
        {
            start = start.min(p.orig);
        }
        let end = if span.end > span.start {
            self.map(span.end, true)
        } else {
            start
        };
        Span::new(start, end.max(start))
    }

    /// References whose `${...}` lies within an original span.
    pub fn references_in(&self, span: Span) -> impl Iterator<Item = &Reference> {
        self.references
            .iter()
            .filter(move |r| r.span.start >= span.start && r.span.end <= span.end.max(span.start + 1))
    }
}

impl Interpolated {
    /// The text as is, with no interpolation (for files convox does not interpolate).
    pub fn verbatim(text: &str, base: usize) -> Interpolated {
        let pieces = if text.is_empty() {
            Vec::new()
        } else {
            vec![Piece {
                out: 0,
                out_len: text.len(),
                orig: base,
                orig_len: text.len(),
                literal: true,
            }]
        };
        Interpolated {
            text: text.to_string(),
            pieces,
            references: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn substitutes_like_convox() {
        let e = env(&[("BAR", "x"), (" X ", "sp"), ("IMG:-x", "odd")]);
        let r = interpolate("a ${BAR} ${NOPE} ${ X } $BAR ${IMG:-x} ${}", 0, &e);
        assert_eq!(r.text, "a x  sp $BAR odd ");
        let unset: Vec<&str> = r
            .references
            .iter()
            .filter(|r| !r.set)
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(unset, ["NOPE", ""]);
    }

    #[test]
    fn unterminated_reference_is_literal() {
        let r = interpolate("a: ${X\nb: 1", 0, &BTreeMap::new());
        assert_eq!(r.text, "a: ${X\nb: 1");
    }

    #[test]
    fn maps_offsets_back() {
        let e = env(&[("H", "example.org")]);
        let src = "d: ${H}\np: 1";
        let r = interpolate(src, 0, &e);
        assert_eq!(r.text, "d: example.org\np: 1");
        // "p" is at 15 in the output, 8 in the original
        assert_eq!(r.to_original(Span::new(15, 16)), Span::new(8, 9));
        // the substituted value maps to the whole ${H}
        assert_eq!(r.to_original(Span::new(3, 14)), Span::new(3, 7));
        assert_eq!(r.to_original(Span::new(5, 6)), Span::new(3, 7));
        // an empty substitution
        let r = interpolate("d: ${H}x", 0, &BTreeMap::new());
        assert_eq!(r.text, "d: x");
        assert_eq!(r.to_original(Span::new(3, 4)), Span::new(3, 8));
        // with a base (BOM skipped)
        let r = interpolate("a: 1", 3, &BTreeMap::new());
        assert_eq!(r.to_original(Span::new(3, 4)), Span::new(6, 7));
    }
}
