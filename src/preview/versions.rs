//! A post file that goes to several accounts or platforms, each target's
//! version side by side: the text that platform gets (its own caption
//! when the file gives one), its length against that platform's limit,
//! its media. Each card is the platform's own
//! ([`crate::platform::PlatformSpec::card`]); nothing here names a
//! platform. Contract for tests and scripts: the section carries
//! `data-side`, each post's row `data-versions="<post id>"`, each card
//! `data-platform`, `data-account` and a `data-count`.

use super::cards::{card_html, Target};
use super::html::escape;
use super::{on_feed, pick_item, Inputs, Made, Pick};
use crate::plan::{Action, Entry};
use crate::platform::Platform;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Each post with more than one target, in plan order, its targets in
/// the registry's order (the grid's platform first), then by account.
/// Drafts and removed posts go nowhere; an invalid target shows why.
fn crossposts<'a>(inputs: &Inputs<'a>) -> Vec<(&'a str, Vec<&'a Entry>)> {
    let mut order: Vec<&'a str> = Vec::new();
    let mut by_post: HashMap<&'a str, Vec<&'a Entry>> = HashMap::new();
    for e in &inputs.plan.entries {
        if e.platform.is_none() || !(on_feed(e) || e.action == Action::Invalid) {
            continue;
        }
        by_post
            .entry(e.id.as_str())
            .or_insert_with(|| {
                order.push(e.id.as_str());
                Vec::new()
            })
            .push(e);
    }
    let rank = |p: Option<Platform>| Platform::all().position(|q| Some(q) == p);
    order
        .into_iter()
        .filter_map(|id| {
            let mut targets = by_post.remove(id)?;
            targets.sort_by_key(|e| (rank(e.platform), e.acct().to_string()));
            (targets.len() > 1).then_some((id, targets))
        })
        .collect()
}

/// The thumbnails the side-by-side cards show: every item of every
/// target's version (a reel's video by its frame, not its cover).
pub(super) fn picks<'a>(inputs: &Inputs<'a>) -> Vec<Pick<'a>> {
    crossposts(inputs)
        .into_iter()
        .flat_map(|(_, targets)| targets)
        .filter_map(|e| inputs.versions.get(&(e.id.as_str(), e.acct())).copied())
        .flat_map(|post| post.media.iter().map(pick_item))
        .collect()
}

/// The side-by-side section (empty when every post goes to one target).
pub(super) fn html(inputs: &Inputs<'_>, made: &Made) -> String {
    let posts = crossposts(inputs);
    if posts.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<section data-side><h2>Side by side</h2><p class=note>Each post that goes to several accounts or platforms, as each of them gets it.</p>",
    );
    for (id, targets) in posts {
        let _ = write!(
            out,
            "<div class=side data-versions=\"{}\"><h3>{}</h3><div class=row>",
            escape(id),
            escape(&targets[0].file)
        );
        for e in targets {
            let Some(platform) = e.platform else { continue };
            let target = Target::of(inputs, e, platform);
            out.push_str(&card_html(inputs, platform, &target, made, true));
        }
        out.push_str("</div></div>");
    }
    out.push_str("</section>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::PostType;
    use crate::validate::ValidPost;

    fn version(yaml: &str, account: &str, platform: &str) -> ValidPost {
        ValidPost {
            account: account.into(),
            ..ValidPost::from_yaml(yaml, Platform::named(platform).unwrap(), PostType::Text)
        }
    }

    fn entry(id: &str, account: &str, platform: &str) -> Entry {
        let mut e = Entry::new(id, "posts/p.md", Action::Scheduled, String::new());
        e.account = Some(account.into());
        e.platform = Platform::named(platform);
        e.publish_at = "2026-12-21T08:00:00Z".parse().ok();
        e
    }

    #[test]
    fn each_targets_text_and_count_side_by_side_in_registry_order() {
        let plan = crate::plan::Plan {
            format_version: 1,
            at: "2026-12-05T00:00:00Z".parse().unwrap(),
            summary: Default::default(),
            entries: vec![
                entry("both", "sky", "bluesky"),
                entry("both", "gram", "instagram"),
                entry("both", "toot", "mastodon"),
                entry("alone", "sky", "bluesky"),
            ],
            prune: false,
            pull_request: None,
            state_unknown: None,
            drift: None,
        };
        let versions = [
            version(
                "caption: \"Grid <b>text</b> #kiln @kiln.co. me@x.com\"\n",
                "gram",
                "instagram",
            ),
            version("caption: Sky text 👍🏽\n", "sky", "bluesky"),
            version("caption: Toot text\n", "toot", "mastodon"),
        ];
        let state = crate::state::State::default();
        let tz = jiff::tz::TimeZone::UTC;
        let inputs = Inputs {
            repo: std::path::Path::new("."),
            plan: &plan,
            state: &state,
            posts: Default::default(),
            versions: versions
                .iter()
                .map(|v| (("both", v.account.as_str()), v))
                .collect(),
            tz: &tz,
            live_tiles: 12,
            config: None,
        };
        let html = html(&inputs, &Made::new());
        // One row, for the post with several targets; "alone" has none.
        assert_eq!(html.matches("data-versions=").count(), 1, "{html}");
        assert!(!html.contains("alone"), "{html}");
        let platforms: Vec<&str> = html
            .split("data-platform=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .collect();
        assert_eq!(platforms, ["instagram", "bluesky", "mastodon"]);
        // Each with its own text, escaped, and its own count: 👍🏽 is one
        // grapheme on Bluesky.
        for (text, count) in [
            (
                "Grid &lt;b&gt;text&lt;/b&gt; ",
                "data-count>41 / 2200 characters<",
            ),
            ("Sky text 👍🏽", "data-count>10 / 300 graphemes<"),
            ("Toot text", "data-count>9 / 500 characters<"),
        ] {
            assert!(html.contains(text), "{text}: {html}");
            assert!(html.contains(count), "{count}: {html}");
        }
        // Instagram's tags and mentions marked as its rules count them: a
        // sentence's full stop is not the name's, an email is no mention.
        assert!(
            html.contains(
                "<mark class=tag>#kiln</mark> <mark class=mention>@kiln.co</mark>. me@x.com"
            ),
            "{html}"
        );
        // The platform is named on each card.
        assert!(html.contains("<div class=ptitle>Bluesky</div>"), "{html}");
    }
}
