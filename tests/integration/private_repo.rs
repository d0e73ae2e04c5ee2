//! A private repository whose media would go through
//! raw.githubusercontent.com is an error on the pull request (validate and
//! plan), read from the GitHub event payload, not found out when a post is
//! due.

use crate::common::{copy_dir, fixtures, postwright};
use std::path::Path;

/// The publish fixture (media on raw.githubusercontent.com) in a temporary
/// folder, with a GitHub event payload saying `visibility`.
fn feed(visibility: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("feed");
    copy_dir(&fixtures().join("publish"), &repo);
    let private = visibility != "public";
    std::fs::write(
        dir.path().join("event.json"),
        format!(r#"{{"action": "opened", "number": 7, "repository": {{"full_name": "kiln/feed", "private": {private}, "visibility": "{visibility}"}}}}"#),
    )
    .unwrap();
    (dir, repo)
}

fn run(repo: &Path, args: &[&str]) -> (i32, String) {
    let out = postwright(repo)
        .args(args)
        .env(
            "GITHUB_EVENT_PATH",
            repo.parent().unwrap().join("event.json"),
        )
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap(), text)
}

#[test]
fn a_private_repo_on_raw_github_fails_validate_and_plan_at_base_url() {
    let (_dir, repo) = feed("private");
    let (code, text) = run(&repo, &["validate", "--color", "never"]);
    assert_eq!(code, 1, "{text}");
    insta::assert_snapshot!(text);
    let (code, text) = run(
        &repo,
        &[
            "plan",
            "--offline",
            "--format",
            "json",
            "--at",
            "2026-12-01T00:00:00Z",
        ],
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("\"line\": 10"), "{text}");
    assert!(text.contains("[media] store"), "{text}");
    // GitHub Enterprise's internal repositories are not public either.
    let (_dir, repo) = feed("internal");
    assert_eq!(run(&repo, &["validate"]).0, 1);
}

#[test]
fn a_public_repo_or_a_private_one_with_its_own_hosting_passes() {
    let (_dir, repo) = feed("public");
    let (code, text) = run(&repo, &["validate"]);
    assert_eq!(code, 0, "{text}");
    let (_dir, repo) = feed("private");
    let toml = repo.join("postwright.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(
        &toml,
        text.replace(
            "[media]\n",
            "[media]\nupload_command = \"scripts/upload.sh\"\n",
        ),
    )
    .unwrap();
    let (code, text) = run(&repo, &["validate"]);
    assert_eq!(code, 0, "{text}");
}
