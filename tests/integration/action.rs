//! The GitHub Action's scripts (action/install.sh, action/run.sh) end to end
//! on this machine: the locally built binary, a simulated runner environment
//! (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH, GITHUB_PATH), a
//! local stand-in for the GitHub REST API, the test Graph API server, and a
//! bare git remote. The state branch is postwright's business, not the
//! scripts': run.sh never runs git, nor reads postwright.toml.

use crate::apply_e2e::{account, Site, TOKEN};
use crate::common::{fixtures, git, root};
use crate::graph::{Login, ServerConfig};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const GH_TOKEN: &str = "ghs_actiontesttoken123";

/// The comments of pull requests, and every call made.
#[derive(Default)]
struct GitHub {
    comments: BTreeMap<u64, (u64, String)>,
    calls: Vec<String>,
    next: u64,
}

type Shared = Arc<Mutex<GitHub>>;

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {GH_TOKEN}"))
}

async fn list(
    State(gh): State<Shared>,
    UrlPath((_o, _r, pr)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
) -> Result<Json<Value>, StatusCode> {
    let mut gh = gh.lock().unwrap();
    gh.calls.push(format!("GET {pr}"));
    if !authorized(&headers) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let list: Vec<Value> = gh
        .comments
        .iter()
        .filter(|(_, (p, _))| *p == pr)
        .map(|(id, (_, body))| json!({"id": id, "body": body}))
        .collect();
    Ok(Json(Value::Array(list)))
}

async fn create(
    State(gh): State<Shared>,
    UrlPath((_o, _r, pr)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<Value>), StatusCode> {
    let mut gh = gh.lock().unwrap();
    gh.calls.push(format!("POST {pr}"));
    if !authorized(&headers) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    gh.next += 1;
    let id = 9000 + gh.next;
    let text = body["body"].as_str().unwrap_or_default().to_string();
    gh.comments.insert(id, (pr, text));
    Ok((StatusCode::CREATED, Json(json!({"id": id}))))
}

async fn update(
    State(gh): State<Shared>,
    UrlPath((_o, _r, id)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Json<Value>, StatusCode> {
    let mut gh = gh.lock().unwrap();
    gh.calls.push(format!("PATCH {id}"));
    if !authorized(&headers) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let text = body["body"].as_str().unwrap_or_default().to_string();
    match gh.comments.get_mut(&id) {
        Some(c) => {
            c.1 = text;
            Ok(Json(json!({"id": id})))
        }
        None => Err(StatusCode::NOT_FOUND),
    }
}

/// The stand-in for api.github.com, on its own thread.
fn github() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route(
            "/repos/{o}/{r}/issues/{pr}/comments",
            get(list).post(create),
        )
        .route("/repos/{o}/{r}/issues/comments/{id}", patch(update))
        .with_state(shared.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (url, shared)
}

/// A simulated runner: its files, and the PATH install.sh put postwright on.
struct Runner {
    temp: tempfile::TempDir,
    path: String,
    api: String,
}

impl Runner {
    fn new(api: &str) -> Runner {
        let temp = tempfile::tempdir().unwrap();
        let github_path = temp.path().join("github_path");
        fs::write(&github_path, "").unwrap();
        let out = Command::new("bash")
            .arg(root().join("action/install.sh"))
            .env("INPUT_VERSION", "0.1.0")
            .env("ACTION_PATH", root())
            .env("POSTWRIGHT_BIN", assert_cmd::cargo::cargo_bin("postwright"))
            .env("POSTWRIGHT_INSTALL_DIR", temp.path().join("bin"))
            .env("GITHUB_PATH", &github_path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("postwright 0.1.0"));
        let added = fs::read_to_string(&github_path).unwrap();
        assert_eq!(added.trim(), temp.path().join("bin").display().to_string());
        let path = format!("{}:{}", added.trim(), std::env::var("PATH").unwrap());
        Runner {
            temp,
            path,
            api: api.to_string(),
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    /// Runs action/run.sh; returns (exit code, stdout, outputs).
    fn run(
        &self,
        workdir: &Path,
        inputs: &[(&str, &str)],
        env: &[(&str, &str)],
    ) -> (i32, String, BTreeMap<String, String>) {
        self.run_on(workdir, inputs, env, json!({"pull_request": {"number": 7}}))
    }

    /// `run` for this pull-request event.
    fn run_on(
        &self,
        workdir: &Path,
        inputs: &[(&str, &str)],
        env: &[(&str, &str)],
        event_json: Value,
    ) -> (i32, String, BTreeMap<String, String>) {
        let output = self.file("github_output");
        fs::write(&output, "").unwrap();
        let event = self.file("event.json");
        fs::write(&event, event_json.to_string()).unwrap();
        let runner_temp = self.file("runner_temp");
        fs::create_dir_all(&runner_temp).unwrap();
        let mut cmd = Command::new("bash");
        cmd.arg(root().join("action/run.sh"))
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", self.temp.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", self.file("summary.md"))
            .env("GITHUB_EVENT_PATH", &event)
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_REPOSITORY", "kiln/feed")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_RUN_ID", "4242")
            .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
            .env("GITHUB_API_URL", &self.api)
            .env("RUNNER_TEMP", &runner_temp)
            .env("ACTION_PATH", root())
            .env("INPUT_WORKING_DIRECTORY", workdir)
            .env("INPUT_GITHUB_TOKEN", GH_TOKEN)
            .env("INPUT_COMMENT", "true")
            .env("INPUT_PUSH_STATE", "false")
            .env("INPUT_ARGS", "");
        for (k, v) in inputs {
            cmd.env(format!("INPUT_{}", k.to_uppercase().replace('-', "_")), v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{stderr}");
        let outputs = fs::read_to_string(&output)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        (
            out.status.code().unwrap_or(-1),
            format!("{stdout}\n--- stderr ---\n{stderr}"),
            outputs,
        )
    }
}

/// The publish fixture on the git state backend, pushed to a bare remote
/// (`origin`) as actions/checkout would leave it.
fn git_site() -> (Site, tempfile::TempDir) {
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        video_processing: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let site = Site::new(
        &fixtures().join("publish"),
        config,
        Login::Facebook,
        "\n[state]\nbackend = \"git\"\n",
    );
    let remote = tempfile::tempdir().unwrap();
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    let work = site.path();
    git(work, &["init", "-q", "-b", "main"]);
    git(work, &["add", "-A"]);
    git(work, &["commit", "-q", "-m", "posts"]);
    git(
        work,
        &["remote", "add", "origin", remote.path().to_str().unwrap()],
    );
    git(work, &["push", "-q", "origin", "main"]);
    (site, remote)
}

#[test]
fn plan_comments_once_then_updates_and_apply_publishes() {
    let (api, gh) = github();
    let runner = Runner::new(&api);
    // The content repo: the publish fixture on the git state backend, cloned
    // from a bare remote as actions/checkout would leave it.
    let (site, _remote) = git_site();
    let work = site.path();
    let at = ["--at", "2026-12-02T00:00:00Z"].join(" ");

    // 1. plan on a pull request: outputs, summary, one comment.
    let (code, log, outputs) = runner.run(work, &[("command", "plan"), ("args", &at)], &[]);
    assert_eq!(code, 0, "{log}");
    assert_eq!(outputs["exit-code"], "2", "{outputs:?}");
    assert_eq!(outputs["has-changes"], "true");
    let plan: Value =
        serde_json::from_str(&fs::read_to_string(&outputs["plan-json"]).unwrap()).unwrap();
    assert_eq!(plan["summary"], json!({"publish": 5, "scheduled": 1}));
    let summary = fs::read_to_string(runner.file("summary.md")).unwrap();
    assert!(summary.contains("posts/1-image.md"), "{summary}");
    assert!(log.contains(&format!("::add-mask::{GH_TOKEN}")), "{log}");
    {
        let gh = gh.lock().unwrap();
        assert_eq!(gh.comments.len(), 1, "{:?}\n{log}", gh.calls);
        let (pr, body) = gh.comments.values().next().unwrap();
        assert_eq!(*pr, 7);
        assert!(body.starts_with("<!-- postwright-plan -->\n"), "{body}");
        assert!(body.contains("5 to publish"), "{body}");
        assert_eq!(gh.calls, ["GET 7", "POST 7"]);
    }

    // 2. Another push to the pull request: the same comment, updated.
    let post = work.join("posts/6-later.md");
    fs::remove_file(&post).unwrap();
    let (code, log, _) = runner.run(work, &[("command", "plan"), ("args", &at)], &[]);
    assert_eq!(code, 0, "{log}");
    {
        let gh = gh.lock().unwrap();
        assert_eq!(
            gh.comments.len(),
            1,
            "never a second comment: {:?}",
            gh.calls
        );
        let body = &gh.comments.values().next().unwrap().1;
        assert!(!body.contains("6-later"), "updated in place: {body}");
        assert_eq!(gh.calls, ["GET 7", "POST 7", "GET 7", "PATCH 9001"]);
    }

    // 3. apply: published, and the token masked by postwright itself.
    let (code, log, outputs) = runner.run(
        work,
        &[("command", "apply"), ("args", &at)],
        &[("KILN_TOKEN", TOKEN)],
    );
    assert_eq!(code, 0, "{log}");
    assert_eq!(outputs["published"], "5", "{outputs:?}\n{log}");
    assert_eq!(outputs["has-changes"], "true");
    // The token is named to the runner, to be masked; nowhere else.
    assert!(
        stderr(&log).starts_with(&format!("::add-mask::{TOKEN}\n")),
        "{log}"
    );
    assert!(
        log.lines()
            .filter(|l| l.contains(TOKEN))
            .all(|l| l == format!("::add-mask::{TOKEN}")),
        "the Instagram token stays out of the log: {log}"
    );
    let summary = fs::read_to_string(runner.file("summary.md")).unwrap();
    assert!(summary.contains("### postwright apply"), "{summary}");
    assert!(summary.contains("| published |"), "{summary}");
}

/// A pull request that edits one post and adds another: the comment leads
/// with those two, the rest is folded; a broken config on the next push
/// replaces the comment instead of leaving the old plan.
#[test]
fn the_comment_is_about_the_pull_request_and_never_stale() {
    let (api, gh) = github();
    let runner = Runner::new(&api);
    let (site, _remote) = git_site();
    let work = site.path();
    let base = git(work, &["rev-parse", "HEAD"]).trim().to_string();
    git(work, &["checkout", "-q", "-b", "new-posts"]);
    let image = work.join("posts/1-image.md");
    let text = fs::read_to_string(&image).unwrap();
    fs::write(&image, format!("{text} Now in green.")).unwrap();
    fs::write(
        work.join("posts/7-new.md"),
        "---\ntype: image\nmedia: [../media/square.jpg]\ncaption: A new one\nfirst_comment: #ceramics\n---\n",
    )
    .unwrap();
    git(work, &["add", "-A"]);
    git(work, &["commit", "-q", "-m", "edit and add"]);
    let event = json!({"pull_request": {"number": 7, "base": {"sha": base}}});
    let at = ["--at", "2026-12-02T00:00:00Z"].join(" ");
    let (_, log, outputs) = runner.run_on(
        work,
        &[("command", "plan"), ("args", &at)],
        &[],
        event.clone(),
    );
    // The feed preview: made for the upload step, linked from the comment.
    let preview = Path::new(&outputs["preview-dir"]);
    assert!(preview.join("index.html").is_file(), "{outputs:?}\n{log}");
    let site = fs::read_to_string(preview.join("index.html")).unwrap();
    assert!(site.contains("data-grid"), "{site}");
    let body = {
        let gh = gh.lock().unwrap();
        assert_eq!(gh.comments.len(), 1, "{log}");
        gh.comments.values().next().unwrap().1.clone()
    };
    let (mine, rest) = body
        .split_once("<details>")
        .unwrap_or_else(|| panic!("the rest is folded: {body}"));
    assert!(
        mine.contains(&format!("#### This pull request (against `{base}`)")),
        "{body}"
    );
    assert!(
        mine.contains("edited · ") && mine.contains("posts/1-image.md"),
        "{body}"
    );
    assert!(
        mine.contains("added · ") && mine.contains("posts/7-new.md"),
        "{body}"
    );
    assert!(
        !mine.contains("posts/3-reel.md"),
        "only the pull request's posts: {body}"
    );
    assert!(
        rest.contains("The other 5 posts") && rest.contains("posts/3-reel.md"),
        "{body}"
    );
    // The invalid new post's problem is in its own row.
    let new_row = mine.lines().find(|l| l.contains("posts/7-new.md")).unwrap();
    assert!(new_row.contains("✗ `posts/7-new.md:"), "{new_row}");
    assert!(
        body.contains("**This pull request: 1 added, 1 edited. Plan: 1 invalid,"),
        "invalid first: {body}"
    );
    assert!(
        body.contains(
            "**[See the feed](https://github.com/kiln/feed/actions/runs/4242#artifacts)**"
        ),
        "{body}"
    );

    // Next push breaks the config: the comment says so.
    fs::write(work.join("postwright.toml"), "content = [\n").unwrap();
    let (_, log, _) = runner.run_on(work, &[("command", "plan"), ("args", &at)], &[], event);
    let gh = gh.lock().unwrap();
    assert_eq!(gh.comments.len(), 1, "{log}");
    let body = &gh.comments.values().next().unwrap().1;
    assert!(
        body.contains("No plan: postwright stopped with exit code 1"),
        "{body}"
    );
    assert!(body.contains("postwright.toml"), "{body}");
    assert!(
        !body.contains("posts/1-image.md"),
        "the old plan is gone: {body}"
    );
}

/// The stderr part of what `Runner::run` returns.
fn stderr(log: &str) -> &str {
    log.split_once("\n--- stderr ---\n").map_or("", |(_, e)| e)
}

/// The publish fixture with two accounts, one token variable each, and no
/// servers (plan --offline needs none).
fn two_accounts() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_dir(&fixtures().join("publish"), dir.path());
    fs::write(
        dir.path().join("postwright.toml"),
        r#"content = ["posts"]
timezone = "Europe/Berlin"
default_account = "kiln"

[accounts.kiln]
user_id = "17841400000000001"
token_env = "KILN_TOKEN"

[accounts.shop]
user_id = "17841400000000002"
token_env = "SHOP_TOKEN"

[media]
base_url = "https://media.example.com/"
"#,
    )
    .unwrap();
    dir
}

/// Inside GitHub Actions the binary names the set token variables' values to
/// the runner first, on stderr (stdout stays JSON); outside it, nothing.
#[test]
fn the_binary_masks_the_set_token_variables_first_on_stderr() {
    let dir = two_accounts();
    let plan = |github_actions: bool| {
        let mut cmd = crate::common::postwright(dir.path());
        cmd.args([
            "plan",
            "--format",
            "json",
            "--offline",
            "--at",
            "2026-12-02T00:00:00Z",
        ])
        .env("KILN_TOKEN", TOKEN)
        .env_remove("SHOP_TOKEN");
        if github_actions {
            cmd.env("GITHUB_ACTIONS", "true");
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        let plan: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}\n{stderr}"));
        assert_eq!(plan["summary"], json!({"publish": 5, "scheduled": 1}));
        assert!(!stdout.contains(TOKEN), "{stdout}");
        (out.status.code(), stderr)
    };
    let (code, stderr) = plan(true);
    assert_eq!(code, Some(0), "{stderr}");
    let masks: Vec<&str> = stderr
        .lines()
        .take_while(|l| l.starts_with("::add-mask::"))
        .collect();
    assert_eq!(masks, [format!("::add-mask::{TOKEN}")], "{stderr}");
    assert_eq!(stderr.matches("::add-mask::").count(), 1, "{stderr}");
    let (code, stderr) = plan(false);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("::add-mask::"), "{stderr}");
    assert!(!stderr.contains(TOKEN), "{stderr}");
}

/// A fake `git` first on PATH: it logs the name of the process that ran it
/// (`bash` for run.sh) and its arguments, then runs the real git.
fn git_spy(dir: &Path) -> (PathBuf, PathBuf) {
    let real = Command::new("bash")
        .args(["-c", "command -v git"])
        .output()
        .unwrap();
    let real = String::from_utf8(real.stdout).unwrap().trim().to_string();
    let bin = dir.join("spy");
    fs::create_dir_all(&bin).unwrap();
    let log = dir.join("git.log");
    fs::write(&log, "").unwrap();
    fs::write(
        bin.join("git"),
        format!(
            "#!/usr/bin/env bash\n\
             printf '%s %s\\n' \"$(cat /proc/$PPID/comm)\" \"$*\" >> '{}'\n\
             exec '{real}' \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    let ok = Command::new("chmod")
        .arg("+x")
        .arg(bin.join("git"))
        .status()
        .unwrap();
    assert!(ok.success());
    (bin, log)
}

/// push-state "true" is retired: one notice, and run.sh runs no git at all
/// (the remote changes only if postwright itself pushes).
#[test]
fn push_state_is_retired_with_a_notice_and_run_sh_runs_no_git() {
    let (api, _gh) = github();
    let runner = Runner::new(&api);
    let (site, remote) = git_site();
    let work = site.path();
    let refs_before = git(remote.path(), &["for-each-ref"]);
    let (spy, git_log) = git_spy(runner.temp.path());
    let path = format!("{}:{}", spy.display(), runner.path);
    let at = ["--at", "2026-12-02T00:00:00Z"].join(" ");
    let (code, log, outputs) = runner.run(
        work,
        &[("command", "apply"), ("args", &at), ("push-state", "true")],
        &[("KILN_TOKEN", TOKEN), ("PATH", &path)],
    );
    assert_eq!(code, 0, "{log}");
    assert_eq!(outputs["published"], "5", "{outputs:?}\n{log}");
    let notice = "::notice title=postwright::push-state is no longer needed: postwright pushes \
                  the state branch itself after every step ([state] remote in postwright.toml); \
                  remove the input";
    assert_eq!(
        log.lines().filter(|l| *l == notice).count(),
        1,
        "one notice: {log}"
    );
    let calls = fs::read_to_string(&git_log).unwrap();
    assert!(
        calls
            .lines()
            .all(|l| l.starts_with("postwright ") || l.starts_with("git ")),
        "git run by something other than postwright (or git itself): {calls}"
    );
    assert!(!log.contains("pushed postwright-state"), "{log}");
    if !calls.lines().any(|l| l.contains(" push")) {
        assert_eq!(
            git(remote.path(), &["for-each-ref"]),
            refs_before,
            "nobody pushed, so the remote is as it was"
        );
    }
    // Without the input, no notice.
    let (code, log, _) = runner.run(work, &[("command", "validate")], &[]);
    assert_eq!(code, 0, "{log}");
    assert!(!log.contains("push-state"), "{log}");
}

/// run.sh no longer reads postwright.toml: a token variable named in a
/// layout no line-based reader would find (an inline table, a quoted key, a
/// literal string), in a config outside the working directory, and an
/// account on the default variable are masked all the same, by postwright.
#[test]
fn tokens_are_masked_by_the_binary_whatever_the_config_layout() {
    let script = fs::read_to_string(root().join("action/run.sh")).unwrap();
    for reader in [
        "sed -",
        "grep -",
        "awk ",
        "/postwright.toml",
        "git -C",
        "git push",
        "git fetch",
    ] {
        assert!(
            !script.contains(reader),
            "run.sh has `{reader}` again:\n{script}"
        );
    }
    let (api, _gh) = github();
    let runner = Runner::new(&api);
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_dir(&fixtures().join("publish"), dir.path());
    fs::remove_file(dir.path().join("postwright.toml")).unwrap();
    let config = runner.file("elsewhere.toml");
    fs::write(
        &config,
        "content = [\"posts\"]\ntimezone = \"Europe/Berlin\"\ndefault_account = \"kiln\"\n\
         media = { base_url = \"https://media.example.com/\" }\n\
         accounts = { kiln = { user_id = \"17841400000000001\", \"token_env\" = 'ODD_TOKEN' }, \
         shop = { user_id = \"17841400000000002\" } }\n",
    )
    .unwrap();
    let (code, log, _) = runner.run(
        dir.path(),
        &[
            ("command", "validate"),
            ("config", config.to_str().unwrap()),
        ],
        &[
            ("ODD_TOKEN", "IGQodd0ddtoken"),
            ("INSTAGRAM_ACCESS_TOKEN", "EAAdefaulttoken"),
        ],
    );
    assert_eq!(code, 0, "{log}");
    let err = stderr(&log);
    let masks: Vec<&str> = err
        .lines()
        .take_while(|l| l.starts_with("::add-mask::"))
        .collect();
    assert_eq!(
        masks,
        ["::add-mask::EAAdefaulttoken", "::add-mask::IGQodd0ddtoken"],
        "{log}"
    );
    assert!(log.contains(&format!("::add-mask::{GH_TOKEN}")), "{log}");
}

#[test]
fn validate_reports_annotations_and_args_are_words_not_shell() {
    let (api, _gh) = github();
    let runner = Runner::new(&api);
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_dir(&fixtures().join("publish"), dir.path());
    let post = dir.path().join("posts/1-image.md");
    let text = fs::read_to_string(&post).unwrap();
    fs::write(&post, text.replace("location_id:", "locaton_id:")).unwrap();
    let marker = dir.path().join("pwned");
    let args = format!("posts/1-image.md;touch {}", marker.display());
    let (code, log, outputs) =
        runner.run(dir.path(), &[("command", "validate"), ("args", &args)], &[]);
    assert_ne!(code, 0, "{log}");
    assert!(!marker.exists(), "args must never reach a shell");
    assert_eq!(outputs["exit-code"], code.to_string());
    let (code, log, _) = runner.run(dir.path(), &[("command", "validate")], &[]);
    assert_eq!(code, 1, "{log}");
    assert!(
        log.contains("::error file=posts/1-image.md,line=8,col=1,title=unknown-field::"),
        "{log}"
    );
}

/// install.sh downloads the release asset for the runner, checks it against
/// its .sha256, and refuses a tampered one.
#[test]
fn install_downloads_the_release_asset_and_checks_its_checksum() {
    let releases = tempfile::tempdir().unwrap();
    let dir = releases.path().join("v0.1.0");
    fs::create_dir_all(&dir).unwrap();
    let stage = tempfile::tempdir().unwrap();
    fs::copy(
        assert_cmd::cargo::cargo_bin("postwright"),
        stage.path().join("postwright"),
    )
    .unwrap();
    let asset = "postwright-v0.1.0-x86_64-unknown-linux-musl.tar.gz";
    let ok = Command::new("tar")
        .args(["-czf"])
        .arg(dir.join(asset))
        .args(["-C"])
        .arg(stage.path())
        .arg("postwright")
        .status()
        .unwrap();
    assert!(ok.success());
    let sum = Command::new("sha256sum")
        .arg(dir.join(asset))
        .output()
        .unwrap();
    let digest = String::from_utf8_lossy(&sum.stdout)
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    fs::write(
        dir.join(format!("{asset}.sha256")),
        format!("{digest}  {asset}\n"),
    )
    .unwrap();
    let server = crate::graph::GraphServer::start_blocking(ServerConfig {
        static_root: Some(releases.path().to_path_buf()),
        ..ServerConfig::default()
    });
    let install = |home: &Path| {
        Command::new("bash")
            .arg(root().join("action/install.sh"))
            .env_remove("POSTWRIGHT_BIN")
            .env("INPUT_VERSION", "0.1.0")
            .env("ACTION_PATH", root())
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("POSTWRIGHT_RELEASES", server.media_url())
            .env("POSTWRIGHT_INSTALL_DIR", home.join("bin"))
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap()
    };
    let home = tempfile::tempdir().unwrap();
    let out = install(home.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(home.path().join("bin/postwright").is_file());
    // A second run uses the cached binary.
    let out = install(home.path());
    assert!(String::from_utf8_lossy(&out.stdout).contains("from the cache"));
    // A tampered asset is refused.
    fs::write(
        dir.join(format!("{asset}.sha256")),
        format!("{}  {asset}\n", "0".repeat(64)),
    )
    .unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let out = install(fresh.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("checksum mismatch"));
    assert!(!fresh.path().join("bin/postwright").exists());
}

/// The `run:` block of the step named `step` in a workflow file, unindented.
fn run_block(workflow: &str, step: &str) -> String {
    let mut lines = workflow
        .lines()
        .skip_while(|l| !l.contains(&format!("name: {step}")));
    let run = lines
        .find(|l| l.trim_start().starts_with("run: |"))
        .unwrap_or_else(|| panic!("no run block in step {step}"));
    let indent = run.len() - run.trim_start().len() + 2;
    lines
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() >= indent)
        .map(|l| l.get(indent..).unwrap_or("").to_string() + "\n")
        .collect()
}

/// The token-refresh template's script, with stand-ins for postwright and
/// gh on PATH: the new token is masked, stored as the secret exactly (no
/// trailing newline), and its file is gone afterwards.
#[test]
fn token_refresh_workflow_masks_and_stores_the_new_token() {
    let workflow =
        fs::read_to_string(root().join("templates/workflows/postwright-token-refresh.yml"))
            .unwrap();
    let script = run_block(&workflow, "Refresh the token and store it");
    assert!(script.contains("postwright auth refresh --out"));
    let temp = tempfile::tempdir().unwrap();
    let bin = temp.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    let runner_temp = temp.path().join("runner_temp");
    fs::create_dir_all(&runner_temp).unwrap();
    let new_token = "IGQnewtoken0987654321";
    let fake = |name: &str, body: &str| {
        let path = bin.join(name);
        fs::write(
            &path,
            format!("#!/usr/bin/env bash\nset -euo pipefail\n{body}"),
        )
        .unwrap();
        let ok = Command::new("chmod").arg("+x").arg(&path).status().unwrap();
        assert!(ok.success());
    };
    fake(
        "postwright",
        &format!(
            "echo \"$@\" > \"$LOG/postwright.args\"\n\
             while [ $# -gt 0 ]; do if [ \"$1\" = --out ]; then out=\"$2\"; fi; shift; done\n\
             printf '%s\\n' '{new_token}' > \"$out\"\n\
             stat -c %a \"$out\" > \"$LOG/mode\"\n"
        ),
    );
    fake(
        "gh",
        "echo \"$@\" > \"$LOG/gh.args\"\ncat > \"$LOG/gh.stdin\"\n",
    );
    let log = temp.path().join("log");
    fs::create_dir_all(&log).unwrap();
    let out = Command::new("bash")
        .args(["-e", "-o", "pipefail", "-c", &script])
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("LOG", &log)
        .env("RUNNER_TEMP", &runner_temp)
        .env("GITHUB_REPOSITORY", "kiln/feed")
        .env("GH_TOKEN", "github_pat_secretswriter")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l == format!("::add-mask::{new_token}")),
        "{stdout}"
    );
    assert_eq!(
        fs::read_to_string(log.join("gh.args")).unwrap().trim(),
        "secret set INSTAGRAM_ACCESS_TOKEN --repo kiln/feed"
    );
    assert_eq!(fs::read_to_string(log.join("gh.stdin")).unwrap(), new_token);
    assert_eq!(fs::read_to_string(log.join("mode")).unwrap().trim(), "600");
    assert_eq!(
        fs::read_dir(&runner_temp).unwrap().count(),
        0,
        "the token file is removed"
    );
}

/// Issue 26's bar, end to end: a private repository made with `init
/// --private` gets a plan comment on its first pull request — the event
/// saying private, no state branch yet, and its remote refusing (the plan
/// job has no credentials) — and on merge apply uploads every media file
/// once to a signature-checking S3 server and publishes every post type,
/// Meta fetching each file from the store; a second apply uploads nothing.
#[test]
fn a_private_repo_from_init_gets_a_plan_comment_then_publishes_from_its_store() {
    use crate::graph::{GraphServer, MediaCheck};
    use crate::s3::{S3Server, ACCESS_KEY, BUCKET, SECRET_KEY};
    let Some(s3) = S3Server::start() else { return };
    let (api, gh) = github();
    let runner = Runner::new(&api);
    let temp = tempfile::tempdir().unwrap();
    let feed = temp.path().join("feed");
    let out = crate::common::postwright(temp.path())
        .env("TZ", "Europe/Berlin")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["init", "--private"])
        .arg(&feed)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // Every post type, with the fixture's media.
    crate::common::copy_dir(&fixtures().join("publish/posts"), &feed.join("posts"));
    crate::common::copy_dir(&fixtures().join("publish/media"), &feed.join("media"));
    let server = GraphServer::start_blocking(ServerConfig {
        accounts: vec![account(Login::Facebook)],
        video_processing: Duration::from_millis(300),
        media_check: Some(MediaCheck::of_dir(&feed.join("media"))),
        ..ServerConfig::default()
    });
    // What a user fills in: the account, the bucket, where it is.
    let path = feed.join("postwright.toml");
    let toml = fs::read_to_string(&path).unwrap();
    assert!(
        toml.contains("\nstore = \"s3://your-bucket/postwright\""),
        "{toml}"
    );
    assert!(!toml.contains("base_url"), "{toml}");
    let toml = toml
        .replace("17841400000000000", crate::apply_e2e::USER)
        .replace(
            "s3://your-bucket/postwright",
            &format!("s3://{BUCKET}/feed"),
        )
        .replace(
            "# region = \"us-east-1\"",
            &format!("region = \"us-east-1\"\nendpoint = \"{}\"", s3.endpoint()),
        );
    let toml = format!(
        "{toml}\n[api]\nbase_url = \"{}\"\nupload_url = \"{}\"\npoll_interval_ms = 20\nmax_wait_secs = 20\nretry_base_ms = 10\n",
        server.base_url(),
        server.upload_url()
    );
    fs::write(&path, toml).unwrap();
    let apply = fs::read_to_string(feed.join(".github/workflows/postwright-apply.yml")).unwrap();
    assert!(apply.contains("      id-token: write"), "{apply}");
    let remote = tempfile::tempdir().unwrap();
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    git(&feed, &["add", "-A"]);
    git(&feed, &["commit", "-q", "-m", "posts"]);
    let bare = remote.path().to_str().unwrap();
    git(&feed, &["remote", "add", "origin", bare]);
    git(&feed, &["push", "-q", "origin", "main"]);

    // The first pull request: no credentials, so the remote refuses; no
    // state branch yet; the event says the repository is private.
    git(
        &feed,
        &["remote", "set-url", "origin", "/nonexistent/feed.git"],
    );
    let at = format!("--at {}", crate::apply_e2e::AT);
    let event = json!({
        "pull_request": {"number": 7},
        "repository": {"full_name": "kiln/feed", "private": true, "visibility": "private"}
    });
    let (code, log, outputs) =
        runner.run_on(&feed, &[("command", "plan"), ("args", &at)], &[], event);
    assert_eq!(code, 0, "{log}");
    assert_eq!(outputs["exit-code"], "2", "{outputs:?}\n{log}");
    {
        let gh = gh.lock().unwrap();
        assert_eq!(gh.comments.len(), 1, "{:?}\n{log}", gh.calls);
        let body = &gh.comments.values().next().unwrap().1;
        assert!(body.contains("5 to publish"), "{body}");
        assert!(!body.contains("raw.githubusercontent"), "{body}");
    }

    // Merged: apply, with the store's credentials as the workflow's step
    // sets them.
    git(&feed, &["remote", "set-url", "origin", bare]);
    let creds = [
        ("INSTAGRAM_ACCESS_TOKEN", TOKEN),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    ];
    let (code, first, outputs) = runner.run(&feed, &[("command", "apply"), ("args", &at)], &creds);
    assert_eq!(code, 0, "{first}");
    assert_eq!(outputs["published"], "5", "{outputs:?}\n{first}");
    // Seven files (the draft's image is not due), each once.
    let objects = s3.objects();
    assert_eq!(objects.len(), 7, "{objects:?}\n{first}");
    crate::store_e2e::every_type_fetched_from_the_store(&server, &s3, 7);

    // A second apply, with a new post on a file already there: nothing
    // uploaded, nothing published twice.
    fs::write(
        feed.join("posts/7-again.md"),
        "---\npublish_at: 2026-12-01 12:00\nmedia: [../media/square.jpg]\nallow_duplicate: true\n---\nThe row again.\n",
    )
    .unwrap();
    let second = crate::common::postwright(&feed)
        .args(["apply", "--at", crate::apply_e2e::AT, "--format", "json"])
        .envs(creds)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(second.status.code(), Some(0), "{report:#}");
    assert_eq!(report["uploads"]["files"], 0, "{report:#}");
    assert_eq!(report["uploads"]["present"], 1, "{report:#}");
    assert_eq!(s3.objects(), objects, "the store was written again");
    assert_eq!(server.published().len(), 6, "a post published twice");

    // No secret in any log, nor in the record on the remote.
    let record = Command::new("git")
        .args(["--git-dir", bare, "log", "-p", "--all"])
        .output()
        .unwrap();
    let record = String::from_utf8_lossy(&record.stdout);
    assert!(record.contains("7-again"), "the record is on the remote");
    let second_log = String::from_utf8_lossy(&second.stderr);
    for text in [log.as_str(), first.as_str(), &second_log, &record] {
        for secret in [SECRET_KEY, "X-Amz-Signature", "X-Amz-Credential"] {
            assert!(!text.contains(secret), "{secret} in:\n{text}");
        }
    }
}

/// `refresh: true`: the comment carries the live accounts' drift (here:
/// none, nothing published yet); without it, no live account is read.
#[test]
fn refresh_puts_the_drift_in_the_comment() {
    let (api, gh) = github();
    let runner = Runner::new(&api);
    let (site, _remote) = git_site();
    let work = site.path();
    let at = ["--at", "2026-12-02T00:00:00Z"].join(" ");
    let token = [("KILN_TOKEN", crate::apply_e2e::TOKEN)];
    let (code, log, _) = runner.run(
        work,
        &[("command", "plan"), ("args", &at), ("refresh", "true")],
        &token,
    );
    assert_eq!(code, 0, "{log}");
    {
        let gh = gh.lock().unwrap();
        let (_, body) = gh.comments.values().next().unwrap();
        assert!(
            body.contains("**Drift:** the live accounts match the record"),
            "{body}"
        );
    }
    assert!(
        site.server
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/media") && r.method == "GET"),
        "the live account was read"
    );
    let (code, log, _) = runner.run(work, &[("command", "plan"), ("args", &at)], &token);
    assert_eq!(code, 0, "{log}");
    let gh = gh.lock().unwrap();
    let (_, body) = gh.comments.values().next().unwrap();
    assert!(!body.contains("Drift"), "{body}");
}
