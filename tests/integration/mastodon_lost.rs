//! A Mastodon status whose answer was lost with the run (killed right
//! after `POST /api/v1/statuses` wrote, before the answer left), and the
//! next run: within the key's hour it sends the same `Idempotency-Key`
//! and the server answers with the status it made; two hours later (the
//! server's clock moved, the key forgotten) it reads the account's
//! statuses back and records the one it made instead of posting again.
//! And the other side: journaled, the POST never through, two hours
//! later: posted once.

use crate::apply_e2e::{apply_with, AT};
use crate::bluesky_e2e::run_in;
use crate::common::{copy_dir, fixtures};
use crate::mastodon::{Fault, MastodonConfig, MastodonServer, TOKEN};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const VAR: &str = "MASTO_TOKEN_LOST";
const TEXT: &str = "Kiln day 🔥 & the <new> glaze https://kiln.example/spring #ceramics";
const POSTS: &str = "POST /api/v1/statuses";

fn site(server: &MastodonServer) -> tempfile::TempDir {
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
        root.join("posts/kiln.yaml"),
        format!(
            "publish_at: 2026-12-01 09:00\ncaption: \"{TEXT}\"\nmedia:\n  - src: ../media/square.jpg\n    alt_text: A glazed mug\n"
        ),
    )
    .unwrap();
    dir
}

fn record(root: &Path) -> Value {
    let text = fs::read_to_string(root.join(".postwright/state.json")).unwrap();
    let state: Value = serde_json::from_str(&text).unwrap();
    state["posts"]["kiln"]["masto"].clone()
}

/// Runs apply and kills it (SIGKILL) right after the server made the
/// status, before the answer leaves: the record says `publishing`.
fn killed_after_the_post(server: &MastodonServer, root: &Path) {
    let child: Arc<Mutex<Option<Child>>> = Arc::new(Mutex::new(None));
    let armed = Arc::new(AtomicBool::new(true));
    {
        let (child, armed) = (child.clone(), armed.clone());
        server.set_after_effect_hook(move |route| {
            if route == POSTS && armed.swap(false, Ordering::SeqCst) {
                if let Some(c) = child.lock().unwrap().as_mut() {
                    c.kill().unwrap();
                }
            }
        });
    }
    let spawned = Command::new(assert_cmd::cargo::cargo_bin("postwright"))
        .arg("--repo")
        .arg(root)
        .args(["apply", "--at", AT, "--format", "json"])
        .env(VAR, TOKEN)
        .env_remove("GITHUB_ACTIONS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    *child.lock().unwrap() = Some(spawned);
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.lock().unwrap().as_mut().unwrap().try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "apply hangs");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(!status.success(), "the run was to be killed: {status:?}");
    assert!(!armed.load(Ordering::SeqCst), "never killed after the POST");
    assert_eq!(server.live_statuses().len(), 1, "the status was made");
    let r = record(root);
    assert_eq!(r["status"], "publishing", "{r:#}");
    assert!(r["media_id"].is_null(), "{r:#}");
}

fn keys(server: &MastodonServer) -> Vec<String> {
    server
        .calls_to(POSTS)
        .iter()
        .map(|c| c.idempotency_key().unwrap_or_default().to_string())
        .collect()
}

fn rerun(root: &Path) -> Value {
    let (code, report, run) = apply_with(&[], |args| run_in(root, &[(VAR, TOKEN)], args));
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    report
}

#[test]
fn a_lost_answer_within_the_hour_sends_the_same_key_and_makes_one_status() {
    let server = MastodonServer::start_blocking(MastodonConfig::default());
    let dir = site(&server);
    killed_after_the_post(&server, dir.path());
    server.advance(Duration::from_secs(20 * 60));

    let report = rerun(dir.path());
    let live = server.live_statuses();
    assert_eq!(live.len(), 1, "{report:#}\n{live:#?}");
    let sent = keys(&server);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0], sent[1], "the journaled key, sent again");
    let r = record(dir.path());
    assert_eq!(
        (&r["status"], &r["media_id"]),
        (&"published".into(), &live[0].id.as_str().into()),
        "{r:#}"
    );
    assert_eq!(r["container_id"], sent[0].as_str());
}

#[test]
fn a_lost_answer_two_hours_old_is_found_by_reading_back_not_posted_again() {
    let server = MastodonServer::start_blocking(MastodonConfig::default());
    let dir = site(&server);
    killed_after_the_post(&server, dir.path());
    // The server's clock: the key is forgotten (a second POST would make
    // a second status).
    server.advance(Duration::from_secs(2 * 3600));

    let report = rerun(dir.path());
    let live = server.live_statuses();
    assert_eq!(live.len(), 1, "{report:#}\n{live:#?}");
    assert_eq!(keys(&server).len(), 1, "no second POST: {report:#}");
    let read_back = server
        .calls()
        .iter()
        .filter(|c| c.route().ends_with("/statuses") && c.method == "GET")
        .count();
    assert!(read_back >= 1, "{:#?}", server.calls());
    let r = record(dir.path());
    assert_eq!(r["status"], "published", "{r:#}");
    assert_eq!(r["media_id"], live[0].id.as_str(), "{r:#}");

    // Done: the next run has nothing to do.
    let report = rerun(dir.path());
    assert_eq!(report["summary"], serde_json::json!({}), "{report:#}");
    assert_eq!(server.live_statuses().len(), 1);
}

#[test]
fn journaled_but_never_through_is_posted_once_two_hours_later() {
    let server = MastodonServer::start_blocking(MastodonConfig::default());
    let dir = site(&server);
    // A proxy in front answers 502 to every POST: none reaches Mastodon.
    server.arm(POSTS, 0, 100, Fault::BadGateway);
    let (_, report, _) = apply_with(&[], |args| run_in(dir.path(), &[(VAR, TOKEN)], args));
    assert!(server.live_statuses().is_empty(), "{report:#}");
    let r = record(dir.path());
    assert_eq!(r["status"], "publishing", "outcome unknown: {r:#}");
    let first = keys(&server);
    assert!(
        !first.is_empty() && first.iter().all(|k| *k == first[0]),
        "{first:?}"
    );
    server.disarm();
    server.advance(Duration::from_secs(2 * 3600));

    let report = rerun(dir.path());
    let live = server.live_statuses();
    assert_eq!(live.len(), 1, "{report:#}\n{live:#?}");
    assert_eq!(live[0].text, TEXT);
    let sent = keys(&server);
    let last = sent.last().unwrap();
    assert_ne!(*last, first[0], "past its hour: a key of its own");
    let r = record(dir.path());
    assert_eq!(r["media_id"], live[0].id.as_str(), "{r:#}");
}

#[test]
fn a_known_key_answered_with_a_500_is_resolved_in_the_run_by_reading_back() {
    // mastodon/mastodon#40399: the repeat of a key the server knows
    // answers 500, though no second status is made.
    let server = MastodonServer::start_blocking(MastodonConfig {
        idempotent_replay_500: true,
        ..MastodonConfig::default()
    });
    let dir = site(&server);
    server.arm(POSTS, 0, 1, Fault::LostAnswer);
    let report = rerun(dir.path());
    let live = server.live_statuses();
    assert_eq!(live.len(), 1, "{report:#}\n{live:#?}");
    let sent = keys(&server);
    assert_eq!(sent.len(), 2, "sent, then once more: {sent:?}");
    assert_eq!(sent[0], sent[1]);
    let r = record(dir.path());
    assert_eq!(r["status"], "published", "{r:#}");
    assert_eq!(r["media_id"], live[0].id.as_str(), "{r:#}");
}

/// The read-back's listing: pages of 40 followed by `max_id`, back to a
/// time and no further, within a bound; and the server's clock as its
/// `Date` tells it.
#[tokio::test]
async fn statuses_are_read_back_to_a_time_in_pages_within_a_bound() {
    use postwright::platform::mastodon::status::NewStatus;
    use postwright::platform::mastodon::{client::Options, Client, Token};
    let server = MastodonServer::start(MastodonConfig::default()).await;
    let c = Client::new(&server.url(), Token::new(TOKEN), Options::default()).unwrap();
    assert!(c.server_now().is_none(), "no answer yet");
    let post = |i: usize| {
        let c = c.clone();
        async move {
            let s = NewStatus {
                status: format!("status {i}"),
                ..Default::default()
            };
            c.post_status(&format!("key-{i}"), &s).await.unwrap();
        }
    };
    for i in 0..45 {
        post(i).await;
    }
    let first = jiff::Timestamp::from_millisecond(server.now_ms()).unwrap();
    server.advance(Duration::from_secs(2 * 3600));
    for i in 45..48 {
        post(i).await;
    }
    // The virtual clock, two hours ahead of this machine's.
    let ahead = c
        .server_now()
        .unwrap()
        .duration_since(jiff::Timestamp::now());
    assert!(ahead > jiff::SignedDuration::from_mins(119), "{ahead:?}");

    let me = server.account_id();
    let since = c.server_now().unwrap() - jiff::SignedDuration::from_mins(5);
    let (recent, complete) = c.statuses_since(&me, since, 5).await.unwrap();
    let texts: Vec<_> = recent.iter().map(|s| s.content.as_str()).collect();
    assert_eq!(
        texts,
        ["<p>status 47</p>", "<p>status 46</p>", "<p>status 45</p>"]
    );
    assert!(complete);

    let lists = || {
        server
            .calls_to(&format!("GET /api/v1/accounts/{me}/statuses"))
            .len()
    };
    let before = lists();
    let all_since = first - jiff::SignedDuration::from_mins(10);
    let (one_page, complete) = c.statuses_since(&me, all_since, 1).await.unwrap();
    assert_eq!(
        (one_page.len(), complete),
        (40, false),
        "the bound came first"
    );
    let (all, complete) = c.statuses_since(&me, all_since, 5).await.unwrap();
    assert_eq!((all.len(), complete), (48, true));
    assert_eq!(all.last().unwrap().content, "<p>status 0</p>");
    assert_eq!(lists() - before, 1 + 2, "one page, then two");
    let paged = server.calls_to(&format!("GET /api/v1/accounts/{me}/statuses"));
    assert!(
        paged.last().unwrap().query.contains("max_id="),
        "{:?}",
        paged.last()
    );
}
