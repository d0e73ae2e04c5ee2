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
mod strip;
pub mod thumb;
mod versions;
mod video;

use crate::plan::{Action, Entry, Plan};
use crate::state::State;
use crate::validate::preflight::{Resolved, Source};
use crate::validate::ValidPost;
use html::escape;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

pub use fold::{FOLD_AT, FOLD_LINES};

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
    let pick = pick_any(post);
    match pick {
        Pick::Image(_, info) | Pick::Frame(_, info, _)
            if matches!(info.format, crate::media::Format::LfsAbsent { .. }) =>
        {
            Pick::Label(LFS_LABEL)
        }
        _ => pick,
    }
}

/// The label of a tile whose picture is in Git LFS and not fetched.
pub const LFS_LABEL: &str = "Git LFS object not fetched";

/// The repo paths of a post's media (and cover) that are Git LFS pointers
/// without their object: the card says so, and what to do.
fn lfs_absent(post: &ValidPost) -> Vec<&str> {
    post.media
        .iter()
        .chain(&post.cover)
        .filter_map(|m| match &m.source {
            Source::File { path, info }
                if matches!(info.format, crate::media::Format::LfsAbsent { .. }) =>
            {
                Some(path.as_str())
            }
            _ => None,
        })
        .collect()
}

fn pick_any(post: &ValidPost) -> Pick<'_> {
    let Some(first) = post.media.first() else {
        return Pick::Label("no media");
    };
    if !first.is_video {
        return pick_item(first);
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

/// One media item as a thumbnail shows it: a picture as it is, a video by
/// its first frame, a Git LFS pointer without its object or a URL as a
/// label.
fn pick_item(item: &Resolved) -> Pick<'_> {
    match (&item.source, item.is_video) {
        (Source::File { info, .. }, _)
            if matches!(info.format, crate::media::Format::LfsAbsent { .. }) =>
        {
            Pick::Label(LFS_LABEL)
        }
        (Source::File { path, info }, false) => Pick::Image(path, info),
        (Source::File { path, info }, true) => Pick::Frame(path, info, 0),
        (Source::Url(_), false) => Pick::Label("picture at a URL"),
        (Source::Url(_), true) => Pick::Label("video at a URL"),
    }
}

/// What is known of ffmpeg for a run: looked for once.
struct Frames {
    ffmpeg: Option<std::path::PathBuf>,
}

/// A thumbnail to make: the repo file and, for a video, the frame's offset.
type Key = (String, Option<u64>);

/// The thumbnails made this run, by [`Key`]: the site's file, or the
/// placeholder's label.
type Made = HashMap<Key, Result<Shown, String>>;

fn key_of(pick: &Pick<'_>) -> Option<Key> {
    match pick {
        Pick::Image(path, _) => Some((path.to_string(), None)),
        Pick::Frame(path, _, offset) => Some((path.to_string(), Some(*offset))),
        Pick::Label(_) => None,
    }
}

/// Makes (or finds in the cache) the thumbnail `pick` names and copies it
/// into the site.
fn make(
    inputs: &Inputs<'_>,
    out_dir: &Path,
    pick: &Pick<'_>,
    frames: &Frames,
) -> std::io::Result<Result<Shown, String>> {
    let cache = thumb::cache_dir(inputs.repo);
    match *pick {
        Pick::Image(path, info) => {
            // A pointer's content is its object in the local LFS store.
            let source = crate::lfs::content_path(inputs.repo.join(path), info);
            let made =
                thumb::thumbnail(&source, info, &cache).map_err(|why| format!("no preview: {why}"));
            site_image(out_dir, path, made)
        }
        Pick::Frame(path, info, offset) => {
            let duration = match &info.format {
                crate::media::Format::Video(v) => Some(v.duration_ms),
                _ => None,
            };
            let made = thumb::frame(
                &crate::lfs::content_path(inputs.repo.join(path), info),
                offset,
                duration,
                frames.ffmpeg.as_deref(),
                &cache,
            )
            .map_err(|why| why.label());
            site_image(out_dir, path, made)
        }
        Pick::Label(why) => Ok(Err(why.to_string())),
    }
}

/// The thumbnails `picks` name, each distinct one made once (many posts
/// may share a picture), on every core: decoding 10,000 distinct photos
/// is most of a cold preview.
fn make_all(
    inputs: &Inputs<'_>,
    out_dir: &Path,
    picks: Vec<Pick<'_>>,
    frames: &Frames,
) -> std::io::Result<Made> {
    let mut seen = std::collections::HashSet::new();
    let mut jobs: Vec<(Key, Pick<'_>)> = Vec::new();
    for pick in picks {
        if let Some(key) = key_of(&pick) {
            if seen.insert(key.clone()) {
                jobs.push((key, pick));
            }
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    /// What one worker made: (job index, thumbnail or label) pairs.
    type Part = std::io::Result<Vec<(usize, Result<Shown, String>)>>;
    let done: Vec<Part> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((_, pick)) = jobs.get(i) else {
                            return Ok(out);
                        };
                        out.push((i, make(inputs, out_dir, pick, frames)?));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a thumbnail worker panicked"))
            .collect()
    });
    let mut made = Made::with_capacity(jobs.len());
    for part in done {
        for (i, result) in part? {
            made.insert(jobs[i].0.clone(), result);
        }
    }
    Ok(made)
}

/// A post's tile content: its thumbnail (made by [`make_all`]) or a label.
fn thumbnail(
    inputs: &Inputs<'_>,
    e: &Entry,
    shown: &mut HashMap<String, Shown>,
    made: &Made,
) -> String {
    let Some(post) = inputs.posts.get(e.id.as_str()) else {
        return "<div class=ph>no preview</div>".into();
    };
    let pick = pick(post);
    let found = match key_of(&pick) {
        Some(key) => made.get(&key),
        None => None,
    };
    match (found, pick) {
        (Some(Ok(image)), _) => {
            shown.insert(e.id.clone(), image.clone());
            format!("<img src=\"{}\" alt=\"\">", escape(&image.file))
        }
        (Some(Err(label)), _) => format!("<div class=ph>{}</div>", escape(label)),
        (None, Pick::Label(why)) => format!("<div class=ph>{}</div>", escape(why)),
        (None, _) => "<div class=ph>no preview</div>".into(),
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
    let target = out_dir.join(&name);
    // The name is the content's hash: a file there by that name (a site
    // written before into the same folder) already holds these bytes.
    if !target.is_file() {
        std::fs::create_dir_all(out_dir.join("media"))?;
        // Two posts' files with the same bytes have one cache file: put
        // beside and renamed, so two workers never write into one file.
        // A hard link where the cache is on the same file system: no
        // copy and no new inode (ext4's inode allocation was a tenth of a
        // cold preview of distinct photos); else a copy.
        let partial = out_dir.join(format!("{name}.{}", thumb::unique_suffix()));
        if std::fs::hard_link(&made, &partial).is_err() {
            std::fs::copy(&made, &partial)?;
        }
        std::fs::rename(&partial, &target)?;
    }
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
                    lfs: None,
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
            platform: crate::platform::Platform::named("instagram").unwrap(),
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
    fn an_lfs_pointer_without_its_object_is_a_labelled_placeholder() {
        let absent = |path: &str, video| Resolved {
            source: Source::File {
                path: path.into(),
                info: MediaInfo {
                    bytes: 5_000_000,
                    format: Format::LfsAbsent { video },
                    lfs: None,
                },
            },
            is_video: video,
        };
        let reel = "type: reel\nmedia: [r.mp4]\n";
        let bare = post(reel, PostType::Reel, vec![absent("r.mp4", true)], None);
        assert_eq!(picked(&bare), (LFS_LABEL.into(), None));
        assert_eq!(lfs_absent(&bare), ["r.mp4"]);
        // Its cover here: the tile shows the cover; the card still names the video.
        let cover = Some(file("c.jpg", false));
        let covered = post(reel, PostType::Reel, vec![absent("r.mp4", true)], cover);
        assert_eq!(picked(&covered), ("c.jpg".into(), None));
        assert_eq!(lfs_absent(&covered), ["r.mp4"]);
        let image = post(
            "media: [a.jpg]\n",
            PostType::Image,
            vec![absent("a.jpg", false)],
            None,
        );
        assert_eq!(picked(&image), (LFS_LABEL.into(), None));
        let plain = post(
            "media: [a.jpg]\n",
            PostType::Image,
            vec![file("a.jpg", false)],
            None,
        );
        assert!(lfs_absent(&plain).is_empty());
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
