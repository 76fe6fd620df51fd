//! `s3ferry batch`: hand a copy or move to S3 Batch Operations.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::cli::args::{BatchCommand, BatchStatusArgs, BatchSubmitArgs, ConnFlags};
use crate::cli::{json_line, resolve_side, Exit, Side, UsageError};
use crate::config::Config;
use crate::engine::batch::finish::{read_report, start_move};
use crate::engine::batch::report;
use crate::engine::batch::submit::{self as batch_submit, Refused, SubmitRequest};
use crate::engine::{Engine, JobKind, JobSpec, PlanOptions, RunOptions};
use crate::journal::{BatchRecord, Journal};
use crate::plan::model::{ConflictPolicy, SourceMapping};
use crate::s3::{BatchControl, BatchStatus, JobStatus};
use crate::s3::{Connection, ConnectionPool};

/// Kept here too: tests and scripts reach the manifest builder as `cli::commands::batch::batch_plan`.
pub use crate::engine::batch::submit::{batch_plan, BatchPlan};

const WATCH_EVERY: Duration = Duration::from_secs(10);

pub async fn run(flags: &ConnFlags, config: &Config, cmd: BatchCommand) -> anyhow::Result<Exit> {
    match cmd {
        BatchCommand::Submit(a) => submit(flags, config, *a).await,
        BatchCommand::Status(a) => status(flags, config, a).await,
        BatchCommand::Report(a) => report_cmd(flags, config, a).await,
    }
}

fn spec_for(flags: &ConnFlags, config: &Config, a: &BatchSubmitArgs) -> anyhow::Result<JobSpec> {
    if a.move_sources && a.all_versions {
        // Batch Operations copies versions in no particular order, so a
        // destination history (and what is current) could not be checked
        // before deleting every version of a source.
        return Err(UsageError(
            "--move with --all-versions is not offered on S3 Batch Operations (it replays versions in no order); move versions with `s3ferry mv --all-versions`".into(),
        )
        .into());
    }
    let mut filters: Vec<(bool, String)> = a.include.iter().map(|g| (true, g.clone())).collect();
    filters.extend(a.exclude.iter().map(|g| (false, g.clone())));
    Ok(JobSpec {
        kind: if a.move_sources {
            JobKind::Move
        } else {
            JobKind::Copy
        },
        mappings: vec![SourceMapping {
            source: a.src.clone(),
            destination: a.dst.clone(),
            single_object: !a.src.is_dir_like(),
        }],
        src_conn: resolve_side(flags, config, Side::Src)?,
        dst_conn: resolve_side(flags, config, Side::Dst)?,
        plan: PlanOptions {
            filters,
            conflict: ConflictPolicy::Overwrite,
            all_versions: a.all_versions,
            ..Default::default()
        },
        run: RunOptions {
            storage_class: a.storage_class.clone(),
            ..Default::default()
        },
    })
}

/// A refusal is a usage problem (exit 2): nothing was written.
fn usage(e: anyhow::Error) -> anyhow::Error {
    match e.downcast::<Refused>() {
        Ok(r) => UsageError(r.0).into(),
        Err(e) => e,
    }
}

async fn submit(flags: &ConnFlags, config: &Config, a: BatchSubmitArgs) -> anyhow::Result<Exit> {
    let spec = spec_for(flags, config, &a)?;
    let pool = ConnectionPool::new();
    let plan = batch_submit::prepare(&pool, &spec).await.map_err(usage)?;
    if let Some(path) = &a.manifest_out {
        std::fs::write(path, &plan.manifest)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    for (key, why) in &plan.excluded {
        eprintln!("left out: s3://{}/{key}: {why}", a.src.bucket);
    }
    if !plan.excluded.is_empty() {
        eprintln!(
            "run the objects left out with the local engine, e.g.: s3ferry cp s3://{}/KEY s3://{}/{}KEY",
            a.src.bucket, a.dst.bucket, plan.target_prefix
        );
    }
    if plan.objects == 0 {
        anyhow::bail!("nothing for Batch Operations to copy under {}", a.src);
    }
    let summary = format!(
        "{} object(s), {} -> s3://{}/ with TargetKeyPrefix {:?}",
        plan.objects,
        crate::fmt::bytes(plan.bytes),
        a.dst.bucket,
        plan.target_prefix
    );
    if a.dry_run {
        if a.json {
            json_line(
                &json!({"dry_run": true, "objects": plan.objects, "bytes": plan.bytes,
                "target_prefix": plan.target_prefix, "excluded": plan.excluded.len()}),
            );
        } else {
            println!("dry run: would create a Batch Operations copy job for {summary}");
        }
        return Ok(Exit::OK);
    }
    let journal = Journal::open_default()?;
    let req = SubmitRequest {
        spec,
        role_arn: a.role_arn.clone(),
        report: a.report.clone(),
        manifest_to: a.manifest_to.clone(),
        account_id: a.account_id.clone(),
        priority: a.priority,
        storage_class: a.storage_class.clone(),
        move_sources: a.move_sources,
        control_endpoint: a.control_endpoint_url.clone(),
    };
    let done = batch_submit::create(&pool, &journal, &req, &plan).await?;
    let record = &done.record;
    if a.json {
        json_line(
            &json!({"batch": done.id, "job_id": record.remote_id, "objects": record.objects, "bytes": record.bytes,
            "manifest": record.manifest, "target_prefix": record.target_prefix, "excluded": record.excluded}),
        );
    } else {
        println!(
            "created Batch Operations job {} (s3ferry batch {}) for {summary}",
            record.remote_id, done.id
        );
        println!("manifest: {}", record.manifest);
        println!("follow it with: s3ferry batch status {} --watch", done.id);
    }
    Ok(Exit::OK)
}

async fn load(
    flags: &ConnFlags,
    config: &Config,
    job: &str,
) -> anyhow::Result<(Journal, i64, BatchRecord, Option<i64>, Connection)> {
    let journal = Journal::open_default()?;
    let (id, record, move_job) = journal.batch(job)?.ok_or_else(|| {
        anyhow::anyhow!(
            "no Batch Operations job {job:?} in {}",
            journal.path().display()
        )
    })?;
    let mut settings = resolve_side(flags, config, Side::Dst)?;
    if settings == Default::default() {
        settings = record.spec.dst_conn.clone();
    }
    let conn = Connection::open(settings).await?;
    Ok((journal, id, record, move_job, conn))
}

fn print_status(s: &JobStatus, json: bool) {
    if json {
        json_line(s);
        return;
    }
    println!(
        "job {}: {} — {}/{} task(s) succeeded, {} failed{}",
        s.job_id,
        s.status,
        s.succeeded,
        s.total,
        s.failed,
        s.elapsed_seconds
            .map(|e| format!(", {e}s elapsed"))
            .unwrap_or_default()
    );
    if let Some(r) = &s.status_update_reason {
        println!("  reason: {r}");
    }
    for f in &s.failure_reasons {
        println!("  failure: {f}");
    }
}

async fn status(flags: &ConnFlags, config: &Config, a: BatchStatusArgs) -> anyhow::Result<Exit> {
    let (journal, id, record, move_job, conn) = load(flags, config, &a.job).await?;
    let client = BatchControl::new(&conn, &record.region, record.control_endpoint.as_deref());
    let mut s = client
        .describe_job(&record.account_id, &record.remote_id)
        .await?;
    print_status(&s, a.json);
    while a.watch && !s.is_finished() {
        tokio::select! {
            _ = tokio::time::sleep(WATCH_EVERY) => {}
            _ = tokio::signal::ctrl_c() => return Ok(Exit::INTERRUPTED),
        }
        s = client
            .describe_job(&record.account_id, &record.remote_id)
            .await?;
        print_status(&s, a.json);
    }
    if record.move_sources
        && s.status == BatchStatus::Complete
        && move_job.is_none()
        && (a.watch || !a.json)
    {
        return finish_move(&journal, id, &record, &conn, a.json).await;
    }
    Ok(if s.status == BatchStatus::Failed || s.failed > 0 {
        Exit::FAILURE
    } else {
        Exit::OK
    })
}

async fn report_cmd(
    flags: &ConnFlags,
    config: &Config,
    a: BatchStatusArgs,
) -> anyhow::Result<Exit> {
    let (_, _, record, _, conn) = load(flags, config, &a.job).await?;
    let results = read_report(&conn, &record).await?;
    let failed: Vec<&report::TaskResult> = results.iter().filter(|r| !r.succeeded()).collect();
    for f in &failed {
        if a.json {
            json_line(f);
        } else {
            println!(
                "failed: s3://{}/{} {}: {}",
                f.bucket,
                f.key,
                f.error_code.as_deref().unwrap_or("-"),
                f.message.as_deref().unwrap_or("")
            );
        }
    }
    let ok = results.len() - failed.len();
    if a.json {
        json_line(&json!({"summary": true, "succeeded": ok, "failed": failed.len()}));
    } else {
        println!("{ok} task(s) succeeded, {} failed", failed.len());
    }
    Ok(if failed.is_empty() {
        Exit::OK
    } else {
        Exit::FAILURE
    })
}

/// Batch Operations cannot delete: the engine checks each copy the report
/// marks succeeded and only then deletes its source (resumable like any job).
async fn finish_move(
    journal: &Journal,
    id: i64,
    record: &BatchRecord,
    conn: &Connection,
    json: bool,
) -> anyhow::Result<Exit> {
    let mut signals = crate::engine::signals::Signals::new()?;
    let journal_arc = Arc::new(Journal::open(journal.path())?);
    let engine = Engine::with_journal(ConnectionPool::new(), journal_arc, Config::default());
    let started = start_move(&engine, id, record, conn).await?;
    for (source, why) in &started.unchecked {
        eprintln!("source {source} not checked: {why}");
    }
    let job = started.job;
    signals.follow(&engine, job).await;
    let snap = engine
        .wait(job)
        .await
        .ok_or_else(|| anyhow::anyhow!("move job {job} did not start"))?;
    let p = &snap.progress;
    if json {
        json_line(
            &json!({"summary": true, "job": job, "deleted": p.deleted, "failed": p.failed, "state": snap.state}),
        );
    } else {
        println!(
            "move: {} source(s) deleted after checking their copies, {} failed (job {job})",
            p.deleted, p.failed
        );
    }
    let interrupted = engine.handle(job).and_then(|h| h.outcome());
    if let Some(o @ crate::engine::JobOutcome::Interrupted { .. }) = &interrupted {
        eprintln!("{o}");
        return Ok(Exit::of_job(Some(o)));
    }
    Ok(if p.failed == 0 {
        Exit::OK
    } else {
        Exit::FAILURE
    })
}
