//! Keys while a dialog is open: each goes to the dialog on top; help,
//! confirmations, bucket status and the connection picker are handled here,
//! the preview, batch form and job details by their features.

use crate::tui::app::dialogs::{choice_settings, prompt_settings, SUMMARY_LIMIT};
use crate::tui::app::dialogs::{Confirm, Dialog, OnYes, StatusDialog, SummarySlot};
use crate::tui::app::event::KeyEvent;
use crate::tui::app::input::{InputOutcome, TextInput};
use crate::tui::app::keymap::Verb;
use crate::tui::app::msg::{Effect, PaneSide};
use crate::tui::app::navigation::{is_nav, nav_target};
use crate::tui::app::{batch, preview, transfers, DIALOG_PAGE};
use crate::tui::app::{App, Pending};

pub(crate) fn dialog_key(app: &mut App, ev: KeyEvent) -> Vec<Effect> {
    match app.dialogs.last() {
        Some(Dialog::Preview(p)) if p.editing.is_some() => {
            return preview::keys::preview_edit_key(app, &ev)
        }
        Some(Dialog::Connection(c)) if c.input.is_some() => return connection_input_key(app, &ev),
        Some(Dialog::BatchForm(_)) => return batch::keys::batch_form_key(app, &ev),
        _ => {}
    }
    let ctx = app.context();
    let Some(action) = app.keymap.resolve(ctx, &ev) else {
        return Vec::new();
    };
    dialog_action(app, action)
}

pub(crate) fn dialog_action(app: &mut App, action: Verb) -> Vec<Effect> {
    if action == Verb::Close {
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
            if action == Verb::Help {
                app.dialogs.pop();
            } else if let Some(t) = nav_target(action, *scroll, help_len, DIALOG_PAGE) {
                *scroll = t;
            }
            Vec::new()
        }
        Dialog::Preview(_) => preview::keys::dialog_action(app, action),
        Dialog::Confirm(c) => match action {
            // A second q (or ctrl-c) confirms quitting.
            Verb::Yes | Verb::Quit if c.on_yes == OnYes::Quit => {
                app.quitting = true;
                vec![Effect::Quit]
            }
            Verb::Yes => {
                let on_yes = c.on_yes.clone();
                match on_yes {
                    OnYes::Quit => {
                        app.quitting = true;
                        vec![Effect::Quit]
                    }
                    OnYes::Submit(spec) => preview::keys::submit(app, spec),
                    OnYes::SubmitBatch(req) => batch::keys::submit_batch(app, req),
                }
            }
            Verb::No => {
                app.dialogs.pop();
                Vec::new()
            }
            _ => Vec::new(),
        },
        Dialog::Status(s) => match action {
            Verb::ReplicationSummary => {
                let (side, bucket, prefix) = (s.side, s.bucket.clone(), s.prefix.clone());
                if let SummarySlot::Loading(r, _) = s.summary {
                    app.inflight.forget(r);
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
            Verb::Refresh => {
                let side = s.side;
                app.load_status(side)
            }
            Verb::Help => {
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
        Dialog::JobDetails(_) => transfers::keys::details_action(app, action),
        // Its keys are taken by `batch_form_key` before verbs are resolved.
        Dialog::BatchForm(_) => Vec::new(),
        Dialog::Connection(c) => match action {
            Verb::Open | Verb::Confirm => choose_connection(app),
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

pub(crate) fn close_dialog(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    match app.dialogs.pop() {
        Some(Dialog::Preview(p)) => effects.extend(app.inflight.cancel_open(p.request)),
        Some(Dialog::Status(StatusDialog {
            summary: SummarySlot::Loading(r, _),
            ..
        })) => effects.extend(app.inflight.cancel_open(r)),
        _ => {}
    }
    effects
}

/// Closes every dialog and clears the left marks, cancelling what they ran.
pub(crate) fn close_all(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    while let Some(d) = app.dialogs.pop() {
        if let Dialog::Preview(p) = d {
            effects.extend(app.inflight.cancel_open(p.request));
        }
    }
    let counting = app.pane(PaneSide::Left).marks.counting_requests();
    for r in counting {
        effects.push(app.inflight.cancel(r));
    }
    app.pane_mut(PaneSide::Left).marks.clear();
    effects
}

pub(crate) fn choose_connection(app: &mut App) -> Vec<Effect> {
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

pub(crate) fn connection_input_key(app: &mut App, ev: &KeyEvent) -> Vec<Effect> {
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

impl App {
    pub(crate) fn request_quit(&mut self) -> Vec<Effect> {
        let active: Vec<crate::job::JobId> = self
            .transfers
            .jobs
            .iter()
            .filter(|j| j.state.is_active())
            .map(|j| j.id)
            .collect();
        if !active.is_empty() {
            self.dialogs.push(Dialog::Confirm(Confirm::quit(&active)));
            return Vec::new();
        }
        self.quitting = true;
        vec![Effect::Quit]
    }
}

impl Confirm {
    /// What quitting does to the jobs still running, said before it happens.
    pub fn quit(active: &[crate::job::JobId]) -> Confirm {
        let ids: Vec<String> = active.iter().map(|id| id.to_string()).collect();
        let grace = crate::job::STOP_GRACE.as_secs();
        Confirm {
            title: "Quit?".into(),
            lines: vec![
                format!("{} job(s) still running (job {}).", active.len(), ids.join(", ")),
                format!("Quitting stops them: no new object starts, objects in flight finish or are aborted after {grace}s."),
                format!("Resume later with `s3ferry resume {}` or from the transfers panel.", ids.first().map_or("ID", String::as_str)),
                "q or ctrl-c again quits; n or esc stays.".into(),
            ],
            on_yes: OnYes::Quit,
        }
    }
}
