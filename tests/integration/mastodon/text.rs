//! What Mastodon's validators measure: the length of a status
//! (StatusLengthValidator) and a poll (PollValidator, messages from
//! config/locales/en.yml `polls.errors`).

use super::api::{invalid, Result};
use super::State;
use serde_json::Value;
use unicode_segmentation::UnicodeSegmentation;

/// StatusLengthValidator: grapheme clusters, every URL as `per_url`
/// characters, `@user@domain` as `@user`.
pub(crate) fn countable_length(text: &str, per_url: usize) -> usize {
    let mut n = 0;
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(len) = url_at(rest) {
            n += per_url;
            rest = &rest[len..];
            continue;
        }
        let boundary_ok = text.len() == rest.len() || {
            let before = &text[..text.len() - rest.len()];
            !before
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '/' || c == '@')
        };
        if boundary_ok {
            if let Some((len, user_len)) = mention_at(rest) {
                n += 1 + user_len;
                rest = &rest[len..];
                continue;
            }
        }
        let g = rest.graphemes(true).next().expect("not empty");
        n += 1;
        rest = &rest[g.len()..];
    }
    n
}

/// The byte length of an `http(s)://host…` URL starting `s`.
fn url_at(s: &str) -> Option<usize> {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let scheme = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return None;
    };
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    let url = s[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'', '"']);
    let host = url[scheme.min(url.len())..].split(['/', '?', '#']).next()?;
    // twitter-text wants a domain with a TLD.
    (host.contains('.') && !host.ends_with('.')).then_some(url.len())
}

/// `@user` or `@user@domain` at the start of `s`: (bytes, user chars).
fn mention_at(s: &str) -> Option<(usize, usize)> {
    let rest = s.strip_prefix('@')?;
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let user_len = rest.find(|c: char| !word(c)).unwrap_or(rest.len());
    if user_len == 0 {
        return None;
    }
    let after = &rest[user_len..];
    let domain_len = after
        .strip_prefix('@')
        .map(|d| {
            let l = d
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                .unwrap_or(d.len());
            d[..l].trim_end_matches(['.', '-']).len()
        })
        .filter(|l| *l > 0)
        .map_or(0, |l| l + 1);
    Some((1 + user_len + domain_len, user_len))
}

/// `poll[options][]`, `poll[expires_in]` (seconds) against the instance's
/// poll configuration (4 options of 50 characters, 5 minutes to a month).
pub(super) fn validate_poll(_st: &State, poll: &Value) -> Result<()> {
    let options: Vec<&str> = poll["options"]
        .as_array()
        .map(|o| o.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let fail = |m: &str| Err(invalid(&format!("Validation failed: {m}")));
    if options.len() < 2 {
        return fail("Poll options must have more than one item");
    }
    if options.len() > 4 {
        return fail("Poll options can't contain more than 4 items");
    }
    if options.iter().any(|o| o.graphemes(true).count() > 50) {
        return fail("Poll options cannot be longer than 50 characters each");
    }
    let mut seen = options.clone();
    seen.sort_unstable();
    seen.dedup();
    if seen.len() != options.len() {
        return fail("Poll options contain duplicate items");
    }
    let expires_in = match &poll["expires_in"] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    match expires_in {
        None => fail("Poll expires at can't be blank"),
        Some(e) if e < 300 => fail("Poll expires at is too soon"),
        Some(e) if e > 2_629_746 => fail("Poll expires at is too far into the future"),
        Some(_) => Ok(()),
    }
}
