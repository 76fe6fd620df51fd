//! Results of effects coming back: stored where they were asked for, dropped
//! when nobody waits for them any more.

use crate::engine::model::{JobKind, JobSnapshot, JobState};
use crate::tui::app::batch::BatchJob;
use crate::tui::app::browse::pane::View;
use crate::tui::app::dialogs::{Dialog, SummarySlot};
use crate::tui::app::msg::{Effect, Msg, Side};
use crate::tui::app::{App, Pending};

pub(crate) fn handle(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::ConnectionReady { request, result } => {
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
        Msg::BucketsLoaded { request, result } => {
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
        Msg::ListResult { request, result } => {
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
        Msg::StatusLoaded { request, result } => {
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
        Msg::ReplicationSummaryLoaded { request, result } => {
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
        Msg::MarkSizeComputed { request, result } => {
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
        Msg::PreviewChunk { request, entries } => {
            if let Some(Dialog::Preview(p)) =
                app.dialogs.iter_mut().find(|d| is_preview(d, request))
            {
                p.add(entries);
            }
            Vec::new()
        }
        Msg::PreviewDone { request, result } => {
            if app.inflight.settle(request).is_none() {
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
            let count = app.transfers.len();
            let finished = app.transfers.set_jobs(jobs);
            let mut effects = Vec::new();
            for job in finished {
                effects.extend(job_finished(app, &job));
            }
            // The panel grows with the job count, which shrinks the panes.
            if app.transfers.len() != count {
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
        Msg::CompareChunk { request, entries } => {
            if let Some(c) = app.compare.as_mut().filter(|c| c.request == request) {
                c.add(entries);
            }
            Vec::new()
        }
        Msg::CompareDone { request, result } => {
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
                            app.keymap
                                .first_key(crate::tui::app::Action::MarkDifferences)
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
        Msg::BatchSubmitted { result } => match result {
            Ok(done) => {
                let r = &done.record;
                let mut text = format!(
                    "Batch Operations job {} created (s3ferry batch {}): {} objects, {}",
                    r.remote_id,
                    done.id,
                    crate::fmt::count(r.objects),
                    crate::fmt::bytes(r.bytes)
                );
                if !done.excluded.is_empty() {
                    text.push_str(&format!(
                        "; {} left out (over 5 GiB or delete markers), e.g. {}: copy them with c",
                        done.excluded.len(),
                        done.excluded[0].0
                    ));
                }
                app.set_info(text);
                let id = done.id;
                app.transfers.put_batch(BatchJob::new(id, done.record));
                app.clamp_views();
                poll_batch(app, id)
            }
            Err(e) => {
                app.set_error(format!("the Batch Operations job was not created: {e}"));
                Vec::new()
            }
        },
        Msg::BatchesLoaded { result } => {
            app.transfers.batches_loading = false;
            match result {
                Ok(listed) => {
                    app.transfers.batches_error = None;
                    let count = app.transfers.len();
                    app.transfers.set_batches(listed);
                    if app.transfers.len() != count {
                        app.clamp_views();
                    } else {
                        app.clamp_transfers();
                    }
                    let due: Vec<i64> = app
                        .transfers
                        .batches
                        .iter()
                        .filter(|b| !b.polling && !b.finished())
                        .map(|b| b.id)
                        .collect();
                    let mut effects: Vec<Effect> =
                        due.into_iter().flat_map(|id| poll_batch(app, id)).collect();
                    effects.extend(finish_moves(app));
                    effects
                }
                Err(e) => {
                    // Every 10 s: say it once, not on every poll.
                    if app.transfers.batches_error.as_ref() != Some(&e) {
                        app.transfers.batches_error = Some(e.clone());
                        app.set_error(format!("cannot list Batch Operations jobs: {e}"));
                    }
                    Vec::new()
                }
            }
        }
        Msg::BatchPolled { id, result } => {
            let Some(b) = app.transfers.batch_mut(id) else {
                return Vec::new();
            };
            b.polling = false;
            b.remote = Some(result);
            finish_moves(app)
        }
        Msg::BatchMoveStarted { id, result } => {
            let Some(b) = app.transfers.batch_mut(id) else {
                return Vec::new();
            };
            b.finishing = false;
            match result {
                Ok(started) => {
                    b.move_job = Some(started.job);
                    let mut text = format!(
                        "batch {id} complete: job {} checks each copy, then deletes its source",
                        started.job
                    );
                    if !started.unchecked.is_empty() {
                        text.push_str(&format!(
                            "; {} source(s) could not be checked and are kept",
                            started.unchecked.len()
                        ));
                    }
                    app.set_info(text);
                }
                Err(e) => {
                    b.move_error = Some(e.clone());
                    app.set_error(format!(
                        "batch {id}: the sources were not deleted: {e} (`s3ferry batch status {id} --watch` retries)"
                    ));
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

/// DescribeJob for one batch record, off the UI task.
fn poll_batch(app: &mut App, id: i64) -> Vec<Effect> {
    let Some(b) = app.transfers.batches.iter().find(|b| b.id == id) else {
        return Vec::new();
    };
    let conn = app.restore_secrets(b.record.spec.dst_conn.clone());
    let effect = Effect::PollBatch {
        id,
        conn,
        region: b.record.region.clone(),
        account_id: b.record.account_id.clone(),
        remote_id: b.record.remote_id.clone(),
        control_endpoint: b.record.control_endpoint.clone(),
    };
    if let Some(b) = app.transfers.batch_mut(id) {
        b.polling = true;
    }
    vec![effect]
}

/// Completed batch moves whose sources are still there: start the job that
/// checks each copy and deletes its source (never in read-only mode).
fn finish_moves(app: &mut App) -> Vec<Effect> {
    if app.read_only {
        return Vec::new();
    }
    let ready: Vec<(i64, crate::journal::BatchRecord)> = app
        .transfers
        .batches
        .iter()
        .filter(|b| b.needs_move())
        .map(|b| (b.id, b.record.clone()))
        .collect();
    let mut effects = Vec::new();
    for (id, record) in ready {
        let conn = app.restore_secrets(record.spec.dst_conn.clone());
        if let Some(b) = app.transfers.batch_mut(id) {
            b.finishing = true;
        }
        app.set_info(format!(
            "batch {id} complete: reading its report to delete the sources it copied"
        ));
        effects.push(Effect::FinishBatchMove {
            id,
            record: Box::new(record),
            conn,
        });
    }
    effects
}

fn is_preview(d: &Dialog, request: crate::tui::app::msg::RequestId) -> bool {
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
    // A comparison the job changed is compared again.
    let stale = app.compare.as_ref().and_then(|c| {
        let touched = |l: &crate::location::Location| {
            let url = format!("s3://{}/", l.bucket);
            job.destination.starts_with(&url)
                || (job.kind == JobKind::Move && job.source.split(' ').any(|s| s.starts_with(&url)))
        };
        (touched(&c.left) || touched(&c.right)).then(|| (c.left.clone(), c.right.clone()))
    });
    if let Some((left, right)) = stale {
        effects.extend(app.start_compare(left, right));
    }
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
