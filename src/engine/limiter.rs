//! Adaptive concurrency (AIMD): halve the number of requests in flight when the
//! server throttles, add one back after a run of successes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Throttles closer together than this count as one event: the requests that
/// were in flight when the server started refusing all fail at about once.
const COOLDOWN: Duration = Duration::from_millis(500);

struct State {
    limit: usize,
    /// Permits to swallow as they come back (after a decrease).
    debt: usize,
    successes: usize,
    last_decrease: Option<Instant>,
}

pub struct Limiter {
    sem: Arc<Semaphore>,
    max: usize,
    state: Mutex<State>,
    throttles: AtomicU64,
}

impl Limiter {
    pub fn new(max: usize) -> Arc<Limiter> {
        let max = max.max(1);
        Arc::new(Limiter {
            sem: Arc::new(Semaphore::new(max)),
            max,
            state: Mutex::new(State {
                limit: max,
                debt: 0,
                successes: 0,
                last_decrease: None,
            }),
            throttles: AtomicU64::new(0),
        })
    }

    pub async fn acquire(self: &Arc<Self>) -> Permit {
        // The semaphore is never closed, so acquisition cannot fail.
        let permit = self.sem.clone().acquire_owned().await.ok();
        Permit {
            permit,
            limiter: self.clone(),
        }
    }

    pub fn limit(&self) -> usize {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).limit
    }

    pub fn throttle_events(&self) -> u64 {
        self.throttles.load(Ordering::Relaxed)
    }

    /// The server said slow down. Returns the new limit when it changed.
    pub fn on_throttle(&self) -> Option<usize> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.successes = 0;
        let now = Instant::now();
        if s.last_decrease
            .is_some_and(|t| now.duration_since(t) < COOLDOWN)
            || s.limit <= 1
        {
            return None;
        }
        let new = (s.limit / 2).max(1);
        s.debt += s.limit - new;
        s.limit = new;
        s.last_decrease = Some(now);
        self.throttles.fetch_add(1, Ordering::Relaxed);
        Some(new)
    }

    /// A request went through. Returns the new limit when it grew.
    pub fn on_success(&self) -> Option<usize> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.limit >= self.max {
            return None;
        }
        s.successes += 1;
        if s.successes < s.limit {
            return None;
        }
        s.successes = 0;
        s.limit += 1;
        if s.debt > 0 {
            s.debt -= 1;
        } else {
            self.sem.add_permits(1);
        }
        Some(s.limit)
    }

    fn release(&self, permit: OwnedSemaphorePermit) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.debt > 0 {
            s.debt -= 1;
            permit.forget();
        }
    }
}

pub struct Permit {
    permit: Option<OwnedSemaphorePermit>,
    limiter: Arc<Limiter>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(p) = self.permit.take() {
            self.limiter.release(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn halves_and_recovers() {
        let l = Limiter::new(8);
        let held: Vec<Permit> = futures::future::join_all((0..8).map(|_| l.acquire())).await;
        assert_eq!(l.on_throttle(), Some(4));
        assert_eq!(l.on_throttle(), None, "within cooldown");
        drop(held);
        // Only 4 permits remain usable.
        let held: Vec<Permit> = futures::future::join_all((0..4).map(|_| l.acquire())).await;
        assert!(tokio::time::timeout(Duration::from_millis(50), l.acquire())
            .await
            .is_err());
        drop(held);
        let mut grew = None;
        for _ in 0..4 {
            grew = l.on_success().or(grew);
        }
        assert_eq!(grew, Some(5));
        let held: Vec<Permit> = futures::future::join_all((0..5).map(|_| l.acquire())).await;
        assert_eq!(held.len(), 5);
        assert_eq!(l.throttle_events(), 1);
    }
}
