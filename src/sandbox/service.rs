//! The `s3s::S3` implementation. The trait impl only dispatches; the
//! operations live in `bucket_ops`, `object_ops`, `read_ops`, `copy_ops`, `tagging_ops`, `delete_ops`,
//! `multipart_ops`, `list_ops`, `object_lock` and `archive`.

use std::sync::Arc;

use s3s::dto::*;
use s3s::{s3_error, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, S3};

use super::store::{Bucket, ObjectVersion, Store, NULL_VERSION};
use super::util::error_with_headers;

#[derive(Clone)]
pub(crate) struct SandboxS3 {
    pub(crate) store: Arc<Store>,
}

/// Canonical owner reported in listings and ACLs (the AWS documentation's
/// example id, so it looks familiar).
pub(crate) const OWNER_ID: &str =
    "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";
pub(crate) const OWNER_NAME: &str = "sandbox";
pub(crate) const REGION: &str = "us-east-1";

pub(crate) fn owner() -> Owner {
    Owner {
        display_name: Some(OWNER_NAME.to_owned()),
        id: Some(OWNER_ID.to_owned()),
    }
}

/// Gives common errors the message S3 sends, so CLI output reads naturally.
fn describe(mut err: S3Error) -> S3Error {
    if err.message().is_some() {
        return err;
    }
    let message = match err.code() {
        S3ErrorCode::NoSuchKey => "The specified key does not exist.",
        S3ErrorCode::NoSuchBucket => "The specified bucket does not exist",
        S3ErrorCode::NoSuchVersion => "The specified version does not exist.",
        S3ErrorCode::NoSuchUpload => {
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
        }
        S3ErrorCode::BucketNotEmpty => "The bucket you tried to delete is not empty",
        S3ErrorCode::BucketAlreadyOwnedByYou => {
            "Your previous request to create the named bucket succeeded and you already own it."
        }
        S3ErrorCode::InvalidRange => "The requested range is not satisfiable",
        S3ErrorCode::InvalidStorageClass => "The storage class you specified is not valid",
        S3ErrorCode::InvalidDigest => "The Content-MD5 you specified is not valid.",
        _ => return err,
    };
    err.set_message(message);
    err
}

pub(crate) fn http_date(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// Resolves the version a GET/HEAD-like request addresses, failing like S3
/// for missing keys, missing versions and delete markers.
pub(crate) fn readable_version<'a>(
    bucket: &'a Bucket,
    key: &str,
    version_id: Option<&str>,
) -> S3Result<&'a ObjectVersion> {
    match version_id {
        None => {
            let latest = bucket.latest(key).ok_or_else(|| s3_error!(NoSuchKey))?;
            if latest.is_delete_marker() {
                let mut headers = vec![("x-amz-delete-marker", "true".to_owned())];
                if bucket.reports_versions() {
                    headers.push(("x-amz-version-id", latest.version_id.clone()));
                }
                return Err(error_with_headers(s3_error!(NoSuchKey), &headers));
            }
            Ok(latest)
        }
        Some(id) => {
            let version = bucket.version(key, id).ok_or_else(|| {
                if id == NULL_VERSION || uuid::Uuid::try_parse(id).is_ok() {
                    s3_error!(NoSuchVersion)
                } else {
                    s3_error!(InvalidArgument, "Invalid version id specified")
                }
            })?;
            if version.is_delete_marker() {
                let headers = [
                    ("x-amz-delete-marker", "true".to_owned()),
                    ("x-amz-version-id", version.version_id.clone()),
                    ("last-modified", http_date(version.last_modified)),
                    ("allow", "DELETE".to_owned()),
                ];
                return Err(error_with_headers(
                    s3_error!(
                        MethodNotAllowed,
                        "The specified method is not allowed against this resource."
                    ),
                    &headers,
                ));
            }
            Ok(version)
        }
    }
}

#[async_trait::async_trait]
impl S3 for SandboxS3 {
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.op_list_buckets(req).await.map_err(describe)
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.op_create_bucket(req).await.map_err(describe)
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.op_head_bucket(req).await.map_err(describe)
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.op_delete_bucket(req).await.map_err(describe)
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.op_get_bucket_location(req).await.map_err(describe)
    }

    async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        self.op_get_bucket_versioning(req).await.map_err(describe)
    }

    async fn put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        self.op_put_bucket_versioning(req).await.map_err(describe)
    }

    async fn get_bucket_replication(
        &self,
        req: S3Request<GetBucketReplicationInput>,
    ) -> S3Result<S3Response<GetBucketReplicationOutput>> {
        self.op_get_bucket_replication(req).await.map_err(describe)
    }

    async fn put_bucket_replication(
        &self,
        req: S3Request<PutBucketReplicationInput>,
    ) -> S3Result<S3Response<PutBucketReplicationOutput>> {
        self.op_put_bucket_replication(req).await.map_err(describe)
    }

    async fn delete_bucket_replication(
        &self,
        req: S3Request<DeleteBucketReplicationInput>,
    ) -> S3Result<S3Response<DeleteBucketReplicationOutput>> {
        self.op_delete_bucket_replication(req)
            .await
            .map_err(describe)
    }

    async fn get_bucket_ownership_controls(
        &self,
        req: S3Request<GetBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<GetBucketOwnershipControlsOutput>> {
        self.op_get_bucket_ownership_controls(req)
            .await
            .map_err(describe)
    }

    async fn put_bucket_ownership_controls(
        &self,
        req: S3Request<PutBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<PutBucketOwnershipControlsOutput>> {
        self.op_put_bucket_ownership_controls(req)
            .await
            .map_err(describe)
    }

    async fn delete_bucket_ownership_controls(
        &self,
        req: S3Request<DeleteBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<DeleteBucketOwnershipControlsOutput>> {
        self.op_delete_bucket_ownership_controls(req)
            .await
            .map_err(describe)
    }

    async fn get_bucket_encryption(
        &self,
        req: S3Request<GetBucketEncryptionInput>,
    ) -> S3Result<S3Response<GetBucketEncryptionOutput>> {
        self.op_get_bucket_encryption(req).await.map_err(describe)
    }

    async fn put_bucket_encryption(
        &self,
        req: S3Request<PutBucketEncryptionInput>,
    ) -> S3Result<S3Response<PutBucketEncryptionOutput>> {
        self.op_put_bucket_encryption(req).await.map_err(describe)
    }

    async fn delete_bucket_encryption(
        &self,
        req: S3Request<DeleteBucketEncryptionInput>,
    ) -> S3Result<S3Response<DeleteBucketEncryptionOutput>> {
        self.op_delete_bucket_encryption(req)
            .await
            .map_err(describe)
    }

    async fn get_object_lock_configuration(
        &self,
        req: S3Request<GetObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<GetObjectLockConfigurationOutput>> {
        self.op_get_object_lock_configuration(req)
            .await
            .map_err(describe)
    }

    async fn put_object_lock_configuration(
        &self,
        req: S3Request<PutObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<PutObjectLockConfigurationOutput>> {
        self.op_put_object_lock_configuration(req)
            .await
            .map_err(describe)
    }

    async fn get_object_retention(
        &self,
        req: S3Request<GetObjectRetentionInput>,
    ) -> S3Result<S3Response<GetObjectRetentionOutput>> {
        self.op_get_object_retention(req).await.map_err(describe)
    }

    async fn put_object_retention(
        &self,
        req: S3Request<PutObjectRetentionInput>,
    ) -> S3Result<S3Response<PutObjectRetentionOutput>> {
        self.op_put_object_retention(req).await.map_err(describe)
    }

    async fn get_object_legal_hold(
        &self,
        req: S3Request<GetObjectLegalHoldInput>,
    ) -> S3Result<S3Response<GetObjectLegalHoldOutput>> {
        self.op_get_object_legal_hold(req).await.map_err(describe)
    }

    async fn put_object_legal_hold(
        &self,
        req: S3Request<PutObjectLegalHoldInput>,
    ) -> S3Result<S3Response<PutObjectLegalHoldOutput>> {
        self.op_put_object_legal_hold(req).await.map_err(describe)
    }

    async fn restore_object(
        &self,
        req: S3Request<RestoreObjectInput>,
    ) -> S3Result<S3Response<RestoreObjectOutput>> {
        self.op_restore_object(req).await.map_err(describe)
    }

    async fn get_bucket_acl(
        &self,
        req: S3Request<GetBucketAclInput>,
    ) -> S3Result<S3Response<GetBucketAclOutput>> {
        self.op_get_bucket_acl(req).await.map_err(describe)
    }

    async fn get_object_acl(
        &self,
        req: S3Request<GetObjectAclInput>,
    ) -> S3Result<S3Response<GetObjectAclOutput>> {
        self.op_get_object_acl(req).await.map_err(describe)
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.op_list_objects(req).await.map_err(describe)
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.op_list_objects_v2(req).await.map_err(describe)
    }

    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        self.op_list_object_versions(req).await.map_err(describe)
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        self.op_put_object(req).await.map_err(describe)
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.op_get_object(req).await.map_err(describe)
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.op_head_object(req).await.map_err(describe)
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        self.op_copy_object(req).await.map_err(describe)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.op_delete_object(req).await.map_err(describe)
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.op_delete_objects(req).await.map_err(describe)
    }

    async fn get_object_tagging(
        &self,
        req: S3Request<GetObjectTaggingInput>,
    ) -> S3Result<S3Response<GetObjectTaggingOutput>> {
        self.op_get_object_tagging(req).await.map_err(describe)
    }

    async fn put_object_tagging(
        &self,
        req: S3Request<PutObjectTaggingInput>,
    ) -> S3Result<S3Response<PutObjectTaggingOutput>> {
        self.op_put_object_tagging(req).await.map_err(describe)
    }

    async fn delete_object_tagging(
        &self,
        req: S3Request<DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
        self.op_delete_object_tagging(req).await.map_err(describe)
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.op_create_multipart_upload(req).await.map_err(describe)
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.op_upload_part(req).await.map_err(describe)
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.op_upload_part_copy(req).await.map_err(describe)
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.op_complete_multipart_upload(req)
            .await
            .map_err(describe)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.op_abort_multipart_upload(req).await.map_err(describe)
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        self.op_list_parts(req).await.map_err(describe)
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        self.op_list_multipart_uploads(req).await.map_err(describe)
    }
}
