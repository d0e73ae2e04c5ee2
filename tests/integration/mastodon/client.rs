//! A plain HTTP client of the Mastodon test server, for tests that check
//! the server itself (tests/integration/mastodon_server.rs) or set state up
//! around the binary.

use super::{MastodonServer, TOKEN};
use reqwest::header::HeaderMap;
use serde_json::Value;

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

pub type Reply = (u16, Value, HeaderMap);

impl Client {
    pub fn new(server: &MastodonServer) -> Client {
        Client {
            base: server.url(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let r = req.send().await.expect("an answer");
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, r.json().await.unwrap_or(Value::Null), headers)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        let req = self
            .http
            .delete(format!("{}{path}", self.base))
            .bearer_auth(TOKEN);
        self.send(req).await
    }

    /// POST /api/v1/statuses with a JSON body.
    pub async fn status(&self, body: Value, key: Option<&str>) -> Reply {
        let mut req = self
            .http
            .post(format!("{}/api/v1/statuses", self.base))
            .bearer_auth(TOKEN)
            .json(&body);
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        self.send(req).await
    }

    /// POST /api/v1/statuses as a form (`media_ids[]` repeated).
    pub async fn status_form(&self, form: &[(&str, &str)]) -> Reply {
        let req = self
            .http
            .post(format!("{}/api/v1/statuses", self.base))
            .bearer_auth(TOKEN)
            .form(form);
        self.send(req).await
    }

    /// POST /api/v2/media, multipart built by hand (the crate's reqwest has
    /// no multipart feature).
    pub async fn upload(&self, token: &str, mime: &str, bytes: &[u8], description: &str) -> Reply {
        let boundary = "postwrightboundary7MA4YWxk";
        let mut body = Vec::new();
        for (name, value) in [("description", description), ("focus", "0.5,-0.25")] {
            body.extend(
                format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
                .bytes(),
            );
        }
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\nContent-Type: {mime}\r\n\r\n"
            )
            .bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(format!("\r\n--{boundary}--\r\n").bytes());
        let req = self
            .http
            .post(format!("{}/api/v2/media", self.base))
            .bearer_auth(token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.send(req).await
    }

    pub async fn put(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let req = self
            .http
            .put(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .form(form);
        self.send(req).await
    }
}

/// A header's value, "" when absent.
pub fn header<'a>(h: &'a HeaderMap, k: &str) -> &'a str {
    h.get(k).and_then(|v| v.to_str().ok()).unwrap_or("")
}
