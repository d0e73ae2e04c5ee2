//! Bluesky (the AT Protocol): a post is an `app.bsky.feed.post` record
//! written to the account's repository on its PDS, under a record key
//! postwright chooses (a TID) so that a lost answer is resolved by reading
//! that key instead of writing again.
//!
//! - [`text`]: the text's limits, in graphemes and bytes;
//! - [`card`]: a post as the preview's card shows it;
//! - [`richtext`]: links, hashtags and mentions as facets (UTF-8 offsets);
//! - [`tid`]: record keys;
//! - [`record`]: the post record and its embeds;
//! - [`client`] over [`xrpc`]: the session and the calls, with
//!   [`Client::publish_once`] for exactly-once writes;
//! - [`error`]: errors and their classes, rate-limit headers;
//! - `feed`: the account's posts as live posts (`import`, `plan
//!   --refresh`).
//!
//! The facts this relies on, with links to the lexicons and Bluesky's
//! docs: docs/bluesky.md.

mod auth;
pub mod card;
pub mod client;
pub mod error;
mod feed;
mod mentions;
mod options;
mod prepare;
mod publisher;
mod punct;
pub mod record;
pub mod richtext;

mod settings;
mod spec;
pub mod text;
pub mod tid;
mod validate;
pub mod xrpc;

pub use crate::platform::Secret;
pub use client::{Account, Client, Options, Published, Stored};
pub use error::{BlueskyError, RateLimit, XrpcError};
pub use options::{Link, Options as PostOptions};
pub use publisher::Bluesky;
pub use settings::Settings;
pub use spec::Spec;
pub use tid::Tid;

/// Bluesky's hosted PDS (the default `pds`).
pub const DEFAULT_PDS: &str = "https://bsky.social";

/// A record's address: `at://<repo>/<collection>/<rkey>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtUri {
    /// A DID (or a handle).
    pub repo: String,
    pub collection: String,
    pub rkey: String,
}

/// Why a string is not a record's at-uri.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a record's address (at://<did>/<collection>/<record key>)")]
pub struct NotAtUri(pub String);

impl AtUri {
    pub fn parse(uri: &str) -> Result<AtUri, NotAtUri> {
        let bad = || NotAtUri(uri.to_string());
        let rest = uri.strip_prefix("at://").ok_or_else(bad)?;
        // A fragment or query is not part of a record's address.
        let rest = rest.split(['#', '?']).next().unwrap_or("");
        let mut parts = rest.split('/');
        let (Some(repo), Some(collection), Some(rkey), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let fine = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._:~-".contains(c))
        };
        if !(fine(repo) && fine(collection) && fine(rkey) && collection.contains('.')) {
            return Err(bad());
        }
        Ok(AtUri {
            repo: repo.to_string(),
            collection: collection.to_string(),
            rkey: rkey.to_string(),
        })
    }
}

impl std::fmt::Display for AtUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at://{}/{}/{}", self.repo, self.collection, self.rkey)
    }
}

/// The post's page in Bluesky's web app. The app takes a handle or a DID;
/// a DID keeps working after the handle changes.
pub fn permalink(actor: &str, rkey: &str) -> String {
    format!("https://bsky.app/profile/{actor}/post/{rkey}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_uris_are_read_and_written() {
        let uri = "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k4duaz5vfs2b";
        let at = AtUri::parse(uri).unwrap();
        assert_eq!(at.repo, "did:plc:ewvi7nxzyoun6zhxrhs64oiz");
        assert_eq!(at.collection, "app.bsky.feed.post");
        assert_eq!(at.rkey, "3k4duaz5vfs2b");
        assert_eq!(at.to_string(), uri);
        assert_eq!(AtUri::parse(&format!("{uri}#frag")).unwrap(), at);
        for bad in [
            "https://bsky.app/profile/x/post/y",
            "at://did:plc:x/app.bsky.feed.post",
            "at://did:plc:x/app.bsky.feed.post/3k/extra",
            "at://did:plc:x//3k",
            "at://did:plc:x/post/3k",
            "at://did plc/app.bsky.feed.post/3k",
        ] {
            assert_eq!(AtUri::parse(bad), Err(NotAtUri(bad.to_string())), "{bad}");
        }
    }

    #[test]
    fn permalinks_name_profile_and_key() {
        assert_eq!(
            permalink("alice.bsky.social", "3k4duaz5vfs2b"),
            "https://bsky.app/profile/alice.bsky.social/post/3k4duaz5vfs2b"
        );
    }
}
