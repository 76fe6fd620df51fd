//! Browsing: connections, bucket lists, listing pages, bucket status and the
//! size counts of marks.

use std::time::Instant;

use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use super::{reply, text, Executor, PARTIAL_REPORT};
use crate::config::ConnectionSettings;
use crate::location::Location;
use crate::s3::list::ListRequest;
use crate::s3::model::PageToken;
use crate::s3::status::{bucket_status, replication_checks, replication_summary};
use crate::s3::{ConnectionPool, ListItem};
use crate::tui::app::{Msg, RequestId, SizeCount};

/// HeadObject calls in flight for a per-object replication summary.
const SUMMARY_CONCURRENCY: usize = 16;

impl Executor {
    pub(super) fn switch_connection(&mut self, request: RequestId, conn: ConnectionSettings) {
        let (tx, pool) = (self.tx.clone(), self.pool.clone());
        self.spawn(None, async move {
            let result = pool.get(&conn).await.map(|_| ()).map_err(text);
            reply(&tx, Msg::ConnectionReady { request, result });
        })
    }

    pub(super) fn list_buckets(&mut self, request: RequestId, conn: ConnectionSettings) {
        let (tx, pool) = (self.tx.clone(), self.pool.clone());
        self.spawn(None, async move {
            let result = async {
                let c = pool.get(&conn).await?;
                c.list_buckets().await
            }
            .await
            .map_err(text);
            reply(&tx, Msg::BucketsLoaded { request, result });
        })
    }

    pub(super) fn list_page(
        &mut self,
        request: RequestId,
        conn: ConnectionSettings,
        req: ListRequest,
        token: Option<PageToken>,
    ) {
        let (tx, pool) = (self.tx.clone(), self.pool.clone());
        self.spawn(None, async move {
            let result = async {
                let c = pool.get(&conn).await?;
                c.bucket(&req.bucket)
                    .await?
                    .paginator(req, token)
                    .fetch()
                    .await
            }
            .await
            .map_err(text);
            reply(&tx, Msg::ListResult { request, result });
        })
    }

    pub(super) fn load_status(
        &mut self,
        request: RequestId,
        conn: ConnectionSettings,
        bucket: String,
    ) {
        let (tx, pool) = (self.tx.clone(), self.pool.clone());
        self.spawn(None, async move {
            let result = async {
                let c = pool.get(&conn).await?;
                let mut status = bucket_status(&c, &bucket).await?;
                // Rule prerequisites (versioning on both sides, reachable destination).
                status.replication_checks = replication_checks(&c, &status).await;
                Ok::<_, crate::s3::S3Error>(status)
            }
            .await
            .map(Box::new)
            .map_err(text);
            reply(&tx, Msg::StatusLoaded { request, result });
        })
    }

    pub(super) fn load_replication_summary(
        &mut self,
        request: RequestId,
        conn: ConnectionSettings,
        bucket: String,
        prefix: String,
        limit: u64,
        covered: Option<Vec<String>>,
    ) {
        let (tx, pool) = (self.tx.clone(), self.pool.clone());
        self.spawn(Some(request), async move {
            let result = async {
                let c = pool.get(&conn).await?;
                let covered = covered.as_deref();
                replication_summary(&c, &bucket, &prefix, limit, SUMMARY_CONCURRENCY, covered).await
            }
            .await
            .map_err(text);
            reply(&tx, Msg::ReplicationSummaryLoaded { request, result });
        })
    }

    pub(super) fn compute_size(
        &mut self,
        request: RequestId,
        conn: ConnectionSettings,
        location: Location,
    ) {
        let (tx, pool) = (self.tx.clone(), self.pool.clone());
        self.spawn(
            Some(request),
            count_prefix(tx, pool, conn, location, request),
        )
    }
}

/// Counts objects and bytes under a prefix, reporting partial counts as it goes.
async fn count_prefix(
    tx: UnboundedSender<Msg>,
    pool: ConnectionPool,
    conn: ConnectionSettings,
    location: Location,
    request: RequestId,
) {
    let result: Result<SizeCount, String> = async {
        let c = pool.get(&conn).await.map_err(text)?;
        let bucket = c.bucket(&location.bucket).await.map_err(text)?;
        let mut pages =
            Box::pin(bucket.pages(ListRequest::objects(&location.bucket, &location.prefix)));
        let mut count = SizeCount::default();
        let mut reported = Instant::now();
        while let Some(page) = pages.next().await {
            for item in page.map_err(text)?.items {
                if let ListItem::Object(o) = item {
                    count.objects += 1;
                    count.bytes += o.size;
                }
            }
            if reported.elapsed() >= PARTIAL_REPORT {
                reported = Instant::now();
                let _ = tx.send(Msg::MarkSizeComputed {
                    request,
                    result: Ok(count),
                });
            }
        }
        Ok(SizeCount {
            done: true,
            ..count
        })
    }
    .await;
    reply(&tx, Msg::MarkSizeComputed { request, result });
}
