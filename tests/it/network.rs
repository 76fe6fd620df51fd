//! Real networks: a response that never comes (the idle read timeout, then a
//! retry), forward proxies (absolute-form http, CONNECT tunnels, Basic
//! authentication, NO_PROXY, per-connection `proxy =`), credentials in proxy
//! URLs kept out of output and logs, and a client whose clock is an hour off.

use crate::common;
use crate::tui_e2e::Pty;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;

use common::forward_proxy::{self, ForwardProxy};
use common::*;

const PROXY_USER: &str = "ferry";
const PROXY_SECRET: &str = "pr0xy-s3cret-77";
/// Only the forward proxy can resolve it.
const FAKE_HOST: &str = "s3.ferry-proxy.test";

fn summary(out: &str) -> serde_json::Value {
    json_lines(out)
        .into_iter()
        .rev()
        .find(|v| v["summary"] == true)
        .unwrap_or_else(|| panic!("no summary in {out}"))
}

async fn fill(c: &aws_sdk_s3::Client, bucket: &str, n: usize) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for i in 0..n {
        let k = format!("net/{i:03}");
        put(c, bucket, &k, format!("body {i}")).await;
        names.insert(k);
    }
    names
}

/// `host:port` of a server URL.
fn host_port(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// The sandbox's port under the made-up name, and a proxy that knows it.
fn proxied(srv: &Server, auth: bool) -> (ForwardProxy, String) {
    let real = host_port(&srv.url);
    let port = real.rsplit(':').next().unwrap_or_default().to_string();
    let fake = format!("{FAKE_HOST}:{port}");
    let proxy = forward_proxy::start(
        &[(fake.as_str(), real.as_str())],
        auth.then_some((PROXY_USER, PROXY_SECRET)),
    );
    (proxy, format!("http://{fake}"))
}

fn proxy_url_with_secret(p: &ForwardProxy) -> String {
    format!("http://{PROXY_USER}:{PROXY_SECRET}@127.0.0.1:{}", p.port)
}

fn log_text(data: &Path) -> String {
    std::fs::read_to_string(data.join("s3ferry.log")).unwrap_or_default()
}

fn assert_no_secret(what: &str, text: &str) {
    assert!(
        !text.contains(PROXY_SECRET),
        "the proxy password shows in {what}:\n{text}"
    );
}

fn cp_json(cmd: &mut Command, src: &str, dst: &str) -> serde_json::Value {
    let (code, out, err) = run(cmd.args(["cp", "--json", src, dst]));
    assert_eq!(code, 0, "cp failed: {out}\n{err}");
    summary(&out)
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_cp_and_mv_work_through_an_http_proxy_and_keep_its_password_private() {
    let srv = signing_sandbox();
    let c = srv.client();
    let src = srv.bucket("via-src", false).await;
    let dst = srv.bucket("via-dst", false).await;
    let names = fill(&c, &src, 8).await;
    let (proxy, endpoint) = proxied(srv, true);
    let data = tempfile::tempdir().expect("tmp");
    let cmd = || {
        let mut c = ferry_cmd(&endpoint, data.path());
        c.env("HTTP_PROXY", proxy_url_with_secret(&proxy))
            .env("S3FERRY_LOG", "debug");
        c
    };

    // Without the proxy the name does not resolve at all.
    let (code, _, err) =
        run(ferry_cmd(&endpoint, data.path()).args(["ls", &format!("s3://{src}/")]));
    assert_ne!(code, 0, "{FAKE_HOST} resolved without the proxy: {err}");

    let (code, out, err) = run(cmd().args(["ls", "--recursive", &format!("s3://{src}/")]));
    assert_eq!(code, 0, "ls: {err}");
    for k in &names {
        assert!(out.contains(k.as_str()), "ls lacks {k}: {out}");
    }
    assert_no_secret("ls stderr", &err);
    let listed = proxy.stats.forwarded.load(Ordering::SeqCst);
    assert!(listed > 0, "ls did not go through the proxy");

    let s = cp_json(
        &mut cmd(),
        &format!("s3://{src}/"),
        &format!("s3://{dst}/cp/"),
    );
    assert_eq!(
        (s["copied"].as_u64(), s["failed"].as_u64()),
        (Some(8), Some(0)),
        "{s}"
    );
    // Server-side copies signed by s3ferry itself went through the proxy too.
    assert!(
        proxy.stats.direct_copies.load(Ordering::SeqCst) >= 8,
        "direct copies bypassed the proxy"
    );

    let (code, out, err) = run(cmd().args([
        "mv",
        "--json",
        &format!("s3://{src}/"),
        &format!("s3://{dst}/mv/"),
    ]));
    assert_eq!(code, 0, "mv: {out}\n{err}");
    assert_no_secret("mv stderr", &err);
    assert_eq!(summary(&out)["failed"].as_u64(), Some(0), "{out}");
    assert!(
        keys(&c, &src, "").await.is_empty(),
        "mv left sources behind"
    );
    for prefix in ["cp/", "mv/"] {
        let got: BTreeSet<String> = keys(&c, &dst, prefix)
            .await
            .into_iter()
            .map(|k| k[prefix.len()..].to_string())
            .collect();
        assert_eq!(got, names, "{prefix}");
    }
    assert_eq!(
        proxy.stats.refused.load(Ordering::SeqCst),
        0,
        "requests without credentials"
    );
    let hosts = proxy.stats.hosts.lock().unwrap().clone();
    assert!(hosts.iter().all(|h| h.starts_with(FAKE_HOST)), "{hosts:?}");
    let log = log_text(data.path());
    assert!(
        log.contains("DEBUG"),
        "debug logging was not on: {log:.2000}"
    );
    assert_no_secret("the log", &log);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_proxy_bypasses_the_proxy() {
    let srv = sandbox();
    let bucket = srv.bucket("noproxy", false).await;
    put(&srv.client(), &bucket, "noproxy-key", "v").await;
    let (proxy, _) = proxied(srv, false);
    let data = tempfile::tempdir().expect("tmp");
    let ls = |vars: &[(&str, &str)]| {
        let mut c = ferry_cmd(&srv.url, data.path());
        for (k, v) in vars {
            c.env(k, v);
        }
        let (code, out, err) = run(c.args(["ls", &format!("s3://{bucket}/")]));
        assert_eq!(code, 0, "{vars:?}: {err}");
        assert!(out.contains("noproxy-key"), "{out}");
    };
    // The loopback endpoint goes through the proxy when nothing exempts it...
    ls(&[("HTTP_PROXY", proxy.url.as_str())]);
    let seen = proxy.stats.total();
    assert!(seen > 0, "the proxy saw nothing");
    // ...and not when NO_PROXY covers it, in any of its forms and cases.
    for (var, rule) in [
        ("NO_PROXY", "127.0.0.1"),
        ("no_proxy", "example.com, 127.0.0.0/8"),
        ("NO_PROXY", "*"),
    ] {
        ls(&[("http_proxy", proxy.url.as_str()), (var, rule)]);
        assert_eq!(
            proxy.stats.total(),
            seen,
            "{var}={rule} went through the proxy"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_proxy_in_the_config_wins_over_the_environment() {
    let srv = signing_sandbox();
    let c = srv.client();
    let src = srv.bucket("conf-src", false).await;
    let dst = srv.bucket("conf-dst", false).await;
    let names = fill(&c, &src, 5).await;
    let (proxy, endpoint) = proxied(srv, true);
    let data = tempfile::tempdir().expect("tmp");
    std::fs::write(
        data.path().join("config.toml"),
        format!(
            "[connections.corp]\nendpoint_url = \"{endpoint}\"\nproxy = \"{}\"\n",
            proxy_url_with_secret(&proxy)
        ),
    )
    .expect("config");
    // A proxy in the environment that would refuse everything.
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3ferry"));
    test_env(&mut cmd, data.path());
    cmd.env("HTTP_PROXY", &closed)
        .env("S3FERRY_LOG", "debug")
        .args(["--connection", "corp"]);
    let s = cp_json(&mut cmd, &format!("s3://{src}/"), &format!("s3://{dst}/"));
    assert_eq!(
        (s["copied"].as_u64(), s["failed"].as_u64()),
        (Some(5), Some(0)),
        "{s}"
    );
    assert!(proxy.stats.total() > 0, "the configured proxy saw nothing");
    let got: BTreeSet<String> = keys(&c, &dst, "").await.into_iter().collect();
    assert_eq!(got, names);
    assert_no_secret("the log", &log_text(data.path()));
    // The journal keeps no proxy password either.
    let journal: Vec<u8> = std::fs::read_dir(data.path())
        .expect("data dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("journal"))
        .flat_map(|e| std::fs::read(e.path()).unwrap_or_default())
        .collect();
    assert!(!journal.is_empty(), "no journal found");
    assert_no_secret("the journal", &String::from_utf8_lossy(&journal));

    // A proxy s3ferry cannot use: one line, password hidden, usage exit code.
    std::fs::write(
        data.path().join("config.toml"),
        format!("[connections.corp]\nendpoint_url = \"{endpoint}\"\nproxy = \"socks5://{PROXY_USER}:{PROXY_SECRET}@127.0.0.1:1\"\n"),
    )
    .expect("config");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3ferry"));
    test_env(&mut cmd, data.path());
    let (code, _, err) = run(cmd.args(["--connection", "corp", "ls", &format!("s3://{src}/")]));
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("only http:// proxies"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_no_secret("the error", &err);
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// The https path: a CONNECT tunnel with Basic authentication (the sandbox
/// speaks plain HTTP inside it, so this checks the tunnel, not TLS).
#[tokio::test(flavor = "multi_thread")]
async fn https_requests_are_tunnelled_with_connect() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tower_service::Service;
    let srv = sandbox();
    let (proxy, endpoint) = proxied(srv, true);
    let matcher = s3ferry::s3::net::matcher(Some(&proxy_url_with_secret(&proxy))).expect("proxy");
    let mut net = s3ferry::s3::net::NetConnector::new(
        std::time::Duration::from_secs(5),
        std::time::Duration::from_secs(10),
        matcher,
    );
    let target: http::Uri = endpoint
        .replace("http://", "https://")
        .parse()
        .expect("uri");
    let stream = net.call(target).await.expect("tunnel opens");
    let mut io = hyper_util::rt::TokioIo::new(stream);
    let request = format!("GET / HTTP/1.1\r\nHost: {FAKE_HOST}\r\nConnection: close\r\n\r\n");
    io.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    io.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    assert_eq!(proxy.stats.tunnels.load(Ordering::SeqCst), 1);
    assert_eq!(
        proxy.stats.refused.load(Ordering::SeqCst),
        0,
        "CONNECT lacked credentials"
    );
    // A wrong password is refused and the error does not repeat it.
    let wrong = format!(
        "http://{PROXY_USER}:wrong-{PROXY_SECRET}@127.0.0.1:{}",
        proxy.port
    );
    let mut net = s3ferry::s3::net::NetConnector::new(
        std::time::Duration::from_secs(5),
        std::time::Duration::from_secs(10),
        s3ferry::s3::net::matcher(Some(&wrong)).expect("proxy"),
    );
    let target: http::Uri = endpoint
        .replace("http://", "https://")
        .parse()
        .expect("uri");
    let err = net.call(target).await.err().expect("refused").to_string();
    assert_no_secret("the tunnel error", &err);
    assert_eq!(proxy.stats.refused.load(Ordering::SeqCst), 1);
}

#[test]
fn the_tui_lists_buckets_through_a_proxy() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let srv = sandbox();
    let bucket = rt.block_on(async {
        let b = srv.bucket("tui-proxy", false).await;
        put(&srv.client(), &b, "through-the-proxy.txt", "x").await;
        b
    });
    let (proxy, endpoint) = proxied(srv, true);
    let dir = tempfile::tempdir().expect("tmp");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "# tui via proxy\n").expect("config");
    let mut cmd = portable_pty::CommandBuilder::new(env!("CARGO_BIN_EXE_s3ferry"));
    let src = format!("s3://{bucket}");
    cmd.args([
        "--endpoint-url",
        endpoint.as_str(),
        "tui",
        src.as_str(),
        src.as_str(),
    ]);
    cmd.env("S3FERRY_DATA", dir.path().join("data"));
    cmd.env("S3FERRY_CONFIG", config);
    cmd.env("AWS_ACCESS_KEY_ID", "test");
    cmd.env("AWS_SECRET_ACCESS_KEY", "test");
    cmd.env("AWS_REGION", "us-east-1");
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    cmd.env("AWS_CONFIG_FILE", dir.path().join("aws-config"));
    cmd.env(
        "AWS_SHARED_CREDENTIALS_FILE",
        dir.path().join("aws-credentials"),
    );
    cmd.env_remove("AWS_PROFILE");
    cmd.env("TERM", "xterm-256color");
    cmd.env("HTTP_PROXY", proxy_url_with_secret(&proxy));
    cmd.cwd(dir.path());
    let mut tui = Pty::spawn(cmd);
    tui.wait_for(&[bucket.as_str(), "through-the-proxy.txt"]);
    assert_no_secret("the screen", &tui.contents());
    tui.quit();
    assert!(
        proxy.stats.forwarded.load(Ordering::SeqCst) > 0,
        "the TUI bypassed the proxy"
    );
}

/// The sandbox rejects requests signed more than 15 minutes off, as S3 does;
/// a client an hour behind still copies: its direct CopyObject learns the
/// server's time from the rejection's `Date` and signs again.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_with_a_skewed_clock_still_copies() {
    let srv = signing_sandbox();
    let c = srv.client();
    let src = srv.bucket("skew-src", false).await;
    let dst = srv.bucket("skew-dst", false).await;
    let names = fill(&c, &src, 6).await;
    let counter = proxy::start(&srv.url, proxy::Faults::default());
    let data = tempfile::tempdir().expect("tmp");
    let mut cmd = ferry_cmd(&counter.url, data.path());
    // Read by debug builds only (s3::clock): the direct signer's clock.
    cmd.env("S3FERRY_TEST_CLOCK_SKEW_SECS", "-3600");
    let (code, out, err) = run(cmd.args([
        "cp",
        "--json",
        "--concurrency",
        "1",
        &format!("s3://{src}/"),
        &format!("s3://{dst}/"),
    ]));
    assert_eq!(code, 0, "cp failed: {out}\n{err}");
    let s = summary(&out);
    assert_eq!(
        (s["copied"].as_u64(), s["failed"].as_u64()),
        (Some(6), Some(0)),
        "{s}"
    );
    // The first copy was refused as skewed and signed again; the rest were
    // signed right the first time.
    assert_eq!(counter.stats.copies_direct.load(Ordering::SeqCst), 6 + 1);
    let got: BTreeSet<String> = keys(&c, &dst, "").await.into_iter().collect();
    assert_eq!(got, names);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_response_that_never_comes_is_retried_after_the_read_timeout() {
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("never-src", false).await;
    let names = fill(&c, &src, 12).await;
    // The direct CopyObject path, then the SDK's.
    for (side, config) in [("direct", ""), ("sdk", "[engine]\ndirect_copy = false\n")] {
        let dst = srv.bucket("never-dst", false).await;
        let proxy = proxy::start(
            &srv.url,
            proxy::Faults {
                never_answer: Some((proxy::NeverAnswer::Copies, 3)),
                ..Default::default()
            },
        );
        let data = tempfile::tempdir().expect("tmp");
        std::fs::write(data.path().join("config.toml"), config).expect("config");
        let mut cmd = ferry_cmd(&proxy.url, data.path());
        cmd.args(["--read-timeout", "2s"]);
        let s = cp_json(&mut cmd, &format!("s3://{src}/"), &format!("s3://{dst}/"));
        assert_eq!(
            (s["copied"].as_u64(), s["failed"].as_u64()),
            (Some(12), Some(0)),
            "{side}: {s}"
        );
        assert!(s["retries"].as_u64().unwrap_or(0) >= 3, "{side}: {s}");
        // Three copies went unanswered; each was sent again.
        let copies = proxy.stats.never_answered.load(Ordering::SeqCst);
        assert_eq!(copies, 12 + 3, "{side}: CopyObject requests");
        let (direct, sdk) = (
            proxy.stats.copies_direct.load(Ordering::SeqCst),
            proxy.stats.copies_sdk.load(Ordering::SeqCst),
        );
        let want = if side == "direct" { (15, 0) } else { (0, 15) };
        assert_eq!((direct, sdk), want, "{side}: which path copied");
        let got: BTreeSet<String> = keys(&c, &dst, "").await.into_iter().collect();
        assert_eq!(got, names, "{side}");
    }
}

/// A copy streamed between two connections (GET, then PUT) whose first GETs
/// are never answered: the SDK path's read timeout, on a download.
#[tokio::test(flavor = "multi_thread")]
async fn a_download_that_never_starts_is_retried() {
    let srv = sandbox();
    let c = srv.client();
    let src = srv.bucket("never-get-src", false).await;
    let dst = srv.bucket("never-get-dst", false).await;
    let names = fill(&c, &src, 6).await;
    let proxy = proxy::start(
        &srv.url,
        proxy::Faults {
            never_answer: Some((proxy::NeverAnswer::Gets, 2)),
            ..Default::default()
        },
    );
    let data = tempfile::tempdir().expect("tmp");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3ferry"));
    test_env(&mut cmd, data.path());
    cmd.args([
        "--src-endpoint-url",
        proxy.url.as_str(),
        "--dst-endpoint-url",
        srv.url.as_str(),
        "--read-timeout",
        "2s",
    ]);
    let s = cp_json(&mut cmd, &format!("s3://{src}/"), &format!("s3://{dst}/"));
    assert_eq!(
        (s["copied"].as_u64(), s["failed"].as_u64()),
        (Some(6), Some(0)),
        "{s}"
    );
    assert_eq!(
        proxy.stats.never_answered.load(Ordering::SeqCst),
        6 + 2,
        "GETs"
    );
    let got: BTreeSet<String> = keys(&c, &dst, "").await.into_iter().collect();
    assert_eq!(got, names);
}
