//! Plain CopyObject requests signed by s3ferry itself (`s3::direct`) against
//! the real servers: the same result as the SDK path, awkward keys included,
//! and S3's late failures (status 200 with an `<Error>` body) retried.

use crate::common;

use std::sync::atomic::Ordering;

use common::*;

async fn fill(c: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let mut names = tricky_keys();
    names.extend((0..40).map(|i| format!("plain/{:02}/obj-{i}", i % 7)));
    for k in &names {
        put(c, bucket, k, format!("body of {k}")).await;
    }
    names.sort();
    names
}

/// Copy `src` to `dst/{side}/` through a proxy that fails a fifth of the
/// copies late; returns the proxy's (direct, SDK, late-error) counts.
fn copy_with_late_errors(srv: &Server, config: &str, src: &str, dst: &str, side: &str) -> [u64; 3] {
    let proxy = proxy::start(
        &srv.url,
        proxy::Faults {
            copy_error_in_200: 0.2,
            ..Default::default()
        },
    );
    let data = tempfile::tempdir().expect("tmp");
    std::fs::write(data.path().join("config.toml"), config).expect("config");
    let (code, out, err) = run(ferry_cmd(&proxy.url, data.path()).args([
        "cp",
        "--no-progress",
        &format!("s3://{src}/"),
        &format!("s3://{dst}/{side}/"),
    ]));
    assert_eq!(code, 0, "{}: {side} cp failed: {out}\n{err}", srv.name());
    let late = proxy.stats.late_errors.load(Ordering::Relaxed);
    assert!(late > 0, "{}: no late error was injected", srv.name());
    [
        proxy.stats.copies_direct.load(Ordering::Relaxed),
        proxy.stats.copies_sdk.load(Ordering::Relaxed),
        late,
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn direct_copies_match_the_sdk_path_and_retry_late_errors() {
    for srv in [signing_sandbox(), moto()] {
        let c = srv.client();
        let src = srv.bucket("direct-src", false).await;
        let dst = srv.bucket("direct-dst", false).await;
        let names = fill(&c, &src).await;
        let n = names.len() as u64;

        // Direct is the default; every late error costs one more request.
        let [direct, sdk, late] = copy_with_late_errors(srv, "", &src, &dst, "direct");
        assert_eq!([direct, sdk], [n + late, 0], "{}: direct", srv.name());
        // The SDK's pipeline, chosen in the config, under the same faults.
        let [direct, sdk, late] =
            copy_with_late_errors(srv, "[engine]\ndirect_copy = false\n", &src, &dst, "sdk");
        assert_eq!([direct, sdk], [0, n + late], "{}: SDK", srv.name());

        for (side, prefix) in [("direct", "direct/"), ("sdk", "sdk/")] {
            let got: Vec<String> = keys(&c, &dst, prefix)
                .await
                .into_iter()
                .map(|k| k[prefix.len()..].to_string())
                .collect();
            assert_eq!(got, names, "{}: {side} keys", srv.name());
            for k in &names {
                let body = get(&c, &dst, &format!("{prefix}{k}")).await;
                assert_eq!(
                    body,
                    format!("body of {k}").into_bytes(),
                    "{}: {side} body of {k:?}",
                    srv.name()
                );
            }
        }
    }
}
