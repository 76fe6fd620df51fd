//! Bucket status: every field fetched on its own so one missing feature never
//! fails the report.

use aws_sdk_s3::types::{BucketVersioningStatus, ReplicationRuleFilter};
use aws_sdk_s3::Client;
use futures::StreamExt;

use super::client::Connection;
use super::error::{ErrorKind, S3Error, S3Result};
use super::list::ListRequest;
use super::model::*;
use super::xml::Flat;

impl VersioningState {
    /// The one wording of a versioning state, for the CLI, the TUI and the
    /// replication checks alike (the words S3 uses; `Never` for a bucket that
    /// never had versioning).
    pub fn word(self) -> &'static str {
        match self {
            VersioningState::Enabled => "Enabled",
            VersioningState::Suspended => "Suspended",
            VersioningState::Never => "Never",
        }
    }
}

impl Versioning {
    /// The state, then MFA delete when the server reports it.
    pub fn summary(&self) -> String {
        match &self.mfa_delete {
            Some(m) => format!("{} (MFA delete {m})", self.status.word()),
            None => self.status.word().to_string(),
        }
    }
}

impl BucketStatus {
    /// Versioning in a few words for a pane title: the state, or `n/a`.
    pub fn versioning_short(&self) -> String {
        let state = match &self.versioning {
            Field::Value(v) => v.status.word(),
            Field::NotConfigured => VersioningState::Never.word(),
            _ => "n/a",
        };
        format!("versioning {state}")
    }
}

fn field<T>(r: Result<T, S3Error>) -> Field<T> {
    match r {
        Ok(v) => Field::Value(v),
        Err(e) => match e.kind {
            ErrorKind::NotConfigured => Field::NotConfigured,
            ErrorKind::NotImplemented => Field::NotSupported,
            ErrorKind::AccessDenied => Field::AccessDenied,
            _ => Field::Error(e.message),
        },
    }
}

pub async fn bucket_status(conn: &Connection, bucket: &str) -> S3Result<BucketStatus> {
    let region = conn.bucket_region(bucket).await?;
    let client = conn.clients_for_region(&region).meta;
    let (versioning, replication, ownership, encryption, object_lock) = tokio::join!(
        versioning(&client, bucket),
        replication(&client, bucket),
        ownership(&client, bucket),
        encryption(&client, bucket),
        object_lock(&client, bucket),
    );
    Ok(BucketStatus {
        bucket: bucket.to_string(),
        region,
        versioning: field(versioning),
        replication: field(replication),
        ownership: field(ownership),
        encryption: field(encryption),
        object_lock: field(object_lock),
        objects: None,
        replication_checks: Vec::new(),
    })
}

/// Check what each rule needs: versioning on both buckets and a reachable
/// destination. Destinations in other accounts may be invisible to us; that
/// is reported, not treated as a failure of the report.
pub async fn replication_checks(conn: &Connection, status: &BucketStatus) -> Vec<RuleCheck> {
    let Field::Value(repl) = &status.replication else {
        return Vec::new();
    };
    let src_versioning = match &status.versioning {
        Field::Value(v) => v.status.word().to_string(),
        other => other.unavailable_text().unwrap_or_default(),
    };
    let mut out = Vec::new();
    for rule in &repl.rules {
        let name = rule.id.clone().unwrap_or_else(|| "(no id)".into());
        let mut problems = Vec::new();
        if src_versioning != "Enabled" {
            problems.push(format!(
                "source versioning is {src_versioning}; replication needs it Enabled"
            ));
        }
        let (reachable, dst_versioning) =
            match conn.clients_for_bucket(&rule.destination_bucket).await {
                Ok(c) => match versioning(&c.meta, &rule.destination_bucket).await {
                    Ok(v) => (true, v.status.word().to_string()),
                    Err(e) => (
                        true,
                        field::<Versioning>(Err(e))
                            .unavailable_text()
                            .unwrap_or_default(),
                    ),
                },
                Err(e) => (false, format!("unknown ({})", e.message)),
            };
        if !reachable {
            problems.push(format!(
                "destination bucket {} is not reachable with these credentials",
                rule.destination_bucket
            ));
        } else if dst_versioning != "Enabled" {
            problems.push(format!(
                "destination bucket {} has versioning {dst_versioning}; replication needs it Enabled",
                rule.destination_bucket
            ));
        }
        if rule.status != "Enabled" {
            problems.push("rule is disabled".into());
        }
        out.push(RuleCheck {
            rule: name,
            destination_bucket: rule.destination_bucket.clone(),
            source_versioning: src_versioning.clone(),
            destination_versioning: dst_versioning,
            destination_reachable: reachable,
            delete_markers_replicate: rule.delete_marker_replication == Some(true),
            problems,
        });
    }
    out
}

/// Prefixes the enabled rules cover (`""` = everything); rules filtering on
/// tags are left out since that needs each object's tags. None without rules.
pub fn covered_prefixes(status: &BucketStatus) -> Option<Vec<String>> {
    let Field::Value(repl) = &status.replication else {
        return None;
    };
    Some(
        repl.rules
            .iter()
            .filter(|r| r.status == "Enabled" && !r.filter.contains("tag "))
            .map(|r| match r.filter.strip_prefix("prefix ") {
                Some(p) => p.trim_matches('"').to_string(),
                None => String::new(),
            })
            .collect(),
    )
}

/// A bucket's versioning state (`Never` for a bucket that never had it).
pub async fn versioning(c: &Client, bucket: &str) -> Result<Versioning, S3Error> {
    let r = match c.get_bucket_versioning().bucket(bucket).send().await {
        Ok(r) => r,
        Err(e) => {
            let err = S3Error::from(e);
            // moto answers a never-versioned bucket with an empty
            // <GetBucketVersioningResponse/>, which the SDK cannot parse; an
            // empty document at HTTP 200 means "no status" (Never).
            return match (&err.status, &err.body_hint) {
                (Some(200), Some(body)) => Ok(versioning_from_xml(body)),
                _ => Err(err),
            };
        }
    };
    let status = match r.status() {
        Some(BucketVersioningStatus::Enabled) => VersioningState::Enabled,
        Some(BucketVersioningStatus::Suspended) => VersioningState::Suspended,
        _ => VersioningState::Never,
    };
    Ok(Versioning {
        status,
        mfa_delete: r.mfa_delete().map(|m| m.as_str().to_string()),
    })
}

/// Read `<Status>` / `<MfaDelete>` from a versioning document whatever its root.
fn versioning_from_xml(body: &str) -> Versioning {
    let doc = Flat::parse(body).unwrap_or_default();
    let tag = |name: &str| doc.get(name).map(|v| v.trim().to_string());
    let status = match tag("Status").as_deref() {
        Some("Enabled") => VersioningState::Enabled,
        Some("Suspended") => VersioningState::Suspended,
        _ => VersioningState::Never,
    };
    Versioning {
        status,
        mfa_delete: tag("MfaDelete").or_else(|| tag("MFADelete")),
    }
}

fn filter_text(f: Option<&ReplicationRuleFilter>, legacy_prefix: Option<&str>) -> String {
    let Some(f) = f else {
        return match legacy_prefix {
            Some(p) if !p.is_empty() => format!("prefix {p:?}"),
            _ => "everything".into(),
        };
    };
    let mut parts = Vec::new();
    if let Some(p) = f.prefix() {
        if !p.is_empty() {
            parts.push(format!("prefix {p:?}"));
        }
    }
    if let Some(t) = f.tag() {
        parts.push(format!("tag {}={}", t.key(), t.value()));
    }
    if let Some(a) = f.and() {
        if let Some(p) = a.prefix() {
            parts.push(format!("prefix {p:?}"));
        }
        for t in a.tags() {
            parts.push(format!("tag {}={}", t.key(), t.value()));
        }
    }
    if parts.is_empty() {
        "everything".into()
    } else {
        parts.join(" and ")
    }
}

/// `arn:aws:s3:::bucket` -> `bucket`.
pub fn bucket_from_arn(arn: &str) -> &str {
    arn.strip_prefix("arn:aws:s3:::")
        .or_else(|| arn.rsplit(":::").next())
        .unwrap_or(arn)
}

async fn replication(c: &Client, bucket: &str) -> Result<Replication, S3Error> {
    let r = c.get_bucket_replication().bucket(bucket).send().await?;
    let Some(cfg) = r.replication_configuration() else {
        return Err(S3Error::new(
            ErrorKind::NotConfigured,
            "no replication configuration",
        ));
    };
    let rules = cfg
        .rules()
        .iter()
        .map(|rule| {
            let dest = rule.destination();
            #[allow(deprecated)]
            let legacy_prefix = rule.prefix();
            ReplicationRule {
                id: rule.id().map(str::to_string),
                status: rule.status().as_str().to_string(),
                priority: rule.priority(),
                filter: filter_text(rule.filter(), legacy_prefix),
                destination_bucket: dest
                    .map(|d| bucket_from_arn(d.bucket()).to_string())
                    .unwrap_or_default(),
                destination_account: dest.and_then(|d| d.account().map(str::to_string)),
                destination_storage_class: dest
                    .and_then(|d| d.storage_class().map(|s| s.as_str().to_string())),
                delete_marker_replication: rule
                    .delete_marker_replication()
                    .and_then(|d| d.status())
                    .map(|s| s.as_str() == "Enabled"),
                replication_time_control: dest
                    .and_then(|d| d.replication_time())
                    .map(|t| t.status().as_str() == "Enabled"),
                existing_object_replication: rule
                    .existing_object_replication()
                    .map(|e| e.status().as_str() == "Enabled"),
            }
        })
        .collect();
    Ok(Replication {
        role: cfg.role().to_string(),
        rules,
    })
}

async fn ownership(c: &Client, bucket: &str) -> Result<Ownership, S3Error> {
    let r = c
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await?;
    let rule = r.ownership_controls().and_then(|o| o.rules().first());
    let Some(rule) = rule else {
        return Err(S3Error::new(
            ErrorKind::NotConfigured,
            "no ownership controls",
        ));
    };
    let mode = rule.object_ownership().as_str().to_string();
    Ok(Ownership {
        acls_enabled: mode != "BucketOwnerEnforced",
        object_ownership: mode,
    })
}

async fn encryption(c: &Client, bucket: &str) -> Result<Encryption, S3Error> {
    let r = c.get_bucket_encryption().bucket(bucket).send().await?;
    let rule = r
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default().map(|d| (r, d)));
    let Some((rule, default)) = rule else {
        return Err(S3Error::new(
            ErrorKind::NotConfigured,
            "no default encryption",
        ));
    };
    Ok(Encryption {
        algorithm: default.sse_algorithm().as_str().to_string(),
        kms_key_id: default.kms_master_key_id().map(str::to_string),
        bucket_key_enabled: rule.bucket_key_enabled(),
    })
}

async fn object_lock(c: &Client, bucket: &str) -> Result<ObjectLock, S3Error> {
    let r = c
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await?;
    let Some(cfg) = r.object_lock_configuration() else {
        return Err(S3Error::new(ErrorKind::NotConfigured, "no object lock"));
    };
    let retention = cfg.rule().and_then(|r| r.default_retention());
    Ok(ObjectLock {
        enabled: cfg
            .object_lock_enabled()
            .map(|e| e.as_str() == "Enabled")
            .unwrap_or(false),
        default_mode: retention.and_then(|r| r.mode().map(|m| m.as_str().to_string())),
        default_days: retention.and_then(|r| r.days()),
        default_years: retention.and_then(|r| r.years()),
    })
}

/// Per-object replication status under a prefix: HeadObject on up to `limit`
/// objects with bounded concurrency.
pub async fn replication_summary(
    conn: &Connection,
    bucket: &str,
    prefix: &str,
    limit: u64,
    concurrency: usize,
    covered: Option<&[String]>,
) -> S3Result<ReplicationSummary> {
    const MAX_FAILED_KEYS: usize = 100;
    let client = conn.clients_for_bucket(bucket).await?.meta;
    let mut summary = ReplicationSummary {
        prefix: prefix.to_string(),
        ..Default::default()
    };
    let mut pages = Box::pin(
        conn.bucket(bucket)
            .await?
            .pages(ListRequest::objects(bucket, prefix)),
    );
    let mut queue = Vec::new();
    'outer: while let Some(page) = pages.next().await {
        let page = page?;
        for item in page.items {
            if let super::model::ListItem::Object(o) = item {
                if queue.len() as u64 >= limit {
                    summary.truncated = true;
                    break 'outer;
                }
                queue.push(o.key);
            }
        }
    }
    let results = futures::stream::iter(queue)
        .map(|key| {
            let client = client.clone();
            let bucket = bucket.to_string();
            async move {
                let r = client.head_object().bucket(&bucket).key(&key).send().await;
                (
                    key,
                    r.map(|o| o.replication_status().map(|s| s.as_str().to_string()))
                        .map_err(S3Error::from),
                )
            }
        })
        .buffer_unordered(concurrency.max(1));
    futures::pin_mut!(results);
    while let Some((key, r)) = results.next().await {
        summary.scanned += 1;
        match r {
            Ok(None) => {
                summary.none += 1;
                let is_covered =
                    covered.is_some_and(|c| c.iter().any(|p| key.starts_with(p.as_str())));
                if is_covered {
                    summary.missing += 1;
                    if summary.missing_keys.len() < MAX_FAILED_KEYS {
                        summary.missing_keys.push(key);
                    }
                }
            }
            Ok(Some(s)) => match s.as_str() {
                "PENDING" => summary.pending += 1,
                "COMPLETED" | "COMPLETE" => summary.completed += 1,
                "REPLICA" => summary.replica += 1,
                "FAILED" => {
                    summary.failed += 1;
                    if summary.failed_keys.len() < MAX_FAILED_KEYS {
                        summary.failed_keys.push(key);
                    }
                }
                _ => summary.none += 1,
            },
            Err(_) => summary.errors += 1,
        }
    }
    summary.failed_keys.sort();
    summary.missing_keys.sort();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioning_documents_with_any_root() {
        let v = versioning_from_xml(
            "<GetBucketVersioningResponse><Status>Suspended</Status></GetBucketVersioningResponse>",
        );
        assert_eq!(v.status, VersioningState::Suspended);
        let v = versioning_from_xml("<GetBucketVersioningResponse/>");
        assert_eq!(v.status, VersioningState::Never);
        let v =
            versioning_from_xml("<X><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete></X>");
        assert_eq!(
            (v.status, v.mfa_delete.as_deref()),
            (VersioningState::Enabled, Some("Disabled"))
        );
        assert_eq!(bucket_from_arn("arn:aws:s3:::backup"), "backup");
    }
}
