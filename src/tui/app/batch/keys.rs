//! S3 Batch Operations keys: `B` in a preview opens the form, its fields are
//! typed and submitted after a confirmation; a batch row in the transfers
//! panel shows its details.

use crate::tui::app::batch::{self};
use crate::tui::app::dialogs::keys::close_all;
use crate::tui::app::dialogs::Dialog;
use crate::tui::app::event::{KeyCode, KeyEvent, KeyModifiers};
use crate::tui::app::input::InputOutcome;
use crate::tui::app::keymap::{Context, Verb};
use crate::tui::app::msg::Effect;
use crate::tui::app::App;

/// `B` in a preview: the Batch Operations form, when the plan can run there.
pub(crate) fn open_batch_form(app: &mut App) -> Vec<Effect> {
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
pub(crate) fn batch_form_key(app: &mut App, ev: &KeyEvent) -> Vec<Effect> {
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
        Some(Verb::Close) => {
            app.dialogs.pop();
            Vec::new()
        }
        Some(Verb::FocusNext | Verb::FocusPrev) => {
            form.switch_field();
            Vec::new()
        }
        Some(Verb::Confirm) => batch_form_submit(app),
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
pub(crate) fn batch_form_submit(app: &mut App) -> Vec<Effect> {
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
pub(crate) fn submit_batch(
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

impl App {
    /// Keys on a Batch Operations row: the job runs in S3, so only its details
    /// are shown here.
    pub(crate) fn batch_row_action(&mut self, id: i64, action: Verb) -> Vec<Effect> {
        let Some(b) = self.transfers.batches.iter().find(|b| b.id == id) else {
            return Vec::new();
        };
        match action {
            Verb::Open => {
                let mut parts = vec![format!(
                    "batch {id}: Batch Operations job {} in {}",
                    b.record.remote_id, b.record.region
                )];
                match &b.remote {
                    Some(Ok(s)) => {
                        parts.push(s.status.to_string());
                        parts.extend(s.failure_reasons.iter().cloned());
                    }
                    Some(Err(e)) => parts.push(e.clone()),
                    None => parts.push("status not known yet".into()),
                }
                if let Some(job) = b.move_job {
                    parts.push(format!("job {job} deletes the sources it checked"));
                }
                if let Some(e) = &b.move_error {
                    parts.push(format!("sources not deleted: {e}"));
                }
                parts.push(format!("manifest {}", b.record.manifest));
                parts.push(format!(
                    "report s3://{}/{} (`s3ferry batch report {id}` lists failed tasks)",
                    b.record.report_bucket, b.record.report_prefix
                ));
                self.set_info(parts.join(" · "));
            }
            Verb::Pause | Verb::CancelJob | Verb::RetryFailed => {
                self.set_info(format!(
                    "batch {id} runs in S3 Batch Operations: change or cancel it in S3; `s3ferry batch status {id}` follows it"
                ));
            }
            _ => {}
        }
        Vec::new()
    }
}
