//! `auth` for Instagram accounts: whom the token acts for (checked
//! against `user_id`), its expiry, data access and scopes through
//! `debug_token` when the app's credentials are set, and renewing it —
//! per login (docs/instagram.md, "Tokens").

use super::{ApiError, App, Client, Login, Settings, TokenDebug};
use crate::auth::{blank, check_scopes, deadline, Inspection, Needs, RenewError, Renewed, Scope};
use crate::config::{Account, Config};
use crate::platform::meta::{read_validity, Validity, APP_ID_ENV, APP_SECRET_ENV};
use crate::platform::ErrorClass;
use jiff::Timestamp;

/// The login's name in postwright.toml (`login = "…"`).
pub(super) fn login_name(login: Login) -> &'static str {
    match login {
        Login::Facebook => "facebook",
        Login::Instagram => "instagram",
    }
}

/// The scopes a login needs for publishing, comments and deletes.
pub fn scopes(login: Login, needs: Needs) -> Vec<Scope> {
    let mut out = Vec::new();
    let mut add = |any_of: &'static [&'static str], for_what| out.push(Scope { any_of, for_what });
    match login {
        Login::Instagram => {
            add(&["instagram_business_basic"], "publishing");
            add(&["instagram_business_content_publish"], "publishing");
            if needs.comments {
                add(
                    &["instagram_business_manage_comments"],
                    "first comments and comment settings",
                );
            }
        }
        Login::Facebook => {
            add(&["instagram_basic"], "publishing");
            add(&["instagram_content_publish"], "publishing");
            add(&["pages_read_engagement", "pages_show_list"], "publishing");
            if needs.comments {
                add(
                    &["instagram_manage_comments"],
                    "first comments and comment settings",
                );
            }
            if needs.delete {
                add(
                    &["instagram_manage_contents"],
                    "apply --prune (deleting posts)",
                );
            }
        }
    }
    out
}

pub(super) async fn inspect(
    config: &Config,
    name: &str,
    account: &Account,
    app: Option<&App>,
    now: Timestamp,
    needs: Needs,
) -> Result<Inspection, ApiError> {
    let settings = Settings::of(account);
    let mut out = blank(name, account);
    out.login = Some(login_name(settings.login).to_string());
    let client = match Client::for_account(config, name, account) {
        Ok(c) => c,
        Err(e) => {
            out.errors.push(e.to_string());
            return Ok(out);
        }
    };
    let refresh = format!(
        "run `postwright auth refresh --account {name}` (or re-authorize) and update {}",
        account.token_env()
    );
    match client.identity().await {
        Ok(me) => {
            let id = me.account_id().to_string();
            if id != settings.user_id {
                out.errors.push(format!(
                    "the token in {} acts for Instagram account {id}, not {} as postwright.toml says",
                    account.token_env(), settings.user_id
                ));
            }
            out.user_id = Some(id);
            out.username = me.username;
            if let Some(served) = client.upgraded_to() {
                out.warnings.push(format!(
                    "Meta answered with API {served} although postwright.toml asks for {}: Meta no longer serves {} and upgraded the call; set `[api] version = \"{served}\"` (and read Meta's changelog for what changed)",
                    config.api.version, config.api.version
                ));
            }
        }
        Err(e) if e.class().stops_account() && e.class() != ErrorClass::RateLimited => {
            out.errors.push(format!(
                "the token in {} does not work: {e}; {refresh}",
                account.token_env()
            ));
            return Ok(out);
        }
        Err(e) => return Err(e),
    }
    let Some(app) = app else {
        out.notes.push(format!(
            "expiry and scopes unknown: set {APP_ID_ENV} and {APP_SECRET_ENV} to read them (debug_token)"
        ));
        return Ok(out);
    };
    let debug: TokenDebug = match client.debug_token(app).await {
        Ok(d) => d,
        Err(e) if e.class() == ErrorClass::RateLimited || e.class() == ErrorClass::Transient => {
            return Err(e)
        }
        Err(e) => {
            out.warnings.push(format!(
                "debug_token failed, so expiry and scopes are unknown: {e}"
            ));
            return Ok(out);
        }
    };
    read_validity(
        &mut out,
        Validity {
            kind: debug.kind.clone(),
            is_valid: debug.is_valid,
            expires_at: debug.expires_at,
        },
        account.token_env(),
        &refresh,
        now,
    );
    // Data access lapses about 90 days after the user last used the app,
    // even for a token that never expires: then every call fails.
    if let Some(at) = debug
        .data_access_expires_at
        .filter(|s| *s > 0)
        .and_then(|s| Timestamp::from_second(s).ok())
    {
        let var = account.token_env();
        let relogin = format!(
            "the account's owner must log in to the app again (re-authorize), then update {var}"
        );
        deadline(
            &mut out,
            at,
            now,
            format!("data access for the token in {var} ended {at}; {relogin}"),
            |left| format!("data access for the token in {var} ends {at} (in {left}); {relogin}"),
        );
    }
    // Every scope postwright may use is checked; the ones this run needs
    // are errors, the others warnings (e.g. the delete scope without --prune).
    check_scopes(
        &mut out,
        scopes(settings.login, needs),
        scopes(settings.login, Needs::ALL),
        debug.scopes,
        "the app",
    );
    Ok(out)
}

/// Instagram Login refreshes the token itself; Facebook Login trades it
/// through `fb_exchange_token`.
pub(super) async fn refresh(
    config: &Config,
    name: &str,
    account: &Account,
    app: Option<&App>,
    now: Timestamp,
) -> Result<Renewed, RenewError> {
    let settings = Settings::of(account);
    let client = Client::for_account(config, name, account).map_err(RenewError::platform)?;
    let new = match settings.login {
        Login::Instagram => client
            .refresh_instagram()
            .await
            .map_err(RenewError::platform)?,
        Login::Facebook => {
            let app = require_app(app, "refreshing a Facebook Login token", settings.login)?;
            client
                .exchange_facebook(app)
                .await
                .map_err(RenewError::platform)?
        }
    };
    Ok(new.renewed(now))
}

/// Short-lived token (from the login dialog) → long-lived token.
pub(super) async fn exchange(
    config: &Config,
    name: &str,
    account: &Account,
    app: Option<&App>,
    now: Timestamp,
) -> Result<Renewed, RenewError> {
    let settings = Settings::of(account);
    let app = require_app(app, "exchanging a short-lived token", settings.login)?;
    let client = Client::for_account(config, name, account).map_err(RenewError::platform)?;
    let new = match settings.login {
        Login::Instagram => client
            .exchange_instagram(app)
            .await
            .map_err(RenewError::platform)?,
        Login::Facebook => client
            .exchange_facebook(app)
            .await
            .map_err(RenewError::platform)?,
    };
    Ok(new.renewed(now))
}

/// The app credentials, or an error naming the variables to set.
fn require_app<'a>(
    app: Option<&'a App>,
    what: &'static str,
    login: Login,
) -> Result<&'a App, RenewError> {
    app.ok_or_else(|| RenewError::NoApp {
        what,
        needs: match login {
            Login::Instagram => format!("{APP_ID_ENV} and {APP_SECRET_ENV} (the Instagram app's)"),
            Login::Facebook => format!("{APP_ID_ENV} and {APP_SECRET_ENV}"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facebook_needs_more_scopes_for_comments_and_deletes() {
        let names = |login, needs| -> Vec<&str> {
            scopes(login, needs)
                .iter()
                .flat_map(|s| s.any_of.iter().copied())
                .collect()
        };
        assert_eq!(
            names(Login::Instagram, Needs::default()),
            [
                "instagram_business_basic",
                "instagram_business_content_publish"
            ]
        );
        let all = names(Login::Facebook, Needs::ALL);
        assert!(all.contains(&"instagram_manage_contents"));
        assert!(all.contains(&"instagram_manage_comments"));
        assert!(!names(Login::Instagram, Needs::ALL).contains(&"instagram_manage_contents"));
    }
}
