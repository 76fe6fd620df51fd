//! Running one job: plan into the journal, copy with bounded adaptive
//! concurrency, verify, delete sources of moves, record every state.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::task::JoinSet;

use super::copy::{copy_entry, md5_like, plain, Copied, Ctx, STREAM_BUDGET_KIB};
use super::delete::{delete_worker, Deletion, DELETE_BATCH};
use super::job::{JobHandle, JobOutcome};
use super::limiter::Limiter;
use super::model::{JobKind, JobState};
use super::planner::{needs_dest_index, needs_full_plan, PlanError, PlanSetup};
use super::retry::with_retries;
use crate::journal::{CopiedSource, EntryRow, EntryState, Journal, Outcome};
use crate::plan::model::Action;
use crate::s3::{Bucket, ConnectionPool, ErrorKind, S3Error, VersioningState, WriteResult};

const BATCH: usize = 512;
const FLUSH_EVERY: Duration = Duration::from_millis(200);

pub struct Runner {
    pub journal: Arc<Journal>,
    pub pool: ConnectionPool,
    pub handle: Arc<JobHandle>,
}

fn fail_message(e: &PlanError) -> String {
    e.to_string()
}

/// How a run that did not stop itself ended.
fn outcome_of(h: &JobHandle, outcome: Result<(), PlanError>) -> JobOutcome {
    match outcome {
        Ok(()) if h.cancel.is_cancelled() => JobOutcome::Interrupted { job: h.id },
        Ok(()) => match h.counters.progress().failed {
            0 => JobOutcome::Completed,
            objects => JobOutcome::ObjectsFailed { job: h.id, objects },
        },
        Err(PlanError::Refused(reason)) => JobOutcome::Refused { reason },
        Err(e) => JobOutcome::Failed {
            reason: fail_message(&e),
        },
    }
}

impl Runner {
    pub async fn run(self) {
        let h = self.handle.clone();
        let id = h.id;
        match self
            .journal
            .off_runtime(move |j| j.prune_superseded(id))
            .await
        {
            Ok(r) if !r.jobs.is_empty() => {
                let ids: Vec<i64> = r.jobs.iter().map(|j| j.id).collect();
                tracing::info!(job = id, superseded = ?ids, "dropped the per-object rows of earlier runs of this transfer");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(job = id, "cannot prune earlier runs of this transfer: {e}"),
        }
        h.set_state(JobState::Running, None);
        let _ = self.journal.set_job_state(h.id, JobState::Running, None);
        let outcome = self.run_inner().await;
        if let Err(e) = self.journal.flush() {
            tracing::error!(job = h.id, "journal flush failed: {e}");
        }
        if let Err(PlanError::S3(e)) = &outcome {
            // Expired before anything was copied (the listing): the same
            // resumable stop as during the copy.
            if e.is_expired_credentials() {
                h.breaker.stop(credentials_hint(&h.spec)(e));
            }
        }
        let outcome = match (outcome, h.breaker.stop_reason()) {
            (_, Some(reason)) => JobOutcome::Stopped { job: h.id, reason },
            (outcome, None) => outcome_of(&h, outcome),
        };
        let (state, message) = h.finish(outcome);
        tracing::info!(job = h.id, state = state.as_str(), "{message}");
        let _ = self.journal.set_job_state(h.id, state, Some(&message));
        h.mark_finished();
    }

    async fn run_inner(&self) -> Result<(), PlanError> {
        let h = &self.handle;
        let spec = &h.spec;
        let planned = self.journal.job(h.id)?.map(|r| r.planned).unwrap_or(false);
        let setup = PlanSetup::new(&self.pool, spec).await?;
        if spec.plan.all_versions && !planned {
            refuse_unversioned_destination(&setup.dst).await?;
        }
        let notify = Arc::new(Notify::new());
        let listing = match self.start_planning(&setup, planned, &notify).await? {
            Listing::Cancelled => return Ok(()),
            Listing::Done => None,
            Listing::Running(task) => Some(task),
        };

        let limiter = Limiter::new(spec.run.concurrency);
        h.counters
            .concurrency
            .store(limiter.limit() as u64, Ordering::Relaxed);
        // Uploads an earlier run of this job left open (a kill, a lost
        // abort) are aborted before anything new is sent.
        super::uploads::abort_left_by_job(&self.journal, h.id, &setup.dst).await;
        let ctx = Arc::new(self.copy_context(&setup, limiter.clone(), h.abort.clone()));
        let prober = spawn_prober(h, &ctx);
        let flusher = self.spawn_flusher();
        let (del_tx, del_rx) = mpsc::channel::<Deletion>(DELETE_BATCH * 2);
        // Deletes are not cut short mid-batch by an abort: the whole deleter
        // is dropped instead, its verified rows left for `resume`.
        let del_ctx = Arc::new(self.copy_context(
            &setup,
            limiter.clone(),
            tokio_util::sync::CancellationToken::new(),
        ));
        let mut deleter = tokio::spawn(delete_worker(
            self.journal.clone(),
            h.clone(),
            del_ctx.clone(),
            del_rx,
        ));

        let mut tasks: JoinSet<()> = JoinSet::new();
        let dispatched = self
            .dispatch(&ctx, &limiter, &notify, &del_tx, &mut tasks)
            .await;
        while tasks.join_next().await.is_some() {}
        drop(del_tx);
        tokio::select! {
            _ = &mut deleter => {}
            _ = h.abort.cancelled() => deleter.abort(),
        }
        flusher.abort();
        prober.abort();
        if let Some(note) = h.breaker.summary() {
            h.add_note(note);
        }
        dispatched?;
        // Copies and deletes count their retries in their own contexts.
        let retries = ctx.retries.load(Ordering::Relaxed) + del_ctx.retries.load(Ordering::Relaxed);
        h.counters.retries.store(retries, Ordering::Relaxed);
        h.counters.in_flight.store(0, Ordering::Relaxed);
        if let Some(t) = listing {
            if h.cancel.is_cancelled() {
                t.abort();
            } else {
                match t.await {
                    Ok(r) => {
                        r?;
                    }
                    Err(e) => return Err(PlanError::Refused(format!("listing task failed: {e}"))),
                }
            }
        }
        self.journal.flush()?;
        Ok(())
    }

    /// Plans the job: a job whose keys may overlap (or a sync that deletes)
    /// is planned in full before anything is copied, so the refusals see
    /// every key; any other lists in the background while copying starts.
    async fn start_planning(
        &self,
        setup: &PlanSetup,
        planned: bool,
        notify: &Arc<Notify>,
    ) -> Result<Listing, PlanError> {
        let h = &self.handle;
        let spec = &h.spec;
        let full = needs_full_plan(spec, &setup.mapper);
        let planner = Arc::new(setup.planner(
            self.journal.clone(),
            h.id,
            spec,
            notify.clone(),
            (!full).then(|| count_planned_rows(h.clone())),
        ));
        let indexed = needs_dest_index(spec, false);
        if !planned && indexed {
            planner.index_destination().await?;
        }
        if !full {
            h.counters.load(&self.journal.counts(h.id)?);
            let cancel = h.cancel.clone();
            let notify = notify.clone();
            let handle = h.clone();
            let journal = self.journal.clone();
            return Ok(Listing::Running(tokio::spawn(async move {
                let mut r = planner.list_sources(indexed, &cancel).await;
                // A streamed plan is complete once its listing is: retention
                // may then drop the job's rows when it has finished.
                if r.is_ok() && !cancel.is_cancelled() {
                    let id = handle.id;
                    if let Err(e) = journal.off_runtime(move |j| j.set_planned(id)).await {
                        r = Err(e.into());
                    }
                }
                handle.counters.listing_done.store(true, Ordering::Relaxed);
                notify.notify_one();
                r
            })));
        }
        if !planned {
            planner.list_sources(indexed, &h.cancel).await?;
            if h.cancel.is_cancelled() {
                return Ok(Listing::Cancelled);
            }
            planner.check_refusals()?;
            if spec.kind == JobKind::Sync && spec.plan.delete_extra {
                planner.plan_deletes()?;
            }
            self.journal.set_planned(h.id)?;
        }
        h.counters.listing_done.store(true, Ordering::Relaxed);
        h.counters.load(&self.journal.counts(h.id)?);
        Ok(Listing::Done)
    }

    fn copy_context(
        &self,
        setup: &PlanSetup,
        limiter: Arc<Limiter>,
        abort: tokio_util::sync::CancellationToken,
    ) -> Ctx {
        let spec = &self.handle.spec;
        let job_id = self.handle.id;
        Ctx {
            src: setup
                .src
                .iter()
                .map(|(name, b)| (name.clone(), b.single_attempt()))
                .collect(),
            dst: setup.dst.single_attempt(),
            dst_direct: setup.dst.direct().filter(|_| spec.run.direct_copy),
            server_side: spec.run.server_side || spec.src_conn.same_store(&spec.dst_conn),
            run: spec.run.clone(),
            limiter,
            retries: AtomicU64::new(0),
            bytes_budget: Arc::new(Semaphore::new(STREAM_BUDGET_KIB)),
            acl_warned: AtomicBool::new(false),
            tags_warned: AtomicBool::new(false),
            on_throttle: Box::new(move |n| {
                tracing::warn!(
                    job = job_id,
                    concurrency = n,
                    "server is throttling (503 SlowDown); lowering concurrency to {n}"
                );
            }),
            breaker: self.handle.breaker.clone(),
            credentials_hint: credentials_hint(spec),
            journal: self.journal.clone(),
            job: job_id,
            abort,
        }
    }

    /// Journal writes are batched; a failing journal (disk full) stops the job.
    fn spawn_flusher(&self) -> tokio::task::JoinHandle<()> {
        let journal = self.journal.clone();
        let handle = self.handle.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FLUSH_EVERY);
            loop {
                tick.tick().await;
                if let Err(e) = journal.off_runtime(|j| j.flush()).await {
                    let msg = format!("journal write failed, stopping: {e}");
                    tracing::error!(job = handle.id, "{msg}");
                    handle.set_state(JobState::Running, Some(msg));
                    handle.cancel.cancel();
                    return;
                }
            }
        })
    }

    /// Hands the journal's planned rows to workers, a destination key's rows
    /// to one task, until the listing is done and no work is left, or the
    /// job is cancelled. Honours pause.
    async fn dispatch(
        &self,
        ctx: &Arc<Ctx>,
        limiter: &Arc<Limiter>,
        notify: &Notify,
        del_tx: &mpsc::Sender<Deletion>,
        tasks: &mut JoinSet<()>,
    ) -> Result<(), PlanError> {
        let h = &self.handle;
        let versions = h.spec.plan.all_versions;
        let mut after_id = 0i64;
        loop {
            if h.cancel.is_cancelled() {
                return Ok(());
            }
            if !wait_unpaused(h).await {
                return Ok(());
            }
            let listing_done = h.counters.listing_done.load(Ordering::Relaxed);
            let batch = self.next_batch(after_id).await?;
            if batch.is_empty() {
                if listing_done {
                    return Ok(());
                }
                tokio::select! {
                    _ = notify.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                    _ = h.cancel.cancelled() => return Ok(()),
                }
                continue;
            }
            after_id = batch.last().map(|r| r.id).unwrap_or(after_id);
            for group in group_by_dst(batch, versions) {
                let permit = tokio::select! {
                    p = limiter.acquire() => p,
                    _ = h.cancel.cancelled() => break,
                };
                // Pause takes effect at the next object, not the next batch:
                // in-flight copies finish, nothing new starts. So does an
                // outage: nothing new starts while the endpoint is down.
                if !wait_unpaused(h).await || !h.breaker.wait_closed().await {
                    break;
                }
                h.counters
                    .concurrency
                    .store(limiter.limit() as u64, Ordering::Relaxed);
                h.counters
                    .throttled
                    .store(limiter.throttle_events(), Ordering::Relaxed);
                let ctx = ctx.clone();
                let journal = self.journal.clone();
                let handle = h.clone();
                let del_tx = del_tx.clone();
                tasks.spawn(async move {
                    let _permit = permit;
                    if versions {
                        process_versions(&ctx, &journal, &handle, group).await;
                    } else {
                        for row in group {
                            process(&ctx, &journal, &handle, &del_tx, row).await;
                        }
                    }
                });
                // Reap finished tasks so the set does not grow with the job.
                while tasks.try_join_next().is_some() {}
            }
        }
    }

    /// The next rows to work on after `after_id`. With `--all-versions` a
    /// destination key's versions are never split across batches, however
    /// many there are: the last key's rows come in whole.
    async fn next_batch(&self, after_id: i64) -> Result<Vec<EntryRow>, PlanError> {
        let job = self.handle.id;
        let mut batch = self
            .journal
            .off_runtime(move |j| j.next_work(job, after_id, BATCH))
            .await?;
        if !self.handle.spec.plan.all_versions || batch.len() < BATCH {
            return Ok(batch);
        }
        let Some(last) = batch.last() else {
            return Ok(batch);
        };
        let (key, mut cursor) = (last.entry.dst_key.clone(), last.id);
        // Only the rows right after the batch, while they are still this
        // key's: nothing in between is skipped.
        loop {
            let page = self
                .journal
                .off_runtime(move |j| j.next_work(job, cursor, BATCH))
                .await?;
            let n = page.len();
            let run: Vec<EntryRow> = page
                .into_iter()
                .take_while(|r| r.entry.dst_key == key)
                .collect();
            let more = run.len() == n && n == BATCH;
            cursor = run.last().map(|r| r.id).unwrap_or(cursor);
            batch.extend(run);
            if !more {
                return Ok(batch);
            }
        }
    }
}

/// Waits while the job is paused; false when it is cancelled meanwhile.
async fn wait_unpaused(h: &JobHandle) -> bool {
    if !*h.paused.borrow() {
        return true;
    }
    let mut rx = h.paused.subscribe();
    tokio::select! {
        r = rx.wait_for(|p| !*p) => r.is_ok(),
        _ = h.cancel.cancelled() => false,
    }
}

/// How the sources are being listed when copying starts.
enum Listing {
    /// Planned in full (now or by an earlier run).
    Done,
    /// Listing in the background, copying as rows arrive.
    Running(tokio::task::JoinHandle<Result<u64, PlanError>>),
    /// Cancelled while planning in full.
    Cancelled,
}

/// Counts rows as the background listing journals them, so progress and the
/// ETA grow with the listing.
fn count_planned_rows(handle: Arc<JobHandle>) -> super::planner::PageHook {
    Box::new(move |rows: &[crate::journal::NewEntry]| {
        let c = &handle.counters;
        for r in rows {
            c.add(&c.objects_total, 1);
            c.add(&c.bytes_total, r.size);
            match r.state {
                EntryState::Skipped => {
                    c.add(&c.skipped, 1);
                    c.add(&c.objects_done, 1);
                }
                EntryState::Conflict => {
                    c.add(&c.failed, 1);
                    c.add(&c.objects_done, 1);
                }
                _ => {}
            }
        }
    })
}

/// `--all-versions` replays history into the destination: a destination that
/// does not keep versions would keep only the last one.
async fn refuse_unversioned_destination(dst: &Bucket) -> Result<(), PlanError> {
    let bucket = dst.name();
    let v = with_retries(|| dst.versioning()).await?;
    if v.status != VersioningState::Enabled {
        return Err(PlanError::Refused(format!(
            "refusing to run: --all-versions needs versioning enabled on the destination s3://{bucket} (it is {}); without it only the newest version would survive",
            match v.status {
                VersioningState::Suspended => "suspended",
                _ => "not enabled",
            }
        )));
    }
    Ok(())
}

/// Probes the job's buckets while its breaker is open (see `engine::breaker`).
fn spawn_prober(h: &Arc<JobHandle>, ctx: &Ctx) -> tokio::task::JoinHandle<()> {
    let mut buckets: Vec<Bucket> = vec![ctx.dst.clone()];
    buckets.extend(ctx.src.values().cloned());
    let breaker = h.breaker.clone();
    tokio::spawn(async move {
        breaker
            .run_probes(|| {
                let buckets = buckets.clone();
                async move {
                    for b in &buckets {
                        if !b.endpoint_answers().await {
                            return false;
                        }
                    }
                    true
                }
            })
            .await
    })
}

/// What to run when credentials expired and the provider chain has none
/// fresher: `aws sso login` for an SSO profile, else a general hint.
fn credentials_hint(spec: &crate::job::JobSpec) -> Box<dyn Fn(&S3Error) -> String + Send + Sync> {
    let mut profiles: Vec<String> = [&spec.src_conn.profile, &spec.dst_conn.profile]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    profiles.dedup();
    let sso: Vec<String> = profiles
        .iter()
        .filter(|p| crate::s3::identity::profile_uses_sso(p))
        .cloned()
        .collect();
    Box::new(move |e: &S3Error| {
        let code = e.code.as_deref().unwrap_or("expired");
        let todo = match (sso.first(), profiles.first()) {
            (Some(p), _) => format!("run `aws sso login --profile {p}`"),
            (None, Some(p)) => format!("renew the credentials of profile {p}"),
            (None, None) => {
                "renew the credentials (environment, `aws sso login`, or the role session)".into()
            }
        };
        format!("credentials expired ({code}) and could not be refreshed: {todo}")
    })
}

/// Consecutive rows writing the same destination key run in order, in one
/// task; versions were listed newest first and are replayed oldest first.
fn group_by_dst(rows: Vec<EntryRow>, all_versions: bool) -> Vec<Vec<EntryRow>> {
    let mut out: Vec<Vec<EntryRow>> = Vec::new();
    for r in rows {
        match out.last_mut() {
            Some(g) if g.last().map(|l| &l.entry.dst_key) == Some(&r.entry.dst_key) => g.push(r),
            _ => out.push(vec![r]),
        }
    }
    if all_versions {
        for g in &mut out {
            g.reverse();
        }
    }
    out
}

/// Journal a verified copy: final for a copy, awaiting its source delete
/// for a move.
fn record_copy(journal: &Journal, h: &JobHandle, row: &EntryRow, done: &Copied) {
    let outcome = Outcome::Copied {
        verify: done.verify.clone(),
        dst_version: done.dst_version.clone(),
        source: done.source.clone(),
        awaiting_delete: h.spec.kind == JobKind::Move,
    };
    h.record(journal, row.id, row.entry.size, outcome);
}

fn record_failure(journal: &Journal, h: &JobHandle, row: &EntryRow, reason: String) {
    if h.breaker.stopped() {
        // The job stopped itself (outage past the budget, expired
        // credentials): the row stays as it was, for `resume`.
        tracing::info!(job = h.id, key = %row.entry.src_key, "left for resume: {reason}");
        return;
    }
    tracing::warn!(job = h.id, key = %row.entry.src_key, "copy failed: {reason}");
    h.record(journal, row.id, row.entry.size, Outcome::Failed { reason });
}

/// The copy of one row: verify a copy made by someone else (Batch
/// Operations), else copy it.
async fn copy_row(ctx: &Ctx, h: &JobHandle, row: &EntryRow) -> Result<Copied, S3Error> {
    let c = &h.counters;
    c.add(&c.in_flight, 1);
    let result = if row.state == EntryState::Copied {
        verify_external_copy(ctx, &row.entry).await
    } else {
        copy_entry(ctx, &row.entry).await
    };
    c.in_flight.fetch_sub(1, Ordering::Relaxed);
    c.retries
        .store(ctx.retries.load(Ordering::Relaxed), Ordering::Relaxed);
    result
}

/// Before a resumed move deletes a source verified by an earlier run: the
/// copy must still be at the destination (a lifecycle rule or a person may
/// have removed it since).
async fn copy_still_there(ctx: &Ctx, row: &EntryRow, versions: bool) -> Result<(), String> {
    let e = &row.entry;
    // A replayed version is checked as the version it became; a plain copy
    // as the current object.
    let version = row.dst_version.as_deref().filter(|_| versions);
    let kept = |why: String| format!("source kept: its copy is gone from the destination ({why})");
    if e.delete_marker {
        return Ok(());
    }
    let dst = ctx.dst(&e.dst_bucket);
    match ctx.call(|| dst.head(&e.dst_key, version)).await {
        Ok(p) if p.size == e.size => Ok(()),
        Ok(p) => Err(kept(format!(
            "it now has {} bytes, the source {}",
            p.size, e.size
        ))),
        Err(err) => Err(kept(err.message)),
    }
}

/// What a verified row's delete is conditional on: what its copy recorded,
/// else (journals from before that was recorded) what was listed.
fn recorded_source(row: &EntryRow) -> CopiedSource {
    CopiedSource {
        version_id: row.copied.version_id.clone(),
        etag: row.copied.etag.clone().or_else(|| row.entry.etag.clone()),
    }
}

async fn process(
    ctx: &Ctx,
    journal: &Journal,
    h: &JobHandle,
    del_tx: &mpsc::Sender<Deletion>,
    row: EntryRow,
) {
    let e = &row.entry;
    let is_move = h.spec.kind == JobKind::Move;
    let src_bucket = ctx.src(&e.src_bucket);

    if e.action == Action::Delete {
        let _ = del_tx.send(Deletion::of_extra(row.id, e, &ctx.dst)).await;
        return;
    }
    if row.state == EntryState::Verified {
        // A move verified by an earlier run: its delete is conditional on
        // what that copy read, so a source rewritten since (or already
        // deleted) is never deleted twice — and only while the copy is
        // still at the destination.
        if let Err(reason) = copy_still_there(ctx, &row, false).await {
            record_failure(journal, h, &row, reason);
            return;
        }
        let copied = recorded_source(&row);
        let _ = del_tx
            .send(Deletion::of_source(row.id, e, &copied, &src_bucket))
            .await;
        return;
    }

    match copy_row(ctx, h, &row).await {
        Ok(done) => {
            record_copy(journal, h, &row, &done);
            if is_move {
                let _ = del_tx
                    .send(Deletion::of_source(row.id, e, &done.source, &src_bucket))
                    .await;
            }
        }
        Err(err) if is_move && err.kind == ErrorKind::NoSuchKey => {
            match already_moved(ctx, e).await {
                // The source is gone and the destination holds the planned object:
                // an earlier run moved it and its last journal write was lost.
                Some(how) => {
                    let outcome = Outcome::AlreadyMoved { verify: how.into() };
                    h.record(journal, row.id, e.size, outcome);
                }
                None => record_failure(journal, h, &row, reason_for(&err)),
            }
        }
        Err(err) => record_failure(journal, h, &row, reason_for(&err)),
    }
}

/// All versions of one key, oldest first. Once one version is copied, every
/// newer one is copied again after it (a resumed or retried key keeps its
/// order in the destination). A failure stops the key there; a move deletes
/// the key's source versions only when every one of them is verified, so a
/// failed old version never becomes current again in the source.
async fn process_versions(ctx: &Ctx, journal: &Arc<Journal>, h: &JobHandle, group: Vec<EntryRow>) {
    let is_move = h.spec.kind == JobKind::Move;
    let mut copying = false;
    let mut deletions = Vec::new();
    let mut rows = group.into_iter();
    while let Some(row) = rows.next() {
        let e = &row.entry;
        let src_bucket = ctx.src(&e.src_bucket);
        if row.state == EntryState::Verified && !copying {
            match copy_still_there(ctx, &row, true).await {
                Ok(()) => {
                    let copied = recorded_source(&row);
                    deletions.push(Deletion::of_source(row.id, e, &copied, &src_bucket));
                    continue;
                }
                // Copy it again, and every newer version after it.
                Err(reason) => {
                    tracing::info!(job = h.id, key = %e.src_key, "{reason}; copying again")
                }
            }
        }
        // A key's versions pause between versions too. Cancelled here, the
        // copied versions stay verified and undeleted: resume finishes them.
        if !wait_unpaused(h).await {
            return;
        }
        copying = true;
        match copy_row(ctx, h, &row).await {
            Ok(done) => {
                record_copy(journal, h, &row, &done);
                deletions.push(Deletion::of_source(row.id, e, &done.source, &src_bucket));
            }
            Err(err) => {
                record_failure(journal, h, &row, reason_for(&err));
                for later in rows.by_ref() {
                    record_failure(
                        journal,
                        h,
                        &later,
                        format!(
                            "not copied: an older version of {:?} failed (its versions are replayed in order)",
                            later.entry.src_key
                        ),
                    );
                }
                for d in &deletions {
                    tracing::info!(job = h.id, key = %d.key, "source version kept: another version of this key failed");
                }
                if is_move && !deletions.is_empty() {
                    h.add_note(
                        "sources whose versions did not all copy were kept whole (resume or retry to finish them)"
                            .into(),
                    );
                }
                return;
            }
        }
    }
    if is_move {
        super::delete::delete_versions_in_order(journal, h, ctx, deletions).await;
    }
}

async fn verify_external_copy(ctx: &Ctx, e: &crate::journal::NewEntry) -> Result<Copied, S3Error> {
    // The source must still be what was recorded, and the copy must match
    // it by checksum, MD5 (where both ETags are MD5s) or, honestly, size.
    let source = CopiedSource {
        version_id: e.version_id.clone(),
        etag: e.etag.clone(),
    };
    let written = WriteResult::default();
    let verify = super::copy::verify_by_head(ctx, e, None, &source, &written).await?;
    // The source was read again when the copy was already made: equal size
    // alone cannot show that the copy is of this object.
    if verify == "size" {
        return Err(S3Error::new(
            ErrorKind::Other,
            "verification failed: the copy made by S3 Batch Operations can only be compared by size (no common checksum, ETags not MD5s); source kept",
        ));
    }
    Ok(Copied {
        verify,
        dst_version: None,
        source,
    })
}

fn reason_for(err: &S3Error) -> String {
    match err.kind {
        ErrorKind::PreconditionFailed if !err.message.contains("source changed") => {
            format!("source changed during copy ({})", err.message)
        }
        _ => err.message.clone(),
    }
}

/// The source is gone: whether the destination holds the planned object, and
/// how sure that is ("etag" when both ETags are the same MD5, else only the
/// size matched). `None` when it does not.
async fn already_moved(ctx: &Ctx, e: &crate::journal::NewEntry) -> Option<&'static str> {
    let dst = ctx.dst(&e.dst_bucket);
    let p = ctx.call(|| dst.head(&e.dst_key, None)).await.ok()?;
    if p.size != e.size {
        return None;
    }
    match (md5_like(&e.etag), p.etag_is_md5()) {
        (true, true) if plain(&e.etag) == plain(&p.etag) => Some("found already moved (etag)"),
        (true, true) => None,
        _ => Some(
            "source gone; the destination holds an object of the same size (ETags not comparable)",
        ),
    }
}
