//! Fault tolerance: throttling, dropped connections, a source that changes
//! mid-copy, an unusable journal.

use crate::common;

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use common::*;

fn summary(out: &str) -> serde_json::Value {
    json_lines(out)
        .into_iter()
        .rev()
        .find(|v| v["summary"] == true)
        .unwrap_or_else(|| panic!("no summary in {out}"))
}

async fn fill(c: &aws_sdk_s3::Client, bucket: &str, n: usize) -> Vec<String> {
    let names: Vec<String> = (0..n).map(|i| format!("f/{:02}/{i:04}", i % 11)).collect();
    for chunk in names.chunks(100) {
        futures::future::join_all(chunk.iter().map(|k| put(c, bucket, k, format!("data {k}"))))
            .await;
    }
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn cp_and_mv_survive_slowdowns_and_dropped_connections() {
    for srv in servers() {
        let c = srv.client();
        let src = srv.bucket("fault-src", false).await;
        let cp_dst = srv.bucket("fault-cp", false).await;
        let mv_dst = srv.bucket("fault-mv", false).await;
        let names = fill(&c, &src, 300).await;
        let faults = proxy::Faults {
            slowdown: 0.20,
            drop: 0.05,
            ..Default::default()
        };
        let proxy = proxy::start(&srv.url, faults);
        let data = tempfile::tempdir().expect("tmp");

        let (code, out, err) = run(ferry_cmd(&proxy.url, data.path()).args([
            "cp",
            "--json",
            &format!("s3://{src}/f/"),
            &format!("s3://{cp_dst}/"),
        ]));
        let s = summary(&out);
        if code != 0 {
            let (_, failures, _) = run(ferry_cmd(&proxy.url, data.path()).args([
                "jobs",
                "show",
                "--failed",
                &s["job"].to_string(),
            ]));
            panic!("{}: cp failed: {err}\n{failures}", srv.name());
        }
        assert_eq!(
            (s["copied"].as_u64(), s["failed"].as_u64()),
            (Some(300), Some(0)),
            "{s}"
        );
        assert!(
            s["retries"].as_u64().unwrap_or(0) > 0,
            "faults were retried: {s}"
        );
        let want: BTreeSet<String> = names.iter().map(|k| k["f/".len()..].to_string()).collect();
        let got: BTreeSet<String> = keys(&c, &cp_dst, "").await.into_iter().collect();
        assert_eq!(got, want, "{}: every object present", srv.name());

        let (code, out, err) = run(ferry_cmd(&proxy.url, data.path()).args([
            "mv",
            "--json",
            &format!("s3://{src}/f/"),
            &format!("s3://{mv_dst}/"),
        ]));
        assert_eq!(code, 0, "{}: {err}\n{out}", srv.name());
        let s = summary(&out);
        assert_eq!(
            (
                s["copied"].as_u64(),
                s["deleted"].as_u64(),
                s["failed"].as_u64()
            ),
            (Some(300), Some(300), Some(0)),
            "{s}"
        );
        let got: BTreeSet<String> = keys(&c, &mv_dst, "").await.into_iter().collect();
        assert_eq!(got, want, "{}: none lost", srv.name());
        assert!(
            keys(&c, &src, "").await.is_empty(),
            "{}: none left in the source",
            srv.name()
        );
        for k in names.iter().step_by(37) {
            assert_eq!(
                get(&c, &mv_dst, &k["f/".len()..]).await,
                format!("data {k}").into_bytes()
            );
        }
        assert!(
            proxy.stats.slowdowns.load(Ordering::Relaxed) > 0
                && proxy.stats.drops.load(Ordering::Relaxed) > 0
        );
        let log = std::fs::read_to_string(data.path().join("s3ferry.log")).expect("log file");
        assert!(
            log.contains("lowering concurrency"),
            "the engine says it lowered concurrency"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_source_changed_during_multipart_copy_is_reported_not_copied_half_old() {
    for srv in servers() {
        let c = srv.client();
        let src = srv.bucket("chg-src", false).await;
        let dst = srv.bucket("chg-dst", false).await;
        let old: Vec<u8> = (0..11 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
        put(&c, &src, "big", old).await;
        let proxy = proxy::start(
            &srv.url,
            proxy::Faults {
                on_first_part_copy: Some(overwrite(c.clone(), src.clone())),
                ..Default::default()
            },
        );
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) = run(ferry_cmd(&proxy.url, data.path()).args([
            "cp",
            "--json",
            "--multipart-threshold",
            "5MiB",
            "--part-size",
            "5MiB",
            &format!("s3://{src}/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 1, "{}: {err}\n{out}", srv.name());
        assert!(proxy.stats.mutated.load(Ordering::SeqCst));
        let now = c
            .head_object()
            .bucket(&src)
            .key("big")
            .send()
            .await
            .expect("head");
        assert_eq!(
            now.content_length(),
            Some(17),
            "{}: the source was changed mid-copy",
            srv.name()
        );
        let s = summary(&out);
        assert_eq!(s["failed"], 1);
        let (_, failures, _) = run(ferry_cmd(&proxy.url, data.path()).args([
            "jobs",
            "show",
            "--failed",
            &s["job"].to_string(),
        ]));
        assert!(
            failures.contains("source changed"),
            "{}: {failures}",
            srv.name()
        );
        assert!(
            keys(&c, &dst, "").await.is_empty(),
            "{}: nothing half-old written",
            srv.name()
        );
    }
}

fn overwrite(c: aws_sdk_s3::Client, bucket: String) -> proxy::Hook {
    proxy::Hook(std::sync::Arc::new(move || {
        let (c, bucket) = (c.clone(), bucket.clone());
        Box::pin(async move { put(&c, &bucket, "big", b"new and different".to_vec()).await })
    }))
}

#[test]
fn an_unwritable_journal_stops_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"not a directory").expect("write");
    let srv = sandbox();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_s3ferry"));
    test_env(&mut cmd, dir.path());
    cmd.env("S3FERRY_DATA", blocker.join("data"));
    let (code, _, err) = run(cmd.args(["--endpoint-url", &srv.url, "cp", "s3://a/", "s3://b/"]));
    assert_eq!(code, 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: journal"), "{err}");
}
