//! Screen geometry, shared by drawing (`ui`) and mouse hit-testing (`app`).

use ratatui::layout::{Constraint, Layout, Rect};

/// Below this the screen says so instead of drawing a broken layout.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// Width of the throughput chart at the left of the transfers panel.
pub const CHART_WIDTH: u16 = 22;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub left: Rect,
    pub right: Rect,
    pub transfers: Rect,
    pub status: Rect,
    pub hints: Rect,
}

pub fn too_small(width: u16, height: u16) -> bool {
    width < MIN_WIDTH || height < MIN_HEIGHT
}

/// The main screen's areas, or `None` when the terminal is too small.
pub fn areas(width: u16, height: u16, jobs: usize) -> Option<Areas> {
    if too_small(width, height) {
        return None;
    }
    // Borders + table header + one row per job, within bounds that leave the
    // panes most of the screen.
    let wanted = jobs.clamp(2, 8) as u16 + 3;
    let transfers_h = wanted.min((height / 3).max(5));
    let [panes, transfers, status, hints] = Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(transfers_h),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(Rect::new(0, 0, width, height));
    let [left, right] =
        Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(panes);
    Some(Areas {
        left,
        right,
        transfers,
        status,
        hints,
    })
}

/// The area inside a bordered block.
pub fn inner(r: Rect) -> Rect {
    Rect {
        x: r.x.saturating_add(1),
        y: r.y.saturating_add(1),
        width: r.width.saturating_sub(2),
        height: r.height.saturating_sub(2),
    }
}

/// Rows of jobs the transfers table shows (inside borders, below the header).
pub fn job_rows(transfers: Rect) -> usize {
    inner(transfers).height.saturating_sub(1) as usize
}

/// Cells the job table's essential columns need (id, state, route,
/// progress, objects, with their spacing).
const ESSENTIAL_TABLE: u16 = 68;

/// The chart's width in a transfers panel `inner_width` wide: none when the
/// job table's essential columns would not fit beside it, so numbers are
/// never squeezed for a picture.
pub fn chart_width(inner_width: u16) -> u16 {
    if inner_width < CHART_WIDTH + 1 + ESSENTIAL_TABLE {
        0
    } else {
        CHART_WIDTH.min(inner_width / 3)
    }
}

/// The job table's area inside the transfers panel (right of the chart).
pub fn job_table(transfers: Rect) -> Rect {
    let i = inner(transfers);
    let chart = chart_width(i.width);
    if chart == 0 {
        return i;
    }
    Rect {
        x: i.x + chart + 1,
        width: i.width.saturating_sub(chart + 1),
        ..i
    }
}

/// A centred rectangle of at most `w` x `h` within `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_at_the_minimum_and_refuses_below() {
        let a = areas(MIN_WIDTH, MIN_HEIGHT, 0).expect("minimum size works");
        assert!(inner(a.left).height >= 3, "{a:?}");
        assert!(job_rows(a.transfers) >= 2, "{a:?}");
        assert_eq!(a.hints.y, MIN_HEIGHT - 1);
        assert!(areas(MIN_WIDTH - 1, 40, 0).is_none());
        assert!(areas(200, MIN_HEIGHT - 1, 0).is_none());
    }

    #[test]
    fn transfers_grow_with_jobs_but_stay_bounded() {
        let few = areas(120, 40, 1).expect("fits");
        let many = areas(120, 40, 50).expect("fits");
        assert!(many.transfers.height > few.transfers.height);
        assert!(many.transfers.height <= 13);
    }
}
