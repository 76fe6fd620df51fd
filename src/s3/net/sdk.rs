//! The SDK's HTTP client on the shared stack (aws-smithy-http-client has no
//! way to wrap its sockets, and its `read_timeout` is a deadline up to the
//! response headers, not an idle timeout).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::{https, Https, NetConnector};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Made on the first request, so that the system's root certificates are
/// read only when needed.
#[derive(Clone)]
pub struct SdkHttp(Arc<Lazy>);

struct Lazy {
    net: NetConnector,
    pool_idle: Duration,
    client: OnceLock<Option<Client<Https, SdkBody>>>,
}

impl std::fmt::Debug for SdkHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SdkHttp")
    }
}

impl SdkHttp {
    pub fn new(net: NetConnector, pool_idle: Duration) -> SdkHttp {
        SdkHttp(Arc::new(Lazy {
            net,
            pool_idle,
            client: OnceLock::new(),
        }))
    }

    fn client(&self) -> Option<&Client<Https, SdkBody>> {
        self.0
            .client
            .get_or_init(|| {
                let (https, _) = https(self.0.net.clone())?;
                Some(
                    Client::builder(TokioExecutor::new())
                        .pool_timer(TokioTimer::new())
                        .pool_idle_timeout(self.0.pool_idle)
                        .build(https),
                )
            })
            .as_ref()
    }
}

impl HttpClient for SdkHttp {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        // Connect and read timeouts live in the socket stack, for both paths.
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for SdkHttp {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let mut request = match request.try_into_http1x() {
            Ok(r) => r,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        if let Some(auth) = self.0.net.forward_auth(request.uri()) {
            request
                .headers_mut()
                .entry(http::header::PROXY_AUTHORIZATION)
                .or_insert(auth);
        }
        let Some(client) = self.client().cloned() else {
            return HttpConnectorFuture::ready(Err(ConnectorError::other(
                "cannot set up TLS".into(),
                None,
            )));
        };
        HttpConnectorFuture::new(async move {
            match client.request(request).await {
                Ok(resp) => HttpResponse::try_from(resp.map(SdkBody::from_body_1_x))
                    .map_err(|e| ConnectorError::other(e.into(), None)),
                Err(e) => Err(classify(e)),
            }
        })
    }
}

/// Timeouts and I/O failures are what the SDK (and `S3Error`) retry.
fn classify(e: hyper_util::client::legacy::Error) -> ConnectorError {
    let timed_out = find_io(&e).is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut);
    let io = e.is_connect() || find_io(&e).is_some() || dropped(&e);
    let boxed: BoxError = Box::new(e);
    if timed_out {
        ConnectorError::timeout(boxed)
    } else if io {
        ConnectorError::io(boxed)
    } else {
        ConnectorError::other(boxed, None)
    }
}

/// The server closed or reset the connection mid-request.
fn dropped(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(h) = err.downcast_ref::<hyper::Error>() {
            return !h.is_user();
        }
        cur = err.source();
    }
    false
}

fn find_io<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        cur = err.source();
    }
    None
}
