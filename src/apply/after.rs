//! After publishing: the permalink, the first comment (looked for before
//! it is posted), the comments setting; and the `update` and `delete`
//! actions on posts already live.

use super::*;

impl<P: Publisher> AccountRun<'_, '_, P> {
    /// After publishing: first comment, comments setting (the permalink
    /// comes at the end of the account's run, [`Self::permalinks`]). Each
    /// step is recorded; a failure here never unpublishes or fails the post.
    /// Returns what is left for the next apply, with the reason.
    pub(super) async fn after_publish(&mut self, e: &PlanEntry) -> Result<Vec<String>, StateError> {
        let mut pending = Vec::new();
        let Some(media_id) = self.journal.entry(e.key())?.media_id.clone() else {
            return Ok(pending);
        };
        let Some(post) = self.ctx.posts.get(&e.key()).copied() else {
            return Ok(pending);
        };
        let recorded = self.journal.entry(e.key())?;
        let (first_comment_id, comments_enabled) =
            (recorded.first_comment_id.clone(), recorded.comments_enabled);
        // A platform without comments is never asked (validation has said
        // that `first_comment` and `comments` are not sent there).
        if let Some(why) = self.publisher.capabilities().comments {
            if post.post.fields.first_comment.is_some() || post.post.fields.comments.is_some() {
                self.progress
                    .line(&format!("! {}: comments not set: {why}", e.file));
            }
            return Ok(pending);
        }
        if let (Some(text), None) = (&post.post.fields.first_comment, &first_comment_id) {
            match self.first_comment(e, &media_id, text).await {
                Ok(id) => {
                    self.progress
                        .line(&format!("✓ {}: first comment {id}", e.file));
                    self.journal.entry(e.key())?.first_comment_id = Some(id);
                    self.journal.save(&format!("first comment on {}", e.id))?;
                }
                Err(why) => {
                    self.progress
                        .line(&format!("! {}: first comment pending: {why}", e.file));
                    pending.push(format!("first comment: {why}; the next apply posts it"));
                }
            }
        }
        if post.post.fields.comments == Some(false) && comments_enabled != Some(false) {
            match self.publisher.set_comments(&media_id, false).await {
                Ok(()) => {
                    self.journal.entry(e.key())?.comments_enabled = Some(false);
                    self.journal.save(&format!("comments off on {}", e.id))?;
                }
                Err(err) => self.progress.line(&format!(
                    "! {}: turning comments off failed: {}",
                    e.file,
                    err.explain()
                )),
            }
        } else if comments_enabled.is_none() {
            self.journal.entry(e.key())?.comments_enabled = Some(true);
            self.journal.save(&format!("comments on {}", e.id))?;
        }
        Ok(pending)
    }

    /// The permalinks of the account's published posts that have none
    /// recorded — this run's, and those of an earlier run that ended
    /// before it read them — in as few calls as the platform allows
    /// (`read_many`), the rest one by one; recorded in one save, and put
    /// in this run's outcomes. A failure leaves them for the next run.
    pub(super) async fn permalinks(&mut self) -> Result<(), StateError> {
        if self.halted() {
            return Ok(());
        }
        let account = self.account_name();
        let wanted: Vec<((String, String), String, Feed)> = self
            .journal
            .state
            .records()
            .filter(|(_, r)| {
                r.account == account && r.status == Status::Published && r.permalink.is_none()
            })
            .filter_map(|(id, r)| {
                let media = r.media_id.clone()?;
                Some(((id.to_string(), r.account.clone()), media, Feed::of(r.kind)))
            })
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let ask: Vec<(String, Feed)> = wanted.iter().map(|(_, m, f)| (m.clone(), *f)).collect();
        let mut found = match self.publisher.read_many(&ask).await {
            Ok(found) => found,
            Err(err) => {
                self.account_error(&err);
                HashMap::new()
            }
        };
        let mut read = 0;
        for ((id, acct), media, _) in &wanted {
            let live = match found.remove(media) {
                Some(m) => m,
                None if self.halted() => continue,
                None => match self.publisher.read(media).await {
                    Ok(m) => m,
                    Err(err) => {
                        self.account_error(&err);
                        self.progress.line(&format!(
                            "! {id}: cannot read the permalink of media {media}: {}; the next apply reads it",
                            err.explain()
                        ));
                        continue;
                    }
                },
            };
            let Some(entry) = self.journal.state.get_mut(id, acct) else {
                continue;
            };
            let file = entry.file.clone();
            entry.permalink = live.permalink.clone();
            if let Some(t) = live.published {
                entry.published_at = Some(t);
            }
            entry.comments_enabled = entry.comments_enabled.or(live.comments_enabled);
            read += 1;
            if let Some(o) = self
                .outcomes
                .iter_mut()
                .find(|o| o.id == *id && o.account.as_deref().unwrap_or("") == acct)
            {
                o.permalink.clone_from(&live.permalink);
            }
            if let Some(link) = &live.permalink {
                self.progress.line(&format!("✓ {file}: {link}"));
            }
        }
        if read > 0 {
            self.journal.save(&format!("permalinks of {read} posts"))?;
        }
        Ok(())
    }

    /// Posts the first comment, at most once: before every attempt the
    /// media's comments are read, since an earlier attempt (or run) may
    /// have posted it and lost the answer. A passing failure is tried
    /// again, a few times with a pause; `Err` says why it is still missing.
    pub(super) async fn first_comment(
        &mut self,
        e: &PlanEntry,
        media_id: &str,
        text: &str,
    ) -> Result<String, String> {
        let passing =
            |err: &P::Error| matches!(err.class(), ErrorClass::Transient | ErrorClass::NotReady);
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
            match self.publisher.comments(media_id).await {
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
            match self.publisher.post_comment(media_id, text).await {
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
    pub(super) async fn update(&mut self, e: &PlanEntry) -> Result<(), StateError> {
        let mut done = Vec::new();
        if let Some(why) = self.publisher.capabilities().comments {
            self.fail(e, why);
            return Ok(());
        }
        if let (Some(enabled), Some(media_id)) = (e.comments_enabled, e.media_id.clone()) {
            match self.publisher.set_comments(&media_id, enabled).await {
                Ok(()) => {
                    if let Some(entry) = self.journal.state.get_mut(&e.id, e.acct()) {
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
            .get(&e.key())
            .is_some_and(|p| p.post.fields.first_comment.is_some());
        let recorded = |s: &Self| {
            s.journal
                .state
                .get(&e.id, e.acct())
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

    pub(super) async fn delete(&mut self, e: &PlanEntry) -> Result<(), StateError> {
        if let Some(why) = self.publisher.capabilities().no_delete {
            self.fail(e, why);
            return Ok(());
        }
        let Some(media_id) = e.media_id.clone() else {
            // Never went live (or unknown): nothing to delete on Instagram.
            self.journal.state.remove(&e.id, e.acct());
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
        match self.publisher.delete(&media_id).await {
            Ok(()) => {
                let mut o = outcome(
                    e,
                    Verdict::Deleted,
                    &self.journal.state,
                    format!("media {media_id} deleted"),
                );
                o.permalink = None;
                self.journal.state.remove(&e.id, e.acct());
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

/// Attempts at a first comment in one run (each after reading the comments).
pub(super) const FIRST_COMMENT_TRIES: u32 = 3;
