//! Writing one object: PutObject and the commit every write goes through.
//! Reads are in `read_ops`, copies in `copy_ops`, tags in `tagging_ops`.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::object_lock::{
    apply_default_retention, check_lock_allowed, has_lock_parameters, require_digest, DigestFor,
    LockInput,
};
use super::service::SandboxS3;
use super::sse::{has_opaque_etag, opaque_etag, resolve_encryption, sse_output, SseInput};
use super::store::{Attributes, ObjectData, ObjectVersion, Sse};
use super::util::{
    check_content_md5, checksum_fields, collect_body, etag, etag_matches, md5_hex, now_secs,
    parse_tagging_header, precondition_failed, timestamp_secs, ChecksumInput,
};

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
                    return Err(precondition_failed());
                }
            }
        }
        if let Some(cond) = &self.if_match {
            let data = current.ok_or_else(|| s3_error!(NoSuchKey))?;
            if !etag_matches(cond, &data.etag) {
                return Err(precondition_failed());
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
}
