//! Environment values and the resource password, kept in SSM Parameter Store as SecureStrings
//! under `/convoxc/<rack>/<app>/`. Values are held in memory only: never printed, never in a
//! template, a change-set parameter (except the NoEcho resource password) or an error.
//!
//! A SecureString is written under the rack's own KMS key (`rack_stack::secrets_key`: a convoxc
//! rack's `CustomerManagedKey`, which the app's roles may use through the rack's `CMKPolicy`), so
//! that the key's policy decides who reads it, not only SSM's. A rack without one (convox made it)
//! keeps AWS's `aws/ssm` key, said once. Values stored under `aws/ssm` by earlier versions are read
//! as they are (SSM decrypts each with its own key) and move to the rack's key when next written.

use crate::aws::clients::{Clients, Error, Result, describe};
use crate::deploy::say;
use aws_sdk_ssm::types::{Parameter, ParameterType};
use convoxc_compiler::ir::naming::env_parameter_path;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

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
pub(crate) async fn versioned(c: &Clients, path: &str, recursive: bool) -> Result<BTreeMap<String, (String, i64)>> {
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

/// Store one value as a SecureString (overwriting), under `key` (the rack's KMS key; None: `aws/ssm`).
pub async fn put(c: &Clients, path: &str, value: &str, key: Option<&str>) -> Result<()> {
    secure(c, path, value, key, true)
        .await
        .map_err(|e| describe(&format!("storing {path}"), &e))
}

/// Once per run: the values a rack without a key of its own gets are under `aws/ssm`.
static AWS_MANAGED_SAID: AtomicBool = AtomicBool::new(false);

/// PutParameter of a SecureString under `key` (None: `aws/ssm`, said once).
async fn secure(
    c: &Clients,
    path: &str,
    value: &str,
    key: Option<&str>,
    overwrite: bool,
) -> std::result::Result<(), aws_sdk_ssm::error::SdkError<aws_sdk_ssm::operation::put_parameter::PutParameterError>> {
    if key.is_none() && !AWS_MANAGED_SAID.swap(true, Ordering::SeqCst) {
        say::note(
            "the rack has no KMS key of its own that convoxc knows (convox made it): values are encrypted \
             with the AWS-managed key aws/ssm, which any principal of the account allowed to read the parameter \
             may decrypt with",
        );
    }
    c.ssm
        .put_parameter()
        .name(path)
        .value(value)
        .r#type(ParameterType::SecureString)
        .set_key_id(key.map(str::to_string))
        .overwrite(overwrite)
        .send()
        .await
        .map(|_| ())
}

/// Delete the staged parameters an apply read (`(full name, version read)`), each only if it is
/// still the version it read; one staged anew since (`env set` or `env unset` again while the
/// apply ran) is kept for the next apply. Returns the names kept.
///
/// SSM has no conditional delete: a write between the check and the delete (milliseconds, where
/// the apply's plan and consent take seconds to minutes) is the one case still lost.
pub async fn delete_read(c: &Clients, read: &[(String, i64)]) -> Result<Vec<String>> {
    let mut now = Vec::new();
    for chunk in read.chunks(10) {
        let out = c
            .ssm
            .get_parameters()
            .set_names(Some(chunk.iter().map(|(n, _)| n.clone()).collect()))
            .send()
            .await
            .map_err(|e| describe("reading the staged values", &e))?;
        now.extend(out.parameters().iter().cloned());
    }
    let (spent, kept) = spent(read, &now);
    delete(c, &spent).await?;
    Ok(kept)
}

/// Of the staged parameters an apply read (`(name, version)`), given what GetParameters answers
/// now: (those still at the version read, to delete; those written since, to keep). One that is
/// gone (its opposite was staged: `env unset` drops a staged value) is neither.
pub(crate) fn spent(read: &[(String, i64)], now: &[Parameter]) -> (Vec<String>, Vec<String>) {
    let mut spent = Vec::new();
    let mut kept = Vec::new();
    for (name, version) in read {
        match now.iter().find(|p| p.name() == Some(name)) {
            Some(p) if p.version() == *version => spent.push(name.clone()),
            Some(_) => kept.push(name.clone()),
            None => {}
        }
    }
    (spent, kept)
}

/// Write the values. Returns how many.
async fn write(
    c: &Clients,
    (rack, app): (&str, &str),
    values: &BTreeMap<String, String>,
    key: Option<&str>,
) -> Result<usize> {
    for (name, value) in values {
        put(c, &env_parameter_path(rack, app, name), value, key).await?;
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
    /// The staged changes this deploy carries out (`aws/staged.rs`): each parameter with the
    /// version it read, deleted once it has, unless it was staged anew meanwhile.
    pub staged: Vec<(String, i64)>,
    /// A generated password, and where it goes (for an app, its `.resource-password`).
    pub password: Option<(String, String)>,
    /// The rack's KMS key the values are encrypted with (None: `aws/ssm`).
    pub key: Option<String>,
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
            match secure(c, path, p, self.key.as_deref(), false).await {
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
        let written = write(c, (&self.rack, &self.app), &self.env, self.key.as_deref()).await?;
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
        self.forget_staged(c).await
    }

    /// Delete the staged changes this deploy carried out (or found already done); one staged anew
    /// while it ran is kept, and said.
    pub async fn forget_staged(&self, c: &Clients) -> Result<()> {
        let kept = delete_read(c, &self.staged).await?;
        if !kept.is_empty() {
            let names: Vec<&str> = kept.iter().map(|p| p.rsplit('/').next().unwrap_or(p)).collect();
            say::step(
                format!(
                    "environment: {} staged again while this apply ran (`env set`/`env unset`): kept for the next apply",
                    names.join(", ")
                ),
                json!({"type": "kept", "what": "staged environment", "names": names}),
            );
        }
        Ok(())
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
    use aws_sdk_ssm::types::{Parameter, ParameterType};

    /// GetParameters' answer for a staged value as SSM records it (name, type, version).
    fn staged(name: &str, version: i64) -> Parameter {
        Parameter::builder()
            .name(name)
            .r#type(ParameterType::SecureString)
            .value("AQICAHh…")
            .version(version)
            .build()
    }

    /// Only what the apply read, at the version it read, is deleted: a value staged again since
    /// (a new version) stays for the next apply, one removed meanwhile is not deleted twice, and
    /// one staged for the first time since the apply read (not in `read`) is never touched.
    #[test]
    fn only_the_staged_versions_an_apply_read_are_deleted() {
        let a = "/convoxc/r/myapp/.staged/A".to_string();
        let b = "/convoxc/r/myapp/.staged/B".to_string();
        let c = "/convoxc/r/myapp/.unset/C".to_string();
        let read = vec![(a.clone(), 3), (b.clone(), 1), (c.clone(), 1)];
        let now = vec![staged(&a, 3), staged(&b, 2), staged("/convoxc/r/myapp/.staged/D", 1)];
        let (spent, kept) = super::spent(&read, &now);
        assert_eq!(spent, [a]);
        assert_eq!(kept, [b]);
    }

    #[test]
    fn passwords_are_long_alphanumeric_and_differ() {
        let a = super::random_password().unwrap();
        let b = super::random_password().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
