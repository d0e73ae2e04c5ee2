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
    /// Not attempted now: quota used up, or the account stopped; a later run does it.
    Deferred,
    Failed,
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
        outcomes: plan
            .entries
            .iter()
            .filter(|e| wanted(&e.id) && (e.calls_meta(prune) || e.moved_from.is_some()))
            .map(|e| {
                let mut o = outcome(
                    e,
                    Verdict::Deferred,
                    &state,
                    format!("not attempted: {why}"),
                );
                o.media_id.clone_from(&e.media_id);
                o
            })
            .collect(),
        interrupted: false,
        warnings: Vec::new(),
        stopped: None,
        uploads: None,
    }
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
        pending: Vec::new(),
    }
}
