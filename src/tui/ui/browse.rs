//! A pane: its bucket list, or its bucket as a tree (tui-tree-widget).

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, StatefulWidget, Wrap};
use ratatui::Frame;
use tui_tree_widget::{Tree as TreeWidget, TreeItem, TreeState};

use super::compare::{self, compare_for};
use super::{fmt, spinner, theme};
use crate::s3::model::{BucketStatus, Field};
use crate::tui::app::browse::marks::{MarkKind, MarkSize};
use crate::tui::app::browse::pane::{BucketList, Pane, View};
use crate::tui::app::browse::tree::{ListingId, Row, RowItem, RowKey, Tree};
use crate::tui::app::compare::CompareMode;
use crate::tui::app::{App, Focus, PaneSide};

pub fn draw(frame: &mut Frame, app: &App, side: PaneSide, area: Rect) {
    let pane = app.pane(side);
    let focused = app.focus == Focus::Pane(side);
    let block = block(app, pane, focused, area.width);
    match &pane.view {
        View::Buckets(list) => draw_buckets(frame, pane, list, block, area, focused),
        View::Tree(tree) => draw_tree(frame, app, pane, tree, block, area, focused),
    }
}

/// Top: side, bucket and its status; spinner at the right while loading.
/// Bottom: filter and marks at the left, the open folder at the right when
/// there is room for it.
fn block<'a>(app: &App, pane: &'a Pane, focused: bool, width: u16) -> Block<'a> {
    let head = match &pane.view {
        View::Buckets(_) => format!(" buckets · {} ", pane.conn.label()),
        View::Tree(t) => format!(" {} ", header(t)),
    };
    let title = vec![
        Span::styled(format!(" {} ", pane.side.label()), theme::title()),
        Span::raw(head),
    ];
    let mut busy = Vec::new();
    if let Some(c) = compare_for(app, pane) {
        busy.extend(compare::title(app, pane, c, width));
    }
    if pane.busy() {
        busy.push(Span::styled(format!(" {} ", spinner(app)), theme::warn()));
    }
    let mut bottom = Vec::new();
    if let Some(input) = &pane.filter_input {
        bottom.push(Span::styled(format!(" /{}▏", input.text), theme::key()));
    } else if !pane.filter.is_empty() {
        bottom.push(Span::styled(
            format!(" filter: {} ", pane.filter),
            theme::key(),
        ));
    }
    if !pane.marks.is_empty() {
        bottom.push(Span::styled(
            format!(" {} ", marks_summary(pane, width < 44)),
            theme::marked(),
        ));
    }
    let mut b = Block::bordered()
        .border_style(theme::border(focused))
        .title_top(Line::from(title))
        .title_top(Line::from(busy).alignment(Alignment::Right));
    let used = bottom
        .iter()
        .map(|s| fmt::width(&s.content))
        .sum::<usize>();
    b = b.title_bottom(Line::from(bottom));
    if let View::Tree(t) = &pane.view {
        let room = (width as usize).saturating_sub(used + 5);
        let location = format!(
            "s3://{}/{}",
            t.bucket,
            pane.current_prefix().unwrap_or_default()
        );
        if room >= 12 {
            let text = format!(" {} ", fmt::truncate_start(&location, room - 2));
            b = b.title_bottom(
                Line::from(Span::styled(text, theme::dim())).alignment(Alignment::Right),
            );
        }
    }
    b
}

/// `prod-assets · us-east-1 · versioning Enabled · replication 1 rule`.
fn header(tree: &Tree) -> String {
    let mut parts = vec![tree.bucket.clone()];
    match &tree.status {
        None => parts.push("…".into()),
        Some(Err(_)) => parts.push("status unavailable".into()),
        Some(Ok(s)) => parts.extend(status_parts(s)),
    }
    parts.join(" · ")
}

fn status_parts(s: &BucketStatus) -> Vec<String> {
    let mut parts = vec![s.region.clone()];
    parts.push(s.versioning_short());
    match &s.replication {
        Field::Value(r) => {
            let n = r.rules.len();
            parts.push(format!(
                "replication {n} rule{}",
                if n == 1 { "" } else { "s" }
            ));
        }
        Field::NotConfigured => {}
        _ => parts.push("replication n/a".into()),
    }
    parts
}

fn marks_summary(pane: &Pane, short: bool) -> String {
    let t = pane.marks.totals();
    let more = if t.counting { "+" } else { "" };
    if short {
        return format!("✔ {} · {}{more}", t.marks, fmt::bytes(t.bytes));
    }
    let mut s = format!(
        "✔ {} marked · {}{more} obj · {}{more}",
        t.marks,
        fmt::count(t.objects),
        fmt::bytes(t.bytes)
    );
    if t.failed {
        s.push_str(" (some sizes unknown)");
    }
    s
}

fn draw_buckets(
    frame: &mut Frame,
    pane: &Pane,
    list: &BucketList,
    block: Block,
    area: Rect,
    focused: bool,
) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let visible = list.visible(&pane.filter);
    if visible.is_empty() {
        let mut lines = Vec::new();
        if let Some(e) = &list.error {
            lines.push(Line::styled(format!("✖ {e}"), theme::error()));
        } else if list.loading.is_some() || pane.connecting.is_some() {
            lines.push(Line::styled("loading buckets…", theme::dim()));
        } else if list.buckets.is_empty() {
            lines.push(Line::styled("(no buckets)", theme::dim()));
        } else {
            lines.push(Line::styled("(no bucket matches the filter)", theme::dim()));
        }
        if !pane.filter.is_empty() {
            lines.push(Line::styled(
                format!("enter opens bucket {:?}", pane.filter),
                theme::dim(),
            ));
        } else {
            lines.push(Line::styled(
                "type a bucket name and press enter to open it",
                theme::dim(),
            ));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    }
    let width = inner.width as usize;
    let items: Vec<ListItem> = visible
        .iter()
        .map(|b| {
            let date = b.created.as_ref().map(fmt::datetime).unwrap_or_default();
            let name_w = width.saturating_sub(date.chars().count() + 1);
            ListItem::new(Line::from(vec![
                Span::raw(fmt::fit(&b.name, name_w)),
                Span::raw(" "),
                Span::styled(date, theme::dim()),
            ]))
        })
        .collect();
    let mut state = ListState::default()
        .with_offset(list.offset)
        .with_selected(Some(list.cursor.min(visible.len() - 1)));
    let widget = List::new(items).highlight_style(theme::cursor(focused));
    frame.render_stateful_widget(widget, inner, &mut state);
}

/// Columns at the right of a row: size and date for objects, counts for marked prefixes.
struct Columns {
    size: usize,
    date: usize,
}

impl Columns {
    fn for_width(w: usize) -> Columns {
        match w {
            w if w >= 52 => Columns { size: 10, date: 16 },
            w if w >= 26 => Columns { size: 10, date: 0 },
            _ => Columns { size: 0, date: 0 },
        }
    }

    fn width(&self) -> usize {
        let mut w = 0;
        if self.size > 0 {
            w += self.size + 1;
        }
        if self.date > 0 {
            w += self.date + 2;
        }
        w
    }
}

struct RowCtx<'a> {
    pane: &'a Pane,
    tree: &'a Tree,
    /// Compare mode: each row gets a marker column.
    compare: Option<&'a CompareMode>,
    /// Text width inside the pane (before indentation).
    width: usize,
}

/// A row waiting for the rows drawn below it that belong inside it.
struct Open {
    key: RowKey,
    text: Line<'static>,
    children: Vec<TreeItem<'static, RowKey>>,
    /// A closed folder: drawn with a closed arrow.
    closed_folder: bool,
}

fn draw_tree(
    frame: &mut Frame,
    app: &App,
    pane: &Pane,
    tree: &Tree,
    block: Block,
    area: Rect,
    focused: bool,
) {
    let inner = block.inner(area);
    let height = inner.height as usize;
    let filter = &pane.filter;
    let index = tree.cursor_index(filter);
    // The app keeps the cursor in view for the size it last saw; should the
    // frame differ (a resize not yet handled) the cursor still shows.
    let start =
        crate::tui::app::browse::tree::scroll_to(tree.offset, index, height, tree.len(filter));
    // Only the visible window is built, plus the folders it sits in: a bucket
    // with a million loaded keys costs no more to draw than a small one.
    let (rows, ancestors) = tree.window(filter, start..start + height);
    let ctx = RowCtx {
        pane,
        tree,
        compare: compare_for(app, pane),
        width: inner.width as usize,
    };
    let cursor = tree.row(filter, index).map(|r| r.key());
    let mut state = TreeState::default();
    let mut selected = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut items = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        while stack.len() > row.depth {
            close(&mut stack, &mut items);
        }
        let key = row.key();
        let mut path: Vec<RowKey> = stack.iter().map(|o| o.key.clone()).collect();
        path.push(key.clone());
        let expanded = tree.expanded_child(row).is_some();
        if expanded {
            state.open(path.clone());
        }
        if i >= ancestors && cursor.as_ref() == Some(&key) {
            selected = path;
        }
        stack.push(Open {
            key,
            text: row_line(&ctx, row),
            children: Vec::new(),
            closed_folder: !expanded && matches!(row.item, RowItem::Prefix(_)),
        });
    }
    while !stack.is_empty() {
        close(&mut stack, &mut items);
    }
    let widget = match TreeWidget::new(&items) {
        Ok(w) => w,
        Err(e) => {
            // Only possible if a listing returned one key twice; say so rather than crash.
            frame.render_widget(
                Paragraph::new(format!("cannot draw this listing: {e}")).block(block),
                area,
            );
            return;
        }
    };
    let widget = widget
        .block(block)
        .highlight_style(theme::cursor(focused))
        .node_closed_symbol("▶ ")
        .node_open_symbol("▼ ")
        .node_no_children_symbol("  ");
    // TreeState only accepts an offset once it has seen the rows; a first pass
    // into a scratch buffer shows them. The offset skips the ancestors that
    // were kept only so the visible rows sit at the right depth.
    let mut scratch = Buffer::empty(area);
    StatefulWidget::render(widget.clone(), area, &mut scratch, &mut state);
    state.scroll_down(ancestors);
    if !selected.is_empty() {
        state.select(selected);
    }
    frame.render_stateful_widget(widget, area, &mut state);
}

/// Finishes the innermost open row and hangs it under its parent.
fn close(stack: &mut Vec<Open>, top: &mut Vec<TreeItem<'static, RowKey>>) {
    let Some(open) = stack.pop() else { return };
    let children = if open.closed_folder {
        // A placeholder child makes the widget draw a closed-folder arrow.
        let placeholder = match &open.key {
            RowKey::Prefix(p) => RowKey::Loading(ListingId::Dir(p.clone())),
            other => other.clone(),
        };
        vec![TreeItem::new_leaf(placeholder, "")]
    } else {
        open.children
    };
    let item = match TreeItem::new(open.key.clone(), open.text.clone(), children) {
        Ok(i) => i,
        Err(_) => TreeItem::new_leaf(open.key, open.text),
    };
    match stack.last_mut() {
        Some(parent) => parent.children.push(item),
        None => top.push(item),
    }
}

fn row_line(ctx: &RowCtx, row: &Row) -> Line<'static> {
    // The widget indents two cells per level and draws a two-cell arrow.
    let avail = ctx.width.saturating_sub(row.depth * 2 + 2);
    let cols = Columns::for_width(avail);
    let marks = &ctx.pane.marks;
    let (mark, mark_style) = match row.item {
        RowItem::Prefix(p) if marks.is_marked(p, MarkKind::Prefix) => ("✔ ", theme::marked()),
        RowItem::Object(o) if marks.is_marked(&o.key, MarkKind::Object) => ("✔ ", theme::marked()),
        RowItem::Prefix(p) if marks.covering(p, MarkKind::Prefix).is_some() => {
            ("· ", theme::marked())
        }
        RowItem::Object(o) if marks.covering(&o.key, MarkKind::Object).is_some() => {
            ("· ", theme::marked())
        }
        _ => ("  ", Style::new()),
    };
    let mut spans = vec![Span::styled(mark, mark_style)];
    let mut name_w = avail.saturating_sub(2 + cols.width());
    if let Some(c) = ctx.compare {
        spans.push(compare::marker(
            c,
            ctx.pane.side,
            &ctx.tree.bucket,
            &row.item,
        ));
        name_w = name_w.saturating_sub(2);
    }
    match row.item {
        RowItem::Prefix(p) => {
            let name = if row.name.is_empty() {
                "(empty name)"
            } else {
                row.name
            };
            spans.push(Span::styled(fmt::fit(name, name_w), theme::prefix()));
            if let Some(m) = marks.get(p).filter(|m| m.kind == MarkKind::Prefix) {
                let text = match &m.size {
                    MarkSize::Known(c) => {
                        format!("{} obj  {}", fmt::count(c.objects), fmt::bytes(c.bytes))
                    }
                    MarkSize::Counting(_, c) => format!("{}+ obj counting…", fmt::count(c.objects)),
                    MarkSize::Failed(_) => "size unknown".into(),
                };
                let w = cols.width();
                if w > 0 {
                    spans.push(Span::styled(
                        format!("{:>w$}", fmt::truncate_end(&text, w)),
                        theme::dim(),
                    ));
                }
            }
        }
        RowItem::Object(o) | RowItem::Version(o) => {
            let name = match row.item {
                RowItem::Version(_) => {
                    let mut n = format!("version {}", row.name);
                    if o.is_latest == Some(true) {
                        n.push_str(" (latest)");
                    }
                    if o.is_delete_marker() {
                        n.push_str(" (delete marker)");
                    }
                    n
                }
                _ if row.name.is_empty() => "(folder marker object)".to_string(),
                _ => row.name.to_string(),
            };
            let style = if matches!(row.item, RowItem::Version(_)) {
                theme::dim()
            } else {
                Style::new()
            };
            spans.push(Span::styled(fmt::fit(&name, name_w), style));
            if cols.size > 0 {
                let size = if o.is_delete_marker() {
                    String::new()
                } else {
                    fmt::bytes(o.size)
                };
                spans.push(Span::raw(format!(" {size:>w$}", w = cols.size)));
            }
            if cols.date > 0 {
                let date = o
                    .last_modified
                    .as_ref()
                    .map(fmt::datetime)
                    .unwrap_or_default();
                spans.push(Span::styled(
                    format!("  {date:>w$}", w = cols.date),
                    theme::dim(),
                ));
            }
        }
        RowItem::More => spans.push(Span::styled("… load more (enter)", theme::warn())),
        RowItem::Loading => spans.push(Span::styled("loading…", theme::dim())),
        RowItem::Error(e) => spans.push(Span::styled(
            fmt::truncate_end(&format!("✖ {e} (enter retries)"), avail),
            theme::error(),
        )),
        RowItem::Empty => spans.push(Span::styled("(empty)", theme::dim())),
    }
    Line::from(spans)
}
