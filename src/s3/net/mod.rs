//! The HTTP stack under both request paths (the SDK's and direct
//! CopyObject): TCP keepalive, an idle read timeout, proxies, TLS.

pub mod idle;
mod proxy;
mod sdk;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hyper_rustls::HttpsConnector;

pub use proxy::{matcher, NetConnector};
pub use sdk::SdkHttp;

/// No progress on a socket for this long fails the request (retried as any
/// transient failure).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

static READ_TIMEOUT: OnceLock<Duration> = OnceLock::new();

/// Set once at start (`--read-timeout`, `[engine] read_timeout`); later
/// calls are ignored.
pub fn set_read_timeout(timeout: Duration) {
    let _ = READ_TIMEOUT.set(timeout);
}

pub fn read_timeout() -> Duration {
    READ_TIMEOUT.get().copied().unwrap_or(DEFAULT_READ_TIMEOUT)
}

pub type Https = HttpsConnector<NetConnector>;

/// TLS over `net`, with the system's roots; the flag is false when there are
/// none (then https connections fail their handshake).
pub fn https(net: NetConnector) -> Option<(Https, bool)> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let (builder, tls) = match hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider.clone())
    {
        Ok(b) => (b, true),
        Err(e) => {
            tracing::debug!("no TLS roots: https requests will fail ({e})");
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .ok()?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            (
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config),
                false,
            )
        }
    };
    Some((
        builder.https_or_http().enable_http1().wrap_connector(net),
        tls,
    ))
}
