//! The request pipeline: parse, check the token, fault, route, record.

use super::rules::{check_container, status};
use super::{Call, Container, Fault, Media, Shared, State, Token};
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(super) async fn serve(
    shared: Arc<Shared>,
    listener: std::net::TcpListener,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
    let app = Router::new().fallback(handle).with_state(shared);
    let _ = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = stop.await;
        })
        .await;
}

type Answer = (u16, Value);

fn error(http: u16, code: i64, kind: &str, message: &str) -> Answer {
    (
        http,
        json!({"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AThreadsTestTrace"}}),
    )
}

fn bad(code: i64, message: &str) -> Answer {
    error(400, code, "THApiException", message)
}

async fn handle(
    AxState(shared): AxState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    if let Some(q) = uri.query() {
        parse_pairs(q.as_bytes(), &mut params);
    }
    if !body.is_empty() {
        parse_pairs(&body, &mut params);
    }
    let effective = match params.remove("method") {
        Some(m) if method == Method::POST => m.to_uppercase(),
        Some(m) => {
            params.insert("method".into(), m);
            method.to_string()
        }
        None => method.to_string(),
    };
    let token_in_params = params.remove("access_token").is_some();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let path = uri.path().to_string();
    let mut st = shared.lock();
    if let Some((code, kind, bytes)) = super::live::cdn(&st, &path, uri.query().unwrap_or("")) {
        let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (code, [("content-type", kind)], bytes).into_response();
    }
    let key = format!("{method} {path}");
    let fault = st
        .faults
        .iter()
        .position(|f| match f {
            Fault::Http500 { path_contains } | Fault::LostAnswer { path_contains } => {
                key.contains(path_contains.as_str())
            }
            Fault::ProcessingFails { .. } => false,
        })
        .map(|i| st.faults.remove(i));
    let (http, body, lost) = match fault {
        Some(Fault::Http500 { .. }) => {
            let (h, mut b) = error(500, 1, "OAuthException", "An unknown error has occurred.");
            b["error"]["is_transient"] = json!(true);
            (h, b, false)
        }
        other => {
            let (h, b) = answer(
                &mut st,
                &effective,
                &path,
                &params,
                bearer.as_deref(),
                token_in_params,
            );
            (h, b, matches!(other, Some(Fault::LostAnswer { .. })))
        }
    };
    let (status, error_code) = if lost {
        (500, None)
    } else {
        (http, body.pointer("/error/code").and_then(Value::as_i64))
    };
    let changed = matches!(effective.as_str(), "POST" | "DELETE") && http < 300;
    st.calls.push(Call {
        method: effective,
        path,
        params,
        bearer: bearer.is_some(),
        token_in_params,
        status,
        error_code,
    });
    drop(st);
    if changed {
        let hook = shared
            .hook
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(hook) = hook {
            hook(&key);
        }
    }
    if lost {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "<html>502 Bad Gateway</html>",
        )
            .into_response();
    }
    let code = StatusCode::from_u16(http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, axum::Json(body)).into_response()
}

fn valid_token<'a>(st: &'a State, token: &str) -> Option<&'a Token> {
    let now = st.now();
    st.tokens
        .iter()
        .find(|t| t.token == token && t.expires_at > now)
}

fn answer(
    st: &mut State,
    method: &str,
    path: &str,
    p: &BTreeMap<String, String>,
    bearer: Option<&str>,
    token_in_params: bool,
) -> Answer {
    if token_in_params {
        return bad(100, "this test server refuses access_token parameters: send the token in the Authorization header");
    }
    let Some(token) = bearer else {
        return error(
            400,
            190,
            "OAuthException",
            "An active access token must be used to query information about the current user.",
        );
    };
    let Some(tok) = valid_token(st, token).cloned() else {
        return error(
            400,
            190,
            "OAuthException",
            "Error validating access token: Session has expired or the token is invalid.",
        );
    };
    let rest = path.strip_prefix("/v1.0").unwrap_or(path);
    let versioned = rest.len() != path.len();
    let parts: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let uid = st.cfg.user_id.clone();
    let own = |s: &str| s == uid || s == "me";
    match (method, parts.as_slice(), versioned) {
        ("GET", ["refresh_access_token"], _) => refresh(st, p, &tok),
        (_, _, false) => bad(100, "Unknown path: calls are versioned (/v1.0/...)"),
        ("GET", ["me"], _) => (200, json!({"id": uid, "username": st.cfg.username})),
        ("GET", ["debug_token"], _) => debug_token(st, p),
        ("POST", [u, "threads"], _) if own(u) => create(st, p),
        ("POST", [u, "threads_publish"], _) if own(u) => publish(st, p),
        ("GET", [u, "threads_publishing_limit"], _) if own(u) => {
            let used = quota_used(st);
            (
                200,
                json!({"data": [{"quota_usage": used, "config": {"quota_total": st.cfg.quota_total, "quota_duration": 86400}}]}),
            )
        }
        ("GET", [u, "threads"], _) if own(u) => {
            let data: Vec<Value> = st
                .media
                .iter()
                .rev()
                .filter(|m| !m.deleted)
                .map(|m| media_json(st, m))
                .collect();
            super::live::list(st, p, data)
        }
        ("GET", [id], _) => {
            if let Some(c) = st.containers.iter().find(|c| c.id == *id) {
                let (s, msg) = status(st, c);
                let mut v = json!({"id": c.id, "status": s});
                if let Some(m) = msg {
                    v["error_message"] = json!(m);
                }
                return (200, v);
            }
            match st.media.iter().find(|m| m.id == *id && !m.deleted) {
                Some(m) => (200, media_json(st, m)),
                None => gone(id),
            }
        }
        ("DELETE", [id], _) => match st.media.iter_mut().find(|m| m.id == *id && !m.deleted) {
            Some(m) => {
                m.deleted = true;
                (200, json!({"success": true, "deleted_id": id}))
            }
            None => gone(id),
        },
        _ => bad(100, &format!("Unsupported {method} request: {path}")),
    }
}

fn gone(id: &str) -> Answer {
    let (h, mut b) = bad(
        100,
        &format!("Unsupported get request. Object with ID '{id}' does not exist"),
    );
    b["error"]["error_subcode"] = json!(33);
    (h, b)
}

fn quota_used(st: &State) -> u32 {
    let since = st.now() - 86_400;
    st.media.iter().filter(|m| m.published_at > since).count() as u32 + st.quota_extra
}

fn create(st: &mut State, p: &BTreeMap<String, String>) -> Answer {
    if let Err((code, msg)) = check_container(st, p) {
        return bad(code, &msg);
    }
    let media_type = p["media_type"].clone();
    let fails_with = if media_type == "VIDEO" {
        st.faults
            .iter()
            .position(|f| matches!(f, Fault::ProcessingFails { .. }))
            .map(|i| match st.faults.remove(i) {
                Fault::ProcessingFails { error_message } => error_message,
                _ => unreachable!(),
            })
    } else {
        None
    };
    let id = st.id();
    let created_at = st.now();
    st.containers.push(Container {
        id: id.clone(),
        params: p.clone(),
        carousel_item: p.get("is_carousel_item").map(String::as_str) == Some("true"),
        media_type,
        created_at,
        fails_with,
        published: None,
    });
    (200, json!({"id": id}))
}

fn publish(st: &mut State, p: &BTreeMap<String, String>) -> Answer {
    let Some(cid) = p.get("creation_id") else {
        return bad(100, "Param creation_id is required");
    };
    let Some(c) = st.containers.iter().find(|c| c.id == *cid).cloned() else {
        return bad(24, "The requested resource does not exist");
    };
    if c.carousel_item {
        return bad(100, "A carousel item is published through its carousel");
    }
    match status(st, &c).0 {
        "FINISHED" => {}
        "IN_PROGRESS" => {
            return bad(
                9007,
                "The media is not ready for publishing, please wait for a moment",
            )
        }
        "ERROR" => {
            return bad(
                9007,
                "The media could not be processed and cannot be published",
            )
        }
        s => return bad(24, &format!("The container is {s} and cannot be published")),
    }
    if quota_used(st) >= st.cfg.quota_total {
        return bad(
            9,
            "The profile has reached its limit of 250 API-published posts in 24 hours",
        );
    }
    let id = st.id();
    let media_type = match c.media_type.as_str() {
        "TEXT" => "TEXT_POST",
        "CAROUSEL" => "CAROUSEL_ALBUM",
        other => other,
    }
    .to_string();
    let published_at = st.now();
    st.media.push(Media {
        shortcode: format!("C{}", &id[id.len() - 8..]),
        id: id.clone(),
        container_id: c.id.clone(),
        media_type,
        text: c.params.get("text").cloned(),
        published_at,
        deleted: false,
    });
    if let Some(x) = st.containers.iter_mut().find(|x| x.id == c.id) {
        x.published = Some(id.clone());
    }
    (200, json!({"id": id}))
}

fn media_json(st: &State, m: &Media) -> Value {
    let ts = jiff::Timestamp::from_second(m.published_at)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S+0000").to_string())
        .unwrap_or_default();
    let mut v = json!({
        "id": m.id,
        "media_product_type": "THREADS",
        "media_type": m.media_type,
        "permalink": format!("https://www.threads.com/@{}/post/{}", st.cfg.username, m.shortcode),
        "shortcode": m.shortcode,
        "timestamp": ts,
    });
    if let Some(t) = &m.text {
        v["text"] = json!(t);
    }
    super::live::extend(st, m, &mut v);
    v
}

fn refresh(st: &mut State, p: &BTreeMap<String, String>, tok: &Token) -> Answer {
    if p.get("grant_type").map(String::as_str) != Some("th_refresh_token") {
        return error(
            400,
            100,
            "OAuthException",
            "Param grant_type must be th_refresh_token",
        );
    }
    let now = st.now();
    if now - tok.issued_at < st.cfg.min_refresh_age.as_secs() as i64 {
        return error(
            400,
            100,
            "OAuthException",
            "The access token must be at least 24 hours old to be refreshed",
        );
    }
    let lifetime = st.cfg.token_lifetime.as_secs() as i64;
    let new = Token {
        token: format!("THrefreshed-{}", st.id()),
        issued_at: now,
        expires_at: now + lifetime,
    };
    st.tokens.push(new.clone());
    (
        200,
        json!({"access_token": new.token, "token_type": "bearer", "expires_in": lifetime}),
    )
}

fn debug_token(st: &State, p: &BTreeMap<String, String>) -> Answer {
    let Some(input) = p.get("input_token") else {
        return bad(100, "Param input_token is required");
    };
    let t = st.tokens.iter().find(|t| t.token == *input);
    let data = match t {
        Some(t) => json!({
            "type": "USER",
            "application": "postwright test",
            "is_valid": t.expires_at > st.now(),
            "issued_at": t.issued_at,
            "expires_at": t.expires_at,
            "scopes": st.cfg.scopes,
            "user_id": st.cfg.user_id,
        }),
        None => json!({"is_valid": false, "scopes": []}),
    };
    (200, json!({"data": data}))
}

/// `a=1&b=x%20y` (form or query), `+` as a space.
fn parse_pairs(raw: &[u8], out: &mut BTreeMap<String, String>) {
    for pair in raw.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let mut kv = pair.splitn(2, |b| *b == b'=');
        let k = decode(kv.next().unwrap_or_default());
        let v = decode(kv.next().unwrap_or_default());
        out.insert(k, v);
    }
}

fn decode(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => {
                let hex = std::str::from_utf8(&s[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
