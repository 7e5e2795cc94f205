//! A docker-compatible engine CLI (docker, podman, finch, nerdctl) that builds images and pushes them.
//! Builds run with the user's own engine configuration (private base images keep working); a push runs
//! with a `Login`: the registry's credentials in a temporary configuration of its own, which the user's
//! `~/.docker/config.json` never sees.

use super::context::BuildSpec;
pub(crate) use super::login::Login;
use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

/// Which engine a program is: they take the same commands, with a few flags of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Docker,
    Podman,
    Finch,
    Nerdctl,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Docker, Kind::Podman, Kind::Finch, Kind::Nerdctl];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Docker => "docker",
            Kind::Podman => "podman",
            Kind::Finch => "finch",
            Kind::Nerdctl => "nerdctl",
        }
    }

    /// The kind a program's file name says (`podman`, `podman-remote`, `docker.exe`).
    fn of(program: &Path) -> Option<Kind> {
        let stem = program.file_stem()?.to_str()?.to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| stem == k.name() || stem.starts_with(&format!("{}-", k.name())))
    }
}

/// An engine program, and the variables its commands run with besides the inherited ones.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    pub kind: Kind,
    pub program: PathBuf,
    /// extra environment for every command (tests point HOME and the engine's storage elsewhere)
    pub envs: Vec<(OsString, OsString)>,
}

/// Where the engine's own output goes while it runs.
#[derive(Debug, Clone)]
pub(crate) enum Output {
    /// each line to stderr as it comes (text mode)
    Stderr,
    /// nowhere (JSON mode); a failure still carries the last lines
    Discard,
    /// each line to the receiver (the tests read the output this way)
    #[cfg_attr(not(test), allow(dead_code))]
    Lines(mpsc::UnboundedSender<String>),
}

/// How many of the last lines of output a failure carries.
const TAIL: usize = 20;

/// An engine that cannot be found or run, or a command of it that failed. Never holds a password.
#[derive(Debug)]
pub(crate) enum EngineError {
    /// no engine on PATH, or the one asked for is not there: what to install or choose
    NotFound(String),
    /// the program could not be started
    Start(PathBuf, std::io::Error),
    /// it ran and failed: what it was doing, its exit status, its last lines of output
    Failed {
        what: String,
        status: ExitStatus,
        tail: Vec<String>,
    },
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::NotFound(msg) => f.write_str(msg),
            EngineError::Start(p, e) => write!(f, "cannot run {}: {e}", p.display()),
            EngineError::Failed { what, status, tail } => {
                write!(f, "{what} failed ({status})")?;
                if !tail.is_empty() {
                    write!(f, "; its last lines of output:")?;
                    for line in tail {
                        write!(f, "\n  {line}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for EngineError {}

const INSTALL: &str = "install Docker (or Podman, Finch or nerdctl), or choose one with --engine or CONVOXC_ENGINE";

impl Engine {
    /// `choice`: the --engine value, else the CONVOXC_ENGINE variable, else the first of docker, podman,
    /// finch, nerdctl on PATH. A choice is a name (`podman`) or a path to the program.
    pub(crate) fn find(choice: Option<&str>) -> Result<Engine, EngineError> {
        let from_env = std::env::var_os("CONVOXC_ENGINE").filter(|v| !v.is_empty());
        find_in(
            choice.map(OsStr::new).or(from_env.as_deref()),
            std::env::var_os("PATH").as_deref(),
        )
    }

    /// Build `spec` tagged with each of `tags` (the context, `-f` the Dockerfile, `--build-arg` each arg,
    /// `--platform`). A failed build is an error with its exit status and last lines of output.
    /// Returns the image's ID (the engine writes it with `--iidfile`).
    pub(crate) async fn build(&self, spec: &BuildSpec, tags: &[String], out: Output) -> Result<String, EngineError> {
        let iid = tempfile::NamedTempFile::new().map_err(|e| EngineError::Start(self.program.clone(), e))?;
        let mut args: Vec<OsString> = vec!["build".into(), "-f".into(), spec.dockerfile.clone().into()];
        args.extend(["--iidfile".into(), iid.path().into()]);
        args.extend(["--platform".into(), OsString::from(&spec.platform)]);
        for (name, value) in &spec.args {
            args.extend(["--build-arg".into(), format!("{name}={value}").into()]);
        }
        for tag in tags {
            args.extend(["-t".into(), tag.into()]);
        }
        let mut envs = Vec::new();
        match self.kind {
            // the output is a pipe: BuildKit's plain progress, one line per step
            Kind::Docker => envs.push(("BUILDKIT_PROGRESS".into(), "plain".into())),
            Kind::Nerdctl | Kind::Finch => args.push("--progress=plain".into()),
            Kind::Podman => {}
        }
        args.push(spec.context.clone().into());
        let what = format!("{} build of {}", self.kind.name(), spec.context.display());
        self.run(&what, &args, &envs, out).await?;
        let id = std::fs::read_to_string(iid.path())
            .unwrap_or_default()
            .trim()
            .to_string();
        Ok(id)
    }

    /// Push the local image `source` (an ID or a name) as `reference` in the registry. Podman pushes
    /// it there by ID, with no local name in between (names in its store are shared by every
    /// process on the machine); the others need the name first (`tag`), then push it.
    pub(crate) async fn push_as(
        &self,
        source: &str,
        reference: &str,
        auth: &Login,
        insecure: bool,
        out: Output,
    ) -> Result<(), EngineError> {
        if self.kind != Kind::Podman {
            self.tag(source, reference).await?;
            return self.push(reference, auth, insecure, out).await;
        }
        let mut args: Vec<OsString> = vec!["push".into(), "--authfile".into(), auth.config_file().into()];
        if insecure {
            args.push("--tls-verify=false".into());
        }
        args.extend([source.into(), format!("docker://{reference}").into()]);
        let envs = [(
            OsString::from("REGISTRY_AUTH_FILE"),
            auth.config_file().into_os_string(),
        )];
        let what = format!("{} push of {reference}", self.kind.name());
        self.run(&what, &args, &envs, out).await
    }

    /// Push `image` (a full reference, host/repository:tag) with the credentials of `auth`. `insecure` (a
    /// plain-HTTP registry, for tests) adds the engine's flag for it (docker needs none for 127.0.0.1).
    pub(crate) async fn push(&self, image: &str, auth: &Login, insecure: bool, out: Output) -> Result<(), EngineError> {
        let mut args: Vec<OsString> = vec!["push".into()];
        let mut envs: Vec<(OsString, OsString)> = Vec::new();
        match self.kind {
            Kind::Podman => {
                args.extend(["--authfile".into(), auth.config_file().into()]);
                envs.push(("REGISTRY_AUTH_FILE".into(), auth.config_file().into()));
                if insecure {
                    args.push("--tls-verify=false".into());
                }
            }
            Kind::Docker | Kind::Nerdctl | Kind::Finch => {
                envs.push(("DOCKER_CONFIG".into(), auth.dir().into()));
                if insecure && self.kind != Kind::Docker {
                    args.push("--insecure-registry".into());
                }
            }
        }
        args.push(image.into());
        let what = format!("{} push of {image}", self.kind.name());
        self.run(&what, &args, &envs, out).await
    }

    /// Give the local image `source` the name `target` (a full reference in the registry).
    pub(crate) async fn tag(&self, source: &str, target: &str) -> Result<(), EngineError> {
        let args: Vec<OsString> = vec!["tag".into(), source.into(), target.into()];
        let what = format!("{} tag of {source} as {target}", self.kind.name());
        self.run(&what, &args, &[], Output::Discard).await
    }

    /// Remove the local name `name` (the image stays under its other names).
    pub(crate) async fn untag(&self, name: &str) -> Result<(), EngineError> {
        let args: Vec<OsString> = vec!["rmi".into(), name.into()];
        let what = format!("{} rmi of {name}", self.kind.name());
        self.run(&what, &args, &[], Output::Discard).await
    }

    /// Run the program with `args`, its stdout and stderr streamed line by line to `out` as they come.
    async fn run(
        &self,
        what: &str,
        args: &[OsString],
        envs: &[(OsString, OsString)],
        out: Output,
    ) -> Result<(), EngineError> {
        let mut child = Command::new(&self.program)
            .args(args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| EngineError::Start(self.program.clone(), e))?;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let readers = [
            child.stdout.take().map(|s| tokio::spawn(lines(s, tx.clone()))),
            child.stderr.take().map(|s| tokio::spawn(lines(s, tx.clone()))),
        ];
        drop(tx);
        let mut tail = VecDeque::with_capacity(TAIL);
        while let Some(line) = rx.recv().await {
            match &out {
                Output::Stderr => eprintln!("{line}"),
                Output::Discard => {}
                Output::Lines(to) => {
                    let _ = to.send(line.clone());
                }
            }
            if tail.len() == TAIL {
                tail.pop_front();
            }
            tail.push_back(line);
        }
        for reader in readers.into_iter().flatten() {
            let _ = reader.await;
        }
        let status = child
            .wait()
            .await
            .map_err(|e| EngineError::Start(self.program.clone(), e))?;
        if status.success() {
            Ok(())
        } else {
            Err(EngineError::Failed {
                what: what.to_string(),
                status,
                tail: tail.into(),
            })
        }
    }
}

/// Send each line of `from` (bytes that are not UTF-8 replaced, `\r` dropped) until it ends.
async fn lines(from: impl AsyncRead + Unpin, to: mpsc::UnboundedSender<String>) {
    let mut from = BufReader::new(from);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match from.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf);
                let line = line.trim_end_matches(['\n', '\r']);
                // a progress line redrawn with carriage returns: its last state
                let line = line.rsplit('\r').next().unwrap_or(line);
                if to.send(line.to_string()).is_err() {
                    return;
                }
            }
        }
    }
}

/// `Engine::find` with the choice and PATH given.
fn find_in(choice: Option<&OsStr>, path: Option<&OsStr>) -> Result<Engine, EngineError> {
    let on_path =
        |name: &OsStr| path.and_then(|p| std::env::split_paths(p).map(|d| d.join(name)).find(|f| runnable(f)));
    let Some(choice) = choice else {
        return Kind::ALL
            .into_iter()
            .find_map(|kind| {
                on_path(OsStr::new(kind.name())).map(|program| Engine {
                    kind,
                    program,
                    envs: vec![],
                })
            })
            .ok_or_else(|| EngineError::NotFound(format!("no container engine found on PATH: {INSTALL}")));
    };
    let named = Path::new(choice);
    let Some(kind) = Kind::of(named) else {
        return Err(EngineError::NotFound(format!(
            "unknown container engine {:?}: choose docker, podman, finch or nerdctl (a name or a path to one)",
            choice
        )));
    };
    let program = if named.components().count() > 1 {
        runnable(named).then(|| named.to_path_buf())
    } else {
        on_path(choice)
    };
    program
        .map(|program| Engine {
            kind,
            program,
            envs: vec![],
        })
        .ok_or_else(|| {
            EngineError::NotFound(format!(
                "the container engine {} was not found: install it, or choose another with --engine or CONVOXC_ENGINE",
                named.display()
            ))
        })
}

/// A file that can be run.
fn runnable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::testing::{self, PASSWORD, USER};
    use std::os::unix::fs::PermissionsExt;

    fn executable(dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn find_takes_the_choice_else_the_first_on_path() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        executable(a.path(), "nerdctl");
        let podman = executable(b.path(), "podman");
        std::fs::write(a.path().join("docker"), "not runnable").unwrap();
        let path = std::env::join_paths([a.path(), b.path()]).unwrap();
        let found = find_in(None, Some(&path)).unwrap();
        assert_eq!((found.kind, found.program), (Kind::Podman, podman.clone()));
        let chosen = find_in(Some(OsStr::new("nerdctl")), Some(&path)).unwrap();
        assert_eq!((chosen.kind, chosen.program), (Kind::Nerdctl, a.path().join("nerdctl")));
        let remote = executable(b.path(), "podman-remote");
        let by_path = find_in(Some(remote.as_os_str()), None).unwrap();
        assert_eq!((by_path.kind, by_path.program), (Kind::Podman, remote));

        let e = find_in(None, Some(OsStr::new(""))).unwrap_err().to_string();
        assert!(
            e.contains("install Docker") && e.contains("--engine") && e.contains("CONVOXC_ENGINE"),
            "{e}"
        );
        assert!(!e.contains('\n'));
        let e = find_in(Some(OsStr::new("finch")), Some(&path)).unwrap_err().to_string();
        assert!(e.contains("finch was not found") && e.contains("install it"), "{e}");
        let e = find_in(Some(OsStr::new("buildah")), Some(&path))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown container engine"), "{e}");
    }

    fn engine(p: &testing::Podman) -> Engine {
        Engine {
            kind: Kind::Podman,
            program: p.program.clone(),
            envs: p.envs.clone(),
        }
    }

    fn spec(dir: &Path) -> BuildSpec {
        BuildSpec {
            context: dir.to_path_buf(),
            dockerfile: dir.join("Dockerfile"),
            args: vec![("GREETING".into(), "hi".into())],
            platform: "linux/amd64".into(),
        }
    }

    #[tokio::test]
    async fn build_two_tags_and_push_them_with_a_login() {
        let podman = testing::podman();
        let registry = testing::RegistryServer::start(true);
        let e = engine(&podman);
        // the user's own docker config: a push must leave it as it is
        let docker_dir = podman.home.join(".docker");
        std::fs::create_dir_all(&docker_dir).unwrap();
        std::fs::write(docker_dir.join("config.json"), "{\"auths\":{}}").unwrap();

        let ctx = testing::context("FROM scratch\nARG GREETING\nCOPY hello.txt /hello.txt\n");
        let host = &registry.host;
        let tags = [format!("{host}/app/web:one"), format!("{host}/app/web:two")];
        let (tx, mut rx) = mpsc::unbounded_channel();
        e.build(&spec(ctx.path()), &tags, Output::Lines(tx)).await.unwrap();
        let mut built = Vec::new();
        while let Ok(line) = rx.try_recv() {
            built.push(line);
        }
        assert!(built.iter().any(|l| l.contains("COPY hello.txt")), "{built:?}");

        let login = Login::new(host, USER, PASSWORD).unwrap();
        let login_dir = login.dir().to_path_buf();
        let (tx, mut rx) = mpsc::unbounded_channel();
        for tag in &tags {
            e.push(tag, &login, true, Output::Lines(tx.clone())).await.unwrap();
        }
        drop((tx, login));
        assert!(!login_dir.exists());
        while let Ok(line) = rx.try_recv() {
            assert!(!line.contains(PASSWORD), "{line}");
        }
        let (head, body) = testing::http("GET", host, "/v2/app/web/tags/list", Some((USER, PASSWORD)));
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(body.contains("\"one\"") && body.contains("\"two\""), "{body}");

        assert_eq!(
            std::fs::read_to_string(docker_dir.join("config.json")).unwrap(),
            "{\"auths\":{}}"
        );
        let home_files = testing::files_under(&podman.home);
        assert_eq!(
            home_files,
            [docker_dir.join("config.json")],
            "podman wrote credentials somewhere in HOME"
        );
    }

    #[tokio::test]
    async fn a_push_with_a_wrong_password_fails_without_saying_it() {
        let podman = testing::podman();
        let registry = testing::RegistryServer::start(true);
        let e = engine(&podman);
        let ctx = testing::context("FROM scratch\nCOPY hello.txt /hello.txt\n");
        let tag = format!("{}/app/web:x", registry.host);
        e.build(&spec(ctx.path()), std::slice::from_ref(&tag), Output::Discard)
            .await
            .unwrap();
        let login = Login::new(&registry.host, USER, "wrong-password-123").unwrap();
        let err = e.push(&tag, &login, true, Output::Discard).await.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, EngineError::Failed { .. }), "{text}");
        assert!(
            text.contains("podman push of") && !text.contains("wrong-password-123"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_failed_build_carries_its_status_and_last_lines() {
        let podman = testing::podman();
        let e = engine(&podman);
        let ctx = testing::context("FROM scratch\nCOPY missing.txt /missing.txt\n");
        let err = e
            .build(&spec(ctx.path()), &["localhost/x:y".into()], Output::Discard)
            .await
            .unwrap_err();
        let EngineError::Failed { what, status, tail } = &err else {
            panic!("{err}")
        };
        assert!(what.starts_with("podman build of"), "{what}");
        assert!(!status.success());
        assert!(!tail.is_empty() && tail.len() <= TAIL);
        assert!(tail.iter().any(|l| l.contains("missing.txt")), "{tail:?}");
        let text = err.to_string();
        assert!(
            text.contains("failed (exit status:") && text.contains("missing.txt"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_program_that_cannot_start_is_an_error() {
        let e = Engine {
            kind: Kind::Docker,
            program: "/nonexistent/docker".into(),
            envs: vec![],
        };
        let ctx = testing::context("FROM scratch\n");
        let err = e
            .build(&spec(ctx.path()), &[], Output::Discard)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cannot run /nonexistent/docker"), "{err}");
    }
}
