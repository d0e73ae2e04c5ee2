//! Threads token endpoints (docs/threads.md, "Tokens"): who a token acts
//! for (`/me`), its expiry and scopes (`debug_token`), and a refresh
//! (`refresh_access_token`, `th_refresh_token`).
//!
//! Meta's examples put the tokens in the query string. A URL ends up in
//! proxy and server logs, so postwright sends the token in the
//! `Authorization: Bearer` header (which the Graph API family reads for
//! every call) and `debug_token`'s `input_token` in a form-encoded POST
//! body with `method=GET`, as the Instagram client does.

use super::{Client, Retry, ThreadsError};
use crate::platform::meta::NewToken;
use serde::Deserialize;
use serde_json::Value;

/// The profile a token acts for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Identity {
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    #[serde(default)]
    pub username: Option<String>,
}

/// What `debug_token` says of a token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TokenDebug {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub is_valid: bool,
    /// Unix seconds; 0 means it never expires.
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub issued_at: Option<i64>,
    #[serde(default)]
    pub data_access_expires_at: Option<i64>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub user_id: Option<Value>,
}

fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, found {other}"
        ))),
    }
}

impl Client {
    /// `GET /me?fields=id,username`: also proves the token works.
    pub async fn identity(&self) -> Result<Identity, ThreadsError> {
        let v = self
            .get("me", vec![("fields", "id,username".into())])
            .await?;
        self.decode(v)
    }

    /// `debug_token` on the token itself (Meta: the caller's token must be
    /// a Threads tester's of the same app; for anyone else it fails, and
    /// the expiry stays unknown).
    pub async fn debug_token(&self) -> Result<TokenDebug, ThreadsError> {
        let url = format!("{}/{}/debug_token", self.host(), super::API_VERSION);
        let request = self.inner.http.post(url).form(&[
            ("input_token", self.inner.token.expose()),
            ("method", "GET"),
        ]);
        let v = self.send(request, Retry::Safe).await?;
        self.decode(v.get("data").cloned().unwrap_or(Value::Null))
    }

    /// `GET /refresh_access_token?grant_type=th_refresh_token` on the
    /// unversioned host path, as Meta documents it: a long-lived token at
    /// least 24 hours old and not expired → a new one for 60 days. The
    /// token goes in the `Authorization` header, not the query.
    pub async fn refresh(&self) -> Result<NewToken, ThreadsError> {
        let url = format!("{}/refresh_access_token", self.host());
        let request = self
            .inner
            .http
            .get(url)
            .query(&[("grant_type", "th_refresh_token")]);
        let v = self.send(request, Retry::Safe).await?;
        NewToken::read(&v).ok_or_else(|| ThreadsError::Decode {
            host: self.host().to_string(),
            message: "the answer holds no access_token".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_and_debug_answers_are_read() {
        let me: Identity = serde_json::from_str(r#"{"id":1234567,"username":"studio"}"#).unwrap();
        assert_eq!(me.id, "1234567");
        let d: TokenDebug = serde_json::from_str(
            r#"{"type":"USER","application":"Threads API Test App","data_access_expires_at":1754846089,"expires_at":1752254132,"is_valid":true,"issued_at":1747070132,"scopes":["threads_basic","threads_content_publish"],"user_id":"101"}"#,
        )
        .unwrap();
        assert!(d.is_valid);
        assert_eq!(d.expires_at, Some(1752254132));
        assert_eq!(d.scopes.len(), 2);
    }
}
