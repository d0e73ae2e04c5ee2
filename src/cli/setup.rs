//! The commands that set a repo and its accounts up: init, auth, import.

use super::Outcome;
use crate::commands::{self, AuthAction, Globals};
use crate::report::Format;
use clap::{Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum SetupCommand {
    /// Scaffold a content repo: postwright.toml, a first post, the GitHub
    /// workflows (plan on pull requests, apply on merge and hourly, a
    /// monthly token refresh) and a guide. Never overwrites a file.
    ///
    /// The time zone is this machine's. Where .gitattributes tracks files
    /// with Git LFS, the workflows' checkouts say how LFS objects are
    /// fetched. The schedule's cost in job-minutes is in the apply workflow.
    #[command(after_help = "Examples:\n  postwright init\n  postwright init my-feed --private")]
    #[command(display_order = 5)]
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
    #[command(display_order = 6)]
    Auth(AuthCommand),
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
    #[command(display_order = 8)]
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

/// `import --media`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MediaArg {
    Download,
    Link,
}

impl SetupCommand {
    /// The command's name and the formats it prints, the first its
    /// fallback.
    pub(super) fn formats(&self) -> (&'static str, &'static [Format]) {
        use Format::{Github, Human, Json};
        match self {
            SetupCommand::Auth(_) => ("auth", &[Human, Json, Github]),
            SetupCommand::Init { .. } => ("init", &[Human]),
            SetupCommand::Import { .. } => ("import", &[Human, Json]),
        }
    }

    pub(super) fn execute(&self, g: &Globals, format: Format, out: &mut dyn Write) -> Outcome {
        match self {
            SetupCommand::Auth(command) => {
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
                commands::auth(g, format, action, out)
            }
            SetupCommand::Init { dir, private } => {
                commands::init(dir.as_deref().unwrap_or(&g.repo), *private, out)
            }
            SetupCommand::Import {
                account,
                since,
                limit,
                media,
            } => commands::import(
                g,
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
        }
    }
}
