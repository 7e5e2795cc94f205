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

/// Load a file as `convoxc validate FILE` does: no environment given, so the `${VAR}`s left unset
/// are values the rack supplies at deploy.
pub fn load_as_validate(path: &Path) -> Loaded {
    load(Input {
        manifest: Some(SourceFile::new(path.display().to_string(), read(path))),
        supplied_at_deploy: true,
        ..Input::default()
    })
}

/// The number README.md states as "**N of 150 accepted**" for the real-world corpus.
pub fn readme_corpus_accepted() -> usize {
    let readme = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"));
    let at = readme
        .find(" of 150 accepted**")
        .expect("README states the corpus count");
    let digits: String = readme[..at].chars().rev().take_while(char::is_ascii_digit).collect();
    digits.chars().rev().collect::<String>().parse().expect("a number")
}

/// Files whose typed positions come from `${VAR}` (a port, a bool, a schedule, resource options):
/// `validate` leaves them to the rack (notes), a build needs their values: these plausible ones.
pub fn env_for(file: &str) -> &'static [(&'static str, &'static str)] {
    match file {
        "004-Algorhythm-IO-ghost-on-heroku.yml" => &[("PORT", "2368"), ("HOST", "blog.example.org")],
        "071-copotrzebne-pl-copotrzebne-api.yml" => &[
            ("DB_INSTANCE_TYPE", "db.t3.micro"),
            ("DB_STORAGE", "20"),
            ("DB_ENCRYPTED", "true"),
            ("DB_MULTI_AZ", "false"),
            ("DOMAIN", "api.example.org"),
        ],
        // `- ELASTICSEARCH_INDEX=clevy:${STAGE}` becomes a map entry when STAGE is empty
        "087-frsechet-convox-overwrite-env-var.yml" => &[("STAGE", "production")],
        "102-lunias-photo.yml" => &[
            ("POSTGRES_INSTANCE_CLASS", "db.t3.small"),
            ("POSTGRES_STORAGE_SIZE", "20"),
            ("POSTGRES_VERSION", "14"),
        ],
        "143-convox-console-app.yml" => &[
            ("HOST", "console.example.org"),
            ("INTERNAL", "false"),
            ("CONSOLE_STATUS_SCHEDULE", "*/5 * * * ?"),
            ("CONSOLE_UPDATE_SCHEDULE", "0 * * * ?"),
            ("CONSOLE_WEBHOOKS_SCHEDULE", "* * * * ?"),
        ],
        _ => &[],
    }
}

/// One golden case of golden/cases.txt.
pub struct Case {
    pub name: String,
    pub path: PathBuf,
    pub vars: Vec<(String, String)>,
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn golden_cases() -> Vec<Case> {
    let text = read(&repo().join("golden/cases.txt"));
    let mut cases = Vec::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut parts = line.splitn(3, char::is_whitespace);
        let name = parts.next().unwrap_or_default().to_string();
        let source = parts.next().unwrap_or_else(|| panic!("case {name} has no source"));
        let path = match source.strip_prefix("shared:") {
            Some(rel) => shared().join(rel),
            None => repo().join(source),
        };
        let vars = parts
            .next()
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p
                    .split_once('=')
                    .unwrap_or_else(|| panic!("case {name}: `{p}` is not KEY=VALUE"));
                (k.to_string(), v.to_string())
            })
            .collect();
        cases.push(Case { name, path, vars });
    }
    cases
}

/// Load and build a manifest (app `myapp` on rack `production`), panicking with the diagnostics.
pub fn build_path(path: &Path, vars: &[(String, String)]) -> convoxc_compiler::back::Bundle {
    build_path_keeping(path, vars, Vec::new())
}

/// `build_path`, keeping these deployed values (`convoxc build --deployed`).
pub fn build_path_keeping(
    path: &Path,
    vars: &[(String, String)],
    keep: Vec<convoxc_compiler::back::Keep>,
) -> convoxc_compiler::back::Bundle {
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let l = load_interpolated(path, &pairs);
    let why = explain(&l);
    let app = l.app.unwrap_or_else(|| panic!("{}: {why}", path.display()));
    let options = convoxc_compiler::back::BuildOptions {
        app: "myapp".into(),
        rack: Some("production".into()),
        env_names: Default::default(),
        env_versions: Default::default(),
        keep,
        builds: Default::default(),
    };
    convoxc_compiler::back::build(&app, &options).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Write a bundle under `dir`; returns the files written.
pub fn write_bundle(bundle: &convoxc_compiler::back::Bundle, dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![(dir.join("app.json"), &bundle.app.text)];
    for (rel, t) in bundle.nested() {
        files.push((dir.join(rel), &t.text));
    }
    files
        .into_iter()
        .map(|(p, text)| {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect()
}

/// The cfn-lint version the tests are pinned to (installed by .ci/run).
pub const CFN_LINT_VERSION: &str = "1.51.0";

/// Run the pinned cfn-lint over files: (exit code, findings in parseable form).
pub fn cfn_lint(files: &[PathBuf]) -> (i32, String) {
    let version = std::process::Command::new("cfn-lint")
        .arg("--version")
        .output()
        .unwrap_or_else(|e| {
            panic!("cfn-lint is not installed ({e}): pip install cfn-lint=={CFN_LINT_VERSION} (.ci/run does)")
        });
    let v = String::from_utf8_lossy(&version.stdout);
    assert!(
        v.contains(CFN_LINT_VERSION),
        "cfn-lint {CFN_LINT_VERSION} is pinned, found {v}"
    );
    let mut all = String::new();
    let mut code = 0;
    // in chunks, to stay far below the argument-length limit
    for chunk in files.chunks(400) {
        let out = std::process::Command::new("cfn-lint")
            .args(["-f", "parseable", "--"])
            .args(chunk)
            .output()
            .expect("cfn-lint runs");
        code |= out.status.code().unwrap_or(-1);
        all.push_str(&String::from_utf8_lossy(&out.stdout));
        all.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    (code, all)
}

/// The checkov version the tests are pinned to (installed by .ci/run).
pub const CHECKOV_VERSION: &str = "3.3.30";

/// checkov's summary of one directory of templates, with `checkov/config.yaml`.
pub struct Checkov {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
    /// `CHECK resource file` for every failed check.
    pub failures: Vec<String>,
}

/// Run the pinned checkov (offline) over every template in `dir`.
pub fn checkov(dir: &Path) -> Checkov {
    let version = std::process::Command::new("checkov")
        .arg("--version")
        .output()
        .unwrap_or_else(|e| {
            panic!("checkov is not installed ({e}): pip install checkov=={CHECKOV_VERSION} (.ci/run does)")
        });
    let v = String::from_utf8_lossy(&version.stdout);
    assert!(
        v.contains(CHECKOV_VERSION),
        "checkov {CHECKOV_VERSION} is pinned, found {v}"
    );
    let out = std::process::Command::new("checkov")
        .arg("--config-file")
        .arg(repo().join("checkov/config.yaml"))
        .args(["-o", "json", "-d"])
        .arg(dir)
        .output()
        .expect("checkov runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "checkov's output is not JSON ({e}):\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // one report per framework: a list, or a single object
    let reports: Vec<&serde_json::Value> = match &v {
        serde_json::Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut c = Checkov {
        passed: 0,
        failed: 0,
        skipped: 0,
        failures: Vec::new(),
    };
    for r in reports {
        let s = &r["summary"];
        c.passed += s["passed"].as_u64().unwrap_or(0);
        c.failed += s["failed"].as_u64().unwrap_or(0);
        c.skipped += s["skipped"].as_u64().unwrap_or(0);
        assert_eq!(
            s["parsing_errors"].as_u64().unwrap_or(0),
            0,
            "checkov could not parse a template in {}",
            dir.display()
        );
        for f in r["results"]["failed_checks"].as_array().into_iter().flatten() {
            c.failures.push(format!(
                "{} {} {}",
                f["check_id"].as_str().unwrap_or(""),
                f["resource"].as_str().unwrap_or(""),
                f["file_path"].as_str().unwrap_or("")
            ));
        }
    }
    c
}

/// The body of an insta snapshot file (what the snapshot test asserts a build gives).
pub fn snapshot_body(path: &Path) -> String {
    let text = read(path);
    match text.split_once("\n---\n") {
        Some((_, body)) => body.to_string(),
        None => text,
    }
}

/// Write each template of a bundle with its parameter defaults replaced by the values it gets
/// when deployed: the root's are the manifest's already (its `params:` are the defaults), a nested
/// stack's are what its parent passes, as far as known at build (an output or an import is left
/// as the default), so that cfn-lint's value rules check what will be deployed, not `Ref`s.
pub fn write_resolved_bundle(bundle: &convoxc_compiler::back::Bundle, dir: &Path) -> Vec<PathBuf> {
    use convoxc_compiler::back::Template;
    use convoxc_compiler::back::constraints::{passed, resolved};
    use convoxc_compiler::back::eval::Params;
    let by_key: std::collections::HashMap<String, (String, &Template)> =
        bundle.nested().map(|(rel, t)| (t.key(), (rel, t))).collect();
    let mut out = Vec::new();
    let mut todo: Vec<(String, &Template, Option<Params>)> = vec![("app.json".into(), &bundle.app, None)];
    while let Some((rel, t, given)) = todo.pop() {
        let mut v = t.value().clone();
        let params = resolved(&v, given.as_ref());
        for (k, value) in given.iter().flatten() {
            let Some(decl) = v.pointer_mut(&format!("/Parameters/{k}")) else {
                continue;
            };
            let text = value.as_str().unwrap_or_default();
            let number = (decl["Type"] == "Number").then(|| text.parse::<i64>().ok()).flatten();
            decl["Default"] = number.map_or_else(|| serde_json::json!(text), |n| serde_json::json!(n));
        }
        for (child_rel, child, known, _) in passed(t.value(), &params, &by_key) {
            todo.push((child_rel, child, Some(known)));
        }
        let p = dir.join(&rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        out.push(p);
    }
    out.sort();
    out
}

/// A manifest to build: (name, path, env).
pub type Manifest = (String, PathBuf, Vec<(String, String)>);

/// Every file of the real-world corpus, sorted.
pub fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// Every file of the real-world corpus with the env its tests use.
pub fn corpus_manifests() -> Vec<Manifest> {
    corpus_files()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let vars = env_for(&name)
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (name, path, vars)
        })
        .collect()
}

/// A takeover case's manifest and env (its `case.json`).
pub fn takeover_case(case: &Path) -> (PathBuf, Vec<(String, String)>) {
    let meta: serde_json::Value = serde_json::from_str(&read(&case.join("case.json"))).unwrap();
    let manifest = shared().join(meta["manifest"].as_str().unwrap());
    let vars = meta["env"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
        .collect();
    (manifest, vars)
}
