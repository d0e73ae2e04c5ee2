//! Preparing a Bluesky post: each media file's bytes read from the
//! repository (apply has fetched Git LFS objects by now) and uploaded as
//! a blob, with its alt text and its aspect ratio from the header read by
//! validate, after the mentions are resolved through the PDS (a mention
//! that does not resolve fails the post before anything is uploaded); the
//! record built with `createdAt` now; then held under a new record key
//! ([`Bluesky::hold`]). Facts: docs/bluesky.md ("Embeds", "Rich text").

use super::options::Options;
use super::publisher::Bluesky;
use super::record::{self, AspectRatio, Image, LinkCard, Media, Video, MAX_IMAGE_BYTES};
use super::BlueskyError;
use crate::content::safe;
use crate::platform::{Prepare, PrepareError, Prepared};
use crate::validate::preflight::{Resolved, Source};
use crate::validate::ValidPost;
use jiff::Timestamp;
use std::path::Path;

type BuildError = PrepareError<BlueskyError>;

/// What a Git LFS pointer file starts with.
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/";

pub(super) async fn build(publisher: &Bluesky, job: Prepare) -> Result<Prepared, BuildError> {
    let post = &job.post;
    let _permit = job.permits.clone().acquire_owned().await;
    // Mentions first: a post that cannot be sent uploads nothing.
    let text = post.post.fields.caption.clone().unwrap_or_default();
    let client = publisher.client();
    let facets = publisher.patient(|| client.facets(&text)).await?;
    let max_video = publisher.settings().max_video_bytes;
    let mut images = Vec::new();
    let mut video = None;
    for (i, m) in post.media.iter().enumerate() {
        let limit = if m.is_video {
            max_video
        } else {
            MAX_IMAGE_BYTES
        };
        let (blob, ratio) = upload(publisher, &job.repo, m, limit).await?;
        let alt = alt_text(post, i);
        if m.is_video {
            video = Some(Video {
                blob,
                alt: Some(alt),
                aspect_ratio: ratio,
            });
        } else {
            images.push(Image {
                blob,
                alt,
                aspect_ratio: ratio,
            });
        }
    }
    let media = match video {
        Some(v) => Some(Media::Video(v)),
        None if !images.is_empty() => Some(Media::Images(images)),
        None => None,
    };
    let options = Options::of(&post.post);
    let link = match (&options.link, &media) {
        (Some(link), None) => {
            // Validate resolved the thumbnail as the version's cover.
            let thumb = match &post.cover {
                Some(c) => Some(
                    upload(publisher, &job.repo, c, record::MAX_THUMB_BYTES)
                        .await?
                        .0,
                ),
                None => None,
            };
            Some(LinkCard {
                uri: link.url.clone(),
                title: link.title.clone(),
                description: link.description.clone(),
                thumb,
            })
        }
        _ => None,
    };
    let built = record::build(&record::Post {
        text,
        created_at: Timestamp::now(),
        langs: options.langs,
        facets,
        labels: options.labels,
        media,
        link,
    })
    .map_err(BlueskyError::from)?;
    Ok(publisher.hold(built.record))
}

/// The alt text of media item `i`: its own, or the post's `alt_text` when
/// it is the only one; empty when there is none (validate has warned).
fn alt_text(post: &ValidPost, i: usize) -> String {
    post.post.fields.alt_text_of(i).unwrap_or("").to_string()
}

/// Uploads one repo file: its blob, and its aspect ratio when the header
/// read gave one.
async fn upload(
    publisher: &Bluesky,
    repo: &Path,
    m: &Resolved,
    limit: u64,
) -> Result<(record::Blob, Option<AspectRatio>), BuildError> {
    let Source::File { path, info } = &m.source else {
        return Err(BuildError::Media(
            "Bluesky takes media as uploaded files, not URLs".into(),
        ));
    };
    let mime = super::validate::mime(info).ok_or_else(|| {
        BuildError::Media(format!(
            "{path} is {}: not a type Bluesky takes",
            info.format.describe()
        ))
    })?;
    let bytes = read(repo, path, limit).await.map_err(BuildError::Media)?;
    let client = publisher.client();
    let blob = publisher
        .patient(|| client.upload_blob(bytes.clone(), mime))
        .await?;
    let ratio = info
        .format
        .display_size()
        .filter(|&(w, h)| w > 0 && h > 0)
        .map(|(width, height)| AspectRatio { width, height });
    Ok((blob, ratio))
}

/// The bytes of repo file `rel`, at most `limit` of them; a file that is
/// still a Git LFS pointer (its object not fetched) is an error.
async fn read(repo: &Path, rel: &str, limit: u64) -> Result<Vec<u8>, String> {
    let repo = repo.to_path_buf();
    let rel = rel.to_string();
    let task = tokio::task::spawn_blocking(move || {
        let canonical = safe::canonical_repo(&repo);
        let regular = safe::inspect(&repo, &canonical, &rel)
            .map_err(|e| format!("{rel}: {}", e.describe()))?;
        let bytes = safe::read_bounded(&regular, limit).map_err(|e| match e {
            safe::ReadError::TooLarge(_) => format!(
                "{rel} is over {limit} bytes, Bluesky's limit for it: resize or recompress it"
            ),
            safe::ReadError::NotRegular(kind) => format!("{rel} is {kind}, not a regular file"),
            safe::ReadError::Io(e) => format!("{rel}: {e}"),
        })?;
        if bytes.starts_with(LFS_POINTER) {
            return Err(format!(
                "{rel} is a Git LFS pointer whose object is not here: run `git lfs pull` (apply fetches it when git-lfs is installed)"
            ));
        }
        Ok(bytes)
    });
    task.await
        .map_err(|e| format!("reading a media file stopped: {e}"))?
}
