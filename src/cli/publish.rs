//! The publishing commands: validate, plan, apply (the pipeline a
//! content repo's workflows run).

use super::Outcome;
use crate::commands::{self, Globals, PlanOptions};
use crate::report::Format;
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum PublishCommand {
    /// Check post files against the schema, each platform's rules and the
    /// media they use. No network, no credentials.
    ///
    /// Every problem is printed as FILE:LINE:COL with a rule id; the exit code
    /// is 1 when there is at least one error. Without PATHs every post under
    /// the content folders is checked.
    #[command(
        after_help = "Examples:\n  postwright validate\n  postwright validate posts/2026-12-launch.md\n  postwright --repo example-content validate --format json"
    )]
    #[command(display_order = 0)]
    Validate {
        /// Post files or folders to check (default: all content folders).
        paths: Vec<PathBuf>,
    },
    /// Show what apply would do now, for every post, and why.
    ///
    /// Actions: publish (due), scheduled (not yet due), draft, published,
    /// update (comments toggled), changed (edited after publishing: nothing
    /// happens), moved (file renamed, same content), removed (file deleted),
    /// resume (an earlier apply stopped mid-publish), invalid.
    ///
    /// Needs no credentials: the git backend's state record is read from
    /// what this checkout fetched (actions/checkout with fetch-depth: 0
    /// brings refs/remotes/origin/postwright-state). When the checkout
    /// cannot tell whether the record exists, the plan says so first.
    #[command(
        after_help = "Exit codes: 0 nothing invalid; 1 invalid posts or errors; with --detailed-exitcode, 2 when apply has work to do.\n\nExamples:\n  postwright plan\n  postwright plan --at 2026-12-05T18:00:00+01:00\n  postwright plan --format markdown --out plan.md\n  postwright plan --refresh   # also: what changed on the live accounts"
    )]
    #[command(display_order = 1)]
    Plan {
        /// Plan as if it were this time (RFC 3339, or local time in the config's timezone).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Exit 2 when apply would change something (like terraform plan).
        #[arg(long)]
        detailed_exitcode: bool,
        /// Plan deleting the published posts of deleted files.
        #[arg(long)]
        prune: bool,
        /// Write the output to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Compare with this git ref (a pull request's base, e.g. origin/main):
        /// the posts it adds, edits, renames or removes (or whose media it
        /// changes) come first, marked, and Markdown folds the rest.
        #[arg(long, value_name = "REF")]
        base: Option<String>,
        /// Make no network call. By default, when apply has work for an
        /// account whose token variable is set, plan asks its platform about that
        /// token (expired, invalid or missing a scope is an error, expiring
        /// within 7 days a warning), and the git backend asks the remote for
        /// the state record when this checkout fetched none of its branches.
        /// Offline, the record is only what the checkout fetched.
        #[arg(long, conflicts_with = "refresh")]
        offline: bool,
        /// Read each account's live posts (accounts whose credential
        /// variable is set) and show drift beside the plan: posts deleted
        /// or captions edited in the app, comments turned on or off there,
        /// posts published outside postwright (with the `import` command
        /// that brings them in). Reported only: apply publishes none of it
        /// again.
        #[arg(long)]
        refresh: bool,
    },
    /// Publish what is due, exactly once, through each account's platform.
    ///
    /// Runs the plan: finishes interrupted publishes, prepares the due posts
    /// (uploads, containers), waits for the platform to process them and
    /// publishes them in publish_at order; then posts first comments,
    /// applies comment settings, re-keys renamed posts and (with --prune)
    /// deletes posts whose file was deleted. The state record is saved after every step; with the git
    /// backend it is pushed to the remote before and after every publish.
    ///
    /// One apply at a time: before its first call to a platform, apply takes
    /// a lease on the record (see `postwright state`). When another apply
    /// holds it, this one defers (exit 0, nothing sent) or waits
    /// (--lock-timeout).
    #[command(
        after_help = "Credentials come from the environment variable each account names (token_env); they are sent in headers only.\n\nExit codes: 0 everything due was published, adopted, deferred or held (also: another apply holds the lease); 1 a post failed, an invalid post, the record could not be pushed, or an error; with --detailed-exitcode, 2 when a due post is held for a person (a duplicate, overdue, a possible twin) and nothing failed.\n\nExamples:\n  postwright apply\n  postwright apply --only 2026-12-01-studio\n  postwright apply --prune --format json"
    )]
    #[command(display_order = 2)]
    Apply {
        /// Act as if it were this time (RFC 3339, or local time in the config's timezone).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Only these post ids (repeatable).
        #[arg(long, value_name = "ID")]
        only: Vec<String>,
        /// Delete the published posts of deleted files (where the platform and
        /// login allow it).
        #[arg(long)]
        prune: bool,
        /// Write the report to FILE instead of stdout (progress stays on stderr).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// When another apply holds the record's lease, wait up to this long
        /// for it (`90s`, `5m`, `1h`; a bare number is seconds). Default 0:
        /// defer at once, exit 0, and make no call to any platform.
        #[arg(long, value_name = "DURATION", default_value = "0", value_parser = parse_duration)]
        lock_timeout: std::time::Duration,
        /// Exit 2 when a due post is held for a person to act on (a
        /// duplicate, overdue, a possible twin already live).
        #[arg(long)]
        detailed_exitcode: bool,
    },
}

/// `90s`, `5m`, `2h`, or plain seconds.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write it like 90s, 5m or 1h"))?;
    let secs = match unit.trim() {
        "s" | "sec" | "secs" => n,
        "m" | "min" | "mins" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        other => return Err(format!("unknown unit `{other}` in `{text}`: use s, m or h")),
    };
    Ok(std::time::Duration::from_secs(secs))
}

impl PublishCommand {
    /// The command's name and the formats it prints, the first its
    /// fallback.
    pub(super) fn formats(&self) -> (&'static str, &'static [Format]) {
        use Format::{Github, Human, Json, Markdown};
        match self {
            PublishCommand::Validate { .. } => ("validate", &[Human, Json, Markdown, Github]),
            PublishCommand::Plan { .. } => ("plan", &[Human, Json, Markdown, Github]),
            PublishCommand::Apply { .. } => ("apply", &[Human, Json, Markdown, Github]),
        }
    }

    pub(super) fn execute(&self, g: &Globals, format: Format, out: &mut dyn Write) -> Outcome {
        match self {
            PublishCommand::Validate { paths } => commands::validate(g, format, paths, out),
            PublishCommand::Plan {
                at,
                detailed_exitcode,
                prune,
                out: out_file,
                base,
                offline,
                refresh,
            } => {
                let options = PlanOptions {
                    at: at.as_deref(),
                    detailed_exitcode: *detailed_exitcode,
                    prune: *prune,
                    out: out_file.as_deref(),
                    base: base.as_deref(),
                    offline: *offline,
                    refresh: *refresh,
                };
                commands::plan(g, format, &options, out)
            }
            PublishCommand::Apply {
                at,
                only,
                prune,
                out: out_file,
                lock_timeout,
                detailed_exitcode,
            } => commands::apply(
                g,
                format,
                &commands::ApplyArgs {
                    at: at.as_deref(),
                    only,
                    prune: *prune,
                    out: out_file.as_deref(),
                    lock_timeout: *lock_timeout,
                    detailed_exitcode: *detailed_exitcode,
                },
                out,
            ),
        }
    }
}
