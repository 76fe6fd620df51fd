//! Object tagging: get, put and delete the tag set of one version.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::service::{readable_version, SandboxS3};
use super::util::{tags_from_dto, tags_to_dto};

impl SandboxS3 {
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
