//! Instagram as a [`Publisher`]: the Graph API client behind the trait,
//! with what differs between the two logins (deletes and resumable uploads
//! need Facebook Login).

use super::build::BuildJob;
use super::{ApiError, Client};
use crate::platform::{
    Capabilities, Comment, ContainerStatus, Feed, FeedPage, LiveMedia, Prepare, PrepareError,
    Prepared, Publisher, Quota,
};
use std::collections::HashMap;

/// `read_many` lists this many media more than it looks for.
const READ_MANY_SLACK: usize = 5;
/// The most `read_many` lists in one call (a page of the media edge).
const READ_MANY_MAX: usize = 100;

/// One Instagram account. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Instagram {
    pub(super) client: Client,
}

impl Instagram {
    pub fn new(client: Client) -> Instagram {
        Instagram { client }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Publisher for Instagram {
    type Error = ApiError;

    fn account(&self) -> &str {
        self.client.user_id()
    }

    fn capabilities(&self) -> Capabilities {
        super::spec::capabilities(self.client.login())
    }

    async fn check_token(&self) -> Result<(), ApiError> {
        self.client.identity().await.map(drop)
    }

    async fn quota(&self) -> Result<Quota, ApiError> {
        self.client.quota().await
    }

    async fn prepare(&self, job: Prepare) -> Result<Prepared, PrepareError<ApiError>> {
        BuildJob {
            job,
            publisher: self.clone(),
        }
        .build()
        .await
    }

    async fn status(&self, container: &str) -> Result<ContainerStatus, ApiError> {
        self.client.container_status(container).await
    }

    async fn publish(&self, container: &str) -> Result<String, ApiError> {
        self.client.publish(container).await
    }

    async fn find_live(&self, feed: Feed, limit: usize) -> Result<Vec<LiveMedia>, ApiError> {
        self.client.recent_media(feed == Feed::Stories, limit).await
    }

    async fn read(&self, media: &str) -> Result<LiveMedia, ApiError> {
        self.client.media(media).await
    }

    /// The account's newest media of each feed asked for, in one listing
    /// call per feed (docs/instagram.md, "Reading back what was
    /// published"): a run's publishes are the newest, so one page holds
    /// them. Media not on it (published long ago) are left to `read`.
    async fn read_many(
        &self,
        media: &[(String, Feed)],
    ) -> Result<HashMap<String, LiveMedia>, ApiError> {
        let mut found = HashMap::new();
        for feed in [Feed::Posts, Feed::Stories] {
            let wanted = media.iter().filter(|(_, f)| *f == feed).count();
            if wanted == 0 {
                continue;
            }
            // A little room for posts made meanwhile by other means.
            let limit = (wanted + READ_MANY_SLACK).min(READ_MANY_MAX);
            for m in self
                .client
                .recent_media(feed == Feed::Stories, limit)
                .await?
            {
                if media.iter().any(|(id, f)| *f == feed && *id == m.id) {
                    found.insert(m.id.clone(), m);
                }
            }
        }
        Ok(found)
    }

    async fn comments(&self, media: &str) -> Result<Vec<Comment>, ApiError> {
        self.client.comments(media).await
    }

    async fn post_comment(&self, media: &str, text: &str) -> Result<String, ApiError> {
        self.client.comment(media, text).await
    }

    async fn set_comments(&self, media: &str, enabled: bool) -> Result<(), ApiError> {
        self.client.set_comments(media, enabled).await
    }

    async fn feed_page(
        &self,
        feed: Feed,
        after: Option<&str>,
        limit: usize,
    ) -> Result<FeedPage, ApiError> {
        self.client
            .feed_page(feed == Feed::Stories, after, limit)
            .await
    }

    /// Deleting twice is fine: a media that is gone is what was wanted.
    async fn delete(&self, media: &str) -> Result<(), ApiError> {
        match self.client.delete(media).await {
            Err(err) if err.is_gone() => Ok(()),
            other => other,
        }
    }
}
