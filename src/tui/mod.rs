//! The TUI: pure state and keys by feature (`app/`), drawing that only reads
//! it (`ui/`), the effect handlers that talk to the engine and `s3`
//! (`effects/`, one file per feature) and the terminal guard and run loop
//! (`terminal.rs`). The UI task never awaits S3: every effect runs in its own
//! task.

pub mod app;
mod effects;
mod terminal;
pub mod ui;

pub use terminal::{run, Ended};

use crate::config::{Config, ConnectionSettings};
use crate::location::Location;

/// What the command line decided; see `s3ferry tui --help`.
pub struct TuiOptions {
    /// Keymap, named connections, engine defaults, `ui.read_only`.
    pub config: Config,
    /// Connection of the left (source) pane.
    pub src_conn: ConnectionSettings,
    /// Connection of the right (destination) pane.
    pub dst_conn: ConnectionSettings,
    /// Where the left pane opens; its bucket list when `None`.
    pub src: Option<Location>,
    /// Where the right pane opens; its bucket list when `None`.
    pub dst: Option<Location>,
    /// `--read-only`: nothing that writes can be started (also `ui.read_only`).
    pub read_only: bool,
}
