//! The crash test's Bluesky rounds: tests/fixtures/publish to Instagram
//! (the test Graph API server) beside three posts to Bluesky (the fault
//! server, tests/integration/bluesky), apply killed with SIGKILL at random
//! moments and right after the PDS wrote a record (before its answer left),
//! with lost answers, 500s and 429s armed at random, rerun until nothing is
//! left. Each platform must then have each of its posts exactly once, and
//! the record must name each Bluesky post's at-uri.
//!
//! Seeded like the crash test: `POSTWRIGHT_CRASH_SEED`, and
//! `POSTWRIGHT_CRASH_BLUESKY_ROUNDS` (default 6).

use crate::apply_e2e::{account, Site, TOKEN};
use crate::bluesky::{BlueskyConfig, BlueskyServer, Fault};
use crate::common::fixtures;
use crate::crash::{drive, env_u64, plan_json, Killer, Rng, Slot, Tally};
use crate::graph::{Login, ServerConfig};
use std::fs;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DEFAULT_SEED: u64 = 0x0b1e_5c70_0000_0001;
const PASSWORD_ENV: &str = "KILN_SKY_PASSWORD";
/// The Bluesky posts, in publish order.
const SKY: [&str; 3] = [
    "Kiln day 🔥 #ceramics",
    "The Harbour mug",
    "Glaze notes, part 2",
];

fn round(seed: u64, tally: &mut Tally) {
    let mut rng = Rng(seed);
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        video_processing: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let site = Site::new(
        &fixtures().join("publish"),
        config,
        Login::Facebook,
        "max_rate_wait_secs = 1\n",
    );
    site.server.set_faults_seeded(rng.next(), 0.12);
    let sky = BlueskyServer::start_blocking(BlueskyConfig::default());
    let toml_path = site.path().join("postwright.toml");
    let toml = fs::read_to_string(&toml_path).unwrap().replacen(
        "timezone = \"Europe/Berlin\"\n",
        "timezone = \"Europe/Berlin\"\ndefault_account = \"kiln\"\n",
        1,
    );
    fs::write(
        &toml_path,
        format!(
            "{toml}\n[accounts.sky]\nplatform = \"bluesky\"\nhandle = \"{}\"\npds = \"{}\"\npassword_env = \"{PASSWORD_ENV}\"\n",
            sky.handle(),
            sky.url()
        ),
    )
    .unwrap();
    for (i, text) in SKY.iter().enumerate() {
        let media = if i == 1 {
            "media:\n  - src: ../media/square.jpg\n    alt_text: A mug\n"
        } else {
            ""
        };
        fs::write(
            site.path().join(format!("posts/sky-{i}.yaml")),
            format!(
                "account: sky\npublish_at: 2026-12-01 0{}:30\ncaption: {}\n{media}",
                i + 7,
                serde_json::to_string(text).unwrap()
            ),
        )
        .unwrap();
    }
    // Faults where they hurt: the write, the read after it, the uploads.
    for call in ["createRecord", "getRecord", "uploadBlob"] {
        for fault in [Fault::LostAnswer, Fault::LostAnswer500, Fault::Http500] {
            if rng.chance(0.4) {
                let skip = rng.below(3) as u32;
                sky.arm(call, skip, 1, fault);
            }
        }
    }
    if rng.chance(0.5) {
        let fault = Fault::RateLimited {
            reset_secs: rng.below(3),
            retry_after: rng.chance(0.5),
        };
        sky.arm("createRecord", rng.below(3) as u32, 1, fault);
    }

    let slot: Slot = Arc::new(Mutex::new(None));
    let killer = Killer::new(&slot, rng.next());
    {
        let killer = killer.clone();
        site.server.set_after_effect_hook(move |effect| {
            let what = format!("{effect:?}").to_lowercase();
            let narrow = what.contains("publish") || what.contains("comment");
            killer.maybe(if narrow { 0.35 } else { 0.1 }, false);
        });
    }
    {
        let killer = killer.clone();
        sky.set_after_effect_hook(move |nsid| {
            let narrow = nsid.contains("createRecord");
            killer.maybe(if narrow { 0.35 } else { 0.1 }, false);
        });
    }
    let password = BlueskyConfig::default().password;
    let (done, last_log) = drive(
        &mut rng,
        &slot,
        tally,
        || {
            let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("postwright"));
            cmd.arg("--repo")
                .arg(site.path())
                .env("KILN_TOKEN", TOKEN)
                .env(PASSWORD_ENV, &password);
            cmd
        },
        || plan_json(&site),
        |d| {
            site.server.advance(d);
            sky.advance(d);
        },
    );
    tally.kills_after_effect += killer.kills();
    sky.set_after_effect_hook(|_| {});
    let requests = site.server.requests();
    let calls = sky.calls();
    tally.requests += (requests.len() + calls.len()) as u64;
    tally.error_answers += requests.iter().filter(|r| r.status >= 400).count() as u64
        + calls.iter().filter(|c| c.status >= 400).count() as u64;
    tally.dropped_answers += requests.iter().filter(|r| r.dropped).count() as u64
        + calls
            .iter()
            .filter(|c| matches!(c.fault, Some(Fault::LostAnswer)))
            .count() as u64;
    assert!(
        done,
        "seed {seed:#x}: not finished; the last run said:\n{}\nplan: {:#}",
        fs::read_to_string(&last_log).unwrap_or_default(),
        plan_json(&site)["entries"]
    );

    // Instagram: once each, in plan order.
    let ig: Vec<(Option<String>, String)> = site
        .server
        .published()
        .into_iter()
        .map(|m| (m.caption, m.media_product_type))
        .collect();
    let want_ig: Vec<(Option<String>, String)> = crate::apply_e2e::PUBLISH_ORDER
        .iter()
        .map(|(c, t)| (c.map(str::to_string), t.to_string()))
        .collect();
    // Bluesky: once each (createdAt order is publish order).
    let mut records: Vec<_> = sky
        .records()
        .into_iter()
        .filter(|r| !r.deleted && r.collection == "app.bsky.feed.post")
        .collect();
    records.sort_by(|a, b| {
        let at =
            |r: &crate::bluesky::Record| r.value["createdAt"].as_str().unwrap_or("").to_string();
        at(a).cmp(&at(b))
    });
    let texts: Vec<&str> = records
        .iter()
        .map(|r| r.value["text"].as_str().unwrap_or(""))
        .collect();
    for (got, want) in [(ig.len(), want_ig.len()), (texts.len(), SKY.len())] {
        tally.duplicates += got.saturating_sub(want) as u64;
        tally.lost += want.saturating_sub(got) as u64;
    }
    assert_eq!(ig, want_ig, "seed {seed:#x}: Instagram once each, in order");
    assert_eq!(texts, SKY, "seed {seed:#x}: Bluesky once each, in order");
    let plan = plan_json(&site);
    for (i, record) in records.iter().enumerate() {
        let id = format!("sky-{i}");
        let e = plan["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id.as_str())
            .unwrap();
        assert_eq!(e["action"], "published", "seed {seed:#x}: {e:#}");
        assert_eq!(e["media_id"], record.uri.as_str(), "seed {seed:#x}: {id}");
    }
    tally.rounds += 1;
}

#[test]
fn crash_bluesky() {
    let rounds = env_u64("POSTWRIGHT_CRASH_BLUESKY_ROUNDS", 6);
    let seed = env_u64("POSTWRIGHT_CRASH_SEED", DEFAULT_SEED);
    let mut tally = Tally::default();
    let mut rng = Rng(seed);
    for _ in 0..rounds {
        round(rng.next(), &mut tally);
    }
    eprintln!("crash test, Bluesky rounds (seed {seed:#x}): {tally:?}");
    assert_eq!(tally.rounds, rounds);
    assert!(
        tally.kills_at_random + tally.kills_after_effect > 0,
        "the test must kill: {tally:?}"
    );
    assert_eq!((tally.duplicates, tally.lost), (0, 0));
}
