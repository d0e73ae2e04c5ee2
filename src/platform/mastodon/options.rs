//! Mastodon's own options in a post (`mastodon: {spoiler_text,
//! visibility, sensitive, language}`), their part of the post schema, and
//! their part of a target's content hash. Facts: docs/mastodon.md.

use crate::content::Post;
use crate::platform::{Platform, PlatformSpec as _};
use serde::Deserialize;

/// Who sees a status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Public,
    Unlisted,
    Private,
    Direct,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }
}

/// The options of a post's `mastodon:` map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Options {
    /// The content warning: counted with the text.
    #[serde(default)]
    pub spoiler_text: String,
    /// `None`: the account's default visibility on its server.
    pub visibility: Option<Visibility>,
    /// Media marked sensitive (hidden behind a click).
    #[serde(default)]
    pub sensitive: bool,
    /// The text's language, ISO 639 (`en`).
    pub language: Option<String>,
}

impl Options {
    /// The post's Mastodon options (none when it has no `mastodon:` map).
    pub fn of(post: &Post) -> Options {
        Platform::named(super::Spec.name())
            .and_then(|p| post.fields.overrides(p))
            .map(|o| o.options())
            .unwrap_or_default()
    }

    /// What of them reaches Mastodon, for the content hash; `None` when
    /// the post has none (hashes of posts without them stay as they were).
    pub fn hash_part(&self) -> Option<serde_json::Value> {
        if *self == Options::default() {
            return None;
        }
        Some(serde_json::json!({
            "spoiler_text": self.spoiler_text,
            "visibility": self.visibility.map(Visibility::as_str),
            "sensitive": self.sensitive,
            "language": self.language,
        }))
    }
}

/// The schema of Mastodon's options in `mastodon:` (besides `caption` and
/// `media`, which every platform's map has).
pub(super) const POST_OPTIONS_SCHEMA: &str = r#"{
  "spoiler_text": {
    "description": "A content warning shown before the text; it counts toward the server's characters.",
    "type": "string"
  },
  "visibility": {
    "description": "Who sees the status: public, unlisted, private (followers only) or direct (the mentioned people). Default: the account's own setting.",
    "enum": ["public", "unlisted", "private", "direct"]
  },
  "sensitive": {
    "description": "Hide the media behind a click.",
    "type": "boolean"
  },
  "language": {
    "description": "The text's language as an ISO 639 code (en, pt).",
    "type": "string",
    "pattern": "^[a-z]{2,3}$"
  }
}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_part_only_when_set() {
        assert_eq!(Options::default().hash_part(), None);
        let o = Options {
            visibility: Some(Visibility::Unlisted),
            spoiler_text: "cw".into(),
            ..Options::default()
        };
        let part = o.hash_part().unwrap();
        assert_eq!(part["visibility"], "unlisted");
        assert_eq!(part["spoiler_text"], "cw");
    }
}
