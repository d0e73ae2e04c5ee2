//! Mastodon as the registry knows it: names, account keys, the post rules,
//! capabilities, the token check, and its publisher.

use super::publisher::Mastodon;
use super::{auth, settings, Settings};
use crate::auth::{CheckError, Inspection, Needs};
use crate::config::{Account, Config};
use crate::diagnostic::Problem;
use crate::platform::{
    AccountError, AccountSettings, BoxFuture, Capabilities, PlatformSpec, Publishes,
};
use jiff::Timestamp;
use std::sync::Arc;

/// Mastodon (and servers that speak its API), on the account's server.
pub struct Spec;

impl PlatformSpec for Spec {
    fn name(&self) -> &'static str {
        "mastodon"
    }

    fn title(&self) -> &'static str {
        "Mastodon"
    }

    fn default_secret_env(&self) -> &'static str {
        "MASTODON_ACCESS_TOKEN"
    }

    fn account(
        &self,
        name: &str,
        table: toml::Table,
    ) -> Result<Arc<dyn AccountSettings>, AccountError> {
        Ok(Arc::new(Settings::read(name, table)?))
    }

    fn account_schema(&self) -> &'static str {
        settings::ACCOUNT_SCHEMA
    }

    fn check_post(
        &self,
        post: crate::content::Post,
        check: &mut crate::validate::PostCheck<'_>,
    ) -> (crate::validate::Version, Vec<Problem>) {
        // A post to several Mastodon accounts fits the smallest limits.
        let mut limits = super::InstanceLimits::default();
        let mut first = true;
        for s in check
            .accounts
            .iter()
            .filter_map(|a| a.settings::<Settings>())
        {
            let l = s.limits();
            if first {
                limits = l;
                first = false;
                continue;
            }
            limits.max_characters = limits.max_characters.min(l.max_characters);
            limits.max_media_attachments =
                limits.max_media_attachments.min(l.max_media_attachments);
            limits.characters_reserved_per_url = limits
                .characters_reserved_per_url
                .max(l.characters_reserved_per_url);
        }
        let checked = super::validate::check(&post, check.preflight, &limits);
        let version = crate::validate::Version {
            post,
            kind: checked.kind,
            media: checked.media,
            cover: None,
        };
        (version, checked.problems)
    }

    fn post_options_schema(&self) -> &'static str {
        super::options::POST_OPTIONS_SCHEMA
    }

    fn capabilities(&self, _: Option<&Account>) -> Capabilities {
        capabilities()
    }

    fn hash_part(&self, post: &crate::validate::ValidPost) -> Option<serde_json::Value> {
        super::PostOptions::of(&post.post).hash_part()
    }

    fn card(&self, post: &crate::validate::ValidPost) -> Option<crate::platform::Card> {
        super::card::card(post)
    }

    /// The account's `max_characters` and URL weight when the file sets
    /// them (validate checks against the same).
    fn account_card(
        &self,
        post: &crate::validate::ValidPost,
        account: Option<&Account>,
    ) -> Option<crate::platform::Card> {
        let mut card = super::card::card(post)?;
        let Some(limits) = account
            .and_then(|a| a.settings::<Settings>())
            .map(Settings::limits)
        else {
            return Some(card);
        };
        let spoiler = super::PostOptions::of(&post.post).spoiler_text;
        card.count.used =
            super::text::length(&card.text, &spoiler, limits.characters_reserved_per_url).counted;
        card.count.limit = limits.max_characters;
        card.over = card.count.over();
        Some(card)
    }

    fn access(&self, _: &Account) -> String {
        "access token".into()
    }

    fn inspect<'a>(
        &'a self,
        config: &'a Config,
        name: &'a str,
        account: &'a Account,
        now: Timestamp,
        needs: Needs,
    ) -> BoxFuture<'a, Result<Inspection, CheckError>> {
        let _ = (config, now, needs);
        Box::pin(async move { auth::inspect(name, account).await.map_err(CheckError::new) })
    }

    /// The live instance's limits against the file's and the due posts.
    fn check_posts<'a>(
        &'a self,
        config: &'a Config,
        name: &'a str,
        account: &'a Account,
        posts: Vec<&'a crate::validate::ValidPost>,
    ) -> BoxFuture<'a, Vec<String>> {
        let _ = config;
        Box::pin(async move { super::live::check(name, account, &posts).await })
    }
}

impl Publishes for Spec {
    type Publisher = Mastodon;

    fn publisher(
        &self,
        config: &Config,
        name: &str,
        account: &Account,
    ) -> Result<Mastodon, String> {
        Mastodon::for_account(config, name, account).map_err(|e| e.explain())
    }
}

/// Deletes, no comments (Mastodon has replies; postwright makes none), no
/// stories, not on Instagram's grid, no publishing quota, nothing to
/// refresh (a token does not expire); scheduled statuses (docs/mastodon.md,
/// "Scheduling": at least 5 minutes ahead, 300 pending, 25 a UTC day).
pub(super) fn capabilities() -> Capabilities {
    Capabilities {
        no_delete: None,
        resumable_upload: false,
        comments: Some("Mastodon has replies, not comments: postwright makes none".into()),
        stories: false,
        grid: false,
        quota: false,
        token_refresh: false,
        native_scheduling: Some(crate::platform::NativeScheduling {
            min_lead: jiff::SignedDuration::from_secs(5 * 60),
            max_pending: 300,
            max_per_day: 25,
        }),
    }
}
