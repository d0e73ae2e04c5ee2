//! Instagram's rules for a post's fields, beyond what the schema can say.

use crate::content::{Post, PostType, UserTag};
use crate::diagnostic::{Problem, Rule};

pub const MAX_CAPTION_CHARS: usize = 2200;
pub const MAX_HASHTAGS: usize = 30;
pub const MAX_MENTIONS: usize = 20;
/// Meta's pages disagree: the IG Media `collaborators` edge (a read
/// endpoint, updated 2025-08-18) says "up to 5 Instagram accounts", but the
/// reference of the parameter postwright sends, `collaborators` on
/// `POST /{ig-user-id}/media`, says "A list of up to 3 instagram usernames"
/// (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media,
/// as read in 2026-09). The parameter's own reference wins.
pub const MAX_COLLABORATORS: usize = 3;
pub const MAX_ALT_TEXT_CHARS: usize = 1000;
pub const CAROUSEL_ITEMS: std::ops::RangeInclusive<usize> = 2..=10;

/// All field rules of a post of type `kind`. `video_items[i]` says whether
/// media item `i` is a video (unknown media count as images).
pub fn check(post: &Post, kind: PostType, video_items: &[bool]) -> Vec<Problem> {
    let mut out = Vec::new();
    let file = post.file.rel.as_str();
    let f = &post.fields;
    let key = |pointer: &str| post.spans.key(pointer);
    let value = |pointer: &str| post.spans.value(pointer);
    let not_allowed = |field: &str, why: &str| {
        Problem::new(
            Rule::FieldNotAllowed,
            file,
            key(&format!("/{field}")),
            format!("`{field}` is not allowed on {}: {why}", a(kind)),
        )
    };

    // How many media items the type takes.
    let n = f.media.len();
    match kind {
        // No media at all is a schema error already.
        _ if n == 0 => {}
        PostType::Carousel if !CAROUSEL_ITEMS.contains(&n) => out.push(
            Problem::new(
                Rule::CarouselSize,
                file,
                // Too many: the first item past the limit, where the cut goes.
                if n > *CAROUSEL_ITEMS.end() {
                    value(&format!("/media/{}", CAROUSEL_ITEMS.end()))
                } else {
                    key("/media")
                },
                if n > *CAROUSEL_ITEMS.end() {
                    format!("a carousel has 2 to 10 items; this one has {n}, and this is item 11")
                } else {
                    format!("a carousel has 2 to 10 items; this one has {n}")
                },
            )
            .with_help(if n < 2 {
                "add an item, or drop `type: carousel`"
            } else {
                "split it into two posts"
            }),
        ),
        PostType::Image | PostType::Reel | PostType::Story if n != 1 => out.push(
            Problem::new(
                Rule::MediaCount,
                file,
                key("/media"),
                format!("{} takes exactly one media item; this one has {n}", a(kind)),
            )
            .with_help("for several items, use `type: carousel`"),
        ),
        _ => {}
    }

    // Fields the type cannot carry.
    if kind == PostType::Story {
        let story_only = "a story has no caption, location or comments";
        for (field, present) in [
            ("caption", f.caption.is_some()),
            ("location_id", f.location_id.is_some()),
            ("first_comment", f.first_comment.is_some()),
            ("comments", f.comments.is_some()),
            ("alt_text", f.alt_text.is_some()),
        ] {
            if present {
                let mut p = not_allowed(field, story_only);
                if field == "caption" && post.spans.get("/caption").is_some_and(|l| l.key.is_none())
                {
                    p.message = "a story has no caption, but this Markdown post has a body".into();
                    p = p.with_help("remove the text below the front matter");
                }
                out.push(p);
            }
        }
    }
    if kind != PostType::Reel {
        for (field, present) in [
            ("cover", f.cover.is_some()),
            ("share_to_feed", f.share_to_feed.is_some()),
            ("thumb_offset", f.thumb_offset.is_some()),
            ("audio_name", f.audio_name.is_some()),
            ("trial", f.trial.is_some()),
        ] {
            if present {
                let p = not_allowed(field, "it applies to reels only");
                out.push(if field == "trial" {
                    p.with_help(
                        "a trial reel is a reel: one video with `type: reel`, or remove `trial`",
                    )
                } else {
                    p
                });
            }
        }
    }
    if kind == PostType::Carousel {
        for (field, present) in [
            ("alt_text", f.alt_text.is_some()),
            ("user_tags", f.user_tags.is_some()),
            ("product_tags", f.product_tags.is_some()),
        ] {
            if present {
                out.push(
                    not_allowed(field, "on a carousel it belongs to each item").with_help(format!(
                        "move it to the media item: `- src: …` with `{field}:`"
                    )),
                );
            }
        }
    }
    if kind == PostType::Reel && f.alt_text.is_some() {
        out.push(not_allowed(
            "alt_text",
            "Instagram takes alt text for images only",
        ));
    }
    if let (
        Some(_),
        Some(crate::content::MediaEntry::Item {
            alt_text: Some(_), ..
        }),
    ) = (&f.alt_text, f.media.first())
    {
        if kind == PostType::Image {
            out.push(
                Problem::new(
                    Rule::FieldNotAllowed,
                    file,
                    key("/alt_text"),
                    "`alt_text` is given twice: here and on the media item",
                )
                .with_help("keep one"),
            );
        }
    }
    for (i, item) in f.media.iter().enumerate() {
        let is_video = video_items.get(i).copied().unwrap_or(false);
        if is_video && item.alt_text().is_some() {
            out.push(Problem::new(
                Rule::FieldNotAllowed,
                file,
                key(&format!("/media/{i}/alt_text")),
                "`alt_text` is not allowed on a video: Instagram takes alt text for images only",
            ));
        }
        if is_video && kind == PostType::Carousel && !item.user_tags().is_empty() {
            out.push(Problem::new(
                Rule::FieldNotAllowed,
                file,
                key(&format!("/media/{i}/user_tags")),
                "`user_tags` is not allowed on a carousel video: Instagram tags people on images only",
            ));
        }
    }

    // Collaborators.
    if let Some(collaborators) = &f.collaborators {
        if kind == PostType::Story {
            out.push(
                Problem::new(
                    Rule::Collaborators,
                    file,
                    key("/collaborators"),
                    "a story cannot have collaborators",
                )
                .with_help("remove `collaborators`, or publish a feed post or reel"),
            );
        } else if collaborators.len() > MAX_COLLABORATORS {
            out.push(Problem::new(
                Rule::Collaborators,
                file,
                key("/collaborators"),
                format!(
                    "{} collaborators; Instagram allows at most {MAX_COLLABORATORS}",
                    collaborators.len()
                ),
            ));
        }
        for (i, name) in collaborators.iter().enumerate() {
            if let Some(bare) = name.strip_prefix('@') {
                out.push(
                    Problem::new(
                        Rule::Collaborators,
                        file,
                        value(&format!("/collaborators/{i}")),
                        format!("collaborator `{name}` starts with @; Instagram wants the bare username"),
                    )
                    .with_help(format!("write `{bare}`")),
                );
            }
        }
    }

    // Caption.
    if let Some(caption) = f.caption.as_deref().filter(|_| kind != PostType::Story) {
        let at = value("/caption");
        let chars = caption.chars().count();
        if chars > MAX_CAPTION_CHARS {
            out.push(
                Problem::new(
                    Rule::CaptionTooLong,
                    file,
                    at,
                    format!(
                        "the caption is {chars} characters; Instagram allows {MAX_CAPTION_CHARS}"
                    ),
                )
                .with_help(format!(
                    "shorten it by {}, or move hashtags to `first_comment`",
                    plural(chars - MAX_CAPTION_CHARS, "character")
                )),
            );
        }
        let hashtags = count_tags(caption, '#');
        if hashtags > MAX_HASHTAGS {
            out.push(Problem::new(
                Rule::TooManyHashtags,
                file,
                at,
                format!("the caption has {hashtags} hashtags; Instagram allows {MAX_HASHTAGS}"),
            ));
        }
        let mentions = count_tags(caption, '@');
        if mentions > MAX_MENTIONS {
            out.push(Problem::new(
                Rule::TooManyMentions,
                file,
                at,
                format!("the caption has {mentions} @-mentions; Instagram allows {MAX_MENTIONS}"),
            ));
        }
    }

    // Alt texts.
    let alt_texts = f
        .alt_text
        .as_deref()
        .map(|a| ("/alt_text".to_string(), a))
        .into_iter()
        .chain(
            f.media
                .iter()
                .enumerate()
                .filter_map(|(i, m)| m.alt_text().map(|a| (format!("/media/{i}/alt_text"), a))),
        );
    for (pointer, alt) in alt_texts {
        let chars = alt.chars().count();
        if chars > MAX_ALT_TEXT_CHARS {
            out.push(Problem::new(
                Rule::AltTextTooLong,
                file,
                value(&pointer),
                format!("alt text is {chars} characters; Instagram allows {MAX_ALT_TEXT_CHARS}"),
            ));
        }
    }

    // User tags: positions on images (optional on stories); reels take
    // usernames only.
    let tag_lists = f
        .user_tags
        .iter()
        .map(|t| ("/user_tags".to_string(), t.as_slice()))
        .chain(
            f.media
                .iter()
                .enumerate()
                .map(|(i, m)| (format!("/media/{i}/user_tags"), m.user_tags())),
        );
    for (base, tags) in tag_lists {
        for (i, tag) in tags.iter().enumerate() {
            out.extend(check_tag(file, post, kind, &format!("{base}/{i}"), tag));
        }
    }
    out
}

fn check_tag(
    file: &str,
    post: &Post,
    kind: PostType,
    pointer: &str,
    tag: &UserTag,
) -> Vec<Problem> {
    let mut out = Vec::new();
    if kind == PostType::Reel {
        return out;
    }
    // Stories take a tag without a place (a mention), since 2025-07-09: "x —
    // Required for images, optional for stories" (IG User Media reference).
    let optional = kind == PostType::Story;
    for (axis, v) in [("x", tag.x), ("y", tag.y)] {
        match v {
            Some(v) if !(0.0..=1.0).contains(&v) => out.push(
                Problem::new(
                    Rule::UserTagPosition,
                    file,
                    post.spans.value(&format!("{pointer}/{axis}")),
                    format!(
                        "user tag `{}`: {axis} is {v}, but positions go from 0 to 1",
                        tag.username
                    ),
                )
                .with_help("0 is the left (x) or top (y) edge, 1 the right or bottom"),
            ),
            None if !optional => out.push(Problem::new(
                Rule::UserTagPosition,
                file,
                post.spans.value(pointer),
                format!(
                    "user tag `{}` needs `{axis}` (0 to 1) on an image",
                    tag.username
                ),
            )),
            _ => {}
        }
    }
    out
}

/// "an image", "a reel": the type with its article.
fn a(kind: PostType) -> String {
    match kind {
        PostType::Image => "an image".into(),
        other => format!("a {other}"),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Counts `#tag` or `@name` tokens: the sign at a word start, followed by a
/// letter, digit or underscore (so emails and `#` alone do not count).
pub fn count_tags(text: &str, sign: char) -> usize {
    let mut count = 0;
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == sign
            && !prev.is_some_and(|p| p.is_alphanumeric() || p == '_' || p == sign)
            && chars
                .peek()
                .is_some_and(|n| n.is_alphanumeric() || *n == '_')
        {
            count += 1;
        }
        prev = Some(c);
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_counting() {
        assert_eq!(count_tags("#a #b c#d ##e #", '#'), 2);
        assert_eq!(count_tags("hi @anna and @ben, mail me@example.com", '@'), 2);
        assert_eq!(count_tags("#über #日本", '#'), 2);
    }
}
