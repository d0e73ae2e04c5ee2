//! Mastodon (and servers that speak its API): a post is a status created
//! with `POST /api/v1/statuses` on the account's own server, with an
//! `Idempotency-Key` so that a repeat within the hour returns the same
//! status instead of a second one.
//!
//! In the platform registry: [`Settings`] (postwright.toml), the post's
//! `mastodon:` options, validate's rules, `auth inspect` and the
//! [`Mastodon`] publisher.
//!
//! - [`text`]: counting characters as the server does (URLs, mentions);
//! - [`instance`]: the server's limits from `GET /api/v2/instance`, and
//!   `live`: a post checked against them (plan online, apply);
//! - [`poll`]: a post's poll and focal points, as Mastodon checks them;
//! - [`client`] over [`api`]: the calls, with [`Client::post_once`];
//! - [`status`]: what is sent and read (statuses, scheduled statuses,
//!   uploads);
//! - [`error`]: errors and their classes, rate-limit headers;
//! - `feed`: the account's statuses as live posts (`import`, `plan
//!   --refresh`);
//! - `once`: the `Idempotency-Key` a run journals, sent again within
//!   its hour, and the read-back after it (`clock`: the server's time).
//!
//! The facts this relies on, with links to Mastodon's docs:
//! docs/mastodon.md.

pub mod api;
mod auth;
pub mod card;
pub mod client;
mod clock;
pub mod error;
mod feed;
pub mod instance;
mod live;
mod once;
mod options;
pub mod poll;
mod publisher;
mod secret;
mod settings;
mod spec;
pub mod status;
pub mod text;
mod validate;

pub use client::Client;
pub use error::{ApiError, MastodonError, RateLimit};
pub use instance::InstanceLimits;
pub use options::{Options as PostOptions, Visibility};
pub use publisher::Mastodon;
pub use secret::Token;
pub use settings::Settings;
pub use spec::Spec;
