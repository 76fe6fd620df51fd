//! Cursor movement shared by every list and dialog, and moving the focus
//! between the panes and the transfers panel.

use crate::tui::app::keymap::Action;
use crate::tui::app::msg::Side;
use crate::tui::app::{App, Focus};

/// Where a navigation key moves a cursor in a list of `len` rows.
pub(crate) fn nav_target(action: Action, cur: usize, len: usize, height: usize) -> Option<usize> {
    if len == 0 {
        return None;
    }
    let last = len - 1;
    let page = height.saturating_sub(1).max(1);
    let t = match action {
        Action::Up => cur.saturating_sub(1),
        Action::Down => (cur + 1).min(last),
        Action::PageUp => cur.saturating_sub(page),
        Action::PageDown => (cur + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return None,
    };
    Some(t)
}

pub(crate) fn is_nav(action: Action) -> bool {
    matches!(
        action,
        Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
    )
}

impl App {
    pub(crate) fn cycle_focus(&mut self, forward: bool) {
        let order = [
            Focus::Pane(Side::Left),
            Focus::Pane(Side::Right),
            Focus::Transfers,
        ];
        let i = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = order.len();
        self.focus = order[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }
}
