//! Connections: one SDK config per connection, one client per region, bucket
//! regions discovered once (the Rust SDK does not follow S3's 301 redirects).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::Client;

use super::bucket::Bucket;
use super::direct::{DirectCopy, EndpointInputs, HttpPool};
use super::error::{ErrorKind, S3Error, S3Result};
use super::net::{self, NetConnector, SdkHttp};
use crate::config::ConnectionSettings;

/// S3 closes idle connections after about 20 s; reusing one that the server
/// is closing gives a reset, so keep ours shorter.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_REGION: &str = "us-east-1";

/// A pair of clients for one region: `meta` retries on its own (listings,
/// status); `data` makes one attempt so the engine sees throttling and can
/// back off and lower its concurrency itself.
#[derive(Clone, Debug)]
pub(super) struct RegionClients {
    pub(super) meta: Client,
    pub(super) data: Client,
    /// CopyObject without the SDK pipeline; `None` without credentials.
    pub(super) direct: Option<Arc<DirectCopy>>,
}

struct Inner {
    settings: ConnectionSettings,
    sdk: SdkConfig,
    clients: Mutex<HashMap<String, RegionClients>>,
    bucket_regions: Mutex<HashMap<String, String>>,
    /// The connection pool of direct copies.
    direct_http: Arc<HttpPool>,
}

/// A connection to one S3 endpoint with one identity. Cheap to clone.
#[derive(Clone)]
pub struct Connection(Arc<Inner>);

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Connection({})", self.0.settings.label())
    }
}

impl Connection {
    pub async fn open(settings: ConnectionSettings) -> S3Result<Connection> {
        if let Some(url) = &settings.endpoint_url {
            let ok = url.starts_with("http://") || url.starts_with("https://");
            if !ok || url.len() <= "http://".len() {
                return Err(S3Error::new(
                    ErrorKind::Other,
                    format!("invalid endpoint URL {url:?}: expected http://host[:port] or https://host[:port]"),
                ));
            }
        }
        let proxies = net::matcher(settings.proxy.as_deref())
            .map_err(|e| S3Error::new(ErrorKind::Other, e))?;
        let socket = NetConnector::new(CONNECT_TIMEOUT, net::read_timeout(), proxies);
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(SdkHttp::new(socket.clone(), POOL_IDLE_TIMEOUT))
            // Connect and idle read timeouts are the socket stack's.
            .timeout_config(TimeoutConfig::disabled());
        if let Some(p) = &settings.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &settings.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(e) = &settings.endpoint_url {
            loader = loader.endpoint_url(e.trim_end_matches('/'));
        }
        if settings.anonymous {
            loader = loader.no_credentials();
        } else if let (Some(ak), Some(sk)) = (&settings.access_key_id, &settings.secret_access_key)
        {
            loader = loader.credentials_provider(aws_sdk_s3::config::Credentials::new(
                ak.clone(),
                sk.clone(),
                None,
                None,
                "s3ferry-config",
            ));
        }
        let sdk = loader.load().await;
        Ok(Connection(Arc::new(Inner {
            settings,
            sdk,
            clients: Mutex::new(HashMap::new()),
            bucket_regions: Mutex::new(HashMap::new()),
            direct_http: Arc::new(HttpPool::new(POOL_IDLE_TIMEOUT, socket)),
        })))
    }

    /// The loaded SDK configuration (for other AWS services on the same identity).
    pub(super) fn sdk_config(&self) -> &SdkConfig {
        &self.0.sdk
    }

    pub fn settings(&self) -> &ConnectionSettings {
        &self.0.settings
    }

    pub fn is_custom_endpoint(&self) -> bool {
        self.0.settings.endpoint_url.is_some()
    }

    /// The region requests go to before a bucket's own region is known.
    pub fn home_region(&self) -> String {
        self.0
            .sdk
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| DEFAULT_REGION.to_string())
    }

    pub(super) fn clients_for_region(&self, region: &str) -> RegionClients {
        let mut map = self.0.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = map.get(region) {
            return c.clone();
        }
        let build = |retry: RetryConfig| {
            let mut b = aws_sdk_s3::config::Builder::from(&self.0.sdk)
                .region(Region::new(region.to_string()))
                .retry_config(retry)
                .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
                .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
            if self.0.settings.uses_path_style() {
                b = b.force_path_style(true);
            }
            Client::from_conf(b.build())
        };
        let clients = RegionClients {
            meta: build(RetryConfig::standard().with_max_attempts(3)),
            data: build(RetryConfig::disabled()),
            direct: self.direct_copy(region),
        };
        map.insert(region.to_string(), clients.clone());
        clients
    }

    fn direct_copy(&self, region: &str) -> Option<Arc<DirectCopy>> {
        let sdk = &self.0.sdk;
        let provider = sdk.credentials_provider()?;
        if self.0.settings.anonymous {
            return None;
        }
        let inputs = EndpointInputs {
            region: region.to_string(),
            endpoint_url: self
                .0
                .settings
                .endpoint_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_string()),
            force_path_style: self.0.settings.uses_path_style(),
            use_fips: sdk.use_fips().unwrap_or(false),
            use_dual_stack: sdk.use_dual_stack().unwrap_or(false),
        };
        Some(Arc::new(DirectCopy::new(
            self.0.direct_http.clone(),
            inputs,
            provider,
        )))
    }

    fn home_clients(&self) -> RegionClients {
        self.clients_for_region(&self.home_region())
    }

    /// Every bucket the identity owns, by name (ListBuckets in the home region).
    pub async fn list_buckets(&self) -> S3Result<Vec<super::model::BucketInfo>> {
        super::list::list_buckets(&self.home_clients().meta).await
    }

    /// Remember a bucket's region (e.g. learnt from a listing error).
    pub fn set_bucket_region(&self, bucket: &str, region: &str) {
        let mut map = self
            .0
            .bucket_regions
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.insert(bucket.to_string(), region.to_string());
    }

    /// The bucket's region: asked once with HeadBucket, then cached. Custom
    /// endpoints are single-region; their configured region is used as is.
    /// Fails with `NoSuchBucket` when the bucket does not exist.
    pub async fn bucket_region(&self, bucket: &str) -> S3Result<String> {
        {
            let map = self
                .0
                .bucket_regions
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(r) = map.get(bucket) {
                return Ok(r.clone());
            }
        }
        let home = self.home_region();
        let head = self
            .clients_for_region(&home)
            .meta
            .head_bucket()
            .bucket(bucket)
            .send()
            .await;
        let region = match head {
            Ok(out) => out.bucket_region().map(str::to_string).unwrap_or(home),
            Err(e) => {
                let err = S3Error::from(e);
                match err.status {
                    Some(404) => {
                        return Err(S3Error {
                            kind: ErrorKind::NoSuchBucket,
                            code: Some("NoSuchBucket".into()),
                            message: format!("bucket {bucket:?} does not exist (NoSuchBucket)"),
                            ..err
                        })
                    }
                    // 301/400/403 still carry the region header; with it we can go on
                    // (a 403 on HeadBucket does not mean every call is denied).
                    _ if err.bucket_region.is_some() && !self.is_custom_endpoint() => {
                        err.bucket_region.clone().unwrap_or(home)
                    }
                    Some(403) => {
                        return Err(S3Error {
                            message: format!(
                                "access denied to bucket {bucket:?} ({})",
                                err.message
                            ),
                            ..err
                        })
                    }
                    _ => return Err(err.context(format_args!("bucket {bucket:?}"))),
                }
            }
        };
        self.set_bucket_region(bucket, &region);
        Ok(region)
    }

    /// Clients for the bucket's own region.
    pub(super) async fn clients_for_bucket(&self, bucket: &str) -> S3Result<RegionClients> {
        let region = self.bucket_region(bucket).await?;
        Ok(self.clients_for_region(&region))
    }

    /// A handle on `bucket` in its own region (asked once, then cached).
    pub async fn bucket(&self, bucket: &str) -> S3Result<Bucket> {
        let region = self.bucket_region(bucket).await?;
        Ok(Bucket::new(
            bucket,
            &region,
            self.clients_for_region(&region),
        ))
    }
}

/// One connection per distinct settings, shared across panes and jobs.
#[derive(Clone, Default)]
pub struct ConnectionPool {
    conns: Arc<tokio::sync::Mutex<Vec<Connection>>>,
}

impl ConnectionPool {
    pub fn new() -> Self {
        Self::default()
    }

    pub async fn get(&self, settings: &ConnectionSettings) -> S3Result<Connection> {
        let mut conns = self.conns.lock().await;
        if let Some(c) = conns.iter().find(|c| c.settings() == settings) {
            return Ok(c.clone());
        }
        let c = Connection::open(settings.clone()).await?;
        conns.push(c.clone());
        Ok(c)
    }
}
