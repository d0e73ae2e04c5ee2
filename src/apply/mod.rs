//! Executes a plan through the Graph API, journaling every step.
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
//!   `status_code` decides (`PUBLISHED`: it is live, find it; `FINISHED`:
//!   publishing may be tried; else rebuild);
//! - a first comment is looked for before it is posted again.

mod build;
pub mod params;
mod poll;

use crate::config::{Config, Login, VideoUpload};
use crate::content::PostType;
use crate::hosting::Hosting;
use crate::instagram::{ApiError, Client, ErrorClass, MediaInfo};
use crate::plan::{Action, Entry as PlanEntry, Plan};
use crate::state::{Entry as StateEntry, Reach, State, StateError, Status, Store};
use crate::validate::ValidPost;
use build::{BuildError, BuildJob};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Settings of one apply run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Only these post ids (empty: all).
    pub only: Vec<String>,
    pub prune: bool,
    pub concurrency: usize,
    pub poll_interval: Duration,
    pub max_wait: Duration,
    /// See `[api] adopt_window_hours`; zero turns the guard off.
    pub adopt_window: Duration,
    /// Set on SIGINT/SIGTERM: no new step starts; the one in flight finishes.
    pub interrupted: Arc<AtomicBool>,
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
        }
    }
}

/// What happened to one post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Published,
    Updated,
    Moved,
    Deleted,
    /// Not attempted now: quota used up, or the account stopped; a later run does it.
    Deferred,
    Failed,
}

/// One line of the apply report.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: String,
    pub file: String,
    pub action: Action,
    pub result: Verdict,
    pub media_id: Option<String>,
    pub permalink: Option<String>,
    pub message: String,
    /// What a published post still lacks, each with the reason (a first
    /// comment a passing failure kept out): the next apply finishes it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<String>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub at: Timestamp,
    pub outcomes: Vec<Outcome>,
    /// The run was stopped by a signal.
    pub interrupted: bool,
    /// Things to fix soon (a token about to expire).
    pub warnings: Vec<String>,
    /// Why the run stopped starting new work before the end, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Stopped>,
}

/// A run that stopped early because of its record.
#[derive(Debug, Clone, Serialize)]
pub struct Stopped {
    pub message: String,
    /// Someone must fix something (the remote refused or was unreachable);
    /// false when another apply simply took over.
    pub fails: bool,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.outcomes.iter().any(|o| o.result == Verdict::Failed)
            || self.stopped.as_ref().is_some_and(|s| s.fails)
    }
}

/// Where progress lines go (stderr in the CLI; captured in tests).
pub trait Progress: Send {
    /// A step, printed as it happens.
    fn line(&mut self, text: &str);
    /// What the run is waiting for now, for a terminal to show in place
    /// (`None`: nothing). Logs get `line`s every ~10 s instead.
    fn status(&mut self, _text: Option<&str>) {}
}

/// Progress on stderr.
pub struct Stderr;

impl Progress for Stderr {
    fn line(&mut self, text: &str) {
        eprintln!("{text}");
    }
}

/// The journal: the state record and the store it is saved to. Every
/// change is saved before the next outside-world step.
struct Journal<'a> {
    state: State,
    store: &'a dyn Store,
}

impl Journal<'_> {
    /// A change the next run could also find out by reading Instagram: it
    /// may stay on this machine until the next [`Journal::checkpoint`].
    fn save(&mut self, message: &str) -> Result<(), StateError> {
        self.store.save(&self.state, message, Reach::Local)
    }

    /// A change that must be where the next run reads it (the remote)
    /// before the next step: just before `media_publish`, and right after.
    fn checkpoint(&mut self, message: &str) -> Result<(), StateError> {
        self.store.save(&self.state, message, Reach::Shared)
    }

    fn entry(&mut self, id: &str) -> Option<&mut StateEntry> {
        self.state.posts.get_mut(id)
    }
}

/// Everything apply needs.
pub struct Context<'a> {
    pub repo: &'a Path,
    pub config: &'a Config,
    pub plan: &'a Plan,
    pub posts: HashMap<String, &'a ValidPost>,
    pub hosting: &'a Hosting,
    pub store: &'a dyn Store,
    pub state: State,
    pub options: Options,
    /// The commit the post files come from, with the files that differ
    /// from it (see [`crate::plan::base::head`]); recorded with each post
    /// published.
    pub source: Option<crate::plan::base::Head>,
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
    };
    let mut outcomes = Vec::new();

    // Renames first: they touch only the state.
    // A `resume` can carry a rename too: re-key before resuming under the new id.
    for e in &entries {
        let Some(from) = &e.moved_from else { continue };
        if let Some(mut old) = journal.state.posts.remove(from) {
            old.file = e.file.clone();
            // The same content hash, so the same media: a record from before
            // postwright kept media hashes gets them here.
            if old.media_hash.is_none()
                && Some(old.content_hash.as_str()) == e.content_hash.as_deref()
            {
                old.media_hash = e.media_hash.clone();
                old.caption_hash = e.caption_hash.clone();
            }
            journal.state.posts.insert(e.id.clone(), old);
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

    // The rest, account by account.
    let mut warnings = Vec::new();
    let mut stopped: Option<StateError> = None;
    let app = crate::auth::app_from_env();
    let mut accounts: BTreeMap<String, Vec<&PlanEntry>> = BTreeMap::new();
    for e in &entries {
        if e.calls_meta(ctx.options.prune) {
            let account = e.account.clone().unwrap_or_default();
            accounts.entry(account).or_default().push(e);
        }
    }
    for (name, entries) in accounts {
        let client = match ctx.config.accounts.get(&name) {
            Some(account) => Client::for_account(ctx.config, &name, account),
            None => Err(ApiError::MissingToken {
                var: "(no such account)".into(),
                account: name.clone(),
            }),
        };
        // Said once for the account, then one short line per post.
        let fail_all = |why: &str, progress: &mut dyn Progress, outcomes: &mut Vec<Outcome>| {
            progress.line(&format!("✗ account {name}: {why}"));
            for e in &entries {
                progress.line(&format!(
                    "✗ {}: not attempted (account {name}, see above)",
                    e.file
                ));
                outcomes.push(outcome(
                    e,
                    Verdict::Failed,
                    &journal.state,
                    format!("account {name}: {why}"),
                ));
            }
        };
        let client = match client {
            Ok(c) => c,
            Err(err) => {
                fail_all(&err.explain(), progress, &mut outcomes);
                continue;
            }
        };
        // The token first: an expired token or a missing scope fails the
        // account's posts before any container exists.
        let mut username = None;
        if let Some(account) = ctx.config.accounts.get(&name) {
            let needs = needs(&ctx, &entries);
            let inspected = crate::auth::inspect(
                ctx.config,
                &name,
                account,
                app.as_ref(),
                Timestamp::now(),
                needs,
            )
            .await;
            match inspected {
                Ok(i) => {
                    username.clone_from(&i.username);
                    for w in &i.warnings {
                        progress.line(&format!("warning: account {name}: {w}"));
                        warnings.push(format!("account {name}: {w}"));
                    }
                    if !i.usable() {
                        fail_all(&i.errors.join("; "), progress, &mut outcomes);
                        continue;
                    }
                }
                // Meta unreachable or busy: the run's own calls retry and
                // classify; the check must not be what stops a publish.
                Err(e) => progress.line(&format!(
                    "warning: account {name}: could not check the token: {e}"
                )),
            }
        }
        let mut run = AccountRun {
            ctx: &ctx,
            client,
            journal: &mut journal,
            outcomes: &mut outcomes,
            progress,
            stopped: None,
            recent: HashMap::new(),
            held: None,
            username,
        };
        if let Err(err) = run.run(&entries).await {
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
        let why = err.to_string();
        progress.line(&format!("⏸ {why}"));
        for e in &entries {
            let has_work = e.calls_meta(ctx.options.prune);
            if has_work && !outcomes.iter().any(|o| o.id == e.id) {
                progress.line(&format!("⏸ {}: not attempted", e.file));
                outcomes.push(outcome(
                    e,
                    Verdict::Deferred,
                    &journal.state,
                    format!("not attempted: {why}"),
                ));
            }
        }
    }

    // Outcomes in plan order.
    let order: HashMap<&str, usize> = plan
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), i))
        .collect();
    outcomes.sort_by_key(|o| order.get(o.id.as_str()).copied().unwrap_or(usize::MAX));
    Ok(Report {
        at: Timestamp::now(),
        outcomes,
        interrupted: ctx.options.interrupted.load(Ordering::SeqCst),
        warnings,
        stopped: stopped.map(|e| Stopped {
            fails: !matches!(e, StateError::Conflict { .. }),
            message: e.to_string(),
        }),
    })
}

/// The report of a run that did nothing because `why` (another apply holds
/// the record): every entry with work is deferred.
pub fn deferred(plan: &Plan, only: &[String], prune: bool, why: &str) -> Report {
    let wanted = |id: &str| only.is_empty() || only.iter().any(|o| o == id);
    let state = State::default();
    Report {
        at: Timestamp::now(),
        outcomes: plan
            .entries
            .iter()
            .filter(|e| wanted(&e.id) && (e.calls_meta(prune) || e.moved_from.is_some()))
            .map(|e| {
                let mut o = outcome(
                    e,
                    Verdict::Deferred,
                    &state,
                    format!("not attempted: {why}"),
                );
                o.media_id.clone_from(&e.media_id);
                o
            })
            .collect(),
        interrupted: false,
        warnings: Vec::new(),
        stopped: None,
    }
}

/// What the account's work asks of its token beyond publishing.
fn needs(ctx: &Context<'_>, entries: &[&PlanEntry]) -> crate::auth::Needs {
    let comments = entries.iter().any(|e| {
        e.action == Action::Update
            || ctx.posts.get(&e.id).is_some_and(|p| {
                p.post.fields.first_comment.is_some() || p.post.fields.comments == Some(false)
            })
    });
    let delete = ctx.options.prune && entries.iter().any(|e| e.action == Action::Removed);
    crate::auth::Needs { comments, delete }
}

fn outcome(e: &PlanEntry, result: Verdict, state: &State, message: String) -> Outcome {
    let recorded = state.posts.get(&e.id);
    Outcome {
        id: e.id.clone(),
        file: e.file.clone(),
        action: e.action,
        result,
        media_id: recorded.and_then(|r| r.media_id.clone()),
        permalink: recorded.and_then(|r| r.permalink.clone()),
        message,
        pending: Vec::new(),
    }
}

struct AccountRun<'c, 'j> {
    ctx: &'c Context<'c>,
    client: Client,
    journal: &'j mut Journal<'c>,
    outcomes: &'j mut Vec<Outcome>,
    progress: &'j mut dyn Progress,
    /// Set when an error stops every further call for the account.
    /// (why, whether the posts it stops count as failed).
    stopped: Option<(String, bool)>,
    /// The account's newest media, feed (false) and stories (true), read
    /// once per run for the lost-record guard.
    recent: HashMap<bool, Vec<MediaInfo>>,
    /// The first post that did not go out for a passing reason (transient
    /// error, still processing, rate limit): no later post is published in
    /// this run, because publish order is grid order.
    held: Option<String>,
    /// The account's username, from the token check (to know our comments).
    username: Option<String>,
}

impl AccountRun<'_, '_> {
    async fn run(&mut self, entries: &[&PlanEntry]) -> Result<(), StateError> {
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

        // 2. The quota decides how many new posts go out now.
        let due: Vec<&PlanEntry> = entries
            .iter()
            .copied()
            .filter(|e| e.action == Action::Publish)
            .collect();
        let mut room = usize::MAX;
        if !due.is_empty() || !ready.is_empty() || !to_build.is_empty() {
            match self.client.quota().await {
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
            match self.already_live(e).await {
                Ok(Some(m)) => {
                    let when = m.timestamp.clone().unwrap_or_default();
                    let message = format!(
                        "found already live on the account (media {}, {when}) though the state did not record it; adopted, not posted again",
                        m.id
                    );
                    self.adopt(e, Some(m), &message).await?;
                }
                Ok(None) => queue.push(e),
                // Cannot tell whether it is live already: publishing now
                // could post it twice, so it waits for the next run.
                Err(err) => {
                    self.account_error(&err);
                    self.hold(e);
                    let why = format!(
                        "cannot read the account's recent posts to rule out a copy already live ({}); the next apply tries again",
                        err.explain()
                    );
                    self.progress.line(&format!("⏸ {}: {why}", e.file));
                    self.outcomes
                        .push(outcome(e, Verdict::Deferred, &self.journal.state, why));
                }
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
                self.outcomes.push(outcome(
                    e,
                    Verdict::Deferred,
                    &self.journal.state,
                    "the account's 24-hour publishing limit is reached; a later run publishes it"
                        .into(),
                ));
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

        // 4. Publish, one at a time, in publish_at order.
        let ready = self.wait_all(ready, entries).await?;
        let mut ready: HashMap<String, String> =
            ready.into_iter().map(|r| (r.id, r.container_id)).collect();
        // By publish_at (then id), resumed posts among the new ones: the
        // grid shows posts in the order they went out. A due post that did
        // not go out for a passing reason holds the ones after it (`hold`).
        let mut due_order: Vec<&PlanEntry> = entries
            .iter()
            .copied()
            .filter(|e| matches!(e.action, Action::Publish | Action::Resume))
            .collect();
        due_order.sort_by(|a, b| grid_order(a, b));
        for e in due_order {
            let Some(container) = ready.remove(&e.id) else {
                continue;
            };
            if self.halted() {
                self.defer(e);
                continue;
            }
            if let Some(first) = self.held.clone() {
                let why = format!(
                    "waits for {first}, which goes first (publish order is grid order); the next apply publishes both"
                );
                self.progress.line(&format!("⏸ {}: {why}", e.file));
                self.outcomes
                    .push(outcome(e, Verdict::Deferred, &self.journal.state, why));
                continue;
            }
            self.publish(e, &container).await?;
        }

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
        Ok(())
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
        let (why, verdict) = match &self.stopped {
            Some((why, true)) => (why.clone(), Verdict::Failed),
            Some((why, false)) => (why.clone(), Verdict::Deferred),
            None => (
                "interrupted by a signal; run apply again to finish".into(),
                Verdict::Deferred,
            ),
        };
        let mark = if verdict == Verdict::Failed {
            "✗"
        } else {
            "⏸"
        };
        self.progress
            .line(&format!("{mark} {}: not attempted ({why})", e.file));
        self.outcomes.push(outcome(
            e,
            verdict,
            &self.journal.state,
            format!("not attempted: {why}"),
        ));
    }

    /// Records an error; account-level ones stop further calls.
    fn account_error(&mut self, err: &ApiError) {
        if err.class().stops_account() && self.stopped.is_none() {
            self.progress.line(&format!(
                "✗ account {}: {}",
                self.client.user_id(),
                err.explain()
            ));
            let fails = err.class() != ErrorClass::RateLimited;
            self.stopped = Some((err.explain(), fails));
        }
    }

    fn fail(&mut self, e: &PlanEntry, message: String) {
        self.progress.line(&format!("✗ {}: {message}", e.file));
        self.outcomes
            .push(outcome(e, Verdict::Failed, &self.journal.state, message));
    }

    /// The post's state entry, made when the state does not know it yet,
    /// set to `status`. `None` for a post not among the valid ones.
    fn record(&mut self, e: &PlanEntry, status: Status) -> Option<&mut StateEntry> {
        let post = self.ctx.posts.get(&e.id).copied()?;
        let entry = self
            .journal
            .state
            .posts
            .entry(e.id.clone())
            .or_insert_with(|| {
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
        entry.last_error = Some(message.to_string());
        self.journal.save(&format!("failed {}: {message}", e.id))
    }

    /// An interrupted publish: ask the container what happened.
    async fn resume(&mut self, e: &PlanEntry) -> Result<Resumed, StateError> {
        let Some(recorded) = self.journal.state.posts.get(&e.id).cloned() else {
            return Ok(Resumed::Rebuild);
        };
        let Some(container) = recorded.container_id.clone() else {
            return Ok(Resumed::Rebuild);
        };
        let status = match self.client.container_status(&container).await {
            Ok(s) => s,
            Err(err) => {
                self.account_error(&err);
                if matches!(
                    err.class(),
                    ErrorClass::Expired | ErrorClass::Rebuild | ErrorClass::ContainerMissing
                ) {
                    return Ok(Resumed::Rebuild);
                }
                // Cannot tell whether it went live: leave the journal as it is.
                self.hold(e);
                self.fail(
                    e,
                    format!("cannot check the interrupted publish: {}", err.explain()),
                );
                return Ok(Resumed::Done);
            }
        };
        match status.status_code.as_str() {
            "PUBLISHED" => {
                self.adopt_published(e, &recorded).await?;
                Ok(Resumed::Done)
            }
            "FINISHED" | "IN_PROGRESS"
                if recorded.status == Status::Publishing || recorded.status == Status::Creating =>
            {
                self.progress.line(&format!(
                    "↻ {}: container {container} is {}, publishing it",
                    e.file, status.status_code
                ));
                Ok(Resumed::Ready(Ready {
                    id: e.id.clone(),
                    container_id: container,
                }))
            }
            _ => Ok(Resumed::Rebuild),
        }
    }

    /// A container reads PUBLISHED: the post is live. Find its media among
    /// the account's newest and record it instead of publishing again.
    async fn adopt_published(
        &mut self,
        e: &PlanEntry,
        recorded: &StateEntry,
    ) -> Result<(), StateError> {
        let found = match self.find_live(e, recorded.journaled_at, true).await {
            Ok(found) => found,
            Err(err) => {
                // Live, but which media is it? Keep the journal as it is:
                // the next run asks again, and never publishes it again.
                self.account_error(&err);
                self.hold(e);
                self.fail(
                    e,
                    format!(
                        "is live, but its media could not be read ({}); the next apply records it",
                        err.explain()
                    ),
                );
                return Ok(());
            }
        };
        let message = match &found {
            Some(m) => format!("was already live (media {}); recorded, not posted again", m.id),
            None => "was already live; recorded, not posted again (its media id was not found in the newest posts)".into(),
        };
        self.adopt(e, found, &message).await
    }

    /// Records a post as published without publishing it: it is live already.
    async fn adopt(
        &mut self,
        e: &PlanEntry,
        found: Option<MediaInfo>,
        message: &str,
    ) -> Result<(), StateError> {
        let commit = self.source_commit(e);
        let Some(entry) = self.record(e, Status::Published) else {
            return Ok(());
        };
        entry.last_error = None;
        entry.commit = commit;
        if let Some(m) = &found {
            entry.media_id = Some(m.id.clone());
            entry.permalink = m.permalink.clone();
            entry.comments_enabled = m.is_comment_enabled;
            entry.published_at = m
                .timestamp
                .as_deref()
                .and_then(parse_meta_time)
                .or(Some(Timestamp::now()));
        }
        self.journal.save(&format!("adopted {}: {message}", e.id))?;
        self.progress.line(&format!("✓ {}: {message}", e.file));
        let pending = if found.is_some() {
            self.after_publish(e).await?
        } else {
            Vec::new()
        };
        let mut done = outcome(
            e,
            Verdict::Published,
            &self.journal.state,
            message.to_string(),
        );
        done.pending = pending;
        self.outcomes.push(done);
        Ok(())
    }

    /// The second guard, for a lost state record: a live post of this
    /// account with the same caption and type, published since the post was
    /// first journaled (or within the adopt window when there is no
    /// journal). Posts without a caption (stories) are matched only with a
    /// journal: type alone says too little.
    async fn already_live(&mut self, e: &PlanEntry) -> Result<Option<MediaInfo>, ApiError> {
        let Some(post) = self.ctx.posts.get(&e.id).copied() else {
            return Ok(None);
        };
        let journaled = self.ctx.state.posts.get(&e.id).and_then(|r| r.journaled_at);
        let since = match journaled {
            Some(t) => t,
            None => {
                let window = self.ctx.options.adopt_window;
                let has_caption = post
                    .post
                    .fields
                    .caption
                    .as_deref()
                    .is_some_and(|c| !c.trim().is_empty());
                if window.is_zero() || !has_caption || post.kind == PostType::Story {
                    return Ok(None);
                }
                let secs = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
                match Timestamp::now().checked_sub(jiff::SignedDuration::from_secs(secs)) {
                    Ok(t) => t,
                    Err(_) => return Ok(None),
                }
            }
        };
        self.find_live(e, Some(since), false).await
    }

    /// The account's newest media matching this post (caption and type),
    /// published since `since`, and not recorded for another post. `fresh`
    /// reads the list again instead of using this run's copy.
    async fn find_live(
        &mut self,
        e: &PlanEntry,
        since: Option<Timestamp>,
        fresh: bool,
    ) -> Result<Option<MediaInfo>, ApiError> {
        let Some(post) = self.ctx.posts.get(&e.id).copied() else {
            return Ok(None);
        };
        let stories = post.kind == PostType::Story;
        if fresh || !self.recent.contains_key(&stories) {
            let list = self.client.recent_media(stories, 25).await?;
            self.recent.insert(stories, list);
        }
        let caption = post.post.fields.caption.as_deref().unwrap_or("");
        let taken: std::collections::HashSet<&str> = self
            .journal
            .state
            .posts
            .iter()
            .filter(|(id, _)| **id != e.id)
            .filter_map(|(_, r)| r.media_id.as_deref())
            .collect();
        Ok(self.recent[&stories]
            .iter()
            .find(|m| {
                let same_caption = stories || m.caption.as_deref().unwrap_or("") == caption;
                let same_type = media_type_matches(post.kind, m);
                let recent_enough = match (since, m.timestamp.as_deref().and_then(parse_meta_time))
                {
                    (Some(since), Some(t)) => t.as_second() >= since.as_second() - 60,
                    (Some(_), None) => false,
                    (None, _) => true,
                };
                same_caption && same_type && recent_enough && !taken.contains(m.id.as_str())
            })
            .cloned())
    }

    /// Creates containers for every post in `queue`, bounded concurrency,
    /// journaling each post's containers as they are made.
    async fn build_all(&mut self, queue: &[&PlanEntry]) -> Result<Vec<Ready>, StateError> {
        let semaphore = Arc::new(Semaphore::new(self.ctx.options.concurrency));
        let mut tasks = JoinSet::new();
        for e in queue {
            if self.halted() {
                self.defer(e);
                continue;
            }
            let Some(post) = self.ctx.posts.get(&e.id) else {
                self.fail(e, "the post is not in the plan's valid posts".into());
                continue;
            };
            self.progress
                .line(&format!("… {}: creating containers", e.file));
            let job = BuildJob {
                id: e.id.clone(),
                post: (*post).clone(),
                client: self.client.clone(),
                repo: self.ctx.repo.to_path_buf(),
                hosting: self.ctx.hosting.clone(),
                upload_command: self.ctx.config.media.upload_command.clone(),
                resumable: self.ctx.config.media.video_upload == VideoUpload::Resumable
                    && self.client.login() == Login::Facebook,
                poll_interval: self.ctx.options.poll_interval,
                max_wait: self.ctx.options.max_wait,
            };
            let semaphore = semaphore.clone();
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                let result = job.build().await;
                (job.id, result)
            });
        }
        let mut ready = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let Ok((id, result)) = joined else { continue };
            let Some(e) = queue.iter().find(|e| e.id == id) else {
                continue;
            };
            match result {
                Ok(built) => {
                    let Some(entry) = self.record(e, Status::Creating) else {
                        continue;
                    };
                    entry.file = e.file.clone();
                    entry.content_hash = e.content_hash.clone().unwrap_or_default();
                    entry.container_id = Some(built.container_id.clone());
                    entry.children = built.children;
                    entry.last_error = None;
                    entry.journaled_at.get_or_insert_with(Timestamp::now);
                    self.journal.save(&format!("containers for {id}"))?;
                    ready.push(Ready {
                        id,
                        container_id: built.container_id,
                    });
                }
                Err(BuildError::Api(err)) => {
                    self.account_error(&err);
                    if matches!(
                        err.class(),
                        ErrorClass::Transient
                            | ErrorClass::RateLimited
                            | ErrorClass::NotReady
                            | ErrorClass::Expired
                            | ErrorClass::Rebuild
                            | ErrorClass::ContainerMissing
                            | ErrorClass::Other
                    ) {
                        self.hold(e);
                    }
                    let message = err.explain();
                    self.record_failure(e, &message)?;
                    self.fail(e, message);
                }
                Err(BuildError::Media(message)) => {
                    self.record_failure(e, &message)?;
                    self.fail(e, message);
                }
            }
        }
        Ok(ready)
    }

    /// Polls every container until FINISHED (or a failure, or the time
    /// limit); returns those ready to publish, in the given order.
    async fn wait_all(
        &mut self,
        ready: Vec<Ready>,
        entries: &[&PlanEntry],
    ) -> Result<Vec<Ready>, StateError> {
        let start = Instant::now();
        let poll_interval = self.ctx.options.poll_interval;
        let report_every = poll_interval * poll::REPORT_EVERY;
        let mut reported = Instant::now();
        let mut pending: Vec<(Ready, bool)> = ready.into_iter().map(|r| (r, false)).collect();
        loop {
            let mut waiting = 0;
            for (r, finished) in pending.iter_mut().filter(|(_, f)| !*f) {
                if self.halted() {
                    break;
                }
                match self.client.container_status(&r.container_id).await {
                    Ok(s) if s.status_code == "FINISHED" => *finished = true,
                    Ok(s) if s.status_code == "IN_PROGRESS" => waiting += 1,
                    Ok(s) => {
                        let (message, class) = s.explain(&r.container_id);
                        r.container_id.clear();
                        *finished = true;
                        if let Some(e) = entries.iter().find(|e| e.id == r.id) {
                            // A passing failure keeps the grid's order: the
                            // posts after it wait for the next run with it.
                            if matches!(
                                class,
                                ErrorClass::Transient | ErrorClass::Rebuild | ErrorClass::Expired
                            ) {
                                self.hold(e);
                            }
                            self.record_failure(e, &message)?;
                            self.fail(e, message);
                        }
                    }
                    Err(err) if err.class() == ErrorClass::Transient => waiting += 1,
                    Err(err) => {
                        self.account_error(&err);
                        let message = err.explain();
                        r.container_id.clear();
                        *finished = true;
                        if let Some(e) = entries.iter().find(|e| e.id == r.id) {
                            self.fail(e, message);
                        }
                    }
                }
            }
            if waiting == 0 || self.halted() {
                break;
            }
            if start.elapsed() >= self.ctx.options.max_wait {
                for (r, finished) in pending.iter_mut().filter(|(_, f)| !*f) {
                    *finished = true;
                    let id = std::mem::take(&mut r.id);
                    if let Some(e) = entries.iter().find(|e| e.id == id) {
                        self.hold(e);
                        self.fail(
                            e,
                            format!(
                                "Meta was still processing the media after {} s; the next apply picks it up",
                                self.ctx.options.max_wait.as_secs()
                            ),
                        );
                    }
                }
                break;
            }
            let processing: Vec<&PlanEntry> = pending
                .iter()
                .filter(|(_, f)| !*f)
                .filter_map(|(r, _)| entries.iter().copied().find(|e| e.id == r.id))
                .collect();
            let waited = start.elapsed().as_secs();
            if reported.elapsed() >= report_every {
                reported = Instant::now();
                for e in &processing {
                    self.progress.line(&format!(
                        "… {}: Meta is processing the {} ({waited} s)",
                        e.file,
                        what_meta_processes(e)
                    ));
                }
            }
            self.progress.status(Some(&match processing.as_slice() {
                [one] => format!(
                    "Meta is processing {}'s {}",
                    one.file,
                    what_meta_processes(one)
                ),
                many => format!("Meta is processing the media of {} posts", many.len()),
            }));
            tokio::time::sleep(poll::delay(start.elapsed(), poll_interval)).await;
        }
        self.progress.status(None);
        Ok(pending
            .into_iter()
            .map(|(r, _)| r)
            .filter(|r| !r.container_id.is_empty() && !r.id.is_empty())
            .collect())
    }

    /// Publishes one container, exactly once.
    ///
    /// Before every `media_publish` the journal says "publishing" with the
    /// container id, so a crash or a lost answer is resolved by asking the
    /// container, never by repeating. An error answer means nothing was
    /// published, and Meta's subcode says what to try (docs/instagram.md,
    /// "Errors"):
    /// - not ready (9007/2207027), even while the container reads FINISHED:
    ///   wait, doubling from two poll intervals, and try again (bounded);
    /// - container missing (24/2207008): the same container again after 30
    ///   poll intervals, twice, then a new container;
    /// - expired, or "make a new container" (2207006, 2207053): a new
    ///   container, once per run. 2207006 may also mean a bad token: when
    ///   the new container fails the same way, the token is checked.
    async fn publish(&mut self, e: &PlanEntry, container: &str) -> Result<(), StateError> {
        let mut container = container.to_string();
        let mut rebuilt = false;
        let mut passing = 0;
        let mut not_ready = 0;
        let mut missing = 0;
        let waited = Instant::now();
        let poll = self.ctx.options.poll_interval;
        let media_id = loop {
            let entry = self
                .journal
                .entry(&e.id)
                .expect("built or resumed entries are recorded");
            entry.status = Status::Publishing;
            entry.container_id = Some(container.clone());
            entry.journaled_at.get_or_insert_with(Timestamp::now);
            self.journal
                .checkpoint(&format!("publishing {} (container {container})", e.id))?;

            let err = match self.client.publish(&container).await {
                Ok(id) => break id,
                Err(err) => err,
            };
            let class = err.class();
            let mut rebuild = matches!(class, ErrorClass::Expired | ErrorClass::Rebuild);
            let ask = match class {
                ErrorClass::Transient => {
                    passing += 1;
                    passing < 3
                }
                ErrorClass::NotReady => {
                    not_ready += 1;
                    not_ready <= MAX_NOT_READY_WAITS && waited.elapsed() < self.ctx.options.max_wait
                }
                ErrorClass::ContainerMissing => {
                    missing += 1;
                    rebuild = missing > 2;
                    !rebuild
                }
                _ => false,
            };
            if ask {
                // The call may have gone through (a lost answer), or the
                // media is still processing: the container says which.
                match self.settle(&container).await {
                    Ok(s) if s.status_code == "PUBLISHED" => {
                        let recorded = self.journal.state.posts[&e.id].clone();
                        return self.adopt_published(e, &recorded).await;
                    }
                    Ok(s) if s.status_code == "FINISHED" => {
                        let pause = match class {
                            // Meta: seconds, not milliseconds.
                            ErrorClass::NotReady => {
                                (poll * 2u32.pow(not_ready)).min(Duration::from_secs(30))
                            }
                            ErrorClass::ContainerMissing => poll * 30,
                            _ => Duration::ZERO,
                        };
                        if !pause.is_zero() {
                            let what = if class == ErrorClass::NotReady {
                                "Meta says the media is not ready"
                            } else {
                                "Meta cannot find the container yet"
                            };
                            self.progress.line(&format!(
                                "… {}: {what} ({}); publishing again in {:.1} s",
                                e.file,
                                short(&err),
                                pause.as_secs_f64()
                            ));
                            tokio::time::sleep(pause).await;
                        }
                        continue;
                    }
                    Ok(s) if s.status_code == "EXPIRED" => rebuild = true,
                    Ok(s) if class == ErrorClass::ContainerMissing && s.status_code == "ERROR" => {
                        rebuild = true
                    }
                    _ => {}
                }
            }
            if rebuild && !rebuilt {
                rebuilt = true;
                self.progress.line(&format!(
                    "↻ {}: container {container} cannot be published ({}), building a new one",
                    e.file,
                    short(&err)
                ));
                match self.rebuild(e).await? {
                    Some(c) => {
                        container = c;
                        continue;
                    }
                    None => return Ok(()),
                }
            }
            // 2207006 again on a new container: Meta's other reading is a
            // bad token. Ask who the token is; a dead one stops the account.
            if rebuilt && err_subcode(&err) == Some(2207006) {
                if let Err(token) = self.client.identity().await {
                    self.account_error(&token);
                }
            }
            self.account_error(&err);
            let message = err.explain();
            match class {
                ErrorClass::QuotaReached | ErrorClass::RateLimited => {
                    // Refused before acting: not published, nothing to check.
                    let entry = self.journal.entry(&e.id).expect("recorded");
                    entry.status = Status::Failed;
                    entry.last_error = Some(format!("deferred: {message}"));
                    self.journal
                        .save(&format!("deferred {}: {message}", e.id))?;
                    self.progress
                        .line(&format!("⏸ {}: deferred ({message})", e.file));
                    self.hold(e);
                    self.outcomes
                        .push(outcome(e, Verdict::Deferred, &self.journal.state, message));
                }
                ErrorClass::Transient | ErrorClass::NotReady => {
                    // Unknown whether it went live: keep "publishing" so
                    // the next run asks the container.
                    self.hold(e);
                    self.fail(
                        e,
                        format!("{message} (the next apply checks whether it went live)"),
                    );
                }
                _ => {
                    self.record_failure(e, &message)?;
                    self.fail(e, message);
                }
            }
            return Ok(());
        };
        let commit = self.source_commit(e);
        let entry = self.journal.entry(&e.id).expect("recorded");
        entry.status = Status::Published;
        entry.commit = commit;
        entry.media_id = Some(media_id.clone());
        entry.published_at = Some(Timestamp::now());
        entry.last_error = None;
        if let Err(err) = self
            .journal
            .checkpoint(&format!("published {} as {media_id}", e.id))
        {
            // It is live; the record on the remote says `publishing`, which
            // the next run settles by asking the container.
            let message = format!("published, but not yet recorded on the remote ({err})");
            self.progress.line(&format!("✓ {}: {message}", e.file));
            self.outcomes
                .push(outcome(e, Verdict::Published, &self.journal.state, message));
            return Err(err);
        }
        let pending = self.after_publish(e).await?;
        let permalink = self.journal.state.posts[&e.id].permalink.clone();
        self.progress.line(&format!(
            "✓ {}: published {}",
            e.file,
            permalink.as_deref().unwrap_or(&media_id)
        ));
        let mut message = String::from("published");
        for p in &pending {
            message.push_str("; pending: ");
            message.push_str(p);
        }
        let mut done = outcome(e, Verdict::Published, &self.journal.state, message);
        done.pending = pending;
        self.outcomes.push(done);
        Ok(())
    }

    async fn settle(&self, container: &str) -> Result<crate::instagram::ContainerStatus, ApiError> {
        let options = &self.ctx.options;
        settle(
            &self.client,
            container,
            options.poll_interval,
            options.max_wait,
            || self.halted(),
        )
        .await
    }

    /// A new container for a post whose container expired, journaled and
    /// waited for. `None` when it failed (already reported).
    async fn rebuild(&mut self, e: &PlanEntry) -> Result<Option<String>, StateError> {
        let built = self.build_all(&[e]).await?;
        let ready = self.wait_all(built, &[e]).await?;
        Ok(ready.into_iter().next().map(|r| r.container_id))
    }

    /// Marks a post that did not go out for a passing reason: later posts
    /// of the account wait for it, so the grid keeps its order.
    fn hold(&mut self, e: &PlanEntry) {
        self.held.get_or_insert_with(|| e.file.clone());
    }

    /// After publishing: permalink, first comment, comments setting. Each
    /// step is recorded; a failure here never unpublishes or fails the post.
    /// Returns what is left for the next apply, with the reason.
    async fn after_publish(&mut self, e: &PlanEntry) -> Result<Vec<String>, StateError> {
        let mut pending = Vec::new();
        let Some(media_id) = self.journal.state.posts[&e.id].media_id.clone() else {
            return Ok(pending);
        };
        if self.journal.state.posts[&e.id].permalink.is_none() {
            match self.client.media(&media_id).await {
                Ok(m) => {
                    let entry = self.journal.entry(&e.id).expect("recorded");
                    entry.permalink = m.permalink;
                    if let Some(t) = m.timestamp.as_deref().and_then(parse_meta_time) {
                        entry.published_at = Some(t);
                    }
                    entry.comments_enabled = m.is_comment_enabled.or(entry.comments_enabled);
                    self.journal.save(&format!("permalink of {}", e.id))?;
                }
                Err(err) => self.progress.line(&format!(
                    "! {}: cannot read the permalink: {}",
                    e.file,
                    err.explain()
                )),
            }
        }
        let Some(post) = self.ctx.posts.get(&e.id).copied() else {
            return Ok(pending);
        };
        if let (Some(text), None) = (
            &post.post.fields.first_comment,
            &self.journal.state.posts[&e.id].first_comment_id,
        ) {
            match self.first_comment(e, &media_id, text).await {
                Ok(id) => {
                    self.progress
                        .line(&format!("✓ {}: first comment {id}", e.file));
                    self.journal
                        .entry(&e.id)
                        .expect("recorded")
                        .first_comment_id = Some(id);
                    self.journal.save(&format!("first comment on {}", e.id))?;
                }
                Err(why) => {
                    self.progress
                        .line(&format!("! {}: first comment pending: {why}", e.file));
                    pending.push(format!("first comment: {why}; the next apply posts it"));
                }
            }
        }
        if post.post.fields.comments == Some(false)
            && self.journal.state.posts[&e.id].comments_enabled != Some(false)
        {
            match self.client.set_comments(&media_id, false).await {
                Ok(()) => {
                    self.journal
                        .entry(&e.id)
                        .expect("recorded")
                        .comments_enabled = Some(false);
                    self.journal.save(&format!("comments off on {}", e.id))?;
                }
                Err(err) => self.progress.line(&format!(
                    "! {}: turning comments off failed: {}",
                    e.file,
                    err.explain()
                )),
            }
        } else if self.journal.state.posts[&e.id].comments_enabled.is_none() {
            self.journal
                .entry(&e.id)
                .expect("recorded")
                .comments_enabled = Some(true);
            self.journal.save(&format!("comments on {}", e.id))?;
        }
        Ok(pending)
    }

    /// Posts the first comment, at most once: before every attempt the
    /// media's comments are read, since an earlier attempt (or run) may
    /// have posted it and lost the answer. A passing failure is tried
    /// again, a few times with a pause; `Err` says why it is still missing.
    async fn first_comment(
        &mut self,
        e: &PlanEntry,
        media_id: &str,
        text: &str,
    ) -> Result<String, String> {
        let passing =
            |err: &ApiError| matches!(err.class(), ErrorClass::Transient | ErrorClass::NotReady);
        let mut why = String::new();
        for attempt in 0..FIRST_COMMENT_TRIES {
            if attempt > 0 {
                let pause = self.ctx.options.poll_interval * 2u32.pow(attempt);
                self.progress.line(&format!(
                    "… {}: {why}; trying the first comment again in {:.1} s",
                    e.file,
                    pause.as_secs_f64()
                ));
                tokio::time::sleep(pause).await;
            }
            match self.client.comments(media_id).await {
                // Ours: the same text, by this account (when its username
                // is known) — not a follower's echo of it.
                Ok(list) => {
                    if let Some(c) = list.into_iter().find(|c| {
                        c.text.as_deref() == Some(text)
                            && match (&self.username, &c.username) {
                                (Some(ours), Some(theirs)) => ours == theirs,
                                _ => true,
                            }
                    }) {
                        return Ok(c.id);
                    }
                }
                // Unknown whether it is there: never post without knowing.
                Err(err) => {
                    why = format!("cannot read the comments: {}", err.explain());
                    if passing(&err) {
                        continue;
                    }
                    return Err(why);
                }
            }
            match self.client.comment(media_id, text).await {
                Ok(id) => return Ok(id),
                Err(err) => {
                    why = format!("posting it failed: {}", err.explain());
                    if !passing(&err) {
                        return Err(why);
                    }
                }
            }
        }
        Err(why)
    }

    /// `update`: turn comments on or off, and finish a first comment an
    /// earlier run did not record.
    async fn update(&mut self, e: &PlanEntry) -> Result<(), StateError> {
        let mut done = Vec::new();
        if let (Some(enabled), Some(media_id)) = (e.comments_enabled, e.media_id.clone()) {
            match self.client.set_comments(&media_id, enabled).await {
                Ok(()) => {
                    if let Some(entry) = self.journal.entry(&e.id) {
                        entry.comments_enabled = Some(enabled);
                    }
                    self.journal.save(&format!(
                        "comments {} on {}",
                        if enabled { "on" } else { "off" },
                        e.id
                    ))?;
                    done.push(format!(
                        "comments turned {}",
                        if enabled { "on" } else { "off" }
                    ));
                }
                Err(err) => {
                    self.account_error(&err);
                    self.fail(e, err.explain());
                    return Ok(());
                }
            }
        }
        let wants_comment = self
            .ctx
            .posts
            .get(&e.id)
            .is_some_and(|p| p.post.fields.first_comment.is_some());
        let recorded = |s: &Self| {
            s.journal
                .state
                .posts
                .get(&e.id)
                .is_some_and(|r| r.first_comment_id.is_some())
        };
        if wants_comment && !recorded(self) {
            let pending = self.after_publish(e).await?;
            if !recorded(self) {
                self.fail(
                    e,
                    format!(
                        "the first comment is still not posted ({}); the next apply tries again",
                        pending.join("; ")
                    ),
                );
                return Ok(());
            }
            done.push("first comment recorded".into());
        }
        let what = done.join(", ");
        self.progress.line(&format!("~ {}: {what}", e.file));
        self.outcomes
            .push(outcome(e, Verdict::Updated, &self.journal.state, what));
        Ok(())
    }

    async fn delete(&mut self, e: &PlanEntry) -> Result<(), StateError> {
        if self.client.login() == Login::Instagram {
            self.fail(
                e,
                "deleting posts is not supported with Instagram Login; delete it in the Instagram app, or use Facebook Login".into(),
            );
            return Ok(());
        }
        let Some(media_id) = e.media_id.clone() else {
            // Never went live (or unknown): nothing to delete on Instagram.
            self.journal.state.posts.remove(&e.id);
            self.journal
                .save(&format!("forget {} (file deleted, never published)", e.id))?;
            self.outcomes.push(outcome(
                e,
                Verdict::Deleted,
                &self.journal.state,
                "forgotten: it was never published".into(),
            ));
            return Ok(());
        };
        let result = match self.client.delete(&media_id).await {
            // Deleting twice is fine: a media that is gone is what we want.
            Err(ApiError::Meta(m)) if m.code == 100 && m.error_subcode == Some(33) => Ok(()),
            other => other,
        };
        match result {
            Ok(()) => {
                let mut o = outcome(
                    e,
                    Verdict::Deleted,
                    &self.journal.state,
                    format!("media {media_id} deleted"),
                );
                o.permalink = None;
                self.journal.state.posts.remove(&e.id);
                self.journal
                    .save(&format!("deleted {} (media {media_id})", e.id))?;
                self.progress
                    .line(&format!("- {}: deleted media {media_id}", e.file));
                self.outcomes.push(o);
            }
            Err(err) => {
                self.account_error(&err);
                self.fail(e, err.explain());
            }
        }
        Ok(())
    }
}

/// Polls a container with backoff until it is no longer `IN_PROGRESS`, the
/// wait is over, or `stop` says so; the last status read. (Each read already
/// retries passing failures.)
async fn settle(
    client: &Client,
    container: &str,
    poll_interval: Duration,
    max_wait: Duration,
    stop: impl Fn() -> bool,
) -> Result<crate::instagram::ContainerStatus, ApiError> {
    let start = Instant::now();
    loop {
        let s = client.container_status(container).await?;
        if s.status_code != "IN_PROGRESS" || start.elapsed() >= max_wait || stop() {
            return Ok(s);
        }
        tokio::time::sleep(poll::delay(start.elapsed(), poll_interval)).await;
    }
}

/// Attempts at a first comment in one run (each after reading the comments).
const FIRST_COMMENT_TRIES: u32 = 3;

/// Publishing a container Meta calls not ready (9007/2207027) is tried
/// again at most this many times in one run (and within `max_wait`).
const MAX_NOT_READY_WAITS: u32 = 5;

fn err_subcode(err: &ApiError) -> Option<i64> {
    match err {
        ApiError::Meta(m) => m.error_subcode,
        _ => None,
    }
}

/// "code/subcode" of a Meta error, or the error itself, for progress lines.
fn short(err: &ApiError) -> String {
    match err {
        ApiError::Meta(m) => match m.error_subcode {
            Some(s) => format!("{}/{s}", m.code),
            None => m.code.to_string(),
        },
        other => other.to_string(),
    }
}

/// "video" for reels, "media" for the rest (a carousel may mix).
fn what_meta_processes(e: &PlanEntry) -> &'static str {
    match e.kind {
        Some(PostType::Reel) => "video",
        _ => "media",
    }
}

/// Grid order: by `publish_at`, then id.
fn grid_order(a: &PlanEntry, b: &PlanEntry) -> std::cmp::Ordering {
    (a.publish_at, &a.id).cmp(&(b.publish_at, &b.id))
}

enum Resumed {
    Done,
    Ready(Ready),
    Rebuild,
}

fn media_type_matches(kind: PostType, m: &MediaInfo) -> bool {
    let t = m.media_type.as_deref().unwrap_or("");
    let p = m.media_product_type.as_deref().unwrap_or("");
    match kind {
        PostType::Image => t == "IMAGE" && p != "STORY",
        PostType::Carousel => t == "CAROUSEL_ALBUM",
        PostType::Reel => t == "VIDEO" || p == "REELS",
        PostType::Story => p == "STORY" || p.is_empty(),
    }
}

/// Meta writes `2026-12-01T08:00:00+0000`; jiff wants a colon in the offset.
pub fn parse_meta_time(s: &str) -> Option<Timestamp> {
    if let Ok(t) = s.parse() {
        return Some(t);
    }
    if s.len() > 5 {
        let (head, tail) = s.split_at(s.len() - 2);
        return format!("{head}:{tail}").parse().ok();
    }
    None
}
