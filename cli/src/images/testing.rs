//! Test fixtures for the engine and registry tests: podman in a storage of its own, and Debian's
//! distribution registry (`docker-registry`) on a free local port, with or without htpasswd auth. A tool
//! that is missing fails the test with what to install: nothing is skipped.

use std::ffi::OsString;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const USER: &str = "tester";
pub(crate) const PASSWORD: &str = "s3cret-pass";
/// `htpasswd -Bbn tester s3cret-pass`
const HTPASSWD: &str = "tester:$2y$05$jCjbL0Uu6FoM1132XFKhJ.bqL5SbHybaFkT7fAgkSi8IZctGq6qRS\n";

fn tool(path: &str, package: &str) -> PathBuf {
    let p = PathBuf::from(path);
    assert!(
        p.is_file(),
        "{path} is missing: install it (apt-get install {package}) to run the image tests"
    );
    p
}

/// Podman with its own image storage (vfs) and HOME in a temporary directory, kept while this lives.
pub(crate) struct Podman {
    pub program: PathBuf,
    pub envs: Vec<(OsString, OsString)>,
    pub home: PathBuf,
    _dir: tempfile::TempDir,
}

pub(crate) fn podman() -> Podman {
    let program = tool("/usr/bin/podman", "podman");
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let conf = dir.path().join("storage.conf");
    std::fs::write(
        &conf,
        format!(
            "[storage]\ndriver = \"vfs\"\nrunroot = \"{}\"\ngraphroot = \"{}\"\n",
            dir.path().join("run").display(),
            dir.path().join("graph").display()
        ),
    )
    .unwrap();
    let envs = vec![
        ("STORAGE_DRIVER".into(), "vfs".into()),
        ("BUILDAH_ISOLATION".into(), "chroot".into()),
        ("CONTAINERS_STORAGE_CONF".into(), conf.into()),
        ("HOME".into(), home.clone().into()),
        ("XDG_RUNTIME_DIR".into(), dir.path().join("xdg").into()),
    ];
    Podman {
        program,
        envs,
        home,
        _dir: dir,
    }
}

/// A registry serving on 127.0.0.1 (plain HTTP), killed and its storage removed when dropped.
pub(crate) struct RegistryServer {
    pub host: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl RegistryServer {
    /// `auth`: basic auth with `USER`/`PASSWORD` (htpasswd); else none.
    pub(crate) fn start(auth: bool) -> RegistryServer {
        let program = tool("/usr/bin/docker-registry", "docker-registry");
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        if auth {
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, HTPASSWD).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
                file.display()
            ));
        }
        let config_file = dir.path().join("config.yml");
        std::fs::write(&config_file, config).unwrap();
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let child = Command::new(program)
            .arg("serve")
            .arg(&config_file)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let server = RegistryServer {
            host: format!("127.0.0.1:{port}"),
            child,
            _dir: dir,
        };
        server.wait_until_up();
        server
    }

    fn wait_until_up(&self) {
        let addr: SocketAddr = self.host.parse().unwrap();
        let start = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "docker-registry did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for RegistryServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A build context holding `Dockerfile` (the given text) and `hello.txt`.
pub(crate) fn context(dockerfile: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    std::fs::write(dir.path().join("hello.txt"), "hello\n").unwrap();
    dir
}

pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(read) = std::fs::read_dir(dir) {
        for e in read.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A plain HTTP/1.1 GET (or HEAD) to a test registry: its status line and headers, and its body.
pub(crate) fn http(method: &str, host: &str, path: &str, basic: Option<(&str, &str)>) -> (String, String) {
    use base64::Engine as _;
    use std::io::{Read, Write};
    let mut s = TcpStream::connect(host).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    req.push_str(
        "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json\r\n",
    );
    if let Some((u, p)) = basic {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        req.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_string(), body.to_string())
}

/// A one-thread HTTP server on 127.0.0.1 for answers a real registry does not give: each request's target
/// (`/v2/...?...`) looked up in `answers` (status line, extra headers, body); the targets asked for are
/// kept in order.
pub(crate) struct FakeServer {
    pub host: String,
    pub asked: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

pub(crate) fn fake_server(answers: Vec<(&'static str, &'static str, &'static str, &'static str)>) -> FakeServer {
    use std::io::{BufRead, BufReader, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = asked.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            reader.read_line(&mut first).unwrap_or_default();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let target = first.split_whitespace().nth(1).unwrap_or_default().to_string();
            log.lock().unwrap().push(target.clone());
            let (status, headers, body) = answers
                .iter()
                .find(|(t, ..)| *t == target)
                .map(|(_, s, h, b)| (*s, *h, *b))
                .unwrap_or(("404 Not Found", "", ""));
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    FakeServer { host, asked }
}
