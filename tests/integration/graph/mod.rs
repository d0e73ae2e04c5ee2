//! A test Graph API server that behaves as Meta documents the Instagram
//! content publishing API (see docs/instagram.md).
//!
//! Three listeners on 127.0.0.1, each on its own port, like Meta's three
//! hosts:
//!
//! - the Graph host ([`GraphServer::base_url`], `graph.facebook.com` /
//!   `graph.instagram.com`): versioned paths `/vNN.N/...` (unversioned too,
//!   as `refresh_access_token` is documented);
//! - the resumable upload host ([`GraphServer::upload_url`],
//!   `rupload.facebook.com`): `/ig-api-upload/{version}/{container-id}`;
//! - a static file server ([`GraphServer::media_url`]) serving
//!   `ServerConfig::static_root`, from which the server itself fetches
//!   `image_url`, `video_url`, `cover_url` and `file_url` as Meta's cURL
//!   does. Only 127.0.0.1/localhost URLs can be fetched; anything else is
//!   "unreachable" (9004/2207052 or an ERROR container), never the internet.
//!
//! Strict where Meta is strict: a parameter a post type cannot carry, a
//! field a node does not have, a token in the wrong header — each is an
//! error with Meta's code, so a client bug shows up here and not in
//! production. Time is virtual: real time plus an offset moved by
//! [`GraphServer::advance`], so processing delays, the 24-hour container
//! expiry, the rolling publishing quota, rate-limit blocks and token expiry
//! can be tested without sleeping.
//!
//! Where Meta's pages are silent, these choices (change them here, in one
//! place, if Meta is found to differ):
//!
//! - republishing a PUBLISHED container, or publishing an ERROR one, gives
//!   9007/2207027 "Media ID is not available" and never a second media;
//! - the 400-containers limit answers 9/2207042;
//! - rate-limit codes 4/17/32/613 come with HTTP 403, 80001/80002 with 400;
//! - a wrong `client_secret` is code 1 with HTTP 400 (as Meta answers it);
//! - comments list newest first; reels' permalinks are `/reel/<code>/`,
//!   stories' `/stories/<username>/<id>/`;
//! - the upload host answers errors as rupload does,
//!   `{"debug_info":{"retriable","type","message"}}`, not Graph errors;
//! - `paging.next` carries `access_token` in its URL, as Meta's does;
//! - under Instagram Login the usage header is `X-App-Usage` in that
//!   login's own names (`{"call_volume","cpu_time"}`, restfb #1571) and no
//!   `X-Business-Use-Case-Usage` comes with it, so a client must read those
//!   names to pace at all; Facebook Login sends both headers;
//! - under Instagram Login `id` of `/me` (and of the account's own node) is
//!   the Instagram-scoped id, different from the professional account id in
//!   `user_id` ([`scoped_id`]).
//! - trial reels: Meta publishes no number for the trial-reel limit nor an
//!   eligibility list; both are settings here (`trial_reels_per_day`,
//!   `trial_ineligible`) and answer code 10 with subcodes 2207078 and
//!   2207081 at container creation, as clients report them.
//!
//! - seeded media (accounts with a past, [`GraphServer::seed_post`]) have
//!   `media_url`s on the static host under `/cdn/`, signed like Meta's CDN
//!   URLs (`oh`, `oe`, `_nc_*`; see `live.rs`); a listing page holds at
//!   most [`ServerConfig::max_page`] media when set.
//!
//! Test tool only, never part of the crate.

#![allow(dead_code)]

mod api;
mod checks;
mod errors;
mod features;
mod live;
mod server;
mod state;
mod statics;
mod tokens;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use live::{SeedItem, SeedKind, SeedPost, CDN_SIGNATURE};
use server::{Shared, StopGuard};

/// Which login a token comes from: decides the scopes it carries and what
/// the API allows (resumable uploads and deletes need Facebook Login).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    Instagram,
    Facebook,
}

impl Login {
    /// Every scope the server knows for this login: publishing, comments,
    /// and for Facebook Login deleting.
    pub fn all_scopes(self) -> Vec<String> {
        let s: &[&str] = match self {
            Login::Instagram => &[
                "instagram_business_basic",
                "instagram_business_content_publish",
                "instagram_business_manage_comments",
            ],
            Login::Facebook => &[
                "instagram_basic",
                "instagram_content_publish",
                "instagram_manage_comments",
                "instagram_manage_contents",
                "pages_read_engagement",
                "pages_show_list",
            ],
        };
        s.iter().map(|s| s.to_string()).collect()
    }

    /// Only what publishing needs (docs/instagram.md, "Hosts, logins, versions").
    pub fn publish_scopes(self) -> Vec<String> {
        let s: &[&str] = match self {
            Login::Instagram => &[
                "instagram_business_basic",
                "instagram_business_content_publish",
            ],
            Login::Facebook => &[
                "instagram_basic",
                "instagram_content_publish",
                "pages_read_engagement",
            ],
        };
        s.iter().map(|s| s.to_string()).collect()
    }
}

/// An Instagram professional account and its token.
#[derive(Debug, Clone)]
pub struct TestAccount {
    pub user_id: String,
    pub username: String,
    pub token: String,
    pub login: Login,
    pub scopes: Vec<String>,
    /// Unix seconds (virtual clock); `None`: never expires.
    pub token_expires_at: Option<i64>,
    /// Unix seconds; `refresh_access_token` wants a token at least 24 h old.
    pub token_issued_at: i64,
}

impl TestAccount {
    /// An account with every scope of its login and a token issued 30 days
    /// ago that never expires.
    pub fn new(login: Login, user_id: &str, username: &str, token: &str) -> TestAccount {
        TestAccount {
            user_id: user_id.into(),
            username: username.into(),
            token: token.into(),
            login,
            scopes: login.all_scopes(),
            token_expires_at: None,
            token_issued_at: unix_now() - 30 * 86_400,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub accounts: Vec<TestAccount>,
    /// How long (virtual) a video container stays IN_PROGRESS before it is
    /// FINISHED (or ERROR). Resumable uploads: counted from the last byte.
    pub video_processing: Duration,
    /// The same for images (Meta: "usually ready at once").
    pub image_processing: Duration,
    /// `content_publishing_limit` → `config.quota_total`.
    pub quota_total: u32,
    /// Containers an account may create per rolling 24 h.
    pub container_limit: u32,
    /// Served by the static host; media URLs point there.
    pub static_root: Option<PathBuf>,
    pub app_id: Option<String>,
    /// The `client_secret` the token exchanges expect. When set, a Graph
    /// call made with a user token must carry a correct `appsecret_proof`
    /// (Meta's "Require App Secret"), unless `require_appsecret_proof` is
    /// off; a proof that is sent is always checked.
    pub app_secret: Option<String>,
    /// Default true: with `app_secret` set, a call without a proof is
    /// refused (code 100).
    pub require_appsecret_proof: bool,
    /// Percent each call adds to `call_count` in the usage headers (per
    /// account, rolling hour of virtual time). 0 keeps the headers at 0.
    pub usage_step_pct: u32,
    /// When true, an account whose usage reaches 100 % is throttled (code
    /// 80002) until its calls age out of the hour. Off by default: the
    /// headers still rise, capped at 99 %.
    pub throttle_at_limit: bool,
    /// Each call made while throttled extends the block by this much.
    pub throttle_extension: Duration,
    /// Username Meta reports for comments made by others (`add_comment`).
    pub app_name: String,
    /// `debug_token` answers with numbers for `app_id` and `user_id`, as
    /// older API versions (and public SDKs' recorded answers) do.
    pub numeric_debug_ids: bool,
    /// `(retired, served)`: calls to the retired version are answered as
    /// the served one, and `facebook-api-version` says so (Meta upgrades
    /// calls made to a version past its end of life).
    pub upgrade: Option<(String, String)>,
    /// Trial reels an account may create per rolling 24 h before Meta
    /// answers 10/2207078; `None`: no limit.
    pub trial_reels_per_day: Option<u32>,
    /// Accounts (user ids) Instagram offers no trial reels: 10/2207081.
    pub trial_ineligible: Vec<String>,
    /// Check the bytes of every media URL fetched (off: any bytes do).
    pub media_check: Option<MediaCheck>,
    /// Listing pages hold at most this many media whatever `limit` asks
    /// (Meta may answer fewer than asked): a client must follow cursors.
    pub max_page: Option<usize>,
}

/// What the bytes the server fetches must be, as Meta's fetch gets the
/// file the post means or nothing: a wrong key, an expired or mis-signed
/// URL, or an LFS pointer served instead of the content fails the
/// container (9004/2207052, the message quoting the URL, as Meta's does).
#[derive(Debug, Clone, Default)]
pub struct MediaCheck {
    /// sha256 (hex) of every file the test registered (the repo's media).
    pub files: std::collections::BTreeSet<String>,
    /// Real time waited before each fetch, as Meta's queue may wait.
    pub fetch_delay: Duration,
}

impl MediaCheck {
    /// Every file of `dir` (recursively) registered.
    pub fn of_dir(dir: &std::path::Path) -> MediaCheck {
        use sha2::Digest;
        let mut files = std::collections::BTreeSet::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else if let Ok(bytes) = std::fs::read(e.path()) {
                    files.insert(postwright::hex::hex(&sha2::Sha256::digest(&bytes)));
                }
            }
        }
        MediaCheck {
            files,
            fetch_delay: Duration::ZERO,
        }
    }
}

/// One media fetch the server made (with [`ServerConfig::media_check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The URL without its query (no signature in test output either).
    pub url: String,
    /// sha256 of the bytes got; `None`: the fetch failed.
    pub sha256: Option<String>,
    /// The bytes were a registered file, and the one the key names.
    pub ok: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            accounts: Vec::new(),
            video_processing: Duration::from_secs(2),
            image_processing: Duration::ZERO,
            quota_total: 100,
            container_limit: 400,
            static_root: None,
            app_id: None,
            app_secret: None,
            require_appsecret_proof: true,
            usage_step_pct: 1,
            throttle_at_limit: false,
            throttle_extension: Duration::from_secs(30),
            app_name: "postwright-test".into(),
            numeric_debug_ids: false,
            upgrade: None,
            trial_reels_per_day: None,
            trial_ineligible: Vec::new(),
            media_check: None,
            max_page: None,
        }
    }
}

/// A fault to inject. Each fires once (see [`GraphServer::inject_times`]),
/// on the first API request (Graph or upload host) it matches.
///
/// `path_contains` is matched against the request path (with the version
/// prefix, e.g. `/v24.0/1784/media_publish`): it may start with a method
/// (`"POST /media"`), `*` matches any run of characters and a trailing `$`
/// anchors at the end of the path (`"POST */media$"` is container creation
/// and not `media_publish`). An empty pattern matches every request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// HTTP 500, Meta code 1 ("An unknown error occurred", transient),
    /// before anything happens.
    Http500BeforeEffect { path_contains: String },
    /// The request takes effect, then the connection is closed without any
    /// response.
    DropAfterEffect { path_contains: String },
    /// The connection is closed without a response and nothing happens.
    DropBeforeEffect { path_contains: String },
    /// A rate-limit error (4, 17, 32, 613, 80001, 80002) with usage headers
    /// at `usage_pct` and `estimated_time_to_regain_access` =
    /// `regain_minutes`; the account stays blocked that long (virtual time)
    /// and every call meanwhile is refused and extends the block.
    RateLimit {
        path_contains: String,
        code: i64,
        usage_pct: u32,
        regain_minutes: u32,
    },
    /// The answer comes this much later (real time).
    Latency { path_contains: String, ms: u64 },
    /// Any Meta error, before any effect.
    MetaError {
        path_contains: String,
        code: i64,
        subcode: Option<i64>,
        transient: bool,
    },
    /// A status with a non-JSON body, like an edge proxy's 502 page.
    BareStatus { path_contains: String, status: u16 },
    /// The next video container (or completed resumable upload) processes
    /// into ERROR (2207001, "Instagram server error").
    ProcessingError,
    /// The same with this subcode in the `status` text ("Error: Media
    /// upload has failed with error code 2207076").
    ProcessingFails { subcode: i64 },
    /// The call succeeds, but the usage headers report `usage_pct` and
    /// `estimated_time_to_regain_access` = `regain_minutes`: the account is
    /// at its limit after this call (a block is set for that long).
    HighUsage {
        path_contains: String,
        usage_pct: u32,
        regain_minutes: u32,
    },
    /// Every container not yet published is EXPIRED now.
    ExpireContainers,
}

/// A side effect the server just performed; the hook set with
/// [`GraphServer::set_after_effect_hook`] sees it before the response goes
/// out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    ContainerCreated {
        id: String,
        user_id: String,
    },
    /// Bytes arrived on the upload host.
    Uploaded {
        container_id: String,
        bytes_received: u64,
        complete: bool,
    },
    Published {
        media_id: String,
        container_id: String,
        user_id: String,
    },
    CommentCreated {
        id: String,
        media_id: String,
    },
    CommentEnabledSet {
        media_id: String,
        enabled: bool,
    },
    Deleted {
        media_id: String,
    },
    TokenIssued {
        user_id: String,
        token: String,
    },
}

/// Which of the three listeners a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    Graph,
    Upload,
    Media,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Arrival number (Graph and upload hosts share the count).
    pub seq: u64,
    pub host: Host,
    /// The HTTP method sent.
    pub method: String,
    /// The method acted on (`method=GET` in a POST body overrides, as Meta
    /// allows).
    pub effective_method: String,
    /// The path, with the version prefix.
    pub path: String,
    /// `v24.0` when the path had one.
    pub version: Option<String>,
    /// The raw query string ("" when none).
    pub query: String,
    /// Query and body parameters (form-encoded or JSON), decoded.
    pub params: BTreeMap<String, String>,
    /// Header names lower-cased.
    pub headers: BTreeMap<String, String>,
    pub body_len: usize,
    /// The token travelled in the query string or a form/JSON body
    /// (`access_token`), which postwright must never do.
    pub token_in_params: bool,
    /// The account the token acts for, when known.
    pub user_id: Option<String>,
    /// The status answered (intended, when the connection was dropped).
    pub status: u16,
    /// Meta error code answered, if any.
    pub error_code: Option<i64>,
    /// The connection was closed without a response.
    pub dropped: bool,
    /// The injected or seeded fault that hit this request.
    pub fault: Option<String>,
    /// Virtual unix time of arrival.
    pub at: i64,
    /// Real milliseconds since the server started, at arrival: for pauses
    /// the client makes between calls.
    pub at_ms: u64,
}

/// A container as it stands now.
#[derive(Debug, Clone)]
pub struct Container {
    pub id: String,
    pub user_id: String,
    /// The parameters it was created with (without token, proof, method).
    pub params: BTreeMap<String, String>,
    /// IN_PROGRESS, FINISHED, ERROR, EXPIRED or PUBLISHED.
    pub status_code: String,
    pub status: String,
    /// "IMAGE", "CAROUSEL_ITEM_IMAGE", "CAROUSEL_ITEM_VIDEO", "CAROUSEL",
    /// "REELS", "STORY_IMAGE", "STORY_VIDEO".
    pub kind: String,
    pub created_at: i64,
    /// Resumable: bytes the upload host holds, and the declared size.
    pub uploaded: Option<(u64, Option<u64>)>,
    pub media_id: Option<String>,
}

/// A published media.
#[derive(Debug, Clone)]
pub struct Media {
    pub id: String,
    pub user_id: String,
    pub container_id: String,
    /// IMAGE, VIDEO or CAROUSEL_ALBUM.
    pub media_type: String,
    /// FEED, REELS or STORY.
    pub media_product_type: String,
    pub caption: Option<String>,
    pub permalink: String,
    pub shortcode: String,
    /// ISO 8601 as Meta writes it: `2026-12-01T08:00:00+0000`.
    pub timestamp: String,
    pub published_at: i64,
    /// Carousel: the child media ids, in order.
    pub children: Vec<String>,
    /// Carousel: the child container ids, in order.
    pub children_containers: Vec<String>,
    /// The container's parameters.
    pub params: BTreeMap<String, String>,
    pub comment_enabled: bool,
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: String,
    pub media_id: String,
    /// The `message` sent.
    pub text: String,
    pub user_id: String,
    pub username: String,
    pub timestamp: String,
}

/// A token the server accepts.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub token: String,
    pub user_id: String,
    pub login: Login,
    pub scopes: Vec<String>,
    pub expires_at: Option<i64>,
    pub issued_at: i64,
}

/// A running server; clones share it. It stops when the last clone is
/// dropped.
#[derive(Clone)]
pub struct GraphServer {
    shared: Arc<Shared>,
    _stop: Arc<StopGuard>,
}

impl GraphServer {
    /// Starts the server on the calling test's tokio runtime. Use
    /// [`GraphServer::start_blocking`] when the test blocks its thread
    /// (runs the binary, sleeps).
    pub async fn start(cfg: ServerConfig) -> GraphServer {
        let (shared, stop) = server::start_on_current(cfg);
        GraphServer {
            shared,
            _stop: Arc::new(stop),
        }
    }

    /// Starts the server on its own thread with its own runtime.
    pub fn start_blocking(cfg: ServerConfig) -> GraphServer {
        let (shared, stop) = server::start_on_thread(cfg);
        GraphServer {
            shared,
            _stop: Arc::new(stop),
        }
    }

    /// `http://127.0.0.1:PORT`, for `[api] base_url`.
    pub fn base_url(&self) -> String {
        self.shared.graph_url.clone()
    }

    /// `http://127.0.0.1:PORT`, for `[api] upload_url`.
    pub fn upload_url(&self) -> String {
        self.shared.upload_url.clone()
    }

    /// `http://127.0.0.1:PORT`: the static root, for `[media] base_url`.
    pub fn media_url(&self) -> String {
        self.shared.media_url.clone()
    }

    /// Every request to the Graph and upload hosts, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// The media fetches checked (see [`ServerConfig::media_check`]).
    pub fn fetches(&self) -> Vec<Fetched> {
        self.shared.lock().fetches.clone()
    }

    /// Every request to the static host (the server's own fetches included).
    pub fn media_requests(&self) -> Vec<Recorded> {
        self.shared.lock().media_requests.clone()
    }

    /// Published media in publish order (deleted ones too, flagged).
    pub fn published(&self) -> Vec<Media> {
        self.shared.lock().media_snapshot()
    }

    /// Comments on a media, oldest first.
    pub fn comments(&self, media_id: &str) -> Vec<Comment> {
        self.shared
            .lock()
            .comments
            .iter()
            .filter(|c| c.media_id == media_id)
            .cloned()
            .collect()
    }

    /// Containers in creation order, with their status now.
    pub fn containers(&self) -> Vec<Container> {
        self.shared.lock().container_snapshot()
    }

    /// Moves the virtual clock forward.
    pub fn advance(&self, d: Duration) {
        self.shared.lock().offset += d;
    }

    /// The virtual clock, unix seconds.
    pub fn now(&self) -> i64 {
        self.shared.lock().now() as i64
    }

    /// Publishes counted in the rolling 24 h on top of the real ones.
    pub fn set_quota_usage(&self, user_id: &str, used: u32) {
        self.shared
            .lock()
            .quota_extra
            .insert(user_id.to_string(), used);
    }

    /// Queues a fault that fires once.
    pub fn inject(&self, fault: Fault) {
        self.inject_times(fault, 1);
    }

    /// Queues a fault that fires on the next `times` matching requests.
    pub fn inject_times(&self, fault: Fault, times: u32) {
        self.shared.lock().inject(fault, times);
    }

    /// Called synchronously right after the server performed a side effect
    /// and before the response is sent (or the connection dropped).
    pub fn set_after_effect_hook(&self, f: impl Fn(&Effect) + Send + Sync + 'static) {
        *self.shared.hook.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(f));
    }

    pub fn clear_after_effect_hook(&self) {
        *self.shared.hook.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Random faults: each API request, with probability `rate`, meets one
    /// of: HTTP 500 before effect, connection dropped after effect, a
    /// rate-limit burst (code 4 or 80002, usage ≥ 100 %, no lasting block),
    /// latency 0–300 ms, transient code 2. Chosen from `seed` and the
    /// request's arrival number only, so a run is reproducible.
    pub fn set_faults_seeded(&self, seed: u64, rate: f64) {
        self.shared.lock().seeded = Some((seed, rate));
    }

    pub fn clear_faults(&self) {
        let mut st = self.shared.lock();
        st.seeded = None;
        st.faults.clear();
        st.processing_errors.clear();
    }

    /// Another valid token for an account (a short-lived one, a narrower
    /// one).
    pub fn add_token(
        &self,
        account_user_id: &str,
        token: &str,
        expires_at: Option<i64>,
        issued_at: i64,
        scopes: Vec<String>,
    ) {
        self.shared
            .lock()
            .add_token(account_user_id, token, expires_at, issued_at, scopes);
    }

    /// The token is no longer valid (190/467 from now on).
    pub fn revoke_token(&self, token: &str) {
        self.shared.lock().tokens.remove(token);
    }

    /// A handle for hooks, which must not keep the server alive.
    pub fn handle(&self) -> Handle {
        Handle(Arc::downgrade(&self.shared))
    }

    pub fn token_info(&self, token: &str) -> Option<TokenInfo> {
        self.shared.lock().tokens.get(token).cloned()
    }

    /// Every valid token of an account (issued ones included).
    pub fn tokens_of(&self, user_id: &str) -> Vec<TokenInfo> {
        let st = self.shared.lock();
        let mut v: Vec<TokenInfo> = st
            .tokens
            .values()
            .filter(|t| t.user_id == user_id)
            .cloned()
            .collect();
        v.sort_by_key(|t| t.issued_at);
        v
    }

    /// A comment by someone else (e.g. to push a first comment off the
    /// first page). Returns its id.
    pub fn add_comment(&self, media_id: &str, username: &str, text: &str) -> String {
        self.shared
            .lock()
            .add_comment(media_id, "0", username, text)
    }

    /// Throttled accounts: until when (virtual unix time).
    pub fn throttled_until(&self, user_id: &str) -> Option<i64> {
        let st = self.shared.lock();
        let now = st.now();
        st.throttled
            .get(user_id)
            .filter(|t| t.until > now)
            .map(|t| t.until as i64)
    }
}

/// hex(HMAC-SHA256(key = app secret, message)), for `appsecret_proof`.
pub fn appsecret_proof(app_secret: &str, message: &str) -> String {
    tokens::hmac_hex(app_secret, message)
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The Instagram-scoped id Instagram Login reports as `id` for an account
/// (a different number from the professional account id, as Meta's
/// Instagram Login answers have).
pub fn scoped_id(user_id: &str) -> String {
    let tail: String = user_id
        .chars()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("2600{tail}")
}

/// What a hook may do to the server it runs in (a weak reference: the hook
/// lives in the server).
#[derive(Clone)]
pub struct Handle(std::sync::Weak<Shared>);

impl Handle {
    pub fn revoke_token(&self, token: &str) {
        if let Some(shared) = self.0.upgrade() {
            shared.lock().tokens.remove(token);
        }
    }

    /// See [`GraphServer::add_comment`].
    pub fn add_comment(&self, media_id: &str, username: &str, text: &str) {
        if let Some(shared) = self.0.upgrade() {
            shared.lock().add_comment(media_id, "0", username, text);
        }
    }
}
