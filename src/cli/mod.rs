//! The headless CLI: every command runs on the same layers as the TUI.

pub mod args;
mod conn;
pub mod diff;
mod ls;
mod output;
mod status;

pub use args::{Cli, Command};
pub use conn::{resolve_side, Side};
pub use output::{json_line, Exit, UsageError};
pub use status::render as render_status;

use crate::config::Config;

/// Run a parsed command line; returns the process exit code.
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<Exit> {
    let Some(command) = cli.command else {
        return crate::cli_tui::run_tui(&cli.conn, &config, None, None, false).await;
    };
    match command {
        Command::Ls(a) => ls::run(&cli.conn, &config, a).await,
        Command::Status(a) => status::run(&cli.conn, &config, a).await,
        Command::Tui(a) => {
            crate::cli_tui::run_tui(&cli.conn, &config, a.src, a.dst, a.read_only).await
        }
        Command::Sandbox(a) => crate::demo::run_sandbox(a).await,
        Command::Demo(a) => crate::demo::run_demo(a, &config).await,
        Command::Cp(a) => {
            crate::cli_transfer::run(&cli.conn, &config, crate::engine::JobKind::Copy, a).await
        }
        Command::Mv(a) => {
            crate::cli_transfer::run(&cli.conn, &config, crate::engine::JobKind::Move, a).await
        }
        Command::Sync(a) => {
            crate::cli_transfer::run(&cli.conn, &config, crate::engine::JobKind::Sync, a).await
        }
        Command::Jobs(a) => crate::cli_transfer::jobs(&config, a).await,
        Command::Resume(a) => crate::cli_transfer::resume(&config, a).await,
        Command::Diff(a) => crate::cli_transfer::diff(&cli.conn, &config, a).await,
        Command::Batch(b) => crate::cli_batch::run(&cli.conn, &config, b).await,
    }
}
