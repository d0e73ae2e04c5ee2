//! Accounts with a past: media published before postwright (seeded, as
//! `import` finds them), and the CDN that serves their bytes.
//!
//! Meta serves a media's bytes from `scontent*.cdninstagram.com` under a
//! signed URL (`oh` is the signature, `oe` the expiry, `_nc_*` routing):
//! a wrong or missing signature is 403 ("Bad URL hash"), a deleted media
//! 404. The test CDN does the same on the static host under `/cdn/`, so a
//! client that drops the query, or keeps the URL around, shows up; the
//! signature is a fixed-looking hex string tests look for in every file,
//! output and record.

use super::state::{meta_time, shortcode};
use super::{GraphServer, Media};
use axum::body::Body;
use axum::http::Response;
use std::collections::BTreeMap;
use std::time::Duration;

/// The signature every seeded media's URL carries (tests assert it never
/// leaves the process).
pub const CDN_SIGNATURE: &str = "00_AYBsignedCDNhashDEADBEEF";

/// What a seeded post is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedKind {
    Image,
    Carousel,
    Reel,
    Story,
}

/// One media item of a seeded post.
#[derive(Debug, Clone)]
pub struct SeedItem {
    pub bytes: Vec<u8>,
    pub video: bool,
    pub alt_text: Option<String>,
}

/// A post published before postwright.
#[derive(Debug, Clone)]
pub struct SeedPost {
    pub kind: SeedKind,
    pub caption: Option<String>,
    /// How long ago (virtual time) it went live.
    pub age: Duration,
    pub items: Vec<SeedItem>,
    pub comment_enabled: bool,
}

/// Bytes the CDN serves for one media.
#[derive(Debug, Clone)]
pub struct CdnItem {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// Deleted: 404.
    pub gone: bool,
}

impl GraphServer {
    /// Publishes `post` on `user_id`'s account as if made in the app,
    /// `age` ago: its media id. Seed oldest first (the feed lists the
    /// most recently added first).
    pub fn seed_post(&self, user_id: &str, post: SeedPost) -> String {
        let mut st = self.shared.lock();
        st.cdn_base.clone_from(&self.shared.media_url);
        let at = st.now() - post.age.as_secs_f64();
        let username = st.username(user_id);
        let id = st.id("1789");
        let sc = shortcode(&id);
        let (media_type, product) = match post.kind {
            SeedKind::Carousel => ("CAROUSEL_ALBUM", "FEED"),
            SeedKind::Reel => ("VIDEO", "REELS"),
            SeedKind::Story if post.items.first().is_some_and(|i| i.video) => ("VIDEO", "STORY"),
            SeedKind::Story => ("IMAGE", "STORY"),
            SeedKind::Image => ("IMAGE", "FEED"),
        };
        let permalink = match post.kind {
            SeedKind::Reel => format!("https://www.instagram.com/reel/{sc}/"),
            SeedKind::Story => format!("https://www.instagram.com/stories/{username}/{id}/"),
            _ => format!("https://www.instagram.com/p/{sc}/"),
        };
        let item_media = |id: &str, item: &SeedItem, permalink: String| Media {
            id: id.to_string(),
            user_id: user_id.to_string(),
            container_id: String::new(),
            media_type: if item.video { "VIDEO" } else { "IMAGE" }.into(),
            media_product_type: product.into(),
            caption: None,
            permalink,
            shortcode: shortcode(id),
            timestamp: meta_time(at),
            published_at: at as i64,
            children: Vec::new(),
            children_containers: Vec::new(),
            params: item
                .alt_text
                .iter()
                .map(|a| ("alt_text".to_string(), a.clone()))
                .collect::<BTreeMap<_, _>>(),
            comment_enabled: post.comment_enabled,
            deleted: false,
        };
        let cdn = |item: &SeedItem| CdnItem {
            bytes: item.bytes.clone(),
            content_type: if item.video {
                "video/mp4"
            } else {
                "image/jpeg"
            },
            gone: false,
        };
        let mut media = if post.kind == SeedKind::Carousel {
            let mut children = Vec::new();
            for item in &post.items {
                let cid = st.id("1791");
                st.child_media.push(item_media(&cid, item, String::new()));
                st.cdn.insert(cid.clone(), cdn(item));
                children.push(cid);
            }
            let mut m = item_media(&id, &post.items[0], permalink);
            m.media_type = media_type.into();
            m.params.clear();
            m.children = children;
            m
        } else {
            st.cdn.insert(id.clone(), cdn(&post.items[0]));
            item_media(&id, &post.items[0], permalink)
        };
        media.caption = post.caption;
        media.media_type = media_type.into();
        st.media.push(media);
        id
    }

    /// The media stays listed until a page holding it has been answered,
    /// then it is deleted in the app (and its CDN file with it).
    pub fn vanish_after_listing(&self, media_id: &str) {
        self.shared.lock().vanish.insert(media_id.to_string());
    }

    /// `token` stops working once `pages` listing pages were answered:
    /// a token that expires mid-import.
    pub fn revoke_after_pages(&self, token: &str, pages: usize) {
        self.shared.lock().revoke_after = Some((token.to_string(), pages));
    }

    /// A person in the app edits a media's caption or turns its comments
    /// on or off.
    pub fn change_in_app(&self, media_id: &str, caption: Option<&str>, comments: Option<bool>) {
        let mut st = self.shared.lock();
        if let Some(m) = st.media.iter_mut().find(|m| m.id == media_id) {
            if let Some(c) = caption {
                m.caption = Some(c.to_string());
            }
            if let Some(on) = comments {
                m.comment_enabled = on;
            }
        }
    }

    /// The CDN file of a media (or carousel item) is gone: 404.
    pub fn cdn_gone(&self, media_id: &str) {
        if let Some(c) = self.shared.lock().cdn.get_mut(media_id) {
            c.gone = true;
        }
    }
}

impl super::state::State {
    /// A seeded media deleted in the app: off the feed, and its CDN files
    /// (a carousel's items' too) gone.
    pub(super) fn delete_seeded(&mut self, id: &str) {
        let mut ids = vec![id.to_string()];
        if let Some(m) = self.media.iter_mut().find(|m| m.id == id) {
            m.deleted = true;
            ids.extend(m.children.iter().cloned());
        }
        for i in ids {
            if let Some(c) = self.cdn.get_mut(&i) {
                c.gone = true;
            }
        }
    }
}

/// The signed URL of a seeded media's bytes, on the static host.
pub(super) fn cdn_url(base: &str, id: &str, video: bool) -> String {
    let ext = if video { "mp4" } else { "jpg" };
    format!(
        "{base}/cdn/v/t51.2885-15/{id}_n.{ext}?_nc_cat=104&_nc_sid=7d201b&_nc_ohc=Q7x&oh={CDN_SIGNATURE}&oe=6791A2C3"
    )
}

/// The CDN's answer for `path` (`/cdn/v/…/{id}_n.ext`), `None` when the
/// path is not the CDN's.
pub(super) fn serve(
    cdn: &BTreeMap<String, CdnItem>,
    path: &str,
    query: &str,
) -> Option<Response<Body>> {
    let rest = path.strip_prefix("/cdn/")?;
    let name = rest.rsplit('/').next().unwrap_or("");
    let id = name.split('_').next().unwrap_or("");
    let answer = |code: u16, ty: &str, body: Vec<u8>| {
        Response::builder()
            .status(code)
            .header("content-type", ty)
            .header("content-length", body.len().to_string())
            .body(Body::from(body))
            .expect("cdn response")
    };
    let signed = query.split('&').any(|p| p == format!("oh={CDN_SIGNATURE}"));
    if !signed {
        return Some(answer(403, "text/plain", b"Bad URL hash".to_vec()));
    }
    Some(match cdn.get(id) {
        Some(item) if !item.gone => answer(200, item.content_type, item.bytes.clone()),
        _ => answer(
            404,
            "text/plain",
            b"URL signature expired or file not found".to_vec(),
        ),
    })
}
