//! The few S3 answers s3ferry reads itself (a direct CopyObject's result or
//! error, a versioning document with a non-standard root) are flat: a root
//! element with text children. They are read with the SDK's own XML decoder.

use aws_smithy_xml::decode::{try_data, Document};

/// A root element's name and the unescaped text of its direct children;
/// children with elements inside are skipped.
#[derive(Debug, Default, PartialEq)]
pub struct Flat {
    pub root: String,
    fields: Vec<(String, String)>,
}

impl Flat {
    /// `None` when the body is not XML (or is empty).
    pub fn parse(body: &str) -> Option<Flat> {
        // S3 may send whitespace before a late answer's XML declaration.
        let mut doc = Document::new(body.trim_start());
        let mut root = doc.root_element().ok()?;
        let mut flat = Flat {
            root: root.start_el().local().to_string(),
            fields: Vec::new(),
        };
        while let Some(mut child) = root.next_tag() {
            let name = child.start_el().local().to_string();
            if let Ok(text) = try_data(&mut child) {
                flat.fields.push((name, text.into_owned()));
            }
        }
        Some(flat)
    }

    /// The text of the first child named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_copy_results_and_errors() {
        let ok = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></CopyObjectResult>";
        let f = Flat::parse(ok).expect("parses");
        assert_eq!(f.root, "CopyObjectResult");
        assert_eq!(f.get("ETag"), Some("\"9b2cf535f27731c974343645a3985328\""));
        // S3's late failure: status 200, an <Error> body after whitespace.
        let late = "\n\n  <?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>We encountered an internal error &amp; retry</Message></Error>";
        let f = Flat::parse(late).expect("parses");
        assert_eq!(f.root, "Error");
        assert_eq!(f.get("Code"), Some("InternalError"));
        assert_eq!(
            f.get("Message"),
            Some("We encountered an internal error & retry")
        );
        assert_eq!(f.get("ETag"), None);
        assert_eq!(Flat::parse(""), None);
        assert_eq!(Flat::parse("not xml"), None);
    }

    #[test]
    fn unescapes_entities_and_skips_nested_children() {
        let f = Flat::parse("<R><A><B>x</B></A><C>a&lt;b&gt;&#65;&#x42;&apos;</C><D>plain</D></R>")
            .expect("parses");
        assert_eq!(f.get("A"), None);
        assert_eq!(f.get("C"), Some("a<b>AB'"));
        assert_eq!(f.get("D"), Some("plain"));
    }
}
