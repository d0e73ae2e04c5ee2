//! Mastodon's own options in a post (`mastodon: {spoiler_text,
//! visibility, sensitive, language, poll, focus}`), their part of the post
//! schema, and their part of a target's content hash. Facts:
//! docs/mastodon.md.

pub use super::poll::PollOptions;
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
    /// A poll (then no media).
    #[serde(default)]
    pub poll: Option<PollOptions>,
    /// The focal point of each media item, in order (`"x,y"`; `null`
    /// leaves an item centred).
    #[serde(default)]
    pub focus: Vec<Option<String>>,
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
        let mut part = serde_json::json!({
            "spoiler_text": self.spoiler_text,
            "visibility": self.visibility.map(Visibility::as_str),
            "sensitive": self.sensitive,
            "language": self.language,
        });
        // Added only when set: hashes of posts without them stay as they were.
        if let Some(p) = &self.poll {
            part["poll"] = serde_json::json!({
                "options": p.options,
                "expires_in": p.expires_in.as_ref().map(|e| e.seconds().ok()),
                "multiple": p.multiple,
                "hide_totals": p.hide_totals,
            });
        }
        if !self.focus.is_empty() {
            part["focus"] = serde_json::json!(self.focus);
        }
        Some(part)
    }

    /// The focal point of media item `i`, when the post gives a valid one.
    pub fn focus_of(&self, i: usize) -> Option<(f64, f64)> {
        let text = self.focus.get(i)?.as_deref()?;
        super::poll::focus(text).ok()
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
  },
  "poll": {
    "description": "A poll instead of media: 2 to the server's maximum of options (Mastodon: 4, each at most 50 characters, no two alike), open for expires_in (Mastodon: 5 minutes to a month). The status needs a caption too.",
    "type": "object",
    "additionalProperties": false,
    "required": ["options", "expires_in"],
    "properties": {
      "options": {
        "description": "The choices, in order.",
        "type": "array",
        "items": {"type": "string"}
      },
      "expires_in": {
        "description": "How long the poll stays open: seconds (86400) or a duration (1d, 6h, 30m, 1d12h).",
        "type": ["integer", "string"],
        "minimum": 1
      },
      "multiple": {
        "description": "People may pick several options. Default false.",
        "type": "boolean"
      },
      "hide_totals": {
        "description": "Hide the vote counts until the poll ends. Default false.",
        "type": "boolean"
      }
    }
  },
  "focus": {
    "description": "The focal point of each media item, in order, as \"x,y\" from -1.0 to 1.0 (0,0 the centre, 1,1 the top right; Mastodon crops previews around it); null leaves an item centred.",
    "type": "array",
    "items": {"type": ["string", "null"]}
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
        // Absent, a poll and focal points leave the part as it was.
        assert!(part.get("poll").is_none() && part.get("focus").is_none());
        let polled = Options {
            poll: Some(PollOptions {
                options: vec!["a".into(), "b".into()],
                expires_in: Some(super::super::poll::Expiry::Text("1h".into())),
                ..PollOptions::default()
            }),
            focus: vec![Some("0,0.5".into())],
            ..o.clone()
        };
        let part = polled.hash_part().unwrap();
        assert_eq!(part["poll"]["expires_in"], 3600);
        assert_eq!(part["focus"][0], "0,0.5");
        assert_eq!(polled.focus_of(0), Some((0.0, 0.5)));
        assert_eq!(polled.focus_of(1), None);
    }
}
