//! Crash-safe job store (SQLite, WAL): jobs, their listing cursors, one row
//! per planned object with its state, the destination index used by sync, and
//! the Batch Operations hand-offs. One file per table (`jobs`, `entries`,
//! `dest_index`, `batches`), one for the writer (`writer`: the journal's
//! thread, the buffered entry outcomes, the commits' durability and the
//! stored job counters, where the crash-safety invariant is stated) and one
//! for retention (`retention`: what a finished job keeps); this file holds
//! the `Journal` handle and the shared types.
//!
//! Entry states: `pending` -> `copied` (written, not yet verified) ->
//! `verified` (copy checked; final for copy/sync, for a move awaiting the
//! source delete) -> `done` (move: source deleted). Side states: `skipped`,
//! `failed` (with a reason), `conflict` (refused by the plan).

mod batches;
mod dest_index;
mod entries;
mod jobs;
mod retention;
mod schema;
mod uploads;
mod writer;

pub use batches::{BatchListing, BatchRecord};
pub use retention::{PruneReport, PrunedJob, Reclaim};
pub use uploads::UploadRecord;
pub use writer::{Outcome, Tally};

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use rusqlite::Connection;

use crate::job::{JobId, JobKind, JobSpec, JobState};
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

pub struct Journal {
    path: PathBuf,
    conn: Mutex<Connection>,
    pending: Mutex<Vec<Update>>,
    /// Runs `off_runtime` work; started on first use.
    worker: OnceLock<std::sync::mpsc::Sender<writer::JournalJob>>,
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
        let mut conn = Connection::open(path).map_err(|source| JournalError::Sql {
            path: label.clone(),
            source,
        })?;
        restrict_mode(path);
        schema::init(&mut conn).map_err(|source| JournalError::Sql {
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
        let mut conn = Connection::open_in_memory().map_err(|source| JournalError::Sql {
            path: ":memory:".into(),
            source,
        })?;
        schema::init(&mut conn).map_err(|source| JournalError::Sql {
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

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> JResult<T> {
        let mut c = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut c).map_err(|e| self.err(e))
    }
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
