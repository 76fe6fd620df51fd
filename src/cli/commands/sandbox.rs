//! `s3ferry sandbox`: the in-process S3 server on its own, for scripts and
//! tests.

use crate::cli::args::SandboxArgs;
use crate::cli::Exit;

pub async fn run(args: SandboxArgs) -> anyhow::Result<Exit> {
    crate::demo::run_sandbox(args).await
}
