//! Dialogs stacked over the panes. `Esc` closes the top one. `keys.rs` hands
//! each key to the dialog on top; `results.rs` fills the status dialog's
//! replication summary.

pub(crate) mod keys;
pub(crate) mod results;

use crate::config::ConnectionSettings;
use crate::engine::model::{FailedEntry, JobId, JobSpec};
use crate::s3::model::ReplicationSummary;
use crate::tui::app::batch::BatchForm;
use crate::tui::app::input::TextInput;
use crate::tui::app::keymap::Context;
use crate::tui::app::msg::{PaneSide, RequestId};
use crate::tui::app::preview::PreviewDialog;

#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    Help { scroll: usize },
    Preview(Box<PreviewDialog>),
    Confirm(Confirm),
    Status(StatusDialog),
    JobDetails(JobDetails),
    Connection(ConnectionPicker),
    BatchForm(Box<BatchForm>),
}

impl Dialog {
    pub fn context(&self) -> Context {
        match self {
            Dialog::Help { .. } => Context::Help,
            Dialog::Preview(_) => Context::Preview,
            Dialog::Confirm(_) => Context::Confirm,
            Dialog::Status(_) => Context::Status,
            Dialog::JobDetails(_) => Context::JobDetails,
            Dialog::Connection(_) => Context::Connection,
            Dialog::BatchForm(_) => Context::BatchForm,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum OnYes {
    Quit,
    Submit(Box<JobSpec>),
    SubmitBatch(Box<crate::engine::batch::submit::SubmitRequest>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    pub on_yes: OnYes,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SummarySlot {
    NotRequested,
    Loading(RequestId, String),
    Loaded(ReplicationSummary),
    Failed(String),
}

/// The bucket status shown is the pane's (also used by its header); this
/// dialog adds the optional per-object replication summary.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusDialog {
    pub side: PaneSide,
    pub bucket: String,
    /// The prefix under the pane's cursor, for the per-object summary.
    pub prefix: String,
    pub summary: SummarySlot,
    pub scroll: usize,
}

/// How many objects the per-object replication summary inspects at most.
pub const SUMMARY_LIMIT: u64 = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub struct JobDetails {
    pub job: JobId,
    pub failed: Option<Result<Vec<FailedEntry>, String>>,
    pub scroll: usize,
}

/// How many failed entries the details dialog loads.
pub const FAILED_LIMIT: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnChoice {
    /// The AWS credential chain with no profile.
    Default,
    /// A `[connections.NAME]` entry.
    Named(String),
    /// Whatever the other pane uses.
    SameAsOther,
    /// Ask for a profile name.
    Profile,
    /// Ask for an endpoint URL.
    Endpoint,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionPicker {
    pub side: PaneSide,
    pub choices: Vec<ConnChoice>,
    pub cursor: usize,
    /// The prompt being answered (`Profile` or `Endpoint`).
    pub input: Option<(ConnChoice, TextInput)>,
    pub error: Option<String>,
}

impl ConnectionPicker {
    pub fn new(side: PaneSide, names: &[String]) -> ConnectionPicker {
        let mut choices = vec![ConnChoice::Default, ConnChoice::SameAsOther];
        choices.extend(names.iter().cloned().map(ConnChoice::Named));
        choices.extend([ConnChoice::Profile, ConnChoice::Endpoint]);
        ConnectionPicker {
            side,
            choices,
            cursor: 0,
            input: None,
            error: None,
        }
    }
}

/// The settings a choice stands for; `None` when it needs typed input first.
pub fn choice_settings(
    choice: &ConnChoice,
    named: &[(String, ConnectionSettings)],
    other: &ConnectionSettings,
) -> Option<ConnectionSettings> {
    match choice {
        ConnChoice::Default => Some(ConnectionSettings::default()),
        ConnChoice::SameAsOther => Some(other.clone()),
        ConnChoice::Named(n) => named.iter().find(|(k, _)| k == n).map(|(k, s)| {
            let mut s = s.clone();
            s.name = Some(k.clone());
            s
        }),
        ConnChoice::Profile | ConnChoice::Endpoint => None,
    }
}

/// Settings from a typed profile name or endpoint URL.
pub fn prompt_settings(choice: &ConnChoice, text: &str) -> Result<ConnectionSettings, String> {
    let text = text.trim();
    match choice {
        ConnChoice::Profile if !text.is_empty() => Ok(ConnectionSettings {
            profile: Some(text.to_string()),
            ..Default::default()
        }),
        ConnChoice::Endpoint => {
            let host = text
                .strip_prefix("http://")
                .or_else(|| text.strip_prefix("https://"));
            if host.is_some_and(|h| !h.is_empty()) {
                Ok(ConnectionSettings {
                    endpoint_url: Some(text.to_string()),
                    ..Default::default()
                })
            } else {
                Err("expected http://host[:port] or https://host[:port]".into())
            }
        }
        _ => Err("type a profile name".into()),
    }
}
