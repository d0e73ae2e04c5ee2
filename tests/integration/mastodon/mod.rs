//! A test Mastodon server, answering the calls postwright makes as Mastodon
//! 4.x does (docs.joinmastodon.org: methods/statuses.md, media.md,
//! instance.md, scheduled_statuses.md, api/rate-limits.md; the behaviour of
//! app/services/post_status_service.rb and app/controllers/api_controller.rb
//! where the pages are silent):
//!
//! - bearer tokens with scopes (`write` covers `write:media`); none or an
//!   unknown one 401 `{"error":"The access token is invalid"}`, a missing
//!   scope 403 `{"error":"This action is outside the authorized scopes"}`;
//! - `GET /api/v2/instance` from [`MastodonConfig`];
//!   `GET /api/v1/accounts/verify_credentials`;
//!   `GET /api/v1/apps/verify_credentials` (the scopes, as 4.3+);
//! - `POST /api/v2/media` (multipart `file`, `description`, `focus`): images
//!   200, video/gifv/audio 202 with `url: null` while they process on the
//!   virtual clock; `GET /api/v1/media/:id` 206 then 200;
//! - `POST /api/v1/statuses` (form or JSON) validated in Mastodon's order:
//!   idempotency first (the same `Idempotency-Key` within one hour returns
//!   the same status, or the same scheduled status: mastodon#30084 fixed
//!   #30039 in 4.3; with `idempotent_replay_500`, the 500 of #40399),
//!   then media (count, poll with media, not found, video mixed, not
//!   processed), then `scheduled_at` (more than 5 min ahead makes a
//!   ScheduledStatus; less is dropped and the status posted at once, as
//!   PostStatusService does, not refused), then the text counted as Mastodon does (URLs as
//!   `characters_reserved_per_url`, `@user@domain` as `@user`, the content
//!   warning included);
//! - scheduled statuses (300 pending, 25 on one UTC day) listed, moved
//!   (PUT too soon: 422), cancelled, and published when the virtual clock
//!   passes their time;
//! - `GET /api/v1/accounts/:id/statuses` newest first with `max_id`/`limit`
//!   (at most 40, as `limit_param`); `GET`/`DELETE /api/v1/statuses/:id`;
//! - a `Date` header from the virtual clock, and
//!   `X-RateLimit-Limit/Remaining/Reset` on every answer (the reset at the
//!   end of the epoch-aligned period, ISO 8601 with microseconds, as
//!   Rack::Attack's buckets), 429 `{"error":"Too many requests"}` past 300
//!   calls per 5 min, 30 media uploads or 30 deletions per 30 min;
//! - polls validated as PollValidator does (2–4 options of at most 50
//!   characters, no duplicates, 5 minutes to a month); a reply to a status
//!   that does not exist 404.
//!
//! Faults are armed for the Nth matching call ([`MastodonServer::arm`]);
//! every request is recorded with its headers and raw body ([`Call`]).
//!
//! Test tool only, never part of the crate.

#![allow(dead_code)]

mod api;
pub mod client;
mod handlers;
mod params;
mod statuses;
mod text;

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The account, its tokens, and the instance's configuration.
#[derive(Debug, Clone)]
pub struct MastodonConfig {
    pub account_id: String,
    pub username: String,
    pub domain: String,
    /// Token → its space-separated scopes.
    pub tokens: BTreeMap<String, String>,
    pub max_characters: usize,
    pub max_media_attachments: usize,
    pub characters_reserved_per_url: usize,
    pub supported_mime_types: Vec<String>,
    pub image_size_limit: usize,
    pub video_size_limit: usize,
    pub description_limit: usize,
    /// How long video, gifv and audio process after upload.
    pub processing: Duration,
    /// Images process in the background too (large ones do on real
    /// instances): 202 and `processing` like video.
    pub async_images: bool,
    /// Calls per `api_period` per token (300 per 5 min).
    pub api_limit: u32,
    pub api_period: Duration,
    /// Media uploads per `media_period` (30 per 30 min); status deletions
    /// have the same limit, counted apart.
    pub media_limit: u32,
    pub media_period: Duration,
    pub scheduled_total_limit: usize,
    pub scheduled_daily_limit: usize,
    /// Mastodon with mastodon#40399: a replayed `Idempotency-Key` is
    /// recognised (no second status) but answers 500.
    pub idempotent_replay_500: bool,
    /// `GET /api/v1/apps/verify_credentials` says the application's
    /// `scopes` (Mastodon 4.3 and later); false: an older server's answer
    /// without them.
    pub app_scopes: bool,
}

/// The token the default configuration knows, with `read write`.
pub const TOKEN: &str = "masto-token-rw";
/// A token with `read write:statuses` only (no `write:media`).
pub const TOKEN_NO_MEDIA: &str = "masto-token-statuses";

impl Default for MastodonConfig {
    fn default() -> Self {
        let tokens = [
            (TOKEN, "read write"),
            (TOKEN_NO_MEDIA, "read write:statuses"),
        ];
        MastodonConfig {
            account_id: "109348208460046431".into(),
            username: "kiln".into(),
            domain: "mastodon.example".into(),
            tokens: tokens
                .iter()
                .map(|(t, s)| (t.to_string(), s.to_string()))
                .collect(),
            max_characters: 500,
            max_media_attachments: 4,
            characters_reserved_per_url: 23,
            supported_mime_types: [
                "image/jpeg",
                "image/png",
                "image/gif",
                "image/heic",
                "image/heif",
                "image/webp",
                "image/avif",
                "video/webm",
                "video/mp4",
                "video/quicktime",
                "video/ogg",
                "audio/wave",
                "audio/wav",
                "audio/x-wav",
                "audio/x-pn-wave",
                "audio/vnd.wave",
                "audio/ogg",
                "audio/vorbis",
                "audio/mpeg",
                "audio/mp3",
                "audio/webm",
                "audio/flac",
                "audio/aac",
                "audio/m4a",
                "audio/x-m4a",
                "audio/mp4",
                "audio/3gpp",
                "video/x-ms-asf",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            image_size_limit: 16 * 1024 * 1024,
            video_size_limit: 99 * 1024 * 1024,
            description_limit: 1_500,
            processing: Duration::from_secs(30),
            async_images: false,
            api_limit: 300,
            api_period: Duration::from_secs(300),
            media_limit: 30,
            media_period: Duration::from_secs(1_800),
            scheduled_total_limit: 300,
            scheduled_daily_limit: 25,
            idempotent_replay_500: false,
            app_scopes: true,
        }
    }
}

/// What an armed fault does to the call it fires on.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 `Too many requests` now, before anything happens.
    RateLimited,
    /// The call takes effect, then the connection closes with no answer.
    LostAnswer,
    /// The call takes effect, then 500.
    LostAnswer500,
    /// 500 before anything happens.
    Http500,
    /// 502 with an HTML body (a proxy in front), before anything happens.
    BadGateway,
}

/// A fault waiting for its call.
#[derive(Debug, Clone)]
pub struct Armed {
    /// `"POST /api/v1/statuses"`-style prefix of method and path; "" matches
    /// every call.
    pub route: String,
    pub skip: u32,
    pub times: u32,
    pub fault: Fault,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Lower-case names; `authorization` included (test tokens only).
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub status: u16,
    pub fault: Option<Fault>,
}

impl Call {
    pub fn idempotency_key(&self) -> Option<&str> {
        self.headers.get("idempotency-key").map(String::as_str)
    }

    /// `"POST /api/v1/statuses"`.
    pub fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// An uploaded file.
#[derive(Debug, Clone)]
pub struct Media {
    pub id: String,
    /// `image`, `gifv`, `video` or `audio`.
    pub kind: String,
    pub mime: String,
    pub bytes: Vec<u8>,
    pub description: Option<String>,
    pub focus: Option<(f64, f64)>,
    /// Virtual time (ms) it is processed at.
    pub ready_at: i64,
    pub status_id: Option<String>,
    pub scheduled_id: Option<String>,
}

/// A published status.
#[derive(Debug, Clone)]
pub struct Status {
    pub id: String,
    pub created_at: i64,
    pub text: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: String,
    pub language: Option<String>,
    pub media_ids: Vec<String>,
    pub poll: Option<Value>,
    pub in_reply_to_id: Option<String>,
    /// Made from this scheduled status.
    pub from_scheduled: Option<String>,
    pub deleted: bool,
}

/// A status made in the app, for [`MastodonServer::post_in_app_with`].
#[derive(Debug, Clone, Default)]
pub struct SeedStatus {
    pub text: String,
    /// `(mime, bytes, description)` of each attachment.
    pub media: Vec<(String, Vec<u8>, Option<String>)>,
    pub age: Duration,
    pub in_reply_to_id: Option<String>,
    /// `public` when empty.
    pub visibility: String,
}

/// A status waiting for its time.
#[derive(Debug, Clone)]
pub struct Scheduled {
    pub id: String,
    /// Virtual time, ms.
    pub scheduled_at: i64,
    /// The `params` Mastodon shows (`text`, `media_ids`, …).
    pub params: Value,
    pub media_ids: Vec<String>,
}

pub(crate) struct State {
    pub cfg: MastodonConfig,
    /// `http://127.0.0.1:PORT`: media files are served from here.
    pub base_url: String,
    /// Virtual clock offset from real time.
    pub offset: Duration,
    pub media: Vec<Media>,
    pub statuses: Vec<Status>,
    pub scheduled: Vec<Scheduled>,
    /// Idempotency key → (status id, expiry ms).
    pub idempotency: BTreeMap<String, (String, i64)>,
    pub calls: Vec<Call>,
    pub armed: Vec<Armed>,
    /// (token, bucket) → calls counted in that period.
    pub api_counts: BTreeMap<(String, i64), u32>,
    pub media_counts: BTreeMap<(String, i64), u32>,
    pub next_id: u64,
    pub last_snowflake: u64,
}

impl State {
    /// Virtual time in milliseconds.
    pub fn now_ms(&self) -> i64 {
        unix_now_ms() + self.offset.as_millis() as i64
    }

    pub fn next_id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    /// A status id ordered by creation time, as Mastodon's snowflakes.
    pub fn snowflake(&mut self) -> String {
        let id = ((self.now_ms() as u64) << 16).max(self.last_snowflake + 1);
        self.last_snowflake = id;
        id.to_string()
    }
}

/// Called with `"METHOD /path"` after a call that changed something (a
/// write answered 2xx, or one whose answer a fault loses) and before its
/// answer leaves: where a crash test kills the client.
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
pub struct MastodonServer {
    shared: Arc<Shared>,
    url: String,
    _stop: Arc<tokio::sync::oneshot::Sender<()>>,
}

impl MastodonServer {
    /// Starts on the calling test's tokio runtime.
    pub async fn start(cfg: MastodonConfig) -> MastodonServer {
        let (server, listener, rx) = Self::bind(cfg);
        tokio::spawn(handlers::serve(server.shared.clone(), listener, rx));
        server
    }

    /// Starts on a thread of its own (for tests that block, run the binary).
    pub fn start_blocking(cfg: MastodonConfig) -> MastodonServer {
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
        cfg: MastodonConfig,
    ) -> (
        MastodonServer,
        std::net::TcpListener,
        tokio::sync::oneshot::Receiver<()>,
    ) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = State {
            cfg,
            base_url: url.clone(),
            offset: Duration::ZERO,
            media: Vec::new(),
            statuses: Vec::new(),
            scheduled: Vec::new(),
            idempotency: BTreeMap::new(),
            calls: Vec::new(),
            armed: Vec::new(),
            api_counts: BTreeMap::new(),
            media_counts: BTreeMap::new(),
            next_id: 1_000,
            last_snowflake: 0,
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server = MastodonServer {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                hook: Mutex::new(None),
            }),
            url,
            _stop: Arc::new(tx),
        };
        (server, listener, rx)
    }

    /// `http://127.0.0.1:PORT`, the instance URL.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn account_id(&self) -> String {
        self.shared.lock().cfg.account_id.clone()
    }

    /// See [`EffectHook`].
    pub fn set_after_effect_hook(&self, f: impl Fn(&str) + Send + Sync + 'static) {
        *self.shared.hook.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(f));
    }

    /// Arms `fault` for the call after `skip` matching ones, `times` in a
    /// row. `route` is a prefix of `"METHOD /path"`.
    pub fn arm(&self, route: &str, skip: u32, times: u32, fault: Fault) {
        self.shared.lock().armed.push(Armed {
            route: route.to_string(),
            skip,
            times,
            fault,
        });
    }

    pub fn disarm(&self) {
        self.shared.lock().armed.clear();
    }

    /// Every request, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// The requests whose `"METHOD /path"` starts with `route`.
    pub fn calls_to(&self, route: &str) -> Vec<Call> {
        let calls = self.calls();
        calls
            .into_iter()
            .filter(|c| c.route().starts_with(route))
            .collect()
    }

    /// Published statuses in creation order, deleted ones flagged.
    pub fn statuses(&self) -> Vec<Status> {
        self.shared.lock().statuses.clone()
    }

    /// Statuses not deleted.
    pub fn live_statuses(&self) -> Vec<Status> {
        self.statuses().into_iter().filter(|s| !s.deleted).collect()
    }

    pub fn scheduled(&self) -> Vec<Scheduled> {
        self.shared.lock().scheduled.clone()
    }

    /// A status posted by a person in the app: its id.
    pub fn post_in_app(&self, text: &str) -> String {
        statuses::post_in_app(&mut self.shared.lock(), text)
    }

    /// A status made by a person in the app `age` ago, with media
    /// (already processed): its id. Seed the oldest first, so that ids
    /// grow with time as Mastodon's snowflakes do.
    pub fn post_in_app_with(&self, seed: SeedStatus) -> String {
        statuses::seed(&mut self.shared.lock(), seed)
    }

    /// A status deleted, or its text edited, by a person in the app.
    pub fn change_in_app(&self, id: &str, text: Option<&str>) {
        let mut st = self.shared.lock();
        if let Some(s) = st.statuses.iter_mut().find(|s| s.id == id) {
            match text {
                Some(t) => s.text = t.to_string(),
                None => s.deleted = true,
            }
        }
    }

    /// A scheduled status cancelled by a person in the app.
    pub fn cancel_in_app(&self, id: &str) {
        self.shared.lock().scheduled.retain(|s| s.id != id);
    }

    pub fn media(&self) -> Vec<Media> {
        self.shared.lock().media.clone()
    }

    /// Moves the virtual clock forward: media finish processing, scheduled
    /// statuses whose time has come are published, idempotency keys and
    /// rate-limit periods expire.
    pub fn advance(&self, d: Duration) {
        let mut st = self.shared.lock();
        st.offset += d;
        statuses::publish_due(&mut st);
    }

    /// The virtual time, ms since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.shared.lock().now_ms()
    }

    /// Changes the configuration of a running server.
    pub fn configure(&self, f: impl FnOnce(&mut MastodonConfig)) {
        f(&mut self.shared.lock().cfg);
    }
}

pub(crate) fn unix_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `2026-12-07T11:20:00.000Z`, as Mastodon's JSON dates.
pub(crate) fn iso_ms(ms: i64) -> String {
    let ts = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!("{}", ts.strftime("%Y-%m-%dT%H:%M:%S.%3fZ"))
}

/// The environment variable the test repos' Mastodon account reads its
/// token from.
pub const VAR: &str = "MASTO_TOKEN_TEST";

/// A content repo with the publish media and one Mastodon account `masto`
/// on `instance` (`extra`: more keys of the account).
pub fn repo(instance: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    crate::common::copy_dir(
        &crate::common::fixtures().join("publish/media"),
        &root.join("media"),
    );
    fs::create_dir_all(root.join("posts")).unwrap();
    fs::write(
        root.join("postwright.toml"),
        format!(
            "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[api]\nretry_base_ms = 10\n\n[accounts.masto]\nplatform = \"mastodon\"\ninstance = \"{instance}\"\ntoken_env = \"{VAR}\"\n{extra}"
        ),
    )
    .unwrap();
    dir
}
