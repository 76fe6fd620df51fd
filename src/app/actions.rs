//! What the keys of the main screen do: pane navigation, loading, marking,
//! opening the preview, and job control.

use super::compare::Compare;
use super::dialogs::{
    Confirm, ConnectionPicker, Dialog, JobDetails, OnYes, StatusDialog, SummarySlot,
};
use super::input::TextInput;
use super::keymap::Action;
use super::marks::{MarkKind, MarkOutcome, MarkSize};
use super::msg::{Effect, Side, SizeCount};
use super::pane::{BucketList, Pane, View};
use super::preview::Preview;
use super::tree::{scroll_to, ListingId, RowItem, RowKey, Tree};
use super::{App, Focus, Pending};
use crate::config::ConnectionSettings;
use crate::engine::model::{JobKind, JobState};
use crate::location::{parent_prefix, Location};
use crate::plan::model::{ConflictPolicy, PlanTotals};

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
    /// Cancels prefix counts of marks that are going away.
    fn clear_marks(&mut self, side: Side) -> Vec<Effect> {
        let pane = self.pane_mut(side);
        let requests = pane.marks.counting_requests();
        pane.marks.clear();
        requests
            .into_iter()
            .map(|r| {
                self.pending.remove(&r);
                Effect::Cancel { request: r }
            })
            .collect()
    }

    /// Shows the pane's bucket list, loading it; `select` puts the cursor on a name.
    pub(crate) fn show_buckets(&mut self, side: Side, select: Option<String>) -> Vec<Effect> {
        let mut effects = self.clear_marks(side);
        let request = self.request(Pending::Buckets(side));
        let pane = self.pane_mut(side);
        pane.filter.clear();
        pane.filter_input = None;
        let previous = match &pane.view {
            View::Buckets(b) => b.buckets.clone(),
            View::Tree(_) => Vec::new(),
        };
        let cursor = select
            .as_ref()
            .and_then(|s| previous.iter().position(|b| &b.name == s))
            .unwrap_or(0);
        pane.view = View::Buckets(BucketList {
            buckets: previous,
            loading: Some(request),
            error: None,
            cursor,
            offset: 0,
            select,
        });
        effects.push(Effect::ListBuckets {
            request,
            conn: self.pane(side).conn.clone(),
        });
        effects
    }

    /// Opens `bucket` rooted at `prefix`. A prefix that is not dir-like
    /// (`s3://b/photos`) is taken as the folder `photos/`, shown expanded
    /// within its parent.
    pub(crate) fn open_bucket(&mut self, side: Side, bucket: &str, prefix: &str) -> Vec<Effect> {
        let same_bucket = self.pane(side).bucket() == Some(bucket);
        let mut effects = if same_bucket {
            Vec::new()
        } else {
            self.clear_marks(side)
        };
        let mut tree = if prefix.is_empty() || prefix.ends_with('/') {
            Tree::new(bucket, prefix)
        } else {
            let mut t = Tree::new(bucket, parent_prefix(prefix));
            let folder = format!("{prefix}/");
            t.expand_dir(&folder);
            t.cursor = Some(RowKey::Prefix(folder));
            t
        };
        let pane = self.pane_mut(side);
        if let View::Tree(old) = &pane.view {
            if old.bucket == bucket {
                tree.status = old.status.clone();
            }
        }
        pane.view = View::Tree(Box::new(tree));
        pane.filter.clear();
        pane.filter_input = None;
        effects.extend(self.load_status(side));
        effects
    }

    pub(crate) fn load_status(&mut self, side: Side) -> Vec<Effect> {
        let Some(bucket) = self.pane(side).bucket().map(str::to_string) else {
            return Vec::new();
        };
        let request = self.request(Pending::Status(side));
        let conn = self.pane(side).conn.clone();
        if let Some(t) = self.pane_mut(side).tree_mut() {
            t.status_loading = Some(request);
        }
        vec![Effect::LoadStatus {
            request,
            conn,
            bucket,
        }]
    }

    pub(crate) fn switch_connection(
        &mut self,
        side: Side,
        conn: ConnectionSettings,
    ) -> Vec<Effect> {
        let mut effects = self.clear_marks(side);
        let request = self.request(Pending::Connection(side));
        let pane = self.pane_mut(side);
        pane.conn = conn.clone();
        pane.view = View::Buckets(BucketList::default());
        pane.filter.clear();
        pane.filter_input = None;
        pane.connecting = Some(request);
        self.set_info(format!(
            "{}: connecting to {}",
            side.label().to_lowercase(),
            conn.label()
        ));
        effects.push(Effect::SwitchConnection { request, conn });
        effects
    }

    /// Starts listings the screen shows but nobody asked for yet: the root,
    /// and prefixes expanded while their parent was being (re)loaded.
    pub(crate) fn ensure_loaded(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        for side in [Side::Left, Side::Right] {
            let missing: Vec<ListingId> = {
                let pane = self.pane(side);
                let Some(tree) = pane.tree() else { continue };
                let root = ListingId::Dir(tree.root.clone());
                let mut missing = tree.unlisted(&pane.filter);
                // A folder given on the command line is expanded before its parent lists.
                if tree.listing(&root).is_none() {
                    for d in tree.expanded_dirs() {
                        let id = ListingId::Dir(d.to_string());
                        if parent_prefix(d) == tree.root
                            && tree.listing(&id).is_none()
                            && !missing.contains(&id)
                        {
                            missing.push(id);
                        }
                    }
                }
                missing
            };
            for id in missing {
                effects.extend(self.load_listing(side, &id, false));
            }
        }
        effects
    }

    fn load_listing(&mut self, side: Side, id: &ListingId, more: bool) -> Vec<Effect> {
        let request = self.request(Pending::List(side, id.clone()));
        let conn = self.pane(side).conn.clone();
        let Some(tree) = self.pane_mut(side).tree_mut() else {
            self.pending.remove(&request);
            return Vec::new();
        };
        let (req, token) = tree.begin_load(id, request, more);
        vec![Effect::ListPage {
            request,
            conn,
            req,
            token,
        }]
    }

    fn move_tree_cursor(&mut self, side: Side, target: impl FnOnce(usize, usize) -> Option<usize>) {
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

    fn move_bucket_cursor(
        &mut self,
        side: Side,
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

    /// Moves the focused list's cursor by a navigation action or to a row.
    pub(crate) fn navigate(&mut self, side: Side, action: Action) {
        let height = self.pane_height(side);
        let tree = matches!(self.pane(side).view, View::Tree(_));
        if tree {
            self.move_tree_cursor(side, |cur, len| nav_target(action, cur, len, height));
        } else {
            self.move_bucket_cursor(side, |cur, len| nav_target(action, cur, len, height));
        }
    }

    pub(crate) fn select_row(&mut self, side: Side, index: usize) {
        if matches!(self.pane(side).view, View::Tree(_)) {
            self.move_tree_cursor(side, |_, len| (index < len).then_some(index));
        } else {
            self.move_bucket_cursor(side, |_, len| (index < len).then_some(index));
        }
    }

    /// Keeps every cursor visible after a resize or a list change.
    pub(crate) fn clamp_views(&mut self) {
        for side in [Side::Left, Side::Right] {
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

    pub(crate) fn clamp_transfers(&mut self) {
        let rows = self.job_rows();
        if let Some(i) = self.transfers.selected_index() {
            self.transfers.offset = scroll_to(self.transfers.offset, i, rows, self.transfers.len());
        }
    }

    pub(crate) fn tree_action(&mut self, side: Side, action: Action) -> Vec<Effect> {
        if is_nav(action) {
            self.navigate(side, action);
            return Vec::new();
        }
        match action {
            Action::Open => self.tree_open(side),
            Action::Back => self.tree_back(side),
            Action::Mark => self.mark(side),
            Action::ClearMarks => {
                let n = self.pane(side).marks.len();
                let effects = self.clear_marks(side);
                self.set_info(format!("cleared {n} mark(s)"));
                effects
            }
            Action::Copy => self.open_preview(JobKind::Copy),
            Action::Move => self.open_preview(JobKind::Move),
            Action::Compare => self.toggle_compare(),
            Action::MarkDifferences => self.mark_differences(),
            Action::Status => self.open_status(side),
            Action::Filter => {
                let text = self.pane(side).filter.clone();
                self.pane_mut(side).filter_input = Some(TextInput::new(text));
                Vec::new()
            }
            Action::Refresh => self.refresh_tree(side),
            Action::Versions => self.toggle_versions(side),
            Action::Connection => self.open_connection_picker(side),
            Action::Buckets => {
                let current = self.pane(side).bucket().map(str::to_string);
                self.show_buckets(side, current)
            }
            Action::Close => {
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

    fn tree_open(&mut self, side: Side) -> Vec<Effect> {
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
    fn describe_object(&mut self, side: Side, key: &str, version: Option<&str>) {
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

    fn tree_back(&mut self, side: Side) -> Vec<Effect> {
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

    fn toggle_versions(&mut self, side: Side) -> Vec<Effect> {
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

    fn refresh_tree(&mut self, side: Side) -> Vec<Effect> {
        self.set_info("refreshing");
        self.reload_tree(side)
    }

    /// Lists the tree afresh, keeping what is expanded.
    pub(crate) fn reload_tree(&mut self, side: Side) -> Vec<Effect> {
        if let Some(t) = self.pane_mut(side).tree_mut() {
            // Dropped listings reload as they become visible (see ensure_loaded).
            t.clear_listings();
        }
        let mut effects = self.load_status(side);
        effects.extend(self.ensure_loaded());
        effects
    }

    fn mark(&mut self, side: Side) -> Vec<Effect> {
        if side == Side::Right {
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
        let cancel = |m: &super::marks::Mark| match m.size {
            MarkSize::Counting(r, _) => Some(r),
            _ => None,
        };
        match outcome {
            MarkOutcome::Refused(by) => {
                // The count started above is not needed.
                for e in effects.drain(..) {
                    if let Effect::ComputeSize { request, .. } = e {
                        self.pending.remove(&request);
                    }
                }
                self.set_error(format!("already included: {by} is marked"));
                return effects;
            }
            MarkOutcome::Unmarked(m) => {
                if let Some(r) = cancel(&m) {
                    self.pending.remove(&r);
                    effects.push(Effect::Cancel { request: r });
                }
            }
            MarkOutcome::Marked { absorbed } => {
                for (_, m) in &absorbed {
                    if let Some(r) = cancel(m) {
                        self.pending.remove(&r);
                        effects.push(Effect::Cancel { request: r });
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
        self.navigate(side, Action::Down);
        effects
    }

    fn open_status(&mut self, side: Side) -> Vec<Effect> {
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

    pub(crate) fn open_connection_picker(&mut self, side: Side) -> Vec<Effect> {
        let names: Vec<String> = self
            .named_connections
            .iter()
            .map(|(n, _)| n.clone())
            .collect();
        self.dialogs
            .push(Dialog::Connection(ConnectionPicker::new(side, &names)));
        Vec::new()
    }

    /// `c`, `m`: the marks of the left pane (or the row under its cursor)
    /// into the right pane's current prefix (in compare mode: mirrored from
    /// the compared left folder into the compared right folder).
    pub(crate) fn open_preview(&mut self, kind: JobKind) -> Vec<Effect> {
        if self.read_only {
            self.set_error(format!("read-only: {} is disabled", kind.as_str()));
            return Vec::new();
        }
        let left = self.pane(Side::Left);
        let Some(src_bucket) = left.bucket().map(str::to_string) else {
            self.set_error("open a source bucket in the left pane first");
            return Vec::new();
        };
        let mut sources = left.marks.sources();
        if sources.is_empty() {
            match cursor_row(left).map(|r| r.key) {
                Some(RowKey::Prefix(p)) => sources.push((p, MarkKind::Prefix)),
                Some(RowKey::Object(k)) => sources.push((k, MarkKind::Object)),
                _ => {
                    self.set_error(
                        "nothing to copy: mark prefixes or objects in the left pane (space)",
                    );
                    return Vec::new();
                }
            }
        }
        let right = self.pane(Side::Right);
        let (Some(dst_bucket), Some(open_folder)) =
            (right.bucket().map(str::to_string), right.current_prefix())
        else {
            self.set_error("open a destination bucket in the right pane first");
            return Vec::new();
        };
        // In compare mode the two compared folders are mirrored: a marked
        // difference lands at its own path below the right folder.
        let mirror = self
            .compare
            .as_ref()
            .filter(|c| c.left.bucket == src_bucket && c.right.bucket == dst_bucket)
            .filter(|c| sources.iter().all(|(k, _)| k.starts_with(&c.left.prefix)))
            .map(|c| (c.left.prefix.clone(), c.right.prefix.clone()));
        let (src_root, dst_prefix) = match mirror {
            Some((left, right)) => (Some(left), right),
            None => (None, open_folder),
        };
        let request = self.request(Pending::Preview);
        let preview = Preview {
            request,
            kind,
            sources,
            src_bucket,
            dst_bucket,
            src_conn: self.pane(Side::Left).conn.clone(),
            dst_conn: self.pane(Side::Right).conn.clone(),
            dst_prefix,
            src_root,
            rewrite: None,
            conflict: ConflictPolicy::Overwrite,
            run: self.run_options.clone(),
            editing: None,
            field_error: None,
            entries: Vec::new(),
            totals: PlanTotals::default(),
            done: false,
            error: None,
            offset: 0,
            batch: Default::default(),
        };
        if let Some(problem) = preview.overlap() {
            self.pending.remove(&request);
            self.set_error(format!("refused: {problem}"));
            return Vec::new();
        }
        let spec = Box::new(preview.spec());
        self.dialogs.push(Dialog::Preview(Box::new(preview)));
        vec![Effect::StartPreview { request, spec }]
    }

    pub(crate) fn buckets_action(&mut self, side: Side, action: Action) -> Vec<Effect> {
        if is_nav(action) {
            self.navigate(side, action);
            return Vec::new();
        }
        match action {
            Action::Open => {
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
            Action::Filter => {
                let text = self.pane(side).filter.clone();
                self.pane_mut(side).filter_input = Some(TextInput::new(text));
                Vec::new()
            }
            Action::Refresh => self.show_buckets(side, None),
            Action::Connection => self.open_connection_picker(side),
            Action::Close => {
                self.pane_mut(side).filter.clear();
                self.clamp_views();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub(crate) fn transfers_action(&mut self, action: Action) -> Vec<Effect> {
        if is_nav(action) {
            let rows = self.job_rows();
            let len = self.transfers.len();
            let cur = self.transfers.selected_index().unwrap_or(0);
            if let Some(t) = nav_target(action, cur, len, rows) {
                self.transfers.select_index(t, rows);
            }
            return Vec::new();
        }
        if let Some(b) = self.transfers.selected_batch() {
            let id = b.id;
            return self.batch_row_action(id, action);
        }
        let Some(job) = self.transfers.selected_job().map(|j| j.id) else {
            if matches!(
                action,
                Action::Open | Action::Pause | Action::CancelJob | Action::RetryFailed
            ) {
                self.set_info("no jobs yet: mark objects and press c to copy");
            }
            return Vec::new();
        };
        match action {
            Action::Open => {
                self.dialogs.push(Dialog::JobDetails(JobDetails {
                    job,
                    failed: None,
                    scroll: 0,
                }));
                vec![Effect::LoadJobDetails(job)]
            }
            Action::Pause | Action::CancelJob | Action::RetryFailed => {
                self.job_control(job, action)
            }
            _ => Vec::new(),
        }
    }

    /// Keys on a Batch Operations row: the job runs in S3, so only its details
    /// are shown here.
    fn batch_row_action(&mut self, id: i64, action: Action) -> Vec<Effect> {
        let Some(b) = self.transfers.batches.iter().find(|b| b.id == id) else {
            return Vec::new();
        };
        match action {
            Action::Open => {
                let mut parts = vec![format!(
                    "batch {id}: Batch Operations job {} in {}",
                    b.record.remote_id, b.record.region
                )];
                match &b.remote {
                    Some(Ok(s)) => {
                        parts.push(s.status.to_string());
                        parts.extend(s.failure_reasons.iter().cloned());
                    }
                    Some(Err(e)) => parts.push(e.clone()),
                    None => parts.push("status not known yet".into()),
                }
                if let Some(job) = b.move_job {
                    parts.push(format!("job {job} deletes the sources it checked"));
                }
                if let Some(e) = &b.move_error {
                    parts.push(format!("sources not deleted: {e}"));
                }
                parts.push(format!("manifest {}", b.record.manifest));
                parts.push(format!(
                    "report s3://{}/{} (`s3ferry batch report {id}` lists failed tasks)",
                    b.record.report_bucket, b.record.report_prefix
                ));
                self.set_info(parts.join(" · "));
            }
            Action::Pause | Action::CancelJob | Action::RetryFailed => {
                self.set_info(format!(
                    "batch {id} runs in S3 Batch Operations: change or cancel it in S3; `s3ferry batch status {id}` follows it"
                ));
            }
            _ => {}
        }
        Vec::new()
    }

    /// `d`: compare mode on (the two panes' open folders) or off.
    pub(crate) fn toggle_compare(&mut self) -> Vec<Effect> {
        if let Some(c) = self.compare.take() {
            self.set_info("compare mode off");
            if self.pending.remove(&c.request).is_some() {
                return vec![Effect::Cancel { request: c.request }];
            }
            return Vec::new();
        }
        let folder = |pane: &Pane| {
            pane.bucket()
                .zip(pane.current_prefix())
                .map(|(b, p)| Location::new(b, p))
        };
        let (Some(left), Some(right)) = (
            folder(self.pane(Side::Left)),
            folder(self.pane(Side::Right)),
        ) else {
            self.set_error("compare: open a folder in both panes first");
            return Vec::new();
        };
        let same_store = self
            .pane(Side::Left)
            .conn
            .same_store(&self.pane(Side::Right).conn);
        if left == right && same_store {
            self.set_error(format!("compare: both panes show {left}"));
            return Vec::new();
        }
        let effects = self.start_compare(left.clone(), right.clone());
        self.set_info(format!(
            "comparing {left} with {right}: + only on that side · ≠ different · = same; {} marks the differences, {} again ends compare mode",
            self.keymap.first_key(Action::MarkDifferences),
            self.keymap.first_key(Action::Compare)
        ));
        effects
    }

    /// Compares `left` with `right` afresh, replacing any comparison running.
    pub(crate) fn start_compare(&mut self, left: Location, right: Location) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Some(old) = self.compare.take() {
            if self.pending.remove(&old.request).is_some() {
                effects.push(Effect::Cancel {
                    request: old.request,
                });
            }
        }
        let request = self.request(Pending::Compare);
        self.compare = Some(Compare::new(request, left.clone(), right.clone()));
        effects.push(Effect::StartCompare {
            request,
            src_conn: self.pane(Side::Left).conn.clone(),
            src: left,
            dst_conn: self.pane(Side::Right).conn.clone(),
            dst: right,
        });
        effects
    }

    /// `D`: marks on the left exactly what is only in the source or different.
    fn mark_differences(&mut self) -> Vec<Effect> {
        let Some(c) = &self.compare else {
            self.set_error(format!(
                "no comparison: {} compares the two panes' open folders first",
                self.keymap.first_key(Action::Compare)
            ));
            return Vec::new();
        };
        if let Some(e) = &c.error {
            self.set_error(format!("the comparison failed: {e}"));
            return Vec::new();
        }
        if c.running() {
            self.set_error("wait for the comparison to finish: it marks what it found then");
            return Vec::new();
        }
        if self.pane(Side::Left).bucket() != Some(c.left.bucket.as_str()) {
            self.set_error(format!(
                "the left pane no longer shows {}; compare again",
                c.left
            ));
            return Vec::new();
        }
        let marks = c.differences();
        let destination = c.right.to_string();
        let effects = self.clear_marks(Side::Left);
        if marks.is_empty() {
            self.set_info(format!(
                "nothing to mark: every source key is the same in {destination}"
            ));
            return effects;
        }
        let pane = self.pane_mut(Side::Left);
        for (key, kind, size) in marks {
            pane.marks.toggle(&key, kind, MarkSize::Known(size));
        }
        let t = pane.marks.totals();
        self.set_info(format!(
            "marked {} difference(s): {} objects, {}; {} copies them into {destination}",
            t.marks,
            crate::fmt::count(t.objects),
            crate::fmt::bytes(t.bytes),
            self.keymap.first_key(Action::Copy)
        ));
        effects
    }

    /// Pause/resume, cancel and retry on one job, with read-only refusals.
    pub(crate) fn job_control(
        &mut self,
        id: crate::engine::model::JobId,
        action: Action,
    ) -> Vec<Effect> {
        let Some(job) = self.transfers.jobs.iter().find(|j| j.id == id) else {
            return Vec::new();
        };
        let state = job.state;
        let failed = job.progress.failed;
        let writes = match action {
            Action::Pause => !matches!(state, JobState::Running | JobState::Queued),
            Action::RetryFailed => true,
            _ => false,
        };
        if writes && self.read_only {
            self.set_error("read-only: resuming and retrying are disabled");
            return Vec::new();
        }
        match action {
            Action::Pause => match state {
                JobState::Running | JobState::Queued => {
                    self.set_info(format!("pausing job {id}"));
                    vec![Effect::PauseJob(id)]
                }
                JobState::Paused
                | JobState::Interrupted
                | JobState::Cancelled
                | JobState::Failed => {
                    self.set_info(format!("resuming job {id}"));
                    vec![Effect::ResumeJob(id)]
                }
                JobState::Completed => {
                    self.set_info(format!("job {id} is complete"));
                    Vec::new()
                }
            },
            Action::CancelJob if state.is_active() => {
                self.set_info(format!("cancelling job {id} (resumable later)"));
                vec![Effect::CancelJob(id)]
            }
            Action::CancelJob => {
                self.set_info(format!("job {id} is not running"));
                Vec::new()
            }
            Action::RetryFailed if failed > 0 && !state.is_active() => {
                self.set_info(format!("retrying {failed} failed object(s) of job {id}"));
                vec![Effect::RetryFailed(id)]
            }
            Action::RetryFailed if failed > 0 => {
                self.set_info(format!(
                    "job {id} is still running; retry its failures when it ends"
                ));
                Vec::new()
            }
            Action::RetryFailed => {
                self.set_info(format!("job {id} has no failed objects"));
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub(crate) fn request_quit(&mut self) -> Vec<Effect> {
        let active = self.transfers.active();
        if active > 0 {
            self.dialogs.push(Dialog::Confirm(Confirm::quit(active)));
            return Vec::new();
        }
        self.quitting = true;
        vec![Effect::Quit]
    }

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

impl Confirm {
    pub fn quit(active: usize) -> Confirm {
        Confirm {
            title: "Quit?".into(),
            lines: vec![
                format!("{active} job(s) still running."),
                "They stop now and can be resumed later from the transfers panel or `s3ferry resume`.".into(),
            ],
            on_yes: OnYes::Quit,
        }
    }
}
