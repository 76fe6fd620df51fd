//! `s3ferry demo`: the in-process S3 server seeded with demo buckets, opened
//! in the TUI.

use crate::cli::args::DemoArgs;
use crate::cli::Exit;
use crate::config::Config;

pub async fn run(config: &Config, args: DemoArgs) -> anyhow::Result<Exit> {
    crate::demo::run_demo(args, config).await
}
