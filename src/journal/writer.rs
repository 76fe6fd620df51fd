//! The journal's writer: its own thread, the one way an entry's outcome is
//! recorded after planning, how a commit reaches the disk, and the job
//! counters kept with the rows.
//!
//! Crash-safety invariant. Every outcome of a planned entry (copied, already
//! moved, deleted, a null delete marker left, failed) goes through
//! [`Journal::record`], which buffers the entry's new row and returns the
//! counter deltas the job's live counters take for it, so the state written
//! and the progress shown cannot drift apart. Buffered rows are committed by
//! [`Journal::flush`] in one transaction per batch; a batch that fails to
//! commit is kept, in order, for the next try (losing a state change could
//! repeat a delete). The engine flushes before it sends any source delete, so
//! a source is deleted only once its verified copy is committed; a crash
//! loses at most outcomes not yet flushed, and those entries are simply
//! worked again on resume, whose counters start from the stored ones
//! (`Journal::counts`), never from memory.
//!
//! Durability. The journal runs in WAL mode with `synchronous=NORMAL`: a
//! commit survives a crash of the process, and an OS crash or power loss can
//! lose the last commits. That is harmless for every row but one kind: a
//! `verified` row is what allows a source delete, so a transaction that
//! writes one (a flushed batch holding a verified copy, a page of verified
//! copies handed over by Batch Operations, a retry that puts verified copies
//! back) commits with `synchronous=FULL` ([`Durability::of`],
//! [`Journal::commit`]); the WAL is synced before the commit returns, and so
//! before any delete that the row allows is sent. Everything else stays
//! NORMAL (a lost `done` or `copied` row only makes resume work the entry
//! again).
//!
//! Stored counters. Each job's per-state counts live in `job_counts`, kept by
//! the triggers below in the same transaction as the entry rows they count
//! (every insert and state change of an entry, whichever method writes it),
//! so they are never recomputed by scanning entries: `Journal::counts` reads
//! at most a dozen rows per job, which is what the TUI's job snapshots and a
//! resume's counters start from. Deleting entries (retention) leaves the
//! counts alone: they are the job's summary.
use std::sync::Arc;

use rusqlite::params;

use rusqlite::{Connection, Transaction};

use super::{CopiedSource, EntryState, JResult, Journal, JournalError, Update};

/// The stored per-job counters and the triggers that keep them. A row per
/// (job, state, whether the entry is a delete), with its entries' bytes.
pub(super) const COUNTERS: &str = "
CREATE TABLE IF NOT EXISTS job_counts (
    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    is_delete INTEGER NOT NULL,
    n INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (job_id, state, is_delete)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS job_counts_insert AFTER INSERT ON entries BEGIN
    INSERT INTO job_counts (job_id, state, is_delete, n, bytes)
    VALUES (NEW.job_id, NEW.state, NEW.action = 'delete', 1, NEW.size)
    ON CONFLICT (job_id, state, is_delete) DO UPDATE SET n = n + 1, bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER IF NOT EXISTS job_counts_update AFTER UPDATE OF job_id, state, action, size ON entries
WHEN OLD.state IS NOT NEW.state OR OLD.job_id IS NOT NEW.job_id OR OLD.size IS NOT NEW.size
  OR (OLD.action = 'delete') IS NOT (NEW.action = 'delete')
BEGIN
    UPDATE job_counts SET n = n - 1, bytes = bytes - OLD.size
    WHERE job_id = OLD.job_id AND state = OLD.state AND is_delete = (OLD.action = 'delete');
    INSERT INTO job_counts (job_id, state, is_delete, n, bytes)
    VALUES (NEW.job_id, NEW.state, NEW.action = 'delete', 1, NEW.size)
    ON CONFLICT (job_id, state, is_delete) DO UPDATE SET n = n + 1, bytes = bytes + excluded.bytes;
END;";

/// Create the counters; a journal made before them gets them computed once
/// from its entries, in the same transaction, so no write slips between.
pub(super) fn init_counters(c: &mut Connection) -> rusqlite::Result<()> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let existed: bool = tx
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'job_counts'")?
        .exists([])?;
    tx.execute_batch(COUNTERS)?;
    if !existed {
        tx.execute(
            "INSERT INTO job_counts (job_id, state, is_delete, n, bytes)
             SELECT job_id, state, action = 'delete', COUNT(*), COALESCE(SUM(size), 0)
             FROM entries GROUP BY 1, 2, 3",
            [],
        )?;
    }
    tx.commit()
}

/// How a transaction reaches the disk (see the invariant above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Durability {
    /// `synchronous=NORMAL`: survives the process, not the OS.
    Normal,
    /// `synchronous=FULL`: synced before the commit returns.
    Full,
}

impl Durability {
    /// Full when the transaction writes a row that allows a source delete.
    pub(super) fn of(states: impl IntoIterator<Item = EntryState>) -> Durability {
        if states.into_iter().any(|s| s == EntryState::Verified) {
            Durability::Full
        } else {
            Durability::Normal
        }
    }

    fn pragma(self) -> &'static str {
        match self {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        }
    }
}

/// How one entry ended (or reached its next step) in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The copy was verified (`verify` says how). Final for a copy or sync;
    /// with `awaiting_delete` (a move) the source delete comes next.
    Copied {
        verify: String,
        dst_version: Option<String>,
        source: CopiedSource,
        awaiting_delete: bool,
    },
    /// A move found its source gone and the destination holding the planned
    /// object: an earlier run moved it and its last journal write was lost.
    AlreadyMoved { verify: String },
    /// The delete (a moved source, or an extraneous destination key) was done.
    Deleted { note: Option<String> },
    /// A null delete marker left in a moved source: it holds no data.
    NullMarkerLeft,
    /// The copy or the delete failed; the entry keeps the reason.
    Failed { reason: String },
}

/// What a recorded outcome adds to the job's live counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub objects_done: u64,
    pub bytes_done: u64,
    pub copied: u64,
    pub failed: u64,
    pub deleted: u64,
}

pub(super) type JournalJob = Box<dyn FnOnce() + Send>;

impl Journal {
    /// Run `f` on the journal's own thread. A commit can wait on the disk (a
    /// WAL checkpoint fsyncs), and a runtime worker waiting on it would stall
    /// every request in flight with it. One thread rather than Tokio's
    /// blocking pool: the work is serialised by the connection anyway, and
    /// SQLite's allocations spread over many threads cost about 10 MiB of
    /// resident memory in a 100,000-object copy.
    pub async fn off_runtime<T, E, F>(self: &Arc<Self>, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<JournalError> + Send + 'static,
        F: FnOnce(&Journal) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let journal = self.clone();
        let job: JournalJob = Box::new(move || {
            let _ = tx.send(f(&journal));
        });
        let lost = || {
            E::from(JournalError::Other {
                path: self.path.display().to_string(),
                message: "the journal thread stopped".into(),
            })
        };
        if self.worker().send(job).is_err() {
            return Err(lost());
        }
        rx.await.unwrap_or_else(|_| Err(lost()))
    }

    fn worker(&self) -> &std::sync::mpsc::Sender<JournalJob> {
        self.worker.get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel::<JournalJob>();
            let spawned = std::thread::Builder::new()
                .name("s3ferry-journal".into())
                .spawn(move || {
                    // Ends when the journal (the only sender) is dropped.
                    while let Ok(job) = rx.recv() {
                        job();
                    }
                });
            if let Err(e) = spawned {
                tracing::error!("cannot start the journal thread: {e}");
            }
            tx
        })
    }

    /// Buffer a state change; written by the next `flush`. Private to the
    /// journal: outside it, outcomes go through `record`.
    pub(super) fn update(&self, u: Update) {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(u);
    }

    pub fn pending_updates(&self) -> usize {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Write all buffered state changes in one transaction.
    pub fn flush(&self) -> JResult<()> {
        let batch = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if batch.is_empty() {
            return Ok(());
        }
        let durability = Durability::of(batch.iter().map(|u| u.state));
        let res = self.commit(durability, |tx| {
            {
                let mut st = tx.prepare_cached(
                    "UPDATE entries SET state = ?2, reason = ?3, verify = COALESCE(?4, verify),
                       dst_version = COALESCE(?5, dst_version),
                       copied_version = COALESCE(?6, copied_version),
                       copied_etag = COALESCE(?7, copied_etag),
                       attempts = attempts + 1 WHERE id = ?1",
                )?;
                for u in &batch {
                    st.execute(params![
                        u.id,
                        u.state.as_str(),
                        u.reason,
                        u.verify,
                        u.dst_version,
                        u.copied.version_id,
                        u.copied.etag
                    ])?;
                }
            }
            Ok(())
        });
        if res.is_err() {
            // Keep them for the next try: losing a state change could repeat a delete.
            let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            let newer = std::mem::take(&mut *p);
            *p = batch;
            p.extend(newer);
        }
        res
    }

    /// One write transaction at the given durability; NORMAL is restored
    /// afterwards whatever happened.
    pub(super) fn commit<T>(
        &self,
        durability: Durability,
        f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> JResult<T> {
        self.with(|c| {
            if durability != Durability::Normal {
                c.pragma_update(None, "synchronous", durability.pragma())?;
            }
            let res = c.transaction().and_then(|tx| {
                let out = f(&tx)?;
                tx.commit()?;
                Ok(out)
            });
            if durability != Durability::Normal {
                let restored = c.pragma_update(None, "synchronous", Durability::Normal.pragma());
                return res.and_then(|out| restored.map(|()| out));
            }
            res
        })
    }

    /// Record an entry's outcome: its row is buffered for the next `flush`,
    /// and the returned tally is what the job's counters take for it (see
    /// the invariant at the top of this file). `size` is the entry's size.
    pub fn record(&self, id: i64, size: u64, outcome: Outcome) -> Tally {
        let (update, tally) = match outcome {
            Outcome::Copied {
                verify,
                dst_version,
                source,
                awaiting_delete,
            } => (
                Update {
                    id,
                    state: if awaiting_delete {
                        EntryState::Verified
                    } else {
                        EntryState::Done
                    },
                    verify: Some(verify),
                    dst_version,
                    copied: source,
                    ..Default::default()
                },
                Tally {
                    // A move's entry is done once its source is deleted.
                    objects_done: u64::from(!awaiting_delete),
                    bytes_done: size,
                    copied: 1,
                    ..Tally::default()
                },
            ),
            Outcome::AlreadyMoved { verify } => (
                Update {
                    id,
                    state: EntryState::Done,
                    verify: Some(verify),
                    ..Default::default()
                },
                Tally {
                    objects_done: 1,
                    bytes_done: size,
                    copied: 1,
                    ..Tally::default()
                },
            ),
            Outcome::Deleted { note } => (
                Update {
                    id,
                    state: EntryState::Done,
                    verify: note,
                    ..Default::default()
                },
                Tally {
                    objects_done: 1,
                    deleted: 1,
                    ..Tally::default()
                },
            ),
            Outcome::NullMarkerLeft => (
                Update {
                    id,
                    state: EntryState::Done,
                    verify: Some("null delete marker left in the source (it holds no data)".into()),
                    ..Default::default()
                },
                Tally {
                    objects_done: 1,
                    ..Tally::default()
                },
            ),
            Outcome::Failed { reason } => (
                Update {
                    id,
                    state: EntryState::Failed,
                    reason: Some(reason),
                    ..Default::default()
                },
                Tally {
                    objects_done: 1,
                    failed: 1,
                    ..Tally::default()
                },
            ),
        };
        self.update(update);
        tally
    }
}
