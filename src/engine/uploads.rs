//! The life of a multipart upload, so none is left behind unbilled-for:
//! created and journaled before any part is sent, forgotten when completed or
//! aborted; a CreateMultipartUpload whose answer was lost (the upload exists,
//! its id never arrived) found by listing and aborted; uploads a stopped or
//! killed job left open aborted when it resumes or is cancelled, and by
//! `s3ferry cleanup`.
//!
//! "Ours" means recorded in this journal. For a lost answer there is no
//! record: S3 tags an upload with no owner but the account, so an upload of
//! the very same key initiated while our attempts ran is taken to be ours,
//! but only when there are no more such uploads than attempts that may have
//! made one, and only while they hold no part (ours never got one). More
//! means another writer is uploading the key too, and then none is touched:
//! aborting someone else's upload destroys their work.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use super::copy::Ctx;
use super::retry::with_retries;
use crate::journal::{Journal, UploadRecord};
use crate::s3::{Bucket, CompletedPart, ErrorKind, S3Error, S3Result, Upload, WriteProps};
use crate::s3::{OpenUpload, WriteResult};

/// Server clocks in `Initiated` may be whole seconds (and a little apart
/// from ours on one machine): an upload initiated this much before our
/// attempt began still counts as the attempt's.
const INITIATED_SLACK_SECS: i64 = 2;

/// Whether a failed request may still have been carried out by the server:
/// no answer at all, or a server error (S3 may have acted before failing).
fn may_have_acted(e: &S3Error) -> bool {
    match e.status {
        None => e.kind != ErrorKind::Unreachable,
        Some(s) => s >= 500,
    }
}

fn gone(e: &S3Error) -> bool {
    e.code.as_deref() == Some("NoSuchUpload") || e.status == Some(404)
}

/// CreateMultipartUpload, journaled before the caller sends a part. An
/// attempt whose answer did not come (or came as a server error) may have
/// created an upload anyway: those are looked for and aborted.
pub(crate) async fn create(
    ctx: &Ctx,
    target: &Bucket,
    key: &str,
    w: &WriteProps,
) -> S3Result<Upload> {
    let began = chrono::Utc::now();
    // Set while an attempt waits for its answer: an attempt dropped by an
    // abort never clears it.
    let (waiting, uncertain) = (&AtomicBool::new(false), &AtomicUsize::new(0));
    let result = ctx
        .call(|| async move {
            waiting.store(true, Ordering::SeqCst);
            let r = target.create_multipart(key, w).await;
            waiting.store(false, Ordering::SeqCst);
            if let Err(e) = &r {
                if may_have_acted(e) {
                    uncertain.fetch_add(1, Ordering::SeqCst);
                }
            }
            r
        })
        .await;
    if let Ok(u) = &result {
        let (journal, job) = (ctx.journal.clone(), ctx.job);
        let (b, k, id) = (target.name().to_string(), key.to_string(), u.id.clone());
        let recorded = journal
            .off_runtime(move |j| j.add_upload(job, &b, &k, &id))
            .await;
        if let Err(e) = recorded {
            // Not journaled, not sent: abort it now rather than leave an
            // upload nobody can find.
            abort(ctx, target, key, &u.id).await;
            return Err(S3Error::new(
                ErrorKind::Other,
                format!("cannot journal the multipart upload: {e}"),
            ));
        }
    }
    let lost = uncertain.load(Ordering::SeqCst) + usize::from(waiting.load(Ordering::SeqCst));
    if lost > 0 {
        let ours = result.as_ref().ok().map(|u| u.id.as_str());
        abort_lost(ctx, target, key, ours, Window::since(began, lost)).await;
    }
    result
}

/// CompleteMultipartUpload; the upload is forgotten once it succeeded.
pub(crate) async fn complete(
    ctx: &Ctx,
    target: &Bucket,
    key: &str,
    upload_id: &str,
    parts: Vec<CompletedPart>,
) -> S3Result<WriteResult> {
    let r = ctx
        .call(|| target.complete_multipart(key, upload_id, parts.clone()))
        .await?;
    forget(&ctx.journal, target.name(), key, upload_id).await;
    Ok(r)
}

/// AbortMultipartUpload, also after the job was aborted (bounded in time);
/// forgotten when done or already gone, kept in the journal otherwise.
pub(crate) async fn abort(ctx: &Ctx, target: &Bucket, key: &str, upload_id: &str) {
    match ctx
        .cleanup_call(|| target.abort_multipart(key, upload_id))
        .await
    {
        Ok(()) => forget(&ctx.journal, target.name(), key, upload_id).await,
        Err(e) if gone(&e) => forget(&ctx.journal, target.name(), key, upload_id).await,
        Err(e) => tracing::warn!(bucket = %target.name(), %key, error = %e,
            "could not abort multipart upload; it stays journaled (s3ferry cleanup aborts it)"),
    }
}

async fn forget(journal: &Arc<Journal>, bucket: &str, key: &str, upload_id: &str) {
    let (b, k, u) = (bucket.to_string(), key.to_string(), upload_id.to_string());
    if let Err(e) = journal
        .off_runtime(move |j| j.remove_upload(&b, &k, &u))
        .await
    {
        tracing::warn!(%bucket, %key, "could not forget a finished multipart upload: {e}");
    }
}

/// When the attempts of one CreateMultipartUpload ran, and how many of
/// them may have created an upload without its id reaching us.
#[derive(Debug, Clone, Copy)]
struct Window {
    began: chrono::DateTime<chrono::Utc>,
    ended: chrono::DateTime<chrono::Utc>,
    attempts: usize,
}

impl Window {
    fn since(began: chrono::DateTime<chrono::Utc>, attempts: usize) -> Window {
        Window {
            began,
            ended: chrono::Utc::now(),
            attempts,
        }
    }
}

/// Which uploads of exactly `key` to abort as the lost ones: those
/// initiated within the window, other than `ours`, and none at all when
/// there are more of them than attempts that may have made one (another
/// writer's upload is among them and nothing tells which).
fn lost_ones<'a>(
    open: &'a [OpenUpload],
    key: &str,
    ours: Option<&str>,
    w: Window,
) -> Result<Vec<&'a OpenUpload>, Vec<&'a OpenUpload>> {
    let since = w.began.timestamp() - INITIATED_SLACK_SECS;
    let until = w.ended.timestamp() + INITIATED_SLACK_SECS;
    let found: Vec<&OpenUpload> = open
        .iter()
        .filter(|u| u.key == key && Some(u.upload_id.as_str()) != ours)
        .filter(|u| {
            u.initiated
                .is_some_and(|t| (since..=until).contains(&t.timestamp()))
        })
        .collect();
    if found.len() > w.attempts {
        Err(found)
    } else {
        Ok(found)
    }
}

/// After a CreateMultipartUpload whose answer was lost: list the key's
/// uploads and abort those this attempt made. They are not journaled: an
/// id we only guess is ours must never reach `resume` or `cleanup`.
async fn abort_lost(ctx: &Ctx, target: &Bucket, key: &str, ours: Option<&str>, w: Window) {
    let open = match ctx.cleanup_call(|| target.open_uploads(key)).await {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(bucket = %target.name(), %key, error = %e,
                "a CreateMultipartUpload answer was lost and its upload could not be looked for");
            return;
        }
    };
    let lost = match lost_ones(&open, key, ours, w) {
        Ok(lost) => lost,
        Err(many) => {
            let ids: Vec<&str> = many.iter().map(|u| u.upload_id.as_str()).collect();
            tracing::warn!(bucket = %target.name(), %key, uploads = ?ids,
                "a CreateMultipartUpload answer was lost, and more uploads of this key were started meanwhile than s3ferry may have made: another writer is uploading it, so none is aborted");
            return;
        }
    };
    for u in lost {
        // Ours never got a part (its id never reached us): one with parts
        // is certainly another writer's. Unknown is left alone too.
        match ctx
            .cleanup_call(|| target.upload_has_parts(key, &u.upload_id))
            .await
        {
            Ok(false) => {}
            Ok(true) => {
                tracing::warn!(bucket = %target.name(), %key, upload = %u.upload_id,
                    "an upload of this key holds parts s3ferry never sent: another writer's, left alone");
                continue;
            }
            Err(e) => {
                tracing::warn!(bucket = %target.name(), %key, upload = %u.upload_id, error = %e,
                    "cannot tell whether an upload of a lost CreateMultipartUpload answer is ours; left alone");
                continue;
            }
        }
        tracing::info!(bucket = %target.name(), %key, upload = %u.upload_id,
            "aborting the upload of a CreateMultipartUpload whose answer was lost");
        match ctx
            .cleanup_call(|| target.abort_multipart(key, &u.upload_id))
            .await
        {
            Ok(()) => {}
            Err(e) if gone(&e) => {}
            Err(e) => tracing::warn!(bucket = %target.name(), %key, upload = %u.upload_id,
                error = %e, "could not abort the upload of a lost CreateMultipartUpload answer; abort it by hand"),
        }
    }
}

/// What aborting recorded uploads came to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Aborted {
    /// Aborted now, or already gone (completed or aborted elsewhere).
    pub done: Vec<UploadRecord>,
    /// Could not be aborted (they stay journaled), with the reason.
    pub failed: Vec<(UploadRecord, String)>,
}

/// Abort recorded uploads in `bucket` (on its connection) and forget them.
pub async fn abort_recorded(
    journal: &Arc<Journal>,
    bucket: &Bucket,
    records: Vec<UploadRecord>,
) -> Aborted {
    let mut out = Aborted::default();
    for r in records {
        let target = bucket.for_name(&r.bucket);
        let result = with_retries(|| target.abort_multipart(&r.key, &r.upload_id)).await;
        match result {
            Err(e) if !gone(&e) => out.failed.push((r, e.message)),
            _ => {
                forget(journal, &r.bucket, &r.key, &r.upload_id).await;
                out.done.push(r);
            }
        }
    }
    out
}

/// Abort what a job's earlier runs left open (before a resumed run starts).
pub(crate) async fn abort_left_by_job(journal: &Arc<Journal>, job: i64, dst: &Bucket) {
    let left = match journal.off_runtime(move |j| j.job_uploads(job)).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(job, "cannot read the job's multipart uploads: {e}");
            return;
        }
    };
    if left.is_empty() {
        return;
    }
    let r = abort_recorded(journal, dst, left).await;
    tracing::info!(
        job,
        aborted = r.done.len(),
        failed = r.failed.len(),
        "aborted multipart uploads an earlier run left open"
    );
    for (u, why) in r.failed {
        tracing::warn!(job, key = %u.key, upload = %u.upload_id, "could not abort: {why}");
    }
}

/// `s3ferry cleanup`: the open uploads under a prefix, split into those this
/// journal recorded (aborted unless `dry_run`) and the others (left alone).
#[derive(Debug, Default)]
pub struct Cleanup {
    pub ours: Vec<UploadRecord>,
    pub aborted: Aborted,
    pub foreign: Vec<OpenUpload>,
}

pub async fn cleanup(
    journal: &Arc<Journal>,
    bucket: &Bucket,
    prefix: &str,
    dry_run: bool,
) -> S3Result<Cleanup> {
    let open = with_retries(|| bucket.open_uploads(prefix)).await?;
    let (name, p) = (bucket.name().to_string(), prefix.to_string());
    let recorded = journal
        .off_runtime(move |j| j.bucket_uploads(&name, &p))
        .await
        .map_err(|e| S3Error::new(ErrorKind::Other, e.to_string()))?;
    let mut out = Cleanup::default();
    for u in open {
        let rec = recorded
            .iter()
            .find(|r| r.key == u.key && r.upload_id == u.upload_id);
        match rec {
            Some(r) => out.ours.push(r.clone()),
            None => out.foreign.push(u),
        }
    }
    if !dry_run {
        out.aborted = abort_recorded(journal, bucket, out.ours.clone()).await;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::from_timestamp(secs, 0)
    }

    #[test]
    fn lost_uploads_are_the_keys_own_since_the_attempt() {
        let u = |key: &str, id: &str, t: Option<i64>| OpenUpload {
            key: key.into(),
            upload_id: id.into(),
            initiated: t.and_then(at),
        };
        let open = vec![
            u("k", "before", Some(900)),
            u("k", "lost", Some(1000)),
            u("k", "rounded", Some(999)),
            u("k", "mine", Some(1001)),
            u("k/longer", "other-key", Some(1001)),
            u("k", "no-time", None),
        ];
        let began = at(1000).expect("time") + chrono::Duration::milliseconds(500);
        let window = |attempts| Window {
            began,
            ended: at(1003).expect("time"),
            attempts,
        };
        let ids =
            |r: Result<Vec<&OpenUpload>, Vec<&OpenUpload>>| -> Result<Vec<String>, Vec<String>> {
                let names = |v: Vec<&OpenUpload>| v.iter().map(|u| u.upload_id.clone()).collect();
                r.map(names).map_err(names)
            };
        assert_eq!(
            ids(lost_ones(&open, "k", Some("mine"), window(2))),
            Ok(vec!["lost".to_string(), "rounded".to_string()])
        );
        // One attempt cannot have made two uploads: one is another writer's.
        assert_eq!(
            ids(lost_ones(&open, "k", Some("mine"), window(1))),
            Err(vec!["lost".to_string(), "rounded".to_string()])
        );
        // Started after our attempts ended: not ours.
        let late = vec![u("k", "late", Some(1010))];
        assert_eq!(ids(lost_ones(&late, "k", None, window(1))), Ok(vec![]));
    }

    #[test]
    fn only_unanswered_or_server_errors_may_have_acted() {
        let mut e = S3Error::new(ErrorKind::Transient, "reset");
        assert!(may_have_acted(&e));
        e.status = Some(503);
        assert!(may_have_acted(&e));
        e.status = Some(403);
        assert!(!may_have_acted(&e));
        let refused = S3Error::new(ErrorKind::Unreachable, "connection refused");
        assert!(!may_have_acted(&refused));
    }
}
