//! What apply says while it works: a line every ten poll intervals while
//! Meta processes a video, a poll schedule that sees a short video soon
//! after it is ready, the first comment when it is posted, and each result
//! once.

use crate::apply_e2e::{account, Site, AT};
use crate::common::fixtures;
use crate::graph::{Login, ServerConfig};
use std::time::Duration;

fn slow_site(processing: Duration) -> Site {
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        video_processing: processing,
        ..ServerConfig::default()
    };
    Site::new(&fixtures().join("publish"), config, Login::Facebook, "")
}

#[test]
fn processing_is_reported_every_ten_poll_intervals_and_seen_soon_after_it_ends() {
    // 1.5 s of processing, polled every 20 ms: a line every 200 ms.
    let site = slow_site(Duration::from_millis(1500));
    let run = site.run(&["apply", "--at", AT, "--only", "3-reel"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("… posts/3-reel.md: Meta is processing the video ("))
        .collect();
    assert!(
        (4..=10).contains(&lines.len()),
        "about one line per 200 ms of 1.5 s: {lines:#?}\n{}",
        run.stderr
    );
    let requests = site.server.requests();
    let created = requests
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/media"))
        .unwrap()
        .at_ms;
    let published = requests
        .iter()
        .find(|r| r.path.ends_with("/media_publish"))
        .unwrap()
        .at_ms;
    assert!(
        published - created < 1500 + 400,
        "published {} ms after the container, for 1500 ms of processing",
        published - created
    );
}

#[test]
fn each_result_is_printed_once_and_the_first_comment_is_reported() {
    let site = slow_site(Duration::from_millis(200));
    let run = site.run(&["apply", "--at", AT]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("✓ posts/1-image.md: first comment ")),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.starts_with("✓ posts/1-image.md: published"))
            .count(),
        1,
        "{}",
        run.stderr
    );
    // The end says how many, without repeating the published posts.
    assert!(!run.stdout.contains("posts/1-image.md"), "{}", run.stdout);
    assert_eq!(run.stdout.trim(), "Apply: 5 published.", "{}", run.stdout);
}

#[test]
fn a_missing_token_is_said_once_for_the_account() {
    let site = slow_site(Duration::from_millis(100));
    let run = site.run_env(&["apply", "--at", AT], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let said = run
        .stderr
        .matches("the token variable KILN_TOKEN is not set")
        .count();
    assert_eq!(said, 1, "once on stderr: {}", run.stderr);
    assert_eq!(
        run.stdout.matches("the token variable KILN_TOKEN").count(),
        1,
        "once at the end: {}",
        run.stdout
    );
    assert!(run.stdout.contains("the same as above"), "{}", run.stdout);
}

#[test]
fn only_takes_files_suggests_ids_and_says_why_a_post_waits() {
    let site = slow_site(Duration::from_millis(100));
    // A path, as a shell completes it.
    let (code, report, run) = site.apply(&["--only", "./posts/1-image.md"]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(report["summary"], serde_json::json!({"published": 1}));
    // A typo: the closest id.
    let run = site.run(&["apply", "--at", AT, "--only", "1-imgae"]);
    assert_eq!(run.code, 64, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--only 1-imgae: no post has this id or file; did you mean `1-image`?"),
        "{}",
        run.stderr
    );
    // Not due yet: said, with when.
    let run = site.run(&["apply", "--at", AT, "--only", "6-later"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("posts/6-later.md: scheduled — publish_at is"),
        "{}",
        run.stderr
    );
}
