//! Whether a plan can run on Batch Operations, whose copy writes each key to
//! `TargetKeyPrefix + full source key`.

use crate::location::Location;

/// S3 Batch Operations copies objects up to 5 GB with CopyObject.
pub const MAX_BATCH_OBJECT: u64 = 5 * 1024 * 1024 * 1024;

/// The TargetKeyPrefix that makes `dst = prefix + src`, if there is one.
pub fn target_prefix(src_key: &str, dst_key: &str) -> Option<String> {
    dst_key.strip_suffix(src_key).map(str::to_string)
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
}
