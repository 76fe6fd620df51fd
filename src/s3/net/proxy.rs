//! Which requests go through a proxy, and how they get there: `CONNECT`
//! tunnels for https, absolute-form requests for http (hyper-util's matcher
//! reads the variables and the `NO_PROXY` rules the way curl does).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderValue, Uri};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::proxy::matcher::Matcher;
use tower_service::Service;

use super::idle::IdleTimeout;
use crate::config::redact_url;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type NetStream = IdleTimeout<hyper_util::rt::TokioIo<tokio::net::TcpStream>>;

/// The proxies of one connection: its `proxy =` setting when it has one
/// (`""` for none), else `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` (either
/// case); `NO_PROXY` applies to both.
pub fn matcher(configured: Option<&str>) -> Result<Matcher, String> {
    let no_proxy = ["NO_PROXY", "no_proxy"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_default();
    // hyper-util applies `*` to host names only, not to IP addresses; curl
    // (and the variable's users) mean every host.
    let everything_exempt = no_proxy.split(',').any(|rule| rule.trim() == "*");
    let Some(url) = configured.map(str::trim) else {
        if everything_exempt {
            return Ok(Matcher::builder().build());
        }
        return Ok(Matcher::from_env());
    };
    if !url.is_empty() {
        check_proxy_url(url)?;
    }
    if url.is_empty() || everything_exempt {
        return Ok(Matcher::builder().build());
    }
    Ok(Matcher::builder().all(url.to_string()).no(no_proxy).build())
}

fn check_proxy_url(url: &str) -> Result<(), String> {
    let shown = redact_url(url);
    let uri: Uri = url.parse().map_err(|_| {
        format!("invalid proxy URL {shown:?}: expected http://[user:password@]host:port")
    })?;
    match uri.scheme_str() {
        Some("http") if uri.host().is_some_and(|h| !h.is_empty()) => Ok(()),
        Some("http") => Err(format!("invalid proxy URL {shown:?}: no host")),
        _ => Err(format!(
            "unsupported proxy URL {shown:?}: only http:// proxies are supported (https requests are tunnelled through them)"
        )),
    }
}

/// TCP connections with TCP keepalive and an idle read timeout, directly or
/// through the connection's proxy.
#[derive(Clone)]
pub struct NetConnector {
    tcp: HttpConnector,
    proxies: Arc<Matcher>,
    read_timeout: Duration,
}

impl NetConnector {
    pub fn new(connect_timeout: Duration, read_timeout: Duration, proxies: Matcher) -> Self {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(connect_timeout));
        // A peer that vanished (NAT timeout, dropped VPN) is found by the
        // kernel within about a minute instead of never.
        tcp.set_keepalive(Some(Duration::from_secs(30)));
        tcp.set_keepalive_interval(Some(Duration::from_secs(10)));
        tcp.set_keepalive_retries(Some(3));
        NetConnector {
            tcp,
            proxies: Arc::new(proxies),
            read_timeout,
        }
    }

    /// The `Proxy-Authorization` a plain-http request to `uri` carries (a
    /// forward proxy sees the request itself; tunnels authenticate CONNECT).
    pub fn forward_auth(&self, uri: &Uri) -> Option<HeaderValue> {
        if uri.scheme_str() != Some("http") {
            return None;
        }
        let mut auth = self.proxies.intercept(uri)?.basic_auth()?.clone();
        auth.set_sensitive(true);
        Some(auth)
    }

    async fn connect(self, dst: Uri) -> Result<NetStream, BoxError> {
        let idle = self.read_timeout;
        let mut tcp = self.tcp.clone();
        let Some(proxy) = self.proxies.intercept(&dst) else {
            return Ok(IdleTimeout::new(tcp.call(dst).await?, idle, false));
        };
        if dst.scheme_str() == Some("https") {
            let mut tunnel = Tunnel::new(proxy.uri().clone(), tcp);
            if let Some(auth) = proxy.basic_auth() {
                tunnel = tunnel.with_auth(auth.clone());
            }
            let stream = tokio::time::timeout(idle, tunnel.call(dst))
                .await
                .map_err(|_| "read timeout: the proxy did not answer CONNECT")?
                .map_err(|e| format!("proxy tunnel failed: {e}"))?;
            return Ok(IdleTimeout::new(stream, idle, false));
        }
        let stream = tcp.call(proxy.uri().clone()).await?;
        Ok(IdleTimeout::new(stream, idle, true))
    }
}

impl Service<Uri> for NetConnector {
    type Response = NetStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<NetStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        Box::pin(self.clone().connect(dst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show() {
        assert_eq!(
            redact_url("http://user:s3cret@proxy.corp:3128"),
            "http://***@proxy.corp:3128"
        );
        assert_eq!(
            redact_url("http://a@b@proxy:1/x@y"),
            "http://***@proxy:1/x@y"
        );
        assert_eq!(
            redact_url("http://proxy.corp:3128"),
            "http://proxy.corp:3128"
        );
        let err = check_proxy_url("socks5://u:s3cret@h:1").unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(check_proxy_url("http://u:p@proxy:3128").is_ok());
    }

    #[test]
    fn configured_proxy_wins_and_no_proxy_rules_apply() {
        let m = Matcher::builder()
            .all("http://u:p@proxy:3128".to_string())
            .no("internal.example, .corp, 10.0.0.0/8, 192.168.1.5".to_string())
            .build();
        let via = |u: &str| {
            m.intercept(&u.parse().unwrap())
                .map(|i| i.uri().to_string())
        };
        assert_eq!(
            via("https://s3.amazonaws.com/").as_deref(),
            Some("http://proxy:3128/")
        );
        assert_eq!(via("http://a.internal.example/"), None);
        assert_eq!(via("http://x.corp/"), None);
        assert_eq!(via("http://10.1.2.3:9000/"), None);
        assert_eq!(via("http://192.168.1.5/"), None);
        assert!(via("http://192.168.1.6/").is_some());
        let all = Matcher::builder()
            .all("http://proxy:3128".to_string())
            .no("*".to_string())
            .build();
        assert!(all
            .intercept(&"https://s3.amazonaws.com/".parse().unwrap())
            .is_none());
        let none = matcher(Some("")).unwrap();
        assert!(none
            .intercept(&"https://s3.amazonaws.com/".parse().unwrap())
            .is_none());
    }
}
