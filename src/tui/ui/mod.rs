//! Drawing: reads `&App`, never changes it. Layout comes from
//! `app::layout` so mouse hit-testing and drawing agree.

/// Formatting lives in the `fmt` leaf (the CLI and the app share it).
pub use crate::fmt;

mod batch;
mod browse;
mod compare;
mod dialogs;
mod preview;
mod status_bar;
mod theme;
mod transfers;

use ratatui::layout::Alignment;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::app::layout::{self, MIN_HEIGHT, MIN_WIDTH};
use crate::tui::app::{App, PaneSide};

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let Some(areas) = layout::areas(area.width, area.height, app.transfers.len()) else {
        let text = vec![
            Line::from(format!(
                "Terminal too small: {}x{}",
                area.width, area.height
            )),
            Line::from(format!("s3ferry needs at least {MIN_WIDTH}x{MIN_HEIGHT}")),
        ];
        let y = area.height / 2;
        let msg = ratatui::layout::Rect {
            y: area.y + y.saturating_sub(1),
            height: 2.min(area.height),
            ..area
        };
        frame.render_widget(
            Paragraph::new(text)
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
            msg,
        );
        return;
    };
    browse::draw(frame, app, PaneSide::Left, areas.left);
    browse::draw(frame, app, PaneSide::Right, areas.right);
    transfers::draw(frame, app, areas.transfers);
    status_bar::draw_status(frame, app, areas.status);
    status_bar::draw_hints(frame, app, areas.hints);
    for dialog in &app.dialogs {
        dialogs::draw(frame, app, dialog, area);
    }
    // Feedback on a key pressed in a dialog must not hide under it.
    if app.status_for_dialog().is_some() {
        frame.render_widget(ratatui::widgets::Clear, areas.status);
        status_bar::draw_status(frame, app, areas.status);
    }
}

/// The spinner frame for the current tick.
fn spinner(app: &App) -> &'static str {
    const FRAMES: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];
    FRAMES[(app.ticks % FRAMES.len() as u64) as usize]
}
