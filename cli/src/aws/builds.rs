//! Build records: what `deploy` and `images push` pushed, kept in the rack's settings bucket at
//! `convoxc/builds/<app>/<build>.json` — the build ID, the tag each service runs (an app whose
//! services build from several sources has one build per source, and the app's build ID names
//! them together), when it was pushed. Never a value of the environment: build args are not
//! recorded.

use crate::aws::clients::{Clients, Result};
use crate::aws::records;
use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One build of an app.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Record {
    pub id: String,
    /// The build each service runs: its image is `<service>.<build>` in the app's registry.
    pub services: BTreeMap<String, String>,
    /// RFC 3339, UTC.
    pub pushed: String,
}

fn key(app: &str, id: &str) -> String {
    format!("convoxc/builds/{app}/{id}.json")
}

/// Now, as a record says it.
pub(crate) fn now() -> String {
    DateTime::from(std::time::SystemTime::now())
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_default()
}

/// Write a build's record (the same build pushed again keeps its first record).
pub(crate) async fn write(c: &Clients, bucket: &str, app: &str, r: &Record) -> Result<()> {
    if read(c, bucket, app, &r.id).await?.is_some() {
        return Ok(());
    }
    let body = json!({"id": r.id, "app": app, "services": r.services, "pushed": r.pushed});
    let body = serde_json::to_vec_pretty(&body).unwrap_or_default();
    records::put(c, bucket, &key(app, &r.id), body, "build record").await
}

/// A build's record, when there is one.
pub(crate) async fn read(c: &Clients, bucket: &str, app: &str, id: &str) -> Result<Option<Record>> {
    Ok(records::get(c, bucket, &key(app, id)).await?.and_then(|b| parse(&b)))
}

/// Every build recorded for the app, oldest first.
pub(crate) async fn list(c: &Clients, bucket: &str, app: &str) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    for id in records::ids(c, bucket, &format!("convoxc/builds/{app}/")).await? {
        if let Some(r) = read(c, bucket, app, &id).await? {
            out.push(r);
        }
    }
    out.sort_by(|a, b| (&a.pushed, &a.id).cmp(&(&b.pushed, &b.id)));
    Ok(out)
}

fn parse(bytes: &[u8]) -> Option<Record> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    Some(Record {
        id: v.get("id")?.as_str()?.to_string(),
        services: v
            .get("services")?
            .as_object()?
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
        pushed: v.get("pushed").and_then(Value::as_str).unwrap_or_default().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn a_record_reads_back_and_a_foreign_object_is_none() {
        let r = parse(
            br#"{"id":"BABC","app":"a","services":{"web":"BX1","worker":"BX2"},"pushed":"2026-12-07T10:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(r.id, "BABC");
        assert_eq!(r.services["worker"], "BX2");
        assert_eq!(r.pushed, "2026-12-07T10:00:00Z");
        assert!(parse(b"not json").is_none());
        assert!(parse(br#"{"id":"B"}"#).is_none());
    }
}
