//! The server's limits, from `GET /api/v2/instance` (Mastodon 4.0 and
//! later; public, no token): `configuration.statuses` and
//! `configuration.media_attachments` and `configuration.polls`. Without a
//! server, [`InstanceLimits::default`] holds Mastodon's own defaults, which
//! validate uses offline. Facts and links: docs/mastodon.md ("Limits").

use super::api::{Api, Call};
use super::error::MastodonError;
use serde_json::Value;

/// What a status may hold on a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceLimits {
    /// `statuses.max_characters`.
    pub max_characters: usize,
    /// `statuses.max_media_attachments`.
    pub max_media_attachments: usize,
    /// `statuses.characters_reserved_per_url`: what every URL counts.
    pub characters_reserved_per_url: usize,
    /// `media_attachments.supported_mime_types`.
    pub supported_mime_types: Vec<String>,
    /// `media_attachments.image_size_limit`, bytes.
    pub image_size_limit: u64,
    /// `media_attachments.image_matrix_limit`, pixels (width × height).
    pub image_matrix_limit: u64,
    /// `media_attachments.video_size_limit`, bytes.
    pub video_size_limit: u64,
    /// `media_attachments.video_frame_rate_limit`, frames per second.
    pub video_frame_rate_limit: u64,
    /// `media_attachments.video_matrix_limit`, pixels.
    pub video_matrix_limit: u64,
    /// `media_attachments.description_limit` (alt text), characters; only
    /// since Mastodon 4.4.
    pub description_limit: usize,
    /// `polls.max_options`.
    pub poll_max_options: usize,
    /// `polls.max_characters_per_option`.
    pub poll_max_characters_per_option: usize,
    /// `polls.min_expiration` and `max_expiration`, seconds.
    pub poll_min_expiration: u64,
    pub poll_max_expiration: u64,
}

impl Default for InstanceLimits {
    /// Mastodon's defaults (mastodon.social's answer in Mastodon's docs).
    fn default() -> InstanceLimits {
        InstanceLimits {
            max_characters: 500,
            max_media_attachments: 4,
            characters_reserved_per_url: 23,
            supported_mime_types: [
                "image/jpeg",
                "image/png",
                "image/gif",
                "image/heic",
                "image/heif",
                "image/webp",
                "image/avif",
                "video/webm",
                "video/mp4",
                "video/quicktime",
                "video/ogg",
                "audio/wave",
                "audio/wav",
                "audio/x-wav",
                "audio/ogg",
                "audio/mpeg",
                "audio/mp3",
                "audio/webm",
                "audio/flac",
                "audio/aac",
                "audio/m4a",
                "audio/x-m4a",
                "audio/mp4",
            ]
            .map(String::from)
            .to_vec(),
            image_size_limit: 16_777_216,
            image_matrix_limit: 33_177_600,
            video_size_limit: 103_809_024,
            video_frame_rate_limit: 120,
            video_matrix_limit: 8_294_400,
            description_limit: 1_500,
            poll_max_options: 4,
            poll_max_characters_per_option: 50,
            poll_min_expiration: 300,
            poll_max_expiration: 2_629_746,
        }
    }
}

/// What `GET /api/v2/instance` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// `domain`.
    pub domain: String,
    /// `version` (`4.5.0`; other servers put their own there, e.g.
    /// Pleroma's `2.7.2 (compatible; Pleroma 2.6.0)`).
    pub version: Option<String>,
    pub limits: InstanceLimits,
    /// The limits the server did not state (older versions, other
    /// servers), left at Mastodon's defaults: plan says so.
    pub defaulted: Vec<&'static str>,
}

impl Instance {
    /// Where `self`'s limits differ from `other` (the account's file
    /// limits, or the defaults): `(name, file's, server's)` for people.
    pub fn differences(&self, other: &InstanceLimits) -> Vec<(&'static str, String, String)> {
        let live = &self.limits;
        let mut out = Vec::new();
        let mut cmp = |name: &'static str, a: String, b: String| {
            if a != b {
                out.push((name, a, b));
            }
        };
        cmp(
            "max_characters",
            other.max_characters.to_string(),
            live.max_characters.to_string(),
        );
        cmp(
            "max_media_attachments",
            other.max_media_attachments.to_string(),
            live.max_media_attachments.to_string(),
        );
        cmp(
            "characters_reserved_per_url",
            other.characters_reserved_per_url.to_string(),
            live.characters_reserved_per_url.to_string(),
        );
        cmp(
            "description_limit",
            other.description_limit.to_string(),
            live.description_limit.to_string(),
        );
        cmp(
            "image_size_limit",
            other.image_size_limit.to_string(),
            live.image_size_limit.to_string(),
        );
        cmp(
            "video_size_limit",
            other.video_size_limit.to_string(),
            live.video_size_limit.to_string(),
        );
        out
    }
}

/// Asks the server at `api` for its limits. A server that does not answer
/// like Mastodon 4.0 or later gives [`MastodonError::NotMastodon`].
pub async fn fetch(api: &Api) -> Result<Instance, MastodonError> {
    let not = |why: String| MastodonError::NotMastodon {
        host: api.host().to_string(),
        why,
    };
    match api.send(&Call::get("/api/v2/instance"), None).await {
        Ok(answer) => parse(api.host(), &answer.value),
        Err(e @ MastodonError::Transport { .. }) => Err(e),
        // A passing failure or a refusal is the server's answer, not a
        // sign that it is not Mastodon.
        Err(e)
            if e.status()
                .is_some_and(|s| matches!(s, 401 | 403 | 429 | 500..)) =>
        {
            Err(e)
        }
        Err(MastodonError::Api(a)) => Err(not(format!(
            "GET /api/v2/instance answered HTTP {}; Mastodon 4.0 or later is needed",
            a.status
        ))),
        Err(MastodonError::Decode { message, .. }) => {
            Err(not(format!("GET /api/v2/instance: {message}")))
        }
        Err(e) => Err(e),
    }
}

/// Reads an instance answer; missing limits fall back to the defaults
/// (and are listed), but an answer without `configuration.statuses` or a
/// `domain` is not a Mastodon server's.
pub fn parse(host: &str, value: &Value) -> Result<Instance, MastodonError> {
    let not = |why: &str| MastodonError::NotMastodon {
        host: host.to_string(),
        why: why.to_string(),
    };
    let domain = value
        .get("domain")
        .and_then(Value::as_str)
        .ok_or_else(|| not("its /api/v2/instance has no `domain`"))?;
    let config = value
        .get("configuration")
        .filter(|c| c.get("statuses").is_some_and(Value::is_object))
        .ok_or_else(|| not("its /api/v2/instance has no `configuration.statuses`"))?;
    let mut limits = InstanceLimits::default();
    let mut defaulted = Vec::new();
    let mut number = |section: &str, key: &'static str, into: &mut u64| match config
        .get(section)
        .and_then(|s| s.get(key))
        .and_then(Value::as_u64)
    {
        Some(n) => *into = n,
        None => defaulted.push(key),
    };
    let mut n = |section: &str, key: &'static str, into: &mut usize| {
        let mut wide = *into as u64;
        number(section, key, &mut wide);
        *into = usize::try_from(wide).unwrap_or(usize::MAX);
    };
    n("statuses", "max_characters", &mut limits.max_characters);
    n(
        "statuses",
        "max_media_attachments",
        &mut limits.max_media_attachments,
    );
    n(
        "statuses",
        "characters_reserved_per_url",
        &mut limits.characters_reserved_per_url,
    );
    n(
        "media_attachments",
        "description_limit",
        &mut limits.description_limit,
    );
    n("polls", "max_options", &mut limits.poll_max_options);
    n(
        "polls",
        "max_characters_per_option",
        &mut limits.poll_max_characters_per_option,
    );
    number(
        "media_attachments",
        "image_size_limit",
        &mut limits.image_size_limit,
    );
    number(
        "media_attachments",
        "image_matrix_limit",
        &mut limits.image_matrix_limit,
    );
    number(
        "media_attachments",
        "video_size_limit",
        &mut limits.video_size_limit,
    );
    number(
        "media_attachments",
        "video_frame_rate_limit",
        &mut limits.video_frame_rate_limit,
    );
    number(
        "media_attachments",
        "video_matrix_limit",
        &mut limits.video_matrix_limit,
    );
    number("polls", "min_expiration", &mut limits.poll_min_expiration);
    number("polls", "max_expiration", &mut limits.poll_max_expiration);
    match config
        .get("media_attachments")
        .and_then(|m| m.get("supported_mime_types"))
        .and_then(Value::as_array)
    {
        Some(types) => {
            limits.supported_mime_types = types
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
        }
        None => defaulted.push("supported_mime_types"),
    }
    Ok(Instance {
        domain: domain.to_string(),
        version: value
            .get("version")
            .and_then(Value::as_str)
            .map(str::to_string),
        limits,
        defaulted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer() -> Value {
        json!({
            "domain": "social.example",
            "version": "4.5.0",
            "configuration": {
                "statuses": {"max_characters": 1000, "max_media_attachments": 8,
                    "characters_reserved_per_url": 23},
                "media_attachments": {"description_limit": 1500, "image_matrix_limit": 33177600,
                    "image_size_limit": 16777216, "supported_mime_types": ["image/jpeg", "video/mp4"],
                    "video_frame_rate_limit": 60, "video_matrix_limit": 8294400,
                    "video_size_limit": 103809024},
                "polls": {"max_options": 4, "max_characters_per_option": 50,
                    "min_expiration": 300, "max_expiration": 2629746}
            }
        })
    }

    #[test]
    fn limits_are_read() {
        let i = parse("h", &answer()).unwrap();
        assert_eq!(i.domain, "social.example");
        assert_eq!(i.version.as_deref(), Some("4.5.0"));
        assert_eq!(i.limits.max_characters, 1000);
        assert_eq!(i.limits.max_media_attachments, 8);
        assert_eq!(i.limits.video_frame_rate_limit, 60);
        assert_eq!(i.limits.supported_mime_types, ["image/jpeg", "video/mp4"]);
        assert!(i.defaulted.is_empty(), "{:?}", i.defaulted);
        let diff = i.differences(&InstanceLimits::default());
        let names: Vec<_> = diff.iter().map(|d| d.0).collect();
        assert_eq!(names, ["max_characters", "max_media_attachments"]);
        assert_eq!(diff[0].1, "500");
        assert_eq!(diff[0].2, "1000");
    }

    #[test]
    fn missing_limits_fall_back_and_are_named() {
        let mut old = answer();
        let media = old["configuration"]["media_attachments"]
            .as_object_mut()
            .unwrap();
        media.remove("description_limit");
        media.remove("supported_mime_types");
        old["configuration"]
            .as_object_mut()
            .unwrap()
            .remove("polls");
        let i = parse("h", &old).unwrap();
        assert_eq!(i.limits.description_limit, 1500);
        assert!(i
            .limits
            .supported_mime_types
            .contains(&"image/png".to_string()));
        assert!(i.defaulted.contains(&"description_limit"));
        assert!(i.defaulted.contains(&"supported_mime_types"));
        assert!(i.defaulted.contains(&"max_options"));
    }

    #[test]
    fn other_answers_are_not_mastodon() {
        for (value, why) in [
            (json!([1, 2]), "domain"),
            (json!({"domain": "x"}), "configuration.statuses"),
            (json!({"uri": "x", "max_toot_chars": 500}), "domain"),
        ] {
            let e = parse("x.example", &value).unwrap_err();
            assert!(matches!(e, MastodonError::NotMastodon { .. }), "{e}");
            assert!(e.to_string().contains(why), "{e}");
            assert!(e.to_string().contains("instance URL"), "{e}");
        }
    }

    #[test]
    fn defaults_are_mastodons() {
        let d = InstanceLimits::default();
        assert_eq!(
            (
                d.max_characters,
                d.max_media_attachments,
                d.characters_reserved_per_url
            ),
            (500, 4, 23)
        );
        assert_eq!(d.description_limit, 1500);
        assert_eq!(d.image_size_limit, 16 * 1024 * 1024);
        assert_eq!(d.video_size_limit, 99 * 1024 * 1024);
    }
}
