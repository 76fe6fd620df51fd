//! The job's circuit breaker: when requests fail one after another with
//! connection-level errors (refused, unknown host, reset, timed out) across
//! workers, the endpoint is down, not the objects. The breaker then opens:
//! no new object is dispatched, in-flight calls wait instead of hammering,
//! and one prober asks the endpoint a cheap question (HeadBucket) on a
//! backoff. The first answer (any HTTP answer: the endpoint is back) closes
//! it and the job goes on by itself. Open for longer than the retry budget,
//! the job stops resumable, its objects untouched, with a one-line reason.
//!
//! The breaker also carries why the job stopped itself (the budget spent,
//! credentials that cannot be refreshed): objects are then not marked
//! failed, so `resume` picks them up.

use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Consecutive connection-level failures (across all workers) that open it.
pub const OPEN_AFTER: u32 = 8;
const FIRST_PROBE: Duration = Duration::from_millis(500);
/// Probes never wait longer than this, so the job resumes soon after the
/// endpoint is back.
const PROBE_CAP: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Closed,
    Open {
        since: Instant,
        next_probe: Instant,
        cause: String,
    },
}

pub struct Breaker {
    budget: Duration,
    consecutive: AtomicU32,
    state: watch::Sender<State>,
    /// Why the job stopped itself, once it has.
    stopped: Mutex<Option<String>>,
    cancel: CancellationToken,
    /// How often it opened, and for how long in all (the summary says so).
    opened: AtomicU64,
    paused_ms: AtomicU64,
}

impl Breaker {
    /// A breaker for a job whose cancellation is `cancel`.
    pub fn new(budget: Duration, cancel: CancellationToken) -> Breaker {
        Breaker {
            budget,
            consecutive: AtomicU32::new(0),
            state: watch::channel(State::Closed).0,
            stopped: Mutex::new(None),
            cancel,
            opened: AtomicU64::new(0),
            paused_ms: AtomicU64::new(0),
        }
    }

    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// The endpoint answered (anything at all).
    pub fn answered(&self) {
        self.consecutive.store(0, Ordering::Relaxed);
    }

    /// A request failed at the connection level; returns true when this
    /// failure opened the breaker.
    pub fn connection_failed(&self, cause: &str) -> bool {
        let n = self.consecutive.fetch_add(1, Ordering::Relaxed) + 1;
        if n < OPEN_AFTER {
            return false;
        }
        let now = Instant::now();
        self.state.send_if_modified(|s| match s {
            State::Closed => {
                *s = State::Open {
                    since: now,
                    next_probe: now + FIRST_PROBE,
                    cause: cause.to_string(),
                };
                self.opened.fetch_add(1, Ordering::Relaxed);
                true
            }
            State::Open { .. } => false,
        })
    }

    pub fn is_open(&self) -> bool {
        matches!(*self.state.borrow(), State::Open { .. })
    }

    /// Seconds until the next probe while open (what "retrying in Ns" says).
    pub fn retry_in(&self) -> Option<u64> {
        match &*self.state.borrow() {
            State::Closed => None,
            State::Open { next_probe, .. } => Some(
                next_probe
                    .saturating_duration_since(Instant::now())
                    .as_secs_f64()
                    .ceil() as u64,
            ),
        }
    }

    /// Waits while the breaker is open; false when the job stopped meanwhile.
    pub async fn wait_closed(&self) -> bool {
        let mut rx = self.state.subscribe();
        tokio::select! {
            r = rx.wait_for(|s| *s == State::Closed) => r.is_ok() && self.stop_reason().is_none(),
            _ = self.cancel.cancelled() => false,
        }
    }

    /// Stop the job for `reason` (once): it ends resumable, its objects as
    /// they were.
    pub fn stop(&self, reason: String) {
        let mut s = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        if s.is_none() {
            *s = Some(reason);
        }
        drop(s);
        self.cancel.cancel();
    }

    pub fn stop_reason(&self) -> Option<String> {
        self.stopped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn stopped(&self) -> bool {
        self.stop_reason().is_some()
    }

    /// What the summary says about outages, if there were any.
    pub fn summary(&self) -> Option<String> {
        let n = self.opened.load(Ordering::Relaxed);
        (n > 0).then(|| {
            let secs = self.paused_ms.load(Ordering::Relaxed) / 1000;
            format!(
                "endpoint unreachable {n} time(s), paused {} in all",
                crate::fmt::duration(secs)
            )
        })
    }

    fn close(&self) {
        let mut closed_after = None;
        self.state.send_if_modified(|s| match s {
            State::Open { since, .. } => {
                closed_after = Some(since.elapsed());
                *s = State::Closed;
                true
            }
            State::Closed => false,
        });
        if let Some(d) = closed_after {
            self.consecutive.store(0, Ordering::Relaxed);
            self.paused_ms
                .fetch_add(d.as_millis() as u64, Ordering::Relaxed);
            tracing::info!(
                "endpoint reachable again after {}; resuming",
                crate::fmt::duration(d.as_secs())
            );
        }
    }

    /// Runs for the whole job: whenever the breaker opens, probes on a
    /// backoff until `probe` says the endpoint answers (close) or the budget
    /// is spent (stop the job).
    pub async fn run_probes<P, Fut>(&self, probe: P)
    where
        P: Fn() -> Fut,
        Fut: Future<Output = bool>,
    {
        let mut rx = self.state.subscribe();
        loop {
            let opened = tokio::select! {
                r = rx.wait_for(|s| *s != State::Closed) => r.map(|s| s.clone()),
                _ = self.cancel.cancelled() => return,
            };
            let Ok(State::Open { since, cause, .. }) = opened else {
                return;
            };
            tracing::warn!("endpoint unreachable ({cause}); pausing the job and probing it");
            let mut wait = FIRST_PROBE;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = self.cancel.cancelled() => return,
                }
                if probe().await {
                    self.close();
                    break;
                }
                if since.elapsed() >= self.budget {
                    self.stop(format!(
                        "endpoint unreachable for {} (retry budget spent; last error: {cause})",
                        crate::fmt::duration(since.elapsed().as_secs())
                    ));
                    return;
                }
                wait = (wait * 2).min(PROBE_CAP);
                let next = Instant::now() + wait;
                self.state.send_modify(|s| {
                    if let State::Open { next_probe, .. } = s {
                        *next_probe = next;
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    #[tokio::test]
    async fn opens_after_consecutive_failures_and_closes_on_an_answer() {
        let b = Arc::new(Breaker::new(
            Duration::from_secs(60),
            CancellationToken::new(),
        ));
        for _ in 0..OPEN_AFTER - 1 {
            assert!(!b.connection_failed("refused"));
        }
        b.answered();
        for _ in 0..OPEN_AFTER - 1 {
            assert!(!b.connection_failed("refused"));
        }
        assert!(!b.is_open(), "an answer in between resets the count");
        assert!(b.connection_failed("refused"));
        assert!(b.is_open());
        assert!(b.retry_in().is_some());
        let up = Arc::new(AtomicBool::new(false));
        let prober = {
            let (b, up) = (b.clone(), up.clone());
            tokio::spawn(async move {
                b.run_probes(|| {
                    let up = up.clone();
                    async move { up.load(Ordering::SeqCst) }
                })
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert!(b.is_open(), "still down: the probe failed");
        up.store(true, Ordering::SeqCst);
        assert!(b.wait_closed().await);
        assert!(!b.is_open());
        assert!(b.summary().is_some_and(|s| s.contains("1 time(s)")));
        assert!(!b.stopped());
        prober.abort();
    }

    #[tokio::test]
    async fn a_spent_budget_stops_the_job() {
        let cancel = CancellationToken::new();
        let b = Breaker::new(Duration::from_millis(300), cancel.clone());
        for _ in 0..OPEN_AFTER {
            b.connection_failed("connection refused");
        }
        b.run_probes(|| async { false }).await;
        assert!(cancel.is_cancelled());
        let reason = b.stop_reason().unwrap_or_default();
        assert!(reason.contains("retry budget spent"), "{reason}");
        assert!(reason.contains("connection refused"), "{reason}");
        assert!(!reason.contains('\n'));
        assert!(!b.wait_closed().await);
    }
}
