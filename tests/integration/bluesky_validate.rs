//! Bluesky's validate rules through the CLI, offline: each case a post
//! file, each problem at its file and line with its rule and severity.

use crate::common::{copy_dir, fixtures, validate_json};
use serde_json::Value;
use std::fs;

/// (file, rule, line, severity) of every problem.
fn problems(report: &Value) -> Vec<(String, String, u64, String)> {
    let mut out: Vec<_> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap().to_string(),
                p["rule"].as_str().unwrap().to_string(),
                p["line"].as_u64().unwrap(),
                p["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn bluesky_rules_name_their_file_line_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixtures().join("publish/media"), &root.join("media"));
    fs::copy(
        fixtures().join("media/clip.mov"),
        root.join("media/clip.mov"),
    )
    .unwrap();
    fs::create_dir_all(root.join("posts")).unwrap();
    fs::write(
        root.join("postwright.toml"),
        "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[accounts.sky]\nplatform = \"bluesky\"\nhandle = \"kiln.bsky.social\"\nmax_video_bytes = 5000\n",
    )
    .unwrap();
    let posts = [
        // A card needs no text; its thumbnail is a repo image.
        ("card-only.yaml", "bluesky:\n  link:\n    url: https://kiln.example\n    thumb: ../media/square.jpg\n"),
        // With media the card is left out: a warning at `link`.
        ("card-dropped.yaml", "caption: hi\nmedia:\n  - src: ../media/square.jpg\n    alt_text: A mug\nbluesky:\n  link:\n    url: https://kiln.example\n"),
        ("card-url.yaml", "caption: hi\nbluesky:\n  link:\n    url: kiln.example/spring\n"),
        // A video among images.
        ("mixed.yaml", "caption: hi\nmedia:\n  - src: ../media/square.jpg\n    alt_text: A mug\n  - src: ../media/reel.mp4\n    alt_text: A wheel\n"),
        ("mov.yaml", "caption: hi\nmedia:\n  - src: ../media/clip.mov\n    alt_text: A clip\n"),
        // Over this account's max_video_bytes (5,000).
        ("video-big.yaml", "caption: hi\nmedia:\n  - src: ../media/reel.mp4\n    alt_text: A wheel\n"),
        ("url.yaml", "caption: hi\nmedia:\n  - src: https://cdn.example/mug.jpg\n    alt_text: A mug\n"),
        ("langs.yaml", "caption: hi\nbluesky:\n  langs: [en, ja, de, fr]\n"),
        ("label.yaml", "caption: hi\nbluesky:\n  labels: [spicy]\n"),
        ("empty.yaml", "caption: \"  \"\n"),
        // 300 graphemes of 10 bytes each: 3,000 bytes fits, one more does not.
        ("bytes.yaml", &format!("caption: \"{}\"\n", "👩\u{200d}👩\u{200d}👧".repeat(167))),
    ];
    for (name, body) in posts {
        fs::write(root.join("posts").join(name), body).unwrap();
    }
    let (code, report) = validate_json(root, &[]);
    assert_eq!(code, 1, "{report:#}");
    let p = |file: &str, rule: &str, line: u64, severity: &str| {
        (
            format!("posts/{file}"),
            rule.to_string(),
            line,
            severity.to_string(),
        )
    };
    assert_eq!(
        problems(&report),
        vec![
            p("bytes.yaml", "text-too-long", 1, "error"),
            p("card-dropped.yaml", "not-sent", 6, "warning"),
            p("card-url.yaml", "media-url", 4, "error"),
            p("empty.yaml", "schema", 1, "error"),
            p("label.yaml", "schema", 3, "error"),
            p("langs.yaml", "schema", 3, "error"),
            p("mixed.yaml", "media-count", 5, "error"),
            // The account's max_video_bytes holds in a mixed post too.
            p("mixed.yaml", "video-too-large", 5, "error"),
            p("mov.yaml", "media-format", 3, "error"),
            p("url.yaml", "media-url", 3, "error"),
            p("video-big.yaml", "video-too-large", 3, "error"),
        ],
        "{report:#}"
    );
    let message = |file: &str| -> String {
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["file"] == format!("posts/{file}"))
            .map(|x| x["message"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert!(
        message("bytes.yaml").contains("3006 of 3000 bytes"),
        "{report:#}"
    );
    assert!(
        message("video-big.yaml").contains("6,935 bytes"),
        "{report:#}"
    );
    assert!(message("mov.yaml").contains("MOV"), "{report:#}");
}
