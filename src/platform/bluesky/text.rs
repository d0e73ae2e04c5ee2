//! A post's text as Bluesky measures it: the lexicon caps `text` at 300
//! graphemes and 3,000 bytes of UTF-8, and its app counts graphemes as
//! extended grapheme clusters (UAX #29) — one emoji with skin tone, one
//! ZWJ family, one flag, one letter with its combining marks each count
//! one. Facts and links: docs/bluesky.md ("Text").

use unicode_segmentation::UnicodeSegmentation;

/// `maxGraphemes` of `app.bsky.feed.post#text`.
pub const MAX_GRAPHEMES: usize = 300;
/// `maxLength` of `app.bsky.feed.post#text`: UTF-8 bytes.
pub const MAX_BYTES: usize = 3000;

/// Extended grapheme clusters in `text`, as Bluesky counts them.
pub fn graphemes(text: &str) -> usize {
    text.graphemes(true).count()
}

/// UTF-8 bytes of `text` (what facets index and `maxLength` counts).
pub fn bytes(text: &str) -> usize {
    text.len()
}

/// A limit of the post text that a text goes past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// More graphemes than `limit`: `count` of them.
    TooManyGraphemes { count: usize, limit: usize },
    /// More UTF-8 bytes than `limit`: `count` of them.
    TooManyBytes { count: usize, limit: usize },
}

impl TextProblem {
    /// By how much the text is over.
    pub fn over(self) -> usize {
        match self {
            TextProblem::TooManyGraphemes { count, limit }
            | TextProblem::TooManyBytes { count, limit } => count - limit,
        }
    }
}

impl std::fmt::Display for TextProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            TextProblem::TooManyGraphemes { count, limit } => write!(
                f,
                "the text is {count} graphemes (characters as Bluesky counts them), {} over Bluesky's {limit}: shorten it",
                count - limit
            ),
            TextProblem::TooManyBytes { count, limit } => write!(
                f,
                "the text is {count} bytes of UTF-8, {} over Bluesky's {limit}: shorten it",
                count - limit
            ),
        }
    }
}

/// The limits of a post's text that `text` goes past (none: it fits).
pub fn check(text: &str) -> Vec<TextProblem> {
    let mut problems = Vec::new();
    let count = graphemes(text);
    if count > MAX_GRAPHEMES {
        problems.push(TextProblem::TooManyGraphemes {
            count,
            limit: MAX_GRAPHEMES,
        });
    }
    let count = bytes(text);
    if count > MAX_BYTES {
        problems.push(TextProblem::TooManyBytes {
            count,
            limit: MAX_BYTES,
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_count_one_each() {
        assert_eq!(graphemes(""), 0);
        assert_eq!(graphemes("abc"), 3);
        // Family by zero-width joiners: 7 code points, 25 bytes.
        let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
        assert_eq!(family.chars().count(), 7);
        assert_eq!(graphemes(family), 1);
        assert_eq!(bytes(family), 25);
        // A flag is two regional indicators.
        assert_eq!(graphemes("🇫🇷🇯🇵"), 2);
        // Skin tone modifier.
        assert_eq!(graphemes("👍🏽"), 1);
        // e + combining acute, and a Hangul syllable in jamo.
        assert_eq!(graphemes("e\u{301}"), 1);
        assert_eq!(graphemes("\u{1100}\u{1161}\u{11A8}"), 1);
        assert_eq!(graphemes("日本語"), 3);
        assert_eq!(bytes("日本語"), 9);
        // CRLF is one cluster.
        assert_eq!(graphemes("a\r\nb"), 3);
    }

    #[test]
    fn at_the_limits_fits_and_one_more_does_not() {
        assert!(check(&"a".repeat(MAX_GRAPHEMES)).is_empty());
        let problems = check(&"a".repeat(MAX_GRAPHEMES + 1));
        assert_eq!(
            problems,
            vec![TextProblem::TooManyGraphemes {
                count: 301,
                limit: 300
            }]
        );
        assert_eq!(problems[0].over(), 1);
        // 300 families: 300 graphemes but 7,500 bytes.
        let families = "👨\u{200D}👩\u{200D}👧\u{200D}👦".repeat(300);
        assert_eq!(
            check(&families),
            vec![TextProblem::TooManyBytes {
                count: 7500,
                limit: 3000
            }]
        );
        // Both at once.
        let both = check(&"日".repeat(1001));
        assert_eq!(both.len(), 2);
        assert_eq!(both[0].over(), 701);
        assert_eq!(both[1].over(), 3);
        assert!(both[1].to_string().contains("3003 bytes"), "{}", both[1]);
        assert!(both[0].to_string().contains("701 over"), "{}", both[0]);
    }
}
