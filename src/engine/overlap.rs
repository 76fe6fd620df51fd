//! The one check that a job never deletes what it reads or writes, used by
//! the CLI, the TUI and the runner alike: refusals happen before anything
//! runs, and name the first offending key.

use super::model::{JobKind, JobSpec};
use crate::location::Location;

/// Key ranges `a` and `b` (bucket + prefix) can share a key.
fn ranges_meet(a: &Location, b: &Location) -> bool {
    a.bucket == b.bucket && (a.prefix.starts_with(&b.prefix) || b.prefix.starts_with(&a.prefix))
}

/// Whether some destination key of the job can be one of its source keys:
/// then the whole plan is listed first and checked key by key.
pub fn may_write_over_source(spec: &JobSpec) -> bool {
    spec.src_conn.same_endpoint(&spec.dst_conn)
        && spec.mappings.iter().any(|m| {
            spec.mappings
                .iter()
                .any(|d| ranges_meet(&m.source, &d.destination))
        })
}

/// Refusals that need no listing: a `sync --delete` whose source and
/// destination share keys (its deletions would remove what it reads).
pub fn check_spec(spec: &JobSpec) -> Result<(), String> {
    if spec.kind == JobKind::Sync && spec.plan.delete_extra && may_write_over_source(spec) {
        if let Some(m) = spec.mappings.iter().find(|m| {
            spec.mappings
                .iter()
                .any(|d| ranges_meet(&m.source, &d.destination))
        }) {
            return Err(format!(
                "refusing to run: sync --delete from {} into {}: the source lies inside the destination (or the destination inside the source), so its deletions could remove what it reads",
                m.source, m.destination
            ));
        }
    }
    Ok(())
}

/// The refusal for an entry that writes over a source key, as
/// `Journal::first_write_over_source` found it.
pub fn write_over_source_refusal(spec: &JobSpec, read: &str, writer: &str) -> String {
    let bucket = spec
        .mappings
        .first()
        .map(|m| m.source.bucket.as_str())
        .unwrap_or_default();
    if read == writer {
        format!(
            "refusing to run: {} s3://{bucket}/{read} onto itself would delete or replace what it reads (destination key equals source key {read:?})",
            match spec.kind {
                JobKind::Move => "moving",
                JobKind::Copy => "copying",
                JobKind::Sync => "syncing",
            }
        )
    } else {
        format!(
            "refusing to run: the copy of s3://{bucket}/{writer} would write over s3://{bucket}/{read}, which the job also reads (first offending key: {read:?})"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConnectionSettings;
    use crate::engine::model::{PlanOptions, RunOptions};
    use crate::plan::model::SourceMapping;

    fn spec(kind: JobKind, src: &str, dst: &str, delete: bool) -> JobSpec {
        let source: Location = src.parse().expect("src");
        JobSpec {
            kind,
            mappings: vec![SourceMapping {
                single_object: !source.is_dir_like(),
                source,
                destination: dst.parse().expect("dst"),
            }],
            src_conn: ConnectionSettings {
                endpoint_url: Some("http://127.0.0.1:9000".into()),
                access_key_id: Some("a".into()),
                ..Default::default()
            },
            dst_conn: ConnectionSettings {
                // Another identity on the same endpoint: still the same buckets.
                endpoint_url: Some("http://127.0.0.1:9000/".into()),
                access_key_id: Some("b".into()),
                ..Default::default()
            },
            plan: PlanOptions {
                delete_extra: delete,
                ..Default::default()
            },
            run: RunOptions::default(),
        }
    }

    #[test]
    fn overlapping_ranges_on_one_endpoint() {
        let cases = [
            ("s3://b/big", "s3://b/big", true),
            ("s3://b/dir/", "s3://b/dir/", true),
            ("s3://b/a/", "s3://b/", true),
            ("s3://b/", "s3://b/copy/", true),
            ("s3://b/a/", "s3://b/b/", false),
            ("s3://b/a/", "s3://c/a/", false),
        ];
        for (src, dst, want) in cases {
            assert_eq!(
                may_write_over_source(&spec(JobKind::Move, src, dst, false)),
                want,
                "{src} -> {dst}"
            );
        }
        let mut other = spec(JobKind::Move, "s3://b/k", "s3://b/k", false);
        other.dst_conn.endpoint_url = Some("http://10.0.0.1:9000".into());
        assert!(!may_write_over_source(&other), "another endpoint");
    }

    #[test]
    fn sync_delete_with_source_inside_destination_is_refused() {
        let err = check_spec(&spec(JobKind::Sync, "s3://b/photos/", "s3://b/", true))
            .expect_err("refused");
        assert!(err.contains("s3://b/photos/"), "{err}");
        assert!(check_spec(&spec(JobKind::Sync, "s3://b/photos/", "s3://b/", false)).is_ok());
        assert!(check_spec(&spec(JobKind::Sync, "s3://b/a/", "s3://b/b/", true)).is_ok());
    }
}
