//! Releases and rollback with real components: moto's server for AWS (CloudFormation, S3, SSM,
//! the ECR API), Debian's distribution registry on 127.0.0.1 holding the images (seeded as a push
//! would, `moto/registry.rs`).
//!
//! What moto cannot show, and how these tests stand in: ECS starting tasks with the values (moto
//! runs no containers: the SSM values the containers would read are checked instead), and a
//! replacement's verdict in the change set (moto gives none: the report's classing comes from the
//! diff engine, as `apply.rs` documents). ECR lifecycle policies are not evaluated by moto: the
//! policy's rules are evaluated against a registry of 60 builds in `back/lifecycle.rs`'s unit test.

mod moto;

use moto::*;
use serde_json::Value;
use std::path::Path;

const MANIFEST: &str = "\
environment:
  - GREETING
resources:
  database:
    type: postgres
    options:
      encrypted: false
services:
  web:
    build: .
    port: 3000
    environment:
      - GREETING
    resources:
      - database
";

impl World {
    /// A rack, the app made (`apps create`: its registry), builds B1 and B2 in the registry.
    fn made() -> World {
        let w = World::new(|dir| {
            std::fs::write(dir.join("convox.yml"), MANIFEST).unwrap();
            std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
        });
        w.run(&["apps", "create", "myapp", "--rack", "r", "--yes"]).ok();
        let repo = w.moto.physical_id("r-myapp", "Registry");
        w.registry.seed(&repo, &["web.B1".into(), "web.B2".into()]);
        w
    }

    fn apply(&self, extra: &[&str]) -> Run {
        let m = self.dir.path().join("convox.yml").display().to_string();
        let mut args = vec!["apply", &m, "--app", "myapp", "--rack", "r", "--format", "json"];
        // --no-execute stops before asking (it conflicts with --yes)
        if !extra.contains(&"--no-execute") {
            args.push("--yes");
        }
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn releases(&self) -> Vec<Value> {
        let run = self
            .run(&["releases", "--app", "myapp", "--rack", "r", "--format", "json"])
            .ok();
        serde_json::from_str(&run.out).unwrap()
    }

    fn record(&self, id: &str) -> Value {
        let run = self
            .run(&[
                "releases", "info", id, "--app", "myapp", "--rack", "r", "--format", "json",
            ])
            .ok();
        serde_json::from_str(&run.out).unwrap()
    }

    /// The app stack's template as deployed, and its parameters.
    fn deployed(&self) -> (String, Vec<(String, String)>) {
        let cfn = self.moto.cfn();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let body = rt.block_on(async {
            cfn.get_template()
                .stack_name("r-myapp")
                .send()
                .await
                .unwrap()
                .template_body()
                .unwrap()
                .to_string()
        });
        (body, self.moto.stack_parameters("r-myapp"))
    }

    fn object(&self, key: &str) -> String {
        self.moto
            .objects()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, t)| t)
            .unwrap_or_else(|| panic!("no object {key}"))
    }
}

fn events(run: &Run) -> Vec<Value> {
    run.out.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// The ID of the release a run recorded.
fn recorded(run: &Run) -> String {
    events(run)
        .into_iter()
        .find(|e| e["type"] == "release")
        .unwrap_or_else(|| panic!("no release recorded: {}", run.out))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn edit(dir: &Path, from: &str, to: &str) {
    let p = dir.join("convox.yml");
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from));
    std::fs::write(p, text.replace(from, to)).unwrap();
}

fn schema() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/release.schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// Three deploys (a build change, then an environment and a database option change), listed with
/// the active one; a no-op records nothing; a rollback to the first is refused without
/// --allow-destroy (it replaces the database), held by --no-execute, then executed: the stack's
/// template and parameters are release 1's again (byte for byte, the Release aside), the values
/// the containers read are release 1's, and a fourth release records the rollback.
#[test]
fn three_deploys_listed_and_the_first_rolled_back() {
    let w = World::made();
    let r1 = recorded(&w.apply(&["--build", "B1", "-e", "GREETING=hello"]).ok());
    let (template1, params1) = w.deployed();
    let r2 = recorded(&w.apply(&["--build", "B2"]).ok());
    // the images a deployed release ran are marked for the registry's lifecycle policy
    let tags = w.registry.tags(&w.moto.physical_id("r-myapp", "Registry"));
    assert!(
        tags.contains(&"kept_web.B1".to_string()) && tags.contains(&"kept_web.B2".to_string()),
        "{tags:?}"
    );
    // a no-op: no change set, no release
    let sets = w.moto.change_set_count("r-myapp");
    let noop = w.apply(&[]).ok();
    assert!(events(&noop).iter().all(|e| e["type"] != "release"), "{}", noop.out);
    assert_eq!(w.moto.change_set_count("r-myapp"), sets);
    edit(w.dir.path(), "encrypted: false", "encrypted: true");
    let r3 = recorded(&w.apply(&["-e", "GREETING=bye", "--allow-destroy"]).ok());
    assert_eq!(w.moto.parameter("/convoxc/r/myapp/GREETING").unwrap().1, "bye");

    let list = w.releases();
    let ids: Vec<&str> = list.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [r3.as_str(), r2.as_str(), r1.as_str()]);
    let active: Vec<&str> = list
        .iter()
        .filter(|r| r["active"] == true)
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(active, [r3.as_str()]);
    let table = w.run(&["releases", "--app", "myapp", "--rack", "r"]).ok();
    assert!(table.out.starts_with("ID "), "{}", table.out);
    assert!(
        table.out.lines().nth(1).unwrap().contains("active, deployed"),
        "{}",
        table.out
    );

    // every record is schema-valid and holds no value
    let validator = schema();
    for id in [&r1, &r2, &r3] {
        let key = format!("convoxc/releases/myapp/{id}.json");
        let text = w.object(&key);
        let v: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{key}: {errors:?}");
        assert!(!text.contains("hello") && !text.contains("bye"), "{text}");
    }
    let one = w.record(&r1);
    assert_eq!(one["build"], "B1");
    assert_eq!(one["images"]["web"], "web.B1");
    assert_eq!(one["environment"]["GREETING"], 1);
    assert_eq!(w.record(&r3)["environment"]["GREETING"], 2);
    let reveal = w
        .run(&["releases", "info", &r1, "--app", "myapp", "--rack", "r", "--reveal"])
        .ok();
    assert!(reveal.out.contains("GREETING (version 1) = hello"), "{}", reveal.out);
    let manifest = w
        .run(&["releases", "manifest", &r1, "--app", "myapp", "--rack", "r"])
        .ok();
    assert_eq!(manifest.out, MANIFEST);

    // the rollback replaces the database (encrypted back to false): refused without --allow-destroy
    let rollback = |extra: &[&str]| {
        let mut args = vec![
            "releases",
            "rollback",
            r1.as_str(),
            "--app",
            "myapp",
            "--rack",
            "r",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        w.run(&args)
    };
    let refused = rollback(&["--yes"]).fails();
    assert!(refused.out.contains("destroys data"), "{}", refused.out);
    assert_eq!(w.moto.parameter("/convoxc/r/myapp/GREETING").unwrap().1, "bye");
    let held = rollback(&["--no-execute"]).ok();
    // a held rollback is a release that never ran (promote runs it)
    let held_id = recorded(&held);
    assert_eq!(w.record(&held_id)["executed"], false);
    assert_eq!(w.record(&held_id)["rollback_of"], r1.as_str());
    let plan = events(&held).into_iter().find(|e| e["type"] == "plan").unwrap();
    let report = &plan["report"];
    assert_eq!(report["environment"][0]["name"], "GREETING", "{report}");
    assert_eq!(report["environment"][0]["action"], "modify", "{report}");
    assert!(!held.out.contains("hello"), "{}", held.out);
    let stacks = report["stacks"].as_array().unwrap();
    let labels: Vec<&str> = stacks.iter().map(|s| s["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"service web"), "{labels:?}");
    assert!(
        held.out.contains("destroys_data\":true") || held.out.contains("\"destroys_data\": true"),
        "{}",
        held.out
    );

    let done = rollback(&["--yes", "--allow-destroy"]).ok();
    if std::env::var_os("CONVOXC_TEST_SHOW").is_some() {
        // what the rollback said, for the issue's note
        eprintln!("{}\n{}", held.out, done.out);
    }
    let r4 = recorded(&done);
    let (template4, params4) = w.deployed();
    assert_eq!(template4, template1);
    let without_release =
        |p: Vec<(String, String)>| -> Vec<(String, String)> { p.into_iter().filter(|(k, _)| k != "Release").collect() };
    assert_eq!(without_release(params4.clone()), without_release(params1));
    assert!(params4.contains(&("Release".to_string(), r4.clone())), "{params4:?}");
    assert_eq!(w.moto.parameter("/convoxc/r/myapp/GREETING").unwrap().1, "hello");
    let four = w.record(&r4);
    assert_eq!(four["rollback_of"], r1.as_str());
    assert_eq!(four["templates"], one["templates"]);
    assert_eq!(four["build"], "B1");
    assert_eq!(four["environment"]["GREETING"], 3, "written back as a new version");
    assert_eq!(w.releases()[0]["id"], r4.as_str());
    assert_eq!(w.releases()[0]["active"], true);
}

/// A rollback whose image was deleted from the registry is refused before any change set, and
/// stores nothing; a release held by --no-execute is promoted as it was, unless a value it was
/// given was never stored.
#[test]
fn a_rollback_to_a_deleted_image_is_refused_before_any_change_set() {
    let w = World::made();
    let r1 = recorded(&w.apply(&["--build", "B1", "-e", "GREETING=hello"]).ok());
    recorded(&w.apply(&["--build", "B2", "-e", "GREETING=bye"]).ok());
    let repo = w.moto.physical_id("r-myapp", "Registry");
    // B1 and B2 are one image (seeded alike): deleting it by digest takes every tag; B2 is pushed again
    w.registry.delete(&repo, "web.B1");
    w.registry.seed(&repo, &["web.B2".into()]);
    let sets = w.moto.change_set_count("r-myapp");
    let run = w
        .run(&["releases", "rollback", &r1, "--app", "myapp", "--rack", "r", "--yes"])
        .fails();
    assert!(run.out.contains("does not have every image"), "{}", run.out);
    assert!(run.out.contains("web.B1"), "{}", run.out);
    assert_eq!(w.moto.change_set_count("r-myapp"), sets);
    assert_eq!(w.moto.parameter("/convoxc/r/myapp/GREETING").unwrap().1, "bye");
    let unknown = w
        .run(&["releases", "rollback", "R1", "--app", "myapp", "--rack", "r", "--yes"])
        .fails();
    assert!(unknown.out.contains("has no release R1"), "{}", unknown.out);

    // held by --no-execute: recorded, never executed; a value given then was never stored, so
    // promoting that release is refused, naming it
    let held = recorded(&w.apply(&["-e", "GREETING=held", "--no-execute"]).ok());
    assert_eq!(w.record(&held)["executed"], false);
    assert_eq!(w.record(&held)["status"], "NOT_EXECUTED");
    let promote = |id: &str| {
        w.run(&[
            "releases", "promote", id, "--app", "myapp", "--rack", "r", "--yes", "--format", "json",
        ])
    };
    let refused = promote(&held).fails();
    assert!(refused.out.contains("GREETING"), "{}", refused.out);
    // one held with the stored values: promoted as it was, a new release and the active one
    edit(w.dir.path(), "port: 3000", "port: 3001");
    let held = recorded(&w.apply(&["--no-execute"]).ok());
    let sets = w.moto.change_set_count("r-myapp");
    let done = promote(&held).ok();
    let promoted = recorded(&done);
    assert!(w.moto.change_set_count("r-myapp") > sets);
    assert_eq!(w.record(&promoted)["rollback_of"], held.as_str());
    assert_eq!(w.record(&promoted)["templates"], w.record(&held)["templates"]);
    assert_eq!(w.releases()[0]["active"], true);
    assert_eq!(w.releases()[0]["id"], promoted.as_str());
    let again = promote(&promoted).fails();
    assert!(again.out.contains("ran already"), "{}", again.out);
}
