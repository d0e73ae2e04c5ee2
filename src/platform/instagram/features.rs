//! Rules for the fields added to match the Graph API of 2025–2026: product
//! tags, the paid partnership and AI info labels, and which login can
//! publish them. Trial reels need no rule of their own: `trial` is a
//! reels-only field like `cover` (see rules.rs). The facts and their links
//! are in docs/instagram.md, "Container parameters by post type".

use crate::config::Account;
use crate::content::{Post, PostType, ProductTag};
use crate::diagnostic::{Problem, Rule};
use crate::platform::instagram::{Login, Settings};

/// At most 5 product tags per media item, each product once (IG User Media
/// reference, `product_tags`: "maximum of 5; tags and product IDs must be
/// unique").
pub const MAX_PRODUCT_TAGS: usize = 5;
/// "Maximum 2 sponsor tags per post" (Content Publishing guide,
/// "Partnership ads label", 2026-04-22).
pub const MAX_SPONSORS: usize = 2;

const NO_STORY_PRODUCTS: &str = "Instagram tags products on feed posts and reels only";

/// The rules of the newer fields for a post of type `kind` published by
/// `account` (None when it is unknown: the account rules are left out, the
/// rest still runs). `video_items[i]` says whether media item `i` is a
/// video.
pub fn check(
    post: &Post,
    kind: PostType,
    video_items: &[bool],
    account: Option<&Account>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let settings = account.map(Settings::of);
    let login = settings.as_ref().map(|s| s.login);
    let file = post.file.rel.as_str();
    let f = &post.fields;
    let key = |pointer: &str| post.spans.key(pointer);

    // Stories carry no labels and no product tags: Meta documents neither
    // for stories ("Product tagging is not supported for Stories", Product
    // Tagging guide; the labels are documented for feed posts and reels).
    if kind == PostType::Story {
        for (field, present, why) in [
            ("product_tags", f.product_tags.is_some(), NO_STORY_PRODUCTS),
            (
                "paid_partnership",
                f.paid_partnership.is_some(),
                "the paid partnership label is for feed posts and reels",
            ),
            (
                "sponsor_ids",
                f.sponsor_ids.is_some(),
                "the paid partnership label is for feed posts and reels",
            ),
            (
                "ai_generated",
                f.ai_generated.is_some(),
                "the AI info label is for feed posts and reels",
            ),
        ] {
            if present {
                out.push(
                    Problem::new(
                        Rule::FieldNotAllowed,
                        file,
                        key(&format!("/{field}")),
                        format!("`{field}` is not allowed on a story: {why}"),
                    )
                    .with_help(format!("remove `{field}`, or publish a feed post or reel")),
                );
            }
        }
    }

    // Product tags: on images with an optional place, on reels without one;
    // not on carousel videos (Meta's x and y are "Images only").
    let lists = f
        .product_tags
        .iter()
        .map(|t| {
            (
                "/product_tags".to_string(),
                t.as_slice(),
                kind == PostType::Reel,
            )
        })
        .chain(f.media.iter().enumerate().map(|(i, m)| {
            let video = video_items.get(i).copied().unwrap_or(false);
            (format!("/media/{i}/product_tags"), m.product_tags(), video)
        }));
    for (base, tags, on_video) in lists {
        if tags.is_empty() {
            continue;
        }
        if kind == PostType::Story {
            // The shorthand was reported above.
            if base != "/product_tags" {
                out.push(Problem::new(
                    Rule::FieldNotAllowed,
                    file,
                    key(&base),
                    format!("`product_tags` is not allowed on a story: {NO_STORY_PRODUCTS}"),
                ));
            }
            continue;
        }
        if on_video && kind == PostType::Carousel {
            out.push(Problem::new(
                Rule::FieldNotAllowed,
                file,
                key(&base),
                "`product_tags` is not allowed on a carousel video: tag products on the carousel's images",
            ));
            continue;
        }
        out.extend(check_products(post, &base, tags, on_video));
    }

    // The paid partnership label.
    if let Some(ids) = &f.sponsor_ids {
        if ids.len() > MAX_SPONSORS {
            out.push(
                Problem::new(
                    Rule::PaidPartnership,
                    file,
                    key("/sponsor_ids"),
                    format!(
                        "{} sponsors; Instagram names at most {MAX_SPONSORS} brands in the paid partnership label",
                        ids.len()
                    ),
                )
                .with_help("keep the two main brands"),
            );
        }
        let own = settings.as_ref().and_then(|a| {
            let i = ids.iter().position(|id| id.to_string() == a.user_id)?;
            Some((a, i))
        });
        if let Some((own, i)) = own {
            out.push(
                Problem::new(
                    Rule::PaidPartnership,
                    file,
                    post.spans.value(&format!("/sponsor_ids/{i}")),
                    format!(
                        "sponsor {} is this post's own account: Instagram cannot tag an account as its own sponsor",
                        own.user_id
                    ),
                )
                .with_help("name the brand's Instagram user id"),
            );
        }
        if f.paid_partnership == Some(false) && !ids.is_empty() {
            out.push(
                Problem::new(
                    Rule::PaidPartnership,
                    file,
                    key("/paid_partnership"),
                    "`paid_partnership: false`, but `sponsor_ids` names brands: Instagram labels a post with sponsors as a paid partnership",
                )
                .with_help("remove `sponsor_ids`, or set `paid_partnership: true`"),
            );
        }
    }

    // Product tags and the paid partnership label are Facebook Login
    // features: the Instagram Login guide says "Shopping tags are not
    // supported", and the label is "available only for the Instagram API
    // with Facebook Login".
    if login == Some(Login::Instagram) && kind != PostType::Story {
        let products =
            f.product_tags.is_some() || f.media.iter().any(|m| !m.product_tags().is_empty());
        for (field, present) in [
            ("product_tags", products),
            ("paid_partnership", f.paid_partnership == Some(true)),
            (
                "sponsor_ids",
                f.sponsor_ids.as_ref().is_some_and(|s| !s.is_empty()),
            ),
        ] {
            if !present {
                continue;
            }
            let pointer = if field == "product_tags" && f.product_tags.is_none() {
                let i = f
                    .media
                    .iter()
                    .position(|m| !m.product_tags().is_empty())
                    .unwrap_or(0);
                format!("/media/{i}/product_tags")
            } else {
                format!("/{field}")
            };
            out.push(
                Problem::new(
                    Rule::NeedsFacebookLogin,
                    file,
                    key(&pointer),
                    format!("`{field}` needs Facebook Login, but this post's account uses Instagram Login"),
                )
                .with_help("publish it from an account with `login = \"facebook\"` in postwright.toml, or remove the field"),
            );
        }
    }

    if f.audio_name.as_deref().is_some_and(|a| a.trim().is_empty()) {
        out.push(
            Problem::new(
                Rule::Schema,
                file,
                post.spans.value("/audio_name"),
                "`audio_name` is blank",
            )
            .with_help("name the reel's audio, or remove `audio_name` (Instagram keeps \"Original audio\")"),
        );
    }
    out
}

/// One list of product tags: count, duplicates, positions.
fn check_products(post: &Post, base: &str, tags: &[ProductTag], on_video: bool) -> Vec<Problem> {
    let mut out = Vec::new();
    let file = post.file.rel.as_str();
    if tags.len() > MAX_PRODUCT_TAGS {
        out.push(
            Problem::new(
                Rule::ProductTags,
                file,
                post.spans.key(base),
                format!(
                    "{} product tags; Instagram allows at most {MAX_PRODUCT_TAGS} per photo or video",
                    tags.len()
                ),
            )
            .with_help("on a carousel, spread them over the images"),
        );
    }
    for (i, tag) in tags.iter().enumerate() {
        let pointer = format!("{base}/{i}");
        let id = tag.product_id.to_string();
        if tags[..i].iter().any(|t| t.product_id.to_string() == id) {
            out.push(Problem::new(
                Rule::ProductTags,
                file,
                post.spans.value(&format!("{pointer}/product_id")),
                format!("product {id} is tagged twice on the same media"),
            ));
        }
        for (axis, v) in [("x", tag.x), ("y", tag.y)] {
            let Some(v) = v else { continue };
            let at = post.spans.value(&format!("{pointer}/{axis}"));
            if on_video {
                out.push(
                    Problem::new(
                        Rule::ProductTags,
                        file,
                        at,
                        format!("product tag {id}: `{axis}` places a tag on an image; a video takes the product only"),
                    )
                    .with_help("remove `x` and `y`"),
                );
            } else if !(0.0..=1.0).contains(&v) {
                out.push(
                    Problem::new(
                        Rule::ProductTags,
                        file,
                        at,
                        format!("product tag {id}: {axis} is {v}, but positions go from 0 to 1"),
                    )
                    .with_help("0 is the left (x) or top (y) edge, 1 the right or bottom"),
                );
            }
        }
    }
    out
}
