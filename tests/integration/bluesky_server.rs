//! The Bluesky fault server (tests/integration/bluesky) checked with plain
//! HTTP calls, and its answers compared with the reference PDS's
//! (tests/integration/pds.rs) where both can give them.

use crate::bluesky::{Auth, BlueskyConfig, BlueskyServer, Fault};
use crate::common::fixtures;
use crate::pds::{tid, Pds};
use client::{err, Client};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod client;

const POST: &str = "app.bsky.feed.post";
const PASSWORD: &str = "abcd-efgh-ijkl-mnop";

async fn server() -> (BlueskyServer, Client) {
    let server = BlueskyServer::start(BlueskyConfig::default()).await;
    let client = Client::new(&server.url());
    (server, client)
}

/// The claims of a JWT-shaped token.
fn claims(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("three parts");
    let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = Vec::new();
    for c in part.bytes() {
        let v = table.iter().position(|t| *t == c).expect("base64url") as u8;
        bits.extend((0..6).rev().map(|i| (v >> i) & 1));
    }
    let bytes: Vec<u8> = bits
        .chunks_exact(8)
        .map(|b| b.iter().fold(0, |n, bit| (n << 1) | bit))
        .collect();
    serde_json::from_slice(&bytes).expect("JSON claims")
}

#[tokio::test]
async fn sessions_are_made_checked_and_counted() {
    let (server, c) = server().await;
    let (access, refresh) = c.login(&server.handle(), PASSWORD).await;
    let (access2, _) = c.login(&server.did(), PASSWORD).await;
    assert_ne!(access, access2);
    assert_eq!(server.logins(), 2);
    let exp = claims(&access)["exp"].as_i64().unwrap() - claims(&access)["iat"].as_i64().unwrap();
    assert_eq!(exp, 7_200, "access tokens last 2 h");
    assert_eq!(claims(&refresh)["scope"], "com.atproto.refresh");

    let body = json!({"identifier": server.handle(), "password": "wrong"});
    let (s, v) = c
        .post("com.atproto.server.createSession", None, Some(body))
        .await;
    assert_eq!(
        (s, err(&v)),
        (
            401,
            ("AuthenticationRequired", "Invalid identifier or password")
        )
    );
    assert_eq!(server.logins(), 2);

    let (s, v) = c.get("com.atproto.server.getSession", &[]).await;
    assert_eq!((s, err(&v).0), (401, "AuthMissing"));
    let req = c
        .http
        .get(format!("{}/xrpc/com.atproto.server.getSession", c.base))
        .bearer_auth(&access);
    let (s, v, _) = c.send(req).await;
    assert_eq!(s, 200);
    assert_eq!(
        (v["did"].as_str(), v["handle"].as_str()),
        (Some(server.did().as_str()), Some(server.handle().as_str()))
    );
    let (s, v) = c.create(&refresh, &server.did(), &tid(), "x").await;
    assert_eq!(
        (s, err(&v)),
        (400, ("InvalidToken", "Token could not be verified"))
    );
    let calls = server.calls_to("getSession");
    assert_eq!(
        calls.iter().map(|c| c.auth.clone()).collect::<Vec<_>>(),
        vec![Auth::None, Auth::Access(1)]
    );
}

#[tokio::test]
async fn an_access_token_expiring_mid_run_is_refreshed_once() {
    let (server, c) = server().await;
    let did = server.did();
    let (access, refresh) = c.login(&did, PASSWORD).await;
    server.arm("createRecord", 1, 1, Fault::ExpireAccessTokens);
    let (first, second) = (tid(), tid());
    assert_eq!(c.create(&access, &did, &first, "one").await.0, 200);
    let (s, v) = c.create(&access, &did, &second, "two").await;
    assert_eq!((s, err(&v)), (400, ("ExpiredToken", "Token has expired")));
    assert!(
        server.post(&second).is_none(),
        "nothing written on ExpiredToken"
    );

    let (s, v) = c
        .post("com.atproto.server.refreshSession", Some(&access), None)
        .await;
    assert_eq!(
        (s, err(&v).0),
        (400, "InvalidToken"),
        "an access token does not refresh"
    );
    let (s, v) = c
        .post("com.atproto.server.refreshSession", Some(&refresh), None)
        .await;
    assert_eq!(s, 200, "{v}");
    let new_access = v["accessJwt"].as_str().unwrap().to_string();
    assert_ne!(v["refreshJwt"].as_str(), Some(refresh.as_str()), "rotated");
    assert_eq!(c.create(&new_access, &did, &second, "two").await.0, 200);
    assert_eq!((server.logins(), server.refreshes()), (1, 1));

    // The old refresh token: 2 h of grace, then revoked.
    let (s, _) = c
        .post("com.atproto.server.refreshSession", Some(&refresh), None)
        .await;
    assert_eq!(s, 200);
    server.advance(Duration::from_secs(2 * 3600 + 1));
    let (s, v) = c
        .post("com.atproto.server.refreshSession", Some(&refresh), None)
        .await;
    assert_eq!(
        (s, err(&v)),
        (400, ("ExpiredToken", "Token has been revoked"))
    );
    let (s, v) = c.create(&new_access, &did, &tid(), "three").await;
    assert_eq!(
        (s, err(&v).0),
        (400, "ExpiredToken"),
        "2 h later the access token has expired too"
    );
}

#[tokio::test]
async fn records_keep_the_chosen_key_and_a_used_key_is_a_500() {
    let (server, c) = server().await;
    let did = server.did();
    let (access, _) = c.login(&did, PASSWORD).await;
    let rkey = tid();
    let (s, v) = c.create(&access, &did, &rkey, "héllo 👋🏽").await;
    assert_eq!(s, 200, "{v}");
    let uri = format!("at://{did}/{POST}/{rkey}");
    assert_eq!(v["uri"], uri.as_str());
    assert_eq!(v["validationStatus"], "valid");
    assert!(v["cid"].as_str().unwrap().starts_with("bafyrei"));
    assert!(v["commit"]["rev"].is_string());
    let sent = server.calls_to("createRecord")[0].body.clone();
    let expected = serde_json::to_vec(&json!({"repo": did, "collection": POST, "rkey": rkey,
        "record": {"$type": POST, "text": "héllo 👋🏽", "createdAt": "2026-12-07T10:00:00.000Z"}}))
    .unwrap();
    assert_eq!(sent, expected, "the body is kept byte for byte");

    let (s, v) = c.create(&access, &did, &rkey, "again").await;
    assert_eq!(
        (s, err(&v)),
        (500, ("InternalServerError", "Internal Server Error"))
    );
    assert_eq!(server.post(&rkey).unwrap().value["text"], "héllo 👋🏽");
    let (s, v) = c.create(&access, &did, "not-a-tid", "x").await;
    assert_eq!((s, err(&v).0), (400, "InvalidRequest"));

    let (s, v) = c
        .get(
            "com.atproto.repo.getRecord",
            &[("repo", &did), ("collection", POST), ("rkey", &rkey)],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        (v["uri"].as_str(), v["value"]["text"].as_str()),
        (Some(uri.as_str()), Some("héllo 👋🏽"))
    );
    let keys: Vec<&String> = v["value"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["text", "$type", "createdAt"],
        "read back in DAG-CBOR key order, as the PDS does"
    );
    let absent = tid();
    let (s, v) = c
        .get(
            "com.atproto.repo.getRecord",
            &[("repo", &did), ("collection", POST), ("rkey", &absent)],
        )
        .await;
    assert_eq!((s, err(&v).0), (400, "RecordNotFound"));
    assert_eq!(
        err(&v).1,
        format!("Could not locate record: at://{did}/{POST}/{absent}")
    );
}

#[tokio::test]
async fn a_lost_answer_keeps_the_write() {
    let (server, c) = server().await;
    let did = server.did();
    let (access, _) = c.login(&did, PASSWORD).await;
    let hooked = Arc::new(AtomicUsize::new(0));
    let seen = hooked.clone();
    server.set_after_effect_hook(move |nsid| {
        if nsid.ends_with("createRecord") {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    server.arm("createRecord", 1, 1, Fault::LostAnswer);
    server.arm("createRecord", 3, 1, Fault::LostAnswer500);
    assert_eq!(c.create(&access, &did, &tid(), "first").await.0, 200);

    let lost = tid();
    let record = json!({"$type": POST, "text": "lost", "createdAt": "2026-12-07T10:00:00.000Z"});
    let body = json!({"repo": did, "collection": POST, "rkey": lost, "record": record});
    let url = format!("{}/xrpc/com.atproto.repo.createRecord", server.url());
    let r = c
        .http
        .post(&url)
        .bearer_auth(&access)
        .json(&body)
        .send()
        .await;
    assert!(r.is_err(), "the connection closes without an answer: {r:?}");
    assert!(server.post(&lost).is_some(), "written all the same");
    let (s, v) = c.create(&access, &did, &lost, "lost").await;
    assert_eq!(
        (s, err(&v).0),
        (500, "InternalServerError"),
        "a retry with the key: 500"
    );

    let lost500 = tid();
    let (s, v) = c.create(&access, &did, &lost500, "lost too").await;
    assert_eq!((s, err(&v).0), (500, "InternalServerError"));
    assert!(server.post(&lost500).is_some());
    assert_eq!(
        hooked.load(Ordering::SeqCst),
        3,
        "the hook ran after each write"
    );
    let statuses: Vec<u16> = server
        .calls_to("createRecord")
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [200, 0, 500, 500]);
}

#[tokio::test]
async fn rate_limits_answer_429_with_their_headers() {
    let (server, c) = server().await;
    let did = server.did();
    let (access, _) = c.login(&did, PASSWORD).await;
    server.arm(
        "createRecord",
        0,
        2,
        Fault::RateLimited {
            reset_secs: 30,
            retry_after: true,
        },
    );
    server.arm(
        "deleteRecord",
        0,
        1,
        Fault::RateLimited {
            reset_secs: 5,
            retry_after: false,
        },
    );
    let record = json!({"repo": did, "collection": POST, "rkey": tid(),
        "record": {"text": "x", "createdAt": "2026-12-07T10:00:00.000Z"}});
    let now = crate::pds::unix_now();
    for _ in 0..2 {
        let (s, v, h) = c
            .post_h(
                "com.atproto.repo.createRecord",
                Some(&access),
                Some(record.clone()),
            )
            .await;
        assert_eq!(
            (s, err(&v)),
            (429, ("RateLimitExceeded", "Rate Limit Exceeded"))
        );
        let h = |k: &str| {
            h.get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        assert_eq!(
            (h("ratelimit-limit"), h("ratelimit-remaining")),
            ("5000".into(), "0".into())
        );
        assert_eq!(h("ratelimit-policy"), "5000;w=3600");
        let reset: i64 = h("ratelimit-reset").parse().unwrap();
        assert!((now + 29..=now + 31).contains(&reset), "{reset} vs {now}");
        assert!((29..=30).contains(&h("retry-after").parse::<i64>().unwrap()));
    }
    assert!(server.records().is_empty(), "nothing written while limited");
    let (s, _, h) = c
        .post_h(
            "com.atproto.repo.createRecord",
            Some(&access),
            Some(record.clone()),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        h.get("ratelimit-remaining").unwrap(),
        "4997",
        "a create costs 3 points"
    );
    let target = json!({"repo": did, "collection": POST, "rkey": record["rkey"]});
    let (s, _, h) = c
        .post_h("com.atproto.repo.deleteRecord", Some(&access), Some(target))
        .await;
    assert_eq!(s, 429);
    assert!(
        h.get("retry-after").is_none(),
        "bsky.social's documented form: no Retry-After"
    );

    // createSession: 30 per 5 minutes, counted from the login above.
    for _ in 0..29 {
        c.login(&did, PASSWORD).await;
    }
    let login = json!({"identifier": did, "password": PASSWORD});
    let (s, v, h) = c
        .post_h(
            "com.atproto.server.createSession",
            None,
            Some(login.clone()),
        )
        .await;
    assert_eq!((s, err(&v).0), (429, "RateLimitExceeded"));
    assert_eq!(h.get("ratelimit-policy").unwrap(), "30;w=300");
    server.advance(Duration::from_secs(301));
    assert_eq!(
        c.post("com.atproto.server.createSession", None, Some(login))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn blobs_are_kept_and_refs_checked() {
    let (server, c) = server().await;
    let did = server.did();
    let (access, _) = c.login(&did, PASSWORD).await;
    let png = std::fs::read(fixtures().join("media/image.png")).unwrap();
    let url = format!("{}/xrpc/com.atproto.repo.uploadBlob", server.url());
    let upload = |bytes: Vec<u8>| {
        c.http
            .post(&url)
            .bearer_auth(&access)
            .header("content-type", "image/png")
            .body(bytes)
    };
    let (s, v, _) = c.send(upload(png.clone())).await;
    assert_eq!(s, 200, "{v}");
    let blob = v["blob"].clone();
    assert_eq!(
        (blob["mimeType"].as_str(), blob["size"].as_u64()),
        (Some("image/png"), Some(png.len() as u64))
    );
    assert_eq!(server.blobs()[0].bytes, png);

    let embed = |image: Value| json!({"$type": "app.bsky.embed.images", "images": [{"image": image, "alt": ""}]});
    let post = |image: Value| {
        json!({"repo": did, "collection": POST,
        "record": {"text": "", "createdAt": "2026-12-07T10:00:00.000Z", "embed": embed(image)}})
    };
    let create = "com.atproto.repo.createRecord";
    let (s, v) = c
        .post(create, Some(&access), Some(post(blob.clone())))
        .await;
    assert_eq!(s, 200, "{v}");
    let mut wrong = blob.clone();
    wrong["mimeType"] = json!("image/jpeg");
    let (s, v) = c.post(create, Some(&access), Some(post(wrong))).await;
    assert_eq!((s, err(&v).0), (400, "InvalidMimeType"));
    let mut wrong = blob.clone();
    wrong["size"] = json!(1);
    let (s, v) = c.post(create, Some(&access), Some(post(wrong))).await;
    assert_eq!((s, err(&v).0), (400, "InvalidSize"));
    let mut wrong = blob.clone();
    wrong["ref"]["$link"] = json!("bafkreiabsent");
    let (s, v) = c.post(create, Some(&access), Some(post(wrong))).await;
    assert_eq!(
        (s, err(&v)),
        (400, ("BlobNotFound", "Could not find blob: bafkreiabsent"))
    );

    server.set_blob_limit(1_000);
    let (s, v, _) = c.send(upload(png.clone())).await;
    assert_eq!(
        (s, err(&v)),
        (413, ("PayloadTooLarge", "request entity too large"))
    );

    // The blob's CID is the one the reference PDS computes for the bytes.
    if let Some(pds) = Pds::shared() {
        let account = pds.create_account(&crate::pds::unique_name("cid")).await;
        let (s, real) = pds.upload_blob(&account.access_jwt, "image/png", png).await;
        assert_eq!(s, 200);
        assert_eq!(real["blob"], blob);
    }
}

#[tokio::test]
async fn lists_pages_deletes_and_resolves() {
    let (server, c) = server().await;
    let did = server.did();
    server.add_handle("friend.bsky.social", "did:plc:friend");
    let (access, _) = c.login(&did, PASSWORD).await;
    let keys: Vec<String> = (0..3).map(|_| tid()).collect();
    for k in &keys {
        assert_eq!(c.create(&access, &did, k, k).await.0, 200);
    }
    let list = "com.atproto.repo.listRecords";
    let (s, v) = c
        .get(
            list,
            &[("repo", &did), ("collection", POST), ("limit", "2")],
        )
        .await;
    assert_eq!(s, 200);
    let texts: Vec<&str> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, [keys[2].as_str(), keys[1].as_str()]);
    assert_eq!(v["cursor"], keys[1].as_str());
    let (_, v) = c
        .get(
            list,
            &[
                ("repo", &did),
                ("collection", POST),
                ("limit", "2"),
                ("cursor", &keys[1]),
            ],
        )
        .await;
    assert_eq!(v["records"].as_array().unwrap().len(), 1);
    let (_, v) = c
        .get(
            list,
            &[("repo", &did), ("collection", POST), ("reverse", "true")],
        )
        .await;
    assert_eq!(v["records"][0]["value"]["text"], keys[0].as_str());
    let (s, v) = c
        .get(
            list,
            &[("repo", &did), ("collection", POST), ("limit", "1000")],
        )
        .await;
    assert_eq!(
        (s, err(&v).1),
        (
            400,
            "Invalid com.atproto.repo.listRecords params: integer too big (maximum 100, got 1000)"
        )
    );

    let delete = "com.atproto.repo.deleteRecord";
    let target = json!({"repo": did, "collection": POST, "rkey": keys[0]});
    let (s, v) = c.post(delete, Some(&access), Some(target.clone())).await;
    assert_eq!(s, 200);
    assert!(v["commit"]["cid"].is_string());
    assert_eq!(
        c.post(delete, Some(&access), Some(target)).await,
        (200, json!({}))
    );
    assert!(server.records()[0].deleted);

    let resolve = "com.atproto.identity.resolveHandle";
    assert_eq!(
        c.get(resolve, &[("handle", "friend.bsky.social")]).await,
        (200, json!({"did": "did:plc:friend"}))
    );
    assert_eq!(
        c.get(resolve, &[("handle", &server.handle())]).await.1["did"],
        did.as_str()
    );
    let (s, v) = c.get(resolve, &[("handle", "nobody.bsky.social")]).await;
    assert_eq!(
        (s, err(&v)),
        (400, ("HandleNotFound", "Unable to resolve handle"))
    );
    let (s, v) = c.get(resolve, &[("handle", "nobody.example.com")]).await;
    assert_eq!(
        (s, err(&v)),
        (400, ("InvalidRequest", "Unable to resolve handle"))
    );
    let (s, v) = c.get("app.bsky.feed.getTimeline", &[]).await;
    assert_eq!((s, err(&v).0), (501, "MethodNotImplemented"));
}

#[tokio::test]
async fn transient_failures_change_nothing() {
    let (server, c) = server().await;
    let did = server.did();
    let (access, _) = c.login(&did, PASSWORD).await;
    server.arm("createRecord", 0, 1, Fault::Http500);
    server.arm("uploadBlob", 0, 1, Fault::BadGateway);
    let rkey = tid();
    let (s, v) = c.create(&access, &did, &rkey, "x").await;
    assert_eq!(
        (s, err(&v)),
        (500, ("InternalServerError", "Internal Server Error"))
    );
    assert!(server.post(&rkey).is_none(), "a 500 before the write");
    let url = format!("{}/xrpc/com.atproto.repo.uploadBlob", server.url());
    let r = c
        .http
        .post(&url)
        .bearer_auth(&access)
        .body(vec![1u8, 2, 3])
        .send()
        .await
        .expect("an answer");
    assert_eq!(r.status().as_u16(), 502);
    assert_eq!(r.headers()["content-type"], "text/html");
    assert!(server.blobs().is_empty());
    assert_eq!(
        c.create(&access, &did, &rkey, "x").await.0,
        200,
        "then it works"
    );
    let faults: Vec<Option<Fault>> = server.calls().into_iter().map(|c| c.fault).collect();
    assert_eq!(
        faults,
        [None, Some(Fault::Http500), Some(Fault::BadGateway), None]
    );
}

/// The server that e2e tests use (a thread of its own, the test blocking):
/// a lost answer closes the connection there too, and the server lives on.
#[test]
fn the_blocking_server_loses_answers_too() {
    let server = BlueskyServer::start_blocking(BlueskyConfig::default());
    server.arm("createSession", 0, 1, Fault::LostAnswer);
    crate::pds::block_on(async {
        let c = Client::new(&server.url());
        let body = json!({"identifier": server.did(), "password": PASSWORD});
        let url = format!("{}/xrpc/com.atproto.server.createSession", server.url());
        let r = c.http.post(&url).json(&body).send().await;
        assert!(r.is_err(), "{r:?}");
        c.login(&server.did(), PASSWORD).await;
    });
    assert_eq!(server.logins(), 2, "the lost login happened");
}

mod parity;
