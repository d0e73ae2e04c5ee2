//! One XRPC call to a PDS: `GET` (a query) or `POST` (a procedure) on
//! `<pds>/xrpc/<method>`, the token in the `Authorization` header (never in
//! the URL), bounded by a timeout; the answer's JSON, or its error typed,
//! with what its `RateLimit-*` headers said. Sessions and retries are the
//! client's ([`super::client`]). Facts and links: docs/bluesky.md.

use super::error::{BlueskyError, RateLimit, XrpcError};
pub use crate::platform::http::Timeouts;
use crate::platform::http::{self, BadBase, Endpoint, NoAnswer, Reply};
use crate::platform::Secret;
use serde_json::Value;

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

/// A PDS's XRPC endpoint.
#[derive(Debug, Clone)]
pub struct Xrpc {
    endpoint: Endpoint,
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
        let url = http::parse_base(&base).map_err(|e| match e {
            BadBase::NotUrl(e) => bad(format!("is not a URL ({e})")),
            BadBase::NotHttp => bad("is not an http(s) URL".into()),
        })?;
        let endpoint =
            Endpoint::new(base, &url, timeouts).map_err(|e| BlueskyError::Transport {
                host: e.host,
                call: "setting up the HTTP client".into(),
                message: e.message,
            })?;
        Ok(Xrpc { endpoint })
    }

    pub fn host(&self) -> &str {
        &self.endpoint.host
    }

    /// Sends `call` once, with `bearer` as the token if given.
    pub async fn send(&self, call: &Call, bearer: Option<&Secret>) -> Result<Answer, BlueskyError> {
        let method = if call.procedure {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        let mut request = self
            .endpoint
            .request(method, &format!("/xrpc/{}", call.method));
        if !call.params.is_empty() {
            request = request.query(&call.params);
        }
        request = match &call.body {
            Body::None => request,
            Body::Json(v) => request.json(v),
            Body::Bytes { data, mime } => request
                .header(reqwest::header::CONTENT_TYPE, mime)
                .body(data.clone()),
        };
        let upload = matches!(call.body, Body::Bytes { .. });
        let bearer = bearer.map(Secret::expose);
        let answer = self
            .endpoint
            .exchange(request, upload, bearer, RateLimit::from_ratelimit_headers)
            .await
            .map_err(|why| self.transport(call, why))?;
        let (status, rate) = (answer.status, answer.head);
        read_answer(self.host(), call.method, status, rate, &answer.body)
    }

    fn transport(&self, call: &Call, why: NoAnswer) -> BlueskyError {
        BlueskyError::Transport {
            host: self.host().to_string(),
            call: call.method.to_string(),
            message: why.to_string(),
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
    let parsed = match http::read(status, body) {
        // deleteRecord may answer with an empty body on older PDSes.
        Reply::Success(value) => {
            let value = value.unwrap_or_else(|| Value::Object(Default::default()));
            return Ok(Answer { value, rate });
        }
        Reply::NotJson(message) => {
            return Err(BlueskyError::Decode {
                host: host.to_string(),
                call: call.to_string(),
                message,
            })
        }
        Reply::Failed(parsed) => parsed,
    };
    let name =
        http::field(parsed.as_ref(), "error").unwrap_or_else(|| status_name(status).to_string());
    Err(BlueskyError::Xrpc(Box::new(XrpcError {
        host: host.to_string(),
        call: call.to_string(),
        status,
        name,
        message: http::field(parsed.as_ref(), "message").map(|m| http::shorten(&m)),
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
        assert_eq!(x.endpoint.base, "http://127.0.0.1:2583");
    }
}
