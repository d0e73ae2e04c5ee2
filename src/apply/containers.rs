//! Containers: created for every due post (concurrently, bounded), then
//! polled until Meta has processed them, with a line every ten polls.

use super::*;
use std::collections::HashSet;

impl<P: Publisher> AccountRun<'_, '_, P> {
    /// Creates containers for every post in `queue`, bounded concurrency,
    /// journaling each post's containers as they are made.
    pub(super) async fn build_all(
        &mut self,
        queue: &[&PlanEntry],
    ) -> Result<Vec<Ready>, StateError> {
        let semaphore = Arc::new(Semaphore::new(self.ctx.options.concurrency));
        let mut tasks = JoinSet::new();
        // Which post each task builds: a task that panics or is cancelled
        // says only its task id, and its post must still get an outcome.
        let mut building: HashMap<tokio::task::Id, String> = HashMap::new();
        // Posts with a video first: Meta's processing, the longest wait,
        // starts as early as it can. (Publish order stays grid order.)
        let mut order: Vec<&PlanEntry> = queue.to_vec();
        order.sort_by_key(|e| {
            !self
                .ctx
                .posts
                .get(&e.key())
                .is_some_and(|p| p.media.iter().any(|m| m.is_video))
        });
        for e in order {
            if self.halted() {
                self.defer(e);
                continue;
            }
            let Some(post) = self.ctx.posts.get(&e.key()) else {
                self.fail(e, "the post is not in the plan's valid posts".into());
                continue;
            };
            self.progress.line(&format!("… {}: preparing", e.file));
            let job = self.job(post, &semaphore);
            let id = e.id.clone();
            let publisher = self.publisher.clone();
            let task = tasks.spawn(async move { publisher.prepare(job).await });
            building.insert(task.id(), id);
        }
        let mut ready = Vec::new();
        while let Some(joined) = self.next_built(&mut tasks).await {
            let (task, result) = match joined {
                Ok(done) => done,
                Err(lost) => {
                    self.task_lost(queue, &building, &lost)?;
                    continue;
                }
            };
            let Some(e) = building
                .get(&task)
                .and_then(|id| queue.iter().find(|e| e.id == *id))
            else {
                continue;
            };
            let id = e.id.clone();
            match result {
                Ok(built) => {
                    let Some(entry) = self.record(e, Status::Creating) else {
                        continue;
                    };
                    entry.file = e.file.clone();
                    entry.content_hash = e.content_hash.clone().unwrap_or_default();
                    entry.container_id = Some(built.handle.clone());
                    entry.children = built.children;
                    entry.last_error = None;
                    entry.journaled_at.get_or_insert_with(Timestamp::now);
                    self.journal.save(&format!("prepared {id}"))?;
                    ready.push(Ready {
                        id,
                        container_id: built.handle,
                    });
                }
                // A URL from the store was fetched a moment before: Meta
                // failing to fetch it (expired before its queue got to it,
                // the store briefly away) is passing, and the next run
                // signs a new one.
                Err(PrepareError::Api(err))
                    if err.class() == ErrorClass::MediaFetch && self.ctx.media_store.is_some() =>
                {
                    self.store_deferred(e, &err.explain())?;
                }
                Err(PrepareError::Api(err)) => {
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
                Err(PrepareError::Media(message)) => {
                    self.record_failure(e, &message)?;
                    self.fail(e, message);
                }
                Err(PrepareError::Store(message)) => self.store_deferred(e, &message)?,
            }
        }
        self.store_progress();
        Ok(ready)
    }

    /// What building `post`'s containers needs; `permits` are the run's
    /// (`[api] concurrency`).
    pub(super) fn job(&self, post: &ValidPost, permits: &Arc<Semaphore>) -> Prepare {
        Prepare {
            post: post.clone(),
            repo: self.ctx.repo.to_path_buf(),
            hosting: self.ctx.hosting.clone(),
            store: self.ctx.media_store.clone(),
            upload_command: self.ctx.config.media.upload_command.clone(),
            resumable: self.ctx.config.media.video_upload == VideoUpload::Resumable
                && self.publisher.capabilities().resumable_upload,
            poll_interval: self.ctx.options.poll_interval,
            max_wait: self.ctx.options.max_wait,
            // The build holds one while it calls Meta (see `Prepare`).
            permits: permits.clone(),
        }
    }

    /// A post whose build task panicked (a bug) or was cancelled: it gets a
    /// failed outcome like any other failure, recorded, and holds the
    /// posts after it (grid order) until a run builds it.
    fn task_lost(
        &mut self,
        queue: &[&PlanEntry],
        building: &HashMap<tokio::task::Id, String>,
        lost: &tokio::task::JoinError,
    ) -> Result<(), StateError> {
        let Some(e) = building
            .get(&lost.id())
            .and_then(|id| queue.iter().copied().find(|e| e.id == *id))
        else {
            return Ok(());
        };
        let message = lost_task(lost, "preparing it");
        self.hold(e);
        self.record_failure(e, &message)?;
        self.fail(e, message);
        Ok(())
    }

    /// A post whose media the store could not take or serve: nothing is
    /// live, the reason is recorded, and a later run tries again. Later
    /// posts wait with it, so the grid keeps its order.
    fn store_deferred(&mut self, e: &PlanEntry, message: &str) -> Result<(), StateError> {
        self.hold(e);
        self.record_failure(e, message)?;
        let message = crate::hosting::redact::urls(message);
        self.progress.line(&format!("⏸ {}: {message}", e.file));
        self.outcomes.push(
            outcome(e, Verdict::Deferred, &self.journal.state, message).because(Why::MediaStore),
        );
        Ok(())
    }

    /// The next build to end; meanwhile, with `[media] store`, a line per
    /// file uploaded and the bytes going up, twice a second.
    async fn next_built<T: 'static>(
        &mut self,
        tasks: &mut JoinSet<T>,
    ) -> Option<Result<(tokio::task::Id, T), tokio::task::JoinError>> {
        if self.ctx.media_store.is_none() {
            return tasks.join_next_with_id().await;
        }
        let mut said = Instant::now();
        loop {
            tokio::select! {
                joined = tasks.join_next_with_id() => {
                    self.store_progress();
                    return joined;
                }
                () = tokio::time::sleep(Duration::from_millis(500)) => {
                    self.store_progress();
                    // A log has no spinner: the bytes every ten seconds.
                    if said.elapsed() >= Duration::from_secs(10) {
                        said = Instant::now();
                        let store = self.ctx.media_store.as_ref();
                        if let Some(now) = store.and_then(|s| s.status()) {
                            self.progress.line(&format!("… {now}"));
                        }
                    }
                }
            }
        }
    }

    fn store_progress(&mut self) {
        let Some(store) = &self.ctx.media_store else {
            return;
        };
        for line in store.take_lines() {
            self.progress.line(&line);
        }
        self.progress.status(store.status().as_deref());
    }

    /// Polls every container until FINISHED (or a failure, or the time
    /// limit); returns those ready to publish, in the given order. With a
    /// `grid`, each round's ready containers go to it and the posts at its
    /// head are published between rounds (see [`Self::publish_due`]); the
    /// ones returned are those it did not take.
    pub(super) async fn wait_all(
        &mut self,
        ready: Vec<Ready>,
        entries: &[&PlanEntry],
        mut grid: Option<&mut publish::Grid<'_>>,
    ) -> Result<Vec<Ready>, StateError> {
        let start = Instant::now();
        let poll_interval = self.ctx.options.poll_interval;
        let report_every = poll_interval * crate::platform::poll::REPORT_EVERY;
        let mut reported = Instant::now();
        let mut pending: Vec<Waiting> = ready
            .into_iter()
            .map(|ready| Waiting {
                ready,
                finished: false,
            })
            .collect();
        loop {
            if self.halted() {
                break;
            }
            let waiting = self.round(&mut pending, entries).await?;
            if let Some(grid) = grid.as_deref_mut() {
                // Ready ones leave `pending` (an empty id) for the grid.
                grid.ready(
                    pending
                        .iter_mut()
                        .filter(|w| w.finished && !w.ready.container_id.is_empty())
                        .filter(|w| !w.ready.id.is_empty())
                        .map(|w| Ready {
                            id: std::mem::take(&mut w.ready.id),
                            container_id: w.ready.container_id.clone(),
                        }),
                );
                let processing: HashSet<String> = pending
                    .iter()
                    .filter(|w| !w.finished)
                    .map(|w| w.ready.id.clone())
                    .collect();
                self.publish_due(grid, &processing).await?;
            }
            if waiting == 0 || self.halted() {
                break;
            }
            if start.elapsed() >= self.ctx.options.max_wait {
                for Waiting { ready: r, finished } in pending.iter_mut().filter(|w| !w.finished) {
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
                .filter(|w| !w.finished)
                .filter_map(|w| entries.iter().copied().find(|e| e.id == w.ready.id))
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
            tokio::time::sleep(crate::platform::poll::delay(start.elapsed(), poll_interval)).await;
        }
        self.progress.status(None);
        Ok(pending
            .into_iter()
            .map(|w| w.ready)
            .filter(|r| !r.container_id.is_empty() && !r.id.is_empty())
            .collect())
    }

    /// One round of status reads of the containers not yet finished;
    /// returns how many are still processing.
    async fn round(
        &mut self,
        pending: &mut [Waiting],
        entries: &[&PlanEntry],
    ) -> Result<usize, StateError> {
        let mut waiting = 0;
        // This round's reads, concurrently (within `[api] concurrency`).
        let asked: Vec<(usize, String)> = pending
            .iter()
            .enumerate()
            .filter(|(_, w)| !w.finished)
            .map(|(i, w)| (i, w.ready.container_id.clone()))
            .collect();
        let Statuses { answers, lost } = self.statuses(&asked).await;
        // A read that panicked is a bug that reading again would only
        // repeat: the post fails (and holds the ones after it).
        for (i, message) in lost {
            let Some(w) = pending.get_mut(i) else {
                continue;
            };
            w.finished = true;
            let id = std::mem::take(&mut w.ready.id);
            if let Some(e) = entries.iter().find(|e| e.id == id) {
                self.hold(e);
                self.fail(e, message);
            }
        }
        for (i, answer) in answers {
            // `i` indexes `pending`: `asked` was made from it above.
            let Some(Waiting { ready: r, finished }) = pending.get_mut(i) else {
                continue;
            };
            match answer {
                Ok(s) if s.state == ContainerState::Finished => *finished = true,
                Ok(s) if s.state == ContainerState::InProgress => waiting += 1,
                Ok(s) => {
                    let Failure { message, class } = s.failure.unwrap_or_else(|| Failure {
                        message: format!("prepared post {} is {}", r.container_id, s.code),
                        class: ErrorClass::Other,
                    });
                    r.container_id.clear();
                    *finished = true;
                    if let Some(e) = entries.iter().find(|e| e.id == r.id) {
                        if class == ErrorClass::MediaFetch && self.ctx.media_store.is_some() {
                            // As at creation: see `build_all`.
                            self.store_deferred(e, &message)?;
                            continue;
                        }
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
        Ok(waiting)
    }

    /// Status reads of several containers at once (within `[api]
    /// concurrency`): `(index, answer)` in the order asked, and the reads
    /// whose task panicked or was cancelled, with why.
    async fn statuses(&self, asked: &[(usize, String)]) -> Statuses<P::Error> {
        let semaphore = Arc::new(Semaphore::new(self.ctx.options.concurrency));
        let mut reads = JoinSet::new();
        let mut index = HashMap::new();
        for (i, id) in asked.iter().cloned() {
            let publisher = self.publisher.clone();
            let semaphore = semaphore.clone();
            let task = reads.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                publisher.status(&id).await
            });
            index.insert(task.id(), i);
        }
        let mut answers = Vec::with_capacity(asked.len());
        let mut lost = Vec::new();
        while let Some(joined) = reads.join_next_with_id().await {
            match joined {
                Ok((task, answer)) => answers.extend(index.get(&task).map(|i| (*i, answer))),
                Err(e) => lost.extend(
                    index
                        .get(&e.id())
                        .map(|i| (*i, lost_task(&e, "reading its prepared post's status"))),
                ),
            }
        }
        answers.sort_by_key(|(i, _)| *i);
        Statuses { answers, lost }
    }

    pub(super) async fn settle(&self, container: &str) -> Result<ContainerStatus, P::Error> {
        let options = &self.ctx.options;
        crate::platform::poll::settle(
            &self.publisher,
            container,
            options.poll_interval,
            options.max_wait,
            || self.halted(),
        )
        .await
    }

    /// A new container for a post whose container expired, journaled and
    /// waited for. `None` when it failed (already reported).
    pub(super) async fn rebuild(&mut self, e: &PlanEntry) -> Result<Option<String>, StateError> {
        let built = self.build_all(&[e]).await?;
        // Boxed: waiting may publish, and publishing may rebuild.
        let ready = Box::pin(self.wait_all(built, &[e], None)).await?;
        Ok(ready.into_iter().next().map(|r| r.container_id))
    }
}

/// Why a task ended without an answer, for the post's outcome.
fn lost_task(lost: &tokio::task::JoinError, doing: &str) -> String {
    if lost.is_cancelled() {
        format!("{doing} was cancelled before it ended; the next apply tries again")
    } else {
        // The payload is only readable by taking the error: say what it can.
        format!(
            "{doing} stopped on an internal error (a bug in postwright; please report it): {lost}; the next apply tries again"
        )
    }
}

/// What a round of status reads brought.
struct Statuses<E> {
    answers: Vec<(usize, Result<ContainerStatus, E>)>,
    lost: Vec<(usize, String)>,
}

/// A container being waited for.
struct Waiting {
    ready: Ready,
    /// No more reads: FINISHED, failed, or out of time.
    finished: bool,
}

/// "video" for reels, "media" for the rest (a carousel may mix).
pub(super) fn what_meta_processes(e: &PlanEntry) -> &'static str {
    match e.kind {
        Some(PostType::Reel) => "video",
        _ => "media",
    }
}
