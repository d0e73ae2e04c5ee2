//! Bluesky's errors, typed and classified into [`ErrorClass`] by what a
//! client should do about them. An XRPC error answers
//! `{"error": "<Name>", "message": "…"}` with an HTTP status; the name says
//! more than the status (an expired access token is a 400 `ExpiredToken`,
//! not a 401). Facts and links: docs/bluesky.md ("Errors", "Rate limits").
//! No message here ever holds the password or a token: only the PDS's host,
//! the call's name and what the PDS answered.

use super::record::RecordError;
use super::richtext::Unresolved;
use super::tid::TidError;
pub use crate::platform::http::RateLimit;
use crate::platform::ErrorClass;

/// An XRPC error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{call} on {host}: HTTP {status} {name}{}", .message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
pub struct XrpcError {
    pub host: String,
    /// The method (`com.atproto.repo.createRecord`).
    pub call: String,
    pub status: u16,
    /// The error's name (`ExpiredToken`), or the status's when the body
    /// had none.
    pub name: String,
    pub message: Option<String>,
    pub rate: Option<RateLimit>,
}

/// Why a Bluesky call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BlueskyError {
    /// The PDS answered with an XRPC error.
    #[error(transparent)]
    Xrpc(Box<XrpcError>),
    /// No answer: connection refused or reset, timeout. The request may or
    /// may not have reached the PDS.
    #[error("{call} on {host}: no answer ({message})")]
    Transport {
        host: String,
        call: String,
        message: String,
    },
    /// An answer that is not what the lexicon says.
    #[error("{call} on {host}: unexpected answer ({message})")]
    Decode {
        host: String,
        call: String,
        message: String,
    },
    #[error("the app password variable {var} is not set (account `{account}`); create an app password in Bluesky's settings and export it, or set it as a secret in CI")]
    MissingPassword { var: String, account: String },
    #[error(transparent)]
    Unresolved(#[from] Unresolved),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Tid(#[from] TidError),
    /// A record key this run did not build (an earlier run built it and
    /// stopped before publishing): the post is built again.
    #[error("record key {0} was built by an earlier run that stopped before publishing it; the post is built again with a new key")]
    NotHeld(String),
    /// A published post that is no longer there (deleted in the app).
    #[error("{0} is not on the PDS (deleted?)")]
    Gone(String),
    /// A media file that cannot be read or sent as it is.
    #[error("{0}")]
    Media(String),
    /// A call Bluesky does not offer.
    #[error(transparent)]
    Unsupported(#[from] crate::platform::Unsupported),
}

impl BlueskyError {
    /// The XRPC error's name, if the PDS answered with one.
    pub fn name(&self) -> Option<&str> {
        match self {
            BlueskyError::Xrpc(x) => Some(&x.name),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            BlueskyError::Xrpc(x) => Some(x.status),
            _ => None,
        }
    }

    /// What the rate-limit headers of the answer said.
    pub fn rate(&self) -> Option<&RateLimit> {
        match self {
            BlueskyError::Xrpc(x) => x.rate.as_ref(),
            _ => None,
        }
    }

    /// The record (or repository) does not exist: a read's answer, not a
    /// failure.
    pub fn is_not_found(&self) -> bool {
        matches!(self.name(), Some("RecordNotFound" | "RepoNotFound"))
    }

    /// The access token expired: refresh the session and call again.
    pub fn is_expired_token(&self) -> bool {
        self.name() == Some("ExpiredToken")
    }

    /// Whether a write may have happened although no success came back: no
    /// answer, or a server error (the reference PDS answers a reused
    /// record key with 500, so a 500 after a lost answer may mean "already
    /// written"). Read before writing again.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            BlueskyError::Transport { .. } => true,
            BlueskyError::Xrpc(x) => x.status >= 500,
            _ => false,
        }
    }

    pub fn class(&self) -> ErrorClass {
        match self {
            BlueskyError::Xrpc(x) => classify(x.status, &x.name),
            BlueskyError::Transport { .. } => ErrorClass::Transient,
            BlueskyError::Decode { .. } => ErrorClass::Other,
            BlueskyError::MissingPassword { .. } => ErrorClass::Auth,
            BlueskyError::Unresolved(_)
            | BlueskyError::Record(_)
            | BlueskyError::Tid(_)
            | BlueskyError::Media(_) => ErrorClass::Content,
            BlueskyError::NotHeld(_) => ErrorClass::Expired,
            BlueskyError::Gone(_) => ErrorClass::Other,
            BlueskyError::Unsupported(_) => ErrorClass::Unsupported,
        }
    }

    /// One line for people: the error and what to do.
    pub fn explain(&self) -> String {
        let advice = match self {
            BlueskyError::Xrpc(x) if x.name == "AuthFactorTokenRequired" => {
                "the account asks for an email code at sign-in: use an app password (Settings → Privacy and security → App passwords), which does not"
            }
            BlueskyError::Xrpc(_) => advice(self.class()),
            BlueskyError::Transport { .. } => {
                "run apply again: it reads what went through before writing anything again"
            }
            _ => return self.to_string(),
        };
        format!("{self}; {advice}")
    }
}

/// An XRPC error's class, by its name first, then its status.
pub fn classify(status: u16, name: &str) -> ErrorClass {
    match name {
        "RateLimitExceeded" => ErrorClass::RateLimited,
        "ExpiredToken"
        | "InvalidToken"
        | "AuthMissing"
        | "AuthenticationRequired"
        | "AuthFactorTokenRequired" => ErrorClass::Auth,
        "AccountTakedown" | "AccountDeactivated" | "AccountSuspended" | "RepoTakendown"
        | "RepoDeactivated" | "RepoSuspended" => ErrorClass::Blocked,
        "PayloadTooLarge" | "InvalidRequest" | "InvalidSize" | "InvalidMimeType"
        | "BlobTooLarge" | "HandleNotFound" | "InvalidSwap" => ErrorClass::Content,
        _ => match status {
            429 => ErrorClass::RateLimited,
            401 => ErrorClass::Auth,
            403 => ErrorClass::Permission,
            413 => ErrorClass::Content,
            500..=599 => ErrorClass::Transient,
            _ => ErrorClass::Other,
        },
    }
}

/// A class's advice for a Bluesky account.
fn advice(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::Transient => "the PDS had a passing problem; run apply again (it reads what went through first)",
        ErrorClass::RateLimited => "the account hit Bluesky's rate limit; the post goes out on a later run",
        ErrorClass::Content => "fix the post file (text at most 300 graphemes, at most 4 images of 2,000,000 bytes, a video within the PDS's upload limit) and run apply again",
        ErrorClass::Auth => "the handle or app password was refused, or the session ended: check the handle and create a new app password in Bluesky's settings",
        ErrorClass::Permission => "the app password lacks a permission: create a new one",
        ErrorClass::Blocked => "the account is taken down, suspended or deactivated: check it in the Bluesky app",
        _ => "see the PDS's message; run apply again once it is fixed",
    }
}

impl crate::platform::PlatformError for BlueskyError {
    fn class(&self) -> ErrorClass {
        BlueskyError::class(self)
    }

    fn explain(&self) -> String {
        BlueskyError::explain(self)
    }

    fn short(&self) -> String {
        match self {
            BlueskyError::Xrpc(x) => format!("{} {}", x.status, x.name),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::PlatformError;

    fn xrpc(status: u16, name: &str) -> BlueskyError {
        BlueskyError::Xrpc(Box::new(XrpcError {
            host: "pds.example".into(),
            call: "com.atproto.repo.createRecord".into(),
            status,
            name: name.into(),
            message: Some("m".into()),
            rate: None,
        }))
    }

    #[test]
    fn names_and_statuses_are_classified() {
        let cases = [
            (429, "RateLimitExceeded", ErrorClass::RateLimited),
            (400, "ExpiredToken", ErrorClass::Auth),
            (401, "AuthMissing", ErrorClass::Auth),
            (401, "AuthenticationRequired", ErrorClass::Auth),
            (400, "InvalidToken", ErrorClass::Auth),
            (401, "AccountTakedown", ErrorClass::Blocked),
            (413, "PayloadTooLarge", ErrorClass::Content),
            (400, "InvalidRequest", ErrorClass::Content),
            (400, "InvalidSize", ErrorClass::Content),
            (400, "InvalidMimeType", ErrorClass::Content),
            (500, "InternalServerError", ErrorClass::Transient),
            (502, "UpstreamFailure", ErrorClass::Transient),
            (503, "NotEnoughResources", ErrorClass::Transient),
            (400, "RecordNotFound", ErrorClass::Other),
            (403, "Forbidden", ErrorClass::Permission),
            (418, "Teapot", ErrorClass::Other),
        ];
        for (status, name, class) in cases {
            assert_eq!(xrpc(status, name).class(), class, "{status} {name}");
        }
        assert!(xrpc(400, "RecordNotFound").is_not_found());
        assert!(!xrpc(400, "InvalidRequest").is_not_found());
        assert!(xrpc(400, "ExpiredToken").is_expired_token());
        assert!(xrpc(500, "InternalServerError").outcome_unknown());
        assert!(!xrpc(400, "InvalidRequest").outcome_unknown());
        let lost = BlueskyError::Transport {
            host: "h".into(),
            call: "c".into(),
            message: "timed out".into(),
        };
        assert!(lost.outcome_unknown());
        assert_eq!(lost.class(), ErrorClass::Transient);
    }

    #[test]
    fn messages_say_what_to_do() {
        let e = xrpc(401, "AuthFactorTokenRequired");
        assert!(e.explain().contains("app password"), "{}", e.explain());
        assert_eq!(
            xrpc(429, "RateLimitExceeded").to_string(),
            "com.atproto.repo.createRecord on pds.example: HTTP 429 RateLimitExceeded: m"
        );
        assert_eq!(
            PlatformError::short(&xrpc(500, "InternalServerError")),
            "500 InternalServerError"
        );
        assert!(xrpc(413, "PayloadTooLarge")
            .explain()
            .contains("fix the post file"));
    }
}
