//! Running one job: plan into the journal, copy with bounded adaptive
//! concurrency, verify, delete sources of moves, record every state.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::Client;
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::task::JoinSet;

use super::copy::{copy_entry, Ctx, STREAM_BUDGET_KIB};
use super::job::JobHandle;
use super::limiter::Limiter;
use super::model::{JobKind, JobState};
use super::planner::{needs_dest_index, needs_full_plan, PlanError, Planner};
use super::retry::with_retries;
use crate::journal::{EntryRow, EntryState, Journal, Update};
use crate::plan::model::Action;
use crate::plan::Mapper;
use crate::s3::{ops, ConnectionPool, ErrorKind, S3Error};

const BATCH: usize = 512;
const FLUSH_EVERY: Duration = Duration::from_millis(200);
const DELETE_BATCH: usize = 1000;

/// A source (or, for sync, a destination) object to delete after its copy is
/// verified and journaled.
struct Deletion {
    id: i64,
    bucket: String,
    key: String,
    version_id: Option<String>,
    client: Client,
    is_extra: bool,
}

pub struct Runner {
    pub journal: Arc<Journal>,
    pub pool: ConnectionPool,
    pub handle: Arc<JobHandle>,
}

fn fail_message(e: &PlanError) -> String {
    e.to_string()
}

impl Runner {
    pub async fn run(self) {
        let h = self.handle.clone();
        h.set_state(JobState::Running, None);
        let _ = self.journal.set_job_state(h.id, JobState::Running, None);
        let outcome = self.run_inner().await;
        if let Err(e) = self.journal.flush() {
            tracing::error!(job = h.id, "journal flush failed: {e}");
        }
        let (state, message) = match outcome {
            Ok(()) if h.cancel.is_cancelled() => (
                JobState::Cancelled,
                format!("stopped; resume with: s3ferry resume {}", h.id),
            ),
            Ok(()) => {
                let p = h.counters.progress();
                if p.failed > 0 {
                    (
                        JobState::Failed,
                        format!(
                            "{} object(s) failed; see: s3ferry jobs show {} --failed",
                            p.failed, h.id
                        ),
                    )
                } else {
                    (JobState::Completed, "completed".to_string())
                }
            }
            Err(e) => (JobState::Failed, fail_message(&e)),
        };
        tracing::info!(job = h.id, state = state.as_str(), "{message}");
        h.set_state(state, Some(message.clone()));
        let _ = self.journal.set_job_state(h.id, state, Some(&message));
        h.mark_finished();
    }

    async fn run_inner(&self) -> Result<(), PlanError> {
        let h = &self.handle;
        let spec = &h.spec;
        let record = self.journal.job(h.id)?;
        let planned = record.map(|r| r.planned).unwrap_or(false);
        let mapper = Mapper::new(spec.mappings.clone(), &spec.plan)
            .map_err(|e| PlanError::Refused(e.to_string()))?;
        let src_conn = self.pool.get(&spec.src_conn).await?;
        let dst_conn = self.pool.get(&spec.dst_conn).await?;
        let Some(first) = spec.mappings.first() else {
            return Err(PlanError::Refused("nothing to copy: no sources".into()));
        };
        let dst_bucket = first.destination.bucket.clone();
        let dst = with_retries(|| dst_conn.clients_for_bucket(&dst_bucket)).await?;
        let mut src_data = HashMap::new();
        let mut src_meta = HashMap::new();
        for m in &spec.mappings {
            if !src_data.contains_key(&m.source.bucket) {
                let c = with_retries(|| src_conn.clients_for_bucket(&m.source.bucket)).await?;
                src_data.insert(m.source.bucket.clone(), c.data);
                src_meta.insert(m.source.bucket.clone(), c.meta);
            }
        }
        let notify = Arc::new(Notify::new());
        let full = needs_full_plan(spec, &mapper);
        let planner = Arc::new(Planner {
            journal: self.journal.clone(),
            job: h.id,
            spec: spec.clone(),
            mapper: mapper.clone(),
            src_clients: src_meta,
            dst_client: dst.meta.clone(),
            notify: notify.clone(),
            on_page: (!full).then(|| {
                let handle = h.clone();
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
                }) as super::planner::PageHook
            }),
        });
        let indexed = needs_dest_index(spec, false);
        if !planned && indexed {
            planner.index_destination().await?;
        }
        let full_before = full;
        if !full_before {
            h.counters.load(&self.journal.counts(h.id)?);
        }
        let listing_task = if full {
            if !planned {
                planner.list_sources(indexed, &h.cancel).await?;
                if h.cancel.is_cancelled() {
                    return Ok(());
                }
                planner.check_refusals()?;
                if spec.kind == JobKind::Sync && spec.plan.delete_extra {
                    planner.plan_deletes()?;
                }
                self.journal.set_planned(h.id)?;
            }
            h.counters.listing_done.store(true, Ordering::Relaxed);
            None
        } else {
            let planner = planner.clone();
            let cancel = h.cancel.clone();
            let notify = notify.clone();
            let handle = h.clone();
            Some(tokio::spawn(async move {
                let r = planner.list_sources(indexed, &cancel).await;
                handle.counters.listing_done.store(true, Ordering::Relaxed);
                notify.notify_one();
                r
            }))
        };
        if full_before {
            h.counters.load(&self.journal.counts(h.id)?);
        }

        let limiter = Limiter::new(spec.run.concurrency);
        h.counters
            .concurrency
            .store(limiter.limit() as u64, Ordering::Relaxed);
        let job_id = h.id;
        let ctx = Arc::new(Ctx {
            src: src_data,
            dst: dst.data.clone(),
            dst_direct: dst.direct.clone().filter(|_| spec.run.direct_copy),
            server_side: spec.run.server_side || spec.src_conn.same_store(&spec.dst_conn),
            run: spec.run.clone(),
            limiter: limiter.clone(),
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
        });

        // Journal writes are batched; a failing journal (disk full) stops the job.
        let flusher = {
            let journal = self.journal.clone();
            let cancel = h.cancel.clone();
            let handle = h.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(FLUSH_EVERY);
                loop {
                    tick.tick().await;
                    if let Err(e) = journal.off_runtime(|j| j.flush()).await {
                        let msg = format!("journal write failed, stopping: {e}");
                        tracing::error!(job = handle.id, "{msg}");
                        handle.set_state(JobState::Running, Some(msg));
                        cancel.cancel();
                        return;
                    }
                }
            })
        };

        let (del_tx, del_rx) = mpsc::channel::<Deletion>(DELETE_BATCH * 2);
        let deleter = tokio::spawn(delete_worker(
            self.journal.clone(),
            h.clone(),
            ctx.clone(),
            del_rx,
        ));

        let mut tasks: JoinSet<()> = JoinSet::new();
        let mut after_id = 0i64;
        let mut first_pass = true;
        loop {
            if h.cancel.is_cancelled() {
                break;
            }
            if *h.paused.borrow() {
                let mut rx = h.paused.subscribe();
                tokio::select! {
                    _ = rx.wait_for(|p| !*p) => {}
                    _ = h.cancel.cancelled() => break,
                }
                continue;
            }
            let listing_done = h.counters.listing_done.load(Ordering::Relaxed);
            let id = h.id;
            let mut batch = self
                .journal
                .off_runtime(move |j| j.next_work(id, after_id, BATCH))
                .await?;
            if batch.is_empty() {
                if listing_done {
                    break;
                }
                tokio::select! {
                    _ = notify.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                    _ = h.cancel.cancelled() => break,
                }
                continue;
            }
            // Never split one destination key's versions across batches.
            if batch.len() == BATCH {
                let last_key = batch
                    .last()
                    .map(|r| r.entry.dst_key.clone())
                    .unwrap_or_default();
                let keep = batch
                    .iter()
                    .position(|r| r.entry.dst_key == last_key)
                    .unwrap_or(0);
                if keep > 0 {
                    batch.truncate(keep);
                }
            }
            after_id = batch.last().map(|r| r.id).unwrap_or(after_id);
            for group in group_by_dst(batch, spec.plan.all_versions) {
                let permit = tokio::select! {
                    p = limiter.acquire() => p,
                    _ = h.cancel.cancelled() => break,
                };
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
                let resumed = first_pass;
                tasks.spawn(async move {
                    let _permit = permit;
                    for row in group {
                        process(&ctx, &journal, &handle, &del_tx, row, resumed).await;
                    }
                });
                // Reap finished tasks so the set does not grow with the job.
                while tasks.try_join_next().is_some() {}
            }
            first_pass = false;
        }
        while tasks.join_next().await.is_some() {}
        drop(del_tx);
        let _ = deleter.await;
        flusher.abort();
        h.counters
            .retries
            .store(ctx.retries.load(Ordering::Relaxed), Ordering::Relaxed);
        h.counters.in_flight.store(0, Ordering::Relaxed);
        if let Some(t) = listing_task {
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

fn update(
    journal: &Journal,
    id: i64,
    state: EntryState,
    reason: Option<String>,
    verify: Option<String>,
    v: Option<String>,
) {
    journal.update(Update {
        id,
        state,
        reason,
        verify,
        dst_version: v,
    });
}

async fn process(
    ctx: &Ctx,
    journal: &Journal,
    h: &JobHandle,
    del_tx: &mpsc::Sender<Deletion>,
    row: EntryRow,
    resumed: bool,
) {
    let c = &h.counters;
    let e = &row.entry;
    let is_move = h.spec.kind == JobKind::Move;
    let delete_version = if h.spec.plan.all_versions {
        e.version_id.clone()
    } else {
        None
    };
    let src_client = ctx
        .src
        .get(&e.src_bucket)
        .cloned()
        .unwrap_or_else(|| ctx.dst.clone());

    if e.action == Action::Delete {
        let _ = del_tx
            .send(Deletion {
                id: row.id,
                bucket: e.dst_bucket.clone(),
                key: e.dst_key.clone(),
                version_id: None,
                client: ctx.dst.clone(),
                is_extra: true,
            })
            .await;
        return;
    }
    if row.state == EntryState::Verified {
        // A move verified by an earlier run: delete the source unless a
        // previous attempt already did (never delete twice).
        if resumed {
            match ctx
                .call(|| {
                    ops::head_object(
                        &src_client,
                        &e.src_bucket,
                        &e.src_key,
                        e.version_id.as_deref(),
                    )
                })
                .await
            {
                Err(err) if err.kind == ErrorKind::NoSuchKey => {
                    update(journal, row.id, EntryState::Done, None, None, None);
                    c.add(&c.deleted, 0);
                    c.add(&c.objects_done, 1);
                    return;
                }
                _ => {}
            }
        }
        let _ = del_tx
            .send(Deletion {
                id: row.id,
                bucket: e.src_bucket.clone(),
                key: e.src_key.clone(),
                version_id: delete_version,
                client: src_client,
                is_extra: false,
            })
            .await;
        return;
    }

    c.add(&c.in_flight, 1);
    // Copied by someone else (S3 Batch Operations): check it, do not copy again.
    let result = if row.state == EntryState::Copied {
        verify_external_copy(ctx, e).await
    } else {
        copy_entry(ctx, e).await
    };
    c.in_flight.fetch_sub(1, Ordering::Relaxed);
    c.retries
        .store(ctx.retries.load(Ordering::Relaxed), Ordering::Relaxed);
    match result {
        Ok(done) => {
            c.add(&c.bytes_done, e.size);
            c.add(&c.copied, 1);
            if is_move {
                update(
                    journal,
                    row.id,
                    EntryState::Verified,
                    None,
                    Some(done.verify),
                    done.dst_version,
                );
                let _ = del_tx
                    .send(Deletion {
                        id: row.id,
                        bucket: e.src_bucket.clone(),
                        key: e.src_key.clone(),
                        version_id: delete_version,
                        client: src_client,
                        is_extra: false,
                    })
                    .await;
            } else {
                update(
                    journal,
                    row.id,
                    EntryState::Done,
                    None,
                    Some(done.verify),
                    done.dst_version,
                );
                c.add(&c.objects_done, 1);
            }
        }
        Err(err) if is_move && err.kind == ErrorKind::NoSuchKey && already_moved(ctx, e).await => {
            // The source is gone and the destination holds the planned object:
            // an earlier run moved it and its last journal write was lost.
            update(
                journal,
                row.id,
                EntryState::Done,
                None,
                Some("found already moved".into()),
                None,
            );
            c.add(&c.copied, 1);
            c.add(&c.bytes_done, e.size);
            c.add(&c.objects_done, 1);
        }
        Err(err) => {
            let reason = reason_for(&err);
            tracing::warn!(job = h.id, key = %e.src_key, "copy failed: {reason}");
            update(
                journal,
                row.id,
                EntryState::Failed,
                Some(reason),
                None,
                None,
            );
            c.add(&c.failed, 1);
            c.add(&c.objects_done, 1);
        }
    }
}

async fn verify_external_copy(
    ctx: &Ctx,
    e: &crate::journal::NewEntry,
) -> Result<super::copy::Copied, S3Error> {
    let p = ctx
        .call(|| ops::head_object(&ctx.dst, &e.dst_bucket, &e.dst_key, None))
        .await?;
    let md5 = |t: &Option<String>| {
        t.as_deref()
            .map(|t| t.trim_matches('"'))
            .filter(|t| t.len() == 32)
            .map(str::to_string)
    };
    if p.size != e.size {
        return Err(S3Error::new(
            ErrorKind::Other,
            format!(
                "verification failed: destination has {} bytes, source {}",
                p.size, e.size
            ),
        ));
    }
    let verify = match (md5(&e.etag), md5(&p.etag)) {
        (Some(a), Some(b)) if a != b => {
            return Err(S3Error::new(
                ErrorKind::Other,
                "verification failed: destination ETag differs from the source",
            ))
        }
        (Some(_), Some(_)) => "etag",
        _ => "size",
    };
    Ok(super::copy::Copied {
        verify: verify.to_string(),
        dst_version: p.version_id,
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

async fn already_moved(ctx: &Ctx, e: &crate::journal::NewEntry) -> bool {
    match ctx
        .call(|| ops::head_object(&ctx.dst, &e.dst_bucket, &e.dst_key, None))
        .await
    {
        Ok(p) => {
            p.size == e.size
                && match (&e.etag, &p.etag) {
                    (Some(a), Some(b)) => a == b || a.contains('-') || b.contains('-'),
                    _ => true,
                }
        }
        Err(_) => false,
    }
}

/// Deletes in batches, each only after the journal holds the verified copies.
async fn delete_worker(
    journal: Arc<Journal>,
    h: Arc<JobHandle>,
    ctx: Arc<Ctx>,
    mut rx: mpsc::Receiver<Deletion>,
) {
    let mut pending: Vec<Deletion> = Vec::new();
    loop {
        let next = if pending.is_empty() {
            rx.recv().await
        } else {
            match tokio::time::timeout(Duration::from_millis(50), rx.recv()).await {
                Ok(v) => v,
                Err(_) => {
                    flush_deletes(&journal, &h, &ctx, std::mem::take(&mut pending)).await;
                    continue;
                }
            }
        };
        match next {
            Some(d) => {
                pending.push(d);
                if pending.len() >= DELETE_BATCH {
                    flush_deletes(&journal, &h, &ctx, std::mem::take(&mut pending)).await;
                }
            }
            None => {
                flush_deletes(&journal, &h, &ctx, std::mem::take(&mut pending)).await;
                return;
            }
        }
    }
}

async fn flush_deletes(journal: &Arc<Journal>, h: &JobHandle, ctx: &Ctx, batch: Vec<Deletion>) {
    if batch.is_empty() {
        return;
    }
    let c = &h.counters;
    if let Err(e) = journal.off_runtime(|j| j.flush()).await {
        // Without a durable "verified" record we must not delete anything.
        for d in &batch {
            update(
                journal,
                d.id,
                EntryState::Failed,
                Some(format!("source kept: journal write failed: {e}")),
                None,
                None,
            );
        }
        c.add(&c.failed, batch.len() as u64);
        c.add(&c.objects_done, batch.len() as u64);
        return;
    }
    let mut by_bucket: HashMap<String, Vec<Deletion>> = HashMap::new();
    for d in batch {
        by_bucket.entry(d.bucket.clone()).or_default().push(d);
    }
    for (bucket, items) in by_bucket {
        let client = items[0].client.clone();
        let keys: Vec<(String, Option<String>)> = items
            .iter()
            .map(|d| (d.key.clone(), d.version_id.clone()))
            .collect();
        let result = ctx
            .call(|| ops::delete_objects(&client, &bucket, &keys))
            .await;
        match result {
            Ok(errors) => {
                for d in &items {
                    let failed = errors
                        .iter()
                        .find(|(k, v, _)| k == &d.key && (v.is_none() || v == &d.version_id));
                    match failed {
                        Some((_, _, why)) => {
                            let reason = if d.is_extra {
                                format!("delete failed: {why}")
                            } else {
                                format!(
                                    "copied and verified, but deleting the source failed: {why}"
                                )
                            };
                            update(journal, d.id, EntryState::Failed, Some(reason), None, None);
                            c.add(&c.failed, 1);
                        }
                        None => {
                            update(journal, d.id, EntryState::Done, None, None, None);
                            c.add(&c.deleted, 1);
                        }
                    }
                    c.add(&c.objects_done, 1);
                }
            }
            Err(err) => {
                for d in &items {
                    let reason = if d.is_extra {
                        format!("delete failed: {}", err.message)
                    } else {
                        format!(
                            "copied and verified, but deleting the source failed: {}",
                            err.message
                        )
                    };
                    update(journal, d.id, EntryState::Failed, Some(reason), None, None);
                    c.add(&c.failed, 1);
                    c.add(&c.objects_done, 1);
                }
            }
        }
    }
    if let Err(e) = journal.off_runtime(|j| j.flush()).await {
        tracing::error!(job = h.id, "journal write after delete failed: {e}");
    }
}
