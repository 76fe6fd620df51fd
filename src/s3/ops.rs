//! Object operations the engine is built from. Each call is one attempt; the
//! engine decides about retries.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumMode, CompletedMultipartUpload, CompletedPart, Delete, MetadataDirective,
    ObjectIdentifier, ServerSideEncryption, StorageClass, TaggingDirective,
};
use aws_sdk_s3::Client;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::error::{ErrorKind, S3Error, S3Result};
use super::model::{ObjectLockState, ObjectProps};
use super::time::to_chrono;

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
pub(crate) fn copy_label(src: (&str, &str, Option<&str>), dst: (&str, &str)) -> String {
    format!(
        "CopyObject s3://{}/{} -> s3://{}/{}",
        src.0, src.1, dst.0, dst.1
    )
}

fn version(v: Option<&str>) -> Option<String> {
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
            lock: crate::s3::model::ObjectLockState {
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

pub async fn head_object(
    c: &Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> S3Result<ObjectProps> {
    let r = c
        .head_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version(version_id))
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .map_err(|e| S3Error::from(e).context(format_args!("HeadObject s3://{bucket}/{key}")))?;
    let checksum = [
        ("CRC64NVME", r.checksum_crc64_nvme()),
        ("CRC32C", r.checksum_crc32_c()),
        ("CRC32", r.checksum_crc32()),
        ("SHA256", r.checksum_sha256()),
        ("SHA1", r.checksum_sha1()),
    ]
    .into_iter()
    .find_map(|(alg, v)| v.map(|v| (alg.to_string(), v.to_string())));
    // A composite checksum of a multipart upload (`…-N`) is not a full-object one.
    let checksum = checksum.filter(|(_, v)| !v.contains('-')).filter(|_| {
        r.checksum_type()
            .map(|t| t.as_str() != "COMPOSITE")
            .unwrap_or(true)
    });
    let mut metadata: Vec<(String, String)> = r
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    metadata.sort();
    Ok(object_props!(r, metadata, checksum))
}

/// Tags as `k=v&…` (URL-encoded), ready for the `x-amz-tagging` header.
/// Endpoints without tagging give `None` rather than an error.
pub async fn get_tagging(
    c: &Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> S3Result<Option<String>> {
    match c
        .get_object_tagging()
        .bucket(bucket)
        .key(key)
        .set_version_id(version(version_id))
        .send()
        .await
    {
        Ok(r) => {
            if r.tag_set().is_empty() {
                return Ok(None);
            }
            let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
            Ok(Some(
                r.tag_set()
                    .iter()
                    .map(|t| format!("{}={}", enc(t.key()), enc(t.value())))
                    .collect::<Vec<_>>()
                    .join("&"),
            ))
        }
        Err(e) => {
            let err = S3Error::from(e);
            match err.kind {
                ErrorKind::NotImplemented | ErrorKind::NotConfigured => Ok(None),
                _ => Err(err.context(format_args!("GetObjectTagging s3://{bucket}/{key}"))),
            }
        }
    }
}

/// Tags as pairs (for comparisons in tests and verification).
pub async fn get_tags(c: &Client, bucket: &str, key: &str) -> S3Result<Vec<(String, String)>> {
    let r = c
        .get_object_tagging()
        .bucket(bucket)
        .key(key)
        .send()
        .await?;
    let mut v: Vec<(String, String)> = r
        .tag_set()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    v.sort();
    Ok(v)
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

fn storage_class(s: &Option<String>) -> Option<StorageClass> {
    s.as_deref()
        .filter(|s| !s.is_empty())
        .map(StorageClass::from)
}

/// The SSE headers of a write: only what was asked for explicitly, so the
/// destination bucket's default encryption applies otherwise.
fn sse(w: &WriteProps) -> (Option<ServerSideEncryption>, Option<String>) {
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

fn lock_mode(l: &Option<ObjectLockState>) -> Option<aws_sdk_s3::types::ObjectLockMode> {
    l.as_ref()
        .and_then(|l| l.mode.as_deref())
        .map(aws_sdk_s3::types::ObjectLockMode::from)
}

fn retain_until(l: &Option<ObjectLockState>) -> Option<aws_smithy_types::DateTime> {
    l.as_ref()
        .and_then(|l| l.retain_until)
        .map(|t| aws_smithy_types::DateTime::from_millis(t.timestamp_millis()))
}

fn legal_hold(l: &Option<ObjectLockState>) -> Option<aws_sdk_s3::types::ObjectLockLegalHoldStatus> {
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

/// Server-side CopyObject (≤ 5 GiB). With `replace`, properties come from
/// `write` (used to override the storage class while keeping everything else).
/// Without `replace`, only the encryption and lock settings of `extra` are
/// asked for; everything else is copied.
pub async fn copy_object(
    c: &Client,
    src: (&str, &str, Option<&str>),
    dst: (&str, &str),
    if_match: Option<&str>,
    replace: Option<&WriteProps>,
    extra: Option<&WriteProps>,
) -> S3Result<WriteResult> {
    let (sb, sk, sv) = src;
    let mut b = c
        .copy_object()
        .copy_source(copy_source(sb, sk, sv))
        .bucket(dst.0)
        .key(dst.1)
        .set_copy_source_if_match(if_match.map(str::to_string));
    if let (None, Some(w)) = (replace, extra) {
        let (alg, kms) = self::sse(w);
        b = b
            .set_server_side_encryption(alg)
            .set_ssekms_key_id(kms)
            .set_object_lock_mode(lock_mode(&w.lock))
            .set_object_lock_retain_until_date(retain_until(&w.lock))
            .set_object_lock_legal_hold_status(legal_hold(&w.lock));
    }
    if let Some(w) = replace {
        b = apply_props!(b, w)
            .metadata_directive(MetadataDirective::Replace)
            .tagging_directive(if w.tagging.is_some() {
                TaggingDirective::Replace
            } else {
                TaggingDirective::Copy
            });
    }
    let r = b
        .send()
        .await
        .map_err(|e| S3Error::from(e).context(copy_label(src, dst)))?;
    Ok(WriteResult {
        etag: r
            .copy_object_result()
            .and_then(|o| o.e_tag().map(str::to_string)),
        version_id: r.version_id().map(str::to_string),
        source_version_id: r.copy_source_version_id().map(str::to_string),
        sse: r.server_side_encryption().map(|s| s.as_str().to_string()),
        sse_customer: r.sse_customer_algorithm().is_some(),
    })
}

/// A started multipart upload: its id and whether its part ETags can be
/// MD5s (not under KMS or SSE-C).
#[derive(Debug, Clone)]
pub struct Upload {
    pub id: String,
    pub part_etags_md5: bool,
}

pub async fn create_multipart(
    c: &Client,
    bucket: &str,
    key: &str,
    w: &WriteProps,
) -> S3Result<Upload> {
    let b = c.create_multipart_upload().bucket(bucket).key(key);
    let r = apply_props!(b, w).send().await.map_err(|e| {
        S3Error::from(e).context(format_args!("CreateMultipartUpload s3://{bucket}/{key}"))
    })?;
    let id = r.upload_id().map(str::to_string).ok_or_else(|| {
        S3Error::new(
            ErrorKind::Other,
            "CreateMultipartUpload returned no upload id",
        )
    })?;
    Ok(Upload {
        id,
        part_etags_md5: super::model::etag_can_be_md5(
            r.server_side_encryption().map(|s| s.as_str()),
            r.sse_customer_algorithm().is_some(),
        ),
    })
}

/// One part copied server-side; `if_match` pins the source version by ETag.
pub async fn upload_part_copy(
    c: &Client,
    src: (&str, &str, Option<&str>),
    dst: (&str, &str, &str),
    part_number: i32,
    range: (u64, u64),
    if_match: Option<&str>,
) -> S3Result<CompletedPart> {
    let (bucket, key, upload_id) = dst;
    let r = c
        .upload_part_copy()
        .copy_source(copy_source(src.0, src.1, src.2))
        .copy_source_range(format!("bytes={}-{}", range.0, range.1))
        .set_copy_source_if_match(if_match.map(str::to_string))
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .part_number(part_number)
        .send()
        .await
        .map_err(|e| {
            let err = S3Error::from(e);
            if err.kind == ErrorKind::PreconditionFailed {
                S3Error {
                    message: "source changed during copy (ETag no longer matches)".into(),
                    ..err
                }
            } else {
                err.context(format_args!("UploadPartCopy part {part_number}"))
            }
        })?;
    let etag = r
        .copy_part_result()
        .and_then(|p| p.e_tag().map(str::to_string));
    Ok(CompletedPart::builder()
        .set_e_tag(etag)
        .part_number(part_number)
        .build())
}

/// One part uploaded; `content_md5` (base64) lets S3 check the bytes, and
/// buckets with Object Lock default retention require it.
pub async fn upload_part(
    c: &Client,
    dst: (&str, &str, &str),
    part_number: i32,
    body: bytes::Bytes,
    content_md5: Option<String>,
) -> S3Result<CompletedPart> {
    let (bucket, key, upload_id) = dst;
    let r = c
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .part_number(part_number)
        .set_content_md5(content_md5)
        .content_length(body.len() as i64)
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| S3Error::from(e).context(format_args!("UploadPart part {part_number}")))?;
    Ok(CompletedPart::builder()
        .set_e_tag(r.e_tag().map(str::to_string))
        .part_number(part_number)
        .build())
}

pub async fn complete_multipart(
    c: &Client,
    dst: (&str, &str, &str),
    mut parts: Vec<CompletedPart>,
) -> S3Result<WriteResult> {
    let (bucket, key, upload_id) = dst;
    parts.sort_by_key(|p| p.part_number());
    let r = c
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .map_err(|e| {
            S3Error::from(e).context(format_args!("CompleteMultipartUpload s3://{bucket}/{key}"))
        })?;
    Ok(WriteResult {
        etag: r.e_tag().map(str::to_string),
        version_id: r.version_id().map(str::to_string),
        source_version_id: None,
        sse: r.server_side_encryption().map(|s| s.as_str().to_string()),
        sse_customer: false,
    })
}

pub async fn abort_multipart(c: &Client, bucket: &str, key: &str, upload_id: &str) -> S3Result<()> {
    c.abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await?;
    Ok(())
}

/// A GetObject failure; a 412 means the pinned source changed.
fn get_error<E>(
    e: aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
    src: (&str, &str, Option<&str>),
    changed: &str,
) -> S3Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let err = S3Error::from(e);
    if err.kind == ErrorKind::PreconditionFailed {
        S3Error {
            message: changed.to_string(),
            ..err
        }
    } else {
        err.context(format_args!("GetObject s3://{}/{}", src.0, src.1))
    }
}

/// A byte range of an object (inclusive end), pinned to an ETag.
pub async fn get_range(
    c: &Client,
    src: (&str, &str, Option<&str>),
    range: Option<(u64, u64)>,
    if_match: Option<&str>,
) -> S3Result<bytes::Bytes> {
    let r = c
        .get_object()
        .bucket(src.0)
        .key(src.1)
        .set_version_id(version(src.2))
        .set_range(range.map(|(a, b)| format!("bytes={a}-{b}")))
        .set_if_match(if_match.map(str::to_string))
        .send()
        .await
        .map_err(|e| {
            get_error(
                e,
                src,
                "source changed during copy (ETag no longer matches)",
            )
        })?;
    let len = r.content_length().unwrap_or(0).max(0) as usize;
    read_body(r.body, len, src).await
}

/// Read a body into one buffer sized up front: collecting chunks and then
/// joining them would hold the bytes twice.
async fn read_body(
    mut body: ByteStream,
    len: usize,
    src: (&str, &str, Option<&str>),
) -> S3Result<bytes::Bytes> {
    let mut buf = bytes::BytesMut::with_capacity(len);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            S3Error::new(
                ErrorKind::Transient,
                format!("reading s3://{}/{}: {e}", src.0, src.1),
            )
        })?;
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

pub async fn put_object(
    c: &Client,
    dst: (&str, &str),
    body: bytes::Bytes,
    content_md5: Option<String>,
    w: &WriteProps,
) -> S3Result<WriteResult> {
    let (bucket, key) = dst;
    let b = c
        .put_object()
        .bucket(bucket)
        .key(key)
        .set_content_md5(content_md5)
        .content_length(body.len() as i64)
        .body(ByteStream::from(body));
    let r = apply_props!(b, w)
        .send()
        .await
        .map_err(|e| S3Error::from(e).context(format_args!("PutObject s3://{bucket}/{key}")))?;
    Ok(WriteResult {
        etag: r.e_tag().map(str::to_string),
        version_id: r.version_id().map(str::to_string),
        source_version_id: None,
        sse: r.server_side_encryption().map(|s| s.as_str().to_string()),
        sse_customer: r.sse_customer_algorithm().is_some(),
    })
}

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

/// Copy ACL grants. `Ok(false)` when the destination has ACLs disabled.
pub async fn copy_acl(
    src_client: &Client,
    src: (&str, &str, Option<&str>),
    dst_client: &Client,
    dst: (&str, &str),
) -> S3Result<bool> {
    let acl = match src_client
        .get_object_acl()
        .bucket(src.0)
        .key(src.1)
        .set_version_id(version(src.2))
        .send()
        .await
    {
        Ok(a) => a,
        Err(e) => {
            let err = S3Error::from(e);
            // No ACLs at the source (disabled or not implemented): nothing to carry.
            return match err.kind {
                ErrorKind::NotImplemented => Ok(false),
                _ if err.code.as_deref() == Some("AccessControlListNotSupported") => Ok(false),
                _ => Err(err.context("GetObjectAcl")),
            };
        }
    };
    // Grants go as x-amz-grant-* headers: no owner element to get wrong
    // across accounts, and understood by more S3-compatible servers.
    let mut by_permission: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for g in acl.grants() {
        let (Some(grantee), Some(permission)) = (g.grantee(), g.permission()) else {
            continue;
        };
        let who = if let Some(uri) = grantee.uri() {
            format!("uri=\"{uri}\"")
        } else if let Some(id) = grantee.id() {
            format!("id=\"{id}\"")
        } else if let Some(mail) = grantee.email_address() {
            format!("emailAddress=\"{mail}\"")
        } else {
            continue;
        };
        by_permission
            .entry(permission.as_str().to_string())
            .or_default()
            .push(who);
    }
    let grant = |p: &str| by_permission.get(p).map(|v| v.join(", "));
    match dst_client
        .put_object_acl()
        .bucket(dst.0)
        .key(dst.1)
        .set_grant_full_control(grant("FULL_CONTROL"))
        .set_grant_read(grant("READ"))
        .set_grant_read_acp(grant("READ_ACP"))
        .set_grant_write_acp(grant("WRITE_ACP"))
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) => {
            let err = S3Error::from(e);
            if err.code.as_deref() == Some("AccessControlListNotSupported")
                || err.kind == ErrorKind::NotImplemented
            {
                Ok(false)
            } else {
                Err(err.context("PutObjectAcl"))
            }
        }
    }
}

/// A whole object with the properties a copy must carry, in one request.
pub async fn get_with_props(
    c: &Client,
    src: (&str, &str, Option<&str>),
    if_match: Option<&str>,
) -> S3Result<(ObjectProps, bytes::Bytes)> {
    let r = c
        .get_object()
        .bucket(src.0)
        .key(src.1)
        .set_version_id(version(src.2))
        .set_if_match(if_match.map(str::to_string))
        .send()
        .await
        .map_err(|e| {
            get_error(
                e,
                src,
                "source changed since it was listed (ETag no longer matches)",
            )
        })?;
    let mut metadata: Vec<(String, String)> = r
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    metadata.sort();
    let props = object_props!(r, metadata, None);
    let data = read_body(r.body, props.size as usize, src).await?;
    Ok((props, data))
}

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
