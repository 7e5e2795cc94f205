//! The decoding context: turns [`Node`]s into typed values, reporting every problem with its
//! span and key path, never stopping at the first.

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::front::interpolate::Interpolated;
use crate::front::keys::Place;
use crate::front::yaml::{Entry, Node, Value};
use crate::names::suggest;
use crate::source::{SourceId, Span};
use std::collections::HashMap;

pub struct Cx<'a> {
    pub source: SourceId,
    /// The parsed (interpolated) text and its map back to the file.
    pub interp: &'a Interpolated,
    /// False when no environment was given at all (values unknown, not empty).
    pub env_known: bool,
    /// The file as written (spans index it).
    pub text: &'a str,
    /// True when unset `${VAR}`s are supplied at deploy: a problem found in a value that comes
    /// from one is a `supplied-value` note (see [`Cx::push`]).
    pub supplied: bool,
    pub diags: Vec<Diagnostic>,
    /// Original span of the value at each decoded key path, for later cross-checks.
    pub spans: HashMap<String, Span, rustc_hash::FxBuildHasher>,
    /// Environment declarations per list (`environment`, `services.web.environment`): the
    /// name and the span key (`<path>#<name>`) of each, in file order.
    pub env_sites: HashMap<String, Vec<(String, String)>>,
}

/// The entries of a map with a fixed set of keys, after key checks.
pub struct Fields<'n> {
    pub entries: Vec<(String, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().rev().find(|(k, _, _)| k == key).map(|(_, _, v)| *v)
    }
    pub fn empty() -> Self {
        Fields { entries: Vec::new() }
    }
}

/// `path.key` (without the formatting machinery: decoding joins a path for every key).
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        return key.to_string();
    }
    let mut s = String::with_capacity(path.len() + 1 + key.len());
    s.push_str(path);
    s.push('.');
    s.push_str(key);
    s
}

pub fn index(path: &str, i: usize) -> String {
    let mut s = String::with_capacity(path.len() + 4);
    s.push_str(path);
    s.push('[');
    s.push_str(&i.to_string());
    s.push(']');
    s
}

impl<'a> Cx<'a> {
    pub fn new(source: SourceId, text: &'a str, interp: &'a Interpolated, env_known: bool) -> Self {
        Cx {
            source,
            interp,
            env_known,
            text,
            supplied: false,
            diags: Vec::new(),
            // about one key path a line: sized once rather than grown through every doubling
            spans: HashMap::with_capacity_and_hasher(
                memchr::memchr_iter(b'\n', text.as_bytes()).count(),
                rustc_hash::FxBuildHasher,
            ),
            env_sites: HashMap::new(),
        }
    }

    /// Original-file span of a node.
    pub fn span(&self, n: &Node) -> Span {
        self.interp.to_original(n.span)
    }

    /// The text of a scalar as written (after interpolation).
    pub fn raw<'t>(&'t self, n: &Node) -> &'t str {
        self.interp.text.get(n.span.start..n.span.end).unwrap_or("")
    }

    pub fn diag(&self, code: Code, n: &Node, path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, self.source, self.span(n), path, message)
    }

    /// Push `d` only if it is in a value supplied at deploy (then as its note).
    fn push_supplied(&mut self, d: Diagnostic) {
        if self.supplied_at(d.span) {
            self.push(d);
        }
    }

    /// Whether the value at `span` comes from a `${VAR}` that the rack supplies at deploy.
    pub fn supplied_at(&self, span: Span) -> bool {
        self.interp.references_in(span).any(|r| !r.set) && self.deferred(span)
    }

    pub fn push(&mut self, mut d: Diagnostic) {
        // Say where an interpolated value came from.
        let unset: Vec<&str> = self
            .interp
            .references_in(d.span)
            .filter(|r| !r.set)
            .map(|r| r.name)
            .collect();
        if !unset.is_empty() && d.severity != Severity::Note && self.deferred(d.span) {
            // the check ran on the empty string convox would substitute, not on the value the
            // rack supplies: say so, and what an empty value would do
            let vars = unset.iter().map(|v| format!("${{{v}}}")).collect::<Vec<_>>().join(", ");
            let given = unset.iter().map(|v| format!("-e {v}=…")).collect::<Vec<_>>().join(" ");
            let note = Diagnostic::new(
                Code::SuppliedValue,
                d.source,
                d.span,
                d.path.clone(),
                format!("the value comes from {vars}, which the rack supplies at deploy: it is checked then"),
            )
            .help(format!(
                "to check it now, give the value ({given} or --env-file); with an empty value: {}",
                d.message
            ));
            if !self
                .diags
                .iter()
                .any(|x| x.code == Code::SuppliedValue && x.span == d.span)
            {
                self.diags.push(note);
            }
            return;
        }
        if !unset.is_empty() {
            let vars = unset.iter().map(|v| format!("${{{v}}}")).collect::<Vec<_>>().join(", ");
            let why = if self.env_known {
                "is not set"
            } else {
                "has no value: no environment was given (-e, --env-file)"
            };
            let note = format!("this value comes from {vars}, which {why}, so convox substitutes an empty string");
            d.help = Some(match d.help.take() {
                Some(h) => format!("{h}; {note}"),
                None => note,
            });
        }
        self.diags.push(d);
    }

    /// Whether a problem at `span` is in a value supplied at deploy: supplied mode, and the span
    /// is within one line (a scalar, not a whole section that merely contains a `${VAR}`).
    fn deferred(&self, span: Span) -> bool {
        self.supplied && self.text.get(span.start..span.end).is_some_and(|s| !s.contains('\n'))
    }

    pub fn error(&mut self, code: Code, n: &Node, path: &str, message: impl Into<String>, help: Option<String>) {
        let d = self.diag(code, n, path, message).help_opt(help);
        self.push(d);
    }

    pub fn warn(&mut self, code: Code, n: &Node, path: &str, message: impl Into<String>, help: Option<String>) {
        let mut d = self.diag(code, n, path, message).help_opt(help);
        d.severity = Severity::Warning;
        self.push(d);
    }

    pub fn wrong_type(&mut self, n: &Node, path: &str, expected: &str) {
        let help = match &n.value {
            Value::Bool(_) => Some(
                "YAML 1.1 reads yes/no/on/off/y/n/true/false as booleans; quote the value to make it a string".into(),
            ),
            Value::Str(s) if s.trim().parse::<f64>().is_ok() && expected.contains("integer") => Some(format!(
                "write {} without quotes: convox ignores quoted numbers here",
                s.trim()
            )),
            _ => None,
        };
        self.error(
            Code::WrongType,
            n,
            path,
            format!("expected {expected}, found {}", n.value.kind()),
            help,
        );
    }

    fn key_name(&mut self, k: &Node, path: &str) -> Option<String> {
        match &k.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(_) => Some(self.raw(k).to_string()),
            Value::Bool(_) => {
                let raw = self.raw(k).to_string();
                self.error(
                    Code::KeyType,
                    k,
                    path,
                    format!("the key `{raw}` is read as a boolean (YAML 1.1)"),
                    Some(format!("quote it: \"{raw}\"")),
                );
                None
            }
            other => {
                self.error(
                    Code::KeyType,
                    k,
                    path,
                    format!("a map key must be a string, found {}", other.kind()),
                    None,
                );
                None
            }
        }
    }

    /// The entries of a map whose keys are names (services, tags, options …): key types and
    /// duplicates checked, order kept. `null` is an empty map.
    pub fn named<'n>(&mut self, n: &'n Node, path: &str, expected: &str) -> Vec<(String, &'n Node, &'n Node)> {
        let entries: &'n [Entry] = match &n.value {
            Value::Null => return Vec::new(),
            Value::Map(es) => es,
            _ => {
                self.wrong_type(n, path, expected);
                return Vec::new();
            }
        };
        let mut out: Vec<(String, &'n Node, &'n Node)> = Vec::with_capacity(entries.len());
        // the names so far: a set for a large map; a small one (a service's keys) looks through
        // `out`, which holds each name once
        let mut seen: Option<std::collections::HashSet<String, rustc_hash::FxBuildHasher>> = (entries.len() > 32)
            .then(|| std::collections::HashSet::with_capacity_and_hasher(entries.len(), rustc_hash::FxBuildHasher));
        for e in entries {
            let Some(name) = self.key_name(&e.key, path) else {
                continue;
            };
            let again = match &mut seen {
                Some(seen) => !seen.insert(name.clone()),
                None => out.iter().any(|(k, _, _)| *k == name),
            };
            if again && let Some(first) = out.iter().find(|(k, _, _)| *k == name) {
                let first_span = self.span(first.1);
                let d = self
                    .diag(
                        Code::DuplicateKey,
                        &e.key,
                        &join(path, &name),
                        format!("`{name}` is written twice"),
                    )
                    .label("written again here")
                    .related(self.source, first_span, "first written here")
                    .help("YAML keys must be unique; convox silently keeps the last one — remove or merge one of them");
                self.push(d);
                out.retain(|(k, _, _)| *k != name);
            }
            out.push((name, &e.key, &e.value));
        }
        out
    }

    /// The fields of a map with a fixed key set at `place`: unknown keys are errors (with a
    /// suggestion), keys of other generations are warnings. `null` is an empty map.
    pub fn fields<'n>(&mut self, n: &'n Node, path: &str, place: Place) -> Option<Fields<'n>> {
        if !matches!(n.value, Value::Null | Value::Map(_)) {
            self.wrong_type(n, path, "a map");
            return None;
        }
        let named = self.named(n, path, "a map");
        let mut entries = Vec::with_capacity(named.len());
        for (key, k, v) in named {
            let kp = join(path, &key);
            if place.known().contains(&key.as_str()) {
                if matches!(v.value, Value::Null) && self.supplied {
                    // `port: ${PORT}` with PORT unset reads as no value: say it is supplied
                    // rather than drop it unsaid
                    let d = self.diag(Code::Ignored, v, &kp, format!("`{key}` is left unset"));
                    self.push_supplied(d);
                }
                self.spans.insert(kp, self.span(v));
                entries.push((key, k, v));
            } else if let Some((_, why)) = place.foreign().iter().find(|(f, _)| *f == key) {
                self.warn(
                    Code::ForeignKey,
                    k,
                    &kp,
                    format!("`{key}` is ignored by a generation-2 (ECS) rack"),
                    Some(format!("it is {why}")),
                );
            } else if key.starts_with("x-") && place == Place::Top {
                // extension key (holds anchors): accepted and ignored
            } else {
                let help = self.unknown_help(&key, place);
                self.error(
                    Code::UnknownKey,
                    k,
                    &kp,
                    format!("unknown key `{key}` in {}", place.describe()),
                    help,
                );
            }
        }
        Some(Fields { entries })
    }

    fn unknown_help(&self, key: &str, place: Place) -> Option<String> {
        let known = place.known();
        if let Some(s) = suggest(key, known.iter().copied()) {
            return Some(format!("did you mean `{s}`?"));
        }
        let homes = place.homes_of(key);
        if !homes.is_empty() {
            let list = homes
                .iter()
                .map(|p| format!("`{}`", p.describe()))
                .collect::<Vec<_>>()
                .join(" or ");
            return Some(format!("`{key}` belongs under {list}"));
        }
        Some(format!("known keys here: {}", known.join(", ")))
    }

    // ---- scalars ----

    /// An integer. Quoted numbers are rejected (convox silently ignores them in typed fields).
    pub fn int(&mut self, n: &Node, path: &str) -> Option<i64> {
        match &n.value {
            Value::Int(i) => match i64::try_from(*i) {
                Ok(v) => Some(v),
                Err(_) => {
                    self.error(Code::OutOfRange, n, path, "number too large", None);
                    None
                }
            },
            Value::Null => None,
            _ => {
                self.wrong_type(n, path, "an integer");
                None
            }
        }
    }

    /// An integer that may also be written as a numeric string (where convox accepts both).
    pub fn int_or_numeric(&mut self, n: &Node, path: &str) -> Option<i64> {
        if let Value::Str(s) = &n.value
            && let Ok(v) = s.trim().parse::<i64>()
        {
            return Some(v);
        }
        self.int(n, path)
    }

    /// An integer within `[min, max]`; out-of-range values are reported.
    pub fn int_in(&mut self, n: &Node, path: &str, min: i64, max: i64, what: &str) -> Option<u32> {
        let v = self.int(n, path)?;
        self.check_range(n, path, v, min, max, what)
    }

    pub fn check_range(&mut self, n: &Node, path: &str, v: i64, min: i64, max: i64, what: &str) -> Option<u32> {
        if v < min || v > max {
            self.error(
                Code::OutOfRange,
                n,
                path,
                format!("{what} must be between {min} and {max}, found {v}"),
                None,
            );
            None
        } else {
            u32::try_from(v).ok()
        }
    }

    pub fn boolean(&mut self, n: &Node, path: &str) -> Option<bool> {
        match &n.value {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            _ => {
                self.wrong_type(n, path, "a boolean (true or false)");
                None
            }
        }
    }

    /// A string. Numbers are taken as written; booleans are rejected (YAML 1.1 turns `on`,
    /// `yes`, `y` into booleans, which convox would then write as "true").
    pub fn string(&mut self, n: &Node, path: &str) -> Option<String> {
        match &n.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(_) | Value::Float(_) => Some(self.raw(n).to_string()),
            Value::Null => None,
            _ => {
                self.wrong_type(n, path, "a string");
                None
            }
        }
    }

    /// A scalar as text, the way convox re-serialises it (booleans become "true"/"false").
    pub fn scalar_text(&mut self, n: &Node, path: &str) -> Option<String> {
        match &n.value {
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Null => Some(String::new()),
            _ => self.string(n, path),
        }
    }

    /// A list of strings, each with its node. `null` is an empty list.
    pub fn string_list<'n>(&mut self, n: &'n Node, path: &str) -> Vec<(String, &'n Node)> {
        match &n.value {
            Value::Null => Vec::new(),
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let p = index(path, i);
                    if let Some(s) = self.string(item, &p) {
                        self.spans.insert(p, self.span(item));
                        out.push((s, item));
                    } else if matches!(item.value, Value::Null) {
                        self.error(Code::WrongType, item, &p, "empty list item", None);
                    }
                }
                out
            }
            Value::Str(s) => {
                let help = format!("write it as a list: [{s}]");
                self.error(Code::WrongType, n, path, "expected a list, found a string", Some(help));
                Vec::new()
            }
            _ => {
                self.wrong_type(n, path, "a list of strings");
                Vec::new()
            }
        }
    }

    /// A list of names (links, resources, policies): a string list in which a name is listed once;
    /// a repeat is an error that points at it and at the first one.
    pub fn name_list(&mut self, n: &Node, path: &str) -> Vec<String> {
        let mut out: Vec<(String, Span)> = Vec::new();
        for (i, (name, item)) in self.string_list(n, path).into_iter().enumerate() {
            match out.iter().find(|(seen, _)| *seen == name) {
                Some((_, first)) => {
                    let first = *first;
                    let d = self
                        .diag(
                            Code::DuplicateKey,
                            item,
                            &index(path, i),
                            format!("`{name}` is listed twice"),
                        )
                        .help(format!("list `{name}` once in `{path}`"))
                        .related(self.source, first, "first listed here");
                    self.push(d);
                }
                None => out.push((name, self.span(item))),
            }
        }
        out.into_iter().map(|(name, _)| name).collect()
    }

    /// A map of string to scalar text (tags, options, params, dimensions).
    pub fn string_map(&mut self, n: &Node, path: &str) -> Vec<(String, String, Span)> {
        let named = self.named(n, path, "a map of names to values");
        let mut out = Vec::with_capacity(named.len());
        for (k, _, v) in named {
            let p = join(path, &k);
            if matches!(v.value, Value::Seq(_) | Value::Map(_)) {
                self.wrong_type(v, &p, "a single value");
                continue;
            }
            if let Some(s) = self.scalar_text(v, &p) {
                let span = self.span(v);
                self.spans.insert(p, span);
                out.push((k, s, span));
            }
        }
        out
    }
}

/// Helpers of the checks across sections, which point at key paths found while decoding.
impl Cx<'_> {
    pub(crate) fn at(&self, path: &str) -> Span {
        self.spans.get(path).copied().unwrap_or_default()
    }
    /// Push a diagnostic of `code`'s severity at `span_path`'s span, reported for `path`.
    pub(crate) fn report(
        &mut self,
        code: Code,
        path: &str,
        span_path: &str,
        msg: impl Into<String>,
        help: Option<String>,
    ) {
        self.report_as(code.default_severity(), code, path, span_path, msg, help);
    }

    /// [`Cx::report`] as a warning, whatever `code`'s own severity.
    pub(crate) fn report_warning(
        &mut self,
        code: Code,
        path: &str,
        span_path: &str,
        msg: impl Into<String>,
        help: Option<String>,
    ) {
        self.report_as(Severity::Warning, code, path, span_path, msg, help);
    }

    fn report_as(
        &mut self,
        severity: Severity,
        code: Code,
        path: &str,
        span_path: &str,
        msg: impl Into<String>,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::new(code, self.source, self.at(span_path), path, msg).help_opt(help);
        d.severity = severity;
        self.push(d);
    }
}
