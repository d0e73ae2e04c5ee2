//! The container parameters of each post type: which of a post's fields go
//! to Meta, under which name, on which container. One pure function, so the
//! table in docs/instagram.md ("Container parameters by post type") has one
//! place in the code and can be tested without a server.

use crate::content::{Graduation, IdValue, PostFields, PostType, ProductTag, UserTag};
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

/// Where a tag's x and y go.
#[derive(Clone, Copy)]
enum Position {
    /// Images: always (validation requires both; the middle if absent).
    Required,
    /// Stories: only the coordinates given (Meta, IG User Media reference,
    /// `user_tags`: "x — Required for images, optional for stories").
    Optional,
    /// Reels and other videos: never.
    None,
}

/// `user_tags` as Meta wants it: a JSON list.
fn tags(tags: &[UserTag], position: Position) -> Option<String> {
    if tags.is_empty() {
        return None;
    }
    let list: Vec<serde_json::Value> = tags
        .iter()
        .map(|t| {
            let mut tag = serde_json::json!({"username": t.username});
            match position {
                Position::Required => {
                    tag["x"] = t.x.unwrap_or(0.5).into();
                    tag["y"] = t.y.unwrap_or(0.5).into();
                }
                Position::Optional => place(&mut tag, t.x, t.y),
                Position::None => {}
            }
            tag
        })
        .collect();
    Some(serde_json::Value::Array(list).to_string())
}

fn place(tag: &mut serde_json::Value, x: Option<f64>, y: Option<f64>) {
    if let Some(x) = x {
        tag["x"] = x.into();
    }
    if let Some(y) = y {
        tag["y"] = y.into();
    }
}

/// `product_tags`: a JSON list of `{"product_id"}` with x and y, when
/// given, on images only (IG User Media reference, `product_tags`).
fn products(tags: &[ProductTag], on_image: bool) -> Option<String> {
    if tags.is_empty() {
        return None;
    }
    let list: Vec<serde_json::Value> = tags
        .iter()
        .map(|t| {
            let mut tag = serde_json::json!({"product_id": t.product_id.to_string()});
            if on_image {
                place(&mut tag, t.x, t.y);
            }
            tag
        })
        .collect();
    Some(serde_json::Value::Array(list).to_string())
}

/// `trial_params` of a trial reel: `{"graduation_strategy": ...}`.
fn trial(f: &PostFields) -> Option<String> {
    let strategy = match f.trial.as_ref()?.graduation {
        Graduation::Manual => "MANUAL",
        Graduation::Performance => "SS_PERFORMANCE",
    };
    Some(serde_json::json!({ "graduation_strategy": strategy }).to_string())
}

/// The labels of a feed post or reel: paid partnership (with its sponsors,
/// a JSON list of integer ids) and AI info. Each is sent only when set:
/// false is Meta's default.
fn labels(f: &PostFields, params: &mut Params) {
    if let Some(ids) = f.sponsor_ids.as_ref().filter(|i| !i.is_empty()) {
        let list: Vec<serde_json::Value> = ids
            .iter()
            .map(|id| match id {
                IdValue::Number(n) => (*n).into(),
                IdValue::Text(t) => t
                    .parse::<u64>()
                    .map_or_else(|_| t.clone().into(), Into::into),
            })
            .collect();
        params.push((
            "branded_content_sponsor_ids",
            serde_json::Value::Array(list).to_string(),
        ));
    }
    if f.paid_partnership == Some(true) {
        params.push(("is_paid_partnership", "true".into()));
    }
    if f.ai_generated == Some(true) {
        params.push(("is_ai_generated", "true".into()));
    }
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
    let all_products: Vec<ProductTag> = f
        .product_tags
        .iter()
        .flatten()
        .chain(first_item.map(|m| m.product_tags()).unwrap_or_default())
        .cloned()
        .collect();
    let mut parent = Params::new();
    let mut items = Vec::new();
    match post.kind {
        PostType::Image => {
            media(&offers[0], false, &mut parent);
            push_opt(&mut parent, "caption", f.caption.clone());
            push_opt(&mut parent, "location_id", location);
            push_opt(
                &mut parent,
                "user_tags",
                tags(&all_tags, Position::Required),
            );
            push_opt(&mut parent, "collaborators", collaborators);
            push_opt(&mut parent, "alt_text", f.alt_text.clone().or(item_alt));
            push_opt(&mut parent, "product_tags", products(&all_products, true));
            labels(f, &mut parent);
        }
        PostType::Reel => {
            parent.push(("media_type", "REELS".into()));
            media(&offers[0], true, &mut parent);
            push_opt(&mut parent, "caption", f.caption.clone());
            push_opt(&mut parent, "location_id", location);
            push_opt(&mut parent, "user_tags", tags(&all_tags, Position::None));
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
            push_opt(&mut parent, "trial_params", trial(f));
            push_opt(&mut parent, "product_tags", products(&all_products, false));
            labels(f, &mut parent);
        }
        PostType::Story => {
            parent.push(("media_type", "STORIES".into()));
            let is_video = post.media[0].is_video;
            media(&offers[0], is_video, &mut parent);
            // Image and video stories take user tags since 2025-07-09 (IG
            // User Media reference), positions optional.
            push_opt(
                &mut parent,
                "user_tags",
                tags(&all_tags, Position::Optional),
            );
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
                    push_opt(
                        &mut params,
                        "user_tags",
                        tags(entry.user_tags(), Position::Required),
                    );
                    push_opt(
                        &mut params,
                        "alt_text",
                        entry.alt_text().map(str::to_string),
                    );
                    push_opt(
                        &mut params,
                        "product_tags",
                        products(entry.product_tags(), true),
                    );
                }
                items.push(params);
            }
            parent.push(("media_type", "CAROUSEL".into()));
            push_opt(&mut parent, "caption", f.caption.clone());
            push_opt(&mut parent, "location_id", location);
            push_opt(&mut parent, "collaborators", collaborators);
            // On a carousel the labels go on the parent only: Meta refuses
            // is_ai_generated on the items (changelog, 2026-06-22).
            labels(f, &mut parent);
        }
        // Validate sends text-only posts to Threads accounts only, and the
        // build refuses one before asking for parameters.
        PostType::Text => {}
    }
    ContainerParams { items, parent }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::preflight::{Resolved, Source};

    /// A post of `kind` from YAML; `videos[i]`: media item `i` is a video.
    fn post(yaml: &str, kind: PostType, videos: &[bool]) -> ValidPost {
        let media = videos
            .iter()
            .map(|&is_video| Resolved {
                source: Source::Url("https://cdn.example/m".into()),
                is_video,
            })
            .collect();
        let instagram = crate::platform::Platform::named("instagram").unwrap();
        ValidPost {
            media,
            ..ValidPost::from_yaml(yaml, instagram, kind)
        }
    }

    fn params_of(yaml: &str, kind: PostType, videos: &[bool]) -> ContainerParams {
        let offers: Vec<Offer> = videos
            .iter()
            .enumerate()
            .map(|(i, _)| Offer::Url(format!("https://cdn.example/{i}")))
            .collect();
        container_params(&post(yaml, kind, videos), &offers, None)
    }

    fn get<'a>(p: &'a Params, k: &str) -> Option<&'a str> {
        p.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn video_story_sends_its_tags() {
        let c = params_of(
            "media: [s.mp4]\nuser_tags: [{username: anna}, {username: ben, x: 0.2, y: 0.8}]\n",
            PostType::Story,
            &[true],
        );
        assert_eq!(
            c.parent,
            vec![
                ("media_type", "STORIES".to_string()),
                ("video_url", "https://cdn.example/0".into()),
                (
                    "user_tags",
                    r#"[{"username":"anna"},{"username":"ben","x":0.2,"y":0.8}]"#.into()
                ),
            ]
        );
    }

    #[test]
    fn image_story_tag_without_a_place_gets_none_invented() {
        let c = params_of(
            "media: [s.jpg]\nuser_tags: [{username: anna}, {username: ben, x: 0.3}]\n",
            PostType::Story,
            &[false],
        );
        assert_eq!(
            get(&c.parent, "user_tags"),
            Some(r#"[{"username":"anna"},{"username":"ben","x":0.3}]"#)
        );
    }

    #[test]
    fn image_tags_keep_their_place() {
        let c = params_of(
            "media: [a.jpg]\nuser_tags: [{username: anna, x: 0.1, y: 0.9}]\n",
            PostType::Image,
            &[false],
        );
        assert_eq!(
            get(&c.parent, "user_tags"),
            Some(r#"[{"username":"anna","x":0.1,"y":0.9}]"#)
        );
    }

    #[test]
    fn trial_reel_sends_trial_params() {
        for (graduation, strategy) in [("manual", "MANUAL"), ("performance", "SS_PERFORMANCE")] {
            let c = params_of(
                &format!("media: [r.mp4]\ntrial: {{graduation: {graduation}}}\n"),
                PostType::Reel,
                &[true],
            );
            let sent = get(&c.parent, "trial_params").expect("sent");
            let json: serde_json::Value = serde_json::from_str(sent).unwrap();
            assert_eq!(json, serde_json::json!({ "graduation_strategy": strategy }));
        }
        let plain = params_of("media: [r.mp4]\n", PostType::Reel, &[true]);
        assert_eq!(get(&plain.parent, "trial_params"), None);
    }

    #[test]
    fn product_tags_are_placed_on_images_only() {
        let image = params_of(
            "media: [a.jpg]\nproduct_tags: [{product_id: 3231775643511089, x: 0.5, y: 0.8}, {product_id: '42'}]\n",
            PostType::Image,
            &[false],
        );
        assert_eq!(
            get(&image.parent, "product_tags"),
            Some(r#"[{"product_id":"3231775643511089","x":0.5,"y":0.8},{"product_id":"42"}]"#)
        );
        let reel = params_of(
            "media: [r.mp4]\nproduct_tags: [{product_id: 7}]\n",
            PostType::Reel,
            &[true],
        );
        assert_eq!(
            get(&reel.parent, "product_tags"),
            Some(r#"[{"product_id":"7"}]"#)
        );
        let carousel = params_of(
            "media:\n  - src: a.jpg\n    product_tags: [{product_id: 1, x: 0.1, y: 0.2}]\n  - b.mp4\n",
            PostType::Carousel,
            &[false, true],
        );
        assert_eq!(
            get(&carousel.items[0], "product_tags"),
            Some(r#"[{"product_id":"1","x":0.1,"y":0.2}]"#)
        );
        assert_eq!(get(&carousel.items[1], "product_tags"), None);
        assert_eq!(get(&carousel.parent, "product_tags"), None);
    }

    #[test]
    fn labels_go_on_the_post_and_never_on_carousel_items() {
        let yaml = "media: [a.jpg, b.jpg]\npaid_partnership: true\nsponsor_ids: ['17841400000000009', 17841400000000010]\nai_generated: true\n";
        let c = params_of(yaml, PostType::Carousel, &[false, false]);
        assert_eq!(
            get(&c.parent, "branded_content_sponsor_ids"),
            Some("[17841400000000009,17841400000000010]")
        );
        assert_eq!(get(&c.parent, "is_paid_partnership"), Some("true"));
        assert_eq!(get(&c.parent, "is_ai_generated"), Some("true"));
        for item in &c.items {
            assert!(
                item.iter()
                    .all(|(k, _)| !k.starts_with("is_") || *k == "is_carousel_item"),
                "{item:?}"
            );
        }
        // false is Meta's default: nothing is sent.
        let off = params_of(
            "media: [r.mp4]\npaid_partnership: false\nai_generated: false\n",
            PostType::Reel,
            &[true],
        );
        assert_eq!(get(&off.parent, "is_paid_partnership"), None);
        assert_eq!(get(&off.parent, "is_ai_generated"), None);
    }

    #[test]
    fn stories_send_no_feed_fields() {
        let c = params_of("media: [s.jpg]\n", PostType::Story, &[false]);
        let names: Vec<&str> = c.parent.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, ["media_type", "image_url"]);
    }
}
