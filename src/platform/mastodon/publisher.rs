//! Mastodon as a [`Publisher`]: one [`Client`] per account per run. A
//! post has no container on the server: [`Publisher::prepare`] uploads the
//! media (`POST /api/v2/media`, alt text as `description`), waits until
//! each file is processed (an unprocessed one is never attached), builds
//! the status and keeps it in memory under an `Idempotency-Key` — the
//! handle apply journals before publishing; [`Publisher::publish`] posts
//! it with that key ([`Client::post_once`]: a repeat with the same key
//! returns the same status).
//!
//! A handle this run does not hold was built by a run that stopped, maybe
//! after the server made the status: it is [`ContainerState::Expired`],
//! and apply prepares the post again. That build finds the journaled key
//! ([`once`]): within its hour the same key is sent again (the server
//! answers with the status it made, if any); after it, the account's
//! statuses since the key's birth are read for the one it made, which is
//! then recorded instead of posted (docs/mastodon.md, "Exactly once").

use super::once::{self, Key, Sent};
use super::status::{NewStatus, Posted, Status};
use super::{Client, MastodonError, Settings};
use crate::config::{Account, Config};
use crate::content::PostType;
use crate::platform::{
    Capabilities, ContainerState, ContainerStatus, ErrorClass, Failure, Feed, FeedPage, Handed,
    LiveMedia, Prepare, PrepareError, Prepared, Publisher,
};
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

mod again;
mod build;
use again::Earlier;

/// Waits for one rate limit at most this many times per call.
const RATE_WAITS: u32 = 2;

/// One Mastodon account for a run. Cheap to clone; clones share the
/// client and the statuses built.
#[derive(Debug, Clone)]
pub struct Mastodon {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    name: String,
    client: Client,
    /// `[api] max_rate_wait_secs`: a rate limit lifting sooner is waited for.
    max_rate_wait: std::time::Duration,
    /// Statuses built by this run, by handle (their Idempotency-Key).
    built: Mutex<HashMap<String, Built>>,
    /// Statuses this run posted, by id.
    published: Mutex<HashMap<String, LiveMedia>>,
    /// The account's id, once asked.
    me: Mutex<Option<String>>,
    /// The instance's limits, read once per run before the first upload.
    limits: tokio::sync::OnceCell<super::InstanceLimits>,
    /// An upload refused for the token (a missing `write:media`): apply
    /// stops the account, and builds already queued fail without a call.
    refused: Mutex<Option<MastodonError>>,
    /// Keys journaled by an earlier run that this run was asked about
    /// ([`Publisher::status`]), by the hash of their post's id: the
    /// post's next build sends the same key, or reads back for its status.
    journaled: Mutex<HashMap<u64, (String, Key)>>,
}

#[derive(Debug, Clone)]
struct Built {
    status: NewStatus,
    items: usize,
    /// The status it became, once posted.
    posted: Option<String>,
    /// When its key was made, on the server's clock.
    born: Timestamp,
    /// Its key was journaled by an earlier run, and maybe sent.
    reused: bool,
    /// The status an earlier run made for it, found by reading back:
    /// publishing records it and sends nothing.
    found: Option<Status>,
}

impl Mastodon {
    /// The account `name` of postwright.toml, its token read from
    /// `account.token_env()` (a missing variable is an error that names it).
    pub fn for_account(
        config: &Config,
        name: &str,
        account: &Account,
    ) -> Result<Mastodon, MastodonError> {
        let settings = Settings::of(account);
        let options = super::client::Options {
            retry_base: std::time::Duration::from_millis(config.api.retry_base_ms.max(1)),
            ..Default::default()
        };
        let client = Client::from_env(&settings.instance, account.token_env(), name, options)?;
        Ok(Mastodon {
            inner: Arc::new(Inner {
                name: name.to_string(),
                client,
                max_rate_wait: std::time::Duration::from_secs(config.api.max_rate_wait_secs),
                built: Mutex::new(HashMap::new()),
                published: Mutex::new(HashMap::new()),
                me: Mutex::new(None),
                limits: tokio::sync::OnceCell::new(),
                refused: Mutex::new(None),
                journaled: Mutex::new(HashMap::new()),
            }),
        })
    }

    fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Runs `call`, waiting for a rate limit that lifts within
    /// `max_rate_wait` (a 429 was refused before anything happened, so a
    /// write is repeated safely, with its same key); otherwise the
    /// rate-limited error, and apply defers the account's posts.
    async fn patient<T, F, Fut>(&self, mut call: F) -> Result<T, MastodonError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, MastodonError>>,
    {
        let mut waits = 0;
        loop {
            match call().await {
                Err(e) if e.class() == ErrorClass::RateLimited && waits < RATE_WAITS => {
                    let wait = e.rate().and_then(|r| r.wait(Timestamp::now()));
                    match wait {
                        Some(w) if w <= self.inner.max_rate_wait => {
                            waits += 1;
                            // The reset is whole seconds: a little past it.
                            tokio::time::sleep(w + std::time::Duration::from_millis(250)).await;
                        }
                        _ => return Err(e),
                    }
                }
                other => return other,
            }
        }
    }

    async fn me(&self) -> Result<String, MastodonError> {
        if let Some(id) = lock(&self.inner.me).clone() {
            return Ok(id);
        }
        let id = self
            .patient(|| self.client().verify_credentials())
            .await?
            .id;
        *lock(&self.inner.me) = Some(id.clone());
        Ok(id)
    }

    /// The live instance's limits (read once per run).
    async fn limits(&self) -> Result<&super::InstanceLimits, MastodonError> {
        self.inner
            .limits
            .get_or_try_init(|| async {
                let instance = self.patient(|| self.client().instance()).await?;
                Ok(instance.limits)
            })
            .await
    }

    /// Records a status as what `handle` became.
    fn posted(&self, handle: &str, status: &Status, built: &Built) -> String {
        let mut live = self.live(status);
        if built.found.is_none() {
            // The text sent, rather than the HTML read back.
            live.caption = Some(built.status.status.clone());
        }
        live.items = Some(built.items);
        if let Some(b) = lock(&self.inner.built).get_mut(handle) {
            b.posted = Some(status.id.clone());
        }
        lock(&self.inner.published).insert(status.id.clone(), live);
        status.id.clone()
    }

    fn live(&self, s: &Status) -> LiveMedia {
        let n = s.media_ids.len();
        // One attachment's type is not read: an image or a video.
        let kinds = match n {
            0 => vec![PostType::Text],
            1 => vec![PostType::Image, PostType::Reel],
            _ => vec![PostType::Carousel],
        };
        LiveMedia {
            id: s.id.clone(),
            // The lost-record guard compares captions: the source text when
            // the server gave it, else the rendered HTML read back as text.
            caption: Some(s.text.clone().unwrap_or_else(|| plain(&s.content))),
            permalink: s.url.clone(),
            timestamp: s.created_at.map(|t| t.to_string()),
            published: s.created_at,
            comments_enabled: None,
            kinds,
            items: Some(n),
        }
    }
}

/// A status's HTML as the text it was written from: paragraphs apart by
/// a blank line, `<br>` a line break, other tags dropped, entities read.
/// A mention renders as `@user` only, so a text with a remote mention
/// does not read back as written.
pub(super) fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        if tag.starts_with("br") {
            out.push('\n');
        } else if tag == "p" && !out.is_empty() {
            out.push_str("\n\n");
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Publisher for Mastodon {
    type Error = MastodonError;

    fn account(&self) -> &str {
        &self.inner.name
    }

    fn capabilities(&self) -> Capabilities {
        super::spec::capabilities()
    }

    async fn check_token(&self) -> Result<(), MastodonError> {
        self.me().await.map(drop)
    }

    async fn prepare(&self, job: Prepare) -> Result<Prepared, PrepareError<MastodonError>> {
        self.build(job).await
    }

    async fn status(&self, handle: &str) -> Result<ContainerStatus, MastodonError> {
        let built = lock(&self.inner.built).get(handle).cloned();
        match built {
            Some(Built {
                posted: Some(id), ..
            }) => Ok(ContainerStatus {
                state: ContainerState::Published,
                code: "PUBLISHED".into(),
                failure: Some(Failure {
                    message: format!("status {id} is published already"),
                    class: ErrorClass::Other,
                }),
                media: Some(id),
            }),
            Some(_) => Ok(ContainerStatus {
                state: ContainerState::Finished,
                code: "BUILT".into(),
                failure: None,
                media: None,
            }),
            // Built by a run that stopped: apply prepares the post again,
            // and that build sends this key again or reads back (`build`).
            None => {
                if let Some(key) = once::parse(handle) {
                    lock(&self.inner.journaled).insert(key.post, (handle.to_string(), key));
                }
                Ok(ContainerStatus {
                    state: ContainerState::Expired,
                    code: "NOT_HELD".into(),
                    failure: Some(Failure {
                        message: MastodonError::NotHeld(handle.to_string()).to_string(),
                        class: ErrorClass::Expired,
                    }),
                    media: None,
                })
            }
        }
    }

    async fn publish(&self, handle: &str) -> Result<String, MastodonError> {
        let built = lock(&self.inner.built)
            .get(handle)
            .cloned()
            .ok_or_else(|| MastodonError::NotHeld(handle.to_string()))?;
        let sent = Sent {
            text: &built.status.status,
            media: built.items,
            born: built.born,
        };
        let mut found = built.found.clone();
        // A key sent again after a long wait for media may have left the
        // server's hour meanwhile: what it made is read back first.
        if found.is_none() && built.reused && !once::reusable(built.born, self.server_now().await) {
            found = self.made_by(&sent).await?;
        }
        if let Some(found) = &found {
            return Ok(self.posted(handle, found, &built));
        }
        let posted = self
            .patient(|| self.client().post_once(handle, &built.status))
            .await;
        let done = match posted {
            Ok(done) => done,
            // No answer even to the repeat, or a known key answered with a
            // 500 (mastodon/mastodon#40399): the status may be made.
            Err(e) if e.outcome_unknown() => {
                return match self.made_by(&sent).await {
                    Ok(Some(found)) => Ok(self.posted(handle, &found, &built)),
                    // Not found, or not readable: the outcome stays open
                    // and apply asks again (the same key).
                    _ => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        let status = match done.posted {
            Posted::Status(s) => s,
            Posted::Scheduled(s) => {
                return Err(MastodonError::from(crate::platform::Unsupported(format!(
                    "a scheduled status ({})",
                    s.id
                ))))
            }
        };
        Ok(self.posted(handle, &status, &built))
    }

    /// Mastodon has no stories: that list is empty.
    async fn find_live(&self, feed: Feed, limit: usize) -> Result<Vec<LiveMedia>, MastodonError> {
        if feed == Feed::Stories {
            return Ok(Vec::new());
        }
        let me = self.me().await?;
        let limit = u8::try_from(limit.min(40)).unwrap_or(40);
        let statuses = self
            .patient(|| self.client().account_statuses(&me, limit))
            .await?;
        Ok(statuses.iter().map(|s| self.live(s)).collect())
    }

    /// The account's own statuses, 40 a page (docs/mastodon.md,
    /// "Importing an account"); Mastodon has no stories.
    async fn feed_page(
        &self,
        feed: Feed,
        after: Option<&str>,
        limit: usize,
    ) -> Result<FeedPage, MastodonError> {
        if feed == Feed::Stories {
            return Ok(FeedPage::default());
        }
        let me = self.me().await?;
        let statuses = self
            .patient(|| self.client().feed_statuses(&me, after, limit))
            .await?;
        Ok(super::feed::page(&statuses))
    }

    async fn read(&self, media: &str) -> Result<LiveMedia, MastodonError> {
        if let Some(live) = lock(&self.inner.published).get(media) {
            return Ok(live.clone());
        }
        match self.patient(|| self.client().get_status(media)).await? {
            Some(s) => Ok(self.live(&s)),
            None => Err(MastodonError::Gone(media.to_string())),
        }
    }

    /// A status already gone counts as deleted.
    async fn delete(&self, media: &str) -> Result<(), MastodonError> {
        self.patient(|| self.client().delete_status(media)).await?;
        lock(&self.inner.published).remove(media);
        Ok(())
    }

    // Scheduled statuses (docs/mastodon.md, "Scheduling").

    /// Posts the built status with `scheduled_at` and its key. Mastodon
    /// 4.3 answers a repeated key with the same scheduled status, older
    /// servers ignored it (mastodon/mastodon#30039): a lost answer is not
    /// repeated here but found by [`Publisher::find_held`].
    async fn schedule(&self, handle: &str, at: Timestamp) -> Result<Handed, MastodonError> {
        let mut built = lock(&self.inner.built)
            .get(handle)
            .cloned()
            .ok_or_else(|| MastodonError::NotHeld(handle.to_string()))?;
        built.status.scheduled_at = Some(at);
        let posted = self
            .patient(|| self.client().post_status(handle, &built.status))
            .await?;
        match posted {
            Posted::Scheduled(s) => Ok(Handed::Held(s.id)),
            // A time under Mastodon's 5 minutes is dropped and the status
            // posted at once (post_status_service.rb).
            Posted::Status(status) => {
                let mut live = self.live(&status);
                live.caption = Some(built.status.status.clone());
                live.items = Some(built.items);
                lock(&self.inner.published).insert(status.id.clone(), live);
                Ok(Handed::Published(status.id))
            }
        }
    }

    async fn reschedule(&self, held: &str, at: Timestamp) -> Result<(), MastodonError> {
        self.patient(|| self.client().reschedule(held, at))
            .await
            .map(drop)
    }

    async fn unschedule(&self, held: &str) -> Result<bool, MastodonError> {
        self.patient(|| self.client().cancel_scheduled(held)).await
    }

    async fn held(&self, held: &str) -> Result<Option<Timestamp>, MastodonError> {
        let found = self.patient(|| self.client().get_scheduled(held)).await?;
        // A held status the server does not date is held for now.
        Ok(found.map(|s| s.scheduled_at.unwrap_or_else(Timestamp::now)))
    }

    /// The scheduled status with the post's text, held for `at` (to the
    /// second: the server keeps milliseconds).
    async fn find_held(
        &self,
        post: &crate::validate::ValidPost,
        at: Timestamp,
    ) -> Result<Option<String>, MastodonError> {
        let text = post.post.fields.caption.clone().unwrap_or_default();
        let items = post.media.len();
        let all = self.patient(|| self.client().scheduled_statuses()).await?;
        Ok(all
            .into_iter()
            .find(|s| {
                s.text.as_deref().unwrap_or("") == text
                    && s.media_ids.len() == items
                    && s.scheduled_at.map(|t| t.as_second()) == Some(at.as_second())
            })
            .map(|s| s.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_reads_back_as_its_text() {
        assert_eq!(plain("<p>Hi &amp; bye</p>"), "Hi & bye");
        assert_eq!(
            plain("<p>one<br />two</p><p>&lt;three&gt; &quot;q&quot; it&#39;s</p>"),
            "one\ntwo\n\n<three> \"q\" it's"
        );
        assert_eq!(
            plain("<p><a href=\"https://k.example/\"><span class=\"invisible\">https://</span>k.example/</a></p>"),
            "https://k.example/"
        );
    }
}
