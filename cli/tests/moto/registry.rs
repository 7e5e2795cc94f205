//! The image side of the tests: Debian's distribution registry (`docker-registry`) on 127.0.0.1
//! and a free port, storing in a temporary folder, stopped on drop; and Debian's podman as the
//! engine (`STORAGE_DRIVER=vfs`, `BUILDAH_ISOLATION=chroot`: both work as root on these machines).
//! moto serves the ECR API (the repository, the login); the images go to this registry through
//! the one setting convoxc has for it, `CONVOXC_REGISTRY_HOST` (`cli/src/aws/ecr.rs`). No outside
//! registry is reachable: images are built `FROM scratch`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct LocalRegistry {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

/// What a test must install when a component is missing (CI's `.ci/run` installs both).
fn need(program: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{program} is not installed: apt-get install {package} (the image tests need it)"
    );
}

impl LocalRegistry {
    pub fn start() -> LocalRegistry {
        need("docker-registry", "docker-registry");
        need("podman", "podman");
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry starts");
        let r = LocalRegistry { child, port, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while r.get("/v2/").0 != 200 {
            assert!(Instant::now() < deadline, "the registry did not start on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        r
    }

    /// `CONVOXC_REGISTRY_HOST`'s value for it.
    pub fn host(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment a test gives the binary: the registry override, podman, its storage, and a
    /// HOME and TMPDIR of the test's own (to look for left-over credentials).
    pub fn env(&self, home: &Path) -> Vec<(String, String)> {
        vec![
            ("CONVOXC_REGISTRY_HOST".into(), self.host()),
            ("CONVOXC_ENGINE".into(), "podman".into()),
            ("STORAGE_DRIVER".into(), "vfs".into()),
            ("BUILDAH_ISOLATION".into(), "chroot".into()),
            ("HOME".into(), home.display().to_string()),
            ("TMPDIR".into(), home.display().to_string()),
        ]
    }

    /// A plain HTTP request: (status, headers and body as text).
    fn request(&self, method: &str, path: &str, accept: &str) -> (u16, String) {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            // not up (yet)
            return (0, String::new());
        };
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n",
            self.port
        );
        if s.write_all(req.as_bytes()).is_err() {
            return (0, String::new());
        }
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        (status, out)
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.request("GET", path, "*/*")
    }

    /// Every tag of a repository.
    pub fn tags(&self, repository: &str) -> Vec<String> {
        let (status, text) = self.get(&format!("/v2/{repository}/tags/list"));
        if status == 404 {
            return Vec::new();
        }
        assert_eq!(status, 200, "{text}");
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
        let body = body.trim();
        // chunked transfer encoding: the JSON is between the chunk sizes
        let json_start = body.find('{').unwrap_or(0);
        let json_end = body.rfind('}').map_or(body.len(), |i| i + 1);
        let v: serde_json::Value = serde_json::from_str(&body[json_start..json_end]).unwrap();
        let mut tags: Vec<String> = v["tags"]
            .as_array()
            .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        tags.sort();
        tags
    }

    /// Delete a tag (its manifest, by digest), as someone cleaning the registry would.
    pub fn delete(&self, repository: &str, tag: &str) {
        let accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
        let (status, text) = self.request("HEAD", &format!("/v2/{repository}/manifests/{tag}"), accept);
        assert_eq!(status, 200, "{text}");
        let digest = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("Docker-Content-Digest: ")
                    .or_else(|| l.strip_prefix("docker-content-digest: "))
            })
            .unwrap()
            .trim()
            .to_string();
        let (status, text) = self.request("DELETE", &format!("/v2/{repository}/manifests/{digest}"), accept);
        assert_eq!(status, 202, "{text}");
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl LocalRegistry {
    /// Put an image (a `FROM scratch` one, built once) in `repository` under each of `tags`, as
    /// a build pushed earlier would have (convox's builder, `images push`).
    pub fn seed(&self, repository: &str, tags: &[String]) {
        let ctx = tempfile::tempdir().unwrap();
        std::fs::write(ctx.path().join("Dockerfile"), "FROM scratch\nCOPY seed.txt /seed.txt\n").unwrap();
        std::fs::write(ctx.path().join("seed.txt"), "seed\n").unwrap();
        let podman = |args: &[&str]| {
            let out = Command::new("podman")
                .args(args)
                .env("STORAGE_DRIVER", "vfs")
                .env("BUILDAH_ISOLATION", "chroot")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "podman {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        // pushed by image ID: a name in podman's store is shared by every test running at once
        let iid = ctx.path().join("iid");
        podman(&[
            "build",
            "-q",
            "--iidfile",
            iid.to_str().unwrap(),
            ctx.path().to_str().unwrap(),
        ]);
        let id = std::fs::read_to_string(&iid).unwrap().trim().to_string();
        for tag in tags {
            let dest = format!("docker://127.0.0.1:{}/{repository}:{tag}", self.port);
            podman(&["push", "-q", "--tls-verify=false", &id, &dest]);
        }
    }
}

/// What the image tests share: moto with the rack `r`, a local registry, the HOME its logins are
/// written to, and the app's folder (written by `app`).
pub struct World {
    pub moto: super::Moto,
    pub registry: LocalRegistry,
    pub home: tempfile::TempDir,
    pub dir: tempfile::TempDir,
}

impl World {
    pub fn new(app: impl FnOnce(&Path)) -> World {
        let moto = super::Moto::start();
        super::rack(&moto, "r");
        let registry = LocalRegistry::start();
        let dir = tempfile::tempdir().unwrap();
        app(dir.path());
        World {
            moto,
            registry,
            home: tempfile::tempdir().unwrap(),
            dir,
        }
    }

    /// The binary with `args`, its logins going to this registry and HOME.
    pub fn run(&self, args: &[&str]) -> super::Run {
        let mut cmd = self.moto.command(args);
        cmd.envs(self.registry.env(self.home.path()));
        super::Run::from(cmd.output().unwrap())
    }
}
