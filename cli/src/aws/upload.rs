//! Templates go to the rack's bucket under their content address (`convoxc/templates/<sha256>.json`):
//! an object that is already there is skipped when its content is the template's.

use crate::aws::clients::{Clients, Error, Result, describe, err};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumMode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use convoxc_compiler::back::Template;
use sha2::{Digest, Sha256};

/// Upload the templates that are not in the bucket with their bytes. Returns the keys uploaded
/// and the number skipped. An object is trusted by its content, never by its name alone: S3's
/// SHA-256 checksum of it (when S3 has one) or its bytes must be the template's; one that is not
/// (changed in the bucket by someone) is uploaded again, with a warning.
pub async fn upload(c: &Clients, bucket: &str, templates: &[&Template]) -> Result<(Vec<String>, usize)> {
    let mut uploaded = Vec::new();
    let mut skipped = 0;
    let mut seen = std::collections::BTreeSet::new();
    for t in templates {
        let key = t.key();
        if !seen.insert(key.clone()) {
            continue;
        }
        let digest = Sha256::digest(t.text.as_bytes());
        match held(c, bucket, &key, &digest).await? {
            Held::Same => {
                skipped += 1;
                continue;
            }
            Held::Other => eprintln!(
                "warning: s3://{bucket}/{key} did not hold the template its name is the digest of (it was changed \
                 in the bucket); uploading it again"
            ),
            Held::Nothing => {}
        }
        c.s3.put_object()
            .bucket(bucket)
            .key(&key)
            .content_type("application/json")
            .checksum_sha256(BASE64.encode(digest))
            .body(ByteStream::from(t.text.clone().into_bytes()))
            .send()
            .await
            .map_err(|e| describe(&format!("uploading s3://{bucket}/{key}"), &e))?;
        uploaded.push(key);
    }
    Ok((uploaded, skipped))
}

enum Held {
    Nothing,
    Same,
    Other,
}

/// What the bucket holds under `key`, against the SHA-256 `digest` of the bytes it should hold.
async fn held(c: &Clients, bucket: &str, key: &str, digest: &[u8]) -> Result<Held> {
    let head =
        c.s3.head_object()
            .bucket(bucket)
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await;
    let head = match head {
        Ok(h) => h,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => return Ok(Held::Nothing),
        Err(e) => return Err(describe(&format!("checking s3://{bucket}/{key}"), &e)),
    };
    // a whole-object SHA-256 that S3 keeps (a multipart one ends in "-N" and says nothing here)
    if let Some(sum) = head.checksum_sha256().filter(|s| !s.contains('-')) {
        return Ok(if sum == BASE64.encode(digest) {
            Held::Same
        } else {
            Held::Other
        });
    }
    let object =
        c.s3.get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| describe(&format!("reading s3://{bucket}/{key}"), &e))?;
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| Error(format!("reading s3://{bucket}/{key}: {e}")))?
        .into_bytes();
    Ok(if Sha256::digest(&bytes).as_slice() == digest {
        Held::Same
    } else {
        Held::Other
    })
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
