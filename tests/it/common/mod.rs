//! Test harness: real S3 servers over HTTP — the in-process sandbox and a moto
//! server — plus a fault-injecting proxy. Each test makes its own buckets.
#![allow(dead_code)]

pub mod forward_proxy;
pub mod proxy;
pub mod recorder;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use s3ferry::config::ConnectionSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sandbox,
    Moto,
}

#[derive(Debug)]
pub struct Server {
    pub kind: Kind,
    pub url: String,
}

/// One runtime for servers that must outlive any single test's runtime.
fn background() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime")
    })
}

pub fn spawn_bg<F: std::future::Future<Output = ()> + Send + 'static>(f: F) {
    background().spawn(f);
}

pub fn sandbox() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| start_sandbox(Default::default()))
}

/// A sandbox that checks every request's signature against the test
/// credentials (`test`/`test`), as S3 does.
pub fn signing_sandbox() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| {
        start_sandbox(s3ferry::sandbox::SandboxOptions {
            credentials: Some(("test".into(), "test".into())),
            ..Default::default()
        })
    })
}

fn start_sandbox(opts: s3ferry::sandbox::SandboxOptions) -> Server {
    let (tx, rx) = std::sync::mpsc::channel();
    background().spawn(async move {
        let sb = s3ferry::sandbox::Sandbox::start(opts)
            .await
            .expect("sandbox starts");
        let _ = tx.send(sb.url());
        // Keep it alive for the whole test binary.
        std::future::pending::<()>().await;
        drop(sb);
    });
    let url = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("sandbox reports its URL");
    Server {
        kind: Kind::Sandbox,
        url,
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn wait_http(url: &str, timeout: Duration) -> bool {
    let addr = url.trim_start_matches("http://").to_string();
    let start = Instant::now();
    while start.elapsed() < timeout {
        if std::net::TcpStream::connect(&addr).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The moto server: `S3FERRY_TEST_MOTO_URL` (started by scripts/test.sh), or
/// one started here from the project's virtualenv. A test that needs it fails
/// when neither works — it never skips.
pub fn moto() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| {
        if let Ok(url) = std::env::var("S3FERRY_TEST_MOTO_URL") {
            assert!(wait_http(&url, Duration::from_secs(30)), "moto server at {url} is not answering");
            return Server { kind: Kind::Moto, url };
        }
        let bin = repo_root().join(".venv/bin/moto_server");
        assert!(
            bin.exists(),
            "moto server not found: run the README's test command (scripts/test.sh), which installs it into .venv"
        );
        let port = free_port();
        // The shell watches this test process and stops moto when it ends.
        let script = format!(
            "{} -H 127.0.0.1 -p {port} >/dev/null 2>&1 & M=$!; while kill -0 {} 2>/dev/null; do sleep 1; done; kill $M",
            bin.display(),
            std::process::id()
        );
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .spawn()
            .expect("start moto server");
        // The watcher shell outlives nothing but this process; keep its handle.
        static WATCHER: OnceLock<std::sync::Mutex<std::process::Child>> = OnceLock::new();
        let _ = WATCHER.set(std::sync::Mutex::new(child));
        let url = format!("http://127.0.0.1:{port}");
        assert!(wait_http(&url, Duration::from_secs(60)), "moto server did not start on {url}");
        Server { kind: Kind::Moto, url }
    })
}

pub fn servers() -> Vec<&'static Server> {
    vec![sandbox(), moto()]
}

pub fn client_for(url: &str) -> Client {
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new("us-east-1"))
        .force_path_style(true)
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .build();
    Client::from_conf(conf)
}

pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

impl Server {
    pub fn client(&self) -> Client {
        client_for(&self.url)
    }

    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Sandbox => "sandbox",
            Kind::Moto => "moto",
        }
    }

    pub fn settings(&self) -> ConnectionSettings {
        ConnectionSettings {
            endpoint_url: Some(self.url.clone()),
            region: Some("us-east-1".into()),
            access_key_id: Some("test".into()),
            secret_access_key: Some("test".into()),
            ..Default::default()
        }
    }

    pub async fn bucket(&self, prefix: &str, versioned: bool) -> String {
        let name = unique(prefix);
        let c = self.client();
        c.create_bucket()
            .bucket(&name)
            .send()
            .await
            .expect("create bucket");
        if versioned {
            s3ferry::s3::admin::set_versioning(&c, &name, true)
                .await
                .expect("versioning");
        }
        name
    }

    /// The s3ferry binary pointed at this server, with a private data dir.
    pub fn cmd(&self, data: &Path) -> Command {
        ferry_cmd(&self.url, data)
    }
}

pub fn ferry_cmd(url: &str, data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_s3ferry"));
    c.arg("--endpoint-url").arg(url);
    test_env(&mut c, data);
    c
}

pub fn test_env(c: &mut Command, data: &Path) {
    let config = data.join("config.toml");
    if !config.exists() {
        std::fs::write(&config, "# test config\n").expect("write test config");
    }
    c.env("S3FERRY_DATA", data)
        .env("S3FERRY_CONFIG", config)
        .env_remove("AWS_PROFILE")
        // Tests choose their proxies; the machine's must not interfere.
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", data.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", data.join("aws-credentials"))
        .stdin(Stdio::null());
}

/// Run and capture; panics with the output if it could not run at all.
pub fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().expect("run s3ferry");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub async fn put(c: &Client, bucket: &str, key: &str, body: impl Into<Vec<u8>>) {
    c.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.into()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}

pub async fn get(c: &Client, bucket: &str, key: &str) -> Vec<u8> {
    let r = c
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e:?}"));
    r.body.collect().await.expect("body").into_bytes().to_vec()
}

/// Every key in a bucket (under a prefix), in listing order.
pub async fn keys(c: &Client, bucket: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let r = c
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token)
            .send()
            .await
            .expect("list");
        out.extend(
            r.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
        match r.next_continuation_token() {
            Some(t) if r.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    out
}

/// The tricky key set of the issue, plus a 1000-byte key.
pub fn tricky_keys() -> Vec<String> {
    let mut v: Vec<String> = [
        "a b",
        "a+b",
        "100%",
        "#x",
        "q?x",
        "é/ü/日本",
        "a//b",
        "dir/",
        "semi;colon=&[x]~\\y",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("long/{}", "k".repeat(995)));
    v
}

/// The AWS CLI from the project's virtualenv, for comparisons.
pub fn aws_cli() -> Command {
    let bin = repo_root().join(".venv/bin/aws");
    assert!(
        bin.exists(),
        "AWS CLI not found in .venv: run the README's test command (scripts/test.sh)"
    );
    let mut c = Command::new(bin);
    let dir = std::env::temp_dir();
    c.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("s3ferry-test-no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("s3ferry-test-no-aws-creds"),
        )
        .stdin(Stdio::null());
    c
}

/// Parse JSON lines.
pub fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// An engine in-process on a journal in `data` (the engine API the TUI uses).
pub fn engine_in(data: &Path) -> s3ferry::engine::Engine {
    let journal = std::sync::Arc::new(
        s3ferry::journal::Journal::open(&data.join("journal.sqlite")).expect("journal"),
    );
    s3ferry::engine::Engine::with_journal(
        s3ferry::s3::ConnectionPool::new(),
        journal,
        Default::default(),
    )
}

/// A job from `src` to `dst` (`s3://` URLs) on one connection.
pub fn job_spec(
    kind: s3ferry::engine::JobKind,
    src: &str,
    dst: &str,
    conn: &ConnectionSettings,
) -> s3ferry::engine::JobSpec {
    s3ferry::engine::JobSpec {
        kind,
        mappings: vec![s3ferry::plan::model::SourceMapping {
            source: src.parse().expect("src"),
            destination: dst.parse().expect("dst"),
            single_object: false,
        }],
        src_conn: conn.clone(),
        dst_conn: conn.clone(),
        plan: Default::default(),
        run: Default::default(),
    }
}
