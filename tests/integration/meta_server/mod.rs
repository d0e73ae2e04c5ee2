//! A test Graph API server that behaves as Meta documents the Instagram
//! content publishing API (../shared/docs/instagram-api.md): tokens and
//! scopes, per-type container parameters, the container state machine with
//! processing delays and 24-hour expiry, 9007/2207027 on early publish, the
//! publishing quota, usage headers and rate limits, media listing with
//! cursor paging, comments, deletes (Facebook Login only), resumable
//! uploads, the token endpoints — and faults injected on demand or at
//! random from a seed. It also serves the media files (`/static/…`) and
//! "fetches" them as Meta would when a container is created.
//!
//! Strict where Meta is: a parameter a post type cannot carry is an error,
//! not silently ignored, so a client bug shows up here and not in
//! production. Test tool only; it binds 127.0.0.1.

#![allow(dead_code)]

mod handlers;

use axum::Router;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Which login an account's token comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    Instagram,
    Facebook,
}

/// An Instagram professional account and its token.
#[derive(Debug, Clone)]
pub struct TestAccount {
    pub user_id: String,
    pub username: String,
    pub token: String,
    pub login: Login,
    pub scopes: Vec<String>,
    /// Unix seconds; `None`: never expires.
    pub token_expires_at: Option<i64>,
    /// Unix seconds (refresh needs a token at least 24 h old).
    pub token_issued_at: i64,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub accounts: Vec<TestAccount>,
    /// How long a video container stays IN_PROGRESS (server time).
    pub video_processing: Duration,
    /// `content_publishing_limit` config.quota_total.
    pub quota_total: u32,
    /// Served under `/static/`; media URLs point there.
    pub static_root: Option<PathBuf>,
    pub app_id: Option<String>,
    /// When set, an `appsecret_proof` sent must be right.
    pub app_secret: Option<String>,
    /// Percent each call adds to the usage headers' call_count (per hour).
    pub usage_step_pct: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            accounts: Vec::new(),
            video_processing: Duration::from_secs(2),
            quota_total: 100,
            static_root: None,
            app_id: None,
            app_secret: None,
            usage_step_pct: 1,
        }
    }
}

/// A fault to inject. Each fires once, on the first request it matches:
/// `path_contains` is matched against "METHOD /path" (so "POST /1/media"
/// picks container creation and not the media listing); `*` matches
/// anything ("POST */comments").
#[derive(Debug, Clone)]
pub enum Fault {
    /// HTTP 500 (code 2, transient) before anything happens.
    Http500BeforeEffect { path_contains: String },
    /// The request takes effect, then the connection breaks before the
    /// answer is complete.
    DropAfterEffect { path_contains: String },
    /// A rate-limit error with usage headers at `usage_pct` and
    /// `estimated_time_to_regain_access` = `regain_minutes`; the account
    /// stays blocked that long.
    RateLimit {
        path_contains: String,
        code: i64,
        usage_pct: u32,
        regain_minutes: u32,
    },
    /// The answer comes this much later.
    Latency { path_contains: String, ms: u64 },
    /// Any Meta error, before any effect.
    MetaError {
        path_contains: String,
        code: i64,
        subcode: Option<i64>,
        transient: bool,
    },
    /// The next video container ends in ERROR.
    ProcessingError,
    /// Every container made so far is expired now.
    ExpireContainers,
}

/// What the server just did (for the after-effect hook).
#[derive(Debug, Clone)]
pub enum Effect {
    ContainerCreated {
        id: String,
    },
    Published {
        media_id: String,
        container_id: String,
    },
    CommentCreated {
        id: String,
        media_id: String,
    },
    CommentsToggled {
        media_id: String,
        enabled: bool,
    },
    Deleted {
        media_id: String,
    },
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The path, with the version prefix.
    pub path: String,
    /// The raw query string ("" when none).
    pub query: String,
    /// Query and form parameters.
    pub params: BTreeMap<String, String>,
    /// Lower-cased header names.
    pub headers: BTreeMap<String, String>,
    /// The status answered (the one intended, when the answer was dropped).
    pub status: u16,
    pub dropped: bool,
}

#[derive(Debug, Clone)]
pub struct Container {
    pub id: String,
    pub user_id: String,
    pub params: BTreeMap<String, String>,
    pub status_code: String,
    pub is_video: bool,
    pub is_carousel_item: bool,
    pub created_at: f64,
    ready_at: Option<f64>,
    error: Option<String>,
    upload: Option<Upload>,
    published: bool,
}

#[derive(Debug, Clone)]
struct Upload {
    file_size: Option<u64>,
    received: u64,
}

/// A published media.
#[derive(Debug, Clone)]
pub struct Media {
    pub id: String,
    pub user_id: String,
    pub container_id: String,
    pub media_type: String,
    pub media_product_type: String,
    pub caption: Option<String>,
    pub permalink: String,
    pub shortcode: String,
    pub timestamp: String,
    pub published_at: f64,
    pub children: Vec<String>,
    pub params: BTreeMap<String, String>,
    pub comment_enabled: bool,
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: String,
    pub media_id: String,
    pub text: String,
    pub username: String,
    pub timestamp: String,
}

#[derive(Debug, Clone)]
struct Token {
    user_id: String,
    login: Login,
    scopes: Vec<String>,
    expires_at: Option<i64>,
    issued_at: i64,
}

type Hook = Arc<dyn Fn(&Effect) + Send + Sync>;

struct Inner {
    config: ServerConfig,
    tokens: HashMap<String, Token>,
    containers: Vec<Container>,
    media: Vec<Media>,
    comments: Vec<Comment>,
    requests: Vec<Recorded>,
    faults: VecDeque<Fault>,
    processing_errors: u32,
    seeded: Option<(u64, f64)>,
    offset: Duration,
    quota_extra: HashMap<String, u32>,
    throttled_until: HashMap<String, f64>,
    calls: HashMap<String, Vec<f64>>,
    next_id: u64,
}

impl Inner {
    fn now(&self) -> f64 {
        (SystemTime::now() + self.offset)
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    }

    fn id(&mut self, base: u64) -> String {
        self.next_id += 1;
        (base + self.next_id).to_string()
    }
}

pub(crate) struct Shared {
    inner: Mutex<Inner>,
    hook: Mutex<Option<Hook>>,
    base: String,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running server; clones share it. It stops with the test process.
#[derive(Clone)]
pub struct GraphServer {
    shared: Arc<Shared>,
}

impl GraphServer {
    /// Starts the server on its own thread and runtime.
    pub fn start_blocking(config: ServerConfig) -> GraphServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let tokens = config
            .accounts
            .iter()
            .map(|a| {
                (
                    a.token.clone(),
                    Token {
                        user_id: a.user_id.clone(),
                        login: a.login,
                        scopes: a.scopes.clone(),
                        expires_at: a.token_expires_at,
                        issued_at: a.token_issued_at,
                    },
                )
            })
            .collect();
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                config,
                tokens,
                containers: Vec::new(),
                media: Vec::new(),
                comments: Vec::new(),
                requests: Vec::new(),
                faults: VecDeque::new(),
                processing_errors: 0,
                seeded: None,
                offset: Duration::ZERO,
                quota_extra: HashMap::new(),
                throttled_until: HashMap::new(),
                calls: HashMap::new(),
                next_id: 0,
            }),
            hook: Mutex::new(None),
            base,
        });
        let app = Router::new()
            .fallback(handlers::handle)
            .with_state(shared.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        GraphServer { shared }
    }

    pub async fn start(config: ServerConfig) -> GraphServer {
        GraphServer::start_blocking(config)
    }

    pub fn base_url(&self) -> String {
        self.shared.base.clone()
    }

    pub fn upload_url(&self) -> String {
        self.shared.base.clone()
    }

    pub fn media_url(&self) -> String {
        format!("{}/static", self.shared.base)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// Published media in publish order (deleted ones too, flagged).
    pub fn published(&self) -> Vec<Media> {
        self.shared.lock().media.clone()
    }

    pub fn comments(&self, media_id: &str) -> Vec<Comment> {
        self.shared
            .lock()
            .comments
            .iter()
            .filter(|c| c.media_id == media_id)
            .cloned()
            .collect()
    }

    pub fn containers(&self) -> Vec<Container> {
        let inner = self.shared.lock();
        let now = inner.now();
        inner
            .containers
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.status_code = handlers::status_code(&c, now).to_string();
                c
            })
            .collect()
    }

    /// Moves the server's clock forward.
    pub fn advance(&self, by: Duration) {
        self.shared.lock().offset += by;
    }

    /// Publishes counted in the last 24 h on top of the real ones.
    pub fn set_quota_usage(&self, user_id: &str, used: u32) {
        self.shared
            .lock()
            .quota_extra
            .insert(user_id.to_string(), used);
    }

    pub fn inject(&self, fault: Fault) {
        let mut inner = self.shared.lock();
        match fault {
            Fault::ProcessingError => inner.processing_errors += 1,
            Fault::ExpireContainers => {
                for c in &mut inner.containers {
                    c.created_at -= 25.0 * 3600.0;
                }
            }
            other => inner.faults.push_back(other),
        }
    }

    /// Called right after a side effect, before the answer is sent.
    pub fn set_after_effect_hook(&self, f: impl Fn(&Effect) + Send + Sync + 'static) {
        *self.shared.hook.lock().unwrap() = Some(Arc::new(f));
    }

    /// Random faults: each API request, with probability `rate`, gets one
    /// (500 before effect, answer dropped after effect, a rate-limit burst,
    /// latency, a transient error), chosen from `seed` and the request's
    /// number, so a run is reproducible.
    pub fn set_faults_seeded(&self, seed: u64, rate: f64) {
        self.shared.lock().seeded = Some((seed, rate));
    }

    /// Another valid token for an account (e.g. a short-lived one).
    pub fn add_token(
        &self,
        user_id: &str,
        token: &str,
        expires_at: Option<i64>,
        issued_at: i64,
        scopes: Vec<String>,
    ) {
        let mut inner = self.shared.lock();
        let login = inner
            .config
            .accounts
            .iter()
            .find(|a| a.user_id == user_id)
            .map_or(Login::Facebook, |a| a.login);
        inner.tokens.insert(
            token.to_string(),
            Token {
                user_id: user_id.to_string(),
                login,
                scopes,
                expires_at,
                issued_at,
            },
        );
    }
}
