//! The per-object replication summary coming back into the status dialog.

use crate::s3::model::ReplicationSummary;
use crate::tui::app::dialogs::{Dialog, SummarySlot};
use crate::tui::app::msg::{Effect, RequestId};
use crate::tui::app::App;

pub(crate) fn replication_summary_loaded(
    app: &mut App,
    request: RequestId,
    result: Result<ReplicationSummary, String>,
) -> Vec<Effect> {
    if app.inflight.settle(request).is_none() {
        return Vec::new();
    }
    for d in app.dialogs.iter_mut() {
        if let Dialog::Status(s) = d {
            if matches!(s.summary, SummarySlot::Loading(r, _) if r == request) {
                s.summary = match result {
                    Ok(sum) => SummarySlot::Loaded(sum),
                    Err(e) => SummarySlot::Failed(e),
                };
                break;
            }
        }
    }
    Vec::new()
}
