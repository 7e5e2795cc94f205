//! JSON records kept in the rack's settings bucket (`builds.rs`, `releases.rs`): one object a
//! record, read, written and listed by key.

use crate::aws::clients::{Clients, Error, Result, describe};
use aws_sdk_s3::primitives::ByteStream;

/// Write a record's JSON under `key`; `what` names it in an error.
pub(crate) async fn put(c: &Clients, bucket: &str, key: &str, body: Vec<u8>, what: &str) -> Result<()> {
    c.s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| describe(&format!("writing the {what} s3://{bucket}/{key}"), &e))?;
    Ok(())
}

/// The bytes under `key`, or None when there is no such object.
pub(crate) async fn get(c: &Clients, bucket: &str, key: &str) -> Result<Option<Vec<u8>>> {
    let out = match c.s3.get_object().bucket(bucket).key(key).send().await {
        Ok(o) => o,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
        Err(e) => return Err(describe(&format!("reading s3://{bucket}/{key}"), &e)),
    };
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|e| Error(format!("reading s3://{bucket}/{key}: {e}")))?
        .into_bytes();
    Ok(Some(bytes.to_vec()))
}

/// The IDs of the records under `prefix` (`<prefix><id>.json`), every page.
pub(crate) async fn ids(c: &Clients, bucket: &str, prefix: &str) -> Result<Vec<String>> {
    let mut pages =
        c.s3.list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe(&format!("listing s3://{bucket}/{prefix}"), &e))?;
        for o in page.contents() {
            if let Some(id) = o
                .key()
                .and_then(|k| k.strip_prefix(prefix))
                .and_then(|k| k.strip_suffix(".json"))
            {
                ids.push(id.to_string());
            }
        }
    }
    Ok(ids)
}
