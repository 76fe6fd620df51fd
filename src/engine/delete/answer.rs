//! Reading a DeleteObjects answer: which `<Error>` is about which row of
//! the batch, so that no error is ever dropped and no row whose outcome is
//! unknown is counted as deleted.

use std::collections::HashMap;

use crate::s3::DeleteFailure;

/// What a DeleteObjects answer says about one row of the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    Deleted,
    Failed(DeleteFailure),
    /// An error for this key that names none of the batch's versions of it:
    /// it may be this row's, so the row is never counted as deleted.
    Unknown(DeleteFailure),
}

/// Match each `<Error>` to the rows `(key, version)` it is about: the row of
/// exactly that key and version; the key's only row whatever version the
/// error echoes (a server may name a version the request did not). What
/// cannot be placed for certain makes rows unknown, never deleted: for a
/// key in the batch more than once, an error without a version or naming
/// none of its versions leaves every one of its rows without an exact error
/// unknown; an error naming no key of the batch (no `<Key>`, a key echoed
/// differently) leaves every row without an exact error unknown.
pub(super) fn match_failures(
    rows: &[(&str, Option<&str>)],
    failures: Vec<DeleteFailure>,
) -> Vec<Verdict> {
    let mut versions: HashMap<&str, Vec<Option<&str>>> = HashMap::new();
    for (k, v) in rows {
        versions.entry(k).or_default().push(*v);
    }
    let stray = failures
        .iter()
        .find(|f| !versions.contains_key(f.key.as_str()));
    let mut by_key: HashMap<&str, Vec<&DeleteFailure>> = HashMap::new();
    for f in &failures {
        by_key.entry(f.key.as_str()).or_default().push(f);
    }
    rows.iter()
        .map(|(key, version)| {
            let errors = by_key.get(key).map(Vec::as_slice).unwrap_or_default();
            if let Some(f) = errors.iter().find(|f| f.version_id.as_deref() == *version) {
                return Verdict::Failed((*f).clone());
            }
            let mine = &versions[key];
            if mine.len() == 1 {
                if let Some(f) = errors.first() {
                    return Verdict::Failed((*f).clone());
                }
            }
            let unplaced = errors
                .iter()
                .find(|f| f.version_id.is_none() || !mine.contains(&f.version_id.as_deref()));
            match unplaced.copied().or(stray) {
                Some(f) => Verdict::Unknown(f.clone()),
                None => Verdict::Deleted,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(key: &str, version: Option<&str>) -> DeleteFailure {
        DeleteFailure {
            key: key.into(),
            version_id: version.map(str::to_string),
            code: Some("SlowDown".into()),
            message: "slow down".into(),
        }
    }

    #[test]
    fn every_delete_error_reaches_a_row() {
        let rows = [
            ("a", None),
            ("b", Some("v1")),
            ("b", Some("v2")),
            ("c", Some("v1")),
            ("c", Some("v2")),
            ("d", None),
        ];
        let got = match_failures(
            &rows,
            vec![
                // Echoes a version the request did not name: a's only row.
                failure("a", Some("x")),
                failure("b", Some("v2")),
                // Names neither of c's rows: both unknown.
                failure("c", None),
            ],
        );
        assert_eq!(
            got,
            vec![
                Verdict::Failed(failure("a", Some("x"))),
                Verdict::Deleted,
                Verdict::Failed(failure("b", Some("v2"))),
                Verdict::Unknown(failure("c", None)),
                Verdict::Unknown(failure("c", None)),
                Verdict::Deleted,
            ]
        );
        // A version-less error for a key listed with and without a version:
        // the unversioned row's, but maybe the other's too.
        let rows = [("k", None), ("k", Some("v1")), ("z", None)];
        assert_eq!(
            match_failures(&rows, vec![failure("k", None)]),
            vec![
                Verdict::Failed(failure("k", None)),
                Verdict::Unknown(failure("k", None)),
                Verdict::Deleted,
            ]
        );
        // An error naming no key of the batch: nothing is known deleted.
        let rows = [("k", None), ("z", None)];
        assert_eq!(
            match_failures(&rows, vec![failure("", None), failure("z", None)]),
            vec![
                Verdict::Unknown(failure("", None)),
                Verdict::Failed(failure("z", None)),
            ]
        );
    }
}
