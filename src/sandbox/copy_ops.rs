//! CopyObject, and the source lookup and conditions UploadPartCopy shares.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::archive::check_copy_source_readable;
use super::object_lock::LockInput;
use super::object_ops::{storage_class, WriteConditions};
use super::service::{readable_version, SandboxS3};
use super::sse::{has_opaque_etag, sse_output, SseInput};
use super::store::{Attributes, ObjectData, ObjectVersion, State};
use super::util::{
    check_conditions, checksum_fields, etag, md5_hex, now_secs, parse_tagging_header,
    precondition_failed, timestamp, timestamp_secs,
};

/// Source conditions of CopyObject / UploadPartCopy (`util::check_conditions`).
pub(crate) fn check_copy_conditions(
    data: &ObjectData,
    last_modified: i64,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    // A copy answers 412 where a read answers 304 Not Modified.
    check_conditions(
        data,
        last_modified,
        [if_match, if_none_match],
        [if_modified_since, if_unmodified_since],
        precondition_failed,
    )
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

/// The attributes of a copy: the source's, or the request's with
/// `REPLACE`; storage class, encryption and lock always come from the request.
fn copied_attributes(
    input: CopyObjectInput,
    src: &ObjectData,
    class: Option<String>,
    replace_metadata: bool,
    replace_tags: bool,
) -> S3Result<Attributes> {
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
    Ok(attrs)
}

impl SandboxS3 {
    pub(crate) async fn op_copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let input = req.input;
        let class = storage_class(input.storage_class.clone())?;
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

        let (bucket, key, checksum_algorithm) = (
            input.bucket.clone(),
            input.key.clone(),
            input.checksum_algorithm.clone(),
        );
        let attrs = copied_attributes(input, &src, class, replace_metadata, replace_tags)?;
        let checksum = match checksum_algorithm.as_ref() {
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
                bucket,
                key,
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
}
