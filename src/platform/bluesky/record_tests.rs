use super::*;
use crate::platform::bluesky::richtext::{ByteSlice, Feature};

fn blob(cid: &str, mime: &str, size: u64) -> Blob {
    Blob::from_upload(&json!({
        "blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": size}
    }))
    .unwrap()
}

fn at() -> Timestamp {
    "2026-12-07T09:40:00.123456Z".parse().unwrap()
}

fn post(text: &str) -> Post {
    Post {
        text: text.to_string(),
        created_at: at(),
        langs: vec![],
        facets: vec![],
        labels: vec![],
        media: None,
        link: None,
    }
}

fn image(cid: &str, alt: &str) -> Image {
    Image {
        blob: blob(cid, "image/jpeg", 1234),
        alt: alt.to_string(),
        aspect_ratio: Some(AspectRatio {
            width: 1080,
            height: 1350,
        }),
    }
}

#[test]
fn a_text_post_is_text_created_at_langs_and_facets_in_order() {
    let mut p = post("hi #rust");
    p.langs = vec!["en".into(), "pt-BR".into()];
    p.facets = vec![Facet {
        index: ByteSlice {
            byte_start: 3,
            byte_end: 8,
        },
        features: vec![Feature::Tag { tag: "rust".into() }],
    }];
    let built = build(&p).unwrap();
    assert!(!built.card_dropped);
    assert_eq!(
        serde_json::to_string(&built.record).unwrap(),
        r##"{"$type":"app.bsky.feed.post","text":"hi #rust","createdAt":"2026-12-07T09:40:00.123Z","langs":["en","pt-BR"],"facets":[{"index":{"byteStart":3,"byteEnd":8},"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"rust"}]}]}"##
    );
}

#[test]
fn created_at_has_milliseconds_even_when_zero() {
    let t: Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
    assert_eq!(created_at(t), "2026-01-02T03:04:05.000Z");
}

#[test]
fn images_keep_the_blob_as_uploaded_with_alt_and_aspect_ratio() {
    // An extra field the PDS might add stays, and key order is kept.
    let raw = json!({"$type": "blob", "ref": {"$link": "bafkreia"}, "mimeType": "image/png", "size": 99, "extra": 1});
    let mut p = post("");
    p.media = Some(Media::Images(vec![
        Image {
            blob: Blob::new(raw.clone()).unwrap(),
            alt: String::new(),
            aspect_ratio: None,
        },
        image("bafkreib", "a mug"),
    ]));
    p.labels = vec!["nudity".into()];
    let record = build(&p).unwrap().record;
    assert_eq!(record["embed"]["$type"], "app.bsky.embed.images");
    let images = record["embed"]["images"].as_array().unwrap();
    assert_eq!(images[0], json!({"image": raw, "alt": ""}));
    assert_eq!(images[1]["alt"], "a mug");
    assert_eq!(images[1]["image"]["ref"]["$link"], "bafkreib");
    assert_eq!(
        images[1]["aspectRatio"],
        json!({"width": 1080, "height": 1350})
    );
    assert_eq!(
        record["labels"],
        json!({"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": "nudity"}]})
    );
    assert_eq!(record["text"], "");
    assert!(record.get("facets").is_none() && record.get("langs").is_none());
}

#[test]
fn a_video_and_a_card() {
    let mut p = post("watch");
    p.media = Some(Media::Video(Video {
        blob: blob("bafyvid", "video/mp4", 5_000_000),
        alt: Some("a cat".into()),
        aspect_ratio: Some(AspectRatio {
            width: 16,
            height: 9,
        }),
    }));
    let embed = &build(&p).unwrap().record["embed"];
    assert_eq!(
        *embed,
        json!({"$type": "app.bsky.embed.video", "video": {"$type": "blob", "ref": {"$link": "bafyvid"}, "mimeType": "video/mp4", "size": 5000000}, "alt": "a cat", "aspectRatio": {"width": 16, "height": 9}})
    );
    let mut p = post("read");
    p.link = Some(LinkCard {
        uri: "https://example.com/a".into(),
        title: "A".into(),
        description: "".into(),
        thumb: Some(blob("bafythumb", "image/jpeg", 1_000_000)),
    });
    let built = build(&p).unwrap();
    assert_eq!(built.record["embed"]["$type"], "app.bsky.embed.external");
    assert_eq!(
        built.record["embed"]["external"],
        json!({"uri": "https://example.com/a", "title": "A", "description": "", "thumb": {"$type": "blob", "ref": {"$link": "bafythumb"}, "mimeType": "image/jpeg", "size": 1000000}})
    );
    // With media too, the card is left out and that is said.
    p.media = Some(Media::Images(vec![image("bafkreic", "x")]));
    let built = build(&p).unwrap();
    assert!(built.card_dropped);
    assert_eq!(built.record["embed"]["$type"], "app.bsky.embed.images");
}

#[test]
fn limits_are_refused_with_what_to_change() {
    let mut p = post("x");
    p.media = Some(Media::Images(
        (0..5).map(|i| image(&format!("c{i}"), "")).collect(),
    ));
    assert_eq!(build(&p), Err(RecordError::TooManyImages(5)));
    p.media = Some(Media::Images(vec![Image {
        blob: blob("c", "image/jpeg", 2_000_001),
        alt: String::new(),
        aspect_ratio: None,
    }]));
    let err = build(&p).unwrap_err();
    assert_eq!(
        err,
        RecordError::ImageTooLarge {
            index: 1,
            size: 2_000_001
        }
    );
    assert!(err.to_string().contains("2,000,000"), "{err}");
    p.media = Some(Media::Images(vec![Image {
        blob: blob("c", "image/jpeg", 2_000_000),
        alt: String::new(),
        aspect_ratio: Some(AspectRatio {
            width: 0,
            height: 5,
        }),
    }]));
    assert!(matches!(build(&p), Err(RecordError::AspectRatio { .. })));
    p.media = Some(Media::Video(Video {
        blob: blob("v", "video/quicktime", 10),
        alt: None,
        aspect_ratio: None,
    }));
    assert_eq!(
        build(&p),
        Err(RecordError::NotMp4("video/quicktime".into()))
    );
    p.media = None;
    p.langs = vec!["en".into(), "fr".into(), "de".into(), "ja".into()];
    assert_eq!(build(&p), Err(RecordError::TooManyLangs(4)));
    p.langs = vec!["english language".into()];
    assert!(matches!(build(&p), Err(RecordError::Lang(_))));
    p.langs = vec![];
    p.labels = vec!["spoiler".into()];
    assert_eq!(build(&p), Err(RecordError::Label("spoiler".into())));
    assert_eq!(build(&post("")), Err(RecordError::Empty));
    assert!(matches!(
        build(&post(&"a".repeat(301))),
        Err(RecordError::Text(_))
    ));
    let mut p = post("x");
    p.link = Some(LinkCard {
        uri: "javascript:alert(1)".into(),
        title: "t".into(),
        description: "d".into(),
        thumb: None,
    });
    assert!(matches!(build(&p), Err(RecordError::CardUri(_))));
}

#[test]
fn blob_references_are_checked() {
    assert!(Blob::from_upload(&json!({})).is_err());
    assert!(
        Blob::new(json!({"$type": "blob", "ref": {"$link": "c"}, "mimeType": "image/png"}))
            .is_err()
    );
    assert!(Blob::new(json!({"ref": {"$link": "c"}, "mimeType": "image/png", "size": 1})).is_err());
    let b = blob("bafk", "image/png", 7);
    assert_eq!((b.cid(), b.mime_type(), b.size()), ("bafk", "image/png", 7));
}
