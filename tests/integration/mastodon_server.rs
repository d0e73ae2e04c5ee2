//! The Mastodon test server (tests/integration/mastodon) checked with plain
//! HTTP calls: each behaviour postwright's client relies on, answered as
//! Mastodon's documentation and code say.

use crate::mastodon::client::{header, Client};
use crate::mastodon::{Fault, MastodonConfig, MastodonServer, TOKEN, TOKEN_NO_MEDIA};
use serde_json::{json, Value};
use std::time::Duration;

const NOT_READY: &str =
    "Cannot attach files that have not finished processing. Try again in a moment!";

async fn server(cfg: MastodonConfig) -> (MastodonServer, Client) {
    let server = MastodonServer::start(cfg).await;
    let client = Client::new(&server);
    (server, client)
}

/// ISO 8601 `n` seconds after the server's virtual now.
fn at(server: &MastodonServer, secs: i64) -> String {
    let ms = server.now_ms() + secs * 1000;
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

#[tokio::test]
async fn tokens_and_scopes_are_checked_with_mastodons_error_bodies() {
    let (_server, c) = server(MastodonConfig::default()).await;
    let (s, v, _) = c
        .get("/api/v1/accounts/verify_credentials", Some(TOKEN))
        .await;
    assert_eq!((s, v["username"].as_str()), (200, Some("kiln")));
    for token in [None, Some("not-a-token")] {
        let (s, v, _) = c.get("/api/v1/accounts/verify_credentials", token).await;
        assert_eq!(
            (s, v),
            (401, json!({"error": "The access token is invalid"}))
        );
    }
    let (s, v, _) = c.upload(TOKEN_NO_MEDIA, "image/png", b"png", "").await;
    assert_eq!(
        (s, v),
        (
            403,
            json!({"error": "This action is outside the authorized scopes"})
        )
    );
    let (s, _, _) = c.upload(TOKEN, "image/png", b"png", "").await;
    assert_eq!(s, 200, "`write` covers write:media");
}

#[tokio::test]
async fn the_instance_reports_the_configured_limits() {
    let cfg = MastodonConfig {
        max_characters: 1_000,
        max_media_attachments: 6,
        supported_mime_types: vec!["image/png".into()],
        ..MastodonConfig::default()
    };
    let (_server, c) = server(cfg).await;
    let (s, v, _) = c.get("/api/v2/instance", None).await;
    assert_eq!(s, 200);
    let conf = &v["configuration"];
    assert_eq!(conf["statuses"]["max_characters"], 1_000);
    assert_eq!(conf["statuses"]["max_media_attachments"], 6);
    assert_eq!(conf["statuses"]["characters_reserved_per_url"], 23);
    assert_eq!(
        conf["media_attachments"]["supported_mime_types"],
        json!(["image/png"])
    );
    assert_eq!(conf["media_attachments"]["description_limit"], 1_500);
    assert_eq!(
        conf["media_attachments"]["image_size_limit"],
        16 * 1024 * 1024
    );
}

#[tokio::test]
async fn video_processes_on_the_virtual_clock_and_blocks_posting_until_ready() {
    let (server, c) = server(MastodonConfig::default()).await;
    let (s, img, _) = c.upload(TOKEN, "image/jpeg", b"jpeg", "a kiln").await;
    assert_eq!(s, 200);
    assert!(img["url"].is_string());
    assert_eq!(img["description"], "a kiln");
    assert_eq!(img["meta"]["focus"], json!({"x": 0.5, "y": -0.25}));

    let (s, vid, _) = c.upload(TOKEN, "video/mp4", b"mp4", "").await;
    assert_eq!((s, vid["type"].as_str()), (202, Some("video")));
    assert!(vid["url"].is_null(), "url null while processing");
    let id = vid["id"].as_str().unwrap().to_string();
    let (s, _, _) = c.get(&format!("/api/v1/media/{id}"), Some(TOKEN)).await;
    assert_eq!(s, 206);

    let (s, v, _) = c
        .status(json!({"status": "firing", "media_ids": [id]}), None)
        .await;
    assert_eq!((s, v), (422, json!({ "error": NOT_READY })));
    assert!(server.statuses().is_empty());

    server.advance(Duration::from_secs(31));
    let (s, v, _) = c.get(&format!("/api/v1/media/{id}"), Some(TOKEN)).await;
    assert_eq!(s, 200);
    assert!(v["url"].is_string());
    let (s, v, _) = c
        .status(json!({"status": "firing", "media_ids": [id]}), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["media_attachments"][0]["id"], id.as_str());

    let (s, v, _) = c.upload(TOKEN, "application/pdf", b"%PDF", "").await;
    assert_eq!(
        (s, v),
        (
            422,
            json!({"error": "Validation failed: File content type is invalid, File is invalid"})
        )
    );
}

#[tokio::test]
async fn media_rules_are_mastodons() {
    let (_server, c) = server(MastodonConfig::default()).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let (_, v, _) = c.upload(TOKEN, "image/png", b"png", "").await;
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    let (s, v, _) = c
        .status(json!({"status": "x", "media_ids": ids}), None)
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (422, Some("Cannot attach more than 4 files"))
    );
    let poll = json!({"options": ["a", "b"], "expires_in": 3600});
    let (s, _, _) = c
        .status(
            json!({"status": "x", "media_ids": [ids[0]], "poll": poll}),
            None,
        )
        .await;
    assert_eq!(s, 422, "a poll cannot go with media");
    let (s, v, _) = c
        .status(json!({"status": "x", "media_ids": ["999999"]}), None)
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (
            422,
            Some("Media 999999 not found or already attached to another post")
        )
    );
    let (_, audio, _) = c.upload(TOKEN, "audio/mpeg", b"mp3", "").await;
    let (s, v, _) = c
        .status(
            json!({"status": "x", "media_ids": [ids[0], audio["id"]]}),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (
            422,
            Some("Cannot attach a video to a post that already contains images")
        )
    );
    let form = [
        ("status", "two"),
        ("media_ids[]", ids[0].as_str()),
        ("media_ids[]", ids[1].as_str()),
    ];
    let (s, v, _) = c.status_form(&form).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["media_attachments"].as_array().map(Vec::len), Some(2));
    let (s, _, _) = c.status_form(&form).await;
    assert_eq!(s, 422, "attached media cannot be attached again");
}

#[tokio::test]
async fn text_is_counted_the_mastodon_way() {
    let cfg = MastodonConfig {
        max_characters: 50,
        ..MastodonConfig::default()
    };
    let (server, c) = server(cfg).await;
    // 50 counted: a 60-byte URL counts 23.
    let url = format!("https://example.com/{}", "a".repeat(40));
    let text = format!("{} {url}", "x".repeat(26));
    assert_eq!(c.status(json!({ "status": text }), None).await.0, 200);
    let over = format!("{} {url}", "x".repeat(27));
    let (s, v, _) = c.status(json!({ "status": over }), None).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (
            422,
            Some("Validation failed: Text character limit of 50 exceeded")
        )
    );
    // A remote mention counts as its username only.
    let text = format!("@kiln@very.long.remote.example.social {}", "y".repeat(44));
    assert_eq!(c.status(json!({ "status": text }), None).await.0, 200);
    // The content warning counts too; emoji are one character each.
    let body = json!({"status": "🔥".repeat(40), "spoiler_text": "z".repeat(11)});
    assert_eq!(c.status(body, None).await.0, 422);
    let body = json!({"status": "🔥".repeat(40), "spoiler_text": "z".repeat(10)});
    let (s, v, _) = c.status(body, None).await;
    assert_eq!((s, v["sensitive"].as_bool()), (200, Some(true)));
    let (s, v, _) = c.status(json!({ "status": "  " }), None).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (422, Some("Validation failed: Text can't be blank"))
    );
    assert_eq!(server.live_statuses().len(), 3);
}

#[tokio::test]
async fn an_idempotency_key_returns_the_same_status_for_one_hour() {
    let (server, c) = server(MastodonConfig::default()).await;
    let (s, first, _) = c.status(json!({"status": "one"}), Some("k-1")).await;
    assert_eq!(s, 200);
    let (s, again, _) = c.status(json!({"status": "one"}), Some("k-1")).await;
    assert_eq!((s, &again["id"]), (200, &first["id"]));
    server.advance(Duration::from_secs(3_599));
    let (_, again, _) = c.status(json!({"status": "one"}), Some("k-1")).await;
    assert_eq!(again["id"], first["id"], "still within the hour");
    assert_eq!(server.live_statuses().len(), 1);
    server.advance(Duration::from_secs(2));
    let (_, later, _) = c.status(json!({"status": "one"}), Some("k-1")).await;
    assert_ne!(later["id"], first["id"], "after an hour, a new status");
    assert_eq!(server.live_statuses().len(), 2);
    let keys: Vec<_> = server
        .calls_to("POST /api/v1/statuses")
        .iter()
        .map(|c| c.idempotency_key().map(str::to_string))
        .collect();
    assert_eq!(keys, vec![Some("k-1".to_string()); 4]);
}

#[tokio::test]
async fn scheduled_statuses_are_made_moved_cancelled_and_published() {
    let (server, c) = server(MastodonConfig::default()).await;
    let (_, img, _) = c.upload(TOKEN, "image/png", b"png", "alt").await;
    let when = at(&server, 3_600);
    let body = json!({"status": "later", "media_ids": [img["id"]], "scheduled_at": when});
    let (s, v, _) = c.status(body, None).await;
    assert_eq!(s, 200, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["params"]["text"], "later");
    assert_eq!(v["media_attachments"][0]["id"], img["id"]);
    let got: jiff::Timestamp = v["scheduled_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(got, when.parse::<jiff::Timestamp>().unwrap());
    assert_eq!(v["scheduled_at"].as_str().unwrap().len(), 24, "ms and Z");
    assert!(server.statuses().is_empty());

    let (s, list, _) = c.get("/api/v1/scheduled_statuses", Some(TOKEN)).await;
    assert_eq!((s, list[0]["id"].as_str()), (200, Some(id.as_str())));
    let path = format!("/api/v1/scheduled_statuses/{id}");
    let (s, v, _) = c.put(&path, &[("scheduled_at", &at(&server, 60))]).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (
            422,
            Some("Validation failed: Scheduled at The scheduled date must be in the future")
        )
    );
    let (s, _, _) = c.put(&path, &[("scheduled_at", &at(&server, 7_200))]).await;
    assert_eq!(s, 200);
    server.advance(Duration::from_secs(3_601));
    assert!(server.statuses().is_empty(), "moved: not yet");
    server.advance(Duration::from_secs(3_600));
    let published = server.live_statuses();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].from_scheduled.as_deref(), Some(id.as_str()));
    assert_eq!(published[0].media_ids, vec![img["id"].as_str().unwrap()]);
    assert_eq!(c.get(&path, Some(TOKEN)).await.0, 404);

    let body = json!({"status": "never", "scheduled_at": at(&server, 600)});
    let (_, v, _) = c.status(body, None).await;
    let path = format!("/api/v1/scheduled_statuses/{}", v["id"].as_str().unwrap());
    assert_eq!(c.delete(&path).await.0, 200);
    server.advance(Duration::from_secs(700));
    assert_eq!(server.live_statuses().len(), 1, "cancelled: never posted");
}

#[tokio::test]
async fn a_scheduled_at_under_five_minutes_posts_at_once() {
    // PostStatusService drops a `scheduled_at` within 5 minutes and posts
    // the status now, without an error.
    let (server, c) = server(MastodonConfig::default()).await;
    let body = json!({"status": "soon", "scheduled_at": at(&server, 240)});
    let (s, v, _) = c.status(body, None).await;
    assert_eq!(s, 200);
    assert!(v["content"].is_string(), "a Status, not a ScheduledStatus");
    assert_eq!(server.live_statuses().len(), 1);
    assert!(server.scheduled().is_empty());
}

#[tokio::test]
async fn scheduling_limits_are_25_a_day_and_300_in_all() {
    let cfg = MastodonConfig {
        scheduled_total_limit: 30,
        ..MastodonConfig::default()
    };
    let (server, c) = server(cfg).await;
    // Two days ahead, at noon UTC, so the 25 land on one day.
    let day_ms = 86_400_000;
    let noon = (server.now_ms() / day_ms + 2) * day_ms + day_ms / 2;
    let iso = |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap().to_string();
    for i in 0..25 {
        let body = json!({"status": format!("n{i}"), "scheduled_at": iso(noon + i * 1000)});
        assert_eq!(c.status(body, None).await.0, 200);
    }
    let body = json!({"status": "26th", "scheduled_at": iso(noon + 30_000)});
    let (s, v, _) = c.status(body, None).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (
            422,
            Some("Validation failed: You have exceeded the limit of 25 scheduled posts for today")
        )
    );
    for i in 0..5 {
        let body = json!({"status": "next day", "scheduled_at": iso(noon + day_ms + i * 1000)});
        assert_eq!(c.status(body, None).await.0, 200);
    }
    let body = json!({"status": "31st", "scheduled_at": iso(noon + 2 * day_ms)});
    let (s, v, _) = c.status(body, None).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (
            422,
            Some("Validation failed: You have exceeded the limit of 30 scheduled posts")
        )
    );
    assert_eq!(server.scheduled().len(), 30);
}

#[tokio::test]
async fn account_statuses_page_newest_first_and_delete_removes() {
    let (server, c) = server(MastodonConfig::default()).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (_, v, _) = c.status(json!({ "status": format!("s{i}") }), None).await;
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    let acct = server.account_id();
    let (s, page, h) = c
        .get(&format!("/api/v1/accounts/{acct}/statuses?limit=2"), None)
        .await;
    assert_eq!(s, 200);
    let got: Vec<_> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].clone())
        .collect();
    assert_eq!(got, vec![json!(ids[4]), json!(ids[3])]);
    assert!(header(&h, "link").contains(&format!("max_id={}", ids[3])));
    let (_, page, _) = c
        .get(
            &format!(
                "/api/v1/accounts/{acct}/statuses?limit=10&max_id={}",
                ids[3]
            ),
            None,
        )
        .await;
    assert_eq!(page.as_array().map(Vec::len), Some(3));

    let path = format!("/api/v1/statuses/{}", ids[0]);
    let (s, v, _) = c.delete(&path).await;
    assert_eq!((s, v["text"].as_str()), (200, Some("s0")));
    assert_eq!(c.get(&path, None).await.0, 404);
    assert_eq!(
        c.delete(&path).await.1,
        json!({"error": "Record not found"})
    );
}

#[tokio::test]
async fn every_answer_carries_rate_limit_headers_and_429_past_the_limit() {
    let cfg = MastodonConfig {
        api_limit: 3,
        media_limit: 1,
        ..MastodonConfig::default()
    };
    let (server, c) = server(cfg).await;
    let (_, _, h) = c.get("/api/v2/instance", Some(TOKEN)).await;
    assert_eq!(header(&h, "x-ratelimit-limit"), "3");
    assert_eq!(header(&h, "x-ratelimit-remaining"), "2");
    let reset = header(&h, "x-ratelimit-reset");
    assert!(reset.ends_with(".000000Z"), "{reset}");
    assert!(reset.parse::<jiff::Timestamp>().is_ok());

    let (_, _, h) = c.upload(TOKEN, "image/png", b"png", "").await;
    assert_eq!(header(&h, "x-ratelimit-limit"), "1", "the closer limit");
    c.get("/api/v2/instance", Some(TOKEN)).await;
    let (s, v, h) = c.get("/api/v2/instance", Some(TOKEN)).await;
    assert_eq!((s, v), (429, json!({"error": "Too many requests"})));
    assert_eq!(header(&h, "x-ratelimit-remaining"), "0");
    server.advance(Duration::from_secs(300));
    assert_eq!(c.get("/api/v2/instance", Some(TOKEN)).await.0, 200);
}

#[tokio::test]
async fn armed_faults_fire_and_a_lost_answer_keeps_the_status() {
    let (server, c) = server(MastodonConfig::default()).await;
    server.arm("POST /api/v1/statuses", 0, 1, Fault::LostAnswer);
    let req = c
        .http
        .post(format!("{}/api/v1/statuses", c.base))
        .bearer_auth(TOKEN)
        .header("Idempotency-Key", "lost-1")
        .json(&json!({"status": "lost"}));
    assert!(req.send().await.is_err(), "no answer");
    assert_eq!(server.live_statuses().len(), 1, "the status was made");
    let (s, v, _) = c.status(json!({"status": "lost"}), Some("lost-1")).await;
    assert_eq!(s, 200);
    assert_eq!(
        v["id"].as_str(),
        Some(server.live_statuses()[0].id.as_str())
    );

    server.arm("POST /api/v1/statuses", 0, 1, Fault::LostAnswer500);
    assert_eq!(c.status(json!({"status": "b"}), None).await.0, 500);
    assert_eq!(server.live_statuses().len(), 2);
    server.arm("POST /api/v1/statuses", 0, 1, Fault::Http500);
    server.arm("POST /api/v1/statuses", 1, 1, Fault::BadGateway);
    assert_eq!(c.status(json!({"status": "c"}), None).await.0, 500);
    assert_eq!(c.status(json!({"status": "c"}), None).await.0, 502);
    assert_eq!(server.live_statuses().len(), 2, "nothing made before a 5xx");
    server.arm("", 0, 1, Fault::RateLimited);
    let (s, _, h) = c.get("/api/v2/instance", None).await;
    assert_eq!((s, header(&h, "x-ratelimit-remaining")), (429, "0"));
    let calls = server.calls_to("POST /api/v1/statuses");
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>(),
        vec![0, 200, 500, 500, 502]
    );
    assert_eq!(calls[0].idempotency_key(), Some("lost-1"));
    assert_eq!(
        serde_json::from_slice::<Value>(&calls[0].body).unwrap(),
        json!({"status": "lost"})
    );
}

#[tokio::test]
async fn a_replayed_key_returns_the_same_scheduled_status_until_it_is_published() {
    let (server, c) = server(MastodonConfig::default()).await;
    let body = json!({"status": "later", "scheduled_at": at(&server, 900)});
    let (s, first, _) = c.status(body.clone(), Some("sched-1")).await;
    assert_eq!(s, 200);
    let (s, again, _) = c.status(body.clone(), Some("sched-1")).await;
    assert_eq!((s, &again["id"]), (200, &first["id"]));
    assert_eq!(server.scheduled().len(), 1, "one scheduled status");
    server.advance(Duration::from_secs(901));
    assert_eq!(server.live_statuses().len(), 1);
    let (s, v, _) = c.status(body, Some("sched-1")).await;
    assert_eq!(
        (s, v),
        (404, json!({"error": "Record not found"})),
        "the key points at a scheduled status that is gone"
    );
    assert_eq!(server.live_statuses().len(), 1);
}

#[tokio::test]
async fn the_replay_500_of_mastodon_40399_makes_no_second_status() {
    let cfg = MastodonConfig {
        idempotent_replay_500: true,
        ..MastodonConfig::default()
    };
    let (server, c) = server(cfg).await;
    assert_eq!(c.status(json!({"status": "a"}), Some("k")).await.0, 200);
    assert_eq!(c.status(json!({"status": "a"}), Some("k")).await.0, 500);
    assert_eq!(server.live_statuses().len(), 1);
}

#[tokio::test]
async fn polls_and_replies_are_validated() {
    let (server, c) = server(MastodonConfig::default()).await;
    let poll = |options: Value, expires: i64| json!({"status": "q", "poll": {"options": options, "expires_in": expires}});
    let cases = [
        (
            poll(json!(["a"]), 3600),
            "Poll options must have more than one item",
        ),
        (
            poll(json!(["a", "b", "c", "d", "e"]), 3600),
            "Poll options can't contain more than 4 items",
        ),
        (
            poll(json!(["a", "a"]), 3600),
            "Poll options contain duplicate items",
        ),
        (poll(json!(["a", "b"]), 60), "Poll expires at is too soon"),
    ];
    for (body, message) in cases {
        let (s, v, _) = c.status(body, None).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (422, Some(format!("Validation failed: {message}").as_str()))
        );
    }
    let form = [
        ("status", "which?"),
        ("poll[options][]", "glaze"),
        ("poll[options][]", "bisque"),
        ("poll[expires_in]", "86400"),
    ];
    let (s, v, _) = c.status_form(&form).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["poll"]["options"],
        json!([{"title": "glaze", "votes_count": 0}, {"title": "bisque", "votes_count": 0}])
    );
    let expires: jiff::Timestamp = v["poll"]["expires_at"].as_str().unwrap().parse().unwrap();
    let created: jiff::Timestamp = v["created_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires.as_second() - created.as_second(), 86_400);
    let parent = v["id"].as_str().unwrap().to_string();

    let (s, v, _) = c
        .status(json!({"status": "r", "in_reply_to_id": "1"}), None)
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (
            404,
            Some("The post you are trying to reply to does not appear to exist.")
        )
    );
    let (s, v, _) = c
        .status(json!({"status": "r", "in_reply_to_id": parent}), None)
        .await;
    assert_eq!(
        (s, v["in_reply_to_id"].as_str()),
        (200, Some(parent.as_str()))
    );
    assert_eq!(server.live_statuses().len(), 2);
}

#[tokio::test]
async fn deletions_have_their_own_limit() {
    let cfg = MastodonConfig {
        media_limit: 2,
        ..MastodonConfig::default()
    };
    let (_server, c) = server(cfg).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (_, v, _) = c.status(json!({ "status": format!("d{i}") }), None).await;
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    assert_eq!(c.upload(TOKEN, "image/png", b"png", "").await.0, 200);
    for id in &ids[..2] {
        assert_eq!(c.delete(&format!("/api/v1/statuses/{id}")).await.0, 200);
    }
    let (s, _, h) = c.delete(&format!("/api/v1/statuses/{}", ids[2])).await;
    assert_eq!((s, header(&h, "x-ratelimit-limit")), (429, "2"));
}

#[tokio::test]
async fn the_effect_hook_sees_each_write_that_took_effect() {
    let (server, c) = server(MastodonConfig::default()).await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    server.set_after_effect_hook(move |route| log.lock().unwrap().push(route.to_string()));
    c.upload(TOKEN, "image/png", b"png", "").await;
    c.status(json!({"status": "  "}), None).await;
    server.arm("POST /api/v1/statuses", 0, 1, Fault::Http500);
    c.status(json!({"status": "x"}), None).await;
    server.arm("POST /api/v1/statuses", 0, 1, Fault::LostAnswer500);
    c.status(json!({"status": "x"}), None).await;
    c.get("/api/v2/instance", None).await;
    assert_eq!(
        *seen.lock().unwrap(),
        vec!["POST /api/v2/media", "POST /api/v1/statuses"],
        "not the 422, not the 500 before, not a GET"
    );
}

#[tokio::test]
async fn a_content_warning_alone_becomes_the_text_and_a_missing_file_is_400() {
    let (server, c) = server(MastodonConfig::default()).await;
    let (s, v, _) = c.status(json!({"spoiler_text": "cw only"}), None).await;
    assert_eq!(s, 200);
    assert_eq!(
        (v["content"].as_str(), v["spoiler_text"].as_str()),
        (Some("<p>cw only</p>"), Some(""))
    );
    assert_eq!(v["sensitive"], true);
    let req = c
        .http
        .post(format!("{}/api/v2/media", c.base))
        .bearer_auth(TOKEN)
        .form(&[("description", "no file")]);
    let (s, v, _) = c.send(req).await;
    assert_eq!(
        (s, v),
        (
            400,
            json!({"error": "param is missing or the value is empty: file"})
        )
    );
    assert!(server.media().is_empty());
}
