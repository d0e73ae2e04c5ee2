//! Threads' wire format of the answers postwright reads: a container's
//! `status` and `error_message` (not Instagram's `status_code`), media
//! fields (`media_type` `TEXT_POST`, `IMAGE`, `VIDEO`, `CAROUSEL_ALBUM`),
//! ids and the publishing limit, read into the platform's words
//! (docs/threads.md, "Container → status → publish", "Reading back").

use super::error::processing_failure;
use super::{Client, ThreadsError};
use crate::content::PostType;
use crate::platform::meta::{container_state, parse_meta_time};
use crate::platform::{
    ContainerState, ContainerStatus, ErrorClass, Failure, LiveItem, LiveMedia, LivePost, Quota,
};
use serde::Deserialize;
use serde_json::Value;

/// The fields postwright reads of a published post.
pub const MEDIA_FIELDS: &str =
    "id,media_product_type,media_type,text,permalink,shortcode,timestamp";

/// What `import` lists of each post (docs/threads.md, "Importing a
/// profile"): the fields a post file holds, and each media's URL and alt
/// text, a carousel's through its `children` expanded in the same call.
pub const FEED_FIELDS: &str = "id,media_type,media_url,thumbnail_url,text,permalink,timestamp,alt_text,children{id,media_type,media_url,thumbnail_url,alt_text}";

/// A post of the profile's listing, with its media.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FeedFields {
    pub id: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub media_url: Option<String>,
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    #[serde(default)]
    pub permalink: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub alt_text: Option<String>,
    #[serde(default)]
    pub children: Option<FeedChildren>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FeedChildren {
    #[serde(default)]
    pub data: Vec<ChildFields>,
}

/// A carousel item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChildFields {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub media_url: Option<String>,
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    #[serde(default)]
    pub alt_text: Option<String>,
}

impl From<FeedFields> for LivePost {
    fn from(m: FeedFields) -> LivePost {
        let t = m.media_type.as_deref().unwrap_or("");
        let kind = kinds(t).first().copied();
        let items = match (t, m.children) {
            ("TEXT_POST", _) => Vec::new(),
            ("CAROUSEL_ALBUM", Some(c)) => c
                .data
                .into_iter()
                .map(|c| LiveItem {
                    video: c.media_type.as_deref() == Some("VIDEO"),
                    id: c.id,
                    url: c.media_url,
                    thumbnail: c.thumbnail_url,
                    alt_text: c.alt_text,
                })
                .collect(),
            _ => vec![LiveItem {
                id: None,
                url: m.media_url,
                thumbnail: m.thumbnail_url,
                video: t == "VIDEO",
                alt_text: m.alt_text,
            }],
        };
        LivePost {
            published: m.timestamp.as_deref().and_then(parse_meta_time),
            id: m.id,
            kind,
            caption: m.text,
            permalink: m.permalink,
            comments_enabled: None,
            items,
            collaborators: Vec::new(),
            pinned: None,
        }
    }
}

/// `status` and `error_message` of a container.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StatusFields {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub error_message: Option<String>,
}

impl StatusFields {
    /// The state (the same five names as Instagram's), and for any but
    /// IN_PROGRESS and FINISHED why it cannot be published from here.
    pub fn read(&self, container: &str) -> ContainerStatus {
        let state = container_state(&self.status);
        let failure = match &state {
            ContainerState::InProgress | ContainerState::Finished => None,
            ContainerState::Published => Some(Failure {
                message: format!("container {container} is published already"),
                class: ErrorClass::Other,
            }),
            ContainerState::Expired => Some(Failure {
                message: format!(
                    "container {container} expired (not published within 24 hours); the next apply builds a new one"
                ),
                class: ErrorClass::Expired,
            }),
            _ => {
                let reason = self.error_message.as_deref().unwrap_or("").trim();
                let (class, advice) = processing_failure(reason);
                Some(Failure {
                    message: format!(
                        "Threads could not process the media (container {container}: {} {reason}); {advice}",
                        self.status
                    ),
                    class,
                })
            }
        };
        ContainerStatus {
            state,
            code: self.status.clone(),
            failure,
            media: None,
        }
    }
}

/// A post as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MediaFields {
    pub id: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub media_product_type: Option<String>,
    #[serde(default)]
    pub permalink: Option<String>,
    #[serde(default)]
    pub shortcode: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// The post types a Threads `media_type` can be.
pub fn kinds(media_type: &str) -> Vec<PostType> {
    match media_type {
        "TEXT_POST" => vec![PostType::Text],
        "IMAGE" => vec![PostType::Image],
        "VIDEO" => vec![PostType::Reel],
        "CAROUSEL_ALBUM" => vec![PostType::Carousel],
        // AUDIO, REPOST_FACADE: nothing postwright publishes.
        _ => Vec::new(),
    }
}

impl From<MediaFields> for LiveMedia {
    fn from(m: MediaFields) -> LiveMedia {
        LiveMedia {
            published: m.timestamp.as_deref().and_then(parse_meta_time),
            kinds: kinds(m.media_type.as_deref().unwrap_or("")),
            // A carousel's count is not read: such a twin is left to a person.
            items: match m.media_type.as_deref() {
                Some("TEXT_POST") => Some(0),
                Some("IMAGE" | "VIDEO") => Some(1),
                _ => None,
            },
            id: m.id,
            caption: m.text,
            permalink: m.permalink,
            timestamp: m.timestamp,
            comments_enabled: None,
        }
    }
}

/// `{"id": ...}` of a created container or published post.
pub(crate) fn id_of(client: &Client, v: &Value) -> Result<String, ThreadsError> {
    match v.get("id") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(ThreadsError::Decode {
            host: client.host().to_string(),
            message: "the answer holds no id".into(),
        }),
    }
}

/// `{"data":[{"quota_usage":4,"config":{"quota_total":250,...}}]}`.
pub(crate) fn quota(client: &Client, v: &Value) -> Result<Quota, ThreadsError> {
    let first = v.pointer("/data/0").cloned().unwrap_or(Value::Null);
    let used = first
        .get("quota_usage")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let total = first
        .pointer("/config/quota_total")
        .and_then(Value::as_u64)
        .ok_or_else(|| ThreadsError::Decode {
            host: client.host().to_string(),
            message: "threads_publishing_limit without config.quota_total".into(),
        })?;
    Ok(Quota { used, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_fields_read_into_posts_text_without_media() {
        let read = |v: serde_json::Value| -> LivePost {
            serde_json::from_value::<FeedFields>(v).unwrap().into()
        };
        let text =
            read(serde_json::json!({"id": "1", "media_type": "TEXT_POST", "text": "hi: there"}));
        assert_eq!(text.kind, Some(PostType::Text));
        assert!(text.items.is_empty());
        assert_eq!(text.caption.as_deref(), Some("hi: there"));
        let carousel = read(serde_json::json!({
            "id": "2", "media_type": "CAROUSEL_ALBUM",
            "children": {"data": [{"id": "a", "media_type": "VIDEO", "media_url": "https://cdn/a?oh=1"}]}
        }));
        assert_eq!(carousel.kind, Some(PostType::Carousel));
        assert!(carousel.items[0].video);
        let audio = read(serde_json::json!({"id": "3", "media_type": "AUDIO"}));
        assert_eq!(audio.kind, None);
    }

    fn status(s: &str, msg: Option<&str>) -> ContainerStatus {
        StatusFields {
            status: s.into(),
            error_message: msg.map(str::to_string),
        }
        .read("17889615691921648")
    }

    #[test]
    fn statuses_map_to_container_states() {
        assert_eq!(
            status("IN_PROGRESS", None).state,
            ContainerState::InProgress
        );
        assert!(status("IN_PROGRESS", None).failure.is_none());
        assert_eq!(status("FINISHED", None).state, ContainerState::Finished);
        assert_eq!(status("PUBLISHED", None).state, ContainerState::Published);
        let e = status("EXPIRED", None);
        assert_eq!(e.state, ContainerState::Expired);
        assert_eq!(e.failure.unwrap().class, ErrorClass::Expired);
        let e = status("ERROR", Some("FAILED_DOWNLOADING_VIDEO"));
        assert_eq!(e.state, ContainerState::Error);
        let f = e.failure.unwrap();
        assert_eq!(f.class, ErrorClass::MediaFetch);
        assert!(
            f.message.contains("FAILED_DOWNLOADING_VIDEO"),
            "{}",
            f.message
        );
        let e = status("ERROR", Some("INVALID_ASPEC_RATIO"));
        assert_eq!(e.failure.unwrap().class, ErrorClass::Content);
        assert_eq!(
            status("SOMETHING_NEW", None).state,
            ContainerState::Unknown("SOMETHING_NEW".into())
        );
    }

    #[test]
    fn media_types_map_to_post_types() {
        let m: MediaFields = serde_json::from_str(
            r#"{"id":"1","media_product_type":"THREADS","media_type":"TEXT_POST","text":"hi","permalink":"https://www.threads.com/@s/post/abc","shortcode":"abc","timestamp":"2026-04-15T14:30:00+0000"}"#,
        )
        .unwrap();
        let live: LiveMedia = m.into();
        assert_eq!(live.kinds, [PostType::Text]);
        assert_eq!(live.caption.as_deref(), Some("hi"));
        assert!(live.published.is_some());
        assert_eq!(kinds("IMAGE"), [PostType::Image]);
        assert_eq!(kinds("VIDEO"), [PostType::Reel]);
        assert_eq!(kinds("CAROUSEL_ALBUM"), [PostType::Carousel]);
        assert!(kinds("REPOST_FACADE").is_empty());
    }
}
