//! Batch Operations jobs coming back: created, listed from the journal,
//! polled in S3, and the job that finishes a completed batch move.

use crate::engine::batch::finish::MoveStarted;
use crate::engine::batch::submit::Submitted;
use crate::journal::BatchListing;
use crate::s3::JobStatus;
use crate::tui::app::batch::BatchRow;
use crate::tui::app::msg::Effect;
use crate::tui::app::App;

pub(crate) fn batch_submitted(
    app: &mut App,
    result: Result<Box<Submitted>, String>,
) -> Vec<Effect> {
    match result {
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
            app.transfers.put_batch(BatchRow::new(id, done.record));
            app.clamp_views();
            poll_batch(app, id)
        }
        Err(e) => {
            app.set_error(format!("the Batch Operations job was not created: {e}"));
            Vec::new()
        }
    }
}

pub(crate) fn batches_loaded(
    app: &mut App,
    result: Result<Vec<BatchListing>, String>,
) -> Vec<Effect> {
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

pub(crate) fn batch_polled(
    app: &mut App,
    id: i64,
    result: Result<JobStatus, String>,
) -> Vec<Effect> {
    let Some(b) = app.transfers.batch_mut(id) else {
        return Vec::new();
    };
    b.polling = false;
    b.remote = Some(result);
    finish_moves(app)
}

pub(crate) fn batch_move_started(
    app: &mut App,
    id: i64,
    result: Result<MoveStarted, String>,
) -> Vec<Effect> {
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

/// DescribeJob for one batch record, off the UI task.
pub(crate) fn poll_batch(app: &mut App, id: i64) -> Vec<Effect> {
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
pub(crate) fn finish_moves(app: &mut App) -> Vec<Effect> {
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
