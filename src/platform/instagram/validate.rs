//! Instagram's checks of a post (its Instagram version, `instagram:`
//! caption and media in place): the media preflight, the type, the field
//! rules ([`super::rules`]) and the features each account's login may
//! publish ([`super::features`]).

use super::media::{self, Role};
use super::{features, rules};
use crate::content::{Post, PostType};
use crate::diagnostic::{Pos, Problem, Rule};
use crate::validate::preflight::Preflight;
use crate::validate::Version;

/// Instagram's checks of `post` (its Instagram version), for its Instagram
/// accounts (`accounts`: their logins decide some features).
pub(super) fn check(
    post: Post,
    accounts: &[&crate::config::Account],
    preflight: &mut Preflight,
) -> (Version, Vec<Problem>) {
    let rel = post.file.rel.clone();
    let f = &post.fields;
    let mut problems = Vec::new();
    let mut media = Vec::with_capacity(f.media.len());
    let mut video_items = Vec::with_capacity(f.media.len());
    for (i, item) in f.media.iter().enumerate() {
        let at = post.spans.value(&format!("/media/{i}/src"));
        match preflight.resolve(&rel, item.src(), at) {
            Ok(r) => {
                video_items.push(r.is_video);
                media.push(Some(r));
            }
            Err(p) => {
                video_items.push(looks_like_video(item.src()));
                problems.push(p);
                media.push(None);
            }
        }
    }
    // `media` written but unusable is the schema's to report.
    let no_media = media.is_empty() && post.spans.get("/media").is_none();
    if no_media || f.kind == Some(PostType::Text) {
        problems.push(
            Problem::new(
                Rule::NotOnPlatform,
                &rel,
                if no_media {
                    Pos::START
                } else {
                    post.spans.value("/type")
                },
                "Instagram has no text-only posts: a post needs `media`",
            )
            .with_help("add `media`, or send it to Threads accounts only (`accounts:`)"),
        );
    }
    let kind = match f.kind {
        Some(k) if k != PostType::Text => k,
        _ => match (media.len(), video_items.first()) {
            (1, Some(true)) => PostType::Reel,
            (1, _) => PostType::Image,
            _ => PostType::Carousel,
        },
    };
    for (i, m) in media.iter().enumerate() {
        if let Some(m) = m {
            let at = post.spans.value(&format!("/media/{i}/src"));
            problems.extend(media::check(&rel, Role::Item(kind), m, at));
        }
    }
    let cover = match (&f.cover, kind) {
        (Some(src), PostType::Reel) => {
            let at = post.spans.value("/cover");
            match preflight.resolve(&rel, src, at) {
                Ok(r) => {
                    problems.extend(media::check(&rel, Role::Cover, &r, at));
                    Some(r)
                }
                Err(p) => {
                    problems.push(p);
                    None
                }
            }
        }
        _ => None,
    };
    problems.extend(rules::check(&post, kind, &video_items));
    // Each account's login decides what it may publish; the same problem
    // for two accounts is said once.
    if accounts.is_empty() {
        problems.extend(features::check(&post, kind, &video_items, None));
    }
    for account in accounts {
        for p in features::check(&post, kind, &video_items, Some(account)) {
            if !problems.contains(&p) {
                problems.push(p);
            }
        }
    }
    let version = Version {
        kind,
        media: media.into_iter().flatten().collect(),
        cover,
        post,
    };
    (version, problems)
}

fn looks_like_video(src: &str) -> bool {
    let lower = src.to_ascii_lowercase();
    [".mp4", ".mov", ".m4v", ".webm", ".avi"]
        .iter()
        .any(|e| lower.ends_with(e))
}
