//! Cursor movement shared by every list and dialog, and moving the focus
//! between the panes and the transfers panel.

use crate::tui::app::keymap::Verb;
use crate::tui::app::msg::PaneSide;
use crate::tui::app::{App, Focus};

/// Where a navigation key moves a cursor in a list of `len` rows.
pub(crate) fn nav_target(action: Verb, cur: usize, len: usize, height: usize) -> Option<usize> {
    if len == 0 {
        return None;
    }
    let last = len - 1;
    let page = height.saturating_sub(1).max(1);
    let t = match action {
        Verb::Up => cur.saturating_sub(1),
        Verb::Down => (cur + 1).min(last),
        Verb::PageUp => cur.saturating_sub(page),
        Verb::PageDown => (cur + page).min(last),
        Verb::Top => 0,
        Verb::Bottom => last,
        _ => return None,
    };
    Some(t)
}

pub(crate) fn is_nav(action: Verb) -> bool {
    matches!(
        action,
        Verb::Up | Verb::Down | Verb::PageUp | Verb::PageDown | Verb::Top | Verb::Bottom
    )
}

impl App {
    pub(crate) fn cycle_focus(&mut self, forward: bool) {
        let order = [
            Focus::Pane(PaneSide::Left),
            Focus::Pane(PaneSide::Right),
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
