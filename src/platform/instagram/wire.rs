//! Meta's wire format of the answers apply reads: container `status_code`
//! and `status` text, media fields (`media_type`, `media_product_type`,
//! Meta's timestamps) and comments, read into the platform's words.

use super::error::{self, ErrorClass};
use crate::content::PostType;
use crate::platform::{Comment, ContainerState, ContainerStatus, Failure, LiveMedia};
use serde::Deserialize;

/// Meta's `status_code` for a container's state.
pub fn container_state(code: &str) -> ContainerState {
    match code {
        "IN_PROGRESS" => ContainerState::InProgress,
        "FINISHED" => ContainerState::Finished,
        "ERROR" => ContainerState::Error,
        "EXPIRED" => ContainerState::Expired,
        "PUBLISHED" => ContainerState::Published,
        other => ContainerState::Unknown(other.to_string()),
    }
}

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
            _ => {
                let (message, class) = self.explain(container);
                Some(Failure { message, class })
            }
        };
        ContainerStatus {
            state,
            code: self.status_code.clone(),
            failure,
        }
    }

    /// Why a container that ended ERROR or EXPIRED failed, for people, and
    /// the class of its subcode (read from the `status` text).
    pub fn explain(&self, container: &str) -> (String, ErrorClass) {
        let text = self.status.as_deref().unwrap_or("").trim();
        let known = error::subcode_in_status(text).and_then(|c| error::subcode(c).map(|k| (c, k)));
        match known {
            Some((code, k)) => (
                format!(
                    "Meta could not process the media (container {container} is {}, subcode {code}: {}); {}",
                    self.status_code,
                    k.meaning,
                    k.advice.unwrap_or_else(|| k.class.advice())
                ),
                k.class,
            ),
            None if self.status_code == "EXPIRED" => (
                format!("container {container} expired before it was published; the next apply builds a new one"),
                ErrorClass::Expired,
            ),
            None => (
                format!(
                    "Meta could not process the media (container {container}: {} {text})",
                    self.status_code
                ),
                ErrorClass::Other,
            ),
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
        LiveMedia {
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
    }
}

/// Meta writes `2026-12-01T08:00:00+0000`; jiff wants a colon in the offset.
pub fn parse_meta_time(s: &str) -> Option<jiff::Timestamp> {
    if let Ok(t) = s.parse() {
        return Some(t);
    }
    if s.len() > 5 {
        let (head, tail) = s.split_at(s.len() - 2);
        return format!("{head}:{tail}").parse().ok();
    }
    None
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

pub(super) const MEDIA_FIELDS: &str =
    "id,caption,media_type,media_product_type,permalink,timestamp,is_comment_enabled";
