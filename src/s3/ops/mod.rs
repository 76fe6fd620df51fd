//! Object operations the engine is built from, on one SDK client each: reads
//! (`read.rs`), writes (`write.rs`) and deletes (`delete.rs`). Each call is
//! one attempt of the client it is given (the engine decides about retries);
//! the rest of the crate reaches them through [`crate::s3::Bucket`].

use aws_sdk_s3::types::{ServerSideEncryption, StorageClass};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::model::{ObjectLockState, ObjectProps};
use super::refs::ObjectRef;

/// Characters left as they are in a key in a URL path or a CopySource:
/// unreserved ones and `/`.
pub(crate) const KEY_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// `bucket/key[?versionId=V]` with the key percent-encoded: the SDK sends the
/// header as given, and S3 decodes it. `versionId=null` is a real version
/// (the null version), not "the current one".
pub fn copy_source(bucket: &str, key: &str, version_id: Option<&str>) -> String {
    let mut s = format!("{bucket}/{}", utf8_percent_encode(key, KEY_SAFE));
    if let Some(v) = version_id {
        s.push_str("?versionId=");
        s.push_str(&utf8_percent_encode(v, NON_ALPHANUMERIC).to_string());
    }
    s
}

/// What a failed CopyObject was doing, for its error message.
pub(crate) fn copy_label(src: ObjectRef<'_>, dst: ObjectRef<'_>) -> String {
    format!("CopyObject {src} -> {dst}")
}

pub(super) fn version(v: Option<&str>) -> Option<String> {
    v.map(str::to_string)
}

/// HeadObject and GetObject outputs share these accessors.
macro_rules! object_props {
    ($r:expr, $metadata:expr, $checksum:expr) => {
        ObjectProps {
            size: $r.content_length().unwrap_or(0).max(0) as u64,
            etag: $r.e_tag().map(str::to_string),
            last_modified: $r.last_modified().and_then(to_chrono),
            version_id: $r.version_id().map(str::to_string),
            content_type: $r.content_type().map(str::to_string),
            content_encoding: $r.content_encoding().map(str::to_string),
            content_disposition: $r.content_disposition().map(str::to_string),
            content_language: $r.content_language().map(str::to_string),
            cache_control: $r.cache_control().map(str::to_string),
            #[allow(deprecated)]
            expires: $r.expires_string().map(str::to_string),
            metadata: $metadata,
            storage_class: $r.storage_class().map(|s| s.as_str().to_string()),
            sse: $r.server_side_encryption().map(|s| s.as_str().to_string()),
            sse_kms_key_id: $r.ssekms_key_id().map(str::to_string),
            sse_customer_algorithm: $r.sse_customer_algorithm().map(str::to_string),
            lock: $crate::s3::model::ObjectLockState {
                mode: $r.object_lock_mode().map(|m| m.as_str().to_string()),
                retain_until: $r.object_lock_retain_until_date().and_then(to_chrono),
                legal_hold: $r
                    .object_lock_legal_hold_status()
                    .is_some_and(|s| s.as_str() == "ON"),
            },
            replication_status: $r.replication_status().map(|s| s.as_str().to_string()),
            checksum: $checksum,
            parts_count: $r.parts_count().map(|p| p.max(0) as u32),
        }
    };
}

/// Properties a new object gets in a copy that does not carry them itself
/// (multipart copy, streamed copy, or a storage class override).
#[derive(Debug, Clone, Default)]
pub struct WriteProps {
    pub props: ObjectProps,
    pub tagging: Option<String>,
    pub storage_class: Option<String>,
    /// Encryption to ask for; `None` leaves the destination bucket's default.
    pub sse: Option<SseRequest>,
    /// Object Lock settings to carry (`--preserve-lock`).
    pub lock: Option<ObjectLockState>,
}

/// Server-side encryption a write asks for explicitly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseRequest {
    /// `AES256`, `aws:kms` or `aws:kms:dsse`.
    pub algorithm: String,
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct WriteResult {
    pub etag: Option<String>,
    pub version_id: Option<String>,
    /// The source version a copy read (`x-amz-copy-source-version-id`).
    pub source_version_id: Option<String>,
    /// Encryption of the written object, as the response reported it.
    pub sse: Option<String>,
    pub sse_customer: bool,
}

impl WriteResult {
    /// The response's ETag is the MD5 of the bytes written.
    pub fn etag_can_be_md5(&self) -> bool {
        super::model::etag_can_be_md5(self.sse.as_deref(), self.sse_customer)
    }
}

pub(super) fn storage_class(s: &Option<String>) -> Option<StorageClass> {
    s.as_deref()
        .filter(|s| !s.is_empty())
        .map(StorageClass::from)
}

/// The SSE headers of a write: only what was asked for explicitly, so the
/// destination bucket's default encryption applies otherwise.
pub(super) fn sse(w: &WriteProps) -> (Option<ServerSideEncryption>, Option<String>) {
    match &w.sse {
        Some(r) => (
            Some(ServerSideEncryption::from(r.algorithm.as_str())),
            r.kms_key_id
                .clone()
                .filter(|_| r.algorithm.starts_with("aws:kms")),
        ),
        None => (None, None),
    }
}

pub(super) fn lock_mode(l: &Option<ObjectLockState>) -> Option<aws_sdk_s3::types::ObjectLockMode> {
    l.as_ref()
        .and_then(|l| l.mode.as_deref())
        .map(aws_sdk_s3::types::ObjectLockMode::from)
}

pub(super) fn retain_until(l: &Option<ObjectLockState>) -> Option<aws_smithy_types::DateTime> {
    l.as_ref()
        .and_then(|l| l.retain_until)
        .map(|t| aws_smithy_types::DateTime::from_millis(t.timestamp_millis()))
}

pub(super) fn legal_hold(
    l: &Option<ObjectLockState>,
) -> Option<aws_sdk_s3::types::ObjectLockLegalHoldStatus> {
    l.as_ref()
        .filter(|l| l.legal_hold)
        .map(|_| aws_sdk_s3::types::ObjectLockLegalHoldStatus::On)
}

macro_rules! apply_props {
    ($b:expr, $w:expr) => {{
        let p = &$w.props;
        let (sse, kms) = sse($w);
        let mut b = $b
            .set_content_type(p.content_type.clone())
            .set_content_encoding(p.content_encoding.clone())
            .set_content_disposition(p.content_disposition.clone())
            .set_content_language(p.content_language.clone())
            .set_cache_control(p.cache_control.clone())
            .set_tagging($w.tagging.clone())
            .set_storage_class(
                storage_class(&$w.storage_class).or_else(|| storage_class(&p.storage_class)),
            )
            .set_server_side_encryption(sse)
            .set_ssekms_key_id(kms)
            .set_object_lock_mode(lock_mode(&$w.lock))
            .set_object_lock_retain_until_date(retain_until(&$w.lock))
            .set_object_lock_legal_hold_status(legal_hold(&$w.lock));
        if let Some(e) = p.expires.as_deref().and_then(|e| {
            aws_smithy_types::DateTime::from_str(e, aws_smithy_types::date_time::Format::HttpDate)
                .ok()
        }) {
            b = b.expires(e);
        }
        for (k, v) in &p.metadata {
            b = b.metadata(k, v);
        }
        b
    }};
}

mod delete;
mod read;
mod write;

pub use delete::{
    delete_object, delete_object_if, delete_objects, delete_objects_one_if, xml_can_carry,
    DeleteFailure, DeleteKey,
};
pub use read::{
    endpoint_answers, get_range, get_tagging, get_tags, get_text, get_with_props, head_object,
    list_uploads, OpenUpload,
};
pub use write::{
    abort_multipart, complete_multipart, copy_acl, copy_object, create_multipart, put_manifest,
    put_object, upload_has_parts, upload_part, upload_part_copy, Upload,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_encoding() {
        assert_eq!(copy_source("b", "a b+c", None), "b/a%20b%2Bc");
        assert_eq!(
            copy_source("b", "100%/#x?y", Some("v1")),
            "b/100%25/%23x%3Fy?versionId=v1"
        );
        assert_eq!(
            copy_source("b", "a//b/", Some("null")),
            "b/a//b/?versionId=null"
        );
        assert_eq!(copy_source("b", "é", None), "b/%C3%A9");
    }
}
