//! End to end: the TUI in a pseudo-terminal against an in-process sandbox S3.
//! Open two buckets, mark a prefix, preview, copy, watch the job finish, quit,
//! then check the destination bucket through S3.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use portable_pty::{native_pty_system, CommandBuilder, PtySize};

const ROWS: u16 = 40;
const COLS: u16 = 140;
/// Debug builds on small machines are slow; the waits are upper bounds.
const WAIT: Duration = Duration::from_secs(90);

fn client(url: &str) -> Client {
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new("us-east-1"))
        .force_path_style(true)
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .build();
    Client::from_conf(conf)
}

/// A program running in a pseudo-terminal, its screen kept by a vt100 parser.
pub(crate) struct Pty {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Pty {
    pub(crate) fn spawn(cmd: CommandBuilder) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let child = pair.slave.spawn_command(cmd).expect("spawn in the pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
        let feed = screen.clone();
        std::thread::spawn(move || {
            let _master = pair.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut p) = feed.lock() {
                    p.process(&buf[..n]);
                }
            }
        });
        Pty {
            screen,
            writer,
            child,
        }
    }

    pub(crate) fn contents(&self) -> String {
        self.screen
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Waits until every needle is on screen; panics with the screen otherwise.
    pub(crate) fn wait_for(&mut self, needles: &[&str]) {
        let start = Instant::now();
        loop {
            let text = self.contents();
            if needles.iter().all(|n| text.contains(n)) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "s3ferry exited ({status:?}) while waiting for {needles:?}; screen:\n{text}"
                );
            }
            if start.elapsed() > WAIT {
                panic!("timed out waiting for {needles:?}; screen:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `done(screen)` holds; panics with the screen otherwise.
    fn wait_until(&mut self, what: &str, done: impl Fn(&str) -> bool) {
        let start = Instant::now();
        loop {
            let text = self.contents();
            if done(&text) {
                return;
            }
            if start.elapsed() > WAIT {
                panic!("timed out waiting for {what}; screen:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn send(&mut self, keys: &str) {
        self.writer
            .write_all(keys.as_bytes())
            .expect("write to the pty");
        self.writer.flush().expect("flush the pty");
    }

    /// `q` with nothing running: the program exits at once, successfully.
    pub(crate) fn quit(&mut self) {
        self.send("q");
        let status = self.wait_exit();
        assert!(
            status.success(),
            "exit status {status:?}; screen:\n{}",
            self.contents()
        );
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if start.elapsed() > WAIT {
                let _ = self.child.kill();
                panic!("s3ferry did not exit; screen:\n{}", self.contents());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A runtime and a sandbox with these buckets and (key, body) objects.
fn sandbox_with(
    buckets: &[(&str, &[(&str, &str)])],
) -> (tokio::runtime::Runtime, s3ferry::sandbox::Sandbox, Client) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sandbox = rt
        .block_on(s3ferry::sandbox::Sandbox::start(Default::default()))
        .expect("sandbox starts");
    let s3 = client(&sandbox.url());
    rt.block_on(async {
        for (bucket, objects) in buckets {
            s3.create_bucket()
                .bucket(*bucket)
                .send()
                .await
                .expect("create bucket");
            for (k, body) in *objects {
                s3.put_object()
                    .bucket(*bucket)
                    .key(*k)
                    .body(ByteStream::from(body.as_bytes().to_vec()))
                    .send()
                    .await
                    .expect("put object");
            }
        }
    });
    (rt, sandbox, s3)
}

/// Every object of a bucket as (key, body), in key order.
async fn bucket_contents(s3: &Client, bucket: &str) -> Vec<(String, String)> {
    let out = s3
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .expect("list destination");
    let mut got = Vec::new();
    for o in out.contents() {
        let key = o.key().unwrap_or_default().to_string();
        let body = s3
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .expect("get")
            .body
            .collect()
            .await
            .expect("read body")
            .into_bytes();
        got.push((key, String::from_utf8_lossy(&body).to_string()));
    }
    got
}

/// Environment that keeps the run away from the user's config, data and AWS files.
fn isolate(cmd: &mut CommandBuilder, dir: &Path) {
    let config = dir.join("config.toml");
    std::fs::write(&config, "# e2e\n").expect("write config");
    cmd.env("S3FERRY_DATA", dir.join("data"));
    cmd.env("S3FERRY_CONFIG", config);
    cmd.env("AWS_ACCESS_KEY_ID", "test");
    cmd.env("AWS_SECRET_ACCESS_KEY", "test");
    cmd.env("AWS_REGION", "us-east-1");
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    cmd.env("AWS_CONFIG_FILE", dir.join("aws-config"));
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", dir.join("aws-credentials"));
    cmd.env_remove("AWS_PROFILE");
    cmd.env("TERM", "xterm-256color");
    cmd.cwd(dir);
}

const SRC: &str = "s3://e2e-src";
const DST: &str = "s3://e2e-dst/backup/";

/// Open two buckets, mark a prefix, preview, copy, watch the job finish, quit,
/// then check the destination through S3.
#[test]
fn mark_preview_copy_and_check_the_destination() {
    let (rt, sandbox, s3) = sandbox_with(&[
        (
            "e2e-src",
            &[
                ("photos/a.jpg", "first photo"),
                ("photos/2024/b.jpg", "second photo"),
                ("readme.txt", "not copied"),
            ],
        ),
        ("e2e-dst", &[]),
    ]);
    let url = sandbox.url();

    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_s3ferry"));
    cmd.args(["--endpoint-url", url.as_str(), "tui", SRC, DST]);
    isolate(&mut cmd, dir.path());
    let mut tui = Pty::spawn(cmd);

    // Both panes open where the command line said.
    tui.wait_for(&[
        "SOURCE",
        "e2e-src",
        "DESTINATION",
        "e2e-dst",
        "photos/",
        "readme.txt",
    ]);
    // The cursor starts on photos/: mark it (the prefix size is counted in the background).
    tui.send(" ");
    tui.wait_for(&["✔ 1 marked · 2 obj"]);
    // Preview: the mapping streams in and completes.
    tui.send("c");
    tui.wait_for(&[
        "COPY",
        "s3://e2e-dst/backup/",
        "backup/photos/a.jpg",
        "backup/photos/2024/b.jpg",
        "complete",
    ]);
    tui.send("\r");
    // The job runs and completes in the transfers panel.
    tui.wait_for(&["copy completed"]);
    let screen = tui.contents();
    assert!(
        screen.contains("2/2"),
        "objects done/total shown:\n{screen}"
    );
    // The finished job reloads the destination pane, which shows the new folder.
    tui.wait_until("the destination pane to show the copy", |s| {
        !s.contains("(empty)")
    });
    tui.wait_for(&["job 1 completed: 2 copied"]);
    // Nothing runs any more, so q quits at once and the terminal is given back.
    tui.quit();

    assert_eq!(
        rt.block_on(bucket_contents(&s3, "e2e-dst")),
        vec![
            (
                "backup/photos/2024/b.jpg".to_string(),
                "second photo".to_string()
            ),
            ("backup/photos/a.jpg".to_string(), "first photo".to_string()),
        ]
    );
    rt.block_on(sandbox.shutdown());
}

/// Compare mode in the real program: `d` compares the open folders, `D` marks
/// what is missing or different, and the copy makes the destination match.
#[test]
fn compare_marks_the_differences_and_copies_them() {
    let src = [
        ("p/same", "same"),
        ("p/size", "short"),
        ("p/etag", "aaaa"),
        ("p/new/x", "x"),
        ("p/sub/keep", "k"),
        ("p/sub/miss", "mmm"),
    ];
    let dst = [
        ("q/same", "same"),
        ("q/size", "longer!"),
        ("q/etag", "bbbb"),
        ("q/sub/keep", "k"),
        ("q/zz-extra", "z"),
    ];
    let (rt, sandbox, s3) = sandbox_with(&[("cmp-src", &src), ("cmp-dst", &dst)]);
    let url = sandbox.url();

    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_s3ferry"));
    cmd.args([
        "--endpoint-url",
        url.as_str(),
        "tui",
        "s3://cmp-src/p/",
        "s3://cmp-dst/q/",
    ]);
    isolate(&mut cmd, dir.path());
    let mut tui = Pty::spawn(cmd);
    tui.wait_for(&["cmp-src", "cmp-dst", "same", "zz-extra"]);
    // Only in the source: new/x and sub/miss (2), different: size and etag (2),
    // the same: same and sub/keep (2); the right pane counts zz-extra as its own.
    tui.send("d");
    tui.wait_for(&["compare", "+2 ≠2 =2", "+1 ≠2 =2"]);
    tui.send("D");
    tui.wait_for(&["✔ 4 marked · 4 obj"]);
    tui.send("c");
    tui.wait_for(&["COPY", "q/new/x", "q/sub/miss", "complete"]);
    tui.send("\r");
    tui.wait_for(&["copy completed"]);
    tui.quit();

    let got = rt.block_on(bucket_contents(&s3, "cmp-dst"));
    let mut want: Vec<(String, String)> = src
        .iter()
        .map(|(k, v)| (format!("q/{}", &k[2..]), v.to_string()))
        .chain([("q/zz-extra".to_string(), "z".to_string())])
        .collect();
    want.sort();
    assert_eq!(got, want);
    rt.block_on(sandbox.shutdown());
}

/// SIGTERM while a move runs in the TUI (its deletes held unanswered): the
/// terminal is given back, the job stopped and said resumable, exit 130;
/// `resume` then finishes the move.
#[test]
fn sigterm_stops_a_running_job_resumably() {
    let (rt, sandbox, s3) = sandbox_with(&[
        (
            "e2e-src",
            &[("photos/a.jpg", "first photo"), ("photos/b.jpg", "second")],
        ),
        ("e2e-dst", &[]),
    ]);
    let hang = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let proxy = rt.block_on(async {
        crate::common::proxy::start(
            &sandbox.url(),
            crate::common::proxy::Faults {
                hang_delete_objects: Some(hang.clone()),
                ..Default::default()
            },
        )
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_s3ferry"));
    cmd.args(["--endpoint-url", proxy.url.as_str(), "tui", SRC, DST]);
    isolate(&mut cmd, dir.path());
    let mut tui = Pty::spawn(cmd);
    tui.wait_for(&["SOURCE", "photos/"]);
    tui.send(" ");
    tui.wait_for(&["✔ 1 marked · 2 obj"]);
    tui.send("m");
    tui.wait_for(&["MOVE", "backup/photos/b.jpg", "complete"]);
    tui.send("\r");
    // A move deletes: it asks first.
    tui.wait_for(&["y yes · n no"]);
    tui.send("y");
    // Wait until the copies are done and the deletes are held.
    let start = Instant::now();
    while proxy
        .stats
        .delete_objects
        .load(std::sync::atomic::Ordering::SeqCst)
        == 0
    {
        assert!(
            start.elapsed() < WAIT,
            "no delete was sent:\n{}",
            tui.contents()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = tui.child.process_id().expect("pid");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tui.wait_exit();
    assert_eq!(status.exit_code(), 130, "screen:\n{}", tui.contents());
    let screen = tui.contents();
    assert!(screen.contains("stopped by a signal"), "{screen}");
    assert!(
        screen.contains("job 1 stopped; resume with: s3ferry resume 1"),
        "{screen}"
    );
    // The sources are still there; resume deletes them once S3 answers.
    assert_eq!(rt.block_on(bucket_contents(&s3, "e2e-src")).len(), 2);
    hang.store(false, std::sync::atomic::Ordering::SeqCst);
    let mut resume = std::process::Command::new(env!("CARGO_BIN_EXE_s3ferry"));
    resume.args(["--endpoint-url", proxy.url.as_str(), "resume", "1"]);
    resume.env("S3FERRY_DATA", dir.path().join("data"));
    resume.env("S3FERRY_CONFIG", dir.path().join("config.toml"));
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ] {
        resume.env(k, v);
    }
    let out = resume.output().expect("resume");
    assert!(
        out.status.success(),
        "resume: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(rt.block_on(bucket_contents(&s3, "e2e-src")).is_empty());
    assert_eq!(rt.block_on(bucket_contents(&s3, "e2e-dst")).len(), 2);
    rt.block_on(sandbox.shutdown());
}
