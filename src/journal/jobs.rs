//! The `jobs` table: one row per job with its spec, state and owner.

use rusqlite::{params, OptionalExtension};

use super::{bad_value, now, JResult, JobRecord, Journal, JournalError};
use crate::job::{JobId, JobSpec, JobState};

impl Journal {
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
}

/// Whether a process id is alive (Linux /proc; elsewhere assume it is not,
/// which at worst lets a user resume a job still running elsewhere).
fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}
