//! Mastodon's validate rules through the CLI, offline: each case a post
//! file, each problem at its file and line with its rule and severity;
//! the text counted as Mastodon counts it (URLs 23, mentions as @user).

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

fn image(n: usize) -> String {
    "  - src: ../media/square.jpg\n    alt_text: A mug\n".repeat(n)
}

#[test]
fn mastodon_rules_name_their_file_line_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixtures().join("publish/media"), &root.join("media"));
    fs::create_dir_all(root.join("posts")).unwrap();
    fs::write(
        root.join("postwright.toml"),
        "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[accounts.masto]\nplatform = \"mastodon\"\ninstance = \"https://social.example\"\n",
    )
    .unwrap();
    let url = "https://kiln.example/a/very/long/path/that/mastodon/counts/as/twenty-three";
    let mention = "@alice@social.example";
    let posts = [
        // 481 + 1 + 6 (@alice) + 1 + 23 (the URL) = 512 of 500.
        (
            "long.yaml",
            format!("caption: \"{} {mention} {url}\"\n", "a".repeat(481)),
        ),
        // 469 + 1 + 6 + 1 + 23 = 500: fits, although it is far longer.
        (
            "fits.yaml",
            format!("caption: \"{} {mention} {url}\"\n", "a".repeat(469)),
        ),
        // The content warning counts: 10 + 491 = 501.
        (
            "cw.yaml",
            format!(
                "caption: \"{}\"\nmastodon:\n  spoiler_text: \"{}\"\n",
                "a".repeat(491),
                "b".repeat(10)
            ),
        ),
        ("four.yaml", format!("caption: hi\nmedia:\n{}", image(4))),
        ("five.yaml", format!("caption: hi\nmedia:\n{}", image(5))),
        (
            "mixed.yaml",
            format!(
                "caption: hi\nmedia:\n{}  - src: ../media/reel.mp4\n    alt_text: A wheel\n",
                image(1)
            ),
        ),
        (
            "noalt.yaml",
            "caption: hi\nmedia:\n  - src: ../media/square.jpg\n".to_string(),
        ),
        (
            "story.yaml",
            "type: story\nmedia:\n  - src: ../media/square.jpg\n    alt_text: A mug\n".to_string(),
        ),
        (
            "url.yaml",
            "caption: hi\nmedia:\n  - src: https://cdn.example/mug.jpg\n    alt_text: A mug\n"
                .to_string(),
        ),
        (
            "visibility.yaml",
            "caption: hi\nmastodon:\n  visibility: everyone\n".to_string(),
        ),
        (
            "options.yaml",
            "caption: hi\nmastodon:\n  visibility: unlisted\n  sensitive: true\n  language: en\n"
                .to_string(),
        ),
        ("empty.yaml", "caption: \"  \"\n".to_string()),
    ];
    for (name, body) in &posts {
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
            p("cw.yaml", "text-too-long", 1, "error"),
            p("empty.yaml", "schema", 1, "error"),
            // The fifth image's src: line 2 + 4 items of 2 lines.
            p("five.yaml", "media-count", 11, "error"),
            p("long.yaml", "text-too-long", 1, "error"),
            p("mixed.yaml", "media-count", 5, "error"),
            p("noalt.yaml", "alt-text-missing", 3, "warning"),
            p("story.yaml", "not-on-platform", 1, "error"),
            p("url.yaml", "media-url", 3, "error"),
            p("visibility.yaml", "schema", 3, "error"),
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
        message("long.yaml").contains("512 of 500 characters"),
        "{report:#}"
    );
    assert!(
        message("cw.yaml").contains("501 of 500 characters"),
        "{report:#}"
    );
}

#[test]
fn an_account_s_own_limits_replace_mastodon_s_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixtures().join("publish/media"), &root.join("media"));
    fs::create_dir_all(root.join("posts")).unwrap();
    fs::write(
        root.join("postwright.toml"),
        "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[accounts.masto]\nplatform = \"mastodon\"\ninstance = \"https://social.example\"\nmax_characters = 1000\nmax_media_attachments = 2\n",
    )
    .unwrap();
    let posts = [
        ("long.yaml", format!("caption: \"{}\"\n", "a".repeat(900))),
        ("three.yaml", format!("caption: hi\nmedia:\n{}", image(3))),
    ];
    for (name, body) in &posts {
        fs::write(root.join("posts").join(name), body).unwrap();
    }
    let (code, report) = validate_json(root, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        problems(&report),
        vec![(
            "posts/three.yaml".to_string(),
            "media-count".to_string(),
            7,
            "error".to_string()
        )],
        "{report:#}"
    );
}
