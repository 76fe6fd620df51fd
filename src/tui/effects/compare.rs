//! Compare mode: the two-listing merge of `crate::compare`, streamed back in
//! chunks.

use std::time::Instant;

use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use super::{reply, text, Executor, PARTIAL_REPORT};
use crate::compare::{diff_stream, DiffOptions, DiffSide};
use crate::config::ConnectionSettings;
use crate::location::Location;
use crate::s3::ConnectionPool;
use crate::tui::app::{Msg, RequestId};

impl Executor {
    pub(super) fn start_compare(
        &mut self,
        request: RequestId,
        src: (ConnectionSettings, Location),
        dst: (ConnectionSettings, Location),
    ) {
        let (tx, pool) = (self.tx.clone(), self.pool.clone());
        self.spawn(Some(request), compare(tx, pool, request, src, dst))
    }
}

/// Entries sent per message while comparing: few messages, steady progress.
const COMPARE_CHUNK: usize = 1000;

/// Compares two folders as `s3ferry diff` does, streaming entries back.
async fn compare(
    tx: UnboundedSender<Msg>,
    pool: ConnectionPool,
    request: RequestId,
    (src_conn, src): (ConnectionSettings, Location),
    (dst_conn, dst): (ConnectionSettings, Location),
) {
    let result: Result<(), String> = async {
        let side = |conn: ConnectionSettings, location: Location| {
            let pool = pool.clone();
            async move {
                let c = pool.get(&conn).await.map_err(text)?;
                DiffSide::open(&c, location).await.map_err(text)
            }
        };
        let src = side(src_conn, src).await?;
        let dst = side(dst_conn, dst).await?;
        let mut entries = Box::pin(diff_stream(src, dst, DiffOptions::default()));
        let mut chunk = Vec::new();
        let mut sent = Instant::now();
        while let Some(entry) = entries.next().await {
            chunk.push(entry.map_err(|e| text(format!("{e:#}")))?);
            if chunk.len() >= COMPARE_CHUNK || sent.elapsed() >= PARTIAL_REPORT {
                sent = Instant::now();
                let entries = std::mem::take(&mut chunk);
                if tx.send(Msg::CompareChunk { request, entries }).is_err() {
                    return Ok(());
                }
            }
        }
        if !chunk.is_empty() {
            let _ = tx.send(Msg::CompareChunk {
                request,
                entries: chunk,
            });
        }
        Ok(())
    }
    .await;
    reply(&tx, Msg::CompareDone { request, result });
}
