//! Configuration: named connections, engine defaults, UI settings and keymap.
//!
//! The file is TOML at the platform config path (`directories`), overridden by
//! `S3FERRY_CONFIG`. Data (journal, logs) lives in the platform data dir,
//! overridden by `S3FERRY_DATA`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The embedded defaults; the user's file is merged over them.
pub const DEFAULT_CONFIG: &str = include_str!("../../assets/config.toml");

/// How to reach an S3 endpoint. Credentials normally come from the AWS chain
/// (profile, env, SSO, instance metadata); static keys are accepted for local
/// servers and are never printed (see the `Debug` impl).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionSettings {
    /// Name of the `[connections.NAME]` entry this came from, for display.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// Defaults to true with a custom endpoint.
    pub path_style: Option<bool>,
    /// `--no-sign-request`.
    pub anonymous: bool,
    pub access_key_id: Option<String>,
    #[serde(skip_serializing)]
    pub secret_access_key: Option<String>,
    /// `http://[user:password@]host:port` for this connection's requests
    /// (over `HTTPS_PROXY` / `HTTP_PROXY`; `""` for none). Not journaled: it
    /// may hold a password; a resumed job gets it from its named connection.
    #[serde(skip_serializing)]
    pub proxy: Option<String>,
}

impl std::fmt::Debug for ConnectionSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionSettings")
            .field("name", &self.name)
            .field("profile", &self.profile)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("path_style", &self.path_style)
            .field("anonymous", &self.anonymous)
            .field("static_keys", &self.access_key_id.is_some())
            .field("proxy", &self.proxy.as_deref().map(redact_url))
            .finish()
    }
}

impl ConnectionSettings {
    pub fn uses_path_style(&self) -> bool {
        self.path_style.unwrap_or(self.endpoint_url.is_some())
    }

    /// A short label for headers and logs: the name, else endpoint or profile.
    pub fn label(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        if let Some(e) = &self.endpoint_url {
            return e.clone();
        }
        if let Some(p) = &self.profile {
            return format!("profile {p}");
        }
        "aws".to_string()
    }

    /// Two settings reach the same store with the same identity, so a
    /// server-side copy between them can work.
    pub fn same_store(&self, other: &ConnectionSettings) -> bool {
        self.endpoint_url == other.endpoint_url
            && self.profile == other.profile
            && self.anonymous == other.anonymous
            && self.access_key_id == other.access_key_id
            && self.secret_access_key == other.secret_access_key
    }

    /// Two settings reach the same buckets, whatever the identity: the same
    /// endpoint (AWS when none is set, where bucket names are global).
    /// Deciding what a job may delete uses this, not `same_store`: two
    /// profiles on one bucket are still one bucket.
    pub fn same_endpoint(&self, other: &ConnectionSettings) -> bool {
        store_identity(self.endpoint_url.as_deref())
            == store_identity(other.endpoint_url.as_deref())
    }

    /// Secrets are never journaled: settings read back from a journal get
    /// the secret of their named connection again (`named`, looked up by the
    /// caller), when they had static keys.
    pub fn with_secret_from(self, named: Option<&ConnectionSettings>) -> ConnectionSettings {
        let proxy = self
            .proxy
            .clone()
            .or_else(|| named.and_then(|n| n.proxy.clone()));
        let this = ConnectionSettings { proxy, ..self };
        match named {
            Some(n) if this.access_key_id.is_some() && this.secret_access_key.is_none() => {
                ConnectionSettings {
                    secret_access_key: n.secret_access_key.clone(),
                    ..this
                }
            }
            _ => this,
        }
    }

    /// Fill unset fields from `base` (explicit flags win over named connections).
    pub fn or(mut self, base: &ConnectionSettings) -> ConnectionSettings {
        if self.name.is_none() {
            self.name.clone_from(&base.name);
        }
        if self.profile.is_none() {
            self.profile.clone_from(&base.profile);
        }
        if self.region.is_none() {
            self.region.clone_from(&base.region);
        }
        if self.endpoint_url.is_none() {
            self.endpoint_url.clone_from(&base.endpoint_url);
        }
        if self.path_style.is_none() {
            self.path_style = base.path_style;
        }
        self.anonymous |= base.anonymous;
        if self.proxy.is_none() {
            self.proxy.clone_from(&base.proxy);
        }
        if self.access_key_id.is_none() {
            self.access_key_id.clone_from(&base.access_key_id);
            self.secret_access_key.clone_from(&base.secret_access_key);
        }
        self
    }
}

/// Which buckets an endpoint reaches, so that two spellings of one endpoint
/// count as one store: AWS for no endpoint or any `*.amazonaws.com` one
/// (bucket names are global in a partition), one loopback host whatever it
/// is called, default ports made explicit, paths ignored.
pub fn store_identity(endpoint: Option<&str>) -> String {
    let Some(url) = endpoint.map(str::trim).filter(|u| !u.is_empty()) else {
        return "aws".into();
    };
    let Ok(uri) = url.parse::<http::Uri>() else {
        return url.trim_end_matches('/').to_ascii_lowercase();
    };
    let Some(host) = uri
        .host()
        .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase())
    else {
        return url.trim_end_matches('/').to_ascii_lowercase();
    };
    if host == "amazonaws.com" || host.ends_with(".amazonaws.com") {
        return "aws".into();
    }
    if host.ends_with(".amazonaws.com.cn") {
        return "aws-cn".into();
    }
    let host = match host.as_str() {
        "localhost" | "127.0.0.1" | "::1" => "loopback".to_string(),
        _ => host,
    };
    let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    });
    format!("{host}:{port}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineDefaults {
    pub concurrency: usize,
    pub multipart_threshold: String,
    pub part_size: String,
    /// Part size of copies streamed between connections.
    pub stream_part_size: String,
    /// Threads of the async runtime for transfers and listings; 0 = half the
    /// cores (at least one).
    pub worker_threads: usize,
    /// Sign and send plain server-side CopyObject requests without the SDK's
    /// request pipeline (less CPU per object); false sends them through the SDK.
    pub direct_copy: bool,
    /// Encryption copies ask for (`AES256`, `aws:kms`, `aws:kms:dsse`); unset
    /// leaves the destination bucket's default encryption to apply.
    pub sse: Option<String>,
    pub sse_kms_key_id: Option<String>,
    /// Encrypt each copy as its source is encrypted.
    pub preserve_sse: bool,
    /// How long throttling and an unreachable endpoint are waited out
    /// before objects fail (`10m`, `90s`, `1h 30m`).
    pub retry_budget: String,
    /// A request whose socket moves no data for this long fails and is
    /// retried (`60s`, `2m`); see `read_timeout()`.
    pub read_timeout: String,
}

impl Default for EngineDefaults {
    fn default() -> Self {
        EngineDefaults {
            concurrency: 256,
            multipart_threshold: "512MiB".into(),
            part_size: "64MiB".into(),
            stream_part_size: "16MiB".into(),
            worker_threads: 0,
            direct_copy: true,
            sse: None,
            sse_kms_key_id: None,
            preserve_sse: false,
            retry_budget: "10m".into(),
            read_timeout: "60s".into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiSettings {
    pub read_only: bool,
}

/// `[batch]`: what the TUI's S3 Batch Operations form starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatchSettings {
    /// The IAM role Batch Operations assumes.
    pub role_arn: Option<String>,
    /// Where completion reports go: `s3://bucket/prefix/`.
    pub report: Option<String>,
    /// The account that owns jobs; asked from STS when unset.
    pub account_id: Option<String>,
    pub priority: i32,
    /// A fixed S3 Control endpoint, for S3-compatible services.
    pub control_endpoint_url: Option<String>,
}

impl Default for BatchSettings {
    fn default() -> Self {
        BatchSettings {
            role_arn: None,
            report: None,
            account_id: None,
            // As `s3ferry batch submit --priority`.
            priority: 10,
            control_endpoint_url: None,
        }
    }
}

/// `[journal]`: how long finished jobs keep their per-object rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JournalSettings {
    /// A duration (`30d`, `12h`, `0`: at the next prune) or `forever`.
    pub keep: String,
}

impl Default for JournalSettings {
    fn default() -> Self {
        JournalSettings { keep: "30d".into() }
    }
}

impl JournalSettings {
    /// The retention period; `None` keeps rows forever.
    pub fn retention(&self) -> Result<Option<std::time::Duration>, String> {
        retention(&self.keep)
    }
}

/// A retention period as written in the config or on the command line.
pub fn retention(text: &str) -> Result<Option<std::time::Duration>, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("forever") {
        return Ok(None);
    }
    humantime::parse_duration(t).map(Some).map_err(|e| {
        format!("invalid retention {text:?} ({e}); use e.g. \"30d\", \"12h\", \"0\" or \"forever\"")
    })
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub connections: BTreeMap<String, ConnectionSettings>,
    pub engine: EngineDefaults,
    pub ui: UiSettings,
    pub batch: BatchSettings,
    pub journal: JournalSettings,
    /// action name -> key chords, e.g. `copy = ["c"]`.
    pub keys: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("unknown connection {0:?} (not in the config file's [connections])")]
    UnknownConnection(String),
}

impl Config {
    /// Defaults merged with the user's file (if it exists).
    pub fn load() -> Result<Config, ConfigError> {
        match config_path() {
            Some(path) if path.exists() => Config::load_from(&path),
            Some(path) if std::env::var_os("S3FERRY_CONFIG").is_some() => Err(ConfigError::Read {
                path,
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            }),
            _ => Ok(Config::defaults()),
        }
    }

    pub fn defaults() -> Config {
        // The embedded file is part of the binary and covered by a test.
        toml::from_str(DEFAULT_CONFIG).unwrap_or_default()
    }

    pub fn load_from(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// User text over the defaults: tables merge key by key.
    pub fn parse(text: &str) -> Result<Config, String> {
        let mut base: toml::Table = toml::from_str(DEFAULT_CONFIG).map_err(|e| e.to_string())?;
        let user: toml::Table = toml::from_str(text).map_err(|e| one_line(&e.to_string()))?;
        merge(&mut base, user);
        let config: Config = toml::Value::Table(base)
            .try_into()
            .map_err(|e: toml::de::Error| one_line(&e.to_string()))?;
        config
            .journal
            .retention()
            .map_err(|e| format!("[journal] keep: {e}"))?;
        Ok(config)
    }

    pub fn connection(&self, name: &str) -> Result<ConnectionSettings, ConfigError> {
        let mut c = self
            .connections
            .get(name)
            .cloned()
            .ok_or_else(|| ConfigError::UnknownConnection(name.to_string()))?;
        c.name = Some(name.to_string());
        Ok(c)
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn merge(base: &mut toml::Table, user: toml::Table) {
    for (k, v) in user {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(u)) => merge(b, u),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "s3ferry")
}

pub fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("S3FERRY_CONFIG") {
        return Some(PathBuf::from(p));
    }
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// Where the journal and the log file live.
pub fn data_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("S3FERRY_DATA") {
        return PathBuf::from(p);
    }
    project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("s3ferry"))
}

/// `url` (a proxy URL) with any `user:password@` replaced, for logs and messages.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***@{}", &url[..scheme_end], &rest[at + 1..]),
        None => url.to_string(),
    }
}

impl EngineDefaults {
    pub fn read_timeout(&self) -> Result<std::time::Duration, String> {
        parse_duration(&self.read_timeout).map_err(|e| format!("[engine] read_timeout: {e}"))
    }
}

/// Parse a positive duration: `500ms`, `30s`, `2m`, `1h 30m`, `30d`, or plain
/// seconds (`90`). One parser for every duration the user types, so a value
/// that works for one setting works for all.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let bad = |why: &str| {
        format!("invalid duration {s:?}: {why} (expected e.g. 500ms, 30s, 10m, 1h 30m)")
    };
    let d = match t.parse::<u64>() {
        Ok(secs) => std::time::Duration::from_secs(secs),
        Err(_) => humantime::parse_duration(t).map_err(|e| bad(&e.to_string()))?,
    };
    if d.is_zero() {
        return Err(bad("must be more than zero"));
    }
    Ok(d)
}

/// Parse `5MiB`, `1GiB`, `500k`, `1048576`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?}: expected e.g. 8MiB, 1GiB, 1048576"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" | "ki" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" | "mi" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" | "gi" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "tib" | "ti" => 1 << 40,
        other => return Err(format!("invalid size {s:?}: unknown unit {other:?}")),
    };
    let v = n * mult as f64;
    if !v.is_finite() || v < 0.0 || v > u64::MAX as f64 {
        return Err(format!("invalid size {s:?}"));
    }
    Ok(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_come_back_from_the_named_connection_only_for_static_keys() {
        let named = ConnectionSettings {
            access_key_id: Some("AK".into()),
            secret_access_key: Some("SECRET".into()),
            ..Default::default()
        };
        let journaled = ConnectionSettings {
            name: Some("minio".into()),
            access_key_id: Some("AK".into()),
            ..Default::default()
        };
        let back = journaled.clone().with_secret_from(Some(&named));
        assert_eq!(back.secret_access_key.as_deref(), Some("SECRET"));
        assert_eq!(journaled.clone().with_secret_from(None), journaled);
        let profile_only = ConnectionSettings {
            profile: Some("p".into()),
            ..Default::default()
        };
        assert_eq!(
            profile_only.clone().with_secret_from(Some(&named)),
            profile_only
        );
    }

    #[test]
    fn durations() {
        let secs = |s: &str| parse_duration(s).map(|d| d.as_secs_f64());
        assert_eq!(secs("60s"), Ok(60.0));
        assert_eq!(secs("2m"), Ok(120.0));
        assert_eq!(secs("500ms"), Ok(0.5));
        assert_eq!(secs("90"), Ok(90.0));
        for bad in ["", "0s", "-1s", "ten", "5 parsecs", "1e400"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn one_store_whatever_the_spelling() {
        let same = [
            (None, Some("https://s3.amazonaws.com")),
            (None, Some("https://s3.eu-west-1.amazonaws.com/")),
            (Some("http://127.0.0.1"), Some("http://127.0.0.1:80")),
            (
                Some("http://127.0.0.1:9000"),
                Some("http://localhost:9000/"),
            ),
            (Some("http://[::1]:9000"), Some("http://LOCALHOST:9000")),
            (
                Some("https://minio.example"),
                Some("https://MINIO.example:443/"),
            ),
        ];
        for (a, b) in same {
            assert_eq!(store_identity(a), store_identity(b), "{a:?} {b:?}");
        }
        let different = [
            (Some("http://127.0.0.1:9000"), Some("http://127.0.0.1:9001")),
            (None, Some("http://127.0.0.1:9000")),
            (Some("https://a.example"), Some("https://b.example")),
        ];
        for (a, b) in different {
            assert_ne!(store_identity(a), store_identity(b), "{a:?} {b:?}");
        }
    }

    #[test]
    fn journal_retention_is_a_duration_or_forever() {
        use std::time::Duration;
        assert_eq!(
            Config::defaults().journal.retention(),
            Ok(Some(Duration::from_secs(30 * 86400)))
        );
        assert_eq!(retention("0"), Ok(Some(Duration::ZERO)));
        assert_eq!(retention("12h"), Ok(Some(Duration::from_secs(12 * 3600))));
        assert_eq!(retention("forever"), Ok(None));
        let bad = Config::parse("[journal]\nkeep = \"a month\"").expect_err("bad keep");
        assert!(
            bad.starts_with("[journal] keep: invalid retention"),
            "{bad}"
        );
    }

    #[test]
    fn defaults_parse() {
        let c: Config = toml::from_str(DEFAULT_CONFIG).expect("embedded default config parses");
        assert_eq!(c.engine.concurrency, Config::defaults().engine.concurrency);
        assert!(c.keys.contains_key("quit"));
    }

    #[test]
    fn user_file_merges_over_defaults() {
        let c = Config::parse(
            "[connections.minio]\nendpoint_url = \"http://127.0.0.1:9000\"\nprofile = \"minio\"\n[keys]\ncopy = [\"y\"]\n",
        )
        .expect("parses");
        let m = c.connection("minio").expect("named connection");
        assert_eq!(m.endpoint_url.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(m.uses_path_style());
        assert_eq!(c.keys.get("copy"), Some(&vec!["y".to_string()]));
        assert!(c.keys.contains_key("quit"), "default keys kept");
        assert!(matches!(
            c.connection("nope"),
            Err(ConfigError::UnknownConnection(_))
        ));
    }

    #[test]
    fn bad_config_is_one_line_error() {
        let e = Config::parse("[connections.x]\nbogus = 1\n").expect_err("unknown field");
        assert!(!e.contains('\n'), "{e}");
        assert!(e.contains("bogus"), "{e}");
    }

    #[test]
    fn batch_section() {
        assert_eq!(Config::defaults().batch, BatchSettings::default());
        let c = Config::parse(
            "[batch]\nrole_arn = \"arn:aws:iam::1:role/b\"\nreport = \"s3://rep/r/\"\n",
        )
        .expect("parses");
        assert_eq!(c.batch.role_arn.as_deref(), Some("arn:aws:iam::1:role/b"));
        assert_eq!(c.batch.report.as_deref(), Some("s3://rep/r/"));
        assert_eq!(c.batch.priority, 10);
        let e = Config::parse("[batch]\nrole = \"x\"\n").expect_err("unknown field");
        assert!(e.contains("role"), "{e}");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("5MiB"), Ok(5 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("1.5KiB"), Ok(1536));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn secrets_not_in_debug() {
        let c = ConnectionSettings {
            access_key_id: Some("AKIAEXAMPLE".into()),
            secret_access_key: Some("very-secret".into()),
            ..Default::default()
        };
        let d = format!("{c:?}");
        assert!(
            !d.contains("very-secret") && !d.contains("AKIAEXAMPLE"),
            "{d}"
        );
    }
}
