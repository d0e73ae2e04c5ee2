//! Instagram's checks of a media file's header for what it is used as
//! (a post type's item, a reel's cover): format, size, width, aspect
//! ratio, duration; for a Git LFS pointer without its object, what its
//! name and size tell (docs/instagram.md, "Media specs").

use crate::content::PostType;
use crate::diagnostic::{Pos, Problem, Rule};
use crate::media::{Format, MultiPicture};
use crate::validate::preflight::{lfs_missing, Resolved, Source};

/// Instagram's image limit: 8 MiB.
pub const MAX_IMAGE_BYTES: u64 = 8 * 1024 * 1024;
/// Reels: at most 300 MB.
pub const MAX_REEL_BYTES: u64 = 300 * 1000 * 1000;
/// Video stories: at most 100 MB.
pub const MAX_STORY_VIDEO_BYTES: u64 = 100 * 1000 * 1000;
/// Feed images: width to height from 4:5 to 1.91:1.
pub const FEED_RATIO: (f64, f64) = (0.8, 1.91);
/// Reels: width to height from 0.01:1 to 10:1.
pub const REEL_RATIO: (f64, f64) = (0.01, 10.0);

/// What a media file is used as: decides which rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The media of a post of this type (a carousel's items included).
    Item(PostType),
    /// A reel's cover image.
    Cover,
}

/// The checks of one media file for its role; `at` is where it is named.
pub fn check(file: &str, role: Role, media: &Resolved, at: Pos) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(info) = media.info() else {
        // URLs cannot be inspected here; apply checks what the server says.
        if matches!(role, Role::Item(PostType::Image) | Role::Cover) && media.is_video {
            out.push(video_where_image_goes(file, role, at));
        }
        return out;
    };
    let Source::File { path, .. } = &media.source else {
        return out;
    };
    let problem = |rule, msg: String| Problem::new(rule, file, at, msg);
    let image_only = matches!(role, Role::Item(PostType::Image) | Role::Cover);
    let video_only = matches!(role, Role::Item(PostType::Reel));
    match &info.format {
        Format::Jpeg { .. } | Format::Mpo(_) | Format::OtherImage(_) if video_only => {
            out.push(
                problem(Rule::MediaFormat, format!("`{path}` is an image, but a reel is a video"))
                    .with_help("use `type: image` for a single photo"),
            );
        }
        Format::Video(_) | Format::OtherVideo(_) if image_only => {
            out.push(video_where_image_goes(file, role, at));
        }
        Format::Mpo(kind) => out.push(mpo_problem(file, path, *kind, at)),
        Format::OtherImage(kind) => out.push(
            problem(Rule::MediaFormat, format!("`{path}` is a {kind} image; Instagram takes JPEG only"))
                .with_help("convert it to JPEG (the file extension alone does not make it one)"),
        ),
        Format::OtherVideo(kind) => out.push(
            problem(Rule::MediaFormat, format!("`{path}` is a {kind} video; Instagram takes MP4 or MOV"))
                .with_help("convert it, e.g. ffmpeg -i in.webm -c:v libx264 -c:a aac -movflags +faststart out.mp4"),
        ),
        Format::Unknown => out.push(problem(
            Rule::MediaFormat,
            format!("`{path}` is neither a JPEG image nor an MP4/MOV video"),
        )),
        Format::LfsAbsent { video } => out.extend(lfs_absent(file, path, role, info.bytes, *video, at)),
        Format::Jpeg { .. } => {
            if info.bytes > MAX_IMAGE_BYTES {
                out.push(problem(
                    Rule::ImageTooLarge,
                    format!("`{path}` is {}; Instagram takes images up to 8 MiB", mib(info.bytes)),
                ).with_help("export it at a lower quality or size (1440 px wide is the most Instagram shows)"));
            }
            let feed = matches!(role, Role::Item(PostType::Image | PostType::Carousel));
            if let (true, Some((w, h))) = (feed, info.format.display_size()) {
                if let Some(p) = ratio_problem(file, path, at, w, h, FEED_RATIO, "a feed image") {
                    out.push(p);
                }
            }
            let width = info.format.display_size().map_or(0, |(w, _)| w);
            if feed && !(320..=1440).contains(&width) {
                out.push(problem(
                    Rule::ImageWidth,
                    format!("`{path}` is {width} px wide; Instagram rescales images to 320–1440 px"),
                ));
            }
        }
        Format::Video(v) => {
            if !v.moov_before_mdat {
                out.push(
                    problem(Rule::MediaFormat, format!("`{path}` has its index (moov atom) after the media data; Instagram requires it first"))
                        .with_help("re-mux without re-encoding: ffmpeg -i in.mp4 -c copy -movflags +faststart out.mp4"),
                );
            }
            if !v.has_video_track {
                out.push(problem(Rule::MediaFormat, format!("`{path}` has no video track")));
            }
            let secs = v.duration_ms as f64 / 1000.0;
            match role {
                Role::Item(PostType::Reel) => {
                    if !(3_000..=900_000).contains(&v.duration_ms) {
                        out.push(problem(
                            Rule::VideoDuration,
                            format!("`{path}` is {secs:.1} s long; a reel must be 3 s to 15 min"),
                        ));
                    }
                    if info.bytes > MAX_REEL_BYTES {
                        out.push(problem(Rule::VideoTooLarge, format!("`{path}` is {}; a reel may be at most 300 MB", mib(info.bytes))));
                    }
                    if let Some((w, h)) = info.format.display_size() {
                        if let Some(p) = ratio_problem(file, path, at, w, h, REEL_RATIO, "a reel") {
                            out.push(p);
                        }
                    }
                }
                Role::Item(PostType::Story) => {
                    if !(3_000..=60_000).contains(&v.duration_ms) {
                        out.push(problem(
                            Rule::VideoDuration,
                            format!("`{path}` is {secs:.1} s long; a video story must be 3 to 60 s"),
                        ).with_help("trim it, or publish it as a reel"));
                    }
                    if info.bytes > MAX_STORY_VIDEO_BYTES {
                        out.push(problem(Rule::VideoTooLarge, format!("`{path}` is {}; a video story may be at most 100 MB", mib(info.bytes))));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// A Git LFS pointer whose object is not here: what its name and size
/// tell (a video where an image goes, a size over the limit) is checked
/// now; the rest waits for apply, which fetches the object.
fn lfs_absent(
    file: &str,
    path: &str,
    role: Role,
    bytes: u64,
    video: bool,
    at: Pos,
) -> Vec<Problem> {
    let problem = |rule, msg: String| Problem::new(rule, file, at, msg);
    let mut out = Vec::new();
    match role {
        Role::Item(PostType::Image) | Role::Cover if video => {
            out.push(video_where_image_goes(file, role, at));
        }
        Role::Item(PostType::Reel) if !video => out.push(
            problem(
                Rule::MediaFormat,
                format!("`{path}` is an image by its name, but a reel is a video"),
            )
            .with_help("use `type: image` for a single photo"),
        ),
        _ => {}
    }
    let limit = match (role, video) {
        (_, false) => Some((
            MAX_IMAGE_BYTES,
            Rule::ImageTooLarge,
            "an image may be at most 8 MiB",
        )),
        (Role::Item(PostType::Reel), true) => Some((
            MAX_REEL_BYTES,
            Rule::VideoTooLarge,
            "a reel may be at most 300 MB",
        )),
        (Role::Item(PostType::Story), true) => Some((
            MAX_STORY_VIDEO_BYTES,
            Rule::VideoTooLarge,
            "a video story may be at most 100 MB",
        )),
        _ => None,
    };
    if let Some((_, rule, what)) = limit.filter(|(max, ..)| bytes > *max) {
        out.push(problem(
            rule,
            format!(
                "`{path}` is {} (its Git LFS pointer says); {what}",
                mib(bytes)
            ),
        ));
    }
    out.push(lfs_missing(file, path, at));
    out
}

// A multi-picture JPEG Meta refuses: "Extended JPEG formats such as MPO and
// JPS are not supported". Ultra HDR gain maps and MPF previews are not MPOs
// in this sense: their first picture is the image (see media::JpegExtra).
fn mpo_problem(file: &str, path: &str, kind: MultiPicture, at: Pos) -> Problem {
    let (what, help) = match kind {
        MultiPicture::Jps => (
            "a JPS stereo pair (both views side by side)",
            "keep one half as a plain JPEG, e.g. ffmpeg -i in.jpg -vf crop=iw/2:ih:0:0 -q:v 2 out.jpg",
        ),
        MultiPicture::Disparity | MultiPicture::Panorama | MultiPicture::MultiAngle => (
            match kind {
                MultiPicture::Disparity => "a stereo (3D) MPO: its MPF index lists views of type 0x020002 (disparity)",
                MultiPicture::Panorama => "a panorama MPO: its MPF index lists frames of type 0x020001 (panorama)",
                _ => "a multi-angle MPO: its MPF index lists views of type 0x020003 (multi-angle)",
            },
            "keep its first picture as a plain JPEG, losslessly: exiftool -MPF:all= -trailer:all= -o out.jpg in.jpg",
        ),
    };
    Problem::new(
        Rule::MediaFormat,
        file,
        at,
        format!("`{path}` is {what}; Instagram rejects multi-picture JPEGs (MPO, JPS)"),
    )
    .with_help(help)
}

fn video_where_image_goes(file: &str, role: Role, at: Pos) -> Problem {
    let (what, help) = match role {
        Role::Cover => (
            "a reel's cover must be a JPEG image",
            "use a still frame as JPEG, or `thumb_offset` to pick a frame",
        ),
        _ => (
            "`type: image` takes one JPEG image",
            "for a single video use `type: reel`",
        ),
    };
    Problem::new(
        Rule::MediaFormat,
        file,
        at,
        format!("this is a video, but {what}"),
    )
    .with_help(help)
}

fn ratio_problem(
    file: &str,
    path: &str,
    at: Pos,
    w: u32,
    h: u32,
    (min, max): (f64, f64),
    what: &str,
) -> Option<Problem> {
    if h == 0 || w == 0 {
        return Some(Problem::new(
            Rule::MediaFormat,
            file,
            at,
            format!("`{path}` has no size in its header"),
        ));
    }
    let ratio = f64::from(w) / f64::from(h);
    // The epsilon only absorbs float error: 1080×1350 is exactly 0.8.
    if ratio >= min - 1e-9 && ratio <= max + 1e-9 {
        return None;
    }
    let p = Problem::new(
        Rule::AspectRatio,
        file,
        at,
        format!("`{path}` is {w}×{h} as displayed (ratio {ratio:.2}); {what} must be between {min}:1 and {max}:1"),
    );
    Some(match (max == FEED_RATIO.1, ratio < min) {
        (true, true) => p.with_help("crop it to 4:5 (e.g. 1080×1350), or make it a story"),
        (true, false) => p.with_help("crop it to at most 1.91:1 (e.g. 1080×566)"),
        _ => p,
    })
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::MediaInfo;

    fn absent(bytes: u64, video: bool) -> Resolved {
        Resolved {
            source: Source::File {
                path: "media/x".into(),
                info: MediaInfo {
                    bytes,
                    format: Format::LfsAbsent { video },
                    lfs: None,
                },
            },
            is_video: video,
        }
    }

    fn rules(role: Role, media: &Resolved) -> Vec<&'static str> {
        check("posts/p.md", role, media, Pos::START)
            .iter()
            .map(|p| p.rule.id())
            .collect()
    }

    // Without the object, what the pointer and the name tell is still
    // checked; the rest is a warning, never "not a JPEG".
    #[test]
    fn an_lfs_pointer_without_its_object_is_judged_by_its_size_and_name() {
        use PostType::{Carousel, Image, Reel, Story};
        let warn = "lfs-object-missing";
        assert_eq!(rules(Role::Item(Reel), &absent(50_000_000, true)), [warn]);
        assert_eq!(
            rules(Role::Item(Reel), &absent(MAX_REEL_BYTES + 1, true)),
            ["video-too-large", warn]
        );
        assert_eq!(
            rules(Role::Item(Story), &absent(MAX_STORY_VIDEO_BYTES + 1, true)),
            ["video-too-large", warn]
        );
        assert_eq!(
            rules(Role::Item(Carousel), &absent(MAX_REEL_BYTES + 1, true)),
            [warn]
        );
        assert_eq!(
            rules(Role::Item(Image), &absent(MAX_IMAGE_BYTES + 1, false)),
            ["image-too-large", warn]
        );
        assert_eq!(
            rules(Role::Cover, &absent(10, true)),
            ["media-format", warn]
        );
        assert_eq!(
            rules(Role::Item(Reel), &absent(10, false)),
            ["media-format", warn]
        );
        let p = &check(
            "posts/p.md",
            Role::Item(Reel),
            &absent(10, true),
            Pos::START,
        )[0];
        assert!(p.message.contains("Git LFS pointer"), "{}", p.message);
        assert!(p.help.as_deref().is_some_and(|h| h.contains("lfs: true")));
        assert!(!p.is_error());
    }
}
