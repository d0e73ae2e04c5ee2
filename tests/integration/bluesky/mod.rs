//! A test Bluesky PDS for what the reference PDS (tests/integration/pds.rs)
//! cannot show offline: 429 `RateLimitExceeded` with its headers, an access
//! token expiring in the middle of a run, answers lost after the write took
//! effect. The XRPC calls postwright makes, answered as the reference PDS
//! (@atproto/pds 0.5.35) answers them — status, `{"error","message"}` bodies
//! and messages measured in tests/integration/pds/smoke.rs — and shaped as
//! the lexicons (com.atproto.server.createSession, refreshSession,
//! getSession; com.atproto.repo.uploadBlob, createRecord, getRecord,
//! listRecords, deleteRecord; com.atproto.identity.resolveHandle) say:
//!
//! - sessions: createSession with the handle or DID and the app password;
//!   JWT-shaped tokens (access 2 h, refresh 90 days, virtual time);
//!   refreshSession rotates both, the old refresh token valid 2 h more (then
//!   400 `ExpiredToken` "Token has been revoked"); an expired access token
//!   400 `ExpiredToken`, a garbage one 400 `InvalidToken`, none 401
//!   `AuthMissing`; a wrong password 401 `AuthenticationRequired`;
//! - createRecord with a client-chosen key (a TID for app.bsky.feed.post,
//!   else 400 `InvalidRequest`), a used key 500 `InternalServerError`; blob
//!   refs checked against the uploads (`BlobNotFound`, `InvalidMimeType`,
//!   `InvalidSize`); writing another account's repo 401
//!   `AuthenticationRequired`. Records are not validated against the
//!   lexicons: the reference PDS does that;
//! - getRecord 400 `RecordNotFound`; listRecords newest key first, `cursor`
//!   the page's last key; deleteRecord 200 `{}` for an absent record;
//! - com.atproto.sync.getBlob: a blob's bytes with its type, without a
//!   token, 400 `BlobNotFound` "Blob not found" for an unknown CID;
//! - uploadBlob over the limit (5 MiB by default) 413 `PayloadTooLarge`;
//! - rate limits as bsky.social documents them
//!   (docs.bsky.app/docs/advanced-guides/rate-limits): createSession 30 per
//!   5 min, writes 5,000 points an hour (create 3, delete 1), each answer with
//!   `RateLimit-Limit/Remaining/Reset/Policy`; past them 429
//!   `RateLimitExceeded` "Rate Limit Exceeded", with `Retry-After` as the
//!   reference PDS sends it (bsky.social's docs say it is absent: a fault
//!   can leave it out).
//!
//! Faults are armed for the Nth matching call ([`BlueskyServer::arm`]).
//! Every request is recorded with its raw body ([`Call`]), so tests can
//! assert what was sent byte for byte. One listener on 127.0.0.1.
//!
//! Test tool only, never part of the crate.

#![allow(dead_code)]

mod handlers;
mod sessions;
mod xrpc;

pub use xrpc::cid;

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A post made in the app, for [`BlueskyServer::post_in_app`].
#[derive(Debug, Clone, Default)]
pub struct SeedPost {
    pub text: String,
    /// `(mime, bytes, alt)`: images, or one `video/*`.
    pub media: Vec<(String, Vec<u8>, Option<String>)>,
    pub age: Duration,
    /// The at-uri of the post this one answers.
    pub reply_to: Option<String>,
}

/// The account, its app password, and the server's settings.
#[derive(Debug, Clone)]
pub struct BlueskyConfig {
    pub did: String,
    pub handle: String,
    /// The app password createSession accepts.
    pub password: String,
    pub email: String,
    /// The reference PDS: 2 h.
    pub access_lifetime: Duration,
    /// The reference PDS: 90 days.
    pub refresh_lifetime: Duration,
    /// How long a rotated refresh token still works (the reference PDS: 2 h).
    pub refresh_grace: Duration,
    /// `PDS_BLOB_UPLOAD_LIMIT` (the reference PDS: 5 MiB; bsky.social:
    /// 50 MB).
    pub blob_limit: usize,
    /// Handles resolveHandle knows besides the account's (mentions).
    pub handles: BTreeMap<String, String>,
    /// The PDS's own handle domain: an unknown handle under it answers
    /// `HandleNotFound`, any other `InvalidRequest` (as the reference PDS).
    pub handle_domain: String,
    /// createSession calls allowed per `session_window`.
    pub session_limit: u32,
    pub session_window: Duration,
    /// Write points per `write_window` (create 3, delete 1).
    pub write_points: u32,
    pub write_window: Duration,
}

impl Default for BlueskyConfig {
    fn default() -> Self {
        BlueskyConfig {
            did: "did:plc:kilnstudiotest0000000000".into(),
            handle: "kiln.bsky.social".into(),
            password: "abcd-efgh-ijkl-mnop".into(),
            email: "studio@example.com".into(),
            access_lifetime: Duration::from_secs(2 * 3600),
            refresh_lifetime: Duration::from_secs(90 * 86_400),
            refresh_grace: Duration::from_secs(2 * 3600),
            blob_limit: 5 * 1024 * 1024,
            handles: BTreeMap::new(),
            handle_domain: ".bsky.social".into(),
            session_limit: 30,
            session_window: Duration::from_secs(300),
            write_points: 5_000,
            write_window: Duration::from_secs(3600),
        }
    }
}

/// What an armed fault does to the call it fires on.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 `RateLimitExceeded` before anything happens, with
    /// `RateLimit-Reset` `reset_secs` from now (real time), `Retry-After`
    /// when `retry_after`, and the limit and policy of createSession for it,
    /// of the writes for any other call.
    RateLimited { reset_secs: u64, retry_after: bool },
    /// Every access token expires just before this call, which answers 400
    /// `ExpiredToken` (a run that outlives its token).
    ExpireAccessTokens,
    /// The call takes effect, then the connection closes with no answer.
    LostAnswer,
    /// The call takes effect, then 500 `InternalServerError`.
    LostAnswer500,
    /// 500 `InternalServerError` before anything happens.
    Http500,
    /// 502 with an HTML body (a proxy in front), before anything happens.
    BadGateway,
}

/// A fault waiting for its call.
#[derive(Debug, Clone)]
pub struct Armed {
    /// Matched against the NSID (`"createRecord"` matches
    /// `com.atproto.repo.createRecord`); "" matches every call.
    pub nsid_contains: String,
    /// Matching calls let through before it fires (0: the next one).
    pub skip: u32,
    /// Calls it fires on, one after the other.
    pub times: u32,
    pub fault: Fault,
}

/// Which token a call came with.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    None,
    /// A token this server never issued.
    Unknown,
    /// The access token of session `n` (counted from 1).
    Access(u32),
    Refresh(u32),
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// `com.atproto.repo.createRecord`; the path for anything else.
    pub nsid: String,
    pub query: BTreeMap<String, String>,
    pub content_type: Option<String>,
    /// The body exactly as received.
    pub body: Vec<u8>,
    pub auth: Auth,
    pub status: u16,
    /// The `error` of the answer.
    pub error: Option<String>,
    /// The fault that fired on it.
    pub fault: Option<Fault>,
}

impl Call {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A record as the repo holds it.
#[derive(Debug, Clone)]
pub struct Record {
    pub collection: String,
    pub rkey: String,
    pub uri: String,
    pub cid: String,
    /// As received, with `$type` added when absent (as the PDS does).
    pub value: Value,
    /// Deleted with deleteRecord (kept here for the tests).
    pub deleted: bool,
}

/// An uploaded blob.
#[derive(Debug, Clone)]
pub struct Blob {
    pub cid: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: u32,
    pub access: String,
    pub refresh: String,
    pub access_expires: i64,
    pub refresh_expires: i64,
    /// Set when rotated: the refresh token works until then.
    pub refresh_grace_until: Option<i64>,
}

pub(crate) struct State {
    pub cfg: BlueskyConfig,
    pub offset: Duration,
    pub sessions: Vec<Session>,
    pub records: Vec<Record>,
    pub blobs: Vec<Blob>,
    pub calls: Vec<Call>,
    pub armed: Vec<Armed>,
    /// Start times (virtual) of the createSession calls in the window.
    pub session_times: Vec<i64>,
    /// (time, points) of the writes in the window.
    pub write_log: Vec<(i64, u32)>,
    /// Sessions made by createSession (the others by refreshSession).
    pub logins: u32,
    pub refreshes: u32,
    pub next_rev: u64,
}

impl State {
    pub fn now(&self) -> i64 {
        unix_now() + self.offset.as_secs() as i64
    }
}

/// Called with the NSID after a call that changed something (a session, a
/// blob, a record written or deleted) and before its answer leaves: where a
/// crash test kills the client.
pub type EffectHook = Arc<dyn Fn(&str) + Send + Sync>;

pub(crate) struct Shared {
    state: Mutex<State>,
    pub(crate) hook: Mutex<Option<EffectHook>>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running server; it stops when the last clone is dropped.
#[derive(Clone)]
pub struct BlueskyServer {
    shared: Arc<Shared>,
    url: String,
    _stop: Arc<tokio::sync::oneshot::Sender<()>>,
}

impl BlueskyServer {
    /// Starts on the calling test's tokio runtime.
    pub async fn start(cfg: BlueskyConfig) -> BlueskyServer {
        let (server, listener, rx) = Self::bind(cfg);
        tokio::spawn(handlers::serve(server.shared.clone(), listener, rx));
        server
    }

    /// Starts on a thread of its own (for tests that block, run the binary).
    pub fn start_blocking(cfg: BlueskyConfig) -> BlueskyServer {
        let (server, listener, rx) = Self::bind(cfg);
        let shared = server.shared.clone();
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(handlers::serve(shared, listener, rx));
        });
        server
    }

    fn bind(
        cfg: BlueskyConfig,
    ) -> (
        BlueskyServer,
        std::net::TcpListener,
        tokio::sync::oneshot::Receiver<()>,
    ) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = State {
            cfg,
            offset: Duration::ZERO,
            sessions: Vec::new(),
            records: Vec::new(),
            blobs: Vec::new(),
            calls: Vec::new(),
            armed: Vec::new(),
            session_times: Vec::new(),
            write_log: Vec::new(),
            logins: 0,
            refreshes: 0,
            next_rev: 0,
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server = BlueskyServer {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                hook: Mutex::new(None),
            }),
            url,
            _stop: Arc::new(tx),
        };
        (server, listener, rx)
    }

    /// `http://127.0.0.1:PORT`, for the account's `pds =`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn did(&self) -> String {
        self.shared.lock().cfg.did.clone()
    }

    pub fn handle(&self) -> String {
        self.shared.lock().cfg.handle.clone()
    }

    /// See [`EffectHook`].
    pub fn set_after_effect_hook(&self, f: impl Fn(&str) + Send + Sync + 'static) {
        *self.shared.hook.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(f));
    }

    /// Arms `fault` for the call after `skip` matching ones, `times` in a row.
    pub fn arm(&self, nsid_contains: &str, skip: u32, times: u32, fault: Fault) {
        self.shared.lock().armed.push(Armed {
            nsid_contains: nsid_contains.to_string(),
            skip,
            times,
            fault,
        });
    }

    /// Drops every armed fault not fired yet.
    pub fn disarm(&self) {
        self.shared.lock().armed.clear();
    }

    /// Every request, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// The requests to one NSID (`"createRecord"` or the full name).
    pub fn calls_to(&self, nsid_contains: &str) -> Vec<Call> {
        let calls = self.calls();
        calls
            .into_iter()
            .filter(|c| c.nsid.contains(nsid_contains))
            .collect()
    }

    /// How many createSession calls succeeded (a run makes one).
    pub fn logins(&self) -> u32 {
        self.shared.lock().logins
    }

    /// How many refreshSession calls succeeded.
    pub fn refreshes(&self) -> u32 {
        self.shared.lock().refreshes
    }

    /// Every session: one per login and one per refresh.
    pub fn sessions(&self) -> Vec<Session> {
        self.shared.lock().sessions.clone()
    }

    /// Records in the order written, deleted ones flagged.
    pub fn records(&self) -> Vec<Record> {
        self.shared.lock().records.clone()
    }

    /// The live record at `rkey` of app.bsky.feed.post.
    pub fn post(&self, rkey: &str) -> Option<Record> {
        self.records()
            .into_iter()
            .find(|r| r.collection == "app.bsky.feed.post" && r.rkey == rkey && !r.deleted)
    }

    pub fn blobs(&self) -> Vec<Blob> {
        self.shared.lock().blobs.clone()
    }

    /// Moves the virtual clock forward (token expiry, rate-limit windows).
    pub fn advance(&self, d: Duration) {
        self.shared.lock().offset += d;
    }

    /// Every access token expires now.
    pub fn expire_access_tokens(&self) {
        let mut st = self.shared.lock();
        let now = st.now();
        for s in &mut st.sessions {
            s.access_expires = now - 1;
        }
    }

    pub fn set_blob_limit(&self, bytes: usize) {
        self.shared.lock().cfg.blob_limit = bytes;
    }

    /// A post made by a person in the app `age` ago, with images
    /// (`(mime, bytes, alt)`) or a video as its blobs, or as a reply:
    /// its at-uri. Its record key is the TID of its time, as the app
    /// chooses it, so the listing's order is the posts' order.
    pub fn post_in_app(&self, seed: SeedPost) -> String {
        let mut st = self.shared.lock();
        let at_ms = st.now() * 1000 - seed.age.as_millis() as i64;
        let mut refs = Vec::new();
        for (mime, bytes, alt) in &seed.media {
            let cid = xrpc::cid(0x55, bytes);
            if !st.blobs.iter().any(|b| b.cid == cid) {
                st.blobs.push(Blob {
                    cid: cid.clone(),
                    mime: mime.clone(),
                    bytes: bytes.clone(),
                });
            }
            let blob = serde_json::json!({"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": bytes.len()});
            refs.push((
                blob,
                alt.clone().unwrap_or_default(),
                mime.starts_with("video/"),
            ));
        }
        let created = jiff::Timestamp::from_millisecond(at_ms)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .strftime("%Y-%m-%dT%H:%M:%S.%3fZ")
            .to_string();
        let mut value = serde_json::json!({
            "$type": xrpc::POST,
            "text": seed.text,
            "createdAt": created,
        });
        match refs.as_slice() {
            [] => {}
            [(blob, alt, true)] => {
                value["embed"] =
                    serde_json::json!({"$type": "app.bsky.embed.video", "video": blob, "alt": alt});
            }
            images => {
                let images: Vec<Value> = images
                    .iter()
                    .map(|(blob, alt, _)| serde_json::json!({"image": blob, "alt": alt}))
                    .collect();
                value["embed"] =
                    serde_json::json!({"$type": "app.bsky.embed.images", "images": images});
            }
        }
        if let Some(parent) = seed.reply_to {
            let strong = serde_json::json!({"uri": parent, "cid": "bafyreiparent"});
            value["reply"] = serde_json::json!({"root": strong, "parent": strong});
        }
        let rkey = crate::pds::tid_from(at_ms as u64 * 1000, 0);
        let uri = format!("at://{}/{}/{rkey}", st.cfg.did, xrpc::POST);
        st.records.push(Record {
            collection: xrpc::POST.into(),
            rkey,
            uri: uri.clone(),
            cid: xrpc::cid(0x71, value.to_string().as_bytes()),
            value,
            deleted: false,
        });
        uri
    }

    /// A post deleted by a person in the app.
    pub fn delete_in_app(&self, uri: &str) {
        let mut st = self.shared.lock();
        if let Some(r) = st.records.iter_mut().find(|r| r.uri == uri) {
            r.deleted = true;
        }
    }

    /// Adds a handle resolveHandle knows (for mentions).
    pub fn add_handle(&self, handle: &str, did: &str) {
        let mut st = self.shared.lock();
        st.cfg.handles.insert(handle.to_string(), did.to_string());
    }
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
