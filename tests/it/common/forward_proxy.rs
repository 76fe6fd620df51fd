//! A forward HTTP proxy for tests: absolute-form requests and CONNECT
//! tunnels, with its own name table (a made-up host only it can resolve),
//! optional Basic authentication, and request counters.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::{TokioExecutor, TokioIo};

#[derive(Debug, Default)]
pub struct ProxyStats {
    /// Absolute-form requests forwarded.
    pub forwarded: AtomicU64,
    /// CONNECT tunnels opened.
    pub tunnels: AtomicU64,
    /// Requests refused for missing or wrong credentials.
    pub refused: AtomicU64,
    /// CopyObject requests s3ferry signed itself (its User-Agent).
    pub direct_copies: AtomicU64,
    /// Hosts asked for, as `host:port`.
    pub hosts: Mutex<Vec<String>>,
}

impl ProxyStats {
    pub fn total(&self) -> u64 {
        self.forwarded.load(Ordering::SeqCst) + self.tunnels.load(Ordering::SeqCst)
    }
}

pub struct ForwardProxy {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub port: u16,
    pub stats: Arc<ProxyStats>,
}

struct Setup {
    /// `host:port` -> where it really is.
    names: HashMap<String, String>,
    /// The `Proxy-Authorization` value required, if any.
    auth: Option<String>,
    stats: Arc<ProxyStats>,
    http: HttpClient<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

type Body = Full<Bytes>;

fn answer(status: u16, text: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .body(Full::new(Bytes::from(text.to_string())))
        .unwrap_or_default()
}

impl Setup {
    fn resolve(&self, host_port: &str) -> String {
        self.names
            .get(host_port)
            .cloned()
            .unwrap_or_else(|| host_port.to_string())
    }

    fn authorised(&self, req: &Request<Incoming>) -> bool {
        let Some(want) = &self.auth else {
            return true;
        };
        let ok = req
            .headers()
            .get(hyper::header::PROXY_AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            == Some(want.as_str());
        if !ok {
            self.stats.refused.fetch_add(1, Ordering::SeqCst);
        }
        ok
    }
}

async fn handle(req: Request<Incoming>, setup: Arc<Setup>) -> Result<Response<Body>, hyper::Error> {
    if !setup.authorised(&req) {
        return Ok(Response::builder()
            .status(407)
            .header("proxy-authenticate", "Basic realm=\"test\"")
            .body(Full::new(Bytes::new()))
            .unwrap_or_default());
    }
    if req.method() == Method::CONNECT {
        let Some(target) = req.uri().authority().map(|a| a.to_string()) else {
            return Ok(answer(400, "CONNECT needs host:port"));
        };
        setup.stats.tunnels.fetch_add(1, Ordering::SeqCst);
        setup.stats.hosts.lock().unwrap().push(target.clone());
        let real = setup.resolve(&target);
        tokio::spawn(async move {
            let Ok(upgraded) = hyper::upgrade::on(req).await else {
                return;
            };
            let Ok(mut server) = tokio::net::TcpStream::connect(real).await else {
                return;
            };
            let mut client = TokioIo::new(upgraded);
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        });
        return Ok(Response::new(Full::new(Bytes::new())));
    }
    // Absolute form: http://host:port/path?query
    let Some(authority) = req.uri().authority().map(|a| a.to_string()) else {
        return Ok(answer(400, "a proxy request needs an absolute URI"));
    };
    setup.stats.forwarded.fetch_add(1, Ordering::SeqCst);
    let direct = req.headers().contains_key("x-amz-copy-source")
        && req
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ua| ua.starts_with("s3ferry/"));
    if direct {
        setup.stats.direct_copies.fetch_add(1, Ordering::SeqCst);
    }
    setup.stats.hosts.lock().unwrap().push(authority.clone());
    let real = setup.resolve(&authority);
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    let Ok(uri) = format!("http://{real}{path}").parse::<hyper::Uri>() else {
        return Ok(answer(400, "bad target"));
    };
    let mut fwd = Request::builder().method(parts.method.clone()).uri(uri);
    for (k, v) in parts.headers.iter() {
        // The signed Host header stays as the client sent it.
        if k != hyper::header::PROXY_AUTHORIZATION {
            fwd = fwd.header(k, v);
        }
    }
    let Ok(fwd) = fwd.body(Full::new(body)) else {
        return Ok(answer(400, "bad request"));
    };
    let Ok(resp) = setup.http.request(fwd).await else {
        return Ok(answer(502, "upstream failed"));
    };
    let is_head = parts.method == Method::HEAD;
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await?.to_bytes();
    let mut out = Response::builder().status(parts.status);
    for (k, v) in parts.headers.iter() {
        if (is_head || k != "content-length") && k != "transfer-encoding" {
            out = out.header(k, v);
        }
    }
    Ok(out.body(Full::new(bytes)).unwrap_or_default())
}

/// Start a proxy on a free loopback port. `names` maps `host:port` as
/// clients ask for it to `ip:port`; `auth` is `(user, password)` to require.
pub fn start(names: &[(&str, &str)], auth: Option<(&str, &str)>) -> ForwardProxy {
    use base64::Engine as _;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let stats = Arc::new(ProxyStats::default());
    let setup = Arc::new(Setup {
        names: names
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        auth: auth.map(|(u, p)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        }),
        stats: stats.clone(),
        http: HttpClient::builder(TokioExecutor::new()).build_http(),
    });
    super::spawn_bg(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let setup = setup.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| handle(req, setup.clone()));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .with_upgrades()
                    .await;
            });
        }
    });
    ForwardProxy {
        url: format!("http://127.0.0.1:{port}"),
        port,
        stats,
    }
}
