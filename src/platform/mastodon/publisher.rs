//! Mastodon's publisher for apply: not built yet. The platform is
//! registered (settings, validate, `auth inspect`), and apply says that it
//! cannot publish to it instead of failing later.

use super::MastodonError;
use crate::platform::{
    Capabilities, ContainerStatus, Feed, LiveMedia, Prepare, PrepareError, Prepared, Publisher,
};

/// No value of this type exists: [`super::Spec`]'s publisher is an
/// error until the publisher is built.
#[derive(Debug, Clone)]
pub enum Mastodon {}

/// Why apply cannot publish to a Mastodon account yet.
pub(super) const NOT_YET: &str =
    "postwright cannot publish to Mastodon yet: validate and auth inspect check Mastodon accounts, apply does not post to them";

impl Publisher for Mastodon {
    type Error = MastodonError;

    fn account(&self) -> &str {
        match *self {}
    }

    fn capabilities(&self) -> Capabilities {
        match *self {}
    }

    async fn check_token(&self) -> Result<(), MastodonError> {
        match *self {}
    }

    async fn prepare(&self, _: Prepare) -> Result<Prepared, PrepareError<MastodonError>> {
        match *self {}
    }

    async fn status(&self, _: &str) -> Result<ContainerStatus, MastodonError> {
        match *self {}
    }

    async fn publish(&self, _: &str) -> Result<String, MastodonError> {
        match *self {}
    }

    async fn find_live(&self, _: Feed, _: usize) -> Result<Vec<LiveMedia>, MastodonError> {
        match *self {}
    }

    async fn read(&self, _: &str) -> Result<LiveMedia, MastodonError> {
        match *self {}
    }
}
