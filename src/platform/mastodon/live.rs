//! A post against the live instance's limits (`GET /api/v2/instance`),
//! where validate could only use postwright.toml's or Mastodon's
//! defaults: plan (online) warns with these, apply fails the post with
//! them before any of its media is uploaded (never half-posted). And the
//! limits where the account's file and the live server differ, with the
//! setting that fixes it. Facts: docs/mastodon.md ("Limits").

use super::instance::{Instance, InstanceLimits};
use super::options::Options;
use super::{text, Client, Settings};
use crate::config::Account;
use crate::validate::preflight::Source;
use crate::validate::ValidPost;

/// Plan's online look for account `name`: its instance's limits read once,
/// where postwright.toml differs from them, and each due post the
/// instance would refuse.
pub async fn check(name: &str, account: &Account, posts: &[&ValidPost]) -> Vec<String> {
    let settings = Settings::of(account);
    let client = match Client::from_env(
        &settings.instance,
        account.token_env(),
        name,
        Default::default(),
    ) {
        Ok(c) => c,
        Err(e) => return vec![format!("account {name}: {}", e.explain())],
    };
    let instance = match client.instance().await {
        Ok(i) => i,
        Err(e) => {
            return vec![format!(
                "account {name}: the instance's limits could not be read: {}",
                e.explain()
            )]
        }
    };
    let mut out = differences(name, &settings, &instance);
    for post in posts {
        for breach in breaches(post, &instance.limits) {
            out.push(format!(
                "account {name}: {breach}: apply will fail this post"
            ));
        }
    }
    out
}

/// What of `post` (its Mastodon version) the instance would refuse, each
/// naming the file and the limit; empty when it fits.
pub fn breaches(post: &ValidPost, limits: &InstanceLimits) -> Vec<String> {
    let rel = post.post.file.rel.as_str();
    let f = &post.post.fields;
    let options = Options::of(&post.post);
    let mut out = Vec::new();
    let caption = f.caption.as_deref().unwrap_or("");
    if let Err(long) = text::check(caption, &options.spoiler_text, limits) {
        out.push(format!(
            "{rel}: the text counts {} characters (every URL {}); the instance allows {} (max_characters)",
            long.counted, long.per_url, long.max
        ));
    }
    let n = post.media.len();
    if n > limits.max_media_attachments {
        out.push(format!(
            "{rel}: {n} media items; the instance allows {} per status (max_media_attachments)",
            limits.max_media_attachments
        ));
    }
    for (i, m) in post.media.iter().enumerate() {
        let Source::File { path, info } = &m.source else {
            continue;
        };
        match super::validate::mime(info) {
            Some(t) if !limits.supported_mime_types.iter().any(|s| s == t) => out.push(format!(
                "{rel}: {path} is {t}, which the instance does not take (supported_mime_types)"
            )),
            _ => {}
        }
        let (limit, key) = if m.is_video {
            (limits.video_size_limit, "video_size_limit")
        } else {
            (limits.image_size_limit, "image_size_limit")
        };
        if info.bytes > limit {
            out.push(format!(
                "{rel}: {path} is {} bytes; the instance takes at most {limit} ({key})",
                info.bytes
            ));
        }
        let alt = f.media.get(i).and_then(|e| e.alt_text()).or(if n == 1 {
            f.alt_text.as_deref()
        } else {
            None
        });
        if let Some(chars) = alt.map(|a| a.chars().count()) {
            if chars > limits.description_limit {
                out.push(format!(
                    "{rel}: the alt text of {path} has {chars} characters; the instance takes at most {} (description_limit)",
                    limits.description_limit
                ));
            }
        }
    }
    if let Some(poll) = &options.poll {
        for fault in super::poll::check(poll, n > 0, limits) {
            out.push(format!("{rel}: mastodon.poll: {} (polls)", fault.message));
        }
    }
    out
}

/// Where the limits validate used for account `name` (its postwright.toml
/// settings, else Mastodon's defaults) differ from the live instance's:
/// one line each, with what to set.
pub fn differences(name: &str, settings: &Settings, instance: &Instance) -> Vec<String> {
    let mine = settings.limits();
    let settable = [
        ("max_characters", settings.max_characters.is_some()),
        (
            "max_media_attachments",
            settings.max_media_attachments.is_some(),
        ),
        (
            "characters_reserved_per_url",
            settings.characters_reserved_per_url.is_some(),
        ),
    ];
    let host = &instance.domain;
    instance
        .differences(&mine)
        .into_iter()
        .map(|(key, file, live)| {
            match settable.iter().find(|(k, _)| *k == key) {
                Some((_, set)) => {
                    let whose = if *set {
                        "postwright.toml says"
                    } else {
                        "Mastodon's default (what validate uses) is"
                    };
                    format!(
                        "account {name}: {host} allows {key} = {live}; {whose} {file}: set {key} = {live} in [accounts.{name}]"
                    )
                }
                None => format!(
                    "account {name}: {host} has {key} = {live}, not Mastodon's default {file}: validate checks the default offline; plan and apply check the instance's"
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(limits: InstanceLimits) -> Instance {
        Instance {
            domain: "social.example".into(),
            version: Some("4.4.0".into()),
            limits,
            defaulted: Vec::new(),
        }
    }

    #[test]
    fn differences_name_the_setting_and_whose_value_it_is() {
        let live = instance(InstanceLimits {
            max_characters: 5000,
            max_media_attachments: 4,
            description_limit: 1000,
            ..InstanceLimits::default()
        });
        let d = differences("masto", &Settings::default(), &live);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(
            d[0],
            "account masto: social.example allows max_characters = 5000; Mastodon's default (what validate uses) is 500: set max_characters = 5000 in [accounts.masto]"
        );
        assert!(
            d[1].contains("description_limit = 1000, not Mastodon's default 1500"),
            "{d:?}"
        );
        let set = Settings {
            max_characters: Some(800),
            ..Settings::default()
        };
        let d = differences("masto", &set, &live);
        assert!(
            d[0].contains("postwright.toml says 800: set max_characters = 5000"),
            "{d:?}"
        );
        let same = Settings {
            max_characters: Some(5000),
            ..Settings::default()
        };
        assert_eq!(differences("masto", &same, &live).len(), 1);
    }
}
