//! Templates go to the rack's bucket under their content address (`convoxc/templates/<sha256>.json`):
//! an object that is already there has the same bytes, so it is skipped.

use super::aws::{Clients, Result, describe, err};
use aws_sdk_s3::primitives::ByteStream;
use convoxc_compiler::back::Template;

/// Upload the templates that are not in the bucket yet. Returns the keys uploaded and the number
/// skipped.
pub async fn upload(c: &Clients, bucket: &str, templates: &[&Template]) -> Result<(Vec<String>, usize)> {
    let mut uploaded = Vec::new();
    let mut skipped = 0;
    let mut seen = std::collections::BTreeSet::new();
    for t in templates {
        let key = t.key();
        if !seen.insert(key.clone()) {
            continue;
        }
        match c.s3.head_object().bucket(bucket).key(&key).send().await {
            Ok(_) => {
                skipped += 1;
                continue;
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {}
            Err(e) => return Err(describe(&format!("checking s3://{bucket}/{key}"), &e)),
        }
        c.s3.put_object()
            .bucket(bucket)
            .key(&key)
            .content_type("application/json")
            .body(ByteStream::from(t.text.clone().into_bytes()))
            .send()
            .await
            .map_err(|e| describe(&format!("uploading s3://{bucket}/{key}"), &e))?;
        uploaded.push(key);
    }
    Ok((uploaded, skipped))
}

/// Check that the bucket exists and can be reached.
pub async fn check_bucket(c: &Clients, bucket: &str, whence: &str) -> Result<()> {
    match c.s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {
            err(format!("bucket {bucket} ({whence}) does not exist"))
        }
        Err(e) => Err(describe(&format!("checking bucket {bucket} ({whence})"), &e)),
    }
}

/// The HTTPS URL CloudFormation reads a template from (the form the app template uses for its
/// nested stacks).
pub fn url(bucket: &str, region: &str, key: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://{bucket}.s3.{region}.{suffix}/{key}")
}
