//! The harness proved against the reference PDS with plain HTTP calls, and
//! the PDS's answers pinned: the fault server (tests/integration/bluesky)
//! mirrors them, and postwright's client is written against them.
//!
//! Measured on @atproto/pds 0.5.35 (each asserted below):
//!
//! - createRecord with a record key already used: HTTP 500
//!   `{"error":"InternalServerError","message":"Internal Server Error"}`
//!   (bluesky-social/atproto#3718), the first record left as it was;
//! - a record key that is not a TID: 400 `InvalidRequest`, "Invalid record
//!   key for app.bsky.feed.post: Invalid TID string …";
//! - getRecord of an absent record: 400 `RecordNotFound`, "Could not locate
//!   record: at://DID/COLLECTION/RKEY";
//! - deleteRecord: 200 `{"commit":{"cid","rev"}}`; of an absent record 200
//!   `{}`;
//! - listRecords: newest record key first, `cursor` = the last record key of
//!   the page;
//! - no token: 401 `AuthMissing` "Authentication Required"; a garbage token
//!   (or a refresh token used as access token): 400 `InvalidToken` "Token
//!   could not be verified"; an expired access token: 400 `ExpiredToken`
//!   "Token has expired"; a wrong password: 401 `AuthenticationRequired`
//!   "Invalid identifier or password";
//! - refreshSession rotates both tokens (an access token has no id: two
//!   issued in the same second are the same string); the old refresh token
//!   still works for a while (a grace period), the old access token until it
//!   expires;
//! - resolveHandle of an unknown handle on the PDS's own domain: 400
//!   `HandleNotFound` "Unable to resolve handle" (one elsewhere, after DNS and
//!   HTTP fail: 400 `InvalidRequest`, the same message);
//! - uploadBlob over `PDS_BLOB_UPLOAD_LIMIT`: 413 `PayloadTooLarge` "request
//!   entity too large"; the blob answer
//!   `{"blob":{"$type":"blob","ref":{"$link":CID},"mimeType","size"}}`;
//! - with `PDS_RATE_LIMITS_ENABLED=true`: every answer carries
//!   `RateLimit-Limit/Remaining/Reset/Policy` (createSession `30;w=300`;
//!   createRecord costs 3 of `3000;w=300`), and past the limit 429
//!   `RateLimitExceeded` "Rate Limit Exceeded" with the same headers and a
//!   `Retry-After` in seconds (Bluesky's docs say it is absent).
//!
//! More answers (blob refs that do not match their upload: `BlobNotFound`,
//! `InvalidMimeType`, `InvalidSize`; another account's repo: 401
//! `AuthenticationRequired`; unknown repos) are compared call for call with
//! the fault server's in tests/integration/bluesky_server/parity.rs.

use super::{tid, tid_from, unique_name, Pds, PdsOptions};
use crate::common::fixtures;
use serde_json::{json, Value};

const POST: &str = "app.bsky.feed.post";

fn png() -> Vec<u8> {
    std::fs::read(fixtures().join("media/image.png")).expect("image.png")
}

fn error(body: &Value) -> (&str, &str) {
    (
        body["error"].as_str().unwrap_or(""),
        body["message"].as_str().unwrap_or(""),
    )
}

/// A facet over the first `needle` in `text`, offsets in UTF-8 bytes.
fn facet(text: &str, needle: &str, feature: Value) -> Value {
    let start = text.find(needle).expect("needle in text");
    json!({
        "index": {"byteStart": start, "byteEnd": start + needle.len()},
        "features": [feature],
    })
}

async fn create(pds: &Pds, token: &str, did: &str, rkey: &str, record: &Value) -> (u16, Value) {
    let body = json!({"repo": did, "collection": POST, "rkey": rkey, "record": record});
    pds.post("com.atproto.repo.createRecord", Some(token), &body)
        .await
}

fn post(text: &str) -> Value {
    json!({"$type": POST, "text": text, "createdAt": "2026-12-07T10:00:00.000Z"})
}

#[tokio::test]
async fn publishes_with_an_app_password_and_reads_back_byte_exact() {
    let Some(pds) = Pds::shared() else { return };
    let account = pds.create_account(&unique_name("smoke")).await;
    let app_password = pds.create_app_password(&account, "postwright").await;
    assert_eq!(app_password.len(), 19, "xxxx-xxxx-xxxx-xxxx");

    let (status, session) = pds
        .post(
            "com.atproto.server.createSession",
            None,
            &json!({"identifier": account.handle, "password": app_password}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["did"], account.did.as_str());
    assert_eq!(session["handle"], account.handle.as_str());
    let token = session["accessJwt"].as_str().expect("accessJwt");
    assert!(session["refreshJwt"].is_string());

    let image = png();
    let (status, uploaded) = pds.upload_blob(token, "image/png", image.clone()).await;
    assert_eq!(status, 200, "{uploaded}");
    let blob = uploaded["blob"].clone();
    assert_eq!(blob["$type"], "blob");
    assert_eq!(blob["mimeType"], "image/png");
    assert_eq!(blob["size"], image.len());
    let blob_cid = blob["ref"]["$link"]
        .as_str()
        .expect("ref.$link")
        .to_string();

    // Emoji (a skin-tone sequence), CJK and a combining mark before, between
    // and after the facets: offsets are UTF-8 bytes.
    let text = "窯 👋🏽 e\u{301} #ceramics at https://example.com/k?x=1 ✨ 陶";
    let mut record = post(text);
    record["langs"] = json!(["en", "ja"]);
    record["facets"] = json!([
        facet(
            text,
            "#ceramics",
            json!({"$type": "app.bsky.richtext.facet#tag", "tag": "ceramics"})
        ),
        facet(
            text,
            "https://example.com/k?x=1",
            json!({"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/k?x=1"})
        ),
    ]);
    record["embed"] = json!({
        "$type": "app.bsky.embed.images",
        "images": [{"image": blob, "alt": "A kiln, door open", "aspectRatio": {"width": 320, "height": 320}}],
    });
    let rkey = tid();
    let (status, created) = create(pds, token, &account.did, &rkey, &record).await;
    assert_eq!(status, 200, "{created}");
    let uri = format!("at://{}/{POST}/{rkey}", account.did);
    assert_eq!(created["uri"], uri.as_str());
    assert_eq!(created["validationStatus"], "valid");
    let cid = created["cid"].as_str().expect("cid").to_string();

    let read = pds
        .get_record(&account.did, POST, &rkey)
        .await
        .expect("the record");
    assert_eq!(read["uri"], uri.as_str());
    assert_eq!(read["cid"], cid.as_str());
    assert_eq!(read["value"], record, "what was sent comes back as it was");
    assert_eq!(read["value"]["facets"][0]["index"]["byteStart"], 17);
    assert_eq!(pds.get_blob(&account.did, &blob_cid).await, image);
    let listed = pds.list_records(&account.did, POST).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["uri"], uri.as_str());

    // The same key again: a 500, not a conflict; the first record stays.
    let (status, again) = create(pds, token, &account.did, &rkey, &post("second")).await;
    assert_eq!(
        (status, error(&again)),
        (500, ("InternalServerError", "Internal Server Error"))
    );
    let read = pds
        .get_record(&account.did, POST, &rkey)
        .await
        .expect("still there");
    assert_eq!(read["cid"], cid.as_str());

    let (status, bad) = create(pds, token, &account.did, "not-a-tid", &post("x")).await;
    assert_eq!((status, error(&bad).0), (400, "InvalidRequest"));
    assert!(error(&bad).1.contains("Invalid TID string"), "{bad}");
}

#[tokio::test]
async fn token_answers_and_refresh() {
    let Some(pds) = Pds::shared() else { return };
    let account = pds.create_account(&unique_name("tokens")).await;
    let record = json!({"repo": account.did, "collection": POST, "record": post("x")});
    let create = "com.atproto.repo.createRecord";

    let (status, v) = pds.post(create, None, &record).await;
    assert_eq!(
        (status, error(&v)),
        (401, ("AuthMissing", "Authentication Required"))
    );
    let (status, v) = pds.post(create, Some("garbage"), &record).await;
    assert_eq!(
        (status, error(&v)),
        (400, ("InvalidToken", "Token could not be verified"))
    );
    let (status, v) = pds.post(create, Some(&account.refresh_jwt), &record).await;
    assert_eq!((status, error(&v).0), (400, "InvalidToken"));
    let expired = pds.expired_access_token(&account.did);
    let (status, v) = pds.post(create, Some(&expired), &record).await;
    assert_eq!(
        (status, error(&v)),
        (400, ("ExpiredToken", "Token has expired"))
    );

    let (status, v) = pds
        .post(
            "com.atproto.server.createSession",
            None,
            &json!({"identifier": account.handle, "password": "wrong"}),
        )
        .await;
    assert_eq!(
        (status, error(&v)),
        (
            401,
            ("AuthenticationRequired", "Invalid identifier or password")
        )
    );

    let refresh = "com.atproto.server.refreshSession";
    let (status, v) = pds
        .post(refresh, Some(&account.access_jwt), &json!(null))
        .await;
    assert_eq!((status, error(&v).0), (400, "InvalidToken"));
    let (status, rotated) = pds
        .post(refresh, Some(&account.refresh_jwt), &json!(null))
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["did"], account.did.as_str());
    let access = rotated["accessJwt"].as_str().expect("accessJwt");
    // Access tokens carry no id: one issued in the same second as the
    // account's is the same string. Refresh tokens have a `jti`.
    assert_ne!(rotated["refreshJwt"], account.refresh_jwt.as_str());
    let (status, me) = pds
        .get("com.atproto.server.getSession", Some(access), &[])
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["handle"], account.handle.as_str());
    let (status, _) = pds
        .post(refresh, Some(&account.refresh_jwt), &json!(null))
        .await;
    assert_eq!(status, 200, "the old refresh token has a grace period");
}

#[tokio::test]
async fn reads_pages_deletes_and_resolves() {
    let Some(pds) = Pds::shared() else { return };
    let account = pds.create_account(&unique_name("reads")).await;
    let token = account.access_jwt.as_str();
    let rkeys: Vec<String> = (0..3).map(|_| tid()).collect();
    for rkey in &rkeys {
        let (status, v) = create(pds, token, &account.did, rkey, &post(rkey)).await;
        assert_eq!(status, 200, "{v}");
    }
    let list = "com.atproto.repo.listRecords";
    let query = [
        ("repo", account.did.as_str()),
        ("collection", POST),
        ("limit", "2"),
    ];
    let (status, page) = pds.get(list, None, &query).await;
    assert_eq!(status, 200, "{page}");
    let uris: Vec<&str> = page["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert!(
        uris[0].ends_with(&rkeys[2]) && uris[1].ends_with(&rkeys[1]),
        "newest first: {uris:?}"
    );
    assert_eq!(page["cursor"], rkeys[1].as_str());
    let next = [
        ("repo", account.did.as_str()),
        ("collection", POST),
        ("limit", "2"),
        ("cursor", rkeys[1].as_str()),
    ];
    let (_, page) = pds.get(list, None, &next).await;
    assert_eq!(page["records"].as_array().unwrap().len(), 1);
    assert_eq!(pds.list_records(&account.did, POST).await.len(), 3);

    let delete = "com.atproto.repo.deleteRecord";
    let target = json!({"repo": account.did, "collection": POST, "rkey": rkeys[0]});
    let (status, v) = pds.post(delete, Some(token), &target).await;
    assert_eq!(status, 200, "{v}");
    assert!(
        v["commit"]["cid"].is_string() && v["commit"]["rev"].is_string(),
        "{v}"
    );
    let (status, v) = pds.post(delete, Some(token), &target).await;
    assert_eq!((status, v), (200, json!({})));
    let get = "com.atproto.repo.getRecord";
    let (status, v) = pds
        .get(
            get,
            None,
            &[
                ("repo", &account.did),
                ("collection", POST),
                ("rkey", &rkeys[0]),
            ],
        )
        .await;
    assert_eq!((status, error(&v).0), (400, "RecordNotFound"));
    assert_eq!(
        error(&v).1,
        format!(
            "Could not locate record: at://{}/{POST}/{}",
            account.did, rkeys[0]
        )
    );

    let resolve = "com.atproto.identity.resolveHandle";
    let (status, v) = pds.get(resolve, None, &[("handle", &account.handle)]).await;
    assert_eq!((status, v), (200, json!({"did": account.did})));
    let (status, v) = pds
        .get(resolve, None, &[("handle", "nobody-here.test")])
        .await;
    assert_eq!(
        (status, error(&v)),
        (400, ("HandleNotFound", "Unable to resolve handle"))
    );
}

#[tokio::test]
async fn blob_over_the_upload_limit_is_413() {
    let opts = PdsOptions {
        blob_upload_limit: Some(3_000),
        ..PdsOptions::default()
    };
    let Some(pds) = Pds::start_with(&opts) else {
        return;
    };
    let account = pds.create_account("limits").await;
    let image = png();
    assert!(image.len() > 3_000);
    let (status, v) = pds
        .upload_blob(&account.access_jwt, "image/png", image.clone())
        .await;
    assert_eq!(
        (status, error(&v)),
        (413, ("PayloadTooLarge", "request entity too large"))
    );
    let (status, v) = pds
        .upload_blob(&account.access_jwt, "image/png", image[..3_000].to_vec())
        .await;
    assert_eq!((status, v["blob"]["size"].clone()), (200, json!(3_000)));
}

#[tokio::test]
async fn rate_limit_headers_and_429() {
    let opts = PdsOptions {
        rate_limits: true,
        ..PdsOptions::default()
    };
    let Some(pds) = Pds::start_with(&opts) else {
        return;
    };
    let account = pds.create_account("limited").await;
    let login = json!({"identifier": account.handle, "password": account.password});
    let url = pds.xrpc("com.atproto.server.createSession");
    let http = reqwest::Client::new();
    let mut last = None;
    for _ in 0..31 {
        last = Some(http.post(&url).json(&login).send().await.expect("answer"));
    }
    let r = last.expect("31 calls");
    let header = |k: &str| {
        r.headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(header("ratelimit-limit").as_deref(), Some("30"));
    assert_eq!(header("ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(header("ratelimit-policy").as_deref(), Some("30;w=300"));
    let reset: i64 = header("ratelimit-reset")
        .expect("reset")
        .parse()
        .expect("epoch seconds");
    let now = super::unix_now();
    assert!(
        (now..=now + 300).contains(&reset),
        "reset {reset}, now {now}"
    );
    let retry: i64 = header("retry-after")
        .expect("retry-after")
        .parse()
        .expect("seconds");
    assert!((1..=300).contains(&retry), "retry-after {retry}");
    let body: Value = r.json().await.expect("json");
    assert_eq!(error(&body), ("RateLimitExceeded", "Rate Limit Exceeded"));
}

#[test]
fn starts_on_loopback_only_and_quickly() {
    let Some(pds) = Pds::start() else { return };
    // From a test that is not async, through block_on.
    let account = super::block_on(pds.create_account("blocking"));
    assert!(account.did.starts_with("did:plc:"), "{}", account.did);
    eprintln!("reference PDS healthy after {} ms", pds.start_ms);
    assert!(pds.start_ms < 60_000);
    let port = |url: &str| -> u16 { url.rsplit(':').next().unwrap().parse().unwrap() };
    for p in [port(pds.url()), port(pds.plc_url())] {
        let listening = listeners(p);
        assert_eq!(
            listening,
            vec!["0100007F".to_string()],
            "port {p}: 127.0.0.1 only"
        );
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", pds.pid())).unwrap_or_default();
    if let Some(rss) = status.lines().find(|l| l.starts_with("VmRSS")) {
        eprintln!("reference PDS {rss}");
    }
}

/// The local addresses (hex, as /proc/net/tcp{,6} write them) listening on
/// `port`.
fn listeners(port: u16) -> Vec<String> {
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let Some((addr, p)) = cols.get(1).and_then(|a| a.split_once(':')) else {
                continue;
            };
            if cols.get(3) == Some(&"0A") && u16::from_str_radix(p, 16).ok() == Some(port) {
                out.push(addr.to_string());
            }
        }
    }
    out
}

#[test]
fn tids_are_13_sortable_characters() {
    let a = tid_from(1_796_637_106_000_000, 0);
    let b = tid_from(1_796_637_106_000_001, 0);
    assert_eq!(a.len(), 13);
    assert!(a < b);
    assert!(
        "234567abcdefghij".contains(&a[..1]),
        "the top bit is 0: {a}"
    );
    assert!(tid() < tid());
}
