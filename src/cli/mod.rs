//! The headless CLI: every command runs on the same layers as the TUI.

pub mod args;
pub mod commands;
mod conn;
mod output;

pub use args::{Cli, Command};
pub use commands::status::render as render_status;
pub use conn::{resolve_side, Side};
pub use output::{json_line, Exit, UsageError};

use crate::config::Config;

/// Run a parsed command line; returns the process exit code.
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<Exit> {
    let conn = &cli.conn;
    let Some(command) = cli.command else {
        return commands::tui::run_tui(conn, &config, None, None, false).await;
    };
    match command {
        Command::Ls(a) => commands::ls::run(conn, &config, a).await,
        Command::Status(a) => commands::status::run(conn, &config, a).await,
        Command::Tui(a) => commands::tui::run_tui(conn, &config, a.src, a.dst, a.read_only).await,
        Command::Sandbox(a) => commands::sandbox::run(a).await,
        Command::Demo(a) => commands::demo::run(&config, a).await,
        Command::Cp(a) => commands::cp::run(conn, &config, a).await,
        Command::Mv(a) => commands::mv::run(conn, &config, a).await,
        Command::Sync(a) => commands::sync::run(conn, &config, a).await,
        Command::Jobs(a) => commands::jobs::run(&config, a).await,
        Command::Resume(a) => commands::resume::run(&config, a).await,
        Command::Cleanup(a) => commands::cleanup::run(conn, &config, a).await,
        Command::Diff(a) => commands::diff::run(conn, &config, a).await,
        Command::Batch(b) => commands::batch::run(conn, &config, b).await,
    }
}
