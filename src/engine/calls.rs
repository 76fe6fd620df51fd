//! How the engine makes one S3 call: retried while the failure is
//! transient, throttling lowering the job's concurrency, and cut short by the
//! job's abort — except the calls that clean up after it.

use std::future::Future;
use std::sync::atomic::Ordering;

use super::copy::Ctx;
use super::retry::{is_throttle, Attempts};
use crate::s3::{ErrorKind, S3Error, S3Result};

/// How long cleaning up after an abort (AbortMultipartUpload, listing a
/// lost upload) may take before the upload is left to the journal.
const CLEANUP_WITHIN: std::time::Duration = std::time::Duration::from_secs(3);

/// The error of a call cut short by the job's abort.
pub fn aborted() -> S3Error {
    S3Error::new(ErrorKind::Other, "aborted: the job was stopped")
}

/// A budgeted failure that ran out of time says so, in one line.
fn budget_spent(e: S3Error, attempts: &Attempts) -> S3Error {
    if !super::retry::is_budgeted(e.kind) || attempts.remaining().is_none() {
        return e;
    }
    let budget = crate::fmt::duration(attempts.budget().as_secs());
    let what = if e.kind == ErrorKind::Throttled {
        "still throttled"
    } else {
        "endpoint unreachable"
    };
    let msg = format!("{what} after {budget} (retry budget spent): {}", e.message);
    S3Error { message: msg, ..e }
}

impl Ctx {
    /// One S3 call with retries; throttling lowers the job's concurrency.
    /// The job's abort cuts it short (the request in flight is dropped).
    pub async fn call<T, F, Fut>(&self, f: F) -> S3Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = S3Result<T>>,
    {
        tokio::select! {
            biased;
            _ = self.abort.cancelled() => Err(aborted()),
            r = self.with_attempts(f) => r,
        }
    }

    /// A call that cleans up after a failure or an abort: not cut short by
    /// the abort, but bounded by [`CLEANUP_WITHIN`].
    pub async fn cleanup_call<T, F, Fut>(&self, f: F) -> S3Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = S3Result<T>>,
    {
        match tokio::time::timeout(CLEANUP_WITHIN, self.with_attempts(f)).await {
            Ok(r) => r,
            Err(_) => Err(S3Error::new(
                ErrorKind::Transient,
                format!("no answer within {}s", CLEANUP_WITHIN.as_secs()),
            )),
        }
    }

    /// Connection-level failures and throttling are waited out for the
    /// retry budget; while the job's breaker is open the call waits for it
    /// to close instead of retrying on its own.
    async fn with_attempts<T, F, Fut>(&self, mut f: F) -> S3Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = S3Result<T>>,
    {
        let mut attempts = Attempts::with_budget(self.run.retry_budget);
        let mut refreshed = false;
        loop {
            let e = match f().await {
                Ok(v) => {
                    self.breaker.answered();
                    if let Some(n) = self.limiter.on_success() {
                        tracing::debug!(concurrency = n, "raising concurrency");
                    }
                    return Ok(v);
                }
                Err(e) => e,
            };
            if !e.kind.is_connection() {
                self.breaker.answered();
            } else if self.breaker.connection_failed(&e.message) {
                tracing::warn!("endpoint unreachable: {}", e.message);
            }
            if e.is_expired_credentials() {
                // The provider chain hands out fresh credentials once the
                // old ones expire: one more attempt after a moment.
                if !refreshed {
                    refreshed = true;
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
                self.breaker.stop((self.credentials_hint)(&e));
                return Err(e);
            }
            if !attempts.may_retry(e.kind) {
                return Err(budget_spent(e, &attempts));
            }
            if is_throttle(&e) {
                if let Some(n) = self.limiter.on_throttle() {
                    (self.on_throttle)(n);
                }
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            let wait = attempts.advance(e.kind);
            if e.kind.is_connection() && self.breaker.is_open() {
                if !self.breaker.wait_closed().await {
                    return Err(e);
                }
            } else {
                tokio::time::sleep(wait).await;
            }
        }
    }
}
