//! A bucket as a lazily loaded tree: each prefix is listed one page at a time
//! when expanded, so a prefix with millions of keys opens at once and is never
//! loaded whole.

use std::cell::{Ref, RefCell};
use std::collections::{HashMap, HashSet};

use crate::s3::list::ListRequest;
use crate::s3::model::{BucketStatus, ListItem, ListPage, ObjectEntry, PageToken};
use crate::tui::app::msg::RequestId;

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
    dirs: HashMap<String, Listing>,
    versions: HashMap<String, Listing>,
    expanded_dirs: HashSet<String>,
    expanded_versions: HashSet<String>,
    pub cursor: Option<RowKey>,
    /// Where the cursor was last seen, used when its row disappears (filter, refresh).
    pub cursor_hint: usize,
    /// First visible row.
    pub offset: usize,
    pub status: Option<Result<BucketStatus, String>>,
    pub status_loading: Option<RequestId>,
    /// Bumped by every change to listings or expansion; the flattened rows
    /// are rebuilt when it moves.
    generation: u64,
    flat: RefCell<Flat>,
}

/// Sentinel item index of a listing's trailing state row.
const STATE_ROW: u32 = u32::MAX;

/// One visible row as a position in its listing, so that a tree with hundreds
/// of thousands of loaded keys is flattened once per change, not once per
/// frame or key press.
#[derive(Debug, Clone, Copy)]
struct FlatRow {
    listing: u32,
    item: u32,
    depth: u32,
}

/// The visible rows in drawing order for one generation and filter.
#[derive(Clone, Default)]
struct Flat {
    stamp: Option<(u64, String)>,
    listings: Vec<ListingId>,
    rows: Vec<FlatRow>,
    /// Listings that are visible but not loaded yet.
    unlisted: Vec<ListingId>,
    /// Where the cursor was last found.
    found: Option<(RowKey, usize)>,
}

impl std::fmt::Debug for Flat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Flat({} rows)", self.rows.len())
    }
}

/// A cache is not part of a tree's value.
impl PartialEq for Flat {
    fn eq(&self, _: &Flat) -> bool {
        true
    }
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
            generation: 0,
            flat: RefCell::new(Flat::default()),
        }
    }

    fn changed(&mut self) {
        self.generation += 1;
    }

    pub fn listing(&self, id: &ListingId) -> Option<&Listing> {
        match id {
            ListingId::Dir(p) => self.dirs.get(p),
            ListingId::Versions(k) => self.versions.get(k),
        }
    }

    /// Every loaded listing (folders and version lists).
    pub fn listings(&self) -> impl Iterator<Item = &Listing> {
        self.dirs.values().chain(self.versions.values())
    }

    pub fn expanded_dirs(&self) -> impl Iterator<Item = &str> {
        self.expanded_dirs.iter().map(String::as_str)
    }

    pub fn expand_dir(&mut self, prefix: &str) {
        if self.expanded_dirs.insert(prefix.to_string()) {
            self.changed();
        }
    }

    /// Opens a closed folder or closes an open one.
    pub fn toggle_dir(&mut self, prefix: &str) {
        if !self.expanded_dirs.remove(prefix) {
            self.expanded_dirs.insert(prefix.to_string());
        }
        self.changed();
    }

    /// Shows or hides an object's versions; shown versions are always listed
    /// afresh, since versions change more often than folders.
    pub fn toggle_versions(&mut self, key: &str) {
        if !self.expanded_versions.remove(key) {
            self.versions.remove(key);
            self.expanded_versions.insert(key.to_string());
        }
        self.changed();
    }

    /// Closes the folder or version list a row opens.
    pub fn collapse(&mut self, row: &RowKey) {
        let removed = match row {
            RowKey::Prefix(p) => self.expanded_dirs.remove(p),
            RowKey::Object(k) => self.expanded_versions.remove(k),
            _ => false,
        };
        if removed {
            self.changed();
        }
    }

    /// Drops every listing, keeping what is expanded (they reload as they show).
    pub fn clear_listings(&mut self) {
        self.dirs.clear();
        self.versions.clear();
        self.changed();
    }

    fn listing_mut(&mut self, id: &ListingId) -> &mut Listing {
        self.changed();
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
        self.generation += 1;
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

    /// The flattened rows for `filter`, rebuilt if the tree changed since.
    fn flat(&self, filter: &str) -> Ref<'_, Flat> {
        let fresh = matches!(&self.flat.borrow().stamp,
            Some((g, f)) if *g == self.generation && f == filter);
        if !fresh {
            let mut flat = Flat {
                stamp: Some((self.generation, filter.to_string())),
                ..Flat::default()
            };
            self.flatten(self.root_ref(), 0, &filter.to_lowercase(), &mut flat);
            *self.flat.borrow_mut() = flat;
        }
        self.flat.borrow()
    }

    fn flatten(&self, parent: ParentRef<'_>, depth: u32, needle: &str, flat: &mut Flat) {
        let index = flat.listings.len() as u32;
        flat.listings.push(parent.to_owned_id());
        let Some(listing) = self.lookup(parent) else {
            flat.unlisted.push(parent.to_owned_id());
            flat.rows.push(FlatRow {
                listing: index,
                item: STATE_ROW,
                depth,
            });
            return;
        };
        for (i, item) in listing.items.iter().enumerate() {
            let Some(row) = item_row(item, parent, depth as usize) else {
                continue;
            };
            let child = self.expanded_child(&row);
            let keep = needle.is_empty()
                || matches!(row.item, RowItem::Version(_))
                || child.is_some()
                || contains_ignore_case(row.name, needle);
            if !keep {
                continue;
            }
            flat.rows.push(FlatRow {
                listing: index,
                item: i as u32,
                depth,
            });
            if let Some(child) = child {
                self.flatten(child, depth + 1, needle, flat);
            }
        }
        if state_item(listing).is_some() {
            flat.rows.push(FlatRow {
                listing: index,
                item: STATE_ROW,
                depth,
            });
        }
    }

    fn lookup(&self, parent: ParentRef<'_>) -> Option<&Listing> {
        match parent {
            ParentRef::Dir(p) => self.dirs.get(p),
            ParentRef::Versions(k) => self.versions.get(k),
        }
    }

    /// The parent reference of a flattened listing, borrowed from the tree.
    fn parent_of(&self, id: &ListingId) -> ParentRef<'_> {
        match id {
            ListingId::Dir(p) => match self.dirs.get_key_value(p) {
                Some((k, _)) => ParentRef::Dir(k),
                None if *p == self.root => ParentRef::Dir(&self.root),
                // An expanded folder not listed yet: its name lives in the expanded set.
                None => ParentRef::Dir(self.expanded_dirs.get(p).map_or("", |k| k.as_str())),
            },
            ListingId::Versions(k) => match self.versions.get_key_value(k) {
                Some((key, _)) => ParentRef::Versions(key),
                None => {
                    ParentRef::Versions(self.expanded_versions.get(k).map_or("", |k| k.as_str()))
                }
            },
        }
    }

    fn materialize<'a>(&'a self, parent: ParentRef<'a>, fr: FlatRow) -> Option<Row<'a>> {
        let depth = fr.depth as usize;
        let listing = self.lookup(parent);
        if fr.item == STATE_ROW {
            let item = match listing {
                None => RowItem::Loading,
                Some(l) => state_item(l)?,
            };
            return Some(Row {
                item,
                parent,
                depth,
                name: "",
            });
        }
        item_row(listing?.items.get(fr.item as usize)?, parent, depth)
    }

    fn row_at<'a>(&'a self, flat: &Flat, index: usize) -> Option<Row<'a>> {
        let fr = *flat.rows.get(index)?;
        let id = flat.listings.get(fr.listing as usize)?;
        self.materialize(self.parent_of(id), fr)
    }

    /// How many rows are visible.
    pub fn len(&self, filter: &str) -> usize {
        self.flat(filter).rows.len()
    }

    pub fn is_empty(&self, filter: &str) -> bool {
        self.len(filter) == 0
    }

    /// The visible row at `index`.
    pub fn row(&self, filter: &str, index: usize) -> Option<Row<'_>> {
        let flat = self.flat(filter);
        self.row_at(&flat, index)
    }

    /// Rows `range`, preceded by the ancestors of its first row (folders
    /// scrolled away above it); returns the rows and how many are ancestors.
    pub fn window(&self, filter: &str, range: std::ops::Range<usize>) -> (Vec<Row<'_>>, usize) {
        let flat = self.flat(filter);
        let end = range.end.min(flat.rows.len());
        let start = range.start.min(end);
        let mut above = Vec::new();
        if let Some(first) = flat.rows.get(start) {
            let mut depth = first.depth;
            let mut i = start;
            while depth > 0 && i > 0 {
                i -= 1;
                if flat.rows[i].depth < depth {
                    depth = flat.rows[i].depth;
                    above.push(i);
                }
            }
        }
        let ancestors = above.len();
        let rows = above
            .into_iter()
            .rev()
            .chain(start..end)
            .filter_map(|i| self.row_at(&flat, i))
            .collect();
        (rows, ancestors)
    }

    /// Every visible row, depth first, as drawn (costs a lookup per row: for
    /// tests and small trees; drawing uses [`Tree::window`]).
    pub fn rows(&self, filter: &str) -> Vec<Row<'_>> {
        let len = self.len(filter);
        self.window(filter, 0..len).0
    }

    /// Visible listings that have not been loaded.
    pub fn unlisted(&self, filter: &str) -> Vec<ListingId> {
        self.flat(filter).unlisted.clone()
    }

    /// Index of the cursor's row, or of the row nearest to where it was.
    pub fn cursor_index(&self, filter: &str) -> usize {
        self.find_cursor(filter).unwrap_or_else(|| {
            self.cursor_hint
                .min(self.flat(filter).rows.len().saturating_sub(1))
        })
    }

    /// Index of the cursor's row, if it is visible.
    pub fn find_cursor(&self, filter: &str) -> Option<usize> {
        let flat = self.flat(filter);
        let len = flat.rows.len();
        let fallback = self.cursor_hint.min(len.saturating_sub(1));
        let c = self.cursor.as_ref()?;
        let hit = |i: usize| self.row_at(&flat, i).is_some_and(|r| r.is(c));
        if let Some((key, i)) = &flat.found {
            if key == c && hit(*i) {
                return Some(*i);
            }
        }
        if hit(fallback) {
            return Some(fallback);
        }
        // One listing lookup per listing, not per row.
        let mut found = None;
        let mut current: Option<(u32, ParentRef<'_>, Option<&Listing>)> = None;
        for (i, fr) in flat.rows.iter().enumerate() {
            let (parent, listing) = match current {
                Some((l, p, listing)) if l == fr.listing => (p, listing),
                _ => {
                    let Some(id) = flat.listings.get(fr.listing as usize) else {
                        continue;
                    };
                    let p = self.parent_of(id);
                    let listing = self.lookup(p);
                    current = Some((fr.listing, p, listing));
                    (p, listing)
                }
            };
            let row = match listing.and_then(|l| l.items.get(fr.item as usize)) {
                Some(item) if fr.item != STATE_ROW => item_row(item, parent, fr.depth as usize),
                _ => self.materialize(parent, *fr),
            };
            if row.is_some_and(|r| r.is(c)) {
                found = Some(i);
                break;
            }
        }
        drop(flat);
        if let Some(i) = found {
            self.flat.borrow_mut().found = Some((c.clone(), i));
        }
        found
    }

    /// The row under the cursor.
    pub fn cursor_row(&self, filter: &str) -> Option<Row<'_>> {
        self.row(filter, self.cursor_index(filter))
    }

    /// Is anything of this tree still loading (for the spinner)?
    pub fn busy(&self) -> bool {
        self.status_loading.is_some()
            || self.dirs.values().any(|l| l.loading.is_some())
            || self.versions.values().any(|l| l.loading.is_some())
    }
}

/// A listed item as a row of `parent`.
fn item_row<'a>(item: &'a ListItem, parent: ParentRef<'a>, depth: usize) -> Option<Row<'a>> {
    Some(match (item, parent) {
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
        (ListItem::Prefix(_), ParentRef::Versions(_)) => return None,
    })
}

/// The row after a listing's items: loading, error, load more, or empty.
fn state_item(listing: &Listing) -> Option<RowItem<'_>> {
    if let Some(e) = &listing.error {
        Some(RowItem::Error(e))
    } else if listing.loading.is_some() {
        Some(RowItem::Loading)
    } else if listing.next.is_some() {
        Some(RowItem::More)
    } else if listing.items.is_empty() {
        Some(RowItem::Empty)
    } else {
        None
    }
}

/// `needle` must already be lower case.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        return n.is_empty()
            || n.len() <= h.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    haystack.to_lowercase().contains(needle)
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
