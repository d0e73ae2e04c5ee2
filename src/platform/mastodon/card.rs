//! A post's Mastodon version as the preview's card shows it: the text
//! counted as the server counts it (URLs at 23, mentions as `@user`, the
//! content warning included) against Mastodon's default limit, its URLs
//! and mentions marked, the media with their alt text, and the
//! `mastodon:` options (docs/mastodon.md, "Text").

use super::text::{self, Entity};
use super::{InstanceLimits, PostOptions};
use crate::platform::card::{self, Card, Count, Mark, MarkKind};
use crate::validate::ValidPost;

/// The card of `post` (its Mastodon version: the `mastodon:` caption and
/// media already in its fields).
pub fn card(post: &ValidPost) -> Option<Card> {
    let text = post.post.fields.caption.clone().unwrap_or_default();
    let options = PostOptions::of(&post.post);
    let limits = InstanceLimits::default();
    let length = text::length(
        &text,
        &options.spoiler_text,
        limits.characters_reserved_per_url,
    );
    let count = Count {
        used: length.counted,
        limit: limits.max_characters,
        unit: "characters",
    };
    let marks = text::entities(&text)
        .into_iter()
        .map(|(range, entity)| Mark {
            start: range.start,
            end: range.end,
            kind: match entity {
                Entity::Url => MarkKind::Link,
                Entity::Mention { .. } => MarkKind::Mention,
            },
        })
        .collect();
    let mut notes = Vec::new();
    if !options.spoiler_text.is_empty() {
        notes.push(format!("content warning: {}", options.spoiler_text));
    }
    if let Some(v) = options.visibility {
        notes.push(format!("visibility: {}", v.as_str()));
    }
    if options.sensitive {
        notes.push("media marked sensitive".into());
    }
    Some(Card {
        over: count.over(),
        text,
        count,
        marks,
        media: card::media(post),
        notes,
    })
}
