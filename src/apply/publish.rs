//! Publishing one container, exactly once, and what Meta's subcodes say
//! to do when it refuses (docs/instagram.md, "Errors and container status").

use super::*;
use std::collections::HashSet;

impl<P: Publisher> AccountRun<'_, '_, P> {
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
    pub(super) async fn publish(
        &mut self,
        e: &PlanEntry,
        container: &str,
    ) -> Result<(), StateError> {
        let mut container = container.to_string();
        let mut rebuilt = false;
        let mut passing = 0;
        let mut not_ready = 0;
        let mut missing = 0;
        let waited = Instant::now();
        let poll = self.ctx.options.poll_interval;
        let media_id = loop {
            let entry = self.journal.entry(e.key())?;
            entry.status = Status::Publishing;
            entry.container_id = Some(container.clone());
            entry.journaled_at.get_or_insert_with(Timestamp::now);
            self.journal
                .checkpoint(&format!("publishing {} (handle {container})", e.id))?;

            let err = match self.publisher.publish(&container).await {
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
                    Ok(s) if s.state == ContainerState::Published => {
                        let recorded = self.journal.entry(e.key())?.clone();
                        return self.adopt_published(e, &recorded, s.media.as_deref()).await;
                    }
                    Ok(s) if s.state == ContainerState::Finished => {
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
                                err.short(),
                                pause.as_secs_f64()
                            ));
                            tokio::time::sleep(pause).await;
                        }
                        continue;
                    }
                    Ok(s) if s.state == ContainerState::Expired => rebuild = true,
                    Ok(s)
                        if class == ErrorClass::ContainerMissing
                            && s.state == ContainerState::Error =>
                    {
                        rebuild = true
                    }
                    _ => {}
                }
            }
            if rebuild && !rebuilt {
                rebuilt = true;
                self.progress.line(&format!(
                    "↻ {}: prepared post {container} cannot be published ({}), preparing it again",
                    e.file,
                    err.short()
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
            if rebuilt && err.suspect_token() {
                if let Err(token) = self.publisher.check_token().await {
                    self.account_error(&token);
                }
            }
            self.account_error(&err);
            let message = err.explain();
            match class {
                ErrorClass::QuotaReached | ErrorClass::RateLimited => {
                    // Refused before acting: not published, nothing to check.
                    let entry = self.journal.entry(e.key())?;
                    entry.status = Status::Failed;
                    entry.last_error = Some(format!("deferred: {message}"));
                    self.journal
                        .save(&format!("deferred {}: {message}", e.id))?;
                    self.progress
                        .line(&format!("⏸ {}: deferred ({message})", e.file));
                    self.hold(e);
                    let why = if class == ErrorClass::QuotaReached {
                        Why::Quota
                    } else {
                        Why::RateLimit
                    };
                    self.outcomes.push(
                        outcome(e, Verdict::Deferred, &self.journal.state, message).because(why),
                    );
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
        // A new media takes comments unless the post turns them off (then
        // `after_publish` does): recorded with the publish, not saved apart.
        let comments_stay_on = self
            .ctx
            .posts
            .get(&e.key())
            .is_some_and(|p| p.post.fields.comments != Some(false));
        let entry = self.journal.entry(e.key())?;
        if comments_stay_on && entry.comments_enabled.is_none() {
            entry.comments_enabled = Some(true);
        }
        entry.status = Status::Published;
        entry.commit = commit;
        entry.media_id = Some(media_id.clone());
        entry.published_at = Some(Timestamp::now());
        entry.last_error = None;
        // Left in memory for the next write (see `Journal::owe`): the record
        // that reached the remote before the call says `publishing` with the
        // handle, and the handle tells the next run it is live and as what.
        // The next post's checkpoint carries it, or `publish_due`'s settle.
        self.journal
            .owe(&format!("published {} as {media_id}", e.id));
        let pending = self.after_publish(e).await?;
        let permalink = self.journal.entry(e.key())?.permalink.clone();
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
}

impl<P: Publisher> AccountRun<'_, '_, P> {
    /// Publishes the posts at the head of `grid` whose containers are
    /// ready, in grid order, stopping at the first one still processing
    /// (its id in `processing`): nothing goes out before a post that
    /// precedes it on the grid.
    pub(super) async fn publish_due(
        &mut self,
        grid: &mut Grid<'_>,
        processing: &HashSet<String>,
    ) -> Result<(), StateError> {
        while let Some(e) = grid.order.get(grid.next).copied() {
            if processing.contains(&e.id) {
                break;
            }
            grid.next += 1;
            // Not ready and not processing: it failed or was deferred, and
            // its outcome is said.
            let Some(container) = grid.ready.remove(&e.id) else {
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
                self.outcomes.push(
                    outcome(e, Verdict::Deferred, &self.journal.state, why).because(Why::GridOrder),
                );
                continue;
            }
            self.publish(e, &container).await?;
        }
        self.journal.settle()
    }
}

/// The due posts in grid order and the containers ready for them: what
/// [`AccountRun::publish_due`] publishes from.
pub(super) struct Grid<'e> {
    order: Vec<&'e PlanEntry>,
    /// The first post of `order` not yet published or passed over.
    next: usize,
    /// Ready containers not yet published, by post id.
    ready: HashMap<String, String>,
}

impl<'e> Grid<'e> {
    pub(super) fn new(order: Vec<&'e PlanEntry>) -> Self {
        Self {
            order,
            next: 0,
            ready: HashMap::new(),
        }
    }

    /// Containers that finished processing.
    pub(super) fn ready(&mut self, ready: impl IntoIterator<Item = Ready>) {
        self.ready
            .extend(ready.into_iter().map(|r| (r.id, r.container_id)));
    }
}

/// Publishing a container Meta calls not ready (9007/2207027) is tried
/// again at most this many times in one run (and within `max_wait`).
pub(super) const MAX_NOT_READY_WAITS: u32 = 5;
