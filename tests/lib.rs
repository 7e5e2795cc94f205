//! Helpers for the cross-crate tests in `tests/*.rs`.

use convoxc_compiler::{Input, Loaded, Located, Severity, SourceFile, load};
use std::path::{Path, PathBuf};

/// `../shared` beside the repository (override with CONVOXC_SHARED).
pub fn shared() -> PathBuf {
    match std::env::var_os("CONVOXC_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

pub fn conformance(name: &str) -> PathBuf {
    shared().join("conformance/convox-rack").join(name)
}

pub fn corpus_dir() -> PathBuf {
    shared().join("corpus/real-world")
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Load manifest text. `env: None` means no environment was given at all.
pub fn load_text(name: &str, text: &str, env: Option<&[(&str, &str)]>) -> Loaded {
    load_with_rack(name, text, env, None)
}

/// Load manifest text, with rack params text (`rack.yml`).
pub fn load_with_rack(name: &str, text: &str, env: Option<&[(&str, &str)]>, rack: Option<&str>) -> Loaded {
    load(Input {
        manifest: Some(SourceFile::new(name, text)),
        env: env
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        env_known: env.is_some(),
        rack_params: rack.map(|r| SourceFile::new("rack.yml", r)),
        ..Input::default()
    })
}

pub fn load_path(path: &Path, env: Option<&[(&str, &str)]>) -> Loaded {
    load_text(&path.display().to_string(), &read(path), env)
}

/// Every diagnostic of a severity, located.
pub fn located(l: &Loaded, severity: Severity) -> Vec<Located> {
    l.diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .map(|d| Located::new(d, &l.sources))
        .collect()
}

/// `code@line` for every error, for compact assertions.
pub fn error_summary(l: &Loaded) -> Vec<String> {
    located(l, Severity::Error)
        .iter()
        .map(|d| format!("{}@{}", d.code, d.line))
        .collect()
}

/// Render every diagnostic for a failure message.
pub fn explain(l: &Loaded) -> String {
    l.diagnostics
        .iter()
        .map(|d| {
            let x = Located::new(d, &l.sources);
            format!(
                "{:?} {} {}:{} {}: {}",
                x.severity, x.code, x.line, x.column, x.path, x.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Load with values for `${VAR}` interpolation only: the environment is not declared complete, so
/// required variables are not checked (as in CI, where the values live in the rack).
pub fn load_interpolated(path: &Path, vars: &[(&str, &str)]) -> Loaded {
    load(Input {
        manifest: Some(SourceFile::new(path.display().to_string(), read(path))),
        env: vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        env_known: false,
        ..Input::default()
    })
}
