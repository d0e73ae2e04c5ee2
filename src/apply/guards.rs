//! The guards that keep a post from going out twice: an interrupted
//! publish is resumed by asking its container; a post the record lost is
//! found live on the account and adopted instead of published again.

use super::twin::{self, Twin};
use super::*;

impl<P: Publisher> AccountRun<'_, '_, P> {
    /// An interrupted publish: ask the container what happened.
    pub(super) async fn resume(&mut self, e: &PlanEntry) -> Result<Resumed, StateError> {
        let Some(recorded) = self.journal.state.get(&e.id, e.acct()).cloned() else {
            return Ok(Resumed::Rebuild);
        };
        let Some(container) = recorded.container_id.clone() else {
            return Ok(Resumed::Rebuild);
        };
        let status = match self.publisher.status(&container).await {
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
        match status.state {
            ContainerState::Published => {
                self.adopt_published(e, &recorded, status.media.as_deref())
                    .await?;
                Ok(Resumed::Done)
            }
            ContainerState::Finished | ContainerState::InProgress
                if recorded.status == Status::Publishing || recorded.status == Status::Creating =>
            {
                self.progress.line(&format!(
                    "↻ {}: prepared post {container} is {}, publishing it",
                    e.file, status.code
                ));
                Ok(Resumed::Ready(Ready {
                    id: e.id.clone(),
                    container_id: container,
                }))
            }
            _ => Ok(Resumed::Rebuild),
        }
    }

    /// A handle reads published: the post is live. Read the media the
    /// platform says it became (`media`), or find it among the account's
    /// newest, and record it instead of publishing again.
    pub(super) async fn adopt_published(
        &mut self,
        e: &PlanEntry,
        recorded: &StateEntry,
        media: Option<&str>,
    ) -> Result<(), StateError> {
        let found = match media {
            Some(id) => self.publisher.read(id).await.map(Some),
            None => self.find_live(e, recorded.journaled_at, true).await,
        };
        let found = match found {
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
        // Our own container went live: this post, published.
        self.adopt(e, found, &message, Verdict::Published).await
    }

    /// Records a post as published without publishing it: it is live already.
    pub(super) async fn adopt(
        &mut self,
        e: &PlanEntry,
        found: Option<LiveMedia>,
        message: &str,
        verdict: Verdict,
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
            entry.comments_enabled = m.comments_enabled;
            entry.published_at = m.published.or(Some(Timestamp::now()));
        }
        self.journal.save(&format!("adopted {}: {message}", e.id))?;
        self.progress.line(&format!("✓ {}: {message}", e.file));
        let pending = if found.is_some() {
            self.after_publish(e).await?
        } else {
            Vec::new()
        };
        let mut done = outcome(e, verdict, &self.journal.state, message.to_string());
        done.pending = pending;
        self.outcomes.push(done);
        Ok(())
    }

    /// Runs the lost-record guard on a due post: `true` when it is to be
    /// published; otherwise its outcome is said (adopted, held as a
    /// possible twin, or deferred when the recent media cannot be read).
    pub(super) async fn lost_record_guard(&mut self, e: &PlanEntry) -> Result<bool, StateError> {
        let allowed = self
            .ctx
            .posts
            .get(&e.key())
            .is_some_and(|p| p.post.fields.allow_duplicate);
        match self.already_live(e).await {
            Ok(Some(Twin::Sound(m))) => {
                let when = m.timestamp.clone().unwrap_or_default();
                let message = format!(
                    "found already live on the account (media {}, {when}) though the state did not record it; adopted, not posted again",
                    m.id
                );
                self.adopt(e, Some(m), &message, Verdict::Adopted).await?;
                Ok(false)
            }
            // The person said a second copy is meant.
            Ok(Some(Twin::Possible { .. })) if allowed => Ok(true),
            Ok(Some(Twin::Possible { media, why })) => {
                let message = format!(
                    "not published: media {} ({}, {}) has the same caption but is not surely this post: {why}. If it is this post, record it with `postwright state adopt {} {}`; if not, set `allow_duplicate: true` to publish this one",
                    media.id,
                    media.timestamp.as_deref().unwrap_or("time unknown"),
                    media.permalink.as_deref().unwrap_or("no permalink"),
                    e.id,
                    media.id,
                );
                self.progress.line(&format!("⚠ {}: {message}", e.file));
                self.outcomes.push(
                    outcome(e, Verdict::Held, &self.journal.state, message)
                        .because(Why::PossibleTwin),
                );
                Ok(false)
            }
            Ok(None) => Ok(true),
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
                self.outcomes.push(
                    outcome(e, Verdict::Deferred, &self.journal.state, why).because(Why::Unclear),
                );
                Ok(false)
            }
        }
    }

    /// The second guard, for a lost state record: the account's newest
    /// media, judged by [`twin::find`]. Posts without a caption (stories)
    /// are looked for only with a journal: type alone says too little.
    /// `[api] adopt_window_hours = 0` turns the guard off for posts without
    /// a journal.
    pub(super) async fn already_live(&mut self, e: &PlanEntry) -> Result<Option<Twin>, P::Error> {
        let Some(post) = self.ctx.posts.get(&e.key()).copied() else {
            return Ok(None);
        };
        let journaled = self
            .ctx
            .state
            .get(&e.id, e.acct())
            .and_then(|r| r.journaled_at);
        let caption = post
            .post
            .fields
            .caption
            .as_deref()
            .filter(|c| !c.trim().is_empty());
        let window = self.ctx.options.adopt_window;
        let stories = post.kind == PostType::Story;
        if journaled.is_none() && (window.is_zero() || caption.is_none() || stories) {
            return Ok(None);
        }
        let secs = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
        let window_start = (!window.is_zero())
            .then(|| {
                Timestamp::now()
                    .checked_sub(jiff::SignedDuration::from_secs(secs))
                    .ok()
            })
            .flatten();
        let since = match (journaled, post.publish_at) {
            (Some(j), Some(p)) => Some(j.min(p)),
            (j, p) => j.or(p),
        };
        let wanted = twin::Wanted {
            caption: if stories {
                None
            } else {
                Some(caption.unwrap_or(""))
            },
            kind: post.kind,
            items: post.media.len(),
            since,
            window_start,
        };
        let feed = Feed::of(post.kind);
        if !self.recent.contains_key(&feed) {
            let list = self.publisher.find_live(feed, 25).await?;
            self.recent.insert(feed, list);
        }
        let taken = self.taken(e);
        Ok(twin::find(&self.recent[&feed], &wanted, &taken))
    }

    /// Media ids the record holds for other targets than `e`.
    fn taken(&self, e: &PlanEntry) -> std::collections::HashSet<&str> {
        self.journal
            .state
            .records()
            .filter(|(id, r)| *id != e.id || r.account != e.acct())
            .filter_map(|(_, r)| r.media_id.as_deref())
            .collect()
    }

    /// The account's newest media matching this post (caption and type),
    /// published since `since`, and not recorded for another post. `fresh`
    /// reads the list again instead of using this run's copy.
    pub(super) async fn find_live(
        &mut self,
        e: &PlanEntry,
        since: Option<Timestamp>,
        fresh: bool,
    ) -> Result<Option<LiveMedia>, P::Error> {
        let Some(post) = self.ctx.posts.get(&e.key()).copied() else {
            return Ok(None);
        };
        let stories = post.kind == PostType::Story;
        let feed = Feed::of(post.kind);
        if fresh || !self.recent.contains_key(&feed) {
            let list = self.publisher.find_live(feed, 25).await?;
            self.recent.insert(feed, list);
        }
        let caption = post.post.fields.caption.as_deref().unwrap_or("");
        let taken = self.taken(e);
        Ok(self.recent[&feed]
            .iter()
            .find(|m| {
                let same_caption = stories || m.caption.as_deref().unwrap_or("") == caption;
                let same_type = m.kinds.contains(&post.kind);
                let recent_enough = match (since, m.published) {
                    (Some(since), Some(t)) => t.as_second() >= since.as_second() - 60,
                    (Some(_), None) => false,
                    (None, _) => true,
                };
                same_caption && same_type && recent_enough && !taken.contains(m.id.as_str())
            })
            .cloned())
    }
}

pub(super) enum Resumed {
    Done,
    Ready(Ready),
    Rebuild,
}
