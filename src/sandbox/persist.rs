//! Data-dir persistence: object bodies in `<dir>/blobs/<id>`, everything else
//! in `<dir>/index.json`, replaced atomically (write temp file, rename).
//!
//! Order of operations keeps the index consistent after a crash at any point:
//! a blob is written before the index references it and deleted only after an
//! index without it has been written. Blobs left unreferenced by a crash are
//! removed on the next start.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{PoisonError, RwLock};

use anyhow::Context as _;
use bytes::Bytes;

use super::store::State;

const INDEX: &str = "index.json";
const INDEX_TMP: &str = "index.json.tmp";
const BLOBS: &str = "blobs";

pub(crate) struct Disk {
    dir: PathBuf,
    /// Generation of the state last written; the mutex also serialises writers
    /// so concurrent requests share one index write (group commit).
    written: tokio::sync::Mutex<u64>,
}

impl Disk {
    pub async fn open(dir: PathBuf) -> anyhow::Result<(Self, State)> {
        let load_dir = dir.clone();
        let state = tokio::task::spawn_blocking(move || load(&load_dir))
            .await
            .context("sandbox loader panicked")??;
        Ok((
            Self {
                dir,
                written: tokio::sync::Mutex::new(0),
            },
            state,
        ))
    }

    fn blob_path(&self, id: &str) -> PathBuf {
        self.dir.join(BLOBS).join(id)
    }

    pub async fn write_blob(&self, body: Bytes) -> std::io::Result<String> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        tokio::fs::write(self.blob_path(&id), &body).await?;
        Ok(id)
    }

    pub async fn link_blob(&self, source: &str) -> std::io::Result<String> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        tokio::fs::hard_link(self.blob_path(source), self.blob_path(&id)).await?;
        Ok(id)
    }

    pub async fn remove_blobs(&self, ids: Vec<String>) {
        for id in ids {
            if let Err(e) = tokio::fs::remove_file(self.blob_path(&id)).await {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(blob = %id, error = %e, "sandbox: removing blob failed");
                }
            }
        }
    }

    /// Makes sure the index on disk reflects at least `generation`.
    pub async fn save(&self, state: &RwLock<State>, generation: u64) -> anyhow::Result<()> {
        let mut written = self.written.lock().await;
        if *written >= generation {
            return Ok(());
        }
        let (snapshot_generation, json) = {
            let guard = state.read().unwrap_or_else(PoisonError::into_inner);
            (guard.generation, serde_json::to_vec(&*guard)?)
        };
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let tmp = dir.join(INDEX_TMP);
            std::fs::write(&tmp, &json)?;
            std::fs::rename(&tmp, dir.join(INDEX))
        })
        .await
        .context("sandbox index writer panicked")??;
        *written = snapshot_generation;
        Ok(())
    }
}

fn load(dir: &std::path::Path) -> anyhow::Result<State> {
    let blobs = dir.join(BLOBS);
    std::fs::create_dir_all(&blobs).with_context(|| format!("creating {}", blobs.display()))?;
    let index = dir.join(INDEX);
    let mut state: State = match std::fs::read(&index) {
        Ok(raw) => {
            serde_json::from_slice(&raw).with_context(|| format!("parsing {}", index.display()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", index.display())),
    };

    let mut referenced = HashSet::new();
    for (bucket_name, bucket) in &mut state.buckets {
        for (key, versions) in &mut bucket.objects {
            for data in versions.iter_mut().filter_map(|v| v.data.as_mut()) {
                let Some(blob) = &data.blob else { continue };
                let path = blobs.join(blob);
                let body = std::fs::read(&path).with_context(|| {
                    format!(
                        "reading data of {bucket_name}/{key} from {}",
                        path.display()
                    )
                })?;
                data.body = Bytes::from(body);
                referenced.insert(blob.clone());
            }
        }
    }

    // Blobs written for requests that never committed (crash mid-request).
    for entry in std::fs::read_dir(&blobs)? {
        let entry = entry?;
        let name = entry.file_name();
        if !name.to_str().is_some_and(|n| referenced.contains(n)) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let _ = std::fs::remove_file(dir.join(INDEX_TMP));
    Ok(state)
}
