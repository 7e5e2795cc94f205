//! cfn-lint (pinned, pip) over every template of every golden bundle and of every accepted
//! real-world corpus file, as built and with each template's parameter defaults replaced by the
//! values it gets when deployed (`write_resolved_bundle`): zero errors, zero warnings.

use convoxc_tests::*;

#[test]
fn every_template_passes_cfn_lint() {
    let dir = tempfile::tempdir().unwrap();
    let mut golden = Vec::new();
    // each bundle as built, and resolved: every template's parameter defaults replaced by the
    // values it gets when deployed (what its parent passes), so that enum and range rules see them
    let mut resolved = Vec::new();
    for case in golden_cases() {
        let bundle = build_path(&case.path, &case.vars);
        golden.extend(write_bundle(&bundle, &dir.path().join("golden").join(&case.name)));
        resolved.extend(write_resolved_bundle(
            &bundle,
            &dir.path().join("resolved/golden").join(&case.name),
        ));
    }
    let mut corpus = Vec::new();
    for (name, path, vars) in corpus_manifests() {
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if load_interpolated(&path, &pairs).has_errors() {
            continue; // the rejected files are listed in corpus.rs
        }
        let bundle = build_path(&path, &vars);
        corpus.extend(write_bundle(
            &bundle,
            &dir.path().join("corpus").join(name.trim_end_matches(".yml")),
        ));
        resolved.extend(write_resolved_bundle(
            &bundle,
            &dir.path().join("resolved/corpus").join(name.trim_end_matches(".yml")),
        ));
    }
    // an app too big for one stack: its app stack and group stacks (and one service)
    let large = large_app(&dir.path().join("large"));
    eprintln!(
        "cfn-lint: {} golden templates, {} corpus templates, {} of a 241-service app, {} resolved",
        golden.len(),
        corpus.len(),
        large.len(),
        resolved.len()
    );
    assert!(golden.len() > 100 && corpus.len() > 300);
    assert_eq!(resolved.len(), golden.len() + corpus.len());
    let all: Vec<_> = golden.into_iter().chain(corpus).chain(large).chain(resolved).collect();
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
