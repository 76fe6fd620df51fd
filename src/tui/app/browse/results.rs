//! Listings, bucket lists, connections, bucket status and mark sizes coming
//! back; each applies only while the pane still waits for it.

use crate::s3::model::{BucketInfo, BucketStatus, ListPage};
use crate::tui::app::browse::pane::View;
use crate::tui::app::msg::{Effect, RequestId, SizeCount};
use crate::tui::app::{App, Pending};

pub(crate) fn connection_ready(
    app: &mut App,
    request: RequestId,
    result: Result<(), String>,
) -> Vec<Effect> {
    let Some(Pending::Connection(side)) = app.inflight.settle(request) else {
        return Vec::new();
    };
    if app.pane(side).connecting != Some(request) {
        return Vec::new();
    }
    app.pane_mut(side).connecting = None;
    match result {
        Ok(()) => {
            let label = app.pane(side).conn.label();
            app.set_info(format!(
                "{}: connected to {label}",
                side.label().to_lowercase()
            ));
            app.show_buckets(side, None)
        }
        Err(e) => {
            if let View::Buckets(list) = &mut app.pane_mut(side).view {
                list.error = Some(e.clone());
            }
            app.set_error(e);
            Vec::new()
        }
    }
}

pub(crate) fn buckets_loaded(
    app: &mut App,
    request: RequestId,
    result: Result<Vec<BucketInfo>, String>,
) -> Vec<Effect> {
    let Some(Pending::Buckets(side)) = app.inflight.settle(request) else {
        return Vec::new();
    };
    let failed = {
        let View::Buckets(list) = &mut app.pane_mut(side).view else {
            return Vec::new();
        };
        if list.loading != Some(request) {
            return Vec::new();
        }
        list.loading = None;
        match result {
            Ok(buckets) => {
                list.buckets = buckets;
                list.error = None;
                if let Some(name) = list.select.take() {
                    list.cursor = list
                        .buckets
                        .iter()
                        .position(|b| b.name == name)
                        .unwrap_or(0);
                }
                None
            }
            Err(e) => {
                list.error = Some(e.clone());
                Some(e)
            }
        }
    };
    if let Some(e) = failed {
        app.set_error(format!(
            "{e} (type a bucket name and press enter to open it anyway)"
        ));
    }
    app.clamp_views();
    Vec::new()
}

pub(crate) fn list_result(
    app: &mut App,
    request: RequestId,
    result: Result<ListPage, String>,
) -> Vec<Effect> {
    let Some(Pending::List(side, id)) = app.inflight.settle(request) else {
        return Vec::new();
    };
    let error = result.as_ref().err().cloned();
    let applied = app
        .pane_mut(side)
        .tree_mut()
        .is_some_and(|t| t.apply_page(&id, request, result));
    if applied {
        if let Some(e) = error {
            app.set_error(e);
        }
        app.clamp_views();
    }
    Vec::new()
}

pub(crate) fn status_loaded(
    app: &mut App,
    request: RequestId,
    result: Result<Box<BucketStatus>, String>,
) -> Vec<Effect> {
    let Some(Pending::Status(side)) = app.inflight.settle(request) else {
        return Vec::new();
    };
    let Some(tree) = app.pane_mut(side).tree_mut() else {
        return Vec::new();
    };
    if tree.status_loading != Some(request) {
        return Vec::new();
    }
    tree.status_loading = None;
    // Keep the last good status when a refresh fails; say why in the status line.
    match result {
        Ok(s) => tree.status = Some(Ok(*s)),
        Err(e) => {
            if !matches!(tree.status, Some(Ok(_))) {
                tree.status = Some(Err(e.clone()));
            }
            app.set_error(e);
        }
    }
    Vec::new()
}

/// Sent repeatedly while counting; the request stays open until the last.
pub(crate) fn mark_size_computed(
    app: &mut App,
    request: RequestId,
    result: Result<SizeCount, String>,
) -> Vec<Effect> {
    let Some(Pending::Size(side)) = app.inflight.get(request).cloned() else {
        return Vec::new();
    };
    let last = !matches!(result, Ok(c) if !c.done);
    if last {
        app.inflight.forget(request);
    }
    app.pane_mut(side).marks.set_size(request, result);
    Vec::new()
}
