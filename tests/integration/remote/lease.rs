//! The lease on the remote: another writer mid-run, the remote gone just
//! before a publish, an expired lease, a live one, and `state unlock`.

use super::harness::{
    check_lease_history, daemon_available, lease_json, now_plus, push_lease, results, RemoteSite,
    Transport, POST_IDS, WAIT,
};
use crate::graph::Effect;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Another writer takes the branch while a run is publishing: the run must
/// stop starting effects, write nothing over the other holder, and the next
/// run (after `state unlock`) settles the post in flight without
/// publishing it again.
#[test]
fn push_rejected_mid_run() {
    const FOREIGN: &str = "nightly job on another runner";
    let rs = RemoteSite::quick(Transport::File);
    let url = rs.url();
    let fired = Arc::new(AtomicBool::new(false));
    let planted: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    {
        let fired = fired.clone();
        let planted = planted.clone();
        rs.site.server.set_after_effect_hook(move |effect| {
            if matches!(effect, Effect::Published { .. }) && !fired.swap(true, Ordering::SeqCst) {
                let lease = lease_json("foreign-1", FOREIGN, now_plus(0), now_plus(3600));
                *planted.lock().unwrap() = Some(push_lease(&url, Some(&lease)));
            }
        });
    }
    let (code, report, run) = rs.apply(&[]);
    let planted = planted.lock().unwrap().clone();
    let planted = planted.expect("the hook pushed the foreign lease");
    let published = rs.site.server.published();
    assert_eq!(
        published.len(),
        1,
        "one post published, then no new effect: {report:#}\n{}",
        run.stderr
    );
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert!(
        run.stderr.contains(FOREIGN),
        "stderr names the other holder: {}",
        run.stderr
    );
    for (id, result) in results(&report) {
        if id != POST_IDS[0] {
            assert_eq!(result, "deferred", "{id}: {report:#}");
        }
    }
    assert_eq!(
        results(&report).len(),
        POST_IDS.len(),
        "every due post reported: {report:#}"
    );
    assert_eq!(
        rs.remote.tip().as_deref(),
        Some(planted.as_str()),
        "nothing written over the other holder's commit"
    );

    let unlock = rs.runner().run(&["state", "unlock", "foreign-1"]);
    assert_eq!(unlock.code, 0, "{}", unlock.stderr);
    assert!(
        unlock.stderr.contains("released lease foreign-1"),
        "{}",
        unlock.stderr
    );
    assert_eq!(rs.remote.lease(), None, "unlock removed lease.json");

    let (code, report, run) = rs.apply(&WAIT);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    rs.assert_exactly_once("after unlock");
    assert_eq!(
        rs.site.server.published()[0].id,
        published[0].id,
        "the post in flight adopted, not published again"
    );
    assert_eq!(rs.remote.lease(), None, "released at the end");
}

/// The remote stops answering after the first container is made, before
/// the "publishing" entry can be pushed: nothing may be published; the run
/// fails and says which remote and what to do; once the remote is back,
/// the next run publishes everything once.
#[test]
fn remote_unreachable_before_publish() {
    if !daemon_available("remote_unreachable_before_publish") {
        return;
    }
    let rs = RemoteSite::quick(Transport::Daemon);
    let runner = rs.runner();
    let fired = Arc::new(AtomicBool::new(false));
    {
        let fired = fired.clone();
        let remote = rs.remote.clone();
        rs.site.server.set_after_effect_hook(move |effect| {
            if matches!(effect, Effect::ContainerCreated { .. })
                && !fired.swap(true, Ordering::SeqCst)
            {
                remote.stop();
            }
        });
    }
    let (code, report, run) = runner.apply(&[]);
    assert!(fired.load(Ordering::SeqCst), "a container was made");
    assert!(
        rs.site.server.published().is_empty(),
        "nothing published without the journal on the remote: {report:#}\n{}",
        run.stderr
    );
    assert_eq!(code, 1, "{report:#}\n{}", run.stderr);
    assert!(
        results(&report).iter().all(|(_, r)| r != "published"),
        "{report:#}"
    );
    let url = rs.remote.url();
    assert!(
        run.stderr.contains(&url) || run.stderr.contains("origin"),
        "stderr names the remote ({url} or origin): {}",
        run.stderr
    );
    let lower = run.stderr.to_lowercase();
    let advice = [
        "check",
        "fix",
        "make sure",
        "reach",
        "network",
        "credential",
        "permission",
        "retry",
        "re-run",
        "rerun",
        "try again",
    ];
    assert!(
        advice.iter().any(|a| lower.contains(a)),
        "stderr says what to fix: {}",
        run.stderr
    );

    rs.remote.start();
    let (code, report, run) = rs.apply(&WAIT);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    rs.assert_exactly_once("after the remote came back");
    check_lease_history(&rs.remote.history());
    assert_eq!(rs.remote.lease(), None, "released at the end");
}

/// A lease whose holder died an hour ago is taken over at once.
#[test]
fn expired_lease_is_taken_over() {
    let rs = RemoteSite::quick(Transport::File);
    let dead = lease_json("dead-1", "dead-runner", now_plus(-7200), now_plus(-3600));
    push_lease(&rs.url(), Some(&dead));
    let (code, report, run) = rs.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert!(
        run.stderr
            .contains("took over the expired lease of dead-runner"),
        "{}",
        run.stderr
    );
    rs.assert_exactly_once("after taking over");
    let taken = check_lease_history(&rs.remote.history());
    assert!(taken >= 2, "the planted lease and the run's own");
    assert_eq!(rs.remote.lease(), None, "released at the end");
}

/// A live lease: apply defers without a single request to Meta; `state
/// show` shows the lease; `state unlock` with another id refuses, with its
/// id frees the branch; then apply publishes.
#[test]
fn live_lease_defers_without_calling_meta_and_unlock_frees_it() {
    const HOLDER: &str = "laptop of ana";
    let rs = RemoteSite::quick(Transport::File);
    let live = lease_json("live-1", HOLDER, now_plus(0), now_plus(3600));
    let planted = push_lease(&rs.url(), Some(&live));

    let (code, report, run) = rs.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("deferred: apply is held by") && l.contains(HOLDER)),
        "{}",
        run.stderr
    );
    assert!(
        rs.site.server.requests().is_empty(),
        "no request to Meta: {:?}",
        rs.site
            .server
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );
    let res = results(&report);
    assert_eq!(
        res.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        POST_IDS,
        "{report:#}"
    );
    assert!(res.iter().all(|(_, r)| r == "deferred"), "{report:#}");
    assert_eq!(rs.remote.tip().as_deref(), Some(planted.as_str()));

    let runner = rs.runner();
    let show = runner.run(&["state", "show", "--format", "json"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    let shown: serde_json::Value = serde_json::from_str(&show.stdout).expect("state show JSON");
    assert_eq!(shown["lease"]["id"], "live-1", "{shown:#}");
    assert_eq!(shown["lease"]["holder"], HOLDER, "{shown:#}");
    assert!(shown["state"].is_object(), "{shown:#}");
    assert!(shown["location"].is_string(), "{shown:#}");

    let wrong = runner.run(&["state", "unlock", "wrong-id"]);
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("live-1"),
        "names the current lease: {}",
        wrong.stderr
    );
    assert_eq!(
        rs.remote.lease().unwrap()["id"],
        "live-1",
        "the lease stays"
    );
    assert_eq!(rs.remote.tip().as_deref(), Some(planted.as_str()));

    let unlock = runner.run(&["state", "unlock", "live-1"]);
    assert_eq!(unlock.code, 0, "{}", unlock.stderr);
    assert!(
        unlock.stderr.contains("released lease live-1"),
        "{}",
        unlock.stderr
    );
    assert_eq!(rs.remote.lease(), None);

    let (code, report, run) = rs.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    let res = results(&report);
    assert_eq!(
        res.iter().filter(|(_, r)| r == "published").count(),
        POST_IDS.len(),
        "{report:#}"
    );
    rs.assert_exactly_once("after unlock");
    assert_eq!(rs.remote.lease(), None, "released at the end");
}
