//! The S3 Batch Operations form, opened from a preview.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::dialogs::{frame_dialog, input_line, key_hint};
use super::{fmt, theme};
use crate::tui::app::batch::{BatchField, BatchForm};
use crate::tui::app::{App, Verb};

/// The form's fields, what the job will do, and its refusals.
pub(super) fn draw(frame: &mut Frame, app: &App, f: &BatchForm, screen: Rect) {
    let w = screen.width.saturating_sub(4).min(100);
    let verb = if f.move_sources { "move" } else { "copy" };
    let title = Line::from(vec![
        Span::styled(" S3 BATCH OPERATIONS ", theme::title()),
        Span::raw(format!(
            " {verb} {} objects ({}) ",
            fmt::count(f.objects),
            fmt::bytes(f.bytes)
        )),
    ]);
    let footer = key_hint(
        app,
        &[
            (Verb::Confirm, "next / submit"),
            (Verb::FocusNext, "switch field"),
            (Verb::Close, "cancel"),
        ],
    );
    let label = |text: &str| Span::styled(format!("{text:<13}"), theme::title());
    let mut lines = vec![
        Line::from(vec![
            label("from"),
            Span::raw(f.source().map(ToString::to_string).unwrap_or_default()),
        ]),
        Line::from(vec![
            label("into"),
            Span::raw(format!(
                "s3://{}/ · TargetKeyPrefix {:?} + each source key",
                f.dst_bucket(),
                f.target_prefix
            )),
        ]),
    ];
    if f.excluded > 0 {
        lines.push(Line::from(vec![
            label("left out"),
            Span::styled(
                format!(
                    "{} delete marker(s) or object(s) over 5 GiB: copy them with the local engine",
                    fmt::count(f.excluded)
                ),
                theme::warn(),
            ),
        ]));
    }
    lines.push(Line::raw(""));
    for (field, name, input) in [
        (BatchField::RoleArn, "role ARN", &f.role_arn),
        (BatchField::Report, "report to", &f.report),
    ] {
        let marker = if f.field == field { "›" } else { " " };
        let text = format!("{marker}{name:<12}");
        if f.field == field {
            lines.push(input_line(&text, input));
        } else if input.text.is_empty() {
            lines.push(Line::from(vec![
                Span::styled(text, theme::title()),
                Span::styled("(empty)", theme::dim()),
            ]));
        } else {
            lines.push(Line::from(vec![
                Span::styled(text, theme::title()),
                Span::raw(input.text.clone()),
            ]));
        }
    }
    lines.push(Line::raw(""));
    match &f.error {
        Some(e) => lines.push(Line::styled(e.clone(), theme::error())),
        None => lines.push(Line::styled(
            match f.field {
                BatchField::RoleArn => "the IAM role Batch Operations assumes (README: its trust policy)",
                BatchField::Report => "s3://bucket/prefix/ for the completion report; the manifest goes under manifests/",
            },
            theme::dim(),
        )),
    }
    let h = lines.len() as u16 + 2;
    let inner = frame_dialog(frame, screen, w, h, title, footer);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
