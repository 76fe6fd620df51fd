//! Typed references to what requests act on, instead of positional tuples.

/// One object, or one version of it. `version_id = Some("null")` is the null
/// version, not "the current one".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectRef<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub version_id: Option<&'a str>,
}

impl<'a> ObjectRef<'a> {
    pub fn new(bucket: &'a str, key: &'a str, version_id: Option<&'a str>) -> ObjectRef<'a> {
        ObjectRef {
            bucket,
            key,
            version_id,
        }
    }

    /// The current object at `bucket/key` (writes always address this).
    pub fn current(bucket: &'a str, key: &'a str) -> ObjectRef<'a> {
        ObjectRef::new(bucket, key, None)
    }
}

impl std::fmt::Display for ObjectRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// A multipart upload in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadRef<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub upload_id: &'a str,
}

/// A part as CompleteMultipartUpload needs it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    pub part_number: i32,
    pub etag: Option<String>,
}
