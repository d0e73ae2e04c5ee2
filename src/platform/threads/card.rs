//! A post's Threads version as the preview's card shows it: the text
//! counted as Threads counts it (500, an emoji as its UTF-8 bytes), its
//! links and mentions marked, the media with their alt text, and what of
//! the `threads:` options goes out (docs/threads.md).

use super::validate::{link_spans, text_len, MAX_LINKS, MAX_TEXT};
use crate::content::PostType;
use crate::platform::card::{self, Card, Count, Mark, MarkKind};
use crate::validate::ValidPost;

/// The card of `post` (its Threads version).
pub fn card(post: &ValidPost) -> Option<Card> {
    let text = post.post.fields.caption.clone().unwrap_or_default();
    let count = Count {
        used: text_len(&text),
        limit: MAX_TEXT,
        unit: "characters",
    };
    let mut marks: Vec<Mark> = link_spans(&text)
        .into_iter()
        .map(|r| Mark {
            start: r.start,
            end: r.end,
            kind: MarkKind::Link,
        })
        .collect();
    for m in mentions(&text) {
        if !marks.iter().any(|l| m.start < l.end && l.start < m.end) {
            marks.push(m);
        }
    }
    marks.sort_by_key(|m| m.start);

    let mut notes = Vec::new();
    if text_len(&text) != text.chars().count() {
        notes.push("an emoji counts as its UTF-8 bytes toward the 500".to_string());
    }
    let options = super::Options::of(&post.post);
    let mut distinct: Vec<&str> = Vec::new();
    for m in marks.iter().filter(|m| m.kind == MarkKind::Link) {
        let link = &text[m.start..m.end];
        if !distinct.contains(&link) {
            distinct.push(link);
        }
    }
    if let Some(link) = &options.link_attachment {
        if post.kind == PostType::Text {
            notes.push(format!("link attachment: {link}"));
            if !distinct.contains(&link.as_str()) {
                distinct.push(link);
            }
        } else {
            notes.push(format!(
                "link attachment left out: only a text-only post takes one ({link})"
            ));
        }
    }
    if distinct.len() > MAX_LINKS {
        notes.push(format!(
            "{} different links: Threads refuses a post with more than {MAX_LINKS}",
            distinct.len()
        ));
    }
    if let Some(tag) = &options.topic_tag {
        notes.push(format!("topic tag: {tag}"));
    }
    if let Some(who) = options.reply_control {
        notes.push(format!("replies: {}", who.name().replace('_', " ")));
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

/// `@username` (letters, digits, `.` and `_`, as Threads' usernames are
/// Instagram's) at the start of the text or after anything but a
/// username's characters; a trailing `.` ends the sentence, not the name.
fn mentions(text: &str) -> Vec<Mark> {
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_';
    let mut out = Vec::new();
    for (at, c) in text.char_indices() {
        if c != '@' || text[..at].chars().next_back().is_some_and(name_char) {
            continue;
        }
        let rest = &text[at + 1..];
        let len = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
        let name = rest[..len].trim_end_matches('.');
        if !name.is_empty() && name.len() <= 30 {
            out.push(Mark {
                start: at,
                end: at + 1 + name.len(),
                kind: MarkKind::Mention,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Threads version of a text post saying `yaml`'s fields.
    fn post(yaml: &str) -> ValidPost {
        let threads = crate::platform::Platform::named("threads").unwrap();
        ValidPost {
            account: "t".into(),
            ..ValidPost::from_yaml(yaml, threads, PostType::Text)
        }
    }

    fn marked(card: &Card) -> Vec<(&str, MarkKind)> {
        card.marks
            .iter()
            .map(|m| (&card.text[m.start..m.end], m.kind))
            .collect()
    }

    #[test]
    fn the_count_is_threads_own_emoji_as_bytes() {
        let c = card(&post("caption: \"kiln 👍\"\n")).unwrap();
        assert_eq!(c.count.to_string(), "9 / 500 characters");
        assert!(!c.over);
        assert!(c.notes.iter().any(|n| n.contains("UTF-8 bytes")), "{c:?}");
        let long = card(&post(&format!("caption: \"{}\"\n", "é".repeat(501)))).unwrap();
        assert_eq!(long.count.to_string(), "501 / 500 characters");
        assert!(long.over);
        assert!(long.notes.is_empty(), "no emoji: {:?}", long.notes);
    }

    #[test]
    fn links_and_mentions_are_marked_at_their_utf8_bytes() {
        // CJK and an emoji before, inside (the link's path) and after.
        let c = card(&post(
            "caption: \"日本👍 https://a.example/焼き物 と @kiln.co. 🎉\"\n",
        ))
        .unwrap();
        assert_eq!(
            marked(&c),
            [
                ("https://a.example/焼き物", MarkKind::Link),
                ("@kiln.co", MarkKind::Mention)
            ]
        );
        // 日本 is 6 bytes, 👍 4, the space 1.
        assert_eq!(c.marks[0].start, 11);
        assert_eq!(c.marks[0].end, 11 + "https://a.example/焼き物".len());
        // Not a mention: an e-mail address.
        let mail = card(&post("caption: \"write to a@b.example\"\n")).unwrap();
        assert!(mail.marks.is_empty(), "{:?}", mail.marks);
    }

    #[test]
    fn options_show_as_notes_and_too_many_links_are_said() {
        let links: Vec<String> = (0..6).map(|i| format!("https://{i}.example")).collect();
        let c = card(&post(&format!(
            "caption: \"{}\"\nthreads:\n  topic_tag: Ceramics\n  link_attachment: https://kiln.example\n",
            links.join(" ")
        )))
        .unwrap();
        assert_eq!(c.marks.len(), 6);
        assert!(
            c.notes.contains(&"topic tag: Ceramics".to_string()),
            "{c:?}"
        );
        assert!(
            c.notes
                .contains(&"link attachment: https://kiln.example".to_string()),
            "{c:?}"
        );
        assert!(
            c.notes.iter().any(|n| n.starts_with("7 different links")),
            "{c:?}"
        );
    }
}
