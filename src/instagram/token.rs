//! Token endpoints: who a token belongs to, what it may do, when it
//! expires, and trading it for a fresh one.
//!
//! Meta documents these as GETs with the tokens in the query string. A URL
//! ends up in proxy and server logs, so postwright sends the user token in
//! the `Authorization` header where the endpoint takes it, and otherwise
//! (`debug_token`'s `input_token`, `fb_exchange_token`, client secrets) in
//! a form-encoded POST body — the Graph API reads parameters from either,
//! and `method=GET` keeps the request a read.

use super::{ApiError, Client, Retry, Secret};
use serde::Deserialize;
use serde_json::Value;

/// The account a token acts for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Identity {
    pub id: String,
    #[serde(default)]
    pub username: Option<String>,
}

/// What `debug_token` says of a token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenDebug {
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub is_valid: bool,
    /// Unix seconds; 0 means it never expires.
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub data_access_expires_at: Option<i64>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub user_id: Option<String>,
}

/// A token Meta just issued.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub token: Secret,
    pub token_type: Option<String>,
    /// Seconds from now; absent for tokens that do not expire.
    pub expires_in: Option<u64>,
}

/// The app's id and secret, for the calls that need them.
#[derive(Debug, Clone)]
pub struct App {
    pub id: String,
    pub secret: Secret,
}

impl Client {
    /// `GET /{ig-user-id}?fields=id,username`: also proves the token works.
    pub async fn identity(&self) -> Result<Identity, ApiError> {
        let v = self
            .get(
                &self.inner.user_id.clone(),
                vec![("fields", "id,username".into())],
            )
            .await?;
        self.decode(v)
    }

    /// `debug_token` with the app token (`app_id|app_secret`).
    pub async fn debug_token(&self, app: &App) -> Result<TokenDebug, ApiError> {
        let url = format!("{}/debug_token", self.inner.graph);
        let request = self
            .inner
            .http
            .post(url)
            .header(
                "Authorization",
                format!("Bearer {}|{}", app.id, app.secret.expose()),
            )
            .form(&[
                ("input_token", self.inner.token.expose()),
                ("method", "GET"),
            ]);
        let v = self.send_as(request, Retry::Safe).await?;
        self.decode(v.get("data").cloned().unwrap_or(Value::Null))
    }

    /// Instagram Login: `refresh_access_token` (the token must be at least
    /// a day old and not expired).
    pub async fn refresh_instagram(&self) -> Result<NewToken, ApiError> {
        let url = format!("{}/refresh_access_token", self.inner.host);
        let request = self
            .inner
            .http
            .get(url)
            .query(&[("grant_type", "ig_refresh_token")]);
        let v = self.send(request, Retry::Safe).await?;
        self.new_token(v)
    }

    /// Instagram Login: short-lived token → 60-day token.
    pub async fn exchange_instagram(&self, app: &App) -> Result<NewToken, ApiError> {
        let url = format!("{}/access_token", self.inner.host);
        let request = self.inner.http.post(url).form(&[
            ("grant_type", "ig_exchange_token"),
            ("client_secret", app.secret.expose()),
            ("method", "GET"),
        ]);
        let v = self.send(request, Retry::Safe).await?;
        self.new_token(v)
    }

    /// Facebook Login: `fb_exchange_token` → a long-lived user token (used
    /// both to exchange a short-lived token and to renew a long-lived one).
    pub async fn exchange_facebook(&self, app: &App) -> Result<NewToken, ApiError> {
        let url = format!("{}/oauth/access_token", self.inner.graph);
        let request = self.inner.http.post(url).form(&[
            ("grant_type", "fb_exchange_token"),
            ("client_id", app.id.as_str()),
            ("client_secret", app.secret.expose()),
            ("fb_exchange_token", self.inner.token.expose()),
            ("method", "GET"),
        ]);
        let v = self.send_as(request, Retry::Safe).await?;
        self.new_token(v)
    }

    fn new_token(&self, v: Value) -> Result<NewToken, ApiError> {
        let token = v
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::Decode {
                host: self.inner.host.clone(),
                message: "the answer holds no access_token".into(),
            })?;
        Ok(NewToken {
            token: Secret::new(token),
            token_type: v
                .get("token_type")
                .and_then(Value::as_str)
                .map(str::to_string),
            expires_in: v.get("expires_in").and_then(|e| {
                e.as_u64()
                    .or_else(|| e.as_str().and_then(|s| s.parse().ok()))
            }),
        })
    }
}
