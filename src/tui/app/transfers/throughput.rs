//! Live throughput from sampled job counters: a retention-bounded per-second
//! series for the chart and short windows for current rates and ETAs.
//! Time comes from `Tick` messages only, so this is deterministic under test.

use std::collections::{HashMap, VecDeque};

use crate::engine::model::{JobId, JobSnapshot, JobState};

/// The chart shows the last minute.
pub const RETENTION_SECS: u64 = 60;
/// Current rates (and ETAs) average over this window to smooth bursts.
pub const RATE_WINDOW_MS: u64 = 5_000;

/// Bytes and objects moved in one wall-clock second.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bucket {
    pub second: u64,
    pub bytes: f64,
    pub objects: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeSeries {
    buckets: VecDeque<Bucket>,
}

impl TimeSeries {
    /// Adds work done during the interval ending at `now_ms`.
    pub fn add(&mut self, now_ms: u64, bytes: f64, objects: f64) {
        let second = now_ms / 1000;
        match self.buckets.back_mut() {
            Some(b) if b.second == second => {
                b.bytes += bytes;
                b.objects += objects;
            }
            _ => self.buckets.push_back(Bucket {
                second,
                bytes,
                objects,
            }),
        }
        while self
            .buckets
            .front()
            .is_some_and(|b| b.second + RETENTION_SECS <= second)
        {
            self.buckets.pop_front();
        }
    }

    /// One value per second for the last `n` seconds up to `now_ms` (oldest
    /// first, zeros where nothing moved), for a sparkline.
    pub fn per_second(&self, now_ms: u64, n: usize, bytes: bool) -> Vec<u64> {
        let now = now_ms / 1000;
        let first = (now + 1).saturating_sub(n as u64);
        let mut out = vec![0u64; n];
        for b in &self.buckets {
            if b.second >= first && b.second <= now {
                let i = (b.second - first) as usize;
                if let Some(slot) = out.get_mut(i) {
                    *slot = if bytes { b.bytes } else { b.objects }.round() as u64;
                }
            }
        }
        out
    }

    /// The whole retained minute squeezed into at most `columns` values
    /// (averaging neighbouring seconds), oldest first, for a narrow chart.
    pub fn last_minute(&self, now_ms: u64, columns: usize, bytes: bool) -> Vec<u64> {
        let secs = RETENTION_SECS as usize;
        let raw = self.per_second(now_ms, secs, bytes);
        if columns == 0 {
            return Vec::new();
        }
        if columns >= secs {
            return raw;
        }
        let group = secs.div_ceil(columns);
        // Groups are aligned to the newest second so the last column is current.
        let mut out: Vec<u64> = raw
            .rchunks(group)
            .map(|c| c.iter().sum::<u64>() / c.len() as u64)
            .collect();
        out.reverse();
        out
    }

    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Sample {
    t_ms: u64,
    bytes: u64,
    objects: u64,
}

pub use crate::fmt::{eta_secs, Rate};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Throughput {
    pub series: TimeSeries,
    /// Recent counter samples per job (within `RATE_WINDOW_MS`).
    windows: HashMap<JobId, VecDeque<Sample>>,
    last_tick: Option<u64>,
}

impl Throughput {
    /// Samples the jobs' counters at `now_ms`. Only increases count: a job
    /// seen for the first time (e.g. resumed from an earlier run) starts at
    /// its current counters instead of showing its whole history as a spike.
    pub fn sample(&mut self, now_ms: u64, jobs: &[JobSnapshot]) {
        if self.last_tick.is_some_and(|t| now_ms <= t) {
            return;
        }
        self.last_tick = Some(now_ms);
        let (mut bytes, mut objects) = (0u64, 0u64);
        for job in jobs {
            let p = &job.progress;
            let window = self.windows.entry(job.id).or_default();
            if let Some(last) = window.back() {
                bytes += p.bytes_done.saturating_sub(last.bytes);
                objects += p.objects_done.saturating_sub(last.objects);
            }
            window.push_back(Sample {
                t_ms: now_ms,
                bytes: p.bytes_done,
                objects: p.objects_done,
            });
            while window.len() > 2
                && window
                    .front()
                    .is_some_and(|s| s.t_ms + RATE_WINDOW_MS < now_ms)
            {
                window.pop_front();
            }
        }
        self.windows
            .retain(|id, _| jobs.iter().any(|j| j.id == *id));
        self.series.add(now_ms, bytes as f64, objects as f64);
    }

    /// A job's recent rate; zero unless it is running.
    pub fn job_rate(&self, job: &JobSnapshot) -> Rate {
        if job.state != JobState::Running {
            return Rate::default();
        }
        let Some(w) = self.windows.get(&job.id) else {
            return Rate::default();
        };
        let (Some(first), Some(last)) = (w.front(), w.back()) else {
            return Rate::default();
        };
        let dt = last.t_ms.saturating_sub(first.t_ms) as f64 / 1000.0;
        if dt <= 0.0 {
            return Rate::default();
        }
        Rate {
            bytes: last.bytes.saturating_sub(first.bytes) as f64 / dt,
            objects: last.objects.saturating_sub(first.objects) as f64 / dt,
        }
    }

    pub fn total_rate(&self, jobs: &[JobSnapshot]) -> Rate {
        jobs.iter()
            .map(|j| self.job_rate(j))
            .fold(Rate::default(), |a, r| Rate {
                bytes: a.bytes + r.bytes,
                objects: a.objects + r.objects,
            })
    }
}

pub fn job_eta(job: &JobSnapshot, rate: Rate) -> Option<u64> {
    job.progress.eta_secs(rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::{JobKind, Progress};

    fn job(id: JobId, bytes_done: u64, objects_done: u64) -> JobSnapshot {
        JobSnapshot {
            id,
            kind: JobKind::Copy,
            state: JobState::Running,
            source: "s3://a/".into(),
            destination: "s3://b/".into(),
            progress: Progress {
                bytes_done,
                objects_done,
                bytes_total: 10_000,
                objects_total: 100,
                listing_done: true,
                ..Default::default()
            },
            created_at: 0,
            finished_at: None,
            message: None,
        }
    }

    #[test]
    fn series_is_bounded_to_a_minute() {
        let mut s = TimeSeries::default();
        for sec in 0..200u64 {
            s.add(sec * 1000, 1.0, 1.0);
        }
        assert_eq!(s.len(), RETENTION_SECS as usize);
        let last = s.per_second(199_000, 5, true);
        assert_eq!(last, vec![1, 1, 1, 1, 1]);
        assert_eq!(
            s.per_second(205_000, 3, true),
            vec![0, 0, 0],
            "nothing moved recently"
        );
    }

    #[test]
    fn last_minute_fits_narrow_charts() {
        let mut s = TimeSeries::default();
        for sec in 0..60u64 {
            s.add(sec * 1000, sec as f64, 0.0);
        }
        let wide = s.last_minute(59_000, 80, true);
        assert_eq!(wide.len(), 60);
        let narrow = s.last_minute(59_000, 20, true);
        assert_eq!(narrow.len(), 20);
        assert_eq!(
            narrow[19],
            (57 + 58 + 59) / 3,
            "newest column averages the newest seconds"
        );
        assert_eq!(narrow[0], 1);
        assert!(s.last_minute(59_000, 0, true).is_empty());
    }

    #[test]
    fn rates_from_samples() {
        let mut t = Throughput::default();
        t.sample(0, &[job(1, 1000, 10)]);
        t.sample(1000, &[job(1, 2000, 20)]);
        t.sample(2000, &[job(1, 3000, 30)]);
        let r = t.job_rate(&job(1, 3000, 30));
        assert_eq!((r.bytes, r.objects), (1000.0, 10.0));
        // First sighting contributes nothing; then 1000 B per second.
        assert_eq!(t.series.per_second(2000, 3, true), vec![0, 1000, 1000]);
        assert_eq!(job_eta(&job(1, 3000, 30), r), Some(7));
        let mut listing = job(1, 3000, 30);
        listing.progress.listing_done = false;
        assert_eq!(job_eta(&listing, r), None, "no ETA against a growing total");
    }

    #[test]
    fn stale_or_repeated_ticks_are_ignored() {
        let mut t = Throughput::default();
        t.sample(1000, &[job(1, 0, 0)]);
        t.sample(1000, &[job(1, 500, 5)]);
        t.sample(500, &[job(1, 900, 9)]);
        assert_eq!(t.series.per_second(1000, 1, true), vec![0]);
    }

    #[test]
    fn eta_needs_movement() {
        assert_eq!(
            eta_secs(
                10,
                0,
                Rate {
                    bytes: 0.0,
                    objects: 2.0
                }
            ),
            Some(5)
        );
        assert_eq!(eta_secs(10, 100, Rate::default()), None);
    }
}
