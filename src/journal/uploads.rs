//! The `uploads` table: multipart uploads s3ferry created and has not yet
//! completed or aborted. A row is written (committed, not buffered) when
//! CreateMultipartUpload answers, before any part is sent, and removed when
//! CompleteMultipartUpload or AbortMultipartUpload succeeds; so after a
//! crash, a kill or a lost answer the rows name exactly the uploads this
//! journal's jobs may have left behind (`resume`, `jobs cancel` and
//! `s3ferry cleanup` abort them, and only them). Rows outlive their job's
//! row: an upload still billed is worth remembering after a prune.

use rusqlite::params;

use super::{now, JResult, Journal};
use crate::job::JobId;

/// A multipart upload a job created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    pub job: JobId,
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    /// When it was created (Unix seconds, this machine's clock).
    pub created: i64,
}

impl Journal {
    /// Record a created upload; committed before the call returns.
    pub fn add_upload(&self, job: JobId, bucket: &str, key: &str, upload_id: &str) -> JResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT OR IGNORE INTO uploads (job_id, bucket, key, upload_id, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![job, bucket, key, upload_id, now()],
            )
            .map(|_| ())
        })
    }

    /// Forget an upload that was completed or aborted.
    pub fn remove_upload(&self, bucket: &str, key: &str, upload_id: &str) -> JResult<()> {
        self.with(|c| {
            c.execute(
                "DELETE FROM uploads WHERE bucket = ?1 AND key = ?2 AND upload_id = ?3",
                params![bucket, key, upload_id],
            )
            .map(|_| ())
        })
    }

    /// The uploads one job left open, oldest first.
    pub fn job_uploads(&self, job: JobId) -> JResult<Vec<UploadRecord>> {
        self.uploads_where("job_id = ?1", params![job])
    }

    /// Every recorded upload in a bucket under a key prefix.
    pub fn bucket_uploads(&self, bucket: &str, prefix: &str) -> JResult<Vec<UploadRecord>> {
        // Prefix match in Rust: LIKE would treat `%` and `_` in keys as patterns.
        let mut all = self.uploads_where("bucket = ?1", params![bucket])?;
        all.retain(|u| u.key.starts_with(prefix));
        Ok(all)
    }

    fn uploads_where(
        &self,
        filter: &str,
        args: impl rusqlite::Params,
    ) -> JResult<Vec<UploadRecord>> {
        let sql = format!(
            "SELECT job_id, bucket, key, upload_id, created FROM uploads WHERE {filter} ORDER BY created, rowid"
        );
        self.with(|c| {
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map(args, |r| {
                Ok(UploadRecord {
                    job: r.get(0)?,
                    bucket: r.get(1)?,
                    key: r.get(2)?,
                    upload_id: r.get(3)?,
                    created: r.get(4)?,
                })
            })?;
            rows.collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_recorded_until_removed() {
        let j = Journal::in_memory().expect("journal");
        j.add_upload(1, "b", "a%_/k", "u1").expect("add");
        j.add_upload(1, "b", "other", "u2").expect("add");
        j.add_upload(2, "c", "a%_/k", "u3").expect("add");
        // Recording twice (a retried write) keeps one row.
        j.add_upload(1, "b", "other", "u2").expect("add again");
        let ids = |v: Vec<UploadRecord>| v.into_iter().map(|u| u.upload_id).collect::<Vec<_>>();
        assert_eq!(ids(j.job_uploads(1).expect("list")), ["u1", "u2"]);
        assert_eq!(ids(j.bucket_uploads("b", "a%_").expect("list")), ["u1"]);
        // `_` and `%` are not patterns: "ax" does not match "a_".
        assert!(j.bucket_uploads("b", "a_").expect("list").is_empty());
        j.remove_upload("b", "a%_/k", "u1").expect("remove");
        assert_eq!(ids(j.job_uploads(1).expect("list")), ["u2"]);
        assert_eq!(ids(j.bucket_uploads("c", "").expect("list")), ["u3"]);
    }
}
