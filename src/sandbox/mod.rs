//! An in-process S3-compatible server, so the tool can be tried (and tested)
//! without AWS.
//!
//! Built on the `s3s` crate, which does the HTTP/XML protocol work; this
//! module provides the storage behind it: buckets with versioning, object
//! bodies in memory, optional persistence to a directory, multipart uploads,
//! and a handful of bucket configuration documents.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use s3ferry::sandbox::{Sandbox, SandboxOptions};
//! let sandbox = Sandbox::start(SandboxOptions::default()).await?;
//! println!("S3 endpoint: {}", sandbox.url());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod archive;
mod auth;
mod bucket_ops;
mod copy_ops;
mod delete_ops;
mod list_ops;
mod listing;
mod multipart_ops;
mod object_lock;
mod object_ops;
mod persist;
mod read_ops;
mod server;
mod service;
mod sse;
mod store;
mod tagging_ops;
mod util;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use self::server::SandboxService;
use self::service::SandboxS3;
use self::store::Store;
pub use self::store::{SeedReplication, Seeder};

#[derive(Clone)]
pub struct SandboxOptions {
    /// Address to listen on; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Where to persist buckets and objects; `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    /// `Some((access_key, secret_key))` requires requests signed (SigV4/SigV2)
    /// with exactly these credentials; `None` accepts any signature or none.
    pub credentials: Option<(String, String)>,
    /// Synthetic objects to create at start (in memory, not persisted).
    pub generate: Vec<Generate>,
    /// Access key ids whose session has expired: their requests are answered
    /// 400 ExpiredToken, as AWS answers a session token past its expiry.
    pub expired_access_keys: Vec<String>,
}

/// `count` small objects named `{prefix}{n:09}` in `bucket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generate {
    pub bucket: String,
    pub prefix: String,
    pub count: u64,
}

impl std::str::FromStr for Generate {
    type Err = String;

    /// `s3://bucket/prefix/:COUNT`, e.g. `s3://scale/million/:1000000`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (location, count) = s
            .rsplit_once(':')
            .filter(|(l, _)| l.starts_with("s3://"))
            .ok_or_else(|| format!("expected s3://BUCKET/PREFIX:COUNT, got {s:?}"))?;
        let count: u64 = count
            .replace('_', "")
            .parse()
            .map_err(|_| format!("{count:?} is not a number of objects"))?;
        let loc: crate::location::Location = location.parse().map_err(|e| format!("{e}"))?;
        Ok(Generate {
            bucket: loc.bucket,
            prefix: loc.prefix,
            count,
        })
    }
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            data_dir: None,
            credentials: None,
            generate: Vec::new(),
            expired_access_keys: Vec::new(),
        }
    }
}

impl std::fmt::Debug for SandboxOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxOptions")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            // Never print the secret key.
            .field("access_key", &self.credentials.as_ref().map(|(ak, _)| ak))
            .finish()
    }
}

/// A running sandbox server. Dropping it stops the server as well.
pub struct Sandbox {
    addr: SocketAddr,
    store: Arc<Store>,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds the listener, loads `data_dir` if given and spawns the server on
    /// the current tokio runtime.
    pub async fn start(opts: SandboxOptions) -> anyhow::Result<Sandbox> {
        let store = match &opts.data_dir {
            Some(dir) => Store::open(dir)
                .await
                .with_context(|| format!("opening sandbox data dir {}", dir.display()))?,
            None => Store::in_memory(),
        };
        let now = chrono::Utc::now().timestamp();
        for g in &opts.generate {
            store.generate(&g.bucket, &g.prefix, g.count, now);
        }
        let listener = tokio::net::TcpListener::bind(opts.addr)
            .await
            .with_context(|| format!("binding sandbox to {}", opts.addr))?;
        let addr = listener.local_addr()?;

        let store = Arc::new(store);
        let mut builder = S3ServiceBuilder::new(SandboxS3 {
            store: store.clone(),
        });
        let accept_any_signature = match opts.credentials {
            Some((access_key, secret_key)) => {
                builder.set_auth(SimpleAuth::from_single(access_key, secret_key));
                false
            }
            None => {
                builder.set_auth(auth::AnyKeyAuth);
                builder.set_access(auth::AllowAll);
                true
            }
        };
        let service = SandboxService {
            inner: builder.build(),
            accept_any_signature,
            expired_access_keys: std::sync::Arc::new(opts.expired_access_keys.clone()),
        };

        let cancel = CancellationToken::new();
        let task = tokio::spawn(server::serve(listener, service, cancel.clone()));
        tracing::info!(%addr, persistent = opts.data_dir.is_some(), "sandbox S3 server started");
        Ok(Sandbox {
            addr,
            store,
            cancel,
            task: Some(task),
        })
    }

    /// Writes straight into this sandbox's store (demo data, fixtures).
    pub fn seeder(&self) -> Seeder {
        Seeder::new(self.store.clone())
    }

    /// Endpoint URL for clients, e.g. `http://127.0.0.1:41234`. A wildcard
    /// bind address is reported as the loopback address so the URL works.
    pub fn url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, lets in-flight requests finish (bounded)
    /// and waits for the server task to end.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("url", &self.url()).finish()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
