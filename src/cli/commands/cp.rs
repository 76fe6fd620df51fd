//! `s3ferry cp`: copy objects; the sources stay.

use crate::cli::args::{ConnFlags, TransferArgs};
use crate::cli::Exit;
use crate::config::Config;
use crate::engine::JobKind;

pub async fn run(flags: &ConnFlags, config: &Config, args: TransferArgs) -> anyhow::Result<Exit> {
    super::transfer::run(flags, config, JobKind::Copy, args).await
}
