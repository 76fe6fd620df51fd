//! [`Bucket`]: the handle the rest of the crate reaches S3 through. It holds
//! the bucket's name, its region and that region's clients, so no SDK client
//! leaves `s3/`.

use std::borrow::Cow;
use std::sync::Arc;

use futures::Stream;

use super::client::RegionClients;
use super::direct::DirectCopy;
use super::error::S3Result;
use super::list::{self, ListRequest, Paginator};
use super::model::{ListPage, ObjectProps, PageToken, Versioning};
use super::ops::{self, DeleteFailure, DeleteKey, OpenUpload, Upload, WriteProps, WriteResult};
use super::refs::{CompletedPart, ObjectRef, UploadRef};

/// One bucket on one connection.
///
/// By default requests go through the client that retries on its own
/// (listings, status, checks); [`Bucket::single_attempt`] gives the same
/// bucket on the client that makes one attempt, for the engine's data path,
/// which backs off and lowers its concurrency itself.
#[derive(Clone, Debug)]
pub struct Bucket {
    name: String,
    region: String,
    clients: RegionClients,
    single_attempt: bool,
}

impl Bucket {
    pub(super) fn new(name: &str, region: &str, clients: RegionClients) -> Bucket {
        Bucket {
            name: name.to_string(),
            region: region.to_string(),
            clients,
            single_attempt: false,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// This bucket on the client without SDK retries.
    pub fn single_attempt(&self) -> Bucket {
        Bucket {
            single_attempt: true,
            ..self.clone()
        }
    }

    /// `name` reached through this handle's regional clients: the handle
    /// itself when it is that bucket. Used where a job addresses a bucket by
    /// name and the clients were resolved for the job's first bucket.
    pub fn for_name(&self, name: &str) -> Cow<'_, Bucket> {
        if name == self.name {
            Cow::Borrowed(self)
        } else {
            Cow::Owned(Bucket {
                name: name.to_string(),
                ..self.clone()
            })
        }
    }

    /// CopyObject without the SDK pipeline; `None` without credentials.
    pub fn direct(&self) -> Option<Arc<DirectCopy>> {
        self.clients.direct.clone()
    }

    fn client(&self) -> &aws_sdk_s3::Client {
        if self.single_attempt {
            &self.clients.data
        } else {
            &self.clients.meta
        }
    }

    fn object<'a>(&'a self, key: &'a str, version_id: Option<&'a str>) -> ObjectRef<'a> {
        ObjectRef::new(&self.name, key, version_id)
    }

    fn upload<'a>(&'a self, key: &'a str, upload_id: &'a str) -> UploadRef<'a> {
        UploadRef {
            bucket: &self.name,
            key,
            upload_id,
        }
    }

    // Reads.

    /// One page of `req` (which names this bucket) from `cursor`; the rest
    /// of the crate lists through [`Bucket::paginator`].
    pub(super) async fn list_page(
        &self,
        req: &ListRequest,
        cursor: Option<PageToken>,
    ) -> S3Result<ListPage> {
        list::list_page(self.client(), req, cursor).await
    }

    /// A resumable listing of `req` starting at `cursor`.
    pub fn paginator(&self, req: ListRequest, cursor: Option<PageToken>) -> Paginator {
        Paginator::new(self.clone(), req, cursor)
    }

    /// All pages of `req` as a stream; stops after the first error.
    pub fn pages(&self, req: ListRequest) -> impl Stream<Item = S3Result<ListPage>> {
        self.paginator(req, None).into_stream()
    }

    /// Whether the endpoint answers a HeadBucket (in one attempt).
    pub async fn endpoint_answers(&self) -> bool {
        ops::endpoint_answers(&self.clients.data, &self.name).await
    }

    pub async fn head(&self, key: &str, version_id: Option<&str>) -> S3Result<ObjectProps> {
        ops::head_object(self.client(), self.object(key, version_id)).await
    }

    /// Tags as `k=v&…`, ready for the `x-amz-tagging` header; `None` where
    /// the endpoint has no tagging.
    pub async fn tagging(&self, key: &str, version_id: Option<&str>) -> S3Result<Option<String>> {
        ops::get_tagging(self.client(), self.object(key, version_id)).await
    }

    /// A byte range (inclusive end), pinned to an ETag.
    pub async fn get_range(
        &self,
        key: &str,
        version_id: Option<&str>,
        range: Option<(u64, u64)>,
        if_match: Option<&str>,
    ) -> S3Result<bytes::Bytes> {
        ops::get_range(self.client(), self.object(key, version_id), range, if_match).await
    }

    /// A whole object with the properties a copy must carry.
    pub async fn get_with_props(
        &self,
        key: &str,
        version_id: Option<&str>,
        if_match: Option<&str>,
    ) -> S3Result<(ObjectProps, bytes::Bytes)> {
        ops::get_with_props(self.client(), self.object(key, version_id), if_match).await
    }

    /// A small text object (reports, manifests).
    pub async fn get_text(&self, key: &str) -> S3Result<String> {
        ops::get_text(self.client(), self.object(key, None)).await
    }

    /// Multipart uploads in progress under `prefix` (all pages).
    pub async fn open_uploads(&self, prefix: &str) -> S3Result<Vec<OpenUpload>> {
        ops::list_uploads(self.client(), &self.name, prefix).await
    }

    pub async fn versioning(&self) -> S3Result<Versioning> {
        super::status::versioning(self.client(), &self.name).await
    }

    // Writes: only the engine calls these (checked by tests/it/architecture.rs).

    /// Server-side CopyObject of `src` to `key` here; see [`ops::copy_object`].
    pub async fn copy_object(
        &self,
        src: ObjectRef<'_>,
        key: &str,
        if_match: Option<&str>,
        replace: Option<&WriteProps>,
        extra: Option<&WriteProps>,
    ) -> S3Result<WriteResult> {
        let dst = self.object(key, None);
        ops::copy_object(self.client(), src, dst, if_match, replace, extra).await
    }

    pub async fn put_object(
        &self,
        key: &str,
        body: bytes::Bytes,
        content_md5: Option<String>,
        w: &WriteProps,
    ) -> S3Result<WriteResult> {
        let dst = self.object(key, None);
        ops::put_object(self.client(), dst, body, content_md5, w).await
    }

    /// Upload a CSV manifest; the new object's ETag.
    pub async fn put_manifest(&self, key: &str, body: Vec<u8>) -> S3Result<String> {
        ops::put_manifest(self.client(), self.object(key, None), body).await
    }

    pub async fn create_multipart(&self, key: &str, w: &WriteProps) -> S3Result<Upload> {
        ops::create_multipart(self.client(), self.object(key, None), w).await
    }

    pub async fn upload_part_copy(
        &self,
        src: ObjectRef<'_>,
        key: &str,
        upload_id: &str,
        part_number: i32,
        range: (u64, u64),
        if_match: Option<&str>,
    ) -> S3Result<CompletedPart> {
        let dst = self.upload(key, upload_id);
        ops::upload_part_copy(self.client(), src, dst, part_number, range, if_match).await
    }

    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: i32,
        body: bytes::Bytes,
        content_md5: Option<String>,
    ) -> S3Result<CompletedPart> {
        let dst = self.upload(key, upload_id);
        ops::upload_part(self.client(), dst, part_number, body, content_md5).await
    }

    pub async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<CompletedPart>,
    ) -> S3Result<WriteResult> {
        ops::complete_multipart(self.client(), self.upload(key, upload_id), parts).await
    }

    /// Whether the upload holds any part yet.
    pub async fn upload_has_parts(&self, key: &str, upload_id: &str) -> S3Result<bool> {
        ops::upload_has_parts(self.client(), self.upload(key, upload_id)).await
    }

    pub async fn abort_multipart(&self, key: &str, upload_id: &str) -> S3Result<()> {
        ops::abort_multipart(self.client(), self.upload(key, upload_id)).await
    }

    /// Carry the ACL grants of `src` (read through `src_bucket`) to `key`
    /// here. `Ok(false)` when either side has ACLs disabled.
    pub async fn copy_acl(
        &self,
        src_bucket: &Bucket,
        src: ObjectRef<'_>,
        key: &str,
    ) -> S3Result<bool> {
        let dst = self.object(key, None);
        ops::copy_acl(src_bucket.client(), src, self.client(), dst).await
    }

    pub async fn delete_object(
        &self,
        key: &str,
        version_id: Option<&str>,
    ) -> S3Result<Option<String>> {
        ops::delete_object(self.client(), &self.name, key, version_id).await
    }

    /// One DeleteObject on the conditions of `k` (version, `If-Match`).
    pub async fn delete_object_if(&self, k: &DeleteKey) -> S3Result<()> {
        ops::delete_object_if(self.client(), &self.name, k).await
    }

    pub async fn delete_objects(&self, keys: &[DeleteKey]) -> S3Result<Vec<DeleteFailure>> {
        ops::delete_objects(self.client(), &self.name, keys).await
    }

    pub async fn delete_objects_one_if(
        &self,
        key: &str,
        etag: &str,
    ) -> S3Result<Result<Option<String>, DeleteFailure>> {
        ops::delete_objects_one_if(self.client(), &self.name, key, etag).await
    }
}
