//! One side of the screen: a connection, and either its bucket list or one
//! bucket as a tree, plus the marks made in it.

use crate::config::ConnectionSettings;
use crate::s3::model::BucketInfo;
use crate::tui::app::browse::marks::Marks;
use crate::tui::app::browse::tree::{ParentRef, Row, Tree};
use crate::tui::app::input::TextInput;
use crate::tui::app::msg::{PaneSide, RequestId};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BucketList {
    pub buckets: Vec<BucketInfo>,
    pub loading: Option<RequestId>,
    pub error: Option<String>,
    pub cursor: usize,
    pub offset: usize,
    /// Put the cursor on this bucket once the list arrives.
    pub select: Option<String>,
}

impl BucketList {
    /// Buckets whose name contains the filter (case-insensitive).
    pub fn visible(&self, filter: &str) -> Vec<&BucketInfo> {
        let needle = filter.to_lowercase();
        self.buckets
            .iter()
            .filter(|b| b.name.to_lowercase().contains(&needle))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum View {
    Buckets(BucketList),
    Tree(Box<Tree>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pane {
    pub side: PaneSide,
    pub conn: ConnectionSettings,
    pub view: View,
    pub marks: Marks,
    /// Names must contain this to be listed.
    pub filter: String,
    /// Set while the filter is being typed in a tree (`/`).
    pub filter_input: Option<TextInput>,
    /// A connection switch waiting for the endpoint to answer.
    pub connecting: Option<RequestId>,
}

impl Pane {
    pub fn new(side: PaneSide, conn: ConnectionSettings) -> Pane {
        Pane {
            side,
            conn,
            view: View::Buckets(BucketList::default()),
            marks: Marks::default(),
            filter: String::new(),
            filter_input: None,
            connecting: None,
        }
    }

    pub fn tree(&self) -> Option<&Tree> {
        match &self.view {
            View::Tree(t) => Some(t),
            View::Buckets(_) => None,
        }
    }

    pub fn tree_mut(&mut self) -> Option<&mut Tree> {
        match &mut self.view {
            View::Tree(t) => Some(t),
            View::Buckets(_) => None,
        }
    }

    pub fn bucket(&self) -> Option<&str> {
        self.tree().map(|t| t.bucket.as_str())
    }

    pub fn busy(&self) -> bool {
        self.connecting.is_some()
            || match &self.view {
                View::Buckets(b) => b.loading.is_some(),
                View::Tree(t) => t.busy(),
            }
    }

    /// The open folder, where a copy lands: the prefix under the cursor when
    /// it is expanded, else the folder that contains the cursor's row (so a
    /// cursor resting on a closed folder does not redirect a copy into it).
    pub fn current_prefix(&self) -> Option<String> {
        let tree = self.tree()?;
        let Some(row) = tree.cursor_row(&self.filter) else {
            return Some(tree.root.clone());
        };
        Some(match tree.expanded_child(&row) {
            Some(ParentRef::Dir(p)) => p.to_string(),
            _ => container(&row).to_string(),
        })
    }

    /// The prefix under the cursor (a folder row itself), for per-object reports.
    pub fn prefix_under_cursor(&self) -> Option<String> {
        let tree = self.tree()?;
        let Some(row) = tree.cursor_row(&self.filter) else {
            return Some(tree.root.clone());
        };
        Some(row.folder().to_string())
    }
}

/// The folder a row is listed in.
fn container<'a>(row: &Row<'a>) -> &'a str {
    match row.parent {
        ParentRef::Dir(d) => d,
        ParentRef::Versions(k) => crate::location::parent_prefix(k),
    }
}
