//! Outages are pauses, not failures: an endpoint that drops every
//! connection for a while, DeleteObjects answering per-key errors, keys
//! DeleteObjects cannot carry, "retry failed" after a failed delete, and a
//! retry budget that runs out.

use crate::common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use s3ferry::engine::{JobKind, JobState};

fn summary(out: &str) -> serde_json::Value {
    json_lines(out)
        .into_iter()
        .rev()
        .find(|v| v["summary"] == true)
        .unwrap_or_else(|| panic!("no summary in {out}"))
}

async fn fill(c: &aws_sdk_s3::Client, bucket: &str, n: usize) -> BTreeSet<String> {
    let names: Vec<String> = (0..n).map(|i| format!("o/{i:05}")).collect();
    for chunk in names.chunks(200) {
        futures::future::join_all(chunk.iter().map(|k| put(c, bucket, k, format!("data {k}"))))
            .await;
    }
    names.into_iter().collect()
}

fn spawn_ferry(proxy: &proxy::Proxy, data: &std::path::Path, args: &[&str]) -> std::process::Child {
    ferry_cmd(&proxy.url, data)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn s3ferry")
}

fn copies(proxy: &proxy::Proxy) -> u64 {
    proxy.stats.copies_direct.load(Ordering::Relaxed)
        + proxy.stats.copies_sdk.load(Ordering::Relaxed)
}

/// Waits until the proxy has seen `n` CopyObject requests.
async fn copies_reach(proxy: &proxy::Proxy, n: u64) {
    let started = Instant::now();
    while copies(proxy) < n && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(copies(proxy) >= n, "the copy got going before the outage");
}

async fn finish(child: std::process::Child) -> (i32, String, String) {
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("s3ferry runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_30s_outage_mid_copy_pauses_the_job_and_it_resumes_by_itself() {
    for srv in servers() {
        let c = srv.client();
        let src = srv.bucket("out-src", false).await;
        let dst = srv.bucket("out-dst", false).await;
        let names = fill(&c, &src, 2000).await;
        let switch = Arc::new(AtomicBool::new(false));
        let proxy = proxy::start(
            &srv.url,
            proxy::Faults {
                outage: Some(switch.clone()),
                latency: Duration::from_millis(5),
                ..Default::default()
            },
        );
        let data = tempfile::tempdir().expect("tmp");
        let child = spawn_ferry(
            &proxy,
            data.path(),
            &[
                "cp",
                "--json",
                "--concurrency",
                "16",
                &format!("s3://{src}/o/"),
                &format!("s3://{dst}/"),
            ],
        );
        copies_reach(&proxy, 300).await;
        switch.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(30)).await;
        switch.store(false, Ordering::SeqCst);
        let (code, out, err) = finish(child).await;
        assert_eq!(code, 0, "{}: {err}\n{out}", srv.name());
        let s = summary(&out);
        assert_eq!(
            (s["copied"].as_u64(), s["failed"].as_u64()),
            (Some(2000), Some(0)),
            "{}: {s}",
            srv.name()
        );
        assert!(proxy.stats.refused.load(Ordering::Relaxed) > 0);
        let lines = json_lines(&out);
        let paused = lines.iter().find(|l| l["unreachable"] == true);
        let paused = paused.unwrap_or_else(|| panic!("no pause reported: {out}"));
        assert!(
            paused["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("endpoint unreachable, retrying in ")),
            "{paused}"
        );
        assert!(
            lines.iter().any(|l| l["unreachable"] == false),
            "the end of the pause is reported: {out}"
        );
        let message = s["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("endpoint unreachable 1 time(s)"),
            "{message}"
        );
        let got: BTreeSet<String> = keys(&c, &dst, "").await.into_iter().collect();
        let want: BTreeSet<String> = names.iter().map(|k| k["o/".len()..].to_string()).collect();
        assert_eq!(got, want, "{}: every object present", srv.name());
        let log = std::fs::read_to_string(data.path().join("s3ferry.log")).expect("log");
        assert!(
            log.contains("endpoint reachable again"),
            "the journal log says it resumed"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn per_key_slowdown_in_deleteobjects_is_retried_during_a_move() {
    for srv in servers() {
        let c = srv.client();
        let src = srv.bucket("dk-src", false).await;
        let dst = srv.bucket("dk-dst", false).await;
        let names = fill(&c, &src, 60).await;
        // The condition probe and the first two batch rounds get per-key errors.
        let proxy = proxy::start(
            &srv.url,
            proxy::Faults {
                delete_objects_key_errors: 3,
                ..Default::default()
            },
        );
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) = run(ferry_cmd(&proxy.url, data.path()).args([
            "mv",
            "--json",
            &format!("s3://{src}/o/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 0, "{}: {err}\n{out}", srv.name());
        let s = summary(&out);
        assert_eq!(
            (
                s["copied"].as_u64(),
                s["deleted"].as_u64(),
                s["failed"].as_u64()
            ),
            (Some(60), Some(60), Some(0)),
            "{}: {s}",
            srv.name()
        );
        let key_errors = proxy.stats.delete_key_errors.load(Ordering::Relaxed);
        assert!(key_errors >= 3, "per-key errors were answered");
        assert!(
            s["retries"].as_u64().unwrap_or(0) >= key_errors,
            "each per-key error counted as a retry ({key_errors}): {s}"
        );
        assert!(keys(&c, &src, "").await.is_empty(), "every source deleted");
        assert_eq!(keys(&c, &dst, "").await.len(), names.len());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_with_a_control_character_is_moved_by_single_conditional_delete() {
    // The sandbox refuses DeleteObjects bodies XML 1.0 cannot carry, as S3 does.
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("ctl-src", false).await;
    let dst = srv.bucket("ctl-dst", false).await;
    let odd = "ctl/a\u{1}b";
    put(&c, &src, odd, "odd").await;
    put(&c, &src, "ctl/plain", "plain").await;
    let proxy = proxy::start(&srv.url, Default::default());
    let data = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run(ferry_cmd(&proxy.url, data.path()).args([
        "mv",
        "--json",
        &format!("s3://{src}/ctl/"),
        &format!("s3://{dst}/"),
    ]));
    assert_eq!(code, 0, "{err}\n{out}");
    let s = summary(&out);
    assert_eq!(
        (s["deleted"].as_u64(), s["failed"].as_u64()),
        (Some(2), Some(0)),
        "{s}"
    );
    assert!(keys(&c, &src, "").await.is_empty(), "both sources gone");
    assert_eq!(get(&c, &dst, "a\u{1}b").await, b"odd".to_vec());
    assert!(
        proxy.stats.delete_object.load(Ordering::Relaxed) >= 1,
        "the odd key went by DeleteObject"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_source_changed_before_its_single_delete_is_kept() {
    // The single-delete fallback carries the same If-Match as the batch.
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("ctlc-src", false).await;
    let dst = srv.bucket("ctlc-dst", false).await;
    let odd = "ctl/x\u{2}y";
    put(&c, &src, odd, "before").await;
    let (c2, src2) = (c.clone(), src.clone());
    let proxy = proxy::start(
        &srv.url,
        proxy::Faults {
            on_first_delete_objects: Some(proxy::Hook(Arc::new(move || {
                let (c, src) = (c2.clone(), src2.clone());
                Box::pin(async move { put(&c, &src, "ctl/x\u{2}y", "rewritten").await })
            }))),
            ..Default::default()
        },
    );
    let data = tempfile::tempdir().expect("tmp");
    let (code, out, _) = run(ferry_cmd(&proxy.url, data.path()).args([
        "mv",
        "--json",
        &format!("s3://{src}/ctl/"),
        &format!("s3://{dst}/"),
    ]));
    // The probe DeleteObjects runs the hook before the odd key's delete.
    assert_eq!(code, 1, "{out}");
    assert_eq!(get(&c, &src, odd).await, b"rewritten".to_vec(), "kept");
    assert_eq!(get(&c, &dst, "x\u{2}y").await, b"before".to_vec());
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_failed_after_a_failed_delete_deletes_without_copying_again() {
    for srv in servers() {
        let c = srv.client();
        let src = srv.bucket("rf-src", false).await;
        let dst = srv.bucket("rf-dst", false).await;
        fill(&c, &src, 20).await;
        let data = tempfile::tempdir().expect("tmp");
        let engine = engine_in(data.path());
        let deny = Arc::new(AtomicBool::new(true));
        let proxy = proxy::start(
            &srv.url,
            proxy::Faults {
                deny_deletes: Some(deny.clone()),
                ..Default::default()
            },
        );
        let settings = s3ferry::config::ConnectionSettings {
            endpoint_url: Some(proxy.url.clone()),
            ..srv.settings()
        };
        let spec = job_spec(
            JobKind::Move,
            &format!("s3://{src}/o/"),
            &format!("s3://{dst}/"),
            &settings,
        );
        let id = engine.submit(spec).await.expect("submit");
        let first = engine.wait(id).await.expect("snapshot");
        assert_eq!(first.state, JobState::Failed, "{}: {first:?}", srv.name());
        assert_eq!(first.progress.failed, 20, "every delete failed: {first:?}");
        assert_eq!(keys(&c, &src, "").await.len(), 20, "sources kept");
        assert_eq!(copies(&proxy), 20);

        deny.store(false, Ordering::SeqCst);
        engine.retry_failed(id).await.expect("retry");
        let second = engine.wait(id).await.expect("snapshot");
        assert_eq!(
            second.state,
            JobState::Completed,
            "{}: {second:?}",
            srv.name()
        );
        assert_eq!(copies(&proxy), 20, "{}: no object copied again", srv.name());
        assert!(keys(&c, &src, "").await.is_empty(), "sources deleted");
        assert_eq!(keys(&c, &dst, "").await.len(), 20);
    }
}

/// A 400-object copy whose endpoint turns bad (the fault `turn_bad` makes
/// from the switch) after 50 copies: the job must stop by itself, state
/// interrupted with nothing failed and one line of message, which is
/// returned; with the endpoint good again, `resume` finishes it.
async fn stops_resumable_mid_copy(
    srv: &Server,
    name: &str,
    extra: &[&str],
    turn_bad: impl Fn(Arc<AtomicBool>) -> proxy::Faults,
) -> String {
    let c = srv.client();
    let src = srv.bucket(&format!("{name}-src"), false).await;
    let dst = srv.bucket(&format!("{name}-dst"), false).await;
    let names = fill(&c, &src, 400).await;
    let switch = Arc::new(AtomicBool::new(false));
    let proxy = proxy::start(
        &srv.url,
        proxy::Faults {
            latency: Duration::from_millis(5),
            ..turn_bad(switch.clone())
        },
    );
    let data = tempfile::tempdir().expect("tmp");
    let (from, to) = (format!("s3://{src}/o/"), format!("s3://{dst}/"));
    let mut args = vec!["cp", "--json", "--concurrency", "8"];
    args.extend_from_slice(extra);
    args.extend([from.as_str(), to.as_str()]);
    let child = spawn_ferry(&proxy, data.path(), &args);
    copies_reach(&proxy, 50).await;
    switch.store(true, Ordering::SeqCst);
    let (code, stdout, stderr) = finish(child).await;
    assert_eq!(code, 1, "{stderr}\n{stdout}");
    let s = summary(&stdout);
    assert_eq!(s["state"], "interrupted", "{}: {s}", srv.name());
    assert_eq!(s["failed"].as_u64(), Some(0), "nothing marked failed: {s}");
    let message = s["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("s3ferry resume"), "{message}");
    assert!(!message.contains('\n'), "one line: {message}");

    switch.store(false, Ordering::SeqCst);
    let job = s["job"].to_string();
    let (code, out, err) = run(ferry_cmd(&proxy.url, data.path()).args(["resume", "--json", &job]));
    assert_eq!(code, 0, "{}: {err}\n{out}", srv.name());
    let got: BTreeSet<String> = keys(&c, &dst, "").await.into_iter().collect();
    let want: BTreeSet<String> = names.iter().map(|k| k["o/".len()..].to_string()).collect();
    assert_eq!(got, want, "{}: resume finished the job", srv.name());
    message
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spent_retry_budget_stops_the_job_resumable_with_one_line() {
    for srv in servers() {
        let message =
            stops_resumable_mid_copy(srv, "bud", &["--retry-budget", "3s"], |s| proxy::Faults {
                outage: Some(s),
                ..Default::default()
            })
            .await;
        assert!(message.contains("retry budget spent"), "{message}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_credentials_stop_the_job_resumable_with_what_to_run() {
    for srv in servers() {
        // The session ends; static environment credentials cannot renew.
        let message = stops_resumable_mid_copy(srv, "exp", &[], |s| proxy::Faults {
            expired: Some(s),
            ..Default::default()
        })
        .await;
        assert!(
            message.contains("credentials expired (ExpiredToken) and could not be refreshed"),
            "{message}"
        );
        assert!(message.contains("renew the credentials"), "{message}");
    }
}
