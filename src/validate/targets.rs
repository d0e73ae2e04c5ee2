//! A post's targets: the accounts it goes to (`account:`, `accounts:` or
//! the default), and the post as each platform gets it (its platform's
//! map's caption and media in place of the post's own, and what only other
//! platforms take left out).
//!
//! A problem found for one platform's version of a post going to several
//! platforms is marked with that platform ([`Problem::for_platform`]): it
//! stops that platform's targets only, and its message says so.

use crate::config::Config;
use crate::content::{Post, PostFields};
use crate::diagnostic::{Pos, Problem, Rule};
use crate::platform::Platform;

/// The accounts a post goes to, in the order written, with their platforms;
/// problems with the names are pushed to `problems`.
pub fn accounts(
    post: &Post,
    config: &Config,
    problems: &mut Vec<Problem>,
) -> Vec<(String, Platform)> {
    let rel = post.file.rel.as_str();
    let f = &post.fields;
    let unknown = |name: &str, at: Pos| {
        Problem::new(
            Rule::UnknownAccount,
            rel,
            at,
            format!("account `{name}` is not in postwright.toml"),
        )
        .with_help(format!("known accounts: {}", config.account_names()))
    };
    let named: Vec<(String, Pos)> = match (&f.account, &f.accounts) {
        (Some(_), Some(_)) => {
            problems.push(
                Problem::new(
                    Rule::FieldNotAllowed,
                    rel,
                    post.spans.key("/accounts"),
                    "a post has `account` or `accounts`, not both",
                )
                .with_help("list every account in `accounts`, and remove `account`"),
            );
            return Vec::new();
        }
        (Some(a), None) => vec![(a.clone(), post.spans.value("/account"))],
        (None, Some(list)) => list
            .iter()
            .enumerate()
            .map(|(i, a)| (a.clone(), post.spans.value(&format!("/accounts/{i}"))))
            .collect(),
        (None, None) => match &config.default_account {
            Some(a) => vec![(a.clone(), Pos::START)],
            None => {
                problems.push(
                    Problem::new(
                        Rule::UnknownAccount,
                        rel,
                        Pos::START,
                        "postwright.toml has several accounts and this post names none",
                    )
                    .with_help(format!(
                        "add `account:` with one of {} (or `accounts:` with several), or set default_account",
                        config.account_names()
                    )),
                );
                return Vec::new();
            }
        },
    };
    let mut out: Vec<(String, Platform)> = Vec::with_capacity(named.len());
    let mut broken = false;
    for (name, at) in named {
        if out.iter().any(|(n, _)| *n == name) {
            problems.push(
                Problem::new(
                    Rule::UnknownAccount,
                    rel,
                    at,
                    format!("account `{name}` is listed twice"),
                )
                .with_help("a post goes to each account once; remove the copy"),
            );
            broken = true;
            continue;
        }
        match config.accounts.get(&name) {
            Some(account) => out.push((name, account.platform)),
            None => {
                problems.push(unknown(&name, at));
                broken = true;
            }
        }
    }
    // A typo'd name in the list must not publish to the others and
    // silently drop one: the whole post waits for the fix.
    if broken {
        out.clear();
    }
    out
}

/// The post as `platform`'s accounts get it: the override's caption and
/// media in place of the post's own, with their spans, so problems point
/// into the override.
pub fn effective(mut post: Post, platform: Platform) -> Post {
    let Some(over) = post.fields.overrides(platform).cloned() else {
        return post;
    };
    if let Some(caption) = over.caption {
        post.fields.caption = Some(caption);
        post.spans = post.spans.with_override(platform.name(), "caption");
    }
    if let Some(media) = over.media {
        post.fields.media = media;
        post.spans = post.spans.with_override(platform.name(), "media");
    }
    post
}

/// An override map for a platform none of the post's accounts is on: it
/// would be silently unused.
pub fn unused_overrides(post: &Post, platforms: &[Platform]) -> Vec<Problem> {
    let mut out = Vec::new();
    for platform in post.fields.overrides.keys() {
        if !platforms.contains(platform) {
            out.push(
                Problem::new(
                    Rule::NotSent,
                    &post.file.rel,
                    post.spans.key(&format!("/{}", platform.name())),
                    format!(
                        "`{}:` is not used: none of this post's accounts is on {}",
                        platform.name(),
                        platform.title()
                    ),
                )
                .with_help(format!(
                    "add a {} account to `accounts`, or remove `{}:`",
                    platform.title(),
                    platform.name()
                )),
            );
        }
    }
    out
}

/// A field only some platform sends ([`crate::platform::PlatformSpec::own_fields`])
/// on a post none of whose platforms sends it: said once, as a warning,
/// so the post does not look as if it were sent.
pub fn unsent_fields(post: &Post, platforms: &[Platform]) -> Vec<Problem> {
    let mut out = Vec::new();
    let titles: Vec<&str> = platforms.iter().map(|p| p.title()).collect();
    for owner in Platform::all().filter(|p| !platforms.contains(p)) {
        for field in owner.spec().own_fields() {
            let pointer = format!("/{field}");
            let sent = platforms
                .iter()
                .any(|p| p.spec().own_fields().contains(field));
            if sent || post.spans.get(&pointer).is_none() {
                continue;
            }
            out.push(Problem::new(
                Rule::NotSent,
                &post.file.rel,
                post.spans.key(&pointer),
                format!(
                    "`{field}` is {}'s; this post goes to {} only, so it is not sent",
                    owner.title(),
                    titles.join(" and ")
                ),
            ));
        }
    }
    out
}

/// Leaves out of `platform`'s version what it does not send, so neither
/// its publisher nor its content hash sees it (editing a Threads-only
/// post's `location_id` changes nothing on Threads): other platforms'
/// own fields and maps, and the first comment and comment setting on a
/// platform without comments.
pub fn strip(fields: &mut PostFields, platform: Platform) {
    let own = platform.spec().own_fields();
    for other in Platform::all().filter(|p| *p != platform) {
        for field in other.spec().own_fields() {
            if !own.contains(field) {
                fields.clear(field);
            }
        }
    }
    fields.overrides.retain(|p, _| *p == platform);
    if platform.spec().capabilities(None).comments.is_some() {
        fields.clear("first_comment");
        fields.clear("comments");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{load_bytes, named_file, Load, Syntax};

    pub(crate) fn post(yaml: &str) -> Post {
        let file = named_file("posts/p.yaml", &["posts".to_string()]);
        let Load::Post(loaded) = load_bytes(file, Syntax::Yaml, yaml.as_bytes()) else {
            panic!("not a post: {yaml}");
        };
        Post::from_loaded(*loaded).expect("typed")
    }

    const CONFIG: &str = "[accounts.ig]\nuser_id = \"17841400000000001\"\n\n[accounts.th]\nplatform = \"threads\"\nuser_id = \"27000000000000001\"\n";

    #[test]
    fn accounts_lists_every_target_with_its_platform() {
        let config = Config::parse(CONFIG, "postwright.toml").unwrap();
        let mut problems = Vec::new();
        let p = post("accounts: [th, ig]\ncaption: hi\nmedia: [a.jpg]\n");
        assert_eq!(
            accounts(&p, &config, &mut problems),
            vec![
                ("th".into(), Platform::named("threads").unwrap()),
                ("ig".into(), Platform::named("instagram").unwrap())
            ]
        );
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn an_unknown_or_repeated_account_stops_every_target() {
        let config = Config::parse(CONFIG, "postwright.toml").unwrap();
        for (yaml, line) in [
            ("accounts: [ig, thx]\n", 1),
            ("accounts: [ig, ig]\n", 1),
            ("account: ig\naccounts: [th]\n", 2),
        ] {
            let mut problems = Vec::new();
            let targets = accounts(
                &post(&format!("{yaml}media: [a.jpg]\n")),
                &config,
                &mut problems,
            );
            assert!(targets.is_empty(), "{yaml}: {targets:?}");
            assert_eq!(problems.len(), 1, "{yaml}: {problems:?}");
            assert_eq!(problems[0].line, line, "{yaml}");
        }
    }

    #[test]
    fn the_override_replaces_caption_and_media_and_points_into_itself() {
        let p = post("caption: long text\nmedia: [a.jpg]\nthreads:\n  caption: short\n  media: [b.jpg, c.jpg]\n");
        let t = effective(p.clone(), Platform::named("threads").unwrap());
        assert_eq!(t.fields.caption.as_deref(), Some("short"));
        assert_eq!(t.fields.media.len(), 2);
        assert_eq!(t.spans.value("/caption").line, 4);
        assert_eq!(t.spans.value("/media/1").line, 5);
        let i = effective(p, Platform::named("instagram").unwrap());
        assert_eq!(i.fields.caption.as_deref(), Some("long text"));
        assert_eq!(i.spans.value("/caption").line, 1);
    }

    #[test]
    fn fields_no_platform_of_the_post_sends_are_warned_about_and_left_out() {
        let threads = Platform::named("threads").unwrap();
        let instagram = Platform::named("instagram").unwrap();
        let p = post("caption: hi\nlocation_id: \"1\"\nfirst_comment: x\nthreads:\n  topic_tag: Pots\ninstagram:\n  caption: long\n");
        let warned = unsent_fields(&p, &[threads]);
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert_eq!(warned[0].rule, Rule::NotSent);
        assert_eq!(warned[0].line, 2);
        assert!(
            warned[0].message.contains("goes to Threads only"),
            "{warned:?}"
        );
        assert!(unsent_fields(&p, &[threads, instagram]).is_empty());

        let mut f = p.fields.clone();
        strip(&mut f, threads);
        assert_eq!(f.location_id, None);
        assert_eq!(f.first_comment, None, "Threads has no comments");
        assert!(f.overrides(instagram).is_none());
        assert!(f.overrides(threads).is_some());
        let mut f = p.fields.clone();
        strip(&mut f, instagram);
        assert!(f.location_id.is_some() && f.first_comment.is_some());
        assert!(f.overrides(threads).is_none());
    }
}
