//! `postwright import` of Mastodon and Bluesky accounts end to end: the
//! real binary against the test servers holding an account with a past
//! (text statuses over several pages, an image with alt text, several
//! images, a video; a reply and a direct message that are no posts), into
//! an empty repo, twice; then plan says `published`, apply publishes
//! nothing, and `plan --refresh` pages the same feed for drift.

use crate::bluesky::{BlueskyConfig, BlueskyServer, SeedPost as SkySeed};
use crate::bluesky_e2e::run_in;
use crate::common::fixtures;
use crate::mastodon::{MastodonConfig, MastodonServer, SeedStatus, TOKEN, VAR};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

const DAY: u64 = 86_400;

fn media(name: &str) -> Vec<u8> {
    fs::read(fixtures().join("publish/media").join(name)).unwrap()
}

/// Captions with what YAML reads as syntax.
const HARD: [&str; 3] = [
    "#ceramics #handmade: a mug",
    "key: value\n---\nnot a new document",
    "@kiln.friends made this with us",
];

/// Seeds the account, oldest first: the ids that import brings in,
/// newest first, and the ids it leaves out (a reply, a direct message).
fn seed_mastodon(server: &MastodonServer) -> (Vec<String>, Vec<String>) {
    let mut posts = Vec::new();
    let at = |days: u64| Duration::from_secs(days * DAY);
    // 45 text statuses: more than one page of 40.
    for n in 0..45u64 {
        let text = HARD
            .get(n as usize)
            .map_or_else(|| format!("Studio note {n}"), |h| h.to_string());
        posts.push(server.post_in_app_with(SeedStatus {
            text,
            age: at(300 - n),
            ..SeedStatus::default()
        }));
    }
    let reply = server.post_in_app_with(SeedStatus {
        text: "Thanks!".into(),
        age: at(200),
        in_reply_to_id: Some(posts[0].clone()),
        ..SeedStatus::default()
    });
    let direct = server.post_in_app_with(SeedStatus {
        text: "@friend a private note".into(),
        age: at(150),
        visibility: "direct".into(),
        ..SeedStatus::default()
    });
    let jpeg = |alt: Option<&str>| {
        (
            "image/jpeg".to_string(),
            media("square.jpg"),
            alt.map(str::to_string),
        )
    };
    posts.push(server.post_in_app_with(SeedStatus {
        text: "One mug".into(),
        media: vec![jpeg(Some("A blue mug: speckled # glaze"))],
        age: at(30),
        ..SeedStatus::default()
    }));
    posts.push(server.post_in_app_with(SeedStatus {
        text: "Two mugs".into(),
        media: vec![jpeg(Some("The first")), jpeg(None)],
        age: at(20),
        ..SeedStatus::default()
    }));
    posts.push(server.post_in_app_with(SeedStatus {
        text: "How a glaze goes on".into(),
        media: vec![("video/mp4".into(), media("reel.mp4"), None)],
        age: at(10),
        ..SeedStatus::default()
    }));
    posts.reverse();
    (posts, vec![reply, direct])
}

fn import(root: &Path, envs: &[(&str, &str)], account: &str) -> (crate::apply_e2e::Run, Value) {
    let run = run_in(
        root,
        envs,
        &["import", "--account", account, "--format", "json"],
    );
    let json = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}\nstderr: {}", run.stdout, run.stderr));
    (run, json)
}

/// Every file under the repo (but .git), with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    crate::import::tree(dir)
        .into_iter()
        .filter(|(rel, _)| !rel.starts_with(".git"))
        .collect()
}

/// An import's aftermath: every file validates, plan calls each of the
/// `posts` published, and a second import writes nothing (its run).
fn settled(
    root: &Path,
    envs: &[(&str, &str)],
    account: &str,
    posts: usize,
    files: &BTreeMap<String, Vec<u8>>,
) -> crate::apply_e2e::Run {
    let validate = run_in(root, envs, &["validate"]);
    assert_eq!(validate.code, 0, "{}\n{}", validate.stdout, validate.stderr);
    let actions = plan_actions(root, envs);
    assert_eq!(actions.len(), posts, "{actions:?}");
    assert!(actions.iter().all(|a| a == "published"), "{actions:?}");
    let (second, again) = import(root, envs, account);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(again["written"].as_array().unwrap().len(), 0);
    assert_eq!(again["already_recorded"], posts);
    assert_eq!(&tree(root), files, "the second import changed files");
    second
}

fn plan_actions(root: &Path, envs: &[(&str, &str)]) -> Vec<String> {
    let run = run_in(root, envs, &["plan", "--format", "json"]);
    let plan: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap_or("").to_string())
        .collect()
}

fn written_by_media(report: &Value) -> BTreeMap<String, Value> {
    report["written"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["media_id"].as_str().unwrap().to_string(), w.clone()))
        .collect()
}

#[test]
fn a_mastodon_account_imports_page_by_page_once_and_apply_publishes_none_of_it() {
    let server = MastodonServer::start_blocking(MastodonConfig::default());
    let (ids, left_out) = seed_mastodon(&server);
    let dir = crate::mastodon::repo(&server.url(), "");
    let root = dir.path();
    let envs = [(VAR, TOKEN)];
    let statuses_before = server.statuses().len();

    let (first, report) = import(root, &envs, "masto");
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let written = written_by_media(&report);
    let mut got: Vec<&String> = written.keys().collect();
    got.sort();
    let mut want: Vec<&String> = ids.iter().collect();
    want.sort();
    assert_eq!(got, want, "{report:#}");
    for id in &left_out {
        assert!(!written.contains_key(id), "{id} is no post: {report:#}");
    }
    assert!(report["pages"].as_u64().unwrap() >= 2, "{report:#}");

    // The calls: paged with max_id, boosts and replies left out by the
    // server, the token only in the header.
    let lists: Vec<_> = server
        .calls_to("GET /api/v1/accounts/")
        .into_iter()
        .filter(|c| c.path.ends_with("/statuses"))
        .collect();
    assert!(
        lists.iter().any(|c| c.query.contains("max_id=")),
        "{lists:?}"
    );
    assert!(lists
        .iter()
        .all(|c| c.query.contains("exclude_reblogs=true") && c.query.contains("limit=40")));
    assert!(server.calls().iter().all(|c| !c.query.contains(TOKEN)));

    // The files read back with the live text, type, alt text and media.
    let file_of = |id: &str| {
        let rel = written[id]["file"].as_str().unwrap().to_string();
        fs::read_to_string(root.join(&rel)).unwrap()
    };
    let image = file_of(&ids[2]);
    assert!(image.contains("type: image\n"), "{image}");
    assert!(
        image.contains("alt_text: \"A blue mug: speckled # glaze\"\n"),
        "{image}"
    );
    assert!(image.contains("caption: |-\n  One mug\n"), "{image}");
    assert!(image.contains("account: \"masto\"\n"), "{image}");
    assert!(image.contains("publish_at: 20"), "{image}");
    assert_eq!(written[&ids[1]]["type"], "carousel");
    assert_eq!(written[&ids[0]]["type"], "reel");
    assert_eq!(written[&ids[3]]["type"], "text");
    let hard = file_of(&ids[ids.len() - 2]);
    assert!(hard.contains("key: value\n  ---\n"), "{hard}");
    let files = tree(root);
    let imported: Vec<&Vec<u8>> = files
        .iter()
        .filter(|(f, _)| f.starts_with("media/imported/masto/"))
        .map(|(_, b)| b)
        .collect();
    assert_eq!(imported.len(), 4, "{:?}", files.keys().collect::<Vec<_>>());
    assert!(imported.iter().any(|b| **b == media("reel.mp4")));
    assert!(imported.iter().any(|b| **b == media("square.jpg")));

    // Every file validates, plan says each is published, twice writes nothing.
    settled(root, &envs, "masto", ids.len(), &files);

    // apply publishes nothing imported.
    let applied = run_in(root, &envs, &["apply", "--format", "json"]);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert_eq!(server.statuses().len(), statuses_before);
    assert!(server.calls_to("POST /api/v1/statuses").is_empty());
    assert!(server.calls_to("POST /api/v2/media").is_empty());
}

/// After a Mastodon import, `plan --refresh` pages the same feed: a
/// status deleted in the app and one made there show as drift.
#[test]
fn after_a_mastodon_import_refresh_shows_what_changed_in_the_app() {
    let server = MastodonServer::start_blocking(MastodonConfig::default());
    let (ids, _) = seed_mastodon(&server);
    let dir = crate::mastodon::repo(&server.url(), "");
    let root = dir.path();
    let envs = [(VAR, TOKEN)];
    let (run, _) = import(root, &envs, "masto");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let deleted = ids[ids.len() - 1].clone();
    server.change_in_app(&deleted, None);
    let outside = server.post_in_app("Made in the app");
    let run = run_in(root, &envs, &["plan", "--refresh", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    let drift = crate::common::drift_of(&plan);
    assert_eq!(
        drift,
        [
            ("deleted".to_string(), deleted),
            ("outside".to_string(), outside)
        ],
        "{plan:#}"
    );
    assert!(root.join(".postwright/live/masto.json").exists());
}

const SKY_PASSWORD_ENV: &str = "KILN_SKY_IMPORT_PASSWORD";

/// Seeds a Bluesky account, oldest first: the at-uris import brings in,
/// newest first, and the reply it leaves out.
fn seed_bluesky(server: &BlueskyServer) -> (Vec<String>, String) {
    let at = |days: u64| Duration::from_secs(days * DAY);
    let mut posts = Vec::new();
    for n in 0..105u64 {
        let text = HARD
            .get(n as usize)
            .map_or_else(|| format!("Studio note {n}"), |h| h.to_string());
        posts.push(server.post_in_app(SkySeed {
            text,
            age: at(300 - n),
            ..SkySeed::default()
        }));
    }
    let reply = server.post_in_app(SkySeed {
        text: "Thanks!".into(),
        age: at(100),
        reply_to: Some(posts[0].clone()),
        ..SkySeed::default()
    });
    let jpeg = |alt: Option<&str>| {
        (
            "image/jpeg".to_string(),
            media("square.jpg"),
            alt.map(str::to_string),
        )
    };
    posts.push(server.post_in_app(SkySeed {
        text: "One mug".into(),
        media: vec![jpeg(Some("A blue mug: speckled # glaze"))],
        age: at(30),
        ..SkySeed::default()
    }));
    posts.push(server.post_in_app(SkySeed {
        text: "Two mugs".into(),
        media: vec![jpeg(Some("The first")), jpeg(None)],
        age: at(20),
        ..SkySeed::default()
    }));
    posts.push(server.post_in_app(SkySeed {
        text: "How a glaze goes on".into(),
        media: vec![(
            "video/mp4".into(),
            media("reel.mp4"),
            Some("Glazing".into()),
        )],
        age: at(10),
        ..SkySeed::default()
    }));
    posts.reverse();
    (posts, reply)
}

#[test]
fn a_bluesky_account_imports_page_by_page_once_and_apply_publishes_none_of_it() {
    let server = BlueskyServer::start_blocking(BlueskyConfig::default());
    let (ids, reply) = seed_bluesky(&server);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("posts")).unwrap();
    fs::write(
        root.join("postwright.toml"),
        format!(
            "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[api]\nretry_base_ms = 10\n\n[accounts.sky]\nplatform = \"bluesky\"\nhandle = \"{}\"\npds = \"{}\"\npassword_env = \"{SKY_PASSWORD_ENV}\"\n",
            server.handle(),
            server.url()
        ),
    )
    .unwrap();
    let password = BlueskyConfig::default().password;
    let envs = [(SKY_PASSWORD_ENV, password.as_str())];
    let records_before = server.records().len();

    let (first, report) = import(root, &envs, "sky");
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let written = written_by_media(&report);
    let mut got: Vec<&String> = written.keys().collect();
    got.sort();
    let mut want: Vec<&String> = ids.iter().collect();
    want.sort();
    assert_eq!(got, want, "{report:#}");
    assert!(!written.contains_key(&reply), "a reply is no post");
    assert!(report["pages"].as_u64().unwrap() >= 2, "{report:#}");
    let lists = server.calls_to("listRecords");
    assert!(lists.iter().any(|c| c.query.contains_key("cursor")));
    assert!(lists.iter().all(|c| !c.query.contains_key("reverse")));

    let file_of = |id: &str| {
        let rel = written[id]["file"].as_str().unwrap().to_string();
        fs::read_to_string(root.join(&rel)).unwrap()
    };
    let image = file_of(&ids[2]);
    assert!(image.contains("type: image\n"), "{image}");
    assert!(
        image.contains("alt_text: \"A blue mug: speckled # glaze\"\n"),
        "{image}"
    );
    let rkey = ids[2].rsplit('/').next().unwrap();
    assert!(
        image.contains(&format!(
            "# Live at https://bsky.app/profile/{}/post/{rkey}\n",
            server.handle()
        )),
        "{image}"
    );
    assert_eq!(written[&ids[1]]["type"], "carousel");
    assert_eq!(written[&ids[0]]["type"], "reel");
    assert!(file_of(&ids[0]).contains("alt_text: \"Glazing\"\n"));
    assert_eq!(written[&ids[3]]["type"], "text");
    let files = tree(root);
    let imported: Vec<&Vec<u8>> = files
        .iter()
        .filter(|(f, _)| f.starts_with("media/imported/sky/"))
        .map(|(_, b)| b)
        .collect();
    assert_eq!(imported.len(), 4, "{:?}", files.keys().collect::<Vec<_>>());
    assert!(imported.iter().any(|b| **b == media("reel.mp4")));

    let second = settled(root, &envs, "sky", ids.len(), &files);

    let applied = run_in(root, &envs, &["apply", "--format", "json"]);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert_eq!(server.records().len(), records_before);
    assert!(server.calls_to("createRecord").is_empty());
    for run in [&first, &second, &applied] {
        assert!(!run.stderr.contains(&password) && !run.stdout.contains(&password));
    }

    // Drift: a post deleted in the app, one made there.
    server.delete_in_app(&ids[ids.len() - 1]);
    let outside = server.post_in_app(SkySeed {
        text: "Made in the app".into(),
        ..SkySeed::default()
    });
    let run = run_in(root, &envs, &["plan", "--refresh", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    let drift = crate::common::drift_of(&plan);
    assert_eq!(
        drift,
        [
            ("deleted".to_string(), ids[ids.len() - 1].clone()),
            ("outside".to_string(), outside)
        ],
        "{plan:#}"
    );
}

/// A file the repo already has for a live status (same text and type) is
/// linked to it in the record, not written again; the rest is written.
#[test]
fn a_mastodon_status_the_repo_has_as_a_file_is_linked_not_written_again() {
    let server = MastodonServer::start_blocking(MastodonConfig::default());
    let (ids, _) = seed_mastodon(&server);
    let dir = crate::mastodon::repo(&server.url(), "");
    let root = dir.path();
    fs::write(
        root.join("posts/one-mug.yaml"),
        "publish_at: 2026-01-01 09:00\ncaption: One mug\nmedia:\n  - src: ../media/square.jpg\n    alt_text: A blue mug\n",
    )
    .unwrap();
    let envs = [(VAR, TOKEN)];
    let (run, report) = import(root, &envs, "masto");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let linked = report["linked"].as_array().unwrap();
    assert_eq!(linked.len(), 1, "{report:#}");
    assert_eq!(linked[0]["file"], "posts/one-mug.yaml");
    assert_eq!(linked[0]["media_id"], ids[2].as_str());
    let written = written_by_media(&report);
    assert_eq!(written.len(), ids.len() - 1);
    assert!(!written.contains_key(&ids[2]));
    let actions = plan_actions(root, &envs);
    assert_eq!(actions.len(), ids.len(), "{actions:?}");
    assert!(actions.iter().all(|a| a == "published"), "{actions:?}");
}
