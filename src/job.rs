//! Job and progress types: what the CLI and the TUI submit and observe.
//! A leaf: the planner, the journal and the engine all speak these, so none
//! of them imports another for its types.

use serde::{Deserialize, Serialize};

use crate::config::ConnectionSettings;
use crate::location::Location;

pub type JobId = i64;

/// One source of a job and where its keys land. The key part after
/// `source.prefix` is appended to `destination.prefix`; when `source` names a
/// single object (`single_object`), the destination is the key itself unless it
/// is dir-like, in which case the object keeps its base name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMapping {
    pub source: Location,
    pub destination: Location,
    pub single_object: bool,
}

/// What to do when the destination key exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ConflictPolicy {
    /// Replace it (cp / mv default).
    #[default]
    Overwrite,
    /// Keep it (`--no-clobber`).
    Skip,
    /// Copy only when missing or different (sync).
    SkipIdentical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Copy,
    Move,
    Sync,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Copy => "copy",
            JobKind::Move => "move",
            JobKind::Sync => "sync",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Paused,
    /// Every entry done.
    Completed,
    /// Finished, some entries failed.
    Failed,
    /// Stopped by the user; resumable.
    Cancelled,
    /// Found unfinished from an earlier run (crash, kill); resumable.
    Interrupted,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Paused => "paused",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Interrupted => "interrupted",
        }
    }

    pub fn is_active(self) -> bool {
        matches!(
            self,
            JobState::Queued | JobState::Running | JobState::Paused
        )
    }

    pub fn is_resumable(self) -> bool {
        matches!(
            self,
            JobState::Cancelled | JobState::Interrupted | JobState::Failed
        )
    }
}

/// Filters and mapping rules applied to relative keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOptions {
    /// `(include?, glob)` in command-line order; the last match wins.
    pub filters: Vec<(bool, String)>,
    /// `REGEX=>REPLACEMENT` on the relative key.
    pub rewrite: Option<String>,
    pub conflict: ConflictPolicy,
    /// sync --delete
    pub delete_extra: bool,
    pub max_delete: Option<u64>,
    pub all_versions: bool,
    pub version_id: Option<String>,
    /// Compare full-object checksums in sync when both sides have them.
    pub checksum_compare: bool,
}

/// How entries are run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOptions {
    pub concurrency: usize,
    pub multipart_threshold: u64,
    /// Parts of copies that stream through s3ferry (smaller parts keep more
    /// requests in flight within the memory budget).
    #[serde(default = "default_stream_part_size")]
    pub stream_part_size: u64,
    pub part_size: u64,
    pub storage_class: Option<String>,
    pub preserve_acl: bool,
    /// Force server-side copy even across connections (same endpoint, other credentials).
    pub server_side: bool,
    /// Send plain CopyObject requests signed by s3ferry itself instead of
    /// through the SDK's pipeline (see `s3::direct`).
    #[serde(default = "default_direct_copy")]
    pub direct_copy: bool,
    /// `--sse`: encryption every written object asks for; `None` leaves the
    /// destination bucket's default encryption to apply.
    #[serde(default)]
    pub sse: Option<String>,
    /// `--sse-kms-key-id`, with `--sse aws:kms` / `aws:kms:dsse`.
    #[serde(default)]
    pub sse_kms_key_id: Option<String>,
    /// `--preserve-sse`: ask for the source's own encryption (and KMS key).
    #[serde(default)]
    pub preserve_sse: bool,
    /// `--preserve-lock`: carry Object Lock retention and legal hold.
    #[serde(default)]
    pub preserve_lock: bool,
}

/// The encryption algorithms `--sse` accepts.
pub const SSE_ALGORITHMS: &[&str] = &["AES256", "aws:kms", "aws:kms:dsse"];

impl RunOptions {
    /// Set the encryption choice (flags or `[engine]`), checked: a known
    /// algorithm, a KMS key only with KMS, and not both explicit and preserved.
    pub fn set_sse(
        &mut self,
        sse: Option<&str>,
        kms_key_id: Option<&str>,
        preserve: bool,
    ) -> Result<(), String> {
        if let Some(a) = sse {
            if !SSE_ALGORITHMS.contains(&a) {
                return Err(format!(
                    "unknown encryption {a:?}: use one of {}",
                    SSE_ALGORITHMS.join(", ")
                ));
            }
        }
        if kms_key_id.is_some() && !sse.is_some_and(|a| a.starts_with("aws:kms")) {
            return Err("a KMS key id needs --sse aws:kms or aws:kms:dsse".into());
        }
        if preserve && sse.is_some() {
            return Err("--preserve-sse and --sse exclude each other".into());
        }
        self.sse = sse.map(str::to_string);
        self.sse_kms_key_id = kms_key_id.map(str::to_string);
        self.preserve_sse = preserve;
        Ok(())
    }
}

fn default_direct_copy() -> bool {
    true
}

fn default_stream_part_size() -> u64 {
    16 * 1024 * 1024
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: 256,
            multipart_threshold: 512 * 1024 * 1024,
            part_size: 64 * 1024 * 1024,
            stream_part_size: default_stream_part_size(),
            storage_class: None,
            preserve_acl: false,
            server_side: false,
            direct_copy: default_direct_copy(),
            sse: None,
            sse_kms_key_id: None,
            preserve_sse: false,
            preserve_lock: false,
        }
    }
}

/// Everything needed to run (and re-run after a crash) a job. Stored in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    pub kind: JobKind,
    pub mappings: Vec<SourceMapping>,
    pub src_conn: ConnectionSettings,
    pub dst_conn: ConnectionSettings,
    pub plan: PlanOptions,
    pub run: RunOptions,
}

impl JobSpec {
    pub fn source_label(&self) -> String {
        let mut labels: Vec<String> = self.mappings.iter().map(|m| m.source.to_string()).collect();
        labels.dedup();
        labels.join(" ")
    }

    pub fn destination_label(&self) -> String {
        self.mappings
            .first()
            .map(|m| m.destination.to_string())
            .unwrap_or_default()
    }
}

/// Counters a job publishes; cheap to clone and sample on every UI tick.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub objects_total: u64,
    pub objects_done: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub copied: u64,
    pub skipped: u64,
    pub failed: u64,
    pub deleted: u64,
    pub retries: u64,
    pub in_flight: u64,
    /// False while the source listing is still streaming in (totals still grow).
    pub listing_done: bool,
    /// Current adaptive concurrency limit.
    pub concurrency: u64,
    pub throttled: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSnapshot {
    pub id: JobId,
    pub kind: JobKind,
    pub state: JobState,
    pub source: String,
    pub destination: String,
    pub progress: Progress,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub message: Option<String>,
}

/// An entry that failed, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedEntry {
    pub src_key: String,
    pub dst_key: String,
    pub version_id: Option<String>,
    pub reason: String,
}
