//! The screen at fixed sizes, drawn with ratatui's TestBackend from states
//! built by messages (deterministic clock: time only moves by `Tick`).

use crate::tui_support;

use s3ferry::engine::model::{FailedEntry, JobKind, JobState, Progress};
use s3ferry::plan::model::Action as PlanAction;
use s3ferry::s3::model::*;
use s3ferry::tui::app::event::KeyCode;
use s3ferry::tui::app::{App, Msg, PaneSide};
use tui_support::*;

fn opened() -> (App, FakeS3) {
    let mut fake = sample_fake();
    fake.status.insert(
        "src-bucket".into(),
        BucketStatus {
            bucket: "src-bucket".into(),
            region: "us-east-1".into(),
            versioning: Field::Value(Versioning {
                status: VersioningState::Enabled,
                mfa_delete: Some("Disabled".into()),
            }),
            replication: Field::Value(Replication {
                role: "arn:aws:iam::123456789012:role/replication".into(),
                rules: vec![ReplicationRule {
                    id: Some("to-backup".into()),
                    status: "Enabled".into(),
                    priority: Some(1),
                    filter: "prefix \"photos/\"".into(),
                    destination_bucket: "backup-assets".into(),
                    destination_account: None,
                    destination_storage_class: Some("GLACIER".into()),
                    delete_marker_replication: Some(true),
                    replication_time_control: None,
                    existing_object_replication: None,
                }],
            }),
            ownership: Field::Value(Ownership {
                object_ownership: "BucketOwnerEnforced".into(),
                acls_enabled: false,
            }),
            encryption: Field::Value(Encryption {
                algorithm: "aws:kms".into(),
                kms_key_id: Some("alias/assets".into()),
                bucket_key_enabled: Some(true),
            }),
            object_lock: Field::NotConfigured,
            objects: None,
            replication_checks: vec![RuleCheck {
                rule: "to-backup".into(),
                destination_bucket: "backup-assets".into(),
                source_versioning: "Enabled".into(),
                destination_versioning: "Suspended".into(),
                destination_reachable: true,
                delete_markers_replicate: true,
                problems: vec![
                    "destination bucket backup-assets has versioning Suspended; replication needs it Enabled".into(),
                ],
            }],
        },
    );
    fake.status.insert(
        "dst-bucket".into(),
        BucketStatus {
            bucket: "dst-bucket".into(),
            region: "us-west-2".into(),
            versioning: Field::NotSupported,
            replication: Field::NotSupported,
            ownership: Field::NotSupported,
            encryption: Field::AccessDenied,
            object_lock: Field::NotSupported,
            objects: None,
            replication_checks: Vec::new(),
        },
    );
    let (mut app, effects) = init(Some("s3://src-bucket"), Some("s3://dst-bucket"));
    fake.settle(&mut app, effects);
    (app, fake)
}

/// photos/ and photos/2024/ open, photos/2024/ and readme.txt marked, right pane in 2024/.
fn working_state() -> (App, FakeS3) {
    let (mut app, mut fake) = opened();
    let e = key(&mut app, KeyCode::Enter);
    fake.settle(&mut app, e);
    goto(&mut app, PaneSide::Left, "2024/");
    let e = key(&mut app, KeyCode::Enter);
    fake.settle(&mut app, e);
    let e = ch(&mut app, ' ');
    fake.settle(&mut app, e);
    goto(&mut app, PaneSide::Left, "readme.txt");
    ch(&mut app, ' ');
    goto(&mut app, PaneSide::Left, "b.jpg");
    key(&mut app, KeyCode::Tab);
    let e = key(&mut app, KeyCode::Enter);
    fake.settle(&mut app, e);
    key(&mut app, KeyCode::BackTab);
    (app, fake)
}

#[test]
fn start_screen() {
    let mut fake = sample_fake();
    let (mut app, effects) = init(None, None);
    fake.settle(&mut app, effects);
    insta::assert_snapshot!("start_screen", render(&mut app, 100, 24));
}

#[test]
fn expanded_tree() {
    let (mut app, _) = working_state();
    insta::assert_snapshot!("expanded_tree", render(&mut app, 120, 26));
}

#[test]
fn loading_and_more_rows() {
    let mut fake = FakeS3::default();
    let many: Vec<(String, u64)> = (0..1500).map(|i| (format!("big/k{i:05}"), 1)).collect();
    fake.buckets
        .insert("src-bucket".into(), many.into_iter().collect());
    fake.buckets.insert("dst-bucket".into(), Default::default());
    let (mut app, effects) = init(Some("s3://src-bucket"), Some("s3://dst-bucket"));
    fake.settle(&mut app, effects);
    let e = key(&mut app, KeyCode::Enter);
    fake.settle(&mut app, e);
    key(&mut app, KeyCode::End);
    // A refresh of the right pane that has not been answered yet: loading row and spinner.
    key(&mut app, KeyCode::Tab);
    let unanswered = ch(&mut app, 'r');
    assert!(!unanswered.is_empty());
    tick(&mut app, 250);
    insta::assert_snapshot!("loading_and_more_rows", render(&mut app, 100, 20));
}

#[test]
fn preview() {
    let (mut app, _) = working_state();
    let e = ch(&mut app, 'c');
    let (request, _) = previews(&e)[0].clone();
    send(
        &mut app,
        Msg::PreviewChunk {
            request,
            entries: vec![
                plan_entry(
                    "photos/2024/c.jpg",
                    "2024/2024/c.jpg",
                    1_500_000,
                    PlanAction::Copy,
                ),
                plan_entry(
                    "photos/2024/d.jpg",
                    "2024/2024/d.jpg",
                    500_000,
                    PlanAction::Overwrite,
                ),
                plan_entry("readme.txt", "2024/readme.txt", 4198, PlanAction::Skip),
            ],
        },
    );
    send(
        &mut app,
        Msg::PreviewDone {
            request,
            result: Ok(()),
        },
    );
    ch(&mut app, 'w');
    typed(&mut app, "\\.jpg$=>.jpeg");
    insta::assert_snapshot!("preview", render(&mut app, 120, 26));
}

#[test]
fn move_confirmation() {
    let (mut app, _) = working_state();
    let e = ch(&mut app, 'm');
    let (request, _) = previews(&e)[0].clone();
    send(
        &mut app,
        Msg::PreviewChunk {
            request,
            entries: vec![plan_entry(
                "photos/2024/c.jpg",
                "2024/2024/c.jpg",
                1_500_000,
                PlanAction::Copy,
            )],
        },
    );
    send(
        &mut app,
        Msg::PreviewDone {
            request,
            result: Ok(()),
        },
    );
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("move_confirmation", render(&mut app, 100, 24));
}

#[test]
fn transfers_mid_job() {
    let (mut app, _) = opened();
    let total_bytes = 3_435_973_837u64;
    for s in 0..=30u64 {
        let done = s * 40;
        // Throughput ramps up during the first seconds, for a visible chart.
        let bytes = (total_bytes / 1204) * done;
        let running = job(
            7,
            JobKind::Copy,
            JobState::Running,
            Progress {
                listing_done: s > 5,
                ..progress((done, 1204), (bytes, total_bytes), 0)
            },
        );
        let mut paused = job(
            6,
            JobKind::Move,
            JobState::Paused,
            progress((12, 40), (1_000_000, 4_000_000), 2),
        );
        paused.source = "s3://src-bucket/videos/".into();
        paused.destination = "s3://dst-bucket/videos/".into();
        let mut old = job(
            3,
            JobKind::Copy,
            JobState::Interrupted,
            progress((100, 900), (10_000, 90_000), 0),
        );
        old.source = "s3://logs-bucket/".into();
        old.destination = "s3://dst-bucket/logs/".into();
        send(&mut app, Msg::JobsSnapshot(vec![old, paused, running]));
        tick(&mut app, s * 1000);
    }
    key(&mut app, KeyCode::BackTab);
    insta::assert_snapshot!("transfers_mid_job", render(&mut app, 140, 30));
}

/// Counts past the columns' width are abbreviated visibly, never cut.
#[test]
fn transfers_with_big_counts() {
    let (mut app, _) = opened();
    let done = job(
        1,
        JobKind::Copy,
        JobState::Completed,
        progress((200_000, 200_000), (6_606_028, 6_606_028), 0),
    );
    let mut failing = job(
        3,
        JobKind::Copy,
        JobState::Failed,
        progress((200_000, 200_000), (247_988, 6_606_028), 192_658),
    );
    failing.destination = "s3://flaky/k/".into();
    let mut growing = job(
        2,
        JobKind::Copy,
        JobState::Running,
        Progress {
            listing_done: false,
            ..progress((43_465, 125_000), (204_595, 699_187), 13_961)
        },
    );
    growing.destination = "s3://far/k/".into();
    send(&mut app, Msg::JobsSnapshot(vec![done, growing, failing]));
    tick(&mut app, 1000);
    key(&mut app, KeyCode::BackTab);
    let screen = render(&mut app, 160, 24);
    for cut in ["200,0 ", "13,96 ", "192,6 ", "125,00"] {
        assert!(
            !screen.contains(cut),
            "a number is cut ({cut:?}):\n{screen}"
        );
    }
    insta::assert_snapshot!("transfers_with_big_counts", screen);
    // At 80 columns the chart gives way: state and numbers stay whole.
    let narrow = render(&mut app, 80, 24);
    assert!(narrow.contains("copy completed"), "{narrow}");
    assert!(narrow.contains("200k/200k"), "{narrow}");
}

/// Wide (CJK, emoji) and control characters in keys keep the size and
/// date columns in place; control characters are shown, not sent.
#[test]
fn wide_and_control_character_keys() {
    let mut fake = FakeS3::with(&[
        (
            "src-bucket",
            &[
                ("emoji-😀.txt", 3),
                ("日本.txt", 3),
                (
                    "日本語のファイル名がとても長い場合の表示テスト用オブジェクト名前.txt",
                    3,
                ),
                ("new\nline", 3),
                ("tab\tname", 3),
                ("plain.txt", 3),
            ],
        ),
        ("dst-bucket", &[("x", 1)]),
    ]);
    let (mut app, effects) = init(Some("s3://src-bucket"), Some("s3://dst-bucket"));
    fake.settle(&mut app, effects);
    let screen = render(&mut app, 100, 20);
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains(" 3 B│")).collect();
    assert_eq!(rows.len(), 6, "{screen}");
    let column = |l: &str| {
        let left = l.split("││").next().unwrap_or(l);
        let at = left.find(" 3 B│").unwrap_or(0);
        unicode_width::UnicodeWidthStr::width(&left[..at])
    };
    let first = column(rows[0]);
    for r in &rows {
        assert_eq!(column(r), first, "size column moved:\n{screen}");
    }
    assert!(
        screen.contains("new␊line") && screen.contains("tab␉name"),
        "{screen}"
    );
    insta::assert_snapshot!("wide_and_control_character_keys", screen);
}

#[test]
fn job_details() {
    let (mut app, _) = opened();
    send(
        &mut app,
        Msg::JobsSnapshot(vec![job(
            2,
            JobKind::Copy,
            JobState::Failed,
            progress((10, 10), (500, 500), 2),
        )]),
    );
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::Enter);
    send(
        &mut app,
        Msg::JobDetailsLoaded {
            job: 2,
            result: Ok(vec![
                FailedEntry {
                    src_key: "photos/a.jpg".into(),
                    dst_key: "2024/photos/a.jpg".into(),
                    version_id: None,
                    reason: "AccessDenied: not allowed to write the destination".into(),
                },
                FailedEntry {
                    src_key: "photos/b.jpg".into(),
                    dst_key: "2024/photos/b.jpg".into(),
                    version_id: Some("3HL4kqtJlcpXroDTDmJ".into()),
                    reason: "source changed during copy (412)".into(),
                },
            ]),
        },
    );
    insta::assert_snapshot!("job_details", render(&mut app, 110, 24));
}

#[test]
fn status_view() {
    let (mut app, mut fake) = opened();
    goto(&mut app, PaneSide::Left, "photos/");
    let e = ch(&mut app, 's');
    fake.settle(&mut app, e);
    let e = ch(&mut app, 'o');
    let Some(s3ferry::tui::app::Effect::LoadReplicationSummary { request, .. }) =
        e.first().cloned()
    else {
        panic!("{e:?}")
    };
    send(
        &mut app,
        Msg::ReplicationSummaryLoaded {
            request,
            result: Ok(ReplicationSummary {
                prefix: "photos/".into(),
                scanned: 5,
                pending: 1,
                completed: 2,
                failed: 1,
                replica: 0,
                none: 1,
                errors: 0,
                failed_keys: vec!["photos/2024/d.jpg".into()],
                missing: 1,
                missing_keys: vec!["photos/a.jpg".into()],
                truncated: false,
            }),
        },
    );
    insta::assert_snapshot!("status_view", render(&mut app, 120, 30));
}

#[test]
fn status_view_of_a_limited_endpoint() {
    let (mut app, mut fake) = opened();
    key(&mut app, KeyCode::Tab);
    let e = ch(&mut app, 's');
    fake.settle(&mut app, e);
    insta::assert_snapshot!("status_view_limited_endpoint", render(&mut app, 100, 24));
}

#[test]
fn help() {
    let (mut app, _) = opened();
    ch(&mut app, '?');
    insta::assert_snapshot!("help", render(&mut app, 100, 50));
}

#[test]
fn connection_picker() {
    let mut cfg = s3ferry::config::Config::defaults();
    cfg.connections.insert(
        "minio".into(),
        s3ferry::config::ConnectionSettings {
            endpoint_url: Some("http://127.0.0.1:9000".into()),
            access_key_id: Some("AKIAEXAMPLE".into()),
            secret_access_key: Some("very-secret".into()),
            ..Default::default()
        },
    );
    let mut fake = sample_fake();
    let (mut app, effects) = init_with(cfg, Some("s3://src-bucket"), None, false);
    fake.settle(&mut app, effects);
    ch(&mut app, 'o');
    let screen = render(&mut app, 100, 24);
    assert!(
        !screen.contains("very-secret") && !screen.contains("AKIAEXAMPLE"),
        "credentials never on screen"
    );
    insta::assert_snapshot!("connection_picker", screen);
}

#[test]
fn smallest_usable_size() {
    let (mut app, _) = working_state();
    insta::assert_snapshot!("smallest_usable_size", render(&mut app, 60, 15));
}

#[test]
fn too_small() {
    let (mut app, _) = working_state();
    insta::assert_snapshot!("too_small", render(&mut app, 59, 10));
}

#[test]
fn every_size_draws_without_panicking() {
    let (mut app, _) = working_state();
    ch(&mut app, 'c');
    for w in (1..=130).step_by(7) {
        for h in (1..=40).step_by(3) {
            render(&mut app, w, h);
        }
    }
}

#[test]
fn scrolled_deep_tree() {
    let mut fake = FakeS3::default();
    let mut keys: Vec<(String, u64)> = (0..60).map(|i| (format!("a/b/k{i:03}"), 1)).collect();
    keys.push(("a/z.txt".into(), 2));
    keys.push(("top.txt".into(), 3));
    fake.buckets
        .insert("src-bucket".into(), keys.into_iter().collect());
    fake.buckets.insert("dst-bucket".into(), Default::default());
    let (mut app, effects) = init(Some("s3://src-bucket"), Some("s3://dst-bucket"));
    fake.settle(&mut app, effects);
    update_size(&mut app, 80, 20);
    let e = key(&mut app, KeyCode::Enter); // a/
    fake.settle(&mut app, e);
    key(&mut app, KeyCode::Down);
    let e = key(&mut app, KeyCode::Enter); // a/b/
    fake.settle(&mut app, e);
    // Scroll so that the window starts inside a/b/ and ends past it.
    key(&mut app, KeyCode::End);
    // Only the visible window (plus hidden ancestors) is built; the rows still
    // sit at their depth and the cursor row is the last one.
    let screen = render(&mut app, 80, 20);
    assert!(screen.contains("      k059"), "{screen}");
    assert!(screen.contains("    z.txt"), "{screen}");
    assert!(
        !screen.contains("▼   a/"),
        "ancestors scrolled away: {screen}"
    );
    insta::assert_snapshot!("scrolled_deep_tree", screen);
}

/// `photos/` alone marked, the right pane in `2024/`: a plan Batch Operations
/// can run with TargetKeyPrefix `2024/`.
fn batch_preview(kind: char) -> App {
    let mut fake = sample_fake();
    let mut cfg = s3ferry::config::Config::defaults();
    cfg.batch.role_arn = Some("arn:aws:iam::123456789012:role/s3ferry-batch".into());
    let (mut app, effects) =
        init_with(cfg, Some("s3://src-bucket"), Some("s3://dst-bucket"), false);
    fake.settle(&mut app, effects);
    let e = ch(&mut app, ' ');
    fake.settle(&mut app, e);
    key(&mut app, KeyCode::Tab);
    goto(&mut app, PaneSide::Right, "2024/");
    let e = key(&mut app, KeyCode::Enter);
    fake.settle(&mut app, e);
    key(&mut app, KeyCode::BackTab);
    let e = ch(&mut app, kind);
    let (request, _) = previews(&e)[0].clone();
    send(
        &mut app,
        Msg::PreviewChunk {
            request,
            entries: vec![
                plan_entry(
                    "photos/2024/c.jpg",
                    "2024/photos/2024/c.jpg",
                    1_500_000,
                    PlanAction::Copy,
                ),
                plan_entry(
                    "photos/a.jpg",
                    "2024/photos/a.jpg",
                    2_000_000,
                    PlanAction::Copy,
                ),
                plan_entry(
                    "photos/b.jpg",
                    "2024/photos/b.jpg",
                    3_000_000,
                    PlanAction::Overwrite,
                ),
                plan_entry(
                    "photos/disk.img",
                    "2024/photos/disk.img",
                    6 << 30,
                    PlanAction::Copy,
                ),
            ],
        },
    );
    send(
        &mut app,
        Msg::PreviewDone {
            request,
            result: Ok(()),
        },
    );
    app
}

#[test]
fn preview_offering_batch_operations() {
    let mut app = batch_preview('c');
    let screen = render(&mut app, 120, 26);
    assert!(screen.contains("B run on S3 Batch Operations"), "{screen}");
    insta::assert_snapshot!("preview_offering_batch_operations", screen);
}

#[test]
fn batch_form() {
    let mut app = batch_preview('c');
    ch(&mut app, 'B');
    typed(&mut app, "s3://ops-reports/s3ferry/");
    insta::assert_snapshot!("batch_form", render(&mut app, 120, 26));
}

#[test]
fn batch_move_confirmation() {
    let mut app = batch_preview('m');
    ch(&mut app, 'B');
    typed(&mut app, "s3://ops-reports/s3ferry/");
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("batch_move_confirmation", render(&mut app, 120, 26));
}

#[test]
fn transfers_with_batch_jobs() {
    use s3ferry::journal::{BatchListing, BatchRecord};
    use s3ferry::location::Location;
    use s3ferry::plan::model::SourceMapping;
    use s3ferry::s3::JobStatus;
    let (mut app, _) = opened();
    send(
        &mut app,
        Msg::JobsSnapshot(vec![job(
            7,
            JobKind::Copy,
            JobState::Running,
            progress((400, 1204), (1 << 30, 3 << 30), 0),
        )]),
    );
    let record = |remote: &str, src: &str, prefix: &str, move_sources: bool| BatchRecord {
        remote_id: remote.into(),
        account_id: "123456789012".into(),
        region: "us-west-2".into(),
        spec: s3ferry::engine::model::JobSpec {
            kind: if move_sources {
                JobKind::Move
            } else {
                JobKind::Copy
            },
            mappings: vec![SourceMapping {
                source: Location::new("src-bucket", src),
                destination: Location::new("dst-bucket", format!("{prefix}{src}")),
                single_object: false,
            }],
            src_conn: Default::default(),
            dst_conn: Default::default(),
            plan: Default::default(),
            run: Default::default(),
        },
        target_prefix: prefix.into(),
        manifest: "s3://ops-reports/s3ferry/manifests/m.csv".into(),
        report_bucket: "ops-reports".into(),
        report_prefix: "s3ferry/".into(),
        objects: 250_000,
        bytes: 1 << 40,
        excluded: Vec::new(),
        move_sources,
        control_endpoint: None,
    };
    let listed = vec![
        BatchListing {
            id: 3,
            record: record("9f1c-archive", "videos/", "archive/", true),
            move_job: None,
            created_at: 1_700_000_000,
        },
        BatchListing {
            id: 2,
            record: record("77ab-photos", "photos/", "2024/", false),
            move_job: None,
            created_at: 1_700_000_000,
        },
        BatchListing {
            id: 1,
            record: record("5e5e-logs", "logs/", "old/", false),
            move_job: None,
            created_at: 1_700_000_000,
        },
    ];
    send(&mut app, Msg::BatchesLoaded { result: Ok(listed) });
    send(
        &mut app,
        Msg::BatchPolled {
            id: 3,
            result: Ok(JobStatus {
                job_id: "9f1c-archive".into(),
                status: s3ferry::s3::BatchStatus::Active,
                total: 250_000,
                succeeded: 100_000,
                failed: 12,
                elapsed_seconds: Some(600),
                failure_reasons: Vec::new(),
                status_update_reason: None,
                report_bucket: None,
                report_prefix: None,
            }),
        },
    );
    send(
        &mut app,
        Msg::BatchPolled {
            id: 2,
            result: Err("DescribeJob 77ab-photos failed: AccessDenied".into()),
        },
    );
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::Down);
    let screen = render(&mut app, 140, 30);
    assert!(screen.contains("AccessDenied"), "{screen}");
    insta::assert_snapshot!("transfers_with_batch_jobs", screen);
}

#[test]
fn compare_mode() {
    let (mut app, fake) = compare_ready();
    compared(&mut app, &fake);
    ch(&mut app, 'D');
    insta::assert_snapshot!("compare_mode", render(&mut app, 120, 24));
}

fn update_size(app: &mut App, w: u16, h: u16) {
    send(app, Msg::Resize(w, h));
}
