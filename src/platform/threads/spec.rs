//! Threads as the registry knows it: names, capabilities, token checks,
//! and its publisher.

use super::{auth, publisher::NO_COMMENTS, settings, Settings, Threads, ThreadsError};
use crate::auth::{CheckError, Inspection, Needs, RenewError, Renewed};
use crate::config::{Account, Config};
use crate::diagnostic::Problem;
use crate::platform::{
    AccountError, AccountSettings, BoxFuture, Capabilities, PlatformSpec, Publishes,
};
use jiff::Timestamp;
use std::sync::Arc;

/// Threads (graph.threads.net).
pub struct Spec;

impl PlatformSpec for Spec {
    fn name(&self) -> &'static str {
        "threads"
    }

    fn title(&self) -> &'static str {
        "Threads"
    }

    fn default_secret_env(&self) -> &'static str {
        "THREADS_ACCESS_TOKEN"
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

    fn fetches_media(&self) -> bool {
        true
    }

    fn check_post(
        &self,
        post: crate::content::Post,
        check: &mut crate::validate::PostCheck<'_>,
    ) -> (crate::validate::Version, Vec<Problem>) {
        let checked = super::validate::check(&post, check.preflight);
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
        let t = super::Options::of(&post.post);
        // The order and names of the hash before the registry: published
        // posts keep their hashes.
        Some(serde_json::json!({
            "reply_control": t.reply_control,
            "topic_tag": t.topic_tag,
            "link_attachment": t.link_attachment,
        }))
    }

    fn card(&self, post: &crate::validate::ValidPost) -> Option<crate::platform::Card> {
        super::card::card(post)
    }

    fn inspect<'a>(
        &'a self,
        config: &'a Config,
        name: &'a str,
        account: &'a Account,
        now: Timestamp,
        needs: Needs,
    ) -> BoxFuture<'a, Result<Inspection, CheckError>> {
        Box::pin(async move {
            auth::inspect(config, name, account, now, needs)
                .await
                .map_err(CheckError::new)
        })
    }

    fn refresh<'a>(
        &'a self,
        config: &'a Config,
        name: &'a str,
        account: &'a Account,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Renewed, RenewError>> {
        Box::pin(auth::refresh(config, name, account, now))
    }

    fn exchange<'a>(
        &'a self,
        _: &'a Config,
        _: &'a str,
        _: &'a Account,
        _: Timestamp,
    ) -> BoxFuture<'a, Result<Renewed, RenewError>> {
        Box::pin(async {
            Err(RenewError::Unsupported(
                "postwright exchanges Instagram tokens only: exchange a short-lived Threads token with th_exchange_token (docs/threads.md, \"Tokens\"), then use auth refresh".into(),
            ))
        })
    }
}

impl Publishes for Spec {
    type Publisher = Threads;

    fn publisher(&self, config: &Config, name: &str, account: &Account) -> Result<Threads, String> {
        Threads::for_account(config, name, account).map_err(|e: ThreadsError| e.explain())
    }
}

/// No uploaded bytes (media come from public URLs), no comments (Threads
/// has replies), no stories, not on Instagram's grid.
pub(super) fn capabilities() -> Capabilities {
    Capabilities {
        no_delete: None,
        resumable_upload: false,
        comments: Some(NO_COMMENTS.into()),
        stories: false,
        grid: false,
        quota: true,
        token_refresh: true,
        native_scheduling: None,
    }
}
