//! The local AWS emulator the applier's tests run against: moto's server (pip
//! `moto[server]==5.2.1`), started by each test on 127.0.0.1 and a free port through the launcher
//! `moto_server.py` (its docstring lists what it corrects in moto), stopped on drop; the binary run
//! against it as a user would, and state read with the AWS SDK. Shared by `apply.rs` and
//! `diff.rs`.
#![allow(dead_code)] // each test file uses part of it

#[allow(dead_code)]
mod registry;
#[allow(unused_imports)] // the image tests use it, the others do not
pub use registry::{LocalRegistry, World};

use aws_sdk_cloudformation::config::{BehaviorVersion, Credentials, Region};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub struct Moto {
    child: Child,
    port: u16,
    pub rt: tokio::runtime::Runtime,
}

impl Moto {
    pub fn start() -> Moto {
        Moto::start_with_delay(0.0)
    }

    /// `delay`: seconds moto waits before applying an executed change set (the stack stays
    /// *_IN_PROGRESS meanwhile), to interrupt a deploy mid-way.
    pub fn start_with_delay(delay: f64) -> Moto {
        Moto::start_with_env(&[("CONVOXC_MOTO_EXECUTE_DELAY", &delay.to_string())])
    }

    /// With the launcher's settings (`CONVOXC_MOTO_*`, its docstring says which).
    pub fn start_with_env(env: &[(&str, &str)]) -> Moto {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moto_server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("0")
            .envs(env.iter().copied())
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

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_convoxc"));
        cmd.args(args)
            .args(["--endpoint-url", &self.endpoint(), "--region", "us-east-1"])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_PROFILE")
            .env("CONVOXC_POLL_MS", "100")
            // no current rack of the user's (a test that wants one sets XDG_CONFIG_HOME)
            .env_remove("CONVOXC_RACK")
            .env("XDG_CONFIG_HOME", "/nonexistent/convoxc-tests")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().unwrap();
        Run::from(out)
    }

    pub fn conf(&self) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_cloudformation::config::SharedCredentialsProvider::new(
                Credentials::new("testing", "testing", None, None, "test"),
            ))
            .build()
    }

    pub fn cfn(&self) -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::new(&self.conf())
    }

    pub fn stack_status(&self, name: &str) -> Option<String> {
        let cfn = self.cfn();
        self.rt.block_on(async {
            let out = cfn.describe_stacks().stack_name(name).send().await.ok()?;
            Some(out.stacks().first()?.stack_status()?.as_str().to_string())
        })
    }

    pub fn change_set_count(&self, stack: &str) -> usize {
        let cfn = self.cfn();
        self.rt.block_on(async {
            let out = cfn.list_change_sets().stack_name(stack).send().await.unwrap();
            out.summaries().len()
        })
    }

    /// The change sets of a stack: (name, status, execution status).
    pub fn change_sets(&self, stack: &str) -> Vec<(String, String, String)> {
        let cfn = self.cfn();
        self.rt.block_on(async {
            let out = cfn.list_change_sets().stack_name(stack).send().await.unwrap();
            out.summaries()
                .iter()
                .map(|s| {
                    (
                        s.change_set_name().unwrap_or("").to_string(),
                        s.status().map(|x| x.as_str().to_string()).unwrap_or_default(),
                        s.execution_status().map(|x| x.as_str().to_string()).unwrap_or_default(),
                    )
                })
                .collect()
        })
    }

    fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.conf())
                .force_path_style(true)
                .build(),
        )
    }

    /// Every object in every bucket: (key, text).
    pub fn objects(&self) -> Vec<(String, String)> {
        self.objects_by_bucket().into_iter().map(|(_, k, t)| (k, t)).collect()
    }

    /// Every object in every bucket: (bucket, key, text).
    pub fn objects_by_bucket(&self) -> Vec<(String, String, String)> {
        let s3 = self.s3();
        self.rt.block_on(async {
            let mut out = Vec::new();
            for b in s3.list_buckets().send().await.unwrap().buckets() {
                let name = b.name().unwrap();
                let list = s3.list_objects_v2().bucket(name).send().await.unwrap();
                for o in list.contents() {
                    let key = o.key().unwrap();
                    let body = s3.get_object().bucket(name).key(key).send().await.unwrap().body;
                    let bytes = body.collect().await.unwrap().into_bytes();
                    out.push((
                        name.to_string(),
                        key.to_string(),
                        String::from_utf8_lossy(&bytes).into_owned(),
                    ));
                }
            }
            out
        })
    }

    /// Put `text` at `bucket`/`key`, as anyone with write access to the bucket could.
    pub fn put_object(&self, bucket: &str, key: &str, text: &str) {
        let s3 = self.s3();
        self.rt.block_on(async {
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(text.as_bytes().to_vec().into())
                .send()
                .await
                .unwrap();
        });
    }

    /// Put log lines into a stream of a group (made if it is new), the first at `time` (ms since
    /// the epoch), each next a millisecond later — as ECS's awslogs driver writes a task's lines.
    pub fn put_log(&self, group: &str, stream: &str, time: i64, lines: &[&str]) {
        let c = aws_sdk_cloudwatchlogs::Client::new(&self.conf());
        self.rt.block_on(async {
            // an error here is a stream that is there already
            let _ = c
                .create_log_stream()
                .log_group_name(group)
                .log_stream_name(stream)
                .send()
                .await;
            let mut put = c.put_log_events().log_group_name(group).log_stream_name(stream);
            for (i, l) in lines.iter().enumerate() {
                put = put.log_events(
                    aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                        .timestamp(time + i as i64)
                        .message(*l)
                        .build()
                        .unwrap(),
                );
            }
            put.send().await.unwrap();
        });
    }

    /// An SSM parameter: (type, decrypted value).
    pub fn parameter(&self, name: &str) -> Option<(String, String)> {
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

    /// A stack resource's physical ID.
    pub fn physical_id(&self, stack: &str, logical: &str) -> String {
        let cfn = self.cfn();
        self.rt.block_on(async {
            cfn.describe_stack_resource()
                .stack_name(stack)
                .logical_resource_id(logical)
                .send()
                .await
                .unwrap()
                .stack_resource_detail()
                .unwrap()
                .physical_resource_id()
                .unwrap()
                .to_string()
        })
    }

    pub fn stack_parameters(&self, name: &str) -> Vec<(String, String)> {
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

impl Moto {
    /// Stop the server (as a dropped connection or an outage would).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Run {
    pub code: Option<i32>,
    pub out: String,
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
    pub fn ok(self) -> Run {
        assert_eq!(self.code, Some(0), "{}", self.out);
        self
    }
    #[track_caller]
    pub fn fails(self) -> Run {
        assert_eq!(self.code, Some(1), "{}", self.out);
        self
    }
}

/// A finished run, its stdout and stderr apart.
pub struct Apart {
    pub code: Option<i32>,
    pub out: String,
    pub err: String,
}

impl Apart {
    #[track_caller]
    pub fn ok(self) -> Apart {
        self.code(0)
    }
    #[track_caller]
    pub fn code(self, want: i32) -> Apart {
        assert_eq!(self.code, Some(want), "{}{}", self.out, self.err);
        self
    }
}

impl Moto {
    /// Run the binary; its stdout and stderr apart.
    pub fn run_apart(&self, args: &[&str]) -> Apart {
        let o = self.command(args).output().unwrap();
        Apart {
            code: o.status.code(),
            out: String::from_utf8_lossy(&o.stdout).into_owned(),
            err: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// `text` contains `want` (the text is the failure message).
#[track_caller]
pub fn has(text: &str, want: &str) {
    assert!(text.contains(want), "{want:?} not in:\n{text}");
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// A certificate for `*.apps.example.com` in moto's ACM (through boto3, which moto brings): its ARN.
pub fn certificate(moto: &Moto) -> String {
    let script = format!(
        "import boto3; print(boto3.client('acm', endpoint_url='{}', region_name='us-east-1', \
         aws_access_key_id='testing', aws_secret_access_key='testing')\
         .request_certificate(DomainName='*.apps.example.com')['CertificateArn'])",
        moto.endpoint()
    );
    let out = Command::new("python3").args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Deploy the real rack (`convoxc rack apply`, compiled from rack params) onto moto. Its
/// router needs a certificate: moto's CloudFormation has no ACM resources but its ACM API
/// works, so one is requested there first (through boto3, which moto brings) and given as
/// RouterCertificateArn.
pub fn rack(moto: &Moto, name: &str) {
    let arn = certificate(moto);
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
            "--rack",
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
pub fn fixture_rack(moto: &Moto, name: &str) {
    let t = fixture("rack.json");
    moto.run(&[
        "rack",
        "apply",
        "--rack",
        name,
        "--template",
        t.to_str().unwrap(),
        "--yes",
    ])
    .ok();
}

pub const APP: &[&str] = &["--app", "myapp", "--rack", "r", "--build", "B1", "--yes"];

/// An app directory with the fixture manifest, `edit` applied to its text.
pub fn app_dir(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("app/convox.yml")).unwrap();
    std::fs::write(dir.path().join("convox.yml"), edit(&text)).unwrap();
    dir
}

pub fn apply(moto: &Moto, dir: &Path, extra: &[&str]) -> Run {
    let manifest = dir.join("convox.yml");
    let mut args = vec!["apply", manifest.to_str().unwrap()];
    args.extend_from_slice(APP);
    args.extend_from_slice(extra);
    moto.run(&args)
}

/// The uploaded keys an apply printed.
pub fn uploaded(run: &Run) -> BTreeSet<String> {
    run.out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("uploaded "))
        .map(str::to_string)
        .collect()
}

/// The content-addressed keys of a build of `dir`: (root, { bundle path → key }).
pub fn keys(dir: &Path) -> (String, Vec<(String, String)>) {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_convoxc"))
        .args([
            "build",
            dir.join("convox.yml").to_str().unwrap(),
            "--app",
            "myapp",
            "--rack",
            "r",
        ])
        .args(["-e", "SECRET_KEY_BASE=x", "--out-dir", out.path().to_str().unwrap()])
        // as apply builds it: the value stored once (its first SSM version)
        .args(["--env-version", "SECRET_KEY_BASE=1"])
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

pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

/// Run the binary with `args`, and press Ctrl-C (SIGINT) once the stack has more than `before`
/// change sets (it is waiting for its change set). Returns (exit code, stdout, stderr).
pub fn interrupt_at_change_set(
    moto: &Moto,
    stack: &str,
    before: usize,
    args: &[&str],
) -> (Option<i32>, String, String) {
    let child = moto
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while moto.change_set_count(stack) <= before {
        assert!(std::time::Instant::now() < deadline, "no change set was created");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Start `apply` of the fixture app in `dir` (with `extra` arguments and `env`), and read its
/// output until it executes its change set. Returns the running child (its stdout taken) and what
/// it printed so far.
#[allow(clippy::zombie_processes)] // the caller waits for it
pub fn apply_until_executing(moto: &Moto, dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let manifest = dir.join("convox.yml");
    let mut args = vec!["apply", manifest.to_str().unwrap()];
    args.extend_from_slice(APP);
    args.extend_from_slice(extra);
    let mut child = moto
        .command(&args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0 && std::time::Instant::now() < deadline,
            "{seen}"
        );
        seen.push_str(&line);
        if line.starts_with("executing the change set") {
            return (child, seen);
        }
    }
}

/// Now, in ms since the epoch (log event times).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
