//! Helpers for the TUI state and snapshot tests: build an `App`, press keys,
//! and answer its effects from an in-memory fake of S3 listings.
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use s3ferry::config::{Config, ConnectionSettings};
use s3ferry::engine::model::{JobId, JobKind, JobSnapshot, JobState, Progress};
use s3ferry::plan::model::{Action as PlanAction, PlanEntry};
use s3ferry::s3::list::ListRequest;
use s3ferry::s3::model::*;
use s3ferry::tui::app::browse::tree::RowItem;
use s3ferry::tui::app::event::{KeyCode, KeyEvent, KeyModifiers};
use s3ferry::tui::app::AppInit;
use s3ferry::tui::app::{update, App, Effect, Msg, PaneSide, RequestId, SizeCount, View};

pub fn init(src: Option<&str>, dst: Option<&str>) -> (App, Vec<Effect>) {
    init_with(Config::defaults(), src, dst, false)
}

pub fn init_with(
    config: Config,
    src: Option<&str>,
    dst: Option<&str>,
    read_only: bool,
) -> (App, Vec<Effect>) {
    let (mut app, effects) = App::new(AppInit {
        config,
        src_conn: ConnectionSettings::default(),
        dst_conn: ConnectionSettings {
            endpoint_url: Some("http://127.0.0.1:9000".into()),
            ..Default::default()
        },
        src: src.map(|s| s.parse().expect("valid location")),
        dst: dst.map(|s| s.parse().expect("valid location")),
        read_only,
    });
    update(&mut app, Msg::Resize(120, 32));
    (app, effects)
}

pub fn send(app: &mut App, msg: Msg) -> Vec<Effect> {
    update(app, msg)
}

pub fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    update(
        app,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

pub fn ch(app: &mut App, c: char) -> Vec<Effect> {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), mods)))
}

/// Types each character; returns all effects.
pub fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| ch(app, c)).collect()
}

pub fn tick(app: &mut App, now_ms: u64) -> Vec<Effect> {
    update(app, Msg::Tick { now_ms })
}

pub fn time(h: u32, m: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 2, h, m, 0)
        .single()
        .expect("valid time")
}

/// An older version of a key: (version id, size, is a delete marker).
pub type OldVersion = (String, u64, bool);

/// An in-memory S3: buckets of keys with sizes, answering the app's effects
/// the way the runtime would (delimited listings, one page at a time).
#[derive(Default)]
pub struct FakeS3 {
    pub buckets: BTreeMap<String, BTreeMap<String, u64>>,
    /// Extra versions per (bucket, key).
    pub versions: BTreeMap<(String, String), Vec<OldVersion>>,
    pub status: BTreeMap<String, BucketStatus>,
    /// Requests seen, for assertions.
    pub seen: Vec<Effect>,
}

impl FakeS3 {
    pub fn with(buckets: &[(&str, &[(&str, u64)])]) -> FakeS3 {
        let mut f = FakeS3::default();
        for (b, keys) in buckets {
            let entry = f.buckets.entry(b.to_string()).or_default();
            for (k, s) in *keys {
                entry.insert(k.to_string(), *s);
            }
        }
        f
    }

    fn entry(&self, key: &str, size: u64) -> ObjectEntry {
        ObjectEntry {
            last_modified: Some(time(10, 11)),
            etag: Some("\"0123456789abcdef0123456789abcdef\"".into()),
            storage_class: Some("STANDARD".into()),
            ..ObjectEntry::new(key, size)
        }
    }

    pub fn list(&self, req: &ListRequest, token: Option<PageToken>) -> Result<ListPage, String> {
        let Some(keys) = self.buckets.get(&req.bucket) else {
            return Err(format!(
                "bucket {:?} does not exist (NoSuchBucket)",
                req.bucket
            ));
        };
        let after = match token {
            Some(PageToken::Continuation(t)) => Some(t),
            Some(PageToken::Versions { key_marker, .. }) => Some(key_marker),
            None => None,
        };
        let max = req.max_keys.unwrap_or(1000).max(1) as usize;
        let mut items: Vec<ListItem> = Vec::new();
        let mut last: Option<String> = None;
        let mut truncated = false;
        for (k, size) in keys.range(req.prefix.clone()..) {
            if !k.starts_with(&req.prefix) {
                break;
            }
            if after.as_ref().is_some_and(|a| {
                k.as_str() <= a.as_str() || (a.ends_with('/') && k.starts_with(a.as_str()))
            }) {
                continue;
            }
            let rest = &k[req.prefix.len()..];
            let item = match (&req.delimiter, rest.find('/')) {
                (Some(_), Some(i)) => {
                    let p = format!("{}{}", req.prefix, &rest[..=i]);
                    if last.as_deref() == Some(p.as_str()) {
                        continue;
                    }
                    ListItem::Prefix(p)
                }
                _ => ListItem::Object(self.entry(k, *size)),
            };
            if items.len() == max {
                truncated = true;
                break;
            }
            last = Some(s3ferry::s3::list::item_key(&item).to_string());
            if req.versions {
                if let ListItem::Object(o) = &item {
                    let extra = self
                        .versions
                        .get(&(req.bucket.clone(), k.clone()))
                        .cloned()
                        .unwrap_or_default();
                    items.push(ListItem::Object(ObjectEntry {
                        version_id: Some("v-latest".into()),
                        is_latest: Some(true),
                        delete_marker: Some(false),
                        ..o.clone()
                    }));
                    for (vid, size, marker) in extra {
                        items.push(ListItem::Object(ObjectEntry {
                            version_id: Some(vid),
                            is_latest: Some(false),
                            delete_marker: Some(marker),
                            last_modified: Some(time(9, 0)),
                            ..self.entry(k, size)
                        }));
                    }
                    continue;
                }
            }
            items.push(item);
        }
        let next = match (truncated, last) {
            (true, Some(l)) if req.versions => Some(PageToken::Versions {
                key_marker: l,
                version_id_marker: None,
            }),
            (true, Some(l)) => Some(PageToken::Continuation(l)),
            _ => None,
        };
        Ok(ListPage { items, next })
    }

    pub fn bucket_status(&self, bucket: &str) -> BucketStatus {
        self.status
            .get(bucket)
            .cloned()
            .unwrap_or_else(|| BucketStatus {
                bucket: bucket.to_string(),
                region: "us-east-1".into(),
                versioning: Field::Value(Versioning {
                    status: VersioningState::Enabled,
                    mfa_delete: None,
                }),
                replication: Field::NotConfigured,
                ownership: Field::Value(Ownership {
                    object_ownership: "BucketOwnerEnforced".into(),
                    acls_enabled: false,
                }),
                encryption: Field::Value(Encryption {
                    algorithm: "AES256".into(),
                    kms_key_id: None,
                    bucket_key_enabled: None,
                }),
                object_lock: Field::NotSupported,
                objects: None,
                replication_checks: Vec::new(),
            })
    }

    /// The message answering one effect, if the fake handles it.
    pub fn answer(&mut self, effect: &Effect) -> Option<Msg> {
        self.seen.push(effect.clone());
        Some(match effect {
            Effect::SwitchConnection { request, .. } => Msg::ConnectionReady {
                request: *request,
                result: Ok(()),
            },
            Effect::ListBuckets { request, .. } => Msg::BucketsLoaded {
                request: *request,
                result: Ok(self
                    .buckets
                    .keys()
                    .map(|b| BucketInfo {
                        name: b.clone(),
                        created: Some(time(8, 0)),
                    })
                    .collect()),
            },
            Effect::ListPage {
                request,
                req,
                token,
                ..
            } => Msg::ListResult {
                request: *request,
                result: self.list(req, token.clone()),
            },
            Effect::LoadStatus {
                request, bucket, ..
            } => Msg::StatusLoaded {
                request: *request,
                result: Ok(Box::new(self.bucket_status(bucket))),
            },
            Effect::ComputeSize {
                request, location, ..
            } => {
                let keys = self.buckets.get(&location.bucket)?;
                let (objects, bytes) = keys
                    .iter()
                    .filter(|(k, _)| k.starts_with(&location.prefix))
                    .fold((0, 0), |(o, b), (_, s)| (o + 1, b + s));
                Msg::MarkSizeComputed {
                    request: *request,
                    result: Ok(SizeCount {
                        objects,
                        bytes,
                        done: true,
                    }),
                }
            }
            _ => return None,
        })
    }

    /// What `s3ferry diff` would report for two folders of the fake (sizes
    /// decide: every fake object has the same ETag), in key order.
    pub fn diff(
        &self,
        src: &s3ferry::location::Location,
        dst: &s3ferry::location::Location,
    ) -> Vec<s3ferry::compare::DiffEntry> {
        use s3ferry::compare::{DiffEntry, Status};
        let under = |loc: &s3ferry::location::Location| -> BTreeMap<String, u64> {
            self.buckets
                .get(&loc.bucket)
                .map(|keys| {
                    keys.iter()
                        .filter_map(|(k, s)| {
                            k.strip_prefix(loc.prefix.as_str())
                                .map(|rel| (rel.to_string(), *s))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let (a, b) = (under(src), under(dst));
        let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .map(|k| {
                let status = match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) if x == y => Status::Same,
                    (Some(_), Some(_)) => Status::Different,
                    (Some(_), None) => Status::OnlySrc,
                    _ => Status::OnlyDst,
                };
                DiffEntry {
                    key: k.clone(),
                    status,
                    src_size: a.get(k).copied(),
                    detail: None,
                    basis: None,
                }
            })
            .collect()
    }

    /// Answers effects (and the effects those answers cause) until none is
    /// left that the fake handles; returns the ones it does not handle.
    pub fn settle(&mut self, app: &mut App, effects: Vec<Effect>) -> Vec<Effect> {
        let mut queue = effects;
        let mut unhandled = Vec::new();
        let mut rounds = 0;
        while let Some(e) = queue.first().cloned() {
            queue.remove(0);
            match self.answer(&e) {
                Some(msg) => queue.extend(update(app, msg)),
                None => unhandled.push(e),
            }
            rounds += 1;
            assert!(rounds < 10_000, "effects never settle");
        }
        unhandled
    }
}

/// The visible rows of a pane's tree as `indent + name` (`▸` marks the cursor).
pub fn rows(app: &App, side: PaneSide) -> Vec<String> {
    let pane = app.pane(side);
    let Some(tree) = pane.tree() else {
        return Vec::new();
    };
    let rows = tree.rows(&pane.filter);
    let cursor = tree.cursor_index(&pane.filter);
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let name = match r.item {
                RowItem::More => "<more>".to_string(),
                RowItem::Loading => "<loading>".to_string(),
                RowItem::Error(_) => "<error>".to_string(),
                RowItem::Empty => "<empty>".to_string(),
                _ => r.name.to_string(),
            };
            format!(
                "{}{}{}",
                if i == cursor { "▸" } else { " " },
                "  ".repeat(r.depth),
                name
            )
        })
        .collect()
}

/// Visible rows of a pane as `name marker` in compare mode (`name` alone
/// where the row has no marker).
pub fn markers(app: &App, side: PaneSide) -> Vec<String> {
    let pane = app.pane(side);
    let (Some(tree), Some(c)) = (pane.tree(), app.compare.as_ref()) else {
        return Vec::new();
    };
    tree.rows(&pane.filter)
        .iter()
        .filter(|r| matches!(r.item, RowItem::Prefix(_) | RowItem::Object(_)))
        .map(|r| match c.marker(side, &tree.bucket, &r.item) {
            Some(m) => format!("{} {}", r.name, m.symbol()),
            None => r.name.to_string(),
        })
        .collect()
}

/// The name (relative) of the row under the cursor.
pub fn cursor(app: &App, side: PaneSide) -> String {
    rows(app, side)
        .into_iter()
        .find(|r| r.starts_with('▸'))
        .map(|r| r.trim_start_matches('▸').trim().to_string())
        .unwrap_or_default()
}

/// Moves the cursor down until it is on `name` (relative name, any depth).
pub fn goto(app: &mut App, side: PaneSide, name: &str) {
    key(app, KeyCode::Home);
    for _ in 0..500 {
        if cursor(app, side) == name {
            return;
        }
        key(app, KeyCode::Down);
    }
    panic!("row {name:?} not found in {:?}", rows(app, side));
}

pub fn bucket_cursor(app: &App, side: PaneSide) -> Option<String> {
    let pane = app.pane(side);
    match &pane.view {
        View::Buckets(list) => list
            .visible(&pane.filter)
            .get(list.cursor)
            .map(|b| b.name.clone()),
        View::Tree(_) => None,
    }
}

pub fn status_text(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

pub fn status_is_error(app: &App) -> bool {
    app.status.as_ref().is_some_and(|s| s.error)
}

pub fn job(id: JobId, kind: JobKind, state: JobState, progress: Progress) -> JobSnapshot {
    JobSnapshot {
        id,
        kind,
        state,
        source: "s3://src-bucket/photos/".into(),
        destination: "s3://dst-bucket/2024/photos/".into(),
        progress,
        created_at: 1_700_000_000,
        finished_at: None,
        message: None,
    }
}

pub fn progress(objects: (u64, u64), bytes: (u64, u64), failed: u64) -> Progress {
    Progress {
        objects_done: objects.0,
        objects_total: objects.1,
        bytes_done: bytes.0,
        bytes_total: bytes.1,
        failed,
        copied: objects.0.saturating_sub(failed),
        listing_done: true,
        ..Default::default()
    }
}

/// Draws the app at `w` x `h`, as the runtime does after telling it the size.
pub fn render(app: &mut App, w: u16, h: u16) -> String {
    update(app, Msg::Resize(w, h));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    terminal
        .draw(|f| s3ferry::tui::ui::draw(f, app))
        .expect("draw");
    terminal.backend().to_string()
}

/// Find effects of one kind.
pub fn previews(effects: &[Effect]) -> Vec<(RequestId, s3ferry::engine::model::JobSpec)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::StartPreview { request, spec } => Some((*request, (**spec).clone())),
            _ => None,
        })
        .collect()
}

pub fn sample_fake() -> FakeS3 {
    FakeS3::with(&[
        (
            "src-bucket",
            &[
                ("photos/a.jpg", 2_000_000),
                ("photos/b.jpg", 3_000_000),
                ("photos/2024/c.jpg", 1_500_000),
                ("photos/2024/d.jpg", 500_000),
                ("videos/clip.mp4", 700_000_000),
                ("x/readme.txt", 4198),
                ("readme.txt", 4198),
            ],
        ),
        ("dst-bucket", &[("2024/old.txt", 10), ("archive/z.bin", 1)]),
        ("logs-bucket", &[("l.txt", 1)]),
    ])
}

/// Source `photos/` against destination `backup/`: a.jpg the same, b.jpg a
/// different size, 2024/c.jpg missing (2024/d.jpg the same), new/ missing
/// entirely, old.txt only in the destination.
pub fn compare_fake() -> FakeS3 {
    FakeS3::with(&[
        (
            "src-bucket",
            &[
                ("photos/a.jpg", 2_000_000),
                ("photos/b.jpg", 3_000_000),
                ("photos/2024/c.jpg", 1_500_000),
                ("photos/2024/d.jpg", 500_000),
                ("photos/new/x.txt", 10),
                ("photos/new/y.txt", 20),
                ("readme.txt", 4198),
            ],
        ),
        (
            "dst-bucket",
            &[
                ("backup/a.jpg", 2_000_000),
                ("backup/b.jpg", 10),
                ("backup/2024/d.jpg", 500_000),
                ("backup/old.txt", 7),
            ],
        ),
    ])
}

/// Both folders open: `photos/` expanded on the left, `backup/` on the right.
pub fn compare_ready() -> (App, FakeS3) {
    let mut fake = compare_fake();
    let (mut app, effects) = init(Some("s3://src-bucket"), Some("s3://dst-bucket"));
    fake.settle(&mut app, effects);
    goto(&mut app, PaneSide::Left, "photos/");
    let e = key(&mut app, KeyCode::Enter);
    fake.settle(&mut app, e);
    key(&mut app, KeyCode::Tab);
    goto(&mut app, PaneSide::Right, "backup/");
    let e = key(&mut app, KeyCode::Enter);
    fake.settle(&mut app, e);
    key(&mut app, KeyCode::BackTab);
    // Open the subfolders, so their rows show.
    // Open the subfolders, so their rows show; the cursors rest on rows of the
    // compared folders themselves.
    for side in [PaneSide::Left, PaneSide::Right] {
        if side == PaneSide::Right {
            key(&mut app, KeyCode::Tab);
        }
        goto(&mut app, side, "2024/");
        let e = key(&mut app, KeyCode::Enter);
        fake.settle(&mut app, e);
        goto(&mut app, side, "a.jpg");
    }
    key(&mut app, KeyCode::BackTab);
    (app, fake)
}

/// Presses `d` and answers the comparison in one chunk; returns the request.
pub fn compared(app: &mut App, fake: &FakeS3) -> u64 {
    let e = ch(app, 'd');
    let Some(Effect::StartCompare {
        request, src, dst, ..
    }) = e
        .iter()
        .find(|e| matches!(e, Effect::StartCompare { .. }))
        .cloned()
    else {
        panic!("compare started: {e:?}");
    };
    let entries = fake.diff(&src, &dst);
    send(app, Msg::CompareChunk { request, entries });
    send(
        app,
        Msg::CompareDone {
            request,
            result: Ok(()),
        },
    );
    request
}

/// A plan entry between the fixtures' buckets.
pub fn plan_entry(src: &str, dst: &str, size: u64, action: PlanAction) -> PlanEntry {
    PlanEntry {
        action,
        src_bucket: "src-bucket".into(),
        src_key: src.into(),
        version_id: None,
        dst_bucket: "dst-bucket".into(),
        dst_key: dst.into(),
        size,
        etag: None,
        delete_marker: false,
        note: None,
    }
}
