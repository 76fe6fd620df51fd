//! S3 Batch Operations: for moves too big for one machine. s3ferry plans with
//! the same planner as `cp`, writes and uploads the manifest, creates the job
//! (through `s3::control`), follows it, reads its completion report, and (for
//! `--move`) journals the tasks the report marks done and starts an engine
//! job that checks each copy before deleting its source. It lives in the
//! engine because it writes to buckets and to the journal.

pub mod finish;
pub mod manifest;
pub mod mapping;
pub mod report;
pub mod submit;
