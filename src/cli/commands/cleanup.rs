//! `s3ferry cleanup s3://bucket[/prefix]`: abort the multipart uploads
//! s3ferry's journal recorded and that are still open there. Uploads it did
//! not record belong to someone else (another tool, another machine's
//! journal) and are listed, never aborted: S3 records no owner beyond the
//! account, so nothing else could tell them apart.

use std::sync::Arc;

use serde_json::json;

use crate::cli::args::{CleanupArgs, ConnFlags};
use crate::cli::conn::{resolve_side, Side};
use crate::cli::output::{json_line, Exit};
use crate::config::Config;
use crate::journal::Journal;
use crate::s3::Connection;

pub async fn run(flags: &ConnFlags, config: &Config, args: CleanupArgs) -> anyhow::Result<Exit> {
    let settings = resolve_side(flags, config, Side::Dst)?;
    let conn = Connection::open(settings).await?;
    let loc = &args.location;
    let bucket = conn.bucket(&loc.bucket).await?;
    let journal = Arc::new(Journal::open_default()?);
    let found =
        crate::engine::uploads::cleanup(&journal, &bucket, &loc.prefix, args.dry_run).await?;
    let verb = if args.dry_run {
        "would abort"
    } else {
        "aborted"
    };
    let failed: Vec<&str> = found
        .aborted
        .failed
        .iter()
        .map(|(u, _)| u.upload_id.as_str())
        .collect();
    for u in &found.ours {
        let outcome = match found.aborted.failed.iter().find(|(f, _)| f == u) {
            Some((_, why)) => format!("not aborted: {why}"),
            None => verb.to_string(),
        };
        if args.json {
            json_line(
                &json!({"key": u.key, "upload_id": u.upload_id, "job": u.job, "ours": true,
                "result": outcome}),
            );
        } else {
            println!(
                "{outcome}: s3://{}/{} (upload {}, job {})",
                u.bucket, u.key, u.upload_id, u.job
            );
        }
    }
    for u in &found.foreign {
        let when = u.initiated.map(|t| t.to_rfc3339()).unwrap_or_default();
        if args.json {
            json_line(
                &json!({"key": u.key, "upload_id": u.upload_id, "initiated": when,
                "ours": false, "result": "left alone"}),
            );
        } else {
            println!(
                "not ours, left alone: s3://{}/{} (upload {}, initiated {when})",
                loc.bucket, u.key, u.upload_id
            );
        }
    }
    let done = found.ours.len() - failed.len();
    if args.json {
        json_line(
            &json!({"summary": true, "dry_run": args.dry_run, "ours": found.ours.len(),
            "aborted": if args.dry_run { 0 } else { done }, "failed": failed.len(),
            "not_ours": found.foreign.len()}),
        );
    } else {
        eprintln!(
            "{} upload(s) of s3ferry's {verb}, {} failed; {} not recorded by s3ferry left alone",
            if args.dry_run { found.ours.len() } else { done },
            failed.len(),
            found.foreign.len()
        );
        if !found.foreign.is_empty() {
            eprintln!("(abort those with the tool that started them, `aws s3api abort-multipart-upload`, or a lifecycle rule with AbortIncompleteMultipartUpload)");
        }
    }
    Ok(if failed.is_empty() {
        Exit::OK
    } else {
        Exit::FAILURE
    })
}
