//! The crash test's Bluesky rounds: posts to Instagram and Bluesky (the
//! fault server of tests/integration/bluesky, its faults armed at random),
//! driven and killed as the other rounds ([`super::drive`]).

use super::{drive, Killer, Rng, Slot, Tally, MAX_RUNS};
use crate::common::git;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The Bluesky round's posts: two for Bluesky alone, two for Instagram
/// and Bluesky (`kiln` runs first, so a kill after a post's Instagram
/// publish falls before its Bluesky one).
const SKY_POSTS: [(&str, &str); 4] = [
    (
        "1-sky.yaml",
        "account: sky\npublish_at: 2026-12-01 09:00\ncaption: \"Kiln day 🔥 #ceramics https://kiln.example/spring\"\n",
    ),
    (
        "2-both.md",
        "---\naccounts: [kiln, sky]\npublish_at: 2026-12-01 10:00\nmedia:\n  - src: ../media/portrait.jpg\n    alt_text: A speckled blue mug\n---\nMeet the Harbour mug. ☕ Back in the shop today.\n",
    ),
    (
        "3-sky.yaml",
        "account: sky\npublish_at: 2026-12-01 11:00\ncaption: Two glazes, side by side.\nmedia:\n  - src: ../media/square.jpg\n    alt_text: Celadon\n  - src: ../media/landscape.jpg\n    alt_text: Tenmoku\n",
    ),
    (
        "4-both.md",
        "---\naccounts: [kiln, sky]\npublish_at: 2026-12-01 12:00\nmedia:\n  - ../media/square.jpg\n  - ../media/landscape.jpg\n---\nA week at the wheel.\n",
    ),
];
const SKY_TEXTS: [&str; 4] = [
    "Kiln day 🔥 #ceramics https://kiln.example/spring",
    "Meet the Harbour mug. ☕ Back in the shop today.",
    "Two glazes, side by side.",
    "A week at the wheel.",
];

/// Arms the Bluesky fault server at random: answers lost after the write,
/// a 500 before it, an access token expiring, rate limits within and
/// beyond `max_rate_wait_secs`, a bad gateway on an upload.
fn arm_bluesky(server: &crate::bluesky::BlueskyServer, rng: &mut Rng) {
    use crate::bluesky::Fault;
    let faults = [
        ("createRecord", Fault::LostAnswer),
        ("createRecord", Fault::LostAnswer500),
        ("createRecord", Fault::Http500),
        ("", Fault::ExpireAccessTokens),
        ("uploadBlob", Fault::BadGateway),
        (
            "createRecord",
            Fault::RateLimited {
                reset_secs: 1,
                retry_after: true,
            },
        ),
        (
            "createRecord",
            Fault::RateLimited {
                reset_secs: 3600,
                retry_after: false,
            },
        ),
    ];
    for (nsid, fault) in faults {
        if rng.chance(0.5) {
            let skip = rng.below(if nsid.is_empty() { 12 } else { 4 }) as u32;
            server.arm(nsid, skip, 1, fault);
        }
    }
}

/// A round of posts to Instagram and Bluesky (the fault server, faults
/// armed at random): apply killed at random, right after a createRecord
/// wrote (before its answer left), after other effects, and always once
/// right after the first Instagram publish of a post going to both
/// (before its Bluesky publish). Each platform must then have each of its
/// posts exactly once, in order, and the state must agree with both.
pub(super) fn round_sky(seed: u64, git_backend: bool, tally: &mut Tally) {
    use crate::bluesky::Fault;
    let mut rng = Rng(seed);
    let posts: Vec<(&str, String)> = SKY_POSTS.iter().map(|(n, b)| (*n, b.to_string())).collect();
    let extra = if git_backend {
        "max_rate_wait_secs = 1\n\n[state]\nbackend = \"git\"\nlease_secs = 1\n"
    } else {
        "max_rate_wait_secs = 1\n"
    };
    let site = crate::bluesky_runs::Sky::with_instagram(&posts, extra);
    if git_backend {
        let p = site.path();
        git(p, &["init", "-q", "-b", "main"]);
        git(p, &["add", "-A"]);
        git(p, &["commit", "-q", "-m", "content"]);
    }
    let graph = site.graph.as_ref().expect("an Instagram account");
    graph.set_faults_seeded(rng.next(), 0.12);
    arm_bluesky(&site.server, &mut rng);
    let slot: Slot = Arc::new(Mutex::new(None));
    let killer = Killer::new(&slot, rng.next());
    let between = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let after_write = Arc::new(AtomicU64::new(0));
    {
        let (killer, between) = (killer.clone(), between.clone());
        graph.set_after_effect_hook(move |effect| {
            let what = format!("{effect:?}").to_lowercase();
            let publish = what.contains("publish");
            let first = publish && between.swap(false, Ordering::SeqCst);
            killer.maybe(if publish { 0.35 } else { 0.1 }, first);
        });
    }
    {
        let killer = killer.clone();
        let after_write = after_write.clone();
        site.server.set_after_effect_hook(move |nsid| {
            let write = nsid.ends_with("createRecord");
            if killer.maybe(if write { 0.35 } else { 0.1 }, false) && write {
                after_write.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    let (done, last_log) = drive(
        &mut rng,
        &slot,
        tally,
        || site.command(&site.password),
        || site.plan(),
        |d| {
            graph.advance(d);
            site.server.advance(d);
        },
    );
    tally.kills_after_effect += killer.kills();
    tally.kills_after_bluesky_write += after_write.load(Ordering::SeqCst);
    let calls = site.server.calls();
    tally.pds_calls += calls.len() as u64;
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

    let ig: Vec<Option<String>> = graph.published().into_iter().map(|m| m.caption).collect();
    let sky = site.texts();
    for (got, want) in [(ig.len(), 2), (sky.len(), SKY_TEXTS.len())] {
        tally.duplicates += got.saturating_sub(want) as u64;
        tally.lost += want.saturating_sub(got) as u64;
    }
    assert_eq!(
        ig,
        [SKY_TEXTS[1], SKY_TEXTS[3]].map(|t| Some(t.to_string())),
        "seed {seed:#x}: Instagram once each, in order"
    );
    assert_eq!(
        sky, SKY_TEXTS,
        "seed {seed:#x}: Bluesky once each, in order"
    );
    assert!(
        site.server.records().iter().all(|r| !r.deleted),
        "seed {seed:#x}: nothing deleted"
    );
    let plan = site.plan();
    assert_eq!(
        plan["summary"],
        serde_json::json!({"published": 6}),
        "seed {seed:#x}: {plan:#}"
    );
    // The record (either backend) names the live post of each target.
    let live = site.posts();
    let entry = |id: &str, account: &str| {
        plan["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id && e["account"] == account)
            .cloned()
            .unwrap_or_else(|| panic!("seed {seed:#x}: {id} → {account}: {plan:#}"))
    };
    for ((name, _), record) in SKY_POSTS.iter().zip(&live) {
        let id = name.split('.').next().unwrap();
        assert_eq!(
            entry(id, "sky")["media_id"],
            record.uri.as_str(),
            "seed {seed:#x}: {id}"
        );
    }
    for (id, m) in ["2-both", "4-both"].iter().zip(graph.published()) {
        assert_eq!(
            entry(id, "kiln")["media_id"],
            m.id.as_str(),
            "seed {seed:#x}: {id}"
        );
    }
    site.assert_no_secret(&[]);
    tally.bluesky_rounds += 1;
    tally.rounds += 1;
}
