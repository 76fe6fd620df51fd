//! `s3://bucket[/prefix]` locations.

use std::fmt;
use std::str::FromStr;

/// A bucket and a key or key prefix inside it. `prefix` is kept exactly as typed
/// (no normalisation) because S3 keys are byte-exact: `a//b` and `a/b` differ.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Location {
    pub bucket: String,
    pub prefix: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LocationError {
    #[error("malformed S3 URI {0:?}: expected s3://bucket[/prefix]")]
    Scheme(String),
    #[error("malformed S3 URI {0:?}: missing bucket name")]
    NoBucket(String),
    #[error("malformed S3 URI {uri:?}: invalid bucket name {bucket:?}")]
    BadBucket { uri: String, bucket: String },
}

impl Location {
    pub fn new(bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        Location {
            bucket: bucket.into(),
            prefix: prefix.into(),
        }
    }

    /// The prefix as a "directory": empty or ending in `/`.
    pub fn is_dir_like(&self) -> bool {
        self.prefix.is_empty() || self.prefix.ends_with('/')
    }

    /// The last path segment of the prefix (`a/b/` -> `b/`, `a/b.txt` -> `b.txt`).
    pub fn base_name(&self) -> &str {
        base_name(&self.prefix)
    }

    pub fn child(&self, rel: &str) -> Location {
        Location {
            bucket: self.bucket.clone(),
            prefix: format!("{}{}", self.prefix, rel),
        }
    }
}

/// The last segment of a key or prefix, keeping a trailing `/` for prefixes.
pub fn base_name(key: &str) -> &str {
    let trimmed = key.strip_suffix('/').unwrap_or(key);
    match trimmed.rfind('/') {
        Some(i) => &key[i + 1..],
        None => key,
    }
}

/// Parent prefix of a prefix or key (`a/b/` -> `a/`, `a/b.txt` -> `a/`, `a` -> ``).
pub fn parent_prefix(key: &str) -> &str {
    let trimmed = key.strip_suffix('/').unwrap_or(key);
    match trimmed.rfind('/') {
        Some(i) => &key[..i + 1],
        None => "",
    }
}

fn valid_bucket(name: &str) -> bool {
    // Loose on purpose: S3-compatible servers accept names AWS would refuse
    // (underscores, upper case); we only reject what can never be a bucket.
    !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

impl FromStr for Location {
    type Err = LocationError;

    fn from_str(uri: &str) -> Result<Self, Self::Err> {
        let rest = uri
            .strip_prefix("s3://")
            .or_else(|| uri.strip_prefix("S3://"))
            .ok_or_else(|| LocationError::Scheme(uri.to_string()))?;
        let (bucket, prefix) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if bucket.is_empty() {
            return Err(LocationError::NoBucket(uri.to_string()));
        }
        if !valid_bucket(bucket) {
            return Err(LocationError::BadBucket {
                uri: uri.to_string(),
                bucket: bucket.to_string(),
            });
        }
        Ok(Location::new(bucket, prefix))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}/", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locations() {
        let cases = [
            ("s3://b", "b", ""),
            ("s3://b/", "b", ""),
            ("s3://b/p/", "b", "p/"),
            ("s3://b/a//c d+e", "b", "a//c d+e"),
            ("s3://my.bucket-1/x/y.txt", "my.bucket-1", "x/y.txt"),
        ];
        for (uri, bucket, prefix) in cases {
            let loc: Location = uri.parse().expect(uri);
            assert_eq!(
                (loc.bucket.as_str(), loc.prefix.as_str()),
                (bucket, prefix),
                "{uri}"
            );
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "b/p",
            "http://b/p",
            "s3://",
            "s3:///p",
            "s3://bad bucket/x",
        ] {
            assert!(bad.parse::<Location>().is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn names() {
        assert_eq!(base_name("a/b/"), "b/");
        assert_eq!(base_name("a/b.txt"), "b.txt");
        assert_eq!(base_name("top"), "top");
        assert_eq!(parent_prefix("a/b/"), "a/");
        assert_eq!(parent_prefix("a/b.txt"), "a/");
        assert_eq!(parent_prefix("x"), "");
        assert_eq!(Location::new("b", "").to_string(), "s3://b/");
    }
}
