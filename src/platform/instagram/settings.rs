//! An Instagram account's keys in postwright.toml (`[accounts.NAME]`),
//! and the checks of them the config and validate make.

use crate::config::{Account, Config, VideoUpload};
use crate::diagnostic::{Pos, Problem, Rule};
use crate::platform::meta::numeric_id;
use crate::platform::{AccountError, AccountSettings, ConfigIssue};
use serde::Deserialize;

/// Which login the token comes from; decides the Graph host and what is allowed.
#[derive(Debug, Clone, Copy, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Login {
    #[default]
    Facebook,
    Instagram,
}

/// `[accounts.NAME]` of an Instagram account.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The Instagram professional account id.
    pub user_id: String,
    #[serde(default)]
    pub login: Login,
    /// The environment variable holding the token; default
    /// `INSTAGRAM_ACCESS_TOKEN`.
    #[serde(default)]
    pub token_env: Option<String>,
}

impl AccountSettings for Settings {
    fn secret_env(&self) -> Option<&str> {
        self.token_env.as_deref()
    }
}

impl Settings {
    /// The account's Instagram settings (an account of another platform
    /// never reaches Instagram's code: the registry routes by platform;
    /// the default keeps that a wrong id at the API, not a panic).
    pub fn of(account: &Account) -> Settings {
        account.settings::<Settings>().cloned().unwrap_or_default()
    }

    /// Reads and checks the table (its `platform` key removed).
    pub(super) fn read(name: &str, table: toml::Table) -> Result<Settings, AccountError> {
        let s: Settings = AccountError::parse(table)?;
        numeric_id(name, &s.user_id, "Instagram account id")?;
        Ok(s)
    }
}

/// `video_upload = "resumable"` with an Instagram Login account: that login
/// has no resumable upload host (docs/instagram.md), so the setting would be
/// ignored for it without a word. Where, what, and the fix.
pub(super) fn resumable_without_host(config: &Config) -> Option<ConfigIssue> {
    if config.media.video_upload != VideoUpload::Resumable {
        return None;
    }
    let logins: Vec<&str> = config
        .accounts
        .iter()
        .filter(|(_, a)| {
            a.settings::<Settings>()
                .is_some_and(|s| s.login == Login::Instagram)
        })
        .map(|(name, _)| name.as_str())
        .collect();
    let first = logins.first()?;
    Some(ConfigIssue {
        table: "[media]".into(),
        key: "video_upload".into(),
        message: format!(
            "video_upload = \"resumable\" needs Facebook Login, but account{} {} use{} Instagram Login (graph.instagram.com), which takes no uploaded bytes",
            if logins.len() == 1 { "" } else { "s" },
            logins.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
            if logins.len() == 1 { "s" } else { "" },
        ),
        help: format!(
            "remove video_upload (Meta then fetches videos from their URL, as for images), or give `{first}` a Facebook Login token (login = \"facebook\")"
        ),
    })
}

/// The id `postwright init` writes is a valid number: say it is a
/// placeholder before a run asks Meta about it.
pub(super) fn placeholder(name: &str, account: &Account, config: &Config) -> Vec<Problem> {
    let s = Settings::of(account);
    let digits = s.user_id.trim();
    // `1784140` then only zeros: the shape of init's placeholder (real
    // professional account ids are 17841… with nonzero digits after).
    if digits.len() > 7 && digits[7..].bytes().all(|b| b == b'0') {
        return vec![Problem::new(
            Rule::PlaceholderId,
            &config.file,
            Pos::START,
            format!(
                "accounts.{name}.user_id `{digits}` is a placeholder, not an Instagram account id"
            ),
        )
        .with_help("set it to your professional account's id (`postwright auth inspect` shows the id a token acts for)")];
    }
    Vec::new()
}

/// The schema of an Instagram account table (`platform` is added).
pub(super) const ACCOUNT_SCHEMA: &str = r#"{
  "required": ["user_id"],
  "properties": {
    "user_id": {
      "description": "The Instagram professional account id (digits).",
      "type": "string",
      "pattern": "^[0-9]+$"
    },
    "login": {
      "description": "\"facebook\" (graph.facebook.com, default) or \"instagram\" (graph.instagram.com).",
      "enum": ["facebook", "instagram"]
    },
    "token_env": {
      "description": "Environment variable holding the access token (never the token itself). Default INSTAGRAM_ACCESS_TOKEN.",
      "type": "string"
    }
  }
}"#;
