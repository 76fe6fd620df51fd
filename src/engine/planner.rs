//! Listing sources into the journal, page by page, deciding each key's action.

use std::sync::Arc;

use aws_sdk_s3::Client;
use tokio::sync::Notify;

use super::model::{JobId, JobKind, JobSpec};
use super::retry::with_retries;
use crate::journal::{EntryState, Journal, NewEntry};
use crate::plan::compare::{decide, Facts};
use crate::plan::model::{Action, ConflictPolicy, SourceMapping};
use crate::plan::{Mapped, Mapper};
use crate::s3::list::{list_page, ListRequest};
use crate::s3::{ListItem, ListPage, ObjectEntry, PageToken};

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
    /// Client for each source bucket (by bucket name), and the destination's.
    pub src_clients: std::collections::HashMap<String, Client>,
    pub dst_client: Client,
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
    // A destination inside its own source would show the job's own writes to
    // a listing still running: snapshot the listing first.
    let writes_into_source = spec.src_conn.same_store(&spec.dst_conn)
        && spec.mappings.iter().any(|m| {
            m.source.bucket == m.destination.bucket
                && m.destination.prefix.starts_with(m.source.prefix.as_str())
        });
    !mapper.is_injective()
        || spec.plan.all_versions
        || spec.kind == JobKind::Sync
        || writes_into_source
}

fn token_text(t: &Option<PageToken>) -> Option<String> {
    match t {
        Some(PageToken::Continuation(c)) => Some(format!("c:{c}")),
        Some(PageToken::Versions {
            key_marker,
            version_id_marker,
        }) => Some(format!(
            "v:{}\n{}",
            version_id_marker.clone().unwrap_or_default(),
            key_marker
        )),
        None => None,
    }
}

fn token_parse(s: &str) -> Option<PageToken> {
    if let Some(c) = s.strip_prefix("c:") {
        return Some(PageToken::Continuation(c.to_string()));
    }
    let rest = s.strip_prefix("v:")?;
    let (vid, key) = rest.split_once('\n')?;
    Some(PageToken::Versions {
        key_marker: key.to_string(),
        version_id_marker: (!vid.is_empty()).then(|| vid.to_string()),
    })
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
            let req = ListRequest::objects(&bucket, &prefix);
            let mut token: Option<PageToken> = None;
            loop {
                let page =
                    with_retries(|| list_page(&self.dst_client, &req, token.clone())).await?;
                let next = page.next.clone();
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
                match next {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
        }
        Ok(n)
    }

    fn entry_for(
        &self,
        idx: usize,
        o: &ObjectEntry,
        indexed: bool,
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
            let policy = match self.spec.kind {
                JobKind::Sync if self.spec.plan.conflict == ConflictPolicy::Overwrite => {
                    ConflictPolicy::SkipIdentical
                }
                _ => self.spec.plan.conflict,
            };
            let (action, note) = decide(policy, &src, dst.as_ref());
            e.action = action;
            if action == Action::Skip {
                e.state = EntryState::Skipped;
                e.reason = note.map(str::to_string);
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
            let client = self
                .src_clients
                .get(&m.source.bucket)
                .unwrap_or(&self.dst_client)
                .clone();
            let versions = self.spec.plan.all_versions || self.spec.plan.version_id.is_some();
            let req = source_request(m, versions);
            let mut token = saved.as_deref().and_then(token_parse);
            let mut found = false;
            loop {
                if cancel.is_cancelled() {
                    return Ok(inserted);
                }
                let ListPage { items, next } =
                    with_retries(|| list_page(&client, &req, token.clone())).await?;
                let last = next.is_none()
                    || (m.single_object
                        // Keys come in order: past the exact key, a single object is done.
                        && items.iter().any(
                            |i| matches!(i, ListItem::Object(o) if o.key != m.source.prefix),
                        ));
                let this = self.clone();
                let cursor = token_text(&next);
                let (n, any) = self
                    .journal
                    .off_runtime(move |_| this.journal_page(idx, &items, cursor, last, indexed))
                    .await?;
                found |= any;
                inserted += n;
                self.notify.notify_one();
                if last {
                    break;
                }
                token = next;
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
    ) -> Result<(u64, bool), PlanError> {
        let m = &self.spec.mappings[idx];
        let mut found = false;
        let mut rows = Vec::with_capacity(items.len());
        for item in items {
            let ListItem::Object(o) = item else { continue };
            if m.single_object && o.key != m.source.prefix {
                continue;
            }
            if let Some(v) = &self.spec.plan.version_id {
                if o.version_id.as_deref() != Some(v.as_str())
                    && !(v == "null" && o.version_id.is_none())
                {
                    continue;
                }
            }
            found = true;
            if let Some(e) = self.entry_for(idx, o, indexed)? {
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

    /// Refuse a full plan that would write one key twice or an impossible key.
    pub fn check_refusals(&self) -> Result<(), PlanError> {
        if !self.spec.plan.all_versions {
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
        let mut after = String::new();
        let mut planned = 0u64;
        let Some(m) = self.spec.mappings.first() else {
            return Ok(0);
        };
        loop {
            let rows = self.journal.dest_unmatched(self.job, &after, 1000)?;
            let Some(last) = rows.last() else { break };
            after = last.0.clone();
            let rel_ok: Vec<NewEntry> = rows
                .into_iter()
                .filter(|(k, _)| {
                    // Only keys the filters would have selected are candidates.
                    let rel = k.strip_prefix(m.destination.prefix.as_str()).unwrap_or(k);
                    self.mapper.accepts_relative(rel)
                })
                .map(|(k, size)| NewEntry {
                    idx: -1,
                    src_bucket: m.destination.bucket.clone(),
                    src_key: k.clone(),
                    version_id: None,
                    size,
                    etag: None,
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
            planned += rel_ok.len() as u64;
            if let Some(max) = self.spec.plan.max_delete {
                if planned > max {
                    return Err(PlanError::Refused(format!(
                        "refusing to run: sync would delete more than --max-delete {max} destination objects"
                    )));
                }
            }
            self.journal
                .insert_page(self.job, -1, &rel_ok, None, false)?;
        }
        Ok(planned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for t in [
            PageToken::Continuation("abc==".into()),
            PageToken::Versions {
                key_marker: "a\nb c".into(),
                version_id_marker: Some("v1".into()),
            },
            PageToken::Versions {
                key_marker: "k".into(),
                version_id_marker: None,
            },
        ] {
            let text = token_text(&Some(t.clone())).expect("text");
            assert_eq!(token_parse(&text), Some(t));
        }
    }
}
