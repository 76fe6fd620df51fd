//! Schema of the journal database.

use rusqlite::Connection;

pub fn init(c: &mut Connection) -> rusqlite::Result<()> {
    // Pages freed by retention go back to the file system (`retention.rs`);
    // only takes effect on a new database (an older one is converted by the
    // VACUUM of `jobs prune`).
    c.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    // WAL: readers (the TUI, `jobs`) never block the engine's writes, and a
    // committed transaction survives a crash of the process.
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    // A WAL left after a checkpoint is cut back to this, so a big job's
    // writes do not keep the journal's WAL at its peak size.
    c.pragma_update(None, "journal_size_limit", 32 * 1024 * 1024)?;
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS jobs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            spec TEXT NOT NULL,
            state TEXT NOT NULL,
            source TEXT NOT NULL,
            destination TEXT NOT NULL,
            planned INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            finished_at INTEGER,
            message TEXT,
            owner_pid INTEGER,
            pruned_at INTEGER
        );
        CREATE TABLE IF NOT EXISTS meta (
            key TEXT PRIMARY KEY,
            value INTEGER
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS listing (
            job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            token TEXT,
            done INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (job_id, idx)
        );
        CREATE TABLE IF NOT EXISTS entries (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            src_bucket TEXT NOT NULL,
            src_key TEXT NOT NULL,
            version_id TEXT NOT NULL DEFAULT '',
            size INTEGER NOT NULL,
            etag TEXT,
            last_modified INTEGER,
            storage_class TEXT,
            dst_bucket TEXT NOT NULL,
            dst_key TEXT NOT NULL,
            action TEXT NOT NULL,
            delete_marker INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL,
            reason TEXT,
            verify TEXT,
            dst_version TEXT,
            copied_version TEXT,
            copied_etag TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            UNIQUE (job_id, idx, src_key, version_id, action)
        );
        CREATE INDEX IF NOT EXISTS entries_work ON entries (job_id, state, id);
        CREATE INDEX IF NOT EXISTS entries_dst ON entries (job_id, dst_key);
        CREATE TABLE IF NOT EXISTS batch_jobs (
            id INTEGER PRIMARY KEY,
            remote_id TEXT NOT NULL,
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            record TEXT NOT NULL,
            move_job INTEGER,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS dest_index (
            job_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            size INTEGER NOT NULL,
            etag TEXT,
            last_modified INTEGER,
            PRIMARY KEY (job_id, key)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS uploads (
            job_id INTEGER NOT NULL,
            bucket TEXT NOT NULL,
            key TEXT NOT NULL,
            upload_id TEXT NOT NULL,
            created INTEGER NOT NULL,
            UNIQUE (bucket, key, upload_id)
        );
        CREATE INDEX IF NOT EXISTS uploads_job ON uploads (job_id);",
    )?;
    // Journals made before jobs recorded their process.
    let has_owner: bool = c
        .prepare("SELECT 1 FROM pragma_table_info('jobs') WHERE name = 'owner_pid'")?
        .exists([])?;
    if !has_owner {
        c.execute_batch("ALTER TABLE jobs ADD COLUMN owner_pid INTEGER")?;
    }
    // Journals made before retention.
    let has_pruned: bool = c
        .prepare("SELECT 1 FROM pragma_table_info('jobs') WHERE name = 'pruned_at'")?
        .exists([])?;
    if !has_pruned {
        c.execute_batch("ALTER TABLE jobs ADD COLUMN pruned_at INTEGER")?;
    }
    // Journals made before moves recorded what their copies read.
    for column in ["copied_version", "copied_etag"] {
        let has: bool = c
            .prepare("SELECT 1 FROM pragma_table_info('entries') WHERE name = ?1")?
            .exists([column])?;
        if !has {
            c.execute_batch(&format!("ALTER TABLE entries ADD COLUMN {column} TEXT"))?;
        }
    }
    super::writer::init_counters(c)
}
