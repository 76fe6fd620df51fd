//! Retries with exponential backoff and full jitter. Server errors (5xx)
//! get `MAX_ATTEMPTS`; throttling and connection-level failures (refused,
//! unknown host, reset, timed out) are waited out for a time budget
//! (`--retry-budget`, 10 minutes by default): S3 answers SlowDown for the
//! minutes it takes to scale a prefix up, networks drop for minutes, and
//! failing objects in bulk then only makes the user start again. A 5xx is an
//! answer about this request, so it keeps a count.

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

/// How long one call keeps retrying while it is throttled or the endpoint
/// cannot be reached, unless the job sets its own (`RunOptions::retry_budget`).
pub const RETRY_BUDGET: Duration = crate::job::DEFAULT_RETRY_BUDGET;

pub fn is_throttle(e: &S3Error) -> bool {
    e.kind == ErrorKind::Throttled
}

/// Failures waited out for a time rather than counted.
pub fn is_budgeted(kind: ErrorKind) -> bool {
    kind == ErrorKind::Throttled || kind.is_connection()
}

/// The retry state of one call (or one round of a batch).
pub struct Attempts {
    attempt: u32,
    transient: u32,
    /// When the first throttled or connection-level failure came.
    first_budgeted: Option<Instant>,
    budget: Duration,
}

impl Default for Attempts {
    fn default() -> Self {
        Self::with_budget(RETRY_BUDGET)
    }
}

impl Attempts {
    pub fn with_budget(budget: Duration) -> Self {
        Self {
            attempt: 0,
            transient: 0,
            first_budgeted: None,
            budget,
        }
    }

    /// Whether a failure of this kind gets another attempt.
    pub fn may_retry(&self, kind: ErrorKind) -> bool {
        match kind {
            k if is_budgeted(k) => self.remaining().is_none_or(|r| !r.is_zero()),
            ErrorKind::Transient => self.transient + 1 < MAX_ATTEMPTS,
            _ => false,
        }
    }

    /// What is left of the budget once its clock runs; `None` before.
    pub fn remaining(&self) -> Option<Duration> {
        self.first_budgeted
            .map(|t| self.budget.saturating_sub(t.elapsed()))
    }

    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// Counts a failure of this kind and returns the wait before the next attempt.
    pub fn advance(&mut self, kind: ErrorKind) -> Duration {
        self.count(kind);
        self.wait()
    }

    /// Counts a failure of this kind (a batch round counts each kind it saw).
    pub fn count(&mut self, kind: ErrorKind) {
        if is_budgeted(kind) {
            self.first_budgeted.get_or_insert_with(Instant::now);
        } else {
            self.transient += 1;
        }
    }

    /// The backoff before the next attempt, never past the budget.
    pub fn wait(&mut self) -> Duration {
        let wait = backoff(self.attempt);
        self.attempt += 1;
        self.remaining().map_or(wait, |r| wait.min(r))
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
    fn server_errors_get_max_attempts_and_outages_a_time_budget() {
        let mut a = Attempts::default();
        let mut tries = 1;
        while a.may_retry(ErrorKind::Transient) {
            a.advance(ErrorKind::Transient);
            tries += 1;
        }
        assert_eq!(tries, MAX_ATTEMPTS);

        for kind in [
            ErrorKind::Throttled,
            ErrorKind::Unreachable,
            ErrorKind::Connection,
        ] {
            let mut a = Attempts::default();
            for _ in 0..3 * MAX_ATTEMPTS {
                assert!(a.may_retry(kind));
                a.advance(kind);
            }
            let mut spent = Attempts::with_budget(Duration::ZERO);
            assert!(spent.may_retry(kind), "the first failure starts the clock");
            assert_eq!(spent.advance(kind), Duration::ZERO);
            assert!(!spent.may_retry(kind));
            assert!(
                !spent.may_retry(ErrorKind::Throttled),
                "one budget for both"
            );
        }

        for final_kind in [
            ErrorKind::AccessDenied,
            ErrorKind::NoSuchKey,
            ErrorKind::Other,
        ] {
            assert!(!Attempts::default().may_retry(final_kind));
        }
    }
}
