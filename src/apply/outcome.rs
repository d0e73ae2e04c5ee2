//! What an apply run reports: a verdict and a message per post, the
//! warnings, and why the run stopped early if it did; and where progress
//! lines go.

use crate::plan::{Action, Entry as PlanEntry, Plan};
use crate::state::State;
use jiff::Timestamp;
use serde::Serialize;

/// What happened to one post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Published,
    Updated,
    Moved,
    Deleted,
    /// Live already though the record did not know it (the lost-record
    /// guard found it): recorded, not posted again. Never counted as
    /// published: nothing went out in this run.
    Adopted,
    /// Not attempted now: quota used up, or the account stopped; a later run does it.
    Deferred,
    /// Due, but not published until a person acts: see [`Why`].
    Held,
    Failed,
    /// Handed to the platform's own scheduler, or moved there: it goes
    /// out at its time without a run.
    Scheduled,
    /// Taken back from the platform's own scheduler.
    Cancelled,
}

/// Why a due post was not published in this run (`why` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// Held: the same media and caption as another post.
    Duplicate,
    /// Held: more than `[schedule] max_overdue_hours` past its publish_at.
    Overdue,
    /// Held: a media with the same caption is live and may be this post.
    PossibleTwin,
    /// Deferred: the account's 24-hour publishing limit.
    Quota,
    /// Deferred: another apply holds the record's lease.
    Lease,
    /// Deferred: Meta's rate limit.
    RateLimit,
    /// Deferred: `[media] store` could not take or serve its media.
    MediaStore,
    /// Deferred: an earlier post of the account did not go out (grid order).
    GridOrder,
    /// Deferred: what is live could not be read, or the outcome is unclear.
    Unclear,
    /// Deferred: the record could not reach the remote, or another writer took over.
    Record,
    /// Deferred: SIGINT/SIGTERM.
    Signal,
}

impl Why {
    pub const ALL: [Why; 11] = [
        Why::Duplicate,
        Why::Overdue,
        Why::PossibleTwin,
        Why::Quota,
        Why::Lease,
        Why::RateLimit,
        Why::MediaStore,
        Why::GridOrder,
        Why::Unclear,
        Why::Record,
        Why::Signal,
    ];

    /// Held for a person to act on (a warning; exit 2 with `--detailed-exitcode`).
    pub fn needs_person(self) -> bool {
        matches!(self, Why::Duplicate | Why::Overdue | Why::PossibleTwin)
    }

    pub fn name(self) -> &'static str {
        match self {
            Why::Duplicate => "duplicate",
            Why::Overdue => "overdue",
            Why::PossibleTwin => "possible twin",
            Why::Quota => "quota",
            Why::Lease => "lease",
            Why::RateLimit => "rate limit",
            Why::MediaStore => "media store",
            Why::GridOrder => "grid order",
            Why::Unclear => "unclear",
            Why::Record => "record",
            Why::Signal => "signal",
        }
    }
}

impl Verdict {
    /// In the order the summary counts them.
    pub const ALL: [Verdict; 10] = [
        Verdict::Published,
        Verdict::Scheduled,
        Verdict::Cancelled,
        Verdict::Adopted,
        Verdict::Updated,
        Verdict::Moved,
        Verdict::Deleted,
        Verdict::Deferred,
        Verdict::Held,
        Verdict::Failed,
    ];
}

/// One line of the apply report.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: String,
    /// The account the post went (or was to go) to: a post may go to several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub file: String,
    pub action: Action,
    pub result: Verdict,
    pub media_id: Option<String>,
    pub permalink: Option<String>,
    pub message: String,
    /// Why it was not published (held or deferred), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<Why>,
    /// What a published post still lacks, each with the reason (a first
    /// comment a passing failure kept out): the next apply finishes it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<String>,
}

impl Outcome {
    /// The target: (post id, account).
    pub fn key(&self) -> (&str, &str) {
        (self.id.as_str(), self.account.as_deref().unwrap_or(""))
    }

    /// The outcome, saying why the post was not published.
    pub fn because(mut self, why: Why) -> Outcome {
        self.why = Some(why);
        self
    }

    /// Held for a person to act on.
    pub fn needs_person(&self) -> bool {
        self.result == Verdict::Held && self.why.is_some_and(Why::needs_person)
    }
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub at: Timestamp,
    pub outcomes: Vec<Outcome>,
    /// The run was stopped by a signal.
    pub interrupted: bool,
    /// Things to fix soon (a token about to expire).
    pub warnings: Vec<String>,
    /// Why the run stopped starting new work before the end, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Stopped>,
    /// What went to `[media] store` (with a store configured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uploads: Option<crate::hosting::store::Uploads>,
}

/// A run that stopped early because of its record.
#[derive(Debug, Clone, Serialize)]
pub struct Stopped {
    pub message: String,
    /// Someone must fix something (the remote refused or was unreachable);
    /// false when another apply simply took over.
    pub fails: bool,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.outcomes.iter().any(|o| o.result == Verdict::Failed)
            || self.stopped.as_ref().is_some_and(|s| s.fails)
    }

    /// Some post waits for a person (a duplicate, overdue, a possible twin).
    pub fn needs_person(&self) -> bool {
        self.outcomes.iter().any(Outcome::needs_person)
    }
}

/// Where progress lines go (stderr in the CLI; captured in tests).
pub trait Progress: Send {
    /// A step, printed as it happens.
    fn line(&mut self, text: &str);
    /// What the run is waiting for now, for a terminal to show in place
    /// (`None`: nothing). Logs get `line`s every ~10 s instead.
    fn status(&mut self, _text: Option<&str>) {}
}

/// Progress on stderr.
pub struct Stderr;

impl Progress for Stderr {
    fn line(&mut self, text: &str) {
        eprintln!("{text}");
    }
}

/// The report of a run that did nothing because `why` (another apply holds
/// the record): every entry with work is deferred.
pub fn deferred(plan: &Plan, only: &[String], prune: bool, why: &str) -> Report {
    let wanted = |id: &str| only.is_empty() || only.iter().any(|o| o == id);
    let state = State::default();
    Report {
        at: Timestamp::now(),
        // In plan order, the held posts among the deferred ones.
        outcomes: plan
            .entries
            .iter()
            .filter(|e| wanted(&e.id))
            .filter_map(|e| {
                if !(e.calls_meta(prune) || e.moved_from.is_some()) {
                    return held_one(plan, e);
                }
                let mut o = outcome(
                    e,
                    Verdict::Deferred,
                    &state,
                    format!("not attempted: {why}"),
                )
                .because(Why::Lease);
                o.media_id.clone_from(&e.media_id);
                Some(o)
            })
            .collect(),
        interrupted: false,
        warnings: Vec::new(),
        stopped: None,
        uploads: None,
    }
}

/// The due posts the plan holds for a person (a duplicate, an overdue
/// post): each gets its outcome, so apply never passes over one in silence.
/// Not-yet-due ones are only the plan's business.
pub fn held(plan: &Plan, only: &[String]) -> Vec<Outcome> {
    let wanted = |id: &str| only.is_empty() || only.iter().any(|o| o == id);
    plan.entries
        .iter()
        .filter(|e| wanted(&e.id))
        .filter_map(|e| held_one(plan, e))
        .collect()
}

/// A due entry's outcome when the plan holds it for a person.
fn held_one(plan: &Plan, e: &PlanEntry) -> Option<Outcome> {
    let why = match e.action {
        Action::Duplicate => Why::Duplicate,
        Action::Overdue => Why::Overdue,
        _ => return None,
    };
    if e.publish_at.is_some_and(|t| t > plan.at) {
        return None;
    }
    let mut o = outcome(e, Verdict::Held, &State::default(), e.reason.clone()).because(why);
    o.media_id.clone_from(&e.media_id);
    o.permalink.clone_from(&e.permalink);
    Some(o)
}

pub(super) fn outcome(e: &PlanEntry, result: Verdict, state: &State, message: String) -> Outcome {
    let recorded = state.get(&e.id, e.acct());
    Outcome {
        id: e.id.clone(),
        account: e.account.clone(),
        file: e.file.clone(),
        action: e.action,
        result,
        media_id: recorded.and_then(|r| r.media_id.clone()),
        permalink: recorded.and_then(|r| r.permalink.clone()),
        // Platform errors quote media URLs, which may be presigned.
        message: crate::hosting::redact::urls(&message),
        why: None,
        pending: Vec::new(),
    }
}
