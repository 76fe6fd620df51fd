//! Deciding what to do with a key whose destination may already exist.

use chrono::{DateTime, Utc};

use super::model::{Action, ConflictPolicy};

/// What we know about one side of a key without extra requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub size: u64,
    pub etag: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
}

fn md5_etag(e: &Option<String>) -> Option<&str> {
    e.as_deref()
        .map(|e| e.trim_matches('"'))
        .filter(|e| e.len() == 32 && !e.contains('-'))
}

/// How two objects compare from listing data alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sameness {
    Same,
    Different,
    /// Sizes match but ETags are not comparable (multipart, KMS): decided by time.
    Unknown,
}

pub fn compare(src: &Facts, dst: &Facts) -> Sameness {
    if src.size != dst.size {
        return Sameness::Different;
    }
    match (&src.etag, &dst.etag) {
        (Some(a), Some(b)) if a == b => return Sameness::Same,
        _ => {}
    }
    match (md5_etag(&src.etag), md5_etag(&dst.etag)) {
        (Some(a), Some(b)) => {
            if a == b {
                Sameness::Same
            } else {
                Sameness::Different
            }
        }
        _ => Sameness::Unknown,
    }
}

/// The action for a key, given the destination's facts (None = missing).
pub fn decide(
    policy: ConflictPolicy,
    src: &Facts,
    dst: Option<&Facts>,
) -> (Action, Option<&'static str>) {
    let Some(dst) = dst else {
        return (Action::Copy, None);
    };
    match policy {
        ConflictPolicy::Overwrite => (Action::Overwrite, None),
        ConflictPolicy::Skip => (Action::Skip, Some("exists")),
        ConflictPolicy::SkipIdentical => match compare(src, dst) {
            Sameness::Same => (Action::Skip, Some("identical")),
            Sameness::Different => (Action::Overwrite, Some("different")),
            // Same size, ETags not comparable: as the AWS CLI does, a destination
            // at least as new as the source counts as up to date.
            Sameness::Unknown => match (src.last_modified, dst.last_modified) {
                (Some(s), Some(d)) if d >= s => {
                    (Action::Skip, Some("same size, destination newer"))
                }
                _ => (Action::Overwrite, Some("same size, not comparable")),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(size: u64, etag: &str) -> Facts {
        Facts {
            size,
            etag: Some(format!("\"{etag}\"")),
            last_modified: None,
        }
    }
    const A: &str = "0123456789abcdef0123456789abcdef";
    const B: &str = "fedcba9876543210fedcba9876543210";

    #[test]
    fn decisions() {
        use Action::*;
        use ConflictPolicy as P;
        let cases = [
            (P::Overwrite, f(1, A), None, Copy),
            (P::Overwrite, f(1, A), Some(f(1, A)), Overwrite),
            (P::Skip, f(1, A), Some(f(2, B)), Skip),
            (P::SkipIdentical, f(1, A), Some(f(1, A)), Skip),
            (P::SkipIdentical, f(1, A), Some(f(1, B)), Overwrite),
            (P::SkipIdentical, f(1, A), Some(f(2, A)), Overwrite),
            (P::SkipIdentical, f(5, "abc-2"), Some(f(5, "abc-2")), Skip),
            (P::SkipIdentical, f(5, A), Some(f(5, "abc-2")), Overwrite),
        ];
        for (policy, src, dst, want) in cases {
            assert_eq!(
                decide(policy, &src, dst.as_ref()).0,
                want,
                "{policy:?} {src:?} {dst:?}"
            );
        }
    }

    #[test]
    fn unknown_falls_back_to_time() {
        let t0 = DateTime::from_timestamp(1_000, 0);
        let t1 = DateTime::from_timestamp(2_000, 0);
        let src = Facts {
            size: 5,
            etag: Some("\"x-2\"".into()),
            last_modified: t0,
        };
        let newer = Facts {
            size: 5,
            etag: Some("\"y-3\"".into()),
            last_modified: t1,
        };
        assert_eq!(
            decide(ConflictPolicy::SkipIdentical, &src, Some(&newer)).0,
            Action::Skip
        );
        let older = Facts {
            last_modified: t0.and_then(|t| t.checked_sub_signed(chrono::Duration::seconds(5))),
            ..newer
        };
        assert_eq!(
            decide(ConflictPolicy::SkipIdentical, &src, Some(&older)).0,
            Action::Overwrite
        );
    }
}
