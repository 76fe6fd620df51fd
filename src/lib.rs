//! s3ferry: move data between S3 buckets — a two-pane TUI and a headless CLI
//! on one async engine.

pub mod config;
pub mod engine;
pub mod location;
pub mod plan;
pub mod s3;
