//! The marked prefixes and objects of a pane, and how they map to job sources.
//!
//! A marked prefix covers everything under it: its children cannot be marked
//! again, and marking it absorbs children that were marked before.

use std::collections::BTreeMap;

use crate::location::{base_name, parent_prefix, Location};
use crate::plan::model::SourceMapping;
use crate::tui::app::msg::{RequestId, SizeCount};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    Prefix,
    Object,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkSize {
    Known(SizeCount),
    /// Counting under a prefix in the background; `SizeCount` is the partial count.
    Counting(RequestId, SizeCount),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub kind: MarkKind,
    pub size: MarkSize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkOutcome {
    Marked {
        /// Marks under the new prefix that it replaced.
        absorbed: Vec<(String, Mark)>,
    },
    Unmarked(Mark),
    /// Already covered by this marked prefix.
    Refused(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    /// Key or prefix -> mark. A prefix and a same-named "folder" object can
    /// never both be in here: the prefix covers the object.
    items: BTreeMap<String, Mark>,
}

/// Sum of the marks' sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MarkTotals {
    pub marks: usize,
    pub objects: u64,
    pub bytes: u64,
    /// Some prefix is still being counted (totals are a lower bound).
    pub counting: bool,
    pub failed: bool,
}

impl Marks {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Mark)> {
        self.items.iter()
    }

    pub fn get(&self, key: &str) -> Option<&Mark> {
        self.items.get(key)
    }

    /// Is `key` marked itself (with this kind)?
    pub fn is_marked(&self, key: &str, kind: MarkKind) -> bool {
        self.items.get(key).is_some_and(|m| m.kind == kind)
    }

    /// The marked prefix that covers `key` (other than `key` itself as a prefix).
    pub fn covering(&self, key: &str, kind: MarkKind) -> Option<&str> {
        // Marked prefixes come from `/`-delimited listings, so they end at a `/`.
        let ends = key
            .char_indices()
            .filter(|(_, c)| *c == '/')
            .map(|(i, _)| i + 1);
        for end in ends {
            let ancestor = &key[..end];
            if end == key.len() && kind == MarkKind::Prefix {
                continue;
            }
            if let Some((k, m)) = self.items.get_key_value(ancestor) {
                if m.kind == MarkKind::Prefix {
                    return Some(k);
                }
            }
        }
        None
    }

    /// Space on a row: unmark it, refuse it, or mark it (absorbing children).
    pub fn toggle(&mut self, key: &str, kind: MarkKind, size: MarkSize) -> MarkOutcome {
        if self.is_marked(key, kind) {
            if let Some(m) = self.items.remove(key) {
                return MarkOutcome::Unmarked(m);
            }
        }
        if let Some(p) = self.covering(key, kind) {
            return MarkOutcome::Refused(p.to_string());
        }
        let mut absorbed = Vec::new();
        if kind == MarkKind::Prefix {
            let under: Vec<String> = self
                .items
                .range(key.to_string()..)
                .take_while(|(k, _)| k.starts_with(key))
                .map(|(k, _)| k.clone())
                .collect();
            for k in under {
                if let Some(m) = self.items.remove(&k) {
                    absorbed.push((k, m));
                }
            }
        }
        self.items.insert(key.to_string(), Mark { kind, size });
        MarkOutcome::Marked { absorbed }
    }

    /// Drops every mark; returns them so running counts can be cancelled.
    pub fn clear(&mut self) -> Vec<Mark> {
        std::mem::take(&mut self.items).into_values().collect()
    }

    /// Updates a prefix's background count; false when no mark waits for it.
    pub fn set_size(&mut self, request: RequestId, result: Result<SizeCount, String>) -> bool {
        let Some(mark) = self
            .items
            .values_mut()
            .find(|m| matches!(m.size, MarkSize::Counting(r, _) if r == request))
        else {
            return false;
        };
        mark.size = match result {
            Ok(c) if c.done => MarkSize::Known(c),
            Ok(c) => MarkSize::Counting(request, c),
            Err(e) => MarkSize::Failed(e),
        };
        true
    }

    pub fn totals(&self) -> MarkTotals {
        let mut t = MarkTotals {
            marks: self.items.len(),
            ..Default::default()
        };
        for m in self.items.values() {
            match &m.size {
                MarkSize::Known(c) => {
                    t.objects += c.objects;
                    t.bytes += c.bytes;
                }
                MarkSize::Counting(_, c) => {
                    t.objects += c.objects;
                    t.bytes += c.bytes;
                    t.counting = true;
                }
                MarkSize::Failed(_) => t.failed = true,
            }
        }
        t
    }

    /// Requests still counting, to cancel them.
    pub fn counting_requests(&self) -> Vec<RequestId> {
        self.items
            .values()
            .filter_map(|m| match m.size {
                MarkSize::Counting(r, _) => Some(r),
                _ => None,
            })
            .collect()
    }

    /// The marks as sources (key, kind), in key order.
    pub fn sources(&self) -> Vec<(String, MarkKind)> {
        self.items
            .iter()
            .map(|(k, m)| (k.clone(), m.kind))
            .collect()
    }
}

/// Where marked sources land: like a file manager copying into a folder, each
/// keeps its own name under `dst_prefix` (`photos/` -> `2024/photos/`). An
/// object maps onto the dir-like destination itself, where the engine keeps
/// its base name.
pub fn to_mappings(
    sources: &[(String, MarkKind)],
    src_bucket: &str,
    dst_bucket: &str,
    dst_prefix: &str,
) -> Vec<SourceMapping> {
    sources
        .iter()
        .map(|(key, kind)| match kind {
            MarkKind::Prefix => SourceMapping {
                source: Location::new(src_bucket, key.as_str()),
                destination: Location::new(dst_bucket, format!("{dst_prefix}{}", base_name(key))),
                single_object: false,
            },
            MarkKind::Object => SourceMapping {
                source: Location::new(src_bucket, key.as_str()),
                destination: Location::new(dst_bucket, dst_prefix),
                single_object: true,
            },
        })
        .collect()
}

/// Compare mode's mapping: each source keeps its path below `src_root`, so
/// `root/a/b.txt` lands at `dst_prefix/a/b.txt` and `root/a/` at `dst_prefix/a/`
/// (the two folders are mirrored). Sources outside `src_root` keep their name.
pub fn mirror_mappings(
    sources: &[(String, MarkKind)],
    src_bucket: &str,
    src_root: &str,
    dst_bucket: &str,
    dst_prefix: &str,
) -> Vec<SourceMapping> {
    sources
        .iter()
        .map(|(key, kind)| {
            let rel = key.strip_prefix(src_root).unwrap_or(base_name(key));
            match kind {
                MarkKind::Prefix => SourceMapping {
                    source: Location::new(src_bucket, key.as_str()),
                    destination: Location::new(dst_bucket, format!("{dst_prefix}{rel}")),
                    single_object: false,
                },
                // The engine keeps an object's base name under a dir-like destination.
                MarkKind::Object => SourceMapping {
                    source: Location::new(src_bucket, key.as_str()),
                    destination: Location::new(
                        dst_bucket,
                        format!("{dst_prefix}{}", parent_prefix(rel)),
                    ),
                    single_object: true,
                },
            }
        })
        .collect()
}

/// A destination prefix as typed, made dir-like: `2024` means the folder `2024/`.
pub fn normalize_dir(prefix: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> MarkSize {
        MarkSize::Known(SizeCount {
            objects: 1,
            bytes: 10,
            done: true,
        })
    }

    #[test]
    fn covering_checks_every_ancestor() {
        let mut m = Marks::default();
        m.toggle("a/", MarkKind::Prefix, known());
        assert_eq!(m.covering("a/b/c.txt", MarkKind::Object), Some("a/"));
        assert_eq!(
            m.covering("a/", MarkKind::Object),
            Some("a/"),
            "folder marker object is covered"
        );
        assert_eq!(
            m.covering("a/", MarkKind::Prefix),
            None,
            "a prefix does not cover itself"
        );
        assert_eq!(m.covering("ab/x", MarkKind::Object), None);
    }

    #[test]
    fn mappings_keep_names() {
        let sources = vec![
            ("x/photos/".to_string(), MarkKind::Prefix),
            ("x/readme.txt".to_string(), MarkKind::Object),
        ];
        let m = to_mappings(&sources, "src", "dst", "2024/");
        assert_eq!(m[0].destination, Location::new("dst", "2024/photos/"));
        assert!(!m[0].single_object);
        assert_eq!(m[1].source, Location::new("src", "x/readme.txt"));
        assert_eq!(m[1].destination, Location::new("dst", "2024/"));
        assert!(m[1].single_object);
        let root = to_mappings(&sources[..1], "src", "dst", "");
        assert_eq!(root[0].destination, Location::new("dst", "photos/"));
    }

    #[test]
    fn mirror_keeps_paths_below_the_root() {
        let sources = vec![
            ("p/new/".to_string(), MarkKind::Prefix),
            ("p/sub/deep/x.txt".to_string(), MarkKind::Object),
            ("p/top.txt".to_string(), MarkKind::Object),
        ];
        let m = mirror_mappings(&sources, "src", "p/", "dst", "q/");
        assert_eq!(m[0].destination, Location::new("dst", "q/new/"));
        assert!(!m[0].single_object);
        assert_eq!(m[1].destination, Location::new("dst", "q/sub/deep/"));
        assert!(m[1].single_object);
        assert_eq!(m[2].destination, Location::new("dst", "q/"));
    }

    #[test]
    fn normalizes_destination() {
        assert_eq!(normalize_dir(""), "");
        assert_eq!(normalize_dir("2024"), "2024/");
        assert_eq!(normalize_dir("2024/"), "2024/");
    }
}
