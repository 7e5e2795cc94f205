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
    // an app too big for one stack: its app stack and group stacks (and one service)
    let large = large_app(&dir.path().join("large"));
    eprintln!(
        "cfn-lint: {} golden templates, {} corpus templates, {} of a 241-service app",
        golden.len(),
        corpus.len(),
        large.len()
    );
    assert!(golden.len() > 100 && corpus.len() > 300);
    let all: Vec<_> = golden.into_iter().chain(corpus).chain(large).collect();
    let (code, findings) = cfn_lint(&all);
    assert!(
        code == 0 && findings.trim().is_empty(),
        "cfn-lint exit {code}:\n{findings}"
    );
}

/// 241 services (public, internal, with domains and a database) make group stacks: writes the
/// app stack, the groups and two services, and returns their paths.
fn large_app(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut text = String::from("resources:\n  db:\n    type: postgres\nservices:\n");
    for i in 0..240 {
        let internal = if i % 10 == 0 { "\n    internal: true" } else { "" };
        text.push_str(&format!(
            "  s{i}:\n    port: 3000\n    domain: s{i}.example.org\n    resources: [db]{internal}\n"
        ));
    }
    // `ServiceRoleArn`, the logical ID of this service, is also the name a group gives the
    // ServiceRole ARN it is passed
    text.push_str("  role-arn:\n    port: 3000\n");
    let path = dir.join("convox.yml");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(&path, text).unwrap();
    let bundle = build_path(&path, &[]);
    assert!(bundle.groups.len() >= 2, "{} groups", bundle.groups.len());
    let files = write_bundle(&bundle, &dir.join("out"));
    files
        .into_iter()
        .filter(|p| {
            let rel = p.strip_prefix(dir.join("out")).unwrap().to_string_lossy().into_owned();
            rel == "app.json"
                || rel.starts_with("groups/")
                || rel == "services/s0.json"
                || rel == "services/role-arn.json"
        })
        .collect()
}
