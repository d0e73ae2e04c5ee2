//! `postwright init`: the scaffold, in a git repository.

use super::{Exit, Failure};
use std::io::Write;

/// `postwright init [DIR] [--private]`.
pub fn init(dir: &std::path::Path, private: bool, out: &mut dyn Write) -> Result<Exit, Failure> {
    // plan and apply need a git repository (the state branch, the commit
    // media URLs point at): make one where there is none.
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("LC_ALL", "C")
            .output()
            .ok()
    };
    let _ = std::fs::create_dir_all(dir);
    let existing = crate::init::in_the_way(dir);
    if !existing.is_empty() {
        return Err(Failure::Error(
            crate::init::InitError::Exists(existing).to_string(),
        ));
    }
    let inside = git(&["rev-parse", "--is-inside-work-tree"]).is_some_and(|o| o.status.success());
    let mut made_repo = false;
    if !inside {
        // GitHub's default branch unless git is configured otherwise.
        let configured =
            git(&["config", "--get", "init.defaultBranch"]).is_some_and(|o| o.status.success());
        let args: &[&str] = if configured {
            &["init", "-q"]
        } else {
            &["init", "-q", "-b", "main"]
        };
        match git(args) {
            Some(o) if o.status.success() => made_repo = true,
            _ => {
                eprintln!(
                    "error: {} is not a git repository and `git init` failed there (is git installed?);                      postwright keeps its record on a git branch: run `git init` in it, then `postwright init` again",
                    dir.display()
                );
                return Ok(Exit::Error);
            }
        }
    }
    let branch = git(&["symbolic-ref", "--short", "HEAD"])
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|b| {
            !b.is_empty()
                && b.bytes()
                    .all(|c| c.is_ascii_graphic() && c != b']' && c != b',')
        })
        .unwrap_or_else(|| "main".into());
    // Inside GitHub Actions the event says whether the repository is
    // private; elsewhere only the flag can (no call to GitHub's API).
    let private = private || crate::validate::private_repo::repo_is_private() == Some(true);
    let options = crate::init::Options::for_dir(dir, private);
    match crate::init::init(dir, &branch, &options) {
        Ok(written) => {
            if made_repo {
                let _ = writeln!(
                    out,
                    "initialized a git repository in {} (branch {branch})",
                    dir.display()
                );
            }
            for f in &written {
                let _ = writeln!(out, "created {}", dir.join(f).display());
            }
            // The guide, not the editor files written after it.
            let guide = written
                .iter()
                .map(String::as_str)
                .find(|f| *f == "POSTWRIGHT.md")
                .unwrap_or("README.md");
            let media = if options.private {
                "set [media] store to your bucket and keep its credential step in .github/workflows/postwright-apply.yml, "
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "\nTime zone: {} (this machine's). Apply runs hourly at minute 17: about 730 job-minutes a month (the workflow says how to change it).\nNext: set user_id in postwright.toml, {media}add the INSTAGRAM_ACCESS_TOKEN secret, and read {guide}.\nCheck it with: postwright --repo {} validate",
                options.timezone,
                dir.display()
            );
            Ok(Exit::Ok)
        }
        Err(e) => Err(Failure::Io(e.to_string())),
    }
}
