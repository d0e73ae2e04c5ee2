//! A post as a text platform shows it, for the preview: the text as sent,
//! its length in the platform's own unit against its limit, the parts of
//! the text the platform makes live (links, tags, mentions, as UTF-8 byte
//! ranges), the media with their alt text, and what the platform leaves
//! out. A platform builds it ([`super::PlatformSpec::card`]); the preview
//! draws every platform's cards alike, without knowing which it is.

use crate::validate::preflight::Resolved;
use std::fmt;

/// One post's version on a platform that is not on the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// The text exactly as the platform gets it (may be empty).
    pub text: String,
    /// Its length as the platform counts it.
    pub count: Count,
    /// Past a limit of the platform: the count's, or another one a note
    /// names (Bluesky's 3,000 bytes).
    pub over: bool,
    /// The live parts of `text`, in order, none overlapping.
    pub marks: Vec<Mark>,
    /// The media, in the post's order.
    pub media: Vec<Medium>,
    /// What people should know about this version, one line each ("link
    /// card left out: the post has media").
    pub notes: Vec<String>,
}

/// A length against a limit, in a unit people read: `212 / 300 graphemes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub used: usize,
    pub limit: usize,
    /// Plural, for people: `graphemes`, `characters`.
    pub unit: &'static str,
}

impl Count {
    /// Whether the length is past the limit.
    pub fn over(self) -> bool {
        self.used > self.limit
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {} {}", self.used, self.limit, self.unit)
    }
}

/// A live part of the text: bytes `start..end` of [`Card::text`] (end
/// exclusive, on character boundaries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub start: usize,
    pub end: usize,
    pub kind: MarkKind,
}

/// What a live part of the text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    Link,
    Tag,
    Mention,
}

impl MarkKind {
    /// Its name (the preview's CSS class).
    pub fn name(self) -> &'static str {
        match self {
            MarkKind::Link => "link",
            MarkKind::Tag => "tag",
            MarkKind::Mention => "mention",
        }
    }
}

/// A media item of a card, and the alt text the platform gets for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Medium {
    pub item: Resolved,
    /// `None` or empty: the item goes out without a description.
    pub alt: Option<String>,
}

impl Medium {
    /// Whether the item has no description (a screen reader says nothing).
    pub fn alt_missing(&self) -> bool {
        self.alt.as_deref().is_none_or(|a| a.trim().is_empty())
    }
}

/// The marks that can be drawn on `text`: inside it, on character
/// boundaries, not empty, and not overlapping an earlier one; sorted by
/// start. A platform's marks are trusted for content, not for shape: a
/// bad one is left out rather than cut a character in two.
pub fn drawable<'m>(text: &str, marks: &'m [Mark]) -> Vec<&'m Mark> {
    let mut sorted: Vec<&Mark> = marks
        .iter()
        .filter(|m| {
            m.start < m.end
                && m.end <= text.len()
                && text.is_char_boundary(m.start)
                && text.is_char_boundary(m.end)
        })
        .collect();
    sorted.sort_by_key(|m| (m.start, m.end));
    let mut out: Vec<&Mark> = Vec::with_capacity(sorted.len());
    for m in sorted {
        if out.last().is_none_or(|prev| prev.end <= m.start) {
            out.push(m);
        }
    }
    out
}

/// The media of a post's version with the alt text each item gets: its
/// own `alt_text`, else the post's `alt_text` when there is one item
/// (the rule Instagram and Threads apply; Bluesky reads the same fields).
pub fn media(post: &crate::validate::ValidPost) -> Vec<Medium> {
    let f = &post.post.fields;
    let single = post.media.len() == 1;
    post.media
        .iter()
        .enumerate()
        .map(|(i, item)| Medium {
            item: item.clone(),
            alt: f
                .media
                .get(i)
                .and_then(|m| m.alt_text())
                .map(str::to_string)
                .or_else(|| single.then(|| f.alt_text.clone()).flatten()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(start: usize, end: usize) -> Mark {
        Mark {
            start,
            end,
            kind: MarkKind::Link,
        }
    }

    #[test]
    fn a_count_says_used_limit_and_unit_and_when_it_is_over() {
        let c = Count {
            used: 212,
            limit: 300,
            unit: "graphemes",
        };
        assert_eq!(c.to_string(), "212 / 300 graphemes");
        assert!(!c.over());
        assert!(Count { used: 301, ..c }.over());
        assert!(!Count { used: 300, ..c }.over());
    }

    #[test]
    fn only_marks_that_fit_the_text_are_drawn() {
        // "日本 x": 日 is bytes 0..3, 本 3..6.
        let text = "日本 x";
        let marks = [
            mark(7, 8),  // fine: "x"
            mark(0, 3),  // fine: 日
            mark(1, 3),  // inside 日
            mark(2, 5),  // overlaps 日, cuts 本
            mark(3, 3),  // empty
            mark(7, 99), // past the end
            mark(0, 6),  // overlaps the earlier 0..3
        ];
        let drawn: Vec<(usize, usize)> = drawable(text, &marks)
            .iter()
            .map(|m| (m.start, m.end))
            .collect();
        assert_eq!(drawn, [(0, 3), (7, 8)]);
    }

    #[test]
    fn every_platform_has_a_card() {
        // Without a card, a platform off the grid would be missing from
        // the preview altogether, and any platform from the side by side.
        let f = crate::content::named_file("posts/p.yaml", &["posts".to_string()]);
        let crate::content::Load::Post(loaded) =
            crate::content::load_bytes(f, crate::content::Syntax::Yaml, b"caption: hi\n")
        else {
            panic!("not a post");
        };
        let post = crate::content::Post::from_loaded(*loaded).unwrap();
        for platform in super::super::Platform::all() {
            let version = crate::validate::ValidPost {
                post: post.clone(),
                kind: crate::content::PostType::Text,
                account: "a".into(),
                platform,
                publish_at: None,
                media: Vec::new(),
                cover: None,
            };
            let card = platform.spec().card(&version);
            let card = card.unwrap_or_else(|| panic!("{platform} has no card"));
            assert_eq!(card.text, "hi", "{platform}");
            assert_eq!(card.count.used, 2, "{platform}");
        }
    }

    #[test]
    fn an_empty_or_blank_alt_is_missing() {
        let item = Resolved {
            source: crate::validate::preflight::Source::Url("https://x.example/a.jpg".into()),
            is_video: false,
        };
        let with = |alt: Option<&str>| Medium {
            item: item.clone(),
            alt: alt.map(str::to_string),
        };
        assert!(with(None).alt_missing());
        assert!(with(Some("")).alt_missing());
        assert!(with(Some("  ")).alt_missing());
        assert!(!with(Some("a kiln")).alt_missing());
    }
}
