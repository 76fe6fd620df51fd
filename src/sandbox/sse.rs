//! Server-side encryption: what a request asks for, the bucket default, what
//! responses report, and which ETags encryption makes opaque.
//!
//! Nothing is encrypted for real; the sandbox only records the settings and
//! answers like S3 does with them.

use s3s::dto::{ServerSideEncryption, ServerSideEncryptionConfiguration};

use super::service::REGION;
use super::store::{Bucket, Sse};

/// Account id used in the KMS key ARNs the sandbox reports (the AWS
/// documentation's example account).
const ACCOUNT_ID: &str = "123456789012";

/// Key id of the `aws/s3` AWS managed key that S3 uses when SSE-KMS is asked
/// for without a key.
const AWS_MANAGED_KEY_ID: &str = "a3f1b2c4-5d6e-4f70-8a9b-0c1d2e3f4a5b";

pub(crate) struct SseInput {
    pub algorithm: Option<ServerSideEncryption>,
    pub kms_key_id: Option<String>,
    pub kms_context: Option<String>,
    pub bucket_key_enabled: Option<bool>,
    pub customer_algorithm: Option<String>,
    pub customer_key_md5: Option<String>,
}

impl SseInput {
    pub fn into_sse(self) -> Option<Box<Sse>> {
        let sse = Sse {
            algorithm: self.algorithm.map(|a| a.as_str().to_owned()),
            kms_key_id: self.kms_key_id,
            kms_context: self.kms_context,
            bucket_key_enabled: self.bucket_key_enabled,
            customer_algorithm: self.customer_algorithm,
            customer_key_md5: self.customer_key_md5,
        };
        let empty = sse.algorithm.is_none()
            && sse.kms_key_id.is_none()
            && sse.kms_context.is_none()
            && sse.bucket_key_enabled.is_none()
            && sse.customer_algorithm.is_none()
            && sse.customer_key_md5.is_none();
        (!empty).then(|| Box::new(sse))
    }
}

/// Settles the encryption of a new object or upload: the request's own
/// settings, else the bucket default, with KMS key ids reported as ARNs.
pub(crate) fn resolve_encryption(bucket: &Bucket, sse: &mut Option<Box<Sse>>) {
    apply_default_encryption(bucket.encryption.as_ref(), sse);
    if let Some(sse) = sse.as_deref_mut() {
        if is_kms(sse) {
            sse.kms_key_id = Some(kms_key_arn(sse.kms_key_id.as_deref()));
        }
    }
}

/// Without explicit SSE headers S3 applies the bucket's default encryption.
fn apply_default_encryption(
    config: Option<&ServerSideEncryptionConfiguration>,
    sse: &mut Option<Box<Sse>>,
) {
    if sse
        .as_ref()
        .is_some_and(|s| s.algorithm.is_some() || s.customer_algorithm.is_some())
    {
        return;
    }
    let Some(rule) = config.and_then(|c| c.rules.first()) else {
        return;
    };
    if let Some(default) = &rule.apply_server_side_encryption_by_default {
        let sse = sse.get_or_insert_with(Box::default);
        sse.algorithm = Some(default.sse_algorithm.as_str().to_owned());
        sse.kms_key_id.clone_from(&default.kms_master_key_id);
        sse.bucket_key_enabled = rule.bucket_key_enabled;
    }
}

fn is_kms(sse: &Sse) -> bool {
    matches!(
        sse.algorithm.as_deref(),
        Some(ServerSideEncryption::AWS_KMS | ServerSideEncryption::AWS_KMS_DSSE)
    )
}

/// S3 reports the key as a full ARN, whichever form the request named it in.
/// An alias would be resolved to its key by KMS; the sandbox has no KMS and
/// reports the alias ARN instead.
fn kms_key_arn(key: Option<&str>) -> String {
    match key {
        Some(arn) if arn.starts_with("arn:") => arn.to_owned(),
        Some(alias) if alias.starts_with("alias/") => {
            format!("arn:aws:kms:{REGION}:{ACCOUNT_ID}:{alias}")
        }
        Some(id) => format!("arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{id}"),
        None => format!("arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{AWS_MANAGED_KEY_ID}"),
    }
}

/// SSE-KMS, DSSE-KMS and SSE-C objects (and their parts) get ETags that are
/// not the MD5 of their data; unencrypted and SSE-S3 ones keep the MD5.
pub(crate) fn has_opaque_etag(sse: Option<&Sse>) -> bool {
    sse.is_some_and(|s| is_kms(s) || s.customer_algorithm.is_some())
}

/// An ETag in S3's format that says nothing about the data, as the binary
/// form (for multipart ETags) and hex.
pub(crate) fn opaque_etag() -> (String, [u8; 16]) {
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    (hex::encode(bytes), bytes)
}

pub(crate) struct SseOutput {
    pub algorithm: Option<ServerSideEncryption>,
    pub kms_key_id: Option<String>,
    pub kms_context: Option<String>,
    pub bucket_key_enabled: Option<bool>,
    pub customer_algorithm: Option<String>,
    pub customer_key_md5: Option<String>,
}

pub(crate) fn sse_output(sse: Option<&Sse>) -> SseOutput {
    static NONE: Sse = Sse {
        algorithm: None,
        kms_key_id: None,
        kms_context: None,
        bucket_key_enabled: None,
        customer_algorithm: None,
        customer_key_md5: None,
    };
    let sse = sse.unwrap_or(&NONE);
    SseOutput {
        algorithm: sse.algorithm.clone().map(ServerSideEncryption::from),
        kms_key_id: sse.kms_key_id.clone(),
        kms_context: sse.kms_context.clone(),
        bucket_key_enabled: sse.bucket_key_enabled,
        customer_algorithm: sse.customer_algorithm.clone(),
        customer_key_md5: sse.customer_key_md5.clone(),
    }
}
