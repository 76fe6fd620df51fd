//! Compare mode's keys: `d` compares the two panes' open folders (or ends
//! compare mode), `D` marks the differences it found.

use crate::location::Location;
use crate::tui::app::browse::marks::MarkSize;
use crate::tui::app::browse::pane::Pane;
use crate::tui::app::compare::CompareMode;
use crate::tui::app::keymap::Verb;
use crate::tui::app::msg::{Effect, PaneSide};
use crate::tui::app::{App, Pending};

impl App {
    /// `d`: compare mode on (the two panes' open folders) or off.
    pub(crate) fn toggle_compare(&mut self) -> Vec<Effect> {
        if let Some(c) = self.compare.take() {
            self.set_info("compare mode off");
            return self.inflight.cancel_open(c.request).into_iter().collect();
        }
        let folder = |pane: &Pane| {
            pane.bucket()
                .zip(pane.current_prefix())
                .map(|(b, p)| Location::new(b, p))
        };
        let (Some(left), Some(right)) = (
            folder(self.pane(PaneSide::Left)),
            folder(self.pane(PaneSide::Right)),
        ) else {
            self.set_error("compare: open a folder in both panes first");
            return Vec::new();
        };
        let same_store = self
            .pane(PaneSide::Left)
            .conn
            .same_store(&self.pane(PaneSide::Right).conn);
        if left == right && same_store {
            self.set_error(format!("compare: both panes show {left}"));
            return Vec::new();
        }
        let effects = self.start_compare(left.clone(), right.clone());
        self.set_info(format!(
            "comparing {left} with {right}: + only on that side · ≠ different · = same; {} marks the differences, {} again ends compare mode",
            self.keymap.first_key(Verb::MarkDifferences),
            self.keymap.first_key(Verb::Compare)
        ));
        effects
    }

    /// Compares `left` with `right` afresh, replacing any comparison running.
    pub(crate) fn start_compare(&mut self, left: Location, right: Location) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Some(old) = self.compare.take() {
            effects.extend(self.inflight.cancel_open(old.request));
        }
        let request = self.request(Pending::Compare);
        self.compare = Some(CompareMode::new(request, left.clone(), right.clone()));
        effects.push(Effect::StartCompare {
            request,
            src_conn: self.pane(PaneSide::Left).conn.clone(),
            src: left,
            dst_conn: self.pane(PaneSide::Right).conn.clone(),
            dst: right,
        });
        effects
    }

    /// `D`: marks on the left exactly what is only in the source or different.
    pub(crate) fn mark_differences(&mut self) -> Vec<Effect> {
        let Some(c) = &self.compare else {
            self.set_error(format!(
                "no comparison: {} compares the two panes' open folders first",
                self.keymap.first_key(Verb::Compare)
            ));
            return Vec::new();
        };
        if let Some(e) = &c.error {
            self.set_error(format!("the comparison failed: {e}"));
            return Vec::new();
        }
        if c.running() {
            self.set_error("wait for the comparison to finish: it marks what it found then");
            return Vec::new();
        }
        if self.pane(PaneSide::Left).bucket() != Some(c.left.bucket.as_str()) {
            self.set_error(format!(
                "the left pane no longer shows {}; compare again",
                c.left
            ));
            return Vec::new();
        }
        let marks = c.differences();
        let destination = c.right.to_string();
        let effects = self.clear_marks(PaneSide::Left);
        if marks.is_empty() {
            self.set_info(format!(
                "nothing to mark: every source key is the same in {destination}"
            ));
            return effects;
        }
        let pane = self.pane_mut(PaneSide::Left);
        for (key, kind, size) in marks {
            pane.marks.toggle(&key, kind, MarkSize::Known(size));
        }
        let t = pane.marks.totals();
        self.set_info(format!(
            "marked {} difference(s): {} objects, {}; {} copies them into {destination}",
            t.marks,
            crate::fmt::count(t.objects),
            crate::fmt::bytes(t.bytes),
            self.keymap.first_key(Verb::Copy)
        ));
        effects
    }
}
