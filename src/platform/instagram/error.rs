//! Meta's errors, typed and classified by what a client should do about them.
//!
//! The classes follow Meta's error reference (docs/instagram.md, "Errors and container status"):
//! a content error is the post's fault and fails that post; a transient one
//! is retried; rate limits and account-level problems stop calls for the
//! account. Messages never contain the token.

pub use crate::platform::meta::MetaError;
pub use crate::platform::ErrorClass;

/// One subcode Meta documents (or public reports show), what it means and
/// what to do. The same table classifies error objects and the `status`
/// text of an ERROR container ("Error: Media upload has failed with error
/// code 2207076"). Facts and links: docs/instagram.md, "Errors".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subcode {
    pub subcode: i64,
    pub class: ErrorClass,
    pub meaning: &'static str,
    /// What a person can do; `None`: the class's advice says it.
    pub advice: Option<&'static str>,
}

/// Re-encoding that meets Instagram's video specification (H.264 High,
/// yuv420p, 30 fps, AAC 48 kHz, moov first).
pub const FFMPEG_REENCODE: &str = "ffmpeg -i IN -c:v libx264 -profile:v high -pix_fmt yuv420p -r 30 -c:a aac -ar 48000 -b:a 128k -movflags +faststart OUT.mp4";

const fn sub(
    subcode: i64,
    class: ErrorClass,
    meaning: &'static str,
    advice: Option<&'static str>,
) -> Subcode {
    Subcode {
        subcode,
        class,
        meaning,
        advice,
    }
}

/// Every subcode postwright handles, in Meta's table order, then the ones
/// seen only in public reports (2207076, 2207077, 2207082, 2207085).
pub const SUBCODES: &[Subcode] = {
    use ErrorClass::*;
    &[
        sub(2207001, Transient, "Instagram server error", None),
        sub(2207003, Transient, "downloading the media took too long", Some("Meta timed out fetching the media: run apply again; if it recurs, serve the media from a faster host")),
        sub(2207004, Content, "the image is larger than 8 MiB", Some("make the JPEG smaller than 8 MiB (lower quality or fewer pixels)")),
        sub(2207005, Content, "the image format is not supported", Some("save the image as a baseline sRGB JPEG")),
        sub(2207006, Rebuild, "the media was not found (Meta: possible permission error or expired token)", Some("apply built a new container; when that fails too it checks the token: refresh it if Meta calls it invalid, otherwise check that the media URL is public")),
        sub(2207008, ContainerMissing, "the container does not exist or has expired", Some("apply retried the same container, then built a new one; run apply again")),
        sub(2207009, Content, "the aspect ratio is out of range", Some("crop the image to between 4:5 and 1.91:1")),
        sub(2207010, Content, "the caption is too long", Some("shorten the caption to 2,200 characters")),
        sub(2207020, Expired, "the container has expired", None),
        sub(2207023, Content, "the media type is unknown", Some("check the post's type and media")),
        sub(2207026, Content, "the video format is not supported", Some(FFMPEG_REENCODE)),
        sub(2207027, NotReady, "the media is not ready to publish", Some("Meta was still processing the media; apply waited and retried; run apply again")),
        sub(2207028, Content, "a carousel needs 2 to 10 items", Some("give the carousel 2 to 10 media items")),
        sub(2207032, Transient, "creating the media container failed", None),
        sub(2207040, Content, "more than 20 @-mentions", Some("mention at most 20 accounts in the caption")),
        sub(2207042, QuotaReached, "the account's 24-hour publishing limit is reached", None),
        sub(2207050, Blocked, "the account is restricted or checkpointed", None),
        sub(2207051, Blocked, "the action was restricted as possible spam", None),
        sub(2207052, MediaFetch, "Meta could not fetch the media from its URL", None),
        sub(2207053, Rebuild, "an unknown upload error (videos)", Some("apply built a new container once; run apply again, and re-encode the video if it recurs")),
        sub(2207057, Content, "thumb_offset is outside the video", Some("set thumb_offset (milliseconds) to less than the video's length")),
        sub(2207076, MediaFetch, "the video download failed (public reports)", Some("Meta's fetcher reads videos with HTTP Range requests: the host must answer `Range: bytes=...` with 206 Partial Content (`Accept-Ranges: bytes`), without redirects or a login page; or send the bytes with `[media] video_upload = \"resumable\"` (Facebook Login)")),
        sub(2207077, MediaFetch, "the video download failed (public reports: a host ignoring Range requests, or a file too large)", Some("Meta's fetcher reads videos with HTTP Range requests: the host must answer `Range: bytes=...` with 206 Partial Content (`Accept-Ranges: bytes`); keep reels under 300 MB and stories under 100 MB, or send the bytes with `[media] video_upload = \"resumable\"` (Facebook Login)")),
        sub(2207082, Content, "Meta could not process the video (public reports: an audio track that does not match, or a file too large to fetch)", Some(FFMPEG_REENCODE)),
        sub(2207085, Content, "Meta could not process the video's format, duration or resolution (public reports)", Some(FFMPEG_REENCODE)),
        // Trial reels, with code 10 (which alone reads as a missing
        // permission and would stop the account): they concern this post
        // only. Not in Meta's table; docs/instagram.md, "Trial reels".
        sub(TRIAL_REEL_LIMIT, QuotaReached, "the account has shared as many trial reels as Instagram allows for now (public reports)", Some("the post goes out on a later run (or remove `trial` to publish it as a normal reel)")),
        sub(TRIAL_REELS_INELIGIBLE, Content, "the account is not eligible for trial reels (public reports)", Some("Instagram does not offer trial reels to this account (yet): remove `trial` from the post to publish it as a normal reel")),
    ]
};

/// Trial reels: the account has shared as many trial reels as Instagram
/// allows for now. Not in Meta's error table; seen with code 10 (see
/// docs/instagram.md, "Trial reels").
pub const TRIAL_REEL_LIMIT: i64 = 2207078;
/// Trial reels: the account is not (yet) eligible for trial reels; code 10.
pub const TRIAL_REELS_INELIGIBLE: i64 = 2207081;

/// The table's row for a subcode.
pub fn subcode(subcode: i64) -> Option<&'static Subcode> {
    SUBCODES.iter().find(|s| s.subcode == subcode)
}

/// The subcode in an ERROR container's `status` text, e.g. "Error: Media
/// upload has failed with error code 2207076" (Meta writes it there, not
/// in a field of its own).
pub fn subcode_in_status(status: &str) -> Option<i64> {
    let at = status.find("error code")? + "error code".len();
    let digits: String = status[at..]
        .trim_start_matches([' ', ':'])
        .chars()
        .take_while(char::is_ascii_digit)
        .take(11)
        .collect();
    // Meta's subcodes have seven digits; a longer run is not one.
    (digits.len() <= 10).then(|| digits.parse().ok()).flatten()
}

impl crate::platform::PlatformError for ApiError {
    fn class(&self) -> ErrorClass {
        ApiError::class(self)
    }

    fn explain(&self) -> String {
        ApiError::explain(self)
    }

    /// "code/subcode" of a Meta error, or the error itself.
    fn short(&self) -> String {
        match self {
            ApiError::Meta(m) => match m.error_subcode {
                Some(s) => format!("{}/{s}", m.code),
                None => m.code.to_string(),
            },
            other => other.to_string(),
        }
    }

    /// 2207006: "the media was not found", which Meta says may also be a
    /// permission error or an expired token.
    fn suspect_token(&self) -> bool {
        matches!(self, ApiError::Meta(m) if m.error_subcode == Some(2207006))
    }
}

impl ApiError {
    /// Deleting a media that is gone already (100/33).
    pub fn is_gone(&self) -> bool {
        matches!(self, ApiError::Meta(m) if m.code == 100 && m.error_subcode == Some(33))
    }
}

impl MetaError {
    /// The class: by subcode where Meta's table has one (subcodes are
    /// unique across codes), else by code, then `is_transient`.
    pub fn class(&self) -> ErrorClass {
        let sub = self.error_subcode.unwrap_or(0);
        if let Some(known) = subcode(sub) {
            return known.class;
        }
        match (self.code, sub) {
            (9007, _) => ErrorClass::NotReady,
            (9004, _) => ErrorClass::MediaFetch,
            (368, _) => ErrorClass::Blocked,
            (4 | 17 | 32 | 613 | 80001 | 80002, _) => ErrorClass::RateLimited,
            // Code 1 is also Meta's answer to a wrong client secret (HTTP
            // 400, not transient): retrying that would only hide it.
            (1, 0) if self.http_status < 500 && self.is_transient != Some(true) => {
                ErrorClass::Other
            }
            (1 | 2, 0) => ErrorClass::Transient,
            (190, _) | (102, _) => ErrorClass::Auth,
            (10, _) | (200..=299, _) => ErrorClass::Permission,
            (36000..=36004, _) | (352, _) | (100, _) => ErrorClass::Content,
            _ if self.http_status >= 500 => ErrorClass::Transient,
            _ if self.is_transient == Some(true) => ErrorClass::Transient,
            _ => ErrorClass::Other,
        }
    }

    /// What the person running postwright should do.
    pub fn advice(&self) -> &'static str {
        self.error_subcode
            .and_then(subcode)
            .and_then(|s| s.advice)
            .unwrap_or_else(|| self.class().advice())
    }
}

impl ErrorClass {
    /// The class's own advice, when no subcode says more.
    pub fn advice(self) -> &'static str {
        match self {
            ErrorClass::Transient => "Instagram had a passing problem; run apply again",
            ErrorClass::RateLimited => "the account hit Meta's rate limit; wait and run apply again (the next scheduled run will)",
            ErrorClass::NotReady => "the media was still processing; run apply again",
            ErrorClass::Expired => "the container expired; apply builds a new one next time",
            ErrorClass::Rebuild => "Meta asked for a new container; apply built one once; run apply again",
            ErrorClass::ContainerMissing => "Meta could not find the container; apply retried it and built a new one; run apply again",
            ErrorClass::QuotaReached => "the account's 24-hour publishing limit is used up; the post goes out on a later run",
            ErrorClass::MediaFetch => "Meta could not download the media: check that the URL is public (push the commit, check [media] base_url or store)",
            ErrorClass::Content => "fix the post file and run apply again",
            ErrorClass::Auth => "the token is expired or invalid: refresh it (postwright auth refresh) and update the secret",
            ErrorClass::Permission => "the token lacks a permission: re-authorize the app with the publishing scopes",
            ErrorClass::Blocked => "Instagram has restricted the account: check the account in the Instagram app before publishing again",
            ErrorClass::Unsupported => "Instagram does not offer this for the account's login",
            ErrorClass::Other => "see Meta's message; run apply again once it is fixed",
        }
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
    /// Meta's usage headers say the account is at its rate limit until
    /// later than the run may wait: no call was made.
    #[error("Meta reports {percent} % of the account's rate limit used, with access back in {} min — longer than [api] max_rate_wait_secs ({} s)", regain.as_secs().div_ceil(60), max.as_secs())]
    Throttled {
        percent: u32,
        regain: std::time::Duration,
        max: std::time::Duration,
    },
    #[error("the token variable {var} is not set (account `{account}`); export it, or set it as a secret in CI")]
    MissingToken { var: String, account: String },
    /// A call Instagram does not offer for this account (see its
    /// capabilities): never made.
    #[error("Instagram offers no {0} here")]
    Unsupported(String),
}

impl From<crate::platform::Unsupported> for ApiError {
    fn from(u: crate::platform::Unsupported) -> Self {
        ApiError::Unsupported(u.0)
    }
}

impl ApiError {
    pub fn class(&self) -> ErrorClass {
        match self {
            ApiError::Meta(m) => m.class(),
            ApiError::Transport { .. } => ErrorClass::Transient,
            ApiError::Decode { .. } => ErrorClass::Other,
            ApiError::MissingToken { .. } => ErrorClass::Auth,
            ApiError::Throttled { .. } => ErrorClass::RateLimited,
            ApiError::Unsupported(_) => ErrorClass::Unsupported,
        }
    }

    /// One line for people: the error and what to do.
    pub fn explain(&self) -> String {
        match self {
            ApiError::Meta(m) => format!("{m}; {}", m.advice()),
            ApiError::Transport { .. } => format!(
                "{self}; run apply again: it checks what went through before repeating anything"
            ),
            ApiError::Throttled { .. } => format!(
                "{self}; the account's remaining posts wait for a later run (calling now would extend the block)"
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
            (24, Some(2207008), ContainerMissing),
            (24, Some(2207006), Rebuild),
            (-1, Some(2207053), Rebuild),
            (9004, Some(2207077), MediaFetch),
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

    /// The README's error table is the user's copy of `SUBCODES`.
    #[test]
    fn the_readme_lists_every_subcode_with_its_class() {
        let readme = include_str!("../../../README.md");
        for s in SUBCODES {
            let class = serde_json::to_value(s.class).unwrap();
            let class = class.as_str().unwrap();
            let row = readme
                .lines()
                .find(|l| l.starts_with(&format!("| {} |", s.subcode)))
                .unwrap_or_else(|| panic!("README has no row for {}", s.subcode));
            assert!(
                row.contains(&format!("| {class} |")),
                "README's row for {} should say {class}: {row}",
                s.subcode
            );
        }
    }

    #[test]
    fn the_subcode_is_read_from_a_containers_status_text() {
        for (text, sub) in [
            (
                "Error: Media upload has failed with error code 2207076",
                Some(2207076),
            ),
            ("Error: error code: 2207026.", Some(2207026)),
            ("ERROR", None),
            ("Error: error code 99999999999999999999", None),
            ("", None),
        ] {
            assert_eq!(subcode_in_status(text), sub, "{text:?}");
        }
    }

    #[test]
    fn every_subcode_is_listed_once_and_format_errors_name_the_fix() {
        let mut seen = std::collections::BTreeSet::new();
        for s in SUBCODES {
            assert!(seen.insert(s.subcode), "{} twice", s.subcode);
        }
        let e = err(352, Some(2207026));
        assert!(e.advice().contains("ffmpeg"), "{}", e.advice());
        let e = err(-1, Some(2207077));
        assert!(e.advice().contains("Range"), "{}", e.advice());
        // A subcode Meta has not documented falls back on the code.
        assert_eq!(err(9004, Some(2209999)).class(), ErrorClass::MediaFetch);
    }
}
