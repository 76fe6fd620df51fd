//! Deleting what a job removes: a moved source after its copy is verified and
//! journaled, or a destination object `sync --delete` found extraneous.
//!
//! Every delete is conditional on what was verified: exactly the version the
//! copy read, or (without versions) the ETag the copy was pinned to, so a
//! source rewritten after its copy is kept. Servers that ignore or reject
//! the condition are detected once and checked by HEAD before each delete.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::copy::Ctx;
use super::job::JobHandle;
use super::retry::Attempts;
use crate::journal::{CopiedSource, Journal, NewEntry, Outcome};
use crate::s3::{xml_can_carry, Bucket, DeleteKey, ErrorKind, S3Error, S3Result};

mod answer;
use answer::{match_failures, Verdict};

pub const DELETE_BATCH: usize = 1000;

/// One object to delete, and the condition that makes it safe.
pub struct Deletion {
    pub id: i64,
    pub bucket: String,
    pub key: String,
    /// Exactly this version (`null` is the null version).
    pub version_id: Option<String>,
    /// Only while the current object has this ETag.
    pub etag: Option<String>,
    /// The bucket handle the delete is sent through (named `bucket`).
    pub target: Bucket,
    /// A destination object of `sync --delete`, not a moved source.
    pub is_extra: bool,
    /// A source delete marker that is the null version: it holds no data,
    /// and a write while versioning is suspended turns it into an object at
    /// any moment, so it is left in place rather than deleted blind.
    pub null_marker: bool,
    /// The ETag a HEAD found on the addressed object just before the delete
    /// was sent, where the server's own condition cannot be relied on. A
    /// delete sent again after a wait is checked again first.
    checked: Option<String>,
}

impl Deletion {
    /// The delete of a moved source: the version the copy read, else its
    /// pinned ETag. A real version id is immutable and needs no ETag; the
    /// null version can be rewritten, so it carries the ETag too.
    pub fn of_source(id: i64, e: &NewEntry, copied: &CopiedSource, source: &Bucket) -> Deletion {
        let (version_id, etag) = source_condition(e, copied);
        Deletion {
            id,
            bucket: e.src_bucket.clone(),
            key: e.src_key.clone(),
            null_marker: e.delete_marker && version_id.as_deref() == Some("null"),
            version_id,
            etag,
            target: source.for_name(&e.src_bucket).into_owned(),
            is_extra: false,
            checked: None,
        }
    }

    /// The delete of an extraneous destination object, by the ETag listed.
    pub fn of_extra(id: i64, e: &NewEntry, destination: &Bucket) -> Deletion {
        Deletion {
            id,
            bucket: e.dst_bucket.clone(),
            key: e.dst_key.clone(),
            version_id: None,
            etag: e.etag.clone(),
            target: destination.for_name(&e.dst_bucket).into_owned(),
            is_extra: true,
            null_marker: false,
            checked: None,
        }
    }

    fn request(&self) -> DeleteKey {
        DeleteKey {
            key: self.key.clone(),
            version_id: self.version_id.clone(),
            etag: self.etag.clone(),
        }
    }

    fn kept_reason(&self) -> String {
        if self.is_extra {
            "destination changed since it was listed: kept".into()
        } else {
            "source changed after copy: kept".into()
        }
    }

    fn failed_reason(&self, why: &str) -> String {
        if self.is_extra {
            format!("delete failed: {why}")
        } else {
            format!("copied and verified, but deleting the source failed: {why}")
        }
    }
}

/// `(version id, ETag)` a moved source's delete is conditional on: the
/// version the copy read (else the listed one); the ETag unless the version
/// is a real, immutable one.
fn source_condition(e: &NewEntry, copied: &CopiedSource) -> (Option<String>, Option<String>) {
    let version_id = copied.version_id.clone().or_else(|| e.version_id.clone());
    let etag = match version_id.as_deref() {
        Some(v) if v != "null" => None,
        _ => copied.etag.clone().or_else(|| e.etag.clone()),
    };
    (version_id, etag)
}

/// How an endpoint treats `If-Match` on deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conditions {
    Honoured,
    /// Deletes whatever the ETag (the condition is not evaluated).
    Ignored,
    /// Answers an error for any conditional delete.
    Rejected,
    /// The probe could not tell (denied, unreachable): conditions are sent
    /// and each object is also checked by HEAD, as if they were ignored.
    Unknown,
}

/// A key no object can have, for the probe.
fn probe_key() -> String {
    format!(".s3ferry-condition-probe/{}", uuid::Uuid::new_v4().simple())
}

/// Ask the endpoint once, the way deletes are sent (DeleteObjects with an
/// `<ETag>`): a conditional delete of a key that does not exist must fail
/// for that key (404 or 412). Deleted means the condition was ignored (moto
/// does this); a delete marker it may have written is removed again.
pub async fn probe_conditions(ctx: &Ctx, store: &Bucket) -> Conditions {
    let bucket = store.name();
    let key = probe_key();
    let wrong = "\"00000000000000000000000000000000\"";
    // A per-key SlowDown or InternalError says nothing about conditions:
    // ask again, as the batch would.
    let mut attempts = Attempts::with_budget(ctx.run.retry_budget);
    let answer = loop {
        match ctx.call(|| store.delete_objects_one_if(&key, wrong)).await {
            Ok(Err(f)) if attempts.may_retry(f.kind()) => {
                ctx.retries
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(attempts.advance(f.kind())).await;
            }
            answer => break answer,
        }
    };
    match answer {
        Ok(Err(f))
            if matches!(
                f.kind(),
                ErrorKind::NoSuchKey | ErrorKind::PreconditionFailed
            ) =>
        {
            Conditions::Honoured
        }
        // Denied by a policy for this key: says nothing about conditions.
        Ok(Err(f)) if f.kind() == ErrorKind::AccessDenied => Conditions::Unknown,
        Ok(Err(f)) => {
            tracing::debug!(%bucket, "conditional delete probe answered {}", f.message);
            Conditions::Rejected
        }
        Ok(Ok(marker)) => {
            if let Some(v) = marker {
                let _ = store.delete_object(&key, Some(&v)).await;
            }
            Conditions::Ignored
        }
        Err(e) if e.kind == ErrorKind::NotImplemented || e.status == Some(400) => {
            Conditions::Rejected
        }
        // Inconclusive (access denied, network): nothing proves the
        // conditions hold, so every delete is also checked by HEAD.
        Err(e) => {
            tracing::debug!(%bucket, "conditional delete probe inconclusive: {e}");
            Conditions::Unknown
        }
    }
}

/// Deletes in batches, each only after the journal holds the verified copies.
pub async fn delete_worker(
    journal: Arc<Journal>,
    h: Arc<JobHandle>,
    ctx: Arc<Ctx>,
    mut rx: mpsc::Receiver<Deletion>,
) {
    let mut pending: Vec<Deletion> = Vec::new();
    let mut support: HashMap<String, Conditions> = HashMap::new();
    loop {
        let next = if pending.is_empty() {
            rx.recv().await
        } else {
            match tokio::time::timeout(Duration::from_millis(50), rx.recv()).await {
                Ok(v) => v,
                Err(_) => {
                    let batch = std::mem::take(&mut pending);
                    flush_deletes(&journal, &h, &ctx, &mut support, batch).await;
                    continue;
                }
            }
        };
        match next {
            Some(d) => {
                pending.push(d);
                if pending.len() >= DELETE_BATCH {
                    let batch = std::mem::take(&mut pending);
                    flush_deletes(&journal, &h, &ctx, &mut support, batch).await;
                }
            }
            None => {
                let batch = std::mem::take(&mut pending);
                flush_deletes(&journal, &h, &ctx, &mut support, batch).await;
                return;
            }
        }
    }
}

/// A null delete marker is done without a delete (see `Deletion::null_marker`).
fn leave_null_marker(journal: &Journal, h: &JobHandle, d: &Deletion) {
    h.record(journal, d.id, 0, Outcome::NullMarkerLeft);
}

fn finish(journal: &Journal, h: &JobHandle, d: &Deletion, outcome: Result<Option<String>, String>) {
    if outcome.is_err() && h.breaker.stopped() {
        // The job stopped itself: the row stays verified, and `resume`
        // deletes it on the same condition.
        return;
    }
    let outcome = match outcome {
        Ok(note) => Outcome::Deleted { note },
        Err(reason) => {
            tracing::warn!(job = h.id, key = %d.key, "{reason}");
            Outcome::Failed { reason }
        }
    };
    h.record(journal, d.id, 0, outcome);
}

async fn flush_deletes(
    journal: &Arc<Journal>,
    h: &JobHandle,
    ctx: &Ctx,
    support: &mut HashMap<String, Conditions>,
    batch: Vec<Deletion>,
) {
    if batch.is_empty() {
        return;
    }
    if let Err(e) = journal.off_runtime(|j| j.flush()).await {
        // Without a durable "verified" record we must not delete anything.
        for d in &batch {
            finish(
                journal,
                h,
                d,
                Err(format!("source kept: journal write failed: {e}")),
            );
        }
        return;
    }
    let mut by_bucket: HashMap<String, Vec<Deletion>> = HashMap::new();
    for d in batch {
        if d.null_marker {
            leave_null_marker(journal, h, &d);
            continue;
        }
        if d.version_id.is_none() && d.etag.is_none() {
            // Nothing says which object was verified: never delete blind.
            let reason = format!(
                "{}: no version id or ETag to make the delete conditional on",
                if d.is_extra { "kept" } else { "source kept" }
            );
            finish(journal, h, &d, Err(reason));
            continue;
        }
        by_bucket.entry(d.bucket.clone()).or_default().push(d);
    }
    for (bucket, items) in by_bucket {
        let conditions = match support.get(&bucket) {
            Some(c) => *c,
            None => {
                let c = probe_conditions(ctx, &items[0].target.for_name(&bucket)).await;
                if c != Conditions::Honoured {
                    let note = format!(
                        "conditional deletes are {} by this endpoint (s3://{bucket}): each object was checked by HEAD just before its delete",
                        match c {
                            Conditions::Ignored => "ignored",
                            Conditions::Unknown => "not known to be honoured",
                            _ => "not supported",
                        }
                    );
                    tracing::warn!(job = h.id, "{note}");
                    h.add_note(note);
                }
                support.insert(bucket.clone(), c);
                c
            }
        };
        let items = if conditions == Conditions::Honoured {
            settle_null_versions(journal, h, ctx, items).await
        } else {
            // An ignored ETag costs nothing to send; a rejected one fails.
            let keep_etag = conditions != Conditions::Rejected;
            checked_by_head(journal, h, ctx, items, keep_etag).await
        };
        delete_batch(journal, h, ctx, &bucket, items).await;
    }
    if let Err(e) = journal.off_runtime(|j| j.flush()).await {
        tracing::error!(job = h.id, "journal write after delete failed: {e}");
    }
}

/// S3 evaluates a delete's ETag against the key's current version only. A
/// null version that is current keeps its condition; one that is not can
/// only be checked by HEAD of `versionId=null` and is then deleted by
/// version alone (a version that is not current cannot be rewritten
/// without becoming current).
async fn settle_null_versions(
    journal: &Journal,
    h: &JobHandle,
    ctx: &Ctx,
    items: Vec<Deletion>,
) -> Vec<Deletion> {
    let mut out = Vec::with_capacity(items.len());
    let mut check = Vec::new();
    let mut current_etags = HashMap::new();
    for d in items {
        if d.version_id.as_deref() != Some("null") || d.etag.is_none() {
            out.push(d);
            continue;
        }
        let current = ctx.call(|| d.target.head(&d.key, None)).await;
        match current {
            Ok(p) if p.version_id.as_deref().is_none_or(|v| v == "null") => out.push(d),
            // Current is another version: check the null version itself,
            // and pin the delete to the current one.
            Ok(p) => {
                current_etags.insert(d.id, p.etag);
                check.push(d)
            }
            // No current object: a delete marker on top. Only the HEAD of
            // the null version guards its delete.
            Err(e) if e.kind == ErrorKind::NoSuchKey => check.push(d),
            Err(e) => {
                let reason = d.failed_reason(&format!(
                    "cannot read the key's current version: {}",
                    e.message
                ));
                finish(journal, h, &d, Err(reason));
            }
        }
    }
    for mut d in checked_by_head(journal, h, ctx, check, false).await {
        // The server's condition is on the current version: while it is
        // the one just seen, nobody rewrote the null version behind it (a
        // write would have made it current). Behind a delete marker there
        // is no ETag to pin, and only the HEAD guards the delete.
        d.etag = current_etags.remove(&d.id).flatten();
        out.push(d);
    }
    out
}

/// Without server-side conditions: HEAD each object and keep what changed,
/// then delete the rest by version (or plainly). A narrow window remains
/// between the HEAD and the delete; the log and the summary say so.
async fn checked_by_head(
    journal: &Journal,
    h: &JobHandle,
    ctx: &Ctx,
    items: Vec<Deletion>,
    keep_etag: bool,
) -> Vec<Deletion> {
    let mut out = Vec::with_capacity(items.len());
    for mut d in items {
        let Some(want) = d.checked.clone().or_else(|| d.etag.clone()) else {
            out.push(d);
            continue;
        };
        if !keep_etag {
            d.etag = None;
        }
        let head = ctx
            .call(|| d.target.head(&d.key, d.version_id.as_deref()))
            .await;
        match head {
            Ok(p)
                if p.etag.as_deref().map(|t| t.trim_matches('"'))
                    == Some(want.trim_matches('"')) =>
            {
                d.checked = Some(want);
                out.push(d)
            }
            Ok(_) => {
                let reason = d.kept_reason();
                finish(journal, h, &d, Err(reason));
            }
            Err(e) if e.kind == ErrorKind::NoSuchKey => {
                finish(journal, h, &d, Ok(Some("already gone".into())));
            }
            Err(e) => {
                let reason = d.failed_reason(&e.message);
                finish(journal, h, &d, Err(reason));
            }
        }
    }
    out
}

/// One DeleteObjects request per chunk; per-key throttling and server errors
/// are retried for those keys alone. Returns whether every object was deleted
/// (or already gone).
async fn delete_batch(
    journal: &Journal,
    h: &JobHandle,
    ctx: &Ctx,
    bucket: &str,
    items: Vec<Deletion>,
) -> bool {
    let (mut todo, single): (Vec<Deletion>, Vec<Deletion>) =
        items.into_iter().partition(|d| xml_can_carry(&d.key));
    let mut all_ok = true;
    // The probe asked DeleteObjects about `<ETag>`, not DeleteObject about
    // `If-Match`: a single delete's ETag is also checked by HEAD.
    let (unchecked, mut ready): (Vec<Deletion>, Vec<Deletion>) = single
        .into_iter()
        .partition(|d| d.etag.is_some() && d.checked.is_none());
    let before = unchecked.len();
    let unchecked = checked_by_head(journal, h, ctx, unchecked, true).await;
    all_ok &= unchecked.len() == before;
    ready.extend(unchecked);
    for d in ready {
        all_ok &= delete_single(journal, h, ctx, bucket, d).await;
    }
    let mut attempts = Attempts::with_budget(ctx.run.retry_budget);
    while !todo.is_empty() {
        let (mut throttled, mut transient) = (false, false);
        let store = todo[0].target.for_name(bucket).into_owned();
        let keys: Vec<DeleteKey> = todo.iter().map(Deletion::request).collect();
        let checked = todo.iter().any(|d| d.checked.is_some());
        let answer = send_fresh(ctx, checked, || store.delete_objects(&keys)).await;
        let failures = match answer {
            Ok(f) => f,
            Err(err) if is_stale(&err) && attempts.may_retry(ErrorKind::Transient) => {
                attempts.count(ErrorKind::Transient);
                let before = todo.len();
                todo = recheck(journal, h, ctx, todo).await;
                all_ok &= todo.len() == before;
                continue;
            }
            Err(err) => {
                for d in &todo {
                    let reason = d.failed_reason(&err.message);
                    finish(journal, h, d, Err(reason));
                }
                return false;
            }
        };
        let rows: Vec<(&str, Option<&str>)> = todo
            .iter()
            .map(|d| (d.key.as_str(), d.version_id.as_deref()))
            .collect();
        let verdicts = match_failures(&rows, failures);
        let mut again = Vec::new();
        for (d, verdict) in std::mem::take(&mut todo).into_iter().zip(verdicts) {
            let f = match verdict {
                Verdict::Deleted => None,
                Verdict::Failed(f) => Some(f),
                Verdict::Unknown(f) => {
                    let reason = d.failed_reason(&format!(
                        "outcome unknown: S3 reported an error that cannot be told apart from this row's ({})",
                        f.message
                    ));
                    finish(journal, h, &d, Err(reason));
                    all_ok = false;
                    continue;
                }
            };
            match f {
                None => finish(journal, h, &d, Ok(None)),
                Some(f) => match f.kind() {
                    ErrorKind::PreconditionFailed => {
                        let reason = d.kept_reason();
                        finish(journal, h, &d, Err(reason));
                        all_ok = false;
                    }
                    // With a condition, a missing object is an answer: the
                    // source is already gone (an earlier run deleted it).
                    ErrorKind::NoSuchKey => finish(journal, h, &d, Ok(Some("already gone".into()))),
                    kind if attempts.may_retry(kind) => {
                        throttled |= kind == ErrorKind::Throttled;
                        transient |= kind != ErrorKind::Throttled;
                        again.push(d)
                    }
                    _ => {
                        let reason = d.failed_reason(&f.message);
                        finish(journal, h, &d, Err(reason));
                        all_ok = false;
                    }
                },
            }
        }
        if !again.is_empty() {
            ctx.retries
                .fetch_add(again.len() as u64, std::sync::atomic::Ordering::Relaxed);
            if throttled {
                attempts.count(ErrorKind::Throttled);
            }
            if transient {
                attempts.count(ErrorKind::Transient);
            }
            tokio::time::sleep(attempts.wait()).await;
            // A HEAD-checked row is not sent again after a wait unchecked.
            let before = again.len();
            again = recheck(journal, h, ctx, again).await;
            all_ok &= again.len() == before;
        }
        todo = again;
    }
    all_ok
}

/// Why a delete was not sent again: what a HEAD checked went stale.
const STALE: &str = "not sent again without a fresh check: the endpoint kept failing";

fn is_stale(e: &S3Error) -> bool {
    e.kind == ErrorKind::Other && e.message == STALE
}

/// A delete whose safety rests on a HEAD just before it is sent once per
/// check: the call's own retries, which may wait out an outage for
/// minutes, stop at the second attempt with [`STALE`] so the caller checks
/// again first.
async fn send_fresh<T, F, Fut>(ctx: &Ctx, checked: bool, mut send: F) -> S3Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = S3Result<T>>,
{
    let mut sent = false;
    ctx.call(|| {
        let again = std::mem::replace(&mut sent, true);
        let request = (!(checked && again)).then(&mut send);
        async move {
            match request {
                Some(r) => r.await,
                None => Err(S3Error::new(ErrorKind::Other, STALE)),
            }
        }
    })
    .await
}

/// HEAD again the deletions whose check went stale; the others pass.
async fn recheck(
    journal: &Journal,
    h: &JobHandle,
    ctx: &Ctx,
    items: Vec<Deletion>,
) -> Vec<Deletion> {
    let (stale, mut out): (Vec<Deletion>, Vec<Deletion>) =
        items.into_iter().partition(|d| d.checked.is_some());
    out.extend(checked_by_head(journal, h, ctx, stale, true).await);
    out
}

/// A key DeleteObjects cannot carry (a control character): one DeleteObject
/// on the same condition, the version and/or `If-Match` ETag. Returns
/// whether it was deleted (or already gone).
async fn delete_single(
    journal: &Journal,
    h: &JobHandle,
    ctx: &Ctx,
    bucket: &str,
    d: Deletion,
) -> bool {
    let mut attempts = Attempts::with_budget(ctx.run.retry_budget);
    let mut d = d;
    loop {
        let store = d.target.for_name(bucket).into_owned();
        let request = d.request();
        let checked = d.checked.is_some();
        match send_fresh(ctx, checked, || store.delete_object_if(&request)).await {
            Ok(()) => {
                finish(journal, h, &d, Ok(None));
                return true;
            }
            Err(e) if is_stale(&e) && attempts.may_retry(ErrorKind::Transient) => {
                attempts.count(ErrorKind::Transient);
                match recheck(journal, h, ctx, vec![d]).await.pop() {
                    Some(again) => d = again,
                    None => return false,
                }
            }
            Err(e) if e.kind == ErrorKind::PreconditionFailed => {
                finish(journal, h, &d, Err(d.kept_reason()));
                return false;
            }
            // Only a conditional delete answers 404: the object is already gone.
            Err(e) if e.kind == ErrorKind::NoSuchKey => {
                finish(journal, h, &d, Ok(Some("already gone".into())));
                return true;
            }
            Err(e) => {
                finish(journal, h, &d, Err(d.failed_reason(&e.message)));
                return false;
            }
        }
    }
}

/// An `--all-versions` move's deletes of one key, in the task that copied
/// it: once the verified copies are committed, every version but the newest
/// (each by its immutable version id; a null version checked by HEAD first),
/// then the newest only if all of those went, so a version that could not be
/// deleted never becomes the source's current object behind a deleted one.
pub async fn delete_versions_in_order(
    journal: &Arc<Journal>,
    h: &JobHandle,
    ctx: &Ctx,
    mut deletions: Vec<Deletion>,
) {
    if let Err(e) = journal.off_runtime(|j| j.flush()).await {
        for d in &deletions {
            finish(
                journal,
                h,
                d,
                Err(format!("source kept: journal write failed: {e}")),
            );
        }
        return;
    }
    let Some(newest) = deletions.pop() else {
        return;
    };
    let bucket = newest.bucket.clone();
    let mut ready = Vec::new();
    for d in deletions {
        if d.null_marker {
            leave_null_marker(journal, h, &d);
        } else {
            ready.push(d);
        }
    }
    let ready = checked_by_head(journal, h, ctx, ready, false).await;
    let older_ok = ready.is_empty() || delete_batch(journal, h, ctx, &bucket, ready).await;
    if !older_ok {
        let reason = newest.failed_reason(
            "kept: an older version of this key could not be deleted, and deleting the current one would make it current",
        );
        finish(journal, h, &newest, Err(reason));
    } else if newest.null_marker {
        leave_null_marker(journal, h, &newest);
    } else {
        let newest = checked_by_head(journal, h, ctx, vec![newest], false).await;
        if !newest.is_empty() {
            delete_batch(journal, h, ctx, &bucket, newest).await;
        }
    }
    if let Err(e) = journal.off_runtime(|j| j.flush()).await {
        tracing::error!(job = h.id, "journal write after delete failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::EntryState;
    use crate::plan::model::Action;

    fn entry(version: Option<&str>, etag: Option<&str>) -> NewEntry {
        NewEntry {
            idx: 0,
            src_bucket: "b".into(),
            src_key: "k".into(),
            version_id: version.map(str::to_string),
            size: 1,
            etag: etag.map(str::to_string),
            last_modified: None,
            storage_class: None,
            dst_bucket: "d".into(),
            dst_key: "k".into(),
            action: Action::Copy,
            delete_marker: false,
            state: EntryState::Pending,
            reason: None,
        }
    }

    fn copied(version: Option<&str>, etag: Option<&str>) -> CopiedSource {
        CopiedSource {
            version_id: version.map(str::to_string),
            etag: etag.map(str::to_string),
        }
    }

    #[test]
    fn deletes_are_conditional_on_what_was_copied() {
        let s = |v: Option<&str>| v.map(str::to_string);
        // Unversioned: the ETag the copy was pinned to.
        assert_eq!(
            source_condition(&entry(None, Some("\"l\"")), &copied(None, Some("\"c\""))),
            (None, s(Some("\"c\"")))
        );
        // The copy response named the version: exactly it, no ETag needed.
        assert_eq!(
            source_condition(
                &entry(None, Some("\"l\"")),
                &copied(Some("v7"), Some("\"c\""))
            ),
            (s(Some("v7")), None)
        );
        // --version-id V: that version, even if the copy did not report it.
        assert_eq!(
            source_condition(&entry(Some("v1"), Some("\"l\"")), &copied(None, None)),
            (s(Some("v1")), None)
        );
        // The null version can be rewritten: version and ETag.
        assert_eq!(
            source_condition(&entry(Some("null"), Some("\"l\"")), &copied(None, None)),
            (s(Some("null")), s(Some("\"l\"")))
        );
        // A journal from before copies recorded anything: what was listed.
        assert_eq!(
            source_condition(&entry(None, Some("\"l\"")), &CopiedSource::default()),
            (None, s(Some("\"l\"")))
        );
    }
}
