//! `s3ferry diff` against moto and the sandbox.

use crate::common;

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

const PART: usize = 5 * 1024 * 1024;

/// A 10 MiB object uploaded in two 5 MiB parts of `byte` (so its ETag is a
/// multipart one, not an MD5), with a CRC32 full-object checksum when `crc32`.
async fn put_multipart(c: &aws_sdk_s3::Client, bucket: &str, key: &str, byte: u8, crc32: bool) {
    use aws_sdk_s3::types::{
        ChecksumAlgorithm, ChecksumType, CompletedMultipartUpload, CompletedPart,
    };
    let mut create = c.create_multipart_upload().bucket(bucket).key(key);
    if crc32 {
        create = create
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .checksum_type(ChecksumType::FullObject);
    }
    let up = create.send().await.expect("create multipart upload");
    let id = up.upload_id().expect("upload id").to_string();
    let mut parts = Vec::new();
    for n in 1..=2 {
        let mut req = c
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(&id)
            .part_number(n)
            .body(aws_sdk_s3::primitives::ByteStream::from(vec![byte; PART]));
        if crc32 {
            req = req.checksum_algorithm(ChecksumAlgorithm::Crc32);
        }
        let r = req.send().await.expect("upload part");
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .set_e_tag(r.e_tag().map(str::to_string))
                .set_checksum_crc32(r.checksum_crc32().map(str::to_string))
                .build(),
        );
    }
    c.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .expect("complete multipart upload");
}

/// CRC32 (IEEE) as S3 sends it: base64 of the big-endian value.
fn crc32_b64(data: &[u8]) -> String {
    use base64::Engine;
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    base64::engine::general_purpose::STANDARD.encode((!c).to_be_bytes())
}

/// A single-part SSE-KMS object (its ETag is not an MD5 on AWS), with a CRC32
/// checksum when `crc32` (its value sent as a header: the sandbox keeps no
/// checksum the SDK sends as an aws-chunked trailer from a "when required"
/// client, and moto keeps one only when the algorithm is named too).
async fn put_kms(c: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>, crc32: bool) {
    use aws_sdk_s3::types::{ChecksumAlgorithm, ServerSideEncryption};
    c.put_object()
        .bucket(bucket)
        .key(key)
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .set_checksum_algorithm(crc32.then_some(ChecksumAlgorithm::Crc32))
        .set_checksum_crc32(crc32.then(|| crc32_b64(&body)))
        .body(aws_sdk_s3::primitives::ByteStream::from(body))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}

fn by_key<'a>(
    lines: &'a [serde_json::Value],
    field: &str,
    key: &str,
) -> Option<&'a serde_json::Value> {
    lines.iter().find(|l| l[field] == key)
}

fn status_of(lines: &[serde_json::Value], key: &str) -> Option<String> {
    by_key(lines, "key", key).and_then(|l| l["status"].as_str().map(str::to_string))
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_same_size_multipart_objects_are_not_comparable() {
    for srv in servers() {
        let name = srv.name();
        let c = srv.client();
        let a = srv.bucket("dmp-a", false).await;
        let b = srv.bucket("dmp-b", false).await;
        put_multipart(&c, &a, "p/mp", b'a', false).await;
        put_multipart(&c, &b, "q/mp", b'b', false).await;
        put(&c, &a, "p/same", "same").await;
        put(&c, &b, "q/same", "same").await;
        let (src, dst) = (format!("s3://{a}/p/"), format!("s3://{b}/q/"));
        let data = tempfile::tempdir().expect("tmp");

        let (code, out, err) = run(srv.cmd(data.path()).args(["diff", "--json", &src, &dst]));
        assert_eq!(
            code, 1,
            "{name}: not comparable is not the same: {out} {err}"
        );
        let lines = json_lines(&out);
        assert_eq!(
            status_of(&lines, "mp").as_deref(),
            Some("unknown"),
            "{name}: {out}"
        );
        let detail = by_key(&lines, "key", "mp").expect("mp")["detail"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(detail.contains("multipart"), "{name}: {detail}");
        let last = lines.last().expect("summary");
        assert_eq!(
            (
                last["different"].as_u64(),
                last["same"].as_u64(),
                last["unknown"].as_u64()
            ),
            (Some(0), Some(1), Some(1)),
            "{name}: {last}"
        );

        let (code, out, _) = run(srv.cmd(data.path()).args(["diff", &src, &dst]));
        assert_eq!(code, 1, "{name}: {out}");
        assert!(
            out.lines()
                .any(|l| l.starts_with("not comparable") && l.contains(" mp  (same size;")),
            "{name}: {out}"
        );
        assert!(
            out.contains("0 different, 1 same, 1 not comparable"),
            "{name}: {out}"
        );

        // --size-only: equal size is enough.
        let (code, out, _) = run(srv
            .cmd(data.path())
            .args(["diff", "--size-only", &src, &dst]));
        assert_eq!(code, 0, "{name}: {out}");
        assert!(
            out.contains("0 different, 2 same (1 by size only), 0 not comparable"),
            "{name}: {out}"
        );

        // --checksum: neither object has a full-object checksum.
        let (code, out, _) =
            run(srv
                .cmd(data.path())
                .args(["diff", "--checksum", "--json", &src, &dst]));
        assert_eq!(code, 1, "{name}: {out}");
        let lines = json_lines(&out);
        assert_eq!(
            status_of(&lines, "mp").as_deref(),
            Some("unknown"),
            "{name}: {out}"
        );
        let last = lines.last().expect("summary");
        assert_eq!(last["unknown"].as_u64(), Some(1), "{name}: {last}");
        assert_eq!(
            last["not_comparable_by_checksum"].as_u64(),
            Some(2),
            "{name}: {last}"
        );
        let (_, out, _) = run(srv
            .cmd(data.path())
            .args(["diff", "--checksum", &src, &dst]));
        assert!(
            out.contains("; 2 same-size pair(s) not comparable by checksum"),
            "{name}: {out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_compares_full_object_checksums_where_etags_are_opaque() {
    for srv in servers() {
        let name = srv.name();
        let c = srv.client();
        let a = srv.bucket("dck-a", false).await;
        let b = srv.bucket("dck-b", false).await;
        put_multipart(&c, &a, "p/mp", b'a', true).await;
        put_multipart(&c, &b, "q/mp", b'b', true).await;
        put_multipart(&c, &a, "p/mp-same", b'c', true).await;
        put_multipart(&c, &b, "q/mp-same", b'c', true).await;
        // KMS: the listing's MD5-looking ETags differ, but they are no MD5s.
        put_kms(&c, &a, "p/kms", vec![b'd'; 1000], true).await;
        put_kms(&c, &b, "q/kms", vec![b'e'; 1000], true).await;
        put_kms(&c, &a, "p/kms-nosum", vec![b'f'; 1000], false).await;
        put_kms(&c, &b, "q/kms-nosum", vec![b'g'; 1000], false).await;
        put(&c, &a, "p/plain", "hhhh").await;
        put(&c, &b, "q/plain", "iiii").await;
        let (src, dst) = (format!("s3://{a}/p/"), format!("s3://{b}/q/"));
        let data = tempfile::tempdir().expect("tmp");

        let (code, out, err) = run(srv.cmd(data.path()).args(["diff", "--json", &src, &dst]));
        assert_eq!(code, 1, "{name}: {err}");
        let lines = json_lines(&out);
        let detail = |k: &str| {
            by_key(&lines, "key", k).map(|l| l["detail"].as_str().unwrap_or_default().to_string())
        };
        assert_eq!(
            status_of(&lines, "mp").as_deref(),
            Some("unknown"),
            "{name}: {out}"
        );
        assert_eq!(
            status_of(&lines, "mp-same"),
            None,
            "{name}: equal ETags are the same"
        );
        assert_eq!(
            status_of(&lines, "kms").as_deref(),
            Some("different"),
            "{name}: {out}"
        );
        assert_eq!(detail("kms").as_deref(), Some("CRC32 checksum differs"));
        assert_eq!(
            status_of(&lines, "kms-nosum").as_deref(),
            Some("unknown"),
            "{name}: {out}"
        );
        assert!(
            detail("kms-nosum")
                .unwrap_or_default()
                .contains("SSE-KMS ETags are not MD5s"),
            "{name}: {out}"
        );
        assert_eq!(
            status_of(&lines, "plain").as_deref(),
            Some("different"),
            "{name}: {out}"
        );
        assert_eq!(detail("plain").as_deref(), Some("ETag differs"));

        let (code, out, _) =
            run(srv
                .cmd(data.path())
                .args(["diff", "--checksum", "--json", &src, &dst]));
        assert_eq!(code, 1, "{name}: {out}");
        let lines = json_lines(&out);
        let last = lines.last().expect("summary");
        match srv.kind {
            // moto keeps a multipart upload's CRC32 full-object checksum.
            Kind::Moto => {
                assert_eq!(
                    status_of(&lines, "mp").as_deref(),
                    Some("different"),
                    "{out}"
                );
                assert_eq!(status_of(&lines, "mp-same"), None, "{out}");
                assert_eq!(
                    last["not_comparable_by_checksum"].as_u64(),
                    Some(2),
                    "{last}"
                );
            }
            // The sandbox keeps none for multipart uploads (HeadObject reports none).
            Kind::Sandbox => {
                assert_eq!(status_of(&lines, "mp").as_deref(), Some("unknown"), "{out}");
                assert_eq!(status_of(&lines, "mp-same"), None, "{out}");
                assert_eq!(
                    last["not_comparable_by_checksum"].as_u64(),
                    Some(4),
                    "{last}"
                );
            }
        }
        assert_eq!(
            status_of(&lines, "kms").as_deref(),
            Some("different"),
            "{name}: {out}"
        );
        assert_eq!(
            status_of(&lines, "kms-nosum").as_deref(),
            Some("unknown"),
            "{name}: {out}"
        );
        assert_eq!(
            status_of(&lines, "plain").as_deref(),
            Some("different"),
            "{name}: {out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_checksum_decides_same_size_pairs_by_checksum() {
    for srv in servers() {
        let name = srv.name();
        let c = srv.client();
        let a = srv.bucket("sck-a", false).await;
        let b = srv.bucket("sck-b", false).await;
        // The destination is written after the source: by size and time alone,
        // "changed" looks up to date.
        put_multipart(&c, &a, "p/changed", b'a', true).await;
        put_multipart(&c, &a, "p/same", b'c', true).await;
        put_kms(&c, &a, "p/kms-changed", vec![b'd'; 1000], true).await;
        put_multipart(&c, &b, "q/changed", b'b', true).await;
        put_multipart(&c, &b, "q/same", b'c', true).await;
        put_kms(&c, &b, "q/kms-changed", vec![b'e'; 1000], true).await;
        let (src, dst) = (format!("s3://{a}/p/"), format!("s3://{b}/q/"));
        let data = tempfile::tempdir().expect("tmp");
        let plan = |checksum: bool| {
            let mut cmd = srv.cmd(data.path());
            cmd.args(["sync", "--dry-run", "--json"]);
            if checksum {
                cmd.arg("--checksum");
            }
            let (code, out, err) = run(cmd.args([&src, &dst]));
            assert_eq!(code, 0, "{name}: {err}");
            let lines = json_lines(&out);
            move |key: &str| {
                let e = by_key(&lines, "src_key", &format!("p/{key}"))
                    .unwrap_or_else(|| panic!("{key} planned: {lines:?}"));
                (
                    e["action"].as_str().unwrap_or_default().to_string(),
                    e["note"].as_str().unwrap_or_default().to_string(),
                )
            }
        };
        let today = plan(false);
        assert_eq!(
            today("changed").0,
            "skip",
            "{name}: same size, destination newer"
        );

        let by_sum = plan(true);
        match srv.kind {
            Kind::Moto => {
                assert_eq!(
                    by_sum("changed"),
                    ("overwrite".into(), "different (CRC32 checksum)".into())
                );
                assert_eq!(
                    by_sum("same"),
                    ("skip".into(), "identical (CRC32 checksum)".into())
                );
            }
            // No multipart checksums in the sandbox: today's rule, said so.
            Kind::Sandbox => {
                assert_eq!(
                    by_sum("changed"),
                    (
                        "skip".into(),
                        "not comparable by checksum; same size, destination newer".into()
                    )
                );
                assert_eq!(
                    by_sum("same"),
                    (
                        "skip".into(),
                        "not comparable by checksum; identical".into()
                    )
                );
            }
        }
        assert_eq!(
            by_sum("kms-changed"),
            ("overwrite".into(), "different (CRC32 checksum)".into()),
            "{name}"
        );

        let (code, out, err) =
            run(srv
                .cmd(data.path())
                .args(["sync", "--checksum", "--no-progress", &src, &dst]));
        assert_eq!(code, 0, "{name}: {out} {err}");
        let first = |k: &'static str| {
            let c = c.clone();
            let b = b.clone();
            async move { get(&c, &b, &format!("q/{k}")).await[0] }
        };
        assert_eq!(first("kms-changed").await, b'd', "{name}");
        assert_eq!(first("same").await, b'c', "{name}");
        let changed = first("changed").await;
        match srv.kind {
            Kind::Moto => assert_eq!(changed, b'a', "{name}: overwritten by checksum"),
            Kind::Sandbox => assert_eq!(changed, b'b', "{name}: not comparable, kept by time"),
        }
    }
}
