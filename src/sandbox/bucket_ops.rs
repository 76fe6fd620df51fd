//! Bucket-level operations and bucket configuration documents.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::service::{owner, readable_version, SandboxS3, OWNER_ID, OWNER_NAME, REGION};
use super::store::{Bucket, Versioning};
use super::util::{now_secs, timestamp};

fn full_control_acl() -> (Option<Owner>, Option<Grants>) {
    let grant = Grant {
        grantee: Some(Grantee {
            display_name: Some(OWNER_NAME.to_owned()),
            email_address: None,
            id: Some(OWNER_ID.to_owned()),
            type_: Type::from_static(Type::CANONICAL_USER),
            uri: None,
        }),
        permission: Some(Permission::from_static(Permission::FULL_CONTROL)),
    };
    (Some(owner()), Some(vec![grant]))
}

impl SandboxS3 {
    pub(crate) async fn op_list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = input
            .max_buckets
            .map_or(10_000, |m| usize::try_from(m).unwrap_or(0).clamp(1, 10_000));
        let after = input.continuation_token.clone();
        let (buckets, next) = self.store.read(|st| {
            let mut out = Vec::new();
            let mut next = None;
            let candidates = st
                .buckets
                .iter()
                .filter(|(name, _)| name.starts_with(&prefix))
                .filter(|(name, _)| after.as_ref().is_none_or(|a| name.as_str() > a.as_str()));
            for (name, bucket) in candidates {
                if out.len() == max {
                    next = out.last().and_then(|b: &s3s::dto::Bucket| b.name.clone());
                    break;
                }
                out.push(s3s::dto::Bucket {
                    bucket_region: Some(REGION.to_owned()),
                    creation_date: Some(timestamp(bucket.created)),
                    name: Some(name.clone()),
                });
            }
            (out, next)
        });
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            continuation_token: next,
            owner: Some(owner()),
            prefix: input.prefix,
        }))
    }

    pub(crate) async fn op_create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let input = req.input;
        let name = input.bucket;
        let location = format!("/{name}");
        self.store
            .mutate(move |st, _| {
                if st.buckets.contains_key(&name) {
                    return Err(s3_error!(BucketAlreadyOwnedByYou));
                }
                let mut bucket = Bucket::new(now_secs());
                if input.object_lock_enabled_for_bucket == Some(true) {
                    // S3 turns versioning on for object-lock buckets.
                    bucket.object_lock = true;
                    bucket.versioning = Versioning::Enabled;
                }
                bucket.ownership = input.object_ownership.map(|o| o.as_str().to_owned());
                st.buckets.insert(name, bucket);
                Ok(())
            })
            .await?;
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(location),
        }))
    }

    pub(crate) async fn op_head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.store
            .read(|st| st.bucket(&req.input.bucket).map(|_| ()))?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(REGION.to_owned()),
            ..Default::default()
        }))
    }

    pub(crate) async fn op_delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let name = req.input.bucket;
        self.store
            .mutate(move |st, _| {
                let bucket = st.bucket(&name)?;
                if !bucket.objects.is_empty() {
                    return Err(s3_error!(BucketNotEmpty));
                }
                st.buckets.remove(&name);
                Ok(())
            })
            .await?;
        Ok(S3Response::new(DeleteBucketOutput {}))
    }

    pub(crate) async fn op_get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.store
            .read(|st| st.bucket(&req.input.bucket).map(|_| ()))?;
        // An empty LocationConstraint is how S3 spells us-east-1.
        Ok(S3Response::new(GetBucketLocationOutput::default()))
    }

    pub(crate) async fn op_get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        let versioning = self
            .store
            .read(|st| st.bucket(&req.input.bucket).map(|b| b.versioning))?;
        let status = match versioning {
            Versioning::Unset => None,
            Versioning::Enabled => Some(BucketVersioningStatus::from_static(
                BucketVersioningStatus::ENABLED,
            )),
            Versioning::Suspended => Some(BucketVersioningStatus::from_static(
                BucketVersioningStatus::SUSPENDED,
            )),
        };
        Ok(S3Response::new(GetBucketVersioningOutput {
            mfa_delete: None,
            status,
        }))
    }

    pub(crate) async fn op_put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        let input = req.input;
        let wanted = match input
            .versioning_configuration
            .status
            .as_ref()
            .map(BucketVersioningStatus::as_str)
        {
            Some(BucketVersioningStatus::ENABLED) => Versioning::Enabled,
            Some(BucketVersioningStatus::SUSPENDED) => Versioning::Suspended,
            _ => {
                return Err(s3_error!(
                    MalformedXML,
                    "Versioning Status must be Enabled or Suspended"
                ))
            }
        };
        let name = input.bucket;
        self.store
            .mutate(move |st, _| {
                let bucket = st.bucket_mut(&name)?;
                if wanted == Versioning::Suspended && bucket.object_lock {
                    return Err(s3_error!(
                        InvalidBucketState,
                        "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed."
                    ));
                }
                if wanted == Versioning::Suspended && bucket.replication.is_some() {
                    return Err(s3_error!(
                        InvalidBucketState,
                        "A replication configuration is present on this bucket, so the versioning state cannot be changed."
                    ));
                }
                bucket.versioning = wanted;
                Ok(())
            })
            .await?;
        Ok(S3Response::new(PutBucketVersioningOutput::default()))
    }

    pub(crate) async fn op_get_bucket_replication(
        &self,
        req: S3Request<GetBucketReplicationInput>,
    ) -> S3Result<S3Response<GetBucketReplicationOutput>> {
        let config = self
            .store
            .read(|st| st.bucket(&req.input.bucket).map(|b| b.replication.clone()))?;
        let config = config.ok_or_else(|| {
            s3_error!(
                ReplicationConfigurationNotFoundError,
                "The replication configuration was not found"
            )
        })?;
        Ok(S3Response::new(GetBucketReplicationOutput {
            replication_configuration: Some(config),
        }))
    }

    pub(crate) async fn op_put_bucket_replication(
        &self,
        req: S3Request<PutBucketReplicationInput>,
    ) -> S3Result<S3Response<PutBucketReplicationOutput>> {
        let input = req.input;
        let name = input.bucket;
        let config = input.replication_configuration;
        if config.rules.is_empty() {
            return Err(s3_error!(
                MalformedXML,
                "A replication configuration needs at least one rule"
            ));
        }
        self.store
            .mutate(move |st, _| {
                let bucket = st.bucket_mut(&name)?;
                if bucket.versioning != Versioning::Enabled {
                    return Err(s3_error!(
                        InvalidRequest,
                        "Versioning must be 'Enabled' on the bucket to apply a replication configuration"
                    ));
                }
                bucket.replication = Some(config);
                Ok(())
            })
            .await?;
        Ok(S3Response::new(PutBucketReplicationOutput::default()))
    }

    pub(crate) async fn op_delete_bucket_replication(
        &self,
        req: S3Request<DeleteBucketReplicationInput>,
    ) -> S3Result<S3Response<DeleteBucketReplicationOutput>> {
        let name = req.input.bucket;
        self.store
            .mutate(move |st, _| {
                st.bucket_mut(&name)?.replication = None;
                Ok(())
            })
            .await?;
        Ok(S3Response::new(DeleteBucketReplicationOutput::default()))
    }

    pub(crate) async fn op_get_bucket_ownership_controls(
        &self,
        req: S3Request<GetBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<GetBucketOwnershipControlsOutput>> {
        let controls = self
            .store
            .read(|st| st.bucket(&req.input.bucket).map(|b| b.ownership.clone()))?;
        let ownership = controls.ok_or_else(|| {
            s3_error!(
                OwnershipControlsNotFoundError,
                "The bucket ownership controls were not found"
            )
        })?;
        Ok(S3Response::new(GetBucketOwnershipControlsOutput {
            ownership_controls: Some(OwnershipControls {
                rules: vec![OwnershipControlsRule {
                    object_ownership: ObjectOwnership::from(ownership),
                }],
            }),
        }))
    }

    pub(crate) async fn op_put_bucket_ownership_controls(
        &self,
        req: S3Request<PutBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<PutBucketOwnershipControlsOutput>> {
        let input = req.input;
        let name = input.bucket;
        let mut rules = input.ownership_controls.rules;
        let (Some(rule), true) = (rules.pop(), rules.is_empty()) else {
            return Err(s3_error!(
                MalformedXML,
                "Ownership controls need exactly one rule"
            ));
        };
        let controls = rule.object_ownership.as_str().to_owned();
        self.store
            .mutate(move |st, _| {
                st.bucket_mut(&name)?.ownership = Some(controls);
                Ok(())
            })
            .await?;
        Ok(S3Response::new(PutBucketOwnershipControlsOutput::default()))
    }

    pub(crate) async fn op_delete_bucket_ownership_controls(
        &self,
        req: S3Request<DeleteBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<DeleteBucketOwnershipControlsOutput>> {
        let name = req.input.bucket;
        self.store
            .mutate(move |st, _| {
                st.bucket_mut(&name)?.ownership = None;
                Ok(())
            })
            .await?;
        Ok(S3Response::new(
            DeleteBucketOwnershipControlsOutput::default(),
        ))
    }

    pub(crate) async fn op_get_bucket_encryption(
        &self,
        req: S3Request<GetBucketEncryptionInput>,
    ) -> S3Result<S3Response<GetBucketEncryptionOutput>> {
        let config = self
            .store
            .read(|st| st.bucket(&req.input.bucket).map(|b| b.encryption.clone()))?;
        let config = config.ok_or_else(|| {
            s3_error!(
                ServerSideEncryptionConfigurationNotFoundError,
                "The server side encryption configuration was not found"
            )
        })?;
        Ok(S3Response::new(GetBucketEncryptionOutput {
            server_side_encryption_configuration: Some(config),
        }))
    }

    pub(crate) async fn op_put_bucket_encryption(
        &self,
        req: S3Request<PutBucketEncryptionInput>,
    ) -> S3Result<S3Response<PutBucketEncryptionOutput>> {
        let input = req.input;
        let name = input.bucket;
        let config = input.server_side_encryption_configuration;
        self.store
            .mutate(move |st, _| {
                st.bucket_mut(&name)?.encryption = Some(config);
                Ok(())
            })
            .await?;
        Ok(S3Response::new(PutBucketEncryptionOutput::default()))
    }

    pub(crate) async fn op_delete_bucket_encryption(
        &self,
        req: S3Request<DeleteBucketEncryptionInput>,
    ) -> S3Result<S3Response<DeleteBucketEncryptionOutput>> {
        let name = req.input.bucket;
        self.store
            .mutate(move |st, _| {
                st.bucket_mut(&name)?.encryption = None;
                Ok(())
            })
            .await?;
        Ok(S3Response::new(DeleteBucketEncryptionOutput::default()))
    }

    pub(crate) async fn op_get_bucket_acl(
        &self,
        req: S3Request<GetBucketAclInput>,
    ) -> S3Result<S3Response<GetBucketAclOutput>> {
        self.store
            .read(|st| st.bucket(&req.input.bucket).map(|_| ()))?;
        let (owner, grants) = full_control_acl();
        Ok(S3Response::new(GetBucketAclOutput { grants, owner }))
    }

    pub(crate) async fn op_get_object_acl(
        &self,
        req: S3Request<GetObjectAclInput>,
    ) -> S3Result<S3Response<GetObjectAclOutput>> {
        let input = req.input;
        self.store.read(|st| {
            let bucket = st.bucket(&input.bucket)?;
            readable_version(bucket, &input.key, input.version_id.as_deref()).map(|_| ())
        })?;
        let (owner, grants) = full_control_acl();
        Ok(S3Response::new(GetObjectAclOutput {
            grants,
            owner,
            request_charged: None,
        }))
    }
}
