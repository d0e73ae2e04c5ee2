//! Applies started at the same instant: from separate clones of one remote
//! (the git backend and its lease), and on one folder (the file backend and
//! its OS lock). Nothing twice, nothing lost, one holder at a time.

use super::harness::{
    check_lease_history, daemon_available, pending, results, RemoteSite, Runner, Transport, WAIT,
};
use crate::apply_e2e::{account, Run, Site, PUBLISH_ORDER};
use crate::common::fixtures;
use crate::graph::{Login, ServerConfig};
use serde_json::Value;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// Long enough video processing that one run takes seconds: the runs
/// started together really overlap.
const SLOW_VIDEO: Duration = Duration::from_millis(1500);

struct Outcome {
    code: i32,
    report: Value,
    run: Run,
    waited: bool,
    took: Duration,
}

/// Starts `jobs` at once, each on its own thread behind a barrier.
fn at_once<F>(jobs: usize, job: F) -> Vec<Outcome>
where
    F: Fn(usize) -> (i32, Value, Run, bool) + Sync,
{
    let barrier = Barrier::new(jobs);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..jobs)
            .map(|i| {
                let barrier = &barrier;
                let job = &job;
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    let (code, report, run, waited) = job(i);
                    Outcome {
                        code,
                        report,
                        run,
                        waited,
                        took: start.elapsed(),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn describe(outcomes: &[Outcome]) -> String {
    outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| {
            format!(
                "run {i} (exit {}, {:.1} s, waits: {}): results {:?}\nstderr:\n{}",
                o.code,
                o.took.as_secs_f64(),
                o.waited,
                results(&o.report),
                o.run.stderr
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn deferred_by_holder(o: &Outcome) -> bool {
    o.run.stderr.contains("held by")
}

/// A run that waited for the lock started with the publisher and ended
/// when it let go (give or take process start-up).
fn assert_waited(waiter: &Outcome, publisher: &Outcome, ctx: &str, all: &str) {
    assert!(
        waiter.took + Duration::from_secs(1) >= publisher.took,
        "{ctx}: the waiting run ended {:.1} s after the start, before the publisher let go ({:.1} s)\n{all}",
        waiter.took.as_secs_f64(),
        publisher.took.as_secs_f64()
    );
}

fn published_results(o: &Outcome) -> usize {
    results(&o.report)
        .iter()
        .filter(|(_, r)| r == "published")
        .count()
}

/// `n` applies at once from `n` fresh clones. Two: neither waits for the
/// lease. Three: the first does not, the other two wait up to 20 s
/// (`--lock-timeout`), so at least one run that did not get the lease
/// waits for it.
fn overlapping(n: usize, transport: Transport) {
    let rs = RemoteSite::new(
        ServerConfig {
            video_processing: SLOW_VIDEO,
            ..ServerConfig::default()
        },
        transport,
    );
    let runners: Vec<Runner> = (0..n).map(|_| rs.runner()).collect();
    let waits = |i: usize| n == 3 && i >= 1;
    let outcomes = at_once(n, |i| {
        let extra: &[&str] = if waits(i) { &WAIT } else { &[] };
        let (code, report, run) = runners[i].apply(extra);
        (code, report, run, waits(i))
    });
    let all = describe(&outcomes);
    let ctx = format!("{n} at once ({transport:?})");
    for o in &outcomes {
        assert_eq!(o.code, 0, "{ctx}: every run exits 0\n{all}");
    }
    // One of them did the work, and nobody published anything twice.
    let publishers = outcomes.iter().filter(|o| published_results(o) > 0).count();
    assert_eq!(publishers, 1, "{ctx}: exactly one run publishes\n{all}");
    let publisher = outcomes.iter().find(|o| published_results(o) > 0).unwrap();
    // They overlapped: each of the others found the lease held, and either
    // deferred at once or waited until the publisher let go.
    let mut overlapped = 0;
    for o in outcomes.iter().filter(|o| published_results(o) == 0) {
        if o.waited {
            assert_waited(o, publisher, &ctx, &all);
            overlapped += 1;
        } else {
            assert!(
                o.run
                    .stderr
                    .lines()
                    .any(|l| l.starts_with("deferred: apply is held by")),
                "{ctx}: a run that does not wait says who holds the lease\n{all}"
            );
            assert!(
                results(&o.report).iter().all(|(_, r)| r == "deferred"),
                "{ctx}: a run that found the lease held defers everything\n{all}"
            );
            overlapped += 1;
        }
    }
    assert_eq!(overlapped, n - 1, "{ctx}\n{all}");
    assert_eq!(
        outcomes.iter().map(published_results).sum::<usize>(),
        PUBLISH_ORDER.len(),
        "{ctx}\n{all}"
    );
    // Later runs find nothing left.
    let mut rounds = 0;
    while pending(&rs.plan()) {
        rounds += 1;
        assert!(rounds <= 5, "{ctx}: still pending after 5 more runs");
        let (code, _, run) = rs.apply(&WAIT);
        assert_eq!(code, 0, "{ctx}: {}", run.stderr);
    }
    rs.assert_exactly_once(&ctx);
    let history = rs.remote.history();
    let taken = check_lease_history(&history);
    assert!(taken >= 1, "{ctx}: a lease was taken");
    assert_eq!(rs.remote.lease(), None, "{ctx}: released at the end");
    eprintln!(
        "{ctx}: {} commits on the state branch, {taken} leases; runs took {:?}",
        history.len(),
        outcomes.iter().map(|o| o.took).collect::<Vec<_>>()
    );
}

#[test]
fn concurrent_applies() {
    overlapping(2, Transport::File);
    let transport = if daemon_available("concurrent_applies over git:// (run over file:// instead)")
    {
        Transport::Daemon
    } else {
        Transport::File
    };
    overlapping(3, transport);
}

/// Two applies on the same folder (the file backend) at once.
fn same_folder(wait: bool) {
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        video_processing: SLOW_VIDEO,
        ..ServerConfig::default()
    };
    let site = Site::new(
        &fixtures().join("publish"),
        config,
        Login::Facebook,
        "max_rate_wait_secs = 1\n",
    );
    let outcomes = at_once(2, |_| {
        let extra: &[&str] = if wait { &WAIT } else { &[] };
        let (code, report, run) = site.apply(extra);
        (code, report, run, wait)
    });
    let all = describe(&outcomes);
    let ctx = format!("file backend, two at once, waiting: {wait}");
    for o in &outcomes {
        assert_eq!(o.code, 0, "{ctx}\n{all}");
    }
    let published = site.server.published();
    let got: Vec<(Option<&str>, &str)> = published
        .iter()
        .map(|m| (m.caption.as_deref(), m.media_product_type.as_str()))
        .collect();
    assert_eq!(got, PUBLISH_ORDER, "{ctx}: 0 duplicates, 0 lost\n{all}");
    let publishers = outcomes.iter().filter(|o| published_results(o) > 0).count();
    assert_eq!(publishers, 1, "{ctx}: exactly one run publishes\n{all}");
    let publisher = outcomes.iter().find(|o| published_results(o) > 0).unwrap();
    let other = outcomes.iter().find(|o| published_results(o) == 0).unwrap();
    if wait {
        // It waited for the lock, then found everything done.
        assert_waited(other, publisher, &ctx, &all);
        assert!(
            results(&other.report).iter().all(|(_, r)| r != "deferred"),
            "{ctx}: the waiting run does not defer\n{all}"
        );
    } else {
        assert!(
            deferred_by_holder(other),
            "{ctx}: the other run says who holds the lock\n{all}"
        );
        assert!(
            results(&other.report).iter().all(|(_, r)| r == "deferred"),
            "{ctx}\n{all}"
        );
    }
    let plan = site.run(&[
        "plan",
        "--at",
        crate::apply_e2e::AT,
        "--offline",
        "--format",
        "json",
    ]);
    assert!(
        !pending(&serde_json::from_str(&plan.stdout).unwrap()),
        "{ctx}"
    );
}

#[test]
fn file_backend_two_applies_on_one_folder() {
    same_folder(false);
    same_folder(true);
}
