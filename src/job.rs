//! Job and progress types: what the CLI and the TUI submit and observe.
//! A leaf: the planner, the journal and the engine all speak these, so none
//! of them imports another for its types.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{parse_size, ConnectionSettings, EngineDefaults};
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
    /// `--retry-budget`: how long throttling and an unreachable endpoint
    /// are waited out.
    #[serde(default = "default_retry_budget")]
    pub retry_budget: Duration,
}

/// The retry budget when neither `--retry-budget` nor `[engine]` sets one.
pub const DEFAULT_RETRY_BUDGET: Duration = Duration::from_secs(600);

fn default_retry_budget() -> Duration {
    DEFAULT_RETRY_BUDGET
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

/// S3's largest single CopyObject, and so the largest part.
pub const MAX_SINGLE: u64 = 5 * 1024 * 1024 * 1024;
/// S3's smallest part (all but the last).
pub const MIN_PART: u64 = 5 * 1024 * 1024;

/// What the command line sets over `[engine]`; the TUI sets nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOverrides {
    pub concurrency: Option<usize>,
    pub multipart_threshold: Option<u64>,
    /// `--part-size`: server-side and streamed copies alike.
    pub part_size: Option<u64>,
    /// The encryption flags; any of them set replaces `[engine]`'s choice.
    pub sse: Option<String>,
    pub sse_kms_key_id: Option<String>,
    pub preserve_sse: bool,
    pub retry_budget: Option<Duration>,
}

/// Where a value came from, for the message that rejects it.
fn origin(flag: bool, flag_name: &str, key: &str) -> String {
    if flag {
        flag_name.to_string()
    } else {
        format!("[engine] {key}")
    }
}

impl RunOptions {
    /// `[engine]` with the command line's overrides on top, every bound
    /// checked in one place so the CLI and the TUI reject the same values
    /// with the same words. A value that fails keeps its default; the
    /// problems name the flag or the config key they came from (the CLI
    /// stops on the first, the TUI shows them all and goes on).
    pub fn from_config(e: &EngineDefaults, o: &RunOverrides) -> (RunOptions, Vec<String>) {
        let mut run = RunOptions {
            direct_copy: e.direct_copy,
            ..RunOptions::default()
        };
        let mut problems = Vec::new();
        let mut size = |flag: Option<u64>, key: &str, text: &str| match flag {
            Some(v) => Some(v),
            None => parse_size(text)
                .map_err(|err| problems.push(format!("[engine] {key}: {err}")))
                .ok(),
        };
        let threshold = size(
            o.multipart_threshold,
            "multipart_threshold",
            &e.multipart_threshold,
        );
        let part = size(o.part_size, "part_size", &e.part_size);
        let stream = size(o.part_size, "stream_part_size", &e.stream_part_size);
        if let Some(t) = threshold {
            if t > MAX_SINGLE {
                let from = origin(
                    o.multipart_threshold.is_some(),
                    "--multipart-threshold",
                    "multipart_threshold",
                );
                problems.push(format!(
                    "{from} cannot exceed 5GiB (S3's single-copy limit)"
                ));
            } else {
                run.multipart_threshold = t;
            }
        }
        let parts = [
            (part, "part_size", &mut run.part_size),
            (stream, "stream_part_size", &mut run.stream_part_size),
        ];
        for (value, key, slot) in parts {
            let Some(v) = value else { continue };
            if (MIN_PART..=MAX_SINGLE).contains(&v) {
                *slot = v;
            } else if o.part_size.is_none() || key == "part_size" {
                // One `--part-size` sets both: say so once.
                let from = origin(o.part_size.is_some(), "--part-size", key);
                problems.push(format!("{from} must be between 5MiB and 5GiB"));
            }
        }
        let concurrency = o.concurrency.unwrap_or(e.concurrency);
        if concurrency == 0 {
            let from = origin(o.concurrency.is_some(), "--concurrency", "concurrency");
            problems.push(format!("{from} must be at least 1"));
        }
        run.concurrency = concurrency.max(1);
        // Flags win over [engine]; either way the choice is checked.
        let flags = o.sse.is_some() || o.sse_kms_key_id.is_some() || o.preserve_sse;
        let checked = if flags {
            run.set_sse(
                o.sse.as_deref(),
                o.sse_kms_key_id.as_deref(),
                o.preserve_sse,
            )
        } else {
            run.set_sse(
                e.sse.as_deref(),
                e.sse_kms_key_id.as_deref(),
                e.preserve_sse,
            )
            .map_err(|m| format!("[engine] sse: {m}"))
        };
        if let Err(m) = checked {
            problems.push(m);
        }
        match o.retry_budget {
            Some(d) => run.retry_budget = d,
            None => match crate::config::parse_duration(&e.retry_budget) {
                Ok(d) => run.retry_budget = d,
                Err(m) => problems.push(format!("[engine] retry_budget: {m}")),
            },
        }
        (run, problems)
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
            retry_budget: DEFAULT_RETRY_BUDGET,
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

    /// Where the job writes: the one destination, else the folder all its
    /// destinations share (a compare-mode copy writes each difference to its
    /// own key under the destination root), else all of them.
    pub fn destination_label(&self) -> String {
        let Some(first) = self.mappings.first().map(|m| &m.destination) else {
            return String::new();
        };
        let dests = self.mappings.iter().map(|m| &m.destination);
        if dests.clone().all(|d| d.bucket == first.bucket) {
            // Back to the enclosing folder: `a/b/` -> `a/`, `a/x` -> `a/`.
            let parent = |s: &str| -> String {
                let cut = s.trim_end_matches('/');
                cut.rfind('/')
                    .map(|i| cut[..=i].to_string())
                    .unwrap_or_default()
            };
            let mut shared = first.prefix.clone();
            let mut all_same = true;
            for d in dests {
                all_same &= d.prefix == first.prefix;
                while !d.prefix.starts_with(&shared) {
                    shared = parent(&shared);
                }
            }
            // A shared start that is not a folder is a cut key name.
            if !all_same && !shared.is_empty() && !shared.ends_with('/') {
                shared = parent(&shared);
            }
            return Location {
                bucket: first.bucket.clone(),
                prefix: shared,
            }
            .to_string();
        }
        let mut labels: Vec<String> = Vec::new();
        for d in dests.map(|d| d.to_string()) {
            if !labels.contains(&d) {
                labels.push(d);
            }
        }
        labels.join(" ")
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
    /// While the endpoint is unreachable (the job's circuit breaker is
    /// open): seconds until the next probe.
    #[serde(default)]
    pub unreachable_retry_in: Option<u64>,
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

/// Below this many objects the bar counts bytes, so a few large objects
/// still show movement while each copies.
const BAR_BY_BYTES_BELOW: u64 = 20;

impl Progress {
    /// What the bar and the percentage count, as (done, total): objects
    /// processed, like the objects column (a failed or skipped object is
    /// processed too); bytes for jobs of a few objects.
    pub fn fraction(&self) -> (u64, u64) {
        if self.objects_total < BAR_BY_BYTES_BELOW && self.bytes_total > 0 {
            (self.bytes_done, self.bytes_total)
        } else {
            (self.objects_done, self.objects_total)
        }
    }

    /// Seconds left at `rate`; none while the listing still grows the
    /// totals (an ETA against a planned-so-far total is wrong, not rough).
    pub fn eta_secs(&self, rate: crate::fmt::Rate) -> Option<u64> {
        if !self.listing_done {
            return None;
        }
        crate::fmt::eta_secs(
            self.objects_total.saturating_sub(self.objects_done),
            self.bytes_total.saturating_sub(self.bytes_done),
            rate,
        )
    }
}

impl JobSnapshot {
    /// The state as the user should read it: a paused job whose in-flight
    /// objects are still finishing is "pausing", not yet "paused".
    pub fn state_word(&self) -> &'static str {
        if self.state == JobState::Paused && self.progress.in_flight > 0 {
            "pausing"
        } else if self.state == JobState::Running && self.progress.unreachable_retry_in.is_some() {
            "unreachable"
        } else {
            self.state.as_str()
        }
    }
}

impl JobSnapshot {
    /// What an outage looks like to the user, while the job waits one out.
    pub fn outage_line(&self) -> Option<String> {
        let secs = self.progress.unreachable_retry_in?;
        (self.state == JobState::Running)
            .then(|| format!("endpoint unreachable, retrying in {secs}s"))
    }
}

/// An entry that failed, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedEntry {
    pub src_key: String,
    pub dst_key: String,
    pub version_id: Option<String>,
    pub reason: String,
}

/// How long a stopped job's in-flight objects may take to finish before
/// they are aborted (their multipart uploads too): a stop (Ctrl-C, SIGTERM,
/// quitting the TUI) must not wait on a 5 GiB part.
pub const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_destination_label_is_what_the_job_writes_to() {
        let spec = |dests: &[&str]| JobSpec {
            kind: JobKind::Copy,
            mappings: dests
                .iter()
                .map(|d| SourceMapping {
                    source: "s3://src/x/".parse().expect("src"),
                    destination: d.parse().expect("dst"),
                    single_object: false,
                })
                .collect(),
            src_conn: Default::default(),
            dst_conn: Default::default(),
            plan: Default::default(),
            run: Default::default(),
        };
        assert_eq!(spec(&["s3://b/q/"]).destination_label(), "s3://b/q/");
        assert_eq!(
            spec(&["s3://b/q/", "s3://b/q/"]).destination_label(),
            "s3://b/q/"
        );
        // Compare mode: each difference to its own key under the root.
        let compare = spec(&["s3://b/config/", "s3://b/images/", "s3://b/readme.txt"]);
        assert_eq!(compare.destination_label(), "s3://b/");
        let nested = spec(&["s3://b/2024/config/", "s3://b/2024/img/a.png"]);
        assert_eq!(nested.destination_label(), "s3://b/2024/");
        // Never a cut key name: `ab` and `ac` share the folder, not `a`.
        assert_eq!(
            spec(&["s3://b/d/ab", "s3://b/d/ac"]).destination_label(),
            "s3://b/d/"
        );
        assert_eq!(
            spec(&["s3://b/d/ab", "s3://b/d/abc"]).destination_label(),
            "s3://b/d/"
        );
        assert_eq!(
            spec(&["s3://b/a", "s3://b/b"]).destination_label(),
            "s3://b/"
        );
        assert_eq!(
            spec(&["s3://b/q/", "s3://c/q/", "s3://b/q/"]).destination_label(),
            "s3://b/q/ s3://c/q/"
        );
        assert_eq!(
            spec(&["s3://b/q/", "s3://c/q/"]).destination_label(),
            "s3://b/q/ s3://c/q/"
        );
    }

    #[test]
    fn a_paused_job_with_objects_in_flight_reads_pausing() {
        let mut s = JobSnapshot {
            id: 1,
            kind: JobKind::Copy,
            state: JobState::Paused,
            source: String::new(),
            destination: String::new(),
            progress: Progress {
                in_flight: 3,
                ..Progress::default()
            },
            created_at: 0,
            finished_at: None,
            message: None,
        };
        assert_eq!(s.state_word(), "pausing");
        s.progress.in_flight = 0;
        assert_eq!(s.state_word(), "paused");
        s.state = JobState::Running;
        s.progress.in_flight = 3;
        assert_eq!(s.state_word(), "running");
        assert_eq!(s.outage_line(), None);
        s.progress.unreachable_retry_in = Some(7);
        assert_eq!(s.state_word(), "unreachable");
        assert_eq!(
            s.outage_line().as_deref(),
            Some("endpoint unreachable, retrying in 7s")
        );
    }

    #[test]
    fn the_default_engine_section_is_accepted_as_is() {
        let (run, problems) =
            RunOptions::from_config(&EngineDefaults::default(), &RunOverrides::default());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(run, RunOptions::default());
    }

    #[test]
    fn out_of_bounds_values_name_their_origin_and_keep_the_default() {
        let e = EngineDefaults {
            part_size: "1MiB".into(),
            multipart_threshold: "6GiB".into(),
            stream_part_size: "lots".into(),
            concurrency: 0,
            ..EngineDefaults::default()
        };
        let (run, problems) = RunOptions::from_config(&e, &RunOverrides::default());
        assert_eq!(
            problems,
            vec![
                "[engine] stream_part_size: invalid size \"lots\": expected e.g. 8MiB, 1GiB, 1048576".to_string(),
                "[engine] multipart_threshold cannot exceed 5GiB (S3's single-copy limit)".into(),
                "[engine] part_size must be between 5MiB and 5GiB".into(),
                "[engine] concurrency must be at least 1".into(),
            ]
        );
        let d = RunOptions::default();
        assert_eq!(
            (run.part_size, run.multipart_threshold, run.concurrency),
            (d.part_size, d.multipart_threshold, 1)
        );
        let flags = RunOverrides {
            part_size: Some(1 << 20),
            ..RunOverrides::default()
        };
        let (_, problems) = RunOptions::from_config(&EngineDefaults::default(), &flags);
        assert_eq!(
            problems,
            vec!["--part-size must be between 5MiB and 5GiB".to_string()]
        );
    }
}
