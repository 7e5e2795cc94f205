//! The app registry: its repository (the app stack's `Registry`, which CloudFormation names, in
//! convox's app stacks too) and a login to it from ECR's `GetAuthorizationToken` (user `AWS`, a
//! password valid 12 hours), held in memory only.

use crate::aws::clients::{self as aws, Clients, Error, Result, describe};
use base64::Engine as _;

/// The one setting that points the registry's address elsewhere (tests only: moto serves the
/// ECR API, a local distribution registry the images): `http://HOST:PORT` for a plain-HTTP
/// registry, `https://HOST` or `HOST` for a TLS one. Never set it against a real account: the
/// ECR login is sent to that host.
pub(crate) const REGISTRY_HOST_OVERRIDE: &str = "CONVOXC_REGISTRY_HOST";

/// Where the app's images go, and the credentials to reach it.
pub(crate) struct Access {
    /// `<account>.dkr.ecr.<region>.amazonaws.com` (or the override's host).
    pub host: String,
    pub repository: String,
    pub user: String,
    pub password: String,
    /// Plain HTTP (the override's `http://` only).
    pub insecure: bool,
}

impl Access {
    /// An image's full reference.
    pub(crate) fn image(&self, tag: &str) -> String {
        format!("{}/{}:{tag}", self.host, self.repository)
    }
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // the password never reaches a log line
        write!(f, "Access({}/{})", self.host, self.repository)
    }
}

/// The app stack's registry (its repository name), or None when the stack or its registry does
/// not exist yet.
pub(crate) async fn repository(c: &Clients, stack: &str) -> Result<Option<String>> {
    match c
        .cfn
        .describe_stack_resource()
        .stack_name(stack)
        .logical_resource_id("Registry")
        .send()
        .await
    {
        Ok(out) => Ok(out
            .stack_resource_detail()
            .and_then(|d| d.physical_resource_id())
            .filter(|id| !id.is_empty())
            .map(str::to_string)),
        // "Stack ... does not exist", "Resource Registry does not exist for stack ..."
        Err(e) if aws::is_missing_stack(&e) => Ok(None),
        Err(e) => Err(describe(&format!("reading the registry of {stack}"), &e)),
    }
}

/// A login to the app's registry `repository`.
pub(crate) async fn access(c: &Clients, repository: &str) -> Result<Access> {
    let out = c
        .ecr
        .get_authorization_token()
        .send()
        .await
        .map_err(|e| describe("asking ECR for a registry login (ecr:GetAuthorizationToken)", &e))?;
    let data = out
        .authorization_data()
        .first()
        .ok_or_else(|| Error("ECR gave no registry login (GetAuthorizationToken answered without data)".into()))?;
    let token = data.authorization_token().unwrap_or_default();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Error("ECR's registry login is not base64 `user:password`".into()))?;
    let (user, password) = decoded
        .split_once(':')
        .ok_or_else(|| Error("ECR's registry login is not `user:password`".into()))?;
    let endpoint = data.proxy_endpoint().unwrap_or_default();
    let (host, insecure) = match std::env::var(REGISTRY_HOST_OVERRIDE) {
        Ok(o) if !o.is_empty() => split_scheme(&o),
        _ => split_scheme(endpoint),
    };
    if host.is_empty() {
        return Err(Error("ECR gave no registry address (proxyEndpoint)".into()));
    }
    Ok(Access {
        host,
        repository: repository.to_string(),
        user: user.to_string(),
        password: password.to_string(),
        insecure,
    })
}

/// `https://host/` → (host, false); `http://host` → (host, true); `host` → (host, false).
fn split_scheme(url: &str) -> (String, bool) {
    let (rest, insecure) = match url.split_once("://") {
        Some(("http", rest)) => (rest, true),
        Some((_, rest)) => (rest, false),
        None => (url, false),
    };
    (rest.trim_end_matches('/').to_string(), insecure)
}

#[cfg(test)]
mod tests {
    use super::split_scheme;

    #[test]
    fn the_registry_address_is_read_from_ecr_or_the_override() {
        assert_eq!(
            split_scheme("https://123456789012.dkr.ecr.us-east-1.amazonaws.com"),
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com".to_string(), false)
        );
        assert_eq!(
            split_scheme("http://127.0.0.1:5000/"),
            ("127.0.0.1:5000".to_string(), true)
        );
        assert_eq!(
            split_scheme("registry.example:443"),
            ("registry.example:443".to_string(), false)
        );
    }
}
