//! The real grid: the upcoming posts on top of the live feed as last read
//! (`crate::live`, written by `--refresh` and `import`), as the profile
//! will look. Without a snapshot the live part is what the record knows.
//!
//! Order, as the app shows a profile: pinned posts first, then the
//! upcoming posts (newest first), then the live ones (newest first, the
//! top `--live N`). A post postwright published shows its own picture; a
//! live post it did not make shows the snapshot's thumbnail or its
//! caption. A post the record has as published but the snapshot lacks,
//! within the time the snapshot covers, was deleted in the app: it leaves
//! the grid.

use super::{on_feed, on_grid, when, Inputs, Tile};
use crate::content::PostType;
use crate::live::{LivePost, Snapshot};
use crate::plan::{Action, Entry};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The grid's tiles, in the order the profile shows them.
pub(super) fn tiles<'a>(inputs: &Inputs<'a>, snapshots: &'a [Snapshot]) -> Vec<Tile<'a>> {
    let on: Vec<&'a Entry> = inputs
        .plan
        .entries
        .iter()
        .filter(|e| on_feed(e) && e.kind != Some(PostType::Story) && on_grid(e))
        .collect();
    let mut upcoming: Vec<Tile<'a>> = Vec::new();
    let mut live: Vec<Tile<'a>> = Vec::new();
    let mut pinned: Vec<Tile<'a>> = Vec::new();
    // Which media ids each snapshot holds, and back to when it covers.
    let covered: HashMap<&str, (HashSet<&str>, Option<jiff::Timestamp>)> = snapshots
        .iter()
        .map(|s| {
            let ids = s.posts.iter().map(|p| p.media_id.as_str()).collect();
            let since = s.posts.iter().filter_map(|p| p.published).min();
            (s.account.as_str(), (ids, since))
        })
        .collect();
    let mut ours: HashMap<&str, &'a Entry> = HashMap::new();
    for e in on {
        if e.action != Action::Published {
            upcoming.push(Tile::of(when(inputs, e), e));
            continue;
        }
        let Some((ids, since)) = covered.get(e.acct()) else {
            live.push(Tile::of(when(inputs, e), e));
            continue;
        };
        let media = e.media_id.as_deref().unwrap_or("");
        if ids.contains(media) {
            ours.insert(media, e);
            continue;
        }
        let published = inputs
            .state
            .get(&e.id, e.acct())
            .and_then(|r| r.published_at);
        let in_range = matches!((published, since), (Some(p), Some(s)) if p >= *s);
        // Deleted in the app: off the grid. Older than the snapshot: kept.
        if !in_range {
            live.push(Tile::of(when(inputs, e), e));
        }
    }
    for s in snapshots {
        for p in &s.posts {
            let tile = match ours.get(p.media_id.as_str()) {
                Some(e) => Tile::of(when(inputs, e), e),
                None => Tile {
                    when: p.published.unwrap_or(s.read_at),
                    entry: None,
                    live: Some(p),
                },
            };
            if p.pinned {
                pinned.push(tile);
            } else {
                live.push(tile);
            }
        }
    }
    let newest_first = |a: &Tile<'_>, b: &Tile<'_>| (b.when, b.key()).cmp(&(a.when, a.key()));
    upcoming.sort_by(newest_first);
    live.sort_by(newest_first);
    pinned.sort_by(newest_first);
    live.truncate(inputs.live_tiles);
    pinned.into_iter().chain(upcoming).chain(live).collect()
}

/// The snapshots of the accounts on the grid.
pub(super) fn snapshots(inputs: &Inputs<'_>) -> Vec<Snapshot> {
    let accounts: BTreeSet<&str> = inputs
        .plan
        .entries
        .iter()
        .filter(|e| on_grid(e))
        .map(Entry::acct)
        .collect();
    accounts
        .into_iter()
        .filter_map(|a| Snapshot::load(inputs.repo, a))
        .collect()
}

/// A live post postwright did not make: its thumbnail (copied from the
/// snapshot's folder into the site) or its caption.
pub(super) fn tile_html(inputs: &Inputs<'_>, p: &LivePost, out_dir: &std::path::Path) -> String {
    let picture = p.thumb.as_deref().and_then(|t| {
        // `thumbs/<sha256>.jpg`: nothing else is read from the folder.
        let name = t.strip_prefix("thumbs/")?;
        let ok = name.len() <= 80
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !ok {
            return None;
        }
        let from = crate::live::dir(inputs.repo).join("thumbs").join(name);
        let to = out_dir.join("media").join(format!("live-{name}"));
        std::fs::create_dir_all(out_dir.join("media")).ok()?;
        std::fs::copy(&from, &to).ok()?;
        Some(format!(
            "<img src=\"media/live-{}\" alt=\"\">",
            super::escape(name)
        ))
    });
    let inner = picture.unwrap_or_else(|| {
        format!(
            "<div class=ph>{}</div>",
            super::escape(if p.caption.is_empty() {
                "live post"
            } else {
                &p.caption
            })
        )
    });
    let href = p.permalink.as_deref().filter(|u| u.starts_with("https://"));
    format!(
        "<a class=\"tile live outside\" data-media=\"{}\" title=\"live, not made by postwright\"{}>{inner}{}</a>",
        super::escape(&p.media_id),
        href.map(|h| format!(" href=\"{}\"", super::escape(h)))
            .unwrap_or_default(),
        if p.pinned {
            "<span class=mark title=pinned>📌</span>"
        } else {
            ""
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Plan;
    use crate::platform::Platform;
    use crate::state::{Record, State, Status};
    use jiff::Timestamp;

    fn entry(id: &str, action: Action, media: Option<&str>, at: &str) -> Entry {
        Entry {
            account: Some("kiln".into()),
            platform: Some(Platform::default()),
            kind: Some(PostType::Image),
            media_id: media.map(str::to_string),
            publish_at: at.parse().ok(),
            ..Entry::new(id, &format!("posts/{id}.md"), action, String::new())
        }
    }

    fn live(id: &str, at: &str, pinned: bool) -> LivePost {
        LivePost {
            media_id: id.into(),
            published: at.parse().ok(),
            permalink: None,
            caption: format!("live {id}"),
            kind: Some(PostType::Image),
            thumb: None,
            pinned,
        }
    }

    fn order(tiles: &[Tile<'_>]) -> Vec<String> {
        tiles.iter().map(|t| t.key().to_string()).collect()
    }

    #[test]
    fn upcoming_on_top_of_the_live_feed_pinned_first_deleted_gone_top_n() {
        let entries = vec![
            entry("next", Action::Scheduled, None, "2026-12-10T09:00:00Z"),
            entry("later", Action::Scheduled, None, "2026-12-12T09:00:00Z"),
            entry(
                "ours",
                Action::Published,
                Some("m2"),
                "2026-12-02T09:00:00Z",
            ),
            entry(
                "gone",
                Action::Published,
                Some("m9"),
                "2026-12-03T09:00:00Z",
            ),
            entry(
                "ancient",
                Action::Published,
                Some("m0"),
                "2020-01-01T09:00:00Z",
            ),
        ];
        let mut state = State::default();
        for e in &entries[2..] {
            let mut r = Record::new(Status::Published, &e.file, "kiln", PostType::Image, "h");
            r.media_id = e.media_id.clone();
            r.published_at = e.publish_at;
            state.insert(&e.id, r);
        }
        let plan = Plan {
            format_version: 1,
            at: "2026-12-05T00:00:00Z".parse().unwrap(),
            summary: Default::default(),
            entries,
            prune: false,
            pull_request: None,
            state_unknown: None,
            drift: None,
        };
        let tz = jiff::tz::TimeZone::UTC;
        let dir = tempfile::tempdir().unwrap();
        let mut inputs = Inputs {
            repo: dir.path(),
            plan: &plan,
            state: &state,
            posts: Default::default(),
            versions: Default::default(),
            tz: &tz,
            live_tiles: 12,
            config: None,
        };
        let snapshot = Snapshot {
            format_version: 1,
            account: "kiln".into(),
            read_at: Timestamp::from_second(1_800_000_000).unwrap(),
            posts: vec![
                live("m5", "2026-12-04T09:00:00Z", false),
                live("m2", "2026-12-02T09:00:00Z", false),
                live("m1", "2026-12-01T09:00:00Z", false),
                live("m7", "2026-11-01T09:00:00Z", true),
            ],
        };
        let snapshots = [snapshot];
        let tiles = super::tiles(&inputs, &snapshots);
        // Pinned first; upcoming newest first; then the live feed, with
        // our own post as itself; `gone` (deleted in the app) is off the
        // grid, `ancient` (older than the snapshot reaches) stays.
        assert_eq!(
            order(&tiles),
            ["m7", "later", "next", "m5", "ours", "m1", "ancient"]
        );
        assert!(tiles[4].entry.is_some() && tiles[3].live.is_some());
        inputs.live_tiles = 2;
        let tiles = super::tiles(&inputs, &snapshots);
        assert_eq!(order(&tiles), ["m7", "later", "next", "m5", "ours"]);
        // Without a snapshot: what the record knows.
        inputs.live_tiles = 12;
        assert_eq!(
            order(&super::tiles(&inputs, &[])),
            ["later", "next", "gone", "ours", "ancient"]
        );
    }
}
