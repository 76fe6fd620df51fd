//! Reads: HeadObject, tagging, GetObject (whole or by range).

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumMode;
use aws_sdk_s3::Client;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::version;
use crate::s3::error::{ErrorKind, S3Error, S3Result};
use crate::s3::model::ObjectProps;
use crate::s3::refs::ObjectRef;
use crate::s3::time::to_chrono;

pub async fn head_object(c: &Client, obj: ObjectRef<'_>) -> S3Result<ObjectProps> {
    let ObjectRef {
        bucket,
        key,
        version_id,
    } = obj;
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
pub async fn get_tagging(c: &Client, obj: ObjectRef<'_>) -> S3Result<Option<String>> {
    let ObjectRef {
        bucket,
        key,
        version_id,
    } = obj;
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

/// A GetObject failure; a 412 means the pinned source changed.
pub(super) fn get_error<E>(
    e: aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
    src: ObjectRef<'_>,
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
        err.context(format_args!("GetObject {src}"))
    }
}

/// A byte range of an object (inclusive end), pinned to an ETag.
pub async fn get_range(
    c: &Client,
    src: ObjectRef<'_>,
    range: Option<(u64, u64)>,
    if_match: Option<&str>,
) -> S3Result<bytes::Bytes> {
    let r = c
        .get_object()
        .bucket(src.bucket)
        .key(src.key)
        .set_version_id(version(src.version_id))
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
async fn read_body(mut body: ByteStream, len: usize, src: ObjectRef<'_>) -> S3Result<bytes::Bytes> {
    let mut buf = bytes::BytesMut::with_capacity(len);
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| S3Error::new(ErrorKind::Connection, format!("reading {src}: {e}")))?;
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// A whole object with the properties a copy must carry, in one request.
pub async fn get_with_props(
    c: &Client,
    src: ObjectRef<'_>,
    if_match: Option<&str>,
) -> S3Result<(ObjectProps, bytes::Bytes)> {
    let r = c
        .get_object()
        .bucket(src.bucket)
        .key(src.key)
        .set_version_id(version(src.version_id))
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

/// A whole (small) object as text.
pub async fn get_text(c: &Client, src: ObjectRef<'_>) -> S3Result<String> {
    let ObjectRef { bucket, key, .. } = src;
    let r = c
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| S3Error::from(e).context(format_args!("reading s3://{bucket}/{key}")))?;
    let data = r.body.collect().await.map_err(|e| {
        S3Error::new(
            ErrorKind::Connection,
            format!("reading s3://{bucket}/{key}: {e}"),
        )
    })?;
    Ok(String::from_utf8_lossy(&data.into_bytes()).into_owned())
}

/// HeadBucket: whether the endpoint answers at all (the breaker's probe).
/// Any HTTP answer, even 403 or 404, means it is reachable.
pub async fn endpoint_answers(c: &Client, bucket: &str) -> bool {
    match c.head_bucket().bucket(bucket).send().await {
        Ok(_) => true,
        Err(e) => !S3Error::from(e).kind.is_connection(),
    }
}

/// A multipart upload in progress, as ListMultipartUploads shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenUpload {
    pub key: String,
    pub upload_id: String,
    pub initiated: Option<chrono::DateTime<chrono::Utc>>,
}

/// Every multipart upload in progress under `prefix`, all pages (S3 answers
/// at most 1,000 per page, continued by key and upload id markers).
pub async fn list_uploads(c: &Client, bucket: &str, prefix: &str) -> S3Result<Vec<OpenUpload>> {
    let mut out = Vec::new();
    let (mut key_marker, mut id_marker): (Option<String>, Option<String>) = (None, None);
    loop {
        let r = c
            .list_multipart_uploads()
            .bucket(bucket)
            .prefix(prefix)
            .set_key_marker(key_marker.take())
            .set_upload_id_marker(id_marker.take())
            .send()
            .await
            .map_err(|e| {
                S3Error::from(e)
                    .context(format_args!("ListMultipartUploads s3://{bucket}/{prefix}"))
            })?;
        out.extend(r.uploads().iter().filter_map(|u| {
            Some(OpenUpload {
                key: u.key()?.to_string(),
                upload_id: u.upload_id()?.to_string(),
                initiated: u.initiated().and_then(to_chrono),
            })
        }));
        if r.is_truncated() != Some(true) {
            return Ok(out);
        }
        key_marker = r.next_key_marker().map(str::to_string);
        id_marker = r.next_upload_id_marker().map(str::to_string);
        // A truncated page without a marker would list the same page forever.
        if key_marker.is_none() {
            return Err(S3Error::new(
                ErrorKind::Other,
                format!("ListMultipartUploads s3://{bucket}/{prefix}: truncated page without NextKeyMarker"),
            ));
        }
    }
}
