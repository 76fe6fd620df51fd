//! The engine's dry-run plan coming back into the preview dialog.

use crate::plan::model::PlanEntry;
use crate::tui::app::dialogs::Dialog;
use crate::tui::app::msg::{Effect, RequestId};
use crate::tui::app::App;

pub(crate) fn preview_chunk(
    app: &mut App,
    request: RequestId,
    entries: Vec<PlanEntry>,
) -> Vec<Effect> {
    if let Some(Dialog::Preview(p)) = app.dialogs.iter_mut().find(|d| is_preview(d, request)) {
        p.add(entries);
    }
    Vec::new()
}

pub(crate) fn preview_done(
    app: &mut App,
    request: RequestId,
    result: Result<(), String>,
) -> Vec<Effect> {
    if app.inflight.settle(request).is_none() {
        return Vec::new();
    }
    if let Some(Dialog::Preview(p)) = app.dialogs.iter_mut().find(|d| is_preview(d, request)) {
        p.done = true;
        p.error = result.err();
    }
    Vec::new()
}

fn is_preview(d: &Dialog, request: crate::tui::app::msg::RequestId) -> bool {
    matches!(d, Dialog::Preview(p) if p.request == request)
}
