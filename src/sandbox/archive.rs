//! Archived storage classes (GLACIER, DEEP_ARCHIVE): their data cannot be
//! read or copied until RestoreObject has made a temporary copy available.
//! The sandbox restores at once instead of after hours.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::server::StatusOverride;
use super::service::{http_date, readable_version, SandboxS3};
use super::store::{Attributes, ObjectData};
use super::util::now_secs;

const DAY: i64 = 86_400;

/// GLACIER_IR is an archive class too, but with instant retrieval: readable.
fn is_archived(attrs: &Attributes) -> bool {
    matches!(
        attrs.storage_class.as_deref(),
        Some(StorageClass::GLACIER | StorageClass::DEEP_ARCHIVE)
    )
}

fn restored(data: &ObjectData, now: i64) -> bool {
    data.restored_until.is_some_and(|until| until > now)
}

fn readable(data: &ObjectData, now: i64) -> bool {
    !is_archived(&data.attrs) || restored(data, now)
}

/// GetObject of an archived object that has not been restored.
pub(crate) fn check_readable(data: &ObjectData) -> S3Result<()> {
    if readable(data, now_secs()) {
        return Ok(());
    }
    Err(s3_error!(
        InvalidObjectState,
        "The operation is not valid for the object's storage class"
    ))
}

/// CopyObject / UploadPartCopy from an archived object that has not been
/// restored; S3 words this one differently.
pub(crate) fn check_copy_source_readable(data: &ObjectData) -> S3Result<()> {
    if readable(data, now_secs()) {
        return Ok(());
    }
    Err(s3_error!(
        InvalidObjectState,
        "Operation is not valid for the source object's storage class"
    ))
}

/// The `x-amz-restore` header of HEAD and GET while a restored copy exists.
pub(crate) fn restore_header(data: &ObjectData) -> Option<String> {
    let until = data.restored_until.filter(|u| *u > now_secs())?;
    Some(format!(
        "ongoing-request=\"false\", expiry-date=\"{}\"",
        http_date(until)
    ))
}

/// S3 keeps a restored copy for the requested days and then until the next
/// midnight UTC.
fn restore_expiry(now: i64, days: i32) -> i64 {
    let end = now.saturating_add(i64::from(days).saturating_mul(DAY));
    (end / DAY + 1) * DAY
}

impl SandboxS3 {
    pub(crate) async fn op_restore_object(
        &self,
        req: S3Request<RestoreObjectInput>,
    ) -> S3Result<S3Response<RestoreObjectOutput>> {
        let input = req.input;
        // The Days element is required for these classes; S3's default for a
        // missing one is not documented, so one day it is.
        let days = input
            .restore_request
            .as_ref()
            .and_then(|r| r.days)
            .unwrap_or(1);
        if days < 1 {
            return Err(s3_error!(
                InvalidArgument,
                "The restore request days must be a positive integer"
            ));
        }
        let already_restored = self
            .store
            .mutate(move |st, _| {
                let b = st.bucket_mut(&input.bucket)?;
                readable_version(b, &input.key, input.version_id.as_deref())?;
                let data = b
                    .version_mut(&input.key, input.version_id.as_deref())
                    .and_then(|v| v.data.as_mut())
                    .ok_or_else(|| s3_error!(NoSuchKey))?;
                if !is_archived(&data.attrs) {
                    return Err(s3_error!(
                        InvalidObjectState,
                        "Restore is not allowed for the object's current storage class"
                    ));
                }
                let now = now_secs();
                let was_restored = restored(data, now);
                data.restored_until = Some(restore_expiry(now, days));
                Ok(was_restored)
            })
            .await?;
        // 202 for a new restore, 200 when only the expiry of a restored copy
        // changes.
        let mut resp = S3Response::new(RestoreObjectOutput::default());
        if !already_restored {
            resp.extensions
                .insert(StatusOverride(http::StatusCode::ACCEPTED));
        }
        Ok(resp)
    }
}
