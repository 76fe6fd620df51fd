//! Bucket set-up calls used by the demo seeder and the test harness.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, DeleteMarkerReplication, DeleteMarkerReplicationStatus, Destination,
    ReplicationConfiguration, ReplicationRule, ReplicationRuleFilter, ReplicationRuleStatus,
    VersioningConfiguration,
};
use aws_sdk_s3::Client;

use super::error::{S3Error, S3Result};

pub async fn create_bucket(c: &Client, bucket: &str) -> S3Result<()> {
    match c.create_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = S3Error::from(e);
            match err.code.as_deref() {
                Some("BucketAlreadyOwnedByYou") | Some("BucketAlreadyExists") => Ok(()),
                _ => Err(err.context(format_args!("creating bucket {bucket:?}"))),
            }
        }
    }
}

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

/// One rule replicating everything under `prefix` to `dest_bucket`.
pub async fn put_replication_rule(
    c: &Client,
    bucket: &str,
    role: &str,
    id: &str,
    prefix: &str,
    dest_bucket: &str,
) -> S3Result<()> {
    let build_err =
        |e: aws_sdk_s3::error::BuildError| S3Error::new(super::ErrorKind::Other, e.to_string());
    let rule = ReplicationRule::builder()
        .id(id)
        .priority(1)
        .status(ReplicationRuleStatus::Enabled)
        .filter(ReplicationRuleFilter::builder().prefix(prefix).build())
        .delete_marker_replication(
            DeleteMarkerReplication::builder()
                .status(DeleteMarkerReplicationStatus::Enabled)
                .build(),
        )
        .destination(
            Destination::builder()
                .bucket(format!("arn:aws:s3:::{dest_bucket}"))
                .build()
                .map_err(build_err)?,
        )
        .build()
        .map_err(build_err)?;
    let cfg = ReplicationConfiguration::builder()
        .role(role)
        .rules(rule)
        .build()
        .map_err(build_err)?;
    c.put_bucket_replication()
        .bucket(bucket)
        .replication_configuration(cfg)
        .send()
        .await?;
    Ok(())
}

pub async fn put_bytes(
    c: &Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    content_type: Option<&str>,
) -> S3Result<()> {
    c.put_object()
        .bucket(bucket)
        .key(key)
        .set_content_type(content_type.map(str::to_string))
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| S3Error::from(e).context(format_args!("uploading s3://{bucket}/{key}")))?;
    Ok(())
}

pub async fn delete_key(c: &Client, bucket: &str, key: &str) -> S3Result<()> {
    c.delete_object().bucket(bucket).key(key).send().await?;
    Ok(())
}

/// The set-up calls above on one connection's home-region client.
#[derive(Clone, Debug)]
pub struct Admin {
    client: Client,
}

impl super::Connection {
    pub fn admin(&self) -> Admin {
        Admin {
            client: self.clients_for_region(&self.home_region()).meta,
        }
    }
}

impl Admin {
    pub async fn create_bucket(&self, bucket: &str) -> S3Result<()> {
        create_bucket(&self.client, bucket).await
    }

    pub async fn set_versioning(&self, bucket: &str, enabled: bool) -> S3Result<()> {
        set_versioning(&self.client, bucket, enabled).await
    }

    pub async fn put_replication_rule(
        &self,
        bucket: &str,
        role: &str,
        id: &str,
        prefix: &str,
        dest_bucket: &str,
    ) -> S3Result<()> {
        put_replication_rule(&self.client, bucket, role, id, prefix, dest_bucket).await
    }

    pub async fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: Option<&str>,
    ) -> S3Result<()> {
        put_bytes(&self.client, bucket, key, body, content_type).await
    }

    pub async fn delete_key(&self, bucket: &str, key: &str) -> S3Result<()> {
        delete_key(&self.client, bucket, key).await
    }
}
