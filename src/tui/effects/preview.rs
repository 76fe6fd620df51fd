//! The preview dialog: the engine's dry-run plan, streamed back in chunks.

use futures::StreamExt;

use super::{reply, text, Executor};
use crate::engine::model::JobSpec;
use crate::engine::preview::PreviewEvent;
use crate::tui::app::{Msg, RequestId};

impl Executor {
    pub(super) fn start_preview(&mut self, request: RequestId, spec: Box<JobSpec>) {
        let (tx, pool) = (self.tx.clone(), self.pool.clone());
        self.spawn(Some(request), async move {
            let mut events = Box::pin(crate::engine::preview::preview(pool, *spec));
            while let Some(ev) = events.next().await {
                let msg = match ev {
                    Ok(PreviewEvent::Entries(entries)) => Msg::PreviewChunk { request, entries },
                    Ok(PreviewEvent::Done(result)) => Msg::PreviewDone { request, result },
                    Err(e) => Msg::PreviewDone {
                        request,
                        result: Err(text(e)),
                    },
                };
                if matches!(msg, Msg::PreviewDone { .. }) {
                    reply(&tx, msg);
                    return;
                }
                if tx.send(msg).is_err() {
                    return;
                }
            }
            let _ = tx.send(Msg::PreviewDone {
                request,
                result: Err("the preview ended early".into()),
            });
        })
    }
}
