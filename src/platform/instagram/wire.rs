//! Meta's wire format of the answers apply reads: container `status_code`
//! and `status` text, media fields (`media_type`, `media_product_type`,
//! Meta's timestamps) and comments, read into the platform's words.

use super::error::{self, ErrorClass};
use crate::content::PostType;
pub use crate::platform::meta::{container_state, parse_meta_time};
use crate::platform::{
    Comment, ContainerState, ContainerStatus, Failure, LiveItem, LiveMedia, LivePost,
};
use serde::Deserialize;

/// `status_code` (and `status` text) of a container, as Meta sends them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StatusFields {
    #[serde(default)]
    pub status_code: String,
    #[serde(default)]
    pub status: Option<String>,
}

impl StatusFields {
    /// The state, and for any other than IN_PROGRESS and FINISHED why it
    /// cannot be published from here.
    pub fn read(&self, container: &str) -> ContainerStatus {
        let state = container_state(&self.status_code);
        let failure = match state {
            ContainerState::InProgress | ContainerState::Finished => None,
            _ => Some(self.explain(container)),
        };
        ContainerStatus {
            state,
            code: self.status_code.clone(),
            failure,
            media: None,
        }
    }

    /// Why a container that ended ERROR or EXPIRED failed, for people, and
    /// the class of its subcode (read from the `status` text).
    pub fn explain(&self, container: &str) -> Failure {
        let text = self.status.as_deref().unwrap_or("").trim();
        let known = error::subcode_in_status(text).and_then(|c| error::subcode(c).map(|k| (c, k)));
        match known {
            Some((code, k)) => Failure {
                message: format!(
                    "Meta could not process the media (container {container} is {}, subcode {code}: {}); {}",
                    self.status_code,
                    k.meaning,
                    k.advice.unwrap_or_else(|| k.class.advice())
                ),
                class: k.class,
            },
            None if self.status_code == "EXPIRED" => Failure {
                message: format!("container {container} expired before it was published; the next apply builds a new one"),
                class: ErrorClass::Expired,
            },
            None => Failure {
                message: format!(
                    "Meta could not process the media (container {container}: {} {text})",
                    self.status_code
                ),
                class: ErrorClass::Other,
            },
        }
    }
}

/// A published media as the API lists it (read into a [`LiveMedia`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(super) struct MediaFields {
    id: String,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    media_product_type: Option<String>,
    #[serde(default)]
    permalink: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    is_comment_enabled: Option<bool>,
    /// A carousel's items (`children{id}`).
    #[serde(default)]
    children: Option<Children>,
}

/// `{"data": [{"id": …}, …]}`: only the count is read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(super) struct Children {
    #[serde(default)]
    data: Vec<serde_json::Value>,
}

impl From<MediaFields> for LiveMedia {
    fn from(m: MediaFields) -> LiveMedia {
        let kinds = [
            PostType::Image,
            PostType::Carousel,
            PostType::Reel,
            PostType::Story,
        ]
        .into_iter()
        .filter(|k| media_type_matches(*k, &m))
        .collect();
        // A carousel's count only from its children; one media otherwise.
        let items = match m.media_type.as_deref() {
            Some("CAROUSEL_ALBUM") => m.children.as_ref().map(|c| c.data.len()),
            Some(_) => Some(1),
            None => None,
        };
        LiveMedia {
            items,
            published: m.timestamp.as_deref().and_then(parse_meta_time),
            id: m.id,
            caption: m.caption,
            permalink: m.permalink,
            timestamp: m.timestamp,
            comments_enabled: m.is_comment_enabled,
            kinds,
        }
    }
}

/// Which post types a media's `media_type` and `media_product_type` fit.
fn media_type_matches(kind: PostType, m: &MediaFields) -> bool {
    let t = m.media_type.as_deref().unwrap_or("");
    let p = m.media_product_type.as_deref().unwrap_or("");
    match kind {
        PostType::Image => t == "IMAGE" && p != "STORY",
        PostType::Carousel => t == "CAROUSEL_ALBUM",
        PostType::Reel => t == "VIDEO" || p == "REELS",
        PostType::Story => p == "STORY" || p.is_empty(),
        PostType::Text => false,
    }
}

/// A comment on a media.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(super) struct CommentFields {
    id: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    username: Option<String>,
}

impl From<CommentFields> for Comment {
    fn from(c: CommentFields) -> Comment {
        Comment {
            id: c.id,
            text: c.text,
            username: c.username,
        }
    }
}

/// What `import` lists of each post (docs/instagram.md, "Importing an
/// account"): the fields a post file holds, the media's CDN URLs to
/// download, and each carousel item's own type, URL and alt text through
/// the `children` edge expanded in the same call. Every field is on both
/// logins' media nodes (`IGMedia`, `IGMediaForIGOnlyAPI`).
pub(super) const FEED_FIELDS: &str = "id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,timestamp,is_comment_enabled,alt_text,children{id,media_type,media_url,thumbnail_url,alt_text}";

/// A post of the feed listing, with its media (read into a [`LivePost`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(super) struct FeedFields {
    id: String,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    media_product_type: Option<String>,
    #[serde(default)]
    media_url: Option<String>,
    #[serde(default)]
    thumbnail_url: Option<String>,
    #[serde(default)]
    permalink: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    is_comment_enabled: Option<bool>,
    #[serde(default)]
    alt_text: Option<String>,
    #[serde(default)]
    children: Option<FeedChildren>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(super) struct FeedChildren {
    #[serde(default)]
    data: Vec<ChildFields>,
}

/// A carousel item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(super) struct ChildFields {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    media_url: Option<String>,
    #[serde(default)]
    thumbnail_url: Option<String>,
    #[serde(default)]
    alt_text: Option<String>,
}

impl From<FeedFields> for LivePost {
    fn from(m: FeedFields) -> LivePost {
        let t = m.media_type.as_deref().unwrap_or("");
        let p = m.media_product_type.as_deref().unwrap_or("");
        // Stories first: a story is IMAGE or VIDEO by its media type.
        let kind = match (t, p) {
            (_, "STORY") => Some(PostType::Story),
            ("CAROUSEL_ALBUM", _) => Some(PostType::Carousel),
            ("VIDEO", _) | (_, "REELS") => Some(PostType::Reel),
            ("IMAGE", _) => Some(PostType::Image),
            _ => None,
        };
        // What a post file may say of each (docs/instagram.md, "Container
        // parameters by post type"): alt text on images only, no comment
        // setting on a story; what the API reports beyond that is left out
        // so the written file validates.
        let story = kind == Some(PostType::Story);
        let items = match m.children {
            Some(children) if t == "CAROUSEL_ALBUM" => children
                .data
                .into_iter()
                .map(|c| {
                    let video = c.media_type.as_deref() == Some("VIDEO");
                    LiveItem {
                        video,
                        id: c.id,
                        url: c.media_url,
                        thumbnail: c.thumbnail_url,
                        alt_text: c.alt_text.filter(|_| !video),
                    }
                })
                .collect(),
            _ => vec![LiveItem {
                id: None,
                url: m.media_url,
                thumbnail: m.thumbnail_url,
                video: t == "VIDEO",
                alt_text: m.alt_text.filter(|_| t == "IMAGE" && !story),
            }],
        };
        LivePost {
            published: m.timestamp.as_deref().and_then(parse_meta_time),
            id: m.id,
            kind,
            caption: m.caption,
            permalink: m.permalink,
            comments_enabled: m.is_comment_enabled.filter(|_| !story),
            items,
            collaborators: Vec::new(),
            pinned: None,
        }
    }
}

pub(super) const MEDIA_FIELDS: &str =
    "id,caption,media_type,media_product_type,permalink,timestamp,is_comment_enabled,children{id}";

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(code: &str, status: Option<&str>) -> StatusFields {
        StatusFields {
            status_code: code.into(),
            status: status.map(str::to_string),
        }
    }

    #[test]
    fn status_codes_read_into_states_with_the_failure_explained() {
        for (code, state) in [
            ("IN_PROGRESS", ContainerState::InProgress),
            ("FINISHED", ContainerState::Finished),
            ("ERROR", ContainerState::Error),
            ("EXPIRED", ContainerState::Expired),
            ("PUBLISHED", ContainerState::Published),
            ("PAUSED", ContainerState::Unknown("PAUSED".into())),
        ] {
            let s = fields(code, None).read("c1");
            assert_eq!(s.state, state, "{code}");
            assert_eq!(s.code, code);
            let waits = matches!(state, ContainerState::InProgress | ContainerState::Finished);
            assert_eq!(s.failure.is_none(), waits, "{code}");
        }
        let error = fields(
            "ERROR",
            Some("Error: Media upload has failed with error code 2207026"),
        )
        .read("c1")
        .failure
        .unwrap();
        assert_eq!(error.class, ErrorClass::Content);
        assert!(
            error.message.contains("subcode 2207026"),
            "{}",
            error.message
        );
        let expired = fields("EXPIRED", None).read("c1").failure.unwrap();
        assert_eq!(expired.class, ErrorClass::Expired);
    }

    #[test]
    fn feed_fields_read_into_posts_with_their_items_in_order() {
        let read = |v: serde_json::Value| -> LivePost {
            serde_json::from_value::<FeedFields>(v).unwrap().into()
        };
        let carousel = read(serde_json::json!({
            "id": "1", "caption": "a: b", "media_type": "CAROUSEL_ALBUM",
            "media_product_type": "FEED", "timestamp": "2026-12-01T08:00:00+0000",
            "children": {"data": [
                {"id": "c1", "media_type": "IMAGE", "media_url": "https://cdn/x.jpg?oh=1", "alt_text": "cup"},
                {"id": "c2", "media_type": "VIDEO", "media_url": "https://cdn/y.mp4?oh=2", "alt_text": "v"}
            ]}
        }));
        assert_eq!(carousel.kind, Some(PostType::Carousel));
        assert_eq!(carousel.items.len(), 2);
        assert_eq!(carousel.items[0].alt_text.as_deref(), Some("cup"));
        assert!(!carousel.items[0].video && carousel.items[1].video);
        assert_eq!(carousel.published, "2026-12-01T08:00:00Z".parse().ok());
        let story = read(serde_json::json!({
            "id": "2", "media_type": "IMAGE", "media_product_type": "STORY",
            "is_comment_enabled": false, "alt_text": "x"
        }));
        assert_eq!(story.kind, Some(PostType::Story));
        assert_eq!(story.comments_enabled, None, "a story file has no comments");
        assert_eq!(story.items[0].alt_text, None, "nor alt text");
        assert_eq!(
            carousel.items[1].alt_text, None,
            "a video item has no alt text"
        );
        assert!(!story.items[0].video);
        let reel = read(
            serde_json::json!({"id": "3", "media_type": "VIDEO", "media_product_type": "REELS"}),
        );
        assert_eq!(reel.kind, Some(PostType::Reel));
        // The signed URL never shows in Debug output.
        assert!(!format!("{carousel:?}").contains("oh=1"));
    }

    #[test]
    fn media_fields_say_which_post_types_a_media_fits() {
        let media = |t: &str, p: &str| -> LiveMedia {
            MediaFields {
                id: "m".into(),
                caption: None,
                media_type: Some(t.into()),
                media_product_type: (!p.is_empty()).then(|| p.to_string()),
                permalink: None,
                timestamp: Some("2026-12-01T08:00:00+0000".into()),
                is_comment_enabled: None,
                children: None,
            }
            .into()
        };
        use PostType::*;
        assert_eq!(media("IMAGE", "FEED").kinds, vec![Image]);
        assert_eq!(media("CAROUSEL_ALBUM", "FEED").kinds, vec![Carousel]);
        assert_eq!(media("VIDEO", "REELS").kinds, vec![Reel]);
        assert_eq!(media("IMAGE", "STORY").kinds, vec![Story]);
        assert_eq!(media("VIDEO", "").kinds, vec![Reel, Story]);
        assert_eq!(
            media("IMAGE", "FEED").published,
            "2026-12-01T08:00:00Z".parse().ok()
        );
    }
}
