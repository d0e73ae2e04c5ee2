//! What Meta checks, as pure functions: text length (emoji by their UTF-8
//! bytes), links, container parameters, and a container's status now.

use super::{Container, State};
use std::collections::{BTreeMap, BTreeSet};

pub const TEXT_LIMIT: usize = 500;
pub const LINK_LIMIT: usize = 5;
pub const EXPIRY_SECS: i64 = 24 * 3600;
pub const REPLY_CONTROLS: &[&str] = &[
    "everyone",
    "accounts_you_follow",
    "mentioned_only",
    "parent_post_author_only",
    "followers_only",
];

/// Meta: "Text posts are limited to 500 characters. Emojis are counted as
/// the number of UTF-8 bytes." Characters count 1; an emoji (pictographs
/// outside the BMP, the symbol and dingbat blocks, and the joiners and
/// selectors that build emoji sequences) counts its UTF-8 bytes.
pub fn text_length(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let u = c as u32;
            let emoji = u >= 0x1F000
                || (0x2600..=0x27BF).contains(&u)
                || u == 0x200D
                || (0xFE00..=0xFE0F).contains(&u);
            if emoji {
                c.len_utf8()
            } else {
                1
            }
        })
        .sum()
}

/// Unique URLs in `text` (http://, https:// or www.), plus a link
/// attachment that is none of them.
pub fn link_count(text: &str, attachment: Option<&str>) -> usize {
    let trim = |s: &str| {
        s.trim_end_matches(['.', ',', ')', '!', '?', ';', ':'])
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .to_string()
    };
    let mut set: BTreeSet<String> = text
        .split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www."))
        .map(trim)
        .collect();
    if let Some(a) = attachment {
        set.insert(trim(a));
    }
    set.len()
}

/// A refusal: (code, message).
pub type Refusal = (i64, String);

const KNOWN: &[&str] = &[
    "media_type",
    "text",
    "image_url",
    "video_url",
    "is_carousel_item",
    "children",
    "reply_control",
    "topic_tag",
    "link_attachment",
    "alt_text",
];

/// Checks a container's parameters as Meta does at creation.
pub fn check_container(st: &State, p: &BTreeMap<String, String>) -> Result<(), Refusal> {
    let bad = |m: &str| Err((100, m.to_string()));
    if let Some(k) = p.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return bad(&format!("(#100) Tried accessing nonexisting field ({k})"));
    }
    let ty = p.get("media_type").map(String::as_str).unwrap_or("");
    let item = p.get("is_carousel_item").map(String::as_str) == Some("true");
    let text = p.get("text").map(String::as_str).unwrap_or("");
    match ty {
        "TEXT" if text.is_empty() && !p.contains_key("link_attachment") => {
            return bad("Param text is required for media_type TEXT")
        }
        "TEXT" if p.contains_key("image_url") || p.contains_key("video_url") => {
            return bad("A TEXT container takes no image_url or video_url")
        }
        "IMAGE" if !p.contains_key("image_url") => return bad("Param image_url is required"),
        "VIDEO" if !p.contains_key("video_url") => return bad("Param video_url is required"),
        "CAROUSEL" => check_children(st, p)?,
        "TEXT" | "IMAGE" | "VIDEO" => {}
        other => {
            return bad(&format!(
                "Param media_type must be one of TEXT, IMAGE, VIDEO, CAROUSEL (got {other:?})"
            ))
        }
    }
    if item && !matches!(ty, "IMAGE" | "VIDEO") {
        return bad("is_carousel_item is for IMAGE and VIDEO containers");
    }
    if item && (p.contains_key("text") || p.contains_key("reply_control")) {
        return bad("carousel items take no text or reply_control: the carousel's container does");
    }
    if ty == "TEXT" && p.contains_key("alt_text") {
        return bad("alt_text is for images and videos only");
    }
    if ty != "TEXT" && p.contains_key("link_attachment") {
        return bad("link_attachment is for text-only posts");
    }
    if text_length(text) > TEXT_LIMIT {
        return bad("Param text must be at most 500 characters long.");
    }
    if link_count(text, p.get("link_attachment").map(String::as_str)) > LINK_LIMIT {
        return bad("THREADS_API__LINK_LIMIT_EXCEEDED: a post may contain at most 5 links");
    }
    if let Some(r) = p.get("reply_control") {
        if !REPLY_CONTROLS.contains(&r.as_str()) {
            return bad(&format!("Param reply_control is not a valid value: {r}"));
        }
    }
    if let Some(t) = p.get("topic_tag") {
        let n = t.chars().count();
        if !(1..=50).contains(&n) || t.contains('.') || t.contains('&') {
            return bad("Param topic_tag must be 1-50 characters without periods or ampersands");
        }
    }
    Ok(())
}

fn check_children(st: &State, p: &BTreeMap<String, String>) -> Result<(), Refusal> {
    let ids: Vec<&str> = p
        .get("children")
        .map(|c| c.split(',').filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if !(2..=20).contains(&ids.len()) {
        return Err((
            100,
            format!("A carousel needs 2 to 20 children, got {}", ids.len()),
        ));
    }
    for id in ids {
        let Some(c) = st.containers.iter().find(|c| c.id == id) else {
            return Err((
                100,
                format!("children: {id} is not a container of this user"),
            ));
        };
        if !c.carousel_item {
            return Err((
                100,
                format!("children: {id} was not made with is_carousel_item=true"),
            ));
        }
        if status(st, c).0 != "FINISHED" {
            return Err((100, format!("children: {id} is not FINISHED")));
        }
    }
    Ok(())
}

/// (status, error_message) of a container now.
pub fn status(st: &State, c: &Container) -> (&'static str, Option<String>) {
    if c.published.is_some() {
        return ("PUBLISHED", None);
    }
    let now = st.now();
    if now >= c.created_at + EXPIRY_SECS {
        return ("EXPIRED", None);
    }
    let delay = match c.media_type.as_str() {
        "VIDEO" => st.cfg.video_processing,
        "IMAGE" => st.cfg.image_processing,
        _ => std::time::Duration::ZERO,
    };
    if now < c.created_at + delay.as_secs() as i64
        || (now == c.created_at && !delay.is_zero() && delay.as_secs() == 0)
    {
        return ("IN_PROGRESS", None);
    }
    match &c.fails_with {
        Some(m) => ("ERROR", Some(m.clone())),
        None => ("FINISHED", None),
    }
}
