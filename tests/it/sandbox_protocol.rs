//! Protocol tests for the in-process sandbox S3 server, driven by the real
//! aws-sdk-s3 client over HTTP.

use aws_sdk_s3::config::{
    BehaviorVersion, Builder, Credentials, Region, RequestChecksumCalculation,
    ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{
    BucketVersioningStatus, ChecksumMode, CompletedMultipartUpload, CompletedPart,
    DefaultRetention, Delete, DeleteMarkerReplication, DeleteMarkerReplicationStatus, Destination,
    EncodingType, MetadataDirective, ObjectIdentifier, ObjectLockConfiguration, ObjectLockEnabled,
    ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockMode, ObjectLockRetention,
    ObjectLockRetentionMode, ObjectLockRule, ObjectOwnership, OwnershipControls,
    OwnershipControlsRule, ReplicationConfiguration, ReplicationRule, ReplicationRuleFilter,
    ReplicationRuleStatus, RestoreRequest, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, StorageClass, Tag, Tagging,
    TaggingDirective, VersioningConfiguration,
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
        .storage_class(StorageClass::OnezoneIa)
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
    assert_eq!(head.storage_class(), Some(&StorageClass::OnezoneIa));
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
    raw_request("GET", url, b"").await
}

/// An unsigned HTTP/1.1 request, for answers the SDK does not expose.
async fn raw_request(method: &str, url: &str, body: &[u8]) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write body");
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

// AWS behaviours that moto and Garage soften, which the engine's safety
// checks must be able to meet (DESIGN.md 4b.6).

const PART: usize = 5 * 1024 * 1024;

fn quoted_md5(data: &[u8]) -> String {
    format!("\"{}\"", md5_hex(data))
}

/// S3 gives encrypted objects 32 hex digits that are not the MD5 of the data.
fn assert_opaque_etag(etag: Option<&str>, data: &[u8]) {
    let etag = etag.expect("etag");
    let inner = etag.trim_matches('"');
    assert_eq!(inner.len(), 32, "{etag}");
    assert!(inner.bytes().all(|b| b.is_ascii_hexdigit()), "{etag}");
    assert_ne!(
        inner,
        md5_hex(data),
        "an encrypted object's ETag is not its MD5"
    );
}

fn content_md5(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

/// SSE-C headers: the base64 key and the base64 MD5 of the key.
fn customer_key() -> (String, String) {
    use base64::Engine as _;
    let key = [7u8; 32];
    let b64 = base64::engine::general_purpose::STANDARD;
    (b64.encode(key), b64.encode(Md5::digest(key)))
}

fn from_now(secs: i64) -> DateTime {
    DateTime::from_secs(chrono::Utc::now().timestamp() + secs)
}

async fn create_bucket(c: &Client, bucket: &str) {
    c.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {bucket}: {e:?}"));
}

async fn enable_versioning(c: &Client, bucket: &str) {
    c.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("enable versioning");
}

async fn set_default_kms(c: &Client, bucket: &str) {
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::AwsKms)
                .build()
                .expect("default"),
        )
        .build();
    c.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .expect("config"),
        )
        .send()
        .await
        .expect("default encryption");
}

/// An Object Lock bucket, with a default retention of `days` when given.
async fn lock_bucket(c: &Client, bucket: &str, default: Option<(ObjectLockRetentionMode, i32)>) {
    c.create_bucket()
        .bucket(bucket)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .expect("create lock bucket");
    if let Some((mode, days)) = default {
        put_lock_rule(c, bucket, mode, days)
            .await
            .expect("lock rule");
    }
}

async fn put_lock_rule(
    c: &Client,
    bucket: &str,
    mode: ObjectLockRetentionMode,
    days: i32,
) -> Result<
    aws_sdk_s3::operation::put_object_lock_configuration::PutObjectLockConfigurationOutput,
    SdkError<aws_sdk_s3::operation::put_object_lock_configuration::PutObjectLockConfigurationError>,
> {
    c.put_object_lock_configuration()
        .bucket(bucket)
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder().mode(mode).days(days).build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
}

async fn put_with_md5(c: &Client, bucket: &str, key: &str, body: &[u8]) -> String {
    let out = c
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_md5(content_md5(body))
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key:?}: {e:?}"));
    out.version_id().expect("version id").to_owned()
}

async fn complete(
    c: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    etags: &[String],
) -> aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput {
    let mut parts = CompletedMultipartUpload::builder();
    for (i, etag) in etags.iter().enumerate() {
        parts = parts.parts(
            CompletedPart::builder()
                .part_number(i as i32 + 1)
                .e_tag(etag)
                .build(),
        );
    }
    c.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(parts.build())
        .send()
        .await
        .expect("complete")
}

#[tokio::test]
async fn encrypted_puts_get_opaque_etags() {
    let (sandbox, c) = start().await;
    create_bucket(&c, "enc").await;
    let body = b"the same bytes every time";

    let plain = c
        .put_object()
        .bucket("enc")
        .key("plain")
        .body(ByteStream::from_static(body))
        .send()
        .await
        .expect("plain");
    assert_eq!(plain.e_tag(), Some(quoted_md5(body).as_str()));
    assert!(plain.server_side_encryption().is_none());
    let s3 = c
        .put_object()
        .bucket("enc")
        .key("sse-s3")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from_static(body))
        .send()
        .await
        .expect("aes256");
    assert_eq!(s3.e_tag(), Some(quoted_md5(body).as_str()));

    let kms = c
        .put_object()
        .bucket("enc")
        .key("kms")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from_static(body))
        .send()
        .await
        .expect("kms");
    assert_opaque_etag(kms.e_tag(), body);
    assert_eq!(
        kms.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert!(kms
        .ssekms_key_id()
        .is_some_and(|k| k.starts_with("arn:aws:kms:us-east-1:")));
    let again = c
        .put_object()
        .bucket("enc")
        .key("kms-again")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id("1234abcd-12ab-34cd-56ef-1234567890ab")
        .body(ByteStream::from_static(body))
        .send()
        .await
        .expect("kms again");
    assert_opaque_etag(again.e_tag(), body);
    assert_ne!(
        again.e_tag(),
        kms.e_tag(),
        "opaque ETags are not derived from the data"
    );
    assert_eq!(
        again.ssekms_key_id(),
        Some("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    );

    let dsse = c
        .put_object()
        .bucket("enc")
        .key("dsse")
        .server_side_encryption(ServerSideEncryption::AwsKmsDsse)
        .body(ByteStream::from_static(body))
        .send()
        .await
        .expect("dsse");
    assert_opaque_etag(dsse.e_tag(), body);
    assert_eq!(
        dsse.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKmsDsse)
    );

    let (key, key_md5) = customer_key();
    let ssec = c
        .put_object()
        .bucket("enc")
        .key("sse-c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&key_md5)
        .body(ByteStream::from_static(body))
        .send()
        .await
        .expect("sse-c");
    assert_opaque_etag(ssec.e_tag(), body);
    assert_eq!(ssec.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(ssec.sse_customer_key_md5(), Some(key_md5.as_str()));

    // HEAD, GET and listings report the stored ETag; conditions compare with it.
    let head = c
        .head_object()
        .bucket("enc")
        .key("kms")
        .send()
        .await
        .expect("head");
    assert_eq!(head.e_tag(), kms.e_tag());
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(head.ssekms_key_id(), kms.ssekms_key_id());
    let head = c
        .head_object()
        .bucket("enc")
        .key("sse-c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&key_md5)
        .send()
        .await
        .expect("head sse-c");
    assert_eq!(head.e_tag(), ssec.e_tag());
    assert_eq!(head.sse_customer_algorithm(), Some("AES256"));
    let err = c
        .get_object()
        .bucket("enc")
        .key("kms")
        .if_match(quoted_md5(body))
        .send()
        .await
        .expect_err("the MD5 is not the ETag");
    assert_eq!(status(&err), 412);
    let got = c
        .get_object()
        .bucket("enc")
        .key("kms")
        .if_match(kms.e_tag().expect("etag"))
        .send()
        .await
        .expect("if-match on the stored ETag");
    assert_eq!(got.e_tag(), kms.e_tag());
    assert_eq!(
        got.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    let listed = c
        .list_objects_v2()
        .bucket("enc")
        .prefix("dsse")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.contents()[0].e_tag(), dsse.e_tag());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn bucket_default_kms_gives_opaque_etags() {
    let (sandbox, c) = start().await;
    create_bucket(&c, "kmsdefault").await;
    set_default_kms(&c, "kmsdefault").await;
    let body = b"default encrypted";

    let out = c
        .put_object()
        .bucket("kmsdefault")
        .key("k")
        .body(ByteStream::from_static(body))
        .send()
        .await
        .expect("put");
    assert_opaque_etag(out.e_tag(), body);
    assert_eq!(
        out.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert!(out.ssekms_key_id().is_some());
    let head = c
        .head_object()
        .bucket("kmsdefault")
        .key("k")
        .send()
        .await
        .expect("head");
    assert_eq!(head.e_tag(), out.e_tag());
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );

    // Explicit SSE-S3 wins over the default and keeps the MD5.
    let s3 = c
        .put_object()
        .bucket("kmsdefault")
        .key("aes")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from_static(body))
        .send()
        .await
        .expect("put aes");
    assert_eq!(s3.e_tag(), Some(quoted_md5(body).as_str()));
    assert_eq!(
        s3.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn kms_multipart_uploads_get_opaque_part_etags() {
    let (sandbox, c) = start().await;
    create_bucket(&c, "mpkms").await;
    let first: Vec<u8> = (0..PART).map(|i| (i % 253) as u8).collect();
    let tail = b"last part".to_vec();
    put(&c, "mpkms", "plain-source", &first).await;

    let created = c
        .create_multipart_upload()
        .bucket("mpkms")
        .key("kms")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .send()
        .await
        .expect("create");
    assert_eq!(
        created.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    let upload_id = created.upload_id().expect("id").to_owned();
    let part1 = c
        .upload_part_copy()
        .bucket("mpkms")
        .key("kms")
        .upload_id(&upload_id)
        .part_number(1)
        .copy_source("mpkms/plain-source")
        .send()
        .await
        .expect("part copy");
    let part1_etag = part1
        .copy_part_result()
        .and_then(|r| r.e_tag())
        .expect("etag")
        .to_owned();
    assert_opaque_etag(Some(&part1_etag), &first);
    assert_eq!(
        part1.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    let part2 = c
        .upload_part()
        .bucket("mpkms")
        .key("kms")
        .upload_id(&upload_id)
        .part_number(2)
        .body(ByteStream::from(tail.clone()))
        .send()
        .await
        .expect("part");
    assert_opaque_etag(part2.e_tag(), &tail);
    assert_eq!(
        part2.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert!(part2.ssekms_key_id().is_some());
    let part2_etag = part2.e_tag().expect("etag").to_owned();
    let done = complete(&c, "mpkms", "kms", &upload_id, &[part1_etag, part2_etag]).await;
    assert_eq!(
        done.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(done.ssekms_key_id(), part2.ssekms_key_id());
    let etag = done.e_tag().expect("etag").to_owned();
    let mut md5s = Vec::new();
    md5s.extend_from_slice(&Md5::digest(&first));
    md5s.extend_from_slice(&Md5::digest(&tail));
    assert!(etag.ends_with("-2\""), "{etag}");
    assert_ne!(etag, format!("\"{}-2\"", md5_hex(&md5s)));
    let head = c
        .head_object()
        .bucket("mpkms")
        .key("kms")
        .send()
        .await
        .expect("head");
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );

    // A KMS bucket default reaches uploads that ask for nothing.
    set_default_kms(&c, "mpkms").await;
    let created = c
        .create_multipart_upload()
        .bucket("mpkms")
        .key("dflt")
        .send()
        .await
        .expect("create");
    assert_eq!(
        created.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    let part = c
        .upload_part()
        .bucket("mpkms")
        .key("dflt")
        .upload_id(created.upload_id().expect("id"))
        .part_number(1)
        .body(ByteStream::from(tail.clone()))
        .send()
        .await
        .expect("part");
    assert_opaque_etag(part.e_tag(), &tail);

    // SSE-S3 parts keep their MD5s.
    let created = c
        .create_multipart_upload()
        .bucket("mpkms")
        .key("aes")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .expect("create");
    let part = c
        .upload_part()
        .bucket("mpkms")
        .key("aes")
        .upload_id(created.upload_id().expect("id"))
        .part_number(1)
        .body(ByteStream::from(tail.clone()))
        .send()
        .await
        .expect("part");
    assert_eq!(part.e_tag(), Some(quoted_md5(&tail).as_str()));
    assert_eq!(
        part.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn copies_take_the_etag_of_their_destination_encryption() {
    let (sandbox, c) = start().await;
    create_bucket(&c, "cpenc").await;
    create_bucket(&c, "cpkms").await;
    set_default_kms(&c, "cpkms").await;
    let body = b"copied around";
    put(&c, "cpenc", "plain", body).await;

    let into_kms = c
        .copy_object()
        .bucket("cpenc")
        .key("kms")
        .copy_source("cpenc/plain")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .send()
        .await
        .expect("copy into kms");
    let kms_etag = into_kms
        .copy_object_result()
        .and_then(|r| r.e_tag())
        .map(str::to_owned);
    assert_opaque_etag(kms_etag.as_deref(), body);
    assert_eq!(
        into_kms.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert!(into_kms
        .ssekms_key_id()
        .is_some_and(|k| k.starts_with("arn:aws:kms:")));
    let head = c
        .head_object()
        .bucket("cpenc")
        .key("kms")
        .send()
        .await
        .expect("head");
    assert_eq!(head.e_tag(), kms_etag.as_deref());

    let (key, key_md5) = customer_key();
    let into_ssec = c
        .copy_object()
        .bucket("cpenc")
        .key("ssec")
        .copy_source("cpenc/plain")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&key_md5)
        .send()
        .await
        .expect("copy into sse-c");
    assert_opaque_etag(into_ssec.copy_object_result().and_then(|r| r.e_tag()), body);

    let by_default = c
        .copy_object()
        .bucket("cpkms")
        .key("k")
        .copy_source("cpenc/plain")
        .send()
        .await
        .expect("copy into kms bucket");
    assert_opaque_etag(
        by_default.copy_object_result().and_then(|r| r.e_tag()),
        body,
    );
    assert_eq!(
        by_default.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );

    // Out of KMS the copy's ETag is the MD5 of the bytes again.
    let to_aes = c
        .copy_object()
        .bucket("cpenc")
        .key("aes")
        .copy_source("cpenc/kms")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .expect("copy into aes256");
    assert_eq!(
        to_aes.copy_object_result().and_then(|r| r.e_tag()),
        Some(quoted_md5(body).as_str())
    );
    assert_eq!(
        to_aes.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    let to_plain = c
        .copy_object()
        .bucket("cpenc")
        .key("plain-again")
        .copy_source("cpkms/k")
        .send()
        .await
        .expect("copy out of the kms bucket");
    assert_eq!(
        to_plain.copy_object_result().and_then(|r| r.e_tag()),
        Some(quoted_md5(body).as_str())
    );
    assert!(to_plain.server_side_encryption().is_none());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn delete_object_if_match() {
    let (sandbox, c) = start().await;
    create_bucket(&c, "cdel").await;
    put(&c, "cdel", "k", b"content").await;

    let err = c
        .delete_object()
        .bucket("cdel")
        .key("k")
        .if_match("\"00000000000000000000000000000000\"")
        .send()
        .await
        .expect_err("mismatch");
    assert_eq!(
        (status(&err), code(&err)),
        (412, "PreconditionFailed".to_owned())
    );
    assert_eq!(get(&c, "cdel", "k").await, b"content");
    let err = c
        .delete_object()
        .bucket("cdel")
        .key("missing")
        .if_match("*")
        .send()
        .await
        .expect_err("absent");
    assert_eq!((status(&err), code(&err)), (404, "NoSuchKey".to_owned()));
    c.delete_object()
        .bucket("cdel")
        .key("k")
        .if_match(quoted_md5(b"content"))
        .send()
        .await
        .expect("matching delete");
    let err = c
        .head_object()
        .bucket("cdel")
        .key("k")
        .send()
        .await
        .expect_err("gone");
    assert_eq!(status(&err), 404);
    put(&c, "cdel", "any", b"x").await;
    c.delete_object()
        .bucket("cdel")
        .key("any")
        .if_match("*")
        .send()
        .await
        .expect("* matches any object");
    let err = c
        .head_object()
        .bucket("cdel")
        .key("any")
        .send()
        .await
        .expect_err("gone");
    assert_eq!(status(&err), 404);

    // A delete marker on top counts as no object.
    create_bucket(&c, "cdelv").await;
    enable_versioning(&c, "cdelv").await;
    put(&c, "cdelv", "k", b"v").await;
    c.delete_object()
        .bucket("cdelv")
        .key("k")
        .send()
        .await
        .expect("marker");
    let err = c
        .delete_object()
        .bucket("cdelv")
        .key("k")
        .if_match("*")
        .send()
        .await
        .expect_err("marker is current");
    assert_eq!((status(&err), code(&err)), (404, "NoSuchKey".to_owned()));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn conditional_delete_of_a_version_checks_the_current_version() {
    let (sandbox, c) = start().await;
    create_bucket(&c, "cdver").await;
    enable_versioning(&c, "cdver").await;
    let v1 = put(&c, "cdver", "k", b"one").await;
    let v2 = put(&c, "cdver", "k", b"two").await;

    let err = c
        .delete_object()
        .bucket("cdver")
        .key("k")
        .version_id(&v1)
        .if_match(quoted_md5(b"one"))
        .send()
        .await
        .expect_err("v1's ETag is not the current one");
    assert_eq!(status(&err), 412);
    let old = c
        .get_object()
        .bucket("cdver")
        .key("k")
        .version_id(&v1)
        .send()
        .await;
    assert!(old.is_ok(), "v1 must survive a failed conditional delete");

    let out = c
        .delete_object()
        .bucket("cdver")
        .key("k")
        .version_id(&v1)
        .if_match(quoted_md5(b"two"))
        .send()
        .await
        .expect("condition holds on the current version");
    assert_eq!(out.version_id(), Some(v1.as_str()));
    let versions = c
        .list_object_versions()
        .bucket("cdver")
        .send()
        .await
        .expect("versions");
    let ids: Vec<&str> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(ids, [v2.as_str()]);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn delete_objects_checks_each_etag() {
    let (sandbox, c) = start().await;
    create_bucket(&c, "bdel").await;
    for key in ["a", "b", "c", "d"] {
        put(&c, "bdel", key, key.as_bytes()).await;
    }
    let id = |key: &str, etag: Option<String>| {
        ObjectIdentifier::builder()
            .key(key)
            .set_e_tag(etag)
            .build()
            .expect("id")
    };
    let out = c
        .delete_objects()
        .bucket("bdel")
        .delete(
            Delete::builder()
                .objects(id("a", Some(quoted_md5(b"a"))))
                .objects(id("b", Some(quoted_md5(b"not b"))))
                .objects(id("c", None))
                .objects(id("d", Some("*".to_owned())))
                .objects(id("missing", Some(quoted_md5(b"m"))))
                .build()
                .expect("delete"),
        )
        .send()
        .await
        .expect("delete objects");
    let mut deleted: Vec<&str> = out.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort_unstable();
    assert_eq!(deleted, ["a", "c", "d"]);
    let mut errors: Vec<(&str, &str)> = out
        .errors()
        .iter()
        .map(|e| (e.key().unwrap_or(""), e.code().unwrap_or("")))
        .collect();
    errors.sort_unstable();
    assert_eq!(
        errors,
        [("b", "PreconditionFailed"), ("missing", "NoSuchKey")]
    );
    assert_eq!(get(&c, "bdel", "b").await, b"b");
    let err = c
        .head_object()
        .bucket("bdel")
        .key("a")
        .send()
        .await
        .expect_err("a deleted");
    assert_eq!(status(&err), 404);

    // With a version id the ETag is still compared with the current version.
    create_bucket(&c, "bdelv").await;
    enable_versioning(&c, "bdelv").await;
    let v1 = put(&c, "bdelv", "k", b"one").await;
    put(&c, "bdelv", "k", b"two").await;
    let versioned = |etag: &[u8]| {
        ObjectIdentifier::builder()
            .key("k")
            .version_id(&v1)
            .e_tag(quoted_md5(etag))
            .build()
            .expect("id")
    };
    let out = c
        .delete_objects()
        .bucket("bdelv")
        .delete(
            Delete::builder()
                .objects(versioned(b"one"))
                .build()
                .expect("delete"),
        )
        .send()
        .await
        .expect("delete objects");
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].code(), Some("PreconditionFailed"));
    assert_eq!(out.errors()[0].version_id(), Some(v1.as_str()));
    let out = c
        .delete_objects()
        .bucket("bdelv")
        .delete(
            Delete::builder()
                .objects(versioned(b"two"))
                .build()
                .expect("delete"),
        )
        .send()
        .await
        .expect("delete objects");
    assert!(out.errors().is_empty());
    assert_eq!(out.deleted()[0].version_id(), Some(v1.as_str()));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn object_lock_configuration_and_default_retention() {
    let (sandbox, c) = start().await;
    lock_bucket(&c, "locked", None).await;
    let versioning = c
        .get_bucket_versioning()
        .bucket("locked")
        .send()
        .await
        .expect("versioning");
    assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled));
    let config = c
        .get_object_lock_configuration()
        .bucket("locked")
        .send()
        .await
        .expect("lock config");
    let config = config.object_lock_configuration().expect("config");
    assert_eq!(
        config.object_lock_enabled(),
        Some(&ObjectLockEnabled::Enabled)
    );
    assert!(config.rule().is_none());

    put_lock_rule(&c, "locked", ObjectLockRetentionMode::Governance, 3)
        .await
        .expect("rule");
    let config = c
        .get_object_lock_configuration()
        .bucket("locked")
        .send()
        .await
        .expect("lock config");
    let retention = config
        .object_lock_configuration()
        .and_then(|c| c.rule())
        .and_then(|r| r.default_retention())
        .expect("default retention");
    assert_eq!(retention.mode(), Some(&ObjectLockRetentionMode::Governance));
    assert_eq!(retention.days(), Some(3));
    assert!(retention.years().is_none());
    let err = c
        .put_object_lock_configuration()
        .bucket("locked")
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder()
                                .mode(ObjectLockRetentionMode::Governance)
                                .days(1)
                                .years(1)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("days and years");
    assert_eq!(code(&err), "MalformedXML");

    // New versions get the default retention.
    let now = chrono::Utc::now().timestamp();
    put_with_md5(&c, "locked", "k", b"kept").await;
    let head = c
        .head_object()
        .bucket("locked")
        .key("k")
        .send()
        .await
        .expect("head");
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    let until = head
        .object_lock_retain_until_date()
        .expect("retain until")
        .secs();
    assert!((until - (now + 3 * 86_400)).abs() < 60, "{until} vs {now}");

    // An existing bucket can get Object Lock once versioning is enabled.
    create_bucket(&c, "later").await;
    let err = put_lock_rule(&c, "later", ObjectLockRetentionMode::Compliance, 1)
        .await
        .expect_err("not versioned");
    assert_eq!(
        (status(&err), code(&err)),
        (409, "InvalidBucketState".to_owned())
    );
    let err = c
        .put_object()
        .bucket("later")
        .key("k")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .content_md5(content_md5(b"x"))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("no object lock on this bucket");
    assert_eq!(code(&err), "InvalidRequest");
    enable_versioning(&c, "later").await;
    put_lock_rule(&c, "later", ObjectLockRetentionMode::Compliance, 1)
        .await
        .expect("rule once versioned");
    let err = c
        .put_bucket_versioning()
        .bucket("later")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .expect_err("cannot suspend");
    assert_eq!(code(&err), "InvalidBucketState");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn object_lock_writes_need_content_md5_or_a_checksum() {
    let (sandbox, c) = start().await;
    lock_bucket(
        &c,
        "lockmd5",
        Some((ObjectLockRetentionMode::Governance, 1)),
    )
    .await;

    let err = c
        .put_object()
        .bucket("lockmd5")
        .key("k")
        .body(ByteStream::from_static(b"no digest"))
        .send()
        .await
        .expect_err("digest required");
    assert_eq!(
        (status(&err), code(&err)),
        (400, "InvalidRequest".to_owned())
    );
    assert_eq!(
        err.message(),
        Some("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters")
    );
    put_with_md5(&c, "lockmd5", "k", b"with md5").await;
    // The SDK's default checksum (a CRC trailer) counts as well.
    let checksumming = client_with(&sandbox.url(), "test", "test", true);
    checksumming
        .put_object()
        .bucket("lockmd5")
        .key("crc")
        .body(ByteStream::from_static(b"with a checksum"))
        .send()
        .await
        .expect("put with checksum");
    c.put_object()
        .bucket("lockmd5")
        .key("sha")
        .checksum_sha256({
            let mut hasher = s3s::checksum::ChecksumHasher {
                sha256: Some(Default::default()),
                ..Default::default()
            };
            hasher.update(b"sha body");
            hasher.finalize().checksum_sha256.expect("sha256")
        })
        .body(ByteStream::from_static(b"sha body"))
        .send()
        .await
        .expect("put with sha256 header");

    // Every part of an upload too.
    let created = c
        .create_multipart_upload()
        .bucket("lockmd5")
        .key("mpu")
        .send()
        .await
        .expect("create");
    let upload_id = created.upload_id().expect("id");
    let err = c
        .upload_part()
        .bucket("lockmd5")
        .key("mpu")
        .upload_id(upload_id)
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .expect_err("part digest required");
    assert_eq!(code(&err), "InvalidRequest");
    assert_eq!(
        err.message(),
        Some("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Part requests with Object Lock parameters")
    );
    let part = c
        .upload_part()
        .bucket("lockmd5")
        .key("mpu")
        .upload_id(upload_id)
        .part_number(1)
        .content_md5(content_md5(b"part"))
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .expect("part with md5");
    let done = complete(
        &c,
        "lockmd5",
        "mpu",
        upload_id,
        &[part.e_tag().expect("etag").to_owned()],
    )
    .await;
    assert!(done.e_tag().is_some_and(|e| e.ends_with("-1\"")));
    let head = c
        .head_object()
        .bucket("lockmd5")
        .key("mpu")
        .send()
        .await
        .expect("head");
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));

    // Without a default rule only explicit lock headers need the digest.
    lock_bucket(&c, "lockplain", None).await;
    put(&c, "lockplain", "free", b"no lock parameters").await;
    let err = c
        .put_object()
        .bucket("lockplain")
        .key("held")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .body(ByteStream::from_static(b"held"))
        .send()
        .await
        .expect_err("legal hold needs a digest");
    assert_eq!(code(&err), "InvalidRequest");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn object_lock_headers_are_stored_and_reported() {
    let (sandbox, c) = start().await;
    lock_bucket(&c, "lockhdr", None).await;
    let until = from_now(86_400);
    let body = b"retained";
    c.put_object()
        .bucket("lockhdr")
        .key("k")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(until)
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .content_md5(content_md5(body))
        .body(ByteStream::from_static(body))
        .send()
        .await
        .expect("put");
    let head = c
        .head_object()
        .bucket("lockhdr")
        .key("k")
        .send()
        .await
        .expect("head");
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert_eq!(head.object_lock_retain_until_date(), Some(&until));
    assert_eq!(
        head.object_lock_legal_hold_status(),
        Some(&ObjectLockLegalHoldStatus::On)
    );
    let got = c
        .get_object()
        .bucket("lockhdr")
        .key("k")
        .send()
        .await
        .expect("get");
    assert_eq!(got.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert_eq!(got.object_lock_retain_until_date(), Some(&until));
    let retention = c
        .get_object_retention()
        .bucket("lockhdr")
        .key("k")
        .send()
        .await
        .expect("retention");
    let retention = retention.retention().expect("retention");
    assert_eq!(retention.mode(), Some(&ObjectLockRetentionMode::Compliance));
    assert_eq!(retention.retain_until_date(), Some(&until));
    let hold = c
        .get_object_legal_hold()
        .bucket("lockhdr")
        .key("k")
        .send()
        .await
        .expect("hold");
    assert_eq!(
        hold.legal_hold().and_then(|h| h.status()),
        Some(&ObjectLockLegalHoldStatus::On)
    );

    let err = c
        .put_object()
        .bucket("lockhdr")
        .key("half")
        .object_lock_mode(ObjectLockMode::Governance)
        .content_md5(content_md5(b"x"))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("mode without date");
    assert_eq!(code(&err), "InvalidArgument");

    // A copy takes its lock from the request, not from the source.
    c.copy_object()
        .bucket("lockhdr")
        .key("copy-free")
        .copy_source("lockhdr/k")
        .send()
        .await
        .expect("copy");
    let err = c
        .get_object_retention()
        .bucket("lockhdr")
        .key("copy-free")
        .send()
        .await
        .expect_err("no retention copied");
    assert_eq!(code(&err), "NoSuchObjectLockConfiguration");
    c.copy_object()
        .bucket("lockhdr")
        .key("copy-locked")
        .copy_source("lockhdr/k")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(until)
        .send()
        .await
        .expect("copy with lock");
    let head = c
        .head_object()
        .bucket("lockhdr")
        .key("copy-locked")
        .send()
        .await
        .expect("head");
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    assert!(head.object_lock_legal_hold_status().is_none());

    let created = c
        .create_multipart_upload()
        .bucket("lockhdr")
        .key("mpu")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(until)
        .send()
        .await
        .expect("create");
    let upload_id = created.upload_id().expect("id");
    let part = c
        .upload_part()
        .bucket("lockhdr")
        .key("mpu")
        .upload_id(upload_id)
        .part_number(1)
        .content_md5(content_md5(b"p"))
        .body(ByteStream::from_static(b"p"))
        .send()
        .await
        .expect("part");
    complete(
        &c,
        "lockhdr",
        "mpu",
        upload_id,
        &[part.e_tag().expect("etag").to_owned()],
    )
    .await;
    let head = c
        .head_object()
        .bucket("lockhdr")
        .key("mpu")
        .send()
        .await
        .expect("head");
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    assert_eq!(head.object_lock_retain_until_date(), Some(&until));

    // Retention can be extended freely; GOVERNANCE only shortened with a bypass.
    let later = from_now(2 * 86_400);
    let retention = |date: DateTime| {
        ObjectLockRetention::builder()
            .mode(ObjectLockRetentionMode::Governance)
            .retain_until_date(date)
            .build()
    };
    c.put_object_retention()
        .bucket("lockhdr")
        .key("mpu")
        .retention(retention(later))
        .send()
        .await
        .expect("extend");
    let err = c
        .put_object_retention()
        .bucket("lockhdr")
        .key("mpu")
        .retention(retention(until))
        .send()
        .await
        .expect_err("shorten");
    assert_eq!(code(&err), "AccessDenied");
    c.put_object_retention()
        .bucket("lockhdr")
        .key("mpu")
        .retention(retention(until))
        .bypass_governance_retention(true)
        .send()
        .await
        .expect("shorten with bypass");
    let err = c
        .put_object_retention()
        .bucket("lockhdr")
        .key("k")
        .retention(retention(later))
        .bypass_governance_retention(true)
        .send()
        .await
        .expect_err("COMPLIANCE cannot become GOVERNANCE");
    assert_eq!(code(&err), "AccessDenied");
    c.put_object_legal_hold()
        .bucket("lockhdr")
        .key("k")
        .legal_hold(
            ObjectLockLegalHold::builder()
                .status(ObjectLockLegalHoldStatus::Off)
                .build(),
        )
        .send()
        .await
        .expect("lift hold");
    let hold = c
        .get_object_legal_hold()
        .bucket("lockhdr")
        .key("k")
        .send()
        .await
        .expect("hold");
    assert_eq!(
        hold.legal_hold().and_then(|h| h.status()),
        Some(&ObjectLockLegalHoldStatus::Off)
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn locked_versions_cannot_be_deleted_by_version_id() {
    let (sandbox, c) = start().await;
    lock_bucket(
        &c,
        "lockdel",
        Some((ObjectLockRetentionMode::Governance, 1)),
    )
    .await;
    let v1 = put_with_md5(&c, "lockdel", "gov", b"governed").await;

    let err = c
        .delete_object()
        .bucket("lockdel")
        .key("gov")
        .version_id(&v1)
        .send()
        .await
        .expect_err("retained");
    assert_eq!((status(&err), code(&err)), (403, "AccessDenied".to_owned()));
    let batch = c
        .delete_objects()
        .bucket("lockdel")
        .delete(
            Delete::builder()
                .objects(
                    ObjectIdentifier::builder()
                        .key("gov")
                        .version_id(&v1)
                        .build()
                        .expect("id"),
                )
                .build()
                .expect("delete"),
        )
        .send()
        .await
        .expect("delete objects");
    assert_eq!(batch.errors().len(), 1);
    assert_eq!(batch.errors()[0].code(), Some("AccessDenied"));
    // A simple delete only adds a delete marker.
    let marker = c
        .delete_object()
        .bucket("lockdel")
        .key("gov")
        .send()
        .await
        .expect("marker");
    assert_eq!(marker.delete_marker(), Some(true));
    c.get_object()
        .bucket("lockdel")
        .key("gov")
        .version_id(&v1)
        .send()
        .await
        .expect("the version is still there");
    c.delete_object()
        .bucket("lockdel")
        .key("gov")
        .version_id(&v1)
        .bypass_governance_retention(true)
        .send()
        .await
        .expect("GOVERNANCE can be bypassed");

    // COMPLIANCE and legal holds cannot be bypassed.
    lock_bucket(&c, "lockcomp", None).await;
    let out = c
        .put_object()
        .bucket("lockcomp")
        .key("comp")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(from_now(86_400))
        .content_md5(content_md5(b"c"))
        .body(ByteStream::from_static(b"c"))
        .send()
        .await
        .expect("put");
    let comp = out.version_id().expect("version").to_owned();
    let err = c
        .delete_object()
        .bucket("lockcomp")
        .key("comp")
        .version_id(&comp)
        .bypass_governance_retention(true)
        .send()
        .await
        .expect_err("compliance");
    assert_eq!(code(&err), "AccessDenied");
    let out = c
        .put_object()
        .bucket("lockcomp")
        .key("held")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .content_md5(content_md5(b"h"))
        .body(ByteStream::from_static(b"h"))
        .send()
        .await
        .expect("put");
    let held = out.version_id().expect("version").to_owned();
    let err = c
        .delete_object()
        .bucket("lockcomp")
        .key("held")
        .version_id(&held)
        .bypass_governance_retention(true)
        .send()
        .await
        .expect_err("legal hold");
    assert_eq!(code(&err), "AccessDenied");
    c.put_object_legal_hold()
        .bucket("lockcomp")
        .key("held")
        .version_id(&held)
        .legal_hold(
            ObjectLockLegalHold::builder()
                .status(ObjectLockLegalHoldStatus::Off)
                .build(),
        )
        .send()
        .await
        .expect("lift hold");
    c.delete_object()
        .bucket("lockcomp")
        .key("held")
        .version_id(&held)
        .send()
        .await
        .expect("deletable once the hold is lifted");

    // Once the retain-until date has passed the version can go.
    let out = c
        .put_object()
        .bucket("lockcomp")
        .key("brief")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(from_now(2))
        .content_md5(content_md5(b"b"))
        .body(ByteStream::from_static(b"b"))
        .send()
        .await
        .expect("put");
    let brief = out.version_id().expect("version").to_owned();
    let err = c
        .delete_object()
        .bucket("lockcomp")
        .key("brief")
        .version_id(&brief)
        .send()
        .await
        .expect_err("still retained");
    assert_eq!(code(&err), "AccessDenied");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    c.delete_object()
        .bucket("lockcomp")
        .key("brief")
        .version_id(&brief)
        .send()
        .await
        .expect("retention over");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn archived_objects_are_unreadable_until_restored() {
    let (sandbox, c) = start().await;
    create_bucket(&c, "cold").await;
    for (key, class) in [
        ("glacier", StorageClass::Glacier),
        ("deep", StorageClass::DeepArchive),
        ("instant", StorageClass::GlacierIr),
    ] {
        c.put_object()
            .bucket("cold")
            .key(key)
            .storage_class(class)
            .body(ByteStream::from(key.as_bytes().to_vec()))
            .send()
            .await
            .expect("put");
    }

    let head = c
        .head_object()
        .bucket("cold")
        .key("glacier")
        .send()
        .await
        .expect("head works");
    assert_eq!(head.storage_class(), Some(&StorageClass::Glacier));
    assert!(head.restore().is_none());
    for key in ["glacier", "deep"] {
        let err = c
            .get_object()
            .bucket("cold")
            .key(key)
            .send()
            .await
            .expect_err("archived");
        assert_eq!(
            (status(&err), code(&err)),
            (403, "InvalidObjectState".to_owned())
        );
        assert_eq!(
            err.message(),
            Some("The operation is not valid for the object's storage class")
        );
    }
    assert_eq!(get(&c, "cold", "instant").await, b"instant");

    let restore_xml = b"<RestoreRequest><Days>2</Days></RestoreRequest>";
    let url = format!("{}/cold/glacier?restore", sandbox.url());
    let (code_first, _) = raw_request("POST", &url, restore_xml).await;
    assert_eq!(code_first, 202, "a new restore is Accepted");
    let (code_again, _) = raw_request("POST", &url, restore_xml).await;
    assert_eq!(code_again, 200, "an existing restored copy is OK");
    let head = c
        .head_object()
        .bucket("cold")
        .key("glacier")
        .send()
        .await
        .expect("head");
    let restore = head.restore().expect("x-amz-restore");
    let expiry = restore
        .strip_prefix("ongoing-request=\"false\", expiry-date=\"")
        .and_then(|r| r.strip_suffix('"'))
        .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
        .unwrap_or_else(|| panic!("x-amz-restore: {restore}"))
        .timestamp();
    let now = chrono::Utc::now().timestamp();
    assert_eq!(expiry % 86_400, 0, "expires at midnight UTC: {restore}");
    assert!(
        expiry > now + 2 * 86_400 && expiry <= now + 3 * 86_400,
        "{restore}"
    );
    assert_eq!(head.storage_class(), Some(&StorageClass::Glacier));
    assert_eq!(get(&c, "cold", "glacier").await, b"glacier");
    // Restoring again only moves the expiry.
    c.restore_object()
        .bucket("cold")
        .key("glacier")
        .restore_request(RestoreRequest::builder().days(5).build())
        .send()
        .await
        .expect("restore again");
    let err = c
        .get_object()
        .bucket("cold")
        .key("deep")
        .send()
        .await
        .expect_err("still archived");
    assert_eq!(code(&err), "InvalidObjectState");

    let err = c
        .restore_object()
        .bucket("cold")
        .key("instant")
        .restore_request(RestoreRequest::builder().days(1).build())
        .send()
        .await
        .expect_err("not archived");
    assert_eq!(
        (status(&err), code(&err)),
        (403, "InvalidObjectState".to_owned())
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn archived_objects_cannot_be_copy_sources_until_restored() {
    let (sandbox, c) = start().await;
    create_bucket(&c, "coldcp").await;
    let body = b"frozen";
    for (key, class) in [
        ("glacier", StorageClass::Glacier),
        ("deep", StorageClass::DeepArchive),
    ] {
        c.put_object()
            .bucket("coldcp")
            .key(key)
            .storage_class(class)
            .body(ByteStream::from_static(body))
            .send()
            .await
            .expect("put");
    }

    let err = c
        .copy_object()
        .bucket("coldcp")
        .key("copy")
        .copy_source("coldcp/glacier")
        .send()
        .await
        .expect_err("archived source");
    assert_eq!(
        (status(&err), code(&err)),
        (403, "InvalidObjectState".to_owned())
    );
    assert_eq!(
        err.message(),
        Some("Operation is not valid for the source object's storage class")
    );
    let created = c
        .create_multipart_upload()
        .bucket("coldcp")
        .key("mpu")
        .send()
        .await
        .expect("create");
    let upload_id = created.upload_id().expect("id");
    let err = c
        .upload_part_copy()
        .bucket("coldcp")
        .key("mpu")
        .upload_id(upload_id)
        .part_number(1)
        .copy_source("coldcp/deep")
        .send()
        .await
        .expect_err("archived part source");
    assert_eq!(
        (status(&err), code(&err)),
        (403, "InvalidObjectState".to_owned())
    );

    for key in ["glacier", "deep"] {
        c.restore_object()
            .bucket("coldcp")
            .key(key)
            .restore_request(RestoreRequest::builder().days(1).build())
            .send()
            .await
            .expect("restore");
    }
    let copied = c
        .copy_object()
        .bucket("coldcp")
        .key("copy")
        .copy_source("coldcp/glacier")
        .send()
        .await
        .expect("copy once restored");
    assert_eq!(
        copied.copy_object_result().and_then(|r| r.e_tag()),
        Some(quoted_md5(body).as_str())
    );
    let head = c
        .head_object()
        .bucket("coldcp")
        .key("copy")
        .send()
        .await
        .expect("head");
    assert!(head.storage_class().is_none(), "the copy is STANDARD");
    c.upload_part_copy()
        .bucket("coldcp")
        .key("mpu")
        .upload_id(upload_id)
        .part_number(1)
        .copy_source("coldcp/deep")
        .send()
        .await
        .expect("part copy once restored");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn null_versions_are_addressable() {
    let (sandbox, c) = start().await;
    create_bucket(&c, "nullv").await;
    put(&c, "nullv", "k", b"before versioning").await;
    put(&c, "nullv", "j", b"j before").await;
    enable_versioning(&c, "nullv").await;
    let v1 = put(&c, "nullv", "k", b"after").await;

    let versions = c
        .list_object_versions()
        .bucket("nullv")
        .prefix("k")
        .send()
        .await
        .expect("versions");
    let ids: Vec<&str> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(ids, [v1.as_str(), "null"]);

    let got = c
        .get_object()
        .bucket("nullv")
        .key("k")
        .version_id("null")
        .send()
        .await
        .expect("get null");
    assert_eq!(got.version_id(), Some("null"));
    assert_eq!(
        &got.body.collect().await.expect("body").into_bytes()[..],
        b"before versioning"
    );
    let head = c
        .head_object()
        .bucket("nullv")
        .key("k")
        .version_id("null")
        .send()
        .await
        .expect("head null");
    assert_eq!(head.version_id(), Some("null"));
    assert_eq!(
        head.e_tag(),
        Some(quoted_md5(b"before versioning").as_str())
    );
    // A null version that is current reports itself as such too.
    let head = c
        .head_object()
        .bucket("nullv")
        .key("j")
        .send()
        .await
        .expect("head j");
    assert_eq!(head.version_id(), Some("null"));

    c.put_object_tagging()
        .bucket("nullv")
        .key("k")
        .version_id("null")
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("era").value("old").build().expect("tag"))
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect("tag null");
    let tags = c
        .get_object_tagging()
        .bucket("nullv")
        .key("k")
        .version_id("null")
        .send()
        .await
        .expect("tags of null");
    assert_eq!(tags.version_id(), Some("null"));
    assert_eq!(tags.tag_set().len(), 1);
    let current = c
        .get_object_tagging()
        .bucket("nullv")
        .key("k")
        .send()
        .await
        .expect("tags");
    assert!(current.tag_set().is_empty());

    let copied = c
        .copy_object()
        .bucket("nullv")
        .key("copy")
        .copy_source("nullv/k?versionId=null")
        .send()
        .await
        .expect("copy null");
    assert_eq!(copied.copy_source_version_id(), Some("null"));
    assert_eq!(get(&c, "nullv", "copy").await, b"before versioning");

    let created = c
        .create_multipart_upload()
        .bucket("nullv")
        .key("mpu")
        .send()
        .await
        .expect("create");
    let upload_id = created.upload_id().expect("id");
    let part = c
        .upload_part_copy()
        .bucket("nullv")
        .key("mpu")
        .upload_id(upload_id)
        .part_number(1)
        .copy_source("nullv/k?versionId=null")
        .send()
        .await
        .expect("part copy null");
    assert_eq!(part.copy_source_version_id(), Some("null"));
    assert_eq!(
        part.copy_part_result().and_then(|r| r.e_tag()),
        Some(quoted_md5(b"before versioning").as_str())
    );

    let deleted = c
        .delete_object()
        .bucket("nullv")
        .key("k")
        .version_id("null")
        .send()
        .await
        .expect("delete null");
    assert_eq!(deleted.version_id(), Some("null"));
    let err = c
        .get_object()
        .bucket("nullv")
        .key("k")
        .version_id("null")
        .send()
        .await
        .expect_err("null version gone");
    assert_eq!(code(&err), "NoSuchVersion");
    assert_eq!(get(&c, "nullv", "k").await, b"after");

    let batch = c
        .delete_objects()
        .bucket("nullv")
        .delete(
            Delete::builder()
                .objects(
                    ObjectIdentifier::builder()
                        .key("j")
                        .version_id("null")
                        .build()
                        .expect("id"),
                )
                .build()
                .expect("delete"),
        )
        .send()
        .await
        .expect("delete objects");
    assert!(batch.errors().is_empty());
    assert_eq!(batch.deleted()[0].version_id(), Some("null"));
    let err = c
        .head_object()
        .bucket("nullv")
        .key("j")
        .send()
        .await
        .expect_err("j gone");
    assert_eq!(status(&err), 404);

    // Writes while suspended are null versions as well.
    c.put_bucket_versioning()
        .bucket("nullv")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .expect("suspend");
    assert_eq!(put(&c, "nullv", "k", b"suspended").await, "null");
    let versions = c
        .list_object_versions()
        .bucket("nullv")
        .prefix("k")
        .send()
        .await
        .expect("versions");
    let ids: Vec<(&str, bool)> = versions
        .versions()
        .iter()
        .map(|v| (v.version_id().unwrap_or(""), v.is_latest().unwrap_or(false)))
        .collect();
    assert_eq!(ids, [("null", true), (v1.as_str(), false)]);
    let got = c
        .get_object()
        .bucket("nullv")
        .key("k")
        .version_id("null")
        .send()
        .await
        .expect("get");
    assert_eq!(got.version_id(), Some("null"));
    sandbox.shutdown().await;
}
