//! `s3ferry jobs`: the journal's jobs, and one job in detail.

use std::sync::Arc;

use serde_json::json;

use crate::cli::args::{JobsArgs, JobsCommand};
use crate::cli::{json_line, Exit};
use crate::config::Config;
use crate::engine::{Engine, JobSnapshot};
use crate::journal::Journal;
use crate::s3::ConnectionPool;

pub async fn run(_config: &Config, args: JobsArgs) -> anyhow::Result<Exit> {
    let journal = Arc::new(Journal::open_default()?);
    let engine = Engine::with_journal(ConnectionPool::new(), journal.clone(), Config::default());
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
            if json || args.json {
                let mut v = job_json(&s);
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
