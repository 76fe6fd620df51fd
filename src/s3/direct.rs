//! CopyObject sent without the SDK's request pipeline.
//!
//! A server-side copy of a small object is one CopyObject with an empty body,
//! and through aws-sdk-s3 most of the client's CPU per object went to the
//! pipeline around it (per-request endpoint and auth-scheme resolution,
//! type-erased config bags, interceptors) rather than to the request. This
//! path builds the same request, signs it with aws-sigv4 and sends it on a
//! shared hyper client:
//! - the endpoint comes from the SDK's own S3 endpoint rules, resolved once per
//!   bucket (the rules read only bucket-level parameters);
//! - credentials come from the connection's provider chain and are cached
//!   until five minutes before they expire;
//! - the engine retries, as it does for SDK calls (the data clients make one
//!   attempt), so errors only have to be classified.
//!
//! Buckets whose endpoint needs anything but plain SigV4 for `s3` (S3 Express
//! directory buckets, multi-region access points, Outposts, object lambda) and
//! copies that restate properties stay on the SDK.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::Document;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioExecutor;
use percent_encoding::utf8_percent_encode;

use super::clock::ServerClock;
use super::error::{error_chain, short_cause, ErrorKind, S3Error, S3Result};
use super::net::{self, NetConnector};
use super::ops::{copy_label, copy_source, WriteResult, KEY_SAFE};
use super::refs::ObjectRef;
use super::xml::Flat;

/// Refresh expiring credentials this long before they run out.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);
const USER_AGENT: &str = concat!("s3ferry/", env!("CARGO_PKG_VERSION"));

type HttpClient = hyper_util::client::legacy::Client<net::Https, Empty<Bytes>>;

/// One hyper client (one connection pool) per connection, made on the first
/// copy so that browsing never loads the system's root certificates.
pub struct HttpPool {
    idle: Duration,
    net: NetConnector,
    /// The endpoint's clock, learnt from its answers.
    clock: ServerClock,
    made: OnceLock<Option<Http>>,
}

struct Http {
    client: HttpClient,
    /// False when the system has no usable root certificates: then only
    /// plain-HTTP endpoints are sent here, HTTPS copies go through the SDK.
    tls: bool,
}

impl HttpPool {
    pub fn new(idle: Duration, net: NetConnector) -> HttpPool {
        HttpPool {
            idle,
            net,
            clock: ServerClock::default(),
            made: OnceLock::new(),
        }
    }

    fn get(&self) -> Option<&Http> {
        self.made.get_or_init(|| self.make()).as_ref()
    }

    fn make(&self) -> Option<Http> {
        let (https, tls) = net::https(self.net.clone())?;
        let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .pool_idle_timeout(self.idle)
            .build(https);
        Some(Http { client, tls })
    }
}

/// Where a bucket's requests go and how they are signed.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketEndpoint {
    /// The bucket's base URL without a trailing `/` (path-style URLs include
    /// the bucket); a key is appended as `/key`.
    pub url: String,
    pub signing_region: String,
}

/// The endpoint-rule inputs that do not vary per bucket.
#[derive(Debug, Clone, Default)]
pub struct EndpointInputs {
    pub region: String,
    pub endpoint_url: Option<String>,
    pub force_path_style: bool,
    pub use_fips: bool,
    pub use_dual_stack: bool,
}

/// The bucket's endpoint by the SDK's rules, when it is plain SigV4 for `s3`.
pub async fn resolve_endpoint(inputs: &EndpointInputs, bucket: &str) -> Option<BucketEndpoint> {
    let params = Params::builder()
        .bucket(bucket)
        .region(inputs.region.clone())
        .set_endpoint(inputs.endpoint_url.clone())
        .force_path_style(inputs.force_path_style)
        .use_fips(inputs.use_fips)
        .use_dual_stack(inputs.use_dual_stack)
        .disable_s3_express_session_auth(true)
        .build()
        .ok()?;
    let ep = DefaultResolver::new()
        .resolve_endpoint(&params)
        .await
        .ok()?;
    if ep.headers().next().is_some() {
        return None;
    }
    // Newer endpoint rules return typed auth schemes, older ones a property.
    let scheme = match ep.auth_schemes().first() {
        Some(s) => s.as_document(),
        None => match ep.properties().get("authSchemes") {
            Some(Document::Array(list)) => list.first()?.clone(),
            _ => return None,
        },
    };
    let Document::Object(scheme) = scheme else {
        return None;
    };
    let text = |k: &str| match scheme.get(k) {
        Some(Document::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let single_encoding = matches!(
        scheme.get("disableDoubleEncoding"),
        Some(Document::Bool(true))
    );
    if text("name") != Some("sigv4") || text("signingName") != Some("s3") || !single_encoding {
        return None;
    }
    Some(BucketEndpoint {
        url: ep.url().trim_end_matches('/').to_string(),
        signing_region: text("signingRegion").unwrap_or(&inputs.region).to_string(),
    })
}

/// Credentials from the provider chain, resolved once and reused until they
/// are about to expire.
struct CredentialCache {
    provider: SharedCredentialsProvider,
    current: RwLock<Option<(Identity, Option<SystemTime>)>>,
    refresh: tokio::sync::Mutex<()>,
}

impl CredentialCache {
    fn fresh(&self) -> Option<Identity> {
        let cur = self.current.read().unwrap_or_else(|p| p.into_inner());
        match &*cur {
            Some((id, None)) => Some(id.clone()),
            Some((id, Some(exp))) if SystemTime::now() + REFRESH_BEFORE < *exp => Some(id.clone()),
            _ => None,
        }
    }

    async fn identity(&self) -> S3Result<Identity> {
        if let Some(id) = self.fresh() {
            return Ok(id);
        }
        // One refresh at a time; the others wait for it and reuse its result.
        let _guard = self.refresh.lock().await;
        if let Some(id) = self.fresh() {
            return Ok(id);
        }
        let creds = self.provider.provide_credentials().await.map_err(|e| {
            S3Error::new(
                ErrorKind::Credentials,
                format!(
                    "no usable AWS credentials ({})",
                    short_cause(&error_chain(&e))
                ),
            )
        })?;
        let expiry = creds.expiry();
        let id = Identity::from(creds);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some((id.clone(), expiry));
        Ok(id)
    }
}

/// Sends CopyObject for one connection in one region.
pub struct DirectCopy {
    http: Arc<HttpPool>,
    inputs: EndpointInputs,
    creds: CredentialCache,
    endpoints: Mutex<HashMap<String, Option<Arc<BucketEndpoint>>>>,
}

impl std::fmt::Debug for DirectCopy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DirectCopy({:?})", self.inputs.region)
    }
}

impl DirectCopy {
    pub fn new(
        http: Arc<HttpPool>,
        inputs: EndpointInputs,
        provider: SharedCredentialsProvider,
    ) -> DirectCopy {
        DirectCopy {
            http,
            inputs,
            creds: CredentialCache {
                provider,
                current: RwLock::new(None),
                refresh: tokio::sync::Mutex::new(()),
            },
            endpoints: Mutex::new(HashMap::new()),
        }
    }

    /// The bucket's endpoint, or `None` when its copies must go through the SDK.
    pub async fn endpoint(&self, bucket: &str) -> Option<Arc<BucketEndpoint>> {
        if let Some(e) = self
            .endpoints
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(bucket)
        {
            return e.clone();
        }
        let usable = |ep: &BucketEndpoint| {
            self.http
                .get()
                .is_some_and(|h| h.tls || !ep.url.starts_with("https://"))
        };
        let resolved = resolve_endpoint(&self.inputs, bucket)
            .await
            .filter(usable)
            .map(Arc::new);
        self.endpoints
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(bucket.to_string(), resolved.clone());
        resolved
    }

    /// Server-side CopyObject of `src` to `dst` (whose bucket is at `ep`),
    /// properties and tags copied; `if_match` pins the source by ETag.
    pub async fn copy_object(
        &self,
        ep: &BucketEndpoint,
        src: ObjectRef<'_>,
        dst: ObjectRef<'_>,
        if_match: Option<&str>,
    ) -> S3Result<WriteResult> {
        let sent = match self.send_copy(ep, src, dst.key, if_match).await {
            // The answer's Date corrected the signing clock: sign again.
            Err(e) if e.code.as_deref() == Some("RequestTimeTooSkewed") => {
                self.send_copy(ep, src, dst.key, if_match).await
            }
            other => other,
        };
        sent.map_err(|e| e.context(copy_label(src, dst)))
    }

    async fn send_copy(
        &self,
        ep: &BucketEndpoint,
        src: ObjectRef<'_>,
        dst_key: &str,
        if_match: Option<&str>,
    ) -> S3Result<WriteResult> {
        let url = format!("{}/{}", ep.url, utf8_percent_encode(dst_key, KEY_SAFE));
        let source = copy_source(src.bucket, src.key, src.version_id);
        let mut signed: Vec<(&str, &str)> = vec![("x-amz-copy-source", &source)];
        if let Some(m) = if_match {
            signed.push(("x-amz-copy-source-if-match", m));
        }
        let identity = self.creds.identity().await?;
        let now = self.http.clock.now();
        let auth = signature_headers(&identity, &ep.signing_region, &url, &signed, now)
            .map_err(|e| S3Error::new(ErrorKind::Other, format!("signing CopyObject: {e}")))?;

        let mut req = http::Request::builder()
            .method(http::Method::PUT)
            .uri(&url)
            .header(http::header::CONTENT_LENGTH, "0")
            .header(http::header::USER_AGENT, USER_AGENT);
        for (k, v) in signed
            .iter()
            .copied()
            .chain(auth.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            req = req.header(k, v);
        }
        let uri: http::Uri = url
            .parse()
            .map_err(|e| S3Error::new(ErrorKind::Other, format!("CopyObject URL: {e}")))?;
        if let Some(auth) = self.http.net.forward_auth(&uri) {
            req = req.header(http::header::PROXY_AUTHORIZATION, auth);
        }
        let req = req
            .body(Empty::<Bytes>::new())
            .map_err(|e| S3Error::new(ErrorKind::Other, format!("CopyObject request: {e}")))?;

        let Some(http) = self.http.get() else {
            return Err(S3Error::new(
                ErrorKind::Other,
                "direct copy has no HTTP client (use the SDK path)",
            ));
        };
        let resp = http.client.request(req).await.map_err(transport_error)?;
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| S3Error::transport(&error_chain(&e), false))?
            .to_bytes();
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        self.http.clock.observe(header("date").as_deref());
        let status = parts.status.as_u16();
        let text = String::from_utf8_lossy(&body);
        let answer = Flat::parse(&text).unwrap_or_default();
        let field = |name: &str| answer.get(name).map(str::to_string);
        // S3 can answer a copy with 200 and an <Error> document when it fails
        // after the headers were sent.
        if !parts.status.is_success() || answer.root == "Error" {
            return Err(S3Error::from_response(
                status,
                field("Code"),
                field("Message"),
                header("x-amz-bucket-region"),
                Some(text.chars().take(512).collect()),
            ));
        }
        Ok(WriteResult {
            etag: field("ETag"),
            version_id: header("x-amz-version-id"),
            source_version_id: header("x-amz-copy-source-version-id"),
            sse: header("x-amz-server-side-encryption"),
            sse_customer: header("x-amz-server-side-encryption-customer-algorithm").is_some(),
        })
    }
}

/// The SigV4 headers (`authorization`, `x-amz-date`, ...) for an empty-bodied
/// PUT to `url` with `headers`, signed the way S3 expects (no double URI
/// encoding, no path normalisation, payload hash sent).
fn signature_headers(
    identity: &Identity,
    region: &str,
    url: &str,
    headers: &[(&str, &str)],
    time: SystemTime,
) -> Result<Vec<(String, String)>, Box<dyn std::error::Error + Send + Sync>> {
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(identity)
        .region(region)
        .name("s3")
        .time(time)
        .settings(settings)
        .build()?
        .into();
    let signable = SignableRequest::new(
        "PUT",
        url,
        headers.iter().copied(),
        SignableBody::Bytes(&[]),
    )?;
    let (instructions, _signature) = sign(signable, &params)?.into_parts();
    Ok(instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

fn transport_error(e: hyper_util::client::legacy::Error) -> S3Error {
    let text = error_chain(&e);
    S3Error::transport(&text, e.is_connect() && text.contains("timed out"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn endpoints_follow_the_sdk_rules() {
        let custom = EndpointInputs {
            region: "us-east-1".into(),
            endpoint_url: Some("http://127.0.0.1:9000".into()),
            force_path_style: true,
            ..Default::default()
        };
        assert_eq!(
            resolve_endpoint(&custom, "bucket-1").await,
            Some(BucketEndpoint {
                url: "http://127.0.0.1:9000/bucket-1".into(),
                signing_region: "us-east-1".into(),
            })
        );
        let aws = EndpointInputs {
            region: "eu-west-2".into(),
            ..Default::default()
        };
        assert_eq!(
            resolve_endpoint(&aws, "assets").await,
            Some(BucketEndpoint {
                url: "https://assets.s3.eu-west-2.amazonaws.com".into(),
                signing_region: "eu-west-2".into(),
            })
        );
        // Dotted names cannot be virtual hosts under TLS: the rules use paths.
        let dotted = resolve_endpoint(&aws, "a.b.c").await.map(|e| e.url);
        assert_eq!(
            dotted.as_deref(),
            Some("https://s3.eu-west-2.amazonaws.com/a.b.c")
        );
        // Directory buckets sign with S3 Express; they stay on the SDK.
        assert_eq!(resolve_endpoint(&aws, "data--euw2-az1--x-s3").await, None);
        // Multi-region access points need SigV4a.
        assert_eq!(
            resolve_endpoint(
                &aws,
                "arn:aws:s3::123456789012:accesspoint:mfzwi23gnjvgw.mrap"
            )
            .await,
            None
        );
    }
}
