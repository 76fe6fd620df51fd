//! The transfers panel: throughput chart and job table.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Sparkline, Table};
use ratatui::Frame;

use super::{fmt, theme};
use crate::engine::model::{JobSnapshot, JobState};
use crate::s3::BatchStatus;
use crate::tui::app::batch::BatchRow;
use crate::tui::app::layout;
use crate::tui::app::transfers::throughput::{eta_secs, job_eta};
use crate::tui::app::{App, Focus};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let focused = app.focus == Focus::Transfers;
    let t = &app.transfers;
    let rate = t.total_rate();
    let (objects_left, bytes_left) = t.remaining();
    let mut title = vec![Span::styled(" TRANSFERS ", theme::title())];
    if t.is_empty() {
        title.push(Span::raw(" no jobs "));
    } else if t.jobs.is_empty() {
        let running = t.batches.iter().filter(|b| !b.finished()).count();
        title.push(Span::raw(format!(
            " {running} S3 Batch Operations job(s) running "
        )));
    } else {
        let listing = t
            .jobs
            .iter()
            .any(|j| j.state.is_active() && !j.progress.listing_done);
        let eta = eta_secs(objects_left, bytes_left, rate).filter(|_| !listing);
        title.push(Span::raw(format!(
            " {} running · {} · {} · ETA {} ",
            t.running(),
            fmt::object_rate(rate.objects),
            fmt::byte_rate(rate.bytes),
            fmt::eta(eta)
        )));
        let batches = t.batches.iter().filter(|b| !b.finished()).count();
        if batches > 0 {
            title.push(Span::raw(format!("· {batches} on S3 Batch Operations ")));
        }
    }
    let block = Block::bordered()
        .border_style(theme::border(focused))
        .title_top(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let chart_w = layout::chart_width(inner.width);
    let chart = Rect {
        width: chart_w,
        ..inner
    };
    draw_chart(frame, app, chart);
    draw_jobs(frame, app, layout::job_table(area), focused);
}

fn draw_chart(frame: &mut Frame, app: &App, area: Rect) {
    if area.width < 8 || area.height == 0 {
        return;
    }
    let label_w = 6u16;
    let halves: [Rect; 2] =
        Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(area);
    let series = &app.transfers.throughput.series;
    for (half, (label, bytes)) in halves.into_iter().zip([("B/s", true), ("obj/s", false)]) {
        if half.height == 0 {
            continue;
        }
        let [lab, spark]: [Rect; 2] =
            Layout::horizontal([Constraint::Length(label_w), Constraint::Min(1)]).areas(half);
        frame.render_widget(Paragraph::new(Span::styled(label, theme::dim())), lab);
        let data = series.last_minute(app.now_ms, spark.width as usize, bytes);
        let style = if bytes { theme::ok() } else { theme::key() };
        frame.render_widget(Sparkline::default().data(&data).style(style), spark);
    }
}

/// The job table's columns, in display order.
#[derive(Clone, Copy, PartialEq)]
enum Col {
    Id,
    State,
    Route,
    Progress,
    Objects,
    Bytes,
    Rate,
    Eta,
    Failed,
}

const ORDER: [Col; 9] = [
    Col::Id,
    Col::State,
    Col::Route,
    Col::Progress,
    Col::Objects,
    Col::Bytes,
    Col::Rate,
    Col::Eta,
    Col::Failed,
];
/// The route column takes what is left, but at least this.
const ROUTE_MIN: u16 = 16;

fn width_of(c: Col) -> u16 {
    match c {
        Col::Id => 4,
        Col::State => 16,
        Col::Route => ROUTE_MIN,
        Col::Progress => 13,
        Col::Objects => 13,
        Col::Bytes => 17,
        Col::Rate => 11,
        Col::Eta => 6,
        Col::Failed => 5,
    }
}

/// Room the route keeps beyond its minimum before optional columns are added.
const ROUTE_SPARE: u16 = 8;

/// The columns that fit `width`, taken by importance; and the route's width.
fn columns(width: u16) -> (Vec<Col>, u16) {
    let essential = [Col::Id, Col::State, Col::Route, Col::Progress, Col::Objects];
    let optional = [Col::Failed, Col::Eta, Col::Rate, Col::Bytes];
    let used = |cols: &[Col]| {
        cols.iter()
            .map(|c| width_of(*c) + 1)
            .sum::<u16>()
            .saturating_sub(1)
    };
    let mut chosen: Vec<Col> = essential.to_vec();
    for c in optional {
        let mut with = chosen.clone();
        with.push(c);
        if used(&with) + ROUTE_SPARE <= width {
            chosen = with;
        }
    }
    let route = width.saturating_sub(used(&chosen)) + ROUTE_MIN;
    let cols = ORDER.into_iter().filter(|c| chosen.contains(c)).collect();
    (cols, route)
}

/// `src-bucket/photos/ → dst-bucket/2024/photos/`, each side cut from the
/// start so the most specific part stays visible.
fn route(job: &JobSnapshot, width: usize) -> String {
    route_text(&job.source, &job.destination, width)
}

fn route_text(source: &str, destination: &str, width: usize) -> String {
    let strip = |s: &str| fmt::visible(s.strip_prefix("s3://").unwrap_or(s)).into_owned();
    let (src, dst) = (strip(source), strip(destination));
    if fmt::width(&src) + fmt::width(&dst) + 3 <= width {
        return format!("{src} → {dst}");
    }
    let half = width.saturating_sub(3) / 2;
    format!(
        "{} → {}",
        fmt::truncate_start(&src, half),
        fmt::truncate_start(&dst, width.saturating_sub(3 + half))
    )
}

/// `done/total` in `width` cells, in the short form when the full one
/// does not fit; `more` marks a total still growing.
fn done_of_total(
    width: usize,
    (done, total, more): (u64, u64, &str),
    full: fn(u64) -> String,
    short: fn(u64) -> String,
) -> String {
    fmt::fitting(
        width,
        format!("{}/{}{more}", full(done), full(total)),
        || format!("{}/{}{more}", short(done), short(total)),
    )
}

fn header(c: Col) -> &'static str {
    match c {
        Col::Id => "job",
        Col::State => "state",
        Col::Route => "source → destination",
        Col::Progress => "progress",
        Col::Objects => "objects",
        Col::Bytes => "bytes",
        Col::Rate => "rate",
        Col::Eta => "ETA",
        Col::Failed => "fail",
    }
}

fn cell(app: &App, job: &JobSnapshot, c: Col, route_w: u16) -> Cell<'static> {
    let p = &job.progress;
    let more = if p.listing_done { "" } else { "+" };
    match c {
        Col::Id => Cell::from(format!("#{}", job.id)),
        Col::State => Cell::from(Span::styled(
            format!("{} {}", job.kind.as_str(), job.state_word()),
            theme::job_state(job.state),
        )),
        // An outage says so where the route is: what the user must know now.
        Col::Route => match job.outage_line() {
            Some(line) => Cell::from(Span::styled(
                fmt::truncate_end(&line, route_w as usize),
                theme::warn(),
            )),
            None => Cell::from(route(job, route_w as usize)),
        },
        Col::Progress => {
            // No bar against a total the listing is still growing.
            if !p.listing_done && job.state.is_active() {
                return Cell::from(Span::styled("planning…", theme::dim()));
            }
            let (done, total) = p.fraction();
            Cell::from(format!(
                "{} {:>4}",
                fmt::bar(done, total, 8),
                fmt::percent(done, total)
            ))
        }
        // Digits are never cut: a number that does not fit is abbreviated
        // visibly (200k/200k), both sides alike.
        Col::Objects => Cell::from(done_of_total(
            width_of(c).into(),
            (p.objects_done, p.objects_total, more),
            fmt::count,
            fmt::count_short,
        )),
        Col::Bytes => Cell::from(done_of_total(
            width_of(c).into(),
            (p.bytes_done, p.bytes_total, more),
            fmt::bytes,
            fmt::bytes_short,
        )),
        Col::Rate => Cell::from(fmt::byte_rate(app.transfers.throughput.job_rate(job).bytes)),
        Col::Eta => {
            let eta = job_eta(job, app.transfers.throughput.job_rate(job));
            Cell::from(if job.state.is_active() {
                fmt::eta(eta)
            } else {
                String::new()
            })
        }
        Col::Failed => {
            let style = if p.failed > 0 {
                theme::error()
            } else {
                theme::dim()
            };
            let failed = fmt::fitting(width_of(c).into(), fmt::count(p.failed), || {
                fmt::count_short(p.failed)
            });
            Cell::from(Span::styled(failed, style))
        }
    }
}

/// The engine state closest to a Batch Operations status, for its colour.
fn batch_state(status: BatchStatus) -> JobState {
    match status {
        BatchStatus::Complete => JobState::Completed,
        BatchStatus::Failed | BatchStatus::Failing => JobState::Failed,
        BatchStatus::Cancelled | BatchStatus::Cancelling => JobState::Cancelled,
        BatchStatus::Paused | BatchStatus::Pausing | BatchStatus::Suspended => JobState::Paused,
        BatchStatus::Active | BatchStatus::Completing | BatchStatus::Unknown => JobState::Running,
        BatchStatus::New | BatchStatus::Preparing | BatchStatus::Ready => JobState::Queued,
    }
}

/// A Batch Operations job: its remote status and task counts, as last polled.
fn batch_cell(b: &BatchRow, c: Col, route_w: u16) -> Cell<'static> {
    let status = match &b.remote {
        Some(Ok(s)) => Some(s),
        _ => None,
    };
    match c {
        Col::Id => Cell::from(format!("B{}", b.id)),
        Col::State => match &b.remote {
            Some(Ok(s)) => Cell::from(Span::styled(
                format!("{} {}", b.kind(), s.status),
                theme::job_state(batch_state(s.status)),
            )),
            Some(Err(_)) => Cell::from(Span::styled(format!("{} ?", b.kind()), theme::error())),
            None => Cell::from(Span::styled(format!("{} …", b.kind()), theme::dim())),
        },
        Col::Route => {
            let route_w = route_w as usize;
            match &b.remote {
                // The poll failed: say why in the row, keeping some of the route.
                Some(Err(e)) => {
                    let route = route_text(&b.source(), &b.destination(), route_w / 2);
                    let room = route_w.saturating_sub(fmt::width(&route) + 1);
                    Cell::from(Line::from(vec![
                        Span::raw(format!("{route} ")),
                        // The cause ends the message: keep its end.
                        Span::styled(
                            format!("✖ {}", fmt::truncate_start(e, room.saturating_sub(2))),
                            theme::error(),
                        ),
                    ]))
                }
                _ => Cell::from(route_text(&b.source(), &b.destination(), route_w)),
            }
        }
        Col::Progress => {
            let (done, total) = status
                .map(|s| {
                    (
                        (s.succeeded + s.failed).max(0) as u64,
                        s.total.max(0) as u64,
                    )
                })
                .unwrap_or((0, b.record.objects));
            Cell::from(format!(
                "{} {:>4}",
                fmt::bar(done, total, 8),
                fmt::percent(done, total)
            ))
        }
        Col::Objects => Cell::from(match status {
            Some(s) => format!(
                "{}/{}",
                fmt::count(s.succeeded.max(0) as u64),
                fmt::count(s.total.max(0) as u64)
            ),
            None => format!("—/{}", fmt::count(b.record.objects)),
        }),
        Col::Bytes => Cell::from(fmt::bytes(b.record.bytes)),
        // No local rate: the copies run in S3. Say so, or which job deletes a move's sources.
        Col::Rate => match (b.move_job, b.finishing, &b.move_error) {
            (Some(job), _, _) => Cell::from(Span::styled(format!("del. job #{job}"), theme::dim())),
            (None, true, _) => Cell::from(Span::styled("deleting…", theme::dim())),
            (None, false, Some(_)) => Cell::from(Span::styled("del. failed", theme::error())),
            (None, false, None) => Cell::from(Span::styled("S3 Batch", theme::dim())),
        },
        Col::Eta => Cell::from(""),
        Col::Failed => {
            let failed = status.map(|s| s.failed.max(0) as u64).unwrap_or(0);
            let style = if failed > 0 {
                theme::error()
            } else {
                theme::dim()
            };
            Cell::from(Span::styled(fmt::count(failed), style))
        }
    }
}

fn draw_jobs(frame: &mut Frame, app: &App, area: Rect, focused: bool) {
    let t = &app.transfers;
    if t.is_empty() {
        let hint = format!(
            "no jobs yet — {} marks, {} copies, {} moves",
            app.keymap.first_key(crate::tui::app::Verb::Mark),
            app.keymap.first_key(crate::tui::app::Verb::Copy),
            app.keymap.first_key(crate::tui::app::Verb::Move)
        );
        frame.render_widget(Paragraph::new(Span::styled(hint, theme::dim())), area);
        return;
    }
    let (cols, route_w) = columns(area.width);
    let head = Row::new(cols.iter().map(|c| Cell::from(header(*c)))).style(theme::dim());
    let rows = area.height.saturating_sub(1) as usize;
    let selected = t.selected_index();
    let body: Vec<Row> = (t.offset..t.len())
        .take(rows)
        .filter_map(|i| {
            let r = match t.jobs.get(i) {
                Some(job) => Row::new(cols.iter().map(|c| cell(app, job, *c, route_w))),
                None => {
                    let b = t.batches.get(i - t.jobs.len())?;
                    Row::new(cols.iter().map(|c| batch_cell(b, *c, route_w)))
                }
            };
            Some(if Some(i) == selected {
                r.style(theme::cursor(focused))
            } else {
                r
            })
        })
        .collect();
    let widths = cols.iter().map(|c| match c {
        Col::Route => Constraint::Min(route_w),
        other => Constraint::Length(width_of(*other)),
    });
    let table = Table::new(body, widths).header(head).column_spacing(1);
    frame.render_widget(table, area);
}
