//! The git backend: the record as `state.json` on a branch of its own.
//!
//! Writes go straight to the object database (blob, tree, commit, ref
//! update) through libgit2, never through the work tree or the index, so a
//! run on a checkout with local edits leaves them alone. Each save is one
//! commit whose message says what changed; the branch's history is the
//! publishing log. Pushing the branch is the job of the `git` command line
//! (it has the runner's credentials).

use super::{parse, render, State, StateError, Store};
use git2::{ErrorCode, Repository, Signature};
use std::path::{Path, PathBuf};

/// The record's file name inside the branch.
pub const FILE: &str = "state.json";

pub struct GitStore {
    repo: PathBuf,
    branch: String,
}

impl GitStore {
    pub fn new(repo: &Path, branch: &str) -> GitStore {
        GitStore {
            repo: repo.to_path_buf(),
            branch: branch.to_string(),
        }
    }

    fn refname(&self) -> String {
        format!("refs/heads/{}", self.branch)
    }

    fn err(&self, detail: impl std::fmt::Display) -> StateError {
        StateError::Git {
            at: self.location(),
            detail: detail.to_string(),
        }
    }

    fn open(&self) -> Result<Repository, StateError> {
        Repository::discover(&self.repo).map_err(|e| {
            self.err(format!(
                "{} is not in a git repository ({}); use the file backend or run `git init`",
                self.repo.display(),
                e.message()
            ))
        })
    }
}

impl Store for GitStore {
    fn load(&self) -> Result<State, StateError> {
        let repo = self.open()?;
        let reference = match repo.find_reference(&self.refname()) {
            Ok(r) => r,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(State::default()),
            Err(e) => return Err(self.err(e.message())),
        };
        let commit = reference
            .peel_to_commit()
            .map_err(|e| self.err(e.message()))?;
        let tree = commit.tree().map_err(|e| self.err(e.message()))?;
        let entry = tree
            .get_path(Path::new(FILE))
            .map_err(|_| StateError::Corrupt {
                at: self.location(),
                detail: format!("commit {} has no {FILE}", commit.id()),
            })?;
        let blob = repo
            .find_blob(entry.id())
            .map_err(|e| self.err(e.message()))?;
        let text = std::str::from_utf8(blob.content()).map_err(|e| StateError::Corrupt {
            at: self.location(),
            detail: e.to_string(),
        })?;
        parse(text, &self.location())
    }

    fn save(&self, state: &State, message: &str) -> Result<(), StateError> {
        let repo = self.open()?;
        // Writers of the state branch take an exclusive lock on a file of
        // their own (the kernel drops it when a process dies). Holding it, a
        // leftover `refs/heads/<branch>.lock` can only come from a writer
        // that was killed between creating and renaming it — libgit2 would
        // refuse every later write — so it is removed.
        let guard = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(repo.path().join("postwright-state.lock"))
            .map_err(|e| self.err(format!("cannot open the writer lock: {e}")))?;
        guard
            .lock()
            .map_err(|e| self.err(format!("cannot take the writer lock: {e}")))?;
        let stale = repo.path().join(format!("{}.lock", self.refname()));
        if stale.exists() {
            std::fs::remove_file(&stale)
                .map_err(|e| self.err(format!("cannot remove {}: {e}", stale.display())))?;
        }
        let blob = repo
            .blob(render(state).as_bytes())
            .map_err(|e| self.err(e.message()))?;
        let mut builder = repo.treebuilder(None).map_err(|e| self.err(e.message()))?;
        builder
            .insert(FILE, blob, 0o100644)
            .map_err(|e| self.err(e.message()))?;
        let tree_id = builder.write().map_err(|e| self.err(e.message()))?;
        let tree = repo.find_tree(tree_id).map_err(|e| self.err(e.message()))?;
        let parent = match repo.find_reference(&self.refname()) {
            Ok(r) => Some(r.peel_to_commit().map_err(|e| self.err(e.message()))?),
            Err(e) if e.code() == ErrorCode::NotFound => None,
            Err(e) => return Err(self.err(e.message())),
        };
        // CI runners often have no git identity; the record still needs an author.
        let signature = repo
            .signature()
            .or_else(|_| Signature::now("postwright", "postwright@users.noreply.github.com"))
            .map_err(|e| self.err(e.message()))?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        // libgit2 refuses the update when the branch moved since we read its
        // tip, so two writers cannot silently drop each other's commit.
        repo.commit(
            Some(&self.refname()),
            &signature,
            &signature,
            message,
            &tree,
            &parents,
        )
        .map_err(|e| self.err(e.message()))?;
        Ok(())
    }

    fn location(&self) -> String {
        format!("branch {}", self.branch)
    }
}
