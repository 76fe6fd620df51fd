//! Our own view of S3 data: the rest of s3ferry never sees aws-sdk-s3 types.

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

/// One object (or one version / delete marker when listing versions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ObjectEntry {
    pub key: String,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
    /// As S3 returns it, quotes included (`"abc..."`, `"abc...-3"` for multipart).
    pub etag: Option<String>,
    pub storage_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Only meaningful for version listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_latest: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_marker: Option<bool>,
}

impl ObjectEntry {
    pub fn new(key: impl Into<String>, size: u64) -> Self {
        ObjectEntry {
            key: key.into(),
            size,
            last_modified: None,
            etag: None,
            storage_class: None,
            version_id: None,
            is_latest: None,
            delete_marker: None,
        }
    }

    pub fn is_delete_marker(&self) -> bool {
        self.delete_marker == Some(true)
    }

    /// ETag without quotes; `None` when absent.
    pub fn etag_plain(&self) -> Option<&str> {
        self.etag.as_deref().map(|e| e.trim_matches('"'))
    }

    /// A multipart ETag (`…-N`) is not an MD5 of the content.
    pub fn etag_is_md5(&self) -> bool {
        self.etag_plain()
            .is_some_and(|e| e.len() == 32 && !e.contains('-'))
    }
}

/// One row of a delimited listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListItem {
    Object(ObjectEntry),
    Prefix(String),
}

/// One page from ListObjectsV2 / ListObjectVersions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    pub items: Vec<ListItem>,
    /// Opaque token for the next page; `None` on the last page.
    pub next: Option<PageToken>,
}

/// Continuation for either listing API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageToken {
    Continuation(String),
    Versions {
        key_marker: String,
        version_id_marker: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketInfo {
    pub name: String,
    pub created: Option<DateTime<Utc>>,
}

/// A status field that may be unavailable for reasons that are not errors of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<T> {
    Value(T),
    NotConfigured,
    NotSupported,
    AccessDenied,
    Error(String),
}

impl<T> Field<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Human text for the non-value cases.
    pub fn unavailable_text(&self) -> Option<String> {
        match self {
            Field::Value(_) => None,
            Field::NotConfigured => Some("not configured".into()),
            Field::NotSupported => Some("not supported by this endpoint".into()),
            Field::AccessDenied => Some("access denied".into()),
            Field::Error(e) => Some(format!("error: {e}")),
        }
    }
}

impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Unavailable<'a> {
            state: &'a str,
            message: String,
        }
        let (state, message) = match self {
            Field::Value(v) => return v.serialize(s),
            Field::NotConfigured => ("not_configured", "not configured".to_string()),
            Field::NotSupported => (
                "not_supported",
                "not supported by this endpoint".to_string(),
            ),
            Field::AccessDenied => ("access_denied", "access denied".to_string()),
            Field::Error(e) => ("error", e.clone()),
        };
        Unavailable { state, message }.serialize(s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum VersioningState {
    Enabled,
    Suspended,
    Never,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Versioning {
    pub status: VersioningState,
    /// `Enabled` / `Disabled` when the server reports it.
    pub mfa_delete: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replication {
    pub role: String,
    pub rules: Vec<ReplicationRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplicationRule {
    pub id: Option<String>,
    /// `Enabled` / `Disabled`.
    pub status: String,
    pub priority: Option<i32>,
    /// Human form of the filter: `prefix "logs/"`, `tag env=prod`, `everything`.
    pub filter: String,
    pub destination_bucket: String,
    pub destination_account: Option<String>,
    pub destination_storage_class: Option<String>,
    pub delete_marker_replication: Option<bool>,
    pub replication_time_control: Option<bool>,
    pub existing_object_replication: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ownership {
    /// `BucketOwnerEnforced`, `BucketOwnerPreferred` or `ObjectWriter`.
    pub object_ownership: String,
    pub acls_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Encryption {
    /// `AES256`, `aws:kms`, `aws:kms:dsse`.
    pub algorithm: String,
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectLock {
    pub enabled: bool,
    pub default_mode: Option<String>,
    pub default_days: Option<i32>,
    pub default_years: Option<i32>,
}

/// Per-object replication status counts under a prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplicationSummary {
    pub prefix: String,
    pub scanned: u64,
    pub pending: u64,
    pub completed: u64,
    pub failed: u64,
    pub replica: u64,
    pub none: u64,
    /// Objects whose HeadObject failed, with the reason.
    pub errors: u64,
    /// Keys whose status is FAILED (capped), for follow-up.
    pub failed_keys: Vec<String>,
    /// Keys a replication rule covers that carry no replication status
    /// (written before the rule existed; capped).
    pub missing_keys: Vec<String>,
    /// How many objects a rule covers but have no status.
    pub missing: u64,
    /// True when `scanned` stopped at the requested limit.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketStatus {
    pub bucket: String,
    pub region: String,
    pub versioning: Field<Versioning>,
    pub replication: Field<Replication>,
    pub ownership: Field<Ownership>,
    pub encryption: Field<Encryption>,
    pub object_lock: Field<ObjectLock>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objects: Option<ReplicationSummary>,
    /// What each replication rule needs, checked where we can see it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replication_checks: Vec<RuleCheck>,
}

/// The prerequisites of one replication rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCheck {
    pub rule: String,
    pub destination_bucket: String,
    pub source_versioning: String,
    /// `Enabled`, `Suspended`, `Never`, or why it could not be read.
    pub destination_versioning: String,
    pub destination_reachable: bool,
    pub delete_markers_replicate: bool,
    /// Plain-words problems; empty when everything checks out.
    pub problems: Vec<String>,
}

/// What HeadObject tells us that a copy must carry over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectProps {
    pub size: u64,
    pub etag: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
    pub version_id: Option<String>,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
    pub metadata: Vec<(String, String)>,
    pub storage_class: Option<String>,
    pub sse: Option<String>,
    pub sse_kms_key_id: Option<String>,
    /// `x-amz-server-side-encryption-customer-algorithm` (SSE-C).
    pub sse_customer_algorithm: Option<String>,
    /// Object Lock retention and legal hold, when the caller may read them.
    pub lock: ObjectLockState,
    pub replication_status: Option<String>,
    /// Full-object checksum reported with ChecksumMode=ENABLED: (algorithm, base64 value).
    pub checksum: Option<(String, String)>,
    pub parts_count: Option<u32>,
}

/// Retention and legal hold of one object version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectLockState {
    /// `GOVERNANCE` or `COMPLIANCE`.
    pub mode: Option<String>,
    pub retain_until: Option<DateTime<Utc>>,
    pub legal_hold: bool,
}

/// Whether an ETag can be the MD5 of the bytes, given the encryption a
/// response reported: SSE-KMS, DSSE-KMS and SSE-C objects get opaque ETags.
pub fn etag_can_be_md5(sse: Option<&str>, sse_customer: bool) -> bool {
    !sse_customer && !sse.is_some_and(|s| s.starts_with("aws:kms"))
}

impl ObjectProps {
    /// The ETag is the MD5 of the bytes: single-part and not KMS / SSE-C.
    pub fn etag_is_md5(&self) -> bool {
        etag_can_be_md5(self.sse.as_deref(), self.sse_customer_algorithm.is_some())
            && self
                .etag
                .as_deref()
                .map(|e| e.trim_matches('"'))
                .is_some_and(|e| e.len() == 32 && e.bytes().all(|b| b.is_ascii_hexdigit()))
    }
}
