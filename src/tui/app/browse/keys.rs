//! What the keys of a pane do: open, back, mark, filter, refresh, versions,
//! the bucket status and the connection picker. Copy, move and compare are
//! routed by `update` to their features.

use crate::location::{parent_prefix, Location};
use crate::tui::app::browse::marks::{MarkKind, MarkOutcome, MarkSize};
use crate::tui::app::browse::pane::{Pane, View};
use crate::tui::app::browse::tree::{ListingId, RowItem, RowKey};
use crate::tui::app::dialogs::{ConnectionPicker, Dialog, StatusDialog, SummarySlot};
use crate::tui::app::event::KeyEvent;
use crate::tui::app::input::{InputOutcome, TextInput};
use crate::tui::app::keymap::Verb;
use crate::tui::app::msg::{Effect, PaneSide, SizeCount};
use crate::tui::app::navigation::is_nav;
use crate::tui::app::{App, Pending};

/// The row under a tree cursor, detached from the tree's borrow.
#[derive(Debug, Clone)]
pub(crate) struct CursorRow {
    pub key: RowKey,
    pub parent: ListingId,
    pub depth: usize,
    pub size: u64,
    pub expanded: bool,
}

pub(crate) fn cursor_row(pane: &Pane) -> Option<CursorRow> {
    let tree = pane.tree()?;
    let row = tree.cursor_row(&pane.filter)?;
    let size = match row.item {
        RowItem::Object(o) | RowItem::Version(o) => o.size,
        _ => 0,
    };
    Some(CursorRow {
        key: row.key(),
        parent: row.parent.to_owned_id(),
        depth: row.depth,
        size,
        expanded: tree.expanded_child(&row).is_some(),
    })
}

/// Keys while a pane's filter is typed: the list narrows as you type;
/// navigation keys the field does not use still move the cursor.
pub(crate) fn filter_key(app: &mut App, side: PaneSide, ev: &KeyEvent) -> InputOutcome {
    let pane = app.pane_mut(side);
    let Some(input) = pane.filter_input.as_mut() else {
        return InputOutcome::Ignored;
    };
    let outcome = input.handle(ev);
    match outcome {
        InputOutcome::Changed => pane.filter = input.text.clone(),
        InputOutcome::Submit => pane.filter_input = None,
        InputOutcome::Cancel => {
            pane.filter_input = None;
            pane.filter.clear();
        }
        InputOutcome::Moved | InputOutcome::Ignored => {}
    }
    if outcome != InputOutcome::Ignored {
        let Pane { view, filter, .. } = app.pane_mut(side);
        match view {
            View::Buckets(list) => list.cursor = 0,
            // A cursor the filter hides starts again at the top, where the
            // matches are, not at its old index near the end of a long list.
            View::Tree(tree) => {
                if tree.find_cursor(filter).is_none() {
                    tree.cursor = None;
                    tree.cursor_hint = 0;
                    tree.offset = 0;
                }
            }
        }
        app.clamp_views();
    }
    outcome
}

impl App {
    pub(crate) fn tree_action(&mut self, side: PaneSide, action: Verb) -> Vec<Effect> {
        if is_nav(action) {
            self.navigate(side, action);
            return Vec::new();
        }
        match action {
            Verb::Open => self.tree_open(side),
            Verb::Back => self.tree_back(side),
            Verb::Mark => self.mark(side),
            Verb::ClearMarks => {
                let n = self.pane(side).marks.len();
                let effects = self.clear_marks(side);
                self.set_info(format!("cleared {n} mark(s)"));
                effects
            }
            Verb::Status => self.open_status(side),
            Verb::Filter => {
                let text = self.pane(side).filter.clone();
                self.pane_mut(side).filter_input = Some(TextInput::new(text));
                Vec::new()
            }
            Verb::Refresh => self.refresh_tree(side),
            Verb::Versions => self.toggle_versions(side),
            Verb::Connection => self.open_connection_picker(side),
            Verb::Buckets => {
                let current = self.pane(side).bucket().map(str::to_string);
                self.show_buckets(side, current)
            }
            Verb::Close => {
                let pane = self.pane_mut(side);
                if !pane.filter.is_empty() {
                    pane.filter.clear();
                    self.clamp_views();
                } else {
                    self.status = None;
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub(crate) fn buckets_action(&mut self, side: PaneSide, action: Verb) -> Vec<Effect> {
        if is_nav(action) {
            self.navigate(side, action);
            return Vec::new();
        }
        match action {
            Verb::Open => {
                let pane = self.pane(side);
                let View::Buckets(list) = &pane.view else {
                    return Vec::new();
                };
                let visible = list.visible(&pane.filter);
                let name = match visible.get(list.cursor.min(visible.len().saturating_sub(1))) {
                    Some(b) => b.name.clone(),
                    // Buckets the identity may not list can still be opened by name.
                    None if !pane.filter.is_empty() => pane.filter.clone(),
                    None => return Vec::new(),
                };
                let mut effects = self.open_bucket(side, &name, "");
                effects.extend(self.ensure_loaded());
                effects
            }
            Verb::Filter => {
                let text = self.pane(side).filter.clone();
                self.pane_mut(side).filter_input = Some(TextInput::new(text));
                Vec::new()
            }
            Verb::Refresh => self.show_buckets(side, None),
            Verb::Connection => self.open_connection_picker(side),
            Verb::Close => {
                self.pane_mut(side).filter.clear();
                self.clamp_views();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub(crate) fn tree_open(&mut self, side: PaneSide) -> Vec<Effect> {
        let Some(row) = cursor_row(self.pane(side)) else {
            return Vec::new();
        };
        match row.key {
            RowKey::Prefix(p) => {
                if let Some(t) = self.pane_mut(side).tree_mut() {
                    t.toggle_dir(&p);
                }
                self.clamp_views();
                Vec::new()
            }
            RowKey::More(id) => self.load_listing(side, &id, true),
            RowKey::Error(id) => {
                let more = self
                    .pane(side)
                    .tree()
                    .and_then(|t| t.listing(&id))
                    .is_some_and(|l| !l.items.is_empty());
                self.load_listing(side, &id, more)
            }
            RowKey::Object(key) => {
                self.describe_object(side, &key, None);
                Vec::new()
            }
            RowKey::Version { key, version_id } => {
                self.describe_object(side, &key, Some(&version_id));
                Vec::new()
            }
            RowKey::Loading(_) | RowKey::Empty(_) => Vec::new(),
        }
    }

    /// Puts an object's details in the status line.
    pub(crate) fn describe_object(&mut self, side: PaneSide, key: &str, version: Option<&str>) {
        let Some(tree) = self.pane(side).tree() else {
            return;
        };
        let found = tree
            .listings()
            .flat_map(|l| l.items.iter())
            .find_map(|i| match i {
                crate::s3::model::ListItem::Object(o)
                    if o.key == key
                        && (version.is_none() || o.version_id.as_deref() == version) =>
                {
                    Some(o.clone())
                }
                _ => None,
            });
        let Some(o) = found else { return };
        let mut parts = vec![o.key.clone(), crate::fmt::bytes(o.size)];
        if let Some(t) = o.last_modified {
            parts.push(crate::fmt::datetime(&t));
        }
        if let Some(c) = &o.storage_class {
            parts.push(c.clone());
        }
        if let Some(e) = o.etag_plain() {
            parts.push(format!("etag {e}"));
        }
        if let Some(v) = &o.version_id {
            parts.push(format!("version {v}"));
        }
        if o.is_delete_marker() {
            parts.push("delete marker".into());
        }
        self.set_info(parts.join(" · "));
    }

    pub(crate) fn tree_back(&mut self, side: PaneSide) -> Vec<Effect> {
        let Some(row) = cursor_row(self.pane(side)) else {
            let current = self.pane(side).bucket().map(str::to_string);
            return self.show_buckets(side, current);
        };
        if row.expanded {
            if let Some(t) = self.pane_mut(side).tree_mut() {
                t.collapse(&row.key);
            }
            self.clamp_views();
            return Vec::new();
        }
        if row.depth > 0 {
            let parent = match row.parent {
                ListingId::Dir(p) => RowKey::Prefix(p),
                ListingId::Versions(k) => RowKey::Object(k),
            };
            if let Some(t) = self.pane_mut(side).tree_mut() {
                t.cursor = Some(parent);
            }
            self.clamp_views();
            return Vec::new();
        }
        let Some((bucket, root)) = self
            .pane(side)
            .tree()
            .map(|t| (t.bucket.clone(), t.root.clone()))
        else {
            return Vec::new();
        };
        if root.is_empty() {
            return self.show_buckets(side, Some(bucket));
        }
        // Go up one folder, keeping the cursor on the folder we came from.
        let effects = self.open_bucket(side, &bucket, parent_prefix(&root));
        if let Some(t) = self.pane_mut(side).tree_mut() {
            t.cursor = Some(RowKey::Prefix(root));
        }
        effects
    }

    pub(crate) fn toggle_versions(&mut self, side: PaneSide) -> Vec<Effect> {
        let Some(row) = cursor_row(self.pane(side)) else {
            return Vec::new();
        };
        match row.key {
            RowKey::Object(k) => {
                if let Some(t) = self.pane_mut(side).tree_mut() {
                    t.toggle_versions(&k);
                }
                self.clamp_views();
            }
            RowKey::Version { .. } => {
                self.set_info("versions are listed under their object; back closes them")
            }
            _ => self.set_info("versions: put the cursor on an object"),
        }
        Vec::new()
    }

    pub(crate) fn refresh_tree(&mut self, side: PaneSide) -> Vec<Effect> {
        self.set_info("refreshing");
        self.reload_tree(side)
    }

    pub(crate) fn mark(&mut self, side: PaneSide) -> Vec<Effect> {
        if side == PaneSide::Right {
            self.set_error(
                "marks are made in the source (left) pane; the right pane is the destination",
            );
            return Vec::new();
        }
        let Some(row) = cursor_row(self.pane(side)) else {
            return Vec::new();
        };
        let Some(bucket) = self.pane(side).bucket().map(str::to_string) else {
            return Vec::new();
        };
        let (key, kind) = match &row.key {
            RowKey::Prefix(p) => (p.clone(), MarkKind::Prefix),
            RowKey::Object(k) => (k.clone(), MarkKind::Object),
            RowKey::Version { .. } => {
                self.set_error("a single version cannot be marked; mark the object");
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        let mut effects = Vec::new();
        let size = if kind == MarkKind::Prefix && !self.pane(side).marks.is_marked(&key, kind) {
            let request = self.request(Pending::Size(side));
            effects.push(Effect::ComputeSize {
                request,
                conn: self.pane(side).conn.clone(),
                location: Location::new(bucket, key.as_str()),
            });
            MarkSize::Counting(request, SizeCount::default())
        } else {
            MarkSize::Known(SizeCount {
                objects: 1,
                bytes: row.size,
                done: true,
            })
        };
        let outcome = self.pane_mut(side).marks.toggle(&key, kind, size);
        let cancel = |m: &crate::tui::app::browse::marks::Mark| match m.size {
            MarkSize::Counting(r, _) => Some(r),
            _ => None,
        };
        match outcome {
            MarkOutcome::Refused(by) => {
                // The count started above is not needed.
                for e in effects.drain(..) {
                    if let Effect::ComputeSize { request, .. } = e {
                        self.inflight.forget(request);
                    }
                }
                self.set_error(format!("already included: {by} is marked"));
                return effects;
            }
            MarkOutcome::Unmarked(m) => {
                if let Some(r) = cancel(&m) {
                    effects.push(self.inflight.cancel(r));
                }
            }
            MarkOutcome::Marked { absorbed } => {
                for (_, m) in &absorbed {
                    if let Some(r) = cancel(m) {
                        effects.push(self.inflight.cancel(r));
                    }
                }
                if !absorbed.is_empty() {
                    self.set_info(format!(
                        "{key} replaces {} mark(s) inside it",
                        absorbed.len()
                    ));
                }
            }
        }
        self.navigate(side, Verb::Down);
        effects
    }

    pub(crate) fn open_status(&mut self, side: PaneSide) -> Vec<Effect> {
        let Some(bucket) = self.pane(side).bucket().map(str::to_string) else {
            return Vec::new();
        };
        let prefix = self.pane(side).prefix_under_cursor().unwrap_or_default();
        self.dialogs.push(Dialog::Status(StatusDialog {
            side,
            bucket,
            prefix,
            summary: SummarySlot::NotRequested,
            scroll: 0,
        }));
        self.load_status(side)
    }

    pub(crate) fn open_connection_picker(&mut self, side: PaneSide) -> Vec<Effect> {
        let names: Vec<String> = self
            .named_connections
            .iter()
            .map(|(n, _)| n.clone())
            .collect();
        self.dialogs
            .push(Dialog::Connection(ConnectionPicker::new(side, &names)));
        Vec::new()
    }
}
