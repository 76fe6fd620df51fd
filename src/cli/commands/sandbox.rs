//! `s3ferry sandbox`: the in-process S3 server on its own, for scripts and
//! tests.

use crate::cli::args::SandboxArgs;
use crate::cli::Exit;
use crate::sandbox::{Sandbox, SandboxOptions};

pub async fn run(args: SandboxArgs) -> anyhow::Result<Exit> {
    let credentials = args.access_key.clone().zip(args.secret_key.clone());
    let sandbox = Sandbox::start(SandboxOptions {
        addr: args.addr,
        data_dir: args.data.clone(),
        credentials,
        generate: args.generate.clone(),
        ..SandboxOptions::default()
    })
    .await
    .map_err(|e| anyhow::anyhow!("cannot start the sandbox on {}: {e:#}", args.addr))?;
    let url = sandbox.url();
    if args.seed {
        crate::demo::seed(&sandbox.seeder()).await?;
    }
    println!("s3ferry sandbox listening on {url}");
    // Without keys of its own the sandbox takes unsigned requests; with them,
    // the caller signs with the keys it gave (never echoed here).
    if args.access_key.is_some() {
        println!("try: s3ferry --endpoint-url {url} ls   (signed with the access key you gave)");
    } else {
        println!("try: s3ferry --endpoint-url {url} --no-sign-request ls");
    }
    if let Some(d) = &args.data {
        println!("data kept in {}", d.display());
    } else {
        println!("data kept in memory (lost on exit)");
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    Ok(Exit::OK)
}
