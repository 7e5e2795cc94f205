//! Release records: what each `deploy`/`apply` that executed a change set or stored environment
//! values deployed together, kept in the rack's settings bucket at
//! `convoxc/releases/<app>/<id>.json` (schema: `schema/release.schema.json`).
//!
//! A record holds the manifest text, the digest of the rack params, every template's content
//! address, the app stack's parameter values (never a NoEcho one), the build each service runs, the
//! SSM **version** of each environment value (never the value), the change set and the stack's
//! final status. The app stack's `Release` output names the active one.
//!
//! The reader's API (`list`, `read`, `active`) is what other commands build on (`run --release`).

use crate::aws::clients::{Clients, Error, Result};
use crate::aws::lookup::{describe_stack, output};
use crate::aws::records;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The record's format version (`schema/release.schema.json`).
pub const VERSION: u32 = 1;

/// One release of an app.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub version: u32,
    /// `R` + UTC time to the millisecond + 4 random letters: sorts by time.
    pub id: String,
    pub app: String,
    pub rack: String,
    /// RFC 3339, UTC.
    pub created: String,
    /// The caller's identity ARN (STS GetCallerIdentity); None when it could not be read.
    pub who: Option<String>,
    /// The git commit of the manifest's folder (`<sha> <subject>`), when it is a git repository.
    pub description: Option<String>,
    /// The release this one deploys again (`releases rollback`/`promote`).
    pub rollback_of: Option<String>,
    pub manifest: Manifest,
    /// SHA-256 of the rack params the app was compiled against.
    pub rack_params_sha256: String,
    /// Every template's S3 key (its content address), by bundle path: `app.json`, `services/web.json` …
    pub templates: BTreeMap<String, String>,
    /// The app stack's parameter values (a NoEcho one is never recorded).
    pub parameters: BTreeMap<String, String>,
    /// The app stack's `Build`.
    pub build: Option<String>,
    /// The image tag each built service runs (`<service>.<build>` in the app's registry).
    pub images: BTreeMap<String, String>,
    /// Each environment variable's SSM parameter version (never its value).
    pub environment: BTreeMap<String, i64>,
    /// Environment variables given to a deploy held by `--no-execute`: never stored, so never
    /// restorable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unstored: Vec<String>,
    /// The change set (None: only environment values were stored).
    pub change_set: Option<String>,
    /// The change set ran (false: held by `--no-execute`, for `releases promote`).
    pub executed: bool,
    /// The stack's status when the deploy ended (`UPDATE_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE` …),
    /// `NOT_EXECUTED` for a held one.
    pub status: String,
}

/// The manifest a release was compiled from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub name: String,
    pub sha256: String,
    pub text: String,
}

/// A deploy that succeeded: its stack status ends in `_COMPLETE` and is not a rollback.
pub fn succeeded(status: &str) -> bool {
    status.ends_with("_COMPLETE") && !status.contains("ROLLBACK")
}

/// Hex SHA-256.
pub fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn prefix(app: &str) -> String {
    format!("convoxc/releases/{app}/")
}

fn key(app: &str, id: &str) -> String {
    format!("{}{id}.json", prefix(app))
}

/// A new release ID at this moment: `R` + `YYYYMMDDhhmmssSSS` (UTC) + 4 random letters.
pub fn new_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut random = [0u8; 4];
    let _ = getrandom::fill(&mut random);
    let letters: String = random.iter().map(|b| (b'A' + b % 26) as char).collect();
    format!("R{}{letters}", stamp(now.as_millis() as i64))
}

/// `YYYYMMDDhhmmssSSS` of a Unix time in milliseconds (UTC): RFC 3339's digits, to the millisecond.
fn stamp(millis: i64) -> String {
    use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
    let rfc = DateTime::from_millis(millis.div_euclid(1000) * 1000)
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_default();
    let digits: String = rfc.chars().take(19).filter(char::is_ascii_digit).collect();
    format!("{digits}{:03}", millis.rem_euclid(1000))
}

/// Write a release's record.
pub async fn write(c: &Clients, bucket: &str, r: &Record) -> Result<()> {
    let body = serde_json::to_vec_pretty(r).map_err(|e| Error(format!("writing the release record: {e}")))?;
    records::put(c, bucket, &key(&r.app, &r.id), body, "release record").await
}

/// A release's record, when there is one.
pub async fn read(c: &Clients, bucket: &str, app: &str, id: &str) -> Result<Option<Record>> {
    let key = key(app, id);
    let Some(bytes) = records::get(c, bucket, &key).await? else {
        return Ok(None);
    };
    parse(&bytes)
        .map(Some)
        .map_err(|e| Error(format!("s3://{bucket}/{key} is not a release record: {e}")))
}

/// A record from its JSON.
pub fn parse(bytes: &[u8]) -> std::result::Result<Record, String> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

/// A release's record, or an error saying how to list the app's releases.
pub async fn find(c: &Clients, bucket: &str, app: &str, id: &str) -> Result<Record> {
    read(c, bucket, app, id).await?.ok_or_else(|| {
        Error(format!(
            "app {app} has no release {id}: `convoxc releases --app {app}` lists them"
        ))
    })
}

/// The rack's settings bucket, where the records are.
pub async fn bucket(c: &Clients, rack: &str) -> Result<String> {
    let s = crate::aws::rack_stack::rack_stack(c, rack).await?;
    Ok(output(&s, "SettingsBucket")
        .ok_or_else(|| {
            Error(format!(
                "stack {rack} has no SettingsBucket output: is it a convox rack?"
            ))
        })?
        .to_string())
}

/// Every release recorded for the app, oldest first.
pub async fn list(c: &Clients, bucket: &str, app: &str) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    for id in records::ids(c, bucket, &prefix(app)).await? {
        if let Some(r) = read(c, bucket, app, &id).await? {
            out.push(r);
        }
    }
    out.sort_by(|a, b| (&a.created, &a.id).cmp(&(&b.created, &b.id)));
    Ok(out)
}

/// The active release: the app stack's `Release` output (None: the stack has none, e.g. an app
/// convox made and convoxc never deployed).
pub async fn active(c: &Clients, stack: &str) -> Result<Option<String>> {
    Ok(describe_stack(c, stack)
        .await?
        .and_then(|s| output(&s, "Release").map(str::to_string))
        .filter(|r| !r.is_empty()))
}

/// Who is deploying: the caller's identity ARN (None, with no error, when STS does not answer:
/// a release is still recorded).
pub async fn caller(c: &Clients) -> Option<String> {
    c.sts
        .get_caller_identity()
        .send()
        .await
        .ok()
        .and_then(|o| o.arn().map(str::to_string))
}

/// The git commit of a folder: `<short sha> <subject>`, when it is in a git repository.
pub fn git_description(dir: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["log", "-1", "--format=%h %s"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_stamps_are_utc() {
        assert_eq!(stamp(0), "19700101000000000");
        // 2026-12-07T14:10:29.123Z
        assert_eq!(stamp(1_796_652_629_123), "20261207141029123");
        assert_eq!(stamp(951_782_400_000), "20000229000000000");
        let a = new_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id();
        assert!(a < b, "{a} {b}");
        assert_eq!(a.len(), 22);
    }

    #[test]
    fn a_record_round_trips_and_says_what_succeeded() {
        let text = include_str!("../../tests/fixtures/release.json");
        let r = parse(text.as_bytes()).unwrap();
        assert_eq!(r.environment["GREETING"], 2);
        let again = serde_json::to_string_pretty(&r).unwrap();
        assert_eq!(parse(again.as_bytes()).unwrap(), r);
        assert!(succeeded("UPDATE_COMPLETE") && succeeded("CREATE_COMPLETE"));
        assert!(!succeeded("UPDATE_ROLLBACK_COMPLETE") && !succeeded("NOT_EXECUTED"));
        assert!(parse(br#"{"id":"R1"}"#).is_err());
    }
}
