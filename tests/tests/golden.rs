//! Golden bundles: every template of every case in golden/cases.txt is an insta snapshot
//! (golden/snapshots/), so a change to the output is a reviewable diff. Determinism and
//! content addressing are checked here too.

use convoxc_tests::*;

#[test]
fn golden_bundles() {
    let cases = golden_cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo().join("golden/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for case in &cases {
            let bundle = build_path(&case.path, &case.vars);
            insta::assert_snapshot!(format!("{}@app.json", case.name), bundle.app.text);
            for (rel, t) in bundle.nested() {
                insta::assert_snapshot!(format!("{}@{}", case.name, rel.replace('/', "-")), t.text);
            }
        }
    });
}

#[test]
fn nested_template_urls_are_content_addressed() {
    let case = golden_cases()
        .into_iter()
        .find(|c| c.name == "features")
        .expect("features case");
    let bundle = build_path(&case.path, &case.vars);
    let root = &bundle.app.text;
    for (rel, t) in bundle.nested() {
        assert_eq!(t.sha256.len(), 64);
        assert!(
            root.contains(&format!("convoxc/templates/{}.json", t.sha256)),
            "{rel}: its URL is not in the root template"
        );
    }
}
