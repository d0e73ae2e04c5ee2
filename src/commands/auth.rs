//! `postwright auth`: inspect, refresh or exchange the accounts' tokens.

use super::{load_config, token_runtime, Exit, Failure, Globals};
use crate::report::{self, Format};
use jiff::Timestamp;
use std::io::Write;

/// What `auth` is asked to do.
#[derive(Debug, Clone, Copy)]
pub enum AuthAction<'a> {
    Inspect {
        account: Option<&'a str>,
    },
    Refresh {
        account: Option<&'a str>,
        out: Option<&'a std::path::Path>,
    },
    Exchange {
        account: Option<&'a str>,
        out: Option<&'a std::path::Path>,
    },
}

/// `postwright auth …`.
pub fn auth(
    g: &Globals,
    format: Format,
    command: AuthAction<'_>,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    let config = load_config(g, format, out)?;
    let runtime = token_runtime()?;
    let now = Timestamp::now();
    match command {
        AuthAction::Inspect { account } => {
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
                    now,
                    crate::auth::Needs::default(),
                ));
                match result {
                    Ok(i) => inspections.push(i),
                    Err(e) => {
                        eprintln!("error: account {name}: {}", e.explain());
                        return Ok(Exit::Error);
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
                Exit::Ok
            } else {
                Exit::Error
            })
        }
        AuthAction::Refresh { account, out: file }
        | AuthAction::Exchange { account, out: file } => {
            let (name, account) = match account {
                Some(name) => known_account(&config, name)?,
                None => only_account(&config)?,
            };
            let renewed = if matches!(command, AuthAction::Refresh { .. }) {
                runtime.block_on(crate::auth::refresh(&config, name, account, now))
            } else {
                runtime.block_on(crate::auth::exchange(&config, name, account, now))
            };
            let renewed = match renewed {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: account {name}: {}", e.explain());
                    return Ok(Exit::Error);
                }
            };
            let token = renewed.token.expose();
            let in_actions = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
            match file {
                Some(path) => {
                    if let Err(e) = write_private(path, token) {
                        eprintln!("error: --out {}: {e}", path.display());
                        return Ok(Exit::Error);
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
                    crate::time::until(now, at),
                    account.token_env()
                ),
                None => eprintln!("Meta gave no expiry: it does not expire"),
            }
            Ok(Exit::Ok)
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
