//! The platform's own scheduler (`schedule = "native"`, see
//! [`crate::plan::native`]): hand-overs, moves, cancels and checks, done
//! before the account's publishes.
//!
//! Exactly once, as for a publish: the hand-over is journaled
//! (`scheduled-on-platform` without an id, checkpointed to where the next
//! run reads it) before the call that makes the held post; a lost answer
//! is resolved by [`Publisher::find_held`] (and, once its time has passed,
//! by looking among the live posts), never by handing over again blindly.
//! A held post that is neither held nor found live after its time is held
//! for a person: it was cancelled or deleted in the app, and publishing it
//! again could post it twice.

use super::*;
use crate::plan::NativeStep;
use crate::platform::Handed;

/// What became of a step: whether the entry goes on to be published now.
enum Next {
    Done,
    Publish,
}

impl<P: Publisher> AccountRun<'_, '_, P> {
    /// Runs the native steps of `entries`: the entries that go on to the
    /// rest of the run (those without a step, and due posts whose held
    /// copy was cancelled).
    pub(super) async fn native_steps<'e>(
        &mut self,
        entries: &[&'e PlanEntry],
    ) -> Result<Vec<&'e PlanEntry>, StateError> {
        let mut rest = Vec::with_capacity(entries.len());
        for e in entries.iter().copied() {
            let Some(step) = &e.native else {
                rest.push(e);
                continue;
            };
            if self.halted() {
                self.defer(e);
                continue;
            }
            let next = match step {
                NativeStep::Schedule { at } => self.hand_over(e, *at).await?,
                NativeStep::Move { id, to, .. } => self.move_held(e, id, *to).await?,
                NativeStep::Cancel { id, then } => self.cancel_held(e, id.clone(), *then).await?,
                NativeStep::Check => self.check_held(e).await?,
            };
            if matches!(next, Next::Publish) && e.action == Action::Publish {
                rest.push(e);
            }
        }
        Ok(rest)
    }

    /// Prepares the post (its media uploaded), journals the hand-over, and
    /// hands it to the platform for `at`.
    async fn hand_over(&mut self, e: &PlanEntry, at: Timestamp) -> Result<Next, StateError> {
        let Some(post) = self.ctx.posts.get(&e.key()).copied() else {
            self.fail(e, "the post is not in the plan's valid posts".into());
            return Ok(Next::Done);
        };
        if self.blocked(e)? {
            return Ok(Next::Done);
        }
        self.progress.line(&format!("… {}: preparing", e.file));
        let semaphore = Arc::new(Semaphore::new(1));
        let prepared = match self.publisher.prepare(self.job(post, &semaphore)).await {
            Ok(p) => p,
            Err(PrepareError::Api(err)) => {
                self.account_error(&err);
                let message = err.explain();
                self.record_failure(e, &message)?;
                self.fail(e, message);
                return Ok(Next::Done);
            }
            Err(PrepareError::Media(message)) | Err(PrepareError::Store(message)) => {
                self.record_failure(e, &message)?;
                self.fail(e, message);
                return Ok(Next::Done);
            }
        };
        let Some(entry) = self.record(e, Status::ScheduledOnPlatform) else {
            return Ok(Next::Done);
        };
        entry.file = e.file.clone();
        entry.content_hash = e.content_hash.clone().unwrap_or_default();
        entry.container_id = Some(prepared.handle.clone());
        entry.scheduled_id = None;
        entry.scheduled_at = Some(at);
        entry.last_error = None;
        entry.journaled_at = Some(Timestamp::now());
        self.journal.checkpoint(&format!(
            "handing {} to the platform for {at} (handle {})",
            e.id, prepared.handle
        ))?;
        match self.publisher.schedule(&prepared.handle, at).await {
            Ok(Handed::Held(id)) => {
                let entry = self.journal.entry(e.key())?;
                entry.scheduled_id = Some(id.clone());
                self.journal
                    .checkpoint(&format!("{} held by the platform as {id}", e.id))?;
                let when = crate::time::local(at, &self.ctx.config.timezone);
                let message = format!(
                    "handed to {} (held as {id}), which publishes it at {when}",
                    self.platform_title()
                );
                self.said(e, Verdict::Scheduled, message);
            }
            Ok(Handed::Published(media)) => {
                let found = self.publisher.read(&media).await.ok();
                let message = format!(
                    "published at once: {} took its time as too close to hold",
                    self.platform_title()
                );
                self.settle_published(e, &media, found, &message).await?;
            }
            Err(err) if err.class() == ErrorClass::Content => {
                // Refused before anything was held (a limit, a too-close
                // time): nothing to find later.
                self.account_error(&err);
                let message = err.explain();
                self.record_failure(e, &message)?;
                self.fail(e, message);
            }
            Err(err) => {
                // The answer may be lost: the journal stays, and the next
                // run finds what it made before anything else.
                self.account_error(&err);
                let message = format!(
                    "handing it over may not have finished ({}); the next apply looks for it among the held posts before handing it over again",
                    err.explain()
                );
                self.progress.line(&format!("⏸ {}: {message}", e.file));
                self.outcomes.push(
                    outcome(e, Verdict::Deferred, &self.journal.state, message)
                        .because(Why::Unclear),
                );
            }
        }
        Ok(Next::Done)
    }

    async fn move_held(
        &mut self,
        e: &PlanEntry,
        id: &str,
        to: Timestamp,
    ) -> Result<Next, StateError> {
        match self.publisher.reschedule(id, to).await {
            Ok(()) => {
                let entry = self.journal.entry(e.key())?;
                entry.scheduled_at = Some(to);
                self.journal.save(&format!("moved held {} to {to}", e.id))?;
                let when = crate::time::local(to, &self.ctx.config.timezone);
                self.said(
                    e,
                    Verdict::Scheduled,
                    format!("moved: {} publishes it at {when}", self.platform_title()),
                );
            }
            Err(err) => {
                self.account_error(&err);
                let message = format!(
                    "could not move the held post: {}; it still goes out at its earlier time unless this succeeds",
                    err.explain()
                );
                self.fail(e, message);
            }
        }
        Ok(Next::Done)
    }

    /// Cancels what the platform holds for `e` (found first when the
    /// hand-over's answer was lost), then hands the post over anew for
    /// `then`, or lets it go on to be published now when due.
    async fn cancel_held(
        &mut self,
        e: &PlanEntry,
        id: Option<String>,
        then: Option<Timestamp>,
    ) -> Result<Next, StateError> {
        let id = match id {
            Some(id) => id,
            None => match self.lost_hand_over(e, false).await? {
                Some(id) => id,
                None => return Ok(Next::Done),
            },
        };
        match self.publisher.unschedule(&id).await {
            Ok(true) => {}
            Ok(false) => {
                // Not held any more: gone out at its time (find it), or
                // cancelled in the app.
                let passed = self
                    .journal
                    .state
                    .get(&e.id, e.acct())
                    .and_then(|r| r.scheduled_at)
                    .is_some_and(|t| t <= self.ctx.plan.at + jiff::SignedDuration::from_secs(60));
                if passed {
                    return self.check_held(e).await;
                }
            }
            Err(err) => {
                self.account_error(&err);
                let message = format!(
                    "could not cancel the held post {id}: {}; it still goes out at its time unless this succeeds",
                    err.explain()
                );
                self.fail(e, message);
                return Ok(Next::Done);
            }
        }
        self.journal.state.remove(&e.id, e.acct());
        self.journal
            .save(&format!("cancelled held {} ({id})", e.id))?;
        match then {
            Some(at) => {
                self.progress
                    .line(&format!("- {}: cancelled the held post {id}", e.file));
                self.hand_over(e, at).await
            }
            None if e.action == Action::Publish => Ok(Next::Publish),
            None => {
                let message = format!("cancelled: {} holds it no more", self.platform_title());
                self.said(e, Verdict::Cancelled, message);
                Ok(Next::Done)
            }
        }
    }

    /// The held post's time has passed, or its hand-over's answer was
    /// lost: find out what the platform did.
    async fn check_held(&mut self, e: &PlanEntry) -> Result<Next, StateError> {
        let Some(r) = self.journal.state.get(&e.id, e.acct()).cloned() else {
            return Ok(Next::Done);
        };
        let id = match &r.scheduled_id {
            Some(id) => id.clone(),
            None => match self.lost_hand_over(e, true).await? {
                Some(id) => id,
                None => return Ok(Next::Done),
            },
        };
        match self.publisher.held(&id).await {
            Ok(Some(at)) => {
                let entry = self.journal.entry(e.key())?;
                let changed = entry.scheduled_at != Some(at);
                entry.scheduled_at = Some(at);
                if changed {
                    self.journal.save(&format!("{} held for {at}", e.id))?;
                }
                let when = crate::time::local(at, &self.ctx.config.timezone);
                let message = format!("still held by {} for {when}", self.platform_title());
                self.said(e, Verdict::Scheduled, message);
                return Ok(Next::Done);
            }
            Ok(None) => {}
            Err(err) => return self.unclear(e, &err),
        }
        if self.settle_if_live(e, r.scheduled_at).await? == Some(false) {
            let message = format!(
                "{} holds it no more and no live post like it was found: it was cancelled or deleted in the app. It is not published again (that could post it twice): if it is live, record it with `postwright state adopt {} MEDIA_ID --account {}`; to publish it anyway, give the post a new id",
                self.platform_title(),
                e.id,
                e.acct()
            );
            self.progress.line(&format!("⚠ {}: {message}", e.file));
            self.outcomes.push(
                outcome(e, Verdict::Held, &self.journal.state, message).because(Why::PossibleTwin),
            );
        }
        Ok(Next::Done)
    }

    /// A hand-over whose answer was lost: the held post it made, recorded;
    /// `None` (with its outcome said) when there is none — then, with
    /// `again`, the post is handed over anew when its time is still far
    /// enough ahead.
    async fn lost_hand_over(
        &mut self,
        e: &PlanEntry,
        again: bool,
    ) -> Result<Option<String>, StateError> {
        let r = self.journal.entry(e.key())?.clone();
        let post = self.ctx.posts.get(&e.key()).copied();
        let (Some(post), Some(at)) = (post, r.scheduled_at) else {
            // Without the file the held post cannot be recognised; the
            // record goes (nothing else would ever publish it), and a
            // person is told where to look.
            self.journal.state.remove(&e.id, e.acct());
            self.journal.save(&format!(
                "{}: forgot a lost hand-over of a deleted file",
                e.id
            ))?;
            let message = "an earlier apply handed this post over and stopped before the answer, and its file is gone, so the held post cannot be recognised: look among the account's scheduled posts in the app and cancel it there".to_string();
            self.fail(e, message);
            return Ok(None);
        };
        match self.publisher.find_held(post, at).await {
            Ok(Some(id)) => {
                let entry = self.journal.entry(e.key())?;
                entry.scheduled_id = Some(id.clone());
                self.journal
                    .checkpoint(&format!("{} found held by the platform as {id}", e.id))?;
                self.progress
                    .line(&format!("≡ {}: the lost hand-over is held as {id}", e.file));
                Ok(Some(id))
            }
            Ok(None) if at > self.ctx.plan.at => {
                // Never made: the journal goes, and the post is handed
                // over again (now, or by the next run's plan).
                self.journal.state.remove(&e.id, e.acct());
                self.journal.save(&format!(
                    "{}: the lost hand-over never reached the platform",
                    e.id
                ))?;
                let earliest = self
                    .ctx
                    .config
                    .accounts
                    .get(&self.account)
                    .and_then(|a| a.native)
                    .map(|n| n.earliest(self.ctx.plan.at));
                if again && earliest.is_some_and(|t| at >= t) {
                    self.progress.line(&format!(
                        "… {}: the earlier hand-over never reached the platform; handing it over again",
                        e.file
                    ));
                    self.hand_over(e, at).await?;
                    return Ok(None);
                }
                let message = "the earlier hand-over never reached the platform; the next apply hands it over again".to_string();
                self.progress.line(&format!("⏸ {}: {message}", e.file));
                self.outcomes.push(
                    outcome(e, Verdict::Deferred, &self.journal.state, message)
                        .because(Why::Unclear),
                );
                Ok(None)
            }
            // Its time has passed: not held, maybe live.
            Ok(None) => {
                self.check_live_after_loss(e, at).await?;
                Ok(None)
            }
            Err(err) => {
                self.unclear(e, &err)?;
                Ok(None)
            }
        }
    }

    async fn check_live_after_loss(
        &mut self,
        e: &PlanEntry,
        at: Timestamp,
    ) -> Result<(), StateError> {
        if self.settle_if_live(e, Some(at)).await? != Some(false) {
            return Ok(());
        }
        // Neither held nor live after its time: it never reached the
        // platform (nothing was made), so it is a due post.
        self.journal.state.remove(&e.id, e.acct());
        self.journal.save(&format!(
            "{}: the lost hand-over never reached the platform",
            e.id
        ))?;
        let message = "the earlier hand-over never reached the platform and its time has passed; the next apply publishes it".to_string();
        self.progress.line(&format!("⏸ {}: {message}", e.file));
        self.outcomes.push(
            outcome(e, Verdict::Deferred, &self.journal.state, message).because(Why::Unclear),
        );
        Ok(())
    }

    /// A held post whose time (`held_at`) has passed, looked for among the
    /// live posts: found, it is recorded `published` (`Some(true)`);
    /// `Some(false)`: nothing like it is live; `None`: the account could
    /// not be read (said; the next apply asks again).
    async fn settle_if_live(
        &mut self,
        e: &PlanEntry,
        held_at: Option<Timestamp>,
    ) -> Result<Option<bool>, StateError> {
        let since = held_at.map(|t| t - jiff::SignedDuration::from_secs(60));
        match self.find_live(e, since, true).await {
            Ok(Some(m)) => {
                let media = m.id.clone();
                let message = format!("published by {} at its time", self.platform_title());
                self.settle_published(e, &media, Some(m), &message).await?;
                Ok(Some(true))
            }
            Ok(None) => Ok(Some(false)),
            Err(err) => self.unclear(e, &err).map(|_| None),
        }
    }

    /// Records a held post as published (it went out at its time, or at
    /// once), with what is known of the live media.
    async fn settle_published(
        &mut self,
        e: &PlanEntry,
        media: &str,
        found: Option<LiveMedia>,
        message: &str,
    ) -> Result<(), StateError> {
        let commit = self.source_commit(e);
        let Some(entry) = self.journal.state.get_mut(&e.id, e.acct()) else {
            return Ok(());
        };
        entry.status = Status::Published;
        entry.media_id = Some(media.to_string());
        entry.scheduled_id = None;
        entry.last_error = None;
        entry.commit = commit;
        entry.published_at = found
            .as_ref()
            .and_then(|m| m.published)
            .or(entry.scheduled_at)
            .or(Some(Timestamp::now()));
        if let Some(m) = &found {
            entry.permalink = m.permalink.clone();
        }
        self.journal
            .checkpoint(&format!("published {} ({media})", e.id))?;
        self.said(e, Verdict::Published, message.to_string());
        Ok(())
    }

    /// What the platform did cannot be read now: the next run asks again.
    fn unclear(&mut self, e: &PlanEntry, err: &P::Error) -> Result<Next, StateError> {
        self.account_error(err);
        let message = format!(
            "cannot ask the platform about the held post ({}); the next apply asks again",
            err.explain()
        );
        self.progress.line(&format!("⏸ {}: {message}", e.file));
        self.outcomes.push(
            outcome(e, Verdict::Deferred, &self.journal.state, message).because(Why::Unclear),
        );
        Ok(Next::Done)
    }

    /// A target whose media are not ready: failed and recorded (`true`).
    fn blocked(&mut self, e: &PlanEntry) -> Result<bool, StateError> {
        Ok(self.ready_media(vec![e])?.is_empty())
    }

    fn said(&mut self, e: &PlanEntry, verdict: Verdict, message: String) {
        let mark = match verdict {
            Verdict::Published => "✓",
            Verdict::Cancelled => "-",
            _ => "⏰",
        };
        self.progress.line(&format!("{mark} {}: {message}", e.file));
        self.outcomes
            .push(outcome(e, verdict, &self.journal.state, message));
    }

    fn platform_title(&self) -> &'static str {
        self.ctx
            .config
            .accounts
            .get(&self.account)
            .map_or("the platform", |a| a.platform.title())
    }
}
