//! Snapshots of the IR (what will be deployed, every default resolved) for the example app and
//! convox's accepted fixtures. A change to a default shows up as a reviewable snapshot diff.

use convoxc_tests::*;
use std::path::Path;

fn ir(path: &Path, env: &[(&str, &str)]) -> serde_json::Value {
    let l = load_path(path, Some(env));
    let why = explain(&l);
    serde_json::to_value(l.app.unwrap_or_else(|| panic!("{why}"))).expect("IR serialises")
}

#[test]
fn example_app() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/convox.yml");
    insta::assert_json_snapshot!("example", ir(&path, &[("SECRET_KEY_BASE", "x")]));
}

#[test]
fn conformance_fixtures() {
    for (file, env) in [
        ("env.yml", &[][..]),
        ("simple.yml", &[("REQUIRED", "test")][..]),
        ("nlb.yml", &[][..]),
        ("nlb-tls.yml", &[][..]),
        ("nlb-tls-iam.yml", &[][..]),
        ("nlb-tls-internal.yml", &[][..]),
        ("nlb-tls-mixed.yml", &[][..]),
        ("nlb-different-container-port.yml", &[][..]),
    ] {
        insta::assert_json_snapshot!(file.trim_end_matches(".yml"), ir(&conformance(file), env));
    }
}
