//! Plan types shared by the CLI dry run, the TUI preview and the engine.

use serde::{Deserialize, Serialize};

pub use crate::job::{ConflictPolicy, SourceMapping};

/// What the job will do with one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Destination key does not exist.
    Copy,
    /// Destination key exists and will be replaced.
    Overwrite,
    /// Destination already holds the same content (sync) or `--no-clobber` keeps it.
    Skip,
    /// Refused: e.g. two sources map to one destination key.
    Conflict,
    /// `sync --delete`: destination key missing from the source.
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Copy => "copy",
            Action::Overwrite => "overwrite",
            Action::Skip => "skip",
            Action::Conflict => "conflict",
            Action::Delete => "delete",
        }
    }
}

/// One planned object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanEntry {
    pub action: Action,
    pub src_bucket: String,
    pub src_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    pub dst_bucket: String,
    pub dst_key: String,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Replayed delete marker (`--all-versions`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_marker: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Running totals of a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTotals {
    pub objects: u64,
    pub bytes: u64,
    pub copy: u64,
    pub overwrite: u64,
    pub skip: u64,
    pub conflict: u64,
    pub delete: u64,
    pub copy_bytes: u64,
}

impl PlanTotals {
    pub fn add(&mut self, e: &PlanEntry) {
        self.objects += 1;
        self.bytes += e.size;
        match e.action {
            Action::Copy => self.copy += 1,
            Action::Overwrite => self.overwrite += 1,
            Action::Skip => self.skip += 1,
            Action::Conflict => self.conflict += 1,
            Action::Delete => self.delete += 1,
        }
        if matches!(e.action, Action::Copy | Action::Overwrite) {
            self.copy_bytes += e.size;
        }
    }
}
