//! The duplicate guard.
//!
//! A post that would be published (`publish`, or `scheduled` to be) whose
//! media and caption equal those of a post the state records as published or
//! in flight (`published`, `publishing`, `creating`) under another id, on the
//! same account, is planned as `duplicate` and apply leaves it alone: a copy
//! of a live post's file under a new name is never posted again by mistake.
//! So is one whose media equal a recorded post's while its caption differs,
//! when that post's file is gone from the repo: a rename with an edit (with
//! no edit it is `moved`). Two new posts in one plan with the same media and
//! caption: the first in apply's order is planned as usual, the others are
//! duplicates of it. `allow_duplicate: true` in a post's file turns the guard
//! off for that post. Media are compared by bytes (or URL), with the post
//! type and cover; a different account is never a duplicate.
//!
//! Records written before postwright kept a media hash have none: a post is
//! then a duplicate of such a record only when its whole content hash is the
//! record's (the same media, caption and every other field that reaches
//! Instagram). Not caught for those records: a copy that also changed
//! anything else that is hashed (alt text, first comment, location, …), and
//! a rename with an edit. Apply keeps the media hash in every record it
//! writes from now on (and adds it when it re-keys a moved post).

use super::entry::{Action, Entry};
use crate::state::{self, State, Status};
use std::collections::{HashMap, HashSet};

/// A post the state records as live or on its way, that another post could copy.
struct Original<'a> {
    /// Its id and file now (those of the post that adopted it, after a move).
    id: &'a str,
    file: &'a str,
    /// Whether its file is still in the repo.
    present: bool,
    record: &'a state::Record,
}

impl Original<'_> {
    /// `published, https://…` / `being published`.
    fn standing(&self) -> String {
        match (self.record.status, &self.record.permalink) {
            (Status::Published, Some(p)) => format!("published, {p}"),
            (Status::Published, None) => "published".into(),
            _ => "being published by an interrupted apply".into(),
        }
    }
}

/// How a would-be publish matches an original.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Likeness {
    /// The same media and caption.
    Copy,
    /// The same media, another caption, and the original's file is gone.
    RenamedAndEdited,
}

fn likeness(e: &Entry, o: &Original<'_>) -> Option<Likeness> {
    let r = o.record;
    if e.account.as_deref() != Some(r.account.as_str()) || e.id == o.id {
        return None;
    }
    let (same_media, same_caption) = match &r.media_hash {
        Some(media) => {
            let same_media = e.media_hash.as_ref() == Some(media);
            let same_caption = match &r.caption_hash {
                Some(c) => e.caption_hash.as_ref() == Some(c),
                None => e.content_hash.as_ref() == Some(&r.content_hash),
            };
            (same_media, same_caption)
        }
        // An older record: only the whole content can be compared.
        None => {
            let same = e.content_hash.as_ref() == Some(&r.content_hash);
            (same, same)
        }
    };
    match (same_media, same_caption) {
        (true, true) => Some(Likeness::Copy),
        (true, false) if !o.present => Some(Likeness::RenamedAndEdited),
        _ => None,
    }
}

/// The duplicate guard (see the module docs): marks would-be publishes that
/// copy a recorded post, or an earlier post of this plan, as `duplicate`.
/// `entries` are in apply's order.
pub(super) fn mark_duplicates(
    entries: &mut [Entry],
    state: &State,
    present: &dyn Fn(&str, &state::Record) -> bool,
    allowed: &HashSet<String>,
) {
    let candidate = |e: &Entry| {
        matches!(
            e.action,
            Action::Publish | Action::Scheduled | Action::Overdue
        ) && e.media_hash.is_some()
    };
    // What a copy must share with an original (see `likeness`): the
    // account and the media hash, or for older records the content hash.
    // Only originals that share it with a candidate are looked at: a plan
    // with nothing to publish reads none of the record.
    let mut wanted: HashSet<(&str, &str)> = HashSet::new();
    for e in entries.iter().filter(|e| candidate(e)) {
        let account = e.account.as_deref().unwrap_or("");
        wanted.extend(e.media_hash.as_deref().map(|m| (account, m)));
        wanted.extend(e.content_hash.as_deref().map(|c| (account, c)));
    }
    if wanted.is_empty() {
        return;
    }
    let adopters: HashMap<(&str, &str), (&str, &str)> = entries
        .iter()
        .filter_map(|e| {
            let from = (e.moved_from.as_deref()?, e.account.as_deref()?);
            Some((from, (e.id.as_str(), e.file.as_str())))
        })
        .collect();
    // Indexed in the record's order (`near` below sorts by it).
    let mut originals: Vec<Original<'_>> = Vec::new();
    let mut by_media: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut by_content: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (id, r) in state.records().filter(|(_, r)| r.status != Status::Failed) {
        let (index, key) = match &r.media_hash {
            Some(m) => (&mut by_media, (r.account.as_str(), m.as_str())),
            None => (
                &mut by_content,
                (r.account.as_str(), r.content_hash.as_str()),
            ),
        };
        if !wanted.contains(&key) {
            continue;
        }
        index.entry(key).or_default().push(originals.len());
        originals.push(match adopters.get(&(id, r.account.as_str())) {
            Some((new_id, file)) => Original {
                id: new_id,
                file,
                present: true,
                record: r,
            },
            None => Original {
                id,
                file: &r.file,
                present: present(id, r),
                record: r,
            },
        });
    }
    let mut verdicts: Vec<(usize, String, String)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if !candidate(e) || allowed.contains(&e.id) {
            continue;
        }
        let account = e.account.as_deref().unwrap_or("");
        let mut near: Vec<usize> = Vec::new();
        if let Some(m) = e.media_hash.as_deref() {
            near.extend(by_media.get(&(account, m)).into_iter().flatten());
        }
        if let Some(c) = e.content_hash.as_deref() {
            near.extend(by_content.get(&(account, c)).into_iter().flatten());
        }
        // In the record's order: of equally close originals, the first.
        near.sort_unstable();
        let best = near
            .iter()
            .map(|&k| &originals[k])
            .filter_map(|o| Some((likeness(e, o)?, o)))
            .min_by(|a, b| a.0.cmp(&b.0));
        let Some((how, o)) = best else { continue };
        let reason = if how == Likeness::RenamedAndEdited || !o.present {
            format!(
                "looks like {} renamed and edited ({}): set `id: {}` to keep it as that post, or set `allow_duplicate: true` to publish it as a new one",
                o.file,
                o.standing(),
                o.id
            )
        } else {
            format!(
                "the same media and caption as `{}` ({}, {}): not published again; set `allow_duplicate: true` if a second copy is meant",
                o.id,
                o.file,
                o.standing()
            )
        };
        verdicts.push((i, o.id.to_string(), reason));
    }

    // Copies among the posts of this plan: the first in apply's order stays.
    let mut first: HashMap<(&str, &str, &str), usize> = HashMap::new();
    let judged: HashSet<usize> = verdicts.iter().map(|(j, _, _)| *j).collect();
    for (i, e) in entries.iter().enumerate() {
        if !candidate(e) || judged.contains(&i) {
            continue;
        }
        let (Some(account), Some(media), Some(caption)) = (
            e.account.as_deref(),
            e.media_hash.as_deref(),
            e.caption_hash.as_deref(),
        ) else {
            continue;
        };
        match first.get(&(account, media, caption)) {
            Some(&f) if !allowed.contains(&e.id) => {
                let o = &entries[f];
                verdicts.push((
                    i,
                    o.id.clone(),
                    format!(
                        "the same media and caption as `{}` ({}), which comes first in this plan: only that one is published; set `allow_duplicate: true` if both are meant",
                        o.id, o.file
                    ),
                ));
            }
            Some(_) => {}
            None => {
                first.insert((account, media, caption), i);
            }
        }
    }

    for (i, of, reason) in verdicts {
        let e = &mut entries[i];
        e.action = Action::Duplicate;
        e.duplicate_of = Some(of);
        e.reason = reason;
    }
}
