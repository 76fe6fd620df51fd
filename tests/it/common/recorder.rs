//! A recording HTTP endpoint with canned answers, for S3 Control: no local
//! server implements Batch Operations jobs.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct Recorder {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
}

/// Answers: (method, path prefix, status, body).
pub fn start(answers: Vec<(&'static str, String, u16, String)>) -> Recorder {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
    let reqs = requests.clone();
    let answers = Arc::new(answers);
    super::spawn_bg(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (reqs, answers) = (reqs.clone(), answers.clone());
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (reqs, answers) = (reqs.clone(), answers.clone());
                    async move {
                        let method = req.method().to_string();
                        let path = req.uri().path().to_string();
                        let headers = req
                            .headers()
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                            .collect();
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        reqs.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(Recorded {
                                method: method.clone(),
                                path: path.clone(),
                                headers,
                                body: String::from_utf8_lossy(&body).into_owned(),
                            });
                        let (status, text) = answers
                            .iter()
                            .find(|(m, p, _, _)| *m == method && path.starts_with(p.as_str()))
                            .map(|(_, _, s, b)| (*s, b.clone()))
                            .unwrap_or((404, "<Error><Code>NotFound</Code></Error>".into()));
                        Ok::<_, std::convert::Infallible>(
                            Response::builder()
                                .status(status)
                                .header("content-type", "application/xml")
                                .header("x-amz-request-id", "recorded")
                                .body(Full::new(Bytes::from(text)))
                                .unwrap_or_default(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Recorder { url, requests }
}
