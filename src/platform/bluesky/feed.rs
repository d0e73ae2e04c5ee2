//! The account's own posts as [`LivePost`]s, for `import` and `plan
//! --refresh`: `com.atproto.repo.listRecords` of `app.bsky.feed.post` on
//! the account's PDS, newest first (the default order; `reverse` would be
//! oldest first), page by page with its `cursor`.
//!
//! What is read, and what is left out (docs/bluesky.md, "Importing an
//! account"): the repo holds the account's own records only (reposts are
//! records of another collection); replies are conversations postwright
//! never makes and are dropped. A quote post's file could not say what
//! it quotes: it has no post type here, and import skips it with why.
//! The media are the record's blobs, served by the PDS at
//! `com.atproto.sync.getBlob` without a token and without expiry.

use super::Stored;
use crate::content::PostType;
use crate::platform::{FeedPage, LiveItem, LivePost};
use serde_json::Value;

/// Where the account lives, to address its blobs and posts.
pub(super) struct Origin<'a> {
    /// The PDS's base URL (`https://bsky.social`).
    pub pds: &'a str,
    /// The handle in permalinks (as the rest of postwright writes them).
    pub handle: &'a str,
}

/// A `listRecords` page as `feed_page` answers it: the records that are
/// posts, and the cursor while the page had any records (the first empty
/// page ends the feed).
pub(super) fn page(origin: &Origin<'_>, records: &[Stored], cursor: Option<String>) -> FeedPage {
    FeedPage {
        posts: records
            .iter()
            .filter_map(|r| live_post(origin, r))
            .collect(),
        next: cursor.filter(|_| !records.is_empty()),
    }
}

/// A record as a live post; `None` for a reply or a record that is not
/// at a post's address.
fn live_post(origin: &Origin<'_>, stored: &Stored) -> Option<LivePost> {
    let record = &stored.value;
    if record.get("reply").is_some_and(|r| !r.is_null()) {
        return None;
    }
    let at = super::AtUri::parse(&stored.uri).ok()?;
    let embed = record.get("embed").unwrap_or(&Value::Null);
    let (kind, items) = media(origin, &at.repo, embed);
    Some(LivePost {
        id: stored.uri.clone(),
        kind,
        caption: record
            .get("text")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        published: record
            .get("createdAt")
            .and_then(Value::as_str)
            .and_then(|t| t.parse().ok()),
        permalink: Some(super::permalink(origin.handle, &at.rkey)),
        comments_enabled: None,
        items,
        collaborators: Vec::new(),
        pinned: None,
    })
}

/// The post type and media of a record's embed: images (one is an image,
/// several a carousel), a video (a reel), a link card or nothing (text).
/// A quote, with or without media, has no post type.
fn media(origin: &Origin<'_>, did: &str, embed: &Value) -> (Option<PostType>, Vec<LiveItem>) {
    let kind = embed.get("$type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "app.bsky.embed.images" => {
            let items: Vec<LiveItem> = embed
                .get("images")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|i| LiveItem {
                    id: None,
                    url: blob_url(origin, did, i.get("image")),
                    thumbnail: None,
                    video: false,
                    alt_text: alt(i),
                })
                .collect();
            let kind = if items.len() > 1 {
                PostType::Carousel
            } else {
                PostType::Image
            };
            (Some(kind), items)
        }
        "app.bsky.embed.video" => {
            let item = LiveItem {
                id: None,
                url: blob_url(origin, did, embed.get("video")),
                // Bluesky's video thumbnails are made by its app view,
                // not kept on the PDS.
                thumbnail: None,
                video: true,
                alt_text: alt(embed),
            };
            (Some(PostType::Reel), vec![item])
        }
        "app.bsky.embed.record" | "app.bsky.embed.recordWithMedia" => (None, Vec::new()),
        _ => (Some(PostType::Text), Vec::new()),
    }
}

fn alt(v: &Value) -> Option<String> {
    v.get("alt")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
}

/// `<pds>/xrpc/com.atproto.sync.getBlob?did=…&cid=…` for a blob
/// (`{"$type": "blob", "ref": {"$link": cid}, …}`); `None` without a CID
/// that is safe in a query.
fn blob_url(origin: &Origin<'_>, did: &str, blob: Option<&Value>) -> Option<String> {
    let cid = blob?.pointer("/ref/$link").and_then(Value::as_str)?;
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || ":._-".contains(c))
    };
    if !plain(cid) || !plain(did) {
        return None;
    }
    Some(format!(
        "{}/xrpc/com.atproto.sync.getBlob?did={did}&cid={cid}",
        origin.pds.trim_end_matches('/')
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DID: &str = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    const ORIGIN: Origin<'static> = Origin {
        pds: "https://pds.example/",
        handle: "kiln.example",
    };

    fn stored(rkey: &str, record: Value) -> Stored {
        Stored {
            uri: format!("at://{DID}/app.bsky.feed.post/{rkey}"),
            cid: None,
            value: record,
        }
    }

    fn blob(cid: &str) -> Value {
        json!({"$type": "blob", "ref": {"$link": cid}, "mimeType": "image/jpeg", "size": 10})
    }

    #[test]
    fn a_record_reads_as_the_post_its_file_would_be() {
        let record = json!({
            "$type": "app.bsky.feed.post",
            "text": "Two mugs",
            "createdAt": "2026-11-02T09:30:00.000Z",
            "embed": {"$type": "app.bsky.embed.images", "images": [
                {"image": blob("bafkreia"), "alt": "A blue mug"},
                {"image": blob("bafkreib"), "alt": ""},
            ]},
        });
        let post = live_post(&ORIGIN, &stored("3k4duaz5vfs2b", record)).unwrap();
        assert_eq!(post.kind, Some(PostType::Carousel));
        assert_eq!(post.caption.as_deref(), Some("Two mugs"));
        assert_eq!(
            post.permalink.as_deref(),
            Some("https://bsky.app/profile/kiln.example/post/3k4duaz5vfs2b")
        );
        assert_eq!(
            post.items[0].url.as_deref(),
            Some(
                format!("https://pds.example/xrpc/com.atproto.sync.getBlob?did={DID}&cid=bafkreia")
                    .as_str()
            )
        );
        assert_eq!(post.items[0].alt_text.as_deref(), Some("A blue mug"));
        assert_eq!(post.items[1].alt_text, None);
        assert_eq!(
            post.published,
            "2026-11-02T09:30:00Z".parse::<jiff::Timestamp>().ok()
        );
    }

    #[test]
    fn videos_cards_quotes_and_replies() {
        let video = json!({"text": "", "embed": {"$type": "app.bsky.embed.video", "video": blob("bafkreiv"), "alt": "Glazing"}});
        let post = live_post(&ORIGIN, &stored("a", video)).unwrap();
        assert_eq!(post.kind, Some(PostType::Reel));
        assert_eq!(post.caption, None);
        assert!(post.items[0].video);
        assert_eq!(post.items[0].alt_text.as_deref(), Some("Glazing"));
        let card = json!({"text": "Read", "embed": {"$type": "app.bsky.embed.external"}});
        let card = live_post(&ORIGIN, &stored("b", card)).unwrap();
        assert_eq!((card.kind, card.items.len()), (Some(PostType::Text), 0));
        let quote = json!({"text": "Yes", "embed": {"$type": "app.bsky.embed.record"}});
        assert_eq!(live_post(&ORIGIN, &stored("c", quote)).unwrap().kind, None);
        let reply = json!({"text": "Thanks", "reply": {"root": {}, "parent": {}}});
        let page = page(&ORIGIN, &[stored("d", reply)], Some("d".into()));
        assert!(page.posts.is_empty());
        assert_eq!(page.next.as_deref(), Some("d"), "paging goes on");
        assert_eq!(super::page(&ORIGIN, &[], Some("d".into())).next, None);
    }

    #[test]
    fn a_cid_that_would_change_the_query_is_not_a_url() {
        assert_eq!(blob_url(&ORIGIN, DID, Some(&blob("bafk&x=1"))), None);
        assert_eq!(blob_url(&ORIGIN, DID, Some(&json!({}))), None);
    }
}
