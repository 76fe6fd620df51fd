//! Writes: CopyObject, multipart uploads (part copies and uploaded parts),
//! PutObject, ACL grants.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, MetadataDirective, TaggingDirective};
use aws_sdk_s3::Client;

use super::{
    copy_label, copy_source, legal_hold, lock_mode, retain_until, sse, storage_class, version,
};
use super::{WriteProps, WriteResult};
use crate::s3::error::{ErrorKind, S3Error, S3Result};
use crate::s3::refs::{CompletedPart, ObjectRef, UploadRef};

fn sdk_part(p: CompletedPart) -> aws_sdk_s3::types::CompletedPart {
    aws_sdk_s3::types::CompletedPart::builder()
        .set_e_tag(p.etag)
        .part_number(p.part_number)
        .build()
}

/// Server-side CopyObject (≤ 5 GiB). With `replace`, properties come from
/// `write` (used to override the storage class while keeping everything else).
/// Without `replace`, only the encryption and lock settings of `extra` are
/// asked for; everything else is copied.
pub async fn copy_object(
    c: &Client,
    src: ObjectRef<'_>,
    dst: ObjectRef<'_>,
    if_match: Option<&str>,
    replace: Option<&WriteProps>,
    extra: Option<&WriteProps>,
) -> S3Result<WriteResult> {
    let mut b = c
        .copy_object()
        .copy_source(copy_source(src.bucket, src.key, src.version_id))
        .bucket(dst.bucket)
        .key(dst.key)
        .set_copy_source_if_match(if_match.map(str::to_string));
    if let (None, Some(w)) = (replace, extra) {
        let (alg, kms) = sse(w);
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

pub async fn create_multipart(c: &Client, dst: ObjectRef<'_>, w: &WriteProps) -> S3Result<Upload> {
    let ObjectRef { bucket, key, .. } = dst;
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
        part_etags_md5: crate::s3::model::etag_can_be_md5(
            r.server_side_encryption().map(|s| s.as_str()),
            r.sse_customer_algorithm().is_some(),
        ),
    })
}

/// One part copied server-side; `if_match` pins the source version by ETag.
pub async fn upload_part_copy(
    c: &Client,
    src: ObjectRef<'_>,
    dst: UploadRef<'_>,
    part_number: i32,
    range: (u64, u64),
    if_match: Option<&str>,
) -> S3Result<CompletedPart> {
    let UploadRef {
        bucket,
        key,
        upload_id,
    } = dst;
    let r = c
        .upload_part_copy()
        .copy_source(copy_source(src.bucket, src.key, src.version_id))
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
    Ok(CompletedPart { part_number, etag })
}

/// One part uploaded; `content_md5` (base64) lets S3 check the bytes, and
/// buckets with Object Lock default retention require it.
pub async fn upload_part(
    c: &Client,
    dst: UploadRef<'_>,
    part_number: i32,
    body: bytes::Bytes,
    content_md5: Option<String>,
) -> S3Result<CompletedPart> {
    let UploadRef {
        bucket,
        key,
        upload_id,
    } = dst;
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
    Ok(CompletedPart {
        part_number,
        etag: r.e_tag().map(str::to_string),
    })
}

pub async fn complete_multipart(
    c: &Client,
    dst: UploadRef<'_>,
    mut parts: Vec<CompletedPart>,
) -> S3Result<WriteResult> {
    let UploadRef {
        bucket,
        key,
        upload_id,
    } = dst;
    parts.sort_by_key(|p| p.part_number);
    let parts: Vec<_> = parts.into_iter().map(sdk_part).collect();
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

/// Whether an upload holds any part (ListParts, one part asked for).
pub async fn upload_has_parts(c: &Client, upload: UploadRef<'_>) -> S3Result<bool> {
    let r = c
        .list_parts()
        .bucket(upload.bucket)
        .key(upload.key)
        .upload_id(upload.upload_id)
        .max_parts(1)
        .send()
        .await?;
    Ok(!r.parts().is_empty())
}

pub async fn abort_multipart(c: &Client, upload: UploadRef<'_>) -> S3Result<()> {
    c.abort_multipart_upload()
        .bucket(upload.bucket)
        .key(upload.key)
        .upload_id(upload.upload_id)
        .send()
        .await?;
    Ok(())
}

pub async fn put_object(
    c: &Client,
    dst: ObjectRef<'_>,
    body: bytes::Bytes,
    content_md5: Option<String>,
    w: &WriteProps,
) -> S3Result<WriteResult> {
    let ObjectRef { bucket, key, .. } = dst;
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

/// Copy ACL grants. `Ok(false)` when the destination has ACLs disabled.
pub async fn copy_acl(
    src_client: &Client,
    src: ObjectRef<'_>,
    dst_client: &Client,
    dst: ObjectRef<'_>,
) -> S3Result<bool> {
    let acl = match src_client
        .get_object_acl()
        .bucket(src.bucket)
        .key(src.key)
        .set_version_id(version(src.version_id))
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
        .bucket(dst.bucket)
        .key(dst.key)
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

/// Upload a CSV manifest and return the new object's ETag.
pub async fn put_manifest(c: &Client, dst: ObjectRef<'_>, body: Vec<u8>) -> S3Result<String> {
    let ObjectRef { bucket, key, .. } = dst;
    let r = c
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("text/csv")
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| S3Error::from(e).context(format_args!("uploading s3://{bucket}/{key}")))?;
    r.e_tag()
        .map(str::to_string)
        .ok_or_else(|| S3Error::new(ErrorKind::Other, format!("no ETag for s3://{bucket}/{key}")))
}
