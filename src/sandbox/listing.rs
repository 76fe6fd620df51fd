//! Ordered walks over a bucket's key map for the List* operations.
//!
//! Each page is a range query on the `BTreeMap` starting at the resume point,
//! and every common prefix is skipped with a single jump, so a page costs
//! O(page size · log n) no matter how large the bucket is.

use std::collections::BTreeMap;
use std::ops::{Bound, ControlFlow};

use super::store::ObjectVersion;

/// Greater than any other character, so `prefix + MAX_CHAR` bounds every key
/// that starts with `prefix` (apart from keys that continue with `MAX_CHAR`
/// itself, which the walk handles by re-checking the prefix).
const MAX_CHAR: char = char::MAX;

pub(crate) enum Item<'a> {
    Key(&'a str, &'a [ObjectVersion]),
    Prefix(&'a str),
}

impl Item<'_> {
    pub fn name(&self) -> &str {
        match self {
            Item::Key(k, _) | Item::Prefix(k) => k,
        }
    }
}

/// Visits keys under `prefix` in UTF-8 byte order, rolling keys that contain
/// `delimiter` after the prefix into common prefixes. Keys for which `include`
/// is false are invisible (and do not create common prefixes). Items whose
/// name is not strictly greater than `after` are skipped, which is what makes
/// a common prefix returned as the last item of a page not reappear.
pub(crate) fn walk<'a>(
    objects: &'a BTreeMap<String, Vec<ObjectVersion>>,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    include: impl Fn(&[ObjectVersion]) -> bool,
    mut visit: impl FnMut(Item<'a>) -> ControlFlow<()>,
) {
    let delimiter = delimiter.filter(|d| !d.is_empty());
    let mut start: Bound<String> = match after {
        Some(a) if a >= prefix => Bound::Excluded(a.to_owned()),
        _ => Bound::Included(prefix.to_owned()),
    };
    let mut last_prefix: Option<&'a str> = None;
    loop {
        let mut jump: Option<String> = None;
        let range = objects.range::<str, _>((start.as_ref().map(String::as_str), Bound::Unbounded));
        for (key, versions) in range {
            if !key.starts_with(prefix) {
                return;
            }
            if last_prefix.is_some_and(|p| key.starts_with(p)) {
                continue;
            }
            if !include(versions) {
                continue;
            }
            let rolled = delimiter.and_then(|d| {
                key[prefix.len()..]
                    .find(d)
                    .map(|i| &key[..prefix.len() + i + d.len()])
            });
            match rolled {
                Some(common) => {
                    last_prefix = Some(common);
                    if after.is_none_or(|a| common > a) && visit(Item::Prefix(common)).is_break() {
                        return;
                    }
                    let mut next = String::with_capacity(common.len() + MAX_CHAR.len_utf8());
                    next.push_str(common);
                    next.push(MAX_CHAR);
                    jump = Some(next);
                    break;
                }
                None => {
                    if visit(Item::Key(key, versions)).is_break() {
                        return;
                    }
                }
            }
        }
        match jump {
            Some(next) => start = Bound::Excluded(next),
            None => return,
        }
    }
}

/// One page of the current (latest, non-deleted) objects.
pub(crate) struct Page<'a> {
    pub items: Vec<Item<'a>>,
    pub truncated: bool,
}

pub(crate) fn list_current<'a>(
    objects: &'a BTreeMap<String, Vec<ObjectVersion>>,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max: usize,
) -> Page<'a> {
    let mut items = Vec::new();
    let mut truncated = false;
    if max > 0 {
        walk(
            objects,
            prefix,
            delimiter,
            after,
            |vs| vs.last().is_some_and(|v| !v.is_delete_marker()),
            |item| {
                if items.len() == max {
                    truncated = true;
                    return ControlFlow::Break(());
                }
                items.push(item);
                ControlFlow::Continue(())
            },
        );
    }
    Page { items, truncated }
}

pub(crate) enum VersionItem<'a> {
    Version {
        key: &'a str,
        version: &'a ObjectVersion,
        is_latest: bool,
    },
    Prefix(&'a str),
}

pub(crate) struct VersionPage<'a> {
    pub items: Vec<VersionItem<'a>>,
    pub truncated: bool,
}

/// One page of ListObjectVersions: per key newest version first. With a
/// `version_marker`, the listing resumes inside `key_marker` right after that
/// version.
pub(crate) fn list_versions<'a>(
    objects: &'a BTreeMap<String, Vec<ObjectVersion>>,
    prefix: &str,
    delimiter: Option<&str>,
    key_marker: Option<&str>,
    version_marker: Option<&str>,
    max: usize,
) -> VersionPage<'a> {
    let mut items: Vec<VersionItem<'a>> = Vec::new();
    let mut truncated = false;
    if max == 0 {
        return VersionPage { items, truncated };
    }

    let mut push = |item: VersionItem<'a>| {
        if items.len() == max {
            truncated = true;
            return ControlFlow::Break(());
        }
        items.push(item);
        ControlFlow::Continue(())
    };

    // Finish the key the previous page stopped in.
    if let (Some(key), Some(marker)) = (key_marker, version_marker) {
        if let Some((key, versions)) = objects.get_key_value(key) {
            if key.starts_with(prefix) {
                let newest_first = versions.iter().rev().enumerate();
                let mut past_marker = false;
                for (i, version) in newest_first {
                    if past_marker {
                        let item = VersionItem::Version {
                            key,
                            version,
                            is_latest: i == 0,
                        };
                        if push(item).is_break() {
                            return VersionPage { items, truncated };
                        }
                    } else if version.version_id == marker {
                        past_marker = true;
                    }
                }
            }
        }
    }

    walk(
        objects,
        prefix,
        delimiter,
        key_marker,
        |vs| !vs.is_empty(),
        |item| match item {
            Item::Prefix(p) => push(VersionItem::Prefix(p)),
            Item::Key(key, versions) => {
                for (i, version) in versions.iter().rev().enumerate() {
                    push(VersionItem::Version {
                        key,
                        version,
                        is_latest: i == 0,
                    })?;
                }
                ControlFlow::Continue(())
            }
        },
    );
    VersionPage { items, truncated }
}

/// `encoding-type=url` as S3 does it: like form encoding (space becomes `+`)
/// but leaving `/` readable.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::store::ObjectData;

    fn map(keys: &[&str]) -> BTreeMap<String, Vec<ObjectVersion>> {
        keys.iter()
            .map(|k| {
                let v = ObjectVersion {
                    version_id: "null".into(),
                    last_modified: 0,
                    data: Some(ObjectData::default()),
                };
                ((*k).to_owned(), vec![v])
            })
            .collect()
    }

    fn names(page: &Page<'_>) -> Vec<String> {
        page.items.iter().map(|i| i.name().to_owned()).collect()
    }

    #[test]
    fn pages_interleave_prefixes_and_keys() {
        let m = map(&["a", "b/1", "b/2", "c", "d/x/y", "e"]);
        let mut after: Option<String> = None;
        let mut seen = Vec::new();
        loop {
            let page = list_current(&m, "", Some("/"), after.as_deref(), 2);
            seen.extend(names(&page));
            if !page.truncated {
                break;
            }
            after = page.items.last().map(|i| i.name().to_owned());
        }
        assert_eq!(seen, ["a", "b/", "c", "d/", "e"]);
    }

    #[test]
    fn exact_page_boundary_is_not_truncated() {
        let m = map(&["a", "b"]);
        let page = list_current(&m, "", None, None, 2);
        assert_eq!(names(&page), ["a", "b"]);
        assert!(!page.truncated);
    }

    #[test]
    fn prefix_and_multichar_delimiter() {
        let m = map(&["p/a--b", "p/a--c", "p/b", "q"]);
        let page = list_current(&m, "p/", Some("--"), None, 10);
        assert_eq!(names(&page), ["p/a--", "p/b"]);
    }

    #[test]
    fn max_char_keys_stay_in_their_prefix() {
        let odd = format!("a/{}", char::MAX);
        let odd2 = format!("a/{}z", char::MAX);
        let m = map(&["a/1", &odd, &odd2, "b"]);
        let page = list_current(&m, "", Some("/"), None, 10);
        assert_eq!(names(&page), ["a/", "b"]);
    }

    #[test]
    fn large_bucket_pages_jump_over_prefixes() {
        let keys: Vec<String> = (0..200_000)
            .map(|i| format!("d{:03}/k{i:06}", i / 1000))
            .collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let m = map(&refs);
        let page = list_current(&m, "", Some("/"), None, 1000);
        assert_eq!(page.items.len(), 200);
        assert!(!page.truncated);
        let page = list_current(&m, "d150/", None, Some("d150/k150500"), 1000);
        assert_eq!(page.items.len(), 499);
        assert_eq!(page.items.first().map(Item::name), Some("d150/k150501"));
    }

    #[test]
    fn versions_resume_inside_a_key() {
        let mut m = map(&["a", "b"]);
        let versions = m.get_mut("a").map(|vs| {
            vs.clear();
            for id in ["v1", "v2", "v3"] {
                vs.push(ObjectVersion {
                    version_id: id.into(),
                    last_modified: 0,
                    data: None,
                });
            }
        });
        assert!(versions.is_some());
        let page = list_versions(&m, "", None, Some("a"), Some("v3"), 10);
        let ids: Vec<String> = page
            .items
            .iter()
            .map(|i| match i {
                VersionItem::Version {
                    key,
                    version,
                    is_latest,
                } => format!("{key}:{}:{is_latest}", version.version_id),
                VersionItem::Prefix(p) => (*p).to_owned(),
            })
            .collect();
        assert_eq!(ids, ["a:v2:false", "a:v1:false", "b:null:true"]);
    }

    #[test]
    fn url_encoding_matches_s3() {
        assert_eq!(url_encode("a b+c/d%é"), "a+b%2Bc/d%25%C3%A9");
    }
}
