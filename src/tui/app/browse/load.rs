//! Loading what the panes show: bucket lists, a bucket's tree and its
//! status, connections; marks are cancelled with what they belonged to.

use crate::config::ConnectionSettings;
use crate::location::parent_prefix;
use crate::tui::app::browse::pane::{BucketList, View};
use crate::tui::app::browse::tree::{ListingId, RowKey, Tree};
use crate::tui::app::msg::{Effect, PaneSide};
use crate::tui::app::{App, Pending};

impl App {
    /// Cancels prefix counts of marks that are going away.
    pub(crate) fn clear_marks(&mut self, side: PaneSide) -> Vec<Effect> {
        let pane = self.pane_mut(side);
        let requests = pane.marks.counting_requests();
        pane.marks.clear();
        requests
            .into_iter()
            .map(|r| self.inflight.cancel(r))
            .collect()
    }

    /// Shows the pane's bucket list, loading it; `select` puts the cursor on a name.
    pub(crate) fn show_buckets(&mut self, side: PaneSide, select: Option<String>) -> Vec<Effect> {
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
    pub(crate) fn open_bucket(
        &mut self,
        side: PaneSide,
        bucket: &str,
        prefix: &str,
    ) -> Vec<Effect> {
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

    pub(crate) fn load_status(&mut self, side: PaneSide) -> Vec<Effect> {
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
        side: PaneSide,
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
        for side in [PaneSide::Left, PaneSide::Right] {
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

    pub(crate) fn load_listing(
        &mut self,
        side: PaneSide,
        id: &ListingId,
        more: bool,
    ) -> Vec<Effect> {
        let request = self.request(Pending::List(side, id.clone()));
        let conn = self.pane(side).conn.clone();
        let Some(tree) = self.pane_mut(side).tree_mut() else {
            self.inflight.forget(request);
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

    /// Lists the tree afresh, keeping what is expanded.
    pub(crate) fn reload_tree(&mut self, side: PaneSide) -> Vec<Effect> {
        if let Some(t) = self.pane_mut(side).tree_mut() {
            // Dropped listings reload as they become visible (see ensure_loaded).
            t.clear_listings();
        }
        let mut effects = self.load_status(side);
        effects.extend(self.ensure_loaded());
        effects
    }
}
