//! Pure TUI state: `update(&mut App, Msg) -> Vec<Effect>`. No terminal, no
//! network, no clock: the runtime (`crate::tui`) feeds events and effect
//! results in as messages and carries the returned effects out.

pub mod batch;
pub mod compare;
pub mod dialogs;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod marks;
pub mod msg;
pub mod pane;
pub mod preview;
pub mod throughput;
pub mod transfers;
pub mod tree;

mod actions;
mod results;
mod update;

use std::collections::HashMap;

pub use dialogs::Dialog;
pub use keymap::{Action, Context, Keymap};
pub use msg::{Effect, Msg, RequestId, Side, SizeCount};
pub use pane::{Pane, View};
pub use update::update;

use crate::config::{BatchSettings, Config, ConnectionSettings};
use crate::engine::model::RunOptions;
use crate::location::Location;
use tree::ListingId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Pane(Side),
    Transfers,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub text: String,
    pub error: bool,
    pub at_ms: u64,
}

/// Info messages fade after this; errors stay longer.
pub const INFO_TTL_MS: u64 = 6_000;
pub const ERROR_TTL_MS: u64 = 30_000;

/// What a request id was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pending {
    Connection(Side),
    Buckets(Side),
    List(Side, ListingId),
    Status(Side),
    Summary,
    Size(Side),
    Preview,
    Compare,
}

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
    pub compare: Option<compare::Compare>,
    pub quitting: bool,
    next_request: RequestId,
    pub(crate) pending: HashMap<RequestId, Pending>,
}

impl App {
    /// The initial state and the effects that load both panes.
    pub fn new(init: AppInit) -> (App, Vec<Effect>) {
        let (keymap, mut problems) = Keymap::from_config(&init.config.keys);
        let run_options = run_options(&init.config, &mut problems);
        let mut app = App {
            panes: [
                Pane::new(Side::Left, init.src_conn),
                Pane::new(Side::Right, init.dst_conn),
            ],
            focus: Focus::Pane(Side::Left),
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
            next_request: 1,
            pending: HashMap::new(),
        };
        let mut effects = Vec::new();
        for (side, loc) in [(Side::Left, init.src), (Side::Right, init.dst)] {
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

    pub fn pane(&self, side: Side) -> &Pane {
        &self.panes[side.index()]
    }

    pub fn pane_mut(&mut self, side: Side) -> &mut Pane {
        &mut self.panes[side.index()]
    }

    pub(crate) fn request(&mut self, what: Pending) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        self.pending.insert(id, what);
        id
    }

    /// Requests still awaited, by what they are for (for tests and the log).
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    pub fn set_info(&mut self, text: impl Into<String>) {
        self.status = Some(StatusLine {
            text: text.into(),
            error: false,
            at_ms: self.now_ms,
        });
    }

    pub fn set_error(&mut self, text: impl Into<String>) {
        self.status = Some(StatusLine {
            text: text.into(),
            error: true,
            at_ms: self.now_ms,
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
    pub fn pane_height(&self, side: Side) -> usize {
        self.areas()
            .map(|a| {
                let r = if side == Side::Left { a.left } else { a.right };
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
