//! The status line (messages, errors) and the key hints under it.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme;
use crate::tui::app::{App, Context, Verb};

pub fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let mut spans = Vec::new();
    if app.read_only {
        spans.push(Span::styled(
            " READ-ONLY ",
            theme::warn().add_modifier(ratatui::style::Modifier::REVERSED),
        ));
        spans.push(Span::raw(" "));
    }
    if let Some(s) = &app.status {
        let style = if s.error {
            theme::error()
        } else {
            ratatui::style::Style::new()
        };
        spans.push(Span::styled(s.text.clone(), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// In compare mode the bucket pane's hints are about comparing.
const COMPARE_HINTS: &[(Verb, &str)] = &[
    (Verb::FocusNext, "focus"),
    (Verb::MarkDifferences, "mark differences"),
    (Verb::Mark, "mark"),
    (Verb::Copy, "copy"),
    (Verb::Compare, "end compare"),
    (Verb::Help, "help"),
    (Verb::Quit, "quit"),
];

/// The most useful verbs of each context, in the order shown.
fn hint_actions(ctx: Context) -> &'static [(Verb, &'static str)] {
    match ctx {
        Context::Tree => &[
            (Verb::FocusNext, "focus"),
            (Verb::Mark, "mark"),
            (Verb::Copy, "copy"),
            (Verb::Move, "move"),
            (Verb::Status, "status"),
            (Verb::Filter, "filter"),
            (Verb::Versions, "versions"),
            (Verb::Connection, "connection"),
            (Verb::Help, "help"),
            (Verb::Quit, "quit"),
        ],
        Context::Buckets => &[
            (Verb::FocusNext, "focus"),
            (Verb::Open, "open"),
            (Verb::Filter, "filter"),
            (Verb::Connection, "connection"),
            (Verb::Refresh, "refresh"),
            (Verb::Help, "help"),
            (Verb::Quit, "quit"),
        ],
        Context::Transfers => &[
            (Verb::FocusNext, "focus"),
            (Verb::Pause, "pause/resume"),
            (Verb::CancelJob, "cancel"),
            (Verb::Open, "details"),
            (Verb::RetryFailed, "retry failed"),
            (Verb::Help, "help"),
            (Verb::Quit, "quit"),
        ],
        Context::Preview => &[
            (Verb::Confirm, "queue"),
            (Verb::EditDestination, "destination"),
            (Verb::EditRewrite, "rewrite"),
            (Verb::TogglePolicy, "on existing"),
            (Verb::Close, "cancel"),
        ],
        Context::Status => &[
            (Verb::ReplicationSummary, "per-object replication"),
            (Verb::Close, "close"),
        ],
        Context::JobDetails => &[
            (Verb::Pause, "pause/resume"),
            (Verb::CancelJob, "cancel"),
            (Verb::RetryFailed, "retry failed"),
            (Verb::Close, "close"),
        ],
        Context::Connection => &[(Verb::Confirm, "choose"), (Verb::Close, "cancel")],
        Context::Confirm => &[(Verb::Yes, "yes"), (Verb::No, "no")],
        Context::BatchForm => &[
            (Verb::Confirm, "next / submit"),
            (Verb::FocusNext, "switch field"),
            (Verb::Close, "cancel"),
        ],
        Context::Help => &[(Verb::Close, "close")],
    }
}

pub fn draw_hints(frame: &mut Frame, app: &App, area: Rect) {
    let ctx = app.context();
    let hints = if ctx == Context::Tree && app.compare.is_some() {
        COMPARE_HINTS
    } else {
        hint_actions(ctx)
    };
    // Read-only: verbs that write are not offered.
    let writes = |v: &Verb| matches!(v, Verb::Copy | Verb::Move | Verb::RetryFailed);
    let mut shown: Vec<(String, &str)> = hints
        .iter()
        .filter(|(action, _)| !(app.read_only && writes(action)))
        .map(|(action, label)| (app.keymap.first_key(*action), *label))
        .collect();
    // `? help` and `q quit` are the way out: when the line is too narrow,
    // hints before them go first, from the end.
    let width = |s: &[(String, &str)]| -> usize {
        s.iter()
            .map(|(k, l)| 3 + crate::fmt::width(k) + 1 + crate::fmt::width(l))
            .sum()
    };
    let keep = |l: &str| l == "help" || l == "quit";
    while width(&shown) > area.width as usize {
        let Some(i) = shown.iter().rposition(|(_, l)| !keep(l)) else {
            break;
        };
        shown.remove(i);
    }
    let mut spans = Vec::new();
    for (key, label) in shown {
        if spans.is_empty() {
            spans.push(Span::raw(" "));
        } else {
            spans.push(Span::styled(" · ", theme::dim()));
        }
        spans.push(Span::styled(key, theme::key()));
        spans.push(Span::raw(format!(" {label}")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
