//! Tokens: whom they act for, what they may do, when they lapse, and how to
//! renew them — checked before apply creates anything, so an expired token
//! fails the run at once instead of post by post (or, worse, silently).

use crate::config::{Account, Config};
use crate::platform::Secret;
use crate::platform::{ErrorClass, Platform, PlatformError};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// A token expiring sooner than this is warned about.
pub const WARN_BEFORE: SignedDuration = SignedDuration::from_hours(7 * 24);

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

/// What is known of one account's token.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub account: String,
    pub platform: Platform,
    /// How the account signs in, for people (`Facebook Login`, `Threads`).
    pub access: String,
    /// Instagram accounts' login (`facebook`, `instagram`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
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

/// A token check that could not be made: the platform unreachable or
/// busy. Any platform's error, as the seam classifies it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CheckError(pub Box<dyn PlatformError>);

impl CheckError {
    pub fn new(e: impl PlatformError) -> CheckError {
        CheckError(Box::new(e))
    }

    pub fn explain(&self) -> String {
        self.0.explain()
    }

    pub fn class(&self) -> ErrorClass {
        self.0.class()
    }
}

/// Asks the account's platform about its credential. Errors that are the
/// credential's fault (expired, invalid, not this account's) are findings
/// in the inspection; only failing to reach the platform is an `Err`.
pub async fn inspect(
    config: &Config,
    name: &str,
    account: &Account,
    now: Timestamp,
    needs: Needs,
) -> Result<Inspection, CheckError> {
    account
        .platform
        .spec()
        .inspect(config, name, account, now, needs)
        .await
}

/// An inspection with nothing known yet.
pub(crate) fn blank(name: &str, account: &Account) -> Inspection {
    Inspection {
        account: name.to_string(),
        platform: account.platform,
        access: account.platform.spec().access(account),
        login: None,
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
    /// The platform's answer (its `explain` says what to do).
    #[error("{0}")]
    Platform(Box<dyn PlatformError>),
    #[error("{0}")]
    Unsupported(String),
    #[error("{what} needs the app's credentials: set {needs}")]
    NoApp { what: &'static str, needs: String },
}

impl RenewError {
    pub fn platform(e: impl PlatformError) -> RenewError {
        RenewError::Platform(Box::new(e))
    }

    /// For people: the platform's explanation, or the error.
    pub fn explain(&self) -> String {
        match self {
            RenewError::Platform(e) => e.explain(),
            other => other.to_string(),
        }
    }
}

/// A new long-lived credential for the account (`auth refresh`), as its
/// platform renews it.
pub async fn refresh(
    config: &Config,
    name: &str,
    account: &Account,
    now: Timestamp,
) -> Result<Renewed, RenewError> {
    account
        .platform
        .spec()
        .refresh(config, name, account, now)
        .await
}

/// Short-lived credential (from a login dialog) → long-lived one.
pub async fn exchange(
    config: &Config,
    name: &str,
    account: &Account,
    now: Timestamp,
) -> Result<Renewed, RenewError> {
    account
        .platform
        .spec()
        .exchange(config, name, account, now)
        .await
}
