//! Building a post for Mastodon: the instance's limits checked first, the
//! media uploaded and waited for, the status with its poll, visibility
//! and idempotency key kept in memory under its handle.

use super::super::once;
use super::super::status::{NewStatus, Poll, Upload, Visibility as Vis};
use super::super::{MastodonError, PostOptions, Visibility};
use super::{lock, Built, Earlier, Mastodon};
use crate::content::safe;
use crate::platform::{ErrorClass, Prepare, PrepareError, Prepared};
use crate::validate::preflight::Source;
use std::path::Path;

impl Mastodon {
    pub(super) async fn build(
        &self,
        job: Prepare,
    ) -> Result<Prepared, PrepareError<MastodonError>> {
        let post = &job.post;
        let _permit = job.permits.clone().acquire_owned().await;
        if let Some(e) = lock(&self.inner.refused).clone() {
            return Err(PrepareError::Api(e));
        }
        // Checked before any upload: a post the instance refuses leaves no
        // orphan media behind.
        let breaches = super::super::live::breaches(post, self.limits().await?);
        if !breaches.is_empty() {
            return Err(PrepareError::Media(format!(
                "the instance refuses this post: {}",
                breaches.join("; ")
            )));
        }
        let options = PostOptions::of(&post.post);
        let text = post.post.fields.caption.clone().unwrap_or_default();
        let now = self.server_now().await;
        let reuse = match self
            .earlier(&post.post.id, &text, post.media.len(), now)
            .await?
        {
            Earlier::Made(done) => return Ok(done),
            Earlier::Resend { handle, born } => Some((handle, born)),
            Earlier::Fresh => None,
        };
        let mut media_ids = Vec::new();
        for (i, m) in post.media.iter().enumerate() {
            let Source::File { path, info } = &m.source else {
                return Err(PrepareError::Media(
                    "Mastodon takes media as uploaded files, not URLs".into(),
                ));
            };
            let mime = super::super::validate::mime(info).ok_or_else(|| {
                PrepareError::Media(format!("{path} is not a type Mastodon takes"))
            })?;
            let data = read(&job.repo, path).await.map_err(PrepareError::Media)?;
            let alt = post
                .post
                .fields
                .alt_text_of(i)
                .filter(|a| !a.trim().is_empty());
            let upload = Upload {
                file_name: path.rsplit('/').next().unwrap_or(path).to_string(),
                mime: mime.to_string(),
                data,
                description: alt.map(str::to_string),
                focus: options.focus_of(i),
            };
            let uploaded = self.patient(|| self.client().upload_media(&upload)).await;
            if let Err(e) = &uploaded {
                if matches!(e.class(), ErrorClass::Auth | ErrorClass::Permission) {
                    *lock(&self.inner.refused) = Some(e.clone());
                }
            }
            let id = match uploaded? {
                super::super::status::MediaState::Ready(a) => a.id,
                super::super::status::MediaState::Processing { id } => {
                    self.patient(|| self.client().wait_media(&id)).await?.id
                }
            };
            media_ids.push(id);
        }
        let poll = options.poll.as_ref().map(poll).transpose()?;
        let status = NewStatus {
            status: text,
            media_ids,
            visibility: options.visibility.map(vis),
            spoiler_text: Some(options.spoiler_text).filter(|s| !s.is_empty()),
            sensitive: options.sensitive,
            language: options.language,
            poll,
            ..Default::default()
        };
        let reused = reuse.is_some();
        let (handle, born) = reuse.unwrap_or_else(|| (once::make(&post.post.id, now), now));
        let items = status.media_ids.len();
        lock(&self.inner.built).insert(
            handle.clone(),
            Built {
                status,
                items,
                posted: None,
                born,
                reused,
                found: None,
            },
        );
        Ok(Prepared {
            handle,
            children: Vec::new(),
        })
    }
}

/// The poll as sent; validate has checked it, so a bad one here is a
/// post file changed since.
fn poll(p: &super::super::options::PollOptions) -> Result<Poll, PrepareError<MastodonError>> {
    let expires_in = match &p.expires_in {
        Some(e) => e.seconds().map_err(PrepareError::Media)?,
        None => {
            return Err(PrepareError::Media(
                "mastodon.poll has no expires_in".into(),
            ))
        }
    };
    Ok(Poll {
        options: p.options.clone(),
        expires_in,
        multiple: p.multiple,
        hide_totals: p.hide_totals,
    })
}

fn vis(v: Visibility) -> Vis {
    match v {
        Visibility::Public => Vis::Public,
        Visibility::Unlisted => Vis::Unlisted,
        Visibility::Private => Vis::Private,
        Visibility::Direct => Vis::Direct,
    }
}

/// The bytes of repo file `rel` (at most Mastodon's largest upload); a
/// Git LFS pointer whose object is not here is an error.
async fn read(repo: &Path, rel: &str) -> Result<Vec<u8>, String> {
    const LIMIT: u64 = 200_000_000;
    let repo = repo.to_path_buf();
    let rel = rel.to_string();
    tokio::task::spawn_blocking(move || {
        let canonical = safe::canonical_repo(&repo);
        let regular = safe::inspect(&repo, &canonical, &rel)
            .map_err(|e| format!("{rel}: {}", e.describe()))?;
        let bytes = safe::read_bounded(&regular, LIMIT).map_err(|e| match e {
            safe::ReadError::TooLarge(_) => format!("{rel} is over {LIMIT} bytes"),
            safe::ReadError::NotRegular(kind) => format!("{rel} is {kind}, not a regular file"),
            safe::ReadError::Io(e) => format!("{rel}: {e}"),
        })?;
        if bytes.starts_with(b"version https://git-lfs.github.com/spec/") {
            return Err(format!(
                "{rel} is a Git LFS pointer whose object is not here: run `git lfs pull`"
            ));
        }
        Ok(bytes)
    })
    .await
    .map_err(|e| format!("reading a media file stopped: {e}"))?
}
