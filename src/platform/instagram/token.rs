//! Token endpoints: who a token belongs to, what it may do, when it
//! expires, and trading it for a fresh one.
//!
//! Meta documents these as GETs with the tokens in the query string. A URL
//! ends up in proxy and server logs, so postwright sends the user token in
//! the `Authorization` header where the endpoint takes it, and otherwise
//! (`debug_token`'s `input_token`, `fb_exchange_token`, client secrets) in
//! a form-encoded POST body — the Graph API reads parameters from either,
//! and `method=GET` keeps the request a read.

use super::{ApiError, App, Client, NewToken, Retry};
use serde::Deserialize;
use serde_json::Value;

/// The account a token acts for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Identity {
    /// Facebook Login: the professional account's id. Instagram Login: the
    /// Instagram-scoped user id, which can differ from the account's id.
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    /// Instagram Login: the professional account's id (17841…), the one
    /// publishing uses and `user_id` in postwright.toml holds.
    #[serde(default, deserialize_with = "opt_id_text")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

impl Identity {
    /// The professional account's id under either login.
    pub fn account_id(&self) -> &str {
        self.user_id.as_deref().unwrap_or(&self.id)
    }
}

/// Meta sends ids as strings today; older answers (and some SDKs' test
/// data) have numbers. Both are ids.
fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, found {other}"
        ))),
    }
}

fn opt_id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, found {other}"
        ))),
    }
}

/// What `debug_token` says of a token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenDebug {
    #[serde(default, deserialize_with = "opt_id_text")]
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
    #[serde(default, deserialize_with = "opt_id_text")]
    pub user_id: Option<String>,
}

impl Client {
    /// Who the token acts for; also proves the token works. Facebook
    /// Login: `GET /{ig-user-id}?fields=id,username`. Instagram Login:
    /// `GET /me?fields=user_id,username`, as Meta documents for that login
    /// (`id` there is Instagram-scoped and may differ from the account id;
    /// docs/instagram.md, "Tokens and identity").
    pub async fn identity(&self) -> Result<Identity, ApiError> {
        let (node, fields) = match self.inner.login {
            super::Login::Facebook => (self.inner.user_id.clone(), "id,username"),
            super::Login::Instagram => ("me".to_string(), "id,user_id,username"),
        };
        let v = self.get(&node, vec![("fields", fields.into())]).await?;
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
        NewToken::read(&v).ok_or_else(|| ApiError::Decode {
            host: self.inner.host.clone(),
            message: "the answer holds no access_token".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_token_reads_numeric_and_text_ids() {
        let numeric: TokenDebug = serde_json::from_str(
            r#"{"app_id":1000000000000001,"type":"USER","is_valid":true,"expires_at":1767225600,"data_access_expires_at":1775001600,"scopes":["instagram_basic"],"user_id":10200000000000001}"#,
        )
        .unwrap();
        assert_eq!(numeric.app_id.as_deref(), Some("1000000000000001"));
        assert_eq!(numeric.user_id.as_deref(), Some("10200000000000001"));
        assert_eq!(numeric.expires_at, Some(1767225600));
        assert_eq!(numeric.data_access_expires_at, Some(1775001600));
        let text: TokenDebug =
            serde_json::from_str(r#"{"app_id":"7","is_valid":true,"user_id":"8"}"#).unwrap();
        assert_eq!(
            (text.app_id.as_deref(), text.user_id.as_deref()),
            (Some("7"), Some("8"))
        );
        assert!(serde_json::from_str::<TokenDebug>(r#"{"app_id":[1]}"#).is_err());
    }

    #[test]
    fn instagram_logins_identity_is_the_user_id_not_the_scoped_id() {
        let me: Identity = serde_json::from_str(
            r#"{"id":"26011112222333344","user_id":"17841400000000001","username":"studio"}"#,
        )
        .unwrap();
        assert_eq!(me.account_id(), "17841400000000001");
        let fb: Identity = serde_json::from_str(r#"{"id":17841400000000001}"#).unwrap();
        assert_eq!(fb.account_id(), "17841400000000001");
    }
}
