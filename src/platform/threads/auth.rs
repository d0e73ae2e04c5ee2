//! `auth` for Threads accounts: who the token acts for (`/me`,
//! checked against `user_id`), and its expiry and scopes where Threads'
//! `debug_token` answers (docs/threads.md, "Tokens"). The same findings as
//! Instagram's inspection ([`crate::auth`]): errors stop the account,
//! warnings are to fix soon, notes say what could not be checked.

use super::{Client, Settings, ThreadsError};
use crate::auth::{blank, Inspection, Needs, Scope};
use crate::config::{Account, Config};
use crate::platform::ErrorClass;
use jiff::Timestamp;

/// The scopes a Threads run needs (docs/threads.md, "Tokens").
pub fn scopes(needs: Needs) -> Vec<Scope> {
    let mut out = vec![
        Scope {
            any_of: &["threads_basic"],
            for_what: "every Threads call",
        },
        Scope {
            any_of: &["threads_content_publish"],
            for_what: "publishing",
        },
    ];
    if needs.delete {
        out.push(Scope {
            any_of: &["threads_delete"],
            for_what: "apply --prune (deleting posts)",
        });
    }
    out
}

pub(super) async fn inspect(
    config: &Config,
    name: &str,
    account: &Account,
    now: Timestamp,
    needs: Needs,
) -> Result<Inspection, ThreadsError> {
    let settings = Settings::of(account);
    let mut out = blank(name, account);
    let client = match Client::for_account(config, name, account) {
        Ok(c) => c,
        Err(e) => {
            out.errors.push(e.to_string());
            return Ok(out);
        }
    };
    let var = account.token_env().to_string();
    let refresh = format!(
        "run `postwright auth refresh --account {name}` (or re-authorize the Threads app) and update {var}"
    );
    match client.identity().await {
        Ok(me) => {
            if me.id != settings.user_id {
                out.errors.push(format!(
                    "the token in {var} acts for Threads user {}, not {} as postwright.toml says",
                    me.id, settings.user_id
                ));
            }
            out.user_id = Some(me.id);
            out.username = me.username;
        }
        Err(e) if e.class().stops_account() && e.class() != ErrorClass::RateLimited => {
            out.errors
                .push(format!("the token in {var} does not work: {e}; {refresh}"));
            return Ok(out);
        }
        Err(e) => return Err(e),
    }
    let debug = match client.debug_token().await {
        Ok(d) => d,
        Err(e) if e.class() == ErrorClass::Transient => return Err(e),
        Err(e) => {
            out.notes.push(format!(
                "expiry and scopes unknown: Threads' debug_token answered {e} (Meta answers it for the app's Threads testers only); a long-lived token lasts 60 days from its last refresh"
            ));
            return Ok(out);
        }
    };
    crate::platform::meta::read_validity(
        &mut out,
        crate::platform::meta::Validity {
            kind: debug.kind.clone(),
            is_valid: debug.is_valid,
            expires_at: debug.expires_at,
        },
        &var,
        &refresh,
        now,
    );
    crate::auth::check_scopes(
        &mut out,
        scopes(needs),
        scopes(Needs::ALL),
        debug.scopes,
        "the Threads app",
    );
    Ok(out)
}

/// Threads refreshes a long-lived token itself (`th_refresh_token`).
pub(super) async fn refresh(
    config: &Config,
    name: &str,
    account: &Account,
    now: Timestamp,
) -> Result<crate::auth::Renewed, crate::auth::RenewError> {
    use crate::auth::RenewError;
    let client = Client::for_account(config, name, account).map_err(RenewError::platform)?;
    let new = client.refresh().await.map_err(RenewError::platform)?;
    Ok(new.renewed(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleting_needs_threads_delete() {
        let names = |needs| -> Vec<&str> {
            scopes(needs)
                .iter()
                .flat_map(|s| s.any_of.iter().copied())
                .collect()
        };
        assert_eq!(
            names(Needs::default()),
            ["threads_basic", "threads_content_publish"]
        );
        assert!(names(Needs::ALL).contains(&"threads_delete"));
    }
}
