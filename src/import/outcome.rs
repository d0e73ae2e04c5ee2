//! What an import did: the files it wrote, the files it linked, the live
//! posts it left out and why (`--format json` prints it as it is).

use crate::content::PostType;
use serde::Serialize;

/// A post file written for a live post.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub id: String,
    pub file: String,
    pub media_id: String,
    #[serde(rename = "type")]
    pub kind: PostType,
    /// Media items that could not be downloaded (the file says which).
    pub missing_media: usize,
    /// Why the file does not validate (a missing media file, a rule the
    /// live post predates): `postwright validate FILE` says all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid: Option<String>,
}

/// A live post matched to a file the repo had.
#[derive(Debug, Clone, Serialize)]
pub struct Linked {
    pub id: String,
    pub file: String,
    pub media_id: String,
}

/// A live post not brought in, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub media_id: String,
    pub reason: String,
}

/// What an import did (`--format json` prints it).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    pub account: String,
    pub written: Vec<Written>,
    pub linked: Vec<Linked>,
    pub skipped: Vec<Skipped>,
    /// Live posts the record knew already.
    pub already_recorded: usize,
    pub pages: usize,
    pub media_downloaded: usize,
    /// Why the import stopped before the end of the feed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}
