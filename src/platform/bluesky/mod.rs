//! Bluesky (the AT Protocol): a post is an `app.bsky.feed.post` record
//! written to the account's repository on its PDS. Facts and links:
//! docs/bluesky.md.

mod punct;
pub mod record;
pub mod richtext;
pub mod text;
pub mod tid;
