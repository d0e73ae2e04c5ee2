//! A Threads account's keys in postwright.toml (`[accounts.NAME]`).

use crate::config::Account;
use crate::platform::meta::numeric_id;
use crate::platform::{AccountError, AccountSettings};
use serde::Deserialize;

/// `[accounts.NAME]` of a Threads account (`platform = "threads"`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The Threads user id.
    pub user_id: String,
    /// The environment variable holding the token; default
    /// `THREADS_ACCESS_TOKEN`.
    #[serde(default)]
    pub token_env: Option<String>,
}

impl AccountSettings for Settings {
    fn secret_env(&self) -> Option<&str> {
        self.token_env.as_deref()
    }
}

impl Settings {
    /// The account's Threads settings (the registry routes only Threads
    /// accounts here; the default keeps a mistake an API error, not a
    /// panic).
    pub fn of(account: &Account) -> Settings {
        account.settings::<Settings>().cloned().unwrap_or_default()
    }

    pub(super) fn read(name: &str, table: toml::Table) -> Result<Settings, AccountError> {
        let s: Settings = AccountError::parse(table)?;
        numeric_id(name, &s.user_id, "Threads user id")?;
        Ok(s)
    }
}

/// The schema of a Threads account table (`platform` is added).
pub(super) const ACCOUNT_SCHEMA: &str = r#"{
  "required": ["user_id"],
  "properties": {
    "user_id": {
      "description": "The Threads user id (digits).",
      "type": "string",
      "pattern": "^[0-9]+$"
    },
    "token_env": {
      "description": "Environment variable holding the access token (never the token itself). Default THREADS_ACCESS_TOKEN.",
      "type": "string"
    }
  }
}"#;
