//! The preview dialog: the plan of a copy or move (the engine's dry run),
//! its settings and totals, before the job is queued.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::dialogs::{frame_dialog, input_line, key_hint};
use super::{fmt, spinner, theme};
use crate::plan::model::Action as PlanAction;
use crate::tui::app::preview::{policy_text, PreviewDialog, PreviewField};
use crate::tui::app::{App, Verb};

/// The plan of a copy or move before it is queued, with its settings.
pub(super) fn draw(frame: &mut Frame, app: &App, p: &PreviewDialog, screen: Rect) {
    let w = screen.width.saturating_sub(4).min(140);
    let h = screen.height.saturating_sub(2);
    let verb = match p.kind {
        crate::engine::model::JobKind::Copy => "COPY",
        crate::engine::model::JobKind::Move => "MOVE",
        crate::engine::model::JobKind::Sync => "SYNC",
    };
    let title = Line::from(vec![
        Span::styled(format!(" {verb} "), theme::title()),
        Span::raw(format!(
            " {} source{} → s3://{}/{} ",
            p.sources.len(),
            if p.sources.len() == 1 { "" } else { "s" },
            p.dst_bucket,
            p.dst_prefix
        )),
    ]);
    // Offered only for a complete plan Batch Operations can express.
    let batch_target = crate::tui::app::batch::expressible(p).ok();
    let mut keys = vec![
        (Verb::Confirm, "queue"),
        (Verb::EditDestination, "destination"),
        (Verb::EditRewrite, "rewrite"),
        (Verb::TogglePolicy, "on existing"),
        (Verb::ToggleSse, "encryption"),
    ];
    if batch_target.is_some() && !app.read_only {
        keys.push((Verb::Batch, "S3 Batch Operations"));
    }
    keys.push((Verb::Close, "cancel"));
    let footer = key_hint(app, &keys);
    let inner = frame_dialog(frame, screen, w, h, title, footer);
    let head = head_lines(app, p, inner.width, batch_target.as_deref());
    let [top, table] = Layout::vertical([
        Constraint::Length(head.len() as u16 + 1),
        Constraint::Min(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(head), top);

    frame.render_widget(Paragraph::new(entry_lines(p, table)), table);
}

/// The settings, totals and state above the plan's entries.
fn head_lines(
    app: &App,
    p: &PreviewDialog,
    width: u16,
    batch_target: Option<&str>,
) -> Vec<Line<'static>> {
    let mut head = Vec::new();
    let src: Vec<String> = p.mappings().iter().map(|m| m.source.to_string()).collect();
    head.push(Line::from(vec![
        Span::styled("from         ", theme::title()),
        Span::raw(fmt::truncate_end(
            &src.join("  "),
            width.saturating_sub(13) as usize,
        )),
    ]));
    match &p.editing {
        Some((PreviewField::Destination, input)) => head.push(input_line("destination  ", input)),
        _ => head.push(Line::from(vec![
            Span::styled("destination  ", theme::title()),
            Span::raw(format!("s3://{}/{}", p.dst_bucket, p.dst_prefix)),
        ])),
    }
    match &p.editing {
        Some((PreviewField::Rewrite, input)) => head.push(input_line("rewrite      ", input)),
        _ => head.push(Line::from(vec![
            Span::styled("rewrite      ", theme::title()),
            Span::raw(p.rewrite.clone().unwrap_or_else(|| "(none)".into())),
        ])),
    }
    head.push(Line::from(vec![
        Span::styled("on existing  ", theme::title()),
        Span::raw(policy_text(p.conflict)),
    ]));
    head.push(Line::from(vec![
        Span::styled("encryption   ", theme::title()),
        Span::raw(crate::tui::app::preview::sse_text(&p.run)),
    ]));
    let t = &p.totals;
    let state = if let Some(e) = &p.error {
        Span::styled(format!("  preview failed: {e}"), theme::error())
    } else if p.done {
        Span::styled("  complete", theme::ok())
    } else {
        Span::styled(format!("  {} planning…", spinner(app)), theme::warn())
    };
    head.push(Line::from(vec![
        Span::styled("totals       ", theme::title()),
        Span::raw(format!(
            "{} objects · {} · {} to transfer",
            fmt::count(t.objects),
            fmt::bytes(t.bytes),
            fmt::bytes(t.copy_bytes)
        )),
        state,
    ]));
    head.push(Line::from(vec![
        Span::styled("actions      ", theme::title()),
        Span::styled(
            format!("copy {}", fmt::count(t.copy)),
            theme::plan_action(PlanAction::Copy),
        ),
        Span::raw(" · "),
        Span::styled(
            format!("overwrite {}", fmt::count(t.overwrite)),
            theme::plan_action(PlanAction::Overwrite),
        ),
        Span::raw(" · "),
        Span::raw(format!("skip {}", fmt::count(t.skip))),
        Span::raw(" · "),
        Span::styled(
            format!("conflict {}", fmt::count(t.conflict)),
            theme::plan_action(PlanAction::Conflict),
        ),
    ]));
    if let (Some(target), false) = (batch_target, app.read_only) {
        let mut text = format!(
            "{} run on S3 Batch Operations · {} objects · TargetKeyPrefix {target:?}",
            app.keymap.first_key(Verb::Batch),
            fmt::count(p.batch.objects)
        );
        if p.batch.excluded > 0 {
            // The form says why (over 5 GiB, delete markers).
            text.push_str(&format!(" · {} left out", fmt::count(p.batch.excluded)));
        }
        head.push(Line::from(vec![
            Span::styled("batch        ", theme::title()),
            Span::raw(text),
        ]));
    }
    if let Some(e) = &p.field_error {
        head.push(Line::styled(e.clone(), theme::error()));
    } else if app.read_only {
        head.push(Line::styled(
            "read-only: this preview cannot be queued",
            theme::warn(),
        ));
    }
    head
}

/// As many planned entries as the table has rows, from the scroll offset.
fn entry_lines(p: &PreviewDialog, table: Rect) -> Vec<Line<'static>> {
    let t = &p.totals;
    let width = table.width as usize;
    let size_w = 10;
    let act_w = 10;
    let key_w = width.saturating_sub(size_w + act_w + 5) / 2;
    let mut lines = vec![Line::styled(
        format!(
            "{:<act_w$} {:<key_w$} → {:<key_w$} {:>size_w$}",
            "action", "source key", "destination key", "size"
        ),
        theme::dim(),
    )];
    let rows = table.height.saturating_sub(1) as usize;
    for e in p.entries.iter().skip(p.offset).take(rows) {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<act_w$} ", e.action.as_str()),
                theme::plan_action(e.action),
            ),
            Span::raw(format!(
                "{} → {} {:>size_w$}",
                fmt::fit_start(&e.src_key, key_w),
                fmt::fit_start(&e.dst_key, key_w),
                fmt::bytes(e.size)
            )),
        ]));
    }
    if p.entries.is_empty() && p.done {
        lines.push(Line::styled("(no objects)", theme::dim()));
    }
    let shown = p.entries.len() as u64;
    if t.objects > shown {
        lines.push(Line::styled(
            format!(
                "… showing the first {} of {} entries",
                fmt::count(shown),
                fmt::count(t.objects)
            ),
            theme::dim(),
        ));
    }
    lines
}
