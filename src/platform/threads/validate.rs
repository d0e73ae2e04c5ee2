//! Threads' rules for a post, as its Threads accounts get it (the
//! `threads:` caption and media in place): the post types Threads has, its
//! text limit, its links limit, its carousel size, its media specs and its
//! own options. The facts and their sources: `docs/threads.md`.

use crate::content::{Post, PostType};
use crate::diagnostic::{Problem, Rule};
use crate::media::Format;
use crate::validate::preflight::{self, Preflight, Resolved, Source};

/// "Text posts are limited to 500 characters" (emoji counted by their
/// UTF-8 bytes; see [`text_len`]).
pub const MAX_TEXT: usize = 500;
/// Unique links in a post's text (since 2025-12-22).
pub const MAX_LINKS: usize = 5;
pub const CAROUSEL_ITEMS: std::ops::RangeInclusive<usize> = 2..=20;
pub const MAX_IMAGE_BYTES: u64 = 8 * 1024 * 1024;
pub const MAX_VIDEO_BYTES: u64 = 1024 * 1024 * 1024;
pub const MAX_VIDEO_MS: u64 = 300_000;
pub const MAX_VIDEO_COLUMNS: u32 = 1920;
pub const IMAGE_WIDTHS: std::ops::RangeInclusive<u32> = 320..=1440;
pub const MAX_TOPIC_TAG: usize = 50;
pub const MAX_ALT_TEXT: usize = 1000;

/// The post as a Threads target: its type and media, and what is wrong.
pub struct Checked {
    pub kind: PostType,
    pub media: Vec<Resolved>,
    pub problems: Vec<Problem>,
}

/// Every Threads rule of `post` (already the Threads version of it).
/// Fields no platform of the post takes are said to be unsent by
/// validate, for every platform alike.
pub fn check(post: &Post, preflight: &mut Preflight) -> Checked {
    let rel = post.file.rel.as_str();
    let f = &post.fields;
    let key = |pointer: &str| post.spans.key(pointer);
    let value = |pointer: &str| post.spans.value(pointer);
    let mut problems = Vec::new();

    let mut media = Vec::with_capacity(f.media.len());
    for (i, item) in f.media.iter().enumerate() {
        match preflight.resolve(rel, item.src(), value(&format!("/media/{i}/src"))) {
            Ok(r) => media.push(r),
            Err(p) => problems.push(p),
        }
    }
    let resolved_all = media.len() == f.media.len();
    // `media` written but unusable (the schema has said why) is no text post.
    let broken_media = f.media.is_empty() && post.spans.get("/media").is_some();
    let kind = match (f.kind, f.media.len()) {
        _ if broken_media => PostType::Image,
        (Some(PostType::Story), _) => {
            problems.push(
                Problem::new(
                    Rule::NotOnPlatform,
                    rel,
                    value("/type"),
                    "Threads has no stories",
                )
                .with_help("leave the Threads account out of `accounts`, or make it an image post"),
            );
            PostType::Story
        }
        (_, 0) => PostType::Text,
        (Some(PostType::Text), _) => {
            problems.push(
                Problem::new(
                    Rule::FieldNotAllowed,
                    rel,
                    key("/media"),
                    "`type: text` takes no media",
                )
                .with_help("remove `media`, or drop `type: text`"),
            );
            PostType::Text
        }
        (_, 1) if media.first().is_some_and(|m| m.is_video) => PostType::Reel,
        (_, 1) => PostType::Image,
        _ => PostType::Carousel,
    };

    let text = f.caption.as_deref().unwrap_or("");
    let len = text_len(text);
    if len > MAX_TEXT {
        problems.push(
            Problem::new(
                Rule::TextTooLong,
                rel,
                value("/caption"),
                format!("the text is {len} characters; Threads takes at most {MAX_TEXT} (an emoji counts as its UTF-8 bytes)"),
            )
            .with_help("shorten it, or give Threads its own: `threads: {caption: …}`"),
        );
    }
    if kind == PostType::Text && text.trim().is_empty() {
        problems.push(
            Problem::new(
                Rule::Schema,
                rel,
                key("/caption"),
                "a text-only Threads post needs text",
            )
            .with_help("write a caption, or add media"),
        );
    }
    let mut links = links(text);
    let options = super::Options::of(post);
    if let Some(l) = options.link_attachment.as_deref() {
        if !links.contains(&l) {
            links.push(l);
        }
    }
    if links.len() > MAX_LINKS {
        problems.push(
            Problem::new(
                Rule::TooManyLinks,
                rel,
                value("/caption"),
                format!(
                    "the post has {} different links; Threads refuses a post with more than {MAX_LINKS}",
                    links.len()
                ),
            )
            .with_help("keep at most 5 links (the link attachment counts too)"),
        );
    }

    if kind == PostType::Carousel && f.media.len() > *CAROUSEL_ITEMS.end() {
        problems.push(
            Problem::new(
                Rule::CarouselSize,
                rel,
                value(&format!("/media/{}", CAROUSEL_ITEMS.end())),
                format!(
                    "a Threads carousel has 2 to 20 items; this one has {}, and this is item 21",
                    f.media.len()
                ),
            )
            .with_help("split it into two posts, or give Threads fewer: `threads: {media: […]}`"),
        );
    }
    if resolved_all {
        for (i, m) in media.iter().enumerate() {
            problems.extend(media_spec(rel, m, value(&format!("/media/{i}/src"))));
        }
    }
    for (i, item) in f.media.iter().enumerate() {
        if let Some(alt) = item.alt_text() {
            alt_text(
                &mut problems,
                rel,
                alt,
                value(&format!("/media/{i}/alt_text")),
            );
        }
    }
    if let Some(alt) = &f.alt_text {
        alt_text(&mut problems, rel, alt, value("/alt_text"));
    }

    {
        let t = &options;
        if let Some(tag) = &t.topic_tag {
            let n = tag.chars().count();
            if n == 0 || n > MAX_TOPIC_TAG || tag.contains(['.', '&']) {
                problems.push(
                    Problem::new(
                        Rule::TopicTag,
                        rel,
                        value("/threads/topic_tag"),
                        format!("topic_tag `{tag}` is not a Threads topic: 1 to 50 characters, without `.` or `&`"),
                    )
                    .with_help("e.g. `topic_tag: Ceramics`"),
                );
            }
        }
        if let Some(link) = &t.link_attachment {
            if !(link.starts_with("https://") || link.starts_with("http://"))
                || link.chars().any(char::is_whitespace)
            {
                problems.push(
                    Problem::new(
                        Rule::MediaUrl,
                        rel,
                        value("/threads/link_attachment"),
                        format!("link_attachment `{link}` is not a link"),
                    )
                    .with_help("write the whole address, starting with https://"),
                );
            } else if kind != PostType::Text {
                problems.push(
                    Problem::new(
                        Rule::FieldNotAllowed,
                        rel,
                        key("/threads/link_attachment"),
                        "`link_attachment` is for text-only Threads posts",
                    )
                    .with_help(
                        "put the link in the text instead: its first link becomes the preview",
                    ),
                );
            }
        }
    }

    // Fields Threads has no use for: said once, as a warning, so a
    // Threads-only post does not look as if they were sent.
    if f.first_comment.is_some() {
        problems.push(Problem::new(
            Rule::NotSent,
            rel,
            key("/first_comment"),
            "`first_comment` is not posted on Threads (Threads has replies, not comments)",
        ));
    }
    Checked {
        kind,
        media,
        problems,
    }
}

fn alt_text(problems: &mut Vec<Problem>, rel: &str, alt: &str, at: crate::diagnostic::Pos) {
    let n = alt.chars().count();
    if n > MAX_ALT_TEXT {
        problems.push(Problem::new(
            Rule::AltTextTooLong,
            rel,
            at,
            format!("alt text is {n} characters; Threads takes at most {MAX_ALT_TEXT}"),
        ));
    }
}

/// One media item against Threads' media specs (files only: a URL is
/// checked by Threads when it fetches it).
fn media_spec(rel: &str, m: &Resolved, at: crate::diagnostic::Pos) -> Vec<Problem> {
    let mut out = Vec::new();
    let Source::File { path, info } = &m.source else {
        return out;
    };
    let problem = |rule, msg: String| Problem::new(rule, rel, at, msg);
    match &info.format {
        Format::Jpeg { .. } | Format::Mpo(_) | Format::OtherImage("PNG") => {
            if info.bytes > MAX_IMAGE_BYTES {
                out.push(problem(
                    Rule::ImageTooLarge,
                    format!(
                        "{path} is {:.1} MB; Threads takes images up to 8 MB",
                        mb(info.bytes)
                    ),
                ));
            }
            if let Some((w, h)) = info.format.display_size() {
                if !IMAGE_WIDTHS.contains(&w) {
                    out.push(problem(
                        Rule::ImageWidth,
                        format!("{path} is {w} px wide; Threads scales images to 320–1440 px"),
                    ));
                }
                ratio(&mut out, &problem, path, w, h);
            }
        }
        Format::OtherImage(kind) => out.push(
            problem(
                Rule::MediaFormat,
                format!("{path} is {kind}; Threads takes JPEG and PNG images"),
            )
            .with_help("export it as JPEG"),
        ),
        Format::Video(v) => {
            if info.bytes > MAX_VIDEO_BYTES {
                out.push(problem(
                    Rule::VideoTooLarge,
                    format!(
                        "{path} is {:.0} MB; Threads takes videos up to 1 GB",
                        mb(info.bytes)
                    ),
                ));
            }
            if v.duration_ms == 0 || v.duration_ms > MAX_VIDEO_MS {
                out.push(problem(
                    Rule::VideoDuration,
                    format!(
                        "{path} lasts {:.1} s; a Threads video lasts more than 0 s and at most 5 minutes",
                        v.duration_ms as f64 / 1000.0
                    ),
                ));
            }
            let (w, h) = info.format.display_size().unwrap_or((0, 0));
            if w > MAX_VIDEO_COLUMNS {
                out.push(problem(
                    Rule::AspectRatio,
                    format!("{path} is {w} px wide; Threads takes videos up to 1920 px wide"),
                ));
            }
            if w > 0 && h > 0 {
                ratio(&mut out, &problem, path, w, h);
            }
        }
        Format::OtherVideo(kind) => out.push(
            problem(
                Rule::MediaFormat,
                format!("{path} is {kind}; Threads takes MP4 and MOV videos"),
            )
            .with_help("convert it to MP4 (H.264 or HEVC, AAC audio)"),
        ),
        Format::LfsAbsent { .. } => out.push(preflight::lfs_missing(rel, path, at)),
        Format::Unknown => out.push(problem(
            Rule::MediaFormat,
            format!("{path} is neither an image nor a video Threads takes"),
        )),
    }
    out
}

/// Threads takes width : height from 1:10 to 10:1 (images and videos).
fn ratio(
    out: &mut Vec<Problem>,
    problem: &dyn Fn(Rule, String) -> Problem,
    path: &str,
    w: u32,
    h: u32,
) {
    let r = f64::from(w) / f64::from(h);
    if !(0.1..=10.0).contains(&r) {
        out.push(problem(
            Rule::AspectRatio,
            format!("{path} is {w}×{h}; Threads takes width to height from 1:10 to 10:1"),
        ));
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The length Threads counts: characters, except that an emoji counts as
/// its UTF-8 bytes (Meta: "emojis are counted by their UTF-8 byte
/// length"), so 👍 is 4 and a family emoji joined with ZWJs is far more.
pub fn text_len(text: &str) -> usize {
    text.chars()
        .map(|c| if is_emoji(c) { c.len_utf8() } else { 1 })
        .sum()
}

/// The code points of emoji and of the joiners and selectors that make
/// them up (Unicode's emoji blocks; an approximation of
/// Extended_Pictographic that needs no table).
fn is_emoji(c: char) -> bool {
    matches!(u32::from(c),
        0x1F000..=0x1FAFF // pictographs, emoticons, transport, flags, supplemental
        | 0x2600..=0x27BF // miscellaneous symbols, dingbats
        | 0x2300..=0x23FF // ⌚ ⏰ …
        | 0x2B00..=0x2BFF // ⭐ ⬛ …
        | 0xFE0F          // emoji presentation selector
        | 0x200D          // zero-width joiner
        | 0x20E3          // keycap
        | 0xE0020..=0xE007F // tag sequences (subdivision flags)
    )
}

/// The distinct links in a text, in order: every `http://` or `https://`
/// run up to white space.
fn links(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for span in link_spans(text) {
        let link = &text[span];
        if !out.contains(&link) {
            out.push(link);
        }
    }
    out
}

/// Where each link of a text is, every occurrence, as UTF-8 byte ranges:
/// from `http://` or `https://` to the next white space, trailing
/// punctuation left out (what the preview marks and [`links`] counts).
pub(super) fn link_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let Some(at) = word.find("http://").or_else(|| word.find("https://")) else {
            continue;
        };
        // `word` is a slice of `text`: its offset in it.
        let start = word.as_ptr() as usize - text.as_ptr() as usize + at;
        let link = word[at..].trim_end_matches(['.', ',', ')', '!', '?', ';', ':']);
        out.push(start..start + link.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emoji_counts_as_its_utf8_bytes_and_letters_as_one() {
        assert_eq!(text_len("abc"), 3);
        assert_eq!(text_len("é ü"), 3);
        assert_eq!(text_len("👍"), 4);
        assert_eq!(text_len("ok ✅"), 3 + 3);
        // 👨‍👩‍👧: three 4-byte people and two 3-byte joiners.
        assert_eq!(text_len("👨\u{200d}👩\u{200d}👧"), 18);
    }

    #[test]
    fn links_are_counted_once_each() {
        let text = "see https://a.example/x, and https://a.example/x. also http://b.example (https://c.example)";
        assert_eq!(
            links(text),
            [
                "https://a.example/x",
                "http://b.example",
                "https://c.example"
            ]
        );
        assert!(links("no links at all, https:/ not one").is_empty());
    }
}
