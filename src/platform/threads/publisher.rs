//! Threads as a [`Publisher`]. What Threads cannot do is said in
//! [`Capabilities`]: no uploaded bytes (media come from public URLs), and
//! no comments — Threads has replies, which are posts of their own
//! (docs/threads.md, "Replies, not comments").

use super::{build, Client, ThreadsError};
use crate::config::{Account, Config};
use crate::platform::{
    Capabilities, Comment, ContainerStatus, Feed, FeedPage, LiveMedia, Prepare, PrepareError,
    Prepared, Publisher, Quota,
};

/// Why postwright offers no first comments or comment toggles on Threads.
pub const NO_COMMENTS: &str = "Threads has replies, not comments: a first comment would be a reply post of its own (threads_manage_replies, and a publish of its own), and who may reply is set once, with `threads: {reply_control: …}`, when the post is made";

/// One Threads profile. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Threads {
    client: Client,
}

impl Threads {
    /// The account `name` of postwright.toml, its token read from
    /// `account.token_env()` (a missing or empty variable is an error that
    /// names the variable and the account, never a token).
    pub fn for_account(
        config: &Config,
        name: &str,
        account: &Account,
    ) -> Result<Threads, ThreadsError> {
        Client::for_account(config, name, account).map(Threads::new)
    }

    pub fn new(client: Client) -> Threads {
        Threads { client }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Publisher for Threads {
    type Error = ThreadsError;

    fn account(&self) -> &str {
        self.client.user_id()
    }

    fn capabilities(&self) -> Capabilities {
        super::spec::capabilities()
    }

    async fn check_token(&self) -> Result<(), ThreadsError> {
        self.client.identity().await.map(drop)
    }

    async fn quota(&self) -> Result<Quota, ThreadsError> {
        self.client.quota().await
    }

    async fn prepare(&self, job: Prepare) -> Result<Prepared, PrepareError<ThreadsError>> {
        build::build(job, self).await
    }

    async fn status(&self, container: &str) -> Result<ContainerStatus, ThreadsError> {
        self.client.container_status(container).await
    }

    async fn publish(&self, container: &str) -> Result<String, ThreadsError> {
        self.client.publish(container).await
    }

    /// Threads has no stories: that list is empty.
    /// Threads has no stories: that list is empty.
    async fn feed_page(
        &self,
        feed: Feed,
        after: Option<&str>,
        limit: usize,
    ) -> Result<FeedPage, ThreadsError> {
        match feed {
            Feed::Stories => Ok(FeedPage::default()),
            Feed::Posts => self.client.feed_page(after, limit).await,
        }
    }

    async fn find_live(&self, feed: Feed, limit: usize) -> Result<Vec<LiveMedia>, ThreadsError> {
        match feed {
            Feed::Stories => Ok(Vec::new()),
            Feed::Posts => self.client.recent(limit).await,
        }
    }

    async fn read(&self, media: &str) -> Result<LiveMedia, ThreadsError> {
        self.client.media(media).await
    }

    async fn comments(&self, _media: &str) -> Result<Vec<Comment>, ThreadsError> {
        Err(ThreadsError::Unsupported(NO_COMMENTS.into()))
    }

    async fn post_comment(&self, _media: &str, _text: &str) -> Result<String, ThreadsError> {
        Err(ThreadsError::Unsupported(NO_COMMENTS.into()))
    }

    async fn set_comments(&self, _media: &str, _enabled: bool) -> Result<(), ThreadsError> {
        Err(ThreadsError::Unsupported(NO_COMMENTS.into()))
    }

    /// `DELETE /{threads-media-id}`; a post already gone counts as deleted.
    async fn delete(&self, media: &str) -> Result<(), ThreadsError> {
        match self.client.delete(media).await {
            Err(err) if err.is_gone() => Ok(()),
            other => other,
        }
    }
}
