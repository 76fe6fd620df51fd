//! After a Batch Operations job: read its completion report and, for a move,
//! delete the sources it copied. Batch Operations has no delete, so the
//! report's successes are journaled as copied-by-someone-else and a normal
//! s3ferry move job checks each copy and only then deletes its source.

use crate::engine::batch::report;
use crate::engine::{Engine, JobId};
use crate::journal::{BatchRecord, EntryState, NewEntry};
use crate::plan::model::Action;
use crate::s3::Connection;

/// Every task of the completion report.
pub async fn read_report(
    conn: &Connection,
    record: &BatchRecord,
) -> anyhow::Result<Vec<report::TaskResult>> {
    let key = report::manifest_key(&record.report_prefix, &record.remote_id);
    let text = conn
        .bucket(&record.report_bucket)
        .await?
        .get_text(&key)
        .await?;
    let m = report::parse_manifest(&text)?;
    let mut out = Vec::new();
    for f in m.results {
        let results = conn.bucket(&f.bucket).await?.get_text(&f.key).await?;
        out.extend(report::parse_results(&results));
    }
    Ok(out)
}

/// The move job that deletes the sources, started in `engine`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveStarted {
    pub job: JobId,
    /// Sources the report marks succeeded that could not be checked (kept).
    pub unchecked: Vec<(String, String)>,
}

/// Journals the report's succeeded tasks of batch record `id` as copied and
/// starts the move job that checks each copy and then deletes its source.
/// The job is linked to the record, so it is started only once.
pub async fn start_move(
    engine: &Engine,
    id: i64,
    record: &BatchRecord,
    conn: &Connection,
) -> anyhow::Result<MoveStarted> {
    let results = read_report(conn, record).await?;
    let mapping = record
        .spec
        .mappings
        .first()
        .ok_or_else(|| anyhow::anyhow!("no source"))?;
    let journal = engine.journal();
    let job = journal.create_job(&record.spec)?;
    let heads = conn.bucket(&mapping.source.bucket).await?;
    let mut rows = Vec::new();
    let mut unchecked = Vec::new();
    for r in results.iter().filter(|r| r.succeeded()) {
        let head = heads
            .for_name(&r.bucket)
            .head(&r.key, r.version_id.as_deref())
            .await;
        let (size, etag) = match head {
            Ok(p) => (p.size, p.etag),
            Err(e) => {
                unchecked.push((format!("s3://{}/{}", r.bucket, r.key), e.message));
                continue;
            }
        };
        rows.push(NewEntry {
            idx: 0,
            src_bucket: r.bucket.clone(),
            src_key: r.key.clone(),
            version_id: r.version_id.clone(),
            size,
            etag,
            last_modified: None,
            storage_class: None,
            dst_bucket: mapping.destination.bucket.clone(),
            dst_key: format!("{}{}", record.target_prefix, r.key),
            action: Action::Copy,
            delete_marker: false,
            state: EntryState::Copied,
            reason: None,
        });
    }
    journal.insert_page(job, 0, &rows, None, true)?;
    journal.set_planned(job)?;
    journal.set_batch_move_job(id, job)?;
    engine.resume(job)?;
    Ok(MoveStarted { job, unchecked })
}
