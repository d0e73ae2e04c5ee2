//! One Mastodon account's connection to its server: the calls a publisher
//! makes (check the token, read the limits, upload and await media, post,
//! find, read and delete statuses, manage scheduled statuses).
//!
//! The token is a bearer token, sent only in the `Authorization` header;
//! Mastodon's tokens do not expire, so there is no session to refresh.
//! Reads, deletes, reschedules and uploads are repeated after passing
//! failures (an upload repeated leaves at most an unattached file, which
//! the server removes); a status is never posted twice by a repeat: only
//! [`Client::post_once`] repeats, once, with the same `Idempotency-Key`.
//! Facts and links: docs/mastodon.md ("Exactly once", "Media").

use super::api::{segment, Answer, Api, Body, Call, Part, Timeouts};
use super::error::{MastodonError, RateLimit};
use super::instance::{self, Instance};
use super::secret::Token;
pub use super::status::*;
use jiff::Timestamp;
use reqwest::Method;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub timeouts: Timeouts,
    /// Repeats of a passing failure (reads, uploads, deletes).
    pub retries: u32,
    /// The first pause before a repeat (doubling, with jitter).
    pub retry_base: Duration,
    /// Between two looks at media still processing.
    pub media_poll: Duration,
    /// How long to wait for media to be processed before giving up (the
    /// post then waits for a later run; it is never sent without it).
    pub media_wait: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            timeouts: Timeouts::default(),
            retries: 3,
            retry_base: Duration::from_millis(500),
            media_poll: Duration::from_secs(2),
            media_wait: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    Safe,
    Never,
}

/// One account's connection. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    api: Api,
    token: Token,
    rate: std::sync::Mutex<Option<RateLimit>>,
    options: Options,
}

impl Client {
    /// A client for the account whose token is `token` on `instance`.
    pub fn new(instance: &str, token: Token, options: Options) -> Result<Client, MastodonError> {
        Ok(Client {
            inner: Arc::new(Inner {
                api: Api::new(instance, options.timeouts)?,
                token,
                rate: std::sync::Mutex::new(None),
                options,
            }),
        })
    }

    /// A client with the token read from the variable `var` (account
    /// `account` in messages).
    pub fn from_env(
        instance: &str,
        var: &str,
        account: &str,
        options: Options,
    ) -> Result<Client, MastodonError> {
        let token = std::env::var(var)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| MastodonError::MissingToken {
                var: var.to_string(),
                account: account.to_string(),
            })?;
        Client::new(instance, Token::new(token.trim()), options)
    }

    /// The server's host, for messages.
    pub fn host(&self) -> &str {
        self.inner.api.host()
    }

    /// What the last answer's `X-RateLimit-*` headers said.
    pub fn rate(&self) -> Option<RateLimit> {
        self.inner.rate.lock().map(|r| r.clone()).unwrap_or(None)
    }

    /// The server's limits.
    pub async fn instance(&self) -> Result<Instance, MastodonError> {
        instance::fetch(&self.inner.api).await
    }

    /// Who the token is. Needs the `profile` or `read:accounts` scope.
    pub async fn verify_credentials(&self) -> Result<Account, MastodonError> {
        let call = Call::get("/api/v1/accounts/verify_credentials");
        let v = self.send(&call, Retry::Safe).await?.value;
        Ok(Account {
            id: self.id_of(&call, &v)?,
            username: str_of(&v, "username").unwrap_or_default(),
            acct: str_of(&v, "acct").unwrap_or_default(),
            url: str_of(&v, "url"),
        })
    }

    /// The application the token belongs to
    /// (`GET /api/v1/apps/verify_credentials`), for `auth inspect`.
    pub async fn verify_app(&self) -> Result<App, MastodonError> {
        let call = Call::get("/api/v1/apps/verify_credentials");
        let v = self.send(&call, Retry::Safe).await?.value;
        Ok(App {
            name: str_of(&v, "name").unwrap_or_default(),
            scopes: v.get("scopes").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            }),
        })
    }

    /// Uploads a file (`POST /api/v2/media`): ready at once (images,
    /// 200) or processing (video, gifv, audio: 202 with `url: null`).
    pub async fn upload_media(&self, upload: &Upload) -> Result<MediaState, MastodonError> {
        let mut parts = vec![(
            "file".to_string(),
            Part::File {
                name: upload.file_name.clone(),
                mime: upload.mime.clone(),
                data: upload.data.clone(),
            },
        )];
        if let Some(d) = &upload.description {
            parts.push(("description".into(), Part::Text(d.clone())));
        }
        if let Some((x, y)) = upload.focus {
            parts.push(("focus".into(), Part::Text(format!("{x},{y}"))));
        }
        let call = Call::new(Method::POST, "/api/v2/media", Body::Multipart(parts));
        let answer = self.send(&call, Retry::Safe).await?;
        self.media_state(&call, &answer)
    }

    /// Looks at an upload (`GET /api/v1/media/:id`): 206 processing, 200
    /// ready, 422 failed.
    pub async fn get_media(&self, id: &str) -> Result<MediaState, MastodonError> {
        let call = Call::get(format!("/api/v1/media/{}", self.segment("media", id)?));
        match self.send(&call, Retry::Safe).await {
            Ok(answer) => self.media_state(&call, &answer),
            Err(MastodonError::Api(a)) if a.status == 422 => Err(MastodonError::MediaFailed {
                host: self.host().to_string(),
                id: id.to_string(),
                message: a.error.unwrap_or_else(|| "HTTP 422".into()),
            }),
            Err(e) => Err(e),
        }
    }

    /// Waits (at most `media_wait`) until the upload `id` is processed: an
    /// unprocessed file is never attached.
    pub async fn wait_media(&self, id: &str) -> Result<Attachment, MastodonError> {
        let start = Instant::now();
        loop {
            if let MediaState::Ready(a) = self.get_media(id).await? {
                return Ok(a);
            }
            let waited = start.elapsed();
            if waited + self.inner.options.media_poll > self.inner.options.media_wait {
                return Err(MastodonError::MediaTimeout {
                    host: self.host().to_string(),
                    id: id.to_string(),
                    waited,
                });
            }
            tokio::time::sleep(self.inner.options.media_poll).await;
        }
    }

    fn media_state(&self, call: &Call, answer: &Answer) -> Result<MediaState, MastodonError> {
        if answer.status == 206 || answer.value.is_null() {
            let id = call.path.rsplit('/').next().unwrap_or_default().to_string();
            return Ok(MediaState::Processing { id });
        }
        let v = &answer.value;
        let a = Attachment {
            id: self.id_of(call, v)?,
            kind: str_of(v, "type").unwrap_or_else(|| "unknown".into()),
            url: str_of(v, "url"),
            description: str_of(v, "description"),
        };
        Ok(if answer.status == 202 || a.url.is_none() {
            MediaState::Processing { id: a.id }
        } else {
            MediaState::Ready(a)
        })
    }

    /// Posts `status` once with `key` as its `Idempotency-Key`; no repeat.
    pub async fn post_status(
        &self,
        key: &str,
        status: &NewStatus,
    ) -> Result<Posted, MastodonError> {
        let key = self.check_key(key)?;
        let mut call = Call::new(Method::POST, "/api/v1/statuses", Body::Form(status.form()));
        call.idempotency_key = Some(key);
        let v = self.send(&call, Retry::Never).await?.value;
        if status.scheduled_at.is_some() && v.get("scheduled_at").is_some() {
            Ok(Posted::Scheduled(self.scheduled(&call, &v)?))
        } else {
            Ok(Posted::Status(self.status(&call, &v)?))
        }
    }

    /// Posts `status` with `key`; when the answer is lost (no answer, or a
    /// server error) it sends the same key once more, which the server
    /// answers with the status the first try made, if it made one. Not for
    /// scheduled statuses: servers before Mastodon 4.3 ignored the key
    /// there (mastodon/mastodon#30039), so a lost answer is resolved by
    /// listing the scheduled statuses instead. An error after the repeat
    /// still leaves the outcome open (some versions answer a known key
    /// with a 500, mastodon/mastodon#40399): the caller reads the recent
    /// statuses before it posts under a new key.
    pub async fn post_once(
        &self,
        key: &str,
        status: &NewStatus,
    ) -> Result<PostOutcome, MastodonError> {
        match self.post_status(key, status).await {
            Ok(posted) => Ok(PostOutcome {
                posted,
                repeated: None,
            }),
            Err(e) if e.outcome_unknown() && status.scheduled_at.is_none() => {
                let why = format!("{e}; sent again with the same Idempotency-Key");
                let posted = self.post_status(key, status).await?;
                Ok(PostOutcome {
                    posted,
                    repeated: Some(why),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The account's newest statuses (at most 40), to find one whose answer
    /// was lost after the key's hour.
    pub async fn account_statuses(
        &self,
        account_id: &str,
        limit: u8,
    ) -> Result<Vec<Status>, MastodonError> {
        self.statuses_page(account_id, limit, None).await
    }

    /// The account's statuses made at or after `since`, newest first, in
    /// pages of 40 followed by `max_id`, at most `pages` of them; and
    /// whether the listing reached back to `since` (`false`: the bound
    /// came first).
    pub async fn statuses_since(
        &self,
        account_id: &str,
        since: Timestamp,
        pages: usize,
    ) -> Result<(Vec<Status>, bool), MastodonError> {
        let mut all: Vec<Status> = Vec::new();
        for _ in 0..pages {
            let max_id = all.last().map(|s| s.id.clone());
            let page = self.statuses_page(account_id, 40, max_id).await?;
            let short = page.len() < 40;
            // Pinned statuses are listed by their own call, so the list
            // is newest first: one older than `since` ends it.
            let reached = page.iter().any(|s| s.created_at.is_some_and(|t| t < since));
            all.extend(
                page.into_iter()
                    .filter(|s| s.created_at.is_none_or(|t| t >= since)),
            );
            if short || reached {
                return Ok((all, true));
            }
        }
        Ok((all, false))
    }

    async fn statuses_page(
        &self,
        account_id: &str,
        limit: u8,
        max_id: Option<String>,
    ) -> Result<Vec<Status>, MastodonError> {
        let path = format!(
            "/api/v1/accounts/{}/statuses",
            self.segment("account", account_id)?
        );
        let mut call = Call::get(path);
        call.query = vec![("limit", limit.clamp(1, 40).to_string())];
        if let Some(max_id) = max_id {
            call.query.push(("max_id", max_id));
        }
        let v = self.send(&call, Retry::Safe).await?.value;
        self.list(&call, &v)?
            .iter()
            .map(|s| self.status(&call, s))
            .collect()
    }

    /// One page of the account's own statuses for `import` and refresh,
    /// newest first, older than `max_id`: at most 40 (Mastodon's largest
    /// page), without boosts or replies to others (docs/mastodon.md,
    /// "Importing an account"). The statuses as the server wrote them,
    /// read by [`super::feed`].
    pub async fn feed_statuses(
        &self,
        account_id: &str,
        max_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Value>, MastodonError> {
        let path = format!(
            "/api/v1/accounts/{}/statuses",
            self.segment("account", account_id)?
        );
        let mut call = Call::get(path);
        call.query = vec![
            ("limit", limit.clamp(1, 40).to_string()),
            ("exclude_reblogs", "true".into()),
            ("exclude_replies", "true".into()),
        ];
        if let Some(max_id) = max_id {
            call.query.push(("max_id", self.segment("status", max_id)?));
        }
        let v = self.send(&call, Retry::Safe).await?.value;
        let list = self.list(&call, &v)?;
        for s in list {
            self.id_of(&call, s)?;
        }
        Ok(list.clone())
    }

    /// The server's time now, as its last answer's `Date` told it; `None`
    /// before any answer had one.
    pub fn server_now(&self) -> Option<Timestamp> {
        self.inner.api.clock().now()
    }

    /// A status, or `None` if it is not there (deleted, or not visible).
    pub async fn get_status(&self, id: &str) -> Result<Option<Status>, MastodonError> {
        let call = Call::get(format!("/api/v1/statuses/{}", self.segment("status", id)?));
        match self.send(&call, Retry::Safe).await {
            Ok(a) => Ok(Some(self.status(&call, &a.value)?)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes a status; `false` if it was already gone.
    pub async fn delete_status(&self, id: &str) -> Result<bool, MastodonError> {
        let path = format!("/api/v1/statuses/{}", self.segment("status", id)?);
        self.delete(path).await
    }

    /// The statuses the server holds for later (every page; at most 300).
    pub async fn scheduled_statuses(&self) -> Result<Vec<ScheduledStatus>, MastodonError> {
        let mut all: Vec<ScheduledStatus> = Vec::new();
        // 300 pending at most, 40 a page: a bound, not a guess.
        for _ in 0..10 {
            let mut call = Call::get("/api/v1/scheduled_statuses");
            call.query = vec![("limit", "40".into())];
            if let Some(last) = all.last() {
                call.query.push(("max_id", last.id.clone()));
            }
            let v = self.send(&call, Retry::Safe).await?.value;
            let page = self.list(&call, &v)?;
            for s in page {
                all.push(self.scheduled(&call, s)?);
            }
            if page.len() < 40 {
                break;
            }
        }
        Ok(all)
    }

    /// A scheduled status, or `None` when the server holds it no more
    /// (published at its time, or cancelled).
    pub async fn get_scheduled(&self, id: &str) -> Result<Option<ScheduledStatus>, MastodonError> {
        let path = format!(
            "/api/v1/scheduled_statuses/{}",
            self.segment("scheduled status", id)?
        );
        let call = Call::get(path);
        match self.send(&call, Retry::Safe).await {
            Ok(a) => Ok(Some(self.scheduled(&call, &a.value)?)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Moves a scheduled status to `at` (at least 5 minutes ahead).
    pub async fn reschedule(
        &self,
        id: &str,
        at: Timestamp,
    ) -> Result<ScheduledStatus, MastodonError> {
        let path = format!(
            "/api/v1/scheduled_statuses/{}",
            self.segment("scheduled status", id)?
        );
        let body = Body::Form(vec![("scheduled_at".into(), at.to_string())]);
        let call = Call::new(Method::PUT, path, body);
        let v = self.send(&call, Retry::Safe).await?.value;
        self.scheduled(&call, &v)
    }

    /// Cancels a scheduled status; `false` if it was already gone
    /// (published, or cancelled in the app).
    pub async fn cancel_scheduled(&self, id: &str) -> Result<bool, MastodonError> {
        let path = format!(
            "/api/v1/scheduled_statuses/{}",
            self.segment("scheduled status", id)?
        );
        self.delete(path).await
    }

    async fn delete(&self, path: String) -> Result<bool, MastodonError> {
        let call = Call::new(Method::DELETE, path, Body::None);
        match self.send(&call, Retry::Safe).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Sends with the token, repeating passing failures when `retry`
    /// allows; keeps the rate-limit headers.
    async fn send(&self, call: &Call, retry: Retry) -> Result<Answer, MastodonError> {
        let mut attempt = 0;
        loop {
            let result = self.inner.api.send(call, Some(&self.inner.token)).await;
            let rate = match &result {
                Ok(a) => a.rate.clone(),
                Err(e) => e.rate().cloned(),
            };
            if let Some(rate) = rate {
                if let Ok(mut held) = self.inner.rate.lock() {
                    *held = Some(rate);
                }
            }
            match result {
                Err(e)
                    if retry == Retry::Safe
                        && e.class() == crate::platform::ErrorClass::Transient
                        && attempt < self.inner.options.retries =>
                {
                    let pause =
                        crate::platform::backoff::backoff(self.inner.options.retry_base, attempt);
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// The key as a header value: visible ASCII (a key built from a journal
    /// entry is), so that it cannot break the request.
    fn check_key(&self, key: &str) -> Result<String, MastodonError> {
        let ok = !key.is_empty() && key.len() <= 256 && key.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(key.to_string())
        } else {
            Err(MastodonError::BadKey(key.chars().take(40).collect()))
        }
    }

    fn segment(&self, what: &str, id: &str) -> Result<String, MastodonError> {
        segment(self.host(), what, id)
    }

    fn decode(&self, call: &Call, message: String) -> MastodonError {
        MastodonError::Decode {
            host: self.host().to_string(),
            call: call.name(),
            message,
        }
    }

    fn id_of(&self, call: &Call, v: &Value) -> Result<String, MastodonError> {
        str_of(v, "id").ok_or_else(|| self.decode(call, "no `id`".into()))
    }

    fn list<'a>(&self, call: &Call, v: &'a Value) -> Result<&'a Vec<Value>, MastodonError> {
        v.as_array()
            .ok_or_else(|| self.decode(call, "not a list".into()))
    }

    fn status(&self, call: &Call, v: &Value) -> Result<Status, MastodonError> {
        Ok(Status {
            id: self.id_of(call, v)?,
            created_at: str_of(v, "created_at").and_then(|t| t.parse().ok()),
            content: str_of(v, "content").unwrap_or_default(),
            text: str_of(v, "text"),
            url: str_of(v, "url"),
            spoiler_text: str_of(v, "spoiler_text").unwrap_or_default(),
            visibility: str_of(v, "visibility"),
            media_ids: ids(v.get("media_attachments")),
        })
    }

    fn scheduled(&self, call: &Call, v: &Value) -> Result<ScheduledStatus, MastodonError> {
        let params = v.get("params").unwrap_or(&Value::Null);
        Ok(ScheduledStatus {
            id: self.id_of(call, v)?,
            scheduled_at: str_of(v, "scheduled_at").and_then(|t| t.parse().ok()),
            text: str_of(params, "text"),
            media_ids: match params.get("media_ids") {
                Some(Value::Array(a)) => a.iter().filter_map(id_text).collect(),
                _ => ids(v.get("media_attachments")),
            },
            idempotency: str_of(params, "idempotency"),
        })
    }
}

/// A string field (ids may come as numbers from other servers).
fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(id_text)
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The ids of a list of objects (`media_attachments`).
fn ids(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|m| str_of(m, "id")).collect())
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "client_tests/mod.rs"]
mod tests;
