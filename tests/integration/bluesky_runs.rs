//! Bluesky under faults: the real binary against the fault server
//! (tests/integration/bluesky) with its faults armed: an access token that
//! expires mid-run, 429 `RateLimitExceeded` within and beyond
//! `max_rate_wait_secs`, createRecord answers lost after the write (a
//! dropped connection, a 500) and a 500 before it, a wrong app password,
//! a mention that does not resolve. Every test asserts what the server
//! holds (each post once), what apply reported, the state record, and that
//! no secret (the app password, any JWT) left the process.
//!
//! [`Sky`] is also the repo the crash test's Bluesky rounds use
//! (tests/integration/crash/sky.rs), with an Instagram account beside.

use crate::apply_e2e::{account, apply_with, to_run, Run, AT, TOKEN, USER};
use crate::bluesky::{BlueskyConfig, BlueskyServer, Fault, Record};
use crate::common::{copy_dir, fixtures, postwright};
use crate::graph::{GraphServer, Login, ServerConfig};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

pub(crate) const PASSWORD_ENV: &str = "KILN_SKY_PASSWORD";
const POST: &str = "app.bsky.feed.post";

/// A content repo with a Bluesky account `sky` on a fault server, and
/// optionally an Instagram account `kiln` on the test Graph API server.
pub(crate) struct Sky {
    pub server: BlueskyServer,
    pub graph: Option<GraphServer>,
    pub dir: tempfile::TempDir,
    /// The app password the server accepts.
    pub password: String,
}

impl Sky {
    /// `posts` (file name, contents) under posts/, the fixture media under
    /// media/; `extra_api` ends the file, after `[api]`'s keys (more keys,
    /// or tables after it).
    pub fn new(posts: &[(&str, String)], extra_api: &str) -> Sky {
        Sky::build(posts, extra_api, false)
    }

    /// As [`Sky::new`], with the Instagram account `kiln` too.
    pub fn with_instagram(posts: &[(&str, String)], extra_api: &str) -> Sky {
        Sky::build(posts, extra_api, true)
    }

    fn build(posts: &[(&str, String)], extra_api: &str, instagram: bool) -> Sky {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixtures().join("publish/media"), &dir.path().join("media"));
        fs::create_dir_all(dir.path().join("posts")).unwrap();
        for (name, body) in posts {
            fs::write(dir.path().join("posts").join(name), body).unwrap();
        }
        let server = BlueskyServer::start_blocking(BlueskyConfig::default());
        let password = BlueskyConfig::default().password;
        let mut toml = format!(
            "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[accounts.sky]\nplatform = \"bluesky\"\nhandle = \"{}\"\npds = \"{}\"\npassword_env = \"{PASSWORD_ENV}\"\n",
            server.handle(),
            server.url()
        );
        let graph = instagram.then(|| {
            let graph = GraphServer::start_blocking(ServerConfig {
                accounts: vec![account(Login::Facebook)],
                video_processing: Duration::from_millis(200),
                static_root: Some(dir.path().to_path_buf()),
                ..ServerConfig::default()
            });
            toml.push_str(&format!(
                "\n[accounts.kiln]\nuser_id = \"{USER}\"\ntoken_env = \"KILN_TOKEN\"\n\n[media]\nbase_url = \"{}/\"\n",
                graph.media_url()
            ));
            graph
        });
        toml.push_str("\n[api]\npoll_interval_ms = 20\nmax_wait_secs = 20\nretry_base_ms = 10\n");
        if let Some(graph) = &graph {
            toml.push_str(&format!(
                "base_url = \"{}\"\nupload_url = \"{}\"\n",
                graph.base_url(),
                graph.upload_url()
            ));
        }
        toml.push_str(extra_api);
        fs::write(dir.path().join("postwright.toml"), toml).unwrap();
        Sky {
            server,
            graph,
            dir,
            password,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The binary with this repo and the secrets in its environment.
    pub fn command(&self, password: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("postwright"));
        cmd.current_dir(self.path())
            .env_remove("POSTWRIGHT_APP_ID")
            .env_remove("POSTWRIGHT_APP_SECRET")
            .env_remove("GITHUB_ACTIONS")
            .env("KILN_TOKEN", TOKEN)
            .env(PASSWORD_ENV, password)
            .arg("--repo")
            .arg(self.path());
        cmd
    }

    pub fn run_with(&self, password: &str, args: &[&str]) -> Run {
        let mut cmd = postwright(self.path());
        cmd.env_remove("POSTWRIGHT_APP_ID")
            .env_remove("POSTWRIGHT_APP_SECRET")
            .env("KILN_TOKEN", TOKEN)
            .env(PASSWORD_ENV, password)
            .arg("--repo")
            .arg(self.path())
            .args(args)
            .timeout(Duration::from_secs(120));
        to_run(args, cmd.output().expect("runs"))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(&self.password, args)
    }

    /// `apply --at AT --format json`: (exit code, report, run).
    pub fn apply(&self) -> (i32, Value, Run) {
        apply_with(&[], |args| self.run(args))
    }

    pub fn plan(&self) -> Value {
        let run = self.run(&["plan", "--at", AT, "--format", "json", "--offline"]);
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("plan JSON ({e}): {}\n{}", run.stdout, run.stderr))
    }

    pub fn state(&self) -> Value {
        let text = fs::read_to_string(self.path().join(".postwright/state.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// The live posts on the server, in the order written.
    pub fn posts(&self) -> Vec<Record> {
        self.server
            .records()
            .into_iter()
            .filter(|r| r.collection == POST && !r.deleted)
            .collect()
    }

    /// The texts of the live posts, in the order written.
    pub fn texts(&self) -> Vec<String> {
        self.posts()
            .iter()
            .map(|r| r.value["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The record of post `id` for `account` agrees with the server: published,
    /// its media id the at-uri of the live record whose text is `text`.
    pub fn assert_recorded(&self, id: &str, account: &str, text: &str) {
        let state = self.state();
        let entry = &state["posts"][id][account];
        let live: Vec<Record> = self
            .posts()
            .into_iter()
            .filter(|r| r.value["text"] == text)
            .collect();
        assert_eq!(live.len(), 1, "{id}: one record with {text:?}");
        assert_eq!(entry["status"], "published", "{id}: {state:#}");
        assert_eq!(entry["media_id"], live[0].uri.as_str(), "{id}: {state:#}");
    }

    /// Neither the app password nor any token the server issued appears in
    /// `outputs`, in a file under .postwright, or in a request's URL.
    pub fn assert_no_secret(&self, outputs: &[&str]) {
        let mut secrets = vec![self.password.clone()];
        for s in self.server.sessions() {
            secrets.push(s.access);
            secrets.push(s.refresh);
        }
        let mut texts: Vec<(String, String)> = outputs
            .iter()
            .enumerate()
            .map(|(i, o)| (format!("output {i}"), o.to_string()))
            .collect();
        for file in files(&self.path().join(".postwright")) {
            let text = String::from_utf8_lossy(&fs::read(&file).unwrap()).into_owned();
            texts.push((file.display().to_string(), text));
        }
        for call in self.server.calls() {
            texts.push((call.nsid.clone(), format!("{:?}", call.query)));
        }
        for secret in &secrets {
            // A JWT's header is the same for every token: look for the
            // whole token and for its signature alone.
            let signature = secret.rsplit('.').next().unwrap_or(secret);
            for (what, text) in &texts {
                assert!(
                    !text.contains(secret.as_str()) && !text.contains(signature),
                    "a secret in {what}"
                );
            }
        }
    }
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Text posts `1.yaml`… for the account `sky`, an hour apart (due at AT).
fn text_posts(texts: &[&str]) -> Vec<(String, String)> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                format!("{}.yaml", i + 1),
                format!(
                    "publish_at: 2026-12-01 {:02}:00\ncaption: {}\n",
                    8 + i,
                    serde_json::to_string(t).unwrap()
                ),
            )
        })
        .collect()
}

fn site(posts: &[(String, String)], extra_api: &str) -> Sky {
    let posts: Vec<(&str, String)> = posts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    Sky::new(&posts, extra_api)
}

/// The results of an apply report: (id, result).
fn results(report: &Value) -> Vec<(String, String)> {
    report["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{report:#}"))
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_string(),
                r["result"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The calls the server saw, in short: (NSID, status, error, token).
fn calls(site: &Sky) -> Vec<String> {
    site.server
        .calls()
        .iter()
        .map(|c| format!("{} {} {:?} {:?}", c.nsid, c.status, c.error, c.auth))
        .collect()
}

fn pending(plan: &Value) -> bool {
    ["publish", "resume", "update"]
        .iter()
        .any(|a| plan["summary"].get(*a).is_some())
}

const FOUR: [&str; 4] = [
    "Kiln day 🔥 the spring glazes are out. #ceramics",
    "The Harbour mug is back ☕",
    "日本語 e\u{301} glaze notes",
    "Last one today: https://kiln.example/spring",
];

#[test]
fn an_access_token_expiring_mid_run_is_refreshed_with_one_session_per_run() {
    let mut posts = text_posts(&FOUR);
    // One post with two images: uploads need the session too.
    posts[1].1.push_str(
        "media:\n  - src: ../media/portrait.jpg\n    alt_text: A mug\n  - src: ../media/square.jpg\n    alt_text: A bowl\n",
    );
    let site = site(&posts, "");
    // The token expires before the second image's upload and, after the
    // refresh, again before the third post's write.
    site.server
        .arm("uploadBlob", 1, 1, Fault::ExpireAccessTokens);
    site.server
        .arm("createRecord", 2, 1, Fault::ExpireAccessTokens);
    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);

    assert_eq!(site.texts(), FOUR, "each post once, in order");
    // The token check before publishing and the publishing share it.
    assert_eq!(
        site.server.calls_to("createSession").len(),
        1,
        "{:#?}",
        calls(&site)
    );
    assert_eq!(site.server.logins(), 1, "one createSession for the run");
    assert_eq!(
        site.server.refreshes(),
        2,
        "refreshSession after each expiry"
    );
    let writes = site.server.calls_to("createRecord");
    let refused: Vec<_> = writes.iter().filter(|c| c.status != 200).collect();
    assert_eq!(refused.len(), 1, "{writes:#?}");
    assert_eq!(refused[0].error.as_deref(), Some("ExpiredToken"));
    assert_eq!(writes.len(), 5, "the refused write repeated once, no other");
    let images = &site.posts()[1].value["embed"]["images"];
    assert_eq!(images.as_array().map(Vec::len), Some(2), "{images:#}");
    for (i, text) in FOUR.iter().enumerate() {
        site.assert_recorded(&(i + 1).to_string(), "sky", text);
    }
    site.assert_no_secret(&[&run.stdout, &run.stderr]);

    // A second run: nothing to do, nothing written.
    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(report["summary"], serde_json::json!({}), "{report:#}");
    assert!(site.server.logins() <= 2, "{:#?}", calls(&site));
    assert_eq!(site.texts(), FOUR);
    assert_eq!(site.server.calls_to("createRecord").len(), 5);
}

#[test]
fn a_rate_limit_that_lifts_within_max_rate_wait_is_waited_out() {
    let site = site(&text_posts(&FOUR[..2]), "max_rate_wait_secs = 5\n");
    site.server.arm(
        "createRecord",
        1,
        1,
        Fault::RateLimited {
            reset_secs: 2,
            retry_after: false,
        },
    );
    let start = Instant::now();
    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);
    assert!(start.elapsed() >= Duration::from_secs(1), "it waited");
    assert_eq!(site.texts(), FOUR[..2]);
    let writes = site.server.calls_to("createRecord");
    let statuses: Vec<u16> = writes.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [200, 429, 200]);
    assert!(
        results(&report).iter().all(|(_, r)| r == "published"),
        "{report:#}"
    );
    site.assert_recorded("2", "sky", FOUR[1]);
}

#[test]
fn a_rate_limit_beyond_max_rate_wait_defers_and_the_next_run_publishes_once() {
    let site = site(&text_posts(&FOUR[..3]), "max_rate_wait_secs = 2\n");
    site.server.arm(
        "createRecord",
        1,
        1,
        Fault::RateLimited {
            reset_secs: 3600,
            retry_after: true,
        },
    );
    let start = Instant::now();
    let (code, report, run) = site.apply();
    assert_eq!(
        code, 0,
        "a deferral is not a failure: {}\n{report:#}",
        run.stderr
    );
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "it did not wait an hour"
    );
    assert_eq!(site.texts(), FOUR[..1], "nothing after the limit");
    let got = results(&report);
    assert_eq!(got[0], ("1".into(), "published".into()), "{report:#}");
    assert!(
        got[1..].iter().all(|(_, r)| r == "deferred") && got.len() == 3,
        "{report:#}"
    );
    assert!(pending(&site.plan()), "the deferred posts are still to do");

    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);
    assert_eq!(site.texts(), FOUR[..3], "each once, in order");
    for (i, text) in FOUR[..3].iter().enumerate() {
        site.assert_recorded(&(i + 1).to_string(), "sky", text);
    }
    assert!(!pending(&site.plan()));
    site.assert_no_secret(&[&run.stdout, &run.stderr]);
}

#[test]
fn a_rate_limited_sign_in_defers_the_account_without_writing() {
    let site = site(&text_posts(&FOUR[..2]), "max_rate_wait_secs = 2\n");
    // createSession's own limit (30 per 5 minutes), for the whole run.
    let limited = Fault::RateLimited {
        reset_secs: 300,
        retry_after: true,
    };
    site.server.arm("createSession", 0, 10, limited);
    let (code, report, run) = site.apply();
    assert_eq!(
        code, 0,
        "a deferral is not a failure: {}\n{report:#}",
        run.stderr
    );
    assert!(
        results(&report).iter().all(|(_, r)| r == "deferred"),
        "{report:#}"
    );
    assert!(site.server.calls_to("createRecord").is_empty());
    let tries = site.server.calls_to("createSession").len();
    assert!(tries <= 2, "not once per post or per call: {tries}");
}

#[test]
fn lost_write_answers_are_read_back_never_written_twice() {
    let site = site(&text_posts(&FOUR[..3]), "");
    // The first write goes through and the connection drops; the second
    // goes through and answers 500.
    site.server.arm("createRecord", 0, 1, Fault::LostAnswer);
    site.server.arm("createRecord", 0, 1, Fault::LostAnswer500);
    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);
    assert_eq!(site.texts(), FOUR[..3], "one record each");
    let writes = site.server.calls_to("createRecord");
    assert_eq!(writes.len(), 3, "never written again: {writes:#?}");
    assert_eq!(writes[0].status, 0, "the first answer was lost");
    assert_eq!(writes[1].status, 500);
    let reads = site.server.calls_to("getRecord");
    assert!(reads.len() >= 2, "each lost answer read back: {reads:#?}");
    for (i, text) in FOUR[..3].iter().enumerate() {
        site.assert_recorded(&(i + 1).to_string(), "sky", text);
    }
    // The key journaled is the key written.
    let state = site.state();
    let uri = state["posts"]["1"]["sky"]["media_id"].as_str().unwrap();
    assert_eq!(
        Some(uri.rsplit('/').next().unwrap()),
        writes[0].json()["rkey"].as_str()
    );
    let (code, report, _) = site.apply();
    assert_eq!((code, &report["summary"]), (0, &serde_json::json!({})));
    assert_eq!(site.server.calls_to("createRecord").len(), 3);
}

#[test]
fn a_500_before_the_write_is_repeated_under_the_same_key() {
    let site = site(&text_posts(&FOUR[..2]), "");
    // The first write refused with a 500, its repeat with a 502 (a proxy).
    site.server.arm("createRecord", 0, 1, Fault::Http500);
    site.server.arm("createRecord", 1, 1, Fault::BadGateway);
    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);
    assert_eq!(site.texts(), FOUR[..2], "each once, in order");
    let writes = site.server.calls_to("createRecord");
    let statuses: Vec<u16> = writes.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [500, 502, 200, 200]);
    let key = |i: usize| writes[i].json()["rkey"].as_str().unwrap().to_string();
    assert_eq!(
        (key(0), key(1)),
        (key(2), key(2)),
        "read, then the same key"
    );
    assert!(site.server.calls_to("getRecord").len() >= 2, "read first");
    for (i, text) in FOUR[..2].iter().enumerate() {
        site.assert_recorded(&(i + 1).to_string(), "sky", text);
    }
}

#[test]
fn a_write_refused_with_500s_all_run_long_is_published_once_by_the_next() {
    let site = site(&text_posts(&FOUR[..2]), "");
    // As many 500s as apply tries in a run (three).
    site.server.arm("createRecord", 0, 3, Fault::Http500);
    let (code, report, run) = site.apply();
    assert_ne!(code, 0, "{report:#}");
    assert!(site.posts().is_empty(), "{}", run.stderr);
    assert_eq!(site.server.calls_to("createRecord").len(), 3);
    assert!(pending(&site.plan()));

    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);
    assert_eq!(site.texts(), FOUR[..2], "each once, in order");
    for (i, text) in FOUR[..2].iter().enumerate() {
        site.assert_recorded(&(i + 1).to_string(), "sky", text);
    }
    let (code, report, _) = site.apply();
    assert_eq!((code, &report["summary"]), (0, &serde_json::json!({})));
    assert_eq!(site.texts(), FOUR[..2]);
}

#[test]
fn a_wrong_app_password_names_the_account_and_the_variable_and_publishes_nothing() {
    let site = site(&text_posts(&FOUR[..3]), "");
    let wrong = "zzzz-yyyy-xxxx-wwww";
    let (code, report, run) = apply_with(&[], |args| site.run_with(wrong, args));
    assert_ne!(code, 0, "{report:#}");
    let all = format!("{}\n{}", run.stdout, run.stderr);
    assert!(all.contains("account sky"), "the account: {all}");
    assert!(all.contains(PASSWORD_ENV), "the variable: {all}");
    assert!(!all.contains(wrong), "the password: {all}");
    assert!(site.posts().is_empty());
    assert!(site.server.calls_to("createRecord").is_empty());
    assert_eq!(
        site.server.calls_to("createSession").len(),
        1,
        "a refused sign-in is not tried again for each post"
    );
    assert!(results(&report).iter().all(|(_, r)| r != "published"));
    for file in files(&site.path().join(".postwright")) {
        let text = String::from_utf8_lossy(&fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains(wrong), "{}", file.display());
    }
}

#[test]
fn an_unresolvable_mention_fails_its_post_alone() {
    let mut posts = text_posts(&[
        "Thanks @friend.bsky.social for the glaze!",
        "Ask @nobody.bsky.social about it",
        "Back tomorrow",
    ]);
    // The failing post has an image no other post has: not uploaded.
    posts[1]
        .1
        .push_str("media:\n  - src: ../media/story.jpg\n    alt_text: A kiln\n");
    let site = site(&posts, "");
    let friend = "did:plc:friendfriendfriend00000000";
    site.server.add_handle("friend.bsky.social", friend);
    let (code, report, run) = site.apply();
    assert_ne!(code, 0, "a failed post fails the run: {report:#}");
    let all = format!("{}\n{}", run.stdout, run.stderr);
    assert!(
        all.contains("nobody.bsky.social"),
        "the handle named: {all}"
    );
    let got = results(&report);
    assert_eq!(
        got,
        [
            ("1".to_string(), "published".to_string()),
            ("2".into(), "failed".into()),
            ("3".into(), "published".into()),
        ],
        "{report:#}"
    );
    assert_eq!(
        site.texts(),
        ["Thanks @friend.bsky.social for the glaze!", "Back tomorrow"]
    );
    let sent = site.server.calls_to("createRecord");
    assert!(
        sent.iter()
            .all(|c| !String::from_utf8_lossy(&c.body).contains("nobody")),
        "nothing written for the failed post"
    );
    assert!(
        site.server.calls_to("uploadBlob").is_empty() && site.server.blobs().is_empty(),
        "its image not uploaded: {:#?}",
        calls(&site)
    );
    let facets = &site.posts()[0].value["facets"];
    assert_eq!(facets[0]["features"][0]["did"], friend, "{facets:#}");
}
