//! The commands: each runs the stages in order (load → validate → plan →
//! apply → record) and turns the outcome into output and an exit code.
//! `cli.rs` parses the command line into these calls; nothing here knows
//! clap.

use crate::config::{self, Config};
use crate::content;
use crate::hosting::Hosting;
use crate::plan::{self, Action, Plan};
use crate::report::{self, Format};
use crate::state;
use crate::validate;
use jiff::Timestamp;
use std::io::Write;
use std::path::{Path, PathBuf};

mod apply;
mod apply_lfs;
mod auth;
mod changes;
mod import;
mod init;
mod plan_cmd;
mod preview;
mod refresh;
mod state_adopt;
mod state_cmd;
mod status;
mod validate_cmd;

pub use apply::{apply, ApplyArgs};
pub use auth::{auth, AuthAction};
pub use import::{import, ImportArgs};
pub use init::init;
pub use plan_cmd::{plan, PlanOptions};
pub use preview::preview;
pub use state_adopt::state_adopt;
pub use state_cmd::{state_show, state_unlock};
pub use status::status;
pub use validate_cmd::validate;

/// What every command takes from the command line besides its own flags.
#[derive(Debug, Clone)]
pub struct Globals {
    /// The content repo (holding postwright.toml).
    pub repo: PathBuf,
    /// `--config FILE`, when not `repo/postwright.toml`.
    pub config: Option<PathBuf>,
}

/// How a command ends: one type for every command's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success (for plan: nothing pending, or no --detailed-exitcode).
    Ok = 0,
    /// Problems: invalid posts, a failed publish, a bad config or token.
    Error = 1,
    /// `plan --detailed-exitcode`: apply has work to do; `apply
    /// --detailed-exitcode`: a due post is held for a person.
    Pending = 2,
    /// A usage error (unknown flag, a PATH that does not exist).
    Usage = 64,
    /// apply stopped by SIGINT/SIGTERM (128 + SIGINT).
    Interrupted = 130,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// Why a command could not run at all, printed once by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The command line asks for something that cannot be (exit 64).
    Usage(String),
    /// The command could not do its work: a file it could not write, a
    /// runtime it could not start (exit 1, as `--help` documents for I/O).
    Io(String),
    /// The command failed for a reason it states: a state record it cannot
    /// read, a lease it cannot take (exit 1).
    Error(String),
    /// Already said, in the chosen format (a bad config, invalid posts):
    /// only the exit code is left to give.
    Reported(Exit),
}

impl Failure {
    /// The exit code `--help` documents for it.
    pub fn exit(&self) -> Exit {
        match self {
            Failure::Usage(_) => Exit::Usage,
            Failure::Io(_) | Failure::Error(_) => Exit::Error,
            Failure::Reported(exit) => *exit,
        }
    }

    /// What went wrong, for the one line that says it; `None` when it
    /// was already said.
    pub fn message(&self) -> Option<&str> {
        match self {
            Failure::Usage(m) | Failure::Io(m) | Failure::Error(m) => Some(m),
            Failure::Reported(_) => None,
        }
    }
}

/// Checks `--repo` and loads the config; a bad config is reported in the
/// chosen format and becomes exit code 1 (`Failure::Reported`).
pub fn load_config(g: &Globals, format: Format, out: &mut dyn Write) -> Result<Config, Failure> {
    let repo = &g.repo;
    if !repo.is_dir() {
        return Err(Failure::Usage(format!(
            "--repo {}: no such folder",
            repo.display()
        )));
    }
    let config_path = config::path(repo, g.config.as_deref());
    let display =
        content::relative(repo, &config_path).unwrap_or_else(|| config_path.display().to_string());
    // The config found in the repo is content too: read it only when it is
    // a regular file inside the repo (`--config FILE` is the user's choice).
    if g.config.is_none() {
        use content::safe::{canonical_repo, inspect, Refused};
        match inspect(repo, &canonical_repo(repo), config::FILE_NAME) {
            Ok(_) | Err(Refused::Missing) => {}
            Err(refused) => {
                let problem = crate::diagnostic::Problem::new(
                    crate::diagnostic::Rule::Config,
                    config::FILE_NAME,
                    crate::diagnostic::Pos::START,
                    refused.describe(),
                )
                .with_help("postwright.toml must be a regular file inside the repository");
                emit(out, format, repo, &[&problem], 0, &[]);
                return Err(Failure::Reported(Exit::Error));
            }
        }
    }
    match Config::load(&config_path, &display) {
        Ok(c) => {
            report::mask::announce(&c);
            Ok(c)
        }
        Err(e) => {
            let problem = e.to_problem();
            emit(out, format, repo, &[&problem], 0, &[]);
            Err(Failure::Reported(Exit::Error))
        }
    }
}

/// Prints problems in the chosen format.
pub fn emit(
    out: &mut dyn Write,
    format: Format,
    repo: &Path,
    problems: &[&crate::diagnostic::Problem],
    files: usize,
    scanned: &[validate::FolderScan],
) {
    let text = match format {
        Format::Human => report::human(repo, problems, files, scanned),
        Format::Json => report::json(problems, files, scanned),
        Format::Markdown => report::markdown(problems, files, scanned),
        Format::Github => {
            let mut s = report::github::annotations(problems, &workspace_prefix(repo));
            for f in scanned {
                s.push_str(&f.line());
                s.push('\n');
            }
            s.push_str(&report::summary_line(
                files,
                report::Tally::of(problems.iter().copied()),
            ));
            s.push('\n');
            s
        }
    };
    let _ = out.write_all(text.as_bytes());
}

/// The repo's path inside `$GITHUB_WORKSPACE`, so annotations name files as
/// the pull request's diff does.
pub fn workspace_prefix(repo: &Path) -> String {
    let Some(ws) = std::env::var_os("GITHUB_WORKSPACE") else {
        return String::new();
    };
    match (Path::new(&ws).canonicalize(), repo.canonicalize()) {
        (Ok(ws), Ok(repo)) => content::relative(&ws, &repo).unwrap_or_default(),
        _ => String::new(),
    }
}

/// A plan and everything it was made from, each read once: apply needs the
/// checked posts, the state and the hosting too, status the state.
struct Planned {
    plan: Plan,
    config: crate::config::Config,
    posts: Vec<validate::Checked>,
    state: state::State,
    /// The lease in the record as read (read-only commands; apply asks
    /// the store).
    lease: Option<state::Lease>,
    hosting: Hosting,
    /// What the scan of the content folders left out, and its warnings.
    scanned: Vec<validate::FolderScan>,
    general: Vec<crate::diagnostic::Problem>,
}

/// A content repo's config and state store.
type Opened = (crate::config::Config, Box<dyn state::Store>);

/// The config and the state store of the content repo. `Err(code)` when
/// something was already reported.
fn open(g: &Globals, format: Format, out: &mut dyn Write) -> Result<Opened, Failure> {
    let config = load_config(g, format, out)?;
    let store = state::open(&g.repo, &config);
    Ok((config, store))
}

/// What a plan is asked for.
#[derive(Clone, Copy)]
struct Ask<'a> {
    /// `--at`.
    at: Option<&'a str>,
    prune: bool,
    /// `Some`: nothing will be written (plan, status, preview), and the
    /// record is read as [`state::read_only`] says; `None`: apply's read,
    /// from the remote itself.
    read_only: Option<state::Asking>,
}

/// Leaves a command's data to the process's end, which follows the
/// command's return: the OS takes the pages back at once, where freeing
/// 10,000 posts, their records and plan entries one allocation at a time
/// took 6 % of a plan's CPU (BENCHMARKS.md).
fn keep_until_exit<T>(data: T) {
    std::mem::forget(data);
}

/// Validates, reads the state (apply: from the remote, for the git backend;
/// the read-only commands: as [`state::read_only`] says) and plans.
/// `Err(code)` when something was already reported.
fn make_plan(
    g: &Globals,
    format: Format,
    config: crate::config::Config,
    store: &dyn state::Store,
    ask: Ask<'_>,
    out: &mut dyn Write,
) -> Result<Planned, Failure> {
    let Ask {
        at,
        prune,
        read_only,
    } = ask;
    let at = match at {
        Some(text) => crate::time::parse_at(text, &config.timezone)
            .map_err(|e| Failure::Usage(format!("--at: {e}")))?,
        None => Timestamp::now(),
    };
    let repo = &g.repo;
    // The record is read (fetched, for the git backend) while the files
    // are validated: the two do not depend on each other.
    let (validation, loaded) = std::thread::scope(|scope| {
        let state = scope.spawn(|| match read_only {
            Some(asking) => store.read_only(asking),
            None => store.load().map(|state| state::Snapshot::kept(state, None)),
        });
        let validation = validate::validate_repo(repo, &config, None);
        let loaded = state
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (validation, loaded)
    });
    if validation.general.iter().any(|p| p.is_error()) {
        let problems: Vec<_> = validation.general.iter().collect();
        emit(
            out,
            format,
            repo,
            &problems,
            validation.posts.len(),
            &validation.scanned,
        );
        return Err(Failure::Reported(Exit::Error));
    }
    let state::Snapshot {
        state,
        lease,
        source,
    } = match loaded {
        Ok(s) => s,
        Err(e) if read_only.is_some() => {
            return Err(Failure::Error(format!("{e}")));
        }
        Err(e) => {
            return Err(Failure::Error(e.in_apply().to_string()));
        }
    };
    if let Some(note) = source.note() {
        eprintln!("note: {note}");
    }
    let hosting = Hosting::discover(repo, &config);
    let mut plan = plan::plan(&plan::Inputs {
        tz: &config.timezone,
        accounts: &config.accounts,
        repo,
        posts: &validation.posts,
        state: &state,
        at,
        hosting: &hosting,
        prune,
        max_overdue: config.schedule.max_overdue(),
    });
    plan.state_unknown = source.doubt().cloned();
    Ok(Planned {
        plan,
        config,
        posts: validation.posts,
        state,
        lease,
        hosting,
        scanned: validation.scanned,
        general: validation.general,
    })
}

/// `open` then `make_plan` for a command that only reads (status,
/// preview): the plan at `at`, without --prune, from the record the
/// checkout fetched (the remote asked only when it fetched nothing).
fn read_plan(
    g: &Globals,
    format: Format,
    at: Option<&str>,
    out: &mut dyn Write,
) -> Result<Planned, Failure> {
    let (config, store) = open(g, format, out)?;
    make_plan(
        g,
        format,
        config,
        store.as_ref(),
        Ask {
            at,
            prune: false,
            read_only: Some(state::Asking::WhenUnfetched),
        },
        out,
    )
}

/// The plan's output with what the scan left out: the warnings for files
/// that look like posts but are not read, and one line per folder scanned
/// (a `scanned` array and a `left_out` list in JSON), so no file is skipped
/// without a word.
fn scan_notes(
    format: Format,
    text: String,
    general: &[crate::diagnostic::Problem],
    scanned: &[validate::FolderScan],
    prefix: &str,
) -> String {
    let lines: Vec<String> = scanned.iter().map(validate::FolderScan::line).collect();
    match format {
        Format::Json => {
            let Ok(serde_json::Value::Object(mut map)) = serde_json::from_str(&text) else {
                return text;
            };
            map.insert("scanned".into(), serde_json::json!(scanned));
            map.insert("left_out".into(), serde_json::json!(general));
            let mut s = serde_json::to_string_pretty(&map).unwrap_or(text);
            s.push('\n');
            s
        }
        Format::Human => {
            let mut s = text;
            for p in general {
                s.push_str(&format!(
                    "{}:{}:{}: {}[{}]: {}\n",
                    p.file, p.line, p.column, p.severity, p.rule, p.message
                ));
                if let Some(h) = &p.help {
                    s.push_str(&format!("  = help: {h}\n"));
                }
            }
            for l in lines {
                s.push_str(&l);
                s.push('\n');
            }
            s
        }
        Format::Markdown => {
            let mut s = text;
            s.push('\n');
            for p in general {
                s.push_str(&format!(
                    "- ⚠️ `{}` **{}**: {}\n",
                    report::md_cell(&p.file),
                    p.rule,
                    report::md_cell(&p.message)
                ));
            }
            for l in lines {
                s.push_str(&format!("{}  \n", report::md_cell(&l)));
            }
            s
        }
        Format::Github => {
            // Annotations first, then the log ends as the human output does.
            let refs: Vec<&crate::diagnostic::Problem> = general.iter().collect();
            let mut s = report::github::annotations(&refs, prefix);
            s.push_str(&scan_notes(Format::Human, text, general, scanned, prefix));
            s
        }
    }
}

/// Before apply is asked to act: the tokens of the accounts with work, where
/// their variables are set (pull-request plans run without secrets), and
/// what only each platform can tell of the account's due posts online
/// ([`crate::platform::PlatformSpec::check_posts`]). Prints errors and
/// warnings on stderr (annotations in GitHub format); false when a token
/// cannot publish.
fn check_tokens(
    config: &crate::config::Config,
    plan: &Plan,
    posts: &[crate::validate::Checked],
    format: Format,
) -> bool {
    let acting: std::collections::BTreeSet<&str> = plan
        .entries
        .iter()
        .filter(|e| e.calls_meta(plan.prune))
        .filter_map(|e| e.account.as_deref())
        .collect();
    let accounts: Vec<_> = acting
        .into_iter()
        .filter_map(|name| config.accounts.get_key_value(name))
        .filter(|(_, a)| std::env::var(a.token_env()).is_ok_and(|t| !t.trim().is_empty()))
        .collect();
    if accounts.is_empty() {
        return true;
    }
    let runtime = match token_runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "warning: cannot check the tokens: {}",
                e.message().unwrap_or("")
            );
            return true;
        }
    };
    let needs = crate::auth::Needs {
        comments: plan.count(Action::Update) > 0,
        delete: plan.prune && plan.count(Action::Removed) > 0,
    };
    let mut ok = true;
    for (name, account) in accounts {
        let result = runtime.block_on(crate::auth::inspect(
            config,
            name,
            account,
            Timestamp::now(),
            needs,
        ));
        let mut inspection = match result {
            Ok(i) => i,
            Err(e) => {
                eprintln!("warning: account {name}: could not check the token: {e}");
                continue;
            }
        };
        if inspection.usable() {
            let due: Vec<&crate::validate::ValidPost> = plan
                .entries
                .iter()
                .filter(|e| e.account.as_deref() == Some(name.as_str()))
                .filter(|e| matches!(e.action, Action::Publish | Action::Resume))
                .filter_map(|e| {
                    let checked = posts.iter().find(|c| c.id.as_deref() == Some(&e.id))?;
                    checked.valid_for(name)
                })
                .collect();
            if !due.is_empty() {
                let spec = account.platform.spec();
                let found = runtime.block_on(spec.check_posts(config, name, account, due));
                inspection.warnings.extend(found);
            }
        }
        ok &= inspection.usable();
        eprint!(
            "{}",
            report::auth::findings(&inspection, format == Format::Github)
        );
    }
    ok
}

/// The runtime of the token calls (a few sequential requests).
fn token_runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Io(format!("cannot start the async runtime: {e}")))
}
