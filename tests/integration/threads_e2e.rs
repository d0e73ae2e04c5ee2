//! Threads end to end: the real binary against the test Graph API server
//! and the test Threads server at once. tests/fixtures/threads holds a
//! text post and a video for Threads, and an image and a carousel for both
//! platforms (with `threads:` overrides); the tests assert what each
//! platform received, the record per (post, account), and that the
//! exactly-once rules hold per target.

use crate::apply_e2e::{account, apply_with, to_run, Run, AT, TOKEN, USER};
use crate::common::{copy_dir, fixtures, postwright};
use crate::graph::{GraphServer, Login, ServerConfig};
use crate::threads::{Fault, ThreadsConfig, ThreadsServer};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::time::Duration;

pub(crate) const THREADS_USER: &str = "27000000000000001";
pub(crate) const THREADS_TOKEN: &str = "THtest-token-b41e-SECRET";

/// A copy of tests/fixtures/threads served by both test servers.
pub(crate) struct Both {
    pub graph: GraphServer,
    pub threads: ThreadsServer,
    pub dir: tempfile::TempDir,
}

impl Both {
    pub fn new(extra_api: &str) -> Both {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixtures().join("threads"), dir.path());
        copy_dir(&fixtures().join("publish/media"), &dir.path().join("media"));
        let graph = GraphServer::start_blocking(ServerConfig {
            accounts: vec![account(Login::Facebook)],
            video_processing: Duration::from_millis(300),
            static_root: Some(dir.path().to_path_buf()),
            ..ServerConfig::default()
        });
        let threads = ThreadsServer::start_blocking(ThreadsConfig {
            user_id: THREADS_USER.into(),
            username: "kiln.threads".into(),
            token: THREADS_TOKEN.into(),
            video_processing: Duration::from_millis(300),
            ..ThreadsConfig::default()
        });
        let toml = format!(
            r#"content = ["posts"]
timezone = "Europe/Berlin"

[accounts.kiln]
user_id = "{USER}"
token_env = "KILN_TOKEN"

[accounts.kiln-threads]
platform = "threads"
user_id = "{THREADS_USER}"
token_env = "KILN_THREADS_TOKEN"

[api]
base_url = "{}"
upload_url = "{}"
threads_url = "{}"
poll_interval_ms = 20
max_wait_secs = 20
retry_base_ms = 10
{extra_api}
[media]
base_url = "{}/"
"#,
            graph.base_url(),
            graph.upload_url(),
            threads.url(),
            graph.media_url(),
        );
        fs::write(dir.path().join("postwright.toml"), toml).unwrap();
        Both {
            graph,
            threads,
            dir,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let mut cmd = postwright(self.path());
        cmd.env_remove("POSTWRIGHT_APP_ID")
            .env_remove("POSTWRIGHT_APP_SECRET")
            .env("KILN_TOKEN", TOKEN)
            .env("KILN_THREADS_TOKEN", THREADS_TOKEN)
            .arg("--repo")
            .arg(self.path())
            .args(args)
            .timeout(Duration::from_secs(120));
        to_run(args, cmd.output().expect("runs"))
    }

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

    /// The published Threads container of each Threads post, in publish order.
    pub fn threads_posts(&self) -> Vec<crate::threads::Container> {
        let containers = self.threads.containers();
        self.threads
            .published()
            .iter()
            .map(|m| {
                containers
                    .iter()
                    .find(|c| c.id == m.container_id)
                    .cloned()
                    .expect("a published media has its container")
            })
            .collect()
    }
}

fn param<'c>(c: &'c crate::threads::Container, name: &str) -> Option<&'c str> {
    c.params.get(name).map(String::as_str)
}

fn target<'p>(plan: &'p Value, id: &str, account: &str) -> &'p Value {
    plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id && e["account"] == account)
        .unwrap_or_else(|| panic!("{id} → {account} in {plan:#}"))
}

#[test]
fn one_file_reaches_both_platforms_each_with_its_own_parameters() {
    let site = Both::new("");
    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);

    // Threads: text, image, video, carousel, in publish order.
    let posts = site.threads_posts();
    let types: Vec<Option<&str>> = posts.iter().map(|c| param(c, "media_type")).collect();
    assert_eq!(
        types,
        [Some("TEXT"), Some("IMAGE"), Some("VIDEO"), Some("CAROUSEL")],
        "{posts:#?}"
    );
    let text = &posts[0];
    assert_eq!(
        param(text, "text"),
        Some("Kiln day 🔥 the spring glazes are out.")
    );
    assert_eq!(param(text, "reply_control"), Some("accounts_you_follow"));
    assert_eq!(param(text, "topic_tag"), Some("Ceramics"));
    assert_eq!(
        param(text, "link_attachment"),
        Some("https://kiln.example/spring")
    );
    // The `threads:` caption, not the Instagram one; nothing Instagram's.
    let image = &posts[1];
    assert_eq!(
        param(image, "text"),
        Some("The Harbour mug is back. Which glaze next?")
    );
    assert!(param(image, "image_url")
        .unwrap()
        .ends_with("media/portrait.jpg"));
    assert_eq!(
        param(image, "alt_text"),
        Some("A speckled blue mug on an oak desk")
    );
    assert!(param(image, "location_id").is_none(), "{image:#?}");
    // The `threads:` media: three items, one a video.
    let carousel = &posts[3];
    let children = param(carousel, "children").unwrap().split(',').count();
    assert_eq!(children, 3, "{carousel:#?}");

    // Instagram: the two posts for both, with the post's own caption and
    // media, and the first comment on Instagram only.
    let ig = site.graph.published();
    let captions: Vec<Option<&str>> = ig.iter().map(|m| m.caption.as_deref()).collect();
    assert_eq!(
        captions,
        [
            Some("Meet the Harbour mug. ☕ Back in the shop today, in three glazes."),
            Some("A week at the wheel."),
        ]
    );
    assert_eq!(site.graph.comments(&ig[0].id).len(), 1);

    // One record per target, each with its own media id.
    let state = site.state();
    assert_eq!(state["format_version"], postwright::state::FORMAT_VERSION);
    let both = &state["posts"]["2-both"];
    assert_eq!(both["kiln"]["status"], "published", "{state:#}");
    assert_eq!(both["kiln-threads"]["status"], "published", "{state:#}");
    assert_eq!(both["kiln"]["media_id"], ig[0].id.as_str());
    assert_eq!(
        both["kiln-threads"]["media_id"],
        site.threads.published()[1].id.as_str()
    );
    assert!(both["kiln-threads"].get("first_comment_id").is_none());
    // The report names each target.
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 6, "{report:#}");
    assert!(results
        .iter()
        .any(|r| r["id"] == "2-both" && r["account"] == "kiln-threads"));

    // The token reaches Threads in the Authorization header only.
    let calls = site.threads.calls();
    assert!(!calls.is_empty());
    assert!(
        calls.iter().all(|c| c.bearer && !c.token_in_params),
        "{calls:#?}"
    );
    assert!(!run.stderr.contains(THREADS_TOKEN) && !run.stdout.contains(THREADS_TOKEN));

    // Nothing left: a second run publishes nothing anywhere.
    let before = (site.graph.published().len(), site.threads.published().len());
    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(report["summary"], serde_json::json!({}), "{report:#}");
    assert_eq!(
        (site.graph.published().len(), site.threads.published().len()),
        before
    );
    let plan = site.plan();
    assert_eq!(plan["summary"], serde_json::json!({"published": 6}));
    assert_eq!(
        target(&plan, "4-carousel", "kiln-threads")["platform"],
        "threads"
    );

    // plan and status name the target of each line.
    let human = site.run(&["plan", "--at", AT, "--offline"]).stdout;
    assert!(human.contains("→ kiln-threads"), "{human}");
    let status = site.run(&["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    let status = status.stdout;
    assert!(status.contains("2-both → kiln-threads"), "{status}");
}

#[test]
fn a_threads_limit_stops_only_the_threads_target() {
    let site = Both::new("");
    let long = "Glaze notes. ".repeat(50);
    fs::write(
        site.path().join("posts/5-long.md"),
        format!("---\naccounts: [kiln, kiln-threads]\npublish_at: 2026-12-01 13:00\nmedia: [../media/square.jpg]\n---\n{long}\n"),
    )
    .unwrap();
    let validate = site.run(&["validate"]);
    assert_eq!(validate.code, 1);
    assert!(
        validate
            .stdout
            .contains("for Threads: the text is 649 characters; Threads takes at most 500"),
        "{}",
        validate.stdout
    );

    let (code, report, run) = site.apply();
    assert_eq!(code, 1, "an invalid target fails the run: {}", run.stderr);
    let plan = site.plan();
    assert_eq!(target(&plan, "5-long", "kiln")["action"], "published");
    let threads = target(&plan, "5-long", "kiln-threads");
    assert_eq!(threads["action"], "invalid", "{threads:#}");
    assert_eq!(threads["problems"][0]["platform"], "threads");
    assert!(site
        .graph
        .published()
        .iter()
        .any(|m| m.caption.as_deref() == Some(long.trim())));
    assert_eq!(site.threads.published().len(), 4, "{report:#}");
}

#[test]
fn a_used_up_threads_quota_defers_threads_and_not_instagram() {
    let site = Both::new("");
    site.threads.set_quota_usage(250);
    let (code, report, run) = site.apply();
    assert_eq!(code, 0, "a deferral is not a failure: {}", run.stderr);
    assert_eq!(site.graph.published().len(), 2);
    assert!(site.threads.published().is_empty());
    let deferred: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["account"] == "kiln-threads")
        .collect();
    assert_eq!(deferred.len(), 4, "{report:#}");
    assert!(
        deferred.iter().all(|r| r["result"] == "deferred"),
        "{report:#}"
    );
    // No publish was even tried against the full quota.
    assert!(!site
        .threads
        .calls()
        .iter()
        .any(|c| c.path.ends_with("threads_publish")));

    // A day later the quota is free again: the rest goes out, once.
    site.threads.set_quota_usage(0);
    let (code, _, run) = site.apply();
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(site.threads.published().len(), 4);
    assert_eq!(site.graph.published().len(), 2);
}

#[test]
fn a_lost_threads_publish_answer_is_resolved_by_reading_never_repeated() {
    let site = Both::new("");
    site.threads.inject(Fault::LostAnswer {
        path_contains: "threads_publish".into(),
    });
    site.threads.inject(Fault::Http500 {
        path_contains: "POST /v1.0/27000000000000001/threads".into(),
    });
    let mut runs = 0;
    loop {
        runs += 1;
        let (code, report, run) = site.apply();
        let left = site.plan()["summary"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k == "publish" || k == "resume");
        if !left {
            break;
        }
        assert!(runs < 3, "exit {code}: {}\n{report:#}", run.stderr);
    }
    // Every Threads post exactly once, though one publish answer was lost.
    let published = site.threads.published();
    assert_eq!(published.len(), 4, "{published:#?}");
    let publishes = site
        .threads
        .calls()
        .into_iter()
        .filter(|c| c.path.ends_with("threads_publish"))
        .count();
    assert_eq!(
        publishes, 4,
        "a lost answer is never followed by a second publish"
    );
}
