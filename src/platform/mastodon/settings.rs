//! A Mastodon account's keys in postwright.toml (`[accounts.NAME]` with
//! `platform = "mastodon"`): the server, the variable holding the access
//! token, and the limits of the server where they are not Mastodon's
//! defaults (validate stays offline: docs/mastodon.md, "Limits").

use super::InstanceLimits;
use crate::config::Account;
use crate::platform::{AccountError, AccountSettings};
use serde::Deserialize;

/// `[accounts.NAME]` of a Mastodon account.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The account's server: `https://mastodon.social`.
    pub instance: String,
    /// The environment variable holding the access token; default
    /// `MASTODON_ACCESS_TOKEN`.
    #[serde(default)]
    pub token_env: Option<String>,
    /// `statuses.max_characters` when the server's is not 500.
    #[serde(default)]
    pub max_characters: Option<usize>,
    /// `statuses.max_media_attachments` when the server's is not 4.
    #[serde(default)]
    pub max_media_attachments: Option<usize>,
    /// `statuses.characters_reserved_per_url` when the server's is not 23.
    #[serde(default)]
    pub characters_reserved_per_url: Option<usize>,
}

impl AccountSettings for Settings {
    fn secret_env(&self) -> Option<&str> {
        self.token_env.as_deref()
    }
}

impl Settings {
    /// The account's Mastodon settings (the registry routes only Mastodon
    /// accounts here; the default keeps a mistake an error of the server,
    /// not a panic).
    pub fn of(account: &Account) -> Settings {
        account.settings::<Settings>().cloned().unwrap_or_default()
    }

    /// The limits validate checks against: Mastodon's defaults, with what
    /// the file says in their place.
    pub fn limits(&self) -> InstanceLimits {
        let mut limits = InstanceLimits::default();
        if let Some(n) = self.max_characters {
            limits.max_characters = n;
        }
        if let Some(n) = self.max_media_attachments {
            limits.max_media_attachments = n;
        }
        if let Some(n) = self.characters_reserved_per_url {
            limits.characters_reserved_per_url = n;
        }
        limits
    }

    /// Reads and checks the table (its `platform` key removed).
    pub(super) fn read(name: &str, table: toml::Table) -> Result<Settings, AccountError> {
        let s: Settings = AccountError::parse(table)?;
        let key = |key: &str, message: String, help: &str| AccountError::Key {
            key: key.into(),
            message,
            help: Some(help.into()),
        };
        if let Err(why) = crate::platform::host::check_server_url(&s.instance, "the access token") {
            return Err(key(
                "instance",
                format!("accounts.{name}.instance `{}` {why}", s.instance),
                "write the server's address, e.g. `https://mastodon.social`",
            ));
        }
        for (field, value) in [
            ("max_characters", s.max_characters),
            ("max_media_attachments", s.max_media_attachments),
            ("characters_reserved_per_url", s.characters_reserved_per_url),
        ] {
            if value == Some(0) {
                return Err(key(
                    field,
                    format!("accounts.{name}.{field} must be at least 1"),
                    "leave it out for Mastodon's default, or write your server's value (GET /api/v2/instance, configuration.statuses)",
                ));
            }
        }
        Ok(s)
    }
}

/// The schema of a Mastodon account table (`platform` is added).
pub(super) const ACCOUNT_SCHEMA: &str = r#"{
  "required": ["instance"],
  "properties": {
    "instance": {
      "description": "The account's server, e.g. https://mastodon.social; http only for localhost.",
      "type": "string"
    },
    "token_env": {
      "description": "Environment variable holding an access token with write:statuses write:media (never the token itself). Default MASTODON_ACCESS_TOKEN.",
      "type": "string"
    },
    "max_characters": {
      "description": "The server's characters per status when not Mastodon's 500.",
      "type": "integer",
      "minimum": 1
    },
    "max_media_attachments": {
      "description": "The server's attachments per status when not Mastodon's 4.",
      "type": "integer",
      "minimum": 1
    },
    "characters_reserved_per_url": {
      "description": "What every URL counts on the server when not Mastodon's 23.",
      "type": "integer",
      "minimum": 1
    }
  }
}"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn read(toml: &str) -> Result<Settings, AccountError> {
        Settings::read("masto", toml.parse::<toml::Table>().unwrap())
    }

    #[test]
    fn defaults_and_every_key() {
        let s = read("instance = \"https://mastodon.social\"").unwrap();
        assert_eq!(s.secret_env(), None);
        assert_eq!(s.limits(), InstanceLimits::default());
        let s = read("instance = \"http://127.0.0.1:3000\"\ntoken_env = \"T\"\nmax_characters = 5000\nmax_media_attachments = 8\ncharacters_reserved_per_url = 20").unwrap();
        assert_eq!(s.secret_env(), Some("T"));
        let limits = s.limits();
        assert_eq!(limits.max_characters, 5000);
        assert_eq!(limits.max_media_attachments, 8);
        assert_eq!(limits.characters_reserved_per_url, 20);
    }

    #[test]
    fn wrong_values_name_their_key() {
        let key_of = |toml: &str| match read(toml) {
            Err(AccountError::Key { key, .. }) => key,
            other => panic!("{toml}: {other:?}"),
        };
        assert_eq!(key_of("instance = \"http://social.example\""), "instance");
        assert_eq!(key_of("instance = \"mastodon.social\""), "instance");
        assert_eq!(
            key_of("instance = \"https://a.example\"\nmax_characters = 0"),
            "max_characters"
        );
        assert!(matches!(
            read("instance = \"https://a.example\"\nhandle = \"x\""),
            Err(AccountError::Serde(m)) if m.contains("unknown field `handle`")
        ));
        assert!(matches!(
            read("token_env = \"X\""),
            Err(AccountError::Serde(_))
        ));
    }
}
