//! Git LFS (issue 26) with Debian's git-lfs and a real remote (a bare
//! repository reached by file://, which git-lfs serves with its standalone
//! transfer agent): a clone without LFS objects (`GIT_LFS_SKIP_SMUDGE=1`,
//! as actions/checkout without `lfs: true`) validates and plans with the
//! same hashes as the content itself; apply fetches only the due posts'
//! objects and the LFS-tracked reel publishes against the test Graph
//! server, which downloads the video and checks it is one.

use crate::apply_e2e::{account, Run, Site, AT, TOKEN};
use crate::common::{fixtures, git, git_env, postwright, tool};
use crate::graph::{Login, ServerConfig};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

const REEL: &str = "---\ntype: reel\npublish_at: 2026-12-01 11:00\nmedia: [../media/reel.mp4]\n---\nHow a glaze goes on.\n";
const LATER: &str = "---\ntype: reel\npublish_at: 2027-06-01 09:00\nmedia: [../media/later.mp4]\n---\nSummer in the kiln room.\n";
const PHOTO: &str =
    "---\npublish_at: 2026-12-01 09:00\nmedia: [../media/portrait.jpg]\n---\nMeet the mug.\n";

fn media(name: &str) -> Vec<u8> {
    fs::read(fixtures().join("media").join(name)).unwrap()
}

fn oid(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A content repo pushed with its videos in Git LFS, and a clone of it
/// without LFS objects.
struct Lfs {
    /// Holds the bare remote and the source repo.
    dir: tempfile::TempDir,
    /// The source repo: the content itself in its work tree.
    source: PathBuf,
    /// The clone, served by a test Graph server.
    site: Site,
}

/// The objects of the clone's local LFS store, by oid.
fn objects(repo: &Path) -> BTreeSet<String> {
    objects_in(&repo.join(".git/lfs/objects"))
}

/// The files under an LFS objects folder, by name (the oid).
fn objects_in(dir: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), out);
            } else {
                out.insert(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, &mut out);
    out
}

/// None (and a "skipped" line) without git-lfs.
fn lfs_repo() -> Option<Lfs> {
    lfs_repo_with(&[])
}

/// [`lfs_repo`] with `extra` files (path, bytes) in its last commit.
fn lfs_repo_with(extra: &[(&str, Vec<u8>)]) -> Option<Lfs> {
    tool("git-lfs")?;
    let dir = tempfile::tempdir().unwrap();
    let remote = dir.path().join("remote.git");
    let source = dir.path().join("source");
    fs::create_dir_all(source.join("posts")).unwrap();
    fs::create_dir_all(source.join("media")).unwrap();
    git(dir.path(), &["init", "-q", "--bare", "remote.git"]);
    git(&source, &["init", "-q", "-b", "main"]);
    git(&source, &["lfs", "install", "--local"]);
    fs::copy(
        fixtures().join("publish/postwright.toml"),
        source.join("postwright.toml"),
    )
    .unwrap();
    fs::write(
        source.join(".gitattributes"),
        "*.mp4 filter=lfs diff=lfs merge=lfs -text\n",
    )
    .unwrap();
    // In the history only: its object is on the remote, never needed.
    fs::write(source.join("media/old.mp4"), media("reel-short.mp4")).unwrap();
    git(&source, &["add", "-A"]);
    git(&source, &["commit", "-qm", "an old video"]);
    fs::remove_file(source.join("media/old.mp4")).unwrap();
    fs::write(source.join("media/reel.mp4"), media("reel.mp4")).unwrap();
    fs::write(source.join("media/later.mp4"), media("story-video.mp4")).unwrap();
    fs::write(source.join("media/portrait.jpg"), media("portrait.jpg")).unwrap();
    fs::write(source.join("posts/1-photo.md"), PHOTO).unwrap();
    fs::write(source.join("posts/2-reel.md"), REEL).unwrap();
    fs::write(source.join("posts/3-later.md"), LATER).unwrap();
    for (path, bytes) in extra {
        fs::write(source.join(path), bytes).unwrap();
    }
    git(&source, &["add", "-A"]);
    git(&source, &["commit", "-qm", "posts"]);
    let url = format!("file://{}", remote.display());
    git(&source, &["remote", "add", "origin", &url]);
    git(&source, &["push", "-q", "origin", "main"]);
    let clone = dir.path().join("clone");
    git_env(
        dir.path(),
        &[("GIT_LFS_SKIP_SMUDGE", "1")],
        &["clone", "-q", "-b", "main", &url, "clone"],
    );
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        video_processing: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let site = Site::new(&clone, config, Login::Facebook, "");
    Some(Lfs { dir, source, site })
}

impl Lfs {
    fn path(&self) -> &Path {
        self.site.path()
    }

    /// The binary in the clone, git hermetic, with the token.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut all = vec![
            ("KILN_TOKEN", TOKEN),
            ("GIT_CONFIG_GLOBAL", "/dev/null"),
            ("GIT_CONFIG_NOSYSTEM", "1"),
        ];
        all.extend_from_slice(env);
        self.site.run_env(args, &all)
    }
}

/// `plan --format json --offline` of `repo`, and each entry's id, action
/// and content hash.
fn plan_hashes(repo: &Path) -> (Value, Vec<String>) {
    let out = postwright(repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("KILN_TOKEN")
        .args(["--repo"])
        .arg(repo)
        .args(["plan", "--offline", "--at", AT, "--format", "json"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_str(&text).unwrap();
    let entries = plan["entries"].as_array().unwrap().iter();
    let hashes = entries
        .map(|e| format!("{} {} {}", e["id"], e["action"], e["content_hash"]))
        .collect();
    (plan, hashes)
}

#[test]
fn a_checkout_without_lfs_objects_validates_and_plans_as_one_with_them() {
    let Some(lfs) = lfs_repo() else { return };
    let clone = lfs.path();
    // The work tree holds pointers, the store nothing.
    let pointer = fs::read_to_string(clone.join("media/reel.mp4")).unwrap();
    assert!(
        pointer.starts_with("version https://git-lfs.github.com/spec/v1\n"),
        "{pointer}"
    );
    assert!(objects(clone).is_empty());

    let (plan, without) = plan_hashes(clone);
    let (_, with) = plan_hashes(&lfs.source);
    assert_eq!(without, with, "the same posts, actions and content hashes");
    let actions: Vec<&Value> = plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["action"])
        .collect();
    assert_eq!(actions, ["publish", "publish", "scheduled"]);
    assert!(plan["entries"][1]["content_hash"]
        .as_str()
        .is_some_and(|h| h.starts_with("sha256:")));
    let text = plan.to_string();
    assert!(!text.contains("neither a JPEG"), "{text}");
    let reel = &plan["entries"][1];
    assert_eq!(reel["type"], "reel");
    assert_eq!(
        reel["problems"][0]["rule"], "lfs-object-missing",
        "{reel:#}"
    );
    assert_eq!(reel["problems"][0]["severity"], "warning", "{reel:#}");

    // What a pull request's author reads.
    let run = lfs.run(&["validate"], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("neither a JPEG"));
    insta::assert_snapshot!("validate_without_lfs_objects", run.stdout);
    let run = lfs.run(&["plan", "--offline", "--at", AT], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    insta::assert_snapshot!("plan_without_lfs_objects", run.stdout);
    assert!(objects(clone).is_empty(), "validate and plan fetch nothing");
}

#[test]
fn apply_fetches_only_the_due_posts_lfs_objects_and_the_reel_publishes() {
    let Some(lfs) = lfs_repo() else { return };
    let clone = lfs.path();
    assert!(objects(clone).is_empty());
    // The remote holds three: the due reel's, the scheduled reel's, and
    // one only in the history.
    let remote = objects_in(&lfs.dir.path().join("remote.git/lfs/objects"));
    assert_eq!(remote.len(), 3, "{remote:?}");
    let run = lfs.run(&["apply", "--at", AT, "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["summary"],
        serde_json::json!({"published": 2}),
        "{report:#}"
    );
    // One object fetched: the due reel's. Not the scheduled post's video,
    // not the old one in the history.
    let fetched = objects(clone);
    assert_eq!(
        fetched,
        BTreeSet::from([oid(&media("reel.mp4"))]),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("fetching Git LFS objects for 1 post: 1 file"),
        "{}",
        run.stderr
    );
    // The reel went out, and Meta got the video, not its pointer.
    let reels: Vec<_> = lfs
        .site
        .server
        .published()
        .into_iter()
        .filter(|m| m.media_product_type == "REELS")
        .collect();
    assert_eq!(reels.len(), 1);
    assert_eq!(
        fs::read(clone.join("media/reel.mp4")).unwrap(),
        media("reel.mp4")
    );
    let fetches: Vec<String> = lfs
        .site
        .server
        .media_requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert!(
        fetches.iter().any(|p| p.ends_with("/media/reel.mp4")),
        "{fetches:?}"
    );
    // The record keeps the hash plan computed from the pointer.
    let state = lfs.site.state();
    let (plan, _) = plan_hashes(&lfs.source);
    assert_eq!(plan["entries"][1]["id"], "2-reel");
    assert_eq!(
        state["posts"]["2-reel"]["kiln"]["content_hash"], plan["entries"][1]["content_hash"],
        "{state:#}"
    );
    // With the objects checked out, the clone plans the reel as published
    // (not `changed`): its hash from the bytes is the pointer's.
    let (after, _) = plan_hashes(clone);
    let entries = after["entries"].as_array().unwrap();
    let reel = entries.iter().find(|e| e["id"] == "2-reel").unwrap();
    assert_eq!(reel["action"], "published", "{after:#}");
    assert_eq!(reel["content_hash"], plan["entries"][1]["content_hash"]);
    // Nothing is due now: a second run fetches and publishes nothing.
    let again = lfs.run(&["apply", "--at", AT, "--format", "json"], &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        !again.stderr.contains("fetching Git LFS"),
        "{}",
        again.stderr
    );
    assert_eq!(lfs.site.server.published().len(), 2);
    assert_eq!(objects(clone).len(), 1);
}

/// A `PATH` holding only `git`: git-lfs is not installed.
fn path_without_git_lfs(dir: &Path) -> String {
    let git = tool("git").expect("git");
    std::os::unix::fs::symlink(git, dir.join("git")).unwrap();
    dir.display().to_string()
}

#[test]
fn without_git_lfs_or_its_remote_only_the_lfs_post_fails_and_says_why() {
    let Some(lfs) = lfs_repo() else { return };
    let bin = tempfile::tempdir().unwrap();
    let path = path_without_git_lfs(bin.path());
    let run = lfs.run(&["apply", "--at", AT], &[("PATH", &path)]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let line = |run: &Run| {
        run.stderr
            .lines()
            .find(|l| l.starts_with("✗ posts/2-reel.md"))
            .unwrap_or_else(|| panic!("{}", run.stderr))
            .to_string()
    };
    insta::assert_snapshot!("apply_without_git_lfs", line(&run));
    // The photo is not in LFS: it went out; the reel made no container.
    let published = lfs.site.server.published();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].caption.as_deref(), Some("Meet the mug."));
    assert!(objects(lfs.path()).is_empty());

    // git-lfs here, the remote gone: the pull fails, the reel fails again.
    git(
        lfs.path(),
        &[
            "remote",
            "set-url",
            "origin",
            "file:///nonexistent/postwright.git",
        ],
    );
    let run = lfs.run(&["apply", "--at", AT], &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let failed = line(&run);
    assert!(
        failed.contains("its Git LFS media could not be fetched: git lfs pull failed"),
        "{failed}"
    );
    assert_eq!(lfs.site.server.published().len(), 1);
    assert!(objects(lfs.path()).is_empty());
}

// Fetched, the bytes are checked as validate checks any file: a reel of
// one second fails alone, before any container; the others go out.
#[test]
fn an_lfs_reel_that_fails_its_checks_once_fetched_fails_alone() {
    let short = "---\ntype: reel\npublish_at: 2026-12-01 12:00\nmedia: [../media/short.mp4]\n---\nToo short.\n";
    let Some(lfs) = lfs_repo_with(&[
        ("posts/4-short.md", short.as_bytes().to_vec()),
        ("media/short.mp4", media("reel-short.mp4")),
    ]) else {
        return;
    };
    // Without its bytes the length is unknown: planned, with the warning.
    let (plan, _) = plan_hashes(lfs.path());
    assert_eq!(plan["entries"][2]["id"], "4-short");
    assert_eq!(plan["entries"][2]["action"], "publish");
    let run = lfs.run(&["apply", "--at", AT], &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let failed = run
        .stderr
        .lines()
        .find(|l| l.starts_with("✗ posts/4-short.md"))
        .unwrap_or_else(|| panic!("{}", run.stderr));
    insta::assert_snapshot!("apply_lfs_reel_too_short", failed);
    let due = BTreeSet::from([oid(&media("reel.mp4")), oid(&media("reel-short.mp4"))]);
    assert_eq!(objects(lfs.path()), due, "the two due reels' objects");
    let captions: Vec<Option<String>> = lfs
        .site
        .server
        .published()
        .into_iter()
        .map(|m| m.caption)
        .collect();
    assert_eq!(
        captions,
        [
            Some("Meet the mug.".into()),
            Some("How a glaze goes on.".into())
        ]
    );
    assert_eq!(
        lfs.site.state()["posts"]["4-short"]["kiln"]["status"],
        "failed"
    );
}

#[test]
fn the_preview_labels_a_video_whose_lfs_object_is_not_here() {
    let Some(lfs) = lfs_repo() else { return };
    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let site_arg = site.display().to_string();
    let run = lfs.run(&["preview", "--at", AT, "--out", &site_arg], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let html = fs::read_to_string(site.join("index.html")).unwrap();
    let tile = html
        .split("data-post=\"2-reel\"")
        .nth(1)
        .and_then(|rest| rest.split("</a>").next())
        .unwrap_or_else(|| panic!("{html}"));
    assert!(
        tile.contains("<div class=ph>Git LFS object not fetched</div>"),
        "{tile}"
    );
    assert!(
        html.contains("<div class=ph data-lfs>Git LFS object not fetched: media/reel.mp4</div>"),
        "{html}"
    );
    // The photo, not in LFS, has its thumbnail.
    let photo = html.split("data-post=\"1-photo\"").nth(1).unwrap();
    assert!(
        photo.split("</a>").next().unwrap().contains("<img src="),
        "{photo}"
    );
}
