//! Compare mode in the panes: the comparison in a pane's title and a marker
//! column on each row (`+` only on that side, `≠` different, `=` same).

use ratatui::style::Style;
use ratatui::text::Span;

use super::{fmt, spinner, theme};
use crate::tui::app::browse::pane::{Pane, View};
use crate::tui::app::browse::tree::RowItem;
use crate::tui::app::compare::{CompareMode, Marker};
use crate::tui::app::{App, PaneSide};

/// The comparison, when one is on and this pane shows its bucket.
pub(super) fn compare_for<'a>(app: &'a App, pane: &Pane) -> Option<&'a CompareMode> {
    let c = app.compare.as_ref()?;
    let root = if pane.side == PaneSide::Left {
        &c.left
    } else {
        &c.right
    };
    (pane.bucket() == Some(root.bucket.as_str())).then_some(c)
}

/// The comparison's state in a pane's title, at its right.
pub(super) fn title(app: &App, pane: &Pane, c: &CompareMode, width: u16) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let root = if pane.side == PaneSide::Left {
        &c.left
    } else {
        &c.right
    };
    spans.push(Span::styled(" compare ", theme::title()));
    if let Some(e) = &c.error {
        spans.push(Span::styled(
            format!("failed: {} ", fmt::truncate_end(e, 24)),
            theme::error(),
        ));
    } else {
        let running = if c.running() {
            format!("{} ", spinner(app))
        } else {
            String::new()
        };
        spans.push(Span::raw(format!("{running}{} ", c.summary(pane.side))));
    }
    // Which folder is compared, when the tree shows more than it.
    if let View::Tree(t) = &pane.view {
        if root.prefix != t.root && width > 70 {
            spans.push(Span::styled(
                format!("{} ", fmt::truncate_start(&root.prefix, 20)),
                theme::dim(),
            ));
        }
    }
    spans
}

/// A row's marker column.
pub(super) fn marker(
    c: &CompareMode,
    side: PaneSide,
    bucket: &str,
    item: &RowItem,
) -> Span<'static> {
    let (symbol, style) = match c.marker(side, bucket, item) {
        Some(m @ Marker::OnlyHere) => (m.symbol(), theme::ok()),
        Some(m @ Marker::Different) => (m.symbol(), theme::warn()),
        Some(m @ Marker::Same) => (m.symbol(), theme::dim()),
        Some(m @ Marker::Unknown) => (m.symbol(), theme::warn()),
        None => (" ", Style::new()),
    };
    Span::styled(format!("{symbol} "), style)
}
