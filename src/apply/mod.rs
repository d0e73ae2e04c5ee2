//! Executes a plan through a platform's [`Publisher`] (Instagram's Graph
//! API in the CLI; a fake in the unit tests), journaling every step.
//!
//! Order of work, per account: resolve interrupted publishes (`resume`)
//! first, read the publishing quota, create containers for the due posts
//! (concurrently, bounded), wait for them to finish processing, then publish
//! one at a time in plan order — publish order is grid order.
//!
//! Exactly-once rules:
//! - the state is saved after every step that changed the outside world;
//! - before `media_publish` the post is journaled as `publishing` with its
//!   container id; after any failure or lost answer, the container's
//!   state decides ([`ContainerState::Published`]: it is live, find it;
//!   `Finished`: publishing may be tried; else rebuild);
//! - a first comment is looked for before it is posted again.

mod account;
mod after;
mod containers;
#[cfg(test)]
mod fake;
mod flight;
mod guards;
mod journal;
mod native;
mod outcome;
mod publish;
#[cfg(test)]
mod tests;
mod twin;

use crate::config::{Config, VideoUpload};
use crate::content::PostType;
use crate::hosting::Hosting;
use crate::plan::{Action, Entry as PlanEntry, Plan};
use crate::platform::{
    AccountWork, ContainerState, ContainerStatus, ErrorClass, Failure, Feed, LiveMedia,
    PlatformError, Prepare, PrepareError, Publisher,
};
use crate::state::{Record as StateEntry, State, StateError, Status, Store};
use crate::validate::ValidPost;
use guards::Resumed;
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use account::{AccountJob, Run};
pub use flight::{panic_message, Flight};
use journal::Journal;
use outcome::outcome;
pub use outcome::{deferred, held, Outcome, Progress, Report, Stderr, Stopped, Verdict, Why};

/// Settings of one apply run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Only these post ids (empty: all).
    pub only: Vec<String>,
    pub prune: bool,
    pub concurrency: usize,
    pub poll_interval: Duration,
    pub max_wait: Duration,
    /// See `[api] adopt_window_hours`: how far back possible twins are
    /// looked for; zero turns the guard off for posts without a journal.
    pub adopt_window: Duration,
    /// Set on SIGINT/SIGTERM: no new step starts; the one in flight finishes.
    pub interrupted: Arc<AtomicBool>,
    /// What the journal last wrote, for the word after a panic.
    pub flight: Flight,
}

impl Options {
    pub fn from_config(config: &Config, only: Vec<String>, prune: bool) -> Options {
        Options {
            only,
            prune,
            concurrency: config.api.concurrency.clamp(1, 16),
            poll_interval: Duration::from_millis(config.api.poll_interval_ms.max(1)),
            max_wait: Duration::from_secs(config.api.max_wait_secs.max(1)),
            adopt_window: Duration::from_secs(config.api.adopt_window_hours.saturating_mul(3600)),
            interrupted: Arc::new(AtomicBool::new(false)),
            flight: Flight::default(),
        }
    }
}

/// Everything apply needs.
pub struct Context<'a> {
    pub repo: &'a Path,
    pub config: &'a Config,
    pub plan: &'a Plan,
    /// The valid targets, by (post id, account).
    pub posts: HashMap<(&'a str, &'a str), &'a ValidPost>,
    pub hosting: &'a Hosting,
    /// `[media] store`, opened (repo media are uploaded there).
    pub media_store: Option<Arc<crate::hosting::store::MediaStore>>,
    pub store: &'a dyn Store,
    pub state: State,
    pub options: Options,
    /// The commit the post files come from, with the files that differ
    /// from it (see [`crate::plan::base::head`]); recorded with each post
    /// published.
    pub source: Option<crate::plan::base::Head>,
    /// Targets (post id, account) whose media are not ready (a Git LFS
    /// object that could not be fetched, or failed its checks once
    /// fetched), and why: each fails alone, before any container is made.
    pub blocked: HashMap<(String, String), String>,
}

/// A post ready to be published: its container and what went into it.
#[derive(Debug, Clone)]
struct Ready {
    id: String,
    container_id: String,
}

/// Runs the plan. State errors abort the run at once (continuing without a
/// journal could post twice); everything else is per post.
pub async fn apply(ctx: Context<'_>, progress: &mut dyn Progress) -> Result<Report, StateError> {
    let plan = ctx.plan;
    let wanted = |id: &str| ctx.options.only.is_empty() || ctx.options.only.iter().any(|o| o == id);
    let entries: Vec<&PlanEntry> = plan.entries.iter().filter(|e| wanted(&e.id)).collect();
    let mut journal = Journal {
        state: ctx.state.clone(),
        store: ctx.store,
        flight: ctx.options.flight.clone(),
        owed: None,
    };
    let mut outcomes = Vec::new();

    // Renames first: they touch only the state.
    // A `resume` can carry a rename too: re-key before resuming under the new id.
    for e in &entries {
        let Some(from) = &e.moved_from else { continue };
        if let Some(mut old) = journal.state.remove(from, e.acct()) {
            old.file = e.file.clone();
            // The same content hash, so the same media: a record from before
            // postwright kept media hashes gets them here.
            if old.media_hash.is_none()
                && Some(old.content_hash.as_str()) == e.content_hash.as_deref()
            {
                old.media_hash = e.media_hash.clone();
                old.caption_hash = e.caption_hash.clone();
            }
            journal.state.insert(&e.id, old);
            journal.save(&format!("moved {from} → {} ({})", e.id, e.file))?;
            progress.line(&format!("→ {}: re-keyed from `{from}`", e.file));
            if e.action == Action::Moved {
                outcomes.push(outcome(
                    e,
                    Verdict::Moved,
                    &journal.state,
                    format!("state re-keyed from `{from}`"),
                ));
            }
        }
    }

    // Due posts held for a person: said, never passed over.
    outcomes.extend(held(plan, &ctx.options.only));

    // The rest, account by account.
    let mut warnings = Vec::new();
    let mut stopped: Option<StateError> = None;
    let mut accounts: BTreeMap<String, Vec<&PlanEntry>> = BTreeMap::new();
    for e in &entries {
        if e.calls_meta(ctx.options.prune) {
            let account = e.account.clone().unwrap_or_default();
            accounts.entry(account).or_default().push(e);
        }
    }
    // Accounts with nothing to do but permalinks an earlier run did not
    // get to read (it ended between a publish and the end of its run).
    for (id, r) in journal.state.records() {
        if wanted(id)
            && r.status == Status::Published
            && r.media_id.is_some()
            && r.permalink.is_none()
            && ctx.config.accounts.contains_key(&r.account)
        {
            accounts.entry(r.account.clone()).or_default();
        }
    }
    for (name, entries) in accounts {
        let mut run = Run {
            ctx: &ctx,
            journal: &mut journal,
            outcomes: &mut outcomes,
            progress,
            warnings: &mut warnings,
            username: None,
        };
        let Some(account) = ctx.config.accounts.get(&name) else {
            run.fail_all(
                &name,
                &entries,
                &format!("no account `{name}` in {}", ctx.config.file),
            );
            continue;
        };
        // The registry builds the account's publisher, whatever its
        // platform; a publisher that cannot be made (a missing token)
        // fails the account's posts before any call.
        let job = AccountJob {
            run: &mut run,
            name: &name,
            entries: &entries,
        };
        let ran =
            crate::platform::with_publisher(account.platform, ctx.config, &name, account, job)
                .await;
        let ran = match ran {
            Ok(ran) => ran,
            Err(why) => {
                run.fail_all(&name, &entries, &why);
                continue;
            }
        };
        if let Err(err) = ran {
            if !err.stops_run() {
                return Err(err);
            }
            stopped = Some(err);
            break;
        }
    }

    // The record could not reach the remote, or another writer took over:
    // whatever was not done is left for the next run, and said so.
    if let Some(err) = &stopped {
        let why = err.in_apply();
        progress.line(&format!("⏸ {why}"));
        for e in &entries {
            let has_work = e.calls_meta(ctx.options.prune);
            if has_work && !outcomes.iter().any(|o| o.key() == e.key()) {
                progress.line(&format!("⏸ {}: not attempted", e.file));
                outcomes.push(
                    outcome(
                        e,
                        Verdict::Deferred,
                        &journal.state,
                        format!("not attempted: {why}"),
                    )
                    .because(Why::Record),
                );
            }
        }
    }

    // Outcomes in plan order.
    let order: HashMap<(&str, &str), usize> = plan
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.key(), i))
        .collect();
    outcomes.sort_by_key(|o| order.get(&o.key()).copied().unwrap_or(usize::MAX));
    let uploads = ctx.media_store.as_ref().map(|s| s.uploads());
    // Deferred posts exit 0: a store that refuses every run must still be
    // seen (a warning is an annotation on GitHub).
    if let Some(u) = uploads.as_ref().filter(|u| u.failed > 0) {
        warnings.push(format!(
            "the media store {} could not take {} file{}; their posts wait for a later run (the reasons are above)",
            u.store,
            u.failed,
            if u.failed == 1 { "" } else { "s" }
        ));
    }
    Ok(Report {
        at: Timestamp::now(),
        outcomes,
        interrupted: ctx.options.interrupted.load(Ordering::SeqCst),
        warnings,
        uploads,
        stopped: stopped.map(|e| Stopped {
            fails: !matches!(e, StateError::Conflict { .. }),
            message: e.in_apply(),
        }),
    })
}

struct AccountRun<'c, 'j, P: Publisher> {
    ctx: &'c Context<'c>,
    /// The account's name in postwright.toml.
    account: String,
    publisher: P,
    journal: &'j mut Journal<'c>,
    outcomes: &'j mut Vec<Outcome>,
    progress: &'j mut dyn Progress,
    /// Set when an error stops every further call for the account.
    stopped: Option<AccountStop>,
    /// The account's newest media, feed and stories, read once per run
    /// for the lost-record guard.
    recent: HashMap<Feed, Vec<LiveMedia>>,
    /// The first post that did not go out for a passing reason (transient
    /// error, still processing, rate limit): no later post is published in
    /// this run, because publish order is grid order.
    held: Option<String>,
    /// The account's username, from the token check (to know our comments).
    username: Option<String>,
}

/// Why every further call for an account stopped.
#[derive(Debug, Clone)]
struct AccountStop {
    why: String,
    /// Whether the posts it stops count as failed (a rate limit defers them).
    fails: bool,
}

impl<P: Publisher> AccountRun<'_, '_, P> {
    async fn run(&mut self, entries: &[&PlanEntry]) -> Result<(), StateError> {
        // 0. The platform's own scheduler: hand-overs, moves, cancels.
        let entries = &self.native_steps(entries).await?[..];
        // 1. Interrupted publishes, before anything new is created.
        let mut ready: Vec<Ready> = Vec::new();
        let mut to_build: Vec<&PlanEntry> = Vec::new();
        for e in entries.iter().filter(|e| e.action == Action::Resume) {
            if self.halted() {
                self.defer(e);
                continue;
            }
            match self.resume(e).await? {
                Resumed::Done => {}
                Resumed::Ready(r) => ready.push(r),
                Resumed::Rebuild => to_build.push(e),
            }
        }

        let to_build = self.ready_media(to_build)?;

        // 2. The quota decides how many new posts go out now.
        let due: Vec<&PlanEntry> = entries
            .iter()
            .copied()
            .filter(|e| e.action == Action::Publish)
            .collect();
        let due = self.ready_media(due)?;
        let mut room = usize::MAX;
        let work = !due.is_empty() || !ready.is_empty() || !to_build.is_empty();
        if work && self.publisher.capabilities().quota {
            match self.publisher.quota().await {
                Ok(q) => {
                    room = usize::try_from(q.total.saturating_sub(q.used)).unwrap_or(usize::MAX);
                    self.progress.line(&format!(
                        "publishing limit: {} of {} used in the last 24 h",
                        q.used, q.total
                    ));
                }
                Err(err) => self.account_error(&err),
            }
        }
        let mut queue: Vec<&PlanEntry> = to_build;
        for e in due {
            if self.halted() {
                queue.push(e);
                continue;
            }
            if self.lost_record_guard(e).await? {
                queue.push(e);
            }
        }
        // The quota goes to the earliest posts first.
        queue.sort_by(|a, b| grid_order(a, b));
        let slots = room.saturating_sub(ready.len());
        if queue.len() > slots {
            for e in queue.split_off(slots) {
                self.progress.line(&format!(
                    "⏸ {}: deferred, the publishing limit is reached",
                    e.file
                ));
                self.outcomes.push(
                    outcome(
                        e,
                        Verdict::Deferred,
                        &self.journal.state,
                        "the account's 24-hour publishing limit is reached; a later run publishes it"
                            .into(),
                    )
                    .because(Why::Quota),
                );
            }
        }

        // 3. Containers for the rest, created concurrently.
        if !self.halted() {
            let built = self.build_all(&queue).await?;
            ready.extend(built);
        } else {
            for e in &queue {
                self.defer(e);
            }
        }

        // 4. Publish, one at a time, in publish_at order (then id), resumed
        // posts among the new ones: the grid shows posts in the order they
        // went out. Each goes out as soon as its container is ready and
        // every post before it has gone out or dropped out, so the images
        // at the head of the grid do not wait for a video further down.
        // A due post that did not go out for a passing reason holds the
        // ones still waiting (`hold`).
        let mut due_order: Vec<&PlanEntry> = entries
            .iter()
            .copied()
            .filter(|e| matches!(e.action, Action::Publish | Action::Resume))
            .collect();
        due_order.sort_by(|a, b| grid_order(a, b));
        let mut grid = publish::Grid::new(due_order);
        let left = self.wait_all(ready, entries, Some(&mut grid)).await?;
        grid.ready(left);
        self.publish_due(&mut grid, &Default::default()).await?;

        // 5. Updates and deletes.
        for e in entries.iter().filter(|e| e.action == Action::Update) {
            if self.halted() {
                self.defer(e);
                continue;
            }
            self.update(e).await?;
        }
        for e in entries.iter().filter(|e| e.action == Action::Removed) {
            if self.halted() {
                self.defer(e);
                continue;
            }
            self.delete(e).await?;
        }

        // 6. Permalinks, read together once the publishes are done.
        self.permalinks().await
    }

    /// The account's name in postwright.toml (what state records carry).
    fn account_name(&self) -> String {
        self.account.clone()
    }

    /// No new step starts once the account is stopped or a signal came.
    /// The commit the post's file is as in, when it has no edits since.
    fn source_commit(&self, e: &PlanEntry) -> Option<String> {
        let head = self.ctx.source.as_ref()?;
        (!head.dirty.contains(&e.file)).then(|| head.commit.clone())
    }

    fn halted(&self) -> bool {
        self.stopped.is_some() || self.ctx.options.interrupted.load(Ordering::SeqCst)
    }

    /// A post not attempted because the account stopped or a signal came.
    /// A rate limit or a signal defers it to the next run; a dead token, a
    /// missing permission or a blocked account fails it, so the run exits 1
    /// and somebody looks — scheduled posts must not stop silently.
    fn defer(&mut self, e: &PlanEntry) {
        let (why, verdict, cause) = match &self.stopped {
            Some(AccountStop { why, fails: true }) => (why.clone(), Verdict::Failed, None),
            Some(AccountStop { why, fails: false }) => {
                (why.clone(), Verdict::Deferred, Some(Why::RateLimit))
            }
            None => (
                "interrupted by a signal; run apply again to finish".into(),
                Verdict::Deferred,
                Some(Why::Signal),
            ),
        };
        let mark = if verdict == Verdict::Failed {
            "✗"
        } else {
            "⏸"
        };
        self.progress
            .line(&format!("{mark} {}: not attempted ({why})", e.file));
        let mut done = outcome(
            e,
            verdict,
            &self.journal.state,
            format!("not attempted: {why}"),
        );
        done.why = cause;
        self.outcomes.push(done);
    }

    /// Records an error; account-level ones stop further calls.
    fn account_error(&mut self, err: &P::Error) {
        if err.class().stops_account() && self.stopped.is_none() {
            let why = crate::hosting::redact::urls(&err.explain());
            self.progress
                .line(&format!("✗ account {}: {why}", self.publisher.account()));
            let fails = err.class() != ErrorClass::RateLimited;
            self.stopped = Some(AccountStop { why, fails });
        }
    }

    fn fail(&mut self, e: &PlanEntry, message: String) {
        let message = crate::hosting::redact::urls(&message);
        self.progress.line(&format!("✗ {}: {message}", e.file));
        self.outcomes
            .push(outcome(e, Verdict::Failed, &self.journal.state, message));
    }

    /// The post's state entry, made when the state does not know it yet,
    /// set to `status`. `None` for a post not among the valid ones.
    fn record(&mut self, e: &PlanEntry, status: Status) -> Option<&mut StateEntry> {
        let post = self.ctx.posts.get(&e.key()).copied()?;
        let entry = self.journal.state.get_or_insert(&e.id, &post.account, || {
            StateEntry::new(
                status,
                &e.file,
                &post.account,
                post.kind,
                e.content_hash.as_deref().unwrap_or_default(),
            )
        });
        entry.status = status;
        if e.media_hash.is_some() {
            entry.media_hash = e.media_hash.clone();
            entry.caption_hash = e.caption_hash.clone();
        }
        Some(entry)
    }

    /// Records that a post failed before anything went public.
    fn record_failure(&mut self, e: &PlanEntry, message: &str) -> Result<(), StateError> {
        let Some(entry) = self.record(e, Status::Failed) else {
            return Ok(());
        };
        let message = crate::hosting::redact::urls(message);
        entry.last_error = Some(message.clone());
        self.journal.save(&format!("failed {}: {message}", e.id))
    }

    /// `list` without the posts whose media are not ready (see
    /// [`Context::blocked`]), each of those failed and recorded.
    fn ready_media<'e>(
        &mut self,
        list: Vec<&'e PlanEntry>,
    ) -> Result<Vec<&'e PlanEntry>, StateError> {
        let mut ready = Vec::with_capacity(list.len());
        for e in list {
            let key = (e.id.clone(), e.acct().to_string());
            match self.ctx.blocked.get(&key) {
                Some(why) => {
                    self.record_failure(e, why)?;
                    self.fail(e, why.clone());
                }
                None => ready.push(e),
            }
        }
        Ok(ready)
    }

    /// Marks a post that did not go out for a passing reason: later posts
    /// of the account wait for it, so the grid keeps its order.
    fn hold(&mut self, e: &PlanEntry) {
        self.held.get_or_insert_with(|| e.file.clone());
    }
}

/// Grid order: by `publish_at`, then id.
fn grid_order(a: &PlanEntry, b: &PlanEntry) -> std::cmp::Ordering {
    (a.publish_at, &a.id).cmp(&(b.publish_at, &b.id))
}
