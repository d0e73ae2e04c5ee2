//! The container parameters of each post type: which of a post's fields go
//! to Meta, under which name, on which container. One pure function, so the
//! table in docs/instagram.md ("Container parameters by post type") has one
//! place in the code and can be tested without a server.

use crate::content::{PostType, UserTag};
use crate::validate::ValidPost;
use std::path::PathBuf;

/// Form fields of one `POST /{ig-user-id}/media` call, in order.
pub type Params = Vec<(&'static str, String)>;

/// How one media item goes to Meta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    Url(String),
    /// Resumable upload of these local bytes.
    Upload(PathBuf),
}

/// Every container a post needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerParams {
    /// Carousel items, in order; empty for other types.
    pub items: Vec<Params>,
    /// The post's own container. A carousel's `children` is added once the
    /// items exist.
    pub parent: Params,
}

fn push_opt(v: &mut Params, k: &'static str, val: Option<String>) {
    if let Some(val) = val {
        v.push((k, val));
    }
}

/// `user_tags` as Meta wants it: a JSON list. Reels take usernames only;
/// elsewhere a tag without a position is placed in the middle.
fn tags(tags: &[UserTag], with_position: bool) -> Option<String> {
    if tags.is_empty() {
        return None;
    }
    let list: Vec<serde_json::Value> = tags
        .iter()
        .map(|t| {
            if with_position {
                serde_json::json!({"username": t.username, "x": t.x.unwrap_or(0.5), "y": t.y.unwrap_or(0.5)})
            } else {
                serde_json::json!({"username": t.username})
            }
        })
        .collect();
    Some(serde_json::Value::Array(list).to_string())
}

fn media(offer: &Offer, is_video: bool, params: &mut Params) {
    match offer {
        Offer::Url(u) => params.push((if is_video { "video_url" } else { "image_url" }, u.clone())),
        Offer::Upload(_) => params.push(("upload_type", "resumable".into())),
    }
}

/// The parameters for `post`, given how each media item (`offers`, in the
/// post's order) and the reel cover reach Meta.
pub fn container_params(
    post: &ValidPost,
    offers: &[Offer],
    cover: Option<String>,
) -> ContainerParams {
    let f = &post.post.fields;
    let collaborators = f
        .collaborators
        .as_ref()
        .filter(|c| !c.is_empty())
        .map(|c| serde_json::json!(c).to_string());
    let location = f.location_id.as_ref().map(ToString::to_string);
    let first_item = f.media.first();
    let item_alt = first_item.and_then(|m| m.alt_text()).map(str::to_string);
    let all_tags: Vec<UserTag> = f
        .user_tags
        .iter()
        .flatten()
        .chain(first_item.map(|m| m.user_tags()).unwrap_or_default())
        .cloned()
        .collect();
    let mut parent = Params::new();
    let mut items = Vec::new();
    match post.kind {
        PostType::Image => {
            media(&offers[0], false, &mut parent);
            push_opt(&mut parent, "caption", f.caption.clone());
            push_opt(&mut parent, "location_id", location);
            push_opt(&mut parent, "user_tags", tags(&all_tags, true));
            push_opt(&mut parent, "collaborators", collaborators);
            push_opt(&mut parent, "alt_text", f.alt_text.clone().or(item_alt));
        }
        PostType::Reel => {
            parent.push(("media_type", "REELS".into()));
            media(&offers[0], true, &mut parent);
            push_opt(&mut parent, "caption", f.caption.clone());
            push_opt(&mut parent, "location_id", location);
            push_opt(&mut parent, "user_tags", tags(&all_tags, false));
            push_opt(&mut parent, "collaborators", collaborators);
            push_opt(&mut parent, "cover_url", cover);
            push_opt(
                &mut parent,
                "thumb_offset",
                f.thumb_offset.map(|t| t.to_string()),
            );
            push_opt(
                &mut parent,
                "share_to_feed",
                f.share_to_feed.map(|b| b.to_string()),
            );
            push_opt(&mut parent, "audio_name", f.audio_name.clone());
        }
        PostType::Story => {
            parent.push(("media_type", "STORIES".into()));
            let is_video = post.media[0].is_video;
            media(&offers[0], is_video, &mut parent);
            if !is_video {
                push_opt(&mut parent, "user_tags", tags(&all_tags, true));
            }
        }
        PostType::Carousel => {
            for (i, (offer, resolved)) in offers.iter().zip(&post.media).enumerate() {
                let mut params: Params = vec![("is_carousel_item", "true".into())];
                if resolved.is_video {
                    params.push(("media_type", "VIDEO".into()));
                }
                media(offer, resolved.is_video, &mut params);
                let entry = &f.media[i];
                if !resolved.is_video {
                    push_opt(&mut params, "user_tags", tags(entry.user_tags(), true));
                    push_opt(
                        &mut params,
                        "alt_text",
                        entry.alt_text().map(str::to_string),
                    );
                }
                items.push(params);
            }
            parent.push(("media_type", "CAROUSEL".into()));
            push_opt(&mut parent, "caption", f.caption.clone());
            push_opt(&mut parent, "location_id", location);
            push_opt(&mut parent, "collaborators", collaborators);
        }
    }
    ContainerParams { items, parent }
}
