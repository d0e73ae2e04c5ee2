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
        })
        .map(|e| {
            let recorded = inputs.state.posts.get(&e.id).and_then(|r| r.published_at);
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

/// What a post's tile shows, decided from the post alone.
#[derive(Debug, Clone, PartialEq)]
enum Pick<'p> {
    /// A JPEG in the repo (path relative to the repo).
    Image(&'p str, &'p crate::media::MediaInfo),
    /// One frame of a video in the repo, `offset_ms` in.
    Frame(&'p str, &'p crate::media::MediaInfo, u64),
    /// Nothing to make a thumbnail from: the label says why.
    Label(&'static str),
}

/// The post's first item, as the app's grid shows it (a carousel's first
/// item, whatever follows): a picture as it is; a video by its `cover`
/// when that is a picture in the repo, else by the frame at `thumb_offset`
/// (reels; 0 otherwise, as Instagram takes it).
fn pick(post: &ValidPost) -> Pick<'_> {
    let Some(first) = post.media.first() else {
        return Pick::Label("no media");
    };
    if !first.is_video {
        return match &first.source {
            Source::File { path, info } => Pick::Image(path, info),
            Source::Url(_) => Pick::Label("picture at a URL"),
        };
    }
    if let Some(Source::File { path, info }) = post.cover.as_ref().map(|c| &c.source) {
        return Pick::Image(path, info);
    }
    let offset = if post.kind == crate::content::PostType::Reel {
        post.post.fields.thumb_offset.unwrap_or(0)
    } else {
        0
    };
    match &first.source {
        Source::File { path, info } => Pick::Frame(path, info, offset),
        Source::Url(_) => Pick::Label("video at a URL"),
    }
}

/// What is known of ffmpeg for a run: looked for once.
struct Frames {
    ffmpeg: Option<std::path::PathBuf>,
}

/// The first image of a post, as the site shows it: a local JPEG or a
/// video's frame, copied into the site (`media/<hash>….jpg`); else a label.
fn thumbnail(
    inputs: &Inputs<'_>,
    out_dir: &Path,
    e: &Entry,
    shown: &mut HashMap<String, Shown>,
    made: &mut HashMap<(String, Option<u64>), Result<Shown, String>>,
    frames: &Frames,
) -> std::io::Result<String> {
    let Some(post) = inputs.posts.get(e.id.as_str()) else {
        return Ok("<div class=ph>no preview</div>".into());
    };
    // Many posts share a picture: its thumbnail is made (read, hashed,
    // decoded or found in the cache) and copied once a run.
    let key = match pick(post) {
        Pick::Label(why) => return Ok(format!("<div class=ph>{}</div>", escape(why))),
        Pick::Image(path, info) => {
            let key = (path.to_string(), None);
            if !made.contains_key(&key) {
                let cache = thumb::cache_dir(inputs.repo);
                let made_now = thumb::thumbnail(&inputs.repo.join(path), info, &cache)
                    .map_err(|why| format!("no preview: {why}"));
                let site_image = site_image(out_dir, path, made_now)?;
                made.insert(key.clone(), site_image);
            }
            key
        }
        Pick::Frame(path, info, offset) => {
            let key = (path.to_string(), Some(offset));
            if !made.contains_key(&key) {
                let duration = match &info.format {
                    crate::media::Format::Video(v) => Some(v.duration_ms),
                    _ => None,
                };
                let cache = thumb::cache_dir(inputs.repo);
                let made_now = thumb::frame(
                    &inputs.repo.join(path),
                    offset,
                    duration,
                    frames.ffmpeg.as_deref(),
                    &cache,
                )
                .map_err(|why| why.label());
                let site_image = site_image(out_dir, path, made_now)?;
                made.insert(key.clone(), site_image);
            }
            key
        }
    };
    match &made[&key] {
        Ok(image) => {
            shown.insert(e.id.clone(), image.clone());
            Ok(format!("<img src=\"{}\" alt=\"\">", escape(&image.file)))
        }
        Err(label) => Ok(format!("<div class=ph>{}</div>", escape(label))),
    }
}

/// A thumbnail made in the cache (`made`), copied into the site under its
/// cache name; Err(the label) when there is none.
fn site_image(
    out_dir: &Path,
    path: &str,
    made: Result<std::path::PathBuf, String>,
) -> std::io::Result<Result<Shown, String>> {
    let made = match made {
        Ok(made) => made,
        Err(label) => return Ok(Err(label)),
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
    let frames = Frames {
        ffmpeg: thumb::ffmpeg(),
    };
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
            thumbnail(inputs, out_dir, e, &mut shown, &mut made, &frames)?,
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
        thumbnail(inputs, out_dir, e, &mut shown, &mut made, &frames)?;
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
    use crate::content::{load_bytes, named_file, Load, Post, PostType, Syntax};
    use crate::media::{Format, MediaInfo};
    use crate::validate::preflight::Resolved;

    fn file(path: &str, is_video: bool) -> Resolved {
        Resolved {
            source: Source::File {
                path: path.into(),
                info: MediaInfo {
                    bytes: 1,
                    format: Format::Unknown,
                },
            },
            is_video,
        }
    }

    /// A post of `kind` from YAML with these media and cover.
    fn post(
        yaml: &str,
        kind: PostType,
        media: Vec<Resolved>,
        cover: Option<Resolved>,
    ) -> ValidPost {
        let f = named_file("posts/p.yaml", &["posts".to_string()]);
        let Load::Post(loaded) = load_bytes(f, Syntax::Yaml, yaml.as_bytes()) else {
            panic!("not a post: {yaml}");
        };
        ValidPost {
            post: Post::from_loaded(*loaded).expect("typed"),
            kind,
            account: "a".into(),
            platform: crate::config::Platform::Instagram,
            publish_at: None,
            media,
            cover,
        }
    }

    fn picked(p: &ValidPost) -> (String, Option<u64>) {
        match pick(p) {
            Pick::Image(path, _) => (path.to_string(), None),
            Pick::Frame(path, _, at) => (path.to_string(), Some(at)),
            Pick::Label(why) => (why.to_string(), None),
        }
    }

    #[test]
    fn a_video_shows_its_cover_else_the_frame_at_thumb_offset() {
        let reel = "type: reel\nmedia: [r.mp4]\n";
        let with_cover = post(
            reel,
            PostType::Reel,
            vec![file("r.mp4", true)],
            Some(file("c.jpg", false)),
        );
        assert_eq!(picked(&with_cover), ("c.jpg".into(), None));
        // No cover: the frame at thumb_offset, 0 without one.
        let bare = post(reel, PostType::Reel, vec![file("r.mp4", true)], None);
        assert_eq!(picked(&bare), ("r.mp4".into(), Some(0)));
        let offset = post(
            "type: reel\nmedia: [r.mp4]\nthumb_offset: 2500\n",
            PostType::Reel,
            vec![file("r.mp4", true)],
            None,
        );
        assert_eq!(picked(&offset), ("r.mp4".into(), Some(2500)));
        // A cover at a URL can't be in a self-contained site: the frame.
        let url_cover = post(
            reel,
            PostType::Reel,
            vec![file("r.mp4", true)],
            Some(Resolved {
                source: Source::Url("https://cdn.example/c.jpg".into()),
                is_video: false,
            }),
        );
        assert_eq!(picked(&url_cover), ("r.mp4".into(), Some(0)));
        // A video at a URL: a label.
        let url = post(
            reel,
            PostType::Reel,
            vec![Resolved {
                source: Source::Url("https://cdn.example/r.mp4".into()),
                is_video: true,
            }],
            None,
        );
        assert_eq!(picked(&url), ("video at a URL".into(), None));
    }

    #[test]
    fn a_carousel_shows_its_first_item_a_video_by_its_first_frame() {
        let yaml = "media: [a.mp4, b.jpg]\n";
        let video_first = post(
            yaml,
            PostType::Carousel,
            vec![file("a.mp4", true), file("b.jpg", false)],
            None,
        );
        assert_eq!(picked(&video_first), ("a.mp4".into(), Some(0)));
        let image_first = post(
            yaml,
            PostType::Carousel,
            vec![file("b.jpg", false), file("a.mp4", true)],
            None,
        );
        assert_eq!(picked(&image_first), ("b.jpg".into(), None));
        // A video story: its first frame (thumb_offset is for reels).
        let story = post(
            "type: story\nmedia: [s.mp4]\nthumb_offset: 900\n",
            PostType::Story,
            vec![file("s.mp4", true)],
            None,
        );
        assert_eq!(picked(&story), ("s.mp4".into(), Some(0)));
        let none = post("media: []\n", PostType::Image, vec![], None);
        assert_eq!(picked(&none), ("no media".into(), None));
    }

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
