//! Mastodon (and servers that speak its API): a post is a status created
//! with `POST /api/v1/statuses` on the account's own server, with an
//! `Idempotency-Key` so that a repeat within the hour returns the same
//! status instead of a second one.
//!
//! This is the client library only; Mastodon is not yet in the platform
//! registry (no settings, spec or publisher).
//!
//! - [`text`]: counting characters as the server does (URLs, mentions);
//! - [`instance`]: the server's limits from `GET /api/v2/instance`;
//! - [`client`] over [`api`]: the calls, with [`Client::post_once`];
//! - [`status`]: what is sent and read (statuses, scheduled statuses,
//!   uploads);
//! - [`error`]: errors and their classes, rate-limit headers.
//!
//! The facts this relies on, with links to Mastodon's docs:
//! docs/mastodon.md.

pub mod api;
pub mod client;
pub mod error;
pub mod instance;
mod secret;
pub mod status;
pub mod text;

pub use client::Client;
pub use error::{ApiError, MastodonError, RateLimit};
pub use instance::InstanceLimits;
pub use secret::Token;
