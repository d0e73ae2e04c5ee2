//! Building a post's containers: offering each media item to Meta (a URL
//! checked for reachability, or a resumable upload), creating carousel
//! items, then the post's own container.

use super::params::{container_params, Offer};
use super::{ApiError, Client, ErrorClass, Instagram};
use crate::content::PostType;
use crate::platform::poll::settle;
use crate::platform::{ContainerState, Prepare, PrepareError, Prepared};
use crate::validate::preflight::{Resolved, Source};
use std::path::Path;
use std::time::Duration;

type BuildError = PrepareError<ApiError>;

/// A post's containers being built (owned: it runs on its own task).
pub(super) struct BuildJob {
    pub(super) job: Prepare,
    pub(super) publisher: Instagram,
}

impl BuildJob {
    fn client(&self) -> &Client {
        &self.publisher.client
    }

    async fn offer(&self, media: &Resolved, http: &reqwest::Client) -> Result<Offer, BuildError> {
        if let Source::File { path, info } = &media.source {
            if media.is_video && self.job.resumable {
                // A Git LFS pointer's bytes are its object's.
                let file = crate::lfs::content_path(self.job.repo.join(path), info);
                return Ok(Offer::Upload(file));
            }
        }
        crate::platform::offer::public_url(&self.job, media, http)
            .await
            .map(Offer::Url)
            .map_err(crate::platform::offer::OfferError::into_prepare)
    }

    /// Every media URL checked first, so a post whose media Meta cannot
    /// fetch fails before it touches Instagram; then children, then parent.
    pub(super) async fn build(&self) -> Result<Prepared, BuildError> {
        if self.job.post.media.is_empty() {
            // Validate keeps text-only posts from Instagram accounts.
            return Err(BuildError::Media(
                "Instagram has no text-only posts; add media".into(),
            ));
        }
        let mut permit = Some(self.job.permits.clone().acquire_owned().await);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| BuildError::Media(format!("HTTP client: {e}")))?;
        let mut offers = Vec::with_capacity(self.job.post.media.len());
        for m in &self.job.post.media {
            offers.push(self.offer(m, &http).await?);
        }
        let cover = match &self.job.post.cover {
            Some(c) => match self.offer(c, &http).await? {
                Offer::Url(u) => Some(u),
                Offer::Upload(_) => None,
            },
            None => None,
        };
        let mut plan = container_params(&self.job.post, &offers, cover);
        let mut children = Vec::with_capacity(plan.items.len());
        for (params, offer) in plan.items.into_iter().zip(&offers) {
            let created = self.client().create_container(params).await?;
            if let Offer::Upload(path) = offer {
                self.send_bytes(&created.id, path).await?;
            }
            children.push(created.id);
        }
        if !children.is_empty() {
            // Meta builds the album from finished items only: video items
            // must be processed before the parent is created. Other posts'
            // containers are made meanwhile.
            if self.job.post.media.iter().any(|m| m.is_video) {
                permit = None;
            }
            for (child, media) in children.iter().zip(&self.job.post.media) {
                if media.is_video {
                    self.wait_finished(child).await?;
                }
            }
            if permit.is_none() {
                permit = Some(self.job.permits.clone().acquire_owned().await);
            }
            plan.parent.insert(1, ("children", children.join(",")));
        }
        let created = self.client().create_container(plan.parent).await?;
        if let (PostType::Image | PostType::Reel | PostType::Story, Some(Offer::Upload(path))) =
            (self.job.post.kind, offers.first())
        {
            self.send_bytes(&created.id, path).await?;
        }
        drop(permit);
        Ok(Prepared {
            handle: created.id,
            children,
        })
    }

    /// Waits for a container to be FINISHED; processing errors and the
    /// time limit become errors of the post.
    async fn wait_finished(&self, container: &str) -> Result<(), BuildError> {
        let s = settle(
            &self.publisher,
            container,
            self.job.poll_interval,
            self.job.max_wait,
            || false,
        )
        .await?;
        match s.state {
            ContainerState::Finished => Ok(()),
            ContainerState::InProgress => Err(BuildError::Media(format!(
                "Meta was still processing carousel item {container} after {} s; the next apply tries again",
                self.job.max_wait.as_secs()
            ))),
            _ => Err(BuildError::Media(format!(
                "carousel item: {}",
                s.failure.map(|f| f.message).unwrap_or(s.code)
            ))),
        }
    }

    /// Resumable upload: send the bytes, and after a break continue from
    /// what the upload host says it has.
    async fn send_bytes(&self, container: &str, path: &Path) -> Result<(), BuildError> {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| BuildError::Media(format!("{}: {e}", path.display())))?;
        let mut offset = 0;
        for _ in 0..3 {
            match self.client().upload(container, bytes.clone(), offset).await {
                Ok(()) => return Ok(()),
                Err(err) if err.class() == ErrorClass::Transient => {
                    offset = self.client().uploaded_bytes(container).await.unwrap_or(0);
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(BuildError::Media(format!(
            "{}: the upload kept breaking off",
            path.display()
        )))
    }
}
