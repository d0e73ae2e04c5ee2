//! Meta's errors, typed and classified by what a client should do about them.
//!
//! The classes follow Meta's error reference (see instagram-api.md, "Errors"):
//! a content error is the post's fault and fails that post; a transient one
//! is retried; rate limits and account-level problems stop calls for the
//! account. Messages never contain the token.

use serde::Deserialize;
use std::fmt;

/// What to do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorClass {
    /// Server trouble, timeouts, resets: retry with backoff.
    Transient,
    /// Too many calls: stop calling for this account and wait.
    RateLimited,
    /// The container is still processing: poll, then publish.
    NotReady,
    /// The container expired or vanished: build a new one.
    Expired,
    /// The publishing limit (content_publishing_limit) is used up: defer.
    QuotaReached,
    /// Meta could not download a media URL: fix the hosting.
    MediaFetch,
    /// The post itself is not acceptable: fix the file.
    Content,
    /// The token is expired or invalid: refresh it.
    Auth,
    /// A scope is missing: re-authorize with it.
    Permission,
    /// The account is blocked or restricted: stop publishing.
    Blocked,
    /// Anything else.
    Other,
}

impl ErrorClass {
    /// Whether every further call for the account should stop.
    pub fn stops_account(self) -> bool {
        matches!(
            self,
            ErrorClass::Auth
                | ErrorClass::Permission
                | ErrorClass::Blocked
                | ErrorClass::RateLimited
        )
    }
}

/// Meta's error object: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
pub struct MetaError {
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub error_subcode: Option<i64>,
    #[serde(default)]
    pub error_user_title: Option<String>,
    #[serde(default)]
    pub error_user_msg: Option<String>,
    #[serde(default)]
    pub fbtrace_id: Option<String>,
    #[serde(default)]
    pub is_transient: Option<bool>,
    /// The HTTP status it came with.
    #[serde(skip)]
    pub http_status: u16,
    /// Rate limits: when Meta says access returns (usage headers).
    #[serde(skip)]
    pub regain: Option<std::time::Duration>,
}

/// Trial reels: the account has shared as many trial reels as Instagram
/// allows for now. Not in Meta's error table; seen with code 10 (see
/// docs/instagram.md, "Trial reels").
pub const TRIAL_REEL_LIMIT: i64 = 2207078;
/// Trial reels: the account is not (yet) eligible for trial reels; code 10.
pub const TRIAL_REELS_INELIGIBLE: i64 = 2207081;

impl MetaError {
    /// The class by code and subcode (Meta's tables), then `is_transient`.
    pub fn class(&self) -> ErrorClass {
        let sub = self.error_subcode.unwrap_or(0);
        match (self.code, sub) {
            // Trial reels come with code 10, which alone reads as a missing
            // permission and would stop the account: they concern this
            // post only.
            (_, TRIAL_REEL_LIMIT) => ErrorClass::QuotaReached,
            (_, TRIAL_REELS_INELIGIBLE) => ErrorClass::Content,
            (9, 2207042) => ErrorClass::QuotaReached,
            (9007, _) | (_, 2207027) => ErrorClass::NotReady,
            (-2, 2207020) | (24, 2207008) => ErrorClass::Expired,
            (9004, _) | (_, 2207052) => ErrorClass::MediaFetch,
            (-2, 2207003) => ErrorClass::Transient,
            (4, 2207051) | (368, _) | (25, 2207050) | (_, 2207050) => ErrorClass::Blocked,
            (4 | 17 | 32 | 613 | 80001 | 80002, _) => ErrorClass::RateLimited,
            // Code 1 is also Meta's answer to a wrong client secret (HTTP
            // 400, not transient): retrying that would only hide it.
            (1, 0) if self.http_status < 500 && self.is_transient != Some(true) => {
                ErrorClass::Other
            }
            (1 | 2, 0) | (-1, 2207001 | 2207032) | (1 | 2, 2207001 | 2207032) => {
                ErrorClass::Transient
            }
            (190, _) | (102, _) => ErrorClass::Auth,
            (10, _) | (200..=299, _) => ErrorClass::Permission,
            (24, 2207006) => ErrorClass::Permission,
            (36000..=36004, _) | (352, _) | (100, _) | (1, 2207057) => ErrorClass::Content,
            _ if self.http_status >= 500 => ErrorClass::Transient,
            _ if self.is_transient == Some(true) => ErrorClass::Transient,
            _ => ErrorClass::Other,
        }
    }

    /// What the person running postwright should do.
    pub fn advice(&self) -> &'static str {
        match self.error_subcode {
            Some(TRIAL_REEL_LIMIT) => return "the account has shared as many trial reels as Instagram allows for now; the post goes out on a later run (or remove `trial` to publish it as a normal reel)",
            Some(TRIAL_REELS_INELIGIBLE) => return "Instagram does not offer trial reels to this account (yet): remove `trial` from the post to publish it as a normal reel",
            _ => {}
        }
        match self.class() {
            ErrorClass::Transient => "Instagram had a passing problem; run apply again",
            ErrorClass::RateLimited => "the account hit Meta's rate limit; wait and run apply again (the next scheduled run will)",
            ErrorClass::NotReady => "the media was still processing; run apply again",
            ErrorClass::Expired => "the container expired; apply builds a new one next time",
            ErrorClass::QuotaReached => "the account's 24-hour publishing limit is used up; the post goes out on a later run",
            ErrorClass::MediaFetch => "Meta could not download the media: check that the URL is public (push the commit, check [media] base_url)",
            ErrorClass::Content => "fix the post file and run apply again",
            ErrorClass::Auth => "the token is expired or invalid: refresh it (postwright auth refresh) and update the secret",
            ErrorClass::Permission => "the token lacks a permission: re-authorize the app with the publishing scopes",
            ErrorClass::Blocked => "Instagram has restricted the account: check the account in the Instagram app before publishing again",
            ErrorClass::Other => "see Meta's message; run apply again once it is fixed",
        }
    }
}

impl fmt::Display for MetaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Meta error {}", self.code)?;
        if let Some(s) = self.error_subcode {
            write!(f, "/{s}")?;
        }
        let msg = self.error_user_msg.as_deref().unwrap_or(&self.message);
        write!(f, ": {msg}")?;
        if let Some(r) = self.regain {
            write!(
                f,
                " (Meta expects access back in {} min)",
                r.as_secs().div_ceil(60)
            )?;
        }
        if let Some(t) = &self.fbtrace_id {
            write!(f, " (fbtrace_id {t})")?;
        }
        Ok(())
    }
}

/// Why a Graph call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Meta(Box<MetaError>),
    /// No answer: connection refused or reset, timeout. The request may or
    /// may not have reached Meta.
    #[error("no answer from {host}: {message}")]
    Transport { host: String, message: String },
    /// An answer that is not what the API documents.
    #[error("unexpected answer from {host}: {message}")]
    Decode { host: String, message: String },
    #[error("the token variable {var} is not set (account `{account}`); export it, or set it as a secret in CI")]
    MissingToken { var: String, account: String },
}

impl ApiError {
    pub fn class(&self) -> ErrorClass {
        match self {
            ApiError::Meta(m) => m.class(),
            ApiError::Transport { .. } => ErrorClass::Transient,
            ApiError::Decode { .. } => ErrorClass::Other,
            ApiError::MissingToken { .. } => ErrorClass::Auth,
        }
    }

    /// One line for people: the error and what to do.
    pub fn explain(&self) -> String {
        match self {
            ApiError::Meta(m) => format!("{m}; {}", m.advice()),
            ApiError::Transport { .. } => format!(
                "{self}; run apply again: it checks what went through before repeating anything"
            ),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: i64, sub: Option<i64>) -> MetaError {
        MetaError {
            message: "x".into(),
            kind: None,
            code,
            error_subcode: sub,
            error_user_title: None,
            error_user_msg: None,
            fbtrace_id: None,
            is_transient: None,
            http_status: 400,
            regain: None,
        }
    }

    #[test]
    fn code_1_is_transient_only_as_server_trouble() {
        let mut e = err(1, None);
        assert_eq!(
            e.class(),
            ErrorClass::Other,
            "HTTP 400: e.g. a wrong client secret"
        );
        e.http_status = 500;
        assert_eq!(e.class(), ErrorClass::Transient);
        e.http_status = 400;
        e.is_transient = Some(true);
        assert_eq!(e.class(), ErrorClass::Transient);
    }

    #[test]
    fn classes_follow_metas_table() {
        use ErrorClass::*;
        for (code, sub, class) in [
            (1, Some(2207001), Transient),
            (2, None, Transient),
            (-1, Some(2207001), Transient),
            (-1, Some(2207032), Transient),
            (4, None, RateLimited),
            (17, None, RateLimited),
            (32, None, RateLimited),
            (613, None, RateLimited),
            (80002, None, RateLimited),
            (9, Some(2207042), QuotaReached),
            (9007, Some(2207027), NotReady),
            (24, Some(2207008), Expired),
            (-2, Some(2207020), Expired),
            (-2, Some(2207003), Transient),
            (9004, Some(2207052), MediaFetch),
            (36000, Some(2207004), Content),
            (36003, Some(2207009), Content),
            (100, Some(2207028), Content),
            (352, Some(2207026), Content),
            (1, Some(2207057), Content),
            (190, Some(463), Auth),
            (10, None, Permission),
            (200, None, Permission),
            (368, None, Blocked),
            (4, Some(2207051), Blocked),
            (25, Some(2207050), Blocked),
        ] {
            assert_eq!(err(code, sub).class(), class, "{code}/{sub:?}");
        }
    }

    #[test]
    fn trial_reel_refusals_concern_the_post_not_the_account() {
        use ErrorClass::*;
        for (code, sub, class, advice) in [
            (10, TRIAL_REEL_LIMIT, QuotaReached, "later run"),
            (10, TRIAL_REELS_INELIGIBLE, Content, "remove `trial`"),
            (100, TRIAL_REELS_INELIGIBLE, Content, "remove `trial`"),
        ] {
            let e = err(code, Some(sub));
            assert_eq!(e.class(), class, "{code}/{sub}");
            assert!(!e.class().stops_account(), "{code}/{sub}");
            assert!(e.advice().contains(advice), "{code}/{sub}: {}", e.advice());
        }
        assert_eq!(err(10, None).class(), Permission, "code 10 alone still is");
    }
}
