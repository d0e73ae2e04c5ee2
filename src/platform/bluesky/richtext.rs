//! Rich text: the links, hashtags and mentions of a post's text, and the
//! facets that make them live, indexed in UTF-8 bytes (end exclusive) as
//! `app.bsky.richtext.facet` requires.
//!
//! Detection follows the rules of Bluesky's own app (`detectFacets` in
//! `@atproto/api`), so a post reads the same as one typed there:
//! - a link is `http://` or `https://` and the non-space run after it, at
//!   the start of the text or after a space or `(`; one trailing `.,;:!?`
//!   is left out, then one trailing `)` when the link has no `(`;
//! - a hashtag is `#` (or the full-width `＃`) at the start or after a
//!   space, then a run of non-space characters with at least one that is
//!   not a digit or punctuation, its trailing punctuation left out; it may
//!   be 64 graphemes at most; the tag is stored without the `#`;
//! - a mention is `@handle.domain` at the start or after a space or `(`.
//!
//! Differences, on purpose (docs/bluesky.md, "Rich text"): bare domains
//! (`example.com` without a scheme) are not linked, a mention must have a
//! handle's syntax (the app instead checks the last label against the list
//! of top-level domains), and facets that would overlap are dropped (a link
//! wins over a mention, a mention over a tag).
//!
//! A mention needs the account's DID: [`detect`] finds the handles,
//! [`handles`] lists them for resolving, and [`to_facets`] builds the
//! facets with the DIDs found, or names the handles that were not.

use super::punct::is_punctuation;
use super::text::graphemes;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// `maxGraphemes` of a tag (`app.bsky.richtext.facet#tag`).
pub const MAX_TAG_GRAPHEMES: usize = 64;

/// What a part of the text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A URL, complete.
    Link(String),
    /// A hashtag, without its `#`.
    Tag(String),
    /// A handle as written, without its `@`.
    Mention(String),
}

/// A link, tag or mention found in the text, at bytes `start..end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

/// `app.bsky.richtext.facet`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facet {
    pub index: ByteSlice,
    pub features: Vec<Feature>,
}

/// `app.bsky.richtext.facet#byteSlice`: UTF-8 bytes, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ByteSlice {
    pub byte_start: usize,
    pub byte_end: usize,
}

/// A facet's feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "$type")]
pub enum Feature {
    #[serde(rename = "app.bsky.richtext.facet#link")]
    Link { uri: String },
    #[serde(rename = "app.bsky.richtext.facet#mention")]
    Mention { did: String },
    #[serde(rename = "app.bsky.richtext.facet#tag")]
    Tag { tag: String },
}

/// Mentions whose handle did not resolve to a DID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} not found on Bluesky: check the spelling, or write it without the @ ({})", plural(.handles.len()), .handles.iter().map(|h| format!("@{h}")).collect::<Vec<_>>().join(", "))]
pub struct Unresolved {
    /// Lower-cased, in the order of the text, each once.
    pub handles: Vec<String>,
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "a mentioned handle is"
    } else {
        "mentioned handles are"
    }
}

/// JavaScript's `\s` (what the app's patterns split on): Rust's
/// `is_whitespace` differs by U+0085 (not in `\s`) and U+FEFF (in it).
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{B}' | '\u{C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// The invisible characters that end a tag as a space does.
fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{AD}' | '\u{2060}' | '\u{200A}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{20E2}'
    )
}

/// Whether a link, tag or mention may start at byte `at`: at the start of
/// the text, or after a space (or `(` when `paren`), and not inside the
/// previous match of its kind (which ended at `consumed`).
fn may_start(text: &str, at: usize, consumed: usize, paren: bool) -> bool {
    match text[..at].chars().next_back() {
        None => true,
        Some(c) => at - c.len_utf8() >= consumed && (is_space(c) || (paren && c == '(')),
    }
}

/// The links, tags and mentions of `text`, by position, none overlapping.
pub fn detect(text: &str) -> Vec<Found> {
    let mut found = links(text);
    for more in [mentions(text), tags(text)] {
        for f in more {
            if !found.iter().any(|g| f.start < g.end && g.start < f.end) {
                found.push(f);
            }
        }
    }
    found.sort_by_key(|f| f.start);
    found
}

fn links(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut consumed = 0;
    for (at, _) in text.char_indices() {
        if at < consumed || !may_start(text, at, consumed, true) {
            continue;
        }
        let rest = &text[at..];
        let scheme = ["https://", "http://"].into_iter().find(|s| {
            rest.get(..s.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(s))
        });
        let Some(scheme) = scheme else { continue };
        let run = rest.find(is_space).unwrap_or(rest.len());
        if run == scheme.len() {
            continue;
        }
        consumed = at + run;
        let mut uri = &rest[..run];
        if uri.ends_with(['.', ',', ';', ':', '!', '?']) {
            uri = &uri[..uri.len() - 1];
        }
        if uri.ends_with(')') && !uri.contains('(') {
            uri = &uri[..uri.len() - 1];
        }
        if uri.len() > scheme.len() {
            found.push(Found {
                start: at,
                end: at + uri.len(),
                kind: Kind::Link(uri.to_string()),
            });
        }
    }
    found
}

fn mentions(text: &str) -> Vec<Found> {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut found = Vec::new();
    let mut consumed = 0;
    for (at, c) in text.char_indices() {
        if c != '@' || at < consumed || !may_start(text, at, consumed, true) {
            continue;
        }
        let name = at + 1;
        let run = text[name..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
            .map_or(text.len(), |n| name + n);
        // The app's pattern ends the handle at a word boundary, backing off
        // from the end of the run: a trailing `.` or `-` is left out.
        let end = (name + 1..=run)
            .rev()
            .find(|&j| word(text[..j].chars().next_back()) != word(text[j..].chars().next()));
        let Some(end) = end else { continue };
        consumed = end;
        let handle = &text[name..end];
        if is_handle(handle) {
            found.push(Found {
                start: at,
                end,
                kind: Kind::Mention(handle.to_string()),
            });
        }
    }
    found
}

/// A handle's syntax (atproto's: ASCII labels of letters, digits and
/// inner hyphens, at least two, the last starting with a letter), with a
/// top-level domain of two letters or more and not one of the reserved
/// ones a handle may not use (`.test` is allowed, for test servers).
pub fn is_handle(handle: &str) -> bool {
    const RESERVED: [&str; 8] = [
        "local",
        "arpa",
        "invalid",
        "localhost",
        "internal",
        "example",
        "alt",
        "onion",
    ];
    let labels: Vec<&str> = handle.split('.').collect();
    let tld = labels[labels.len() - 1].to_ascii_lowercase();
    handle.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && tld.len() >= 2
        && tld.starts_with(|c: char| c.is_ascii_alphabetic())
        && !RESERVED.contains(&tld.as_str())
}

fn tags(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut consumed = 0;
    for (at, c) in text.char_indices() {
        if !matches!(c, '#' | '＃') || at < consumed || !may_start(text, at, consumed, false) {
            continue;
        }
        let body = at + c.len_utf8();
        consumed = body;
        let rest = &text[body..];
        let run = &rest[..rest
            .find(|c: char| is_space(c) || is_zero_width(c))
            .unwrap_or(rest.len())];
        let meaningful = |c: char| !c.is_ascii_digit() && !is_punctuation(c);
        if run.starts_with('\u{FE0F}') || !run.chars().any(meaningful) {
            continue;
        }
        consumed = body + run.len();
        let tag = run.trim_end_matches(is_punctuation);
        if graphemes(tag) > MAX_TAG_GRAPHEMES {
            continue;
        }
        found.push(Found {
            start: at,
            end: body + tag.len(),
            kind: Kind::Tag(tag.to_string()),
        });
    }
    found
}

/// The handles mentioned, lower-cased (handles are case-insensitive), each
/// once, in the order of the text.
pub fn handles(found: &[Found]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in found {
        if let Kind::Mention(h) = &f.kind {
            let h = h.to_ascii_lowercase();
            if !out.contains(&h) {
                out.push(h);
            }
        }
    }
    out
}

/// The facets of `found`, with each mention's DID from `dids` (keyed by
/// lower-cased handle); the handles missing from it, if any.
pub fn to_facets(
    found: &[Found],
    dids: &HashMap<String, String>,
) -> Result<Vec<Facet>, Unresolved> {
    let mut missing = Vec::new();
    let mut facets = Vec::new();
    for f in found {
        let feature = match &f.kind {
            Kind::Link(uri) => Feature::Link { uri: uri.clone() },
            Kind::Tag(tag) => Feature::Tag { tag: tag.clone() },
            Kind::Mention(handle) => {
                let handle = handle.to_ascii_lowercase();
                match dids.get(&handle) {
                    Some(did) => Feature::Mention { did: did.clone() },
                    None => {
                        if !missing.contains(&handle) {
                            missing.push(handle);
                        }
                        continue;
                    }
                }
            }
        };
        facets.push(Facet {
            index: ByteSlice {
                byte_start: f.start,
                byte_end: f.end,
            },
            features: vec![feature],
        });
    }
    if missing.is_empty() {
        Ok(facets)
    } else {
        Err(Unresolved { handles: missing })
    }
}

#[cfg(test)]
#[path = "richtext_tests.rs"]
mod tests;
