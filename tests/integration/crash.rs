//! The crash test: `apply` as a subprocess against the test Graph API
//! server with random faults, killed with SIGKILL at random moments and
//! right after the server acted on a publish or a comment (before the answer
//! left), rerun until nothing is left. Every due post must then exist exactly
//! once on the server, in plan order, each first comment exactly once, and
//! the state must agree with the server. After every kill the state record
//! must still load. One round in four publishes tests/fixtures/threads to
//! Instagram and Threads at once, and is killed at least once between the
//! two publishes of a post going to both; one in four publishes to
//! Instagram and Bluesky (the fault server of tests/integration/bluesky,
//! its faults armed at random), killed right after createRecord wrote and
//! between a post's Instagram and Bluesky publishes; one in four publishes
//! to Instagram and Mastodon (the test server of
//! tests/integration/mastodon, faults armed at random), killed right after
//! `POST /api/v1/statuses` wrote and between a post's Instagram and
//! Mastodon publishes.
//!
//! Seeded and reproducible: `POSTWRIGHT_CRASH_SEED` (default below) and
//! `POSTWRIGHT_CRASH_ROUNDS` (default 30, what CI runs). A long run:
//!
//! ```sh
//! POSTWRIGHT_CRASH_ROUNDS=500 cargo test --release --test integration crash -- --nocapture
//! ```

use crate::apply_e2e::{account, Site, AT, TOKEN};
use crate::common::{fixtures, git};
use crate::graph::{Login, ServerConfig};
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod masto;
mod sky;

const DEFAULT_SEED: u64 = 0x0005_ee0d_c0ff_ee00;
/// Runs of apply per round before the round counts as stuck.
const MAX_RUNS: usize = 40;

/// splitmix64: small, seedable, good enough to pick moments.
#[derive(Clone)]
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / ((1u64 << 53) as f64)) < p
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

pub(crate) fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| {
            let v = v.trim();
            v.strip_prefix("0x")
                .map_or_else(|| v.parse().ok(), |h| u64::from_str_radix(h, 16).ok())
        })
        .unwrap_or(default)
}

#[derive(Default, Debug)]
struct Tally {
    rounds: u64,
    runs: u64,
    kills_at_random: u64,
    kills_after_effect: u64,
    /// Graph API requests answered.
    requests: u64,
    /// Errors answered (injected faults, and what follows them: rate-limit
    /// extensions, not-ready, …).
    error_answers: u64,
    /// Answers cut off after the server acted.
    dropped_answers: u64,
    duplicates: u64,
    lost: u64,
    /// Rounds with a Bluesky account (on the fault server) beside Instagram.
    bluesky_rounds: u64,
    /// XRPC calls the Bluesky fault server answered (or dropped).
    pds_calls: u64,
    /// Kills right after createRecord wrote, before its answer left.
    kills_after_bluesky_write: u64,
    /// Rounds with a Mastodon account (on its test server) beside Instagram.
    mastodon_rounds: u64,
    /// Calls the Mastodon test server answered (or dropped).
    mastodon_calls: u64,
    /// Kills right after `POST /api/v1/statuses` made a status, before
    /// its answer left.
    kills_after_mastodon_write: u64,
    /// POSTs of a status with a key sent before (the repeat within a run,
    /// or a journaled key sent again by the next run).
    mastodon_keys_resent: u64,
    /// Reads of the account's statuses back to a lost answer's key (pages
    /// of 40; the lost-record guard reads 25).
    mastodon_read_backs: u64,
}

/// The child being run, shared with the killers.
type Slot = Arc<Mutex<Option<Child>>>;

/// What the servers' after-effect hooks kill with: the child, a count of
/// kills, the seeded chance.
#[derive(Clone)]
struct Killer {
    slot: Slot,
    kills: Arc<AtomicU64>,
    rng: Arc<Mutex<Rng>>,
}

impl Killer {
    fn new(slot: &Slot, seed: u64) -> Killer {
        Killer {
            slot: slot.clone(),
            kills: Arc::new(AtomicU64::new(0)),
            rng: Arc::new(Mutex::new(Rng(seed))),
        }
    }

    /// Kills the running child with probability `p` (always when `now`).
    fn maybe(&self, p: f64, now: bool) -> bool {
        let killed = (now || self.rng.lock().unwrap().chance(p)) && kill(&self.slot);
        if killed {
            self.kills.fetch_add(1, Ordering::SeqCst);
        }
        killed
    }

    fn kills(&self) -> u64 {
        self.kills.load(Ordering::SeqCst)
    }
}

fn kill(slot: &Slot) -> bool {
    let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
    match guard.as_mut() {
        Some(child) => matches!(child.try_wait(), Ok(None)) && child.kill().is_ok(),
        None => false,
    }
}

fn plan_json(site: &Site) -> Value {
    let run = site.run(&["plan", "--at", AT, "--format", "json", "--offline"]);
    assert_eq!(
        run.code, 0,
        "the state record must load after any kill: {}",
        run.stderr
    );
    serde_json::from_str(&run.stdout).expect("plan JSON")
}

/// Runs apply (made by `command`) until the plan has nothing left to do,
/// killing it at random moments (the hooks kill it after effects): whether
/// it finished, and the last run's log. After every run the record must
/// load (`plan`), and time passes (`advance`).
fn drive(
    rng: &mut Rng,
    slot: &Slot,
    tally: &mut Tally,
    command: impl Fn() -> Command,
    plan: impl Fn() -> Value,
    advance: impl Fn(Duration),
) -> (bool, std::path::PathBuf) {
    let logs = tempfile::tempdir().unwrap();
    let mut last_log = logs.path().join("none");
    for run in 0..MAX_RUNS {
        tally.runs += 1;
        let log = logs.path().join(format!("run-{run}.log"));
        last_log = log.clone();
        let child = command()
            .args([
                "apply",
                "--at",
                AT,
                "--format",
                "json",
                "--lock-timeout",
                "10s",
            ])
            .env_remove("GITHUB_ACTIONS")
            .env_remove("POSTWRIGHT_APP_ID")
            .env_remove("POSTWRIGHT_APP_SECRET")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawns");
        *slot.lock().unwrap() = Some(child);
        // Half the runs also get a kill at a random moment; the last runs
        // are left alone so the round can finish.
        let random_kill = run < MAX_RUNS - 5 && rng.chance(0.5);
        let delay = Duration::from_millis(rng.below(1200));
        let start = Instant::now();
        let mut killed_at_random = false;
        let status = loop {
            if random_kill && !killed_at_random && start.elapsed() >= delay {
                killed_at_random = kill(slot);
            }
            let mut guard = slot.lock().unwrap();
            let child = guard.as_mut().unwrap();
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            drop(guard);
            assert!(start.elapsed() < Duration::from_secs(90), "apply hangs");
            std::thread::sleep(Duration::from_millis(3));
        };
        if killed_at_random {
            tally.kills_at_random += 1;
        }
        let mut child = slot.lock().unwrap().take().unwrap();
        let _ = child.wait();
        // Whatever happened, the record loads.
        let plan = plan();
        // Time passes between scheduled runs (every 15 minutes or so): rate
        // limits lift. Kept well inside the 24 hours a story stays listed.
        advance(Duration::from_secs(60 + rng.below(15) * 60));
        if status.code() == Some(0) {
            let pending = ["publish", "resume", "update"]
                .iter()
                .any(|a| plan["summary"].get(*a).is_some());
            if !pending {
                return (true, last_log);
            }
        }
    }
    (false, last_log)
}

fn round(seed: u64, git_backend: bool, tally: &mut Tally) {
    let mut rng = Rng(seed);
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        video_processing: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let extra = if git_backend {
        // A killed run's lease lapses after 1 s; the next run waits for it.
        "max_rate_wait_secs = 1\n\n[state]\nbackend = \"git\"\nlease_secs = 1\n"
    } else {
        "max_rate_wait_secs = 1\n"
    };
    let site = Site::new(&fixtures().join("publish"), config, Login::Facebook, extra);
    if git_backend {
        let p = site.path();
        git(p, &["init", "-q", "-b", "main"]);
        git(p, &["add", "-A"]);
        git(p, &["commit", "-q", "-m", "content"]);
    }
    site.server.set_faults_seeded(rng.next(), 0.12);

    let slot: Slot = Arc::new(Mutex::new(None));
    // Right after the server acted, before its answer leaves: the narrowest
    // windows (published but not told; comment made but not recorded).
    let killer = Killer::new(&slot, rng.next());
    {
        let killer = killer.clone();
        site.server.set_after_effect_hook(move |effect| {
            let what = format!("{effect:?}").to_lowercase();
            let narrow = what.contains("publish") || what.contains("comment");
            killer.maybe(if narrow { 0.35 } else { 0.1 }, false);
        });
    }

    let (done, last_log) = drive(
        &mut rng,
        &slot,
        tally,
        || {
            let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("postwright"));
            cmd.arg("--repo").arg(site.path()).env("KILN_TOKEN", TOKEN);
            cmd
        },
        || plan_json(&site),
        |d| site.server.advance(d),
    );
    tally.kills_after_effect += killer.kills();
    let requests = site.server.requests();
    tally.error_answers += requests.iter().filter(|r| r.status >= 400).count() as u64;
    tally.dropped_answers += requests.iter().filter(|r| r.dropped).count() as u64;
    tally.requests += requests.len() as u64;
    assert!(
        done,
        "seed {seed:#x}: not finished after {MAX_RUNS} runs; the last run said:\n{}\nplan: {:#}",
        std::fs::read_to_string(&last_log).unwrap_or_default(),
        plan_json(&site)["entries"]
    );

    // Exactly once, in plan order, comments once, state agrees.
    let published = site.server.published();
    let expected = crate::apply_e2e::PUBLISH_ORDER;
    let got: Vec<(Option<&str>, &str)> = published
        .iter()
        .map(|m| (m.caption.as_deref(), m.media_product_type.as_str()))
        .collect();
    if got.len() > expected.len() {
        tally.duplicates += (got.len() - expected.len()) as u64;
    }
    if got.len() < expected.len() {
        tally.lost += (expected.len() - got.len()) as u64;
    }
    assert_eq!(got, expected, "seed {seed:#x}: once each, in plan order");
    let comments = site.server.comments(&published[0].id);
    assert_eq!(
        comments.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
        ["#ceramics #handmade"],
        "seed {seed:#x}: the first comment once"
    );
    for m in &published[1..] {
        assert!(site.server.comments(&m.id).is_empty(), "seed {seed:#x}");
    }
    let plan = plan_json(&site);
    let ids = [
        "1-image",
        "2-carousel",
        "3-reel",
        "4-story-image",
        "5-story-video",
    ];
    for (id, m) in ids.iter().zip(&published) {
        let e = plan["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == *id)
            .unwrap();
        assert_eq!(e["action"], "published", "seed {seed:#x}: {e:#}");
        assert_eq!(e["media_id"], m.id.as_str(), "seed {seed:#x}: {id}");
    }
    tally.rounds += 1;
}

/// A round over tests/fixtures/threads: posts for Threads and for both
/// platforms, apply killed at random, right after a publish on either
/// platform, and always once right after the first Instagram publish of a
/// post going to both (between its two publishes). Each platform must
/// then have each of its posts exactly once.
fn round_both(seed: u64, tally: &mut Tally) {
    use crate::threads::Fault;
    let mut rng = Rng(seed);
    let site = crate::threads_e2e::Both::new("max_rate_wait_secs = 1\n");
    site.graph.set_faults_seeded(rng.next(), 0.12);
    // The Threads server's faults: a few, where they hurt.
    for path in ["threads_publish", "/threads", "threads_publishing_limit"] {
        if rng.chance(0.5) {
            site.threads.inject(Fault::LostAnswer {
                path_contains: path.into(),
            });
        }
        if rng.chance(0.5) {
            site.threads.inject(Fault::Http500 {
                path_contains: path.into(),
            });
        }
    }
    let slot: Slot = Arc::new(Mutex::new(None));
    let killer = Killer::new(&slot, rng.next());
    let between = Arc::new(std::sync::atomic::AtomicBool::new(true));
    {
        let (killer, between) = (killer.clone(), between.clone());
        site.graph.set_after_effect_hook(move |effect| {
            let what = format!("{effect:?}").to_lowercase();
            let publish = what.contains("publish");
            let first = publish && between.swap(false, Ordering::SeqCst);
            let narrow = publish || what.contains("comment");
            killer.maybe(if narrow { 0.35 } else { 0.1 }, first);
        });
    }
    {
        let killer = killer.clone();
        site.threads.set_after_effect_hook(move |call| {
            let narrow = call.ends_with("threads_publish");
            killer.maybe(if narrow { 0.35 } else { 0.1 }, false);
        });
    }
    let (done, last_log) = drive(
        &mut rng,
        &slot,
        tally,
        || {
            let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("postwright"));
            cmd.arg("--repo")
                .arg(site.path())
                .env("KILN_TOKEN", TOKEN)
                .env("KILN_THREADS_TOKEN", crate::threads_e2e::THREADS_TOKEN);
            cmd
        },
        || site.plan(),
        |d| {
            site.graph.advance(d);
            site.threads.advance(d);
        },
    );
    tally.kills_after_effect += killer.kills();
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
    let threads: Vec<Option<String>> = site
        .threads_posts()
        .iter()
        .map(|c| c.params.get("media_type").cloned())
        .collect();
    let (want_ig, want_threads) = (2, 4);
    for (got, want) in [(ig.len(), want_ig), (threads.len(), want_threads)] {
        tally.duplicates += got.saturating_sub(want) as u64;
        tally.lost += want.saturating_sub(got) as u64;
    }
    assert_eq!(
        ig,
        [
            Some("Meet the Harbour mug. ☕ Back in the shop today, in three glazes.".to_string()),
            Some("A week at the wheel.".to_string()),
        ],
        "seed {seed:#x}: Instagram once each, in order"
    );
    assert_eq!(
        threads,
        ["TEXT", "IMAGE", "VIDEO", "CAROUSEL"].map(|t| Some(t.to_string())),
        "seed {seed:#x}: Threads once each, in order"
    );
    let first = &site.graph.published()[0];
    assert_eq!(site.graph.comments(&first.id).len(), 1, "seed {seed:#x}");
    let plan = site.plan();
    assert_eq!(
        plan["summary"],
        serde_json::json!({"published": 6}),
        "seed {seed:#x}: {plan:#}"
    );
    let state = site.state();
    assert_eq!(
        state["posts"]["2-both"]["kiln-threads"]["media_id"],
        site.threads.published()[1].id.as_str(),
        "seed {seed:#x}"
    );
    tally.rounds += 1;
}

#[test]
fn crash() {
    let rounds = env_u64("POSTWRIGHT_CRASH_ROUNDS", 30);
    let seed = env_u64("POSTWRIGHT_CRASH_SEED", DEFAULT_SEED);
    let mut tally = Tally::default();
    let mut rng = Rng(seed);
    for i in 0..rounds {
        let round_seed = rng.next();
        // One round in four each: Instagram alone; Instagram and
        // Bluesky; Instagram and Threads; Instagram and Mastodon. The state
        // backend alternates between a kind's rounds.
        let git_backend = (i / 4) % 2 == 1;
        match i % 4 {
            0 => round(round_seed, git_backend, &mut tally),
            1 => sky::round_sky(round_seed, !git_backend, &mut tally),
            2 => round_both(round_seed, &mut tally),
            _ => masto::round_masto(round_seed, git_backend, &mut tally),
        }
    }
    eprintln!("crash test (seed {seed:#x}): {tally:?}");
    assert_eq!(tally.rounds, rounds);
    assert_eq!(tally.bluesky_rounds, (rounds + 2) / 4);
    assert_eq!(tally.mastodon_rounds, rounds / 4);
    // Each Bluesky or Mastodon round writes at least four times, each
    // write killed with a chance of 0.35: five rounds without one are
    // near impossible.
    if tally.bluesky_rounds >= 5 {
        assert!(tally.kills_after_bluesky_write > 0, "{tally:?}");
    }
    if tally.mastodon_rounds >= 5 {
        assert!(tally.kills_after_mastodon_write > 0, "{tally:?}");
    }
    assert!(
        tally.kills_at_random + tally.kills_after_effect > 0,
        "the test must kill: {tally:?}"
    );
    assert_eq!((tally.duplicates, tally.lost), (0, 0));
}
