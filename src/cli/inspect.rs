//! The commands that look without publishing: the state record and its
//! lease, the status, the preview site, the JSON Schemas.

use super::Outcome;
use crate::commands::{self, Exit, Globals};
use crate::report::Format;
use crate::validate;
use clap::{Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum InspectCommand {
    /// The state record and its lease: print them, or break the lease of an
    /// apply that died.
    ///
    /// An apply holds a lease on the record while it works (the git
    /// backend: `lease.json` on the state branch, renewed as it goes; the
    /// file backend: an OS lock). Another apply meanwhile defers. A lease
    /// whose holder died expires by itself after `[state] lease_secs` (at
    /// once, when it died on this same machine).
    #[command(subcommand)]
    #[command(display_order = 3)]
    State(StateCommand),
    /// What is published (with permalinks), what is half-way, what failed last
    /// time, and what is scheduled next. No credentials needed.
    ///
    /// The git backend's record is read from the copy this checkout fetched
    /// (refs/remotes/origin/postwright-state; `git fetch` for the newest);
    /// the remote is asked only when the checkout fetched none of its
    /// branches, and a refusal is said, not an error.
    #[command(display_order = 4)]
    Status {
        /// Also read each account's live posts (credential set) and list
        /// the drift: deleted or edited in the app, comments toggled
        /// there, published outside postwright. Needs the credentials.
        #[arg(long)]
        refresh: bool,
    },
    /// See the feed before it goes out: the grid, a calendar and every post, as a static site.
    ///
    /// Writes index.html and the images it shows: the profile grid as
    /// Instagram shows it (3:4 tiles, newest top-left; upcoming posts
    /// outlined, a pull request's in orange with --base), a month calendar,
    /// and each post as a card with its problems and the grid's crop.
    /// Self-contained: open it from the folder, an artifact or GitHub Pages.
    #[command(
        after_help = "Examples:\n  postwright preview --out preview\n  postwright preview --out preview --at 2026-12-05T18:00:00+01:00"
    )]
    #[command(display_order = 7)]
    Preview {
        /// The folder to write the site into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The moment the grid and calendar show (RFC 3339, or local time in the config's timezone).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Highlight the tiles a pull request against this git ref adds or changes.
        #[arg(long, value_name = "REF")]
        base: Option<String>,
        /// How many live tiles the grid shows under the upcoming posts: the
        /// live feed as last read by `plan --refresh` or `import`
        /// (.postwright/live/), else the posts the record has published.
        #[arg(long, value_name = "N", default_value_t = crate::preview::LIVE_TILES)]
        live: usize,
    },
    /// Print the JSON Schema of post files or of postwright.toml, for editors
    /// and other tools.
    #[command(display_order = 9)]
    Schema {
        #[arg(value_enum, default_value = "post")]
        which: SchemaKind,
    },
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Print the record (fetched from the remote, for the git backend) and
    /// the lease: who holds it and until when.
    #[command(
        after_help = "Examples:\n  postwright state show\n  postwright state show --format json"
    )]
    Show,
    /// Break the lease LEASE-ID (shown by `state show` and by a deferred
    /// apply), when you know its apply is dead and cannot wait for it to
    /// expire. Like `terraform force-unlock`: an apply that is in fact still
    /// running stops at its next write, and nothing is published twice.
    #[command(after_help = "Examples:\n  postwright state unlock 3f9a1c0b2d4e")]
    Unlock {
        #[arg(value_name = "LEASE-ID")]
        lease_id: String,
    },
    /// Record post ID as published with the live media MEDIA_ID, when apply
    /// held it as a possible twin (a media with its caption, live but not
    /// surely this post) and you know it is this post. Written under the
    /// record's lease, as apply writes; apply then never publishes it.
    #[command(
        after_help = "Examples:\n  postwright state adopt 2026-12-04-friday 17912345678901234\n  postwright state adopt launch 17912345678901234 --account brand-threads"
    )]
    Adopt {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(value_name = "MEDIA_ID")]
        media_id: String,
        /// The account, when the post goes to several.
        #[arg(long, value_name = "NAME")]
        account: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Post,
    Config,
}

impl InspectCommand {
    /// The command's name and the formats it prints, the first its
    /// fallback.
    pub(super) fn formats(&self) -> (&'static str, &'static [Format]) {
        use Format::{Human, Json, Markdown};
        match self {
            InspectCommand::Status { .. } => ("status", &[Human, Json, Markdown]),
            InspectCommand::State(_) => ("state", &[Human, Json]),
            InspectCommand::Preview { .. } => ("preview", &[Human]),
            // The schemas are JSON documents.
            InspectCommand::Schema { .. } => ("schema", &[Json]),
        }
    }

    pub(super) fn execute(&self, g: &Globals, format: Format, out: &mut dyn Write) -> Outcome {
        match self {
            InspectCommand::Schema { which } => {
                // The whole schemas: the base in schema/ and every platform's part.
                let text = validate::compose::text(match which {
                    SchemaKind::Post => &validate::compose::POST,
                    SchemaKind::Config => &validate::compose::CONFIG,
                });
                let _ = out.write_all(text.as_bytes());
                Ok(Exit::Ok)
            }
            InspectCommand::Status { refresh } => commands::status(g, format, *refresh, out),
            InspectCommand::Preview {
                out: dir,
                at,
                base,
                live,
            } => commands::preview(g, format, dir, at.as_deref(), base.as_deref(), *live, out),
            InspectCommand::State(StateCommand::Show) => commands::state_show(g, format, out),
            InspectCommand::State(StateCommand::Unlock { lease_id }) => {
                commands::state_unlock(g, format, lease_id, out)
            }
            InspectCommand::State(StateCommand::Adopt {
                id,
                media_id,
                account,
            }) => commands::state_adopt(g, format, id, media_id, account.as_deref(), out),
        }
    }
}
