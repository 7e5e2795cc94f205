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

    // only the value changes: no change set; the report names it, never shows it
    let before = moto.change_set_count(STACK);
    let review = apply_asking(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=second", "--no-execute"]).ok();
    assert!(review.out.contains("1 environment value stored anew"), "{}", review.out);
    assert!(
        review.out.contains("~ SECRET_KEY_BASE (value changed"),
        "{}",
        review.out
    );
    assert!(
        review.out.contains("--no-execute: stopping here; nothing was stored"),
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
    // and a value alone, with consent: stored, the stack untouched
    let status = moto.stack_status(STACK);
    let run = apply(&moto, changed.path(), &["-e", "SECRET_KEY_BASE=third"]).ok();
    assert!(run.out.contains("ok: r-myapp is unchanged"), "{}", run.out);
    assert_eq!(secret(&moto).as_deref(), Some("third"));
    assert_eq!(moto.stack_status(STACK), status);
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
        err.contains("another apply of myapp stored a resource password"),
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
