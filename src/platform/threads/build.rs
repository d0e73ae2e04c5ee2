//! Building a post's Threads containers: every media URL offered and
//! checked first (Threads fetches media from public URLs and takes no
//! uploaded bytes), then carousel items, their videos waited for, then the
//! post's own container (docs/threads.md, "Container → status → publish").

use super::params::container_params;
use super::{Threads, ThreadsError};
use crate::content::PostType;
use crate::platform::poll::settle;
use crate::platform::{ContainerState, Prepare, PrepareError, Prepared};
use std::time::Duration;

type BuildError = PrepareError<ThreadsError>;

pub(super) async fn build(job: Prepare, publisher: &Threads) -> Result<Prepared, BuildError> {
    let post = &job.post;
    if post.kind != PostType::Text && post.media.is_empty() {
        return Err(BuildError::Media(
            "a Threads image, video or carousel post needs media".into(),
        ));
    }
    let mut permit = Some(job.permits.clone().acquire_owned().await);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| BuildError::Media(format!("HTTP client: {e}")))?;
    let mut urls = Vec::with_capacity(post.media.len());
    if post.kind != PostType::Text {
        for m in &post.media {
            urls.push(
                crate::platform::offer::public_url(&job, m, &http)
                    .await
                    .map_err(crate::platform::offer::OfferError::into_prepare)?,
            );
        }
    }
    let client = publisher.client();
    let mut plan = container_params(post, &urls);
    let mut children = Vec::with_capacity(plan.items.len());
    for params in plan.items {
        children.push(client.create_container(params).await?);
    }
    if !children.is_empty() {
        // The carousel is made of finished items: videos are processed
        // before the carousel's own container is made (other posts'
        // containers are made meanwhile).
        if post.media.iter().any(|m| m.is_video) {
            permit = None;
        }
        for (child, media) in children.iter().zip(&post.media) {
            if media.is_video {
                wait_finished(&job, publisher, child).await?;
            }
        }
        if permit.is_none() {
            permit = Some(job.permits.clone().acquire_owned().await);
        }
        plan.parent.insert(1, ("children", children.join(",")));
    }
    let handle = client.create_container(plan.parent).await?;
    drop(permit);
    Ok(Prepared { handle, children })
}

async fn wait_finished(
    job: &Prepare,
    publisher: &Threads,
    container: &str,
) -> Result<(), BuildError> {
    let s = settle(
        publisher,
        container,
        job.poll_interval,
        job.max_wait,
        || false,
    )
    .await?;
    match s.state {
        ContainerState::Finished => Ok(()),
        ContainerState::InProgress => Err(BuildError::Media(format!(
            "Threads was still processing carousel item {container} after {} s; the next apply tries again",
            job.max_wait.as_secs()
        ))),
        _ => Err(BuildError::Media(format!(
            "carousel item: {}",
            s.failure.map(|f| f.message).unwrap_or(s.code)
        ))),
    }
}
