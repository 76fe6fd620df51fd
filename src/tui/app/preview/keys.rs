//! The preview dialog's keys: `c` and `m` open it, then its settings are
//! edited, the plan restarted, and the job queued (a move after a second
//! confirmation).

use crate::engine::model::JobKind;
use crate::plan::model::{ConflictPolicy, PlanTotals};
use crate::tui::app::browse::keys::cursor_row;
use crate::tui::app::browse::marks::MarkKind;
use crate::tui::app::browse::tree::RowKey;
use crate::tui::app::dialogs::keys::close_all;
use crate::tui::app::dialogs::{Confirm, Dialog, OnYes};
use crate::tui::app::event::KeyEvent;
use crate::tui::app::input::{InputOutcome, TextInput};
use crate::tui::app::keymap::Verb;
use crate::tui::app::msg::{Effect, PaneSide};
use crate::tui::app::navigation::{is_nav, nav_target};
use crate::tui::app::preview::{
    next_policy, parse_destination, parse_rewrite, PreviewDialog, PreviewField,
};
use crate::tui::app::DIALOG_PAGE;
use crate::tui::app::{App, Pending};

impl App {
    /// `c`, `m`: the marks of the left pane (or the row under its cursor)
    /// into the right pane's current prefix (in compare mode: mirrored from
    /// the compared left folder into the compared right folder).
    pub(crate) fn open_preview(&mut self, kind: JobKind) -> Vec<Effect> {
        if self.read_only {
            self.set_error(format!("read-only: {} is disabled", kind.as_str()));
            return Vec::new();
        }
        let left = self.pane(PaneSide::Left);
        let Some(src_bucket) = left.bucket().map(str::to_string) else {
            self.set_error("open a source bucket in the left pane first");
            return Vec::new();
        };
        let mut sources = left.marks.sources();
        if sources.is_empty() {
            match cursor_row(left).map(|r| r.key) {
                Some(RowKey::Prefix(p)) => sources.push((p, MarkKind::Prefix)),
                Some(RowKey::Object(k)) => sources.push((k, MarkKind::Object)),
                _ => {
                    self.set_error(
                        "nothing to copy: mark prefixes or objects in the left pane (space)",
                    );
                    return Vec::new();
                }
            }
        }
        let right = self.pane(PaneSide::Right);
        let (Some(dst_bucket), Some(open_folder)) =
            (right.bucket().map(str::to_string), right.current_prefix())
        else {
            self.set_error("open a destination bucket in the right pane first");
            return Vec::new();
        };
        // In compare mode the two compared folders are mirrored: a marked
        // difference lands at its own path below the right folder.
        let mirror = self
            .compare
            .as_ref()
            .filter(|c| c.left.bucket == src_bucket && c.right.bucket == dst_bucket)
            .filter(|c| sources.iter().all(|(k, _)| k.starts_with(&c.left.prefix)))
            .map(|c| (c.left.prefix.clone(), c.right.prefix.clone()));
        let (src_root, dst_prefix) = match mirror {
            Some((left, right)) => (Some(left), right),
            None => (None, open_folder),
        };
        let request = self.request(Pending::Preview);
        let preview = PreviewDialog {
            request,
            kind,
            sources,
            src_bucket,
            dst_bucket,
            src_conn: self.pane(PaneSide::Left).conn.clone(),
            dst_conn: self.pane(PaneSide::Right).conn.clone(),
            dst_prefix,
            src_root,
            rewrite: None,
            conflict: ConflictPolicy::Overwrite,
            run: self.run_options.clone(),
            editing: None,
            field_error: None,
            entries: Vec::new(),
            totals: PlanTotals::default(),
            done: false,
            error: None,
            offset: 0,
            batch: Default::default(),
        };
        if let Some(problem) = preview.overlap() {
            self.inflight.forget(request);
            self.set_error(format!("refused: {problem}"));
            return Vec::new();
        }
        let spec = Box::new(preview.spec());
        self.dialogs.push(Dialog::Preview(Box::new(preview)));
        vec![Effect::StartPreview { request, spec }]
    }
}

/// Keys in the preview dialog.
pub(crate) fn dialog_action(app: &mut App, action: Verb) -> Vec<Effect> {
    let Some(Dialog::Preview(p)) = app.dialogs.last_mut() else {
        return Vec::new();
    };
    match action {
        Verb::Confirm => preview_confirm(app),
        Verb::EditDestination => {
            p.editing = Some((
                PreviewField::Destination,
                TextInput::new(p.dst_prefix.clone()),
            ));
            Vec::new()
        }
        Verb::EditRewrite => {
            p.editing = Some((
                PreviewField::Rewrite,
                TextInput::new(p.rewrite.clone().unwrap_or_default()),
            ));
            Vec::new()
        }
        Verb::TogglePolicy => {
            p.conflict = next_policy(p.conflict);
            restart_preview(app)
        }
        // The plan does not depend on encryption: no new listing.
        Verb::ToggleSse => {
            crate::tui::app::preview::next_sse(&mut p.run);
            Vec::new()
        }
        Verb::Batch => crate::tui::app::batch::keys::open_batch_form(app),
        Verb::Help => {
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
    }
}

/// Starts the preview over with its current settings.
pub(crate) fn restart_preview(app: &mut App) -> Vec<Effect> {
    let request = app.request(Pending::Preview);
    let Some(Dialog::Preview(p)) = app.dialogs.last_mut() else {
        app.inflight.forget(request);
        return Vec::new();
    };
    let old = p.request;
    p.restart(request);
    let spec = Box::new(p.spec());
    let mut effects = Vec::new();
    effects.extend(app.inflight.cancel_open(old));
    effects.push(Effect::StartPreview { request, spec });
    effects
}

pub(crate) fn preview_edit_key(app: &mut App, ev: &KeyEvent) -> Vec<Effect> {
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

pub(crate) fn preview_confirm(app: &mut App) -> Vec<Effect> {
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
pub(crate) fn submit(app: &mut App, spec: Box<crate::engine::model::JobSpec>) -> Vec<Effect> {
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
