//! DeleteObject and DeleteObjects, with conditional deletes (`If-Match`,
//! `<ETag>`) and Object Lock protection.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::object_lock::check_version_deletable;
use super::service::SandboxS3;
use super::store::{Bucket, Garbage, ObjectVersion, Versioning, NULL_VERSION};
use super::util::{etag_matches, now_secs, precondition_failed};

struct DeleteRequest<'a> {
    key: &'a str,
    version_id: Option<&'a str>,
    if_match: Option<&'a ETagCondition>,
    bypass_governance: bool,
}

struct DeleteResult {
    delete_marker: bool,
    version_id: Option<String>,
}

/// AWS documents that "conditional delete evaluations only apply to the
/// current version of the object". We read that literally: the ETag is
/// compared with the key's current version even when a versionId names an
/// older one, so a mismatch there is a 412 whichever version was addressed.
/// No current object (missing key, or a delete marker on top) is a 404.
fn check_delete_condition(
    bucket: &Bucket,
    key: &str,
    cond: Option<&ETagCondition>,
) -> S3Result<()> {
    let Some(cond) = cond else {
        return Ok(());
    };
    let current = bucket
        .latest(key)
        .and_then(|v| v.data.as_ref())
        .ok_or_else(|| s3_error!(NoSuchKey, "The specified key does not exist."))?;
    if !etag_matches(cond, &current.etag) {
        return Err(precondition_failed());
    }
    Ok(())
}

/// DeleteObjects carries the condition as an `<ETag>` element, where `*`
/// means "any existing object" as in the header.
fn etag_condition(etag: ETag) -> ETagCondition {
    if etag.value() == "*" {
        ETagCondition::Any
    } else {
        ETagCondition::ETag(etag)
    }
}

fn check_version_id(id: &str) -> S3Result<()> {
    if id != NULL_VERSION && uuid::Uuid::try_parse(id).is_err() {
        return Err(s3_error!(InvalidArgument, "Invalid version id specified"));
    }
    Ok(())
}

/// DeleteObject semantics shared with DeleteObjects.
fn delete_one(
    bucket: &mut Bucket,
    req: &DeleteRequest<'_>,
    garbage: &mut Garbage,
) -> S3Result<DeleteResult> {
    check_delete_condition(bucket, req.key, req.if_match)?;
    if let Some(id) = req.version_id {
        check_version_id(id)?;
        if let Some(version) = bucket.version(req.key, id) {
            check_version_deletable(version, now_secs(), req.bypass_governance)?;
        }
        let removed = bucket.remove_version(req.key, id, garbage);
        return Ok(DeleteResult {
            delete_marker: removed.is_some_and(|v| v.is_delete_marker()),
            version_id: Some(id.to_owned()),
        });
    }
    match bucket.versioning {
        Versioning::Unset => {
            bucket.remove_key(req.key, garbage);
            Ok(DeleteResult {
                delete_marker: false,
                version_id: None,
            })
        }
        // Object Lock never stops this: a delete marker removes nothing.
        Versioning::Enabled | Versioning::Suspended => {
            let id = bucket.next_version_id();
            let marker = ObjectVersion {
                version_id: id.clone(),
                last_modified: now_secs(),
                data: None,
            };
            bucket.push_version(req.key, marker, garbage);
            Ok(DeleteResult {
                delete_marker: true,
                version_id: Some(id),
            })
        }
    }
}

/// A `<Deleted>` entry names the version and the marker the way S3 does.
fn deleted_entry(object: ObjectIdentifier, result: DeleteResult) -> DeletedObject {
    let (version_id, marker_version) = match (&object.version_id, result.delete_marker) {
        (Some(_), true) => (result.version_id.clone(), result.version_id),
        (Some(_), false) => (result.version_id, None),
        (None, true) => (None, result.version_id),
        (None, false) => (None, None),
    };
    DeletedObject {
        delete_marker: result.delete_marker.then_some(true),
        delete_marker_version_id: marker_version,
        key: Some(object.key),
        version_id,
    }
}

fn error_entry(object: ObjectIdentifier, err: &s3s::S3Error) -> Error {
    Error {
        code: Some(err.code().as_str().to_owned()),
        key: Some(object.key),
        message: err.message().map(str::to_owned),
        version_id: object.version_id,
    }
}

impl SandboxS3 {
    pub(crate) async fn op_delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let input = req.input;
        let result = self
            .store
            .mutate(move |st, garbage| {
                let bucket = st.bucket_mut(&input.bucket)?;
                let request = DeleteRequest {
                    key: &input.key,
                    version_id: input.version_id.as_deref(),
                    if_match: input.if_match.as_ref(),
                    bypass_governance: input.bypass_governance_retention.unwrap_or(false),
                };
                delete_one(bucket, &request, garbage)
            })
            .await?;
        Ok(S3Response::new(DeleteObjectOutput {
            delete_marker: result.delete_marker.then_some(true),
            version_id: result.version_id,
            request_charged: None,
        }))
    }

    pub(crate) async fn op_delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = req.input;
        let quiet = input.delete.quiet.unwrap_or(false);
        let objects = input.delete.objects;
        // XML 1.0 cannot carry most control characters, even as `&#x1;`:
        // S3 refuses such a body whole.
        let xml_unsafe = |k: &str| {
            k.chars().any(|c| {
                (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
            })
        };
        if objects.len() > 1000 || objects.iter().any(|o| xml_unsafe(&o.key)) {
            return Err(s3_error!(MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema"));
        }
        let bypass_governance = input.bypass_governance_retention.unwrap_or(false);
        let bucket_name = input.bucket;
        let (deleted, errors) = self
            .store
            .mutate(move |st, garbage| {
                let bucket = st.bucket_mut(&bucket_name)?;
                let mut deleted = Vec::new();
                let mut errors = Vec::new();
                for mut object in objects {
                    let if_match = object.e_tag.take().map(etag_condition);
                    let request = DeleteRequest {
                        key: &object.key,
                        version_id: object.version_id.as_deref(),
                        if_match: if_match.as_ref(),
                        bypass_governance,
                    };
                    match delete_one(bucket, &request, garbage) {
                        Ok(_) if quiet => {}
                        Ok(result) => deleted.push(deleted_entry(object, result)),
                        Err(e) => errors.push(error_entry(object, &e)),
                    }
                }
                Ok((deleted, errors))
            })
            .await?;
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            request_charged: None,
        }))
    }
}
