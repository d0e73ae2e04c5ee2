//! The guards that keep a post from going out twice: an interrupted
//! publish is resumed by asking its container; a post the record lost is
//! found live on the account and adopted instead of published again.

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
                self.adopt_published(e, &recorded).await?;
                Ok(Resumed::Done)
            }
            ContainerState::Finished | ContainerState::InProgress
                if recorded.status == Status::Publishing || recorded.status == Status::Creating =>
            {
                self.progress.line(&format!(
                    "↻ {}: container {container} is {}, publishing it",
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

    /// A container reads PUBLISHED: the post is live. Find its media among
    /// the account's newest and record it instead of publishing again.
    pub(super) async fn adopt_published(
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
    pub(super) async fn adopt(
        &mut self,
        e: &PlanEntry,
        found: Option<LiveMedia>,
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
    pub(super) async fn already_live(
        &mut self,
        e: &PlanEntry,
    ) -> Result<Option<LiveMedia>, P::Error> {
        let Some(post) = self.ctx.posts.get(&e.key()).copied() else {
            return Ok(None);
        };
        let journaled = self
            .ctx
            .state
            .get(&e.id, e.acct())
            .and_then(|r| r.journaled_at);
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
        let taken: std::collections::HashSet<&str> = self
            .journal
            .state
            .records()
            .filter(|(id, r)| *id != e.id || r.account != e.acct())
            .filter_map(|(_, r)| r.media_id.as_deref())
            .collect();
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
