//! S3 Batch Operations from the TUI: whether a preview's plan can run there,
//! the form asking for the role and the report location, its confirmation,
//! and the batch jobs the transfers panel follows. `keys.rs` has the form's
//! keys, `results.rs` the jobs coming back and their polling.

pub(crate) mod keys;
pub(crate) mod results;

use crate::config::BatchSettings;
use crate::engine::batch::mapping::{exclusion, refusal, TargetCheck};
use crate::engine::batch::submit::SubmitRequest;
use crate::engine::model::{JobId, JobKind, JobSpec};
use crate::fmt;
use crate::journal::{BatchListing, BatchRecord};
use crate::location::Location;
use crate::plan::model::{Action as PlanAction, PlanEntry};
use crate::s3::JobStatus;
use crate::tui::app::browse::marks::normalize_dir;
use crate::tui::app::dialogs::{Confirm, OnYes};
use crate::tui::app::input::TextInput;
use crate::tui::app::preview::PreviewDialog;

/// How often batch jobs are listed from the journal and described (DescribeJob).
pub const POLL_EVERY_MS: u64 = 10_000;
/// A poll that never answered (a lost task) does not block later ones forever.
pub const POLL_STALE_MS: u64 = 60_000;
/// Batch records the transfers panel lists, newest first.
pub const LISTED: usize = 20;

/// What a preview's plan means for Batch Operations, over every planned
/// entry (the preview keeps only the first rows, this sees them all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchTally {
    pub target: TargetCheck,
    /// Objects Batch Operations would copy, and their bytes.
    pub objects: u64,
    pub bytes: u64,
    /// Delete markers and objects over 5 GiB, left for the local engine.
    pub excluded: u64,
}

impl BatchTally {
    pub fn add(&mut self, e: &PlanEntry) {
        if !matches!(e.action, PlanAction::Copy | PlanAction::Overwrite) {
            return;
        }
        self.target.observe(&e.src_key, &e.dst_key);
        if exclusion(e.size, e.delete_marker).is_some() {
            self.excluded += 1;
        } else {
            self.objects += 1;
            self.bytes += e.size;
        }
    }
}

/// The TargetKeyPrefix a complete preview runs with on Batch Operations, or
/// why it cannot run there.
pub fn expressible(p: &PreviewDialog) -> Result<String, String> {
    if !p.done {
        return Err("wait for the preview to finish: Batch Operations needs the whole plan".into());
    }
    if let Some(e) = &p.error {
        return Err(format!("cannot run on Batch Operations: {e}"));
    }
    let mappings = p.mappings();
    let [mapping] = mappings.as_slice() else {
        return Err(format!(
            "a Batch Operations job has one source; this preview has {} (mark one prefix)",
            mappings.len()
        ));
    };
    let Some(prefix) = p.batch.target.prefix() else {
        return Err(refusal(&mapping.source, &mapping.destination));
    };
    if p.batch.objects == 0 {
        return Err("nothing for Batch Operations to copy in this plan".into());
    }
    Ok(prefix.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchField {
    RoleArn,
    Report,
}

/// The small form between the preview and the confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchForm {
    /// The previewed job; its one mapping is what Batch Operations copies.
    pub spec: Box<JobSpec>,
    pub move_sources: bool,
    pub target_prefix: String,
    pub objects: u64,
    pub bytes: u64,
    pub excluded: u64,
    pub role_arn: TextInput,
    pub report: TextInput,
    pub field: BatchField,
    pub error: Option<String>,
    /// Account, priority and control endpoint from `[batch]`.
    pub settings: BatchSettings,
}

impl BatchForm {
    pub fn new(p: &PreviewDialog, target_prefix: String, settings: &BatchSettings) -> BatchForm {
        let role_arn = TextInput::new(settings.role_arn.clone().unwrap_or_default());
        let report = TextInput::new(settings.report.clone().unwrap_or_default());
        // Start where something is still missing.
        let field = if role_arn.text.is_empty() || !report.text.is_empty() {
            BatchField::RoleArn
        } else {
            BatchField::Report
        };
        BatchForm {
            spec: Box::new(p.spec()),
            move_sources: p.kind == JobKind::Move,
            target_prefix,
            objects: p.batch.objects,
            bytes: p.batch.bytes,
            excluded: p.batch.excluded,
            role_arn,
            report,
            field,
            error: None,
            settings: settings.clone(),
        }
    }

    pub fn input_mut(&mut self) -> &mut TextInput {
        match self.field {
            BatchField::RoleArn => &mut self.role_arn,
            BatchField::Report => &mut self.report,
        }
    }

    pub fn switch_field(&mut self) {
        self.field = match self.field {
            BatchField::RoleArn => BatchField::Report,
            BatchField::Report => BatchField::RoleArn,
        };
    }

    pub fn source(&self) -> Option<&Location> {
        self.spec.mappings.first().map(|m| &m.source)
    }

    pub fn dst_bucket(&self) -> &str {
        self.spec
            .mappings
            .first()
            .map(|m| m.destination.bucket.as_str())
            .unwrap_or_default()
    }

    /// The request the form describes, or what is wrong with a field.
    pub fn request(&self) -> Result<SubmitRequest, (BatchField, String)> {
        let role = self.role_arn.text.trim();
        if role.is_empty() {
            return Err((
                BatchField::RoleArn,
                "the IAM role Batch Operations assumes is required".into(),
            ));
        }
        if !(role.starts_with("arn:") && role.contains(":role/")) {
            return Err((
                BatchField::RoleArn,
                "a role ARN looks like arn:aws:iam::123456789012:role/NAME".into(),
            ));
        }
        let report_text = self.report.text.trim();
        let report: Location = report_text.parse().map_err(|_| {
            (
                BatchField::Report,
                "the report location is s3://bucket/prefix/".to_string(),
            )
        })?;
        // Reports and manifests go under the prefix as a folder.
        let report = Location::new(report.bucket, normalize_dir(&report.prefix));
        let mut spec = (*self.spec).clone();
        spec.kind = if self.move_sources {
            JobKind::Move
        } else {
            JobKind::Copy
        };
        Ok(SubmitRequest {
            storage_class: spec.run.storage_class.clone(),
            spec,
            role_arn: role.to_string(),
            report,
            manifest_to: None,
            account_id: self.settings.account_id.clone(),
            priority: self.settings.priority,
            move_sources: self.move_sources,
            control_endpoint: self.settings.control_endpoint_url.clone(),
        })
    }

    /// The last question, naming what runs where.
    pub fn confirm(&self, req: SubmitRequest) -> Confirm {
        let noun = if self.objects == 1 {
            "object"
        } else {
            "objects"
        };
        let verb = if self.move_sources { "Move" } else { "Copy" };
        let source = self.source().map(Location::to_string).unwrap_or_default();
        let mut lines = vec![
            format!(
                "{verb} {} {noun} ({}) with S3 Batch Operations",
                fmt::count(self.objects),
                fmt::bytes(self.bytes)
            ),
            format!("from {source}"),
            format!(
                "into s3://{}/ with TargetKeyPrefix {:?}: each key becomes {:?} + its source key",
                self.dst_bucket(),
                self.target_prefix,
                self.target_prefix
            ),
        ];
        if self.excluded > 0 {
            lines.push(format!(
                "{} delete marker(s) or object(s) over 5 GiB are left out: copy them with the local engine",
                fmt::count(self.excluded)
            ));
        }
        lines.push(format!("role {}", req.role_arn));
        lines.push(format!(
            "completion report in {} (manifest under manifests/)",
            req.report
        ));
        if self.move_sources {
            lines.push(
                "Batch Operations cannot delete: once the job is complete, each copy is checked"
                    .into(),
            );
            lines.push(
                "and only then its source is deleted (by s3ferry while it runs, or `batch status --watch`)."
                    .into(),
            );
        }
        lines.push("The job starts in S3 without a further confirmation step.".into());
        Confirm {
            title: "Run on S3 Batch Operations?".into(),
            lines,
            on_yes: OnYes::SubmitBatch(Box::new(req)),
        }
    }
}

/// A Batch Operations job as a row of the transfers panel (an engine job is
/// a `JobSnapshot`; the S3 Batch Operations calls live in `engine::batch` and `s3`).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRow {
    /// The local number (`s3ferry batch status N`).
    pub id: i64,
    pub record: BatchRecord,
    /// The s3ferry job deleting a move's sources, once started.
    pub move_job: Option<JobId>,
    /// The last DescribeJob answer; an error stays in the row, not fatal.
    pub remote: Option<Result<JobStatus, String>>,
    pub polling: bool,
    /// The move job is being started.
    pub finishing: bool,
    /// Starting the move job failed; not retried every poll (the CLI's
    /// `batch status N --watch` retries it).
    pub move_error: Option<String>,
}

impl BatchRow {
    /// A job not polled yet.
    pub fn new(id: i64, record: BatchRecord) -> BatchRow {
        BatchRow {
            id,
            record,
            move_job: None,
            remote: None,
            polling: false,
            finishing: false,
            move_error: None,
        }
    }

    pub fn from_listing(l: BatchListing) -> BatchRow {
        BatchRow {
            move_job: l.move_job,
            ..BatchRow::new(l.id, l.record)
        }
    }

    /// The remote job has ended: DescribeJob need not be asked again.
    pub fn finished(&self) -> bool {
        matches!(&self.remote, Some(Ok(s)) if s.is_finished())
    }

    /// A completed move whose sources are still to be deleted.
    pub fn needs_move(&self) -> bool {
        self.record.move_sources
            && self.move_job.is_none()
            && !self.finishing
            && self.move_error.is_none()
            && matches!(&self.remote, Some(Ok(s)) if s.status == crate::s3::BatchStatus::Complete)
    }

    pub fn kind(&self) -> &'static str {
        if self.record.move_sources {
            "move"
        } else {
            "copy"
        }
    }

    /// `s3://src/photos/`.
    pub fn source(&self) -> String {
        self.record.spec.source_label()
    }

    /// Where keys land: the destination bucket and the TargetKeyPrefix.
    pub fn destination(&self) -> String {
        let bucket = self
            .record
            .spec
            .mappings
            .first()
            .map(|m| m.destination.bucket.as_str())
            .unwrap_or_default();
        format!("s3://{bucket}/{}", self.record.target_prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(src: &str, dst: &str, size: u64) -> PlanEntry {
        PlanEntry {
            action: PlanAction::Copy,
            src_bucket: "a".into(),
            src_key: src.into(),
            version_id: None,
            dst_bucket: "b".into(),
            dst_key: dst.into(),
            size,
            etag: None,
            delete_marker: false,
            note: None,
        }
    }

    #[test]
    fn tally_counts_what_batch_copies() {
        let mut t = BatchTally::default();
        t.add(&entry("p/a", "x/p/a", 10));
        t.add(&entry("p/huge", "x/p/huge", 6 << 30));
        t.add(&PlanEntry {
            action: PlanAction::Skip,
            ..entry("p/s", "elsewhere/s", 1)
        });
        assert_eq!((t.objects, t.bytes, t.excluded), (1, 10, 1));
        assert_eq!(
            t.target.prefix(),
            Some("x/"),
            "skipped entries do not count"
        );
    }
}
