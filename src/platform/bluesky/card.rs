//! A post's Bluesky version as the preview's card shows it: the text
//! counted in graphemes as Bluesky counts them (and its bytes when they
//! are the limit passed), the facets it will carry marked at their UTF-8
//! byte ranges, the images with their alt text, and what the `bluesky:`
//! map adds or the record leaves out (docs/bluesky.md, "Text", "Rich
//! text", "Embeds").

use super::richtext::{detect, Kind};
use super::text::{self, TextProblem};
use crate::platform::card::{self, Card, Count, Mark, MarkKind};
use crate::validate::ValidPost;
use serde_json::Value;

/// The card of `post` (its Bluesky version: the `bluesky:` caption and
/// media already in its fields).
pub fn card(post: &ValidPost) -> Option<Card> {
    let text = post.post.fields.caption.clone().unwrap_or_default();
    let count = Count {
        used: text::graphemes(&text),
        limit: text::MAX_GRAPHEMES,
        unit: "graphemes",
    };
    let problems = text::check(&text);
    let mut notes: Vec<String> = problems
        .iter()
        .filter(|p| matches!(p, TextProblem::TooManyBytes { .. }))
        .map(ToString::to_string)
        .collect();
    let marks = detect(&text)
        .into_iter()
        .map(|f| Mark {
            start: f.start,
            end: f.end,
            kind: match f.kind {
                Kind::Link(_) => MarkKind::Link,
                Kind::Tag(_) => MarkKind::Tag,
                Kind::Mention(_) => MarkKind::Mention,
            },
        })
        .collect::<Vec<_>>();
    if marks.iter().any(|m| m.kind == MarkKind::Mention) {
        notes.push("mentions become links once apply finds each handle on Bluesky".into());
    }
    let media = card::media(post);
    notes.extend(options_notes(post, !media.is_empty()));
    Some(Card {
        over: !problems.is_empty(),
        text,
        count,
        marks,
        media,
        notes,
    })
}

/// What the post's `bluesky:` map says beside caption and media, read as
/// written (validate has checked its shape): the link card (left out when
/// the post has media: a record embeds one thing), languages, labels.
fn options_notes(post: &ValidPost, has_media: bool) -> Vec<String> {
    let Some(options) = post
        .post
        .fields
        .overrides(post.platform)
        .map(|o| &o.options)
    else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    if let Some(link) = options.get("link") {
        let url = link.get("url").and_then(Value::as_str).unwrap_or("");
        if has_media {
            notes.push(format!(
                "link card left out: a post with media embeds the media ({url})"
            ));
        } else {
            let title = link.get("title").and_then(Value::as_str).unwrap_or("");
            notes.push(format!("link card: {title} ({url})"));
        }
    }
    for (key, what) in [("langs", "languages"), ("labels", "labels")] {
        let words: Vec<&str> = options
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !words.is_empty() {
            notes.push(format!("{what}: {}", words.join(", ")));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::PostType;
    use crate::validate::preflight::{Resolved, Source};

    /// A post saying `yaml`, as a target on the first registered platform
    /// (the map's options are read under the target's platform, so the
    /// tests use that platform's name for the map).
    fn post(yaml: &str, media: Vec<Resolved>) -> ValidPost {
        ValidPost {
            account: "b".into(),
            media,
            ..ValidPost::from_yaml(yaml, crate::platform::Platform::default(), PostType::Text)
        }
    }

    fn text_post(caption: &str) -> ValidPost {
        let yaml = format!("caption: {}\n", serde_json::to_string(caption).unwrap());
        post(&yaml, Vec::new())
    }

    fn marked(card: &Card) -> Vec<(&str, MarkKind)> {
        card.marks
            .iter()
            .map(|m| (&card.text[m.start..m.end], m.kind))
            .collect()
    }

    #[test]
    fn graphemes_are_counted_as_bluesky_counts_them() {
        // A ZWJ family, a flag, a skin tone, e + combining acute: 4.
        let c = card(&text_post("👨\u{200D}👩\u{200D}👧🇫🇷👍🏽e\u{301}")).unwrap();
        assert_eq!(c.count.to_string(), "4 / 300 graphemes");
        assert!(!c.over);
        let long = card(&text_post(&"a".repeat(301))).unwrap();
        assert_eq!(long.count.to_string(), "301 / 300 graphemes");
        assert!(long.over);
        // 300 families fit the graphemes but not the bytes: over, and said.
        let bytes = card(&text_post(&"👨\u{200D}👩\u{200D}👧\u{200D}👦".repeat(300))).unwrap();
        assert!(!bytes.count.over());
        assert!(bytes.over);
        assert!(
            bytes.notes.iter().any(|n| n.contains("7500 bytes")),
            "{bytes:?}"
        );
    }

    #[test]
    fn facets_are_marked_at_utf8_bytes_with_emoji_and_cjk_around_and_inside() {
        let text = "焼き物🔥 https://kiln.example/日本?q=👍 #陶芸 e\u{301} @alice.test 🎉";
        let c = card(&text_post(text)).unwrap();
        assert_eq!(
            marked(&c),
            [
                ("https://kiln.example/日本?q=👍", MarkKind::Link),
                ("#陶芸", MarkKind::Tag),
                ("@alice.test", MarkKind::Mention),
            ]
        );
        // Counted independently: 焼き物 9 bytes, 🔥 4, a space.
        let link = "https://kiln.example/日本?q=👍";
        assert_eq!((c.marks[0].start, c.marks[0].end), (14, 14 + link.len()));
        let tag = text.find("#陶芸").unwrap();
        assert_eq!((c.marks[1].start, c.marks[1].end), (tag, tag + 7));
        let at = text.find('@').unwrap();
        assert_eq!(c.marks[2].end, at + "@alice.test".len());
        assert!(c.notes.iter().any(|n| n.contains("mentions")), "{c:?}");
    }

    #[test]
    fn a_link_card_with_media_is_said_to_be_left_out() {
        let name = crate::platform::Platform::default().name();
        let yaml = format!(
            "caption: hi\n{name}:\n  link: {{url: \"https://kiln.example\", title: Kiln}}\n  langs: [en, ja]\n"
        );
        let plain = card(&post(&yaml, Vec::new())).unwrap();
        assert!(
            plain
                .notes
                .contains(&"link card: Kiln (https://kiln.example)".to_string()),
            "{plain:?}"
        );
        assert!(plain.notes.contains(&"languages: en, ja".to_string()));
        let image = Resolved {
            source: Source::Url("https://cdn.example/a.jpg".into()),
            is_video: false,
        };
        let with_media = card(&post(&yaml, vec![image])).unwrap();
        assert!(
            with_media.notes[0].starts_with("link card left out"),
            "{with_media:?}"
        );
        assert_eq!(with_media.media.len(), 1);
        assert!(with_media.media[0].alt_missing());
    }
}
