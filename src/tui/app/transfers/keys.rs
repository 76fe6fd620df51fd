//! The transfers panel's keys and the job details dialog: select a row,
//! open its details, pause or resume, cancel, retry the failed objects.

use crate::engine::model::JobState;
use crate::tui::app::browse::tree::scroll_to;
use crate::tui::app::dialogs::{Dialog, JobDetails};
use crate::tui::app::keymap::Verb;
use crate::tui::app::msg::Effect;
use crate::tui::app::navigation::{is_nav, nav_target};
use crate::tui::app::App;
use crate::tui::app::DIALOG_PAGE;

impl App {
    pub(crate) fn transfers_action(&mut self, action: Verb) -> Vec<Effect> {
        if is_nav(action) {
            let rows = self.job_rows();
            let len = self.transfers.len();
            let cur = self.transfers.selected_index().unwrap_or(0);
            if let Some(t) = nav_target(action, cur, len, rows) {
                self.transfers.select_index(t, rows);
            }
            return Vec::new();
        }
        if let Some(b) = self.transfers.selected_batch() {
            let id = b.id;
            return self.batch_row_action(id, action);
        }
        let Some(job) = self.transfers.selected_job().map(|j| j.id) else {
            if matches!(
                action,
                Verb::Open | Verb::Pause | Verb::CancelJob | Verb::RetryFailed
            ) {
                self.set_info("no jobs yet: mark objects and press c to copy");
            }
            return Vec::new();
        };
        match action {
            Verb::Open => {
                self.dialogs.push(Dialog::JobDetails(JobDetails {
                    job,
                    failed: None,
                    scroll: 0,
                }));
                vec![Effect::LoadJobDetails(job)]
            }
            Verb::Pause | Verb::CancelJob | Verb::RetryFailed => self.job_control(job, action),
            _ => Vec::new(),
        }
    }

    /// Pause/resume, cancel and retry on one job, with read-only refusals.
    pub(crate) fn job_control(
        &mut self,
        id: crate::engine::model::JobId,
        action: Verb,
    ) -> Vec<Effect> {
        let Some(job) = self.transfers.jobs.iter().find(|j| j.id == id) else {
            return Vec::new();
        };
        let state = job.state;
        let failed = job.progress.failed;
        let writes = match action {
            Verb::Pause => !matches!(state, JobState::Running | JobState::Queued),
            Verb::RetryFailed => true,
            _ => false,
        };
        if writes && self.read_only {
            self.set_error("read-only: resuming and retrying are disabled");
            return Vec::new();
        }
        match action {
            Verb::Pause => match state {
                JobState::Running | JobState::Queued => {
                    self.set_info(format!("pausing job {id}"));
                    vec![Effect::PauseJob(id)]
                }
                JobState::Paused
                | JobState::Interrupted
                | JobState::Cancelled
                | JobState::Failed => {
                    self.set_info(format!("resuming job {id}"));
                    vec![Effect::ResumeJob(id)]
                }
                JobState::Completed => {
                    self.set_info(format!("job {id} is complete"));
                    Vec::new()
                }
            },
            Verb::CancelJob if state.is_active() => {
                self.set_info(format!("cancelling job {id} (resumable later)"));
                vec![Effect::CancelJob(id)]
            }
            Verb::CancelJob => {
                self.set_info(format!("job {id} is not running"));
                Vec::new()
            }
            Verb::RetryFailed if failed > 0 && !state.is_active() => {
                self.set_info(format!("retrying {failed} failed object(s) of job {id}"));
                vec![Effect::RetryFailed(id)]
            }
            Verb::RetryFailed if failed > 0 => {
                self.set_info(format!(
                    "job {id} is still running; retry its failures when it ends"
                ));
                Vec::new()
            }
            Verb::RetryFailed => {
                self.set_info(format!("job {id} has no failed objects"));
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub(crate) fn clamp_transfers(&mut self) {
        let rows = self.job_rows();
        if let Some(i) = self.transfers.selected_index() {
            self.transfers.offset = scroll_to(self.transfers.offset, i, rows, self.transfers.len());
        }
    }
}

/// Keys in the job details dialog.
pub(crate) fn details_action(app: &mut App, action: Verb) -> Vec<Effect> {
    let Some(Dialog::JobDetails(d)) = app.dialogs.last_mut() else {
        return Vec::new();
    };
    match action {
        Verb::Pause | Verb::CancelJob | Verb::RetryFailed => {
            let job = d.job;
            app.job_control(job, action)
        }
        Verb::Help => {
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
    }
}
