//! The `dest_index` table: destination objects present before a job (sync,
//! no-clobber, preview), and the extraneous keys `sync --delete` removes.

use rusqlite::{params, OptionalExtension};

use super::{JResult, Journal};
use crate::job::JobId;
use crate::plan::compare::Facts;

impl Journal {
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
