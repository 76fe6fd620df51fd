//! S3 Batch Operations hand-off: manifest and S3 parts against moto; S3
//! Control (CreateJob / DescribeJob) against recorded responses.

use crate::common;

use common::*;

const NS: &str = "http://awss3control.amazonaws.com/doc/2018-08-20/";

fn describe(job: &str, status: &str, total: u32, ok: u32, failed: u32) -> String {
    format!(
        "<?xml version=\"1.0\"?><DescribeJobResult xmlns=\"{NS}\"><Job><JobId>{job}</JobId><Priority>10</Priority>\
         <Status>{status}</Status><ProgressSummary><TotalNumberOfTasks>{total}</TotalNumberOfTasks>\
         <NumberOfTasksSucceeded>{ok}</NumberOfTasksSucceeded><NumberOfTasksFailed>{failed}</NumberOfTasksFailed>\
         <Timers><ElapsedTimeInActiveSeconds>42</ElapsedTimeInActiveSeconds></Timers></ProgressSummary>\
         <FailureReasons><member><FailureCode>SomeTasksFailed</FailureCode><FailureReason>1 task failed</FailureReason></member></FailureReasons>\
         </Job></DescribeJobResult>"
    )
}

fn control(job: &str, status: &str, total: u32, ok: u32, failed: u32) -> recorder::Recorder {
    recorder::start(vec![
        ("POST", "/v20180820/jobs".into(), 200, format!("<?xml version=\"1.0\"?><CreateJobResult xmlns=\"{NS}\"><JobId>{job}</JobId></CreateJobResult>")),
        ("GET", format!("/v20180820/jobs/{job}"), 200, describe(job, status, total, ok, failed)),
    ])
}

fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

/// Decode a manifest with Python's urllib (an independent decoder).
fn python_decode(manifest: &str) -> Vec<String> {
    let script = "import sys, urllib.parse\nfor line in sys.stdin.read().splitlines():\n    b, k = line.split(',')[:2]\n    print(repr(urllib.parse.unquote(k)))";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(manifest.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python output");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            // repr() of a str: strip quotes and undo Python escapes we can meet.
            let inner = &l[1..l.len() - 1];
            inner.replace("\\\\", "\\").replace("\\'", "'")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn submit_uploads_a_manifest_that_decodes_to_the_source_keys_and_creates_the_job() {
    let srv = moto();
    let c = srv.client();
    let src = srv.bucket("bo-src", false).await;
    let dst = srv.bucket("bo-dst", false).await;
    let rep = srv.bucket("bo-rep", false).await;
    let keys_in: Vec<String> = tricky_keys()
        .into_iter()
        .map(|k| format!("t/{k}"))
        .collect();
    for k in &keys_in {
        put(&c, &src, k, "x").await;
    }
    let ctl = control("job-0001", "Complete", 10, 10, 0);
    let data = tempfile::tempdir().expect("tmp");
    let out_file = data.path().join("manifest.csv");
    let (code, out, err) = run(srv.cmd(data.path()).args([
        "batch",
        "submit",
        &format!("s3://{src}/t/"),
        &format!("s3://{dst}/archive/t/"),
        "--role-arn",
        "arn:aws:iam::123456789012:role/batch",
        "--report",
        &format!("s3://{rep}/reports/"),
        "--manifest-out",
        out_file.to_str().expect("path"),
        "--priority",
        "7",
        "--storage-class",
        "STANDARD_IA",
        "--control-endpoint-url",
        &ctl.url,
        "--json",
    ]));
    assert_eq!(code, 0, "{err}\n{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(v["job_id"], "job-0001");
    assert_eq!(v["target_prefix"], "archive/");
    assert_eq!(v["objects"], keys_in.len());

    // The uploaded manifest, read back from moto, decodes to exactly the source keys.
    let manifest_url = v["manifest"].as_str().expect("manifest");
    let manifest_key = manifest_url
        .strip_prefix(&format!("s3://{rep}/"))
        .expect("in report bucket");
    assert!(
        manifest_key.starts_with("reports/manifests/"),
        "{manifest_key}"
    );
    let uploaded = String::from_utf8(get(&c, &rep, manifest_key).await).expect("utf8");
    assert_eq!(
        uploaded,
        std::fs::read_to_string(&out_file).expect("manifest-out")
    );
    let mut decoded = python_decode(&uploaded);
    decoded.sort();
    let mut want = keys_in.clone();
    want.sort();
    assert_eq!(decoded, want);
    assert!(uploaded
        .lines()
        .all(|l| l.starts_with(&format!("{src},")) && !l.contains(' ') && !l.contains('+')));

    // The CreateJob request carries every field.
    let reqs = ctl.requests.lock().expect("lock").clone();
    let create = reqs
        .iter()
        .find(|r| r.method == "POST")
        .expect("CreateJob sent");
    assert_eq!(create.path, "/v20180820/jobs");
    assert_eq!(
        create.header("x-amz-account-id"),
        Some("123456789012"),
        "account id from STS (moto)"
    );
    let b = &create.body;
    assert!(b.contains("<S3PutObjectCopy>"), "{b}");
    assert_eq!(
        tag(b, "TargetResource"),
        Some(format!("arn:aws:s3:::{dst}").as_str())
    );
    assert_eq!(tag(b, "TargetKeyPrefix"), Some("archive/"));
    assert_eq!(tag(b, "StorageClass"), Some("STANDARD_IA"));
    assert_eq!(tag(b, "Format"), Some("S3BatchOperations_CSV_20180820"));
    assert!(
        b.contains("<Fields><member>Bucket</member><member>Key</member></Fields>"),
        "{b}"
    );
    assert_eq!(
        tag(b, "ObjectArn"),
        Some(format!("arn:aws:s3:::{rep}/{manifest_key}").as_str())
    );
    let head = c
        .head_object()
        .bucket(&rep)
        .key(manifest_key)
        .send()
        .await
        .expect("head manifest");
    assert_eq!(tag(b, "ETag"), head.e_tag().map(|e| e.trim_matches('"')));
    let report = tag(b, "Report").expect("report");
    assert_eq!(
        tag(report, "Bucket"),
        Some(format!("arn:aws:s3:::{rep}").as_str())
    );
    assert_eq!(tag(report, "Prefix"), Some("reports"));
    assert_eq!(tag(report, "Enabled"), Some("true"));
    assert_eq!(tag(report, "ReportScope"), Some("AllTasks"));
    assert_eq!(
        tag(b, "RoleArn"),
        Some("arn:aws:iam::123456789012:role/batch")
    );
    assert_eq!(tag(b, "Priority"), Some("7"));
    assert_eq!(tag(b, "ConfirmationRequired"), Some("false"));
    assert!(tag(b, "ClientRequestToken").is_some_and(|t| t.len() >= 32));

    // DescribeJob, through `batch status`.
    let (code, out, err) = run(srv
        .cmd(data.path())
        .args(["batch", "status", "1", "--json"]));
    assert_eq!(code, 0, "{err}");
    let s: serde_json::Value =
        serde_json::from_str(out.lines().next().expect("line")).expect("json");
    assert_eq!(
        (
            s["status"].as_str(),
            s["total"].as_i64(),
            s["succeeded"].as_i64()
        ),
        (Some("Complete"), Some(10), Some(10))
    );
    assert_eq!(s["elapsed_seconds"], 42);
    assert_eq!(s["failure_reasons"][0], "SomeTasksFailed: 1 task failed");
    let describe = ctl
        .requests
        .lock()
        .expect("lock")
        .iter()
        .any(|r| r.method == "GET" && r.path == "/v20180820/jobs/job-0001");
    assert!(describe);
}

#[tokio::test(flavor = "multi_thread")]
async fn inexpressible_mappings_are_refused_before_anything_is_written() {
    let srv = moto();
    let c = srv.client();
    let src = srv.bucket("bo-a", false).await;
    let rep = srv.bucket("bo-r", false).await;
    put(&c, &src, "k/one", "1").await;
    let data = tempfile::tempdir().expect("tmp");
    let (code, _, err) = run(srv.cmd(data.path()).args([
        "batch",
        "submit",
        &format!("s3://{src}/k/"),
        &format!("s3://{rep}/other/"),
        "--role-arn",
        "arn:aws:iam::1:role/x",
        "--report",
        &format!("s3://{rep}/r/"),
        "--control-endpoint-url",
        "http://127.0.0.1:1",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("TargetKeyPrefix"), "{err}");
    assert!(
        err.contains(&format!("s3://{rep}/other/k/")),
        "names the nearest destination: {err}"
    );
    assert!(keys(&c, &rep, "").await.is_empty(), "nothing uploaded");
}

#[test]
fn objects_over_5_gib_are_left_out_of_the_manifest() {
    use s3ferry::journal::{EntryState, Journal, NewEntry};
    use s3ferry::plan::model::{Action, SourceMapping};
    let j = Journal::in_memory().expect("journal");
    let spec = s3ferry::engine::JobSpec {
        kind: s3ferry::engine::JobKind::Copy,
        mappings: vec![SourceMapping {
            source: "s3://a/p/".parse().expect("loc"),
            destination: "s3://b/x/p/".parse().expect("loc"),
            single_object: false,
        }],
        src_conn: Default::default(),
        dst_conn: Default::default(),
        plan: Default::default(),
        run: Default::default(),
    };
    let job = j.create_job(&spec).expect("job");
    let entry = |key: &str, size: u64| NewEntry {
        idx: 0,
        src_bucket: "a".into(),
        src_key: key.into(),
        version_id: None,
        size,
        etag: None,
        last_modified: None,
        storage_class: None,
        dst_bucket: "b".into(),
        dst_key: format!("x/{key}"),
        action: Action::Copy,
        delete_marker: false,
        state: EntryState::Pending,
        reason: None,
    };
    j.insert_page(
        job,
        0,
        &[entry("p/small", 10), entry("p/huge", 6 << 30)],
        None,
        true,
    )
    .expect("insert");
    let plan = s3ferry::cli::commands::batch::batch_plan(&j, job, &spec).expect("plan");
    assert_eq!(plan.objects, 1);
    assert_eq!(plan.manifest, "a,p/small\n");
    assert_eq!(plan.target_prefix, "x/");
    assert_eq!(plan.excluded.len(), 1);
    assert_eq!(plan.excluded[0].0, "p/huge");
    assert!(plan.excluded[0].1.contains("5 GiB"));
}

#[tokio::test(flavor = "multi_thread")]
async fn report_lists_failures_and_move_deletes_only_checked_successes() {
    let srv = moto();
    let c = srv.client();
    let src = srv.bucket("bm-src", false).await;
    let dst = srv.bucket("bm-dst", false).await;
    let rep = srv.bucket("bm-rep", false).await;
    for k in ["m/a", "m/b b", "m/c"] {
        put(&c, &src, k, format!("body {k}")).await;
    }
    let ctl = control("job-move", "Complete", 3, 2, 1);
    let data = tempfile::tempdir().expect("tmp");
    let (code, _, err) = run(srv.cmd(data.path()).args([
        "batch",
        "submit",
        &format!("s3://{src}/m/"),
        &format!("s3://{dst}/m/"),
        "--move",
        "--role-arn",
        "arn:aws:iam::123456789012:role/batch",
        "--report",
        &format!("s3://{rep}/r/"),
        "--account-id",
        "111122223333",
        "--control-endpoint-url",
        &ctl.url,
    ]));
    assert_eq!(code, 0, "{err}");
    // What the Batch job would have done: copy a and "b b"; c failed.
    for k in ["m/a", "m/b b"] {
        put(&c, &dst, k, format!("body {k}")).await;
    }
    let results = format!(
        "{src},m/a,,succeeded,200,,Successful\n{src},m/b%20b,,succeeded,200,,Successful\n{src},m/c,,failed,AccessDenied,403,Access Denied\n"
    );
    put(&c, &rep, "r/job-job-move/results/x.csv", results).await;
    let manifest = format!(
        "{{\"Format\":\"Report_CSV_20180820\",\"ReportCreationDate\":\"2026-11-24T00:00:00Z\",\"Results\":[{{\"TaskExecutionStatus\":\"succeeded\",\"Bucket\":\"{rep}\",\"MD5Checksum\":\"x\",\"Key\":\"r/job-job-move/results/x.csv\"}}],\"ReportSchema\":\"Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage\"}}"
    );
    put(&c, &rep, "r/job-job-move/manifest.json", manifest).await;

    let (code, out, _) = run(srv.cmd(data.path()).args(["batch", "report", "job-move"]));
    assert_eq!(code, 1, "a failed task: {out}");
    assert!(
        out.contains(&format!(
            "failed: s3://{src}/m/c AccessDenied: Access Denied"
        )),
        "{out}"
    );
    assert!(out.contains("2 task(s) succeeded, 1 failed"), "{out}");

    let reqs_before = ctl.requests.lock().expect("lock").len();
    let (code, out, err) = run(srv
        .cmd(data.path())
        .args(["batch", "status", "1", "--watch"]));
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.contains("2 source(s) deleted"), "{out}");
    assert!(ctl.requests.lock().expect("lock").len() > reqs_before);
    let left: Vec<String> = keys(&c, &src, "").await;
    assert_eq!(
        left,
        vec!["m/c".to_string()],
        "only checked successes were deleted"
    );
    assert_eq!(
        ctl.requests
            .lock()
            .expect("lock")
            .iter()
            .find(|r| r.method == "POST")
            .and_then(|r| r.header("x-amz-account-id").map(str::to_string))
            .as_deref(),
        Some("111122223333")
    );
}

/// The library function the TUI's "run on S3 Batch Operations" calls (and
/// `batch submit` too): plan, manifest, CreateJob, journal record; then the
/// DescribeJob the TUI's transfers panel polls with.
#[tokio::test(flavor = "multi_thread")]
async fn shared_submit_creates_the_job_and_journals_it() {
    use s3ferry::engine::batch::submit::{submit, Refused, SubmitRequest};
    use s3ferry::engine::{JobKind, JobSpec};
    use s3ferry::journal::Journal;
    use s3ferry::plan::model::SourceMapping;
    use s3ferry::s3::ConnectionPool;

    let srv = moto();
    let c = srv.client();
    let src = srv.bucket("bs-src", false).await;
    let dst = srv.bucket("bs-dst", false).await;
    let rep = srv.bucket("bs-rep", false).await;
    for k in ["t/a b", "t/sub/c+d", "t/e"] {
        put(&c, &src, k, "xyz").await;
    }
    let ctl = control("job-tui-1", "Active", 3, 1, 0);
    let data = tempfile::tempdir().expect("tmp");
    let journal = Journal::open(&data.path().join("journal.db")).expect("journal");
    let pool = ConnectionPool::new();
    let request = |src_prefix: &str, dst_prefix: &str| SubmitRequest {
        spec: JobSpec {
            kind: JobKind::Move,
            mappings: vec![SourceMapping {
                source: format!("s3://{src}/{src_prefix}").parse().expect("loc"),
                destination: format!("s3://{dst}/{dst_prefix}").parse().expect("loc"),
                single_object: false,
            }],
            src_conn: srv.settings(),
            dst_conn: srv.settings(),
            plan: Default::default(),
            run: Default::default(),
        },
        role_arn: "arn:aws:iam::123456789012:role/batch".into(),
        report: format!("s3://{rep}/ops/").parse().expect("loc"),
        manifest_to: None,
        account_id: Some("111122223333".into()),
        priority: 3,
        storage_class: None,
        move_sources: true,
        control_endpoint: Some(ctl.url.clone()),
    };

    // What Batch Operations cannot express is refused before anything is written.
    let err = submit(&pool, &journal, &request("t/", "other/"))
        .await
        .expect_err("refused");
    let refused = err.downcast_ref::<Refused>().expect("a Refused error");
    assert!(
        refused.0.contains(&format!("s3://{dst}/other/t/")),
        "{refused}"
    );
    assert!(keys(&c, &rep, "").await.is_empty(), "nothing uploaded");
    assert!(
        ctl.requests.lock().expect("lock").is_empty(),
        "no CreateJob"
    );
    assert!(journal.batches(10).expect("list").is_empty());

    let done = submit(&pool, &journal, &request("t/", "archive/t/"))
        .await
        .expect("submitted");
    let r = &done.record;
    assert_eq!(done.id, 1);
    assert_eq!(r.remote_id, "job-tui-1");
    assert_eq!(r.account_id, "111122223333");
    assert_eq!(r.target_prefix, "archive/");
    assert_eq!((r.objects, r.bytes), (3, 9));
    assert!(r.move_sources && r.spec.kind == JobKind::Move);
    assert!(done.excluded.is_empty());

    // The manifest decodes to the source keys; the request names it.
    let manifest_key = r
        .manifest
        .strip_prefix(&format!("s3://{rep}/"))
        .expect("in the report bucket");
    assert!(manifest_key.starts_with("ops/manifests/"), "{manifest_key}");
    let uploaded = String::from_utf8(get(&c, &rep, manifest_key).await).expect("utf8");
    let mut decoded = python_decode(&uploaded);
    decoded.sort();
    assert_eq!(decoded, vec!["t/a b", "t/e", "t/sub/c+d"]);
    let reqs = ctl.requests.lock().expect("lock").clone();
    let create = reqs.iter().find(|r| r.method == "POST").expect("CreateJob");
    assert_eq!(create.header("x-amz-account-id"), Some("111122223333"));
    assert_eq!(tag(&create.body, "TargetKeyPrefix"), Some("archive/"));
    assert_eq!(tag(&create.body, "Priority"), Some("3"));
    assert_eq!(
        tag(&create.body, "ObjectArn"),
        Some(format!("arn:aws:s3:::{rep}/{manifest_key}").as_str())
    );
    assert_eq!(
        tag(tag(&create.body, "Report").expect("report"), "Prefix"),
        Some("ops")
    );

    // Journaled (without secrets): the transfers panel lists it, `batch status 1` finds it.
    let mut journaled = r.clone();
    journaled.spec.src_conn.secret_access_key = None;
    journaled.spec.dst_conn.secret_access_key = None;
    let listed = journal.batches(10).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, 1);
    assert_eq!(listed[0].record, journaled);
    assert_eq!(listed[0].move_job, None);
    let (id, found, _) = journal.batch("job-tui-1").expect("read").expect("found");
    assert_eq!((id, found), (1, journaled));

    // DescribeJob as the TUI polls it.
    let conn = pool.get(&srv.settings()).await.expect("conn");
    let client = s3ferry::s3::BatchControl::new(&conn, &r.region, r.control_endpoint.as_deref());
    let status = client
        .describe_job(&r.account_id, &r.remote_id)
        .await
        .expect("described");
    assert_eq!(
        (
            status.status.as_str(),
            status.total,
            status.succeeded,
            status.is_finished()
        ),
        ("Active", 3, 1, false)
    );
}
