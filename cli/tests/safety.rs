//! What `convoxc apply` never does without consent, and what it does under faults, races and bad
//! input — against moto (through `moto_server.py`), each test checking the state afterwards: SSM
//! parameters, S3 objects, change sets and stacks.

mod moto;

use moto::*;

const STACK: &str = "r-myapp";

/// The fixture app deployed once, with SECRET_KEY_BASE=first.
fn deployed(moto: &Moto) -> tempfile::TempDir {
    rack(moto, "r");
    let dir = app_dir(str::to_string);
    apply(moto, dir.path(), &["-e", "SECRET_KEY_BASE=first"]).ok();
    dir
}

fn secret(moto: &Moto) -> Option<String> {
    moto.parameter("/convoxc/r/myapp/SECRET_KEY_BASE").map(|(_, v)| v)
}

/// `apply` without `--yes` (APP has it), from a non-terminal.
fn apply_asking(moto: &Moto, dir: &std::path::Path, extra: &[&str]) -> Run {
    let manifest = dir.join("convox.yml");
    let mut args = vec!["apply", manifest.to_str().unwrap()];
    args.extend_from_slice(&["--app", "myapp", "--rack", "r", "--build", "B1"]);
    args.extend_from_slice(extra);
    moto.run(&args)
}

/// Point 1: a new value is shown (by name) and stored only once the user consents; not with
/// --no-execute, not after a refusal, not when interrupted before the change set runs.
#[test]
fn environment_values_are_stored_only_after_consent() {
    let moto = Moto::start_with_env(&[("CONVOXC_MOTO_DESCRIBE_DELAY", "1.0")]);
    let dir = deployed(&moto);
    assert_eq!(secret(&moto).as_deref(), Some("first"));

    // only the value changes: the services that read it get new task definitions (their
    // CONVOXC_ENV_REVISION); the report names the value, never shows it
    let review = apply_asking(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=second", "--no-execute"]).ok();
    assert!(review.out.contains("1 environment value changed"), "{}", review.out);
    assert!(
        review.out.contains("Tasks (AWS::ECS::TaskDefinition) new revision"),
        "{}",
        review.out
    );
    // the held change set is left for review; the rest is counted from it
    let before = moto.change_set_count(STACK);
    assert!(
        review.out.contains("~ SECRET_KEY_BASE (value changed"),
        "{}",
        review.out
    );
    assert!(
        review
            .out
            .contains("--no-execute: stopping here; nothing was stored, and the change set is left"),
        "{}",
        review.out
    );
    assert!(!review.out.contains("second"), "{}", review.out);
    assert_eq!(secret(&moto).as_deref(), Some("first"));
    let refused = apply_asking(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=second"]).fails();
    assert!(refused.out.contains("not asking on a non-terminal"), "{}", refused.out);
    assert_eq!(secret(&moto).as_deref(), Some("first"));
    assert_eq!(moto.change_set_count(STACK), before);

    // a template change and a value: refused, nothing stored and no change set left
    let changed = app_dir(|t| t.replace("command: bin/worker", "command: bin/worker --verbose"));
    let refused = apply_asking(&moto, changed.path(), &["-e", "SECRET_KEY_BASE=second"]).fails();
    assert!(refused.out.contains("~ SECRET_KEY_BASE"), "{}", refused.out);
    assert_eq!(secret(&moto).as_deref(), Some("first"));
    assert_eq!(
        moto.change_set_count(STACK),
        before,
        "the refused change set is deleted"
    );

    // Ctrl-C while the change set is being made: deleted, nothing stored
    let manifest = changed.path().join("convox.yml");
    let mut args = vec!["apply", manifest.to_str().unwrap()];
    args.extend_from_slice(APP);
    args.extend_from_slice(&["-e", "SECRET_KEY_BASE=second"]);
    let (code, _, err) = interrupt_at_change_set(&moto, STACK, before, &args);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("interrupted before executing: the change set was deleted"),
        "{err}"
    );
    assert_eq!(moto.change_set_count(STACK), before);
    assert_eq!(secret(&moto).as_deref(), Some("first"));

    // consent: stored with the deploy
    let run = apply(&moto, changed.path(), &["-e", "SECRET_KEY_BASE=second"]).ok();
    assert!(run.out.contains("environment: 1 value(s) stored"), "{}", run.out);
    assert_eq!(secret(&moto).as_deref(), Some("second"));
    // and a value alone, with consent: stored, and the services reading it deployed anew with it
    let run = apply(&moto, changed.path(), &["-e", "SECRET_KEY_BASE=third"]).ok();
    assert!(
        run.out.contains("Tasks (AWS::ECS::TaskDefinition) new revision"),
        "{}",
        run.out
    );
    assert!(run.out.contains("ok: r-myapp UPDATE_COMPLETE"), "{}", run.out);
    assert_eq!(secret(&moto).as_deref(), Some("third"));
    // the same value again: nothing to do
    let again = apply(&moto, changed.path(), &["-e", "SECRET_KEY_BASE=third"]).ok();
    assert!(again.out.contains("no changes: r-myapp is up to date"), "{}", again.out);
}

/// Point 2: a required variable with no value given or stored stops the apply before anything is
/// written: no SSM parameter, no upload, no stack.
#[test]
fn required_env_is_complete_before_anything_is_written() {
    let moto = Moto::start();
    rack(&moto, "r");
    let objects = moto.objects().len();
    let dir = app_dir(str::to_string);
    let run = apply(&moto, dir.path(), &[]).fails();
    assert!(run.out.contains("required env: SECRET_KEY_BASE"), "{}", run.out);
    assert!(run.out.contains("set it with -e SECRET_KEY_BASE="), "{}", run.out);
    assert_eq!(moto.stack_status(STACK), None);
    assert_eq!(moto.objects().len(), objects, "nothing uploaded");
    assert_eq!(secret(&moto), None);
    assert_eq!(moto.parameter("/convoxc/r/myapp/.resource-password"), None);
}

/// Point 3: removing the database destroys its data: flagged, and not executed with --yes alone.
#[test]
fn data_loss_needs_allow_destroy() {
    let moto = Moto::start();
    let _ = deployed(&moto);
    let before = moto.change_set_count(STACK);
    let gone = app_dir(|t| {
        t.replace("resources:\n  database:\n    type: postgres\n", "")
            .replace("    resources:\n      - database\n", "")
    });
    let run = apply(&moto, gone.path(), &[]).fails();
    assert!(run.out.contains("DESTROYS DATA"), "{}", run.out);
    assert!(
        run.out
            .contains("this change destroys data, and --allow-destroy was not given"),
        "{}",
        run.out
    );
    assert!(run.out.contains("ResourceDatabase"), "{}", run.out);
    assert_eq!(moto.change_set_count(STACK), before, "the change set is deleted");
    let cfn = moto.cfn();
    let has_db = || {
        moto.rt.block_on(async {
            let r = cfn.describe_stack_resources().stack_name(STACK).send().await.unwrap();
            r.stack_resources()
                .iter()
                .any(|r| r.logical_resource_id() == Some("ResourceDatabase"))
        })
    };
    assert!(has_db());
    let run = apply(&moto, gone.path(), &["--allow-destroy"]).ok();
    assert!(run.out.contains("ok: r-myapp UPDATE_COMPLETE"), "{}", run.out);
    assert!(!has_db());
}

/// Point 6: the generated resource password is stored only if no other apply stored one while
/// this one was being prepared; then this one stops before its change set runs, so that the stack
/// and SSM agree.
#[test]
fn a_concurrent_first_apply_keeps_one_password() {
    let moto = Moto::start_with_env(&[("CONVOXC_MOTO_DESCRIBE_DELAY", "1.5")]);
    rack(&moto, "r");
    let dir = app_dir(str::to_string);
    let manifest = dir.path().join("convox.yml");
    let mut args = vec!["apply", manifest.to_str().unwrap()];
    args.extend_from_slice(APP);
    args.extend_from_slice(&["-e", "SECRET_KEY_BASE=x"]);
    // (moto lists every change set of the region, the rack's too)
    let before = moto.change_set_count(STACK);
    let child = moto
        .command(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // the other apply stores its password while this one waits for its change set
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while moto.change_set_count(STACK) == before {
        assert!(std::time::Instant::now() < deadline, "no change set was created");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let ssm = aws_sdk_ssm::Client::new(&moto.conf());
    moto.rt.block_on(async {
        ssm.put_parameter()
            .name("/convoxc/r/myapp/.resource-password")
            .value("theOtherApplysPassword0123456789")
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .send()
            .await
            .unwrap();
    });
    let out = child.wait_with_output().unwrap();
    let err = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("another deploy stored a password (/convoxc/r/myapp/.resource-password)"),
        "{err}"
    );
    assert_ne!(moto.stack_status(STACK).as_deref(), Some("CREATE_COMPLETE"));
    assert_eq!(
        moto.parameter("/convoxc/r/myapp/.resource-password")
            .map(|(_, v)| v)
            .as_deref(),
        Some("theOtherApplysPassword0123456789")
    );
    // nothing else was stored either
    assert_eq!(secret(&moto), None);
    // run again: it takes the stored password
    apply(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=x"]).ok();
    assert_eq!(moto.stack_status(STACK).as_deref(), Some("CREATE_COMPLETE"));
}

/// Point 4: an object in the bucket is trusted by its content, not its name: a template replaced
/// under its own content address is uploaded again before the change set reads it.
#[test]
fn a_template_changed_in_the_bucket_is_uploaded_again() {
    let moto = Moto::start();
    let _ = deployed(&moto);
    let changed = app_dir(|t| t.replace("command: bin/worker", "command: bin/worker --verbose"));
    let (_, nested) = keys(changed.path());
    let worker = nested
        .iter()
        .find(|(p, _)| p == "services/worker.json")
        .unwrap()
        .1
        .clone();
    // someone puts other bytes under the key the new worker template will have
    let bucket = moto
        .objects_by_bucket()
        .into_iter()
        .find(|(_, k, _)| k.starts_with("convoxc/templates/"))
        .unwrap()
        .0;
    let evil = r#"{"Resources": {"Evil": {"Type": "AWS::SNS::Topic"}}}"#;
    moto.put_object(&bucket, &worker, evil);
    let run = apply(&moto, changed.path(), &[]).ok();
    assert!(
        run.out
            .contains(&format!("warning: s3://{bucket}/{worker} did not hold the template")),
        "{}",
        run.out
    );
    assert!(uploaded(&run).contains(&worker), "{}", run.out);
    let held = moto
        .objects_by_bucket()
        .into_iter()
        .find(|(_, k, _)| *k == worker)
        .unwrap()
        .2;
    assert!(
        held.contains("bin/worker --verbose") && !held.contains("Evil"),
        "{held}"
    );
    // the deployed worker stack runs the local template
    let cfn = moto.cfn();
    let body = moto.rt.block_on(async {
        let r = cfn.describe_stack_resources().stack_name(STACK).send().await.unwrap();
        let worker = r
            .stack_resources()
            .iter()
            .find(|r| r.logical_resource_id() == Some("ServiceWorker"))
            .and_then(|r| r.physical_resource_id())
            .unwrap()
            .to_string();
        let t = cfn.get_template().stack_name(worker).send().await.unwrap();
        t.template_body().unwrap_or("").to_string()
    });
    assert!(
        body.contains("bin/worker --verbose") && !body.contains("Evil"),
        "{body}"
    );
}

/// Point 5: `--profile` wins over credentials in the environment, as in the AWS CLI; a profile
/// that does not exist is one plain error, and nothing is made.
#[test]
fn the_profile_on_the_command_line_wins() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let marker = home.path().join("the-profile-was-used");
    let config = home.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[profile other]\ncredential_process = sh -c 'touch {}; echo {{\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"testing\\\",\\\"SecretAccessKey\\\":\\\"testing\\\"}}'\n",
            marker.display()
        ),
    )
    .unwrap();
    let rack = fixture("rack.json");
    let run = |profile: &str| {
        let out = moto
            .command(&[
                "rack",
                "apply",
                "--rack",
                "r",
                "--template",
                rack.to_str().unwrap(),
                "--yes",
            ])
            .args(["--profile", profile])
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("credentials"))
            .output()
            .unwrap();
        Run::from(out)
    };
    let missing = run("nosuchprofile").fails();
    assert!(
        missing
            .out
            .contains("error: no AWS credentials from profile nosuchprofile: there is no such profile"),
        "{}",
        missing.out
    );
    assert!(missing.out.lines().count() <= 3, "{}", missing.out);
    assert_eq!(moto.stack_status("r"), None);
    assert!(!marker.exists());
    run("other").ok();
    assert!(marker.exists(), "the profile's credential process was not run");
    assert_eq!(moto.stack_status("r").as_deref(), Some("CREATE_COMPLETE"));
}

/// Point 7: faults are one plain error with the fix: no credentials, an endpoint that cannot be
/// reached (at once, not after a minute of retries), a connection lost while following (run it
/// again), a rack apply in a region where the rack is not (it says it creates a new one).
#[test]
fn faults_are_plain_errors_with_the_fix() {
    let bin = env!("CARGO_BIN_EXE_convoxc");
    let manifest = fixture("app/convox.yml");
    let empty = tempfile::tempdir().unwrap();
    let plain = |envs: &[(&str, &str)], endpoint: &str| {
        let out = std::process::Command::new(bin)
            .args([
                "apply",
                manifest.to_str().unwrap(),
                "--rack",
                "r",
                "--region",
                "us-east-1",
            ])
            .args(["--endpoint-url", endpoint])
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", empty.path().join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", empty.path().join("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(envs.iter().copied())
            .output()
            .unwrap();
        Run::from(out)
    };
    let none = plain(&[], "http://127.0.0.1:9").fails();
    assert_eq!(
        none.out.trim(),
        "error: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, use --profile, or log in (aws sso login)"
    );
    let keys = [("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")];
    let started = std::time::Instant::now();
    let unreachable = plain(&keys, "http://127.0.0.1:9").fails();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        unreachable
            .out
            .starts_with("error: cannot reach AWS at http://127.0.0.1:9: "),
        "{}",
        unreachable.out
    );
    assert!(unreachable.out.contains("check --endpoint-url"), "{}", unreachable.out);
    assert_eq!(unreachable.out.lines().count(), 2, "{}", unreachable.out);

    // the connection goes while the deploy is followed
    let mut moto = Moto::start_with_delay(3.0);
    rack(&moto, "r");
    let dir = app_dir(str::to_string);
    let (child, _) = apply_until_executing(
        &moto,
        dir.path(),
        &["-e", "SECRET_KEY_BASE=x"],
        &[("AWS_MAX_ATTEMPTS", "2")],
    );
    moto.stop();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the deploy goes on in CloudFormation: run the same command again to follow it to its end"),
        "{err}"
    );

    // a rack apply in another region: said to create a new rack
    let moto = Moto::start();
    rack(&moto, "r");
    let rack_template = fixture("rack.json");
    let out = std::process::Command::new(bin)
        .args([
            "rack",
            "apply",
            "--rack",
            "r",
            "--template",
            rack_template.to_str().unwrap(),
        ])
        .args([
            "--no-execute",
            "--region",
            "eu-west-1",
            "--endpoint-url",
            &moto.endpoint(),
        ])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("CONVOXC_POLL_MS", "100")
        .output()
        .unwrap();
    let run = Run::from(out).ok();
    assert!(
        run.out
            .contains("creating rack r in eu-west-1: there is no stack r there yet (if you meant an existing rack, check --region and --profile)"),
        "{}",
        run.out
    );
}

/// Point 8: an apply onto a convoxc rack warns about nothing the user did not set (the rack's
/// stored params that only the rack uses, and blank ones, are not the app's concern).
#[test]
fn no_rack_param_noise_on_apply() {
    let moto = Moto::start();
    rack(&moto, "r");
    let dir = app_dir(str::to_string);
    let run = apply(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=x"]).ok();
    assert!(!run.out.contains("rack-param-ignored"), "{}", run.out);
    assert!(!run.out.contains("the params of rack r"), "{}", run.out);
}
