//! `postwright preview`: the static site's contract (the grid in grid
//! order, newest first, against the plan), self-containment, and escaping
//! of what post files say. In-browser checks (layout at phone and desktop
//! widths, screenshots) are not here yet.

use crate::common::{copy_dir, postwright, root};
use serde_json::Value;
use std::fs;

const AT: &str = "2026-11-25T12:00:00Z";

fn grid_ids(html: &str) -> Vec<String> {
    let grid = html
        .split_once("data-grid>")
        .expect("a data-grid element")
        .1
        .split_once("</div>")
        .unwrap()
        .0;
    grid.split("data-post=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

#[test]
fn the_grid_shows_the_feed_newest_first_and_the_site_is_self_contained() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("feed");
    copy_dir(&root().join("example-content"), &repo);
    let site = temp.path().join("site");
    let out = postwright(temp.path())
        .arg("--repo")
        .arg(&repo)
        .args(["preview", "--at", AT, "--out"])
        .arg(&site)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = fs::read_to_string(site.join("index.html")).unwrap();

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
    // A month calendar and a card per post.
    assert!(html.contains("data-calendar"), "calendar");
    assert_eq!(
        html.matches("class=card ").count(),
        plan["entries"].as_array().unwrap().len()
    );
}

#[test]
fn what_a_post_says_is_shown_as_text_never_as_markup() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("feed");
    copy_dir(&root().join("example-content"), &repo);
    fs::write(
        repo.join("posts/2026-12-20-hostile.md"),
        "---\npublish_at: 2026-12-20 09:00\nmedia: [../media/studio.jpg]\nfirst_comment: \"<img src=x onerror=alert(1)>\"\n---\n<script>alert('pwned')</script> #ok\n",
    )
    .unwrap();
    let site = temp.path().join("site");
    let out = postwright(temp.path())
        .arg("--repo")
        .arg(&repo)
        .args(["preview", "--at", AT, "--out"])
        .arg(&site)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = fs::read_to_string(site.join("index.html")).unwrap();
    assert!(!html.contains("<script>alert"), "escaped");
    assert!(html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"));
    assert!(!html.contains("<img src=x"), "escaped");
    assert!(html.contains("<span class=tag>#ok</span>"));
    // 2026-12-20: after the January post, before the December 5 reel.
    assert_eq!(grid_ids(&html)[1], "2026-12-20-hostile", "newest first");
}
