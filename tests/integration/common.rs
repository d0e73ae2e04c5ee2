//! Shared helpers for the integration tests.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The crate root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fixture content repo (tests/fixtures).
pub fn fixtures() -> PathBuf {
    root().join("tests/fixtures")
}

/// The postwright binary, run from `dir`, with GitHub Actions variables
/// cleared so the default format is the human one.
pub fn postwright(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("postwright").expect("binary built");
    cmd.current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_EVENT_PATH")
        // Colour is asked for by tests that test it, never by the caller's shell.
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE");
    cmd
}

/// Runs `validate --format json` with extra args and returns (exit code, JSON).
pub fn validate_json(repo: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = postwright(repo)
        .args(["validate", "--format", "json"])
        .args(args)
        .output()
        .expect("runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exited"), json)
}

/// Copies a folder tree (a fixture content repo into a temporary folder).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs `git` in `dir` without the user's or the system's git config, with a
/// committer identity of its own; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_env(dir, &[], args)
}

/// [`git`] with `env` set as well.
pub fn git_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .envs(env.iter().copied())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        // `git status` must not refresh the index: tests compare its bytes.
        .env("GIT_OPTIONAL_LOCKS", "0")
        .args([
            "-c",
            "user.name=Test Author",
            "-c",
            "user.email=test@example.com",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The path of `tool` when it is on PATH. Absent, the calling test is
/// skipped (it says so), unless POSTWRIGHT_REQUIRE_TOOLS=1 (.ci/run sets it).
pub(crate) fn tool(name: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("POSTWRIGHT_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{name} is not on PATH and POSTWRIGHT_REQUIRE_TOOLS=1"
        );
        eprintln!(
            "skipped: {name} is not on PATH (set POSTWRIGHT_REQUIRE_TOOLS=1 to fail instead)"
        );
    }
    found
}

/// A `plan --refresh --format json`'s drift as (kind, media id), sorted.
pub(crate) fn drift_of(plan: &serde_json::Value) -> Vec<(String, String)> {
    let mut drift: Vec<(String, String)> = plan["drift"]
        .as_array()
        .unwrap_or_else(|| panic!("no drift in {plan:#}"))
        .iter()
        .map(|d| {
            (
                d["drift"].as_str().unwrap_or_default().to_string(),
                d["media_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    drift.sort();
    drift
}
