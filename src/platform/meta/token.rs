//! Meta's tokens, the same on the Graph API and on Threads: the app's
//! credentials, a token just issued, and what `debug_token` says of one.

use crate::auth::{deadline, Inspection, Renewed};
use crate::platform::Secret;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

/// The variable holding the app's id (for `debug_token` and exchanges).
pub const APP_ID_ENV: &str = "POSTWRIGHT_APP_ID";
/// The variable holding the app secret, for `appsecret_proof`.
pub const APP_SECRET_ENV: &str = "POSTWRIGHT_APP_SECRET";

/// The app's id and secret, for the calls that need them.
#[derive(Debug, Clone)]
pub struct App {
    pub id: String,
    pub secret: Secret,
}

/// The app credentials from the environment, when both are set.
pub fn app_from_env() -> Option<App> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    Some(App {
        id: get(APP_ID_ENV)?.trim().to_string(),
        secret: Secret::new(get(APP_SECRET_ENV)?.trim()),
    })
}

/// A token Meta just issued.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub token: Secret,
    pub token_type: Option<String>,
    /// Seconds from now; absent for tokens that do not expire.
    pub expires_in: Option<u64>,
}

impl NewToken {
    /// An exchange's or a refresh's answer (`access_token`, `token_type`,
    /// `expires_in` in seconds, a number or a string): the same on the
    /// Graph API and on Threads. None without a token.
    pub fn read(v: &Value) -> Option<NewToken> {
        let token = v
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())?;
        Some(NewToken {
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

    /// The renewed credential `auth refresh` hands out, its expiry counted
    /// from `now`.
    pub fn renewed(self, now: Timestamp) -> Renewed {
        let expires_at = self.expires_in.and_then(|s| {
            now.checked_add(SignedDuration::from_secs(i64::try_from(s).ok()?))
                .ok()
        });
        Renewed {
            token: self.token,
            expires_at,
        }
    }
}

/// What a `debug_token` answer says of a token's life, on either platform.
pub(crate) struct Validity {
    pub kind: Option<String>,
    pub is_valid: bool,
    /// Seconds since the epoch; 0: never.
    pub expires_at: Option<i64>,
}

/// Records a token's kind and expiry, and says when it is no longer valid,
/// expired or about to expire (`refresh`: what to do about it).
pub(crate) fn read_validity(
    out: &mut Inspection,
    v: Validity,
    var: &str,
    refresh: &str,
    now: Timestamp,
) {
    out.kind = v.kind;
    match v.expires_at {
        Some(0) => out.never_expires = true,
        Some(secs) => out.expires_at = Timestamp::from_second(secs).ok(),
        None => {}
    }
    if !v.is_valid {
        out.errors.push(format!(
            "Meta reports the token in {var} as no longer valid; {refresh}"
        ));
    }
    if let Some(at) = out.expires_at {
        deadline(
            out,
            at,
            now,
            format!("the token in {var} expired {at}; {refresh}"),
            |left| format!("the token in {var} expires {at} (in {left}); {refresh}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewed_expiry_counts_from_now() {
        let now: Timestamp = "2026-11-28T00:00:00Z".parse().unwrap();
        let r = NewToken {
            token: Secret::new("x"),
            token_type: None,
            expires_in: Some(5_184_000),
        }
        .renewed(now);
        assert_eq!(r.expires_at.unwrap().to_string(), "2027-01-27T00:00:00Z");
    }
}
