//! Copy strategies and verification for one journal entry.
//!
//! - same store: CopyObject up to the multipart threshold, else UploadPartCopy
//!   in parallel parts pinned with CopySourceIfMatch, carrying the properties
//!   a multipart copy would lose;
//! - different stores: GET -> PUT, or ranged GETs -> UploadPart, with the bytes
//!   in flight bounded by a shared budget.
//!
//! Every call goes through `Ctx::call`, which retries transient failures and
//! tells the limiter about throttling.

use std::borrow::Cow;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::StreamExt;
use md5::{Digest, Md5};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::breaker::Breaker;
use super::calls::aborted;
use super::limiter::Limiter;
use super::model::RunOptions;
use crate::journal::{CopiedSource, NewEntry};
use crate::s3::direct::DirectCopy;
use crate::s3::{
    Bucket, CompletedPart, ErrorKind, ObjectProps, ObjectRef, S3Error, S3Result, SseRequest,
    Upload, WriteProps, WriteResult,
};

/// S3's limits, in the `job` leaf where the run options are checked.
pub use crate::job::{MAX_SINGLE, MIN_PART};
pub const MAX_PARTS: u64 = 10_000;
/// Parts of one object in flight at once.
const PART_CONCURRENCY: usize = 8;
/// Streamed parts hold their bytes in memory: fewer at once.
const STREAM_PART_CONCURRENCY: usize = 4;
/// Budget for bytes held in memory by streamed copies, in KiB permits.
pub const STREAM_BUDGET_KIB: usize = 256 * 1024;
/// Streamed objects above this go as multipart uploads, whatever the threshold.
pub const STREAM_SINGLE_MAX: u64 = 64 * 1024 * 1024;

/// What a finished copy tells the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub verify: String,
    pub dst_version: Option<String>,
    /// The exact source the copy read: a move's delete is conditional on it.
    pub source: CopiedSource,
}

/// Shared by all copies of one job run.
pub struct Ctx {
    /// Each source bucket, on its data-plane clients (no SDK retries).
    pub src: std::collections::HashMap<String, Bucket>,
    /// The destination bucket, likewise.
    pub dst: Bucket,
    /// Plain CopyObject requests go here when set (see `s3::direct`).
    pub dst_direct: Option<Arc<DirectCopy>>,
    pub server_side: bool,
    pub run: RunOptions,
    pub limiter: Arc<Limiter>,
    pub retries: AtomicU64,
    pub bytes_budget: Arc<Semaphore>,
    pub acl_warned: AtomicBool,
    pub tags_warned: AtomicBool,
    /// Throttle events, for the job log line.
    pub on_throttle: Box<dyn Fn(usize) + Send + Sync>,
    /// The job's circuit breaker (see `engine::breaker`).
    pub breaker: Arc<Breaker>,
    /// What to tell the user when credentials expired and cannot be refreshed.
    pub credentials_hint: Box<dyn Fn(&S3Error) -> String + Send + Sync>,
    /// Where multipart upload ids are journaled (see `engine/uploads.rs`).
    pub journal: Arc<crate::journal::Journal>,
    pub job: crate::job::JobId,
    /// Fired to abort every call in flight at once (second Ctrl-C, or the
    /// end of a stop's grace): calls then fail with [`aborted`].
    pub abort: CancellationToken,
}

impl Ctx {
    /// The source's tags for the `x-amz-tagging` header. Credentials that may
    /// read objects but not their tags (a read-only cross-account policy;
    /// Garage for non-owner keys) copy the object without them, saying so
    /// once in the log and on every object it concerns.
    async fn source_tags(
        &self,
        e: &NewEntry,
        version: Option<&str>,
    ) -> S3Result<(Option<String>, bool)> {
        let src = self.src(&e.src_bucket);
        match self.call(|| src.tagging(&e.src_key, version)).await {
            Ok(t) => Ok((t, false)),
            Err(err) if err.kind == ErrorKind::AccessDenied => {
                if !self.tags_warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(bucket = %e.src_bucket, "tags of source objects are not readable with these credentials ({}); copying without tags", err.message);
                }
                Ok((None, true))
            }
            Err(err) => Err(err),
        }
    }

    pub(crate) fn src(&self, bucket: &str) -> Cow<'_, Bucket> {
        // Every source bucket gets a handle before the run starts; the
        // destination's clients are a safe fallback for a single-store copy.
        match self.src.get(bucket) {
            Some(b) => Cow::Borrowed(b),
            None => self.dst.for_name(bucket),
        }
    }

    /// The destination bucket `bucket` (the job's, on its clients).
    pub(crate) fn dst(&self, bucket: &str) -> Cow<'_, Bucket> {
        self.dst.for_name(bucket)
    }

    fn part_size(&self, size: u64) -> u64 {
        let base = if self.server_side {
            self.run.part_size
        } else {
            self.run.stream_part_size
        };
        // Grow parts when needed to stay within 10,000 of them.
        let min_for_count = size.div_ceil(MAX_PARTS);
        base.max(MIN_PART).max(min_for_count)
    }

    fn use_multipart(&self, size: u64) -> bool {
        let threshold = if self.server_side {
            self.run.multipart_threshold
        } else {
            // A streamed single PUT holds the whole object in memory.
            self.run.multipart_threshold.min(STREAM_SINGLE_MAX)
        };
        size > threshold.min(MAX_SINGLE)
    }

    /// The encryption a write asks for: `--sse`, the source's own with
    /// `--preserve-sse`, else nothing (the destination's default applies).
    fn sse_for(&self, src: Option<&ObjectProps>) -> Option<SseRequest> {
        if let Some(a) = &self.run.sse {
            return Some(SseRequest {
                algorithm: a.clone(),
                kms_key_id: self.run.sse_kms_key_id.clone(),
            });
        }
        let p = src.filter(|_| self.run.preserve_sse)?;
        p.sse.as_ref().map(|a| SseRequest {
            algorithm: a.clone(),
            kms_key_id: p
                .sse_kms_key_id
                .clone()
                .filter(|_| a.starts_with("aws:kms")),
        })
    }

    /// A single CopyObject must restate something (and so HEAD the source).
    fn copy_needs_source_props(&self) -> bool {
        self.run.preserve_sse || self.run.preserve_lock
    }
}

/// MD5 of a body: quoted hex (how ETags show it) and base64 (Content-MD5).
#[derive(Debug, Clone, PartialEq, Eq)]
struct BodyMd5 {
    quoted: String,
    base64: String,
}

fn body_md5(data: &[u8]) -> BodyMd5 {
    use base64::Engine as _;
    let d = Md5::digest(data);
    BodyMd5 {
        quoted: format!("\"{}\"", hex::encode(d)),
        base64: base64::engine::general_purpose::STANDARD.encode(d),
    }
}

/// The MD5 of a streamed body, hashed on the blocking pool: a 64 MiB part is
/// about 100 ms of CPU, which on a runtime worker would stall every other
/// transfer that worker drives.
async fn body_md5_off_runtime(data: Bytes) -> BodyMd5 {
    if data.len() < 1 << 20 {
        return body_md5(&data);
    }
    let copy = data.clone();
    match tokio::task::spawn_blocking(move || body_md5(&copy)).await {
        Ok(h) => h,
        Err(_) => body_md5(&data),
    }
}

pub(crate) fn plain(e: &Option<String>) -> Option<&str> {
    e.as_deref().map(|e| e.trim_matches('"'))
}

pub(crate) fn md5_like(e: &Option<String>) -> bool {
    plain(e).is_some_and(|e| e.len() == 32 && !e.contains('-'))
}

fn verify_failed(what: String) -> S3Error {
    S3Error::new(ErrorKind::Other, format!("verification failed: {what}"))
}

/// The version a copy of `e` reads: the listed one, else (a plain listing)
/// the one a first request saw.
fn pinned_version<'a>(e: &'a NewEntry, seen: Option<&'a str>) -> Option<&'a str> {
    e.version_id.as_deref().or(seen)
}

/// Copy one entry (an object version, or a delete marker to replay).
pub async fn copy_entry(ctx: &Ctx, e: &NewEntry) -> S3Result<Copied> {
    if e.delete_marker {
        let dst = ctx.dst(&e.dst_bucket);
        let v = ctx.call(|| dst.delete_object(&e.dst_key, None)).await?;
        return Ok(Copied {
            verify: "delete marker replayed".into(),
            dst_version: v,
            source: CopiedSource {
                version_id: e.version_id.clone(),
                etag: None,
            },
        });
    }
    let copied = if ctx.server_side {
        if ctx.use_multipart(e.size) {
            multipart_copy(ctx, e).await?
        } else {
            single_copy(ctx, e).await?
        }
    } else if ctx.use_multipart(e.size) {
        streamed_multipart(ctx, e).await?
    } else {
        streamed_single(ctx, e).await?
    };
    if ctx.run.preserve_acl {
        let src = ObjectRef::new(
            &e.src_bucket,
            &e.src_key,
            copied.source.version_id.as_deref(),
        );
        let (src_bucket, dst) = (ctx.src(&e.src_bucket), ctx.dst(&e.dst_bucket));
        let applied = ctx
            .call(|| dst.copy_acl(&src_bucket, src, &e.dst_key))
            .await?;
        if !applied && !ctx.acl_warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(bucket = %e.dst_bucket, "destination has ACLs disabled; ACL grants not copied");
        }
    }
    Ok(copied)
}

fn with_tags_note(verify: String, tags_denied: bool) -> String {
    if tags_denied {
        format!("{verify}; tags not copied (not readable: access denied)")
    } else {
        verify
    }
}

fn wanted_class(ctx: &Ctx, e: &NewEntry) -> Option<String> {
    ctx.run
        .storage_class
        .clone()
        .or_else(|| e.storage_class.clone().filter(|c| c != "STANDARD"))
}

/// HEAD of the source version a copy reads, failing when it is no longer
/// the listed object.
async fn head_source(ctx: &Ctx, e: &NewEntry, version: Option<&str>) -> S3Result<ObjectProps> {
    let src = ctx.src(&e.src_bucket);
    let props = ctx.call(|| src.head(&e.src_key, version)).await?;
    if e.etag.is_some() && plain(&props.etag) != plain(&e.etag) {
        return Err(S3Error::new(
            ErrorKind::PreconditionFailed,
            "source changed since it was listed (ETag no longer matches)",
        ));
    }
    Ok(props)
}

async fn single_copy(ctx: &Ctx, e: &NewEntry) -> S3Result<Copied> {
    let version = e.version_id.as_deref();
    // CopyObject resets the storage class to STANDARD; keeping another one (or
    // overriding it) needs the properties restated with REPLACE.
    let class = wanted_class(ctx, e);
    let src_props = if class.is_some() || ctx.copy_needs_source_props() {
        Some(head_source(ctx, e, version).await?)
    } else {
        None
    };
    // Pin the copy to the version the HEAD saw, so the copy, its
    // verification and a move's delete all concern one object.
    let version = pinned_version(e, src_props.as_ref().and_then(|p| p.version_id.as_deref()));
    let src = ObjectRef::new(&e.src_bucket, &e.src_key, version);
    let dst = ObjectRef::current(&e.dst_bucket, &e.dst_key);
    let sse = ctx.sse_for(src_props.as_ref());
    let lock = src_props
        .as_ref()
        .filter(|_| ctx.run.preserve_lock)
        .map(|p| p.lock.clone());
    let replace = match (&class, &src_props) {
        (Some(class), Some(props)) => Some(WriteProps {
            props: props.clone(),
            tagging: None, // tags stay with TaggingDirective COPY
            storage_class: Some(class.clone()),
            sse: sse.clone(),
            lock: lock.clone(),
        }),
        _ => None,
    };
    let extra = (sse.is_some() || lock.is_some()).then(|| WriteProps {
        sse,
        lock,
        ..Default::default()
    });
    let direct = match (&ctx.dst_direct, &replace, &extra) {
        (Some(d), None, None) => d.endpoint(dst.bucket).await.map(|ep| (d, ep)),
        _ => None,
    };
    let r: WriteResult = match direct {
        Some((d, ep)) => {
            ctx.call(|| d.copy_object(&ep, src, dst, e.etag.as_deref()))
                .await?
        }
        None => {
            let target = ctx.dst(&e.dst_bucket);
            ctx.call(|| {
                target.copy_object(
                    src,
                    &e.dst_key,
                    e.etag.as_deref(),
                    replace.as_ref(),
                    extra.as_ref(),
                )
            })
            .await?
        }
    };
    let source = CopiedSource {
        version_id: version
            .map(str::to_string)
            .or_else(|| r.source_version_id.clone()),
        etag: e
            .etag
            .clone()
            .or_else(|| src_props.as_ref().and_then(|p| p.etag.clone())),
    };
    // Equal MD5 ETags prove equal bytes when the new object's ETag is an MD5;
    // anything else (KMS, SSE-C, a source ETag that is not an MD5) is
    // decided by HEAD on both sides.
    let verify = if md5_like(&e.etag)
        && md5_like(&r.etag)
        && r.etag_can_be_md5()
        && plain(&e.etag) == plain(&r.etag)
    {
        "etag".to_string()
    } else {
        verify_by_head(ctx, e, src_props.as_ref(), &source, &r).await?
    };
    Ok(Copied {
        verify,
        dst_version: r.version_id,
        source,
    })
}

/// Compare the destination with the source by HEAD: full-object checksums
/// when both have the same kind, MD5 ETags where both are MD5s, else size —
/// and say which was used. A source that is no longer `source` fails.
pub(crate) async fn verify_by_head(
    ctx: &Ctx,
    e: &NewEntry,
    src_props: Option<&ObjectProps>,
    source: &CopiedSource,
    written: &WriteResult,
) -> S3Result<String> {
    // The current destination object: moto answers a HEAD with the version
    // id its CompleteMultipartUpload reported with 400 in unversioned buckets.
    let target = ctx.dst(&e.dst_bucket);
    let dst = ctx.call(|| target.head(&e.dst_key, None)).await?;
    if dst.size != e.size {
        return Err(verify_failed(format!(
            "destination has {} bytes, source {}",
            dst.size, e.size
        )));
    }
    let src = match src_props {
        Some(p) => p.clone(),
        None => {
            let src = ctx.src(&e.src_bucket);
            ctx.call(|| src.head(&e.src_key, source.version_id.as_deref()))
                .await?
        }
    };
    if source.etag.is_some() && plain(&src.etag) != plain(&source.etag) {
        // The source HEAD sees a newer object than the one copied: nothing
        // about the copy can be checked against it.
        return Err(S3Error::new(
            ErrorKind::PreconditionFailed,
            "source changed after its copy (ETag no longer matches); copy kept, source kept",
        ));
    }
    // What S3 said it wrote counts too: an MD5 source and an MD5 answer
    // that differ mean a different object, whatever a later HEAD shows.
    if src.etag_is_md5()
        && written.etag_can_be_md5()
        && md5_like(&written.etag)
        && plain(&src.etag) != plain(&written.etag)
    {
        return Err(verify_failed(format!(
            "destination ETag {:?} differs from source {:?}",
            written.etag, src.etag
        )));
    }
    if let (Some((sa, sv)), Some((da, dv))) = (src.checksum.clone(), dst.checksum.clone()) {
        if sa == da {
            if sv != dv {
                return Err(verify_failed(format!(
                    "{sa} checksum differs ({sv} vs {dv})"
                )));
            }
            return Ok(format!("checksum {sa}"));
        }
    }
    if src.etag_is_md5() && dst.etag_is_md5() {
        if plain(&src.etag) != plain(&dst.etag) {
            return Err(verify_failed(format!(
                "destination ETag {:?} differs from source {:?}",
                dst.etag, src.etag
            )));
        }
        return Ok("etag".into());
    }
    Ok("size".into())
}

/// The source's properties and tags; `true` when the tags were not readable.
async fn source_props(ctx: &Ctx, e: &NewEntry) -> S3Result<(WriteProps, bool)> {
    let props = head_source(ctx, e, e.version_id.as_deref()).await?;
    let version = pinned_version(e, props.version_id.as_deref()).map(str::to_string);
    let (tagging, tags_denied) = ctx.source_tags(e, version.as_deref()).await?;
    let lock = ctx.run.preserve_lock.then(|| props.lock.clone());
    Ok((
        WriteProps {
            sse: ctx.sse_for(Some(&props)),
            props,
            tagging,
            storage_class: wanted_class(ctx, e),
            lock,
        },
        tags_denied,
    ))
}

fn ranges(size: u64, part: u64) -> Vec<(i32, u64, u64)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut n = 1;
    while start < size {
        let end = (start + part).min(size) - 1;
        out.push((n, start, end));
        start = end + 1;
        n += 1;
    }
    out
}

/// Not every server honours CopySourceIfMatch / If-Match on parts: check the
/// source once more before completing, so a changed source never yields an
/// object made of old and new parts.
async fn source_unchanged(
    ctx: &Ctx,
    e: &NewEntry,
    w: &WriteProps,
    version: Option<&str>,
) -> S3Result<()> {
    let src = ctx.src(&e.src_bucket);
    let now = ctx.call(|| src.head(&e.src_key, version)).await?;
    if plain(&now.etag) != plain(&w.props.etag) || now.size != w.props.size {
        return Err(S3Error::new(
            ErrorKind::PreconditionFailed,
            "source changed during copy (its ETag changed); the upload was aborted",
        ));
    }
    Ok(())
}

/// Run the parts of a multipart upload; abort it on any failure, and when
/// the job is aborted (the parts in flight are dropped).
async fn with_upload<F, Fut>(
    ctx: &Ctx,
    e: &NewEntry,
    w: &WriteProps,
    version: Option<&str>,
    parts: F,
) -> S3Result<WriteResult>
where
    F: FnOnce(Upload) -> Fut,
    Fut: Future<Output = S3Result<Vec<CompletedPart>>>,
{
    let key = e.dst_key.as_str();
    let target = ctx.dst(&e.dst_bucket);
    let upload = super::uploads::create(ctx, &target, key, w).await?;
    let upload_id = upload.id.clone();
    let sent = tokio::select! {
        biased;
        _ = ctx.abort.cancelled() => Err(aborted()),
        r = parts(upload) => r,
    };
    let result = match sent {
        Ok(done) => match source_unchanged(ctx, e, w, version).await {
            Ok(()) => super::uploads::complete(ctx, &target, key, &upload_id, done).await,
            Err(err) => Err(err),
        },
        Err(err) => Err(err),
    };
    if result.is_err() {
        super::uploads::abort(ctx, &target, key, &upload_id).await;
    }
    result
}

/// What each part of one multipart copy shares: the pinned source version and
/// ETag, and the upload.
struct PartSource {
    version: Option<String>,
    if_match: Option<String>,
    upload: Upload,
}

impl PartSource {
    /// The pinned source version of `e`, for each part's request.
    fn source<'a>(&'a self, e: &'a NewEntry) -> ObjectRef<'a> {
        ObjectRef::new(&e.src_bucket, &e.src_key, self.version.as_deref())
    }
}

/// One part of a multipart copy: (part number, first byte, last byte) -> the
/// completed part.
type PartFn<'a> =
    dyn Fn(i32, u64, u64, Arc<PartSource>) -> BoxFuture<'a, S3Result<CompletedPart>> + Sync + 'a;

/// Create the upload with the source's properties, run the parts in
/// parallel, complete (or abort), then verify.
async fn multipart<'a>(
    ctx: &'a Ctx,
    e: &'a NewEntry,
    parallel: usize,
    part: &'a PartFn<'a>,
    size_only_label: &str,
) -> S3Result<Copied> {
    let (w, tags_denied) = source_props(ctx, e).await?;
    let version = pinned_version(e, w.props.version_id.as_deref()).map(str::to_string);
    let if_match = w.props.etag.clone();
    let part_size = ctx.part_size(e.size);
    let r = with_upload(ctx, e, &w, version.as_deref(), |upload| {
        let shared = Arc::new(PartSource {
            version: version.clone(),
            if_match: if_match.clone(),
            upload,
        });
        async move {
            let results: Vec<S3Result<CompletedPart>> =
                futures::stream::iter(ranges(e.size, part_size))
                    .map(|(n, a, b)| part(n, a, b, shared.clone()))
                    .buffer_unordered(parallel)
                    .collect()
                    .await;
            results.into_iter().collect()
        }
    })
    .await?;
    let source = CopiedSource {
        version_id: version,
        etag: w.props.etag.clone(),
    };
    // A multipart ETag (`…-N`) is not the source's MD5: only HEAD tells.
    let written = WriteResult {
        etag: None,
        ..r.clone()
    };
    let verify = verify_by_head(ctx, e, Some(&w.props), &source, &written).await?;
    let verify = if verify == "size" {
        size_only_label.to_string()
    } else {
        verify
    };
    Ok(Copied {
        verify: with_tags_note(verify, tags_denied),
        dst_version: r.version_id,
        source,
    })
}

async fn multipart_copy(ctx: &Ctx, e: &NewEntry) -> S3Result<Copied> {
    let part =
        |n: i32, a: u64, b: u64, s: Arc<PartSource>| -> BoxFuture<'_, S3Result<CompletedPart>> {
            Box::pin(async move {
                let (src, dst) = (s.source(e), ctx.dst(&e.dst_bucket));
                let (key, id) = (e.dst_key.as_str(), s.upload.id.as_str());
                ctx.call(|| dst.upload_part_copy(src, key, id, n, (a, b), s.if_match.as_deref()))
                    .await
            })
        };
    multipart(
        ctx,
        e,
        PART_CONCURRENCY,
        &part,
        "size (source pinned by ETag)",
    )
    .await
}

async fn budget(ctx: &Ctx, bytes: u64) -> Option<tokio::sync::OwnedSemaphorePermit> {
    let kib = (bytes.div_ceil(1024) as usize).clamp(1, STREAM_BUDGET_KIB) as u32;
    ctx.bytes_budget.clone().acquire_many_owned(kib).await.ok()
}

async fn streamed_single(ctx: &Ctx, e: &NewEntry) -> S3Result<Copied> {
    // Tags first: a failure there should not cost a whole download.
    let (tagging, tags_denied) = ctx.source_tags(e, e.version_id.as_deref()).await?;
    let _mem = budget(ctx, e.size).await;
    let src = ctx.src(&e.src_bucket);
    let (props, data) = ctx
        .call(|| src.get_with_props(&e.src_key, e.version_id.as_deref(), e.etag.as_deref()))
        .await?;
    if data.len() as u64 != props.size {
        return Err(verify_failed(format!(
            "read {} bytes of {}",
            data.len(),
            props.size
        )));
    }
    let ours = body_md5_off_runtime(data.clone()).await;
    if props.etag_is_md5() && plain(&props.etag) != plain(&Some(ours.quoted.clone())) {
        return Err(verify_failed(
            "the bytes read do not match the source ETag".into(),
        ));
    }
    let source = CopiedSource {
        version_id: pinned_version(e, props.version_id.as_deref()).map(str::to_string),
        etag: props.etag.clone(),
    };
    let w = WriteProps {
        sse: ctx.sse_for(Some(&props)),
        lock: ctx.run.preserve_lock.then(|| props.lock.clone()),
        props,
        tagging,
        storage_class: wanted_class(ctx, e),
    };
    let dst = ctx.dst(&e.dst_bucket);
    let r = ctx
        .call(|| dst.put_object(&e.dst_key, data.clone(), Some(ours.base64.clone()), &w))
        .await?;
    // S3 checked the bytes against Content-MD5 on arrival.
    let verify = if md5_like(&r.etag) && r.etag_can_be_md5() {
        if plain(&r.etag) != plain(&Some(ours.quoted)) {
            return Err(verify_failed(
                "destination ETag differs from the MD5 of the bytes sent".into(),
            ));
        }
        if w.props.etag_is_md5() {
            "md5 end to end"
        } else {
            "md5 of bytes sent"
        }
        .to_string()
    } else {
        verify_by_head(ctx, e, Some(&w.props), &source, &r).await?
    };
    Ok(Copied {
        verify: with_tags_note(verify, tags_denied),
        dst_version: r.version_id,
        source,
    })
}

async fn streamed_multipart(ctx: &Ctx, e: &NewEntry) -> S3Result<Copied> {
    let part =
        |n: i32, a: u64, b: u64, s: Arc<PartSource>| -> BoxFuture<'_, S3Result<CompletedPart>> {
            Box::pin(async move {
                let (src, dst) = (s.source(e), ctx.dst(&e.dst_bucket));
                let src_bucket = ctx.src(src.bucket);
                let _mem = budget(ctx, b - a + 1).await;
                let data = ctx
                    .call(|| {
                        src_bucket.get_range(
                            src.key,
                            src.version_id,
                            Some((a, b)),
                            s.if_match.as_deref(),
                        )
                    })
                    .await?;
                if data.len() as u64 != b - a + 1 {
                    return Err(verify_failed(format!(
                        "part {n}: read {} bytes of {}",
                        data.len(),
                        b - a + 1
                    )));
                }
                // Content-MD5 lets S3 reject a damaged part (and Object Lock
                // buckets with default retention require it).
                let ours = body_md5_off_runtime(data.clone()).await;
                let (key, id) = (e.dst_key.as_str(), s.upload.id.as_str());
                let p = ctx
                    .call(|| dst.upload_part(key, id, n, data.clone(), Some(ours.base64.clone())))
                    .await?;
                if s.upload.part_etags_md5
                    && p.etag.as_deref().is_some_and(|t| t.len() == 34)
                    && p.etag.as_deref() != Some(ours.quoted.as_str())
                {
                    return Err(verify_failed(format!(
                        "part {n}: ETag differs from the MD5 of the bytes sent"
                    )));
                }
                Ok(p)
            })
        };
    multipart(ctx, e, STREAM_PART_CONCURRENCY, &part, "size + part md5s").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_ranges_cover_everything() {
        assert_eq!(ranges(10, 4), vec![(1, 0, 3), (2, 4, 7), (3, 8, 9)]);
        assert_eq!(ranges(8, 4), vec![(1, 0, 3), (2, 4, 7)]);
        assert!(ranges(0, 4).is_empty());
    }

    #[test]
    fn md5_detection() {
        assert!(md5_like(&Some(
            "\"0123456789abcdef0123456789abcdef\"".into()
        )));
        assert!(!md5_like(&Some(
            "\"0123456789abcdef0123456789abcdef-2\"".into()
        )));
        assert!(!md5_like(&None));
    }
}
