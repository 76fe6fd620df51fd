//! Listings, one page at a time, keys exactly as stored: ListBuckets, and
//! ListObjectsV2 / ListObjectVersions behind one resumable [`Paginator`].

use aws_sdk_s3::types::{EncodingType, ObjectVersion};
use aws_sdk_s3::Client;
use futures::Stream;

use super::bucket::Bucket;
use super::error::{S3Error, S3Result};
use super::model::{BucketInfo, ListItem, ListPage, ObjectEntry, PageToken};
use super::time::to_chrono;

/// Responses use `encoding-type=url` so that keys with characters XML cannot
/// carry survive; S3 encodes a space as `+` there (botocore decodes the same way).
pub fn decode_url_key(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

pub(super) async fn list_buckets(client: &Client) -> S3Result<Vec<BucketInfo>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let resp = client
            .list_buckets()
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| S3Error::from(e).context("listing buckets"))?;
        for b in resp.buckets() {
            if let Some(name) = b.name() {
                out.push(BucketInfo {
                    name: name.to_string(),
                    created: b.creation_date().and_then(to_chrono),
                });
            }
        }
        match resp.continuation_token() {
            Some(t) if !t.is_empty() && Some(t) != token.as_deref() => token = Some(t.to_string()),
            _ => break,
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// What to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub bucket: String,
    pub prefix: String,
    /// `Some("/")` for a folder view, `None` for everything under the prefix.
    pub delimiter: Option<String>,
    pub max_keys: Option<i32>,
    /// ListObjectVersions instead of ListObjectsV2.
    pub versions: bool,
}

impl ListRequest {
    pub fn objects(bucket: &str, prefix: &str) -> Self {
        ListRequest {
            bucket: bucket.into(),
            prefix: prefix.into(),
            delimiter: None,
            max_keys: None,
            versions: false,
        }
    }

    pub fn folder(bucket: &str, prefix: &str) -> Self {
        ListRequest {
            delimiter: Some("/".into()),
            ..ListRequest::objects(bucket, prefix)
        }
    }
}

pub(super) async fn list_page(
    client: &Client,
    req: &ListRequest,
    token: Option<PageToken>,
) -> S3Result<ListPage> {
    if req.versions {
        return list_versions_page(client, req, token).await;
    }
    let cont = match token {
        Some(PageToken::Continuation(t)) => Some(t),
        _ => None,
    };
    let resp = client
        .list_objects_v2()
        .bucket(&req.bucket)
        .prefix(&req.prefix)
        .set_delimiter(req.delimiter.clone())
        .set_max_keys(req.max_keys)
        .set_continuation_token(cont)
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .map_err(|e| {
            S3Error::from(e).context(format_args!("listing s3://{}/{}", req.bucket, req.prefix))
        })?;
    let encoded = resp.encoding_type() == Some(&EncodingType::Url);
    let dec = |s: &str| {
        if encoded {
            decode_url_key(s)
        } else {
            s.to_string()
        }
    };
    let mut items = Vec::with_capacity(resp.contents().len() + resp.common_prefixes().len());
    for o in resp.contents() {
        let Some(key) = o.key() else { continue };
        items.push(ListItem::Object(ObjectEntry {
            key: dec(key),
            size: o.size().unwrap_or(0).max(0) as u64,
            last_modified: o.last_modified().and_then(to_chrono),
            etag: o.e_tag().map(str::to_string),
            storage_class: o.storage_class().map(|s| s.as_str().to_string()),
            version_id: None,
            is_latest: None,
            delete_marker: None,
        }));
    }
    for p in resp.common_prefixes() {
        if let Some(p) = p.prefix() {
            items.push(ListItem::Prefix(dec(p)));
        }
    }
    // Objects and prefixes arrive as two lists; merge them into key order.
    items.sort_by(|a, b| item_key(a).cmp(item_key(b)));
    let next = match (resp.is_truncated(), resp.next_continuation_token()) {
        (Some(true), Some(t)) if !t.is_empty() => Some(PageToken::Continuation(t.to_string())),
        _ => None,
    };
    Ok(ListPage { items, next })
}

pub fn item_key(i: &ListItem) -> &str {
    match i {
        ListItem::Object(o) => &o.key,
        ListItem::Prefix(p) => p,
    }
}

fn version_entry(v: &ObjectVersion, dec: &dyn Fn(&str) -> String) -> Option<ObjectEntry> {
    Some(ObjectEntry {
        key: dec(v.key()?),
        size: v.size().unwrap_or(0).max(0) as u64,
        last_modified: v.last_modified().and_then(to_chrono),
        etag: v.e_tag().map(str::to_string),
        storage_class: v.storage_class().map(|s| s.as_str().to_string()),
        version_id: Some(v.version_id().unwrap_or("null").to_string()),
        is_latest: Some(v.is_latest().unwrap_or(false)),
        delete_marker: Some(false),
    })
}

async fn list_versions_page(
    client: &Client,
    req: &ListRequest,
    token: Option<PageToken>,
) -> S3Result<ListPage> {
    let (key_marker, vid_marker) = match token {
        Some(PageToken::Versions {
            key_marker,
            version_id_marker,
        }) => (Some(key_marker), version_id_marker),
        _ => (None, None),
    };
    let resp = client
        .list_object_versions()
        .bucket(&req.bucket)
        .prefix(&req.prefix)
        .set_delimiter(req.delimiter.clone())
        .set_max_keys(req.max_keys)
        .set_key_marker(key_marker)
        .set_version_id_marker(vid_marker)
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .map_err(|e| {
            S3Error::from(e).context(format_args!(
                "listing versions of s3://{}/{}",
                req.bucket, req.prefix
            ))
        })?;
    let encoded = resp.encoding_type() == Some(&EncodingType::Url);
    let dec = |s: &str| {
        if encoded {
            decode_url_key(s)
        } else {
            s.to_string()
        }
    };
    // Versions and delete markers arrive as two lists; S3 orders all of a key's
    // entries newest first. Rebuild that order: key ascending, time descending.
    let mut entries: Vec<ObjectEntry> = resp
        .versions()
        .iter()
        .filter_map(|v| version_entry(v, &dec))
        .collect();
    for m in resp.delete_markers() {
        let Some(key) = m.key() else { continue };
        entries.push(ObjectEntry {
            key: dec(key),
            size: 0,
            last_modified: m.last_modified().and_then(to_chrono),
            etag: None,
            storage_class: None,
            version_id: Some(m.version_id().unwrap_or("null").to_string()),
            is_latest: Some(m.is_latest().unwrap_or(false)),
            delete_marker: Some(true),
        });
    }
    entries.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then(b.is_latest.cmp(&a.is_latest))
            .then(b.last_modified.cmp(&a.last_modified))
    });
    let mut items: Vec<ListItem> = entries.into_iter().map(ListItem::Object).collect();
    for p in resp.common_prefixes() {
        if let Some(p) = p.prefix() {
            items.push(ListItem::Prefix(dec(p)));
        }
    }
    items.sort_by(|a, b| item_key(a).cmp(item_key(b)));
    let next = if resp.is_truncated() == Some(true) {
        resp.next_key_marker().map(|k| PageToken::Versions {
            key_marker: if encoded {
                decode_url_key(k)
            } else {
                k.to_string()
            },
            version_id_marker: resp.next_version_id_marker().map(str::to_string),
        })
    } else {
        None
    };
    Ok(ListPage { items, next })
}

/// One listing walked page by page from a cursor the journal can store
/// ([`PageToken::encode`]), so an interrupted listing resumes where it was.
/// Every listing of the crate goes through it.
pub struct Paginator {
    bucket: Bucket,
    req: ListRequest,
    cursor: Option<PageToken>,
    done: bool,
}

impl Paginator {
    pub(super) fn new(bucket: Bucket, req: ListRequest, cursor: Option<PageToken>) -> Paginator {
        Paginator {
            bucket,
            req,
            cursor,
            done: false,
        }
    }

    /// Where the next page starts (`None`: at the beginning).
    pub fn cursor(&self) -> Option<&PageToken> {
        self.cursor.as_ref()
    }

    /// The last page has been passed.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The page at the cursor, without moving past it: a failed fetch can be
    /// retried as is.
    pub async fn fetch(&self) -> S3Result<ListPage> {
        self.bucket.list_page(&self.req, self.cursor.clone()).await
    }

    /// Move past `page`, as fetched at the current cursor.
    pub fn advance(&mut self, page: &ListPage) {
        self.cursor = page.next.clone();
        self.done = self.cursor.is_none();
    }

    /// The next page, or `None` after the last one.
    pub async fn next_page(&mut self) -> S3Result<Option<ListPage>> {
        if self.done {
            return Ok(None);
        }
        let page = self.fetch().await?;
        self.advance(&page);
        Ok(Some(page))
    }

    /// The remaining pages as a stream; it ends after the first error.
    pub fn into_stream(self) -> impl Stream<Item = S3Result<ListPage>> {
        futures::stream::unfold(Some(self), |state| async move {
            let mut p = state?;
            match p.next_page().await {
                Ok(Some(page)) => Some((Ok(page), Some(p))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        })
    }
}

impl PageToken {
    /// The cursor as one line of text, for the journal.
    pub fn encode(&self) -> String {
        match self {
            PageToken::Continuation(c) => format!("c:{c}"),
            PageToken::Versions {
                key_marker,
                version_id_marker,
            } => format!(
                "v:{}\n{}",
                version_id_marker.clone().unwrap_or_default(),
                key_marker
            ),
        }
    }

    /// Read back what [`PageToken::encode`] wrote.
    pub fn decode(s: &str) -> Option<PageToken> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_s3() {
        assert_eq!(decode_url_key("a+b"), "a b");
        assert_eq!(decode_url_key("a%2Bb"), "a+b");
        assert_eq!(decode_url_key("100%25"), "100%");
        assert_eq!(decode_url_key("%C3%A9/%E6%97%A5"), "é/日");
        assert_eq!(decode_url_key("a//b/"), "a//b/");
    }

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
            let text = t.encode();
            assert_eq!(PageToken::decode(&text), Some(t));
        }
    }
}
