//! The lost-record guard's judgement, apart from any I/O: given the
//! account's newest media, is one of them this post, already live?
//!
//! A twin is adopted (recorded as this post, not posted again) only when it
//! cannot be anything else: the same caption, type and number of media
//! items, and live since the post could first have gone out — its
//! `publish_at`, or the journal's first entry for it. A media with the same
//! caption that fails any of these (live before the post was due, another
//! type, another count, no time known) may still be this post — the record
//! lost and `publish_at` edited since — or a post made by hand in the app:
//! that is a possible twin, and a person decides. Adopting it would
//! swallow a scheduled post; publishing it could post it twice.

use crate::content::PostType;
use crate::platform::LiveMedia;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashSet;

/// Clocks differ: a runner's clock a little ahead of Meta's can see its
/// own publish stamped just before `publish_at`.
const SKEW: SignedDuration = SignedDuration::from_secs(60);

/// What is known of the post the guard looks for.
#[derive(Debug, Clone)]
pub(crate) struct Wanted<'a> {
    /// `None`: the caption is not compared (stories carry none; they are
    /// looked for only with a journal).
    pub caption: Option<&'a str>,
    pub kind: PostType,
    /// The post's media items (0 for a text post).
    pub items: usize,
    /// The earliest instant this post could have gone live: the earlier of
    /// its `publish_at` and the journal's first entry. `None`: no twin can
    /// be proved to be this post.
    pub since: Option<Timestamp>,
    /// Possible twins are looked for back to here (`[api]
    /// adopt_window_hours`); `None`: not at all.
    pub window_start: Option<Timestamp>,
}

/// What the guard found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Twin {
    /// This post, live already: adopt it.
    Sound(LiveMedia),
    /// Maybe this post: hold it for a person, saying why it was not adopted.
    Possible { media: LiveMedia, why: String },
}

/// The first sound twin among `list` (newest first), else the first
/// possible one; media recorded for other posts (`taken`) are never twins.
pub(crate) fn find(list: &[LiveMedia], w: &Wanted<'_>, taken: &HashSet<&str>) -> Option<Twin> {
    let candidates = list
        .iter()
        .filter(|m| !taken.contains(m.id.as_str()) && looks_alike(m, w));
    let mut possible = None;
    for m in candidates {
        match unsound(m, w) {
            None => return Some(Twin::Sound(m.clone())),
            // Without a caption (a story), likeness is the type alone: any
            // story of the day would be a "possible twin". Only a sound one counts.
            Some(why) if possible.is_none() && w.caption.is_some() && in_window(m, w) => {
                possible = Some(Twin::Possible {
                    media: m.clone(),
                    why,
                });
            }
            Some(_) => {}
        }
    }
    possible
}

/// Same caption (or, without one to compare, the same type).
fn looks_alike(m: &LiveMedia, w: &Wanted<'_>) -> bool {
    match w.caption {
        Some(caption) => m.caption.as_deref().unwrap_or("") == caption,
        None => m.kinds.contains(&w.kind),
    }
}

/// Why `m` cannot be proved to be this post; `None` when it is.
fn unsound(m: &LiveMedia, w: &Wanted<'_>) -> Option<String> {
    if !m.kinds.contains(&w.kind) {
        return Some(format!("it is not of type {}", w.kind));
    }
    match m.items {
        Some(n) if n == w.items => {}
        Some(n) => return Some(format!("it has {n} media, this post {}", w.items)),
        None => return Some("its number of media is not known".into()),
    }
    let Some(live) = m.published else {
        return Some("when it went live is not known".into());
    };
    match w.since {
        None => Some("this post has no publish_at or journal entry to compare with".into()),
        Some(since) if live < since - SKEW => Some(format!(
            "it went live {} before this post was due",
            crate::time::until(live, since)
        )),
        Some(_) => None,
    }
}

fn in_window(m: &LiveMedia, w: &Wanted<'_>) -> bool {
    match (w.window_start, m.published) {
        (None, _) => false,
        (Some(start), Some(live)) => live >= start,
        // Live at an unknown time among the newest: say so rather than guess.
        (Some(_), None) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn media(id: &str, caption: &str, at: &str, kind: PostType, items: usize) -> LiveMedia {
        LiveMedia {
            id: id.into(),
            caption: Some(caption.into()),
            permalink: Some(format!("https://www.instagram.com/p/{id}/")),
            timestamp: Some(at.into()),
            published: Some(t(at)),
            comments_enabled: Some(true),
            kinds: vec![kind],
            items: Some(items),
        }
    }

    fn wanted(since: Option<&str>) -> Wanted<'static> {
        Wanted {
            caption: Some("Happy Friday from the studio!"),
            kind: PostType::Image,
            items: 1,
            since: since.map(t),
            window_start: Some(t("2026-12-03T00:00:00Z")),
        }
    }

    const HAPPY: &str = "Happy Friday from the studio!";

    #[test]
    fn a_twin_live_after_publish_at_with_the_same_type_and_count_is_adopted() {
        let m = media("1", HAPPY, "2026-12-04T09:00:30Z", PostType::Image, 1);
        let found = find(
            std::slice::from_ref(&m),
            &wanted(Some("2026-12-04T09:00:00Z")),
            &HashSet::new(),
        );
        assert_eq!(found, Some(Twin::Sound(m)));
    }

    #[test]
    fn a_twin_live_before_publish_at_is_only_a_possible_twin() {
        // The case: made in the app three hours before the file was due.
        let m = media("1", HAPPY, "2026-12-04T06:00:00Z", PostType::Image, 1);
        let found = find(&[m], &wanted(Some("2026-12-04T09:00:00Z")), &HashSet::new());
        let Some(Twin::Possible { why, .. }) = found else {
            panic!("{found:?}")
        };
        assert_eq!(why, "it went live 3 h 0 min before this post was due");
    }

    #[test]
    fn another_type_or_count_or_an_unknown_time_is_only_a_possible_twin() {
        let since = Some("2026-12-04T09:00:00Z");
        let at = "2026-12-04T10:00:00Z";
        let carousel = media("1", HAPPY, at, PostType::Carousel, 3);
        let two = media("2", HAPPY, at, PostType::Image, 2);
        let mut unknown = media("3", HAPPY, at, PostType::Image, 1);
        unknown.published = None;
        for (m, expected) in [
            (carousel, "it is not of type image"),
            (two, "it has 2 media, this post 1"),
            (unknown, "when it went live is not known"),
        ] {
            match find(&[m], &wanted(since), &HashSet::new()) {
                Some(Twin::Possible { why, .. }) => assert_eq!(why, expected),
                other => panic!("{other:?}"),
            }
        }
        let no_bound = media("4", HAPPY, at, PostType::Image, 1);
        assert!(matches!(
            find(&[no_bound], &wanted(None), &HashSet::new()),
            Some(Twin::Possible { .. })
        ));
    }

    #[test]
    fn a_sound_twin_wins_over_a_newer_possible_one_and_old_or_taken_media_are_ignored() {
        let newer = media("new", HAPPY, "2026-12-04T11:00:00Z", PostType::Carousel, 2);
        let sound = media("ok", HAPPY, "2026-12-04T10:00:00Z", PostType::Image, 1);
        let since = wanted(Some("2026-12-04T09:00:00Z"));
        assert_eq!(
            find(&[newer.clone(), sound.clone()], &since, &HashSet::new()),
            Some(Twin::Sound(sound.clone()))
        );
        let taken: HashSet<&str> = ["ok"].into();
        assert!(find(std::slice::from_ref(&sound), &since, &taken).is_none());
        // Last week's post with a reused caption: neither adopted nor held.
        let old = media("old", HAPPY, "2026-11-27T09:00:00Z", PostType::Image, 1);
        assert_eq!(find(&[old], &since, &HashSet::new()), None);
        let other = media(
            "x",
            "Another caption",
            "2026-12-04T10:00:00Z",
            PostType::Image,
            1,
        );
        assert_eq!(find(&[other], &since, &HashSet::new()), None);
    }
}
