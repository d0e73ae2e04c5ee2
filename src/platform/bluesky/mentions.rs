//! Plan's look at the mentions of an account's due posts: apply resolves
//! every mentioned handle through the PDS and fails a post whose mention
//! does not resolve (a mention facet needs the account's DID), so plan
//! says so first, when it may go online (docs/bluesky.md, "Rich text").
//!
//! Each handle is resolved once, however many posts mention it, with the
//! client (and session) apply and `auth` share for the account. A PDS that
//! cannot be asked is one warning, not one per post, and the whole check
//! is bounded in time: plan must not hang on a slow PDS.

use super::richtext;
use crate::config::{Account, Config};
use crate::validate::ValidPost;
use std::time::Duration;

/// The longest plan waits for the mentions' answers.
const BUDGET: Duration = Duration::from_secs(20);

/// The warnings about `posts`' mentions: one per post and handle that does
/// not resolve, or one saying the check could not be made.
pub(super) async fn check(
    config: &Config,
    name: &str,
    account: &Account,
    posts: &[&ValidPost],
) -> Vec<String> {
    let wanted = mentioned(posts);
    if wanted.is_empty() {
        return Vec::new();
    }
    let client = match super::publisher::client_for(config, name, account) {
        Ok(c) => c,
        Err(e) => return vec![format!("could not check the posts' mentions: {e}")],
    };
    let resolve = async {
        let mut out = Vec::new();
        for (handle, files) in &wanted {
            if client.resolve_handle(handle).await?.is_none() {
                out.extend(files.iter().map(|file| unresolved(file, handle)));
            }
        }
        Ok::<_, super::BlueskyError>(out)
    };
    match tokio::time::timeout(BUDGET, resolve).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => vec![format!(
            "could not check the posts' mentions on {}: {e}; apply resolves them when it publishes",
            client.host()
        )],
        Err(_) => vec![format!(
            "{} did not resolve the posts' mentions within {} s; apply resolves them when it publishes",
            client.host(),
            BUDGET.as_secs()
        )],
    }
}

/// Each handle the posts mention (lower-cased), once, in the order first
/// met, with the files of the posts that mention it.
fn mentioned(posts: &[&ValidPost]) -> Vec<(String, Vec<String>)> {
    let mut wanted: Vec<(String, Vec<String>)> = Vec::new();
    for post in posts {
        let text = post.post.fields.caption.as_deref().unwrap_or("");
        let file = &post.post.file.rel;
        for handle in richtext::handles(&richtext::detect(text)) {
            match wanted.iter_mut().find(|(h, _)| *h == handle) {
                Some((_, files)) if files.contains(file) => {}
                Some((_, files)) => files.push(file.clone()),
                None => wanted.push((handle, vec![file.clone()])),
            }
        }
    }
    wanted
}

fn unresolved(file: &str, handle: &str) -> String {
    format!(
        "{file}: the mention @{handle} does not resolve to an account; apply will fail this post: fix the handle or remove the @"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warning_names_the_file_the_handle_and_the_fix() {
        let w = unresolved("posts/a.md", "nobody.test");
        assert!(w.starts_with("posts/a.md: "), "{w}");
        assert!(w.contains("@nobody.test does not resolve"), "{w}");
        assert!(w.contains("apply will fail this post"), "{w}");
    }
}
