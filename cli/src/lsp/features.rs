//! Hover, completion, go to definition, find references, document symbols and "did you mean"
//! code actions over a `Document`: the key paths and spans are the compiler's (`Locations`), the
//! keys and option tables the compiler's (`front::keys`, `ir::resource_options`), the texts the
//! schema's.

use super::context::{self, Slot};
use super::document::Document;
use super::schema;
use convoxc_compiler::front::keys::Place;
use convoxc_compiler::ir::ResourceType;
use convoxc_compiler::ir::resource_options::options;
use convoxc_compiler::source::Span;
use lsp_types::{
    CodeAction, CodeActionKind, CompletionItem, CompletionItemKind, DocumentSymbol, Documentation, Hover,
    HoverContents, Location, MarkupContent, MarkupKind, SymbolKind, TextEdit, WorkspaceEdit,
};
use std::collections::HashMap;

/// The sections whose entries are named (and can be referred to).
const SECTIONS: [&str; 3] = ["services", "resources", "timers"];

/// The names of a section's entries, with the spans of their keys, in file order.
pub fn names(doc: &Document, section: &str) -> Vec<(String, Span)> {
    let parsed = doc.locations().map(|l| from_locations(l, section)).unwrap_or_default();
    if !parsed.is_empty() {
        return parsed;
    }
    // a file that does not parse (being typed): the entries its lines have
    context::section_names(&doc.text, section)
        .into_iter()
        .map(|(n, (start, end))| (n, Span { start, end }))
        .collect()
}

fn from_locations(at: &convoxc_compiler::Locations, section: &str) -> Vec<(String, Span)> {
    let mut out: Vec<(String, Span)> = at
        .spans
        .iter()
        .filter_map(|(p, s)| {
            let name = p.strip_prefix(section)?.strip_prefix('.')?.strip_suffix("#name")?;
            (!name.contains('.')).then(|| (name.to_string(), *s))
        })
        .collect();
    out.sort_by_key(|(_, s)| s.start);
    out
}

/// What a reference at a key path refers to: (section, name), for `links` and a service's
/// `resources` items and a timer's `service`.
fn referent(doc: &Document, path: &str, span: Span) -> Option<(&'static str, String)> {
    let word = doc.word(span.start, span.end).to_string();
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["services", _, item] if item.starts_with("links[") => Some(("services", word)),
        ["services", _, item] if item.starts_with("resources[") => Some(("resources", word)),
        ["timers", _, "service"] => Some(("services", word)),
        _ => None,
    }
}

/// The deepest key path whose span holds the offset: (path, span, on its key).
fn at(doc: &Document, offset: usize) -> Option<(String, Span, bool)> {
    let spans = &doc.locations()?.spans;
    spans
        .iter()
        .filter(|(_, s)| s.start <= offset && offset <= s.end)
        .min_by_key(|(p, s)| (s.end - s.start, std::cmp::Reverse(p.len())))
        .map(|(p, s)| match p.strip_suffix("#name") {
            Some(base) => (base.to_string(), *s, true),
            None => (p.clone(), *s, false),
        })
}

/// Key path segments for the schema: `services.web.links[0]` → services, web, links, [].
fn segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        match part.split_once('[') {
            Some((k, _)) => {
                out.push(k.to_string());
                out.push("[]".into());
            }
            None => out.push(part.to_string()),
        }
    }
    out
}

pub fn hover(doc: &Document, offset: usize) -> Option<Hover> {
    // on a key: what the schema says of it
    if let Some((mut path, key, (start, end))) = context::key_at(&doc.text, offset) {
        path.push(key);
        let text = schema::hover(&path)?;
        return Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: text,
            }),
            range: Some(doc.range(start, end)),
        });
    }
    let (path, span, _) = at(doc, offset)?;
    let text = if let Some((section, name)) = referent(doc, &path, span) {
        let found = names(doc, section).into_iter().find(|(n, _)| *n == name);
        match found {
            Some((_, key)) => {
                let line = doc.index.position(&doc.text, key.start).line + 1;
                let kind = if section == "resources" {
                    doc.loaded
                        .locations
                        .as_ref()
                        .and_then(|l| l.spans.get(&format!("resources.{name}.type")))
                        .map(|s| format!(" ({})", doc.word(s.start, s.end)))
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                format!(
                    "**{name}**: the {}{kind} defined on line {line}",
                    &section[..section.len() - 1]
                )
            }
            None => format!("**{name}**: no such {} in this file", &section[..section.len() - 1]),
        }
    } else {
        schema::hover(&segments(&path))?
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(doc.range(span.start, span.end)),
    })
}

/// The place (set of keys) of a map at a path.
fn place(path: &[String]) -> Option<Place> {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    Some(match p.as_slice() {
        [] => Place::Top,
        ["services", _] => Place::Service,
        ["services", _, "agent"] => Place::Agent,
        ["services", _, "build"] => Place::Build,
        ["services", _, "deployment"] => Place::Deployment,
        ["services", _, "health"] => Place::Health,
        ["services", _, "nlb", "[]"] => Place::Nlb,
        ["services", _, "port"] => Place::PortMap,
        ["services", _, "scale"] => Place::Scale,
        ["services", _, "scale", "count"] => Place::ScaleCount,
        ["services", _, "scale", "cooldown"] => Place::Cooldown,
        ["services", _, "scale", "targets"] => Place::Targets,
        ["services", _, "termination"] => Place::Termination,
        ["resources", _] => Place::Resource,
        ["timers", _] => Place::Timer,
        _ => return None,
    })
}

fn item(label: &str, kind: CompletionItemKind, detail: Option<String>, insert: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        documentation: detail.filter(|d| !d.is_empty()).map(|d| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: d,
            })
        }),
        insert_text: insert,
        ..Default::default()
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// A resource's type as written (`resources.<name>.type`).
fn resource_type(doc: &Document, name: &str) -> Option<ResourceType> {
    let s = *doc.locations()?.spans.get(&format!("resources.{name}.type"))?;
    let t = doc.word(s.start, s.end).to_string();
    ResourceType::ALL.iter().find(|(n, _)| *n == t).map(|(_, k)| *k)
}

pub fn completion(doc: &Document, offset: usize) -> Vec<CompletionItem> {
    let c = context::at(&doc.text, offset);
    let p: Vec<&str> = c.path.iter().map(String::as_str).collect();
    let named = |section: &str, except: Option<&str>| -> Vec<CompletionItem> {
        names(doc, section)
            .into_iter()
            .filter(|(n, _)| Some(n.as_str()) != except)
            .map(|(n, _)| item(&n, CompletionItemKind::REFERENCE, None, None))
            .collect()
    };
    match (&c.slot, p.as_slice()) {
        (Slot::Key { .. }, ["resources", name, "options"]) => {
            let Some(kind) = resource_type(doc, name) else {
                return Vec::new();
            };
            options(kind)
                .iter()
                .map(|o| {
                    let key = lower_first(o.param);
                    // an empty default is convoxc's choice, which the description says
                    let detail = if o.default.is_empty() {
                        o.description.to_string()
                    } else {
                        format!("{} (default `{}`)", o.description, o.default)
                    };
                    item(
                        &key,
                        CompletionItemKind::PROPERTY,
                        Some(detail),
                        Some(format!("{key}: ")),
                    )
                })
                .collect()
        }
        (Slot::Key { .. }, _) => {
            let Some(place) = place(&c.path) else { return Vec::new() };
            let docs: HashMap<String, String> = schema::keys(&c.path).into_iter().collect();
            place
                .known()
                .iter()
                .filter(|k| !c.siblings.iter().any(|s| s == *k))
                .map(|k| {
                    let mut path = c.path.clone();
                    path.push(k.to_string());
                    item(
                        k,
                        CompletionItemKind::PROPERTY,
                        docs.get(*k).cloned().or_else(|| schema::hover(&path)),
                        Some(format!("{k}: ")),
                    )
                })
                .collect()
        }
        (Slot::Value { key, .. }, ["resources", _]) if key == "type" => ResourceType::ALL
            .iter()
            .map(|(n, _)| item(n, CompletionItemKind::ENUM_MEMBER, None, None))
            .collect(),
        (Slot::Value { key, .. }, ["timers", _]) if key == "service" => named("services", None),
        (Slot::Value { key, .. }, ["services", _]) if key == "port" => ["http:", "https:"]
            .iter()
            .map(|s| {
                let detail = format!(
                    "`port: {s}3000`: the balancer speaks {} to the container",
                    &s[..s.len() - 1]
                );
                item(s, CompletionItemKind::ENUM_MEMBER, Some(detail), None)
            })
            .collect(),
        (Slot::Item { .. }, ["services", me, "links"]) => named("services", Some(me)),
        (Slot::Item { .. }, ["services", _, "resources"]) => named("resources", None),
        _ => Vec::new(),
    }
}

/// The name under the cursor and its section: a definition's key, or a reference.
fn name_at(doc: &Document, offset: usize) -> Option<(&'static str, String)> {
    let (path, span, on_key) = at(doc, offset)?;
    if on_key {
        let (section, name) = path.split_once('.')?;
        let section = SECTIONS.into_iter().find(|s| *s == section)?;
        return (!name.contains('.')).then(|| (section, name.to_string()));
    }
    referent(doc, &path, span)
}

pub fn definition(doc: &Document, offset: usize) -> Option<Location> {
    let (section, name) = name_at(doc, offset)?;
    let (_, span) = names(doc, section).into_iter().find(|(n, _)| *n == name)?;
    Some(Location::new(doc.uri.clone(), doc.range(span.start, span.end)))
}

pub fn references(doc: &Document, offset: usize, with_declaration: bool) -> Vec<Location> {
    let Some((section, name)) = name_at(doc, offset) else {
        return Vec::new();
    };
    let Some(at) = doc.locations() else { return Vec::new() };
    let mut spans: Vec<Span> = at
        .spans
        .iter()
        .filter(|(p, s)| referent(doc, p, **s).is_some_and(|(sec, n)| sec == section && n == name))
        .map(|(_, s)| *s)
        .collect();
    if with_declaration && let Some((_, s)) = names(doc, section).into_iter().find(|(n, _)| *n == name) {
        spans.push(s);
    }
    spans.sort_by_key(|s| s.start);
    spans
        .into_iter()
        .map(|s| Location::new(doc.uri.clone(), doc.range(s.start, s.end)))
        .collect()
}

#[allow(deprecated)] // DocumentSymbol::deprecated is a required field of the struct
pub fn symbols(doc: &Document) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    for (section, kind) in [
        ("services", SymbolKind::CLASS),
        ("resources", SymbolKind::STRUCT),
        ("timers", SymbolKind::EVENT),
    ] {
        for (name, key) in names(doc, section) {
            let end = context::block_end(&doc.text, key.start);
            out.push(DocumentSymbol {
                name,
                detail: Some(section[..section.len() - 1].to_string()),
                kind,
                tags: None,
                deprecated: None,
                range: doc.range(key.start, end.max(key.end)),
                selection_range: doc.range(key.start, key.end),
                children: None,
            });
        }
    }
    out
}

/// "did you mean `X`?" fixes for the compiler's diagnostics in a range (byte offsets).
pub fn actions(doc: &Document, start: usize, end: usize) -> Vec<CodeAction> {
    let mut out = Vec::new();
    let lsp = doc.diagnostics().swap_remove(0).1;
    for d in &doc.loaded.diagnostics {
        let span = d.span;
        if span.end < start || span.start > end || !doc.in_manifest(d.source) {
            continue;
        }
        let Some(fix) = d
            .help
            .as_deref()
            .and_then(|h| h.split_once("did you mean `"))
            .and_then(|(_, rest)| rest.split_once('`'))
            .map(|(s, _)| s.to_string())
        else {
            continue;
        };
        // the word to replace: the span's text without quotes, or what comes before its `:`
        let Some(raw) = doc.text.get(span.start..span.end) else {
            continue;
        };
        let quote = usize::from(raw.len() >= 2 && raw.starts_with(['"', '\'']));
        let word = &raw[quote..raw.len() - quote];
        let len = word.find(':').unwrap_or(word.len());
        if word[..len].contains(char::is_whitespace) {
            continue;
        }
        let from = span.start + quote;
        let edit = TextEdit::new(doc.range(from, from + len), fix.clone());
        let range = doc.range(span.start, span.end);
        out.push(CodeAction {
            title: format!("Change `{}` to `{fix}`", &word[..len]),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(
                lsp.iter()
                    .filter(|x| x.range == range && x.message.starts_with(&d.message))
                    .cloned()
                    .collect(),
            ),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(doc.uri.clone(), vec![edit])])),
                ..Default::default()
            }),
            is_preferred: Some(true),
            ..Default::default()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// Every feature at every position of every real-world file and convox fixture answers
    /// without a panic (a file being typed is any prefix of one, so each is also cut short).
    #[test]
    fn no_position_of_a_real_file_panics() {
        let shared = std::env::var_os("CONVOXC_SHARED")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
        let mut files = Vec::new();
        for dir in ["corpus/real-world", "conformance/convox-rack"] {
            let d = shared.join(dir);
            let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
            files.extend(
                entries
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|x| x == "yml")),
            );
        }
        files.sort();
        assert!(files.len() >= 170, "{} files", files.len());
        let uri = lsp_types::Uri::from_str("file:///app/convox.yml").unwrap();
        for path in files {
            let full = std::fs::read_to_string(&path).unwrap();
            let cut = full
                .char_indices()
                .nth(full.chars().count() * 2 / 3)
                .map_or(0, |(i, _)| i);
            for text in [full.clone(), full[..cut].to_string()] {
                let doc = Document::new(uri.clone(), text.clone(), None, &mut Default::default());
                let _ = doc.diagnostics();
                let _ = symbols(&doc);
                let _ = actions(&doc, 0, text.len());
                let mut offset = 0;
                while offset <= text.len() {
                    let _ = hover(&doc, offset);
                    let _ = completion(&doc, offset);
                    let _ = definition(&doc, offset);
                    let _ = references(&doc, offset, true);
                    let p = doc.index.position(&doc.text, offset);
                    assert_eq!(doc.index.offset(&doc.text, p), offset, "{}", path.display());
                    offset += 1;
                    while offset < text.len() && !text.is_char_boundary(offset) {
                        offset += 1;
                    }
                }
            }
        }
    }
}
