//! S3 Batch Operations: creating jobs, listing the journal's batch records,
//! polling them and finishing a completed batch move.

use super::{text, Executor};
use crate::config::ConnectionSettings;
use crate::journal::BatchRecord;
use crate::tui::app::Msg;

impl Executor {
    pub(super) fn submit_batch(&mut self, req: Box<crate::engine::batch::submit::SubmitRequest>) {
        let Some(engine) = self.engine_or_error() else {
            return;
        };
        let (tx, pool) = (self.tx.clone(), self.pool.clone());
        self.spawn(None, async move {
            let result = crate::engine::batch::submit::submit(&pool, engine.journal(), &req)
                .await
                .map(Box::new)
                .map_err(|e| text(format!("{e:#}")));
            if let Err(e) = &result {
                tracing::error!("creating a Batch Operations job: {e}");
            }
            let _ = tx.send(Msg::BatchSubmitted { result });
        })
    }

    pub(super) fn load_batches(&mut self) {
        let tx = self.tx.clone();
        let Some(engine) = self.engine.clone() else {
            // Browsing only: there is no journal to list batch jobs from.
            let _ = tx.send(Msg::BatchesLoaded {
                result: Ok(Vec::new()),
            });
            return;
        };
        self.spawn(None, async move {
            let result = tokio::task::spawn_blocking(move || {
                engine.journal().batches(crate::tui::app::batch::LISTED)
            })
            .await
            .map_err(text)
            .and_then(|r| r.map_err(text));
            let _ = tx.send(Msg::BatchesLoaded { result });
        })
    }

    pub(super) fn poll_batch(
        &mut self,
        id: i64,
        conn: ConnectionSettings,
        region: String,
        account_id: String,
        remote_id: String,
        control_endpoint: Option<String>,
    ) {
        let (tx, pool) = (self.tx.clone(), self.pool.clone());
        self.spawn(None, async move {
            let result = async {
                let c = pool.get(&conn).await?;
                let client = crate::s3::BatchControl::new(&c, &region, control_endpoint.as_deref());
                client.describe_job(&account_id, &remote_id).await
            }
            .await
            .map_err(|e| text(format!("{e:#}")));
            if let Err(e) = &result {
                tracing::warn!("batch {id}: {e}");
            }
            let _ = tx.send(Msg::BatchPolled { id, result });
        })
    }

    pub(super) fn finish_batch_move(
        &mut self,
        id: i64,
        record: Box<BatchRecord>,
        conn: ConnectionSettings,
    ) {
        let Some(engine) = self.engine_or_error() else {
            return;
        };
        let (tx, pool) = (self.tx.clone(), self.pool.clone());
        self.spawn(None, async move {
            let result = async {
                let c = pool.get(&conn).await?;
                crate::engine::batch::finish::start_move(&engine, id, &record, &c).await
            }
            .await
            .map_err(|e| text(format!("{e:#}")));
            match &result {
                Ok(s) => {
                    for (source, why) in &s.unchecked {
                        tracing::warn!("batch {id}: source {source} not checked: {why}");
                    }
                }
                Err(e) => tracing::error!("batch {id}: finishing the move: {e}"),
            }
            let _ = tx.send(Msg::BatchMoveStarted { id, result });
            let _ = tx.send(Msg::JobsSnapshot(engine.jobs()));
        })
    }
}
