//! Field diffs for the plan: what a `changed` post changed since the commit
//! it was published from, and what a pull request changed in the posts it
//! edits (against its base). Both read the old file with `git show`.

use crate::content::{self, Load, Post};
use crate::plan::base::{self, Touch};
use crate::plan::{diff, Action, Plan};
use crate::state::State;
use crate::validate::Checked;
use std::collections::HashMap;
use std::path::Path;

/// The post `rel` as it was in `rev`, if it parses.
fn old_post(repo: &Path, rev: &str, rel: &str, content_dirs: &[String]) -> Option<Post> {
    let bytes = base::show(repo, rev, rel)?;
    let file = content::named_file(rel, content_dirs);
    let syntax = content::Syntax::of(Path::new(rel))?;
    match content::load_bytes(file, syntax, &bytes) {
        Load::Post(loaded) => Post::from_loaded(*loaded),
        _ => None,
    }
}

/// Fills `changes` of the entries it can explain: `changed` ones from the
/// recorded commit, edited or renamed ones of a pull request from `base`.
pub fn explain(
    plan: &mut Plan,
    repo: &Path,
    state: &State,
    posts: &[Checked],
    content_dirs: &[String],
    pr_base: Option<&str>,
) {
    // Made when the first entry needs it: most plans explain nothing, and
    // the map of 10,000 posts was 6 ms of one thread.
    let mut current: Option<HashMap<(&str, &str), &Post>> = None;
    for e in &mut plan.entries {
        let published_from = matches!(e.action, Action::Changed | Action::Update)
            .then(|| state.get(&e.id, e.acct()))
            .flatten()
            .and_then(|r| Some((r.commit.clone()?, r.file.clone())));
        let from = published_from.or_else(|| match (&e.pr, pr_base) {
            (Some(Touch::Modified), Some(b)) => Some((b.to_string(), e.file.clone())),
            (Some(Touch::Renamed { from }), Some(b)) => Some((b.to_string(), from.clone())),
            _ => None,
        });
        let Some((rev, old_file)) = from else {
            continue;
        };
        let current = current.get_or_insert_with(|| {
            posts
                .iter()
                .flat_map(|c| &c.valid)
                .map(|v| ((v.post.id.as_str(), v.account.as_str()), &v.post))
                .collect()
        });
        let Some(new) = current.get(&e.key()) else {
            continue;
        };
        let Some(old) = old_post(repo, &rev, &old_file, content_dirs) else {
            continue;
        };
        // Media paths are relative to the post file; compare the bytes of
        // the file each resolves to.
        let post_file = e.file.clone();
        e.changes = diff::changes(&old, new, |src| {
            let path = content::resolve_media_path(&post_file, src)?;
            base::same_bytes(repo, &rev, &path)
        });
    }
}
