//! A status posted exactly once, beyond the `Idempotency-Key`'s hour
//! (docs/mastodon.md, "Exactly once"). The key is the handle apply
//! journals before the post is sent; it carries the post it is for (a hash
//! of its id) and its birth on the server's clock, so a later run that
//! finds it journaled — the answer lost, the run stopped — knows:
//!
//! - younger than [`REUSE_WITHIN`]: send the same key again; the server
//!   answers with the status it made, if it made one, and else makes it;
//! - older: the server has forgotten the key, so the account's statuses
//!   since the key's birth are read for one with the same text and number
//!   of media ([`made_by`]) before the post is sent under a new key.

use super::status::Status;
use jiff::{SignedDuration, Timestamp};
use std::sync::atomic::{AtomicU64, Ordering};

/// Mastodon keeps a key for one hour after the status is made; the key is
/// born before that. Five minutes are left for the clock read from the
/// server's `Date` (seconds) and the time a run takes to send.
pub const REUSE_WITHIN: SignedDuration = SignedDuration::from_mins(55);

/// The server's `created_at` against a key born on the estimate of its
/// clock from a `Date` header: a little slack.
const SKEW: SignedDuration = SignedDuration::from_secs(60);

/// Pages of 40 statuses read back at most: an account posting more than
/// 200 statuses since a lost answer is looked for no further.
pub const PAGES: usize = 5;

/// A key, read back: the post it is for and when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The hash of the post's id ([`post_hash`]).
    pub post: u64,
    /// When the key was made, on the server's clock as estimated then.
    pub born: Timestamp,
}

/// A fresh key for post `post_id`, born `now`: `pw-<id>-<hash>-<born>-<n>`,
/// visible ASCII. The id's visible part is for people reading a log; the
/// hash tells posts apart whose ids differ only in what was dropped; the
/// nanoseconds and a counter keep two keys for one post apart.
pub fn make(post_id: &str, now: Timestamp) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let id: String = post_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_.".contains(*c))
        .take(120)
        .collect();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "pw-{id}-{:016x}-{}-{:x}{n}",
        post_hash(post_id),
        now.as_second(),
        now.subsec_nanosecond()
    )
}

/// Reads a key [`make`] made; `None` for anything else (a key of an
/// older postwright carries no birth: it is not sent again).
pub fn parse(key: &str) -> Option<Key> {
    let rest = key.strip_prefix("pw-")?;
    let mut parts = rest.rsplitn(4, '-');
    let _unique = parts.next()?;
    let born: i64 = parts.next()?.parse().ok()?;
    let hash = parts.next()?;
    let _id = parts.next()?;
    if hash.len() != 16 {
        return None;
    }
    Some(Key {
        post: u64::from_str_radix(hash, 16).ok()?,
        born: Timestamp::from_second(born).ok()?,
    })
}

/// FNV-1a of the post's id: stable across runs and builds (std's hasher
/// is not promised to be).
pub fn post_hash(post_id: &str) -> u64 {
    post_id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether a journaled key born `born` may be sent again at `now`.
pub fn reusable(born: Timestamp, now: Timestamp) -> bool {
    now.duration_since(born) < REUSE_WITHIN
}

/// How far back statuses are read for one made under a key born `born`.
pub fn read_back_from(born: Timestamp) -> Timestamp {
    born.checked_sub(SKEW).unwrap_or(born)
}

/// What the lost status was made of.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    pub text: &'a str,
    pub media: usize,
    pub born: Timestamp,
}

/// The status among `list` that the lost post made: made since the key's
/// birth, with the same number of media and the same text (read back from
/// its HTML, where a mention the server resolved shows as `@user` only);
/// the oldest such, since a first try is what was lost. Ids in `skip`
/// (statuses already recorded for other posts) are never it.
pub fn made_by<'a>(list: &'a [Status], sent: &Sent<'_>, skip: &[String]) -> Option<&'a Status> {
    let want = sent.text.trim();
    let resolved = mentions_resolved(want);
    let since = read_back_from(sent.born);
    list.iter()
        .filter(|s| !skip.contains(&s.id))
        .filter(|s| s.media_ids.len() == sent.media)
        .filter(|s| s.created_at.is_some_and(|t| t >= since))
        .filter(|s| {
            let text = s
                .text
                .clone()
                .unwrap_or_else(|| super::publisher::plain(&s.content));
            let text = text.trim();
            text == want || text == resolved
        })
        .min_by_key(|s| s.created_at)
}

/// `text` as the server shows it once its mentions resolved: each
/// `@user@domain` as `@user`.
fn mentions_resolved(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, entity) in super::text::entities(text) {
        if let super::text::Entity::Mention { counted } = entity {
            out.push_str(&text[at..range.start]);
            out.push_str(&counted);
            at = range.end;
        }
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn keys_are_visible_ascii_unique_and_read_back() {
        let now = t("2026-12-07T12:00:00.5Z");
        let (a, b) = (make("2026/spring-mugs", now), make("2026/spring-mugs", now));
        assert_ne!(a, b);
        assert!(a.starts_with("pw-2026springmugs-"), "{a}");
        assert!(
            a.chars().all(|c| c.is_ascii_graphic()) && a.len() < 256,
            "{a}"
        );
        let k = parse(&a).unwrap();
        assert_eq!(k.born, t("2026-12-07T12:00:00Z"));
        assert_eq!(k.post, post_hash("2026/spring-mugs"));
        // Ids that keep the same visible part are still told apart.
        assert_ne!(post_hash("a/b"), post_hash("ab"));
        // A key of an older postwright (no hash, no birth) is not read.
        assert_eq!(parse("pw-mugs-18a3f-0"), None);
        assert_eq!(parse("something else"), None);
    }

    #[test]
    fn a_key_is_sent_again_only_within_55_minutes() {
        let born = t("2026-12-07T12:00:00Z");
        assert!(reusable(born, t("2026-12-07T12:54:59Z")));
        assert!(!reusable(born, t("2026-12-07T12:55:00Z")));
        assert!(!reusable(born, t("2026-12-07T14:00:00Z")));
    }

    fn status(id: &str, html: &str, media: usize, at: &str) -> Status {
        Status {
            id: id.into(),
            created_at: Some(t(at)),
            content: html.into(),
            text: None,
            url: None,
            spoiler_text: String::new(),
            visibility: None,
            media_ids: (0..media).map(|i| format!("m{i}")).collect(),
        }
    }

    #[test]
    fn the_lost_status_is_the_oldest_with_the_same_text_media_and_time() {
        let sent = Sent {
            text: "Kiln day & more",
            media: 1,
            born: t("2026-12-07T12:00:00Z"),
        };
        let list = [
            status("5", "<p>Kiln day &amp; more</p>", 1, "2026-12-07T12:20:00Z"),
            status("4", "<p>Kiln day &amp; more</p>", 1, "2026-12-07T12:10:00Z"),
            status("3", "<p>Kiln day &amp; more</p>", 2, "2026-12-07T12:05:00Z"),
            status("2", "<p>Other</p>", 1, "2026-12-07T12:04:00Z"),
            status("1", "<p>Kiln day &amp; more</p>", 1, "2026-12-07T11:00:00Z"),
        ];
        assert_eq!(made_by(&list, &sent, &[]).map(|s| s.id.as_str()), Some("4"));
        assert_eq!(
            made_by(&list, &sent, &["4".into()]).map(|s| s.id.as_str()),
            Some("5")
        );
        // A remote mention reads back as `@user`, or as written when the
        // server could not resolve it.
        let hi = Sent {
            text: "Hi @alice@social.example!",
            media: 0,
            born: t("2026-12-07T12:00:00Z"),
        };
        for html in ["<p>Hi <span class=\"h-card\"><a href=\"https://social.example/@alice\" class=\"u-url mention\">@<span>alice</span></a></span>!</p>", "<p>Hi @alice@social.example!</p>"] {
            let found = [status("9", html, 0, "2026-12-07T12:01:00Z")];
            assert!(made_by(&found, &hi, &[]).is_some(), "{html}");
        }
        let other = [status("9", "<p>Hi @bob!</p>", 0, "2026-12-07T12:01:00Z")];
        assert!(made_by(&other, &hi, &[]).is_none());
        // Made before the key: a copy by hand, not this post.
        assert!(made_by(&list[4..], &sent, &[]).is_none());
        assert!(made_by(&list[2..4], &sent, &[]).is_none());
    }
}
