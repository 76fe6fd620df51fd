//! The entry point: one message in, state changed, effects out. Keys go to
//! the dialog on top or to the focused pane's feature, results to the
//! feature that asked for them.

use crate::tui::app::event::{KeyEvent, KeyEventKind};

use super::dialogs::Dialog;
use super::input::InputOutcome;
use super::keymap::{Context, Verb};
use super::msg::{Effect, Msg};
use super::{
    batch, browse, compare, dialogs, mouse, preview, transfers, App, Focus, ERROR_TTL_MS,
    INFO_TTL_MS,
};
use crate::engine::model::JobKind;

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let background = matches!(msg, Msg::Tick { .. } | Msg::JobsSnapshot(_));
    let mut effects = match msg {
        Msg::Key(ev) if ev.kind == KeyEventKind::Release => Vec::new(),
        Msg::Key(ev) => key(app, ev),
        Msg::Mouse(ev) => mouse::mouse(app, ev),
        Msg::Resize(w, h) => {
            app.width = w;
            app.height = h;
            app.clamp_views();
            Vec::new()
        }
        Msg::Tick { now_ms } => tick(app, now_ms),
        other => result(app, other),
    };
    // Ticks and job snapshots never change a tree: skip the walk over its rows.
    if !app.quitting && !background {
        effects.extend(app.ensure_loaded());
    }
    effects
}

fn tick(app: &mut App, now_ms: u64) -> Vec<Effect> {
    app.now_ms = now_ms;
    app.ticks += 1;
    app.transfers.throughput.sample(now_ms, &app.transfers.jobs);
    if let Some(s) = &app.status {
        let ttl = if s.error { ERROR_TTL_MS } else { INFO_TTL_MS };
        if now_ms.saturating_sub(s.at_ms) > ttl {
            app.status = None;
        }
    }
    // Batch Operations jobs: list them from the journal (picking up ones the
    // CLI submitted), then DescribeJob each unfinished one, every 10 s.
    let t = &app.transfers;
    let since = t.batches_loaded_at.map(|at| now_ms.saturating_sub(at));
    let due = match since {
        None => true,
        Some(s) if t.batches_loading => s >= batch::POLL_STALE_MS,
        Some(s) => s >= batch::POLL_EVERY_MS,
    };
    if !due {
        return Vec::new();
    }
    app.transfers.batches_loaded_at = Some(now_ms);
    app.transfers.batches_loading = true;
    vec![Effect::LoadBatches]
}

fn key(app: &mut App, ev: KeyEvent) -> Vec<Effect> {
    if !app.dialogs.is_empty() {
        return dialogs::keys::dialog_key(app, ev);
    }
    if let Focus::Pane(side) = app.focus {
        if app.pane(side).filter_input.is_some() {
            match browse::keys::filter_key(app, side, &ev) {
                InputOutcome::Ignored => {}
                _ => return Vec::new(),
            }
        }
    }
    let ctx = app.context();
    let Some(action) = app.keymap.resolve(ctx, &ev) else {
        return Vec::new();
    };
    match action {
        Verb::Quit => app.request_quit(),
        Verb::Help => {
            app.dialogs.push(Dialog::Help { scroll: 0 });
            Vec::new()
        }
        Verb::FocusNext | Verb::FocusPrev => {
            app.cycle_focus(action == Verb::FocusNext);
            Vec::new()
        }
        _ => match (app.focus, ctx) {
            (Focus::Transfers, _) => app.transfers_action(action),
            // Verbs that start a feature go straight to it.
            (Focus::Pane(side), Context::Tree) => match action {
                Verb::Copy => app.open_preview(JobKind::Copy),
                Verb::Move => app.open_preview(JobKind::Move),
                Verb::Compare => app.toggle_compare(),
                Verb::MarkDifferences => app.mark_differences(),
                _ => app.tree_action(side, action),
            },
            (Focus::Pane(side), _) => app.buckets_action(side, action),
        },
    }
}

/// An effect's result, handed to the feature that asked for it.
fn result(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::ConnectionReady { request, result } => {
            browse::results::connection_ready(app, request, result)
        }
        Msg::BucketsLoaded { request, result } => {
            browse::results::buckets_loaded(app, request, result)
        }
        Msg::ListResult { request, result } => browse::results::list_result(app, request, result),
        Msg::StatusLoaded { request, result } => {
            browse::results::status_loaded(app, request, result)
        }
        Msg::MarkSizeComputed { request, result } => {
            browse::results::mark_size_computed(app, request, result)
        }
        Msg::ReplicationSummaryLoaded { request, result } => {
            dialogs::results::replication_summary_loaded(app, request, result)
        }
        Msg::PreviewChunk { request, entries } => {
            preview::results::preview_chunk(app, request, entries)
        }
        Msg::PreviewDone { request, result } => {
            preview::results::preview_done(app, request, result)
        }
        Msg::JobSubmitted { result } => transfers::results::job_submitted(app, result),
        Msg::JobsSnapshot(jobs) => transfers::results::jobs_snapshot(app, jobs),
        Msg::JobDetailsLoaded { job, result } => {
            transfers::results::job_details_loaded(app, job, result)
        }
        Msg::CompareChunk { request, entries } => {
            compare::results::compare_chunk(app, request, entries)
        }
        Msg::CompareDone { request, result } => {
            compare::results::compare_done(app, request, result)
        }
        Msg::BatchSubmitted { result } => batch::results::batch_submitted(app, result),
        Msg::BatchesLoaded { result } => batch::results::batches_loaded(app, result),
        Msg::BatchPolled { id, result } => batch::results::batch_polled(app, id, result),
        Msg::BatchMoveStarted { id, result } => batch::results::batch_move_started(app, id, result),
        Msg::Error(e) => {
            app.set_error(e);
            Vec::new()
        }
        Msg::Key(_) | Msg::Mouse(_) | Msg::Resize(..) | Msg::Tick { .. } => Vec::new(),
    }
}
