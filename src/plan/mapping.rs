//! Source key -> destination key.

use super::model::SourceMapping;
use super::rules::{Filters, Rewrite, RuleError};
use crate::job::PlanOptions;
use crate::location::base_name;

/// S3's limit on key length, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapped {
    /// Destination key for this source key.
    To(String),
    /// Left out by a filter.
    Filtered,
    /// The folder marker of the source prefix itself (`photos/` when copying
    /// `photos/`): nothing to copy, a no-op rather than a failure.
    OwnMarker,
    /// Cannot be written (reason).
    Invalid(String),
}

/// Compiled rules for one job.
#[derive(Debug, Clone)]
pub struct Mapper {
    mappings: Vec<SourceMapping>,
    filters: Filters,
    rewrite: Option<Rewrite>,
}

impl Mapper {
    pub fn new(mappings: Vec<SourceMapping>, opts: &PlanOptions) -> Result<Mapper, RuleError> {
        let rewrite = opts.rewrite.as_deref().map(Rewrite::parse).transpose()?;
        Ok(Mapper {
            mappings,
            filters: Filters::new(&opts.filters)?,
            rewrite,
        })
    }

    pub fn mappings(&self) -> &[SourceMapping] {
        &self.mappings
    }

    /// Whether two source keys can ever map to one destination key; if not,
    /// copying can start while the listing is still running.
    pub fn is_injective(&self) -> bool {
        self.mappings.len() == 1 && self.rewrite.is_none()
    }

    /// The key relative to the source: what filters and rewrites see.
    pub fn relative<'a>(&self, idx: usize, key: &'a str) -> &'a str {
        let m = &self.mappings[idx];
        if m.single_object {
            base_name(key)
        } else {
            key.strip_prefix(m.source.prefix.as_str()).unwrap_or(key)
        }
    }

    /// Whether the filters select a relative key.
    pub fn accepts_relative(&self, rel: &str) -> bool {
        self.filters.accepts(rel)
    }

    pub fn map(&self, idx: usize, key: &str) -> Mapped {
        let Some(m) = self.mappings.get(idx) else {
            return Mapped::Invalid(format!("no source #{idx}"));
        };
        let rel = self.relative(idx, key);
        if rel.is_empty() && !m.single_object {
            return Mapped::OwnMarker;
        }
        if !self.filters.accepts(rel) {
            return Mapped::Filtered;
        }
        let rel = match &self.rewrite {
            Some(r) => r.apply(rel),
            None => rel.to_string(),
        };
        let dst = if m.single_object && !m.destination.is_dir_like() {
            m.destination.prefix.clone()
        } else {
            format!("{}{}", m.destination.prefix, rel)
        };
        if dst.is_empty() {
            return Mapped::Invalid("destination key would be empty".into());
        }
        if dst.len() > MAX_KEY_BYTES {
            return Mapped::Invalid(format!(
                "destination key would be {} bytes, over S3's limit of {MAX_KEY_BYTES}",
                dst.len()
            ));
        }
        Mapped::To(dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::Location;

    fn mapping(src: &str, dst: &str, single: bool) -> SourceMapping {
        SourceMapping {
            source: src.parse::<Location>().expect("src"),
            destination: dst.parse::<Location>().expect("dst"),
            single_object: single,
        }
    }

    #[test]
    fn maps_like_aws_cli_recursive() {
        let cases = [
            (
                "s3://a/photos/",
                "s3://b/2024/",
                "photos/x/y.jpg",
                "2024/x/y.jpg",
            ),
            ("s3://a/photos/", "s3://b", "photos/x.jpg", "x.jpg"),
            ("s3://a", "s3://b/backup/", "k", "backup/k"),
            ("s3://a/", "s3://b/", "dir/", "dir/"),
            ("s3://a/p/", "s3://b/q/", "p/a//b", "q/a//b"),
            ("s3://a/pre", "s3://b/x", "prefix/k", "xfix/k"),
        ];
        for (src, dst, key, want) in cases {
            let m = Mapper::new(vec![mapping(src, dst, false)], &PlanOptions::default())
                .expect("mapper");
            assert_eq!(m.map(0, key), Mapped::To(want.into()), "{src} {dst} {key}");
        }
    }

    #[test]
    fn the_source_prefix_own_folder_marker_is_a_no_op() {
        let m = Mapper::new(
            vec![mapping("s3://a/photos/", "s3://b", false)],
            &PlanOptions::default(),
        )
        .expect("mapper");
        assert_eq!(m.map(0, "photos/"), Mapped::OwnMarker);
        assert_eq!(m.map(0, "photos/x/"), Mapped::To("x/".into()));
    }

    #[test]
    fn single_objects() {
        let m = Mapper::new(
            vec![
                mapping("s3://a/x/r.txt", "s3://b/2024/", true),
                mapping("s3://a/x/r.txt", "s3://b/new.txt", true),
            ],
            &PlanOptions::default(),
        )
        .expect("mapper");
        assert_eq!(m.map(0, "x/r.txt"), Mapped::To("2024/r.txt".into()));
        assert_eq!(m.map(1, "x/r.txt"), Mapped::To("new.txt".into()));
        assert!(!m.is_injective());
    }

    #[test]
    fn filters_rewrite_and_limits() {
        let opts = PlanOptions {
            filters: vec![(false, "*".into()), (true, "*.csv".into())],
            rewrite: Some("^old/=>new/".into()),
            ..Default::default()
        };
        let m = Mapper::new(vec![mapping("s3://a/r/", "s3://b/", false)], &opts).expect("mapper");
        assert_eq!(m.map(0, "r/old/x.csv"), Mapped::To("new/x.csv".into()));
        assert_eq!(m.map(0, "r/old/x.txt"), Mapped::Filtered);
        let long = format!("r/{}.csv", "k".repeat(1020));
        let m2 = Mapper::new(
            vec![mapping("s3://a/r/", "s3://b/deeper/", false)],
            &PlanOptions::default(),
        )
        .expect("mapper");
        assert!(matches!(m2.map(0, &long), Mapped::Invalid(_)));
    }
}
