//! S3 Control: CreateJob / DescribeJob for Batch Operations copy jobs, behind
//! our own handle ([`BatchControl`]) and status type ([`BatchStatus`]).

use aws_sdk_s3control::config::endpoint::{Params, ResolveEndpoint};
use aws_sdk_s3control::types::{
    JobManifest, JobManifestFieldName, JobManifestFormat, JobManifestLocation, JobManifestSpec,
    JobOperation, JobReport, JobReportFormat, JobReportScope, S3CopyObjectOperation,
    S3MetadataDirective, S3StorageClass,
};
use aws_smithy_runtime_api::client::endpoint::EndpointFuture;
use aws_smithy_types::endpoint::Endpoint;

use super::Connection;

/// A fixed S3 Control endpoint (S3-compatible services, tests). The default
/// rules prepend the account id to the host, which only AWS resolves.
#[derive(Debug)]
struct FixedEndpoint(String);

impl ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(&'a self, _params: &'a Params) -> EndpointFuture<'a> {
        EndpointFuture::ready(Ok(Endpoint::builder().url(self.0.clone()).build()))
    }
}

/// An S3 Control client for one region (Batch Operations jobs are created
/// and described in the destination's region).
#[derive(Clone, Debug)]
pub struct BatchControl {
    client: aws_sdk_s3control::Client,
}

impl BatchControl {
    /// `endpoint` overrides the account-prefixed AWS host (S3-compatible
    /// services, tests).
    pub fn new(conn: &Connection, region: &str, endpoint: Option<&str>) -> BatchControl {
        BatchControl {
            client: client(conn, region, endpoint),
        }
    }

    /// CreateJob for a copy job; the remote job id.
    pub async fn create_copy_job(&self, req: &CopyJobRequest) -> anyhow::Result<String> {
        create_copy_job(&self.client, req).await
    }

    pub async fn describe_job(&self, account_id: &str, job_id: &str) -> anyhow::Result<JobStatus> {
        describe_job(&self.client, account_id, job_id).await
    }
}

fn client(conn: &Connection, region: &str, endpoint: Option<&str>) -> aws_sdk_s3control::Client {
    let mut b = aws_sdk_s3control::config::Builder::from(conn.sdk_config())
        .region(aws_sdk_s3control::config::Region::new(region.to_string()));
    if let Some(url) = endpoint {
        b = b.endpoint_resolver(FixedEndpoint(url.trim_end_matches('/').to_string()));
    }
    aws_sdk_s3control::Client::from_conf(b.build())
}

/// Everything CreateJob needs for a copy job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyJobRequest {
    pub account_id: String,
    pub role_arn: String,
    pub dst_bucket: String,
    pub target_prefix: String,
    pub storage_class: Option<String>,
    pub manifest_bucket: String,
    pub manifest_key: String,
    pub manifest_etag: String,
    pub with_versions: bool,
    pub report_bucket: String,
    pub report_prefix: String,
    pub priority: i32,
    pub token: String,
    pub description: String,
}

fn built<T>(r: Result<T, aws_smithy_types::error::operation::BuildError>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("building the CreateJob request: {e}"))
}

async fn create_copy_job(
    c: &aws_sdk_s3control::Client,
    req: &CopyJobRequest,
) -> anyhow::Result<String> {
    let mut copy = S3CopyObjectOperation::builder()
        .target_resource(format!("arn:aws:s3:::{}", req.dst_bucket))
        .metadata_directive(S3MetadataDirective::Copy);
    if !req.target_prefix.is_empty() {
        copy = copy.target_key_prefix(&req.target_prefix);
    }
    if let Some(sc) = &req.storage_class {
        copy = copy.storage_class(S3StorageClass::from(sc.as_str()));
    }
    let mut spec = JobManifestSpec::builder()
        .format(JobManifestFormat::S3BatchOperationsCsv20180820)
        .fields(JobManifestFieldName::Bucket)
        .fields(JobManifestFieldName::Key);
    if req.with_versions {
        spec = spec.fields(JobManifestFieldName::VersionId);
    }
    let manifest = JobManifest::builder()
        .spec(built(spec.build())?)
        .location(built(
            JobManifestLocation::builder()
                .object_arn(format!(
                    "arn:aws:s3:::{}/{}",
                    req.manifest_bucket, req.manifest_key
                ))
                .e_tag(&req.manifest_etag)
                .build(),
        )?)
        .build();
    let report = JobReport::builder()
        .bucket(format!("arn:aws:s3:::{}", req.report_bucket))
        .prefix(req.report_prefix.trim_end_matches('/'))
        .format(JobReportFormat::ReportCsv20180820)
        .enabled(true)
        .report_scope(JobReportScope::AllTasks)
        .build();
    let r = c
        .create_job()
        .account_id(&req.account_id)
        .confirmation_required(false)
        .operation(
            JobOperation::builder()
                .s3_put_object_copy(copy.build())
                .build(),
        )
        .report(report)
        .client_request_token(&req.token)
        .manifest(manifest)
        .description(&req.description)
        .priority(req.priority)
        .role_arn(&req.role_arn)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "CreateJob failed: {}",
                aws_sdk_s3control::error::DisplayErrorContext(&e)
            )
        })?;
    r.job_id()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("CreateJob returned no job id"))
}

/// What DescribeJob says about a job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JobStatus {
    pub job_id: String,
    pub status: BatchStatus,
    pub total: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub elapsed_seconds: Option<i64>,
    pub failure_reasons: Vec<String>,
    pub status_update_reason: Option<String>,
    pub report_bucket: Option<String>,
    pub report_prefix: Option<String>,
}

impl JobStatus {
    pub fn is_finished(&self) -> bool {
        self.status.is_finished()
    }
}

/// A Batch Operations job status, as S3 Control spells it. The one place
/// these words are matched. Parsing is strict (an unknown word is an error);
/// only a live DescribeJob answer with a status newer than s3ferry becomes
/// `Unknown`, so watching a job keeps going and never calls it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BatchStatus {
    New,
    Preparing,
    Suspended,
    Ready,
    Active,
    Pausing,
    Paused,
    Completing,
    Complete,
    Failing,
    Failed,
    Cancelling,
    Cancelled,
    /// A status S3 Control reported that s3ferry does not know.
    Unknown,
}

impl BatchStatus {
    pub const ALL: [BatchStatus; 13] = [
        BatchStatus::New,
        BatchStatus::Preparing,
        BatchStatus::Suspended,
        BatchStatus::Ready,
        BatchStatus::Active,
        BatchStatus::Pausing,
        BatchStatus::Paused,
        BatchStatus::Completing,
        BatchStatus::Complete,
        BatchStatus::Failing,
        BatchStatus::Failed,
        BatchStatus::Cancelling,
        BatchStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::New => "New",
            BatchStatus::Preparing => "Preparing",
            BatchStatus::Suspended => "Suspended",
            BatchStatus::Ready => "Ready",
            BatchStatus::Active => "Active",
            BatchStatus::Pausing => "Pausing",
            BatchStatus::Paused => "Paused",
            BatchStatus::Completing => "Completing",
            BatchStatus::Complete => "Complete",
            BatchStatus::Failing => "Failing",
            BatchStatus::Failed => "Failed",
            BatchStatus::Cancelling => "Cancelling",
            BatchStatus::Cancelled => "Cancelled",
            BatchStatus::Unknown => "Unknown",
        }
    }

    /// No further status change will come.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            BatchStatus::Complete | BatchStatus::Failed | BatchStatus::Cancelled
        )
    }
}

impl std::fmt::Display for BatchStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for BatchStatus {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<BatchStatus> {
        BatchStatus::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| anyhow::anyhow!("unknown Batch Operations job status {s:?}"))
    }
}

impl serde::Serialize for BatchStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A live status: one s3ferry does not know yet is shown as `Unknown` (and
/// logged), not a failure of the whole status query.
fn reported_status(job_id: &str, s: &str) -> BatchStatus {
    s.parse().unwrap_or_else(|_| {
        tracing::warn!(
            job = job_id,
            "Batch Operations reported an unknown status {s:?}"
        );
        BatchStatus::Unknown
    })
}

async fn describe_job(
    c: &aws_sdk_s3control::Client,
    account_id: &str,
    job_id: &str,
) -> anyhow::Result<JobStatus> {
    let r = c
        .describe_job()
        .account_id(account_id)
        .job_id(job_id)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "DescribeJob {job_id} failed: {}",
                aws_sdk_s3control::error::DisplayErrorContext(&e)
            )
        })?;
    let job = r
        .job()
        .ok_or_else(|| anyhow::anyhow!("DescribeJob {job_id} returned no job"))?;
    let progress = job.progress_summary();
    Ok(JobStatus {
        job_id: job.job_id().unwrap_or(job_id).to_string(),
        status: job
            .status()
            .ok_or_else(|| anyhow::anyhow!("DescribeJob {job_id} returned no status"))
            .map(|s| reported_status(job_id, s.as_str()))?,
        total: progress
            .and_then(|p| p.total_number_of_tasks())
            .unwrap_or(0),
        succeeded: progress
            .and_then(|p| p.number_of_tasks_succeeded())
            .unwrap_or(0),
        failed: progress
            .and_then(|p| p.number_of_tasks_failed())
            .unwrap_or(0),
        elapsed_seconds: progress
            .and_then(|p| p.timers())
            .and_then(|t| t.elapsed_time_in_active_seconds()),
        failure_reasons: job
            .failure_reasons()
            .iter()
            .map(|f| {
                format!(
                    "{}: {}",
                    f.failure_code().unwrap_or("error"),
                    f.failure_reason().unwrap_or("")
                )
            })
            .collect(),
        status_update_reason: job.status_update_reason().map(str::to_string),
        report_bucket: job
            .report()
            .and_then(|r| r.bucket())
            .map(|b| crate::s3::status::bucket_from_arn(b).to_string()),
        report_prefix: job.report().and_then(|r| r.prefix()).map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::{reported_status, BatchStatus};

    #[test]
    fn every_status_reads_back_and_unknown_is_an_error() {
        for s in BatchStatus::ALL {
            assert_eq!(s.as_str().parse::<BatchStatus>().ok(), Some(s));
        }
        assert!("Done".parse::<BatchStatus>().is_err());
        assert!("complete".parse::<BatchStatus>().is_err());
        assert!("Unknown".parse::<BatchStatus>().is_err());
    }

    #[test]
    fn a_live_status_newer_than_s3ferry_is_unknown_and_not_finished() {
        assert_eq!(reported_status("j", "Complete"), BatchStatus::Complete);
        let s = reported_status("j", "Archived");
        assert_eq!(s, BatchStatus::Unknown);
        assert!(!s.is_finished());
    }
}
