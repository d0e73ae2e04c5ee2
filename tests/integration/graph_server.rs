//! Self-tests of the test Graph API server (`graph`): plain HTTP against it,
//! checking that it behaves as docs/instagram.md says Meta does. Time is
//! virtual (`advance`), so nothing here sleeps.

use crate::common::fixtures;
use crate::graph::{Effect, Fault, GraphServer, Host, Login, ServerConfig, TestAccount};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) const FB_USER: &str = "17841400000000011";
pub(crate) const IG_USER: &str = "17841400000000022";
const OTHER_USER: &str = "17841400000000033";
pub(crate) const FB_TOKEN: &str = "EAAB-test-facebook-token";
pub(crate) const IG_TOKEN: &str = "IGAA-test-instagram-token";
const OTHER_TOKEN: &str = "EAAB-test-other-token";

pub(crate) fn config() -> ServerConfig {
    ServerConfig {
        accounts: vec![
            TestAccount::new(Login::Facebook, FB_USER, "brand", FB_TOKEN),
            TestAccount::new(Login::Instagram, IG_USER, "igbrand", IG_TOKEN),
            TestAccount::new(Login::Facebook, OTHER_USER, "other", OTHER_TOKEN),
        ],
        static_root: Some(fixtures().join("media")),
        ..ServerConfig::default()
    }
}

pub(crate) struct T {
    pub(crate) s: GraphServer,
    http: reqwest::Client,
}

#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) body: Value,
    headers: reqwest::header::HeaderMap,
}

impl Resp {
    pub(crate) fn code(&self) -> Option<i64> {
        self.body.pointer("/error/code").and_then(Value::as_i64)
    }
    pub(crate) fn sub(&self) -> Option<i64> {
        self.body
            .pointer("/error/error_subcode")
            .and_then(Value::as_i64)
    }
    fn err(&self) -> (u16, Option<i64>, Option<i64>) {
        (self.status, self.code(), self.sub())
    }
    pub(crate) fn message(&self) -> String {
        format!(
            "{} {}",
            self.body
                .pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or(""),
            self.body
                .pointer("/error/error_user_msg")
                .and_then(Value::as_str)
                .unwrap_or("")
        )
    }
    fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {} {}", self.status, self.body))
            .to_string()
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

impl T {
    pub(crate) async fn new(cfg: ServerConfig) -> T {
        T {
            s: GraphServer::start(cfg).await,
            http: client(),
        }
    }

    pub(crate) fn media(&self, name: &str) -> String {
        format!("{}/{name}", self.s.media_url())
    }

    /// `path` without the version; params in the query (GET, DELETE) or
    /// form body (POST); the token as `Authorization: Bearer`.
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        params: &[(&str, &str)],
    ) -> Resp {
        let url = format!("{}/v24.0/{path}", self.s.base_url());
        let mut rb = match method {
            "GET" => self.http.get(url).query(params),
            "DELETE" => self.http.delete(url).query(params),
            _ => self.http.post(url).form(params),
        };
        if let Some(t) = token {
            rb = rb.header("Authorization", format!("Bearer {t}"));
        }
        let r = rb.send().await.expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Resp {
            status,
            body,
            headers,
        }
    }

    async fn get(&self, path: &str, token: &str, params: &[(&str, &str)]) -> Resp {
        self.call("GET", path, Some(token), params).await
    }

    async fn post(&self, path: &str, token: &str, params: &[(&str, &str)]) -> Resp {
        self.call("POST", path, Some(token), params).await
    }

    pub(crate) async fn create(&self, user: &str, token: &str, params: &[(&str, &str)]) -> Resp {
        self.post(&format!("{user}/media"), token, params).await
    }

    async fn image(&self, user: &str, token: &str, file: &str) -> String {
        let url = self.media(file);
        let r = self
            .create(user, token, &[("image_url", &url), ("caption", "hello")])
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.id()
    }

    async fn publish(&self, user: &str, token: &str, container: &str) -> Resp {
        self.post(
            &format!("{user}/media_publish"),
            token,
            &[("creation_id", container)],
        )
        .await
    }

    async fn status(&self, container: &str, token: &str) -> String {
        let r = self
            .get(container, token, &[("fields", "status_code,status")])
            .await;
        r.body["status_code"].as_str().unwrap_or("").to_string()
    }
}

fn is_meta_time(s: &str) -> bool {
    // 2026-12-01T08:00:00+0000
    s.len() == 24 && s.ends_with("+0000") && s.as_bytes()[10] == b'T'
}

#[tokio::test]
async fn a_video_container_is_in_progress_then_finished_and_publishes_once() {
    let t = T::new(config()).await;
    let url = t.media("reel.mp4");
    let c = t
        .create(
            FB_USER,
            FB_TOKEN,
            &[
                ("media_type", "REELS"),
                ("video_url", &url),
                ("caption", "a reel"),
                ("share_to_feed", "true"),
            ],
        )
        .await
        .id();
    assert_eq!(t.status(&c, FB_TOKEN).await, "IN_PROGRESS");
    // Publishing before FINISHED: 9007 / 2207027, and nothing published.
    let early = t.publish(FB_USER, FB_TOKEN, &c).await;
    assert_eq!(
        early.err(),
        (400, Some(9007), Some(2207027)),
        "{}",
        early.body
    );
    assert!(t.s.published().is_empty());

    t.s.advance(Duration::from_secs(3));
    assert_eq!(t.status(&c, FB_TOKEN).await, "FINISHED");
    let media_id = t.publish(FB_USER, FB_TOKEN, &c).await.id();
    assert_eq!(t.status(&c, FB_TOKEN).await, "PUBLISHED");

    // Publishing the container again never makes a second media.
    let again = t.publish(FB_USER, FB_TOKEN, &c).await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert_eq!(t.s.published().len(), 1);

    let m = t
        .get(
            &media_id,
            FB_TOKEN,
            &[(
                "fields",
                "id,media_type,media_product_type,permalink,timestamp,caption,is_comment_enabled,shortcode",
            )],
        )
        .await;
    assert_eq!(m.body["media_type"], "VIDEO");
    assert_eq!(m.body["media_product_type"], "REELS");
    assert_eq!(m.body["caption"], "a reel");
    assert_eq!(m.body["is_comment_enabled"], true);
    let sc = m.body["shortcode"].as_str().unwrap();
    assert_eq!(
        m.body["permalink"],
        format!("https://www.instagram.com/reel/{sc}/")
    );
    assert!(
        is_meta_time(m.body["timestamp"].as_str().unwrap()),
        "{}",
        m.body
    );
    let p = &t.s.published()[0];
    assert_eq!(
        (p.id.as_str(), p.container_id.as_str()),
        (media_id.as_str(), c.as_str())
    );
    assert_eq!(
        p.params.get("share_to_feed").map(String::as_str),
        Some("true")
    );
}

#[tokio::test]
async fn images_are_fetched_and_checked_like_meta() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "square.jpg",
        "png-named.jpg",
        "wide.jpg",
        "rotated-tall.jpg",
        "rotated-wide.jpg",
        "mpo.jpg",
        "landscape.jpg",
        "portrait.jpg",
    ] {
        std::fs::copy(fixtures().join("media").join(f), dir.path().join(f)).unwrap();
    }
    let mut big = std::fs::read(fixtures().join("media/square.jpg")).unwrap();
    big.resize(8 * 1024 * 1024 + 1, 0);
    std::fs::write(dir.path().join("big.jpg"), big).unwrap();
    let t = T::new(ServerConfig {
        static_root: Some(dir.path().to_path_buf()),
        ..config()
    })
    .await;
    let t = &t;
    let try_image = |f: &'static str| {
        let url = if f.starts_with("http") {
            f.to_string()
        } else {
            t.media(f)
        };
        async move { t.create(FB_USER, FB_TOKEN, &[("image_url", &url)]).await }
    };
    for ok in [
        "square.jpg",
        "rotated-wide.jpg",
        "landscape.jpg",
        "portrait.jpg",
    ] {
        let r = try_image(ok).await;
        assert_eq!(r.status, 200, "{ok}: {}", r.body);
        // Images are ready at once.
        assert_eq!(t.status(&r.id(), FB_TOKEN).await, "FINISHED");
    }
    for (file, code, sub) in [
        ("missing.jpg", 9004, 2207052),
        ("https://example.com/a.jpg", 9004, 2207052),
        ("png-named.jpg", 36001, 2207005),
        ("mpo.jpg", 36001, 2207005),
        ("big.jpg", 36000, 2207004),
        ("wide.jpg", 36003, 2207009),
        // Stored 1920x1080, displayed upright after EXIF rotation.
        ("rotated-tall.jpg", 36003, 2207009),
    ] {
        let r = try_image(file).await;
        assert_eq!(r.err(), (400, Some(code), Some(sub)), "{file}: {}", r.body);
    }
    assert_eq!(
        t.s.containers().len(),
        4,
        "failed creations leave no container"
    );
    // The server fetched from the static host, as Meta's cURL does.
    assert!(t.s.media_requests().iter().any(|r| r.path == "/square.jpg"
        && r.headers
            .get("user-agent")
            .is_some_and(|u| u.contains("facebookexternalhit"))));
}

#[tokio::test]
async fn container_parameters_are_checked_per_post_type() {
    let t = T::new(config()).await;
    let img = t.media("square.jpg");
    let vid = t.media("reel.mp4");
    let story_vid = t.media("story-video.mp4");
    let long = "x".repeat(2201);
    let long_alt = "a".repeat(1001);
    let tags31 = (0..31)
        .map(|i| format!("#t{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let mentions21 = (0..21)
        .map(|i| format!("@u{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    // (what, parameters, code, subcode, what the message must name)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, i64, Option<i64>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "caption on a carousel item",
            vec![
                ("image_url", &img),
                ("is_carousel_item", "true"),
                ("caption", "x"),
            ],
            100,
            None,
            "caption",
        ),
        (
            "location on a carousel item",
            vec![
                ("image_url", &img),
                ("is_carousel_item", "true"),
                ("location_id", "1"),
            ],
            100,
            None,
            "location_id",
        ),
        (
            "collaborators on a carousel item",
            vec![
                ("image_url", &img),
                ("is_carousel_item", "true"),
                ("collaborators", "[\"a\"]"),
            ],
            100,
            None,
            "collaborators",
        ),
        (
            "caption on a story",
            vec![
                ("media_type", "STORIES"),
                ("image_url", &img),
                ("caption", "x"),
            ],
            100,
            None,
            "caption",
        ),
        (
            "collaborators on a story",
            vec![
                ("media_type", "STORIES"),
                ("image_url", &img),
                ("collaborators", "[\"a\"]"),
            ],
            100,
            None,
            "collaborators",
        ),
        (
            "cover_url on an image",
            vec![("image_url", &img), ("cover_url", &img)],
            100,
            None,
            "cover_url",
        ),
        (
            "share_to_feed on an image",
            vec![("image_url", &img), ("share_to_feed", "true")],
            100,
            None,
            "share_to_feed",
        ),
        (
            "alt_text on a reel",
            vec![
                ("media_type", "REELS"),
                ("video_url", &vid),
                ("alt_text", "x"),
            ],
            100,
            None,
            "alt_text",
        ),
        (
            "an unknown parameter",
            vec![("image_url", &img), ("colour", "red")],
            100,
            None,
            "colour",
        ),
        (
            "image_url on a reel",
            vec![("media_type", "REELS"), ("image_url", &img)],
            100,
            None,
            "image_url",
        ),
        (
            "VIDEO for a single post",
            vec![("media_type", "VIDEO"), ("video_url", &vid)],
            100,
            Some(2207023),
            "REELS",
        ),
        (
            "an unknown media type",
            vec![("media_type", "GIF"), ("image_url", &img)],
            100,
            Some(2207023),
            "GIF",
        ),
        (
            "a reel as a carousel item",
            vec![
                ("media_type", "REELS"),
                ("is_carousel_item", "true"),
                ("video_url", &vid),
            ],
            100,
            None,
            "is_carousel_item",
        ),
        (
            "video_url and resumable",
            vec![
                ("media_type", "REELS"),
                ("video_url", &vid),
                ("upload_type", "resumable"),
            ],
            100,
            None,
            "video_url",
        ),
        (
            "a reel without video",
            vec![("media_type", "REELS")],
            100,
            None,
            "video_url",
        ),
        (
            "an image without image_url",
            vec![("caption", "x")],
            100,
            None,
            "image_url",
        ),
        (
            "a caption over 2200",
            vec![("image_url", &img), ("caption", &long)],
            36004,
            Some(2207010),
            "2,200",
        ),
        (
            "31 hashtags",
            vec![("image_url", &img), ("caption", &tags31)],
            100,
            None,
            "hashtags",
        ),
        (
            "21 mentions",
            vec![("image_url", &img), ("caption", &mentions21)],
            100,
            Some(2207040),
            "20",
        ),
        (
            "user_tags not JSON",
            vec![("image_url", &img), ("user_tags", "someone")],
            100,
            None,
            "user_tags",
        ),
        (
            "user_tags x out of range",
            vec![
                ("image_url", &img),
                ("user_tags", "[{\"username\":\"a\",\"x\":1.2,\"y\":0.5}]"),
            ],
            100,
            None,
            "user_tags",
        ),
        (
            "user_tags without position on an image",
            vec![("image_url", &img), ("user_tags", "[{\"username\":\"a\"}]")],
            100,
            None,
            "user_tags",
        ),
        (
            "user_tags with position on a reel",
            vec![
                ("media_type", "REELS"),
                ("video_url", &vid),
                ("user_tags", "[{\"username\":\"a\",\"x\":0.5,\"y\":0.5}]"),
            ],
            100,
            None,
            "user_tags",
        ),
        (
            "collaborators with @",
            vec![("image_url", &img), ("collaborators", "[\"@a\"]")],
            100,
            None,
            "collaborators",
        ),
        (
            "four collaborators",
            vec![
                ("image_url", &img),
                ("collaborators", "[\"a\",\"b\",\"c\",\"d\"]"),
            ],
            100,
            None,
            "collaborators",
        ),
        (
            "collaborators not JSON",
            vec![("image_url", &img), ("collaborators", "a,b")],
            100,
            None,
            "collaborators",
        ),
        (
            "a bad thumb_offset",
            vec![
                ("media_type", "REELS"),
                ("video_url", &vid),
                ("thumb_offset", "soon"),
            ],
            1,
            Some(2207057),
            "thumb",
        ),
        (
            "alt_text over 1000",
            vec![("image_url", &img), ("alt_text", &long_alt)],
            100,
            None,
            "alt_text",
        ),
    ];
    for (what, params, code, sub, names) in cases {
        let r = t.create(FB_USER, FB_TOKEN, &params).await;
        assert_eq!(r.status, 400, "{what}: {}", r.body);
        assert_eq!((r.code(), r.sub()), (Some(code), sub), "{what}: {}", r.body);
        assert!(
            r.message().contains(names),
            "{what}: message should name {names}: {}",
            r.message()
        );
    }
    // And the documented shapes go through.
    for (what, params) in [
        (
            "image with everything",
            vec![
                ("image_url", img.as_str()),
                ("caption", "#a @b"),
                ("location_id", "110123456789"),
                ("user_tags", "[{\"username\":\"a\",\"x\":0.5,\"y\":0.4}]"),
                ("collaborators", "[\"partner\"]"),
                ("alt_text", "a mug"),
            ],
        ),
        (
            "carousel item image",
            vec![
                ("image_url", img.as_str()),
                ("is_carousel_item", "true"),
                ("user_tags", "[{\"username\":\"a\",\"x\":0.1,\"y\":0.9}]"),
                ("alt_text", "x"),
            ],
        ),
        (
            "carousel item video",
            vec![
                ("video_url", vid.as_str()),
                ("is_carousel_item", "true"),
                ("media_type", "VIDEO"),
            ],
        ),
        (
            "reel with everything",
            vec![
                ("media_type", "REELS"),
                ("video_url", vid.as_str()),
                ("caption", "x"),
                ("cover_url", img.as_str()),
                ("thumb_offset", "1000"),
                ("share_to_feed", "false"),
                ("audio_name", "Song"),
                ("user_tags", "[{\"username\":\"a\"}]"),
                ("collaborators", "[\"a\",\"b\",\"c\"]"),
                ("trial_params", "{\"graduation_strategy\":\"MANUAL\"}"),
            ],
        ),
        (
            "image story",
            vec![
                ("media_type", "STORIES"),
                ("image_url", img.as_str()),
                ("user_tags", "[{\"username\":\"a\",\"x\":0.5,\"y\":0.5}]"),
            ],
        ),
        (
            "video story",
            vec![("media_type", "STORIES"), ("video_url", story_vid.as_str())],
        ),
    ] {
        let r = t.create(FB_USER, FB_TOKEN, &params).await;
        assert_eq!(r.status, 200, "{what}: {}", r.body);
    }
    let recorded = t.s.containers();
    let reel = recorded.iter().find(|c| c.kind == "REELS").unwrap();
    assert_eq!(
        reel.params.get("audio_name").map(String::as_str),
        Some("Song")
    );
    assert!(!reel.params.contains_key("access_token"));
}

#[tokio::test]
async fn carousels_need_two_to_ten_finished_items_of_the_same_account() {
    let t = T::new(config()).await;
    let img = t.media("square.jpg");
    let item = |user: &'static str, token: &'static str| {
        let img = img.clone();
        let t = &t;
        async move {
            t.create(
                user,
                token,
                &[("image_url", &img), ("is_carousel_item", "true")],
            )
            .await
            .id()
        }
    };
    let a = item(FB_USER, FB_TOKEN).await;
    let b = item(FB_USER, FB_TOKEN).await;
    let foreign = item(OTHER_USER, OTHER_TOKEN).await;
    let single = t.image(FB_USER, FB_TOKEN, "square.jpg").await;
    let video = t
        .create(
            FB_USER,
            FB_TOKEN,
            &[
                ("video_url", &t.media("reel.mp4")),
                ("is_carousel_item", "true"),
                ("media_type", "VIDEO"),
            ],
        )
        .await
        .id();
    let parent = |children: String| {
        let t = &t;
        async move {
            t.create(
                FB_USER,
                FB_TOKEN,
                &[
                    ("media_type", "CAROUSEL"),
                    ("children", &children),
                    ("caption", "album"),
                ],
            )
            .await
        }
    };
    for (what, children) in [
        ("one child", a.clone()),
        ("eleven children", vec![a.clone(); 11].join(",")),
        ("a non-item child", format!("{a},{single}")),
        ("another account's child", format!("{a},{foreign}")),
        ("a missing child", format!("{a},17890000000000000")),
        ("a child listed twice", format!("{a},{a}")),
        ("a video child still processing", format!("{a},{video}")),
    ] {
        let r = parent(children).await;
        assert_eq!(
            r.err(),
            (400, Some(100), Some(2207028)),
            "{what}: {}",
            r.body
        );
    }
    t.s.advance(Duration::from_secs(3));
    let c = parent(format!("{a},{b},{video}")).await.id();
    let m = t.publish(FB_USER, FB_TOKEN, &c).await.id();
    let published = t.s.published();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].media_type, "CAROUSEL_ALBUM");
    assert_eq!(
        published[0].children_containers,
        vec![a.clone(), b.clone(), video.clone()]
    );
    assert_eq!(published[0].children.len(), 3);
    let kids = t
        .get(
            &format!("{m}/children"),
            FB_TOKEN,
            &[("fields", "id,media_type")],
        )
        .await;
    let types: Vec<&str> = kids.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["media_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["IMAGE", "IMAGE", "VIDEO"]);
    // A carousel item cannot be published on its own.
    let r = t.publish(FB_USER, FB_TOKEN, &single).await;
    assert_eq!(r.status, 200, "a single image publishes: {}", r.body);
    let before = t.s.published().len();
    let item2 = item(FB_USER, FB_TOKEN).await;
    assert_eq!(t.publish(FB_USER, FB_TOKEN, &item2).await.code(), Some(100));
    assert_eq!(t.s.published().len(), before);
}

#[tokio::test]
async fn videos_that_fail_processing_end_in_error_and_do_not_publish() {
    let t = T::new(config()).await;
    let reel = |url: String| {
        let t = &t;
        async move {
            t.create(
                FB_USER,
                FB_TOKEN,
                &[("media_type", "REELS"), ("video_url", &url)],
            )
            .await
            .id()
        }
    };
    t.s.inject(Fault::ProcessingError);
    let broken = reel(t.media("reel.mp4")).await;
    let missing = reel(t.media("nope.mp4")).await;
    let short = reel(t.media("reel-short.mp4")).await;
    let not_video = reel(t.media("square.jpg")).await;
    let fine = reel(t.media("reel.mp4")).await;
    for c in [&broken, &missing, &short, &not_video, &fine] {
        assert_eq!(t.status(c, FB_TOKEN).await, "IN_PROGRESS");
    }
    t.s.advance(Duration::from_secs(3));
    let status_text = |c: &String| {
        let t = &t;
        let c = c.clone();
        async move {
            let r = t
                .get(&c, FB_TOKEN, &[("fields", "status_code,status")])
                .await;
            (
                r.body["status_code"].as_str().unwrap().to_string(),
                r.body["status"].as_str().unwrap().to_string(),
            )
        }
    };
    for (c, sub) in [
        (&broken, "2207001"),
        (&missing, "2207052"),
        (&short, "2207026"),
        (&not_video, "2207026"),
    ] {
        let (code, text) = status_text(c).await;
        assert_eq!(code, "ERROR");
        assert!(text.contains(sub), "{text}");
        let r = t.publish(FB_USER, FB_TOKEN, c).await;
        assert_eq!(r.err(), (400, Some(9007), Some(2207027)));
    }
    assert_eq!(status_text(&fine).await.0, "FINISHED");
    assert!(t.s.published().is_empty());
}

#[tokio::test]
async fn containers_expire_after_24_hours() {
    let t = T::new(config()).await;
    let a = t.image(FB_USER, FB_TOKEN, "square.jpg").await;
    t.s.advance(Duration::from_secs(23 * 3600));
    assert_eq!(t.status(&a, FB_TOKEN).await, "FINISHED");
    t.s.advance(Duration::from_secs(3600));
    assert_eq!(t.status(&a, FB_TOKEN).await, "EXPIRED");
    let r = t.publish(FB_USER, FB_TOKEN, &a).await;
    assert_eq!(r.err(), (400, Some(-2), Some(2207020)), "{}", r.body);
    let r = t.publish(FB_USER, FB_TOKEN, "17890000000000099").await;
    assert_eq!(r.err(), (400, Some(24), Some(2207008)), "{}", r.body);
    // At most `container_limit` containers per rolling 24 h.
    let t2 = T::new(ServerConfig {
        container_limit: 2,
        ..config()
    })
    .await;
    t2.image(FB_USER, FB_TOKEN, "square.jpg").await;
    t2.image(FB_USER, FB_TOKEN, "square.jpg").await;
    let url = t2.media("square.jpg");
    let r = t2.create(FB_USER, FB_TOKEN, &[("image_url", &url)]).await;
    assert_eq!(r.err(), (400, Some(9), Some(2207042)), "{}", r.body);
    t2.s.advance(Duration::from_secs(86_400));
    t2.image(FB_USER, FB_TOKEN, "square.jpg").await;
    // ExpireContainers expires what exists, not what comes later.
    let b = t.image(FB_USER, FB_TOKEN, "square.jpg").await;
    t.s.inject(Fault::ExpireContainers);
    let c = t.image(FB_USER, FB_TOKEN, "square.jpg").await;
    assert_eq!(t.status(&b, FB_TOKEN).await, "EXPIRED");
    assert_eq!(t.status(&c, FB_TOKEN).await, "FINISHED");
}

#[tokio::test]
async fn the_publishing_quota_is_a_rolling_24_hours() {
    let t = T::new(ServerConfig {
        quota_total: 3,
        ..config()
    })
    .await;
    let limit = || async {
        let r = t
            .get(
                &format!("{FB_USER}/content_publishing_limit"),
                FB_TOKEN,
                &[("fields", "config,quota_usage")],
            )
            .await;
        let d = &r.body["data"][0];
        (
            d["quota_usage"].as_u64().unwrap(),
            d["config"]["quota_total"].as_u64().unwrap(),
            d["config"]["quota_duration"].as_u64().unwrap(),
        )
    };
    assert_eq!(limit().await, (0, 3, 86400));
    for _ in 0..3 {
        let c = t.image(FB_USER, FB_TOKEN, "square.jpg").await;
        t.publish(FB_USER, FB_TOKEN, &c).await.id();
    }
    assert_eq!(limit().await.0, 3);
    let c = t.image(FB_USER, FB_TOKEN, "square.jpg").await;
    let r = t.publish(FB_USER, FB_TOKEN, &c).await;
    assert_eq!(r.err(), (400, Some(9), Some(2207042)), "{}", r.body);
    // Another account has its own allowance.
    let o = t.image(OTHER_USER, OTHER_TOKEN, "square.jpg").await;
    assert_eq!(t.publish(OTHER_USER, OTHER_TOKEN, &o).await.status, 200);
    // A day later the window is empty again; set_quota_usage adds on top.
    t.s.advance(Duration::from_secs(86_401));
    assert_eq!(limit().await.0, 0);
    t.s.set_quota_usage(FB_USER, 3);
    assert_eq!(limit().await.0, 3);
    let c = t.image(FB_USER, FB_TOKEN, "square.jpg").await;
    assert_eq!(t.publish(FB_USER, FB_TOKEN, &c).await.code(), Some(9));
    t.s.set_quota_usage(FB_USER, 0);
    assert_eq!(t.publish(FB_USER, FB_TOKEN, &c).await.status, 200);
    // The default field is quota_usage only.
    let r = t
        .get(
            &format!("{FB_USER}/content_publishing_limit"),
            FB_TOKEN,
            &[],
        )
        .await;
    assert!(r.body["data"][0].get("config").is_none(), "{}", r.body);
}

#[tokio::test]
async fn media_lists_newest_first_with_cursor_paging_and_stories_apart() {
    let t = T::new(config()).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let url = t.media("square.jpg");
        let caption = format!("post {i}");
        let c = t
            .create(
                FB_USER,
                FB_TOKEN,
                &[("image_url", &url), ("caption", &caption)],
            )
            .await
            .id();
        ids.push(t.publish(FB_USER, FB_TOKEN, &c).await.id());
        t.s.advance(Duration::from_secs(60));
    }
    let story = t
        .create(
            FB_USER,
            FB_TOKEN,
            &[
                ("media_type", "STORIES"),
                ("image_url", &t.media("story.jpg")),
            ],
        )
        .await
        .id();
    let story_media = t.publish(FB_USER, FB_TOKEN, &story).await.id();
    let page = |after: Option<String>| {
        let t = &t;
        async move {
            let mut q = vec![("fields", "id,caption,media_product_type"), ("limit", "2")];
            let a;
            if let Some(c) = after {
                a = c;
                q.push(("after", a.as_str()));
            }
            t.get(&format!("{FB_USER}/media"), FB_TOKEN, &q).await.body
        }
    };
    let p1 = page(None).await;
    let got: Vec<&str> = p1["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[4].as_str(), ids[3].as_str()]);
    assert_eq!(p1["data"][0]["caption"], "post 4");
    let next = p1["paging"]["next"].as_str().expect("next on a full page");
    assert!(next.starts_with(&t.s.base_url()), "{next}");
    let after = p1["paging"]["cursors"]["after"]
        .as_str()
        .unwrap()
        .to_string();
    let p2 = page(Some(after)).await;
    assert_eq!(p2["data"][0]["id"], ids[2].as_str());
    let after = p2["paging"]["cursors"]["after"]
        .as_str()
        .unwrap()
        .to_string();
    let p3 = page(Some(after)).await;
    assert_eq!(p3["data"].as_array().unwrap().len(), 1);
    assert_eq!(p3["data"][0]["id"], ids[0].as_str());
    assert!(
        p3["paging"].get("next").is_none(),
        "last page has no next: {p3}"
    );
    // Following `next` as given works too.
    let r: Value = t.http.get(next).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["data"][0]["id"], ids[2].as_str());
    // Stories are not in /media but in /stories.
    let all = t
        .get(&format!("{FB_USER}/media"), FB_TOKEN, &[("limit", "100")])
        .await
        .body;
    assert!(!all["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == story_media.as_str()));
    assert_eq!(
        all["data"][0],
        serde_json::json!({"id": ids[4]}),
        "default field is id"
    );
    let stories = t
        .get(
            &format!("{FB_USER}/stories"),
            FB_TOKEN,
            &[("fields", "id,media_product_type")],
        )
        .await
        .body;
    assert_eq!(stories["data"][0]["id"], story_media.as_str());
    assert_eq!(stories["data"][0]["media_product_type"], "STORY");
    // Unknown fields are refused, as Meta does.
    let r = t
        .get(
            &format!("{FB_USER}/media"),
            FB_TOKEN,
            &[("fields", "id,colour")],
        )
        .await;
    assert_eq!(r.code(), Some(100));
    assert!(r.message().contains("colour"));
    // Another account sees none of it.
    let r = t.get(&format!("{FB_USER}/media"), OTHER_TOKEN, &[]).await;
    assert_eq!(r.err(), (400, Some(100), Some(33)));
}

#[tokio::test]
async fn comments_and_the_comment_switch() {
    let t = T::new(config()).await;
    let c = t.image(FB_USER, FB_TOKEN, "square.jpg").await;
    let m = t.publish(FB_USER, FB_TOKEN, &c).await.id();
    let cid = t
        .post(&format!("{m}/comments"), FB_TOKEN, &[("message", "#first")])
        .await
        .id();
    let other = t.s.add_comment(&m, "fan", "nice");
    let list = t
        .get(
            &format!("{m}/comments"),
            FB_TOKEN,
            &[("fields", "id,text,username")],
        )
        .await
        .body;
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["id"], other.as_str(), "newest first");
    assert_eq!(
        data[1],
        serde_json::json!({"id": cid, "text": "#first", "username": "brand"})
    );
    let stored = t.s.comments(&m);
    assert_eq!(
        (stored[0].text.as_str(), stored[0].username.as_str()),
        ("#first", "brand")
    );

    let off = t.post(&m, FB_TOKEN, &[("comment_enabled", "false")]).await;
    assert_eq!(off.body, serde_json::json!({"success": true}));
    assert!(!t.s.published()[0].comment_enabled);
    let r = t
        .post(&format!("{m}/comments"), FB_TOKEN, &[("message", "x")])
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let f = t
        .get(
            &m,
            FB_TOKEN,
            &[("fields", "is_comment_enabled,comments_count")],
        )
        .await;
    assert_eq!(
        (
            f.body["is_comment_enabled"].clone(),
            f.body["comments_count"].clone()
        ),
        (Value::Bool(false), serde_json::json!(2))
    );
    assert_eq!(
        t.post(&m, FB_TOKEN, &[("comment_enabled", "true")])
            .await
            .status,
        200
    );
    assert_eq!(
        t.post(&format!("{m}/comments"), FB_TOKEN, &[("message", "x")])
            .await
            .status,
        200
    );
    // Captions cannot be edited.
    let r = t.post(&m, FB_TOKEN, &[("caption", "new")]).await;
    assert_eq!(r.code(), Some(100));
    assert!(r.message().contains("caption"));
    // An empty comment is refused.
    assert_eq!(
        t.post(&format!("{m}/comments"), FB_TOKEN, &[("message", "")])
            .await
            .code(),
        Some(100)
    );
}

#[tokio::test]
async fn deleting_needs_facebook_login_and_instagram_manage_contents() {
    let t = T::new(config()).await;
    let ig = t.image(IG_USER, IG_TOKEN, "square.jpg").await;
    let ig_media = t.publish(IG_USER, IG_TOKEN, &ig).await.id();
    let r = t.call("DELETE", &ig_media, Some(IG_TOKEN), &[]).await;
    assert_eq!(r.err(), (400, Some(100), Some(33)), "{}", r.body);
    assert!(!t.s.published()[0].deleted);

    let fb = t.image(FB_USER, FB_TOKEN, "square.jpg").await;
    let fb_media = t.publish(FB_USER, FB_TOKEN, &fb).await.id();
    let narrow = "EAAB-narrow";
    t.s.add_token(FB_USER, narrow, None, 0, Login::Facebook.publish_scopes());
    let r = t.call("DELETE", &fb_media, Some(narrow), &[]).await;
    assert_eq!(r.err(), (403, Some(10), None), "{}", r.body);
    assert!(r.message().contains("instagram_manage_contents"));

    let r = t.call("DELETE", &fb_media, Some(FB_TOKEN), &[]).await;
    assert_eq!(
        r.body,
        serde_json::json!({"success": true, "deleted_id": fb_media})
    );
    assert!(t.s.published()[1].deleted);
    let list = t.get(&format!("{FB_USER}/media"), FB_TOKEN, &[]).await.body;
    assert_eq!(list["data"], serde_json::json!([]));
    assert_eq!(
        t.get(&fb_media, FB_TOKEN, &[]).await.err(),
        (400, Some(100), Some(33))
    );
    // Deleting does not give the publish back.
    let r = t
        .get(
            &format!("{FB_USER}/content_publishing_limit"),
            FB_TOKEN,
            &[],
        )
        .await;
    assert_eq!(r.body["data"][0]["quota_usage"], 1);
}

#[tokio::test]
async fn resumable_uploads_take_oauth_and_resume_from_what_arrived() {
    let t = T::new(config()).await;
    let bytes = std::fs::read(fixtures().join("media/reel.mp4")).unwrap();
    // Instagram Login has no resumable upload.
    let r = t
        .create(
            IG_USER,
            IG_TOKEN,
            &[("media_type", "REELS"), ("upload_type", "resumable")],
        )
        .await;
    assert_eq!(r.code(), Some(100));
    assert!(r.message().contains("upload_type"));

    let created = t
        .create(
            FB_USER,
            FB_TOKEN,
            &[
                ("media_type", "REELS"),
                ("upload_type", "resumable"),
                ("caption", "up"),
            ],
        )
        .await;
    let id = created.id();
    let uri = created.body["uri"].as_str().unwrap().to_string();
    assert_eq!(
        uri,
        format!("{}/ig-api-upload/v24.0/{id}", t.s.upload_url())
    );
    assert_ne!(
        t.s.upload_url(),
        t.s.base_url(),
        "the upload host is its own host"
    );

    let send = |auth: String, offset: usize, chunk: Vec<u8>| {
        let t = &t;
        let uri = uri.clone();
        let total = bytes.len();
        async move {
            let r = t
                .http
                .post(uri)
                .header("Authorization", auth)
                .header("offset", offset.to_string())
                .header("file_size", total.to_string())
                .body(chunk)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    // Bearer is refused on the upload host, in its own error shape.
    let (status, body) = send(format!("Bearer {FB_TOKEN}"), 0, bytes.clone()).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["debug_info"]["type"], "AuthError");

    let half = bytes.len() / 2;
    let (status, body) = send(format!("OAuth {FB_TOKEN}"), 0, bytes[..half].to_vec()).await;
    assert_eq!(
        (status, body["success"].clone()),
        (200, Value::Bool(true)),
        "{body}"
    );
    let vs = t
        .get(&id, FB_TOKEN, &[("fields", "video_status")])
        .await
        .body;
    assert_eq!(
        vs["video_status"]["uploading_phase"]["bytes_transferred"],
        half as u64
    );
    assert_eq!(
        vs["video_status"]["uploading_phase"]["status"],
        "in_progress"
    );
    assert_eq!(
        vs["video_status"]["processing_phase"]["status"],
        "not_started"
    );
    assert_eq!(t.status(&id, FB_TOKEN).await, "IN_PROGRESS");
    // An offset past what arrived is refused.
    let (status, _) = send(
        format!("OAuth {FB_TOKEN}"),
        half + 10,
        bytes[half + 10..].to_vec(),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = send(format!("OAuth {FB_TOKEN}"), half, bytes[half..].to_vec()).await;
    assert_eq!(status, 200);
    let vs = t
        .get(&id, FB_TOKEN, &[("fields", "video_status,status_code")])
        .await
        .body;
    assert_eq!(vs["video_status"]["uploading_phase"]["status"], "complete");
    assert_eq!(
        vs["status_code"], "IN_PROGRESS",
        "processing follows the upload"
    );
    t.s.advance(Duration::from_secs(3));
    assert_eq!(t.status(&id, FB_TOKEN).await, "FINISHED");
    let m = t.publish(FB_USER, FB_TOKEN, &id).await.id();
    assert_eq!(t.s.published()[0].id, m);
    let c = &t.s.containers()[0];
    assert_eq!(
        c.uploaded,
        Some((bytes.len() as u64, Some(bytes.len() as u64)))
    );
    let uploads: Vec<_> =
        t.s.requests()
            .into_iter()
            .filter(|r| r.host == Host::Upload)
            .collect();
    assert_eq!(uploads.len(), 4);

    // `file_url` instead of bytes: the upload host fetches it.
    let by_url = t
        .create(
            FB_USER,
            FB_TOKEN,
            &[("media_type", "REELS"), ("upload_type", "resumable")],
        )
        .await;
    let r = t
        .http
        .post(by_url.body["uri"].as_str().unwrap())
        .header("Authorization", format!("OAuth {FB_TOKEN}"))
        .header("file_url", t.media("reel.mp4"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    t.s.advance(Duration::from_secs(3));
    assert_eq!(t.status(&by_url.id(), FB_TOKEN).await, "FINISHED");

    // A file cut short (declared whole at 3000 bytes) processes into ERROR.
    let cut = t
        .create(
            FB_USER,
            FB_TOKEN,
            &[("media_type", "REELS"), ("upload_type", "resumable")],
        )
        .await;
    let r = t
        .http
        .post(cut.body["uri"].as_str().unwrap())
        .header("Authorization", format!("OAuth {FB_TOKEN}"))
        .header("offset", "0")
        .header("file_size", "3000")
        .body(bytes[..3000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    t.s.advance(Duration::from_secs(3));
    assert_eq!(t.status(&cut.id(), FB_TOKEN).await, "ERROR");
}

#[tokio::test]
async fn tokens_scopes_proofs_and_accounts_are_checked() {
    let secret = "app-secret";
    let t = T::new(ServerConfig {
        app_id: Some("1234".into()),
        app_secret: Some(secret.into()),
        ..config()
    })
    .await;
    let proof = crate::graph::appsecret_proof(secret, FB_TOKEN);
    let me = FB_USER.to_string();
    let r = t.call("GET", &me, None, &[]).await;
    assert_eq!(r.err(), (400, Some(104), None), "{}", r.body);
    let r = t
        .call(
            "GET",
            &me,
            Some("EAAB-unknown"),
            &[("appsecret_proof", &proof)],
        )
        .await;
    assert_eq!(r.err(), (400, Some(190), Some(467)), "{}", r.body);
    assert!(r.header("www-authenticate").is_some());
    // Require App Secret: missing and wrong proofs are code 100.
    let r = t.get(&me, FB_TOKEN, &[]).await;
    assert_eq!(r.err(), (400, Some(100), None), "{}", r.body);
    assert!(r.message().contains("appsecret_proof"));
    let r = t.get(&me, FB_TOKEN, &[("appsecret_proof", "00")]).await;
    assert_eq!(r.code(), Some(100));
    let r = t
        .get(
            &me,
            FB_TOKEN,
            &[("appsecret_proof", &proof), ("fields", "id,username")],
        )
        .await;
    assert_eq!(
        r.body,
        serde_json::json!({"id": FB_USER, "username": "brand"})
    );
    // The time-bound form.
    let now = t.s.now().to_string();
    let timed = crate::graph::appsecret_proof(secret, &format!("{FB_TOKEN}|{now}"));
    let r = t
        .get(
            &me,
            FB_TOKEN,
            &[("appsecret_proof", &timed), ("appsecret_time", &now)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Another account's id in the path: 100/33.
    let img = t.media("square.jpg");
    let r = t
        .create(
            OTHER_USER,
            FB_TOKEN,
            &[("image_url", &img), ("appsecret_proof", &proof)],
        )
        .await;
    assert_eq!(r.err(), (400, Some(100), Some(33)), "{}", r.body);
    assert!(r.message().contains(OTHER_USER));
    // A token without the publishing scope: code 10 naming it, HTTP 403.
    let reader = "EAAB-reader";
    t.s.add_token(
        FB_USER,
        reader,
        None,
        0,
        vec!["instagram_basic".into(), "pages_show_list".into()],
    );
    let rp = crate::graph::appsecret_proof(secret, reader);
    let r = t
        .create(
            FB_USER,
            reader,
            &[("image_url", &img), ("appsecret_proof", &rp)],
        )
        .await;
    assert_eq!(r.err(), (403, Some(10), None), "{}", r.body);
    assert!(r.message().contains("instagram_content_publish"));
    // Expired tokens: 190/463 once the virtual clock passes expiry.
    let short = "EAAB-short";
    t.s.add_token(
        FB_USER,
        short,
        Some(t.s.now() + 3600),
        t.s.now(),
        Login::Facebook.all_scopes(),
    );
    let sp = crate::graph::appsecret_proof(secret, short);
    assert_eq!(
        t.get(&me, short, &[("appsecret_proof", &sp)]).await.status,
        200
    );
    t.s.advance(Duration::from_secs(3601));
    let r = t.get(&me, short, &[("appsecret_proof", &sp)]).await;
    assert_eq!(r.err(), (400, Some(190), Some(463)), "{}", r.body);
    // A token in the URL works, as with Meta, and is recorded as such.
    let r = t
        .call(
            "GET",
            &me,
            None,
            &[("access_token", FB_TOKEN), ("appsecret_proof", &proof)],
        )
        .await;
    assert_eq!(r.status, 200);
    let recs = t.s.requests();
    assert!(recs.last().unwrap().token_in_params);
    assert!(!recs[recs.len() - 2].token_in_params);
    assert_eq!(recs.last().unwrap().user_id.as_deref(), Some(FB_USER));

    // Without "Require App Secret", a missing proof is fine, a wrong one not.
    let t = T::new(ServerConfig {
        app_secret: Some(secret.into()),
        require_appsecret_proof: false,
        ..config()
    })
    .await;
    assert_eq!(t.get(&me, FB_TOKEN, &[]).await.status, 200);
    assert_eq!(
        t.get(&me, FB_TOKEN, &[("appsecret_proof", "00")])
            .await
            .code(),
        Some(100)
    );
}

#[tokio::test]
async fn injected_faults_fire_once_where_they_match() {
    let t = T::new(config()).await;
    let effects = Arc::new(Mutex::new(Vec::new()));
    let seen = effects.clone();
    t.s.set_after_effect_hook(move |e| seen.lock().unwrap().push(e.clone()));

    // 500 before the effect: nothing published, then the retry works.
    let c = t.image(FB_USER, FB_TOKEN, "square.jpg").await;
    t.s.inject(Fault::Http500BeforeEffect {
        path_contains: "media_publish".into(),
    });
    let r = t.publish(FB_USER, FB_TOKEN, &c).await;
    assert_eq!(r.err(), (500, Some(1), None));
    assert_eq!(r.body["error"]["is_transient"], true);
    assert!(t.s.published().is_empty());

    // Dropped after the effect: the post is live, the answer never came.
    t.s.inject(Fault::DropAfterEffect {
        path_contains: "POST */media_publish$".into(),
    });
    let lost = t
        .http
        .post(format!("{}/v24.0/{FB_USER}/media_publish", t.s.base_url()))
        .header("Authorization", format!("Bearer {FB_TOKEN}"))
        .form(&[("creation_id", c.as_str())])
        .send()
        .await;
    assert!(lost.is_err(), "no response: {lost:?}");
    assert_eq!(t.s.published().len(), 1);
    assert_eq!(t.status(&c, FB_TOKEN).await, "PUBLISHED");
    let rec =
        t.s.requests()
            .into_iter()
            .rev()
            .find(|r| r.path.ends_with("media_publish"))
            .unwrap();
    assert!(rec.dropped);
    assert_eq!(rec.fault.as_deref(), Some("DropAfterEffect"));
    let fx = effects.lock().unwrap().clone();
    assert!(
        matches!(fx.last(), Some(Effect::Published { container_id, .. }) if *container_id == c),
        "{fx:?}"
    );

    // `$` anchors: container creation matches, media_publish does not.
    let c2 = t.image(FB_USER, FB_TOKEN, "landscape.jpg").await;
    t.s.inject(Fault::DropBeforeEffect {
        path_contains: "POST */media$".into(),
    });
    let before = t.s.containers().len();
    let lost = t
        .http
        .post(format!("{}/v24.0/{FB_USER}/media", t.s.base_url()))
        .header("Authorization", format!("Bearer {FB_TOKEN}"))
        .form(&[("image_url", t.media("square.jpg"))])
        .send()
        .await;
    assert!(lost.is_err());
    assert_eq!(t.s.containers().len(), before, "dropped before the effect");
    assert_eq!(t.publish(FB_USER, FB_TOKEN, &c2).await.status, 200);

    // A Meta error injected twice, then gone.
    t.s.inject_times(
        Fault::MetaError {
            path_contains: "GET ".into(),
            code: -1,
            subcode: Some(2207001),
            transient: true,
        },
        2,
    );
    for _ in 0..2 {
        let r = t.get(&c2, FB_TOKEN, &[]).await;
        assert_eq!(r.err(), (400, Some(-1), Some(2207001)));
    }
    assert_eq!(t.get(&c2, FB_TOKEN, &[]).await.status, 200);

    // Latency is real time.
    t.s.inject(Fault::Latency {
        path_contains: "".into(),
        ms: 150,
    });
    let start = Instant::now();
    assert_eq!(t.get(&c2, FB_TOKEN, &[]).await.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(150));

    // A proxy's error page is not JSON.
    t.s.inject(Fault::BareStatus {
        path_contains: "".into(),
        status: 502,
    });
    let r = t.get(&c2, FB_TOKEN, &[]).await;
    assert_eq!(r.status, 502);
    assert!(r.body.is_string());
}

#[tokio::test]
async fn usage_headers_rise_and_rate_limits_block_until_regained() {
    let t = T::new(ServerConfig {
        usage_step_pct: 10,
        ..config()
    })
    .await;
    let buc = |r: &Resp| -> Value {
        let h: Value =
            serde_json::from_str(&r.header("x-business-use-case-usage").unwrap()).unwrap();
        h[FB_USER][0].clone()
    };
    let r1 = t.get(FB_USER, FB_TOKEN, &[]).await;
    let r2 = t.get(FB_USER, FB_TOKEN, &[]).await;
    assert_eq!(buc(&r1)["call_count"], 10);
    assert_eq!(buc(&r2)["call_count"], 20);
    assert_eq!(buc(&r2)["type"], "instagram");
    let app: Value = serde_json::from_str(&r2.header("x-app-usage").unwrap()).unwrap();
    assert!(app["call_count"].as_u64().unwrap() >= 20);
    // Errors carry the headers too.
    let e = t.get("17890000000000001", FB_TOKEN, &[]).await;
    assert_eq!(e.status, 400);
    assert!(e.header("x-business-use-case-usage").is_some());

    t.s.inject(Fault::RateLimit {
        path_contains: "".into(),
        code: 80002,
        usage_pct: 105,
        regain_minutes: 2,
    });
    let r = t.get(FB_USER, FB_TOKEN, &[]).await;
    assert_eq!(r.code(), Some(80002));
    assert_eq!(buc(&r)["call_count"], 105);
    assert_eq!(buc(&r)["estimated_time_to_regain_access"], 2);
    let until = t.s.throttled_until(FB_USER).unwrap();
    // Still blocked, and calling meanwhile extends the block.
    let r = t.get(FB_USER, FB_TOKEN, &[]).await;
    assert_eq!(r.code(), Some(80002));
    assert!(t.s.throttled_until(FB_USER).unwrap() > until);
    assert!(buc(&r)["estimated_time_to_regain_access"].as_u64().unwrap() >= 2);
    // Other accounts are not blocked.
    assert_eq!(t.get(IG_USER, IG_TOKEN, &[]).await.status, 200);
    t.s.advance(Duration::from_secs(10 * 60));
    let r = t.get(FB_USER, FB_TOKEN, &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(buc(&r)["estimated_time_to_regain_access"], 0);

    // With enforcement on, the headers reaching 100 % block the account.
    let t = T::new(ServerConfig {
        usage_step_pct: 25,
        throttle_at_limit: true,
        ..config()
    })
    .await;
    let codes: Vec<Option<i64>> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(t.get(FB_USER, FB_TOKEN, &[]).await.code());
        }
        v
    };
    assert_eq!(codes, [None, None, None, Some(80002)]);
    t.s.advance(Duration::from_secs(3700));
    assert_eq!(t.get(FB_USER, FB_TOKEN, &[]).await.status, 200);
}

#[tokio::test]
async fn seeded_faults_are_reproducible() {
    async fn run(seed: u64) -> Vec<Option<String>> {
        let t = T::new(config()).await;
        t.s.set_faults_seeded(seed, 0.5);
        for _ in 0..40 {
            let _ = t
                .http
                .get(format!("{}/v24.0/{FB_USER}", t.s.base_url()))
                .header("Authorization", format!("Bearer {FB_TOKEN}"))
                .timeout(Duration::from_secs(5))
                .send()
                .await;
        }
        t.s.requests().into_iter().map(|r| r.fault).collect()
    }
    let a = run(7).await;
    let b = run(7).await;
    let c = run(8).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    let hit = a.iter().flatten().count();
    assert!((8..=32).contains(&hit), "about half: {hit}");
    let kinds: std::collections::BTreeSet<String> = a
        .iter()
        .chain(c.iter())
        .flatten()
        .map(|f| f.split('(').next().unwrap().to_string())
        .collect();
    for k in [
        "Http500BeforeEffect",
        "DropAfterEffect",
        "RateLimit",
        "Latency",
        "MetaError",
    ] {
        assert!(kinds.contains(k), "{k} in {kinds:?}");
    }
}

#[tokio::test]
async fn token_endpoints_refresh_exchange_and_debug() {
    let t = T::new(ServerConfig {
        app_id: Some("1234".into()),
        app_secret: Some("sekret".into()),
        ..config()
    })
    .await;
    let base = t.s.base_url();
    // Instagram refresh: unversioned path, token in the header.
    let young = "IGAA-young";
    t.s.add_token(
        IG_USER,
        young,
        Some(t.s.now() + 3600),
        t.s.now() - 600,
        Login::Instagram.all_scopes(),
    );
    let refresh = |token: &'static str| {
        let t = &t;
        let base = base.clone();
        async move {
            let r = t
                .http
                .get(format!("{base}/refresh_access_token"))
                .query(&[("grant_type", "ig_refresh_token")])
                .header("Authorization", format!("Bearer {token}"))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, b) = refresh(young).await;
    assert_eq!((s, b["error"]["code"].as_i64()), (400, Some(100)), "{b}");
    let (s, b) = refresh(IG_TOKEN).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["token_type"], "bearer");
    assert_eq!(b["expires_in"], 5_184_000);
    let new = b["access_token"].as_str().unwrap().to_string();
    let info = t.s.token_info(&new).unwrap();
    assert_eq!(info.user_id, IG_USER);
    assert_eq!(info.expires_at, Some(t.s.now() + 5_184_000));
    // (app secret is required for Graph calls here)
    let p = crate::graph::appsecret_proof("sekret", &new);
    let me = t
        .get(
            "me",
            &new,
            &[("fields", "user_id,username"), ("appsecret_proof", &p)],
        )
        .await;
    assert_eq!(me.body["user_id"], IG_USER, "{}", me.body);

    // Instagram exchange: POST with method=GET, secret in the body.
    let exch = |secret: &'static str| {
        let t = &t;
        let base = base.clone();
        async move {
            let r = t
                .http
                .post(format!("{base}/access_token"))
                .header("Authorization", format!("Bearer {young}"))
                .form(&[
                    ("grant_type", "ig_exchange_token"),
                    ("client_secret", secret),
                    ("method", "GET"),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, b) = exch("wrong").await;
    assert_eq!((s, b["error"]["code"].as_i64()), (400, Some(1)), "{b}");
    let (s, b) = exch("sekret").await;
    assert_eq!(s, 200, "{b}");
    assert!(t
        .s
        .token_info(b["access_token"].as_str().unwrap())
        .is_some());

    // Facebook exchange.
    let fb = |id: &'static str, secret: &'static str| {
        let t = &t;
        let base = base.clone();
        async move {
            let r = t
                .http
                .post(format!("{base}/v24.0/oauth/access_token"))
                .form(&[
                    ("grant_type", "fb_exchange_token"),
                    ("client_id", id),
                    ("client_secret", secret),
                    ("fb_exchange_token", FB_TOKEN),
                    ("method", "GET"),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(fb("999", "sekret").await.1["error"]["code"], 101);
    assert_eq!(fb("1234", "nope").await.1["error"]["code"], 1);
    let (s, b) = fb("1234", "sekret").await;
    assert_eq!(s, 200, "{b}");
    let long = b["access_token"].as_str().unwrap().to_string();
    assert_eq!(t.s.token_info(&long).unwrap().user_id, FB_USER);

    // debug_token with the app token.
    let debug = |app: &'static str, input: String| {
        let t = &t;
        let base = base.clone();
        async move {
            let r = t
                .http
                .post(format!("{base}/v24.0/debug_token"))
                .header("Authorization", format!("Bearer {app}"))
                .form(&[("input_token", input.as_str()), ("method", "GET")])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, b) = debug("1234|sekret", long.clone()).await;
    assert_eq!(s, 200, "{b}");
    let d = &b["data"];
    assert_eq!(d["is_valid"], true);
    assert_eq!(d["type"], "USER");
    assert_eq!(d["app_id"], "1234");
    assert!(d["expires_at"].as_i64().unwrap() > t.s.now());
    assert!(d["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "instagram_content_publish"));
    let (_, b) = debug("1234|sekret", FB_TOKEN.into()).await;
    assert_eq!(b["data"]["expires_at"], 0, "never expires");
    let (_, b) = debug("1234|sekret", "garbage".into()).await;
    assert_eq!(b["data"]["is_valid"], false);
    assert_eq!(
        debug("1234|wrong", long.clone()).await.1["error"]["code"],
        190
    );
    t.s.advance(Duration::from_secs(5_184_000));
    let (_, b) = debug("1234|sekret", long).await;
    assert_eq!(b["data"]["is_valid"], false);
    assert_eq!(b["data"]["error"]["subcode"], 463);
}

#[tokio::test]
async fn the_static_host_serves_head_ranges_and_nothing_outside_its_root() {
    let t = T::new(config()).await;
    let url = t.media("square.jpg");
    let size = std::fs::metadata(fixtures().join("media/square.jpg"))
        .unwrap()
        .len();
    let head = t.http.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], size.to_string().as_str());
    assert_eq!(head.headers()["content-type"], "image/jpeg");
    let r = t
        .http
        .get(&url)
        .header("Range", "bytes=0-0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 0-0/{size}").as_str()
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &[0xFF]);
    let r = t
        .http
        .get(&url)
        .header("Range", "bytes=-2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), &[0xFF, 0xD9]);
    let r = t
        .http
        .get(&url)
        .header("Range", format!("bytes={size}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(
        t.http
            .get(t.media("nope.jpg"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // escape.jpg is a symlink out of the root.
    assert_eq!(
        t.http
            .get(t.media("escape.jpg"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        t.http
            .get(t.media("../postwright.toml"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(t.s.media_requests().len(), 7);
    assert!(t.s.requests().is_empty(), "static requests are kept apart");
}

#[test]
fn start_blocking_serves_sync_tests_from_its_own_thread() {
    let s = GraphServer::start_blocking(config());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = rt.block_on(async {
        client()
            .get(format!("{}/v24.0/me?fields=username", s.base_url()))
            .header("Authorization", format!("Bearer {IG_TOKEN}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    let v: Value = serde_json::from_str(&body).unwrap();
    // Instagram Login: `id` is the Instagram-scoped id, not the account's.
    assert_eq!(
        v,
        serde_json::json!({"id": crate::graph::scoped_id(IG_USER), "username": "igbrand"})
    );
    // It stops when the last handle goes.
    let url = s.base_url();
    drop(s);
    std::thread::sleep(Duration::from_millis(100));
    assert!(std::net::TcpStream::connect(url.trim_start_matches("http://")).is_err());
}
