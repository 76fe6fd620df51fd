//! Single-object operations: put, get, head, copy, delete, tagging.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::archive::{check_copy_source_readable, check_readable, restore_header};
use super::object_lock::{
    apply_default_retention, check_lock_allowed, has_lock_parameters, lock_output, require_digest,
    DigestFor, LockInput,
};
use super::service::{readable_version, SandboxS3};
use super::sse::{has_opaque_etag, opaque_etag, resolve_encryption, sse_output, SseInput};
use super::store::{Attributes, ObjectData, ObjectVersion, Sse, State};
use super::util::{
    check_content_md5, checksum_fields, collect_body, custom_error, error_with_headers, etag,
    etag_matches, md5_hex, now_secs, parse_tagging_header, tags_from_dto, tags_to_dto, timestamp,
    timestamp_secs, ChecksumInput,
};

/// S3 reports this for objects stored without a Content-Type.
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

const STORAGE_CLASSES: &[&str] = &[
    StorageClass::STANDARD,
    StorageClass::REDUCED_REDUNDANCY,
    StorageClass::STANDARD_IA,
    StorageClass::ONEZONE_IA,
    StorageClass::INTELLIGENT_TIERING,
    StorageClass::GLACIER,
    StorageClass::DEEP_ARCHIVE,
    StorageClass::OUTPOSTS,
    StorageClass::GLACIER_IR,
    StorageClass::SNOW,
    StorageClass::EXPRESS_ONEZONE,
];

pub(crate) fn storage_class(value: Option<StorageClass>) -> S3Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(c) if STORAGE_CLASSES.contains(&c.as_str()) => Ok(Some(c.as_str().to_owned())),
        Some(_) => Err(s3_error!(InvalidStorageClass)),
    }
}

/// Storage class as S3 reports it: omitted for STANDARD.
fn reported_storage_class(attrs: &Attributes) -> Option<&str> {
    attrs
        .storage_class
        .as_deref()
        .filter(|c| *c != StorageClass::STANDARD)
}

/// `If-Match` / `If-None-Match` on writes (PutObject, CompleteMultipartUpload).
#[derive(Default)]
pub(crate) struct WriteConditions {
    pub if_match: Option<ETagCondition>,
    pub if_none_match: Option<ETagCondition>,
}

impl WriteConditions {
    fn check(&self, current: Option<&ObjectVersion>) -> S3Result<()> {
        let current = current.and_then(|v| v.data.as_ref());
        if let Some(cond) = &self.if_none_match {
            if let Some(data) = current {
                if etag_matches(cond, &data.etag) {
                    return Err(s3_error!(
                        PreconditionFailed,
                        "At least one of the pre-conditions you specified did not hold"
                    ));
                }
            }
        }
        if let Some(cond) = &self.if_match {
            let data = current.ok_or_else(|| s3_error!(NoSuchKey))?;
            if !etag_matches(cond, &data.etag) {
                return Err(s3_error!(
                    PreconditionFailed,
                    "At least one of the pre-conditions you specified did not hold"
                ));
            }
        }
        Ok(())
    }
}

pub(crate) struct Committed {
    /// The stored ETag, which encryption may have made opaque.
    pub etag: String,
    pub version_id: Option<String>,
    pub last_modified: i64,
    pub sse: Option<Box<Sse>>,
}

/// Source conditions of CopyObject / UploadPartCopy, with S3's precedence:
/// a passing If-Match wins over If-Unmodified-Since, a failing If-None-Match
/// wins over If-Modified-Since.
pub(crate) fn check_copy_conditions(
    data: &ObjectData,
    last_modified: i64,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    let failed = || {
        s3_error!(
            PreconditionFailed,
            "At least one of the pre-conditions you specified did not hold"
        )
    };
    match if_match {
        Some(cond) if !etag_matches(cond, &data.etag) => return Err(failed()),
        Some(_) => {}
        None => {
            if if_unmodified_since
                .and_then(timestamp_secs)
                .is_some_and(|t| last_modified > t)
            {
                return Err(failed());
            }
        }
    }
    match if_none_match {
        Some(cond) if etag_matches(cond, &data.etag) => return Err(failed()),
        Some(_) => {}
        None => {
            if if_modified_since
                .and_then(timestamp_secs)
                .is_some_and(|t| last_modified <= t)
            {
                return Err(failed());
            }
        }
    }
    Ok(())
}

/// Finds the source object of a copy, failing like S3 does.
pub(crate) fn copy_source(
    st: &State,
    source: &CopySource,
) -> S3Result<(String, String, ObjectVersion, Option<String>)> {
    let CopySource::Bucket {
        bucket,
        key,
        version_id,
    } = source
    else {
        return Err(s3_error!(
            NotImplemented,
            "Only bucket copy sources are supported"
        ));
    };
    let src_bucket = st.bucket(bucket)?;
    let version = match version_id.as_deref() {
        None => readable_version(src_bucket, key, None)?,
        Some(id) => {
            let v = src_bucket
                .version(key, id)
                .ok_or_else(|| s3_error!(NoSuchVersion))?;
            if v.is_delete_marker() {
                return Err(s3_error!(
                    InvalidRequest,
                    "The source of a copy request may not specifically refer to a delete marker by version id."
                ));
            }
            v
        }
    };
    if let Some(data) = &version.data {
        check_copy_source_readable(data)?;
    }
    let reported = src_bucket.version_id_for_response(&version.version_id);
    Ok((
        bucket.to_string(),
        key.to_string(),
        version.clone(),
        reported,
    ))
}

/// The MD5 ETag of a copy of `src`, which is written in one piece: a
/// multipart or encrypted source's own ETag is not the MD5 of its data.
fn plain_etag(src: &ObjectData) -> String {
    if src.parts.is_empty() && !has_opaque_etag(src.attrs.sse.as_deref()) {
        src.etag.clone()
    } else {
        md5_hex(&src.body).0
    }
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
    let failed = || {
        s3_error!(
            PreconditionFailed,
            "At least one of the pre-conditions you specified did not hold"
        )
    };
    match if_match {
        Some(cond) if !etag_matches(cond, &data.etag) => return Err(failed()),
        Some(_) => {}
        None => {
            if if_unmodified_since
                .and_then(timestamp_secs)
                .is_some_and(|t| last_modified > t)
            {
                return Err(failed());
            }
        }
    }
    match if_none_match {
        Some(cond) if etag_matches(cond, &data.etag) => return Err(not_modified()),
        Some(_) => {}
        None => {
            if if_modified_since
                .and_then(timestamp_secs)
                .is_some_and(|t| last_modified <= t)
            {
                return Err(not_modified());
            }
        }
    }
    Ok(())
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
    /// Writes a new version of `key` (blob first, then the index entry).
    pub(crate) async fn commit_object(
        &self,
        bucket: String,
        key: String,
        mut data: ObjectData,
        conditions: WriteConditions,
        blob_source: Option<String>,
        finishes_upload: Option<String>,
    ) -> S3Result<Committed> {
        data.blob = match blob_source {
            Some(src) => self.store.copy_blob(Some(&src), &data.body).await?,
            None => self.store.put_blob(&data.body).await?,
        };
        let blob = data.blob.clone();
        self.store
            .mutate_with_blob(blob, move |st, garbage| {
                let b = st.bucket_mut(&bucket)?;
                if let Some(upload_id) = &finishes_upload {
                    if !b.uploads.contains_key(&(key.clone(), upload_id.clone())) {
                        return Err(s3_error!(NoSuchUpload));
                    }
                }
                conditions.check(b.latest(&key))?;
                check_lock_allowed(b, data.attrs.lock.as_deref())?;
                match finishes_upload {
                    // An upload's encryption was settled when it was created.
                    Some(upload_id) => {
                        b.uploads.remove(&(key.clone(), upload_id));
                    }
                    None => resolve_encryption(b, &mut data.attrs.sse),
                }
                if data.parts.is_empty() && has_opaque_etag(data.attrs.sse.as_deref()) {
                    data.etag = opaque_etag().0;
                }
                let now = now_secs();
                apply_default_retention(b, &mut data.attrs.lock, now);
                let sse = data.attrs.sse.clone();
                let etag = data.etag.clone();
                let version_id = b.next_version_id();
                let reported = b.version_id_for_response(&version_id);
                let version = ObjectVersion {
                    version_id,
                    last_modified: now,
                    data: Some(data),
                };
                b.push_version(&key, version, garbage);
                Ok(Committed {
                    etag,
                    version_id: reported,
                    last_modified: now,
                    sse,
                })
            })
            .await
    }

    pub(crate) async fn op_put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let trailers = req.trailing_headers;
        let input = req.input;
        let class = storage_class(input.storage_class)?;
        let tags = input
            .tagging
            .as_deref()
            .map(parse_tagging_header)
            .transpose()?
            .unwrap_or_default();
        let lock = LockInput {
            mode: input.object_lock_mode,
            retain_until: input.object_lock_retain_until_date,
            legal_hold: input.object_lock_legal_hold_status,
        }
        .into_lock(now_secs())?;
        let needs_digest = self.store.read(|st| {
            let b = st.bucket(&input.bucket)?;
            check_lock_allowed(b, lock.as_deref())?;
            Ok::<_, s3s::S3Error>(has_lock_parameters(b, lock.as_deref()))
        })?;

        let body = collect_body(input.body, input.content_length).await?;
        let (etag_hex, md5) = md5_hex(&body);
        check_content_md5(input.content_md5.as_deref(), &md5)?;
        let mut checks = ChecksumInput::new(
            input.checksum_algorithm.as_ref(),
            input.checksum_crc32,
            input.checksum_crc32c,
            input.checksum_sha1,
            input.checksum_sha256,
            input.checksum_crc64nvme,
        );
        checks.add_trailers(trailers.as_ref());
        if needs_digest {
            require_digest(DigestFor::Object, input.content_md5.as_deref(), &checks)?;
        }
        let checksum = checks.verify(&body)?;

        let sse = SseInput {
            algorithm: input.server_side_encryption,
            kms_key_id: input.ssekms_key_id,
            kms_context: input.ssekms_encryption_context,
            bucket_key_enabled: input.bucket_key_enabled,
            customer_algorithm: input.sse_customer_algorithm,
            customer_key_md5: input.sse_customer_key_md5,
        }
        .into_sse();
        let attrs = Attributes {
            content_type: input.content_type,
            content_encoding: input.content_encoding,
            content_disposition: input.content_disposition,
            content_language: input.content_language,
            cache_control: input.cache_control,
            expires: input.expires.as_ref().and_then(timestamp_secs),
            website_redirect_location: input.website_redirect_location,
            metadata: input.metadata.unwrap_or_default().into_iter().collect(),
            storage_class: class,
            tags,
            sse,
            lock,
        };
        let size = body.len() as u64;
        let data = ObjectData {
            size,
            etag: etag_hex,
            attrs,
            checksum: checksum.clone(),
            parts: Vec::new(),
            blob: None,
            restored_until: None,
            body,
        };
        let conditions = WriteConditions {
            if_match: input.if_match,
            if_none_match: input.if_none_match,
        };
        let committed = self
            .commit_object(input.bucket, input.key, data, conditions, None, None)
            .await?;

        let [crc32, crc32c, sha1, sha256, crc64nvme] = checksum_fields(checksum.as_ref());
        let sse = sse_output(committed.sse.as_deref());
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(etag(&committed.etag)),
            version_id: committed.version_id,
            checksum_crc32: crc32,
            checksum_crc32c: crc32c,
            checksum_sha1: sha1,
            checksum_sha256: sha256,
            checksum_crc64nvme: crc64nvme,
            checksum_type: checksum.map(|_| ChecksumType::from_static(ChecksumType::FULL_OBJECT)),
            server_side_encryption: sse.algorithm,
            ssekms_key_id: sse.kms_key_id,
            ssekms_encryption_context: sse.kms_context,
            bucket_key_enabled: sse.bucket_key_enabled,
            sse_customer_algorithm: sse.customer_algorithm,
            sse_customer_key_md5: sse.customer_key_md5,
            size: i64::try_from(size).ok(),
            ..Default::default()
        }))
    }

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
        let mut parts_count = None;
        let span: Option<std::ops::Range<u64>> = if let Some(part) = r.part_number {
            if r.range.is_some() {
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
        } else if let Some(range) = r.range {
            Some(range.check(size).map_err(|_| {
                let err = s3_error!(InvalidRange, "The requested range is not satisfiable");
                error_with_headers(err, &[("content-range", format!("bytes */{size}"))])
            })?)
        } else {
            None
        };

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

    pub(crate) async fn op_copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let input = req.input;
        let class = storage_class(input.storage_class)?;
        let (src_bucket, src_key, source, src_reported) = self.store.read(|st| {
            st.bucket(&input.bucket)?;
            copy_source(st, &input.copy_source)
        })?;
        let Some(src) = source.data else {
            return Err(s3_error!(NoSuchKey));
        };
        check_copy_conditions(
            &src,
            source.last_modified,
            input.copy_source_if_match.as_ref(),
            input.copy_source_if_none_match.as_ref(),
            input.copy_source_if_modified_since.as_ref(),
            input.copy_source_if_unmodified_since.as_ref(),
        )?;

        let replace_metadata = input
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str().eq_ignore_ascii_case(MetadataDirective::REPLACE));
        let replace_tags = input
            .tagging_directive
            .as_ref()
            .is_some_and(|d| d.as_str().eq_ignore_ascii_case(TaggingDirective::REPLACE));
        let sse_requested =
            input.server_side_encryption.is_some() || input.sse_customer_algorithm.is_some();
        let same_object = src_bucket == input.bucket
            && src_key == input.key
            && matches!(
                &input.copy_source,
                CopySource::Bucket {
                    version_id: None,
                    ..
                }
            );
        if same_object
            && !replace_metadata
            && class.is_none()
            && !sse_requested
            && input.website_redirect_location.is_none()
        {
            return Err(s3_error!(
                InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."
            ));
        }

        let tags = if replace_tags {
            input
                .tagging
                .as_deref()
                .map(parse_tagging_header)
                .transpose()?
                .unwrap_or_default()
        } else {
            src.attrs.tags.clone()
        };
        let sse = SseInput {
            algorithm: input.server_side_encryption,
            kms_key_id: input.ssekms_key_id,
            kms_context: input.ssekms_encryption_context,
            bucket_key_enabled: input.bucket_key_enabled,
            customer_algorithm: input.sse_customer_algorithm,
            customer_key_md5: input.sse_customer_key_md5,
        }
        .into_sse();
        // The source's retention and legal hold are not copied.
        let lock = LockInput {
            mode: input.object_lock_mode,
            retain_until: input.object_lock_retain_until_date,
            legal_hold: input.object_lock_legal_hold_status,
        }
        .into_lock(now_secs())?;
        let attrs = if replace_metadata {
            Attributes {
                content_type: input.content_type,
                content_encoding: input.content_encoding,
                content_disposition: input.content_disposition,
                content_language: input.content_language,
                cache_control: input.cache_control,
                expires: input.expires.as_ref().and_then(timestamp_secs),
                website_redirect_location: input.website_redirect_location,
                metadata: input.metadata.unwrap_or_default().into_iter().collect(),
                storage_class: class,
                tags,
                sse,
                lock,
            }
        } else {
            Attributes {
                website_redirect_location: input
                    .website_redirect_location
                    .or_else(|| src.attrs.website_redirect_location.clone()),
                storage_class: class,
                tags,
                sse,
                lock,
                ..src.attrs.clone()
            }
        };
        let checksum = match input.checksum_algorithm.as_ref() {
            Some(algorithm) => {
                let algorithm = algorithm.as_str().to_ascii_uppercase();
                let value = super::util::compute_checksum(&algorithm, &src.body)?;
                Some(super::store::StoredChecksum { algorithm, value })
            }
            None => src.checksum.clone(),
        };
        let data = ObjectData {
            size: src.size,
            etag: plain_etag(&src),
            attrs,
            checksum: checksum.clone(),
            parts: Vec::new(),
            blob: None,
            restored_until: None,
            body: src.body.clone(),
        };
        let committed = self
            .commit_object(
                input.bucket,
                input.key,
                data,
                WriteConditions::default(),
                src.blob.clone(),
                None,
            )
            .await?;
        let [crc32, crc32c, sha1, sha256, crc64nvme] = checksum_fields(checksum.as_ref());
        let sse = sse_output(committed.sse.as_deref());
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(etag(&committed.etag)),
                last_modified: Some(timestamp(committed.last_modified)),
                checksum_crc32: crc32,
                checksum_crc32c: crc32c,
                checksum_sha1: sha1,
                checksum_sha256: sha256,
                checksum_crc64nvme: crc64nvme,
                checksum_type: checksum
                    .map(|_| ChecksumType::from_static(ChecksumType::FULL_OBJECT)),
            }),
            copy_source_version_id: src_reported,
            version_id: committed.version_id,
            server_side_encryption: sse.algorithm,
            ssekms_key_id: sse.kms_key_id,
            ssekms_encryption_context: sse.kms_context,
            bucket_key_enabled: sse.bucket_key_enabled,
            sse_customer_algorithm: sse.customer_algorithm,
            sse_customer_key_md5: sse.customer_key_md5,
            ..Default::default()
        }))
    }

    pub(crate) async fn op_get_object_tagging(
        &self,
        req: S3Request<GetObjectTaggingInput>,
    ) -> S3Result<S3Response<GetObjectTaggingOutput>> {
        let input = req.input;
        let (tags, version_id) = self.store.read(|st| {
            let bucket = st.bucket(&input.bucket)?;
            let v = readable_version(bucket, &input.key, input.version_id.as_deref())?;
            let tags = v
                .data
                .as_ref()
                .map(|d| tags_to_dto(&d.attrs.tags))
                .unwrap_or_default();
            Ok::<_, s3s::S3Error>((tags, bucket.version_id_for_response(&v.version_id)))
        })?;
        Ok(S3Response::new(GetObjectTaggingOutput {
            tag_set: tags,
            version_id,
        }))
    }

    async fn set_tags(
        &self,
        bucket: String,
        key: String,
        version_id: Option<String>,
        tags: Vec<(String, String)>,
    ) -> S3Result<Option<String>> {
        self.store
            .mutate(move |st, _| {
                let b = st.bucket_mut(&bucket)?;
                readable_version(b, &key, version_id.as_deref())?;
                let reports = b.reports_versions();
                let v = b
                    .version_mut(&key, version_id.as_deref())
                    .ok_or_else(|| s3_error!(NoSuchKey))?;
                let data = v.data.as_mut().ok_or_else(|| s3_error!(NoSuchKey))?;
                data.attrs.tags = tags;
                Ok(reports.then(|| v.version_id.clone()))
            })
            .await
    }

    pub(crate) async fn op_put_object_tagging(
        &self,
        req: S3Request<PutObjectTaggingInput>,
    ) -> S3Result<S3Response<PutObjectTaggingOutput>> {
        let input = req.input;
        let tags = tags_from_dto(input.tagging.tag_set)?;
        let version_id = self
            .set_tags(input.bucket, input.key, input.version_id, tags)
            .await?;
        Ok(S3Response::new(PutObjectTaggingOutput { version_id }))
    }

    pub(crate) async fn op_delete_object_tagging(
        &self,
        req: S3Request<DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
        let input = req.input;
        let version_id = self
            .set_tags(input.bucket, input.key, input.version_id, Vec::new())
            .await?;
        Ok(S3Response::new(DeleteObjectTaggingOutput { version_id }))
    }
}
