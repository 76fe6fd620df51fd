//! ListObjects, ListObjectsV2 and ListObjectVersions.

use base64::Engine as _;
use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::listing::{list_current, list_versions, url_encode, Item, VersionItem};
use super::service::{owner, SandboxS3};
use super::store::{ObjectData, ObjectVersion};
use super::util::{etag, timestamp};

const TOKEN: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn max_keys(requested: Option<i32>) -> S3Result<usize> {
    match requested {
        None => Ok(1000),
        Some(n) if n < 0 => Err(s3_error!(InvalidArgument, "max-keys cannot be negative")),
        Some(n) => Ok(usize::try_from(n.min(1000)).unwrap_or(1000)),
    }
}

fn wants_url(encoding: Option<&EncodingType>) -> S3Result<bool> {
    match encoding {
        None => Ok(false),
        Some(e) if e.as_str().eq_ignore_ascii_case(EncodingType::URL) => Ok(true),
        Some(_) => Err(s3_error!(
            InvalidArgument,
            "Invalid Encoding Method specified in Request"
        )),
    }
}

/// Continuation tokens are opaque to clients; ours wrap the last item returned.
fn encode_token(last: &str) -> String {
    TOKEN.encode(last.as_bytes())
}

fn decode_token(token: &str) -> S3Result<String> {
    TOKEN
        .decode(token.as_bytes())
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .ok_or_else(|| {
            s3_error!(
                InvalidArgument,
                "The continuation token provided is incorrect"
            )
        })
}

struct Encoder(bool);

impl Encoder {
    fn apply(&self, s: &str) -> String {
        if self.0 {
            url_encode(s)
        } else {
            s.to_owned()
        }
    }

    fn opt(&self, s: Option<String>) -> Option<String> {
        s.map(|s| if self.0 { url_encode(&s) } else { s })
    }
}

fn listing_storage_class(data: &ObjectData) -> String {
    data.attrs
        .storage_class
        .clone()
        .unwrap_or_else(|| StorageClass::STANDARD.to_owned())
}

fn listing_checksum(data: &ObjectData) -> (Option<Vec<ChecksumAlgorithm>>, Option<ChecksumType>) {
    match &data.checksum {
        Some(c) => (
            Some(vec![ChecksumAlgorithm::from(c.algorithm.clone())]),
            Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT)),
        ),
        None => (None, None),
    }
}

fn object_entry(
    key: &str,
    version: &ObjectVersion,
    enc: &Encoder,
    with_owner: bool,
) -> Option<Object> {
    let data = version.data.as_ref()?;
    let (checksum_algorithm, checksum_type) = listing_checksum(data);
    Some(Object {
        checksum_algorithm,
        checksum_type,
        e_tag: Some(etag(&data.etag)),
        key: Some(enc.apply(key)),
        last_modified: Some(timestamp(version.last_modified)),
        owner: with_owner.then(owner),
        restore_status: None,
        size: i64::try_from(data.size).ok(),
        storage_class: Some(ObjectStorageClass::from(listing_storage_class(data))),
    })
}

struct CurrentPage {
    contents: Vec<Object>,
    prefixes: Vec<CommonPrefix>,
    last: Option<String>,
    truncated: bool,
}

impl SandboxS3 {
    #[allow(clippy::too_many_arguments)]
    fn current_page(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<&str>,
        max: usize,
        enc: &Encoder,
        with_owner: bool,
    ) -> S3Result<CurrentPage> {
        self.store.read(|st| {
            let b = st.bucket(bucket)?;
            let page = list_current(&b.objects, prefix, delimiter, after, max);
            let mut contents = Vec::new();
            let mut prefixes = Vec::new();
            for item in &page.items {
                match item {
                    Item::Key(key, versions) => {
                        if let Some(o) = versions
                            .last()
                            .and_then(|v| object_entry(key, v, enc, with_owner))
                        {
                            contents.push(o);
                        }
                    }
                    Item::Prefix(p) => prefixes.push(CommonPrefix {
                        prefix: Some(enc.apply(p)),
                    }),
                }
            }
            Ok(CurrentPage {
                contents,
                prefixes,
                last: page.items.last().map(|i| i.name().to_owned()),
                truncated: page.truncated,
            })
        })
    }

    pub(crate) async fn op_list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let max = max_keys(input.max_keys)?;
        let enc = Encoder(wants_url(input.encoding_type.as_ref())?);
        let token = input
            .continuation_token
            .as_deref()
            .map(decode_token)
            .transpose()?;
        let after = match (token.as_deref(), input.start_after.as_deref()) {
            (Some(t), Some(s)) => Some(t.max(s)),
            (t, s) => t.or(s),
        };
        let prefix = input.prefix.clone().unwrap_or_default();
        let page = self.current_page(
            &input.bucket,
            &prefix,
            input.delimiter.as_deref(),
            after,
            max,
            &enc,
            input.fetch_owner == Some(true),
        )?;
        let key_count = page.contents.len() + page.prefixes.len();
        let next = if page.truncated {
            page.last.as_deref().map(encode_token)
        } else {
            None
        };
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(enc.apply(&prefix)),
            max_keys: i32::try_from(max).ok(),
            key_count: i32::try_from(key_count).ok(),
            continuation_token: input.continuation_token,
            is_truncated: Some(page.truncated),
            next_continuation_token: next,
            contents: (!page.contents.is_empty()).then_some(page.contents),
            common_prefixes: (!page.prefixes.is_empty()).then_some(page.prefixes),
            delimiter: enc.opt(input.delimiter),
            encoding_type: input.encoding_type,
            start_after: enc.opt(input.start_after),
            request_charged: None,
        }))
    }

    pub(crate) async fn op_list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = req.input;
        let max = max_keys(input.max_keys)?;
        let enc = Encoder(wants_url(input.encoding_type.as_ref())?);
        let prefix = input.prefix.clone().unwrap_or_default();
        let page = self.current_page(
            &input.bucket,
            &prefix,
            input.delimiter.as_deref(),
            input.marker.as_deref(),
            max,
            &enc,
            true,
        )?;
        let next = if page.truncated {
            enc.opt(page.last)
        } else {
            None
        };
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(enc.apply(&prefix)),
            marker: Some(enc.opt(input.marker).unwrap_or_default()),
            max_keys: i32::try_from(max).ok(),
            is_truncated: Some(page.truncated),
            contents: (!page.contents.is_empty()).then_some(page.contents),
            common_prefixes: (!page.prefixes.is_empty()).then_some(page.prefixes),
            delimiter: enc.opt(input.delimiter),
            next_marker: next,
            encoding_type: input.encoding_type,
            request_charged: None,
        }))
    }

    pub(crate) async fn op_list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let input = req.input;
        let max = max_keys(input.max_keys)?;
        let enc = Encoder(wants_url(input.encoding_type.as_ref())?);
        let key_marker = input.key_marker.clone().filter(|k| !k.is_empty());
        let version_marker = input.version_id_marker.clone().filter(|v| !v.is_empty());
        if version_marker.is_some() && key_marker.is_none() {
            return Err(s3_error!(
                InvalidArgument,
                "A version-id marker cannot be specified without a key marker."
            ));
        }
        let prefix = input.prefix.clone().unwrap_or_default();
        let (versions, markers, prefixes, next, truncated) = self.store.read(|st| {
            let b = st.bucket(&input.bucket)?;
            let page = list_versions(
                &b.objects,
                &prefix,
                input.delimiter.as_deref(),
                key_marker.as_deref(),
                version_marker.as_deref(),
                max,
            );
            let mut versions = Vec::new();
            let mut markers = Vec::new();
            let mut prefixes = Vec::new();
            for item in &page.items {
                match item {
                    VersionItem::Prefix(p) => prefixes.push(CommonPrefix {
                        prefix: Some(enc.apply(p)),
                    }),
                    VersionItem::Version {
                        key,
                        version,
                        is_latest,
                    } => match &version.data {
                        None => markers.push(DeleteMarkerEntry {
                            is_latest: Some(*is_latest),
                            key: Some(enc.apply(key)),
                            last_modified: Some(timestamp(version.last_modified)),
                            owner: Some(owner()),
                            version_id: Some(version.version_id.clone()),
                        }),
                        Some(data) => {
                            let (checksum_algorithm, checksum_type) = listing_checksum(data);
                            versions.push(s3s::dto::ObjectVersion {
                                checksum_algorithm,
                                checksum_type,
                                e_tag: Some(etag(&data.etag)),
                                is_latest: Some(*is_latest),
                                key: Some(enc.apply(key)),
                                last_modified: Some(timestamp(version.last_modified)),
                                owner: Some(owner()),
                                restore_status: None,
                                size: i64::try_from(data.size).ok(),
                                storage_class: Some(ObjectVersionStorageClass::from(
                                    listing_storage_class(data),
                                )),
                                version_id: Some(version.version_id.clone()),
                            });
                        }
                    },
                }
            }
            let next = page.items.last().map(|item| match item {
                VersionItem::Prefix(p) => ((*p).to_owned(), None),
                VersionItem::Version { key, version, .. } => {
                    ((*key).to_owned(), Some(version.version_id.clone()))
                }
            });
            Ok::<_, s3s::S3Error>((versions, markers, prefixes, next, page.truncated))
        })?;
        let (next_key, next_version) = match next {
            Some((k, v)) if truncated => (Some(enc.apply(&k)), v),
            _ => (None, None),
        };
        Ok(S3Response::new(ListObjectVersionsOutput {
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            delete_markers: (!markers.is_empty()).then_some(markers),
            delimiter: enc.opt(input.delimiter),
            encoding_type: input.encoding_type,
            is_truncated: Some(truncated),
            key_marker: Some(enc.opt(input.key_marker).unwrap_or_default()),
            max_keys: i32::try_from(max).ok(),
            name: Some(input.bucket),
            next_key_marker: next_key,
            next_version_id_marker: next_version,
            prefix: Some(enc.apply(&prefix)),
            request_charged: None,
            version_id_marker: Some(input.version_id_marker.unwrap_or_default()),
            versions: (!versions.is_empty()).then_some(versions),
        }))
    }
}
