//! `s3ferry diff`: a streaming merge of two listings by relative key. Both
//! listings arrive in key order and stripping a common prefix keeps that
//! order, so memory stays flat however many keys there are.

use std::collections::VecDeque;
use std::pin::Pin;

use futures::{Stream, StreamExt};
use serde_json::json;

use crate::cli::args::{ConnFlags, DiffArgs};
use crate::cli::{json_line, resolve_side, Exit, Side};
use crate::config::Config;
use crate::location::Location;
use crate::plan::compare::{compare, Facts, Sameness};
use crate::s3::list::{list_stream, ListRequest};
use crate::s3::{ops, Connection, ListItem, ObjectEntry, S3Error};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    OnlySrc,
    OnlyDst,
    Different,
    Same,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::OnlySrc => "only_src",
            Status::OnlyDst => "only_dst",
            Status::Different => "different",
            Status::Same => "same",
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DiffCounts {
    pub only_src: u64,
    pub only_dst: u64,
    pub different: u64,
    pub same: u64,
}

impl DiffCounts {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::OnlySrc => self.only_src += 1,
            Status::OnlyDst => self.only_dst += 1,
            Status::Different => self.different += 1,
            Status::Same => self.same += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.only_src + self.only_dst + self.different + self.same
    }
}

/// One relative key's entries (one, or all versions newest first).
type Group = (String, Vec<ObjectEntry>);

/// Objects of a listing grouped by relative key, in order.
fn groups(
    client: aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    versions: bool,
) -> impl Stream<Item = Result<Group, S3Error>> {
    let mut req = ListRequest::objects(bucket, prefix);
    req.versions = versions;
    let prefix = prefix.to_string();
    let pages = list_stream(client, req);
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

fn history_equal(a: &[ObjectEntry], b: &[ObjectEntry]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.is_delete_marker() == y.is_delete_marker()
                && (x.is_delete_marker() || compare(&facts(x), &facts(y)) != Sameness::Different)
        })
}

/// How two listings are compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Compare full-object checksums (HeadObject) where both sides have one.
    pub checksum: bool,
    /// Compare version histories instead of latest versions.
    pub versions: bool,
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
}

/// One side of a comparison: where, and the client to list it with.
#[derive(Debug, Clone)]
pub struct DiffSide {
    pub client: aws_sdk_s3::Client,
    pub location: Location,
}

type Groups = Pin<Box<dyn Stream<Item = Result<Group, S3Error>> + Send>>;

struct Merge {
    a: Groups,
    b: Groups,
    x: Option<Group>,
    y: Option<Group>,
    primed: bool,
    src: DiffSide,
    dst: DiffSide,
    opts: DiffOptions,
}

/// Every relative key of `src` and `dst` with its status, in key order: a
/// streaming merge of both listings, so memory does not grow with the key count.
/// `s3ferry diff` prints it; the TUI's compare mode marks rows with it.
pub fn diff_stream(
    src: DiffSide,
    dst: DiffSide,
    opts: DiffOptions,
) -> impl Stream<Item = anyhow::Result<DiffEntry>> + Send {
    let a: Groups = Box::pin(groups(
        src.client.clone(),
        &src.location.bucket,
        &src.location.prefix,
        opts.versions,
    ));
    let b: Groups = Box::pin(groups(
        dst.client.clone(),
        &dst.location.bucket,
        &dst.location.prefix,
        opts.versions,
    ));
    let state = Merge {
        a,
        b,
        x: None,
        y: None,
        primed: false,
        src,
        dst,
        opts,
    };
    futures::stream::try_unfold(state, |mut st| async move {
        if !st.primed {
            st.x = st.a.next().await.transpose()?;
            st.y = st.b.next().await.transpose()?;
            st.primed = true;
        }
        let (entry, next_a, next_b) = match (&st.x, &st.y) {
            (None, None) => return Ok(None),
            (Some((k, v)), None) => (only(k, Status::OnlySrc, Some(v)), true, false),
            (None, Some((k, _))) => (only(k, Status::OnlyDst, None), false, true),
            (Some((ka, va)), Some((kb, vb))) => match ka.as_bytes().cmp(kb.as_bytes()) {
                std::cmp::Ordering::Less => (only(ka, Status::OnlySrc, Some(va)), true, false),
                std::cmp::Ordering::Greater => (only(kb, Status::OnlyDst, None), false, true),
                std::cmp::Ordering::Equal => {
                    let (status, detail) = if st.opts.versions {
                        if history_equal(va, vb) {
                            (Status::Same, None)
                        } else {
                            (
                                Status::Different,
                                Some(format!(
                                    "{} vs {} versions/markers differ",
                                    va.len(),
                                    vb.len()
                                )),
                            )
                        }
                    } else {
                        compare_one(st.opts, &st.src, &st.dst, &va[0], &vb[0]).await?
                    };
                    let entry = DiffEntry {
                        key: ka.clone(),
                        status,
                        src_size: va.first().map(|o| o.size),
                        detail,
                    };
                    (entry, true, true)
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
    })
}

fn only(key: &str, status: Status, src: Option<&Vec<ObjectEntry>>) -> DiffEntry {
    DiffEntry {
        key: key.to_string(),
        status,
        src_size: src.and_then(|v| v.first()).map(|o| o.size),
        detail: None,
    }
}

pub async fn run(flags: &ConnFlags, config: &Config, args: DiffArgs) -> anyhow::Result<Exit> {
    let src_conn = Connection::open(resolve_side(flags, config, Side::Src)?).await?;
    let dst_conn = Connection::open(resolve_side(flags, config, Side::Dst)?).await?;
    let src = DiffSide {
        client: src_conn.clients_for_bucket(&args.src.bucket).await?.meta,
        location: args.src.clone(),
    };
    let dst = DiffSide {
        client: dst_conn.clients_for_bucket(&args.dst.bucket).await?.meta,
        location: args.dst.clone(),
    };
    let opts = DiffOptions {
        checksum: args.checksum,
        versions: args.versions,
    };
    let mut entries = Box::pin(diff_stream(src, dst, opts));
    let mut counts = DiffCounts::default();
    while let Some(entry) = entries.next().await {
        let DiffEntry {
            key,
            status,
            detail,
            ..
        } = entry?;
        counts.add(status);
        if status != Status::Same {
            if args.json {
                json_line(&json!({"key": key, "status": status.as_str(), "detail": detail}));
            } else {
                let label = match status {
                    Status::OnlySrc => "only in source",
                    Status::OnlyDst => "only in destination",
                    _ => "different",
                };
                println!(
                    "{label:<20} {key}{}",
                    detail.map(|d| format!("  ({d})")).unwrap_or_default()
                );
            }
        }
    }
    if args.json {
        json_line(&json!({
            "summary": true, "only_src": counts.only_src, "only_dst": counts.only_dst,
            "different": counts.different, "same": counts.same,
        }));
    } else {
        println!(
            "{} only in source, {} only in destination, {} different, {} same",
            counts.only_src, counts.only_dst, counts.different, counts.same
        );
    }
    Ok(
        if counts.only_src + counts.only_dst + counts.different == 0 {
            Exit::OK
        } else {
            Exit::FAILURE
        },
    )
}

async fn compare_one(
    opts: DiffOptions,
    src: &DiffSide,
    dst: &DiffSide,
    a: &ObjectEntry,
    b: &ObjectEntry,
) -> anyhow::Result<(Status, Option<String>)> {
    if a.size != b.size {
        return Ok((
            Status::Different,
            Some(format!("size {} vs {}", a.size, b.size)),
        ));
    }
    if opts.checksum {
        let pa = ops::head_object(&src.client, &src.location.bucket, &a.key, None).await?;
        let pb = ops::head_object(&dst.client, &dst.location.bucket, &b.key, None).await?;
        if let (Some((aa, av)), Some((ba, bv))) = (&pa.checksum, &pb.checksum) {
            if aa == ba {
                return Ok(if av == bv {
                    (Status::Same, None)
                } else {
                    (Status::Different, Some(format!("{aa} checksum differs")))
                });
            }
        }
    }
    Ok(match compare(&facts(a), &facts(b)) {
        Sameness::Same => (Status::Same, None),
        Sameness::Different => (Status::Different, Some("ETag differs".into())),
        // Same size, ETags not comparable (multipart): the listing cannot tell.
        Sameness::Unknown => (Status::Same, None),
    })
}
