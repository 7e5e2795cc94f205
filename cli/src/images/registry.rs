//! The registry v2 API (the OCI distribution API, which ECR also speaks): what a repository holds, read
//! with basic auth. Only what a deploy asks: the digest of a tag, every tag, and a second tag for an image
//! a release ran (`add_tag`).

use sha2::{Digest, Sha256};
use std::time::Duration;

/// The manifest media types a tag may name: an image or an index (multi-platform), OCI's or Docker's.
const MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, \
                         application/vnd.docker.distribution.manifest.v2+json, \
                         application/vnd.docker.distribution.manifest.list.v2+json";

/// Tags asked for per page (ECR's most).
const PAGE: usize = 1000;

/// One repository of a registry, and the credentials to read it.
pub(crate) struct Registry {
    host: String,
    repository: String,
    user: String,
    password: String,
    insecure: bool,
    page: usize,
    http: Result<reqwest::Client, String>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("host", &self.host)
            .field("repository", &self.repository)
            .field("user", &self.user)
            .field("insecure", &self.insecure)
            .finish_non_exhaustive()
    }
}

/// A registry call that failed. Names the host and repository; never holds the password.
#[derive(Debug)]
pub(crate) enum RegistryError {
    /// no answer: the host is down, unknown, refused the connection or its TLS
    Unreachable { at: String, cause: String },
    /// HTTP 401 or 403: the credentials were refused
    NotAuthorized { at: String, status: u16 },
    /// any other answer that is not what was asked
    Status {
        at: String,
        what: String,
        status: u16,
        message: String,
    },
    /// an answer that could not be read
    Invalid { at: String, what: String, cause: String },
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryError::Unreachable { at, cause } => write!(f, "registry unreachable: {at}: {cause}"),
            RegistryError::NotAuthorized { at, status } => {
                write!(
                    f,
                    "not authorized for {at} (HTTP {status}): the registry refused the credentials"
                )
            }
            RegistryError::Status {
                at,
                what,
                status,
                message,
            } => {
                write!(f, "{at}: {what} answered HTTP {status}")?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            RegistryError::Invalid { at, what, cause } => write!(f, "{at}: {what} gave an unreadable answer: {cause}"),
        }
    }
}

impl std::error::Error for RegistryError {}

impl Registry {
    /// `host`: as in an image reference (`123.dkr.ecr.us-east-1.amazonaws.com`, `127.0.0.1:5055`);
    /// `insecure`: plain HTTP (a local test registry).
    pub(crate) fn new(host: &str, repository: &str, user: &str, password: &str, insecure: bool) -> Registry {
        let http = reqwest::Client::builder()
            .user_agent(concat!("convoxc/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| chain(&e));
        Registry {
            host: host.to_string(),
            repository: repository.to_string(),
            user: user.to_string(),
            password: password.to_string(),
            insecure,
            page: PAGE,
            http,
        }
    }

    /// The manifest digest (`sha256:…`) of `tag`, or None when the repository has no such tag (or no such
    /// repository).
    pub(crate) async fn digest(&self, tag: &str) -> Result<Option<String>, RegistryError> {
        let url = format!("{}/v2/{}/manifests/{tag}", self.base(), self.repository);
        let what = format!("the manifest of tag {tag}");
        let head = self.send(reqwest::Method::HEAD, &url).await?;
        match head.status().as_u16() {
            200 => {}
            404 => return Ok(None),
            s => return Err(self.refusal(&what, s, String::new())),
        }
        if let Some(d) = header(&head, "docker-content-digest").filter(|d| d.starts_with("sha256:")) {
            return Ok(Some(d));
        }
        // a registry that does not say: the digest of the manifest's bytes
        let get = self.send(reqwest::Method::GET, &url).await?;
        match get.status().as_u16() {
            200 => {}
            404 => return Ok(None),
            s => return Err(self.refusal(&what, s, message(get).await)),
        }
        let body = get.bytes().await.map_err(|e| self.invalid(&what, &e))?;
        Ok(Some(format!("sha256:{:x}", Sha256::digest(&body))))
    }

    /// Every tag of the repository, in the registry's order, following its pages (`Link` headers). A
    /// repository with no images, or none at all, has none.
    pub(crate) async fn tags(&self) -> Result<Vec<String>, RegistryError> {
        let what = "the tag list".to_string();
        let mut url = format!("{}/v2/{}/tags/list?n={}", self.base(), self.repository, self.page);
        let mut tags = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while seen.insert(url.clone()) {
            let r = self.send(reqwest::Method::GET, &url).await?;
            match r.status().as_u16() {
                200 => {}
                404 if tags.is_empty() => return Ok(tags),
                s => return Err(self.refusal(&what, s, message(r).await)),
            }
            let next = header(&r, "link").and_then(|l| next_link(&l)).map(|l| self.resolve(&l));
            let body = r.bytes().await.map_err(|e| self.invalid(&what, &e))?;
            let page: serde_json::Value = serde_json::from_slice(&body).map_err(|e| self.invalid(&what, &e))?;
            match page.get("tags") {
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::Array(list)) => {
                    tags.extend(list.iter().filter_map(|t| t.as_str()).map(str::to_string));
                }
                Some(other) => {
                    let cause = format!("\"tags\" is {other}, not a list");
                    return Err(RegistryError::Invalid {
                        at: self.at(),
                        what,
                        cause,
                    });
                }
            }
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        Ok(tags)
    }

    /// Give the image that `tag` names a second tag, `new` (its manifest put again under that
    /// name: the image is not copied). A tag that is there already is left as it is (tags are
    /// immutable in the app's registry).
    pub(crate) async fn add_tag(&self, tag: &str, new: &str) -> Result<(), RegistryError> {
        if self.digest(new).await?.is_some() {
            return Ok(());
        }
        let what = format!("the manifest of tag {tag}");
        let url = format!("{}/v2/{}/manifests/{tag}", self.base(), self.repository);
        let get = self.send(reqwest::Method::GET, &url).await?;
        match get.status().as_u16() {
            200 => {}
            s => return Err(self.refusal(&what, s, message(get).await)),
        }
        let kind = header(&get, "content-type").unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".into());
        let body = get.bytes().await.map_err(|e| self.invalid(&what, &e))?;
        let http = self.http.as_ref().map_err(|e| RegistryError::Unreachable {
            at: self.at(),
            cause: e.clone(),
        })?;
        let mut req = http
            .put(format!("{}/v2/{}/manifests/{new}", self.base(), self.repository))
            .header(reqwest::header::CONTENT_TYPE, kind)
            .body(body);
        if !self.user.is_empty() || !self.password.is_empty() {
            req = req.basic_auth(&self.user, Some(&self.password));
        }
        let put = req.send().await.map_err(|e| RegistryError::Unreachable {
            at: self.at(),
            cause: chain(&e),
        })?;
        match put.status().as_u16() {
            200 | 201 => Ok(()),
            s => Err(self.refusal(&format!("tagging {new}"), s, message(put).await)),
        }
    }

    fn base(&self) -> String {
        format!("{}://{}", if self.insecure { "http" } else { "https" }, self.host)
    }

    /// `host/repository`, for messages.
    fn at(&self) -> String {
        format!("{}/{}", self.host, self.repository)
    }

    /// A `Link` target made absolute (registries give a path).
    fn resolve(&self, link: &str) -> String {
        if link.starts_with("http://") || link.starts_with("https://") {
            link.to_string()
        } else {
            format!("{}/{}", self.base(), link.trim_start_matches('/'))
        }
    }

    async fn send(&self, method: reqwest::Method, url: &str) -> Result<reqwest::Response, RegistryError> {
        let http = self.http.as_ref().map_err(|e| RegistryError::Unreachable {
            at: self.at(),
            cause: e.clone(),
        })?;
        // ECR throttles (429) and has its moments (5xx): three tries, backing off 0.5 s then 1 s,
        // before the answer (or the error) is the user's
        let mut wait = Duration::from_millis(500);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = http
                .request(method.clone(), url)
                .header(reqwest::header::ACCEPT, MANIFESTS);
            if !self.user.is_empty() || !self.password.is_empty() {
                req = req.basic_auth(&self.user, Some(&self.password));
            }
            let sent = req.send().await;
            let again = match &sent {
                Ok(r) => r.status().as_u16() == 429 || r.status().is_server_error(),
                Err(e) => e.is_timeout() || e.is_connect(),
            };
            if !again || attempt == 3 {
                return sent.map_err(|e| RegistryError::Unreachable {
                    at: self.at(),
                    cause: chain(&e),
                });
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }

    fn refusal(&self, what: &str, status: u16, message: String) -> RegistryError {
        match status {
            401 | 403 => RegistryError::NotAuthorized { at: self.at(), status },
            _ => RegistryError::Status {
                at: self.at(),
                what: what.to_string(),
                status,
                message,
            },
        }
    }

    fn invalid(&self, what: &str, e: &dyn std::error::Error) -> RegistryError {
        RegistryError::Invalid {
            at: self.at(),
            what: what.to_string(),
            cause: chain(e),
        }
    }
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// The registry's own words for an error: its `errors[].message` (a distribution error body), or the
/// first line of a short text.
async fn message(r: reqwest::Response) -> String {
    let Ok(body) = r.bytes().await else {
        return String::new();
    };
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
        && let Some(errors) = v.get("errors").and_then(|e| e.as_array())
    {
        let parts: Vec<String> = errors
            .iter()
            .map(|e| {
                let code = e.get("code").and_then(|c| c.as_str()).unwrap_or_default();
                let msg = e.get("message").and_then(|m| m.as_str()).unwrap_or_default();
                [code, msg]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(": ")
            })
            .collect();
        return parts.join("; ");
    }
    let text = String::from_utf8_lossy(&body);
    text.lines().next().unwrap_or_default().chars().take(200).collect()
}

/// The `rel="next"` target of a `Link` header: `</v2/x/tags/list?n=2&last=b>; rel="next"`.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().replace(' ', "");
            p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
        });
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_string())
    })
}

/// An error and its causes on one line (reqwest's own message alone says little).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::context::BuildSpec;
    use crate::images::engine::{Engine, Kind, Output};
    use crate::images::login::Login;
    use crate::images::testing::{self, PASSWORD, USER};

    #[test]
    fn next_links() {
        let l = "</v2/app/tags/list?n=2&last=b>; rel=\"next\"";
        assert_eq!(next_link(l).as_deref(), Some("/v2/app/tags/list?n=2&last=b"));
        assert_eq!(
            next_link("<https://h/x>; rel=\"prev\", <https://h/y>; rel=next").as_deref(),
            Some("https://h/y")
        );
        assert_eq!(next_link("garbage"), None);
        let r = Registry::new("h:1", "a/b", "", "", true);
        assert_eq!(r.resolve("/v2/x?last=1"), "http://h:1/v2/x?last=1");
        assert_eq!(r.resolve("https://other/v2/x"), "https://other/v2/x");
    }

    /// podman, a registry (with or without auth), and `image` built and pushed to it as `app/web:<tag>`
    /// for each tag.
    async fn pushed(auth: bool, tags: &[&str]) -> (testing::Podman, testing::RegistryServer) {
        let podman = testing::podman();
        let registry = testing::RegistryServer::start(auth);
        let engine = Engine {
            kind: Kind::Podman,
            program: podman.program.clone(),
            envs: podman.envs.clone(),
        };
        let ctx = testing::context("FROM scratch\nCOPY hello.txt /hello.txt\n");
        let spec = BuildSpec {
            context: ctx.path().to_path_buf(),
            dockerfile: ctx.path().join("Dockerfile"),
            args: vec![],
            platform: "linux/amd64".into(),
        };
        let refs: Vec<String> = tags.iter().map(|t| format!("{}/app/web:{t}", registry.host)).collect();
        engine.build(&spec, &refs, Output::Discard).await.unwrap();
        let login = Login::new(&registry.host, USER, PASSWORD).unwrap();
        for r in &refs {
            engine.push(r, &login, true, Output::Discard).await.unwrap();
        }
        (podman, registry)
    }

    #[tokio::test]
    async fn the_digest_of_a_pushed_tag_is_the_registrys() {
        let (podman, registry) = pushed(false, &["one"]).await;
        let host = &registry.host;
        // podman's own record of a push of the same image
        let digest_file = podman.home.join("digest");
        let status = std::process::Command::new(&podman.program)
            .envs(podman.envs.iter().map(|(k, v)| (k, v)))
            .args(["push", "--tls-verify=false", "--digestfile"])
            .arg(&digest_file)
            .arg(format!("{host}/app/web:one"))
            .output()
            .unwrap();
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
        let podmans = std::fs::read_to_string(&digest_file).unwrap();

        let r = Registry::new(host, "app/web", "", "", true);
        let digest = r.digest("one").await.unwrap().unwrap();
        let (head, _) = testing::http("HEAD", host, "/v2/app/web/manifests/one", None);
        let reported = head
            .lines()
            .find_map(|l| l.strip_prefix("Docker-Content-Digest: "))
            .unwrap();
        assert_eq!(digest, reported);
        assert_eq!(digest, podmans.trim());
        assert!(digest.starts_with("sha256:") && digest.len() == 71, "{digest}");

        assert_eq!(r.digest("nope").await.unwrap(), None);
        let other = Registry::new(host, "app/none", "", "", true);
        assert_eq!(other.digest("one").await.unwrap(), None);
        assert_eq!(other.tags().await.unwrap(), Vec::<String>::new());
    }

    #[tokio::test]
    async fn tags_from_a_real_registry() {
        let names = ["a", "b", "c", "d", "e"];
        let (_podman, registry) = pushed(false, &names).await;
        let r = Registry::new(&registry.host, "app/web", "", "", true);
        let mut all = r.tags().await.unwrap();
        all.sort();
        assert_eq!(all, names);
    }

    #[tokio::test]
    async fn tags_follow_the_link_pages() {
        // Debian's registry (distribution 2.8) never pages tags; ECR and distribution 3 do, like this
        let server = testing::fake_server(vec![
            (
                "/v2/app/web/tags/list?n=2",
                "200 OK",
                "Link: </v2/app/web/tags/list?n=2&last=b>; rel=\"next\"\r\n",
                r#"{"name":"app/web","tags":["a","b"]}"#,
            ),
            (
                "/v2/app/web/tags/list?n=2&last=b",
                "200 OK",
                "Link: </v2/app/web/tags/list?n=2&last=d>; rel=\"next\"\r\n",
                r#"{"name":"app/web","tags":["c","d"]}"#,
            ),
            (
                "/v2/app/web/tags/list?n=2&last=d",
                "200 OK",
                "",
                r#"{"name":"app/web","tags":["e"]}"#,
            ),
            (
                "/v2/app/empty/tags/list?n=2",
                "200 OK",
                "",
                r#"{"name":"app/empty","tags":null}"#,
            ),
            ("/v2/app/odd/tags/list?n=2", "200 OK", "", r#"{"tags":"a"}"#),
            (
                "/v2/app/down/tags/list?n=2",
                "503 Service Unavailable",
                "",
                r#"{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}"#,
            ),
        ]);
        let mut r = Registry::new(&server.host, "app/web", "", "", true);
        r.page = 2;
        assert_eq!(r.tags().await.unwrap(), ["a", "b", "c", "d", "e"]);
        assert_eq!(server.asked.lock().unwrap().len(), 3);

        let mut empty = Registry::new(&server.host, "app/empty", "", "", true);
        empty.page = 2;
        assert_eq!(empty.tags().await.unwrap(), Vec::<String>::new());
        let mut odd = Registry::new(&server.host, "app/odd", "", "", true);
        odd.page = 2;
        let text = odd.tags().await.unwrap_err().to_string();
        assert!(
            text.contains("app/odd: the tag list gave an unreadable answer"),
            "{text}"
        );
        let mut down = Registry::new(&server.host, "app/down", "", "", true);
        down.page = 2;
        let text = down.tags().await.unwrap_err().to_string();
        assert!(
            text.ends_with("app/down: the tag list answered HTTP 503: UNAVAILABLE: try later"),
            "{text}"
        );
        // a 5xx (or a 429) is asked three times before it is the user's error
        let asked = server.asked.lock().unwrap();
        assert_eq!(
            asked.iter().filter(|a| a.starts_with("/v2/app/down/")).count(),
            3,
            "{asked:?}"
        );
    }

    #[tokio::test]
    async fn basic_auth_and_its_refusal() {
        let (_podman, registry) = pushed(true, &["v1"]).await;
        let host = &registry.host;
        let r = Registry::new(host, "app/web", USER, PASSWORD, true);
        assert!(r.digest("v1").await.unwrap().is_some());
        assert_eq!(r.tags().await.unwrap(), ["v1"]);

        let wrong = Registry::new(host, "app/web", USER, "not-the-password", true);
        let e = wrong.digest("v1").await.unwrap_err();
        assert!(matches!(e, RegistryError::NotAuthorized { status: 401, .. }), "{e}");
        let text = wrong.tags().await.unwrap_err().to_string();
        assert!(
            text.starts_with(&format!("not authorized for {host}/app/web (HTTP 401)")),
            "{text}"
        );
        assert!(!text.contains("not-the-password") && !format!("{wrong:?}").contains("not-the-password"));
        let anonymous = Registry::new(host, "app/web", "", "", true);
        assert!(matches!(
            anonymous.tags().await,
            Err(RegistryError::NotAuthorized { .. })
        ));
    }

    #[tokio::test]
    async fn an_unreachable_registry_says_so() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let r = Registry::new(&format!("127.0.0.1:{port}"), "app/web", "u", "secret-pw", true);
        let text = r.digest("x").await.unwrap_err().to_string();
        assert!(
            text.starts_with(&format!("registry unreachable: 127.0.0.1:{port}/app/web: ")),
            "{text}"
        );
        assert!(!text.contains("secret-pw"));
        let text = r.tags().await.unwrap_err().to_string();
        assert!(text.starts_with("registry unreachable"), "{text}");
    }

    #[tokio::test]
    async fn tls_is_the_default() {
        // a plain-HTTP registry asked for over TLS does not answer: unreachable, not a crash
        let registry = testing::RegistryServer::start(false);
        let r = Registry::new(&registry.host, "app/web", "", "", false);
        let text = r.tags().await.unwrap_err().to_string();
        assert!(text.starts_with("registry unreachable"), "{text}");
    }
}
