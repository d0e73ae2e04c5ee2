//! The content hash: one fingerprint of everything that reaches Instagram.
//!
//! It covers the post type, account, caption, every media file's bytes (or
//! URL), and the fields sent with the container or right after publishing.
//! It leaves out what does not reach Instagram (`publish_at`, `draft`, `id`,
//! YAML layout and comments) and `comments`, which can be changed after
//! publishing (that is an `update`, not a change). So reformatting a file is
//! not a change, and swapping a photo for another of the same name is.
//! The fields added in 2026 (`trial`, `product_tags`, the labels) count
//! only when present. `allow_duplicate` is left out too: it only tells plan that a copy is meant.
//!
//! Two smaller fingerprints find copies of a post under another id (see
//! [`crate::plan`]'s duplicate guard): the media hash (the post type and the
//! bytes or URL of every media item and the cover, in order) and the caption
//! hash.

use crate::hex::hex;
use crate::validate::preflight::Source;
use crate::validate::ValidPost;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A target's three fingerprints.
pub struct Hashes {
    pub content: String,
    pub media: String,
    pub caption: String,
    /// Each media item's own fingerprint, in order: `sha256:<hex>` of a
    /// file's bytes (its key in `[media] store`), `url:…` of a URL.
    pub items: Vec<String>,
}

/// Hashes media files once each, however many posts use them.
pub struct Hasher {
    repo: PathBuf,
    files: HashMap<String, String>,
}

#[derive(Serialize)]
struct Publishable<'a> {
    account: &'a str,
    kind: String,
    caption: Option<&'a str>,
    media: Vec<MediaPart<'a>>,
    cover: Option<&'a str>,
    location_id: Option<String>,
    user_tags: Option<&'a [crate::content::UserTag]>,
    alt_text: Option<&'a str>,
    collaborators: Option<&'a [String]>,
    first_comment: Option<&'a str>,
    thumb_offset: Option<u64>,
    share_to_feed: Option<bool>,
    audio_name: Option<&'a str>,
    // Fields added later are left out when absent, so the hashes of posts
    // published before them stay what they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    trial: Option<&'a crate::content::Trial>,
    #[serde(skip_serializing_if = "Option::is_none")]
    product_tags: Option<&'a [crate::content::ProductTag]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paid_partnership: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sponsor_ids: Option<&'a [crate::content::IdValue]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ai_generated: Option<bool>,
    /// The target's platform's own options, under its name (Threads'
    /// `threads: {reply_control…}`), when it has any
    /// ([`crate::platform::PlatformSpec::hash_part`]); its override's
    /// caption and media are the caption and media above.
    #[serde(flatten)]
    platform: std::collections::BTreeMap<&'static str, serde_json::Value>,
}

#[derive(Serialize)]
struct MediaPart<'a> {
    content: &'a str,
    alt_text: Option<&'a str>,
    user_tags: &'a [crate::content::UserTag],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    product_tags: &'a [crate::content::ProductTag],
}

impl Hasher {
    pub fn new(repo: &Path) -> Hasher {
        Hasher {
            repo: repo.to_path_buf(),
            files: HashMap::new(),
        }
    }

    /// The three fingerprints of `post`: the content hash (the post's
    /// publishable content), the media hash (the post type and its media,
    /// bytes or URLs in order, and the cover: equal for copies of the same
    /// photos or video whatever their file names and whatever else the post
    /// says) and the caption hash.
    pub fn all(&mut self, post: &ValidPost) -> Hashes {
        // Each media item's fingerprint once, shared by the three hashes.
        let items: Vec<String> = post.media.iter().map(|m| self.source(&m.source)).collect();
        let cover = post.cover.as_ref().map(|c| self.source(&c.source));
        Hashes {
            content: content_hash(post, &items, cover.as_deref()),
            media: media_hash(post, &items, cover.as_deref()),
            caption: caption(post.post.fields.caption.as_deref()),
            items,
        }
    }

    fn source(&mut self, source: &Source) -> String {
        match source {
            Source::Url(url) => format!("url:{url}"),
            // A Git LFS pointer's oid is the SHA-256 of its content: the
            // same hash as the content's own, whether or not this checkout
            // fetched it (a pull request's plan and apply's must agree).
            Source::File { info, .. } if info.lfs.is_some() => {
                let oid = info.lfs.as_ref().map_or("", |l| l.pointer.oid.as_str());
                format!("sha256:{oid}")
            }
            Source::File { path, .. } => {
                if let Some(h) = self.files.get(path) {
                    return h.clone();
                }
                let h = match hash_file(&self.repo.join(path)) {
                    Ok(h) => format!("sha256:{h}"),
                    // Validation read this file a moment ago; if it is gone
                    // now, hash the path so the plan still says something.
                    Err(_) => format!("unreadable:{path}"),
                };
                self.files.insert(path.clone(), h.clone());
                h
            }
        }
    }
}

/// The content hash from the media fingerprints already made: the JSON of
/// [`Publishable`] streamed into the hasher (no intermediate text or value).
fn content_hash(post: &ValidPost, items: &[String], cover: Option<&str>) -> String {
    let f = &post.post.fields;
    let media = items
        .iter()
        .zip(&f.media)
        .map(|(content, entry)| MediaPart {
            content,
            alt_text: entry.alt_text(),
            user_tags: entry.user_tags(),
            product_tags: entry.product_tags(),
        })
        .collect();
    let doc = Publishable {
        account: &post.account,
        kind: post.kind.to_string(),
        caption: f.caption.as_deref(),
        media,
        cover,
        location_id: f.location_id.as_ref().map(ToString::to_string),
        user_tags: f.user_tags.as_deref(),
        alt_text: f.alt_text.as_deref(),
        collaborators: f.collaborators.as_deref(),
        first_comment: f.first_comment.as_deref(),
        thumb_offset: f.thumb_offset,
        share_to_feed: f.share_to_feed,
        audio_name: f.audio_name.as_deref(),
        trial: f.trial.as_ref(),
        product_tags: f.product_tags.as_deref(),
        paid_partnership: f.paid_partnership,
        sponsor_ids: f.sponsor_ids.as_deref(),
        ai_generated: f.ai_generated,
        platform: post
            .platform
            .spec()
            .hash_part(post)
            .map(|part| (post.platform.name(), part))
            .into_iter()
            .collect(),
    };
    json_digest(&doc)
}

/// The media hash from the media fingerprints already made.
fn media_hash(post: &ValidPost, items: &[String], cover: Option<&str>) -> String {
    #[derive(Serialize)]
    struct Media<'a> {
        kind: String,
        media: &'a [String],
        cover: Option<&'a str>,
    }
    json_digest(&Media {
        kind: post.kind.to_string(),
        media: items,
        cover,
    })
}

/// Feeds what is written straight into SHA-256.
struct DigestWriter(Sha256);

impl std::io::Write for DigestWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `sha256:<hex>` of the compact JSON of `value`, the bytes
/// `serde_json::to_vec` would make, hashed as they are written.
fn json_digest<T: Serialize + ?Sized>(value: &T) -> String {
    let mut w = DigestWriter(Sha256::new());
    serde_json::to_writer(&mut w, value).expect("serialises");
    let digest = w.0.finalize();
    let mut out = String::with_capacity("sha256:".len() + 2 * digest.len());
    out.push_str("sha256:");
    out.push_str(&hex(&digest));
    out
}

/// `sha256:<hex>` of a caption (absent and empty differ).
pub fn caption(caption: Option<&str>) -> String {
    json_digest(&caption)
}

/// The hex sha256 of a file's bytes, read in 64 KiB pieces (remembered
/// for the run: the preview names thumbnails by it).
pub(crate) fn hash_file(path: &Path) -> std::io::Result<String> {
    crate::media::digest::file(path).map(|sha256| hex(&sha256))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::UserTag;
    use proptest::prelude::*;

    #[test]
    fn streamed_digest_is_the_digest_of_the_json_text() {
        let text = Some("Caf\u{e9} \"quoted\"\n#tags \u{1F600}");
        let json = serde_json::to_vec(&text).unwrap();
        assert_eq!(
            json_digest(&text),
            format!("sha256:{}", hex(&Sha256::digest(&json)))
        );
        // An empty caption and an absent one still differ.
        assert_ne!(caption(Some("")), caption(None));
    }

    proptest! {
        /// User tags were hashed through a `serde_json::Value`; streamed
        /// straight from the typed tags, the JSON is byte for byte the same,
        /// so recorded content hashes stay equal.
        #[test]
        fn user_tags_hash_as_they_did_through_a_value(
            tags in proptest::collection::vec(
                (".{0,12}", proptest::option::of(-1e3f64..1e3), proptest::option::of(0f64..=1.0)),
                0..4,
            )
        ) {
            let tags: Vec<UserTag> = tags
                .into_iter()
                .map(|(username, x, y)| UserTag { username, x, y })
                .collect();
            let through_value = serde_json::to_vec(&serde_json::to_value(&tags).unwrap()).unwrap();
            let direct = serde_json::to_vec(&tags).unwrap();
            prop_assert_eq!(through_value, direct);
            let slice: &[UserTag] = &tags;
            prop_assert_eq!(
                json_digest(slice),
                format!("sha256:{}", hex(&Sha256::digest(serde_json::to_vec(&tags).unwrap())))
            );
        }
    }
}
