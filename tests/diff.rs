//! `s3ferry diff` against moto and the sandbox.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn diff_categorises_keys_and_sets_the_exit_code() {
    for srv in servers() {
        let c = srv.client();
        let a = srv.bucket("diff-a", false).await;
        let b = srv.bucket("diff-b", false).await;
        for (k, v) in [
            ("only-src", "1"),
            ("same", "same"),
            ("size", "short"),
            ("etag", "aaaa"),
            ("sub/x", "x"),
        ] {
            put(&c, &a, &format!("p/{k}"), v).await;
        }
        for (k, v) in [
            ("same", "same"),
            ("size", "longer!"),
            ("etag", "bbbb"),
            ("sub/x", "x"),
            ("zz-only-dst", "2"),
        ] {
            put(&c, &b, &format!("q/{k}"), v).await;
        }
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, err) = run(srv.cmd(data.path()).args([
            "diff",
            "--json",
            &format!("s3://{a}/p/"),
            &format!("s3://{b}/q/"),
        ]));
        assert_eq!(code, 1, "{}: differences exit 1: {err}", srv.name());
        let lines = json_lines(&out);
        let last = lines.last().expect("summary");
        assert_eq!(
            (
                last["only_src"].as_u64(),
                last["only_dst"].as_u64(),
                last["different"].as_u64(),
                last["same"].as_u64()
            ),
            (Some(1), Some(1), Some(2), Some(2)),
            "{}: {last}",
            srv.name()
        );
        let status = |key: &str| {
            lines
                .iter()
                .find(|l| l["key"] == key)
                .map(|l| l["status"].as_str().unwrap_or_default().to_string())
        };
        assert_eq!(status("only-src").as_deref(), Some("only_src"));
        assert_eq!(status("zz-only-dst").as_deref(), Some("only_dst"));
        assert_eq!(status("size").as_deref(), Some("different"));
        assert_eq!(status("etag").as_deref(), Some("different"));
        assert_eq!(status("same"), None, "same keys are only counted");

        // After a sync the two sides are identical: exit 0.
        let (code, _, err) = run(srv.cmd(data.path()).args([
            "sync",
            "--delete",
            "--no-progress",
            &format!("s3://{a}/p/"),
            &format!("s3://{b}/q/"),
        ]));
        assert_eq!(code, 0, "{err}");
        let (code, out, _) = run(srv.cmd(data.path()).args([
            "diff",
            &format!("s3://{a}/p/"),
            &format!("s3://{b}/q/"),
        ]));
        assert_eq!(code, 0, "{}: {out}", srv.name());
        assert!(
            out.contains("0 only in source, 0 only in destination, 0 different, 5 same"),
            "{out}"
        );
        let (code, _, _) = run(srv.cmd(data.path()).args([
            "diff",
            "--checksum",
            &format!("s3://{a}/p/"),
            &format!("s3://{b}/q/"),
        ]));
        assert_eq!(code, 0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_versions_compares_histories() {
    for srv in servers() {
        let c = srv.client();
        let a = srv.bucket("dv-a", true).await;
        let b = srv.bucket("dv-b", true).await;
        for bucket in [&a, &b] {
            put(&c, bucket, "k", "one").await;
            put(&c, bucket, "k", "two").await;
        }
        s3ferry::s3::admin::delete_key(&c, &a, "k")
            .await
            .expect("marker");
        let data = tempfile::tempdir().expect("tmp");
        let (code, out, _) = run(srv.cmd(data.path()).args([
            "diff",
            "--versions",
            "--json",
            &format!("s3://{a}/"),
            &format!("s3://{b}/"),
        ]));
        assert_eq!(code, 1, "{}: {out}", srv.name());
        assert_eq!(json_lines(&out).last().expect("summary")["different"], 1);
        s3ferry::s3::admin::delete_key(&c, &b, "k")
            .await
            .expect("marker");
        let (code, out, _) = run(srv.cmd(data.path()).args([
            "diff",
            "--versions",
            &format!("s3://{a}/"),
            &format!("s3://{b}/"),
        ]));
        assert_eq!(code, 0, "{}: {out}", srv.name());
    }
}
