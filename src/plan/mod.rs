//! Posts + state + time → a plan: for every post, what `apply` would do now,
//! and why. A pure function: no network, no writes.
//!
//! # The duplicate guard
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

use crate::time::{local, until};

pub mod base;
pub mod diff;
pub mod hash;

use crate::content::PostType;
use crate::diagnostic::Problem;
use crate::hosting::Hosting;
use crate::state::{self, State, Status};
use crate::validate::preflight::Source;
use crate::validate::{Checked, ValidPost};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;

/// The plan format `--format json` writes.
pub const FORMAT_VERSION: u32 = 1;

/// What apply does with a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// An earlier apply stopped mid-publish: finish it, never post twice.
    Resume,
    /// Due and not published: publish it.
    Publish,
    /// Published; only `comments` changed: apply updates it.
    Update,
    /// A published post's file was renamed: re-key the state.
    Moved,
    /// In the state, file gone: deleted only with `--prune`.
    Removed,
    /// Published, then edited in a way Instagram cannot edit: nothing.
    Changed,
    /// The same media and caption as another post, published or in flight
    /// (or earlier in this plan): nothing, unless `allow_duplicate: true`.
    Duplicate,
    /// Fails validation: nothing; exit 1.
    Invalid,
    /// Not due yet.
    Scheduled,
    /// `draft: true`.
    Draft,
    /// Published and unchanged.
    Published,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::Resume,
        Action::Publish,
        Action::Update,
        Action::Moved,
        Action::Removed,
        Action::Changed,
        Action::Duplicate,
        Action::Invalid,
        Action::Scheduled,
        Action::Draft,
        Action::Published,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::Resume => "resume",
            Action::Publish => "publish",
            Action::Update => "update",
            Action::Moved => "moved",
            Action::Removed => "removed",
            Action::Changed => "changed",
            Action::Duplicate => "duplicate",
            Action::Invalid => "invalid",
            Action::Scheduled => "scheduled",
            Action::Draft => "draft",
            Action::Published => "published",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One post's line in the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub id: String,
    pub file: String,
    pub account: Option<String>,
    pub action: Action,
    #[serde(rename = "type")]
    pub kind: Option<PostType>,
    pub publish_at: Option<Timestamp>,
    /// Public URLs of the media where known, else repo paths.
    pub media: Vec<String>,
    pub problems: Vec<Problem>,
    pub media_id: Option<String>,
    pub permalink: Option<String>,
    pub reason: String,
    /// `moved`: the id the state knew the post by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    /// `update`: whether comments are to be turned on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comments_enabled: Option<bool>,
    /// The caption's first line, for previews.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption_preview: Option<String>,
    /// Hash of what would be published (absent for invalid and removed posts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// `duplicate`: the id of the post this one copies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// Hash of the type and media alone, for apply to record (not in the
    /// JSON plan).
    #[serde(skip)]
    pub media_hash: Option<String>,
    /// Hash of the caption alone, for apply to record.
    #[serde(skip)]
    pub caption_hash: Option<String>,
    /// With `plan --base`: how the pull request touches this post (its
    /// file, or a media file it uses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pr: Option<base::Touch>,
    /// Field by field, what changed: since the commit a `changed` post was
    /// published from, or in the pull request against its base.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<diff::Change>,
    /// `publish_at` on the post's own clock when it was written with a zone
    /// or offset of its own (shown beside the config's zone).
    #[serde(skip)]
    pub publish_at_own: Option<String>,
}

impl Entry {
    /// Whether apply calls the Graph API for this entry (`removed` only
    /// with `--prune`); `moved` touches only the state.
    pub fn calls_meta(&self, prune: bool) -> bool {
        match self.action {
            Action::Publish | Action::Resume | Action::Update => true,
            Action::Removed => prune,
            _ => false,
        }
    }
}

/// The plan: entries in the order apply works through them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub format_version: u32,
    pub at: Timestamp,
    pub summary: BTreeMap<&'static str, usize>,
    pub entries: Vec<Entry>,
    /// Whether `removed` entries are to be deleted (`--prune`).
    #[serde(skip)]
    pub prune: bool,
    /// With `plan --base`: what the pull request changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<PullRequest>,
}

/// What a pull request changes, beside the entries it touches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PullRequest {
    /// The ref the pull request is compared with.
    pub base: String,
    /// Post files it deletes that were never published (no entry: nothing
    /// for apply to do).
    pub deleted: Vec<String>,
}

impl Plan {
    /// True when apply has something to do.
    pub fn needs_apply(&self) -> bool {
        self.entries.iter().any(|e| match e.action {
            Action::Publish | Action::Update | Action::Resume | Action::Moved => true,
            Action::Removed => self.prune,
            _ => false,
        })
    }

    pub fn has_invalid(&self) -> bool {
        self.entries.iter().any(|e| e.action == Action::Invalid)
    }

    /// Marks the entries a pull request touches: its post file, or a media
    /// file the post uses (`media`: repo paths by post id). Deleted post
    /// files (under a `content` folder) without an entry are listed apart.
    pub fn mark_touched(
        &mut self,
        base: &str,
        touched: &base::Touched,
        media: &HashMap<String, Vec<String>>,
        content: &[String],
    ) {
        let mut claimed: HashSet<&str> = HashSet::new();
        for e in &mut self.entries {
            if let Some(t) = touched.files.get(&e.file) {
                e.pr = Some(t.clone());
                claimed.insert(e.file.as_str());
                continue;
            }
            let edited_media = media
                .get(&e.id)
                .is_some_and(|paths| paths.iter().any(|p| touched.files.contains_key(p)));
            if edited_media {
                e.pr = Some(base::Touch::Modified);
            }
        }
        let deleted = touched
            .files
            .iter()
            .filter(|(path, t)| {
                **t == base::Touch::Deleted
                    && !claimed.contains(path.as_str())
                    && crate::content::Syntax::of(Path::new(path.as_str())).is_some()
                    && content.iter().any(|dir| {
                        let dir = dir.trim_matches('/');
                        dir.is_empty() || dir == "." || path.starts_with(&format!("{dir}/"))
                    })
            })
            .map(|(path, _)| path.clone())
            .collect();
        self.pull_request = Some(PullRequest {
            base: base.to_string(),
            deleted,
        });
    }

    pub fn count(&self, action: Action) -> usize {
        self.summary.get(action.name()).copied().unwrap_or(0)
    }
}

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
            id: id.clone(),
            file: r.file.clone(),
            account: Some(r.account.clone()),
            action: Action::Removed,
            kind: Some(r.kind),
            publish_at: None,
            media: Vec::new(),
            problems: Vec::new(),
            media_id: r.media_id.clone(),
            permalink: r.permalink.clone(),
            reason,
            moved_from: None,
            comments_enabled: None,
            caption_preview: None,
            content_hash: None,
            duplicate_of: None,
            media_hash: None,
            caption_hash: None,
            pr: None,
            changes: Vec::new(),
            publish_at_own: None,
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
fn mark_duplicates(
    entries: &mut [Entry],
    state: &State,
    present: &dyn Fn(&str, &state::Record) -> bool,
    allowed: &HashSet<String>,
) {
    let adopters: HashMap<&str, (&str, &str)> = entries
        .iter()
        .filter_map(|e| Some((e.moved_from.as_deref()?, (e.id.as_str(), e.file.as_str()))))
        .collect();
    let originals: Vec<Original<'_>> = state
        .posts
        .iter()
        .filter(|(_, r)| r.status != Status::Failed)
        .map(|(id, r)| match adopters.get(id.as_str()) {
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
        })
        .collect();
    let candidate = |e: &Entry| {
        matches!(e.action, Action::Publish | Action::Scheduled) && e.media_hash.is_some()
    };

    let mut verdicts: Vec<(usize, String, String)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if !candidate(e) || allowed.contains(&e.id) {
            continue;
        }
        let best = originals
            .iter()
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
    for (i, e) in entries.iter().enumerate() {
        if !candidate(e) || verdicts.iter().any(|(j, _, _)| *j == i) {
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

fn id_of(c: &Checked) -> &str {
    c.id.as_deref().unwrap_or(&c.file.default_id)
}

fn invalid(checked: &Checked, id: String, recorded: Option<&state::Record>) -> Entry {
    let errors: Vec<&Problem> = checked.problems.iter().filter(|p| p.is_error()).collect();
    let first = errors
        .first()
        .map_or(String::new(), |p| format!(": {}", p.message));
    let mut reason = format!(
        "{} error{}{first}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    if recorded.is_some_and(|r| r.status == Status::Published) {
        reason.push_str(" (already published; the live post is not affected)");
    }
    Entry {
        id,
        file: checked.file.rel.clone(),
        account: recorded.map(|r| r.account.clone()),
        action: Action::Invalid,
        kind: recorded.map(|r| r.kind),
        publish_at: None,
        media: Vec::new(),
        problems: checked.problems.clone(),
        media_id: recorded.and_then(|r| r.media_id.clone()),
        permalink: recorded.and_then(|r| r.permalink.clone()),
        reason,
        moved_from: None,
        comments_enabled: None,
        caption_preview: None,
        content_hash: None,
        duplicate_of: None,
        media_hash: None,
        caption_hash: None,
        pr: None,
        changes: Vec::new(),
        publish_at_own: None,
    }
}

fn base_entry(valid: &ValidPost, hosting: &Hosting, content_hash: &str) -> Entry {
    let media = valid
        .media
        .iter()
        .map(|m| match &m.source {
            Source::Url(u) => u.clone(),
            Source::File { path, .. } => hosting.url(path).unwrap_or_else(|_| path.clone()),
        })
        .collect();
    Entry {
        id: valid.post.id.clone(),
        file: valid.post.file.rel.clone(),
        account: Some(valid.account.clone()),
        action: Action::Publish,
        kind: Some(valid.kind),
        publish_at: valid.publish_at,
        publish_at_own: valid
            .post
            .fields
            .publish_at
            .as_deref()
            .and_then(crate::time::own_zone),
        media,
        problems: Vec::new(),
        media_id: None,
        permalink: None,
        reason: String::new(),
        moved_from: None,
        comments_enabled: None,
        caption_preview: valid
            .post
            .fields
            .caption
            .as_deref()
            .and_then(|c| c.lines().find(|l| !l.trim().is_empty()))
            .map(|l| l.trim().to_string()),
        content_hash: Some(content_hash.to_string()),
        duplicate_of: None,
        media_hash: None,
        caption_hash: None,
        pr: None,
        changes: Vec::new(),
    }
}

/// A post the state has never published (or failed to).
fn judge_new(entry: &mut Entry, valid: &ValidPost, at: Timestamp, last_error: Option<&str>) {
    let retry = last_error.map_or(String::new(), |e| format!("; the last attempt failed: {e}"));
    if valid.post.fields.draft {
        entry.action = Action::Draft;
        entry.reason = format!("draft: true{retry}");
        return;
    }
    match valid.publish_at {
        Some(when) if when > at => {
            entry.action = Action::Scheduled;
            entry.reason = format!("publish_at is {} from now{retry}", until(at, when));
        }
        Some(when) => {
            entry.action = Action::Publish;
            entry.reason = format!("due since {} ago{retry}", until(when, at));
        }
        None => {
            entry.action = Action::Publish;
            entry.reason = format!("no publish_at: publishes at the next apply{retry}");
        }
    }
}

/// A post the state knows.
fn judge_recorded(
    entry: &mut Entry,
    valid: &ValidPost,
    r: &state::Record,
    at: Timestamp,
    tz: &TimeZone,
) {
    entry.media_id = r.media_id.clone();
    entry.permalink = r.permalink.clone();
    match r.status {
        Status::Failed => judge_new(entry, valid, at, r.last_error.as_deref()),
        Status::Creating | Status::Publishing => {
            entry.action = Action::Resume;
            entry.reason = match r.status {
                Status::Creating => "an earlier apply stopped while creating its containers; apply checks them and goes on".into(),
                _ => "an earlier apply stopped around media_publish; apply asks the container whether it went live before doing anything".into(),
            };
        }
        Status::Published if Some(&r.content_hash) != entry.content_hash.as_ref() => {
            entry.action = Action::Changed;
            entry.reason = "edited after publishing; Instagram cannot edit a published post's caption or media, so nothing happens (revert the edit, or give the post a new `id` to publish it as a new post)".into();
        }
        Status::Published if r.media_id.is_none() => {
            // Live, but its media id was never learned (e.g. a story found
            // expired when an interrupted run was resumed a day later):
            // nothing can be changed on it.
            entry.action = Action::Published;
            entry.reason = "published (its media id is unknown, so comments settings and a first comment cannot be applied)".into();
        }
        Status::Published => {
            let wanted = valid.post.fields.comments.unwrap_or(true);
            let live = r.comments_enabled.unwrap_or(true);
            if wanted != live {
                entry.action = Action::Update;
                entry.comments_enabled = Some(wanted);
                entry.reason = format!(
                    "comments: {} → {}",
                    if live { "on" } else { "off" },
                    if wanted { "on" } else { "off" }
                );
            } else if valid.post.fields.first_comment.is_some()
                && r.first_comment_id.is_none()
                && r.media_id.is_some()
            {
                entry.action = Action::Update;
                entry.reason = "the first comment is not recorded: apply looks for it on the post and posts it only if it is missing".into();
            } else {
                entry.action = Action::Published;
                entry.reason = match r.published_at {
                    Some(t) => format!("published {}", local(t, tz)),
                    None => "published".into(),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests;
