//! The fault server's answers compared with the reference PDS's, call for
//! call: status, error name and message (the account's DID and handle
//! written as DID and HANDLE), and the keys of a session.

use super::client::{err, Client};
use super::{PASSWORD, POST};
use crate::bluesky::{BlueskyConfig, BlueskyServer};
use crate::common::fixtures;
use crate::pds::{tid, Pds};
use serde_json::{json, Value};

/// One side of the parity test: an account on a PDS and its tokens.
struct Side {
    c: Client,
    did: String,
    handle: String,
    password: String,
    access: String,
    refresh: String,
    expired: String,
    /// Another account's repo.
    other: String,
}

type Row = (&'static str, u16, String, String);

/// The same calls against either PDS: (what, status, error, message), the
/// account's DID and handle written as DID and HANDLE.
async fn scenarios(t: &Side) -> Vec<Row> {
    let mut out = Vec::new();
    token_and_record_scenarios(t, &mut out).await;
    blob_and_session_scenarios(t, &mut out).await;
    out
}

fn note(t: &Side, out: &mut Vec<Row>, what: &'static str, (status, v): (u16, Value)) {
    let norm = |s: &str| s.replace(&t.did, "DID").replace(&t.handle, "HANDLE");
    out.push((what, status, norm(err(&v).0), norm(err(&v).1)));
}

async fn token_and_record_scenarios(t: &Side, out: &mut Vec<Row>) {
    let (did, create) = (t.did.as_str(), "com.atproto.repo.createRecord");
    let record = |rkey: &str| {
        json!({"repo": did, "collection": POST, "rkey": rkey,
        "record": {"$type": POST, "text": "parity", "createdAt": "2026-12-07T10:00:00.000Z"}})
    };
    note(
        t,
        out,
        "no token",
        t.c.post(create, None, Some(record(&tid()))).await,
    );
    note(
        t,
        out,
        "garbage token",
        t.c.post(create, Some("garbage"), Some(record(&tid())))
            .await,
    );
    note(
        t,
        out,
        "expired token",
        t.c.post(create, Some(&t.expired), Some(record(&tid())))
            .await,
    );
    note(
        t,
        out,
        "refresh as access",
        t.c.post(create, Some(&t.refresh), Some(record(&tid())))
            .await,
    );
    let login = json!({"identifier": t.handle, "password": "wrong-password"});
    note(
        t,
        out,
        "wrong password",
        t.c.post("com.atproto.server.createSession", None, Some(login))
            .await,
    );
    note(
        t,
        out,
        "refresh with access",
        t.c.post("com.atproto.server.refreshSession", Some(&t.access), None)
            .await,
    );
    note(
        t,
        out,
        "rkey not a TID",
        t.c.post(create, Some(&t.access), Some(record("not-a-tid")))
            .await,
    );
    let rkey = tid();
    note(
        t,
        out,
        "create",
        t.c.post(create, Some(&t.access), Some(record(&rkey))).await,
    );
    note(
        t,
        out,
        "create, used key",
        t.c.post(create, Some(&t.access), Some(record(&rkey))).await,
    );
    let mut theirs = record(&tid());
    theirs["repo"] = json!(t.other);
    note(
        t,
        out,
        "another repo",
        t.c.post(create, Some(&t.access), Some(theirs)).await,
    );
    let absent = "3kabcdefghij2";
    note(
        t,
        out,
        "get absent",
        t.c.get(
            "com.atproto.repo.getRecord",
            &[("repo", did), ("collection", POST), ("rkey", absent)],
        )
        .await,
    );
    note(
        t,
        out,
        "get, no such repo",
        t.c.get(
            "com.atproto.repo.getRecord",
            &[
                ("repo", "nobody.test"),
                ("collection", POST),
                ("rkey", absent),
            ],
        )
        .await,
    );
    let gone = json!({"repo": did, "collection": POST, "rkey": absent});
    note(
        t,
        out,
        "delete absent",
        t.c.post("com.atproto.repo.deleteRecord", Some(&t.access), Some(gone))
            .await,
    );
    note(
        t,
        out,
        "list, limit 1000",
        t.c.get(
            "com.atproto.repo.listRecords",
            &[("repo", did), ("collection", POST), ("limit", "1000")],
        )
        .await,
    );
    note(
        t,
        out,
        "list, no such repo",
        t.c.get(
            "com.atproto.repo.listRecords",
            &[("repo", "nobody.test"), ("collection", POST)],
        )
        .await,
    );
    note(
        t,
        out,
        "resolve unknown",
        t.c.get(
            "com.atproto.identity.resolveHandle",
            &[("handle", "nobody.test")],
        )
        .await,
    );
    note(
        t,
        out,
        "resolve own",
        t.c.get(
            "com.atproto.identity.resolveHandle",
            &[("handle", &t.handle)],
        )
        .await,
    );
}

async fn blob_and_session_scenarios(t: &Side, out: &mut Vec<Row>) {
    let (did, create) = (t.did.as_str(), "com.atproto.repo.createRecord");
    let png = std::fs::read(fixtures().join("media/image.png")).unwrap();
    let req =
        t.c.http
            .post(format!("{}/xrpc/com.atproto.repo.uploadBlob", t.c.base));
    let (s, v, _) =
        t.c.send(
            req.bearer_auth(&t.access)
                .header("content-type", "image/png")
                .body(png),
        )
        .await;
    note(t, out, "upload", (s, v.clone()));
    let with_blob = |blob: Value| {
        json!({"repo": did, "collection": POST, "record": {"text": "", "createdAt": "2026-12-07T10:00:00.000Z",
        "embed": {"$type": "app.bsky.embed.images", "images": [{"image": blob, "alt": ""}]}}})
    };
    let mut wrong = v["blob"].clone();
    wrong["mimeType"] = json!("image/jpeg");
    note(
        t,
        out,
        "blob, wrong type",
        t.c.post(create, Some(&t.access), Some(with_blob(wrong)))
            .await,
    );
    let mut wrong = v["blob"].clone();
    wrong["size"] = json!(10);
    note(
        t,
        out,
        "blob, wrong size",
        t.c.post(create, Some(&t.access), Some(with_blob(wrong)))
            .await,
    );
    let mut wrong = v["blob"].clone();
    wrong["ref"]["$link"] = json!(crate::bluesky::cid(0x55, b"never uploaded"));
    note(
        t,
        out,
        "blob, not uploaded",
        t.c.post(create, Some(&t.access), Some(with_blob(wrong)))
            .await,
    );
    note(
        t,
        out,
        "blob ref",
        t.c.post(create, Some(&t.access), Some(with_blob(v["blob"].clone())))
            .await,
    );

    let login = json!({"identifier": t.handle, "password": t.password});
    let (s, v) =
        t.c.post("com.atproto.server.createSession", None, Some(login))
            .await;
    let mut keys: Vec<&str> = v
        .as_object()
        .map(|m| {
            m.keys()
                .map(String::as_str)
                .filter(|k| *k != "didDoc")
                .collect()
        })
        .unwrap_or_default();
    keys.sort();
    out.push(("session keys", s, keys.join(","), String::new()));
}

#[tokio::test]
async fn answers_match_the_reference_pds() {
    let Some(pds) = Pds::shared() else { return };
    let account = pds.create_account(&crate::pds::unique_name("parity")).await;
    let other = pds.create_account(&crate::pds::unique_name("other")).await;
    let password = pds.create_app_password(&account, "parity").await;
    let c = Client::new(pds.url());
    let (access, refresh) = c.login(&account.handle, &password).await;
    let real = Side {
        c,
        expired: pds.expired_access_token(&account.did),
        did: account.did,
        handle: account.handle,
        password,
        access,
        refresh,
        other: other.did,
    };

    let cfg = BlueskyConfig {
        handle: "kiln.test".into(),
        handle_domain: ".test".into(),
        ..BlueskyConfig::default()
    };
    let server = BlueskyServer::start(cfg).await;
    let c = Client::new(&server.url());
    let (expired, _) = c.login(&server.did(), PASSWORD).await;
    server.expire_access_tokens();
    let (access, refresh) = c.login(&server.did(), PASSWORD).await;
    let ours = Side {
        c,
        did: server.did(),
        handle: server.handle(),
        password: PASSWORD.into(),
        access,
        refresh,
        expired,
        other: "did:plc:someoneelse".into(),
    };
    let (real, ours) = (scenarios(&real).await, scenarios(&ours).await);
    for (r, o) in real.iter().zip(&ours) {
        assert_eq!(r, o, "the fault server answers as the reference PDS");
    }
    assert_eq!(real.len(), ours.len());
}
