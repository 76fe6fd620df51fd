//! A bucket as a lazily loaded tree: each prefix is listed one page at a time
//! when expanded, so a prefix with millions of keys opens at once and is never
//! loaded whole.

use std::collections::{HashMap, HashSet};

use super::msg::RequestId;
use crate::s3::list::ListRequest;
use crate::s3::model::{BucketStatus, ListItem, ListPage, ObjectEntry, PageToken};

/// Keys per listing page.
pub const PAGE_SIZE: i32 = 1000;

/// One listing the tree shows: the children of a prefix, or the versions of a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListingId {
    Dir(String),
    Versions(String),
}

/// Identity of a row, stable while pages load around it (the cursor follows
/// the row, not its index).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RowKey {
    Prefix(String),
    Object(String),
    Version { key: String, version_id: String },
    More(ListingId),
    Loading(ListingId),
    Error(ListingId),
    Empty(ListingId),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    pub items: Vec<ListItem>,
    pub next: Option<PageToken>,
    pub loading: Option<RequestId>,
    pub error: Option<String>,
}

/// A borrowed [`ListingId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentRef<'a> {
    Dir(&'a str),
    Versions(&'a str),
}

impl ParentRef<'_> {
    pub fn to_owned_id(self) -> ListingId {
        match self {
            ParentRef::Dir(p) => ListingId::Dir(p.to_string()),
            ParentRef::Versions(k) => ListingId::Versions(k.to_string()),
        }
    }

    fn is(self, id: &ListingId) -> bool {
        match (self, id) {
            (ParentRef::Dir(a), ListingId::Dir(b))
            | (ParentRef::Versions(a), ListingId::Versions(b)) => a == b,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowItem<'a> {
    Prefix(&'a str),
    Object(&'a ObjectEntry),
    Version(&'a ObjectEntry),
    More,
    Loading,
    Error(&'a str),
    Empty,
}

#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub item: RowItem<'a>,
    pub parent: ParentRef<'a>,
    pub depth: usize,
    /// Name relative to the parent prefix (the key's tail), or the version id.
    pub name: &'a str,
}

impl<'a> Row<'a> {
    pub fn key(&self) -> RowKey {
        match self.item {
            RowItem::Prefix(p) => RowKey::Prefix(p.to_string()),
            RowItem::Object(o) => RowKey::Object(o.key.clone()),
            RowItem::Version(o) => RowKey::Version {
                key: o.key.clone(),
                version_id: o.version_id.clone().unwrap_or_default(),
            },
            RowItem::More => RowKey::More(self.parent.to_owned_id()),
            RowItem::Loading => RowKey::Loading(self.parent.to_owned_id()),
            RowItem::Error(_) => RowKey::Error(self.parent.to_owned_id()),
            RowItem::Empty => RowKey::Empty(self.parent.to_owned_id()),
        }
    }

    /// Same as `self.key() == *key` without allocating.
    pub fn is(&self, key: &RowKey) -> bool {
        match (self.item, key) {
            (RowItem::Prefix(p), RowKey::Prefix(k)) => p == k,
            (RowItem::Object(o), RowKey::Object(k)) => &o.key == k,
            (RowItem::Version(o), RowKey::Version { key, version_id }) => {
                &o.key == key && o.version_id.as_deref().unwrap_or_default() == version_id
            }
            (RowItem::More, RowKey::More(id))
            | (RowItem::Loading, RowKey::Loading(id))
            | (RowItem::Error(_), RowKey::Error(id))
            | (RowItem::Empty, RowKey::Empty(id)) => self.parent.is(id),
            _ => false,
        }
    }

    /// The prefix a new object would land in if this row were the target:
    /// the prefix itself, or the folder containing the row.
    pub fn folder(&self) -> &'a str {
        match (self.item, self.parent) {
            (RowItem::Prefix(p), _) => p,
            (_, ParentRef::Dir(d)) => d,
            (_, ParentRef::Versions(k)) => crate::location::parent_prefix(k),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub bucket: String,
    /// The prefix the tree is rooted at (empty or ending in `/`).
    pub root: String,
    pub dirs: HashMap<String, Listing>,
    pub versions: HashMap<String, Listing>,
    pub expanded_dirs: HashSet<String>,
    pub expanded_versions: HashSet<String>,
    pub cursor: Option<RowKey>,
    /// Where the cursor was last seen, used when its row disappears (filter, refresh).
    pub cursor_hint: usize,
    /// First visible row.
    pub offset: usize,
    pub status: Option<Result<BucketStatus, String>>,
    pub status_loading: Option<RequestId>,
}

impl Tree {
    pub fn new(bucket: impl Into<String>, root: impl Into<String>) -> Tree {
        Tree {
            bucket: bucket.into(),
            root: root.into(),
            dirs: HashMap::new(),
            versions: HashMap::new(),
            expanded_dirs: HashSet::new(),
            expanded_versions: HashSet::new(),
            cursor: None,
            cursor_hint: 0,
            offset: 0,
            status: None,
            status_loading: None,
        }
    }

    pub fn listing(&self, id: &ListingId) -> Option<&Listing> {
        match id {
            ListingId::Dir(p) => self.dirs.get(p),
            ListingId::Versions(k) => self.versions.get(k),
        }
    }

    fn listing_mut(&mut self, id: &ListingId) -> &mut Listing {
        match id {
            ListingId::Dir(p) => self.dirs.entry(p.clone()).or_default(),
            ListingId::Versions(k) => self.versions.entry(k.clone()).or_default(),
        }
    }

    /// Marks a listing as loading with `request` and says what to ask S3 for.
    /// `more` continues from the stored token; otherwise the listing restarts.
    pub fn begin_load(
        &mut self,
        id: &ListingId,
        request: RequestId,
        more: bool,
    ) -> (ListRequest, Option<PageToken>) {
        let bucket = self.bucket.clone();
        let listing = self.listing_mut(id);
        let token = if more { listing.next.clone() } else { None };
        if !more {
            listing.items.clear();
            listing.next = None;
        }
        listing.loading = Some(request);
        listing.error = None;
        let req = match id {
            ListingId::Dir(p) => ListRequest {
                max_keys: Some(PAGE_SIZE),
                ..ListRequest::folder(&bucket, p)
            },
            // The key itself as prefix: its versions come first in key order, then
            // longer keys that only share the prefix (dropped in `apply_page`).
            ListingId::Versions(k) => ListRequest {
                max_keys: Some(PAGE_SIZE),
                versions: true,
                ..ListRequest::objects(&bucket, k)
            },
        };
        (req, token)
    }

    /// Stores a page if `request` is still what the listing waits for.
    pub fn apply_page(
        &mut self,
        id: &ListingId,
        request: RequestId,
        result: Result<ListPage, String>,
    ) -> bool {
        let listing = match id {
            ListingId::Dir(p) => self.dirs.get_mut(p),
            ListingId::Versions(k) => self.versions.get_mut(k),
        };
        let Some(listing) = listing else { return false };
        if listing.loading != Some(request) {
            return false;
        }
        listing.loading = None;
        let first_new = listing.items.len();
        match result {
            Err(e) => listing.error = Some(e),
            Ok(page) => match id {
                ListingId::Dir(_) => {
                    listing.items.extend(page.items);
                    listing.next = page.next;
                }
                ListingId::Versions(key) => {
                    let total = page.items.len();
                    let mine: Vec<ListItem> = page
                        .items
                        .into_iter()
                        .filter(|i| matches!(i, ListItem::Object(o) if &o.key == key))
                        .collect();
                    // Once another key shows up, every version of ours has been seen.
                    let more = total > 0 && mine.len() == total;
                    listing.items.extend(mine);
                    listing.next = if more { page.next } else { None };
                }
            },
        }
        // After "load more" the cursor continues with the first new row
        // instead of jumping to the load-more row at the new end.
        let waiting_here =
            matches!(&self.cursor, Some(RowKey::More(c) | RowKey::Loading(c)) if c == id);
        if waiting_here {
            let first = self
                .listing(id)
                .and_then(|l| l.items.get(first_new))
                .map(|item| match (item, id) {
                    (ListItem::Prefix(p), _) => RowKey::Prefix(p.clone()),
                    (ListItem::Object(o), ListingId::Versions(_)) => RowKey::Version {
                        key: o.key.clone(),
                        version_id: o.version_id.clone().unwrap_or_default(),
                    },
                    (ListItem::Object(o), ListingId::Dir(_)) => RowKey::Object(o.key.clone()),
                });
            if let Some(k) = first {
                self.cursor = Some(k);
            }
        }
        true
    }

    pub fn root_ref(&self) -> ParentRef<'_> {
        ParentRef::Dir(&self.root)
    }

    /// The visible children of one listing, filter applied, with the trailing
    /// state row (loading / error / load more / empty).
    pub fn children<'a>(
        &'a self,
        parent: ParentRef<'a>,
        depth: usize,
        filter: &str,
    ) -> Vec<Row<'a>> {
        let listing = match parent {
            ParentRef::Dir(p) => self.dirs.get(p),
            ParentRef::Versions(k) => self.versions.get(k),
        };
        let mut out = Vec::new();
        let Some(listing) = listing else {
            out.push(Row {
                item: RowItem::Loading,
                parent,
                depth,
                name: "",
            });
            return out;
        };
        let needle = filter.to_lowercase();
        for item in &listing.items {
            let row = match (item, parent) {
                (ListItem::Prefix(p), ParentRef::Dir(d)) => Row {
                    item: RowItem::Prefix(p),
                    parent,
                    depth,
                    name: p.strip_prefix(d).unwrap_or(p),
                },
                (ListItem::Object(o), ParentRef::Dir(d)) => Row {
                    item: RowItem::Object(o),
                    parent,
                    depth,
                    name: o.key.strip_prefix(d).unwrap_or(&o.key),
                },
                (ListItem::Object(o), ParentRef::Versions(_)) => Row {
                    item: RowItem::Version(o),
                    parent,
                    depth,
                    name: o.version_id.as_deref().unwrap_or("null"),
                },
                (ListItem::Prefix(_), ParentRef::Versions(_)) => continue,
            };
            let keep = needle.is_empty()
                || matches!(row.item, RowItem::Version(_))
                || self.expanded_child(&row).is_some()
                || row.name.to_lowercase().contains(&needle);
            if keep {
                out.push(row);
            }
        }
        let state = if let Some(e) = &listing.error {
            Some(RowItem::Error(e))
        } else if listing.loading.is_some() {
            Some(RowItem::Loading)
        } else if listing.next.is_some() {
            Some(RowItem::More)
        } else if listing.items.is_empty() {
            Some(RowItem::Empty)
        } else {
            None
        };
        if let Some(item) = state {
            out.push(Row {
                item,
                parent,
                depth,
                name: "",
            });
        }
        out
    }

    /// The listing shown under `row` when it is expanded.
    pub fn expanded_child<'a>(&self, row: &Row<'a>) -> Option<ParentRef<'a>> {
        match row.item {
            RowItem::Prefix(p) if self.expanded_dirs.contains(p) => Some(ParentRef::Dir(p)),
            RowItem::Object(o) if self.expanded_versions.contains(&o.key) => {
                Some(ParentRef::Versions(&o.key))
            }
            _ => None,
        }
    }

    /// Every visible row, depth first, as drawn.
    pub fn rows<'a>(&'a self, filter: &str) -> Vec<Row<'a>> {
        let mut out = Vec::new();
        self.collect(self.root_ref(), 0, filter, &mut out);
        out
    }

    fn collect<'a>(
        &'a self,
        parent: ParentRef<'a>,
        depth: usize,
        filter: &str,
        out: &mut Vec<Row<'a>>,
    ) {
        for row in self.children(parent, depth, filter) {
            out.push(row);
            if let Some(child) = self.expanded_child(&row) {
                self.collect(child, depth + 1, filter, out);
            }
        }
    }

    pub fn cursor_index(&self, rows: &[Row<'_>]) -> usize {
        if let Some(c) = &self.cursor {
            if let Some(i) = rows.iter().position(|r| r.is(c)) {
                return i;
            }
        }
        self.cursor_hint.min(rows.len().saturating_sub(1))
    }

    pub fn set_cursor(&mut self, rows: &[Row<'_>], index: usize, height: usize) {
        let Some(row) = rows.get(index) else {
            self.cursor = None;
            self.cursor_hint = 0;
            self.offset = 0;
            return;
        };
        self.cursor = Some(row.key());
        self.cursor_hint = index;
        self.offset = scroll_to(self.offset, index, height, rows.len());
    }

    /// Is anything of this tree still loading (for the spinner)?
    pub fn busy(&self) -> bool {
        self.status_loading.is_some()
            || self.dirs.values().any(|l| l.loading.is_some())
            || self.versions.values().any(|l| l.loading.is_some())
    }
}

/// New first-visible row so that `index` is inside a window of `height` rows.
pub fn scroll_to(offset: usize, index: usize, height: usize, len: usize) -> usize {
    let height = height.max(1);
    let mut offset = offset;
    if index < offset {
        offset = index;
    } else if index >= offset + height {
        offset = index + 1 - height;
    }
    // Never leave blank rows at the bottom when there are rows above to show.
    offset.min(len.saturating_sub(height))
}
