//! The integration suite: one test binary, one module per area (one link
//! instead of one per file). Tests that need a server talk S3 over HTTP to
//! the in-process sandbox and to moto (`scripts/test.sh` starts it).

mod architecture;
mod batch;
mod common;
mod diff;
mod direct_copy;
mod engine;
mod faults;
mod foundation;
mod interrupt;
mod journal_retention;
mod network;
mod outages;
mod safety;
mod sandbox_protocol;
mod scale_tui;
mod tui_compare;
mod tui_e2e;
mod tui_snapshots;
mod tui_state;
mod tui_support;
