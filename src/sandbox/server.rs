//! HTTP/1.1 accept loop serving the s3s service.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::Service;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use s3s::service::S3Service;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::auth::accept_any_signature;

/// How long in-flight requests may take to finish after shutdown was requested.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// s3s 0.14 ignores `S3Response::status` for its generated operations but
/// passes the response extensions on, so a handler that needs another success
/// status (RestoreObject's 202 Accepted) leaves this there and the service
/// applies it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StatusOverride(pub http::StatusCode);

#[derive(Clone)]
pub(crate) struct SandboxService {
    pub inner: S3Service,
    /// True when no credentials are configured.
    pub accept_any_signature: bool,
    /// Keys whose session expired (see `SandboxOptions::expired_access_keys`).
    pub expired_access_keys: std::sync::Arc<Vec<String>>,
}

/// The access key id a SigV4 `Authorization` header names.
fn access_key_of<B>(req: &http::Request<B>) -> Option<&str> {
    let auth = req
        .headers()
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let rest = &auth[auth.find("Credential=")? + "Credential=".len()..];
    rest.split('/').next()
}

fn expired_token() -> s3s::HttpResponse {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>";
    let mut resp = http::Response::new(s3s::Body::from(xml.to_string()));
    *resp.status_mut() = http::StatusCode::BAD_REQUEST;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/xml"),
    );
    resp
}

impl Service<http::Request<Incoming>> for SandboxService {
    type Response = s3s::HttpResponse;
    type Error = s3s::HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, mut req: http::Request<Incoming>) -> Self::Future {
        let expired =
            access_key_of(&req).is_some_and(|k| self.expired_access_keys.iter().any(|e| e == k));
        if expired {
            return Box::pin(async { Ok(expired_token()) });
        }
        if self.accept_any_signature {
            accept_any_signature(&mut req);
        }
        let response = Service::call(&self.inner, req);
        Box::pin(async move {
            let mut response = response.await?;
            if let Some(StatusOverride(status)) = response.extensions_mut().remove() {
                *response.status_mut() = status;
            }
            Ok(response)
        })
    }
}

pub(crate) async fn serve(
    listener: TcpListener,
    service: SandboxService,
    cancel: CancellationToken,
) {
    let graceful = GracefulShutdown::new();
    let http = hyper::server::conn::http1::Builder::new();
    loop {
        let accepted = tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Typically EMFILE; back off instead of spinning.
                tracing::warn!(error = %e, "sandbox: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let conn = http.serve_connection(TokioIo::new(stream), service.clone());
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "sandbox: connection ended with error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("sandbox: connections still open after shutdown timeout");
    }
}
