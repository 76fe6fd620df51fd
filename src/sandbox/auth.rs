//! "Accept any signature" mode.
//!
//! s3s only verifies signatures when an auth provider is installed and
//! refuses signed requests otherwise, yet aws-chunked bodies are decoded only
//! on the signed path. So without configured credentials the sandbox installs
//! a provider that knows one fixed secret for every access key and adapts each
//! request before s3s sees it:
//!
//! * presigned query parameters are dropped (the request becomes anonymous);
//! * a SigV4 `Authorization` header is dropped, unless the body is
//!   aws-chunked, in which case the request is re-signed with the fixed secret
//!   so s3s accepts it and decodes the chunks;
//! * SigV2 headers are dropped.
//!
//! Chunk signatures of `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` bodies are derived
//! from the client's secret and cannot be re-created, so such uploads only
//! work with configured credentials. The AWS CLI and SDKs use unsigned
//! (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`) chunks, which are fine.

use std::time::SystemTime;

use http::header::{HeaderName, HeaderValue, AUTHORIZATION, HOST};
use http::Request;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::S3Result;

const PASSTHROUGH_SECRET: &str = "s3ferry-sandbox-accepts-any-signature";

pub(crate) struct AnyKeyAuth;

#[async_trait::async_trait]
impl S3Auth for AnyKeyAuth {
    async fn get_secret_key(&self, _access_key: &str) -> S3Result<SecretKey> {
        Ok(SecretKey::from(PASSTHROUGH_SECRET))
    }
}

/// Installed together with [`AnyKeyAuth`] so anonymous requests are allowed.
pub(crate) struct AllowAll;

#[async_trait::async_trait]
impl S3Access for AllowAll {
    async fn check(&self, _cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        Ok(())
    }
}

const PRESIGN_PARAMS: &[&str] = &[
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "AWSAccessKeyId",
    "Signature",
    "Expires",
];

/// Rewrites a request so that it passes s3s whatever it was signed with.
pub(crate) fn accept_any_signature<B>(req: &mut Request<B>) {
    strip_presigned_query(req);
    let Some(auth) = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let auth = auth.to_owned();
    let streaming = req
        .headers()
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("STREAMING-"));
    if streaming && auth.starts_with("AWS4-HMAC-SHA256 ") {
        if let Err(e) = resign(req, &auth) {
            tracing::debug!(error = %e, "sandbox: could not re-sign request; treating it as anonymous");
            req.headers_mut().remove(AUTHORIZATION);
        }
    } else {
        req.headers_mut().remove(AUTHORIZATION);
    }
}

fn strip_presigned_query<B>(req: &mut Request<B>) {
    let Some(query) = req.uri().query() else {
        return;
    };
    let is_presign = |pair: &str| {
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        PRESIGN_PARAMS.contains(&name)
    };
    if !query.split('&').any(is_presign) {
        return;
    }
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !is_presign(p))
        .collect();
    let path = req.uri().path();
    let path_and_query = if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    };
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = path_and_query.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
}

struct Credential<'a> {
    access_key: &'a str,
    region: &'a str,
    signed_headers: Vec<&'a str>,
}

fn parse_authorization(auth: &str) -> Option<Credential<'_>> {
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256")?.trim_start();
    let mut credential = None;
    let mut signed = None;
    for field in rest.split(',') {
        let (name, value) = field.trim().split_once('=')?;
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed = Some(value),
            _ => {}
        }
    }
    let mut scope = credential?.split('/');
    let access_key = scope.next()?;
    let _date = scope.next()?;
    let region = scope.next()?;
    Some(Credential {
        access_key,
        region,
        signed_headers: signed?.split(';').collect(),
    })
}

fn signing_time<B>(req: &Request<B>) -> SystemTime {
    req.headers()
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%SZ").ok())
        .map_or_else(SystemTime::now, |t| t.and_utc().into())
}

fn resign<B>(req: &mut Request<B>, auth: &str) -> anyhow::Result<()> {
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
        SigningSettings, UriPathNormalizationMode,
    };

    let cred = parse_authorization(auth)
        .ok_or_else(|| anyhow::anyhow!("unparseable Authorization header"))?;
    let host = req
        .headers()
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| anyhow::anyhow!("request has no Host header"))?;
    let path_and_query = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let uri = format!("http://{host}{path_and_query}");
    let payload = req
        .headers()
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();

    // Sign exactly the headers the client signed, so the canonical request
    // s3s rebuilds from the new Authorization header sees the same values.
    let managed = [
        "x-amz-date",
        "x-amz-content-sha256",
        "x-amz-security-token",
        "authorization",
    ];
    let headers: Vec<(&str, &str)> = cred
        .signed_headers
        .iter()
        .filter(|name| !managed.contains(name))
        .filter_map(|name| {
            let value = req.headers().get(*name)?.to_str().ok()?;
            Some((*name, value))
        })
        .collect();

    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.excluded_headers = None;

    let identity = aws_credential_types::Credentials::new(
        cred.access_key,
        PASSTHROUGH_SECRET,
        None,
        None,
        "sandbox",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(cred.region)
        .name("s3")
        .time(signing_time(req))
        .settings(settings)
        .build()?
        .into();
    let signable = SignableRequest::new(
        req.method().as_str(),
        uri,
        headers.into_iter(),
        SignableBody::Precomputed(payload),
    )?;
    let (instructions, _signature) = sign(signable, &params)?.into_parts();
    let new_headers: Vec<(HeaderName, HeaderValue)> = instructions
        .headers()
        .map(|(name, value)| Ok((HeaderName::try_from(name)?, HeaderValue::try_from(value)?)))
        .collect::<anyhow::Result<_>>()?;
    drop(instructions);
    for (name, value) in new_headers {
        req.headers_mut().insert(name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presign_parameters_are_removed() {
        let mut req = Request::builder()
            .uri("/b/k?versionId=1&X-Amz-Signature=abc&X-Amz-Credential=x%2Fy")
            .body(())
            .unwrap_or_default();
        strip_presigned_query(&mut req);
        assert_eq!(req.uri().to_string(), "/b/k?versionId=1");
    }

    #[test]
    fn authorization_is_parsed() {
        let auth = "AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";
        let cred = parse_authorization(auth);
        assert!(cred.is_some());
        if let Some(c) = cred {
            assert_eq!(c.access_key, "AK");
            assert_eq!(c.region, "us-east-1");
            assert_eq!(c.signed_headers, ["host", "x-amz-date"]);
        }
    }
}
