//! Threads' errors, typed and classified into [`ErrorClass`] by what a
//! client should do about them, and the `error_message` of an ERROR
//! container. Facts and links: docs/threads.md ("Errors"). Messages never
//! contain the token.

use crate::platform::meta::MetaError;
use crate::platform::ErrorClass;

/// Why a Threads call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ThreadsError {
    /// Meta's error object (Threads answers in the Graph API's shape).
    #[error("Threads: {0}")]
    Meta(Box<MetaError>),
    /// No answer: connection refused or reset, timeout. The request may or
    /// may not have reached Threads.
    #[error("no answer from {host}: {message}")]
    Transport { host: String, message: String },
    /// An answer that is not what the API documents.
    #[error("unexpected answer from {host}: {message}")]
    Decode { host: String, message: String },
    #[error("the token variable {var} is not set (account `{account}`); export it, or set it as a secret in CI")]
    MissingToken { var: String, account: String },
    /// Something the Threads API does not offer (e.g. comments).
    #[error("{0}")]
    Unsupported(String),
}

/// Codes of the Graph API family that Threads answers with.
pub fn classify(m: &MetaError) -> ErrorClass {
    let text = format!(
        "{} {}",
        m.message,
        m.error_user_msg.as_deref().unwrap_or("")
    );
    if text.contains("THREADS_API__LINK_LIMIT_EXCEEDED") {
        return ErrorClass::Content;
    }
    match (m.code, m.error_subcode.unwrap_or(0)) {
        (190 | 102 | 2500, _) => ErrorClass::Auth,
        (10, _) | (200..=299, _) => ErrorClass::Permission,
        (4 | 17 | 32 | 613, _) | (80001..=80010, _) => ErrorClass::RateLimited,
        // The publishing limit: Meta documents the limit but not its code;
        // code 9 (Instagram's 2207042 family) is what docs/threads.md records.
        (9, _) | (_, 2207042) => ErrorClass::QuotaReached,
        (368, _) => ErrorClass::Blocked,
        (9007, _) | (_, 2207027) => ErrorClass::NotReady,
        (24, _) | (_, 2207008) => ErrorClass::ContainerMissing,
        (9004, _) => ErrorClass::MediaFetch,
        (1 | 2, _) if m.http_status >= 500 || m.is_transient == Some(true) => ErrorClass::Transient,
        (100, _) => ErrorClass::Content,
        _ if m.http_status >= 500 || m.is_transient == Some(true) => ErrorClass::Transient,
        _ => ErrorClass::Other,
    }
}

/// An ERROR container's `error_message` (Meta's list, with its spelling
/// `INVALID_ASPEC_RATIO`): its class, and what to do.
pub fn processing_failure(error_message: &str) -> (ErrorClass, &'static str) {
    const REENCODE: &str = "re-encode the video as Threads' media specification asks (H.264, AAC, MP4/MOV), e.g. ffmpeg -i IN -c:v libx264 -pix_fmt yuv420p -r 30 -c:a aac -ac 2 -ar 48000 -movflags +faststart OUT.mp4";
    match error_message {
        "FAILED_DOWNLOADING_VIDEO" => (
            ErrorClass::MediaFetch,
            "Threads could not download the video: check that its URL is public and answers Range requests",
        ),
        "FAILED_PROCESSING_AUDIO" | "INVALID_AUDIO_CHANNELS" | "INVALID_AUDIO_CHANNEL_LAYOUT" => {
            (ErrorClass::Content, REENCODE)
        }
        "FAILED_PROCESSING_VIDEO" | "INVALID_BIT_RATE" | "INVALID_FRAME_RATE" => {
            (ErrorClass::Content, REENCODE)
        }
        "INVALID_ASPEC_RATIO" | "INVALID_ASPECT_RATIO" => (
            ErrorClass::Content,
            "the video's aspect ratio is outside what Threads accepts: crop it",
        ),
        "INVALID_DURATION" => (
            ErrorClass::Content,
            "the video is too long or too short for Threads: trim it",
        ),
        _ => (
            ErrorClass::Rebuild,
            "Threads gave no reason; apply builds a new container once; run apply again",
        ),
    }
}

impl ErrorClass {
    /// The class's advice for a Threads account.
    pub fn threads_advice(self) -> &'static str {
        match self {
            ErrorClass::Transient => "Threads had a passing problem; run apply again",
            ErrorClass::RateLimited => "the account hit Threads' rate limit; wait and run apply again",
            ErrorClass::NotReady => "Threads was still processing the media; run apply again",
            ErrorClass::Expired => "the container expired (24 h); apply builds a new one next time",
            ErrorClass::Rebuild => "Threads asked for a new container; run apply again",
            ErrorClass::ContainerMissing => "Threads could not find the container; run apply again",
            ErrorClass::QuotaReached => "the profile's 250 posts in 24 hours are used up; the post goes out on a later run",
            ErrorClass::MediaFetch => "Threads could not download the media: check that the URL is public (push the commit, check [media] base_url or store)",
            ErrorClass::Content => "fix the post file (text at most 500 characters, at most 5 links, 2 to 20 carousel items) and run apply again",
            ErrorClass::Auth => "the Threads token is expired or invalid: refresh it (postwright auth refresh) and update the secret",
            ErrorClass::Permission => "the token lacks a permission: re-authorize the Threads app with threads_basic and threads_content_publish (threads_delete for --prune)",
            ErrorClass::Blocked => "Threads has restricted the profile: check it in the Threads app before publishing again",
            ErrorClass::Unsupported => "Threads does not offer this",
            ErrorClass::Other => "see Threads' message; run apply again once it is fixed",
        }
    }
}

impl ThreadsError {
    pub fn class(&self) -> ErrorClass {
        match self {
            ThreadsError::Meta(m) => classify(m),
            ThreadsError::Transport { .. } => ErrorClass::Transient,
            ThreadsError::Decode { .. } => ErrorClass::Other,
            ThreadsError::Unsupported(_) => ErrorClass::Unsupported,
            ThreadsError::MissingToken { .. } => ErrorClass::Auth,
        }
    }

    /// One line for people: the error and what to do.
    pub fn explain(&self) -> String {
        match self {
            ThreadsError::Meta(_) => format!("{self}; {}", self.class().threads_advice()),
            ThreadsError::Transport { .. } => format!(
                "{self}; run apply again: it checks what went through before repeating anything"
            ),
            other => other.to_string(),
        }
    }

    /// Deleting a media that is gone already (the Graph API's 100/33).
    pub fn is_gone(&self) -> bool {
        matches!(self, ThreadsError::Meta(m) if m.code == 100 && m.error_subcode == Some(33))
    }
}

impl crate::platform::PlatformError for ThreadsError {
    fn class(&self) -> ErrorClass {
        ThreadsError::class(self)
    }

    fn explain(&self) -> String {
        ThreadsError::explain(self)
    }

    fn short(&self) -> String {
        match self {
            ThreadsError::Meta(m) => match m.error_subcode {
                Some(s) => format!("{}/{s}", m.code),
                None => m.code.to_string(),
            },
            other => other.to_string(),
        }
    }
}

impl From<crate::platform::Unsupported> for ThreadsError {
    fn from(u: crate::platform::Unsupported) -> Self {
        ThreadsError::Unsupported(format!("Threads has no {}", u.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn err(code: i64, sub: Option<i64>, http: u16) -> MetaError {
        MetaError {
            message: "x".into(),
            kind: Some("OAuthException".into()),
            code,
            error_subcode: sub,
            error_user_title: None,
            error_user_msg: None,
            fbtrace_id: None,
            is_transient: None,
            http_status: http,
            regain: None,
        }
    }

    #[test]
    fn codes_are_classified() {
        use ErrorClass::*;
        for (code, sub, http, class) in [
            (190, None, 400, Auth),
            (190, Some(463), 400, Auth),
            (10, None, 403, Permission),
            (200, None, 403, Permission),
            (4, None, 400, RateLimited),
            (613, None, 400, RateLimited),
            (9, None, 400, QuotaReached),
            (9007, None, 400, NotReady),
            (24, None, 400, ContainerMissing),
            (100, None, 400, Content),
            (1, None, 500, Transient),
            (2, None, 503, Transient),
            (1, None, 400, Other),
            (368, None, 400, Blocked),
            (12345, None, 502, Transient),
        ] {
            assert_eq!(
                classify(&err(code, sub, http)),
                class,
                "{code}/{sub:?} HTTP {http}"
            );
        }
    }

    #[test]
    fn the_link_limit_is_the_posts_fault() {
        let mut e = err(1, None, 400);
        e.message = "THREADS_API__LINK_LIMIT_EXCEEDED".into();
        assert_eq!(classify(&e), ErrorClass::Content);
    }

    #[test]
    fn container_error_messages_are_classified() {
        use ErrorClass::*;
        for (msg, class) in [
            ("FAILED_DOWNLOADING_VIDEO", MediaFetch),
            ("FAILED_PROCESSING_AUDIO", Content),
            ("FAILED_PROCESSING_VIDEO", Content),
            ("INVALID_ASPEC_RATIO", Content),
            ("INVALID_BIT_RATE", Content),
            ("INVALID_DURATION", Content),
            ("INVALID_FRAME_RATE", Content),
            ("INVALID_AUDIO_CHANNELS", Content),
            ("INVALID_AUDIO_CHANNEL_LAYOUT", Content),
            ("UNKNOWN", Rebuild),
            ("", Rebuild),
        ] {
            assert_eq!(processing_failure(msg).0, class, "{msg}");
        }
        assert!(processing_failure("INVALID_BIT_RATE").1.contains("ffmpeg"));
    }

    #[test]
    fn explanations_never_hold_a_token_and_say_what_to_do() {
        let e = ThreadsError::Meta(Box::new(err(190, None, 400)));
        assert!(e.explain().contains("auth refresh"), "{}", e.explain());
        let missing = ThreadsError::MissingToken {
            var: "THREADS_ACCESS_TOKEN".into(),
            account: "studio".into(),
        };
        assert!(missing.to_string().contains("THREADS_ACCESS_TOKEN"));
        assert!(missing.to_string().contains("studio"));
        assert_eq!(missing.class(), ErrorClass::Auth);
    }
}
