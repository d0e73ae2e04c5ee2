//! `postwright init`: the scaffold validates and plans as written, matches
//! the templates in templates/, and a second init (or any file in the way)
//! is refused before anything is written.

use crate::common::{git, postwright, root};
use serde_json::{json, Value};
use std::fs;
use std::path::Path;

/// Every file init writes into a folder without a README.
const SCAFFOLD: &[&str] = &[
    "postwright.toml",
    "posts/welcome.md",
    "media/welcome.jpg",
    ".github/workflows/postwright-plan.yml",
    ".github/workflows/postwright-apply.yml",
    ".github/workflows/postwright-token-refresh.yml",
    "README.md",
];

/// Every file below `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, into: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, into);
            } else {
                let rel = path.strip_prefix(base).unwrap();
                into.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut files = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut files);
    }
    files.sort();
    files
}

fn git_init(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
}

fn init(cwd: &Path, dir: &Path) -> std::process::Output {
    postwright(cwd).arg("init").arg(dir).output().unwrap()
}

#[test]
fn init_scaffolds_a_repo_that_validates_and_plans() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("feed");
    let out = init(temp.path(), &repo);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut expected: Vec<String> = SCAFFOLD.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(tree(&repo), expected, "exactly the scaffold");
    for f in SCAFFOLD {
        assert!(
            stdout.contains(&format!("created {}", repo.join(f).display())),
            "{f}: {stdout}"
        );
    }
    // The workflows are the templates this repository lints, byte for byte.
    for name in [
        "postwright-plan.yml",
        "postwright-apply.yml",
        "postwright-token-refresh.yml",
    ] {
        assert_eq!(
            fs::read(repo.join(".github/workflows").join(name)).unwrap(),
            fs::read(root().join("templates/workflows").join(name)).unwrap(),
            "{name}"
        );
    }

    // validate, from elsewhere, with --repo.
    let out = postwright(temp.path())
        .arg("--repo")
        .arg(&repo)
        .args(["validate", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // plan: the example post is a draft (git state backend: a git repo).
    git_init(&repo);
    let plan = |extra: &[&str]| {
        let out = postwright(temp.path())
            .arg("--repo")
            .arg(&repo)
            .args(["plan", "--offline", "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        let plan: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{e}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code(), plan)
    };
    let (code, p) = plan(&[]);
    assert_eq!(code, Some(0));
    assert_eq!(p["summary"], json!({"draft": 1}), "{p}");

    // Out of draft, as the guide says: scheduled before its time, due after.
    let post = repo.join("posts/welcome.md");
    let text = fs::read_to_string(&post).unwrap();
    assert!(text.contains("draft: true\n"));
    fs::write(&post, text.replace("draft: true\n", "")).unwrap();
    let (code, p) = plan(&["--at", "2029-12-31T00:00:00Z"]);
    assert_eq!(code, Some(0));
    assert_eq!(p["summary"], json!({"scheduled": 1}), "{p}");
    let (code, p) = plan(&["--at", "2030-01-02T00:00:00Z", "--detailed-exitcode"]);
    assert_eq!(code, Some(2), "{p}");
    assert_eq!(p["summary"], json!({"publish": 1}), "{p}");
}

#[test]
fn init_refuses_to_overwrite_and_writes_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("feed");
    assert!(init(temp.path(), &repo).status.success());

    // A second init: refused, names what is in the way, writes nothing (a
    // file removed in between is not recreated: the check comes first).
    let before = fs::read(repo.join("postwright.toml")).unwrap();
    fs::write(repo.join("postwright.toml"), "# edited\n").unwrap();
    fs::remove_file(repo.join("posts/welcome.md")).unwrap();
    let listing = tree(&repo);
    let out = init(temp.path(), &repo);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("postwright.toml") && stderr.contains("already exist"),
        "{stderr}"
    );
    assert!(!stderr.contains("posts/welcome.md"), "{stderr}");
    assert_eq!(tree(&repo), listing, "nothing written");
    assert_eq!(
        fs::read_to_string(repo.join("postwright.toml")).unwrap(),
        "# edited\n"
    );
    assert_ne!(before, b"# edited\n");

    // One file in the way is enough, wherever it is; it alone is named.
    let other = temp.path().join("other");
    fs::create_dir_all(other.join(".github/workflows")).unwrap();
    fs::write(
        other.join(".github/workflows/postwright-apply.yml"),
        "name: ours\n",
    )
    .unwrap();
    let out = init(temp.path(), &other);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(".github/workflows/postwright-apply.yml"),
        "{stderr}"
    );
    assert!(!stderr.contains("postwright.toml"), "{stderr}");
    assert_eq!(
        tree(&other),
        [".github/workflows/postwright-apply.yml"],
        "nothing written"
    );
}

#[test]
fn init_puts_the_guide_beside_an_existing_readme_and_defaults_to_repo() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("feed");
    fs::create_dir_all(&repo).unwrap();
    fs::write(repo.join("README.md"), "# ours\n").unwrap();
    // No DIR: the --repo folder.
    let out = postwright(temp.path())
        .arg("--repo")
        .arg(&repo)
        .arg("init")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read_to_string(repo.join("README.md")).unwrap(),
        "# ours\n"
    );
    let guide = fs::read_to_string(repo.join("POSTWRIGHT.md")).unwrap();
    assert_eq!(
        guide,
        fs::read_to_string(root().join("templates/POSTWRIGHT.md")).unwrap()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("POSTWRIGHT.md"));
    assert!(repo.join("postwright.toml").is_file());
    assert!(!temp.path().join("postwright.toml").exists());
}
