//! Bluesky apply against the fault server (tests/integration/bluesky): what
//! the reference PDS cannot show offline. One sign-in per run however many
//! posts; an access token expiring mid-run refreshed once; a lost
//! createRecord answer read back, never written twice; a run that stops
//! with a record key journaled settled by the next run (adopted when the
//! record is there, built again with a new key when it is not); 429s
//! waited out within `max_rate_wait_secs`, else deferred; an unresolvable
//! mention fails its post only.

use crate::apply_e2e::{apply_with, to_run, Run};
use crate::bluesky::{BlueskyConfig, BlueskyServer, Fault};
use crate::common::{copy_dir, fixtures, postwright};
use serde_json::Value;
use std::fs;
use std::time::Duration;

const PASSWORD_ENV: &str = "KILN_SKY_PASSWORD";
const FRIEND: &str = "friend.bsky.social";
const FRIEND_DID: &str = "did:plc:friendfriendfriend00000000";

struct Site {
    server: BlueskyServer,
    dir: tempfile::TempDir,
}

impl Site {
    /// Three posts (text with a mention, an image, text) for one account.
    fn new(extra_api: &str) -> Site {
        let server = BlueskyServer::start_blocking(BlueskyConfig::default());
        server.add_handle(FRIEND, FRIEND_DID);
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixtures().join("publish/media"), &dir.path().join("media"));
        fs::create_dir_all(dir.path().join("posts")).unwrap();
        let toml = format!(
            "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[accounts.sky]\nplatform = \"bluesky\"\nhandle = \"{}\"\npds = \"{}\"\npassword_env = \"{PASSWORD_ENV}\"\n\n[api]\npoll_interval_ms = 20\nretry_base_ms = 10\n{extra_api}\n",
            server.handle(),
            server.url()
        );
        fs::write(dir.path().join("postwright.toml"), toml).unwrap();
        let site = Site { server, dir };
        site.post("1-hello", "09:00", &format!("Hello @{FRIEND} 👋"));
        site.write(
            "2-mug",
            "publish_at: 2026-12-01 10:00\ncaption: The mug\nmedia:\n  - src: ../media/square.jpg\n    alt_text: A mug\n",
        );
        site.post("3-bye", "11:00", "Bye for now");
        site
    }

    fn write(&self, id: &str, body: &str) {
        fs::write(self.dir.path().join(format!("posts/{id}.yaml")), body).unwrap();
    }

    fn post(&self, id: &str, at: &str, text: &str) {
        self.write(
            id,
            &format!(
                "publish_at: 2026-12-01 {at}\ncaption: {}\n",
                serde_json::to_string(text).unwrap()
            ),
        );
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = postwright(self.dir.path());
        cmd.env(PASSWORD_ENV, BlueskyConfig::default().password)
            .arg("--repo")
            .arg(self.dir.path())
            .args(args)
            .timeout(Duration::from_secs(120));
        to_run(args, cmd.output().expect("runs"))
    }

    fn apply(&self) -> (i32, Value, Run) {
        apply_with(&[], |args| self.run(args))
    }

    /// Live posts (not deleted), in `createdAt` order: publish order.
    fn posts(&self) -> Vec<String> {
        let mut posts: Vec<(String, String)> = self
            .server
            .records()
            .into_iter()
            .filter(|r| !r.deleted && r.collection == "app.bsky.feed.post")
            .map(|r| {
                let at = r.value["createdAt"].as_str().unwrap_or("").to_string();
                (at, r.value["text"].as_str().unwrap_or("").to_string())
            })
            .collect();
        posts.sort();
        posts.into_iter().map(|(_, text)| text).collect()
    }

    fn state(&self) -> Value {
        let text = fs::read_to_string(self.dir.path().join(".postwright/state.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn result<'r>(report: &'r Value, id: &str) -> &'r Value {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {report:#}"))
    }
}

#[test]
fn one_sign_in_per_run_an_expired_token_refreshed_and_a_lost_answer_read_back() {
    let site = Site::new("");
    // The second post's write meets an expired token; the third's answer is lost.
    site.server
        .arm("createRecord", 1, 1, Fault::ExpireAccessTokens);
    site.server.arm("createRecord", 2, 1, Fault::LostAnswer);
    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);
    assert_eq!(
        site.posts(),
        [
            format!("Hello @{FRIEND} 👋"),
            "The mug".into(),
            "Bye for now".into()
        ],
        "{report:#}"
    );
    assert_eq!(site.server.logins(), 1, "createSession once per run");
    assert_eq!(site.server.refreshes(), 1);
    // The lost write was read, not repeated.
    let writes = site.server.calls_to("createRecord");
    assert_eq!(
        writes.len(),
        4,
        "three posts and one refused by the expired token"
    );
    assert!(!site.server.calls_to("getRecord").is_empty());
    // The mention became a facet with the friend's DID.
    let hello = site
        .server
        .records()
        .into_iter()
        .find(|r| {
            r.value["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Hello"))
        })
        .unwrap();
    assert_eq!(hello.value["facets"][0]["features"][0]["did"], FRIEND_DID);
    let state = site.state();
    for id in ["1-hello", "2-mug", "3-bye"] {
        let entry = &state["posts"][id]["sky"];
        assert_eq!(entry["status"], "published", "{id}: {state:#}");
        assert!(
            entry["media_id"].as_str().unwrap().starts_with("at://"),
            "{entry:#}"
        );
    }
    // The app password goes in createSession's body only, never out.
    assert!(!run.stdout.contains("abcd-efgh") && !run.stderr.contains("abcd-efgh"));

    // A second run signs in once more and publishes nothing.
    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(report["summary"], serde_json::json!({}), "{report:#}");
    assert_eq!(site.posts().len(), 3);
}

#[test]
fn a_run_that_stops_after_journaling_is_settled_by_the_next_by_reading_the_key() {
    // Run 1: the write happens, its answer is lost, and every read of the
    // key fails: the post stays `publishing` with its record key.
    let site = Site::new("");
    site.server.arm("createRecord", 0, 1, Fault::LostAnswer);
    let server = site.server.clone();
    site.server.set_after_effect_hook(move |nsid| {
        if nsid.contains("createRecord") {
            server.arm("getRecord", 0, 1000, Fault::Http500);
        }
    });
    fs::remove_file(site.dir.path().join("posts/2-mug.yaml")).unwrap();
    fs::remove_file(site.dir.path().join("posts/3-bye.yaml")).unwrap();
    let (_, report, run) = site.apply();
    for c in site.server.calls() {
        eprintln!("CALL {} {} {:?}", c.nsid, c.status, c.fault);
    }
    eprintln!("STDERR {}", run.stderr);
    let state = site.state();
    let entry = &state["posts"]["1-hello"]["sky"];
    assert_eq!(entry["status"], "publishing", "{report:#}\n{state:#}");
    let key = entry["container_id"].as_str().unwrap().to_string();
    assert_eq!(site.posts().len(), 1);

    // Run 2 (nothing held in memory): the key is read, the post adopted.
    site.server.set_after_effect_hook(|_| {});
    site.server.disarm();
    let before = site.server.calls_to("createRecord").len();
    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);
    assert_eq!(site.posts().len(), 1, "not written twice: {report:#}");
    assert_eq!(site.server.calls_to("createRecord").len(), before);
    let state = site.state();
    let entry = &state["posts"]["1-hello"]["sky"];
    assert_eq!(entry["status"], "published", "{state:#}");
    assert!(
        entry["media_id"].as_str().unwrap().ends_with(&key),
        "{entry:#}"
    );
}

#[test]
fn a_key_that_never_went_live_is_built_again_with_a_new_key() {
    // Run 1: every write fails with 500 before anything happens.
    let site = Site::new("");
    fs::remove_file(site.dir.path().join("posts/2-mug.yaml")).unwrap();
    fs::remove_file(site.dir.path().join("posts/3-bye.yaml")).unwrap();
    site.server.arm("createRecord", 0, 20, Fault::Http500);
    let (_, report, _) = site.apply();
    assert!(site.posts().is_empty(), "{report:#}");
    let first = site.state()["posts"]["1-hello"]["sky"]["container_id"]
        .as_str()
        .unwrap()
        .to_string();

    // Run 2: the key is not on the PDS and not held: a new record, once.
    site.server.disarm();
    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);
    assert_eq!(site.posts().len(), 1, "{report:#}");
    let entry = &site.state()["posts"]["1-hello"]["sky"];
    assert_eq!(entry["status"], "published");
    assert!(
        !entry["media_id"].as_str().unwrap().ends_with(&first),
        "{entry:#}"
    );
}

#[test]
fn a_short_rate_limit_is_waited_out_and_a_long_one_defers() {
    let site = Site::new("");
    site.server.arm(
        "createRecord",
        0,
        1,
        Fault::RateLimited {
            reset_secs: 1,
            retry_after: true,
        },
    );
    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);
    assert_eq!(site.posts().len(), 3, "{report:#}");

    let site = Site::new("max_rate_wait_secs = 5");
    site.server.arm(
        "createRecord",
        0,
        1,
        Fault::RateLimited {
            reset_secs: 600,
            retry_after: true,
        },
    );
    let (code, report, run) = site.apply();
    assert_eq!(
        code, 0,
        "a deferral is not a failure: {}\n{report:#}",
        run.stderr
    );
    assert!(site.posts().is_empty(), "{report:#}");
    let first = Site::result(&report, "1-hello");
    assert_eq!(first["result"], "deferred", "{report:#}");
}

#[test]
fn an_unresolvable_mention_fails_its_post_and_publishes_nothing_of_it() {
    let site = Site::new("");
    site.post(
        "1-hello",
        "09:00",
        "Hello @nobody.bsky.social and @friend.bsky.social",
    );
    let (code, report, _) = site.apply();
    assert_ne!(code, 0, "{report:#}");
    let failed = Site::result(&report, "1-hello");
    assert_eq!(failed["result"], "failed", "{report:#}");
    let message = failed["message"].as_str().unwrap_or_default();
    assert!(message.contains("@nobody.bsky.social"), "{report:#}");
    assert!(!message.contains("@friend.bsky.social"), "{message}");
    assert_eq!(site.posts(), ["The mug", "Bye for now"], "{report:#}");
}
