//! A test Threads API server that behaves as Meta documents it
//! (docs/threads.md): containers (`POST /{user}/threads`) that go
//! IN_PROGRESS → FINISHED (videos after a configurable delay), ERROR with
//! an `error_message`, EXPIRED 24 h after creation, PUBLISHED after
//! `threads_publish`; carousel checks (2–20 items, each an
//! `is_carousel_item` container of this user, finished); the 500-character
//! text limit (emoji counted by their UTF-8 bytes); the 5-link limit
//! (`THREADS_API__LINK_LIMIT_EXCEEDED`); the 250-posts-in-24-h quota
//! (`threads_publishing_limit`); tokens (Bearer header only; wrong or
//! expired → OAuthException 190); `refresh_access_token` (refused for a
//! token younger than 24 h); `/me`, `/{user}/threads`, `debug_token`,
//! `DELETE /{media}`. One listener on 127.0.0.1.
//!
//! Time is virtual (real time plus [`ThreadsServer::advance`]), so video
//! processing, container expiry, the rolling quota and token age can be
//! tested without sleeping.
//!
//! Where Meta's pages are silent, these choices (docs/threads.md, "Test
//! server choices"):
//!
//! - publishing a container that is not FINISHED: code 9007 ("not ready",
//!   as Instagram's), HTTP 400; an EXPIRED or PUBLISHED one: code 24;
//! - the publishing limit: code 9, HTTP 400 (Meta gives no code);
//! - a refresh of a token younger than 24 h: code 100, OAuthException;
//! - a token sent as `access_token` parameter is refused (code 100): the
//!   client must never put it in a URL or body;
//! - no usage headers: Meta documents none for Threads;
//! - `GET /{user}/threads` pages by `after` cursors with Meta's `paging`
//!   (`next` carries the token, as Meta's does); seeded posts (`live.rs`)
//!   have `media_url`s under `/cdn/`, signed, 403 without the signature.
//!
//! Test tool only, never part of the crate.

#![allow(dead_code)]

mod handlers;
mod live;
mod rules;

pub use live::{ThreadsItem, ThreadsSeed, THREADS_CDN_SIGNATURE};

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The profile, its token, and the server's settings.
#[derive(Debug, Clone)]
pub struct ThreadsConfig {
    pub user_id: String,
    pub username: String,
    pub token: String,
    pub scopes: Vec<String>,
    /// How old the token is at start (refresh wants ≥ `min_refresh_age`).
    pub token_age: Duration,
    /// Token lifetime from issue; a long-lived token: 60 days.
    pub token_lifetime: Duration,
    /// IN_PROGRESS → FINISHED for videos (virtual time).
    pub video_processing: Duration,
    /// The same for images (0: ready at once).
    pub image_processing: Duration,
    /// `config.quota_total` (Meta: 250).
    pub quota_total: u32,
    /// Meta: a token must be 24 h old to be refreshed.
    pub min_refresh_age: Duration,
}

impl Default for ThreadsConfig {
    fn default() -> Self {
        ThreadsConfig {
            user_id: "7100000000000001".into(),
            username: "studio".into(),
            token: "THtest-token".into(),
            scopes: ["threads_basic", "threads_content_publish", "threads_delete"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            token_age: Duration::from_secs(2 * 86_400),
            token_lifetime: Duration::from_secs(60 * 86_400),
            video_processing: Duration::from_secs(1),
            image_processing: Duration::ZERO,
            quota_total: 250,
            min_refresh_age: Duration::from_secs(86_400),
        }
    }
}

/// A fault to inject; each fires once, on the first request it matches
/// (`path_contains` is matched against `"METHOD /path"`, e.g.
/// `"POST /v1.0/7100/threads_publish"`; "" matches every request).
#[derive(Debug, Clone)]
pub enum Fault {
    /// HTTP 500, code 1 transient, before anything happens.
    Http500 { path_contains: String },
    /// The call takes effect, then the answer is lost (HTTP 500 with a
    /// non-JSON body, as a proxy's error page).
    LostAnswer { path_contains: String },
    /// The next video container ends ERROR with this `error_message`
    /// (`FAILED_DOWNLOADING_VIDEO`, `INVALID_ASPEC_RATIO`…).
    ProcessingFails { error_message: String },
}

/// One request as the server saw it (never with a token).
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// The path with its version prefix (`/v1.0/7100…/threads`).
    pub path: String,
    /// Query and form parameters, `access_token` left out.
    pub params: BTreeMap<String, String>,
    /// `Authorization: Bearer …` came with it.
    pub bearer: bool,
    /// `access_token` was among the parameters (postwright must never).
    pub token_in_params: bool,
    pub status: u16,
    pub error_code: Option<i64>,
}

/// A container as it stands.
#[derive(Debug, Clone)]
pub struct Container {
    pub id: String,
    pub params: BTreeMap<String, String>,
    /// TEXT, IMAGE, VIDEO or CAROUSEL.
    pub media_type: String,
    pub carousel_item: bool,
    pub created_at: i64,
    /// Processing fault: ERROR with this message once processed.
    pub fails_with: Option<String>,
    pub published: Option<String>,
}

/// A published post.
#[derive(Debug, Clone)]
pub struct Media {
    pub id: String,
    pub container_id: String,
    /// TEXT_POST, IMAGE, VIDEO or CAROUSEL_ALBUM.
    pub media_type: String,
    pub text: Option<String>,
    pub shortcode: String,
    pub published_at: i64,
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub token: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

pub(crate) struct State {
    pub cfg: ThreadsConfig,
    pub offset: Duration,
    pub tokens: Vec<Token>,
    pub containers: Vec<Container>,
    pub media: Vec<Media>,
    pub calls: Vec<Call>,
    pub faults: Vec<Fault>,
    pub quota_extra: u32,
    pub next_id: u64,
    /// Seeded posts' media, by post id (see `live.rs`).
    pub seeded: BTreeMap<String, Vec<live::Stored>>,
    /// The server's URL, for seeded media URLs.
    pub cdn_base: String,
    /// Listing pages hold at most this many posts.
    pub page_size: Option<usize>,
}

impl State {
    pub fn now(&self) -> i64 {
        unix_now() + self.offset.as_secs() as i64
    }

    pub fn id(&mut self) -> String {
        self.next_id += 1;
        format!("1789{:012}", self.next_id)
    }
}

/// Called with `"METHOD /path"` after a call that changed something (a
/// container made, a post published or deleted) and before its answer
/// leaves: where the crash test kills the client.
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
pub struct ThreadsServer {
    shared: Arc<Shared>,
    url: String,
    _stop: Arc<tokio::sync::oneshot::Sender<()>>,
}

impl ThreadsServer {
    /// Starts on the calling test's tokio runtime.
    pub async fn start(cfg: ThreadsConfig) -> ThreadsServer {
        let (server, listener, rx) = Self::bind(cfg);
        tokio::spawn(handlers::serve(server.shared.clone(), listener, rx));
        server
    }

    /// Starts on a thread of its own (for tests that block, run the binary).
    pub fn start_blocking(cfg: ThreadsConfig) -> ThreadsServer {
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
        cfg: ThreadsConfig,
    ) -> (
        ThreadsServer,
        std::net::TcpListener,
        tokio::sync::oneshot::Receiver<()>,
    ) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let now = unix_now();
        let token = Token {
            token: cfg.token.clone(),
            issued_at: now - cfg.token_age.as_secs() as i64,
            expires_at: now - cfg.token_age.as_secs() as i64 + cfg.token_lifetime.as_secs() as i64,
        };
        let state = State {
            cfg,
            offset: Duration::ZERO,
            tokens: vec![token],
            containers: Vec::new(),
            media: Vec::new(),
            calls: Vec::new(),
            faults: Vec::new(),
            quota_extra: 0,
            next_id: 0,
            seeded: BTreeMap::new(),
            cdn_base: String::new(),
            page_size: None,
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server = ThreadsServer {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                hook: Mutex::new(None),
            }),
            url,
            _stop: Arc::new(tx),
        };
        (server, listener, rx)
    }

    /// See [`EffectHook`].
    pub fn set_after_effect_hook(&self, f: impl Fn(&str) + Send + Sync + 'static) {
        *self.shared.hook.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(f));
    }

    /// `http://127.0.0.1:PORT`, for `[api] threads_url`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn user_id(&self) -> String {
        self.shared.lock().cfg.user_id.clone()
    }

    /// Every request, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    pub fn containers(&self) -> Vec<Container> {
        self.shared.lock().containers.clone()
    }

    /// Published posts in publish order (deleted ones flagged).
    pub fn published(&self) -> Vec<Media> {
        self.shared.lock().media.clone()
    }

    /// Moves the virtual clock forward (container expiry, quota window,
    /// video processing, token age).
    pub fn advance(&self, d: Duration) {
        self.shared.lock().offset += d;
    }

    /// Publishes counted in the rolling 24 h on top of the real ones.
    pub fn set_quota_usage(&self, used: u32) {
        self.shared.lock().quota_extra = used;
    }

    pub fn set_quota_total(&self, total: u32) {
        self.shared.lock().cfg.quota_total = total;
    }

    /// How long videos take to process from now on.
    pub fn set_video_delay(&self, d: Duration) {
        self.shared.lock().cfg.video_processing = d;
    }

    /// The current token was issued `age` ago (virtual time); its expiry
    /// moves with it.
    pub fn set_token_age(&self, age: Duration) {
        let mut st = self.shared.lock();
        let now = st.now();
        let lifetime = st.cfg.token_lifetime.as_secs() as i64;
        let token = st.cfg.token.clone();
        for t in st.tokens.iter_mut().filter(|t| t.token == token) {
            t.issued_at = now - age.as_secs() as i64;
            t.expires_at = t.issued_at + lifetime;
        }
    }

    /// Every token expires now.
    pub fn expire_tokens(&self) {
        let mut st = self.shared.lock();
        let now = st.now();
        for t in &mut st.tokens {
            t.expires_at = now - 1;
        }
    }

    /// Every valid token (a refresh adds one).
    pub fn tokens(&self) -> Vec<Token> {
        self.shared.lock().tokens.clone()
    }

    /// Queues a fault that fires once.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
