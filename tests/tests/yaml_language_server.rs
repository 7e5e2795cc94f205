//! The convox.yml schema as editors use it: yaml-language-server (the version pinned in
//! tests/yls/package.json, driven over stdio by tests/yls/check.mjs) gives no error on a file that
//! `convoxc validate` accepts. yaml-language-server publishes every Warning it computes as an Error,
//! so a schema mark meant as a warning (`deprecationMessage`) would reject the file in the editor;
//! keys that the compiler only warns about must be marked without one.
//!
//! Needs Node and npm; tests/yls/node_modules is installed with `npm ci` when it is missing or holds
//! another version (.ci/run installs it up front).

use convoxc_tests::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn yls_dir() -> PathBuf {
    repo().join("tests/yls")
}

/// The exact yaml-language-server version of tests/yls/package.json.
fn pinned_version() -> String {
    let manifest: Value = serde_json::from_str(&read(&yls_dir().join("package.json"))).expect("package.json is JSON");
    let v = manifest["dependencies"]["yaml-language-server"]
        .as_str()
        .expect("tests/yls/package.json depends on yaml-language-server")
        .to_string();
    assert!(
        v.starts_with("1.") && v.chars().all(|c| c.is_ascii_digit() || c == '.'),
        "yaml-language-server is pinned to an exact 1.x version, found `{v}`"
    );
    v
}

fn installed_version() -> Option<String> {
    let text = std::fs::read_to_string(yls_dir().join("node_modules/yaml-language-server/package.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v["version"].as_str().map(str::to_string)
}

/// tests/yls/node_modules with the pinned version: `npm ci` (from package-lock.json) if needed.
fn ensure_installed() {
    let want = pinned_version();
    if installed_version().as_deref() == Some(want.as_str()) {
        return;
    }
    eprintln!("installing yaml-language-server {want}: npm ci --prefix tests/yls");
    let status = Command::new("npm")
        .arg("ci")
        .arg("--prefix")
        .arg(yls_dir())
        .args(["--no-audit", "--no-fund"])
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "npm is not installed ({e}): this test needs Node and npm to install yaml-language-server \
                 {want} (`npm ci --prefix tests/yls`, which .ci/run runs)"
            )
        });
    assert!(status.success(), "`npm ci --prefix tests/yls` failed ({status})");
    assert_eq!(
        installed_version().as_deref(),
        Some(want.as_str()),
        "npm ci did not install yaml-language-server {want}"
    );
}

/// What yaml-language-server says of one file.
struct Verdict {
    errors: Vec<String>,
    warnings: u64,
}

/// Run tests/yls/check.mjs over the files: the errors (severity 1) of each file, by path.
fn yaml_language_server(files: &[PathBuf]) -> std::collections::BTreeMap<PathBuf, Verdict> {
    let out = Command::new("node")
        .arg(yls_dir().join("check.mjs"))
        .arg("--schema")
        .arg(repo().join("schema/convox.schema.json"))
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("node is not installed ({e}): this test runs yaml-language-server on Node"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tests/yls/check.mjs failed ({}):\n{}\n{stdout}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut verdicts = std::collections::BTreeMap::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("check.mjs printed `{line}`: {e}"));
        let file = PathBuf::from(v["file"].as_str().expect("a file"));
        let errors = v["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e.as_str().unwrap_or_default().to_string())
            .collect();
        let warnings = v["warnings"].as_u64().expect("warnings");
        verdicts.insert(file, Verdict { errors, warnings });
    }
    verdicts
}

fn yml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn yaml_language_server_gives_no_error_on_files_the_compiler_accepts() {
    ensure_installed();
    let files: Vec<PathBuf> = yml_files(&corpus_dir())
        .into_iter()
        .chain(yml_files(&shared().join("conformance/convox-rack")))
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
        .collect();
    assert!(files.len() >= 175, "only {} files", files.len());
    let verdicts = yaml_language_server(&files);

    let (mut both_accept, mut both_reject) = (0, 0);
    let mut schema_only = Vec::new();
    let mut compiler_only = Vec::new();
    let mut warned = 0;
    for path in &files {
        let v = verdicts
            .get(path)
            .unwrap_or_else(|| panic!("yaml-language-server gave no verdict on {}", path.display()));
        if v.warnings > 0 {
            warned += 1;
        }
        // as `convoxc validate FILE` decides: no environment given, `${VAR}`s supplied at deploy
        let compiler_accepts = !load_as_validate(path).has_errors();
        let schema_accepts = v.errors.is_empty();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match (compiler_accepts, schema_accepts) {
            (true, true) => both_accept += 1,
            (false, false) => both_reject += 1,
            (true, false) => schema_only.push(format!("{}:\n    {}", path.display(), v.errors.join("\n    "))),
            (false, true) => compiler_only.push(name),
        }
    }
    eprintln!(
        "yaml-language-server {} with schema/convox.schema.json over {} files (compiler = `convoxc validate`):",
        pinned_version(),
        files.len()
    );
    eprintln!("  both accept            {both_accept:>4}");
    eprintln!("  both reject            {both_reject:>4}");
    eprintln!("  schema-only rejects    {:>4}", schema_only.len());
    eprintln!(
        "  compiler-only rejects  {:>4}  {}",
        compiler_only.len(),
        compiler_only.join(" ")
    );
    eprintln!("  files with non-error diagnostics: {warned}");
    assert!(
        schema_only.is_empty(),
        "yaml-language-server reports errors (severity 1) on {} files the compiler accepts:\n{}",
        schema_only.len(),
        schema_only.join("\n")
    );
    assert!(both_accept >= 120, "only {both_accept} files accepted by both");
}
