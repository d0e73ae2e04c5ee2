//! Threads' own options in a post (`threads: {reply_control, topic_tag,
//! link_attachment}`), and their part of the post schema.

use crate::content::Post;
use crate::platform::{Platform, PlatformSpec as _};
use serde::{Deserialize, Serialize};

/// Who may reply to a Threads post (`threads: {reply_control: …}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyControl {
    Everyone,
    AccountsYouFollow,
    MentionedOnly,
    ParentPostAuthorOnly,
    FollowersOnly,
}

impl ReplyControl {
    /// The value Threads' `reply_control` parameter takes.
    pub fn name(self) -> &'static str {
        match self {
            ReplyControl::Everyone => "everyone",
            ReplyControl::AccountsYouFollow => "accounts_you_follow",
            ReplyControl::MentionedOnly => "mentioned_only",
            ReplyControl::ParentPostAuthorOnly => "parent_post_author_only",
            ReplyControl::FollowersOnly => "followers_only",
        }
    }
}

/// The options of a post's `threads:` map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Options {
    pub reply_control: Option<ReplyControl>,
    pub topic_tag: Option<String>,
    pub link_attachment: Option<String>,
}

impl Options {
    /// The post's Threads options (none when it has no `threads:` map).
    pub fn of(post: &Post) -> Options {
        Platform::named(super::Spec.name())
            .and_then(|p| post.fields.overrides(p))
            .map(|o| o.options())
            .unwrap_or_default()
    }
}

/// The schema of Threads' options in `threads:` (besides `caption` and
/// `media`, which every platform's map has).
pub(super) const POST_OPTIONS_SCHEMA: &str = r#"{
  "reply_control": {
    "description": "Who may reply.",
    "enum": ["everyone", "accounts_you_follow", "mentioned_only", "parent_post_author_only", "followers_only"]
  },
  "topic_tag": {
    "description": "One topic tag: 1–50 characters, no `.` or `&`.",
    "type": "string"
  },
  "link_attachment": {
    "description": "An https link shown as the attachment of a text-only post.",
    "type": "string"
  }
}"#;
