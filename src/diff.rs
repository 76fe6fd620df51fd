//! `s3ferry diff`: a streaming merge of two listings by relative key. Both
//! listings arrive in key order and stripping a common prefix keeps that
//! order, so memory stays flat however many keys there are.

use std::collections::VecDeque;

use futures::{Stream, StreamExt};
use serde_json::json;

use crate::cli::args::{ConnFlags, DiffArgs};
use crate::cli::{json_line, resolve_side, Exit, Side};
use crate::config::Config;
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

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DiffCounts {
    pub only_src: u64,
    pub only_dst: u64,
    pub different: u64,
    pub same: u64,
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

pub async fn run(flags: &ConnFlags, config: &Config, args: DiffArgs) -> anyhow::Result<Exit> {
    let src_conn = Connection::open(resolve_side(flags, config, Side::Src)?).await?;
    let dst_conn = Connection::open(resolve_side(flags, config, Side::Dst)?).await?;
    let src_client = src_conn.clients_for_bucket(&args.src.bucket).await?.meta;
    let dst_client = dst_conn.clients_for_bucket(&args.dst.bucket).await?.meta;
    let mut a = Box::pin(groups(
        src_client.clone(),
        &args.src.bucket,
        &args.src.prefix,
        args.versions,
    ));
    let mut b = Box::pin(groups(
        dst_client.clone(),
        &args.dst.bucket,
        &args.dst.prefix,
        args.versions,
    ));
    let mut counts = DiffCounts::default();
    let mut x = a.next().await.transpose()?;
    let mut y = b.next().await.transpose()?;
    loop {
        let (status, key, detail) = match (&x, &y) {
            (None, None) => break,
            (Some((k, _)), None) => (Status::OnlySrc, k.clone(), None),
            (None, Some((k, _))) => (Status::OnlyDst, k.clone(), None),
            (Some((ka, va)), Some((kb, vb))) => match ka.as_bytes().cmp(kb.as_bytes()) {
                std::cmp::Ordering::Less => (Status::OnlySrc, ka.clone(), None),
                std::cmp::Ordering::Greater => (Status::OnlyDst, kb.clone(), None),
                std::cmp::Ordering::Equal => {
                    let (s, d) = if args.versions {
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
                        compare_one(&args, &src_client, &dst_client, &va[0], &vb[0]).await?
                    };
                    (s, ka.clone(), d)
                }
            },
        };
        match status {
            Status::OnlySrc => {
                counts.only_src += 1;
                x = a.next().await.transpose()?;
            }
            Status::OnlyDst => {
                counts.only_dst += 1;
                y = b.next().await.transpose()?;
            }
            Status::Different | Status::Same => {
                if status == Status::Same {
                    counts.same += 1;
                } else {
                    counts.different += 1;
                }
                x = a.next().await.transpose()?;
                y = b.next().await.transpose()?;
            }
        }
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
    args: &DiffArgs,
    src: &aws_sdk_s3::Client,
    dst: &aws_sdk_s3::Client,
    a: &ObjectEntry,
    b: &ObjectEntry,
) -> anyhow::Result<(Status, Option<String>)> {
    if a.size != b.size {
        return Ok((
            Status::Different,
            Some(format!("size {} vs {}", a.size, b.size)),
        ));
    }
    if args.checksum {
        let pa = ops::head_object(src, &args.src.bucket, &a.key, None).await?;
        let pb = ops::head_object(dst, &args.dst.bucket, &b.key, None).await?;
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
