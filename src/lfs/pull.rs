//! `git lfs pull --include …` for the media of the posts apply is about to
//! publish, and nothing else: a cron run must not download every LFS
//! object of the repository's history.
//!
//! Paths come from post files, which are hostile input. They reach git-lfs
//! as one argument (no shell), each anchored to the work tree's root with a
//! leading `/`, and a path git-lfs would read as more than itself — a comma
//! (its list separator), a glob character, a backslash, a control
//! character, whitespace it trims — is refused, never passed on.

use std::path::Path;
use std::process::{Command, Stdio};

/// Why objects could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PullError {
    #[error("git-lfs is not installed (Debian/Ubuntu: apt-get install git-lfs; GitHub's runners have it)")]
    NotInstalled,
    #[error(
        "`{path}` cannot be fetched by name with git lfs pull --include: {why}; rename the file"
    )]
    Unnameable { path: String, why: &'static str },
    #[error(
        "the content repo is not in a git work tree, so its Git LFS objects cannot be fetched"
    )]
    NoWorkTree,
    #[error("git lfs pull failed ({status}): {stderr}")]
    Failed { status: String, stderr: String },
    #[error("cannot run git: {0}")]
    Spawn(String),
}

/// The `--include` pattern that matches exactly `path` (relative to the
/// work tree's root), or why there is none.
pub fn include_pattern(path: &str) -> Result<String, PullError> {
    let refuse = |why| {
        Err(PullError::Unnameable {
            path: path.chars().flat_map(char::escape_debug).collect(),
            why,
        })
    };
    if path.is_empty() || path.starts_with('/') {
        return refuse("it is not a path inside the repository");
    }
    if path.contains(',') {
        return refuse("git-lfs reads a comma as the end of a pattern");
    }
    if path.contains(['*', '?', '[', ']', '{', '}', '\\']) {
        return refuse("git-lfs reads * ? [ ] { } and \\ as pattern characters");
    }
    if path.chars().any(char::is_control) {
        return refuse("it has a control character");
    }
    if path
        .split('/')
        .any(|seg| seg.trim() != seg || seg.is_empty())
    {
        return refuse(
            "a part of it starts or ends with whitespace (git-lfs trims it), or is empty",
        );
    }
    // A pattern without a leading slash matches the name in every folder.
    Ok(format!("/{path}"))
}

/// What `git lfs install` would have configured: given on the command
/// line, so the pull also checks the files out in a clone where nobody ran
/// it (without a filter, git-lfs only downloads).
const FILTER: [&str; 8] = [
    "-c",
    "filter.lfs.smudge=git-lfs smudge -- %f",
    "-c",
    "filter.lfs.process=git-lfs filter-process",
    "-c",
    "filter.lfs.clean=git-lfs clean -- %f",
    "-c",
    "filter.lfs.required=true",
];

/// Fetches and checks out the LFS objects of `patterns` (from
/// [`include_pattern`]) in the work tree `workdir`.
pub fn pull(workdir: &Path, patterns: &[String]) -> Result<(), PullError> {
    if patterns.is_empty() {
        return Ok(());
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(workdir)
            .args(args)
            .stdin(Stdio::null())
            // A remote asking for a password must fail, not wait for one.
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .map_err(|e| PullError::Spawn(e.to_string()))
    };
    if !git(&["lfs", "version"])?.status.success() {
        return Err(PullError::NotInstalled);
    }
    let include = patterns.join(",");
    let mut args: Vec<&str> = FILTER.to_vec();
    args.extend(["lfs", "pull", "--include", &include, "--exclude", ""]);
    let out = git(&args)?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = last[last.len().saturating_sub(3)..].join(" / ");
    Err(PullError::Failed {
        status: out.status.to_string(),
        stderr: tail.chars().take(300).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_anchored_and_hostile_names_refused() {
        assert_eq!(
            include_pattern("media/reel.mp4").unwrap(),
            "/media/reel.mp4"
        );
        assert_eq!(
            include_pattern("content/my reel (final).mp4").unwrap(),
            "/content/my reel (final).mp4"
        );
        for bad in [
            "media/a,b.mp4",
            "media/*.mp4",
            "media/?.mp4",
            "media/[ab].mp4",
            "media/{a,b}.mp4",
            "media\\a.mp4",
            "media/a\n.mp4",
            "media/ a.mp4",
            "media/a.mp4 ",
            "media//a.mp4",
            "/etc/passwd",
            "",
        ] {
            let e = include_pattern(bad).unwrap_err();
            assert!(matches!(e, PullError::Unnameable { .. }), "{bad:?}: {e:?}");
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }

    proptest::proptest! {
        // Whatever the name: a refusal, or one anchored pattern that
        // git-lfs cannot split or expand.
        #[test]
        fn any_name_is_one_literal_pattern_or_refused(path in "\\PC{0,40}") {
            if let Ok(p) = include_pattern(&path) {
                proptest::prop_assert!(p.starts_with('/'));
                proptest::prop_assert!(!p.contains([',', '*', '?', '[', '\\']));
                proptest::prop_assert_eq!(&p[1..], path.as_str());
            }
        }
    }
}
