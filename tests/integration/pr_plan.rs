//! `plan --base REF`: the plan about a pull request. A calendar of 30
//! posts, a branch that edits one post's caption and replaces another's
//! image, renames a third and deletes a draft: those lead the Markdown
//! comment, the rest is folded, and the JSON plan marks them.

use crate::common::{fixtures, git, postwright};
use serde_json::Value;
use std::fs;
use std::path::Path;

const AT: &str = "2026-12-01T12:00:00Z";

fn post(day: u32) -> String {
    format!(
        "---\npublish_at: 2027-01-{day:02} 09:00\nmedia: [../media/p{day:02}.jpg]\n---\nDay {day} at the studio.\n"
    )
}

/// A content repo of 30 scheduled image posts (and a draft), committed on
/// `main`, then a branch with the pull request's changes.
fn calendar() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("posts")).unwrap();
    fs::create_dir_all(root.join("media")).unwrap();
    fs::write(
        root.join("postwright.toml"),
        "timezone = \"Europe/Berlin\"\n\n[accounts.kiln]\nuser_id = \"17841400000000001\"\ntoken_env = \"KILN_TOKEN\"\n",
    )
    .unwrap();
    let jpeg = fs::read(fixtures().join("media/square.jpg")).unwrap();
    for day in 1..=30 {
        fs::write(root.join(format!("media/p{day:02}.jpg")), &jpeg).unwrap();
        fs::write(root.join(format!("posts/2027-01-{day:02}.md")), post(day)).unwrap();
    }
    fs::write(
        root.join("posts/idea.md"),
        "---\ndraft: true\nmedia: [../media/p01.jpg]\n---\nSomeday.\n",
    )
    .unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "calendar"]);
    git(root, &["checkout", "-q", "-b", "january-edits"]);
    // Edit a caption, replace an image, rename a file, drop the draft.
    let p5 = root.join("posts/2027-01-05.md");
    fs::write(&p5, post(5).replace("at the studio", "in the glaze room")).unwrap();
    fs::write(
        root.join("media/p20.jpg"),
        fs::read(fixtures().join("media/portrait.jpg")).unwrap(),
    )
    .unwrap();
    git(
        root,
        &["mv", "posts/2027-01-12.md", "posts/2027-01-12-kiln.md"],
    );
    fs::remove_file(root.join("posts/idea.md")).unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "january edits"]);
    dir
}

fn plan(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = postwright(dir)
        .arg("--repo")
        .arg(dir)
        .args(["plan", "--at", AT, "--offline"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_markdown_plan_leads_with_the_pull_requests_posts() {
    let dir = calendar();
    let (code, md, err) = plan(dir.path(), &["--base", "main", "--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    let (mine, rest) = md.split_once("<details>").expect("the rest is folded");
    for touched in [
        "edited · scheduled | `posts/2027-01-05.md`",
        "edited · scheduled | `posts/2027-01-20.md`",
        "renamed · scheduled | `posts/2027-01-12-kiln.md`",
        "- removed `posts/idea.md`: never published, nothing to do",
    ] {
        assert!(mine.contains(touched), "{touched}:\n{md}");
    }
    assert_eq!(mine.matches("| ⏲ ").count(), 3, "{mine}");
    assert!(
        rest.starts_with("<summary>The other 27 posts: 27 scheduled</summary>"),
        "{rest}"
    );
    insta::assert_snapshot!("pr_plan_markdown", md);
}

#[test]
fn the_json_plan_marks_what_the_pull_request_touches() {
    let dir = calendar();
    let (code, out, err) = plan(dir.path(), &["--base", "main", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let marked: Vec<(String, Value)> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["pr"].is_null())
        .map(|e| (e["file"].as_str().unwrap().to_string(), e["pr"].clone()))
        .collect();
    assert_eq!(marked.len(), 3, "{marked:?}");
    let renamed = marked
        .iter()
        .find(|(f, _)| f == "posts/2027-01-12-kiln.md")
        .unwrap();
    assert_eq!(renamed.1["change"], "renamed");
    assert_eq!(renamed.1["from"], "posts/2027-01-12.md");
    assert_eq!(v["pull_request"]["base"], "main");
    assert_eq!(v["pull_request"]["deleted"][0], "posts/idea.md");
    // Without --base: no marks, no pull_request.
    let (_, out, _) = plan(dir.path(), &["--format", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("pull_request").is_none());
    assert!(v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e.get("pr").is_none()));
}

#[test]
fn an_unknown_base_warns_and_lists_every_post() {
    let dir = calendar();
    let (code, md, err) = plan(
        dir.path(),
        &["--base", "no-such-branch", "--format", "markdown"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: --base no-such-branch: not a commit"),
        "{err}"
    );
    assert!(!md.contains("This pull request"), "{md}");
    assert!(md.contains("posts/2027-01-30.md"), "{md}");
    // A ref that reads as an option is never passed to git as one.
    let (code, _, err) = plan(
        dir.path(),
        &["--base=--output=/tmp/pwned", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("cannot be empty or start with `-`"), "{err}");
    assert!(!Path::new("/tmp/pwned").exists());
}

/// A published post edited afterwards: `changed`, with what changed since
/// the commit it was published from, word by word.
#[test]
fn a_changed_post_shows_its_field_diffs_since_it_was_published() {
    use crate::apply_e2e::{Site, AT as APPLY_AT};
    let site = Site::publish_fixture(crate::graph::Login::Facebook);
    let root = site.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "posts"]);
    let (code, report, run) = site.apply(&["--only", "1-image"]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    let head = git(root, &["rev-parse", "HEAD"]).trim().to_string();
    assert_eq!(
        site.state()["posts"]["1-image"]["kiln"]["commit"],
        head.as_str()
    );
    // Edited after publishing: caption, the alt text, and the photo's bytes.
    let post = root.join("posts/1-image.md");
    let text = fs::read_to_string(&post).unwrap();
    let text = text
        .replace("Meet the Harbour mug.", "Meet the Coast mug.")
        .replace("A speckled blue mug", "A speckled green mug");
    fs::write(&post, text).unwrap();
    fs::copy(
        fixtures().join("media/square.jpg"),
        root.join("media/portrait.jpg"),
    )
    .unwrap();
    let run = site.run(&["plan", "--at", APPLY_AT, "--offline", "--format", "json"]);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let e = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "1-image")
        .unwrap();
    assert_eq!(e["action"], "changed", "{e:#}");
    let changes: Vec<(String, String)> = e["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["field"].as_str().unwrap().to_string(),
                c["diff"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        changes.contains(&(
            "caption".into(),
            "Meet the [-Harbour-] {+Coast+} mug. ☕ @oakandpaper".into()
        )),
        "{changes:#?}"
    );
    assert!(
        changes
            .iter()
            .any(|(f, d)| f == "media[1]" && d.contains("the file was replaced")),
        "{changes:#?}"
    );
    assert!(
        changes
            .iter()
            .any(|(f, d)| f == "media[1].alt_text" && d.contains("blue") && d.contains("green")),
        "{changes:#?}"
    );
    let human = site.run(&["plan", "--at", APPLY_AT, "--offline"]);
    assert!(
        human
            .stdout
            .contains("      ~ caption: Meet the [-Harbour-] {+Coast+} mug. ☕ @oakandpaper"),
        "{}",
        human.stdout
    );
}

/// A post written with a zone of its own shows its own clock, then the
/// config's; published times are in the config's zone, not UTC.
#[test]
fn times_show_the_posts_own_zone_and_the_configs() {
    let dir = calendar();
    fs::write(
        dir.path().join("posts/2027-01-07.md"),
        "---\npublish_at: 2027-01-07T09:00:00-05:00\nmedia: [../media/p07.jpg]\n---\nNew York morning.\n",
    )
    .unwrap();
    let (code, out, err) = plan(dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("2027-01-07 09:00 -05:00 (2027-01-07 15:00 CET)"),
        "{out}"
    );
    assert!(out.contains("2027-01-08 09:00 CET"), "{out}");
    assert!(!out.contains("UTC"), "{out}");
}
