//! A Threads profile with a past: posts made in the app before postwright
//! (seeded), listed page by page with Meta's cursors, their media served
//! under signed CDN URLs (`/cdn/…?oh=…&oe=…`; a wrong signature is 403, a
//! deleted post's file 404) — what `import` reads.

use super::{Media, State, ThreadsServer};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// The signature of every seeded media URL (tests look for it everywhere).
pub const THREADS_CDN_SIGNATURE: &str = "00_AYThreadsSignedCAFEF00D";

/// One media item of a seeded post.
#[derive(Debug, Clone)]
pub struct ThreadsItem {
    pub bytes: Vec<u8>,
    pub video: bool,
    pub alt_text: Option<String>,
}

/// A post made in the app.
#[derive(Debug, Clone)]
pub struct ThreadsSeed {
    /// TEXT_POST, IMAGE, VIDEO or CAROUSEL_ALBUM.
    pub media_type: &'static str,
    pub text: Option<String>,
    pub age: Duration,
    pub items: Vec<ThreadsItem>,
}

/// A seeded item as stored: its id, bytes, and whether its file is gone.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: String,
    pub item: ThreadsItem,
    pub gone: bool,
}

impl ThreadsServer {
    /// Adds `seed` as published `age` ago: its id. Seed oldest first.
    pub fn seed(&self, seed: ThreadsSeed) -> String {
        let mut st = self.shared.lock();
        let id = st.id();
        let items: Vec<Stored> = seed
            .items
            .into_iter()
            .map(|item| Stored {
                id: st.id(),
                item,
                gone: false,
            })
            .collect();
        let published_at = st.now() - seed.age.as_secs() as i64;
        st.media.push(Media {
            shortcode: format!("C{}", &id[id.len() - 8..]),
            id: id.clone(),
            container_id: String::new(),
            media_type: seed.media_type.into(),
            text: seed.text,
            published_at,
            deleted: false,
        });
        st.cdn_base.clone_from(&self.url);
        st.seeded.insert(id.clone(), items);
        id
    }

    /// Listing pages hold at most `n` posts.
    pub fn set_page_size(&self, n: usize) {
        self.shared.lock().page_size = Some(n);
    }

    /// The post's media files are gone (404), the post still listed.
    pub fn cdn_gone(&self, id: &str) {
        let mut st = self.shared.lock();
        for s in st.seeded.get_mut(id).into_iter().flatten() {
            s.gone = true;
        }
    }
}

fn url(base: &str, id: &str, video: bool) -> String {
    let ext = if video { "mp4" } else { "jpg" };
    format!("{base}/cdn/t51.29350-15/{id}_n.{ext}?stp=dst-jpg&_nc_sid=10d13b&oh={THREADS_CDN_SIGNATURE}&oe=6792B3D4")
}

/// The media fields of a seeded post: `media_url`, `alt_text`, and a
/// carousel's `children`.
pub(super) fn extend(st: &State, m: &Media, v: &mut Value) {
    let Some(items) = st.seeded.get(&m.id) else {
        return;
    };
    let child = |s: &Stored| {
        let mut c = json!({
            "id": s.id,
            "media_type": if s.item.video { "VIDEO" } else { "IMAGE" },
            "media_url": url(&st.cdn_base, &s.id, s.item.video),
        });
        if let Some(a) = &s.item.alt_text {
            c["alt_text"] = json!(a);
        }
        c
    };
    if m.media_type == "CAROUSEL_ALBUM" {
        v["children"] = json!({"data": items.iter().map(child).collect::<Vec<_>>()});
    } else if let Some(s) = items.first() {
        v["media_url"] = json!(url(&st.cdn_base, &s.id, s.item.video));
        if let Some(a) = &s.item.alt_text {
            v["alt_text"] = json!(a);
        }
    }
}

/// `GET /{user}/threads`: newest first, `limit` (at most the page size),
/// `after` a cursor, and Meta's `paging` (`cursors`, `next` while more).
pub(super) fn list(st: &State, p: &BTreeMap<String, String>, all: Vec<Value>) -> (u16, Value) {
    let limit: usize = p
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(25)
        .min(100)
        .min(st.page_size.unwrap_or(usize::MAX));
    let start = match p.get("after") {
        None => 0,
        Some(c) => match all.iter().position(|v| cursor(v) == *c) {
            Some(i) => i + 1,
            None => {
                return (
                    400,
                    json!({"error": {"message": "Invalid cursor", "type": "THApiException", "code": 100}}),
                )
            }
        },
    };
    let end = (start + limit).min(all.len());
    let page = &all[start.min(end)..end];
    let mut out = json!({ "data": page });
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        out["paging"] = json!({"cursors": {"before": cursor(first), "after": cursor(last)}});
        if end < all.len() {
            // As Meta's: the token in the URL (a client must not follow it).
            out["paging"]["next"] = json!(format!(
                "{}/v1.0/{}/threads?access_token={}&after={}",
                st.cdn_base,
                st.cfg.user_id,
                st.cfg.token,
                cursor(last)
            ));
        }
    }
    (200, out)
}

fn cursor(v: &Value) -> String {
    let id = v["id"].as_str().unwrap_or("");
    id.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The CDN's answer for `path`, `None` when it is not a CDN path.
pub(super) fn cdn(st: &State, path: &str, query: &str) -> Option<(u16, &'static str, Vec<u8>)> {
    let rest = path.strip_prefix("/cdn/")?;
    let name = rest.rsplit('/').next().unwrap_or("");
    let id = name.split('_').next().unwrap_or("");
    if !query
        .split('&')
        .any(|q| q == format!("oh={THREADS_CDN_SIGNATURE}"))
    {
        return Some((403, "text/plain", b"Bad URL hash".to_vec()));
    }
    let found = st.seeded.values().flatten().find(|s| s.id == id);
    Some(match found {
        Some(s) if !s.gone => (
            200,
            if s.item.video {
                "video/mp4"
            } else {
                "image/jpeg"
            },
            s.item.bytes.clone(),
        ),
        _ => (404, "text/plain", b"not found".to_vec()),
    })
}
