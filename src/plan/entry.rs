//! The plan's vocabulary: actions, entries, the plan itself, and what a
//! pull request changes.

use super::{base, diff};
use crate::content::PostType;
use crate::diagnostic::Problem;
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
    /// Due, but more than `[schedule] max_overdue_hours` past its
    /// publish_at (an outage, a late cron, a file from an archive):
    /// nothing until a person changes publish_at or sets
    /// `publish_overdue: true`.
    Overdue,
    /// Fails validation: nothing; exit 1.
    Invalid,
    /// The platform's own scheduler is told something (`schedule =
    /// "native"`): hand the post over, move or cancel what it holds, or
    /// find out what it did ([`Entry::native`]).
    Native,
    /// Held by the platform's own scheduler, which publishes it at its
    /// time without a run: nothing.
    #[serde(rename = "on-platform")]
    OnPlatform,
    /// Not due yet.
    Scheduled,
    /// `draft: true`.
    Draft,
    /// Published and unchanged.
    Published,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Action::Resume,
        Action::Publish,
        Action::Update,
        Action::Moved,
        Action::Removed,
        Action::Changed,
        Action::Duplicate,
        Action::Overdue,
        Action::Invalid,
        Action::Native,
        Action::OnPlatform,
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
            Action::Overdue => "overdue",
            Action::Invalid => "invalid",
            Action::Native => "native",
            Action::OnPlatform => "on-platform",
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

/// A step with the platform's own scheduler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum NativeStep {
    /// Hand the post over, to be published by the platform at `at`.
    Schedule { at: Timestamp },
    /// Move the held post `id` from `from` to `to`.
    Move {
        id: String,
        from: Timestamp,
        to: Timestamp,
    },
    /// Cancel the held post (`id`: `None` when the hand-over's answer was
    /// lost: found first); then hand the post over anew for `then`, when
    /// set.
    Cancel {
        id: Option<String>,
        then: Option<Timestamp>,
    },
    /// Its time has passed, or the hand-over's answer was lost: ask the
    /// platform what became of it and record that.
    Check,
}

/// One post's line in the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub id: String,
    pub file: String,
    pub account: Option<String>,
    /// The account's platform (absent when the account is not known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<crate::platform::Platform>,
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
    /// What apply tells the platform's own scheduler first (`native`, or a
    /// `publish` whose held copy is cancelled before it goes out now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native: Option<NativeStep>,
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
    /// An entry with only what every entry has; the rest empty, to be set.
    pub fn new(id: &str, file: &str, action: Action, reason: String) -> Entry {
        Entry {
            id: id.to_string(),
            file: file.to_string(),
            account: None,
            platform: None,
            action,
            kind: None,
            publish_at: None,
            media: Vec::new(),
            problems: Vec::new(),
            media_id: None,
            permalink: None,
            reason,
            moved_from: None,
            comments_enabled: None,
            caption_preview: None,
            content_hash: None,
            native: None,
            duplicate_of: None,
            media_hash: None,
            caption_hash: None,
            pr: None,
            changes: Vec::new(),
            publish_at_own: None,
        }
    }

    /// The account (empty when not known: an invalid post's).
    pub fn acct(&self) -> &str {
        self.account.as_deref().unwrap_or("")
    }

    /// The target: (post id, account).
    pub fn key(&self) -> (&str, &str) {
        (self.id.as_str(), self.acct())
    }

    /// Whether apply calls the Graph API for this entry (`removed` only
    /// with `--prune`); `moved` touches only the state.
    pub fn calls_meta(&self, prune: bool) -> bool {
        match self.action {
            Action::Publish | Action::Resume | Action::Update | Action::Native => true,
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
    /// The record could not be read and its absence could not be told:
    /// posts already published may show as to publish.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_unknown: Option<crate::state::Doubt>,
    /// With `--refresh`: the live accounts against the record (reported,
    /// never acted on: see [`crate::plan::drift`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<Vec<super::drift::Drift>>,
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
            Action::Publish | Action::Update | Action::Resume | Action::Moved | Action::Native => {
                true
            }
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
