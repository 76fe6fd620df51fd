//! Multipart uploads. Parts live in memory only; an upload that is in
//! progress when the sandbox stops is gone after a restart.

use std::collections::BTreeMap;

use bytes::BytesMut;
use md5::{Digest, Md5};
use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::copy_ops::{check_copy_conditions, copy_source};
use super::object_lock::{
    check_lock_allowed, has_lock_parameters, require_digest, DigestFor, LockInput,
};
use super::object_ops::{storage_class, WriteConditions};
use super::service::{owner, SandboxS3};
use super::sse::{has_opaque_etag, opaque_etag, resolve_encryption, sse_output, SseInput};
use super::store::{
    new_upload_id, Attributes, ObjectData, Sse, StoredChecksum, Upload, UploadPart,
};
use super::util::{
    check_content_md5, checksum_fields, collect_body, compute_checksum, etag, md5_hex, now_secs,
    parse_tagging_header, timestamp, timestamp_secs, ChecksumInput,
};

/// S3's minimum size for every part but the last.
const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
const MAX_PART_NUMBER: i32 = 10_000;

fn check_part_number(part_number: i32) -> S3Result<()> {
    if (1..=MAX_PART_NUMBER).contains(&part_number) {
        Ok(())
    } else {
        Err(s3_error!(
            InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive"
        ))
    }
}

/// Parses `x-amz-copy-source-range`, which S3 only accepts as `bytes=first-last`.
fn parse_copy_range(header: &str, size: u64) -> S3Result<std::ops::Range<u64>> {
    let invalid = || {
        s3_error!(InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
    };
    let spec = header.trim().strip_prefix("bytes=").ok_or_else(invalid)?;
    let (first, last) = spec.split_once('-').ok_or_else(invalid)?;
    let first: u64 = first.trim().parse().map_err(|_| invalid())?;
    let last: u64 = last.trim().parse().map_err(|_| invalid())?;
    if first > last || last >= size {
        return Err(s3_error!(
            InvalidRange,
            "Range specified is not valid for source object of size: {size}"
        ));
    }
    Ok(first..last + 1)
}

fn upload_key(key: &str, upload_id: &str) -> (String, String) {
    (key.to_owned(), upload_id.to_owned())
}

/// What writing a part needs to know about its upload.
struct UploadInfo {
    checksum_algorithm: Option<String>,
    /// Parts of SSE-KMS / SSE-C uploads get opaque ETags like their objects.
    opaque_etags: bool,
    /// Object Lock parameters, explicit or the bucket default, make S3
    /// insist on an integrity header for every part.
    needs_digest: bool,
    sse: Option<Box<Sse>>,
}

/// A part's ETag: the MD5 of its bytes unless the upload's encryption makes
/// it opaque.
fn part_etag(info: &UploadInfo, body: &[u8]) -> (String, [u8; 16]) {
    if info.opaque_etags {
        opaque_etag()
    } else {
        md5_hex(body)
    }
}

impl SandboxS3 {
    pub(crate) async fn op_create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = req.input;
        let class = storage_class(input.storage_class)?;
        let tags = input
            .tagging
            .as_deref()
            .map(parse_tagging_header)
            .transpose()?
            .unwrap_or_default();
        let sse = SseInput {
            algorithm: input.server_side_encryption,
            kms_key_id: input.ssekms_key_id,
            kms_context: input.ssekms_encryption_context,
            bucket_key_enabled: input.bucket_key_enabled,
            customer_algorithm: input.sse_customer_algorithm,
            customer_key_md5: input.sse_customer_key_md5,
        }
        .into_sse();
        let lock = LockInput {
            mode: input.object_lock_mode,
            retain_until: input.object_lock_retain_until_date,
            legal_hold: input.object_lock_legal_hold_status,
        }
        .into_lock(now_secs())?;
        let mut attrs = Attributes {
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
        let checksum_algorithm = input
            .checksum_algorithm
            .as_ref()
            .map(|a| a.as_str().to_ascii_uppercase());
        let upload_id = new_upload_id();
        let (bucket, key) = (input.bucket, input.key);
        let sse = self.store.write_transient(|st| {
            let b = st.bucket_mut(&bucket)?;
            check_lock_allowed(b, attrs.lock.as_deref())?;
            // S3 settles an upload's encryption (and so its part ETags) now.
            resolve_encryption(b, &mut attrs.sse);
            let sse = attrs.sse.clone();
            let upload = Upload {
                initiated: now_secs(),
                attrs,
                checksum_algorithm: checksum_algorithm.clone(),
                parts: BTreeMap::new(),
            };
            b.uploads.insert(upload_key(&key, &upload_id), upload);
            Ok::<_, s3s::S3Error>(sse)
        })?;
        let sse_echo = sse_output(sse.as_deref());
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(bucket),
            key: Some(key),
            upload_id: Some(upload_id),
            checksum_algorithm: checksum_algorithm.map(ChecksumAlgorithm::from),
            server_side_encryption: sse_echo.algorithm,
            ssekms_key_id: sse_echo.kms_key_id,
            ssekms_encryption_context: sse_echo.kms_context,
            bucket_key_enabled: sse_echo.bucket_key_enabled,
            sse_customer_algorithm: sse_echo.customer_algorithm,
            sse_customer_key_md5: sse_echo.customer_key_md5,
            ..Default::default()
        }))
    }

    fn upload_info(&self, bucket: &str, key: &str, upload_id: &str) -> S3Result<UploadInfo> {
        self.store.read(|st| {
            let b = st.bucket(bucket)?;
            let upload = b
                .uploads
                .get(&upload_key(key, upload_id))
                .ok_or_else(|| s3_error!(NoSuchUpload))?;
            let sse = upload.attrs.sse.clone();
            Ok(UploadInfo {
                checksum_algorithm: upload.checksum_algorithm.clone(),
                opaque_etags: has_opaque_etag(sse.as_deref()),
                needs_digest: has_lock_parameters(b, upload.attrs.lock.as_deref()),
                sse,
            })
        })
    }

    fn store_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        number: i32,
        part: UploadPart,
    ) -> S3Result<()> {
        self.store.write_transient(|st| {
            let b = st.bucket_mut(bucket)?;
            let upload = b
                .uploads
                .get_mut(&upload_key(key, upload_id))
                .ok_or_else(|| s3_error!(NoSuchUpload))?;
            upload.parts.insert(number, part);
            Ok(())
        })
    }

    pub(crate) async fn op_upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let trailers = req.trailing_headers;
        let input = req.input;
        check_part_number(input.part_number)?;
        let info = self.upload_info(&input.bucket, &input.key, &input.upload_id)?;

        let body = collect_body(input.body, input.content_length).await?;
        check_content_md5(input.content_md5.as_deref(), &md5_hex(&body).1)?;
        let mut checks = ChecksumInput::new(
            input.checksum_algorithm.as_ref(),
            input.checksum_crc32,
            input.checksum_crc32c,
            input.checksum_sha1,
            input.checksum_sha256,
            input.checksum_crc64nvme,
        );
        checks.add_trailers(trailers.as_ref());
        if info.needs_digest {
            require_digest(DigestFor::Part, input.content_md5.as_deref(), &checks)?;
        }
        if checks.algorithm.is_none() {
            checks.algorithm.clone_from(&info.checksum_algorithm);
        }
        let checksum = checks.verify(&body)?;
        let (etag_hex, etag_bytes) = part_etag(&info, &body);
        let part = UploadPart {
            etag: etag_hex.clone(),
            etag_bytes,
            size: body.len() as u64,
            last_modified: now_secs(),
            body,
            checksum: checksum.clone(),
        };
        self.store_part(
            &input.bucket,
            &input.key,
            &input.upload_id,
            input.part_number,
            part,
        )?;
        let [crc32, crc32c, sha1, sha256, crc64nvme] = checksum_fields(checksum.as_ref());
        let sse = sse_output(info.sse.as_deref());
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(etag(&etag_hex)),
            checksum_crc32: crc32,
            checksum_crc32c: crc32c,
            checksum_sha1: sha1,
            checksum_sha256: sha256,
            checksum_crc64nvme: crc64nvme,
            server_side_encryption: sse.algorithm,
            ssekms_key_id: sse.kms_key_id,
            bucket_key_enabled: sse.bucket_key_enabled,
            sse_customer_algorithm: sse.customer_algorithm,
            sse_customer_key_md5: sse.customer_key_md5,
            ..Default::default()
        }))
    }

    pub(crate) async fn op_upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        let input = req.input;
        check_part_number(input.part_number)?;
        let info = self.upload_info(&input.bucket, &input.key, &input.upload_id)?;
        let (_, _, source, src_reported) =
            self.store.read(|st| copy_source(st, &input.copy_source))?;
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
        let span = match input.copy_source_range.as_deref() {
            Some(header) => parse_copy_range(header, src.size)?,
            None => 0..src.size,
        };
        let (Ok(start), Ok(end)) = (usize::try_from(span.start), usize::try_from(span.end)) else {
            return Err(s3_error!(InvalidRange));
        };
        let body = src.body.slice(start..end);
        let (etag_hex, etag_bytes) = part_etag(&info, &body);
        let checksum = match info.checksum_algorithm.clone() {
            Some(algorithm) => {
                let value = compute_checksum(&algorithm, &body)?;
                Some(StoredChecksum { algorithm, value })
            }
            None => None,
        };
        let now = now_secs();
        let part = UploadPart {
            etag: etag_hex.clone(),
            etag_bytes,
            size: body.len() as u64,
            last_modified: now,
            body,
            checksum: checksum.clone(),
        };
        self.store_part(
            &input.bucket,
            &input.key,
            &input.upload_id,
            input.part_number,
            part,
        )?;
        let [crc32, crc32c, sha1, sha256, crc64nvme] = checksum_fields(checksum.as_ref());
        let sse = sse_output(info.sse.as_deref());
        Ok(S3Response::new(UploadPartCopyOutput {
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(etag(&etag_hex)),
                last_modified: Some(timestamp(now)),
                checksum_crc32: crc32,
                checksum_crc32c: crc32c,
                checksum_sha1: sha1,
                checksum_sha256: sha256,
                checksum_crc64nvme: crc64nvme,
            }),
            copy_source_version_id: src_reported,
            server_side_encryption: sse.algorithm,
            ssekms_key_id: sse.kms_key_id,
            bucket_key_enabled: sse.bucket_key_enabled,
            sse_customer_algorithm: sse.customer_algorithm,
            sse_customer_key_md5: sse.customer_key_md5,
            ..Default::default()
        }))
    }

    pub(crate) async fn op_complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let host = req
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        let input = req.input;
        let requested = input
            .multipart_upload
            .and_then(|m| m.parts)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| {
                s3_error!(
                    MalformedXML,
                    "The XML you provided was not well-formed or did not validate against our published schema"
                )
            })?;

        let (attrs, chosen) = self.store.read(|st| {
            let b = st.bucket(&input.bucket)?;
            let upload = b
                .uploads
                .get(&upload_key(&input.key, &input.upload_id))
                .ok_or_else(|| s3_error!(NoSuchUpload))?;
            let mut chosen = Vec::with_capacity(requested.len());
            let mut previous = 0;
            for wanted in &requested {
                let number = wanted.part_number.ok_or_else(|| s3_error!(InvalidPart))?;
                if number <= previous {
                    return Err(s3_error!(
                        InvalidPartOrder,
                        "The list of parts was not in ascending order. The parts list must be specified in order by part number."
                    ));
                }
                previous = number;
                let invalid = || {
                    s3_error!(
                        InvalidPart,
                        "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."
                    )
                };
                let part = upload.parts.get(&number).ok_or_else(invalid)?;
                if wanted.e_tag.as_ref().is_some_and(|e| e.value() != part.etag) {
                    return Err(invalid());
                }
                chosen.push(part.clone());
            }
            Ok::<_, s3s::S3Error>((upload.attrs.clone(), chosen))
        })?;

        let last = chosen.len() - 1;
        if chosen.iter().take(last).any(|p| p.size < MIN_PART_SIZE) {
            return Err(s3_error!(
                EntityTooSmall,
                "Your proposed upload is smaller than the minimum allowed object size."
            ));
        }
        let total: u64 = chosen.iter().map(|p| p.size).sum();
        let mut body = BytesMut::with_capacity(usize::try_from(total).unwrap_or(0));
        let mut md5s = Md5::new();
        for part in &chosen {
            body.extend_from_slice(&part.body);
            md5s.update(part.etag_bytes);
        }
        let etag_hex = format!("{}-{}", hex::encode(md5s.finalize()), chosen.len());
        let data = ObjectData {
            size: total,
            etag: etag_hex.clone(),
            attrs,
            checksum: None,
            parts: chosen.iter().map(|p| p.size).collect(),
            blob: None,
            restored_until: None,
            body: body.freeze(),
        };
        let conditions = WriteConditions {
            if_match: input.if_match,
            if_none_match: input.if_none_match,
        };
        let location = host.map(|h| {
            format!(
                "http://{h}/{}/{}",
                input.bucket,
                super::listing::url_encode(&input.key).replace('+', "%20")
            )
        });
        let committed = self
            .commit_object(
                input.bucket.clone(),
                input.key.clone(),
                data,
                conditions,
                None,
                Some(input.upload_id),
            )
            .await?;
        let sse = sse_output(committed.sse.as_deref());
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(etag(&committed.etag)),
            location,
            version_id: committed.version_id,
            server_side_encryption: sse.algorithm,
            ssekms_key_id: sse.kms_key_id,
            bucket_key_enabled: sse.bucket_key_enabled,
            ..Default::default()
        }))
    }

    pub(crate) async fn op_abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let input = req.input;
        self.store.write_transient(|st| {
            let b = st.bucket_mut(&input.bucket)?;
            b.uploads
                .remove(&upload_key(&input.key, &input.upload_id))
                .map(|_| ())
                .ok_or_else(|| s3_error!(NoSuchUpload))
        })?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    pub(crate) async fn op_list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let input = req.input;
        let max = input.max_parts.map_or(1000, |m| m.clamp(0, 1000));
        let marker = input.part_number_marker.unwrap_or(0);
        let (parts, truncated, class, algorithm) = self.store.read(|st| {
            let b = st.bucket(&input.bucket)?;
            let upload = b
                .uploads
                .get(&upload_key(&input.key, &input.upload_id))
                .ok_or_else(|| s3_error!(NoSuchUpload))?;
            let mut candidates = upload.parts.range(marker.saturating_add(1)..);
            let mut parts = Vec::new();
            for (number, part) in candidates.by_ref().take(usize::try_from(max).unwrap_or(0)) {
                let [crc32, crc32c, sha1, sha256, crc64nvme] =
                    checksum_fields(part.checksum.as_ref());
                parts.push(Part {
                    e_tag: Some(etag(&part.etag)),
                    last_modified: Some(timestamp(part.last_modified)),
                    part_number: Some(*number),
                    size: i64::try_from(part.size).ok(),
                    checksum_crc32: crc32,
                    checksum_crc32c: crc32c,
                    checksum_sha1: sha1,
                    checksum_sha256: sha256,
                    checksum_crc64nvme: crc64nvme,
                });
            }
            let truncated = candidates.next().is_some();
            let class = upload
                .attrs
                .storage_class
                .clone()
                .unwrap_or_else(|| StorageClass::STANDARD.to_owned());
            Ok::<_, s3s::S3Error>((parts, truncated, class, upload.checksum_algorithm.clone()))
        })?;
        let next = if truncated {
            parts.last().and_then(|p| p.part_number)
        } else {
            None
        };
        let initiator = owner();
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            initiator: Some(Initiator {
                display_name: initiator.display_name.clone(),
                id: initiator.id.clone(),
            }),
            owner: Some(initiator),
            is_truncated: Some(truncated),
            max_parts: Some(max),
            next_part_number_marker: next,
            part_number_marker: input.part_number_marker,
            parts: Some(parts),
            storage_class: Some(StorageClass::from(class)),
            checksum_algorithm: algorithm.map(ChecksumAlgorithm::from),
            ..Default::default()
        }))
    }

    pub(crate) async fn op_list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = req.input;
        let max =
            usize::try_from(input.max_uploads.map_or(1000, |m| m.clamp(0, 1000))).unwrap_or(1000);
        let prefix = input.prefix.clone().unwrap_or_default();
        let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
        let key_marker = input.key_marker.clone().unwrap_or_default();
        let id_marker = input.upload_id_marker.clone();
        let (uploads, prefixes, truncated) = self.store.read(|st| {
            let b = st.bucket(&input.bucket)?;
            let mut uploads = Vec::new();
            let mut prefixes: Vec<String> = Vec::new();
            let mut truncated = false;
            for ((key, id), upload) in &b.uploads {
                if !key.starts_with(&prefix) {
                    continue;
                }
                let after_marker = match &id_marker {
                    Some(m) if *key == key_marker => id > m,
                    _ => key.as_str() > key_marker.as_str(),
                };
                if !after_marker {
                    continue;
                }
                let common = delimiter.as_deref().and_then(|d| {
                    key[prefix.len()..]
                        .find(d)
                        .map(|i| key[..prefix.len() + i + d.len()].to_owned())
                });
                if let Some(common) = &common {
                    if prefixes.last() == Some(common) || common.as_str() <= key_marker.as_str() {
                        continue;
                    }
                }
                if uploads.len() + prefixes.len() == max {
                    truncated = true;
                    break;
                }
                match common {
                    Some(c) => prefixes.push(c),
                    None => uploads.push(MultipartUpload {
                        initiated: Some(timestamp(upload.initiated)),
                        initiator: Some(Initiator {
                            display_name: owner().display_name,
                            id: owner().id,
                        }),
                        key: Some(key.clone()),
                        owner: Some(owner()),
                        storage_class: Some(StorageClass::from(
                            upload
                                .attrs
                                .storage_class
                                .clone()
                                .unwrap_or_else(|| StorageClass::STANDARD.to_owned()),
                        )),
                        upload_id: Some(id.clone()),
                        checksum_algorithm: upload
                            .checksum_algorithm
                            .clone()
                            .map(ChecksumAlgorithm::from),
                        checksum_type: None,
                    }),
                }
            }
            Ok::<_, s3s::S3Error>((uploads, prefixes, truncated))
        })?;
        let (next_key, next_id) = if truncated {
            let last_upload = uploads.last().map(|u| (u.key.clone(), u.upload_id.clone()));
            let last_prefix = prefixes.last().cloned();
            match (last_upload, last_prefix) {
                (Some((k, _)), Some(p)) if p.as_str() > k.as_deref().unwrap_or_default() => {
                    (Some(p), None)
                }
                (Some((k, id)), _) => (k, id),
                (None, p) => (p, None),
            }
        } else {
            (None, None)
        };
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            common_prefixes: (!prefixes.is_empty()).then(|| {
                prefixes
                    .into_iter()
                    .map(|p| CommonPrefix { prefix: Some(p) })
                    .collect()
            }),
            delimiter: input.delimiter,
            encoding_type: input.encoding_type,
            is_truncated: Some(truncated),
            key_marker: input.key_marker,
            max_uploads: i32::try_from(max).ok(),
            next_key_marker: next_key,
            next_upload_id_marker: next_id,
            prefix: input.prefix,
            upload_id_marker: input.upload_id_marker,
            uploads: Some(uploads),
            ..Default::default()
        }))
    }
}
