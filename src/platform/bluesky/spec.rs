//! Bluesky as the registry knows it: names, account keys, the post rules,
//! capabilities, the session check, plan's check of the mentions, and its
//! publisher.

use super::publisher::NO_COMMENTS;
use super::{auth, settings, Bluesky, BlueskyError, Settings};
use crate::auth::{CheckError, Inspection, Needs};
use crate::config::{Account, Config};
use crate::diagnostic::Problem;
use crate::platform::{
    AccountError, AccountSettings, BoxFuture, Capabilities, PlatformSpec, Publishes,
};
use jiff::Timestamp;
use std::sync::Arc;

/// Bluesky (the AT Protocol, on the account's PDS).
pub struct Spec;

impl PlatformSpec for Spec {
    fn name(&self) -> &'static str {
        "bluesky"
    }

    fn title(&self) -> &'static str {
        "Bluesky"
    }

    fn default_secret_env(&self) -> &'static str {
        "BLUESKY_APP_PASSWORD"
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
        // A post to several Bluesky accounts fits the smallest video limit.
        let max_video = check
            .accounts
            .iter()
            .filter_map(|a| a.settings::<Settings>())
            .map(|s| s.max_video_bytes)
            .min()
            .unwrap_or(settings::DEFAULT_MAX_VIDEO_BYTES);
        let checked = super::validate::check(&post, check.preflight, max_video);
        let version = crate::validate::Version {
            post,
            kind: checked.kind,
            media: checked.media,
            // The link card's thumbnail: fetched from Git LFS, hashed and
            // previewed as the picture standing for the post.
            cover: checked.thumb,
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

    fn access(&self, _: &Account) -> String {
        "app password".into()
    }

    fn inspect<'a>(
        &'a self,
        config: &'a Config,
        name: &'a str,
        account: &'a Account,
        now: Timestamp,
        needs: Needs,
    ) -> BoxFuture<'a, Result<Inspection, CheckError>> {
        let _ = (now, needs);
        Box::pin(async move {
            auth::inspect(config, name, account)
                .await
                .map_err(CheckError::new)
        })
    }

    fn check_posts<'a>(
        &'a self,
        config: &'a Config,
        name: &'a str,
        account: &'a Account,
        posts: Vec<&'a crate::validate::ValidPost>,
    ) -> BoxFuture<'a, Vec<String>> {
        Box::pin(async move { super::mentions::check(config, name, account, &posts).await })
    }
}

impl Publishes for Spec {
    type Publisher = Bluesky;

    fn publisher(&self, config: &Config, name: &str, account: &Account) -> Result<Bluesky, String> {
        Bluesky::for_account(config, name, account).map_err(|e: BlueskyError| e.explain())
    }
}

/// Deletes, no comments (Bluesky has replies), no stories, not on
/// Instagram's grid, no publishing quota, nothing to refresh (an app
/// password does not expire).
pub(super) fn capabilities() -> Capabilities {
    Capabilities {
        no_delete: None,
        resumable_upload: false,
        comments: Some(NO_COMMENTS.into()),
        stories: false,
        grid: false,
        quota: false,
        token_refresh: false,
        native_scheduling: None,
    }
}
