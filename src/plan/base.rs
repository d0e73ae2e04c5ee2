//! What a pull request changes: the files that differ between its base and
//! the working tree, so the plan comment can lead with the posts the pull
//! request adds, edits, renames or removes (`plan --base REF`).
//!
//! Read with the `git` CLI, as the state backend does: `git diff
//! --merge-base BASE` compares the merge base with the working tree (a pull
//! request's checkout, or a branch with edits not yet committed), `-M`
//! finds renames, `--relative` keeps the paths relative to the content repo
//! when it is a folder of a larger repository. Files not yet added to git
//! count as added.

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// How a pull request touches one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "lowercase")]
pub enum Touch {
    Added,
    Modified,
    Renamed { from: String },
    Deleted,
}

impl Touch {
    pub fn word(&self) -> &'static str {
        match self {
            Touch::Added => "added",
            Touch::Modified => "edited",
            Touch::Renamed { .. } => "renamed",
            Touch::Deleted => "removed",
        }
    }
}

/// The files a pull request touches, by path relative to the content repo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    pub files: BTreeMap<String, Touch>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaseError {
    #[error("--base {base}: not a commit in this repository ({why}); fetch it first, e.g. `git fetch origin {base}` (actions/checkout needs `fetch-depth: 0`)")]
    UnknownRef { base: String, why: String },
    #[error("--base {base}: {why}")]
    Git { base: String, why: String },
}

fn git(repo: &Path, args: &[&str]) -> Result<(bool, String, String), String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    ))
}

/// The files that differ between `base` and the working tree of `repo`.
pub fn touched(repo: &Path, base: &str) -> Result<Touched, BaseError> {
    let unknown = |why: String| BaseError::UnknownRef {
        base: base.to_string(),
        why,
    };
    let failed = |why: String| BaseError::Git {
        base: base.to_string(),
        why,
    };
    // A ref from a workflow is input: never let it read as an option.
    if base.is_empty() || base.starts_with('-') {
        return Err(unknown("a ref cannot be empty or start with `-`".into()));
    }
    let spec = format!("{base}^{{commit}}");
    let (ok, commit, why) = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )
    .map_err(&failed)?;
    if !ok {
        return Err(unknown(if why.is_empty() {
            "git knows no such commit".into()
        } else {
            why
        }));
    }
    let commit = commit.trim().to_string();
    let (ok, diff, why) = git(
        repo,
        &[
            "diff",
            "--merge-base",
            &commit,
            "--name-status",
            "-z",
            "-M",
            "--relative",
            "--no-ext-diff",
        ],
    )
    .map_err(&failed)?;
    if !ok {
        return Err(failed(why));
    }
    let mut touched = parse_name_status(&diff);
    let (ok, others, _) =
        git(repo, &["ls-files", "--others", "--exclude-standard", "-z"]).map_err(&failed)?;
    if ok {
        for path in others.split('\0').filter(|p| !p.is_empty()) {
            touched.files.insert(path.to_string(), Touch::Added);
        }
    }
    Ok(touched)
}

/// The commit the working tree is at, and the files (relative to the
/// content repo) that differ from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub commit: String,
    pub dirty: std::collections::HashSet<String>,
}

/// `None` outside a git repository or before its first commit.
pub fn head(repo: &Path) -> Option<Head> {
    let (ok, commit, _) = git(repo, &["rev-parse", "--verify", "--quiet", "HEAD"]).ok()?;
    if !ok {
        return None;
    }
    let (ok, status, _) = git(
        repo,
        &[
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--no-renames",
            ".",
        ],
    )
    .ok()?;
    if !ok {
        return None;
    }
    // `git status` paths are relative to the repository's top; ask where
    // the content repo sits in it.
    let (_, prefix, _) = git(repo, &["rev-parse", "--show-prefix"]).ok()?;
    let prefix = prefix.trim();
    let dirty = status
        .split('\0')
        .filter(|l| l.len() > 3)
        .map(|l| l[3..].strip_prefix(prefix).unwrap_or(&l[3..]).to_string())
        .collect();
    Some(Head {
        commit: commit.trim().to_string(),
        dirty,
    })
}

/// A file as it was in `rev` (`git show REV:./PATH`, relative to the
/// content repo); `None` when it was not there.
pub fn show(repo: &Path, rev: &str, path: &str) -> Option<Vec<u8>> {
    if rev.starts_with('-') {
        return None;
    }
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["show", "--no-textconv", &format!("{rev}:./{path}")])
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

/// The blob id of a file in `rev`, and of the working tree's copy: equal
/// when the bytes are the same.
pub fn same_bytes(repo: &Path, rev: &str, path: &str) -> Option<bool> {
    if rev.starts_with('-') {
        return None;
    }
    let (ok, old, _) = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}:./{path}"),
        ],
    )
    .ok()?;
    if !ok {
        return Some(false);
    }
    let (ok, new, _) = git(repo, &["hash-object", "--", path]).ok()?;
    ok.then(|| old.trim() == new.trim())
}

/// `git diff --name-status -z`: `M\0path\0`, `R087\0old\0new\0`, …
fn parse_name_status(out: &str) -> Touched {
    let mut files = BTreeMap::new();
    let mut fields = out.split('\0').filter(|f| !f.is_empty());
    while let Some(status) = fields.next() {
        let kind = status.chars().next().unwrap_or(' ');
        let Some(path) = fields.next() else { break };
        match kind {
            'A' => {
                files.insert(path.to_string(), Touch::Added);
            }
            'D' => {
                files.insert(path.to_string(), Touch::Deleted);
            }
            'R' | 'C' => {
                let Some(new) = fields.next() else { break };
                let touch = if kind == 'R' {
                    Touch::Renamed {
                        from: path.to_string(),
                    }
                } else {
                    Touch::Added
                };
                files.insert(new.to_string(), touch);
            }
            // M, T (type change), U (unmerged): the file is there, edited.
            _ => {
                files.insert(path.to_string(), Touch::Modified);
            }
        }
    }
    Touched { files }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_status_reads_every_kind_of_change() {
        let t = parse_name_status(
            "M\0posts/a.md\0A\0posts/b.yaml\0D\0posts/c.md\0R092\0posts/old.md\0posts/new.md\0C100\0media/x.jpg\0media/y.jpg\0",
        );
        assert_eq!(t.files["posts/a.md"], Touch::Modified);
        assert_eq!(t.files["posts/b.yaml"], Touch::Added);
        assert_eq!(t.files["posts/c.md"], Touch::Deleted);
        assert_eq!(
            t.files["posts/new.md"],
            Touch::Renamed {
                from: "posts/old.md".into()
            }
        );
        assert_eq!(t.files["media/y.jpg"], Touch::Added);
        assert!(!t.files.contains_key("posts/old.md"));
        assert_eq!(parse_name_status(""), Touched::default());
        // Cut short: what was read so far stays.
        assert_eq!(parse_name_status("M\0a.md\0R100\0b.md").files.len(), 1);
    }

    #[test]
    fn a_ref_that_reads_as_an_option_is_refused() {
        let dir = std::env::temp_dir();
        for bad in ["", "--output=/tmp/x", "-p"] {
            assert!(
                matches!(touched(&dir, bad), Err(BaseError::UnknownRef { .. })),
                "{bad:?}"
            );
        }
    }
}
