//! Moving the cursors of the two panes and keeping them visible.

use crate::tui::app::browse::pane::{Pane, View};
use crate::tui::app::browse::tree::scroll_to;
use crate::tui::app::keymap::Verb;
use crate::tui::app::msg::PaneSide;
use crate::tui::app::navigation::nav_target;
use crate::tui::app::App;

impl App {
    pub(crate) fn move_tree_cursor(
        &mut self,
        side: PaneSide,
        target: impl FnOnce(usize, usize) -> Option<usize>,
    ) {
        let height = self.pane_height(side);
        let Pane { view, filter, .. } = self.pane_mut(side);
        let View::Tree(tree) = view else { return };
        let (key, index, len) = {
            let len = tree.len(filter);
            let cur = tree.cursor_index(filter);
            let Some(t) = target(cur, len) else {
                return;
            };
            let Some(row) = tree.row(filter, t) else {
                return;
            };
            (row.key(), t, len)
        };
        tree.cursor = Some(key);
        tree.cursor_hint = index;
        tree.offset = scroll_to(tree.offset, index, height, len);
    }

    pub(crate) fn move_bucket_cursor(
        &mut self,
        side: PaneSide,
        target: impl FnOnce(usize, usize) -> Option<usize>,
    ) {
        let height = self.pane_height(side);
        let Pane { view, filter, .. } = self.pane_mut(side);
        let View::Buckets(list) = view else { return };
        let len = list.visible(filter).len();
        let cur = list.cursor.min(len.saturating_sub(1));
        if let Some(t) = target(cur, len) {
            list.cursor = t;
            list.offset = scroll_to(list.offset, t, height, len);
        }
    }

    /// Moves the focused list's cursor by a navigation verb or to a row.
    pub(crate) fn navigate(&mut self, side: PaneSide, action: Verb) {
        let height = self.pane_height(side);
        let tree = matches!(self.pane(side).view, View::Tree(_));
        if tree {
            self.move_tree_cursor(side, |cur, len| nav_target(action, cur, len, height));
        } else {
            self.move_bucket_cursor(side, |cur, len| nav_target(action, cur, len, height));
        }
    }

    pub(crate) fn select_row(&mut self, side: PaneSide, index: usize) {
        if matches!(self.pane(side).view, View::Tree(_)) {
            self.move_tree_cursor(side, |_, len| (index < len).then_some(index));
        } else {
            self.move_bucket_cursor(side, |_, len| (index < len).then_some(index));
        }
    }

    /// Keeps every cursor visible after a resize or a list change.
    pub(crate) fn clamp_views(&mut self) {
        for side in [PaneSide::Left, PaneSide::Right] {
            let height = self.pane_height(side);
            let Pane { view, filter, .. } = self.pane_mut(side);
            match view {
                View::Tree(tree) => {
                    let (index, len) = (tree.cursor_index(filter), tree.len(filter));
                    tree.offset = scroll_to(tree.offset, index, height, len);
                }
                View::Buckets(list) => {
                    let len = list.visible(filter).len();
                    list.cursor = list.cursor.min(len.saturating_sub(1));
                    list.offset = scroll_to(list.offset, list.cursor, height, len);
                }
            }
        }
        self.clamp_transfers();
    }
}
