//! The harness itself: the daemon serves, stops and comes back on its
//! port; the lease-history check catches what it is meant to catch.

use super::harness::{
    check_lease_history, daemon_available, git_ok, git_output, lease_json, now_plus, push_lease,
    GitRemote, Runner, Snapshot, REF,
};
use serde_json::json;

#[test]
fn git_daemon_serves_stops_and_restarts_on_its_port() {
    if !daemon_available("git_daemon_serves_stops_and_restarts_on_its_port") {
        return;
    }
    let remote = GitRemote::served();
    let url = remote.url();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    git_ok(w, &["init", "-q", "-b", "main"]);
    std::fs::write(w.join("a.txt"), "a\n").unwrap();
    git_ok(w, &["add", "a.txt"]);
    git_ok(w, &["commit", "-q", "-m", "a"]);
    git_ok(w, &["push", "-q", &url, "main"]);
    let runner = Runner::clone(&url);
    assert_eq!(
        std::fs::read_to_string(runner.path.join("a.txt")).unwrap(),
        "a\n"
    );
    let other = Runner::clone(&remote.file_url());
    assert!(other.path.join("a.txt").is_file());

    remote.stop();
    let refused = git_output(w, &["ls-remote", &url]);
    assert!(
        !refused.status.success(),
        "stopped: the URL must not answer"
    );
    remote.start();
    assert_eq!(remote.url(), url, "the same port again");
    let heads = git_ok(w, &["ls-remote", &url, "refs/heads/main"]);
    assert!(heads.ends_with("\trefs/heads/main\n"), "{heads}");

    // A lease pushed over git://, then released.
    let lease = lease_json("l-1", "someone", now_plus(0), now_plus(60));
    push_lease(&url, Some(&lease));
    assert_eq!(remote.lease(), Some(lease));
    let state = remote.state();
    assert_eq!(state["posts"], json!({}), "{state:#}");
    push_lease(&url, None);
    assert_eq!(remote.lease(), None);
    assert_eq!(remote.history().len(), 2);
    assert!(remote.tip().is_some());
    let tip = git_ok(&remote.bare(), &["rev-parse", REF]);
    assert_eq!(Some(tip.trim().to_string()), remote.tip());
}

fn snap(n: usize, posts: serde_json::Value, lease: Option<serde_json::Value>) -> Snapshot {
    Snapshot {
        oid: format!("{n:040}"),
        message: String::new(),
        state: Some(json!({ "format_version": 1, "posts": posts })),
        lease,
    }
}

fn fails(history: &[Snapshot]) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_lease_history(history);
    }))
    .is_err()
}

#[test]
fn lease_history_check_catches_overlaps_and_unleased_writes() {
    let a = lease_json("a", "A", now_plus(-10), now_plus(-5));
    let a_renewed = lease_json("a", "A", now_plus(-10), now_plus(60));
    let b_after = lease_json("b", "B", now_plus(-4), now_plus(60));
    let b_during = lease_json("b", "B", now_plus(-6), now_plus(60));
    let one = json!({"p": {"status": "published"}});

    // Taken, renewed, released, taken by another: fine.
    let ok = [
        snap(1, json!({}), Some(a.clone())),
        snap(2, one.clone(), Some(a_renewed.clone())),
        snap(3, one.clone(), None),
        snap(4, one.clone(), Some(b_during.clone())),
    ];
    assert_eq!(check_lease_history(&ok), 2);
    // An expired lease taken over after its end: fine.
    let ok = [
        snap(1, json!({}), Some(a.clone())),
        snap(2, one.clone(), Some(b_after)),
    ];
    assert_eq!(check_lease_history(&ok), 2);
    // Taken over while live.
    assert!(fails(&[
        snap(1, json!({}), Some(a.clone())),
        snap(2, json!({}), Some(b_during))
    ]));
    // The record changed without a lease.
    assert!(fails(&[
        snap(1, json!({}), Some(a.clone())),
        snap(2, json!({}), None),
        snap(3, one, None)
    ]));
}
