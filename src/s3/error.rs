//! Errors from S3 turned into one typed value with a human message.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// Broad class of an S3 failure: decides retry, status-field wording and exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NoSuchBucket,
    NoSuchKey,
    AccessDenied,
    NotImplemented,
    /// A bucket sub-resource that is simply not set (no replication config, ...).
    NotConfigured,
    /// 412 from a conditional request: the source changed.
    PreconditionFailed,
    Throttled,
    /// 5xx and unreadable answers: worth a few more attempts.
    Transient,
    /// Could not reach the endpoint at all (refused, unknown host).
    Unreachable,
    /// The connection broke: reset, closed before the answer, timed out.
    Connection,
    Credentials,
    Redirect,
    Other,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct S3Error {
    pub kind: ErrorKind,
    /// S3 error code when there was one (`NoSuchBucket`).
    pub code: Option<String>,
    pub status: Option<u16>,
    pub message: String,
    /// `x-amz-bucket-region` from the response, for region discovery.
    pub bucket_region: Option<String>,
    /// Start of an unparseable response body (to work around servers that
    /// answer with a differently named XML root).
    pub body_hint: Option<String>,
}

impl S3Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        S3Error {
            kind,
            code: None,
            status: None,
            message: message.into(),
            bucket_region: None,
            body_hint: None,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Transient)
            || self.kind.is_connection()
    }

    /// Credentials that were good and ran out (a session token, SSO, an
    /// assumed role): a fresh set from the provider chain fixes them.
    pub fn is_expired_credentials(&self) -> bool {
        self.kind == ErrorKind::Credentials
            && self
                .code
                .as_deref()
                .is_some_and(|c| EXPIRED_CODES.contains(&c))
    }

    /// A failure below HTTP, classified by the text of its error chain and
    /// whether connecting timed out: refused, unknown hosts and connect
    /// timeouts are `Unreachable`, anything else (resets, connections closed
    /// mid-request, read timeouts) `Connection`. The SDK path and the direct
    /// path share it.
    pub(crate) fn transport(chain: &str, connect_timeout: bool) -> S3Error {
        let unreachable = connect_timeout
            || chain.contains("refused")
            || chain.contains("dns error")
            || chain.contains("failed to lookup");
        if unreachable {
            S3Error::new(
                ErrorKind::Unreachable,
                format!("cannot reach the endpoint ({})", short_cause(chain)),
            )
        } else {
            S3Error::new(
                ErrorKind::Connection,
                format!("connection failed ({})", short_cause(chain)),
            )
        }
    }

    /// An error answer from S3: its status, `<Code>` and `<Message>`.
    pub fn from_response(
        status: u16,
        code: Option<String>,
        detail: Option<String>,
        bucket_region: Option<String>,
        body_hint: Option<String>,
    ) -> Self {
        let kind = kind_for(code.as_deref(), Some(status));
        let mut message = match (&code, detail) {
            (Some(c), Some(m)) if !m.is_empty() => format!("{m} ({c})"),
            (Some(c), _) => c.clone(),
            (None, _) => format!("HTTP {status}"),
        };
        if matches!(kind, ErrorKind::AccessDenied | ErrorKind::Credentials) {
            message = format!("access denied: {message}");
        }
        if code.as_deref() == Some("InvalidObjectState") {
            message = format!(
                "object is archived (GLACIER / DEEP_ARCHIVE): restore it before copying ({message})"
            );
        }
        S3Error {
            kind,
            code,
            status: Some(status),
            message,
            bucket_region,
            body_hint,
        }
    }

    /// Prefix the message with what we were doing.
    pub fn context(mut self, what: impl std::fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

/// Codes of credentials that have expired (rather than being wrong).
const EXPIRED_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "TokenRefreshRequired",
];

impl ErrorKind {
    /// The endpoint did not answer at all: an outage, not an answer about
    /// this request.
    pub fn is_connection(self) -> bool {
        matches!(self, ErrorKind::Unreachable | ErrorKind::Connection)
    }
}

const NOT_CONFIGURED_CODES: &[&str] = &[
    "ReplicationConfigurationNotFoundError",
    "OwnershipControlsNotFoundError",
    "ServerSideEncryptionConfigurationNotFoundError",
    "ObjectLockConfigurationNotFoundError",
    "NoSuchTagSet",
    "NoSuchLifecycleConfiguration",
    "NoSuchBucketPolicy",
];

fn kind_for(code: Option<&str>, status: Option<u16>) -> ErrorKind {
    match code {
        Some("NoSuchBucket") => return ErrorKind::NoSuchBucket,
        // A HEAD answer has no body: the SDK labels its 404 `NotFound`.
        Some("NoSuchKey") | Some("NoSuchVersion") | Some("NotFound") => {
            return ErrorKind::NoSuchKey
        }
        Some("AccessDenied") | Some("AllAccessDisabled") | Some("AccountProblem") => {
            return ErrorKind::AccessDenied
        }
        Some("InvalidAccessKeyId") | Some("SignatureDoesNotMatch") | Some("InvalidToken") => {
            return ErrorKind::Credentials
        }
        Some(c) if EXPIRED_CODES.contains(&c) => return ErrorKind::Credentials,
        Some("NotImplemented") | Some("MethodNotAllowed") | Some("XNotImplemented") => {
            return ErrorKind::NotImplemented
        }
        Some("PreconditionFailed") => return ErrorKind::PreconditionFailed,
        Some("SlowDown")
        | Some("Throttling")
        | Some("ThrottlingException")
        | Some("RequestLimitExceeded")
        | Some("TooManyRequests") => return ErrorKind::Throttled,
        Some("InternalError")
        | Some("ServiceUnavailable")
        | Some("RequestTimeout")
        | Some("RequestTimeTooSkewed") => return ErrorKind::Transient,
        Some("PermanentRedirect") | Some("AuthorizationHeaderMalformed") => {
            return ErrorKind::Redirect
        }
        Some(c) if NOT_CONFIGURED_CODES.contains(&c) => return ErrorKind::NotConfigured,
        _ => {}
    }
    match status {
        Some(301) | Some(307) => ErrorKind::Redirect,
        Some(403) => ErrorKind::AccessDenied,
        Some(404) if code.is_none() => ErrorKind::NoSuchKey,
        Some(412) => ErrorKind::PreconditionFailed,
        Some(501) => ErrorKind::NotImplemented,
        Some(503) | Some(429) => ErrorKind::Throttled,
        Some(s) if s >= 500 => ErrorKind::Transient,
        _ => ErrorKind::Other,
    }
}

pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = s.source();
    }
    parts.join(": ")
}

impl<E> From<SdkError<E, HttpResponse>> for S3Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    fn from(err: SdkError<E, HttpResponse>) -> Self {
        match &err {
            SdkError::ServiceError(se) => {
                let raw = se.raw();
                let meta = se.err();
                S3Error::from_response(
                    raw.status().as_u16(),
                    meta.code().map(str::to_string),
                    meta.message().map(str::to_string),
                    raw.headers().get("x-amz-bucket-region").map(str::to_string),
                    raw.body()
                        .bytes()
                        .map(|b| String::from_utf8_lossy(&b[..b.len().min(512)]).into_owned()),
                )
            }
            SdkError::TimeoutError(_) => S3Error::new(ErrorKind::Connection, "request timed out"),
            SdkError::DispatchFailure(df) => {
                let text = error_chain(&err);
                if !df.is_io() && !df.is_timeout() && text.to_lowercase().contains("credentials") {
                    return S3Error::new(
                        ErrorKind::Credentials,
                        format!("no usable AWS credentials ({})", short_cause(&text)),
                    );
                }
                let connect_timeout = df.is_timeout() && text.contains("connect");
                S3Error::transport(&text, connect_timeout)
            }
            SdkError::ResponseError(re) => {
                let status = re.raw().status().as_u16();
                S3Error {
                    kind: kind_for(None, Some(status)),
                    code: None,
                    status: Some(status),
                    message: format!(
                        "unreadable response (HTTP {status}): {}",
                        short_cause(&error_chain(&err))
                    ),
                    bucket_region: re
                        .raw()
                        .headers()
                        .get("x-amz-bucket-region")
                        .map(str::to_string),
                    body_hint: re
                        .raw()
                        .body()
                        .bytes()
                        .map(|b| String::from_utf8_lossy(&b[..b.len().min(512)]).into_owned()),
                }
            }
            _ => {
                let text = error_chain(&err);
                let kind = if text.contains("credentials") {
                    ErrorKind::Credentials
                } else {
                    ErrorKind::Other
                };
                S3Error::new(kind, short_cause(&text))
            }
        }
    }
}

/// The last, most specific parts of an error chain.
pub(crate) fn short_cause(chain: &str) -> String {
    let parts: Vec<&str> = chain.split(": ").filter(|p| !p.is_empty()).collect();
    let tail = if parts.len() > 2 {
        &parts[parts.len() - 2..]
    } else {
        &parts[..]
    };
    tail.join(": ").replace('\n', " ")
}

pub type S3Result<T> = Result<T, S3Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_codes() {
        assert_eq!(
            kind_for(Some("NoSuchBucket"), Some(404)),
            ErrorKind::NoSuchBucket
        );
        assert_eq!(kind_for(Some("SlowDown"), Some(503)), ErrorKind::Throttled);
        assert_eq!(kind_for(None, Some(503)), ErrorKind::Throttled);
        assert_eq!(
            kind_for(Some("ReplicationConfigurationNotFoundError"), Some(404)),
            ErrorKind::NotConfigured
        );
        assert_eq!(kind_for(None, Some(403)), ErrorKind::AccessDenied);
        assert_eq!(kind_for(None, Some(500)), ErrorKind::Transient);
        assert_eq!(kind_for(None, Some(412)), ErrorKind::PreconditionFailed);
        // HeadObject's 404 has no body; the SDK names it `NotFound`.
        assert_eq!(kind_for(Some("NotFound"), Some(404)), ErrorKind::NoSuchKey);
        assert_eq!(
            kind_for(Some("NotImplemented"), Some(501)),
            ErrorKind::NotImplemented
        );
        for expired in EXPIRED_CODES {
            let e = S3Error::from_response(400, Some(expired.to_string()), None, None, None);
            assert_eq!(e.kind, ErrorKind::Credentials);
            assert!(e.is_expired_credentials(), "{expired}");
        }
        let wrong =
            S3Error::from_response(403, Some("InvalidAccessKeyId".into()), None, None, None);
        assert!(!wrong.is_expired_credentials());
    }

    #[test]
    fn transport_failures_are_connection_level() {
        let refused = S3Error::transport("io error: Connection refused (os error 111)", false);
        assert_eq!(refused.kind, ErrorKind::Unreachable);
        let dns = S3Error::transport("dns error: failed to lookup address information", false);
        let slow = S3Error::transport("timeout: HTTP connect timeout occurred after 5s", true);
        assert_eq!(slow.kind, ErrorKind::Unreachable);
        assert_eq!(dns.kind, ErrorKind::Unreachable);
        let reset = S3Error::transport("connection reset by peer", false);
        assert_eq!(reset.kind, ErrorKind::Connection);
        let closed = S3Error::transport("connection closed before message completed", false);
        assert_eq!(closed.kind, ErrorKind::Connection);
        assert!(refused.kind.is_connection() && closed.kind.is_connection());
        assert!(closed.is_retryable());
        assert!(!ErrorKind::Transient.is_connection());
    }

    #[test]
    fn short_cause_keeps_tail() {
        assert_eq!(short_cause("a: b: c: d"), "c: d");
        assert_eq!(short_cause("only"), "only");
    }
}
