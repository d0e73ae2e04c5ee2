//! Mastodon's errors, typed and classified into [`ErrorClass`] by what a
//! client should do about them. An error answers `{"error": "…"}` (OAuth
//! errors add `"error_description"`) with an HTTP status; unlike Bluesky
//! there is no error name, so the status decides, and the message refines
//! two cases: a 422 for media still processing, a 403 for a disabled login.
//! Facts and links: docs/mastodon.md ("Errors", "Rate limits").
//! No message here ever holds the token: only the server's host, the call
//! (method and path, ids but no query) and what the server answered.

pub use crate::platform::http::RateLimit;
use crate::platform::ErrorClass;
use std::time::Duration;

/// An error answer from the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{call} on {host}: HTTP {status}{}{}", .error.as_deref().map(|m| format!(": {m}")).unwrap_or_default(), .description.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
pub struct ApiError {
    pub host: String,
    /// The method and path (`POST /api/v1/statuses`).
    pub call: String,
    pub status: u16,
    /// `error`, as the server wrote it.
    pub error: Option<String>,
    /// `error_description` (OAuth errors).
    pub description: Option<String>,
    pub rate: Option<RateLimit>,
}

/// Why a Mastodon call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MastodonError {
    /// The server answered with an error.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// No answer: connection refused or reset, timeout. The request may or
    /// may not have reached the server.
    #[error("{call} on {host}: no answer ({message})")]
    Transport {
        host: String,
        call: String,
        message: String,
    },
    /// An answer that is not what Mastodon's API documents.
    #[error("{call} on {host}: unexpected answer ({message})")]
    Decode {
        host: String,
        call: String,
        message: String,
    },
    /// `GET /api/v2/instance` did not describe a Mastodon-compatible
    /// server.
    #[error("{host} does not answer like a Mastodon server ({why}); check the account's instance URL (for example https://mastodon.social)")]
    NotMastodon { host: String, why: String },
    /// The `instance` setting is not an http(s) URL.
    #[error("the instance `{0}` is not an http(s) URL; write it like https://mastodon.social")]
    BadInstance(String),
    #[error("the token variable {var} is not set (account `{account}`); create an application in Mastodon's settings (Development) with the scopes write:statuses write:media, and export its access token")]
    MissingToken { var: String, account: String },
    /// The caller's `Idempotency-Key` cannot be sent as a header.
    #[error("the Idempotency-Key `{0}` is not a valid header value (use visible ASCII, at most 256 characters)")]
    BadKey(String),
    /// The server could not process an uploaded file.
    #[error("media {id} on {host}: the server could not process it ({message}); check the file's format and size against the instance's limits")]
    MediaFailed {
        host: String,
        id: String,
        message: String,
    },
    /// The file was still processing when the wait ran out.
    #[error("media {id} on {host}: still processing after {waited:?}; it is not attached until it is ready, so the post waits for a later run")]
    MediaTimeout {
        host: String,
        id: String,
        waited: Duration,
    },
    /// A status this run did not build (an earlier run built it and
    /// stopped before publishing): the post is built again.
    #[error("status {0} was built by an earlier run that stopped before publishing it; the post is built again with a new Idempotency-Key")]
    NotHeld(String),
    /// A published status that is no longer there (deleted in the app).
    #[error("status {0} is not on the server (deleted?)")]
    Gone(String),
    /// A call postwright does not make on Mastodon.
    #[error(transparent)]
    Unsupported(#[from] crate::platform::Unsupported),
}

impl MastodonError {
    pub fn status(&self) -> Option<u16> {
        match self {
            MastodonError::Api(a) => Some(a.status),
            _ => None,
        }
    }

    /// The server's `error` text, if it sent one.
    pub fn message(&self) -> Option<&str> {
        match self {
            MastodonError::Api(a) => a.error.as_deref(),
            _ => None,
        }
    }

    /// What the rate-limit headers of the answer said.
    pub fn rate(&self) -> Option<&RateLimit> {
        match self {
            MastodonError::Api(a) => a.rate.as_ref(),
            _ => None,
        }
    }

    /// The record does not exist or is not the account's: a read's
    /// answer, not a failure.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether a write may have happened although no success came back: no
    /// answer, or a server error. With the same `Idempotency-Key` inside
    /// the hour, sending again is safe; otherwise read before writing.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            MastodonError::Transport { .. } => true,
            MastodonError::Api(a) => a.status >= 500,
            _ => false,
        }
    }

    pub fn class(&self) -> ErrorClass {
        match self {
            MastodonError::Api(a) => classify(a.status, a.error.as_deref().unwrap_or("")),
            MastodonError::Transport { .. } => ErrorClass::Transient,
            MastodonError::Decode { .. } | MastodonError::NotMastodon { .. } => ErrorClass::Other,
            MastodonError::BadInstance(_) | MastodonError::BadKey(_) => ErrorClass::Other,
            MastodonError::MissingToken { .. } => ErrorClass::Auth,
            MastodonError::MediaFailed { .. } => ErrorClass::Content,
            MastodonError::MediaTimeout { .. } => ErrorClass::NotReady,
            MastodonError::Unsupported(_) => ErrorClass::Unsupported,
            MastodonError::NotHeld(_) => ErrorClass::Expired,
            MastodonError::Gone(_) => ErrorClass::Other,
        }
    }

    /// One line for people: the error and what to do.
    pub fn explain(&self) -> String {
        match self {
            MastodonError::Api(_) => format!("{self}; {}", advice(self.class())),
            MastodonError::Transport { .. } => format!(
                "{self}; run apply again: it sends a status again only with the same Idempotency-Key, or after looking for it"
            ),
            _ => self.to_string(),
        }
    }
}

/// An error answer's class, by its status, refined by its message where
/// Mastodon reuses a status for different causes.
pub fn classify(status: u16, message: &str) -> ErrorClass {
    let lower = message.to_ascii_lowercase();
    match status {
        401 => ErrorClass::Auth,
        // "This action is outside the authorized scopes" is a scope; a
        // disabled, suspended or unconfirmed login is the account.
        403 if ["disabled", "suspended", "confirmed", "approv", "moved"]
            .iter()
            .any(|w| lower.contains(w)) =>
        {
            ErrorClass::Blocked
        }
        403 => ErrorClass::Permission,
        // Mastodon's own wording for attaching media still processing.
        422 if lower.contains("not finished processing") => ErrorClass::NotReady,
        413 | 422 => ErrorClass::Content,
        429 => ErrorClass::RateLimited,
        500..=599 => ErrorClass::Transient,
        _ => ErrorClass::Other,
    }
}

/// A class's advice for a Mastodon account.
fn advice(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::Transient => "the server had a passing problem; run apply again",
        ErrorClass::RateLimited => "the account hit the server's rate limit (300 calls per 5 minutes, 30 uploads per 30 minutes); the post goes out on a later run",
        ErrorClass::NotReady => "the media is still processing; the post waits until it is ready",
        ErrorClass::Content => "fix the post file against the instance's limits (characters, attachments, media size and type) and run apply again",
        ErrorClass::Auth => "the token was refused: create a new access token in Mastodon's settings (Development) and export it",
        ErrorClass::Permission => "the token lacks a scope: create a token with write:statuses write:media (and profile or read:accounts for auth inspect)",
        ErrorClass::Blocked => "the account's login is disabled, suspended or not confirmed: check it on the server",
        _ => "see the server's message; run apply again once it is fixed",
    }
}

impl crate::platform::PlatformError for MastodonError {
    fn class(&self) -> ErrorClass {
        MastodonError::class(self)
    }

    fn explain(&self) -> String {
        MastodonError::explain(self)
    }

    fn short(&self) -> String {
        match self {
            MastodonError::Api(a) => match &a.error {
                Some(e) => format!("{} {}", a.status, e),
                None => format!("HTTP {}", a.status),
            },
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::PlatformError;

    fn api(status: u16, error: &str) -> MastodonError {
        MastodonError::Api(Box::new(ApiError {
            host: "social.example".into(),
            call: "POST /api/v1/statuses".into(),
            status,
            error: Some(error.into()),
            description: None,
            rate: None,
        }))
    }

    #[test]
    fn statuses_and_messages_are_classified() {
        let cases = [
            (401, "The access token is invalid", ErrorClass::Auth),
            (
                403,
                "This action is outside the authorized scopes",
                ErrorClass::Permission,
            ),
            (403, "Your login is currently disabled", ErrorClass::Blocked),
            (
                403,
                "Your login is currently pending approval",
                ErrorClass::Blocked,
            ),
            (
                403,
                "Your login is missing a confirmed e-mail address",
                ErrorClass::Blocked,
            ),
            (
                422,
                "Cannot attach files that have not finished processing. Try again in a moment!",
                ErrorClass::NotReady,
            ),
            (
                422,
                "Validation failed: Text can't be blank",
                ErrorClass::Content,
            ),
            (413, "", ErrorClass::Content),
            (429, "Too many requests", ErrorClass::RateLimited),
            (500, "", ErrorClass::Transient),
            (503, "", ErrorClass::Transient),
            (404, "Record not found", ErrorClass::Other),
        ];
        for (status, message, class) in cases {
            assert_eq!(api(status, message).class(), class, "{status} {message}");
        }
        assert!(api(404, "Record not found").is_not_found());
        assert!(api(502, "").outcome_unknown());
        assert!(!api(422, "Validation failed").outcome_unknown());
        let lost = MastodonError::Transport {
            host: "h".into(),
            call: "POST /api/v1/statuses".into(),
            message: "timed out".into(),
        };
        assert!(lost.outcome_unknown());
        assert_eq!(lost.class(), ErrorClass::Transient);
        let waited = MastodonError::MediaTimeout {
            host: "h".into(),
            id: "7".into(),
            waited: Duration::from_secs(60),
        };
        assert_eq!(waited.class(), ErrorClass::NotReady);
    }

    #[test]
    fn messages_say_what_to_do() {
        let e = api(401, "The access token is invalid");
        assert_eq!(
            e.to_string(),
            "POST /api/v1/statuses on social.example: HTTP 401: The access token is invalid"
        );
        assert!(e.explain().contains("new access token"), "{}", e.explain());
        assert_eq!(
            PlatformError::short(&api(422, "Validation failed: Text can't be blank")),
            "422 Validation failed: Text can't be blank"
        );
        let oauth = MastodonError::Api(Box::new(ApiError {
            host: "h".into(),
            call: "GET /api/v1/accounts/verify_credentials".into(),
            status: 401,
            error: Some("invalid_token".into()),
            description: Some("The access token was revoked".into()),
            rate: None,
        }));
        assert!(oauth
            .to_string()
            .ends_with("invalid_token (The access token was revoked)"));
        assert!(api(403, "This action is outside the authorized scopes")
            .explain()
            .contains("write:statuses"));
    }
}
