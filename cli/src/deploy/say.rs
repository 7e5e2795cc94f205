//! What a deploy writes to stdout: lines for a person (`--format text`), or one JSON object per
//! line for CI (`--format json`): `upload`, `waiting`, `note`, `plan` (the change set and the
//! report `diff --format json` gives), `stored`, `executing`, `event` (one per stack event) and,
//! last, exactly one `verdict`. Questions and diagnostics go to stderr in JSON mode, so that
//! stdout stays JSON lines.

use clap::ValueEnum;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// `--format` of `apply` and `rack apply`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum DeployFormat {
    /// Lines for a person; on a terminal, a status line redrawn in place while following.
    #[default]
    Text,
    /// JSON lines: one object per step with a `type`, ending with one `verdict`.
    Json,
}

static FORMAT: OnceLock<DeployFormat> = OnceLock::new();
static VERDICT_SAID: AtomicBool = AtomicBool::new(false);
static STEPS_TO_STDERR: AtomicBool = AtomicBool::new(false);

/// Text steps go to stderr: stdout is kept for the one result a script reads (`images push`
/// prints the build ID there).
pub(crate) fn steps_to_stderr() {
    STEPS_TO_STDERR.store(true, Ordering::SeqCst);
}

/// Set once, when the command starts.
pub(crate) fn set(format: DeployFormat) {
    let _ = FORMAT.set(format);
}

pub(crate) fn json() -> bool {
    FORMAT.get() == Some(&DeployFormat::Json)
}

/// One step: `text` for a person, `event` (its `type` first) for CI.
pub(crate) fn step(text: impl AsRef<str>, event: Value) {
    if json() {
        line(&event);
    } else if STEPS_TO_STDERR.load(Ordering::SeqCst) {
        eprintln!("{}", text.as_ref());
    } else {
        println!("{}", text.as_ref());
    }
}

/// A note for a person; in JSON mode, `{"type":"note","text":…}`.
pub(crate) fn note(text: impl AsRef<str>) {
    step(text.as_ref(), json!({"type": "note", "text": text.as_ref()}));
}

/// The last line: how the deploy ended. `result`: ok, failed, unchanged, stored, held, error.
pub(crate) fn verdict(text: impl AsRef<str>, mut event: Value) {
    VERDICT_SAID.store(true, Ordering::SeqCst);
    event["type"] = json!("verdict");
    step(text, event);
}

/// A command that ends with an error before any verdict: in JSON mode, its verdict line (the
/// error itself also goes to stderr).
pub(crate) fn error_verdict(message: &str) {
    if json() && !VERDICT_SAID.load(Ordering::SeqCst) {
        verdict("", json!({"result": "error", "message": message}));
    }
}

/// Where a question goes: stdout for a person, stderr when stdout is JSON lines.
pub(crate) fn prompt(text: &str) {
    if json() {
        eprint!("{text}");
        let _ = std::io::stderr().flush();
    } else {
        print!("{text}");
        let _ = std::io::stdout().flush();
    }
}

fn line(event: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", render(event));
    let _ = out.flush();
}

/// One compact JSON object: `type` first, then the rest in key order (stable, easy to read in a
/// log).
fn render(event: &Value) -> String {
    let mut s = String::from("{");
    let Some(map) = event.as_object() else {
        return event.to_string();
    };
    let first = map.get_key_value("type").into_iter();
    for (k, v) in first.chain(map.iter().filter(|(k, _)| *k != "type")) {
        if s.len() > 1 {
            s.push(',');
        }
        s.push_str(&Value::String(k.clone()).to_string());
        s.push(':');
        s.push_str(&v.to_string());
    }
    s.push('}');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_puts_its_type_first_and_is_one_json_object() {
        let event = json!({"stack": "r-app", "type": "verdict", "result": "ok", "outputs": {"B": "2", "A": "1"}});
        let s = render(&event);
        assert_eq!(
            s,
            r#"{"type":"verdict","outputs":{"A":"1","B":"2"},"result":"ok","stack":"r-app"}"#
        );
        assert_eq!(serde_json::from_str::<Value>(&s).unwrap(), event);
        assert!(!s.contains('\n'));
    }
}
