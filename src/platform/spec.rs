//! What the rest of postwright may know of a platform: the [`Platform`]
//! handle (a registry index, cheap to copy and compare, serialised as its
//! name) and the [`PlatformSpec`] each platform's folder exports.
//!
//! Config, validate, plan, apply, auth, status, the preview and the
//! reports ask a `Platform` (its spec and its [`Capabilities`]) instead of
//! naming one: a new platform is its folder plus one line in the registry
//! (`src/platform/mod.rs`).

use super::Capabilities;
use crate::auth::{CheckError, Inspection, Needs, RenewError, Renewed};
use crate::config::{Account, Config};
use crate::diagnostic::Problem;
use jiff::Timestamp;
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed future: the spec is used as `dyn`, whose methods cannot be
/// `async fn`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One platform, as the registry lists it. Ordered as the registry lists
/// them (the order plans and reports show platforms in); the first is the
/// default of an account without `platform =` ([`Default`]).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform(u8);

impl Platform {
    /// Every platform, in registry order.
    pub fn all() -> impl Iterator<Item = Platform> {
        (0..super::REGISTRY.len()).map(|i| Platform(i as u8))
    }

    /// The platform called `name` in config files and post files.
    pub fn named(name: &str) -> Option<Platform> {
        Platform::all().find(|p| p.name() == name)
    }

    /// What the platform's folder says of it.
    pub fn spec(self) -> &'static dyn PlatformSpec {
        super::REGISTRY[usize::from(self.0)]
    }

    /// Its name in files (`instagram`): `platform =`, override keys, JSON.
    pub fn name(self) -> &'static str {
        self.spec().name()
    }

    /// Its name for people (`Instagram`).
    pub fn title(self) -> &'static str {
        self.spec().title()
    }

    /// The names of every platform, quoted, for messages.
    pub fn names() -> String {
        Platform::all()
            .map(|p| format!("`{}`", p.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

impl serde::Serialize for Platform {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Platform {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        // serde's own wording ("unknown variant `x`, expected …"), which
        // the config's hints turn into a suggestion.
        Platform::named(&name)
            .ok_or_else(|| serde::de::Error::unknown_variant(&name, &super::NAMES))
    }
}

/// What a platform's folder tells the rest of postwright. One static value
/// per platform (a unit struct), listed in the registry.
///
/// Methods that call the platform return boxed futures, so the spec can be
/// a `dyn` value; building the platform's [`super::Publisher`] is typed
/// and lives in [`Publishes`].
pub trait PlatformSpec: Sync {
    /// Its name in files: `platform = "…"`, the post's override key, JSON.
    fn name(&self) -> &'static str;
    /// Its name for people.
    fn title(&self) -> &'static str;
    /// The environment variable holding an account's credential when the
    /// account does not name one.
    fn default_secret_env(&self) -> &'static str;
    /// Reads the account's own keys: its `[accounts.NAME]` table without
    /// `platform` (unknown keys are errors, as everywhere in the config).
    fn account(
        &self,
        name: &str,
        table: toml::Table,
    ) -> Result<Arc<dyn AccountSettings>, AccountError>;
    /// The JSON Schema of an account table on this platform (a fragment:
    /// its `properties` and `required`; `platform` is added), for the
    /// published config schema.
    fn account_schema(&self) -> &'static str;
    /// What only this platform's accounts make wrong across the config
    /// (Instagram Login with `video_upload = "resumable"`).
    fn check_config(&self, config: &Config) -> Option<ConfigIssue> {
        let _ = config;
        None
    }
    /// Warnings about an account (not errors: the config loads), e.g. an
    /// id that is still `postwright init`'s placeholder.
    fn account_problems(&self, name: &str, account: &Account, config: &Config) -> Vec<Problem> {
        let _ = (name, account, config);
        Vec::new()
    }
    /// Whether the platform fetches media from public URLs (Meta's do), so
    /// repo media need a host (`[media] base_url`, `store`,
    /// `upload_command`); the default: it takes the bytes (Bluesky,
    /// Mastodon). A method rather than a field of [`Capabilities`], so
    /// platforms that list their capabilities in full need not change.
    fn fetches_media(&self) -> bool {
        false
    }
    /// Every rule of the platform for `post` (its version of it: the
    /// platform's map's caption and media already in place): the type it
    /// has there, its media resolved, and what is wrong. Problems are
    /// marked with the platform by validate when the post goes to several.
    fn check_post(
        &self,
        post: crate::content::Post,
        check: &mut crate::validate::PostCheck<'_>,
    ) -> (crate::validate::Version, Vec<Problem>);
    /// Top-level post fields only this platform sends (Instagram's
    /// `location_id`, `collaborators`…): other platforms' versions of a
    /// post leave them out, and a post none of whose platforms sends one
    /// is warned about (`not-sent`).
    fn own_fields(&self) -> &'static [&'static str] {
        &[]
    }
    /// The schema of the options only this platform has in its map
    /// (`threads: {reply_control…}`): a JSON object of properties, beside
    /// `caption` and `media`.
    fn post_options_schema(&self) -> &'static str {
        "{}"
    }
    /// What it can do for `account`; `None`: for its most capable kind of
    /// account (what the platform can do at all).
    fn capabilities(&self, account: Option<&Account>) -> Capabilities;
    /// Its own part of a target's content hash (options only it takes,
    /// e.g. Threads' `reply_control`), under its name; `None`: nothing
    /// beyond the common fields. Absent parts leave the hashes of posts
    /// published before them unchanged.
    fn hash_part(&self, post: &crate::validate::ValidPost) -> Option<serde_json::Value> {
        let _ = post;
        None
    }
    /// The post's version here as the preview's card shows it (its text,
    /// its length in this platform's unit, the live parts, the media with
    /// their alt text); `None`: no card. Asked for the platforms off the
    /// grid (a card per post), and for every target of a post that goes
    /// to several (their versions side by side).
    fn card(&self, post: &crate::validate::ValidPost) -> Option<super::Card> {
        let _ = post;
        None
    }
    /// [`PlatformSpec::card`] counted against `account`'s own limits
    /// where the platform lets the file set them; `None`: its defaults.
    fn account_card(
        &self,
        post: &crate::validate::ValidPost,
        account: Option<&Account>,
    ) -> Option<super::Card> {
        let _ = account;
        self.card(post)
    }
    /// How the account signs in, for people (`Facebook Login`, `Threads`).
    fn access(&self, account: &Account) -> String {
        let _ = account;
        self.title().to_string()
    }
    /// Whom the credential acts for, whether it can do what `needs` asks,
    /// and when it lapses. Credential faults are findings in the
    /// inspection; only failing to reach the platform is an `Err`.
    fn inspect<'a>(
        &'a self,
        config: &'a Config,
        name: &'a str,
        account: &'a Account,
        now: Timestamp,
        needs: Needs,
    ) -> BoxFuture<'a, Result<Inspection, CheckError>>;
    /// What only the platform can tell of an account's due posts when
    /// plan may use the network (not `--offline`, the credential set):
    /// warnings, said with the credential's findings (Bluesky: a mention
    /// that does not resolve). Apply finds the same when it publishes. The
    /// default asks nothing.
    fn check_posts<'a>(
        &'a self,
        config: &'a Config,
        name: &'a str,
        account: &'a Account,
        posts: Vec<&'a crate::validate::ValidPost>,
    ) -> BoxFuture<'a, Vec<String>> {
        let _ = (config, name, account, posts);
        Box::pin(async { Vec::new() })
    }
    /// A renewed credential (`auth refresh`).
    fn refresh<'a>(
        &'a self,
        config: &'a Config,
        name: &'a str,
        account: &'a Account,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Renewed, RenewError>> {
        let _ = (config, name, account, now);
        let title = self.title();
        Box::pin(async move {
            Err(RenewError::Unsupported(format!(
                "postwright renews no {title} credential: {title}'s does not expire"
            )))
        })
    }
    /// A long-lived credential for a short-lived one (`auth exchange`).
    fn exchange<'a>(
        &'a self,
        config: &'a Config,
        name: &'a str,
        account: &'a Account,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Renewed, RenewError>> {
        let _ = (config, name, account, now);
        let title = self.title();
        Box::pin(async move {
            Err(RenewError::Unsupported(format!(
                "postwright exchanges no {title} credential"
            )))
        })
    }
}

/// What a platform's folder parsed from an account's table: downcast by
/// the platform's own code with [`Account::settings`].
pub trait AccountSettings: Any + fmt::Debug + Send + Sync {
    /// The environment variable the account names for its credential;
    /// `None`: the platform's [`PlatformSpec::default_secret_env`].
    fn secret_env(&self) -> Option<&str>;
}

/// An account table a platform cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountError {
    /// serde's message (`unknown field `x`, expected …`): the config says
    /// where and words it, as for every other table.
    Serde(String),
    /// A value serde accepts but the platform does not, at `key`.
    Key {
        key: String,
        message: String,
        help: Option<String>,
    },
}

impl AccountError {
    /// An account table read into `T` (with `deny_unknown_fields`).
    pub fn parse<T: serde::de::DeserializeOwned>(table: toml::Table) -> Result<T, AccountError> {
        T::deserialize(toml::Value::Table(table))
            .map_err(|e| AccountError::Serde(e.message().trim().replace('\n', " ")))
    }
}

/// A setting that contradicts a platform's accounts: where (`table`,
/// `key`), what, and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// The table header, as written: `[media]`.
    pub table: String,
    pub key: String,
    pub message: String,
    pub help: String,
}

/// How apply gets a platform's publisher: typed, so apply's generic
/// `AccountRun<P>` runs with it (see [`super::with_publisher`]).
pub trait Publishes: PlatformSpec {
    type Publisher: super::Publisher;
    /// The publisher for account `name`; `Err`: why it cannot be made (a
    /// missing credential), for people, naming the variable to set.
    fn publisher(
        &self,
        config: &Config,
        name: &str,
        account: &Account,
    ) -> Result<Self::Publisher, String>;
}

/// Work done with an account's publisher, whatever its type: the registry
/// builds the platform's publisher and hands it to [`AccountWork::run`].
pub trait AccountWork {
    type Output;
    fn run<P: super::Publisher>(self, publisher: P) -> impl Future<Output = Self::Output>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_is_its_name_in_files_and_unknown_names_are_refused() {
        for p in Platform::all() {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.name()));
            assert_eq!(serde_json::from_str::<Platform>(&json).unwrap(), p);
            assert_eq!(Platform::named(p.name()), Some(p));
        }
        let e = serde_json::from_str::<Platform>("\"myspace\"").unwrap_err();
        assert!(e.to_string().contains("unknown variant `myspace`"), "{e}");
        assert!(e.to_string().contains(Platform::default().name()), "{e}");
        // Registry order is the order of the handles.
        let all: Vec<Platform> = Platform::all().collect();
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(all, sorted);
        assert_eq!(all.first(), Some(&Platform::default()));
    }

    #[test]
    fn names_are_unique_and_every_platform_says_what_it_can_do() {
        let names: std::collections::BTreeSet<&str> = Platform::all().map(Platform::name).collect();
        assert_eq!(names.len(), Platform::all().count());
        // The preview's grid is the default platform's; at least one
        // platform is off it (a post to both must not show twice).
        assert!(Platform::default().spec().capabilities(None).grid);
        assert!(Platform::all().any(|p| !p.spec().capabilities(None).grid));
        for p in Platform::all() {
            // A scheduler that holds nothing, or needs no lead, would make
            // every hand-over fail or publish at once.
            if let Some(n) = p.spec().capabilities(None).native_scheduling {
                assert!(n.max_pending > 0 && n.max_per_day > 0, "{p}");
                assert!(n.min_lead.is_positive(), "{p}");
            }
            assert!(!p.spec().default_secret_env().is_empty(), "{p}");
        }
    }
}
