//! The `app.bsky.feed.post` record a post becomes: text, `createdAt`,
//! `langs`, facets, self-labels and one embed (images, a video, or a link
//! card). Built as JSON, checked against the lexicon's limits first so the
//! PDS never has to refuse it. Facts and links: docs/bluesky.md ("The post
//! record", "Embeds").
//!
//! A record embeds one thing. `recordWithMedia` pairs media with a quoted
//! record, not with a link card, so when a post has both media and a link
//! card the media is embedded and the card is left out ([`Built::card_dropped`]
//! says so, for a warning); the link itself still works as a facet of the
//! text.

use super::richtext::Facet;
use super::text::{self, TextProblem};
use jiff::Timestamp;
use serde_json::{json, Map, Value};

/// The collection of posts.
pub const COLLECTION: &str = "app.bsky.feed.post";
/// `maxLength` of `app.bsky.embed.images#images`.
pub const MAX_IMAGES: usize = 4;
/// `maxSize` of an image blob.
pub const MAX_IMAGE_BYTES: u64 = 2_000_000;
/// `maxSize` of a video blob (the lexicon's; a PDS may take less).
pub const MAX_VIDEO_BYTES: u64 = 300_000_000;
/// `maxSize` of a link card's thumbnail.
pub const MAX_THUMB_BYTES: u64 = 1_000_000;
/// `maxLength` of `langs`.
pub const MAX_LANGS: usize = 3;
/// The self-labels Bluesky's app offers for a post's media
/// (`com.atproto.label.defs#labelValue`).
pub const SELF_LABELS: [&str; 4] = ["sexual", "nudity", "porn", "graphic-media"];

/// A blob as `uploadBlob` answered it (`{"$type":"blob","ref":{"$link":
/// cid},"mimeType","size"}`), kept as that JSON: a reference must name the
/// blob exactly as the PDS stored it, so it is never rebuilt.
#[derive(Debug, Clone, PartialEq)]
pub struct Blob(Value);

/// Why an `uploadBlob` answer is not a blob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("uploadBlob answered without a blob reference ({0})")]
pub struct NotABlob(String);

impl Blob {
    /// The `blob` of an `uploadBlob` answer.
    pub fn from_upload(answer: &Value) -> Result<Blob, NotABlob> {
        let blob = answer
            .get("blob")
            .ok_or_else(|| NotABlob("no `blob`".into()))?;
        Blob::new(blob.clone())
    }

    /// A blob reference (as found in a record read back).
    pub fn new(blob: Value) -> Result<Blob, NotABlob> {
        if blob.get("$type").and_then(Value::as_str) != Some("blob") {
            return Err(NotABlob("`$type` is not \"blob\"".into()));
        }
        if blob.pointer("/ref/$link").and_then(Value::as_str).is_none() {
            return Err(NotABlob("no `ref.$link`".into()));
        }
        if blob.get("mimeType").and_then(Value::as_str).is_none() {
            return Err(NotABlob("no `mimeType`".into()));
        }
        if blob.get("size").and_then(Value::as_u64).is_none() {
            return Err(NotABlob("no `size`".into()));
        }
        Ok(Blob(blob))
    }

    pub fn cid(&self) -> &str {
        self.0
            .pointer("/ref/$link")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn mime_type(&self) -> &str {
        self.0.get("mimeType").and_then(Value::as_str).unwrap_or("")
    }

    pub fn size(&self) -> u64 {
        self.0.get("size").and_then(Value::as_u64).unwrap_or(0)
    }

    pub fn json(&self) -> &Value {
        &self.0
    }
}

/// `app.bsky.embed.defs#aspectRatio`: width:height, each at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AspectRatio {
    pub width: u32,
    pub height: u32,
}

/// An image of an images embed.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub blob: Blob,
    /// Required by the lexicon; may be empty.
    pub alt: String,
    pub aspect_ratio: Option<AspectRatio>,
}

/// The video of a video embed.
#[derive(Debug, Clone, PartialEq)]
pub struct Video {
    pub blob: Blob,
    pub alt: Option<String>,
    pub aspect_ratio: Option<AspectRatio>,
}

/// A link card (`app.bsky.embed.external`): postwright does not fetch the
/// page, the post file gives title and description.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkCard {
    pub uri: String,
    pub title: String,
    pub description: String,
    pub thumb: Option<Blob>,
}

/// A post's media.
#[derive(Debug, Clone, PartialEq)]
pub enum Media {
    Images(Vec<Image>),
    Video(Video),
}

/// What a post record is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub text: String,
    /// When it is published (Bluesky orders by it; backdating shows the
    /// post as archived).
    pub created_at: Timestamp,
    pub langs: Vec<String>,
    pub facets: Vec<Facet>,
    /// Self-labels, from [`SELF_LABELS`].
    pub labels: Vec<String>,
    pub media: Option<Media>,
    pub link: Option<LinkCard>,
}

/// A record, and whether the link card was left out for the media.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    pub record: Value,
    pub card_dropped: bool,
}

/// Why a post cannot be a record (each says what to change).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("{0}")]
    Text(TextProblem),
    #[error("the post has no text and no media or link card: Bluesky needs one of them")]
    Empty,
    #[error("{0} images: a Bluesky post takes at most 4; split the post or drop images")]
    TooManyImages(usize),
    #[error("an images embed needs at least one image")]
    NoImages,
    #[error("image {index} is {size} bytes, over Bluesky's 2,000,000: re-encode it smaller (e.g. JPEG quality 85, at most 2000 px wide)")]
    ImageTooLarge { index: usize, size: u64 },
    #[error("image {index} is `{mime}`, not an image type")]
    NotAnImage { index: usize, mime: String },
    #[error("the video is `{0}`: Bluesky takes video/mp4")]
    NotMp4(String),
    #[error("the video is {0} bytes, over the lexicon's 300,000,000")]
    VideoTooLarge(u64),
    #[error(
        "the link card's thumbnail is {0} bytes, over Bluesky's 1,000,000: use a smaller image"
    )]
    ThumbTooLarge(u64),
    #[error("the link card's thumbnail is `{0}`, not an image type")]
    ThumbNotAnImage(String),
    #[error("the link card's url `{0}` is not an http(s) URL")]
    CardUri(String),
    #[error("an aspect ratio of {width}:{height}: both must be at least 1")]
    AspectRatio { width: u32, height: u32 },
    #[error("{0} languages: Bluesky takes at most 3")]
    TooManyLangs(usize),
    #[error("language `{0}` is not a language tag (like en, pt-BR)")]
    Lang(String),
    #[error("self-label `{0}` is not one of sexual, nudity, porn, graphic-media")]
    Label(String),
}

/// `createdAt`: RFC 3339 in UTC with milliseconds, as Bluesky's app writes
/// it (`2026-12-07T09:40:00.123Z`).
pub fn created_at(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A BCP 47 tag's shape: a 2–3 letter language, then subtags.
fn is_lang(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The record for `post`, or the first limit it breaks.
pub fn build(post: &Post) -> Result<Built, RecordError> {
    if let Some(problem) = text::check(&post.text).into_iter().next() {
        return Err(RecordError::Text(problem));
    }
    if post.text.is_empty() && post.media.is_none() && post.link.is_none() {
        return Err(RecordError::Empty);
    }
    if post.langs.len() > MAX_LANGS {
        return Err(RecordError::TooManyLangs(post.langs.len()));
    }
    if let Some(bad) = post.langs.iter().find(|l| !is_lang(l)) {
        return Err(RecordError::Lang(bad.clone()));
    }
    if let Some(bad) = post
        .labels
        .iter()
        .find(|l| !SELF_LABELS.contains(&l.as_str()))
    {
        return Err(RecordError::Label(bad.clone()));
    }
    let mut record = Map::new();
    record.insert("$type".into(), json!(COLLECTION));
    record.insert("text".into(), json!(post.text));
    record.insert("createdAt".into(), json!(created_at(post.created_at)));
    if !post.langs.is_empty() {
        record.insert("langs".into(), json!(post.langs));
    }
    if !post.facets.is_empty() {
        record.insert("facets".into(), json!(post.facets));
    }
    let card_dropped = post.media.is_some() && post.link.is_some();
    let embed = match (&post.media, &post.link) {
        (Some(media), _) => Some(media_embed(media)?),
        (None, Some(card)) => Some(card_embed(card)?),
        (None, None) => None,
    };
    if let Some(embed) = embed {
        record.insert("embed".into(), embed);
    }
    if !post.labels.is_empty() {
        let values: Vec<Value> = post.labels.iter().map(|v| json!({ "val": v })).collect();
        record.insert(
            "labels".into(),
            json!({ "$type": "com.atproto.label.defs#selfLabels", "values": values }),
        );
    }
    Ok(Built {
        record: Value::Object(record),
        card_dropped,
    })
}

fn ratio(r: Option<AspectRatio>) -> Result<Option<Value>, RecordError> {
    match r {
        None => Ok(None),
        Some(AspectRatio { width, height }) if width == 0 || height == 0 => {
            Err(RecordError::AspectRatio { width, height })
        }
        Some(r) => Ok(Some(json!({ "width": r.width, "height": r.height }))),
    }
}

fn media_embed(media: &Media) -> Result<Value, RecordError> {
    match media {
        Media::Images(images) => {
            if images.is_empty() {
                return Err(RecordError::NoImages);
            }
            if images.len() > MAX_IMAGES {
                return Err(RecordError::TooManyImages(images.len()));
            }
            let mut items = Vec::new();
            for (i, image) in images.iter().enumerate() {
                let index = i + 1;
                if !image.blob.mime_type().starts_with("image/") {
                    let mime = image.blob.mime_type().to_string();
                    return Err(RecordError::NotAnImage { index, mime });
                }
                if image.blob.size() > MAX_IMAGE_BYTES {
                    let size = image.blob.size();
                    return Err(RecordError::ImageTooLarge { index, size });
                }
                let mut item = Map::new();
                item.insert("image".into(), image.blob.json().clone());
                item.insert("alt".into(), json!(image.alt));
                if let Some(r) = ratio(image.aspect_ratio)? {
                    item.insert("aspectRatio".into(), r);
                }
                items.push(Value::Object(item));
            }
            Ok(json!({ "$type": "app.bsky.embed.images", "images": items }))
        }
        Media::Video(video) => {
            if video.blob.mime_type() != "video/mp4" {
                return Err(RecordError::NotMp4(video.blob.mime_type().to_string()));
            }
            if video.blob.size() > MAX_VIDEO_BYTES {
                return Err(RecordError::VideoTooLarge(video.blob.size()));
            }
            let mut embed = Map::new();
            embed.insert("$type".into(), json!("app.bsky.embed.video"));
            embed.insert("video".into(), video.blob.json().clone());
            if let Some(alt) = &video.alt {
                embed.insert("alt".into(), json!(alt));
            }
            if let Some(r) = ratio(video.aspect_ratio)? {
                embed.insert("aspectRatio".into(), r);
            }
            Ok(Value::Object(embed))
        }
    }
}

fn card_embed(card: &LinkCard) -> Result<Value, RecordError> {
    let lower = card.uri.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) || card.uri.contains(' ') {
        return Err(RecordError::CardUri(card.uri.clone()));
    }
    let mut external = Map::new();
    external.insert("uri".into(), json!(card.uri));
    external.insert("title".into(), json!(card.title));
    external.insert("description".into(), json!(card.description));
    if let Some(thumb) = &card.thumb {
        if !thumb.mime_type().starts_with("image/") {
            return Err(RecordError::ThumbNotAnImage(thumb.mime_type().to_string()));
        }
        if thumb.size() > MAX_THUMB_BYTES {
            return Err(RecordError::ThumbTooLarge(thumb.size()));
        }
        external.insert("thumb".into(), thumb.json().clone());
    }
    Ok(json!({ "$type": "app.bsky.embed.external", "external": external }))
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
