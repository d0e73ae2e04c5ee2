//! The HTTP both JSON-over-HTTPS platforms share (Bluesky's XRPC on a PDS,
//! Mastodon's REST API on an instance): the base URL checked, one client
//! with its timeouts, one request sent with the token in the
//! `Authorization` header (never in the URL), a lost answer told apart by
//! why, the rate-limit headers, and the answer's body read as JSON or as
//! an error's fields. What a failure *means* (error names, classes,
//! advice) stays with each platform (`bluesky/error.rs`,
//! `mastodon/error.rs`). Facts and links: docs/bluesky.md,
//! docs/mastodon.md ("Errors", "Rate limits").

use jiff::Timestamp;
use serde_json::Value;
use std::time::Duration;

/// How long calls may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To connect.
    pub connect: Duration,
    /// A call without upload, from sending to the last byte of the answer.
    pub call: Duration,
    /// An upload (a Bluesky video can be 50 MB, Mastodon's default video
    /// limit is 99 MB, on a slow line).
    pub upload: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(10),
            call: Duration::from_secs(30),
            upload: Duration::from_secs(300),
        }
    }
}

/// Why a base URL is not one to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadBase {
    /// Not a URL at all (the parser's reason).
    NotUrl(String),
    /// A URL, but not http(s) with a host.
    NotHttp,
}

/// A server's base URL (`https://bsky.social`, without a trailing `/`),
/// checked to be http(s) with a host. The caller trims it and adds its own
/// checks (Mastodon refuses a query or credentials in it).
pub fn parse_base(base: &str) -> Result<reqwest::Url, BadBase> {
    let url = reqwest::Url::parse(base).map_err(|e| BadBase::NotUrl(e.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(BadBase::NotHttp);
    }
    Ok(url)
}

/// The client could not be set up (no TLS backend, …): for messages, the
/// host and reqwest's reason.
#[derive(Debug, Clone)]
pub struct SetupError {
    pub host: String,
    pub message: String,
}

/// No answer came back: the request may or may not have reached the
/// server. reqwest's own message may hold the URL (and so the
/// parameters); this holds only why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAnswer {
    TimedOut,
    NoConnection,
    Broken,
}

impl NoAnswer {
    fn of(e: &reqwest::Error) -> NoAnswer {
        if e.is_timeout() {
            NoAnswer::TimedOut
        } else if e.is_connect() {
            NoAnswer::NoConnection
        } else {
            NoAnswer::Broken
        }
    }
}

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NoAnswer::TimedOut => "timed out",
            NoAnswer::NoConnection => "could not connect",
            NoAnswer::Broken => "connection broken",
        })
    }
}

/// A server to call: its base URL, its host for messages, one client.
#[derive(Debug, Clone)]
pub struct Endpoint {
    http: reqwest::Client,
    /// `https://bsky.social`, without a trailing `/`.
    pub base: String,
    /// For messages: the host (and port), never a URL with parameters.
    pub host: String,
    timeouts: Timeouts,
}

impl Endpoint {
    /// `base` as given (trimmed), `url` what [`parse_base`] made of it.
    pub fn new(base: String, url: &reqwest::Url, timeouts: Timeouts) -> Result<Self, SetupError> {
        let host = url.host_str().unwrap_or(&base).to_string();
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        let http = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .user_agent(concat!("postwright/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SetupError {
                host: host.clone(),
                message: e.to_string(),
            })?;
        Ok(Endpoint {
            http,
            base,
            host,
            timeouts,
        })
    }

    /// A request to `<base><path>`; `path` holds ids only, never a secret.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// Sends `request` once, within the upload's or a call's timeout, with
    /// `bearer` as the token if given, and reads the answer whole. `head`
    /// reads the headers as they arrive (the rate limits; Mastodon's clock
    /// takes the `Date` then, not after a long body).
    pub async fn exchange<T>(
        &self,
        request: reqwest::RequestBuilder,
        upload: bool,
        bearer: Option<&str>,
        head: impl FnOnce(&reqwest::header::HeaderMap) -> T,
    ) -> Result<Exchange<T>, NoAnswer> {
        let timeout = if upload {
            self.timeouts.upload
        } else {
            self.timeouts.call
        };
        let mut request = request.timeout(timeout);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| NoAnswer::of(&e))?;
        let status = response.status().as_u16();
        let head = head(response.headers());
        let body = response.bytes().await.map_err(|e| NoAnswer::of(&e))?;
        Ok(Exchange {
            status,
            head,
            body: body.to_vec(),
        })
    }
}

/// An answer: its status, what its headers said, its body.
#[derive(Debug, Clone)]
pub struct Exchange<T> {
    pub status: u16,
    pub head: T,
    pub body: Vec<u8>,
}

/// What an answer's body holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A success with JSON, or `None` with no body (some DELETEs, a
    /// Mastodon 206 for media still processing).
    Success(Option<Value>),
    /// A success whose body is not JSON: the message for a decode error.
    NotJson(String),
    /// An error status, with its body's JSON if it had any (a proxy's page
    /// or an empty body has none: the status is all there is).
    Failed(Option<Value>),
}

/// Reads an answer by its status and body.
pub fn read(status: u16, body: &[u8]) -> Reply {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    if !(200..300).contains(&status) {
        return Reply::Failed(parsed);
    }
    match parsed {
        Some(value) => Reply::Success(Some(value)),
        None if body.iter().all(u8::is_ascii_whitespace) => Reply::Success(None),
        None => Reply::NotJson(format!(
            "HTTP {status} with a body that is not JSON ({} bytes)",
            body.len()
        )),
    }
}

/// A string field of an error's JSON (`error`, `message`), as sent.
pub fn field(parsed: Option<&Value>, key: &str) -> Option<String> {
    parsed
        .and_then(|v| v.get(key))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A server's message, kept to one readable line.
pub fn shorten(message: &str) -> String {
    let line: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// What the rate-limit headers of an answer said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls (Bluesky: points) allowed in the window.
    pub limit: Option<u64>,
    /// Calls (points) left.
    pub remaining: Option<u64>,
    /// When the window resets.
    pub reset: Option<Timestamp>,
    /// `RateLimit-Policy`, as sent (`5000;w=3600`).
    pub policy: Option<String>,
    /// `Retry-After` in seconds: the reference PDS sends it with a 429
    /// although Bluesky's docs do not mention it.
    pub retry_after: Option<Duration>,
}

impl RateLimit {
    /// Bluesky's `RateLimit-*` headers (the reset in epoch seconds) and
    /// `Retry-After`; `None` when there are none (rate limits are off on a
    /// self-run PDS unless enabled).
    pub fn from_ratelimit_headers(headers: &reqwest::header::HeaderMap) -> Option<RateLimit> {
        let rate = RateLimit {
            limit: number(headers, "ratelimit-limit"),
            remaining: number(headers, "ratelimit-remaining"),
            reset: number(headers, "ratelimit-reset")
                .and_then(|s| i64::try_from(s).ok())
                .and_then(|s| Timestamp::from_second(s).ok()),
            policy: text(headers, "ratelimit-policy"),
            retry_after: number(headers, "retry-after").map(Duration::from_secs),
        };
        (rate != RateLimit::default()).then_some(rate)
    }

    /// Mastodon's `X-RateLimit-*` headers (the reset an ISO 8601 time, not
    /// epoch seconds): the one of its overlapping limits the account is
    /// closest to exceeding. `None` when there are none (a server behind a
    /// proxy that strips them, or another fediverse server).
    pub fn from_x_ratelimit_headers(headers: &reqwest::header::HeaderMap) -> Option<RateLimit> {
        let rate = RateLimit {
            limit: number(headers, "x-ratelimit-limit"),
            remaining: number(headers, "x-ratelimit-remaining"),
            reset: text(headers, "x-ratelimit-reset").and_then(|v| v.parse::<Timestamp>().ok()),
            ..RateLimit::default()
        };
        (rate != RateLimit::default()).then_some(rate)
    }

    /// How long to wait from `now` before calling again: until the window
    /// resets, or `Retry-After`, whichever is later (zero if both passed);
    /// `None` when the server said neither.
    pub fn wait(&self, now: Timestamp) -> Option<Duration> {
        let until_reset = self.reset.map(|reset| {
            let secs = reset.as_second().saturating_sub(now.as_second());
            Duration::from_secs(u64::try_from(secs).unwrap_or(0))
        });
        match (until_reset, self.retry_after) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// No call is left in the window.
    pub fn exhausted(&self) -> bool {
        self.remaining == Some(0)
    }
}

fn text(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

fn number(headers: &reqwest::header::HeaderMap, name: &str) -> Option<u64> {
    text(headers, name).and_then(|v| v.parse::<u64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn bluesky_rate_limit_headers_are_read() {
        let mut h = HeaderMap::new();
        assert_eq!(RateLimit::from_ratelimit_headers(&h), None);
        h.insert("RateLimit-Limit", HeaderValue::from_static("5000"));
        h.insert("RateLimit-Remaining", HeaderValue::from_static("0"));
        h.insert("RateLimit-Reset", HeaderValue::from_static("1765100000"));
        h.insert("RateLimit-Policy", HeaderValue::from_static("5000;w=3600"));
        let rate = RateLimit::from_ratelimit_headers(&h).unwrap();
        assert_eq!(rate.limit, Some(5000));
        assert_eq!(rate.remaining, Some(0));
        assert_eq!(rate.reset.unwrap().as_second(), 1_765_100_000);
        assert_eq!(rate.policy.as_deref(), Some("5000;w=3600"));
        let now = Timestamp::from_second(1_765_099_940).unwrap();
        assert_eq!(rate.wait(now), Some(Duration::from_secs(60)));
        let later = Timestamp::from_second(1_765_100_100).unwrap();
        assert_eq!(rate.wait(later), Some(Duration::ZERO));
        h.insert("Retry-After", HeaderValue::from_static("90"));
        let rate = RateLimit::from_ratelimit_headers(&h).unwrap();
        assert_eq!(rate.retry_after, Some(Duration::from_secs(90)));
        assert_eq!(rate.wait(now), Some(Duration::from_secs(90)));
        let only = RateLimit {
            retry_after: Some(Duration::from_secs(5)),
            ..RateLimit::default()
        };
        assert_eq!(only.wait(now), Some(Duration::from_secs(5)));
        assert_eq!(RateLimit::default().wait(now), None);
        // Mastodon's names are not Bluesky's.
        let mut x = HeaderMap::new();
        x.insert("X-RateLimit-Remaining", HeaderValue::from_static("0"));
        assert_eq!(RateLimit::from_ratelimit_headers(&x), None);
    }

    #[test]
    fn mastodon_rate_limit_headers_are_read() {
        let mut h = HeaderMap::new();
        assert_eq!(RateLimit::from_x_ratelimit_headers(&h), None);
        h.insert("X-RateLimit-Limit", HeaderValue::from_static("300"));
        h.insert("X-RateLimit-Remaining", HeaderValue::from_static("0"));
        h.insert(
            "X-RateLimit-Reset",
            HeaderValue::from_static("2026-12-07T11:20:00.123456Z"),
        );
        let rate = RateLimit::from_x_ratelimit_headers(&h).unwrap();
        assert_eq!(rate.limit, Some(300));
        assert_eq!(rate.remaining, Some(0));
        assert!(rate.exhausted());
        let now: Timestamp = "2026-12-07T11:19:00Z".parse().unwrap();
        assert_eq!(rate.wait(now), Some(Duration::from_secs(60)));
        let later: Timestamp = "2026-12-07T11:30:00Z".parse().unwrap();
        assert_eq!(rate.wait(later), Some(Duration::ZERO));
        h.insert("X-RateLimit-Reset", HeaderValue::from_static("1765100000"));
        let rate = RateLimit::from_x_ratelimit_headers(&h).unwrap();
        assert_eq!(rate.reset, None, "epoch seconds are not Mastodon's format");
        assert_eq!(rate.wait(now), None);
        // A Retry-After beside them is not Mastodon's: it does not count.
        h.insert("Retry-After", HeaderValue::from_static("90"));
        let rate = RateLimit::from_x_ratelimit_headers(&h).unwrap();
        assert_eq!((rate.retry_after, rate.wait(now)), (None, None));
    }

    #[test]
    fn bodies_are_read_by_status() {
        assert_eq!(
            read(200, br#"{"id":"1"}"#),
            Reply::Success(Some(serde_json::json!({"id": "1"})))
        );
        assert_eq!(read(206, b" \n"), Reply::Success(None));
        assert_eq!(
            read(200, b"<html>"),
            Reply::NotJson("HTTP 200 with a body that is not JSON (6 bytes)".into())
        );
        assert_eq!(read(502, b"<html>bad gateway</html>"), Reply::Failed(None));
        let Reply::Failed(parsed) = read(400, br#"{"error":"E","message":"m  \n n"}"#) else {
            panic!("an error status is a failure");
        };
        assert_eq!(field(parsed.as_ref(), "error").as_deref(), Some("E"));
        assert_eq!(field(parsed.as_ref(), "nope"), None);
        assert_eq!(shorten(&field(parsed.as_ref(), "message").unwrap()), "m n");
        let long = shorten(&"x ".repeat(400));
        assert_eq!(long.chars().count(), 301);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn base_urls_are_checked() {
        for bad in ["not a url", "bsky.social"] {
            assert!(matches!(parse_base(bad), Err(BadBase::NotUrl(_))), "{bad}");
        }
        for bad in ["ftp://bsky.social", "file:///tmp"] {
            assert_eq!(parse_base(bad), Err(BadBase::NotHttp), "{bad}");
        }
        let url = parse_base("http://127.0.0.1:2583").unwrap();
        let e = Endpoint::new("http://127.0.0.1:2583".into(), &url, Timeouts::default()).unwrap();
        assert_eq!(
            (e.base.as_str(), e.host.as_str()),
            ("http://127.0.0.1:2583", "127.0.0.1:2583")
        );
        let url = parse_base("https://bsky.social").unwrap();
        let e = Endpoint::new("https://bsky.social".into(), &url, Timeouts::default()).unwrap();
        assert_eq!(e.host, "bsky.social");
        assert_eq!(NoAnswer::TimedOut.to_string(), "timed out");
    }
}
