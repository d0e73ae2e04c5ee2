//! The client against a small fake PDS on 127.0.0.1: sessions, token
//! refresh, exactly-once writes after lost answers, errors and rate-limit
//! headers. What the fake answers follows the reference PDS
//! (docs/bluesky.md); the real PDS is exercised by the integration tests.

use super::*;
use crate::platform::bluesky::tid;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::Mutex;

const PASSWORD: &str = "abcd-efgh-ijkl-mnop";
const DID: &str = "did:plc:alice";

#[derive(Default)]
struct Pds {
    sessions: u32,
    refreshes: u32,
    /// The access token that works now.
    access: u32,
    /// The next authed call finds its token expired.
    expire_next: bool,
    /// The next createRecord answers 500; `true`: after writing.
    create_fails: Option<bool>,
    /// refreshSession refuses the refresh token (revoked).
    refresh_revoked: bool,
    /// The next call answers 429.
    limit_next: bool,
    records: HashMap<String, Value>,
    /// Every request: method, path and query, Authorization header.
    seen: Vec<(String, String, String)>,
}

type Shared = Arc<Mutex<Pds>>;

fn xrpc_error(status: u16, name: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    (
        status,
        axum::Json(json!({"error": name, "message": message})),
    )
        .into_response()
}

fn ok(v: Value) -> Response {
    axum::Json(v).into_response()
}

async fn handle(State(pds): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body: Bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let method = parts.uri.path().trim_start_matches("/xrpc/").to_string();
    let query: HashMap<String, String> = parts
        .uri
        .query()
        .map(|q| reqwest::Url::parse(&format!("http://x/?{q}")).unwrap())
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    let auth = header(&parts.headers, "authorization");
    let mut pds = pds.lock().unwrap();
    pds.seen.push((
        parts.method.to_string(),
        parts.uri.to_string(),
        auth.clone(),
    ));
    if std::mem::take(&mut pds.limit_next) {
        let mut r = xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded");
        for (k, v) in [
            ("RateLimit-Limit", "5000"),
            ("RateLimit-Remaining", "0"),
            ("RateLimit-Reset", "1765100000"),
            ("RateLimit-Policy", "5000;w=3600"),
        ] {
            r.headers_mut().insert(k, v.parse().unwrap());
        }
        return r;
    }
    let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let needs_auth = matches!(
        method.as_str(),
        "com.atproto.repo.createRecord"
            | "com.atproto.repo.uploadBlob"
            | "com.atproto.repo.deleteRecord"
            | "com.atproto.server.getSession"
    );
    if needs_auth {
        if auth.is_empty() {
            return xrpc_error(401, "AuthMissing", "Authentication Required");
        }
        if std::mem::take(&mut pds.expire_next) {
            pds.access += 1;
        }
        if auth != format!("Bearer access-{}", pds.access) {
            return xrpc_error(400, "ExpiredToken", "Token has expired");
        }
    }
    match method.as_str() {
        "com.atproto.server.createSession" => {
            if input["password"] != PASSWORD || input["identifier"] != "alice.test" {
                return xrpc_error(
                    401,
                    "AuthenticationRequired",
                    "Invalid identifier or password",
                );
            }
            pds.sessions += 1;
            pds.access += 1;
            ok(json!({"did": DID, "handle": "alice.test",
                "accessJwt": format!("access-{}", pds.access), "refreshJwt": "refresh-1"}))
        }
        "com.atproto.server.refreshSession" => {
            if pds.refresh_revoked {
                return xrpc_error(400, "ExpiredToken", "Token has been revoked");
            }
            if auth != "Bearer refresh-1" {
                return xrpc_error(400, "InvalidToken", "Token could not be verified");
            }
            pds.refreshes += 1;
            ok(json!({"did": DID, "handle": "alice.test",
                "accessJwt": format!("access-{}", pds.access), "refreshJwt": "refresh-1"}))
        }
        "com.atproto.server.getSession" => ok(json!({"did": DID, "handle": "alice.test"})),
        "com.atproto.repo.uploadBlob" => {
            let mime = header(&parts.headers, "content-type");
            ok(
                json!({"blob": {"$type": "blob", "ref": {"$link": format!("bafk{}", body.len())},
                "mimeType": mime, "size": body.len()}}),
            )
        }
        "com.atproto.repo.createRecord" => {
            let rkey = input["rkey"].as_str().unwrap().to_string();
            let fails = pds.create_fails.take();
            if pds.records.contains_key(&rkey) || fails == Some(false) {
                return xrpc_error(500, "InternalServerError", "Internal Server Error");
            }
            pds.records.insert(rkey.clone(), input["record"].clone());
            if fails == Some(true) {
                return xrpc_error(500, "InternalServerError", "Internal Server Error");
            }
            ok(json!({"uri": format!("at://{DID}/app.bsky.feed.post/{rkey}"), "cid": "bafyrec"}))
        }
        "com.atproto.repo.getRecord" => match pds.records.get(&query["rkey"]) {
            Some(v) => ok(
                json!({"uri": format!("at://{DID}/app.bsky.feed.post/{}", query["rkey"]),
                "cid": "bafyrec", "value": v}),
            ),
            None => xrpc_error(400, "RecordNotFound", "Could not locate record"),
        },
        "com.atproto.repo.listRecords" => list(&pds, &query),
        "com.atproto.repo.deleteRecord" => {
            pds.records.remove(input["rkey"].as_str().unwrap());
            ok(json!({}))
        }
        "com.atproto.identity.resolveHandle" => match query["handle"].as_str() {
            "bob.test" => ok(json!({"did": "did:plc:bob"})),
            "carol.test" => xrpc_error(400, "HandleNotFound", "Unable to resolve handle"),
            _ => xrpc_error(400, "InvalidRequest", "Unable to resolve handle"),
        },
        _ => xrpc_error(501, "MethodNotImplemented", "Method Not Implemented"),
    }
}

fn list(pds: &Pds, query: &HashMap<String, String>) -> Response {
    let mut keys: Vec<&String> = pds.records.keys().collect();
    keys.sort_by(|a, b| b.cmp(a));
    let after = query.get("cursor");
    let limit: usize = query["limit"].parse().unwrap();
    let page: Vec<&String> = keys
        .into_iter()
        .filter(|k| after.is_none_or(|c| k.as_str() < c.as_str()))
        .take(limit)
        .collect();
    let records: Vec<Value> = page
        .iter()
        .map(|k| json!({"uri": format!("at://{DID}/app.bsky.feed.post/{k}"), "cid": "c", "value": pds.records[*k]}))
        .collect();
    let mut out = json!({ "records": records });
    if page.len() == limit {
        out["cursor"] = json!(page[page.len() - 1]);
    }
    ok(out)
}

fn header(h: &HeaderMap, name: &str) -> String {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn serve() -> (Shared, String) {
    let pds: Shared = Arc::default();
    let app = Router::new().fallback(handle).with_state(pds.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (pds, url)
}

fn options() -> Options {
    Options {
        retry_base: Duration::from_millis(1),
        ..Options::default()
    }
}

async fn client() -> (Shared, Client) {
    let (pds, url) = serve().await;
    let c = Client::new(&url, "alice.test", Secret::new(PASSWORD), options()).unwrap();
    (pds, c)
}

fn post(text: &str) -> Value {
    json!({"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-12-07T09:40:00.000Z"})
}

#[tokio::test]
async fn one_session_for_many_calls_and_secrets_only_in_headers() {
    let (pds, c) = client().await;
    // Two tasks at once still make one session.
    let other = c.clone();
    let (a, b) = tokio::join!(c.login(), other.did());
    assert_eq!(a.unwrap().did, DID);
    assert_eq!(b.unwrap(), DID);
    let rkey = tid::next();
    c.create_record(&rkey, &post("hi")).await.unwrap();
    assert!(c.get_record(rkey.as_str()).await.unwrap().is_some());
    assert_eq!(c.get_session().await.unwrap().handle, "alice.test");
    let pds = pds.lock().unwrap();
    assert_eq!(pds.sessions, 1);
    for (_, uri, _) in &pds.seen {
        assert!(
            !uri.contains(PASSWORD) && !uri.contains("access-") && !uri.contains("refresh-"),
            "{uri}"
        );
    }
    assert!(!format!("{c:?}").contains(PASSWORD));
    assert!(!format!("{c:?}").contains("access-1"));
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_repeated() {
    let (pds, c) = client().await;
    c.login().await.unwrap();
    pds.lock().unwrap().expire_next = true;
    let rkey = tid::next();
    let done = c
        .create_record(&rkey, &post("after refresh"))
        .await
        .unwrap();
    assert!(done.uri.ends_with(rkey.as_str()));
    let pds = pds.lock().unwrap();
    assert_eq!((pds.sessions, pds.refreshes), (1, 1));
    assert_eq!(pds.records.len(), 1);
    let refresh = pds
        .seen
        .iter()
        .find(|s| s.1.contains("refreshSession"))
        .unwrap();
    assert_eq!(refresh.2, "Bearer refresh-1");
}

#[tokio::test]
async fn a_refused_refresh_is_an_auth_error_and_nothing_is_written() {
    let (pds, c) = client().await;
    c.login().await.unwrap();
    {
        let mut pds = pds.lock().unwrap();
        pds.expire_next = true;
        pds.refresh_revoked = true;
    }
    let e = c.create_record(&tid::next(), &post("x")).await.unwrap_err();
    assert_eq!(e.class(), crate::platform::ErrorClass::Auth);
    assert!(e.to_string().contains("refreshSession"), "{e}");
    // Later calls fail the same way without asking again.
    let again = c.get_session().await.unwrap_err();
    assert_eq!(again.class(), crate::platform::ErrorClass::Auth);
    let pds = pds.lock().unwrap();
    assert!(pds.records.is_empty());
    assert_eq!(pds.sessions, 1, "no second createSession");
    let refreshes = pds
        .seen
        .iter()
        .filter(|s| s.1.contains("refreshSession"))
        .count();
    assert_eq!(refreshes, 1);
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error_without_the_password() {
    let (pds, url) = serve().await;
    let c = Client::new(
        &url,
        "alice.test",
        Secret::new("wrong-pass-word-1234"),
        options(),
    )
    .unwrap();
    let e = c.login().await.unwrap_err();
    assert_eq!(e.class(), crate::platform::ErrorClass::Auth);
    assert!(e.to_string().contains("AuthenticationRequired"), "{e}");
    assert!(!e.explain().contains("wrong-pass"), "{}", e.explain());
    // Refused once, not asked again (createSession is rate-limited).
    assert!(c.create_record(&tid::next(), &post("x")).await.is_err());
    let sessions = pds.lock().unwrap().seen.len();
    assert_eq!(sessions, 1);
}

#[tokio::test]
async fn a_lost_answer_is_resolved_by_reading_the_key() {
    let (pds, c) = client().await;
    // Written, then the answer is a 500: found by reading, not written twice.
    pds.lock().unwrap().create_fails = Some(true);
    let rkey = tid::next();
    let p = c.publish_once(&rkey, &post("once")).await.unwrap();
    assert!(p.recovered);
    assert_eq!(p.uri, format!("at://{DID}/app.bsky.feed.post/{rkey}"));
    // The same key again (a rerun after a crash): the PDS's 500 for a used
    // key is read as "already there".
    let again = c.publish_once(&rkey, &post("once")).await.unwrap();
    assert!(again.recovered);
    assert_eq!(pds.lock().unwrap().records.len(), 1);
    // Not written: the write's error comes back and nothing was retried.
    pds.lock().unwrap().create_fails = Some(false);
    let other = tid::next();
    let e = c.publish_once(&other, &post("two")).await.unwrap_err();
    assert!(e.outcome_unknown());
    let pds = pds.lock().unwrap();
    let creates = pds
        .seen
        .iter()
        .filter(|s| s.1.contains("createRecord"))
        .count();
    assert_eq!(creates, 3, "createRecord is never repeated inside");
    assert_eq!(pds.records.len(), 1);
}

#[tokio::test]
async fn rate_limits_come_back_with_their_headers() {
    let (pds, c) = client().await;
    c.login().await.unwrap();
    pds.lock().unwrap().limit_next = true;
    let e = c.create_record(&tid::next(), &post("x")).await.unwrap_err();
    assert_eq!(e.class(), crate::platform::ErrorClass::RateLimited);
    let rate = e.rate().unwrap();
    assert_eq!((rate.limit, rate.remaining), (Some(5000), Some(0)));
    assert_eq!(rate.reset.unwrap().as_second(), 1_765_100_000);
    assert_eq!(c.rate().unwrap().policy.as_deref(), Some("5000;w=3600"));
}

#[tokio::test]
async fn blobs_lists_deletes_and_mentions() {
    let (_pds, c) = client().await;
    let blob = c.upload_blob(vec![1, 2, 3], "image/png").await.unwrap();
    assert_eq!(
        (blob.mime_type(), blob.size(), blob.cid()),
        ("image/png", 3, "bafk3")
    );
    let keys: Vec<Tid> = (0..5).map(|_| tid::next()).collect();
    for (i, k) in keys.iter().enumerate() {
        c.create_record(k, &post(&format!("p{i}"))).await.unwrap();
    }
    let recent = c.list_recent(4).await.unwrap();
    assert_eq!(recent.len(), 4);
    assert_eq!(recent[0].value["text"], "p4");
    assert_eq!(recent[3].value["text"], "p1");
    let page = c.list_records(None, 2).await.unwrap();
    let next = c.list_records(page.cursor.as_deref(), 2).await.unwrap();
    assert_eq!(next.records[0].value["text"], "p2");
    c.delete_record(keys[4].as_str()).await.unwrap();
    c.delete_record(keys[4].as_str()).await.unwrap();
    assert!(c.get_record(keys[4].as_str()).await.unwrap().is_none());
    let facets = c.facets("hi @bob.test #x").await.unwrap();
    assert_eq!(
        facets[0].features,
        vec![richtext::Feature::Mention {
            did: "did:plc:bob".into()
        }]
    );
    let e = c
        .facets("@carol.test and @dan.example.com")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, BlueskyError::Unresolved(u) if u.handles == ["carol.test", "dan.example.com"])
    );
    assert_eq!(e.class(), crate::platform::ErrorClass::Content);
}

#[tokio::test]
async fn no_answer_is_a_transport_error_after_bounded_retries() {
    // Nothing listens on a port just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = Client::new(
        &format!("http://127.0.0.1:{port}"),
        "alice.test",
        Secret::new(PASSWORD),
        options(),
    )
    .unwrap();
    let e = c.resolve_handle("bob.test").await.unwrap_err();
    assert!(
        matches!(&e, BlueskyError::Transport { message, .. } if message == "could not connect"),
        "{e}"
    );
    assert!(e.outcome_unknown());
}
