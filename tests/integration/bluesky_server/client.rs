//! A plain HTTP client of either PDS, for the fault server's tests.

use super::POST;
use serde_json::{json, Value};

/// A client of one PDS (the fault server or the reference one).
pub(super) struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            base: base.to_string(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn send(
        &self,
        req: reqwest::RequestBuilder,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let r = req.send().await.expect("an answer");
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, r.json().await.unwrap_or(Value::Null), headers)
    }

    pub async fn post(&self, nsid: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let (s, v, _) = self.post_h(nsid, token, body).await;
        (s, v)
    }

    pub async fn post_h(
        &self,
        nsid: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut req = self.http.post(format!("{}/xrpc/{nsid}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    pub async fn get(&self, nsid: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let req = self
            .http
            .get(format!("{}/xrpc/{nsid}", self.base))
            .query(query);
        let (s, v, _) = self.send(req).await;
        (s, v)
    }

    pub async fn login(&self, identifier: &str, password: &str) -> (String, String) {
        let body = json!({"identifier": identifier, "password": password});
        let (s, v) = self
            .post("com.atproto.server.createSession", None, Some(body))
            .await;
        assert_eq!(s, 200, "{v}");
        let t = |k: &str| v[k].as_str().expect(k).to_string();
        (t("accessJwt"), t("refreshJwt"))
    }

    pub async fn create(&self, token: &str, did: &str, rkey: &str, text: &str) -> (u16, Value) {
        let record = json!({"$type": POST, "text": text, "createdAt": "2026-12-07T10:00:00.000Z"});
        let body = json!({"repo": did, "collection": POST, "rkey": rkey, "record": record});
        self.post("com.atproto.repo.createRecord", Some(token), Some(body))
            .await
    }
}

pub(super) fn err(v: &Value) -> (&str, &str) {
    (
        v["error"].as_str().unwrap_or(""),
        v["message"].as_str().unwrap_or(""),
    )
}
