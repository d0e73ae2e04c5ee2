//! The command line: parse arguments, run a command, return an exit code.

use crate::commands::{self, AuthAction, Exit, Failure, Globals, PlanOptions};
use crate::report::{self, Format};
use crate::validate;
use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit codes: 0 success; 1 problems (invalid posts, a failed publish, a bad config or token, a file that cannot be written);
2 plan --detailed-exitcode: apply has work to do; apply --detailed-exitcode: a due post is held
for a person (duplicate, overdue, possible twin); 64 usage error; 130 apply stopped by a signal.
Docs: the README of the postwright repository lists every post field and rule id.";

/// Publish social posts kept as files in a git repository: validate them,
/// plan what is due, publish each exactly once.
#[derive(Debug, Parser)]
#[command(name = "postwright", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// The content repo (holding postwright.toml).
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The config file [default: DIR/postwright.toml].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format [default: github when GITHUB_ACTIONS=true, else human].
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// Colour human output: auto (on a terminal, unless NO_COLOR is set;
    /// CLICOLOR_FORCE=1 forces it), always, never. Files (--out) and the
    /// json, markdown and github formats are never coloured.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check post files against the schema, each platform's rules and the
    /// media they use. No network, no credentials.
    ///
    /// Every problem is printed as FILE:LINE:COL with a rule id; the exit code
    /// is 1 when there is at least one error. Without PATHs every post under
    /// the content folders is checked.
    #[command(
        after_help = "Examples:\n  postwright validate\n  postwright validate posts/2026-12-launch.md\n  postwright --repo example-content validate --format json"
    )]
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
    /// The state record and its lease: print them, or break the lease of an
    /// apply that died.
    ///
    /// An apply holds a lease on the record while it works (the git
    /// backend: `lease.json` on the state branch, renewed as it goes; the
    /// file backend: an OS lock). Another apply meanwhile defers. A lease
    /// whose holder died expires by itself after `[state] lease_secs` (at
    /// once, when it died on this same machine).
    #[command(subcommand)]
    State(StateCommand),
    /// What is published (with permalinks), what is half-way, what failed last
    /// time, and what is scheduled next. No credentials needed.
    ///
    /// The git backend's record is read from the copy this checkout fetched
    /// (refs/remotes/origin/postwright-state; `git fetch` for the newest);
    /// the remote is asked only when the checkout fetched none of its
    /// branches, and a refusal is said, not an error.
    Status {
        /// Also read each account's live posts (credential set) and list
        /// the drift: deleted or edited in the app, comments toggled
        /// there, published outside postwright. Needs the credentials.
        #[arg(long)]
        refresh: bool,
    },
    /// Scaffold a content repo: postwright.toml, a first post, the GitHub
    /// workflows (plan on pull requests, apply on merge and hourly, a
    /// monthly token refresh) and a guide. Never overwrites a file.
    ///
    /// The time zone is this machine's. Where .gitattributes tracks files
    /// with Git LFS, the workflows' checkouts say how LFS objects are
    /// fetched. The schedule's cost in job-minutes is in the apply workflow.
    #[command(after_help = "Examples:\n  postwright init\n  postwright init my-feed --private")]
    Init {
        /// The folder to scaffold [default: --repo, i.e. the current folder].
        dir: Option<PathBuf>,
        /// The repository is private (raw.githubusercontent.com cannot serve
        /// its media): media go to your object storage (`[media] store`),
        /// and the apply workflow gets the OIDC permission and credential
        /// steps for AWS S3, Cloudflare R2 and Google Cloud Storage. Inside
        /// GitHub Actions, a private repository is recognised without it.
        #[arg(long)]
        private: bool,
    },
    /// Check, refresh or exchange the accounts' access tokens.
    ///
    /// Tokens are read from each account's token_env variable and sent in the
    /// Authorization header (or a POST body), never in a URL. New tokens go
    /// to stdout or to --out (mode 0600), nowhere else.
    #[command(subcommand)]
    Auth(AuthCommand),
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
    /// Bring an existing account in: its live posts become post files,
    /// recorded as published.
    ///
    /// Reads the account's live feed page by page (Instagram: posts, then
    /// stories still up), writes one YAML post file per live post under
    /// CONTENT/imported/ACCOUNT/ (caption, type, publish_at = when it went
    /// live, alt text) with its media downloaded to media/imported/ACCOUNT/,
    /// and records each as published, so apply never publishes it again.
    /// Run it twice: the second writes nothing. A file you already have for
    /// a live post (same caption and type) is linked to it instead of
    /// written again. Progress goes to stderr; an error mid-way (an expired
    /// token, a throttled account) keeps what was written and recorded, and
    /// the next run goes on. Media URLs from Meta's CDN are signed and
    /// expire: they are downloaded at once and never written anywhere.
    #[command(
        after_help = "Examples:\n  postwright import --account kilnandco\n  postwright import --account kilnandco --since 2026-01-01 --limit 50\n  postwright import --account kilnandco --format json > import.json\n\nThen: postwright plan (every imported post is `published`), and commit the files and the record."
    )]
    Import {
        /// The account to import, as named in postwright.toml.
        #[arg(long, value_name = "NAME")]
        account: String,
        /// Only posts that went live on or after DATE (2026-01-01, or a time as --at takes it).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Import at most N posts (newest first).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// download: the media into the repo; link: keep media URLs, only
        /// where they carry no signature (Meta's CDN URLs always do).
        #[arg(long, value_enum, default_value_t = MediaArg::Download)]
        media: MediaArg,
    },
    /// Print the JSON Schema of post files or of postwright.toml, for editors
    /// and other tools.
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

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Whom each token acts for, its type, scopes and expiry, and which
    /// needed scopes are missing.
    ///
    /// Expiry and scopes come from Meta's debug_token, which needs the app's
    /// credentials in POSTWRIGHT_APP_ID and POSTWRIGHT_APP_SECRET; without
    /// them only the account and the token's validity are checked.
    #[command(
        after_help = "Exit codes: 0 every token can publish; 1 a token is expired, invalid, for another account, or lacks a scope.

Examples:
  postwright auth inspect
  postwright auth inspect --account brand --format json"
    )]
    Inspect {
        /// Only this account (default: all).
        #[arg(long, value_name = "NAME")]
        account: Option<String>,
    },
    /// Trade the account's long-lived token for a fresh one (60 days).
    ///
    /// Instagram Login: ig_refresh_token (the token must be at least 24 h old
    /// and unexpired). Facebook Login: fb_exchange_token (needs
    /// POSTWRIGHT_APP_ID and POSTWRIGHT_APP_SECRET). The new token is printed
    /// to stdout, or written to --out with mode 0600; its expiry goes to
    /// stderr. Store it where token_env is read from, e.g.
    /// `gh secret set INSTAGRAM_TOKEN < token.txt`.
    #[command(after_help = "Examples:
  postwright auth refresh --account brand --out token.txt
  postwright auth refresh | gh secret set INSTAGRAM_TOKEN")]
    Refresh {
        /// The account (default: the only one, or default_account).
        #[arg(long, value_name = "NAME")]
        account: Option<String>,
        /// Write the token to FILE (created with mode 0600) instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Trade a short-lived token (from the login dialog, 1 h) for a
    /// long-lived one. Put the short-lived token in the account's token_env
    /// variable; needs POSTWRIGHT_APP_ID and POSTWRIGHT_APP_SECRET.
    Exchange {
        /// The account (default: the only one, or default_account).
        #[arg(long, value_name = "NAME")]
        account: Option<String>,
        /// Write the token to FILE (created with mode 0600) instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    fn choice(self) -> anstream::ColorChoice {
        match self {
            ColorWhen::Auto => anstream::ColorChoice::Auto,
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
        }
    }
}

/// `import --media`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MediaArg {
    Download,
    Link,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Post,
    Config,
}

/// Runs postwright with these arguments (the first is the program name) and
/// returns the process exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // clap prints --help and usage errors itself, before --color is parsed:
    // it is told the flag's value up front.
    let command = <Cli as clap::CommandFactory>::command().color(clap_color(&args));
    let parsed = command
        .try_get_matches_from(&args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            }
            .code();
        }
    };
    // The one gate for colour on stdout and stderr: anstream passes the
    // codes human output carries through to a terminal, and drops them for
    // pipes and files, with NO_COLOR, or with --color never.
    let choice = cli.color.choice();
    choice.write_global();
    let mut stdout = anstream::AutoStream::new(std::io::stdout().lock(), choice);
    match execute(&cli, &mut stdout) {
        Ok(exit) => exit.code(),
        Err(failure) => {
            // Said once, here, unless the command already said it in its
            // format.
            if let Some(message) = failure.message() {
                let error = report::style::paint(report::style::ERROR, "error");
                anstream::eprintln!("{error}: {message}");
                // In the chosen format too: an Actions run shows it as an error.
                if chosen_format(&cli).ok() == Some(Format::Github) {
                    let _ = writeln!(
                        stdout,
                        "::error title=postwright::{}",
                        report::github::escape_data(message)
                    );
                }
            }
            failure.exit().code()
        }
    }
}

/// The `--color` of raw arguments, for clap's own output (help, usage
/// errors); auto when absent or not a known value.
fn clap_color(args: &[OsString]) -> clap::ColorChoice {
    let mut value = None;
    for (i, arg) in args.iter().enumerate() {
        match arg.to_str() {
            Some("--") => break,
            Some("--color") => value = args.get(i + 1).and_then(|v| v.to_str()),
            Some(a) => {
                if let Some(v) = a.strip_prefix("--color=") {
                    value = Some(v);
                }
            }
            None => {}
        }
    }
    match value {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    }
}

/// The formats a command prints, the first its fallback. `--format` with
/// another is a usage error rather than quietly ignored.
fn formats(command: &Command) -> (&'static str, &'static [Format]) {
    use Format::{Github, Human, Json, Markdown};
    match command {
        Command::Validate { .. } => ("validate", &[Human, Json, Markdown, Github]),
        Command::Plan { .. } => ("plan", &[Human, Json, Markdown, Github]),
        Command::Apply { .. } => ("apply", &[Human, Json, Markdown, Github]),
        Command::Status { .. } => ("status", &[Human, Json, Markdown]),
        Command::Auth(_) => ("auth", &[Human, Json, Github]),
        Command::State(_) => ("state", &[Human, Json]),
        Command::Preview { .. } => ("preview", &[Human]),
        Command::Init { .. } => ("init", &[Human]),
        Command::Import { .. } => ("import", &[Human, Json]),
        // The schemas are JSON documents.
        Command::Schema { .. } => ("schema", &[Json]),
    }
}

fn format_name(f: Format) -> String {
    f.to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// The format the command prints: `--format`, or GitHub's where the
/// command has it (in Actions), else the command's own.
fn chosen_format(cli: &Cli) -> Result<Format, Failure> {
    let (name, supported) = formats(&cli.command);
    match cli.format {
        Some(f) if !supported.contains(&f) => {
            let list: Vec<String> = supported.iter().map(|f| format_name(*f)).collect();
            Err(Failure::Usage(format!(
                "`{name}` has no --format {}: it prints {}",
                format_name(f),
                list.join(", ")
            )))
        }
        Some(f) => Ok(f),
        None => Ok(Some(Format::default_for_env())
            .filter(|f| supported.contains(f))
            .unwrap_or(supported[0])),
    }
}

fn execute(cli: &Cli, out: &mut dyn Write) -> Result<Exit, Failure> {
    let g = Globals {
        repo: cli.repo.clone(),
        config: cli.config.clone(),
    };
    let format = chosen_format(cli)?;
    match &cli.command {
        Command::Schema { which } => {
            // The whole schemas: the base in schema/ and every platform's part.
            let text = validate::compose::text(match which {
                SchemaKind::Post => &validate::compose::POST,
                SchemaKind::Config => &validate::compose::CONFIG,
            });
            let _ = out.write_all(text.as_bytes());
            Ok(Exit::Ok)
        }
        Command::Validate { paths } => commands::validate(&g, format, paths, out),
        Command::Plan {
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
            commands::plan(&g, format, &options, out)
        }
        Command::Status { refresh } => commands::status(&g, format, *refresh, out),
        Command::Preview {
            out: dir,
            at,
            base,
            live,
        } => commands::preview(&g, format, dir, at.as_deref(), base.as_deref(), *live, out),
        Command::Auth(command) => {
            let action = match command {
                AuthCommand::Inspect { account } => AuthAction::Inspect {
                    account: account.as_deref(),
                },
                AuthCommand::Refresh { account, out } => AuthAction::Refresh {
                    account: account.as_deref(),
                    out: out.as_deref(),
                },
                AuthCommand::Exchange { account, out } => AuthAction::Exchange {
                    account: account.as_deref(),
                    out: out.as_deref(),
                },
            };
            commands::auth(&g, format, action, out)
        }
        Command::Init { dir, private } => {
            commands::init(dir.as_deref().unwrap_or(&cli.repo), *private, out)
        }
        Command::Apply {
            at,
            only,
            prune,
            out: out_file,
            lock_timeout,
            detailed_exitcode,
        } => commands::apply(
            &g,
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
        Command::Import {
            account,
            since,
            limit,
            media,
        } => commands::import(
            &g,
            format,
            &commands::ImportArgs {
                account,
                since: since.as_deref(),
                limit: *limit,
                media: match media {
                    MediaArg::Download => crate::import::MediaMode::Download,
                    MediaArg::Link => crate::import::MediaMode::Link,
                },
            },
            out,
        ),
        Command::State(StateCommand::Show) => commands::state_show(&g, format, out),
        Command::State(StateCommand::Unlock { lease_id }) => {
            commands::state_unlock(&g, format, lease_id, out)
        }
        Command::State(StateCommand::Adopt {
            id,
            media_id,
            account,
        }) => commands::state_adopt(&g, format, id, media_id, account.as_deref(), out),
    }
}
