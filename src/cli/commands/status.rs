//! `s3ferry status`

use crate::cli::args::{ConnFlags, StatusArgs};
use crate::cli::conn::{resolve_side, Side};
use crate::cli::output::{json_line, Exit};
use crate::config::Config;
use crate::s3::model::{Replication, ReplicationSummary};
use crate::s3::status::{bucket_status, covered_prefixes, replication_checks, replication_summary};
use crate::s3::{BucketStatus, Connection, Field};

const HEAD_CONCURRENCY: usize = 16;

pub async fn run(flags: &ConnFlags, config: &Config, args: StatusArgs) -> anyhow::Result<Exit> {
    let settings = resolve_side(flags, config, Side::Src)?;
    let conn = Connection::open(settings).await?;
    let bucket = &args.location.bucket;
    let mut status = bucket_status(&conn, bucket).await?;
    status.replication_checks = replication_checks(&conn, &status).await;
    if let Some(prefix) = &args.objects {
        let covered = covered_prefixes(&status);
        status.objects = Some(
            replication_summary(
                &conn,
                bucket,
                prefix,
                args.objects_limit,
                HEAD_CONCURRENCY,
                covered.as_deref(),
            )
            .await?,
        );
    }
    if args.json {
        json_line(&status);
    } else {
        print!("{}", render(&status));
    }
    Ok(Exit::OK)
}

fn line<T>(out: &mut String, name: &str, f: &Field<T>, show: impl Fn(&T) -> String) {
    let text = match f {
        Field::Value(v) => show(v),
        other => other.unavailable_text().unwrap_or_default(),
    };
    out.push_str(&format!("{name:<14}{text}\n"));
}

/// Plain-words report (also printed by `s3ferry demo`).
pub fn render(s: &BucketStatus) -> String {
    let mut out = String::new();
    out.push_str(&format!("{:<14}{}\n", "bucket", s.bucket));
    out.push_str(&format!("{:<14}{}\n", "region", s.region));
    line(&mut out, "versioning", &s.versioning, |v| v.summary());
    line(&mut out, "replication", &s.replication, replication_text);
    line(&mut out, "ownership", &s.ownership, |o| {
        format!(
            "{} (ACLs {})",
            o.object_ownership,
            if o.acls_enabled {
                "enabled"
            } else {
                "disabled"
            }
        )
    });
    line(&mut out, "encryption", &s.encryption, |e| {
        let mut t = e.algorithm.clone();
        if let Some(k) = &e.kms_key_id {
            t.push_str(&format!(" key {k}"));
        }
        if e.bucket_key_enabled == Some(true) {
            t.push_str(", bucket key");
        }
        t
    });
    line(&mut out, "object lock", &s.object_lock, |l| {
        let mut t = if l.enabled {
            "enabled".to_string()
        } else {
            "disabled".to_string()
        };
        if let Some(m) = &l.default_mode {
            t.push_str(&format!(", default {m}"));
            if let Some(d) = l.default_days {
                t.push_str(&format!(" {d} days"));
            }
            if let Some(y) = l.default_years {
                t.push_str(&format!(" {y} years"));
            }
        }
        t
    });
    if let Some(o) = &s.objects {
        objects_text(&mut out, o);
    }
    for c in &s.replication_checks {
        let verdict = if c.problems.is_empty() {
            "ok".to_string()
        } else {
            c.problems.join("; ")
        };
        out.push_str(&format!(
            "{:<14}rule {}: source versioning {}, destination {} versioning {}, delete markers {}: {verdict}\n",
            "check",
            c.rule,
            c.source_versioning,
            c.destination_bucket,
            c.destination_versioning,
            if c.delete_markers_replicate { "replicated" } else { "not replicated" },
        ));
    }
    out
}

/// The rules, one per line under the count.
fn replication_text(r: &Replication) -> String {
    let mut t = format!("{} rule(s), role {}", r.rules.len(), r.role);
    for rule in &r.rules {
        t.push_str(&format!(
            "\n{:<14}- {} [{}]{}: {} -> bucket {}{}{}{}{}",
            "",
            rule.id.as_deref().unwrap_or("(no id)"),
            rule.status,
            rule.priority
                .map(|p| format!(" priority {p}"))
                .unwrap_or_default(),
            rule.filter,
            rule.destination_bucket,
            rule.destination_account
                .as_ref()
                .map(|a| format!(" in account {a}"))
                .unwrap_or_default(),
            rule.destination_storage_class
                .as_ref()
                .map(|c| format!(" as {c}"))
                .unwrap_or_default(),
            match rule.delete_marker_replication {
                Some(true) => ", delete markers replicated",
                Some(false) => ", delete markers not replicated",
                None => "",
            },
            if rule.replication_time_control == Some(true) {
                ", RTC on"
            } else {
                ""
            },
        ));
    }
    t
}

/// The replication states of the objects scanned under a prefix.
fn objects_text(out: &mut String, o: &ReplicationSummary) {
    out.push_str(&format!(
        "{:<14}{} scanned under {:?}{}: {} completed, {} pending, {} failed, {} replica, {} without status{}\n",
        "objects",
        o.scanned,
        o.prefix,
        if o.truncated { " (limit reached)" } else { "" },
        o.completed,
        o.pending,
        o.failed,
        o.replica,
        o.none,
        if o.errors > 0 { format!(", {} unreadable", o.errors) } else { String::new() },
    ));
    for k in &o.failed_keys {
        out.push_str(&format!("{:<14}FAILED {k}\n", ""));
    }
    for k in &o.missing_keys {
        out.push_str(&format!("{:<14}not replicated {k}\n", ""));
    }
    if o.missing > 0 {
        out.push_str(&format!(
            "{:<14}{} object(s) covered by a rule have no replication status: they were written before the rule; \
             replicate existing objects with S3 Batch Replication (a Batch Operations job, operation S3ReplicateObject)\n",
            "", o.missing
        ));
    }
}
