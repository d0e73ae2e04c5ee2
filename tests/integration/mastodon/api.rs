//! Routing, tokens and scopes, the instance, the account, and media.

use super::params::{self, Part};
use super::{iso_ms, statuses, Media, State};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub(super) struct Req<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a BTreeMap<String, String>,
    pub body: &'a [u8],
    pub bearer: Option<&'a str>,
}

impl Req<'_> {
    pub fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).map(String::as_str)
    }
}

pub(super) struct Answer {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
}

impl Answer {
    pub fn ok(body: Value) -> Answer {
        Answer::with(200, body)
    }

    pub fn with(status: u16, body: Value) -> Answer {
        Answer {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }
}

/// `GET /system/media_attachments/:id/original` (and `/small`, an image's
/// preview): the file's bytes, as the instance's web server or CDN serves
/// them, without a token; 404 once its status is deleted.
pub(super) fn media_file(st: &State, path: &str) -> Option<(String, Vec<u8>)> {
    let rest = path.strip_prefix("/system/media_attachments/")?;
    let (id, size) = rest.split_once('/')?;
    let m = st.media.iter().find(|m| m.id == id)?;
    let gone = m
        .status_id
        .as_ref()
        .is_some_and(|s| st.statuses.iter().any(|x| &x.id == s && x.deleted));
    let preview_of_video = size == "small" && m.kind != "image";
    if gone || preview_of_video || !matches!(size, "original" | "small") {
        return None;
    }
    Some((m.mime.clone(), m.bytes.clone()))
}

/// Mastodon's error shape: `{"error": "…"}`.
pub(super) fn error(status: u16, message: &str) -> Answer {
    Answer::with(status, json!({ "error": message }))
}

pub(super) fn not_found() -> Answer {
    error(404, "Record not found")
}

/// `ActiveRecord::RecordInvalid` / `Mastodon::ValidationError`: 422.
pub(super) fn invalid(message: &str) -> Answer {
    error(422, message)
}

pub(super) type Result<T> = std::result::Result<T, Answer>;

/// The request's parameters, with its files.
pub(super) struct Input {
    pub params: Map<String, Value>,
    pub files: Vec<Part>,
}

pub(super) fn route(st: &mut State, req: &Req) -> Answer {
    let segs: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    let result = match (req.method, segs.as_slice()) {
        ("GET", ["api", "v2", "instance"]) => Ok(instance(st)),
        ("GET", ["api", "v1", "accounts", "verify_credentials"]) => {
            auth(st, req, &["read:accounts", "profile"]).map(|_| account(st))
        }
        ("GET", ["api", "v1", "apps", "verify_credentials"]) => {
            token_scopes(st, req).map(|scopes| app(&scopes, st.cfg.app_scopes))
        }
        ("POST", ["api", "v2" | "v1", "media"]) => {
            auth(st, req, &["write:media"]).and_then(|_| upload(st, req, segs[1] == "v2"))
        }
        ("GET", ["api", "v1", "media", id]) => {
            auth(st, req, &["write:media"]).and_then(|_| get_media(st, id))
        }
        ("PUT", ["api", "v1", "media", id]) => {
            auth(st, req, &["write:media"]).and_then(|_| update_media(st, req, id))
        }
        ("POST", ["api", "v1", "statuses"]) => {
            auth(st, req, &["write:statuses"]).and_then(|_| statuses::create(st, req))
        }
        ("GET", ["api", "v1", "statuses", id]) => {
            optional_auth(st, req).and_then(|_| statuses::get(st, id))
        }
        ("DELETE", ["api", "v1", "statuses", id]) => {
            auth(st, req, &["write:statuses"]).and_then(|_| statuses::delete(st, id))
        }
        ("GET", ["api", "v1", "accounts", id, "statuses"]) => {
            optional_auth(st, req).and_then(|_| statuses::list(st, req, id))
        }
        ("GET", ["api", "v1", "scheduled_statuses"]) => {
            auth(st, req, &["read:statuses"]).and_then(|_| statuses::list_scheduled(st, req))
        }
        ("GET", ["api", "v1", "scheduled_statuses", id]) => {
            auth(st, req, &["read:statuses"]).and_then(|_| statuses::get_scheduled(st, id))
        }
        ("PUT", ["api", "v1", "scheduled_statuses", id]) => {
            auth(st, req, &["write:statuses"]).and_then(|_| statuses::move_scheduled(st, req, id))
        }
        ("DELETE", ["api", "v1", "scheduled_statuses", id]) => {
            auth(st, req, &["write:statuses"]).and_then(|_| statuses::cancel_scheduled(st, id))
        }
        _ => Err(error(404, "Not found")),
    };
    result.unwrap_or_else(|e| e)
}

/// The token's scopes; 401 without a known token.
fn token_scopes(st: &State, req: &Req) -> Result<Vec<String>> {
    req.bearer
        .and_then(|t| st.cfg.tokens.get(t))
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .ok_or_else(|| error(401, "The access token is invalid"))
}

/// A known token holding one of `any` (`write` covers `write:media`); else
/// 401 or 403 as Doorkeeper answers.
pub(super) fn auth(st: &State, req: &Req, any: &[&str]) -> Result<()> {
    let scopes = token_scopes(st, req)?;
    let covered = |want: &str| {
        scopes
            .iter()
            .any(|s| s == want || want.split(':').next() == Some(s.as_str()))
    };
    if any.iter().any(|w| covered(w)) {
        Ok(())
    } else {
        Err(error(403, "This action is outside the authorized scopes"))
    }
}

/// The token's application (Mastodon 4.3+ says its `scopes`; here the
/// application was registered with the token's own).
fn app(scopes: &[String], say_scopes: bool) -> Answer {
    let mut app = json!({
        "id": "7",
        "name": "postwright",
        "website": null,
        "redirect_uris": ["urn:ietf:wg:oauth:2.0:oob"],
    });
    if say_scopes {
        app["scopes"] = json!(scopes);
    }
    Answer::ok(app)
}

/// Public endpoints: no token is fine, a bad one is not.
fn optional_auth(st: &State, req: &Req) -> Result<()> {
    match req.bearer {
        None => Ok(()),
        Some(_) => token_scopes(st, req).map(|_| ()),
    }
}

pub(super) fn input(req: &Req) -> Result<Input> {
    params::parse(req.query, req.header("content-type"), req.body)
        .map(|(params, files)| Input { params, files })
        .map_err(|m| error(400, &m))
}

fn instance(st: &State) -> Answer {
    let c = &st.cfg;
    Answer::ok(json!({
        "domain": c.domain,
        "title": "Mastodon (test)",
        "version": "4.4.0",
        "source_url": "https://github.com/mastodon/mastodon",
        "description": "A test instance.",
        "usage": {"users": {"active_month": 1}},
        "thumbnail": {"url": format!("https://{}/thumb.png", c.domain)},
        "languages": ["en"],
        "configuration": {
            "urls": {"streaming": format!("wss://{}", c.domain), "status": null},
            "vapid": {"public_key": ""},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": c.max_characters,
                "max_media_attachments": c.max_media_attachments,
                "characters_reserved_per_url": c.characters_reserved_per_url,
            },
            "media_attachments": {
                "description_limit": c.description_limit,
                "image_matrix_limit": 33_177_600,
                "image_size_limit": c.image_size_limit,
                "supported_mime_types": c.supported_mime_types,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8_294_400,
                "video_size_limit": c.video_size_limit,
            },
            "polls": {
                "max_options": 4,
                "max_characters_per_option": 50,
                "min_expiration": 300,
                "max_expiration": 2_629_746,
            },
            "translation": {"enabled": false},
        },
        "registrations": {"enabled": false, "approval_required": false, "message": null},
        "api_versions": {"mastodon": 6},
        "contact": {"email": format!("admin@{}", c.domain), "account": null},
        "rules": [],
    }))
}

pub(super) fn account_json(st: &State) -> Value {
    let c = &st.cfg;
    json!({
        "id": c.account_id,
        "username": c.username,
        "acct": c.username,
        "display_name": "Kiln Studio",
        "url": format!("https://{}/@{}", c.domain, c.username),
        "statuses_count": st.statuses.iter().filter(|s| !s.deleted).count(),
    })
}

fn account(st: &State) -> Answer {
    let mut a = account_json(st);
    a["source"] = json!({"privacy": "public", "sensitive": false, "language": "", "note": ""});
    Answer::ok(a)
}

pub(super) fn kind_of(mime: &str) -> &'static str {
    match mime {
        "image/gif" => "gifv",
        m if m.starts_with("video/") => "video",
        m if m.starts_with("audio/") => "audio",
        _ => "image",
    }
}

fn upload(st: &mut State, req: &Req, v2: bool) -> Result<Answer> {
    let input = input(req)?;
    let Some(file) = input.files.iter().find(|p| p.name == "file") else {
        // ActionController::ParameterMissing, rescued by ApiController.
        return Err(error(400, "param is missing or the value is empty: file"));
    };
    let mime = file
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    if !st.cfg.supported_mime_types.contains(&mime) {
        return Err(invalid(
            "Validation failed: File content type is invalid, File is invalid",
        ));
    }
    let kind = kind_of(&mime);
    let limit = if kind == "image" {
        st.cfg.image_size_limit
    } else {
        st.cfg.video_size_limit
    };
    if file.data.len() > limit {
        // The wording of Mastodon's size message is unconfirmed here; the
        // status and the "Validation failed: File" start are Rails'.
        return Err(invalid(&format!(
            "Validation failed: File file size must be less than {limit} Bytes"
        )));
    }
    let description = params::string(&input.params, "description");
    if let Some(d) = &description {
        if d.chars().count() > st.cfg.description_limit {
            return Err(invalid(&format!(
                "Validation failed: Description is too long (maximum is {} characters)",
                st.cfg.description_limit
            )));
        }
    }
    let focus = params::string(&input.params, "focus").and_then(|f| {
        let (x, y) = f.split_once(',')?;
        Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
    });
    let background = kind != "image" || st.cfg.async_images;
    let now = st.now_ms();
    let ready_at = if background {
        now + st.cfg.processing.as_millis() as i64
    } else {
        now
    };
    let media = Media {
        id: st.next_id(),
        kind: kind.to_string(),
        mime,
        bytes: file.data.clone(),
        description,
        focus,
        ready_at,
        status_id: None,
        scheduled_id: None,
    };
    let body = media_json(st, &media);
    st.media.push(media);
    // v1 always processes synchronously (and answers 200).
    let status = if v2 && background { 202 } else { 200 };
    Ok(Answer::with(status, body))
}

pub(super) fn media_json(st: &State, m: &Media) -> Value {
    let ready = m.ready_at <= st.now_ms();
    let base = format!("{}/system/media_attachments/{}", st.base_url, m.id);
    let meta = match m.focus {
        Some((x, y)) => json!({"focus": {"x": x, "y": y}}),
        None => json!({}),
    };
    json!({
        "id": m.id,
        "type": m.kind,
        "url": if ready { Value::String(format!("{base}/original")) } else { Value::Null },
        "preview_url": format!("{base}/small"),
        "remote_url": null,
        "text_url": null,
        "meta": meta,
        "description": m.description,
        "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
    })
}

fn get_media(st: &State, id: &str) -> Result<Answer> {
    let m = st.media.iter().find(|m| m.id == id).ok_or_else(not_found)?;
    let status = if m.ready_at <= st.now_ms() { 200 } else { 206 };
    Ok(Answer::with(status, media_json(st, m)))
}

fn update_media(st: &mut State, req: &Req, id: &str) -> Result<Answer> {
    let input = input(req)?;
    let limit = st.cfg.description_limit;
    let idx = st
        .media
        .iter()
        .position(|m| m.id == id && m.status_id.is_none())
        .ok_or_else(not_found)?;
    if let Some(d) = params::string(&input.params, "description") {
        if d.chars().count() > limit {
            return Err(invalid(&format!(
                "Validation failed: Description is too long (maximum is {limit} characters)"
            )));
        }
        st.media[idx].description = Some(d);
    }
    let m = st.media[idx].clone();
    let status = if m.ready_at <= st.now_ms() { 200 } else { 206 };
    Ok(Answer::with(status, media_json(st, &m)))
}

pub(super) fn iso(ms: i64) -> String {
    iso_ms(ms)
}
