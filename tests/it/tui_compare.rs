//! Compare mode against real servers: the comparison the TUI runs in the
//! background (`diff::diff_stream`, shared with `s3ferry diff`) on the sandbox
//! and moto, fed into the app as the runtime feeds it, then `D` and `c`.

use crate::common;

use common::*;
use futures::StreamExt;
use s3ferry::compare::{diff_stream, DiffOptions, DiffSide, Status};
use s3ferry::config::Config;
use s3ferry::location::Location;
use s3ferry::plan::model::SourceMapping;
use s3ferry::s3::ConnectionPool;
use s3ferry::tui::app::event::{KeyCode, KeyEvent, KeyModifiers};
use s3ferry::tui::app::{update, App, AppInit, Effect, Msg, PaneSide};

fn press(app: &mut App, c: char) -> Vec<Effect> {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), mods)))
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_marks_and_copies_exactly_the_differences() {
    for srv in servers() {
        let c = srv.client();
        let a = srv.bucket("cmp-a", false).await;
        let b = srv.bucket("cmp-b", false).await;
        for (k, v) in [
            ("p/same", "same"),
            ("p/size", "short"),
            ("p/etag", "aaaa"),
            ("p/new/x", "x"),
            ("p/new/y", "yy"),
            ("p/sub/keep", "k"),
            ("p/sub/miss", "mmm"),
            ("p/a b+c", "tricky"),
        ] {
            put(&c, &a, k, v).await;
        }
        for (k, v) in [
            ("q/same", "same"),
            ("q/size", "longer!"),
            ("q/etag", "bbbb"),
            ("q/sub/keep", "k"),
            ("q/zz-extra", "z"),
        ] {
            put(&c, &b, k, v).await;
        }

        // The background comparison, as tui/effects/compare.rs runs it.
        let pool = ConnectionPool::new();
        let conn = pool.get(&srv.settings()).await.expect("connection");
        let side =
            |bucket: &str, prefix: &str| DiffSide::open(&conn, Location::new(bucket, prefix));
        let (sa, sb) = (
            side(&a, "p/").await.expect("side"),
            side(&b, "q/").await.expect("side"),
        );
        let entries: Vec<_> = diff_stream(sa, sb, DiffOptions::default())
            .map(|e| e.expect("compared"))
            .collect()
            .await;
        let got: Vec<(&str, Status, Option<u64>)> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.status, e.src_size))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a b+c", Status::OnlySrc, Some(6)),
                ("etag", Status::Different, Some(4)),
                ("new/x", Status::OnlySrc, Some(1)),
                ("new/y", Status::OnlySrc, Some(2)),
                ("same", Status::Same, Some(4)),
                ("size", Status::Different, Some(5)),
                ("sub/keep", Status::Same, Some(1)),
                ("sub/miss", Status::OnlySrc, Some(3)),
                ("zz-extra", Status::OnlyDst, None),
            ],
            "{}",
            srv.name()
        );

        // Fed to the app: D marks exactly the differences, c maps them onto the same paths.
        let (mut app, _) = App::new(AppInit {
            config: Config::defaults(),
            src_conn: srv.settings(),
            dst_conn: srv.settings(),
            src: Some(Location::new(&a, "p/")),
            dst: Some(Location::new(&b, "q/")),
            read_only: false,
        });
        let e = press(&mut app, 'd');
        let Some(Effect::StartCompare {
            request, src, dst, ..
        }) = e.first().cloned()
        else {
            panic!("{}: {e:?}", srv.name());
        };
        assert_eq!(
            (src, dst),
            (Location::new(&a, "p/"), Location::new(&b, "q/"))
        );
        update(&mut app, Msg::CompareChunk { request, entries });
        update(
            &mut app,
            Msg::CompareDone {
                request,
                result: Ok(()),
            },
        );
        press(&mut app, 'D');
        let e = press(&mut app, 'c');
        let Some(Effect::StartPreview { spec, .. }) = e.first() else {
            panic!("{}: {e:?}", srv.name());
        };
        let m = |s: &str, d: &str, single| SourceMapping {
            source: Location::new(&a, s),
            destination: Location::new(&b, d),
            single_object: single,
        };
        assert_eq!(
            spec.mappings,
            vec![
                m("p/a b+c", "q/", true),
                m("p/etag", "q/", true),
                m("p/new/", "q/new/", false),
                m("p/size", "q/", true),
                m("p/sub/miss", "q/sub/", true),
            ],
            "{}",
            srv.name()
        );
        // The job is journaled and listed as going where it writes.
        assert_eq!(spec.destination_label(), format!("s3://{b}/q/"));
        let t = app.pane(PaneSide::Left).marks.totals();
        assert_eq!(
            (t.marks, t.objects, t.bytes),
            (5, 6, 6 + 4 + 1 + 2 + 5 + 3),
            "{}",
            srv.name()
        );
    }
}
