use super::*;
use proptest::prelude::*;

/// Where `needle` is in `text`, found independently of the detector.
fn span(text: &str, needle: &str) -> (usize, usize) {
    let start = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {text:?}"));
    (start, start + needle.len())
}

fn link(text: &str, needle: &str) -> Found {
    let (start, end) = span(text, needle);
    Found {
        start,
        end,
        kind: Kind::Link(needle.to_string()),
    }
}

fn tag(text: &str, needle: &str) -> Found {
    let (start, end) = span(text, needle);
    let body = needle.trim_start_matches(['#', '＃']);
    Found {
        start,
        end,
        kind: Kind::Tag(body.to_string()),
    }
}

fn mention(text: &str, needle: &str) -> Found {
    let (start, end) = span(text, needle);
    Found {
        start,
        end,
        kind: Kind::Mention(needle[1..].to_string()),
    }
}

const FAMILY: &str = "👨\u{200D}👩\u{200D}👧\u{200D}👦";

#[test]
fn links_tags_and_mentions_among_emoji_cjk_and_combining_marks() {
    let text = format!(
        "{FAMILY}🇫🇷 日本語 e\u{301} https://example.com/a?b=c {FAMILY} 🇯🇵漢字 #rust e\u{301}\u{302} @alice.bsky.social 中文{FAMILY}"
    );
    assert_eq!(
        detect(&text),
        vec![
            link(&text, "https://example.com/a?b=c"),
            tag(&text, "#rust"),
            mention(&text, "@alice.bsky.social"),
        ]
    );
}

#[test]
fn emoji_cjk_and_combining_marks_inside_links_and_tags() {
    let text = format!(
        "見て https://example.com/日本/{FAMILY}/e\u{301}?q=🇯🇵 と #日本語 #café\u{301} #a{FAMILY}b"
    );
    let found = detect(&text);
    assert_eq!(
        found,
        vec![
            link(
                &text,
                &format!("https://example.com/日本/{FAMILY}/e\u{301}?q=🇯🇵")
            ),
            tag(&text, "#日本語"),
            tag(&text, "#café\u{301}"),
            // A zero-width joiner ends a tag, as in the app: the tag keeps
            // the first code point of the family.
            tag(&text, "#a👨"),
        ]
    );
    let (start, _) = span(&text, "#a👨");
    assert_eq!(&text[start..found[3].end], "#a👨");
}

#[test]
fn facets_right_after_and_before_multibyte_text() {
    // No space between the facet and what follows it.
    let text = format!("{FAMILY} @bob.test{FAMILY} #tag日本 (https://x.org/p)日本");
    assert_eq!(
        detect(&text),
        vec![
            // The handle stops where word characters stop.
            mention(&text, "@bob.test"),
            tag(&text, "#tag日本"),
            // `)日本` is part of the non-space run, so the `)` stays.
            link(&text, "https://x.org/p)日本"),
        ]
    );
}

#[test]
fn multibyte_text_inside_a_handle_ends_it() {
    // A handle is ASCII: an emoji, a CJK character or a combining mark
    // ends it where word characters end, as the app's `\b` does.
    let text = format!("@bob.te{FAMILY}st @carol.test\u{301} @dan.test日本 @eve.t🇯🇵est");
    assert_eq!(
        detect(&text),
        vec![
            mention(&text, "@bob.te"),
            mention(&text, "@carol.test"),
            mention(&text, "@dan.test"),
            // `t` alone is no top-level domain.
        ]
    );
}

#[test]
fn trailing_punctuation_is_left_out_as_the_app_does() {
    let text = "see https://a.com/x. and (https://b.com/y) or https://c.com/z!) https://w.org/wiki/Rust_(language) end https://d.com/?";
    let uris: Vec<_> = detect(text)
        .into_iter()
        .map(|f| match f.kind {
            Kind::Link(u) => {
                assert_eq!(&text[f.start..f.end], u);
                u
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        uris,
        [
            "https://a.com/x",
            "https://b.com/y",
            // Only one of `.,;:!?` is dropped, and only before the `)`.
            "https://c.com/z!",
            "https://w.org/wiki/Rust_(language)",
            "https://d.com/",
        ]
    );
}

#[test]
fn links_need_a_scheme_and_a_start() {
    assert!(detect("example.com and xhttps://a.com and ftp://a.com").is_empty());
    assert!(detect("https:// alone").is_empty());
    let text = "HTTPS://EXAMPLE.COM";
    assert_eq!(detect(text), vec![link(text, "HTTPS://EXAMPLE.COM")]);
}

#[test]
fn hashtags_follow_the_apps_rules() {
    let text = "#123 #1.5 a#b #ok, #ok2!? #tag#more ＃全角 #️⃣ #_x #";
    assert_eq!(
        detect(text),
        vec![
            tag(text, "#ok"),
            tag(text, "#ok2"),
            tag(text, "#tag#more"),
            tag(text, "＃全角"),
            tag(text, "#_x"),
        ]
    );
    // A tag inside a URL is the URL's.
    let text = "https://example.com/#section";
    assert_eq!(detect(text), vec![link(text, text)]);
    // 64 graphemes at most.
    let long = format!("#{}", "a".repeat(64));
    assert_eq!(detect(&long).len(), 1);
    assert!(detect(&format!("#{}", "a".repeat(65))).is_empty());
    // Counted in graphemes, not code points: 64 accented letters of two
    // code points each fit, 65 do not.
    let accented = format!("#{}", "e\u{301}".repeat(64));
    assert_eq!(detect(&accented), vec![tag(&accented, &accented)]);
    assert!(detect(&format!("#{}", "e\u{301}".repeat(65))).is_empty());
    // A ZWJ ends a tag: only the first person of a family is in it.
    let families = format!("#{}", FAMILY.repeat(64));
    assert_eq!(detect(&families), vec![tag(&families, "#👨")]);
}

#[test]
fn mentions_need_a_handle() {
    let text = "mail a@b.com, @alice, @-x.com @x.c @x.local @1.com @x.1a @Bob.Example.COM. (@carol.test) @d.test-";
    assert_eq!(
        detect(text),
        vec![
            // Labels may start with a digit (4chan.org); the last may not.
            mention(text, "@1.com"),
            mention(text, "@Bob.Example.COM"),
            mention(text, "@carol.test"),
            mention(text, "@d.test"),
        ]
    );
    let found = detect(text);
    assert_eq!(
        handles(&found),
        ["1.com", "bob.example.com", "carol.test", "d.test"]
    );
}

#[test]
fn overlaps_are_dropped_links_first() {
    let text = "#a(https://x.com) https://y.com/(@b.com";
    assert_eq!(
        detect(text),
        vec![
            link(text, "https://x.com"),
            link(text, "https://y.com/(@b.com"),
        ]
    );
}

#[test]
fn facets_carry_dids_or_name_the_unresolved() {
    let text = "hi @Alice.test and @bob.test and @alice.test #x https://a.com";
    let found = detect(text);
    assert_eq!(handles(&found), ["alice.test", "bob.test"]);
    let mut dids = HashMap::new();
    dids.insert("alice.test".to_string(), "did:plc:alice".to_string());
    let err = to_facets(&found, &dids).unwrap_err();
    assert_eq!(err.handles, ["bob.test"]);
    assert!(err.to_string().contains("@bob.test"), "{err}");
    dids.insert("bob.test".to_string(), "did:plc:bob".to_string());
    let facets = to_facets(&found, &dids).unwrap();
    let json = serde_json::to_value(&facets).unwrap();
    let (s, e) = span(text, "@Alice.test");
    assert_eq!(
        json[0],
        serde_json::json!({
            "index": {"byteStart": s, "byteEnd": e},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:alice"}]
        })
    );
    assert_eq!(json[3]["features"][0]["tag"], "x");
    assert_eq!(
        json[4]["features"][0]["$type"],
        "app.bsky.richtext.facet#link"
    );
    assert_eq!(json[4]["features"][0]["uri"], "https://a.com");
    let back: Vec<Facet> = serde_json::from_value(json).unwrap();
    assert_eq!(back, facets);
}

/// Pieces texts are made of: each kind of facet, and what tends to break
/// offsets (multi-byte, multi-code-point clusters) with and without spaces.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(" ".to_string()),
        Just("\n".to_string()),
        Just("(".to_string()),
        Just(").".to_string()),
        Just(FAMILY.to_string()),
        Just("🇯🇵".to_string()),
        Just("👍🏽".to_string()),
        Just("e\u{301}".to_string()),
        Just("\u{200D}".to_string()),
        Just("\u{FE0F}".to_string()),
        Just("日本語".to_string()),
        Just("#".to_string()),
        Just("＃".to_string()),
        Just("@".to_string()),
        Just("https://".to_string()),
        Just(".test".to_string()),
        "[a-z0-9]{1,6}",
        "#[a-z日本é0-9]{1,5}",
        "@[a-z]{1,5}\\.(test|com)",
        "https?://[a-z]{1,5}\\.com/[a-z日🇯🇵.,!?()]{0,6}",
    ]
}

proptest! {
    #[test]
    fn every_facet_slices_the_text_at_char_boundaries(
        pieces in proptest::collection::vec(piece(), 0..24)
    ) {
        let text: String = pieces.concat();
        let found = detect(&text);
        let mut last_end = 0;
        for f in &found {
            prop_assert!(f.start >= last_end, "overlap or out of order: {found:?}");
            prop_assert!(f.start < f.end && f.end <= text.len());
            prop_assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
            let slice = &text[f.start..f.end];
            match &f.kind {
                Kind::Link(uri) => prop_assert_eq!(slice, uri.as_str()),
                Kind::Tag(t) => prop_assert!(
                    slice == format!("#{t}") || slice == format!("＃{t}"),
                    "{slice:?} vs {t:?}"
                ),
                Kind::Mention(h) => prop_assert_eq!(slice, format!("@{h}")),
            }
            last_end = f.end;
        }
        let dids: HashMap<String, String> = handles(&found)
            .into_iter()
            .map(|h| (h.clone(), format!("did:plc:{}", h.len())))
            .collect();
        let facets = to_facets(&found, &dids).unwrap();
        prop_assert_eq!(facets.len(), found.len());
        for (facet, f) in facets.iter().zip(&found) {
            prop_assert_eq!((facet.index.byte_start, facet.index.byte_end), (f.start, f.end));
        }
    }
}
