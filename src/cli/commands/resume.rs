//! `s3ferry resume`: run an interrupted or failed job again from its journal.

use std::sync::Arc;

use super::transfer::watch;
use crate::cli::args::ResumeArgs;
use crate::cli::Exit;
use crate::config::Config;
use crate::engine::signals::Signals;
use crate::engine::Engine;
use crate::journal::Journal;
use crate::s3::ConnectionPool;

pub async fn run(config: &Config, args: ResumeArgs) -> anyhow::Result<Exit> {
    let signals = Signals::new()?;
    let journal = Arc::new(Journal::open_default()?);
    let engine = Engine::with_journal(ConnectionPool::new(), journal, config.clone());
    // Uploads its earlier runs left open are aborted as the run starts.
    engine.resume(args.id)?;
    watch(&engine, args.id, signals, args.json, args.no_progress).await
}
