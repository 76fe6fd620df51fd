//! cp / mv / sync / jobs / resume / diff on the command line.

use crate::cli::args::{ConnFlags, DiffArgs, JobsArgs, ResumeArgs, TransferArgs};
use crate::cli::Exit;
use crate::config::Config;
use crate::engine::JobKind;

pub async fn run(
    _flags: &ConnFlags,
    _config: &Config,
    _kind: JobKind,
    _args: TransferArgs,
) -> anyhow::Result<Exit> {
    anyhow::bail!("not available yet")
}

pub async fn jobs(_config: &Config, _args: JobsArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("not available yet")
}

pub async fn resume(_config: &Config, _args: ResumeArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("not available yet")
}

pub async fn diff(_flags: &ConnFlags, _config: &Config, _args: DiffArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("not available yet")
}
