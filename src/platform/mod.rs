//! The platforms postwright publishes to, and the seam between them and the
//! rest of postwright.
//!
//! A platform is a folder, `src/platform/<name>/`: its wire format,
//! parameters, validation rules, credential checks, error classification
//! and capabilities. It exports a [`PlatformSpec`] (what config, validate,
//! plan, auth, the preview and the reports may ask of it) that also
//! implements [`Publishes`] (how apply gets its [`Publisher`]). The
//! [`registry!`] below names them: adding a platform is `pub mod x;` and one
//! line there. Nothing outside this folder names a platform.

pub mod backoff;
pub mod bluesky;
pub mod card;
pub mod host;
pub mod http;
pub mod instagram;
pub mod mastodon;
pub mod meta;
pub mod offer;
pub mod poll;
mod publisher;
mod secret;
mod spec;
pub mod threads;
pub mod uploaded;

pub use card::Card;
pub use publisher::*;
pub use secret::Secret;
pub use spec::{
    AccountError, AccountSettings, AccountWork, BoxFuture, ConfigIssue, Platform, PlatformSpec,
    Publishes,
};

use crate::config::{Account, Config};

/// Lists the platforms once: the specs (in this order — the first is the
/// default platform of an account), their names, and the one dispatch that
/// builds each platform's typed publisher for apply (generic methods are
/// not object-safe, so that part cannot go through `dyn PlatformSpec`).
macro_rules! registry {
    ($($spec:path),+ $(,)?) => {
        static REGISTRY: &[&'static dyn PlatformSpec] = &[$(&$spec),+];

        /// The platforms' names, for serde's "expected one of".
        static NAMES: std::sync::LazyLock<Vec<&'static str>> =
            std::sync::LazyLock::new(|| REGISTRY.iter().map(|s| s.name()).collect());

        /// Builds `account`'s publisher on `platform` and runs `work` with
        /// it; `Err`: why the publisher cannot be made (for people).
        pub async fn with_publisher<W: AccountWork>(
            platform: Platform,
            config: &Config,
            name: &str,
            account: &Account,
            work: W,
        ) -> Result<W::Output, String> {
            $(
                if platform.name() == PlatformSpec::name(&$spec) {
                    let publisher = Publishes::publisher(&$spec, config, name, account)?;
                    return Ok(work.run(publisher).await);
                }
            )+
            Err(format!("postwright has no publisher for {}", platform.title()))
        }
    };
}

registry! {
    instagram::Spec,
    threads::Spec,
    bluesky::Spec,
    mastodon::Spec,
}
