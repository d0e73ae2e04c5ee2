//! Every due post gets an outcome (issue 27): the real binary against the
//! test Graph API server. A post with a live twin that went out before it
//! was due is held for a person, not swallowed; a held duplicate is named
//! by apply and warns; adopted is never counted as published; an old file
//! waits as overdue instead of going out at once.

use crate::apply_e2e::{Site, AT};
use crate::apply_faults::results;
use crate::graph::{Login, ServerConfig};
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::fs;

/// The media of tests/fixtures/publish and these posts, one account.
fn site(posts: &[(&str, &str)]) -> Site {
    crate::features_e2e::site(posts, Login::Facebook, ServerConfig::default())
}

/// `apply --at at --format json EXTRA`: (exit code, report, stderr).
fn apply_at(site: &Site, at: &str, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["apply", "--at", at, "--format", "json"];
    args.extend_from_slice(extra);
    let run = site.run(&args);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}\n{}", run.stdout, run.stderr));
    (run.code, report, run.stderr)
}

/// RFC 3339, to the second.
fn rfc(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

const FRIDAY: &str = "Happy Friday from the studio!";

fn friday(publish_at: Option<&str>) -> String {
    let when = publish_at.map_or(String::new(), |t| format!("publish_at: {t}\n"));
    format!("---\n{when}media: [../media/square.jpg]\n---\n{FRIDAY}\n")
}

#[test]
fn a_twin_made_in_the_app_before_publish_at_is_held_for_a_person_not_swallowed() {
    // "Made in the app": a post with the caption goes live now, and its
    // file and record are gone — the record never knew it.
    let site = site(&[("app.md", &friday(None))]);
    let (code, _, stderr) = apply_at(&site, AT, &[]);
    assert_eq!(code, 0, "{stderr}");
    let app_media = site.server.published()[0].id.clone();
    fs::remove_file(site.path().join("posts/app.md")).unwrap();
    fs::remove_file(site.path().join(".postwright/state.json")).unwrap();

    // The file, due three hours after that post went live.
    let due = Timestamp::now() + SignedDuration::from_hours(3);
    let (due, at) = (rfc(due), rfc(due + SignedDuration::from_mins(1)));
    fs::write(site.path().join("posts/friday.md"), friday(Some(&due))).unwrap();
    let (code, report, stderr) = apply_at(&site, &at, &[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(report["summary"], json!({"held": 1}), "{report:#}");
    let held = &results(&report, "held")[0];
    assert_eq!(held["why"], "possible_twin", "{held:#}");
    let message = held["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("postwright state adopt friday {app_media}"))
            && message.contains("allow_duplicate: true")
            && message.contains("3 h 0 min before this post was due"),
        "{message}"
    );
    assert_eq!(site.server.published().len(), 1, "not published");
    let recorded = site.path().join(".postwright/state.json").exists()
        && site.state()["posts"].get("friday").is_some();
    assert!(!recorded, "nor recorded");

    // It needs a person: a warning on GitHub, exit 2 with --detailed-exitcode.
    let (code, _, _) = apply_at(&site, &at, &["--detailed-exitcode"]);
    assert_eq!(code, 2);
    let run = site.run(&["apply", "--at", &at, "--format", "github"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "::warning file=posts/friday.md,line=1,title=not published (possible twin)::"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("Apply: 1 held (possible twin).\n"),
        "{}",
        run.stdout
    );

    // The person says it is this post: recorded, never published.
    let run = site.run(&["state", "adopt", "friday", &app_media]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("recorded friday"), "{}", run.stderr);
    let state = site.state();
    assert_eq!(state["posts"]["friday"]["kiln"]["status"], "published");
    assert_eq!(state["posts"]["friday"]["kiln"]["media_id"], app_media);
    let (code, report, stderr) = apply_at(&site, &at, &["--detailed-exitcode"]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(site.server.published().len(), 1, "still once");
    assert_eq!(
        site.state()["posts"]["friday"]["kiln"]["permalink"],
        site.server.published()[0].permalink.as_str(),
        "the next apply read its permalink"
    );
}

#[test]
fn a_twin_live_since_publish_at_is_adopted_and_not_counted_as_published() {
    let site = site(&[("friday.md", &friday(Some("2026-12-01T09:00:00Z")))]);
    let (code, report, stderr) = apply_at(&site, AT, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["summary"], json!({"published": 1}));
    fs::remove_file(site.path().join(".postwright/state.json")).unwrap();
    let run = site.run(&["apply", "--at", AT]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.ends_with("Apply: 1 adopted.\n"),
        "adopted is not published: {}",
        run.stdout
    );
    assert_eq!(site.server.published().len(), 1);
    assert_eq!(
        site.state()["posts"]["friday"]["kiln"]["status"],
        "published"
    );
}

const STORY: &str = "type: story\npublish_at: 2026-12-01 12:00\nmedia: [../media/story.jpg]\n";

#[test]
fn a_held_duplicate_is_named_by_apply_and_warns() {
    let site = site(&[("story-a.yaml", STORY), ("story-b.yaml", STORY)]);
    let (code, report, stderr) = apply_at(&site, AT, &[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(
        report["summary"],
        json!({"published": 1, "held": 1}),
        "{report:#}"
    );
    let held = &results(&report, "held")[0];
    assert_eq!(held["file"], "posts/story-b.yaml");
    assert_eq!(held["why"], "duplicate");
    assert!(
        held["message"]
            .as_str()
            .unwrap()
            .contains("allow_duplicate: true"),
        "{held:#}"
    );
    assert_eq!(site.server.published().len(), 1);

    // Every later run says it again, until someone decides.
    let (code, report, _) = apply_at(&site, AT, &["--detailed-exitcode"]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["summary"], json!({"held": 1}), "{report:#}");
    let run = site.run(&["apply", "--at", AT]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("held_duplicate_human", run.stdout);
    let run = site.run(&["apply", "--at", AT, "--format", "github"]);
    assert!(
        run.stdout
            .contains("::warning file=posts/story-b.yaml,line=1,title=not published (duplicate)::"),
        "{}",
        run.stdout
    );
}

const ARCHIVE: &str = "---\npublish_at: 2023-03-03 09:00\nmedia: [../media/portrait.jpg]\n---\nFrom the archive: our first mug.\n";

#[test]
fn an_old_file_waits_as_overdue_until_a_person_says_publish_overdue() {
    let site = site(&[
        ("archive.md", ARCHIVE),
        ("friday.md", &friday(Some("2026-12-01 12:00"))),
    ]);
    let plan = site.run(&["plan", "--at", AT, "--format", "json"]);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    let archive = crate::plan::entry(&plan, "archive");
    assert_eq!(archive["action"], "overdue", "{plan:#}");
    assert_eq!(plan["summary"], json!({"overdue": 1, "publish": 1}));
    let markdown = site.run(&["plan", "--at", AT, "--format", "markdown"]);
    assert!(
        markdown
            .stdout
            .contains("| ⌛ overdue | `posts/archive.md` |"),
        "{}",
        markdown.stdout
    );
    let github = site.run(&["plan", "--at", AT, "--format", "github"]);
    assert!(
        github.stdout.contains(
            "::warning file=posts/archive.md,line=1,title=overdue::due since 1369 days ago"
        ),
        "{}",
        github.stdout
    );

    let (code, report, stderr) = apply_at(&site, AT, &["--detailed-exitcode"]);
    assert_eq!(code, 2, "{report:#}\n{stderr}");
    assert_eq!(report["summary"], json!({"published": 1, "held": 1}));
    let held = &results(&report, "held")[0];
    assert_eq!(
        (held["file"].as_str(), held["why"].as_str()),
        (Some("posts/archive.md"), Some("overdue"))
    );
    assert_eq!(site.server.published().len(), 1, "only the post due today");

    // Said on purpose: it goes out, once.
    let path = site.path().join("posts/archive.md");
    fs::write(
        &path,
        ARCHIVE.replacen("---\n", "---\npublish_overdue: true\n", 1),
    )
    .unwrap();
    let (code, report, stderr) = apply_at(&site, AT, &["--detailed-exitcode"]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(report["summary"], json!({"published": 1}));
    assert_eq!(site.server.published().len(), 2);
}
