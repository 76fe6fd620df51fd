//! Colours in one place.

use ratatui::style::{Color, Modifier, Style};

use crate::engine::model::JobState;
use crate::plan::model::Action as PlanAction;

pub fn border(focused: bool) -> Style {
    if focused {
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
    } else {
        Style::new().fg(Color::DarkGray)
    }
}

pub fn cursor(focused: bool) -> Style {
    if focused {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new().add_modifier(Modifier::UNDERLINED)
    }
}

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn prefix() -> Style {
    Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD)
}

pub fn marked() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}

pub fn error() -> Style {
    Style::new().fg(Color::Red)
}

pub fn warn() -> Style {
    Style::new().fg(Color::Yellow)
}

pub fn ok() -> Style {
    Style::new().fg(Color::Green)
}

pub fn key() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

pub fn job_state(s: JobState) -> Style {
    match s {
        JobState::Running => ok(),
        JobState::Queued | JobState::Paused => warn(),
        JobState::Completed => Style::new().fg(Color::Green).add_modifier(Modifier::DIM),
        JobState::Failed => error(),
        JobState::Cancelled | JobState::Interrupted => Style::new().fg(Color::Magenta),
    }
}

pub fn plan_action(a: PlanAction) -> Style {
    match a {
        PlanAction::Copy => ok(),
        PlanAction::Overwrite => warn(),
        PlanAction::Skip => dim(),
        PlanAction::Conflict | PlanAction::Delete => error(),
    }
}
