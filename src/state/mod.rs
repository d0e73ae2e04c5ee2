//! The state record: what has been published (and what is half-way there),
//! so that nothing is posted twice and nothing is lost.
//!
//! This is the only module that writes the record. Two backends keep the
//! same JSON document: a file in the content repo (default), or a commit on
//! a branch of its own (`git`). Reading a record that is corrupt or from a
//! newer postwright is an error, never a silent reset: an empty record would
//! make `apply` publish everything again.

mod file;
mod format;
mod git;
mod git_cli;
mod lease;
pub mod read_only;

pub use file::FileStore;
pub use format::{parse, render};
pub use git::GitStore;
pub use lease::{Lease, Locked};
pub use read_only::{Asking, Doubt, Snapshot, Source};

use crate::config::{Backend, Config};
use crate::content::PostType;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The record format this postwright writes; it reads this one and every
/// earlier one. 2 added the media and caption hashes of the duplicate guard:
/// a postwright that knows only 1 then says "upgrade" instead of calling the
/// record corrupt (whose advice, restoring an older record, could publish
/// posts again). 3 keys records by post and account (a post may go to
/// several accounts): `posts.<id>.<account>`; 1 and 2 (`posts.<id>`, the
/// account inside) are read and written back as 3. 4 added posts held by
/// the platform's own scheduler (status `scheduled-on-platform`, with
/// `scheduled_id` and `scheduled_at`): a postwright that knows only 3
/// says "upgrade" rather than misreading them.
pub const FORMAT_VERSION: u32 = 4;

/// The whole record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub format_version: u32,
    /// By post id, then by account: one record per target. On disk a map
    /// of maps (`posts.<id>.<account>`); in memory each post's few records
    /// in a vector sorted by account, not a map: a map's first node holds
    /// room for eleven records, 4 KB a post for the one most posts have.
    #[serde(default, with = "format::by_account")]
    posts: BTreeMap<String, Vec<Record>>,
}

impl State {
    /// The record of post `id` on `account`.
    pub fn get(&self, id: &str, account: &str) -> Option<&Record> {
        self.posts.get(id)?.iter().find(|r| r.account == account)
    }

    pub fn get_mut(&mut self, id: &str, account: &str) -> Option<&mut Record> {
        self.posts
            .get_mut(id)?
            .iter_mut()
            .find(|r| r.account == account)
    }

    /// Records `record` for post `id` on its account (replacing one).
    pub fn insert(&mut self, id: &str, record: Record) {
        let records = self.posts.entry(id.to_string()).or_default();
        // `Ok(at)` is an index binary_search found in `records`: in bounds.
        match records.binary_search_by(|r| r.account.cmp(&record.account)) {
            Ok(at) => records[at] = record,
            Err(at) => records.insert(at, record),
        }
    }

    /// The record of post `id` on `account`, made by `make` when there is none.
    pub fn get_or_insert(
        &mut self,
        id: &str,
        account: &str,
        make: impl FnOnce() -> Record,
    ) -> &mut Record {
        let records = self.posts.entry(id.to_string()).or_default();
        let at = match records.binary_search_by(|r| r.account.as_str().cmp(account)) {
            Ok(at) => at,
            Err(at) => {
                let mut record = make();
                record.account = account.to_string();
                records.insert(at, record);
                at
            }
        };
        // In bounds: found by binary_search, or where `make`'s record was
        // just inserted.
        &mut records[at]
    }

    pub fn remove(&mut self, id: &str, account: &str) -> Option<Record> {
        let targets = self.posts.get_mut(id)?;
        let at = targets.iter().position(|r| r.account == account)?;
        let removed = targets.remove(at);
        if targets.is_empty() {
            self.posts.remove(id);
        }
        Some(removed)
    }

    /// Every record with its post id, by id then account.
    pub fn records(&self) -> impl Iterator<Item = (&str, &Record)> {
        self.posts
            .iter()
            .flat_map(|(id, targets)| targets.iter().map(move |r| (id.as_str(), r)))
    }

    /// Every record of post `id` (one per account).
    pub fn of_post(&self, id: &str) -> impl Iterator<Item = &Record> {
        self.posts.get(id).into_iter().flatten()
    }

    /// How many records (targets) there are.
    pub fn len(&self) -> usize {
        self.posts.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.posts.is_empty()
    }
}

impl Default for State {
    fn default() -> Self {
        State {
            format_version: FORMAT_VERSION,
            posts: BTreeMap::new(),
        }
    }
}

/// Where a post stands with Instagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Containers are being created; nothing is public yet.
    Creating,
    /// `media_publish` may have been called: the container decides what happened.
    Publishing,
    /// Live on Instagram.
    Published,
    /// The last attempt failed before anything went public; it will be retried.
    Failed,
    /// Handed to the platform's own scheduler (`schedule = "native"`): the
    /// platform holds it as `scheduled_id` and publishes it at
    /// `scheduled_at` by itself. Without `scheduled_id` the hand-over's
    /// answer was not recorded (a crash): apply looks for it among the
    /// held posts before anything else.
    #[serde(rename = "scheduled-on-platform")]
    ScheduledOnPlatform,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Creating => "creating",
            Status::Publishing => "publishing",
            Status::Published => "published",
            Status::Failed => "failed",
            Status::ScheduledOnPlatform => "scheduled-on-platform",
        }
    }
}

/// One post's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub status: Status,
    /// The post file when last recorded, relative to the repo root.
    pub file: String,
    /// The account (the key of the record in format 3; inside it before).
    #[serde(default, skip_serializing)]
    pub account: String,
    #[serde(rename = "type")]
    pub kind: PostType,
    /// Hash of everything that reaches Instagram (see [`crate::plan::content_hash`]).
    pub content_hash: String,
    /// The container to publish (the carousel parent for carousels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    /// Carousel item containers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<String>,
    /// When the first step of publishing was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journaled_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permalink: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<Timestamp>,
    /// Whether comments are on, as last set on Instagram.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_comment_id: Option<String>,
    /// What went wrong last time (status `failed`), for `status` and `plan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Hash of the post type and media alone (see [`crate::plan::hash`]), so
    /// that plan can tell a copy of this post under another id. Absent in
    /// records written before postwright kept it: plan then matches copies by
    /// `content_hash` only (see [`crate::plan`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_hash: Option<String>,
    /// Hash of the caption alone; kept with `media_hash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption_hash: Option<String>,
    /// `scheduled-on-platform`: the platform's id of the held post
    /// (Mastodon's scheduled status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_id: Option<String>,
    /// `scheduled-on-platform`: when the platform publishes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_at: Option<Timestamp>,
    /// The commit the post was published from (its file as in that commit),
    /// so plan can show what changed since (`git show COMMIT:FILE`). Absent
    /// when the repository had no commit or the file had edits not yet
    /// committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl Record {
    /// A fresh entry for a post about to be published.
    pub fn new(
        status: Status,
        file: &str,
        account: &str,
        kind: PostType,
        content_hash: &str,
    ) -> Record {
        Record {
            status,
            file: file.to_string(),
            account: account.to_string(),
            kind,
            content_hash: content_hash.to_string(),
            container_id: None,
            children: Vec::new(),
            journaled_at: None,
            media_id: None,
            permalink: None,
            published_at: None,
            comments_enabled: None,
            first_comment_id: None,
            last_error: None,
            media_hash: None,
            caption_hash: None,
            scheduled_id: None,
            scheduled_at: None,
            commit: None,
        }
    }
}

/// Why the record cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read the state record {at}: {source}")]
    Read {
        at: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the state record {at}: {source}")]
    Write {
        at: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the state record {at} is corrupt ({detail}); it was not changed. Restore it from git history (`git log -p -- {at}`) rather than deleting it: without it every post would be published again")]
    Corrupt { at: String, detail: String },
    #[error("the state record {at} has format_version {found}, newer than this postwright understands ({FORMAT_VERSION}); upgrade postwright")]
    TooNew { at: String, found: u64 },
    #[error("git state backend ({at}): {detail}")]
    Git { at: String, detail: String },
    /// The remote could not be read or written (unreachable, no
    /// permission, a protected branch). Apply stops publishing on it: see
    /// [`StateError::in_apply`].
    #[error("{}. {fix}", remote_failure(.at, .remote, .doing, .detail))]
    Remote {
        at: String,
        remote: String,
        doing: &'static str,
        detail: String,
        /// What to check, as a sentence.
        fix: String,
    },
    /// Another writer changed the record (it took the lease over, or
    /// `state unlock` broke ours): stop, and leave the work to it.
    #[error("another apply changed the state record {at} ({detail}); this run starts nothing more and leaves the rest to it")]
    Conflict { at: String, detail: String },
    #[error("{0}")]
    Unlock(String),
    /// A record apply wrote earlier in the run is not there when a later
    /// step needs it (a bug, or the record edited under the run).
    #[error("the state record {at} has no entry for post `{id}` on account `{account}`, which this run wrote before the step that needs it; the run stopped rather than guess (a guess could publish twice). Run apply again: it reads the record afresh")]
    NoRecord {
        at: String,
        id: String,
        account: String,
    },
}

/// The first half of a [`StateError::Remote`]'s message.
fn remote_failure(at: &str, remote: &str, doing: &str, detail: &str) -> String {
    format!("the state record {at} could not be {doing} remote `{remote}`: {detail}")
}

impl StateError {
    /// The message where apply meets the error: a remote it cannot read or
    /// write stops its publishing, and it says so (`state unlock`, `state
    /// show` and the read-only commands publish nothing: they do not).
    pub fn in_apply(&self) -> String {
        match self {
            StateError::Remote {
                at,
                remote,
                doing,
                detail,
                fix,
            } => format!(
                "{}. Nothing more is published until it can. {fix}",
                remote_failure(at, remote, doing, detail)
            ),
            other => other.to_string(),
        }
    }

    /// A problem with the remote copy or another writer, where the run
    /// stops starting new work but keeps (and reports) what it did.
    pub fn stops_run(&self) -> bool {
        matches!(
            self,
            StateError::Remote { .. } | StateError::Conflict { .. }
        )
    }
}

/// How far a save must reach before the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// This machine is enough: losing it loses nothing the next run cannot
    /// find out by reading (containers, a permalink, a first comment's id).
    Local,
    /// Where the next run reads it — the remote, for the git backend —
    /// because an effect on Instagram follows or just happened.
    Shared,
}

/// A place the record is kept.
pub trait Store: Send + Sync {
    /// The current record (fetched first when it lives on a remote); an
    /// empty one when none was ever written.
    fn load(&self) -> Result<State, StateError>;
    /// The record for a command that only reads (plan, status, preview),
    /// without credentials where the checkout fetched it: see
    /// [`read_only`]. Writes nothing; a refused remote is never an error.
    fn read_only(&self, _asking: Asking) -> Result<Snapshot, StateError> {
        Ok(Snapshot::kept(self.load()?, self.lease().ok().flatten()))
    }

    /// Said before an apply whose record stays on this machine although
    /// the config did not ask for that.
    fn local_only_note(&self) -> Option<String> {
        None
    }
    /// Replaces the record durably; `message` says what changed (the git
    /// backend makes it the commit message).
    fn save(&self, state: &State, message: &str, reach: Reach) -> Result<(), StateError>;
    /// Where the record lives, for messages.
    fn location(&self) -> String;
    /// Takes the writer's lease (or lock) on the record as last loaded.
    /// Taking it again while held is a no-op.
    fn lock(&self) -> Result<Locked, StateError>;
    /// Renews a lease that is held (nothing otherwise); also sends saves
    /// that are still local.
    fn renew(&self) -> Result<(), StateError>;
    /// Releases the lease after sending what is still local.
    fn release(&self) -> Result<(), StateError>;
    /// The lease in force on the record as last loaded, anyone's.
    fn lease(&self) -> Result<Option<Lease>, StateError>;
    /// Breaks the lease `id` (a person knows its holder is dead).
    fn unlock(&self, id: &str) -> Result<Lease, StateError>;
}

/// The store the config asks for.
pub fn open(repo: &Path, config: &Config) -> Box<dyn Store> {
    let ttl = std::time::Duration::from_secs(config.state.lease_secs.max(1));
    match config.state.backend {
        Backend::File => Box::new(FileStore::new(
            repo.join(&config.state.path),
            &config.state.path,
        )),
        Backend::Git => Box::new(GitStore::new(
            repo,
            &config.state.branch,
            config.state.remote.as_deref(),
            ttl,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::format::leading_version;
    use super::*;

    /// Where the record starts with its version, the version read from the
    /// start is the one a full pass reads; elsewhere it is left to that pass.
    #[test]
    fn the_leading_version_is_the_full_passes() {
        let full = |text: &str| -> Option<u64> {
            serde_json::from_str::<serde_json::Value>(text)
                .ok()?
                .get("format_version")?
                .as_u64()
        };
        let read = [
            ("{\"format_version\": 3, \"posts\": {}}", 3),
            ("{\n  \"format_version\": 1,\n  \"posts\": {}\n}\n", 1),
            ("  {\"format_version\":2}", 2),
            ("{\"format_version\": 3 , \"posts\": {}}", 3),
            ("{\"format_version\": 0}", 0),
            ("{\"format_version\": 99999999999}", 99_999_999_999),
        ];
        for (text, version) in read {
            assert_eq!(leading_version(text), Some(version), "{text}");
            assert_eq!(full(text), Some(version), "{text}");
        }
        let left = [
            "{\"posts\": {}, \"format_version\": 3}",
            "{\"format_version\": 3.0, \"posts\": {}}",
            "{\"format_version\": \"3\"}",
            "{\"format_version\": 03}",
            "{\"format_version\": -1}",
            "{\"format_version\": 3e0}",
            "{\"format_version\": }",
            "[\"format_version\", 3]",
        ];
        for text in left {
            assert_eq!(leading_version(text), None, "{text}");
        }
        // What is corrupt after a good start is still refused.
        for text in [
            "{\"format_version\": 3, \"posts\": {}, \"format_version\": 3}",
            "{\"format_version\": 3, \"posts\": {",
            "{\"format_version\": 1, \"posts\": {\"a\": 5}}",
        ] {
            assert!(
                matches!(parse(text, "x"), Err(StateError::Corrupt { .. })),
                "{text}"
            );
        }
        assert!(matches!(
            parse("{\"format_version\": 99, \"posts\": {}}", "x"),
            Err(StateError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn round_trip_and_refusals() {
        let mut s = State::default();
        let mut e = Record::new(
            Status::Published,
            "posts/a.md",
            "brand",
            PostType::Image,
            "abc",
        );
        e.media_id = Some("1790".into());
        e.published_at = Some("2026-12-01T08:00:00Z".parse().unwrap());
        s.insert("a", e);
        let text = render(&s);
        assert_eq!(parse(&text, "x").unwrap(), s);
        assert!(text.contains("\"status\": \"published\""));
        let disk: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(disk["posts"]["a"]["brand"]["media_id"], "1790", "{text}");
        assert!(
            disk["posts"]["a"]["brand"].get("account").is_none(),
            "{text}"
        );

        assert!(matches!(parse("{", "x"), Err(StateError::Corrupt { .. })));
        assert!(matches!(parse("{}", "x"), Err(StateError::Corrupt { .. })));
        assert!(matches!(
            parse(r#"{"format_version": 5, "posts": {}}"#, "x"),
            Err(StateError::TooNew { found: 5, .. })
        ));
        // A record of format 1 (before the duplicate guard) reads, as 4.
        let old = parse(r#"{"format_version": 1, "posts": {}}"#, "x").unwrap();
        assert_eq!(old.format_version, FORMAT_VERSION);
        assert!(render(&old).contains("\"format_version\": 4"));
        // A post held by the platform's scheduler round-trips.
        let held = r#"{"format_version": 4, "posts": {"a": {"m": {"status": "scheduled-on-platform", "file": "f", "type": "text", "content_hash": "h", "scheduled_id": "7", "scheduled_at": "2026-12-08T09:00:00Z"}}}}"#;
        let held = parse(held, "x").unwrap();
        let r = held.get("a", "m").unwrap();
        assert_eq!(r.status, Status::ScheduledOnPlatform);
        assert_eq!(r.scheduled_id.as_deref(), Some("7"));
        assert!(render(&held).contains("\"status\": \"scheduled-on-platform\""));
        // Format 2: each record moves under its account.
        let v2 = r#"{"format_version": 2, "posts": {"a": {"status": "published", "file": "posts/a.md", "account": "brand", "type": "image", "content_hash": "abc"}}}"#;
        let migrated = parse(v2, "x").unwrap();
        assert_eq!(
            migrated.get("a", "brand").map(|r| r.status),
            Some(Status::Published)
        );
        assert!(migrated.get("a", "other").is_none());
        // A format-3 record whose account disagrees with its key is corrupt.
        assert!(matches!(
            parse(
                r#"{"format_version": 3, "posts": {"a": {"x": {"status": "published", "file": "f", "account": "y", "type": "image", "content_hash": "h"}}}}"#,
                "x"
            ),
            Err(StateError::Corrupt { .. })
        ));
        assert!(matches!(
            parse(
                r#"{"format_version": 1, "posts": {"a": {"status": "weird"}}}"#,
                "x"
            ),
            Err(StateError::Corrupt { .. })
        ));
    }

    #[test]
    fn only_apply_says_a_remote_problem_stops_publishing() {
        let err = StateError::Remote {
            at: "branch postwright-state on origin".into(),
            remote: "origin".into(),
            doing: "read from",
            detail: "fatal: repository not found".into(),
            fix: "Check that `git ls-remote origin` works".into(),
        };
        let plain = err.to_string();
        assert_eq!(
            plain,
            "the state record branch postwright-state on origin could not be read from remote `origin`: fatal: repository not found. Check that `git ls-remote origin` works"
        );
        assert!(!plain.to_lowercase().contains("published"), "{plain}");
        assert_eq!(
            err.in_apply(),
            "the state record branch postwright-state on origin could not be read from remote `origin`: fatal: repository not found. Nothing more is published until it can. Check that `git ls-remote origin` works"
        );
        let other = StateError::Unlock("no lease".into());
        assert_eq!(other.in_apply(), other.to_string());
    }
}
