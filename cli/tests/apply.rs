//! `convoxc apply` and `convoxc rack apply` against a real local AWS emulator: moto's server
//! (pip `moto[server]==5.2.1`), started by each test on 127.0.0.1 and a free port through the
//! launcher `moto_server.py` (its docstring lists what it corrects in moto), stopped on drop.
//! The binary is driven as a user would; state is checked with the AWS SDK.
//!
//! The rack deployed here is the real one, compiled by `convoxc rack apply` from rack params; one
//! test also uses a FIXTURE rack (`fixtures/rack.json` without its exports) to make an app fail.
//!
//! What moto cannot model, and where it is tested instead: per-resource stack events, nested
//! change sets and `Replacement` (replacement is predicted; unit tests in `aws/changeset.rs`),
//! UPDATE_ROLLBACK_FAILED and a root cause hidden behind "Resource creation cancelled" (unit tests
//! on recorded responses in `deploy/stack.rs`).

mod moto;

use moto::*;
use std::collections::BTreeSet;
use std::process::Command;

/// First create; re-apply with no change creates no change set; a change to one service uploads
/// only its nested template (and the root that points at it) and updates the stack.
#[test]
fn create_no_op_and_one_service_change() {
    let moto = Moto::start();
    rack(&moto, "r");
    let dir = app_dir(str::to_string);
    let first = apply(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=x"]).ok();
    assert!(first.out.contains("ok: r-myapp CREATE_COMPLETE"), "{}", first.out);
    assert_eq!(moto.stack_status("r-myapp").as_deref(), Some("CREATE_COMPLETE"));
    // stack events as lines a terminal shows: time, the stack as the manifest names it, the
    // resource (`stack` for a stack's own event), the status
    let events: Vec<&str> = first
        .out
        .lines()
        .filter(|l| l.len() > 10 && l.as_bytes()[2] == b':' && l.as_bytes()[5] == b':')
        .collect();
    assert!(
        events
            .iter()
            .any(|l| l.contains("  service web  ") && l.contains("  stack  CREATE_COMPLETE")),
        "{}",
        first.out
    );
    assert!(
        events.iter().any(|l| l.contains("  app  ") || l.contains("  app ")),
        "{}",
        first.out
    );
    assert!(
        events
            .iter()
            .all(|l| l.chars().count() <= 120 && !l.contains("r-myapp-ServiceWeb")),
        "{}",
        first.out
    );
    let (root, nested) = keys(dir.path());
    let mut all: BTreeSet<String> = nested.iter().map(|(_, k)| k.clone()).collect();
    all.insert(root);
    assert_eq!(uploaded(&first), all, "{}", first.out);
    // the params a rack sets on its apps come from the rack stack's outputs
    let params = moto.stack_parameters("r-myapp");
    for (k, v) in [
        ("Private", "No"),
        ("LogDriver", "CloudWatch"),
        ("SyslogFormat", "rfc5424"),
    ] {
        assert!(params.contains(&(k.to_string(), v.to_string())), "{k}: {params:?}");
    }

    // the same manifest again: no change set at all
    let before = moto.change_set_count("r-myapp");
    let again = apply(&moto, dir.path(), &[]).ok();
    assert!(again.out.contains("no changes: r-myapp is up to date"), "{}", again.out);
    assert!(uploaded(&again).is_empty(), "{}", again.out);
    assert_eq!(moto.change_set_count("r-myapp"), before);

    // one service changes: its template and the root are uploaded, nothing else
    let changed = app_dir(|t| t.replace("command: bin/worker", "command: bin/worker --verbose"));
    let run = apply(&moto, changed.path(), &[]).ok();
    let (root2, nested2) = keys(changed.path());
    let worker = nested2
        .iter()
        .find(|(p, _)| p == "services/worker.json")
        .unwrap()
        .1
        .clone();
    assert_eq!(uploaded(&run), BTreeSet::from([root2, worker]), "{}", run.out);
    // the report before the consent is `convoxc diff`'s: the worker's stack, its new revision
    assert!(
        run.out
            .contains("convoxc diff: 1 stack changes: 1 new task-definition revision"),
        "{}",
        run.out
    );
    assert!(run.out.contains("\nservice worker\n"), "{}", run.out);
    assert!(
        run.out.contains("~ Tasks (AWS::ECS::TaskDefinition) new revision"),
        "{}",
        run.out
    );
    assert!(
        run.out
            .contains(r#"~ /Properties/ContainerDefinitions/0/Command/2: "bin/worker" → "bin/worker --verbose""#),
        "{}",
        run.out
    );
    assert!(!run.out.contains("service web"), "{}", run.out);
    assert!(run.out.contains("ok: r-myapp UPDATE_COMPLETE"), "{}", run.out);
    assert_eq!(moto.stack_status("r-myapp").as_deref(), Some("UPDATE_COMPLETE"));
}

/// Environment values are SSM SecureStrings, and appear in no template, no stack parameter and no
/// output of the command; so does the generated resource password.
#[test]
fn env_values_are_secure_strings_and_nowhere_else() {
    let moto = Moto::start();
    rack(&moto, "r");
    let dir = app_dir(str::to_string);
    let env_file = dir.path().join("prod.env");
    std::fs::write(&env_file, "RAILS_ENV=staging-from-file-5c1\n").unwrap();
    let secret = "s3cr3t-value-9f2e7a";
    let run = apply(
        &moto,
        dir.path(),
        &[
            "-e",
            &format!("SECRET_KEY_BASE={secret}"),
            "--env-file",
            env_file.to_str().unwrap(),
        ],
    )
    .ok();
    assert_eq!(
        moto.parameter("/convoxc/r/myapp/SECRET_KEY_BASE"),
        Some(("SecureString".to_string(), secret.to_string()))
    );
    assert_eq!(
        moto.parameter("/convoxc/r/myapp/RAILS_ENV"),
        Some(("SecureString".to_string(), "staging-from-file-5c1".to_string()))
    );
    let (kind, password) = moto
        .parameter("/convoxc/r/myapp/.resource-password")
        .expect("a resource password");
    assert_eq!(kind, "SecureString");
    assert!(password.len() >= 32);
    let values = [secret, "staging-from-file-5c1", password.as_str()];
    for v in values {
        assert!(!run.out.contains(v), "the output shows a secret:\n{}", run.out);
    }
    let objects = moto.objects();
    assert!(objects.len() >= 5);
    for (key, text) in &objects {
        for v in values {
            assert!(!text.contains(v), "{key} contains a secret");
        }
    }
    // the environment reaches no stack parameter (the password is the NoEcho ResourcePassword)
    for (k, v) in moto.stack_parameters("r-myapp") {
        assert!(!v.contains(secret) && !v.contains("staging-from-file"), "parameter {k}");
    }
    // the values stay stored: a later apply without -e keeps them and changes nothing
    let again = apply(&moto, dir.path(), &[]).ok();
    assert!(again.out.contains("no changes"), "{}", again.out);
}

/// A change set whose execution fails (the rack lacks the exports the app imports): exit 1 with
/// the failing resource's reason; the stack is ROLLBACK_COMPLETE. The next apply refuses to delete
/// it without --yes when not on a terminal; with --yes it deletes and recreates it (once the rack
/// has its exports).
#[test]
fn failed_change_set_then_rollback_complete_recreated() {
    let moto = Moto::start();
    // a rack without exports: only its settings bucket
    let mut bare: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("rack.json")).unwrap()).unwrap();
    let outputs = bare["Outputs"].as_object_mut().unwrap();
    outputs.retain(|k, _| k == "SettingsBucket");
    let tmp = tempfile::tempdir().unwrap();
    let bare_path = tmp.path().join("bare.json");
    std::fs::write(&bare_path, bare.to_string()).unwrap();
    moto.run(&[
        "rack",
        "apply",
        "--rack",
        "r",
        "--template",
        bare_path.to_str().unwrap(),
        "--yes",
    ])
    .ok();

    let dir = app_dir(str::to_string);
    let run = apply(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=x"]).fails();
    assert!(run.out.contains("r-myapp failed: ROLLBACK_COMPLETE"), "{}", run.out);
    assert!(
        run.out
            .contains("cause: r-myapp r-myapp (AWS::CloudFormation::Stack) CREATE_FAILED: ExportNotFound"),
        "{}",
        run.out
    );
    assert_eq!(moto.stack_status("r-myapp").as_deref(), Some("ROLLBACK_COMPLETE"));
    // for CI, the same failure is a `failed` verdict with its cause, the last JSON line
    let manifest = dir.path().join("convox.yml");
    let out = moto
        .command(&[
            "apply",
            manifest.to_str().unwrap(),
            "--app",
            "other",
            "--rack",
            "r",
            "--build",
            "B1",
            "--yes",
            "-e",
            "SECRET_KEY_BASE=x",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let verdict: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(verdict["type"], "verdict", "{stdout}");
    assert_eq!(verdict["result"], "failed", "{stdout}");
    assert_eq!(verdict["status"], "ROLLBACK_COMPLETE", "{stdout}");
    assert_eq!(verdict["cause"]["status"], "CREATE_FAILED", "{stdout}");
    assert!(
        verdict["cause"]["reason"].as_str().unwrap().contains("ExportNotFound"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: r-other failed: ROLLBACK_COMPLETE"));

    // the rack gets its exports; the failed stack must be deleted first
    fixture_rack(&moto, "r");
    let refused = moto
        .run(&[
            "apply",
            manifest.to_str().unwrap(),
            "--app",
            "myapp",
            "--rack",
            "r",
            "--build",
            "B1",
        ])
        .fails();
    assert!(
        refused
            .out
            .contains("failed to create and rolled back (ROLLBACK_COMPLETE)"),
        "{}",
        refused.out
    );
    assert!(refused.out.contains("ExportNotFound"), "{}", refused.out);
    assert!(refused.out.contains("use --yes"), "{}", refused.out);
    assert_eq!(moto.stack_status("r-myapp").as_deref(), Some("ROLLBACK_COMPLETE"));

    let recreated = apply(&moto, dir.path(), &[]).ok();
    assert!(recreated.out.contains("deleting r-myapp"), "{}", recreated.out);
    assert!(
        recreated.out.contains("ok: r-myapp CREATE_COMPLETE"),
        "{}",
        recreated.out
    );
}

/// Ctrl-C while following stops the command (exit 1, how to resume); the deploy goes on in
/// CloudFormation, and running the same command again waits for it and finds nothing to do.
#[test]
fn interrupted_apply_resumes() {
    let moto = Moto::start_with_delay(4.0);
    rack(&moto, "r");
    let dir = app_dir(str::to_string);
    let (child, seen) = apply_until_executing(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=x"], &[]);
    assert_eq!(moto.stack_status("r-myapp").as_deref(), Some("CREATE_IN_PROGRESS"));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{seen}{stderr}");
    assert!(stderr.contains("interrupted: stopped following r-myapp"), "{stderr}");
    assert!(stderr.contains("run the same command again"), "{stderr}");

    let resumed = apply(&moto, dir.path(), &[]).ok();
    assert!(
        resumed
            .out
            .contains("r-myapp is CREATE_IN_PROGRESS: waiting for it to settle"),
        "{}",
        resumed.out
    );
    assert!(
        resumed.out.contains("no changes: r-myapp is up to date"),
        "{}",
        resumed.out
    );
    assert_eq!(moto.stack_status("r-myapp").as_deref(), Some("CREATE_COMPLETE"));
}

/// Clear errors: a rack that does not exist, a first deploy without --build, a usage error.
#[test]
fn missing_rack_and_usage_errors() {
    let moto = Moto::start();
    let dir = app_dir(str::to_string);
    let manifest = dir.path().join("convox.yml");
    let m = manifest.to_str().unwrap();
    let run = moto
        .run(&["apply", m, "--app", "myapp", "--rack", "nope", "--yes"])
        .fails();
    assert!(run.out.contains("rack nope not found"), "{}", run.out);
    rack(&moto, "r");
    let built = app_dir(|t| t.replace("image: registry.example/myapp:1", "build: ."));
    let b = built.path().join("convox.yml");
    let run = moto
        .run(&[
            "apply",
            b.to_str().unwrap(),
            "--app",
            "myapp",
            "--rack",
            "r",
            "--yes",
            "-e",
            "SECRET_KEY_BASE=x",
        ])
        .fails();
    assert!(run.out.contains("needs --build ID"), "{}", run.out);
    assert_eq!(moto.stack_status("r-myapp"), None);
    // the app is compiled against the rack's params, read back from the rack's template
    // (Internal is No on this rack)
    let internal = app_dir(|t| t.replace("    port: 3000\n", "    port: 3000\n    internal: true\n"));
    let run = apply(&moto, internal.path(), &["-e", "SECRET_KEY_BASE=x"]).fails();
    assert!(
        run.out.contains("rack does not support internal services"),
        "{}",
        run.out
    );
    assert_eq!(moto.stack_status("r-myapp"), None);
    // a first deploy creates its database: RDS creates none under 20 GiB of gp2 (offline, only a
    // warning: a database that exists may keep a smaller size)
    let small = app_dir(|t| {
        t.replace(
            "    type: postgres\n",
            "    type: postgres\n    options:\n      storage: 10\n",
        )
    });
    let run = apply(&moto, small.path(), &["-e", "SECRET_KEY_BASE=x"]).fails();
    assert!(
        run.out
            .contains("resource database: RDS refuses its storage: a new database gets at least 20 GiB"),
        "{}",
        run.out
    );
    assert_eq!(moto.stack_status("r-myapp"), None);
    let usage = moto.run(&["apply", m]);
    assert_eq!(usage.code, Some(2), "{}", usage.out);
}

/// `--format json`: stdout is JSON lines only (questions and diagnostics go to stderr), each with
/// a `type`, ending with exactly one `verdict`: ok with the stack's outputs; unchanged; held
/// (--no-execute) with the change set left for review; error (a rack that does not exist).
#[test]
fn json_lines_for_ci() {
    let moto = Moto::start();
    let dir = app_dir(str::to_string);
    let manifest = dir.path().join("convox.yml");
    let m = manifest.to_str().unwrap();
    let lines = |extra: &[&str], code: i32| -> Vec<serde_json::Value> {
        let mut args = vec!["apply", m, "--format", "json"];
        args.extend_from_slice(APP);
        args.extend_from_slice(extra);
        let out = moto.command(&args).output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert_eq!(out.status.code(), Some(code), "{stdout}{stderr}");
        assert!(!stderr.contains("{\"type\""), "{stderr}");
        let lines: Vec<serde_json::Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        for l in &lines {
            assert!(l["type"].is_string(), "{l}");
        }
        let verdicts: Vec<_> = lines.iter().filter(|l| l["type"] == "verdict").collect();
        assert_eq!(verdicts.len(), 1, "{stdout}");
        assert_eq!(lines.last().unwrap()["type"], "verdict", "{stdout}");
        lines
    };
    let kinds = |lines: &[serde_json::Value]| -> Vec<String> {
        let mut k: Vec<String> = lines.iter().map(|l| l["type"].as_str().unwrap().to_string()).collect();
        k.dedup();
        k
    };

    let missing = lines(&[], 1);
    assert_eq!(missing[0]["result"], "error");
    assert!(
        missing[0]["message"].as_str().unwrap().contains("rack r not found"),
        "{missing:?}"
    );

    rack(&moto, "r");
    let created = lines(&["-e", "SECRET_KEY_BASE=s3cr3t-json-77"], 0);
    assert_eq!(
        kinds(&created),
        [
            "upload",
            "plan",
            "stored",
            "executing",
            "event",
            "api-calls",
            "release",
            "verdict"
        ],
        "{created:?}"
    );
    let plan = &created[1];
    assert_eq!(plan["stack"], "r-myapp");
    assert!(
        plan["change_set"].as_str().unwrap().contains("changeSet/convoxc-"),
        "{plan}"
    );
    // the report is `diff --format json`'s: a created stack, the secret named, not shown
    assert_eq!(plan["report"]["stacks"][0]["action"], "add", "{plan}");
    let all = serde_json::to_string(&created).unwrap();
    assert!(all.contains("SECRET_KEY_BASE") && !all.contains("s3cr3t-json-77"));
    assert!(
        created
            .iter()
            .any(|l| l["type"] == "event" && l["logical_id"] == "r-myapp" && l["status"] == "CREATE_COMPLETE")
    );
    let verdict = created.last().unwrap();
    assert_eq!(verdict["result"], "ok");
    assert_eq!(verdict["status"], "CREATE_COMPLETE");
    assert!(verdict["seconds"].is_number());
    assert!(verdict["outputs"].is_object(), "{verdict}");

    let same = lines(&[], 0);
    assert_eq!(kinds(&same), ["upload", "verdict"], "{same:?}");
    assert_eq!(same[0]["uploaded"], serde_json::json!([]));
    assert_eq!(same[1]["result"], "unchanged");

    let changed = app_dir(|t| t.replace("command: bin/worker", "command: bin/worker --verbose"));
    let cm = changed.path().join("convox.yml");
    let mut args = vec!["apply", cm.to_str().unwrap(), "--format", "json", "--no-execute"];
    args.extend_from_slice(&APP[..APP.len() - 1]);
    let out = moto.command(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let held: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // a held deploy is recorded too (a release never executed, for `releases promote`)
    assert_eq!(
        kinds(&held),
        ["upload", "differs", "plan", "release", "verdict"],
        "{held:?}"
    );
    let v = held.last().unwrap();
    assert_eq!(v["result"], "held");
    assert_eq!(v["change_set"], held[2]["change_set"]);
    assert_eq!(held[3]["executed"], false, "{}", held[3]);
    assert_eq!(held[2]["report"]["summary"]["stacks_changed"], 1, "{}", held[2]);
    assert!(
        moto.change_sets("r-myapp").iter().any(|(name, _, _)| v["change_set"]
            .as_str()
            .unwrap()
            .contains(&format!("changeSet/{name}/"))),
        "the change set is left for review"
    );
    assert_eq!(moto.stack_status("r-myapp").as_deref(), Some("CREATE_COMPLETE"));
}

/// A default convoxc made safer never changes a rack that exists: applied again without
/// IMDSHttpTokens, a rack deployed with `optional` keeps it (a warning says so) and nothing
/// changes; saying it in the params changes it.
#[test]
fn a_rack_keeps_what_a_new_default_would_change() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("rack.yml");
    let cert = format!("RouterCertificateArn: {}\n", certificate(&moto));
    let apply = |text: &str| {
        std::fs::write(&params, format!("RouterHost: apps.example.com\n{cert}{text}")).unwrap();
        moto.run(&[
            "rack",
            "apply",
            "--rack",
            "k",
            "--rack-params",
            params.to_str().unwrap(),
            "--yes",
        ])
    };
    apply("IMDSHttpTokens: optional\n").ok();
    let again = apply("").ok();
    assert!(
        again
            .out
            .contains("warning: rack k: keeps IMDSHttpTokens=optional (a new rack gets required"),
        "{}",
        again.out
    );
    assert!(again.out.contains("no changes: k is up to date"), "{}", again.out);
    let changed = apply("IMDSHttpTokens: required\n").ok();
    assert!(!changed.out.contains("keeps IMDSHttpTokens"), "{}", changed.out);
    assert!(changed.out.contains("HttpTokens"), "{}", changed.out);
}

/// The current rack (`convoxc switch`) is the one `apply` deploys to when it names none.
#[test]
fn apply_deploys_to_the_current_rack() {
    let moto = Moto::start();
    rack(&moto, "r");
    let home = tempfile::tempdir().unwrap();
    let switch = Command::new(env!("CARGO_BIN_EXE_convoxc"))
        .args(["switch", "r"])
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(
        switch.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&switch.stderr)
    );
    let dir = app_dir(str::to_string);
    let manifest = dir.path().join("convox.yml");
    let out = moto
        .command(&[
            "apply",
            manifest.to_str().unwrap(),
            "--app",
            "myapp",
            "--build",
            "B1",
            "--yes",
            "-e",
            "SECRET_KEY_BASE=x",
        ])
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    let run = Run::from(out).ok();
    assert!(run.out.contains("ok: r-myapp CREATE_COMPLETE"), "{}", run.out);
}

/// `convoxc racks`: a rack convoxc compiled and one convox made (the rack template's parameters),
/// told apart; an app stack and any other stack are not racks.
#[test]
fn racks_lists_convoxc_and_convox_racks() {
    let moto = Moto::start();
    rack(&moto, "r");
    let cfn = moto.cfn();
    let template = |params: &str| {
        format!("{{\"Parameters\": {{{params}}}, \"Resources\": {{\"Topic\": {{\"Type\": \"AWS::SNS::Topic\"}}}}}}")
    };
    let convox =
        template(r#""Version": {"Type": "String"}, "InstanceType": {"Type": "String", "Default": "t3.small"}"#);
    let other = template(r#""Rack": {"Type": "String", "Default": "r"}"#);
    moto.rt.block_on(async {
        cfn.create_stack()
            .stack_name("legacy")
            .template_body(convox)
            .parameters(
                aws_sdk_cloudformation::types::Parameter::builder()
                    .parameter_key("Version")
                    .parameter_value("20240101000000")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        cfn.create_stack()
            .stack_name("r-someapp")
            .template_body(other)
            .send()
            .await
            .unwrap();
    });
    let out = moto.command(&["racks", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([
            {"name": "legacy", "status": "CREATE_COMPLETE", "region": "us-east-1", "kind": "convox"},
            {"name": "r", "status": "CREATE_COMPLETE", "region": "us-east-1", "kind": "convoxc"},
        ])
    );
    // a rack in another region, found when asked for
    let west = aws_sdk_cloudformation::Client::from_conf(
        aws_sdk_cloudformation::config::Builder::from(&moto.conf())
            .region(aws_sdk_cloudformation::config::Region::new("us-west-2"))
            .build(),
    );
    moto.rt.block_on(async {
        west.create_stack()
            .stack_name("west")
            .template_body(template(
                r#""Version": {"Type": "String"}, "InstanceType": {"Type": "String"}"#,
            ))
            .parameters(
                aws_sdk_cloudformation::types::Parameter::builder()
                    .parameter_key("Version")
                    .parameter_value("20240101000000")
                    .build(),
            )
            .parameters(
                aws_sdk_cloudformation::types::Parameter::builder()
                    .parameter_key("InstanceType")
                    .parameter_value("t3.small")
                    .build(),
            )
            .send()
            .await
            .unwrap();
    });
    let mut both = Command::new(env!("CARGO_BIN_EXE_convoxc"));
    both.args(["racks", "--format", "json", "--regions", "us-east-1,us-west-2"])
        .args(["--endpoint-url", &moto.endpoint()])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing");
    let out = both.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<(&str, &str)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["region"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [("legacy", "us-east-1"), ("r", "us-east-1"), ("west", "us-west-2")]
    );
    let table = moto.run(&["racks"]).ok();
    let lines: Vec<&str> = table.out.lines().collect();
    assert!(
        lines[0].starts_with("NAME    STATUS") && lines[0].ends_with("KIND"),
        "{}",
        table.out
    );
    assert!(
        lines[1].starts_with("legacy  CREATE_COMPLETE  us-east-1  convox"),
        "{}",
        table.out
    );
    assert!(
        lines[2].starts_with("r       CREATE_COMPLETE  us-east-1  convoxc"),
        "{}",
        table.out
    );
}
