//! What AWS refuses at create time, beyond what cfn-lint sees: every value a parent stack passes
//! a nested stack meets the child's declared constraints, over every bundle we have (golden
//! cases, the accepted corpus, the takeover manifests, a very large app), and a manifest value
//! that breaks one is reported at its line.

use convoxc_compiler::back::constraints::violations;
use convoxc_tests::*;

/// Every manifest with a bundle: (name, path, env).
fn every_manifest() -> Vec<Manifest> {
    let mut out: Vec<_> = golden_cases()
        .into_iter()
        .map(|c| (format!("golden {}", c.name), c.path, c.vars))
        .collect();
    for (name, path, vars) in corpus_manifests() {
        out.push((format!("corpus {name}"), path, vars));
    }
    let mut cases: Vec<_> = std::fs::read_dir(shared().join("takeover/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    for case in cases {
        let (manifest, vars) = takeover_case(&case);
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        out.push((format!("takeover {name}"), manifest, vars));
    }
    out
}

#[test]
fn nested_parameters_hold_over_every_bundle() {
    let (mut bundles, mut refused) = (0, 0);
    let mut problems = Vec::new();
    for (name, path, vars) in every_manifest() {
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if load_interpolated(&path, &pairs).has_errors() {
            refused += 1; // each listed with its reason in corpus.rs or diff.rs
            continue;
        }
        bundles += 1;
        for v in violations(&build_path(&path, &vars)) {
            problems.push(format!(
                "{name}: {} {} = {:?}: {}",
                v.stack, v.parameter, v.value, v.rule
            ));
        }
    }
    eprintln!("{bundles} bundles checked, {refused} manifests refused before building");
    assert!(bundles > 200, "{bundles} bundles");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A value the front end lets through and a nested stack refuses is a `nested-parameter` error at
/// the manifest line it comes from: here the IR is changed after loading (as a front-end gap
/// would leave it) to a database storage below the resource template's MinValue.
#[test]
fn a_refused_nested_value_is_reported_at_its_line() {
    let text = "resources:\n  db:\n    type: postgres\n    options:\n      storage: 30\nservices:\n  web:\n    port: 3000\n    resources: [db]\n";
    let l = load_text("convox.yml", text, None);
    assert!(!l.has_errors(), "{}", explain(&l));
    let mut app = l.app.clone().unwrap();
    app.resources[0].options.insert("Storage".into(), "10".into());
    let options = convoxc_compiler::back::BuildOptions {
        app: "myapp".into(),
        rack: Some("production".into()),
        ..Default::default()
    };
    let bundle = convoxc_compiler::back::build(&app, &options).unwrap();
    let at = l.locations.as_ref().unwrap();
    let diags = convoxc_compiler::back::check(&bundle, &app, None, &options, at);
    let nested: Vec<_> = diags.iter().filter(|d| d.code.as_str() == "nested-parameter").collect();
    assert_eq!(nested.len(), 1, "{diags:?}");
    assert!(nested[0].message.contains("Storage") && nested[0].message.contains("MinValue 20"));
    let line = text[..nested[0].span.start].lines().count();
    assert_eq!(line, 5, "at `storage: 30`");
    // as built from the manifest, nothing is refused
    let fine = convoxc_compiler::back::build(l.app.as_ref().unwrap(), &options).unwrap();
    assert!(violations(&fine).is_empty());
}
