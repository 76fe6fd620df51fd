//! `s3ferry ls`

use futures::StreamExt;
use serde_json::json;

use crate::cli::args::{ConnFlags, LsArgs};
use crate::cli::conn::{resolve_side, Side};
use crate::cli::output::{json_line, Exit};
use crate::config::Config;
use crate::s3::list::ListRequest;
use crate::s3::{Connection, ListItem, ObjectEntry};

fn time_text(o: &ObjectEntry) -> String {
    o.last_modified
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| " ".repeat(19))
}

fn object_json(o: &ObjectEntry, versions: bool) -> serde_json::Value {
    let mut v = json!({
        "key": o.key,
        "size": o.size,
        "last_modified": o.last_modified.map(|t| t.to_rfc3339()),
        "etag": o.etag,
        "storage_class": o.storage_class,
    });
    if versions {
        v["version_id"] = json!(o.version_id);
        v["is_latest"] = json!(o.is_latest.unwrap_or(false));
        v["delete_marker"] = json!(o.is_delete_marker());
    }
    v
}

pub async fn run(flags: &ConnFlags, config: &Config, args: LsArgs) -> anyhow::Result<Exit> {
    let settings = resolve_side(flags, config, Side::Src)?;
    let conn = Connection::open(settings).await?;
    let Some(loc) = args.location else {
        let buckets = conn.list_buckets().await?;
        for b in buckets {
            if args.json {
                json_line(&json!({"bucket": b.name, "created": b.created.map(|t| t.to_rfc3339())}));
            } else {
                let t = b
                    .created
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default();
                println!("{t:19} {}", b.name);
            }
        }
        return Ok(Exit::OK);
    };
    let bucket = conn.bucket(&loc.bucket).await?;
    let mut req = if args.recursive {
        ListRequest::objects(&loc.bucket, &loc.prefix)
    } else {
        ListRequest::folder(&loc.bucket, &loc.prefix)
    };
    req.versions = args.versions;
    let mut pages = Box::pin(bucket.pages(req));
    let mut stdout = std::io::stdout().lock();
    while let Some(page) = pages.next().await {
        let page = page?;
        for item in page.items {
            match item {
                ListItem::Prefix(p) if args.json => json_line(&json!({"prefix": p})),
                ListItem::Prefix(p) => {
                    use std::io::Write;
                    let _ = writeln!(stdout, "{:>30} {p}", "PRE");
                }
                ListItem::Object(o) if args.json => json_line(&object_json(&o, args.versions)),
                ListItem::Object(o) => {
                    use std::io::Write;
                    let size = if o.is_delete_marker() {
                        "(delete marker)".to_string()
                    } else {
                        o.size.to_string()
                    };
                    let version = match (&o.version_id, args.versions) {
                        (Some(v), true) => {
                            format!(
                                "  {v}{}",
                                if o.is_latest == Some(true) {
                                    " (latest)"
                                } else {
                                    ""
                                }
                            )
                        }
                        _ => String::new(),
                    };
                    let _ = writeln!(stdout, "{} {size:>10} {}{version}", time_text(&o), o.key);
                }
            }
        }
    }
    Ok(Exit::OK)
}
