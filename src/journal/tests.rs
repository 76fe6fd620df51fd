use super::*;
use crate::config::ConnectionSettings;
use crate::job::{PlanOptions, RunOptions};
use crate::plan::model::SourceMapping;
use rusqlite::params;

fn spec() -> JobSpec {
    JobSpec {
        kind: JobKind::Move,
        mappings: vec![SourceMapping {
            source: "s3://a/p/".parse().expect("loc"),
            destination: "s3://b/q/".parse().expect("loc"),
            single_object: false,
        }],
        src_conn: ConnectionSettings {
            secret_access_key: Some("hunter2".into()),
            ..Default::default()
        },
        dst_conn: ConnectionSettings::default(),
        plan: PlanOptions::default(),
        run: RunOptions::default(),
    }
}

fn entry(idx: i64, key: &str, dst: &str) -> NewEntry {
    NewEntry {
        idx,
        src_bucket: "a".into(),
        src_key: key.into(),
        version_id: None,
        size: 10,
        etag: Some("\"e\"".into()),
        last_modified: None,
        storage_class: None,
        dst_bucket: "b".into(),
        dst_key: dst.into(),
        action: Action::Copy,
        delete_marker: false,
        state: EntryState::Pending,
        reason: None,
    }
}

#[test]
fn pages_are_idempotent_and_states_persist() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j.sqlite");
    let j = Journal::open(&path).expect("open");
    let id = j.create_job(&spec()).expect("job");
    let page = vec![entry(0, "p/1", "q/1"), entry(0, "p/2", "q/2")];
    assert_eq!(
        j.insert_page(id, 0, &page, Some("t1"), false)
            .expect("insert"),
        2
    );
    // A page re-listed after a crash inserts nothing twice.
    assert_eq!(
        j.insert_page(id, 0, &page, Some("t1"), false)
            .expect("insert"),
        0
    );
    assert_eq!(
        j.listing(id, 0).expect("cursor"),
        (Some("t1".into()), false)
    );
    let work = j.next_work(id, 0, 10).expect("work");
    assert_eq!(work.len(), 2);
    j.update(Update {
        id: work[0].id,
        state: EntryState::Done,
        reason: None,
        verify: Some("etag".into()),
        dst_version: None,
        ..Default::default()
    });
    j.update(Update {
        id: work[1].id,
        state: EntryState::Failed,
        reason: Some("boom".into()),
        verify: None,
        dst_version: None,
        ..Default::default()
    });
    j.flush().expect("flush");
    drop(j);

    let j = Journal::open(&path).expect("reopen");
    let c = j.counts(id).expect("counts");
    assert_eq!((c.total, c.done, c.failed, c.done_bytes), (2, 1, 1, 10));
    let failed = j.failed(id, 10).expect("failed");
    assert_eq!(failed[0].reason, "boom");
    assert_eq!(j.reset_failed(id).expect("reset"), 1);
    assert_eq!(j.next_work(id, 0, 10).expect("work").len(), 1);
    let rec = j.job(id).expect("job").expect("exists");
    assert_eq!(rec.spec.mappings[0].source.prefix, "p/");
    assert_eq!(
        rec.spec.src_conn.secret_access_key, None,
        "secrets are not journaled"
    );
}

#[test]
fn finds_duplicate_destinations() {
    let j = Journal::in_memory().expect("open");
    let id = j.create_job(&spec()).expect("job");
    j.insert_page(
        id,
        0,
        &[entry(0, "p/x", "q/x"), entry(0, "p/y", "q/y")],
        None,
        true,
    )
    .expect("insert");
    j.insert_page(id, 1, &[entry(1, "r/x", "q/x")], None, true)
        .expect("insert");
    let d = j.duplicate_destinations(id, 10).expect("dups");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].0, "q/x");
    assert_eq!(d[0].1.len(), 2);
}

#[cfg(unix)]
#[test]
fn file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j.sqlite");
    let _j = Journal::open(&path).expect("open");
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn unwritable_location_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").expect("write");
    let err = Journal::open(&file.join("j.sqlite"))
        .err()
        .expect("must fail");
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}

#[test]
fn jobs_of_other_live_processes_are_not_marked_interrupted() {
    let j = Journal::in_memory().expect("open");
    let id = j.create_job(&spec()).expect("job");
    j.set_job_state(id, JobState::Running, None).expect("state");
    let set_owner = |pid: i64| {
        j.with(|c| {
            c.execute(
                "UPDATE jobs SET owner_pid = ?2 WHERE id = ?1",
                params![id, pid],
            )
            .map(|_| ())
        })
        .expect("owner")
    };
    // PID 1 is always alive: another process runs this job.
    set_owner(1);
    assert_eq!(j.running_elsewhere(id).expect("check"), Some(1));
    assert!(j.mark_orphans_interrupted(&[]).expect("mark").is_empty());
    // A dead owner: the job was interrupted.
    set_owner(i32::MAX as i64);
    assert_eq!(j.running_elsewhere(id).expect("check"), None);
    assert_eq!(j.mark_orphans_interrupted(&[]).expect("mark"), vec![id]);
    assert_eq!(
        j.job(id).expect("job").expect("exists").state,
        JobState::Interrupted
    );
}

#[test]
fn scratch_journals_live_on_disk_and_vanish() {
    let j = Journal::scratch().expect("scratch");
    let path = j.path().to_path_buf();
    let id = j.create_job(&spec()).expect("job");
    j.insert_page(id, 0, &[entry(0, "p/1", "q/1")], None, true)
        .expect("insert");
    assert!(path.exists());
    drop(j);
    assert!(!path.exists(), "removed on drop");
}

#[test]
fn unknown_stored_states_are_errors_not_pending() {
    let j = Journal::in_memory().expect("open");
    let id = j.create_job(&spec()).expect("job");
    j.insert_page(id, 0, &[entry(0, "p/1", "q/1")], None, true)
        .expect("insert");
    j.with(|c| {
        c.execute("UPDATE entries SET state = 'verifed'", [])
            .map(|_| ())
    })
    .expect("corrupt");
    let err = j.entries(id, 0, 10).expect_err("unknown state");
    assert!(err.to_string().contains("unknown entry state"), "{err}");
    assert!(j.counts(id).is_err());
}

#[test]
fn writes_over_source_keys_are_found_in_place_rewrites_allowed_for_copies() {
    let j = Journal::in_memory().expect("open");
    let id = j.create_job(&spec()).expect("job");
    let same = |k: &str, d: &str| NewEntry {
        dst_bucket: "a".into(),
        ..entry(0, k, d)
    };
    // p/k onto itself: an in-place rewrite.
    j.insert_page(id, 0, &[same("p/k", "p/k")], None, false)
        .expect("insert");
    assert_eq!(j.first_write_over_source(id, true).expect("query"), None);
    assert_eq!(
        j.first_write_over_source(id, false).expect("query"),
        Some(("p/k".into(), "p/k".into()))
    );
    // p/a/x is written onto p/x, which is itself a source.
    j.insert_page(id, 0, &[same("p/x", "x"), same("p/a/x", "p/x")], None, true)
        .expect("insert");
    assert_eq!(
        j.first_write_over_source(id, true).expect("query"),
        Some(("p/x".into(), "p/a/x".into()))
    );
}

#[test]
fn a_recorded_outcome_writes_the_row_and_returns_what_the_counters_take() {
    let j = Journal::in_memory().expect("open");
    let id = j.create_job(&spec()).expect("job");
    let page = vec![entry(0, "p/1", "q/1"), entry(0, "p/2", "q/2")];
    j.insert_page(id, 0, &page, None, true).expect("insert");
    let rows = j.entries(id, 0, 10).expect("rows");
    let copied = Outcome::Copied {
        verify: "size".into(),
        dst_version: None,
        source: CopiedSource::default(),
        awaiting_delete: true,
    };
    let t = j.record(rows[0].id, 10, copied);
    // A move's entry is not done until its source is deleted.
    assert_eq!(
        t,
        Tally {
            bytes_done: 10,
            copied: 1,
            ..Tally::default()
        }
    );
    let t = j.record(rows[1].id, 10, Outcome::Failed { reason: "x".into() });
    assert_eq!((t.objects_done, t.failed), (1, 1));
    j.flush().expect("flush");
    let k = j.counts(id).expect("counts");
    assert_eq!((k.verified, k.failed, k.pending), (1, 1, 0));
    let t = j.record(rows[0].id, 10, Outcome::Deleted { note: None });
    assert_eq!((t.objects_done, t.deleted), (1, 1));
    j.flush().expect("flush");
    assert_eq!(j.counts(id).expect("counts").done, 1);
}

#[test]
fn a_batch_record_that_does_not_parse_is_an_error_not_left_out() {
    let j = Journal::in_memory().expect("journal");
    j.with(|c| {
        c.execute(
            "INSERT INTO batch_jobs (remote_id, account_id, region, record, created_at) VALUES ('r-1', 'a', 'us-east-1', '{not json', 0)",
            [],
        )
    })
    .expect("insert");
    let listed = j.batches(10).expect_err("listing");
    assert!(listed.to_string().contains("does not parse"), "{listed}");
    let one = j.batch("r-1").expect_err("lookup");
    assert!(one.to_string().contains("batch record 1"), "{one}");
}

/// What a scan of the entries says (the old `counts`): the oracle the stored
/// counters must agree with.
fn scanned(j: &Journal, job: JobId) -> Vec<(String, i64, i64, i64)> {
    j.with(|c| {
        let mut st = c.prepare(
            "SELECT state, action = 'delete', COUNT(*), SUM(size) FROM entries WHERE job_id = ?1
             GROUP BY 1, 2 ORDER BY 1, 2",
        )?;
        let rows = st.query_map(params![job], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        rows.collect()
    })
    .expect("scan")
}

fn stored(j: &Journal, job: JobId) -> Vec<(String, i64, i64, i64)> {
    j.with(|c| {
        let mut st = c.prepare(
            "SELECT state, is_delete, n, bytes FROM job_counts WHERE job_id = ?1 AND n != 0 ORDER BY 1, 2",
        )?;
        let rows = st.query_map(params![job], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        rows.collect()
    })
    .expect("stored")
}

#[test]
fn stored_counters_follow_every_write_and_survive_pruned_rows() {
    let j = Journal::in_memory().expect("open");
    let id = j.create_job(&spec()).expect("job");
    let other = j.create_job(&spec()).expect("job");
    let page: Vec<NewEntry> = (0..3000)
        .map(|i| entry(0, &format!("p/{i}"), &format!("q/{i}")))
        .collect();
    j.insert_page(id, 0, &page, None, true).expect("insert");
    j.insert_page(other, 0, &page[..5], None, true)
        .expect("insert");
    let mut del = entry(-1, "q/x", "q/x");
    del.action = Action::Delete;
    j.insert_page(id, -1, &[del], None, true).expect("insert");
    let rows = j.entries(id, 0, 3001).expect("rows");
    for (n, r) in rows.iter().enumerate() {
        let outcome = match n % 3 {
            0 => Outcome::Deleted { note: None },
            1 => Outcome::Failed { reason: "x".into() },
            _ => continue,
        };
        j.record(r.id, 10, outcome);
    }
    j.flush().expect("flush");
    j.mark_conflicts(id, &["q/2".into()], "two sources")
        .expect("conflicts");
    j.reset_failed(id).expect("reset");
    assert_eq!(stored(&j, id), scanned(&j, id));
    assert_eq!(stored(&j, other), scanned(&j, other));
    let before = j.counts(id).expect("counts");
    assert_eq!((before.total, before.deletes), (3001, 1));
    // The counts are the stored ones, not a scan: deleting the rows (what
    // retention does) leaves them whole.
    j.with(|c| c.execute("DELETE FROM entries WHERE job_id = ?1", params![id]))
        .expect("delete");
    assert_eq!(j.counts(id).expect("counts"), before);
    // And reading them touches no entry: the query plan names only job_counts.
    let plan: Vec<String> = j
        .with(|c| {
            let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {}", entries::COUNTS_SQL))?;
            let rows = st.query_map(params![id], |r| r.get::<_, String>(3))?;
            rows.collect()
        })
        .expect("plan");
    assert!(
        plan.iter().all(|p| !p.contains("entries"))
            && plan.iter().any(|p| p.contains("job_counts")),
        "{plan:?}"
    );
}

#[test]
fn a_journal_from_before_stored_counters_gets_them_on_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j.sqlite");
    let j = Journal::open(&path).expect("open");
    let id = j.create_job(&spec()).expect("job");
    let page = vec![entry(0, "p/1", "q/1"), entry(0, "p/2", "q/2")];
    j.insert_page(id, 0, &page, None, true).expect("insert");
    // As an older journal: no counters table, no triggers.
    j.with(|c| {
        c.execute_batch(
            "DROP TRIGGER job_counts_insert; DROP TRIGGER job_counts_update; DROP TABLE job_counts;",
        )
    })
    .expect("drop");
    drop(j);
    let j = Journal::open(&path).expect("reopen");
    assert_eq!(stored(&j, id), scanned(&j, id));
    assert_eq!(j.counts(id).expect("counts").pending, 2);
}

#[test]
fn a_commit_that_writes_verified_rows_is_synced_and_others_are_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = Journal::open(&dir.path().join("j.sqlite")).expect("open");
    let level = |d| {
        j.commit(d, |tx| {
            tx.query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0))
        })
        .expect("commit")
    };
    // 1 = NORMAL, 2 = FULL; the level is back to NORMAL after a FULL commit.
    assert_eq!(level(writer::Durability::Full), 2);
    assert_eq!(level(writer::Durability::Normal), 1);
    assert_eq!(
        writer::Durability::of([EntryState::Done, EntryState::Verified]),
        writer::Durability::Full
    );
    assert_eq!(
        writer::Durability::of([EntryState::Done, EntryState::Failed, EntryState::Copied]),
        writer::Durability::Normal
    );
}

#[test]
fn prune_keeps_summaries_failures_and_unfinished_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = Journal::open(&dir.path().join("j.sqlite")).expect("open");
    let page: Vec<NewEntry> = (0..30)
        .map(|i| entry(0, &format!("p/{i}"), &format!("q/{i}")))
        .collect();
    let mut jobs = Vec::new();
    for state in [JobState::Failed, JobState::Interrupted, JobState::Completed] {
        let id = j.create_job(&spec()).expect("job");
        j.insert_page(id, 0, &page, Some("t"), true)
            .expect("insert");
        j.insert_dest(
            id,
            &[("q/0".into(), crate::plan::compare::Facts::default())],
        )
        .expect("dest");
        let rows = j.entries(id, 0, 30).expect("rows");
        for r in &rows[..20] {
            j.record(r.id, 10, Outcome::Deleted { note: None });
        }
        j.record(
            rows[20].id,
            10,
            Outcome::Failed {
                reason: "denied".into(),
            },
        );
        j.flush().expect("flush");
        j.set_planned(id).expect("planned");
        j.set_job_state(id, state, None).expect("state");
        jobs.push(id);
    }
    // Planned but never finished listing: kept whole.
    let listing = j.create_job(&spec()).expect("job");
    j.insert_page(listing, 0, &page, Some("t"), false)
        .expect("insert");
    j.set_job_state(listing, JobState::Cancelled, None)
        .expect("state");
    let before: Vec<Counts> = jobs
        .iter()
        .map(|id| j.counts(*id).expect("counts"))
        .collect();
    let dry = j
        .prune(std::time::Duration::ZERO, true, Reclaim::Full)
        .expect("dry run");
    let ids: Vec<JobId> = dry.jobs.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![jobs[0], jobs[2]], "finished, planned jobs only");
    assert_eq!(
        (
            dry.jobs[0].entries,
            dry.jobs[0].listing,
            dry.jobs[0].dest_index
        ),
        (20, 1, 1)
    );
    let done = j
        .prune(std::time::Duration::ZERO, false, Reclaim::Full)
        .expect("prune");
    assert_eq!(done.jobs, dry.jobs);
    for (id, k) in jobs.iter().zip(&before) {
        assert_eq!(&j.counts(*id).expect("counts"), k, "the summary stays");
        assert_eq!(j.failed(*id, 10).expect("failed").len(), 1, "failures stay");
    }
    // What is left to do stays: the failed job still retries and resumes.
    assert_eq!(j.next_work(jobs[0], 0, 100).expect("work").len(), 9);
    assert_eq!(j.entries(jobs[1], 0, 100).expect("rows").len(), 30);
    assert_eq!(j.entries(listing, 0, 100).expect("rows").len(), 30);
    assert!(j.pruned_at(jobs[0]).expect("pruned").is_some());
    assert!(j.pruned_at(jobs[1]).expect("pruned").is_none());
    // A job finished later than the period is left alone.
    let later = j
        .prune(std::time::Duration::from_secs(3600), false, Reclaim::Cheap)
        .expect("prune");
    assert!(later.jobs.is_empty());
    // Once a day: the first call prunes, the next one that day does not.
    assert!(j
        .prune_daily(Some(std::time::Duration::ZERO))
        .expect("daily")
        .is_some());
    assert!(j
        .prune_daily(Some(std::time::Duration::ZERO))
        .expect("daily")
        .is_none());
    assert!(j.prune_daily(None).expect("forever").is_none());
}
