//! `convoxc apply` and `convoxc rack apply` against a real local AWS emulator: moto's server
//! (pip `moto[server]==5.2.1`), started by each test on 127.0.0.1 and a free port through the
//! launcher `moto_server.py` (its docstring lists what it corrects in moto), stopped on drop.
//! The binary is driven as a user would; state is checked with the AWS SDK.
//!
//! The rack deployed here is the real one, compiled by `convoxc rack apply` from rack params; one
//! test also uses a FIXTURE rack (`fixtures/rack.json` without its exports) to make an app fail.
//!
//! What moto cannot model, and where it is tested instead: per-resource stack events, nested
//! change sets and `Replacement` (replacement is predicted; unit tests in `apply/changeset.rs`),
//! UPDATE_ROLLBACK_FAILED and a root cause hidden behind "Resource creation cancelled" (unit tests
//! on recorded responses in `apply/stack.rs`).

use aws_sdk_cloudformation::config::{BehaviorVersion, Credentials, Region};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

struct Moto {
    child: Child,
    port: u16,
    rt: tokio::runtime::Runtime,
}

impl Moto {
    fn start() -> Moto {
        Moto::start_with_delay(0.0)
    }

    /// `delay`: seconds moto waits before applying an executed change set (the stack stays
    /// *_IN_PROGRESS meanwhile), to interrupt a deploy mid-way.
    fn start_with_delay(delay: f64) -> Moto {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moto_server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("0")
            .env("CONVOXC_MOTO_EXECUTE_DELAY", delay.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs (pip install 'moto[server]==5.2.1')");
        // the launcher prints "ready PORT" once it serves
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .strip_prefix("ready ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("moto did not start: {line:?} (is moto[server] 5.2.1 installed?)"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Moto { child, port, rt }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_convoxc"));
        cmd.args(args)
            .args(["--endpoint-url", &self.endpoint(), "--region", "us-east-1"])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_PROFILE")
            .env("CONVOXC_POLL_MS", "100")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().unwrap();
        Run::from(out)
    }

    fn conf(&self) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_cloudformation::config::SharedCredentialsProvider::new(
                Credentials::new("testing", "testing", None, None, "test"),
            ))
            .build()
    }

    fn cfn(&self) -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::new(&self.conf())
    }

    fn stack_status(&self, name: &str) -> Option<String> {
        let cfn = self.cfn();
        self.rt.block_on(async {
            let out = cfn.describe_stacks().stack_name(name).send().await.ok()?;
            Some(out.stacks().first()?.stack_status()?.as_str().to_string())
        })
    }

    fn change_set_count(&self, stack: &str) -> usize {
        let cfn = self.cfn();
        self.rt.block_on(async {
            let out = cfn.list_change_sets().stack_name(stack).send().await.unwrap();
            out.summaries().len()
        })
    }

    /// Every object in every bucket: (key, text).
    fn objects(&self) -> Vec<(String, String)> {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.conf())
                .force_path_style(true)
                .build(),
        );
        self.rt.block_on(async {
            let mut out = Vec::new();
            for b in s3.list_buckets().send().await.unwrap().buckets() {
                let name = b.name().unwrap();
                let list = s3.list_objects_v2().bucket(name).send().await.unwrap();
                for o in list.contents() {
                    let key = o.key().unwrap();
                    let body = s3.get_object().bucket(name).key(key).send().await.unwrap().body;
                    let bytes = body.collect().await.unwrap().into_bytes();
                    out.push((key.to_string(), String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
            out
        })
    }

    /// An SSM parameter: (type, decrypted value).
    fn parameter(&self, name: &str) -> Option<(String, String)> {
        let ssm = aws_sdk_ssm::Client::new(&self.conf());
        self.rt.block_on(async {
            let p = ssm
                .get_parameter()
                .name(name)
                .with_decryption(true)
                .send()
                .await
                .ok()?
                .parameter?;
            Some((p.r#type()?.as_str().to_string(), p.value()?.to_string()))
        })
    }

    fn stack_parameters(&self, name: &str) -> Vec<(String, String)> {
        let cfn = self.cfn();
        self.rt.block_on(async {
            let out = cfn.describe_stacks().stack_name(name).send().await.unwrap();
            out.stacks()[0]
                .parameters()
                .iter()
                .map(|p| {
                    (
                        p.parameter_key().unwrap_or("").to_string(),
                        p.parameter_value().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Run {
    code: Option<i32>,
    out: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code(),
            out: format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        }
    }
}

impl Run {
    #[track_caller]
    fn ok(self) -> Run {
        assert_eq!(self.code, Some(0), "{}", self.out);
        self
    }
    #[track_caller]
    fn fails(self) -> Run {
        assert_eq!(self.code, Some(1), "{}", self.out);
        self
    }
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// Deploy the real rack (`convoxc rack apply`, compiled from rack params) onto moto. Its
/// router needs a certificate: moto's CloudFormation has no ACM resources but its ACM API
/// works, so one is requested there first (through boto3, which moto brings) and given as
/// RouterCertificateArn.
fn rack(moto: &Moto, name: &str) {
    let script = format!(
        "import boto3; print(boto3.client('acm', endpoint_url='{}', region_name='us-east-1', \
         aws_access_key_id='testing', aws_secret_access_key='testing')\
         .request_certificate(DomainName='*.apps.example.com')['CertificateArn'])",
        moto.endpoint()
    );
    let out = Command::new("python3").args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let arn = String::from_utf8(out.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("rack.yml");
    std::fs::write(
        &params,
        format!("RouterHost: apps.example.com\nRouterCertificateArn: {}\n", arn.trim()),
    )
    .unwrap();
    let run = moto
        .run(&[
            "rack",
            "apply",
            "--name",
            name,
            "--rack-params",
            params.to_str().unwrap(),
            "--yes",
        ])
        .ok();
    assert!(run.out.contains("SettingsBucket = "), "{}", run.out);
}

/// The FIXTURE rack (`fixtures/rack.json`): a settings bucket and the exports the app imports.
/// Only the failure test uses it, to go from a rack without exports to one with them (moto
/// cannot update its bare stack into the real rack).
fn fixture_rack(moto: &Moto, name: &str) {
    let t = fixture("rack.json");
    moto.run(&[
        "rack",
        "apply",
        "--name",
        name,
        "--template",
        t.to_str().unwrap(),
        "--yes",
    ])
    .ok();
}

const APP: &[&str] = &["--app", "myapp", "--rack", "r", "--build", "B1", "--yes"];

/// An app directory with the fixture manifest, `edit` applied to its text.
fn app_dir(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("app/convox.yml")).unwrap();
    std::fs::write(dir.path().join("convox.yml"), edit(&text)).unwrap();
    dir
}

fn apply(moto: &Moto, dir: &Path, extra: &[&str]) -> Run {
    let manifest = dir.join("convox.yml");
    let mut args = vec!["apply", manifest.to_str().unwrap()];
    args.extend_from_slice(APP);
    args.extend_from_slice(extra);
    moto.run(&args)
}

/// The uploaded keys an apply printed.
fn uploaded(run: &Run) -> BTreeSet<String> {
    run.out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("uploaded "))
        .map(str::to_string)
        .collect()
}

/// The content-addressed keys of a build of `dir`: (root, { bundle path → key }).
fn keys(dir: &Path) -> (String, Vec<(String, String)>) {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_convoxc"))
        .args([
            "build",
            dir.join("convox.yml").to_str().unwrap(),
            "--app",
            "myapp",
            "--rack-name",
            "r",
        ])
        .args(["-e", "SECRET_KEY_BASE=x", "--out-dir", out.path().to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let key = |p: &Path| {
        use std::fmt::Write;
        let bytes = std::fs::read(p).unwrap();
        let digest = sha256(&bytes);
        let mut hex = String::new();
        for b in digest {
            write!(hex, "{b:02x}").unwrap();
        }
        format!("convoxc/templates/{hex}.json")
    };
    let mut nested = Vec::new();
    for kind in ["services", "timers", "resources"] {
        let Ok(entries) = std::fs::read_dir(out.path().join(kind)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            nested.push((format!("{kind}/{}", p.file_name().unwrap().to_string_lossy()), key(&p)));
        }
    }
    nested.sort();
    (key(&out.path().join("app.json")), nested)
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

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
    assert!(
        run.out.contains("~ ServiceWorker (AWS::CloudFormation::Stack)"),
        "{}",
        run.out
    );
    assert!(
        run.out
            .contains("~ Tasks (AWS::ECS::TaskDefinition)  REPLACED (predicted)"),
        "{}",
        run.out
    );
    assert!(!run.out.contains("ServiceWeb"), "{}", run.out);
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
        "--name",
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

    // the rack gets its exports; the failed stack must be deleted first
    fixture_rack(&moto, "r");
    let manifest = dir.path().join("convox.yml");
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
    let manifest = dir.path().join("convox.yml");
    let mut args = vec!["apply", manifest.to_str().unwrap()];
    args.extend_from_slice(APP);
    args.extend_from_slice(&["-e", "SECRET_KEY_BASE=x"]);
    let mut child = moto
        .command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0 && Instant::now() < deadline,
            "{seen}"
        );
        seen.push_str(&line);
        if line.starts_with("executing the change set") {
            break;
        }
    }
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
    let run = moto
        .run(&[
            "apply",
            m,
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
    let usage = moto.run(&["apply", m]);
    assert_eq!(usage.code, Some(2), "{}", usage.out);
}
