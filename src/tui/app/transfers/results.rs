//! Engine jobs coming back: queued, snapshots of every job (a finished job
//! reloads the panes it changed), and the failed entries of one job.

use crate::engine::model::{FailedEntry, JobId, JobKind, JobSnapshot, JobState};
use crate::tui::app::dialogs::Dialog;
use crate::tui::app::msg::{Effect, PaneSide};
use crate::tui::app::App;

pub(crate) fn job_submitted(app: &mut App, result: Result<JobId, String>) -> Vec<Effect> {
    match result {
        Ok(id) => app.set_info(format!("job {id} queued")),
        Err(e) => app.set_error(format!("the job was not queued: {e}")),
    }
    Vec::new()
}

pub(crate) fn jobs_snapshot(app: &mut App, jobs: Vec<JobSnapshot>) -> Vec<Effect> {
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

pub(crate) fn job_details_loaded(
    app: &mut App,
    job: JobId,
    result: Result<Vec<FailedEntry>, String>,
) -> Vec<Effect> {
    for d in app.dialogs.iter_mut() {
        if let Dialog::JobDetails(details) = d {
            if details.job == job {
                details.failed = Some(result.clone());
            }
        }
    }
    Vec::new()
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
    for side in [PaneSide::Left, PaneSide::Right] {
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
