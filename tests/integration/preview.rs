//! `postwright preview`: the static site's contract (the grid in grid
//! order, newest first, against the plan), self-containment, escaping of
//! what post files say, video frames (ffmpeg) and their placeholders, and
//! in-browser checks (headless Chromium screenshots at phone and desktop
//! widths).

use crate::common::{copy_dir, postwright, root};
use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

const AT: &str = "2026-11-20T12:00:00Z";

fn grid_ids(html: &str) -> Vec<String> {
    // From the grid's element to the next section (as written, or as a
    // browser serialises it: `data-grid=""`).
    let grid = html
        .split_once("data-grid")
        .expect("a data-grid element")
        .1
        .split_once("<h2")
        .unwrap()
        .0;
    grid.split("data-post=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

/// A copy of example-content, with `edit` applied to it, previewed with
/// `args` (after `preview --at AT`): the temp dir, the repo, the site and
/// its index.html.
pub(crate) fn previewed(
    args: &[&str],
    edit: impl FnOnce(&Path),
) -> (tempfile::TempDir, PathBuf, PathBuf, String) {
    previewed_with_path(args, edit, None)
}

/// `postwright preview --at AT --out SITE` of `repo` (run from `cwd`),
/// which must succeed; its stdout.
pub(crate) fn preview_into(cwd: &Path, repo: &Path, at: &str, site: &Path) -> String {
    preview_with(postwright(cwd), repo, at, &[], site)
}

/// `cmd` run as `preview --at AT ARGS --out SITE` of `repo`, which must
/// succeed; its stdout.
fn preview_with(mut cmd: Command, repo: &Path, at: &str, args: &[&str], site: &Path) -> String {
    let out = cmd
        .arg("--repo")
        .arg(repo)
        .args(["preview", "--at", at])
        .args(args)
        .arg("--out")
        .arg(site)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// [`previewed`], the binary run with `path` as its PATH when given.
fn previewed_with_path(
    args: &[&str],
    edit: impl FnOnce(&Path),
    path: Option<&std::ffi::OsStr>,
) -> (tempfile::TempDir, PathBuf, PathBuf, String) {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("feed");
    copy_dir(&root().join("example-content"), &repo);
    edit(&repo);
    let site = temp.path().join("site");
    let mut cmd = postwright(temp.path());
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    preview_with(cmd, &repo, AT, args, &site);
    let html = fs::read_to_string(site.join("index.html")).unwrap();
    (temp, repo, site, html)
}

#[test]
fn the_grid_shows_the_feed_newest_first_and_the_site_is_self_contained() {
    let (temp, repo, site, html) = previewed(&[], |_| {});

    // The grid's order is the plan's posts that go on the grid (no
    // stories, no drafts), by publish time, newest top-left.
    let plan = postwright(temp.path())
        .arg("--repo")
        .arg(&repo)
        .args(["--format", "json", "plan", "--offline", "--at", AT])
        .output()
        .unwrap();
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    let mut expected: Vec<(String, String)> = plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] != "story" && e["action"] != "draft" && e["action"] != "invalid")
        .map(|e| {
            (
                e["publish_at"].as_str().unwrap_or("").to_string(),
                e["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    expected.sort();
    expected.reverse();
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
    assert_eq!(grid_ids(&html), expected);
    assert!(!expected.is_empty());

    // Self-contained: its images are its own files, nothing is loaded from
    // elsewhere and nothing runs.
    assert!(!html.contains("<script"), "no scripts");
    for attr in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!html.contains(attr), "{attr}");
    }
    for src in html.split("src=\"").skip(1) {
        let file = src.split('"').next().unwrap();
        assert!(site.join(file).is_file(), "{file} is in the site");
    }
    // The story is not on the grid; its card shows it at 9:16 with the
    // interface's bands shaded.
    let stories = plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "story")
        .count();
    assert!(stories > 0);
    assert_eq!(html.matches("data-story").count(), stories);
    // The reel's length on its card (glaze-reel.mp4 is 8 s).
    assert!(
        html.contains("data-duration=\"8000\">video, 0:08"),
        "reel duration"
    );
    // A month calendar and a card per post.
    assert!(html.contains("data-calendar"), "calendar");
    assert_eq!(
        html.matches("class=card ").count(),
        plan["entries"].as_array().unwrap().len()
    );
}

#[test]
fn what_a_post_says_is_shown_as_text_never_as_markup() {
    let (_temp, _, _, html) = previewed(&[], |repo| {
        fs::write(
            repo.join("posts/2026-12-20-hostile.md"),
            "---\npublish_at: 2026-12-20 09:00\nmedia: [../media/studio.jpg]\nfirst_comment: \"<img src=x onerror=alert(1)>\"\n---\n<script>alert('pwned')</script> #ok\n",
        )
        .unwrap();
    });
    assert!(!html.contains("<script>alert"), "escaped");
    assert!(html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"));
    assert!(!html.contains("<img src=x"), "escaped");
    assert!(html.contains("<span class=tag>#ok</span>"));
    // 2026-12-20: after the January post, before the December 5 reel.
    assert_eq!(grid_ids(&html)[1], "2026-12-20-hostile", "newest first");
}

/// Headless Chromium (Debian's `chromium`) with the flags a closed network
/// needs; `None` (skipped, said) when it is not installed.
pub(crate) fn chromium(args: &[&str]) -> Option<std::process::Output> {
    let bin = crate::common::tool("chromium")?;
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .unwrap();
    Some(out)
}

fn mean(img: &image::RgbImage, x0: u32, y0: u32, w: u32, h: u32) -> [f64; 3] {
    let mut sum = [0f64; 3];
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            let p = img.get_pixel(x, y);
            for c in 0..3 {
                sum[c] += f64::from(p[c]);
            }
        }
    }
    let n = f64::from(w * h);
    [sum[0] / n, sum[1] / n, sum[2] / n]
}

/// How close (sum of channel differences) the best tile-sized box down
/// grid column `column` of a screenshot `width` px wide comes to `want`.
fn best_tile_match(
    img: &image::RgbImage,
    width: u32,
    columns: u32,
    column: u32,
    want: [f64; 3],
) -> f64 {
    let content = width.min(935) - 24;
    let tile_w = (content - 2 * (columns - 1)) / columns;
    let x0 = (width - width.min(935)) / 2 + 12 + column * (tile_w + 2);
    let box_w = tile_w / 2;
    let box_h = tile_w * 4 / 3 / 2;
    (0..img.height().saturating_sub(box_h * 2))
        .step_by(2)
        .map(|y| {
            let m = mean(img, x0 + tile_w / 4, y + box_h / 2, box_w, box_h);
            (0..3).map(|c| (m[c] - want[c]).abs()).sum::<f64>()
        })
        .fold(f64::MAX, f64::min)
}

#[test]
fn in_a_browser_the_grid_renders_at_phone_and_desktop_widths() {
    let (temp, _, site, html) = previewed(&[], |_| {});
    let url = format!("file://{}", site.join("index.html").display());
    let expected = grid_ids(&html);

    // The DOM the browser built: the same tiles, in the same order.
    let Some(dom) = chromium(&["--dump-dom", &url]) else {
        return;
    };
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    assert_eq!(grid_ids(&dom), expected, "{dom}");

    for (width, height, columns) in [(390u32, 844u32, 3u32), (1280, 900, 3)] {
        let shot = temp.path().join(format!("shot-{width}.png"));
        let out = chromium(&[
            &format!("--window-size={width},{height}"),
            &format!("--screenshot={}", shot.display()),
            &url,
        ])
        .unwrap();
        assert!(shot.is_file(), "{}", String::from_utf8_lossy(&out.stderr));
        let img = image::open(&shot).unwrap().to_rgb8();
        // Not blank: the pixels vary.
        let all = mean(&img, 0, 0, img.width(), img.height());
        let dark = img
            .pixels()
            .filter(|p| f64::from(p[0]) < all[0] - 40.0)
            .count();
        assert!(dark > 1000, "{width}px: a blank page ({dark} dark pixels)");
        // The first tile shows its thumbnail: somewhere down the first
        // column a tile-sized box has the thumbnail's mean colour.
        let first = &expected[0];
        let tile = html
            .split(&format!("data-post=\"{first}\""))
            .nth(1)
            .unwrap();
        let src = tile
            .split("src=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let thumb = image::open(site.join(src)).unwrap().to_rgb8();
        // What a 3:4 tile shows of it (object-fit: cover), then the middle
        // half of that, as the box below samples the screen.
        let (tw, th) = (thumb.width(), thumb.height());
        let (vw, vh) = if tw * 4 > th * 3 {
            (th * 3 / 4, th)
        } else {
            (tw, tw * 4 / 3)
        };
        let (vx, vy) = ((tw - vw) / 2, (th - vh) / 2);
        let want = mean(&thumb, vx + vw / 4, vy + vh / 4, vw / 2, vh / 2);
        let best = best_tile_match(&img, width, columns, 0, want);
        assert!(
            best < 45.0,
            "{width}px: no tile looks like {first}'s thumbnail (distance {best:.1})"
        );
    }
}

#[test]
fn a_pull_requests_tiles_are_highlighted_and_cards_show_the_grid_crop() {
    use crate::common::git;
    let (_temp, _, _, html) = previewed(&["--base", "main"], |repo| {
        git(repo, &["init", "-q", "-b", "main"]);
        git(repo, &["add", "-A"]);
        git(repo, &["commit", "-q", "-m", "feed"]);
        git(repo, &["checkout", "-q", "-b", "edit"]);
        let post = repo.join("posts/2026-12-01-studio.md");
        let text = fs::read_to_string(&post).unwrap();
        fs::write(&post, format!("{text}Now with more bowls.\n")).unwrap();
    });
    let tile = |id: &str| {
        let at = html.find(&format!("data-post=\"{id}\"")).unwrap();
        html[..at].rsplit("<a ").next().unwrap().to_string()
    };
    assert!(
        tile("2026-12-01-studio").contains(" pr\""),
        "{}",
        tile("2026-12-01-studio")
    );
    assert!(!tile("2026-11-20-mug-launch").contains(" pr\""));
    // The legend says what the outlines mean.
    let legend = html.split_once("data-legend>").unwrap().1;
    assert!(
        legend.contains("orange outline: added or changed by this pull request"),
        "{legend}"
    );
    // Each shown picture's card has the 3:4 crop overlay: the tiles' and
    // the draft's (on no tile).
    assert_eq!(html.matches("data-crop").count(), grid_ids(&html).len() + 1);
    assert!(html.contains("class=cut style=\"left:"), "crop geometry");
}

/// The colours of tests/fixtures/media/two-colour-reel.mp4: red for its
/// first two seconds, blue after (as encoded: H.264 moves them a little).
const RED: [f64; 3] = [214.0, 40.0, 40.0];
const BLUE: [f64; 3] = [37.0, 99.0, 235.0];

fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    (0..3).map(|c| (a[c] - b[c]).abs()).sum()
}

/// Adds two reels without a cover, the newest posts (the grid's first two
/// tiles): `red` (the frame at 0) and `blue` (`thumb_offset: 3000`).
pub(crate) fn add_coverless_reels(repo: &Path) {
    fs::copy(
        root().join("tests/fixtures/media/two-colour-reel.mp4"),
        repo.join("media/two-colour-reel.mp4"),
    )
    .unwrap();
    fs::write(
        repo.join("posts/2027-03-01-red.md"),
        "---\ntype: reel\npublish_at: 2027-03-01 09:00\nmedia: [../media/two-colour-reel.mp4]\n---\nRed.\n",
    )
    .unwrap();
    fs::write(
        repo.join("posts/2027-02-01-blue.md"),
        "---\ntype: reel\npublish_at: 2027-02-01 09:00\nmedia: [../media/two-colour-reel.mp4]\nthumb_offset: 3000\n---\nBlue.\n",
    )
    .unwrap();
}

/// The grid tile of post `id`: its markup up to the tile's end.
fn tile_of<'h>(html: &'h str, id: &str) -> &'h str {
    html.split(&format!("data-post=\"{id}\""))
        .nth(1)
        .unwrap()
        .split("</a>")
        .next()
        .unwrap()
}

#[test]
fn a_reel_without_a_cover_shows_its_frame_at_thumb_offset() {
    if crate::common::tool("ffmpeg").is_none() {
        return;
    }
    let (temp, repo, site, html) = previewed(&[], add_coverless_reels);
    assert_eq!(grid_ids(&html)[..2], ["2027-03-01-red", "2027-02-01-blue"]);
    let mut files = Vec::new();
    for (id, colour) in [("2027-03-01-red", RED), ("2027-02-01-blue", BLUE)] {
        let tile = tile_of(&html, id);
        let src = tile
            .split("src=\"")
            .nth(1)
            .unwrap_or_else(|| panic!("{id}: no image in {tile}"))
            .split('"')
            .next()
            .unwrap();
        // A real frame: a JPEG that decodes, the video's shape at the
        // thumbnail width, the colour of the video at that time.
        let frame = image::open(site.join(src)).unwrap().to_rgb8();
        assert_eq!((frame.width(), frame.height()), (360, 640), "{id}");
        let m = mean(&frame, 0, 0, frame.width(), frame.height());
        assert!(distance(m, colour) < 30.0, "{id}: mean colour {m:?}");
        files.push(src.to_string());
    }
    // One video, two offsets: two cache entries, two files.
    assert_ne!(files[0], files[1]);
    let cached = fs::read_dir(repo.join(".postwright/cache/thumbs"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("ms-")
        })
        .count();
    // And the first frame of the carousel's video slide (its strip).
    assert_eq!(cached, 3);

    // In the browser: the first two tiles are red and blue.
    let url = format!("file://{}", site.join("index.html").display());
    let shot = temp.path().join("shot.png");
    let Some(out) = chromium(&[
        "--window-size=390,844",
        &format!("--screenshot={}", shot.display()),
        &url,
    ]) else {
        return;
    };
    assert!(shot.is_file(), "{}", String::from_utf8_lossy(&out.stderr));
    let img = image::open(&shot).unwrap().to_rgb8();
    let red = best_tile_match(&img, 390, 3, 0, RED);
    let blue = best_tile_match(&img, 390, 3, 1, BLUE);
    assert!(red < 30.0 && blue < 30.0, "red {red:.1}, blue {blue:.1}");
}

#[test]
fn without_ffmpeg_a_video_tile_says_what_is_missing() {
    // A PATH with nothing on it: no ffmpeg, whatever this machine has.
    let empty = tempfile::tempdir().unwrap();
    let (_temp, _, _, html) =
        previewed_with_path(&[], add_coverless_reels, Some(empty.path().as_os_str()));
    for id in ["2027-03-01-red", "2027-02-01-blue"] {
        let tile = tile_of(&html, id);
        assert!(
            tile.contains("<div class=ph>video — install ffmpeg for a frame</div>"),
            "{id}: {tile}"
        );
    }
    // The reel with a cover still shows it.
    assert!(tile_of(&html, "2026-12-05-glaze-reel").contains("<img src="));
}

#[test]
fn a_video_ffmpeg_cannot_read_gets_a_labelled_placeholder() {
    if crate::common::tool("ffmpeg").is_none() {
        return;
    }
    let (_temp, _, _, html) = previewed(&[], |repo| {
        add_coverless_reels(repo);
        // Headers intact (moov first), the picture data cut off.
        let video = repo.join("media/two-colour-reel.mp4");
        let bytes = fs::read(&video).unwrap();
        let mdat = bytes.windows(4).position(|w| w == b"mdat").unwrap();
        fs::write(&video, &bytes[..mdat + 4]).unwrap();
    });
    let tile = tile_of(&html, "2027-03-01-red");
    assert!(tile.contains("<div class=ph>video — no frame: "), "{tile}");
}

/// A repo with example-content's studio photo in media/ and the accounts
/// `kilnandco` (Instagram) and `kiln-threads`, then `more` accounts.
pub(crate) fn studio_repo(repo: &Path, more: &str) {
    fs::create_dir_all(repo.join("posts")).unwrap();
    fs::create_dir_all(repo.join("media")).unwrap();
    fs::copy(
        root().join("example-content/media/studio.jpg"),
        repo.join("media/studio.jpg"),
    )
    .unwrap();
    let toml = format!(
        r#"content = ["posts"]
timezone = "Europe/Berlin"

[accounts.kilnandco]
user_id = "17841405822304914"
login = "facebook"
token_env = "INSTAGRAM_ACCESS_TOKEN"

[accounts.kiln-threads]
platform = "threads"
user_id = "1234567890"
token_env = "KILN_THREADS_TOKEN"
{more}
[media]
base_url = "https://raw.githubusercontent.com/{{repo}}/{{sha}}/"
"#
    );
    fs::write(repo.join("postwright.toml"), toml).unwrap();
}

/// A repo with an Instagram and a Threads account: one post to both (its
/// own Threads text, emoji, CJK, a link, a mention and markup in it), a
/// Threads-only text post before it, and a Threads post over the limit.
fn crossposted(repo: &Path) {
    studio_repo(repo, "");
    fs::write(
        repo.join("posts/2026-12-21-both.md"),
        format!(
            "---\naccounts: [kilnandco, kiln-threads]\npublish_at: 2026-12-21 09:00\nmedia: [../media/studio.jpg]\nalt_text: \"The studio at <dawn>\"\nthreads:\n  caption: {}\n---\nOn Instagram only #ceramics\n",
            serde_json::to_string(THREADS_TEXT).unwrap()
        ),
    )
    .unwrap();
    fs::write(
        repo.join("posts/2026-12-10-words.md"),
        "---\naccount: kiln-threads\npublish_at: 2026-12-10 09:00\n---\nJust words, no media.\n",
    )
    .unwrap();
    fs::write(
        repo.join("posts/2026-12-15-long.md"),
        format!(
            "---\naccount: kiln-threads\npublish_at: 2026-12-15 09:00\n---\n{}\n",
            "x".repeat(501)
        ),
    )
    .unwrap();
}

const THREADS_TEXT: &str =
    "焼き物👍 https://kiln.example/日本 with @kiln.co <script>alert(1)</script> 🎉";

/// The cards of the section `data-cards="<platform>"`, each from its
/// `data-post` to the next card.
fn section_cards<'h>(html: &'h str, platform: &str) -> Vec<(String, &'h str)> {
    let section = html
        .split_once(&format!("data-cards=\"{platform}\""))
        .map(|(_, rest)| rest.split_once("</section>").unwrap().0)
        .unwrap_or("");
    section
        .split("data-post=\"")
        .skip(1)
        .map(|s| (s.split('"').next().unwrap().to_string(), s))
        .collect()
}

#[test]
fn a_post_to_the_grid_and_threads_is_one_tile_and_one_threads_card() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("feed");
    crossposted(&repo);
    let site = temp.path().join("site");
    let stdout = preview_into(temp.path(), &repo, AT, &site);
    assert!(
        stdout.contains("1 tile on the grid, 3 cards for other platforms, 4 in the plan"),
        "{stdout}"
    );
    let html = fs::read_to_string(site.join("index.html")).unwrap();

    // The grid: the post once, as Instagram's; its card in Posts only once.
    assert_eq!(grid_ids(&html), ["2026-12-21-both"]);
    assert_eq!(html.matches("class=card ").count(), 1);

    // Threads: a card per Threads target, in publish order; the invalid
    // post has no time (the plan's, first).
    let cards = section_cards(&html, "threads");
    let ids: Vec<&str> = cards.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        ["2026-12-15-long", "2026-12-10-words", "2026-12-21-both"]
    );
    assert!(html.contains("<section data-cards=\"threads\"><h2>Threads</h2>"));
    let both = cards[2].1;
    assert!(both.contains("data-account=\"kiln-threads\""), "{both}");
    // Its Threads text, counted as Threads counts (an emoji as its UTF-8
    // bytes), not Instagram's caption.
    let count = THREADS_TEXT.chars().count() + ("👍".len() - 1) + ("🎉".len() - 1);
    assert!(
        both.contains(&format!("data-count>{count} / 500 characters<")),
        "{both}"
    );
    assert!(!both.contains("On Instagram only"), "{both}");
    // The link and the mention marked; markup is text.
    assert!(
        both.contains("<mark class=link>https://kiln.example/日本</mark>"),
        "{both}"
    );
    assert!(
        both.contains("<mark class=mention>@kiln.co</mark>"),
        "{both}"
    );
    assert!(!html.contains("<script>alert"), "escaped");
    assert!(
        both.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{both}"
    );
    // The picture with its alt text (escaped) as alt and title.
    assert!(
        both.contains("alt=\"The studio at &lt;dawn&gt;\" title=\"The studio at &lt;dawn&gt;\""),
        "{both}"
    );
    let src = both
        .split("src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(site.join(src).is_file(), "{src} is in the site");
    assert!(!both.contains("data-noalt"), "{both}");
    // A text post: no media, its count; the one over the limit is not
    // sent, and says why.
    let (long, words) = (cards[0].1, cards[1].1);
    assert!(words.contains("data-count>21 / 500 characters<"), "{words}");
    assert!(words.contains("2026-12-10 09:00"), "{words}");
    assert!(long.contains("text-too-long"), "{long}");
    assert!(long.contains("not sent to Threads"), "{long}");

    // December's calendar: the crosspost once on its day, the Threads-only
    // posts too.
    let december = temp.path().join("december");
    preview_into(temp.path(), &repo, "2026-12-01T12:00:00Z", &december);
    let page = fs::read_to_string(december.join("index.html")).unwrap();
    let calendar = page
        .split_once("data-calendar")
        .unwrap()
        .1
        .split_once("</table>")
        .unwrap()
        .0;
    let day = |d: u32| {
        calendar
            .split_once(&format!("data-day=\"{d}\">"))
            .unwrap()
            .1
            .split_once("</td>")
            .unwrap()
            .0
    };
    assert_eq!(day(21).matches("data-post=\"2026-12-21-both\"").count(), 1);
    assert!(
        day(10).contains("data-post=\"2026-12-10-words\""),
        "{calendar}"
    );

    // In a browser: the marks are elements, the markup in the text is not.
    let url = format!("file://{}", site.join("index.html").display());
    let Some(dom) = chromium(&["--dump-dom", &url]) else {
        return;
    };
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    assert!(
        dom.contains("<mark class=\"link\">https://kiln.example/日本</mark>"),
        "{dom}"
    );
    assert!(!dom.contains("<script"), "no script element: {dom}");
    assert_eq!(
        section_cards(&dom, "threads")
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>(),
        ids
    );
}

/// A carousel's card has every slide, in order, as a strip of thumbnails.
#[test]
fn a_carousels_card_shows_every_slide_as_a_strip() {
    let (_temp, _, site, html) = previewed(&[], |_| {});
    let strip = html
        .split_once("data-strip=\"2026-11-20-mug-launch\">")
        .expect("the carousel's strip")
        .1
        .split_once("</figure></div>")
        .map_or("", |(s, _)| s);
    let slides: Vec<&str> = strip
        .split("<img src=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    let post =
        fs::read_to_string(root().join("example-content/posts/2026-11-20-mug-launch.md")).unwrap();
    let items = post.matches("../media/").count();
    assert!(items >= 2, "{post}");
    assert_eq!(strip.matches("<figure ").count(), items, "{strip}");
    // The video slide is its first frame: that needs ffmpeg.
    if crate::common::tool("ffmpeg").is_none() {
        return;
    }
    assert_eq!(slides.len(), items, "{strip}");
    assert!(strip.contains(&format!("1/{items}")) && strip.contains(&format!("{items}/{items}")));
    // Each slide is its own picture, in the site.
    let distinct: std::collections::BTreeSet<&&str> = slides.iter().collect();
    assert_eq!(distinct.len(), items, "{slides:?}");
    for s in &slides {
        assert!(site.join(s).exists(), "{s}");
    }
}

/// A draft is on no tile, but its card shows its picture.
#[test]
fn a_drafts_card_shows_its_picture_and_no_tile() {
    let (_temp, _, site, html) = previewed(&[], |_| {});
    let ids = grid_ids(&html);
    let card = html
        .split("<div class=card id=\"post-")
        .find(|c| c.starts_with("drafts/new-glaze\"") || c.starts_with("new-glaze\""))
        .expect("the draft's card");
    let card = card.split("<div class=card").next().unwrap();
    let img = card
        .split_once("<img src=\"")
        .map(|(_, rest)| rest.split('"').next().unwrap())
        .unwrap_or_else(|| panic!("no picture in the draft's card: {card}"));
    assert!(site.join(img).exists(), "{img}");
    assert!(!ids.iter().any(|id| id.contains("new-glaze")), "{ids:?}");
}

/// The README's screenshots, made with the browser tests' own tooling:
/// `cargo test --test integration preview::readme_screenshots -- --ignored`
/// rewrites docs/img/preview-{phone,desktop}.png from example-content.
#[test]
#[ignore = "writes the README's screenshots: run by hand after changing the preview"]
fn readme_screenshots() {
    let (_temp, _, site, _) = previewed(&[], |_| {});
    let url = format!("file://{}", site.join("index.html").display());
    let dir = root().join("docs/img");
    fs::create_dir_all(&dir).unwrap();
    for (name, size) in [("phone", "390,1500"), ("desktop", "1280,1600")] {
        let shot = dir.join(format!("preview-{name}.png"));
        let Some(out) = chromium(&[
            &format!("--window-size={size}"),
            &format!("--screenshot={}", shot.display()),
            &url,
        ]) else {
            return;
        };
        assert!(out.status.success(), "{out:?}");
        let img = image::open(&shot).unwrap();
        assert!(img.width() >= 390, "{name}");
    }
}
