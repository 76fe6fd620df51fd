//! Compare mode: the left pane's open folder against the right pane's,
//! compared in the background exactly as `s3ferry diff` compares (a streaming
//! merge of both listings). Rows get a marker, pane titles a summary, and
//! what is only in the source or different can be marked for a copy. The
//! merge itself is `crate::compare`; `keys.rs` starts and ends compare mode,
//! `results.rs` takes the comparison in.

pub(crate) mod keys;
pub(crate) mod results;

use std::collections::{BTreeMap, HashMap};

use crate::compare::{DiffCounts, DiffEntry, Status};
use crate::location::Location;
use crate::tui::app::browse::marks::MarkKind;
use crate::tui::app::browse::tree::RowItem;
use crate::tui::app::msg::{PaneSide, RequestId, SizeCount};

/// What a row's marker says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Only on this side (for a folder: everything under it).
    OnlyHere,
    /// Different (for a folder: something under it differs or is missing).
    Different,
    /// The same on both sides (for a folder: everything under it).
    Same,
    /// Same size, not comparable otherwise (for a folder: nothing under it is
    /// known to differ, some of it is not known to be the same).
    Unknown,
}

impl Marker {
    pub fn symbol(self) -> &'static str {
        match self {
            Marker::OnlyHere => "+",
            Marker::Different => "≠",
            Marker::Same => "=",
            Marker::Unknown => "?",
        }
    }
}

/// Counts of the keys under one folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FolderCounts {
    pub counts: DiffCounts,
    /// Source bytes of the keys a copy would write (only in the source, or different).
    pub copy_bytes: u64,
}

impl FolderCounts {
    fn add(&mut self, e: &DiffEntry) {
        self.counts.add(e.status);
        if matches!(e.status, Status::OnlySrc | Status::Different) {
            self.copy_bytes += e.src_size.unwrap_or(0);
        }
    }

    /// Keys only on `side`, and only on the other side.
    fn here_there(&self, side: PaneSide) -> (u64, u64) {
        match side {
            PaneSide::Left => (self.counts.only_src, self.counts.only_dst),
            PaneSide::Right => (self.counts.only_dst, self.counts.only_src),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompareMode {
    pub request: RequestId,
    /// The left pane's open folder (dir-like).
    pub left: Location,
    /// The right pane's open folder (dir-like).
    pub right: Location,
    /// Relative key -> status and source size, for keys that are not the same:
    /// same keys are only counted, so memory follows the differences.
    diffs: BTreeMap<String, (Status, u64)>,
    /// Relative folder (`a/`, `a/b/`) -> counts of the keys under it.
    folders: HashMap<String, FolderCounts>,
    pub totals: FolderCounts,
    /// The last relative key compared. Keys arrive in order, so every key up
    /// to it is known: one not among the differences is the same.
    scanned: Option<String>,
    pub done: bool,
    pub error: Option<String>,
}

/// The folders containing a relative key, shallowest first (`a/b/c` -> `a/`, `a/b/`).
fn folders_of(rel: &str) -> impl Iterator<Item = &str> {
    rel.char_indices()
        .filter(|(_, c)| *c == '/')
        .map(move |(i, _)| &rel[..=i])
}

impl CompareMode {
    pub fn new(request: RequestId, left: Location, right: Location) -> CompareMode {
        CompareMode {
            request,
            left,
            right,
            diffs: BTreeMap::new(),
            folders: HashMap::new(),
            totals: FolderCounts::default(),
            scanned: None,
            done: false,
            error: None,
        }
    }

    pub fn running(&self) -> bool {
        !self.done && self.error.is_none()
    }

    /// Entries of the merge, in key order.
    pub fn add(&mut self, entries: Vec<DiffEntry>) {
        for e in entries {
            self.totals.add(&e);
            for f in folders_of(&e.key) {
                match self.folders.get_mut(f) {
                    Some(c) => c.add(&e),
                    None => {
                        let mut c = FolderCounts::default();
                        c.add(&e);
                        self.folders.insert(f.to_string(), c);
                    }
                }
            }
            if e.status != Status::Same {
                self.diffs
                    .insert(e.key.clone(), (e.status, e.src_size.unwrap_or(0)));
            }
            self.scanned = Some(e.key);
        }
    }

    fn root(&self, side: PaneSide) -> &Location {
        match side {
            PaneSide::Left => &self.left,
            PaneSide::Right => &self.right,
        }
    }

    fn passed_key(&self, rel: &str) -> bool {
        self.done || self.scanned.as_deref().is_some_and(|s| rel <= s)
    }

    fn passed_folder(&self, rel: &str) -> bool {
        self.done
            || self
                .scanned
                .as_deref()
                .is_some_and(|s| s > rel && !s.starts_with(rel))
    }

    /// The marker of a row of `side`'s pane showing `bucket`; `None` for rows
    /// outside the compared folder or not compared yet.
    pub fn marker(&self, side: PaneSide, bucket: &str, item: &RowItem) -> Option<Marker> {
        let root = self.root(side);
        if bucket != root.bucket {
            return None;
        }
        match item {
            RowItem::Object(o) => {
                let rel = o.key.strip_prefix(root.prefix.as_str())?;
                match (self.diffs.get(rel).map(|d| d.0), side) {
                    (Some(Status::Different), _) => Some(Marker::Different),
                    (Some(Status::Unknown), _) => Some(Marker::Unknown),
                    (Some(Status::OnlySrc), PaneSide::Left)
                    | (Some(Status::OnlyDst), PaneSide::Right) => Some(Marker::OnlyHere),
                    // Listed here but compared as only on the other side: changed since.
                    (Some(_), _) => None,
                    (None, _) => self.passed_key(rel).then_some(Marker::Same),
                }
            }
            RowItem::Prefix(p) => {
                let rel = p.strip_prefix(root.prefix.as_str())?;
                let c = if rel.is_empty() {
                    &self.totals
                } else {
                    self.folders.get(rel)?
                };
                let (here, there) = c.here_there(side);
                let differs = c.counts.different > 0
                    || there > 0
                    || (here > 0 && c.counts.same + c.counts.unknown > 0);
                let complete =
                    rel.is_empty() && self.done || !rel.is_empty() && self.passed_folder(rel);
                if !complete {
                    return differs.then_some(Marker::Different);
                }
                let total = c.counts.total();
                if total == 0 {
                    None
                } else if here == total {
                    Some(Marker::OnlyHere)
                } else if c.counts.same == total {
                    Some(Marker::Same)
                } else if c.counts.same + c.counts.unknown == total {
                    Some(Marker::Unknown)
                } else {
                    Some(Marker::Different)
                }
            }
            _ => None,
        }
    }

    /// `+3 ≠2 =40` for `side`'s title: only here, different, same; and
    /// `?1` before the same when some same-size keys are not comparable.
    pub fn summary(&self, side: PaneSide) -> String {
        let (here, _) = self.totals.here_there(side);
        let unknown = match self.totals.counts.unknown {
            0 => String::new(),
            n => format!(" ?{}", crate::fmt::count(n)),
        };
        format!(
            "+{} ≠{}{unknown} ={}",
            crate::fmt::count(here),
            crate::fmt::count(self.totals.counts.different),
            crate::fmt::count(self.totals.counts.same)
        )
    }

    /// Marks (full source key, kind, size) covering exactly the keys that are
    /// only in the source or different (not the ones that cannot be compared):
    /// a folder where every key is one of them is marked whole (one mark
    /// instead of thousands), other keys one by one.
    pub fn differences(&self) -> Vec<(String, MarkKind, SizeCount)> {
        let mut out = Vec::new();
        let mut covered: Option<&str> = None;
        for (rel, (status, size)) in &self.diffs {
            if !matches!(status, Status::OnlySrc | Status::Different) {
                continue;
            }
            // The compared folder's own folder-marker object would be copied
            // under its own name into the destination folder: leave it.
            if rel.is_empty() || covered.is_some_and(|c| rel.starts_with(c)) {
                continue;
            }
            let whole = folders_of(rel).find_map(|f| {
                self.folders
                    .get(f)
                    .filter(|c| c.counts.same == 0 && c.counts.unknown == 0)
                    .map(|c| (f, c))
            });
            match whole {
                Some((f, c)) => {
                    out.push((
                        format!("{}{f}", self.left.prefix),
                        MarkKind::Prefix,
                        SizeCount {
                            objects: c.counts.only_src + c.counts.different,
                            bytes: c.copy_bytes,
                            done: true,
                        },
                    ));
                    covered = Some(f);
                }
                None => out.push((
                    format!("{}{rel}", self.left.prefix),
                    MarkKind::Object,
                    SizeCount {
                        objects: 1,
                        bytes: *size,
                        done: true,
                    },
                )),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::model::ObjectEntry;

    fn e(key: &str, status: Status, size: u64) -> DiffEntry {
        DiffEntry {
            key: key.into(),
            status,
            src_size: (status != Status::OnlyDst).then_some(size),
            detail: None,
            basis: None,
        }
    }

    fn sample() -> CompareMode {
        let mut c = CompareMode::new(1, Location::new("a", "p/"), Location::new("b", "q/"));
        c.add(vec![
            e("new/x", Status::OnlySrc, 5),
            e("new/y/z", Status::OnlySrc, 6),
            e("old.txt", Status::OnlyDst, 0),
            e("same.txt", Status::Same, 1),
            e("sub/changed", Status::Different, 7),
            e("sub/same", Status::Same, 1),
        ]);
        c
    }

    #[test]
    fn markers_follow_the_merge() {
        let mut c = CompareMode::new(1, Location::new("a", "p/"), Location::new("b", "q/"));
        c.add(vec![e("m", Status::Same, 1)]);
        let obj = |k: &str| ObjectEntry::new(k, 1);
        let (same, later) = (obj("p/m"), obj("p/n"));
        assert_eq!(
            c.marker(PaneSide::Left, "a", &RowItem::Object(&same)),
            Some(Marker::Same)
        );
        assert_eq!(
            c.marker(PaneSide::Left, "a", &RowItem::Object(&later)),
            None,
            "not compared yet"
        );
        assert_eq!(c.marker(PaneSide::Left, "b", &RowItem::Object(&same)), None);

        let c = sample();
        // Still running: what was merged is known, a folder being merged only when it certainly differs.
        let left = |k: &str| c.marker(PaneSide::Left, "a", &RowItem::Object(&obj(k)));
        assert_eq!(left("p/new/x"), Some(Marker::OnlyHere));
        assert_eq!(left("p/zzz"), None);
        assert_eq!(
            c.marker(PaneSide::Left, "a", &RowItem::Prefix("p/sub/")),
            Some(Marker::Different)
        );
        assert_eq!(
            c.marker(PaneSide::Left, "a", &RowItem::Prefix("p/")),
            Some(Marker::Different),
            "the compared folder itself"
        );
        let mut c = c.clone();
        c.done = true;
        let left = |k: &str| c.marker(PaneSide::Left, "a", &RowItem::Object(&obj(k)));
        assert_eq!(left("p/new/x"), Some(Marker::OnlyHere));
        assert_eq!(left("p/sub/changed"), Some(Marker::Different));
        assert_eq!(left("p/same.txt"), Some(Marker::Same));
        let right = c.marker(PaneSide::Right, "b", &RowItem::Object(&obj("q/old.txt")));
        assert_eq!(right, Some(Marker::OnlyHere));
        let folder = |side, b, p| c.marker(side, b, &RowItem::Prefix(p));
        assert_eq!(
            folder(PaneSide::Left, "a", "p/new/"),
            Some(Marker::OnlyHere)
        );
        assert_eq!(
            folder(PaneSide::Left, "a", "p/sub/"),
            Some(Marker::Different)
        );
        assert_eq!(
            folder(PaneSide::Right, "b", "q/sub/"),
            Some(Marker::Different)
        );
        assert_eq!(folder(PaneSide::Left, "a", "elsewhere/"), None);
    }

    #[test]
    fn differences_mark_whole_folders_where_nothing_is_the_same() {
        let mut c = sample();
        c.done = true;
        let marks = c.differences();
        assert_eq!(
            marks,
            vec![
                (
                    "p/new/".to_string(),
                    MarkKind::Prefix,
                    SizeCount {
                        objects: 2,
                        bytes: 11,
                        done: true
                    }
                ),
                (
                    "p/sub/changed".to_string(),
                    MarkKind::Object,
                    SizeCount {
                        objects: 1,
                        bytes: 7,
                        done: true
                    }
                ),
            ]
        );
        assert_eq!(c.summary(PaneSide::Left), "+2 ≠1 =2");
        assert_eq!(c.summary(PaneSide::Right), "+1 ≠1 =2");
    }

    #[test]
    fn not_comparable_keys_are_marked_unknown_and_not_copied() {
        let mut c = CompareMode::new(1, Location::new("a", "p/"), Location::new("b", "q/"));
        c.add(vec![
            e("mixed/changed", Status::Different, 3),
            e("mixed/mp", Status::Unknown, 9),
            e("mp/big", Status::Unknown, 9),
            e("mp/small", Status::Same, 1),
            e("only/mp", Status::Unknown, 9),
        ]);
        c.done = true;
        let obj = |k: &str| ObjectEntry::new(k, 9);
        let marker = |side, b, item: RowItem| c.marker(side, b, &item);
        assert_eq!(
            marker(PaneSide::Left, "a", RowItem::Object(&obj("p/mp/big"))),
            Some(Marker::Unknown)
        );
        assert_eq!(
            marker(PaneSide::Right, "b", RowItem::Object(&obj("q/mp/big"))),
            Some(Marker::Unknown)
        );
        assert_eq!(Marker::Unknown.symbol(), "?");
        // Nothing known to differ, something not known to be the same.
        assert_eq!(
            marker(PaneSide::Left, "a", RowItem::Prefix("p/mp/")),
            Some(Marker::Unknown)
        );
        assert_eq!(
            marker(PaneSide::Left, "a", RowItem::Prefix("p/only/")),
            Some(Marker::Unknown)
        );
        assert_eq!(
            marker(PaneSide::Left, "a", RowItem::Prefix("p/mixed/")),
            Some(Marker::Different)
        );
        assert_eq!(c.summary(PaneSide::Left), "+0 ≠1 ?3 =1");
        // Only what differs is marked for a copy, never a folder holding unknown keys whole.
        let marks: Vec<String> = c.differences().into_iter().map(|m| m.0).collect();
        assert_eq!(marks, vec!["p/mixed/changed".to_string()]);
    }
}
