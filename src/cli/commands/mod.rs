//! One file per subcommand (`s3ferry cp` is `cp.rs`); what several of them
//! share lives in `transfer.rs` (cp, mv, sync, resume).

pub mod batch;
pub mod cleanup;
pub mod cp;
pub mod demo;
pub mod diff;
pub mod jobs;
pub mod ls;
pub mod mv;
pub mod resume;
pub mod sandbox;
pub mod status;
pub mod sync;
pub mod transfer;
pub mod tui;
