//! `s3ferry jobs`: the journal's jobs, one job in detail, and pruning the
//! per-object rows of finished jobs.

use std::sync::Arc;

use serde_json::json;

use crate::cli::args::{JobsArgs, JobsCommand};
use crate::cli::{json_line, Exit, UsageError};
use crate::config::Config;
use crate::engine::{Engine, JobSnapshot};
use crate::journal::{Journal, PruneReport, Reclaim};
use crate::s3::ConnectionPool;

pub async fn run(config: &Config, args: JobsArgs) -> anyhow::Result<Exit> {
    let journal = Arc::new(Journal::open_default()?);
    if let Some(JobsCommand::Prune {
        older_than,
        dry_run,
    }) = &args.command
    {
        return prune(config, &journal, older_than.as_deref(), *dry_run, args.json);
    }
    let engine = Engine::with_journal(ConnectionPool::new(), journal.clone(), config.clone());
    match args.command {
        None => {
            for r in journal.jobs()? {
                let s = engine.journal_snapshot(&r);
                if args.json {
                    json_line(&job_json(&s));
                } else {
                    println!(
                        "{:>5}  {:<5} {:<11} {} -> {}  {}/{} obj, {} failed",
                        s.id,
                        s.kind.as_str(),
                        s.state.as_str(),
                        s.source,
                        s.destination,
                        s.progress.objects_done,
                        s.progress.objects_total,
                        s.progress.failed
                    );
                }
            }
            Ok(Exit::OK)
        }
        Some(JobsCommand::Cancel { id }) => cancel(&engine, id).await,
        Some(JobsCommand::Prune { .. }) => Ok(Exit::OK),
        Some(JobsCommand::Show { id, failed, json }) => {
            let r = journal
                .job(id)?
                .ok_or_else(|| anyhow::anyhow!("no job {id} in {}", journal.path().display()))?;
            let s = engine.journal_snapshot(&r);
            let fails = if failed {
                journal.failed(id, usize::MAX >> 1)?
            } else {
                Vec::new()
            };
            let pruned = journal.pruned_at(id)?;
            if json || args.json {
                let mut v = job_json(&s);
                v["pruned_at"] = json!(pruned);
                if failed {
                    v["failures"] = json!(fails);
                }
                json_line(&v);
            } else {
                println!(
                    "job {}: {} {} -> {}",
                    s.id,
                    s.kind.as_str(),
                    s.source,
                    s.destination
                );
                println!(
                    "state: {}{}",
                    s.state.as_str(),
                    s.message.map(|m| format!(" ({m})")).unwrap_or_default()
                );
                let p = &s.progress;
                println!(
                    "objects: {}/{} done, {} copied, {} skipped, {} failed, {} deleted; {} of {}",
                    p.objects_done,
                    p.objects_total,
                    p.copied,
                    p.skipped,
                    p.failed,
                    p.deleted,
                    crate::fmt::bytes(p.bytes_done),
                    crate::fmt::bytes(p.bytes_total)
                );
                for f in fails {
                    let v = f
                        .version_id
                        .map(|v| format!(" (version {v})"))
                        .unwrap_or_default();
                    println!("failed: {}{v} -> {}: {}", f.src_key, f.dst_key, f.reason);
                }
                if let Some(t) = pruned {
                    println!(
                        "per-object rows pruned {} (the counts above and the failures are kept)",
                        when(t)
                    );
                }
                if s.state.is_resumable() {
                    println!("resume with: s3ferry resume {}", s.id);
                }
            }
            Ok(Exit::OK)
        }
    }
}

/// `jobs cancel ID`: the job ends cancelled (resumable) and the uploads its
/// runs left open are aborted.
async fn cancel(engine: &Engine, id: i64) -> anyhow::Result<Exit> {
    let aborted = engine.cancel_job(id).await?;
    println!(
        "job {id} cancelled (resume with: s3ferry resume {id}); {} multipart upload(s) aborted",
        aborted.done.len()
    );
    for (u, why) in &aborted.failed {
        eprintln!(
            "could not abort the upload of s3://{}/{} ({}): {why}",
            u.bucket, u.key, u.upload_id
        );
    }
    Ok(if aborted.failed.is_empty() {
        Exit::OK
    } else {
        Exit::FAILURE
    })
}

fn job_json(s: &JobSnapshot) -> serde_json::Value {
    let p = &s.progress;
    json!({
        "id": s.id, "kind": s.kind, "source": s.source, "destination": s.destination, "state": s.state,
        "objects_total": p.objects_total, "objects_done": p.objects_done, "copied": p.copied,
        "skipped": p.skipped, "failed": p.failed, "deleted": p.deleted, "bytes_total": p.bytes_total,
        "bytes_done": p.bytes_done, "created_at": s.created_at, "finished_at": s.finished_at, "message": s.message,
    })
}

/// `jobs prune`: what went (or would go), one line per job and a total.
fn prune(
    config: &Config,
    journal: &Journal,
    older_than: Option<&str>,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<Exit> {
    let text = older_than.unwrap_or(&config.journal.keep);
    let Some(age) = crate::config::retention(text).map_err(UsageError)? else {
        println!("nothing to prune: finished jobs are kept forever ([journal] keep = {text:?}); pass --older-than DURATION");
        return Ok(Exit::OK);
    };
    let report = journal.prune(age, dry_run, Reclaim::Full)?;
    if json {
        json_line(&prune_json(&report, dry_run));
        return Ok(Exit::OK);
    }
    let verb = if dry_run { "would prune" } else { "pruned" };
    for j in &report.jobs {
        println!(
            "{verb} job {}: {} {} -> {} (finished {}): {} object rows, {} listing cursors, {} destination index rows",
            j.id,
            j.kind,
            j.source,
            j.destination,
            when(j.finished_at),
            crate::fmt::count(j.entries),
            j.listing,
            crate::fmt::count(j.dest_index)
        );
    }
    if report.jobs.is_empty() {
        println!("nothing to prune: no finished job older than {text}");
    } else if !dry_run {
        println!(
            "journal {}: {} -> {}",
            journal.path().display(),
            crate::fmt::bytes(report.bytes_before),
            crate::fmt::bytes(report.bytes_after)
        );
    }
    if let Some(why) = &report.not_reclaimed {
        eprintln!("warning: freed space not yet returned to the file system: {why}");
    }
    Ok(Exit::OK)
}

fn prune_json(r: &PruneReport, dry_run: bool) -> serde_json::Value {
    let jobs: Vec<_> = r
        .jobs
        .iter()
        .map(|j| {
            json!({
                "id": j.id, "kind": j.kind, "source": j.source, "destination": j.destination,
                "finished_at": j.finished_at, "entries": j.entries, "listing": j.listing,
                "dest_index": j.dest_index,
            })
        })
        .collect();
    json!({
        "dry_run": dry_run, "jobs": jobs, "bytes_before": r.bytes_before,
        "bytes_after": r.bytes_after, "not_reclaimed": r.not_reclaimed,
    })
}

fn when(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| crate::fmt::datetime(&d))
        .unwrap_or_else(|| t.to_string())
}
