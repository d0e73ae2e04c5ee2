//! The account's own statuses as [`LivePost`]s, for `import` and `plan
//! --refresh`: `GET /api/v1/accounts/:id/statuses` page by page, older
//! than the last status of the page before (`max_id`).
//!
//! What is read, and what is left out (docs/mastodon.md, "Importing an
//! account"): boosts are someone else's posts, replies are conversations
//! postwright never makes, and direct messages are private — none of them
//! becomes a post file. The server leaves out boosts and replies to others
//! (`exclude_reblogs`, `exclude_replies`); a reply to oneself (a thread's
//! next status) still comes, and is dropped here like a direct message.

use super::publisher::plain;
use crate::content::PostType;
use crate::platform::{FeedPage, LiveItem, LivePost};
use serde_json::Value;

/// A page as `feed_page` answers it: the statuses that are posts, and the
/// cursor (the id of the page's last status, kept or not) while the page
/// had any — the first empty page ends the feed, since a page may hold
/// fewer than asked before its end.
pub(super) fn page(statuses: &[Value]) -> FeedPage {
    let next = statuses.last().and_then(|s| text(s, "id"));
    FeedPage {
        posts: statuses.iter().filter_map(live_post).collect(),
        next,
    }
}

/// A status as a live post; `None` for a boost, a reply or a direct
/// message.
fn live_post(s: &Value) -> Option<LivePost> {
    let boost = s.get("reblog").is_some_and(|r| !r.is_null());
    let reply = s.get("in_reply_to_id").is_some_and(|r| !r.is_null());
    let direct = text(s, "visibility").as_deref() == Some("direct");
    if boost || reply || direct {
        return None;
    }
    let attachments = s
        .get("media_attachments")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let items: Vec<LiveItem> = attachments.iter().map(item).collect();
    let caption = text(s, "content")
        .map(|html| plain(&html))
        .filter(|c| !c.is_empty());
    Some(LivePost {
        id: text(s, "id")?,
        kind: kind(attachments),
        caption,
        published: text(s, "created_at").and_then(|t| t.parse().ok()),
        permalink: text(s, "url"),
        comments_enabled: None,
        items,
        collaborators: Vec::new(),
        pinned: s.get("pinned").and_then(Value::as_bool),
    })
}

/// The post type of a status with these attachments, as the Mastodon
/// rules read a post file: no media is text, one image an image, one
/// video (or GIF, which Mastodon serves as a video) a reel, several
/// images a carousel. Audio, unknown files and mixes are none of them.
fn kind(attachments: &[Value]) -> Option<PostType> {
    let types: Vec<&str> = attachments
        .iter()
        .map(|a| a.get("type").and_then(Value::as_str).unwrap_or("unknown"))
        .collect();
    match types.as_slice() {
        [] => Some(PostType::Text),
        ["image"] => Some(PostType::Image),
        ["video" | "gifv"] => Some(PostType::Reel),
        many if many.iter().all(|t| *t == "image") => Some(PostType::Carousel),
        _ => None,
    }
}

/// An attachment: its full-size file, a video's preview image as its
/// thumbnail, its description as alt text. Mastodon's media URLs carry no
/// signature and do not expire.
fn item(a: &Value) -> LiveItem {
    let video = matches!(
        a.get("type").and_then(Value::as_str),
        Some("video" | "gifv")
    );
    LiveItem {
        id: text(a, "id"),
        url: text(a, "url"),
        thumbnail: if video { text(a, "preview_url") } else { None },
        video,
        alt_text: text(a, "description").filter(|d| !d.is_empty()),
    }
}

/// A string field (ids may come as numbers from other servers).
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status(id: &str, media: Value) -> Value {
        json!({
            "id": id,
            "created_at": "2026-11-02T09:30:00.000Z",
            "in_reply_to_id": null,
            "visibility": "public",
            "url": format!("https://social.example/@kiln/{id}"),
            "content": "<p>New glaze &amp; <a href=\"https://social.example/tags/pots\">#<span>pots</span></a></p><p>Two</p>",
            "media_attachments": media,
            "reblog": null,
        })
    }

    fn attachment(kind: &str, description: Value) -> Value {
        json!({
            "id": "9",
            "type": kind,
            "url": "https://files.social.example/original/9.png",
            "preview_url": "https://files.social.example/small/9.png",
            "description": description,
        })
    }

    #[test]
    fn a_status_reads_as_the_post_its_file_would_be() {
        let s = status("3", json!([attachment("image", json!("A blue mug"))]));
        let post = live_post(&s).unwrap();
        assert_eq!(post.id, "3");
        assert_eq!(post.kind, Some(PostType::Image));
        assert_eq!(post.caption.as_deref(), Some("New glaze & #pots\n\nTwo"));
        assert_eq!(
            post.published,
            "2026-11-02T09:30:00Z".parse::<jiff::Timestamp>().ok()
        );
        assert_eq!(
            post.permalink.as_deref(),
            Some("https://social.example/@kiln/3")
        );
        assert_eq!(post.items.len(), 1);
        assert_eq!(post.items[0].alt_text.as_deref(), Some("A blue mug"));
        assert_eq!(post.items[0].thumbnail, None);
        assert!(!post.items[0].video);
    }

    #[test]
    fn kinds_follow_the_attachments() {
        let image = || attachment("image", Value::Null);
        assert_eq!(kind(&[]), Some(PostType::Text));
        assert_eq!(kind(&[image(), image()]), Some(PostType::Carousel));
        assert_eq!(
            kind(&[attachment("gifv", Value::Null)]),
            Some(PostType::Reel)
        );
        assert_eq!(kind(&[attachment("audio", Value::Null)]), None);
        assert_eq!(kind(&[image(), attachment("video", Value::Null)]), None);
        let video = item(&attachment("video", json!("")));
        assert!(video.video);
        assert!(video.thumbnail.is_some());
        assert_eq!(video.alt_text, None, "an empty description is no alt text");
    }

    #[test]
    fn boosts_replies_and_direct_messages_are_not_posts_but_move_the_cursor() {
        let mut reply = status("5", json!([]));
        reply["in_reply_to_id"] = json!("4");
        let mut boost = status("4", json!([]));
        boost["reblog"] = status("1", json!([]));
        let mut direct = status("3", json!([]));
        direct["visibility"] = json!("direct");
        let page = page(&[reply, boost, direct, status("2", json!([]))]);
        let ids: Vec<&str> = page.posts.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["2"]);
        assert_eq!(page.next.as_deref(), Some("2"));
        let mut last = status("9", json!([]));
        last["visibility"] = json!("direct");
        let only_skipped = super::page(&[last]);
        assert!(only_skipped.posts.is_empty());
        assert_eq!(only_skipped.next.as_deref(), Some("9"), "paging goes on");
        assert_eq!(super::page(&[]).next, None);
    }
}
