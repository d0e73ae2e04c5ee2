//! One Bluesky account's connection to its PDS: the session, and the calls
//! a publisher makes (upload a blob, write, read, list and delete post
//! records, resolve handles, check the session).
//!
//! The session is created once per run (`createSession` is limited to 30
//! per 5 minutes and 300 a day), lazily, by the first call that needs it;
//! an `ExpiredToken` answer (HTTP 400) refreshes it once with the refresh
//! token and repeats the call. Reads, uploads and deletes are repeated
//! after passing failures; `createRecord` never is: a lost answer is
//! resolved by reading the record key ([`Client::publish_once`]).
//! Facts and links: docs/bluesky.md ("Session", "Exactly once").

use super::error::{BlueskyError, RateLimit};
use super::record::{Blob, COLLECTION};
use super::richtext::{self, Facet};
use super::tid::Tid;
use super::xrpc::{Body, Call, Timeouts, Xrpc};
use crate::platform::Secret;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How a client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub timeouts: Timeouts,
    /// Repeats of a passing failure (reads, uploads, deletes).
    pub retries: u32,
    /// The first pause before a repeat (doubling, with jitter).
    pub retry_base: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            timeouts: Timeouts::default(),
            retries: 3,
            retry_base: Duration::from_millis(500),
        }
    }
}

/// Who the session is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub did: String,
    pub handle: String,
}

/// A record as the PDS stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// `at://<did>/app.bsky.feed.post/<rkey>`
    pub uri: String,
    pub cid: Option<String>,
    pub value: Value,
}

/// A page of `listRecords`, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub records: Vec<Stored>,
    /// Where the next page starts; `None`: this was the last.
    pub cursor: Option<String>,
}

/// A post written (or found written) under its record key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub uri: String,
    pub cid: Option<String>,
    pub rkey: Tid,
    /// The answer was lost and the record was found by reading its key.
    pub recovered: bool,
}

/// What `describeRepo` says of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoInfo {
    pub did: String,
    pub handle: String,
    /// The handle resolves to the DID and back.
    pub handle_is_correct: bool,
}

#[derive(Debug, Clone)]
struct Session {
    account: Account,
    access: Secret,
    refresh: Secret,
    /// Bumped by each refresh: a call that failed with an older one's
    /// token does not refresh again.
    generation: u64,
}

/// Where the run's session is.
#[derive(Debug)]
enum SessionState {
    /// Not signed in yet (or the last try failed in passing).
    None,
    Ready(Session),
    /// Sign-in or refresh was refused: every later call fails the same
    /// way without asking again (createSession is rate-limited).
    Refused(BlueskyError),
}

/// The sessions this process signed in, by PDS host and identifier, with
/// the password they were made with: `apply` checks each account (auth
/// inspect) before it publishes, on a client of its own, and both must
/// share one `createSession` (30 per 5 minutes). Only the session is
/// shared, not the HTTP client: each runs on its own tokio runtime. In
/// memory only.
type Key = (String, String);
static SIGNED_IN: std::sync::Mutex<Vec<(Key, Secret, Session)>> = std::sync::Mutex::new(Vec::new());

fn signed_in(key: &Key, password: &Secret) -> Option<Session> {
    let held = SIGNED_IN.lock().unwrap_or_else(|e| e.into_inner());
    held.iter()
        .find(|(k, p, _)| k == key && p == password)
        .map(|(_, _, s)| s.clone())
}

fn remember(key: Key, password: &Secret, session: &Session) {
    forget(&key);
    let mut held = SIGNED_IN.lock().unwrap_or_else(|e| e.into_inner());
    held.push((key, password.clone(), session.clone()));
}

fn forget(key: &Key) {
    let mut held = SIGNED_IN.lock().unwrap_or_else(|e| e.into_inner());
    held.retain(|(k, _, _)| k != key);
}

/// The state a sign-in or refresh leaves.
fn settle(result: &Result<Session, BlueskyError>) -> SessionState {
    match result {
        Ok(session) => SessionState::Ready(session.clone()),
        Err(e) if e.class() == crate::platform::ErrorClass::Transient => SessionState::None,
        Err(e) => SessionState::Refused(e.clone()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    Safe,
    Never,
}

/// One account's connection. Cheap to clone; clones share the session.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    xrpc: Xrpc,
    identifier: String,
    password: Secret,
    session: tokio::sync::Mutex<SessionState>,
    rate: std::sync::Mutex<Option<RateLimit>>,
    options: Options,
}

impl Client {
    /// A client for the account `identifier` (its handle) on `pds`.
    pub fn new(
        pds: &str,
        identifier: &str,
        password: Secret,
        options: Options,
    ) -> Result<Client, BlueskyError> {
        Ok(Client {
            inner: Arc::new(Inner {
                xrpc: Xrpc::new(pds, options.timeouts)?,
                identifier: identifier.to_string(),
                password,
                session: tokio::sync::Mutex::new(SessionState::None),
                rate: std::sync::Mutex::new(None),
                options,
            }),
        })
    }

    /// A client with the app password read from the variable `var`
    /// (account `account` in messages).
    pub fn from_env(
        pds: &str,
        handle: &str,
        var: &str,
        account: &str,
        options: Options,
    ) -> Result<Client, BlueskyError> {
        let password = std::env::var(var)
            .ok()
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| BlueskyError::MissingPassword {
                var: var.to_string(),
                account: account.to_string(),
            })?;
        Client::new(pds, handle, Secret::new(password.trim()), options)
    }

    /// The PDS's host, for messages.
    pub fn host(&self) -> &str {
        self.inner.xrpc.host()
    }

    /// What the last answer's `RateLimit-*` headers said.
    pub fn rate(&self) -> Option<RateLimit> {
        self.inner.rate.lock().map(|r| r.clone()).unwrap_or(None)
    }

    /// Signs in if not yet signed in: who the session is.
    pub async fn login(&self) -> Result<Account, BlueskyError> {
        Ok(self.session().await?.account)
    }

    async fn session(&self) -> Result<Session, BlueskyError> {
        let mut held = self.inner.session.lock().await;
        match &*held {
            SessionState::Ready(session) => return Ok(session.clone()),
            SessionState::Refused(e) => return Err(e.clone()),
            SessionState::None => {}
        }
        if let Some(session) = signed_in(&self.key(), &self.inner.password) {
            *held = SessionState::Ready(session.clone());
            return Ok(session);
        }
        let call = Call::procedure(
            "com.atproto.server.createSession",
            Body::Json(json!({
                "identifier": self.inner.identifier,
                "password": self.inner.password.expose(),
            })),
        );
        let session = self
            .send(&call, None, Retry::Safe)
            .await
            .and_then(|value| read_session(self.host(), &call, &value, 0));
        if let Ok(session) = &session {
            remember(self.key(), &self.inner.password, session);
        }
        *held = settle(&session);
        session
    }

    fn key(&self) -> Key {
        (self.host().to_string(), self.inner.identifier.clone())
    }

    /// Refreshes the session, unless a refresh after `generation` already
    /// happened.
    async fn refresh(&self, generation: u64) -> Result<(), BlueskyError> {
        let mut held = self.inner.session.lock().await;
        let current = match &*held {
            SessionState::Ready(current) if current.generation == generation => current,
            SessionState::Refused(e) => return Err(e.clone()),
            _ => return Ok(()),
        };
        let call = Call::procedure("com.atproto.server.refreshSession", Body::None);
        let session = self
            .send(&call, Some(&current.refresh), Retry::Safe)
            .await
            .and_then(|value| read_session(self.host(), &call, &value, generation + 1));
        match &session {
            Err(e) if e.class() == crate::platform::ErrorClass::Transient => return Err(e.clone()),
            Ok(session) => remember(self.key(), &self.inner.password, session),
            // A refused refresh ends the session for every client.
            Err(_) => forget(&self.key()),
        }
        *held = settle(&session);
        session.map(|_| ())
    }

    /// One call, once, and its retries: with the session's access token
    /// when `auth`.
    async fn call(&self, call: Call, auth: bool, retry: Retry) -> Result<Value, BlueskyError> {
        let mut refreshed = false;
        loop {
            let session = match auth {
                true => Some(self.session().await?),
                false => None,
            };
            let token = session.as_ref().map(|s| &s.access);
            match self.send(&call, token, retry).await {
                // The PDS refused the token before doing anything, so even
                // a write may be sent again.
                Err(e) if e.is_expired_token() && !refreshed => {
                    let Some(session) = session else {
                        return Err(e);
                    };
                    refreshed = true;
                    self.refresh(session.generation).await?;
                }
                other => return other,
            }
        }
    }

    /// Sends `call`, repeating passing failures when `Safe`.
    async fn send(
        &self,
        call: &Call,
        token: Option<&Secret>,
        retry: Retry,
    ) -> Result<Value, BlueskyError> {
        let options = self.inner.options;
        let mut attempt = 0;
        loop {
            let result = self.inner.xrpc.send(call, token).await;
            let rate = match &result {
                Ok(answer) => answer.rate.clone(),
                Err(e) => e.rate().cloned(),
            };
            if let (Some(rate), Ok(mut last)) = (rate, self.inner.rate.lock()) {
                *last = Some(rate);
            }
            match result {
                Err(e)
                    if retry == Retry::Safe
                        && e.class() == crate::platform::ErrorClass::Transient
                        && attempt < options.retries =>
                {
                    let pause = crate::platform::backoff::backoff(options.retry_base, attempt);
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
                other => return other.map(|a| a.value),
            }
        }
    }

    /// The account's DID (signing in if needed).
    pub async fn did(&self) -> Result<String, BlueskyError> {
        Ok(self.session().await?.account.did)
    }

    /// Uploads `data` of type `mime`: the blob as the PDS answered it. The
    /// same bytes make the same blob, so a repeat is harmless.
    pub async fn upload_blob(&self, data: Vec<u8>, mime: &str) -> Result<Blob, BlueskyError> {
        let body = Body::Bytes {
            data,
            mime: mime.to_string(),
        };
        let call = Call::procedure("com.atproto.repo.uploadBlob", body);
        let value = self.call(call, true, Retry::Safe).await?;
        Blob::from_upload(&value).map_err(|e| decode(self.host(), "com.atproto.repo.uploadBlob", e))
    }

    /// Writes `record` as a post under `rkey`. Never repeated: after an
    /// error whose outcome is unknown, read the key first
    /// ([`Client::publish_once`] does).
    pub async fn create_record(&self, rkey: &Tid, record: &Value) -> Result<Stored, BlueskyError> {
        const METHOD: &str = "com.atproto.repo.createRecord";
        let did = self.did().await?;
        let body = json!({
            "repo": did,
            "collection": COLLECTION,
            "rkey": rkey.as_str(),
            "record": record,
        });
        let value = self
            .call(
                Call::procedure(METHOD, Body::Json(body)),
                true,
                Retry::Never,
            )
            .await?;
        let uri = text(&value, "uri").ok_or_else(|| decode(self.host(), METHOD, "no `uri`"))?;
        Ok(Stored {
            uri,
            cid: text(&value, "cid"),
            value: record.clone(),
        })
    }

    /// Publishes `record` under `rkey` exactly once: the key is the
    /// post's identity, journaled before this is called. When the answer
    /// is lost (no answer, or a server error — which is also what the
    /// reference PDS answers when the key is already used), the key is
    /// read: a record there is the post, published. Otherwise the write's
    /// error comes back, and calling again with the same key is safe.
    pub async fn publish_once(
        &self,
        rkey: &Tid,
        record: &Value,
    ) -> Result<Published, BlueskyError> {
        match self.create_record(rkey, record).await {
            Ok(stored) => Ok(Published {
                uri: stored.uri,
                cid: stored.cid,
                rkey: rkey.clone(),
                recovered: false,
            }),
            Err(e) if e.outcome_unknown() => match self.get_record(rkey.as_str()).await {
                Ok(Some(stored)) => Ok(Published {
                    uri: stored.uri,
                    cid: stored.cid,
                    rkey: rkey.clone(),
                    recovered: true,
                }),
                Ok(None) | Err(_) => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// The account's post under `rkey`, if there is one.
    pub async fn get_record(&self, rkey: &str) -> Result<Option<Stored>, BlueskyError> {
        let did = self.did().await?;
        let params = vec![
            ("repo", did),
            ("collection", COLLECTION.to_string()),
            ("rkey", rkey.to_string()),
        ];
        let call = Call::query("com.atproto.repo.getRecord", params);
        match self.call(call, false, Retry::Safe).await {
            Ok(value) => Ok(Some(stored(
                self.host(),
                "com.atproto.repo.getRecord",
                &value,
            )?)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A page of the account's posts, newest first (`limit` 1 to 100).
    pub async fn list_records(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page, BlueskyError> {
        const METHOD: &str = "com.atproto.repo.listRecords";
        let mut params = vec![
            ("repo", self.did().await?),
            ("collection", COLLECTION.to_string()),
            ("limit", limit.clamp(1, 100).to_string()),
        ];
        if let Some(cursor) = cursor {
            params.push(("cursor", cursor.to_string()));
        }
        let value = self
            .call(Call::query(METHOD, params), false, Retry::Safe)
            .await?;
        let records = value
            .get("records")
            .and_then(Value::as_array)
            .ok_or_else(|| decode(self.host(), METHOD, "no `records`"))?
            .iter()
            .map(|r| stored(self.host(), METHOD, r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            records,
            cursor: text(&value, "cursor"),
        })
    }

    /// The account's newest `limit` posts, across pages.
    pub async fn list_recent(&self, limit: usize) -> Result<Vec<Stored>, BlueskyError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        while out.len() < limit {
            let want = u32::try_from(limit - out.len()).unwrap_or(100).min(100);
            let page = self.list_records(cursor.as_deref(), want).await?;
            let done = page.records.is_empty() || page.cursor.is_none();
            out.extend(page.records);
            if done {
                break;
            }
            cursor = page.cursor;
        }
        out.truncate(limit);
        Ok(out)
    }

    /// Deletes the post under `rkey`; one already gone counts as deleted
    /// (the call ensures the record does not exist).
    pub async fn delete_record(&self, rkey: &str) -> Result<(), BlueskyError> {
        let body = json!({
            "repo": self.did().await?,
            "collection": COLLECTION,
            "rkey": rkey,
        });
        let call = Call::procedure("com.atproto.repo.deleteRecord", Body::Json(body));
        self.call(call, true, Retry::Safe).await.map(|_| ())
    }

    /// The DID of `handle`, or `None` when it does not resolve.
    pub async fn resolve_handle(&self, handle: &str) -> Result<Option<String>, BlueskyError> {
        const METHOD: &str = "com.atproto.identity.resolveHandle";
        let call = Call::query(METHOD, vec![("handle", handle.to_string())]);
        match self.call(call, false, Retry::Safe).await {
            Ok(value) => text(&value, "did")
                .map(Some)
                .ok_or_else(|| decode(self.host(), METHOD, "no `did`")),
            // A PDS answers HandleNotFound for its own domains, and a bare
            // InvalidRequest when the handle's DNS or well-known file fails.
            Err(e) if matches!(e.name(), Some("HandleNotFound" | "InvalidRequest")) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The facets of `text`, with every mention resolved; the mentions that
    /// do not resolve are named in the error.
    pub async fn facets(&self, text: &str) -> Result<Vec<Facet>, BlueskyError> {
        let found = richtext::detect(text);
        let mut dids = HashMap::new();
        for handle in richtext::handles(&found) {
            if let Some(did) = self.resolve_handle(&handle).await? {
                dids.insert(handle, did);
            }
        }
        Ok(richtext::to_facets(&found, &dids)?)
    }

    /// Who the session is, asked of the PDS (the session works).
    pub async fn get_session(&self) -> Result<Account, BlueskyError> {
        const METHOD: &str = "com.atproto.server.getSession";
        let value = self
            .call(Call::query(METHOD, Vec::new()), true, Retry::Safe)
            .await?;
        account(self.host(), METHOD, &value)
    }

    /// What the PDS says of the repository `repo` (a handle or DID).
    pub async fn describe_repo(&self, repo: &str) -> Result<RepoInfo, BlueskyError> {
        const METHOD: &str = "com.atproto.repo.describeRepo";
        let call = Call::query(METHOD, vec![("repo", repo.to_string())]);
        let value = self.call(call, false, Retry::Safe).await?;
        let who = account(self.host(), METHOD, &value)?;
        Ok(RepoInfo {
            did: who.did,
            handle: who.handle,
            handle_is_correct: value.get("handleIsCorrect").and_then(Value::as_bool) == Some(true),
        })
    }
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn decode(host: &str, call: &str, message: impl ToString) -> BlueskyError {
    BlueskyError::Decode {
        host: host.to_string(),
        call: call.to_string(),
        message: message.to_string(),
    }
}

fn account(host: &str, call: &str, value: &Value) -> Result<Account, BlueskyError> {
    match (text(value, "did"), text(value, "handle")) {
        (Some(did), Some(handle)) => Ok(Account { did, handle }),
        _ => Err(decode(host, call, "no `did` or `handle`")),
    }
}

fn stored(host: &str, call: &str, value: &Value) -> Result<Stored, BlueskyError> {
    let uri = text(value, "uri").ok_or_else(|| decode(host, call, "a record without `uri`"))?;
    Ok(Stored {
        uri,
        cid: text(value, "cid"),
        value: value.get("value").cloned().unwrap_or(Value::Null),
    })
}

fn read_session(
    host: &str,
    call: &Call,
    value: &Value,
    generation: u64,
) -> Result<Session, BlueskyError> {
    let who = account(host, call.method, value)?;
    match (text(value, "accessJwt"), text(value, "refreshJwt")) {
        (Some(access), Some(refresh)) => Ok(Session {
            account: who,
            access: Secret::new(access),
            refresh: Secret::new(refresh),
            generation,
        }),
        _ => Err(decode(host, call.method, "no `accessJwt` or `refreshJwt`")),
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
