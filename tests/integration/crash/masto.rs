//! The crash test's Mastodon rounds: posts to Instagram and Mastodon (the
//! test server of tests/integration/mastodon, its faults armed at random),
//! driven and killed as the other rounds ([`super::drive`]). Between runs
//! the servers' clocks move (1 to 15 minutes), so a lost answer is found
//! again by its key within the hour and by reading back after it.

use super::{drive, Killer, Rng, Slot, Tally, MAX_RUNS};
use crate::apply_e2e::{account, AT, TOKEN, USER};
use crate::common::{copy_dir, fixtures, git};
use crate::graph::{GraphServer, Login, ServerConfig};
use crate::mastodon::{Fault, MastodonConfig, MastodonServer};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MASTO_ENV: &str = "KILN_MASTO_TOKEN";
const POST_STATUS: &str = "POST /api/v1/statuses";

/// The Mastodon round's posts: two for Mastodon alone, two for Instagram
/// and Mastodon (`kiln` runs first, so a kill after a post's Instagram
/// publish falls before its Mastodon one).
const MASTO_POSTS: [(&str, &str); 4] = [
    (
        "1-masto.yaml",
        "account: masto\npublish_at: 2026-12-01 09:00\ncaption: \"Kiln day 🔥 & <glaze> #ceramics https://kiln.example/spring\"\n",
    ),
    (
        "2-both.md",
        "---\naccounts: [kiln, masto]\npublish_at: 2026-12-01 10:00\nmedia:\n  - src: ../media/portrait.jpg\n    alt_text: A speckled blue mug\n---\nMeet the Harbour mug. ☕ Back in the shop today.\n",
    ),
    (
        "3-masto.yaml",
        "account: masto\npublish_at: 2026-12-01 11:00\ncaption: Two glazes, side by side.\nmedia:\n  - src: ../media/square.jpg\n    alt_text: Celadon\n  - src: ../media/landscape.jpg\n    alt_text: Tenmoku\n",
    ),
    (
        "4-both.md",
        "---\naccounts: [kiln, masto]\npublish_at: 2026-12-01 12:00\nmedia:\n  - ../media/square.jpg\n  - ../media/landscape.jpg\n---\nA week at the wheel.\n",
    ),
];
const MASTO_TEXTS: [&str; 4] = [
    "Kiln day 🔥 & <glaze> #ceramics https://kiln.example/spring",
    "Meet the Harbour mug. ☕ Back in the shop today.",
    "Two glazes, side by side.",
    "A week at the wheel.",
];

/// A content repo with the Mastodon account `masto` and the Instagram
/// account `kiln`, each on its test server.
struct Site {
    masto: MastodonServer,
    graph: GraphServer,
    dir: tempfile::TempDir,
}

impl Site {
    fn new(extra: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixtures().join("publish/media"), &dir.path().join("media"));
        fs::create_dir_all(dir.path().join("posts")).unwrap();
        for (name, body) in MASTO_POSTS {
            fs::write(dir.path().join("posts").join(name), body).unwrap();
        }
        let masto = MastodonServer::start_blocking(MastodonConfig {
            processing: Duration::from_millis(200),
            ..MastodonConfig::default()
        });
        let graph = GraphServer::start_blocking(ServerConfig {
            accounts: vec![account(Login::Facebook)],
            video_processing: Duration::from_millis(200),
            static_root: Some(dir.path().to_path_buf()),
            ..ServerConfig::default()
        });
        let toml = format!(
            "content = [\"posts\"]\ntimezone = \"UTC\"\n\n\
             [accounts.masto]\nplatform = \"mastodon\"\ninstance = \"{}\"\ntoken_env = \"{MASTO_ENV}\"\n\n\
             [accounts.kiln]\nuser_id = \"{USER}\"\ntoken_env = \"KILN_TOKEN\"\n\n\
             [media]\nbase_url = \"{}/\"\n\n\
             [api]\npoll_interval_ms = 20\nmax_wait_secs = 20\nretry_base_ms = 10\nbase_url = \"{}\"\nupload_url = \"{}\"\n{extra}",
            masto.url(),
            graph.media_url(),
            graph.base_url(),
            graph.upload_url()
        );
        fs::write(dir.path().join("postwright.toml"), toml).unwrap();
        Site { masto, graph, dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("postwright"));
        cmd.current_dir(self.path())
            .env_remove("POSTWRIGHT_APP_ID")
            .env_remove("POSTWRIGHT_APP_SECRET")
            .env_remove("GITHUB_ACTIONS")
            .env("KILN_TOKEN", TOKEN)
            .env(MASTO_ENV, crate::mastodon::TOKEN)
            .arg("--repo")
            .arg(self.path());
        cmd
    }

    fn plan(&self) -> Value {
        let out = self
            .command()
            .args(["plan", "--at", AT, "--format", "json", "--offline"])
            .output()
            .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "the state record must load after any kill: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("plan JSON")
    }

    /// Every status the server made (deleted ones too: a duplicate
    /// removed is still a duplicate), in the order made.
    fn texts(&self) -> Vec<String> {
        self.masto.statuses().into_iter().map(|s| s.text).collect()
    }
}

/// Arms the Mastodon server at random: answers lost after the status was
/// made (no answer, a 500), a 500 and a proxy's 502 before it, a rate
/// limit, a 502 on an upload.
fn arm_mastodon(server: &MastodonServer, rng: &mut Rng) {
    let faults = [
        (POST_STATUS, Fault::LostAnswer),
        (POST_STATUS, Fault::LostAnswer500),
        (POST_STATUS, Fault::Http500),
        (POST_STATUS, Fault::BadGateway),
        (POST_STATUS, Fault::RateLimited),
        ("POST /api/v2/media", Fault::BadGateway),
        ("GET /api/v1/accounts/", Fault::Http500),
    ];
    for (route, fault) in faults {
        if rng.chance(0.5) {
            let skip = rng.below(4) as u32;
            server.arm(route, skip, 1 + rng.below(2) as u32, fault);
        }
    }
}

/// A round of posts to Instagram and Mastodon: apply killed at random,
/// right after a `POST /api/v1/statuses` made its status (before the
/// answer left), after other effects, and always once right after the
/// first Instagram publish of a post going to both (before its Mastodon
/// status). Each platform must then have each of its posts exactly once,
/// in order, and the state must agree with both.
pub(super) fn round_masto(seed: u64, git_backend: bool, tally: &mut Tally) {
    let mut rng = Rng(seed);
    let extra = if git_backend {
        "max_rate_wait_secs = 1\n\n[state]\nbackend = \"git\"\nlease_secs = 1\n"
    } else {
        "max_rate_wait_secs = 1\n"
    };
    let site = Site::new(extra);
    if git_backend {
        let p = site.path();
        git(p, &["init", "-q", "-b", "main"]);
        git(p, &["add", "-A"]);
        git(p, &["commit", "-q", "-m", "content"]);
    }
    site.graph.set_faults_seeded(rng.next(), 0.12);
    arm_mastodon(&site.masto, &mut rng);
    let slot: Slot = Arc::new(Mutex::new(None));
    let killer = Killer::new(&slot, rng.next());
    let between = Arc::new(AtomicBool::new(true));
    let after_write = Arc::new(AtomicU64::new(0));
    {
        let (killer, between) = (killer.clone(), between.clone());
        site.graph.set_after_effect_hook(move |effect| {
            let what = format!("{effect:?}").to_lowercase();
            let publish = what.contains("publish");
            let first = publish && between.swap(false, Ordering::SeqCst);
            killer.maybe(if publish { 0.35 } else { 0.1 }, first);
        });
    }
    {
        let (killer, after_write) = (killer.clone(), after_write.clone());
        site.masto.set_after_effect_hook(move |route| {
            let write = route == POST_STATUS;
            if killer.maybe(if write { 0.35 } else { 0.1 }, false) && write {
                after_write.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    let (done, last_log) = drive(
        &mut rng,
        &slot,
        tally,
        || site.command(),
        || site.plan(),
        |d| {
            site.graph.advance(d);
            site.masto.advance(d);
        },
    );
    tally.kills_after_effect += killer.kills();
    tally.kills_after_mastodon_write += after_write.load(Ordering::SeqCst);
    let calls = site.masto.calls();
    tally.mastodon_calls += calls.len() as u64;
    let keys: Vec<&str> = calls
        .iter()
        .filter(|c| c.route() == POST_STATUS)
        .filter_map(|c| c.idempotency_key())
        .collect();
    let mut distinct = keys.clone();
    distinct.sort_unstable();
    distinct.dedup();
    tally.mastodon_keys_resent += (keys.len() - distinct.len()) as u64;
    tally.mastodon_read_backs += calls
        .iter()
        .filter(|c| c.path.ends_with("/statuses") && c.query.contains("limit=40"))
        .count() as u64;
    tally.error_answers += calls.iter().filter(|c| c.status >= 400).count() as u64;
    tally.dropped_answers += calls
        .iter()
        .filter(|c| matches!(c.fault, Some(Fault::LostAnswer | Fault::LostAnswer500)))
        .count() as u64;
    assert!(
        done,
        "seed {seed:#x}: not finished after {MAX_RUNS} runs; the last run said:\n{}\nplan: {:#}",
        std::fs::read_to_string(&last_log).unwrap_or_default(),
        site.plan()["entries"]
    );
    assert!(
        !between.load(Ordering::SeqCst),
        "seed {seed:#x}: never killed between"
    );

    let ig: Vec<Option<String>> = site
        .graph
        .published()
        .into_iter()
        .map(|m| m.caption)
        .collect();
    let masto = site.texts();
    // A status of none of the posts' texts is one too many as well.
    let strangers = masto
        .iter()
        .filter(|t| !MASTO_TEXTS.contains(&t.as_str()))
        .count();
    tally.duplicates += strangers as u64;
    for want in MASTO_TEXTS {
        let got = masto.iter().filter(|t| t.as_str() == want).count();
        tally.duplicates += got.saturating_sub(1) as u64;
        tally.lost += 1usize.saturating_sub(got) as u64;
    }
    tally.duplicates += ig.len().saturating_sub(2) as u64;
    tally.lost += 2usize.saturating_sub(ig.len()) as u64;
    assert_eq!(
        ig,
        [MASTO_TEXTS[1], MASTO_TEXTS[3]].map(|t| Some(t.to_string())),
        "seed {seed:#x}: Instagram once each, in order"
    );
    assert_eq!(
        masto, MASTO_TEXTS,
        "seed {seed:#x}: Mastodon once each, in order"
    );
    let plan = site.plan();
    assert_eq!(
        plan["summary"],
        serde_json::json!({"published": 6}),
        "seed {seed:#x}: {plan:#}"
    );
    assert_recorded(&site, &plan, seed);
    assert_no_token(&site, seed);
    tally.mastodon_rounds += 1;
    tally.rounds += 1;
}

/// The record (either backend) names the live post of each target.
fn assert_recorded(site: &Site, plan: &Value, seed: u64) {
    let entry = |id: &str, account: &str| {
        plan["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id && e["account"] == account)
            .cloned()
            .unwrap_or_else(|| panic!("seed {seed:#x}: {id} → {account}: {plan:#}"))
    };
    for ((name, _), status) in MASTO_POSTS.iter().zip(site.masto.statuses()) {
        let id = name.split('.').next().unwrap();
        assert_eq!(
            entry(id, "masto")["media_id"],
            status.id.as_str(),
            "seed {seed:#x}: {id}"
        );
    }
    for (id, m) in ["2-both", "4-both"].iter().zip(site.graph.published()) {
        assert_eq!(
            entry(id, "kiln")["media_id"],
            m.id.as_str(),
            "seed {seed:#x}: {id}"
        );
    }
}

/// The Mastodon token never in the record nor in a request's URL.
fn assert_no_token(site: &Site, seed: u64) {
    let token = crate::mastodon::TOKEN;
    for call in site.masto.calls() {
        assert!(
            !call.path.contains(token) && !call.query.contains(token),
            "seed {seed:#x}: {}",
            call.route()
        );
    }
    let state = site.path().join(".postwright/state.json");
    if let Ok(text) = fs::read_to_string(state) {
        assert!(!text.contains(token), "seed {seed:#x}: the state");
    }
}
