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

/// What HeadObject adds to the listing: the encryption (which says whether the
/// ETag can be an MD5 of the bytes) and the full-object checksum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadFacts {
    /// `x-amz-server-side-encryption`: `AES256`, `aws:kms`, `aws:kms:dsse`.
    pub sse: Option<String>,
    /// `x-amz-server-side-encryption-customer-algorithm` (SSE-C).
    pub sse_customer_algorithm: Option<String>,
    /// Full-object checksum (algorithm, base64 value); never a composite one.
    pub checksum: Option<(String, String)>,
}

impl HeadFacts {
    /// Why this object's ETag is not an MD5 of its bytes, when its encryption
    /// makes it opaque (SSE-KMS, DSSE-KMS, SSE-C).
    pub fn opaque_etag(&self) -> Option<&'static str> {
        if self.sse_customer_algorithm.is_some() {
            return Some("SSE-C");
        }
        match self.sse.as_deref() {
            Some("aws:kms") => Some("SSE-KMS"),
            Some("aws:kms:dsse") => Some("DSSE-KMS"),
            Some(s) if s.starts_with("aws:kms") => Some("KMS"),
            _ => None,
        }
    }
}

/// What a same-size comparison rested on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Only the sizes could be compared.
    Size,
    Etag,
    Checksum,
}

/// How two objects compare, on what basis, and why (for anything but `Same`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub sameness: Sameness,
    pub basis: Basis,
    pub reason: Option<String>,
}

impl Verdict {
    fn new(sameness: Sameness, basis: Basis, reason: Option<String>) -> Verdict {
        Verdict {
            sameness,
            basis,
            reason,
        }
    }
}

/// Full-object checksums: `Some` only when both sides have one of the same algorithm.
pub fn compare_checksums<'a>(
    src: Option<&'a (String, String)>,
    dst: Option<&(String, String)>,
) -> Option<(Sameness, &'a str)> {
    match (src, dst) {
        (Some((sa, sv)), Some((da, dv))) if sa == da => Some((
            if sv == dv {
                Sameness::Same
            } else {
                Sameness::Different
            },
            sa.as_str(),
        )),
        _ => None,
    }
}

/// Whether a pair needs HeadObject before listing facts can be trusted: same
/// size and MD5-looking ETags that differ, which is "different" only if
/// neither object is KMS / DSSE / SSE-C encrypted (their ETags are opaque).
pub fn needs_head(src: &Facts, dst: &Facts) -> bool {
    src.size == dst.size && compare(src, dst) == Sameness::Different
}

fn etag_kind(e: &Option<String>) -> &'static str {
    match e.as_deref() {
        None => "no ETag",
        Some(e) if e.contains('-') => "multipart ETag",
        Some(_) => "ETag not an MD5",
    }
}

/// Compare two objects from their listing facts and, when fetched, both
/// HeadObject answers: full-object checksums of the same algorithm first,
/// then ETags where both are MD5s (or simply equal), else `Unknown`: same
/// size is never taken for the same bytes.
pub fn compare_with_heads(
    src: &Facts,
    dst: &Facts,
    heads: Option<(&HeadFacts, &HeadFacts)>,
) -> Verdict {
    if src.size != dst.size {
        return Verdict::new(
            Sameness::Different,
            Basis::Size,
            Some(format!("size {} vs {}", src.size, dst.size)),
        );
    }
    if let Some((hs, hd)) = heads {
        if let Some((s, alg)) = compare_checksums(hs.checksum.as_ref(), hd.checksum.as_ref()) {
            let reason = (s == Sameness::Different).then(|| format!("{alg} checksum differs"));
            return Verdict::new(s, Basis::Checksum, reason);
        }
    }
    // Said when the checksums were looked at and could not decide.
    let no_checksum = match heads {
        Some(_) => ", no common full-object checksum",
        None => "",
    };
    match compare(src, dst) {
        Sameness::Same => Verdict::new(Sameness::Same, Basis::Etag, None),
        Sameness::Different => {
            let opaque = heads.and_then(|(hs, hd)| hs.opaque_etag().or(hd.opaque_etag()));
            match opaque {
                Some(enc) => Verdict::new(
                    Sameness::Unknown,
                    Basis::Size,
                    Some(format!("same size; {enc} ETags are not MD5s{no_checksum}")),
                ),
                None => Verdict::new(
                    Sameness::Different,
                    Basis::Etag,
                    Some("ETag differs".into()),
                ),
            }
        }
        Sameness::Unknown => {
            let kind = if md5_etag(&src.etag).is_none() {
                etag_kind(&src.etag)
            } else {
                etag_kind(&dst.etag)
            };
            Verdict::new(
                Sameness::Unknown,
                Basis::Size,
                Some(format!(
                    "same size; {kind}s are not comparable{no_checksum}"
                )),
            )
        }
    }
}

/// sync --checksum: the action for a key from both full-object checksums
/// (`src_sum`, `dst_sum`, from HeadObject). A same-size pair without a common
/// algorithm falls back to `decide`, noted as "not comparable by checksum";
/// the bool says it did.
pub fn decide_by_checksum(
    policy: ConflictPolicy,
    src: &Facts,
    dst: Option<&Facts>,
    src_sum: Option<&(String, String)>,
    dst_sum: Option<&(String, String)>,
) -> (Action, Option<String>, bool) {
    let (action, note) = decide(policy, src, dst);
    let candidate =
        policy == ConflictPolicy::SkipIdentical && dst.is_some_and(|d| d.size == src.size);
    if !candidate {
        return (action, note.map(str::to_string), false);
    }
    match compare_checksums(src_sum, dst_sum) {
        Some((Sameness::Same, alg)) => (
            Action::Skip,
            Some(format!("identical ({alg} checksum)")),
            false,
        ),
        Some((_, alg)) => (
            Action::Overwrite,
            Some(format!("different ({alg} checksum)")),
            false,
        ),
        None => (
            action,
            Some(match note {
                Some(n) => format!("not comparable by checksum; {n}"),
                None => "not comparable by checksum".into(),
            }),
            true,
        ),
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

    fn head(sse: Option<&str>, sse_c: bool, sum: Option<(&str, &str)>) -> HeadFacts {
        HeadFacts {
            sse: sse.map(str::to_string),
            sse_customer_algorithm: sse_c.then(|| "AES256".to_string()),
            checksum: sum.map(|(a, v)| (a.to_string(), v.to_string())),
        }
    }

    #[test]
    fn opaque_etags_by_encryption() {
        assert_eq!(head(None, false, None).opaque_etag(), None);
        assert_eq!(head(Some("AES256"), false, None).opaque_etag(), None);
        assert_eq!(
            head(Some("aws:kms"), false, None).opaque_etag(),
            Some("SSE-KMS")
        );
        assert_eq!(
            head(Some("aws:kms:dsse"), false, None).opaque_etag(),
            Some("DSSE-KMS")
        );
        assert_eq!(head(None, true, None).opaque_etag(), Some("SSE-C"));
    }

    #[test]
    fn checksums_compare_only_within_one_algorithm() {
        let s = |a: &str, v: &str| (a.to_string(), v.to_string());
        let (x, y, z) = (
            s("CRC32", "AAA="),
            s("CRC32", "BBB="),
            s("CRC64NVME", "AAA="),
        );
        assert_eq!(
            compare_checksums(Some(&x), Some(&x.clone())),
            Some((Sameness::Same, "CRC32"))
        );
        assert_eq!(
            compare_checksums(Some(&x), Some(&y)),
            Some((Sameness::Different, "CRC32"))
        );
        assert_eq!(compare_checksums(Some(&x), Some(&z)), None);
        assert_eq!(compare_checksums(Some(&x), None), None);
        assert_eq!(compare_checksums(None, None), None);
    }

    #[test]
    fn same_size_is_never_the_same_by_itself() {
        let plain = head(None, false, None);
        let kms = head(Some("aws:kms"), false, None);
        let dsse = head(Some("aws:kms:dsse"), false, None);
        let ssec = head(None, true, None);
        let crc = |v: &str| head(Some("aws:kms"), false, Some(("CRC64NVME", v)));
        let crc32 = head(None, false, Some(("CRC32", "AAA=")));
        let mp = |e: &str| f(10, e);
        // (src, dst, heads, sameness, basis)
        type Case = (
            Facts,
            Facts,
            Option<(HeadFacts, HeadFacts)>,
            Sameness,
            Basis,
        );
        let cases: Vec<Case> = vec![
            (f(1, A), f(2, A), None, Sameness::Different, Basis::Size),
            (f(1, A), f(1, A), None, Sameness::Same, Basis::Etag),
            // Equal ETags stay the same, even encrypted.
            (
                f(1, A),
                f(1, A),
                Some((kms.clone(), kms.clone())),
                Sameness::Same,
                Basis::Etag,
            ),
            // Two MD5s that differ: different, unless an encryption makes them opaque.
            (f(1, A), f(1, B), None, Sameness::Different, Basis::Etag),
            (
                f(1, A),
                f(1, B),
                Some((plain.clone(), plain.clone())),
                Sameness::Different,
                Basis::Etag,
            ),
            (
                f(1, A),
                f(1, B),
                Some((kms.clone(), plain.clone())),
                Sameness::Unknown,
                Basis::Size,
            ),
            (
                f(1, A),
                f(1, B),
                Some((plain.clone(), dsse.clone())),
                Sameness::Unknown,
                Basis::Size,
            ),
            (
                f(1, A),
                f(1, B),
                Some((ssec.clone(), ssec.clone())),
                Sameness::Unknown,
                Basis::Size,
            ),
            // Multipart ETags: unknown, unless the checksums tell.
            (mp("x-2"), mp("y-2"), None, Sameness::Unknown, Basis::Size),
            (
                mp("x-2"),
                mp("y-2"),
                Some((plain.clone(), plain.clone())),
                Sameness::Unknown,
                Basis::Size,
            ),
            (
                mp("x-2"),
                mp("y-2"),
                Some((crc("AAA="), crc("BBB="))),
                Sameness::Different,
                Basis::Checksum,
            ),
            (
                mp("x-2"),
                mp("y-2"),
                Some((crc("AAA="), crc("AAA="))),
                Sameness::Same,
                Basis::Checksum,
            ),
            (
                f(1, A),
                f(1, B),
                Some((crc("AAA="), crc("AAA="))),
                Sameness::Same,
                Basis::Checksum,
            ),
            // Checksums of different algorithms do not compare.
            (
                mp("x-2"),
                mp("y-2"),
                Some((crc("AAA="), crc32.clone())),
                Sameness::Unknown,
                Basis::Size,
            ),
            // A checksum that differs beats equal ETags.
            (
                f(1, A),
                f(1, A),
                Some((crc("AAA="), crc("BBB="))),
                Sameness::Different,
                Basis::Checksum,
            ),
        ];
        for (src, dst, heads, want, basis) in cases {
            let v = compare_with_heads(&src, &dst, heads.as_ref().map(|(a, b)| (a, b)));
            assert_eq!(
                (v.sameness, v.basis),
                (want, basis),
                "{src:?} {dst:?} {heads:?}"
            );
            assert_eq!(v.reason.is_some(), want != Sameness::Same, "{v:?}");
        }
    }

    #[test]
    fn the_reason_says_why_and_heads_are_asked_only_when_they_can_tell() {
        let plain = head(None, false, None);
        let kms = head(Some("aws:kms"), false, None);
        let mp = |e: &str| f(10, e);
        let v = compare_with_heads(&f(1, A), &f(1, B), Some((&kms, &plain)));
        assert_eq!(
            v.reason.as_deref(),
            Some("same size; SSE-KMS ETags are not MD5s, no common full-object checksum")
        );
        assert!(needs_head(&f(1, A), &f(1, B)));
        assert!(!needs_head(&f(1, A), &f(1, A)));
        assert!(!needs_head(&f(1, A), &f(2, B)));
        assert!(!needs_head(&mp("x-2"), &mp("y-2")));
    }

    #[test]
    fn sync_by_checksum() {
        use Action::*;
        use ConflictPolicy as P;
        let s = |a: &str, v: &str| Some((a.to_string(), v.to_string()));
        let (x, y, z) = (s("CRC32", "AAA="), s("CRC32", "BBB="), s("SHA256", "AAA="));
        let t0 = DateTime::from_timestamp(1_000, 0);
        let t1 = DateTime::from_timestamp(2_000, 0);
        let old = |e: &str| Facts {
            last_modified: t0,
            ..f(10, e)
        };
        let new = |e: &str| Facts {
            last_modified: t1,
            ..f(10, e)
        };
        // (policy, src, dst, src sum, dst sum) -> (action, note, fell back)
        let cases = [
            // Opaque ETags, destination newer: today's rule would skip; the checksums overwrite.
            (
                P::SkipIdentical,
                old("x-2"),
                Some(new("y-2")),
                &x,
                &y,
                Overwrite,
                "different (CRC32 checksum)",
                false,
            ),
            (
                P::SkipIdentical,
                new("x-2"),
                Some(old("y-2")),
                &x,
                &x,
                Skip,
                "identical (CRC32 checksum)",
                false,
            ),
            // A checksum beats equal ETags.
            (
                P::SkipIdentical,
                old(A),
                Some(old(A)),
                &x,
                &y,
                Overwrite,
                "different (CRC32 checksum)",
                false,
            ),
            // No common algorithm: today's rule, noted.
            (
                P::SkipIdentical,
                old("x-2"),
                Some(new("y-2")),
                &x,
                &z,
                Skip,
                "not comparable by checksum; same size, destination newer",
                true,
            ),
            (
                P::SkipIdentical,
                new("x-2"),
                Some(old("y-2")),
                &None,
                &None,
                Overwrite,
                "not comparable by checksum; same size, not comparable",
                true,
            ),
            (
                P::SkipIdentical,
                old(A),
                Some(old(A)),
                &None,
                &x,
                Skip,
                "not comparable by checksum; identical",
                true,
            ),
        ];
        for (policy, src, dst, ss, ds, action, note, fell_back) in cases {
            let got = decide_by_checksum(policy, &src, dst.as_ref(), ss.as_ref(), ds.as_ref());
            assert_eq!(
                got,
                (action, Some(note.to_string()), fell_back),
                "{src:?} {dst:?}"
            );
        }
        // Not a same-size pair, or not a skip-identical policy: the checksums do not matter.
        assert_eq!(
            decide_by_checksum(P::SkipIdentical, &old(A), None, x.as_ref(), None),
            (Copy, None, false)
        );
        assert_eq!(
            decide_by_checksum(
                P::SkipIdentical,
                &old(A),
                Some(&f(3, A)),
                x.as_ref(),
                x.as_ref()
            ),
            (Overwrite, Some("different".to_string()), false)
        );
        assert_eq!(
            decide_by_checksum(P::Skip, &old(A), Some(&old(B)), x.as_ref(), y.as_ref()),
            (Skip, Some("exists".to_string()), false)
        );
        assert_eq!(
            decide_by_checksum(P::Overwrite, &old(A), Some(&old(A)), x.as_ref(), x.as_ref()),
            (Overwrite, None, false)
        );
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
