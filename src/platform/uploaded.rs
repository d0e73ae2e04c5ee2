//! Rules shared by the platforms that take media as uploaded bytes
//! (Bluesky, Mastodon) rather than fetching them from a URL: a media URL
//! is refused (postwright does not download), and the post's type follows
//! from its media, with no stories.

use crate::content::{Post, PostType};
use crate::diagnostic::{Pos, Problem, Rule};
use crate::validate::preflight::Resolved;

/// A media given as a URL, on `platform` (its title) whose post map is
/// `name:`.
pub fn not_a_file(title: &str, name: &str, rel: &str, at: Pos) -> Problem {
    Problem::new(
        Rule::MediaUrl,
        rel,
        at,
        format!("{title} takes media as uploaded files, and postwright does not download URLs"),
    )
    .with_help(format!(
        "commit the file and write its path, or give {title} its own: `{name}: {{media: […]}}`"
    ))
}

/// The post's type on the platform: text, an image, several (a
/// carousel), or a video (a reel); no stories.
pub fn kind(title: &str, post: &Post, media: &[Resolved], problems: &mut Vec<Problem>) -> PostType {
    let rel = post.file.rel.as_str();
    let f = &post.fields;
    // `media` written but unusable (the schema has said why) is no text post.
    let broken_media = f.media.is_empty() && post.spans.get("/media").is_some();
    match (f.kind, f.media.len()) {
        _ if broken_media => PostType::Image,
        (Some(PostType::Story), _) => {
            problems.push(
                Problem::new(
                    Rule::NotOnPlatform,
                    rel,
                    post.spans.value("/type"),
                    format!("{title} has no stories"),
                )
                .with_help(format!(
                    "leave the {title} account out of `accounts`, or make it an image post"
                )),
            );
            PostType::Story
        }
        (_, 0) => PostType::Text,
        (Some(PostType::Text), _) => {
            problems.push(
                Problem::new(
                    Rule::FieldNotAllowed,
                    rel,
                    post.spans.key("/media"),
                    "`type: text` takes no media",
                )
                .with_help("remove `media`, or drop `type: text`"),
            );
            PostType::Text
        }
        (_, 1) if media.first().is_some_and(|m| m.is_video) => PostType::Reel,
        (_, 1) => PostType::Image,
        _ => PostType::Carousel,
    }
}
