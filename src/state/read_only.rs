//! How a command that only reads the record (plan, status, preview) finds
//! it, without credentials.
//!
//! A pull request's plan job in a private repository has none: the plan
//! template checks out with `persist-credentials: false`, and the remote
//! refuses a read. It does not need them: `fetch-depth: 0` already brought
//! every branch of the remote, the state branch among them, seconds before
//! the plan. So a read-only command takes the record from what the checkout
//! fetched (`refs/remotes/origin/postwright-state`) and calls the remote
//! only when the checkout fetched nothing that could tell:
//!
//! - the state branch was fetched: it is the record (no call);
//! - the checkout fetched the remote's branches (not shallow, with a fetch
//!   refspec that brings the state branch) and the state branch is not
//!   among them: there is no record yet (no call; one calm line);
//! - nothing of the kind was fetched (no `refs/remotes/origin/*` at all, a
//!   shallow or single-branch clone): without `--offline` the remote is
//!   asked; when it refuses, or under `--offline`, whether anything is
//!   published is *unknown*, and the plan's headline says so rather than
//!   listing every post as new without a word.
//!
//! Why prefer the fetched copy over asking the remote first: in the job
//! that matters (a pull request) the copy is as fresh as the remote, and
//! asking costs a refused call (or up to the git time limit when a remote
//! hangs) for an answer that changes nothing; on a laptop the copy is as
//! fresh as the last `git fetch`, which is what `git log origin/main` shows
//! too. None of it weakens exactly-once publishing: apply never reads the
//! record this way; it fetches from the remote and pushes to it itself.
//!
//! A refused remote is never an error here, as nothing is written: apply
//! (and `state unlock`), which must reach it, report it where they do.

use super::{Lease, State};
use serde::Serialize;

/// The record as a read-only command found it.
#[derive(Debug)]
pub struct Snapshot {
    pub state: State,
    /// The lease in that copy of the record (an apply running then).
    pub lease: Option<Lease>,
    pub source: Source,
}

impl Snapshot {
    /// A record read where the store keeps it.
    pub fn kept(state: State, lease: Option<Lease>) -> Snapshot {
        Snapshot {
            state,
            lease,
            source: Source::Kept,
        }
    }

    /// No record: an empty one, and why.
    pub fn empty(source: Source) -> Snapshot {
        Snapshot {
            state: State::default(),
            lease: None,
            source,
        }
    }
}

/// May a read-only command ask the remote for the record?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asking {
    /// Never (`plan --offline`).
    Never,
    /// Only when the checkout fetched nothing that says whether the state
    /// branch exists (plan, status, preview).
    WhenUnfetched,
}

/// Where a read-only command found the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Where the store keeps it: the file, or the branch of a clone
    /// without a remote.
    Kept,
    /// The state branch as this checkout fetched it (`tracking`).
    Fetched { tracking: String },
    /// From the remote, just now: the checkout had not fetched it.
    Remote { remote: String },
    /// No record yet: `remote` has no such `branch`. `asked`: the remote
    /// said so; otherwise the branches this checkout fetched do not
    /// include it.
    Absent {
        remote: String,
        branch: String,
        asked: bool,
    },
    /// Whether there is a record is not known.
    Unknown(Doubt),
}

impl Source {
    /// The one calm line said when there is no record yet.
    pub fn note(&self) -> Option<String> {
        let Source::Absent {
            remote,
            branch,
            asked,
        } = self
        else {
            return None;
        };
        let among = if *asked {
            ""
        } else {
            " among the branches this checkout fetched"
        };
        Some(format!(
            "no state record yet (`{remote}` has no branch {branch}{among}): starting from an empty one; the first apply creates it"
        ))
    }

    /// Why posts already published may show as new, when that is so.
    pub fn doubt(&self) -> Option<&Doubt> {
        match self {
            Source::Unknown(d) => Some(d),
            _ => None,
        }
    }
}

/// The record could not be read and its absence could not be told: what
/// that means for the plan, and what to do. In the plan's JSON as
/// `state_unknown`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Doubt {
    pub message: String,
    pub help: String,
}

/// What this checkout has of the remote's branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkout {
    /// The state branch's remote-tracking ref exists.
    pub branch: bool,
    /// Some other ref under `refs/remotes/<remote>/` exists.
    pub others: bool,
    /// A fetch of this clone brings every branch of the remote: it is not
    /// shallow, and a fetch refspec maps the state branch to its
    /// remote-tracking ref. (A single-branch clone, or actions/checkout's
    /// default `fetch-depth: 1`, fetched only what it named.)
    pub every_branch: bool,
}

/// What the checkout lacks when it cannot tell whether the branch exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// No ref of the remote at all.
    NothingFetched,
    /// Some branches only.
    SomeBranches,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Read the fetched branch.
    Fetched,
    /// There is no record yet.
    Absent,
    /// Ask the remote (a refusal makes it [`Step::Unknown`]).
    Ask(Gap),
    /// Say that it is not known.
    Unknown(Gap),
}

/// The decision the module's doc explains.
pub fn decide(checkout: Checkout, asking: Asking) -> Step {
    if checkout.branch {
        return Step::Fetched;
    }
    let gap = match (checkout.others, checkout.every_branch) {
        (true, true) => return Step::Absent,
        (true, false) => Gap::SomeBranches,
        (false, _) => Gap::NothingFetched,
    };
    match asking {
        Asking::WhenUnfetched => Step::Ask(gap),
        Asking::Never => Step::Unknown(gap),
    }
}

/// The doubt of a checkout that lacks `gap`, when the remote was not asked
/// (`refused: None`, i.e. `--offline`) or refused (its answer).
pub fn doubt(gap: Gap, remote: &str, branch: &str, refused: Option<&str>) -> Doubt {
    let fetched = match gap {
        Gap::NothingFetched => format!("this checkout fetched no branch of `{remote}`"),
        Gap::SomeBranches => format!(
            "this checkout fetched only some branches of `{remote}` (a shallow or single-branch clone), not {branch}"
        ),
    };
    let asked = match refused {
        None => "--offline asks no remote".to_string(),
        Some(why) => format!("`{remote}` could not be read ({why})"),
    };
    Doubt {
        message: format!(
            "the state record was not read, so posts already published may show as to publish: {fetched}, and {asked}"
        ),
        help: format!(
            "apply reads the record on `{remote}` itself and never publishes twice. To plan from the record, fetch its branch: `fetch-depth: 0` on actions/checkout, or `git fetch {remote} +{branch}:refs/remotes/{remote}/{branch}`"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkout(branch: bool, others: bool, every_branch: bool) -> Checkout {
        Checkout {
            branch,
            others,
            every_branch,
        }
    }

    #[test]
    fn a_fetched_branch_is_read_whatever_else_was_fetched() {
        for (others, every) in [(true, true), (true, false), (false, false)] {
            for asking in [Asking::Never, Asking::WhenUnfetched] {
                assert_eq!(
                    decide(checkout(true, others, every), asking),
                    Step::Fetched,
                    "{others} {every} {asking:?}"
                );
            }
        }
    }

    #[test]
    fn every_branch_fetched_without_it_is_absent_and_asks_no_one() {
        for asking in [Asking::Never, Asking::WhenUnfetched] {
            assert_eq!(decide(checkout(false, true, true), asking), Step::Absent);
        }
    }

    #[test]
    fn a_checkout_that_cannot_tell_asks_the_remote_unless_offline() {
        let nothing = checkout(false, false, true);
        let some = checkout(false, true, false);
        assert_eq!(
            decide(nothing, Asking::WhenUnfetched),
            Step::Ask(Gap::NothingFetched)
        );
        assert_eq!(
            decide(nothing, Asking::Never),
            Step::Unknown(Gap::NothingFetched)
        );
        // No remote ref at all, whatever the refspec says.
        assert_eq!(
            decide(checkout(false, false, false), Asking::Never),
            Step::Unknown(Gap::NothingFetched)
        );
        assert_eq!(
            decide(some, Asking::WhenUnfetched),
            Step::Ask(Gap::SomeBranches)
        );
        assert_eq!(
            decide(some, Asking::Never),
            Step::Unknown(Gap::SomeBranches)
        );
    }

    #[test]
    fn only_an_absent_branch_has_a_note_only_an_unknown_one_a_doubt() {
        let absent = |asked| Source::Absent {
            remote: "origin".into(),
            branch: "postwright-state".into(),
            asked,
        };
        let fetched = absent(false).note().unwrap();
        assert!(
            fetched.contains(
                "`origin` has no branch postwright-state among the branches this checkout fetched"
            ) && fetched.contains("the first apply creates it"),
            "{fetched}"
        );
        let asked = absent(true).note().unwrap();
        assert!(asked.contains("has no branch postwright-state)"), "{asked}");
        assert_eq!(absent(true).doubt(), None);
        let unknown = Source::Unknown(doubt(Gap::NothingFetched, "origin", "b", None));
        assert_eq!(unknown.note(), None);
        assert!(unknown.doubt().is_some());
        for quiet in [
            Source::Kept,
            Source::Fetched {
                tracking: "refs/remotes/origin/b".into(),
            },
            Source::Remote {
                remote: "origin".into(),
            },
        ] {
            assert_eq!((quiet.note(), quiet.doubt()), (None, None), "{quiet:?}");
        }
    }

    #[test]
    fn a_doubt_says_what_was_missing_why_and_what_to_do() {
        let offline = doubt(Gap::NothingFetched, "origin", "postwright-state", None);
        assert!(
            offline.message.contains("fetched no branch of `origin`")
                && offline.message.contains("--offline asks no remote")
                && offline.message.contains("may show as to publish"),
            "{offline:?}"
        );
        assert!(
            offline.help.contains("fetch-depth: 0")
                && offline.help.contains(
                    "git fetch origin +postwright-state:refs/remotes/origin/postwright-state"
                )
                && offline.help.contains("never publishes twice"),
            "{offline:?}"
        );
        let refused = doubt(
            Gap::SomeBranches,
            "origin",
            "postwright-state",
            Some("fatal: could not read Username"),
        );
        assert!(
            refused.message.contains("only some branches of `origin`")
                && refused
                    .message
                    .contains("`origin` could not be read (fatal: could not read Username)"),
            "{refused:?}"
        );
    }
}
