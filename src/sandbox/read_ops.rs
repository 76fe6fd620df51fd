//! GetObject and HeadObject: one read path, with or without the body.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::archive::{check_readable, restore_header};
use super::object_lock::lock_output;
use super::service::{readable_version, SandboxS3};
use super::sse::sse_output;
use super::store::{Attributes, ObjectData};
use super::util::{
    check_conditions, checksum_fields, custom_error, error_with_headers, etag, timestamp,
};

/// S3 reports this for objects stored without a Content-Type.
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// Storage class as S3 reports it: omitted for STANDARD.
fn reported_storage_class(attrs: &Attributes) -> Option<&str> {
    attrs
        .storage_class
        .as_deref()
        .filter(|c| *c != StorageClass::STANDARD)
}

fn check_read_conditions(
    data: &ObjectData,
    last_modified: i64,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    let not_modified = || {
        let headers = [
            ("etag", format!("\"{}\"", data.etag)),
            (
                "last-modified",
                chrono::DateTime::from_timestamp(last_modified, 0)
                    .unwrap_or_default()
                    .format("%a, %d %b %Y %H:%M:%S GMT")
                    .to_string(),
            ),
        ];
        error_with_headers(s3_error!(NotModified), &headers)
    };
    check_conditions(
        data,
        last_modified,
        [if_match, if_none_match],
        [if_modified_since, if_unmodified_since],
        not_modified,
    )
}

fn head_from_get(g: GetObjectOutput) -> HeadObjectOutput {
    HeadObjectOutput {
        accept_ranges: g.accept_ranges,
        bucket_key_enabled: g.bucket_key_enabled,
        cache_control: g.cache_control,
        checksum_crc32: g.checksum_crc32,
        checksum_crc32c: g.checksum_crc32c,
        checksum_crc64nvme: g.checksum_crc64nvme,
        checksum_sha1: g.checksum_sha1,
        checksum_sha256: g.checksum_sha256,
        checksum_type: g.checksum_type,
        content_disposition: g.content_disposition,
        content_encoding: g.content_encoding,
        content_language: g.content_language,
        content_length: g.content_length,
        content_range: g.content_range,
        content_type: g.content_type,
        delete_marker: g.delete_marker,
        e_tag: g.e_tag,
        expires: g.expires,
        last_modified: g.last_modified,
        metadata: g.metadata,
        object_lock_legal_hold_status: g.object_lock_legal_hold_status,
        object_lock_mode: g.object_lock_mode,
        object_lock_retain_until_date: g.object_lock_retain_until_date,
        parts_count: g.parts_count,
        restore: g.restore,
        sse_customer_algorithm: g.sse_customer_algorithm,
        sse_customer_key_md5: g.sse_customer_key_md5,
        ssekms_key_id: g.ssekms_key_id,
        server_side_encryption: g.server_side_encryption,
        storage_class: g.storage_class,
        version_id: g.version_id,
        website_redirect_location: g.website_redirect_location,
        ..Default::default()
    }
}

/// The byte span a GET or HEAD reads (`None`: the whole object), and the
/// part count S3 reports when a part number was asked for.
fn read_span(
    data: &ObjectData,
    part_number: Option<i32>,
    range: Option<Range>,
) -> S3Result<(Option<std::ops::Range<u64>>, Option<i32>)> {
    let size = data.size;
    let mut parts_count = None;
    let span: Option<std::ops::Range<u64>> = if let Some(part) = part_number {
        if range.is_some() {
            return Err(s3_error!(
                InvalidRequest,
                "Cannot specify both Range header and partNumber query parameter"
            ));
        }
        let invalid = || {
            custom_error(
                "InvalidPartNumber",
                http::StatusCode::RANGE_NOT_SATISFIABLE,
                "The requested partnumber is not satisfiable",
            )
        };
        let index = usize::try_from(part)
            .ok()
            .and_then(|p| p.checked_sub(1))
            .ok_or_else(invalid)?;
        if data.parts.is_empty() {
            if index != 0 {
                return Err(invalid());
            }
            None
        } else {
            let part_size = *data.parts.get(index).ok_or_else(invalid)?;
            let start: u64 = data.parts[..index].iter().sum();
            parts_count = i32::try_from(data.parts.len()).ok();
            Some(start..start + part_size)
        }
    } else if let Some(range) = range {
        Some(range.check(size).map_err(|_| {
            let err = s3_error!(InvalidRange, "The requested range is not satisfiable");
            error_with_headers(err, &[("content-range", format!("bytes */{size}"))])
        })?)
    } else {
        None
    };
    Ok((span, parts_count))
}

struct ReadRequest {
    bucket: String,
    key: String,
    version_id: Option<String>,
    part_number: Option<i32>,
    range: Option<Range>,
    checksum_mode: Option<ChecksumMode>,
    if_match: Option<ETagCondition>,
    if_none_match: Option<ETagCondition>,
    if_modified_since: Option<Timestamp>,
    if_unmodified_since: Option<Timestamp>,
}

impl SandboxS3 {
    fn read_object(&self, r: ReadRequest, with_body: bool) -> S3Result<GetObjectOutput> {
        let (version, reports_versions) = self.store.read(|st| {
            let bucket = st.bucket(&r.bucket)?;
            let v = readable_version(bucket, &r.key, r.version_id.as_deref())?;
            Ok::<_, s3s::S3Error>((v.clone(), bucket.reports_versions()))
        })?;
        let Some(data) = version.data else {
            return Err(s3_error!(NoSuchKey));
        };
        if with_body {
            check_readable(&data)?;
        }
        check_read_conditions(
            &data,
            version.last_modified,
            r.if_match.as_ref(),
            r.if_none_match.as_ref(),
            r.if_modified_since.as_ref(),
            r.if_unmodified_since.as_ref(),
        )?;

        let size = data.size;
        let (span, parts_count) = read_span(&data, r.part_number, r.range)?;

        let whole = span.is_none();
        let (body, content_range) = match span {
            None => (data.body.clone(), None),
            Some(s) => {
                let (start, end) = (usize::try_from(s.start), usize::try_from(s.end));
                let (Ok(start), Ok(end)) = (start, end) else {
                    return Err(s3_error!(InvalidRange));
                };
                let range = if s.end > s.start {
                    format!("bytes {}-{}/{size}", s.start, s.end - 1)
                } else {
                    format!("bytes */{size}")
                };
                (data.body.slice(start..end), Some(range))
            }
        };
        let send_checksum = whole
            && r.checksum_mode
                .as_ref()
                .is_some_and(|m| m.as_str().eq_ignore_ascii_case(ChecksumMode::ENABLED));
        let checksum = data.checksum.as_ref().filter(|_| send_checksum);
        let [crc32, crc32c, sha1, sha256, crc64nvme] = checksum_fields(checksum);
        let sse = sse_output(data.attrs.sse.as_deref());
        let lock = lock_output(data.attrs.lock.as_deref());
        let restore = restore_header(&data);
        let attrs = data.attrs;
        let tag_count = i32::try_from(attrs.tags.len()).ok().filter(|n| *n > 0);
        let storage = reported_storage_class(&attrs).map(|c| StorageClass::from(c.to_owned()));
        let metadata = (!attrs.metadata.is_empty()).then(|| attrs.metadata.into_iter().collect());
        Ok(GetObjectOutput {
            accept_ranges: Some("bytes".to_owned()),
            content_length: i64::try_from(body.len()).ok(),
            body: with_body.then(|| StreamingBlob::from(s3s::Body::from(body))),
            cache_control: attrs.cache_control,
            checksum_crc32: crc32,
            checksum_crc32c: crc32c,
            checksum_sha1: sha1,
            checksum_sha256: sha256,
            checksum_crc64nvme: crc64nvme,
            checksum_type: checksum.map(|_| ChecksumType::from_static(ChecksumType::FULL_OBJECT)),
            content_disposition: attrs.content_disposition,
            content_encoding: attrs.content_encoding,
            content_language: attrs.content_language,
            content_range,
            content_type: Some(
                attrs
                    .content_type
                    .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned()),
            ),
            e_tag: Some(etag(&data.etag)),
            expires: attrs.expires.map(timestamp),
            last_modified: Some(timestamp(version.last_modified)),
            metadata,
            object_lock_legal_hold_status: lock.legal_hold,
            object_lock_mode: lock.mode,
            object_lock_retain_until_date: lock.retain_until,
            parts_count,
            restore,
            storage_class: storage,
            tag_count,
            version_id: reports_versions.then_some(version.version_id),
            website_redirect_location: attrs.website_redirect_location,
            server_side_encryption: sse.algorithm,
            ssekms_key_id: sse.kms_key_id,
            bucket_key_enabled: sse.bucket_key_enabled,
            sse_customer_algorithm: sse.customer_algorithm,
            sse_customer_key_md5: sse.customer_key_md5,
            ..Default::default()
        })
    }

    pub(crate) async fn op_get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let i = req.input;
        let out = self.read_object(
            ReadRequest {
                bucket: i.bucket,
                key: i.key,
                version_id: i.version_id,
                part_number: i.part_number,
                range: i.range,
                checksum_mode: i.checksum_mode,
                if_match: i.if_match,
                if_none_match: i.if_none_match,
                if_modified_since: i.if_modified_since,
                if_unmodified_since: i.if_unmodified_since,
            },
            true,
        )?;
        Ok(S3Response::new(out))
    }

    pub(crate) async fn op_head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let i = req.input;
        let out = self.read_object(
            ReadRequest {
                bucket: i.bucket,
                key: i.key,
                version_id: i.version_id,
                part_number: i.part_number,
                range: i.range,
                checksum_mode: i.checksum_mode,
                if_match: i.if_match,
                if_none_match: i.if_none_match,
                if_modified_since: i.if_modified_since,
                if_unmodified_since: i.if_unmodified_since,
            },
            false,
        )?;
        Ok(S3Response::new(head_from_get(out)))
    }
}
