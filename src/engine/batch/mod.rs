//! S3 Batch Operations: for moves too big for one machine. s3ferry plans with
//! the same planner as `cp`, writes and uploads the manifest, creates the job,
//! follows it, reads its completion report, and (for `--move`) deletes the
//! sources the report marks done after checking each copy.

pub mod finish;
pub mod manifest;
pub mod mapping;
pub mod report;
pub mod submit;
