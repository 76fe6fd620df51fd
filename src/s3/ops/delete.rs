//! Deletes: DeleteObject and DeleteObjects (batched, or one key on an ETag
//! condition).

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_sdk_s3::Client;

use super::version;
use crate::s3::error::{ErrorKind, S3Error, S3Result};

/// Places a delete marker (versioned bucket) or removes the key.
pub async fn delete_object(
    c: &Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> S3Result<Option<String>> {
    let r = c
        .delete_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version(version_id))
        .send()
        .await
        .map_err(|e| S3Error::from(e).context(format_args!("DeleteObject s3://{bucket}/{key}")))?;
    Ok(r.version_id().map(str::to_string))
}

/// DeleteObject on the same conditions a DeleteObjects entry carries:
/// exactly this version and/or only while the current object has this ETag
/// (`If-Match`). For keys DeleteObjects cannot carry (see `xml_can_carry`).
pub async fn delete_object_if(c: &Client, bucket: &str, k: &DeleteKey) -> S3Result<()> {
    c.delete_object()
        .bucket(bucket)
        .key(&k.key)
        .set_version_id(version(k.version_id.as_deref()))
        .set_if_match(k.etag.clone())
        .send()
        .await
        .map_err(|e| {
            S3Error::from(e).context(format_args!("DeleteObject s3://{bucket}/{:?}", k.key))
        })?;
    Ok(())
}

/// Whether XML 1.0 can carry `key` in a DeleteObjects body: not control
/// characters other than tab, LF and CR (those travel as `&#xA;` ...), nor
/// U+FFFE / U+FFFF. S3 rejects a body with them as MalformedXML.
pub fn xml_can_carry(key: &str) -> bool {
    key.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    })
}

/// One object of a DeleteObjects request: exactly this version, and/or only
/// while the current object still has this ETag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteKey {
    pub key: String,
    pub version_id: Option<String>,
    pub etag: Option<String>,
}

/// A key DeleteObjects did not delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteFailure {
    pub key: String,
    pub version_id: Option<String>,
    pub code: Option<String>,
    pub message: String,
}

impl DeleteFailure {
    /// One `<Error>` of a DeleteObjects answer.
    fn from_answer(e: &aws_sdk_s3::types::Error) -> DeleteFailure {
        DeleteFailure {
            key: e.key().unwrap_or_default().to_string(),
            version_id: e.version_id().map(str::to_string),
            code: e.code().map(str::to_string),
            message: format!(
                "{} ({})",
                e.message().unwrap_or("delete failed"),
                e.code().unwrap_or("error")
            ),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self.code.as_deref() {
            Some("PreconditionFailed") => ErrorKind::PreconditionFailed,
            Some("NoSuchKey") | Some("NoSuchVersion") => ErrorKind::NoSuchKey,
            Some("SlowDown") => ErrorKind::Throttled,
            Some("InternalError") | Some("ServiceUnavailable") => ErrorKind::Transient,
            Some("AccessDenied") => ErrorKind::AccessDenied,
            _ => ErrorKind::Other,
        }
    }
}

/// DeleteObjects in one request (≤ 1000 keys). Returns per-key failures; the
/// SDK adds the checksum header S3-compatible servers insist on.
pub async fn delete_objects(
    c: &Client,
    bucket: &str,
    keys: &[DeleteKey],
) -> S3Result<Vec<DeleteFailure>> {
    let mut objects = Vec::with_capacity(keys.len());
    for k in keys {
        objects.push(
            ObjectIdentifier::builder()
                .key(&k.key)
                .set_version_id(version(k.version_id.as_deref()))
                .set_e_tag(k.etag.clone())
                .build()
                .map_err(|e| S3Error::new(ErrorKind::Other, e.to_string()))?,
        );
    }
    let delete = Delete::builder()
        .set_objects(Some(objects))
        .quiet(true)
        .build()
        .map_err(|e| S3Error::new(ErrorKind::Other, e.to_string()))?;
    let r = c
        .delete_objects()
        .bucket(bucket)
        .delete(delete)
        .send()
        .await
        .map_err(|e| S3Error::from(e).context(format_args!("DeleteObjects in s3://{bucket}")))?;
    Ok(r.errors().iter().map(DeleteFailure::from_answer).collect())
}

/// DeleteObjects of one key on the condition that its ETag is `etag`, with
/// the per-key answer: `Ok(marker)` when it was deleted (the delete marker's
/// version, if one was written), `Err` when it was not.
pub async fn delete_objects_one_if(
    c: &Client,
    bucket: &str,
    key: &str,
    etag: &str,
) -> S3Result<Result<Option<String>, DeleteFailure>> {
    let object = ObjectIdentifier::builder()
        .key(key)
        .e_tag(etag)
        .build()
        .map_err(|e| S3Error::new(ErrorKind::Other, e.to_string()))?;
    let delete = Delete::builder()
        .objects(object)
        .quiet(false)
        .build()
        .map_err(|e| S3Error::new(ErrorKind::Other, e.to_string()))?;
    let r = c
        .delete_objects()
        .bucket(bucket)
        .delete(delete)
        .send()
        .await
        .map_err(|e| S3Error::from(e).context(format_args!("DeleteObjects in s3://{bucket}")))?;
    if let Some(e) = r.errors().first() {
        return Ok(Err(DeleteFailure::from_answer(e)));
    }
    Ok(Ok(r.deleted().first().and_then(|d| {
        d.delete_marker_version_id().map(str::to_string)
    })))
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_carries_what_xml_1_0_allows() {
        use super::xml_can_carry;
        assert!(xml_can_carry("a/b c+%#?"));
        assert!(xml_can_carry("tab\tnew\nline\r"));
        assert!(xml_can_carry("日本/😀"));
        assert!(!xml_can_carry("ctrl\u{1}key"));
        assert!(!xml_can_carry("esc\u{1b}"));
        assert!(!xml_can_carry("\u{FFFF}"));
    }
}
