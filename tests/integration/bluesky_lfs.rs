//! Bluesky and Git LFS: a clone without LFS objects (as actions/checkout
//! without `lfs: true`) whose Bluesky posts hold an LFS-tracked video and
//! a link card with an LFS-tracked thumbnail. apply fetches the objects
//! and uploads their bytes — never a pointer — to the fault server
//! (tests/integration/bluesky), which keeps every blob it is sent.

use crate::apply_e2e::{apply_with, to_run};
use crate::bluesky::{BlueskyConfig, BlueskyServer};
use crate::common::{fixtures, git, git_env, postwright, tool};
use std::fs;
use std::time::Duration;

const PASSWORD_ENV: &str = "KILN_SKY_PASSWORD";

fn media(name: &str) -> Vec<u8> {
    fs::read(fixtures().join("media").join(name)).unwrap()
}

#[test]
fn apply_uploads_the_lfs_objects_bytes_never_their_pointers() {
    if tool("git-lfs").is_none() {
        return;
    }
    let server = BlueskyServer::start_blocking(BlueskyConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let remote = dir.path().join("remote.git");
    let source = dir.path().join("source");
    fs::create_dir_all(source.join("posts")).unwrap();
    fs::create_dir_all(source.join("media")).unwrap();
    git(dir.path(), &["init", "-q", "--bare", "remote.git"]);
    git(&source, &["init", "-q", "-b", "main"]);
    git(&source, &["lfs", "install", "--local"]);
    fs::write(
        source.join(".gitattributes"),
        "*.mp4 filter=lfs diff=lfs merge=lfs -text\n*.jpg filter=lfs diff=lfs merge=lfs -text\n",
    )
    .unwrap();
    fs::write(
        source.join("postwright.toml"),
        format!(
            "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[accounts.sky]\nplatform = \"bluesky\"\nhandle = \"{}\"\npds = \"{}\"\npassword_env = \"{PASSWORD_ENV}\"\n\n[api]\nretry_base_ms = 10\n",
            server.handle(),
            server.url()
        ),
    )
    .unwrap();
    fs::write(source.join("media/reel.mp4"), media("reel.mp4")).unwrap();
    fs::write(source.join("media/square.jpg"), media("square.jpg")).unwrap();
    fs::write(
        source.join("posts/1-video.yaml"),
        "publish_at: 2026-12-01 09:00\ncaption: A video\nmedia:\n  - src: ../media/reel.mp4\n    alt_text: A wheel\n",
    )
    .unwrap();
    fs::write(
        source.join("posts/2-card.yaml"),
        "publish_at: 2026-12-01 10:00\ncaption: A card\nbluesky:\n  link:\n    url: https://kiln.example\n    title: Kiln\n    thumb: ../media/square.jpg\n",
    )
    .unwrap();
    git(&source, &["add", "-A"]);
    git(&source, &["commit", "-qm", "posts"]);
    let url = format!("file://{}", remote.display());
    git(&source, &["remote", "add", "origin", &url]);
    git(&source, &["push", "-q", "origin", "main"]);
    git_env(
        dir.path(),
        &[("GIT_LFS_SKIP_SMUDGE", "1")],
        &["clone", "-q", "-b", "main", &url, "clone"],
    );
    let clone = dir.path().join("clone");
    // The clone holds pointers only.
    assert!(fs::read(clone.join("media/reel.mp4"))
        .unwrap()
        .starts_with(b"version https://git-lfs"));

    let run = |args: &[&str]| {
        let mut cmd = postwright(&clone);
        cmd.env(PASSWORD_ENV, BlueskyConfig::default().password)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .arg("--repo")
            .arg(&clone)
            .args(args)
            .timeout(Duration::from_secs(120));
        to_run(args, cmd.output().expect("runs"))
    };
    let (code, report, out) = apply_with(&[], run);
    assert_eq!(code, 0, "{}\n{report:#}", out.stderr);
    assert_eq!(
        report["summary"],
        serde_json::json!({"published": 2}),
        "{report:#}"
    );
    assert!(
        out.stderr.contains("fetching Git LFS objects for 2 posts"),
        "{}",
        out.stderr
    );
    let blobs = server.blobs();
    let mut got: Vec<(String, Vec<u8>)> = blobs.into_iter().map(|b| (b.mime, b.bytes)).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("image/jpeg".to_string(), media("square.jpg")),
            ("video/mp4".to_string(), media("reel.mp4")),
        ]
    );
    let card = server
        .records()
        .into_iter()
        .find(|r| r.value["text"] == "A card")
        .unwrap();
    assert_eq!(
        card.value["embed"]["external"]["thumb"]["size"],
        media("square.jpg").len()
    );
}
