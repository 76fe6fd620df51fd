//! Foundation: exact listings, bucket status and errors, against the sandbox
//! and moto over HTTP.

use crate::common;

use common::*;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn ls_json_returns_every_tricky_key_exactly() {
    for srv in servers() {
        let c = srv.client();
        let b = srv.bucket("tricky", false).await;
        for k in tricky_keys() {
            put(&c, &b, &k, k.as_bytes().to_vec()).await;
        }
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) =
            run(srv
                .cmd(data.path())
                .args(["ls", "--recursive", "--json", &format!("s3://{b}")]));
        assert_eq!(code, 0, "{}: {err}", srv.name());
        let ours: Vec<String> = json_lines(&out)
            .iter()
            .map(|v| v["key"].as_str().expect("key").to_string())
            .collect();
        // The AWS CLI (botocore, an independent client) as the reference.
        let (code, aws_out, aws_err) = run(aws_cli().args([
            "--endpoint-url",
            &srv.url,
            "s3api",
            "list-objects-v2",
            "--bucket",
            &b,
            "--output",
            "json",
        ]));
        assert_eq!(code, 0, "aws cli: {aws_err}");
        let v: serde_json::Value = serde_json::from_str(&aws_out).expect("aws json");
        let theirs: Vec<String> = v["Contents"]
            .as_array()
            .expect("contents")
            .iter()
            .map(|o| o["Key"].as_str().expect("Key").to_string())
            .collect();
        assert_eq!(ours, theirs, "{}", srv.name());
        let mut want = tricky_keys();
        want.sort();
        let mut got = ours.clone();
        got.sort();
        assert_eq!(got, want, "{}", srv.name());
        for line in json_lines(&out) {
            for field in ["size", "last_modified", "etag", "storage_class"] {
                assert!(line.get(field).is_some(), "{field} missing in {line}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_delimits_and_lists_versions() {
    for srv in servers() {
        let c = srv.client();
        let b = srv.bucket("vers", true).await;
        for i in 0..3 {
            put(&c, &b, "doc.txt", format!("v{i}")).await;
        }
        put(&c, &b, "sub/x", "x").await;
        s3ferry::s3::admin::delete_key(&c, &b, "doc.txt")
            .await
            .expect("delete marker");
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) =
            run(srv
                .cmd(data.path())
                .args(["ls", "--json", &format!("s3://{b}/")]));
        assert_eq!(code, 0, "{err}");
        let lines = json_lines(&out);
        assert_eq!(
            lines,
            vec![serde_json::json!({"prefix": "sub/"})],
            "{}: doc.txt is deleted",
            srv.name()
        );

        let (code, out, err) = run(srv.cmd(data.path()).args([
            "ls",
            "--versions",
            "--recursive",
            "--json",
            &format!("s3://{b}"),
        ]));
        assert_eq!(code, 0, "{err}");
        let lines = json_lines(&out);
        let doc: Vec<&serde_json::Value> = lines.iter().filter(|l| l["key"] == "doc.txt").collect();
        assert_eq!(
            doc.len(),
            4,
            "{}: 3 versions + 1 delete marker: {lines:?}",
            srv.name()
        );
        assert_eq!(doc[0]["delete_marker"], true);
        assert_eq!(doc[0]["is_latest"], true);
        assert!(doc[1..]
            .iter()
            .all(|l| l["delete_marker"] == false && l["is_latest"] == false));
        assert!(doc.iter().all(|l| l["version_id"].is_string()));
    }
}

async fn configure_replication(srv: &Server) -> (String, String) {
    let src = srv.bucket("repl-src", true).await;
    let dst = srv.bucket("repl-dst", true).await;
    let cfg = serde_json::json!({
        "Role": "arn:aws:iam::123456789012:role/replication",
        "Rules": [{
            "ID": "to-backup", "Priority": 1, "Status": "Enabled",
            "Filter": {"Prefix": "logs/"},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": format!("arn:aws:s3:::{dst}"), "StorageClass": "STANDARD_IA"}
        }]
    });
    let (code, _, err) = run(aws_cli().args([
        "--endpoint-url",
        &srv.url,
        "s3api",
        "put-bucket-replication",
        "--bucket",
        &src,
        "--replication-configuration",
        &cfg.to_string(),
    ]));
    assert_eq!(code, 0, "{}: put-bucket-replication: {err}", srv.name());
    (src, dst)
}

#[tokio::test(flavor = "multi_thread")]
async fn status_reports_versioning_and_replication_as_configured() {
    for srv in servers() {
        let c = srv.client();
        let never = srv.bucket("never", false).await;
        let enabled = srv.bucket("enabled", true).await;
        let suspended = srv.bucket("suspended", true).await;
        s3ferry::s3::admin::set_versioning(&c, &suspended, false)
            .await
            .expect("suspend");
        let data = tempfile::tempdir().expect("tmp");
        for (b, want) in [
            (&never, "Never"),
            (&enabled, "Enabled"),
            (&suspended, "Suspended"),
        ] {
            let (code, out, err) =
                run(srv
                    .cmd(data.path())
                    .args(["status", "--json", &format!("s3://{b}")]));
            assert_eq!(code, 0, "{err}");
            let v: serde_json::Value = serde_json::from_str(&out).expect("json");
            assert_eq!(v["bucket"], b.as_str());
            assert_eq!(v["region"], "us-east-1");
            assert_eq!(v["versioning"]["status"], want, "{}: {v}", srv.name());
            for f in ["replication", "ownership", "encryption", "object_lock"] {
                assert!(v.get(f).is_some(), "{f} missing");
            }
            assert_eq!(
                v["replication"]["state"],
                "not_configured",
                "{}: {v}",
                srv.name()
            );
        }
        let (src, dst) = configure_replication(srv).await;
        let (code, out, err) =
            run(srv
                .cmd(data.path())
                .args(["status", "--json", &format!("s3://{src}")]));
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        let r = &v["replication"];
        // What an independent client (the AWS CLI) reads back from the server
        // is the reference; moto, for one, drops the filter and storage class.
        let (code, aws_out, aws_err) = run(aws_cli().args([
            "--endpoint-url",
            &srv.url,
            "s3api",
            "get-bucket-replication",
            "--bucket",
            &src,
            "--output",
            "json",
        ]));
        assert_eq!(code, 0, "{aws_err}");
        let theirs: serde_json::Value = serde_json::from_str(&aws_out).expect("aws json");
        let cfg = &theirs["ReplicationConfiguration"];
        let their_rule = &cfg["Rules"][0];
        assert_eq!(r["role"], cfg["Role"], "{}: {v}", srv.name());
        let rule = &r["rules"][0];
        assert_eq!(rule["id"], their_rule["ID"]);
        assert_eq!(rule["id"], "to-backup");
        assert_eq!(rule["status"], "Enabled");
        assert_eq!(rule["priority"], 1);
        assert_eq!(rule["destination_bucket"], dst.as_str());
        assert_eq!(rule["delete_marker_replication"], false);
        let their_prefix = their_rule["Filter"]["Prefix"].as_str().unwrap_or("");
        let want_filter = if their_prefix.is_empty() {
            "everything".to_string()
        } else {
            format!("prefix {their_prefix:?}")
        };
        assert_eq!(rule["filter"], want_filter.as_str(), "{}", srv.name());
        assert_eq!(
            rule["destination_storage_class"],
            their_rule["Destination"]["StorageClass"],
            "{}",
            srv.name()
        );
        if srv.kind == Kind::Sandbox {
            assert_eq!(rule["filter"], "prefix \"logs/\"");
            assert_eq!(rule["destination_storage_class"], "STANDARD_IA");
        }
        // Human output names the rule in plain words.
        let (code, out, _) = run(srv
            .cmd(data.path())
            .args(["status", &format!("s3://{src}")]));
        assert_eq!(code, 0);
        assert!(out.contains("to-backup [Enabled] priority 1: "), "{out}");
        assert!(out.contains(&format!("-> bucket {dst}")), "{out}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn status_says_not_supported_for_a_missing_feature() {
    for srv in servers() {
        let b = srv.bucket("nosupport", false).await;
        let proxy = proxy::start(
            &srv.url,
            proxy::Faults {
                not_implemented_query: Some("object-lock".into()),
                ..Default::default()
            },
        );
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) = run(ferry_cmd(&proxy.url, data.path()).args([
            "status",
            "--json",
            &format!("s3://{b}"),
        ]));
        assert_eq!(code, 0, "one missing feature never fails the report: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        assert_eq!(v["object_lock"]["state"], "not_supported", "{v}");
        assert_eq!(
            v["object_lock"]["message"],
            "not supported by this endpoint"
        );
        assert_eq!(v["versioning"]["status"], "Never");
        let (_, human, _) =
            run(ferry_cmd(&proxy.url, data.path()).args(["status", &format!("s3://{b}")]));
        assert!(
            human.contains("object lock   not supported by this endpoint"),
            "{human}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn status_objects_summarises_replication_status() {
    let srv = moto();
    let c = srv.client();
    let b = srv.bucket("objs", false).await;
    for i in 0..5 {
        put(&c, &b, &format!("p/{i}"), "x").await;
    }
    let data = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run(srv.cmd(data.path()).args([
        "status",
        "--json",
        "--objects",
        "p/",
        &format!("s3://{b}"),
    ]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["objects"]["scanned"], 5, "{v}");
    assert_eq!(v["objects"]["none"], 5, "{v}");
}

fn one_line_error(err: &str) {
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "exactly one line: {err:?}");
    assert!(lines[0].starts_with("error: "), "{err:?}");
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_are_one_clear_line_with_the_right_exit_code() {
    let data = tempfile::tempdir().expect("tmp");
    for srv in servers() {
        let (code, _, err) = run(srv
            .cmd(data.path())
            .args(["ls", "s3://no-such-bucket-s3ferry"]));
        assert_eq!(code, 1, "{}", srv.name());
        one_line_error(&err);
        assert!(
            err.contains("bucket \"no-such-bucket-s3ferry\" does not exist (NoSuchBucket)"),
            "{}: {err}",
            srv.name()
        );
        let (code, _, err) = run(srv
            .cmd(data.path())
            .args(["status", "s3://no-such-bucket-s3ferry"]));
        assert_eq!(code, 1);
        one_line_error(&err);
    }
    // Malformed URIs and bad flags are usage errors.
    for args in [
        vec!["ls", "http://x/y"],
        vec!["ls", "s3://"],
        vec!["cp", "s3://a/b"],
        vec!["ls", "--bogus"],
    ] {
        let (code, _, err) = run(sandbox().cmd(data.path()).args(&args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    // An unreachable endpoint fails fast with a clear message.
    let start = Instant::now();
    let (code, _, err) = run(ferry_cmd("http://127.0.0.1:1", data.path()).args(["ls", "s3://b"]));
    assert_eq!(code, 1);
    one_line_error(&err);
    assert!(err.contains("cannot reach the endpoint"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn access_denied_is_one_clear_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let (tx, rx) = std::sync::mpsc::channel();
    spawn_bg(async move {
        let sb = s3ferry::sandbox::Sandbox::start(s3ferry::sandbox::SandboxOptions {
            credentials: Some(("right".into(), "secret".into())),
            ..Default::default()
        })
        .await
        .expect("sandbox");
        let _ = tx.send(sb.url());
        tokio::time::sleep(Duration::from_secs(120)).await;
        drop(sb);
    });
    let url = rx.recv_timeout(Duration::from_secs(10)).expect("url");
    let (code, _, err) = run(ferry_cmd(&url, dir.path()).args(["ls"]));
    assert_eq!(code, 1);
    one_line_error(&err);
    assert!(
        err.to_lowercase().contains("access denied") || err.contains("InvalidAccessKeyId"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn status_checks_what_replication_rules_need() {
    for srv in servers() {
        let c = srv.client();
        let (src, dst) = configure_replication(srv).await;
        // Objects written before the rule existed carry no replication status.
        put(&c, &src, "logs/a", "a").await;
        put(&c, &src, "other/b", "b").await;
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "status",
            "--json",
            "--objects",
            "",
            &format!("s3://{src}"),
        ]));
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        let check = &v["replication_checks"][0];
        assert_eq!(check["rule"], "to-backup", "{v}");
        assert_eq!(check["destination_bucket"], dst.as_str());
        assert_eq!(check["destination_versioning"], "Enabled");
        assert_eq!(check["destination_reachable"], true);
        assert_eq!(check["delete_markers_replicate"], false);
        assert_eq!(
            check["problems"],
            serde_json::json!([]),
            "{}: {v}",
            srv.name()
        );
        let covered_prefix_known = v["replication"]["rules"][0]["filter"] != "everything";
        let want_missing = if covered_prefix_known { 1 } else { 2 };
        assert_eq!(v["objects"]["missing"], want_missing, "{}: {v}", srv.name());
        assert!(v["objects"]["missing_keys"]
            .as_array()
            .is_some_and(|k| k.contains(&serde_json::json!("logs/a"))));

        s3ferry::s3::admin::set_versioning(&c, &dst, false)
            .await
            .expect("suspend");
        let (code, out, _) =
            run(srv
                .cmd(data.path())
                .args(["status", "--objects", "", &format!("s3://{src}")]));
        assert_eq!(code, 0);
        assert!(
            out.contains("has versioning Suspended; replication needs it Enabled"),
            "{}: {out}",
            srv.name()
        );
        assert!(out.contains("S3 Batch Replication"), "{out}");
    }
}

#[test]
fn demo_shows_the_seeded_buckets() {
    let data = tempfile::tempdir().expect("tmp");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_s3ferry"));
    test_env(&mut cmd, data.path());
    let (code, out, err) = run(cmd.args(["demo", "--no-tui"]));
    assert_eq!(code, 0, "{err}");
    for b in [
        "== s3://prod-assets/",
        "== s3://backup-assets/",
        "== s3://archive/",
    ] {
        assert!(out.contains(b), "{b} missing in:\n{out}");
    }
    assert!(out.contains("replication   1 rule(s)"), "{out}");
    assert!(out.contains("versioning    Enabled"), "{out}");
    assert!(out.contains("PRE  images/"), "{out}");
}

#[test]
fn an_out_of_range_config_value_is_a_usage_error_naming_its_key() {
    let data = tempfile::tempdir().expect("tmp");
    std::fs::write(
        data.path().join("config.toml"),
        "[engine]\npart_size = \"1MiB\"\n",
    )
    .expect("config");
    let (code, _, err) =
        run(ferry_cmd(&sandbox().url, data.path()).args(["cp", "s3://a/x/", "s3://b/y/"]));
    assert_eq!(code, 2, "{err}");
    one_line_error(&err);
    assert!(
        err.contains("[engine] part_size must be between 5MiB and 5GiB"),
        "{err}"
    );
    // A flag that overrides it is judged as the flag.
    let (code, _, err) = run(ferry_cmd(&sandbox().url, data.path()).args([
        "cp",
        "--part-size",
        "1MiB",
        "s3://a/x/",
        "s3://b/y/",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--part-size must be between 5MiB and 5GiB"),
        "{err}"
    );
}
