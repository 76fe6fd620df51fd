//! The demo data set: buckets seeded from `assets/demo/`, so s3ferry can be
//! tried without an AWS account (`s3ferry demo`, `s3ferry sandbox --seed`).
//! The data is written into the sandbox's store directly, not through the
//! S3 API, so only the engine writes to buckets.

use serde::Deserialize;

use crate::config::ConnectionSettings;
use crate::sandbox::{SeedReplication, Seeder};

const SEED: &str = include_str!("../assets/demo/seed.toml");
const README: &[u8] = include_bytes!("../assets/demo/files/readme.txt");

/// Static keys for talking to our own sandbox; it accepts any signature.
pub const SANDBOX_ACCESS_KEY: &str = "s3ferry";
pub const SANDBOX_SECRET_KEY: &str = "sandbox";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Seed {
    buckets: Vec<SeedBucket>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedBucket {
    name: String,
    versioning: String,
    replicate_to: Option<String>,
    replicate_prefix: Option<String>,
    #[serde(default)]
    files: Vec<SeedFile>,
    #[serde(default)]
    generate: Vec<SeedGenerate>,
    #[serde(default)]
    versions: Vec<SeedVersions>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    key: String,
    file: String,
    content_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedGenerate {
    prefix: String,
    name: String,
    count: u32,
    min_size: u64,
    max_size: u64,
    content_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedVersions {
    key: String,
    versions: u32,
    delete_marker: bool,
}

/// Deterministic pseudo-random bytes, so demo runs look the same every time.
fn body(key: &str, size: u64) -> Vec<u8> {
    let mut x: u64 = key.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    let mut out = Vec::with_capacity(size as usize);
    while (out.len() as u64) < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(size as usize);
    out
}

fn sized(key: &str, min: u64, max: u64) -> u64 {
    let h = key
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
    if max <= min {
        min
    } else {
        min + h % (max - min)
    }
}

fn file_bytes(name: &str) -> Vec<u8> {
    match name {
        "readme.txt" => README.to_vec(),
        _ => Vec::new(),
    }
}

/// Fill a sandbox's store with the demo data set, before anyone is told
/// where it listens.
pub async fn seed(store: &Seeder) -> anyhow::Result<()> {
    let seed: Seed = toml::from_str(SEED)?;
    for b in &seed.buckets {
        store.bucket(&b.name, b.versioning == "Enabled").await?;
    }
    for b in &seed.buckets {
        let mut uploads: Vec<(String, Vec<u8>, Option<String>)> = Vec::new();
        for f in &b.files {
            uploads.push((f.key.clone(), file_bytes(&f.file), f.content_type.clone()));
        }
        for g in &b.generate {
            for i in 1..=g.count {
                let key = format!("{}{}", g.prefix, g.name.replace("{i}", &format!("{i:04}")));
                let size = sized(&key, g.min_size, g.max_size);
                uploads.push((key.clone(), body(&key, size), g.content_type.clone()));
            }
        }
        for (key, data, ct) in uploads {
            store.object(&b.name, &key, data, ct.as_deref()).await?;
        }
        for v in &b.versions {
            for n in 1..=v.versions {
                let text = format!("{{\"key\": {:?}, \"version\": {n}}}\n", v.key);
                store
                    .object(&b.name, &v.key, text.into_bytes(), Some("application/json"))
                    .await?;
            }
            if v.delete_marker {
                store.delete_marker(&b.name, &v.key).await?;
            }
        }
        if let Some(dest) = &b.replicate_to {
            let rule = SeedReplication {
                role: "arn:aws:iam::123456789012:role/s3ferry-demo-replication".into(),
                id: "reports-to-backup".into(),
                prefix: b.replicate_prefix.clone().unwrap_or_default(),
                destination: dest.clone(),
            };
            store.replicate(&b.name, rule).await?;
        }
    }
    Ok(())
}

/// Connection settings for a sandbox at `url`.
pub fn sandbox_connection(url: &str) -> ConnectionSettings {
    ConnectionSettings {
        name: Some("sandbox".into()),
        endpoint_url: Some(url.to_string()),
        region: Some("us-east-1".into()),
        access_key_id: Some(SANDBOX_ACCESS_KEY.into()),
        secret_access_key: Some(SANDBOX_SECRET_KEY.into()),
        ..Default::default()
    }
}
