//! A private repository's plan job reproduced (issue 26): the checkout is
//! made, then the remote refuses, as it refuses a pull request's job that
//! has no credentials. Here `origin` is then set to a git:// port on
//! 127.0.0.1 that takes each connection and hangs up, counting them.
//!
//! plan and status exit 0 with the plan from what the checkout fetched:
//! the state branch (the published posts are not planned again), no state
//! branch among the fetched ones (an empty record and one calm line), or
//! nothing fetched from `origin` at all (the headline says whether anything
//! is published is unknown). `--offline` never calls the remote: the port
//! counts no connection, and git's trace (`GIT_TRACE`) has no command that
//! talks to one.

use super::harness::{git_ok, git_output, Runner, BRANCH, STATE_TABLE};
use crate::apply_e2e::{to_run, Run, AT};
use crate::common::{copy_dir, fixtures};
use crate::plan::{entry, published};
use postwright::state::{GitStore, Reach, State, Store};
use serde_json::{json, Value};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The posts the remote's record has as published.
const PUBLISHED: [&str; 2] = ["1-image", "2-carousel"];
/// The remote-tracking ref of the state branch.
const TRACKING: &str = "refs/remotes/origin/postwright-state";

/// A remote that refuses: a git:// URL on 127.0.0.1 whose listener takes
/// each connection and hangs up at once, counting them.
struct Refusing {
    port: u16,
    calls: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
}

impl Refusing {
    fn new() -> Refusing {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let calls = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let (counted, stop) = (calls.clone(), done.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                if stream.is_ok() {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Refusing { port, calls, done }
    }

    fn url(&self) -> String {
        format!("git://127.0.0.1:{}/content.git", self.port)
    }

    /// The connections taken so far, once the listener has caught up
    /// with those waiting (at least `least`, within two seconds).
    fn calls(&self, least: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(2);
        std::thread::sleep(Duration::from_millis(100));
        while self.calls.load(Ordering::SeqCst) < least && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.calls.load(Ordering::SeqCst)
    }
}

impl Drop for Refusing {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The publish fixture (five posts due at AT, one later) on the git
/// backend, on `main` of a bare remote; with `record`, the remote's state
/// branch holds [`PUBLISHED`] as published, as an apply left it.
struct Site {
    remote: super::harness::GitRemote,
    _author: tempfile::TempDir,
}

impl Site {
    fn new(record: bool) -> Site {
        let remote = super::harness::GitRemote::new();
        let author = tempfile::tempdir().unwrap();
        let p = author.path();
        copy_dir(&fixtures().join("publish"), p);
        let toml = p.join("postwright.toml");
        let text = std::fs::read_to_string(&toml).unwrap() + STATE_TABLE;
        std::fs::write(&toml, text).unwrap();
        git_ok(p, &["init", "-q", "-b", "main"]);
        git_ok(p, &["add", "-A"]);
        git_ok(p, &["commit", "-q", "-m", "content"]);
        git_ok(p, &["remote", "add", "origin", &remote.file_url()]);
        git_ok(p, &["push", "-q", "origin", "main"]);
        if record {
            // The content hashes apply would record come from the plan.
            let out = crate::common::postwright(p)
                .args(["plan", "--at", AT, "--offline", "--format", "json"])
                .output()
                .unwrap();
            let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
            let store = GitStore::new(p, BRANCH, None, Duration::from_secs(3600));
            store.load().unwrap();
            store.lock().unwrap();
            let mut state = State::default();
            for id in PUBLISHED {
                state.insert(id, published(entry(&plan, id)));
            }
            store.save(&state, "published", Reach::Shared).unwrap();
            store.release().unwrap();
            assert!(remote.tip().is_some(), "the record is on the remote");
        }
        Site {
            remote,
            _author: author,
        }
    }

    fn url(&self) -> String {
        self.remote.file_url()
    }

    /// actions/checkout with `fetch-depth: 0`: every branch and tag of
    /// the remote, `main` checked out.
    fn every_branch(&self) -> Runner {
        let url = self.url();
        Runner::checkout(|p| {
            git_ok(p, &["remote", "add", "origin", &url]);
            git_ok(
                p,
                &[
                    "fetch",
                    "-q",
                    "--prune",
                    "--no-recurse-submodules",
                    "origin",
                    "+refs/heads/*:refs/remotes/origin/*",
                    "+refs/tags/*:refs/tags/*",
                ],
            );
            git_ok(
                p,
                &["checkout", "-q", "-B", "main", "refs/remotes/origin/main"],
            );
        })
    }

    /// actions/checkout's default on a pull request (`fetch-depth: 1`): the
    /// commit alone, fetched by its id as `refs/remotes/pull/7/merge`; no
    /// branch of `origin` (fetching a branch by name would update its
    /// remote-tracking ref too).
    fn pull_request_only(&self) -> Runner {
        let url = self.url();
        let out = self.remote.git(&["rev-parse", "refs/heads/main"]);
        let sha = String::from_utf8(out.stdout).unwrap().trim().to_string();
        Runner::checkout(|p| {
            git_ok(p, &["remote", "add", "origin", &url]);
            git_ok(
                p,
                &[
                    "fetch",
                    "-q",
                    "--no-tags",
                    "--depth=1",
                    "origin",
                    &format!("+{sha}:refs/remotes/pull/7/merge"),
                ],
            );
            git_ok(
                p,
                &["checkout", "-q", "--detach", "refs/remotes/pull/7/merge"],
            );
        })
    }
}

/// The remote refuses from now on.
fn refuse(runner: &Runner, refusing: &Refusing) {
    git_ok(
        &runner.path,
        &["remote", "set-url", "origin", &refusing.url()],
    );
}

/// postwright ARGS in the checkout without a token (a pull request's job
/// has no secrets), with git's trace: (the run, the trace).
fn run(runner: &Runner, args: &[&str]) -> (Run, String) {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("git-trace.log");
    let mut cmd = runner.command(args);
    cmd.env_remove("KILN_TOKEN").env("GIT_TRACE", &trace);
    let out = assert_cmd::Command::from_std(cmd)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let trace = std::fs::read_to_string(&trace).unwrap_or_default();
    (to_run(args, out), trace)
}

/// `plan --at AT --format json EXTRA`, which must exit 0: (plan, run, trace).
fn plan(runner: &Runner, extra: &[&str]) -> (Value, Run, String) {
    let mut args = vec!["plan", "--at", AT, "--format", "json"];
    args.extend_from_slice(extra);
    let (run, trace) = run(runner, &args);
    assert_eq!(run.code, 0, "{args:?}: {}\n{}", run.stderr, run.stdout);
    let plan = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", run.stdout));
    (plan, run, trace)
}

/// The git commands of a trace that talk to a remote.
fn remote_calls(trace: &str) -> Vec<&str> {
    trace
        .lines()
        .filter(|l| {
            l.contains("git ls-remote") || l.contains("git fetch") || l.contains("git push")
        })
        .collect()
}

fn has_ref(runner: &Runner, name: &str) -> bool {
    git_output(&runner.path, &["rev-parse", "--verify", "-q", name])
        .status
        .success()
}

/// The summary as the record says: the published posts stay published.
fn from_the_record() -> Value {
    json!({"published": 2, "publish": 3, "scheduled": 1})
}

/// The summary from an empty record: every due post is to publish.
fn from_nothing() -> Value {
    json!({"publish": 5, "scheduled": 1})
}

#[test]
fn a_fetched_state_branch_is_the_record_and_no_one_is_asked() {
    let site = Site::new(true);
    let runner = site.every_branch();
    let refusing = Refusing::new();
    refuse(&runner, &refusing);
    for extra in [&[][..], &["--offline"]] {
        let (plan, run, trace) = plan(&runner, extra);
        assert_eq!(plan["summary"], from_the_record(), "{extra:?}: {plan:#}");
        for id in PUBLISHED {
            assert_eq!(entry(&plan, id)["action"], "published", "{extra:?}");
        }
        assert!(plan.get("state_unknown").is_none(), "{plan:#}");
        assert_eq!(run.stderr, "", "{extra:?}: nothing to warn about");
        assert_eq!(remote_calls(&trace), Vec::<&str>::new(), "{extra:?}");
    }
    let (status, trace) = run(&runner, &["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert_eq!(status.stderr, "");
    assert!(
        status.stdout.starts_with("Published (2):")
            && PUBLISHED.iter().all(|id| status.stdout.contains(id)),
        "{}",
        status.stdout
    );
    assert_eq!(remote_calls(&trace), Vec::<&str>::new());
    assert_eq!(refusing.calls(0), 0, "the remote was never called");
    // A reader writes nothing: no local branch was made from the copy.
    assert!(!has_ref(&runner, "refs/heads/postwright-state"));
}

#[test]
fn without_the_state_branch_plan_starts_from_an_empty_record_with_one_calm_line() {
    let site = Site::new(false);
    let runner = site.every_branch();
    let refusing = Refusing::new();
    refuse(&runner, &refusing);
    for extra in [&[][..], &["--offline"]] {
        let (plan, run, trace) = plan(&runner, extra);
        assert_eq!(plan["summary"], from_nothing(), "{extra:?}");
        assert!(plan.get("state_unknown").is_none(), "{plan:#}");
        assert_eq!(run.stderr.lines().count(), 1, "{extra:?}: {}", run.stderr);
        insta::assert_snapshot!("absent_branch_stderr", run.stderr);
        assert_eq!(remote_calls(&trace), Vec::<&str>::new(), "{extra:?}");
    }
    let (human, _) = run(&runner, &["plan", "--at", AT]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(!human.stdout.contains("warning"), "{}", human.stdout);
    let (status, _) = run(&runner, &["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stdout.starts_with("Published (0):"),
        "{}",
        status.stdout
    );
    assert!(
        status.stderr.starts_with("note: no state record yet")
            && status.stderr.lines().count() == 1,
        "{}",
        status.stderr
    );
    assert_eq!(refusing.calls(0), 0, "the remote was never called");
}

/// A pull request's checkout with no branch of `origin` (actions/checkout's
/// default depth), the record on the remote, and the remote refusing.
fn cannot_tell() -> (Site, Runner, Refusing) {
    let site = Site::new(true);
    let runner = site.pull_request_only();
    let refusing = Refusing::new();
    refuse(&runner, &refusing);
    (site, runner, refusing)
}

/// `plan` (not offline) asked the remote, which refused: that is no
/// error, and the plan says the record was not read.
fn asked_and_refused(runner: &Runner) -> Value {
    let (plan, run, trace) = plan(runner, &[]);
    assert!(
        remote_calls(&trace).iter().any(|l| l.contains("ls-remote")),
        "the trace shows the call: {trace}"
    );
    assert_eq!(plan["summary"], from_nothing(), "{plan:#}");
    assert!(
        plan["state_unknown"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("and `origin` could not be read (")),
        "{plan:#}\n{}",
        run.stderr
    );
    plan
}

#[test]
fn offline_a_checkout_without_branches_of_origin_says_it_cannot_tell_and_calls_no_one() {
    let (_site, runner, refusing) = cannot_tell();
    let (human, trace) = run(&runner, &["plan", "--at", AT, "--offline"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    insta::assert_snapshot!("unknown_offline_human", human.stdout);
    assert_eq!(remote_calls(&trace), Vec::<&str>::new());
    let (markdown, _) = run(
        &runner,
        &["plan", "--at", AT, "--offline", "--format", "markdown"],
    );
    assert_eq!(markdown.code, 0, "{}", markdown.stderr);
    insta::assert_snapshot!("unknown_offline_markdown", markdown.stdout);
    let (github, _) = run(
        &runner,
        &["plan", "--at", AT, "--offline", "--format", "github"],
    );
    assert_eq!(github.code, 0, "{}", github.stderr);
    assert!(
        github
            .stdout
            .contains("::warning title=state record not read::the state record was not read"),
        "{}",
        github.stdout
    );
    let (offline, _, trace) = plan(&runner, &["--offline"]);
    assert_eq!(offline["summary"], from_nothing(), "{offline:#}");
    let doubt = &offline["state_unknown"];
    assert!(
        doubt["message"].as_str().is_some_and(|m| m
            .contains("this checkout fetched no branch of `origin`, and --offline asks no remote")),
        "{offline:#}"
    );
    assert!(
        doubt["help"]
            .as_str()
            .is_some_and(|h| h.contains("fetch-depth: 0")),
        "{offline:#}"
    );
    assert_eq!(remote_calls(&trace), Vec::<&str>::new());
    assert_eq!(refusing.calls(0), 0, "--offline never calls the remote");
}

#[test]
fn a_checkout_without_branches_of_origin_asks_and_a_refusal_is_no_error() {
    let (_site, runner, refusing) = cannot_tell();
    asked_and_refused(&runner);
    assert!(refusing.calls(1) >= 1, "it asked the remote");
    let (status, _) = run(&runner, &["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status
            .stdout
            .starts_with("warning: the state record was not read, so posts already published may show as to publish"),
        "{}",
        status.stdout
    );
    let (json_status, _) = run(&runner, &["status", "--format", "json"]);
    let json_status: Value = serde_json::from_str(&json_status.stdout).unwrap();
    assert!(
        json_status["state_unknown"]["help"].is_string(),
        "{json_status:#}"
    );
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("preview");
    let (preview, _) = run(
        &runner,
        &["preview", "--at", AT, "--out", out.to_str().unwrap()],
    );
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    assert!(
        preview
            .stderr
            .contains("warning: the state record was not read"),
        "{}",
        preview.stderr
    );
    // A remote URL that leads nowhere (the repository moved) is refused
    // the same way.
    git_ok(
        &runner.path,
        &[
            "remote",
            "set-url",
            "origin",
            "file:///nonexistent/content.git",
        ],
    );
    asked_and_refused(&runner);
}

#[test]
fn a_checkout_that_fetched_nothing_telling_asks_a_remote_that_answers() {
    let site = Site::new(true);
    // The remote answers (a public repository, or a job with credentials).
    let runner = site.pull_request_only();
    let (plan_asked, run_asked, trace) = plan(&runner, &[]);
    assert_eq!(plan_asked["summary"], from_the_record(), "{plan_asked:#}");
    assert_eq!(run_asked.stderr, "");
    assert!(
        remote_calls(&trace).iter().any(|l| l.contains("ls-remote")),
        "{trace}"
    );
    // What it fetched stays fetched, as `git fetch` leaves it; nothing
    // else was written.
    assert!(has_ref(&runner, TRACKING));
    assert!(!has_ref(&runner, "refs/heads/postwright-state"));
    let (offline, _, trace) = plan(&runner, &["--offline"]);
    assert_eq!(offline["summary"], from_the_record(), "{offline:#}");
    assert_eq!(remote_calls(&trace), Vec::<&str>::new());

    // A single-branch clone fetched some branches only: it cannot tell
    // either (an absent branch would be a guess).
    let single = Runner::clone(&site.url());
    let (offline, _, _) = plan(&single, &["--offline"]);
    assert_eq!(offline["summary"], from_nothing(), "{offline:#}");
    assert!(
        offline["state_unknown"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("fetched only some branches of `origin`")),
        "{offline:#}"
    );
    let (asked, _, _) = plan(&single, &[]);
    assert_eq!(asked["summary"], from_the_record(), "{asked:#}");
}
