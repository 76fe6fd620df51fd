//! Crash-safe job store (SQLite, WAL): jobs, their listing cursors, one row
//! per planned object with its state, and the destination index used by sync.
//!
//! Entry states: `pending` -> `copied` (written, not yet verified) ->
//! `verified` (copy checked; final for copy/sync, for a move awaiting the
//! source delete) -> `done` (move: source deleted). Side states: `skipped`,
//! `failed` (with a reason), `conflict` (refused by the plan).

mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rusqlite::{params, Connection, OptionalExtension};

use crate::job::{FailedEntry, JobId, JobKind, JobSpec, JobState};
use crate::plan::compare::Facts;
use crate::plan::model::Action;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Sql {
        path: String,
        source: rusqlite::Error,
    },
    #[error("journal {path}: {message}")]
    Other { path: String, message: String },
}

pub type JResult<T> = Result<T, JournalError>;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EntryState {
    #[default]
    Pending,
    Copied,
    Verified,
    Done,
    Skipped,
    Failed,
    Conflict,
}

impl EntryState {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Pending => "pending",
            EntryState::Copied => "copied",
            EntryState::Verified => "verified",
            EntryState::Done => "done",
            EntryState::Skipped => "skipped",
            EntryState::Failed => "failed",
            EntryState::Conflict => "conflict",
        }
    }

    /// A stored state; an unknown one is an error, never a default (a
    /// misread "verified" could delete a source).
    fn parse(s: &str) -> Result<EntryState, String> {
        Ok(match s {
            "pending" => EntryState::Pending,
            "copied" => EntryState::Copied,
            "verified" => EntryState::Verified,
            "done" => EntryState::Done,
            "skipped" => EntryState::Skipped,
            "failed" => EntryState::Failed,
            "conflict" => EntryState::Conflict,
            other => return Err(format!("unknown entry state {other:?}")),
        })
    }
}

fn action_parse(s: &str) -> Result<Action, String> {
    Ok(match s {
        "copy" => Action::Copy,
        "overwrite" => Action::Overwrite,
        "skip" => Action::Skip,
        "conflict" => Action::Conflict,
        "delete" => Action::Delete,
        other => return Err(format!("unknown entry action {other:?}")),
    })
}

/// A stored value that does not parse, as a row error.
fn bad_value(column: usize, message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, message.into())
}

/// A planned object as the planner hands it to the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub idx: i64,
    pub src_bucket: String,
    pub src_key: String,
    pub version_id: Option<String>,
    pub size: u64,
    pub etag: Option<String>,
    pub last_modified: Option<i64>,
    pub storage_class: Option<String>,
    pub dst_bucket: String,
    pub dst_key: String,
    pub action: Action,
    pub delete_marker: bool,
    pub state: EntryState,
    pub reason: Option<String>,
}

/// A journaled entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    pub id: i64,
    pub entry: NewEntry,
    pub state: EntryState,
    pub reason: Option<String>,
    pub verify: Option<String>,
    pub dst_version: Option<String>,
    /// What the copy read: the source version and ETag the delete of a moved
    /// source is conditional on.
    pub copied: CopiedSource,
}

/// The exact source a copy read, recorded with its verification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopiedSource {
    /// Version id the copy read (`null` for a null version); `None` when the
    /// source bucket has never had versioning.
    pub version_id: Option<String>,
    pub etag: Option<String>,
}

/// A state change, buffered and written in batches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    pub id: i64,
    pub state: EntryState,
    pub reason: Option<String>,
    pub verify: Option<String>,
    pub dst_version: Option<String>,
    pub copied: CopiedSource,
}

#[derive(Debug, Clone)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: JobKind,
    pub spec: JobSpec,
    pub state: JobState,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub message: Option<String>,
    pub planned: bool,
}

/// Per-state counts of a job's entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: u64,
    pub total_bytes: u64,
    pub pending: u64,
    pub copied: u64,
    pub verified: u64,
    pub done: u64,
    pub done_bytes: u64,
    pub skipped: u64,
    pub failed: u64,
    pub conflict: u64,
    pub deletes: u64,
    pub deletes_done: u64,
}

type JournalJob = Box<dyn FnOnce() + Send>;

pub struct Journal {
    path: PathBuf,
    conn: Mutex<Connection>,
    pending: Mutex<Vec<Update>>,
    /// Runs `off_runtime` work; started on first use.
    worker: OnceLock<std::sync::mpsc::Sender<JournalJob>>,
    /// Delete the database files when dropped (scratch plans).
    scratch: bool,
}

impl Drop for Journal {
    fn drop(&mut self) {
        if self.scratch {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
            }
        }
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Journal {
    pub fn default_path() -> PathBuf {
        crate::config::data_dir().join("journal.sqlite")
    }

    pub fn open_default() -> JResult<Journal> {
        Journal::open(&Journal::default_path())
    }

    pub fn open(path: &Path) -> JResult<Journal> {
        let label = path.display().to_string();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| JournalError::Other {
                path: label.clone(),
                message: e.to_string(),
            })?;
        }
        let conn = Connection::open(path).map_err(|source| JournalError::Sql {
            path: label.clone(),
            source,
        })?;
        restrict_mode(path);
        schema::init(&conn).map_err(|source| JournalError::Sql {
            path: label.clone(),
            source,
        })?;
        Ok(Journal {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
            pending: Mutex::new(Vec::new()),
            worker: OnceLock::new(),
            scratch: false,
        })
    }

    /// A private in-memory journal (dry runs, previews).
    pub fn in_memory() -> JResult<Journal> {
        let conn = Connection::open_in_memory().map_err(|source| JournalError::Sql {
            path: ":memory:".into(),
            source,
        })?;
        schema::init(&conn).map_err(|source| JournalError::Sql {
            path: ":memory:".into(),
            source,
        })?;
        Ok(Journal {
            path: PathBuf::from(":memory:"),
            conn: Mutex::new(conn),
            pending: Mutex::new(Vec::new()),
            worker: OnceLock::new(),
            scratch: false,
        })
    }

    /// A private journal on disk, removed when dropped: plans of millions of
    /// keys (dry runs, previews) stay out of memory.
    pub fn scratch() -> JResult<Journal> {
        let path = std::env::temp_dir().join(format!(
            "s3ferry-plan-{}.sqlite",
            uuid::Uuid::new_v4().simple()
        ));
        let mut j = Journal::open(&path)?;
        j.scratch = true;
        Ok(j)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: rusqlite::Error) -> JournalError {
        JournalError::Sql {
            path: self.path.display().to_string(),
            source,
        }
    }

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

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> JResult<T> {
        let mut c = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut c).map_err(|e| self.err(e))
    }

    pub fn create_job(&self, spec: &JobSpec) -> JResult<JobId> {
        let json = serde_json::to_string(spec).map_err(|e| JournalError::Other {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        self.with(|c| {
            c.execute(
                "INSERT INTO jobs (kind, spec, state, source, destination, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![spec.kind.as_str(), json, JobState::Queued.as_str(), spec.source_label(), spec.destination_label(), now()],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    pub fn set_job_state(&self, id: JobId, state: JobState, message: Option<&str>) -> JResult<()> {
        let finished = matches!(state, JobState::Completed | JobState::Failed).then(now);
        // A running job belongs to this process; others must leave it alone.
        let owner = state.is_active().then(std::process::id);
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET state = ?2, message = ?3, updated_at = ?4, finished_at = COALESCE(?5, finished_at),
                   owner_pid = ?6 WHERE id = ?1",
                params![id, state.as_str(), message, now(), finished, owner],
            )?;
            Ok(())
        })
    }

    /// The process running a job, if it is another live process.
    pub fn running_elsewhere(&self, id: JobId) -> JResult<Option<u32>> {
        let pid: Option<i64> = self.with(|c| {
            c.query_row("SELECT owner_pid FROM jobs WHERE id = ?1 AND state IN ('queued', 'running', 'paused')", params![id], |r| r.get(0))
                .optional()
                .map(Option::flatten)
        })?;
        Ok(pid
            .map(|p| p as u32)
            .filter(|p| *p != std::process::id() && process_alive(*p)))
    }

    pub fn set_planned(&self, id: JobId) -> JResult<()> {
        self.with(|c| {
            c.execute("UPDATE jobs SET planned = 1 WHERE id = ?1", params![id])
                .map(|_| ())
        })
    }

    fn job_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<JobRecord>> {
        let spec_json: String = row.get("spec")?;
        let Ok(spec) = serde_json::from_str::<JobSpec>(&spec_json) else {
            return Ok(None);
        };
        let state: String = row.get("state")?;
        let state = match state.as_str() {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "paused" => JobState::Paused,
            "completed" => JobState::Completed,
            "failed" => JobState::Failed,
            "cancelled" => JobState::Cancelled,
            "interrupted" => JobState::Interrupted,
            other => return Err(bad_value(0, format!("unknown job state {other:?}"))),
        };
        Ok(Some(JobRecord {
            id: row.get("id")?,
            kind: spec.kind,
            spec,
            state,
            created_at: row.get("created_at")?,
            finished_at: row.get("finished_at")?,
            message: row.get("message")?,
            planned: row.get::<_, i64>("planned")? != 0,
        }))
    }

    pub fn job(&self, id: JobId) -> JResult<Option<JobRecord>> {
        self.with(|c| {
            c.query_row(
                "SELECT * FROM jobs WHERE id = ?1",
                params![id],
                Journal::job_from_row,
            )
            .optional()
            .map(Option::flatten)
        })
    }

    pub fn jobs(&self) -> JResult<Vec<JobRecord>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT * FROM jobs ORDER BY id")?;
            let rows = st.query_map([], Journal::job_from_row)?;
            let mut out = Vec::new();
            for r in rows {
                if let Some(j) = r? {
                    out.push(j);
                }
            }
            Ok(out)
        })
    }

    /// Jobs a previous process left running: they were interrupted.
    pub fn mark_orphans_interrupted(&self, live: &[JobId]) -> JResult<Vec<JobId>> {
        let jobs = self.jobs()?;
        let mut out = Vec::new();
        for j in jobs {
            if matches!(
                j.state,
                JobState::Running | JobState::Queued | JobState::Paused
            ) && !live.contains(&j.id)
                && self.running_elsewhere(j.id)?.is_none()
            {
                self.set_job_state(
                    j.id,
                    JobState::Interrupted,
                    Some("interrupted (process ended)"),
                )?;
                out.push(j.id);
            }
        }
        Ok(out)
    }

    /// Listing cursor of one source of a job: (token, done).
    pub fn listing(&self, job: JobId, idx: i64) -> JResult<(Option<String>, bool)> {
        self.with(|c| {
            c.query_row(
                "SELECT token, done FROM listing WHERE job_id = ?1 AND idx = ?2",
                params![job, idx],
                |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)? != 0)),
            )
            .optional()
            .map(|o| o.unwrap_or((None, false)))
        })
    }

    /// Insert a page of entries and move the listing cursor in one
    /// transaction, so a crash never loses or duplicates a page.
    pub fn insert_page(
        &self,
        job: JobId,
        idx: i64,
        entries: &[NewEntry],
        token: Option<&str>,
        done: bool,
    ) -> JResult<u64> {
        self.with(|c| {
            let tx = c.transaction()?;
            let mut n = 0;
            {
                let mut st = tx.prepare_cached(
                    "INSERT OR IGNORE INTO entries (job_id, idx, src_bucket, src_key, version_id, size, etag, last_modified,
                       dst_bucket, dst_key, action, delete_marker, state, reason, storage_class)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                )?;
                for e in entries {
                    n += st.execute(params![
                        job,
                        e.idx,
                        e.src_bucket,
                        e.src_key,
                        e.version_id.clone().unwrap_or_default(),
                        e.size as i64,
                        e.etag,
                        e.last_modified,
                        e.dst_bucket,
                        e.dst_key,
                        e.action.as_str(),
                        e.delete_marker as i64,
                        e.state.as_str(),
                        e.reason,
                        e.storage_class,
                    ])? as u64;
                }
            }
            tx.execute(
                "INSERT INTO listing (job_id, idx, token, done) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (job_id, idx) DO UPDATE SET token = excluded.token, done = excluded.done",
                params![job, idx, token, done as i64],
            )?;
            tx.commit()?;
            Ok(n)
        })
    }

    fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EntryRow> {
        let version: String = r.get("version_id")?;
        let action: String = r.get("action")?;
        let state: String = r.get("state")?;
        let entry = NewEntry {
            idx: r.get("idx")?,
            src_bucket: r.get("src_bucket")?,
            src_key: r.get("src_key")?,
            version_id: (!version.is_empty()).then_some(version),
            size: r.get::<_, i64>("size")?.max(0) as u64,
            etag: r.get("etag")?,
            last_modified: r.get("last_modified")?,
            storage_class: r.get("storage_class")?,
            dst_bucket: r.get("dst_bucket")?,
            dst_key: r.get("dst_key")?,
            action: action_parse(&action).map_err(|m| bad_value(0, m))?,
            delete_marker: r.get::<_, i64>("delete_marker")? != 0,
            state: EntryState::parse(&state).map_err(|m| bad_value(0, m))?,
            reason: r.get("reason")?,
        };
        Ok(EntryRow {
            id: r.get("id")?,
            state: entry.state,
            reason: entry.reason.clone(),
            verify: r.get("verify")?,
            dst_version: r.get("dst_version")?,
            copied: CopiedSource {
                version_id: r.get("copied_version")?,
                etag: r.get("copied_etag")?,
            },
            entry,
        })
    }

    /// Entries still to work on, in insertion order, after `after_id`.
    pub fn next_work(&self, job: JobId, after_id: i64, limit: usize) -> JResult<Vec<EntryRow>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                // Walk the rowid: with `job_id` or `state` indexable, SQLite picks an
                // index and sorts every remaining entry on each call (quadratic on
                // a million-entry job).
                "SELECT * FROM entries WHERE id > ?2 AND +job_id = ?1
                 AND +state IN ('pending', 'copied', 'verified') ORDER BY id LIMIT ?3",
            )?;
            let rows = st.query_map(
                params![job, after_id, limit as i64],
                Journal::entry_from_row,
            )?;
            rows.collect()
        })
    }

    /// All entries of a job in order, page by page (dry-run output, tests).
    pub fn entries(&self, job: JobId, after_id: i64, limit: usize) -> JResult<Vec<EntryRow>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                // Rowid order without an index on `job_id` (see `next_work`).
                "SELECT * FROM entries WHERE id > ?2 AND +job_id = ?1 ORDER BY id LIMIT ?3",
            )?;
            let rows = st.query_map(
                params![job, after_id, limit as i64],
                Journal::entry_from_row,
            )?;
            rows.collect()
        })
    }

    /// Calls `f` on every entry of a job in insertion order, a page at a
    /// time, so a million-entry plan is never held in memory.
    pub fn for_each_entry<E: From<JournalError>>(
        &self,
        job: JobId,
        mut f: impl FnMut(EntryRow) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut after = 0;
        loop {
            let rows = self.entries(job, after, 1000)?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.id;
            for r in rows {
                f(r)?;
            }
        }
    }

    /// Buffer a state change; written by the next `flush`.
    pub fn update(&self, u: Update) {
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
        let res = self.with(|c| {
            let tx = c.transaction()?;
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
            tx.commit()
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

    pub fn counts(&self, job: JobId) -> JResult<Counts> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT state, action, COUNT(*), COALESCE(SUM(size), 0) FROM entries WHERE job_id = ?1 GROUP BY state, action",
            )?;
            let mut rows = st.query(params![job])?;
            let mut k = Counts::default();
            while let Some(r) = rows.next()? {
                let state: String = r.get(0)?;
                let action: String = r.get(1)?;
                let n = r.get::<_, i64>(2)?.max(0) as u64;
                let bytes = r.get::<_, i64>(3)?.max(0) as u64;
                k.total += n;
                if action == "delete" {
                    k.deletes += n;
                    if state == "done" {
                        k.deletes_done += n;
                    }
                } else {
                    k.total_bytes += bytes;
                }
                match EntryState::parse(&state).map_err(|m| bad_value(0, m))? {
                    EntryState::Pending => k.pending += n,
                    EntryState::Copied => k.copied += n,
                    EntryState::Verified => {
                        k.verified += n;
                        k.done_bytes += bytes;
                    }
                    EntryState::Done => {
                        k.done += n;
                        if action != "delete" {
                            k.done_bytes += bytes;
                        }
                    }
                    EntryState::Skipped => k.skipped += n,
                    EntryState::Failed => k.failed += n,
                    EntryState::Conflict => k.conflict += n,
                }
            }
            Ok(k)
        })
    }

    pub fn failed(&self, job: JobId, limit: usize) -> JResult<Vec<FailedEntry>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT src_key, dst_key, version_id, COALESCE(reason, state) FROM entries
                 WHERE job_id = ?1 AND state IN ('failed', 'conflict') ORDER BY id LIMIT ?2",
            )?;
            let rows = st.query_map(params![job, limit as i64], |r| {
                let v: String = r.get(2)?;
                Ok(FailedEntry {
                    src_key: r.get(0)?,
                    dst_key: r.get(1)?,
                    version_id: (!v.is_empty()).then_some(v),
                    reason: r.get(3)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Put failed entries back to work (retry). Conflicts stay refused. A
    /// moved source whose copy was verified and whose delete failed goes back
    /// to `verified`, so the retry sends the delete again (still conditional
    /// on what was copied) instead of copying it again; one kept because the
    /// source changed after its copy is copied again.
    pub fn reset_failed(&self, job: JobId) -> JResult<u64> {
        self.with(|c| {
            c.execute(
                "UPDATE entries SET reason = NULL, state = CASE
                   WHEN verify IS NOT NULL AND action != 'delete'
                     AND (SELECT kind FROM jobs WHERE id = ?1) = 'move'
                     AND COALESCE(reason, '') NOT LIKE 'source changed%'
                     AND COALESCE(reason, '') NOT LIKE 'source kept: its copy is gone%'
                   THEN 'verified' ELSE 'pending' END
                 WHERE job_id = ?1 AND state = 'failed'",
                params![job],
            )
            .map(|n| n as u64)
        })
    }

    /// Destination keys two entries would both write (multi-source or rewrite plans).
    pub fn duplicate_destinations(
        &self,
        job: JobId,
        limit: usize,
    ) -> JResult<Vec<(String, Vec<String>)>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT dst_key, GROUP_CONCAT(src_bucket || '/' || src_key, char(10)) FROM entries
                 WHERE job_id = ?1 AND action NOT IN ('delete', 'skip')
                 GROUP BY dst_key HAVING COUNT(DISTINCT idx || char(0) || src_key) > 1 LIMIT ?2",
            )?;
            let rows = st.query_map(params![job, limit as i64], |r| {
                let srcs: String = r.get(1)?;
                let mut v: Vec<String> = srcs.split('\n').map(str::to_string).collect();
                v.dedup();
                Ok((r.get(0)?, v))
            })?;
            rows.collect()
        })
    }

    pub fn mark_conflicts(&self, job: JobId, dst_keys: &[String], reason: &str) -> JResult<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            for k in dst_keys {
                tx.execute(
                    "UPDATE entries SET state = 'conflict', action = 'conflict', reason = ?3 WHERE job_id = ?1 AND dst_key = ?2",
                    params![job, k, reason],
                )?;
            }
            tx.commit()
        })
    }

    /// Destination objects present before the job (sync, no-clobber, preview).
    pub fn insert_dest(&self, job: JobId, rows: &[(String, Facts)]) -> JResult<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut st = tx.prepare_cached(
                    "INSERT OR REPLACE INTO dest_index (job_id, key, size, etag, last_modified) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for (k, f) in rows {
                    st.execute(params![job, k, f.size as i64, f.etag, f.last_modified.map(|t| t.timestamp())])?;
                }
            }
            tx.commit()
        })
    }

    pub fn dest_lookup(&self, job: JobId, key: &str) -> JResult<Option<Facts>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT size, etag, last_modified FROM dest_index WHERE job_id = ?1 AND key = ?2",
            )?;
            st.query_row(params![job, key], |r| {
                Ok(Facts {
                    size: r.get::<_, i64>(0)?.max(0) as u64,
                    etag: r.get(1)?,
                    last_modified: r
                        .get::<_, Option<i64>>(2)?
                        .and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
                })
            })
            .optional()
        })
    }

    /// Destination keys no entry writes (sync --delete), in key order.
    pub fn dest_unmatched(
        &self,
        job: JobId,
        after: &str,
        limit: usize,
    ) -> JResult<Vec<(String, u64, Option<String>)>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT d.key, d.size, d.etag FROM dest_index d WHERE d.job_id = ?1 AND d.key > ?2
                 AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.job_id = ?1 AND e.dst_key = d.key)
                 ORDER BY d.key LIMIT ?3",
            )?;
            let rows = st.query_map(params![job, after, limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?.max(0) as u64,
                    r.get::<_, Option<String>>(2)?,
                ))
            })?;
            rows.collect()
        })
    }

    /// The first entry that would write over a key the job also reads (same
    /// bucket): `(source key read, source key whose copy writes it)`. With
    /// `in_place_ok`, a key copied onto itself (a storage-class or encryption
    /// rewrite) is allowed; a move never is.
    pub fn first_write_over_source(
        &self,
        job: JobId,
        in_place_ok: bool,
    ) -> JResult<Option<(String, String)>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT s.src_key, w.src_key FROM entries s
                 JOIN entries w ON w.job_id = s.job_id AND w.dst_key = s.src_key
                   AND w.dst_bucket = s.src_bucket
                 WHERE s.job_id = ?1 AND s.action NOT IN ('delete', 'conflict')
                   AND w.action IN ('copy', 'overwrite')
                   AND NOT (?2 AND w.src_key = s.src_key AND w.src_bucket = s.src_bucket)
                 ORDER BY s.id LIMIT 1",
            )?;
            st.query_row(params![job, in_place_ok], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
    }

    pub fn dest_count(&self, job: JobId) -> JResult<u64> {
        self.with(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM dest_index WHERE job_id = ?1",
                params![job],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
        })
    }

    pub fn delete_dest_index(&self, job: JobId) -> JResult<()> {
        self.with(|c| {
            c.execute("DELETE FROM dest_index WHERE job_id = ?1", params![job])
                .map(|_| ())
        })
    }
}

/// A Batch Operations job handed off by s3ferry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchRecord {
    pub remote_id: String,
    pub account_id: String,
    pub region: String,
    pub spec: JobSpec,
    pub target_prefix: String,
    pub manifest: String,
    pub report_bucket: String,
    pub report_prefix: String,
    pub objects: u64,
    pub bytes: u64,
    pub excluded: Vec<String>,
    pub move_sources: bool,
    pub control_endpoint: Option<String>,
}

/// A batch record as listed: its local number and the move job that deletes
/// its sources, once started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchListing {
    pub id: i64,
    pub record: BatchRecord,
    pub move_job: Option<JobId>,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
}

impl Journal {
    pub fn add_batch(&self, r: &BatchRecord) -> JResult<i64> {
        let json = serde_json::to_string(r).map_err(|e| JournalError::Other {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        self.with(|c| {
            c.execute(
                "INSERT INTO batch_jobs (remote_id, account_id, region, record, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![r.remote_id, r.account_id, r.region, json, now()],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// By local number or remote job id: (number, record, move job id).
    pub fn batch(&self, job: &str) -> JResult<Option<(i64, BatchRecord, Option<JobId>)>> {
        let row = self.with(|c| {
            c.query_row(
                "SELECT id, record, move_job FROM batch_jobs WHERE remote_id = ?1 OR CAST(id AS TEXT) = ?1 ORDER BY id DESC LIMIT 1",
                params![job],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<i64>>(2)?)),
            )
            .optional()
        })?;
        Ok(row.and_then(|(id, json, mv)| serde_json::from_str(&json).ok().map(|r| (id, r, mv))))
    }

    /// The newest `limit` batch records, newest first, for the TUI's transfers
    /// panel. Records that no longer parse are skipped.
    pub fn batches(&self, limit: usize) -> JResult<Vec<BatchListing>> {
        let rows = self.with(|c| {
            let mut st = c.prepare(
                "SELECT id, record, move_job, created_at FROM batch_jobs ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = st.query_map(params![limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, json, move_job, created_at)| {
                serde_json::from_str(&json).ok().map(|record| BatchListing {
                    id,
                    record,
                    move_job,
                    created_at,
                })
            })
            .collect())
    }

    pub fn set_batch_move_job(&self, id: i64, job: JobId) -> JResult<()> {
        self.with(|c| {
            c.execute(
                "UPDATE batch_jobs SET move_job = ?2 WHERE id = ?1",
                params![id, job],
            )
            .map(|_| ())
        })
    }
}

/// Whether a process id is alive (Linux /proc; elsewhere assume it is not,
/// which at worst lets a user resume a job still running elsewhere).
fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(unix)]
fn restrict_mode(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for p in [
        path.to_path_buf(),
        PathBuf::from(format!("{}-wal", path.display())),
        PathBuf::from(format!("{}-shm", path.display())),
    ] {
        if p.exists() {
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
        }
    }
}

#[cfg(not(unix))]
fn restrict_mode(_path: &Path) {}

#[cfg(test)]
mod tests;
