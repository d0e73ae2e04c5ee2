//! The Instagram Graph API client: containers, status, publish, read-back,
//! comments, deletes and resumable uploads.
//!
//! The token travels in the `Authorization` header only — never in a URL,
//! so it cannot end up in a proxy log, an error message or a state file.
//! With `POSTWRIGHT_APP_SECRET` set, every call also carries
//! `appsecret_proof` (an HMAC of the token, which reveals nothing of it).

mod build;
pub mod error;
pub mod params;
mod publisher;
mod token;
pub mod usage;

pub use publisher::Instagram;

pub use error::{ApiError, ErrorClass, MetaError};
pub use token::{App, Identity, NewToken, TokenDebug};
pub use usage::Usage;

use crate::config::{Account, Config, Login};
use crate::content::PostType;
pub use crate::platform::{Comment, ContainerState, ContainerStatus, Failure, LiveMedia, Quota};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The variable holding the app secret, for `appsecret_proof`.
pub const APP_SECRET_ENV: &str = "POSTWRIGHT_APP_SECRET";

/// A token or secret: its Debug and Display never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

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

/// Meta's `status_code` for a container's state.
pub fn container_state(code: &str) -> ContainerState {
    match code {
        "IN_PROGRESS" => ContainerState::InProgress,
        "FINISHED" => ContainerState::Finished,
        "ERROR" => ContainerState::Error,
        "EXPIRED" => ContainerState::Expired,
        "PUBLISHED" => ContainerState::Published,
        other => ContainerState::Unknown(other.to_string()),
    }
}

/// `status_code` (and `status` text) of a container, as Meta sends them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StatusFields {
    #[serde(default)]
    pub status_code: String,
    #[serde(default)]
    pub status: Option<String>,
}

impl StatusFields {
    /// The state, and for any other than IN_PROGRESS and FINISHED why it
    /// cannot be published from here.
    pub fn read(&self, container: &str) -> ContainerStatus {
        let state = container_state(&self.status_code);
        let failure = match state {
            ContainerState::InProgress | ContainerState::Finished => None,
            _ => {
                let (message, class) = self.explain(container);
                Some(Failure { message, class })
            }
        };
        ContainerStatus {
            state,
            code: self.status_code.clone(),
            failure,
        }
    }

    /// Why a container that ended ERROR or EXPIRED failed, for people, and
    /// the class of its subcode (read from the `status` text).
    pub fn explain(&self, container: &str) -> (String, ErrorClass) {
        let text = self.status.as_deref().unwrap_or("").trim();
        let known = error::subcode_in_status(text).and_then(|c| error::subcode(c).map(|k| (c, k)));
        match known {
            Some((code, k)) => (
                format!(
                    "Meta could not process the media (container {container} is {}, subcode {code}: {}); {}",
                    self.status_code,
                    k.meaning,
                    k.advice.unwrap_or_else(|| k.class.advice())
                ),
                k.class,
            ),
            None if self.status_code == "EXPIRED" => (
                format!("container {container} expired before it was published; the next apply builds a new one"),
                ErrorClass::Expired,
            ),
            None => (
                format!(
                    "Meta could not process the media (container {container}: {} {text})",
                    self.status_code
                ),
                ErrorClass::Other,
            ),
        }
    }
}

/// A published media as the API lists it (read into a [`LiveMedia`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct MediaFields {
    id: String,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    media_product_type: Option<String>,
    #[serde(default)]
    permalink: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    is_comment_enabled: Option<bool>,
}

impl From<MediaFields> for LiveMedia {
    fn from(m: MediaFields) -> LiveMedia {
        let kinds = [
            PostType::Image,
            PostType::Carousel,
            PostType::Reel,
            PostType::Story,
        ]
        .into_iter()
        .filter(|k| media_type_matches(*k, &m))
        .collect();
        LiveMedia {
            published: m.timestamp.as_deref().and_then(parse_meta_time),
            id: m.id,
            caption: m.caption,
            permalink: m.permalink,
            timestamp: m.timestamp,
            comments_enabled: m.is_comment_enabled,
            kinds,
        }
    }
}

/// Which post types a media's `media_type` and `media_product_type` fit.
fn media_type_matches(kind: PostType, m: &MediaFields) -> bool {
    let t = m.media_type.as_deref().unwrap_or("");
    let p = m.media_product_type.as_deref().unwrap_or("");
    match kind {
        PostType::Image => t == "IMAGE" && p != "STORY",
        PostType::Carousel => t == "CAROUSEL_ALBUM",
        PostType::Reel => t == "VIDEO" || p == "REELS",
        PostType::Story => p == "STORY" || p.is_empty(),
    }
}

/// Meta writes `2026-12-01T08:00:00+0000`; jiff wants a colon in the offset.
pub fn parse_meta_time(s: &str) -> Option<jiff::Timestamp> {
    if let Ok(t) = s.parse() {
        return Some(t);
    }
    if s.len() > 5 {
        let (head, tail) = s.split_at(s.len() - 2);
        return format!("{head}:{tail}").parse().ok();
    }
    None
}

/// A comment on a media.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct CommentFields {
    id: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    username: Option<String>,
}

impl From<CommentFields> for Comment {
    fn from(c: CommentFields) -> Comment {
        Comment {
            id: c.id,
            text: c.text,
            username: c.username,
        }
    }
}

const MEDIA_FIELDS: &str =
    "id,caption,media_type,media_product_type,permalink,timestamp,is_comment_enabled";

impl Client {
    /// A client for `account`, with the token read from its `token_env`.
    pub fn for_account(config: &Config, name: &str, account: &Account) -> Result<Client, ApiError> {
        let token = std::env::var(&account.token_env)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| ApiError::MissingToken {
                var: account.token_env.clone(),
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
        let default_host = match account.login {
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
                user_id: account.user_id.clone(),
                login: account.login,
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

    /// Sends with the account's token: paced by the usage headers, retrying
    /// transient failures of `Safe` calls with exponential backoff and
    /// jitter, and waiting out a rate limit Meta says lifts soon.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        retry: Retry,
    ) -> Result<Value, ApiError> {
        let auth = format!("Bearer {}", self.inner.token.expose());
        self.send_as(request.header("Authorization", auth), retry)
            .await
    }

    /// `send` with the `Authorization` header already on the request.
    async fn send_as(
        &self,
        request: reqwest::RequestBuilder,
        retry: Retry,
    ) -> Result<Value, ApiError> {
        let mut attempt = 0;
        let mut blocked = 0;
        loop {
            let usage = self.usage();
            // Blocked for longer than the run may wait: every call now
            // would only extend the block, so the account stops at once.
            if let Some(regain) = usage.blocked_beyond(self.inner.max_rate_wait) {
                return Err(ApiError::Throttled {
                    percent: usage.percent,
                    regain,
                    max: self.inner.max_rate_wait,
                });
            }
            let pause = usage.pace(self.inner.retry_base);
            if !pause.is_zero() {
                tokio::time::sleep(pause.min(self.inner.max_rate_wait)).await;
            }
            let this = request.try_clone().expect("requests have in-memory bodies");
            match self.send_once(this).await {
                // A throttled call was refused before it did anything, so
                // even a publish may be sent again once the block lifts.
                Err(ApiError::Meta(m)) if m.class() == ErrorClass::RateLimited && blocked < 2 => {
                    let Some(wait) = usage::rate_limit_wait(
                        m.regain,
                        backoff(self.inner.retry_base, blocked),
                        self.inner.max_rate_wait,
                    ) else {
                        return Err(ApiError::Meta(m));
                    };
                    tokio::time::sleep(wait).await;
                    // The wait is served: do not pace by the stale figure.
                    *self.inner.usage.lock().unwrap_or_else(|e| e.into_inner()) = Usage::default();
                    blocked += 1;
                }
                Err(e)
                    if retry == Retry::Safe
                        && e.class() == ErrorClass::Transient
                        && attempt < RETRIES =>
                {
                    tokio::time::sleep(backoff(self.inner.retry_base, attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn send_once(&self, request: reqwest::RequestBuilder) -> Result<Value, ApiError> {
        let response = request.send().await.map_err(|e| self.transport(&e))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let usage = Usage::from_headers(
            header("x-app-usage").as_deref(),
            header("x-business-use-case-usage").as_deref(),
        );
        if let Some(u) = usage {
            *self.inner.usage.lock().unwrap_or_else(|e| e.into_inner()) = u;
        }
        if let Some(v) = header("facebook-api-version").filter(|v| *v != self.inner.version) {
            *self
                .inner
                .served_version
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(v);
        }
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| self.transport(&e))?;
        let value = read_answer(&self.inner.host, status, &body, usage)?;
        if status >= 400 {
            return Err(ApiError::Decode {
                host: self.inner.host.clone(),
                message: format!("HTTP {status} without an error object"),
            });
        }
        Ok(value)
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
        let v = self
            .post(
                &format!("{}/media", self.inner.user_id),
                params,
                Retry::Safe,
            )
            .await?;
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
        let v = self
            .post(
                &format!("{}/media_publish", self.inner.user_id),
                vec![("creation_id", creation_id.to_string())],
                Retry::Never,
            )
            .await?;
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
        let v = self
            .post(
                &format!("{media_id}/comments"),
                vec![("message", message.to_string())],
                Retry::Never,
            )
            .await?;
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
        self.post(
            media_id,
            vec![("comment_enabled", enabled.to_string())],
            Retry::Safe,
        )
        .await
        .map(drop)
    }

    /// `DELETE /{media-id}` (Facebook Login).
    pub async fn delete(&self, media_id: &str) -> Result<(), ApiError> {
        let url = format!("{}/{media_id}", self.inner.graph);
        self.send(
            self.inner
                .http
                .delete(url)
                .query(&self.with_proof(Vec::new())),
            Retry::Safe,
        )
        .await
        .map(drop)
    }

    /// `GET /{container-id}?fields=video_status`: bytes the upload host has.
    pub async fn uploaded_bytes(&self, container_id: &str) -> Result<u64, ApiError> {
        let v = self
            .get(container_id, vec![("fields", "video_status".into())])
            .await?;
        Ok(v.pointer("/video_status/uploading_phase/bytes_transferred")
            .and_then(|b| {
                b.as_u64()
                    .or_else(|| b.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(0))
    }

    /// Sends `bytes[offset..]` to the resumable upload host. The upload host
    /// takes the token as `OAuth`, not `Bearer`.
    pub async fn upload(
        &self,
        container_id: &str,
        bytes: Vec<u8>,
        offset: u64,
    ) -> Result<(), ApiError> {
        let total = bytes.len() as u64;
        let start = usize::try_from(offset.min(total)).unwrap_or(bytes.len());
        let body = bytes[start..].to_vec();
        let url = format!("{}/{container_id}", self.inner.upload);
        let response = self
            .inner
            .http
            .post(url)
            .header(
                "Authorization",
                format!("OAuth {}", self.inner.token.expose()),
            )
            .header("offset", offset.to_string())
            .header("file_size", total.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| transport_at(&self.inner.upload, &e))?;
        let status = response.status().as_u16();
        let host = self.inner.upload.clone();
        let broken = |message: String| ApiError::Transport {
            host: host.clone(),
            message,
        };
        let body = response
            .bytes()
            .await
            .map_err(|e| transport_at(&host, &e))?;
        let value = read_answer(&host, status, &body, None)?;
        // The upload host answers errors in a shape of its own.
        if let Some(info) = value.get("debug_info") {
            let message = info
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("upload refused")
                .to_string();
            let retriable = info.get("retriable").and_then(Value::as_bool) == Some(true);
            return Err(if retriable || status >= 500 {
                broken(format!("HTTP {status}: {message}"))
            } else {
                ApiError::Decode {
                    host,
                    message: format!("HTTP {status}: {message}"),
                }
            });
        }
        if value.get("success").and_then(Value::as_bool) != Some(true) {
            return Err(ApiError::Decode {
                host,
                message: format!("upload answered HTTP {status} without success"),
            });
        }
        Ok(())
    }
}

/// A transport failure of a call to `host`. reqwest's message may hold the
/// URL; ours never hold the token.
fn transport_at(host: &str, e: &reqwest::Error) -> ApiError {
    ApiError::Transport {
        host: host.to_string(),
        message: if e.is_timeout() {
            "timed out".into()
        } else if e.is_connect() {
            "could not connect".into()
        } else {
            "connection broken".into()
        },
    }
}

/// An answer's JSON, or the error it carries: Meta's error object (with the
/// rate-limit estimate of the usage headers), a passing failure for a
/// non-JSON 5xx (a proxy's or load balancer's error page, retried like a
/// timeout), or an undecodable answer.
fn read_answer(
    host: &str,
    status: u16,
    body: &[u8],
    usage: Option<Usage>,
) -> Result<Value, ApiError> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) if status >= 500 => {
            return Err(ApiError::Transport {
                host: host.to_string(),
                message: format!("HTTP {status} without a Graph API answer"),
            })
        }
        Err(_) => {
            return Err(ApiError::Decode {
                host: host.to_string(),
                message: format!(
                    "HTTP {status} with a body that is not JSON ({} bytes)",
                    body.len()
                ),
            })
        }
    };
    if let Some(err) = value.get("error") {
        let mut meta: MetaError =
            serde_json::from_value(err.clone()).map_err(|e| ApiError::Decode {
                host: host.to_string(),
                message: format!("HTTP {status} with an error object postwright cannot read: {e}"),
            })?;
        meta.http_status = status;
        if meta.class() == ErrorClass::RateLimited {
            meta.regain = usage.and_then(|u| u.regain);
        }
        return Err(ApiError::Meta(Box::new(meta)));
    }
    Ok(value)
}

/// `base · 2^attempt` plus up to `base` of jitter, so many clients retrying
/// at once spread out.
fn backoff(base: Duration, attempt: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let base_ms = u64::try_from(base.as_millis()).unwrap_or(u64::MAX);
    let jitter = random % base_ms.max(1);
    Duration::from_millis(
        base_ms
            .saturating_mul(1 << attempt.min(10))
            .saturating_add(jitter),
    )
}

/// hex(HMAC-SHA256(key = app secret, message = token)).
pub fn appsecret_proof(app_secret: &str, token: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key");
    mac.update(token.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
