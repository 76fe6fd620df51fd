//! A fault-injecting HTTP proxy in front of an S3 server: answers 503
//! SlowDown to a share of requests, drops connections without an answer,
//! adds latency, and can rewrite responses to make a verification fail.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rand::Rng;

#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Share of requests answered 503 SlowDown (before reaching the server).
    pub slowdown: f64,
    /// Share of requests whose connection is dropped without an answer
    /// (half before the server sees them, half after it acted).
    pub drop: f64,
    pub latency: Duration,
    /// Requests whose query contains this answer 501 NotImplemented.
    pub not_implemented_query: Option<String>,
    /// Requests whose query contains this answer 403 AccessDenied.
    pub access_denied_query: Option<String>,
    /// Rewrite the ETag in CopyObject results (verification must fail).
    pub corrupt_copy_etag: bool,
    /// Share of CopyObject requests answered like S3's late failures: status
    /// 200 with an `<Error>` document (InternalError), the copy not made.
    pub copy_error_in_200: f64,
    /// Run once, before the first UploadPartCopy is forwarded (e.g. overwrite
    /// the source object: it changes mid-copy).
    pub on_first_part_copy: Option<Hook>,
    /// Run once, before the first DeleteObjects is forwarded (e.g. rewrite a
    /// moved source between its verified copy and its delete).
    pub on_first_delete_objects: Option<Hook>,
    /// Hold DeleteObjects unanswered while this is set (a process killed
    /// while deleting); clearing it lets later ones through.
    pub hang_delete_objects: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// An outage: while set, every connection is closed as soon as it is
    /// accepted and every request on an open one is dropped unanswered.
    pub outage: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// The first N DeleteObjects requests are answered by the proxy itself,
    /// not forwarded: 200 with a per-key `<Error>` for every key (SlowDown
    /// and InternalError in turn), as S3 does when throttling inside a batch.
    pub delete_objects_key_errors: u64,
    /// While set, DeleteObjects and DeleteObject answer 403 AccessDenied.
    pub deny_deletes: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// The first N requests of this kind are read and never answered (the
    /// connection stays open and silent).
    pub never_answer: Option<(NeverAnswer, u64)>,
    /// DeleteObjects number N (from 0) runs the hook and is then dropped
    /// unanswered, never forwarded: the client must send it again.
    pub drop_delete_objects: Option<(u64, Hook)>,
    /// DeleteObjects number N (from 0) runs the hook and is answered by the
    /// proxy with a per-key error for every key, not forwarded.
    pub key_errors_at: Option<(u64, Hook)>,
    /// While set, every request is answered 400 ExpiredToken, as S3 answers
    /// a session whose credentials expired (a HEAD gets no body).
    pub expired: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// Forward the first CreateMultipartUpload, then drop its answer: the
    /// upload exists and the client never learns its id.
    pub lose_first_create_upload_answer: bool,
}

/// Which requests `Faults::never_answer` swallows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeverAnswer {
    /// CopyObject (not UploadPartCopy).
    Copies,
    /// GetObject.
    Gets,
}

/// An async action the proxy runs at a chosen moment.
#[derive(Clone)]
pub struct Hook(
    pub  Arc<
        dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + Sync,
    >,
);

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hook")
    }
}

#[derive(Debug, Default)]
pub struct Stats {
    pub mutated: std::sync::atomic::AtomicBool,
    pub requests: AtomicU64,
    pub slowdowns: AtomicU64,
    pub drops: AtomicU64,
    pub late_errors: AtomicU64,
    /// CopyObject requests signed by s3ferry itself (its User-Agent) and
    /// sent through the SDK.
    pub copies_direct: AtomicU64,
    pub copies_sdk: AtomicU64,
    pub delete_hook_ran: std::sync::atomic::AtomicBool,
    pub delete_objects: AtomicU64,
    /// Per-key errors answered inside DeleteObjects answers.
    pub delete_key_errors: AtomicU64,
    /// Connections and requests refused during an outage.
    pub refused: AtomicU64,
    /// Single DeleteObject requests.
    pub delete_object: AtomicU64,
    pub never_answered: AtomicU64,
    pub create_upload_answer_lost: std::sync::atomic::AtomicBool,
}

pub struct Proxy {
    pub url: String,
    pub stats: Arc<Stats>,
}

type Body = Full<Bytes>;

/// An S3 error document answered with `status`.
fn s3_error(status: u16, code: &str, message: &str) -> Response<Body> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(Full::new(Bytes::from(xml)))
        .unwrap_or_default()
}

#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dropped by fault proxy")
    }
}
impl std::error::Error for Dropped {}

/// A DeleteObjects answered by the proxy: a per-key error for every key.
async fn answer_key_errors(
    req: Request<Incoming>,
    stats: &Stats,
) -> Result<Response<Body>, Dropped> {
    let body = req
        .into_body()
        .collect()
        .await
        .map_err(|_| Dropped)?
        .to_bytes();
    Ok(key_errors(&String::from_utf8_lossy(&body), stats))
}

async fn handle(
    req: Request<Incoming>,
    upstream: Arc<String>,
    faults: Arc<Faults>,
    stats: Arc<Stats>,
    http: HttpClient<hyper_util::client::legacy::connect::HttpConnector, Body>,
) -> Result<Response<Body>, Dropped> {
    stats.requests.fetch_add(1, Ordering::Relaxed);
    if faults
        .outage
        .as_ref()
        .is_some_and(|o| o.load(Ordering::SeqCst))
    {
        stats.refused.fetch_add(1, Ordering::Relaxed);
        return Err(Dropped);
    }
    if faults
        .expired
        .as_ref()
        .is_some_and(|e| e.load(Ordering::SeqCst))
    {
        let mut r = s3_error(400, "ExpiredToken", "The provided token has expired.");
        if req.method() == hyper::Method::HEAD {
            *r.body_mut() = Full::new(Bytes::new());
        }
        return Ok(r);
    }
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    let query = req.uri().query().unwrap_or("").to_string();
    if let Some(q) = &faults.not_implemented_query {
        if query.contains(q.as_str()) {
            return Ok(s3_error(
                501,
                "NotImplemented",
                "A header you provided implies functionality that is not implemented",
            ));
        }
    }
    if let Some(q) = &faults.access_denied_query {
        if query.contains(q.as_str()) {
            return Ok(s3_error(403, "AccessDenied", "Access Denied"));
        }
    }
    let (roll, drop_after) = {
        let mut rng = rand::rng();
        (rng.random::<f64>(), rng.random::<bool>())
    };
    if roll < faults.slowdown {
        stats.slowdowns.fetch_add(1, Ordering::Relaxed);
        return Ok(s3_error(
            503,
            "SlowDown",
            "Please reduce your request rate.",
        ));
    }
    let dropping = roll < faults.slowdown + faults.drop;
    if dropping && !drop_after {
        stats.drops.fetch_add(1, Ordering::Relaxed);
        return Err(Dropped);
    }
    let is_copy = req.headers().contains_key("x-amz-copy-source") && !query.contains("uploadId");
    let is_part_copy =
        req.headers().contains_key("x-amz-copy-source") && query.contains("uploadId");
    if is_copy {
        let direct = req
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ua| ua.starts_with("s3ferry/"));
        let counter = if direct {
            &stats.copies_direct
        } else {
            &stats.copies_sdk
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if rand::rng().random::<f64>() < faults.copy_error_in_200 {
            stats.late_errors.fetch_add(1, Ordering::Relaxed);
            return Ok(s3_error(
                200,
                "InternalError",
                "We encountered an internal error. Please try again.",
            ));
        }
    }
    if let Some(hook) = &faults.on_first_part_copy {
        if is_part_copy && !stats.mutated.swap(true, Ordering::SeqCst) {
            (hook.0)().await;
        }
    }
    if let Some((kind, first)) = faults.never_answer {
        // Object data only, not subresources such as `?tagging`.
        let is_get = req.method() == hyper::Method::GET
            && query.split('&').all(|p| {
                p.is_empty()
                    || p.starts_with("versionId=")
                    || p.starts_with("partNumber=")
                    || p.starts_with("x-id=")
            })
            && req.uri().path().trim_matches('/').contains('/');
        let matches = match kind {
            NeverAnswer::Copies => is_copy,
            NeverAnswer::Gets => is_get,
        };
        if matches && stats.never_answered.fetch_add(1, Ordering::SeqCst) < first {
            std::future::pending::<()>().await;
        }
    }
    let is_delete_objects = req.method() == hyper::Method::POST
        && query
            .split('&')
            .any(|p| p == "delete" || p.starts_with("delete="));
    if req.method() == hyper::Method::DELETE {
        stats.delete_object.fetch_add(1, Ordering::Relaxed);
    }
    let denied = faults
        .deny_deletes
        .as_ref()
        .is_some_and(|d| d.load(Ordering::SeqCst));
    if denied && (is_delete_objects || req.method() == hyper::Method::DELETE) {
        return Ok(s3_error(403, "AccessDenied", "Access Denied"));
    }
    if is_delete_objects {
        let n = stats.delete_objects.fetch_add(1, Ordering::Relaxed);
        if n < faults.delete_objects_key_errors {
            return answer_key_errors(req, &stats).await;
        }
        if let Some(hang) = &faults.hang_delete_objects {
            while hang.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        if let Some(hook) = &faults.on_first_delete_objects {
            if !stats.delete_hook_ran.swap(true, Ordering::SeqCst) {
                (hook.0)().await;
            }
        }
        if let Some((at, hook)) = &faults.key_errors_at {
            if n == *at {
                (hook.0)().await;
                return answer_key_errors(req, &stats).await;
            }
        }
        if let Some((at, hook)) = &faults.drop_delete_objects {
            if n == *at {
                (hook.0)().await;
                stats.drops.fetch_add(1, Ordering::Relaxed);
                return Err(Dropped);
            }
        }
    }
    let is_create_upload = req.method() == hyper::Method::POST
        && query
            .split('&')
            .any(|p| p == "uploads" || p.starts_with("uploads="));
    let lose_answer = faults.lose_first_create_upload_answer
        && is_create_upload
        && !stats.create_upload_answer_lost.swap(true, Ordering::SeqCst);
    let is_head = req.method() == hyper::Method::HEAD;
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let uri: hyper::Uri = format!("{upstream}{path}").parse().map_err(|_| Dropped)?;
    let mut fwd = Request::builder().method(parts.method).uri(uri);
    for (k, v) in parts.headers.iter() {
        fwd = fwd.header(k, v);
    }
    let fwd = fwd.body(Full::new(body)).map_err(|_| Dropped)?;
    let resp = http.request(fwd).await.map_err(|_| Dropped)?;
    if lose_answer {
        return Err(Dropped);
    }
    if dropping {
        stats.drops.fetch_add(1, Ordering::Relaxed);
        return Err(Dropped);
    }
    let (parts, body) = resp.into_parts();
    let mut bytes = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    if faults.corrupt_copy_etag && is_copy {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let (Some(a), Some(b)) = (text.find("<ETag>"), text.find("</ETag>")) {
            let fake = "&quot;00000000000000000000000000000000&quot;";
            bytes = Bytes::from(format!("{}<ETag>{fake}{}", &text[..a], &text[b..]));
        }
    }
    let mut out = Response::builder().status(parts.status);
    for (k, v) in parts.headers.iter() {
        // A HEAD answer has no body: its Content-Length is the object's size.
        if (is_head || k != "content-length") && k != "transfer-encoding" {
            out = out.header(k, v);
        }
    }
    out.body(Full::new(bytes)).map_err(|_| Dropped)
}

/// A DeleteObjects answer with a per-key error for every `<Object>` of the
/// request (its key and version id as sent), SlowDown and InternalError in turn.
fn key_errors(request: &str, stats: &Stats) -> Response<Body> {
    let field = |obj: &str, tag: &str| {
        let open = format!("<{tag}>");
        let start = obj.find(&open)? + open.len();
        let end = obj[start..].find(&format!("</{tag}>"))? + start;
        Some(obj[start..end].to_string())
    };
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    for (i, obj) in request.split("<Object>").skip(1).enumerate() {
        let Some(key) = field(obj, "Key") else {
            continue;
        };
        let (code, message) = if i % 2 == 0 {
            ("SlowDown", "Please reduce your request rate.")
        } else {
            (
                "InternalError",
                "We encountered an internal error. Please try again.",
            )
        };
        xml.push_str(&format!("<Error><Key>{key}</Key>"));
        if let Some(v) = field(obj, "VersionId") {
            xml.push_str(&format!("<VersionId>{v}</VersionId>"));
        }
        xml.push_str(&format!(
            "<Code>{code}</Code><Message>{message}</Message></Error>"
        ));
        stats.delete_key_errors.fetch_add(1, Ordering::Relaxed);
    }
    xml.push_str("</DeleteResult>");
    Response::builder()
        .status(200)
        .header("content-type", "application/xml")
        .body(Full::new(Bytes::from(xml)))
        .unwrap_or_default()
}

/// Start a proxy to `upstream` on a free loopback port.
pub fn start(upstream: &str, faults: Faults) -> Proxy {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    listener.set_nonblocking(true).expect("nonblocking");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let stats = Arc::new(Stats::default());
    let upstream = Arc::new(upstream.trim_end_matches('/').to_string());
    let faults = Arc::new(faults);
    let st = stats.clone();
    super::spawn_bg(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        let http: HttpClient<_, Body> = HttpClient::builder(TokioExecutor::new()).build_http();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            if faults
                .outage
                .as_ref()
                .is_some_and(|o| o.load(Ordering::SeqCst))
            {
                // Closed at once, unanswered.
                st.refused.fetch_add(1, Ordering::Relaxed);
                drop(stream);
                continue;
            }
            let (upstream, faults, stats, http) =
                (upstream.clone(), faults.clone(), st.clone(), http.clone());
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    handle(
                        req,
                        upstream.clone(),
                        faults.clone(),
                        stats.clone(),
                        http.clone(),
                    )
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    let _: Option<Infallible> = None;
    Proxy { url, stats }
}
