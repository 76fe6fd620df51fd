//! `s3ferry mv`: move objects: each source is deleted only after its copy is verified.

use crate::cli::args::{ConnFlags, TransferArgs};
use crate::cli::Exit;
use crate::config::Config;
use crate::engine::JobKind;

pub async fn run(flags: &ConnFlags, config: &Config, args: TransferArgs) -> anyhow::Result<Exit> {
    super::transfer::run(flags, config, JobKind::Move, args).await
}
