//! Offering a post's media to a platform that fetches it from a public
//! URL: a URL written in the post as it is, a file of the repository
//! through `[media] store` (uploaded, then a presigned or public URL),
//! `upload_command` or `base_url`, checked for reachability first so a
//! post whose media cannot be fetched fails before it touches the
//! platform. Shared by Instagram (for its URL offers) and Threads (which
//! only takes URLs, docs/threads.md).

use crate::hosting;
use crate::platform::{Prepare, PrepareError};
use crate::validate::preflight::{Resolved, Source};

/// Why a media item cannot be offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferError {
    /// No URL, or one that does not answer: the post fails.
    Media(String),
    /// The store could not take or serve the file: the post waits for a
    /// later run.
    Store(String),
}

impl OfferError {
    pub fn into_prepare<E>(self) -> PrepareError<E> {
        match self {
            OfferError::Media(m) => PrepareError::Media(m),
            OfferError::Store(m) => PrepareError::Store(m),
        }
    }
}

/// The public URL of `media`, or why there is none (for the post's error).
/// With `[media] store` this is where a repo file is uploaded, right
/// before its container is made.
pub async fn public_url(
    job: &Prepare,
    media: &Resolved,
    http: &reqwest::Client,
) -> Result<String, OfferError> {
    match &media.source {
        Source::Url(u) => Ok(u.clone()),
        Source::File { path, info } => {
            if let Some(store) = &job.store {
                return store
                    .offer(path, info.bytes)
                    .await
                    .map_err(|e| OfferError::Store(e.to_string()));
            }
            let url = match &job.upload_command {
                Some(cmd) => hosting::run_upload_command(&job.repo, cmd, path).await,
                None => job.hosting.media_url(path, info.lfs.is_some()),
            }
            .map_err(|e| OfferError::Media(format!("{path}: {e}")))?;
            hosting::check_reachable(http, &url, info.bytes)
                .await
                .map_err(|e| OfferError::Media(format!("{path}: {e}")))?;
            Ok(url)
        }
    }
}
