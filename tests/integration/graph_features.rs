//! Self-tests of the test Graph API server for the container parameters
//! Meta added in 2025–2026: story user tags, trial reels, product tags, the
//! paid partnership and AI info labels — refused in the shapes and logins
//! Meta refuses, accepted in the documented ones.

use crate::graph_server::{config, FB_TOKEN, FB_USER, IG_TOKEN, IG_USER, T};

/// Form parameters of one container creation.
type Form<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn newer_container_parameters_are_checked_as_meta_documents_them() {
    let t = T::new(config()).await;
    let img = t.media("square.jpg");
    let vid = t.media("reel.mp4");
    let story_vid = t.media("story-video.mp4");
    let reel = |extra: (&'static str, &'static str)| {
        vec![("media_type", "REELS"), ("video_url", vid.as_str()), extra]
    };
    let image = |extra: (&'static str, &'static str)| vec![("image_url", img.as_str()), extra];
    let story = |tags: &'static str| {
        vec![
            ("media_type", "STORIES"),
            ("video_url", story_vid.as_str()),
            ("user_tags", tags),
        ]
    };
    let refused: Vec<(&str, &str, Form, &str)> = vec![
        (
            "trial_params not JSON",
            FB_TOKEN,
            reel(("trial_params", "MANUAL")),
            "trial_params",
        ),
        (
            "an unknown graduation_strategy",
            FB_TOKEN,
            reel(("trial_params", r#"{"graduation_strategy":"manual"}"#)),
            "trial_params",
        ),
        (
            "trial_params without graduation_strategy",
            FB_TOKEN,
            reel(("trial_params", "{}")),
            "trial_params",
        ),
        (
            "trial_params with another key",
            FB_TOKEN,
            reel((
                "trial_params",
                r#"{"graduation_strategy":"MANUAL","days":3}"#,
            )),
            "trial_params",
        ),
        (
            "trial_params on an image",
            FB_TOKEN,
            image(("trial_params", r#"{"graduation_strategy":"MANUAL"}"#)),
            "trial_params",
        ),
        (
            "a story tag with x out of range",
            FB_TOKEN,
            story(r#"[{"username":"a","x":1.5}]"#),
            "user_tags",
        ),
        (
            "a story tag with a y that is not a number",
            FB_TOKEN,
            story(r#"[{"username":"a","y":"top"}]"#),
            "user_tags",
        ),
        (
            "six product tags",
            FB_TOKEN,
            image((
                "product_tags",
                r#"[{"product_id":"1"},{"product_id":"2"},{"product_id":"3"},{"product_id":"4"},{"product_id":"5"},{"product_id":"6"}]"#,
            )),
            "product_tags",
        ),
        (
            "a product tagged twice",
            FB_TOKEN,
            image(("product_tags", r#"[{"product_id":"1"},{"product_id":1}]"#)),
            "product_tags",
        ),
        (
            "a product tag without product_id",
            FB_TOKEN,
            image(("product_tags", r#"[{"x":0.5,"y":0.5}]"#)),
            "product_tags",
        ),
        (
            "a product tag placed on a reel",
            FB_TOKEN,
            reel(("product_tags", r#"[{"product_id":"1","x":0.5,"y":0.5}]"#)),
            "product_tags",
        ),
        (
            "a product tag out of the image",
            FB_TOKEN,
            image(("product_tags", r#"[{"product_id":"1","x":1.1}]"#)),
            "product_tags",
        ),
        (
            "product tags on a story",
            FB_TOKEN,
            vec![
                ("media_type", "STORIES"),
                ("image_url", img.as_str()),
                ("product_tags", r#"[{"product_id":"1"}]"#),
            ],
            "product_tags",
        ),
        (
            "product tags with Instagram Login",
            IG_TOKEN,
            image(("product_tags", r#"[{"product_id":"1"}]"#)),
            "product_tags",
        ),
        (
            "three sponsors",
            FB_TOKEN,
            image(("branded_content_sponsor_ids", "[1,2,3]")),
            "limit is 2",
        ),
        (
            "sponsors as usernames",
            FB_TOKEN,
            image(("branded_content_sponsor_ids", r#"["brand"]"#)),
            "branded_content_sponsor_ids",
        ),
        (
            "the account as its own sponsor",
            FB_TOKEN,
            image(("branded_content_sponsor_ids", "[17841400000000011]")),
            "yourself",
        ),
        (
            "the paid partnership label with Instagram Login",
            IG_TOKEN,
            image(("is_paid_partnership", "true")),
            "is_paid_partnership",
        ),
        (
            "sponsors with Instagram Login",
            IG_TOKEN,
            image(("branded_content_sponsor_ids", "[1]")),
            "branded_content_sponsor_ids",
        ),
        (
            "the AI label on a carousel item",
            FB_TOKEN,
            vec![
                ("image_url", img.as_str()),
                ("is_carousel_item", "true"),
                ("is_ai_generated", "true"),
            ],
            "is_ai_generated",
        ),
        (
            "the AI label on a story",
            FB_TOKEN,
            vec![
                ("media_type", "STORIES"),
                ("image_url", img.as_str()),
                ("is_ai_generated", "true"),
            ],
            "is_ai_generated",
        ),
    ];
    for (what, token, params, names) in refused {
        let user = if token == IG_TOKEN { IG_USER } else { FB_USER };
        let r = t.create(user, token, &params).await;
        assert_eq!(r.status, 400, "{what}: {}", r.body);
        assert_eq!(r.code(), Some(100), "{what}: {}", r.body);
        assert!(
            r.message().contains(names),
            "{what}: message should name {names}: {}",
            r.message()
        );
    }

    let accepted: Vec<(&str, &str, Form)> = vec![
        (
            "a video story with a mention and a placed tag",
            FB_TOKEN,
            story(r#"[{"username":"a"},{"username":"b","x":0.2,"y":0.7}]"#),
        ),
        (
            "an image story tag without a place",
            FB_TOKEN,
            vec![
                ("media_type", "STORIES"),
                ("image_url", img.as_str()),
                ("user_tags", r#"[{"username":"a"}]"#),
            ],
        ),
        (
            "a performance-graduated trial reel with Instagram Login",
            IG_TOKEN,
            reel((
                "trial_params",
                r#"{"graduation_strategy":"SS_PERFORMANCE"}"#,
            )),
        ),
        (
            "an image with placed and unplaced product tags and both labels",
            FB_TOKEN,
            vec![
                ("image_url", img.as_str()),
                (
                    "product_tags",
                    r#"[{"product_id":"3231775643511089","x":0.5,"y":0.8},{"product_id":42}]"#,
                ),
                ("branded_content_sponsor_ids", "[17841400000000099]"),
                ("is_paid_partnership", "true"),
                ("is_ai_generated", "true"),
            ],
        ),
        (
            "a reel with a product and the AI label",
            FB_TOKEN,
            vec![
                ("media_type", "REELS"),
                ("video_url", vid.as_str()),
                ("product_tags", r#"[{"product_id":"7"}]"#),
                ("is_ai_generated", "true"),
            ],
        ),
        (
            "the AI label with Instagram Login",
            IG_TOKEN,
            image(("is_ai_generated", "true")),
        ),
    ];
    for (what, token, params) in accepted {
        let user = if token == IG_TOKEN { IG_USER } else { FB_USER };
        let r = t.create(user, token, &params).await;
        assert_eq!(r.status, 200, "{what}: {}", r.body);
    }
    let trial =
        t.s.containers()
            .into_iter()
            .find(|c| c.params.contains_key("trial_params"))
            .expect("the trial reel is recorded");
    assert_eq!(trial.kind, "REELS");
    assert_eq!(
        trial.params["trial_params"],
        r#"{"graduation_strategy":"SS_PERFORMANCE"}"#
    );
}
