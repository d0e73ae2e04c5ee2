//! Drift: what the live account says against what the record says
//! (`plan --refresh`, `status --refresh`). Argo CD's "OutOfSync", for a
//! feed: a post deleted in the app, a caption edited there, comments turned
//! off or on there, a post published outside postwright.
//!
//! Drift is reported, never "fixed" by publishing again: a post deleted in
//! the app stays deleted (publishing it again is a person's decision: give
//! the file a new `id`), an edited caption stays as edited (the API cannot
//! edit captions), and a post made in the app is brought in with `import`.
//! Comments toggled in the app are left as they are too: the drift says how
//! to make the file and the post agree.
//!
//! A pure function of the record and the live listing, so every platform's
//! listing is judged alike.

use crate::content::PostType;
use crate::platform::LiveMedia;
use crate::state::{State, Status};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One difference between the record and the live account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "drift", rename_all = "kebab-case")]
pub enum Drift {
    /// Recorded as published; not on the account any more.
    Deleted {
        id: String,
        account: String,
        file: String,
        media_id: String,
    },
    /// Its caption on the account is not the one published.
    CaptionEdited {
        id: String,
        account: String,
        file: String,
        media_id: String,
        /// The live caption's first line.
        live: String,
    },
    /// Comments were turned on or off in the app.
    Comments {
        id: String,
        account: String,
        file: String,
        media_id: String,
        recorded: bool,
        live: bool,
    },
    /// On the account, in no record: made in the app, or by another tool.
    Outside {
        account: String,
        media_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        permalink: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        published: Option<Timestamp>,
        /// The caption's first line.
        caption: String,
        /// The command that brings it in.
        import: String,
    },
}

impl Drift {
    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            Drift::Deleted { file, media_id, .. } => format!(
                "{file}: deleted in the app (media {media_id}); not published again — give the post a new `id` to publish it anew"
            ),
            Drift::CaptionEdited { file, live, .. } => format!(
                "{file}: caption edited in the app (now \"{live}\"); the API cannot edit captions, so the file and the post differ until one is changed by hand"
            ),
            Drift::Comments {
                file,
                recorded,
                live,
                ..
            } => format!(
                "{file}: comments turned {} in the app (postwright set them {}); apply leaves them so: turn them {} again in the app, or write `comments: {}` in the file to keep them {}",
                on_off(*live),
                on_off(*recorded),
                on_off(*recorded),
                live,
                on_off(*live)
            ),
            Drift::Outside {
                media_id,
                caption,
                import,
                ..
            } => format!(
                "media {media_id} (\"{caption}\") was published outside postwright; bring it in with `{import}`"
            ),
        }
    }
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// What one account's listing covers: every live post since `since`
/// (`None`: the whole account).
#[derive(Debug, Clone, Copy)]
pub struct Listing<'a> {
    pub account: &'a str,
    pub live: &'a [LiveMedia],
    pub since: Option<Timestamp>,
}

/// The drift of one account: the record's published posts the listing
/// covers against the listing.
pub fn compare(state: &State, listing: Listing<'_>) -> Vec<Drift> {
    let account = listing.account;
    let covered = |t: Option<Timestamp>| match (listing.since, t) {
        (None, _) => true,
        (Some(since), Some(t)) => t >= since,
        (Some(_), None) => false,
    };
    let mut out = Vec::new();
    let mut recorded: HashSet<&str> = HashSet::new();
    // One index of the listing: a lookup per record, not a scan.
    let by_id: HashMap<&str, &LiveMedia> =
        listing.live.iter().map(|m| (m.id.as_str(), m)).collect();
    for (id, r) in state.records() {
        if r.account != account {
            continue;
        }
        let Some(media_id) = r.media_id.as_deref() else {
            continue;
        };
        recorded.insert(media_id);
        if r.status != Status::Published {
            continue;
        }
        let base = (id.to_string(), r.account.clone(), r.file.clone());
        let Some(m) = by_id.get(media_id).copied() else {
            // Stories leave by themselves after a day: not drift.
            if r.kind != PostType::Story && covered(r.published_at) {
                out.push(Drift::Deleted {
                    id: base.0,
                    account: base.1,
                    file: base.2,
                    media_id: media_id.to_string(),
                });
            }
            continue;
        };
        let live_hash = crate::plan::hash::caption(m.caption.as_deref());
        if r.kind != PostType::Story && r.caption_hash.as_ref().is_some_and(|h| *h != live_hash) {
            out.push(Drift::CaptionEdited {
                id: base.0.clone(),
                account: base.1.clone(),
                file: base.2.clone(),
                media_id: media_id.to_string(),
                live: first_line(m.caption.as_deref()),
            });
        }
        if let (Some(rec), Some(live)) = (r.comments_enabled, m.comments_enabled) {
            if rec != live {
                out.push(Drift::Comments {
                    id: base.0,
                    account: base.1,
                    file: base.2,
                    media_id: media_id.to_string(),
                    recorded: rec,
                    live,
                });
            }
        }
    }
    for m in listing.live {
        if recorded.contains(m.id.as_str()) {
            continue;
        }
        let since = m
            .published
            .map(|t| format!(" --since {}", t.strftime("%Y-%m-%d")))
            .unwrap_or_default();
        out.push(Drift::Outside {
            account: account.to_string(),
            media_id: m.id.clone(),
            permalink: m.permalink.clone(),
            published: m.published,
            caption: first_line(m.caption.as_deref()),
            import: format!("postwright import --account {account}{since}"),
        });
    }
    out
}

/// A caption's first non-blank line, at most `max` characters (an
/// ellipsis when cut): how drift and the live snapshot name a post.
pub(crate) fn first_line_of(caption: Option<&str>, max: usize) -> String {
    let line = caption
        .unwrap_or("")
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let mut short: String = line.chars().take(max).collect();
    if line.chars().count() > max {
        short.push('…');
    }
    short
}

fn first_line(caption: Option<&str>) -> String {
    first_line_of(caption, 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Record;

    fn live(id: &str, caption: &str, at: &str, comments: bool) -> LiveMedia {
        LiveMedia {
            id: id.into(),
            caption: Some(caption.into()),
            permalink: Some(format!("https://www.instagram.com/p/{id}/")),
            timestamp: Some(at.into()),
            published: at.parse().ok(),
            comments_enabled: Some(comments),
            kinds: vec![PostType::Image],
            items: Some(1),
        }
    }

    fn published(state: &mut State, id: &str, media: &str, caption: &str, at: &str) {
        let mut r = Record::new(
            Status::Published,
            &format!("posts/{id}.md"),
            "kiln",
            PostType::Image,
            "h",
        );
        r.media_id = Some(media.into());
        r.caption_hash = Some(crate::plan::hash::caption(Some(caption)));
        r.published_at = at.parse().ok();
        r.comments_enabled = Some(true);
        state.insert(id, r);
    }

    #[test]
    fn deleted_edited_toggled_and_outside_posts_are_each_said() {
        let mut state = State::default();
        published(&mut state, "same", "1", "Same.", "2026-12-01T09:00:00Z");
        published(&mut state, "gone", "2", "Gone.", "2026-12-02T09:00:00Z");
        published(&mut state, "edited", "3", "Before.", "2026-12-03T09:00:00Z");
        published(&mut state, "quiet", "4", "Quiet.", "2026-12-04T09:00:00Z");
        // Published before what the listing covers: not judged.
        published(&mut state, "old", "0", "Old.", "2025-01-01T09:00:00Z");
        let list = [
            live(
                "9",
                "Made in the app\nsecond line",
                "2026-12-05T09:00:00Z",
                true,
            ),
            live("4", "Quiet.", "2026-12-04T09:00:00Z", false),
            live("3", "After.", "2026-12-03T09:00:00Z", true),
            live("1", "Same.", "2026-12-01T09:00:00Z", true),
        ];
        let drift = compare(
            &state,
            Listing {
                account: "kiln",
                live: &list,
                since: "2026-11-01T00:00:00Z".parse().ok(),
            },
        );
        let kinds: Vec<(String, String)> = drift
            .iter()
            .map(|d| {
                let v = serde_json::to_value(d).unwrap();
                (
                    v["drift"].as_str().unwrap().to_string(),
                    v["media_id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want = [
            ("caption-edited", "3"),
            ("deleted", "2"),
            ("comments", "4"),
            ("outside", "9"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(kinds, want);
        let outside = drift.last().unwrap().describe();
        assert!(
            outside.contains("postwright import --account kiln --since 2026-12-05")
                && outside.contains("\"Made in the app\""),
            "{outside}"
        );
        assert!(drift[1].describe().contains("give the post a new `id`"));
    }

    #[test]
    fn expired_stories_and_other_accounts_are_not_drift() {
        let mut state = State::default();
        let mut r = Record::new(
            Status::Published,
            "posts/s.md",
            "kiln",
            PostType::Story,
            "h",
        );
        r.media_id = Some("5".into());
        r.published_at = "2026-12-01T09:00:00Z".parse().ok();
        state.insert("story", r);
        published(&mut state, "x", "6", "X.", "2026-12-01T09:00:00Z");
        let mut other = state.get("x", "kiln").unwrap().clone();
        other.account = "other".into();
        other.media_id = Some("7".into());
        state.insert("y", other);
        let list = [live("6", "X.", "2026-12-01T09:00:00Z", true)];
        let drift = compare(
            &state,
            Listing {
                account: "kiln",
                live: &list,
                since: None,
            },
        );
        assert_eq!(drift, Vec::new());
    }
}
