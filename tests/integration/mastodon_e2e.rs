//! apply against the Mastodon test server: statuses with a URL and a
//! mention, an image with alt text, four images, a content warning and a
//! visibility, read back from the server; a second run publishes nothing.

use crate::apply_e2e::apply_with;
use crate::bluesky_e2e::run_in;
use crate::common::{copy_dir, fixtures};
use crate::mastodon::{MastodonConfig, MastodonServer, TOKEN};
use serde_json::{json, Value};
use std::fs;

const VAR: &str = "MASTO_TOKEN_TEST";

fn image(n: usize) -> String {
    (1..=n)
        .map(|i| format!("  - src: ../media/square.jpg\n    alt_text: Mug {i}\n"))
        .collect()
}

#[test]
fn apply_publishes_statuses_once_and_they_read_back() {
    let server = MastodonServer::start_blocking(MastodonConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixtures().join("publish/media"), &root.join("media"));
    fs::create_dir_all(root.join("posts")).unwrap();
    fs::write(
        root.join("postwright.toml"),
        format!(
            "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[api]\nretry_base_ms = 10\n\n[accounts.masto]\nplatform = \"mastodon\"\ninstance = \"{}\"\ntoken_env = \"{VAR}\"\n",
            server.url()
        ),
    )
    .unwrap();
    let long = format!(
        "{} @alice@social.example https://kiln.example/a/long/path/counted/as/twenty-three/characters",
        "a".repeat(460)
    );
    let posts = [
        ("1-text.yaml", format!("publish_at: 2026-12-01 09:00\ncaption: \"{long}\"\n")),
        ("2-image.yaml", format!("publish_at: 2026-12-01 09:01\ncaption: One mug\nmedia:\n{}", image(1))),
        ("3-four.yaml", format!("publish_at: 2026-12-01 09:02\ncaption: Four mugs\nmedia:\n{}", image(4))),
        ("4-cw.yaml", "publish_at: 2026-12-01 09:03\ncaption: Kiln accident\nmastodon:\n  spoiler_text: broken pots\n  visibility: unlisted\n  sensitive: true\n  language: en\n".to_string()),
    ];
    for (name, body) in &posts {
        fs::write(root.join("posts").join(name), body).unwrap();
    }
    let envs = [(VAR, TOKEN)];
    let (code, report, run) = apply_with(&[], |args| run_in(root, &envs, args));
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    let live = server.live_statuses();
    assert_eq!(live.len(), 4, "{report:#}");
    let by_text = |t: &str| {
        live.iter()
            .find(|s| s.text == t)
            .unwrap_or_else(|| panic!("{t}: {live:#?}"))
    };
    assert!(by_text(&long).media_ids.is_empty());
    let media = server.media();
    let one = by_text("One mug");
    assert_eq!(one.media_ids.len(), 1);
    let m = media.iter().find(|m| m.id == one.media_ids[0]).unwrap();
    assert_eq!(m.description.as_deref(), Some("Mug 1"));
    assert_eq!(by_text("Four mugs").media_ids.len(), 4);
    let cw = by_text("Kiln accident");
    assert_eq!(
        (
            cw.spoiler_text.as_str(),
            cw.visibility.as_str(),
            cw.sensitive,
            cw.language.as_deref()
        ),
        ("broken pots", "unlisted", true, Some("en"))
    );
    // Every status went with an Idempotency-Key.
    let posts_calls = server.calls_to("POST /api/v1/statuses");
    assert_eq!(posts_calls.len(), 4);
    assert!(posts_calls.iter().all(|c| c.idempotency_key().is_some()));

    let state: Value =
        serde_json::from_str(&fs::read_to_string(root.join(".postwright/state.json")).unwrap())
            .unwrap();
    assert_eq!(
        state["posts"]["2-image"]["masto"]["status"], "published",
        "{state:#}"
    );
    assert_eq!(
        state["posts"]["2-image"]["masto"]["media_id"],
        one.id.as_str()
    );

    let (code, report, run) = apply_with(&[], |args| run_in(root, &envs, args));
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(report["summary"], json!({}), "{report:#}");
    assert_eq!(server.live_statuses().len(), 4);

    // The record lost (state gone): the guard finds the live statuses by
    // text, media count and time, and posts none again.
    fs::remove_file(root.join(".postwright/state.json")).unwrap();
    let (code, report, run) = apply_with(&[], |args| run_in(root, &envs, args));
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(server.live_statuses().len(), 4, "{report:#}");
}

#[test]
fn a_video_is_attached_only_once_processed_and_a_lost_answer_makes_one_status() {
    let server = MastodonServer::start_blocking(MastodonConfig {
        processing: std::time::Duration::from_secs(3),
        ..MastodonConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixtures().join("publish/media"), &root.join("media"));
    fs::create_dir_all(root.join("posts")).unwrap();
    fs::write(
        root.join("postwright.toml"),
        format!(
            "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[api]\nretry_base_ms = 10\n\n[accounts.masto]\nplatform = \"mastodon\"\ninstance = \"{}\"\ntoken_env = \"{VAR}\"\n",
            server.url()
        ),
    )
    .unwrap();
    fs::write(
        root.join("posts/video.yaml"),
        "publish_at: 2026-12-01 09:00\ncaption: The wheel\nmedia:\n  - src: ../media/reel.mp4\n    alt_text: A wheel turning\n",
    )
    .unwrap();
    // The status is made, its answer lost: the same key again answers it.
    server.arm(
        "POST /api/v1/statuses",
        0,
        1,
        crate::mastodon::Fault::LostAnswer,
    );
    let envs = [(VAR, TOKEN)];
    let (code, report, run) = apply_with(&[], |args| run_in(root, &envs, args));
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    let live = server.live_statuses();
    assert_eq!(live.len(), 1, "{live:#?}");
    assert_eq!(live[0].media_ids.len(), 1);
    let media = server.media();
    let m = media.iter().find(|m| m.id == live[0].media_ids[0]).unwrap();
    assert_eq!(m.kind, "video");
    assert_eq!(m.description.as_deref(), Some("A wheel turning"));
    // Looked at while processing (206) and once ready (200) before the
    // status: never attached unprocessed.
    let looks = server
        .calls()
        .iter()
        .filter(|c| c.route().starts_with("GET /api/v1/media/"))
        .count();
    assert!(looks >= 2, "{:#?}", server.calls());
    let keys: Vec<_> = server
        .calls_to("POST /api/v1/statuses")
        .iter()
        .map(|c| c.idempotency_key().map(str::to_string))
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys[0].is_some() && keys[0] == keys[1], "{keys:?}");
}

#[test]
fn a_rate_limit_that_lifts_soon_is_waited_for() {
    let server = MastodonServer::start_blocking(MastodonConfig {
        api_period: std::time::Duration::from_secs(2),
        ..MastodonConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("posts")).unwrap();
    fs::write(
        root.join("postwright.toml"),
        format!(
            "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[api]\nretry_base_ms = 10\n\n[accounts.masto]\nplatform = \"mastodon\"\ninstance = \"{}\"\ntoken_env = \"{VAR}\"\n",
            server.url()
        ),
    )
    .unwrap();
    fs::write(
        root.join("posts/hi.yaml"),
        "publish_at: 2026-12-01 09:00\ncaption: Hello\n",
    )
    .unwrap();
    server.arm(
        "POST /api/v1/statuses",
        0,
        1,
        crate::mastodon::Fault::RateLimited,
    );
    let (code, report, run) = apply_with(&[], |args| run_in(root, &[(VAR, TOKEN)], args));
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(server.live_statuses().len(), 1, "{report:#}");
    assert_eq!(server.calls_to("POST /api/v1/statuses").len(), 2);
}
