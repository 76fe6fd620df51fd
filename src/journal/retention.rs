//! Retention: a finished job keeps its row, its stored counters and its
//! failures for good, and drops its per-object rows (entries done or
//! skipped, listing cursors, the destination index) once it is older than
//! the retention period, or at once when a new run of the same transfer
//! starts (`prune_superseded`). Applied when the journal is opened at most
//! once a day (`prune_daily`) and on demand (`s3ferry jobs prune`).
//!
//! Only jobs that can lose nothing are pruned: completed, cancelled or
//! failed, and fully planned. A job still listing keeps everything, because
//! its resume re-reads its cursors and a `sync --delete` plan tells the
//! extraneous destination keys by the entries it holds. Rows still to work
//! on (pending, copied, verified) and failures (failed, conflict) stay, so a
//! cancelled or failed job still resumes or retries what is left.

use std::time::Duration;

use rusqlite::{params, OptionalExtension};

use super::{now, JResult, Journal};
use crate::job::JobId;

/// Rows deleted per transaction: a running job in another process waits on
/// the journal's write lock for at most one chunk.
const CHUNK: i64 = 10_000;

/// Seconds between two automatic prunes.
const DAILY: i64 = 24 * 60 * 60;

/// The journal states whose jobs are finished (`JobState::as_str`).
const FINISHED: &str = "('completed', 'cancelled', 'failed')";

/// What pruning one job drops (or would drop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrunedJob {
    pub id: JobId,
    pub kind: String,
    pub source: String,
    pub destination: String,
    /// Seconds since the Unix epoch.
    pub finished_at: i64,
    pub entries: u64,
    pub listing: u64,
    pub dest_index: u64,
}

/// The outcome of a prune.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub jobs: Vec<PrunedJob>,
    /// The journal's files (database and WAL) before and after.
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// Why freed space stayed in the file, if it did (a busy journal).
    pub not_reclaimed: Option<String>,
}

/// How freed pages are given back to the file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reclaim {
    /// Incremental vacuum if the journal supports it: cheap, on open.
    Cheap,
    /// Also converts an older journal with a full VACUUM (`jobs prune`).
    Full,
}

impl Journal {
    /// Drop the per-object rows of finished jobs older than `older_than`;
    /// with `dry_run`, only say what would go.
    pub fn prune(
        &self,
        older_than: Duration,
        dry_run: bool,
        reclaim: Reclaim,
    ) -> JResult<PruneReport> {
        let cutoff = now().saturating_sub(i64::try_from(older_than.as_secs()).unwrap_or(i64::MAX));
        let bytes_before = self.size_on_disk();
        let jobs = self.prunable(cutoff)?;
        let mut report = PruneReport {
            bytes_before,
            bytes_after: bytes_before,
            ..PruneReport::default()
        };
        if dry_run {
            report.jobs = jobs;
            return Ok(report);
        }
        for job in jobs {
            report.jobs.push(self.prune_job(job)?);
        }
        if !report.jobs.is_empty() {
            report.not_reclaimed = self.reclaim(reclaim).err().map(|e| e.to_string());
        }
        report.bytes_after = self.size_on_disk();
        Ok(report)
    }

    /// Retention on open: prunes with `keep` (`None`: forever) if the last
    /// automatic prune was a day ago or more, else does nothing.
    pub fn prune_daily(&self, keep: Option<Duration>) -> JResult<Option<PruneReport>> {
        let Some(keep) = keep else {
            return Ok(None);
        };
        let last: Option<i64> = self.with(|c| {
            c.query_row("SELECT value FROM meta WHERE key = 'last_prune'", [], |r| {
                r.get(0)
            })
            .optional()
        })?;
        let now = now();
        if last.is_some_and(|t| now - t < DAILY && t <= now) {
            return Ok(None);
        }
        self.with(|c| {
            c.execute(
                "INSERT INTO meta (key, value) VALUES ('last_prune', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![now],
            )
        })?;
        self.prune(keep, false, Reclaim::Cheap).map(Some)
    }

    /// When a job's rows were pruned, if they were.
    pub fn pruned_at(&self, job: JobId) -> JResult<Option<i64>> {
        self.with(|c| {
            c.query_row(
                "SELECT pruned_at FROM jobs WHERE id = ?1",
                params![job],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
        })
    }

    /// Bytes of the journal's database and WAL files.
    pub fn size_on_disk(&self) -> u64 {
        ["", "-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{}{s}", self.path.display())).ok())
            .map(|m| m.len())
            .sum()
    }

    /// Finished, planned jobs older than `cutoff` with rows to drop.
    fn prunable(&self, cutoff: i64) -> JResult<Vec<PrunedJob>> {
        self.prunable_where(
            &format!("j.state IN {FINISHED} AND COALESCE(j.finished_at, j.updated_at) <= ?1"),
            cutoff,
        )
    }

    /// A new run of a transfer supersedes the per-object record of the
    /// earlier completed runs of the same kind, source and destination
    /// (their summaries and failures stay): a nightly sync keeps one night's
    /// rows, not a month's. Done as `job` starts, before it writes its own.
    pub fn prune_superseded(&self, job: JobId) -> JResult<PruneReport> {
        let bytes_before = self.size_on_disk();
        let jobs = self.prunable_where(
            "j.state = 'completed' AND j.id < ?1 AND EXISTS (SELECT 1 FROM jobs n WHERE n.id = ?1
               AND n.kind = j.kind AND n.source = j.source AND n.destination = j.destination)",
            job,
        )?;
        let mut report = PruneReport {
            bytes_before,
            bytes_after: bytes_before,
            ..PruneReport::default()
        };
        for job in jobs {
            report.jobs.push(self.prune_job(job)?);
        }
        if !report.jobs.is_empty() {
            report.not_reclaimed = self.reclaim(Reclaim::Cheap).err().map(|e| e.to_string());
        }
        report.bytes_after = self.size_on_disk();
        Ok(report)
    }

    /// Planned jobs matching `filter` (SQL on `jobs j`, with `?1`) with rows
    /// to drop.
    fn prunable_where(&self, filter: &str, arg: i64) -> JResult<Vec<PrunedJob>> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT j.id, j.kind, j.source, j.destination, COALESCE(j.finished_at, j.updated_at),
                   (SELECT COUNT(*) FROM entries e WHERE e.job_id = j.id AND e.state IN ('done', 'skipped')),
                   (SELECT COUNT(*) FROM listing l WHERE l.job_id = j.id),
                   (SELECT COUNT(*) FROM dest_index d WHERE d.job_id = j.id)
                 FROM jobs j WHERE j.planned = 1 AND {filter} ORDER BY j.id"
            ))?;
            let rows = st.query_map(params![arg], |r| {
                let n = |i| r.get::<_, i64>(i).map(|n| n.max(0) as u64);
                Ok(PrunedJob {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    source: r.get(2)?,
                    destination: r.get(3)?,
                    finished_at: r.get(4)?,
                    entries: n(5)?,
                    listing: n(6)?,
                    dest_index: n(7)?,
                })
            })?;
            let all: Vec<PrunedJob> = rows.collect::<rusqlite::Result<_>>()?;
            Ok(all
                .into_iter()
                .filter(|j| j.entries + j.listing + j.dest_index > 0)
                .collect())
        })
    }

    /// Drop one job's rows a chunk at a time; the counts say what went.
    fn prune_job(&self, planned: PrunedJob) -> JResult<PrunedJob> {
        let id = planned.id;
        let chunked = |sql: &str| -> JResult<u64> {
            let mut total = 0;
            loop {
                let n = self.with(|c| c.execute(sql, params![id, CHUNK]))? as u64;
                total += n;
                if n < CHUNK as u64 {
                    return Ok(total);
                }
            }
        };
        let entries = chunked(
            "DELETE FROM entries WHERE id IN (SELECT id FROM entries
               WHERE job_id = ?1 AND state IN ('done', 'skipped') LIMIT ?2)",
        )?;
        let dest_index = chunked(
            "DELETE FROM dest_index WHERE job_id = ?1 AND key IN (SELECT key FROM dest_index
               WHERE job_id = ?1 LIMIT ?2)",
        )?;
        let listing = self.with(|c| {
            let n = c.execute("DELETE FROM listing WHERE job_id = ?1", params![id])?;
            c.execute(
                "UPDATE jobs SET pruned_at = ?2 WHERE id = ?1",
                params![id, now()],
            )?;
            Ok(n as u64)
        })?;
        Ok(PrunedJob {
            entries,
            listing,
            dest_index,
            ..planned
        })
    }

    /// Give freed pages back and cut the WAL. A reader elsewhere (a TUI)
    /// can keep the WAL from being cut; that is reported, not an error.
    fn reclaim(&self, how: Reclaim) -> JResult<()> {
        self.with(|c| {
            let mode: i64 = c.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
            // 2 = incremental. Changing the mode of an existing file takes a VACUUM.
            if mode != 2 && how == Reclaim::Full {
                c.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
                c.execute_batch("VACUUM")?;
            } else if mode == 2 {
                c.execute_batch("PRAGMA incremental_vacuum")?;
            }
            let checkpoint = match how {
                Reclaim::Cheap => "PASSIVE",
                Reclaim::Full => "TRUNCATE",
            };
            let busy: i64 =
                c.query_row(&format!("PRAGMA wal_checkpoint({checkpoint})"), [], |r| {
                    r.get(0)
                })?;
            if busy != 0 && how == Reclaim::Full {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("the journal is in use; its WAL is cut at a later checkpoint".into()),
                ));
            }
            Ok(())
        })
    }
}
