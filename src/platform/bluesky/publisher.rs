//! Bluesky as a [`Publisher`]: one [`Client`] (one session) per account
//! per run. A post has no container: [`Publisher::prepare`] uploads the
//! media as blobs, resolves the mentions and builds the record, then
//! chooses its record key (a TID) — the handle apply journals before
//! publishing — and keeps the record in memory under it;
//! [`Publisher::publish`] writes it under that key exactly once
//! ([`Client::publish_once`]); [`Publisher::status`] reads the key. A key
//! the run does not hold and the PDS does not have was built by a run that
//! stopped: it is [`ContainerState::Expired`], and apply builds the post
//! again with a new key (docs/bluesky.md, "Exactly once").
//!
//! A 429 was refused before anything happened, so any call (a write too)
//! waits for the rate limit to lift when that is within `[api]
//! max_rate_wait_secs`, and otherwise fails as rate-limited: apply defers
//! the account's remaining posts.

use super::prepare::build;
use super::record::COLLECTION;
use super::{AtUri, BlueskyError, Client, Settings, Stored, Tid};
use crate::config::{Account, Config};
use crate::content::PostType;
use crate::platform::{
    Capabilities, ContainerState, ContainerStatus, ErrorClass, Failure, Feed, FeedPage, LiveMedia,
    Prepare, PrepareError, Prepared, Publisher,
};
use jiff::Timestamp;
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Waits for one rate limit at most this many times per call.
const RATE_WAITS: u32 = 2;

/// One Bluesky account for a run. Cheap to clone; clones share the session
/// and the records built.
#[derive(Clone, Debug)]
pub struct Bluesky {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: Client,
    settings: Settings,
    max_rate_wait: Duration,
    /// Records built by this run and not yet published, by record key.
    built: Mutex<HashMap<String, Held>>,
    /// Posts this run published, by at-uri: read back without a call.
    published: Mutex<HashMap<String, LiveMedia>>,
}

/// A record built and not yet published.
#[derive(Debug, Clone)]
struct Held {
    record: Value,
    /// `publish` was called for it: whether it went live is the PDS's to
    /// say. Until then it surely did not.
    tried: bool,
}

impl Bluesky {
    /// The account `name` of postwright.toml, its app password read from
    /// `account.token_env()` (a missing or empty variable is an error that
    /// names the variable and the account, never a password).
    pub fn for_account(
        config: &Config,
        name: &str,
        account: &Account,
    ) -> Result<Bluesky, BlueskyError> {
        let settings = Settings::of(account);
        let client = client_for(config, name, account)?;
        Ok(Bluesky::new(
            client,
            settings,
            Duration::from_secs(config.api.max_rate_wait_secs),
        ))
    }

    pub fn new(client: Client, settings: Settings, max_rate_wait: Duration) -> Bluesky {
        Bluesky {
            inner: Arc::new(Inner {
                client,
                settings,
                max_rate_wait,
                built: Mutex::new(HashMap::new()),
                published: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Runs `call`, waiting out a rate limit that lifts within
    /// `max_rate_wait` (the refused call did nothing, so it is repeated).
    pub(super) async fn patient<T, F, Fut>(&self, mut call: F) -> Result<T, BlueskyError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, BlueskyError>>,
    {
        let mut waits = 0;
        loop {
            match call().await {
                Err(e) if e.class() == ErrorClass::RateLimited && waits < RATE_WAITS => {
                    let wait = e
                        .rate()
                        .and_then(|r| r.wait(Timestamp::now()))
                        .unwrap_or(Duration::from_secs(1));
                    if wait > self.inner.max_rate_wait {
                        return Err(e);
                    }
                    tokio::time::sleep(wait).await;
                    waits += 1;
                }
                other => return other,
            }
        }
    }

    /// Keeps a built record under its new key: the handle of the post.
    pub(super) fn hold(&self, record: Value) -> Prepared {
        let rkey = super::tid::next();
        let held = Held {
            record,
            tried: false,
        };
        lock(&self.inner.built).insert(rkey.as_str().to_string(), held);
        Prepared {
            handle: rkey.as_str().to_string(),
            children: Vec::new(),
        }
    }

    fn held(&self, rkey: &str) -> Option<Held> {
        lock(&self.inner.built).get(rkey).cloned()
    }

    /// The record to write under `rkey`: `createdAt` is the first publish
    /// attempt's time (Bluesky orders an account's posts by it, and apply
    /// publishes in order), kept for any later attempt with the same key.
    fn to_publish(&self, rkey: &str) -> Option<Value> {
        let mut built = lock(&self.inner.built);
        let held = built.get_mut(rkey)?;
        if !held.tried {
            held.tried = true;
            held.record["createdAt"] = Value::String(super::record::created_at(Timestamp::now()));
        }
        Some(held.record.clone())
    }

    /// The record key of one of this account's posts, from its at-uri
    /// (postwright's media id on Bluesky): another account's is refused,
    /// so a wrong record never reads or deletes one of ours by its key.
    async fn own_rkey(&self, media: &str) -> Result<String, BlueskyError> {
        let rkey = post_rkey(media)?;
        let repo = AtUri::parse(media).map(|a| a.repo).unwrap_or_default();
        let did = self.patient(|| self.client().did()).await?;
        if repo != did && !repo.eq_ignore_ascii_case(&self.inner.settings.handle) {
            return Err(BlueskyError::Media(format!(
                "{media} is not a post of {} ({did})",
                self.inner.settings.handle
            )));
        }
        Ok(rkey)
    }

    /// A record as apply knows a live post.
    fn live(&self, stored: &Stored) -> LiveMedia {
        let value = &stored.value;
        let rkey = AtUri::parse(&stored.uri)
            .map(|u| u.rkey)
            .unwrap_or_default();
        let timestamp = value
            .get("createdAt")
            .and_then(Value::as_str)
            .map(str::to_string);
        let (kinds, items) = kinds(value);
        LiveMedia {
            id: stored.uri.clone(),
            caption: value
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_string),
            permalink: Some(super::permalink(&self.inner.settings.handle, &rkey)),
            published: timestamp.as_deref().and_then(|t| t.parse().ok()),
            timestamp,
            comments_enabled: None,
            kinds,
            items: Some(items),
        }
    }
}

/// The account's client: one per process (a run) and account, shared by
/// the token check and the publisher, so a run signs in once
/// (`createSession` is limited to 30 per 5 minutes and 300 a day).
pub(super) fn client_for(
    config: &Config,
    name: &str,
    account: &Account,
) -> Result<Client, BlueskyError> {
    static CLIENTS: Mutex<Vec<(String, Client)>> = Mutex::new(Vec::new());
    let settings = Settings::of(account);
    let key = format!(
        "{}\n{}\n{}",
        settings.pds,
        settings.handle,
        account.token_env()
    );
    let mut clients = lock(&CLIENTS);
    if let Some((_, c)) = clients.iter().find(|(k, _)| *k == key) {
        return Ok(c.clone());
    }
    let options = super::Options {
        retry_base: Duration::from_millis(config.api.retry_base_ms.max(1)),
        ..super::Options::default()
    };
    let client = Client::from_env(
        &settings.pds,
        &settings.handle,
        account.token_env(),
        name,
        options,
    )?;
    clients.push((key, client.clone()));
    Ok(client)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The post types a record can be, and how many media it holds.
fn kinds(record: &Value) -> (Vec<PostType>, usize) {
    let embed = record.get("embed");
    match embed.and_then(|e| e.get("$type")).and_then(Value::as_str) {
        Some("app.bsky.embed.images") => {
            let n = embed
                .and_then(|e| e.get("images"))
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let kind = if n > 1 {
                PostType::Carousel
            } else {
                PostType::Image
            };
            (vec![kind], n)
        }
        Some("app.bsky.embed.video") => (vec![PostType::Reel], 1),
        _ => (vec![PostType::Text], 0),
    }
}

/// Why postwright offers no first comments on Bluesky.
pub const NO_COMMENTS: &str = "Bluesky has replies, not comments: a first comment would be a reply post of its own, and postwright publishes none";

impl Publisher for Bluesky {
    type Error = BlueskyError;

    fn account(&self) -> &str {
        &self.inner.settings.handle
    }

    fn capabilities(&self) -> Capabilities {
        super::spec::capabilities()
    }

    async fn check_token(&self) -> Result<(), BlueskyError> {
        self.patient(|| self.client().get_session()).await.map(drop)
    }

    async fn prepare(&self, job: Prepare) -> Result<Prepared, PrepareError<BlueskyError>> {
        build(self, job).await
    }

    async fn status(&self, handle: &str) -> Result<ContainerStatus, BlueskyError> {
        let held = self.held(handle);
        let found = match (Tid::parse(handle), &held) {
            // Built by this run and never sent: surely not live.
            (_, Some(h)) if !h.tried => None,
            (Ok(_), _) => self.patient(|| self.client().get_record(handle)).await?,
            (Err(_), _) => None,
        };
        if let Some(stored) = found {
            let live = self.live(&stored);
            lock(&self.inner.published).insert(stored.uri.clone(), live);
            return Ok(ContainerStatus {
                state: ContainerState::Published,
                code: "PUBLISHED".into(),
                failure: Some(Failure {
                    message: format!("record {handle} is published already ({})", stored.uri),
                    class: ErrorClass::Other,
                }),
                media: Some(stored.uri),
            });
        }
        if held.is_some() {
            return Ok(ContainerStatus {
                state: ContainerState::Finished,
                code: "BUILT".into(),
                failure: None,
                media: None,
            });
        }
        Ok(ContainerStatus {
            state: ContainerState::Expired,
            code: "NOT_HELD".into(),
            failure: Some(Failure {
                message: BlueskyError::NotHeld(handle.to_string()).to_string(),
                class: ErrorClass::Expired,
            }),
            media: None,
        })
    }

    async fn publish(&self, handle: &str) -> Result<String, BlueskyError> {
        let record = self
            .to_publish(handle)
            .ok_or_else(|| BlueskyError::NotHeld(handle.to_string()))?;
        let rkey = Tid::parse(handle)?;
        let done = self
            .patient(|| self.client().publish_once(&rkey, &record))
            .await?;
        lock(&self.inner.built).remove(handle);
        let stored = Stored {
            uri: done.uri.clone(),
            cid: done.cid,
            value: record,
        };
        let live = self.live(&stored);
        lock(&self.inner.published).insert(done.uri.clone(), live);
        Ok(done.uri)
    }

    /// Bluesky has no stories: that list is empty.
    async fn find_live(&self, feed: Feed, limit: usize) -> Result<Vec<LiveMedia>, BlueskyError> {
        if feed == Feed::Stories {
            return Ok(Vec::new());
        }
        let records = self.patient(|| self.client().list_recent(limit)).await?;
        Ok(records.iter().map(|r| self.live(r)).collect())
    }

    /// The account's posts from its repo, newest first (docs/bluesky.md,
    /// "Importing an account"); Bluesky has no stories.
    async fn feed_page(
        &self,
        feed: Feed,
        after: Option<&str>,
        limit: usize,
    ) -> Result<FeedPage, BlueskyError> {
        if feed == Feed::Stories {
            return Ok(FeedPage::default());
        }
        let limit = u32::try_from(limit).unwrap_or(100);
        let page = self
            .patient(|| self.client().list_records(after, limit))
            .await?;
        let origin = super::feed::Origin {
            pds: &self.inner.settings.pds,
            handle: &self.inner.settings.handle,
        };
        Ok(super::feed::page(&origin, &page.records, page.cursor))
    }

    async fn read(&self, media: &str) -> Result<LiveMedia, BlueskyError> {
        if let Some(live) = lock(&self.inner.published).get(media) {
            return Ok(live.clone());
        }
        let rkey = self.own_rkey(media).await?;
        match self.patient(|| self.client().get_record(&rkey)).await? {
            Some(stored) => Ok(self.live(&stored)),
            None => Err(BlueskyError::Gone(media.to_string())),
        }
    }

    /// This run's posts are known without a call.
    async fn read_many(
        &self,
        media: &[(String, Feed)],
    ) -> Result<HashMap<String, LiveMedia>, BlueskyError> {
        let published = lock(&self.inner.published);
        Ok(media
            .iter()
            .filter_map(|(id, _)| Some((id.clone(), published.get(id)?.clone())))
            .collect())
    }

    /// `deleteRecord`; a post already gone counts as deleted.
    async fn delete(&self, media: &str) -> Result<(), BlueskyError> {
        let rkey = self.own_rkey(media).await?;
        self.patient(|| self.client().delete_record(&rkey)).await?;
        lock(&self.inner.published).remove(media);
        Ok(())
    }
}

/// The record key of a post's at-uri.
fn post_rkey(media: &str) -> Result<String, BlueskyError> {
    let at = AtUri::parse(media).map_err(|e| BlueskyError::Media(e.to_string()))?;
    if at.collection != COLLECTION {
        return Err(BlueskyError::Media(format!(
            "{media} is not a post ({COLLECTION})"
        )));
    }
    Ok(at.rkey)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_says_what_kind_of_post_it_is() {
        let images = json!({"embed": {"$type": "app.bsky.embed.images", "images": [{}, {}]}});
        assert_eq!(kinds(&images), (vec![PostType::Carousel], 2));
        let one = json!({"embed": {"$type": "app.bsky.embed.images", "images": [{}]}});
        assert_eq!(kinds(&one), (vec![PostType::Image], 1));
        let video = json!({"embed": {"$type": "app.bsky.embed.video"}});
        assert_eq!(kinds(&video), (vec![PostType::Reel], 1));
        let card = json!({"embed": {"$type": "app.bsky.embed.external"}});
        assert_eq!(kinds(&card), (vec![PostType::Text], 0));
        assert_eq!(kinds(&json!({"text": "hi"})), (vec![PostType::Text], 0));
    }

    #[test]
    fn only_post_uris_are_deleted_or_read() {
        assert_eq!(
            post_rkey("at://did:plc:abc/app.bsky.feed.post/3k4duaz5vfs2b").unwrap(),
            "3k4duaz5vfs2b"
        );
        assert!(post_rkey("at://did:plc:abc/app.bsky.feed.like/3k4duaz5vfs2b").is_err());
        assert!(post_rkey("17841400000000001").is_err());
    }
}
