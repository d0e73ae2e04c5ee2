//! apply's Git LFS step: before any container is made, the objects of the
//! posts it is about to publish (and only those) are fetched with one
//! `git lfs pull --include`, then those posts are validated again with
//! their bytes, as `validate` checks any file. A post whose objects cannot
//! be fetched, or whose bytes fail a check, fails alone with the reason.

use crate::config::Config;
use crate::hosting::Hosting;
use crate::lfs::pull::{self, PullError};
use crate::media::Format;
use crate::plan::{Action, Plan};
use crate::validate::preflight::Source;
use crate::validate::{self, Checked, ValidPost};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// What the step leaves for apply.
#[derive(Default)]
pub(super) struct Fetched {
    /// The posts checked again with their objects here, to publish from.
    pub posts: Vec<ValidPost>,
    /// Targets (post id, account) that cannot go out this run, and why.
    pub blocked: HashMap<(String, String), String>,
}

/// A due target whose media include Git LFS pointers.
struct Due<'a> {
    id: &'a str,
    account: &'a str,
    file: &'a str,
    /// Its pointer files, relative to the content repo.
    paths: Vec<&'a str>,
}

/// The repo paths of `v`'s media and cover that are Git LFS pointers.
fn pointers(v: &ValidPost) -> Vec<&str> {
    v.media
        .iter()
        .chain(&v.cover)
        .filter_map(|m| match &m.source {
            Source::File { path, info } if info.lfs.is_some() => Some(path.as_str()),
            _ => None,
        })
        .collect()
}

/// The step. `selected`: the post ids apply works on (`--only`).
pub(super) fn fetch(
    repo: &Path,
    config: &Config,
    plan: &Plan,
    posts: &[Checked],
    hosting: &Hosting,
    selected: &dyn Fn(&str) -> bool,
) -> Fetched {
    let valid: HashMap<(&str, &str), &ValidPost> = posts
        .iter()
        .flat_map(|c| &c.valid)
        .map(|v| ((v.post.id.as_str(), v.account.as_str()), v))
        .collect();
    let due: Vec<Due<'_>> = plan
        .entries
        .iter()
        .filter(|e| matches!(e.action, Action::Publish | Action::Resume) && selected(&e.id))
        .filter_map(|e| {
            let v = valid.get(&e.key())?;
            let paths = pointers(v);
            (!paths.is_empty()).then_some(Due {
                id: &e.id,
                account: e.acct(),
                file: &e.file,
                paths,
            })
        })
        .collect();
    if due.is_empty() {
        return Fetched::default();
    }
    let mut blocked = HashMap::new();
    // apply says it when it reaches the post (once, with the others).
    let mut block = |d: &Due<'_>, why: String| {
        blocked.insert((d.id.to_string(), d.account.to_string()), why);
    };
    // One pattern per file, a refused name blocking only its posts.
    let mut patterns = BTreeSet::new();
    let mut pulling = Vec::new();
    for d in due {
        let named: Result<Vec<String>, PullError> = d
            .paths
            .iter()
            .map(|p| pull::include_pattern(&hosting.repo_path(p)))
            .collect();
        match named {
            Ok(named) => {
                patterns.extend(named);
                pulling.push(d);
            }
            Err(e) => block(&d, format!("its Git LFS media cannot be fetched: {e}")),
        }
    }
    let patterns: Vec<String> = patterns.into_iter().collect();
    let workdir = git2::Repository::discover(repo)
        .ok()
        .and_then(|g| g.workdir().map(Path::to_path_buf));
    eprintln!(
        "fetching Git LFS objects for {} post{}: {} file{}",
        pulling.len(),
        if pulling.len() == 1 { "" } else { "s" },
        patterns.len(),
        if patterns.len() == 1 { "" } else { "s" }
    );
    let pulled = match &workdir {
        Some(w) => pull::pull(w, &patterns),
        None => Err(PullError::NoWorkTree),
    };
    if let Err(e) = pulled {
        for d in &pulling {
            block(d, format!("its Git LFS media could not be fetched: {e}"));
        }
        return Fetched {
            posts: Vec::new(),
            blocked,
        };
    }
    let mut refreshed = Vec::new();
    recheck(repo, config, posts, &pulling, &mut block, &mut refreshed);
    Fetched {
        posts: refreshed,
        blocked,
    }
}

/// Validates the fetched posts' files again, now with their bytes.
fn recheck(
    repo: &Path,
    config: &Config,
    posts: &[Checked],
    pulled: &[Due<'_>],
    block: &mut dyn FnMut(&Due<'_>, String),
    out: &mut Vec<ValidPost>,
) {
    let files: Vec<_> = posts
        .iter()
        .filter(|c| pulled.iter().any(|d| d.file == c.file.rel))
        .map(|c| c.file.clone())
        .collect();
    let again = validate::validate_repo(repo, config, Some(&files));
    for d in pulled {
        let checked = again.posts.iter().find(|c| c.file.rel == d.file);
        let Some(v) = checked.and_then(|c| c.valid_for(d.account)) else {
            let errors: Vec<String> = checked
                .into_iter()
                .flat_map(|c| &c.problems)
                .filter(|p| p.is_error())
                .map(|p| format!("{} [{}]", p.message, p.rule))
                .collect();
            block(
                d,
                format!(
                    "its media fail the checks once fetched from Git LFS: {}",
                    errors.join("; ")
                ),
            );
            continue;
        };
        let absent: Vec<&str> = v
            .media
            .iter()
            .chain(&v.cover)
            .filter_map(|m| match &m.source {
                Source::File { path, info } if matches!(info.format, Format::LfsAbsent { .. }) => {
                    Some(path.as_str())
                }
                _ => None,
            })
            .collect();
        if absent.is_empty() {
            out.push(v.clone());
        } else {
            block(
                d,
                format!(
                    "git lfs pull brought no Git LFS object for {}: is it pushed to the LFS server?",
                    absent.join(", ")
                ),
            );
        }
    }
}
