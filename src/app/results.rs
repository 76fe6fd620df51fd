//! Results of effects coming back: stored where they were asked for, dropped
//! when nobody waits for them any more.

use super::dialogs::{Dialog, SummarySlot};
use super::msg::{Effect, Msg, Side};
use super::pane::View;
use super::{App, Pending};
use crate::engine::model::{JobKind, JobSnapshot, JobState};

pub(crate) fn handle(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::ConnectionReady { request, result } => {
            let Some(Pending::Connection(side)) = app.pending.remove(&request) else {
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
        Msg::BucketsLoaded { request, result } => {
            let Some(Pending::Buckets(side)) = app.pending.remove(&request) else {
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
        Msg::ListResult { request, result } => {
            let Some(Pending::List(side, id)) = app.pending.remove(&request) else {
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
        Msg::StatusLoaded { request, result } => {
            let Some(Pending::Status(side)) = app.pending.remove(&request) else {
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
        Msg::ReplicationSummaryLoaded { request, result } => {
            if app.pending.remove(&request).is_none() {
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
        Msg::MarkSizeComputed { request, result } => {
            let Some(Pending::Size(side)) = app.pending.get(&request).cloned() else {
                return Vec::new();
            };
            let last = !matches!(result, Ok(c) if !c.done);
            if last {
                app.pending.remove(&request);
            }
            app.pane_mut(side).marks.set_size(request, result);
            Vec::new()
        }
        Msg::PreviewChunk { request, entries } => {
            if let Some(Dialog::Preview(p)) =
                app.dialogs.iter_mut().find(|d| is_preview(d, request))
            {
                p.add(entries);
            }
            Vec::new()
        }
        Msg::PreviewDone { request, result } => {
            if app.pending.remove(&request).is_none() {
                return Vec::new();
            }
            if let Some(Dialog::Preview(p)) =
                app.dialogs.iter_mut().find(|d| is_preview(d, request))
            {
                p.done = true;
                p.error = result.err();
            }
            Vec::new()
        }
        Msg::JobSubmitted { result } => {
            match result {
                Ok(id) => app.set_info(format!("job {id} queued")),
                Err(e) => app.set_error(format!("the job was not queued: {e}")),
            }
            Vec::new()
        }
        Msg::JobsSnapshot(jobs) => {
            let count = app.transfers.jobs.len();
            let finished = app.transfers.set_jobs(jobs);
            let mut effects = Vec::new();
            for job in finished {
                effects.extend(job_finished(app, &job));
            }
            // The panel grows with the job count, which shrinks the panes.
            if app.transfers.jobs.len() != count {
                app.clamp_views();
            } else {
                app.clamp_transfers();
            }
            effects
        }
        Msg::JobDetailsLoaded { job, result } => {
            for d in app.dialogs.iter_mut() {
                if let Dialog::JobDetails(details) = d {
                    if details.job == job {
                        details.failed = Some(result.clone());
                    }
                }
            }
            Vec::new()
        }
        Msg::Error(e) => {
            app.set_error(e);
            Vec::new()
        }
        Msg::Key(_) | Msg::Mouse(_) | Msg::Resize(..) | Msg::Tick { .. } => Vec::new(),
    }
}

fn is_preview(d: &Dialog, request: super::msg::RequestId) -> bool {
    matches!(d, Dialog::Preview(p) if p.request == request)
}

/// Says how a job ended and shows its result in the panes it changed.
fn job_finished(app: &mut App, job: &JobSnapshot) -> Vec<Effect> {
    let p = &job.progress;
    let summary = format!(
        "job {} {}: {} copied, {} skipped, {} failed",
        job.id,
        job.state.as_str(),
        p.copied,
        p.skipped,
        p.failed
    );
    if p.failed > 0 || job.state == JobState::Failed {
        app.set_error(summary);
    } else {
        app.set_info(summary);
    }
    let mut effects = Vec::new();
    for side in [Side::Left, Side::Right] {
        let Some(bucket) = app.pane(side).bucket() else {
            continue;
        };
        let url = format!("s3://{bucket}/");
        // A move also changed its source.
        let changed = job.destination.starts_with(&url)
            || (job.kind == JobKind::Move && job.source.split(' ').any(|s| s.starts_with(&url)));
        if changed {
            effects.extend(app.reload_tree(side));
        }
    }
    effects
}
