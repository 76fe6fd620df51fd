//! The transfers panel: throughput chart and job table.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Sparkline, Table};
use ratatui::Frame;

use super::{fmt, theme};
use crate::app::layout::{self, CHART_WIDTH};
use crate::app::throughput::{eta_secs, job_eta};
use crate::app::{App, Focus};
use crate::engine::model::JobSnapshot;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let focused = app.focus == Focus::Transfers;
    let t = &app.transfers;
    let rate = t.total_rate();
    let (objects_left, bytes_left) = t.remaining();
    let mut title = vec![Span::styled(" TRANSFERS ", theme::title())];
    if t.jobs.is_empty() {
        title.push(Span::raw(" no jobs "));
    } else {
        let eta = eta_secs(objects_left, bytes_left, rate);
        title.push(Span::raw(format!(
            " {} running · {} · {} · ETA {} ",
            t.running(),
            fmt::object_rate(rate.objects),
            fmt::byte_rate(rate.bytes),
            fmt::eta(eta)
        )));
    }
    let block = Block::bordered().border_style(theme::border(focused)).title_top(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let chart_w = CHART_WIDTH.min(inner.width / 3);
    let chart = Rect { width: chart_w, ..inner };
    draw_chart(frame, app, chart);
    draw_jobs(frame, app, layout::job_table(area), focused);
}

fn draw_chart(frame: &mut Frame, app: &App, area: Rect) {
    if area.width < 8 || area.height == 0 {
        return;
    }
    let label_w = 6u16;
    let halves: [Rect; 2] = Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(area);
    let series = &app.transfers.throughput.series;
    for (half, (label, bytes)) in halves.into_iter().zip([("B/s", true), ("obj/s", false)]) {
        if half.height == 0 {
            continue;
        }
        let [lab, spark]: [Rect; 2] =
            Layout::horizontal([Constraint::Length(label_w), Constraint::Min(1)]).areas(half);
        frame.render_widget(Paragraph::new(Span::styled(label, theme::dim())), lab);
        let data = series.per_second(app.now_ms, spark.width as usize, bytes);
        let style = if bytes { theme::ok() } else { theme::key() };
        frame.render_widget(Sparkline::default().data(&data).style(style), spark);
    }
}

/// Columns by priority: narrow screens drop the later ones.
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

fn columns(width: u16) -> Vec<(Col, Constraint)> {
    let all = [
        (Col::Id, Constraint::Length(4), 0),
        (Col::State, Constraint::Length(16), 0),
        (Col::Route, Constraint::Min(12), 0),
        (Col::Progress, Constraint::Length(16), 1),
        (Col::Objects, Constraint::Length(15), 2),
        (Col::Failed, Constraint::Length(6), 1),
        (Col::Eta, Constraint::Length(7), 2),
        (Col::Rate, Constraint::Length(11), 3),
        (Col::Bytes, Constraint::Length(21), 3),
    ];
    let level = match width {
        w if w >= 120 => 3,
        w if w >= 90 => 2,
        w if w >= 60 => 1,
        _ => 0,
    };
    let order = [Col::Id, Col::State, Col::Route, Col::Progress, Col::Objects, Col::Bytes, Col::Rate, Col::Eta, Col::Failed];
    order
        .iter()
        .filter_map(|c| all.iter().find(|(k, _, lvl)| k == c && *lvl <= level).map(|(k, w, _)| (*k, *w)))
        .collect()
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

fn cell(app: &App, job: &JobSnapshot, c: Col) -> Cell<'static> {
    let p = &job.progress;
    let more = if p.listing_done { "" } else { "+" };
    match c {
        Col::Id => Cell::from(format!("#{}", job.id)),
        Col::State => Cell::from(Span::styled(
            format!("{} {}", job.kind.as_str(), job.state.as_str()),
            theme::job_state(job.state),
        )),
        Col::Route => Cell::from(format!("{} → {}", job.source, job.destination)),
        Col::Progress => {
            let (done, total) = if p.bytes_total > 0 { (p.bytes_done, p.bytes_total) } else { (p.objects_done, p.objects_total) };
            Cell::from(format!("{} {:>4}", fmt::bar(done, total, 10), fmt::percent(done, total)))
        }
        Col::Objects => Cell::from(format!("{}/{}{more}", fmt::count(p.objects_done), fmt::count(p.objects_total))),
        Col::Bytes => Cell::from(format!("{}/{}{more}", fmt::bytes(p.bytes_done), fmt::bytes(p.bytes_total))),
        Col::Rate => Cell::from(fmt::byte_rate(app.transfers.throughput.job_rate(job).bytes)),
        Col::Eta => {
            let eta = job_eta(job, app.transfers.throughput.job_rate(job));
            Cell::from(if job.state.is_active() { fmt::eta(eta) } else { String::new() })
        }
        Col::Failed => {
            let style = if p.failed > 0 { theme::error() } else { theme::dim() };
            Cell::from(Span::styled(fmt::count(p.failed), style))
        }
    }
}

fn draw_jobs(frame: &mut Frame, app: &App, area: Rect, focused: bool) {
    let t = &app.transfers;
    if t.jobs.is_empty() {
        let hint = format!(
            "no jobs yet — {} marks, {} copies, {} moves",
            app.keymap.first_key(crate::app::Action::Mark),
            app.keymap.first_key(crate::app::Action::Copy),
            app.keymap.first_key(crate::app::Action::Move)
        );
        frame.render_widget(Paragraph::new(Span::styled(hint, theme::dim())), area);
        return;
    }
    let cols = columns(area.width);
    let head = Row::new(cols.iter().map(|(c, _)| Cell::from(header(*c)))).style(theme::dim());
    let rows = area.height.saturating_sub(1) as usize;
    let selected = t.selected_index();
    let body: Vec<Row> = t
        .jobs
        .iter()
        .enumerate()
        .skip(t.offset)
        .take(rows)
        .map(|(i, job)| {
            let r = Row::new(cols.iter().map(|(c, _)| cell(app, job, *c)));
            if Some(i) == selected {
                r.style(theme::cursor(focused))
            } else {
                r
            }
        })
        .collect();
    let table = Table::new(body, cols.iter().map(|(_, w)| *w)).header(head).column_spacing(1);
    frame.render_widget(table, area);
}
