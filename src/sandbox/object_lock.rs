//! Object Lock: the bucket configuration (with its default retention), the
//! retention and legal hold of each version, and what S3 refuses because of
//! them.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::service::{readable_version, SandboxS3};
use super::store::{
    Bucket, DefaultRetention, ObjectLock, ObjectVersion, Versioning, COMPLIANCE, GOVERNANCE,
};
use super::util::{now_secs, timestamp, timestamp_secs, ChecksumInput};

const PUT_OBJECT_NEEDS_DIGEST: &str =
    "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters";
const PUT_PART_NEEDS_DIGEST: &str =
    "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Part requests with Object Lock parameters";

fn missing_lock_configuration() -> s3s::S3Error {
    s3_error!(
        InvalidRequest,
        "Bucket is missing Object Lock Configuration"
    )
}

fn protected() -> s3s::S3Error {
    s3_error!(
        AccessDenied,
        "Access Denied because object protected by object lock."
    )
}

/// The `x-amz-object-lock-*` headers of PutObject, CopyObject and
/// CreateMultipartUpload.
pub(crate) struct LockInput {
    pub mode: Option<ObjectLockMode>,
    pub retain_until: Option<Timestamp>,
    pub legal_hold: Option<ObjectLockLegalHoldStatus>,
}

impl LockInput {
    /// Validates the headers the way S3 does before looking at the bucket.
    pub fn into_lock(self, now: i64) -> S3Result<Option<Box<ObjectLock>>> {
        let mode = self.mode.map(|m| m.as_str().to_owned());
        let retain_until = match &self.retain_until {
            None => None,
            Some(ts) => Some(timestamp_secs(ts).ok_or_else(|| {
                s3_error!(
                    InvalidArgument,
                    "The retain until date must be provided in ISO 8601 format"
                )
            })?),
        };
        let legal_hold = self.legal_hold.map(|h| parse_legal_hold(&h)).transpose()?;
        let lock = ObjectLock {
            mode,
            retain_until,
            legal_hold,
        };
        validate_retention(&lock, now)?;
        Ok((lock != ObjectLock::default()).then(|| Box::new(lock)))
    }
}

fn parse_legal_hold(status: &ObjectLockLegalHoldStatus) -> S3Result<bool> {
    match status.as_str() {
        ObjectLockLegalHoldStatus::ON => Ok(true),
        ObjectLockLegalHoldStatus::OFF => Ok(false),
        _ => Err(s3_error!(
            InvalidArgument,
            "Legal Hold must be either of 'ON' or 'OFF'"
        )),
    }
}

fn validate_retention(lock: &ObjectLock, now: i64) -> S3Result<()> {
    match (&lock.mode, lock.retain_until) {
        (None, None) => Ok(()),
        (Some(_), None) | (None, Some(_)) => Err(s3_error!(
            InvalidArgument,
            "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"
        )),
        (Some(mode), Some(_)) if mode != GOVERNANCE && mode != COMPLIANCE => {
            Err(s3_error!(InvalidArgument, "Unknown wormMode directive."))
        }
        (Some(_), Some(until)) if until <= now => Err(s3_error!(
            InvalidArgument,
            "The retain until date must be in the future!"
        )),
        (Some(_), Some(_)) => Ok(()),
    }
}

/// Lock settings are only accepted by buckets created with Object Lock.
pub(crate) fn check_lock_allowed(bucket: &Bucket, lock: Option<&ObjectLock>) -> S3Result<()> {
    if lock.is_some() && !bucket.object_lock {
        return Err(missing_lock_configuration());
    }
    Ok(())
}

/// A new version without its own retention gets the bucket's default.
pub(crate) fn apply_default_retention(
    bucket: &Bucket,
    lock: &mut Option<Box<ObjectLock>>,
    now: i64,
) {
    let Some(rule) = &bucket.lock_rule else {
        return;
    };
    let lock = lock.get_or_insert_with(Box::default);
    if lock.mode.is_none() {
        lock.mode = Some(rule.mode.clone());
        lock.retain_until = Some(rule.retain_until(now));
    }
}

/// Whether uploads into `bucket` carry Object Lock parameters, explicit or
/// from the bucket's default retention.
pub(crate) fn has_lock_parameters(bucket: &Bucket, lock: Option<&ObjectLock>) -> bool {
    lock.is_some() || bucket.lock_rule.is_some()
}

pub(crate) enum DigestFor {
    Object,
    Part,
}

/// S3 insists on an integrity header for data written with Object Lock
/// parameters; an x-amz-content-sha256 does not count.
pub(crate) fn require_digest(
    kind: DigestFor,
    content_md5: Option<&str>,
    checksums: &ChecksumInput,
) -> S3Result<()> {
    if content_md5.is_some() || !checksums.values.is_empty() {
        return Ok(());
    }
    let message = match kind {
        DigestFor::Object => PUT_OBJECT_NEEDS_DIGEST,
        DigestFor::Part => PUT_PART_NEEDS_DIGEST,
    };
    Err(s3_error!(InvalidRequest, "{message}"))
}

/// Permanently deleting a version is refused while it is under a legal hold
/// or an unexpired retention (GOVERNANCE can be bypassed on request).
pub(crate) fn check_version_deletable(
    version: &ObjectVersion,
    now: i64,
    bypass_governance: bool,
) -> S3Result<()> {
    let lock = version.data.as_ref().and_then(|d| d.attrs.lock.as_deref());
    if lock.is_some_and(|l| l.protects(now, bypass_governance)) {
        return Err(protected());
    }
    Ok(())
}

/// The lock headers of HEAD and GET.
pub(crate) struct LockOutput {
    pub mode: Option<ObjectLockMode>,
    pub retain_until: Option<Timestamp>,
    pub legal_hold: Option<ObjectLockLegalHoldStatus>,
}

pub(crate) fn lock_output(lock: Option<&ObjectLock>) -> LockOutput {
    LockOutput {
        mode: lock.and_then(|l| l.mode.clone()).map(ObjectLockMode::from),
        retain_until: lock.and_then(|l| l.retain_until).map(timestamp),
        legal_hold: lock.and_then(|l| l.legal_hold).map(legal_hold_status),
    }
}

fn legal_hold_status(on: bool) -> ObjectLockLegalHoldStatus {
    ObjectLockLegalHoldStatus::from_static(if on {
        ObjectLockLegalHoldStatus::ON
    } else {
        ObjectLockLegalHoldStatus::OFF
    })
}

fn default_retention_from_dto(rule: Option<ObjectLockRule>) -> S3Result<Option<DefaultRetention>> {
    let Some(retention) = rule.and_then(|r| r.default_retention) else {
        return Ok(None);
    };
    let malformed = || {
        s3_error!(
            MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema"
        )
    };
    let mode = retention.mode.ok_or_else(malformed)?.as_str().to_owned();
    if mode != GOVERNANCE && mode != COMPLIANCE {
        return Err(malformed());
    }
    match (retention.days, retention.years) {
        (Some(_), Some(_)) | (None, None) => return Err(malformed()),
        (Some(n), None) | (None, Some(n)) if n <= 0 => {
            return Err(s3_error!(
                InvalidArgument,
                "Default retention period must be a positive integer value"
            ))
        }
        _ => {}
    }
    Ok(Some(DefaultRetention {
        mode,
        days: retention.days,
        years: retention.years,
    }))
}

fn default_retention_to_dto(rule: &DefaultRetention) -> ObjectLockRule {
    ObjectLockRule {
        default_retention: Some(s3s::dto::DefaultRetention {
            days: rule.days,
            mode: Some(ObjectLockRetentionMode::from(rule.mode.clone())),
            years: rule.years,
        }),
    }
}

/// Whether `new` may replace the retention `old` of a version without a
/// governance bypass: only extending (or making COMPLIANCE) is free.
fn retention_change_allowed(old: &ObjectLock, new: &ObjectLock, now: i64, bypass: bool) -> bool {
    if !old.retention_active(now) {
        return true;
    }
    let keeps_date = match (old.retain_until, new.retain_until) {
        (Some(old_until), Some(new_until)) => new_until >= old_until,
        _ => false,
    };
    let old_compliance = old.mode.as_deref() == Some(COMPLIANCE);
    let keeps_mode = !old_compliance || new.mode.as_deref() == Some(COMPLIANCE);
    (keeps_date && keeps_mode) || (bypass && !old_compliance)
}

impl SandboxS3 {
    pub(crate) async fn op_get_object_lock_configuration(
        &self,
        req: S3Request<GetObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<GetObjectLockConfigurationOutput>> {
        let (enabled, rule) = self.store.read(|st| {
            st.bucket(&req.input.bucket)
                .map(|b| (b.object_lock, b.lock_rule.clone()))
        })?;
        if !enabled {
            return Err(s3_error!(
                ObjectLockConfigurationNotFoundError,
                "Object Lock configuration does not exist for this bucket"
            ));
        }
        Ok(S3Response::new(GetObjectLockConfigurationOutput {
            object_lock_configuration: Some(ObjectLockConfiguration {
                object_lock_enabled: Some(ObjectLockEnabled::from_static(
                    ObjectLockEnabled::ENABLED,
                )),
                rule: rule.as_ref().map(default_retention_to_dto),
            }),
        }))
    }

    /// Also enables Object Lock on an existing bucket, which S3 allows once
    /// versioning is enabled.
    pub(crate) async fn op_put_object_lock_configuration(
        &self,
        req: S3Request<PutObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<PutObjectLockConfigurationOutput>> {
        let input = req.input;
        let config = input.object_lock_configuration.unwrap_or_default();
        let enabled = config
            .object_lock_enabled
            .as_ref()
            .is_some_and(|e| e.as_str() == ObjectLockEnabled::ENABLED);
        if !enabled {
            return Err(s3_error!(
                MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema"
            ));
        }
        let rule = default_retention_from_dto(config.rule)?;
        let name = input.bucket;
        self.store
            .mutate(move |st, _| {
                let bucket = st.bucket_mut(&name)?;
                if !bucket.object_lock && bucket.versioning != Versioning::Enabled {
                    return Err(s3_error!(
                        InvalidBucketState,
                        "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
                    ));
                }
                bucket.object_lock = true;
                bucket.lock_rule = rule;
                Ok(())
            })
            .await?;
        Ok(S3Response::new(PutObjectLockConfigurationOutput::default()))
    }

    /// The lock of the version a retention / legal-hold request addresses.
    fn version_lock(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> S3Result<Option<ObjectLock>> {
        self.store.read(|st| {
            let b = st.bucket(bucket)?;
            if !b.object_lock {
                return Err(missing_lock_configuration());
            }
            let v = readable_version(b, key, version_id)?;
            Ok(v.data
                .as_ref()
                .and_then(|d| d.attrs.lock.as_deref().cloned()))
        })
    }

    /// Applies `change` to the lock of one version.
    async fn update_lock(
        &self,
        bucket: String,
        key: String,
        version_id: Option<String>,
        change: impl FnOnce(&mut ObjectLock) -> S3Result<()> + Send + 'static,
    ) -> S3Result<()> {
        self.store
            .mutate(move |st, _| {
                let b = st.bucket_mut(&bucket)?;
                if !b.object_lock {
                    return Err(missing_lock_configuration());
                }
                readable_version(b, &key, version_id.as_deref())?;
                let data = b
                    .version_mut(&key, version_id.as_deref())
                    .and_then(|v| v.data.as_mut())
                    .ok_or_else(|| s3_error!(NoSuchKey))?;
                let mut lock = data.attrs.lock.as_deref().cloned().unwrap_or_default();
                change(&mut lock)?;
                data.attrs.lock = (lock != ObjectLock::default()).then(|| Box::new(lock));
                Ok(())
            })
            .await
    }

    pub(crate) async fn op_get_object_retention(
        &self,
        req: S3Request<GetObjectRetentionInput>,
    ) -> S3Result<S3Response<GetObjectRetentionOutput>> {
        let i = req.input;
        let lock = self.version_lock(&i.bucket, &i.key, i.version_id.as_deref())?;
        let Some((mode, until)) = lock.and_then(|l| l.mode.zip(l.retain_until)) else {
            return Err(s3_error!(
                NoSuchObjectLockConfiguration,
                "The specified object does not have a ObjectLock configuration"
            ));
        };
        Ok(S3Response::new(GetObjectRetentionOutput {
            retention: Some(ObjectLockRetention {
                mode: Some(ObjectLockRetentionMode::from(mode)),
                retain_until_date: Some(timestamp(until)),
            }),
        }))
    }

    pub(crate) async fn op_put_object_retention(
        &self,
        req: S3Request<PutObjectRetentionInput>,
    ) -> S3Result<S3Response<PutObjectRetentionOutput>> {
        let i = req.input;
        let now = now_secs();
        let retention = i.retention.unwrap_or_default();
        let requested = LockInput {
            mode: retention
                .mode
                .map(|m| ObjectLockMode::from(m.as_str().to_owned())),
            retain_until: retention.retain_until_date,
            legal_hold: None,
        }
        .into_lock(now)?
        .map(|l| *l)
        .unwrap_or_default();
        let bypass = i.bypass_governance_retention.unwrap_or(false);
        self.update_lock(i.bucket, i.key, i.version_id, move |lock| {
            if !retention_change_allowed(lock, &requested, now, bypass) {
                return Err(protected());
            }
            lock.mode = requested.mode;
            lock.retain_until = requested.retain_until;
            Ok(())
        })
        .await?;
        Ok(S3Response::new(PutObjectRetentionOutput::default()))
    }

    pub(crate) async fn op_get_object_legal_hold(
        &self,
        req: S3Request<GetObjectLegalHoldInput>,
    ) -> S3Result<S3Response<GetObjectLegalHoldOutput>> {
        let i = req.input;
        let lock = self.version_lock(&i.bucket, &i.key, i.version_id.as_deref())?;
        let Some(on) = lock.and_then(|l| l.legal_hold) else {
            return Err(s3_error!(
                NoSuchObjectLockConfiguration,
                "The specified object does not have a ObjectLock configuration"
            ));
        };
        Ok(S3Response::new(GetObjectLegalHoldOutput {
            legal_hold: Some(ObjectLockLegalHold {
                status: Some(legal_hold_status(on)),
            }),
        }))
    }

    pub(crate) async fn op_put_object_legal_hold(
        &self,
        req: S3Request<PutObjectLegalHoldInput>,
    ) -> S3Result<S3Response<PutObjectLegalHoldOutput>> {
        let i = req.input;
        let status = i
            .legal_hold
            .and_then(|h| h.status)
            .ok_or_else(|| s3_error!(MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema"))?;
        let on = parse_legal_hold(&status)?;
        self.update_lock(i.bucket, i.key, i.version_id, move |lock| {
            lock.legal_hold = Some(on);
            Ok(())
        })
        .await?;
        Ok(S3Response::new(PutObjectLegalHoldOutput::default()))
    }
}
