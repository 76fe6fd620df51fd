//! `s3ferry batch`: hand a copy or move to S3 Batch Operations.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::batch::control::{self, CopyJobRequest, JobStatus};
use crate::batch::mapping::{refusal, target_prefix, MAX_BATCH_OBJECT};
use crate::batch::{manifest, report};
use crate::cli::args::{BatchCommand, BatchStatusArgs, BatchSubmitArgs, ConnFlags};
use crate::cli::{human_size, json_line, resolve_side, Exit, Side, UsageError};
use crate::config::Config;
use crate::engine::preview::plan_in_memory;
use crate::engine::{Engine, JobKind, JobSpec, PlanOptions, RunOptions};
use crate::journal::{BatchRecord, EntryState, Journal, NewEntry};
use crate::plan::model::{Action, ConflictPolicy, SourceMapping};
use crate::s3::{admin, Connection, ConnectionPool};

const WATCH_EVERY: Duration = Duration::from_secs(10);

pub async fn run(flags: &ConnFlags, config: &Config, cmd: BatchCommand) -> anyhow::Result<Exit> {
    match cmd {
        BatchCommand::Submit(a) => submit(flags, config, *a).await,
        BatchCommand::Status(a) => status(flags, config, a).await,
        BatchCommand::Report(a) => report_cmd(flags, config, a).await,
    }
}

fn spec_for(flags: &ConnFlags, config: &Config, a: &BatchSubmitArgs) -> anyhow::Result<JobSpec> {
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

/// The manifest of a plan, or why Batch Operations cannot run it.
pub struct BatchPlan {
    pub target_prefix: String,
    pub manifest: String,
    pub objects: u64,
    pub bytes: u64,
    /// Entries Batch Operations cannot copy, with the reason.
    pub excluded: Vec<(String, String)>,
}

pub fn batch_plan(journal: &Journal, job: i64, spec: &JobSpec) -> anyhow::Result<BatchPlan> {
    let mapping = spec
        .mappings
        .first()
        .ok_or_else(|| anyhow::anyhow!("no source"))?;
    let mut target: Option<String> = None;
    let mut out = BatchPlan {
        target_prefix: String::new(),
        manifest: String::new(),
        objects: 0,
        bytes: 0,
        excluded: Vec::new(),
    };
    let mut after = 0;
    loop {
        let rows = journal.entries(job, after, 1000)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for r in rows {
            let e = &r.entry;
            if !matches!(e.action, Action::Copy | Action::Overwrite) {
                continue;
            }
            let t = target_prefix(&e.src_key, &e.dst_key)
                .ok_or_else(|| UsageError(refusal(&mapping.source, &mapping.destination)))?;
            match &target {
                Some(prev) if *prev != t => {
                    return Err(UsageError(refusal(&mapping.source, &mapping.destination)).into())
                }
                None => target = Some(t),
                _ => {}
            }
            if e.delete_marker {
                out.excluded.push((
                    e.src_key.clone(),
                    "delete marker (Batch Operations copies objects only)".into(),
                ));
            } else if e.size > MAX_BATCH_OBJECT {
                out.excluded.push((
                    e.src_key.clone(),
                    format!(
                        "{} is over Batch Operations' 5 GiB copy limit",
                        human_size(e.size)
                    ),
                ));
            } else {
                out.manifest.push_str(&manifest::line(
                    &e.src_bucket,
                    &e.src_key,
                    e.version_id.as_deref(),
                ));
                out.objects += 1;
                out.bytes += e.size;
            }
        }
    }
    out.target_prefix = target.unwrap_or_default();
    Ok(out)
}

async fn submit(flags: &ConnFlags, config: &Config, a: BatchSubmitArgs) -> anyhow::Result<Exit> {
    if a.src.bucket == a.dst.bucket && a.src.prefix == a.dst.prefix {
        return Err(UsageError("source and destination are the same".into()).into());
    }
    let spec = spec_for(flags, config, &a)?;
    let pool = ConnectionPool::new();
    let (journal, job, verdict) = plan_in_memory(&pool, &spec, None)
        .await
        .map_err(anyhow::Error::from)?;
    verdict.map_err(anyhow::Error::from)?;
    let plan = batch_plan(&journal, job, &spec)?;
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
        human_size(plan.bytes),
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
    let dst_conn = Connection::open(spec.dst_conn.clone()).await?;
    let manifest_loc = a
        .manifest_to
        .clone()
        .unwrap_or_else(|| a.report.child("manifests/"));
    let manifest_key = format!(
        "{}{}s3ferry-manifest-{}.csv",
        manifest_loc.prefix,
        if manifest_loc.is_dir_like() { "" } else { "/" },
        uuid::Uuid::new_v4().simple()
    );
    let mclient = dst_conn
        .clients_for_bucket(&manifest_loc.bucket)
        .await?
        .meta;
    let etag = admin::put_bytes_etag(
        &mclient,
        &manifest_loc.bucket,
        &manifest_key,
        plan.manifest.clone().into_bytes(),
    )
    .await?;
    let account_id = match &a.account_id {
        Some(id) => id.clone(),
        None => control::account_id(&dst_conn).await?,
    };
    let region = dst_conn.bucket_region(&a.dst.bucket).await?;
    let req = CopyJobRequest {
        account_id: account_id.clone(),
        role_arn: a.role_arn.clone(),
        dst_bucket: a.dst.bucket.clone(),
        target_prefix: plan.target_prefix.clone(),
        storage_class: a.storage_class.clone(),
        manifest_bucket: manifest_loc.bucket.clone(),
        manifest_key: manifest_key.clone(),
        manifest_etag: etag.trim_matches('"').to_string(),
        with_versions: a.all_versions,
        report_bucket: a.report.bucket.clone(),
        report_prefix: a.report.prefix.clone(),
        priority: a.priority,
        token: uuid::Uuid::new_v4().to_string(),
        description: format!(
            "s3ferry {} {} -> {}",
            if a.move_sources { "move" } else { "copy" },
            a.src,
            a.dst
        ),
    };
    let client = control::client(&dst_conn, &region, a.control_endpoint_url.as_deref());
    let remote_id = control::create_copy_job(&client, &req).await?;
    let journal = Journal::open_default()?;
    let record = BatchRecord {
        remote_id: remote_id.clone(),
        account_id,
        region,
        spec: spec.clone(),
        target_prefix: plan.target_prefix.clone(),
        manifest: format!("s3://{}/{manifest_key}", manifest_loc.bucket),
        report_bucket: a.report.bucket.clone(),
        report_prefix: a.report.prefix.clone(),
        objects: plan.objects,
        bytes: plan.bytes,
        excluded: plan.excluded.iter().map(|(k, _)| k.clone()).collect(),
        move_sources: a.move_sources,
        control_endpoint: a.control_endpoint_url.clone(),
    };
    let id = journal.add_batch(&record)?;
    if a.json {
        json_line(
            &json!({"batch": id, "job_id": remote_id, "objects": plan.objects, "bytes": plan.bytes,
            "manifest": record.manifest, "target_prefix": plan.target_prefix, "excluded": record.excluded}),
        );
    } else {
        println!("created Batch Operations job {remote_id} (s3ferry batch {id}) for {summary}");
        println!("manifest: {}", record.manifest);
        println!("follow it with: s3ferry batch status {id} --watch");
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
    let client = control::client(&conn, &record.region, record.control_endpoint.as_deref());
    let mut s = control::describe_job(&client, &record.account_id, &record.remote_id).await?;
    print_status(&s, a.json);
    while a.watch && !s.is_finished() {
        tokio::select! {
            _ = tokio::time::sleep(WATCH_EVERY) => {}
            _ = tokio::signal::ctrl_c() => return Ok(Exit(130)),
        }
        s = control::describe_job(&client, &record.account_id, &record.remote_id).await?;
        print_status(&s, a.json);
    }
    if record.move_sources && s.status == "Complete" && move_job.is_none() && (a.watch || !a.json) {
        return finish_move(&journal, id, &record, &conn, a.json).await;
    }
    Ok(if s.status == "Failed" || s.failed > 0 {
        Exit::FAILURE
    } else {
        Exit::OK
    })
}

async fn read_report(
    conn: &Connection,
    record: &BatchRecord,
) -> anyhow::Result<Vec<report::TaskResult>> {
    let c = conn.clients_for_bucket(&record.report_bucket).await?.meta;
    let key = report::manifest_key(&record.report_prefix, &record.remote_id);
    let text = admin::get_text(&c, &record.report_bucket, &key).await?;
    let m = report::parse_manifest(&text)?;
    let mut out = Vec::new();
    for f in m.results {
        let fc = conn.clients_for_bucket(&f.bucket).await?.meta;
        out.extend(report::parse_results(
            &admin::get_text(&fc, &f.bucket, &f.key).await?,
        ));
    }
    Ok(out)
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

/// Batch Operations cannot delete: journal the tasks the report marks
/// succeeded as copied-by-someone-else, and let the engine check each copy
/// and then delete its source (resumable like any job).
async fn finish_move(
    journal: &Journal,
    id: i64,
    record: &BatchRecord,
    conn: &Connection,
    json: bool,
) -> anyhow::Result<Exit> {
    let results = read_report(conn, record).await?;
    let mapping = record
        .spec
        .mappings
        .first()
        .ok_or_else(|| anyhow::anyhow!("no source"))?;
    let journal_arc = Arc::new(Journal::open(journal.path())?);
    let job = journal_arc.create_job(&record.spec)?;
    let heads = conn.clients_for_bucket(&mapping.source.bucket).await?.meta;
    let mut rows = Vec::new();
    for r in results.iter().filter(|r| r.succeeded()) {
        let head =
            crate::s3::ops::head_object(&heads, &r.bucket, &r.key, r.version_id.as_deref()).await;
        let (size, etag) = match head {
            Ok(p) => (p.size, p.etag),
            Err(e) => {
                eprintln!(
                    "source s3://{}/{} not checked: {}",
                    r.bucket, r.key, e.message
                );
                continue;
            }
        };
        rows.push(NewEntry {
            idx: 0,
            src_bucket: r.bucket.clone(),
            src_key: r.key.clone(),
            version_id: r.version_id.clone(),
            size,
            etag,
            last_modified: None,
            storage_class: None,
            dst_bucket: mapping.destination.bucket.clone(),
            dst_key: format!("{}{}", record.target_prefix, r.key),
            action: Action::Copy,
            delete_marker: false,
            state: EntryState::Copied,
            reason: None,
        });
    }
    journal_arc.insert_page(job, 0, &rows, None, true)?;
    journal_arc.set_planned(job)?;
    journal.set_batch_move_job(id, job)?;
    let engine = Engine::with_journal(ConnectionPool::new(), journal_arc, Config::default());
    engine.resume(job)?;
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
    Ok(if p.failed == 0 {
        Exit::OK
    } else {
        Exit::FAILURE
    })
}
