//! What `cp`, `mv`, `sync` and `resume` share: the job spec from the
//! flags and `[engine]`, the dry run, and following a job to its summary.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::cli::args::{ConnFlags, TransferArgs};
use crate::cli::{json_line, resolve_side, Exit, Side, UsageError};
use crate::config::Config;
use crate::engine::preview::{plan_entry, plan_in_memory};
use crate::engine::signals::Signals;
use crate::engine::{
    Engine, JobId, JobKind, JobOutcome, JobSnapshot, JobSpec, PlanOptions, RunOptions, RunOverrides,
};
use crate::plan::model::{Action, ConflictPolicy, PlanTotals, SourceMapping};
use crate::s3::ConnectionPool;

fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

fn ordered_filters(args: &TransferArgs) -> Vec<(bool, String)> {
    if !args.filters.is_empty() || (args.include.is_empty() && args.exclude.is_empty()) {
        return args.filters.clone();
    }
    // Built without the matches (library use): includes, then excludes.
    let inc = args.include.iter().map(|g| (true, g.clone()));
    inc.chain(args.exclude.iter().map(|g| (false, g.clone())))
        .collect()
}

pub fn build_spec(
    flags: &ConnFlags,
    config: &Config,
    kind: JobKind,
    args: &TransferArgs,
) -> anyhow::Result<JobSpec> {
    let (dst, sources) = args
        .locations
        .split_last()
        .ok_or_else(|| usage("expected SRC... DST"))?;
    if sources.len() > 1 && !dst.is_dir_like() {
        return Err(usage(format!(
            "with several sources the destination must end in '/': {dst}"
        )));
    }
    if args.delete && kind != JobKind::Sync {
        return Err(usage("--delete only applies to sync"));
    }
    if args.max_delete.is_some() && !args.delete {
        return Err(usage("--max-delete needs --delete"));
    }
    let mappings: Vec<SourceMapping> = sources
        .iter()
        .map(|s| SourceMapping {
            source: s.clone(),
            destination: dst.clone(),
            single_object: !s.is_dir_like(),
        })
        .collect();
    if args.version_id.is_some() && (mappings.len() != 1 || !mappings[0].single_object) {
        return Err(usage(
            "--version-id needs exactly one object source (not a prefix)",
        ));
    }
    if args.all_versions && args.version_id.is_some() {
        return Err(usage("--all-versions and --version-id exclude each other"));
    }
    let defaults = &config.engine;
    let overrides = RunOverrides {
        concurrency: args.concurrency,
        multipart_threshold: args.multipart_threshold,
        part_size: args.part_size,
        sse: args.sse.clone(),
        sse_kms_key_id: args.sse_kms_key_id.clone(),
        preserve_sse: args.preserve_sse,
        retry_budget: args.retry_budget,
    };
    let (run, problems) = RunOptions::from_config(defaults, &overrides);
    if let Some(p) = problems.into_iter().next() {
        return Err(usage(p));
    }
    let conflict = match (kind, args.no_clobber) {
        (_, true) => ConflictPolicy::Skip,
        (JobKind::Sync, false) => ConflictPolicy::SkipIdentical,
        _ => ConflictPolicy::Overwrite,
    };
    let spec = JobSpec {
        kind,
        mappings,
        src_conn: resolve_side(flags, config, Side::Src)?,
        dst_conn: resolve_side(flags, config, Side::Dst)?,
        plan: PlanOptions {
            filters: ordered_filters(args),
            rewrite: args.rewrite.clone(),
            conflict,
            delete_extra: args.delete,
            max_delete: args.max_delete,
            all_versions: args.all_versions,
            version_id: args.version_id.clone(),
            checksum_compare: args.checksum,
        },
        run: RunOptions {
            storage_class: args.storage_class.clone(),
            preserve_acl: args.preserve_acl,
            server_side: args.server_side,
            preserve_lock: args.preserve_lock,
            ..run
        },
    };
    // Bad globs and rewrites are usage errors, found before any request, and
    // so is a plan that would delete what it reads.
    crate::plan::Mapper::new(spec.mappings.clone(), &spec.plan)
        .map_err(|e| usage(e.to_string()))?;
    crate::engine::overlap::check_spec(&spec).map_err(usage)?;
    Ok(spec)
}

pub async fn run(
    flags: &ConnFlags,
    config: &Config,
    kind: JobKind,
    args: TransferArgs,
) -> anyhow::Result<Exit> {
    let spec = build_spec(flags, config, kind, &args)?;
    let pool = ConnectionPool::new();
    if args.dry_run {
        return dry_run(&pool, &spec, args.json).await;
    }
    let signals = Signals::new()?;
    let engine = Engine::open(pool).await?;
    let id = engine.submit(spec).await?;
    watch(&engine, id, signals, args.json, args.no_progress).await
}

async fn dry_run(pool: &ConnectionPool, spec: &JobSpec, json: bool) -> anyhow::Result<Exit> {
    let (journal, job, verdict) = plan_in_memory(pool, spec, None)
        .await
        .map_err(anyhow::Error::from)?;
    let mut totals = PlanTotals::default();
    journal.for_each_entry(job, |r| -> anyhow::Result<()> {
        let e = plan_entry(&r.entry);
        totals.add(&e);
        if json {
            json_line(&e);
        } else {
            let src = if e.action == Action::Delete {
                "-".to_string()
            } else {
                format!("s3://{}/{}", e.src_bucket, e.src_key)
            };
            let note = e
                .note
                .as_deref()
                .map(|n| format!("  ({n})"))
                .unwrap_or_default();
            println!(
                "{:<9} {src} -> s3://{}/{}  {}{note}",
                e.action.as_str(),
                e.dst_bucket,
                e.dst_key,
                crate::fmt::bytes(e.size)
            );
        }
        Ok(())
    })?;
    let refused = verdict.err().map(|e| e.to_string());
    if json {
        json_line(&json!({
            "summary": true, "dry_run": true, "objects": totals.objects, "copy": totals.copy,
            "overwrite": totals.overwrite, "skip": totals.skip, "conflict": totals.conflict,
            "delete": totals.delete, "bytes": totals.copy_bytes, "refused": refused,
        }));
    } else {
        println!(
            "dry run: {} to copy ({} overwrite), {} to skip, {} to delete, {} conflict(s); {} to transfer",
            totals.copy + totals.overwrite,
            totals.overwrite,
            totals.skip,
            totals.delete,
            totals.conflict,
            crate::fmt::bytes(totals.copy_bytes)
        );
        if let Some(r) = &refused {
            eprintln!("error: {r}");
        }
    }
    Ok(if refused.is_some() {
        Exit::USAGE
    } else {
        Exit::OK
    })
}

fn progress_bar(show: bool) -> Option<indicatif::ProgressBar> {
    if !show {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(5));
    let style = indicatif::ProgressStyle::with_template("{bar:30.cyan/blue} {msg}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

fn rate_line(s: &JobSnapshot, elapsed: f64, obj_rate: f64, byte_rate: f64) -> String {
    let p = &s.progress;
    // The TUI's formula: by bytes when there are any, else by objects.
    let rate = crate::fmt::Rate {
        bytes: byte_rate,
        objects: obj_rate,
    };
    let eta = match p.eta_secs(rate) {
        Some(secs) => format!(" ETA {}", crate::fmt::duration(secs)),
        None => String::new(),
    };
    format!(
        "{}/{}{} obj  {}/{}  {:.0} obj/s  {}/s{eta}  failed {}{}  [{:.0}s]",
        p.objects_done,
        p.objects_total,
        if p.listing_done { "" } else { "+" },
        crate::fmt::bytes(p.bytes_done),
        crate::fmt::bytes(p.bytes_total),
        obj_rate,
        crate::fmt::bytes(byte_rate as u64),
        p.failed,
        match s.outage_line() {
            Some(outage) => format!("  {outage}"),
            None if p.throttled > 0 => format!("  throttled (concurrency {})", p.concurrency),
            None => String::new(),
        },
        elapsed
    )
}

/// Follow a job until it stops: progress on a terminal, plain lines
/// otherwise, a summary at the end. Ctrl-C or SIGTERM stops it cleanly, a
/// second Ctrl-C at once (see `cli/signals.rs`).
pub(crate) async fn watch(
    engine: &Engine,
    id: JobId,
    mut signals: Signals,
    json: bool,
    no_progress: bool,
) -> anyhow::Result<Exit> {
    let handle = engine
        .handle(id)
        .ok_or_else(|| anyhow::anyhow!("job {id} did not start"))?;
    let start = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let bar = progress_bar(tty && !no_progress && !json);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut window: std::collections::VecDeque<(Instant, u64, u64)> =
        std::collections::VecDeque::new();
    let mut last_plain = Instant::now();
    let mut was_unreachable = false;
    let finished = handle.clone();
    let done = finished.wait();
    tokio::pin!(done);
    loop {
        tokio::select! {
            _ = &mut done => break,
            stop = signals.next() => signals.act(engine, id, stop, |m| match &bar {
                Some(b) => b.suspend(|| crate::engine::signals::say(m)),
                None => crate::engine::signals::say(m),
            }),
            _ = tick.tick() => {
                let s = handle.snapshot();
                let now = Instant::now();
                window.push_back((now, s.progress.objects_done, s.progress.bytes_done));
                while window.len() > 2 && now.duration_since(window[0].0) > Duration::from_secs(10) {
                    window.pop_front();
                }
                let (t0, o0, b0) = window[0];
                let dt = now.duration_since(t0).as_secs_f64().max(0.001);
                let orate = (s.progress.objects_done - o0) as f64 / dt;
                let brate = (s.progress.bytes_done - b0) as f64 / dt;
                let line = rate_line(&s, start.elapsed().as_secs_f64(), orate, brate);
                let outage = s.outage_line().is_some();
                if json && outage != was_unreachable {
                    // Machine readers see an outage start and end.
                    json_line(&json!({
                        "job": id, "unreachable": outage, "message": s.outage_line(),
                    }));
                }
                was_unreachable = outage;
                if let Some(b) = &bar {
                    b.set_length(s.progress.objects_total.max(1));
                    b.set_position(s.progress.objects_done);
                    b.set_message(line);
                } else if !json && now.duration_since(last_plain) > Duration::from_secs(2) {
                    eprintln!("job {id}: {line}");
                    last_plain = now;
                }
            }
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    summary(engine, id, start.elapsed().as_secs_f64(), json)
}

fn summary(engine: &Engine, id: JobId, secs: f64, json: bool) -> anyhow::Result<Exit> {
    let handle = engine
        .handle(id)
        .ok_or_else(|| anyhow::anyhow!("job {id} vanished"))?;
    let s = handle.snapshot();
    let outcome = handle.outcome();
    let k = engine.journal().counts(id)?;
    let copied = k.done + k.verified - k.deletes_done;
    let failed = k.failed + k.conflict;
    let bytes = k.done_bytes;
    if json {
        json_line(&json!({
            "summary": true, "job": id, "kind": s.kind, "state": s.state, "copied": copied,
            "skipped": k.skipped, "failed": failed, "deleted": s.progress.deleted.max(k.deletes_done),
            "bytes": bytes, "retries": s.progress.retries, "seconds": secs, "message": s.message,
        }));
    } else {
        eprintln!(
            "job {id} {}: {copied} copied, {} skipped, {failed} failed, {} deleted, {} in {} ({}/s)",
            s.state.as_str(),
            k.skipped,
            s.progress.deleted.max(k.deletes_done),
            crate::fmt::bytes(bytes),
            crate::fmt::duration(secs.max(0.0).round() as u64),
            crate::fmt::bytes((bytes as f64 / secs.max(0.001)) as u64),
        );
        // A plain completion says nothing the counts above do not.
        let plain = outcome == Some(JobOutcome::Completed) && handle.notes().is_empty();
        if let Some(m) = s.message.as_deref().filter(|_| !plain) {
            eprintln!("{m}");
        }
        if failed > 0 {
            for f in engine.failed_entries(id, 10)? {
                eprintln!("  failed: {} -> {}: {}", f.src_key, f.dst_key, f.reason);
            }
        }
    }
    Ok(Exit::of_job(outcome.as_ref()))
}
