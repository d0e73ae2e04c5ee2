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
