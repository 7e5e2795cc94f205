//! A registry login for one push, that the user's own engine configuration never sees.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::path::{Path, PathBuf};

/// What a login could not do (write its files).
#[derive(Debug)]
pub(crate) struct LoginError(pub std::io::Error);

impl std::fmt::Display for LoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write the temporary registry login: {}", self.0)
    }
}

impl std::error::Error for LoginError {}

/// A registry login for one push: `config.json` with `{"auths": {host: {"auth": base64(user:password)}}}` in
/// a private temporary directory (0700, the file 0600), used through DOCKER_CONFIG (docker, nerdctl, finch)
/// or as podman's auth file. The directory is removed when the `Login` is dropped. The password is never on
/// a command line, in output or in an error.
pub(crate) struct Login {
    host: String,
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("host", &self.host)
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

impl Login {
    pub(crate) fn new(host: &str, user: &str, password: &str) -> Result<Login, LoginError> {
        Login::with_user_config(host, user, password, user_docker_config().as_deref())
    }

    /// The login, carrying over from the user's docker configuration directory `user_dir` only the current
    /// context (a docker on colima, OrbStack or Docker Desktop is reached through one), never credentials.
    fn with_user_config(host: &str, user: &str, password: &str, user_dir: Option<&Path>) -> Result<Login, LoginError> {
        let dir = private_dir().map_err(LoginError)?;
        let mut config = serde_json::json!({
            "auths": { host: { "auth": BASE64.encode(format!("{user}:{password}")) } }
        });
        if let Some(user_dir) = user_dir {
            let context = std::fs::read(user_dir.join("config.json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| v.get("currentContext").and_then(|c| c.as_str()).map(str::to_string));
            if let Some(context) = context
                && user_dir.join("contexts").is_dir()
            {
                config["currentContext"] = context.into();
                link_dir(&user_dir.join("contexts"), &dir.path().join("contexts")).map_err(LoginError)?;
            }
        }
        write_private(&dir.path().join("config.json"), config.to_string().as_bytes()).map_err(LoginError)?;
        Ok(Login {
            host: host.to_string(),
            dir,
        })
    }

    /// The directory DOCKER_CONFIG names.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Its `config.json` (podman's --authfile).
    pub(crate) fn config_file(&self) -> PathBuf {
        self.dir.path().join("config.json")
    }
}

/// The user's docker configuration directory: DOCKER_CONFIG, else ~/.docker.
fn user_docker_config() -> Option<PathBuf> {
    std::env::var_os("DOCKER_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".docker")))
}

fn private_dir() -> std::io::Result<tempfile::TempDir> {
    let mut b = tempfile::Builder::new();
    b.prefix("convoxc-login-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o700));
    }
    b.tempdir()
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)?.write_all(bytes)
}

#[cfg(unix)]
fn link_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn link_dir(_: &Path, _: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_login_is_private_holds_the_auth_and_goes_away() {
        let login = Login::new("123.dkr.ecr.us-east-1.amazonaws.com", "AWS", "pa:ss").unwrap();
        let dir = login.dir().to_path_buf();
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        let file = login.config_file();
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let auth = v["auths"]["123.dkr.ecr.us-east-1.amazonaws.com"]["auth"]
            .as_str()
            .unwrap();
        assert_eq!(BASE64.decode(auth).unwrap(), b"AWS:pa:ss");
        assert!(!format!("{login:?}").contains("pa:ss"));
        drop(login);
        assert!(!dir.exists());
    }

    #[test]
    fn a_login_carries_the_users_docker_context_and_nothing_else() {
        let user = tempfile::tempdir().unwrap();
        std::fs::create_dir(user.path().join("contexts")).unwrap();
        let theirs = r#"{"currentContext":"colima","credsStore":"osxkeychain","auths":{"x":{"auth":"c2VjcmV0"}}}"#;
        std::fs::write(user.path().join("config.json"), theirs).unwrap();
        let login = Login::with_user_config("h", "u", "p", Some(user.path())).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(login.config_file()).unwrap()).unwrap();
        assert_eq!(v["currentContext"], "colima");
        assert!(v.get("credsStore").is_none() && v["auths"].get("x").is_none());
        assert!(login.dir().join("contexts").is_symlink());
        drop(login);
        assert_eq!(
            std::fs::read_to_string(user.path().join("config.json")).unwrap(),
            theirs
        );
        assert!(user.path().join("contexts").is_dir());
    }
}
