//! Handing a plan to S3 Batch Operations: plan with the engine's planner,
//! write and upload the manifest, CreateJob, and record the job in the
//! journal. Shared by `s3ferry batch submit` and the TUI.

use crate::engine::batch::manifest;
use crate::engine::batch::mapping::{exclusion, refusal, TargetCheck};
use crate::engine::preview::plan_in_memory;
use crate::engine::{JobKind, JobSpec};
use crate::journal::{BatchRecord, Journal};
use crate::location::Location;
use crate::plan::model::Action;
use crate::s3::control::{BatchControl, CopyJobRequest};
use crate::s3::ConnectionPool;

/// The plan cannot run on Batch Operations as asked; says why (a usage
/// problem, not a failure: nothing was written).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// The manifest of a plan, or why Batch Operations cannot run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchPlan {
    pub target_prefix: String,
    pub manifest: String,
    pub objects: u64,
    pub bytes: u64,
    /// Entries Batch Operations cannot copy, with the reason.
    pub excluded: Vec<(String, String)>,
}

/// Builds the manifest from a journaled plan. Errors with [`Refused`] when the
/// keys cannot all be written as one TargetKeyPrefix + source key.
pub fn batch_plan(journal: &Journal, job: i64, spec: &JobSpec) -> anyhow::Result<BatchPlan> {
    let mapping = spec
        .mappings
        .first()
        .ok_or_else(|| anyhow::anyhow!("no source"))?;
    let mut target = TargetCheck::default();
    let mut out = BatchPlan {
        target_prefix: String::new(),
        manifest: String::new(),
        objects: 0,
        bytes: 0,
        excluded: Vec::new(),
    };
    journal.for_each_entry(job, |r| -> anyhow::Result<()> {
        let e = &r.entry;
        if !matches!(e.action, Action::Copy | Action::Overwrite) {
            return Ok(());
        }
        if !target.observe(&e.src_key, &e.dst_key) {
            return Err(Refused(refusal(&mapping.source, &mapping.destination)).into());
        }
        match exclusion(e.size, e.delete_marker) {
            Some(why) => out.excluded.push((e.src_key.clone(), why)),
            None => {
                out.manifest.push_str(&manifest::line(
                    &e.src_bucket,
                    &e.src_key,
                    e.version_id.as_deref(),
                ));
                out.objects += 1;
                out.bytes += e.size;
            }
        }
        Ok(())
    })?;
    out.target_prefix = target.prefix().unwrap_or_default().to_string();
    Ok(out)
}

/// Plans `spec` (one source mapping) exactly as a local job would and builds
/// its manifest. Nothing is written anywhere.
pub async fn prepare(pool: &ConnectionPool, spec: &JobSpec) -> anyhow::Result<BatchPlan> {
    let [mapping] = spec.mappings.as_slice() else {
        return Err(Refused(format!(
            "a Batch Operations job has one source; this plan has {}",
            spec.mappings.len()
        ))
        .into());
    };
    if mapping.source == mapping.destination {
        return Err(Refused("source and destination are the same".into()).into());
    }
    let (journal, job, verdict) = plan_in_memory(pool, spec, None)
        .await
        .map_err(anyhow::Error::from)?;
    verdict.map_err(anyhow::Error::from)?;
    batch_plan(&journal, job, spec)
}

/// Everything a Batch Operations copy (or move) job needs besides its plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitRequest {
    /// The job as a local copy would run it; one source mapping.
    pub spec: JobSpec,
    pub role_arn: String,
    /// Where the completion report goes (`s3://bucket/prefix/`).
    pub report: Location,
    /// Where the manifest is uploaded; default `<report>/manifests/`.
    pub manifest_to: Option<Location>,
    /// The account that owns the job; from STS when `None`.
    pub account_id: Option<String>,
    pub priority: i32,
    pub storage_class: Option<String>,
    /// Delete each source after the job, once its copy is checked.
    pub move_sources: bool,
    /// A fixed S3 Control endpoint (S3-compatible services, tests).
    pub control_endpoint: Option<String>,
}

/// A created Batch Operations job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The local number (`s3ferry batch status N`).
    pub id: i64,
    pub record: BatchRecord,
    /// Entries left out of the manifest, with the reason.
    pub excluded: Vec<(String, String)>,
}

/// Plans, uploads the manifest, creates the job and journals it.
pub async fn submit(
    pool: &ConnectionPool,
    journal: &Journal,
    req: &SubmitRequest,
) -> anyhow::Result<Submitted> {
    let plan = prepare(pool, &req.spec).await?;
    create(pool, journal, req, &plan).await
}

/// Uploads a prepared manifest, creates the job and journals it.
pub async fn create(
    pool: &ConnectionPool,
    journal: &Journal,
    req: &SubmitRequest,
    plan: &BatchPlan,
) -> anyhow::Result<Submitted> {
    let mapping = req
        .spec
        .mappings
        .first()
        .ok_or_else(|| anyhow::anyhow!("no source"))?;
    if plan.objects == 0 {
        anyhow::bail!(
            "nothing for Batch Operations to copy under {}",
            mapping.source
        );
    }
    let dst_conn = pool.get(&req.spec.dst_conn).await?;
    let manifest_loc = req
        .manifest_to
        .clone()
        .unwrap_or_else(|| req.report.child("manifests/"));
    let manifest_key = format!(
        "{}{}s3ferry-manifest-{}.csv",
        manifest_loc.prefix,
        if manifest_loc.is_dir_like() { "" } else { "/" },
        uuid::Uuid::new_v4().simple()
    );
    let etag = dst_conn
        .bucket(&manifest_loc.bucket)
        .await?
        .put_manifest(&manifest_key, plan.manifest.clone().into_bytes())
        .await?;
    let account_id = match &req.account_id {
        Some(id) => id.clone(),
        None => crate::s3::identity::account_id(&dst_conn).await?,
    };
    let region = dst_conn.bucket_region(&mapping.destination.bucket).await?;
    let job = CopyJobRequest {
        account_id: account_id.clone(),
        role_arn: req.role_arn.clone(),
        dst_bucket: mapping.destination.bucket.clone(),
        target_prefix: plan.target_prefix.clone(),
        storage_class: req.storage_class.clone(),
        manifest_bucket: manifest_loc.bucket.clone(),
        manifest_key: manifest_key.clone(),
        manifest_etag: etag.trim_matches('"').to_string(),
        with_versions: req.spec.plan.all_versions,
        report_bucket: req.report.bucket.clone(),
        report_prefix: req.report.prefix.clone(),
        priority: req.priority,
        token: uuid::Uuid::new_v4().to_string(),
        description: format!(
            "s3ferry {} {} -> {}",
            if req.move_sources { "move" } else { "copy" },
            mapping.source,
            mapping.destination
        ),
    };
    let control = BatchControl::new(&dst_conn, &region, req.control_endpoint.as_deref());
    let remote_id = control.create_copy_job(&job).await?;
    let mut spec = req.spec.clone();
    // The record's spec is what `finish` runs to delete sources: its kind follows the flag.
    spec.kind = if req.move_sources {
        JobKind::Move
    } else {
        JobKind::Copy
    };
    let record = BatchRecord {
        remote_id,
        account_id,
        region,
        spec,
        target_prefix: plan.target_prefix.clone(),
        manifest: format!("s3://{}/{manifest_key}", manifest_loc.bucket),
        report_bucket: req.report.bucket.clone(),
        report_prefix: req.report.prefix.clone(),
        objects: plan.objects,
        bytes: plan.bytes,
        excluded: plan.excluded.iter().map(|(k, _)| k.clone()).collect(),
        move_sources: req.move_sources,
        control_endpoint: req.control_endpoint.clone(),
    };
    let id = journal.add_batch(&record)?;
    Ok(Submitted {
        id,
        record,
        excluded: plan.excluded.clone(),
    })
}
