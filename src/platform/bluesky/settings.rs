//! A Bluesky account's keys in postwright.toml (`[accounts.NAME]` with
//! `platform = "bluesky"`): the handle, the PDS, the variable holding the
//! app password, and the video size the account's PDS takes.

use super::record::MAX_VIDEO_BYTES as LEXICON_MAX_VIDEO;
use super::richtext::is_handle;
use crate::config::Account;
use crate::platform::{AccountError, AccountSettings};
use serde::Deserialize;

/// Bluesky's own limit for a video (the lexicon allows more; a PDS may be
/// configured lower or higher): docs/bluesky.md, "Embeds".
pub const DEFAULT_MAX_VIDEO_BYTES: u64 = 50_000_000;

/// `[accounts.NAME]` of a Bluesky account.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The account's handle (`studio.bsky.social`), without `@`.
    pub handle: String,
    /// The account's PDS; default Bluesky's (`https://bsky.social`).
    #[serde(default = "default_pds")]
    pub pds: String,
    /// The environment variable holding the app password; default
    /// `BLUESKY_APP_PASSWORD`.
    #[serde(default)]
    pub password_env: Option<String>,
    /// The largest video this account publishes, in bytes.
    #[serde(default = "default_max_video")]
    pub max_video_bytes: u64,
}

fn default_pds() -> String {
    super::DEFAULT_PDS.to_string()
}

fn default_max_video() -> u64 {
    DEFAULT_MAX_VIDEO_BYTES
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            handle: String::new(),
            pds: default_pds(),
            password_env: None,
            max_video_bytes: DEFAULT_MAX_VIDEO_BYTES,
        }
    }
}

impl AccountSettings for Settings {
    fn secret_env(&self) -> Option<&str> {
        self.password_env.as_deref()
    }
}

impl Settings {
    /// The account's Bluesky settings (the registry routes only Bluesky
    /// accounts here; the default keeps a mistake an error of the PDS,
    /// not a panic).
    pub fn of(account: &Account) -> Settings {
        account.settings::<Settings>().cloned().unwrap_or_default()
    }

    /// Reads and checks the table (its `platform` key removed).
    pub(super) fn read(name: &str, table: toml::Table) -> Result<Settings, AccountError> {
        let s: Settings = AccountError::parse(table)?;
        let key = |key: &str, message: String, help: &str| AccountError::Key {
            key: key.into(),
            message,
            help: Some(help.into()),
        };
        let handle = s.handle.strip_prefix('@').unwrap_or(&s.handle);
        if !is_handle(handle) {
            return Err(key(
                "handle",
                format!("accounts.{name}.handle `{}` is not a Bluesky handle", s.handle),
                "write the handle as the app shows it, e.g. `studio.bsky.social` or a custom domain",
            ));
        }
        if handle != s.handle {
            return Err(key(
                "handle",
                format!("accounts.{name}.handle starts with `@`"),
                "write the handle without the @",
            ));
        }
        if let Err(why) = crate::platform::host::check_server_url(&s.pds, "the app password") {
            return Err(key(
                "pds",
                format!("accounts.{name}.pds `{}` {why}", s.pds),
                "write the PDS's address, e.g. `https://bsky.social` (the default)",
            ));
        }
        if s.max_video_bytes == 0 || s.max_video_bytes > LEXICON_MAX_VIDEO {
            return Err(key(
                "max_video_bytes",
                format!(
                    "accounts.{name}.max_video_bytes must be from 1 to 300000000 (the lexicon's limit), got {}",
                    s.max_video_bytes
                ),
                "leave it out for Bluesky's 50 MB, or write the upload limit of your PDS",
            ));
        }
        Ok(s)
    }
}

/// The schema of a Bluesky account table (`platform` is added).
pub(super) const ACCOUNT_SCHEMA: &str = r#"{
  "required": ["handle"],
  "properties": {
    "handle": {
      "description": "The account's handle, without @ (studio.bsky.social).",
      "type": "string"
    },
    "pds": {
      "description": "The account's PDS. Default https://bsky.social; http only for localhost.",
      "type": "string"
    },
    "password_env": {
      "description": "Environment variable holding an app password (never the password itself). Default BLUESKY_APP_PASSWORD.",
      "type": "string"
    },
    "max_video_bytes": {
      "description": "The largest video to publish, in bytes: Bluesky's is 50000000 (the default); a PDS of your own may take other sizes.",
      "type": "integer",
      "minimum": 1,
      "maximum": 300000000
    }
  }
}"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn read(toml: &str) -> Result<Settings, AccountError> {
        Settings::read("sky", toml.parse::<toml::Table>().unwrap())
    }

    #[test]
    fn defaults_and_every_key() {
        let s = read("handle = \"studio.bsky.social\"").unwrap();
        assert_eq!(s.pds, "https://bsky.social");
        assert_eq!(s.password_env, None);
        assert_eq!(s.max_video_bytes, 50_000_000);
        let s = read("handle = \"a.test\"\npds = \"http://localhost:2583\"\npassword_env = \"SKY\"\nmax_video_bytes = 5000000").unwrap();
        assert_eq!(s.pds, "http://localhost:2583");
        assert_eq!(s.secret_env(), Some("SKY"));
        assert_eq!(s.max_video_bytes, 5_000_000);
    }

    #[test]
    fn wrong_values_name_their_key() {
        let key_of = |toml: &str| match read(toml) {
            Err(AccountError::Key { key, .. }) => key,
            other => panic!("{toml}: {other:?}"),
        };
        assert_eq!(key_of("handle = \"@studio.bsky.social\""), "handle");
        assert_eq!(key_of("handle = \"studio\""), "handle");
        assert_eq!(
            key_of("handle = \"a.test\"\npds = \"http://pds.example.com\""),
            "pds"
        );
        assert_eq!(key_of("handle = \"a.test\"\npds = \"bsky.social\""), "pds");
        assert_eq!(
            key_of("handle = \"a.test\"\nmax_video_bytes = 0"),
            "max_video_bytes"
        );
        assert!(matches!(
            read("handle = \"a.test\"\ntoken_env = \"X\""),
            Err(AccountError::Serde(m)) if m.contains("unknown field `token_env`")
        ));
        assert!(matches!(
            read("pds = \"https://bsky.social\""),
            Err(AccountError::Serde(_))
        ));
        assert!(read("handle = \"a.test\"\npds = \"http://127.0.0.1:9\"").is_ok());
    }
}
