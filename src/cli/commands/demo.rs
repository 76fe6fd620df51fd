//! `s3ferry demo`: the in-process S3 server seeded with demo buckets, opened
//! in the TUI (or, without a terminal, printed).

use crate::cli::args::DemoArgs;
use crate::cli::Exit;
use crate::config::Config;
use crate::s3::{Connection, ListItem, ListRequest};
use crate::sandbox::{Sandbox, SandboxOptions};

pub async fn run(config: &Config, args: DemoArgs) -> anyhow::Result<Exit> {
    let sandbox = Sandbox::start(SandboxOptions::default()).await?;
    let settings = crate::demo::sandbox_connection(&sandbox.url());
    crate::demo::seed(&sandbox.seeder()).await?;
    let conn = Connection::open(settings.clone()).await?;
    use std::io::IsTerminal;
    if args.no_tui || !std::io::stdout().is_terminal() {
        print_overview(&conn).await?;
        return Ok(Exit::OK);
    }
    let result = super::tui::open_tui(
        config,
        settings.clone(),
        settings,
        Some("s3://prod-assets".parse()?),
        Some("s3://backup-assets".parse()?),
        false,
    )
    .await;
    sandbox.shutdown().await;
    result
}

async fn print_overview(conn: &Connection) -> anyhow::Result<()> {
    use futures::StreamExt;
    let buckets = conn.list_buckets().await?;
    println!(
        "sandbox endpoint: {}",
        conn.settings().endpoint_url.as_deref().unwrap_or_default()
    );
    for b in buckets {
        let status = crate::s3::status::bucket_status(conn, &b.name).await?;
        println!("\n== s3://{}/", b.name);
        print!("{}", crate::cli::render_status(&status));
        let mut pages = Box::pin(
            conn.bucket(&b.name)
                .await?
                .pages(ListRequest::folder(&b.name, "")),
        );
        while let Some(page) = pages.next().await {
            for item in page?.items {
                match item {
                    ListItem::Prefix(p) => println!("{:>12}  {p}", "PRE"),
                    ListItem::Object(o) => println!("{:>12}  {}", o.size, o.key),
                }
            }
        }
    }
    Ok(())
}
