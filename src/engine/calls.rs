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

    async fn with_attempts<T, F, Fut>(&self, mut f: F) -> S3Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = S3Result<T>>,
    {
        let mut attempts = Attempts::default();
        loop {
            match f().await {
                Ok(v) => {
                    if let Some(n) = self.limiter.on_success() {
                        tracing::debug!(concurrency = n, "raising concurrency");
                    }
                    return Ok(v);
                }
                Err(e) if attempts.may_retry(e.kind) => {
                    if is_throttle(&e) {
                        if let Some(n) = self.limiter.on_throttle() {
                            (self.on_throttle)(n);
                        }
                    }
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(attempts.advance(e.kind)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
}
