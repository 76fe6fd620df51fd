//! s3ferry: move data between S3 buckets — a two-pane TUI and a headless CLI
//! on one async engine.

pub mod cli;
pub mod compare;
pub mod config;
pub mod demo;
pub mod engine;
pub mod fmt;
pub mod job;
pub mod journal;
pub mod location;
pub mod plan;
pub mod s3;
pub mod sandbox;
pub mod tui;
