//! The commands beyond `validate`: each runs the stages in order and turns
//! the outcome into output and an exit code.

use crate::cli::{
    emit, load_config, workspace_prefix, Cli, Failure, PlanOptions, EXIT_ERROR, EXIT_OK,
};
use crate::hosting::Hosting;
use crate::plan::{self, local, Action, Plan};
use crate::report::{self, Format};
use crate::state::{self, Status};
use crate::validate;
use jiff::Timestamp;
use std::io::Write;

mod apply;
mod changes;
mod state_cmd;

pub use apply::{apply, ApplyArgs};
pub use state_cmd::{state_show, state_unlock};

/// Exit code of `plan --detailed-exitcode` when apply has work to do.
pub const EXIT_PENDING: i32 = 2;
/// Exit code of an apply stopped by SIGINT/SIGTERM (128 + SIGINT).
pub const EXIT_INTERRUPTED: i32 = 130;

/// A plan and everything it was made from, each read once: apply needs the
/// checked posts, the state and the hosting too, status the state.
struct Planned {
    plan: Plan,
    config: crate::config::Config,
    posts: Vec<validate::Checked>,
    state: state::State,
    hosting: Hosting,
    /// What the scan of the content folders left out, and its warnings.
    scanned: Vec<validate::FolderScan>,
    general: Vec<crate::diagnostic::Problem>,
}

/// A content repo's config and state store.
type Opened = (crate::config::Config, Box<dyn state::Store>);

/// The config and the state store of the content repo. `Err(code)` when
/// something was already reported.
fn open(cli: &Cli, format: Format, out: &mut dyn Write) -> Result<Result<Opened, i32>, Failure> {
    let config = match load_config(cli, format, out)? {
        Ok(c) => c,
        Err(code) => return Ok(Err(code)),
    };
    let store = state::open(&cli.repo, &config);
    Ok(Ok((config, store)))
}

/// What a plan is asked for.
#[derive(Clone, Copy)]
struct Ask<'a> {
    /// `--at`.
    at: Option<&'a str>,
    prune: bool,
    /// Nothing will be written (plan, status): a copy of the record the
    /// checkout fetched will do when the remote cannot be read.
    read_only: bool,
}

/// Validates, reads the state (from the remote, for the git backend) and
/// plans. `Err(code)` when something was already reported.
fn make_plan(
    cli: &Cli,
    format: Format,
    config: crate::config::Config,
    store: &dyn state::Store,
    ask: Ask<'_>,
    out: &mut dyn Write,
) -> Result<Result<Planned, i32>, Failure> {
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
    let repo = &cli.repo;
    let validation = validate::validate_repo(repo, &config, None);
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
        return Ok(Err(EXIT_ERROR));
    }
    let state = match store.load() {
        Ok(s) => s,
        // A pull request's plan in a private repository runs without
        // credentials; the branch its checkout fetched will do for a plan.
        // Apply never gets here without the remote: it must push.
        Err(e @ state::StateError::Remote { .. }) if read_only => match store.checkout_copy() {
            Ok(Some((s, from))) => {
                eprintln!("warning: {e}\nwarning: planning from the copy this checkout fetched ({from}); it may be behind");
                s
            }
            _ => {
                eprintln!("error: {e}");
                return Ok(Err(EXIT_ERROR));
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Err(EXIT_ERROR));
        }
    };
    let hosting = Hosting::discover(repo, &config);
    let plan = plan::plan(&plan::Inputs {
        tz: &config.timezone,
        repo,
        posts: &validation.posts,
        state: &state,
        at,
        hosting: &hosting,
        prune,
    });
    Ok(Ok(Planned {
        plan,
        config,
        posts: validation.posts,
        state,
        hosting,
        scanned: validation.scanned,
        general: validation.general,
    }))
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

/// `postwright plan`.
pub fn plan(
    cli: &Cli,
    format: Format,
    options: &PlanOptions<'_>,
    out: &mut dyn Write,
) -> Result<i32, Failure> {
    let (config, store) = match open(cli, format, out)? {
        Ok(o) => o,
        Err(code) => return Ok(code),
    };
    let planned = make_plan(
        cli,
        format,
        config,
        store.as_ref(),
        Ask {
            at: options.at,
            prune: options.prune,
            read_only: true,
        },
        out,
    )?;
    let Planned {
        mut plan,
        config,
        scanned,
        general,
        posts,
        state,
        ..
    } = match planned {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    if let Some(base) = options.base {
        match plan::base::touched(&cli.repo, base) {
            Ok(touched) => plan.mark_touched(base, &touched, &media_paths(&posts), &config.content),
            // Not a commit here: a local typo, or a shallow checkout in CI.
            // The plan is still right, only not split.
            Err(e @ plan::base::BaseError::UnknownRef { .. }) => {
                eprintln!("warning: {e}; every post is listed");
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(EXIT_ERROR);
            }
        }
    }
    let pr_base = plan.pull_request.as_ref().map(|p| p.base.clone());
    changes::explain(
        &mut plan,
        &cli.repo,
        &state,
        &posts,
        &config.content,
        pr_base.as_deref(),
    );
    if let Ok(Some(lease)) = store.lease() {
        if lease.live(Timestamp::now()) {
            eprintln!("note: an apply is running: {}", lease.describe());
        }
    }
    let tz = &config.timezone;
    let text = match format {
        Format::Human => report::plan::human(&plan, tz),
        Format::Json => report::plan::json(&plan),
        Format::Markdown => report::plan::markdown(&plan, tz),
        Format::Github => {
            if std::env::var_os("GITHUB_STEP_SUMMARY").is_some() {
                report::github::append_step_summary(&scan_notes(
                    Format::Markdown,
                    report::plan::markdown(&plan, tz),
                    &general,
                    &scanned,
                    "",
                ));
            }
            report::plan::github_output(&plan, tz, &workspace_prefix(&cli.repo))
        }
    };
    let text = scan_notes(
        format,
        text,
        &general,
        &scanned,
        &workspace_prefix(&cli.repo),
    );
    match options.out {
        Some(path) => {
            // A file is never coloured.
            if let Err(e) = std::fs::write(path, report::style::strip(&text)) {
                return Err(Failure::Usage(format!("--out {}: {e}", path.display())));
            }
            eprintln!("{}", report::plan::summary_line(&plan));
        }
        None => {
            let _ = out.write_all(text.as_bytes());
        }
    }
    let tokens_ok = options.offline || check_tokens(&config, &plan, format);
    Ok(if plan.has_invalid() || !tokens_ok {
        EXIT_ERROR
    } else if options.detailed_exitcode && plan.needs_apply() {
        EXIT_PENDING
    } else {
        EXIT_OK
    })
}

/// The repo paths of each valid post's media (and reel cover), by id: a
/// pull request that edits one of them edits the post.
fn media_paths(posts: &[validate::Checked]) -> std::collections::HashMap<String, Vec<String>> {
    posts
        .iter()
        .filter_map(|c| Some((c.id.clone()?, c.valid.as_ref()?)))
        .map(|(id, v)| {
            let paths = v
                .media
                .iter()
                .chain(&v.cover)
                .filter_map(|m| match &m.source {
                    validate::preflight::Source::File { path, .. } => Some(path.clone()),
                    validate::preflight::Source::Url(_) => None,
                })
                .collect();
            (id, paths)
        })
        .collect()
}

/// `postwright status`: the state record, and what is due next.
pub fn status(cli: &Cli, format: Format, out: &mut dyn Write) -> Result<i32, Failure> {
    let (config, store) = match open(cli, format, out)? {
        Ok(o) => o,
        Err(code) => return Ok(code),
    };
    let Planned {
        plan,
        config,
        state,
        ..
    } = match make_plan(
        cli,
        format,
        config,
        store.as_ref(),
        Ask {
            at: None,
            prune: false,
            read_only: true,
        },
        out,
    )? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let tz = &config.timezone;
    let mut published: Vec<_> = state
        .posts
        .iter()
        .filter(|(_, e)| e.status == Status::Published)
        .collect();
    published.sort_by_key(|(id, e)| (std::cmp::Reverse(e.published_at), id.as_str()));
    let in_flight: Vec<_> = state
        .posts
        .iter()
        .filter(|(_, e)| matches!(e.status, Status::Creating | Status::Publishing))
        .collect();
    let failed: Vec<_> = state
        .posts
        .iter()
        .filter(|(_, e)| e.status == Status::Failed)
        .collect();
    let upcoming: Vec<_> = plan
        .entries
        .iter()
        .filter(|e| matches!(e.action, Action::Scheduled | Action::Publish))
        .collect();

    if format == Format::Json {
        let value = serde_json::json!({
            "format_version": report::JSON_FORMAT_VERSION,
            "published": published.iter().map(|(id, e)| serde_json::json!({
                "id": id, "file": e.file, "account": e.account, "type": e.kind,
                "media_id": e.media_id, "permalink": e.permalink, "published_at": e.published_at,
            })).collect::<Vec<_>>(),
            "in_progress": in_flight.iter().map(|(id, e)| serde_json::json!({
                "id": id, "file": e.file, "status": e.status, "container_id": e.container_id,
            })).collect::<Vec<_>>(),
            "failed": failed.iter().map(|(id, e)| serde_json::json!({
                "id": id, "file": e.file, "error": e.last_error,
            })).collect::<Vec<_>>(),
            "upcoming": upcoming.iter().map(|e| serde_json::json!({
                "id": e.id, "file": e.file, "action": e.action, "publish_at": e.publish_at,
            })).collect::<Vec<_>>(),
        });
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return Ok(EXIT_OK);
    }

    let mut sections: Vec<report::status::Section> = Vec::new();
    sections.push(report::status::Section {
        title: format!("Published ({})", published.len()),
        rows: published
            .iter()
            .map(|(id, e)| {
                vec![
                    e.published_at
                        .map(|t| local(t, tz))
                        .unwrap_or_else(|| "?".into()),
                    id.to_string(),
                    e.permalink
                        .clone()
                        .unwrap_or_else(|| "(no permalink recorded)".into()),
                ]
            })
            .collect(),
        more: 0,
    });
    if !in_flight.is_empty() {
        sections.push(report::status::Section {
            title: format!(
                "Interrupted, to resume at the next apply ({})",
                in_flight.len()
            ),
            rows: in_flight
                .iter()
                .map(|(id, e)| {
                    vec![
                        id.to_string(),
                        e.file.clone(),
                        format!("({})", e.status.name()),
                    ]
                })
                .collect(),
            more: 0,
        });
    }
    if !failed.is_empty() {
        sections.push(report::status::Section {
            title: format!("Failed last time ({})", failed.len()),
            rows: failed
                .iter()
                .map(|(id, e)| {
                    vec![
                        id.to_string(),
                        e.file.clone(),
                        e.last_error
                            .clone()
                            .unwrap_or_else(|| "unknown error".into()),
                    ]
                })
                .collect(),
            more: 0,
        });
    }
    sections.push(report::status::Section {
        title: format!("Next ({} due or scheduled)", upcoming.len()),
        rows: upcoming
            .iter()
            .take(10)
            .map(|e| {
                vec![
                    e.publish_at
                        .map(|t| local(t, tz))
                        .unwrap_or_else(|| "at the next apply".into()),
                    e.id.clone(),
                    e.action.to_string(),
                ]
            })
            .collect(),
        more: upcoming.len().saturating_sub(10),
    });
    let text = if format == Format::Markdown {
        report::status::markdown(&sections)
    } else {
        report::status::human(&sections)
    };
    let _ = out.write_all(text.as_bytes());
    Ok(EXIT_OK)
}

/// Before apply is asked to act: the tokens of the accounts with work, where
/// their variables are set (pull-request plans run without secrets). Prints
/// errors and warnings on stderr (annotations in GitHub format); false when
/// a token cannot publish.
fn check_tokens(config: &crate::config::Config, plan: &Plan, format: Format) -> bool {
    let acting: std::collections::BTreeSet<&str> = plan
        .entries
        .iter()
        .filter(|e| e.calls_meta(plan.prune))
        .filter_map(|e| e.account.as_deref())
        .collect();
    let accounts: Vec<_> = acting
        .into_iter()
        .filter_map(|name| config.accounts.get_key_value(name))
        .filter(|(_, a)| std::env::var(&a.token_env).is_ok_and(|t| !t.trim().is_empty()))
        .collect();
    if accounts.is_empty() {
        return true;
    }
    let runtime = match token_runtime() {
        Ok(r) => r,
        Err(e) => {
            let Failure::Usage(why) = e;
            eprintln!("warning: cannot check the tokens: {why}");
            return true;
        }
    };
    let app = crate::auth::app_from_env();
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
            app.as_ref(),
            Timestamp::now(),
            needs,
        ));
        let inspection = match result {
            Ok(i) => i,
            Err(e) => {
                eprintln!("warning: account {name}: could not check the token: {e}");
                continue;
            }
        };
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
        .map_err(|e| Failure::Usage(format!("cannot start the async runtime: {e}")))
}

/// `postwright auth …`.
pub fn auth(
    cli: &Cli,
    format: Format,
    command: &crate::cli::AuthCommand,
    out: &mut dyn Write,
) -> Result<i32, Failure> {
    use crate::cli::AuthCommand;
    let config = match load_config(cli, format, out)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let runtime = token_runtime()?;
    let app = crate::auth::app_from_env();
    let now = Timestamp::now();
    match command {
        AuthCommand::Inspect { account } => {
            let names: Vec<&String> = match account {
                Some(name) => vec![known_account(&config, name)?.0],
                None => config.accounts.keys().collect(),
            };
            let mut inspections = Vec::new();
            for name in names {
                let account = &config.accounts[name];
                let result = runtime.block_on(crate::auth::inspect(
                    &config,
                    name,
                    account,
                    app.as_ref(),
                    now,
                    crate::auth::Needs::default(),
                ));
                match result {
                    Ok(i) => inspections.push(i),
                    Err(e) => {
                        eprintln!("error: account {name}: {}", e.explain());
                        return Ok(EXIT_ERROR);
                    }
                }
            }
            let text = match format {
                Format::Json => report::auth::json(&inspections),
                Format::Github => report::auth::github(&inspections),
                Format::Human | Format::Markdown => report::auth::human(&inspections, now),
            };
            let _ = out.write_all(text.as_bytes());
            Ok(if inspections.iter().all(crate::auth::Inspection::usable) {
                EXIT_OK
            } else {
                EXIT_ERROR
            })
        }
        AuthCommand::Refresh { account, out: file }
        | AuthCommand::Exchange { account, out: file } => {
            let (name, account) = match account {
                Some(name) => known_account(&config, name)?,
                None => only_account(&config)?,
            };
            let renewed = if matches!(command, AuthCommand::Refresh { .. }) {
                runtime.block_on(crate::auth::refresh(
                    &config,
                    name,
                    account,
                    app.as_ref(),
                    now,
                ))
            } else {
                runtime.block_on(crate::auth::exchange(
                    &config,
                    name,
                    account,
                    app.as_ref(),
                    now,
                ))
            };
            let renewed = match renewed {
                Ok(r) => r,
                Err(e) => {
                    let text = match &e {
                        crate::auth::RenewError::Api(api) => api.explain(),
                        other => other.to_string(),
                    };
                    eprintln!("error: account {name}: {text}");
                    return Ok(EXIT_ERROR);
                }
            };
            let token = renewed.token.expose();
            let in_actions = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
            match file {
                Some(path) => {
                    if let Err(e) = write_private(path, token) {
                        eprintln!("error: --out {}: {e}", path.display());
                        return Ok(EXIT_ERROR);
                    }
                    if in_actions {
                        let _ = writeln!(out, "::add-mask::{token}");
                    }
                    eprintln!("new token for account {name} written to {}", path.display());
                }
                None => {
                    // stdout is the token alone (for pipes); the mask command
                    // goes to stderr, which the runner reads for commands too.
                    if in_actions {
                        eprintln!("::add-mask::{token}");
                    }
                    let _ = writeln!(out, "{token}");
                }
            }
            match renewed.expires_at {
                Some(at) => eprintln!(
                    "it expires {at} (in {}); store it in {} before the old one lapses",
                    plan::until(now, at),
                    account.token_env
                ),
                None => eprintln!("Meta gave no expiry: it does not expire"),
            }
            Ok(EXIT_OK)
        }
    }
}

fn known_account<'c>(
    config: &'c crate::config::Config,
    name: &str,
) -> Result<(&'c String, &'c crate::config::Account), Failure> {
    config.accounts.get_key_value(name).ok_or_else(|| {
        let known: Vec<&str> = config.accounts.keys().map(String::as_str).collect();
        Failure::Usage(format!(
            "--account {name}: no such account in the config (accounts: {})",
            known.join(", ")
        ))
    })
}

fn only_account(
    config: &crate::config::Config,
) -> Result<(&String, &crate::config::Account), Failure> {
    if let Some(name) = &config.default_account {
        return known_account(config, name);
    }
    let mut all = config.accounts.iter();
    match (all.next(), all.next()) {
        (Some(one), None) => Ok(one),
        _ => Err(Failure::Usage(
            "several accounts and no default_account: name one with --account".into(),
        )),
    }
}

/// Writes a secret to a new or truncated file readable by its owner only.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut f = options.open(path)?;
        // An existing file keeps its mode on open: tighten it first.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        f.write_all(text.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()
    }
    #[cfg(not(unix))]
    {
        let mut f = options.open(path)?;
        f.write_all(text.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()
    }
}

/// `postwright init [DIR]`.
pub fn init(dir: &std::path::Path, out: &mut dyn Write) -> Result<i32, Failure> {
    // plan and apply need a git repository (the state branch, the commit
    // media URLs point at): make one where there is none.
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("LC_ALL", "C")
            .output()
            .ok()
    };
    let _ = std::fs::create_dir_all(dir);
    let existing = crate::init::in_the_way(dir);
    if !existing.is_empty() {
        eprintln!("error: {}", crate::init::InitError::Exists(existing));
        return Ok(EXIT_ERROR);
    }
    let inside = git(&["rev-parse", "--is-inside-work-tree"]).is_some_and(|o| o.status.success());
    let mut made_repo = false;
    if !inside {
        // GitHub's default branch unless git is configured otherwise.
        let configured =
            git(&["config", "--get", "init.defaultBranch"]).is_some_and(|o| o.status.success());
        let args: &[&str] = if configured {
            &["init", "-q"]
        } else {
            &["init", "-q", "-b", "main"]
        };
        match git(args) {
            Some(o) if o.status.success() => made_repo = true,
            _ => {
                eprintln!(
                    "error: {} is not a git repository and `git init` failed there (is git installed?);                      postwright keeps its record on a git branch: run `git init` in it, then `postwright init` again",
                    dir.display()
                );
                return Ok(EXIT_ERROR);
            }
        }
    }
    let branch = git(&["symbolic-ref", "--short", "HEAD"])
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|b| {
            !b.is_empty()
                && b.bytes()
                    .all(|c| c.is_ascii_graphic() && c != b']' && c != b',')
        })
        .unwrap_or_else(|| "main".into());
    match crate::init::init(dir, &branch) {
        Ok(written) => {
            if made_repo {
                let _ = writeln!(
                    out,
                    "initialized a git repository in {} (branch {branch})",
                    dir.display()
                );
            }
            for f in &written {
                let _ = writeln!(out, "created {}", dir.join(f).display());
            }
            let guide = written.last().map_or("README.md", String::as_str);
            let _ = writeln!(
                out,
                "\nNext: set user_id in postwright.toml, add the INSTAGRAM_ACCESS_TOKEN secret, and read {guide}.\nCheck it with: postwright --repo {} validate",
                dir.display()
            );
            Ok(EXIT_OK)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(EXIT_ERROR)
        }
    }
}
