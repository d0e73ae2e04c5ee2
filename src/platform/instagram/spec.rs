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

    fn card(&self, post: &crate::validate::ValidPost) -> Option<crate::platform::Card> {
        Some(card(post))
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

/// The post's Instagram version beside its other platforms' (the grid
/// and its own card show it in full): the caption against its 2,200
/// characters, hashtags and mentions marked as [`super::rules`] counts
/// them, the first comment as a note.
fn card(post: &crate::validate::ValidPost) -> crate::platform::Card {
    use crate::platform::card::{media, Count, Mark, MarkKind};
    let text = post.post.fields.caption.clone().unwrap_or_default();
    let count = Count {
        used: text.chars().count(),
        limit: super::rules::MAX_CAPTION_CHARS,
        unit: "characters",
    };
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    let mut marks = Vec::new();
    let mut prev: Option<char> = None;
    for (start, c) in text.char_indices() {
        let sign = match c {
            '#' => MarkKind::Tag,
            '@' => MarkKind::Mention,
            _ => {
                prev = Some(c);
                continue;
            }
        };
        let after = &text[start + 1..];
        let len: usize = after
            .chars()
            .take_while(|&n| word(n))
            .map(char::len_utf8)
            .sum();
        // `me@example.com` and a `#` alone are no tag (rules::count_tags).
        let glued = prev.is_some_and(|p| p.is_alphanumeric() || p == '_' || p == c);
        let named = after
            .chars()
            .next()
            .is_some_and(|n| n.is_alphanumeric() || n == '_');
        if named && !glued {
            let end = start + 1 + after[..len].trim_end_matches('.').len();
            marks.push(Mark {
                start,
                end,
                kind: sign,
            });
        }
        prev = Some(c);
    }
    let notes = post
        .post
        .fields
        .first_comment
        .iter()
        .map(|c| format!("first comment: {c}"))
        .collect();
    crate::platform::Card {
        over: count.over(),
        text,
        count,
        marks,
        media: media(post),
        notes,
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
