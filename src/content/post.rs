//! The typed post model: what a post file says, field by field.

use super::{Content, Loaded, PostFile, Spans, Syntax};
use crate::platform::Platform;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The kinds of post the platforms' publishing APIs support. `text` (no
/// media) is Threads only; `story` is Instagram only. On Threads a `reel`
/// is a video post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PostType {
    Image,
    Carousel,
    Reel,
    Story,
    Text,
}

impl fmt::Display for PostType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PostType::Image => "image",
            PostType::Carousel => "carousel",
            PostType::Reel => "reel",
            PostType::Story => "story",
            PostType::Text => "text",
        })
    }
}

/// A person tagged on an image.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UserTag {
    pub username: String,
    /// From the left edge, 0 to 1; required on images, absent on reels.
    pub x: Option<f64>,
    /// From the top edge, 0 to 1.
    pub y: Option<f64>,
}

/// A product from the account's catalog tagged on an image or a reel.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductTag {
    pub product_id: IdValue,
    /// From the left edge, 0 to 1; images only, optional.
    pub x: Option<f64>,
    /// From the top edge, 0 to 1.
    pub y: Option<f64>,
}

/// How a trial reel (shown to non-followers first) graduates to a reel
/// shown to followers too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Graduation {
    /// Only when the account shares it in the Instagram app.
    Manual,
    /// Instagram shares it by itself if it performs well.
    Performance,
}

/// `trial:` of a reel.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Trial {
    pub graduation: Graduation,
}

/// One item of `media`: a path or URL, or an object with per-item fields.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum MediaEntry {
    Src(String),
    Item {
        src: String,
        alt_text: Option<String>,
        user_tags: Option<Vec<UserTag>>,
        product_tags: Option<Vec<ProductTag>>,
    },
}

impl MediaEntry {
    pub fn src(&self) -> &str {
        match self {
            MediaEntry::Src(s) | MediaEntry::Item { src: s, .. } => s,
        }
    }

    pub fn alt_text(&self) -> Option<&str> {
        match self {
            MediaEntry::Item { alt_text, .. } => alt_text.as_deref(),
            MediaEntry::Src(_) => None,
        }
    }

    pub fn user_tags(&self) -> &[UserTag] {
        match self {
            MediaEntry::Item {
                user_tags: Some(t), ..
            } => t,
            _ => &[],
        }
    }

    pub fn product_tags(&self) -> &[ProductTag] {
        match self {
            MediaEntry::Item {
                product_tags: Some(t),
                ..
            } => t,
            _ => &[],
        }
    }
}

/// A platform's map in a post (`threads:`, `instagram:`, any registered
/// platform's name): what that platform's accounts get instead of the
/// post's own caption and media, and the options only that platform has,
/// as written (the schema has checked their shape; the platform's folder
/// reads them). In a [`crate::validate::ValidPost`] the caption and media
/// are already merged into the post's fields; the options stay here.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Overrides {
    pub caption: Option<String>,
    pub media: Option<Vec<MediaEntry>>,
    #[serde(flatten)]
    pub options: serde_json::Map<String, serde_json::Value>,
}

impl Overrides {
    /// The platform's options read into its own type; the default when
    /// they are absent or not of its shape (the schema has said why).
    pub fn options<T: serde::de::DeserializeOwned + Default>(&self) -> T {
        serde_json::from_value(serde_json::Value::Object(self.options.clone())).unwrap_or_default()
    }
}

/// `location_id` may be written as a number or a string; it is an id either way.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum IdValue {
    Text(String),
    Number(u64),
}

impl fmt::Display for IdValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdValue::Text(s) => f.write_str(s),
            IdValue::Number(n) => write!(f, "{n}"),
        }
    }
}

/// The fields of a post, as the schema defines them. Unknown fields never
/// reach here: the schema check reports them first.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PostFields {
    pub id: Option<String>,
    pub account: Option<String>,
    /// The same post to several accounts, on any platforms (instead of
    /// `account`).
    pub accounts: Option<Vec<String>>,
    #[serde(rename = "type")]
    pub kind: Option<PostType>,
    /// Empty: a text-only post (Threads).
    #[serde(default)]
    pub media: Vec<MediaEntry>,
    pub caption: Option<String>,
    pub publish_at: Option<String>,
    #[serde(default)]
    pub draft: bool,
    pub location_id: Option<IdValue>,
    pub user_tags: Option<Vec<UserTag>>,
    pub alt_text: Option<String>,
    pub collaborators: Option<Vec<String>>,
    pub first_comment: Option<String>,
    pub comments: Option<bool>,
    pub cover: Option<String>,
    pub thumb_offset: Option<u64>,
    pub share_to_feed: Option<bool>,
    pub audio_name: Option<String>,
    /// Reels: publish as a trial reel.
    pub trial: Option<Trial>,
    /// Shorthand for the product tags of a single image or a reel.
    pub product_tags: Option<Vec<ProductTag>>,
    /// true: the "Paid partnership" label.
    pub paid_partnership: Option<bool>,
    /// Instagram user ids of the brands named in the label (at most 2).
    pub sponsor_ids: Option<Vec<IdValue>>,
    /// true: the "AI info" label (self-disclosure of AI-generated media).
    pub ai_generated: Option<bool>,
    /// true: publish even when the media and caption equal those of another
    /// post already published (or in flight); without it such a post is
    /// planned as `duplicate` and left alone. Not part of the content hash:
    /// it does not reach Instagram.
    #[serde(default)]
    pub allow_duplicate: bool,
    /// true: publish even when more than `[schedule] max_overdue_hours`
    /// past `publish_at`; without it such a post is planned `overdue`. Not
    /// part of the content hash: it does not reach Instagram.
    #[serde(default)]
    pub publish_overdue: bool,
    /// Each platform's map (`threads: {caption: …}`), by platform: read
    /// by [`Post::from_loaded`] under the registry's names.
    #[serde(skip)]
    pub overrides: BTreeMap<Platform, Overrides>,
}

impl PostFields {
    /// The alt text of media item `i`: its own, or the post's `alt_text`
    /// when the post has that one item only.
    pub fn alt_text_of(&self, i: usize) -> Option<&str> {
        self.media
            .get(i)
            .and_then(|m| m.alt_text())
            .or(if self.media.len() == 1 {
                self.alt_text.as_deref()
            } else {
                None
            })
    }

    /// `platform`'s map, when the post has one.
    pub fn overrides(&self, platform: Platform) -> Option<&Overrides> {
        self.overrides.get(&platform)
    }

    /// Clears the field called `name` in the post format (a platform's
    /// version of the post leaves out what other platforms take). Unknown
    /// names and the common fields are left alone.
    pub fn clear(&mut self, name: &str) {
        match name {
            "location_id" => self.location_id = None,
            "user_tags" => self.user_tags = None,
            "collaborators" => self.collaborators = None,
            "first_comment" => self.first_comment = None,
            "comments" => self.comments = None,
            "cover" => self.cover = None,
            "thumb_offset" => self.thumb_offset = None,
            "share_to_feed" => self.share_to_feed = None,
            "audio_name" => self.audio_name = None,
            "trial" => self.trial = None,
            "product_tags" => self.product_tags = None,
            "paid_partnership" => self.paid_partnership = None,
            "sponsor_ids" => self.sponsor_ids = None,
            "ai_generated" => self.ai_generated = None,
            _ => {}
        }
    }
}

/// A post file whose fields have the right shape (it passed the schema).
#[derive(Debug, Clone)]
pub struct Post {
    pub file: PostFile,
    pub syntax: Syntax,
    /// The id: the `id` field, or the file's default id.
    pub id: String,
    pub fields: PostFields,
    pub spans: Spans,
}

impl Post {
    /// Types a loaded document. Fields of the wrong shape are left out (the
    /// schema check has reported them) so the other rules still run on the
    /// rest; None when `media` itself is unusable.
    pub fn from_loaded(loaded: Loaded) -> Option<Post> {
        let mut value = match loaded.content {
            Content::Value(v) => v,
            // The fast path read only posts the schema accepts, whose
            // fields all type.
            Content::Typed(fields) => {
                let id = fields
                    .id
                    .clone()
                    .unwrap_or_else(|| loaded.file.default_id.clone());
                return Some(Post {
                    file: loaded.file,
                    syntax: loaded.syntax,
                    id,
                    fields: *fields,
                    spans: loaded.spans,
                });
            }
        };
        // Each registered platform's map, under its name; one of the wrong
        // shape is left out (the schema has said why).
        let overrides: BTreeMap<Platform, Overrides> = Platform::all()
            .filter_map(|p| {
                let o = Overrides::deserialize(value.get(p.name())?).ok()?;
                Some((p, o))
            })
            .collect();
        // Read from a borrow: no copy of the document on the common path.
        let fields: PostFields = match PostFields::deserialize(&value) {
            Ok(f) => f,
            Err(_) => {
                let map = value.as_object_mut()?;
                map.retain(|key, v| {
                    let mut probe = serde_json::Map::new();
                    probe.insert("media".into(), serde_json::Value::Array(Vec::new()));
                    probe.insert(key.clone(), v.clone());
                    serde_json::from_value::<PostFields>(serde_json::Value::Object(probe)).is_ok()
                });
                serde_json::from_value(value).ok()?
            }
        };
        let fields = PostFields {
            overrides,
            ..fields
        };
        let id = fields
            .id
            .clone()
            .unwrap_or_else(|| loaded.file.default_id.clone());
        Some(Post {
            file: loaded.file,
            syntax: loaded.syntax,
            id,
            fields,
            spans: loaded.spans,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::content::PostType;
    use crate::platform::Platform;
    use crate::validate::ValidPost;

    fn fields(yaml: &str) -> super::PostFields {
        ValidPost::from_yaml(yaml, Platform::default(), PostType::Image)
            .post
            .fields
    }

    #[test]
    fn an_items_alt_text_is_its_own_or_the_posts_when_it_is_the_only_one() {
        let one = fields("media: [a.jpg]\nalt_text: The post's\n");
        assert_eq!(one.alt_text_of(0), Some("The post's"));
        let own = fields("media: [{src: a.jpg, alt_text: Its own}]\nalt_text: The post's\n");
        assert_eq!(own.alt_text_of(0), Some("Its own"));
        let two = fields("media: [a.jpg, {src: b.jpg, alt_text: B}]\nalt_text: The post's\n");
        assert_eq!(two.alt_text_of(0), None);
        assert_eq!(two.alt_text_of(1), Some("B"));
        assert_eq!(two.alt_text_of(2), None);
    }
}
