//! A job's live state: counters the workers bump and the UI samples, and the
//! typed outcome the run ends with (`JobOutcome`), the engine's public result.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::breaker::Breaker;
use super::model::{JobId, JobSnapshot, JobSpec, JobState, Progress};
use crate::journal::{Counts, Journal, Outcome, Tally};

/// How a job ended: the typed result the front ends act on (the CLI maps it
/// to its exit code in `cli/output.rs`); the job's message is its wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobOutcome {
    #[error("completed")]
    Completed,
    /// The run finished, and some objects failed.
    #[error("{objects} object(s) failed; see: s3ferry jobs show {job} --failed")]
    ObjectsFailed { job: JobId, objects: u64 },
    /// Refused before anything ran: the plan asked for something unsafe.
    #[error("{reason}")]
    Refused { reason: String },
    /// The run itself failed (listing, connection, journal).
    #[error("{reason}")]
    Failed { reason: String },
    /// Stopped by the user; the journal lets it resume.
    #[error("stopped; resume with: s3ferry resume {job}")]
    Interrupted { job: JobId },
    /// Stopped by itself (the endpoint unreachable past the retry budget,
    /// credentials that cannot be refreshed); nothing was marked failed
    /// for it, and the journal lets it resume.
    #[error("{reason}; stopped, resume with: s3ferry resume {job}")]
    Stopped { job: JobId, reason: String },
}

impl JobOutcome {
    /// The journal state a job with this outcome ends in.
    pub fn state(&self) -> JobState {
        match self {
            JobOutcome::Completed => JobState::Completed,
            JobOutcome::Interrupted { .. } => JobState::Cancelled,
            JobOutcome::Stopped { .. } => JobState::Interrupted,
            JobOutcome::ObjectsFailed { .. }
            | JobOutcome::Refused { .. }
            | JobOutcome::Failed { .. } => JobState::Failed,
        }
    }
}

#[derive(Default)]
pub struct Counters {
    pub objects_total: AtomicU64,
    pub objects_done: AtomicU64,
    pub bytes_total: AtomicU64,
    pub bytes_done: AtomicU64,
    pub copied: AtomicU64,
    pub skipped: AtomicU64,
    pub failed: AtomicU64,
    pub deleted: AtomicU64,
    pub retries: AtomicU64,
    pub in_flight: AtomicU64,
    pub listing_done: AtomicBool,
    pub concurrency: AtomicU64,
    pub throttled: AtomicU64,
}

impl Counters {
    pub fn add(&self, c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    /// Count a recorded outcome (see `Journal::record`).
    pub fn apply(&self, t: &Tally) {
        self.add(&self.objects_done, t.objects_done);
        self.add(&self.bytes_done, t.bytes_done);
        self.add(&self.copied, t.copied);
        self.add(&self.failed, t.failed);
        self.add(&self.deleted, t.deleted);
    }

    /// Start from what the journal already holds (resume).
    pub fn load(&self, k: &Counts) {
        let entries = k.total - k.deletes;
        self.objects_total
            .store(entries + k.deletes, Ordering::Relaxed);
        self.bytes_total.store(k.total_bytes, Ordering::Relaxed);
        self.copied
            .store(k.done + k.verified - k.deletes_done, Ordering::Relaxed);
        self.skipped.store(k.skipped, Ordering::Relaxed);
        self.failed.store(k.failed + k.conflict, Ordering::Relaxed);
        self.deleted.store(k.deletes_done, Ordering::Relaxed);
        self.objects_done.store(
            k.done + k.skipped + k.failed + k.conflict,
            Ordering::Relaxed,
        );
        self.bytes_done.store(k.done_bytes, Ordering::Relaxed);
    }

    pub fn progress(&self) -> Progress {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Progress {
            objects_total: g(&self.objects_total),
            objects_done: g(&self.objects_done),
            bytes_total: g(&self.bytes_total),
            bytes_done: g(&self.bytes_done),
            copied: g(&self.copied),
            skipped: g(&self.skipped),
            failed: g(&self.failed),
            deleted: g(&self.deleted),
            retries: g(&self.retries),
            in_flight: g(&self.in_flight),
            listing_done: self.listing_done.load(Ordering::Relaxed),
            concurrency: g(&self.concurrency),
            throttled: g(&self.throttled),
            // The breaker's, filled in by `JobHandle::snapshot`.
            unreachable_retry_in: None,
        }
    }
}

pub struct JobHandle {
    pub id: JobId,
    pub spec: JobSpec,
    pub created_at: i64,
    pub counters: Counters,
    state: Mutex<(JobState, Option<String>, Option<i64>)>,
    pub paused: watch::Sender<bool>,
    pub cancel: CancellationToken,
    finished: watch::Sender<bool>,
    /// How the run ended, once it has.
    outcome: Mutex<Option<JobOutcome>>,
    /// Things the summary must say (an endpoint without conditional deletes).
    notes: Mutex<Vec<String>>,
    /// Whether the endpoint is reachable; why the job stopped itself.
    pub breaker: std::sync::Arc<Breaker>,
}

impl JobHandle {
    pub fn new(id: JobId, spec: JobSpec, created_at: i64) -> JobHandle {
        let cancel = CancellationToken::new();
        JobHandle {
            breaker: std::sync::Arc::new(Breaker::new(spec.run.retry_budget, cancel.clone())),
            id,
            spec,
            created_at,
            counters: Counters::default(),
            state: Mutex::new((JobState::Queued, None, None)),
            paused: watch::channel(false).0,
            cancel,
            finished: watch::channel(false).0,
            outcome: Mutex::new(None),
            notes: Mutex::new(Vec::new()),
        }
    }

    /// Journal an entry's outcome and count it: the one path from a worker's
    /// result to the journal and the progress (see `journal/writer.rs`).
    pub fn record(&self, journal: &Journal, id: i64, size: u64, outcome: Outcome) {
        let tally = journal.record(id, size, outcome);
        self.counters.apply(&tally);
    }

    /// Say something in the job's final message (once).
    pub fn add_note(&self, note: String) {
        let mut n = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        if !n.contains(&note) {
            n.push(note);
        }
    }

    pub fn notes(&self) -> Vec<String> {
        self.notes.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn was_refused(&self) -> bool {
        matches!(self.outcome(), Some(JobOutcome::Refused { .. }))
    }

    /// How the run ended; `None` while it runs.
    pub fn outcome(&self) -> Option<JobOutcome> {
        self.outcome
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// End the run: its state and message follow from the outcome (and the
    /// notes), and waiters wake.
    pub fn finish(&self, outcome: JobOutcome) -> (JobState, String) {
        let state = outcome.state();
        let notes = self.notes();
        let message = if notes.is_empty() {
            outcome.to_string()
        } else {
            format!("{outcome}; {}", notes.join("; "))
        };
        *self.outcome.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
        self.set_state(state, Some(message.clone()));
        (state, message)
    }

    pub fn state(&self) -> JobState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).0
    }

    /// Moves the job from `from` to `to` and runs `also` (journal the new
    /// state) under the state lock, only if it is still in `from`: a job that
    /// finishes meanwhile is never made paused or running again.
    pub fn transition(&self, from: JobState, to: JobState, also: impl FnOnce()) -> bool {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if g.0 != from {
            return false;
        }
        g.0 = to;
        also();
        true
    }

    pub fn set_state(&self, s: JobState, message: Option<String>) {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        g.0 = s;
        if message.is_some() {
            g.1 = message;
        }
        if !s.is_active() {
            g.2 = Some(chrono::Utc::now().timestamp());
        }
    }

    pub fn message(&self) -> Option<String> {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clone()
    }

    pub fn mark_finished(&self) {
        // `send` would drop the value while nobody is subscribed yet.
        self.finished.send_replace(true);
    }

    /// Resolves once the job stops (completed, failed or cancelled).
    pub async fn wait(&self) {
        let mut rx = self.finished.subscribe();
        let _ = rx.wait_for(|f| *f).await;
    }

    pub fn snapshot(&self) -> JobSnapshot {
        let g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        JobSnapshot {
            id: self.id,
            kind: self.spec.kind,
            state: g.0,
            source: self.spec.source_label(),
            destination: self.spec.destination_label(),
            progress: Progress {
                unreachable_retry_in: self.breaker.retry_in(),
                ..self.counters.progress()
            },
            created_at: self.created_at,
            finished_at: g.2,
            message: g.1.clone(),
        }
    }
}
