//! The git backend: the record as `state.json` on a branch of its own, on
//! the remote where the next run reads it.
//!
//! Commits are made straight in the object database (blob, tree, commit,
//! ref update) through libgit2, never through the work tree or the index,
//! so a run on a checkout with local edits leaves them alone. Each save is
//! one commit whose message says what changed; the branch's history is the
//! publishing log. Talking to the remote is the `git` command line's job
//! (see [`super::git_cli`]).
//!
//! With a remote (`[state] remote`, `origin` by default):
//! - `load` fetches the branch; the remote's copy wins over the local one;
//! - a [`Reach::Shared`] save is pushed before `save` returns, as a
//!   compare-and-swap (`--force-with-lease` on the tip this run last saw),
//!   so a write never lands on top of a record it did not read;
//! - the lease lives in the same tree (`lease.json`), so the swap that
//!   guards the record guards the lease with it.
//!
//! A rejected swap is [`StateError::Conflict`] (another writer); a remote
//! that cannot be reached or refuses is [`StateError::Remote`].

use super::git_cli::{self, Ran};
use super::read_only::{Asking, Snapshot};
use super::{render, Lease, Locked, Reach, State, StateError, Store};
use git2::{ErrorCode, Oid, Repository, Signature};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

mod snapshot;

/// The record's file name inside the branch.
pub const FILE: &str = "state.json";
/// The lease's file name inside the branch, while one is held.
pub const LEASE_FILE: &str = "lease.json";

pub struct GitStore {
    repo: PathBuf,
    branch: String,
    /// As configured: `None` is "origin when there is one", `""` local only.
    remote_setting: Option<String>,
    ttl: Duration,
    /// The remote in use, once worked out (`None` inside: local only).
    remote: OnceLock<Option<String>>,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The remote's tip as this run last saw it (fetched or pushed): what
    /// the next push expects to replace. `None`: the remote has no branch.
    seen: Option<Oid>,
    /// Our lease, while we hold it.
    lease: Option<Lease>,
    /// When the remote last heard from us.
    last_push: Option<Instant>,
}

/// What a commit does with the lease file.
enum LeaseChange<'a> {
    Keep,
    Set(&'a Lease),
    Remove,
}

impl GitStore {
    pub fn new(repo: &Path, branch: &str, remote: Option<&str>, ttl: Duration) -> GitStore {
        GitStore {
            repo: repo.to_path_buf(),
            branch: branch.to_string(),
            remote_setting: remote.map(str::to_string),
            ttl,
            remote: OnceLock::new(),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn refname(&self) -> String {
        format!("refs/heads/{}", self.branch)
    }

    /// The branch's remote-tracking ref: where a fetch (ours, or the
    /// checkout's) leaves the remote's copy.
    fn tracking(&self, remote: &str) -> String {
        format!("refs/remotes/{remote}/{}", self.branch)
    }

    fn err(&self, detail: impl std::fmt::Display) -> StateError {
        StateError::Git {
            at: self.location(),
            detail: detail.to_string(),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
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

    /// The remote in use: the configured one (which must exist), or
    /// `origin` when it exists and none is configured.
    fn remote(&self, repo: &Repository) -> Result<Option<String>, StateError> {
        if let Some(r) = self.remote.get() {
            return Ok(r.clone());
        }
        let resolved = match self.remote_setting.as_deref() {
            Some("") => None,
            Some(name) => {
                if repo.find_remote(name).is_err() {
                    return Err(self.err(format!(
                        "[state] remote = \"{name}\", but this repository has no remote `{name}`: add it (`git remote add {name} URL`), or set remote = \"\" to keep the record only in this clone"
                    )));
                }
                Some(name.to_string())
            }
            None => repo
                .find_remote("origin")
                .ok()
                .map(|_| "origin".to_string()),
        };
        Ok(self.remote.get_or_init(|| resolved).clone())
    }

    fn git(&self, args: &[&str]) -> Result<Ran, StateError> {
        git_cli::git(&self.repo, args).map_err(|e| self.err(format!("cannot run git: {e}")))
    }

    fn remote_error(&self, remote: &str, doing: &'static str, detail: String) -> StateError {
        StateError::Remote {
            at: self.location(),
            remote: remote.to_string(),
            doing,
            detail,
            fix: format!(
                "Check that `git ls-remote {remote}` works from this checkout and that it may push to {} (in GitHub Actions: `permissions: contents: write`, actions/checkout with persist-credentials, and no branch protection on {})",
                self.refname(),
                self.branch
            ),
        }
    }

    /// The remote's tip of the branch (`None`: it has none).
    fn remote_tip(&self, remote: &str) -> Result<Option<Oid>, StateError> {
        let refname = self.refname();
        let ran = self.git(&["ls-remote", "--exit-code", remote, &refname])?;
        match ran.code {
            Some(0) => {
                let hex = ran.stdout.split_whitespace().next().unwrap_or_default();
                Oid::from_str(hex).map(Some).map_err(|_| {
                    self.remote_error(
                        remote,
                        "read from",
                        format!("unexpected answer `{}`", ran.stdout.trim()),
                    )
                })
            }
            Some(2) => Ok(None),
            _ => Err(self.remote_error(remote, "read from", ran.why())),
        }
    }

    /// Brings the remote's copy here: it replaces the local branch (the
    /// remote is the record; local commits that never reached it hold only
    /// what the next run can find out by reading). A remote without the
    /// branch keeps the local one, which the first push sends.
    fn fetch(&self, repo: &Repository, remote: &str, inner: &mut Inner) -> Result<(), StateError> {
        let Some(tip) = self.fetch_tracking(repo, remote)? else {
            inner.seen = None;
            return Ok(());
        };
        self.set_local(repo, tip, "postwright: the remote's record")?;
        inner.seen = Some(tip);
        Ok(())
    }

    /// Asks the remote for the branch's tip and fetches it into the
    /// remote-tracking ref, nothing else (`None`: the remote has no branch).
    fn fetch_tracking(&self, repo: &Repository, remote: &str) -> Result<Option<Oid>, StateError> {
        let Some(tip) = self.remote_tip(remote)? else {
            return Ok(None);
        };
        let tracking = self.tracking(remote);
        if repo.find_commit(tip).is_err() {
            let spec = format!("+{}:{tracking}", self.refname());
            let ran = self.git(&["fetch", "--no-tags", "--quiet", remote, &spec])?;
            if !ran.ok() {
                return Err(self.remote_error(remote, "read from", ran.why()));
            }
        }
        // The fetch may have brought a newer tip than ls-remote saw.
        let tip = match repo.refname_to_id(&tracking) {
            Ok(fetched)
                if fetched != tip && repo.graph_descendant_of(fetched, tip).unwrap_or(false) =>
            {
                fetched
            }
            _ => tip,
        };
        repo.reference(&tracking, tip, true, "postwright: fetched")
            .map_err(|e| self.err(e.message()))?;
        Ok(Some(tip))
    }

    fn set_local(&self, repo: &Repository, to: Oid, why: &str) -> Result<(), StateError> {
        self.remove_stale_lock(repo)?;
        repo.reference(&self.refname(), to, true, why)
            .map(|_| ())
            .map_err(|e| self.err(e.message()))
    }

    /// A leftover `refs/heads/<branch>.lock` comes from a writer killed
    /// between creating and renaming it; libgit2 would refuse every later
    /// write. Called holding the writer lock.
    fn remove_stale_lock(&self, repo: &Repository) -> Result<(), StateError> {
        let stale = repo.path().join(format!("{}.lock", self.refname()));
        if stale.exists() {
            std::fs::remove_file(&stale)
                .map_err(|e| self.err(format!("cannot remove {}: {e}", stale.display())))?;
        }
        Ok(())
    }

    fn local_tip<'r>(&self, repo: &'r Repository) -> Result<Option<git2::Commit<'r>>, StateError> {
        match repo.find_reference(&self.refname()) {
            Ok(r) => r
                .peel_to_commit()
                .map(Some)
                .map_err(|e| self.err(e.message())),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(self.err(e.message())),
        }
    }

    /// One commit on the local branch: the record (`None`: unchanged) and
    /// the lease as asked. Returns (new tip, previous tip).
    fn commit(
        &self,
        repo: &Repository,
        state: Option<&State>,
        lease: LeaseChange<'_>,
        message: &str,
    ) -> Result<(Oid, Option<Oid>), StateError> {
        // Writers of the branch on this machine take an exclusive lock on a
        // file of their own (the kernel drops it when a process dies).
        let guard = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(repo.path().join("postwright-state.lock"))
            .map_err(|e| self.err(format!("cannot open the writer lock: {e}")))?;
        guard
            .lock()
            .map_err(|e| self.err(format!("cannot take the writer lock: {e}")))?;
        self.remove_stale_lock(repo)?;
        let parent = self.local_tip(repo)?;
        let old_tree = parent
            .as_ref()
            .map(|p| p.tree())
            .transpose()
            .map_err(|e| self.err(e.message()))?;
        let mut builder = repo
            .treebuilder(old_tree.as_ref())
            .map_err(|e| self.err(e.message()))?;
        let text = match state {
            Some(s) => Some(render(s)),
            None if parent.is_none() => Some(render(&State::default())),
            None => None,
        };
        if let Some(text) = text {
            let blob = repo
                .blob(text.as_bytes())
                .map_err(|e| self.err(e.message()))?;
            builder
                .insert(FILE, blob, 0o100644)
                .map_err(|e| self.err(e.message()))?;
        }
        match lease {
            LeaseChange::Keep => {}
            LeaseChange::Set(l) => {
                // Cannot fail: a lease is strings and timestamps.
                let mut text = serde_json::to_string_pretty(l).expect("a lease serialises");
                text.push('\n');
                let blob = repo
                    .blob(text.as_bytes())
                    .map_err(|e| self.err(e.message()))?;
                builder
                    .insert(LEASE_FILE, blob, 0o100644)
                    .map_err(|e| self.err(e.message()))?;
            }
            LeaseChange::Remove => {
                if builder
                    .get(LEASE_FILE)
                    .map_err(|e| self.err(e.message()))?
                    .is_some()
                {
                    builder
                        .remove(LEASE_FILE)
                        .map_err(|e| self.err(e.message()))?;
                }
            }
        }
        let tree_id = builder.write().map_err(|e| self.err(e.message()))?;
        let tree = repo.find_tree(tree_id).map_err(|e| self.err(e.message()))?;
        // CI runners often have no git identity; the record still needs an author.
        let signature = repo
            .signature()
            .or_else(|_| Signature::now("postwright", "postwright@users.noreply.github.com"))
            .map_err(|e| self.err(e.message()))?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        // libgit2 refuses the update when the branch moved since we read its
        // tip, so two writers here cannot silently drop each other's commit.
        let id = repo
            .commit(
                Some(&self.refname()),
                &signature,
                &signature,
                message,
                &tree,
                &parents,
            )
            .map_err(|e| self.err(e.message()))?;
        Ok((id, parent.map(|p| p.id())))
    }

    /// Sends the local tip to the remote, replacing exactly the tip this
    /// run last saw there.
    fn push(&self, repo: &Repository, remote: &str, inner: &mut Inner) -> Result<(), StateError> {
        let Some(tip) = self.local_tip(repo)?.map(|c| c.id()) else {
            return Ok(());
        };
        if inner.seen == Some(tip) {
            return Ok(());
        }
        let refname = self.refname();
        let spec = format!("{tip}:{refname}");
        let expect = format!(
            "--force-with-lease={refname}:{}",
            inner.seen.map(|o| o.to_string()).unwrap_or_default()
        );
        let injected = |why: String| self.remote_error(remote, "sent to", why);
        crate::failpoints::hit("state.push.before").map_or(Ok(()), |m| Err(injected(m)))?;
        // `--no-verify`: the content repo's own pre-push hooks (tests,
        // linters) are for its code, not for the record.
        let ran = self.git(&[
            "push",
            "--quiet",
            "--porcelain",
            "--no-verify",
            remote,
            &spec,
            &expect,
        ])?;
        // After the push, before this run knows whether it landed: what a
        // lost answer from the remote looks like.
        crate::failpoints::hit("state.push.after").map_or(Ok(()), |m| Err(injected(m)))?;
        let landed = if ran.ok() {
            true
        } else {
            // Did it land anyway (an answer lost on the way back)?
            match self.remote_tip(remote) {
                Ok(Some(now)) if now == tip => true,
                Ok(now) if now == inner.seen => {
                    return Err(self.remote_error(remote, "sent to", ran.why()));
                }
                // The remote has a commit of this run's own history that
                // this run never learned had landed (it stopped right after
                // that push: a panic, then a release): no other writer is
                // there, so the swap is made against it. Not recursive
                // twice: `seen` is now that tip.
                Ok(Some(now)) if repo.graph_descendant_of(tip, now).unwrap_or(false) => {
                    inner.seen = Some(now);
                    return self.push(repo, remote, inner);
                }
                Ok(now) => {
                    inner.lease = None;
                    let detail = match now {
                        Some(o) => format!("the branch on `{remote}` moved to {o}"),
                        None => format!("the branch on `{remote}` was deleted"),
                    };
                    return Err(StateError::Conflict {
                        at: self.location(),
                        detail,
                    });
                }
                Err(e) => return Err(e),
            }
        };
        if landed {
            inner.seen = Some(tip);
            inner.last_push = Some(Instant::now());
            let _ = repo.reference(&self.tracking(remote), tip, true, "postwright: pushed");
        }
        Ok(())
    }

    /// Pushes when there is a remote.
    fn share(&self, repo: &Repository, inner: &mut Inner) -> Result<(), StateError> {
        match self.remote(repo)? {
            Some(remote) => self.push(repo, &remote, inner),
            None => Ok(()),
        }
    }
}

impl Store for GitStore {
    fn load(&self) -> Result<State, StateError> {
        let repo = self.open()?;
        let mut inner = self.inner();
        if let Some(remote) = self.remote(&repo)? {
            self.fetch(&repo, &remote, &mut inner)?;
        }
        self.read_state(&repo)
    }

    fn read_only(&self, asking: Asking) -> Result<Snapshot, StateError> {
        self.snapshot(asking)
    }

    fn local_only_note(&self) -> Option<String> {
        let repo = self.open().ok()?;
        match (self.remote_setting.as_deref(), self.remote(&repo)) {
            (None, Ok(None)) => Some(format!(
                "this repository has no remote `origin`, so the state record ({}) stays in this clone only: a run elsewhere would not see it. Add the remote, or set [state] remote = \"\" to say this is meant",
                self.location()
            )),
            _ => None,
        }
    }

    fn save(&self, state: &State, message: &str, reach: Reach) -> Result<(), StateError> {
        let repo = self.open()?;
        let mut inner = self.inner();
        let ttl = self.ttl;
        let lease = inner.lease.as_mut().map(|l| {
            l.renew(ttl);
            l.clone()
        });
        let change = match &lease {
            Some(l) => LeaseChange::Set(l),
            None => LeaseChange::Keep,
        };
        self.commit(&repo, Some(state), change, message)?;
        if reach == Reach::Shared {
            self.share(&repo, &mut inner)?;
        }
        Ok(())
    }

    fn location(&self) -> String {
        let remote = match self.remote.get().cloned().flatten() {
            Some(r) => format!(" on {r}"),
            None => String::new(),
        };
        format!("branch {}{remote}", self.branch)
    }

    fn lock(&self) -> Result<Locked, StateError> {
        let repo = self.open()?;
        let mut inner = self.inner();
        if inner.lease.is_some() {
            return Ok(Locked::Acquired { took_over: None });
        }
        let took_over = match self.read_lease(&repo)? {
            Some(l) if l.live(jiff::Timestamp::now()) && !l.holder_gone() => {
                return Ok(Locked::Held(l))
            }
            other => other,
        };
        let mine = Lease::mine(Some(self.ttl));
        let mut message = format!("lease: taken by {} ({})", mine.holder, mine.id);
        if let Some(old) = &took_over {
            message.push_str(&format!(
                "\n\nTook over the lease {} of {} ({}).",
                old.id,
                old.holder,
                old.ended()
            ));
        }
        let (_, previous) = self.commit(&repo, None, LeaseChange::Set(&mine), &message)?;
        // Ours from before the push: if the push may have landed and the
        // run then stops (a panic), the release that follows must still
        // try to take it back off the remote.
        inner.lease = Some(mine);
        match self.share(&repo, &mut inner) {
            Ok(()) => Ok(Locked::Acquired { took_over }),
            Err(e) => {
                inner.lease = None;
                // The lease commit never reached the remote: it must not
                // linger here as a live lease of a run that is not running.
                if let Some(p) = previous {
                    let _ = self.set_local(&repo, p, "postwright: lease not taken");
                }
                match e {
                    StateError::Conflict { .. } => Ok(Locked::Moved),
                    e => Err(e),
                }
            }
        }
    }

    fn renew(&self) -> Result<(), StateError> {
        let repo = self.open()?;
        let mut inner = self.inner();
        let ttl = self.ttl;
        // A push within the last third of the lease already renewed it.
        if inner.last_push.is_some_and(|t| t.elapsed() < ttl / 3) {
            return Ok(());
        }
        let Some(lease) = inner.lease.as_mut() else {
            return Ok(());
        };
        lease.renew(ttl);
        let lease = lease.clone();
        self.commit(&repo, None, LeaseChange::Set(&lease), "lease: renewed")?;
        self.share(&repo, &mut inner)
    }

    fn release(&self) -> Result<(), StateError> {
        let repo = self.open()?;
        let mut inner = self.inner();
        let Some(lease) = inner.lease.clone() else {
            return Ok(());
        };
        let message = format!("lease: released by {} ({})", lease.holder, lease.id);
        self.commit(&repo, None, LeaseChange::Remove, &message)?;
        // Ours until the release is on the remote: a release tried again
        // (after a panic in this one) must push it, not say it is done.
        self.share(&repo, &mut inner)?;
        inner.lease = None;
        Ok(())
    }

    fn lease(&self) -> Result<Option<Lease>, StateError> {
        let repo = self.open()?;
        self.read_lease(&repo)
    }

    fn unlock(&self, id: &str) -> Result<Lease, StateError> {
        self.load()?;
        let repo = self.open()?;
        let mut inner = self.inner();
        let current = self.read_lease(&repo)?;
        let lease = match current {
            Some(l) if l.id == id => l,
            Some(l) => {
                return Err(StateError::Unlock(format!(
                    "the lease on {} is held by {}, not `{id}`; nothing was changed",
                    self.location(),
                    l.describe()
                )))
            }
            None => {
                return Err(StateError::Unlock(format!(
                    "no lease is held on {}; nothing to unlock",
                    self.location()
                )))
            }
        };
        let message = format!(
            "lease: {} of {} broken by `postwright state unlock`",
            lease.id, lease.holder
        );
        self.commit(&repo, None, LeaseChange::Remove, &message)?;
        match self.share(&repo, &mut inner) {
            Ok(()) => Ok(lease),
            Err(StateError::Conflict { .. }) => Err(StateError::Unlock(format!(
                "the record on {} changed while unlocking; look again with `postwright state show`",
                self.location()
            ))),
            Err(e) => Err(e),
        }
    }
}
