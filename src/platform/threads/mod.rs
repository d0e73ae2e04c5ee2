//! The Threads API client (issue 15, part 2): containers, status, publish,
//! read-back, deletes and tokens on `graph.threads.net`, behind the
//! [`Publisher`](crate::platform::Publisher) trait. Every fact it relies
//! on, with Meta's pages: docs/threads.md.
//!
//! The token travels in the `Authorization: Bearer` header only — never in
//! a URL, a log or an error — and parameters go in a form body.

mod auth;
mod build;
mod card;
pub mod error;
mod options;
pub mod params;
mod publisher;
mod settings;
mod spec;
pub mod token;
mod transport;
mod validate;
pub mod wire;

pub use auth::scopes;
pub use error::ThreadsError;
pub use options::{Options, ReplyControl};
pub use publisher::Threads;
pub use settings::Settings;
pub use spec::Spec;

use crate::config::{Account, Config};
use crate::platform::Secret;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The Threads API version postwright speaks (docs/threads.md, "Hosts").
pub const API_VERSION: &str = "v1.0";
/// Meta's host; `[api] threads_url` replaces it (tests point it at 127.0.0.1).
pub const DEFAULT_HOST: &str = "https://graph.threads.net";

/// Whether a call may be repeated after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Reads, deletes, container creation (an extra unpublished container
    /// just expires after 24 h).
    Safe,
    /// `threads_publish`: a lost answer is resolved by reading the container.
    Never,
}

/// Transient failures of `Safe` calls are retried this many times.
const RETRIES: u32 = 3;

/// One Threads profile's connection to the API. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    /// `https://graph.threads.net` (or `[api] threads_url`).
    host: String,
    /// `{host}/v1.0`
    api: String,
    token: Secret,
    user_id: String,
    account: String,
    retry_base: Duration,
}

impl Client {
    /// A client for `account` (named `name` in postwright.toml), with the
    /// token read from its `token_env`.
    pub fn for_account(
        config: &Config,
        name: &str,
        account: &Account,
    ) -> Result<Client, ThreadsError> {
        let token = std::env::var(account.token_env())
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| ThreadsError::MissingToken {
                var: account.token_env().to_string(),
                account: name.to_string(),
            })?;
        Ok(Client::new(
            config,
            name,
            account,
            Secret::new(token.trim()),
        ))
    }

    pub fn new(config: &Config, name: &str, account: &Account, token: Secret) -> Client {
        let host = config
            .api
            .threads_url
            .as_deref()
            .unwrap_or(DEFAULT_HOST)
            .trim_end_matches('/')
            .to_string();
        let http = reqwest::Client::builder()
            .user_agent(concat!("postwright/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .expect("TLS backend available");
        Client {
            inner: Arc::new(Inner {
                http,
                api: format!("{host}/{API_VERSION}"),
                host,
                token,
                user_id: Settings::of(account).user_id,
                account: name.to_string(),
                retry_base: Duration::from_millis(config.api.retry_base_ms.max(1)),
            }),
        }
    }

    pub fn user_id(&self) -> &str {
        &self.inner.user_id
    }

    /// The account's name in postwright.toml.
    pub fn account(&self) -> &str {
        &self.inner.account
    }

    pub(crate) fn host(&self) -> &str {
        &self.inner.host
    }

    /// A fail point's `return` (feature `failpoints`): what a lost answer
    /// looks like here, so the caller settles it as it settles those.
    fn injected(&self, message: String) -> ThreadsError {
        ThreadsError::Transport {
            host: self.inner.host.clone(),
            message,
        }
    }

    pub(crate) async fn get(
        &self,
        path: &str,
        query: Vec<(&'static str, String)>,
    ) -> Result<Value, ThreadsError> {
        let url = format!("{}/{path}", self.inner.api);
        self.send(self.inner.http.get(url).query(&query), Retry::Safe)
            .await
    }

    /// A POST with its parameters in a form body (never in the URL).
    pub(crate) async fn post(
        &self,
        path: &str,
        form: Vec<(&'static str, String)>,
        retry: Retry,
    ) -> Result<Value, ThreadsError> {
        let url = format!("{}/{path}", self.inner.api);
        self.send(self.inner.http.post(url).form(&form), retry)
            .await
    }

    pub(crate) fn decode<T: serde::de::DeserializeOwned>(
        &self,
        value: Value,
    ) -> Result<T, ThreadsError> {
        serde_json::from_value(value).map_err(|e| ThreadsError::Decode {
            host: self.inner.host.clone(),
            message: e.to_string(),
        })
    }

    /// `POST /{threads-user-id}/threads`: a container's id.
    pub async fn create_container(
        &self,
        params: Vec<(&'static str, String)>,
    ) -> Result<String, ThreadsError> {
        crate::failpoints::hit("container.create.before")
            .map_or(Ok(()), |m| Err(self.injected(m)))?;
        let v = self
            .post(
                &format!("{}/threads", self.inner.user_id),
                params,
                Retry::Safe,
            )
            .await?;
        crate::failpoints::hit("container.create.after")
            .map_or(Ok(()), |m| Err(self.injected(m)))?;
        wire::id_of(self, &v)
    }

    /// `GET /{threads-container-id}?fields=status,error_message`.
    pub async fn container_status(
        &self,
        id: &str,
    ) -> Result<crate::platform::ContainerStatus, ThreadsError> {
        let v = self
            .get(id, vec![("fields", "id,status,error_message".into())])
            .await?;
        let fields: wire::StatusFields = self.decode(v)?;
        Ok(fields.read(id))
    }

    /// `POST /{threads-user-id}/threads_publish` with `creation_id`: never
    /// repeated without asking the container first.
    pub async fn publish(&self, creation_id: &str) -> Result<String, ThreadsError> {
        crate::failpoints::hit("publish.before").map_or(Ok(()), |m| Err(self.injected(m)))?;
        let v = self
            .post(
                &format!("{}/threads_publish", self.inner.user_id),
                vec![("creation_id", creation_id.to_string())],
                Retry::Never,
            )
            .await?;
        crate::failpoints::hit("publish.after").map_or(Ok(()), |m| Err(self.injected(m)))?;
        wire::id_of(self, &v)
    }

    /// `GET /{threads-media-id}` with the fields postwright records.
    pub async fn media(&self, id: &str) -> Result<crate::platform::LiveMedia, ThreadsError> {
        let v = self
            .get(id, vec![("fields", wire::MEDIA_FIELDS.into())])
            .await?;
        let m: wire::MediaFields = self.decode(v)?;
        Ok(m.into())
    }

    /// `GET /{threads-user-id}/threads`: the newest posts, newest first.
    pub async fn recent(
        &self,
        limit: usize,
    ) -> Result<Vec<crate::platform::LiveMedia>, ThreadsError> {
        let v = self
            .get(
                &format!("{}/threads", self.inner.user_id),
                vec![
                    ("fields", wire::MEDIA_FIELDS.into()),
                    ("limit", limit.clamp(1, 100).to_string()),
                ],
            )
            .await?;
        let data = v.get("data").cloned().unwrap_or(Value::Array(Vec::new()));
        let list: Vec<wire::MediaFields> = self.decode(data)?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// One page of the profile's posts, newest first, with the fields
    /// `import` writes: `limit` (at most 100) after the cursor `after`.
    /// The next cursor is `paging.cursors.after` while `paging.next` says
    /// there is more; the `next` URL carries the token and is never
    /// followed.
    pub async fn feed_page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<crate::platform::FeedPage, ThreadsError> {
        let mut query = vec![
            ("fields", wire::FEED_FIELDS.to_string()),
            ("limit", limit.clamp(1, 100).to_string()),
        ];
        if let Some(a) = after {
            query.push(("after", a.to_string()));
        }
        let v = self
            .get(&format!("{}/threads", self.inner.user_id), query)
            .await?;
        let data = v.get("data").cloned().unwrap_or(Value::Array(Vec::new()));
        let list: Vec<wire::FeedFields> = self.decode(data)?;
        let next = v
            .pointer("/paging/next")
            .and_then(|_| v.pointer("/paging/cursors/after"))
            .and_then(Value::as_str)
            .filter(|_| !list.is_empty())
            .map(str::to_string);
        Ok(crate::platform::FeedPage {
            posts: list.into_iter().map(Into::into).collect(),
            next,
        })
    }

    /// `GET /{threads-user-id}/threads_publishing_limit?fields=quota_usage,config`.
    pub async fn quota(&self) -> Result<crate::platform::Quota, ThreadsError> {
        let v = self
            .get(
                &format!("{}/threads_publishing_limit", self.inner.user_id),
                vec![("fields", "quota_usage,config".into())],
            )
            .await?;
        wire::quota(self, &v)
    }

    /// `DELETE /{threads-media-id}` (needs `threads_delete`).
    pub async fn delete(&self, media_id: &str) -> Result<(), ThreadsError> {
        crate::failpoints::hit("media.delete.before").map_or(Ok(()), |m| Err(self.injected(m)))?;
        let url = format!("{}/{media_id}", self.inner.api);
        self.send(self.inner.http.delete(url), Retry::Safe).await?;
        crate::failpoints::hit("media.delete.after").map_or(Ok(()), |m| Err(self.injected(m)))
    }
}
