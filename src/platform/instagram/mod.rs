//! The Instagram Graph API client: containers, status, publish, read-back,
//! comments, deletes and resumable uploads.
//!
//! The token travels in the `Authorization` header only — never in a URL,
//! so it cannot end up in a proxy log, an error message or a state file.
//! With `POSTWRIGHT_APP_SECRET` set, every call also carries
//! `appsecret_proof` (an HMAC of the token, which reveals nothing of it).

mod auth;
mod build;
pub mod error;
mod features;
mod media;
pub mod params;
mod publisher;
mod rules;
mod settings;
mod spec;
mod token;
mod transport;
mod upload;
pub mod usage;
mod validate;
mod wire;

pub use auth::scopes;
pub use publisher::Instagram;
pub use settings::{Login, Settings};
pub use spec::Spec;
use transport::{read_answer, transport_at};
pub use wire::{container_state, parse_meta_time, StatusFields};
use wire::{CommentFields, FeedFields, MediaFields, FEED_FIELDS, MEDIA_FIELDS};

pub use crate::platform::meta::{App, NewToken, Secret, APP_SECRET_ENV};
pub use error::{ApiError, ErrorClass, MetaError};
pub use token::{Identity, TokenDebug};
pub use usage::Usage;

use crate::config::{Account, Config};
pub use crate::platform::{
    Comment, ContainerState, ContainerStatus, Failure, FeedPage, LiveMedia, LivePost, Quota,
};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

/// One account's connection to the Graph API. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    /// `https://graph.facebook.com/v24.0`
    graph: String,
    /// `https://rupload.facebook.com/ig-api-upload/v24.0`
    upload: String,
    host: String,
    token: Secret,
    proof: Option<String>,
    user_id: String,
    login: Login,
    retry_base: Duration,
    /// What Meta's usage headers said last.
    usage: std::sync::Mutex<Usage>,
    max_rate_wait: Duration,
    /// The version asked for (`[api] version`).
    version: String,
    /// `facebook-api-version` of an answer, when it differs from `version`:
    /// Meta upgraded a call made to a retired version.
    served_version: std::sync::Mutex<Option<String>>,
}

/// Whether a call may be repeated after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Reads, toggles, deletes, container creation: repeating is harmless
    /// (an extra unpublished container just expires).
    Safe,
    /// `media_publish` and comments: a lost answer is resolved by reading.
    Never,
}

/// Transient failures are retried this many times.
const RETRIES: u32 = 3;

/// A container just created.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Created {
    pub id: String,
    /// Resumable uploads: where to send the bytes.
    #[serde(default)]
    pub uri: Option<String>,
}

impl Client {
    /// A client for `account`, with the token read from its `token_env`.
    pub fn for_account(config: &Config, name: &str, account: &Account) -> Result<Client, ApiError> {
        let token = std::env::var(account.token_env())
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| ApiError::MissingToken {
                var: account.token_env().to_string(),
                account: name.to_string(),
            })?;
        let app_secret = std::env::var(APP_SECRET_ENV).ok().filter(|s| !s.is_empty());
        Ok(Client::new(
            config,
            account,
            Secret::new(token.trim()),
            app_secret.as_deref(),
        ))
    }

    pub fn new(
        config: &Config,
        account: &Account,
        token: Secret,
        app_secret: Option<&str>,
    ) -> Client {
        let settings = Settings::of(account);
        let default_host = match settings.login {
            Login::Facebook => "https://graph.facebook.com",
            Login::Instagram => "https://graph.instagram.com",
        };
        let base = config
            .api
            .base_url
            .as_deref()
            .unwrap_or(default_host)
            .trim_end_matches('/');
        let upload = config
            .api
            .upload_url
            .as_deref()
            .unwrap_or("https://rupload.facebook.com")
            .trim_end_matches('/');
        let version = &config.api.version;
        let proof = app_secret.map(|secret| appsecret_proof(secret, token.expose()));
        let http = reqwest::Client::builder()
            .user_agent(concat!("postwright/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .expect("TLS backend available");
        Client {
            inner: Arc::new(Inner {
                http,
                graph: format!("{base}/{version}"),
                upload: format!("{upload}/ig-api-upload/{version}"),
                host: base.to_string(),
                token,
                proof,
                user_id: settings.user_id.clone(),
                login: settings.login,
                retry_base: Duration::from_millis(config.api.retry_base_ms.max(1)),
                usage: std::sync::Mutex::new(Usage::default()),
                max_rate_wait: Duration::from_secs(config.api.max_rate_wait_secs),
                version: version.clone(),
                served_version: std::sync::Mutex::new(None),
            }),
        }
    }

    pub fn user_id(&self) -> &str {
        &self.inner.user_id
    }

    pub fn login(&self) -> Login {
        self.inner.login
    }

    fn transport(&self, e: &reqwest::Error) -> ApiError {
        transport_at(&self.inner.host, e)
    }

    /// A fail point's `return` (feature `failpoints`): what a lost answer
    /// looks like here, so the caller settles it as it settles those.
    fn injected(&self, message: String) -> ApiError {
        ApiError::Transport {
            host: self.inner.host.clone(),
            message,
        }
    }

    /// The version Meta answered with, when it is not the one asked for:
    /// Meta serves calls to a retired version with the oldest live one.
    pub fn upgraded_to(&self) -> Option<String> {
        self.inner
            .served_version
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The last usage Meta reported for this account.
    pub fn usage(&self) -> Usage {
        *self.inner.usage.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with_proof(&self, mut params: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
        if let Some(p) = &self.inner.proof {
            params.push(("appsecret_proof", p.clone()));
        }
        params
    }

    async fn get(&self, path: &str, query: Vec<(&'static str, String)>) -> Result<Value, ApiError> {
        let url = format!("{}/{path}", self.inner.graph);
        self.send(
            self.inner.http.get(url).query(&self.with_proof(query)),
            Retry::Safe,
        )
        .await
    }

    async fn post(
        &self,
        path: &str,
        form: Vec<(&'static str, String)>,
        retry: Retry,
    ) -> Result<Value, ApiError> {
        let url = format!("{}/{path}", self.inner.graph);
        self.send(
            self.inner.http.post(url).form(&self.with_proof(form)),
            retry,
        )
        .await
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, value: Value) -> Result<T, ApiError> {
        serde_json::from_value(value).map_err(|e| ApiError::Decode {
            host: self.inner.host.clone(),
            message: e.to_string(),
        })
    }

    /// `POST /{ig-user-id}/media`.
    pub async fn create_container(
        &self,
        params: Vec<(&'static str, String)>,
    ) -> Result<Created, ApiError> {
        crate::failpoints::hit("container.create.before")
            .map_or(Ok(()), |m| Err(self.injected(m)))?;
        let v = self
            .post(
                &format!("{}/media", self.inner.user_id),
                params,
                Retry::Safe,
            )
            .await?;
        crate::failpoints::hit("container.create.after")
            .map_or(Ok(()), |m| Err(self.injected(m)))?;
        self.decode(v)
    }

    /// `GET /{container-id}?fields=status_code,status`.
    pub async fn container_status(&self, id: &str) -> Result<ContainerStatus, ApiError> {
        let v = self
            .get(id, vec![("fields", "status_code,status".into())])
            .await?;
        let fields: StatusFields = self.decode(v)?;
        Ok(fields.read(id))
    }

    /// `POST /{ig-user-id}/media_publish`: never call twice for one container
    /// without asking the container first.
    pub async fn publish(&self, creation_id: &str) -> Result<String, ApiError> {
        crate::failpoints::hit("publish.before").map_or(Ok(()), |m| Err(self.injected(m)))?;
        let v = self
            .post(
                &format!("{}/media_publish", self.inner.user_id),
                vec![("creation_id", creation_id.to_string())],
                Retry::Never,
            )
            .await?;
        crate::failpoints::hit("publish.after").map_or(Ok(()), |m| Err(self.injected(m)))?;
        let created: Created = self.decode(v)?;
        Ok(created.id)
    }

    /// `GET /{media-id}` with the fields postwright records.
    pub async fn media(&self, id: &str) -> Result<LiveMedia, ApiError> {
        let v = self.get(id, vec![("fields", MEDIA_FIELDS.into())]).await?;
        let m: MediaFields = self.decode(v)?;
        Ok(m.into())
    }

    /// The newest media of the account (feed, or stories), newest first.
    pub async fn recent_media(
        &self,
        stories: bool,
        limit: usize,
    ) -> Result<Vec<LiveMedia>, ApiError> {
        let edge = if stories { "stories" } else { "media" };
        let v = self
            .get(
                &format!("{}/{edge}", self.inner.user_id),
                vec![
                    ("fields", MEDIA_FIELDS.into()),
                    ("limit", limit.to_string()),
                ],
            )
            .await?;
        let data = v.get("data").cloned().unwrap_or(Value::Array(Vec::new()));
        let list: Vec<MediaFields> = self.decode(data)?;
        Ok(list.into_iter().map(LiveMedia::from).collect())
    }

    /// One page of the account's media (or stories still up), newest
    /// first, with the fields `import` writes: `limit` (at most 100, Meta's
    /// page size) after the cursor `after`. The next cursor is
    /// `paging.cursors.after`, given only when `paging.next` says there is
    /// more: Meta's `next` URL carries the token, so it is never followed.
    pub async fn feed_page(
        &self,
        stories: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Result<FeedPage, ApiError> {
        let edge = if stories { "stories" } else { "media" };
        let mut query = vec![
            ("fields", FEED_FIELDS.to_string()),
            ("limit", limit.clamp(1, 100).to_string()),
        ];
        if let Some(a) = after {
            query.push(("after", a.to_string()));
        }
        let v = self
            .get(&format!("{}/{edge}", self.inner.user_id), query)
            .await?;
        let data = v.get("data").cloned().unwrap_or(Value::Array(Vec::new()));
        let list: Vec<FeedFields> = self.decode(data)?;
        let next = v
            .pointer("/paging/next")
            .and_then(|_| v.pointer("/paging/cursors/after"))
            .and_then(Value::as_str)
            .filter(|_| !list.is_empty())
            .map(str::to_string);
        Ok(FeedPage {
            posts: list.into_iter().map(LivePost::from).collect(),
            next,
        })
    }

    /// `GET /{ig-user-id}/content_publishing_limit`.
    pub async fn quota(&self) -> Result<Quota, ApiError> {
        let v = self
            .get(
                &format!("{}/content_publishing_limit", self.inner.user_id),
                vec![("fields", "config,quota_usage".into())],
            )
            .await?;
        let first = v
            .get("data")
            .and_then(|d| d.get(0))
            .cloned()
            .unwrap_or(Value::Null);
        let used = first
            .get("quota_usage")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let total = first
            .get("config")
            .and_then(|c| c.get("quota_total"))
            .and_then(Value::as_u64)
            .ok_or_else(|| ApiError::Decode {
                host: self.inner.host.clone(),
                message: "content_publishing_limit without config.quota_total".into(),
            })?;
        Ok(Quota { used, total })
    }

    /// `POST /{media-id}/comments`.
    pub async fn comment(&self, media_id: &str, message: &str) -> Result<String, ApiError> {
        crate::failpoints::hit("comment.post.before").map_or(Ok(()), |m| Err(self.injected(m)))?;
        let v = self
            .post(
                &format!("{media_id}/comments"),
                vec![("message", message.to_string())],
                Retry::Never,
            )
            .await?;
        crate::failpoints::hit("comment.post.after").map_or(Ok(()), |m| Err(self.injected(m)))?;
        let created: Created = self.decode(v)?;
        Ok(created.id)
    }

    /// `GET /{media-id}/comments` (first page: a first comment is among the earliest).
    /// Every page of them, up to 1,000: Meta lists newest first, and a
    /// first comment on a busy post is soon far down the list.
    pub async fn comments(&self, media_id: &str) -> Result<Vec<Comment>, ApiError> {
        let mut all: Vec<Comment> = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..10 {
            let mut query = vec![
                ("fields", "id,text,username".to_string()),
                ("limit", "100".to_string()),
            ];
            if let Some(a) = &after {
                query.push(("after", a.clone()));
            }
            let v = self.get(&format!("{media_id}/comments"), query).await?;
            let data = v.get("data").cloned().unwrap_or(Value::Array(Vec::new()));
            let page: Vec<CommentFields> = self.decode(data)?;
            let more = v.pointer("/paging/next").is_some() && !page.is_empty();
            all.extend(page.into_iter().map(Comment::from));
            after = v
                .pointer("/paging/cursors/after")
                .and_then(Value::as_str)
                .map(str::to_string);
            if !more || after.is_none() {
                break;
            }
        }
        Ok(all)
    }

    /// `POST /{media-id}` with `comment_enabled` (idempotent).
    pub async fn set_comments(&self, media_id: &str, enabled: bool) -> Result<(), ApiError> {
        crate::failpoints::hit("comment.toggle.before")
            .map_or(Ok(()), |m| Err(self.injected(m)))?;
        self.post(
            media_id,
            vec![("comment_enabled", enabled.to_string())],
            Retry::Safe,
        )
        .await?;
        crate::failpoints::hit("comment.toggle.after").map_or(Ok(()), |m| Err(self.injected(m)))
    }

    /// `DELETE /{media-id}` (Facebook Login).
    pub async fn delete(&self, media_id: &str) -> Result<(), ApiError> {
        crate::failpoints::hit("media.delete.before").map_or(Ok(()), |m| Err(self.injected(m)))?;
        let url = format!("{}/{media_id}", self.inner.graph);
        self.send(
            self.inner
                .http
                .delete(url)
                .query(&self.with_proof(Vec::new())),
            Retry::Safe,
        )
        .await?;
        crate::failpoints::hit("media.delete.after").map_or(Ok(()), |m| Err(self.injected(m)))
    }
}

/// hex(HMAC-SHA256(key = app secret, message = token)).
pub fn appsecret_proof(app_secret: &str, token: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key");
    mac.update(token.as_bytes());
    crate::hex::hex(&mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_matches_a_known_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            appsecret_proof("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("EAAB-secret")), "Secret(***)");
    }
}
