//! Environment values and the resource password, kept in SSM Parameter Store as SecureStrings
//! under `/convoxc/<rack>/<app>/`. Values are held in memory only: never printed, never in a
//! template, a change-set parameter (except the NoEcho resource password) or an error.

use crate::aws::clients::{Clients, Error, Result, describe};
use crate::deploy::say;
use aws_sdk_ssm::types::ParameterType;
use convoxc_compiler::ir::naming::env_parameter_path;
use serde_json::json;
use std::collections::BTreeMap;

/// The resource password's parameter name (environment names cannot start with a dot).
pub const RESOURCE_PASSWORD: &str = ".resource-password";

fn prefix(rack: &str, app: &str) -> String {
    env_parameter_path(rack, app, "")
}

/// Every value stored for the app: environment variables and the resource password.
pub async fn stored(c: &Clients, rack: &str, app: &str) -> Result<BTreeMap<String, String>> {
    Ok(stored_versions(c, rack, app)
        .await?
        .into_iter()
        .map(|(name, (value, _))| (name, value))
        .collect())
}

/// `stored`, with each parameter's version (SSM counts each write of a parameter).
pub async fn stored_versions(c: &Clients, rack: &str, app: &str) -> Result<BTreeMap<String, (String, i64)>> {
    let path = prefix(rack, app);
    let found = versioned(c, &path, false).await?;
    Ok(found
        .into_iter()
        .map(|(name, v)| (name.trim_start_matches(&path).to_string(), v))
        .collect())
}

/// Every parameter under `path` (a folder, ending in `/`), decrypted, by full name: its direct
/// children, or with `recursive` everything below it.
pub async fn under(c: &Clients, path: &str, recursive: bool) -> Result<BTreeMap<String, String>> {
    Ok(versioned(c, path, recursive)
        .await?
        .into_iter()
        .map(|(name, (value, _))| (name, value))
        .collect())
}

/// `under`, with each parameter's version.
async fn versioned(c: &Clients, path: &str, recursive: bool) -> Result<BTreeMap<String, (String, i64)>> {
    let mut out = BTreeMap::new();
    let mut pages = c
        .ssm
        .get_parameters_by_path()
        .path(path.trim_end_matches('/'))
        .recursive(recursive)
        .with_decryption(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe(&format!("reading the SSM parameters under {path}"), &e))?;
        for p in page.parameters() {
            if let (Some(name), Some(value)) = (p.name(), p.value()) {
                out.insert(name.to_string(), (value.to_string(), p.version()));
            }
        }
    }
    Ok(out)
}

/// Delete these parameters (by full name; one already gone is no error).
pub async fn delete(c: &Clients, names: &[String]) -> Result<()> {
    for chunk in names.chunks(10) {
        c.ssm
            .delete_parameters()
            .set_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| describe(&format!("deleting {}", chunk.join(", ")), &e))?;
    }
    Ok(())
}

/// Store one value as a SecureString (overwriting).
pub async fn put(c: &Clients, path: &str, value: &str) -> Result<()> {
    c.ssm
        .put_parameter()
        .name(path)
        .value(value)
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .map_err(|e| describe(&format!("storing {path}"), &e))?;
    Ok(())
}

/// Write the values. Returns how many.
async fn write(c: &Clients, rack: &str, app: &str, values: &BTreeMap<String, String>) -> Result<usize> {
    for (name, value) in values {
        put(c, &env_parameter_path(rack, app, name), value).await?;
    }
    Ok(values.len())
}

/// What a deploy stores in SSM once the user has consented, right before the change set runs:
/// the environment values that differ from what is stored, and a newly generated resource
/// password (the change set already carries it, as a NoEcho parameter).
#[derive(Default)]
pub(crate) struct Pending {
    pub rack: String,
    pub app: String,
    pub env: BTreeMap<String, String>,
    /// Environment variables whose stored value is deleted.
    pub remove: Vec<String>,
    /// The staged changes this deploy carries out (`aws/staged.rs`), deleted once it has.
    pub staged: Vec<String>,
    /// A generated password, and where it goes (for an app, its `.resource-password`).
    pub password: Option<(String, String)>,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.env.is_empty() && self.remove.is_empty() && self.password.is_none()
    }

    /// Store it. The password is written only if no apply stored one meanwhile (a conditional
    /// write): of two concurrent first applies, one stores its password and runs, the other stops
    /// before its change set runs, so that the stack and SSM never disagree.
    pub async fn commit(&self, c: &Clients) -> Result<()> {
        if let Some((path, p)) = &self.password {
            let put = c
                .ssm
                .put_parameter()
                .name(path)
                .value(p)
                .r#type(ParameterType::SecureString)
                .overwrite(false)
                .send()
                .await;
            match put {
                Ok(_) => say::step(
                    format!("resource password: generated and stored as an SSM SecureString ({path})"),
                    json!({"type": "stored", "what": "resource password", "path": path}),
                ),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_parameter_already_exists()) => {
                    return Err(Error(format!(
                        "another deploy stored a password ({path}) while this one was being prepared: \
                         nothing was executed; run the command again (it takes the stored one)"
                    )));
                }
                Err(e) => return Err(describe(&format!("storing {path}"), &e)),
            }
        }
        if self.app.is_empty() {
            return Ok(()); // a rack resource: nothing but its password
        }
        let written = write(c, &self.rack, &self.app, &self.env).await?;
        let prefix = prefix(&self.rack, &self.app);
        if written > 0 {
            say::step(
                format!("environment: {written} value(s) stored (SSM SecureString under {prefix})"),
                json!({"type": "stored", "what": "environment", "count": written, "path": prefix}),
            );
        }
        let removed: Vec<String> = self
            .remove
            .iter()
            .map(|n| env_parameter_path(&self.rack, &self.app, n))
            .collect();
        delete(c, &removed).await?;
        if !removed.is_empty() {
            say::step(
                format!(
                    "environment: {} value(s) removed ({})",
                    removed.len(),
                    self.remove.join(", ")
                ),
                json!({"type": "removed", "what": "environment", "names": self.remove, "path": prefix}),
            );
        }
        delete(c, &self.staged).await
    }
}

/// A strong random password for databases and caches: 32 letters and digits (RDS and
/// ElastiCache reject `/`, `@`, `"` and spaces).
pub fn random_password() -> std::result::Result<String, getrandom::Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(32);
    while out.len() < 32 {
        let mut buf = [0u8; 64];
        getrandom::fill(&mut buf)?;
        // rejection sampling keeps every character equally likely (248 = 4 × 62)
        out.extend(
            buf.iter()
                .filter(|b| **b < 248)
                .map(|b| ALPHABET[(*b % 62) as usize] as char)
                .take(32 - out.len()),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_long_alphanumeric_and_differ() {
        let a = super::random_password().unwrap();
        let b = super::random_password().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
