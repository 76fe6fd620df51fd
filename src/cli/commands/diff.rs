//! `s3ferry diff`: prints the streaming comparison of two locations
//! (`compare::diff_stream`) and exits 0 only when they are the same.

use futures::StreamExt;
use serde_json::json;

use crate::cli::args::{ConnFlags, DiffArgs};
use crate::cli::{json_line, resolve_side, Exit, Side};
use crate::compare::{diff_stream, DiffCounts, DiffEntry, DiffOptions, DiffSide, Status};
use crate::config::Config;
use crate::plan::compare::Basis;
use crate::s3::Connection;

pub async fn run(flags: &ConnFlags, config: &Config, args: DiffArgs) -> anyhow::Result<Exit> {
    let src_conn = Connection::open(resolve_side(flags, config, Side::Src)?).await?;
    let dst_conn = Connection::open(resolve_side(flags, config, Side::Dst)?).await?;
    let src = DiffSide::open(&src_conn, args.src.clone()).await?;
    let dst = DiffSide::open(&dst_conn, args.dst.clone()).await?;
    let opts = DiffOptions {
        checksum: args.checksum,
        versions: args.versions,
        size_only: args.size_only,
    };
    let mut entries = Box::pin(diff_stream(src, dst, opts));
    let mut counts = DiffCounts::default();
    // Same-size pairs --checksum could not compare by checksum, and pairs
    // --size-only took for the same on their size alone.
    let (mut no_checksum, mut by_size) = (0u64, 0u64);
    while let Some(entry) = entries.next().await {
        let DiffEntry {
            key,
            status,
            detail,
            basis,
            ..
        } = entry?;
        counts.add(status);
        if opts.checksum && basis.is_some_and(|b| b != Basis::Checksum) {
            no_checksum += 1;
        }
        if status == Status::Same && basis == Some(Basis::Size) {
            by_size += 1;
        }
        if status != Status::Same {
            if args.json {
                json_line(&json!({"key": key, "status": status.as_str(), "detail": detail}));
            } else {
                let label = match status {
                    Status::OnlySrc => "only in source",
                    Status::OnlyDst => "only in destination",
                    Status::Unknown => "not comparable",
                    _ => "different",
                };
                println!(
                    "{label:<20} {key}{}",
                    detail.map(|d| format!("  ({d})")).unwrap_or_default()
                );
            }
        }
    }
    if args.json {
        let mut summary = json!({
            "summary": true, "only_src": counts.only_src, "only_dst": counts.only_dst,
            "different": counts.different, "same": counts.same, "unknown": counts.unknown,
        });
        if opts.checksum {
            summary["not_comparable_by_checksum"] = json!(no_checksum);
        }
        if opts.size_only {
            summary["same_by_size_only"] = json!(by_size);
        }
        json_line(&summary);
    } else {
        let mut line = format!(
            "{} only in source, {} only in destination, {} different, {} same",
            counts.only_src, counts.only_dst, counts.different, counts.same
        );
        if opts.size_only {
            line.push_str(&format!(" ({by_size} by size only)"));
        }
        line.push_str(&format!(", {} not comparable", counts.unknown));
        if opts.checksum {
            line.push_str(&format!(
                "; {no_checksum} same-size pair(s) not comparable by checksum"
            ));
        }
        println!("{line}");
    }
    Ok(
        if counts.only_src + counts.only_dst + counts.different + counts.unknown == 0 {
            Exit::OK
        } else {
            Exit::FAILURE
        },
    )
}
