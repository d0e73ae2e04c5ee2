//! A status's length as a Mastodon server counts it (its
//! `StatusLengthValidator`): the content warning as written plus the text
//! with every `http(s)://` URL counted as `characters_reserved_per_url`
//! (23) and every mention `@user@domain` as `@user` only, all in extended
//! grapheme clusters (Ruby's `grapheme_length`), against
//! `max_characters`. Facts and links: docs/mastodon.md ("Text").
//!
//! The server finds URLs with twitter-text's extractor, which also checks
//! the top-level domain; here a URL is `http://` or `https://` followed by
//! a host and anything up to whitespace, less trailing punctuation. The
//! two differ only on malformed URLs, which a post file should not hold.

use super::instance::InstanceLimits;
use std::ops::Range;
use unicode_segmentation::UnicodeSegmentation;

/// What in a text counts differently from its characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entity {
    Url,
    /// A mention; `counted` is the `@user` part that counts.
    Mention {
        counted: String,
    },
}

/// A status's count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Length {
    /// What the server compares with `max_characters`.
    pub counted: usize,
    pub urls: usize,
    pub mentions: usize,
}

/// A status over the server's limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the status counts {counted} characters as Mastodon counts them ({urls} URL(s) at {per_url} each, mentions as @user, the content warning included); the instance allows {max}: shorten it by {over}")]
pub struct TooLong {
    pub counted: usize,
    pub max: usize,
    pub over: usize,
    pub urls: usize,
    pub per_url: usize,
}

/// The URLs and mentions of `text`, by byte range, in order; a mention
/// inside a URL is part of the URL.
pub fn entities(text: &str) -> Vec<(Range<usize>, Entity)> {
    let mut found: Vec<(Range<usize>, Entity)> =
        urls(text).into_iter().map(|r| (r, Entity::Url)).collect();
    for (range, counted) in mentions(text) {
        let overlaps = found
            .iter()
            .any(|(r, _)| range.start < r.end && r.start < range.end);
        if !overlaps {
            found.push((range, Entity::Mention { counted }));
        }
    }
    found.sort_by_key(|(r, _)| r.start);
    found
}

/// `text` and `spoiler_text` counted as the server counts them.
pub fn length(text: &str, spoiler_text: &str, per_url: usize) -> Length {
    let mut counted = spoiler_text.graphemes(true).count();
    let (mut urls, mut mentions, mut at) = (0, 0, 0);
    for (range, entity) in entities(text) {
        counted += text[at..range.start].graphemes(true).count();
        match entity {
            Entity::Url => {
                urls += 1;
                counted += per_url;
            }
            Entity::Mention { counted: user } => {
                mentions += 1;
                counted += user.graphemes(true).count();
            }
        }
        at = range.end;
    }
    counted += text[at..].graphemes(true).count();
    Length {
        counted,
        urls,
        mentions,
    }
}

/// Whether the status fits the instance's `max_characters`.
pub fn check(text: &str, spoiler_text: &str, limits: &InstanceLimits) -> Result<Length, TooLong> {
    let per_url = limits.characters_reserved_per_url;
    let length = length(text, spoiler_text, per_url);
    if length.counted <= limits.max_characters {
        return Ok(length);
    }
    Err(TooLong {
        counted: length.counted,
        max: limits.max_characters,
        over: length.counted - limits.max_characters,
        urls: length.urls,
        per_url,
    })
}

/// Byte ranges of `http(s)://` URLs.
fn urls(text: &str) -> Vec<Range<usize>> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("http").map(|p| p + from) {
        from = pos + 4;
        let scheme = if lower[pos..].starts_with("https://") {
            8
        } else if lower[pos..].starts_with("http://") {
            7
        } else {
            continue;
        };
        // `xhttp://` is not a URL; `(https://` and `"https://` are.
        let before = text[..pos].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '@' || c == '/') {
            continue;
        }
        let end = pos
            + text[pos..]
                .find(char::is_whitespace)
                .unwrap_or(text.len() - pos);
        let end = trim_url_end(text, pos, end);
        let host_start = pos + scheme;
        let host_ok = text[host_start..end]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric);
        if host_ok {
            found.push(pos..end);
            from = end;
        }
    }
    found
}

/// Trailing punctuation belongs to the sentence, and a `)` to the URL
/// only when the URL opened one (`https://en.wikipedia.org/wiki/X_(Y)`).
fn trim_url_end(text: &str, start: usize, mut end: usize) -> usize {
    loop {
        let Some(last) = text[start..end].chars().next_back() else {
            return end;
        };
        let trim = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '’' | '”' | ']' | '>' => true,
            ')' => {
                let url = &text[start..end];
                url.matches('(').count() < url.matches(')').count()
            }
            _ => false,
        };
        if !trim {
            return end;
        }
        end -= last.len_utf8();
    }
}

/// Byte ranges of mentions (`@user` or `@user@domain`) and the `@user`
/// that counts, after Mastodon's `Account::MENTION_RE`: not after a word
/// character, `=` or `/`; a username of word characters, dots and dashes
/// inside; a domain of word characters, dots and dashes ending in a word
/// character.
fn mentions(text: &str) -> Vec<(Range<usize>, String)> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| word(c) || c == '=' || c == '/' || c == '@') {
            continue;
        }
        let user_end = run_end(text, at + 1, |c| c.is_ascii_alphanumeric() || c == '_');
        if user_end == at + 1 {
            continue;
        }
        let mut end = user_end;
        if text[user_end..].starts_with('@') {
            let domain_end = run_end(text, user_end + 1, word);
            if domain_end > user_end + 1 {
                end = domain_end;
            }
        }
        found.push((at..end, text[at..user_end].to_string()));
    }
    found
}

/// Where a run of `allowed` characters, dots and dashes starting at
/// `from` ends, less trailing dots and dashes (`a.b-c.` ends before the
/// last dot); `from` when it does not start with an allowed character.
fn run_end(text: &str, from: usize, allowed: impl Fn(char) -> bool) -> usize {
    let mut end = from;
    for (i, c) in text[from..].char_indices() {
        if allowed(c) {
            end = from + i + c.len_utf8();
        } else if !(end > from && (c == '.' || c == '-')) {
            break;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(text: &str) -> usize {
        length(text, "", 23).counted
    }

    #[test]
    fn plain_text_counts_graphemes() {
        assert_eq!(counted("hello"), 5);
        assert_eq!(counted("héllo"), 5);
        assert_eq!(counted("e\u{301}"), 1, "a combining accent is one");
        assert_eq!(counted("👨‍👩‍👧‍👦"), 1, "a family emoji is one cluster");
        assert_eq!(counted("🇫🇷"), 1);
        assert_eq!(counted("日本語"), 3);
        assert_eq!(counted(""), 0);
    }

    #[test]
    fn every_url_counts_23() {
        let long = format!("https://example.com/{}", "a".repeat(200));
        assert_eq!(counted(&long), 23);
        assert_eq!(counted("see http://x.io"), 4 + 23);
        assert_eq!(counted("(https://example.com/a)."), 1 + 23 + 2);
        assert_eq!(
            counted("https://en.wikipedia.org/wiki/Rust_(programming_language)"),
            23
        );
        assert_eq!(counted("HTTPS://EXAMPLE.COM"), 23);
        let two = length("a https://a.io b https://b.io/x?y=1#z", "", 23);
        assert_eq!((two.counted, two.urls), (2 + 3 + 46, 2));
        assert_eq!(length("https://a.io", "", 30).counted, 30);
    }

    #[test]
    fn what_is_not_a_url_counts_in_full() {
        assert_eq!(counted("example.com"), 11, "no scheme: counted as text");
        assert_eq!(counted("https://"), 8);
        assert_eq!(counted("xhttps://a.io"), 13);
        assert_eq!(counted("ftp://a.io"), 10);
    }

    #[test]
    fn a_mention_counts_its_username() {
        assert_eq!(counted("@alice@mastodon.social"), 6);
        assert_eq!(counted("hi @alice@mastodon.social!"), 3 + 6 + 1);
        assert_eq!(counted("@alice"), 6);
        assert_eq!(
            counted("@al.ice@x.example."),
            7 + 1,
            "the trailing dot is text"
        );
        assert_eq!(
            counted("mail me: bob@example.com"),
            24,
            "an address is not a mention"
        );
        let l = length("@a@b.c and @d@e.f", "", 23);
        assert_eq!((l.counted, l.mentions), (2 + 5 + 2, 2));
        // A profile URL holding an @ is one URL, not a mention.
        assert_eq!(counted("https://mastodon.social/@alice@other.example"), 23);
    }

    #[test]
    fn the_content_warning_counts_as_written() {
        let l = length("body", "CW: https://a.io", 23);
        assert_eq!(l.counted, 4 + 16);
    }

    #[test]
    fn the_limit_comes_from_the_instance() {
        let limits = InstanceLimits::default();
        let at_limit = format!("{} https://example.com/long/path", "a".repeat(476));
        assert_eq!(check(&at_limit, "", &limits).unwrap().counted, 500);
        let over = format!("{at_limit}!");
        let e = check(&over, "", &limits).unwrap_err();
        assert_eq!((e.counted, e.max, e.over), (501, 500, 1));
        assert!(e.to_string().contains("23 each"), "{e}");
        let big = InstanceLimits {
            max_characters: 5000,
            ..InstanceLimits::default()
        };
        assert!(check(&over, "", &big).is_ok());
    }
}
