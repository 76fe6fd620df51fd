//! Pure TUI state: `update(&mut App, Msg) -> Vec<Effect>`. No terminal, no
//! network, no clock: the runtime (`tui::terminal`, `tui::effects`) feeds
//! events and effect results in as messages and carries the returned effects
//! out. One folder per feature (`browse`, `preview`, `compare`, `batch`,
//! `transfers`, `dialogs`) holds its state, its keys and its results; the
//! shared core is `App` here, `msg`, `update` (the dispatch), `keymap`,
//! `layout`, `input`, `mouse`, `navigation` and `inflight`.

pub mod batch;
pub mod browse;
pub mod compare;
pub mod dialogs;
pub mod event;
mod inflight;
pub mod input;
pub mod keymap;
pub mod layout;

pub mod msg;

pub mod preview;

pub mod transfers;

mod mouse;
mod navigation;
mod update;

pub use browse::pane::{Pane, View};
pub use dialogs::Dialog;
pub use keymap::{Context, Keymap, Verb};
pub use msg::{Effect, Msg, PaneSide, RequestId, SizeCount};
pub use update::update;

pub(crate) use inflight::{InFlight, Pending};

use crate::config::{BatchSettings, Config, ConnectionSettings};
use crate::engine::model::RunOptions;
use crate::location::Location;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Pane(PaneSide),
    Transfers,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub text: String,
    pub error: bool,
    pub at_ms: u64,
    /// How many dialogs were open when it was said: a message given while
    /// the top dialog is open is drawn over the dialogs, not under them.
    pub dialog_depth: usize,
}

/// Info messages fade after this; errors stay longer.
pub const INFO_TTL_MS: u64 = 6_000;
pub const ERROR_TTL_MS: u64 = 30_000;
/// Page size inside dialogs, whose height `app` does not track.
pub(crate) const DIALOG_PAGE: usize = 10;

/// Everything `App::new` needs; mirrors `tui::TuiOptions`.
#[derive(Debug, Clone)]
pub struct AppInit {
    pub config: Config,
    pub src_conn: ConnectionSettings,
    pub dst_conn: ConnectionSettings,
    pub src: Option<Location>,
    pub dst: Option<Location>,
    pub read_only: bool,
}

#[derive(Debug, Clone)]
pub struct App {
    pub panes: [Pane; 2],
    pub focus: Focus,
    /// Stacked; the last one has the keys.
    pub dialogs: Vec<Dialog>,
    pub keymap: Keymap,
    pub read_only: bool,
    pub status: Option<StatusLine>,
    pub transfers: transfers::Transfers,
    pub width: u16,
    pub height: u16,
    pub now_ms: u64,
    /// Counts ticks, for the loading spinner.
    pub ticks: u64,
    pub named_connections: Vec<(String, ConnectionSettings)>,
    pub run_options: RunOptions,
    /// `[batch]`: what the Batch Operations form starts with.
    pub batch_settings: BatchSettings,
    /// Compare mode, when on.
    pub compare: Option<compare::CompareMode>,
    pub quitting: bool,
    /// Requests issued and not yet answered.
    pub(crate) inflight: InFlight,
}

impl App {
    /// The initial state and the effects that load both panes.
    pub fn new(init: AppInit) -> (App, Vec<Effect>) {
        let (keymap, mut problems) = Keymap::from_config(&init.config.keys);
        let run_options = run_options(&init.config, &mut problems);
        let mut app = App {
            panes: [
                Pane::new(PaneSide::Left, init.src_conn),
                Pane::new(PaneSide::Right, init.dst_conn),
            ],
            focus: Focus::Pane(PaneSide::Left),
            dialogs: Vec::new(),
            keymap,
            read_only: init.read_only || init.config.ui.read_only,
            status: None,
            transfers: Default::default(),
            width: 80,
            height: 24,
            now_ms: 0,
            ticks: 0,
            named_connections: init.config.connections.into_iter().collect(),
            run_options,
            batch_settings: init.config.batch,
            compare: None,
            quitting: false,
            inflight: InFlight::default(),
        };
        let mut effects = Vec::new();
        for (side, loc) in [(PaneSide::Left, init.src), (PaneSide::Right, init.dst)] {
            match loc {
                Some(loc) => effects.extend(app.open_bucket(side, &loc.bucket, &loc.prefix)),
                None => effects.extend(app.show_buckets(side, None)),
            }
        }
        effects.extend(app.ensure_loaded());
        if !problems.is_empty() {
            app.set_error(problems.join("; "));
        } else if app.read_only {
            app.set_info("read-only: copy, move, resume and retry are disabled");
        }
        (app, effects)
    }

    pub fn pane(&self, side: PaneSide) -> &Pane {
        &self.panes[side.index()]
    }

    pub fn pane_mut(&mut self, side: PaneSide) -> &mut Pane {
        &mut self.panes[side.index()]
    }

    pub(crate) fn request(&mut self, what: Pending) -> RequestId {
        self.inflight.issue(what)
    }

    /// Requests still awaited, by what they are for (for tests and the log).
    pub fn pending_count(&self) -> usize {
        self.inflight.len()
    }

    /// The status message when it was given while the top dialog is open
    /// (so it must be shown above the dialogs).
    pub fn status_for_dialog(&self) -> Option<&StatusLine> {
        self.status
            .as_ref()
            .filter(|s| !self.dialogs.is_empty() && s.dialog_depth == self.dialogs.len())
    }

    pub fn set_info(&mut self, text: impl Into<String>) {
        self.status = Some(StatusLine {
            text: text.into(),
            error: false,
            at_ms: self.now_ms,
            dialog_depth: self.dialogs.len(),
        });
    }

    pub fn set_error(&mut self, text: impl Into<String>) {
        self.status = Some(StatusLine {
            text: text.into(),
            error: true,
            at_ms: self.now_ms,
            dialog_depth: self.dialogs.len(),
        });
    }

    /// The context keys are resolved in.
    pub fn context(&self) -> Context {
        if let Some(d) = self.dialogs.last() {
            return d.context();
        }
        match self.focus {
            Focus::Transfers => Context::Transfers,
            Focus::Pane(side) => match self.pane(side).view {
                View::Buckets(_) => Context::Buckets,
                View::Tree(_) => Context::Tree,
            },
        }
    }

    pub fn areas(&self) -> Option<layout::Areas> {
        layout::areas(self.width, self.height, self.transfers.len())
    }

    /// Rows a pane shows at the current size.
    pub fn pane_height(&self, side: PaneSide) -> usize {
        self.areas()
            .map(|a| {
                let r = if side == PaneSide::Left {
                    a.left
                } else {
                    a.right
                };
                layout::inner(r).height as usize
            })
            .unwrap_or(1)
            .max(1)
    }

    pub fn job_rows(&self) -> usize {
        self.areas()
            .map(|a| layout::job_rows(a.transfers))
            .unwrap_or(1)
            .max(1)
    }

    /// Is anything waiting for the network (for the spinner)?
    pub fn busy(&self) -> bool {
        self.panes.iter().any(Pane::busy) || self.compare.as_ref().is_some_and(|c| c.running())
    }

    /// Secrets are never journaled; a named connection gets them back from
    /// the config (as the engine does when it resumes a job).
    pub(crate) fn restore_secrets(&self, s: ConnectionSettings) -> ConnectionSettings {
        let named = s
            .name
            .as_deref()
            .and_then(|n| self.named_connections.iter().find(|(k, _)| k == n))
            .map(|(_, c)| c);
        s.with_secret_from(named)
    }
}

fn run_options(config: &Config, problems: &mut Vec<String>) -> RunOptions {
    let (run, found) = RunOptions::from_config(&config.engine, &Default::default());
    problems.extend(found);
    run
}
