//! A post whose key an earlier run journaled (docs/mastodon.md, "Exactly
//! once"): within the key's hour it is sent again under that key; after
//! it, the account's statuses are read back for the one it made.

use super::super::once::{self, Sent};
use super::super::status::{NewStatus, Status};
use super::super::MastodonError;
use super::{lock, Built, Mastodon};
use crate::platform::Prepared;
use jiff::Timestamp;

/// What a post's journaled key means for its next build.
pub(super) enum Earlier {
    /// No key journaled, or one past its hour whose status was not made.
    Fresh,
    /// Within its hour: sent again.
    Resend { handle: String, born: Timestamp },
    /// Its status was made: nothing to build.
    Made(Prepared),
}

impl Mastodon {
    /// What the key an earlier run journaled for this post (if this run
    /// was asked about it: [`Publisher::status`]) means at `now`: sent
    /// again within its hour; after it, the status it made, read back
    /// (held, for [`Publisher::publish`] to record), or a fresh start.
    pub(super) async fn earlier(
        &self,
        post_id: &str,
        text: &str,
        media: usize,
        now: Timestamp,
    ) -> Result<Earlier, MastodonError> {
        let journaled = lock(&self.inner.journaled).remove(&once::post_hash(post_id));
        let Some((handle, key)) = journaled else {
            return Ok(Earlier::Fresh);
        };
        if once::reusable(key.born, now) {
            return Ok(Earlier::Resend {
                handle,
                born: key.born,
            });
        }
        let sent = Sent {
            text,
            media,
            born: key.born,
        };
        let Some(found) = self.made_by(&sent).await? else {
            // Not made: posted anew, under a key of its own hour.
            return Ok(Earlier::Fresh);
        };
        lock(&self.inner.built).insert(
            handle.clone(),
            Built {
                status: NewStatus::default(),
                items: media,
                posted: None,
                born: key.born,
                reused: true,
                found: Some(found),
            },
        );
        Ok(Earlier::Made(Prepared {
            handle,
            children: Vec::new(),
        }))
    }

    /// The server's time now. Before any answer of this run it asks who
    /// the token is (the read-back needs the account anyway); a server
    /// whose answers carry no `Date` is taken to share this machine's clock.
    pub(super) async fn server_now(&self) -> Timestamp {
        if let Some(now) = self.client().server_now() {
            return now;
        }
        // Only the answer's `Date` is wanted here: an error is met again,
        // and reported, by the calls that need the token.
        let _ = self.me().await;
        self.client().server_now().unwrap_or_else(Timestamp::now)
    }

    /// The status a post sent under a key born `sent.born` made, read back
    /// from the account's statuses since then (bounded: [`once::PAGES`]).
    pub(super) async fn made_by(&self, sent: &Sent<'_>) -> Result<Option<Status>, MastodonError> {
        let me = self.me().await?;
        let since = once::read_back_from(sent.born);
        let (list, _) = self
            .patient(|| self.client().statuses_since(&me, since, once::PAGES))
            .await?;
        let skip: Vec<String> = lock(&self.inner.published).keys().cloned().collect();
        Ok(once::made_by(&list, sent, &skip).cloned())
    }
}
