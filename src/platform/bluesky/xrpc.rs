//! One XRPC call to a PDS: `GET` (a query) or `POST` (a procedure) on
//! `<pds>/xrpc/<method>`, the token in the `Authorization` header (never in
//! the URL), bounded by a timeout; the answer's JSON, or its error typed,
//! with what its `RateLimit-*` headers said. Sessions and retries are the
//! client's ([`super::client`]). Facts and links: docs/bluesky.md.

use super::error::{BlueskyError, RateLimit, XrpcError};
use crate::platform::Secret;
use serde_json::Value;
use std::time::Duration;

/// A call's input. Its Debug shows no content: `createSession`'s holds
/// the password.
#[derive(Clone)]
pub enum Body {
    /// A query (`GET`), or a procedure without input.
    None,
    Json(Value),
    /// Raw bytes with their type (`uploadBlob`).
    Bytes {
        data: Vec<u8>,
        mime: String,
    },
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::None => f.write_str("None"),
            Body::Json(_) => f.write_str("Json(..)"),
            Body::Bytes { data, mime } => write!(f, "Bytes({} bytes of {mime})", data.len()),
        }
    }
}

/// A call: the method's NSID, its query parameters, its input.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: &'static str,
    pub procedure: bool,
    pub params: Vec<(&'static str, String)>,
    pub body: Body,
}

impl Call {
    pub fn query(method: &'static str, params: Vec<(&'static str, String)>) -> Call {
        Call {
            method,
            procedure: false,
            params,
            body: Body::None,
        }
    }

    pub fn procedure(method: &'static str, body: Body) -> Call {
        Call {
            method,
            procedure: true,
            params: Vec::new(),
            body,
        }
    }
}

/// How long calls may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To connect.
    pub connect: Duration,
    /// A call without upload, from sending to the last byte of the answer.
    pub call: Duration,
    /// An upload (a video can be 50 MB on a slow line).
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

/// A PDS's XRPC endpoint.
#[derive(Debug, Clone)]
pub struct Xrpc {
    http: reqwest::Client,
    /// `https://bsky.social`, without a trailing `/`.
    base: String,
    /// For messages: the PDS's host, never a URL with parameters.
    host: String,
    timeouts: Timeouts,
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub value: Value,
    pub rate: Option<RateLimit>,
}

impl Xrpc {
    pub fn new(pds: &str, timeouts: Timeouts) -> Result<Xrpc, BlueskyError> {
        let base = pds.trim_end_matches('/').to_string();
        let bad = |why: String| BlueskyError::Decode {
            host: pds.to_string(),
            call: "the pds setting".into(),
            message: format!("`{pds}` {why}; write it like https://bsky.social"),
        };
        let url = reqwest::Url::parse(&base).map_err(|e| bad(format!("is not a URL ({e})")))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err(bad("is not an http(s) URL".into()));
        }
        let host = url.host_str().unwrap_or(pds).to_string();
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        let http = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .user_agent(concat!("postwright/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BlueskyError::Transport {
                host: host.clone(),
                call: "setting up the HTTP client".into(),
                message: e.to_string(),
            })?;
        Ok(Xrpc {
            http,
            base,
            host,
            timeouts,
        })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// Sends `call` once, with `bearer` as the token if given.
    pub async fn send(&self, call: &Call, bearer: Option<&Secret>) -> Result<Answer, BlueskyError> {
        let url = format!("{}/xrpc/{}", self.base, call.method);
        let mut request = if call.procedure {
            self.http.post(url)
        } else {
            self.http.get(url)
        };
        if !call.params.is_empty() {
            request = request.query(&call.params);
        }
        let timeout = match call.body {
            Body::Bytes { .. } => self.timeouts.upload,
            _ => self.timeouts.call,
        };
        request = request.timeout(timeout);
        request = match &call.body {
            Body::None => request,
            Body::Json(v) => request.json(v),
            Body::Bytes { data, mime } => request
                .header(reqwest::header::CONTENT_TYPE, mime)
                .body(data.clone()),
        };
        if let Some(token) = bearer {
            request = request.bearer_auth(token.expose());
        }
        let response = request.send().await.map_err(|e| self.transport(call, &e))?;
        let status = response.status().as_u16();
        let rate = RateLimit::from_headers(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport(call, &e))?;
        read_answer(&self.host, call.method, status, rate, &body)
    }

    /// reqwest's own message may hold the URL (and so the parameters);
    /// ours hold only the host.
    fn transport(&self, call: &Call, e: &reqwest::Error) -> BlueskyError {
        BlueskyError::Transport {
            host: self.host.clone(),
            call: call.method.to_string(),
            message: if e.is_timeout() {
                "timed out".into()
            } else if e.is_connect() {
                "could not connect".into()
            } else {
                "connection broken".into()
            },
        }
    }
}

/// An answer's JSON, or the error it carries.
pub fn read_answer(
    host: &str,
    call: &str,
    status: u16,
    rate: Option<RateLimit>,
    body: &[u8],
) -> Result<Answer, BlueskyError> {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    if (200..300).contains(&status) {
        return match parsed {
            Some(value) => Ok(Answer { value, rate }),
            // deleteRecord may answer with an empty body on older PDSes.
            None if body.iter().all(u8::is_ascii_whitespace) => Ok(Answer {
                value: Value::Object(Default::default()),
                rate,
            }),
            None => Err(BlueskyError::Decode {
                host: host.to_string(),
                call: call.to_string(),
                message: format!(
                    "HTTP {status} with a body that is not JSON ({} bytes)",
                    body.len()
                ),
            }),
        };
    }
    let text = |key: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    // A proxy's page or an empty body: the status is all there is.
    let name = text("error").unwrap_or_else(|| status_name(status).to_string());
    Err(BlueskyError::Xrpc(Box::new(XrpcError {
        host: host.to_string(),
        call: call.to_string(),
        status,
        name,
        message: text("message").map(|m| shorten(&m)),
        rate,
    })))
}

/// The XRPC name for a status without an error name (`@atproto/xrpc`'s).
fn status_name(status: u16) -> &'static str {
    match status {
        400 => "InvalidRequest",
        401 => "AuthenticationRequired",
        403 => "Forbidden",
        404 => "XRPCNotSupported",
        413 => "PayloadTooLarge",
        429 => "RateLimitExceeded",
        500 => "InternalServerError",
        501 => "MethodNotImplemented",
        502 => "UpstreamFailure",
        503 => "NotEnoughResources",
        504 => "UpstreamTimeout",
        _ => "Unknown",
    }
}

/// A server's message, kept to one readable line.
fn shorten(message: &str) -> String {
    let line: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::ErrorClass;

    const CALL: &str = "com.atproto.repo.getRecord";

    #[test]
    fn answers_and_errors_are_read() {
        let ok = read_answer("h", CALL, 200, None, br#"{"uri":"at://x"}"#).unwrap();
        assert_eq!(ok.value["uri"], "at://x");
        let empty = read_answer("h", CALL, 200, None, b"").unwrap();
        assert_eq!(empty.value, serde_json::json!({}));
        assert!(matches!(
            read_answer("h", CALL, 200, None, b"<html>"),
            Err(BlueskyError::Decode { .. })
        ));
        let e = read_answer(
            "h",
            CALL,
            400,
            None,
            br#"{"error":"RecordNotFound","message":"Could not locate record: at://did:plc:x/app.bsky.feed.post/3k"}"#,
        )
        .unwrap_err();
        assert!(e.is_not_found());
        assert_eq!(
            e.to_string(),
            "com.atproto.repo.getRecord on h: HTTP 400 RecordNotFound: Could not locate record: at://did:plc:x/app.bsky.feed.post/3k"
        );
        let e = read_answer("h", CALL, 502, None, b"<html>bad gateway</html>").unwrap_err();
        assert_eq!(e.name(), Some("UpstreamFailure"));
        assert_eq!(e.class(), ErrorClass::Transient);
        let e = read_answer("h", CALL, 413, None, b"").unwrap_err();
        assert_eq!(e.class(), ErrorClass::Content);
        let rate = RateLimit {
            remaining: Some(0),
            ..RateLimit::default()
        };
        let e = read_answer(
            "h",
            CALL,
            429,
            Some(rate.clone()),
            br#"{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}"#,
        )
        .unwrap_err();
        assert_eq!(e.class(), ErrorClass::RateLimited);
        assert_eq!(e.rate(), Some(&rate));
    }

    #[test]
    fn long_messages_are_cut() {
        let long = format!(
            r#"{{"error":"InvalidRequest","message":"{}"}}"#,
            "x ".repeat(400)
        );
        let e = read_answer("h", CALL, 400, None, long.as_bytes()).unwrap_err();
        assert!(e.to_string().len() < 400, "{e}");
        assert!(e.to_string().ends_with('…'));
    }

    #[test]
    fn a_pds_url_is_checked() {
        for bad in [
            "not a url",
            "bsky.social",
            "ftp://bsky.social",
            "file:///tmp",
        ] {
            let e = Xrpc::new(bad, Timeouts::default()).unwrap_err();
            assert!(e.to_string().contains("https://bsky.social"), "{e}");
        }
        let x = Xrpc::new("http://127.0.0.1:2583/", Timeouts::default()).unwrap();
        assert_eq!(x.host(), "127.0.0.1:2583");
        assert_eq!(x.base, "http://127.0.0.1:2583");
    }
}
