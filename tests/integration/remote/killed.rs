//! The job killed: `apply` from a fresh clone each time, run by a shell in
//! a process group of its own (the action's shell and the binary), the
//! whole group SIGKILLed at random moments and right after the Graph server
//! acted on a publish or a comment, with seeded faults; rerun from a fresh
//! clone until a run succeeds and nothing is pending. Every due post must
//! then be on the server exactly once, its first comment once, and the
//! remote's record must say so.
//!
//! `POSTWRIGHT_REMOTE_ROUNDS` (default 30) and `POSTWRIGHT_REMOTE_SEED`.
//! Most rounds reach the remote as file://, every 5th over git://. Every
//! third round gives each run a host name of its own, as runners on
//! separate machines: a killed run's lease must then be waited out
//! (`lease_secs`); in the others the runs share this machine, where a lease
//! whose process has ended is taken over at once.

use super::harness::{
    check_lease_history, daemon_available, kill_group, pending, RemoteSite, Runner, Transport,
    POST_IDS, WAIT,
};
use crate::apply_e2e::AT;
use crate::crash::{env_u64, Rng};
use crate::graph::{Effect, ServerConfig};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEFAULT_SEED: u64 = 0x0bad_c10e_5eed_0001;
/// Runs per round before the round counts as stuck.
const MAX_RUNS: usize = 40;

#[derive(Default, Debug, Clone, Copy)]
struct Tally {
    rounds: u64,
    git_daemon_rounds: u64,
    /// Rounds whose runs each had a machine (host name) of their own.
    separate_machine_rounds: u64,
    /// Runs that took over a killed run's lease: expired, or its process gone.
    took_over_expired: u64,
    took_over_gone: u64,
    runs: u64,
    kills_at_random: u64,
    kills_after_effect: u64,
    /// Leases taken over the rounds (a new lease id on the state branch).
    leases: u64,
    duplicates: u64,
    lost: u64,
}

/// The job being run (its shell, the leader of its process group).
type Slot = Arc<Mutex<Option<Child>>>;

/// SIGKILLs the job's whole process group, if it still runs.
fn kill(slot: &Slot) -> bool {
    let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
    match guard.as_mut() {
        // Not reaped yet, so the group id cannot have been reused.
        Some(child) => matches!(child.try_wait(), Ok(None)) && kill_group(child.id()),
        None => false,
    }
}

/// A fresh clone. Over file:// the remote's receive-pack would otherwise be
/// a child of the runner's `git push`, in the job's process group, and die
/// with it; on a real remote the server side lives on. `setsid` keeps it
/// out of the group.
fn runner(rs: &RemoteSite) -> Runner {
    match rs.transport {
        Transport::File => Runner::clone_with(
            &rs.url(),
            &["remote.origin.receivepack=setsid -w git receive-pack"],
        ),
        Transport::Daemon => rs.runner(),
    }
}

fn round(seed: u64, transport: Transport, separate_machines: bool, tally: &mut Tally) {
    let mut rng = Rng(seed);
    // A killed run on another machine leaves a lease that must run out:
    // one second of it. On this machine a lease of a process that has ended
    // is taken over at once: a long lease shows that nothing waits for it.
    let rs = RemoteSite::with_lease(
        ServerConfig {
            video_processing: Duration::from_millis(200),
            ..ServerConfig::default()
        },
        transport,
        if separate_machines { 1 } else { 30 },
    );
    rs.site.server.set_faults_seeded(rng.next(), 0.12);

    let slot: Slot = Arc::new(Mutex::new(None));
    let effect_kills = Arc::new(AtomicU64::new(0));
    let hook_rng = Arc::new(Mutex::new(Rng(rng.next())));
    {
        let slot = slot.clone();
        let effect_kills = effect_kills.clone();
        rs.site.server.set_after_effect_hook(move |effect| {
            // Published but not told; comment made but not recorded.
            let narrow = matches!(
                effect,
                Effect::Published { .. } | Effect::CommentCreated { .. }
            );
            let p = if narrow { 0.35 } else { 0.1 };
            if hook_rng.lock().unwrap().chance(p) && kill(&slot) {
                effect_kills.fetch_add(1, Ordering::SeqCst);
            }
        });
    }

    let logs = tempfile::tempdir().unwrap();
    let mut last_log = logs.path().join("none");
    let mut done = false;
    let mut args = vec!["apply", "--at", AT, "--format", "json"];
    args.extend_from_slice(&WAIT);
    for run in 0..MAX_RUNS {
        tally.runs += 1;
        let job_runner = runner(&rs);
        let log = logs.path().join(format!("run-{run}.log"));
        last_log = log.clone();
        let host = format!("runner-{run}");
        let env: &[(&str, &str)] = if separate_machines {
            &[("HOSTNAME", &host)]
        } else {
            &[]
        };
        let child = job_runner.spawn_job(
            &args,
            env,
            Stdio::null(),
            Stdio::from(std::fs::File::create(&log).unwrap()),
        );
        *slot.lock().unwrap() = Some(child);
        // Half the runs also get a kill at a random moment; the last runs
        // are left alone so the round can finish.
        let random_kill = run < MAX_RUNS - 5 && rng.chance(0.5);
        let delay = Duration::from_millis(rng.below(2000));
        let start = Instant::now();
        let mut killed_at_random = false;
        let status = loop {
            if random_kill && !killed_at_random && start.elapsed() >= delay {
                killed_at_random = kill(&slot);
            }
            let mut guard = slot.lock().unwrap();
            if let Some(status) = guard.as_mut().unwrap().try_wait().unwrap() {
                break status;
            }
            drop(guard);
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "seed {seed:#x}: apply hangs; it said:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(3));
        };
        if killed_at_random {
            tally.kills_at_random += 1;
        }
        slot.lock().unwrap().take();
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        if said.contains("took over the expired lease") {
            tally.took_over_expired += 1;
        }
        if said.contains("its process has ended") {
            tally.took_over_gone += 1;
            assert!(
                !separate_machines,
                "seed {seed:#x}: another machine's lease is waited out: {said}"
            );
        }
        if !separate_machines {
            // The runs before this one have all ended: no lease of theirs
            // may hold this one up.
            assert!(
                !said.contains("held by"),
                "seed {seed:#x}: a lease of a process that has ended held a run up: {said}"
            );
        }
        // Whatever happened, the next runner's record loads.
        let plan = rs.plan();
        // Time passes between scheduled runs: rate limits lift.
        rs.site
            .server
            .advance(Duration::from_secs(60 + rng.below(15) * 60));
        if status.code() == Some(0) && !pending(&plan) {
            done = true;
            break;
        }
    }
    tally.kills_after_effect += effect_kills.load(Ordering::SeqCst);
    let published = rs.site.server.published();
    let expected = POST_IDS.len();
    tally.duplicates += published.len().saturating_sub(expected) as u64;
    tally.lost += expected.saturating_sub(published.len()) as u64;
    assert!(
        done,
        "seed {seed:#x} ({transport:?}): not finished after {MAX_RUNS} runs; the last run said:\n{}\nplan: {:#}",
        std::fs::read_to_string(&last_log).unwrap_or_default(),
        rs.plan()["entries"]
    );
    rs.assert_exactly_once(&format!("seed {seed:#x} ({transport:?})"));
    tally.leases += check_lease_history(&rs.remote.history()) as u64;
    tally.rounds += 1;
    if transport == Transport::Daemon {
        tally.git_daemon_rounds += 1;
    }
    if separate_machines {
        tally.separate_machine_rounds += 1;
    }
}

#[test]
fn runner_killed_at_random() {
    let rounds = env_u64("POSTWRIGHT_REMOTE_ROUNDS", 30);
    let seed = env_u64("POSTWRIGHT_REMOTE_SEED", DEFAULT_SEED);
    let daemon =
        daemon_available("runner_killed_at_random's git:// rounds (run over file:// instead)");
    let started = Instant::now();
    let mut rng = Rng(seed);
    let plan: Vec<(u64, Transport, bool)> = (0..rounds)
        .map(|i| {
            let transport = if daemon && i % 5 == 4 {
                Transport::Daemon
            } else {
                Transport::File
            };
            (rng.next(), transport, i % 3 == 1)
        })
        .collect();
    // Rounds are independent (each its own server, remote and clones) and
    // mostly wait (for Meta's processing, for leases): three at a time.
    let next = AtomicU64::new(0);
    let tallies = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst) as usize;
                let Some(&(round_seed, transport, separate)) = plan.get(i) else {
                    break;
                };
                let mut t = Tally::default();
                round(round_seed, transport, separate, &mut t);
                tallies.lock().unwrap().push(t);
            });
        }
    });
    let mut tally = Tally::default();
    for t in tallies.into_inner().unwrap() {
        tally.rounds += t.rounds;
        tally.git_daemon_rounds += t.git_daemon_rounds;
        tally.separate_machine_rounds += t.separate_machine_rounds;
        tally.took_over_expired += t.took_over_expired;
        tally.took_over_gone += t.took_over_gone;
        tally.runs += t.runs;
        tally.kills_at_random += t.kills_at_random;
        tally.kills_after_effect += t.kills_after_effect;
        tally.leases += t.leases;
        tally.duplicates += t.duplicates;
        tally.lost += t.lost;
    }
    eprintln!(
        "runner_killed_at_random (seed {seed:#x}, {:.1} s): {tally:?}",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(tally.rounds, rounds);
    assert!(
        tally.kills_at_random + tally.kills_after_effect > 0,
        "the test must kill: {tally:?}"
    );
    assert_eq!((tally.duplicates, tally.lost), (0, 0), "{tally:?}");
    if rounds >= 3 {
        assert!(
            tally.took_over_expired > 0 && tally.took_over_gone > 0,
            "both ways of taking over a dead run's lease happen: {tally:?}"
        );
    }
}
