//! What flows into `update` (messages) and out of it (effects for the runtime).

use crate::tui::app::event::{KeyEvent, MouseEvent};

use crate::compare::DiffEntry;
use crate::config::ConnectionSettings;
use crate::engine::batch::finish::MoveStarted;
use crate::engine::batch::submit::{SubmitRequest, Submitted};
use crate::engine::model::{FailedEntry, JobId, JobSnapshot, JobSpec};
use crate::journal::{BatchListing, BatchRecord};
use crate::location::Location;
use crate::plan::model::PlanEntry;
use crate::s3::list::ListRequest;
use crate::s3::model::{BucketInfo, BucketStatus, ListPage, PageToken, ReplicationSummary};
use crate::s3::JobStatus;

/// Ties an effect's result back to the state that asked for it; results whose
/// id is no longer awaited (refreshed, cancelled, bucket switched) are dropped.
pub type RequestId = u64;

/// The left (source) or right (destination) pane; the CLI's `cli::Side` names
/// a connection's role instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneSide {
    Left,
    Right,
}

impl PaneSide {
    pub fn index(self) -> usize {
        match self {
            PaneSide::Left => 0,
            PaneSide::Right => 1,
        }
    }

    pub fn other(self) -> PaneSide {
        match self {
            PaneSide::Left => PaneSide::Right,
            PaneSide::Right => PaneSide::Left,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PaneSide::Left => "SOURCE",
            PaneSide::Right => "DESTINATION",
        }
    }
}

/// Objects and bytes under a prefix, counted in the background.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SizeCount {
    pub objects: u64,
    pub bytes: u64,
    /// False while the count is still running (the numbers only grow).
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// `now_ms` comes from the runtime's monotonic clock; `app` never reads a clock.
    Tick {
        now_ms: u64,
    },
    ConnectionReady {
        request: RequestId,
        result: Result<(), String>,
    },
    BucketsLoaded {
        request: RequestId,
        result: Result<Vec<BucketInfo>, String>,
    },
    ListResult {
        request: RequestId,
        result: Result<ListPage, String>,
    },
    StatusLoaded {
        request: RequestId,
        result: Result<Box<BucketStatus>, String>,
    },
    ReplicationSummaryLoaded {
        request: RequestId,
        result: Result<ReplicationSummary, String>,
    },
    /// Sent repeatedly while counting, finally with `done`.
    MarkSizeComputed {
        request: RequestId,
        result: Result<SizeCount, String>,
    },
    PreviewChunk {
        request: RequestId,
        entries: Vec<PlanEntry>,
    },
    PreviewDone {
        request: RequestId,
        result: Result<(), String>,
    },
    JobSubmitted {
        result: Result<JobId, String>,
    },
    JobsSnapshot(Vec<JobSnapshot>),
    JobDetailsLoaded {
        job: JobId,
        result: Result<Vec<FailedEntry>, String>,
    },
    /// Compared keys, in key order, as the comparison proceeds.
    CompareChunk {
        request: RequestId,
        entries: Vec<DiffEntry>,
    },
    CompareDone {
        request: RequestId,
        result: Result<(), String>,
    },
    BatchSubmitted {
        result: Result<Box<Submitted>, String>,
    },
    /// The newest batch records of the journal.
    BatchesLoaded {
        result: Result<Vec<BatchListing>, String>,
    },
    /// DescribeJob of batch record `id`.
    BatchPolled {
        id: i64,
        result: Result<JobStatus, String>,
    },
    /// The job deleting a completed batch move's sources.
    BatchMoveStarted {
        id: i64,
        result: Result<MoveStarted, String>,
    },
    /// A background operation without its own message failed (pause, resume...).
    Error(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Open (and check) a connection before listing its buckets.
    SwitchConnection {
        request: RequestId,
        conn: ConnectionSettings,
    },
    ListBuckets {
        request: RequestId,
        conn: ConnectionSettings,
    },
    ListPage {
        request: RequestId,
        conn: ConnectionSettings,
        req: ListRequest,
        token: Option<PageToken>,
    },
    LoadStatus {
        request: RequestId,
        conn: ConnectionSettings,
        bucket: String,
    },
    LoadReplicationSummary {
        request: RequestId,
        conn: ConnectionSettings,
        bucket: String,
        prefix: String,
        limit: u64,
        /// Prefixes the bucket's replication rules cover, to spot objects they never replicated.
        covered: Option<Vec<String>>,
    },
    ComputeSize {
        request: RequestId,
        conn: ConnectionSettings,
        location: Location,
    },
    StartPreview {
        request: RequestId,
        spec: Box<JobSpec>,
    },
    /// Stop a running background request (preview, size count); its late results are ignored anyway.
    Cancel {
        request: RequestId,
    },
    SubmitJob(Box<JobSpec>),
    PauseJob(JobId),
    ResumeJob(JobId),
    CancelJob(JobId),
    RetryFailed(JobId),
    LoadJobDetails(JobId),
    /// Compare two folders as `s3ferry diff` does, streaming the result back.
    StartCompare {
        request: RequestId,
        src_conn: ConnectionSettings,
        src: Location,
        dst_conn: ConnectionSettings,
        dst: Location,
    },
    /// Plan, upload the manifest and create the Batch Operations job.
    SubmitBatch(Box<SubmitRequest>),
    /// List the newest batch records from the journal.
    LoadBatches,
    /// DescribeJob for batch record `id`.
    PollBatch {
        id: i64,
        conn: ConnectionSettings,
        region: String,
        account_id: String,
        remote_id: String,
        control_endpoint: Option<String>,
    },
    /// Start the job that checks a completed batch move's copies and deletes its sources.
    FinishBatchMove {
        id: i64,
        record: Box<BatchRecord>,
        conn: ConnectionSettings,
    },
    Quit,
}
