//! The published JSON Schemas agree with the compiler: every file the compiler accepts, the
//! convox.yml schema accepts; every file rejected for an unknown key, it rejects. The rack-params
//! schema file is the one generated from the parameter table. schema/catalog.json (the SchemaStore
//! catalog entry) points at the schema's `$id`.

use convoxc_compiler::front::{schema, yaml};
use convoxc_tests::*;
use std::path::Path;

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(schema::MANIFEST).expect("schema is JSON");
    jsonschema::draft7::new(&schema).expect("schema compiles")
}

/// The file as an editor sees it: raw text (no interpolation), YAML 1.1 scalars, merge keys applied.
fn as_json(path: &Path) -> serde_json::Value {
    let text = read(path);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    yaml::parse(text).expect("valid YAML").to_json()
}

fn schema_errors(v: &jsonschema::Validator, path: &Path) -> Vec<String> {
    let json = as_json(path);
    v.iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn corpus() -> Vec<std::path::PathBuf> {
    corpus_files()
}

#[test]
fn accepted_files_validate_against_the_schema() {
    let v = validator();
    let mut failures = Vec::new();
    let mut checked = 0;
    let conformance_ok = [
        "env.yml",
        "simple.yml",
        "nlb.yml",
        "nlb-tls.yml",
        "nlb-tls-iam.yml",
        "nlb-tls-internal.yml",
        "nlb-tls-mixed.yml",
        "nlb-different-container-port.yml",
    ];
    let files = conformance_ok.iter().map(|f| conformance(f)).chain(corpus());
    for path in files {
        if load_path(&path, None).has_errors() {
            continue;
        }
        checked += 1;
        let errors = schema_errors(&v, &path);
        if !errors.is_empty() {
            failures.push(format!("{}: {}", path.display(), errors.join("; ")));
        }
    }
    assert!(checked >= 120, "only {checked} files checked");
    assert!(
        failures.is_empty(),
        "the schema rejects files the compiler accepts:\n{}",
        failures.join("\n")
    );
}

#[test]
fn unknown_key_files_are_rejected_by_the_schema() {
    let v = validator();
    let mut checked = 0;
    for path in std::iter::once(conformance("invalid.2.yml")).chain(corpus()) {
        let l = load_path(&path, None);
        if !l
            .diagnostics
            .iter()
            .any(|d| d.code == convoxc_compiler::Code::UnknownKey)
        {
            continue;
        }
        checked += 1;
        assert!(
            !schema_errors(&v, &path).is_empty(),
            "{}: the schema accepts an unknown key",
            path.display()
        );
    }
    assert!(checked >= 12, "only {checked} unknown-key files");
}

#[test]
fn schema_describes_every_service_key_the_compiler_knows() {
    let s: serde_json::Value = serde_json::from_str(schema::MANIFEST).unwrap();
    let text = s.to_string();
    for key in convoxc_compiler::front::keys::Place::Service.known() {
        assert!(text.contains(&format!("\"{key}\"")), "schema lacks service key {key}");
    }
}

#[test]
fn rack_params_schema_file_is_generated() {
    let committed = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/rack-params.schema.json"));
    if std::env::var_os("CONVOXC_WRITE_SCHEMA").is_some() {
        std::fs::write(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/rack-params.schema.json"),
            schema::rack_params_text(),
        )
        .unwrap();
        return;
    }
    assert!(
        committed == schema::rack_params_text(),
        "schema/rack-params.schema.json is stale: run `cargo run -p convoxc -- schema --rack-params > schema/rack-params.schema.json`"
    );
    let v = jsonschema::draft7::new(&schema::rack_params()).expect("compiles");
    assert!(v.is_valid(&serde_json::json!({"Internal": "Yes", "NLB": true, "InstanceCount": 3, "Tags": "a=b"})));
    assert!(!v.is_valid(&serde_json::json!({"Internl": "Yes"})));
    assert!(!v.is_valid(&serde_json::json!({"Internal": "maybe"})));
    assert!(!v.is_valid(&serde_json::json!({"InstanceCount": 2})));
}

#[test]
fn catalog_entry_names_the_schema_by_its_id() {
    let s: serde_json::Value = serde_json::from_str(schema::MANIFEST).unwrap();
    let id = s["$id"].as_str().expect("the schema has an $id");
    assert_eq!(
        id,
        "https://raw.githubusercontent.com/convoxc/convoxc/main/schema/convox.schema.json"
    );
    let catalog: serde_json::Value =
        serde_json::from_str(&read(&repo().join("schema/catalog.json"))).expect("catalog is JSON");
    let entries = catalog["schemas"]
        .as_array()
        .expect("a SchemaStore catalog has schemas");
    let entry = entries
        .iter()
        .find(|e| e["name"] == "convox.yml")
        .expect("an entry for convox.yml");
    assert_eq!(entry["url"].as_str(), Some(id), "the catalog's url is the schema's $id");
    assert_eq!(entry["fileMatch"], serde_json::json!(["convox.yml", "convox.yaml"]));
    assert!(entry["description"].as_str().is_some_and(|d| !d.is_empty()));
}
