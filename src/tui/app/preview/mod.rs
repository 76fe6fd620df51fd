//! The preview dialog of a copy or move: the job as it would be submitted,
//! with its planned entries (the engine's preview, `engine::preview`)
//! streaming in and the parts the user may still change. Its keys are in
//! `keys.rs`, the plan coming back in `results.rs`.

pub(crate) mod keys;
pub(crate) mod results;

use crate::config::ConnectionSettings;
use crate::engine::model::{JobKind, JobSpec, PlanOptions, RunOptions};
use crate::plan::model::{ConflictPolicy, PlanEntry, PlanTotals, SourceMapping};
use crate::tui::app::batch::BatchTally;
use crate::tui::app::browse::marks::{mirror_mappings, normalize_dir, to_mappings, MarkKind};
use crate::tui::app::input::TextInput;
use crate::tui::app::msg::RequestId;

/// Rows kept for display; totals count everything.
pub const MAX_PREVIEW_ROWS: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewField {
    Destination,
    Rewrite,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PreviewDialog {
    pub request: RequestId,
    pub kind: JobKind,
    pub sources: Vec<(String, MarkKind)>,
    pub src_bucket: String,
    pub dst_bucket: String,
    pub src_conn: ConnectionSettings,
    pub dst_conn: ConnectionSettings,
    /// Dir-like (empty or ending in `/`).
    pub dst_prefix: String,
    /// Compare mode: sources keep their path below this folder of the left
    /// pane (mirrored into `dst_prefix`) instead of landing by their own name.
    pub src_root: Option<String>,
    /// `REGEX=>REPLACEMENT` on the relative key.
    pub rewrite: Option<String>,
    pub conflict: ConflictPolicy,
    pub run: RunOptions,
    pub editing: Option<(PreviewField, TextInput)>,
    pub field_error: Option<String>,
    pub entries: Vec<PlanEntry>,
    pub totals: PlanTotals,
    pub done: bool,
    pub error: Option<String>,
    pub offset: usize,
    /// What the whole plan means for S3 Batch Operations.
    pub batch: BatchTally,
}

impl PreviewDialog {
    pub fn mappings(&self) -> Vec<SourceMapping> {
        match &self.src_root {
            Some(root) => mirror_mappings(
                &self.sources,
                &self.src_bucket,
                root,
                &self.dst_bucket,
                &self.dst_prefix,
            ),
            None => to_mappings(
                &self.sources,
                &self.src_bucket,
                &self.dst_bucket,
                &self.dst_prefix,
            ),
        }
    }

    pub fn spec(&self) -> JobSpec {
        JobSpec {
            kind: self.kind,
            mappings: self.mappings(),
            src_conn: self.src_conn.clone(),
            dst_conn: self.dst_conn.clone(),
            plan: PlanOptions {
                rewrite: self.rewrite.clone(),
                conflict: self.conflict,
                ..Default::default()
            },
            run: self.run.clone(),
        }
    }

    /// Forget what streamed in for the previous request.
    pub fn restart(&mut self, request: RequestId) {
        self.request = request;
        self.entries.clear();
        self.totals = PlanTotals::default();
        self.done = false;
        self.error = None;
        self.offset = 0;
        self.batch = BatchTally::default();
    }

    pub fn add(&mut self, entries: Vec<PlanEntry>) {
        for e in entries {
            self.totals.add(&e);
            self.batch.add(&e);
            if self.entries.len() < MAX_PREVIEW_ROWS {
                self.entries.push(e);
            }
        }
    }

    /// Why this job must not run as configured (copying a prefix into itself).
    pub fn overlap(&self) -> Option<String> {
        overlap(&self.mappings(), &self.src_conn, &self.dst_conn)
    }
}

/// The next encryption choice: the destination's default (nothing
/// restated), AES256, aws:kms (with the configured key, else the AWS
/// managed one), as each source is encrypted, and round again.
pub fn next_sse(run: &mut RunOptions) {
    let (sse, preserve) = match (run.sse.as_deref(), run.preserve_sse) {
        (_, true) => (None, false),
        (None, false) => (Some("AES256"), false),
        (Some("AES256"), false) => (Some("aws:kms"), false),
        (Some(_), false) => (None, true),
    };
    run.sse = sse.map(str::to_string);
    run.preserve_sse = preserve;
}

/// The encryption choice in words, for the preview.
pub fn sse_text(run: &RunOptions) -> String {
    match (run.sse.as_deref(), run.preserve_sse) {
        (_, true) => "as each source is encrypted (--preserve-sse)".into(),
        (None, false) => "destination bucket default (nothing restated)".into(),
        (Some(a), false) if a.starts_with("aws:kms") => match &run.sse_kms_key_id {
            Some(k) => format!("{a} with key {k}"),
            None => format!("{a} with the AWS managed key"),
        },
        (Some(a), false) => a.to_string(),
    }
}

pub fn next_policy(p: ConflictPolicy) -> ConflictPolicy {
    match p {
        ConflictPolicy::Overwrite => ConflictPolicy::Skip,
        ConflictPolicy::Skip => ConflictPolicy::SkipIdentical,
        ConflictPolicy::SkipIdentical => ConflictPolicy::Overwrite,
    }
}

pub fn policy_text(p: ConflictPolicy) -> &'static str {
    match p {
        ConflictPolicy::Overwrite => "overwrite",
        ConflictPolicy::Skip => "skip existing",
        ConflictPolicy::SkipIdentical => "skip identical",
    }
}

/// A destination typed in the preview, made dir-like.
pub fn parse_destination(text: &str) -> String {
    normalize_dir(text.trim_start_matches('/'))
}

/// Checks `REGEX=>REPLACEMENT`; an empty text means no rule.
pub fn parse_rewrite(text: &str) -> Result<Option<String>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let Some((re, _)) = text.split_once("=>") else {
        return Err("a rewrite rule is REGEX=>REPLACEMENT".into());
    };
    regex::Regex::new(re).map_err(|e| format!("invalid regex: {}", one_line(&e.to_string())))?;
    Ok(Some(text.to_string()))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A job whose destination lies inside one of its sources (on the same
/// endpoint, whatever the credentials) would copy its own output again; a
/// move onto itself would delete the data. The TUI says so before planning;
/// the engine's own check (`engine::overlap`, run by the preview's plan)
/// still decides key by key.
pub fn overlap(
    mappings: &[SourceMapping],
    src: &ConnectionSettings,
    dst: &ConnectionSettings,
) -> Option<String> {
    if !src.same_endpoint(dst) {
        return None;
    }
    for m in mappings {
        if m.source.bucket != m.destination.bucket {
            continue;
        }
        let dst_key = if m.single_object {
            format!("{}{}", m.destination.prefix, m.source.base_name())
        } else {
            m.destination.prefix.clone()
        };
        let inside = if m.single_object {
            dst_key == m.source.prefix
        } else {
            dst_key.starts_with(&m.source.prefix)
        };
        if inside {
            return Some(format!(
                "destination {} is inside the source {}",
                m.destination, m.source
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::Location;

    #[test]
    fn rewrite_rules() {
        assert_eq!(parse_rewrite(""), Ok(None));
        assert_eq!(
            parse_rewrite("^a/(.*)=>b/$1"),
            Ok(Some("^a/(.*)=>b/$1".into()))
        );
        assert!(parse_rewrite("no arrow").is_err());
        assert!(parse_rewrite("([=>x").is_err());
    }

    #[test]
    fn detects_copy_into_itself() {
        let conn = ConnectionSettings::default();
        let m = |s: &str, d: &str, single| SourceMapping {
            source: Location::new("b", s),
            destination: Location::new("b", d),
            single_object: single,
        };
        assert!(overlap(&[m("photos/", "photos/2024/photos/", false)], &conn, &conn).is_some());
        assert!(overlap(&[m("photos/", "photos/", false)], &conn, &conn).is_some());
        assert!(overlap(&[m("photos/", "backup/photos/", false)], &conn, &conn).is_none());
        assert!(overlap(&[m("x/a.txt", "x/", true)], &conn, &conn).is_some());
        assert!(overlap(&[m("x/a.txt", "y/", true)], &conn, &conn).is_none());
        let other = ConnectionSettings {
            endpoint_url: Some("http://localhost:9000".into()),
            ..Default::default()
        };
        assert!(overlap(&[m("photos/", "photos/", false)], &conn, &other).is_none());
        let other_keys = ConnectionSettings {
            access_key_id: Some("someone-else".into()),
            ..Default::default()
        };
        assert!(
            overlap(&[m("photos/", "photos/", false)], &conn, &other_keys).is_some(),
            "other credentials, same buckets"
        );
    }

    #[test]
    fn encryption_choices_cycle_back_to_the_destination_default() {
        let mut run = RunOptions::default();
        let mut seen = vec![sse_text(&run)];
        for _ in 0..4 {
            next_sse(&mut run);
            seen.push(sse_text(&run));
        }
        assert_eq!(
            seen,
            [
                "destination bucket default (nothing restated)",
                "AES256",
                "aws:kms with the AWS managed key",
                "as each source is encrypted (--preserve-sse)",
                "destination bucket default (nothing restated)",
            ]
        );
        assert!(run
            .set_sse(run.sse.clone().as_deref(), None, run.preserve_sse)
            .is_ok());
    }
}
