//! Protocol tests for the in-process sandbox S3 server, driven by the real
//! aws-sdk-s3 client over HTTP.

use aws_sdk_s3::config::{
    BehaviorVersion, Builder, Credentials, Region, RequestChecksumCalculation,
    ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, ChecksumMode, CompletedMultipartUpload, CompletedPart, Delete,
    DeleteMarkerReplication, DeleteMarkerReplicationStatus, Destination, EncodingType,
    MetadataDirective, ObjectIdentifier, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    ReplicationConfiguration, ReplicationRule, ReplicationRuleFilter, ReplicationRuleStatus,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, StorageClass, Tag, Tagging, TaggingDirective,
    VersioningConfiguration,
};
use aws_sdk_s3::Client;
use md5::{Digest, Md5};
use s3ferry::sandbox::{Sandbox, SandboxOptions};

fn client_with(
    url: &str,
    access_key: &str,
    secret_key: &str,
    sdk_default_checksums: bool,
) -> Client {
    let mut builder = Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new("us-east-1"))
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            access_key, secret_key, None, None, "static",
        ));
    if !sdk_default_checksums {
        builder = builder
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    }
    Client::from_conf(builder.build())
}

fn client(url: &str) -> Client {
    client_with(url, "test", "test", false)
}

async fn start() -> (Sandbox, Client) {
    let sandbox = Sandbox::start(SandboxOptions::default())
        .await
        .expect("sandbox starts");
    let c = client(&sandbox.url());
    (sandbox, c)
}

fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> String {
    err.code().unwrap_or("<none>").to_owned()
}

fn status<E>(err: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> u16 {
    err.raw_response().map_or(0, |r| r.status().as_u16())
}

/// aws-sdk-s3 sends CopySource verbatim, so the key must be percent-encoded
/// by the caller (keeping `/`).
fn copy_source(bucket: &str, key: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    format!(
        "{bucket}/{}",
        percent_encoding::utf8_percent_encode(key, SET)
    )
}

async fn put(c: &Client, bucket: &str, key: &str, body: &[u8]) -> String {
    let out = c
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key:?}: {e:?}"));
    out.version_id().unwrap_or("").to_owned()
}

async fn get(c: &Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = c
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key:?}: {e:?}"));
    out.body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

fn tricky_keys() -> Vec<String> {
    let mut keys: Vec<String> = [
        "plain.txt",
        "dir/sub/file.txt",
        "dir//double//slash",
        "/leading-slash",
        "folder/",
        "a+b c%d#e?f;g=h&i[j]k~l\\m",
        "percent%2Fencoded-looking",
        "unicode/é/ü/日本.txt",
        "trailing space ",
        "dots/./and/../x",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    keys.push(format!("long/{}", "x".repeat(1024 - 5)));
    keys
}

#[tokio::test]
async fn tricky_keys_round_trip() {
    let (sandbox, c) = start().await;
    c.create_bucket()
        .bucket("keys")
        .send()
        .await
        .expect("create bucket");
    let keys = tricky_keys();
    assert_eq!(keys.last().map(String::len), Some(1024));
    for key in &keys {
        let body: &[u8] = if key.ends_with('/') {
            b""
        } else {
            key.as_bytes()
        };
        put(&c, "keys", key, body).await;
    }

    // Flat listing returns every key exactly, in UTF-8 byte order.
    let mut expected = keys.clone();
    expected.sort();
    let listed = c
        .list_objects_v2()
        .bucket("keys")
        .send()
        .await
        .expect("list");
    let got: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(listed.key_count(), Some(i32::try_from(keys.len()).unwrap()));
    assert_eq!(listed.is_truncated(), Some(false));
    let folder = listed
        .contents()
        .iter()
        .find(|o| o.key() == Some("folder/"))
        .expect("folder marker");
    assert_eq!(folder.size(), Some(0));
    assert_eq!(folder.e_tag(), Some("\"d41d8cd98f00b204e9800998ecf8427e\""));

    // Delimiter listing.
    let listed = c
        .list_objects_v2()
        .bucket("keys")
        .delimiter("/")
        .send()
        .await
        .expect("list /");
    let prefixes: Vec<&str> = listed
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(
        prefixes,
        ["/", "dir/", "dots/", "folder/", "long/", "unicode/"]
    );
    let top: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(
        top,
        [
            "a+b c%d#e?f;g=h&i[j]k~l\\m",
            "percent%2Fencoded-looking",
            "plain.txt",
            "trailing space "
        ]
    );

    let listed = c
        .list_objects_v2()
        .bucket("keys")
        .prefix("dir/")
        .delimiter("/")
        .send()
        .await
        .expect("list dir/");
    let prefixes: Vec<&str> = listed
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["dir//", "dir/sub/"]);

    // encoding-type=url encodes keys and prefixes in the response.
    let listed = c
        .list_objects_v2()
        .bucket("keys")
        .prefix("a+b")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .expect("list url");
    let got: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(got, ["a%2Bb+c%25d%23e%3Ff%3Bg%3Dh%26i%5Bj%5Dk~l%5Cm"]);
    assert_eq!(listed.prefix(), Some("a%2Bb"));

    for key in &keys {
        let head = c
            .head_object()
            .bucket("keys")
            .key(key)
            .send()
            .await
            .expect("head");
        let expected_len = if key.ends_with('/') { 0 } else { key.len() };
        assert_eq!(
            head.content_length(),
            Some(i64::try_from(expected_len).unwrap()),
            "{key}"
        );
        if key.ends_with('/') {
            continue;
        }
        assert_eq!(get(&c, "keys", key).await, key.as_bytes(), "{key}");

        let ranged = c
            .get_object()
            .bucket("keys")
            .key(key)
            .range("bytes=1-3")
            .send()
            .await
            .expect("range");
        assert_eq!(
            ranged.content_range(),
            Some(format!("bytes 1-3/{}", key.len()).as_str())
        );
        let bytes = ranged.body.collect().await.expect("body").into_bytes();
        assert_eq!(&bytes[..], &key.as_bytes()[1..4]);

        let copy_key = if key.len() > 1000 {
            "copies/long".to_owned()
        } else {
            format!("copies/{key}")
        };
        let copied = c
            .copy_object()
            .bucket("keys")
            .key(&copy_key)
            .copy_source(copy_source("keys", key))
            .send()
            .await
            .unwrap_or_else(|e| panic!("copy {key:?}: {e:?}"));
        let etag = copied
            .copy_object_result()
            .and_then(|r| r.e_tag())
            .map(str::to_owned);
        assert_eq!(etag, Some(format!("\"{}\"", md5_hex(key.as_bytes()))));
        assert_eq!(get(&c, "keys", &copy_key).await, key.as_bytes());
    }

    // Suffix and open-ended ranges.
    let ranged = c
        .get_object()
        .bucket("keys")
        .key("plain.txt")
        .range("bytes=-3")
        .send()
        .await
        .expect("suffix");
    assert_eq!(ranged.content_range(), Some("bytes 6-8/9"));
    assert_eq!(
        &ranged.body.collect().await.expect("body").into_bytes()[..],
        b"txt"
    );
    let ranged = c
        .get_object()
        .bucket("keys")
        .key("plain.txt")
        .range("bytes=5-")
        .send()
        .await
        .expect("open");
    assert_eq!(
        &ranged.body.collect().await.expect("body").into_bytes()[..],
        b".txt"
    );
    let err = c
        .get_object()
        .bucket("keys")
        .key("plain.txt")
        .range("bytes=100-200")
        .send()
        .await
        .expect_err("unsatisfiable");
    assert_eq!(status(&err), 416);

    for key in &keys {
        c.delete_object()
            .bucket("keys")
            .key(key)
            .send()
            .await
            .expect("delete");
        let err = c
            .head_object()
            .bucket("keys")
            .key(key)
            .send()
            .await
            .expect_err("gone");
        assert_eq!(status(&err), 404, "{key}");
    }
    // Deleting a missing key succeeds, like S3.
    c.delete_object()
        .bucket("keys")
        .key("never-existed")
        .send()
        .await
        .expect("delete missing");
    let listed = c
        .list_objects_v2()
        .bucket("keys")
        .prefix("dir")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.key_count(), Some(0));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn pagination_interleaves_prefixes_and_keys() {
    let (sandbox, c) = start().await;
    c.create_bucket()
        .bucket("pages")
        .send()
        .await
        .expect("create");
    for key in ["a", "b/1", "b/2", "c", "d/x/1", "d/y", "e", "f/", "g"] {
        put(&c, "pages", key, b"x").await;
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = c
            .list_objects_v2()
            .bucket("pages")
            .delimiter("/")
            .max_keys(2)
            .set_continuation_token(token.clone())
            .send()
            .await
            .expect("page");
        pages += 1;
        let mut page: Vec<String> = out
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect();
        page.extend(
            out.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_owned)),
        );
        page.sort();
        assert!(page.len() <= 2);
        assert_eq!(out.key_count(), Some(i32::try_from(page.len()).unwrap()));
        seen.extend(page);
        if out.is_truncated() != Some(true) {
            assert!(out.next_continuation_token().is_none());
            break;
        }
        token = out.next_continuation_token().map(str::to_owned);
        assert!(token.is_some());
    }
    assert_eq!(seen, ["a", "b/", "c", "d/", "e", "f/", "g"]);
    assert_eq!(pages, 4);

    // start-after and the paginator without delimiter.
    let out = c
        .list_objects_v2()
        .bucket("pages")
        .start_after("c")
        .send()
        .await
        .expect("start-after");
    let keys: Vec<&str> = out.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["d/x/1", "d/y", "e", "f/", "g"]);
    let mut all = Vec::new();
    let mut stream = c
        .list_objects_v2()
        .bucket("pages")
        .max_keys(4)
        .into_paginator()
        .send();
    while let Some(page) = stream.next().await {
        let page = page.expect("page");
        all.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    assert_eq!(
        all,
        ["a", "b/1", "b/2", "c", "d/x/1", "d/y", "e", "f/", "g"]
    );

    // ListObjects (v1) with marker.
    let v1 = c
        .list_objects()
        .bucket("pages")
        .marker("d/y")
        .max_keys(2)
        .send()
        .await
        .expect("v1");
    let keys: Vec<&str> = v1.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["e", "f/"]);
    assert_eq!(v1.is_truncated(), Some(true));
    assert_eq!(v1.next_marker(), Some("f/"));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn buckets_lifecycle() {
    let (sandbox, c) = start().await;
    c.create_bucket()
        .bucket("bkt1")
        .send()
        .await
        .expect("create b1");
    c.create_bucket()
        .bucket("aa2")
        .send()
        .await
        .expect("create a2");
    let err = c
        .create_bucket()
        .bucket("bkt1")
        .send()
        .await
        .expect_err("exists");
    assert_eq!(code(&err), "BucketAlreadyOwnedByYou");

    let names: Vec<String> = c
        .list_buckets()
        .send()
        .await
        .expect("list buckets")
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect();
    assert_eq!(names, ["aa2", "bkt1"]);

    let head = c
        .head_bucket()
        .bucket("bkt1")
        .send()
        .await
        .expect("head bucket");
    assert_eq!(head.bucket_region(), Some("us-east-1"));
    let err = c
        .head_bucket()
        .bucket("missing")
        .send()
        .await
        .expect_err("missing");
    assert_eq!(status(&err), 404);
    let err = c
        .list_objects_v2()
        .bucket("missing")
        .send()
        .await
        .expect_err("missing");
    assert_eq!(code(&err), "NoSuchBucket");

    let location = c
        .get_bucket_location()
        .bucket("bkt1")
        .send()
        .await
        .expect("location");
    assert!(location
        .location_constraint()
        .is_none_or(|l| l.as_str().is_empty()));

    put(&c, "bkt1", "k", b"v").await;
    let err = c
        .delete_bucket()
        .bucket("bkt1")
        .send()
        .await
        .expect_err("not empty");
    assert_eq!(code(&err), "BucketNotEmpty");
    c.delete_object()
        .bucket("bkt1")
        .key("k")
        .send()
        .await
        .expect("delete");
    c.delete_bucket()
        .bucket("bkt1")
        .send()
        .await
        .expect("delete bucket");
    let err = c
        .head_bucket()
        .bucket("bkt1")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(status(&err), 404);

    let acl = c.get_bucket_acl().bucket("aa2").send().await.expect("acl");
    assert_eq!(acl.grants().len(), 1);
    assert_eq!(
        acl.grants()[0].permission().map(|p| p.as_str()),
        Some("FULL_CONTROL")
    );
    let err = c
        .get_object_lock_configuration()
        .bucket("aa2")
        .send()
        .await
        .expect_err("no lock");
    assert_eq!(code(&err), "ObjectLockConfigurationNotFoundError");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn versioning_and_delete_markers() {
    let (sandbox, c) = start().await;
    c.create_bucket()
        .bucket("ver")
        .send()
        .await
        .expect("create");
    let status0 = c
        .get_bucket_versioning()
        .bucket("ver")
        .send()
        .await
        .expect("get versioning");
    assert!(status0.status().is_none());
    // Versioning never set: no version ids reported.
    assert_eq!(put(&c, "ver", "plain", b"p").await, "");

    c.put_bucket_versioning()
        .bucket("ver")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("enable");
    let st = c
        .get_bucket_versioning()
        .bucket("ver")
        .send()
        .await
        .expect("get");
    assert_eq!(st.status(), Some(&BucketVersioningStatus::Enabled));

    let vj = put(&c, "ver", "j", b"j1").await;
    let v1 = put(&c, "ver", "k", b"one").await;
    let v2 = put(&c, "ver", "k", b"two").await;
    assert!(!v1.is_empty() && !v2.is_empty() && v1 != v2);
    assert_eq!(get(&c, "ver", "k").await, b"two");

    let del = c
        .delete_object()
        .bucket("ver")
        .key("k")
        .send()
        .await
        .expect("delete");
    assert_eq!(del.delete_marker(), Some(true));
    let dm = del.version_id().expect("marker id").to_owned();

    let err = c
        .get_object()
        .bucket("ver")
        .key("k")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(code(&err), "NoSuchKey");
    let headers = err
        .raw_response()
        .map(|r| r.headers().get("x-amz-delete-marker").map(str::to_owned));
    assert_eq!(headers, Some(Some("true".to_owned())));
    let err = c
        .head_object()
        .bucket("ver")
        .key("k")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(status(&err), 404);
    let err = c
        .get_object()
        .bucket("ver")
        .key("k")
        .version_id(&dm)
        .send()
        .await
        .expect_err("marker");
    assert_eq!(status(&err), 405);

    let old = c
        .get_object()
        .bucket("ver")
        .key("k")
        .version_id(&v1)
        .send()
        .await
        .expect("old version");
    assert_eq!(old.version_id(), Some(v1.as_str()));
    assert_eq!(
        &old.body.collect().await.expect("body").into_bytes()[..],
        b"one"
    );

    let listed = c
        .list_objects_v2()
        .bucket("ver")
        .send()
        .await
        .expect("list");
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["j", "plain"]);

    let versions = c
        .list_object_versions()
        .bucket("ver")
        .send()
        .await
        .expect("versions");
    let v: Vec<(&str, &str, bool)> = versions
        .versions()
        .iter()
        .map(|v| {
            (
                v.key().unwrap_or(""),
                v.version_id().unwrap_or(""),
                v.is_latest().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        v,
        [
            ("j", vj.as_str(), true),
            ("k", v2.as_str(), false),
            ("k", v1.as_str(), false),
            ("plain", "null", true)
        ]
    );
    let markers: Vec<(&str, &str, bool)> = versions
        .delete_markers()
        .iter()
        .map(|m| {
            (
                m.key().unwrap_or(""),
                m.version_id().unwrap_or(""),
                m.is_latest().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(markers, [("k", dm.as_str(), true)]);

    // Paginate one entry at a time across versions and markers.
    let mut order = Vec::new();
    let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
    loop {
        let page = c
            .list_object_versions()
            .bucket("ver")
            .max_keys(1)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .expect("versions page");
        for v in page.versions() {
            order.push(v.version_id().unwrap_or("").to_owned());
        }
        for m in page.delete_markers() {
            order.push(m.version_id().unwrap_or("").to_owned());
        }
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
    }
    assert_eq!(
        order,
        [
            vj.clone(),
            dm.clone(),
            v2.clone(),
            v1.clone(),
            "null".to_owned()
        ]
    );

    // Removing the marker by version id brings the object back.
    let del = c
        .delete_object()
        .bucket("ver")
        .key("k")
        .version_id(&dm)
        .send()
        .await
        .expect("delete marker");
    assert_eq!(del.delete_marker(), Some(true));
    assert_eq!(get(&c, "ver", "k").await, b"two");
    c.delete_object()
        .bucket("ver")
        .key("k")
        .version_id(&v2)
        .send()
        .await
        .expect("delete v2");
    assert_eq!(get(&c, "ver", "k").await, b"one");

    // Batch delete reports delete markers.
    let batch = c
        .delete_objects()
        .bucket("ver")
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("j").build().expect("id"))
                .objects(
                    ObjectIdentifier::builder()
                        .key("k")
                        .version_id(&v1)
                        .build()
                        .expect("id"),
                )
                .objects(ObjectIdentifier::builder().key("nope").build().expect("id"))
                .build()
                .expect("delete"),
        )
        .send()
        .await
        .expect("delete objects");
    assert!(batch.errors().is_empty());
    let deleted: Vec<(&str, Option<bool>, Option<&str>)> = batch
        .deleted()
        .iter()
        .map(|d| (d.key().unwrap_or(""), d.delete_marker(), d.version_id()))
        .collect();
    assert_eq!(deleted.len(), 3);
    assert_eq!(deleted[0].0, "j");
    assert_eq!(deleted[0].1, Some(true));
    assert!(batch.deleted()[0].delete_marker_version_id().is_some());
    assert_eq!(deleted[1], ("k", None, Some(v1.as_str())));
    let err = c
        .head_object()
        .bucket("ver")
        .key("k")
        .send()
        .await
        .expect_err("k gone");
    assert_eq!(status(&err), 404);

    // Suspended: puts replace the "null" version.
    c.put_bucket_versioning()
        .bucket("ver")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .expect("suspend");
    assert_eq!(put(&c, "ver", "s", b"1").await, "null");
    assert_eq!(put(&c, "ver", "s", b"2").await, "null");
    let versions = c
        .list_object_versions()
        .bucket("ver")
        .prefix("s")
        .send()
        .await
        .expect("versions");
    assert_eq!(versions.versions().len(), 1);
    assert_eq!(get(&c, "ver", "s").await, b"2");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn multipart_with_part_copy() {
    let (sandbox, c) = start().await;
    c.create_bucket()
        .bucket("mpu")
        .send()
        .await
        .expect("create");
    let source: Vec<u8> = (0..6 * 1024 * 1024 + 100)
        .map(|i: u32| (i % 251) as u8)
        .collect();
    put(&c, "mpu", "source bin+1", &source).await;
    let source_etag = format!("\"{}\"", md5_hex(&source));

    let created = c
        .create_multipart_upload()
        .bucket("mpu")
        .key("dest/obj")
        .content_type("application/x-test")
        .metadata("origin", "sandbox")
        .tagging("stage=mpu")
        .storage_class(StorageClass::StandardIa)
        .send()
        .await
        .expect("create mpu");
    let upload_id = created.upload_id().expect("upload id").to_owned();

    let err = c
        .upload_part_copy()
        .bucket("mpu")
        .key("dest/obj")
        .upload_id(&upload_id)
        .part_number(1)
        .copy_source(copy_source("mpu", "source bin+1"))
        .copy_source_range("bytes=0-5242879")
        .copy_source_if_match("\"0123456789abcdef0123456789abcdef\"")
        .send()
        .await
        .expect_err("etag mismatch");
    assert_eq!(status(&err), 412);
    assert_eq!(code(&err), "PreconditionFailed");

    let part1 = c
        .upload_part_copy()
        .bucket("mpu")
        .key("dest/obj")
        .upload_id(&upload_id)
        .part_number(1)
        .copy_source(copy_source("mpu", "source bin+1"))
        .copy_source_range("bytes=0-5242879")
        .copy_source_if_match(&source_etag)
        .send()
        .await
        .expect("part copy");
    let part1_etag = part1
        .copy_part_result()
        .and_then(|r| r.e_tag())
        .expect("etag")
        .to_owned();
    let first = &source[..5 * 1024 * 1024];
    assert_eq!(part1_etag, format!("\"{}\"", md5_hex(first)));

    let tail = b"tail of the object".to_vec();
    let part2 = c
        .upload_part()
        .bucket("mpu")
        .key("dest/obj")
        .upload_id(&upload_id)
        .part_number(2)
        .body(ByteStream::from(tail.clone()))
        .send()
        .await
        .expect("part 2");
    let part2_etag = part2.e_tag().expect("etag").to_owned();

    let parts = c
        .list_parts()
        .bucket("mpu")
        .key("dest/obj")
        .upload_id(&upload_id)
        .send()
        .await
        .expect("list parts");
    let sizes: Vec<Option<i64>> = parts.parts().iter().map(|p| p.size()).collect();
    assert_eq!(sizes, [Some(5 * 1024 * 1024), Some(tail.len() as i64)]);
    let uploads = c
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .expect("uploads");
    assert_eq!(uploads.uploads().len(), 1);
    assert_eq!(uploads.uploads()[0].upload_id(), Some(upload_id.as_str()));

    // Out-of-order part lists are rejected.
    let err = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("dest/obj")
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(2)
                        .e_tag(&part2_etag)
                        .build(),
                )
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(&part1_etag)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("order");
    assert_eq!(code(&err), "InvalidPartOrder");

    let done = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("dest/obj")
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(&part1_etag)
                        .build(),
                )
                .parts(
                    CompletedPart::builder()
                        .part_number(2)
                        .e_tag(&part2_etag)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("complete");
    let mut concat = Vec::new();
    concat.extend_from_slice(&Md5::digest(first));
    concat.extend_from_slice(&Md5::digest(&tail));
    let expected_etag = format!("\"{}-2\"", md5_hex(&concat));
    assert_eq!(done.e_tag(), Some(expected_etag.as_str()));

    let head = c
        .head_object()
        .bucket("mpu")
        .key("dest/obj")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.content_length(),
        Some((first.len() + tail.len()) as i64)
    );
    assert_eq!(head.content_type(), Some("application/x-test"));
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("origin"))
            .map(String::as_str),
        Some("sandbox")
    );
    assert_eq!(head.storage_class(), Some(&StorageClass::StandardIa));
    assert_eq!(head.e_tag(), Some(expected_etag.as_str()));
    let part = c
        .head_object()
        .bucket("mpu")
        .key("dest/obj")
        .part_number(2)
        .send()
        .await
        .expect("part head");
    assert_eq!(part.parts_count(), Some(2));
    assert_eq!(part.content_length(), Some(tail.len() as i64));
    let tags = c
        .get_object_tagging()
        .bucket("mpu")
        .key("dest/obj")
        .send()
        .await
        .expect("tags");
    assert_eq!(tags.tag_set().len(), 1);
    assert_eq!(tags.tag_set()[0].key(), "stage");

    let body = get(&c, "mpu", "dest/obj").await;
    assert_eq!(&body[..first.len()], first);
    assert_eq!(&body[first.len()..], &tail[..]);

    let err = c
        .upload_part()
        .bucket("mpu")
        .key("dest/obj")
        .upload_id(&upload_id)
        .part_number(3)
        .body(ByteStream::from_static(b"late"))
        .send()
        .await
        .expect_err("completed upload is gone");
    assert_eq!(code(&err), "NoSuchUpload");

    // Small non-final parts are rejected; aborting removes the upload.
    let small = c
        .create_multipart_upload()
        .bucket("mpu")
        .key("small")
        .send()
        .await
        .expect("create");
    let small_id = small.upload_id().expect("id").to_owned();
    let mut etags = Vec::new();
    for n in 1..=2 {
        let p = c
            .upload_part()
            .bucket("mpu")
            .key("small")
            .upload_id(&small_id)
            .part_number(n)
            .body(ByteStream::from_static(b"tiny"))
            .send()
            .await
            .expect("part");
        etags.push(p.e_tag().expect("etag").to_owned());
    }
    let err = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("small")
        .upload_id(&small_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(&etags[0])
                        .build(),
                )
                .parts(
                    CompletedPart::builder()
                        .part_number(2)
                        .e_tag(&etags[1])
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("too small");
    assert_eq!(code(&err), "EntityTooSmall");
    c.abort_multipart_upload()
        .bucket("mpu")
        .key("small")
        .upload_id(&small_id)
        .send()
        .await
        .expect("abort");
    let err = c
        .list_parts()
        .bucket("mpu")
        .key("small")
        .upload_id(&small_id)
        .send()
        .await
        .expect_err("aborted");
    assert_eq!(code(&err), "NoSuchUpload");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn copy_object_directives() {
    let (sandbox, c) = start().await;
    c.create_bucket()
        .bucket("cpy")
        .send()
        .await
        .expect("create");
    let put_out = c
        .put_object()
        .bucket("cpy")
        .key("orig")
        .body(ByteStream::from_static(b"{\"a\":1}"))
        .content_type("text/plain")
        .cache_control("max-age=60")
        .content_disposition("attachment")
        .metadata("color", "blue")
        .tagging("team=core&env=dev")
        .storage_class(StorageClass::StandardIa)
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .expect("put");
    assert_eq!(
        put_out.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );

    let head = c
        .head_object()
        .bucket("cpy")
        .key("orig")
        .send()
        .await
        .expect("head orig");
    assert_eq!(head.storage_class(), Some(&StorageClass::StandardIa));
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    let got = c
        .get_object()
        .bucket("cpy")
        .key("orig")
        .send()
        .await
        .expect("get orig");
    assert_eq!(got.tag_count(), Some(2));
    assert_eq!(got.cache_control(), Some("max-age=60"));
    assert_eq!(got.content_disposition(), Some("attachment"));

    // Default directive copies metadata and tags; storage class is not copied.
    let out = c
        .copy_object()
        .bucket("cpy")
        .key("copy1")
        .copy_source("cpy/orig")
        .send()
        .await
        .expect("copy");
    assert!(out
        .copy_object_result()
        .and_then(|r| r.last_modified())
        .is_some());
    let head = c
        .head_object()
        .bucket("cpy")
        .key("copy1")
        .send()
        .await
        .expect("head copy1");
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(head.cache_control(), Some("max-age=60"));
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("color"))
            .map(String::as_str),
        Some("blue")
    );
    assert!(head.storage_class().is_none());
    let tags = c
        .get_object_tagging()
        .bucket("cpy")
        .key("copy1")
        .send()
        .await
        .expect("tags");
    assert_eq!(tags.tag_set().len(), 2);

    // REPLACE takes everything from the request.
    c.copy_object()
        .bucket("cpy")
        .key("copy2")
        .copy_source("cpy/orig")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("application/json")
        .metadata("shape", "round")
        .tagging_directive(TaggingDirective::Replace)
        .tagging("fresh=yes")
        .storage_class(StorageClass::Glacier)
        .send()
        .await
        .expect("copy replace");
    let head = c
        .head_object()
        .bucket("cpy")
        .key("copy2")
        .send()
        .await
        .expect("head copy2");
    assert_eq!(head.content_type(), Some("application/json"));
    assert!(head.cache_control().is_none());
    let meta = head.metadata().cloned().unwrap_or_default();
    assert_eq!(meta.get("shape").map(String::as_str), Some("round"));
    assert!(!meta.contains_key("color"));
    assert_eq!(head.storage_class(), Some(&StorageClass::Glacier));
    let tags = c
        .get_object_tagging()
        .bucket("cpy")
        .key("copy2")
        .send()
        .await
        .expect("tags");
    let tags: Vec<(&str, &str)> = tags
        .tag_set()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert_eq!(tags, [("fresh", "yes")]);
    assert_eq!(get(&c, "cpy", "copy2").await, b"{\"a\":1}");

    // Copying onto itself needs a change, as in S3.
    let err = c
        .copy_object()
        .bucket("cpy")
        .key("orig")
        .copy_source("cpy/orig")
        .send()
        .await
        .expect_err("self copy");
    assert_eq!(code(&err), "InvalidRequest");
    c.copy_object()
        .bucket("cpy")
        .key("orig")
        .copy_source("cpy/orig")
        .metadata_directive(MetadataDirective::Replace)
        .metadata("color", "red")
        .send()
        .await
        .expect("self copy with replace");
    let head = c
        .head_object()
        .bucket("cpy")
        .key("orig")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("color"))
            .map(String::as_str),
        Some("red")
    );

    let err = c
        .copy_object()
        .bucket("cpy")
        .key("copy3")
        .copy_source("cpy/orig")
        .copy_source_if_match("\"ffffffffffffffffffffffffffffffff\"")
        .send()
        .await
        .expect_err("if-match");
    assert_eq!(status(&err), 412);
    let err = c
        .copy_object()
        .bucket("cpy")
        .key("copy3")
        .copy_source("cpy/missing")
        .send()
        .await
        .expect_err("missing source");
    assert_eq!(code(&err), "NoSuchKey");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn bucket_configuration_documents() {
    let (sandbox, c) = start().await;
    c.create_bucket()
        .bucket("src")
        .send()
        .await
        .expect("create");

    let err = c
        .get_bucket_replication()
        .bucket("src")
        .send()
        .await
        .expect_err("none");
    assert_eq!(code(&err), "ReplicationConfigurationNotFoundError");

    let config = ReplicationConfiguration::builder()
        .role("arn:aws:iam::123456789012:role/replication")
        .rules(
            ReplicationRule::builder()
                .id("rule-1")
                .priority(1)
                .status(ReplicationRuleStatus::Enabled)
                .filter(ReplicationRuleFilter::builder().prefix("logs/").build())
                .delete_marker_replication(
                    DeleteMarkerReplication::builder()
                        .status(DeleteMarkerReplicationStatus::Disabled)
                        .build(),
                )
                .destination(
                    Destination::builder()
                        .bucket("arn:aws:s3:::dst")
                        .storage_class(StorageClass::StandardIa)
                        .build()
                        .expect("destination"),
                )
                .build()
                .expect("rule"),
        )
        .build()
        .expect("config");
    let err = c
        .put_bucket_replication()
        .bucket("src")
        .replication_configuration(config.clone())
        .send()
        .await
        .expect_err("needs versioning");
    assert_eq!(code(&err), "InvalidRequest");

    c.put_bucket_versioning()
        .bucket("src")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("enable");
    c.put_bucket_replication()
        .bucket("src")
        .replication_configuration(config.clone())
        .send()
        .await
        .expect("put replication");
    let got = c
        .get_bucket_replication()
        .bucket("src")
        .send()
        .await
        .expect("get replication");
    let got = got.replication_configuration().expect("config");
    assert_eq!(got.role(), "arn:aws:iam::123456789012:role/replication");
    assert_eq!(got.rules().len(), 1);
    let rule = &got.rules()[0];
    assert_eq!(rule.id(), Some("rule-1"));
    assert_eq!(rule.priority(), Some(1));
    assert_eq!(rule.status(), &ReplicationRuleStatus::Enabled);
    assert_eq!(rule.filter().and_then(|f| f.prefix()), Some("logs/"));
    assert_eq!(
        rule.destination().map(|d| d.bucket()),
        Some("arn:aws:s3:::dst")
    );
    assert_eq!(
        rule.destination().and_then(|d| d.storage_class()),
        Some(&StorageClass::StandardIa)
    );
    assert_eq!(
        rule.delete_marker_replication().and_then(|d| d.status()),
        Some(&DeleteMarkerReplicationStatus::Disabled)
    );
    c.delete_bucket_replication()
        .bucket("src")
        .send()
        .await
        .expect("delete replication");
    let err = c
        .get_bucket_replication()
        .bucket("src")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(code(&err), "ReplicationConfigurationNotFoundError");

    let err = c
        .get_bucket_ownership_controls()
        .bucket("src")
        .send()
        .await
        .expect_err("none");
    assert_eq!(code(&err), "OwnershipControlsNotFoundError");
    c.put_bucket_ownership_controls()
        .bucket("src")
        .ownership_controls(
            OwnershipControls::builder()
                .rules(
                    OwnershipControlsRule::builder()
                        .object_ownership(ObjectOwnership::BucketOwnerPreferred)
                        .build()
                        .expect("rule"),
                )
                .build()
                .expect("controls"),
        )
        .send()
        .await
        .expect("put ownership");
    let got = c
        .get_bucket_ownership_controls()
        .bucket("src")
        .send()
        .await
        .expect("get ownership");
    let rules = got
        .ownership_controls()
        .map(|o| o.rules().to_vec())
        .unwrap_or_default();
    assert_eq!(rules.len(), 1);
    assert_eq!(
        rules[0].object_ownership(),
        &ObjectOwnership::BucketOwnerPreferred
    );
    c.delete_bucket_ownership_controls()
        .bucket("src")
        .send()
        .await
        .expect("delete ownership");
    let err = c
        .get_bucket_ownership_controls()
        .bucket("src")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(code(&err), "OwnershipControlsNotFoundError");

    let err = c
        .get_bucket_encryption()
        .bucket("src")
        .send()
        .await
        .expect_err("none");
    assert_eq!(code(&err), "ServerSideEncryptionConfigurationNotFoundError");
    c.put_bucket_encryption()
        .bucket("src")
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::Aes256)
                                .build()
                                .expect("default"),
                        )
                        .build(),
                )
                .build()
                .expect("sse config"),
        )
        .send()
        .await
        .expect("put encryption");
    let got = c
        .get_bucket_encryption()
        .bucket("src")
        .send()
        .await
        .expect("get encryption");
    let algorithm = got
        .server_side_encryption_configuration()
        .and_then(|cfg| cfg.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .map(|d| d.sse_algorithm().clone());
    assert_eq!(algorithm, Some(ServerSideEncryption::Aes256));
    put(&c, "src", "encrypted", b"data").await;
    let head = c
        .head_object()
        .bucket("src")
        .key("encrypted")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn object_tagging() {
    let (sandbox, c) = start().await;
    c.create_bucket()
        .bucket("tags")
        .send()
        .await
        .expect("create");
    c.put_bucket_versioning()
        .bucket("tags")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("enable");
    c.put_object()
        .bucket("tags")
        .key("t")
        .body(ByteStream::from_static(b"1"))
        .tagging("k1=v1&key%202=value%202")
        .send()
        .await
        .expect("put");
    let got = c
        .get_object_tagging()
        .bucket("tags")
        .key("t")
        .send()
        .await
        .expect("get tags");
    let mut tags: Vec<(String, String)> = got
        .tag_set()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("k1".to_owned(), "v1".to_owned()),
            ("key 2".to_owned(), "value 2".to_owned())
        ]
    );
    let first = got.version_id().expect("version").to_owned();

    put(&c, "tags", "t", b"2").await;
    c.put_object_tagging()
        .bucket("tags")
        .key("t")
        .version_id(&first)
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("old").value("yes").build().expect("tag"))
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect("put tags on old version");
    let latest = c
        .get_object_tagging()
        .bucket("tags")
        .key("t")
        .send()
        .await
        .expect("latest tags");
    assert!(latest.tag_set().is_empty());
    let old = c
        .get_object_tagging()
        .bucket("tags")
        .key("t")
        .version_id(&first)
        .send()
        .await
        .expect("old tags");
    assert_eq!(old.tag_set().len(), 1);
    assert_eq!(old.tag_set()[0].key(), "old");

    c.delete_object_tagging()
        .bucket("tags")
        .key("t")
        .version_id(&first)
        .send()
        .await
        .expect("delete tags");
    let old = c
        .get_object_tagging()
        .bucket("tags")
        .key("t")
        .version_id(&first)
        .send()
        .await
        .expect("old tags");
    assert!(old.tag_set().is_empty());

    let too_many: Vec<Tag> = (0..11)
        .map(|i| {
            Tag::builder()
                .key(format!("k{i}"))
                .value("v")
                .build()
                .expect("tag")
        })
        .collect();
    let err = c
        .put_object_tagging()
        .bucket("tags")
        .key("t")
        .tagging(
            Tagging::builder()
                .set_tag_set(Some(too_many))
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect_err("too many");
    assert_eq!(status(&err), 400);
    let err = c
        .get_object_tagging()
        .bucket("tags")
        .key("missing")
        .send()
        .await
        .expect_err("missing");
    assert_eq!(code(&err), "NoSuchKey");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn checksums_are_verified_stored_and_returned() {
    let sandbox = Sandbox::start(SandboxOptions::default())
        .await
        .expect("start");
    // SDK defaults: CRC32 sent as an aws-chunked trailer, responses validated.
    let sdk = client_with(&sandbox.url(), "any", "thing", true);
    sdk.create_bucket()
        .bucket("sums")
        .send()
        .await
        .expect("create");
    let body = b"checksummed body".repeat(1000);
    sdk.put_object()
        .bucket("sums")
        .key("obj")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("put with trailer checksum");
    let got = sdk
        .get_object()
        .bucket("sums")
        .key("obj")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("get");
    let crc = got
        .checksum_crc32()
        .map(str::to_owned)
        .expect("crc32 stored");
    assert_eq!(
        &got.body
            .collect()
            .await
            .expect("validated body")
            .into_bytes()[..],
        &body[..]
    );

    let plain = client(&sandbox.url());
    let head = plain
        .head_object()
        .bucket("sums")
        .key("obj")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("head");
    assert_eq!(head.checksum_crc32(), Some(crc.as_str()));
    let head = plain
        .head_object()
        .bucket("sums")
        .key("obj")
        .send()
        .await
        .expect("head");
    assert!(head.checksum_crc32().is_none());

    let err = plain
        .put_object()
        .bucket("sums")
        .key("bad")
        .body(ByteStream::from(body.clone()))
        .checksum_crc32("AAAAAA==")
        .send()
        .await
        .expect_err("bad checksum");
    assert_eq!(code(&err), "BadDigest");
    plain
        .put_object()
        .bucket("sums")
        .key("good")
        .body(ByteStream::from(body))
        .checksum_crc32(&crc)
        .send()
        .await
        .expect("matching checksum");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn data_dir_survives_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = || SandboxOptions {
        data_dir: Some(dir.path().to_path_buf()),
        ..SandboxOptions::default()
    };
    let sandbox = Sandbox::start(opts()).await.expect("start");
    let c = client(&sandbox.url());
    c.create_bucket()
        .bucket("keep")
        .send()
        .await
        .expect("create");
    c.put_bucket_versioning()
        .bucket("keep")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("enable");
    let v1 = put(&c, "keep", "a/é+b", b"first").await;
    let v2 = put(&c, "keep", "a/é+b", b"second").await;
    put(&c, "keep", "gone", b"bye").await;
    c.delete_object()
        .bucket("keep")
        .key("gone")
        .send()
        .await
        .expect("delete");
    put(&c, "keep", "empty", b"").await;
    c.put_bucket_ownership_controls()
        .bucket("keep")
        .ownership_controls(
            OwnershipControls::builder()
                .rules(
                    OwnershipControlsRule::builder()
                        .object_ownership(ObjectOwnership::BucketOwnerEnforced)
                        .build()
                        .expect("rule"),
                )
                .build()
                .expect("controls"),
        )
        .send()
        .await
        .expect("ownership");
    c.put_bucket_replication()
        .bucket("keep")
        .replication_configuration(
            ReplicationConfiguration::builder()
                .role("arn:aws:iam::123456789012:role/keep")
                .rules(
                    ReplicationRule::builder()
                        .id("persisted")
                        .status(ReplicationRuleStatus::Enabled)
                        .filter(ReplicationRuleFilter::builder().prefix("a/").build())
                        .destination(
                            Destination::builder()
                                .bucket("arn:aws:s3:::elsewhere")
                                .build()
                                .expect("dest"),
                        )
                        .build()
                        .expect("rule"),
                )
                .build()
                .expect("config"),
        )
        .send()
        .await
        .expect("replication");
    c.copy_object()
        .bucket("keep")
        .key("copied")
        .copy_source(copy_source("keep", "a/é+b"))
        .send()
        .await
        .expect("copy");
    sandbox.shutdown().await;
    assert!(dir.path().join("index.json").exists());

    let sandbox = Sandbox::start(opts()).await.expect("restart");
    let c = client(&sandbox.url());
    assert_eq!(get(&c, "keep", "a/é+b").await, b"second");
    assert_eq!(get(&c, "keep", "copied").await, b"second");
    assert_eq!(get(&c, "keep", "empty").await, b"");
    let old = c
        .get_object()
        .bucket("keep")
        .key("a/é+b")
        .version_id(&v1)
        .send()
        .await
        .expect("v1");
    assert_eq!(
        &old.body.collect().await.expect("body").into_bytes()[..],
        b"first"
    );
    let st = c
        .get_bucket_versioning()
        .bucket("keep")
        .send()
        .await
        .expect("versioning");
    assert_eq!(st.status(), Some(&BucketVersioningStatus::Enabled));
    let versions = c
        .list_object_versions()
        .bucket("keep")
        .prefix("a/")
        .send()
        .await
        .expect("versions");
    let ids: Vec<&str> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(ids, [v2.as_str(), v1.as_str()]);
    let err = c
        .head_object()
        .bucket("keep")
        .key("gone")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(status(&err), 404);
    let own = c
        .get_bucket_ownership_controls()
        .bucket("keep")
        .send()
        .await
        .expect("ownership");
    assert_eq!(
        own.ownership_controls()
            .map(|o| o.rules()[0].object_ownership().clone()),
        Some(ObjectOwnership::BucketOwnerEnforced)
    );

    let replication = c
        .get_bucket_replication()
        .bucket("keep")
        .send()
        .await
        .expect("replication");
    let rule = replication
        .replication_configuration()
        .map(|r| r.rules()[0].clone())
        .expect("rule");
    assert_eq!(rule.id(), Some("persisted"));
    assert_eq!(rule.filter().and_then(|f| f.prefix()), Some("a/"));
    assert_eq!(
        rule.destination().map(|d| d.bucket()),
        Some("arn:aws:s3:::elsewhere")
    );

    // Deleting a version removes its blob file once the index no longer needs it.
    let blobs_before = std::fs::read_dir(dir.path().join("blobs"))
        .expect("blobs")
        .count();
    c.delete_object()
        .bucket("keep")
        .key("a/é+b")
        .version_id(&v1)
        .send()
        .await
        .expect("delete v1");
    let blobs_after = std::fs::read_dir(dir.path().join("blobs"))
        .expect("blobs")
        .count();
    assert_eq!(blobs_after + 1, blobs_before);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn memory_mode_leaves_no_files_and_drop_stops_server() {
    let cwd_before: Vec<_> = std::fs::read_dir(".")
        .expect("cwd")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    let sandbox = Sandbox::start(SandboxOptions::default())
        .await
        .expect("start");
    let url = sandbox.url();
    let c = client(&url);
    c.create_bucket()
        .bucket("mem")
        .send()
        .await
        .expect("create");
    put(&c, "mem", "k", b"v").await;
    let cwd_after: Vec<_> = std::fs::read_dir(".")
        .expect("cwd")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(cwd_before.len(), cwd_after.len());
    drop(sandbox);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let fresh = client(&url);
    assert!(fresh.list_buckets().send().await.is_err());
}

#[tokio::test]
async fn credentials_mode_checks_signatures() {
    let sandbox = Sandbox::start(SandboxOptions {
        credentials: Some(("AKIDSANDBOX".to_owned(), "sandbox-secret".to_owned())),
        ..SandboxOptions::default()
    })
    .await
    .expect("start");
    let wrong = client_with(&sandbox.url(), "AKIDSANDBOX", "not-the-secret", false);
    let err = wrong.list_buckets().send().await.expect_err("wrong secret");
    assert_eq!(status(&err), 403);
    assert_eq!(code(&err), "SignatureDoesNotMatch");
    let unknown = client_with(&sandbox.url(), "SOMEONEELSE", "sandbox-secret", false);
    let err = unknown
        .list_buckets()
        .send()
        .await
        .expect_err("unknown key");
    assert_eq!(status(&err), 403);

    let right = client_with(&sandbox.url(), "AKIDSANDBOX", "sandbox-secret", true);
    right
        .create_bucket()
        .bucket("auth")
        .send()
        .await
        .expect("create");
    right
        .put_object()
        .bucket("auth")
        .key("k")
        .body(ByteStream::from_static(b"signed"))
        .send()
        .await
        .expect("put");
    assert_eq!(get(&right, "auth", "k").await, b"signed");
    let err = wrong
        .get_object()
        .bucket("auth")
        .key("k")
        .send()
        .await
        .expect_err("wrong secret");
    assert_eq!(status(&err), 403);
    sandbox.shutdown().await;
}

/// Minimal HTTP/1.1 GET over a raw socket, for requests the SDK cannot make
/// (presigned URLs, anonymous requests).
async fn raw_get(url: &str) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text_end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&response[..text_end]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, response[text_end + 4..].to_vec())
}

#[tokio::test]
async fn conditional_requests_presigned_and_anonymous() {
    let (sandbox, c) = start().await;
    c.create_bucket()
        .bucket("cond")
        .send()
        .await
        .expect("create");
    put(&c, "cond", "k", b"content").await;
    let etag = format!("\"{}\"", md5_hex(b"content"));

    let err = c
        .get_object()
        .bucket("cond")
        .key("k")
        .if_none_match(&etag)
        .send()
        .await
        .expect_err("not modified");
    assert_eq!(status(&err), 304);
    let err = c
        .get_object()
        .bucket("cond")
        .key("k")
        .if_match("\"00000000000000000000000000000000\"")
        .send()
        .await
        .expect_err("precondition");
    assert_eq!(status(&err), 412);
    let ok = c
        .get_object()
        .bucket("cond")
        .key("k")
        .if_match(&etag)
        .send()
        .await
        .expect("if-match");
    assert_eq!(ok.e_tag(), Some(etag.as_str()));

    let err = c
        .put_object()
        .bucket("cond")
        .key("k")
        .if_none_match("*")
        .body(ByteStream::from_static(b"other"))
        .send()
        .await
        .expect_err("exists");
    assert_eq!(status(&err), 412);
    c.put_object()
        .bucket("cond")
        .key("new")
        .if_none_match("*")
        .body(ByteStream::from_static(b"fresh"))
        .send()
        .await
        .expect("create-only put");

    let presigned = c
        .get_object()
        .bucket("cond")
        .key("k")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(
                300,
            ))
            .expect("presigning config"),
        )
        .await
        .expect("presign");
    assert!(presigned.uri().contains("X-Amz-Signature="));
    let (code, body) = raw_get(presigned.uri()).await;
    assert_eq!(code, 200);
    assert_eq!(body, b"content");

    let (code, body) = raw_get(&format!("{}/cond/new", sandbox.url())).await;
    assert_eq!(code, 200);
    assert_eq!(body, b"fresh");
    let (code, _) = raw_get(&format!("{}/cond/missing", sandbox.url())).await;
    assert_eq!(code, 404);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn generated_objects_list_page_by_page_and_read_back() {
    let generate: s3ferry::sandbox::Generate = "s3://scale/keys/:2500".parse().expect("parse");
    assert_eq!(
        (
            generate.bucket.as_str(),
            generate.prefix.as_str(),
            generate.count
        ),
        ("scale", "keys/", 2500)
    );
    for bad in ["s3://scale/keys/", "scale/keys:10", "s3://scale/keys/:ten"] {
        assert!(
            bad.parse::<s3ferry::sandbox::Generate>().is_err(),
            "{bad} accepted"
        );
    }
    let sandbox = Sandbox::start(SandboxOptions {
        generate: vec![generate],
        ..SandboxOptions::default()
    })
    .await
    .expect("start");
    let c = client(&sandbox.url());
    let mut keys = Vec::new();
    let mut pages = c
        .list_objects_v2()
        .bucket("scale")
        .prefix("keys/")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.expect("page");
        keys.extend(
            page.contents()
                .iter()
                .map(|o| (o.key().unwrap_or_default().to_string(), o.size())),
        );
    }
    assert_eq!(keys.len(), 2500);
    assert_eq!(keys[0].0, "keys/000000000");
    assert_eq!(keys[2499].0, "keys/000002499");
    let body = get(&c, "scale", "keys/000001234").await;
    assert_eq!(keys[1234].1, Some(body.len() as i64));
    let head = c
        .head_object()
        .bucket("scale")
        .key("keys/000001234")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.e_tag().map(|e| e.trim_matches('"').to_string()),
        Some(md5_hex(&body))
    );
}
