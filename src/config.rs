//! `postwright.toml`: where posts live, which accounts they go to, and how.
//!
//! Unknown keys are errors, as in posts: a typo'd setting must not be ignored.
//! Errors carry the line and column of the offending key or value.

use crate::diagnostic::{Pos, Problem, Rule};
use crate::platform::{AccountSettings, Platform};
use jiff::tz::TimeZone;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

mod accounts;
mod checks;
mod hints;

pub(crate) use checks::find_key;

/// The file name looked for at the repo root.
pub const FILE_NAME: &str = "postwright.toml";

/// A loaded and checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// How the config file is named in messages (`postwright.toml`).
    pub file: String,
    /// Folders (relative to the repo root) holding post files.
    pub content: Vec<String>,
    /// Where each folder of `content` is written (start, just past the end);
    /// empty when `content` is not given.
    pub content_at: Vec<(Pos, Pos)>,
    /// Zone for `publish_at` values without an offset.
    pub timezone: TimeZone,
    pub timezone_name: String,
    /// Used by posts without `account:`; set when there is one account, or by `default_account`.
    pub default_account: Option<String>,
    pub accounts: BTreeMap<String, Account>,
    pub api: Api,
    pub media: Media,
    /// Where `[media] base_url` is written, for problems about it.
    pub base_url_at: Option<Pos>,
    /// `[media] store`, checked.
    pub store: Option<crate::hosting::spec::StoreSpec>,
    pub state: StateConfig,
    pub schedule: Schedule,
}

/// `[schedule]`: when a due post still goes out.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// A post more than this many hours past its `publish_at` is planned
    /// `overdue` and waits for a person, unless it says
    /// `publish_overdue: true`. A day covers an outage or a cron GitHub ran
    /// late, not a file copied from an archive dated years ago. 0: no limit.
    #[serde(default = "default_max_overdue")]
    pub max_overdue_hours: u64,
}

fn default_max_overdue() -> u64 {
    24
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            max_overdue_hours: default_max_overdue(),
        }
    }
}

impl Schedule {
    /// How late a post may go out; `None`: however late.
    pub fn max_overdue(&self) -> Option<jiff::SignedDuration> {
        let hours = i64::try_from(self.max_overdue_hours).unwrap_or(i64::MAX / 3600);
        (hours > 0).then(|| jiff::SignedDuration::from_hours(hours.min(i64::MAX / 3600)))
    }
}

/// One `[accounts.NAME]`: its platform (`platform =`, default the
/// registry's first), and what that platform's folder read from the rest
/// of its keys ([`crate::platform::PlatformSpec::account`]). The config
/// knows no platform's keys.
#[derive(Debug, Clone)]
pub struct Account {
    pub platform: Platform,
    settings: Arc<dyn AccountSettings>,
    /// `schedule = "native"`: posts due far enough ahead are handed to the
    /// platform's own scheduler (its limits); `None` (`schedule =
    /// "apply"`, the default): apply's runs publish them when due.
    pub native: Option<crate::platform::NativeScheduling>,
}

impl Account {
    /// An account on `platform` with the settings its folder parsed.
    pub fn new(platform: Platform, settings: Arc<dyn AccountSettings>) -> Account {
        Account {
            platform,
            settings,
            native: None,
        }
    }

    /// The environment variable holding the account's credential (a token,
    /// an app password; never the credential itself).
    pub fn token_env(&self) -> &str {
        self.settings
            .secret_env()
            .unwrap_or_else(|| self.platform.spec().default_secret_env())
    }

    /// The platform's own settings, when they are of type `T` (the
    /// account is on that platform).
    pub fn settings<T: AccountSettings>(&self) -> Option<&T> {
        let any: &dyn std::any::Any = self.settings.as_ref();
        any.downcast_ref()
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Api {
    #[serde(default = "default_version")]
    pub version: String,
    /// Replaces the Graph host (`graph.facebook.com` / `graph.instagram.com`).
    pub base_url: Option<String>,
    /// Replaces the resumable-upload host.
    pub upload_url: Option<String>,
    /// Replaces the Threads host (`https://graph.threads.net`).
    pub threads_url: Option<String>,
    /// First wait between container status checks, in ms (doubles up to 30 s).
    #[serde(default = "default_poll_interval")]
    pub poll_interval_ms: u64,
    /// Longest wait for containers to finish processing, in seconds.
    #[serde(default = "default_max_wait")]
    pub max_wait_secs: u64,
    /// Containers created at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// First wait before retrying a transient error, in ms (doubles, with jitter).
    #[serde(default = "default_retry_base")]
    pub retry_base_ms: u64,
    /// The lost-record guard looks this many hours back for a live post
    /// with the same caption that is not surely this post (a possible
    /// twin, held for a person); see `apply::twin`. 0 turns the guard off
    /// for posts without a journal entry.
    #[serde(default = "default_adopt_window")]
    pub adopt_window_hours: u64,
    /// Longest wait for a rate limit to lift (Meta's
    /// `estimated_time_to_regain_access`), in seconds; a longer block defers
    /// the account's remaining posts to a later run.
    #[serde(default = "default_max_rate_wait")]
    pub max_rate_wait_secs: u64,
}

fn default_max_rate_wait() -> u64 {
    120
}

fn default_adopt_window() -> u64 {
    24
}

fn default_retry_base() -> u64 {
    1000
}

fn default_poll_interval() -> u64 {
    1000
}

fn default_max_wait() -> u64 {
    300
}

fn default_concurrency() -> usize {
    4
}

fn default_version() -> String {
    "v24.0".to_string()
}

impl Default for Api {
    fn default() -> Self {
        Api {
            version: default_version(),
            base_url: None,
            upload_url: None,
            threads_url: None,
            poll_interval_ms: default_poll_interval(),
            max_wait_secs: default_max_wait(),
            concurrency: default_concurrency(),
            retry_base_ms: default_retry_base(),
            adopt_window_hours: default_adopt_window(),
            max_rate_wait_secs: default_max_rate_wait(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Media {
    /// Template turning repo paths into public URLs (`{repo}`, `{sha}`, `{path}`).
    pub base_url: Option<String>,
    /// Command run per file that prints its public URL.
    pub upload_command: Option<String>,
    /// How local videos reach Meta: `url` (fetched from the public URL) or
    /// `resumable` (bytes sent to the upload host; Facebook Login only).
    #[serde(default)]
    pub video_upload: VideoUpload,
    /// Object storage for repo media: `s3://bucket/prefix`, `gs://…`,
    /// `az://…` (checked into [`Config::store`]; docs/media-store.md).
    pub store: Option<String>,
    /// An S3-compatible service's endpoint (R2, B2, MinIO, Spaces).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Lifetime of the presigned GET URLs Meta fetches.
    pub url_ttl_secs: Option<u64>,
    /// `https://media.example.com/{key}`: a CDN in front of the bucket.
    pub public_url: Option<String>,
    /// Longest wait for one request to the store.
    pub timeout_secs: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum VideoUpload {
    #[default]
    Url,
    Resumable,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    #[serde(default)]
    pub backend: Backend,
    #[serde(default = "default_state_path")]
    pub path: String,
    #[serde(default = "default_state_branch")]
    pub branch: String,
    /// Git backend: the remote holding the record. Unset: `origin` when the
    /// repository has one (a CI checkout always does), else local only.
    /// `""`: local only.
    #[serde(default)]
    pub remote: Option<String>,
    /// Git backend: how long an apply's lease lives without renewal.
    #[serde(default = "default_lease_secs")]
    pub lease_secs: u64,
}

fn default_lease_secs() -> u64 {
    600
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    File,
    Git,
}

fn default_state_path() -> String {
    ".postwright/state.json".to_string()
}

fn default_state_branch() -> String {
    "postwright-state".to_string()
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            backend: Backend::File,
            path: default_state_path(),
            branch: default_state_branch(),
            remote: None,
            lease_secs: default_lease_secs(),
        }
    }
}

/// The file as written, before checks that need more than serde.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    content: Option<Spanned<Vec<Spanned<String>>>>,
    timezone: Option<Spanned<String>>,
    default_account: Option<Spanned<String>>,
    #[serde(default)]
    accounts: BTreeMap<String, toml::Table>,
    #[serde(default)]
    api: Api,
    #[serde(default)]
    media: Media,
    #[serde(default)]
    state: StateConfig,
    #[serde(default)]
    schedule: Schedule,
}

/// A configuration that could not be loaded, with where and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{}:{}: {message}", pos.line, pos.column)]
pub struct ConfigError {
    pub file: String,
    pub pos: Pos,
    /// Just past the offending text, when known.
    pub end: Option<Pos>,
    pub message: String,
    pub help: Option<String>,
}

impl ConfigError {
    /// The error as a problem of rule `config`, for the report formats.
    pub fn to_problem(&self) -> Problem {
        let mut p = Problem::new(Rule::Config, &self.file, self.pos, &self.message);
        if let Some(end) = self.end {
            p = p.with_end(end);
        }
        match &self.help {
            Some(h) => p.with_help(h),
            None => p,
        }
    }
}

impl Config {
    /// Reads `path`; `display` is how the file is named in errors.
    pub fn load(path: &Path, display: &str) -> Result<Config, ConfigError> {
        let err = |pos: Pos, message: String, help: Option<&str>| ConfigError {
            file: display.to_string(),
            pos,
            end: None,
            message,
            help: help.map(str::to_string),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(err(
                    Pos::START,
                    format!("no {FILE_NAME} here ({})", path.display()),
                    Some("run postwright from the content repo, or point at it with --repo DIR (or --config FILE)"),
                ))
            }
            Err(e) => return Err(err(Pos::START, format!("cannot read it: {e}"), None)),
        };
        Self::parse(&text, display)
    }

    /// Parses the text of a config file.
    pub fn parse(text: &str, display: &str) -> Result<Config, ConfigError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let at = |offset: usize| crate::diagnostic::offset_to_pos(text, offset);
        let err = |pos: Pos, message: String, help: Option<String>| ConfigError {
            file: display.to_string(),
            pos,
            end: None,
            message,
            help,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().replace('\n', " ");
            let Some(span) = e.span() else {
                return err(Pos::START, message, None);
            };
            match hints::explain(text, &message, span.clone()) {
                Some(h) => {
                    let span = h.span.unwrap_or(span);
                    ConfigError {
                        end: Some(at(span.end)),
                        ..err(at(span.start), h.message, h.help)
                    }
                }
                None => ConfigError {
                    end: Some(at(span.end)),
                    ..err(at(span.start), message, None)
                },
            }
        })?;

        let timezone_name = raw
            .timezone
            .as_ref()
            .map_or_else(|| "UTC".to_string(), |t| t.get_ref().clone());
        let timezone = TimeZone::get(&timezone_name).map_err(|_| {
            let pos = raw
                .timezone
                .as_ref()
                .map_or(Pos::START, |t| at(t.span().start));
            let names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
            let help = match crate::validate::schema::closest(&timezone_name, &names) {
                Some(near) => format!("did you mean \"{near}\"?"),
                None => {
                    "use an IANA name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\""
                        .into()
                }
            };
            ConfigError {
                end: raw.timezone.as_ref().map(|t| at(t.span().end)),
                ..err(
                    pos,
                    format!("unknown time zone `{timezone_name}`"),
                    Some(help),
                )
            }
        })?;

        if raw.accounts.is_empty() {
            return Err(err(
                Pos::START,
                "no account configured".into(),
                Some(format!("add one: [accounts.brand] with `platform =` (one of {}; default {}) and the keys of that platform (README, \"Accounts\")", Platform::names(), Platform::default().name())),
            ));
        }
        let accounts = accounts::read(raw.accounts, text, display)?;
        let default_account = match raw.default_account {
            Some(d) => {
                if !accounts.contains_key(d.get_ref()) {
                    return Err(err(
                        at(d.span().start),
                        format!(
                            "default_account `{}` is not one of the accounts",
                            d.get_ref()
                        ),
                        Some(format!("known accounts: {}", names(&accounts))),
                    ));
                }
                Some(d.into_inner())
            }
            None if accounts.len() == 1 => accounts.keys().next().cloned(),
            None => None,
        };
        let (content, content_at) = match raw.content {
            Some(c) => {
                let start = at(c.span().start);
                let folders = c.into_inner();
                if folders.is_empty() {
                    return Err(err(start, "content names no folder".into(), None));
                }
                for f in &folders {
                    let f_at = at(f.span().start);
                    let f = f.get_ref();
                    if Path::new(f).is_absolute() || f.split('/').any(|part| part == "..") {
                        return Err(err(
                            f_at,
                            format!("content folder `{f}` must be a path inside the repo"),
                            None,
                        ));
                    }
                }
                let spans = folders
                    .iter()
                    .map(|f| (at(f.span().start), at(f.span().end)))
                    .collect();
                (
                    folders.into_iter().map(Spanned::into_inner).collect(),
                    spans,
                )
            }
            None => (vec!["posts".to_string()], Vec::new()),
        };
        let store = crate::hosting::spec::StoreSpec::from_media(&raw.media).map_err(|e| {
            let pos = find_key(text, e.key, "[media]").unwrap_or(Pos::START);
            err(pos, e.message, e.help)
        })?;
        let config = Config {
            file: display.to_string(),
            content,
            content_at,
            timezone,
            timezone_name,
            default_account,
            accounts,
            api: raw.api,
            base_url_at: raw
                .media
                .base_url
                .as_ref()
                .and_then(|_| find_key(text, "base_url", "[media]")),
            media: raw.media,
            store,
            state: raw.state,
            schedule: raw.schedule,
        };
        accounts::check(&config, text)?;
        Ok(config)
    }

    /// The names of all accounts, quoted, for messages.
    pub fn account_names(&self) -> String {
        names(&self.accounts)
    }
}

fn names<V>(map: &BTreeMap<String, V>) -> String {
    map.keys()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where the config file is: `--config` or `REPO/postwright.toml`.
pub fn path(repo: &Path, config: Option<&Path>) -> PathBuf {
    config.map_or_else(|| repo.join(FILE_NAME), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
content = ["posts", "stories"]
timezone = "Europe/Berlin"

[accounts.brand]
user_id = "17841405822304914"
login = "instagram"
token_env = "BRAND_TOKEN"
"#;

    #[test]
    fn loads_a_good_config() {
        let c = Config::parse(GOOD, "postwright.toml").unwrap();
        assert_eq!(c.content, ["posts", "stories"]);
        assert_eq!(c.timezone_name, "Europe/Berlin");
        assert_eq!(c.default_account.as_deref(), Some("brand"));
        let ig = crate::platform::instagram::Settings::of(&c.accounts["brand"]);
        assert_eq!(ig.login, crate::platform::instagram::Login::Instagram);
        assert_eq!(c.api.version, "v24.0");
        assert_eq!(c.state.backend, Backend::File);
    }

    #[test]
    fn unknown_key_points_at_it() {
        let text = GOOD.replace("timezone =", "timezon =");
        let e = Config::parse(&text, "postwright.toml").unwrap_err();
        assert_eq!(e.pos.line, 3);
        assert!(e.message.contains("timezon"), "{}", e.message);
    }

    #[test]
    fn bad_timezone_points_at_value() {
        let text = GOOD.replace("Europe/Berlin", "Europe/Berlim");
        let e = Config::parse(&text, "postwright.toml").unwrap_err();
        assert_eq!(e.pos, Pos::new(3, 12));
        assert!(e.message.contains("Europe/Berlim"));
    }

    #[test]
    fn resumable_uploads_with_instagram_login_are_refused_at_the_setting() {
        let text =
            format!("{GOOD}\n[media]\nbase_url = \"https://x/\"\nvideo_upload = \"resumable\"\n");
        let e = Config::parse(&text, "postwright.toml").unwrap_err();
        assert_eq!(e.pos, Pos::new(12, 1), "{e}");
        assert!(e.message.contains("`brand` uses Instagram Login"), "{e}");
        assert!(e.help.unwrap().contains("login = \"facebook\""));
        // Facebook Login takes them.
        let text = text.replace("login = \"instagram\"", "login = \"facebook\"");
        let c = Config::parse(&text, "postwright.toml").unwrap();
        assert_eq!(c.media.video_upload, VideoUpload::Resumable);
    }

    #[test]
    fn missing_account() {
        let e = Config::parse("timezone = \"UTC\"\n", "postwright.toml").unwrap_err();
        assert!(e.message.contains("no account"), "{}", e.message);
    }

    #[test]
    fn two_accounts_need_a_default_or_explicit_choice() {
        let text = format!("{GOOD}\n[accounts.other]\nuser_id = \"1\"\n");
        let c = Config::parse(&text, "postwright.toml").unwrap();
        assert_eq!(c.default_account, None);
        let text =
            format!("default_account = \"nope\"\n{GOOD}\n[accounts.other]\nuser_id = \"1\"\n");
        let e = Config::parse(&text, "postwright.toml").unwrap_err();
        assert_eq!(e.pos.line, 1);
    }

    #[test]
    fn non_numeric_user_id() {
        let text = GOOD.replace("17841405822304914", "@brand");
        let e = Config::parse(&text, "postwright.toml").unwrap_err();
        assert_eq!(e.pos.line, 6);
    }

    #[test]
    fn media_store_errors_point_at_their_key() {
        let base = "[accounts.brand]\nuser_id = \"1\"\n[media]\n";
        for (extra, line, says) in [
            ("store = \"ftp://b\"\n", 4, "unknown store scheme"),
            (
                "store = \"s3://b\"\n  public_url = \"https://cdn/\"\n",
                5,
                "{key}",
            ),
            ("store = \"s3://b\"\nurl_ttl_secs = 0\n", 5, "7 days"),
            (
                "store = \"s3://b\"\nsecret_access_key = \"x\"\n",
                5,
                "never holds credentials",
            ),
        ] {
            let e = Config::parse(&format!("{base}{extra}"), "postwright.toml").unwrap_err();
            assert_eq!(e.pos.line, line, "{extra}: {e}");
            assert!(e.message.contains(says), "{extra}: {e}");
        }
        let c = Config::parse(&format!("{base}store = \"s3://b/p\"\n"), "t").unwrap();
        assert_eq!(c.store.unwrap().prefix, "p");
    }

    /// The loader and the published schema must agree on what a config is.
    #[test]
    fn loader_and_schema_agree() {
        let validator = jsonschema::validator_for(&crate::validate::compose::CONFIG).unwrap();
        let full = r#"
content = ["posts"]
timezone = "Europe/Berlin"
default_account = "brand"
[accounts.brand]
user_id = "17841405822304914"
login = "facebook"
token_env = "INSTAGRAM_ACCESS_TOKEN"
[api]
version = "v24.0"
base_url = "https://graph.facebook.com"
upload_url = "https://rupload.facebook.com"
poll_interval_ms = 500
max_wait_secs = 120
concurrency = 2
retry_base_ms = 250
adopt_window_hours = 12
max_rate_wait_secs = 60
[media]
store = "s3://kiln-media/feed"
endpoint = "https://acct.r2.cloudflarestorage.com"
region = "auto"
url_ttl_secs = 7200
public_url = "https://media.example.com/{key}"
timeout_secs = 30
video_upload = "resumable"
[state]
backend = "git"
path = ".postwright/state.json"
branch = "postwright-state"
[schedule]
max_overdue_hours = 48
"#;
        let as_json = |text: &str| {
            serde_json::to_value(toml::from_str::<toml::Value>(text).unwrap()).unwrap()
        };
        Config::parse(full, "postwright.toml").unwrap();
        assert!(validator.is_valid(&as_json(full)));
        let example = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/example-content/postwright.toml"
        ))
        .unwrap();
        assert!(validator.is_valid(&as_json(&example)));
        let minimal = "[accounts.brand]\nuser_id = \"1\"\n";
        for bad in [
            format!("{minimal}[api]\nversoin = \"v1\"\n"),
            format!("{minimal}[state]\nbackend = \"s3\"\n"),
            format!("{minimal}[schedule]\nmax_overdue = 1\n"),
            format!("{minimal}[schedule]\nmax_overdue_hours = -1\n"),
            format!("{minimal}[media]\nurl = \"x\"\n"),
            format!("{minimal}[media]\nstore = \"ftp://x\"\n"),
            format!("{minimal}[media]\nstore = \"s3://x\"\nurl_ttl_secs = 0\n"),
            format!("contnet = []\n{minimal}"),
            format!("{minimal}login = \"myspace\"\n"),
        ] {
            assert!(
                Config::parse(&bad, "postwright.toml").is_err(),
                "loader accepts {bad}"
            );
            assert!(!validator.is_valid(&as_json(&bad)), "schema accepts {bad}");
        }
    }
}
