//! Scale: a prefix of 200,000 keys in the TUI. The first page shows at once
//! (one page requested, not the whole prefix), "load more" appends page by
//! page, and drawing stays cheap with the whole prefix loaded. Frame times are
//! printed for BENCHMARKS.md, not asserted (timings are flaky on shared machines).

use crate::tui_support;

use std::time::{Duration, Instant};

use s3ferry::tui::app::event::KeyCode;
use s3ferry::tui::app::{Effect, PaneSide};
use tui_support::*;

const KEYS: usize = 200_000;

#[test]
fn a_200k_key_prefix_opens_page_by_page_and_draws_cheaply() {
    let mut fake = FakeS3::default();
    let keys: Vec<(String, u64)> = (0..KEYS).map(|i| (format!("huge/k{i:07}"), 1024)).collect();
    fake.buckets
        .insert("src-bucket".into(), keys.into_iter().collect());
    fake.buckets.insert("dst-bucket".into(), Default::default());
    let (mut app, effects) = init(Some("s3://src-bucket"), Some("s3://dst-bucket"));
    fake.settle(&mut app, effects);

    // Opening the prefix asks for exactly one page.
    let e = key(&mut app, KeyCode::Enter);
    let pages = e
        .iter()
        .filter(|x| matches!(x, Effect::ListPage { .. }))
        .count();
    assert_eq!(pages, 1, "{e:?}");
    fake.settle(&mut app, e);
    let first = rows(&app, PaneSide::Left);
    assert!(
        first.iter().any(|r| r.contains("k0000999")),
        "first page shown"
    );
    assert!(
        !first.iter().any(|r| r.contains("k0001000")),
        "only the first page"
    );

    let start = Instant::now();
    let mut loads = 0;
    loop {
        key(&mut app, KeyCode::End);
        let e = key(&mut app, KeyCode::Enter);
        if !e.iter().any(|x| matches!(x, Effect::ListPage { .. })) {
            break;
        }
        fake.settle(&mut app, e);
        loads += 1;
        assert!(loads < 400, "load more never ends");
    }
    let load_time = start.elapsed();
    assert_eq!(loads, KEYS / 1000 - 1, "one request per page");
    assert!(
        cursor(&app, PaneSide::Left).contains("k0199999"),
        "{}",
        cursor(&app, PaneSide::Left)
    );

    let mut frames: Vec<Duration> = Vec::new();
    let mut presses: Vec<Duration> = Vec::new();
    for k in [
        KeyCode::Home,
        KeyCode::PageDown,
        KeyCode::End,
        KeyCode::PageUp,
        KeyCode::Up,
    ] {
        let t = Instant::now();
        key(&mut app, k);
        presses.push(t.elapsed());
        let t = Instant::now();
        let screen = render(&mut app, 160, 48);
        frames.push(t.elapsed());
        assert!(
            screen.contains("huge/") || screen.contains("k0"),
            "{screen}"
        );
    }
    // A filter over the whole loaded prefix: one key press re-filters 200,000 rows.
    let t = Instant::now();
    key(&mut app, KeyCode::Char('/'));
    for c in "k01234".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    let filter_time = t.elapsed();
    // The cursor was near the end; the filter hid its row, so it starts at the top.
    let screen = render(&mut app, 160, 48);
    assert!(screen.contains("k0123400"), "{screen}");
    assert!(!screen.contains("k0000001"), "{screen}");
    let shown = rows(&app, PaneSide::Left);
    assert_eq!(
        shown.iter().filter(|r| r.contains("k01234")).count(),
        100,
        "k0123400..k0123499 match: {shown:?}"
    );

    frames.sort();
    presses.sort();
    eprintln!(
        "scale: {KEYS} keys loaded in {} pages in {load_time:?}; frame time median {:?}, max {:?} (160x48); \
         key press median {:?}, max {:?}; filter typed over all rows in {filter_time:?}",
        loads + 1,
        frames[frames.len() / 2],
        frames[frames.len() - 1],
        presses[presses.len() / 2],
        presses[presses.len() - 1],
    );
}
