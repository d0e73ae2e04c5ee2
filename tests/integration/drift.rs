//! `plan --refresh` against the Mastodon test server: a status deleted in
//! the app, one edited there and one made there are reported as drift
//! (human, JSON, GitHub annotations), and `apply` publishes none of them
//! again.

use crate::bluesky_e2e::run_in;
use crate::mastodon::{repo, MastodonConfig, MastodonServer, TOKEN, VAR};
use serde_json::Value;
use std::fs;

const AT: &str = "2026-12-01T12:00:00Z";

#[test]
fn plan_refresh_reports_drift_and_apply_publishes_none_of_it_again() {
    let server = MastodonServer::start_blocking(MastodonConfig::default());
    let dir = repo(&server.url(), "");
    let root = dir.path();
    for (name, text) in [
        ("a", "First post"),
        ("b", "Second post"),
        ("c", "Third post"),
    ] {
        fs::write(
            root.join("posts").join(format!("{name}.yaml")),
            format!("publish_at: 2026-12-01 09:00\ncaption: {text}\n"),
        )
        .unwrap();
    }
    let envs = [(VAR, TOKEN)];
    let run = run_in(root, &envs, &["apply", "--at", AT]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let live = server.live_statuses();
    assert_eq!(live.len(), 3);
    let id = |t: &str| live.iter().find(|s| s.text == t).unwrap().id.clone();

    // Nothing changed: no drift.
    let run = run_in(root, &envs, &["plan", "--at", AT, "--refresh"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("no drift"), "{}", run.stdout);

    server.change_in_app(&id("Second post"), None);
    server.change_in_app(&id("Third post"), Some("Third post, edited in the app"));
    let outside = server.post_in_app("Made in the app");

    let run = run_in(
        root,
        &envs,
        &["plan", "--at", AT, "--refresh", "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    let drift = crate::common::drift_of(&plan);
    let mut want = vec![
        ("caption-edited".to_string(), id("Third post")),
        ("deleted".to_string(), id("Second post")),
        ("outside".to_string(), outside.clone()),
    ];
    want.sort();
    assert_eq!(drift, want, "{plan:#}");
    let import = plan["drift"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["drift"] == "outside")
        .unwrap()["import"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        import.starts_with("postwright import --account masto --since "),
        "{import}"
    );
    // The snapshot the preview's grid reads: the live posts, newest first.
    let snapshot: Value = serde_json::from_str(
        &fs::read_to_string(root.join(".postwright/live/masto.json")).unwrap(),
    )
    .unwrap();
    let ids: Vec<&str> = snapshot["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["media_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [outside.as_str(), &id("Third post"), &id("First post")]
    );
    // The published posts are still `published`: drift is not a plan to act.
    for e in plan["entries"].as_array().unwrap() {
        assert_eq!(e["action"], "published", "{e:#}");
    }

    let run = run_in(
        root,
        &envs,
        &["plan", "--at", AT, "--refresh", "--format", "github"],
    );
    assert_eq!(
        run.stdout.matches("::warning title=drift::").count(),
        3,
        "{}",
        run.stdout
    );
    let run = run_in(root, &envs, &["status", "--refresh", "--format", "json"]);
    let status: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        status["drift"].as_array().map(Vec::len),
        Some(3),
        "{status:#}"
    );
    let run = run_in(root, &envs, &["status", "--refresh"]);
    assert!(run.stdout.contains("Drift (3;"), "{}", run.stdout);
    // Without the credential, the account is said not read, and no drift.
    let run = run_in(root, &[], &["plan", "--at", AT, "--refresh"]);
    assert!(run.stderr.contains("not read"), "{}", run.stderr);

    let run = run_in(root, &envs, &["apply", "--at", AT, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.live_statuses().len(), 3, "nothing published again");
    assert_eq!(server.calls_to("POST /api/v1/statuses").len(), 3);
}
