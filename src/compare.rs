//! The streaming merge of two listings by relative key, used by `diff`, the
//! sync planner's checksum compares and the TUI's compare mode. Both
//! listings arrive in key order and stripping a common prefix keeps that
//! order, so memory stays flat however many keys there are.

use std::collections::VecDeque;
use std::pin::Pin;

use futures::{Stream, StreamExt};

use crate::location::Location;
use crate::plan::compare::{
    compare, compare_with_heads, needs_head, Basis, Facts, HeadFacts, Sameness,
};
use crate::s3::{
    Bucket, Connection, ErrorKind, ListItem, ListRequest, ObjectEntry, ObjectProps, S3Error,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    OnlySrc,
    OnlyDst,
    Different,
    Same,
    /// Same size, and nothing else comparable (multipart or encrypted ETags,
    /// no common full-object checksum): not known to be the same.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::OnlySrc => "only_src",
            Status::OnlyDst => "only_dst",
            Status::Different => "different",
            Status::Same => "same",
            Status::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DiffCounts {
    pub only_src: u64,
    pub only_dst: u64,
    pub different: u64,
    pub same: u64,
    pub unknown: u64,
}

impl DiffCounts {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::OnlySrc => self.only_src += 1,
            Status::OnlyDst => self.only_dst += 1,
            Status::Different => self.different += 1,
            Status::Same => self.same += 1,
            Status::Unknown => self.unknown += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.only_src + self.only_dst + self.different + self.same + self.unknown
    }
}

/// One relative key's entries (one, or all versions newest first).
type Group = (String, Vec<ObjectEntry>);

/// Objects of a listing grouped by relative key, in order.
fn groups(
    bucket: &Bucket,
    prefix: &str,
    versions: bool,
) -> impl Stream<Item = Result<Group, S3Error>> {
    let mut req = ListRequest::objects(bucket.name(), prefix);
    req.versions = versions;
    let prefix = prefix.to_string();
    let pages = bucket.pages(req);
    // Carry a key's versions over page boundaries until the next key shows up.
    futures::stream::unfold(
        (
            Box::pin(pages),
            VecDeque::<Group>::new(),
            None::<Group>,
            false,
        ),
        move |(mut pages, mut ready, mut open, mut ended)| {
            let prefix = prefix.clone();
            async move {
                loop {
                    if let Some(g) = ready.pop_front() {
                        return Some((Ok(g), (pages, ready, open, ended)));
                    }
                    if ended {
                        return open.take().map(|g| (Ok(g), (pages, ready, None, true)));
                    }
                    match pages.next().await {
                        None => ended = true,
                        Some(Err(e)) => return Some((Err(e), (pages, ready, None, true))),
                        Some(Ok(page)) => {
                            for item in page.items {
                                let ListItem::Object(o) = item else { continue };
                                let rel = o
                                    .key
                                    .strip_prefix(prefix.as_str())
                                    .unwrap_or(&o.key)
                                    .to_string();
                                match &mut open {
                                    Some((k, v)) if *k == rel => v.push(o),
                                    _ => {
                                        if let Some(g) = open.take() {
                                            ready.push_back(g);
                                        }
                                        open = Some((rel, vec![o]));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn facts(o: &ObjectEntry) -> Facts {
    Facts {
        size: o.size,
        etag: o.etag.clone(),
        last_modified: o.last_modified,
    }
}

/// Two version histories, from listing facts: `Unknown` when they line up
/// but some same-size versions have ETags that cannot be compared.
fn history_sameness(a: &[ObjectEntry], b: &[ObjectEntry]) -> Sameness {
    if a.len() != b.len() {
        return Sameness::Different;
    }
    let mut out = Sameness::Same;
    for (x, y) in a.iter().zip(b) {
        if x.is_delete_marker() != y.is_delete_marker() {
            return Sameness::Different;
        }
        if x.is_delete_marker() {
            continue;
        }
        match compare(&facts(x), &facts(y)) {
            Sameness::Different => return Sameness::Different,
            Sameness::Unknown => out = Sameness::Unknown,
            Sameness::Same => {}
        }
    }
    out
}

/// How two listings are compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Compare full-object checksums (HeadObject) where both sides have one.
    pub checksum: bool,
    /// Compare version histories instead of latest versions.
    pub versions: bool,
    /// Equal sizes are enough: pairs that cannot be compared otherwise count as the same.
    pub size_only: bool,
}

/// One relative key and how its two sides compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffEntry {
    /// The key after the compared prefix.
    pub key: String,
    pub status: Status,
    /// Size of the source's latest version, when the source has the key.
    pub src_size: Option<u64>,
    pub detail: Option<String>,
    /// What a comparison of two same-size objects rested on (None otherwise).
    pub basis: Option<Basis>,
}

/// One side of a comparison: where, and the bucket handle to list it with.
#[derive(Debug, Clone)]
pub struct DiffSide {
    pub bucket: Bucket,
    pub location: Location,
}

impl DiffSide {
    /// `location` on `conn`, in its bucket's region.
    pub async fn open(conn: &Connection, location: Location) -> Result<DiffSide, S3Error> {
        Ok(DiffSide {
            bucket: conn.bucket(&location.bucket).await?,
            location,
        })
    }
}

type Groups = Pin<Box<dyn Stream<Item = Result<Group, S3Error>> + Send>>;

struct Merge {
    a: Groups,
    b: Groups,
    x: Option<Group>,
    y: Option<Group>,
    primed: bool,
    opts: DiffOptions,
}

/// One step of the merge: a finished entry, or the latest versions of a key
/// on both sides, still to compare (which may take HeadObject requests).
enum Step {
    Done(DiffEntry),
    Pair(String, Box<(ObjectEntry, ObjectEntry)>),
}

/// Keys compared at once (each may HEAD both sides); results stay in key order.
const COMPARE_WIDTH: usize = 16;

/// Every relative key of `src` and `dst` with its status, in key order: a
/// streaming merge of both listings, so memory does not grow with the key count.
/// `s3ferry diff` prints it; the TUI's compare mode marks rows with it.
pub fn diff_stream(
    src: DiffSide,
    dst: DiffSide,
    opts: DiffOptions,
) -> impl Stream<Item = anyhow::Result<DiffEntry>> + Send {
    let a: Groups = Box::pin(groups(
        &src.bucket.for_name(&src.location.bucket),
        &src.location.prefix,
        opts.versions,
    ));
    let b: Groups = Box::pin(groups(
        &dst.bucket.for_name(&dst.location.bucket),
        &dst.location.prefix,
        opts.versions,
    ));
    let state = Merge {
        a,
        b,
        x: None,
        y: None,
        primed: false,
        opts,
    };
    let sides = std::sync::Arc::new((src, dst));
    let steps = futures::stream::try_unfold(state, |mut st| async move {
        if !st.primed {
            st.x = st.a.next().await.transpose()?;
            st.y = st.b.next().await.transpose()?;
            st.primed = true;
        }
        let done = Step::Done;
        let (entry, next_a, next_b) = match (&st.x, &st.y) {
            (None, None) => return Ok(None),
            (Some((k, v)), None) => (done(only(k, Status::OnlySrc, Some(v))), true, false),
            (None, Some((k, _))) => (done(only(k, Status::OnlyDst, None)), false, true),
            (Some((ka, va)), Some((kb, vb))) => match ka.as_bytes().cmp(kb.as_bytes()) {
                std::cmp::Ordering::Less => {
                    (done(only(ka, Status::OnlySrc, Some(va))), true, false)
                }
                std::cmp::Ordering::Greater => (done(only(kb, Status::OnlyDst, None)), false, true),
                std::cmp::Ordering::Equal if !st.opts.versions => (
                    Step::Pair(ka.clone(), Box::new((va[0].clone(), vb[0].clone()))),
                    true,
                    true,
                ),
                std::cmp::Ordering::Equal => {
                    let (status, detail, basis) = match history_sameness(va, vb) {
                        Sameness::Same => (Status::Same, None, None),
                        Sameness::Different => (
                            Status::Different,
                            Some(format!(
                                "{} vs {} versions/markers differ",
                                va.len(),
                                vb.len()
                            )),
                            None,
                        ),
                        Sameness::Unknown => unknown(
                            st.opts,
                            "same sizes; some versions' ETags are not comparable".into(),
                        ),
                    };
                    let entry = DiffEntry {
                        key: ka.clone(),
                        status,
                        src_size: va.first().map(|o| o.size),
                        detail,
                        basis,
                    };
                    (done(entry), true, true)
                }
            },
        };
        if next_a {
            st.x = st.a.next().await.transpose()?;
        }
        if next_b {
            st.y = st.b.next().await.transpose()?;
        }
        Ok(Some((entry, st)))
    });
    steps
        .map(move |step: anyhow::Result<Step>| {
            let sides = sides.clone();
            async move {
                match step? {
                    Step::Done(e) => Ok(e),
                    Step::Pair(key, pair) => {
                        let (a, b) = &*pair;
                        let (status, detail, basis) =
                            compare_one(opts, &sides.0, &sides.1, a, b).await?;
                        Ok(DiffEntry {
                            key,
                            status,
                            src_size: Some(a.size),
                            detail,
                            basis,
                        })
                    }
                }
            }
        })
        .buffered(COMPARE_WIDTH)
}

fn only(key: &str, status: Status, src: Option<&Vec<ObjectEntry>>) -> DiffEntry {
    DiffEntry {
        key: key.to_string(),
        status,
        src_size: src.and_then(|v| v.first()).map(|o| o.size),
        detail: None,
        basis: None,
    }
}

impl From<&ObjectProps> for HeadFacts {
    fn from(p: &ObjectProps) -> HeadFacts {
        HeadFacts {
            sse: p.sse.clone(),
            sse_customer_algorithm: p.sse_customer_algorithm.clone(),
            checksum: p.checksum.clone(),
        }
    }
}

/// HeadObject (with ChecksumMode) for a comparison. An object HeadObject
/// will not describe without its key (SSE-C answers 400) or that vanished
/// since the listing gives `Err(reason)`: it cannot be compared.
pub async fn head_facts(
    store: &Bucket,
    key: &str,
    version_id: Option<&str>,
) -> Result<Result<HeadFacts, String>, S3Error> {
    let bucket = store.name();
    match store.head(key, version_id).await {
        Ok(p) => Ok(Ok(HeadFacts::from(&p))),
        Err(e) if e.status == Some(400) => Ok(Err(format!(
            "HeadObject s3://{bucket}/{key} refused (an SSE-C object?)"
        ))),
        Err(e) if e.kind == ErrorKind::NoSuchKey => Ok(Err(format!(
            "s3://{bucket}/{key} is gone since the listing"
        ))),
        Err(e) => Err(e),
    }
}

async fn compare_one(
    opts: DiffOptions,
    src: &DiffSide,
    dst: &DiffSide,
    a: &ObjectEntry,
    b: &ObjectEntry,
) -> anyhow::Result<(Status, Option<String>, Option<Basis>)> {
    let (fa, fb) = (facts(a), facts(b));
    // Differing MD5-looking ETags mean different bytes only when neither
    // object is KMS / DSSE / SSE-C encrypted, which only HeadObject says.
    let heads = if a.size == b.size && (opts.checksum || needs_head(&fa, &fb)) {
        let (sb, db) = (
            src.bucket.for_name(&src.location.bucket),
            dst.bucket.for_name(&dst.location.bucket),
        );
        let (ha, hb) =
            futures::try_join!(head_facts(&sb, &a.key, None), head_facts(&db, &b.key, None),)?;
        match (ha, hb) {
            (Ok(ha), Ok(hb)) => Some((ha, hb)),
            (Err(why), _) | (_, Err(why)) => {
                return Ok(unknown(opts, format!("same size; {why}")));
            }
        }
    } else {
        None
    };
    let v = compare_with_heads(&fa, &fb, heads.as_ref().map(|(x, y)| (x, y)));
    let basis = (a.size == b.size).then_some(v.basis);
    Ok(match v.sameness {
        Sameness::Same => (Status::Same, None, basis),
        Sameness::Different => (Status::Different, v.reason, basis),
        Sameness::Unknown => unknown(opts, v.reason.unwrap_or_default()),
    })
}

/// A same-size pair nothing else could compare: `unknown`, or the same under --size-only.
fn unknown(opts: DiffOptions, reason: String) -> (Status, Option<String>, Option<Basis>) {
    if opts.size_only {
        (Status::Same, None, Some(Basis::Size))
    } else {
        (Status::Unknown, Some(reason), Some(Basis::Size))
    }
}
