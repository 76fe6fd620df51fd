//! Retries with exponential backoff and full jitter. Transient failures
//! get `MAX_ATTEMPTS`; throttling is waited out for `THROTTLE_BUDGET`,
//! because S3 answers SlowDown for the minutes it takes to scale a prefix up,
//! and failing objects in bulk then only makes the user start again.

use std::time::{Duration, Instant};

use rand::Rng;

use crate::s3::{ErrorKind, S3Error};

pub const MAX_ATTEMPTS: u32 = 8;
const BASE: Duration = Duration::from_millis(100);
const CAP: Duration = Duration::from_secs(20);

/// Full jitter: a uniform wait in [0, min(cap, base * 2^attempt)].
pub fn backoff(attempt: u32) -> Duration {
    let ceiling = BASE.saturating_mul(1u32 << attempt.min(16)).min(CAP);
    let ms = rand::rng().random_range(0..=ceiling.as_millis() as u64);
    Duration::from_millis(ms)
}

/// How long one call keeps retrying while it is throttled.
pub const THROTTLE_BUDGET: Duration = Duration::from_secs(600);

pub fn is_throttle(e: &S3Error) -> bool {
    e.kind == ErrorKind::Throttled
}

/// The retry state of one call (or one round of a batch).
pub struct Attempts {
    attempt: u32,
    transient: u32,
    first_throttle: Option<Instant>,
    throttle_budget: Duration,
}

impl Default for Attempts {
    fn default() -> Self {
        Self::with_throttle_budget(THROTTLE_BUDGET)
    }
}

impl Attempts {
    pub fn with_throttle_budget(throttle_budget: Duration) -> Self {
        Self {
            attempt: 0,
            transient: 0,
            first_throttle: None,
            throttle_budget,
        }
    }

    /// Whether a failure of this kind gets another attempt.
    pub fn may_retry(&self, kind: ErrorKind) -> bool {
        match kind {
            ErrorKind::Throttled => self
                .first_throttle
                .is_none_or(|t| t.elapsed() < self.throttle_budget),
            ErrorKind::Transient => self.transient + 1 < MAX_ATTEMPTS,
            _ => false,
        }
    }

    /// Counts a failure of this kind and returns the wait before the next attempt.
    pub fn advance(&mut self, kind: ErrorKind) -> Duration {
        self.count(kind);
        self.wait()
    }

    /// Counts a failure of this kind (a batch round counts each kind it saw).
    pub fn count(&mut self, kind: ErrorKind) {
        match kind {
            ErrorKind::Throttled => {
                self.first_throttle.get_or_insert_with(Instant::now);
            }
            _ => self.transient += 1,
        }
    }

    /// The backoff before the next attempt.
    pub fn wait(&mut self) -> Duration {
        let wait = backoff(self.attempt);
        self.attempt += 1;
        wait
    }

    /// The wait before retrying after `e`, or `None` when `e` is final.
    pub fn after(&mut self, e: &S3Error) -> Option<Duration> {
        self.may_retry(e.kind).then(|| self.advance(e.kind))
    }
}

/// Retry a call that is not throttle-managed (listings): transient failures
/// get backoff and another attempt, as `Attempts` allows.
pub async fn with_retries<T, F, Fut>(mut f: F) -> Result<T, S3Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, S3Error>>,
{
    let mut attempts = Attempts::default();
    loop {
        match f().await {
            Err(e) => match attempts.after(&e) {
                Some(wait) => {
                    tracing::debug!("retrying after: {e}");
                    tokio::time::sleep(wait).await;
                }
                None => return Err(e),
            },
            ok => return ok,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded() {
        for a in 0..20 {
            assert!(backoff(a) <= CAP);
        }
        assert!(backoff(0) <= BASE);
    }

    #[test]
    fn transient_failures_get_max_attempts_and_throttling_its_time_budget() {
        let mut a = Attempts::default();
        let mut tries = 1;
        while a.may_retry(ErrorKind::Transient) {
            a.advance(ErrorKind::Transient);
            tries += 1;
        }
        assert_eq!(tries, MAX_ATTEMPTS);

        let mut a = Attempts::default();
        for _ in 0..3 * MAX_ATTEMPTS {
            assert!(a.may_retry(ErrorKind::Throttled));
            a.advance(ErrorKind::Throttled);
        }
        let mut spent = Attempts::with_throttle_budget(Duration::ZERO);
        assert!(
            spent.may_retry(ErrorKind::Throttled),
            "the first throttle starts the clock"
        );
        spent.advance(ErrorKind::Throttled);
        assert!(!spent.may_retry(ErrorKind::Throttled));

        for final_kind in [
            ErrorKind::AccessDenied,
            ErrorKind::NoSuchKey,
            ErrorKind::Other,
        ] {
            assert!(!Attempts::default().may_retry(final_kind));
        }
    }
}
