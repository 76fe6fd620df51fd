//! Whether a plan can run on Batch Operations, whose copy writes each key to
//! `TargetKeyPrefix + full source key`.

use crate::location::Location;

/// S3 Batch Operations copies objects up to 5 GB with CopyObject.
pub const MAX_BATCH_OBJECT: u64 = 5 * 1024 * 1024 * 1024;

/// The TargetKeyPrefix that makes `dst = prefix + src`, if there is one.
pub fn target_prefix(src_key: &str, dst_key: &str) -> Option<String> {
    dst_key.strip_suffix(src_key).map(str::to_string)
}

/// Follows a plan's copied entries to the one TargetKeyPrefix they must
/// share: a Batch Operations job has a single prefix for every key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetCheck {
    prefix: Option<String>,
    broken: bool,
}

impl TargetCheck {
    /// Records one copied entry; false once the entries cannot share a prefix.
    pub fn observe(&mut self, src_key: &str, dst_key: &str) -> bool {
        if self.broken {
            return false;
        }
        match (target_prefix(src_key, dst_key), &self.prefix) {
            (None, _) => self.broken = true,
            (Some(t), Some(prev)) if t != *prev => self.broken = true,
            (Some(t), None) => self.prefix = Some(t),
            (Some(_), Some(_)) => {}
        }
        !self.broken
    }

    pub fn expressible(&self) -> bool {
        !self.broken
    }

    /// The shared prefix: `None` when broken, empty when nothing was observed.
    pub fn prefix(&self) -> Option<&str> {
        if self.broken {
            None
        } else {
            Some(self.prefix.as_deref().unwrap_or(""))
        }
    }
}

/// Why Batch Operations cannot copy an entry itself, if it cannot.
pub fn exclusion(size: u64, delete_marker: bool) -> Option<String> {
    if delete_marker {
        Some("delete marker (Batch Operations copies objects only)".into())
    } else if size > MAX_BATCH_OBJECT {
        Some(format!(
            "{} is over Batch Operations' 5 GiB copy limit",
            crate::fmt::bytes(size)
        ))
    } else {
        None
    }
}

/// Explain why a mapping cannot be expressed, with the nearest destination that can.
pub fn refusal(source: &Location, destination: &Location) -> String {
    let nearest = Location::new(
        destination.bucket.clone(),
        format!("{}{}", destination.prefix, source.prefix),
    );
    format!(
        "Batch Operations copies each key to TargetKeyPrefix + the full source key, so {source} -> {destination} \
         cannot be expressed (keys under {:?} would have to lose that prefix); the nearest destination that works is \
         {nearest} (TargetKeyPrefix {:?})",
        source.prefix, destination.prefix
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(target_prefix("k/a", "other/k/a").as_deref(), Some("other/"));
        assert_eq!(target_prefix("k/a", "k/a").as_deref(), Some(""));
        assert_eq!(target_prefix("k/a", "other/a"), None);
        let msg = refusal(
            &"s3://a/k/".parse().expect("loc"),
            &"s3://b/other/".parse().expect("loc"),
        );
        assert!(msg.contains("s3://b/other/k/"), "{msg}");
    }

    #[test]
    fn one_prefix_for_every_entry() {
        let mut c = TargetCheck::default();
        assert_eq!(c.prefix(), Some(""));
        assert!(c.observe("k/a", "x/k/a"));
        assert!(c.observe("k/b/c", "x/k/b/c"));
        assert_eq!(c.prefix(), Some("x/"));
        assert!(!c.observe("k/d", "y/k/d"), "a second prefix");
        assert!(!c.expressible());
        assert_eq!(c.prefix(), None);
        let mut c = TargetCheck::default();
        assert!(!c.observe("k/a", "x/a"), "the source prefix was dropped");
        assert!(exclusion(MAX_BATCH_OBJECT + 1, false).is_some_and(|e| e.contains("5 GiB")));
        assert!(exclusion(1, true).is_some());
        assert_eq!(exclusion(MAX_BATCH_OBJECT, false), None);
    }
}
