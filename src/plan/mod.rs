//! Posts + state + time → a plan: for every post, what `apply` would do now,
//! and why. A pure function: no network, no writes.
//!
//! (The duplicate guard: [`duplicate`].)

pub mod base;
pub mod diff;
mod duplicate;
mod entry;
pub mod hash;
mod judge;

use duplicate::mark_duplicates;
pub use entry::{Action, Entry, Plan, PullRequest, FORMAT_VERSION};
use judge::{base_entry, id_of, invalid, judge_new, judge_recorded};

use crate::hosting::Hosting;
use crate::state::{self, State, Status};
use crate::validate::Checked;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// What the plan is made from.
pub struct Inputs<'a> {
    pub repo: &'a Path,
    pub posts: &'a [Checked],
    pub state: &'a State,
    pub at: Timestamp,
    pub hosting: &'a Hosting,
    pub prune: bool,
    /// The config's zone, for times in reasons.
    pub tz: &'a TimeZone,
}

/// Builds the plan.
pub fn plan(inputs: &Inputs<'_>) -> Plan {
    let state = inputs.state;
    let mut hasher = hash::Hasher::new(inputs.repo);
    let file_ids: HashSet<&str> = inputs.posts.iter().map(id_of).collect();
    // A file that cannot be parsed has no readable `id:`; whatever the state
    // recorded for that file is still there, so it must not read as removed
    // (and be deleted by `--prune`) nor be taken for the source of a rename.
    let unreadable: HashSet<&str> = inputs
        .posts
        .iter()
        .filter(|c| c.id.is_none())
        .map(|c| c.file.rel.as_str())
        .collect();
    let present =
        |id: &str, r: &state::Record| file_ids.contains(id) || unreadable.contains(r.file.as_str());
    // What the state recorded for those files, found in one pass.
    let unreadable_records: HashMap<&str, &state::Record> = if unreadable.is_empty() {
        HashMap::new()
    } else {
        state
            .posts
            .values()
            .filter(|r| unreadable.contains(r.file.as_str()))
            .map(|r| (r.file.as_str(), r))
            .collect()
    };

    // Posts whose id no longer has a file: candidates for a move. A publish
    // in flight is one too, so a rename mid-publish resumes, never reposts.
    let mut orphans: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, e) in &state.posts {
        if !present(id, e) && e.status != Status::Failed {
            orphans.entry(e.content_hash.as_str()).or_default().push(id);
        }
    }
    let mut adopted: HashSet<String> = HashSet::new();
    let mut allowed: HashSet<String> = HashSet::new();

    let mut entries = Vec::with_capacity(inputs.posts.len() + state.posts.len());
    for checked in inputs.posts {
        let id = checked
            .id
            .clone()
            .unwrap_or_else(|| checked.file.default_id.clone());
        let Some(valid) = &checked.valid else {
            let recorded = state.posts.get(&id).or_else(|| {
                checked
                    .id
                    .is_none()
                    .then(|| unreadable_records.get(checked.file.rel.as_str()).copied())
                    .flatten()
            });
            entries.push(invalid(checked, id, recorded));
            continue;
        };
        let content_hash = hasher.post(valid);
        let mut entry = base_entry(valid, inputs.hosting, &content_hash);
        entry.media_hash = Some(hasher.media(valid));
        entry.caption_hash = Some(hash::caption(valid.post.fields.caption.as_deref()));
        if valid.post.fields.allow_duplicate {
            allowed.insert(valid.post.id.clone());
        }
        let recorded = state.posts.get(&valid.post.id);
        match recorded {
            Some(r) => judge_recorded(&mut entry, valid, r, inputs.at, inputs.tz),
            None => {
                let moved = orphans.get_mut(content_hash.as_str()).and_then(|ids| {
                    let from = ids
                        .iter()
                        .position(|old| state.posts[*old].account == valid.account)?;
                    Some(ids.remove(from))
                });
                match moved {
                    Some(old) => {
                        let r = &state.posts[old];
                        adopted.insert(old.to_string());
                        entry.moved_from = Some(old.to_string());
                        entry.media_id = r.media_id.clone();
                        entry.permalink = r.permalink.clone();
                        if r.status == Status::Published {
                            entry.action = Action::Moved;
                            entry.reason = format!(
                                "renamed from {} (id `{old}`) with the same content: the state is re-keyed, nothing is posted again",
                                r.file
                            );
                        } else {
                            entry.action = Action::Resume;
                            entry.reason = format!(
                                "renamed from {} (id `{old}`) while an apply was publishing it: apply re-keys the state and finishes that publish, never posts it twice",
                                r.file
                            );
                        }
                    }
                    None => judge_new(&mut entry, valid, inputs.at, None),
                }
            }
        }
        entries.push(entry);
    }

    for (id, r) in &state.posts {
        if present(id, r) || adopted.contains(id) {
            continue;
        }
        let reason = match r.status {
            Status::Published => format!(
                "{} was deleted; the Instagram post stays{}",
                r.file,
                if inputs.prune {
                    " until apply --prune deletes it"
                } else {
                    " (apply --prune would delete it)"
                }
            ),
            Status::Creating | Status::Publishing => format!(
                "{} was deleted while an apply was publishing it; apply --prune checks whether it went live and deletes it",
                r.file
            ),
            Status::Failed => format!("{} was deleted; it was never published", r.file),
        };
        entries.push(Entry {
            account: Some(r.account.clone()),
            kind: Some(r.kind),
            media_id: r.media_id.clone(),
            permalink: r.permalink.clone(),
            ..Entry::new(id, &r.file, Action::Removed, reason)
        });
    }

    entries.sort_by(apply_order);
    mark_duplicates(&mut entries, state, &present, &allowed);
    entries.sort_by(apply_order);
    let mut summary = BTreeMap::new();
    for e in &entries {
        *summary.entry(e.action.name()).or_insert(0) += 1;
    }
    Plan {
        format_version: FORMAT_VERSION,
        at: inputs.at,
        summary,
        entries,
        prune: inputs.prune,
        pull_request: None,
    }
}

/// Apply's order: resumes first, then due posts by publish_at (the grid
/// order), then the rest; ties by id.
fn apply_order(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    (a.action, a.publish_at.is_some(), a.publish_at, &a.id).cmp(&(
        b.action,
        b.publish_at.is_some(),
        b.publish_at,
        &b.id,
    ))
}

#[cfg(test)]
mod tests;
