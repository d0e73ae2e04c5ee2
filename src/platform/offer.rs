//! Offering a post's media to a platform that fetches it from a public
//! URL: a URL written in the post as it is, a file of the repository
//! through `[media] upload_command` or `[media] base_url`, checked for
//! reachability first so a post whose media cannot be fetched fails before
//! it touches the platform. Shared by Instagram (for its URL offers) and
//! Threads (which only takes URLs, docs/threads.md).

use crate::hosting;
use crate::platform::Prepare;
use crate::validate::preflight::{Resolved, Source};

/// The public URL of `media`, or why there is none (for the post's error).
pub async fn public_url(
    job: &Prepare,
    media: &Resolved,
    http: &reqwest::Client,
) -> Result<String, String> {
    match &media.source {
        Source::Url(u) => Ok(u.clone()),
        Source::File { path, info } => {
            let url = match &job.upload_command {
                Some(cmd) => hosting::run_upload_command(&job.repo, cmd, path).await,
                None => job.hosting.media_url(path, info.lfs.is_some()),
            }
            .map_err(|e| format!("{path}: {e}"))?;
            hosting::check_reachable(http, &url, info.bytes)
                .await
                .map_err(|e| format!("{path}: {e}"))?;
            Ok(url)
        }
    }
}
