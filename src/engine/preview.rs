//! Planning without running: the CLI's `--dry-run` and the TUI's preview.
//! The plan goes to a private in-memory journal, so memory use does not grow
//! with a Vec of entries and refusals are found exactly as a real run would.

use std::sync::Arc;

use futures::Stream;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use super::model::{JobId, JobKind, JobSpec};
use super::planner::{PageHook, PlanError, PlanSetup};
use crate::journal::{Journal, NewEntry};
use crate::plan::model::PlanEntry;
use crate::s3::ConnectionPool;

pub fn plan_entry(e: &NewEntry) -> PlanEntry {
    PlanEntry {
        action: e.action,
        src_bucket: e.src_bucket.clone(),
        src_key: e.src_key.clone(),
        version_id: e.version_id.clone(),
        dst_bucket: e.dst_bucket.clone(),
        dst_key: e.dst_key.clone(),
        size: e.size,
        etag: e.etag.clone(),
        delete_marker: e.delete_marker,
        note: e.reason.clone(),
    }
}

/// Build the whole plan into an in-memory journal. `on_page` sees each page.
pub async fn plan_in_memory(
    pool: &ConnectionPool,
    spec: &JobSpec,
    on_page: Option<PageHook>,
) -> Result<(Arc<Journal>, JobId, Result<(), PlanError>), PlanError> {
    plan_in_memory_until(pool, spec, on_page, &CancellationToken::new()).await
}

/// As `plan_in_memory`, stopping between pages once `cancel` fires.
pub async fn plan_in_memory_until(
    pool: &ConnectionPool,
    spec: &JobSpec,
    on_page: Option<PageHook>,
    cancel: &CancellationToken,
) -> Result<(Arc<Journal>, JobId, Result<(), PlanError>), PlanError> {
    let journal = Arc::new(Journal::scratch()?);
    let job = journal.create_job(spec)?;
    let setup = PlanSetup::new(pool, spec).await?;
    let planner =
        Arc::new(setup.planner(journal.clone(), job, spec, Arc::new(Notify::new()), on_page));
    planner.index_destination().await?;
    planner.list_sources(true, cancel).await?;
    let mut verdict = planner.check_refusals();
    if verdict.is_ok() && spec.kind == JobKind::Sync && spec.plan.delete_extra {
        verdict = planner.plan_deletes().map(|_| ());
    }
    Ok((journal, job, verdict))
}

/// Preview events for the TUI.
#[derive(Debug, Clone)]
pub enum PreviewEvent {
    /// Planned entries as the listing proceeds.
    Entries(Vec<PlanEntry>),
    /// The plan is complete; `Err` names why it would be refused.
    Done(Result<(), String>),
}

/// Stream the plan of `spec` as it is built.
pub fn preview(
    pool: ConnectionPool,
    spec: JobSpec,
) -> impl Stream<Item = Result<PreviewEvent, String>> + Send + 'static {
    let (tx, rx) = mpsc::unbounded_channel::<Result<PreviewEvent, String>>();
    tokio::spawn(async move {
        let page_tx = tx.clone();
        // Nobody listening any more (the preview was closed): stop listing.
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        let on_page: PageHook = Box::new(move |rows: &[NewEntry]| {
            let sent = page_tx.send(Ok(PreviewEvent::Entries(
                rows.iter().map(plan_entry).collect(),
            )));
            if sent.is_err() {
                stop.cancel();
            }
        });
        match plan_in_memory_until(&pool, &spec, Some(on_page), &cancel).await {
            Ok((journal, job, verdict)) => {
                // Deletions (sync --delete) are planned after the listing.
                if spec.plan.delete_extra {
                    let _ = journal.for_each_page(job, |rows| -> crate::journal::JResult<()> {
                        let dels: Vec<PlanEntry> = rows
                            .iter()
                            .filter(|r| r.entry.action == crate::plan::model::Action::Delete)
                            .map(|r| plan_entry(&r.entry))
                            .collect();
                        if !dels.is_empty() {
                            let _ = tx.send(Ok(PreviewEvent::Entries(dels)));
                        }
                        Ok(())
                    });
                }
                let _ = tx.send(Ok(PreviewEvent::Done(verdict.map_err(|e| e.to_string()))));
            }
            Err(e) => {
                let _ = tx.send(Err(e.to_string()));
            }
        }
    });
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) })
}
