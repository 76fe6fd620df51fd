//! The sandbox's data model: buckets, object versions and in-progress uploads.
//!
//! Everything here is synchronous and lives behind one lock owned by
//! [`Store`]; request handlers do their slow work (reading bodies, hashing,
//! writing blob files) outside the lock and only take it to validate and apply
//! a mutation.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{PoisonError, RwLock};

use bytes::Bytes;
use s3s::dto::{ReplicationConfiguration, ServerSideEncryptionConfiguration};
use s3s::{s3_error, S3Result};
use serde::{Deserialize, Serialize};

use super::persist::Disk;

/// Version id S3 uses for objects written while versioning is off or suspended.
pub(crate) const NULL_VERSION: &str = "null";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) enum Versioning {
    /// Never configured: no version ids are reported to clients.
    #[default]
    Unset,
    Enabled,
    Suspended,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Sse {
    pub algorithm: Option<String>,
    pub kms_key_id: Option<String>,
    pub kms_context: Option<String>,
    pub bucket_key_enabled: Option<bool>,
    pub customer_algorithm: Option<String>,
    pub customer_key_md5: Option<String>,
}

/// A full-object checksum as the client sent it (base64), after verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredChecksum {
    pub algorithm: String,
    pub value: String,
}

/// Object Lock settings of one version (`x-amz-object-lock-*`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ObjectLock {
    /// `GOVERNANCE` or `COMPLIANCE`; set together with `retain_until`.
    pub mode: Option<String>,
    /// Unix seconds.
    pub retain_until: Option<i64>,
    /// `None` when a legal hold was never placed or removed.
    pub legal_hold: Option<bool>,
}

impl ObjectLock {
    pub fn legal_hold_on(&self) -> bool {
        self.legal_hold == Some(true)
    }

    pub fn retention_active(&self, now: i64) -> bool {
        self.mode.is_some() && self.retain_until.is_some_and(|until| until > now)
    }

    /// Whether permanently deleting this version must be refused. Only
    /// GOVERNANCE retention can be bypassed; a legal hold cannot.
    pub fn protects(&self, now: i64, bypass_governance: bool) -> bool {
        if self.legal_hold_on() {
            return true;
        }
        if !self.retention_active(now) {
            return false;
        }
        !(bypass_governance && self.mode.as_deref() == Some(GOVERNANCE))
    }
}

pub(crate) const GOVERNANCE: &str = "GOVERNANCE";
pub(crate) const COMPLIANCE: &str = "COMPLIANCE";

/// A bucket's default retention (`ObjectLockRule`); exactly one of `days`
/// and `years` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DefaultRetention {
    pub mode: String,
    pub days: Option<i32>,
    pub years: Option<i32>,
}

impl DefaultRetention {
    /// The retain-until date of a version created at `now`.
    pub fn retain_until(&self, now: i64) -> i64 {
        let days = i64::from(self.days.unwrap_or(0)) + 365 * i64::from(self.years.unwrap_or(0));
        now.saturating_add(days.saturating_mul(86_400))
    }
}

/// Content headers and other attributes a PUT/copy/multipart carries.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Attributes {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    /// Unix seconds.
    pub expires: Option<i64>,
    pub website_redirect_location: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub storage_class: Option<String>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// Boxed because it is rare and would otherwise make every object larger.
    #[serde(default)]
    pub sse: Option<Box<Sse>>,
    /// Boxed for the same reason as `sse`.
    #[serde(default)]
    pub lock: Option<Box<ObjectLock>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ObjectData {
    pub size: u64,
    /// Unquoted, e.g. `9e107d9d372bb6826bd81d3542a419d6` or `…-3`.
    pub etag: String,
    pub attrs: Attributes,
    pub checksum: Option<StoredChecksum>,
    /// Sizes of the parts when the object came from a multipart upload.
    #[serde(default)]
    pub parts: Vec<u64>,
    /// File name under `<data_dir>/blobs`; `None` in memory mode or for empty bodies.
    pub blob: Option<String>,
    /// Unix seconds until which a restored copy of an archived (GLACIER,
    /// DEEP_ARCHIVE) object is readable.
    #[serde(default)]
    pub restored_until: Option<i64>,
    #[serde(skip)]
    pub body: Bytes,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ObjectVersion {
    pub version_id: String,
    /// Unix seconds; S3 only keeps second precision.
    pub last_modified: i64,
    /// `None` means this version is a delete marker.
    pub data: Option<ObjectData>,
}

impl ObjectVersion {
    pub fn is_delete_marker(&self) -> bool {
        self.data.is_none()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct UploadPart {
    pub etag: String,
    /// The part ETag as bytes; the multipart ETag is the MD5 of these.
    pub etag_bytes: [u8; 16],
    pub size: u64,
    pub last_modified: i64,
    pub body: Bytes,
    pub checksum: Option<StoredChecksum>,
}

#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub initiated: i64,
    pub attrs: Attributes,
    pub checksum_algorithm: Option<String>,
    pub parts: BTreeMap<i32, UploadPart>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Bucket {
    pub created: i64,
    #[serde(default)]
    pub versioning: Versioning,
    #[serde(default)]
    pub object_lock: bool,
    #[serde(default)]
    pub lock_rule: Option<DefaultRetention>,
    pub replication: Option<ReplicationConfiguration>,
    /// The single `ObjectOwnership` rule (s3s's dto has no serde support).
    pub ownership: Option<String>,
    pub encryption: Option<ServerSideEncryptionConfiguration>,
    /// Versions of each key, oldest first. A key is present only while it has
    /// at least one version (object or delete marker).
    #[serde(default)]
    pub objects: BTreeMap<String, Vec<ObjectVersion>>,
    /// Keyed by (object key, upload id) so listing uploads is ordered like S3.
    /// Not persisted: an interrupted multipart upload is simply lost.
    #[serde(skip)]
    pub uploads: BTreeMap<(String, String), Upload>,
}

impl Bucket {
    pub fn new(created: i64) -> Self {
        Self {
            created,
            ..Self::default()
        }
    }

    /// Whether version ids are reported in responses at all.
    pub fn reports_versions(&self) -> bool {
        self.versioning != Versioning::Unset
    }

    pub fn version_id_for_response(&self, id: &str) -> Option<String> {
        self.reports_versions().then(|| id.to_owned())
    }

    pub fn next_version_id(&self) -> String {
        match self.versioning {
            Versioning::Enabled => new_version_id(),
            Versioning::Unset | Versioning::Suspended => NULL_VERSION.to_owned(),
        }
    }

    pub fn latest(&self, key: &str) -> Option<&ObjectVersion> {
        self.objects.get(key).and_then(|v| v.last())
    }

    pub fn version(&self, key: &str, version_id: &str) -> Option<&ObjectVersion> {
        self.objects
            .get(key)
            .and_then(|vs| vs.iter().rev().find(|v| v.version_id == version_id))
    }

    pub fn version_mut(
        &mut self,
        key: &str,
        version_id: Option<&str>,
    ) -> Option<&mut ObjectVersion> {
        let versions = self.objects.get_mut(key)?;
        match version_id {
            None => versions.last_mut(),
            Some(id) => versions.iter_mut().rev().find(|v| v.version_id == id),
        }
    }

    /// Adds `version` as the newest version of `key`. A "null" version
    /// replaces the previous "null" version, exactly like S3 does when
    /// versioning is off or suspended.
    pub fn push_version(&mut self, key: &str, version: ObjectVersion, garbage: &mut Garbage) {
        // Most keys only ever have one version; Vec's default growth would
        // reserve four, which matters with a million keys.
        let versions = self
            .objects
            .entry(key.to_owned())
            .or_insert_with(|| Vec::with_capacity(1));
        if version.version_id == NULL_VERSION {
            versions.retain(|v| {
                if v.version_id == NULL_VERSION {
                    garbage.collect(v);
                    false
                } else {
                    true
                }
            });
        }
        versions.push(version);
    }

    /// Removes one specific version; returns it when it existed.
    pub fn remove_version(
        &mut self,
        key: &str,
        version_id: &str,
        garbage: &mut Garbage,
    ) -> Option<ObjectVersion> {
        let versions = self.objects.get_mut(key)?;
        let pos = versions.iter().position(|v| v.version_id == version_id)?;
        let removed = versions.remove(pos);
        garbage.collect(&removed);
        if versions.is_empty() {
            self.objects.remove(key);
        }
        Some(removed)
    }

    /// Removes every version of `key` (used when versioning was never enabled).
    pub fn remove_key(&mut self, key: &str, garbage: &mut Garbage) {
        if let Some(versions) = self.objects.remove(key) {
            for v in &versions {
                garbage.collect(v);
            }
        }
    }
}

/// Blob files that became unreferenced; removed only after the index that no
/// longer mentions them has been written.
#[derive(Debug, Default)]
pub(crate) struct Garbage {
    pub blobs: Vec<String>,
}

impl Garbage {
    fn collect(&mut self, v: &ObjectVersion) {
        if let Some(blob) = v.data.as_ref().and_then(|d| d.blob.clone()) {
            self.blobs.push(blob);
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    pub buckets: BTreeMap<String, Bucket>,
    /// Bumped on every mutation so persistence can coalesce writes.
    #[serde(skip)]
    pub generation: u64,
}

impl State {
    pub fn bucket(&self, name: &str) -> S3Result<&Bucket> {
        self.buckets
            .get(name)
            .ok_or_else(|| s3_error!(NoSuchBucket))
    }

    pub fn bucket_mut(&mut self, name: &str) -> S3Result<&mut Bucket> {
        self.buckets
            .get_mut(name)
            .ok_or_else(|| s3_error!(NoSuchBucket))
    }
}

pub(crate) struct Store {
    state: RwLock<State>,
    disk: Option<Disk>,
}

impl Store {
    pub fn in_memory() -> Self {
        Self {
            state: RwLock::new(State::default()),
            disk: None,
        }
    }

    pub async fn open(dir: &Path) -> anyhow::Result<Self> {
        let (disk, state) = Disk::open(dir.to_owned()).await?;
        Ok(Self {
            state: RwLock::new(state),
            disk: Some(disk),
        })
    }

    /// Fills `bucket` (created if missing) with `count` small objects named
    /// `{prefix}{n:09}`, all sharing one body: a million keys in memory for
    /// scale runs without a million uploads. Not persisted.
    pub fn generate(&self, bucket: &str, prefix: &str, count: u64, now: i64) {
        const BODY: &[u8] = b"s3ferry sandbox generated object\n";
        let body = Bytes::from_static(BODY);
        let etag = super::util::md5_hex(BODY).0;
        self.write_transient(|state| {
            let b = state
                .buckets
                .entry(bucket.to_owned())
                .or_insert_with(|| Bucket::new(now));
            for n in 0..count {
                let data = ObjectData {
                    size: BODY.len() as u64,
                    etag: etag.clone(),
                    attrs: Attributes::default(),
                    checksum: None,
                    parts: Vec::new(),
                    blob: None,
                    restored_until: None,
                    body: body.clone(),
                };
                let version = ObjectVersion {
                    version_id: NULL_VERSION.to_owned(),
                    last_modified: now,
                    data: Some(data),
                };
                b.objects.insert(format!("{prefix}{n:09}"), vec![version]);
            }
            state.generation += 1;
        });
    }

    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        let guard = self.state.read().unwrap_or_else(PoisonError::into_inner);
        f(&guard)
    }

    /// Changes state that is never persisted (multipart uploads in progress),
    /// so no index write is needed.
    pub fn write_transient<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut guard = self.state.write().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    /// Applies `f` under the write lock and, with a data dir, waits until the
    /// index containing the change is on disk before returning. `f` must not
    /// modify anything when it returns an error.
    pub async fn mutate<R>(
        &self,
        f: impl FnOnce(&mut State, &mut Garbage) -> S3Result<R>,
    ) -> S3Result<R> {
        let mut garbage = Garbage::default();
        let (result, generation) = {
            let mut guard = self.state.write().unwrap_or_else(PoisonError::into_inner);
            let result = f(&mut guard, &mut garbage);
            if result.is_ok() {
                guard.generation += 1;
            }
            (result, guard.generation)
        };
        let value = result?;
        if let Some(disk) = &self.disk {
            disk.save(&self.state, generation).await.map_err(|e| {
                tracing::error!(error = %e, "sandbox: writing index failed");
                s3_error!(InternalError, "failed to persist sandbox index")
            })?;
            disk.remove_blobs(garbage.blobs).await;
        }
        Ok(value)
    }

    /// [`Store::mutate`] for a change that references a freshly written blob:
    /// when `f` rejects the change the blob is deleted again.
    pub async fn mutate_with_blob<R>(
        &self,
        blob: Option<String>,
        f: impl FnOnce(&mut State, &mut Garbage) -> S3Result<R>,
    ) -> S3Result<R> {
        let mut rejected = false;
        let result = self
            .mutate(|st, garbage| {
                let r = f(st, garbage);
                rejected = r.is_err();
                r
            })
            .await;
        if rejected {
            self.discard_blob(blob).await;
        }
        result
    }

    /// Writes a body to its own blob file (data-dir mode only) before the
    /// version referencing it is committed.
    pub async fn put_blob(&self, body: &Bytes) -> S3Result<Option<String>> {
        let Some(disk) = &self.disk else {
            return Ok(None);
        };
        if body.is_empty() {
            return Ok(None);
        }
        disk.write_blob(body.clone()).await.map(Some).map_err(|e| {
            tracing::error!(error = %e, "sandbox: writing blob failed");
            s3_error!(InternalError, "failed to store object data")
        })
    }

    /// Like [`Store::put_blob`] but may hard-link an existing blob instead of
    /// rewriting the bytes.
    pub async fn copy_blob(&self, source: Option<&str>, body: &Bytes) -> S3Result<Option<String>> {
        let Some(disk) = &self.disk else {
            return Ok(None);
        };
        if let Some(src) = source {
            if let Ok(id) = disk.link_blob(src).await {
                return Ok(Some(id));
            }
        }
        self.put_blob(body).await
    }

    /// Drops a blob written for a mutation that was then rejected.
    pub async fn discard_blob(&self, blob: Option<String>) {
        if let (Some(disk), Some(blob)) = (&self.disk, blob) {
            disk.remove_blobs(vec![blob]).await;
        }
    }
}

pub(crate) fn new_version_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Upload ids start with the creation time so that ordering by id matches
/// ordering by initiation, which is how S3 lists uploads of the same key.
pub(crate) fn new_upload_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:024x}{}", uuid::Uuid::new_v4().simple())
}

/// One replication rule for [`Seeder::replicate`]: everything under
/// `prefix` (delete markers too) to `destination`.
#[derive(Debug, Clone)]
pub struct SeedReplication {
    pub role: String,
    pub id: String,
    pub prefix: String,
    pub destination: String,
}

/// Writes demo and fixture data straight into a sandbox's store, as the
/// matching requests would leave it, without going through the S3 API.
#[derive(Clone)]
pub struct Seeder {
    store: std::sync::Arc<Store>,
}

impl Seeder {
    pub(crate) fn new(store: std::sync::Arc<Store>) -> Seeder {
        Seeder { store }
    }

    /// Create `name` (kept as it is when it exists), with versioning on when
    /// `versioned`.
    pub async fn bucket(&self, name: &str, versioned: bool) -> anyhow::Result<()> {
        let name = name.to_owned();
        self.store
            .mutate(move |st, _| {
                let b = st
                    .buckets
                    .entry(name)
                    .or_insert_with(|| Bucket::new(super::util::now_secs()));
                if versioned {
                    b.versioning = Versioning::Enabled;
                }
                Ok(())
            })
            .await
            .map_err(seed_error)
    }

    /// A new version of `key` (the null version where versioning is off)
    /// holding `body`, as a PutObject with only a content type would.
    pub async fn object(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: Option<&str>,
    ) -> anyhow::Result<()> {
        let body = Bytes::from(body);
        let data = ObjectData {
            size: body.len() as u64,
            etag: super::util::md5_hex(&body).0,
            attrs: Attributes {
                content_type: content_type.map(str::to_owned),
                ..Attributes::default()
            },
            checksum: None,
            parts: Vec::new(),
            blob: self.store.put_blob(&body).await.map_err(seed_error)?,
            restored_until: None,
            body,
        };
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        self.store
            .mutate_with_blob(data.blob.clone(), move |st, garbage| {
                let b = st.bucket_mut(&bucket)?;
                let mut data = data;
                super::sse::resolve_encryption(b, &mut data.attrs.sse);
                let version = ObjectVersion {
                    version_id: b.next_version_id(),
                    last_modified: super::util::now_secs(),
                    data: Some(data),
                };
                b.push_version(&key, version, garbage);
                Ok(())
            })
            .await
            .map_err(seed_error)
    }

    /// A delete marker on `key` (a versioned bucket), as DeleteObject without
    /// a version id writes.
    pub async fn delete_marker(&self, bucket: &str, key: &str) -> anyhow::Result<()> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        self.store
            .mutate(move |st, garbage| {
                let b = st.bucket_mut(&bucket)?;
                if b.versioning == Versioning::Unset {
                    return Err(s3_error!(
                        InvalidRequest,
                        "a delete marker needs a versioned bucket"
                    ));
                }
                let marker = ObjectVersion {
                    version_id: b.next_version_id(),
                    last_modified: super::util::now_secs(),
                    data: None,
                };
                b.push_version(&key, marker, garbage);
                Ok(())
            })
            .await
            .map_err(seed_error)
    }

    /// The bucket's replication configuration: one enabled rule.
    pub async fn replicate(&self, bucket: &str, rule: SeedReplication) -> anyhow::Result<()> {
        use s3s::dto::{
            DeleteMarkerReplication, DeleteMarkerReplicationStatus, Destination, ReplicationRule,
            ReplicationRuleFilter, ReplicationRuleStatus,
        };
        let config = ReplicationConfiguration {
            role: rule.role,
            rules: vec![ReplicationRule {
                delete_marker_replication: Some(DeleteMarkerReplication {
                    status: Some(DeleteMarkerReplicationStatus::from_static(
                        DeleteMarkerReplicationStatus::ENABLED,
                    )),
                }),
                destination: Destination {
                    bucket: format!("arn:aws:s3:::{}", rule.destination),
                    ..Destination::default()
                },
                existing_object_replication: None,
                filter: Some(ReplicationRuleFilter {
                    prefix: Some(rule.prefix),
                    ..ReplicationRuleFilter::default()
                }),
                id: Some(rule.id),
                prefix: None,
                priority: Some(1),
                source_selection_criteria: None,
                status: ReplicationRuleStatus::from_static(ReplicationRuleStatus::ENABLED),
            }],
        };
        let bucket = bucket.to_owned();
        self.store
            .mutate(move |st, _| {
                let b = st.bucket_mut(&bucket)?;
                if b.versioning != Versioning::Enabled {
                    return Err(s3_error!(
                        InvalidRequest,
                        "Versioning must be 'Enabled' on the bucket to apply a replication configuration"
                    ));
                }
                b.replication = Some(config);
                Ok(())
            })
            .await
            .map_err(seed_error)
    }
}

fn seed_error(e: s3s::S3Error) -> anyhow::Error {
    anyhow::anyhow!("seeding the sandbox: {}", e.message().unwrap_or("failed"))
}
