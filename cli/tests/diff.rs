//! `convoxc diff` as a user runs it: against another manifest, at a git revision, and against the
//! app deployed on moto (read-only: the test checks that no S3 object, SSM parameter or change
//! set appears).

mod moto;

use moto::*;
use std::path::Path;
use std::process::Command;

fn manifest_args(dir: &Path) -> Vec<String> {
    vec![
        "diff".into(),
        dir.join("convox.yml").to_string_lossy().into_owned(),
        "--app".into(),
        "myapp".into(),
        "-e".into(),
        "SECRET_KEY_BASE=x".into(),
    ]
}

/// Every SSM parameter name and every change set of the app stack.
fn state(moto: &Moto) -> (Vec<(String, String)>, Vec<String>, usize) {
    let ssm = aws_sdk_ssm::Client::new(&moto.conf());
    let names = moto.rt.block_on(async {
        let out = ssm.describe_parameters().send().await.unwrap();
        out.parameters()
            .iter()
            .filter_map(|p| p.name().map(str::to_string))
            .collect::<Vec<_>>()
    });
    let sets = moto.change_set_count("r-myapp");
    (moto.objects(), names, sets)
}

#[test]
fn deployed_app_no_changes_then_exactly_the_change() {
    let moto = Moto::start();
    rack(&moto, "r");
    let dir = app_dir(str::to_string);
    apply(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=x"]).ok();

    let before = state(&moto);
    let mut args = manifest_args(dir.path());
    args.extend(["--rack".into(), "r".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let same = moto.run(&args).ok();
    assert!(same.out.contains("convoxc diff: no changes"), "{}", same.out);
    let mut gated = args.clone();
    gated.extend(["--fail-on", "any"]);
    assert_eq!(moto.run(&gated).code, Some(0), "no change, no gate");

    // one service's command changes: that task definition, nothing else
    let changed = app_dir(|t| t.replace("command: bin/worker", "command: bin/worker --verbose"));
    let mut args = manifest_args(changed.path());
    args.extend(["--rack".into(), "r".into(), "--fail-on".into(), "any".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = moto.run(&args);
    assert_eq!(run.code, Some(3), "{}", run.out);
    assert!(run.out.contains("service worker"), "{}", run.out);
    assert!(
        run.out.contains("~ Tasks (AWS::ECS::TaskDefinition) new revision"),
        "{}",
        run.out
    );
    assert!(
        run.out.contains(r#""bin/worker" → "bin/worker --verbose""#) || run.out.contains("--verbose"),
        "{}",
        run.out
    );
    assert!(!run.out.contains("service web"), "{}", run.out);
    assert!(!run.out.contains("timer cleanup"), "{}", run.out);
    // JSON says the same
    let mut json = args.clone();
    json.extend(["--format", "json"]);
    let j = moto.run(&json);
    // stdout (the report) comes before stderr in `out`
    let v: serde_json::Value = serde_json::Deserializer::from_str(j.out.trim_start_matches(|c| c != '{'))
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(v["summary"]["classes"]["benign"], 1, "{}", j.out);
    assert_eq!(v["stacks"].as_array().unwrap().len(), 1, "{}", j.out);

    // read-only: nothing was uploaded, stored or created
    assert_eq!(state(&moto), before);
}

/// `--change-set` asks CloudFormation and deletes the change set: after reading it, and when the
/// user presses Ctrl-C while it waits (moto answers DescribeChangeSet slowly here).
#[test]
fn change_set_is_read_and_deleted_also_when_interrupted() {
    let moto = Moto::start_with_env(&[("CONVOXC_MOTO_DESCRIBE_DELAY", "1.5")]);
    rack(&moto, "r");
    let dir = app_dir(str::to_string);
    apply(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=x"]).ok();
    // moto keeps the executed change sets of the apply (AWS would not): count from here
    let before = moto.change_set_count("r-myapp");
    let changed = app_dir(|t| t.replace("command: bin/worker", "command: bin/worker --verbose"));
    let mut args = manifest_args(changed.path());
    args.extend(["--rack".into(), "r".into(), "--change-set".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = moto.run(&args).ok();
    assert!(
        run.out.contains("~ Tasks (AWS::ECS::TaskDefinition) new revision"),
        "{}",
        run.out
    );
    assert_eq!(
        moto.change_set_count("r-myapp"),
        before,
        "the change set is deleted once read"
    );

    // interrupted while it waits for the change set: deleted all the same
    let (code, _, err) = interrupt_at_change_set(&moto, "r-myapp", before, &args);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("interrupted: the change set was deleted"), "{err}");
    assert_eq!(moto.change_set_count("r-myapp"), before, "no change set is left behind");
}

#[test]
fn against_a_manifest_and_a_git_revision() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/app/convox.yml")).unwrap();
    let file = dir.path().join("convox.yml");
    std::fs::write(&file, &text).unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t", "-C"])
            .arg(dir.path())
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "convox.yml"]);
    git(&["commit", "-qm", "base"]);
    // the working copy adds a database option: a change in place
    std::fs::write(
        &file,
        text.replace(
            "    type: postgres\n",
            "    type: postgres\n    options:\n      storage: 50\n",
        ),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_convoxc");
    let run = |extra: &[&str]| {
        let out = Command::new(bin)
            .args([
                "diff",
                file.to_str().unwrap(),
                "--app",
                "myapp",
                "-e",
                "SECRET_KEY_BASE=x",
                "--color",
                "never",
            ])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["--base", "HEAD", "--fail-on", "replace", "--fail-on", "destroy"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("~ Instance (AWS::RDS::DBInstance) update in place"),
        "{out}"
    );
    assert!(out.contains(r#"/Properties/AllocatedStorage: "20" → "50""#), "{out}");
    let (code, _, _) = run(&["--base", "HEAD", "--fail-on", "any"]);
    assert_eq!(code, Some(3));
    // committed: no difference to HEAD any more
    git(&["commit", "-qam", "storage"]);
    let (code, out, err) = run(&["--base", "HEAD", "--fail-on", "any"]);
    assert_eq!((code, out.contains("no changes")), (Some(0), true), "{out}{err}");
    // a manifest the revision does not have: a new app, everything is added
    let new = dir.path().join("new.yml");
    std::fs::write(&new, &text).unwrap();
    let out = Command::new(bin)
        .args([
            "diff",
            new.to_str().unwrap(),
            "--app",
            "myapp",
            "-e",
            "SECRET_KEY_BASE=x",
            "--base",
            "HEAD",
        ])
        .args(["--fail-on", "any", "--color", "never"])
        .output()
        .unwrap();
    let text_out = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text_out}");
    assert!(text_out.contains("app (new stack)"), "{text_out}");
    // --against another manifest: the same report as --base
    let other = dir.path().join("other.yml");
    std::fs::write(&other, &text).unwrap();
    let (code, out, _) = run(&["--against", other.to_str().unwrap(), "--format", "markdown"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("### convoxc diff:"), "{out}");
    assert!(
        out.contains("| **update in place** | resource database | `Instance` |"),
        "{out}"
    );
    // usage errors
    let (code, _, err) = run(&[]);
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = run(&["--base", "nosuchrev"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("nosuchrev"), "{err}");
}
