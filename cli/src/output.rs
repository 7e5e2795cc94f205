//! Printing diagnostics: human (miette), JSON, SARIF 2.1.0, GitHub workflow commands.

use crate::args::Format;
use convoxc_compiler::{Code, Diagnostic, Located, Report, Severity, Sources};
use serde_json::json;

/// Print diagnostics to stderr (stdout is for what a command makes: a template, a report).
pub fn print(sources: &Sources, diagnostics: &[Diagnostic], format: Format) {
    match machine(sources, diagnostics, format) {
        Some(text) => eprint!("{text}"),
        None => human(sources, diagnostics),
    }
}

/// Print machine-readable diagnostics to stdout (`validate --format`, kept for one release).
pub fn print_stdout(sources: &Sources, diagnostics: &[Diagnostic], format: Format) {
    match machine(sources, diagnostics, format) {
        Some(text) => print!("{text}"),
        None => human(sources, diagnostics),
    }
}

/// The diagnostics as JSON, SARIF or GitHub workflow commands; None for human.
fn machine(sources: &Sources, diagnostics: &[Diagnostic], format: Format) -> Option<String> {
    use std::fmt::Write as _;
    let located: Vec<Located> = diagnostics.iter().map(|d| Located::new(d, sources)).collect();
    let mut out = String::new();
    match format {
        Format::Human => return None,
        Format::Json => {
            let diags: Vec<_> = located
                .iter()
                .map(|l| {
                    json!({
                        "severity": l.severity, "code": l.code, "message": l.message, "path": l.path,
                        "file": l.file, "line": l.line, "column": l.column, "help": l.help,
                    })
                })
                .collect();
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&json!({ "diagnostics": diags })).expect("JSON")
            );
        }
        Format::Github => {
            for l in &located {
                let kind = match l.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Note => "notice",
                };
                let mut text = if l.path.is_empty() {
                    l.message.clone()
                } else {
                    format!("{}: {}", l.path, l.message)
                };
                if let Some(h) = &l.help {
                    text.push_str(&format!("\nhelp: {h}"));
                }
                let _ = writeln!(
                    out,
                    "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                    prop(&l.file),
                    l.line,
                    l.column,
                    l.end_line,
                    l.end_column,
                    prop(&format!("convoxc {}", l.code)),
                    data(&text)
                );
            }
        }
        Format::Sarif => {
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&sarif(&located)).expect("JSON"));
        }
    }
    Some(out)
}

fn human(sources: &Sources, diagnostics: &[Diagnostic]) {
    let theme = if crate::args::color_stderr() {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme);
    for d in diagnostics {
        let mut out = String::new();
        let report = Report::new(d, sources);
        if handler.render_report(&mut out, &report).is_ok() {
            eprint!("{out}");
        }
    }
    let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    let (errors, warnings, notes) = (count(Severity::Error), count(Severity::Warning), count(Severity::Note));
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let notes = if notes > 0 {
        format!(", {}", plural(notes, "note"))
    } else {
        String::new()
    };
    if errors == 0 && warnings == 0 {
        eprintln!("ok: no problems found{notes}");
    } else {
        eprintln!("{}, {}{notes}", plural(errors, "error"), plural(warnings, "warning"));
    }
}

/// Escape a workflow-command property value.
fn prop(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Escape workflow-command message data.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn sarif(located: &[Located]) -> serde_json::Value {
    let rules: Vec<_> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "shortDescription": { "text": c.description() },
                "defaultConfiguration": { "level": c.default_severity().sarif() },
            })
        })
        .collect();
    let results: Vec<_> = located
        .iter()
        .map(|l| {
            let mut text = if l.path.is_empty() { l.message.clone() } else { format!("{}: {}", l.path, l.message) };
            if let Some(h) = &l.help {
                text.push_str(&format!(" (help: {h})"));
            }
            json!({
                "ruleId": l.code.as_str(),
                "ruleIndex": Code::ALL.iter().position(|c| *c == l.code),
                "level": l.severity.sarif(),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": l.file.replace('\\', "/") },
                        "region": { "startLine": l.line, "startColumn": l.column, "endLine": l.end_line, "endColumn": l.end_column },
                    },
                    "logicalLocations": if l.path.is_empty() { json!([]) } else { json!([{ "fullyQualifiedName": l.path, "kind": "member" }]) },
                }],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "convoxc", "version": env!("CARGO_PKG_VERSION"), "rules": rules } },
            "results": results,
        }],
    })
}
