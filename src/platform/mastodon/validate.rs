//! Mastodon's rules for a post, as its Mastodon accounts get it (the
//! `mastodon:` caption and media in place), offline: the text counted as
//! the server counts it (every URL 23, a mention as `@user`, the content
//! warning included) against the account's limits, the number of
//! attachments, a video never mixed with images, alt text (and its
//! length), a poll as Mastodon's validators check it, focal points, and
//! the post types Mastodon has. Facts and sources: docs/mastodon.md.

use super::instance::InstanceLimits;
use super::options::Options;
use super::text;
use crate::content::{Post, PostType};
use crate::diagnostic::{Pos, Problem, Rule};
use crate::media::{Container, Format, MediaInfo};
use crate::platform::uploaded;
use crate::platform::{Platform, PlatformSpec as _};
use crate::validate::preflight::{self, Preflight, Resolved, Source};

/// The post as a Mastodon target: its type, its media, what is wrong.
pub struct Checked {
    pub kind: PostType,
    pub media: Vec<Resolved>,
    pub problems: Vec<Problem>,
}

/// Every Mastodon rule of `post` (already the Mastodon version of it)
/// against `limits` (the smallest of its accounts').
pub fn check(post: &Post, preflight: &mut Preflight, limits: &InstanceLimits) -> Checked {
    let rel = post.file.rel.as_str();
    let f = &post.fields;
    let mut problems = Vec::new();
    let mut media = Vec::with_capacity(f.media.len());
    for (i, item) in f.media.iter().enumerate() {
        let at = post.spans.value(&format!("/media/{i}/src"));
        match preflight.resolve(rel, item.src(), at) {
            Ok(r) if matches!(r.source, Source::Url(_)) => {
                problems.push(uploaded::not_a_file("Mastodon", "mastodon", rel, at))
            }
            Ok(r) => media.push(r),
            Err(p) => problems.push(p),
        }
    }
    let kind = uploaded::kind("Mastodon", post, &media, &mut problems);
    let options = Options::of(post);
    text_rules(post, &options, kind, limits, &mut problems);
    poll_rules(post, &options, limits, &mut problems);
    focus_rules(post, &options, &mut problems);
    count(post, &media, limits, &mut problems);
    if media.len() == f.media.len() {
        for (i, m) in media.iter().enumerate() {
            let at = post.spans.value(&format!("/media/{i}/src"));
            problems.extend(format(rel, m, at, limits));
        }
    }
    alt_texts(post, &media, limits, &mut problems);
    if f.first_comment.is_some() {
        problems.push(Problem::new(
            Rule::NotSent,
            rel,
            post.spans.key("/first_comment"),
            "`first_comment` is not posted on Mastodon (postwright makes no replies)",
        ));
    }
    Checked {
        kind,
        media,
        problems,
    }
}

/// The text and content warning against `max_characters`, as the server
/// counts them; a text-only status needs text.
fn text_rules(
    post: &Post,
    options: &Options,
    kind: PostType,
    limits: &InstanceLimits,
    problems: &mut Vec<Problem>,
) {
    let rel = post.file.rel.as_str();
    let caption = post.fields.caption.as_deref().unwrap_or("");
    if let Err(long) = text::check(caption, &options.spoiler_text, limits) {
        let mut p = Problem::new(
            Rule::TextTooLong,
            rel,
            post.spans.value("/caption"),
            format!(
                "{} of {} characters (as Mastodon counts them: every URL {}, a mention as its @user part, the content warning included)",
                long.counted, long.max, long.per_url
            ),
        )
        .with_help(format!(
            "shorten it by {}, or give Mastodon its own: `mastodon: {{caption: …}}`",
            long.over
        ));
        // The count is Mastodon's own: the message says whose, always.
        if let Some(m) = Platform::named(super::Spec.name()) {
            p = p.for_platform(m);
        }
        problems.push(p);
    }
    if kind == PostType::Text && caption.trim().is_empty() {
        let (message, help) = if options.poll.is_some() {
            (
                "a Mastodon poll needs text",
                "write the question as the caption",
            )
        } else {
            (
                "a text-only Mastodon post needs text",
                "write a caption, or add media",
            )
        };
        problems.push(
            Problem::new(Rule::Schema, rel, post.spans.key("/caption"), message).with_help(help),
        );
    }
}

/// At most `max_media_attachments`, and a video on its own.
fn count(post: &Post, media: &[Resolved], limits: &InstanceLimits, problems: &mut Vec<Problem>) {
    let rel = post.file.rel.as_str();
    let n = post.fields.media.len();
    let max = limits.max_media_attachments;
    let first_video = media.iter().position(|m| m.is_video);
    if let Some(first) = first_video.filter(|_| n > 1) {
        problems.push(
            Problem::new(
                Rule::MediaCount,
                rel,
                post.spans.value(&format!("/media/{first}/src")),
                format!("a Mastodon status has images or one video, not both; this one has {n} media items and a video among them"),
            )
            .with_help("post the video on its own, or give Mastodon its own: `mastodon: {media: […]}`"),
        );
    } else if n > max {
        problems.push(
            Problem::new(
                Rule::MediaCount,
                rel,
                post.spans.value(&format!("/media/{max}/src")),
                format!(
                    "this Mastodon account takes at most {max} attachments per status; this one has {n}, and this is number {}",
                    max + 1
                ),
            )
            .with_help("split it into two posts, or give Mastodon fewer: `mastodon: {media: […]}` (or set max_media_attachments if the server takes more)"),
        );
    }
}

/// The poll as PollOptionsValidator and PollExpirationValidator check
/// it, each fault at its key under `mastodon.poll`.
fn poll_rules(
    post: &Post,
    options: &Options,
    limits: &InstanceLimits,
    problems: &mut Vec<Problem>,
) {
    let Some(poll) = &options.poll else {
        return;
    };
    let with_media = !post.fields.media.is_empty();
    for fault in super::poll::check(poll, with_media, limits) {
        let pointer = format!("/mastodon/poll{}", fault.at);
        let rule = if fault.at.is_empty() {
            Rule::FieldNotAllowed
        } else {
            Rule::Schema
        };
        problems.push(
            Problem::new(
                rule,
                &post.file.rel,
                post.spans.key(&pointer),
                fault.message,
            )
            .with_help(fault.help),
        );
    }
}

/// Each focal point readable and within -1..1, and no more of them than
/// media items.
fn focus_rules(post: &Post, options: &Options, problems: &mut Vec<Problem>) {
    let rel = post.file.rel.as_str();
    let n = post.fields.media.len();
    for (i, point) in options.focus.iter().enumerate() {
        let at = post.spans.value(&format!("/mastodon/focus/{i}"));
        if i >= n {
            problems.push(
                Problem::new(
                    Rule::Schema,
                    rel,
                    at,
                    format!("focal point {} has no media item: the post has {n}", i + 1),
                )
                .with_help("give one focal point per media item, in order, or remove this one"),
            );
            continue;
        }
        if let Some(Err(why)) = point.as_deref().map(super::poll::focus) {
            problems.push(
                Problem::new(Rule::Schema, rel, at, why).with_help("e.g. `focus: [\"0,0.5\"]`"),
            );
        }
    }
}

/// Alt text is sent as the attachment's description: an empty one is a
/// warning, one over the server's `description_limit` an error.
fn alt_texts(
    post: &Post,
    media: &[Resolved],
    limits: &InstanceLimits,
    problems: &mut Vec<Problem>,
) {
    let f = &post.fields;
    for (i, item) in f.media.iter().enumerate() {
        let alt = f.alt_text_of(i);
        if let Some(long) = alt.filter(|a| a.chars().count() > limits.description_limit) {
            let pointer = if item.alt_text().is_some() {
                format!("/media/{i}/alt_text")
            } else {
                "/alt_text".to_string()
            };
            problems.push(
                Problem::new(
                    Rule::TextTooLong,
                    &post.file.rel,
                    post.spans.value(&pointer),
                    format!(
                        "the alt text of item {} has {} characters; this Mastodon account takes at most {}",
                        i + 1,
                        long.chars().count(),
                        limits.description_limit
                    ),
                )
                .with_help("shorten it"),
            );
        }
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
                format!("{what} has no alt text; Mastodon shows it to people who cannot see it"),
            )
            .with_help("write it as `- src: …` with `alt_text: …`"),
        );
    }
}

/// A file whose type the server does not take.
fn format(rel: &str, m: &Resolved, at: Pos, limits: &InstanceLimits) -> Option<Problem> {
    let Source::File { path, info } = &m.source else {
        return None;
    };
    if let Format::LfsAbsent { .. } = info.format {
        return Some(preflight::lfs_missing(rel, path, at));
    }
    let taken = mime(info).filter(|t| limits.supported_mime_types.iter().any(|s| s == t));
    if taken.is_some() {
        return None;
    }
    Some(
        Problem::new(
            Rule::MediaFormat,
            rel,
            at,
            format!("{path} is not a type Mastodon takes (JPEG, PNG, WebP, GIF images; MP4, MOV, WebM videos)"),
        )
        .with_help("export it as JPEG, or convert the video to MP4 (H.264, AAC audio)"),
    )
}

/// The MIME type a file is uploaded as; `None`: not one postwright sends.
pub fn mime(info: &MediaInfo) -> Option<&'static str> {
    match &info.format {
        Format::Jpeg { .. } | Format::Mpo(_) => Some("image/jpeg"),
        Format::OtherImage("PNG") => Some("image/png"),
        Format::OtherImage("WebP") => Some("image/webp"),
        Format::OtherImage("GIF") => Some("image/gif"),
        Format::Video(v) if v.container == Container::Mp4 => Some("video/mp4"),
        Format::Video(v) if v.container == Container::Mov => Some("video/quicktime"),
        _ => None,
    }
}
