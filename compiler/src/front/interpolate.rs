//! `${VAR}` interpolation on the raw manifest text, as convox does it (before YAML parsing),
//! keeping a map from every output byte back to the original file.
//!
//! convox's rule (reference §1.1): every match of `\$\{([^}]*?)\}` is replaced by the value of the
//! variable named by the text between the braces, verbatim, or by "" when it is not set. No
//! escapes, no `${X:-default}`, `$X` untouched, comments and quoted strings included.

use crate::source::Span;
use std::collections::BTreeMap;

/// The most text interpolation reads or writes (256 MiB): a manifest, or what its `${...}`
/// values make of it, beyond that is refused rather than exhausting memory.
pub const MAX_TEXT: usize = 256 << 20;

/// The result of interpolation: the text the YAML parser reads, and the offset map.
///
/// Memory is linear in the input and small per reference: one 21-byte record per `${...}`
/// (offsets are `u32`, which `MAX_TEXT` keeps in range) and each distinct name once. The literal
/// text between references maps byte for byte and needs no record.
#[derive(Clone, Debug)]
pub struct Interpolated {
    pub text: String,
    /// Every `${...}`, in file (and output) order.
    subs: Vec<Sub>,
    /// The distinct names referred to.
    names: Vec<String>,
    /// Where the interpolated text starts and ends in the original file.
    base: u32,
    orig_end: u32,
}

#[derive(Clone, Copy, Debug)]
struct Sub {
    out: u32,
    out_len: u32,
    orig: u32,
    orig_len: u32,
    name: u32,
    set: bool,
}

impl Sub {
    fn out_end(&self) -> usize {
        (self.out + self.out_len) as usize
    }
    fn orig_end(&self) -> usize {
        (self.orig + self.orig_len) as usize
    }
}

/// One `${NAME}` occurrence in the original text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference<'a> {
    pub name: &'a str,
    pub span: Span,
    pub set: bool,
}

/// The text (or what interpolation makes of it) is over `MAX_TEXT`: its size in bytes, at least.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLarge(pub usize);

/// Interpolate `text` (which starts at byte `base` of the original file, e.g. after a BOM).
pub fn interpolate(text: &str, base: usize, env: &BTreeMap<String, String>) -> Result<Interpolated, TooLarge> {
    if text.len() > MAX_TEXT {
        return Err(TooLarge(text.len()));
    }
    let mut out = String::with_capacity(text.len());
    // one record per `${` at most: reserved at once (growing by doubling would peak at twice that)
    let opening = memchr::memmem::Finder::new("${");
    let mut subs = Vec::with_capacity(opening.find_iter(text.as_bytes()).count());
    let mut names: Vec<String> = Vec::new();
    let mut index: BTreeMap<&str, u32> = BTreeMap::new();
    let bytes = text.as_bytes();
    let mut lit_start = 0;
    let mut from = 0;
    // each `${` in turn (a substitution's own text is not searched again)
    while let Some(i) = opening.find(&bytes[from..]).map(|at| from + at) {
        let Some(close) = memchr::memchr(b'}', &bytes[i + 2..]) else {
            break; // no closing brace anywhere after: nothing more can match
        };
        let name = &text[i + 2..i + 2 + close];
        let end = i + 2 + close + 1;
        out.push_str(&text[lit_start..i]);
        let value = env.get(name);
        let start_out = out.len();
        if let Some(v) = value {
            if out.len() + v.len() > MAX_TEXT {
                return Err(TooLarge(out.len() + v.len()));
            }
            out.push_str(v);
        }
        let id = *index.entry(name).or_insert_with(|| {
            names.push(name.to_string());
            (names.len() - 1) as u32
        });
        subs.push(Sub {
            out: start_out as u32,
            out_len: (out.len() - start_out) as u32,
            orig: (base + i) as u32,
            orig_len: (end - i) as u32,
            name: id,
            set: value.is_some(),
        });
        from = end;
        lit_start = end;
    }
    if out.len() + (text.len() - lit_start) > MAX_TEXT {
        return Err(TooLarge(out.len() + text.len() - lit_start));
    }
    out.push_str(&text[lit_start..]);
    Ok(Interpolated {
        text: out,
        subs,
        names,
        base: base as u32,
        orig_end: (base + text.len()) as u32,
    })
}

impl Interpolated {
    /// Map an output byte offset to the original file. `end` selects the end of a substituted
    /// reference (for span ends) instead of its start.
    ///
    /// The output is literal runs and substitutions in turn; the first one that does not end at
    /// or before `off` (for an `end`, one that ends exactly at `off` counts) holds it.
    fn map(&self, off: usize, end: bool) -> usize {
        let passed = |e: usize| e <= off && !(end && e == off);
        let j = self.subs.partition_point(|s| passed(s.out_end()));
        // the literal run before subs[j] (or the tail, after the last one)
        let (lit_out, lit_orig) = match j.checked_sub(1).map(|k| self.subs[k]) {
            Some(prev) => (prev.out_end(), prev.orig_end()),
            None => (0, self.base as usize),
        };
        let lit_out_end = self.subs.get(j).map_or(self.text.len(), |s| s.out as usize);
        if lit_out_end > lit_out && !passed(lit_out_end) {
            return lit_orig + (off - lit_out).min(lit_out_end - lit_out);
        }
        match self.subs.get(j) {
            Some(s) if end => s.orig_end(),
            Some(s) => s.orig as usize,
            None if self.text.is_empty() && self.subs.is_empty() => off,
            None => self.orig_end as usize,
        }
    }

    /// Map a span of the interpolated text to a span of the original file.
    pub fn to_original(&self, span: Span) -> Span {
        let mut start = self.map(span.start, false);
        // a value that begins with an empty substitution begins at its `${...}`
        let first = self.subs.partition_point(|s| (s.out as usize) < span.start);
        let empty_sub = self.subs[first..]
            .iter()
            .take_while(|s| s.out as usize == span.start && s.out_len == 0)
            .next();
        if let Some(s) = empty_sub {
            start = start.min(s.orig as usize);
        }
        let end = if span.end > span.start {
            self.map(span.end, true)
        } else if let Some(s) = empty_sub {
            // an empty value that was a `${...}`: the reference itself
            s.orig_end()
        } else {
            start
        };
        Span::new(start, end.max(start))
    }

    fn reference(&self, s: &Sub) -> Reference<'_> {
        Reference {
            name: &self.names[s.name as usize],
            span: Span::new(s.orig as usize, s.orig_end()),
            set: s.set,
        }
    }

    /// Every `${...}` reference, in file order.
    pub fn references(&self) -> impl Iterator<Item = Reference<'_>> {
        self.subs.iter().map(|s| self.reference(s))
    }

    /// References whose `${...}` lies within an original span.
    pub fn references_in(&self, span: Span) -> impl Iterator<Item = Reference<'_>> {
        let limit = span.end.max(span.start + 1);
        let from = self.subs.partition_point(|s| (s.orig as usize) < span.start);
        self.subs[from..]
            .iter()
            .take_while(move |s| (s.orig as usize) < limit)
            .filter(move |s| s.orig_end() <= limit)
            .map(|s| self.reference(s))
    }

    /// The text as is, with no interpolation (for files convox does not interpolate).
    pub fn verbatim(text: &str, base: usize) -> Interpolated {
        Interpolated {
            text: text.to_string(),
            subs: Vec::new(),
            names: Vec::new(),
            base: base as u32,
            orig_end: (base + text.len()) as u32,
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
        let r = interpolate("a ${BAR} ${NOPE} ${ X } $BAR ${IMG:-x} ${}", 0, &e).unwrap();
        assert_eq!(r.text, "a x  sp $BAR odd ");
        let unset: Vec<&str> = r.references().filter(|r| !r.set).map(|r| r.name).collect();
        assert_eq!(unset, ["NOPE", ""]);
    }

    #[test]
    fn unterminated_reference_is_literal() {
        let r = interpolate("a: ${X\nb: 1", 0, &BTreeMap::new()).unwrap();
        assert_eq!(r.text, "a: ${X\nb: 1");
    }

    #[test]
    fn maps_offsets_back() {
        let e = env(&[("H", "example.org")]);
        let src = "d: ${H}\np: 1";
        let r = interpolate(src, 0, &e).unwrap();
        assert_eq!(r.text, "d: example.org\np: 1");
        // "p" is at 15 in the output, 8 in the original
        assert_eq!(r.to_original(Span::new(15, 16)), Span::new(8, 9));
        // the substituted value maps to the whole ${H}
        assert_eq!(r.to_original(Span::new(3, 14)), Span::new(3, 7));
        assert_eq!(r.to_original(Span::new(5, 6)), Span::new(3, 7));
        // an empty substitution
        let r = interpolate("d: ${H}x", 0, &BTreeMap::new()).unwrap();
        assert_eq!(r.text, "d: x");
        assert_eq!(r.to_original(Span::new(3, 4)), Span::new(3, 8));
        // with a base (BOM skipped)
        let r = interpolate("a: 1", 3, &BTreeMap::new()).unwrap();
        assert_eq!(r.to_original(Span::new(3, 4)), Span::new(6, 7));
        // references within a span, and many of one name kept once
        let r = interpolate("a: ${X}${X}\nb: ${Y}", 0, &BTreeMap::new()).unwrap();
        let names: Vec<&str> = r.references_in(Span::new(0, 11)).map(|r| r.name).collect();
        assert_eq!(names, ["X", "X"]);
        assert_eq!(r.names.len(), 2);
        assert_eq!(r.to_original(Span::new(4, 5)), Span::new(12, 13));
    }

    #[test]
    fn output_past_the_limit_is_refused() {
        let e = env(&[("X", &"x".repeat(1 << 20))]);
        let text = "${X}".repeat(300);
        assert!(matches!(interpolate(&text, 0, &e), Err(TooLarge(n)) if n > MAX_TEXT));
        assert!(interpolate(&"${X}".repeat(200), 0, &e).is_ok());
    }
}
