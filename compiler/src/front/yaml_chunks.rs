//! Parsing a convox.yml again after a small edit (the language server, on every keystroke):
//! the text is cut into its top-level entries, and the entries of its block maps (each
//! service, resource, timer), each parsed on its own and kept in a `ParseCache` by its text, so
//! that only what changed is parsed again. The tree is the one `yaml::parse` gives, span for
//! span (`tests`: every real-world file and fixture).
//!
//! Anchors, aliases and merge keys tie pieces together: a piece that uses an alias (`*name`,
//! `<<: *name`) is parsed after the pieces before it that define anchors (`&name`), in their
//! order — so the last definition before the alias wins, as in the whole text — and kept by
//! that text; its spans are then put back where each part of it is in the whole text (what it
//! reaches through an alias points at the anchor's definition). An edit to a piece that defines
//! anchors parses again the pieces after it that use aliases. A text where cutting could change
//! the meaning (tabs, directives, documents, an anchor on a block map's key, anything but
//! `key:` at the left margin) is parsed whole.

use super::yaml::{Entry, Node, SyntaxError, Value, parse};
use crate::source::Span;
use std::collections::HashMap;

type FxHashMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;

/// Parsed pieces by their text, with spans from the start of the piece; and the pieces that use
/// aliases, by their text and how many anchor-defining pieces they were parsed after.
///
/// A piece's entries are not copied into the tree `parse_cached` gives: they are moved there
/// (lent), their spans shifted in place, and `take_back` moves them back once the tree has been
/// read (`load_cached` does). A tree never given back only costs the next parse those pieces.
#[derive(Default)]
pub struct ParseCache {
    pieces: FxHashMap<String, Vec<Entry>>,
    joined: FxHashMap<String, Node>,
    /// The anchor-defining pieces of the last parse, in order (a piece parsed after them is
    /// reused only while the ones it was parsed after are unchanged).
    anchors: Vec<String>,
    /// The pieces in the last tree given, in its order, and where their entries are in it.
    lent: Vec<Lent>,
}

/// A piece whose entries are in the tree `parse_cached` gave: its text, where it starts in the
/// whole text, and the entries' place — a range of the top-level entries, or of the entries of
/// one top-level entry's block map.
struct Lent {
    text: String,
    from: usize,
    /// The top-level entry whose block map holds them, or none: top-level entries themselves.
    within: Option<usize>,
    range: std::ops::Range<usize>,
}

/// Appends a piece's entries to `into` (the top-level entries, or those of the block map of
/// top-level entry `within`), noting them in `lent` when the piece was lent (`text`).
fn place(
    lent: &mut Vec<Lent>,
    (text, from, within): (Option<String>, usize, Option<usize>),
    into: &mut Vec<Entry>,
    entries: Vec<Entry>,
) {
    if let Some(text) = text {
        lent.push(Lent {
            text,
            from,
            within,
            range: into.len()..into.len() + entries.len(),
        });
    }
    into.extend(entries);
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
    // the first byte past ASCII blanks decides, unless it starts a multi-byte character (which
    // `trim` may take for white space)
    match line
        .bytes()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c'))
    {
        None => false,
        Some(b) if b.is_ascii() => b != b'#',
        Some(_) => {
            let t = line.trim();
            !t.is_empty() && !t.starts_with('#')
        }
    }
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

/// Whether a text may hold an anchor (`&name`) and an alias (`*name`). A false "yes" only costs
/// speed (a quoted `&x`, a comment); a false "no" cannot happen where YAML allows either, but for
/// names that start with a quote, which no manifest uses (such an alias, unseen, fails its piece's
/// parse and the text is parsed whole).
fn marks(text: &str) -> (bool, bool) {
    let b = text.as_bytes();
    let (mut anchor, mut alias) = (false, false);
    for i in memchr::memchr2_iter(b'&', b'*', b) {
        let after_separator = i == 0 || matches!(b[i - 1], b' ' | b'[' | b'{' | b',' | b'\n' | b'-' | b':' | b'?');
        let named = b
            .get(i + 1)
            // (a name starting with a quote is not a mark: `"0 3 * * *"` ends with one)
            .is_some_and(|n| {
                !matches!(
                    n,
                    b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}' | b'"' | b'\''
                )
            });
        if after_separator && named {
            if b[i] == b'&' {
                anchor = true;
            } else {
                alias = true;
            }
            if anchor && alias {
                break;
            }
        }
    }
    (anchor, alias)
}

/// (start, end) of each line, its newline included (one pass over the text).
fn line_bounds(text: &str) -> Vec<(usize, usize)> {
    let mut lines = Vec::with_capacity(text.len() / 16);
    let mut at = 0;
    for nl in memchr::memchr_iter(b'\n', text.as_bytes()) {
        lines.push((at, nl + 1));
        at = nl + 1;
    }
    if at < text.len() {
        lines.push((at, text.len()));
    }
    lines
}

/// Whether cutting the text into entries keeps its meaning (a false "no" only costs speed).
fn cuttable(text: &str, lines: &[(usize, usize)]) -> bool {
    if memchr::memchr(b'\t', text.as_bytes()).is_some() || text.starts_with('\u{feff}') {
        return false;
    }
    lines.iter().all(|&(s, e)| {
        let l = &text[s..e];
        let l = l.strip_suffix('\n').map_or(l, |l| l.strip_suffix('\r').unwrap_or(l));
        !(l.starts_with("---") || l.starts_with("...") || l.starts_with('%'))
            && (indent(l) > 0 || !meaningful(l) || is_key_line(l))
    })
}

/// The parts of a cuttable text, or None when a block map's entries are not all `key:` lines at
/// one indentation.
fn parts(text: &str, lines: &[(usize, usize)]) -> Option<Vec<Part>> {
    // each line's indentation and whether it holds anything but a comment, read once
    let info: Vec<(usize, bool)> = lines
        .iter()
        .map(|&(s, e)| {
            let l = &text[s..e];
            (indent(l), meaningful(l))
        })
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    // text before the first top-level key (comments, blank lines) goes with it
    let mut pending_start = 0;
    while i < lines.len() {
        let (s, e) = lines[i];
        let line = &text[s..e];
        if info[i].0 > 0 || !info[i].1 {
            i += 1;
            continue;
        }
        // a top-level key at line i: its part runs to the next one
        let mut j = i + 1;
        while j < lines.len() && !(info[j].0 == 0 && info[j].1) {
            j += 1;
        }
        let end = if j < lines.len() { lines[j].0 } else { text.len() };
        let inline = line.split_once(':').is_some_and(|(_, rest)| meaningful(rest));
        let children: Vec<usize> = (i + 1..j).filter(|k| info[*k].1).collect();
        let child_indent = children.first().map(|k| info[*k].0);
        let entry_lines: Vec<usize> = match child_indent {
            Some(ci) if !inline => children.iter().copied().filter(|k| info[*k].0 == ci).collect(),
            _ => Vec::new(),
        };
        let all_keys = !entry_lines.is_empty()
            && entry_lines
                .iter()
                .all(|k| is_key_line(text[lines[*k].0..lines[*k].1].trim_start()))
            && children.iter().all(|k| info[*k].0 >= child_indent.unwrap_or(0));
        // an anchor (or alias) on the key's line is the whole block map's: not cut
        let key_marked = entry_lines.first().is_some_and(|k| {
            let (anchor, alias) = marks(&text[pending_start..lines[*k].0]);
            anchor || alias
        });
        if entry_lines.len() >= 2 && all_keys && !key_marked {
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

/// A node with every span moved by `at` (a position in the parsed text → one in the whole text).
fn relocate(n: &Node, at: &impl Fn(usize) -> usize) -> Node {
    let move_span = |s: Span| {
        let start = at(s.start);
        Span::new(start, start + (s.end - s.start))
    };
    n.copy_with_spans(&|n| (move_span(n.span), n.alias.map(move_span)))
}

/// Every span of `node` moved `by` bytes later (a piece's spans → the whole text's).
fn shift(node: &mut Node, by: usize) {
    move_spans(node, &|at| at + by);
}

/// Every span of `node` moved `by` bytes earlier (the whole text's → the piece's).
fn shift_back(node: &mut Node, by: usize) {
    move_spans(node, &|at| at - by);
}

fn move_spans(node: &mut Node, at: &impl Fn(usize) -> usize) {
    node.span = Span::new(at(node.span.start), at(node.span.end));
    node.alias = node.alias.map(|a| Span::new(at(a.start), at(a.end)));
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|i| move_spans(i, at)),
        Value::Map(entries) => entries.iter_mut().for_each(|e| {
            move_spans(&mut e.key, at);
            move_spans(&mut e.value, at);
        }),
        _ => {}
    }
}

/// A copy of a piece's entries with the piece's own spans (they were shifted by `from`).
fn unshifted(entries: &[Entry], from: usize) -> Vec<Entry> {
    entries
        .iter()
        .map(|e| {
            let mut e = e.clone();
            shift_back(&mut e.key, from);
            shift_back(&mut e.value, from);
            e
        })
        .collect()
}

/// One piece of the text to parse: where it is, and whether it is an entry of a block map (then
/// parsed at its indentation, under a key of its own when it follows other pieces).
#[derive(Clone, Copy)]
struct Piece {
    from: usize,
    to: usize,
    nested: bool,
}

/// The text a piece that uses aliases is parsed as: the anchor-defining pieces before it, then
/// it, each entry of a block map under a key of its own. Each segment is (start in that text,
/// length, start in the whole text); the piece's own is the last.
struct Joined {
    segments: Vec<(usize, usize, usize)>,
}

impl Joined {
    fn wrapper(n: usize) -> String {
        format!("__convoxc_piece_{n}:\n")
    }

    fn layout(text: &str, pieces: &[Piece]) -> Joined {
        let mut segments = Vec::with_capacity(pieces.len());
        let mut len = 0;
        for (n, p) in pieces.iter().enumerate() {
            if p.nested {
                len += Self::wrapper(n).len();
            }
            segments.push((len, p.to - p.from, p.from));
            len += p.to - p.from;
            if !text[p.from..p.to].ends_with('\n') {
                len += 1;
            }
        }
        Joined { segments }
    }

    fn text(text: &str, pieces: &[Piece]) -> String {
        let mut out = String::new();
        for (n, p) in pieces.iter().enumerate() {
            if p.nested {
                out.push_str(&Self::wrapper(n));
            }
            out.push_str(&text[p.from..p.to]);
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        out
    }

    /// A position in the joined text → the same in the whole text.
    fn at(&self, pos: usize) -> usize {
        let seg = self
            .segments
            .iter()
            .find(|(s, len, _)| *s <= pos && pos < s + len)
            .or_else(|| self.segments.iter().find(|(s, len, _)| pos == s + len));
        seg.map_or(pos, |(s, _, whole)| whole + (pos - s))
    }

    fn own_start(&self) -> usize {
        self.segments.last().map_or(0, |s| s.0)
    }
}

/// The entries of a parsed piece (a map, or nothing).
fn entries_of(node: Node) -> Option<Vec<Entry>> {
    match node.value {
        Value::Map(es) => Some(es),
        Value::Null => Some(Vec::new()),
        _ => None,
    }
}

struct Pass<'t> {
    text: &'t str,
    /// The pieces parsed so far that define anchors, in order.
    anchors: Vec<Piece>,
    /// How many of `anchors` are as in the cache's last parse.
    unchanged: usize,
    /// Pieces using aliases parsed or taken in this pass: the cache's next `joined`.
    used: FxHashMap<String, Node>,
    /// Texts of the pieces lent in this pass (a second piece of the same text is parsed again).
    lent: rustc_hash::FxHashSet<String>,
    /// Pieces copied, not lent (a block map's key): the cache's next `pieces`, with the lent ones.
    kept: FxHashMap<String, Vec<Entry>>,
    /// Text parsed again after anchor-defining pieces: past a bound, the whole text is cheaper.
    joined_bytes: usize,
}

impl ParseCache {
    /// How many pieces it holds (lent ones included).
    pub fn len(&self) -> usize {
        self.pieces.len() + self.joined.len() + self.lent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes back the pieces lent to `tree`, the tree the last `parse_cached` gave (read, not
    /// changed, since).
    pub fn take_back(&mut self, tree: Node) {
        let Value::Map(mut top) = tree.value else {
            self.lent.clear();
            return;
        };
        // last first: taking a range out leaves the places before it as they were
        while let Some(l) = self.lent.pop() {
            let entries = if let Some(within) = l.within {
                match top.get_mut(within).map(|e| &mut e.value.value) {
                    Some(Value::Map(es)) if l.range.end <= es.len() => es,
                    _ => continue,
                }
            } else if l.range.end <= top.len() {
                &mut top
            } else {
                continue;
            };
            let mut taken: Vec<Entry> = entries.drain(l.range).collect();
            for e in &mut taken {
                shift_back(&mut e.key, l.from);
                shift_back(&mut e.value, l.from);
            }
            self.pieces.insert(l.text, taken);
        }
    }

    /// The entries of one piece of text, parsed (or taken from the cache), with spans in the
    /// whole text.
    fn entries(&mut self, pass: &mut Pass, piece: Piece) -> Option<(Vec<Entry>, Option<String>)> {
        let text = &pass.text[piece.from..piece.to];
        let (anchor, alias) = marks(text);
        let out = if alias && !pass.anchors.is_empty() {
            (self.joined(pass, piece, text)?, None)
        } else {
            // the piece's own entries, moved (lent) and shifted in place; the same text a
            // second time in one file (a duplicated entry) is parsed again
            let own = if pass.lent.contains(text) {
                None
            } else {
                self.pieces.remove(text)
            };
            let mut entries = match own {
                Some(es) => es,
                None => entries_of(parse(text).ok()?)?,
            };
            for e in &mut entries {
                shift(&mut e.key, piece.from);
                shift(&mut e.value, piece.from);
            }
            let lend = pass.lent.insert(text.to_string()).then(|| text.to_string());
            (entries, lend)
        };
        if anchor {
            let n = pass.anchors.len();
            if pass.unchanged == n && self.anchors.get(n).is_some_and(|a| a == text) {
                pass.unchanged += 1;
            }
            pass.anchors.push(piece);
        }
        Some(out)
    }

    /// A piece that uses aliases: parsed after the anchor-defining pieces before it.
    fn joined(&mut self, pass: &mut Pass, piece: Piece, text: &str) -> Option<Vec<Entry>> {
        let k = pass.anchors.len();
        let key = format!("\0{k}\0{}\0{text}", u8::from(piece.nested));
        let mut pieces = pass.anchors.clone();
        pieces.push(piece);
        let joined = Joined::layout(pass.text, &pieces);
        let node = match pass.used.get(&key) {
            Some(n) => n.clone(),
            None => {
                let cached = if pass.unchanged == k {
                    self.joined.remove(&key)
                } else {
                    None
                };
                let node = match cached {
                    Some(n) => n,
                    None => {
                        let source = Joined::text(pass.text, &pieces);
                        // what is parsed again for the anchors: bounded (a chain of pieces each
                        // using the one before would grow with the square of their number)
                        pass.joined_bytes += source.len() - text.len();
                        if pass.joined_bytes > 4 * pass.text.len() + 65_536 {
                            return None;
                        }
                        let Value::Map(top) = parse(&source).ok()?.value else {
                            return None;
                        };
                        let own = joined.own_start();
                        if piece.nested {
                            top.into_iter().next_back()?.value
                        } else {
                            // the piece's own top-level entries (a map's span is not used)
                            let es: Vec<Entry> = top.into_iter().filter(|e| e.key.span.start >= own).collect();
                            Node {
                                value: Value::Map(es),
                                span: Span::new(own, own),
                                alias: None,
                            }
                        }
                    }
                };
                pass.used.insert(key, node.clone());
                node
            }
        };
        entries_of(relocate(&node, &|pos| joined.at(pos)))
    }
}

/// `yaml::parse`, reusing the pieces of the text that are as they were.
pub fn parse_cached(text: &str, cache: &mut ParseCache) -> Result<Node, SyntaxError> {
    cache.lent.clear();
    let whole = || parse(text);
    let lines = line_bounds(text);
    if !cuttable(text, &lines) {
        return whole();
    }
    let Some(parts) = parts(text, &lines) else {
        return whole();
    };
    if parts.is_empty() {
        return whole();
    }
    let mut pass = Pass {
        text,
        anchors: Vec::new(),
        unchanged: 0,
        used: FxHashMap::default(),
        lent: Default::default(),
        kept: FxHashMap::default(),
        joined_bytes: 0,
    };
    let mut lent = Vec::new();
    let top = |(from, to): (usize, usize)| Piece {
        from,
        to,
        nested: false,
    };
    let mut entries = Vec::new();
    for p in &parts {
        match p {
            Part::Whole(from, to) => match cache.entries(&mut pass, top((*from, *to))) {
                Some((es, lend)) => place(&mut lent, (lend, *from, None), &mut entries, es),
                None => return whole(),
            },
            Part::Split { key, entries: pieces } => {
                // the key's piece is copied, not lent: its value is replaced by the entries'
                let Some((mut head, lend)) = cache.entries(&mut pass, top(*key)) else {
                    return whole();
                };
                if let Some(text) = lend {
                    pass.lent.remove(&text);
                    pass.kept.insert(text, unshifted(&head, key.0));
                }
                let (Some(mut entry), true) = (head.pop(), head.is_empty()) else {
                    return whole();
                };
                let mut children = Vec::new();
                for (from, to) in pieces {
                    let piece = Piece {
                        from: *from,
                        to: *to,
                        nested: true,
                    };
                    match cache.entries(&mut pass, piece) {
                        Some((es, lend)) => place(&mut lent, (lend, *from, Some(entries.len())), &mut children, es),
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
    cache.anchors = pass.anchors.iter().map(|p| text[p.from..p.to].to_string()).collect();
    cache.joined = pass.used;
    // pieces of the last parse not in this one are dropped (lent ones come back with the tree)
    cache.pieces = pass.kept;
    cache.lent = lent;
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
            let tree = parse_cached(t, &mut cache).unwrap();
            assert_eq!(tree, parse(t).unwrap(), "{t}");
            cache.take_back(tree);
            // and again from the cache, after an edit, and once more as it was
            let edited = t.replacen("x", "xy", 1);
            for text in [edited.as_str(), t] {
                let tree = parse_cached(text, &mut cache).unwrap();
                assert_eq!(tree, parse(text).unwrap(), "{text}");
                cache.take_back(tree);
            }
        }
    }

    /// The cut parse and the whole parse agree (values, spans, alias sites, merged flags, and
    /// errors) on `text` and on each edit after it, the cache kept between them.
    fn agrees(texts: &[&str]) {
        let mut cache = ParseCache::default();
        for t in texts {
            match (parse_cached(t, &mut cache), parse(t)) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "{t}");
                    cache.take_back(a);
                }
                (Err(a), Err(b)) => assert_eq!((a.message, a.span), (b.message, b.span), "{t}"),
                (a, b) => panic!("{t}: {a:?} / {b:?}"),
            }
        }
    }

    const ANCHORED: &str = "x-defaults: &defaults\n  health:\n    path: /health\n  scale:\n    count: 2\nx-image: &image example/app:1\nservices:\n  web:\n    <<: *defaults\n    image: *image\n    port: 3000\n  api: &api\n    <<: *defaults\n    scale:\n      count: 3\n  worker:\n    \"<<\": [*api, *defaults]\n    command: work\n  cron:\n    command: ls *.txt # not an alias\n";

    #[test]
    fn anchors_aliases_and_merge_keys_in_pieces() {
        let edited_service = ANCHORED.replace("port: 3000", "port: 30001");
        let edited_anchor = ANCHORED.replace("path: /health", "path: /healthz");
        let edited_nested_anchor = ANCHORED.replace("count: 3", "count: 4");
        agrees(&[
            ANCHORED,
            &edited_service,
            &edited_anchor,
            &edited_nested_anchor,
            ANCHORED,
            // an anchor defined again: the aliases after it get the new one
            &ANCHORED.replace(
                "  cron:\n",
                "  again: &defaults\n    port: 1\n  cron:\n    <<: *defaults\n",
            ),
            // an anchor on a block map's key: that map is parsed whole
            "services: &s\n  web:\n    image: x\n  api:\n    image: y\nother: *s\n",
            // an alias to nothing, and one used before its anchor: the whole parse's error
            &ANCHORED.replace("*image", "*missing"),
            "services:\n  web:\n    <<: *later\n  api: &later\n    port: 1\n",
            ANCHORED,
        ]);
    }

    #[test]
    fn many_aliases_of_one_anchor_parse_in_pieces_as_whole() {
        let mut text = String::from("x-base: &base\n  port: 1\nservices:\n");
        for i in 0..120 {
            text.push_str(&format!("  s{i}:\n    <<: *base\n"));
        }
        assert!(
            parse(&text).is_ok(),
            "120 services merging one anchor are an ordinary manifest"
        );
        agrees(&[&text]);
    }

    /// What the cache holds once the tree is back: plain pieces and pieces using aliases.
    fn held(cache: &ParseCache) -> Vec<String> {
        cache.pieces.keys().chain(cache.joined.keys()).cloned().collect()
    }

    #[test]
    fn pieces_using_aliases_are_reused() {
        let mut cache = ParseCache::default();
        let tree = parse_cached(ANCHORED, &mut cache).unwrap();
        cache.take_back(tree);
        let before = cache.joined.len();
        assert!(before >= 3, "the pieces using aliases are kept: {before}");
        let edited = ANCHORED.replace("port: 3000", "port: 30001");
        let kept = held(&cache);
        let tree = parse_cached(&edited, &mut cache).unwrap();
        cache.take_back(tree);
        let reparsed = held(&cache).iter().filter(|k| !kept.contains(k)).count();
        assert_eq!(reparsed, 1, "only the edited service is parsed again");
    }

    /// The pieces are moved into the tree, not copied, and come back with their own spans: the
    /// same text again takes every piece from the cache, and the tree is the whole parse's.
    #[test]
    fn lent_pieces_come_back() {
        let t = "environment:\n  - A=1\nservices:\n  web:\n    port: 3000\n  api:\n    command: x\nresources:\n  db:\n    type: postgres\n";
        let mut cache = ParseCache::default();
        let tree = parse_cached(t, &mut cache).unwrap();
        // `environment`, `web`, `api` and `resources` (one entry: parsed whole) lent; the key
        // `services:` copied
        assert_eq!((cache.lent.len(), cache.pieces.len()), (4, 1));
        cache.take_back(tree);
        assert_eq!((cache.lent.len(), cache.pieces.len()), (0, 5));
        let edited = t.replace("command: x", "command: xy");
        let tree = parse_cached(&edited, &mut cache).unwrap();
        assert_eq!(tree, parse(&edited).unwrap());
        cache.take_back(tree);
        let pieces: Vec<Vec<Entry>> = held(&cache).iter().map(|k| cache.pieces[k].clone()).collect();
        assert!(
            pieces.iter().flatten().all(|e| e.key.span.start < 40),
            "each piece's spans are its own again, not the whole text's"
        );
        // a tree not given back: the next parse parses those pieces again, and agrees
        let _ = parse_cached(t, &mut cache).unwrap();
        assert_eq!(parse_cached(t, &mut cache).unwrap(), parse(t).unwrap());
    }
}
