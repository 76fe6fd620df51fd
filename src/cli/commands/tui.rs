//! `s3ferry tui` (and no subcommand): the connections and locations from the
//! command line, then the TUI.

use crate::cli::args::ConnFlags;
use crate::cli::{resolve_side, Exit, Side};
use crate::config::{Config, ConnectionSettings};
use crate::location::Location;

pub async fn run_tui(
    flags: &ConnFlags,
    config: &Config,
    src: Option<Location>,
    dst: Option<Location>,
    read_only: bool,
) -> anyhow::Result<Exit> {
    let src_conn = resolve_side(flags, config, Side::Src)?;
    let dst_conn = resolve_side(flags, config, Side::Dst)?;
    open_tui(config, src_conn, dst_conn, src, dst, read_only).await
}

pub async fn open_tui(
    config: &Config,
    src_conn: ConnectionSettings,
    dst_conn: ConnectionSettings,
    src: Option<Location>,
    dst: Option<Location>,
    read_only: bool,
) -> anyhow::Result<Exit> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("the TUI needs a terminal; use a subcommand (see --help) for scripts");
    }
    let ended = crate::tui::run(crate::tui::TuiOptions {
        config: config.clone(),
        src_conn,
        dst_conn,
        src,
        dst,
        read_only: read_only || config.ui.read_only,
    })
    .await?;
    Ok(match ended {
        crate::tui::Ended::Quit => Exit::OK,
        crate::tui::Ended::Signalled => Exit::INTERRUPTED,
    })
}
