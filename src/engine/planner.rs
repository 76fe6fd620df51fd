//! Listing sources into the journal, page by page, deciding each key's action.

use std::collections::HashMap;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use tokio::sync::Notify;

use super::model::{JobId, JobKind, JobSpec};
use super::retry::with_retries;
use crate::journal::{EntryState, Journal, NewEntry};
use crate::plan::compare::{compare_checksums, decide, decide_by_checksum, Facts};
use crate::plan::model::{Action, ConflictPolicy, SourceMapping};
use crate::plan::{Mapped, Mapper};
use crate::s3::{Bucket, ConnectionPool, ListItem, ListPage, ListRequest, ObjectEntry, PageToken};

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    S3(#[from] crate::s3::S3Error),
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    #[error("{0}")]
    Refused(String),
}

/// Called with each freshly journaled page.
pub type PageHook = Box<dyn Fn(&[NewEntry]) + Send + Sync>;

pub struct Planner {
    pub journal: Arc<Journal>,
    pub job: JobId,
    pub spec: JobSpec,
    pub mapper: Mapper,
    /// Each source bucket (by name), and the destination's.
    pub src_buckets: HashMap<String, Bucket>,
    pub dst: Bucket,
    /// Wakes the runner when entries land.
    pub notify: Arc<Notify>,
    /// Told about each freshly journaled page (live counters).
    pub on_page: Option<PageHook>,
}

/// How sure we must be about the destination before deciding actions.
pub fn needs_dest_index(spec: &JobSpec, preview: bool) -> bool {
    preview || spec.kind == JobKind::Sync || spec.plan.conflict != ConflictPolicy::Overwrite
}

/// Everything must be listed before the first copy when two keys could map to
/// one destination, when versions must be replayed in order, and for sync
/// (whose deletions are checked against --max-delete first).
pub fn needs_full_plan(spec: &JobSpec, mapper: &Mapper) -> bool {
    // Destination keys that can be source keys: the listing must not see the
    // job's own writes, and every key is checked before anything runs.
    let writes_into_source = super::overlap::may_write_over_source(spec);
    !mapper.is_injective()
        || spec.plan.all_versions
        || spec.kind == JobKind::Sync
        || writes_into_source
}

/// What a planner needs before it lists anything: the key mapper and the
/// buckets of the job, resolved once (with retries) on their own regions.
/// The runner and the preview both set up through here.
pub struct PlanSetup {
    pub mapper: Mapper,
    /// The destination, on the clients of its region.
    pub dst: Bucket,
    /// Each source bucket by name.
    pub src: HashMap<String, Bucket>,
}

impl PlanSetup {
    pub async fn new(pool: &ConnectionPool, spec: &JobSpec) -> Result<PlanSetup, PlanError> {
        let mapper = Mapper::new(spec.mappings.clone(), &spec.plan)
            .map_err(|e| PlanError::Refused(e.to_string()))?;
        let src_conn = pool.get(&spec.src_conn).await?;
        let dst_conn = pool.get(&spec.dst_conn).await?;
        let Some(first) = spec.mappings.first() else {
            return Err(PlanError::Refused("nothing to copy: no sources".into()));
        };
        let dst_bucket = first.destination.bucket.clone();
        let dst = with_retries(|| dst_conn.bucket(&dst_bucket)).await?;
        let mut src = HashMap::new();
        for m in &spec.mappings {
            if !src.contains_key(&m.source.bucket) {
                let b = with_retries(|| src_conn.bucket(&m.source.bucket)).await?;
                src.insert(m.source.bucket.clone(), b);
            }
        }
        Ok(PlanSetup { mapper, dst, src })
    }

    /// The planner of job `job` of `spec` over these buckets.
    pub fn planner(
        &self,
        journal: Arc<Journal>,
        job: JobId,
        spec: &JobSpec,
        notify: Arc<Notify>,
        on_page: Option<PageHook>,
    ) -> Planner {
        Planner {
            journal,
            job,
            spec: spec.clone(),
            mapper: self.mapper.clone(),
            src_buckets: self.src.clone(),
            dst: self.dst.clone(),
            notify,
            on_page,
        }
    }
}

/// A listed source and its same-size destination (sync --checksum).
struct Pair {
    src_key: String,
    version_id: Option<String>,
    dst_key: String,
}

type Checksum = Option<(String, String)>;

/// (source key, version id) -> (source checksum, destination checksum).
type PairSums = HashMap<(String, Option<String>), (Checksum, Checksum)>;

/// HeadObject requests in flight at once for sync --checksum.
const HEAD_CONCURRENCY: usize = 32;

/// An object's full-object checksum, if HeadObject reports one. An object it
/// will not describe (SSE-C without its key, gone since the listing) has none.
async fn checksum_of(
    store: &Bucket,
    key: &str,
    version_id: Option<&str>,
) -> Result<Checksum, PlanError> {
    Ok(
        with_retries(|| crate::compare::head_facts(store, key, version_id))
            .await?
            .ok()
            .and_then(|h| h.checksum),
    )
}

/// The listing prefix and exact-key filter for a mapping.
fn source_request(m: &SourceMapping, versions: bool) -> ListRequest {
    let mut r = ListRequest::objects(&m.source.bucket, &m.source.prefix);
    r.versions = versions;
    r
}

impl Planner {
    /// List the destination(s) into the journal's index.
    pub async fn index_destination(&self) -> Result<u64, PlanError> {
        let mut prefixes: Vec<(String, String)> = self
            .spec
            .mappings
            .iter()
            .map(|m| (m.destination.bucket.clone(), m.destination.prefix.clone()))
            .collect();
        prefixes.sort();
        prefixes.dedup();
        // A prefix inside another one is listed with it.
        prefixes.dedup_by(|b, a| a.0 == b.0 && b.1.starts_with(&a.1));
        let mut n = 0;
        for (bucket, prefix) in prefixes {
            let store = self.dst.for_name(&bucket);
            let mut pages = store.paginator(ListRequest::objects(&bucket, &prefix), None);
            while !pages.is_done() {
                let page = with_retries(|| pages.fetch()).await?;
                pages.advance(&page);
                let rows: Vec<(String, Facts)> = page
                    .items
                    .into_iter()
                    .filter_map(|i| match i {
                        ListItem::Object(o) => Some((
                            o.key,
                            Facts {
                                size: o.size,
                                etag: o.etag,
                                last_modified: o.last_modified,
                            },
                        )),
                        ListItem::Prefix(_) => None,
                    })
                    .collect();
                n += rows.len() as u64;
                let job = self.job;
                self.journal
                    .off_runtime(move |j| j.insert_dest(job, &rows))
                    .await?;
            }
        }
        Ok(n)
    }

    /// The conflict policy the planner applies (sync skips identical keys).
    fn policy(&self) -> ConflictPolicy {
        match self.spec.kind {
            JobKind::Sync if self.spec.plan.conflict == ConflictPolicy::Overwrite => {
                ConflictPolicy::SkipIdentical
            }
            _ => self.spec.plan.conflict,
        }
    }

    /// `sync --checksum`: same-size pairs are decided by full-object checksums.
    fn by_checksum(&self, indexed: bool) -> bool {
        indexed
            && self.spec.plan.checksum_compare
            && !self.spec.plan.all_versions
            && self.policy() == ConflictPolicy::SkipIdentical
    }

    /// Whether a listed object is one the mapping selects.
    fn selects(&self, idx: usize, o: &ObjectEntry) -> bool {
        let m = &self.spec.mappings[idx];
        if m.single_object && o.key != m.source.prefix {
            return false;
        }
        if let Some(v) = &self.spec.plan.version_id {
            if o.version_id.as_deref() != Some(v.as_str())
                && !(v == "null" && o.version_id.is_none())
            {
                return false;
            }
        }
        true
    }

    /// The page's objects whose destination exists with the same size:
    /// (source key, version id, destination key). Runs on the journal thread.
    fn same_size_pairs(&self, idx: usize, items: &[ListItem]) -> Result<Vec<Pair>, PlanError> {
        let mut out = Vec::new();
        for item in items {
            let ListItem::Object(o) = item else { continue };
            if o.is_delete_marker() || !self.selects(idx, o) {
                continue;
            }
            let Mapped::To(dst_key) = self.mapper.map(idx, &o.key) else {
                continue;
            };
            if let Some(d) = self.journal.dest_lookup(self.job, &dst_key)? {
                if d.size == o.size {
                    out.push(Pair {
                        src_key: o.key.clone(),
                        version_id: o.version_id.clone(),
                        dst_key,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Both full-object checksums (HeadObject with ChecksumMode) of each
    /// pair, a bounded number of pairs at a time.
    async fn pair_checksums(
        &self,
        idx: usize,
        src: &Bucket,
        pairs: Vec<Pair>,
    ) -> Result<PairSums, PlanError> {
        let m = &self.spec.mappings[idx];
        let (src, dst) = (
            src.for_name(&m.source.bucket),
            self.dst.for_name(&m.destination.bucket),
        );
        let (src, dst) = (&*src, &*dst);
        let width = self.spec.run.concurrency.clamp(1, HEAD_CONCURRENCY);
        futures::stream::iter(pairs)
            .map(|p| async move {
                let (s, d) = futures::try_join!(
                    checksum_of(src, &p.src_key, p.version_id.as_deref()),
                    checksum_of(dst, &p.dst_key, None),
                )?;
                Ok::<_, PlanError>(((p.src_key, p.version_id), (s, d)))
            })
            .buffer_unordered(width)
            .try_collect()
            .await
    }

    fn entry_for(
        &self,
        idx: usize,
        o: &ObjectEntry,
        indexed: bool,
        sums: &PairSums,
    ) -> Result<Option<NewEntry>, PlanError> {
        let m = &self.spec.mappings[idx];
        let mut e = NewEntry {
            idx: idx as i64,
            src_bucket: m.source.bucket.clone(),
            src_key: o.key.clone(),
            version_id: o.version_id.clone(),
            size: o.size,
            etag: o.etag.clone(),
            last_modified: o.last_modified.map(|t| t.timestamp()),
            storage_class: o.storage_class.clone(),
            dst_bucket: m.destination.bucket.clone(),
            dst_key: String::new(),
            action: Action::Copy,
            delete_marker: o.is_delete_marker(),
            state: EntryState::Pending,
            reason: None,
        };
        match self.mapper.map(idx, &o.key) {
            Mapped::Filtered => return Ok(None),
            Mapped::OwnMarker => {
                e.dst_key = m.destination.prefix.clone();
                e.action = Action::Skip;
                e.state = EntryState::Skipped;
                e.reason =
                    Some("folder marker of the source prefix itself: nothing to copy".into());
                return Ok(Some(e));
            }
            Mapped::Invalid(reason) => {
                e.dst_key = o.key.clone();
                e.action = Action::Conflict;
                e.state = EntryState::Conflict;
                e.reason = Some(reason);
                return Ok(Some(e));
            }
            Mapped::To(k) => e.dst_key = k,
        }
        if indexed && !self.spec.plan.all_versions {
            let dst = self.journal.dest_lookup(self.job, &e.dst_key)?;
            let src = Facts {
                size: o.size,
                etag: o.etag.clone(),
                last_modified: o.last_modified,
            };
            let policy = self.policy();
            let by_checksum = self.by_checksum(indexed) && !o.is_delete_marker();
            let (action, note) = if by_checksum {
                let (s, d) = sums
                    .get(&(o.key.clone(), o.version_id.clone()))
                    .map(|(s, d)| (s.as_ref(), d.as_ref()))
                    .unwrap_or_default();
                let (action, note, _) = decide_by_checksum(policy, &src, dst.as_ref(), s, d);
                (action, note)
            } else {
                let (action, note) = decide(policy, &src, dst.as_ref());
                (action, note.map(str::to_string))
            };
            e.action = action;
            if action == Action::Skip {
                e.state = EntryState::Skipped;
                e.reason = note;
            } else if by_checksum {
                // Why it is overwritten: the checksums differ, or they could not tell.
                e.reason = note;
            }
        }
        Ok(Some(e))
    }

    /// List every source from its saved cursor; each page is journaled with
    /// the cursor in one transaction. `cancel` stops between pages.
    pub async fn list_sources(
        self: &Arc<Self>,
        indexed: bool,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Result<u64, PlanError> {
        let mut inserted = 0;
        for (idx, m) in self.spec.mappings.iter().enumerate() {
            let (saved, done) = self.journal.listing(self.job, idx as i64)?;
            if done {
                continue;
            }
            let source = match self.src_buckets.get(&m.source.bucket) {
                Some(b) => b.clone(),
                None => self.dst.for_name(&m.source.bucket).into_owned(),
            };
            let versions = self.spec.plan.all_versions || self.spec.plan.version_id.is_some();
            let req = source_request(m, versions);
            let mut pages = source.paginator(req, saved.as_deref().and_then(PageToken::decode));
            let mut found = false;
            // sync --checksum: same-size pairs without a common checksum.
            let mut not_comparable = 0u64;
            loop {
                if cancel.is_cancelled() {
                    return Ok(inserted);
                }
                let page = with_retries(|| pages.fetch()).await?;
                pages.advance(&page);
                let ListPage { mut items, next } = page;
                // The checksums are fetched before the page is decided on the
                // journal thread, which does not wait on the network.
                let sums = if self.by_checksum(indexed) {
                    let this = self.clone();
                    let (back, pairs) = self
                        .journal
                        .off_runtime(move |_| {
                            let pairs = this.same_size_pairs(idx, &items)?;
                            Ok::<_, PlanError>((items, pairs))
                        })
                        .await?;
                    items = back;
                    let sums = self.pair_checksums(idx, &source, pairs).await?;
                    not_comparable += sums
                        .values()
                        .filter(|(s, d)| compare_checksums(s.as_ref(), d.as_ref()).is_none())
                        .count() as u64;
                    sums
                } else {
                    PairSums::new()
                };
                let last = next.is_none()
                    || (m.single_object
                        // Keys come in order: past the exact key, a single object is done.
                        && items.iter().any(
                            |i| matches!(i, ListItem::Object(o) if o.key != m.source.prefix),
                        ));
                let this = self.clone();
                let cursor = next.as_ref().map(PageToken::encode);
                let (n, any) = self
                    .journal
                    .off_runtime(move |_| {
                        this.journal_page(idx, &items, cursor, last, indexed, &sums)
                    })
                    .await?;
                found |= any;
                inserted += n;
                self.notify.notify_one();
                if last {
                    break;
                }
            }
            if not_comparable > 0 {
                tracing::info!(
                    job = self.job,
                    source = %m.source,
                    "sync --checksum: {not_comparable} same-size pair(s) not comparable by checksum, decided by size/ETag/time"
                );
            }
            if m.single_object && !found && saved.is_none() {
                let what = match &self.spec.plan.version_id {
                    Some(v) => format!("version {v} of {}", m.source),
                    None => m.source.to_string(),
                };
                return Err(PlanError::Refused(format!(
                    "{what}: no such object (for everything under a prefix, end the source with '/')"
                )));
            }
        }
        Ok(inserted)
    }

    /// Decide and journal one listed page (with its cursor, in one
    /// transaction). Returns how many entries were new and whether any
    /// listed object matched the source.
    fn journal_page(
        &self,
        idx: usize,
        items: &[ListItem],
        cursor: Option<String>,
        last: bool,
        indexed: bool,
        sums: &PairSums,
    ) -> Result<(u64, bool), PlanError> {
        let mut found = false;
        let mut rows = Vec::with_capacity(items.len());
        for item in items {
            let ListItem::Object(o) = item else { continue };
            if !self.selects(idx, o) {
                continue;
            }
            found = true;
            if let Some(e) = self.entry_for(idx, o, indexed, sums)? {
                rows.push(e);
            }
        }
        let n = self
            .journal
            .insert_page(self.job, idx as i64, &rows, cursor.as_deref(), last)?;
        if n as usize == rows.len() {
            if let Some(f) = &self.on_page {
                f(&rows);
            }
        }
        Ok((n, found))
    }

    /// Refuse a full plan that would write one key twice, write over a key
    /// it reads, or write an impossible key.
    pub fn check_refusals(&self) -> Result<(), PlanError> {
        super::overlap::check_spec(&self.spec).map_err(PlanError::Refused)?;
        if super::overlap::may_write_over_source(&self.spec) {
            let in_place_ok = self.spec.kind != JobKind::Move;
            if let Some((read, writer)) = self
                .journal
                .first_write_over_source(self.job, in_place_ok)?
            {
                return Err(PlanError::Refused(
                    super::overlap::write_over_source_refusal(&self.spec, &read, &writer),
                ));
            }
        }
        // Versions of one source key share a destination key; two source keys
        // never may (with --all-versions their histories would interleave).
        let dups = self.journal.duplicate_destinations(self.job, 5)?;
        if let Some((key, srcs)) = dups.first() {
            let keys: Vec<String> = dups.iter().map(|(k, _)| k.clone()).collect();
            self.journal.mark_conflicts(
                self.job,
                &keys,
                "two sources map to this destination key",
            )?;
            return Err(PlanError::Refused(format!(
                "refusing to run: {} and {} both map to destination key {key:?}{}",
                srcs.first().cloned().unwrap_or_default(),
                srcs.get(1).cloned().unwrap_or_default(),
                if dups.len() > 1 {
                    " (and other keys)"
                } else {
                    ""
                }
            )));
        }
        let conflicts = self.journal.failed(self.job, 1)?;
        if let Some(c) = conflicts.first() {
            let n = self.journal.counts(self.job)?.conflict;
            return Err(PlanError::Refused(format!(
                "refusing to run: {} ({} key(s); first: {:?})",
                c.reason, n, c.src_key
            )));
        }
        Ok(())
    }

    /// sync --delete: plan deletions of destination keys the source lacks.
    pub fn plan_deletes(&self) -> Result<u64, PlanError> {
        let Some(m) = self.spec.mappings.first() else {
            return Ok(0);
        };
        // Count everything first, with the deletions an earlier (refused or
        // interrupted) run already journaled, so the cap holds across resumes
        // and nothing is planned unless all of it is allowed.
        if let Some(max) = self.spec.plan.max_delete {
            let mut total = self.journal.counts(self.job)?.deletes;
            self.for_each_unmatched(m, |rows| {
                total += rows.len() as u64;
                Ok(())
            })?;
            if total > max {
                return Err(PlanError::Refused(format!(
                    "refusing to run: sync would delete {total} destination objects, more than --max-delete {max}"
                )));
            }
        }
        let mut planned = 0u64;
        self.for_each_unmatched(m, |rows| {
            planned += rows.len() as u64;
            self.journal.insert_page(self.job, -1, &rows, None, false)?;
            Ok(())
        })?;
        Ok(planned)
    }

    /// Destination keys no entry writes and the filters select, as delete
    /// entries, a page at a time.
    fn for_each_unmatched(
        &self,
        m: &SourceMapping,
        mut f: impl FnMut(Vec<NewEntry>) -> Result<(), PlanError>,
    ) -> Result<(), PlanError> {
        let mut after = String::new();
        loop {
            let rows = self.journal.dest_unmatched(self.job, &after, 1000)?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.0.clone();
            let page: Vec<NewEntry> = rows
                .into_iter()
                .filter(|(k, _, _)| {
                    let rel = k.strip_prefix(m.destination.prefix.as_str()).unwrap_or(k);
                    self.mapper.accepts_relative(rel)
                })
                .map(|(k, size, etag)| NewEntry {
                    idx: -1,
                    src_bucket: m.destination.bucket.clone(),
                    src_key: k.clone(),
                    version_id: None,
                    size,
                    // The delete is conditional on the object listed.
                    etag,
                    last_modified: None,
                    storage_class: None,
                    dst_bucket: m.destination.bucket.clone(),
                    dst_key: k,
                    action: Action::Delete,
                    delete_marker: false,
                    state: EntryState::Pending,
                    reason: None,
                })
                .collect();
            f(page)?;
        }
    }
}
