//! Carrying out the effects `app::update` returns: each runs in its own tokio
//! task and reports back with a `Msg`, so the UI task never awaits S3. This
//! is the one place the TUI talks to the engine and to `s3`; one file per
//! feature, named like its `app/` folder.

mod batch;
mod browse;
mod compare;
mod preview;
mod transfers;

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::app::{Effect, Msg, RequestId};
use crate::engine::Engine;
use crate::s3::ConnectionPool;

/// How often a running size count or comparison reports its partial numbers.
const PARTIAL_REPORT: Duration = Duration::from_millis(300);

/// Carries out effects in background tasks; each reports back with a `Msg`.
pub(super) struct Executor {
    tx: UnboundedSender<Msg>,
    pool: ConnectionPool,
    engine: Option<Engine>,
    /// Cancellable requests still running.
    running: HashMap<RequestId, AbortHandle>,
}

/// Sends an effect's result back, logging failures: the status line only
/// shows the latest message, the log keeps them all.
fn reply(tx: &UnboundedSender<Msg>, msg: Msg) {
    let failed = match &msg {
        Msg::ConnectionReady { result: Err(e), .. }
        | Msg::BucketsLoaded { result: Err(e), .. }
        | Msg::ListResult { result: Err(e), .. }
        | Msg::StatusLoaded { result: Err(e), .. }
        | Msg::ReplicationSummaryLoaded { result: Err(e), .. }
        | Msg::MarkSizeComputed { result: Err(e), .. }
        | Msg::PreviewDone { result: Err(e), .. }
        | Msg::JobDetailsLoaded { result: Err(e), .. }
        | Msg::CompareDone { result: Err(e), .. }
        | Msg::Error(e) => Some(e),
        _ => None,
    };
    if let Some(e) = failed {
        tracing::warn!("{e}");
    }
    let _ = tx.send(msg);
}

fn text(e: impl std::fmt::Display) -> String {
    // One line: messages go to a one-line status bar.
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Executor {
    pub(super) fn new(
        tx: UnboundedSender<Msg>,
        pool: ConnectionPool,
        engine: Option<Engine>,
    ) -> Executor {
        Executor {
            tx,
            pool,
            engine,
            running: HashMap::new(),
        }
    }

    /// Spawns `fut`; a panic in it becomes an error message instead of a lost reply.
    fn spawn<F>(&mut self, request: Option<RequestId>, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.running.retain(|_, h| !h.is_finished());
        let task = tokio::spawn(fut);
        if let Some(r) = request {
            self.running.insert(r, task.abort_handle());
        }
        let tx = self.tx.clone();
        tokio::spawn(async move {
            if let Err(e) = task.await {
                if e.is_panic() {
                    tracing::error!("background task panicked: {e}");
                    let _ = tx.send(Msg::Error(
                        "internal error in a background task (see the log)".into(),
                    ));
                }
            }
        });
    }

    pub(super) fn abort_all(&mut self) {
        for (_, h) in self.running.drain() {
            h.abort();
        }
    }

    fn engine_or_error(&self) -> Option<Engine> {
        if self.engine.is_none() {
            let _ = self.tx.send(Msg::Error(
                "the job engine is unavailable; see the log".into(),
            ));
        }
        self.engine.clone()
    }

    /// Hands each effect to the handler of its feature.
    pub(super) fn run(&mut self, effect: Effect) {
        match effect {
            Effect::SwitchConnection { request, conn } => self.switch_connection(request, conn),
            Effect::ListBuckets { request, conn } => self.list_buckets(request, conn),
            Effect::ListPage {
                request,
                conn,
                req,
                token,
            } => self.list_page(request, conn, req, token),
            Effect::LoadStatus {
                request,
                conn,
                bucket,
            } => self.load_status(request, conn, bucket),
            Effect::LoadReplicationSummary {
                request,
                conn,
                bucket,
                prefix,
                limit,
                covered,
            } => self.load_replication_summary(request, conn, bucket, prefix, limit, covered),
            Effect::ComputeSize {
                request,
                conn,
                location,
            } => self.compute_size(request, conn, location),
            Effect::StartPreview { request, spec } => self.start_preview(request, spec),
            Effect::Cancel { request } => {
                if let Some(h) = self.running.remove(&request) {
                    h.abort();
                }
            }
            Effect::SubmitJob(spec) => self.submit_job(spec),
            Effect::PauseJob(id) => self.pause_job(id),
            Effect::CancelJob(id) => self.cancel_job(id),
            Effect::ResumeJob(id) => self.resume_job(id),
            Effect::RetryFailed(id) => self.retry_failed(id),
            Effect::LoadJobDetails(job) => self.load_job_details(job),
            Effect::StartCompare {
                request,
                src_conn,
                src,
                dst_conn,
                dst,
            } => self.start_compare(request, (src_conn, src), (dst_conn, dst)),
            Effect::SubmitBatch(req) => self.submit_batch(req),
            Effect::LoadBatches => self.load_batches(),
            Effect::PollBatch {
                id,
                conn,
                region,
                account_id,
                remote_id,
                control_endpoint,
            } => self.poll_batch(id, conn, region, account_id, remote_id, control_endpoint),
            Effect::FinishBatchMove { id, record, conn } => {
                self.finish_batch_move(id, record, conn)
            }
            // The event loop stops before running this.
            Effect::Quit => {}
        }
    }
}
