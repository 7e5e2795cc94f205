//! An open convox.yml: its text, its line index, and what the compiler says about it — the
//! same `load` as `convoxc validate` without an environment (a `${VAR}` gets its value at
//! deploy), against the rack params next to it — with the diagnostics in LSP terms.

use super::files::{path_of, uri_of};
use super::position::LineIndex;
use convoxc_compiler::diagnostic::{Diagnostic, Locations, Severity};
use convoxc_compiler::front::yaml_chunks::ParseCache;
use convoxc_compiler::{Input, Loaded, SourceFile, load_cached};
use lsp_types::{DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Range, Uri};
use std::path::PathBuf;

pub struct Document {
    pub uri: Uri,
    /// The manifest's name in the compiler's sources (its path).
    name: String,
    pub text: String,
    pub index: LineIndex,
    pub loaded: Loaded,
    /// The rack-params file it was checked against, and its text.
    pub rack_params: Option<(PathBuf, String)>,
}

impl Document {
    /// `cache`: the pieces of the document parsed last time (only what changed is parsed again).
    pub fn new(uri: Uri, text: String, rack_params: Option<(PathBuf, String)>, cache: &mut ParseCache) -> Self {
        let name = path_of(&uri)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| uri.as_str().to_string());
        let loaded = load_cached(
            Input {
                manifest: Some(SourceFile::new(name.clone(), text.clone())),
                env_file: None,
                env: Vec::new(),
                env_known: false,
                supplied_at_deploy: true,
                rack_params: rack_params
                    .as_ref()
                    .map(|(p, t)| SourceFile::new(p.display().to_string(), t.clone())),
            },
            cache,
        );
        Document {
            index: LineIndex::new(&text),
            name,
            uri,
            text,
            loaded,
            rack_params,
        }
    }

    /// Whether a diagnostic's source is the manifest (not the rack params).
    pub fn in_manifest(&self, source: convoxc_compiler::SourceId) -> bool {
        self.loaded.sources.get(source).name == self.name
    }

    pub fn locations(&self) -> Option<&Locations> {
        self.loaded.locations.as_ref()
    }

    /// The LSP range of a span of the manifest.
    pub fn range(&self, start: usize, end: usize) -> Range {
        self.index.range(&self.text, start, end)
    }

    /// The text of a span, without YAML quotes.
    pub fn word(&self, start: usize, end: usize) -> &str {
        let s = self.text.get(start..end).unwrap_or("").trim();
        s.trim_matches(|c| c == '"' || c == '\'')
    }

    /// Every diagnostic, by the file it is in: the manifest first, then the rack-params file
    /// (each listed, so that an editor clears what was fixed).
    pub fn diagnostics(&self) -> Vec<(Uri, Vec<lsp_types::Diagnostic>)> {
        let mut out: Vec<(Uri, Vec<lsp_types::Diagnostic>)> = vec![(self.uri.clone(), Vec::new())];
        if let Some(u) = self.rack_params.as_ref().and_then(|(p, _)| uri_of(p)) {
            out.push((u, Vec::new()));
        }
        for d in &self.loaded.diagnostics {
            if let Some((uri, lsp)) = self.convert(d)
                && let Some((_, list)) = out.iter_mut().find(|(u, _)| *u == uri)
            {
                list.push(lsp);
            }
        }
        out
    }

    /// Where a span of one of the sources is: its URI and range.
    fn location(&self, source: convoxc_compiler::SourceId, start: usize, end: usize) -> Option<Location> {
        if self.in_manifest(source) {
            return Some(Location::new(self.uri.clone(), self.range(start, end)));
        }
        let file = self.loaded.sources.get(source);
        let (path, text) = self.rack_params.as_ref()?;
        if file.name != path.display().to_string() {
            return None;
        }
        let index = LineIndex::new(text);
        Some(Location::new(uri_of(path)?, index.range(text, start, end)))
    }

    fn convert(&self, d: &Diagnostic) -> Option<(Uri, lsp_types::Diagnostic)> {
        let at = self.location(d.source, d.span.start, d.span.end)?;
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        let related: Vec<DiagnosticRelatedInformation> = d
            .related
            .iter()
            .filter_map(|r| {
                Some(DiagnosticRelatedInformation {
                    location: self.location(r.source, r.span.start, r.span.end)?,
                    message: r.label.clone(),
                })
            })
            .collect();
        let lsp = lsp_types::Diagnostic {
            range: at.range,
            severity: Some(match d.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
                Severity::Note => DiagnosticSeverity::INFORMATION,
            }),
            code: Some(NumberOrString::String(d.code.as_str().to_string())),
            source: Some("convoxc".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            data: (!d.path.is_empty()).then(|| serde_json::json!({"path": d.path})),
            ..Default::default()
        };
        Some((at.uri, lsp))
    }
}

/// What the server does with a document's new text: compile it (against its rack params) and
/// put its diagnostics in LSP terms, by file. (`cli/benches/lsp.rs` times it.)
pub fn check(
    uri: Uri,
    text: String,
    rack_params: Option<(PathBuf, String)>,
    cache: &mut ParseCache,
) -> (Document, Vec<(Uri, Vec<lsp_types::Diagnostic>)>) {
    let doc = Document::new(uri, text, rack_params, cache);
    let diagnostics = doc.diagnostics();
    (doc, diagnostics)
}
