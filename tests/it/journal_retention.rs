//! The journal over time: finished jobs drop their per-object rows after the
//! retention period (`[journal] keep`, `s3ferry jobs prune`), keep their
//! summary and failures, and the journal of a nightly sync stays the size of
//! one job.

use std::path::Path;

use crate::common::*;

fn rows(data: &Path, sql: &str) -> i64 {
    let c = rusqlite::Connection::open(data.join("journal.sqlite")).expect("open journal");
    c.query_row(sql, [], |r| r.get(0)).expect("count")
}

fn db_size(data: &Path) -> u64 {
    std::fs::metadata(data.join("journal.sqlite"))
        .expect("journal file")
        .len()
}

async fn seed(c: &aws_sdk_s3::Client, bucket: &str, n: usize) {
    use futures::StreamExt;
    futures::stream::iter(0..n)
        .for_each_concurrent(64, |i| async move {
            put(c, bucket, &format!("k/{i:05}"), format!("object {i}")).await;
        })
        .await;
}

fn job_json(srv: &Server, data: &Path, id: i64) -> serde_json::Value {
    let (code, out, err) = run(srv
        .cmd(data)
        .args(["jobs", "show", &id.to_string(), "--json"]));
    assert_eq!(code, 0, "{err}");
    json_lines(&out).pop().expect("job line")
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_nightly_syncs_keep_the_journal_near_one_job() {
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("ret-src", false).await;
    let dst = srv.bucket("ret-dst", false).await;
    seed(&c, &src, 2000).await;
    let data = tempfile::tempdir().expect("tmp");
    let sync = || {
        let (code, _, err) = run(srv.cmd(data.path()).args([
            "sync",
            "--no-progress",
            &format!("s3://{src}/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 0, "{err}");
    };
    sync();
    let one_job = db_size(data.path());
    let one_job_rows = rows(data.path(), "SELECT COUNT(*) FROM entries")
        + rows(data.path(), "SELECT COUNT(*) FROM dest_index");
    assert!(one_job_rows >= 2000, "{one_job_rows}");
    let mut peak = one_job;
    for _ in 0..10 {
        let (code, out, err) =
            run(srv
                .cmd(data.path())
                .args(["jobs", "prune", "--older-than", "0"]));
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("pruned job"), "{out}");
        sync();
        peak = peak.max(db_size(data.path()));
    }
    let (code, _, err) = run(srv
        .cmd(data.path())
        .args(["jobs", "prune", "--older-than", "0"]));
    assert_eq!(code, 0, "{err}");
    let end = db_size(data.path());
    eprintln!("journal after one sync of 2000 keys: {one_job} bytes; peak over 11 syncs: {peak}; after the last prune: {end}");
    // Freed pages are reused and given back: 11 jobs cost about one.
    assert!(
        peak <= one_job + one_job / 2,
        "peak {peak} vs one job {one_job}"
    );
    assert!(
        end <= one_job + one_job / 4,
        "end {end} vs one job {one_job}"
    );
    assert_eq!(rows(data.path(), "SELECT COUNT(*) FROM entries"), 0);
    assert_eq!(rows(data.path(), "SELECT COUNT(*) FROM dest_index"), 0);
    assert_eq!(rows(data.path(), "SELECT COUNT(*) FROM jobs"), 11);
    // Every summary survives its rows.
    for id in 1..=11 {
        let j = job_json(srv, data.path(), id);
        assert_eq!(j["objects_total"], 2000, "{j}");
        assert_eq!(j["objects_done"], 2000, "{j}");
        assert!(j["pruned_at"].is_i64(), "{j}");
    }
    assert_eq!(job_json(srv, data.path(), 1)["copied"], 2000);
    assert_eq!(job_json(srv, data.path(), 11)["skipped"], 2000);
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_prune_says_what_it_drops_and_a_pruned_job_keeps_its_summary() {
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("ret-src", false).await;
    let dst = srv.bucket("ret-dst", false).await;
    seed(&c, &src, 20).await;
    let data = tempfile::tempdir().expect("tmp");
    let (code, _, err) = run(srv.cmd(data.path()).args([
        "cp",
        "--no-progress",
        &format!("s3://{src}/"),
        &format!("s3://{dst}/"),
    ]));
    assert_eq!(code, 0, "{err}");
    // The default retention (30 days) keeps a job finished now.
    let (code, out, err) = run(srv.cmd(data.path()).args(["jobs", "prune", "--dry-run"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nothing to prune"), "{out}");
    let (code, out, err) =
        run(srv
            .cmd(data.path())
            .args(["jobs", "prune", "--older-than", "0", "--dry-run"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("would prune job 1: copy"), "{out}");
    assert!(out.contains("20 object rows"), "{out}");
    assert_eq!(
        rows(data.path(), "SELECT COUNT(*) FROM entries"),
        20,
        "a dry run drops nothing"
    );
    let (code, out, err) = run(srv
        .cmd(data.path())
        .args(["jobs", "prune", "--older-than", "0s"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("pruned job 1: copy"), "{out}");
    assert!(out.contains("journal "), "{out}");
    assert_eq!(rows(data.path(), "SELECT COUNT(*) FROM entries"), 0);
    let (code, out, _) = run(srv
        .cmd(data.path())
        .args(["jobs", "prune", "--older-than", "0"]));
    assert_eq!(code, 0);
    assert!(out.contains("nothing to prune"), "{out}");
    let (code, out, err) = run(srv.cmd(data.path()).args(["jobs", "show", "1", "--failed"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("objects: 20/20 done, 20 copied"), "{out}");
    assert!(out.contains("per-object rows pruned"), "{out}");
    let (code, _, err) = run(srv
        .cmd(data.path())
        .args(["jobs", "prune", "--older-than", "soon"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("invalid retention \"soon\""), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_applies_on_open_at_most_once_a_day() {
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("ret-src", false).await;
    let dst = srv.bucket("ret-dst", false).await;
    seed(&c, &src, 5).await;
    let data = tempfile::tempdir().expect("tmp");
    std::fs::write(data.path().join("config.toml"), "[journal]\nkeep = \"0\"\n").expect("config");
    let (code, _, err) = run(srv.cmd(data.path()).args([
        "cp",
        "--no-progress",
        &format!("s3://{src}/"),
        &format!("s3://{dst}/"),
    ]));
    assert_eq!(code, 0, "{err}");
    // The cp's own open was today's prune: the next open leaves the job be.
    let (code, _, err) = run(srv.cmd(data.path()).args(["jobs"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(data.path(), "SELECT COUNT(*) FROM entries"), 5);
    // A day later, opening the journal prunes it.
    let c = rusqlite::Connection::open(data.path().join("journal.sqlite")).expect("open");
    c.execute(
        "UPDATE meta SET value = value - 2 * 86400 WHERE key = 'last_prune'",
        [],
    )
    .expect("a day passes");
    drop(c);
    let (code, _, err) = run(srv.cmd(data.path()).args(["jobs"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(data.path(), "SELECT COUNT(*) FROM entries"), 0);
    assert_eq!(job_json(srv, data.path(), 1)["copied"], 5);

    std::fs::write(
        data.path().join("config.toml"),
        "[journal]\nkeep = \"a while\"\n",
    )
    .expect("config");
    let (code, _, err) = run(srv.cmd(data.path()).args(["jobs"]));
    assert_ne!(code, 0);
    assert!(err.contains("[journal] keep"), "{err}");
}

/// Without any prune, each run of the same transfer drops the per-object
/// rows of the earlier completed ones as it starts: ten nightly syncs keep
/// one night's rows, and every summary.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_run_of_a_transfer_supersedes_the_earlier_runs_rows() {
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("sup-src", false).await;
    let dst = srv.bucket("sup-dst", false).await;
    let other = srv.bucket("sup-other", false).await;
    seed(&c, &src, 2000).await;
    let data = tempfile::tempdir().expect("tmp");
    let sync = |to: &str| {
        let (code, _, err) = run(srv.cmd(data.path()).args([
            "sync",
            "--no-progress",
            &format!("s3://{src}/"),
            &format!("s3://{to}/"),
        ]));
        assert_eq!(code, 0, "{err}");
    };
    sync(&dst);
    let one_job = db_size(data.path());
    // Another transfer's rows are not touched by runs of this one.
    sync(&other);
    let mut peak = one_job;
    for _ in 0..10 {
        sync(&dst);
        peak = peak.max(db_size(data.path()));
    }
    let entries = |job: i64| {
        rows(
            data.path(),
            &format!("SELECT COUNT(*) FROM entries WHERE job_id = {job}"),
        )
    };
    assert_eq!(entries(12), 2000, "the newest run keeps its rows");
    assert_eq!(entries(2), 2000, "another transfer keeps its rows");
    for job in [1, 3, 4, 11] {
        assert_eq!(entries(job), 0, "job {job} superseded");
        let j = job_json(srv, data.path(), job);
        assert_eq!(j["objects_done"], 2000, "{j}");
        assert!(j["pruned_at"].is_i64(), "{j}");
    }
    eprintln!("journal after one sync of 2000 keys: {one_job} bytes; peak over 12 syncs: {peak}");
    assert!(
        peak <= 2 * one_job + one_job / 2,
        "peak {peak} vs one job {one_job} (two transfers' rows)"
    );
}
