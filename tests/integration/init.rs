//! `postwright init`: the scaffold validates and plans as written, matches
//! the templates in templates/ with postwright's action pinned to the commit
//! the binary was built from, passes zizmor's default policy, and a second
//! init (or any file in the way) is refused before anything is written.

use crate::common::{git, postwright, root, tool};
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
    ".postwright/post.schema.json",
    ".vscode/settings.json",
];

/// Every file below `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, into: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            // `git init` made it; not part of the scaffold.
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
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

/// The workflows init writes from templates/workflows.
const WORKFLOWS: &[&str] = &[
    "postwright-plan.yml",
    "postwright-apply.yml",
    "postwright-token-refresh.yml",
];

/// The source repository's HEAD, when the crate is built from a git checkout
/// (the commit build.rs gives the binary).
fn source_head() -> Option<String> {
    if root().join(".git").symlink_metadata().is_err() {
        return None;
    }
    let out = std::process::Command::new("git")
        .current_dir(root())
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The reference after `postwright/postwright@` in a `uses:` line.
fn action_refs(workflow: &str) -> Vec<&str> {
    workflow
        .lines()
        .filter_map(|l| l.split_once("uses: postwright/postwright@"))
        .map(|(_, r)| r)
        .collect()
}

/// The template with every `uses: postwright/postwright@…` line's reference
/// replaced, as init does, and without the lines marked for private or LFS
/// repositories (this scaffold is neither).
fn substituted(template: &str, reference: &str) -> String {
    template
        .split_inclusive('\n')
        .filter(|line| {
            let content = line.trim_start();
            !content.starts_with("#private: ") && !content.starts_with("#lfs: ")
        })
        .map(
            |line| match line.split_once("uses: postwright/postwright@") {
                Some((head, _)) => format!("{head}uses: postwright/postwright@{reference}\n"),
                None => line.to_string(),
            },
        )
        .collect()
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
    // The workflows are the templates with the action pinned by commit, the
    // version as a comment: the commit the source checkout is at.
    let version = env!("CARGO_PKG_VERSION");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let apply = fs::read_to_string(repo.join(".github/workflows/postwright-apply.yml")).unwrap();
    let pinned = action_refs(&apply)[0].to_string();
    let commit = pinned
        .strip_suffix(&format!(" # v{version}"))
        .filter(|c| c.len() == 40 && c.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    match (source_head(), commit) {
        (Some(head), _) => assert_eq!(pinned, format!("{head} # v{version}"), "{stderr}"),
        (None, Some(_)) => {}
        // Built from neither a checkout nor a package that names its commit:
        // the tag form, and a warning that says so.
        (None, None) => {
            assert_eq!(pinned, format!("v{version}"));
            assert!(stderr.contains("not SHA-pinned"), "{stderr}");
        }
    }
    if commit.is_some() {
        assert!(!stderr.contains("warning"), "{stderr}");
    }
    for name in WORKFLOWS {
        let written = fs::read_to_string(repo.join(".github/workflows").join(name)).unwrap();
        let template = fs::read_to_string(root().join("templates/workflows").join(name)).unwrap();
        assert_eq!(written, substituted(&template, &pinned), "{name}");
        let refs = action_refs(&written);
        assert!(!refs.is_empty(), "{name} uses the action");
        assert!(refs.iter().all(|r| *r == pinned), "{name}: {refs:?}");
        if commit.is_some() {
            assert!(!written.contains("postwright/postwright@v"), "{name}");
        }
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

#[test]
fn init_workflows_pass_zizmor_default_policy() {
    let Some(zizmor) = tool("zizmor") else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("feed");
    assert!(init(temp.path(), &repo).status.success());
    // No configuration (zizmor's default policy: every action pinned by
    // hash), medium severity and up, as .ci/run lints.
    let out = std::process::Command::new(zizmor)
        .args(["--offline", "--no-config", "--min-severity", "medium"])
        .arg(repo.join(".github/workflows"))
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{report}");
    for name in WORKFLOWS {
        assert!(
            report.contains(&format!(
                "completed {}",
                repo.join(".github/workflows").join(name).display()
            )),
            "{report}"
        );
    }
    assert!(report.contains("No findings to report"), "{report}");
}

/// In a folder that is no git repository, init makes one (on `main`, the
/// branch the apply workflow then publishes from) and plan works at once.
#[test]
fn init_in_a_plain_folder_makes_a_repository_that_plans() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("feed");
    let out = postwright(temp.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .arg("init")
        .arg(&repo)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(repo.join(".git").is_dir());
    assert!(stdout.contains("initialized a git repository"), "{stdout}");
    let apply = fs::read_to_string(repo.join(".github/workflows/postwright-apply.yml")).unwrap();
    assert!(apply.contains("branches: [main]"), "{apply}");
    assert!(apply.contains("environment: instagram"), "{apply}");
    let settings: Value =
        serde_json::from_str(&fs::read_to_string(repo.join(".vscode/settings.json")).unwrap())
            .unwrap();
    assert_eq!(
        settings["yaml.schemas"]["./.postwright/post.schema.json"],
        json!(["posts/**/*.yaml", "posts/**/*.yml"])
    );
    let schema = fs::read_to_string(repo.join(".postwright/post.schema.json")).unwrap();
    let printed = postwright(temp.path())
        .args(["schema", "post"])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(
        schema,
        String::from_utf8(printed).unwrap(),
        "the whole schema, every platform's map in it"
    );
    // Plan works right away; validate says the account id is a placeholder.
    let run = postwright(temp.path())
        .arg("--repo")
        .arg(&repo)
        .args(["--format", "json", "validate"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&run.stdout).unwrap();
    let rules: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["rule"].as_str())
        .collect();
    assert!(rules.contains(&"placeholder-id"), "{v:#}");
    assert_eq!(v["errors"], 0, "{v:#}");
    let run = postwright(temp.path())
        .arg("--repo")
        .arg(&repo)
        .args(["plan", "--offline"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // A team's own editor settings are kept.
    let other = temp.path().join("other");
    fs::create_dir_all(other.join(".vscode")).unwrap();
    fs::write(other.join(".vscode/settings.json"), "{\"ours\": true}\n").unwrap();
    assert!(init(temp.path(), &other).status.success());
    assert_eq!(
        fs::read_to_string(other.join(".vscode/settings.json")).unwrap(),
        "{\"ours\": true}\n"
    );
}

/// init writes this machine's zone and an hourly cron at :17; plan then
/// says when a post written for 09:00 actually goes out, at its
/// `publish_at` line, and stops saying it once the post or the schedule
/// fits.
#[test]
fn init_writes_the_local_zone_and_plan_warns_of_a_post_between_runs() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("feed");
    let out = postwright(temp.path())
        .env("TZ", "Europe/Berlin")
        .arg("init")
        .arg(&repo)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("Time zone: Europe/Berlin"), "{stdout}");
    assert!(stdout.contains("about 730 job-minutes a month"), "{stdout}");
    assert!(stdout.contains("and read README.md"), "{stdout}");
    let toml = fs::read_to_string(repo.join("postwright.toml")).unwrap();
    assert!(toml.contains("\ntimezone = \"Europe/Berlin\""), "{toml}");
    let post = repo.join("posts/welcome.md");
    let text = fs::read_to_string(&post).unwrap();
    fs::write(&post, text.replace("draft: true\n", "")).unwrap();
    let plan = || {
        let out = postwright(&repo)
            .args([
                "plan",
                "--offline",
                "--color",
                "never",
                "--at",
                "2029-12-31T00:00:00Z",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    // 09:00 CET is 08:00 UTC; the run is at 08:17 UTC.
    let text = plan();
    assert!(
        text.contains("posts/welcome.md:4:1: warning[off-schedule]: publish_at 2030-01-01 09:00 CET falls between apply's scheduled runs (cron \"17 * * * *\" in .github/workflows/postwright-apply.yml): the post goes out at 2030-01-01 09:17 CET, 17 min late"),
        "{text}"
    );
    let workflow = repo.join(".github/workflows/postwright-apply.yml");
    let apply = fs::read_to_string(&workflow).unwrap();
    fs::write(
        &workflow,
        apply.replace("cron: \"17 * * * *\"", "cron: \"*/15 * * * *\""),
    )
    .unwrap();
    assert!(!plan().contains("off-schedule"));
    fs::write(&workflow, apply).unwrap();
    let text = fs::read_to_string(&post).unwrap();
    fs::write(&post, text.replace("2030-01-01 09:00", "2030-01-01 09:10")).unwrap();
    assert!(!plan().contains("off-schedule"));
}
