//! The entry point: one message in, state changed, effects out.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use super::actions::{is_nav, nav_target};
use super::dialogs::{
    choice_settings, prompt_settings, Confirm, Dialog, OnYes, StatusDialog, SummarySlot,
    SUMMARY_LIMIT,
};
use super::input::InputOutcome;
use super::input::TextInput;
use super::keymap::{Action, Context};
use super::msg::{Effect, Msg, Side};
use super::pane::{Pane, View};
use super::preview::{next_policy, parse_destination, parse_rewrite, PreviewField};
use super::{batch, layout, results, App, Focus, Pending, ERROR_TTL_MS, INFO_TTL_MS};
use crate::engine::model::JobKind;

/// Rows a wheel notch scrolls.
const WHEEL_ROWS: usize = 3;
/// Page size inside dialogs, whose height `app` does not track.
const DIALOG_PAGE: usize = 10;

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let background = matches!(msg, Msg::Tick { .. } | Msg::JobsSnapshot(_));
    let mut effects = match msg {
        Msg::Key(ev) if ev.kind == KeyEventKind::Release => Vec::new(),
        Msg::Key(ev) => key(app, ev),
        Msg::Mouse(ev) => mouse(app, ev),
        Msg::Resize(w, h) => {
            app.width = w;
            app.height = h;
            app.clamp_views();
            Vec::new()
        }
        Msg::Tick { now_ms } => tick(app, now_ms),
        other => results::handle(app, other),
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

/// Characters a bucket name can hold type straight into a bucket list's filter.
fn bucket_filter_char(ev: &KeyEvent) -> Option<char> {
    if ev
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    match ev.code {
        KeyCode::Char(c)
            if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_') =>
        {
            Some(c)
        }
        _ => None,
    }
}

fn key(app: &mut App, ev: KeyEvent) -> Vec<Effect> {
    if !app.dialogs.is_empty() {
        return dialog_key(app, ev);
    }
    if let Focus::Pane(side) = app.focus {
        if app.pane(side).filter_input.is_some() {
            match filter_key(app, side, &ev) {
                InputOutcome::Ignored => {}
                _ => return Vec::new(),
            }
        } else if let View::Buckets(_) = app.pane(side).view {
            let typed = bucket_filter_char(&ev);
            let erase = ev.code == KeyCode::Backspace && !app.pane(side).filter.is_empty();
            if typed.is_some() || erase {
                let pane = app.pane_mut(side);
                match typed {
                    Some(c) => pane.filter.push(c),
                    None => {
                        pane.filter.pop();
                    }
                }
                if let View::Buckets(list) = &mut pane.view {
                    list.cursor = 0;
                }
                app.clamp_views();
                return Vec::new();
            }
        }
    }
    let ctx = app.context();
    let Some(action) = app.keymap.resolve(ctx, &ev) else {
        return Vec::new();
    };
    match action {
        Action::Quit => app.request_quit(),
        Action::Help => {
            app.dialogs.push(Dialog::Help { scroll: 0 });
            Vec::new()
        }
        Action::FocusNext | Action::FocusPrev => {
            app.cycle_focus(action == Action::FocusNext);
            Vec::new()
        }
        _ => match (app.focus, ctx) {
            (Focus::Transfers, _) => app.transfers_action(action),
            (Focus::Pane(side), Context::Tree) => app.tree_action(side, action),
            (Focus::Pane(side), _) => app.buckets_action(side, action),
        },
    }
}

/// Keys while a pane's filter is typed: the list narrows as you type;
/// navigation keys the field does not use still move the cursor.
fn filter_key(app: &mut App, side: Side, ev: &KeyEvent) -> InputOutcome {
    let pane = app.pane_mut(side);
    let Some(input) = pane.filter_input.as_mut() else {
        return InputOutcome::Ignored;
    };
    let outcome = input.handle(ev);
    match outcome {
        InputOutcome::Changed => pane.filter = input.text.clone(),
        InputOutcome::Submit => pane.filter_input = None,
        InputOutcome::Cancel => {
            pane.filter_input = None;
            pane.filter.clear();
        }
        InputOutcome::Moved | InputOutcome::Ignored => {}
    }
    if outcome != InputOutcome::Ignored {
        let Pane { view, filter, .. } = app.pane_mut(side);
        match view {
            View::Buckets(list) => list.cursor = 0,
            // A cursor the filter hides starts again at the top, where the
            // matches are, not at its old index near the end of a long list.
            View::Tree(tree) => {
                if tree.find_cursor(filter).is_none() {
                    tree.cursor = None;
                    tree.cursor_hint = 0;
                    tree.offset = 0;
                }
            }
        }
        app.clamp_views();
    }
    outcome
}

fn dialog_key(app: &mut App, ev: KeyEvent) -> Vec<Effect> {
    match app.dialogs.last() {
        Some(Dialog::Preview(p)) if p.editing.is_some() => return preview_edit_key(app, &ev),
        Some(Dialog::Connection(c)) if c.input.is_some() => return connection_input_key(app, &ev),
        Some(Dialog::BatchForm(_)) => return batch_form_key(app, &ev),
        _ => {}
    }
    let ctx = app.context();
    let Some(action) = app.keymap.resolve(ctx, &ev) else {
        return Vec::new();
    };
    dialog_action(app, action)
}

fn dialog_action(app: &mut App, action: Action) -> Vec<Effect> {
    if action == Action::Close {
        return close_dialog(app);
    }
    let help_len: usize = app
        .keymap
        .help()
        .iter()
        .map(|(_, rows)| rows.len() + 2)
        .sum();
    let Some(top) = app.dialogs.last_mut() else {
        return Vec::new();
    };
    match top {
        Dialog::Help { scroll } => {
            if action == Action::Help {
                app.dialogs.pop();
            } else if let Some(t) = nav_target(action, *scroll, help_len, DIALOG_PAGE) {
                *scroll = t;
            }
            Vec::new()
        }
        Dialog::Preview(p) => match action {
            Action::Confirm => preview_confirm(app),
            Action::EditDestination => {
                p.editing = Some((
                    PreviewField::Destination,
                    TextInput::new(p.dst_prefix.clone()),
                ));
                Vec::new()
            }
            Action::EditRewrite => {
                p.editing = Some((
                    PreviewField::Rewrite,
                    TextInput::new(p.rewrite.clone().unwrap_or_default()),
                ));
                Vec::new()
            }
            Action::TogglePolicy => {
                p.conflict = next_policy(p.conflict);
                restart_preview(app)
            }
            // The plan does not depend on encryption: no new listing.
            Action::ToggleSse => {
                crate::app::preview::next_sse(&mut p.run);
                Vec::new()
            }
            Action::Batch => open_batch_form(app),
            Action::Help => {
                app.dialogs.push(Dialog::Help { scroll: 0 });
                Vec::new()
            }
            a if is_nav(a) => {
                let len = p.entries.len();
                if let Some(t) = nav_target(a, p.offset, len, DIALOG_PAGE) {
                    p.offset = t;
                }
                Vec::new()
            }
            _ => Vec::new(),
        },
        Dialog::Confirm(c) => match action {
            Action::Yes => {
                let on_yes = c.on_yes.clone();
                match on_yes {
                    OnYes::Quit => {
                        app.quitting = true;
                        vec![Effect::Quit]
                    }
                    OnYes::Submit(spec) => submit(app, spec),
                    OnYes::SubmitBatch(req) => submit_batch(app, req),
                }
            }
            Action::No => {
                app.dialogs.pop();
                Vec::new()
            }
            _ => Vec::new(),
        },
        Dialog::Status(s) => match action {
            Action::ReplicationSummary => {
                let (side, bucket, prefix) = (s.side, s.bucket.clone(), s.prefix.clone());
                if let SummarySlot::Loading(r, _) = s.summary {
                    app.pending.remove(&r);
                }
                let request = app.request(Pending::Summary);
                let conn = app.pane(side).conn.clone();
                let covered = app
                    .pane(side)
                    .tree()
                    .and_then(|t| t.status.as_ref())
                    .and_then(|s| s.as_ref().ok())
                    .and_then(crate::s3::status::covered_prefixes);
                if let Some(Dialog::Status(s)) = app.dialogs.last_mut() {
                    s.summary = SummarySlot::Loading(request, prefix.clone());
                }
                vec![Effect::LoadReplicationSummary {
                    request,
                    conn,
                    bucket,
                    prefix,
                    limit: SUMMARY_LIMIT,
                    covered,
                }]
            }
            Action::Refresh => {
                let side = s.side;
                app.load_status(side)
            }
            Action::Help => {
                app.dialogs.push(Dialog::Help { scroll: 0 });
                Vec::new()
            }
            a if is_nav(a) => {
                if let Some(t) = nav_target(a, s.scroll, 200, DIALOG_PAGE) {
                    s.scroll = t;
                }
                Vec::new()
            }
            _ => Vec::new(),
        },
        Dialog::JobDetails(d) => match action {
            Action::Pause | Action::CancelJob | Action::RetryFailed => {
                let job = d.job;
                app.job_control(job, action)
            }
            Action::Help => {
                app.dialogs.push(Dialog::Help { scroll: 0 });
                Vec::new()
            }
            a if is_nav(a) => {
                let len = match &d.failed {
                    Some(Ok(f)) => f.len() + 8,
                    _ => 8,
                };
                if let Some(t) = nav_target(a, d.scroll, len, DIALOG_PAGE) {
                    d.scroll = t;
                }
                Vec::new()
            }
            _ => Vec::new(),
        },
        // Its keys are taken by `batch_form_key` before actions are resolved.
        Dialog::BatchForm(_) => Vec::new(),
        Dialog::Connection(c) => match action {
            Action::Open | Action::Confirm => choose_connection(app),
            a if is_nav(a) => {
                if let Some(t) = nav_target(a, c.cursor, c.choices.len(), DIALOG_PAGE) {
                    c.cursor = t;
                }
                Vec::new()
            }
            _ => Vec::new(),
        },
    }
}

fn close_dialog(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    match app.dialogs.pop() {
        Some(Dialog::Preview(p)) if app.pending.remove(&p.request).is_some() => {
            effects.push(Effect::Cancel { request: p.request });
        }
        Some(Dialog::Status(StatusDialog {
            summary: SummarySlot::Loading(r, _),
            ..
        })) if app.pending.remove(&r).is_some() => {
            effects.push(Effect::Cancel { request: r });
        }
        _ => {}
    }
    effects
}

/// Starts the preview over with its current settings.
fn restart_preview(app: &mut App) -> Vec<Effect> {
    let request = app.request(Pending::Preview);
    let Some(Dialog::Preview(p)) = app.dialogs.last_mut() else {
        app.pending.remove(&request);
        return Vec::new();
    };
    let old = p.request;
    p.restart(request);
    let spec = Box::new(p.spec());
    let mut effects = Vec::new();
    if app.pending.remove(&old).is_some() {
        effects.push(Effect::Cancel { request: old });
    }
    effects.push(Effect::StartPreview { request, spec });
    effects
}

fn preview_edit_key(app: &mut App, ev: &KeyEvent) -> Vec<Effect> {
    let Some(Dialog::Preview(p)) = app.dialogs.last_mut() else {
        return Vec::new();
    };
    let Some((field, input)) = p.editing.as_mut() else {
        return Vec::new();
    };
    let field = *field;
    match input.handle(ev) {
        InputOutcome::Submit => {
            let text = input.text.clone();
            match field {
                PreviewField::Destination => {
                    let old = std::mem::replace(&mut p.dst_prefix, parse_destination(&text));
                    if let Some(problem) = p.overlap() {
                        p.dst_prefix = old;
                        p.field_error = Some(format!("refused: {problem}"));
                        return Vec::new();
                    }
                }
                PreviewField::Rewrite => match parse_rewrite(&text) {
                    Ok(rule) => p.rewrite = rule,
                    Err(e) => {
                        p.field_error = Some(e);
                        return Vec::new();
                    }
                },
            }
            p.editing = None;
            p.field_error = None;
            restart_preview(app)
        }
        InputOutcome::Cancel => {
            p.editing = None;
            p.field_error = None;
            Vec::new()
        }
        InputOutcome::Changed => {
            p.field_error = None;
            Vec::new()
        }
        InputOutcome::Moved | InputOutcome::Ignored => Vec::new(),
    }
}

fn preview_confirm(app: &mut App) -> Vec<Effect> {
    if app.read_only {
        app.set_error("read-only: nothing can be queued");
        return Vec::new();
    }
    let Some(Dialog::Preview(p)) = app.dialogs.last_mut() else {
        return Vec::new();
    };
    if let Some(problem) = p.overlap() {
        p.field_error = Some(format!("refused: {problem}"));
        return Vec::new();
    }
    // The preview plans exactly as the engine would: what it refuses, the job would too.
    if let Some(e) = p.error.as_ref().filter(|_| p.done) {
        p.field_error = Some(format!("cannot queue: {e}"));
        return Vec::new();
    }
    if p.done && p.totals.objects == 0 {
        p.field_error = Some("nothing to do: no objects under the sources".into());
        return Vec::new();
    }
    if p.kind != JobKind::Move {
        let spec = Box::new(p.spec());
        return submit(app, spec);
    }
    // A move deletes sources: confirm with exact numbers from a complete preview.
    if !p.done {
        p.field_error =
            Some("wait for the preview to finish: a move is confirmed with exact totals".into());
        return Vec::new();
    }
    let spec = p.spec();
    let destination = format!("s3://{}/{}", p.dst_bucket, p.dst_prefix);
    let confirm = Confirm::moving(&spec, &destination, p.totals.objects, p.totals.bytes);
    app.dialogs.push(Dialog::Confirm(confirm));
    Vec::new()
}

/// Queues the job, closes the dialogs and clears the marks it came from.
fn submit(app: &mut App, spec: Box<crate::engine::model::JobSpec>) -> Vec<Effect> {
    let mut effects = close_all(app);
    app.set_info(format!(
        "queuing {} {} -> {}",
        spec.kind.as_str(),
        spec.source_label(),
        spec.destination_label()
    ));
    effects.push(Effect::SubmitJob(spec));
    effects
}

/// `B` in a preview: the Batch Operations form, when the plan can run there.
fn open_batch_form(app: &mut App) -> Vec<Effect> {
    if app.read_only {
        app.set_error("read-only: S3 Batch Operations is disabled");
        return Vec::new();
    }
    let Some(Dialog::Preview(p)) = app.dialogs.last() else {
        return Vec::new();
    };
    if let Some(problem) = p.overlap() {
        app.set_error(format!("refused: {problem}"));
        return Vec::new();
    }
    match batch::expressible(p) {
        Ok(target) => {
            let form = batch::BatchForm::new(p, target, &app.batch_settings);
            app.dialogs.push(Dialog::BatchForm(Box::new(form)));
        }
        Err(why) => app.set_error(why),
    }
    Vec::new()
}

/// Keys in the Batch Operations form: characters always type (an ARN has
/// letters bound elsewhere); other keys may mean next field, submit or close.
fn batch_form_key(app: &mut App, ev: &KeyEvent) -> Vec<Effect> {
    let typing = matches!(ev.code, KeyCode::Char(_))
        && !ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    let action = if typing {
        None
    } else {
        app.keymap.resolve(Context::BatchForm, ev)
    };
    let Some(Dialog::BatchForm(form)) = app.dialogs.last_mut() else {
        return Vec::new();
    };
    match action {
        Some(Action::Close) => {
            app.dialogs.pop();
            Vec::new()
        }
        Some(Action::FocusNext | Action::FocusPrev) => {
            form.switch_field();
            Vec::new()
        }
        Some(Action::Confirm) => batch_form_submit(app),
        _ => {
            match form.input_mut().handle(ev) {
                InputOutcome::Submit => return batch_form_submit(app),
                InputOutcome::Cancel => {
                    app.dialogs.pop();
                }
                InputOutcome::Changed => form.error = None,
                InputOutcome::Moved | InputOutcome::Ignored => {}
            }
            Vec::new()
        }
    }
}

/// Enter in the form: the next empty field, else the confirmation.
fn batch_form_submit(app: &mut App) -> Vec<Effect> {
    let Some(Dialog::BatchForm(form)) = app.dialogs.last_mut() else {
        return Vec::new();
    };
    if form.field == batch::BatchField::RoleArn && form.report.text.trim().is_empty() {
        form.field = batch::BatchField::Report;
        return Vec::new();
    }
    match form.request() {
        Ok(req) => {
            form.error = None;
            let confirm = form.confirm(req);
            app.dialogs.push(Dialog::Confirm(confirm));
        }
        Err((field, e)) => {
            form.field = field;
            form.error = Some(e);
        }
    }
    Vec::new()
}

/// Hands the job to a background task, closes the dialogs and clears the
/// marks it came from.
fn submit_batch(
    app: &mut App,
    req: Box<crate::engine::batch::submit::SubmitRequest>,
) -> Vec<Effect> {
    let mut effects = close_all(app);
    app.set_info(format!(
        "creating the S3 Batch Operations job for {} (planning, uploading the manifest)",
        req.spec.source_label()
    ));
    effects.push(Effect::SubmitBatch(req));
    effects
}

/// Closes every dialog and clears the left marks, cancelling what they ran.
fn close_all(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    while let Some(d) = app.dialogs.pop() {
        if let Dialog::Preview(p) = d {
            if app.pending.remove(&p.request).is_some() {
                effects.push(Effect::Cancel { request: p.request });
            }
        }
    }
    let counting = app.pane(Side::Left).marks.counting_requests();
    for r in counting {
        app.pending.remove(&r);
        effects.push(Effect::Cancel { request: r });
    }
    app.pane_mut(Side::Left).marks.clear();
    effects
}

fn choose_connection(app: &mut App) -> Vec<Effect> {
    let Some(Dialog::Connection(c)) = app.dialogs.last_mut() else {
        return Vec::new();
    };
    let Some(choice) = c.choices.get(c.cursor).cloned() else {
        return Vec::new();
    };
    let side = c.side;
    let other = app.pane(side.other()).conn.clone();
    match choice_settings(&choice, &app.named_connections, &other) {
        Some(settings) => {
            app.dialogs.pop();
            app.switch_connection(side, settings)
        }
        None => {
            if let Some(Dialog::Connection(c)) = app.dialogs.last_mut() {
                c.input = Some((choice, TextInput::default()));
                c.error = None;
            }
            Vec::new()
        }
    }
}

fn connection_input_key(app: &mut App, ev: &KeyEvent) -> Vec<Effect> {
    let Some(Dialog::Connection(c)) = app.dialogs.last_mut() else {
        return Vec::new();
    };
    let Some((choice, input)) = c.input.as_mut() else {
        return Vec::new();
    };
    match input.handle(ev) {
        InputOutcome::Submit => match prompt_settings(choice, &input.text) {
            Ok(settings) => {
                let side = c.side;
                app.dialogs.pop();
                app.switch_connection(side, settings)
            }
            Err(e) => {
                c.error = Some(e);
                Vec::new()
            }
        },
        InputOutcome::Cancel => {
            c.input = None;
            c.error = None;
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn contains(r: Rect, x: u16, y: u16) -> bool {
    r.contains(Position { x, y })
}

fn mouse(app: &mut App, ev: MouseEvent) -> Vec<Effect> {
    let (x, y) = (ev.column, ev.row);
    if !app.dialogs.is_empty() {
        let action = match ev.kind {
            MouseEventKind::ScrollUp => Action::Up,
            MouseEventKind::ScrollDown => Action::Down,
            _ => return Vec::new(),
        };
        let mut effects = Vec::new();
        for _ in 0..WHEEL_ROWS {
            effects.extend(dialog_action(app, action));
        }
        return effects;
    }
    let Some(areas) = app.areas() else {
        return Vec::new();
    };
    let target = if contains(areas.left, x, y) {
        Some((Focus::Pane(Side::Left), areas.left))
    } else if contains(areas.right, x, y) {
        Some((Focus::Pane(Side::Right), areas.right))
    } else if contains(areas.transfers, x, y) {
        Some((Focus::Transfers, areas.transfers))
    } else {
        None
    };
    let Some((focus, rect)) = target else {
        return Vec::new();
    };
    match ev.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            app.focus = focus;
            match focus {
                Focus::Pane(side) => {
                    let inner = layout::inner(rect);
                    if !contains(inner, x, y) {
                        return Vec::new();
                    }
                    let (offset, current) = list_position(app, side);
                    let index = offset + (y - inner.y) as usize;
                    if Some(index) == current {
                        // A click on the selected row opens it, like Enter.
                        if matches!(app.pane(side).view, View::Tree(_)) {
                            app.tree_action(side, Action::Open)
                        } else {
                            app.buckets_action(side, Action::Open)
                        }
                    } else {
                        app.select_row(side, index);
                        Vec::new()
                    }
                }
                Focus::Transfers => {
                    let table = layout::job_table(rect);
                    if contains(table, x, y) && y > table.y {
                        let index = app.transfers.offset + (y - table.y - 1) as usize;
                        let rows = app.job_rows();
                        app.transfers.select_index(index, rows);
                    }
                    Vec::new()
                }
            }
        }
        MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
            let action = if ev.kind == MouseEventKind::ScrollUp {
                Action::Up
            } else {
                Action::Down
            };
            for _ in 0..WHEEL_ROWS {
                match focus {
                    Focus::Pane(side) => app.navigate(side, action),
                    Focus::Transfers => {
                        app.transfers_action(action);
                    }
                }
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// A pane's first visible row and cursor row.
fn list_position(app: &App, side: Side) -> (usize, Option<usize>) {
    let pane = app.pane(side);
    match &pane.view {
        View::Tree(t) => {
            let empty = t.is_empty(&pane.filter);
            (t.offset, (!empty).then(|| t.cursor_index(&pane.filter)))
        }
        View::Buckets(b) => (b.offset, Some(b.cursor)),
    }
}

impl Confirm {
    /// The second confirmation of a move names what it deletes.
    pub fn moving(
        spec: &crate::engine::model::JobSpec,
        destination: &str,
        objects: u64,
        bytes: u64,
    ) -> Confirm {
        use crate::fmt;
        let noun = if objects == 1 { "object" } else { "objects" };
        Confirm {
            title: "Confirm move".into(),
            lines: vec![
                format!(
                    "Move {} {noun} ({})",
                    fmt::count(objects),
                    fmt::bytes(bytes)
                ),
                format!("from {}", spec.source_label()),
                format!("into {destination}"),
                "Each source object is deleted after its copy is verified.".into(),
            ],
            on_yes: OnYes::Submit(Box::new(spec.clone())),
        }
    }
}
