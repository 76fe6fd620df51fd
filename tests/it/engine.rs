//! The copy engine end to end: the real binary against the sandbox and moto.

use crate::common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use common::*;

fn summary(out: &str) -> serde_json::Value {
    json_lines(out)
        .into_iter()
        .rev()
        .find(|v| v["summary"] == true)
        .unwrap_or_else(|| panic!("no summary in {out}"))
}

fn body(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn tricky_keys_copy_exactly_like_the_aws_cli_plus_folder_markers() {
    for srv in servers() {
        let c = srv.client();
        let src = srv.bucket("tk-src", false).await;
        let dst = srv.bucket("tk-dst", false).await;
        for k in tricky_keys() {
            put(&c, &src, &format!("t/{k}"), format!("body of {k}")).await;
        }
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "cp",
            "--json",
            &format!("s3://{src}/t/"),
            &format!("s3://{dst}/ours/"),
        ]));
        assert_eq!(code, 0, "{}: {err}\n{out}", srv.name());
        let s = summary(&out);
        assert_eq!(s["copied"], tricky_keys().len() as u64, "{s}");
        assert_eq!(s["failed"], 0);
        let (code, _, err) = run(aws_cli().args([
            "--endpoint-url",
            &srv.url,
            "s3",
            "cp",
            "--recursive",
            "--only-show-errors",
            &format!("s3://{src}/t/"),
            &format!("s3://{dst}/aws/"),
        ]));
        assert_eq!(code, 0, "aws s3 cp: {err}");
        let ours: BTreeSet<String> = keys(&c, &dst, "ours/")
            .await
            .into_iter()
            .map(|k| k["ours/".len()..].to_string())
            .collect();
        let aws: BTreeSet<String> = keys(&c, &dst, "aws/")
            .await
            .into_iter()
            .map(|k| k["aws/".len()..].to_string())
            .collect();
        let markers: BTreeSet<String> = tricky_keys()
            .into_iter()
            .filter(|k| k.ends_with('/'))
            .collect();
        let want: BTreeSet<String> = aws.union(&markers).cloned().collect();
        assert_eq!(
            ours,
            want,
            "{}: ours vs AWS CLI + folder markers",
            srv.name()
        );
        let all: BTreeSet<String> = tricky_keys().into_iter().collect();
        assert_eq!(ours, all, "{}: every key", srv.name());
        for k in tricky_keys() {
            assert_eq!(
                get(&c, &dst, &format!("ours/{k}")).await,
                format!("body of {k}").into_bytes(),
                "{k}"
            );
        }
    }
}

async fn put_rich(c: &aws_sdk_s3::Client, bucket: &str, key: &str, data: Vec<u8>) {
    c.put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/x-test")
        .cache_control("max-age=60")
        .metadata("owner", "team-a")
        .metadata("purpose", "multipart test")
        .tagging("env=prod&tier=gold")
        .body(ByteStream::from(data))
        .send()
        .await
        .expect("put rich object");
}

async fn assert_same_object(
    c_src: &aws_sdk_s3::Client,
    c_dst: &aws_sdk_s3::Client,
    sb: &str,
    sk: &str,
    db: &str,
    dk: &str,
) {
    assert_eq!(
        get(c_src, sb, sk).await,
        get(c_dst, db, dk).await,
        "bytes of {dk}"
    );
    let a = c_src
        .head_object()
        .bucket(sb)
        .key(sk)
        .send()
        .await
        .expect("head src");
    let b = c_dst
        .head_object()
        .bucket(db)
        .key(dk)
        .send()
        .await
        .expect("head dst");
    assert_eq!(b.content_type(), a.content_type(), "content-type");
    assert_eq!(b.cache_control(), a.cache_control(), "cache-control");
    assert_eq!(b.metadata(), a.metadata(), "user metadata");
    assert!(a
        .metadata()
        .is_some_and(|m| m.get("owner").map(String::as_str) == Some("team-a")));
    let ta = s3ferry::s3::ops::get_tags(c_src, sb, sk)
        .await
        .expect("tags src");
    let tb = s3ferry::s3::ops::get_tags(c_dst, db, dk)
        .await
        .expect("tags dst");
    assert_eq!(tb, ta, "tags");
    assert_eq!(ta.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn multipart_copy_keeps_bytes_type_metadata_and_tags() {
    for srv in servers() {
        let c = srv.client();
        let src = srv.bucket("mp-src", false).await;
        let dst = srv.bucket("mp-dst", false).await;
        put_rich(&c, &src, "big.bin", body(7, 12 * 1024 * 1024 + 123)).await;
        put_rich(&c, &src, "small.txt", b"small".to_vec()).await;
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "cp",
            "--json",
            "--multipart-threshold",
            "5MiB",
            "--part-size",
            "5MiB",
            &format!("s3://{src}/"),
            &format!("s3://{dst}/copy/"),
        ]));
        assert_eq!(code, 0, "{}: {err}\n{out}", srv.name());
        assert_eq!(summary(&out)["copied"], 2);
        assert_same_object(&c, &c, &src, "big.bin", &dst, "copy/big.bin").await;
        assert_same_object(&c, &c, &src, "small.txt", &dst, "copy/small.txt").await;
        let head = c
            .head_object()
            .bucket(&dst)
            .key("copy/big.bin")
            .send()
            .await
            .expect("head");
        assert!(
            head.e_tag().is_some_and(|e| e.contains("-3")),
            "{}: 3 parts: {:?}",
            srv.name(),
            head.e_tag()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_twice_copies_nothing_the_second_time_and_dry_run_changes_nothing() {
    for srv in servers() {
        let c = srv.client();
        let src = srv.bucket("sy-src", false).await;
        let dst = srv.bucket("sy-dst", false).await;
        for i in 0..20 {
            put(&c, &src, &format!("d/{i:02}.txt"), format!("file {i}")).await;
        }
        put(&c, &dst, "extra.txt", "only in dst").await;
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "sync",
            "--dry-run",
            "--delete",
            "--json",
            &format!("s3://{src}/d/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 0, "{err}");
        let lines = json_lines(&out);
        let s = lines.last().expect("summary");
        assert_eq!(
            (s["copy"].as_u64(), s["delete"].as_u64()),
            (Some(20), Some(1)),
            "{s}"
        );
        assert!(lines
            .iter()
            .any(|l| l["action"] == "delete" && l["dst_key"] == "extra.txt"));
        assert_eq!(
            keys(&c, &dst, "").await,
            vec!["extra.txt".to_string()],
            "dry run changed nothing"
        );

        let (code, out, err) = run(srv.cmd(data.path()).args([
            "sync",
            "--json",
            &format!("s3://{src}/d/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 0, "{err}");
        assert_eq!(summary(&out)["copied"], 20);
        put(&c, &src, "d/05.txt", "changed, longer").await;
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "sync",
            "--json",
            &format!("s3://{src}/d/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 0, "{err}");
        let s = summary(&out);
        assert_eq!(
            (s["copied"].as_u64(), s["skipped"].as_u64()),
            (Some(1), Some(19)),
            "{s}"
        );
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "sync",
            "--json",
            &format!("s3://{src}/d/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            summary(&out)["copied"],
            0,
            "second identical sync copies nothing"
        );

        // --delete with a limit refuses before anything runs.
        let (code, _, err) = run(srv.cmd(data.path()).args([
            "sync",
            "--delete",
            "--max-delete",
            "0",
            &format!("s3://{src}/d/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 2, "refused before anything runs");
        assert!(err.contains("--max-delete"), "{err}");
        assert!(keys(&c, &dst, "").await.contains(&"extra.txt".to_string()));
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "sync",
            "--delete",
            "--json",
            &format!("s3://{src}/d/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 0, "{err}");
        assert_eq!(summary(&out)["deleted"], 1);
        assert_eq!(keys(&c, &dst, "").await.len(), 20);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mv_of_500_objects_arrives_verified_and_leaves_nothing_behind() {
    for srv in servers() {
        let c = srv.client();
        let src = srv.bucket("mv-src", false).await;
        let dst = srv.bucket("mv-dst", false).await;
        let names: Vec<String> = (0..500)
            .map(|i| format!("m/{:03}/obj-{i}", i % 7))
            .collect();
        futures::future::join_all(
            names
                .iter()
                .map(|k| put(&c, &src, k, format!("content {k}"))),
        )
        .await;
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "mv",
            "--json",
            &format!("s3://{src}/m/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 0, "{}: {err}", srv.name());
        let s = summary(&out);
        assert_eq!(
            (
                s["copied"].as_u64(),
                s["deleted"].as_u64(),
                s["failed"].as_u64()
            ),
            (Some(500), Some(500), Some(0)),
            "{s}"
        );
        assert!(
            keys(&c, &src, "").await.is_empty(),
            "{}: sources removed",
            srv.name()
        );
        let got: BTreeSet<String> = keys(&c, &dst, "").await.into_iter().collect();
        let want: BTreeSet<String> = names.iter().map(|k| k["m/".len()..].to_string()).collect();
        assert_eq!(got, want);
        for k in names.iter().take(5) {
            assert_eq!(
                get(&c, &dst, &k["m/".len()..]).await,
                format!("content {k}").into_bytes()
            );
        }
        // The journal records how each copy was verified.
        let job = s["job"].as_i64().expect("job id");
        let journal =
            s3ferry::journal::Journal::open(&data.path().join("journal.sqlite")).expect("journal");
        let rows = journal.entries(job, 0, 1000).expect("entries");
        assert_eq!(rows.len(), 500);
        assert!(
            rows.iter().all(|r| r.verify.as_deref() == Some("etag")),
            "{:?}",
            rows[0].verify
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mv_deletes_nothing_when_verification_fails() {
    for srv in servers() {
        let c = srv.client();
        let src = srv.bucket("mvf-src", false).await;
        let dst = srv.bucket("mvf-dst", false).await;
        for i in 0..10 {
            put(&c, &src, &format!("k{i}"), format!("v{i}")).await;
        }
        let proxy = proxy::start(
            &srv.url,
            proxy::Faults {
                corrupt_copy_etag: true,
                ..Default::default()
            },
        );
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) = run(ferry_cmd(&proxy.url, data.path()).args([
            "mv",
            "--json",
            &format!("s3://{src}/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 1, "{err}");
        let s = summary(&out);
        assert_eq!(
            (s["failed"].as_u64(), s["deleted"].as_u64()),
            (Some(10), Some(0)),
            "{s}"
        );
        assert_eq!(
            keys(&c, &src, "").await.len(),
            10,
            "{}: no source deleted",
            srv.name()
        );
        let (code, out, _) = run(ferry_cmd(&proxy.url, data.path()).args([
            "jobs",
            "show",
            &s["job"].to_string(),
            "--failed",
        ]));
        assert_eq!(code, 0);
        assert!(out.contains("verification failed"), "{out}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn all_versions_replays_history_in_a_versioned_destination() {
    for srv in servers() {
        let c = srv.client();
        let src = srv.bucket("av-src", true).await;
        let dst = srv.bucket("av-dst", true).await;
        for i in 1..=3 {
            put(&c, &src, "doc", format!("version {i}")).await;
        }
        s3ferry::s3::admin::delete_key(&c, &src, "doc")
            .await
            .expect("marker");
        put(&c, &src, "other", "o").await;
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "cp",
            "--all-versions",
            "--json",
            &format!("s3://{src}/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 0, "{}: {err}", srv.name());
        assert_eq!(summary(&out)["failed"], 0);
        // S3 lists a key's versions newest first; the destination must hold the
        // same sequence of bodies and delete markers.
        let history = |bucket: String| {
            let c = c.clone();
            async move {
                let r = c
                    .list_object_versions()
                    .bucket(&bucket)
                    .prefix("doc")
                    .send()
                    .await
                    .expect("versions");
                let mut bodies = Vec::new();
                for v in r.versions() {
                    bodies.push(
                        get_version(&c, &bucket, "doc", v.version_id().unwrap_or("null")).await,
                    );
                }
                let latest_is_marker = r
                    .delete_markers()
                    .iter()
                    .any(|m| m.is_latest() == Some(true));
                (bodies, r.delete_markers().len(), latest_is_marker)
            }
        };
        let a = history(src.clone()).await;
        let b = history(dst.clone()).await;
        assert_eq!(
            a,
            (
                vec![
                    "version 3".to_string(),
                    "version 2".into(),
                    "version 1".into()
                ],
                1,
                true
            )
        );
        assert_eq!(
            b,
            a,
            "{}: same versions, order and delete marker",
            srv.name()
        );
        assert_eq!(get(&c, &dst, "other").await, b"o".to_vec());
    }
}

async fn get_version(c: &aws_sdk_s3::Client, bucket: &str, key: &str, version: &str) -> String {
    let r = c
        .get_object()
        .bucket(bucket)
        .key(key)
        .version_id(version)
        .send()
        .await
        .expect("get version");
    String::from_utf8_lossy(&r.body.collect().await.expect("body").into_bytes()).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_mv_then_resume_loses_nothing() {
    for srv in servers() {
        let c = srv.client();
        let src = srv.bucket("kill-src", false).await;
        let dst = srv.bucket("kill-dst", false).await;
        let names: Vec<String> = (0..2000)
            .map(|i| format!("k/{:02}/{i:05}", i % 13))
            .collect();
        for chunk in names.chunks(200) {
            futures::future::join_all(chunk.iter().map(|k| put(&c, &src, k, k.clone()))).await;
        }
        // Latency keeps the job running long enough to be killed mid-way.
        let proxy = proxy::start(
            &srv.url,
            proxy::Faults {
                latency: Duration::from_millis(15),
                ..Default::default()
            },
        );
        let data = tempfile::tempdir().expect("tmp");
        let mut child = ferry_cmd(&proxy.url, data.path())
            .args([
                "mv",
                "--no-progress",
                "--concurrency",
                "8",
                &format!("s3://{src}/k/"),
                &format!("s3://{dst}/"),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn mv");
        let start = Instant::now();
        loop {
            let moved = keys(&c, &dst, "").await.len();
            if moved >= 300 || start.elapsed() > Duration::from_secs(120) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        let before = keys(&c, &dst, "").await.len();
        assert!(
            before > 0 && before < 2000,
            "{}: killed mid-way ({before} moved)",
            srv.name()
        );

        let (code, out, _) = run(srv.cmd(data.path()).args(["jobs", "--json"]));
        assert_eq!(code, 0);
        let jobs = json_lines(&out);
        assert_eq!(jobs[0]["state"], "interrupted", "{jobs:?}");
        let (code, out, err) = run(srv.cmd(data.path()).args(["resume", "--json", "1"]));
        assert_eq!(code, 0, "{}: {err}\n{out}", srv.name());
        let s = summary(&out);
        assert_eq!(s["failed"], 0, "{s}");
        let got = keys(&c, &dst, "").await;
        assert_eq!(got.len(), 2000, "every object exactly once");
        let want: BTreeSet<String> = names.iter().map(|k| k["k/".len()..].to_string()).collect();
        assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), want);
        assert!(keys(&c, &src, "").await.is_empty(), "no source left");
        for k in names.iter().step_by(97) {
            assert_eq!(
                get(&c, &dst, &k["k/".len()..]).await,
                k.clone().into_bytes(),
                "content of {k}"
            );
        }
    }
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn streamed_copy_between_connections_keeps_properties_with_bounded_memory() {
    let (sb, mo) = (sandbox(), moto());
    let (cs, cm) = (sb.client(), mo.client());
    let src = sb.bucket("x-src", false).await;
    let dst = mo.bucket("x-dst", false).await;
    for i in 0..3u8 {
        put_rich(&cs, &src, &format!("big{i}.bin"), body(i, 24 * 1024 * 1024)).await;
    }
    put_rich(&cs, &src, "small.txt", b"hello".to_vec()).await;
    let data = tempfile::tempdir().expect("tmp");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_s3ferry"));
    test_env(&mut cmd, data.path());
    let child = cmd
        .args(["--src-endpoint-url", &sb.url, "--dst-endpoint-url", &mo.url])
        .args([
            "cp",
            "--json",
            "--multipart-threshold",
            "8MiB",
            "--part-size",
            "5MiB",
        ])
        .args([&format!("s3://{src}/"), &format!("s3://{dst}/in/")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let mut peak = 0;
    let waiter = std::thread::spawn(move || child.wait_with_output());
    while !waiter.is_finished() {
        peak = peak.max(peak_rss_kib(pid).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = waiter.join().expect("join").expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(summary(&stdout)["copied"], 4);
    for i in 0..3 {
        assert_same_object(
            &cs,
            &cm,
            &src,
            &format!("big{i}.bin"),
            &dst,
            &format!("in/big{i}.bin"),
        )
        .await;
    }
    assert_same_object(&cs, &cm, &src, "small.txt", &dst, "in/small.txt").await;
    // 72 MiB moved; memory stays near parts in flight x part size.
    assert!(peak < 160 * 1024, "peak RSS {peak} KiB");
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_no_clobber_version_id_and_copying_into_its_own_source() {
    for srv in servers() {
        let c = srv.client();
        let b = srv.bucket("misc", true).await;
        put(&c, &b, "x/k", "from x").await;
        put(&c, &b, "y/k", "from y").await;
        let data = tempfile::tempdir().expect("tmp");
        // Two sources mapping to one destination key: refused before anything runs.
        let (code, _, err) = run(srv.cmd(data.path()).args([
            "cp",
            &format!("s3://{b}/x/"),
            &format!("s3://{b}/y/"),
            &format!("s3://{b}/z/"),
        ]));
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("both map to destination key \"z/k\""),
            "{}: {err}",
            srv.name()
        );
        assert!(keys(&c, &b, "z/").await.is_empty(), "nothing written");
        // A destination key over 1024 bytes: refused in the plan.
        let long = format!("x/{}", "l".repeat(1000));
        put(&c, &b, &long, "long").await;
        let deep = format!("s3://{b}/{}/", "d".repeat(40));
        let (code, out, _) = run(srv.cmd(data.path()).args([
            "cp",
            "--dry-run",
            "--json",
            &format!("s3://{b}/x/"),
            &deep,
        ]));
        assert_eq!(code, 2, "refused plan");
        assert!(out.contains("over S3's limit of 1024"), "{out}");

        // --no-clobber keeps what is there.
        put(&c, &b, "dst/k", "already here").await;
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "cp",
            "--no-clobber",
            "--json",
            &format!("s3://{b}/y/k"),
            &format!("s3://{b}/dst/"),
        ]));
        assert_eq!(code, 0, "{err}");
        assert_eq!(summary(&out)["skipped"], 1);
        assert_eq!(get(&c, &b, "dst/k").await, b"already here".to_vec());

        // --version-id copies that version.
        put(&c, &b, "v/doc", "first").await;
        let first = c
            .list_object_versions()
            .bucket(&b)
            .prefix("v/doc")
            .send()
            .await
            .expect("versions")
            .versions()[0]
            .version_id()
            .map(str::to_string)
            .expect("version id");
        put(&c, &b, "v/doc", "second").await;
        let (code, _, err) = run(srv.cmd(data.path()).args([
            "cp",
            "--version-id",
            &first,
            &format!("s3://{b}/v/doc"),
            &format!("s3://{b}/old-doc"),
        ]));
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            get(&c, &b, "old-doc").await,
            b"first".to_vec(),
            "{}",
            srv.name()
        );

        // Copying into a prefix inside its own source never re-copies the job's own writes.
        let src = srv.bucket("self", false).await;
        for i in 0..30 {
            put(&c, &src, &format!("f{i:02}"), format!("{i}")).await;
        }
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "cp",
            "--json",
            &format!("s3://{src}/"),
            &format!("s3://{src}/copy/"),
        ]));
        assert_eq!(code, 0, "{err}");
        assert_eq!(summary(&out)["copied"], 30);
        assert_eq!(keys(&c, &src, "copy/").await.len(), 30);
        assert!(keys(&c, &src, "copy/copy/").await.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_cleanly_and_says_how_to_resume() {
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("int-src", false).await;
    let dst = srv.bucket("int-dst", false).await;
    let names: Vec<String> = (0..400).map(|i| format!("i/{i:04}")).collect();
    futures::future::join_all(names.iter().map(|k| put(&c, &src, k, k.clone()))).await;
    let proxy = proxy::start(
        &srv.url,
        proxy::Faults {
            latency: Duration::from_millis(20),
            ..Default::default()
        },
    );
    let data = tempfile::tempdir().expect("tmp");
    let child = ferry_cmd(&proxy.url, data.path())
        .args([
            "mv",
            "--concurrency",
            "4",
            &format!("s3://{src}/i/"),
            &format!("s3://{dst}/"),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    while keys(&c, &dst, "").await.len() < 40 && start.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().to_string();
    let (code, _, _) = run(std::process::Command::new("kill").args(["-INT", &pid]));
    assert_eq!(code, 0);
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("resume with: s3ferry resume 1"), "{err}");
    let (code, _, err) = run(srv.cmd(data.path()).args(["resume", "1"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(keys(&c, &dst, "").await.len(), 400);
    assert!(keys(&c, &src, "").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn preserve_acl_copies_grants_or_warns_and_continues() {
    for srv in servers() {
        let c = srv.client();
        let src = srv.bucket("acl-src", false).await;
        let dst = srv.bucket("acl-dst", false).await;
        c.put_object()
            .bucket(&src)
            .key("public.txt")
            .acl(aws_sdk_s3::types::ObjectCannedAcl::PublicRead)
            .body(ByteStream::from_static(b"hi"))
            .send()
            .await
            .expect("put with acl");
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "cp",
            "--preserve-acl",
            "--json",
            &format!("s3://{src}/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 0, "{}: {err}", srv.name());
        assert_eq!(summary(&out)["copied"], 1);
        let acl = c
            .get_object_acl()
            .bucket(&dst)
            .key("public.txt")
            .send()
            .await
            .expect("acl");
        let public = acl.grants().iter().any(|g| {
            g.grantee()
                .and_then(|g| g.uri())
                .is_some_and(|u| u.ends_with("/global/AllUsers"))
        });
        if srv.kind == Kind::Moto {
            assert!(
                public,
                "moto keeps ACLs: the public-read grant was copied: {acl:?}"
            );
        } else {
            // The sandbox has no ACLs: the copy went on, with a warning in the log.
            let log = std::fs::read_to_string(data.path().join("s3ferry.log")).expect("log");
            assert!(log.contains("ACL grants not copied"), "{log}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_source_tags_copy_without_them_and_say_so() {
    let (sb, mo) = (sandbox(), moto());
    let (cs, cm) = (sb.client(), mo.client());
    let src = sb.bucket("nt-src", false).await;
    let dst = mo.bucket("nt-dst", false).await;
    put_rich(&cs, &src, "small.txt", b"hello".to_vec()).await;
    put_rich(&cs, &src, "big.bin", body(3, 9 * 1024 * 1024)).await;
    // The source lets these credentials read objects but not their tags.
    let proxy = proxy::start(
        &sb.url,
        proxy::Faults {
            access_denied_query: Some("tagging".into()),
            ..Default::default()
        },
    );
    let data = tempfile::tempdir().expect("tmp");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_s3ferry"));
    test_env(&mut cmd, data.path());
    let (code, out, err) = run(cmd
        .args([
            "--src-endpoint-url",
            &proxy.url,
            "--dst-endpoint-url",
            &mo.url,
        ])
        .args([
            "cp",
            "--json",
            "--part-size",
            "5MiB",
            &format!("s3://{src}/"),
            &format!("s3://{dst}/"),
        ]));
    assert_eq!(code, 0, "{err}");
    let s = summary(&out);
    assert_eq!(s["copied"], 2, "{s}");
    assert_eq!(get(&cm, &dst, "small.txt").await, b"hello".to_vec());
    assert_eq!(
        get(&cs, &src, "big.bin").await,
        get(&cm, &dst, "big.bin").await
    );
    assert!(s3ferry::s3::ops::get_tags(&cm, &dst, "small.txt")
        .await
        .expect("tags")
        .is_empty());
    let journal =
        s3ferry::journal::Journal::open(&data.path().join("journal.sqlite")).expect("journal");
    let rows = journal.entries(1, 0, 10).expect("rows");
    assert!(
        rows.iter().all(|r| r
            .verify
            .as_deref()
            .is_some_and(|v| v.contains("tags not copied"))),
        "{rows:?}"
    );
    let log = std::fs::read_to_string(data.path().join("s3ferry.log")).expect("log");
    assert!(log.contains("copying without tags"), "{log}");
}

/// `p` in the TUI and `Engine::pause`: no new object starts while a job is
/// paused (in-flight ones finish, the job reads "pausing" until then), and
/// resume finishes the job. Starting and finishing are engine events.
#[tokio::test(flavor = "multi_thread")]
async fn a_paused_job_starts_no_new_object_until_resumed() {
    use s3ferry::engine::{JobEvent, JobKind, JobState, RunOptions};
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("pause-src", false).await;
    let dst = srv.bucket("pause-dst", false).await;
    let n = 300;
    let names: Vec<String> = (0..n).map(|i| format!("k/{i:04}")).collect();
    for chunk in names.chunks(100) {
        futures::future::join_all(
            chunk
                .iter()
                .map(|k| put(&c, &src, k, format!("object {k}"))),
        )
        .await;
    }
    // Slow enough that the job is mid-way when it is paused.
    let proxy = proxy::start(
        &srv.url,
        proxy::Faults {
            latency: Duration::from_millis(40),
            ..Default::default()
        },
    );
    let mut settings = srv.settings();
    settings.endpoint_url = Some(proxy.url.clone());
    let data = tempfile::tempdir().expect("tmp");
    let engine = engine_in(data.path());
    let mut spec = job_spec(
        JobKind::Copy,
        &format!("s3://{src}/k/"),
        &format!("s3://{dst}/"),
        &settings,
    );
    spec.run = RunOptions {
        concurrency: 4,
        ..RunOptions::default()
    };
    let mut events = engine.subscribe();
    let id = engine.submit(spec).await.expect("submit");
    assert_eq!(events.recv().await.ok(), Some(JobEvent::Started(id)));
    assert_eq!(engine.live_jobs().len(), 1);
    assert!(
        engine.earlier_jobs().is_empty(),
        "a live job is not listed twice"
    );
    let handle = engine.handle(id).expect("handle");
    let deadline = Instant::now() + Duration::from_secs(60);
    while handle.snapshot().progress.objects_done < 20 {
        assert!(Instant::now() < deadline, "the job did not start");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    engine.pause(id);
    let mut saw_pausing = false;
    loop {
        let s = handle.snapshot();
        assert_eq!(s.state, JobState::Paused, "{s:?}");
        if s.progress.in_flight == 0 {
            assert_eq!(s.state_word(), "paused");
            break;
        }
        saw_pausing |= s.state_word() == "pausing";
        assert!(
            Instant::now() < deadline,
            "in-flight objects never finished"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let at_pause = keys(&c, &dst, "").await.len();
    let done_at_pause = handle.snapshot().progress.objects_done;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = keys(&c, &dst, "").await.len();
    assert_eq!(later, at_pause, "objects landed while paused");
    assert_eq!(handle.snapshot().progress.objects_done, done_at_pause);
    assert!(
        at_pause < n / 2,
        "paused at {at_pause} of {n}: pause took effect late (saw pausing: {saw_pausing})"
    );

    engine.resume(id).expect("resume");
    let end = engine.wait(id).await.expect("snapshot");
    assert_eq!(end.state, JobState::Completed, "{end:?}");
    assert_eq!(keys(&c, &dst, "").await.len(), n);
    // Pausing is not an event; the end is (front ends then re-read the journal).
    let finished = tokio::time::timeout(Duration::from_secs(5), events.recv()).await;
    assert_eq!(
        finished.ok().and_then(|r| r.ok()),
        Some(JobEvent::Finished(id))
    );
}
