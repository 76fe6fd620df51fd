//! The job engine: the only place that writes to buckets. The CLI and the TUI
//! submit jobs here and sample their progress.

pub mod batch;
pub mod breaker;
pub mod calls;
pub mod copy;
pub mod delete;
pub mod job;
pub mod limiter;
/// The job types, at their old path (they live in the `job` leaf).
pub use crate::job as model;
pub mod overlap;
pub mod planner;
pub mod preview;
pub mod retry;
pub mod runner;
pub mod signals;
pub mod uploads;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub use job::{JobHandle, JobOutcome};
pub use model::*;

use crate::config::{Config, ConnectionSettings};
use crate::journal::Journal;
use crate::s3::ConnectionPool;

struct Inner {
    pool: ConnectionPool,
    journal: Arc<Journal>,
    config: Config,
    live: Mutex<BTreeMap<JobId, Arc<JobHandle>>>,
    events: tokio::sync::broadcast::Sender<JobEvent>,
}

/// A change in which jobs exist or run, for front ends that show them: on
/// an event they re-read the journal's list; between events they sample
/// the live jobs' counters ([`Engine::live_jobs`]) without touching it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobEvent {
    Started(JobId),
    Finished(JobId),
}

/// What the engine's API refuses or fails on, typed so the front ends decide
/// what to show and the CLI its exit code without reading message strings.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The job would delete or overwrite what it reads (the plan's safety rules).
    #[error("{0}")]
    Refused(String),
    #[error("no job {0} in the journal")]
    NoSuchJob(JobId),
    #[error("job {0} already completed")]
    AlreadyCompleted(JobId),
    #[error("job {job} is running in another s3ferry process (pid {pid})")]
    RunningElsewhere { job: JobId, pid: u32 },
    #[error("job {0} is still running")]
    StillRunning(JobId),
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    #[error(transparent)]
    S3(#[from] crate::s3::S3Error),
}

/// Handle to the engine; cheap to clone.
#[derive(Clone)]
pub struct Engine(Arc<Inner>);

impl Engine {
    /// The engine on the default journal (`S3FERRY_DATA` or the data dir).
    /// Jobs a previous process left running are marked interrupted.
    pub async fn open(pool: ConnectionPool) -> anyhow::Result<Engine> {
        // Opening reads the journal and may apply its daily retention:
        // SQLite work, kept off the runtime's workers.
        tokio::task::spawn_blocking(move || {
            let journal = Arc::new(Journal::open_default()?);
            let config = Config::load().unwrap_or_default();
            Ok(Engine::with_journal(pool, journal, config))
        })
        .await?
    }

    pub fn with_journal(pool: ConnectionPool, journal: Arc<Journal>, config: Config) -> Engine {
        if let Err(e) = journal.mark_orphans_interrupted(&[]) {
            tracing::warn!("cannot mark interrupted jobs: {e}");
        }
        match config.journal.retention() {
            Ok(keep) => {
                if let Err(e) = journal.prune_daily(keep) {
                    tracing::warn!("cannot apply the journal's retention: {e}");
                }
            }
            Err(e) => tracing::warn!("[journal] keep: {e}"),
        }
        Engine(Arc::new(Inner {
            pool,
            journal,
            config,
            live: Mutex::new(BTreeMap::new()),
            events: tokio::sync::broadcast::channel(64).0,
        }))
    }

    pub fn journal(&self) -> &Arc<Journal> {
        &self.0.journal
    }

    pub fn pool(&self) -> &ConnectionPool {
        &self.0.pool
    }

    /// Journal the job and start it in the background.
    pub async fn submit(&self, spec: JobSpec) -> Result<JobId, EngineError> {
        overlap::check_spec(&spec).map_err(EngineError::Refused)?;
        let id = self.0.journal.create_job(&spec)?;
        self.start(id, spec, chrono::Utc::now().timestamp());
        Ok(id)
    }

    fn start(&self, id: JobId, spec: JobSpec, created_at: i64) -> Arc<JobHandle> {
        let handle = Arc::new(JobHandle::new(id, spec, created_at));
        // A resumed job shows what it already did from its first snapshot, so
        // rates are not computed over the jump from zero.
        if let Ok(k) = self.0.journal.counts(id) {
            handle.counters.load(&k);
        }
        self.0
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, handle.clone());
        let runner = runner::Runner {
            journal: self.0.journal.clone(),
            pool: self.0.pool.clone(),
            handle: handle.clone(),
        };
        let events = self.0.events.clone();
        // Nobody listening is fine: the events only prompt a re-read.
        let _ = events.send(JobEvent::Started(id));
        tokio::spawn(async move {
            runner.run().await;
            let _ = events.send(JobEvent::Finished(id));
        });
        handle
    }

    pub fn handle(&self, id: JobId) -> Option<Arc<JobHandle>> {
        self.0
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned()
    }

    /// Wait for a job of this process to stop; its final snapshot.
    pub async fn wait(&self, id: JobId) -> Option<JobSnapshot> {
        let h = self.handle(id)?;
        h.wait().await;
        Some(h.snapshot())
    }

    /// Jobs of this process, then unfinished ones from the journal.
    pub fn jobs(&self) -> Vec<JobSnapshot> {
        let mut out = self.live_jobs();
        out.extend(self.earlier_jobs());
        out.sort_by_key(|s| s.id);
        out
    }

    /// Events of jobs starting and finishing.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<JobEvent> {
        self.0.events.subscribe()
    }

    /// Jobs of this process, from their live counters: cheap enough for
    /// every UI tick (no journal read).
    pub fn live_jobs(&self) -> Vec<JobSnapshot> {
        let live: Vec<Arc<JobHandle>> = self
            .0
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        live.iter().map(|h| h.snapshot()).collect()
    }

    /// Unfinished jobs of earlier runs, from the journal (a read of their
    /// counts: on events, not on every tick).
    pub fn earlier_jobs(&self) -> Vec<JobSnapshot> {
        let live: Vec<JobId> = self
            .0
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .copied()
            .collect();
        let Ok(records) = self.0.journal.jobs() else {
            return Vec::new();
        };
        records
            .iter()
            .filter(|r| !live.contains(&r.id) && r.state.is_resumable())
            .map(|r| self.journal_snapshot(r))
            .collect()
    }

    /// A snapshot of a job read from the journal (for jobs not running here).
    pub fn journal_snapshot(&self, r: &crate::journal::JobRecord) -> JobSnapshot {
        let counters = job::Counters::default();
        if let Ok(k) = self.0.journal.counts(r.id) {
            counters.load(&k);
        }
        counters
            .listing_done
            .store(r.planned, std::sync::atomic::Ordering::Relaxed);
        JobSnapshot {
            id: r.id,
            kind: r.kind,
            state: r.state,
            source: r.spec.source_label(),
            destination: r.spec.destination_label(),
            progress: counters.progress(),
            created_at: r.created_at,
            finished_at: r.finished_at,
            message: r.message.clone(),
        }
    }

    pub fn pause(&self, id: JobId) {
        if let Some(h) = self.handle(id) {
            h.transition(JobState::Running, JobState::Paused, || {
                // Not `send`: it keeps the old value while no task is subscribed.
                h.paused.send_replace(true);
                let _ = self.0.journal.set_job_state(id, JobState::Paused, None);
            });
        }
    }

    /// Unpause a paused job, or continue an interrupted/cancelled/failed one.
    pub fn resume(&self, id: JobId) -> Result<(), EngineError> {
        if let Some(h) = self.handle(id) {
            let unpaused = h.transition(JobState::Paused, JobState::Running, || {
                h.paused.send_replace(false);
                let _ = self.0.journal.set_job_state(id, JobState::Running, None);
            });
            match h.state() {
                _ if unpaused => return Ok(()),
                s if s.is_active() => return Ok(()),
                _ => {
                    let spec = h.spec.clone();
                    self.start(id, spec, h.created_at);
                    return Ok(());
                }
            }
        }
        let record = self.0.journal.job(id)?.ok_or(EngineError::NoSuchJob(id))?;
        if record.state == JobState::Completed {
            return Err(EngineError::AlreadyCompleted(id));
        }
        if let Some(pid) = self.0.journal.running_elsewhere(id)? {
            return Err(EngineError::RunningElsewhere { job: id, pid });
        }
        let mut spec = record.spec.clone();
        spec.src_conn = self.restore_secrets(spec.src_conn);
        spec.dst_conn = self.restore_secrets(spec.dst_conn);
        self.start(id, spec, record.created_at);
        Ok(())
    }

    /// Secrets are never journaled; a named connection gets them back from the config.
    fn restore_secrets(&self, s: ConnectionSettings) -> ConnectionSettings {
        let named = s
            .name
            .as_deref()
            .and_then(|n| self.0.config.connection(n).ok());
        s.with_secret_from(named.as_ref())
    }

    pub fn cancel(&self, id: JobId) {
        if let Some(h) = self.handle(id) {
            h.cancel.cancel();
        }
    }

    /// Stop a job (first Ctrl-C, SIGTERM, quitting the TUI): no new object
    /// starts; objects in flight finish, or are aborted after [`STOP_GRACE`].
    /// The job ends interrupted and resumable.
    pub fn stop(&self, id: JobId) {
        let Some(h) = self.handle(id) else { return };
        h.cancel.cancel();
        tokio::spawn(async move {
            tokio::select! {
                _ = h.wait() => {}
                _ = tokio::time::sleep(STOP_GRACE) => h.abort.cancel(),
            }
        });
    }

    /// Stop a job now (second Ctrl-C): requests in flight are dropped and
    /// their multipart uploads aborted; those objects stay pending.
    pub fn abort(&self, id: JobId) {
        if let Some(h) = self.handle(id) {
            h.cancel.cancel();
            h.abort.cancel();
        }
    }

    /// [`Engine::stop`] every job of this process that is still active, and
    /// wait for them to end; their ids.
    pub async fn stop_all(&self) -> Vec<JobId> {
        let active: Vec<Arc<JobHandle>> = {
            let live = self.0.live.lock().unwrap_or_else(|p| p.into_inner());
            live.values()
                .filter(|h| h.state().is_active())
                .cloned()
                .collect()
        };
        for h in &active {
            self.stop(h.id);
        }
        for h in &active {
            h.wait().await;
        }
        active.iter().map(|h| h.id).collect()
    }

    /// `jobs cancel`: stop a job for good (it stays resumable) and abort
    /// the multipart uploads its runs left open.
    pub async fn cancel_job(&self, id: JobId) -> Result<uploads::Aborted, EngineError> {
        if let Some(h) = self.handle(id) {
            self.stop(id);
            h.wait().await;
        }
        let record = self.0.journal.job(id)?.ok_or(EngineError::NoSuchJob(id))?;
        if record.state == JobState::Completed {
            return Err(EngineError::AlreadyCompleted(id));
        }
        if let Some(pid) = self.0.journal.running_elsewhere(id)? {
            return Err(EngineError::RunningElsewhere { job: id, pid });
        }
        if record.state != JobState::Cancelled {
            let message = format!("cancelled; resume with: s3ferry resume {id}");
            self.0
                .journal
                .set_job_state(id, JobState::Cancelled, Some(&message))?;
        }
        let left = self.0.journal.job_uploads(id)?;
        let Some(first) = left.first() else {
            return Ok(uploads::Aborted::default());
        };
        let dst = self.restore_secrets(record.spec.dst_conn.clone());
        let conn = self.0.pool.get(&dst).await?;
        let bucket = retry::with_retries(|| conn.bucket(&first.bucket)).await?;
        Ok(uploads::abort_recorded(&self.0.journal, &bucket, left).await)
    }

    /// Put failed objects back to pending and run the job again.
    pub async fn retry_failed(&self, id: JobId) -> Result<(), EngineError> {
        if let Some(h) = self.handle(id) {
            if h.state().is_active() {
                return Err(EngineError::StillRunning(id));
            }
        }
        self.0.journal.reset_failed(id)?;
        self.resume(id)
    }

    pub fn failed_entries(&self, id: JobId, limit: usize) -> Result<Vec<FailedEntry>, EngineError> {
        Ok(self.0.journal.failed(id, limit)?)
    }
}
