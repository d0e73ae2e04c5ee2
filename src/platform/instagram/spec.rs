//! Instagram as the registry knows it: names, capabilities per login,
//! token checks, and its publisher.

use super::{auth, settings, ApiError, Client, Instagram, Login, Settings};
use crate::auth::{CheckError, Inspection, Needs, RenewError, Renewed};
use crate::config::{Account, Config};
use crate::diagnostic::Problem;
use crate::platform::{
    AccountError, AccountSettings, BoxFuture, Capabilities, ConfigIssue, PlatformSpec, Publishes,
};
use jiff::Timestamp;
use std::sync::Arc;

/// Instagram (Graph API, Facebook Login or Instagram Login).
pub struct Spec;

/// Post fields only Instagram's API takes.
const OWN_FIELDS: [&str; 13] = [
    "location_id",
    "user_tags",
    "collaborators",
    "comments",
    "cover",
    "thumb_offset",
    "share_to_feed",
    "audio_name",
    "trial",
    "product_tags",
    "paid_partnership",
    "sponsor_ids",
    "ai_generated",
];

/// Why Instagram Login accounts cannot delete.
const NO_DELETE: &str = "deleting posts is not supported with Instagram Login; delete it in the Instagram app, or use Facebook Login";

impl PlatformSpec for Spec {
    fn name(&self) -> &'static str {
        "instagram"
    }

    fn title(&self) -> &'static str {
        "Instagram"
    }

    fn default_secret_env(&self) -> &'static str {
        "INSTAGRAM_ACCESS_TOKEN"
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

    fn check_config(&self, config: &Config) -> Option<ConfigIssue> {
        settings::resumable_without_host(config)
    }

    fn account_problems(&self, name: &str, account: &Account, config: &Config) -> Vec<Problem> {
        settings::placeholder(name, account, config)
    }

    fn fetches_media(&self) -> bool {
        true
    }

    fn check_post(
        &self,
        post: crate::content::Post,
        check: &mut crate::validate::PostCheck<'_>,
    ) -> (crate::validate::Version, Vec<Problem>) {
        super::validate::check(post, &check.accounts, check.preflight)
    }

    fn own_fields(&self) -> &'static [&'static str] {
        &OWN_FIELDS
    }

    fn capabilities(&self, account: Option<&Account>) -> Capabilities {
        capabilities(account.map_or(Login::Facebook, |a| Settings::of(a).login))
    }

    fn access(&self, account: &Account) -> String {
        match Settings::of(account).login {
            Login::Instagram => "Instagram Login",
            Login::Facebook => "Facebook Login",
        }
        .to_string()
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
            let app = crate::platform::meta::app_from_env();
            auth::inspect(config, name, account, app.as_ref(), now, needs)
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
        Box::pin(async move {
            let app = crate::platform::meta::app_from_env();
            auth::refresh(config, name, account, app.as_ref(), now).await
        })
    }

    fn exchange<'a>(
        &'a self,
        config: &'a Config,
        name: &'a str,
        account: &'a Account,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Renewed, RenewError>> {
        Box::pin(async move {
            let app = crate::platform::meta::app_from_env();
            auth::exchange(config, name, account, app.as_ref(), now).await
        })
    }
}

impl Publishes for Spec {
    type Publisher = Instagram;

    fn publisher(
        &self,
        config: &Config,
        name: &str,
        account: &Account,
    ) -> Result<Instagram, String> {
        Client::for_account(config, name, account)
            .map(Instagram::new)
            .map_err(|e: ApiError| e.explain())
    }
}

/// What an account of `login` can do: Facebook Login deletes and uploads
/// bytes; Instagram Login does neither (docs/instagram.md).
pub(super) fn capabilities(login: Login) -> Capabilities {
    let facebook = login == Login::Facebook;
    Capabilities {
        no_delete: (!facebook).then(|| NO_DELETE.into()),
        resumable_upload: facebook,
        comments: None,
        stories: true,
        grid: true,
        quota: true,
        token_refresh: true,
        native_scheduling: None,
    }
}
