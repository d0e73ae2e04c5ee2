//! What Meta's two platforms, Instagram and Threads, share: the Graph
//! error object ([`MetaError`]; each platform classifies it), tokens
//! ([`NewToken`], the app's credentials, `debug_token`'s validity), the
//! reading of an answer before a platform types it ([`answer`]), container
//! states and timestamps, and user ids. Neither platform borrows from the
//! other: both use this module.

pub mod answer;
mod error;
mod time;
mod token;

pub use crate::platform::Secret;
pub use error::MetaError;
pub use time::{container_state, parse_meta_time};
pub use token::{app_from_env, App, NewToken, APP_ID_ENV, APP_SECRET_ENV};
pub(crate) use token::{read_validity, Validity};

use crate::platform::AccountError;

/// A Meta user id is digits: anything else is a handle or a placeholder
/// written where the id goes.
pub(crate) fn numeric_id(name: &str, id: &str, what: &str) -> Result<(), AccountError> {
    if id.trim().is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AccountError::Key {
            key: "user_id".into(),
            message: format!("accounts.{name}.user_id must be the numeric {what}, got `{id}`"),
            help: None,
        });
    }
    Ok(())
}
