//! Every destructive path under S3's real semantics: the real binary against
//! the sandbox (as strict as AWS) and moto, where moto implements the case.

use crate::common;

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use common::*;
use md5::Digest as _;

fn summary(out: &str) -> serde_json::Value {
    json_lines(out)
        .into_iter()
        .rev()
        .find(|v| v["summary"] == true)
        .unwrap_or_else(|| panic!("no summary in {out}"))
}

/// `jobs show JOB --failed`: every failed entry with its reason.
fn failed_reasons(srv: &Server, data: &std::path::Path, job: &serde_json::Value) -> String {
    let (code, out, err) = run(srv
        .cmd(data)
        .args(["jobs", "show", &job.to_string(), "--failed"]));
    assert_eq!(code, 0, "{err}");
    out
}

/// Content-MD5 of a body (Object Lock buckets require it).
fn md5_base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data))
}

fn body(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A proxy hook that overwrites `key` with `data`.
fn rewrite(c: &aws_sdk_s3::Client, bucket: &str, key: &str, data: &'static str) -> proxy::Hook {
    let (c, b, k) = (c.clone(), bucket.to_string(), key.to_string());
    proxy::Hook(std::sync::Arc::new(move || {
        let (c, b, k) = (c.clone(), b.clone(), k.clone());
        Box::pin(async move { put(&c, &b, &k, data).await })
    }))
}

async fn exists(c: &aws_sdk_s3::Client, bucket: &str, key: &str) -> bool {
    c.head_object().bucket(bucket).key(key).send().await.is_ok()
}

async fn put_version(c: &aws_sdk_s3::Client, bucket: &str, key: &str, data: &str) -> String {
    c.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.as_bytes().to_vec()))
        .send()
        .await
        .expect("put")
        .version_id()
        .unwrap_or("null")
        .to_string()
}

async fn get_version(c: &aws_sdk_s3::Client, bucket: &str, key: &str, v: &str) -> Option<String> {
    let r = c
        .get_object()
        .bucket(bucket)
        .key(key)
        .version_id(v)
        .send()
        .await
        .ok()?;
    Some(String::from_utf8_lossy(&r.body.collect().await.ok()?.into_bytes()).into_owned())
}

async fn suspend_versioning(c: &aws_sdk_s3::Client, bucket: &str) {
    c.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .expect("suspend versioning");
}

/// A job that would delete or overwrite what it reads is refused before
/// anything runs (exit 2), naming the key; nothing is written or deleted.
#[tokio::test(flavor = "multi_thread")]
async fn self_overlapping_moves_are_refused_before_anything_runs() {
    for srv in servers() {
        let c = srv.client();
        let b = srv.bucket("self", false).await;
        put(&c, &b, "big", body(1, 6 << 20)).await;
        put(&c, &b, "dir/a.txt", "a").await;
        put(&c, &b, "x/k", "x/k").await;
        put(&c, &b, "x/a/k", "x/a/k").await;
        let data = tempfile::tempdir().expect("tmp");
        let cases: Vec<Vec<String>> = vec![
            vec![
                "mv".into(),
                "--multipart-threshold".into(),
                "5MiB".into(),
                format!("s3://{b}/big"),
                format!("s3://{b}/big"),
            ],
            vec![
                "mv".into(),
                "--storage-class".into(),
                "STANDARD_IA".into(),
                format!("s3://{b}/dir/"),
                format!("s3://{b}/dir/"),
            ],
            // A rewrite maps x/a/k onto x/k, itself a source of the job.
            vec![
                "mv".into(),
                "--rewrite".into(),
                "^a/=>".into(),
                format!("s3://{b}/x/"),
                format!("s3://{b}/x/"),
            ],
        ];
        for args in &cases {
            let (code, out, err) = run(srv.cmd(data.path()).args(args));
            assert_eq!(code, 2, "{} {args:?}: {err}\n{out}", srv.name());
            assert!(err.contains("refusing to run"), "{args:?}: {err}");
        }
        // Another spelling of the same endpoint is the same store.
        let alias = srv.url.replace("127.0.0.1", "localhost");
        let (code, _, err) = run(srv
            .cmd(data.path())
            .args(["--src-endpoint-url", &srv.url, "--dst-endpoint-url", &alias])
            .args(["mv", &format!("s3://{b}/dir/"), &format!("s3://{b}/dir/")]));
        assert_eq!(code, 2, "{} localhost vs 127.0.0.1: {err}", srv.name());
        // Two connections (other keys) to the same endpoint are the same store.
        let (code, _, err) = run(srv
            .cmd(data.path())
            .args(["--dst-endpoint-url", &format!("{}/", srv.url)])
            .args(["mv", &format!("s3://{b}/big"), &format!("s3://{b}/big")]));
        assert_eq!(code, 2, "{}: {err}", srv.name());
        assert!(err.contains("\"big\""), "names the key: {err}");
        assert_eq!(get(&c, &b, "big").await, body(1, 6 << 20), "big kept");
        assert_eq!(get(&c, &b, "dir/a.txt").await, b"a".to_vec());
        assert_eq!(get(&c, &b, "x/k").await, b"x/k".to_vec());
        assert_eq!(get(&c, &b, "x/a/k").await, b"x/a/k".to_vec());
        assert_eq!(keys(&c, &b, "").await.len(), 4, "nothing written");

        // A copy onto itself that changes something is an in-place rewrite.
        let (code, _, err) = run(srv.cmd(data.path()).args([
            "cp",
            "--storage-class",
            "STANDARD_IA",
            &format!("s3://{b}/dir/"),
            &format!("s3://{b}/dir/"),
        ]));
        assert_eq!(
            code,
            0,
            "{}: in-place storage class change: {err}",
            srv.name()
        );
        assert_eq!(get(&c, &b, "dir/a.txt").await, b"a".to_vec());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_delete_whose_source_lies_inside_its_destination_is_refused() {
    for srv in servers() {
        let c = srv.client();
        let b = srv.bucket("syncin", false).await;
        put(&c, &b, "photos/a.jpg", "a").await;
        put(&c, &b, "other.txt", "o").await;
        let data = tempfile::tempdir().expect("tmp");
        let (code, _, err) = run(srv.cmd(data.path()).args([
            "sync",
            "--delete",
            &format!("s3://{b}/photos/"),
            &format!("s3://{b}/"),
        ]));
        assert_eq!(code, 2, "{}: {err}", srv.name());
        assert!(err.contains("inside the destination"), "{err}");
        assert_eq!(keys(&c, &b, "").await.len(), 2, "nothing deleted");

        // --max-delete holds across a resume of the refused job.
        let d = srv.bucket("syncmax", false).await;
        for i in 0..5 {
            put(&c, &d, &format!("extra{i}"), "x").await;
        }
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "sync",
            "--delete",
            "--max-delete",
            "2",
            "--json",
            &format!("s3://{b}/photos/"),
            &format!("s3://{d}/"),
        ]));
        assert_eq!(code, 2, "{err}\n{out}");
        let job = summary(&out)["job"].to_string();
        let (code, _, err) = run(srv.cmd(data.path()).args(["resume", &job]));
        assert_eq!(code, 2, "resumed, still refused: {err}");
        assert_eq!(
            keys(&c, &d, "").await.len(),
            5,
            "{}: nothing deleted, nothing copied",
            srv.name()
        );
    }
}

/// With --all-versions too, two source keys never map to one destination key.
#[tokio::test(flavor = "multi_thread")]
async fn all_versions_refuses_two_histories_for_one_key() {
    let srv = sandbox();
    let c = srv.client();
    let b = srv.bucket("avdup", true).await;
    let d = srv.bucket("avdup-dst", true).await;
    put_version(&c, &b, "x/k", "from x").await;
    put_version(&c, &b, "y/k", "from y").await;
    let data = tempfile::tempdir().expect("tmp");
    let (code, _, err) = run(srv.cmd(data.path()).args([
        "mv",
        "--all-versions",
        &format!("s3://{b}/x/"),
        &format!("s3://{b}/y/"),
        &format!("s3://{d}/"),
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("both map to destination key"), "{err}");
    assert_eq!(keys(&c, &b, "").await.len(), 2);
    assert!(keys(&c, &d, "").await.is_empty());
}

/// In an all-versions move, a version that cannot be deleted (legal hold)
/// keeps the key's current version in the source: deleting it would make
/// the old one current.
#[tokio::test(flavor = "multi_thread")]
async fn an_undeletable_old_version_keeps_the_current_one() {
    use aws_sdk_s3::types::{ObjectLockLegalHold, ObjectLockLegalHoldStatus};
    let srv = sandbox();
    let c = srv.client();
    let src = lock_bucket(srv, "avhold", None).await;
    let dst = srv.bucket("avhold-dst", true).await;
    let v1 = c
        .put_object()
        .bucket(&src)
        .key("doc")
        .content_md5(md5_base64(b"one"))
        .body(ByteStream::from_static(b"one"))
        .send()
        .await
        .expect("put v1")
        .version_id()
        .unwrap_or_default()
        .to_string();
    c.put_object_legal_hold()
        .bucket(&src)
        .key("doc")
        .version_id(&v1)
        .legal_hold(
            ObjectLockLegalHold::builder()
                .status(ObjectLockLegalHoldStatus::On)
                .build(),
        )
        .send()
        .await
        .expect("legal hold");
    for body in ["two", "three"] {
        c.put_object()
            .bucket(&src)
            .key("doc")
            .content_md5(md5_base64(body.as_bytes()))
            .body(ByteStream::from(body.as_bytes().to_vec()))
            .send()
            .await
            .expect("put");
    }
    let data = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run(srv.cmd(data.path()).args([
        "mv",
        "--all-versions",
        "--json",
        &format!("s3://{src}/"),
        &format!("s3://{dst}/"),
    ]));
    assert_eq!(code, 1, "{err}\n{out}");
    assert_eq!(
        history(&c, &dst, "doc").await,
        vec!["three".to_string(), "two".into(), "one".into()]
    );
    assert_eq!(
        get(&c, &src, "doc").await,
        b"three".to_vec(),
        "current kept"
    );
    assert_eq!(
        get_version(&c, &src, "doc", &v1).await.as_deref(),
        Some("one")
    );
}

/// The source is rewritten after its copy was verified, just before the
/// delete goes out: the delete is conditional on the copied ETag, so the new
/// object is kept and reported.
#[tokio::test(flavor = "multi_thread")]
async fn a_source_rewritten_between_copy_and_delete_is_kept() {
    // moto ignores <ETag> in DeleteObjects: s3ferry detects it and checks by
    // HEAD, which cannot see a write this late; the sandbox is AWS.
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("rw-src", false).await;
    let dst = srv.bucket("rw-dst", false).await;
    put(&c, &src, "k/changed", "old").await;
    put(&c, &src, "k/steady", "steady").await;
    let proxy = proxy::start(
        &srv.url,
        proxy::Faults {
            on_first_delete_objects: Some(rewrite(&c, &src, "k/changed", "new")),
            ..Default::default()
        },
    );
    move_keeping_the_rewritten(srv, &proxy, &src, &dst).await;
}

/// `mv s3://src/k/ s3://dst/` through `proxy`, whose fault rewrote
/// k/changed after its copy: it is kept and reported, k/steady moved.
async fn move_keeping_the_rewritten(srv: &Server, proxy: &proxy::Proxy, src: &str, dst: &str) {
    let c = srv.client();
    let data = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run(ferry_cmd(&proxy.url, data.path()).args([
        "mv",
        "--json",
        &format!("s3://{src}/k/"),
        &format!("s3://{dst}/"),
    ]));
    assert_eq!(code, 1, "{}: {err}\n{out}", srv.name());
    let s = summary(&out);
    assert_eq!(
        (s["failed"].as_u64(), s["deleted"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
    assert_eq!(get(&c, src, "k/changed").await, b"new".to_vec(), "kept");
    assert!(
        !exists(&c, src, "k/steady").await,
        "the unchanged one moved"
    );
    assert_eq!(get(&c, dst, "changed").await, b"old".to_vec());
    let out = failed_reasons(srv, data.path(), &s["job"]);
    assert!(out.contains("source changed after copy: kept"), "{out}");
}

/// On moto, which ignores the DeleteObjects condition, the summary says so
/// and a source rewritten before the delete (seen by HEAD) is still kept.
#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_ignoring_delete_conditions_is_detected_and_said() {
    let srv = moto();
    let c = srv.client();
    let src = srv.bucket("ign-src", false).await;
    let dst = srv.bucket("ign-dst", false).await;
    put(&c, &src, "k/a", "a").await;
    put(&c, &src, "k/b", "b").await;
    let data = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run(srv.cmd(data.path()).args([
        "mv",
        "--json",
        &format!("s3://{src}/k/"),
        &format!("s3://{dst}/"),
    ]));
    assert_eq!(code, 0, "{err}");
    let s = summary(&out);
    assert_eq!(s["deleted"], 2, "{s}");
    let msg = s["message"].as_str().unwrap_or_default();
    assert!(msg.contains("conditional deletes are ignored"), "{s}");
    assert!(keys(&c, &src, "").await.is_empty());
}

/// Where only a HEAD guards a delete (moto ignores the condition), a delete
/// sent again after a wait is checked by HEAD again: a source rewritten
/// meanwhile is kept, not deleted by the retry. The wait is either a request
/// that got no answer or per-key SlowDown inside the DeleteObjects answer.
#[tokio::test(flavor = "multi_thread")]
async fn a_delete_retried_after_a_wait_is_checked_again() {
    for per_key in [false, true] {
        let srv = moto();
        let c = srv.client();
        let src = srv.bucket("recheck-src", false).await;
        let dst = srv.bucket("recheck-dst", false).await;
        put(&c, &src, "k/changed", "old").await;
        put(&c, &src, "k/steady", "steady").await;
        // DeleteObjects 0 is the condition probe; 1 is the batch.
        let hook = rewrite(&c, &src, "k/changed", "new");
        let faults = if per_key {
            proxy::Faults {
                key_errors_at: Some((1, hook)),
                ..Default::default()
            }
        } else {
            proxy::Faults {
                drop_delete_objects: Some((1, hook)),
                ..Default::default()
            }
        };
        let proxy = proxy::start(&srv.url, faults);
        move_keeping_the_rewritten(srv, &proxy, &src, &dst).await;
    }
}

/// Killed while deleting (copies verified and journaled), a source is then
/// rewritten; `resume` deletes the others and keeps the rewritten one.
#[tokio::test(flavor = "multi_thread")]
async fn a_source_rewritten_after_sigkill_is_kept_on_resume() {
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("kr-src", false).await;
    let dst = srv.bucket("kr-dst", false).await;
    for i in 0..20 {
        put(&c, &src, &format!("k/{i:02}"), format!("v{i}")).await;
    }
    let hang = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let proxy = proxy::start(
        &srv.url,
        proxy::Faults {
            hang_delete_objects: Some(hang.clone()),
            ..Default::default()
        },
    );
    let data = tempfile::tempdir().expect("tmp");
    let mut child = ferry_cmd(&proxy.url, data.path())
        .args([
            "mv",
            "--no-progress",
            &format!("s3://{src}/k/"),
            &format!("s3://{dst}/"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn mv");
    let start = Instant::now();
    while proxy
        .stats
        .delete_objects
        .load(std::sync::atomic::Ordering::Relaxed)
        == 0
        && start.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert_eq!(keys(&c, &src, "").await.len(), 20, "nothing deleted yet");
    put(&c, &src, "k/07", "rewritten").await;
    // The journaled job goes through the proxy again, now answering.
    hang.store(false, std::sync::atomic::Ordering::SeqCst);
    let (code, out, err) = run(srv.cmd(data.path()).args(["resume", "--json", "1"]));
    assert_eq!(code, 1, "{err}\n{out}");
    let s = summary(&out);
    assert_eq!(
        s["failed"],
        1,
        "{s}: {}",
        failed_reasons(srv, data.path(), &s["job"])
    );
    assert_eq!(keys(&c, &src, "").await, vec!["k/07".to_string()]);
    assert_eq!(get(&c, &src, "k/07").await, b"rewritten".to_vec());
    assert_eq!(get(&c, &dst, "07").await, b"v7".to_vec());
}

/// `--version-id` moves delete exactly that version; on a suspended bucket
/// the current (null) version is never touched.
#[tokio::test(flavor = "multi_thread")]
async fn version_id_moves_delete_that_version_and_nothing_else() {
    for srv in servers() {
        let c = srv.client();
        // moto 5.2.5 drops every other version of a key written while
        // versioning is suspended: the suspended case runs on the sandbox.
        if srv.kind == Kind::Sandbox {
            version_id_move_on_a_suspended_bucket(srv).await;
        }
        let d = srv.bucket("vid-dst", false).await;
        let data = tempfile::tempdir().expect("tmp");
        // Enabled: move the older of two versions, the newer stays current.
        let e = srv.bucket("vid-en", true).await;
        let old = put_version(&c, &e, "doc", "old").await;
        put_version(&c, &e, "doc", "new").await;
        let (code, _, err) = run(srv.cmd(data.path()).args([
            "mv",
            "--version-id",
            &old,
            &format!("s3://{e}/doc"),
            &format!("s3://{d}/old-doc"),
        ]));
        assert_eq!(code, 0, "{err}");
        assert_eq!(get(&c, &d, "old-doc").await, b"old".to_vec());
        assert_eq!(get(&c, &e, "doc").await, b"new".to_vec());
        assert_eq!(get_version(&c, &e, "doc", &old).await, None);
    }
}

async fn version_id_move_on_a_suspended_bucket(srv: &Server) {
    let c = srv.client();
    let b = srv.bucket("vid", true).await;
    let d = srv.bucket("vid-dst", false).await;
    let v1 = put_version(&c, &b, "k", "one").await;
    suspend_versioning(&c, &b).await;
    put(&c, &b, "k", "current null").await;
    let data = tempfile::tempdir().expect("tmp");
    let (code, _, err) = run(srv.cmd(data.path()).args([
        "mv",
        "--version-id",
        &v1,
        &format!("s3://{b}/k"),
        &format!("s3://{d}/k"),
    ]));
    assert_eq!(code, 0, "{}: {err}", srv.name());
    assert_eq!(get(&c, &d, "k").await, b"one".to_vec());
    assert_eq!(
        get(&c, &b, "k").await,
        b"current null".to_vec(),
        "null version kept"
    );
    assert_eq!(get_version(&c, &b, "k", &v1).await, None, "V1 deleted");
}

/// `versionId=null` is a real version: it copies, verifies and deletes as
/// itself, and the other versions stay.
#[tokio::test(flavor = "multi_thread")]
async fn null_versions_move_as_themselves() {
    for srv in servers() {
        let c = srv.client();
        let b = srv.bucket("nullv", false).await;
        let d = srv.bucket("nullv-dst", false).await;
        put(&c, &b, "k", "before versioning").await;
        s3ferry::s3::admin::set_versioning(&c, &b, true)
            .await
            .expect("versioning");
        let v2 = put_version(&c, &b, "k", "after").await;
        let data = tempfile::tempdir().expect("tmp");
        let (code, _, err) = run(srv.cmd(data.path()).args([
            "mv",
            "--version-id",
            "null",
            &format!("s3://{b}/k"),
            &format!("s3://{d}/k"),
        ]));
        assert_eq!(code, 0, "{}: {err}", srv.name());
        assert_eq!(get(&c, &d, "k").await, b"before versioning".to_vec());
        assert_eq!(get(&c, &b, "k").await, b"after".to_vec(), "{}", srv.name());
        assert_eq!(
            get_version(&c, &b, "k", &v2).await.as_deref(),
            Some("after")
        );
        assert_eq!(
            get_version(&c, &b, "k", "null").await,
            None,
            "null version gone"
        );
    }
}

/// A plain move out of a versioned bucket deletes the version it copied.
#[tokio::test(flavor = "multi_thread")]
async fn a_plain_move_from_a_versioned_bucket_deletes_the_copied_version() {
    let srv = sandbox();
    let c = srv.client();
    let b = srv.bucket("pmv", true).await;
    let d = srv.bucket("pmv-dst", false).await;
    let v = put_version(&c, &b, "p/k", "data").await;
    let data = tempfile::tempdir().expect("tmp");
    let (code, _, err) =
        run(srv
            .cmd(data.path())
            .args(["mv", &format!("s3://{b}/p/"), &format!("s3://{d}/")]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(get(&c, &d, "k").await, b"data".to_vec());
    assert_eq!(
        get_version(&c, &b, "p/k", &v).await,
        None,
        "that version deleted"
    );
}

async fn history(c: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut marker: Option<(String, Option<String>)> = None;
    loop {
        let mut req = c.list_object_versions().bucket(bucket).prefix(key);
        if let Some((k, v)) = &marker {
            req = req.key_marker(k).set_version_id_marker(v.clone());
        }
        let r = req.send().await.expect("versions");
        for v in r.versions() {
            out.push(
                get_version(c, bucket, key, v.version_id().unwrap_or("null"))
                    .await
                    .unwrap_or_default(),
            );
        }
        if r.is_truncated() != Some(true) {
            break;
        }
        marker = Some((
            r.next_key_marker().unwrap_or_default().to_string(),
            r.next_version_id_marker().map(str::to_string),
        ));
    }
    out
}

/// 600 versions of one key span listing pages and work batches; they are
/// replayed oldest to newest, and an unversioned destination is refused.
#[tokio::test(flavor = "multi_thread")]
async fn six_hundred_versions_keep_their_order() {
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("v600", true).await;
    let dst = srv.bucket("v600-dst", true).await;
    for i in 0..600 {
        put_version(&c, &src, "doc", &format!("v{i:03}")).await;
    }
    put_version(&c, &src, "zz", "last key").await;
    let data = tempfile::tempdir().expect("tmp");
    let plain = srv.bucket("v600-plain", false).await;
    let (code, _, err) = run(srv.cmd(data.path()).args([
        "cp",
        "--all-versions",
        &format!("s3://{src}/"),
        &format!("s3://{plain}/"),
    ]));
    assert_eq!(code, 2, "unversioned destination refused: {err}");
    assert!(
        err.contains("versioning enabled on the destination"),
        "{err}"
    );
    assert!(keys(&c, &plain, "").await.is_empty());

    let (code, out, err) = run(srv.cmd(data.path()).args([
        "mv",
        "--all-versions",
        "--json",
        &format!("s3://{src}/"),
        &format!("s3://{dst}/"),
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary(&out)["failed"], 0);
    let want: Vec<String> = (0..600).rev().map(|i| format!("v{i:03}")).collect();
    assert_eq!(
        history(&c, &dst, "doc").await,
        want,
        "newest first, as listed"
    );
    assert!(
        history(&c, &src, "doc").await.is_empty(),
        "every version moved"
    );
}

/// An old version that cannot be copied (archived) stops its key: the newer
/// versions are not copied out of order and none of the key's versions is
/// deleted, so the failed one never becomes current in the source.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_old_version_keeps_the_whole_key_in_the_source() {
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("avf", true).await;
    let dst = srv.bucket("avf-dst", true).await;
    c.put_object()
        .bucket(&src)
        .key("doc")
        .storage_class(aws_sdk_s3::types::StorageClass::Glacier)
        .body(ByteStream::from_static(b"archived v1"))
        .send()
        .await
        .expect("put glacier");
    put_version(&c, &src, "doc", "v2").await;
    put_version(&c, &src, "doc", "v3").await;
    put_version(&c, &src, "fine", "f").await;
    let data = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run(srv.cmd(data.path()).args([
        "mv",
        "--all-versions",
        "--json",
        &format!("s3://{src}/"),
        &format!("s3://{dst}/"),
    ]));
    assert_eq!(code, 1, "{err}\n{out}");
    let s = summary(&out);
    assert_eq!(s["failed"], 3, "{s}");
    assert_eq!(history(&c, &src, "doc").await.len(), 3, "doc kept whole");
    assert_eq!(get(&c, &src, "doc").await, b"v3".to_vec());
    assert!(
        history(&c, &dst, "doc").await.is_empty(),
        "nothing out of order"
    );
    assert!(
        history(&c, &src, "fine").await.is_empty(),
        "the other key moved"
    );
    let out = failed_reasons(srv, data.path(), &s["job"]);
    assert!(out.contains("archived"), "{out}");
    assert!(out.contains("an older version"), "{out}");
}

/// Archived sources fail with a clear reason and are never deleted.
#[tokio::test(flavor = "multi_thread")]
async fn glacier_sources_fail_clearly_and_stay() {
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("gl", false).await;
    let dst = srv.bucket("gl-dst", false).await;
    for class in [
        aws_sdk_s3::types::StorageClass::Glacier,
        aws_sdk_s3::types::StorageClass::DeepArchive,
    ] {
        c.put_object()
            .bucket(&src)
            .key(format!("a/{}", class.as_str()))
            .storage_class(class)
            .body(ByteStream::from_static(b"cold"))
            .send()
            .await
            .expect("put archived");
    }
    let data = tempfile::tempdir().expect("tmp");
    // Server-side and streamed copies alike.
    for global in [
        vec![],
        vec!["--dst-endpoint-url".to_string(), format!("{}/", srv.url)],
    ] {
        let (code, out, err) = run(srv.cmd(data.path()).args(&global).args([
            "mv",
            "--json",
            &format!("s3://{src}/a/"),
            &format!("s3://{dst}/"),
        ]));
        assert_eq!(code, 1, "{err}");
        let s = summary(&out);
        assert_eq!(
            (s["failed"].as_u64(), s["deleted"].as_u64()),
            (Some(2), Some(0))
        );
        let failed = failed_reasons(srv, data.path(), &s["job"]);
        assert!(failed.contains("archived"), "{failed}");
        assert_eq!(keys(&c, &src, "a/").await.len(), 2);
        assert!(keys(&c, &dst, "").await.is_empty());
    }
}

async fn set_default_kms(c: &aws_sdk_s3::Client, bucket: &str) {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::AwsKms)
                .kms_master_key_id("alias/test-key")
                .build()
                .expect("default"),
        )
        .build();
    c.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .expect("config"),
        )
        .send()
        .await
        .expect("bucket encryption");
}

async fn sse_of(c: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Option<String> {
    c.head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("head")
        .server_side_encryption()
        .map(|s| s.as_str().to_string())
}

/// KMS ETags are not MD5s: copies from and into KMS buckets verify by other
/// means and end "0 failed", single-part, multipart and streamed; the
/// destination's default encryption applies (the source's key is not restated).
#[tokio::test(flavor = "multi_thread")]
async fn kms_sources_and_destinations_verify_and_keep_destination_defaults() {
    let srv = sandbox();
    let c = srv.client();
    let kms = srv.bucket("kms", false).await;
    let plain = srv.bucket("plain", false).await;
    set_default_kms(&c, &kms).await;
    put(&c, &kms, "in/small", "small").await;
    put(&c, &kms, "in/big", body(3, 6 << 20)).await;
    let etag = c
        .head_object()
        .bucket(&kms)
        .key("in/small")
        .send()
        .await
        .expect("head")
        .e_tag()
        .unwrap_or_default()
        .to_string();
    let md5 = format!("\"{:x}\"", md5::Md5::digest(b"small"));
    assert_ne!(
        etag, md5,
        "the sandbox gives KMS objects opaque ETags, as AWS"
    );
    let data = tempfile::tempdir().expect("tmp");
    // (what, global flags, cp flags): a second endpoint spelling is another
    // connection, so its copies stream through s3ferry.
    let runs: [(&str, Vec<String>, Vec<String>); 3] = [
        ("server-side", vec![], vec![]),
        (
            "multipart",
            vec![],
            vec!["--multipart-threshold".into(), "5MiB".into()],
        ),
        (
            "streamed",
            vec!["--dst-endpoint-url".into(), format!("{}/", srv.url)],
            vec![],
        ),
    ];
    for (i, (what, global, local)) in runs.iter().enumerate() {
        let out_prefix = format!("out{i}/");
        let (code, out, err) = run(srv
            .cmd(data.path())
            .args(global)
            .args(["cp", "--json"])
            .args(local)
            .args([
                format!("s3://{kms}/in/"),
                format!("s3://{plain}/{out_prefix}"),
            ]));
        assert_eq!(code, 0, "{what}: {err}\n{out}");
        assert_eq!(summary(&out)["failed"], 0, "{what}");
        assert_eq!(
            get(&c, &plain, &format!("{out_prefix}big")).await,
            body(3, 6 << 20)
        );
        assert_ne!(
            sse_of(&c, &plain, &format!("{out_prefix}small"))
                .await
                .as_deref(),
            Some("aws:kms"),
            "{what}: the source's KMS encryption is not restated"
        );
    }
    // Into KMS: the bucket default applies, and the copies verify.
    let (code, out, err) = run(srv.cmd(data.path()).args([
        "mv",
        "--json",
        "--multipart-threshold",
        "5MiB",
        &format!("s3://{plain}/out0/"),
        &format!("s3://{kms}/back/"),
    ]));
    assert_eq!(code, 0, "{err}\n{out}");
    assert_eq!(summary(&out)["failed"], 0);
    assert_eq!(
        sse_of(&c, &kms, "back/big").await.as_deref(),
        Some("aws:kms")
    );
    assert!(keys(&c, &plain, "out0/").await.is_empty(), "moved");
    // --sse asks explicitly.
    let (code, _, err) = run(srv.cmd(data.path()).args([
        "cp",
        "--sse",
        "AES256",
        &format!("s3://{kms}/back/"),
        &format!("s3://{plain}/aes/"),
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        sse_of(&c, &plain, "aes/small").await.as_deref(),
        Some("AES256")
    );
    let (code, _, err) = run(srv.cmd(data.path()).args([
        "cp",
        "--sse-kms-key-id",
        "k",
        &format!("s3://{kms}/back/"),
        &format!("s3://{plain}/x/"),
    ]));
    assert_eq!(code, 2, "a KMS key without --sse aws:kms: {err}");
}

/// A console "Create folder" marker of the copied prefix is a no-op.
#[tokio::test(flavor = "multi_thread")]
async fn folder_markers_of_the_source_prefix_copy_to_a_bucket_root() {
    for srv in servers() {
        let c = srv.client();
        let a = srv.bucket("fm-src", false).await;
        let b = srv.bucket("fm-dst", false).await;
        put(&c, &a, "photos/", "").await;
        put(&c, &a, "photos/x.jpg", "x").await;
        let data = tempfile::tempdir().expect("tmp");
        for verb in ["cp", "sync"] {
            let (code, out, err) = run(srv.cmd(data.path()).args([
                verb,
                "--json",
                &format!("s3://{a}/photos/"),
                &format!("s3://{b}/"),
            ]));
            assert_eq!(code, 0, "{} {verb}: {err}\n{out}", srv.name());
            assert_eq!(summary(&out)["failed"], 0);
        }
        assert_eq!(keys(&c, &b, "").await, vec!["x.jpg".to_string()]);
    }
}

/// `sync --delete` deletes the extraneous destination object it listed, by
/// ETag: one rewritten before the delete is kept.
#[tokio::test(flavor = "multi_thread")]
async fn sync_delete_keeps_a_destination_object_rewritten_after_listing() {
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("sd-src", false).await;
    let dst = srv.bucket("sd-dst", false).await;
    put(&c, &src, "keep.txt", "k").await;
    put(&c, &dst, "stale.txt", "stale").await;
    put(&c, &dst, "rewritten.txt", "old").await;
    let proxy = proxy::start(
        &srv.url,
        proxy::Faults {
            on_first_delete_objects: Some(rewrite(&c, &dst, "rewritten.txt", "new data")),
            ..Default::default()
        },
    );
    let data = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run(ferry_cmd(&proxy.url, data.path()).args([
        "sync",
        "--delete",
        "--json",
        &format!("s3://{src}/"),
        &format!("s3://{dst}/"),
    ]));
    assert_eq!(code, 1, "{err}\n{out}");
    let s = summary(&out);
    assert_eq!(
        (s["failed"].as_u64(), s["deleted"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
    assert!(
        !exists(&c, &dst, "stale.txt").await,
        "the listed one deleted"
    );
    assert_eq!(get(&c, &dst, "rewritten.txt").await, b"new data".to_vec());
    let out = failed_reasons(srv, data.path(), &s["job"]);
    assert!(
        out.contains("destination changed since it was listed: kept"),
        "{out}"
    );
}

async fn lock_bucket(srv: &Server, prefix: &str, default_days: Option<i32>) -> String {
    use aws_sdk_s3::types::{
        DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode,
        ObjectLockRule,
    };
    let c = srv.client();
    let name = unique(prefix);
    c.create_bucket()
        .bucket(&name)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .expect("create lock bucket");
    if let Some(days) = default_days {
        c.put_object_lock_configuration()
            .bucket(&name)
            .object_lock_configuration(
                ObjectLockConfiguration::builder()
                    .object_lock_enabled(ObjectLockEnabled::Enabled)
                    .rule(
                        ObjectLockRule::builder()
                            .default_retention(
                                DefaultRetention::builder()
                                    .mode(ObjectLockRetentionMode::Governance)
                                    .days(days)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("default retention");
    }
    name
}

/// Buckets with Object Lock default retention require Content-MD5 on every
/// write: streamed single and multipart copies send it.
#[tokio::test(flavor = "multi_thread")]
async fn copies_into_object_lock_buckets_with_default_retention() {
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("ol-src", false).await;
    let dst = lock_bucket(srv, "ol-dst", Some(1)).await;
    put(&c, &src, "small", "small").await;
    put(&c, &src, "big", body(5, 6 << 20)).await;
    let data = tempfile::tempdir().expect("tmp");
    for (prefix, global) in [
        ("server-side/", vec![]),
        (
            "streamed/",
            vec!["--dst-endpoint-url".to_string(), format!("{}/", srv.url)],
        ),
    ] {
        let (code, out, err) = run(srv.cmd(data.path()).args(&global).args([
            "cp",
            "--json",
            "--multipart-threshold",
            "5MiB",
            &format!("s3://{src}/"),
            &format!("s3://{dst}/{prefix}"),
        ]));
        assert_eq!(code, 0, "{prefix}: {err}\n{out}");
        assert_eq!(summary(&out)["failed"], 0, "{prefix}");
        assert_eq!(
            get(&c, &dst, &format!("{prefix}big")).await,
            body(5, 6 << 20)
        );
        let head = c
            .head_object()
            .bucket(&dst)
            .key(format!("{prefix}small"))
            .send()
            .await
            .expect("head");
        assert!(
            head.object_lock_mode().is_some(),
            "{prefix}: default retention applied"
        );
    }
}

/// `--preserve-lock` carries retention and legal hold; without it the
/// copies have none.
#[tokio::test(flavor = "multi_thread")]
async fn preserve_lock_carries_retention_and_legal_hold() {
    use aws_sdk_s3::types::{ObjectLockLegalHoldStatus, ObjectLockMode};
    let srv = sandbox();
    let c = srv.client();
    let src = lock_bucket(srv, "pl-src", None).await;
    let dst = lock_bucket(srv, "pl-dst", None).await;
    let until = aws_smithy_types::DateTime::from_secs(chrono::Utc::now().timestamp() + 86_400);
    c.put_object()
        .bucket(&src)
        .key("held")
        .content_md5(md5_base64(b"hello"))
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(until)
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .expect("put locked");
    let data = tempfile::tempdir().expect("tmp");
    for (prefix, flags) in [("kept/", vec!["--preserve-lock"]), ("plain/", vec![])] {
        let (code, _, err) = run(srv.cmd(data.path()).args(["cp"]).args(&flags).args([
            format!("s3://{src}/held"),
            format!("s3://{dst}/{prefix}held"),
        ]));
        assert_eq!(code, 0, "{prefix}: {err}");
    }
    let head = |key: &'static str| {
        let (c, dst) = (c.clone(), dst.clone());
        async move {
            c.head_object()
                .bucket(&dst)
                .key(key)
                .send()
                .await
                .expect("head")
        }
    };
    let kept = head("kept/held").await;
    assert_eq!(kept.object_lock_mode(), Some(&ObjectLockMode::Governance));
    assert_eq!(
        kept.object_lock_retain_until_date().map(|t| t.secs()),
        Some(until.secs())
    );
    assert_eq!(
        kept.object_lock_legal_hold_status(),
        Some(&ObjectLockLegalHoldStatus::On)
    );
    let plain = head("plain/held").await;
    assert_eq!(plain.object_lock_mode(), None);
    assert_eq!(plain.object_lock_legal_hold_status(), None);
}

/// Retrying an all-versions move whose old version could not be deleted
/// (legal hold, lifted afterwards) sends the deletes again in order instead
/// of copying anything again: the destination history is unchanged.
#[tokio::test(flavor = "multi_thread")]
async fn retrying_a_failed_delete_deletes_and_does_not_copy_again() {
    use aws_sdk_s3::types::{ObjectLockLegalHold, ObjectLockLegalHoldStatus};
    use s3ferry::engine::{JobKind, JobState, PlanOptions};
    let srv = sandbox();
    let c = srv.client();
    let src = lock_bucket(srv, "retry", None).await;
    let dst = srv.bucket("retry-dst", true).await;
    let mut versions = Vec::new();
    for body in ["one", "two", "three"] {
        let r = c
            .put_object()
            .bucket(&src)
            .key("doc")
            .content_md5(md5_base64(body.as_bytes()))
            .body(ByteStream::from(body.as_bytes().to_vec()))
            .send()
            .await
            .expect("put");
        versions.push(r.version_id().unwrap_or_default().to_string());
    }
    let hold = |status: ObjectLockLegalHoldStatus| {
        let (c, src, v) = (c.clone(), src.clone(), versions[0].clone());
        async move {
            c.put_object_legal_hold()
                .bucket(&src)
                .key("doc")
                .version_id(v)
                .legal_hold(ObjectLockLegalHold::builder().status(status).build())
                .send()
                .await
                .expect("legal hold");
        }
    };
    hold(ObjectLockLegalHoldStatus::On).await;
    let data = tempfile::tempdir().expect("tmp");
    let engine = engine_in(data.path());
    let mut spec = job_spec(
        JobKind::Move,
        &format!("s3://{src}/"),
        &format!("s3://{dst}/"),
        &srv.settings(),
    );
    spec.plan = PlanOptions {
        all_versions: true,
        ..Default::default()
    };
    let id = engine.submit(spec).await.expect("submit");
    let first = engine.wait(id).await.expect("snapshot");
    assert_eq!(first.state, JobState::Failed, "{first:?}");
    assert_eq!(
        get(&c, &src, "doc").await,
        b"three".to_vec(),
        "current kept"
    );
    let want = vec!["three".to_string(), "two".into(), "one".into()];
    assert_eq!(history(&c, &dst, "doc").await, want);

    hold(ObjectLockLegalHoldStatus::Off).await;
    engine.retry_failed(id).await.expect("retry");
    let second = engine.wait(id).await.expect("snapshot");
    assert_eq!(second.state, JobState::Completed, "{second:?}");
    assert!(
        history(&c, &src, "doc").await.is_empty(),
        "every version moved"
    );
    assert_eq!(history(&c, &dst, "doc").await, want, "nothing copied twice");
}
