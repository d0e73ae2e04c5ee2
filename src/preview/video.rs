//! A video as the app shows it wherever it appears — a reel's tile, a
//! reel's or video story's card, a video slide of a carousel's strip, a
//! video on another platform's card: its frame (made by [`super::thumb`])
//! with a play mark and its length in the bottom corner.

use super::Inputs;
use crate::media::Format;
use crate::plan::Entry;
use crate::validate::preflight::Resolved;
use crate::validate::ValidPost;

/// The item's length in milliseconds, when it is a video whose length
/// the file says (not a URL, not a Git LFS pointer without its object).
pub(super) fn length(item: &Resolved) -> Option<u64> {
    match item.info().map(|i| &i.format) {
        Some(Format::Video(v)) if item.is_video => Some(v.duration_ms),
        _ => None,
    }
}

/// A length as the app writes it: `m:ss`, `h:mm:ss` from an hour on;
/// seconds cut, not rounded (an 8.9 s clip is `0:08`).
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The corner over a video's frame: a play mark and the length. The
/// contract for tests: `data-video="<ms>"`.
pub fn corner(ms: u64) -> String {
    format!(
        "<span class=vid data-video=\"{ms}\"><span aria-hidden=true>▶</span> {}</span>",
        clock(ms)
    )
}

/// The corner of one item (empty when it is not a video of known length).
pub(super) fn item_corner(item: &Resolved) -> String {
    length(item).map(corner).unwrap_or_default()
}

/// The corner of a post whose picture is its first item's (its tile and
/// card show that item; a reel with a `cover` still plays the video). A
/// carousel's tile has the carousel mark instead, as in the app; its
/// video slides have their corner in its strip.
pub(super) fn post_corner(post: &ValidPost) -> String {
    if post.kind == crate::content::PostType::Carousel {
        return String::new();
    }
    post.media.first().map(item_corner).unwrap_or_default()
}

/// The corner of an entry's tile or card, from its grid version.
pub(super) fn entry_corner(inputs: &Inputs<'_>, e: &Entry) -> String {
    inputs
        .posts
        .get(e.id.as_str())
        .map(|p| post_corner(p))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{Container, MediaInfo, VideoInfo};
    use crate::validate::preflight::Source;

    #[test]
    fn lengths_read_as_the_app_writes_them() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(8_999), "0:08");
        assert_eq!(clock(61_000), "1:01");
        assert_eq!(clock(15 * 60_000 + 7_000), "15:07");
        assert_eq!(clock(3_600_000 + 65_000), "1:01:05");
    }

    #[test]
    fn a_video_gets_a_play_mark_and_its_length_and_a_picture_none() {
        let video = |is_video| Resolved {
            source: Source::File {
                path: "media/r.mp4".into(),
                info: MediaInfo {
                    bytes: 1,
                    format: Format::Video(VideoInfo {
                        container: Container::Mp4,
                        width: 1080,
                        height: 1920,
                        rotation: 0,
                        duration_ms: 75_500,
                        has_video_track: true,
                        moov_before_mdat: true,
                        fragmented: false,
                    }),
                    lfs: None,
                },
            },
            is_video,
        };
        assert_eq!(
            item_corner(&video(true)),
            "<span class=vid data-video=\"75500\"><span aria-hidden=true>▶</span> 1:15</span>"
        );
        // Not a video as the post has it, or at a URL: no corner.
        assert_eq!(item_corner(&video(false)), "");
        let url = Resolved {
            source: Source::Url("https://cdn.example/r.mp4".into()),
            is_video: true,
        };
        assert_eq!(item_corner(&url), "");
    }
}
