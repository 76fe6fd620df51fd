//! Bucket set-up calls for the test harness (turning versioning on or off,
//! deleting a key behind the engine's back). The demo seeds the sandbox's
//! store directly; nothing in the crate calls these.

use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use aws_sdk_s3::Client;

use super::error::S3Result;

pub async fn set_versioning(c: &Client, bucket: &str, enabled: bool) -> S3Result<()> {
    let status = if enabled {
        BucketVersioningStatus::Enabled
    } else {
        BucketVersioningStatus::Suspended
    };
    c.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await?;
    Ok(())
}

pub async fn delete_key(c: &Client, bucket: &str, key: &str) -> S3Result<()> {
    c.delete_object().bucket(bucket).key(key).send().await?;
    Ok(())
}
