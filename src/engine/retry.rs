//! Retries with exponential backoff and full jitter.

use std::time::Duration;

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

pub fn is_throttle(e: &S3Error) -> bool {
    e.kind == ErrorKind::Throttled
}

/// Retry a call that is not throttle-managed (listings): transient failures
/// get backoff and another attempt, up to `MAX_ATTEMPTS`.
pub async fn with_retries<T, F, Fut>(mut f: F) -> Result<T, S3Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, S3Error>>,
{
    let mut attempt = 0;
    loop {
        match f().await {
            Err(e) if e.is_retryable() && attempt + 1 < MAX_ATTEMPTS => {
                tracing::debug!("retrying after: {e}");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            other => return other,
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
}
