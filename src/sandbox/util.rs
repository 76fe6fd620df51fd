//! Small conversions shared by the operation handlers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use md5::{Digest, Md5};
use s3s::dto::{
    ChecksumAlgorithm, ETag, ETagCondition, StreamingBlob, Tag, Timestamp, TimestampFormat,
};
use s3s::{s3_error, S3Error, S3ErrorCode, S3Result};

use super::store::StoredChecksum;

pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

pub(crate) fn timestamp(secs: i64) -> Timestamp {
    let secs = u64::try_from(secs).unwrap_or(0);
    Timestamp::from(UNIX_EPOCH + Duration::from_secs(secs))
}

pub(crate) fn timestamp_secs(ts: &Timestamp) -> Option<i64> {
    let mut buf = Vec::new();
    ts.format(TimestampFormat::DateTime, &mut buf).ok()?;
    let text = std::str::from_utf8(&buf).ok()?;
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp())
}

pub(crate) fn etag(value: &str) -> ETag {
    ETag::Strong(value.to_owned())
}

/// `If-Match`-style comparison; S3 ignores weakness and quoting differences.
pub(crate) fn etag_matches(condition: &ETagCondition, current: &str) -> bool {
    match condition {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => e.value() == current,
    }
}

pub(crate) fn md5_hex(data: &[u8]) -> (String, [u8; 16]) {
    let digest: [u8; 16] = Md5::digest(data).into();
    (hex::encode(digest), digest)
}

/// Reads a request body completely; the sandbox keeps objects in memory.
pub(crate) async fn collect_body(
    body: Option<StreamingBlob>,
    size_hint: Option<i64>,
) -> S3Result<Bytes> {
    let Some(mut body) = body else {
        return Ok(Bytes::new());
    };
    let capacity = size_hint.and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
    let mut buf = BytesMut::with_capacity(capacity.min(64 * 1024 * 1024));
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            let mut err = s3_error!(IncompleteBody, "failed to read request body");
            err.set_source(e);
            err
        })?;
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

pub(crate) fn check_content_md5(content_md5: Option<&str>, md5: &[u8; 16]) -> S3Result<()> {
    use base64::Engine as _;
    let Some(expected) = content_md5 else {
        return Ok(());
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(expected.trim())
        .map_err(|_| s3_error!(InvalidDigest))?;
    if decoded.as_slice() != md5 {
        return Err(s3_error!(
            BadDigest,
            "The Content-MD5 you specified did not match what we received."
        ));
    }
    Ok(())
}

pub(crate) fn compute_checksum(algorithm: &str, data: &[u8]) -> S3Result<String> {
    let mut hasher = s3s::checksum::ChecksumHasher::default();
    match algorithm {
        ChecksumAlgorithm::CRC32 => hasher.crc32 = Some(Default::default()),
        ChecksumAlgorithm::CRC32C => hasher.crc32c = Some(Default::default()),
        ChecksumAlgorithm::SHA1 => hasher.sha1 = Some(Default::default()),
        ChecksumAlgorithm::SHA256 => hasher.sha256 = Some(Default::default()),
        ChecksumAlgorithm::CRC64NVME => hasher.crc64nvme = Some(Default::default()),
        other => {
            return Err(s3_error!(
                InvalidRequest,
                "unsupported checksum algorithm {other}"
            ))
        }
    }
    hasher.update(data);
    let sum = hasher.finalize();
    [
        sum.checksum_crc32,
        sum.checksum_crc32c,
        sum.checksum_sha1,
        sum.checksum_sha256,
        sum.checksum_crc64nvme,
    ]
    .into_iter()
    .flatten()
    .next()
    .ok_or_else(|| s3_error!(InternalError))
}

/// Checksum values a request carried, as (algorithm, base64 value).
#[derive(Debug, Default)]
pub(crate) struct ChecksumInput {
    pub algorithm: Option<String>,
    pub values: Vec<(String, String)>,
}

impl ChecksumInput {
    pub fn new(
        algorithm: Option<&ChecksumAlgorithm>,
        crc32: Option<String>,
        crc32c: Option<String>,
        sha1: Option<String>,
        sha256: Option<String>,
        crc64nvme: Option<String>,
    ) -> Self {
        let values = [
            (ChecksumAlgorithm::CRC32, crc32),
            (ChecksumAlgorithm::CRC32C, crc32c),
            (ChecksumAlgorithm::SHA1, sha1),
            (ChecksumAlgorithm::SHA256, sha256),
            (ChecksumAlgorithm::CRC64NVME, crc64nvme),
        ]
        .into_iter()
        .filter_map(|(a, v)| v.map(|v| (a.to_owned(), v)))
        .collect();
        Self {
            algorithm: algorithm.map(|a| a.as_str().to_ascii_uppercase()),
            values,
        }
    }

    /// Checksums sent as aws-chunked trailers only become known once the
    /// body has been read.
    pub fn add_trailers(&mut self, trailers: Option<&s3s::TrailingHeaders>) {
        let Some(map) = trailers.and_then(s3s::TrailingHeaders::take) else {
            return;
        };
        for (name, value) in &map {
            let Some(algorithm) = name.as_str().strip_prefix("x-amz-checksum-") else {
                continue;
            };
            let Ok(value) = value.to_str() else { continue };
            let algorithm = algorithm.to_ascii_uppercase();
            if !self.values.iter().any(|(a, _)| *a == algorithm) {
                self.values.push((algorithm, value.to_owned()));
            }
        }
    }

    /// Verifies every supplied checksum and returns the one to store. When
    /// only an algorithm was named, the checksum is computed like S3 does.
    pub fn verify(&self, data: &[u8]) -> S3Result<Option<StoredChecksum>> {
        let mut stored = None;
        for (algorithm, value) in &self.values {
            let actual = compute_checksum(algorithm, data)?;
            if actual != *value {
                return Err(s3_error!(
                    BadDigest,
                    "The {algorithm} you specified did not match the calculated checksum."
                ));
            }
            stored.get_or_insert_with(|| StoredChecksum {
                algorithm: algorithm.clone(),
                value: value.clone(),
            });
        }
        if stored.is_none() {
            if let Some(algorithm) = &self.algorithm {
                stored = Some(StoredChecksum {
                    algorithm: algorithm.clone(),
                    value: compute_checksum(algorithm, data)?,
                });
            }
        }
        Ok(stored)
    }
}

/// Puts a stored checksum into the five optional output fields.
pub(crate) fn checksum_fields(checksum: Option<&StoredChecksum>) -> [Option<String>; 5] {
    let mut out: [Option<String>; 5] = Default::default();
    if let Some(c) = checksum {
        let slot = match c.algorithm.as_str() {
            ChecksumAlgorithm::CRC32 => 0,
            ChecksumAlgorithm::CRC32C => 1,
            ChecksumAlgorithm::SHA1 => 2,
            ChecksumAlgorithm::SHA256 => 3,
            ChecksumAlgorithm::CRC64NVME => 4,
            _ => return out,
        };
        out[slot] = Some(c.value.clone());
    }
    out
}

/// Parses the `x-amz-tagging` header (URL query string form).
pub(crate) fn parse_tagging_header(header: &str) -> S3Result<Vec<(String, String)>> {
    let decode = |s: &str| -> S3Result<String> {
        let plus_as_space = s.replace('+', " ");
        percent_encoding::percent_decode_str(&plus_as_space)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| s3_error!(InvalidArgument, "invalid x-amz-tagging header"))
    };
    let mut tags = Vec::new();
    for pair in header.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        tags.push((decode(k)?, decode(v)?));
    }
    validate_tags(&tags)?;
    Ok(tags)
}

pub(crate) fn tags_from_dto(tag_set: Vec<Tag>) -> S3Result<Vec<(String, String)>> {
    let tags: Vec<(String, String)> = tag_set
        .into_iter()
        .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
        .collect();
    validate_tags(&tags)?;
    Ok(tags)
}

pub(crate) fn tags_to_dto(tags: &[(String, String)]) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

fn validate_tags(tags: &[(String, String)]) -> S3Result<()> {
    if tags.len() > 10 {
        return Err(custom_error(
            "BadRequest",
            http::StatusCode::BAD_REQUEST,
            "Object tags cannot be greater than 10",
        ));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(s3_error!(
                InvalidTag,
                "The TagKey or TagValue you have provided is invalid"
            ));
        }
        if tags[..i].iter().any(|(other, _)| other == k) {
            return Err(s3_error!(
                InvalidTag,
                "Cannot provide multiple Tags with the same key"
            ));
        }
    }
    Ok(())
}

/// An error carrying extra response headers (e.g. `x-amz-delete-marker`).
pub(crate) fn error_with_headers(mut err: S3Error, headers: &[(&'static str, String)]) -> S3Error {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        if let Ok(v) = http::HeaderValue::from_str(value) {
            map.insert(*name, v);
        }
    }
    err.set_headers(map);
    err
}

pub(crate) fn custom_error(code: &str, status: http::StatusCode, message: &'static str) -> S3Error {
    let code = S3ErrorCode::from_bytes(code.as_bytes()).unwrap_or(S3ErrorCode::InvalidArgument);
    let mut err = S3Error::with_message(code, message);
    err.set_status_code(status);
    err
}

pub(crate) fn precondition_failed() -> s3s::S3Error {
    s3s::s3_error!(
        PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold"
    )
}

/// The conditions of a read or a copy source, with S3's precedence: a
/// passing If-Match wins over If-Unmodified-Since, a failing If-None-Match
/// wins over If-Modified-Since. `unchanged` is the answer when the object is
/// not newer than asked (304 for a read, 412 for a copy source).
pub(crate) fn check_conditions(
    data: &super::store::ObjectData,
    last_modified: i64,
    [if_match, if_none_match]: [Option<&s3s::dto::ETagCondition>; 2],
    [if_modified_since, if_unmodified_since]: [Option<&s3s::dto::Timestamp>; 2],
    unchanged: impl Fn() -> s3s::S3Error,
) -> s3s::S3Result<()> {
    match if_match {
        Some(cond) if !etag_matches(cond, &data.etag) => return Err(precondition_failed()),
        Some(_) => {}
        None => {
            if if_unmodified_since
                .and_then(timestamp_secs)
                .is_some_and(|t| last_modified > t)
            {
                return Err(precondition_failed());
            }
        }
    }
    match if_none_match {
        Some(cond) if etag_matches(cond, &data.etag) => return Err(unchanged()),
        Some(_) => {}
        None => {
            if if_modified_since
                .and_then(timestamp_secs)
                .is_some_and(|t| last_modified <= t)
            {
                return Err(unchanged());
            }
        }
    }
    Ok(())
}
