//! The signing clock of requests s3ferry signs itself: local time corrected
//! by the server's, as the SDK does (it measures the skew from each
//! response's `Date` and signs with local time plus that skew), so a host
//! whose clock is minutes off still gets past S3's 15-minute window
//! (RequestTimeTooSkewed).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use aws_smithy_types::date_time::{DateTime, Format};

/// Server time minus local time, in milliseconds.
#[derive(Debug, Default)]
pub struct ServerClock {
    skew_ms: AtomicI64,
}

impl ServerClock {
    /// The time to sign with.
    pub fn now(&self) -> SystemTime {
        shift(local_now(), self.skew_ms.load(Ordering::Relaxed))
    }

    /// Learn the skew from a response's `Date` header; true when it changed
    /// by more than the header's one-second resolution.
    pub fn observe(&self, date: Option<&str>) -> bool {
        let Some(server) = date.and_then(|d| DateTime::from_str(d, Format::HttpDate).ok()) else {
            return false;
        };
        let Ok(server) = SystemTime::try_from(server) else {
            return false;
        };
        let skew = signed_ms(server, local_now());
        let old = self.skew_ms.swap(skew, Ordering::Relaxed);
        (old - skew).abs() > 1000
    }
}

fn signed_ms(a: SystemTime, b: SystemTime) -> i64 {
    match a.duration_since(b) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

fn shift(t: SystemTime, ms: i64) -> SystemTime {
    let d = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        t + d
    } else {
        t - d
    }
}

/// The host's clock. Debug builds read `S3FERRY_TEST_CLOCK_SKEW_SECS` to
/// pretend it is off (the integration tests' skewed client); release builds
/// never look.
fn local_now() -> SystemTime {
    #[cfg(debug_assertions)]
    {
        static SKEW: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
        let secs = *SKEW.get_or_init(|| {
            std::env::var("S3FERRY_TEST_CLOCK_SKEW_SECS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0)
        });
        shift(SystemTime::now(), secs.saturating_mul(1000))
    }
    #[cfg(not(debug_assertions))]
    SystemTime::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_with_the_server_time() {
        let clock = ServerClock::default();
        let server = SystemTime::now() - Duration::from_secs(3600);
        let date = DateTime::from(server).fmt(Format::HttpDate).unwrap();
        assert!(clock.observe(Some(&date)));
        let off = signed_ms(clock.now(), server).abs();
        assert!(off < 5_000, "{off} ms off");
        assert!(!clock.observe(Some("not a date")));
        assert!(!clock.observe(None));
    }
}
