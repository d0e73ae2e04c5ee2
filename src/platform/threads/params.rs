//! The container parameters of each post type on Threads: which of a
//! post's fields go to `POST /{threads-user-id}/threads`, under which name,
//! on which container. One pure function, so the table in docs/threads.md
//! ("Container parameters") has one place in the code.

use crate::content::PostType;
use crate::validate::ValidPost;

/// Form fields of one container call, in order (never the token).
pub type Params = Vec<(&'static str, String)>;

/// Every container a post needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerParams {
    /// Carousel items, in order; empty for other types.
    pub items: Vec<Params>,
    /// The post's own container. A carousel's `children` is added once the
    /// items exist.
    pub parent: Params,
}

/// The parameters for `post`, given each media item's public URL (in the
/// post's order; none for a text post).
pub fn container_params(post: &ValidPost, urls: &[String]) -> ContainerParams {
    let f = &post.post.fields;
    let threads = super::Options::of(&post.post);
    let text = f.caption.clone().filter(|c| !c.is_empty());
    // alt_text: images and videos only, never text posts (docs/threads.md).
    let alt = |i: usize| {
        f.media
            .get(i)
            .and_then(|m| m.alt_text())
            .map(str::to_string)
            .or_else(|| (urls.len() == 1).then(|| f.alt_text.clone()).flatten())
    };
    let media = |i: usize, params: &mut Params| {
        let video = post.media.get(i).is_some_and(|m| m.is_video);
        let url = urls.get(i).cloned().unwrap_or_default();
        if video {
            params.push(("media_type", "VIDEO".into()));
            params.push(("video_url", url));
        } else {
            params.push(("media_type", "IMAGE".into()));
            params.push(("image_url", url));
        }
    };
    let mut items = Vec::new();
    let mut parent = Params::new();
    match post.kind {
        PostType::Text => {
            parent.push(("media_type", "TEXT".into()));
        }
        PostType::Carousel => {
            for i in 0..urls.len() {
                let mut item = Params::new();
                media(i, &mut item);
                item.push(("is_carousel_item", "true".into()));
                push_opt(&mut item, "alt_text", alt(i));
                items.push(item);
            }
            parent.push(("media_type", "CAROUSEL".into()));
        }
        // Image, and Reel = one video (validate never hands a Story here).
        _ => media(0, &mut parent),
    }
    push_opt(&mut parent, "text", text);
    if !matches!(post.kind, PostType::Text | PostType::Carousel) {
        push_opt(&mut parent, "alt_text", alt(0));
    }
    push_opt(
        &mut parent,
        "reply_control",
        threads.reply_control.map(|r| r.name().to_string()),
    );
    push_opt(&mut parent, "topic_tag", threads.topic_tag.clone());
    // A link attachment goes on text-only posts (docs/threads.md).
    if post.kind == PostType::Text {
        push_opt(
            &mut parent,
            "link_attachment",
            threads.link_attachment.clone(),
        );
    }
    ContainerParams { items, parent }
}

fn push_opt(v: &mut Params, k: &'static str, val: Option<String>) {
    if let Some(val) = val.filter(|s| !s.is_empty()) {
        v.push((k, val));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::preflight::{Resolved, Source};

    /// A post of `kind` with Threads options; `videos[i]`: item `i` is a video.
    fn post(kind: PostType, videos: &[bool], caption: Option<&str>) -> ValidPost {
        let mut yaml = String::from("media: []\n");
        if let Some(c) = caption {
            yaml.push_str(&format!("caption: {c:?}\n"));
        }
        yaml.push_str(
            "threads:\n  reply_control: accounts_you_follow\n  topic_tag: Pottery\n  link_attachment: https://example.com/shop\n",
        );
        let threads = crate::platform::Platform::named("threads").unwrap();
        ValidPost {
            account: "studio".into(),
            media: videos
                .iter()
                .map(|v| Resolved {
                    source: Source::Url("https://example.com/x".into()),
                    is_video: *v,
                })
                .collect(),
            ..ValidPost::from_yaml(&yaml, threads, kind)
        }
    }

    fn keys(p: &Params) -> Vec<&str> {
        p.iter().map(|(k, _)| *k).collect()
    }

    fn get<'a>(p: &'a Params, k: &str) -> Option<&'a str> {
        p.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_text_post_is_one_text_container_with_its_options() {
        let c = container_params(&post(PostType::Text, &[], Some("hello")), &[]);
        assert!(c.items.is_empty());
        assert_eq!(
            keys(&c.parent),
            [
                "media_type",
                "text",
                "reply_control",
                "topic_tag",
                "link_attachment"
            ]
        );
        assert_eq!(get(&c.parent, "media_type"), Some("TEXT"));
        assert_eq!(get(&c.parent, "reply_control"), Some("accounts_you_follow"));
    }

    #[test]
    fn image_and_video_posts_carry_their_url_and_no_link_attachment() {
        let urls = vec!["https://cdn.example/a.jpg".to_string()];
        let c = container_params(&post(PostType::Image, &[false], Some("pots")), &urls);
        assert_eq!(get(&c.parent, "media_type"), Some("IMAGE"));
        assert_eq!(
            get(&c.parent, "image_url"),
            Some("https://cdn.example/a.jpg")
        );
        assert_eq!(get(&c.parent, "link_attachment"), None);
        let c = container_params(&post(PostType::Reel, &[true], None), &urls);
        assert_eq!(get(&c.parent, "media_type"), Some("VIDEO"));
        assert_eq!(
            get(&c.parent, "video_url"),
            Some("https://cdn.example/a.jpg")
        );
        assert_eq!(get(&c.parent, "text"), None, "no caption, no text");
    }

    #[test]
    fn a_carousel_is_items_then_a_carousel_container() {
        let urls: Vec<String> = ["a.jpg", "b.mp4", "c.jpg"]
            .iter()
            .map(|u| format!("https://cdn.example/{u}"))
            .collect();
        let c = container_params(
            &post(PostType::Carousel, &[false, true, false], Some("kiln day")),
            &urls,
        );
        assert_eq!(c.items.len(), 3);
        for (item, ty) in c.items.iter().zip(["IMAGE", "VIDEO", "IMAGE"]) {
            assert_eq!(get(item, "media_type"), Some(ty));
            assert_eq!(get(item, "is_carousel_item"), Some("true"));
            assert_eq!(get(item, "text"), None);
            assert_eq!(get(item, "reply_control"), None);
        }
        assert_eq!(
            get(&c.items[1], "video_url"),
            Some("https://cdn.example/b.mp4")
        );
        assert_eq!(get(&c.parent, "media_type"), Some("CAROUSEL"));
        assert_eq!(get(&c.parent, "text"), Some("kiln day"));
        assert_eq!(get(&c.parent, "topic_tag"), Some("Pottery"));
        assert_eq!(get(&c.parent, "children"), None, "added once items exist");
    }
}
