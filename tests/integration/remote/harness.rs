//! The harness of the remote tests: a bare repository served by a real
//! `git daemon` on 127.0.0.1 (and reachable as file:// where speed
//! matters), the publish fixture committed on `main` and pushed there, and
//! runners: fresh clones of `main` only, as `actions/checkout` makes them,
//! each running the real binary.
//!
//! Every git and postwright process gets the same environment: no user or
//! system git config, an identity of its own, no terminal prompts.

use crate::apply_e2e::{account, Run, Site, AT, PUBLISH_ORDER, TOKEN};
use crate::common::fixtures;
use crate::graph::{Login, ServerConfig};
use serde_json::{json, Value};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The state branch (the contract's default).
pub const BRANCH: &str = "postwright-state";
pub const REF: &str = "refs/heads/postwright-state";
/// The due posts of tests/fixtures/publish, in publish order.
pub const POST_IDS: [&str; 5] = [
    "1-image",
    "2-carousel",
    "3-reel",
    "4-story-image",
    "5-story-video",
];
/// `apply` waits this long for another holder's lease.
pub const WAIT: [&str; 2] = ["--lock-timeout", "20s"];
/// What the content's postwright.toml gets appended: the git backend on the
/// remote `origin`, short leases.
pub const STATE_TABLE: &str = "\n[state]\nbackend = \"git\"\n";
/// The lease of these tests' applies, unless a test asks for another.
pub const LEASE_SECS: u64 = 3;

/// Sets the environment every git and postwright process of these tests
/// runs with.
pub fn hermetic(cmd: &mut Command) -> &mut Command {
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test Runner")
        .env("GIT_AUTHOR_EMAIL", "runner@example.com")
        .env("GIT_COMMITTER_NAME", "Test Runner")
        .env("GIT_COMMITTER_EMAIL", "runner@example.com")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
}

/// [`hermetic`], the token, and no GitHub Actions variables: what a
/// postwright process runs with.
fn runner_env(cmd: &mut Command) -> &mut Command {
    hermetic(cmd)
        .env("KILN_TOKEN", TOKEN)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_SERVER_URL")
        .env_remove("GITHUB_RUN_ID")
        .env_remove("POSTWRIGHT_APP_ID")
        .env_remove("POSTWRIGHT_APP_SECRET")
}

/// `git ARGS` in `dir`, whatever it answers.
pub fn git_output(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("git");
    hermetic(&mut cmd)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("git runs")
}

/// `git ARGS` in `dir`, which must succeed; its stdout.
pub fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Why `git daemon` cannot be used here, if it cannot.
fn daemon_missing() -> Option<String> {
    let out = match Command::new("git").arg("--exec-path").output() {
        Ok(out) if out.status.success() => out,
        Ok(out) => return Some(format!("`git --exec-path` failed: {:?}", out.status)),
        Err(e) => return Some(format!("git cannot be run: {e}")),
    };
    let exec = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let daemon = Path::new(&exec).join("git-daemon");
    if daemon.is_file() {
        None
    } else {
        Some(format!("{} does not exist", daemon.display()))
    }
}

/// True when `git daemon` can be used. Otherwise says on stderr that `test`
/// is skipped, and why, or fails when POSTWRIGHT_REQUIRE_TOOLS=1.
pub fn daemon_available(test: &str) -> bool {
    match daemon_missing() {
        None => true,
        Some(reason) => {
            assert!(
                std::env::var("POSTWRIGHT_REQUIRE_TOOLS").as_deref() != Ok("1"),
                "{test}: git daemon is required (POSTWRIGHT_REQUIRE_TOOLS=1): {reason}"
            );
            eprintln!("{test}: skipped: git daemon is unavailable: {reason}");
            false
        }
    }
}

/// SIGKILL to every process of a process group (the `kill` command: the
/// tests have no libc or nix). False when nothing was there to kill.
pub fn kill_group(pgid: u32) -> bool {
    Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// A bare repository `content.git` in a temporary folder, served on demand
/// by `git daemon` on 127.0.0.1 with pushes allowed.
pub struct GitRemote {
    base: tempfile::TempDir,
    port: Mutex<u16>,
    daemon: Mutex<Option<Child>>,
}

impl GitRemote {
    /// An empty bare repository, not served yet.
    pub fn new() -> GitRemote {
        let base = tempfile::tempdir().unwrap();
        git_ok(
            base.path(),
            &["init", "-q", "--bare", "-b", "main", "content.git"],
        );
        GitRemote {
            base,
            port: Mutex::new(0),
            daemon: Mutex::new(None),
        }
    }

    /// An empty bare repository served by `git daemon`.
    pub fn served() -> GitRemote {
        let remote = GitRemote::new();
        remote.start();
        remote
    }

    /// The bare repository.
    pub fn bare(&self) -> PathBuf {
        self.base.path().join("content.git")
    }

    /// `git://127.0.0.1:P/content.git` (after [`GitRemote::start`]).
    pub fn url(&self) -> String {
        let port = *self.port.lock().unwrap();
        assert_ne!(port, 0, "the daemon was never started");
        format!("git://127.0.0.1:{port}/content.git")
    }

    /// The same repository as `file://`.
    pub fn file_url(&self) -> String {
        format!("file://{}", self.bare().display())
    }

    /// Starts the daemon: on a fresh port the first time, on the same port
    /// after [`GitRemote::stop`]. Returns once it accepts connections.
    pub fn start(&self) {
        let mut daemon = self.daemon.lock().unwrap();
        if daemon.is_some() {
            return;
        }
        let mut port = self.port.lock().unwrap();
        let first = *port == 0;
        let mut last_error = String::new();
        for _attempt in 0..5 {
            if first {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                *port = listener.local_addr().unwrap().port();
            }
            let log = self.base.path().join("daemon.log");
            let base = self.base.path().to_str().unwrap().to_string();
            let mut cmd = Command::new("git");
            hermetic(&mut cmd)
                .args([
                    "daemon",
                    "--reuseaddr",
                    "--listen=127.0.0.1",
                    &format!("--port={}", *port),
                    &format!("--base-path={base}"),
                    "--export-all",
                    "--enable=receive-pack",
                    "--informative-errors",
                    &base,
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                // Its own group: stop() ends the daemon and its children.
                .process_group(0);
            let mut child = cmd.spawn().expect("git daemon spawns");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if TcpStream::connect(("127.0.0.1", *port)).is_ok() {
                    *daemon = Some(child);
                    return;
                }
                if let Some(status) = child.try_wait().unwrap() {
                    last_error = format!(
                        "git daemon exited ({status}): {}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                    break;
                }
                if Instant::now() > deadline {
                    kill_group(child.id());
                    let _ = child.wait();
                    last_error = "git daemon did not accept within 10 s".into();
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            if !first {
                // The same port again: it may still be in use for a moment.
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        panic!("cannot start git daemon on port {}: {last_error}", *port);
    }

    /// Stops the daemon (its children with it): the git:// URL refuses
    /// connections until [`GitRemote::start`].
    pub fn stop(&self) {
        if let Some(mut child) = self.daemon.lock().unwrap().take() {
            kill_group(child.id());
            let _ = child.wait();
        }
    }

    /// `git ARGS` in the bare repository.
    pub fn git(&self, args: &[&str]) -> Output {
        git_output(&self.bare(), args)
    }

    /// The state branch's tip, if the branch exists.
    pub fn tip(&self) -> Option<String> {
        let out = self.git(&["rev-parse", "--verify", "-q", REF]);
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap().trim().to_string())
    }

    /// A file of the state branch at `rev` (a commit), if there.
    pub fn file_at(&self, rev: &str, file: &str) -> Option<String> {
        let out = self.git(&["show", &format!("{rev}:{file}")]);
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).expect("utf-8"))
    }

    /// state.json at the state branch's tip.
    pub fn state(&self) -> Value {
        let text = self
            .file_at(REF, "state.json")
            .unwrap_or_else(|| panic!("the remote's {BRANCH} has no state.json"));
        serde_json::from_str(&text).expect("state.json is JSON")
    }

    /// lease.json at the state branch's tip (None: released, or no branch).
    pub fn lease(&self) -> Option<Value> {
        self.tip()?;
        self.file_at(REF, "lease.json")
            .map(|t| serde_json::from_str(&t).expect("lease.json is JSON"))
    }

    /// The state branch's first-parent history, oldest first.
    pub fn history(&self) -> Vec<Snapshot> {
        if self.tip().is_none() {
            return Vec::new();
        }
        let out = self.git(&["rev-list", "--first-parent", "--reverse", REF]);
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|oid| Snapshot {
                oid: oid.to_string(),
                message: String::from_utf8(self.git(&["log", "-1", "--format=%B", oid]).stdout)
                    .unwrap(),
                state: self
                    .file_at(oid, "state.json")
                    .map(|t| serde_json::from_str(&t).expect("state.json is JSON")),
                lease: self
                    .file_at(oid, "lease.json")
                    .map(|t| serde_json::from_str(&t).expect("lease.json is JSON")),
            })
            .collect()
    }
}

impl Drop for GitRemote {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One commit of the state branch.
#[derive(Debug)]
pub struct Snapshot {
    pub oid: String,
    /// The commit message.
    pub message: String,
    pub state: Option<Value>,
    pub lease: Option<Value>,
}

fn timestamp(v: &Value, field: &str, at: &str) -> jiff::Timestamp {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{at}: lease.json has no {field}: {v}"))
        .parse()
        .unwrap_or_else(|e| panic!("{at}: lease.json {field} is not RFC 3339 ({e}): {v}"))
}

/// The lease invariant over the state branch's first-parent history: a
/// lease changes hands only when the previous commit had none or the new
/// lease starts at or after the previous one's end; every commit that
/// changes the record carries a lease. Returns how many times a lease was
/// taken (a new id).
pub fn check_lease_history(history: &[Snapshot]) -> usize {
    let empty = json!({});
    let mut taken = 0;
    let mut previous: Option<&Snapshot> = None;
    for snap in history {
        let at = format!("commit {}", &snap.oid[..12]);
        if let Some(lease) = &snap.lease {
            let since = timestamp(lease, "since", &at);
            let until = timestamp(lease, "until", &at);
            assert!(
                since <= until,
                "{at}: a lease ends before it starts: {lease}"
            );
            let before = previous.and_then(|p| p.lease.as_ref());
            match before {
                Some(prev) if prev["id"] == lease["id"] => {}
                // A holder that died on this very machine (same boot,
                // pid namespace and host, its process gone) is taken
                // over before its lease runs out; the commit says so.
                Some(prev)
                    if prev["machine"].is_string()
                        && prev["machine"] == lease["machine"]
                        && prev["host"] == lease["host"]
                        && snap.message.contains("its process has ended") =>
                {
                    let pid = prev["pid"].as_u64().unwrap_or_default();
                    // Gone, or a zombie waiting to be reaped.
                    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"));
                    let ended = stat.map_or(true, |t| {
                        t.rsplit_once(')')
                            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X']))
                    });
                    assert!(
                        ended || pid == u64::from(std::process::id()),
                        "{at}: took over lease {} of pid {pid}, which still runs",
                        prev["id"]
                    );
                    taken += 1;
                }
                Some(prev) => {
                    let prev_until = timestamp(prev, "until", &at);
                    assert!(
                        since >= prev_until,
                        "{at}: lease {} taken while lease {} was live (since {since} < until {prev_until})\nprevious: {prev}\nnew: {lease}\nmessage: {}",
                        lease["id"],
                        prev["id"],
                        snap.message
                    );
                    taken += 1;
                }
                None => taken += 1,
            }
        }
        let posts = |s: Option<&Snapshot>| {
            s.and_then(|s| s.state.as_ref())
                .map(|st| st["posts"].clone())
                .unwrap_or_else(|| empty.clone())
        };
        let changed = posts(Some(snap)) != posts(previous);
        assert!(
            !changed || snap.lease.is_some(),
            "{at} changes state.json without holding a lease.json: {:#}",
            snap.state.as_ref().map_or(Value::Null, |s| s.clone())
        );
        previous = Some(snap);
    }
    taken
}

/// A lease.json as another runner would write it.
pub fn lease_json(id: &str, holder: &str, since: jiff::Timestamp, until: jiff::Timestamp) -> Value {
    json!({
        "id": id,
        "holder": holder,
        "host": "elsewhere.example",
        "pid": 4242,
        "since": since.to_string(),
        "until": until.to_string(),
    })
}

/// Now plus (or minus) whole seconds.
pub fn now_plus(secs: i64) -> jiff::Timestamp {
    jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(secs))
        .unwrap()
}

/// Pushes, as another machine would (a scratch repository of its own), a
/// commit on top of the remote's state branch whose lease.json is `lease`
/// (None: removed) and whose state.json is the tip's (an empty record when
/// the branch does not exist yet). Retries when the branch moved under it.
/// Returns the new tip.
pub fn push_lease(url: &str, lease: Option<&Value>) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    git_ok(dir, &["init", "-q", "--bare", "."]);
    let mut last = String::new();
    for _ in 0..20 {
        let fetched = git_output(dir, &["fetch", "-q", url, &format!("+{REF}:{REF}")]);
        let repo = git2::Repository::open(dir).unwrap();
        let parent = if fetched.status.success() {
            repo.find_reference(REF)
                .ok()
                .map(|r| r.peel_to_commit().unwrap())
        } else {
            None
        };
        let state = match &parent {
            Some(c) => {
                let tree = c.tree().unwrap();
                let entry = tree
                    .get_path(Path::new("state.json"))
                    .expect("the tip has state.json");
                let blob = repo.find_blob(entry.id()).unwrap();
                String::from_utf8(blob.content().to_vec()).unwrap()
            }
            None => postwright::state::render(&postwright::state::State::default()),
        };
        let mut tree = repo.treebuilder(None).unwrap();
        tree.insert("state.json", repo.blob(state.as_bytes()).unwrap(), 0o100644)
            .unwrap();
        if let Some(lease) = lease {
            let text = serde_json::to_string_pretty(lease).unwrap() + "\n";
            tree.insert("lease.json", repo.blob(text.as_bytes()).unwrap(), 0o100644)
                .unwrap();
        }
        let tree = repo.find_tree(tree.write().unwrap()).unwrap();
        let sig = git2::Signature::now("Elsewhere", "elsewhere@example.com").unwrap();
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let message = match lease {
            Some(l) => format!("lease {} (planted by the test)", l["id"]),
            None => "release (by the test)".to_string(),
        };
        let oid = repo
            .commit(None, &sig, &sig, &message, &tree, &parents)
            .unwrap()
            .to_string();
        let pushed = git_output(dir, &["push", "-q", url, &format!("{oid}:{REF}")]);
        if pushed.status.success() {
            return oid;
        }
        last = String::from_utf8_lossy(&pushed.stderr).into_owned();
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("cannot push a lease to {url}: {last}");
}

/// How runners reach the remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    File,
    Daemon,
}

/// The publish fixture (five due posts, one of each type, two stories
/// without a caption) with a test Graph API server, its postwright.toml on
/// the git backend with 3-second leases, committed on `main` and pushed to
/// a bare remote.
pub struct RemoteSite {
    pub site: Site,
    pub remote: Arc<GitRemote>,
    pub transport: Transport,
}

impl RemoteSite {
    pub fn new(config: ServerConfig, transport: Transport) -> RemoteSite {
        RemoteSite::with_lease(config, transport, LEASE_SECS)
    }

    /// A site whose applies hold leases of `lease_secs`.
    pub fn with_lease(config: ServerConfig, transport: Transport, lease_secs: u64) -> RemoteSite {
        let remote = Arc::new(match transport {
            Transport::File => GitRemote::new(),
            Transport::Daemon => GitRemote::served(),
        });
        let site = Site::new(
            &fixtures().join("publish"),
            ServerConfig {
                accounts: vec![account(Login::Facebook)],
                ..config
            },
            Login::Facebook,
            // Inside [api]: rate-limit waits stay short.
            "max_rate_wait_secs = 1\n",
        );
        let toml = site.path().join("postwright.toml");
        let mut text = std::fs::read_to_string(&toml).unwrap();
        text.push_str(STATE_TABLE);
        text.push_str(&format!("lease_secs = {lease_secs}\n"));
        std::fs::write(&toml, text).unwrap();
        let rs = RemoteSite {
            site,
            remote,
            transport,
        };
        let p = rs.site.path();
        git_ok(p, &["init", "-q", "-b", "main"]);
        git_ok(p, &["add", "-A"]);
        git_ok(p, &["commit", "-q", "-m", "content"]);
        git_ok(p, &["push", "-q", &rs.url(), "main:refs/heads/main"]);
        rs
    }

    /// A site with the default server settings and short video processing.
    pub fn quick(transport: Transport) -> RemoteSite {
        RemoteSite::new(
            ServerConfig {
                video_processing: Duration::from_millis(200),
                ..ServerConfig::default()
            },
            transport,
        )
    }

    /// The URL runners clone.
    pub fn url(&self) -> String {
        match self.transport {
            Transport::File => self.remote.file_url(),
            Transport::Daemon => self.remote.url(),
        }
    }

    /// A fresh clone of `main` only.
    pub fn runner(&self) -> Runner {
        Runner::clone(&self.url())
    }

    /// A fresh clone applies: `apply --at AT --format json EXTRA`.
    pub fn apply(&self, extra: &[&str]) -> (i32, Value, Run) {
        self.runner().apply(extra)
    }

    /// A fresh clone plans offline.
    pub fn plan(&self) -> Value {
        self.runner().plan()
    }

    /// Every due post is on Instagram exactly once, in plan order, with its
    /// first comment once, and the remote's record says so with the
    /// server's media ids.
    pub fn assert_exactly_once(&self, ctx: &str) {
        let published = self.site.server.published();
        let got: Vec<(Option<&str>, &str)> = published
            .iter()
            .map(|m| (m.caption.as_deref(), m.media_product_type.as_str()))
            .collect();
        assert_eq!(got, PUBLISH_ORDER, "{ctx}: once each, in plan order");
        let comments = self.site.server.comments(&published[0].id);
        assert_eq!(
            comments.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
            ["#ceramics #handmade"],
            "{ctx}: the first comment once"
        );
        for m in &published[1..] {
            assert!(self.site.server.comments(&m.id).is_empty(), "{ctx}");
        }
        let state = self.remote.state();
        for (id, m) in POST_IDS.iter().zip(&published) {
            let e = &state["posts"][id]["kiln"];
            assert_eq!(e["status"], "published", "{ctx}: {id} on the remote: {e:#}");
            assert_eq!(e["media_id"], m.id.as_str(), "{ctx}: {id} on the remote");
        }
    }
}

/// A fresh clone of `main` only, as `actions/checkout` leaves it.
pub struct Runner {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Runner {
    pub fn clone(url: &str) -> Runner {
        Runner::clone_with(url, &[])
    }

    /// An empty repository `content` that `fetch` fills, as a checkout
    /// other than a plain clone does (actions/checkout: `git init`, `git
    /// remote add`, `git fetch` of what it needs).
    pub fn checkout(fetch: impl FnOnce(&Path)) -> Runner {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("content");
        std::fs::create_dir(&path).unwrap();
        git_ok(&path, &["init", "-q"]);
        fetch(&path);
        Runner { _dir: dir, path }
    }

    /// `git clone -c K=V …`: config set in the new clone.
    pub fn clone_with(url: &str, config: &[&str]) -> Runner {
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec!["clone", "-q", "--branch", "main", "--single-branch"];
        for c in config {
            args.push("-c");
            args.push(c);
        }
        args.push(url);
        args.push("content");
        git_ok(dir.path(), &args);
        let path = dir.path().join("content");
        Runner { _dir: dir, path }
    }

    /// `postwright --repo CLONE ARGS`, with the token and no GitHub
    /// Actions variables.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("postwright"));
        runner_env(&mut cmd)
            .current_dir(&self.path)
            .arg("--repo")
            .arg(&self.path)
            .args(args);
        cmd
    }

    /// Runs postwright to its end (at most two minutes).
    pub fn run(&self, args: &[&str]) -> Run {
        let out = assert_cmd::Command::from_std(self.command(args))
            .timeout(Duration::from_secs(120))
            .output()
            .expect("runs");
        crate::apply_e2e::to_run(args, out)
    }

    /// `apply --at AT --format json EXTRA`: (exit code, report, run).
    pub fn apply(&self, extra: &[&str]) -> (i32, Value, Run) {
        crate::apply_e2e::apply_with(extra, |args| self.run(args))
    }

    /// `plan --at AT --offline --format json` after fetching every branch
    /// (as the plan template's `fetch-depth: 0` does: `--offline` reads
    /// only what the checkout fetched), which must load the record.
    pub fn plan(&self) -> Value {
        git_ok(
            &self.path,
            &[
                "fetch",
                "-q",
                "origin",
                "+refs/heads/*:refs/remotes/origin/*",
            ],
        );
        let run = self.run(&["plan", "--at", AT, "--offline", "--format", "json"]);
        assert_eq!(run.code, 0, "plan must load the record: {}", run.stderr);
        serde_json::from_str(&run.stdout).expect("plan JSON")
    }

    /// The apply started in a process group of its own, as a job's shell
    /// and the binary: `sh -c 'postwright "$@"; …' sh ARGS`. The shell
    /// reports the binary's exit code on stderr and exits with it.
    /// `env` is set on top of the runner's environment.
    pub fn spawn_job(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        stdout: Stdio,
        stderr: Stdio,
    ) -> Child {
        let bin = assert_cmd::cargo::cargo_bin("postwright");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(r#""$0" "$@"; rc=$?; echo "job: postwright exited $rc" >&2; exit $rc"#)
            .arg(&bin);
        let inner = self.command(args);
        cmd.args(inner.get_args());
        runner_env(&mut cmd)
            .current_dir(&self.path)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.spawn().expect("sh spawns")
    }
}

/// Does the plan still have work: something to publish, resume or update?
pub fn pending(plan: &Value) -> bool {
    ["publish", "resume", "update"]
        .iter()
        .any(|a| plan["summary"].get(*a).is_some())
}

/// The report's results as (id, result).
pub fn results(report: &Value) -> Vec<(String, String)> {
    report["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {report:#}"))
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_string(),
                r["result"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}
