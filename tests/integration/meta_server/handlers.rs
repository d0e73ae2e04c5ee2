//! Request handling of the test Graph API server.

// Errors are whole answers here (`Outcome`); their size does not matter.
#![allow(clippy::result_large_err)]

use super::{
    Comment, Container, Effect, Fault, Inner, Login, Media, Recorded, Shared, Token, Upload,
};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, Uri};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

const DAY: f64 = 86_400.0;
const LONG_LIVED_SECS: i64 = 5_184_000;

/// What a request comes to before it becomes an HTTP answer.
struct Outcome {
    status: u16,
    body: Value,
    effect: Option<Effect>,
    drop: bool,
    /// The account whose usage headers go with the answer.
    user: Option<String>,
}

impl Outcome {
    fn ok(body: Value) -> Outcome {
        Outcome {
            status: 200,
            body,
            effect: None,
            drop: false,
            user: None,
        }
    }
}

/// A Meta error object with the HTTP status Meta uses for it.
fn error(code: i64, subcode: Option<i64>, message: &str) -> Outcome {
    let status = match code {
        1 | 2 => 500,
        190 | 102 | 104 => 400,
        10 | 200..=299 => 403,
        _ => 400,
    };
    let kind = match code {
        190 | 102 | 104 | 10 | 200..=299 | 100 => "OAuthException",
        4 | 17 | 32 | 613 | 80001 | 80002 => "OAuthException",
        _ => "IGApiException",
    };
    let mut e = json!({
        "message": message,
        "type": kind,
        "code": code,
        "fbtrace_id": format!("A{:x}", message.len() as u64 * 7919 + code.unsigned_abs()),
    });
    if let Some(s) = subcode {
        e["error_subcode"] = json!(s);
        e["error_user_title"] = json!(user_title(s));
        e["error_user_msg"] = json!(message);
    }
    if matches!(code, 1 | 2) {
        e["is_transient"] = json!(true);
    }
    Outcome {
        status,
        body: json!({ "error": e }),
        effect: None,
        drop: false,
        user: None,
    }
}

fn user_title(subcode: i64) -> &'static str {
    match subcode {
        2207027 => "Media is not ready to be published",
        2207020 => "The media you are trying to access has expired",
        2207008 => "Media builder expired",
        2207042 => "Reached maximum number of posts",
        2207052 => "Media could not be fetched from this uri",
        2207004 => "Image size is too large",
        2207005 => "Unsupported image format",
        2207010 => "Caption is too long",
        2207028 => "Carousel validation failed",
        2207040 => "Too many tags",
        463 => "Session has expired",
        467 => "Invalid access token",
        _ => "Error",
    }
}

fn param_error(name: &str, why: &str) -> Outcome {
    error(100, None, &format!("(#100) Param {name} {why}"))
}

fn parse_pairs(text: &str) -> BTreeMap<String, String> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    if let Some(rel) = path.strip_prefix("/static/") {
        return serve_static(&shared, &method, rel, &headers);
    }
    let hdrs: BTreeMap<String, String> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut params = parse_pairs(&query);
    let is_form = hdrs
        .get("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        params.extend(parse_pairs(&String::from_utf8_lossy(&body)));
    }

    // Which fault, if any, this request meets.
    let fault = {
        let mut inner = shared.lock();
        let n = inner.requests.len() as u64;
        let injected = inner
            .faults
            .iter()
            .position(|f| matches_pattern(&format!("{method} {path}"), fault_path(f)))
            .and_then(|i| inner.faults.remove(i));
        injected.or_else(|| {
            let (seed, rate) = inner.seeded?;
            let r = splitmix(seed ^ n.wrapping_mul(0x2545_f491_4f6c_dd1d));
            if unit(r) >= rate {
                return None;
            }
            let r2 = splitmix(r);
            let p = path.clone();
            Some(match r2 % 5 {
                0 => Fault::Http500BeforeEffect { path_contains: p },
                1 => Fault::DropAfterEffect { path_contains: p },
                2 => Fault::RateLimit {
                    path_contains: p,
                    code: 4,
                    usage_pct: 100,
                    regain_minutes: (splitmix(r2) % 3) as u32,
                },
                3 => Fault::Latency {
                    path_contains: p,
                    ms: splitmix(r2) % 300,
                },
                _ => Fault::MetaError {
                    path_contains: p,
                    code: 1,
                    subcode: None,
                    transient: true,
                },
            })
        })
    };
    if let Some(Fault::Latency { ms, .. }) = &fault {
        tokio::time::sleep(std::time::Duration::from_millis(*ms)).await;
    }

    let (outcome, usage) = {
        let mut inner = shared.lock();
        let mut outcome = route(
            &mut inner,
            &method,
            &path,
            &params,
            &hdrs,
            &body,
            fault.as_ref(),
        );
        if matches!(fault, Some(Fault::DropAfterEffect { .. })) {
            outcome.drop = true;
        }
        let usage = outcome.user.clone().map(|u| usage_headers(&mut inner, &u));
        inner.requests.push(Recorded {
            method: method.to_string(),
            path: path.clone(),
            query: query.clone(),
            params: params.clone(),
            headers: hdrs.clone(),
            status: outcome.status,
            dropped: outcome.drop,
        });
        (outcome, usage)
    };
    if let Some(effect) = &outcome.effect {
        let hook = shared.hook.lock().unwrap().clone();
        if let Some(hook) = hook {
            hook(effect);
        }
    }
    let mut response = Response::builder()
        .status(outcome.status)
        .header("content-type", "application/json; charset=UTF-8");
    if let Some((app, business)) = usage {
        response = response
            .header("x-app-usage", app)
            .header("x-business-use-case-usage", business);
    }
    let text = outcome.body.to_string();
    if outcome.drop {
        // The effect happened; the answer never arrives whole.
        let stream = futures_util::stream::iter(vec![
            Ok::<Bytes, std::io::Error>(Bytes::from(text[..text.len() / 2].to_string())),
            Err(std::io::Error::other("connection reset")),
        ]);
        return response
            .header("content-length", text.len().to_string())
            .body(Body::from_stream(stream))
            .unwrap();
    }
    response.body(Body::from(text)).unwrap()
}

/// `pattern`'s parts, split at `*`, appear in `target` in order.
fn matches_pattern(target: &str, pattern: &str) -> bool {
    let mut rest = target;
    for part in pattern.split('*') {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

fn fault_path(f: &Fault) -> &str {
    match f {
        Fault::Http500BeforeEffect { path_contains }
        | Fault::DropAfterEffect { path_contains }
        | Fault::RateLimit { path_contains, .. }
        | Fault::Latency { path_contains, .. }
        | Fault::MetaError { path_contains, .. } => path_contains,
        Fault::ProcessingError | Fault::ExpireContainers => "\u{0}never",
    }
}

/// Usage headers for `user`: calls in the last hour, 100 % while blocked.
fn usage_headers(inner: &mut Inner, user: &str) -> (String, String) {
    let now = inner.now();
    let step = inner.config.usage_step_pct;
    let calls = inner.calls.entry(user.to_string()).or_default();
    calls.retain(|t| now - t < 3600.0);
    calls.push(now);
    let mut pct = (calls.len() as u32 * step).min(99);
    let mut regain = 0;
    if let Some(until) = inner.throttled_until.get(user) {
        if *until > now {
            pct = 100;
            regain = ((until - now) / 60.0).ceil() as u64;
        }
    }
    let app =
        json!({"call_count": pct, "total_cputime": pct / 2, "total_time": pct / 2}).to_string();
    let business = json!({ user: [{
        "type": "instagram",
        "call_count": pct,
        "total_cputime": pct / 2,
        "total_time": pct / 2,
        "estimated_time_to_regain_access": regain,
    }]})
    .to_string();
    (app, business)
}

fn serve_static(
    shared: &Shared,
    method: &Method,
    rel: &str,
    headers: &HeaderMap,
) -> Response<Body> {
    let root = shared.lock().config.static_root.clone();
    let not_found = || {
        Response::builder()
            .status(404)
            .body(Body::from("not found"))
            .unwrap()
    };
    let Some(root) = root else { return not_found() };
    let rel = decode(rel);
    if rel.split('/').any(|s| s == "..") {
        return not_found();
    }
    let Ok(bytes) = std::fs::read(root.join(&rel)) else {
        return not_found();
    };
    let total = bytes.len();
    let range = headers
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| {
            let (a, b) = v.split_once('-')?;
            let a: usize = a.parse().ok()?;
            let b: usize = b.parse().unwrap_or(total.saturating_sub(1));
            (a <= b && a < total).then_some((a, b.min(total - 1)))
        });
    let builder = Response::builder().header("accept-ranges", "bytes");
    let (builder, body) = match range {
        Some((a, b)) => (
            builder
                .status(206)
                .header("content-range", format!("bytes {a}-{b}/{total}"))
                .header("content-length", (b - a + 1).to_string()),
            bytes[a..=b].to_vec(),
        ),
        None => (
            builder
                .status(200)
                .header("content-length", total.to_string()),
            bytes,
        ),
    };
    if method == Method::HEAD {
        return builder.body(Body::empty()).unwrap();
    }
    builder.body(Body::from(body)).unwrap()
}

/// The token of a request: `Authorization: Bearer|OAuth`, else the
/// `access_token` parameter (Meta takes both; the client must not use it).
fn token_of(params: &BTreeMap<String, String>, hdrs: &BTreeMap<String, String>) -> Option<String> {
    if let Some(a) = hdrs.get("authorization") {
        let t = a
            .strip_prefix("Bearer ")
            .or_else(|| a.strip_prefix("OAuth "))
            .unwrap_or(a);
        return Some(t.trim().to_string());
    }
    params.get("access_token").cloned()
}

/// The account a user token acts for, or the error Meta gives.
fn authenticate(
    inner: &Inner,
    params: &BTreeMap<String, String>,
    hdrs: &BTreeMap<String, String>,
) -> Result<(String, Token), Outcome> {
    let Some(token) = token_of(params, hdrs) else {
        return Err(error(
            104,
            None,
            "An access token is required to request this resource.",
        ));
    };
    let Some(info) = inner.tokens.get(&token).cloned() else {
        return Err(error(
            190,
            Some(467),
            "Invalid OAuth access token - Cannot parse access token",
        ));
    };
    if let Some(exp) = info.expires_at {
        if (exp as f64) <= inner.now() {
            return Err(error(
                190,
                Some(463),
                "Error validating access token: Session has expired.",
            ));
        }
    }
    if let Some(secret) = &inner.config.app_secret {
        if let Some(proof) = params.get("appsecret_proof") {
            if *proof != proof_of(secret, &token) {
                return Err(error(
                    100,
                    None,
                    "Invalid appsecret_proof provided in the API argument",
                ));
            }
        }
    }
    Ok((token, info))
}

fn proof_of(secret: &str, token: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(token.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn need_scope(info: &Token, what: &str) -> Result<(), Outcome> {
    let scope = match (info.login, what) {
        (Login::Instagram, "publish") => "instagram_business_content_publish",
        (Login::Instagram, "comments") => "instagram_business_manage_comments",
        (Login::Instagram, _) => "instagram_business_basic",
        (Login::Facebook, "publish") => "instagram_content_publish",
        (Login::Facebook, "comments") => "instagram_manage_comments",
        (Login::Facebook, "delete") => "instagram_manage_contents",
        (Login::Facebook, _) => "instagram_basic",
    };
    if info.scopes.iter().any(|s| s == scope) {
        Ok(())
    } else {
        Err(error(
            10,
            None,
            &format!(
                "(#10) Application does not have permission for this action: {scope} is required"
            ),
        ))
    }
}

fn meta_time(secs: f64) -> String {
    jiff::Timestamp::from_second(secs as i64)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S%z")
        .to_string()
}

pub(crate) fn status_code(c: &Container, now: f64) -> &'static str {
    if c.published {
        "PUBLISHED"
    } else if now - c.created_at >= DAY {
        "EXPIRED"
    } else if c.error.is_some() {
        "ERROR"
    } else if c.ready_at.is_none_or(|r| now < r) {
        "IN_PROGRESS"
    } else {
        "FINISHED"
    }
}

#[allow(clippy::too_many_arguments)]
fn route(
    inner: &mut Inner,
    method: &Method,
    path: &str,
    params: &BTreeMap<String, String>,
    hdrs: &BTreeMap<String, String>,
    body: &Bytes,
    fault: Option<&Fault>,
) -> Outcome {
    let mut segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    if segs.first() == Some(&"ig-api-upload") {
        return upload(inner, &segs, hdrs, body);
    }
    if segs
        .first()
        .is_some_and(|s| s.starts_with('v') && s[1..].parse::<f64>().is_ok())
    {
        segs.remove(0);
    }
    // Token endpoints authenticate in their own ways.
    match segs.as_slice() {
        ["refresh_access_token"] => return refresh(inner, params, hdrs),
        ["access_token"] => return exchange_instagram(inner, params, hdrs),
        ["oauth", "access_token"] => return exchange_facebook(inner, params),
        ["debug_token"] => return debug_token(inner, params, hdrs),
        _ => {}
    }
    let (_, info) = match authenticate(inner, params, hdrs) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let user = info.user_id.clone();
    let now = inner.now();
    let mut out = route_user(inner, method, &segs, params, &info, now, fault);
    out.user.get_or_insert(user);
    out
}

fn route_user(
    inner: &mut Inner,
    method: &Method,
    segs: &[&str],
    params: &BTreeMap<String, String>,
    info: &Token,
    now: f64,
    fault: Option<&Fault>,
) -> Outcome {
    let user = info.user_id.as_str();
    // A blocked account stays blocked; calls made meanwhile extend it.
    if let Some(until) = inner.throttled_until.get_mut(user) {
        if *until > now {
            *until += 30.0;
            return error(
                80002,
                None,
                "There have been too many calls to this Instagram account. Wait a bit and try again.",
            );
        }
    }
    match fault {
        Some(Fault::Http500BeforeEffect { .. }) => {
            return error(2, None, "Service temporarily unavailable")
        }
        Some(Fault::MetaError {
            code,
            subcode,
            transient,
            ..
        }) => {
            let mut e = error(*code, *subcode, "Injected error");
            if *transient {
                e.body["error"]["is_transient"] = json!(true);
            }
            return e;
        }
        Some(Fault::RateLimit {
            code,
            regain_minutes,
            ..
        }) => {
            inner
                .throttled_until
                .insert(user.to_string(), now + f64::from(*regain_minutes) * 60.0);
            let msg = if *code == 80002 {
                "There have been too many calls to this Instagram account. Wait a bit and try again."
            } else {
                "Application request limit reached"
            };
            return error(*code, None, msg);
        }
        _ => {}
    }
    match (method.as_str(), segs) {
        ("POST", [u, "media"]) => {
            if let Err(e) = own(user, u) {
                return e;
            }
            if let Err(e) = need_scope(info, "publish") {
                return e;
            }
            create_container(inner, info, params, now)
        }
        ("POST", [u, "media_publish"]) => {
            if let Err(e) = own(user, u) {
                return e;
            }
            if let Err(e) = need_scope(info, "publish") {
                return e;
            }
            publish(inner, user, params, now)
        }
        ("GET", [u, "content_publishing_limit"]) => {
            if let Err(e) = own(user, u) {
                return e;
            }
            let used = inner
                .media
                .iter()
                .filter(|m| m.user_id == user && now - m.published_at < DAY)
                .count() as u32
                + inner.quota_extra.get(user).copied().unwrap_or(0);
            Outcome::ok(json!({"data": [{
                "quota_usage": used,
                "config": {"quota_total": inner.config.quota_total, "quota_duration": 86400}
            }]}))
        }
        ("GET", [u, edge @ ("media" | "stories")]) => {
            if let Err(e) = own(user, u) {
                return e;
            }
            list_media(inner, user, *edge == "stories", params, now)
        }
        ("GET", [id]) => read_object(inner, user, id, params, now),
        ("POST", [id]) => {
            let Some(m) = inner.media.iter_mut().find(|m| m.id == *id && !m.deleted) else {
                return missing(id, "post");
            };
            if m.user_id != user {
                return missing(id, "post");
            }
            let Some(v) = params.get("comment_enabled") else {
                return param_error("comment_enabled", "is required");
            };
            let enabled = match v.as_str() {
                "true" => true,
                "false" => false,
                _ => return param_error("comment_enabled", "must be a boolean"),
            };
            if let Err(e) = need_scope(info, "comments") {
                return e;
            }
            m.comment_enabled = enabled;
            let mut out = Outcome::ok(json!({"success": true}));
            out.effect = Some(Effect::CommentsToggled {
                media_id: id.to_string(),
                enabled,
            });
            out
        }
        ("DELETE", [id]) => {
            if info.login == Login::Instagram {
                return error(100, None, "Unsupported delete request.");
            }
            if let Err(e) = need_scope(info, "delete") {
                return e;
            }
            let Some(m) = inner
                .media
                .iter_mut()
                .find(|m| m.id == *id && !m.deleted && m.user_id == user)
            else {
                return missing(id, "delete");
            };
            m.deleted = true;
            let mut out = Outcome::ok(json!({"success": true, "deleted_id": id}));
            out.effect = Some(Effect::Deleted {
                media_id: id.to_string(),
            });
            out
        }
        ("POST", [id, "comments"]) => {
            if let Err(e) = need_scope(info, "comments") {
                return e;
            }
            let Some(m) = inner.media.iter().find(|m| m.id == *id && !m.deleted) else {
                return missing(id, "post");
            };
            if !m.comment_enabled {
                return error(100, None, "Comments are disabled for this media");
            }
            let Some(text) = params.get("message").filter(|t| !t.is_empty()) else {
                return param_error("message", "is required");
            };
            let username = inner
                .config
                .accounts
                .iter()
                .find(|a| a.user_id == user)
                .map_or("someone".to_string(), |a| a.username.clone());
            let cid = inner.id(17_950_000_000_000_000);
            inner.comments.push(Comment {
                id: cid.clone(),
                media_id: id.to_string(),
                text: text.clone(),
                username,
                timestamp: meta_time(now),
            });
            let mut out = Outcome::ok(json!({"id": cid}));
            out.effect = Some(Effect::CommentCreated {
                id: cid,
                media_id: id.to_string(),
            });
            out
        }
        ("GET", [id, "comments"]) => {
            if !inner.media.iter().any(|m| m.id == *id && !m.deleted) {
                return missing(id, "get");
            }
            let data: Vec<Value> = inner
                .comments
                .iter()
                .filter(|c| c.media_id == *id)
                .map(|c| {
                    select(
                        json!({"id": c.id, "text": c.text, "username": c.username, "timestamp": c.timestamp}),
                        params.get("fields"),
                    )
                })
                .collect();
            Outcome::ok(json!({ "data": data }))
        }
        _ => error(
            100,
            None,
            &format!("Unsupported {} request.", method.as_str().to_lowercase()),
        ),
    }
}

fn own(user: &str, path_user: &str) -> Result<(), Outcome> {
    if user == path_user {
        Ok(())
    } else {
        Err(missing(path_user, "post"))
    }
}

fn missing(id: &str, verb: &str) -> Outcome {
    error(
        100,
        Some(33),
        &format!(
            "Unsupported {verb} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
        ),
    )
}

/// Only the fields asked for (plus `id`), as Meta answers.
fn select(full: Value, fields: Option<&String>) -> Value {
    let Some(fields) = fields else { return full };
    let mut out = Map::new();
    if let Value::Object(map) = full {
        for (k, v) in map {
            if (k == "id" || fields.split(',').any(|f| f.trim() == k)) && !v.is_null() {
                out.insert(k, v);
            }
        }
    }
    Value::Object(out)
}

fn media_json(m: &Media) -> Value {
    json!({
        "id": m.id,
        "caption": m.caption,
        "media_type": m.media_type,
        "media_product_type": m.media_product_type,
        "permalink": m.permalink,
        "shortcode": m.shortcode,
        "timestamp": m.timestamp,
        "is_comment_enabled": m.comment_enabled,
        "comments_count": 0,
    })
}

fn read_object(
    inner: &mut Inner,
    user: &str,
    id: &str,
    params: &BTreeMap<String, String>,
    now: f64,
) -> Outcome {
    let fields = params.get("fields");
    if id == user || id == "me" {
        let account = inner.config.accounts.iter().find(|a| a.user_id == user);
        let username = account.map(|a| a.username.clone());
        return Outcome::ok(select(
            json!({"id": user, "user_id": user, "username": username}),
            fields,
        ));
    }
    if let Some(c) = inner
        .containers
        .iter()
        .find(|c| c.id == id && c.user_id == user)
    {
        let code = status_code(c, now);
        let status = match code {
            "ERROR" => c.error.clone().unwrap_or_default(),
            "EXPIRED" => "Expired: the container was not published within 24 hours".into(),
            "FINISHED" => {
                "Finished: Media has been uploaded and it is ready to be published.".into()
            }
            "PUBLISHED" => "Published".into(),
            _ => "In Progress: Media is still being processed.".into(),
        };
        let mut full = json!({"id": c.id, "status_code": code, "status": status});
        if let Some(u) = &c.upload {
            let done = u.file_size.is_some_and(|s| u.received >= s);
            full["video_status"] = json!({
                "uploading_phase": {
                    "status": if done { "complete" } else { "in_progress" },
                    "bytes_transferred": u.received,
                },
                "processing_phase": {"status": if code == "FINISHED" { "complete" } else { "in_progress" }},
            });
        }
        return Outcome::ok(select(full, fields));
    }
    if let Some(m) = inner
        .media
        .iter()
        .find(|m| m.id == id && !m.deleted && m.user_id == user)
    {
        return Outcome::ok(select(media_json(m), fields));
    }
    missing(id, "get")
}

fn list_media(
    inner: &Inner,
    user: &str,
    stories: bool,
    params: &BTreeMap<String, String>,
    now: f64,
) -> Outcome {
    let all: Vec<&Media> = inner
        .media
        .iter()
        .rev()
        .filter(|m| m.user_id == user && !m.deleted)
        .filter(|m| {
            if stories {
                m.media_product_type == "STORY" && now - m.published_at < DAY
            } else {
                m.media_product_type != "STORY"
            }
        })
        .collect();
    let limit: usize = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(25)
        .clamp(1, 100);
    let start = params
        .get("after")
        .and_then(|a| a.strip_prefix("c"))
        .and_then(|a| a.parse::<usize>().ok())
        .unwrap_or(0);
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(limit)
        .map(|m| select(media_json(m), params.get("fields")))
        .collect();
    let end = start + page.len();
    let mut paging =
        json!({"cursors": {"before": format!("c{start}"), "after": format!("c{end}")}});
    if end < all.len() {
        paging["next"] = json!(format!("/{user}/media?after=c{end}&limit={limit}"));
    }
    Outcome::ok(json!({"data": page, "paging": paging}))
}

/// Allowed parameters per container kind (Meta's table), besides auth ones.
fn allowed(kind: &str) -> &'static [&'static str] {
    match kind {
        "IMAGE" => &[
            "image_url",
            "caption",
            "location_id",
            "user_tags",
            "collaborators",
            "alt_text",
            "product_tags",
            "is_ai_generated",
        ],
        "ITEM_IMAGE" => &[
            "is_carousel_item",
            "image_url",
            "user_tags",
            "alt_text",
            "product_tags",
        ],
        "ITEM_VIDEO" => &["is_carousel_item", "media_type", "video_url", "upload_type"],
        "CAROUSEL" => &[
            "media_type",
            "children",
            "caption",
            "location_id",
            "collaborators",
            "product_tags",
            "is_ai_generated",
        ],
        "REELS" => &[
            "media_type",
            "video_url",
            "upload_type",
            "caption",
            "location_id",
            "user_tags",
            "collaborators",
            "cover_url",
            "thumb_offset",
            "share_to_feed",
            "audio_name",
            "trial_params",
            "is_ai_generated",
        ],
        "STORIES" => &[
            "media_type",
            "image_url",
            "video_url",
            "upload_type",
            "user_tags",
        ],
        _ => &[],
    }
}

/// Fetches a media URL the way Meta does, from the static server (the
/// only host reachable here; anything else cannot be fetched).
fn fetch(inner: &Inner, _base: &str, url: &str) -> Option<Vec<u8>> {
    if !url.starts_with("http://127.0.0.1:") {
        return None;
    }
    let (_, rel) = url.split_once("/static/")?;
    let root = inner.config.static_root.as_ref()?;
    let rel = decode(rel);
    if rel.split('/').any(|s| s == "..") {
        return None;
    }
    std::fs::read(root.join(rel)).ok()
}

fn check_caption(caption: &str) -> Result<(), Outcome> {
    if caption.chars().count() > 2200 {
        return Err(error(36004, Some(2207010), "The caption is too long."));
    }
    if caption.matches('#').count() > 30 {
        return Err(error(
            100,
            None,
            "(#100) The caption has more than 30 hashtags.",
        ));
    }
    if caption.matches('@').count() > 20 {
        return Err(error(
            100,
            Some(2207040),
            "The caption has more than 20 @-tags.",
        ));
    }
    Ok(())
}

fn check_user_tags(v: &str, positions: bool) -> Result<(), Outcome> {
    let Ok(Value::Array(tags)) = serde_json::from_str::<Value>(v) else {
        return Err(param_error("user_tags", "must be a JSON array"));
    };
    for t in &tags {
        if !t.get("username").is_some_and(Value::is_string) {
            return Err(param_error("user_tags", "needs a username in every tag"));
        }
        if positions {
            for k in ["x", "y"] {
                let Some(p) = t.get(k).and_then(Value::as_f64) else {
                    return Err(param_error("user_tags", &format!("needs {k} for images")));
                };
                if !(0.0..=1.0).contains(&p) {
                    return Err(param_error(
                        "user_tags",
                        &format!("{k} must be between 0 and 1"),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn create_container(
    inner: &mut Inner,
    info: &Token,
    params: &BTreeMap<String, String>,
    now: f64,
) -> Outcome {
    let user = info.user_id.clone();
    let p = |k: &str| params.get(k).map(String::as_str);
    let is_item = p("is_carousel_item") == Some("true");
    let media_type = p("media_type");
    let kind = match (media_type, is_item) {
        (None, false) => "IMAGE",
        (None, true) => "ITEM_IMAGE",
        (Some("VIDEO"), true) => "ITEM_VIDEO",
        (Some("CAROUSEL"), false) => "CAROUSEL",
        (Some("REELS"), false) => "REELS",
        (Some("STORIES"), false) => "STORIES",
        (Some("VIDEO"), false) => {
            return error(
                100,
                Some(2207023),
                "The media type VIDEO is no longer supported for single posts; use REELS.",
            )
        }
        (Some(other), _) => {
            return error(
                100,
                Some(2207023),
                &format!("The media type {other} is unknown."),
            )
        }
    };
    for k in params.keys() {
        if matches!(
            k.as_str(),
            "access_token" | "appsecret_proof" | "appsecret_time"
        ) {
            continue;
        }
        if !allowed(kind).contains(&k.as_str()) {
            return param_error(k, &format!("is not allowed for {kind} containers"));
        }
    }
    if let Some(c) = p("caption") {
        if let Err(e) = check_caption(c) {
            return e;
        }
    }
    if let Some(alt) = p("alt_text") {
        if alt.chars().count() > 1000 {
            return param_error("alt_text", "must be at most 1000 characters");
        }
    }
    if let Some(tags) = p("user_tags") {
        if let Err(e) = check_user_tags(tags, kind != "REELS") {
            return e;
        }
    }
    if let Some(c) = p("collaborators") {
        match serde_json::from_str::<Vec<String>>(c) {
            Ok(list) if list.len() <= 3 && list.iter().all(|u| !u.starts_with('@')) => {}
            _ => {
                return param_error(
                    "collaborators",
                    "must be a JSON array of at most 3 usernames",
                )
            }
        }
    }
    if let Some(t) = p("thumb_offset") {
        if t.parse::<u64>().is_err() {
            return error(1, Some(2207057), "The thumbnail offset is invalid.");
        }
    }
    if let Some(s) = p("share_to_feed") {
        if s != "true" && s != "false" {
            return param_error("share_to_feed", "must be a boolean");
        }
    }
    let resumable = p("upload_type") == Some("resumable");
    if resumable && info.login == Login::Instagram {
        return param_error(
            "upload_type",
            "resumable is not supported with Instagram Login",
        );
    }
    let base = {
        // The server's own address, as the static URLs carry it.
        let any = params
            .get("image_url")
            .or_else(|| params.get("video_url"))
            .cloned()
            .unwrap_or_default();
        any.split("/static/").next().unwrap_or("").to_string()
    };
    let is_video = matches!(kind, "ITEM_VIDEO" | "REELS")
        || (kind == "STORIES" && (p("video_url").is_some() || resumable));
    let mut error_text = None;
    match kind {
        "CAROUSEL" => {
            let Some(children) = p("children") else {
                return error(100, Some(2207028), "Carousel needs children.");
            };
            let ids: Vec<&str> = children.split(',').filter(|s| !s.is_empty()).collect();
            if !(2..=10).contains(&ids.len()) {
                return error(100, Some(2207028), "A carousel needs 2 to 10 children.");
            }
            for id in &ids {
                let Some(c) = inner.containers.iter().find(|c| c.id == *id) else {
                    return error(100, Some(2207028), &format!("Child {id} does not exist."));
                };
                if c.user_id != user || !c.is_carousel_item {
                    return error(100, Some(2207028), &format!("{id} is not a carousel item."));
                }
                if status_code(c, now) != "FINISHED" {
                    return error(
                        9007,
                        Some(2207027),
                        &format!("Child {id} is not ready: {}", status_code(c, now)),
                    );
                }
            }
        }
        _ => {
            let image = p("image_url");
            let video = p("video_url");
            match (is_video, image, video, resumable) {
                (false, Some(url), None, false) => match fetch(inner, &base, url) {
                    None => {
                        return error(
                            9004,
                            Some(2207052),
                            "Media could not be fetched from this uri",
                        )
                    }
                    Some(bytes) if bytes.len() > 8 * 1024 * 1024 => {
                        return error(36000, Some(2207004), "The image is too large.")
                    }
                    Some(bytes) if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) => {
                        return error(36001, Some(2207005), "The image format is not supported.")
                    }
                    Some(_) => {}
                },
                (true, None, Some(url), false) => match fetch(inner, &base, url) {
                    Some(bytes) if bytes.len() > 8 && &bytes[4..8] == b"ftyp" => {}
                    Some(_) => {
                        error_text =
                            Some("ERROR: 2207026 The video format is not supported.".to_string())
                    }
                    None => {
                        error_text = Some(
                            "ERROR: 2207052 Media could not be fetched from this uri".to_string(),
                        )
                    }
                },
                (true, None, None, true) => {}
                _ => {
                    return param_error(
                        if is_video { "video_url" } else { "image_url" },
                        "is required (exactly one media source)",
                    )
                }
            }
            if let Some(cover) = p("cover_url") {
                if fetch(inner, &base, cover).is_none_or(|b| !b.starts_with(&[0xFF, 0xD8, 0xFF])) {
                    return error(
                        9004,
                        Some(2207052),
                        "The cover could not be fetched as a JPEG",
                    );
                }
            }
        }
    }
    let recent = inner
        .containers
        .iter()
        .filter(|c| c.user_id == user && now - c.created_at < DAY)
        .count();
    if recent >= 400 {
        return error(9, Some(2207042), "At most 400 containers in 24 hours.");
    }
    if is_video && inner.processing_errors > 0 {
        inner.processing_errors -= 1;
        error_text = Some("ERROR: 2207001 An error occurred while processing the video.".into());
    }
    let id = inner.id(17_890_000_000_000_000);
    let processing = inner.config.video_processing.as_secs_f64();
    let ready_at = if resumable {
        None
    } else if is_video {
        Some(now + processing)
    } else {
        Some(now)
    };
    inner.containers.push(Container {
        id: id.clone(),
        user_id: user.clone(),
        params: params
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "access_token" | "appsecret_proof" | "appsecret_time"
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        status_code: String::new(),
        is_video,
        is_carousel_item: is_item,
        created_at: now,
        ready_at,
        error: error_text,
        upload: resumable.then_some(Upload {
            file_size: None,
            received: 0,
        }),
        published: false,
    });
    let mut body = json!({ "id": id });
    if resumable {
        body["uri"] = json!(format!("/ig-api-upload/v24.0/{id}"));
    }
    let mut out = Outcome::ok(body);
    out.effect = Some(Effect::ContainerCreated { id });
    out
}

fn publish(inner: &mut Inner, user: &str, params: &BTreeMap<String, String>, now: f64) -> Outcome {
    let Some(cid) = params.get("creation_id") else {
        return param_error("creation_id", "is required");
    };
    let Some(idx) = inner
        .containers
        .iter()
        .position(|c| c.id == *cid && c.user_id == user)
    else {
        return error(
            24,
            Some(2207008),
            "The media builder does not exist or has expired.",
        );
    };
    let code = status_code(&inner.containers[idx], now);
    match code {
        "FINISHED" => {}
        "IN_PROGRESS" => {
            return error(
                9007,
                Some(2207027),
                "The media is not ready for publishing, please wait for a moment",
            )
        }
        "EXPIRED" => {
            return error(
                -2,
                Some(2207020),
                "The media you are trying to access has expired.",
            )
        }
        "PUBLISHED" => return error(100, None, "(#100) This media has already been published."),
        _ => {
            return error(
                -1,
                Some(2207001),
                "An error occurred while processing this media; create a new container.",
            )
        }
    }
    let used = inner
        .media
        .iter()
        .filter(|m| m.user_id == user && now - m.published_at < DAY)
        .count() as u32
        + inner.quota_extra.get(user).copied().unwrap_or(0);
    if used >= inner.config.quota_total {
        return error(
            9,
            Some(2207042),
            "You reached the maximum number of posts allowed in 24 hours.",
        );
    }
    let c = &mut inner.containers[idx];
    c.published = true;
    let c = c.clone();
    let kind = c.params.get("media_type").map(String::as_str);
    let (media_type, product) = match kind {
        Some("CAROUSEL") => ("CAROUSEL_ALBUM", "FEED"),
        Some("REELS") => ("VIDEO", "REELS"),
        Some("STORIES") if c.is_video => ("VIDEO", "STORY"),
        Some("STORIES") => ("IMAGE", "STORY"),
        _ => ("IMAGE", "FEED"),
    };
    let id = inner.id(18_000_000_000_000_000);
    let shortcode = format!("C{}", &id[id.len() - 9..]);
    let children = c
        .params
        .get("children")
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    inner.media.push(Media {
        id: id.clone(),
        user_id: user.to_string(),
        container_id: c.id.clone(),
        media_type: media_type.into(),
        media_product_type: product.into(),
        caption: c.params.get("caption").cloned(),
        permalink: format!("https://www.instagram.com/p/{shortcode}/"),
        shortcode,
        timestamp: meta_time(now),
        published_at: now,
        children,
        params: c.params.clone(),
        comment_enabled: true,
        deleted: false,
    });
    let mut out = Outcome::ok(json!({ "id": id }));
    out.effect = Some(Effect::Published {
        media_id: id,
        container_id: c.id,
    });
    out
}

fn upload(
    inner: &mut Inner,
    segs: &[&str],
    hdrs: &BTreeMap<String, String>,
    body: &Bytes,
) -> Outcome {
    let Some(id) = segs.get(2) else {
        return error(100, None, "Unsupported upload request.");
    };
    let Some(auth) = hdrs.get("authorization") else {
        return error(104, None, "An access token is required.");
    };
    let Some(token) = auth.strip_prefix("OAuth ") else {
        return error(
            190,
            None,
            "The upload host takes the token as `Authorization: OAuth <token>`.",
        );
    };
    let Some(info) = inner.tokens.get(token.trim()).cloned() else {
        return error(190, Some(467), "Invalid OAuth access token");
    };
    let offset: u64 = hdrs.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let Some(size) = hdrs.get("file_size").and_then(|o| o.parse::<u64>().ok()) else {
        return param_error("file_size", "header is required");
    };
    let processing = inner.config.video_processing.as_secs_f64();
    let now = inner.now();
    let Some(c) = inner
        .containers
        .iter_mut()
        .find(|c| c.id == *id && c.user_id == info.user_id)
    else {
        return missing(id, "upload");
    };
    let Some(up) = c.upload.as_mut() else {
        return error(
            100,
            None,
            "This container was not created for a resumable upload.",
        );
    };
    if offset > up.received {
        return error(
            100,
            None,
            &format!("offset {offset} is past the {} bytes received", up.received),
        );
    }
    up.file_size = Some(size);
    up.received = (offset + body.len() as u64).min(size);
    if up.received >= size {
        c.ready_at = Some(now + processing);
    }
    let mut out = Outcome::ok(json!({"success": true, "message": "Upload successful."}));
    out.user = Some(info.user_id);
    out
}

fn refresh(
    inner: &mut Inner,
    params: &BTreeMap<String, String>,
    hdrs: &BTreeMap<String, String>,
) -> Outcome {
    if params.get("grant_type").map(String::as_str) != Some("ig_refresh_token") {
        return param_error("grant_type", "must be ig_refresh_token");
    }
    let (_, info) = match authenticate(inner, params, hdrs) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if info.login != Login::Instagram {
        return error(
            100,
            None,
            "refresh_access_token takes Instagram User tokens.",
        );
    }
    let now = inner.now();
    if now - (info.issued_at as f64) < DAY {
        return error(
            100,
            None,
            "The token must be at least 24 hours old to be refreshed.",
        );
    }
    issue(inner, &info, "IGQWR-refreshed")
}

fn issue(inner: &mut Inner, from: &Token, prefix: &str) -> Outcome {
    let now = inner.now() as i64;
    let token = format!("{prefix}-{}", inner.id(0));
    inner.tokens.insert(
        token.clone(),
        Token {
            expires_at: Some(now + LONG_LIVED_SECS),
            issued_at: now,
            ..from.clone()
        },
    );
    Outcome::ok(
        json!({"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECS}),
    )
}

fn exchange_instagram(
    inner: &mut Inner,
    params: &BTreeMap<String, String>,
    hdrs: &BTreeMap<String, String>,
) -> Outcome {
    if params.get("grant_type").map(String::as_str) != Some("ig_exchange_token") {
        return param_error("grant_type", "must be ig_exchange_token");
    }
    if params.get("client_secret") != inner.config.app_secret.as_ref()
        || params.get("client_secret").is_none()
    {
        return error(101, None, "Error validating client secret.");
    }
    let (_, info) = match authenticate(inner, params, hdrs) {
        Ok(x) => x,
        Err(e) => return e,
    };
    issue(inner, &info, "IGQWR-long")
}

fn exchange_facebook(inner: &mut Inner, params: &BTreeMap<String, String>) -> Outcome {
    if params.get("grant_type").map(String::as_str) != Some("fb_exchange_token") {
        return param_error("grant_type", "must be fb_exchange_token");
    }
    if params.get("client_id") != inner.config.app_id.as_ref() || params.get("client_id").is_none()
    {
        return error(
            101,
            None,
            "Error validating application. Invalid application ID.",
        );
    }
    if params.get("client_secret") != inner.config.app_secret.as_ref()
        || params.get("client_secret").is_none()
    {
        return error(1, None, "Error validating client secret.");
    }
    let Some(token) = params.get("fb_exchange_token") else {
        return param_error("fb_exchange_token", "is required");
    };
    let Some(info) = inner.tokens.get(token).cloned() else {
        return error(190, Some(467), "Invalid OAuth access token");
    };
    if info.expires_at.is_some_and(|e| (e as f64) <= inner.now()) {
        return error(
            190,
            Some(463),
            "Error validating access token: Session has expired.",
        );
    }
    issue(inner, &info, "EAAG-long")
}

fn debug_token(
    inner: &Inner,
    params: &BTreeMap<String, String>,
    hdrs: &BTreeMap<String, String>,
) -> Outcome {
    let app = token_of(params, hdrs).unwrap_or_default();
    let expected = match (&inner.config.app_id, &inner.config.app_secret) {
        (Some(id), Some(secret)) => format!("{id}|{secret}"),
        _ => return error(190, None, "Invalid OAuth access token (no app configured)"),
    };
    if app != expected {
        return error(
            190,
            None,
            "Invalid OAuth access token - Cannot parse access token",
        );
    }
    let Some(input) = params.get("input_token") else {
        return param_error("input_token", "is required");
    };
    let now = inner.now() as i64;
    let Some(t) = inner.tokens.get(input) else {
        return Outcome::ok(json!({"data": {
            "is_valid": false,
            "error": {"code": 190, "message": "Invalid OAuth access token."}
        }}));
    };
    let valid = t.expires_at.is_none_or(|e| e > now);
    Outcome::ok(json!({"data": {
        "app_id": inner.config.app_id,
        "type": "USER",
        "application": "postwright tests",
        "data_access_expires_at": now + 90 * 86_400,
        "expires_at": t.expires_at.unwrap_or(0),
        "is_valid": valid,
        "issued_at": t.issued_at,
        "scopes": t.scopes,
        "user_id": t.user_id,
    }}))
}
