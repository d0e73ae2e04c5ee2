//! Bluesky's own options in a post (`bluesky: {langs, labels, link}`),
//! their part of the post schema, and their part of a target's content
//! hash. Facts: docs/bluesky.md ("The post record", "Embeds").

use crate::content::Post;
use crate::platform::{Platform, PlatformSpec as _};
use serde::Deserialize;

/// The options of a post's `bluesky:` map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Options {
    /// The languages of the text (BCP 47 tags), at most 3.
    #[serde(default)]
    pub langs: Vec<String>,
    /// Self-labels for sensitive media (`sexual`, `nudity`, `porn`,
    /// `graphic-media`).
    #[serde(default)]
    pub labels: Vec<String>,
    /// A link card: postwright does not fetch the page, the file says
    /// what the card shows.
    pub link: Option<Link>,
}

/// `bluesky: {link: …}`: an `app.bsky.embed.external` card.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Link {
    pub url: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// A repo image (path as media paths are written), at most 1,000,000
    /// bytes.
    pub thumb: Option<String>,
}

impl Options {
    /// The post's Bluesky options (none when it has no `bluesky:` map).
    pub fn of(post: &Post) -> Options {
        Platform::named(super::Spec.name())
            .and_then(|p| post.fields.overrides(p))
            .map(|o| o.options())
            .unwrap_or_default()
    }

    /// What of them reaches Bluesky, for the content hash (the card's
    /// thumbnail bytes are hashed as the version's cover); `None` when the
    /// post has none.
    pub fn hash_part(&self) -> Option<serde_json::Value> {
        if *self == Options::default() {
            return None;
        }
        let link = self.link.as_ref().map(|l| {
            serde_json::json!({
                "url": l.url,
                "title": l.title,
                "description": l.description,
                "thumb": l.thumb,
            })
        });
        Some(serde_json::json!({
            "langs": self.langs,
            "labels": self.labels,
            "link": link,
        }))
    }
}

/// The schema of Bluesky's options in `bluesky:` (besides `caption` and
/// `media`, which every platform's map has).
pub(super) const POST_OPTIONS_SCHEMA: &str = r#"{
  "langs": {
    "description": "The languages of the text, as BCP 47 tags (en, pt-BR): at most 3.",
    "type": "array",
    "maxItems": 3,
    "uniqueItems": true,
    "items": {
      "type": "string",
      "pattern": "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
    }
  },
  "labels": {
    "description": "Self-labels for sensitive media, as Bluesky's app offers them.",
    "type": "array",
    "uniqueItems": true,
    "items": {
      "enum": ["sexual", "nudity", "porn", "graphic-media"]
    }
  },
  "link": {
    "description": "A link card (postwright does not fetch the page: the card shows what is written here). Left out when the post has media: a Bluesky post embeds one thing.",
    "type": "object",
    "additionalProperties": false,
    "required": ["url"],
    "properties": {
      "url": {
        "description": "The page: an http(s) URL.",
        "type": "string"
      },
      "title": {
        "type": "string"
      },
      "description": {
        "type": "string"
      },
      "thumb": {
        "description": "A picture for the card: a repo image of at most 1,000,000 bytes, its path written as media paths are.",
        "type": "string"
      }
    }
  }
}"#;
