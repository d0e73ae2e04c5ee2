//! Every check of one parsed post: its schema, its targets (accounts), and
//! each platform's version of it (the platform's own rules, through the
//! registry: [`crate::platform::PlatformSpec::check_post`]); then which
//! targets passed.

use super::preflight::Preflight;
use super::{id_pos, schema, targets, Checked, PostCheck, Target, ValidPost, Version};
use crate::config::Config;
use crate::content::{self, Post};
use crate::diagnostic::{Problem, Rule};
use crate::platform::Platform;

/// Every check of one parsed post.
pub fn check_post(loaded: content::Loaded, config: &Config, preflight: &mut Preflight) -> Checked {
    let file = loaded.file.clone();
    let rel = file.rel.clone();
    // What the fast path read, the schema accepts: it is not run again.
    let mut problems = match &loaded.content {
        content::Content::Value(value) => schema::check_post(&rel, value, &loaded.spans),
        content::Content::Typed(_) => Vec::new(),
    };
    refine(&mut problems, &loaded.spans);
    let id_at = id_pos(&loaded.spans);
    // The id of a post whose fields do not type (only a generic document
    // may not), read before the document is moved into typing.
    let untyped_id = match &loaded.content {
        content::Content::Value(_) => Some(
            loaded
                .id_field()
                .map_or_else(|| loaded.file.default_id.clone(), str::to_string),
        ),
        content::Content::Typed(_) => None,
    };
    let post = match Post::from_loaded(loaded) {
        Some(p) => p,
        None => {
            // The schema has said what is wrong; without typed fields the
            // other rules cannot run.
            return Checked {
                file,
                id: untyped_id,
                id_pos: id_at,
                accounts: Vec::new(),
                valid: Vec::new(),
                problems,
            };
        }
    };
    let f = &post.fields;
    let accounts = targets::accounts(&post, config, &mut problems);

    let publish_at = match &f.publish_at {
        Some(text) => match crate::time::parse_publish_at(text, &config.timezone) {
            Ok(t) => Some(t),
            Err(message) => {
                problems.push(
                    Problem::new(
                        Rule::PublishAtInvalid,
                        &rel,
                        post.spans.value("/publish_at"),
                        message,
                    )
                    .with_help(crate::time::PUBLISH_AT_HELP),
                );
                None
            }
        },
        None => None,
    };

    // The platforms, in the order their accounts are written; a post whose
    // accounts are unknown is still checked as a post of the default
    // platform, so every problem shows at once.
    let mut platforms: Vec<Platform> = Vec::new();
    for (_, p) in &accounts {
        if !platforms.contains(p) {
            platforms.push(*p);
        }
    }
    if accounts.is_empty() {
        platforms.push(Platform::default());
    }
    problems.extend(targets::unused_overrides(&post, &platforms));
    problems.extend(targets::unsent_fields(&post, &platforms));
    let several = platforms.len() > 1;
    let id = post.id.clone();
    let mut versions: Vec<(Platform, Version)> = Vec::with_capacity(platforms.len());
    // The post is cloned only for a second platform: one platform's
    // version is the post itself, moved.
    let mut post = Some(post);
    for (n, &platform) in platforms.iter().enumerate() {
        let Some(own) = (if n + 1 == platforms.len() {
            post.take()
        } else {
            post.clone()
        }) else {
            break;
        };
        let own = targets::effective(own, platform);
        let mut check = PostCheck {
            accounts: accounts
                .iter()
                .filter(|(_, p)| *p == platform)
                .filter_map(|(a, _)| config.accounts.get(a))
                .collect(),
            platforms: &platforms,
            preflight,
        };
        let (mut version, found) = platform.spec().check_post(own, &mut check);
        targets::strip(&mut version.post.fields, platform);
        problems.extend(
            found
                .into_iter()
                .map(|p| if several { p.for_platform(platform) } else { p }),
        );
        versions.push((platform, version));
    }
    // Every version has the document's spans (an override's only re-keyed).
    if let Some((_, v)) = versions.first() {
        refine(&mut problems, &v.post.spans);
    }

    let mut valid = Vec::with_capacity(accounts.len());
    for (i, (account, platform)) in accounts.iter().enumerate() {
        if problems.iter().any(|p| p.blocks(*platform)) {
            continue;
        }
        let Some(at) = versions.iter().position(|(p, _)| p == platform) else {
            continue;
        };
        // The last account of a platform takes its version; others copy it.
        let last = !accounts[i + 1..].iter().any(|(_, p)| p == platform);
        let v = if last {
            versions.swap_remove(at).1
        } else {
            versions[at].1.clone()
        };
        valid.push(ValidPost {
            // Positions serve only the problems, found by now: a valid
            // post is kept (10,000 of them for a plan) without them.
            post: Post {
                spans: content::Spans::default(),
                ..v.post
            },
            kind: v.kind,
            account: account.clone(),
            platform: *platform,
            publish_at,
            media: v.media,
            cover: v.cover,
        });
    }
    Checked {
        file,
        id: Some(id),
        id_pos: id_at,
        accounts: accounts
            .into_iter()
            .map(|(a, p)| Target {
                account: a,
                platform: p,
            })
            .collect(),
        valid,
        problems,
    }
}

/// Adds what the YAML knows to a post's problems: where the key or value a
/// problem starts at ends (so the caret spans it), and why a value the
/// schema finds empty is empty (`first_comment: #tags` is a comment).
fn refine(problems: &mut [Problem], spans: &content::Spans) {
    for p in problems.iter_mut() {
        if p.rule == Rule::Schema {
            if let Some(empty) = spans.empty_at(p.pos()) {
                *p = empty.problem(&p.file, p.rule);
                continue;
            }
        }
        if p.end().is_none() {
            if let Some(end) = spans.end_of(p.pos()) {
                *p = p.clone().with_end(end);
            }
        }
    }
}
