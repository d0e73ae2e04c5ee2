//! One call to a Mastodon server: a method on `<instance><path>`, the token
//! in the `Authorization` header (never in the URL), form or multipart
//! input, an optional `Idempotency-Key`, bounded by a timeout; the answer's
//! status and JSON, or its error typed, with what its `X-RateLimit-*`
//! headers said. Retries are the client's ([`super::client`]).
//! Facts and links: docs/mastodon.md.

use super::error::{ApiError, MastodonError, RateLimit};
use super::secret::Token;
pub use crate::platform::http::Timeouts;
use crate::platform::http::{self, Endpoint, NoAnswer, Reply};
use serde_json::Value;

/// A multipart part: a text field or a file.
#[derive(Clone)]
pub enum Part {
    Text(String),
    File {
        name: String,
        mime: String,
        data: Vec<u8>,
    },
}

/// A call's input. Its Debug shows no content.
#[derive(Clone)]
pub enum Body {
    None,
    /// `application/x-www-form-urlencoded`; a key may repeat
    /// (`media_ids[]`), as Rails reads arrays.
    Form(Vec<(String, String)>),
    /// `multipart/form-data` (media uploads).
    Multipart(Vec<(String, Part)>),
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::None => f.write_str("None"),
            Body::Form(fields) => write!(f, "Form({} fields)", fields.len()),
            Body::Multipart(parts) => write!(f, "Multipart({} parts)", parts.len()),
        }
    }
}

/// A call.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: reqwest::Method,
    /// `/api/v1/statuses/123`: ids only, never a secret.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Body,
    pub idempotency_key: Option<String>,
}

impl Call {
    pub fn get(path: impl Into<String>) -> Call {
        Call::new(reqwest::Method::GET, path, Body::None)
    }

    pub fn new(method: reqwest::Method, path: impl Into<String>, body: Body) -> Call {
        Call {
            method,
            path: path.into(),
            query: Vec::new(),
            body,
            idempotency_key: None,
        }
    }

    /// `GET /api/v1/statuses/1`, for messages.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// An id as one path segment: Mastodon's ids are digits (snowflakes), other
/// servers' may be letters too; anything else would change the path.
pub fn segment(host: &str, what: &str, id: &str) -> Result<String, MastodonError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(id.to_string())
    } else {
        Err(MastodonError::Decode {
            host: host.to_string(),
            call: what.to_string(),
            message: format!("`{id}` is not an id"),
        })
    }
}

/// A successful answer: its status (200, 202, 206 tell media states
/// apart) and JSON.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub value: Value,
    pub rate: Option<RateLimit>,
}

/// A server's API.
#[derive(Debug, Clone)]
pub struct Api {
    endpoint: Endpoint,
    /// The server's time, from its answers' `Date` headers.
    clock: std::sync::Arc<super::clock::ServerClock>,
}

impl Api {
    pub fn new(instance: &str, timeouts: Timeouts) -> Result<Api, MastodonError> {
        let base = instance.trim().trim_end_matches('/').to_string();
        let bad = || MastodonError::BadInstance(instance.to_string());
        let url = http::parse_base(&base).map_err(|_| bad())?;
        if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
            return Err(bad());
        }
        let endpoint =
            Endpoint::new(base, &url, timeouts).map_err(|e| MastodonError::Transport {
                host: e.host,
                call: "setting up the HTTP client".into(),
                message: e.message,
            })?;
        Ok(Api {
            endpoint,
            clock: Default::default(),
        })
    }

    pub fn host(&self) -> &str {
        &self.endpoint.host
    }

    /// The server's clock, as its last answer with a `Date` told it.
    pub fn clock(&self) -> &super::clock::ServerClock {
        &self.clock
    }

    /// Sends `call` once, with `token` as the bearer if given.
    pub async fn send(&self, call: &Call, token: Option<&Token>) -> Result<Answer, MastodonError> {
        let mut request = self.endpoint.request(call.method.clone(), &call.path);
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        request = match &call.body {
            Body::None => request,
            Body::Form(fields) => request.form(fields),
            Body::Multipart(parts) => {
                let (mime, body) = multipart(parts);
                request
                    .header(reqwest::header::CONTENT_TYPE, mime)
                    .body(body)
            }
        };
        if let Some(key) = &call.idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let upload = matches!(call.body, Body::Multipart(_));
        let head = |headers: &reqwest::header::HeaderMap| {
            let date = headers.get(reqwest::header::DATE);
            self.clock
                .saw(date.and_then(|d| d.to_str().ok()), jiff::Timestamp::now());
            RateLimit::from_x_ratelimit_headers(headers)
        };
        let answer = self
            .endpoint
            .exchange(request, upload, token.map(Token::expose), head)
            .await
            .map_err(|why| self.transport(call, why))?;
        let (status, rate) = (answer.status, answer.head);
        read_answer(self.host(), &call.name(), status, rate, &answer.body)
    }

    fn transport(&self, call: &Call, why: NoAnswer) -> MastodonError {
        MastodonError::Transport {
            host: self.host().to_string(),
            call: call.name(),
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
) -> Result<Answer, MastodonError> {
    let parsed = match http::read(status, body) {
        // 206 (media processing) and some DELETEs carry no JSON.
        Reply::Success(value) => {
            let value = value.unwrap_or(Value::Null);
            return Ok(Answer {
                status,
                value,
                rate,
            });
        }
        Reply::NotJson(message) => {
            return Err(MastodonError::Decode {
                host: host.to_string(),
                call: call.to_string(),
                message,
            })
        }
        Reply::Failed(parsed) => parsed,
    };
    let text = |key: &str| http::field(parsed.as_ref(), key).map(|m| http::shorten(&m));
    Err(MastodonError::Api(Box::new(ApiError {
        host: host.to_string(),
        call: call.to_string(),
        status,
        error: text("error"),
        description: text("error_description"),
        rate,
    })))
}

/// A `multipart/form-data` body (RFC 7578) and its Content-Type. Written
/// here rather than with reqwest's `multipart` feature: one upload needs
/// a handful of lines, not another dependency tree.
pub fn multipart(parts: &[(String, Part)]) -> (String, Vec<u8>) {
    let boundary = boundary(parts);
    let mut out = Vec::new();
    for (name, part) in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part {
            Part::Text(text) => {
                out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                        quote(name)
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(text.as_bytes());
            }
            Part::File {
                name: file,
                mime,
                data,
            } => {
                out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {mime}\r\n\r\n",
                        quote(name),
                        quote(file)
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(data);
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), out)
}

/// A boundary that occurs in none of the parts.
fn boundary(parts: &[(String, Part)]) -> String {
    use std::hash::{BuildHasher, Hasher};
    loop {
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let candidate = format!("postwright-{random:016x}");
        let found = parts.iter().any(|(_, part)| {
            let bytes = match part {
                Part::Text(t) => t.as_bytes(),
                Part::File { data, .. } => data,
            };
            bytes
                .windows(candidate.len())
                .any(|w| w == candidate.as_bytes())
        });
        if !found {
            return candidate;
        }
    }
}

/// A name or file name inside a quoted header parameter.
fn quote(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' | '\\' | '\r' | '\n' => '_',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::ErrorClass;

    const CALL: &str = "GET /api/v1/statuses/1";

    #[test]
    fn answers_and_errors_are_read() {
        let ok = read_answer("h", CALL, 200, None, br#"{"id":"1"}"#).unwrap();
        assert_eq!(ok.value["id"], "1");
        let partial = read_answer("h", CALL, 206, None, b"").unwrap();
        assert_eq!((partial.status, partial.value), (206, Value::Null));
        assert!(matches!(
            read_answer("h", CALL, 200, None, b"<html>"),
            Err(MastodonError::Decode { .. })
        ));
        let e = read_answer("h", CALL, 404, None, br#"{"error":"Record not found"}"#).unwrap_err();
        assert!(e.is_not_found());
        assert_eq!(
            e.to_string(),
            "GET /api/v1/statuses/1 on h: HTTP 404: Record not found"
        );
        let e = read_answer("h", CALL, 502, None, b"<html>bad gateway</html>").unwrap_err();
        assert_eq!(e.class(), ErrorClass::Transient);
        assert_eq!(e.to_string(), "GET /api/v1/statuses/1 on h: HTTP 502");
        let long = format!(r#"{{"error":"{}"}}"#, "x ".repeat(400));
        let e = read_answer("h", CALL, 422, None, long.as_bytes()).unwrap_err();
        assert!(
            e.to_string().len() < 400 && e.to_string().ends_with('…'),
            "{e}"
        );
    }

    #[test]
    fn an_instance_url_is_checked() {
        for bad in [
            "not a url",
            "mastodon.social",
            "ftp://mastodon.social",
            "https://user:pw@mastodon.social",
            "https://mastodon.social/?token=x",
        ] {
            let e = Api::new(bad, Timeouts::default()).unwrap_err();
            assert!(e.to_string().contains("https://mastodon.social"), "{e}");
        }
        let api = Api::new("http://127.0.0.1:3000/", Timeouts::default()).unwrap();
        assert_eq!(api.host(), "127.0.0.1:3000");
        assert_eq!(api.endpoint.base, "http://127.0.0.1:3000");
    }

    #[test]
    fn ids_stay_one_path_segment() {
        assert_eq!(segment("h", "c", "109372").unwrap(), "109372");
        assert_eq!(segment("h", "c", "01HX-ab_c").unwrap(), "01HX-ab_c");
        for bad in ["", "1/../../admin", "1?x=1", "a b", "1%2F"] {
            assert!(segment("h", "c", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn multipart_bodies_are_well_formed() {
        let parts = vec![
            ("description".to_string(), Part::Text("A cat".into())),
            (
                "file".to_string(),
                Part::File {
                    name: "c\"at.png".into(),
                    mime: "image/png".into(),
                    data: vec![0, 159, 146, 150],
                },
            ),
        ];
        let (mime, body) = multipart(&parts);
        let boundary = mime.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nA cat\r\n")), "{text}");
        assert!(
            text.contains(
                "name=\"file\"; filename=\"c_at.png\"\r\nContent-Type: image/png\r\n\r\n"
            ),
            "{text}"
        );
        assert!(body.windows(4).any(|w| w == [0, 159, 146, 150]));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        assert_eq!(text.matches(boundary).count(), 3);
    }
}
