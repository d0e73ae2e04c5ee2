//! Bluesky's rules for a post, as its Bluesky accounts get it (the
//! `bluesky:` caption and media in place): its text counted in graphemes
//! and bytes, up to 4 images or one MP4 video (never both), their sizes
//! and alt text, the link card, and the post types Bluesky has. The facts
//! and their sources: docs/bluesky.md ("Text", "Embeds").

use super::options::{Link, Options};
use super::record::{MAX_IMAGES, MAX_IMAGE_BYTES, MAX_THUMB_BYTES};
use super::text::{self, TextProblem};
use crate::content::{Post, PostType};
use crate::diagnostic::{Pos, Problem, Rule};
use crate::media::{Container, Format, MediaInfo};
use crate::platform::uploaded;
use crate::platform::{Platform, PlatformSpec as _};
use crate::validate::preflight::{self, Preflight, Resolved, Source};

/// The post as a Bluesky target: its type, its media, the link card's
/// thumbnail (as the version's cover: the picture that stands for the
/// post besides its media), and what is wrong.
pub struct Checked {
    pub kind: PostType,
    pub media: Vec<Resolved>,
    pub thumb: Option<Resolved>,
    pub problems: Vec<Problem>,
}

/// Every Bluesky rule of `post` (already the Bluesky version of it);
/// `max_video_bytes`: the smallest of its accounts' `max_video_bytes`.
pub fn check(post: &Post, preflight: &mut Preflight, max_video_bytes: u64) -> Checked {
    let rel = post.file.rel.as_str();
    let f = &post.fields;
    let key = |pointer: &str| post.spans.key(pointer);
    let value = |pointer: &str| post.spans.value(pointer);
    let mut problems = Vec::new();

    let mut media = Vec::with_capacity(f.media.len());
    for (i, item) in f.media.iter().enumerate() {
        let at = value(&format!("/media/{i}/src"));
        match preflight.resolve(rel, item.src(), at) {
            Ok(r) if matches!(r.source, Source::Url(_)) => {
                problems.push(uploaded::not_a_file("Bluesky", "bluesky", rel, at))
            }
            Ok(r) => media.push(r),
            Err(p) => problems.push(p),
        }
    }
    let kind = uploaded::kind("Bluesky", post, &media, &mut problems);
    let options = Options::of(post);
    text_rules(post, &options, kind, &mut problems);
    count(post, &media, &mut problems);
    if media.len() == f.media.len() {
        for (i, m) in media.iter().enumerate() {
            let at = value(&format!("/media/{i}/src"));
            problems.extend(media_spec(rel, m, at, max_video_bytes));
        }
    }
    alt_texts(post, &media, &mut problems);
    let thumb = match &options.link {
        Some(link) => card(post, link, !f.media.is_empty(), preflight, &mut problems),
        None => None,
    };
    if f.first_comment.is_some() {
        problems.push(Problem::new(
            Rule::NotSent,
            rel,
            key("/first_comment"),
            "`first_comment` is not posted on Bluesky (postwright makes no replies)",
        ));
    }
    Checked {
        kind,
        media,
        thumb,
        problems,
    }
}

/// The text's limits (300 graphemes, 3,000 bytes), and a text-only post
/// needing text (or a link card).
fn text_rules(post: &Post, options: &Options, kind: PostType, problems: &mut Vec<Problem>) {
    let rel = post.file.rel.as_str();
    let text = post.fields.caption.as_deref().unwrap_or("");
    let bluesky = Platform::named(super::Spec.name());
    for problem in text::check(text) {
        let message = match problem {
            TextProblem::TooManyGraphemes { count, limit } => format!(
                "{count} of {limit} graphemes (characters as Bluesky counts them: an emoji or a letter with its accents is one)"
            ),
            TextProblem::TooManyBytes { count, limit } => {
                format!("{count} of {limit} bytes of UTF-8")
            }
        };
        let mut p = Problem::new(
            Rule::TextTooLong,
            rel,
            post.spans.value("/caption"),
            message,
        )
        .with_help(format!(
            "shorten it by {}, or give Bluesky its own: `bluesky: {{caption: …}}`",
            problem.over()
        ));
        // The count is Bluesky's own: the message says whose, always.
        if let Some(b) = bluesky {
            p = p.for_platform(b);
        }
        problems.push(p);
    }
    if kind == PostType::Text && text.trim().is_empty() && options.link.is_none() {
        problems.push(
            Problem::new(
                Rule::Schema,
                rel,
                post.spans.key("/caption"),
                "a text-only Bluesky post needs text",
            )
            .with_help(
                "write a caption, add media, or add a link card: `bluesky: {link: {url: …}}`",
            ),
        );
    }
}

/// Up to 4 images, or one video, never both.
fn count(post: &Post, media: &[Resolved], problems: &mut Vec<Problem>) {
    let rel = post.file.rel.as_str();
    let n = post.fields.media.len();
    let videos: Vec<usize> = (0..media.len()).filter(|&i| media[i].is_video).collect();
    if let Some(&first) = videos.first().filter(|_| n > 1) {
        problems.push(
            Problem::new(
                Rule::MediaCount,
                rel,
                post.spans.value(&format!("/media/{first}/src")),
                format!("a Bluesky post has up to 4 images or one video; this one has {n} media items and a video among them"),
            )
            .with_help("post the video on its own, or give Bluesky its own: `bluesky: {media: […]}`"),
        );
    } else if n > MAX_IMAGES {
        problems.push(
            Problem::new(
                Rule::MediaCount,
                rel,
                post.spans.value(&format!("/media/{MAX_IMAGES}/src")),
                format!(
                    "a Bluesky post takes at most 4 images; this one has {n}, and this is image 5"
                ),
            )
            .with_help("split it into two posts, or give Bluesky fewer: `bluesky: {media: […]}`"),
        );
    }
}

/// Alt text is carried on every image and video: an empty one is a
/// warning (the lexicon requires the field; people need the text).
fn alt_texts(post: &Post, media: &[Resolved], problems: &mut Vec<Problem>) {
    let f = &post.fields;
    for i in 0..f.media.len() {
        let alt = f.alt_text_of(i);
        if alt.is_some_and(|a| !a.trim().is_empty()) {
            continue;
        }
        let what = match media.get(i) {
            Some(m) if m.is_video => "the video".to_string(),
            _ => format!("image {}", i + 1),
        };
        problems.push(
            Problem::new(
                Rule::AltTextMissing,
                &post.file.rel,
                post.spans.value(&format!("/media/{i}/src")),
                format!(
                    "{what} has no alt text; Bluesky shows alt text to people who cannot see it"
                ),
            )
            .with_help("write it as `- src: …` with `alt_text: …`"),
        );
    }
}

/// One media file against what Bluesky takes.
fn media_spec(rel: &str, m: &Resolved, at: Pos, max_video_bytes: u64) -> Vec<Problem> {
    let mut out = Vec::new();
    let Source::File { path, info } = &m.source else {
        return out;
    };
    let problem = |rule, msg: String| Problem::new(rule, rel, at, msg);
    if mime(info).is_none() {
        let (msg, help) = match &info.format {
            Format::LfsAbsent { .. } => {
                out.push(preflight::lfs_missing(rel, path, at));
                return out;
            }
            Format::Video(v) => (
                format!(
                    "{path} is a {} video; Bluesky takes MP4",
                    v.container.name()
                ),
                "convert it to MP4 (H.264, AAC audio)",
            ),
            Format::OtherVideo(kind) => (
                format!("{path} is {kind}; Bluesky takes MP4 videos"),
                "convert it to MP4 (H.264, AAC audio)",
            ),
            Format::OtherImage(kind) => (
                format!("{path} is {kind}; Bluesky takes JPEG, PNG, WebP and GIF images"),
                "export it as JPEG",
            ),
            _ => (
                format!("{path} is neither an image nor a video Bluesky takes"),
                "use a JPEG or PNG image, or an MP4 video",
            ),
        };
        out.push(problem(Rule::MediaFormat, msg).with_help(help));
        return out;
    }
    if m.is_video && info.bytes > max_video_bytes {
        out.push(
            problem(
                Rule::VideoTooLarge,
                format!(
                    "{path} is {} bytes; this Bluesky account takes videos up to {} bytes (max_video_bytes)",
                    thousands(info.bytes),
                    thousands(max_video_bytes)
                ),
            )
            .with_help("shorten or recompress it (Bluesky's own limit is 50 MB)"),
        );
    } else if !m.is_video && info.bytes > MAX_IMAGE_BYTES {
        out.push(image_too_large(rel, at, path, info.bytes, MAX_IMAGE_BYTES));
    }
    out
}

fn image_too_large(rel: &str, at: Pos, path: &str, bytes: u64, limit: u64) -> Problem {
    Problem::new(
        Rule::ImageTooLarge,
        rel,
        at,
        format!(
            "{path} is {} bytes; Bluesky takes images up to {} bytes",
            thousands(bytes),
            thousands(limit)
        ),
    )
    .with_help(format!(
        "resize or recompress under {} MB (e.g. JPEG quality 85, at most 2000 px wide)",
        limit / 1_000_000
    ))
}

/// The link card: an http(s) URL, and a thumbnail that is a repo image of
/// at most 1,000,000 bytes; with media it is left out (a warning). The
/// thumbnail resolved, when the card is sent.
fn card(
    post: &Post,
    link: &Link,
    has_media: bool,
    preflight: &mut Preflight,
    problems: &mut Vec<Problem>,
) -> Option<Resolved> {
    let rel = post.file.rel.as_str();
    let lower = link.url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://"))
        || link.url.chars().any(char::is_whitespace)
    {
        problems.push(
            Problem::new(
                Rule::MediaUrl,
                rel,
                post.spans.value("/bluesky/link/url"),
                format!("the link card's url `{}` is not a link", link.url),
            )
            .with_help("write the whole address, starting with https://"),
        );
    }
    if has_media {
        problems.push(
            Problem::new(
                Rule::NotSent,
                rel,
                post.spans.key("/bluesky/link"),
                "the link card is left out: a Bluesky post with media embeds the media, not a card",
            )
            .with_help("the link still works in the text; post the card on its own to show it"),
        );
        return None;
    }
    let src = link.thumb.as_deref()?;
    let at = post.spans.value("/bluesky/link/thumb");
    let thumb = match preflight.resolve(rel, src, at) {
        Ok(r) if matches!(r.source, Source::Url(_)) => {
            problems.push(uploaded::not_a_file("Bluesky", "bluesky", rel, at));
            return None;
        }
        Ok(r) => r,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    if let Source::File { path, info } = &thumb.source {
        match mime(info) {
            _ if matches!(info.format, Format::LfsAbsent { .. }) => {
                problems.push(preflight::lfs_missing(rel, path, at))
            }
            Some(m) if m.starts_with("image/") => {
                if info.bytes > MAX_THUMB_BYTES {
                    problems.push(image_too_large(rel, at, path, info.bytes, MAX_THUMB_BYTES));
                }
            }
            _ => problems.push(
                Problem::new(
                    Rule::MediaFormat,
                    rel,
                    at,
                    format!("the link card's thumb {path} is not a JPEG, PNG, WebP or GIF image"),
                )
                .with_help("export it as JPEG"),
            ),
        }
    }
    Some(thumb)
}

/// The MIME type a file is uploaded as; `None`: Bluesky does not take it.
pub fn mime(info: &MediaInfo) -> Option<&'static str> {
    match &info.format {
        Format::Jpeg { .. } | Format::Mpo(_) => Some("image/jpeg"),
        Format::OtherImage("PNG") => Some("image/png"),
        Format::OtherImage("WebP") => Some("image/webp"),
        Format::OtherImage("GIF") => Some("image/gif"),
        Format::Video(v) if v.container == Container::Mp4 => Some("video/mp4"),
        _ => None,
    }
}

/// `2100000` → `2,100,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(2_000_000), "2,000,000");
        assert_eq!(thousands(2_100_001), "2,100,001");
    }
}
