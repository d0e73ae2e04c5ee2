//! The git backend against a real remote (a bare repository over file://),
//! at the level of the store: what each operation sends, and what a
//! rejected, refused or unreachable push does. The whole binary against a
//! remote served over the network is in `remote/`.

use crate::common::git;
use postwright::content::PostType;
use postwright::state::{GitStore, Locked, Reach, Record, State, StateError, Status, Store};
use std::path::Path;
use std::time::Duration;

const BRANCH: &str = "refs/heads/postwright-state";

struct Remote {
    bare: tempfile::TempDir,
}

impl Remote {
    fn new() -> Remote {
        let bare = tempfile::tempdir().unwrap();
        git(bare.path(), &["init", "-q", "--bare"]);
        Remote { bare }
    }

    fn url(&self) -> String {
        format!("file://{}", self.bare.path().display())
    }

    /// A clone of nothing but the remote: a runner's checkout.
    fn clone(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        git(dir.path(), &["remote", "add", "origin", &self.url()]);
        dir
    }

    fn tip(&self) -> Option<String> {
        let out = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(self.bare.path())
            .args(["rev-parse", "--verify", "--quiet", BRANCH])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap().trim().to_string())
    }

    fn show(&self, file: &str) -> Option<String> {
        let out = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(self.bare.path())
            .args(["show", &format!("{BRANCH}:{file}")])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    }

    fn subjects(&self) -> Vec<String> {
        let out = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(self.bare.path())
            .args(["log", "--format=%s", BRANCH])
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

fn store(dir: &Path, ttl: Duration) -> GitStore {
    GitStore::new(dir, "postwright-state", None, ttl)
}

fn one(status: Status) -> State {
    let mut s = State::default();
    s.insert(
        "a",
        Record::new(status, "posts/a.md", "kiln", PostType::Image, "sha256:1"),
    );
    s
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn shared_saves_reach_the_remote_local_ones_wait_for_the_next_push() {
    let remote = Remote::new();
    let runner = remote.clone();
    let s = store(runner.path(), HOUR);
    assert_eq!(s.load().unwrap(), State::default());
    assert!(matches!(
        s.lock().unwrap(),
        Locked::Acquired { took_over: None }
    ));
    let lease: serde_json::Value = serde_json::from_str(
        &remote
            .show("lease.json")
            .expect("the lease is on the remote"),
    )
    .unwrap();
    s.save(&one(Status::Creating), "containers for a", Reach::Local)
        .unwrap();
    assert!(
        !remote.show("state.json").unwrap().contains("\"a\""),
        "a local save stays here"
    );
    s.save(&one(Status::Publishing), "publishing a", Reach::Shared)
        .unwrap();
    assert!(remote
        .show("state.json")
        .unwrap()
        .contains("\"status\": \"publishing\""));
    s.release().unwrap();
    assert_eq!(remote.show("lease.json"), None, "released");
    assert_eq!(
        remote.subjects(),
        [
            format!(
                "lease: released by {} ({})",
                lease["holder"].as_str().unwrap(),
                lease["id"].as_str().unwrap()
            ),
            "publishing a".into(),
            "containers for a".into(),
            format!(
                "lease: taken by {} ({})",
                lease["holder"].as_str().unwrap(),
                lease["id"].as_str().unwrap()
            ),
        ]
    );
    // A fresh clone reads what the first one pushed.
    let other = remote.clone();
    assert_eq!(
        store(other.path(), HOUR).load().unwrap(),
        one(Status::Publishing)
    );
}

#[test]
fn a_live_lease_holds_others_off_an_expired_one_is_taken_over() {
    let remote = Remote::new();
    let (one_dir, two_dir) = (remote.clone(), remote.clone());
    let first = store(one_dir.path(), Duration::from_secs(2));
    let second = store(two_dir.path(), Duration::from_secs(2));
    first.load().unwrap();
    assert!(matches!(first.lock().unwrap(), Locked::Acquired { .. }));
    second.load().unwrap();
    let held = match second.lock().unwrap() {
        Locked::Held(l) => l,
        other => panic!("{other:?}"),
    };
    assert_eq!(Some(held.clone()), first.lease().unwrap());
    // The first holder dies without releasing; its lease runs out.
    std::thread::sleep(Duration::from_millis(2100));
    second.load().unwrap();
    match second.lock().unwrap() {
        Locked::Acquired {
            took_over: Some(old),
        } => assert_eq!(old.id, held.id),
        other => panic!("{other:?}"),
    }
    // The first one's next push is refused: someone else has the record.
    let err = first
        .save(&one(Status::Publishing), "publishing a", Reach::Shared)
        .unwrap_err();
    assert!(matches!(err, StateError::Conflict { .. }), "{err}");
    assert!(err.stops_run());
    assert!(
        !remote.show("state.json").unwrap().contains("\"a\""),
        "the stale writer changed nothing"
    );
    second
        .save(&one(Status::Published), "published a", Reach::Shared)
        .unwrap();
    assert!(remote.show("state.json").unwrap().contains("published"));
}

#[test]
fn two_takers_of_the_same_record_one_wins_the_other_replans() {
    let remote = Remote::new();
    let (a_dir, b_dir) = (remote.clone(), remote.clone());
    let a = store(a_dir.path(), HOUR);
    let b = store(b_dir.path(), HOUR);
    // Both read the same (empty) record; both try to take the lease on it.
    a.load().unwrap();
    b.load().unwrap();
    assert!(matches!(a.lock().unwrap(), Locked::Acquired { .. }));
    assert_eq!(b.lock().unwrap(), Locked::Moved);
    // Read again, B sees A's lease.
    b.load().unwrap();
    assert!(matches!(b.lock().unwrap(), Locked::Held(_)));
    // B's failed lease commit did not linger in its clone as a live lease.
    assert_eq!(b.lease().unwrap(), a.lease().unwrap());
}

#[test]
fn a_refused_or_unreachable_remote_is_an_error_naming_it_and_loses_nothing() {
    let remote = Remote::new();
    let runner = remote.clone();
    let s = store(runner.path(), HOUR);
    s.load().unwrap();
    assert!(matches!(s.lock().unwrap(), Locked::Acquired { .. }));
    s.save(&one(Status::Publishing), "publishing a", Reach::Shared)
        .unwrap();
    let before = remote.tip();
    // A protected branch: the remote refuses every update.
    let hook = remote.bare.path().join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'protected branch' >&2\nexit 1\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let err = s
        .save(&one(Status::Published), "published a", Reach::Shared)
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StateError::Remote { .. }), "{text}");
    assert!(
        text.contains("`origin`") && text.contains("protected branch"),
        "{text}"
    );
    assert!(
        text.contains("contents: write"),
        "says what to check: {text}"
    );
    assert_eq!(
        remote.tip(),
        before,
        "the record on the remote is unchanged"
    );
    // Gone altogether.
    std::fs::remove_file(&hook).unwrap();
    let moved = remote.bare.path().with_extension("moved");
    std::fs::rename(remote.bare.path(), &moved).unwrap();
    let err = s
        .save(&one(Status::Published), "published a", Reach::Shared)
        .unwrap_err();
    assert!(matches!(err, StateError::Remote { .. }), "{err}");
    let err = store(runner.path(), HOUR).load().unwrap_err();
    assert!(
        err.to_string()
            .contains("could not be read from remote `origin`"),
        "{err}"
    );
    std::fs::rename(&moved, remote.bare.path()).unwrap();
    // Back: nothing pushed before is lost.
    assert_eq!(
        store(remote.clone().path(), HOUR).load().unwrap(),
        one(Status::Publishing)
    );
}

#[test]
fn unlock_breaks_only_the_named_lease() {
    let remote = Remote::new();
    let (holder_dir, person_dir) = (remote.clone(), remote.clone());
    let holder = store(holder_dir.path(), HOUR);
    holder.load().unwrap();
    holder.lock().unwrap();
    let id = holder.lease().unwrap().unwrap().id;
    let person = store(person_dir.path(), HOUR);
    let err = person.unlock("not-it").unwrap_err().to_string();
    assert!(
        err.contains(&id) && err.contains("nothing was changed"),
        "{err}"
    );
    assert!(remote.show("lease.json").is_some());
    assert_eq!(person.unlock(&id).unwrap().id, id);
    assert_eq!(remote.show("lease.json"), None);
    assert!(remote.subjects()[0].contains("broken by `postwright state unlock`"));
    let err = person.unlock(&id).unwrap_err().to_string();
    assert!(err.contains("no lease is held"), "{err}");
    // The holder, still running, stops at its next write.
    let err = holder
        .save(&one(Status::Publishing), "publishing a", Reach::Shared)
        .unwrap_err();
    assert!(matches!(err, StateError::Conflict { .. }), "{err}");
}

#[test]
fn a_configured_remote_that_does_not_exist_is_an_error_and_no_origin_is_local_only() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let named = GitStore::new(dir.path(), "postwright-state", Some("upstream"), HOUR);
    let err = named.load().unwrap_err().to_string();
    assert!(
        err.contains("no remote `upstream`") && err.contains("git remote add"),
        "{err}"
    );
    let default = store(dir.path(), HOUR);
    assert_eq!(default.load().unwrap(), State::default());
    assert!(default
        .local_only_note()
        .unwrap()
        .contains("no remote `origin`"));
    let meant = GitStore::new(dir.path(), "postwright-state", Some(""), HOUR);
    assert_eq!(meant.local_only_note(), None);
    // Local only, the lease still keeps two writers of this clone apart.
    meant.load().unwrap();
    assert!(matches!(meant.lock().unwrap(), Locked::Acquired { .. }));
    let other = GitStore::new(dir.path(), "postwright-state", Some(""), HOUR);
    other.load().unwrap();
    assert!(matches!(other.lock().unwrap(), Locked::Held(_)));
}

/// A private repository's pull-request job: the checkout fetched the state
/// branch, then the remote refuses (no credentials). plan reads the copy
/// without a word about the remote; apply, which must push, refuses and
/// says nothing more is published; `state show` and `state unlock`, which
/// publish nothing, do not say so.
#[test]
fn a_plan_reads_the_checkouts_copy_without_the_remote_and_only_apply_refuses() {
    let remote = Remote::new();
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_dir(&crate::common::root().join("example-content"), dir.path());
    let toml = dir.path().join("postwright.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str("\n[state]\nbackend = \"git\"\n");
    std::fs::write(&toml, text).unwrap();
    let p = dir.path();
    git(p, &["init", "-q", "-b", "main"]);
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "content"]);
    git(p, &["remote", "add", "origin", &remote.url()]);
    // A record on the remote, as an earlier apply left it; this checkout
    // has fetched it (refs/remotes/origin/postwright-state).
    let s = store(p, HOUR);
    s.load().unwrap();
    s.lock().unwrap();
    let mut record = State::default();
    let mut e = Record::new(
        Status::Published,
        "posts/2026-12-01-studio.md",
        "kilnandco",
        PostType::Image,
        "sha256:0",
    );
    e.media_id = Some("17900000001".into());
    record.insert("2026-12-01-studio", e);
    s.save(&record, "published 2026-12-01-studio", Reach::Shared)
        .unwrap();
    s.release().unwrap();
    // The remote cannot be read now (a private repository's pull-request
    // job has no credentials).
    let away = remote.bare.path().with_extension("away");
    std::fs::rename(remote.bare.path(), &away).unwrap();
    for offline in [true, false] {
        let mut args = vec!["plan", "--at", "2026-12-02T00:00:00Z", "--format", "json"];
        if offline {
            args.push("--offline");
        }
        let out = crate::common::postwright(p).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("warning") && !stderr.contains("error"),
            "{args:?}: nothing to warn about: {stderr}"
        );
        let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(plan.get("state_unknown").is_none(), "{plan:#}");
        let entry = plan["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == "2026-12-01-studio")
            .unwrap();
        assert_ne!(
            entry["action"], "publish",
            "{args:?}: the copy's record counts: {entry:#}"
        );
    }
    // Apply needs the remote itself: it must be able to push.
    let out = crate::common::postwright(p)
        .args(["apply", "--at", "2026-12-02T00:00:00Z"])
        .env("INSTAGRAM_ACCESS_TOKEN", "x")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("could not be read from remote `origin`")
            && stderr.contains("Nothing more is published until it can")
            && stderr.contains("Check that `git ls-remote origin` works"),
        "{stderr}"
    );
    // Nothing publishes here: the messages do not say it stops publishing.
    for args in [&["state", "show"][..], &["state", "unlock", "some-id"]] {
        let out = crate::common::postwright(p).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("could not be read from remote `origin`")
                && stderr.contains("Check that `git ls-remote origin` works")
                && !stderr.contains("published"),
            "{args:?}: {stderr}"
        );
    }
    std::fs::rename(&away, remote.bare.path()).unwrap();
}
