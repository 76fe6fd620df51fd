//! The transfers panel: jobs as the engine reports them, then the S3 Batch
//! Operations jobs s3ferry handed off, the selected row and the throughput
//! history. `keys.rs` has the panel's and the job details dialog's keys,
//! `results.rs` the jobs coming back.

pub(crate) mod keys;
pub(crate) mod results;
pub mod throughput;

use std::collections::HashSet;

use crate::engine::model::{JobId, JobSnapshot, JobState};
use crate::journal::BatchListing;
use crate::tui::app::batch::BatchRow;
use crate::tui::app::transfers::throughput::{Rate, Throughput};

/// A row of the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferRow {
    Job(JobId),
    /// A batch record by its local number.
    Batch(i64),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transfers {
    /// Display order: active jobs first, newest first.
    pub jobs: Vec<JobSnapshot>,
    /// Below the jobs, newest first.
    pub batches: Vec<BatchRow>,
    pub selected: Option<TransferRow>,
    /// When batch jobs were last listed (`now_ms`), and whether that is still running.
    pub batches_loaded_at: Option<u64>,
    pub batches_loading: bool,
    /// The last error listing them, shown once rather than every poll.
    pub batches_error: Option<String>,
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
        let known = self
            .initialized
            .then(|| self.jobs.iter().map(|j| j.id).max());
        self.initialized = true;
        jobs.sort_by_key(|j| (!j.state.is_active(), std::cmp::Reverse(j.id)));
        self.jobs = jobs;
        self.keep_selection();
        // A job queued since the last snapshot takes the cursor, in view: a
        // key pressed next (pause, cancel) is meant for it, not an old one.
        if let Some(newest_before) = known {
            let new = self
                .jobs
                .iter()
                .map(|j| j.id)
                .filter(|id| Some(*id) > newest_before)
                .max();
            if let Some(index) = new.and_then(|id| self.index_of(TransferRow::Job(id))) {
                self.selected = Some(TransferRow::Job(self.jobs[index].id));
                self.offset = self.offset.min(index);
            }
        }
        finished
    }

    /// Stores the batch records listed from the journal, keeping what was
    /// learnt about each (its last DescribeJob answer, polls in flight).
    pub fn set_batches(&mut self, listed: Vec<BatchListing>) {
        let mut old = std::mem::take(&mut self.batches);
        self.batches = listed
            .into_iter()
            .map(|l| match old.iter().position(|b| b.id == l.id) {
                Some(i) => {
                    let mut b = old.swap_remove(i);
                    b.record = l.record;
                    b.move_job = l.move_job;
                    b
                }
                None => BatchRow::from_listing(l),
            })
            .collect();
        self.batches.sort_by_key(|b| std::cmp::Reverse(b.id));
        self.keep_selection();
    }

    /// Adds or replaces one batch job (just submitted).
    pub fn put_batch(&mut self, job: BatchRow) {
        self.batches.retain(|b| b.id != job.id);
        self.batches.push(job);
        self.batches.sort_by_key(|b| std::cmp::Reverse(b.id));
        self.keep_selection();
    }

    pub fn batch_mut(&mut self, id: i64) -> Option<&mut BatchRow> {
        self.batches.iter_mut().find(|b| b.id == id)
    }

    fn keep_selection(&mut self) {
        let still_there = self.selected.is_some_and(|s| self.index_of(s).is_some());
        if !still_there {
            self.selected = self.row_at(0);
        }
    }

    /// Rows shown: jobs, then batch jobs.
    pub fn len(&self) -> usize {
        self.jobs.len() + self.batches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn row_at(&self, index: usize) -> Option<TransferRow> {
        match self.jobs.get(index) {
            Some(j) => Some(TransferRow::Job(j.id)),
            None => self
                .batches
                .get(index - self.jobs.len())
                .map(|b| TransferRow::Batch(b.id)),
        }
    }

    fn index_of(&self, row: TransferRow) -> Option<usize> {
        match row {
            TransferRow::Job(id) => self.jobs.iter().position(|j| j.id == id),
            TransferRow::Batch(id) => self
                .batches
                .iter()
                .position(|b| b.id == id)
                .map(|i| i + self.jobs.len()),
        }
    }

    pub fn selected_index(&self) -> Option<usize> {
        self.index_of(self.selected?)
    }

    pub fn selected_job(&self) -> Option<&JobSnapshot> {
        match self.selected? {
            TransferRow::Job(id) => self.jobs.iter().find(|j| j.id == id),
            TransferRow::Batch(_) => None,
        }
    }

    pub fn selected_batch(&self) -> Option<&BatchRow> {
        match self.selected? {
            TransferRow::Batch(id) => self.batches.iter().find(|b| b.id == id),
            TransferRow::Job(_) => None,
        }
    }

    pub fn select_index(&mut self, index: usize, height: usize) {
        if let Some(row) = self.row_at(index) {
            self.selected = Some(row);
            self.offset =
                crate::tui::app::browse::tree::scroll_to(self.offset, index, height, self.len());
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
