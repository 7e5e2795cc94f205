//! No secret reaches a template: every golden case and every accepted real-world corpus file is
//! built with a distinct value for every `${NAME}` it references and for every environment
//! variable it declares. A value whose name looks like a secret appears in no template, and the
//! value of a declared variable appears only where the file interpolates it (the warned case).

use convoxc_compiler::front::check::secrets::looks_secret;
use convoxc_tests::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// A distinct value that is also a valid domain name (most references are `domain: ${HOST}`).
fn value_of(name: &str) -> String {
    format!(
        "v4lue-of-{}-9c1e.example.org",
        name.to_ascii_lowercase().replace('_', "-")
    )
}

#[test]
fn no_secret_reaches_a_template_of_the_golden_and_corpus_builds() {
    // each file with the values its typed fields need (a golden case's, `env_for`'s)
    let mut files: Vec<(PathBuf, Vec<(String, String)>)> =
        golden_cases().into_iter().map(|c| (c.path, c.vars)).collect();
    let mut corpus: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    corpus.sort();
    files.extend(corpus.into_iter().map(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let vars = env_for(&name)
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        (p, vars)
    }));
    let reference = regex_lite_refs;
    let (mut built, mut secret_refs) = (0, 0);
    let mut skipped = Vec::new();
    for (path, typed) in files {
        let text = read(&path);
        let referenced: BTreeSet<String> = reference(&text);
        // the declared variables, from a first load
        let first = load_interpolated(&path, &[]);
        let declared: BTreeSet<String> = first
            .app
            .iter()
            .flat_map(|a| a.services.iter().flat_map(|s| s.environment.iter()))
            .map(|d| d.name().to_string())
            .filter(|n| n != "*")
            .collect();
        let mut vars: BTreeMap<String, String> = referenced
            .iter()
            .chain(&declared)
            .map(|n| (n.clone(), value_of(n)))
            .collect();
        vars.extend(typed);
        secret_refs += referenced.iter().filter(|n| looks_secret(n)).count();
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let l = load_interpolated(&path, &pairs);
        let Some(app) = l.app else {
            skipped.push(format!("{}: {}", path.display(), error_summary(&l).join(" ")));
            continue;
        };
        let options = convoxc_compiler::back::BuildOptions {
            app: "myapp".into(),
            rack: Some("production".into()),
            env_names: vars.keys().cloned().collect(),
            env_versions: Default::default(),
            keep: Vec::new(),
            builds: Default::default(),
        };
        let Ok(bundle) = convoxc_compiler::back::build(&app, &options) else {
            continue;
        };
        built += 1;
        let texts: Vec<&str> = std::iter::once(bundle.app.text.as_str())
            .chain(bundle.nested().map(|(_, t)| t.text.as_str()))
            .collect();
        for (name, value) in &vars {
            let found = texts.iter().any(|t| t.contains(value.as_str()));
            if looks_secret(name) {
                assert!(!found, "{}: the value of {name} is in a template", path.display());
            } else if found {
                assert!(
                    referenced.contains(name),
                    "{}: the value of {name}, never interpolated, is in a template",
                    path.display()
                );
            }
        }
    }
    eprintln!("{built} bundles built; {secret_refs} references to secret-looking names in the files");
    // the golden cases and the 122 accepted corpus files; the rejected ones are listed in corpus.rs
    assert!(built >= 155, "{built}:\n{}", skipped.join("\n"));
}

/// The names the text references as `${NAME}`.
fn regex_lite_refs(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        rest = &rest[i + 2..];
        if let Some(j) = rest.find('}') {
            out.insert(rest[..j].to_string());
            rest = &rest[j + 1..];
        }
    }
    out
}
