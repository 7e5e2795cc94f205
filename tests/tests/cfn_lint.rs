//! cfn-lint (pinned, pip) over every template of every golden bundle and of every accepted
//! real-world corpus file: zero errors, zero warnings.

use convoxc_tests::*;

#[test]
fn every_template_passes_cfn_lint() {
    let dir = tempfile::tempdir().unwrap();
    let mut golden = Vec::new();
    for case in golden_cases() {
        golden.extend(write_bundle(
            &build_path(&case.path, &case.vars),
            &dir.path().join("golden").join(&case.name),
        ));
    }
    let mut corpus = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let vars: Vec<(String, String)> = env_for(&name)
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if load_interpolated(&path, &pairs).has_errors() {
            continue; // the rejected files are listed in corpus.rs
        }
        corpus.extend(write_bundle(
            &build_path(&path, &vars),
            &dir.path().join("corpus").join(name.trim_end_matches(".yml")),
        ));
    }
    eprintln!(
        "cfn-lint: {} golden templates, {} corpus templates",
        golden.len(),
        corpus.len()
    );
    assert!(golden.len() > 100 && corpus.len() > 300);
    let all: Vec<_> = golden.into_iter().chain(corpus).collect();
    let (code, findings) = cfn_lint(&all);
    assert!(
        code == 0 && findings.trim().is_empty(),
        "cfn-lint exit {code}:\n{findings}"
    );
}
