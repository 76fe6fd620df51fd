//! Clicks and the wheel: hit-tested against `layout`, as the screen is drawn.

use crate::tui::app::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use crate::tui::app::browse::pane::View;
use crate::tui::app::dialogs::keys::dialog_action;
use crate::tui::app::keymap::Verb;
use crate::tui::app::msg::{Effect, PaneSide};
use crate::tui::app::{layout, App, Focus};

/// Rows a wheel notch scrolls.
const WHEEL_ROWS: usize = 3;

pub(crate) fn contains(r: Rect, x: u16, y: u16) -> bool {
    r.contains(Position { x, y })
}

pub(crate) fn mouse(app: &mut App, ev: MouseEvent) -> Vec<Effect> {
    let (x, y) = (ev.column, ev.row);
    if !app.dialogs.is_empty() {
        let action = match ev.kind {
            MouseEventKind::ScrollUp => Verb::Up,
            MouseEventKind::ScrollDown => Verb::Down,
            _ => return Vec::new(),
        };
        let mut effects = Vec::new();
        for _ in 0..WHEEL_ROWS {
            effects.extend(dialog_action(app, action));
        }
        return effects;
    }
    let Some(areas) = app.areas() else {
        return Vec::new();
    };
    let target = if contains(areas.left, x, y) {
        Some((Focus::Pane(PaneSide::Left), areas.left))
    } else if contains(areas.right, x, y) {
        Some((Focus::Pane(PaneSide::Right), areas.right))
    } else if contains(areas.transfers, x, y) {
        Some((Focus::Transfers, areas.transfers))
    } else {
        None
    };
    let Some((focus, rect)) = target else {
        return Vec::new();
    };
    match ev.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            app.focus = focus;
            match focus {
                Focus::Pane(side) => {
                    let inner = layout::inner(rect);
                    if !contains(inner, x, y) {
                        return Vec::new();
                    }
                    let (offset, current) = list_position(app, side);
                    let index = offset + (y - inner.y) as usize;
                    if Some(index) == current {
                        // A click on the selected row opens it, like Enter.
                        if matches!(app.pane(side).view, View::Tree(_)) {
                            app.tree_action(side, Verb::Open)
                        } else {
                            app.buckets_action(side, Verb::Open)
                        }
                    } else {
                        app.select_row(side, index);
                        Vec::new()
                    }
                }
                Focus::Transfers => {
                    let table = layout::job_table(rect);
                    if contains(table, x, y) && y > table.y {
                        let index = app.transfers.offset + (y - table.y - 1) as usize;
                        let rows = app.job_rows();
                        app.transfers.select_index(index, rows);
                    }
                    Vec::new()
                }
            }
        }
        MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
            let action = if ev.kind == MouseEventKind::ScrollUp {
                Verb::Up
            } else {
                Verb::Down
            };
            for _ in 0..WHEEL_ROWS {
                match focus {
                    Focus::Pane(side) => app.navigate(side, action),
                    Focus::Transfers => {
                        app.transfers_action(action);
                    }
                }
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// A pane's first visible row and cursor row.
pub(crate) fn list_position(app: &App, side: PaneSide) -> (usize, Option<usize>) {
    let pane = app.pane(side);
    match &pane.view {
        View::Tree(t) => {
            let empty = t.is_empty(&pane.filter);
            (t.offset, (!empty).then(|| t.cursor_index(&pane.filter)))
        }
        View::Buckets(b) => (b.offset, Some(b.cursor)),
    }
}
