//! Posts + state + time → a plan: for every post, what `apply` would do now,
//! and why. A pure function: no network, no writes.
//!
//! (The duplicate guard: [`duplicate`].)

pub mod base;
pub mod diff;
pub mod drift;
mod duplicate;
mod entry;
pub mod hash;
mod judge;
pub mod native;
pub mod schedule;

use duplicate::mark_duplicates;
pub use entry::{Action, Entry, NativeStep, Plan, PullRequest, FORMAT_VERSION};
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
    /// The config's accounts (for the platform of a removed post's account).
    pub accounts: &'a BTreeMap<String, crate::config::Account>,
    /// `[schedule] max_overdue_hours`: later than this past its
    /// publish_at, a post is `overdue`; `None`: no limit.
    pub max_overdue: Option<jiff::SignedDuration>,
}

/// Builds the plan.
pub fn plan(inputs: &Inputs<'_>) -> Plan {
    let state = inputs.state;
    // The targets the files name; a file whose accounts could not be read
    // (a typo in `accounts`) keeps every record of its id: none of them
    // may read as removed (and be deleted by `--prune`).
    let mut file_targets: HashSet<(&str, &str)> = HashSet::new();
    let mut unresolved: HashSet<&str> = HashSet::new();
    let file_ids: HashSet<&str> = inputs.posts.iter().map(id_of).collect();
    for c in inputs.posts {
        if c.accounts.is_empty() {
            unresolved.insert(id_of(c));
        }
        for t in &c.accounts {
            file_targets.insert((id_of(c), t.account.as_str()));
        }
    }
    // A file that cannot be parsed has no readable `id:`; whatever the state
    // recorded for that file is still there, so it must not read as removed
    // (and be deleted by `--prune`) nor be taken for the source of a rename.
    let unreadable: HashSet<&str> = inputs
        .posts
        .iter()
        .filter(|c| c.id.is_none())
        .map(|c| c.file.rel.as_str())
        .collect();
    let present = |id: &str, r: &state::Record| {
        file_targets.contains(&(id, r.account.as_str()))
            || unresolved.contains(id)
            || unreadable.contains(r.file.as_str())
    };
    // What the state recorded for those files, found in one pass.
    let unreadable_records: HashMap<&str, &state::Record> = if unreadable.is_empty() {
        HashMap::new()
    } else {
        state
            .records()
            .map(|(_, r)| r)
            .filter(|r| unreadable.contains(r.file.as_str()))
            .map(|r| (r.file.as_str(), r))
            .collect()
    };

    // Posts whose id no longer has a file: candidates for a move. A publish
    // in flight is one too, so a rename mid-publish resumes, never reposts.
    let mut orphans: HashMap<&str, Vec<(&str, &state::Record)>> = HashMap::new();
    for (id, e) in state.records() {
        if !present(id, e) && e.status != Status::Failed {
            orphans
                .entry(e.content_hash.as_str())
                .or_default()
                .push((id, e));
        }
    }
    let mut adopted: HashSet<(String, String)> = HashSet::new();
    let mut allowed: HashSet<String> = HashSet::new();

    // Every valid target hashed and judged on every core, in the files'
    // order, into the plan's entries; only a claim on an orphaned record
    // (a rename), which the first claimant in file order wins, waits for
    // the pass below.
    let targets: Vec<(usize, &crate::validate::ValidPost)> = inputs
        .posts
        .iter()
        .filter(|c| !c.accounts.is_empty())
        .flat_map(|c| c.accounts.iter().filter_map(|t| c.valid_for(&t.account)))
        .enumerate()
        .collect();
    let claimants = std::sync::Mutex::new(Vec::new());
    let mut entries = crate::par::map(
        targets,
        || hash::Hasher::new(inputs.repo),
        |hasher, (i, valid)| {
            let (entry, claims) = judge_target(valid, inputs, hasher.all(valid), &orphans);
            if claims {
                claimants.lock().unwrap_or_else(|e| e.into_inner()).push(i);
            }
            entry
        },
    );
    let mut claimants = claimants.into_inner().unwrap_or_else(|e| e.into_inner());
    claimants.sort_unstable();
    let mut claimants = claimants.into_iter().peekable();

    // Invalid posts' entries, after the valid ones (the sort below puts
    // every entry in its place; of equals, it keeps this order).
    let mut invalids = Vec::new();
    let mut k = 0;
    for checked in inputs.posts {
        let id = || {
            checked
                .id
                .clone()
                .unwrap_or_else(|| checked.file.default_id.clone())
        };
        if checked.accounts.is_empty() {
            let id = id();
            let recorded = state.of_post(&id).next().or_else(|| {
                checked
                    .id
                    .is_none()
                    .then(|| unreadable_records.get(checked.file.rel.as_str()).copied())
                    .flatten()
            });
            invalids.push(invalid(checked, id, recorded, None));
            continue;
        }
        for target in &checked.accounts {
            let Some(valid) = checked.valid_for(&target.account) else {
                let id = id();
                let recorded = state.get(&id, &target.account);
                invalids.push(invalid(checked, id, recorded, Some(target)));
                continue;
            };
            // The pass above judged these targets in this order.
            let entry = &mut entries[k];
            if claimants.next_if_eq(&k).is_some() {
                claim_orphan(entry, valid, inputs, &mut orphans, &mut adopted);
            }
            k += 1;
            if valid.post.fields.allow_duplicate {
                allowed.insert(valid.post.id.clone());
            }
            // Work ahead on a post whose LFS object is not here: the plan
            // says which checks wait for apply.
            if matches!(
                entry.action,
                Action::Publish | Action::Scheduled | Action::Resume
            ) {
                entry.problems.extend(
                    checked
                        .problems_for(Some(valid.platform))
                        .filter(|p| p.rule == crate::diagnostic::Rule::LfsObjectMissing)
                        .cloned(),
                );
            }
        }
    }
    entries.append(&mut invalids);

    for (id, r) in state.records() {
        if present(id, r) || adopted.contains(&(id.to_string(), r.account.clone())) {
            continue;
        }

        let platform = inputs.accounts.get(&r.account).map(|a| a.platform);
        let on = platform.map_or("published", |p| p.title());
        // The file is still there: only this account left its `accounts`.
        let gone = if file_ids.contains(id) {
            format!("{} no longer lists account `{}`", r.file, r.account)
        } else {
            format!("{} was deleted", r.file)
        };
        let reason = match r.status {
            // Nothing is live: cancelled without `--prune`.
            Status::ScheduledOnPlatform => {
                let (action, step, reason) = native::removed(r, &gone, inputs);
                entries.push(Entry {
                    account: Some(r.account.clone()),
                    platform,
                    kind: Some(r.kind),
                    native: Some(step),
                    ..Entry::new(id, &r.file, action, reason)
                });
                continue;
            }
            Status::Published => format!(
                "{gone}; the {on} post stays{}",
                if inputs.prune {
                    " until apply --prune deletes it"
                } else {
                    " (apply --prune would delete it)"
                }
            ),
            Status::Creating | Status::Publishing => format!(
                "{gone} while an apply was publishing it; apply --prune checks whether it went live and deletes it"
            ),
            Status::Failed => format!("{gone}; it was never published"),
        };
        entries.push(Entry {
            account: Some(r.account.clone()),
            platform,
            kind: Some(r.kind),
            media_id: r.media_id.clone(),
            permalink: r.permalink.clone(),
            ..Entry::new(id, &r.file, Action::Removed, reason)
        });
    }

    sort_in_apply_order(&mut entries);
    mark_duplicates(&mut entries, state, &present, &allowed);
    native::hand_over(&mut entries, state, inputs);
    sort_in_apply_order(&mut entries);
    if let Some(s) = schedule::ApplyRuns::discover(inputs.repo) {
        mark_late(&mut entries, &s, inputs);
    }
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
        state_unknown: None,
        drift: None,
    }
}

/// Posts not due yet whose `publish_at` falls between the apply workflow's
/// runs by more than [`schedule::TOLERANCE`]: a warning with the time the
/// post goes out, at its `publish_at` line.
fn mark_late(entries: &mut [Entry], schedule: &schedule::ApplyRuns, inputs: &Inputs<'_>) {
    use crate::diagnostic::{Pos, Problem, Rule};
    for e in entries.iter_mut().filter(|e| e.action == Action::Scheduled) {
        let Some(when) = e.publish_at else { continue };
        let Some(run) = schedule.next_run(when) else {
            continue;
        };
        if run.duration_since(when) <= schedule::TOLERANCE {
            continue;
        }
        // Only the few late posts' files are read again for the line.
        let line = std::fs::read_to_string(inputs.repo.join(&e.file))
            .ok()
            .and_then(|text| {
                text.lines()
                    .position(|l| l.trim_start().starts_with("publish_at:"))
            })
            .map_or(Pos::START, |i| Pos::new(i + 1, 1));
        let message = format!(
            "publish_at {} falls between apply's scheduled runs (cron {} in {}): the post goes out at {}, {} late, or later when GitHub delays the run",
            crate::time::local(when, inputs.tz),
            schedule.describe(),
            schedule.file,
            crate::time::local(run, inputs.tz),
            crate::time::until(when, run),
        );
        e.problems.push(
            Problem::new(Rule::OffSchedule, &e.file, line, message).with_help(format!(
                "write publish_at {} (a run's time), or schedule apply more often in {} (every run costs at least a job-minute)",
                crate::time::local(run, inputs.tz),
                schedule.file
            )),
        );
    }
}

/// The plan entry of one valid target: a new post or a recorded one;
/// `true` with it when it may be the rename of a recorded post (no record
/// of its own, and an orphaned record of its account has its content),
/// which [`claim_orphan`] judges in file order.
fn judge_target(
    valid: &crate::validate::ValidPost,
    inputs: &Inputs<'_>,
    hashes: hash::Hashes,
    orphans: &HashMap<&str, Vec<(&str, &state::Record)>>,
) -> (Entry, bool) {
    let content_hash = hashes.content;
    let mut entry = base_entry(valid, inputs.hosting, &content_hash, &hashes.items);
    entry.media_hash = Some(hashes.media);
    entry.caption_hash = Some(hashes.caption);
    match inputs.state.get(&valid.post.id, &valid.account) {
        Some(r) => judge_recorded(&mut entry, valid, r, inputs),
        None if orphans
            .get(content_hash.as_str())
            .is_some_and(|ids| ids.iter().any(|(_, r)| r.account == valid.account)) =>
        {
            return (entry, true)
        }
        None => judge_new(&mut entry, valid, inputs, None),
    }
    (entry, false)
}

/// A target that may be a rename: it takes the first orphaned record of
/// its account and content still unclaimed (re-keyed, never posted
/// again), or, when an earlier file took them all, is judged new.
fn claim_orphan<'s>(
    entry: &mut Entry,
    valid: &crate::validate::ValidPost,
    inputs: &Inputs<'_>,
    orphans: &mut HashMap<&'s str, Vec<(&'s str, &'s state::Record)>>,
    adopted: &mut HashSet<(String, String)>,
) {
    let moved = entry
        .content_hash
        .as_deref()
        .and_then(|hash| orphans.get_mut(hash))
        .and_then(|ids| {
            let from = ids.iter().position(|(_, r)| r.account == valid.account)?;
            Some(ids.remove(from))
        });
    let Some((old, r)) = moved else {
        judge_new(entry, valid, inputs, None);
        return;
    };
    adopted.insert((old.to_string(), r.account.clone()));
    entry.moved_from = Some(old.to_string());
    entry.media_id = r.media_id.clone();
    entry.permalink = r.permalink.clone();
    if r.status == Status::ScheduledOnPlatform {
        entry.action = Action::Moved;
        entry.reason = format!(
            "renamed from {} (id `{old}`) while the platform holds it: the state is re-keyed; the held post is not touched",
            r.file
        );
    } else if r.status == Status::Published {
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

/// Apply's order: resumes first, then due posts by publish_at (the grid
/// order), then the rest; ties by id, then account.
/// `entries` sorted by [`apply_order`], stable. The sort moves indices,
/// then the entries are swapped into place cycle by cycle (a swap a place
/// at most), where a stable sort of the entries themselves moves their
/// ~500 bytes once per merge pass (a 10,000-post plan: 7–10 ms of one
/// thread, most of it memmove); entries already in order are left as they
/// are.
fn sort_in_apply_order(entries: &mut [Entry]) {
    if entries.is_sorted_by(|a, b| apply_order(a, b).is_le()) {
        return;
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| apply_order(&entries[a], &entries[b]));
    // In place, cycle by cycle: position k takes the entry at order[k].
    for start in 0..order.len() {
        let mut k = start;
        while order[k] != usize::MAX {
            let from = std::mem::replace(&mut order[k], usize::MAX);
            if from == start {
                break;
            }
            entries.swap(k, from);
            k = from;
        }
    }
}

fn apply_order(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    (
        a.action,
        a.publish_at.is_some(),
        a.publish_at,
        &a.id,
        &a.account,
    )
        .cmp(&(
            b.action,
            b.publish_at.is_some(),
            b.publish_at,
            &b.id,
            &b.account,
        ))
}

#[cfg(test)]
mod tests;
