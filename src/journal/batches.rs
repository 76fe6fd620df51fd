//! The `batch_jobs` table: Batch Operations jobs handed off by s3ferry and
//! the move job that deletes their sources.

use rusqlite::{params, OptionalExtension};

use super::{now, JResult, Journal, JournalError};
use crate::job::{JobId, JobSpec};

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
        row.map(|(id, json, mv)| Ok((id, self.batch_record(id, &json)?, mv)))
            .transpose()
    }

    /// The newest `limit` batch records, newest first, for the TUI's transfers
    /// panel.
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
        rows.into_iter()
            .map(|(id, json, move_job, created_at)| {
                Ok(BatchListing {
                    id,
                    record: self.batch_record(id, &json)?,
                    move_job,
                    created_at,
                })
            })
            .collect()
    }

    /// A stored record that does not parse is an error, never "not found"
    /// or left out: the job it names may still be running on AWS.
    fn batch_record(&self, id: i64, json: &str) -> JResult<BatchRecord> {
        serde_json::from_str(json).map_err(|e| JournalError::Other {
            path: self.path.display().to_string(),
            message: format!("batch record {id} does not parse: {e}"),
        })
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
