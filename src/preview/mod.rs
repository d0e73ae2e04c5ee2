//! `postwright preview`: the feed before it goes out, as a self-contained
//! static site (no scripts, fonts or styles from elsewhere; it opens from
//! `file://`, a downloaded artifact or GitHub Pages).
//!
//! - The profile grid: three tiles a row at Instagram's 3:4 tile shape
//!   (the grid moved from squares to 3:4 in 2025; docs/instagram.md,
//!   "Media"), published posts and upcoming ones newest top-left. Contract
//!   for tests and scripts: the grid carries `data-grid`, each tile
//!   `data-post="<post id>"`, in grid order.
//! - A calendar for each month with posts, in the config's zone, stories
//!   in their own lane.
//! - A post that goes to several targets: each platform's version side
//!   by side ([`versions`]); a video with its play mark and length
//!   ([`video`]).
//! - Each post as a card: media, caption folded where the app folds it
//!   ("… more" after 125 characters), hashtags and mentions marked, first
//!   comment, alt text, collaborators, the time, and every problem.
//! - For each platform that is not on the grid, its version of each post
//!   as that platform's card ([`cards`]): the text with its links, tags
//!   and mentions marked, its length against the limit, the media with
//!   their alt text.
//!
//! Everything from post files is escaped: a pull request's files are
//! hostile input, and the page must not run or load anything of theirs.

mod cards;
mod fold;
mod html;
mod live;
mod pick;
mod strip;
pub mod thumb;
mod versions;
mod video;

use crate::plan::{Action, Entry, Plan};
use crate::state::State;
use crate::validate::ValidPost;
use html::escape;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

pub use fold::{FOLD_AT, FOLD_LINES};
use pick::{
    key_of, lfs_absent, make_all, pick, pick_item, thumbnail, Frames, Made, Pick, LFS_LABEL,
};

/// The part of a `width` × `height` picture a 3:4 grid tile shows (a
/// centred cover crop), as fractions of the picture: (left, top, width,
/// height).
pub fn grid_crop(width: u32, height: u32) -> (f64, f64, f64, f64) {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let tile = 3.0 / 4.0;
    if w / h > tile {
        let visible = h * tile / w;
        ((1.0 - visible) / 2.0, 0.0, visible, 1.0)
    } else {
        let visible = w / tile / h;
        (0.0, (1.0 - visible) / 2.0, 1.0, visible)
    }
}

/// What the site is made from.
pub struct Inputs<'a> {
    pub repo: &'a Path,
    pub plan: &'a Plan,
    pub state: &'a State,
    /// Each post's version on the grid, by post id.
    pub posts: HashMap<&'a str, &'a ValidPost>,
    /// Every target's version, by (post id, account): what the cards of
    /// the platforms off the grid are made from.
    pub versions: HashMap<(&'a str, &'a str), &'a ValidPost>,
    pub tz: &'a TimeZone,
    /// The accounts' settings a card counts against (a Mastodon account's
    /// own `max_characters`); `None`: each platform's defaults.
    pub config: Option<&'a crate::config::Config>,
    /// How many live tiles the grid shows under the upcoming ones
    /// (`preview --live N`).
    pub live_tiles: usize,
}

/// `preview --live`'s default: the top four rows of a profile.
pub const LIVE_TILES: usize = 12;

/// A thumbnail the site shows: its file in the site and its size.
#[derive(Debug, Clone)]
pub struct Shown {
    pub file: String,
    pub width: u32,
    pub height: u32,
}

/// A post on the grid: when it went (or goes) out, and its entry — or,
/// for a live post postwright did not make, what the snapshot says.
struct Tile<'a> {
    when: Timestamp,
    entry: Option<&'a Entry>,
    live: Option<&'a crate::live::LivePost>,
}

impl<'a> Tile<'a> {
    fn of(when: Timestamp, entry: &'a Entry) -> Tile<'a> {
        Tile {
            when,
            entry: Some(entry),
            live: None,
        }
    }

    /// Ties in time are ordered by this.
    fn key(&self) -> &str {
        match (self.entry, self.live) {
            (Some(e), _) => &e.id,
            (None, Some(p)) => &p.media_id,
            (None, None) => "",
        }
    }
}

/// Whether the entry's post is or will be in the feed: not a draft, not
/// removed, invalid, a duplicate or overdue.
fn on_feed(e: &Entry) -> bool {
    !matches!(
        e.action,
        Action::Draft | Action::Removed | Action::Invalid | Action::Duplicate | Action::Overdue
    )
}

/// Whether the entry's platform is the grid's (an entry whose account is
/// unknown has none, and is not).
fn on_grid(e: &Entry) -> bool {
    e.platform.is_some_and(|p| p.spec().capabilities(None).grid)
}

/// When the entry's post went (or goes) out: its recorded publish time,
/// else `publish_at`, else now ("at the next apply").
fn when(inputs: &Inputs<'_>, e: &Entry) -> Timestamp {
    let recorded = inputs
        .state
        .get(&e.id, e.acct())
        .and_then(|r| r.published_at);
    recorded.or(e.publish_at).unwrap_or(inputs.plan.at)
}

/// The grid's posts ([`live::tiles`]): stories, drafts and removed posts
/// are not on it.
fn grid<'a>(inputs: &Inputs<'a>, snapshots: &'a [crate::live::Snapshot]) -> Vec<Tile<'a>> {
    live::tiles(inputs, snapshots)
}

/// The caption folded where the app folds it ([`FOLD_AT`] characters or
/// [`FOLD_LINES`] lines), hashtags and mentions marked. The rest is in a
/// `<details>`: hidden until "… more" is clicked, with no script.
pub fn caption_html(caption: &str) -> String {
    let chars: Vec<char> = caption.chars().collect();
    let Some(cut) = fold::point(&chars) else {
        return mark_tags(caption);
    };
    let head: String = chars[..cut].iter().collect();
    let rest: String = chars[cut..].iter().collect();
    format!(
        "{}<details class=more><summary>… more</summary><span class=rest>{}</span></details>",
        mark_tags(&head),
        mark_tags(&rest)
    )
}

/// `#tag` and `@name` in a span each; everything escaped.
fn mark_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |out: &mut String, word: &mut String| {
        if word.len() > 1 && (word.starts_with('#') || word.starts_with('@')) {
            let _ = write!(out, "<span class=tag>{}</span>", escape(word));
        } else {
            out.push_str(&escape(word));
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric()
            || c == '_'
            || c == '.'
            || ((c == '#' || c == '@') && word.is_empty())
        {
            word.push(c);
        } else {
            flush(&mut out, &mut word);
            if c == '\n' {
                out.push_str("<br>");
            } else {
                out.push_str(&escape(&c.to_string()));
            }
        }
    }
    flush(&mut out, &mut word);
    out
}

fn marker(e: &Entry) -> &'static str {
    match e.kind {
        Some(crate::content::PostType::Carousel) => "<span class=mark title=carousel>❐</span>",
        Some(crate::content::PostType::Reel) => "<span class=mark title=reel>▶</span>",
        _ => "",
    }
}

/// What a site shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Tiles on the grid.
    pub tiles: usize,
    /// Cards of the platforms off the grid.
    pub cards: usize,
}

/// Writes the site into `out_dir`.
pub fn write(inputs: &Inputs<'_>, out_dir: &Path) -> std::io::Result<Written> {
    std::fs::create_dir_all(out_dir)?;
    let snapshots = live::snapshots(inputs);
    let tiles = grid(inputs, &snapshots);
    let mut page = String::new();
    page.push_str(html::HEAD);
    let _ = write!(
        page,
        "<h1>postwright preview</h1><p class=at>at {}</p>",
        escape(&crate::time::local(inputs.plan.at, inputs.tz))
    );
    let mut shown = HashMap::new();
    let frames = Frames {
        ffmpeg: thumb::ffmpeg(),
    };
    // Stories are not on the grid; their cards show them too.
    let stories: Vec<&Entry> = inputs
        .plan
        .entries
        .iter()
        .filter(|e| e.kind == Some(crate::content::PostType::Story))
        .collect();
    // Every post's card has its picture, tile or not (`--live` shows only
    // the top live tiles; a draft is on no tile but its card shows it).
    let with_pictures: Vec<&Entry> = inputs
        .plan
        .entries
        .iter()
        .filter(|e| {
            (on_feed(e) || e.action == Action::Draft)
                && e.kind != Some(crate::content::PostType::Story)
                && on_grid(e)
        })
        .chain(stories.iter().copied())
        .collect();
    let sections = cards::sections(inputs);
    let picks: Vec<Pick<'_>> = with_pictures
        .iter()
        .filter_map(|e| inputs.posts.get(e.id.as_str()))
        .map(|post| pick(post))
        .chain(cards::picks(&sections))
        .chain(with_pictures.iter().flat_map(|e| strip::slides(inputs, e)))
        .chain(versions::picks(inputs))
        .collect();
    let made = make_all(inputs, out_dir, picks, &frames)?;
    page.push_str("<h2>Grid</h2><div class=grid data-grid>");
    for t in &tiles {
        let Some(e) = t.entry else {
            if let Some(p) = t.live {
                page.push_str(&live::tile_html(inputs, p, out_dir));
            }
            continue;
        };
        let mut state = if e.action == Action::Published {
            "live".to_string()
        } else {
            "upcoming".to_string()
        };
        // A tile the pull request adds or changes (`--base`).
        if e.pr.is_some() {
            state.push_str(" pr");
        }
        let _ = write!(
            page,
            "<a class=\"tile {state}\" data-post=\"{}\" href=\"#post-{}\">{}{}{}</a>",
            escape(&e.id),
            escape(&e.id),
            thumbnail(inputs, e, &mut shown, &made),
            marker(e),
            video::entry_corner(inputs, e)
        );
    }
    page.push_str("</div>");
    page.push_str(&strip::legend(&tiles));
    for e in stories {
        thumbnail(inputs, e, &mut shown, &made);
    }
    page.push_str(&html::calendar(inputs));
    page.push_str(&versions::html(inputs, &made));
    page.push_str(&cards::html(inputs, &sections, &made));
    // The grid's platform's posts; the others' are in their sections.
    page.push_str("<h2>Posts</h2>");
    for e in inputs.plan.entries.iter().filter(|e| on_grid(e)) {
        // A post on no tile (a draft, a live post past `--live`): its
        // picture from what was made.
        let own = shown.get(&e.id).cloned().or_else(|| {
            let post = inputs.posts.get(e.id.as_str())?;
            match made.get(&key_of(&pick(post))?) {
                Some(Ok(image)) => Some(image.clone()),
                _ => None,
            }
        });
        page.push_str(&html::card(inputs, e, own.as_ref()));
        page.push_str(&strip::strip(inputs, e, &made));
    }
    page.push_str("</body></html>\n");
    std::fs::write(out_dir.join("index.html"), page)?;
    Ok(Written {
        tiles: tiles.len(),
        cards: sections.iter().map(|s| s.cards.len()).sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_caption_folds_where_the_app_does() {
        let short = "Hello #ceramics @kiln.co";
        assert_eq!(
            caption_html(short),
            "Hello <span class=tag>#ceramics</span> <span class=tag>@kiln.co</span>"
        );
        let long = "x".repeat(FOLD_AT + 10);
        let html = caption_html(&long);
        assert!(html.starts_with(&"x".repeat(FOLD_AT)), "{html}");
        assert!(
            html.contains("<summary>… more</summary><span class=rest>xxxxxxxxxx</span></details>"),
            "{html}"
        );
    }

    #[test]
    fn the_grid_crops_to_three_by_four_in_the_middle() {
        let close = |a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)| {
            (a.0 - b.0).abs() + (a.1 - b.1).abs() + (a.2 - b.2).abs() + (a.3 - b.3).abs() < 1e-9
        };
        // A square: an eighth goes on each side.
        assert!(close(grid_crop(1080, 1080), (0.125, 0.0, 0.75, 1.0)));
        // 4:5 (1080 × 1350): 1012.5 of 1080 wide is seen.
        assert!(close(grid_crop(1080, 1350), (0.03125, 0.0, 0.9375, 1.0)));
        // Already 3:4: all of it.
        assert!(close(grid_crop(900, 1200), (0.0, 0.0, 1.0, 1.0)));
        // 9:16, taller than a tile: top and bottom go.
        assert!(close(grid_crop(1080, 1920), (0.0, 0.125, 1.0, 0.75)));
    }

    #[test]
    fn hostile_captions_are_text() {
        let html = caption_html("<script>alert(1)</script> & \"#x\"");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("&amp;"), "{html}");
    }
}
