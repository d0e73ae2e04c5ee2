//! The client against a small fake Mastodon on 127.0.0.1, here; the tests
//! of what it writes (media processing, exactly-once posting with the same
//! Idempotency-Key after a lost answer, scheduled statuses, errors and
//! rate-limit headers) in writes.rs, of what it reads (the token only in
//! the header, statuses, pages of scheduled statuses) in reads.rs. What the
//! fake answers follows Mastodon's docs (docs/mastodon.md); the fuller test
//! server is the integration tests'.

mod reads;
mod writes;

use super::*;
use crate::platform::ErrorClass;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;

const TOKEN: &str = "tok-Secret-123";

#[derive(Default)]
struct Server {
    /// Statuses by id, and the key each was made with.
    statuses: Vec<(String, Value)>,
    keys: HashMap<String, String>,
    scheduled: Vec<Value>,
    /// Looks at a processing upload before it is ready (`None`: fails).
    processing: HashMap<String, Option<u32>>,
    /// The next status POST: answer 503 (`true`: after making it).
    fail_post: Option<bool>,
    /// The next status POST stalls past the client's timeout, after
    /// making the status.
    stall_post: bool,
    limit_next: bool,
    /// `/api/v2/instance` answers 404 (a server older than 4.0, or not
    /// Mastodon).
    not_mastodon: bool,
    next_id: u64,
    /// Every request: method, path and query, Authorization, key, body.
    seen: Vec<(String, String, String, String, String)>,
}

type Shared = Arc<Mutex<Server>>;

fn error(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    (status, axum::Json(json!({ "error": message }))).into_response()
}

fn ok(v: Value) -> Response {
    axum::Json(v).into_response()
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    reqwest::Url::parse(&format!("http://x/?{text}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn first(f: &[(String, String)], key: &str) -> Option<String> {
    f.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

async fn handle(State(server): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body: Bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let header = |h: &HeaderMap, k: &str| {
        h.get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let auth = header(&parts.headers, "authorization");
    let key = header(&parts.headers, "idempotency-key");
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let method = parts.method.to_string();
    let stall;
    let response = {
        let mut s = server.lock().unwrap();
        s.seen.push((
            method.clone(),
            parts.uri.to_string(),
            auth.clone(),
            key.clone(),
            String::from_utf8_lossy(&body).into_owned(),
        ));
        if std::mem::take(&mut s.limit_next) {
            let mut r = error(429, "Too many requests");
            for (k, v) in [
                ("X-RateLimit-Limit", "300"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "2026-12-07T11:20:00.000Z"),
            ] {
                r.headers_mut().insert(k, v.parse().unwrap());
            }
            return r;
        }
        if path == "/api/v2/instance" && s.not_mastodon {
            return error(404, "Not found");
        }
        if path == "/api/v2/instance" {
            return ok(json!({"domain": "social.example", "version": "4.5.0",
                "configuration": {"statuses": {"max_characters": 500,
                    "max_media_attachments": 4, "characters_reserved_per_url": 23}}}));
        }
        if auth != format!("Bearer {TOKEN}") {
            return error(401, "The access token is invalid");
        }
        stall = method == "POST" && path == "/api/v1/statuses" && std::mem::take(&mut s.stall_post);
        route(&mut s, &method, &path, &query, &key, &body)
    };
    if stall {
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    response
}

/// A page of scheduled statuses, newest id first, after `max_id`.
fn page(all: &[Value], query: &str) -> Value {
    let q = form(query.as_bytes());
    let limit: usize = first(&q, "limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20);
    let max: u64 = first(&q, "max_id")
        .and_then(|m| m.parse().ok())
        .unwrap_or(u64::MAX);
    let id = |v: &Value| v["id"].as_str().unwrap().parse::<u64>().unwrap();
    let mut below: Vec<Value> = all.iter().filter(|v| id(v) < max).cloned().collect();
    below.sort_by_key(|v| std::cmp::Reverse(id(v)));
    below.truncate(limit.min(40));
    Value::Array(below)
}

fn route(
    s: &mut Server,
    method: &str,
    path: &str,
    query: &str,
    key: &str,
    body: &[u8],
) -> Response {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", ["api", "v1", "accounts", "verify_credentials"]) => {
            ok(json!({"id": "42", "username": "alice", "acct": "alice",
                "url": "https://social.example/@alice"}))
        }
        ("GET", ["api", "v1", "apps", "verify_credentials"]) => ok(
            json!({"id": "1", "name": "postwright", "scopes": ["write:statuses", "write:media"]}),
        ),
        ("POST", ["api", "v2", "media"]) => {
            let text = String::from_utf8_lossy(body);
            s.next_id += 1;
            let id = s.next_id.to_string();
            let video = text.contains("Content-Type: video/mp4");
            let broken = text.contains("filename=\"broken.mp4\"");
            let desc = text
                .split("name=\"description\"\r\n\r\n")
                .nth(1)
                .and_then(|r| r.split("\r\n").next())
                .map(str::to_string);
            if video {
                s.processing
                    .insert(id.clone(), if broken { None } else { Some(2) });
                let v = json!({"id": id, "type": "video", "url": null, "description": desc});
                return (StatusCode::ACCEPTED, axum::Json(v)).into_response();
            }
            ok(
                json!({"id": id, "type": "image", "url": format!("https://files/{id}.png"),
                "description": desc}),
            )
        }
        ("GET", ["api", "v1", "media", id]) => match s.processing.get_mut(*id) {
            Some(None) => error(422, "Validation failed: File content type is invalid"),
            Some(Some(0)) => {
                ok(json!({"id": id, "type": "video", "url": format!("https://files/{id}.mp4")}))
            }
            Some(Some(n)) => {
                *n -= 1;
                StatusCode::PARTIAL_CONTENT.into_response()
            }
            None => error(404, "Record not found"),
        },
        ("POST", ["api", "v1", "statuses"]) => post(s, key, body),
        ("GET", ["api", "v1", "statuses", id]) => match s.statuses.iter().find(|(i, _)| i == id) {
            Some((_, v)) => ok(v.clone()),
            None => error(404, "Record not found"),
        },
        ("DELETE", ["api", "v1", "statuses", id]) => {
            match s.statuses.iter().position(|(i, _)| i == id) {
                Some(at) => ok(s.statuses.remove(at).1),
                None => error(404, "Record not found"),
            }
        }
        ("GET", ["api", "v1", "accounts", "42", "statuses"]) => ok(Value::Array(
            s.statuses.iter().rev().map(|(_, v)| v.clone()).collect(),
        )),
        ("GET", ["api", "v1", "scheduled_statuses"]) => ok(page(&s.scheduled, query)),
        ("PUT", ["api", "v1", "scheduled_statuses", id]) => {
            let at = first(&form(body), "scheduled_at").unwrap_or_default();
            match s.scheduled.iter_mut().find(|v| v["id"] == *id) {
                Some(v) => {
                    v["scheduled_at"] = json!(at);
                    ok(v.clone())
                }
                None => error(404, "Record not found"),
            }
        }
        ("DELETE", ["api", "v1", "scheduled_statuses", id]) => {
            let before = s.scheduled.len();
            s.scheduled.retain(|v| v["id"] != *id);
            if s.scheduled.len() < before {
                ok(json!({}))
            } else {
                error(404, "Record not found")
            }
        }
        _ => error(404, "Not found"),
    }
}

fn post(s: &mut Server, key: &str, body: &[u8]) -> Response {
    let f = form(body);
    if s.fail_post == Some(false) {
        s.fail_post = None;
        return error(503, "Service Unavailable");
    }
    if let Some(id) = s.keys.get(key) {
        let v = s.statuses.iter().find(|(i, _)| i == id).unwrap().1.clone();
        return ok(v);
    }
    let media: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "media_ids[]")
        .map(|(_, v)| v.clone())
        .collect();
    if media
        .iter()
        .any(|m| s.processing.get(m).is_some_and(|n| *n != Some(0)))
    {
        return error(
            422,
            "Cannot attach files that have not finished processing. Try again in a moment!",
        );
    }
    s.next_id += 1;
    let id = format!("1000{}", s.next_id);
    let text = first(&f, "status").unwrap_or_default();
    if let Some(at) = first(&f, "scheduled_at") {
        let v = json!({"id": id, "scheduled_at": at,
            "params": {"text": text, "media_ids": media, "idempotency": key}, "media_attachments": []});
        s.scheduled.push(v.clone());
        return made(s, v);
    }
    let attachments: Vec<Value> = media.iter().map(|m| json!({"id": m})).collect();
    let v = json!({"id": id, "created_at": "2026-12-07T11:00:00.000Z",
        "content": format!("<p>{text}</p>"), "url": format!("https://social.example/@alice/{id}"),
        "visibility": first(&f, "visibility"), "spoiler_text": first(&f, "spoiler_text").unwrap_or_default(),
        "media_attachments": attachments});
    s.statuses.push((id.clone(), v.clone()));
    s.keys.insert(key.to_string(), id);
    made(s, v)
}

/// The answer to a status made: lost when a failure was asked for.
fn made(s: &mut Server, v: Value) -> Response {
    if s.fail_post == Some(true) {
        s.fail_post = None;
        return error(500, "Internal Server Error");
    }
    ok(v)
}

async fn serve() -> (Shared, String) {
    let server: Shared = Arc::default();
    let app = Router::new().fallback(handle).with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (server, url)
}

fn options() -> Options {
    Options {
        retry_base: Duration::from_millis(1),
        media_poll: Duration::from_millis(5),
        media_wait: Duration::from_secs(5),
        timeouts: Timeouts {
            call: Duration::from_millis(300),
            ..Timeouts::default()
        },
        ..Options::default()
    }
}

async fn client() -> (Shared, Client) {
    let (server, url) = serve().await;
    (
        server,
        Client::new(&url, Token::new(TOKEN), options()).unwrap(),
    )
}

fn text(s: &str) -> NewStatus {
    NewStatus {
        status: s.into(),
        ..NewStatus::default()
    }
}
