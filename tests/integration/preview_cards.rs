//! The preview's cards as a browser shows them (Debian's headless
//! `chromium`): a carousel's strip, a video's frame and length, a later
//! month's calendar with its stories lane, each platform's version side
//! by side, the caption's fold. The page runs no script, so a probe page
//! beside the site loads it in a frame and reads what the browser made
//! of it (decoded image sizes, what is visible, what text shows).
//! Skipped without chromium (or ffmpeg, for frames) unless
//! POSTWRIGHT_REQUIRE_TOOLS=1.

use crate::common::root;
use crate::preview::{add_coverless_reels, chromium, preview_into, previewed, studio_repo};
use serde_json::Value;
use std::fs;
use std::path::Path;

/// Loads `site`'s index.html in a frame of a probe page and returns what
/// `probe` (a JS function body given the frame's `document` as `d`)
/// returns, as JSON; `None` when chromium is not installed.
fn in_browser(site: &Path, probe: &str) -> Option<Value> {
    let dir = site.parent().unwrap();
    let name = site.file_name().unwrap().to_string_lossy();
    let page = dir.join("probe.html");
    fs::write(
        &page,
        format!(
            "<!doctype html><html><body><pre id=out>pending</pre>\
             <iframe id=f src=\"{name}/index.html\" width=1280 height=900></iframe>\
             <script>\
             document.getElementById('f').addEventListener('load', () => {{\
               const out = document.getElementById('out');\
               try {{\
                 const d = document.getElementById('f').contentDocument;\
                 const r = (function (d) {{ {probe} }})(d);\
                 out.textContent = JSON.stringify(r);\
               }} catch (e) {{ out.textContent = JSON.stringify({{error: String(e)}}); }}\
             }});\
             </script></body></html>"
        ),
    )
    .unwrap();
    let url = format!("file://{}", page.display());
    let out = chromium(&[
        // The probe reads the frame's document: both are files.
        "--allow-file-access-from-files",
        "--virtual-time-budget=10000",
        "--dump-dom",
        &url,
    ])?;
    let dom = String::from_utf8_lossy(&out.stdout);
    let text = dom
        .split_once("<pre id=\"out\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(t, _)| t)
        .unwrap_or_else(|| panic!("no probe output: {dom}"));
    let json = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let value: Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: probe said {json}"));
    assert!(value.get("error").is_none(), "the probe failed: {value}");
    Some(value)
}

/// The JS of a function `shows(el)`: whether the element is there, not
/// hidden (a closed `<details>` hides its content from `checkVisibility`,
/// not from `getClientRects`) and takes space on the page.
const SHOWS: &str = "const shows = (el) => !!el && el.checkVisibility() \
                     && el.getClientRects().length > 0 && el.getBoundingClientRect().width > 0;";

#[test]
fn in_a_browser_a_carousels_strip_shows_every_slide_in_order() {
    if crate::common::tool("ffmpeg").is_none() {
        return;
    }
    let (_temp, _, site, _) = previewed(&[], |_| {});
    let probe = format!(
        "{SHOWS} return [...d.querySelectorAll('[data-strip=\"2026-11-20-mug-launch\"] figure')]\
         .map((f) => {{ const img = f.querySelector('img'); const vid = f.querySelector('[data-video]');\
           return {{item: f.dataset.item, n: f.querySelector('figcaption').textContent,\
             width: img ? img.naturalWidth : 0, shown: shows(img),\
             video: vid && shows(vid) ? vid.textContent : null}}; }});"
    );
    let Some(slides) = in_browser(&site, &probe) else {
        return;
    };
    let slides = slides.as_array().unwrap();
    // The post's items, in its order: two photos, then the video.
    let items: Vec<&str> = slides.iter().map(|s| s["item"].as_str().unwrap()).collect();
    assert_eq!(
        items,
        [
            "media/mug-desk.jpg",
            "media/mug-hand.jpg",
            "media/kiln-timelapse.mp4"
        ],
        "{slides:?}"
    );
    for (i, s) in slides.iter().enumerate() {
        assert_eq!(s["n"], format!("{}/3", i + 1), "{s}");
        assert!(s["width"].as_u64().unwrap() > 0, "slide {i} decoded: {s}");
        assert_eq!(s["shown"], true, "{s}");
    }
    // The video slide: its frame with the play mark and its 4 s.
    assert_eq!(slides[2]["video"], "▶ 0:04", "{slides:?}");
    assert!(slides[0]["video"].is_null(), "{slides:?}");
}

#[test]
fn in_a_browser_a_videos_card_and_tile_show_its_frame_and_length() {
    if crate::common::tool("ffmpeg").is_none() {
        return;
    }
    let (_temp, _, site, _) = previewed(&[], |repo| {
        add_coverless_reels(repo);
        fs::copy(
            root().join("tests/fixtures/media/story-video.mp4"),
            repo.join("media/story-video.mp4"),
        )
        .unwrap();
        fs::write(
            repo.join("posts/stories/2026-12-07-video.yaml"),
            "type: story\npublish_at: 2026-12-07 08:00\nmedia: [/media/story-video.mp4]\n",
        )
        .unwrap();
    });
    // For each: the picture's decoded size, whether a placeholder stands
    // in for it, and the corner's text if it shows.
    let probe = format!(
        "{SHOWS} const of = (el) => {{ if (!el) return null; const img = el.querySelector('img');\
           const vid = el.querySelector('[data-video]');\
           return {{width: img ? img.naturalWidth : 0, height: img ? img.naturalHeight : 0,\
             shown: shows(img), ph: !!el.querySelector('.ph'),\
             video: vid && shows(vid) ? vid.textContent : null,\
             ms: vid ? vid.dataset.video : null}}; }};\
         return {{reel: of(d.getElementById('post-2027-03-01-red')),\
           tile: of(d.querySelector('.tile[data-post=\"2027-03-01-red\"]')),\
           story: of(d.getElementById('post-stories/2026-12-07-video')),\
           picture: of(d.getElementById('post-2026-12-01-studio'))}};"
    );
    let Some(seen) = in_browser(&site, &probe) else {
        return;
    };
    for (name, length, ms) in [
        ("reel", "▶ 0:04", "4000"),
        ("tile", "▶ 0:04", "4000"),
        ("story", "▶ 0:10", "10000"),
    ] {
        let s = &seen[name];
        assert!(s["width"].as_u64().unwrap() > 0, "{name}: a frame: {s}");
        assert!(s["height"].as_u64().unwrap() > 0, "{name}: a frame: {s}");
        assert_eq!(s["shown"], true, "{name}: {s}");
        assert_eq!(s["ph"], false, "{name}: not the placeholder: {s}");
        assert_eq!(s["video"], length, "{name}: {s}");
        assert_eq!(s["ms"], ms, "{name}: {s}");
    }
    // A picture has no play mark.
    assert!(seen["picture"]["video"].is_null(), "{seen}");
    assert!(seen["picture"]["width"].as_u64().unwrap() > 0, "{seen}");
}

#[test]
fn in_a_browser_every_month_with_posts_has_its_calendar_and_its_stories_lane() {
    let (_temp, _, site, _) = previewed(&[], |_| {});
    // Each calendar: its month, and each post it shows with its day and
    // lane, if it shows.
    let probe = format!(
        "{SHOWS} return [...d.querySelectorAll('table[data-calendar]')].map((t) => ({{\
           month: t.dataset.calendar,\
           posts: [...t.querySelectorAll('[data-post]')].filter(shows).map((p) => ({{\
             id: p.dataset.post, day: p.closest('td').dataset.day,\
             story: !!p.closest('[data-lane=stories]')}}))}}));"
    );
    let Some(months) = in_browser(&site, &probe) else {
        return;
    };
    let months = months.as_array().unwrap();
    let names: Vec<&str> = months
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    // At 2026-11-20: November, and the two later months with posts.
    assert_eq!(names, ["2026-11", "2026-12", "2027-01"], "{months:?}");
    let posts = |m: usize| -> Vec<(String, String, bool)> {
        months[m]["posts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap().to_string(),
                    p["day"].as_str().unwrap().to_string(),
                    p["story"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let december = posts(1);
    let at = |id: &str, day: &str, story: bool| (id.to_string(), day.to_string(), story);
    assert!(
        december.contains(&at("2026-12-01-studio", "1", false)),
        "{december:?}"
    );
    assert!(
        december.contains(&at("2026-12-05-glaze-reel", "5", false)),
        "{december:?}"
    );
    // The story on its day, in the stories lane; nothing else there.
    assert!(
        december.contains(&at("stories/2026-12-06-sale", "6", true)),
        "{december:?}"
    );
    assert_eq!(december.iter().filter(|p| p.2).count(), 1, "{december:?}");
    assert_eq!(posts(2), [at("2027-01-10-holiday", "10", false)]);
}

/// A repo with a post to Instagram, Threads, Bluesky and Mastodon, each
/// with its own text.
fn four_ways(repo: &Path) {
    studio_repo(
        repo,
        r#"
[accounts.kiln-sky]
platform = "bluesky"
handle = "kiln.bsky.social"

[accounts.kiln-masto]
platform = "mastodon"
instance = "https://masto.example"
token_env = "KILN_MASTO_TOKEN"
max_characters = 1000
"#,
    );
    fs::write(
        repo.join("posts/2026-12-21-everywhere.md"),
        format!(
            "---\naccounts: [kilnandco, kiln-threads, kiln-sky, kiln-masto]\npublish_at: 2026-12-21 09:00\nmedia: [../media/studio.jpg]\nalt_text: The studio\nthreads:\n  caption: Threads text 👍\nbluesky:\n  caption: {}\nmastodon:\n  caption: Toot https://kiln.example/a-very-long-path-that-counts-as-23\n---\nThe grid's caption #ceramics\n",
            serde_json::to_string("Sky text 👍🏽").unwrap()
        ),
    )
    .unwrap();
}

#[test]
fn in_a_browser_each_platforms_version_is_side_by_side_with_its_count() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("feed");
    four_ways(&repo);
    let site = temp.path().join("site");
    preview_into(temp.path(), &repo, "2026-12-01T12:00:00Z", &site);
    let probe = format!(
        "{SHOWS} const row = d.querySelector('[data-versions=\"2026-12-21-everywhere\"]');\
         return [...row.querySelectorAll('[data-platform]')].map((c) => {{\
           const img = c.querySelector('img'); const count = c.querySelector('[data-count]');\
           return {{platform: c.dataset.platform, account: c.dataset.account,\
             title: c.querySelector('.ptitle').textContent,\
             text: c.querySelector('.text') ? c.querySelector('.text').innerText : null,\
             count: count && shows(count) ? count.textContent : null,\
             over: c.classList.contains('over'),\
             top: Math.round(c.getBoundingClientRect().top),\
             width: img ? img.naturalWidth : 0}}; }});"
    );
    let Some(cards) = in_browser(&site, &probe) else {
        return;
    };
    let cards = cards.as_array().unwrap();
    let field = |k: &str| -> Vec<Value> { cards.iter().map(|c| c[k].clone()).collect() };
    assert_eq!(
        field("platform"),
        ["instagram", "threads", "bluesky", "mastodon"],
        "{cards:?}"
    );
    assert_eq!(
        field("title"),
        ["Instagram", "Threads", "Bluesky", "Mastodon"]
    );
    // Each platform's own text and count, as that platform counts it: an
    // emoji as its 4 UTF-8 bytes on Threads, a URL as 23 on Mastodon,
    // against the account's own limit there.
    assert_eq!(
        field("count"),
        [
            "28 / 2200 characters",
            "17 / 500 characters",
            "10 / 300 graphemes",
            "28 / 1000 characters"
        ],
        "{cards:?}"
    );
    assert_eq!(cards[0]["text"], "The grid's caption #ceramics");
    assert_eq!(cards[1]["text"], "Threads text 👍");
    assert_eq!(cards[2]["text"], "Sky text 👍🏽");
    assert_eq!(field("over"), [false, false, false, false]);
    // Side by side: one row on a desktop, each with its picture.
    let tops = field("top");
    assert!(tops.iter().all(|t| *t == tops[0]), "{cards:?}");
    for c in cards {
        assert!(c["width"].as_u64().unwrap() > 0, "{c}");
    }
}

#[test]
fn in_a_browser_the_caption_folds_until_more_is_clicked() {
    let tail = "UNDERTHEFOLD";
    let caption = format!("{}{tail}", "Harbour mug ".repeat(11));
    let (_temp, _, site, _) = previewed(&[], |repo| {
        fs::write(
            repo.join("posts/2026-12-20-long.md"),
            format!(
                "---\npublish_at: 2026-12-20 09:00\nmedia: [../media/studio.jpg]\n---\n{caption}\n"
            ),
        )
        .unwrap();
    });
    // What the caption shows before and after "… more" is clicked.
    let probe = format!(
        "{SHOWS} const c = d.querySelector('#post-2026-12-20-long .caption');\
         const more = c.querySelector('summary');\
         const before = {{text: c.innerText, more: shows(more), rest: shows(c.querySelector('.rest'))}};\
         more.click();\
         return {{before, after: {{text: c.innerText, more: shows(more), rest: shows(c.querySelector('.rest'))}}}};"
    );
    let Some(seen) = in_browser(&site, &probe) else {
        return;
    };
    let (before, after) = (&seen["before"], &seen["after"]);
    let text = before["text"].as_str().unwrap();
    // Folded after 125 characters: the head and "… more", not the tail.
    let head: String = caption.chars().take(125).collect();
    assert_eq!(text, format!("{head}… more"), "{seen}");
    assert!(!text.contains(tail), "{seen}");
    assert_eq!(before["more"], true, "{seen}");
    assert_eq!(before["rest"], false, "{seen}");
    // Clicked: all of it, and "… more" gone.
    assert_eq!(after["text"], caption, "{seen}");
    assert_eq!(after["more"], false, "{seen}");
    assert_eq!(after["rest"], true, "{seen}");
}
