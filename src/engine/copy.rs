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

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use aws_sdk_s3::types::CompletedPart;
use aws_sdk_s3::Client;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::StreamExt;
use md5::{Digest, Md5};
use tokio::sync::Semaphore;

use super::limiter::Limiter;
use super::model::RunOptions;
use super::retry::{backoff, is_throttle, MAX_ATTEMPTS};
use crate::journal::NewEntry;
use crate::s3::direct::DirectCopy;
use crate::s3::ops::{self, WriteProps, WriteResult};
use crate::s3::{ErrorKind, ObjectProps, S3Error, S3Result};

/// S3's limit for a single CopyObject / PutObject.
pub const MAX_SINGLE: u64 = 5 * 1024 * 1024 * 1024;
pub const MIN_PART: u64 = 5 * 1024 * 1024;
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
}

/// Shared by all copies of one job run.
pub struct Ctx {
    /// Clients for each source bucket's region (data plane: no SDK retries).
    pub src: std::collections::HashMap<String, Client>,
    pub dst: Client,
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
}

impl Ctx {
    /// One S3 call with retries; throttling lowers the job's concurrency.
    pub async fn call<T, F, Fut>(&self, mut f: F) -> S3Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = S3Result<T>>,
    {
        let mut attempt = 0;
        loop {
            match f().await {
                Ok(v) => {
                    if let Some(n) = self.limiter.on_success() {
                        tracing::debug!(concurrency = n, "raising concurrency");
                    }
                    return Ok(v);
                }
                Err(e) if e.is_retryable() && attempt + 1 < MAX_ATTEMPTS => {
                    if is_throttle(&e) {
                        if let Some(n) = self.limiter.on_throttle() {
                            (self.on_throttle)(n);
                        }
                    }
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The source's tags for the `x-amz-tagging` header. Credentials that may
    /// read objects but not their tags (a read-only cross-account policy;
    /// Garage for non-owner keys) copy the object without them, saying so
    /// once in the log and on every object it concerns.
    async fn source_tags(&self, e: &NewEntry) -> S3Result<(Option<String>, bool)> {
        let src = self.src(&e.src_bucket);
        match self
            .call(|| ops::get_tagging(src, &e.src_bucket, &e.src_key, e.version_id.as_deref()))
            .await
        {
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

    fn src(&self, bucket: &str) -> &Client {
        // Every source bucket gets a client before the run starts; the
        // destination's is a safe fallback for a single-store copy.
        self.src.get(bucket).unwrap_or(&self.dst)
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
}

fn quoted_md5(data: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Md5::digest(data)))
}

/// The MD5 of a streamed body, hashed on the blocking pool: a 64 MiB part is
/// about 100 ms of CPU, which on a runtime worker would stall every other
/// transfer that worker drives.
async fn quoted_md5_off_runtime(data: Bytes) -> String {
    if data.len() < 1 << 20 {
        return quoted_md5(&data);
    }
    let copy = data.clone();
    match tokio::task::spawn_blocking(move || quoted_md5(&copy)).await {
        Ok(h) => h,
        Err(_) => quoted_md5(&data),
    }
}

fn plain(e: &Option<String>) -> Option<&str> {
    e.as_deref().map(|e| e.trim_matches('"'))
}

fn md5_like(e: &Option<String>) -> bool {
    plain(e).is_some_and(|e| e.len() == 32 && !e.contains('-'))
}

fn verify_failed(what: String) -> S3Error {
    S3Error::new(ErrorKind::Other, format!("verification failed: {what}"))
}

/// Copy one entry (an object version, or a delete marker to replay).
pub async fn copy_entry(ctx: &Ctx, e: &NewEntry) -> S3Result<Copied> {
    if e.delete_marker {
        let v = ctx
            .call(|| ops::delete_object(&ctx.dst, &e.dst_bucket, &e.dst_key, None))
            .await?;
        return Ok(Copied {
            verify: "delete marker replayed".into(),
            dst_version: v,
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
        let src = (
            e.src_bucket.as_str(),
            e.src_key.as_str(),
            e.version_id.as_deref(),
        );
        let dst = (e.dst_bucket.as_str(), e.dst_key.as_str());
        let applied = ctx
            .call(|| ops::copy_acl(ctx.src(&e.src_bucket), src, &ctx.dst, dst))
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

async fn single_copy(ctx: &Ctx, e: &NewEntry) -> S3Result<Copied> {
    let src = (
        e.src_bucket.as_str(),
        e.src_key.as_str(),
        e.version_id.as_deref(),
    );
    let dst = (e.dst_bucket.as_str(), e.dst_key.as_str());
    // CopyObject resets the storage class to STANDARD; keeping another one (or
    // overriding it) needs the properties restated with REPLACE.
    let replace = match wanted_class(ctx, e) {
        Some(class) => {
            let props = ctx
                .call(|| ops::head_object(ctx.src(&e.src_bucket), src.0, src.1, src.2))
                .await?;
            let tagging = None; // tags stay with TaggingDirective COPY
            Some(WriteProps {
                props,
                tagging,
                storage_class: Some(class),
            })
        }
        None => None,
    };
    let direct = match (&ctx.dst_direct, &replace) {
        (Some(d), None) => d.endpoint(dst.0).await.map(|ep| (d, ep)),
        _ => None,
    };
    let r: WriteResult = match direct {
        Some((d, ep)) => {
            ctx.call(|| d.copy_object(&ep, src, dst, e.etag.as_deref()))
                .await?
        }
        None => {
            ctx.call(|| ops::copy_object(&ctx.dst, src, dst, e.etag.as_deref(), replace.as_ref()))
                .await?
        }
    };
    let verify = if md5_like(&e.etag) && md5_like(&r.etag) {
        if plain(&e.etag) != plain(&r.etag) {
            return Err(verify_failed(format!(
                "destination ETag {:?} differs from source {:?}",
                r.etag, e.etag
            )));
        }
        "etag".to_string()
    } else {
        verify_by_head(ctx, e, None).await?
    };
    Ok(Copied {
        verify,
        dst_version: r.version_id,
    })
}

/// Compare the destination with the source by HEAD: full-object checksums when
/// both have the same kind, else size.
async fn verify_by_head(
    ctx: &Ctx,
    e: &NewEntry,
    src_props: Option<&ObjectProps>,
) -> S3Result<String> {
    let dst = ctx
        .call(|| ops::head_object(&ctx.dst, &e.dst_bucket, &e.dst_key, None))
        .await?;
    if dst.size != e.size {
        return Err(verify_failed(format!(
            "destination has {} bytes, source {}",
            dst.size, e.size
        )));
    }
    let src_props = match src_props {
        Some(p) => Some(p.clone()),
        None if dst.checksum.is_some() => Some(
            ctx.call(|| {
                ops::head_object(
                    ctx.src(&e.src_bucket),
                    &e.src_bucket,
                    &e.src_key,
                    e.version_id.as_deref(),
                )
            })
            .await?,
        ),
        None => None,
    };
    if let (Some((sa, sv)), Some((da, dv))) = (
        src_props.as_ref().and_then(|p| p.checksum.clone()),
        dst.checksum,
    ) {
        if sa == da {
            if sv != dv {
                return Err(verify_failed(format!(
                    "{sa} checksum differs ({sv} vs {dv})"
                )));
            }
            return Ok(format!("checksum {sa}"));
        }
    }
    if md5_like(&e.etag) && md5_like(&dst.etag) {
        if plain(&e.etag) != plain(&dst.etag) {
            return Err(verify_failed(format!(
                "destination ETag {:?} differs from source {:?}",
                dst.etag, e.etag
            )));
        }
        return Ok("etag".into());
    }
    Ok("size".into())
}

/// The source's properties and tags; `true` when the tags were not readable.
async fn source_props(ctx: &Ctx, e: &NewEntry) -> S3Result<(WriteProps, bool)> {
    let src = (
        e.src_bucket.as_str(),
        e.src_key.as_str(),
        e.version_id.as_deref(),
    );
    let props = ctx
        .call(|| ops::head_object(ctx.src(&e.src_bucket), src.0, src.1, src.2))
        .await?;
    if e.etag.is_some() && plain(&props.etag) != plain(&e.etag) {
        return Err(S3Error::new(
            ErrorKind::PreconditionFailed,
            "source changed since it was listed (ETag no longer matches)",
        ));
    }
    let (tagging, tags_denied) = ctx.source_tags(e).await?;
    Ok((
        WriteProps {
            props,
            tagging,
            storage_class: wanted_class(ctx, e),
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

/// Run the parts of a multipart upload; abort it on any failure.
/// Not every server honours CopySourceIfMatch / If-Match on parts: check the
/// source once more before completing, so a changed source never yields an
/// object made of old and new parts.
async fn source_unchanged(ctx: &Ctx, e: &NewEntry, w: &WriteProps) -> S3Result<()> {
    let now = ctx
        .call(|| {
            ops::head_object(
                ctx.src(&e.src_bucket),
                &e.src_bucket,
                &e.src_key,
                e.version_id.as_deref(),
            )
        })
        .await?;
    if plain(&now.etag) != plain(&w.props.etag) || now.size != w.props.size {
        return Err(S3Error::new(
            ErrorKind::PreconditionFailed,
            "source changed during copy (its ETag changed); the upload was aborted",
        ));
    }
    Ok(())
}

async fn with_upload<F, Fut>(
    ctx: &Ctx,
    e: &NewEntry,
    w: &WriteProps,
    parts: F,
) -> S3Result<WriteResult>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = S3Result<Vec<CompletedPart>>>,
{
    let (bucket, key) = (e.dst_bucket.as_str(), e.dst_key.as_str());
    let upload_id = ctx
        .call(|| ops::create_multipart(&ctx.dst, bucket, key, w))
        .await?;
    let result = match parts(upload_id.clone()).await {
        Ok(done) => match source_unchanged(ctx, e, w).await {
            Ok(()) => {
                ctx.call(|| {
                    ops::complete_multipart(&ctx.dst, (bucket, key, &upload_id), done.clone())
                })
                .await
            }
            Err(err) => Err(err),
        },
        Err(err) => Err(err),
    };
    if result.is_err() {
        if let Err(abort) = ctx
            .call(|| ops::abort_multipart(&ctx.dst, bucket, key, &upload_id))
            .await
        {
            tracing::warn!(%bucket, %key, error = %abort, "could not abort multipart upload");
        }
    }
    result
}

/// One part of a multipart copy: (part number, first byte, last byte,
/// source ETag to pin, upload id) -> the completed part.
type PartFn<'a> = dyn Fn(i32, u64, u64, Option<String>, String) -> BoxFuture<'a, S3Result<CompletedPart>>
    + Sync
    + 'a;

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
    let if_match = w.props.etag.clone();
    let part_size = ctx.part_size(e.size);
    let r = with_upload(ctx, e, &w, |upload_id| async move {
        let results: Vec<S3Result<CompletedPart>> =
            futures::stream::iter(ranges(e.size, part_size))
                .map(|(n, a, b)| part(n, a, b, if_match.clone(), upload_id.clone()))
                .buffer_unordered(parallel)
                .collect()
                .await;
        results.into_iter().collect()
    })
    .await?;
    let verify = verify_by_head(ctx, e, Some(&w.props)).await?;
    let verify = if verify == "size" {
        size_only_label.to_string()
    } else {
        verify
    };
    Ok(Copied {
        verify: with_tags_note(verify, tags_denied),
        dst_version: r.version_id,
    })
}

async fn multipart_copy(ctx: &Ctx, e: &NewEntry) -> S3Result<Copied> {
    let src = (
        e.src_bucket.as_str(),
        e.src_key.as_str(),
        e.version_id.as_deref(),
    );
    let part = |n: i32,
                a: u64,
                b: u64,
                if_match: Option<String>,
                upload_id: String|
     -> BoxFuture<'_, S3Result<CompletedPart>> {
        Box::pin(async move {
            let dst = (
                e.dst_bucket.as_str(),
                e.dst_key.as_str(),
                upload_id.as_str(),
            );
            ctx.call(|| ops::upload_part_copy(&ctx.dst, src, dst, n, (a, b), if_match.as_deref()))
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
    let (tagging, tags_denied) = ctx.source_tags(e).await?;
    let _mem = budget(ctx, e.size).await;
    let src = (
        e.src_bucket.as_str(),
        e.src_key.as_str(),
        e.version_id.as_deref(),
    );
    let (props, data) = ctx
        .call(|| ops::get_with_props(ctx.src(&e.src_bucket), src, e.etag.as_deref()))
        .await?;
    if data.len() as u64 != props.size {
        return Err(verify_failed(format!(
            "read {} bytes of {}",
            data.len(),
            props.size
        )));
    }
    let ours = quoted_md5_off_runtime(data.clone()).await;
    if md5_like(&props.etag) && plain(&props.etag) != plain(&Some(ours.clone())) {
        return Err(verify_failed(
            "the bytes read do not match the source ETag".into(),
        ));
    }
    let w = WriteProps {
        props,
        tagging,
        storage_class: wanted_class(ctx, e),
    };
    let r = ctx
        .call(|| ops::put_object(&ctx.dst, &e.dst_bucket, &e.dst_key, data.clone(), &w))
        .await?;
    let verify = if md5_like(&r.etag) {
        if plain(&r.etag) != plain(&Some(ours)) {
            return Err(verify_failed(
                "destination ETag differs from the MD5 of the bytes sent".into(),
            ));
        }
        if md5_like(&w.props.etag) {
            "md5 end to end"
        } else {
            "md5 of bytes sent"
        }
        .to_string()
    } else {
        verify_by_head(ctx, e, None).await?
    };
    Ok(Copied {
        verify: with_tags_note(verify, tags_denied),
        dst_version: r.version_id,
    })
}

async fn streamed_multipart(ctx: &Ctx, e: &NewEntry) -> S3Result<Copied> {
    let src = (
        e.src_bucket.as_str(),
        e.src_key.as_str(),
        e.version_id.as_deref(),
    );
    let part = |n: i32,
                a: u64,
                b: u64,
                if_match: Option<String>,
                upload_id: String|
     -> BoxFuture<'_, S3Result<CompletedPart>> {
        Box::pin(async move {
            let dst = (
                e.dst_bucket.as_str(),
                e.dst_key.as_str(),
                upload_id.as_str(),
            );
            let _mem = budget(ctx, b - a + 1).await;
            let data = ctx
                .call(|| {
                    ops::get_range(
                        ctx.src(&e.src_bucket),
                        src,
                        Some((a, b)),
                        if_match.as_deref(),
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
            // Hash while the part uploads; the check needs both.
            let (ours, p) = tokio::join!(
                quoted_md5_off_runtime(data.clone()),
                ctx.call(|| ops::upload_part(&ctx.dst, dst, n, data.clone()))
            );
            let p = p?;
            if p.e_tag().is_some_and(|t| t.len() == 34) && p.e_tag() != Some(ours.as_str()) {
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
