//! The `entries` and `listing` tables: one row per planned object, the
//! listing cursor that moves with each page, and the reads over entries
//! (work queue, pages, counts, failures, conflicts) and the plan-time
//! rewrites of them (conflicts, retry). A worker's result is recorded through
//! `writer.rs`.

use rusqlite::{params, OptionalExtension};

use super::writer::Durability;
use super::{
    bad_value, CopiedSource, Counts, EntryRow, EntryState, JResult, Journal, JournalError, NewEntry,
};
use crate::job::{FailedEntry, JobId};
use crate::plan::model::Action;

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

/// The stored counters of one job (see `writer.rs`).
pub(super) const COUNTS_SQL: &str =
    "SELECT state, is_delete, n, bytes FROM job_counts WHERE job_id = ?1 AND n != 0";

/// Rows per page when walking a whole job.
const PAGE: usize = 1000;

/// Which entries a page holds.
#[derive(Clone, Copy)]
enum Page {
    All,
    /// Still to work on: pending, copied or verified.
    Work,
}

impl Journal {
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
        // Batch Operations hands over verified copies: see `writer.rs`.
        let durability = Durability::of(entries.iter().map(|e| e.state));
        self.commit(durability, |tx| {
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
        self.page(job, after_id, limit, Page::Work)
    }

    /// All entries of a job in order, page by page (dry-run output, tests).
    pub fn entries(&self, job: JobId, after_id: i64, limit: usize) -> JResult<Vec<EntryRow>> {
        self.page(job, after_id, limit, Page::All)
    }

    /// The one keyset page over a job's entries, by rowid.
    fn page(&self, job: JobId, after_id: i64, limit: usize, which: Page) -> JResult<Vec<EntryRow>> {
        // Walk the rowid: with `job_id` or `state` indexable, SQLite picks an
        // index and sorts every remaining entry on each call (quadratic on a
        // million-entry job), hence the unary `+` on both.
        let sql = match which {
            Page::All => {
                "SELECT * FROM entries WHERE id > ?2 AND +job_id = ?1 ORDER BY id LIMIT ?3"
            }
            Page::Work => {
                "SELECT * FROM entries WHERE id > ?2 AND +job_id = ?1
                 AND +state IN ('pending', 'copied', 'verified') ORDER BY id LIMIT ?3"
            }
        };
        self.with(|c| {
            let mut st = c.prepare_cached(sql)?;
            let rows = st.query_map(
                params![job, after_id, limit as i64],
                Journal::entry_from_row,
            )?;
            rows.collect()
        })
    }

    /// Calls `f` on every page of a job's entries in insertion order, so a
    /// million-entry plan is never held in memory.
    pub fn for_each_page<E: From<JournalError>>(
        &self,
        job: JobId,
        mut f: impl FnMut(Vec<EntryRow>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut after = 0;
        loop {
            let rows = self.entries(job, after, PAGE)?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.id;
            f(rows)?;
        }
    }

    /// Calls `f` on every entry of a job in insertion order, a page at a
    /// time (see `for_each_page`).
    pub fn for_each_entry<E: From<JournalError>>(
        &self,
        job: JobId,
        mut f: impl FnMut(EntryRow) -> Result<(), E>,
    ) -> Result<(), E> {
        self.for_each_page(job, |rows| rows.into_iter().try_for_each(&mut f))
    }

    /// A job's per-state counts, from its stored counters (kept with the
    /// rows, see `writer.rs`): a read of a dozen rows whatever the job's
    /// size, and still right once its rows are pruned.
    pub fn counts(&self, job: JobId) -> JResult<Counts> {
        self.with(|c| {
            let mut st = c.prepare_cached(COUNTS_SQL)?;
            let mut rows = st.query(params![job])?;
            let mut k = Counts::default();
            while let Some(r) = rows.next()? {
                let state: String = r.get(0)?;
                let is_delete = r.get::<_, i64>(1)? != 0;
                let n = r.get::<_, i64>(2)?.max(0) as u64;
                let bytes = r.get::<_, i64>(3)?.max(0) as u64;
                k.total += n;
                if is_delete {
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
                        if !is_delete {
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
        // It may write `verified` rows, which allow deletes: see `writer.rs`.
        self.commit(Durability::Full, |c| {
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
}
