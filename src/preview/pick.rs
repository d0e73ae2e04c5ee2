//! What picture each post shows (its cover, a video's frame, or a label
//! saying why there is none) and making those thumbnails for the site, on
//! every core, from the cache when it has them.

use super::{html, thumb, Entry, Inputs, Shown};
use crate::validate::preflight::{Resolved, Source};
use crate::validate::ValidPost;
use html::escape;
use std::collections::HashMap;
use std::path::Path;

/// What a post's tile shows, decided from the post alone.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Pick<'p> {
    /// A JPEG in the repo (path relative to the repo).
    Image(&'p str, &'p crate::media::MediaInfo),
    /// One frame of a video in the repo, `offset_ms` in.
    Frame(&'p str, &'p crate::media::MediaInfo, u64),
    /// Nothing to make a thumbnail from: the label says why.
    Label(&'static str),
}

/// The post's first item, as the app's grid shows it (a carousel's first
/// item, whatever follows): a picture as it is; a video by its `cover`
/// when that is a picture in the repo, else by the frame at `thumb_offset`
/// (reels; 0 otherwise, as Instagram takes it).
pub(super) fn pick(post: &ValidPost) -> Pick<'_> {
    let pick = pick_any(post);
    match pick {
        Pick::Image(_, info) | Pick::Frame(_, info, _)
            if matches!(info.format, crate::media::Format::LfsAbsent { .. }) =>
        {
            Pick::Label(LFS_LABEL)
        }
        _ => pick,
    }
}

/// The label of a tile whose picture is in Git LFS and not fetched.
pub const LFS_LABEL: &str = "Git LFS object not fetched";

/// The repo paths of a post's media (and cover) that are Git LFS pointers
/// without their object: the card says so, and what to do.
pub(super) fn lfs_absent(post: &ValidPost) -> Vec<&str> {
    post.media
        .iter()
        .chain(&post.cover)
        .filter_map(|m| match &m.source {
            Source::File { path, info }
                if matches!(info.format, crate::media::Format::LfsAbsent { .. }) =>
            {
                Some(path.as_str())
            }
            _ => None,
        })
        .collect()
}

pub(super) fn pick_any(post: &ValidPost) -> Pick<'_> {
    let Some(first) = post.media.first() else {
        return Pick::Label("no media");
    };
    if !first.is_video {
        return pick_item(first);
    }
    if let Some(Source::File { path, info }) = post.cover.as_ref().map(|c| &c.source) {
        return Pick::Image(path, info);
    }
    let offset = if post.kind == crate::content::PostType::Reel {
        post.post.fields.thumb_offset.unwrap_or(0)
    } else {
        0
    };
    match &first.source {
        Source::File { path, info } => Pick::Frame(path, info, offset),
        Source::Url(_) => Pick::Label("video at a URL"),
    }
}

/// One media item as a thumbnail shows it: a picture as it is, a video by
/// its first frame, a Git LFS pointer without its object or a URL as a
/// label.
pub(super) fn pick_item(item: &Resolved) -> Pick<'_> {
    match (&item.source, item.is_video) {
        (Source::File { info, .. }, _)
            if matches!(info.format, crate::media::Format::LfsAbsent { .. }) =>
        {
            Pick::Label(LFS_LABEL)
        }
        (Source::File { path, info }, false) => Pick::Image(path, info),
        (Source::File { path, info }, true) => Pick::Frame(path, info, 0),
        (Source::Url(_), false) => Pick::Label("picture at a URL"),
        (Source::Url(_), true) => Pick::Label("video at a URL"),
    }
}

/// What is known of ffmpeg for a run: looked for once.
pub(super) struct Frames {
    pub(super) ffmpeg: Option<std::path::PathBuf>,
}

/// A thumbnail to make: the repo file and, for a video, the frame's offset.
pub(super) type Key = (String, Option<u64>);

/// The thumbnails made this run, by [`Key`]: the site's file, or the
/// placeholder's label.
pub(super) type Made = HashMap<Key, Result<Shown, String>>;

pub(super) fn key_of(pick: &Pick<'_>) -> Option<Key> {
    match pick {
        Pick::Image(path, _) => Some((path.to_string(), None)),
        Pick::Frame(path, _, offset) => Some((path.to_string(), Some(*offset))),
        Pick::Label(_) => None,
    }
}

/// Makes (or finds in the cache) the thumbnail `pick` names and copies it
/// into the site.
pub(super) fn make(
    inputs: &Inputs<'_>,
    out_dir: &Path,
    pick: &Pick<'_>,
    frames: &Frames,
) -> std::io::Result<Result<Shown, String>> {
    let cache = thumb::cache_dir(inputs.repo);
    match *pick {
        Pick::Image(path, info) => {
            // A pointer's content is its object in the local LFS store.
            let source = crate::lfs::content_path(inputs.repo.join(path), info);
            let made =
                thumb::thumbnail(&source, info, &cache).map_err(|why| format!("no preview: {why}"));
            site_image(out_dir, path, made)
        }
        Pick::Frame(path, info, offset) => {
            let duration = match &info.format {
                crate::media::Format::Video(v) => Some(v.duration_ms),
                _ => None,
            };
            let made = thumb::frame(
                &crate::lfs::content_path(inputs.repo.join(path), info),
                offset,
                duration,
                frames.ffmpeg.as_deref(),
                &cache,
            )
            .map_err(|why| why.label());
            site_image(out_dir, path, made)
        }
        Pick::Label(why) => Ok(Err(why.to_string())),
    }
}

/// The thumbnails `picks` name, each distinct one made once (many posts
/// may share a picture), on every core: decoding 10,000 distinct photos
/// is most of a cold preview.
pub(super) fn make_all(
    inputs: &Inputs<'_>,
    out_dir: &Path,
    picks: Vec<Pick<'_>>,
    frames: &Frames,
) -> std::io::Result<Made> {
    let mut seen = std::collections::HashSet::new();
    let mut jobs: Vec<(Key, Pick<'_>)> = Vec::new();
    for pick in picks {
        if let Some(key) = key_of(&pick) {
            if seen.insert(key.clone()) {
                jobs.push((key, pick));
            }
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    /// What one worker made: (job index, thumbnail or label) pairs.
    type Part = std::io::Result<Vec<(usize, Result<Shown, String>)>>;
    let done: Vec<Part> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((_, pick)) = jobs.get(i) else {
                            return Ok(out);
                        };
                        out.push((i, make(inputs, out_dir, pick, frames)?));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a thumbnail worker panicked"))
            .collect()
    });
    let mut made = Made::with_capacity(jobs.len());
    for part in done {
        for (i, result) in part? {
            made.insert(jobs[i].0.clone(), result);
        }
    }
    Ok(made)
}

/// A post's tile content: its thumbnail (made by [`make_all`]) or a label.
pub(super) fn thumbnail(
    inputs: &Inputs<'_>,
    e: &Entry,
    shown: &mut HashMap<String, Shown>,
    made: &Made,
) -> String {
    let Some(post) = inputs.posts.get(e.id.as_str()) else {
        return "<div class=ph>no preview</div>".into();
    };
    let pick = pick(post);
    let found = match key_of(&pick) {
        Some(key) => made.get(&key),
        None => None,
    };
    match (found, pick) {
        (Some(Ok(image)), _) => {
            shown.insert(e.id.clone(), image.clone());
            format!("<img src=\"{}\" alt=\"\">", escape(&image.file))
        }
        (Some(Err(label)), _) => format!("<div class=ph>{}</div>", escape(label)),
        (None, Pick::Label(why)) => format!("<div class=ph>{}</div>", escape(why)),
        (None, _) => "<div class=ph>no preview</div>".into(),
    }
}

/// A thumbnail made in the cache (`made`), copied into the site under its
/// cache name; Err(the label) when there is none.
pub(super) fn site_image(
    out_dir: &Path,
    path: &str,
    made: Result<std::path::PathBuf, String>,
) -> std::io::Result<Result<Shown, String>> {
    let made = match made {
        Ok(made) => made,
        Err(label) => return Ok(Err(label)),
    };
    let file = made.file_name().map_or_else(
        || html::file_name(path),
        |n| n.to_string_lossy().into_owned(),
    );
    let name = format!("media/{file}");
    let target = out_dir.join(&name);
    // The name is the content's hash: a file there by that name (a site
    // written before into the same folder) already holds these bytes.
    if !target.is_file() {
        std::fs::create_dir_all(out_dir.join("media"))?;
        // Two posts' files with the same bytes have one cache file: put
        // beside and renamed, so two workers never write into one file.
        // A hard link where the cache is on the same file system: no
        // copy and no new inode (ext4's inode allocation was a tenth of a
        // cold preview of distinct photos); else a copy.
        let partial = out_dir.join(format!("{name}.{}", thumb::unique_suffix()));
        if std::fs::hard_link(&made, &partial).is_err() {
            std::fs::copy(&made, &partial)?;
        }
        std::fs::rename(&partial, &target)?;
    }
    let (width, height) = image::image_dimensions(&made).unwrap_or((3, 4));
    Ok(Ok(Shown {
        file: name,
        width,
        height,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::PostType;
    use crate::media::{Format, MediaInfo};

    fn file(path: &str, is_video: bool) -> Resolved {
        Resolved {
            source: Source::File {
                path: path.into(),
                info: MediaInfo {
                    bytes: 1,
                    format: Format::Unknown,
                    lfs: None,
                },
            },
            is_video,
        }
    }

    /// A post of `kind` from YAML with these media and cover.
    fn post(
        yaml: &str,
        kind: PostType,
        media: Vec<Resolved>,
        cover: Option<Resolved>,
    ) -> ValidPost {
        let instagram = crate::platform::Platform::named("instagram").unwrap();
        ValidPost {
            media,
            cover,
            ..ValidPost::from_yaml(yaml, instagram, kind)
        }
    }

    fn picked(p: &ValidPost) -> (String, Option<u64>) {
        match pick(p) {
            Pick::Image(path, _) => (path.to_string(), None),
            Pick::Frame(path, _, at) => (path.to_string(), Some(at)),
            Pick::Label(why) => (why.to_string(), None),
        }
    }

    #[test]
    fn a_video_shows_its_cover_else_the_frame_at_thumb_offset() {
        let reel = "type: reel\nmedia: [r.mp4]\n";
        let with_cover = post(
            reel,
            PostType::Reel,
            vec![file("r.mp4", true)],
            Some(file("c.jpg", false)),
        );
        assert_eq!(picked(&with_cover), ("c.jpg".into(), None));
        // No cover: the frame at thumb_offset, 0 without one.
        let bare = post(reel, PostType::Reel, vec![file("r.mp4", true)], None);
        assert_eq!(picked(&bare), ("r.mp4".into(), Some(0)));
        let offset = post(
            "type: reel\nmedia: [r.mp4]\nthumb_offset: 2500\n",
            PostType::Reel,
            vec![file("r.mp4", true)],
            None,
        );
        assert_eq!(picked(&offset), ("r.mp4".into(), Some(2500)));
        // A cover at a URL can't be in a self-contained site: the frame.
        let url_cover = post(
            reel,
            PostType::Reel,
            vec![file("r.mp4", true)],
            Some(Resolved {
                source: Source::Url("https://cdn.example/c.jpg".into()),
                is_video: false,
            }),
        );
        assert_eq!(picked(&url_cover), ("r.mp4".into(), Some(0)));
        // A video at a URL: a label.
        let url = post(
            reel,
            PostType::Reel,
            vec![Resolved {
                source: Source::Url("https://cdn.example/r.mp4".into()),
                is_video: true,
            }],
            None,
        );
        assert_eq!(picked(&url), ("video at a URL".into(), None));
    }

    #[test]
    fn a_carousel_shows_its_first_item_a_video_by_its_first_frame() {
        let yaml = "media: [a.mp4, b.jpg]\n";
        let video_first = post(
            yaml,
            PostType::Carousel,
            vec![file("a.mp4", true), file("b.jpg", false)],
            None,
        );
        assert_eq!(picked(&video_first), ("a.mp4".into(), Some(0)));
        let image_first = post(
            yaml,
            PostType::Carousel,
            vec![file("b.jpg", false), file("a.mp4", true)],
            None,
        );
        assert_eq!(picked(&image_first), ("b.jpg".into(), None));
        // A video story: its first frame (thumb_offset is for reels).
        let story = post(
            "type: story\nmedia: [s.mp4]\nthumb_offset: 900\n",
            PostType::Story,
            vec![file("s.mp4", true)],
            None,
        );
        assert_eq!(picked(&story), ("s.mp4".into(), Some(0)));
        let none = post("media: []\n", PostType::Image, vec![], None);
        assert_eq!(picked(&none), ("no media".into(), None));
    }

    #[test]
    fn an_lfs_pointer_without_its_object_is_a_labelled_placeholder() {
        let absent = |path: &str, video| Resolved {
            source: Source::File {
                path: path.into(),
                info: MediaInfo {
                    bytes: 5_000_000,
                    format: Format::LfsAbsent { video },
                    lfs: None,
                },
            },
            is_video: video,
        };
        let reel = "type: reel\nmedia: [r.mp4]\n";
        let bare = post(reel, PostType::Reel, vec![absent("r.mp4", true)], None);
        assert_eq!(picked(&bare), (LFS_LABEL.into(), None));
        assert_eq!(lfs_absent(&bare), ["r.mp4"]);
        // Its cover here: the tile shows the cover; the card still names the video.
        let cover = Some(file("c.jpg", false));
        let covered = post(reel, PostType::Reel, vec![absent("r.mp4", true)], cover);
        assert_eq!(picked(&covered), ("c.jpg".into(), None));
        assert_eq!(lfs_absent(&covered), ["r.mp4"]);
        let image = post(
            "media: [a.jpg]\n",
            PostType::Image,
            vec![absent("a.jpg", false)],
            None,
        );
        assert_eq!(picked(&image), (LFS_LABEL.into(), None));
        let plain = post(
            "media: [a.jpg]\n",
            PostType::Image,
            vec![file("a.jpg", false)],
            None,
        );
        assert!(lfs_absent(&plain).is_empty());
    }
}
