//! The Graph endpoints: containers, publishing, quota, reading, comments,
//! deletes, and the resumable upload host.

use super::checks::{self, field_names, Positions, MAX_IMAGE};
use super::errors::{
    meta, missing, ok, ok_with, param, required, unknown_path, upload_error, Out, Res,
};
use super::features;
use super::server::{check_throttle, Req, Shared};
use super::state::{cursor, meta_time, shortcode, uncursor, CState, Kind, State, Upload, DAY};
use super::statics::{fetch_checked, FetchError};
use super::tokens::{self, need, Need};
use super::{Effect, Login, Media, TokenInfo};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Parameters any call may carry besides its own.
const META_PARAMS: &[&str] = &[
    "access_token",
    "appsecret_proof",
    "appsecret_time",
    "method",
    "suppress_http_code",
    "pretty",
    "format",
];

/// Every `POST /{ig-user-id}/media` parameter Meta knows (IGUser.json and
/// the 2026 additions).
const CONTAINER_PARAMS: &[&str] = &[
    "alt_text",
    "audio_name",
    "branded_content_sponsor_ids",
    "caption",
    "children",
    "collaborators",
    "cover_url",
    "image_url",
    "is_ai_generated",
    "is_carousel_item",
    "is_paid_partnership",
    "location_id",
    "media_type",
    "product_tags",
    "share_to_feed",
    "thumb_offset",
    "trial_params",
    "upload_type",
    "user_tags",
    "video_url",
];

fn allowed(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Image => &[
            "media_type",
            "image_url",
            "caption",
            "location_id",
            "user_tags",
            "collaborators",
            "alt_text",
            "product_tags",
            "is_ai_generated",
            "branded_content_sponsor_ids",
            "is_paid_partnership",
        ],
        Kind::ItemImage => &[
            "is_carousel_item",
            "media_type",
            "image_url",
            "user_tags",
            "alt_text",
            "product_tags",
        ],
        Kind::ItemVideo => &["is_carousel_item", "media_type", "video_url", "upload_type"],
        Kind::Carousel => &[
            "media_type",
            "children",
            "caption",
            "location_id",
            "collaborators",
            "product_tags",
            "is_ai_generated",
            "branded_content_sponsor_ids",
            "is_paid_partnership",
        ],
        Kind::Reel => &[
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
            "product_tags",
            "is_ai_generated",
            "branded_content_sponsor_ids",
            "is_paid_partnership",
        ],
        Kind::StoryImage => &["media_type", "image_url", "user_tags"],
        Kind::StoryVideo => &["media_type", "video_url", "upload_type", "user_tags"],
    }
}

fn what(kind: Kind) -> &'static str {
    match kind {
        Kind::Image => "single image posts",
        Kind::ItemImage => "carousel items",
        Kind::ItemVideo => "carousel video items",
        Kind::Carousel => "carousel containers",
        Kind::Reel => "reels",
        Kind::StoryImage | Kind::StoryVideo => "stories",
    }
}

fn flatten(r: Res<Out>) -> Out {
    match r {
        Ok(o) | Err(o) => o,
    }
}

// ---------------------------------------------------------------------------
// Routing.

pub(super) async fn route(shared: &Shared, req: &Req) -> Out {
    flatten(route_inner(shared, req).await)
}

async fn route_inner(shared: &Shared, req: &Req) -> Res<Out> {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let eff = req.eff.as_str();
    match (eff, segs.as_slice()) {
        ("GET", ["refresh_access_token"]) => return tokens::refresh(shared, req),
        ("GET", ["access_token"]) => return tokens::exchange_instagram(shared, req),
        ("GET" | "POST", ["oauth", "access_token"]) => {
            return tokens::exchange_facebook(shared, req)
        }
        ("GET", ["debug_token"]) => return tokens::debug_token(shared, req),
        (_, ["ig-api-upload", ..]) => {
            return Err(unknown_path(&req.path));
        }
        _ => {}
    }
    let me = {
        let mut st = shared.lock();
        let me = tokens::authenticate(&st, req)?;
        check_throttle(&mut st, &me.user_id)?;
        me
    };
    let own = |u: &str| u == me.user_id || u == "me";
    let verb = eff.to_ascii_lowercase();
    match (eff, segs.as_slice()) {
        ("POST", [u, "media"]) if own(u) => create_container(shared, req, &me).await,
        ("POST", [u, "media_publish"]) if own(u) => publish(shared, req, &me),
        ("GET", [u, "content_publishing_limit"]) if own(u) => quota(shared, req, &me),
        ("GET", [u, edge @ ("media" | "stories")]) if own(u) => {
            list_media(shared, req, &me, *edge == "stories")
        }
        ("GET", [id]) => read_node(shared, req, &me, id),
        ("POST", [id]) => update_media(shared, req, &me, id),
        ("DELETE", [id]) => delete_media(shared, &me, id),
        ("POST", [id, "comments"]) => post_comment(shared, req, &me, id),
        ("GET", [id, "comments"]) => list_comments(shared, req, &me, id),
        ("GET", [id, "children"]) => children(shared, req, &me, id),
        (_, [id, ..]) => Err(missing(id, &verb)),
        (_, []) => Err(unknown_path(&req.path)),
    }
}

// ---------------------------------------------------------------------------
// Containers.

struct Plan {
    kind: Kind,
    resumable: bool,
    image_url: Option<String>,
    video_url: Option<String>,
    cover_url: Option<String>,
    params: BTreeMap<String, String>,
}

fn plan_container(st: &State, me: &TokenInfo, params: &BTreeMap<String, String>) -> Res<Plan> {
    let p = |k: &str| params.get(k).map(String::as_str);
    let item = match p("is_carousel_item") {
        None => false,
        Some(v) => checks::boolean("is_carousel_item", v)?,
    };
    let unknown_type = |t: &str| {
        meta(100, format!("(#100) The media type {t} is not supported"))
            .sub(2207023)
            .user(
                "Unknown media type",
                format!("The media type {t} is unknown for this request."),
            )
            .out()
    };
    let kind = match (item, p("media_type")) {
        (true, None | Some("IMAGE")) => Kind::ItemImage,
        (true, Some("VIDEO")) => Kind::ItemVideo,
        (true, Some(t @ ("REELS" | "STORIES" | "CAROUSEL"))) => {
            return Err(param(
                "is_carousel_item",
                &format!(
                "cannot be used with media_type {t}: only images and VIDEO can be carousel items"
            ),
            ))
        }
        (false, None | Some("IMAGE")) => Kind::Image,
        (false, Some("CAROUSEL")) => Kind::Carousel,
        (false, Some("REELS")) => Kind::Reel,
        (false, Some("STORIES")) => {
            if params.contains_key("image_url") {
                Kind::StoryImage
            } else {
                Kind::StoryVideo
            }
        }
        (false, Some("VIDEO")) => return Err(meta(
            100,
            "(#100) The VIDEO media type is no longer supported for single feed videos; use REELS",
        )
        .sub(2207023)
        .user(
            "Unsupported media type",
            "Single feed videos are published as REELS.",
        )
        .out()),
        (_, Some(t)) => return Err(unknown_type(t)),
    };
    for k in params.keys() {
        if META_PARAMS.contains(&k.as_str()) {
            continue;
        }
        if !CONTAINER_PARAMS.contains(&k.as_str()) {
            return Err(param(k, "is not a valid parameter"));
        }
        if !allowed(kind).contains(&k.as_str()) {
            return Err(param(k, &format!("is not supported for {}", what(kind))));
        }
    }
    let resumable = match p("upload_type") {
        None => false,
        Some("resumable") => true,
        Some(_) => return Err(param("upload_type", "must be resumable")),
    };
    if resumable && me.login == Login::Instagram {
        return Err(param(
            "upload_type",
            "resumable is not supported with Instagram Login (graph.instagram.com)",
        ));
    }
    match kind {
        Kind::Image | Kind::ItemImage | Kind::StoryImage => {
            if p("image_url").is_none() {
                return Err(required("image_url"));
            }
            if kind == Kind::StoryImage && p("video_url").is_some() {
                return Err(param("video_url", "cannot be used with image_url"));
            }
            if kind == Kind::StoryImage && resumable {
                return Err(param("upload_type", "is for video stories only"));
            }
        }
        Kind::ItemVideo | Kind::Reel | Kind::StoryVideo => match (p("video_url"), resumable) {
            (Some(_), true) => {
                return Err(param(
                    "video_url",
                    "cannot be used with upload_type=resumable",
                ))
            }
            (None, false) => return Err(required("video_url")),
            _ => {}
        },
        Kind::Carousel => {
            if p("children").is_none() {
                return Err(meta(100, "(#100) The parameter children is required")
                    .sub(2207028)
                    .user(
                        "Carousel validation failed",
                        "A carousel needs 2 to 10 children.",
                    )
                    .out());
            }
        }
    }
    if let Some(c) = p("caption") {
        checks::caption(c)?;
    }
    if let Some(a) = p("alt_text") {
        if a.chars().count() > 1000 {
            return Err(param("alt_text", "must be at most 1000 characters"));
        }
    }
    if let Some(t) = p("user_tags") {
        let positions = match kind {
            Kind::Image | Kind::ItemImage => Positions::Required,
            Kind::StoryImage | Kind::StoryVideo => Positions::Optional,
            _ => Positions::Refused,
        };
        checks::user_tags(t, positions)?;
    }
    if let Some(c) = p("collaborators") {
        checks::collaborators(c)?;
    }
    if let Some(l) = p("location_id") {
        if l.is_empty() || !l.bytes().all(|b| b.is_ascii_digit()) {
            return Err(param(
                "location_id",
                "must be the ID of a Page with a location",
            ));
        }
    }
    if let Some(t) = p("thumb_offset") {
        if t.parse::<u64>().is_err() {
            return Err(meta(1, "The thumbnail offset is invalid.")
                .sub(2207057)
                .status(400)
                .transient(false)
                .user(
                    "Invalid thumbnail offset",
                    "thumb_offset must be a whole number of milliseconds within the video.",
                )
                .out());
        }
    }
    for b in ["share_to_feed", "is_ai_generated", "is_paid_partnership"] {
        if let Some(v) = p(b) {
            checks::boolean(b, v)?;
        }
    }
    if p("audio_name").is_some_and(|a| a.trim().is_empty()) {
        return Err(param("audio_name", "must not be empty"));
    }
    if let Some(t) = p("trial_params") {
        features::trial_params(t)?;
        features::trial_allowed(st, me)?;
    }
    if let Some(t) = p("product_tags") {
        features::product_tags(t, kind, me.login)?;
    }
    if let Some(v) = p("branded_content_sponsor_ids") {
        features::sponsors(v, &me.user_id, me.login)?;
    }
    if p("is_paid_partnership").is_some() {
        features::facebook_only("is_paid_partnership", me.login)?;
    }
    if kind == Kind::Carousel {
        carousel_children(st, me, p("children").unwrap_or(""))?;
    }
    let now = st.now();
    let recent = st
        .containers
        .iter()
        .filter(|c| c.user_id == me.user_id && now - c.created_at < DAY)
        .count();
    if recent >= st.cfg.container_limit as usize {
        return Err(meta(9, "Application request limit reached")
            .sub(2207042)
            .user(
                "Max number of containers reached",
                format!(
                    "An account can create at most {} containers in 24 hours.",
                    st.cfg.container_limit
                ),
            )
            .out());
    }
    Ok(Plan {
        kind,
        resumable,
        image_url: p("image_url").map(str::to_string),
        video_url: p("video_url").map(str::to_string),
        cover_url: p("cover_url").map(str::to_string),
        params: params
            .iter()
            .filter(|(k, _)| !META_PARAMS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

/// `children`: comma-separated (or a JSON array), 2–10 FINISHED carousel
/// items of this account, each once.
fn parse_children(v: &str) -> Vec<String> {
    if v.trim_start().starts_with('[') {
        if let Ok(Value::Array(a)) = serde_json::from_str::<Value>(v) {
            return a
                .iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
        }
    }
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn carousel_children(st: &State, me: &TokenInfo, v: &str) -> Res<()> {
    let fail = |why: String| {
        meta(100, format!("(#100) {why}"))
            .sub(2207028)
            .user("Carousel validation failed", why)
            .out()
    };
    let ids = parse_children(v);
    if !(2..=10).contains(&ids.len()) {
        return Err(fail(format!(
            "A carousel needs 2 to 10 children; got {}.",
            ids.len()
        )));
    }
    let now = st.now();
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(fail(format!("Child {id} is listed twice.")));
        }
        let Some(c) = st
            .containers
            .iter()
            .find(|c| c.id == *id && c.user_id == me.user_id)
        else {
            return Err(fail(format!("Child {id} does not exist.")));
        };
        if !c.kind.is_item() {
            return Err(fail(format!(
                "Child {id} was not created with is_carousel_item=true."
            )));
        }
        let (code, _) = c.status(now);
        if code != "FINISHED" {
            return Err(fail(format!("Child {id} is {code}, not FINISHED.")));
        }
    }
    Ok(())
}

fn fetch_error(role: &str, url: &str, e: &FetchError) -> Out {
    meta(9004, "Only photo or video can be accepted as media type.")
        .sub(2207052)
        .user(
            "Media download has failed.",
            format!("The media could not be fetched from this URI: {url} ({role}: {e:?}). Please check that the URI is publicly accessible."),
        )
        .out()
}

fn check_image(kind: Kind, url: &str, got: &Result<Vec<u8>, FetchError>) -> Res<()> {
    let bytes = got.as_ref().map_err(|e| fetch_error("image_url", url, e))?;
    if bytes.len() > MAX_IMAGE {
        return Err(meta(36000, "The image is too large.")
            .sub(2207004)
            .user(
                "Image is too large",
                format!("The image is {} bytes; the maximum is 8 MiB.", bytes.len()),
            )
            .out());
    }
    let unsupported = || {
        meta(36001, "The image format is not supported.")
            .sub(2207005)
            .user(
                "Unsupported format",
                "The image format is not supported. Supported formats are: JPEG.",
            )
            .out()
    };
    let Some(j) = checks::jpeg(bytes) else {
        return Err(unsupported());
    };
    if j.mpo {
        return Err(unsupported());
    }
    if matches!(kind, Kind::Image | Kind::ItemImage) && j.width > 0 && j.height > 0 {
        let r = f64::from(j.width) / f64::from(j.height);
        if !(0.8 - 0.005..=1.91 + 0.005).contains(&r) {
            return Err(meta(36003, "The aspect ratio is not supported.")
                .sub(2207009)
                .user(
                    "Aspect ratio is not supported.",
                    format!(
                        "The submitted image with aspect ratio ('{}/{}') cannot be published. Please submit an image with a valid aspect ratio.",
                        j.width, j.height
                    ),
                )
                .out());
        }
    }
    Ok(())
}

pub(super) fn error_status(subcode: i64) -> String {
    format!("Error: Media upload has failed with error code {subcode}")
}

/// What processing a video ends in: `None` FINISHED, else the ERROR text.
fn video_outcome(kind: Kind, got: &Result<Vec<u8>, FetchError>) -> Option<String> {
    let bytes = match got {
        Ok(b) => b,
        Err(_) => return Some(error_status(2207052)),
    };
    let Some(v) = checks::video(bytes) else {
        return Some(error_status(2207026));
    };
    let (max_secs, max_bytes) = match kind {
        Kind::Reel => (900.0, 300 * 1024 * 1024),
        _ => (60.0, 100 * 1024 * 1024),
    };
    if bytes.len() > max_bytes {
        return Some(error_status(2207026));
    }
    match v.duration {
        Some(d) if !(3.0..=max_secs).contains(&d) => Some(error_status(2207026)),
        _ => None,
    }
}

async fn create_container(shared: &Shared, req: &Req, me: &TokenInfo) -> Res<Out> {
    need(me, Need::Publish)?;
    let plan = plan_container(&shared.lock(), me, &req.params)?;
    let image = match &plan.image_url {
        Some(u) => Some(fetch_checked(shared, u).await),
        None => None,
    };
    let video = match &plan.video_url {
        Some(u) => Some(fetch_checked(shared, u).await),
        None => None,
    };
    let cover = match &plan.cover_url {
        Some(u) => Some(fetch_checked(shared, u).await),
        None => None,
    };
    if let (Some(u), Some(got)) = (&plan.image_url, &image) {
        check_image(plan.kind, u, got)?;
    }
    if let (Some(u), Some(got)) = (&plan.cover_url, &cover) {
        let bytes = got.as_ref().map_err(|e| fetch_error("cover_url", u, e))?;
        if checks::jpeg(bytes).is_none_or(|j| j.mpo) {
            return Err(meta(36001, "The cover image format is not supported.")
                .sub(2207005)
                .user("Unsupported format", "cover_url must be a JPEG.")
                .out());
        }
    }
    let mut st = shared.lock();
    // The checks ran without the lock: the children may have changed.
    if plan.kind == Kind::Carousel {
        carousel_children(&st, me, plan.params.get("children").map_or("", |s| s))?;
    }
    let now = st.now();
    let mut error = video.as_ref().and_then(|v| video_outcome(plan.kind, v));
    if plan.kind.is_video() && !plan.resumable {
        if let Some(sub) = st.processing_errors.pop_front() {
            error = Some(error_status(sub));
        }
    }
    let delay = if plan.kind.is_video() {
        st.cfg.video_processing
    } else {
        st.cfg.image_processing
    };
    let id = st.id("1789");
    let version = req.version.clone().unwrap_or_else(|| "v24.0".into());
    st.containers.push(CState {
        id: id.clone(),
        user_id: me.user_id.clone(),
        params: plan.params,
        kind: plan.kind,
        created_at: now,
        ready_at: (!plan.resumable).then_some(now + delay.as_secs_f64()),
        error,
        upload: plan.resumable.then(|| Upload {
            file_size: None,
            received: 0,
            bytes: Vec::new(),
        }),
        forced_expired: false,
        published_media: None,
        version: version.clone(),
    });
    let mut body = json!({ "id": id });
    if plan.resumable {
        body["uri"] = json!(format!(
            "{}/ig-api-upload/{version}/{id}",
            shared.upload_url
        ));
    }
    Ok(ok_with(
        body,
        Effect::ContainerCreated {
            id,
            user_id: me.user_id.clone(),
        },
    ))
}

// ---------------------------------------------------------------------------
// Publishing.

fn publish(shared: &Shared, req: &Req, me: &TokenInfo) -> Res<Out> {
    need(me, Need::Publish)?;
    for k in req.params.keys() {
        if !META_PARAMS.contains(&k.as_str()) && k != "creation_id" {
            return Err(param(k, "is not a valid parameter"));
        }
    }
    let Some(cid) = req.params.get("creation_id") else {
        return Err(required("creation_id"));
    };
    let mut st = shared.lock();
    let now = st.now();
    let Some(idx) = st
        .containers
        .iter()
        .position(|c| c.id == *cid && c.user_id == me.user_id)
    else {
        return Err(meta(24, "The media builder does not exist or has expired.")
            .sub(2207008)
            .user(
                "Media builder expired",
                "The media builder does not exist or has expired. Please try to build again.",
            )
            .out());
    };
    let c = st.containers[idx].clone();
    if c.kind.is_item() {
        return Err(param(
            "creation_id",
            "is a carousel item; publish the carousel container instead",
        ));
    }
    match c.status(now).0 {
        "FINISHED" => {}
        "EXPIRED" => {
            return Err(meta(-2, "The media you are trying to access has expired.")
                .sub(2207020)
                .user(
                    "Media expired",
                    "The media you are trying to access has expired. Please try to upload again.",
                )
                .out())
        }
        // IN_PROGRESS, ERROR, and PUBLISHED (Meta refuses to publish a
        // container twice): never a second media.
        _ => {
            return Err(meta(9007, "Media ID is not available")
                .sub(2207027)
                .user(
                    "Media ID is not available",
                    "The media is not ready for publishing, please wait for a moment",
                )
                .out())
        }
    }
    if st.quota_used(&me.user_id) >= st.cfg.quota_total {
        return Err(meta(9, "Application request limit reached")
            .sub(2207042)
            .user(
                "Max number of posts reached",
                "You reached maximum number of posts that is allowed to be published by Content Publish API.",
            )
            .out());
    }
    let username = st.username(&me.user_id);
    let id = st.id("1790");
    let sc = shortcode(&id);
    let (media_type, product) = match c.kind {
        Kind::Carousel => ("CAROUSEL_ALBUM", "FEED"),
        Kind::Reel => ("VIDEO", "REELS"),
        Kind::StoryImage => ("IMAGE", "STORY"),
        Kind::StoryVideo => ("VIDEO", "STORY"),
        _ => ("IMAGE", "FEED"),
    };
    let permalink = match c.kind {
        Kind::Reel => format!("https://www.instagram.com/reel/{sc}/"),
        Kind::StoryImage | Kind::StoryVideo => {
            format!("https://www.instagram.com/stories/{username}/{id}/")
        }
        _ => format!("https://www.instagram.com/p/{sc}/"),
    };
    let ts = meta_time(now);
    let child_containers = c
        .params
        .get("children")
        .map(|v| parse_children(v))
        .unwrap_or_default();
    let mut children = Vec::new();
    for cc in &child_containers {
        let cid = st.id("1791");
        let Some(ci) = st.containers.iter().position(|x| x.id == *cc) else {
            continue;
        };
        st.containers[ci].published_media = Some(cid.clone());
        let child = st.containers[ci].clone();
        st.child_media.push(Media {
            id: cid.clone(),
            user_id: me.user_id.clone(),
            container_id: child.id.clone(),
            media_type: if child.kind.is_video() {
                "VIDEO"
            } else {
                "IMAGE"
            }
            .into(),
            media_product_type: "FEED".into(),
            caption: None,
            permalink: String::new(),
            shortcode: shortcode(&cid),
            timestamp: ts.clone(),
            published_at: now as i64,
            children: Vec::new(),
            children_containers: Vec::new(),
            params: child.params.clone(),
            comment_enabled: true,
            deleted: false,
        });
        children.push(cid);
    }
    st.containers[idx].published_media = Some(id.clone());
    st.media.push(Media {
        id: id.clone(),
        user_id: me.user_id.clone(),
        container_id: c.id.clone(),
        media_type: media_type.into(),
        media_product_type: product.into(),
        caption: c.params.get("caption").cloned(),
        permalink,
        shortcode: sc,
        timestamp: ts,
        published_at: now as i64,
        children,
        children_containers: child_containers,
        params: c.params.clone(),
        comment_enabled: true,
        deleted: false,
    });
    Ok(ok_with(
        json!({ "id": id }),
        Effect::Published {
            media_id: id,
            container_id: c.id,
            user_id: me.user_id.clone(),
        },
    ))
}

fn quota(shared: &Shared, req: &Req, me: &TokenInfo) -> Res<Out> {
    need(me, Need::Publish)?;
    let st = shared.lock();
    let used = st.quota_used(&me.user_id);
    let full = json!({
        "quota_usage": used,
        "config": {"quota_total": st.cfg.quota_total, "quota_duration": 86400},
    });
    let names = req
        .params
        .get("fields")
        .map(|f| field_names(f))
        .unwrap_or_else(|| vec!["quota_usage".into()]);
    let mut out = Map::new();
    for n in names {
        match full.get(&n) {
            Some(v) => {
                out.insert(n, v.clone());
            }
            None => return Err(nonexisting(&n, "ContentPublishingLimitResponse")),
        }
    }
    Ok(ok(json!({ "data": [Value::Object(out)] })))
}

// ---------------------------------------------------------------------------
// Reading.

fn nonexisting(field: &str, node: &str) -> Out {
    meta(
        100,
        format!("(#100) Tried accessing nonexisting field ({field}) on node type ({node})"),
    )
    .out()
}

/// The requested fields (default `default`), each checked against
/// `allowed`, valued by `value` (absent values are left out, as Meta does);
/// `id` always comes back.
fn select(
    fields: Option<&String>,
    default: &[&str],
    allowed: &[&str],
    node: &str,
    value: impl Fn(&str) -> Option<Value>,
) -> Res<Value> {
    let names: Vec<String> = match fields {
        Some(f) => field_names(f),
        None => default.iter().map(|s| s.to_string()).collect(),
    };
    let mut out = Map::new();
    for n in &names {
        if !allowed.contains(&n.as_str()) {
            return Err(nonexisting(n, node));
        }
        if let Some(v) = value(n) {
            out.insert(n.clone(), v);
        }
    }
    if allowed.contains(&"id") {
        if let Some(v) = value("id") {
            out.insert("id".into(), v);
        }
    }
    Ok(Value::Object(out))
}

/// The part of `fields` inside `name{...}`.
fn subfields(fields: Option<&String>, name: &str) -> Option<String> {
    let f = fields?;
    let start = f.find(&format!("{name}{{"))? + name.len() + 1;
    let mut depth = 1;
    for (i, c) in f[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(f[start..start + i].to_string());
                }
            }
            _ => {}
        }
    }
    None
}

const USER_FIELDS_FB: &[&str] = &[
    "id",
    "ig_id",
    "username",
    "name",
    "biography",
    "followers_count",
    "follows_count",
    "media_count",
    "profile_picture_url",
    "website",
];
const USER_FIELDS_IG: &[&str] = &[
    "id",
    "user_id",
    "username",
    "name",
    "account_type",
    "profile_picture_url",
    "followers_count",
    "follows_count",
    "media_count",
];
const CONTAINER_FIELDS: &[&str] = &[
    "id",
    "status",
    "status_code",
    "video_status",
    "copyright_check_status",
];
const MEDIA_FIELDS_FB: &[&str] = &[
    "alt_text",
    "boost_eligibility_info",
    "caption",
    "children",
    "collaborators",
    "comments",
    "comments_count",
    "copyright_check_information",
    "has_poll",
    "has_slider",
    "id",
    "ig_id",
    "is_comment_enabled",
    "is_shared_to_feed",
    "legacy_instagram_media_id",
    "like_count",
    "media_product_type",
    "media_type",
    "media_url",
    "owner",
    "permalink",
    "shortcode",
    "thumbnail_url",
    "timestamp",
    "username",
    "video_title",
    "view_count",
];
const MEDIA_FIELDS_IG: &[&str] = &[
    "alt_text",
    "caption",
    "children",
    "comments",
    "comments_count",
    "id",
    "is_comment_enabled",
    "is_shared_to_feed",
    "like_count",
    "media_product_type",
    "media_type",
    "media_url",
    "owner",
    "permalink",
    "shortcode",
    "thumbnail_url",
    "timestamp",
    "username",
];
const COMMENT_FIELDS: &[&str] = &[
    "id",
    "text",
    "username",
    "timestamp",
    "from",
    "like_count",
    "hidden",
    "media",
    "parent_id",
    "legacy_instagram_comment_id",
    "user",
    "replies",
];

fn media_fields(login: Login) -> &'static [&'static str] {
    match login {
        Login::Facebook => MEDIA_FIELDS_FB,
        Login::Instagram => MEDIA_FIELDS_IG,
    }
}

fn comment_value(c: &super::Comment, media_type: &str, f: &str) -> Option<Value> {
    Some(match f {
        "id" => json!(c.id),
        "text" => json!(c.text),
        "username" => json!(c.username),
        "timestamp" => json!(c.timestamp),
        "from" => json!({"id": c.user_id, "username": c.username}),
        "like_count" => json!(0),
        "hidden" => json!(false),
        "media" => json!({"id": c.media_id, "media_product_type": media_type}),
        "legacy_instagram_comment_id" => json!(c.id),
        "user" if c.user_id != "0" => json!({"id": c.user_id}),
        _ => return None,
    })
}

/// A media's fields.
fn media_value(
    st: &State,
    m: &Media,
    login: Login,
    fields: Option<&String>,
    f: &str,
) -> Option<Value> {
    let child = m.permalink.is_empty();
    let is_video = m.media_type == "VIDEO";
    let ext = if is_video { "mp4" } else { "jpg" };
    Some(match f {
        "id" => json!(m.id),
        "ig_id" | "legacy_instagram_media_id" => json!(m.id),
        "caption" if !child => json!(m.caption.clone()?),
        "alt_text" => json!(m.params.get("alt_text")?),
        "comments_count" if !child => {
            json!(st.comments.iter().filter(|c| c.media_id == m.id).count())
        }
        "is_comment_enabled" if !child => json!(m.comment_enabled),
        "is_shared_to_feed" if m.media_product_type == "REELS" => {
            json!(m.params.get("share_to_feed").is_none_or(|s| s == "true"))
        }
        "like_count" => json!(0),
        "media_product_type" => json!(m.media_product_type),
        "media_type" => json!(m.media_type),
        "media_url" if st.cdn.contains_key(&m.id) => {
            json!(super::live::cdn_url(&st.cdn_base, &m.id, is_video))
        }
        "media_url" if m.media_type != "CAROUSEL_ALBUM" => {
            json!(format!(
                "https://scontent.cdninstagram.com/v/t51.2885-15/{}_n.{ext}",
                m.id
            ))
        }
        "thumbnail_url" if is_video => {
            json!(format!(
                "https://scontent.cdninstagram.com/v/t51.2885-15/{}_thumb.jpg",
                m.id
            ))
        }
        "owner" => json!({"id": m.user_id}),
        "permalink" if !child => json!(m.permalink),
        "shortcode" => json!(m.shortcode),
        "timestamp" => json!(m.timestamp),
        "username" => json!(st.username(&m.user_id)),
        "has_poll" | "has_slider" => json!(false),
        "collaborators" => {
            let list: Vec<String> = m
                .params
                .get("collaborators")
                .and_then(|c| serde_json::from_str(c).ok())
                .unwrap_or_default();
            json!({"data": list.iter().map(|u| json!({"username": u})).collect::<Vec<_>>()})
        }
        "children" if !m.children.is_empty() => {
            let sub = subfields(fields, "children");
            let data: Vec<Value> = m
                .children
                .iter()
                .filter_map(|id| st.find_media(id))
                .map(|c| {
                    select(sub.as_ref(), &["id"], media_fields(login), "IGMedia", |f| {
                        media_value(st, c, login, None, f)
                    })
                    .unwrap_or_else(|_| json!({"id": c.id}))
                })
                .collect();
            json!({ "data": data })
        }
        "comments" if !child => {
            let sub = subfields(fields, "comments");
            let data: Vec<Value> = st
                .comments
                .iter()
                .rev()
                .filter(|c| c.media_id == m.id)
                .map(|c| {
                    select(
                        sub.as_ref(),
                        &["id", "text", "timestamp"],
                        COMMENT_FIELDS,
                        "IGComment",
                        |f| comment_value(c, &m.media_product_type, f),
                    )
                    .unwrap_or_else(|_| json!({"id": c.id}))
                })
                .collect();
            json!({ "data": data })
        }
        _ => return None,
    })
}

fn read_node(shared: &Shared, req: &Req, me: &TokenInfo, id: &str) -> Res<Out> {
    need(me, Need::Read)?;
    let st = shared.lock();
    let fields = req.params.get("fields");
    if id == "me" || id == me.user_id {
        let username = st.username(&me.user_id);
        let (allowed, node) = match me.login {
            Login::Facebook => (USER_FIELDS_FB, "IGUser"),
            Login::Instagram => (USER_FIELDS_IG, "User"),
        };
        let media_count = st
            .media
            .iter()
            .filter(|m| m.user_id == me.user_id && !m.deleted && m.media_product_type != "STORY")
            .count();
        let v = select(fields, &["id"], allowed, node, |f| {
            Some(match f {
                "id" if me.login == Login::Instagram => json!(super::scoped_id(&me.user_id)),
                "id" | "user_id" => json!(me.user_id),
                "ig_id" => json!(me.user_id.trim_start_matches("1784")),
                "username" => json!(username),
                "name" => json!(username),
                "account_type" => json!("BUSINESS"),
                "media_count" => json!(media_count),
                "followers_count" | "follows_count" => json!(0),
                _ => return None,
            })
        })?;
        return Ok(ok(v));
    }
    let now = st.now();
    if let Some(c) = st
        .containers
        .iter()
        .find(|c| c.id == id && c.user_id == me.user_id)
    {
        let (code, status) = c.status(now);
        let v = select(
            fields,
            &["id"],
            CONTAINER_FIELDS,
            "ShadowIGMediaBuilder",
            |f| {
                Some(match f {
                    "id" => json!(c.id),
                    "status_code" => json!(code),
                    "status" => json!(status),
                    "copyright_check_status" if c.kind.is_video() => {
                        json!({"status": if code == "IN_PROGRESS" { "in_progress" } else { "complete" }, "matches_found": false})
                    }
                    "video_status" => {
                        let u = c.upload.as_ref()?;
                        let done = u.file_size.is_some_and(|s| u.received >= s);
                        let uploading = match (u.received, done) {
                            (0, _) => "not_started",
                            (_, false) => "in_progress",
                            _ => "complete",
                        };
                        let processing = match (done, code) {
                            (false, _) => "not_started",
                            (true, "IN_PROGRESS") => "in_progress",
                            (true, "ERROR") => "error",
                            _ => "complete",
                        };
                        let mut up = json!({"status": uploading, "bytes_transferred": u.received});
                        if let Some(s) = u.file_size {
                            up["source_file_size"] = json!(s);
                        }
                        json!({"uploading_phase": up, "processing_phase": {"status": processing}})
                    }
                    _ => return None,
                })
            },
        )?;
        return Ok(ok(v));
    }
    if let Some(m) = st
        .find_media(id)
        .filter(|m| m.user_id == me.user_id && !m.deleted)
    {
        let v = select(fields, &["id"], media_fields(me.login), "IGMedia", |f| {
            media_value(&st, m, me.login, fields, f)
        })?;
        return Ok(ok(v));
    }
    if let Some(c) = st.comments.iter().find(|c| c.id == id) {
        if let Some(m) = st
            .find_media(&c.media_id)
            .filter(|m| m.user_id == me.user_id && !m.deleted)
        {
            let v = select(fields, &["id"], COMMENT_FIELDS, "IGComment", |f| {
                comment_value(c, &m.media_product_type, f)
            })?;
            return Ok(ok(v));
        }
    }
    Err(missing(id, "get"))
}

/// One page of `items` (ids and values, in order) by `limit`, `after`,
/// `before`, with Meta's paging object; `link` makes the next/previous URL
/// from a cursor parameter.
fn page(
    req: &Req,
    max_page: Option<usize>,
    items: Vec<(String, Value)>,
    default_limit: usize,
    link: impl Fn(&str) -> String,
) -> Res<Value> {
    let limit = match req.params.get("limit") {
        None => default_limit,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if n > 0 => n.min(100),
            _ => return Err(param("limit", "must be a positive integer")),
        },
    }
    .min(max_page.unwrap_or(usize::MAX));
    let pos = |c: &String| -> Res<Option<usize>> {
        let id = uncursor(c).ok_or_else(|| param("after", "is not a valid cursor"))?;
        Ok(items.iter().position(|(i, _)| *i == id))
    };
    let (start, end) = if let Some(a) = req.params.get("after") {
        let start = pos(a)?.map_or(items.len(), |p| p + 1);
        (start, (start + limit).min(items.len()))
    } else if let Some(b) = req.params.get("before") {
        let end = pos(b)?.unwrap_or(0);
        (end.saturating_sub(limit), end)
    } else {
        (0, limit.min(items.len()))
    };
    let slice = &items[start..end];
    let mut out = json!({ "data": slice.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>() });
    if let (Some(first), Some(last)) = (slice.first(), slice.last()) {
        let mut paging = json!({"cursors": {"before": cursor(&first.0), "after": cursor(&last.0)}});
        if end < items.len() {
            paging["next"] = json!(link(&format!("after={}", cursor(&last.0))));
        }
        if start > 0 {
            paging["previous"] = json!(link(&format!("before={}", cursor(&first.0))));
        }
        out["paging"] = paging;
    }
    Ok(out)
}

/// Meta's paging links carry the token in the URL.
fn link(shared: &Shared, req: &Req, path: &str) -> impl Fn(&str) -> String {
    let mut q = Vec::new();
    if let Some(t) = &req.token {
        q.push(format!("access_token={}", enc(t)));
    }
    q.push("pretty=0".to_string());
    if let Some(f) = req.params.get("fields") {
        q.push(format!("fields={}", enc(f)));
    }
    if let Some(l) = req.params.get("limit") {
        q.push(format!("limit={}", enc(l)));
    }
    let base = format!(
        "{}/{}/{path}?{}",
        shared.graph_url,
        req.version.clone().unwrap_or_else(|| "v24.0".into()),
        q.join("&")
    );
    move |c: &str| format!("{base}&{c}")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn list_media(shared: &Shared, req: &Req, me: &TokenInfo, stories: bool) -> Res<Out> {
    need(me, Need::Read)?;
    let mut st = shared.lock();
    let now = st.now();
    let since = req.params.get("since").and_then(|s| s.parse::<i64>().ok());
    let until = req.params.get("until").and_then(|s| s.parse::<i64>().ok());
    let fields = req.params.get("fields");
    let mut items = Vec::new();
    for m in st.media.iter().rev() {
        if m.user_id != me.user_id || m.deleted {
            continue;
        }
        let story = m.media_product_type == "STORY";
        if stories != story || (story && now - m.published_at as f64 >= DAY) {
            continue;
        }
        if since.is_some_and(|s| m.published_at < s) || until.is_some_and(|u| m.published_at > u) {
            continue;
        }
        let v = select(fields, &["id"], media_fields(me.login), "IGMedia", |f| {
            media_value(&st, m, me.login, fields, f)
        })?;
        items.push((m.id.clone(), v));
    }
    let edge = if stories { "stories" } else { "media" };
    let body = page(
        req,
        st.cfg.max_page,
        items,
        25,
        link(shared, req, &format!("{}/{edge}", me.user_id)),
    )?;
    // Listed, then deleted in the app (see `GraphServer::vanish_after_listing`).
    let listed: Vec<String> = body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["id"].as_str().map(str::to_string))
        .filter(|id| st.vanish.contains(id))
        .collect();
    for id in listed {
        st.vanish.remove(&id);
        st.delete_seeded(&id);
    }
    st.pages_listed += 1;
    if let Some((token, after)) = st.revoke_after.clone() {
        if st.pages_listed >= after {
            st.tokens.remove(&token);
            st.revoke_after = None;
        }
    }
    Ok(ok(body))
}

fn own_media<'a>(st: &'a State, me: &TokenInfo, id: &str, verb: &str) -> Res<&'a Media> {
    st.media
        .iter()
        .find(|m| m.id == id && m.user_id == me.user_id && !m.deleted)
        .ok_or_else(|| missing(id, verb))
}

fn children(shared: &Shared, req: &Req, me: &TokenInfo, id: &str) -> Res<Out> {
    need(me, Need::Read)?;
    let st = shared.lock();
    let m = own_media(&st, me, id, "get")?;
    let fields = req.params.get("fields");
    let mut data = Vec::new();
    for c in m.children.iter().filter_map(|c| st.find_media(c)) {
        data.push(select(
            fields,
            &["id"],
            media_fields(me.login),
            "IGMedia",
            |f| media_value(&st, c, me.login, fields, f),
        )?);
    }
    Ok(ok(json!({ "data": data })))
}

// ---------------------------------------------------------------------------
// Changing published media.

fn update_media(shared: &Shared, req: &Req, me: &TokenInfo, id: &str) -> Res<Out> {
    {
        let st = shared.lock();
        if st.containers.iter().any(|c| c.id == id) || st.find_media(id).is_none() {
            return Err(missing(id, "post"));
        }
    }
    need(me, Need::Comments)?;
    for k in req.params.keys() {
        if !META_PARAMS.contains(&k.as_str()) && k != "comment_enabled" {
            return Err(param(
                k,
                "cannot be changed: comment_enabled is the only field that can be updated",
            ));
        }
    }
    let Some(v) = req.params.get("comment_enabled") else {
        return Err(required("comment_enabled"));
    };
    let enabled = checks::boolean("comment_enabled", v)?;
    let mut st = shared.lock();
    own_media(&st, me, id, "post")?;
    if let Some(m) = st.media.iter_mut().find(|m| m.id == id) {
        m.comment_enabled = enabled;
    }
    Ok(ok_with(
        json!({"success": true}),
        Effect::CommentEnabledSet {
            media_id: id.to_string(),
            enabled,
        },
    ))
}

fn delete_media(shared: &Shared, me: &TokenInfo, id: &str) -> Res<Out> {
    if me.login == Login::Instagram {
        // Not offered with Instagram Login.
        return Err(missing(id, "delete"));
    }
    need(me, Need::Delete)?;
    let mut st = shared.lock();
    if st
        .child_media
        .iter()
        .any(|m| m.id == id && m.user_id == me.user_id)
    {
        return Err(meta(
            100,
            "(#100) A carousel item cannot be deleted on its own; delete the carousel",
        )
        .out());
    }
    own_media(&st, me, id, "delete")?;
    if let Some(m) = st.media.iter_mut().find(|m| m.id == id) {
        m.deleted = true;
    }
    Ok(ok_with(
        json!({"success": true, "deleted_id": id}),
        Effect::Deleted {
            media_id: id.to_string(),
        },
    ))
}

// ---------------------------------------------------------------------------
// Comments.

fn post_comment(shared: &Shared, req: &Req, me: &TokenInfo, id: &str) -> Res<Out> {
    need(me, Need::Comments)?;
    for k in req.params.keys() {
        if !META_PARAMS.contains(&k.as_str()) && k != "message" {
            return Err(param(k, "is not a valid parameter"));
        }
    }
    let mut st = shared.lock();
    let m = own_media(&st, me, id, "post")?;
    if m.media_product_type == "STORY" {
        return Err(meta(100, "(#100) Comments are not supported on stories").out());
    }
    if !m.comment_enabled {
        return Err(meta(100, "(#100) Comments are turned off for this media")
            .user(
                "Comments are turned off",
                "The owner has turned off commenting on this post.",
            )
            .out());
    }
    let text = match req.params.get("message") {
        Some(t) if !t.trim().is_empty() => t.clone(),
        _ => return Err(required("message")),
    };
    if text.chars().count() > 2200 {
        return Err(param("message", "must be at most 2200 characters"));
    }
    let username = st.username(&me.user_id);
    let cid = st.add_comment(id, &me.user_id, &username, &text);
    Ok(ok_with(
        json!({ "id": cid }),
        Effect::CommentCreated {
            id: cid,
            media_id: id.to_string(),
        },
    ))
}

/// Newest first, paged.
fn list_comments(shared: &Shared, req: &Req, me: &TokenInfo, id: &str) -> Res<Out> {
    need(me, Need::Comments)?;
    let st = shared.lock();
    let m = own_media(&st, me, id, "get")?;
    let fields = req.params.get("fields");
    let mut items = Vec::new();
    for c in st.comments.iter().rev().filter(|c| c.media_id == m.id) {
        let v = select(
            fields,
            &["id", "text", "timestamp"],
            COMMENT_FIELDS,
            "IGComment",
            |f| comment_value(c, &m.media_product_type, f),
        )?;
        items.push((c.id.clone(), v));
    }
    let body = page(
        req,
        st.cfg.max_page,
        items,
        25,
        link(shared, req, &format!("{id}/comments")),
    )?;
    Ok(ok(body))
}

// ---------------------------------------------------------------------------
// The resumable upload host.

pub(super) async fn upload(shared: &Shared, req: &Req) -> Out {
    flatten(upload_inner(shared, req).await)
}

async fn upload_inner(shared: &Shared, req: &Req) -> Res<Out> {
    if req.method != "POST" {
        return Err(upload_error(
            405,
            "MethodNotAllowed",
            "Only POST is supported",
            false,
        ));
    }
    let [first, id] = req.segs.as_slice() else {
        return Err(upload_error(404, "NotFound", "Unknown upload path", false));
    };
    if first != "ig-api-upload" {
        return Err(upload_error(404, "NotFound", "Unknown upload path", false));
    }
    // The upload host takes the token as `OAuth`, never `Bearer`.
    match req.scheme.as_deref() {
        Some("oauth") => {}
        Some(other) => {
            return Err(upload_error(
                401,
                "AuthError",
                &format!(
                    "Unsupported authorization scheme {other}; use Authorization: OAuth <token>"
                ),
                false,
            ))
        }
        None => {
            return Err(upload_error(
                401,
                "AuthError",
                "Missing Authorization: OAuth <token> header",
                false,
            ))
        }
    }
    let header_num = |name: &str| -> Res<Option<u64>> {
        match req.headers.get(name) {
            None => Ok(None),
            Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
                upload_error(400, "BadRequest", &format!("Invalid {name} header"), false)
            }),
        }
    };
    let file_size = header_num("file_size")?;
    let offset = header_num("offset")?.unwrap_or(0);
    let file_url = req.headers.get("file_url").cloned();
    {
        let st = shared.lock();
        let token = req.token.as_deref().unwrap_or("");
        let Some(info) = st.tokens.get(token) else {
            return Err(upload_error(
                401,
                "AuthError",
                "Invalid OAuth access token.",
                false,
            ));
        };
        if info.expires_at.is_some_and(|e| e <= st.now() as i64) {
            return Err(upload_error(
                401,
                "AuthError",
                "The access token has expired.",
                false,
            ));
        }
        let Some(c) = st
            .containers
            .iter()
            .find(|c| c.id == **id && c.user_id == info.user_id)
        else {
            return Err(upload_error(
                404,
                "NotFound",
                &format!("Unknown media container {id}"),
                false,
            ));
        };
        if c.upload.is_none() {
            return Err(upload_error(
                400,
                "ProcessingFailedError",
                "This container was not created with upload_type=resumable",
                false,
            ));
        }
        let (code, _) = c.status(st.now());
        if code == "EXPIRED" || code == "PUBLISHED" {
            return Err(upload_error(
                400,
                "ProcessingFailedError",
                &format!("The container is {code}"),
                false,
            ));
        }
    }
    if file_url.is_none() && file_size.is_none() {
        return Err(upload_error(
            400,
            "BadRequest",
            "Missing file_size header",
            false,
        ));
    }
    let (bytes, offset, size) = match &file_url {
        Some(u) => match fetch_checked(shared, u).await {
            Ok(b) => {
                let n = b.len() as u64;
                (b, 0, n)
            }
            Err(e) => {
                return Err(upload_error(
                    400,
                    "ProcessingFailedError",
                    &format!("Could not fetch file_url {u}: {e:?}"),
                    false,
                ))
            }
        },
        None => (req.body.to_vec(), offset, file_size.unwrap_or(0)),
    };
    let mut st = shared.lock();
    let now = st.now();
    let processing = st.cfg.video_processing.as_secs_f64();
    let pending_error = st.processing_errors.front().copied();
    let Some(c) = st.containers.iter_mut().find(|c| c.id == **id) else {
        return Err(upload_error(
            404,
            "NotFound",
            "Unknown media container",
            false,
        ));
    };
    let kind = c.kind;
    let Some(up) = c.upload.as_mut() else {
        return Err(upload_error(
            400,
            "ProcessingFailedError",
            "Not resumable",
            false,
        ));
    };
    if up.file_size.is_some_and(|s| s != size) {
        return Err(upload_error(
            400,
            "BadRequest",
            &format!(
                "file_size {size} differs from the {} declared before",
                up.file_size.unwrap_or(0)
            ),
            false,
        ));
    }
    if offset > up.received {
        return Err(upload_error(
            400,
            "BadRequest",
            &format!("offset {offset} is past the {} bytes received", up.received),
            false,
        ));
    }
    if offset + bytes.len() as u64 > size {
        return Err(upload_error(
            400,
            "BadRequest",
            "More bytes than file_size",
            false,
        ));
    }
    up.file_size = Some(size);
    up.bytes.truncate(offset as usize);
    up.bytes.extend_from_slice(&bytes);
    up.received = up.bytes.len() as u64;
    let received = up.received;
    let complete = received == size;
    let mut used_error = false;
    if complete {
        let data = std::mem::take(&mut up.bytes);
        let mut error = video_outcome(kind, &Ok(data.clone()));
        up.bytes = data;
        if let Some(sub) = pending_error {
            error = Some(error_status(sub));
            used_error = true;
        }
        c.error = error;
        c.ready_at = Some(now + processing);
    }
    if used_error {
        st.processing_errors.pop_front();
    }
    Ok(ok_with(
        json!({"success": true, "message": "Upload successful."}),
        Effect::Uploaded {
            container_id: id.clone(),
            bytes_received: received,
            complete,
        },
    ))
}
