//! Pure TUI state: messages in, state and effects out. No terminal, no network.

use crate::tui_support;

use s3ferry::config::Config;
use s3ferry::engine::batch::finish::MoveStarted;
use s3ferry::engine::batch::submit::Submitted;
use s3ferry::engine::model::{JobKind, JobState};
use s3ferry::journal::{BatchListing, BatchRecord};
use s3ferry::location::Location;
use s3ferry::plan::model::{Action as PlanAction, ConflictPolicy, SourceMapping};
use s3ferry::s3::model::{ListItem, PageToken, ReplicationSummary};
use s3ferry::s3::JobStatus;
use s3ferry::tui::app::batch::BatchField;
use s3ferry::tui::app::browse::marks::{MarkKind, MarkSize};
use s3ferry::tui::app::browse::tree::PAGE_SIZE;
use s3ferry::tui::app::dialogs::{Dialog, OnYes, SummarySlot};
use s3ferry::tui::app::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use s3ferry::tui::app::{layout, update, Effect, Focus, Msg, PaneSide, View};
use tui_support::*;

/// Both panes open on their buckets, all listings answered.
fn opened() -> (s3ferry::tui::app::App, FakeS3) {
    let mut fake = sample_fake();
    let (mut app, effects) = init(Some("s3://src-bucket"), Some("s3://dst-bucket"));
    let rest = fake.settle(&mut app, effects);
    assert!(rest.is_empty(), "{rest:?}");
    (app, fake)
}

#[test]
fn start_without_locations_lists_buckets_on_both_sides() {
    let (mut app, effects) = init(None, None);
    let lists: Vec<_> = effects
        .iter()
        .filter(|e| matches!(e, Effect::ListBuckets { .. }))
        .collect();
    assert_eq!(lists.len(), 2, "{effects:?}");
    let Effect::ListBuckets { conn, .. } = lists[1] else {
        unreachable!()
    };
    assert_eq!(
        conn.endpoint_url.as_deref(),
        Some("http://127.0.0.1:9000"),
        "right pane uses dst_conn"
    );
    let mut fake = sample_fake();
    fake.settle(&mut app, effects);
    assert_eq!(
        bucket_cursor(&app, PaneSide::Left).as_deref(),
        Some("dst-bucket")
    );

    // Letters are keys here as everywhere (j moves, q quits); `/` filters.
    ch(&mut app, 'j');
    assert_eq!(
        bucket_cursor(&app, PaneSide::Left).as_deref(),
        Some("logs-bucket")
    );
    assert_eq!(app.pane(PaneSide::Left).filter, "");
    // `/` then typing filters; enter ends the filter, the next opens the
    // match and lists its root one page at a time.
    ch(&mut app, '/');
    typed(&mut app, "src");
    assert_eq!(
        bucket_cursor(&app, PaneSide::Left).as_deref(),
        Some("src-bucket")
    );
    key(&mut app, KeyCode::Enter);
    let effects = key(&mut app, KeyCode::Enter);
    let list = effects.iter().find_map(|e| match e {
        Effect::ListPage { req, token, .. } => Some((req.clone(), token.clone())),
        _ => None,
    });
    let (req, token) = list.expect("root listing requested");
    assert_eq!(
        (req.bucket.as_str(), req.prefix.as_str()),
        ("src-bucket", "")
    );
    assert_eq!(req.delimiter.as_deref(), Some("/"));
    assert_eq!(req.max_keys, Some(PAGE_SIZE));
    assert_eq!(token, None);
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::LoadStatus { bucket, .. } if bucket == "src-bucket")));
    fake.settle(&mut app, effects);
    assert_eq!(
        rows(&app, PaneSide::Left),
        vec!["▸photos/", " readme.txt", " videos/", " x/"]
    );
}

#[test]
fn q_quits_from_the_bucket_list() {
    let (mut app, effects) = init(None, None);
    sample_fake().settle(&mut app, effects);
    let e = ch(&mut app, 'q');
    assert!(matches!(e.as_slice(), [Effect::Quit]), "{e:?}");
    assert_eq!(app.pane(PaneSide::Left).filter, "");
}

#[test]
fn a_bucket_name_not_in_the_list_can_be_typed() {
    let (mut app, effects) = init(None, None);
    let mut fake = sample_fake();
    fake.settle(&mut app, effects);
    ch(&mut app, '/');
    typed(&mut app, "hidden-bucket");
    key(&mut app, KeyCode::Enter);
    let effects = key(&mut app, KeyCode::Enter);
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::ListPage { req, .. } if req.bucket == "hidden-bucket")));
    // The fake has no such bucket: the error lands in the tree and the status line.
    fake.settle(&mut app, effects);
    assert_eq!(rows(&app, PaneSide::Left), vec!["▸<error>"]);
    assert!(status_is_error(&app));
    assert!(
        status_text(&app).contains("NoSuchBucket"),
        "{}",
        status_text(&app)
    );
}

#[test]
fn command_line_prefix_opens_expanded_in_its_parent() {
    let mut fake = sample_fake();
    let (mut app, effects) = init(Some("s3://src-bucket/photos"), None);
    let prefixes: Vec<String> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::ListPage { req, .. } => Some(req.prefix.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(prefixes, vec!["".to_string(), "photos/".to_string()]);
    fake.settle(&mut app, effects);
    assert_eq!(
        rows(&app, PaneSide::Left),
        vec![
            "▸photos/",
            "   2024/",
            "   a.jpg",
            "   b.jpg",
            " readme.txt",
            " videos/",
            " x/"
        ]
    );
}

#[test]
fn navigation_moves_the_cursor() {
    let (mut app, _) = opened();
    // Rows: photos/ readme.txt videos/ x/
    let cases = [
        (KeyCode::Down, "readme.txt"),
        (KeyCode::Down, "videos/"),
        (KeyCode::Up, "readme.txt"),
        (KeyCode::End, "x/"),
        (KeyCode::Down, "x/"),
        (KeyCode::Home, "photos/"),
        (KeyCode::Up, "photos/"),
        (KeyCode::PageDown, "x/"),
        (KeyCode::PageUp, "photos/"),
    ];
    for (i, (code, want)) in cases.into_iter().enumerate() {
        key(&mut app, code);
        assert_eq!(cursor(&app, PaneSide::Left), want, "step {i}: {code:?}");
    }
    // vi keys come from the default keymap.
    ch(&mut app, 'j');
    assert_eq!(cursor(&app, PaneSide::Left), "readme.txt");
    ch(&mut app, 'G');
    assert_eq!(cursor(&app, PaneSide::Left), "x/");
}

#[test]
fn focus_cycles_and_keys_follow_it() {
    let (mut app, _) = opened();
    let order = [
        Focus::Pane(PaneSide::Right),
        Focus::Transfers,
        Focus::Pane(PaneSide::Left),
    ];
    for want in order {
        key(&mut app, KeyCode::Tab);
        assert_eq!(app.focus, want);
    }
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus, Focus::Transfers);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Down);
    assert_eq!(cursor(&app, PaneSide::Right), "archive/");
    assert_eq!(
        cursor(&app, PaneSide::Left),
        "photos/",
        "left pane untouched"
    );
}

#[test]
fn expanding_is_lazy_and_pages_load_on_request() {
    let mut fake = FakeS3::default();
    let many: Vec<(String, u64)> = (0..2500).map(|i| (format!("big/k{i:05}"), 1)).collect();
    fake.buckets
        .insert("src-bucket".into(), many.into_iter().collect());
    fake.buckets.insert("dst-bucket".into(), Default::default());
    let (mut app, effects) = init(Some("s3://src-bucket"), Some("s3://dst-bucket"));
    fake.settle(&mut app, effects);
    assert_eq!(rows(&app, PaneSide::Left), vec!["▸big/"]);

    // Nothing under big/ was listed until it is opened.
    assert!(!fake
        .seen
        .iter()
        .any(|e| matches!(e, Effect::ListPage { req, .. } if req.prefix == "big/")));
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(rows(&app, PaneSide::Left), vec!["▸big/", "   <loading>"]);
    let asked: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::ListPage { req, token, .. } => Some((req.prefix.clone(), token.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(asked, vec![("big/".to_string(), None)]);
    fake.settle(&mut app, effects);
    let shown = rows(&app, PaneSide::Left);
    assert_eq!(shown.len(), 1 + 1000 + 1, "one page plus the load-more row");
    assert_eq!(shown.last().map(String::as_str), Some("   <more>"));

    // Load more continues from the page token.
    key(&mut app, KeyCode::End);
    assert_eq!(cursor(&app, PaneSide::Left), "<more>");
    let effects = key(&mut app, KeyCode::Enter);
    let token = effects.iter().find_map(|e| match e {
        Effect::ListPage { token, .. } => token.clone(),
        _ => None,
    });
    assert_eq!(token, Some(PageToken::Continuation("big/k00999".into())));
    fake.settle(&mut app, effects);
    assert_eq!(rows(&app, PaneSide::Left).len(), 1 + 2000 + 1);
    // The cursor stays where it was (now the first key of the new page).
    assert_eq!(cursor(&app, PaneSide::Left), "k01000");

    // Collapsing and reopening uses what is loaded; no new listing.
    key(&mut app, KeyCode::Home);
    let effects = key(&mut app, KeyCode::Enter);
    assert!(effects.is_empty(), "{effects:?}");
    let effects = key(&mut app, KeyCode::Enter);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(rows(&app, PaneSide::Left).len(), 2002);
}

#[test]
fn stale_listing_results_are_dropped() {
    let (mut app, mut fake) = opened();
    let effects = key(&mut app, KeyCode::Enter); // expand photos/
    let old = effects.clone();
    // Refresh before the answer arrives: the old request is no longer awaited.
    let refreshed = ch(&mut app, 'r');
    let old_request = match &old[0] {
        Effect::ListPage { request, .. } => *request,
        e => panic!("{e:?}"),
    };
    let pending_before = app.pending_count();
    let bogus = ListItem::Object(s3ferry::s3::model::ObjectEntry::new("photos/ghost", 1));
    send(
        &mut app,
        Msg::ListResult {
            request: old_request,
            result: Ok(s3ferry::s3::model::ListPage {
                items: vec![bogus],
                next: None,
            }),
        },
    );
    assert_eq!(app.pending_count(), pending_before - 1);
    fake.settle(&mut app, refreshed);
    assert!(
        !rows(&app, PaneSide::Left)
            .iter()
            .any(|r| r.contains("ghost")),
        "{:?}",
        rows(&app, PaneSide::Left)
    );
    assert!(
        rows(&app, PaneSide::Left)
            .iter()
            .any(|r| r.contains("a.jpg")),
        "expanded folder reloaded"
    );
}

#[test]
fn back_collapses_then_climbs() {
    let (mut app, mut fake) = opened();
    let e = key(&mut app, KeyCode::Enter);
    fake.settle(&mut app, e);
    goto(&mut app, PaneSide::Left, "a.jpg");
    key(&mut app, KeyCode::Left);
    assert_eq!(cursor(&app, PaneSide::Left), "photos/", "to the parent row");
    key(&mut app, KeyCode::Left);
    assert_eq!(rows(&app, PaneSide::Left)[1], " readme.txt", "collapsed");
    let e = key(&mut app, KeyCode::Left);
    assert!(
        e.iter().any(|e| matches!(e, Effect::ListBuckets { .. })),
        "top level goes back to the bucket list"
    );
    fake.settle(&mut app, e);
    assert_eq!(
        bucket_cursor(&app, PaneSide::Left).as_deref(),
        Some("src-bucket"),
        "cursor on the bucket we left"
    );
}

#[test]
fn marking_rules() {
    let (mut app, mut fake) = opened();
    let e = key(&mut app, KeyCode::Enter); // expand photos/
    fake.settle(&mut app, e);
    goto(&mut app, PaneSide::Left, "2024/");
    let e = key(&mut app, KeyCode::Enter); // expand photos/2024/
    fake.settle(&mut app, e);

    // Mark a child prefix and an object first.
    goto(&mut app, PaneSide::Left, "2024/");
    let e = ch(&mut app, ' ');
    let size_request = e.iter().find_map(|e| match e {
        Effect::ComputeSize {
            request, location, ..
        } => Some((*request, location.clone())),
        _ => None,
    });
    let (child_count, loc) = size_request.expect("prefix size is counted in the background");
    assert_eq!(loc, Location::new("src-bucket", "photos/2024/"));
    goto(&mut app, PaneSide::Left, "a.jpg");
    ch(&mut app, ' ');
    assert_eq!(app.pane(PaneSide::Left).marks.len(), 2);

    // Marking the parent absorbs both and cancels the child's count.
    goto(&mut app, PaneSide::Left, "photos/");
    let e = ch(&mut app, ' ');
    assert!(
        e.contains(&Effect::Cancel {
            request: child_count
        }),
        "{e:?}"
    );
    let marks: Vec<_> = app.pane(PaneSide::Left).marks.sources();
    assert_eq!(marks, vec![("photos/".to_string(), MarkKind::Prefix)]);
    fake.settle(&mut app, e);
    let totals = app.pane(PaneSide::Left).marks.totals();
    assert_eq!(
        (totals.objects, totals.bytes, totals.counting),
        (4, 7_000_000, false)
    );

    // A child of a marked prefix is refused, with the reason on the status line.
    goto(&mut app, PaneSide::Left, "b.jpg");
    let e = ch(&mut app, ' ');
    assert!(e.is_empty(), "{e:?}");
    assert!(status_is_error(&app));
    assert!(
        status_text(&app).contains("photos/ is marked"),
        "{}",
        status_text(&app)
    );
    assert_eq!(app.pane(PaneSide::Left).marks.len(), 1);

    // Space again unmarks; an object's size is known from the listing.
    goto(&mut app, PaneSide::Left, "photos/");
    ch(&mut app, ' ');
    assert!(app.pane(PaneSide::Left).marks.is_empty());
    goto(&mut app, PaneSide::Left, "readme.txt");
    ch(&mut app, ' ');
    let m = app
        .pane(PaneSide::Left)
        .marks
        .get("readme.txt")
        .expect("marked")
        .clone();
    assert_eq!(m.kind, MarkKind::Object);
    assert!(matches!(m.size, MarkSize::Known(c) if c.bytes == 4198));

    // The destination pane does not take marks.
    key(&mut app, KeyCode::Tab);
    let e = ch(&mut app, ' ');
    assert!(e.is_empty());
    assert!(app.pane(PaneSide::Right).marks.is_empty());
    assert!(status_text(&app).contains("source (left) pane"));

    // u clears.
    key(&mut app, KeyCode::BackTab);
    ch(&mut app, 'u');
    assert!(app.pane(PaneSide::Left).marks.is_empty());
}

#[test]
fn late_size_results_for_unmarked_prefixes_are_ignored() {
    let (mut app, _) = opened();
    let e = ch(&mut app, ' '); // mark photos/
    let Some(Effect::ComputeSize { request, .. }) = e
        .iter()
        .find(|e| matches!(e, Effect::ComputeSize { .. }))
        .cloned()
    else {
        panic!("{e:?}")
    };
    // Partial counts show while counting.
    send(
        &mut app,
        Msg::MarkSizeComputed {
            request,
            result: Ok(s3ferry::tui::app::SizeCount {
                objects: 2,
                bytes: 5,
                done: false,
            }),
        },
    );
    let t = app.pane(PaneSide::Left).marks.totals();
    assert_eq!((t.objects, t.counting), (2, true));
    key(&mut app, KeyCode::Up);
    let e = ch(&mut app, ' '); // unmark
    assert!(e.contains(&Effect::Cancel { request }));
    send(
        &mut app,
        Msg::MarkSizeComputed {
            request,
            result: Ok(s3ferry::tui::app::SizeCount {
                objects: 9,
                bytes: 9,
                done: true,
            }),
        },
    );
    assert!(app.pane(PaneSide::Left).marks.is_empty());
}

/// Marks `photos/` and `x/readme.txt`, puts the right cursor on `2024/`.
fn marked_for_copy() -> (s3ferry::tui::app::App, FakeS3) {
    let (mut app, mut fake) = opened();
    ch(&mut app, ' '); // photos/
    goto(&mut app, PaneSide::Left, "x/");
    let e = key(&mut app, KeyCode::Enter);
    fake.settle(&mut app, e);
    goto(&mut app, PaneSide::Left, "readme.txt");
    // The first readme.txt is the top-level one; take the one under x/.
    key(&mut app, KeyCode::End);
    assert_eq!(
        rows(&app, PaneSide::Left).last().map(String::as_str),
        Some("▸  readme.txt")
    );
    let e = ch(&mut app, ' ');
    fake.settle(&mut app, e);
    key(&mut app, KeyCode::Tab);
    goto(&mut app, PaneSide::Right, "2024/");
    let e = key(&mut app, KeyCode::Enter); // open it: the destination is the open folder
    fake.settle(&mut app, e);
    assert_eq!(
        app.pane(PaneSide::Right).current_prefix().as_deref(),
        Some("2024/")
    );
    key(&mut app, KeyCode::BackTab);
    (app, fake)
}

#[test]
fn marks_map_to_source_mappings_under_the_destination_prefix() {
    let (mut app, _) = marked_for_copy();
    let e = ch(&mut app, 'c');
    let started = previews(&e);
    assert_eq!(started.len(), 1, "{e:?}");
    let spec = &started[0].1;
    assert_eq!(spec.kind, JobKind::Copy);
    assert_eq!(
        spec.mappings,
        vec![
            SourceMapping {
                source: Location::new("src-bucket", "photos/"),
                destination: Location::new("dst-bucket", "2024/photos/"),
                single_object: false,
            },
            SourceMapping {
                source: Location::new("src-bucket", "x/readme.txt"),
                destination: Location::new("dst-bucket", "2024/"),
                single_object: true,
            },
        ]
    );
    assert_eq!(
        spec.dst_conn.endpoint_url.as_deref(),
        Some("http://127.0.0.1:9000")
    );
    assert_eq!(spec.plan.conflict, ConflictPolicy::Overwrite);
    assert_eq!(spec.run.concurrency, Config::defaults().engine.concurrency);
    assert!(matches!(app.dialogs.last(), Some(Dialog::Preview(_))));
}

#[test]
fn without_marks_the_cursor_row_is_the_source() {
    let (mut app, _) = opened();
    goto(&mut app, PaneSide::Left, "videos/");
    let e = ch(&mut app, 'c');
    let spec = &previews(&e)[0].1;
    assert_eq!(spec.mappings.len(), 1);
    assert_eq!(
        spec.mappings[0].source,
        Location::new("src-bucket", "videos/")
    );
    assert_eq!(
        spec.mappings[0].destination,
        Location::new("dst-bucket", "videos/"),
        "right cursor on the root"
    );
}

#[test]
fn copy_into_its_own_source_is_refused() {
    let mut fake = sample_fake();
    let (mut app, effects) = init(Some("s3://src-bucket"), Some("s3://src-bucket"));
    // Same store on both sides for this test.
    app.pane_mut(PaneSide::Right).conn = app.pane(PaneSide::Left).conn.clone();
    fake.settle(&mut app, effects);
    ch(&mut app, ' '); // photos/ on the left
    key(&mut app, KeyCode::Tab);
    goto(&mut app, PaneSide::Right, "photos/");
    let e = ch(&mut app, 'c');
    assert!(previews(&e).is_empty(), "{e:?}");
    assert!(
        status_text(&app).contains("inside the source"),
        "{}",
        status_text(&app)
    );
}

#[test]
fn preview_streams_totals_then_queues_a_copy() {
    let (mut app, _) = marked_for_copy();
    let e = ch(&mut app, 'c');
    let (request, _) = previews(&e)[0].clone();
    send(
        &mut app,
        Msg::PreviewChunk {
            request,
            entries: vec![
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
            ],
        },
    );
    // A chunk for another (cancelled) preview does not count.
    send(
        &mut app,
        Msg::PreviewChunk {
            request: request + 1000,
            entries: vec![plan_entry("z", "z", 1, PlanAction::Copy)],
        },
    );
    let Some(Dialog::Preview(p)) = app.dialogs.last() else {
        panic!("preview open")
    };
    assert_eq!(
        (
            p.totals.objects,
            p.totals.bytes,
            p.totals.copy,
            p.totals.overwrite
        ),
        (2, 5_000_000, 1, 1)
    );
    assert!(!p.done);

    // A copy can be queued while the preview still streams.
    let e = key(&mut app, KeyCode::Enter);
    assert!(e.contains(&Effect::Cancel { request }), "{e:?}");
    let submitted: Vec<_> = e
        .iter()
        .filter_map(|e| match e {
            Effect::SubmitJob(spec) => Some(spec.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(submitted.len(), 1);
    assert_eq!(submitted[0].kind, JobKind::Copy);
    assert!(app.dialogs.is_empty());
    assert!(
        app.pane(PaneSide::Left).marks.is_empty(),
        "marks are used up by the job"
    );
    send(&mut app, Msg::JobSubmitted { result: Ok(7) });
    assert_eq!(status_text(&app), "job 7 queued");
    send(
        &mut app,
        Msg::JobSubmitted {
            result: Err("journal is locked".into()),
        },
    );
    assert!(status_is_error(&app) && status_text(&app).contains("journal is locked"));
}

#[test]
fn esc_cancels_the_preview() {
    let (mut app, _) = marked_for_copy();
    let e = ch(&mut app, 'c');
    let (request, _) = previews(&e)[0].clone();
    let e = key(&mut app, KeyCode::Esc);
    assert_eq!(e, vec![Effect::Cancel { request }]);
    assert!(app.dialogs.is_empty());
    assert_eq!(app.pane(PaneSide::Left).marks.len(), 2, "marks kept");
}

#[test]
fn a_move_needs_a_finished_preview_and_a_second_confirmation() {
    let (mut app, _) = marked_for_copy();
    let e = ch(&mut app, 'm');
    let (request, spec) = previews(&e)[0].clone();
    assert_eq!(spec.kind, JobKind::Move);
    send(
        &mut app,
        Msg::PreviewChunk {
            request,
            entries: (0..1204)
                .map(|i| {
                    plan_entry(
                        &format!("photos/{i}"),
                        &format!("2024/photos/{i}"),
                        2_853_000,
                        PlanAction::Copy,
                    )
                })
                .collect(),
        },
    );
    // Not finished: no confirmation yet.
    let e = key(&mut app, KeyCode::Enter);
    assert!(e.is_empty(), "{e:?}");
    let Some(Dialog::Preview(p)) = app.dialogs.last() else {
        panic!()
    };
    assert!(p
        .field_error
        .as_deref()
        .unwrap_or_default()
        .contains("wait for the preview"));

    send(
        &mut app,
        Msg::PreviewDone {
            request,
            result: Ok(()),
        },
    );
    let e = key(&mut app, KeyCode::Enter);
    assert!(e.is_empty(), "the first enter only asks: {e:?}");
    let Some(Dialog::Confirm(c)) = app.dialogs.last() else {
        panic!("confirmation shown")
    };
    assert_eq!(c.lines[0], "Move 1,204 objects (3.2 GiB)");
    assert!(matches!(&c.on_yes, OnYes::Submit(s) if s.kind == JobKind::Move));

    // Enter does not count as yes; n goes back to the preview.
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    ch(&mut app, 'n');
    assert!(matches!(app.dialogs.last(), Some(Dialog::Preview(_))));
    key(&mut app, KeyCode::Enter);
    let e = ch(&mut app, 'y');
    let submitted: Vec<_> = e
        .iter()
        .filter(|e| matches!(e, Effect::SubmitJob(s) if s.kind == JobKind::Move))
        .collect();
    assert_eq!(submitted.len(), 1, "{e:?}");
    assert!(app.dialogs.is_empty());
}

#[test]
fn preview_destination_rewrite_and_policy_restart_the_preview() {
    let (mut app, _) = marked_for_copy();
    let e = ch(&mut app, 'c');
    let (first, _) = previews(&e)[0].clone();

    // Destination: typed without a trailing slash, taken as a folder.
    ch(&mut app, 'e');
    ctrl(&mut app, 'u');
    let e: Vec<Effect> = typed(&mut app, "backup")
        .into_iter()
        .chain(key(&mut app, KeyCode::Enter))
        .collect();
    assert!(e.contains(&Effect::Cancel { request: first }), "{e:?}");
    let (second, spec) = previews(&e)[0].clone();
    assert_eq!(
        spec.mappings[0].destination,
        Location::new("dst-bucket", "backup/photos/")
    );
    assert_eq!(
        spec.mappings[1].destination,
        Location::new("dst-bucket", "backup/")
    );

    // A bad rewrite rule is refused in place, nothing restarts.
    ch(&mut app, 'w');
    let e: Vec<Effect> = typed(&mut app, "([=>x")
        .into_iter()
        .chain(key(&mut app, KeyCode::Enter))
        .collect();
    assert!(e.is_empty(), "{e:?}");
    let Some(Dialog::Preview(p)) = app.dialogs.last() else {
        panic!()
    };
    assert!(p
        .field_error
        .as_deref()
        .unwrap_or_default()
        .contains("invalid regex"));
    key(&mut app, KeyCode::Esc); // leaves the field, not the dialog
    assert!(matches!(app.dialogs.last(), Some(Dialog::Preview(_))));

    ch(&mut app, 'w');
    let e: Vec<Effect> = typed(&mut app, "\\.jpg$=>.jpeg")
        .into_iter()
        .chain(key(&mut app, KeyCode::Enter))
        .collect();
    let (third, spec) = previews(&e)[0].clone();
    assert!(e.contains(&Effect::Cancel { request: second }));
    assert_eq!(spec.plan.rewrite.as_deref(), Some("\\.jpg$=>.jpeg"));

    let mut seen = Vec::new();
    let mut last = third;
    for _ in 0..3 {
        let e = ch(&mut app, 't');
        let (r, spec) = previews(&e)[0].clone();
        assert!(e.contains(&Effect::Cancel { request: last }));
        last = r;
        seen.push(spec.plan.conflict);
    }
    assert_eq!(
        seen,
        vec![
            ConflictPolicy::Skip,
            ConflictPolicy::SkipIdentical,
            ConflictPolicy::Overwrite
        ]
    );
}

#[test]
fn compare_mode_compares_the_two_open_folders() {
    let (mut app, fake) = compare_ready();
    let e = ch(&mut app, 'd');
    let Some(Effect::StartCompare {
        request,
        src,
        dst,
        dst_conn,
        ..
    }) = e.first().cloned()
    else {
        panic!("{e:?}");
    };
    assert_eq!(src, Location::new("src-bucket", "photos/"));
    assert_eq!(dst, Location::new("dst-bucket", "backup/"));
    assert_eq!(
        dst_conn.endpoint_url.as_deref(),
        Some("http://127.0.0.1:9000"),
        "each side on its own connection"
    );
    assert!(app.busy(), "the spinner runs while comparing");

    // Results stream in key order: what was merged is marked, the rest waits.
    let entries = fake.diff(&src, &dst);
    let (first, rest) = entries.split_at(2); // 2024/c.jpg, 2024/d.jpg
    send(
        &mut app,
        Msg::CompareChunk {
            request,
            entries: first.to_vec(),
        },
    );
    assert_eq!(
        markers(&app, PaneSide::Left),
        vec![
            "photos/ ≠",
            "2024/ ≠",
            "c.jpg +",
            "d.jpg =",
            "a.jpg",
            "b.jpg",
            "new/",
            "readme.txt"
        ]
    );
    send(
        &mut app,
        Msg::CompareChunk {
            request,
            entries: rest.to_vec(),
        },
    );
    send(
        &mut app,
        Msg::CompareDone {
            request,
            result: Ok(()),
        },
    );
    assert!(!app.busy());
    assert_eq!(
        markers(&app, PaneSide::Left),
        vec![
            "photos/ ≠",
            "2024/ ≠",
            "c.jpg +",
            "d.jpg =",
            "a.jpg =",
            "b.jpg ≠",
            "new/ +",
            "readme.txt"
        ],
        "readme.txt is outside the compared folder"
    );
    assert_eq!(
        markers(&app, PaneSide::Right),
        vec![
            "backup/ ≠",
            "2024/ ≠",
            "d.jpg =",
            "a.jpg =",
            "b.jpg ≠",
            "old.txt +"
        ],
        "the right 2024/ lacks c.jpg"
    );
    let c = app.compare.as_ref().expect("compare mode");
    assert_eq!(c.summary(PaneSide::Left), "+3 ≠1 =2");
    assert_eq!(c.summary(PaneSide::Right), "+1 ≠1 =2");
    assert!(
        status_text(&app).contains("3 only in the source")
            && status_text(&app).contains("D marks the differences"),
        "{}",
        status_text(&app)
    );

    // d again ends compare mode; a late result of it is ignored.
    assert!(ch(&mut app, 'd').is_empty());
    assert!(app.compare.is_none());
    assert!(markers(&app, PaneSide::Left).is_empty());
    send(
        &mut app,
        Msg::CompareChunk {
            request,
            entries: rest.to_vec(),
        },
    );
    assert!(app.compare.is_none());

    // Ending it while it runs stops the background comparison.
    let e = ch(&mut app, 'd');
    let Some(Effect::StartCompare { request, .. }) = e.first().cloned() else {
        panic!("{e:?}");
    };
    assert_eq!(ch(&mut app, 'd'), vec![Effect::Cancel { request }]);
}

#[test]
fn marking_the_differences_copies_exactly_them() {
    let (mut app, fake) = compare_ready();
    // Before any comparison, and while one runs, D says what to do.
    assert!(ch(&mut app, 'D').is_empty());
    assert!(status_is_error(&app) && status_text(&app).contains("d compares"));
    let e = ch(&mut app, 'd');
    assert!(matches!(e.first(), Some(Effect::StartCompare { .. })));
    ch(&mut app, 'D');
    assert!(status_text(&app).contains("wait for the comparison"));
    ch(&mut app, 'd');

    // An earlier mark is replaced by the differences.
    goto(&mut app, PaneSide::Left, "a.jpg");
    ch(&mut app, ' ');
    compared(&mut app, &fake);
    assert!(ch(&mut app, 'D').is_empty());
    let marks: Vec<(String, MarkKind, u64, u64)> = app
        .pane(PaneSide::Left)
        .marks
        .iter()
        .map(|(k, m)| {
            let MarkSize::Known(c) = m.size else {
                panic!("sizes are known from the comparison: {m:?}")
            };
            (k.clone(), m.kind, c.objects, c.bytes)
        })
        .collect();
    assert_eq!(
        marks,
        vec![
            (
                "photos/2024/c.jpg".to_string(),
                MarkKind::Object,
                1,
                1_500_000
            ),
            ("photos/b.jpg".to_string(), MarkKind::Object, 1, 3_000_000),
            ("photos/new/".to_string(), MarkKind::Prefix, 2, 30),
        ],
        "a folder with nothing the same is marked whole"
    );
    assert!(
        status_text(&app).contains("marked 3 difference(s): 4 objects"),
        "{}",
        status_text(&app)
    );

    // c copies them to the same paths below the compared right folder, even
    // with the right cursor inside a subfolder.
    key(&mut app, KeyCode::Tab);
    goto(&mut app, PaneSide::Right, "d.jpg");
    key(&mut app, KeyCode::BackTab);
    let e = ch(&mut app, 'c');
    let spec = &previews(&e)[0].1;
    assert_eq!(
        spec.mappings,
        vec![
            SourceMapping {
                source: Location::new("src-bucket", "photos/2024/c.jpg"),
                destination: Location::new("dst-bucket", "backup/2024/"),
                single_object: true,
            },
            SourceMapping {
                source: Location::new("src-bucket", "photos/b.jpg"),
                destination: Location::new("dst-bucket", "backup/"),
                single_object: true,
            },
            SourceMapping {
                source: Location::new("src-bucket", "photos/new/"),
                destination: Location::new("dst-bucket", "backup/new/"),
                single_object: false,
            },
        ]
    );
    assert_eq!(spec.plan.conflict, ConflictPolicy::Overwrite);

    // After the job, the comparison runs again to show the result.
    key(&mut app, KeyCode::Esc);
    let running = job(
        9,
        JobKind::Copy,
        JobState::Running,
        progress((0, 4), (0, 10), 0),
    );
    send(&mut app, Msg::JobsSnapshot(vec![running.clone()]));
    let mut done = running;
    done.state = JobState::Completed;
    done.destination = "s3://dst-bucket/backup/".into();
    let e = send(&mut app, Msg::JobsSnapshot(vec![done]));
    assert!(
        e.iter()
            .any(|e| matches!(e, Effect::StartCompare { src, .. } if src.prefix == "photos/")),
        "{e:?}"
    );
    assert!(app.compare.as_ref().is_some_and(|c| c.running()));
}

#[test]
fn nothing_to_mark_when_the_folders_match() {
    let mut fake = FakeS3::with(&[
        ("src-bucket", &[("p/a", 1), ("p/b", 2)]),
        ("dst-bucket", &[("q/a", 1), ("q/b", 2), ("q/extra", 3)]),
    ]);
    let (mut app, effects) = init(Some("s3://src-bucket/p/"), Some("s3://dst-bucket/q/"));
    fake.settle(&mut app, effects);
    compared(&mut app, &fake);
    ch(&mut app, 'D');
    assert!(app.pane(PaneSide::Left).marks.is_empty());
    assert!(
        status_text(&app).contains("nothing to mark"),
        "{}",
        status_text(&app)
    );
    assert_eq!(
        markers(&app, PaneSide::Right),
        vec!["a =", "b =", "extra +"]
    );
}

/// Marks `photos/` alone and opens `2024/` on the right, so the plan maps
/// `photos/K` to `2024/photos/K`: TargetKeyPrefix `2024/`.
fn batch_preview(config: Config, kind: char) -> (s3ferry::tui::app::App, u64) {
    let mut fake = sample_fake();
    let (mut app, effects) = init_with(
        config,
        Some("s3://src-bucket"),
        Some("s3://dst-bucket"),
        false,
    );
    fake.settle(&mut app, effects);
    let e = ch(&mut app, ' '); // photos/
    fake.settle(&mut app, e);
    key(&mut app, KeyCode::Tab);
    goto(&mut app, PaneSide::Right, "2024/");
    let e = key(&mut app, KeyCode::Enter);
    fake.settle(&mut app, e);
    key(&mut app, KeyCode::BackTab);
    let e = ch(&mut app, kind);
    let (request, spec) = previews(&e)[0].clone();
    assert_eq!(
        spec.mappings[0].destination,
        Location::new("dst-bucket", "2024/photos/")
    );
    send(
        &mut app,
        Msg::PreviewChunk {
            request,
            entries: vec![
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
                    "photos/huge.iso",
                    "2024/photos/huge.iso",
                    6 << 30,
                    PlanAction::Copy,
                ),
            ],
        },
    );
    (app, request)
}

fn batch_config() -> Config {
    let mut cfg = Config::defaults();
    cfg.batch.role_arn = Some("arn:aws:iam::123456789012:role/batch".into());
    cfg.batch.control_endpoint_url = Some("http://127.0.0.1:1".into());
    cfg
}

#[test]
fn batch_operations_form_confirmation_and_submit() {
    let (mut app, request) = batch_preview(batch_config(), 'c');
    // Not complete: B waits for the whole plan.
    assert!(ch(&mut app, 'B').is_empty());
    assert!(status_text(&app).contains("wait for the preview"));
    assert!(matches!(app.dialogs.last(), Some(Dialog::Preview(_))));
    send(
        &mut app,
        Msg::PreviewDone {
            request,
            result: Ok(()),
        },
    );
    assert!(ch(&mut app, 'B').is_empty());
    let Some(Dialog::BatchForm(form)) = app.dialogs.last() else {
        panic!("the form opens: {:?}", app.dialogs.last());
    };
    assert_eq!(form.role_arn.text, "arn:aws:iam::123456789012:role/batch");
    assert_eq!(form.field, BatchField::Report, "the empty field first");
    assert_eq!(
        (form.objects, form.excluded),
        (2, 1),
        "over 5 GiB is left out"
    );
    assert_eq!(form.target_prefix, "2024/");

    // Letters type, even those bound to actions elsewhere (q quits, j moves).
    typed(&mut app, "s3://rep-bucket/jq");
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "reports");
    // A bad role is sent back to its field.
    key(&mut app, KeyCode::Tab);
    ctrl(&mut app, 'u');
    typed(&mut app, "not-an-arn");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let Some(Dialog::BatchForm(form)) = app.dialogs.last() else {
        panic!("still the form");
    };
    assert_eq!(form.field, BatchField::RoleArn);
    assert!(form
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("role ARN"));
    ctrl(&mut app, 'u');
    typed(&mut app, "arn:aws:iam::123456789012:role/batch");
    key(&mut app, KeyCode::Enter);

    let Some(Dialog::Confirm(c)) = app.dialogs.last() else {
        panic!("confirmation: {:?}", app.dialogs.last());
    };
    assert_eq!(
        c.lines[0],
        "Copy 2 objects (4.8 MiB) with S3 Batch Operations"
    );
    assert_eq!(c.lines[1], "from s3://src-bucket/photos/");
    assert!(
        c.lines[2].contains("TargetKeyPrefix \"2024/\""),
        "{:?}",
        c.lines
    );
    assert!(c
        .lines
        .iter()
        .any(|l| l.contains("1 delete marker(s) or object(s) over 5 GiB")));
    assert!(
        !c.lines.iter().any(|l| l.contains("deleted")),
        "a copy deletes nothing"
    );

    let e = ch(&mut app, 'y');
    let [Effect::SubmitBatch(req)] = e.as_slice() else {
        panic!("one SubmitBatch: {e:?}");
    };
    assert_eq!(req.role_arn, "arn:aws:iam::123456789012:role/batch");
    assert_eq!(req.report, Location::new("rep-bucket", "reports/"));
    assert_eq!(req.priority, 10);
    assert_eq!(req.control_endpoint.as_deref(), Some("http://127.0.0.1:1"));
    assert!(!req.move_sources);
    assert_eq!(req.spec.kind, JobKind::Copy);
    assert_eq!(
        req.spec.mappings,
        vec![SourceMapping {
            source: Location::new("src-bucket", "photos/"),
            destination: Location::new("dst-bucket", "2024/photos/"),
            single_object: false,
        }]
    );
    assert!(app.dialogs.is_empty());
    assert!(app.pane(PaneSide::Left).marks.is_empty(), "marks were used");

    // Failure: one line in the status bar.
    send(
        &mut app,
        Msg::BatchSubmitted {
            result: Err("CreateJob failed: AccessDenied".into()),
        },
    );
    assert!(status_is_error(&app));
    assert!(status_text(&app).contains("AccessDenied"));
    assert!(app.transfers.batches.is_empty());

    // Success: a row in the transfers panel, polled at once.
    let record = batch_record(req, "job-0042");
    let e = send(
        &mut app,
        Msg::BatchSubmitted {
            result: Ok(Box::new(Submitted {
                id: 3,
                record: record.clone(),
                excluded: vec![("photos/huge.iso".into(), "over 5 GiB".into())],
            })),
        },
    );
    assert!(
        status_text(&app).contains("job-0042"),
        "{}",
        status_text(&app)
    );
    assert!(status_text(&app).contains("photos/huge.iso"));
    assert_eq!(app.transfers.batches.len(), 1);
    assert_eq!(
        e,
        vec![Effect::PollBatch {
            id: 3,
            conn: record.spec.dst_conn.clone(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            remote_id: "job-0042".into(),
            control_endpoint: Some("http://127.0.0.1:1".into()),
        }]
    );
}

fn batch_record(req: &s3ferry::engine::batch::submit::SubmitRequest, remote: &str) -> BatchRecord {
    BatchRecord {
        remote_id: remote.into(),
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        spec: req.spec.clone(),
        target_prefix: "2024/".into(),
        manifest: "s3://rep-bucket/reports/manifests/m.csv".into(),
        report_bucket: req.report.bucket.clone(),
        report_prefix: req.report.prefix.clone(),
        objects: 2,
        bytes: 5_000_000,
        excluded: vec!["photos/huge.iso".into()],
        move_sources: req.move_sources,
        control_endpoint: req.control_endpoint.clone(),
    }
}

#[test]
fn a_batch_move_says_sources_are_deleted_after_checking() {
    let mut cfg = batch_config();
    cfg.batch.report = Some("s3://rep-bucket/r".into());
    let (mut app, request) = batch_preview(cfg, 'm');
    send(
        &mut app,
        Msg::PreviewDone {
            request,
            result: Ok(()),
        },
    );
    ch(&mut app, 'B');
    let Some(Dialog::BatchForm(form)) = app.dialogs.last() else {
        panic!("form");
    };
    assert_eq!(form.field, BatchField::RoleArn, "both prefilled");
    key(&mut app, KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = app.dialogs.last() else {
        panic!("confirmation");
    };
    assert!(c.lines[0].starts_with("Move 2 objects"), "{:?}", c.lines);
    let text = c.lines.join(" ");
    assert!(
        text.contains("each copy is checked") && text.contains("its source is deleted"),
        "{text}"
    );
    // n goes back to the form, esc to the preview.
    ch(&mut app, 'n');
    assert!(matches!(app.dialogs.last(), Some(Dialog::BatchForm(_))));
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.dialogs.last(), Some(Dialog::Preview(_))));
    ch(&mut app, 'B');
    key(&mut app, KeyCode::Enter);
    let e = ch(&mut app, 'y');
    let [Effect::SubmitBatch(req)] = e.as_slice() else {
        panic!("{e:?}");
    };
    assert!(req.move_sources);
    assert_eq!(req.spec.kind, JobKind::Move);
    assert_eq!(req.report, Location::new("rep-bucket", "r/"));
}

#[test]
fn enter_on_a_preview_the_planner_refused_says_why() {
    let (mut app, _) = marked_for_copy();
    let e = ch(&mut app, 'c');
    let (request, _) = previews(&e)[0].clone();
    send(
        &mut app,
        Msg::PreviewDone {
            request,
            result: Err("refusing to run: two sources write s3://dst-bucket/x".into()),
        },
    );
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "nothing queued");
    let screen = render(&mut app, 120, 40);
    assert!(
        screen.contains("cannot queue: refusing to run: two sources write s3://dst-bucket/x"),
        "{screen}"
    );
}

#[test]
fn plans_batch_cannot_express_are_refused_with_the_reason() {
    // Two sources: one job has one source.
    let (mut app, _) = marked_for_copy();
    let e = ch(&mut app, 'c');
    let (request, _) = previews(&e)[0].clone();
    send(
        &mut app,
        Msg::PreviewDone {
            request,
            result: Ok(()),
        },
    );
    assert!(ch(&mut app, 'B').is_empty());
    assert!(status_is_error(&app));
    assert!(
        status_text(&app).contains("one source"),
        "{}",
        status_text(&app)
    );
    // Said while the preview is open: the whole sentence shows above it.
    let screen = render(&mut app, 160, 45);
    assert!(
        screen.contains(
            "a Batch Operations job has one source; this preview has 2 (mark one prefix)"
        ),
        "{screen}"
    );
    key(&mut app, KeyCode::Esc);

    // An object dropped into another folder loses its prefix: not TargetKeyPrefix + key.
    let (mut app, _) = opened();
    goto(&mut app, PaneSide::Left, "x/");
    let e = key(&mut app, KeyCode::Enter);
    sample_fake().settle(&mut app, e);
    key(&mut app, KeyCode::End); // x/readme.txt
    key(&mut app, KeyCode::Tab);
    goto(&mut app, PaneSide::Right, "archive/");
    let e = key(&mut app, KeyCode::Enter);
    sample_fake().settle(&mut app, e);
    key(&mut app, KeyCode::BackTab);
    let e = ch(&mut app, 'c');
    let (request, spec) = previews(&e)[0].clone();
    assert_eq!(
        spec.mappings[0].source,
        Location::new("src-bucket", "x/readme.txt")
    );
    send(
        &mut app,
        Msg::PreviewChunk {
            request,
            entries: vec![plan_entry(
                "x/readme.txt",
                "archive/readme.txt",
                4198,
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
    assert!(ch(&mut app, 'B').is_empty());
    assert!(matches!(app.dialogs.last(), Some(Dialog::Preview(_))));
    let want = s3ferry::engine::batch::mapping::refusal(
        &Location::new("src-bucket", "x/readme.txt"),
        &Location::new("dst-bucket", "archive/"),
    );
    assert_eq!(status_text(&app), want);
    assert!(status_is_error(&app));

    // Read-only: refused before anything else.
    let (mut app, request) = batch_preview(batch_config(), 'c');
    send(
        &mut app,
        Msg::PreviewDone {
            request,
            result: Ok(()),
        },
    );
    app.read_only = true;
    assert!(ch(&mut app, 'B').is_empty());
    assert!(status_text(&app).starts_with("read-only"));
    assert!(matches!(app.dialogs.last(), Some(Dialog::Preview(_))));
}

#[test]
fn batch_jobs_are_listed_and_polled_every_ten_seconds() {
    let (mut app, _) = opened();
    let e = tick(&mut app, 250);
    assert_eq!(e, vec![Effect::LoadBatches], "listed at start");
    assert!(tick(&mut app, 500).is_empty(), "one listing at a time");
    let spec = s3ferry::engine::model::JobSpec {
        kind: JobKind::Move,
        mappings: vec![SourceMapping {
            source: Location::new("src-bucket", "photos/"),
            destination: Location::new("dst-bucket", "2024/photos/"),
            single_object: false,
        }],
        src_conn: Default::default(),
        dst_conn: Default::default(),
        plan: Default::default(),
        run: Default::default(),
    };
    let req = s3ferry::engine::batch::submit::SubmitRequest {
        spec,
        role_arn: "arn:aws:iam::1:role/b".into(),
        report: Location::new("rep-bucket", "r/"),
        manifest_to: None,
        account_id: None,
        priority: 10,
        storage_class: None,
        move_sources: true,
        control_endpoint: None,
    };
    let listing = |id: i64, remote: &str, move_job: Option<i64>| BatchListing {
        id,
        record: batch_record(&req, remote),
        move_job,
        created_at: 1_700_000_000,
    };
    let e = send(
        &mut app,
        Msg::BatchesLoaded {
            result: Ok(vec![listing(2, "job-b", None), listing(1, "job-a", None)]),
        },
    );
    let polled: Vec<i64> = e
        .iter()
        .filter_map(|e| match e {
            Effect::PollBatch { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(polled, vec![2, 1]);
    assert_eq!(app.transfers.len(), 2);

    // A failed DescribeJob stays in its row; a finished job is not asked again.
    let status = |id: &str, s: &str| JobStatus {
        job_id: id.into(),
        status: s.parse().expect("known status"),
        total: 2,
        succeeded: 2,
        failed: 0,
        elapsed_seconds: Some(5),
        failure_reasons: Vec::new(),
        status_update_reason: None,
        report_bucket: None,
        report_prefix: None,
    };
    send(
        &mut app,
        Msg::BatchPolled {
            id: 2,
            result: Err("DescribeJob job-b failed: AccessDenied".into()),
        },
    );
    assert!(!status_is_error(&app), "not fatal, not in the status line");
    assert!(matches!(&app.transfers.batches[0].remote, Some(Err(e)) if e.contains("AccessDenied")));
    // Job 1 is a completed move: the job deleting its checked sources starts.
    let e = send(
        &mut app,
        Msg::BatchPolled {
            id: 1,
            result: Ok(status("job-a", "Complete")),
        },
    );
    let [Effect::FinishBatchMove { id: 1, record, .. }] = e.as_slice() else {
        panic!("{e:?}");
    };
    assert_eq!(record.remote_id, "job-a");
    send(
        &mut app,
        Msg::BatchMoveStarted {
            id: 1,
            result: Ok(MoveStarted {
                job: 12,
                unchecked: Vec::new(),
            }),
        },
    );
    assert!(status_text(&app).contains("job 12 checks each copy"));
    assert_eq!(app.transfers.batches[1].move_job, Some(12));

    assert!(tick(&mut app, 9_000).is_empty(), "not yet 10 s");
    assert_eq!(tick(&mut app, 10_300), vec![Effect::LoadBatches]);
    let e = send(
        &mut app,
        Msg::BatchesLoaded {
            result: Ok(vec![
                listing(2, "job-b", None),
                listing(1, "job-a", Some(12)),
            ]),
        },
    );
    let polled: Vec<i64> = e
        .iter()
        .filter_map(|e| match e {
            Effect::PollBatch { id, .. } => Some(*id),
            Effect::FinishBatchMove { .. } => panic!("the move was started once: {e:?}"),
            _ => None,
        })
        .collect();
    assert_eq!(
        polled,
        vec![2],
        "only the unfinished job is described again"
    );

    // Enter on a batch row shows its details; pausing is not ours to do.
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus, Focus::Transfers);
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(status_text(&app).contains("job-b"), "{}", status_text(&app));
    assert!(ch(&mut app, 'p').is_empty());
    assert!(status_text(&app).contains("runs in S3 Batch Operations"));

    // A failed start is reported once, not retried on every poll.
    let (mut failing, _) = opened();
    send(
        &mut failing,
        Msg::BatchesLoaded {
            result: Ok(vec![listing(1, "job-a", None)]),
        },
    );
    let e = send(
        &mut failing,
        Msg::BatchPolled {
            id: 1,
            result: Ok(status("job-a", "Complete")),
        },
    );
    assert_eq!(e.len(), 1, "{e:?}");
    send(
        &mut failing,
        Msg::BatchMoveStarted {
            id: 1,
            result: Err("report not found".into()),
        },
    );
    assert!(status_is_error(&failing) && status_text(&failing).contains("report not found"));
    let e = send(
        &mut failing,
        Msg::BatchesLoaded {
            result: Ok(vec![listing(1, "job-a", None)]),
        },
    );
    assert!(e.is_empty(), "{e:?}");

    // Read-only never starts deleting.
    let (mut ro, _) = opened();
    ro.read_only = true;
    send(
        &mut ro,
        Msg::BatchesLoaded {
            result: Ok(vec![listing(1, "job-a", None)]),
        },
    );
    let e = send(
        &mut ro,
        Msg::BatchPolled {
            id: 1,
            result: Ok(status("job-a", "Complete")),
        },
    );
    assert!(e.is_empty(), "{e:?}");
}

#[test]
fn read_only_refuses_everything_that_writes() {
    let mut fake = sample_fake();
    let (mut app, effects) = init_with(
        Config::defaults(),
        Some("s3://src-bucket"),
        Some("s3://dst-bucket"),
        true,
    );
    fake.settle(&mut app, effects);
    // The footer does not offer what read-only refuses.
    let screen = render(&mut app, 160, 30);
    let footer = screen.lines().last().unwrap_or_default();
    assert!(
        !footer.contains("c copy") && !footer.contains("m move"),
        "{footer}"
    );
    assert!(footer.contains("q quit"), "{footer}");
    for k in ['c', 'm'] {
        let e = ch(&mut app, k);
        assert!(e.is_empty(), "{k}: {e:?}");
        assert!(
            status_is_error(&app) && status_text(&app).starts_with("read-only"),
            "{}",
            status_text(&app)
        );
    }
    // Comparing and marking the differences only read; copying them is refused.
    let request = compared(&mut app, &fake);
    assert!(app
        .compare
        .as_ref()
        .is_some_and(|c| c.request == request && c.done));
    ch(&mut app, 'D');
    assert!(
        !app.pane(PaneSide::Left).marks.is_empty(),
        "{}",
        status_text(&app)
    );
    assert!(ch(&mut app, 'c').is_empty());
    assert!(status_text(&app).starts_with("read-only"));
    ch(&mut app, 'd');
    ch(&mut app, 'u');

    // Jobs: pausing and cancelling are allowed, resuming and retrying are not.
    let jobs = vec![
        job(
            1,
            JobKind::Copy,
            JobState::Running,
            progress((1, 10), (1, 10), 0),
        ),
        job(
            2,
            JobKind::Copy,
            JobState::Interrupted,
            progress((1, 10), (1, 10), 2),
        ),
    ];
    send(&mut app, Msg::JobsSnapshot(jobs));
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus, Focus::Transfers);
    assert_eq!(ch(&mut app, 'p'), vec![Effect::PauseJob(1)]);
    key(&mut app, KeyCode::Down);
    assert!(ch(&mut app, 'p').is_empty());
    assert!(ch(&mut app, 'R').is_empty());
    assert!(status_text(&app).starts_with("read-only"));

    // The config switch works the same.
    let mut cfg = Config::defaults();
    cfg.ui.read_only = true;
    let (app, _) = init_with(cfg, None, None, false);
    assert!(app.read_only);
}

#[test]
fn listing_errors_reach_the_status_line_and_the_row() {
    let (mut app, _) = opened();
    let e = key(&mut app, KeyCode::Enter);
    let Some(Effect::ListPage { request, .. }) = e.first().cloned() else {
        panic!("{e:?}")
    };
    send(
        &mut app,
        Msg::ListResult {
            request,
            result: Err("access denied to bucket \"src-bucket\"".into()),
        },
    );
    assert!(status_is_error(&app));
    assert!(status_text(&app).contains("access denied"));
    assert_eq!(rows(&app, PaneSide::Left)[1], "   <error>");
    // Enter on the error row retries.
    goto(&mut app, PaneSide::Left, "<error>");
    let e = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(e.as_slice(), [Effect::ListPage { req, token: None, .. }] if req.prefix == "photos/"),
        "{e:?}"
    );
    // Errors fade after a while; info sooner.
    tick(&mut app, 31_000);
    assert!(app.status.is_none());
    send(&mut app, Msg::Error("pause failed: no such job".into()));
    assert!(status_is_error(&app));
}

#[test]
fn quitting_asks_while_jobs_run() {
    let (mut app, _) = opened();
    assert_eq!(ch(&mut app, 'q'), vec![Effect::Quit]);

    let (mut app, _) = opened();
    send(
        &mut app,
        Msg::JobsSnapshot(vec![job(
            3,
            JobKind::Copy,
            JobState::Running,
            progress((1, 2), (1, 2), 0),
        )]),
    );
    assert!(ch(&mut app, 'q').is_empty());
    let Some(Dialog::Confirm(c)) = app.dialogs.last() else {
        panic!("asks first")
    };
    assert!(c.lines[0].contains("1 job(s) still running (job 3)"));
    // It says what quitting does to them.
    let text = c.lines.join(" ");
    assert!(text.contains("aborted after 3s"), "{text}");
    assert!(text.contains("s3ferry resume 3"), "{text}");
    ch(&mut app, 'n');
    assert!(app.dialogs.is_empty() && !app.quitting);
    ctrl(&mut app, 'c');
    assert_eq!(ch(&mut app, 'y'), vec![Effect::Quit]);
    assert!(app.quitting);

    // A second q, or ctrl-c, confirms.
    for second in [Key::Char('q'), Key::Ctrl('c')] {
        let (mut app, _) = opened();
        let running = job(
            3,
            JobKind::Copy,
            JobState::Running,
            progress((1, 2), (1, 2), 0),
        );
        send(&mut app, Msg::JobsSnapshot(vec![running]));
        assert!(ch(&mut app, 'q').is_empty());
        let effects = match second {
            Key::Char(c) => ch(&mut app, c),
            Key::Ctrl(c) => ctrl(&mut app, c),
        };
        assert_eq!(effects, vec![Effect::Quit], "{second:?}");
        assert!(app.quitting);
    }
}

#[derive(Debug, Clone, Copy)]
enum Key {
    Char(char),
    Ctrl(char),
}

#[test]
fn transfers_control_the_selected_job() {
    let (mut app, _) = opened();
    let jobs = vec![
        job(
            1,
            JobKind::Copy,
            JobState::Completed,
            progress((10, 10), (10, 10), 0),
        ),
        job(
            2,
            JobKind::Move,
            JobState::Failed,
            progress((10, 10), (10, 10), 3),
        ),
        job(
            3,
            JobKind::Copy,
            JobState::Running,
            progress((5, 10), (5, 10), 0),
        ),
        job(
            4,
            JobKind::Copy,
            JobState::Interrupted,
            progress((5, 10), (5, 10), 0),
        ),
        job(
            5,
            JobKind::Copy,
            JobState::Paused,
            progress((5, 10), (5, 10), 0),
        ),
    ];
    send(&mut app, Msg::JobsSnapshot(jobs));
    // Active jobs first, newest first.
    let order: Vec<i64> = app.transfers.jobs.iter().map(|j| j.id).collect();
    assert_eq!(order, vec![5, 3, 4, 2, 1]);
    key(&mut app, KeyCode::BackTab);
    let cases: [(char, Vec<Effect>); 5] = [
        ('p', vec![Effect::ResumeJob(5)]),
        ('x', vec![Effect::CancelJob(5)]),
        ('R', vec![]),
        ('j', vec![]),
        ('p', vec![Effect::PauseJob(3)]),
    ];
    for (i, (k, want)) in cases.into_iter().enumerate() {
        assert_eq!(ch(&mut app, k), want, "step {i}: {k}");
    }
    ch(&mut app, 'j');
    assert_eq!(
        ch(&mut app, 'p'),
        vec![Effect::ResumeJob(4)],
        "jobs of an earlier run resume"
    );
    ch(&mut app, 'j');
    assert_eq!(ch(&mut app, 'R'), vec![Effect::RetryFailed(2)]);
    ch(&mut app, 'j');
    assert!(
        ch(&mut app, 'x').is_empty(),
        "a completed job cannot be cancelled"
    );

    // Details with the failed objects.
    key(&mut app, KeyCode::Up);
    let e = key(&mut app, KeyCode::Enter);
    assert_eq!(e, vec![Effect::LoadJobDetails(2)]);
    let failed = vec![s3ferry::engine::model::FailedEntry {
        src_key: "photos/a.jpg".into(),
        dst_key: "2024/photos/a.jpg".into(),
        version_id: None,
        reason: "AccessDenied".into(),
    }];
    send(
        &mut app,
        Msg::JobDetailsLoaded {
            job: 2,
            result: Ok(failed.clone()),
        },
    );
    let Some(Dialog::JobDetails(d)) = app.dialogs.last() else {
        panic!()
    };
    assert_eq!(d.failed, Some(Ok(failed)));
    assert_eq!(
        ch(&mut app, 'R'),
        vec![Effect::RetryFailed(2)],
        "retry from the details too"
    );
    key(&mut app, KeyCode::Esc);
    assert!(app.dialogs.is_empty());
}

#[test]
fn throughput_is_sampled_on_ticks() {
    let (mut app, _) = opened();
    for s in 0..=10u64 {
        send(
            &mut app,
            Msg::JobsSnapshot(vec![job(
                1,
                JobKind::Copy,
                JobState::Running,
                progress((s * 10, 1000), (s * 1_048_576, 100 * 1_048_576), 0),
            )]),
        );
        tick(&mut app, s * 1000);
    }
    let rate = app.transfers.total_rate();
    assert_eq!(rate.bytes, 1_048_576.0);
    assert_eq!(rate.objects, 10.0);
    let series = app.transfers.throughput.series.per_second(10_000, 4, true);
    assert_eq!(series, vec![1_048_576; 4]);
}

#[test]
fn versions_list_under_the_object() {
    let (mut app, mut fake) = opened();
    fake.versions.insert(
        ("src-bucket".into(), "readme.txt".into()),
        vec![("v-old".into(), 100, false), ("v-del".into(), 0, true)],
    );
    fake.buckets
        .get_mut("src-bucket")
        .expect("bucket")
        .insert("readme.txt.bak".into(), 5);
    goto(&mut app, PaneSide::Left, "readme.txt");
    let e = ch(&mut app, 'v');
    let Some(Effect::ListPage { req, .. }) = e.first() else {
        panic!("{e:?}")
    };
    assert!(req.versions);
    assert_eq!(
        (req.prefix.as_str(), req.delimiter.as_deref()),
        ("readme.txt", None)
    );
    fake.settle(&mut app, e);
    let shown = rows(&app, PaneSide::Left);
    assert_eq!(
        shown[1..5],
        ["▸readme.txt", "   v-latest", "   v-old", "   v-del"],
        "{shown:?}"
    );
    assert!(
        !shown
            .iter()
            .any(|r| r.contains("bak") && r.starts_with("   ")),
        "other keys sharing the prefix are dropped"
    );
    // v again closes.
    ch(&mut app, 'v');
    assert_eq!(rows(&app, PaneSide::Left).len(), 4);
}

#[test]
fn filter_narrows_names() {
    let (mut app, _) = opened();
    ch(&mut app, '/');
    typed(&mut app, "READ");
    assert_eq!(rows(&app, PaneSide::Left), vec!["▸readme.txt"]);
    // Navigation still works while typing; enter keeps the filter.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.pane(PaneSide::Left).filter, "READ");
    key(&mut app, KeyCode::Esc);
    assert_eq!(rows(&app, PaneSide::Left).len(), 4);
}

#[test]
fn status_dialog_and_replication_summary() {
    let (mut app, mut fake) = opened();
    goto(&mut app, PaneSide::Left, "videos/");
    let e = ch(&mut app, 's');
    assert!(
        matches!(e.as_slice(), [Effect::LoadStatus { bucket, .. }] if bucket == "src-bucket"),
        "{e:?}"
    );
    fake.settle(&mut app, e);
    let e = ch(&mut app, 'o');
    let Some(Effect::LoadReplicationSummary {
        request,
        prefix,
        bucket,
        ..
    }) = e.first().cloned()
    else {
        panic!("{e:?}")
    };
    assert_eq!(
        (bucket.as_str(), prefix.as_str()),
        ("src-bucket", "videos/")
    );
    let summary = ReplicationSummary {
        prefix: "videos/".into(),
        scanned: 1,
        completed: 1,
        ..Default::default()
    };
    send(
        &mut app,
        Msg::ReplicationSummaryLoaded {
            request,
            result: Ok(summary.clone()),
        },
    );
    let Some(Dialog::Status(s)) = app.dialogs.last() else {
        panic!()
    };
    assert_eq!(s.summary, SummarySlot::Loaded(summary));
    key(&mut app, KeyCode::Esc);
    assert!(app.dialogs.is_empty());
}

#[test]
fn switching_connection_then_listing_its_buckets() {
    let (mut app, mut fake) = opened();
    key(&mut app, KeyCode::Tab);
    ch(&mut app, 'o');
    assert!(matches!(app.dialogs.last(), Some(Dialog::Connection(_))));
    key(&mut app, KeyCode::End); // endpoint URL…
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "ftp://nope");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let Some(Dialog::Connection(c)) = app.dialogs.last() else {
        panic!()
    };
    assert!(c.error.is_some());
    ctrl(&mut app, 'u');
    typed(&mut app, "http://localhost:9100");
    let e = key(&mut app, KeyCode::Enter);
    let Some(Effect::SwitchConnection { conn, .. }) = e.first().cloned() else {
        panic!("{e:?}")
    };
    assert_eq!(conn.endpoint_url.as_deref(), Some("http://localhost:9100"));
    assert!(app.dialogs.is_empty());
    assert!(matches!(app.pane(PaneSide::Right).view, View::Buckets(_)));
    let rest = fake.settle(&mut app, e);
    assert!(rest.is_empty());
    assert!(fake.seen.iter().any(|e| matches!(e, Effect::ListBuckets { conn, .. } if conn.endpoint_url.as_deref() == Some("http://localhost:9100"))));
    assert_eq!(
        bucket_cursor(&app, PaneSide::Right).as_deref(),
        Some("dst-bucket")
    );
}

#[test]
fn custom_keymap_drives_keys() {
    let mut cfg = Config::defaults();
    cfg.keys.insert("copy".into(), vec!["y".into()]);
    let mut fake = sample_fake();
    let (mut app, effects) =
        init_with(cfg, Some("s3://src-bucket"), Some("s3://dst-bucket"), false);
    fake.settle(&mut app, effects);
    assert!(ch(&mut app, 'c').is_empty());
    assert_eq!(previews(&ch(&mut app, 'y')).len(), 1);

    let mut cfg = Config::defaults();
    cfg.keys.insert("teleport".into(), vec!["t".into()]);
    let (app, _) = init_with(cfg, None, None, false);
    assert!(
        status_text(&app).contains("teleport"),
        "config problems are shown: {}",
        status_text(&app)
    );
}

#[test]
fn mouse_focuses_selects_and_scrolls() {
    let (mut app, _) = opened();
    let areas = layout::areas(app.width, app.height, 0).expect("fits");
    let inner = layout::inner(areas.right);
    let click = |x, y| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Second row of the right pane: archive/
    send(&mut app, click(inner.x + 3, inner.y + 1));
    assert_eq!(app.focus, Focus::Pane(PaneSide::Right));
    assert_eq!(cursor(&app, PaneSide::Right), "archive/");
    // Clicking the selected row opens it.
    let e = send(&mut app, click(inner.x + 3, inner.y + 1));
    assert!(
        matches!(e.as_slice(), [Effect::ListPage { req, .. }] if req.prefix == "archive/"),
        "{e:?}"
    );
    // The wheel scrolls the pane under the pointer.
    let left = layout::inner(areas.left);
    send(
        &mut app,
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::ScrollDown,
            column: left.x + 2,
            row: left.y + 2,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(cursor(&app, PaneSide::Left), "x/");
}

#[test]
fn tiny_terminals_do_not_break_state() {
    let (mut app, _) = opened();
    send(&mut app, Msg::Resize(20, 5));
    assert!(app.areas().is_none());
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::PageDown);
    send(
        &mut app,
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::ScrollDown,
            column: 1,
            row: 1,
            modifiers: KeyModifiers::NONE,
        }),
    );
    send(&mut app, Msg::Resize(120, 32));
    assert_eq!(cursor(&app, PaneSide::Left), "videos/");
}

#[test]
fn key_releases_are_ignored() {
    let (mut app, _) = opened();
    let mut ev = s3ferry::tui::app::event::KeyEvent::new(KeyCode::Down, KeyModifiers::NONE);
    ev.kind = s3ferry::tui::app::event::KeyEventKind::Release;
    update(&mut app, Msg::Key(ev));
    assert_eq!(cursor(&app, PaneSide::Left), "photos/");
}

#[test]
fn a_finished_job_reloads_the_panes_it_changed() {
    let (mut app, mut fake) = opened();
    let running = job(
        8,
        JobKind::Move,
        JobState::Running,
        progress((1, 2), (1, 2), 0),
    );
    let old = job(
        2,
        JobKind::Copy,
        JobState::Completed,
        progress((2, 2), (2, 2), 0),
    );
    // Jobs already finished before this run are not news.
    let e = send(
        &mut app,
        Msg::JobsSnapshot(vec![old.clone(), running.clone()]),
    );
    assert!(e.is_empty(), "{e:?}");
    let mut done = running.clone();
    done.state = JobState::Completed;
    done.progress = progress((2, 2), (2, 2), 0);
    done.source = "s3://src-bucket/photos/".into();
    done.destination = "s3://dst-bucket/2024/photos/".into();
    let e = send(&mut app, Msg::JobsSnapshot(vec![old, done.clone()]));
    let reloaded: Vec<&str> = e
        .iter()
        .filter_map(|e| match e {
            Effect::ListPage { req, .. } if req.prefix.is_empty() => Some(req.bucket.as_str()),
            _ => None,
        })
        .collect();
    // A move changes both sides.
    assert_eq!(reloaded, vec!["src-bucket", "dst-bucket"]);
    assert!(
        status_text(&app).starts_with("job 8 completed: 2 copied"),
        "{}",
        status_text(&app)
    );
    fake.settle(&mut app, e);
    assert_eq!(
        cursor(&app, PaneSide::Left),
        "photos/",
        "the cursor survives the reload"
    );
    // Reported once.
    assert!(send(&mut app, Msg::JobsSnapshot(vec![done])).is_empty());
}

#[test]
fn a_refused_preview_cannot_be_queued() {
    let (mut app, _) = marked_for_copy();
    let e = ch(&mut app, 'c');
    let (request, _) = previews(&e)[0].clone();
    send(
        &mut app,
        Msg::PreviewDone {
            request,
            result: Err("2 sources map to the same destination key 2024/x".into()),
        },
    );
    let e = key(&mut app, KeyCode::Enter);
    assert!(e.is_empty(), "{e:?}");
    let Some(Dialog::Preview(p)) = app.dialogs.last() else {
        panic!("still in the preview")
    };
    assert!(p
        .field_error
        .as_deref()
        .unwrap_or_default()
        .contains("same destination key"));
}

/// A job queued while the cursor sits on an old one takes the cursor, so
/// the next `p` or `x` goes to it.
#[test]
fn a_new_job_takes_the_transfers_cursor() {
    let (mut app, _) = opened();
    let p = progress((1, 1), (10, 10), 0);
    let old = |id| job(id, JobKind::Copy, JobState::Completed, p.clone());
    send(&mut app, Msg::JobsSnapshot(vec![old(1), old(2)]));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.transfers.selected_job().map(|j| j.id), Some(1));
    let running = job(
        3,
        JobKind::Copy,
        JobState::Running,
        progress((0, 9), (0, 90), 0),
    );
    send(
        &mut app,
        Msg::JobsSnapshot(vec![old(1), old(2), running.clone()]),
    );
    assert_eq!(app.transfers.selected_job().map(|j| j.id), Some(3));
    assert_eq!(app.transfers.offset, 0, "in view");
    // Later snapshots of the same jobs leave the cursor where the user put it.
    key(&mut app, KeyCode::Down);
    let chosen = app.transfers.selected_job().map(|j| j.id);
    send(&mut app, Msg::JobsSnapshot(vec![old(1), old(2), running]));
    assert_eq!(app.transfers.selected_job().map(|j| j.id), chosen);
}
