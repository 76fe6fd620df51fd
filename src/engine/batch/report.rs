//! Completion reports: `{prefix}/job-{id}/manifest.json` names the CSV result
//! files; each result line is `bucket,key,versionId,status,errorCode,httpStatus,message`.

use serde::Deserialize;

use super::manifest;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReportManifest {
    pub results: Vec<ResultFile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResultFile {
    pub task_execution_status: String,
    pub bucket: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TaskResult {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    pub status: String,
    pub error_code: Option<String>,
    pub http_status: Option<u16>,
    pub message: Option<String>,
}

impl TaskResult {
    pub fn succeeded(&self) -> bool {
        self.status.eq_ignore_ascii_case("succeeded")
    }
}

pub fn parse_manifest(json: &str) -> anyhow::Result<ReportManifest> {
    serde_json::from_str(json)
        .map_err(|e| anyhow::anyhow!("unreadable completion report manifest: {e}"))
}

/// The report's key prefix for a job.
pub fn manifest_key(report_prefix: &str, job_id: &str) -> String {
    let p = report_prefix.trim_end_matches('/');
    if p.is_empty() {
        format!("job-{job_id}/manifest.json")
    } else {
        format!("{p}/job-{job_id}/manifest.json")
    }
}

/// Parse result lines; the message (last field) may itself contain commas.
pub fn parse_results(csv: &str) -> Vec<TaskResult> {
    csv.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let f: Vec<&str> = l.splitn(7, ',').collect();
            if f.len() < 4 {
                return None;
            }
            let (bucket, key, version) = manifest::parse_line(&f[..3].join(","))?;
            let opt = |i: usize| {
                f.get(i)
                    .map(|s| s.trim().trim_matches('"'))
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            Some(TaskResult {
                bucket,
                key,
                version_id: version,
                status: f[3].trim().to_string(),
                error_code: opt(4),
                http_status: opt(5).and_then(|s| s.parse().ok()),
                message: opt(6),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_recorded_report() {
        let manifest = r#"{"Format":"Report_CSV_20180820","ReportCreationDate":"2026-11-24T10:00:00Z",
            "Results":[{"TaskExecutionStatus":"succeeded","Bucket":"rep","MD5Checksum":"x","Key":"r/job-1/results/a.csv"},
                       {"TaskExecutionStatus":"failed","Bucket":"rep","MD5Checksum":"y","Key":"r/job-1/results/b.csv"}],
            "ReportSchema":"Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"}"#;
        let m = parse_manifest(manifest).expect("manifest");
        assert_eq!(m.results.len(), 2);
        assert_eq!(m.results[1].task_execution_status, "failed");
        let csv = "src,a%20b%2Bc,,succeeded,200,,Successful\nsrc,big%2Ffile,v9,failed,400,400,Object too large, over 5 GB\n";
        let r = parse_results(csv);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].key, "a b+c");
        assert!(r[0].succeeded());
        assert_eq!(r[1].key, "big/file");
        assert_eq!(r[1].version_id.as_deref(), Some("v9"));
        assert_eq!(r[1].error_code.as_deref(), Some("400"));
        assert_eq!(r[1].message.as_deref(), Some("Object too large, over 5 GB"));
        assert_eq!(manifest_key("r/", "1"), "r/job-1/manifest.json");
    }
}
