//! S3 Batch Operations CSV manifests: `bucket,key[,versionId]`, keys
//! URL-encoded so decoding is unambiguous (`+` and space always encoded).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but unreserved characters and `/` is encoded.
const KEY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

pub fn encode_key(key: &str) -> String {
    utf8_percent_encode(key, KEY).to_string()
}

/// One manifest line (with its newline). `null` is a real version id (the
/// null version) and is written as such.
pub fn line(bucket: &str, key: &str, version_id: Option<&str>) -> String {
    match version_id.filter(|v| !v.is_empty()) {
        Some(v) => format!("{bucket},{},{}\n", encode_key(key), encode_key(v)),
        None => format!("{bucket},{}\n", encode_key(key)),
    }
}

/// Decode a line back (used to read manifests and reports).
pub fn parse_line(line: &str) -> Option<(String, String, Option<String>)> {
    let mut parts = line.trim_end_matches(['\r', '\n']).split(',');
    let bucket = parts.next()?.to_string();
    let key = decode(parts.next()?)?;
    let version = parts.next().filter(|v| !v.is_empty()).and_then(decode);
    Some((bucket, key, version))
}

fn decode(s: &str) -> Option<String> {
    // The manifest never carries a literal `+` (it is encoded), so `+` in a
    // report written by S3 means a space, as in form encoding.
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for key in [
            "a b",
            "a+b",
            "100%",
            "#x",
            "q?x",
            "é/ü/日本",
            "a//b",
            "dir/",
            "c,d",
            "x\ny",
        ] {
            let l = line("bkt", key, Some("v1"));
            assert!(!l[4..l.len() - 1].contains(' ') && !l.contains('+'), "{l}");
            assert_eq!(l.matches(',').count(), 2, "commas in keys are encoded: {l}");
            assert_eq!(
                parse_line(&l),
                Some(("bkt".into(), key.into(), Some("v1".into()))),
                "{key}"
            );
        }
        assert_eq!(line("b", "k", Some("null")), "b,k,null\n");
        assert_eq!(
            parse_line("b,k,null\n"),
            Some(("b".into(), "k".into(), Some("null".into())))
        );
    }
}
