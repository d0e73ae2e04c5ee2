//! Tells the build its own commit, so `postwright init` can pin postwright's
//! action by full commit SHA. Sets POSTWRIGHT_COMMIT (40 lowercase hex
//! digits, or empty when unknown) from, in order:
//!
//! 1. the environment variable POSTWRIGHT_COMMIT (the release workflow sets
//!    it from `github.sha`); set but not a full SHA fails the build;
//! 2. `.cargo_vcs_info.json`'s `git.sha1` (in packages from crates.io);
//! 3. `git rev-parse HEAD`, when the crate folder is the top of a git
//!    checkout (not a folder inside some other repository).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=POSTWRIGHT_COMMIT");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));

    let commit = from_env()
        .or_else(|| from_vcs_info(&dir))
        .or_else(|| from_git(&dir))
        .unwrap_or_default();
    println!("cargo:rustc-env=POSTWRIGHT_COMMIT={commit}");
}

fn is_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn from_env() -> Option<String> {
    let value = std::env::var("POSTWRIGHT_COMMIT").ok()?;
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if !is_sha(value) {
        panic!("POSTWRIGHT_COMMIT is {value:?}: it must be a full 40-digit commit SHA, or unset");
    }
    Some(value.to_ascii_lowercase())
}

fn from_vcs_info(dir: &Path) -> Option<String> {
    let path = dir.join(".cargo_vcs_info.json");
    if !path.is_file() {
        return None;
    }
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path).ok()?;
    // {"git": {"sha1": "<40 hex>", ...}, "path_in_vcs": ""}: the one "sha1"
    // key in the file; no JSON parser needed at build time.
    let after = &text[text.find("\"sha1\"")? + "\"sha1\"".len()..];
    let after = after.trim_start().strip_prefix(':')?.trim_start();
    let value = after.strip_prefix('"')?.split('"').next()?;
    is_sha(value).then(|| value.to_ascii_lowercase())
}

/// Runs git in `dir`; its trimmed stdout when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn from_git(dir: &Path) -> Option<String> {
    // A `.git` folder, or a `.git` file (a worktree, a submodule). Without
    // one the crate is not the top of a checkout: nothing to ask git.
    if dir.join(".git").symlink_metadata().is_err() {
        return None;
    }
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if std::fs::canonicalize(&top).ok()? != std::fs::canonicalize(dir).ok()? {
        return None;
    }
    // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it
    // points to (a commit), and packed-refs (where a branch may live).
    // Only existing paths: cargo reruns every build for a missing one. A
    // branch without its own file yet (packed, or no commit yet): the folder
    // it will be written in.
    let mut watch = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watch.push(branch);
    }
    for name in watch {
        let Some(path) = git(dir, &["rev-parse", "--git-path", &name]) else {
            continue;
        };
        let mut path = dir.join(path);
        if let Some(refs) = name
            .starts_with("refs/")
            .then(|| git(dir, &["rev-parse", "--git-path", "refs"]))
            .flatten()
        {
            let refs = dir.join(refs);
            while !path.exists() && path != refs && path.starts_with(&refs) && path.pop() {}
        }
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    let head = git(dir, &["rev-parse", "--verify", "-q", "HEAD^{commit}"])?;
    is_sha(&head).then(|| head.to_ascii_lowercase())
}
