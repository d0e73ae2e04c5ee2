//! What the client writes: media and their processing, statuses with their
//! fields and Idempotency-Key, a lost answer, scheduled statuses.

use super::*;

#[tokio::test]
async fn images_are_ready_and_videos_are_awaited() {
    let (server, c) = client().await;
    let image = Upload {
        file_name: "cat.png".into(),
        mime: "image/png".into(),
        data: vec![137, 80, 78, 71],
        description: Some("A cat".into()),
        focus: Some((0.5, -0.25)),
    };
    let MediaState::Ready(a) = c.upload_media(&image).await.unwrap() else {
        panic!("an image is ready at once");
    };
    assert_eq!(a.description.as_deref(), Some("A cat"));
    let sent = server.lock().unwrap().seen[0].4.clone();
    assert!(
        sent.contains("name=\"focus\"\r\n\r\n0.5,-0.25\r\n"),
        "{sent}"
    );
    let video = Upload {
        file_name: "clip.mp4".into(),
        mime: "video/mp4".into(),
        ..image.clone()
    };
    let MediaState::Processing { id } = c.upload_media(&video).await.unwrap() else {
        panic!("a video is processed later");
    };
    // Attaching it now is refused as not ready.
    let early = NewStatus {
        media_ids: vec![id.clone()],
        ..text("too soon")
    };
    let e = c.post_once("k-early", &early).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::NotReady);
    assert_eq!(
        c.get_media(&id).await.unwrap(),
        MediaState::Processing { id: id.clone() }
    );
    let ready = c.wait_media(&id).await.unwrap();
    assert!(ready.url.is_some());
    let looks = server
        .lock()
        .unwrap()
        .seen
        .iter()
        .filter(|r| r.1.contains("/api/v1/media/"))
        .count();
    assert_eq!(looks, 3, "206, 206, 200");
}

#[tokio::test]
async fn failed_and_slow_media_are_errors() {
    let (_, c) = client().await;
    let broken = Upload {
        file_name: "broken.mp4".into(),
        mime: "video/mp4".into(),
        data: vec![0; 8],
        description: None,
        focus: None,
    };
    let MediaState::Processing { id } = c.upload_media(&broken).await.unwrap() else {
        panic!("processing");
    };
    let e = c.wait_media(&id).await.unwrap_err();
    assert!(matches!(e, MastodonError::MediaFailed { .. }), "{e}");
    assert_eq!(e.class(), ErrorClass::Content);
    let (server, url) = serve().await;
    let impatient = Options {
        media_wait: Duration::from_millis(1),
        ..options()
    };
    let c = Client::new(&url, Token::new(TOKEN), impatient).unwrap();
    let slow = Upload {
        file_name: "slow.mp4".into(),
        ..broken
    };
    let MediaState::Processing { id } = c.upload_media(&slow).await.unwrap() else {
        panic!("processing");
    };
    let e = c.wait_media(&id).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::NotReady, "{e}");
    assert!(server.lock().unwrap().processing[&id].is_some());
}

#[tokio::test]
async fn a_status_carries_its_fields_and_key() {
    let (server, c) = client().await;
    let status = NewStatus {
        status: "Hello".into(),
        media_ids: vec!["7".into(), "8".into()],
        visibility: Some(Visibility::Unlisted),
        spoiler_text: Some("CW".into()),
        sensitive: true,
        language: Some("en".into()),
        ..NewStatus::default()
    };
    let out = c.post_once("entry-1", &status).await.unwrap();
    assert_eq!(out.repeated, None);
    let Posted::Status(s) = out.posted else {
        panic!("a status");
    };
    assert_eq!(s.media_ids, ["7", "8"]);
    assert_eq!(s.visibility.as_deref(), Some("unlisted"));
    let seen = server.lock().unwrap().seen.last().cloned().unwrap();
    assert_eq!(seen.3, "entry-1");
    let f = form(seen.4.as_bytes());
    let media: Vec<_> = f
        .iter()
        .filter(|(k, _)| k == "media_ids[]")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(media, ["7", "8"]);
    for (k, v) in [
        ("spoiler_text", "CW"),
        ("sensitive", "true"),
        ("language", "en"),
    ] {
        assert_eq!(first(&f, k).as_deref(), Some(v), "{k}");
    }
    let poll = NewStatus {
        poll: Some(Poll {
            options: vec!["yes".into(), "no".into()],
            expires_in: 3600,
            multiple: false,
            hide_totals: true,
        }),
        ..text("Vote")
    }
    .form();
    let opts: Vec<_> = poll
        .iter()
        .filter(|(k, _)| k == "poll[options][]")
        .collect();
    assert_eq!(opts.len(), 2);
    assert_eq!(first(&poll, "poll[expires_in]").as_deref(), Some("3600"));
    let e = c.post_once("bad key\n", &text("x")).await.unwrap_err();
    assert!(matches!(e, MastodonError::BadKey(_)), "{e}");
}

#[tokio::test]
async fn a_lost_answer_is_repeated_once_with_the_same_key() {
    let (server, c) = client().await;
    // The server made the status, then answered 500.
    server.lock().unwrap().fail_post = Some(true);
    let out = c.post_once("entry-2", &text("once")).await.unwrap();
    assert!(out
        .repeated
        .as_deref()
        .unwrap()
        .contains("same Idempotency-Key"));
    // Before making it: 503, and the repeat makes it.
    server.lock().unwrap().fail_post = Some(false);
    let out2 = c.post_once("entry-3", &text("twice")).await.unwrap();
    assert!(out2.repeated.is_some());
    // No answer in time (the status was made).
    server.lock().unwrap().stall_post = true;
    let out3 = c.post_once("entry-4", &text("slow")).await.unwrap();
    assert!(
        out3.repeated.as_deref().unwrap().contains("timed out"),
        "{out3:?}"
    );
    {
        let s = server.lock().unwrap();
        assert_eq!(s.statuses.len(), 3, "one status per key");
        let keys: Vec<_> = s
            .seen
            .iter()
            .filter(|r| r.0 == "POST")
            .map(|r| r.3.as_str())
            .collect();
        assert_eq!(
            keys,
            ["entry-2", "entry-2", "entry-3", "entry-3", "entry-4", "entry-4"]
        );
    }
    // A refusal is not repeated.
    let before = server.lock().unwrap().seen.len();
    server.lock().unwrap().limit_next = true;
    let e = c.post_once("entry-6", &text("limited")).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::RateLimited);
    assert_eq!(
        server.lock().unwrap().seen.len(),
        before + 1,
        "no repeat of a 429"
    );
    let rate = c.rate().unwrap();
    assert_eq!((rate.limit, rate.remaining), (Some(300), Some(0)));
    assert_eq!(rate.reset.unwrap().to_string(), "2026-12-07T11:20:00Z");
}

#[tokio::test]
async fn scheduled_statuses_are_made_moved_and_cancelled() {
    let (server, c) = client().await;
    let at: Timestamp = "2026-12-08T09:00:00Z".parse().unwrap();
    let later = NewStatus {
        scheduled_at: Some(at),
        ..text("tomorrow")
    };
    let Posted::Scheduled(s) = c.post_once("k-s", &later).await.unwrap().posted else {
        panic!("a scheduled status");
    };
    assert_eq!(s.scheduled_at, Some(at));
    assert_eq!(s.text.as_deref(), Some("tomorrow"));
    assert_eq!(s.idempotency.as_deref(), Some("k-s"));
    let list = c.scheduled_statuses().await.unwrap();
    assert_eq!(list.len(), 1);
    let moved: Timestamp = "2026-12-08T10:30:00Z".parse().unwrap();
    assert_eq!(
        c.reschedule(&s.id, moved).await.unwrap().scheduled_at,
        Some(moved)
    );
    assert!(c.cancel_scheduled(&s.id).await.unwrap());
    assert!(!c.cancel_scheduled(&s.id).await.unwrap());
    assert!(c.scheduled_statuses().await.unwrap().is_empty());
    // A lost answer to a scheduled post is not repeated (old servers
    // ignored the key there): the caller lists the scheduled statuses.
    server.lock().unwrap().fail_post = Some(true);
    let e = c.post_once("k-s2", &later).await.unwrap_err();
    assert!(e.outcome_unknown());
    let posts = server
        .lock()
        .unwrap()
        .seen
        .iter()
        .filter(|r| r.3 == "k-s2")
        .count();
    assert_eq!(posts, 1);
}
