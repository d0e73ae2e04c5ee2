//! `postwright preview`: the feed before it goes out, as a self-contained
//! static site (no scripts, fonts or styles from elsewhere; it opens from
//! `file://`, a downloaded artifact or GitHub Pages).
//!
//! - The profile grid: three tiles a row at Instagram's 3:4 tile shape
//!   (the grid moved from squares to 3:4 in 2025; docs/instagram.md,
//!   "Media"), published posts and upcoming ones newest top-left. Contract
//!   for tests and scripts: the grid carries `data-grid`, each tile
//!   `data-post="<post id>"`, in grid order.
//! - A month calendar of what is scheduled, in the config's zone, stories
//!   in their own lane.
//! - Each post as a card: media, caption folded where the app folds it
//!   ("… more" after 125 characters), hashtags and mentions marked, first
//!   comment, alt text, collaborators, the time, and every problem.
//!
//! Everything from post files is escaped: a pull request's files are
//! hostile input, and the page must not run or load anything of theirs.

mod html;
pub mod thumb;

use crate::plan::{Action, Entry, Plan};
use crate::state::State;
use crate::validate::preflight::Source;
use crate::validate::ValidPost;
use html::escape;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// Where the app folds a caption in the feed ("… more").
pub const FOLD_AT: usize = 125;

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
    pub posts: HashMap<&'a str, &'a ValidPost>,
    pub tz: &'a TimeZone,
}

/// A thumbnail the site shows: its file in the site and its size.
#[derive(Debug, Clone)]
pub struct Shown {
    pub file: String,
    pub width: u32,
    pub height: u32,
}

/// A post on the grid: when it went (or goes) out, and its entry.
struct Tile<'a> {
    when: Timestamp,
    entry: &'a Entry,
}

/// The grid's posts, newest first: published ones at their publish time,
/// upcoming ones at `publish_at` (or now, for "at the next apply"). Stories,
/// drafts and removed posts are not on the grid.
fn grid<'a>(inputs: &Inputs<'a>) -> Vec<Tile<'a>> {
    let mut tiles: Vec<Tile<'a>> = inputs
        .plan
        .entries
        .iter()
        .filter(|e| {
            !matches!(
                e.action,
                Action::Draft | Action::Removed | Action::Invalid | Action::Duplicate
            ) && e.kind != Some(crate::content::PostType::Story)
                && e.platform != Some(crate::config::Platform::Threads)
        })
        .map(|e| {
            let recorded = inputs
                .state
                .get(&e.id, e.acct())
                .and_then(|r| r.published_at);
            let when = recorded.or(e.publish_at).unwrap_or(inputs.plan.at);
            Tile { when, entry: e }
        })
        .collect();
    tiles.sort_by(|a, b| (b.when, &b.entry.id).cmp(&(a.when, &a.entry.id)));
    tiles
}

/// The caption folded where the app folds it, hashtags and mentions marked.
pub fn caption_html(caption: &str) -> String {
    let chars: Vec<char> = caption.chars().collect();
    if chars.len() <= FOLD_AT {
        return mark_tags(caption);
    }
    let head: String = chars[..FOLD_AT].iter().collect();
    let rest: String = chars[FOLD_AT..].iter().collect();
    format!(
        "{}<details class=more><summary>… more</summary>{}</details>",
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

/// The first image of a post, as the site shows it: a local JPEG is copied
/// into the site (`media/<id>.jpg`); a video shows its cover, else a label.
fn thumbnail(
    inputs: &Inputs<'_>,
    out_dir: &Path,
    e: &Entry,
    shown: &mut HashMap<String, Shown>,
    made: &mut HashMap<String, Result<Shown, String>>,
) -> std::io::Result<String> {
    let Some(post) = inputs.posts.get(e.id.as_str()) else {
        return Ok("<div class=ph>no preview</div>".into());
    };
    let image = post
        .media
        .iter()
        .find(|m| !m.is_video)
        .or(post.cover.as_ref())
        .or(post.media.first());
    let Some(m) = image else {
        return Ok("<div class=ph>no media</div>".into());
    };
    match &m.source {
        Source::File { path, info } if !m.is_video => {
            // Many posts share a picture: its thumbnail is made (read,
            // hashed, decoded or found in the cache) and copied once a run.
            if !made.contains_key(path) {
                let site_image = site_image(inputs, out_dir, path, info)?;
                made.insert(path.clone(), site_image);
            }
            match &made[path] {
                Ok(image) => {
                    shown.insert(e.id.clone(), image.clone());
                    Ok(format!("<img src=\"{}\" alt=\"\">", escape(&image.file)))
                }
                Err(why) => Ok(format!("<div class=ph>no preview: {}</div>", escape(why))),
            }
        }
        _ => Ok("<div class=ph>video</div>".into()),
    }
}

/// The thumbnail of the repo's JPEG `path` in the site, named by content.
fn site_image(
    inputs: &Inputs<'_>,
    out_dir: &Path,
    path: &str,
    info: &crate::media::MediaInfo,
) -> std::io::Result<Result<Shown, String>> {
    let cache = thumb::cache_dir(inputs.repo);
    let made = match thumb::thumbnail(&inputs.repo.join(path), info, &cache) {
        Ok(made) => made,
        Err(why) => return Ok(Err(why)),
    };
    let file = made.file_name().map_or_else(
        || html::file_name(path),
        |n| n.to_string_lossy().into_owned(),
    );
    let name = format!("media/{file}");
    std::fs::create_dir_all(out_dir.join("media"))?;
    std::fs::copy(&made, out_dir.join(&name))?;
    let (width, height) = image::image_dimensions(&made).unwrap_or((3, 4));
    Ok(Ok(Shown {
        file: name,
        width,
        height,
    }))
}

fn marker(e: &Entry) -> &'static str {
    match e.kind {
        Some(crate::content::PostType::Carousel) => "<span class=mark title=carousel>❐</span>",
        Some(crate::content::PostType::Reel) => "<span class=mark title=reel>▶</span>",
        _ => "",
    }
}

/// Writes the site into `out_dir`; returns the number of grid tiles.
pub fn write(inputs: &Inputs<'_>, out_dir: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(out_dir)?;
    let tiles = grid(inputs);
    let mut page = String::new();
    page.push_str(html::HEAD);
    let _ = write!(
        page,
        "<h1>postwright preview</h1><p class=at>at {}</p>",
        escape(&crate::time::local(inputs.plan.at, inputs.tz))
    );
    let mut shown = HashMap::new();
    let mut made = HashMap::new();
    page.push_str("<h2>Grid</h2><div class=grid data-grid>");
    for t in &tiles {
        let e = t.entry;
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
            "<a class=\"tile {state}\" data-post=\"{}\" href=\"#post-{}\">{}{}</a>",
            escape(&e.id),
            escape(&e.id),
            thumbnail(inputs, out_dir, e, &mut shown, &mut made)?,
            marker(e)
        );
    }
    page.push_str("</div>");
    // Stories are not on the grid; their cards show them too.
    for e in inputs
        .plan
        .entries
        .iter()
        .filter(|e| e.kind == Some(crate::content::PostType::Story))
    {
        thumbnail(inputs, out_dir, e, &mut shown, &mut made)?;
    }
    page.push_str(&html::calendar(inputs));
    page.push_str("<h2>Posts</h2>");
    for e in &inputs.plan.entries {
        page.push_str(&html::card(inputs, e, shown.get(&e.id)));
    }
    page.push_str("</body></html>\n");
    std::fs::write(out_dir.join("index.html"), page)?;
    Ok(tiles.len())
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
            html.contains("<summary>… more</summary>xxxxxxxxxx</details>"),
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
