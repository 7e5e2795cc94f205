//! Racks, apps and rack resources as a convox user runs them, against moto (see `apply.rs` for
//! the emulator): `rack` and `rack params set`, `resources create|info|update|link|unlink|delete`,
//! `apps`, `apps info`, `apps delete`, `env`, `env set|unset` and copying an environment, each
//! checked in the stacks and SSM parameters it leaves.

mod moto;

use moto::*;
use std::io::Write;
use std::process::Stdio;

/// The SSM parameters under a path: (name, value).
fn parameters(moto: &Moto, path: &str) -> Vec<(String, String)> {
    let ssm = aws_sdk_ssm::Client::new(&moto.conf());
    moto.rt.block_on(async {
        let out = ssm
            .get_parameters_by_path()
            .path(path)
            .recursive(true)
            .with_decryption(true)
            .send()
            .await
            .unwrap();
        let mut v: Vec<(String, String)> = out
            .parameters()
            .iter()
            .map(|p| (p.name().unwrap().to_string(), p.value().unwrap().to_string()))
            .collect();
        v.sort();
        v
    })
}

fn output(moto: &Moto, stack: &str, key: &str) -> Option<String> {
    let cfn = moto.cfn();
    moto.rt.block_on(async {
        let out = cfn.describe_stacks().stack_name(stack).send().await.ok()?;
        out.stacks()[0]
            .outputs()
            .iter()
            .find(|o| o.output_key() == Some(key))
            .and_then(|o| o.output_value())
            .map(str::to_string)
    })
}

fn template(moto: &Moto, stack: &str) -> serde_json::Value {
    let cfn = moto.cfn();
    moto.rt.block_on(async {
        let out = cfn.get_template().stack_name(stack).send().await.unwrap();
        serde_json::from_str(out.template_body().unwrap()).unwrap()
    })
}

/// The app deployed with its required variable.
fn deployed_app(moto: &Moto) -> tempfile::TempDir {
    rack(moto, "r");
    let dir = app_dir(str::to_string);
    apply(moto, dir.path(), &["-e", "SECRET_KEY_BASE=first-5d1"]).ok();
    dir
}

const R: &[&str] = &["--rack", "r"];

fn run(moto: &Moto, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend_from_slice(R);
    moto.run(&all)
}

/// create (a generated name) → list → info (password masked, then revealed) → update (an unknown
/// option is refused with a suggestion; a change that would replace the database needs
/// --allow-destroy) → link → the app's apply stores the URL → delete refused while linked →
/// unlink → the apply removes it → delete (the final snapshot said) → gone, with its password.
#[test]
fn a_rack_resource_from_create_to_delete() {
    let moto = Moto::start();
    let dir = deployed_app(&moto);
    let created = run(
        &moto,
        &["resources", "create", "postgres", "AllocatedStorage=25", "--yes"],
    )
    .ok();
    assert!(created.out.contains("CREATE_COMPLETE"), "{}", created.out);
    let list = run(&moto, &["resources"]).ok();
    let lines: Vec<&str> = list.out.lines().collect();
    assert!(lines[0].starts_with("NAME") && lines[0].contains("TYPE") && lines[0].ends_with("STATUS"));
    let name = lines[1].split_whitespace().next().unwrap().to_string();
    assert!(
        name.starts_with("postgres-") && name.len() == 13 && name[9..].parse::<u16>().is_ok_and(|n| n >= 1000),
        "{name}"
    );
    assert!(lines[1].ends_with("postgres  running"), "{}", list.out);
    let stack = format!("r-{name}");
    let store = format!("/convoxc/r/.resources/{name}/password");
    let (kind, password) = moto.parameter(&store).expect("the password is kept in SSM");
    assert_eq!(kind, "SecureString");
    assert_eq!(password.len(), 32);
    assert!(!created.out.contains(&password));
    // the stack gets it as its NoEcho parameter
    assert!(moto.stack_parameters(&stack).iter().any(|(k, _)| k == "Password"));

    let info = run(&moto, &["resources", "info", &name]).ok();
    let host = output(&moto, &stack, "Host").unwrap();
    assert!(
        info.out
            .contains(&format!("URL         postgres://postgres:****@{host}:5432/app")),
        "{}",
        info.out
    );
    assert!(info.out.contains("AllocatedStorage            25"), "{}", info.out);
    assert!(!info.out.contains(&password));
    let revealed = run(&moto, &["resources", "info", &name, "--reveal"]).ok();
    let url = format!("postgres://postgres:{password}@{host}:5432/app");
    assert!(revealed.out.contains(&url), "{}", revealed.out);

    let typo = run(&moto, &["resources", "update", &name, "AlocatedStorage=30", "--yes"]).fails();
    assert!(typo.out.contains("did you mean `AllocatedStorage`?"), "{}", typo.out);
    let replace = run(&moto, &["resources", "update", &name, "Username=admin", "--yes"]).fails();
    assert!(replace.out.contains("--allow-destroy was not given"), "{}", replace.out);
    let grown = run(&moto, &["resources", "update", &name, "allocated-storage=30", "--yes"]).ok();
    assert!(grown.out.contains("\"25\" → \"30\""), "{}", grown.out);
    assert!(grown.out.contains("UPDATE_COMPLETE"), "{}", grown.out);
    let t = template(&moto, &stack);
    assert_eq!(
        t.pointer("/Resources/Instance/Properties/AllocatedStorage"),
        Some(&serde_json::json!("30"))
    );
    // the options it was made with stay, and the password with them
    assert_eq!(
        t.pointer("/Metadata/convoxc/Options/AllocatedStorage"),
        Some(&serde_json::json!("30"))
    );
    assert_eq!(moto.parameter(&store).unwrap().1, password);

    let var = format!("POSTGRES_{}_URL", &name[9..]);
    let linked = run(&moto, &["resources", "link", &name, "--app", "myapp"]).ok();
    assert!(linked.out.contains(&var), "{}", linked.out);
    assert_eq!(
        moto.parameter(&format!("/convoxc/r/.resources/{name}/links/myapp"))
            .map(|p| p.1),
        Some(var.clone())
    );
    // nothing reaches the app before its apply, which shows it
    assert_eq!(moto.parameter(&format!("/convoxc/r/myapp/{var}")), None);
    let applied = apply(&moto, dir.path(), &[]).ok();
    assert!(applied.out.contains(&format!("+ {var} (new value")), "{}", applied.out);
    assert!(!applied.out.contains(&password), "{}", applied.out);
    assert_eq!(
        moto.parameter(&format!("/convoxc/r/myapp/{var}")),
        Some(("SecureString".into(), url.clone()))
    );
    let info = run(&moto, &["apps", "info", "--app", "myapp"]).ok();
    assert!(
        info.out.contains(&format!("Linked     {name} (as {var})")),
        "{}",
        info.out
    );

    let refused = run(&moto, &["resources", "delete", &name, "--yes"]).fails();
    assert!(
        refused.out.contains(&format!("{name} is still linked to myapp")),
        "{}",
        refused.out
    );
    assert_eq!(moto.stack_status(&stack).as_deref(), Some("UPDATE_COMPLETE"));

    let unlinked = run(&moto, &["resources", "unlink", &name, "--app", "myapp"]).ok();
    assert!(
        unlinked.out.contains(&format!("{var} goes with myapp's next")),
        "{}",
        unlinked.out
    );
    assert_eq!(
        moto.parameter(&format!("/convoxc/r/myapp/{var}")).map(|p| p.1),
        Some(url)
    );
    let applied = apply(&moto, dir.path(), &[]).ok();
    assert!(applied.out.contains(&format!("- {var} (removed")), "{}", applied.out);
    assert_eq!(moto.parameter(&format!("/convoxc/r/myapp/{var}")), None);

    let refused = run(&moto, &["resources", "delete", &name, "--yes"]).fails();
    assert!(refused.out.contains("--allow-destroy was not given"), "{}", refused.out);
    let deleted = run(&moto, &["resources", "delete", &name, "--yes", "--allow-destroy"]).ok();
    assert!(
        deleted
            .out
            .contains("snapshot Instance (database, AWS::RDS::DBInstance): a final snapshot is kept"),
        "{}",
        deleted.out
    );
    assert!(deleted.out.contains("DELETE_COMPLETE"), "{}", deleted.out);
    assert_eq!(moto.stack_status(&stack), None);
    assert_eq!(parameters(&moto, &format!("/convoxc/r/.resources/{name}")), vec![]);
    let gone = run(&moto, &["resources", "info", &name]).fails();
    assert!(
        gone.out
            .contains(&format!("rack r has no resource {name}: it has none")),
        "{}",
        gone.out
    );
}

/// A syslog resource linked to an app gets a subscription filter on the app's log group (in its
/// own stack, through a change set); unlinking removes it. Its URL stays a NoEcho parameter.
#[test]
fn a_syslog_resource_receives_a_linked_apps_logs() {
    let moto = Moto::start();
    let _dir = deployed_app(&moto);
    let secret_url = "tcp+tls://user:pw-3c9a@logs.example.com:6514";
    let url_arg = format!("url={secret_url}");
    let created = run(
        &moto,
        &["resources", "create", "syslog", "--name", "logs", &url_arg, "--yes"],
    )
    .ok();
    assert!(!created.out.contains("pw-3c9a"), "{}", created.out);
    let linked = run(&moto, &["resources", "link", "logs", "--app", "myapp", "--yes"]).ok();
    assert!(
        linked.out.contains("+ LinkMyapp (AWS::Logs::SubscriptionFilter) add"),
        "{}",
        linked.out
    );
    let group = output(&moto, "r-myapp", "LogGroup").unwrap();
    let t = template(&moto, "r-logs");
    assert_eq!(
        t.pointer("/Resources/LinkMyapp/Properties/LogGroupName"),
        Some(&serde_json::json!(group))
    );
    assert!(!serde_json::to_string(&t).unwrap().contains("pw-3c9a"));
    let info = run(&moto, &["resources", "info", "logs"]).ok();
    assert!(info.out.contains("Apps        myapp"), "{}", info.out);
    assert!(info.out.contains("tcp+tls://logs.example.com:6514/…"), "{}", info.out);
    run(&moto, &["resources", "unlink", "logs", "--app", "myapp", "--yes"]).ok();
    assert!(template(&moto, "r-logs").pointer("/Resources/LinkMyapp").is_none());
    // a type without a link strategy says so
    run(
        &moto,
        &[
            "resources",
            "create",
            "webhook",
            "--name",
            "hook",
            "url=https://hooks.example.org/x",
            "--yes",
        ],
    )
    .ok();
    let no = run(&moto, &["resources", "link", "hook", "--app", "myapp"]).fails();
    assert!(
        no.out.contains("resource type webhook does not have a link strategy"),
        "{}",
        no.out
    );
}

/// `env set` and `env unset` stage changes that reach nothing until the next apply, which shows
/// them and stores them; `env --reveal | env set -` copies an environment; the mask is refused.
#[test]
fn env_changes_wait_for_the_next_apply() {
    let moto = Moto::start();
    let dir = deployed_app(&moto);
    let live = "/convoxc/r/myapp/SECRET_KEY_BASE";
    run(
        &moto,
        &["env", "set", "--app", "myapp", "SECRET_KEY_BASE=second-77c", "EXTRA=1"],
    )
    .ok();
    run(&moto, &["env", "unset", "--app", "myapp", "EXTRA"]).ok();
    // the containers' value is untouched
    assert_eq!(moto.parameter(live).unwrap().1, "first-5d1");
    let shown = run(&moto, &["env", "--app", "myapp"]).ok();
    assert!(shown.out.starts_with("SECRET_KEY_BASE=********\n"), "{}", shown.out);
    assert!(
        shown
            .out
            .contains("pending until the next `convoxc apply` of myapp: SECRET_KEY_BASE (set)")
    );
    let unknown = run(&moto, &["env", "unset", "--app", "myapp", "NOPE"]).fails();
    assert!(unknown.out.contains("myapp has no variable NOPE"), "{}", unknown.out);

    let manifest = dir.path().join("convox.yml");
    let review = run(
        &moto,
        &["apply", manifest.to_str().unwrap(), "--app", "myapp", "--no-execute"],
    )
    .ok();
    assert!(
        review.out.contains("~ SECRET_KEY_BASE (value changed"),
        "{}",
        review.out
    );
    assert_eq!(moto.parameter(live).unwrap().1, "first-5d1");
    let applied = apply(&moto, dir.path(), &[]).ok();
    assert!(
        applied.out.contains("~ SECRET_KEY_BASE (value changed"),
        "{}",
        applied.out
    );
    assert_eq!(moto.parameter(live).unwrap().1, "second-77c");
    assert_eq!(moto.parameter("/convoxc/r/myapp/EXTRA"), None);
    // what was staged is spent
    assert_eq!(parameters(&moto, "/convoxc/r/myapp/.staged"), vec![]);
    assert_eq!(parameters(&moto, "/convoxc/r/myapp/.unset"), vec![]);
    let again = apply(&moto, dir.path(), &[]).ok();
    assert!(again.out.contains("no changes"), "{}", again.out);

    // copy: the masked listing is refused, the revealed one is taken
    let masked = run(&moto, &["env", "--app", "myapp"]).ok().out;
    let copy = |stdin: &str| {
        let mut cmd = moto.command(&["env", "set", "--app", "other", "--rack", "r", "-"]);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        Run::from(child.wait_with_output().unwrap())
    };
    let refused = copy(&masked).fails();
    assert!(refused.out.contains("the mask `convoxc env` prints"), "{}", refused.out);
    let revealed = run(&moto, &["env", "--app", "myapp", "--reveal"]).ok();
    let copied = copy(&revealed.out).ok();
    assert!(copied.out.contains("rack r has no app other"), "{}", copied.out);
    assert_eq!(
        moto.parameter("/convoxc/r/other/.staged/SECRET_KEY_BASE")
            .map(|p| p.1)
            .as_deref(),
        Some("second-77c")
    );
    let other = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("convox.yml"), other.path().join("convox.yml")).unwrap();
    let manifest = other.path().join("convox.yml");
    moto.run(&[
        "apply",
        manifest.to_str().unwrap(),
        "--app",
        "other",
        "--rack",
        "r",
        "--build",
        "B1",
        "--yes",
    ])
    .ok();
    assert_eq!(
        moto.parameter("/convoxc/r/other/SECRET_KEY_BASE").unwrap().1,
        "second-77c"
    );
}

/// `apps`, `apps info`, `apps delete` (what is kept is said; data deleted needs --allow-destroy;
/// the app's SSM values go with it); `rack` and `rack params set` through the rack's change set;
/// unknown names are said with what there is.
#[test]
fn apps_and_the_rack() {
    let moto = Moto::start();
    let _dir = deployed_app(&moto);
    let apps = run(&moto, &["apps"]).ok();
    assert_eq!(apps.out, "NAME   STATUS\nmyapp  running (CREATE_COMPLETE)\n");
    let info = run(&moto, &["apps", "info", "--app", "myapp"]).ok();
    for line in [
        "Status     running (CREATE_COMPLETE)",
        "Services   web  https://myapp-web.apps.example.com  web.myapp.r.convox (internal)",
        "           worker",
        "Resources  database (postgres)",
        "Timers     cleanup",
    ] {
        assert!(info.out.contains(line), "{line}:\n{}", info.out);
    }
    let typo = run(&moto, &["apps", "info", "--app", "myap"]).fails();
    assert!(
        typo.out.contains("rack r has no app myap (did you mean myapp?)"),
        "{}",
        typo.out
    );

    let rack = run(&moto, &["rack"]).ok();
    assert!(
        rack.out
            .starts_with("Name     r\nStatus   running (CREATE_COMPLETE)\nKind     convoxc\nRegion   us-east-1\n")
    );
    let missing = moto.run(&["rack", "--rack", "rr"]).fails();
    assert!(
        missing.out.contains("rack rr not found (did you mean r?)")
            && missing.out.contains("the racks in us-east-1 are r"),
        "{}",
        missing.out
    );
    let bad = run(&moto, &["rack", "params", "set", "Interal=Yes", "--yes"]).fails();
    assert!(bad.out.contains("did you mean `Internal`?"), "{}", bad.out);
    let set = run(&moto, &["rack", "params", "set", "InstanceType=t3.medium", "--yes"]).ok();
    assert!(set.out.contains("\"t3.small\" → \"t3.medium\""), "{}", set.out);
    assert!(set.out.contains("ok: r UPDATE_COMPLETE"), "{}", set.out);
    let params = run(&moto, &["rack", "params"]).ok();
    assert!(
        params.out.lines().any(|l| l == "InstanceType=t3.medium"),
        "{}",
        params.out
    );
    assert!(
        params.out.lines().any(|l| l == "RouterHost=apps.example.com"),
        "{}",
        params.out
    );

    assert!(!parameters(&moto, "/convoxc/r/myapp").is_empty());
    let refused = run(&moto, &["apps", "delete", "myapp", "--yes"]).fails();
    assert!(refused.out.contains("kept     LogGroup (log group"), "{}", refused.out);
    assert!(
        refused
            .out
            .contains("snapshot ResourceDatabase Instance (database, AWS::RDS::DBInstance)"),
        "{}",
        refused.out
    );
    assert_eq!(moto.stack_status("r-myapp").as_deref(), Some("CREATE_COMPLETE"));
    let deleted = run(&moto, &["apps", "delete", "myapp", "--yes", "--allow-destroy"]).ok();
    assert!(deleted.out.contains("ok: app myapp deleted"), "{}", deleted.out);
    assert_eq!(moto.stack_status("r-myapp"), None);
    assert_eq!(parameters(&moto, "/convoxc/r/myapp"), vec![]);
    assert!(
        run(&moto, &["apps"])
            .ok()
            .out
            .starts_with("NAME  STATUS\nrack r has no apps")
    );
}

/// s3 (and sns, sqs): the URL convox gives carries the resource's access key, read from its
/// Secrets Manager secret: masked in `info`, whole in the linked app's stored value.
#[test]
fn an_s3_resource_links_with_its_access_key() {
    let moto = Moto::start();
    let dir = deployed_app(&moto);
    run(&moto, &["resources", "create", "s3", "--name", "files", "--yes"]).ok();
    let bucket = output(&moto, "r-files", "Bucket").unwrap();
    let secret_arn = output(&moto, "r-files", "Credentials").unwrap();
    let info = run(&moto, &["resources", "info", "files"]).ok();
    let url_line = info.out.lines().find(|l| l.starts_with("URL")).unwrap().to_string();
    assert!(url_line.ends_with(&format!(":****@{bucket}")), "{}", info.out);
    assert!(
        info.out
            .contains(&format!("Access key  in the Secrets Manager secret {secret_arn}")),
        "{}",
        info.out
    );
    run(&moto, &["resources", "link", "files", "--app", "myapp"]).ok();
    apply(&moto, dir.path(), &[]).ok();
    let (_, stored) = moto
        .parameter("/convoxc/r/myapp/FILES_URL")
        .expect("the URL is stored for the app");
    let revealed = run(&moto, &["resources", "info", "files", "--reveal"]).ok();
    assert!(
        revealed.out.contains(&format!("URL         {stored}")),
        "{}",
        revealed.out
    );
    assert!(
        stored.starts_with("s3://") && stored.ends_with(&format!("@{bucket}")),
        "{stored}"
    );
    assert!(!stored.contains("****"), "{stored}");
}

/// The KMS key an SSM parameter is encrypted with (DescribeParameters' `KeyId`).
fn key_id(moto: &Moto, name: &str) -> Option<String> {
    let ssm = aws_sdk_ssm::Client::new(&moto.conf());
    moto.rt.block_on(async {
        let filter = aws_sdk_ssm::types::ParameterStringFilter::builder()
            .key("Name")
            .option("Equals")
            .values(name)
            .build()
            .unwrap();
        let out = ssm
            .describe_parameters()
            .parameter_filters(filter)
            .send()
            .await
            .unwrap();
        out.parameters().first()?.key_id().map(str::to_string)
    })
}

/// A value staged with `env set` while an apply runs — after its plan read the staged values,
/// before it stores them and deletes what it read — is not lost: the apply stores what it read,
/// deletes only the staged parameter at the version it read, keeps the newer one (and says so),
/// and the next apply carries that one out. The apply waits between the two while moto answers
/// its DescribeChangeSet (`CONVOXC_MOTO_DESCRIBE_DELAY`); the second `env set` runs then.
#[test]
fn a_value_staged_while_an_apply_runs_waits_for_the_next() {
    let moto = Moto::start_with_env(&[("CONVOXC_MOTO_DESCRIBE_DELAY", "2.0")]);
    let dir = deployed_app(&moto);
    let live = "/convoxc/r/myapp/SECRET_KEY_BASE";
    let staged = "/convoxc/r/myapp/.staged/SECRET_KEY_BASE";
    run(&moto, &["env", "set", "--app", "myapp", "SECRET_KEY_BASE=second-3a1"]).ok();
    let before = moto.change_set_count("r-myapp");
    let manifest = dir.path().join("convox.yml");
    let mut args = vec!["apply", manifest.to_str().unwrap()];
    args.extend_from_slice(APP);
    let child = moto
        .command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // its change set exists: the apply has read the staged value and waits for the change set
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while moto.change_set_count("r-myapp") <= before {
        assert!(std::time::Instant::now() < deadline, "no change set was created");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    run(&moto, &["env", "set", "--app", "myapp", "SECRET_KEY_BASE=third-9f0"]).ok();
    let applied = Run::from(child.wait_with_output().unwrap()).ok();
    assert!(
        applied
            .out
            .contains("environment: SECRET_KEY_BASE staged again while this apply ran"),
        "{}",
        applied.out
    );
    assert_eq!(moto.parameter(live).unwrap().1, "second-3a1");
    assert_eq!(moto.parameter(staged).unwrap().1, "third-9f0");
    // the next apply carries it out, and spends it
    let next = apply(&moto, dir.path(), &[]).ok();
    assert!(next.out.contains("~ SECRET_KEY_BASE (value changed"), "{}", next.out);
    assert_eq!(moto.parameter(live).unwrap().1, "third-9f0");
    assert_eq!(parameters(&moto, "/convoxc/r/myapp/.staged"), vec![]);
}

/// SecureStrings are encrypted with the rack's own KMS key (its `CustomerManagedKey` output, which
/// the app's roles may use through `CMKPolicy`), not AWS's `aws/ssm`: the app's values, its
/// generated resource password and what `env set` stages. A value an earlier convoxc stored under
/// `aws/ssm` is still read (and deployed as it is), and moves to the rack's key when next written.
#[test]
fn secrets_are_encrypted_with_the_racks_key() {
    let moto = Moto::start();
    rack(&moto, "r");
    let key = output(&moto, "r", "CustomerManagedKey").expect("the rack's key");
    assert!(key.starts_with("arn:aws:kms:"), "{key}");
    // as an earlier convoxc stored it: no KeyId, so aws/ssm
    let live = "/convoxc/r/myapp/SECRET_KEY_BASE";
    let ssm = aws_sdk_ssm::Client::new(&moto.conf());
    moto.rt.block_on(async {
        ssm.put_parameter()
            .name(live)
            .value("old-4c2")
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .send()
            .await
            .unwrap();
    });
    assert_eq!(key_id(&moto, live).as_deref(), Some("alias/aws/ssm"));
    let dir = app_dir(str::to_string);
    // the required value is the one stored under aws/ssm: read, and left as it is
    let applied = apply(&moto, dir.path(), &[]).ok();
    assert!(!applied.out.contains("aws/ssm"), "{}", applied.out);
    assert_eq!(moto.parameter(live).unwrap().1, "old-4c2");
    assert_eq!(key_id(&moto, live).as_deref(), Some("alias/aws/ssm"));
    let password = "/convoxc/r/myapp/.resource-password";
    assert_eq!(key_id(&moto, password).as_deref(), Some(key.as_str()));
    let shown = run(&moto, &["env", "--app", "myapp", "--reveal"]).ok();
    assert!(shown.out.contains("SECRET_KEY_BASE=old-4c2"), "{}", shown.out);

    // staged, then stored: both under the rack's key
    run(&moto, &["env", "set", "--app", "myapp", "SECRET_KEY_BASE=new-81d"]).ok();
    let staged = "/convoxc/r/myapp/.staged/SECRET_KEY_BASE";
    assert_eq!(key_id(&moto, staged).as_deref(), Some(key.as_str()));
    apply(&moto, dir.path(), &[]).ok();
    assert_eq!(moto.parameter(live).unwrap().1, "new-81d");
    assert_eq!(key_id(&moto, live).as_deref(), Some(key.as_str()));
}
