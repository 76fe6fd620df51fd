//! The transfers panel: submitting, pausing, resuming, cancelling and
//! retrying engine jobs, and the failed entries of one job.

use super::{text, Executor};
use crate::engine::model::{JobId, JobSpec};
use crate::tui::app::dialogs::FAILED_LIMIT;
use crate::tui::app::Msg;

impl Executor {
    pub(super) fn submit_job(&mut self, spec: Box<JobSpec>) {
        let Some(engine) = self.engine_or_error() else {
            return;
        };
        let tx = self.tx.clone();
        self.spawn(None, async move {
            let result = engine
                .submit(*spec)
                .await
                .map_err(|e| text(format!("{e:#}")));
            if let Err(e) = &result {
                tracing::error!("submitting a job: {e}");
            }
            let _ = tx.send(Msg::JobSubmitted { result });
            let _ = tx.send(Msg::JobsSnapshot(engine.jobs()));
        })
    }

    pub(super) fn pause_job(&mut self, id: JobId) {
        if let Some(engine) = self.engine_or_error() {
            engine.pause(id);
        }
    }

    pub(super) fn cancel_job(&mut self, id: JobId) {
        if let Some(engine) = self.engine_or_error() {
            engine.cancel(id);
        }
    }

    pub(super) fn resume_job(&mut self, id: JobId) {
        let Some(engine) = self.engine_or_error() else {
            return;
        };
        let tx = self.tx.clone();
        // Resuming reads the job's counts from the journal: a scan of
        // every entry, kept off the UI task.
        self.spawn(None, async move {
            let result = match tokio::task::spawn_blocking(move || engine.resume(id)).await {
                Ok(r) => r.map_err(anyhow::Error::from),
                Err(e) => Err(anyhow::anyhow!("{e}")),
            };
            if let Err(e) = result {
                tracing::warn!("resuming job {id}: {e:#}");
                let _ = tx.send(Msg::Error(text(format!("cannot resume job {id}: {e:#}"))));
            }
        })
    }

    pub(super) fn retry_failed(&mut self, id: JobId) {
        let Some(engine) = self.engine_or_error() else {
            return;
        };
        let tx = self.tx.clone();
        self.spawn(None, async move {
            if let Err(e) = engine.retry_failed(id).await {
                tracing::warn!("retrying job {id}: {e:#}");
                let _ = tx.send(Msg::Error(text(format!("cannot retry job {id}: {e:#}"))));
            }
        })
    }

    pub(super) fn load_job_details(&mut self, job: JobId) {
        let Some(engine) = self.engine_or_error() else {
            return;
        };
        let tx = self.tx.clone();
        self.spawn(None, async move {
            let result =
                tokio::task::spawn_blocking(move || engine.failed_entries(job, FAILED_LIMIT))
                    .await
                    .map_err(text)
                    .and_then(|r| r.map_err(|e| text(format!("{e:#}"))));
            super::reply(&tx, Msg::JobDetailsLoaded { job, result });
        })
    }
}
