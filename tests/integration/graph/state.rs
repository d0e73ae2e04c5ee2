//! The server's state: tokens, containers, media, comments, the virtual
//! clock, faults, usage. Plain data behind one mutex; no I/O here.

use super::{Comment, Container, Fault, Login, Media, Recorded, ServerConfig, TokenInfo};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(super) const DAY: f64 = 86_400.0;

/// What a container is, by its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Image,
    ItemImage,
    ItemVideo,
    Carousel,
    Reel,
    StoryImage,
    StoryVideo,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Image => "IMAGE",
            Kind::ItemImage => "CAROUSEL_ITEM_IMAGE",
            Kind::ItemVideo => "CAROUSEL_ITEM_VIDEO",
            Kind::Carousel => "CAROUSEL",
            Kind::Reel => "REELS",
            Kind::StoryImage => "STORY_IMAGE",
            Kind::StoryVideo => "STORY_VIDEO",
        }
    }

    pub(super) fn is_video(self) -> bool {
        matches!(self, Kind::ItemVideo | Kind::Reel | Kind::StoryVideo)
    }

    pub(super) fn is_item(self) -> bool {
        matches!(self, Kind::ItemImage | Kind::ItemVideo)
    }
}

#[derive(Debug, Clone)]
pub(super) struct Upload {
    pub file_size: Option<u64>,
    pub received: u64,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub(super) struct CState {
    pub id: String,
    pub user_id: String,
    pub params: std::collections::BTreeMap<String, String>,
    pub kind: Kind,
    pub created_at: f64,
    /// When processing ends; `None` while a resumable upload is incomplete.
    pub ready_at: Option<f64>,
    /// The ERROR status text processing ends in.
    pub error: Option<String>,
    pub upload: Option<Upload>,
    pub forced_expired: bool,
    pub published_media: Option<String>,
    /// The version of the path it was created on (for the upload `uri`).
    pub version: String,
}

impl CState {
    /// (status_code, status) at `now`.
    pub(super) fn status(&self, now: f64) -> (&'static str, String) {
        if self.published_media.is_some() {
            return (
                "PUBLISHED",
                "Published: Media has been successfully published.".into(),
            );
        }
        if self.forced_expired || now - self.created_at >= DAY {
            return (
                "EXPIRED",
                "Expired: Media has not been published within 24 hours.".into(),
            );
        }
        match self.ready_at {
            Some(at) if now >= at => match &self.error {
                Some(e) => ("ERROR", e.clone()),
                None => (
                    "FINISHED",
                    "Finished: Media has been uploaded and it is ready to be published.".into(),
                ),
            },
            _ => (
                "IN_PROGRESS",
                "In Progress: Media is still being processed.".into(),
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Throttle {
    pub until: f64,
    pub code: i64,
    pub usage_pct: u32,
}

#[derive(Debug, Clone)]
pub(super) struct Armed {
    pub fault: Fault,
    pub remaining: u32,
}

pub(crate) struct State {
    pub cfg: ServerConfig,
    pub offset: Duration,
    pub tokens: HashMap<String, TokenInfo>,
    pub containers: Vec<CState>,
    pub media: Vec<Media>,
    /// Carousel children: media that are not listed but can be read.
    pub child_media: Vec<Media>,
    pub comments: Vec<Comment>,
    pub requests: Vec<Recorded>,
    pub media_requests: Vec<Recorded>,
    pub fetches: Vec<super::Fetched>,
    pub faults: VecDeque<Armed>,
    /// Subcodes the next video containers process into (ERROR).
    /// Real time the server started (for `Recorded::at_ms`).
    pub started: std::time::Instant,
    pub processing_errors: std::collections::VecDeque<i64>,
    pub seeded: Option<(u64, f64)>,
    pub quota_extra: HashMap<String, u32>,
    pub throttled: HashMap<String, Throttle>,
    /// Per account: virtual times of calls (rolling hour).
    pub calls: HashMap<String, Vec<f64>>,
    /// All calls (for X-App-Usage).
    pub app_calls: Vec<f64>,
    pub seq: u64,
    pub next_id: u64,
    /// Bytes of seeded media, by media id, served under `/cdn/`.
    pub cdn: std::collections::BTreeMap<String, super::live::CdnItem>,
    /// Media deleted once a listing page holding them was answered.
    pub vanish: std::collections::BTreeSet<String>,
    /// The static host's URL, for the CDN URLs of seeded media.
    pub cdn_base: String,
    /// A token revoked once this many listing pages were answered.
    pub revoke_after: Option<(String, usize)>,
    pub pages_listed: usize,
}

impl State {
    pub(super) fn new(cfg: ServerConfig) -> State {
        let tokens = cfg
            .accounts
            .iter()
            .map(|a| {
                (
                    a.token.clone(),
                    TokenInfo {
                        token: a.token.clone(),
                        user_id: a.user_id.clone(),
                        login: a.login,
                        scopes: a.scopes.clone(),
                        expires_at: a.token_expires_at,
                        issued_at: a.token_issued_at,
                    },
                )
            })
            .collect();
        State {
            cfg,
            offset: Duration::ZERO,
            tokens,
            containers: Vec::new(),
            media: Vec::new(),
            child_media: Vec::new(),
            comments: Vec::new(),
            requests: Vec::new(),
            media_requests: Vec::new(),
            fetches: Vec::new(),
            faults: VecDeque::new(),
            processing_errors: std::collections::VecDeque::new(),
            seeded: None,
            quota_extra: HashMap::new(),
            throttled: HashMap::new(),
            calls: HashMap::new(),
            app_calls: Vec::new(),
            seq: 0,
            next_id: 0,
            cdn: std::collections::BTreeMap::new(),
            vanish: std::collections::BTreeSet::new(),
            cdn_base: String::new(),
            revoke_after: None,
            pages_listed: 0,
            started: std::time::Instant::now(),
        }
    }

    /// Virtual unix time, seconds.
    pub(super) fn now(&self) -> f64 {
        (SystemTime::now() + self.offset)
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    }

    /// A fresh id: `prefix` then 13 digits (Meta ids are 17-digit numbers).
    pub(super) fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:013}", 4_100_000_000 + self.next_id * 7919)
    }

    pub(super) fn username(&self, user_id: &str) -> String {
        self.cfg
            .accounts
            .iter()
            .find(|a| a.user_id == user_id)
            .map_or_else(|| format!("user{user_id}"), |a| a.username.clone())
    }

    pub(super) fn login_of(&self, user_id: &str) -> Login {
        self.cfg
            .accounts
            .iter()
            .find(|a| a.user_id == user_id)
            .map_or(Login::Facebook, |a| a.login)
    }

    pub(super) fn inject(&mut self, fault: Fault, times: u32) {
        match fault {
            Fault::ProcessingError => self
                .processing_errors
                .extend(std::iter::repeat_n(2207001, times as usize)),
            Fault::ProcessingFails { subcode } => self
                .processing_errors
                .extend(std::iter::repeat_n(subcode, times as usize)),
            Fault::ExpireContainers => {
                for c in &mut self.containers {
                    if c.published_media.is_none() {
                        c.forced_expired = true;
                    }
                }
            }
            other => self.faults.push_back(Armed {
                fault: other,
                remaining: times.max(1),
            }),
        }
    }

    pub(super) fn add_token(
        &mut self,
        user_id: &str,
        token: &str,
        expires_at: Option<i64>,
        issued_at: i64,
        scopes: Vec<String>,
    ) {
        let login = self.login_of(user_id);
        self.tokens.insert(
            token.to_string(),
            TokenInfo {
                token: token.to_string(),
                user_id: user_id.to_string(),
                login,
                scopes,
                expires_at,
                issued_at,
            },
        );
    }

    pub(super) fn add_comment(
        &mut self,
        media_id: &str,
        user_id: &str,
        username: &str,
        text: &str,
    ) -> String {
        let id = self.id("1785");
        let ts = meta_time(self.now());
        self.comments.push(Comment {
            id: id.clone(),
            media_id: media_id.to_string(),
            text: text.to_string(),
            user_id: user_id.to_string(),
            username: username.to_string(),
            timestamp: ts,
        });
        id
    }

    /// Publishes in the rolling 24 h, plus what the test set.
    pub(super) fn quota_used(&self, user_id: &str) -> u32 {
        let now = self.now();
        let real = self
            .media
            .iter()
            .filter(|m| m.user_id == user_id && now - (m.published_at as f64) < DAY)
            .count() as u32;
        real + self.quota_extra.get(user_id).copied().unwrap_or(0)
    }

    pub(super) fn container_snapshot(&self) -> Vec<Container> {
        let now = self.now();
        self.containers
            .iter()
            .map(|c| {
                let (code, status) = c.status(now);
                Container {
                    id: c.id.clone(),
                    user_id: c.user_id.clone(),
                    params: c.params.clone(),
                    status_code: code.to_string(),
                    status,
                    kind: c.kind.name().to_string(),
                    created_at: c.created_at as i64,
                    uploaded: c.upload.as_ref().map(|u| (u.received, u.file_size)),
                    media_id: c.published_media.clone(),
                }
            })
            .collect()
    }

    pub(super) fn media_snapshot(&self) -> Vec<Media> {
        self.media.clone()
    }

    /// A top-level or child media by id.
    pub(super) fn find_media(&self, id: &str) -> Option<&Media> {
        self.media
            .iter()
            .chain(self.child_media.iter())
            .find(|m| m.id == id)
    }
}

/// `2026-12-01T08:00:00+0000`, as Meta writes timestamps.
pub(super) fn meta_time(secs: f64) -> String {
    jiff::Timestamp::from_second(secs as i64)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%z").to_string())
        .unwrap_or_default()
}

/// Instagram's shortcode alphabet (URL-safe base64) over the id's number.
pub(super) fn shortcode(id: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut n: u64 = id.parse().unwrap_or(0);
    let mut out = Vec::new();
    while n > 0 {
        out.push(A[(n % 64) as usize]);
        n /= 64;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Opaque cursors, as Meta's look (`QVFIU...`): hex of a marker and the id.
pub(super) fn cursor(id: &str) -> String {
    let raw = format!("cur:{id}");
    let mut s = String::from("QVFI");
    for b in raw.bytes() {
        s.push_str(&format!("{b:02X}"));
    }
    s
}

pub(super) fn uncursor(c: &str) -> Option<String> {
    let hex = c.strip_prefix("QVFI")?;
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?)
        .ok()?
        .strip_prefix("cur:")
        .map(str::to_string)
}

/// splitmix64: the seeded faults' generator.
pub(super) fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub(super) fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}
