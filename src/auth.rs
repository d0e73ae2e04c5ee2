//! Tokens: whom they act for, what they may do, when they lapse, and how to
//! renew them — checked before apply creates anything, so an expired token
//! fails the run at once instead of post by post (or, worse, silently).

use crate::config::{Account, Config, Login, Platform};
use crate::instagram::{ApiError, App, Client, ErrorClass, Secret, TokenDebug};
use crate::platform::threads::ThreadsError;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// Variables holding the app's id and secret.
pub const APP_ID_ENV: &str = "POSTWRIGHT_APP_ID";
pub use crate::instagram::APP_SECRET_ENV;

/// A token expiring sooner than this is warned about.
pub const WARN_BEFORE: SignedDuration = SignedDuration::from_hours(7 * 24);

/// The app credentials from the environment, when both are set.
pub fn app_from_env() -> Option<App> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    Some(App {
        id: get(APP_ID_ENV)?.trim().to_string(),
        secret: Secret::new(get(APP_SECRET_ENV)?.trim()),
    })
}

/// What a run will ask of a token beyond publishing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// First comments or comment toggles.
    pub comments: bool,
    /// `apply --prune` deletes.
    pub delete: bool,
}

impl Needs {
    pub const ALL: Needs = Needs {
        comments: true,
        delete: true,
    };
}

/// One permission, and what it is for. `any_of` holds alternatives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    pub any_of: &'static [&'static str],
    pub for_what: &'static str,
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

/// What is known of one account's token.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub account: String,
    pub platform: Platform,
    /// Instagram accounts' login (the default for Threads ones, unused).
    pub login: Login,
    pub token_env: String,
    /// The account the token answered for.
    pub user_id: Option<String>,
    pub username: Option<String>,
    /// `debug_token`'s type (USER, PAGE…), when the app credentials are set.
    pub kind: Option<String>,
    pub scopes: Option<Vec<String>>,
    /// When it expires; `None` when unknown or never (see `never_expires`).
    pub expires_at: Option<Timestamp>,
    pub never_expires: bool,
    /// Needed scopes the token lacks.
    pub missing: Vec<Scope>,
    /// Reasons the token cannot publish now: each stops the account.
    pub errors: Vec<String>,
    /// Things to fix soon.
    pub warnings: Vec<String>,
    /// What could not be checked, and how to make it checkable.
    pub notes: Vec<String>,
}

impl Inspection {
    pub fn usable(&self) -> bool {
        self.errors.is_empty()
    }
}

/// A token check that could not be made: Meta unreachable or busy.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Instagram(#[from] ApiError),
    #[error(transparent)]
    Threads(#[from] ThreadsError),
}

impl CheckError {
    pub fn explain(&self) -> String {
        match self {
            CheckError::Instagram(e) => e.explain(),
            CheckError::Threads(e) => e.explain(),
        }
    }

    pub fn class(&self) -> ErrorClass {
        match self {
            CheckError::Instagram(e) => e.class(),
            CheckError::Threads(e) => e.class(),
        }
    }
}

/// Asks Meta about `account`'s token (Instagram or Threads, by the
/// account's platform). Errors that are the token's fault (expired,
/// invalid, not this account's) are findings in the inspection; only
/// failing to reach Meta is an `Err`.
pub async fn inspect(
    config: &Config,
    name: &str,
    account: &Account,
    app: Option<&App>,
    now: Timestamp,
    needs: Needs,
) -> Result<Inspection, CheckError> {
    match account.platform {
        Platform::Instagram => Ok(inspect_instagram(config, name, account, app, now, needs).await?),
        Platform::Threads => {
            Ok(crate::auth_threads::inspect(config, name, account, now, needs).await?)
        }
    }
}

/// An inspection with nothing known yet.
pub(crate) fn blank(name: &str, account: &Account) -> Inspection {
    Inspection {
        account: name.to_string(),
        platform: account.platform,
        login: account.login,
        token_env: account.token_env().to_string(),
        user_id: None,
        username: None,
        kind: None,
        scopes: None,
        expires_at: None,
        never_expires: false,
        missing: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        notes: Vec::new(),
    }
}

async fn inspect_instagram(
    config: &Config,
    name: &str,
    account: &Account,
    app: Option<&App>,
    now: Timestamp,
    needs: Needs,
) -> Result<Inspection, ApiError> {
    let mut out = blank(name, account);
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
            if id != account.user_id {
                out.errors.push(format!(
                    "the token in {} acts for Instagram account {id}, not {} as postwright.toml says",
                    account.token_env(), account.user_id
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
        scopes(account.login, needs),
        scopes(account.login, Needs::ALL),
        debug.scopes,
        "the app",
    );
    Ok(out)
}

/// What a `debug_token` answer says of a token's life, on either platform.
pub(crate) struct Validity {
    pub kind: Option<String>,
    pub is_valid: bool,
    /// Seconds since the epoch; 0: never.
    pub expires_at: Option<i64>,
}

/// Records a token's kind and expiry, and says when it is no longer valid,
/// expired or about to expire (`refresh`: what to do about it).
pub(crate) fn read_validity(
    out: &mut Inspection,
    v: Validity,
    var: &str,
    refresh: &str,
    now: Timestamp,
) {
    out.kind = v.kind;
    match v.expires_at {
        Some(0) => out.never_expires = true,
        Some(secs) => out.expires_at = Timestamp::from_second(secs).ok(),
        None => {}
    }
    if !v.is_valid {
        out.errors.push(format!(
            "Meta reports the token in {var} as no longer valid; {refresh}"
        ));
    }
    if let Some(at) = out.expires_at {
        deadline(
            out,
            at,
            now,
            format!("the token in {var} expired {at}; {refresh}"),
            |left| format!("the token in {var} expires {at} (in {left}); {refresh}"),
        );
    }
}

/// Every scope postwright may use, against those `granted`: the ones this
/// run needs (`required`) missing are errors, the others warnings.
pub(crate) fn check_scopes(
    out: &mut Inspection,
    required: Vec<Scope>,
    all: Vec<Scope>,
    granted: Vec<String>,
    app: &str,
) {
    out.missing = all
        .into_iter()
        .filter(|s| !s.any_of.iter().any(|a| granted.iter().any(|g| g == a)))
        .collect();
    for s in &out.missing {
        let line = format!(
            "the token lacks {} (needed for {}); re-authorize {app} with it",
            s.any_of.join(" or "),
            s.for_what
        );
        if required.contains(s) {
            out.errors.push(line);
        } else {
            out.warnings.push(line);
        }
    }
    out.scopes = Some(granted);
}

/// A date something of the token ends: past, an error (`ended`); within
/// [`WARN_BEFORE`], a warning (`ends`, given how long is left).
pub(crate) fn deadline(
    out: &mut Inspection,
    at: Timestamp,
    now: Timestamp,
    ended: String,
    ends: impl FnOnce(String) -> String,
) {
    let left = at.duration_since(now);
    if left <= SignedDuration::ZERO {
        out.errors.push(ended);
    } else if left < WARN_BEFORE {
        out.warnings.push(ends(crate::time::until(now, at)));
    }
}

/// What `refresh` and `exchange` produced.
#[derive(Debug, Clone)]
pub struct Renewed {
    pub token: Secret,
    pub expires_at: Option<Timestamp>,
}

/// Why a token could not be renewed.
#[derive(Debug, thiserror::Error)]
pub enum RenewError {
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("{0}")]
    Threads(#[from] ThreadsError),
    #[error("{0}")]
    Unsupported(String),
    #[error("{what} needs the app's credentials: set {needs}")]
    NoApp { what: &'static str, needs: String },
}

/// A new long-lived token for the account: Instagram Login and Threads
/// refresh the token itself, Facebook Login trades it through
/// `fb_exchange_token`.
pub async fn refresh(
    config: &Config,
    name: &str,
    account: &Account,
    app: Option<&App>,
    now: Timestamp,
) -> Result<Renewed, RenewError> {
    if account.platform == Platform::Threads {
        let client = crate::platform::threads::Client::for_account(config, name, account)?;
        return Ok(renewed(client.refresh().await?, now));
    }
    let client = Client::for_account(config, name, account)?;
    let new = match account.login {
        Login::Instagram => client.refresh_instagram().await?,
        Login::Facebook => {
            let app = require_app(app, "refreshing a Facebook Login token", account.login)?;
            client.exchange_facebook(app).await?
        }
    };
    Ok(renewed(new, now))
}

/// Short-lived token (from the login dialog) → long-lived token.
pub async fn exchange(
    config: &Config,
    name: &str,
    account: &Account,
    app: Option<&App>,
    now: Timestamp,
) -> Result<Renewed, RenewError> {
    if account.platform == Platform::Threads {
        return Err(RenewError::Unsupported(
            "postwright exchanges Instagram tokens only: exchange a short-lived Threads token with th_exchange_token (docs/threads.md, \"Tokens\"), then use auth refresh".into(),
        ));
    }
    let app = require_app(app, "exchanging a short-lived token", account.login)?;
    let client = Client::for_account(config, name, account)?;
    let new = match account.login {
        Login::Instagram => client.exchange_instagram(app).await?,
        Login::Facebook => client.exchange_facebook(app).await?,
    };
    Ok(renewed(new, now))
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

pub(crate) fn renewed(new: crate::instagram::NewToken, now: Timestamp) -> Renewed {
    let expires_at = new.expires_in.and_then(|s| {
        now.checked_add(SignedDuration::from_secs(i64::try_from(s).ok()?))
            .ok()
    });
    Renewed {
        token: new.token,
        expires_at,
    }
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

    #[test]
    fn renewed_expiry_counts_from_now() {
        let now: Timestamp = "2026-11-28T00:00:00Z".parse().unwrap();
        let r = renewed(
            crate::instagram::NewToken {
                token: Secret::new("x"),
                token_type: None,
                expires_in: Some(5_184_000),
            },
            now,
        );
        assert_eq!(r.expires_at.unwrap().to_string(), "2027-01-27T00:00:00Z");
    }
}
