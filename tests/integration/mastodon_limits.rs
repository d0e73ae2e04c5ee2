//! Mastodon polls, focal points and the live instance's limits (issue 29):
//! validate checks polls and focal points offline at their lines; apply
//! sends them as Mastodon reads them; plan (online) says where
//! postwright.toml's limits differ from the instance's and which due post
//! the instance would refuse, and apply fails such a post before any of
//! its media is uploaded. Bad input: a server that is not Mastodon, a
//! token without `write:media`, a file type Mastodon does not take.

use crate::apply_e2e::apply_with;
use crate::bluesky_e2e::run_in;
use crate::common::validate_json;
use crate::mastodon::{repo, MastodonConfig, MastodonServer, TOKEN, TOKEN_NO_MEDIA, VAR};
use serde_json::Value;
use std::fs;
use std::path::Path;

/// After every post's `publish_at`.
const AT: &str = "2026-12-01T12:00:00Z";

fn write(root: &Path, name: &str, body: &str) {
    fs::write(root.join("posts").join(name), body).unwrap();
}

/// (file, rule, line) of every problem, sorted.
fn problems(report: &Value) -> Vec<(String, String, u64)> {
    let mut out: Vec<_> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["file"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("posts/")
                    .to_string(),
                p["rule"].as_str().unwrap().to_string(),
                p["line"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn message<'r>(report: &'r Value, file: &str) -> &'r str {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["file"] == format!("posts/{file}"))
        .and_then(|p| p["message"].as_str())
        .unwrap_or_else(|| panic!("{file}: {report:#}"))
}

fn poll(options: &str, expires: &str) -> String {
    format!("caption: Tea or coffee?\nmastodon:\n  poll:\n    options: {options}\n    expires_in: {expires}\n")
}

const ONE_IMAGE: &str = "caption: hi\nmedia:\n  - src: ../media/square.jpg\n    alt_text: A mug\n";

#[test]
fn polls_focal_points_alt_text_and_file_types_are_checked_offline_at_their_lines() {
    let dir = repo("https://social.example", "");
    let root = dir.path();
    // A TIFF: an image Mastodon does not take.
    fs::write(
        root.join("media/scan.tif"),
        b"II*\0\x08\0\0\0\0\0\0\0\0\0\0\0",
    )
    .unwrap();
    let posts = [
        ("poll-ok.yaml", poll("[Tea, Coffee, Water]", "1d")),
        (
            "poll-no-text.yaml",
            "mastodon:\n  poll:\n    options: [Tea, Coffee]\n    expires_in: 1d\n".to_string(),
        ),
        ("poll-seconds.yaml", poll("[Tea, Coffee]", "300")),
        ("poll-one.yaml", poll("[Tea]", "1d")),
        ("poll-five.yaml", poll("[a, b, c, d, e]", "1d")),
        ("poll-dup.yaml", poll("[Tea, Tea]", "1d")),
        ("poll-long.yaml", poll(&format!("[Tea, {}]", "x".repeat(51)), "1d")),
        ("poll-soon.yaml", poll("[Tea, Coffee]", "60")),
        ("poll-far.yaml", poll("[Tea, Coffee]", "40d")),
        ("poll-what.yaml", poll("[Tea, Coffee]", "2w")),
        (
            "poll-media.yaml",
            format!("{ONE_IMAGE}mastodon:\n  poll:\n    options: [Tea, Coffee]\n    expires_in: 1d\n"),
        ),
        ("focus-ok.yaml", "caption: hi\nmedia:\n  - src: ../media/square.jpg\n    alt_text: A\n  - src: ../media/square.jpg\n    alt_text: B\nmastodon:\n  focus: [\"0,0.3\", null]\n".to_string()),
        ("focus-out.yaml", format!("{ONE_IMAGE}mastodon:\n  focus: [\"1.5,0\"]\n")),
        ("focus-extra.yaml", format!("{ONE_IMAGE}mastodon:\n  focus: [\"0,0\", \"0,0\"]\n")),
        ("tiff.yaml", "caption: hi\nmedia:\n  - src: ../media/scan.tif\n    alt_text: A scan\n".to_string()),
        ("alt.yaml", format!("caption: hi\nmedia:\n  - src: ../media/square.jpg\n    alt_text: {}\n", "a".repeat(1501))),
    ];
    for (name, body) in &posts {
        write(root, name, body);
    }
    let (code, report) = validate_json(root, &[]);
    assert_eq!(code, 1, "{report:#}");
    let p = |file: &str, rule: &str, line: u64| (file.to_string(), rule.to_string(), line);
    assert_eq!(
        problems(&report),
        vec![
            p("alt.yaml", "text-too-long", 4),
            p("focus-extra.yaml", "schema", 6),
            p("focus-out.yaml", "schema", 6),
            p("poll-dup.yaml", "schema", 4),
            p("poll-far.yaml", "schema", 5),
            p("poll-five.yaml", "schema", 4),
            p("poll-long.yaml", "schema", 4),
            p("poll-media.yaml", "field-not-allowed", 6),
            p("poll-no-text.yaml", "schema", 1),
            p("poll-one.yaml", "schema", 4),
            p("poll-soon.yaml", "schema", 5),
            p("poll-what.yaml", "schema", 5),
            p("tiff.yaml", "media-format", 3),
        ],
        "{report:#}"
    );
    for (file, words) in [
        (
            "alt.yaml",
            "1501 characters; this Mastodon account takes at most 1500",
        ),
        ("focus-extra.yaml", "focal point 2 has no media item"),
        ("focus-out.yaml", "`1.5,0` is not a focal point"),
        ("poll-dup.yaml", "poll option 2 repeats an earlier one"),
        ("poll-far.yaml", "at most 2629746 seconds"),
        ("poll-five.yaml", "at most 4 poll options; this one has 5"),
        ("poll-long.yaml", "poll option 2 has 51 characters"),
        ("poll-media.yaml", "a poll or media, not both"),
        ("poll-no-text.yaml", "a Mastodon poll needs text"),
        ("poll-one.yaml", "at least 2 options; this one has 1"),
        ("poll-soon.yaml", "at least 300 seconds"),
        ("poll-what.yaml", "`2w` is not a duration"),
        ("tiff.yaml", "scan.tif is not a type Mastodon takes"),
    ] {
        assert!(message(&report, file).contains(words), "{file}: {report:#}");
    }
    // `postwright schema post` describes both.
    let schema = run_in(root, &[], &["schema", "post"]);
    let schema: Value = serde_json::from_str(&schema.stdout).unwrap();
    let map = &schema["properties"]["mastodon"]["properties"];
    let poll = &map["poll"]["properties"];
    for key in ["options", "expires_in", "multiple", "hide_totals"] {
        assert!(poll[key]["description"].is_string(), "{key}: {map:#}");
    }
    assert!(map["focus"]["description"]
        .as_str()
        .unwrap()
        .contains("-1.0 to 1.0"));
}

#[test]
fn a_poll_and_focal_points_are_sent_as_mastodon_reads_them() {
    let server = MastodonServer::start_blocking(MastodonConfig::default());
    let dir = repo(&server.url(), "");
    let root = dir.path();
    write(
        root,
        "1-poll.yaml",
        "publish_at: 2026-12-01 09:00\ncaption: Which glaze?\nmastodon:\n  poll:\n    options: [Celadon, Tenmoku, Shino]\n    expires_in: 6h\n    multiple: true\n    hide_totals: true\n",
    );
    write(
        root,
        "2-focus.yaml",
        "publish_at: 2026-12-01 09:01\ncaption: Two mugs\nmedia:\n  - src: ../media/square.jpg\n    alt_text: Left\n  - src: ../media/square.jpg\n    alt_text: Right\nmastodon:\n  focus: [\"0.5,-0.25\"]\n",
    );
    let (code, report, run) = apply_with(&[], |args| run_in(root, &[(VAR, TOKEN)], args));
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    let live = server.live_statuses();
    assert_eq!(live.len(), 2, "{report:#}");
    let polled = live.iter().find(|s| s.text == "Which glaze?").unwrap();
    let p = polled.poll.as_ref().expect("a poll");
    assert_eq!(
        p["options"],
        serde_json::json!(["Celadon", "Tenmoku", "Shino"])
    );
    assert_eq!(p["expires_in"], "21600");
    assert_eq!(p["multiple"], "true");
    assert_eq!(p["hide_totals"], "true");
    assert!(polled.media_ids.is_empty());
    let mugs = live.iter().find(|s| s.text == "Two mugs").unwrap();
    let media = server.media();
    let focus: Vec<_> = mugs
        .media_ids
        .iter()
        .map(|id| media.iter().find(|m| &m.id == id).unwrap().focus)
        .collect();
    assert_eq!(focus, [Some((0.5, -0.25)), None]);
}

/// A 450-character text with an image (fits Mastodon's default 500, not
/// an instance's 400) and a short text.
fn long_and_short(root: &Path) {
    write(
        root,
        "1-long.yaml",
        &format!(
            "publish_at: 2026-12-01 09:00\ncaption: \"{}\"\nmedia:\n  - src: ../media/square.jpg\n    alt_text: A mug\n",
            "a".repeat(450)
        ),
    );
    write(
        root,
        "2-short.yaml",
        "publish_at: 2026-12-01 09:01\ncaption: Hello\n",
    );
}

fn warnings(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains("warning")).collect()
}

#[test]
fn plan_says_where_the_live_limits_differ_and_apply_fails_the_post_before_any_upload() {
    let server = MastodonServer::start_blocking(MastodonConfig {
        max_characters: 400,
        ..MastodonConfig::default()
    });
    let dir = repo(&server.url(), "");
    let root = dir.path();
    long_and_short(root);
    let envs = [(VAR, TOKEN)];
    let offline = run_in(root, &envs, &["plan", "--at", AT, "--offline"]);
    assert!(server.calls().is_empty(), "{:?}", server.calls());
    let plan = run_in(root, &envs, &["plan", "--at", AT]);
    let w = warnings(&plan.stderr);
    assert!(
        w.iter().any(|l| l.contains("allows max_characters = 400; Mastodon's default (what validate uses) is 500: set max_characters = 400 in [accounts.masto]")),
        "{}",
        plan.stderr
    );
    assert!(
        w.iter().any(
            |l| l.contains("posts/1-long.yaml: the text counts 450 characters")
                && l.contains("allows 400 (max_characters): apply will fail this post")
        ),
        "{}",
        plan.stderr
    );
    assert!(!plan.stderr.contains("2-short.yaml"), "{}", plan.stderr);
    // Warnings, not errors.
    assert_eq!(plan.code, offline.code, "{}\n{}", plan.stdout, plan.stderr);
    let read = server.calls_to("GET /api/v2/instance").len();
    assert!(read >= 1);

    let (code, report, run) = apply_with(&[], |args| run_in(root, &envs, args));
    assert_ne!(code, 0, "{report:#}\n{}", run.stderr);
    // The instance read by auth's look at the token (its version) and once
    // for both posts' builds; no media uploaded for the post it refuses,
    // the other published.
    assert_eq!(
        server.calls_to("GET /api/v2/instance").len(),
        read + 2,
        "{:#?}",
        server.calls().iter().map(|c| c.route()).collect::<Vec<_>>()
    );
    assert!(server.calls_to("POST /api/v2/media").is_empty());
    let live = server.live_statuses();
    assert_eq!(live.len(), 1, "{report:#}");
    assert_eq!(live[0].text, "Hello");
    let text = report.to_string();
    assert!(
        text.contains("posts/1-long.yaml: the text counts 450 characters")
            && text.contains("the instance allows 400 (max_characters)"),
        "{report:#}"
    );
    let state: Value =
        serde_json::from_str(&fs::read_to_string(root.join(".postwright/state.json")).unwrap())
            .unwrap();
    assert_eq!(
        state["posts"]["1-long"]["masto"]["status"], "failed",
        "{state:#}"
    );
}

#[test]
fn a_larger_live_limit_written_in_postwright_toml_publishes_a_longer_text() {
    let server = MastodonServer::start_blocking(MastodonConfig {
        max_characters: 1000,
        ..MastodonConfig::default()
    });
    let dir = repo(&server.url(), "max_characters = 1000\n");
    let root = dir.path();
    let text = "b".repeat(600);
    write(
        root,
        "long.yaml",
        &format!("publish_at: 2026-12-01 09:00\ncaption: \"{text}\"\n"),
    );
    let envs = [(VAR, TOKEN)];
    let plan = run_in(root, &envs, &["plan", "--at", AT]);
    assert!(!plan.stderr.contains("max_characters"), "{}", plan.stderr);
    let (code, report, run) = apply_with(&[], |args| run_in(root, &envs, args));
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    let live = server.live_statuses();
    assert_eq!(live.len(), 1, "{report:#}");
    assert_eq!(live[0].text, text);

    // Without the setting, validate keeps Mastodon's 500 and says what to set.
    let dir = repo(&server.url(), "");
    write(
        dir.path(),
        "long.yaml",
        &format!("publish_at: 2026-12-01 09:00\ncaption: \"{text}\"\n"),
    );
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        message(&report, "long.yaml").contains("600 of 500"),
        "{report:#}"
    );
}

/// A server that answers every request with 200 and JSON that is not
/// Mastodon's (another application at the instance URL).
fn not_mastodon() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 8192];
            let _ = s.read(&mut buf);
            let body = r#"{"name":"Forge","version":"1.21.0"}"#;
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn an_instance_url_that_is_not_mastodon_is_a_clear_error_at_plan_and_apply() {
    let url = not_mastodon();
    let dir = repo(&url, "");
    let root = dir.path();
    write(
        root,
        "hi.yaml",
        "publish_at: 2026-12-01 09:00\ncaption: Hello\n",
    );
    let envs = [(VAR, TOKEN)];
    let plan = run_in(root, &envs, &["plan", "--at", AT]);
    assert_ne!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stderr
            .contains("does not answer like a Mastodon server")
            && plan.stderr.contains("check the account's instance URL"),
        "{}",
        plan.stderr
    );
    let (code, report, run) = apply_with(&[], |args| run_in(root, &envs, args));
    assert_ne!(code, 0, "{report:#}\n{}", run.stderr);
    let all = format!("{report}{}", run.stderr);
    assert!(
        all.contains("does not answer like a Mastodon server"),
        "{all}"
    );
    assert!(!all.contains(TOKEN), "{all}");
}

#[test]
fn a_token_without_write_media_is_an_error_before_any_upload_and_stops_the_account_at_apply() {
    let server = MastodonServer::start_blocking(MastodonConfig::default());
    let dir = repo(&server.url(), "");
    let root = dir.path();
    for i in 1..=2 {
        write(
            root,
            &format!("{i}-mug.yaml"),
            &format!("publish_at: 2026-12-01 09:0{i}\ncaption: Mug {i}\nmedia:\n  - src: ../media/square.jpg\n    alt_text: A mug\n"),
        );
    }
    let envs = [(VAR, TOKEN_NO_MEDIA)];
    let inspect = run_in(root, &envs, &["auth", "inspect", "--format", "json"]);
    assert_eq!(inspect.code, 1, "{}\n{}", inspect.stdout, inspect.stderr);
    let v: Value = serde_json::from_str(&inspect.stdout).unwrap();
    let errors = v["accounts"][0]["errors"].to_string();
    assert!(errors.contains("lacks the scope write:media"), "{errors}");
    assert!(!errors.contains("write:statuses\" "), "{errors}");
    let plan = run_in(root, &envs, &["plan", "--at", AT]);
    assert_ne!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stderr.contains("lacks the scope write:media"),
        "{}",
        plan.stderr
    );
    assert!(server.calls_to("POST /api/v2/media").is_empty());

    // Apply inspects the token first: nothing is uploaded.
    let (code, report, run) = apply_with(&[], |args| run_in(root, &envs, args));
    assert_ne!(code, 0, "{report:#}\n{}", run.stderr);
    assert!(server.calls_to("POST /api/v2/media").is_empty());
    assert!(
        run.stderr.contains("lacks the scope write:media") && run.stderr.contains("not attempted"),
        "{}",
        run.stderr
    );

    // A server that does not say the application's scopes (before 4.3):
    // the first upload's 403 fails that post and stops the account, with
    // the fix; the second post fails with it, without a call.
    // One build at a time, so the first refusal comes before the second
    // build would start.
    server.configure(|c| c.app_scopes = false);
    let toml = root.join("postwright.toml");
    let config = fs::read_to_string(&toml).unwrap();
    fs::write(
        &toml,
        config.replace(
            "retry_base_ms = 10\n",
            "retry_base_ms = 10\nconcurrency = 1\n",
        ),
    )
    .unwrap();
    let (code, report, run) = apply_with(&[], |args| run_in(root, &envs, args));
    assert_ne!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(
        server.calls_to("POST /api/v2/media").len(),
        1,
        "{report:#}\n{}",
        run.stderr
    );
    assert!(server.live_statuses().is_empty());
    let text = format!("{report}{}", run.stderr);
    assert!(text.contains("outside the authorized scopes"), "{text}");
    assert!(text.contains("write:statuses write:media"), "{text}");
    assert_eq!(report["summary"]["failed"], 2, "{report:#}");
}
