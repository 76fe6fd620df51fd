//! The status line (messages, errors) and the key hints under it.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme;
use crate::tui::app::{Action, App, Context};

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
const COMPARE_HINTS: &[(Action, &str)] = &[
    (Action::FocusNext, "focus"),
    (Action::MarkDifferences, "mark differences"),
    (Action::Mark, "mark"),
    (Action::Copy, "copy"),
    (Action::Compare, "end compare"),
    (Action::Help, "help"),
    (Action::Quit, "quit"),
];

/// The most useful actions of each context, in the order shown.
fn hint_actions(ctx: Context) -> &'static [(Action, &'static str)] {
    match ctx {
        Context::Tree => &[
            (Action::FocusNext, "focus"),
            (Action::Mark, "mark"),
            (Action::Copy, "copy"),
            (Action::Move, "move"),
            (Action::Status, "status"),
            (Action::Filter, "filter"),
            (Action::Versions, "versions"),
            (Action::Connection, "connection"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ],
        Context::Buckets => &[
            (Action::FocusNext, "focus"),
            (Action::Open, "open"),
            (Action::Connection, "connection"),
            (Action::Refresh, "refresh"),
            (Action::Help, "help"),
        ],
        Context::Transfers => &[
            (Action::FocusNext, "focus"),
            (Action::Pause, "pause/resume"),
            (Action::CancelJob, "cancel"),
            (Action::Open, "details"),
            (Action::RetryFailed, "retry failed"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ],
        Context::Preview => &[
            (Action::Confirm, "queue"),
            (Action::EditDestination, "destination"),
            (Action::EditRewrite, "rewrite"),
            (Action::TogglePolicy, "on existing"),
            (Action::Close, "cancel"),
        ],
        Context::Status => &[
            (Action::ReplicationSummary, "per-object replication"),
            (Action::Close, "close"),
        ],
        Context::JobDetails => &[
            (Action::Pause, "pause/resume"),
            (Action::CancelJob, "cancel"),
            (Action::RetryFailed, "retry failed"),
            (Action::Close, "close"),
        ],
        Context::Connection => &[(Action::Confirm, "choose"), (Action::Close, "cancel")],
        Context::Confirm => &[(Action::Yes, "yes"), (Action::No, "no")],
        Context::BatchForm => &[
            (Action::Confirm, "next / submit"),
            (Action::FocusNext, "switch field"),
            (Action::Close, "cancel"),
        ],
        Context::Help => &[(Action::Close, "close")],
    }
}

pub fn draw_hints(frame: &mut Frame, app: &App, area: Rect) {
    let ctx = app.context();
    let mut spans = Vec::new();
    if ctx == Context::Buckets && app.dialogs.is_empty() {
        spans.push(Span::styled(" type to filter", theme::dim()));
    }
    let hints = if ctx == Context::Tree && app.compare.is_some() {
        COMPARE_HINTS
    } else {
        hint_actions(ctx)
    };
    for (action, label) in hints {
        let key = if ctx == Context::Buckets {
            // Plain letters type into a bucket list's filter; show a key that works there.
            let keys = app.keymap.key_texts(*action);
            let typed = |k: &&str| {
                k.chars().count() == 1
                    && k.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            };
            keys.iter()
                .find(|k| !typed(k))
                .map(|k| k.to_string())
                .unwrap_or_else(|| app.keymap.first_key(*action))
        } else {
            app.keymap.first_key(*action)
        };
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", theme::dim()));
        } else {
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(key, theme::key()));
        spans.push(Span::raw(format!(" {label}")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
