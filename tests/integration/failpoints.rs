//! Fail points (src/failpoints.rs, the `failpoints` feature, which the
//! tests' build of the binary has): a panic or an error injected at every
//! boundary where apply changes the outside world, then a second apply.
//! After it every due post is on the test Graph server exactly once, in
//! order, its first comment once; no run hangs (each has a time limit),
//! and a panic ends the run with exit 1, the lease released or said to
//! expire.
//!
//! `fail_point_matrix` (CI) drives each name with `panic` and `return` at
//! its first hit; `fail_point_matrix_long` (by hand, `--ignored`) at each
//! of its first hits, up to `POSTWRIGHT_FAILPOINT_HITS` (default 4):
//!
//! ```sh
//! cargo test --release --test integration fail_point_matrix_long -- --ignored --nocapture
//! ```

use crate::apply_e2e::{account, send_videos_resumable, Site, AT, PUBLISH_ORDER, TOKEN};
use crate::common::{fixtures, git};
use crate::graph::{Login, ServerConfig};
use crate::s3::{S3Server, ACCESS_KEY, SECRET_KEY};
use postwright::failpoints::NAMES;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longer than any run of these fixtures takes (a few seconds), far
/// shorter than a hang.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// What one run of the binary left.
struct Ran {
    code: i32,
    stderr: String,
    took: Duration,
}

/// `apply --at AT --format json EXTRA` with `env`, killed (and the test
/// failed) if it is still running after [`RUN_LIMIT`].
fn apply(site: &Site, env: &[(&str, &str)], extra: &[&str]) -> Ran {
    let logs = tempfile::tempdir().unwrap();
    let err = logs.path().join("stderr");
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("postwright"));
    cmd.arg("--repo")
        .arg(site.path())
        .args(["apply", "--at", AT, "--format", "json"])
        .args(extra)
        .env("KILN_TOKEN", TOKEN)
        .env_remove("FAILPOINTS")
        .env_remove("POSTWRIGHT_APP_ID")
        .env_remove("POSTWRIGHT_APP_SECRET")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawns");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "apply hangs ({env:?}): {}",
                std::fs::read_to_string(&err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran {
        code: status.code().unwrap_or(-1),
        stderr: std::fs::read_to_string(&err).unwrap_or_default(),
        took: start.elapsed(),
    }
}

/// Where a fail point is met: the publish fixture on the git backend with a
/// remote (journal, pushes, containers, resumable uploads, publishes, first
/// comment, comment toggle), with `[media] store` (uploads), or pruning.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scenario {
    Publish,
    Store,
    Prune,
}

fn scenario(name: &str) -> Scenario {
    match name.split('.').next() {
        Some("store") => Scenario::Store,
        Some("media") => Scenario::Prune,
        _ => Scenario::Publish,
    }
}

/// The publish fixture; with `remote`, on the git backend whose record
/// lives in a bare repository beside it (returned, to be kept alive).
fn site(remote: bool, store: Option<&S3Server>) -> (Site, Option<tempfile::TempDir>) {
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        video_processing: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let extra = if remote {
        "\n[state]\nbackend = \"git\"\nlease_secs = 30\n"
    } else {
        ""
    };
    let site = Site::new(&fixtures().join("publish"), config, Login::Facebook, extra);
    if let Some(s3) = store {
        let path = site.path().join("postwright.toml");
        let toml = std::fs::read_to_string(&path).unwrap();
        let head = toml.split("[media]").next().unwrap();
        let media = format!(
            "[media]\nstore = \"s3://kiln-media/feed\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\n",
            s3.endpoint()
        );
        std::fs::write(&path, format!("{head}{media}")).unwrap();
    } else {
        send_videos_resumable(&site);
    }
    if !remote {
        return (site, None);
    }
    let bare = tempfile::tempdir().unwrap();
    git(bare.path(), &["init", "-q", "--bare", "-b", "main"]);
    let p = site.path();
    git(p, &["init", "-q", "-b", "main"]);
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "content"]);
    let url = bare.path().to_str().unwrap();
    git(p, &["remote", "add", "origin", url]);
    git(p, &["push", "-q", "origin", "main"]);
    (site, Some(bare))
}

/// Whether the state branch on the remote carries a lease now.
fn lease_on_remote(bare: &Path) -> bool {
    git(bare, &["ls-tree", "--name-only", "postwright-state"]).contains("lease.json")
}

/// What the server has live, in publish order: (caption, type).
fn live(site: &Site) -> Vec<(Option<String>, String)> {
    let published = site.server.published();
    published
        .into_iter()
        .map(|m| (m.caption, m.media_product_type))
        .collect()
}

/// The fixture's due posts, each once, in order.
fn expected() -> Vec<(Option<String>, String)> {
    PUBLISH_ORDER
        .iter()
        .map(|(c, t)| (c.map(str::to_string), t.to_string()))
        .collect()
}

/// The tally of a matrix.
#[derive(Debug, Default)]
struct Tally {
    cases: u64,
    fired: u64,
    runs: u64,
    panics: u64,
    duplicates: u64,
    lost: u64,
    slowest: Duration,
}

/// `FAILPOINTS` for `name` doing `action` at its `hit`-th call.
fn spec(name: &str, action: &str, hit: u32) -> String {
    match hit {
        0 | 1 => format!("{name}=1*{action}"),
        n => format!("{name}={}*off->1*{action}", n - 1),
    }
}

/// One case: the fail point on the first apply, none on the second; then
/// everything due is live exactly once. Returns whether the point fired.
fn case(name: &str, action: &str, hit: u32, tally: &mut Tally) -> bool {
    let scenario = scenario(name);
    // A bucket of its own: one with the files already would upload nothing.
    let s3 = match scenario {
        Scenario::Store => Some(S3Server::start().expect("s3s-fs is installed")),
        _ => None,
    };
    let (site, bare) = site(scenario == Scenario::Publish, s3.as_ref());
    let keys = [
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    ];
    let mut prune: &[&str] = &[];
    if scenario == Scenario::Prune {
        let ran = apply(&site, &[], &[]);
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        std::fs::remove_file(site.path().join("posts/5-story-video.yaml")).unwrap();
        prune = &["--prune"];
    }
    let failpoints = spec(name, action, hit);
    let mut env = keys.to_vec();
    env.push(("FAILPOINTS", &failpoints));
    let first = apply(&site, &env, prune);
    let fired = first.stderr.contains(name);
    let said = format!("{failpoints}: exit {}\n{}", first.code, first.stderr);
    if fired && action == "panic" {
        tally.panics += 1;
        assert_eq!(first.code, 1, "a panic exits 1: {said}");
    }
    if first.stderr.contains("apply stopped on an internal error") {
        assert!(
            first.stderr.contains("lease") && first.stderr.contains("unsettled in the record"),
            "{said}"
        );
        if let Some(bare) = &bare {
            let released = first.stderr.contains("was released");
            assert_eq!(released, !lease_on_remote(bare.path()), "{said}");
        }
    }
    let second = apply(&site, &keys, prune);
    tally.runs += 2;
    tally.slowest = tally.slowest.max(first.took).max(second.took);
    assert_eq!(
        second.code, 0,
        "{failpoints}, second apply: {}\nfirst: {said}",
        second.stderr
    );
    let published = site.server.published();
    let got = live(&site);
    tally.duplicates += got.len().saturating_sub(PUBLISH_ORDER.len()) as u64;
    tally.lost += PUBLISH_ORDER.len().saturating_sub(got.len()) as u64;
    assert_eq!(
        got,
        expected(),
        "{failpoints}: once each, in order\nfirst: {said}\nsecond: {}",
        second.stderr
    );
    let comments = site.server.comments(&published[0].id);
    assert_eq!(
        comments.len(),
        1,
        "{failpoints}: the first comment once: {said}"
    );
    if scenario == Scenario::Prune {
        assert!(
            published[4].deleted,
            "{failpoints}: the removed story is deleted"
        );
        assert!(published[..4].iter().all(|m| !m.deleted), "{failpoints}");
    } else {
        assert!(published.iter().all(|m| !m.deleted), "{failpoints}");
    }
    tally.cases += 1;
    tally.fired += u64::from(fired);
    fired
}

/// Every name with `panic` and `return` at its first hit; each must fire.
#[test]
fn fail_point_matrix() {
    let s3 = crate::common::tool("s3s-fs");
    let mut tally = Tally::default();
    let started = Instant::now();
    for name in NAMES {
        if scenario(name) == Scenario::Store && s3.is_none() {
            continue;
        }
        for action in ["panic", "return"] {
            let fired = case(name, action, 1, &mut tally);
            assert!(
                fired,
                "{name}={action}: never reached; its scenario must meet it"
            );
        }
    }
    eprintln!("fail-point matrix: {tally:?} in {:?}", started.elapsed());
    assert_eq!((tally.duplicates, tally.lost), (0, 0));
}

/// [`fail_point_matrix`] at each of a point's first
/// `POSTWRIGHT_FAILPOINT_HITS` hits (those a run reaches).
#[test]
#[ignore = "long: run by hand (README, Reliability)"]
fn fail_point_matrix_long() {
    let hits = crate::crash::env_u64("POSTWRIGHT_FAILPOINT_HITS", 4) as u32;
    let s3 = crate::common::tool("s3s-fs");
    let mut tally = Tally::default();
    let started = Instant::now();
    for name in NAMES {
        if scenario(name) == Scenario::Store && s3.is_none() {
            continue;
        }
        for action in ["panic", "return"] {
            for hit in 1..=hits {
                if !case(name, action, hit, &mut tally) {
                    break;
                }
            }
        }
    }
    eprintln!(
        "fail-point matrix, long: {tally:?} in {:?}",
        started.elapsed()
    );
    assert_eq!((tally.duplicates, tally.lost), (0, 0));
}

/// Issue 27: a panic while the lease is held (here right after a publish,
/// before it is recorded) ends the run in seconds with exit 1, says what
/// was in flight, and releases the lease; the next apply settles the
/// publish by asking the container and publishes the rest, never twice.
/// Before, the renewal thread kept renewing and the run never ended.
#[test]
fn a_panic_while_the_lease_is_held_ends_the_run_in_seconds_and_releases_the_lease() {
    let (site, bare) = site(true, None);
    let bare = bare.unwrap();
    let first = apply(&site, &[("FAILPOINTS", "publish.after=1*panic")], &[]);
    assert!(
        first.took < Duration::from_secs(20),
        "took {:?}",
        first.took
    );
    assert_eq!(first.code, 1, "{}", first.stderr);
    for said in [
        "failpoint publish.after panic",
        "apply stopped on an internal error",
        "last recorded: \"publishing 1-image",
        "unsettled in the record (the next apply asks the platform",
        "1-image on kiln (publishing, handle",
        "the lease was released",
    ] {
        assert!(first.stderr.contains(said), "{said}: {}", first.stderr);
    }
    assert!(
        !lease_on_remote(bare.path()),
        "the lease is released on the remote"
    );
    assert_eq!(site.server.published().len(), 1, "the first post went live");

    let second = apply(&site, &[], &[]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(!second.stderr.contains("held by"), "{}", second.stderr);
    let got = live(&site);
    assert_eq!(got, expected(), "{}", second.stderr);
}
