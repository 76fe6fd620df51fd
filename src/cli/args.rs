//! Command-line grammar.

use clap::{Args, Parser, Subcommand};

use crate::location::Location;

fn location(s: &str) -> Result<Location, String> {
    s.parse::<Location>().map_err(|e| e.to_string())
}

fn size(s: &str) -> Result<u64, String> {
    crate::config::parse_size(s)
}

fn duration(s: &str) -> Result<std::time::Duration, String> {
    crate::config::parse_duration(s)
}

#[derive(Debug, Parser)]
#[command(
    name = "s3ferry",
    version,
    about = "Move data between S3 buckets: a two-pane TUI and a headless CLI"
)]
pub struct Cli {
    #[command(flatten)]
    pub conn: ConnFlags,
    /// Fail (and retry) a request whose connection moves no data for this
    /// long, e.g. 30s, 2m [default: [engine] read_timeout, 60s]
    #[arg(long, global = true, value_name = "DURATION")]
    pub read_timeout: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Connection flags, accepted before or after the subcommand.
#[derive(Debug, Args, Default, Clone)]
pub struct ConnFlags {
    /// AWS profile for both sides
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region for both sides (bucket regions are discovered anyway)
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// S3-compatible endpoint for both sides (implies path-style addressing)
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Do not sign requests (public buckets)
    #[arg(long, global = true)]
    pub no_sign_request: bool,
    /// Named connection from the config file for both sides
    #[arg(long, global = true, value_name = "NAME")]
    pub connection: Option<String>,
    #[arg(long, global = true, value_name = "NAME", help_heading = "Source side")]
    pub src_profile: Option<String>,
    #[arg(long, global = true, help_heading = "Source side")]
    pub src_region: Option<String>,
    #[arg(long, global = true, value_name = "URL", help_heading = "Source side")]
    pub src_endpoint_url: Option<String>,
    #[arg(long, global = true, value_name = "NAME", help_heading = "Source side")]
    pub src_connection: Option<String>,
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        help_heading = "Destination side"
    )]
    pub dst_profile: Option<String>,
    #[arg(long, global = true, help_heading = "Destination side")]
    pub dst_region: Option<String>,
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help_heading = "Destination side"
    )]
    pub dst_endpoint_url: Option<String>,
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        help_heading = "Destination side"
    )]
    pub dst_connection: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List buckets, or objects under s3://bucket[/prefix]
    Ls(LsArgs),
    /// Show a bucket's versioning, replication, ownership, encryption and object lock
    Status(StatusArgs),
    /// Copy objects (server-side where possible)
    Cp(TransferArgs),
    /// Move objects: copy, verify, then delete the source
    Mv(TransferArgs),
    /// Copy only what is missing or different; optionally delete extras
    Sync(TransferArgs),
    /// List journaled jobs, or show one
    Jobs(JobsArgs),
    /// Continue an interrupted, cancelled or failed job
    Resume(ResumeArgs),
    /// Abort the multipart uploads s3ferry left open under s3://bucket[/prefix]
    Cleanup(CleanupArgs),
    /// Compare two locations key by key
    Diff(DiffArgs),
    /// Open the two-pane TUI
    Tui(TuiArgs),
    /// Serve an S3-compatible sandbox endpoint in the foreground
    Sandbox(SandboxArgs),
    /// Start a seeded sandbox and open s3ferry on it (no AWS account needed)
    Demo(DemoArgs),
    /// Hand a big copy or move to S3 Batch Operations
    #[command(subcommand)]
    Batch(BatchCommand),
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Plan, write and upload the manifest, and create the job
    Submit(Box<BatchSubmitArgs>),
    /// Show a job's progress (DescribeJob); --watch follows it to the end
    Status(BatchStatusArgs),
    /// Read a finished job's completion report and list failed tasks
    Report(BatchStatusArgs),
}

#[derive(Debug, Args)]
pub struct BatchSubmitArgs {
    #[arg(value_parser = location)]
    pub src: Location,
    #[arg(value_parser = location)]
    pub dst: Location,
    /// IAM role Batch Operations assumes (see README for its policy)
    #[arg(long, value_name = "ARN")]
    pub role_arn: String,
    /// Where the completion report goes: s3://bucket/prefix/
    #[arg(long, value_parser = location, value_name = "s3://bucket/prefix/")]
    pub report: Location,
    /// Where the manifest is uploaded (default: next to the report)
    #[arg(long, value_parser = location, value_name = "s3://bucket/prefix/")]
    pub manifest_to: Option<Location>,
    /// Also write the manifest to this file
    #[arg(long, value_name = "FILE")]
    pub manifest_out: Option<std::path::PathBuf>,
    /// Account that owns the job (default: from STS)
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    #[arg(long, default_value_t = 10)]
    pub priority: i32,
    #[arg(long, value_name = "CLASS")]
    pub storage_class: Option<String>,
    #[arg(long)]
    pub all_versions: bool,
    /// Delete each source after the job, once its copy is checked
    #[arg(long = "move")]
    pub move_sources: bool,
    /// Plan and write --manifest-out only; create nothing
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    #[arg(long)]
    pub json: bool,
    /// S3 Control endpoint (S3-compatible services and tests)
    #[arg(long, value_name = "URL", hide = true)]
    pub control_endpoint_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct BatchStatusArgs {
    /// Local batch record number (see `jobs`) or the Batch Operations job id
    pub job: String,
    #[arg(long)]
    pub watch: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Everything under the prefix, not one level
    #[arg(long, short)]
    pub recursive: bool,
    /// List versions and delete markers
    #[arg(long)]
    pub versions: bool,
    /// One JSON object per line
    #[arg(long)]
    pub json: bool,
    #[arg(value_parser = location, value_name = "s3://bucket[/prefix]")]
    pub location: Option<Location>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long)]
    pub json: bool,
    /// Also summarise per-object replication status under this prefix
    #[arg(long, value_name = "PREFIX")]
    pub objects: Option<String>,
    /// At most this many objects are inspected with --objects
    #[arg(long, default_value_t = 10_000)]
    pub objects_limit: u64,
    #[arg(value_parser = location, value_name = "s3://bucket")]
    pub location: Location,
}

#[derive(Debug, Args, Clone)]
pub struct TransferArgs {
    /// Sources then the destination: SRC... DST
    #[arg(value_parser = location, num_args = 2.., required = true, value_name = "s3://...")]
    pub locations: Vec<Location>,
    /// Include keys matching GLOB (relative to the source prefix); later rules win
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Exclude keys matching GLOB (relative to the source prefix); later rules win
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Rewrite relative keys: 'REGEX=>REPLACEMENT'
    #[arg(long, value_name = "REGEX=>REPLACEMENT")]
    pub rewrite: Option<String>,
    /// Keep existing destination objects
    #[arg(long)]
    pub no_clobber: bool,
    /// sync: delete destination objects missing from the source
    #[arg(long)]
    pub delete: bool,
    /// sync --delete: refuse to delete more than N objects
    #[arg(long, value_name = "N")]
    pub max_delete: Option<u64>,
    /// sync: compare full-object checksums where both sides have them
    #[arg(long)]
    pub checksum: bool,
    /// Print the plan, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Machine-readable output (one JSON object per line)
    #[arg(long)]
    pub json: bool,
    /// Objects in flight (adaptive: lowered while throttled)
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Objects above this size are copied in parts (max 5GiB)
    #[arg(long, value_parser = size, value_name = "SIZE")]
    pub multipart_threshold: Option<u64>,
    /// Part size of multipart copies (default: 64MiB server-side, 16MiB streamed)
    #[arg(long, value_parser = size, value_name = "SIZE")]
    pub part_size: Option<u64>,
    /// Storage class of the copies (default: keep the source's)
    #[arg(long, value_name = "CLASS")]
    pub storage_class: Option<String>,
    /// Copy ACL grants where the destination allows ACLs
    #[arg(long)]
    pub preserve_acl: bool,
    /// Encrypt the copies with AES256, aws:kms or aws:kms:dsse (default: the
    /// destination bucket's default encryption)
    #[arg(long, value_name = "ALGORITHM")]
    pub sse: Option<String>,
    /// KMS key (id, alias or ARN) for --sse aws:kms / aws:kms:dsse
    #[arg(long, value_name = "ID")]
    pub sse_kms_key_id: Option<String>,
    /// Encrypt each copy as its source is encrypted (same algorithm and KMS key)
    #[arg(long, conflicts_with_all = ["sse", "sse_kms_key_id"])]
    pub preserve_sse: bool,
    /// Carry Object Lock retention and legal hold to the copies
    #[arg(long)]
    pub preserve_lock: bool,
    /// How long throttling and an unreachable endpoint are waited out before
    /// objects fail (default 10m)
    #[arg(long, value_parser = duration, value_name = "DURATION")]
    pub retry_budget: Option<std::time::Duration>,
    /// Copy every version oldest to newest and replay delete markers
    #[arg(long)]
    pub all_versions: bool,
    /// Copy this version of a single object
    #[arg(long, value_name = "ID")]
    pub version_id: Option<String>,
    /// Use server-side copy even between different connections
    #[arg(long)]
    pub server_side: bool,
    /// Never show a progress bar
    #[arg(long)]
    pub no_progress: bool,
    /// `--include`/`--exclude` in command-line order (filled from the matches).
    #[arg(skip)]
    pub filters: Vec<(bool, String)>,
}

impl TransferArgs {
    /// Interleave includes and excludes by their position on the command line.
    pub fn order_filters(&mut self, m: &clap::ArgMatches) {
        let mut all: Vec<(usize, bool, String)> = Vec::new();
        for (id, include) in [("include", true), ("exclude", false)] {
            if let (Some(idx), Some(vals)) = (m.indices_of(id), m.get_many::<String>(id)) {
                all.extend(idx.zip(vals).map(|(i, v)| (i, include, v.clone())));
            }
        }
        all.sort_by_key(|(i, _, _)| *i);
        self.filters = all.into_iter().map(|(_, inc, g)| (inc, g)).collect();
    }
}

impl Cli {
    /// Parse, keeping what derive cannot express (the order of filters).
    pub fn parse_ordered() -> Result<Cli, clap::Error> {
        use clap::{CommandFactory, FromArgMatches};
        let m = Cli::command().try_get_matches()?;
        let mut cli = Cli::from_arg_matches(&m)?;
        if let (Some(Command::Cp(a) | Command::Mv(a) | Command::Sync(a)), Some((_, sub))) =
            (cli.command.as_mut(), m.subcommand())
        {
            a.order_filters(sub);
        }
        Ok(cli)
    }
}

#[derive(Debug, Args)]
pub struct JobsArgs {
    #[arg(long)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<JobsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Cancel a job (it stays resumable) and abort the multipart uploads it left open
    Cancel { id: i64 },
    /// Show one job
    Show {
        id: i64,
        /// List failed objects with their reasons
        #[arg(long)]
        failed: bool,
        #[arg(long)]
        json: bool,
    },
    /// Drop the per-object rows of finished jobs now (summaries and failures stay)
    Prune {
        /// Jobs finished at least this long ago (default: the config's [journal] keep)
        #[arg(long, value_name = "DURATION")]
        older_than: Option<String>,
        /// Say what would be dropped, drop nothing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Where to look (the destination connection's flags apply)
    #[arg(value_parser = location, value_name = "s3://bucket[/prefix]")]
    pub location: Location,
    /// Only show what would be aborted
    #[arg(long)]
    pub dry_run: bool,
    /// One JSON object per line
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    pub id: i64,
    #[arg(long)]
    pub json: bool,
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[arg(value_parser = location)]
    pub src: Location,
    #[arg(value_parser = location)]
    pub dst: Location,
    /// Compare full-object checksums (HeadObject on every same-size pair)
    #[arg(long)]
    pub checksum: bool,
    /// Compare version histories
    #[arg(long)]
    pub versions: bool,
    /// Equal size is enough: same-size pairs that cannot be compared otherwise
    /// (multipart or KMS/SSE-C ETags, no common checksum) count as the same
    #[arg(long)]
    pub size_only: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TuiArgs {
    #[arg(value_parser = location)]
    pub src: Option<Location>,
    #[arg(value_parser = location)]
    pub dst: Option<Location>,
    /// Disable every action that writes
    #[arg(long)]
    pub read_only: bool,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (loopback unless told otherwise)
    #[arg(long, default_value = "127.0.0.1:9000")]
    pub addr: std::net::SocketAddr,
    /// Keep objects in this directory (default: in memory)
    #[arg(long, value_name = "DIR")]
    pub data: Option<std::path::PathBuf>,
    /// Require requests signed with this access key
    #[arg(long, requires = "secret_key")]
    pub access_key: Option<String>,
    #[arg(long, requires = "access_key")]
    pub secret_key: Option<String>,
    /// Seed the demo data set
    #[arg(long)]
    pub seed: bool,
    /// Create COUNT small objects under a prefix at start, e.g.
    /// s3://scale/keys/:1000000 (in memory only; repeatable)
    #[arg(long, value_name = "s3://BUCKET/PREFIX:COUNT", conflicts_with = "data")]
    pub generate: Vec<crate::sandbox::Generate>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Print status and listings instead of opening the TUI
    #[arg(long)]
    pub no_tui: bool,
}
