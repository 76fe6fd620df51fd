//! The comparison coming back into compare mode.

use crate::compare::DiffEntry;
use crate::tui::app::msg::{Effect, RequestId};
use crate::tui::app::App;

pub(crate) fn compare_chunk(
    app: &mut App,
    request: RequestId,
    entries: Vec<DiffEntry>,
) -> Vec<Effect> {
    if let Some(c) = app.compare.as_mut().filter(|c| c.request == request) {
        c.add(entries);
    }
    Vec::new()
}

pub(crate) fn compare_done(
    app: &mut App,
    request: RequestId,
    result: Result<(), String>,
) -> Vec<Effect> {
    if app.inflight.settle(request).is_none() {
        return Vec::new();
    }
    let Some(c) = app.compare.as_mut().filter(|c| c.request == request) else {
        return Vec::new();
    };
    match result {
        Ok(()) => {
            c.done = true;
            let t = c.totals.counts;
            let text = format!(
                "compared: {} only in the source · {} only in the destination · {} different · {} same",
                t.only_src, t.only_dst, t.different, t.same
            );
            if t.only_src + t.different > 0 {
                let hint = format!(
                    "{text}; {} marks the differences",
                    app.keymap.first_key(crate::tui::app::Verb::MarkDifferences)
                );
                app.set_info(hint);
            } else {
                app.set_info(text);
            }
        }
        Err(e) => {
            c.error = Some(e.clone());
            app.set_error(format!("compare failed: {e}"));
        }
    }
    Vec::new()
}
