//! Reading the record out of a commit of the state branch, and the record
//! a read-only command finds without writing anything (see
//! [`crate::state::read_only`] for which copy, and why).

use super::{GitStore, FILE, LEASE_FILE};
use crate::state::read_only::{decide, doubt, Asking, Checkout, Snapshot, Source, Step};
use crate::state::{parse, Lease, State, StateError, Store};
use git2::{Commit, Direction, Oid, Repository};
use std::path::Path;

impl GitStore {
    /// A file of `commit`'s tree, as text.
    fn file_in(
        &self,
        repo: &Repository,
        commit: &Commit<'_>,
        name: &str,
    ) -> Result<Option<String>, StateError> {
        let tree = commit.tree().map_err(|e| self.err(e.message()))?;
        let Ok(entry) = tree.get_path(Path::new(name)) else {
            return Ok(None);
        };
        let blob = repo
            .find_blob(entry.id())
            .map_err(|e| self.err(e.message()))?;
        std::str::from_utf8(blob.content())
            .map(|t| Some(t.to_string()))
            .map_err(|e| StateError::Corrupt {
                at: format!("{} ({name})", self.location()),
                detail: e.to_string(),
            })
    }

    fn state_in(&self, repo: &Repository, commit: &Commit<'_>) -> Result<State, StateError> {
        match self.file_in(repo, commit, FILE)? {
            Some(text) => parse(&text, &self.location()),
            None => Err(StateError::Corrupt {
                at: self.location(),
                detail: format!("commit {} has no {FILE}", commit.id()),
            }),
        }
    }

    fn lease_in(
        &self,
        repo: &Repository,
        commit: &Commit<'_>,
    ) -> Result<Option<Lease>, StateError> {
        match self.file_in(repo, commit, LEASE_FILE)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| StateError::Corrupt {
                    at: format!("{} ({LEASE_FILE})", self.location()),
                    detail: e.to_string(),
                }),
        }
    }

    /// The record at the local branch's tip (empty when there is none).
    pub(super) fn read_state(&self, repo: &Repository) -> Result<State, StateError> {
        match self.local_tip(repo)? {
            Some(commit) => self.state_in(repo, &commit),
            None => Ok(State::default()),
        }
    }

    /// The lease at the local branch's tip.
    pub(super) fn read_lease(&self, repo: &Repository) -> Result<Option<Lease>, StateError> {
        match self.local_tip(repo)? {
            Some(commit) => self.lease_in(repo, &commit),
            None => Ok(None),
        }
    }

    /// The record and lease of commit `tip`, found as `source`. A lease
    /// that cannot be read is apply's concern, not a reader's.
    fn snapshot_at(
        &self,
        repo: &Repository,
        tip: Oid,
        source: Source,
    ) -> Result<Snapshot, StateError> {
        let commit = repo.find_commit(tip).map_err(|e| self.err(e.message()))?;
        Ok(Snapshot {
            state: self.state_in(repo, &commit)?,
            lease: self.lease_in(repo, &commit).ok().flatten(),
            source,
        })
    }

    /// The record for a command that only reads: from what the checkout
    /// fetched, the remote only as [`decide`] says; never a write to the
    /// local branch, and a refused remote is a doubt, not an error.
    pub(super) fn snapshot(&self, asking: Asking) -> Result<Snapshot, StateError> {
        let repo = self.open()?;
        let Some(remote) = self.remote(&repo)? else {
            let commit = self.local_tip(&repo)?;
            return match commit {
                Some(c) => self.snapshot_at(&repo, c.id(), Source::Kept),
                None => Ok(Snapshot::empty(Source::Kept)),
            };
        };
        let tracking = self.tracking(&remote);
        let absent = |asked| Source::Absent {
            remote: remote.clone(),
            branch: self.branch.clone(),
            asked,
        };
        match decide(self.checkout(&repo, &remote), asking) {
            Step::Fetched => {
                let tip = repo
                    .refname_to_id(&tracking)
                    .map_err(|e| self.err(e.message()))?;
                self.snapshot_at(&repo, tip, Source::Fetched { tracking })
            }
            Step::Absent => Ok(Snapshot::empty(absent(false))),
            Step::Unknown(gap) => Ok(Snapshot::empty(Source::Unknown(doubt(
                gap,
                &remote,
                &self.branch,
                None,
            )))),
            Step::Ask(gap) => match self.fetch_tracking(&repo, &remote) {
                Ok(Some(tip)) => self.snapshot_at(&repo, tip, Source::Remote { remote }),
                Ok(None) => Ok(Snapshot::empty(absent(true))),
                Err(StateError::Remote { detail, .. }) => Ok(Snapshot::empty(Source::Unknown(
                    doubt(gap, &remote, &self.branch, Some(&detail)),
                ))),
                Err(e) => Err(e),
            },
        }
    }

    /// What this clone has of `remote`'s branches.
    fn checkout(&self, repo: &Repository, remote: &str) -> Checkout {
        let tracking = self.tracking(remote);
        let branch_ref = self.refname();
        let others = repo
            .references_glob(&format!("refs/remotes/{remote}/*"))
            .is_ok_and(|mut refs| refs.next().is_some());
        let maps_branch = repo.find_remote(remote).is_ok_and(|r| {
            r.refspecs().any(|s| {
                s.direction() == Direction::Fetch
                    && s.src_matches(&branch_ref)
                    && s.transform(&branch_ref)
                        .is_ok_and(|to| to.as_str().is_ok_and(|t| t == tracking))
            })
        });
        Checkout {
            branch: repo.refname_to_id(&tracking).is_ok(),
            others,
            every_branch: maps_branch && !repo.is_shallow(),
        }
    }
}
