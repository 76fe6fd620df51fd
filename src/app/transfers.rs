//! The transfers panel: jobs as the engine reports them, the selected job and
//! the throughput history.

use std::collections::HashSet;

use super::throughput::{Rate, Throughput};
use crate::engine::model::{JobId, JobSnapshot, JobState};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transfers {
    /// Display order: active jobs first, newest first.
    pub jobs: Vec<JobSnapshot>,
    pub selected: Option<JobId>,
    pub offset: usize,
    pub throughput: Throughput,
    /// Finished jobs already reported (and their panes refreshed).
    finished_seen: HashSet<JobId>,
    /// The first snapshot only learns what had finished before this run.
    initialized: bool,
}

impl Transfers {
    /// Stores a snapshot; returns the jobs that finished since the last one.
    pub fn set_jobs(&mut self, mut jobs: Vec<JobSnapshot>) -> Vec<JobSnapshot> {
        let mut finished = Vec::new();
        for j in jobs.iter().filter(|j| !j.state.is_active()) {
            if self.finished_seen.insert(j.id) && self.initialized {
                finished.push(j.clone());
            }
        }
        self.initialized = true;
        jobs.sort_by_key(|j| (!j.state.is_active(), std::cmp::Reverse(j.id)));
        self.jobs = jobs;
        let still_there = self
            .selected
            .is_some_and(|id| self.jobs.iter().any(|j| j.id == id));
        if !still_there {
            self.selected = self.jobs.first().map(|j| j.id);
        }
        finished
    }

    pub fn selected_index(&self) -> Option<usize> {
        let id = self.selected?;
        self.jobs.iter().position(|j| j.id == id)
    }

    pub fn selected_job(&self) -> Option<&JobSnapshot> {
        self.selected_index().and_then(|i| self.jobs.get(i))
    }

    pub fn select_index(&mut self, index: usize, height: usize) {
        if let Some(j) = self.jobs.get(index) {
            self.selected = Some(j.id);
            self.offset = super::tree::scroll_to(self.offset, index, height, self.jobs.len());
        }
    }

    pub fn active(&self) -> usize {
        self.jobs.iter().filter(|j| j.state.is_active()).count()
    }

    pub fn running(&self) -> usize {
        self.jobs
            .iter()
            .filter(|j| j.state == JobState::Running)
            .count()
    }

    pub fn total_rate(&self) -> Rate {
        self.throughput.total_rate(&self.jobs)
    }

    /// Remaining objects and bytes over all active jobs.
    pub fn remaining(&self) -> (u64, u64) {
        self.jobs
            .iter()
            .filter(|j| j.state.is_active())
            .fold((0, 0), |(o, b), j| {
                let p = &j.progress;
                (
                    o + p.objects_total.saturating_sub(p.objects_done),
                    b + p.bytes_total.saturating_sub(p.bytes_done),
                )
            })
    }
}
