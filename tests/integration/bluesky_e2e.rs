//! Bluesky end to end: the real binary against the reference PDS
//! (tests/integration/pds.rs; skipped with a message without Node 22,
//! mandatory under POSTWRIGHT_REQUIRE_TOOLS=1). What was published is read
//! back with listRecords and getBlob and compared with what the test
//! computes on its own: the text, facets at byte offsets found here with
//! `str::find`, embeds, alt text, aspect ratios from the files' headers as
//! measured when the fixtures were made, and the blobs' bytes. One post
//! file also goes to Instagram, Threads and Bluesky in one apply.

use crate::apply_e2e::{apply_with, to_run, Run, AT, TOKEN};
use crate::common::{copy_dir, fixtures, postwright, validate_json};
use crate::pds::{block_on, unique_name, Account, Pds};
use crate::threads_e2e::{Both, THREADS_TOKEN};
use serde_json::{json, Value};
use std::fs;
use std::path::Path;
use std::time::Duration;

pub(crate) const PASSWORD_ENV: &str = "SKY_APP_PASSWORD";
pub(crate) const POST: &str = "app.bsky.feed.post";

/// Width × height of the fixture media as displayed (read with a JPEG and
/// an MP4 parser of the test's own when they were added).
const PORTRAIT: (u64, u64) = (1080, 1350);
const SQUARE: (u64, u64) = (1080, 1080);
const LANDSCAPE: (u64, u64) = (1440, 754);
const WIDE: (u64, u64) = (1080, 400);
const REEL: (u64, u64) = (720, 1280);

/// Two accounts on the shared PDS: one publishes (with an app password),
/// one is mentioned.
pub(crate) struct Accounts {
    pub pds: &'static Pds,
    pub poster: Account,
    pub friend: Account,
    pub password: String,
}

impl Accounts {
    pub fn new() -> Option<Accounts> {
        let pds = Pds::shared()?;
        let (poster, friend, password) = block_on(async {
            let poster = pds.create_account(&unique_name("poster")).await;
            let friend = pds.create_account(&unique_name("friend")).await;
            let password = pds.create_app_password(&poster, "postwright").await;
            (poster, friend, password)
        });
        Some(Accounts {
            pds,
            poster,
            friend,
            password,
        })
    }

    /// `[accounts.NAME]` for the poster.
    pub fn toml(&self, name: &str) -> String {
        format!(
            "\n[accounts.{name}]\nplatform = \"bluesky\"\nhandle = \"{}\"\npds = \"{}\"\npassword_env = \"{PASSWORD_ENV}\"\n",
            self.poster.handle,
            self.pds.url()
        )
    }

    /// The poster's posts, newest first.
    pub fn records(&self) -> Vec<Value> {
        block_on(self.pds.list_records(&self.poster.did, POST))
    }

    /// The poster's post whose text is `text`.
    pub fn record(&self, text: &str) -> Value {
        let all = self.records();
        all.iter()
            .find(|r| r["value"]["text"] == text)
            .cloned()
            .unwrap_or_else(|| panic!("no record with text {text:?} in {all:#?}"))
    }

    pub fn blob(&self, blob: &Value) -> Vec<u8> {
        let cid = blob["ref"]["$link"].as_str().expect("blob ref");
        block_on(self.pds.get_blob(&self.poster.did, cid))
    }
}

pub(crate) fn run_in(dir: &Path, envs: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = postwright(dir);
    cmd.env_remove("POSTWRIGHT_APP_ID")
        .env_remove("POSTWRIGHT_APP_SECRET");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.arg("--repo")
        .arg(dir)
        .args(args)
        .timeout(Duration::from_secs(180));
    to_run(args, cmd.output().expect("runs"))
}

fn media(name: &str) -> std::path::PathBuf {
    let publish = fixtures().join("publish/media").join(name);
    if publish.exists() {
        publish
    } else {
        fixtures().join("media").join(name)
    }
}

fn bytes(name: &str) -> Vec<u8> {
    fs::read(media(name)).unwrap()
}

/// A text with emoji, CJK and combining marks before, inside and after a
/// link, a hashtag and a mention of `friend`; and its facets, the offsets
/// found here in UTF-8 bytes.
fn rich_text(friend: &Account) -> (String, Value) {
    let link = "https://kiln.example/spring?glaze=青磁";
    let tag = "#釉薬glaze";
    let mention = format!("@{}", friend.handle);
    let text = format!(
        "Ünïcödé 🔥日本語 {link} 👩\u{200d}👩\u{200d}👧 e\u{301}\u{302} {tag} 🇯🇵 {mention} (ø\u{308}) fin"
    );
    let at = |needle: &str| {
        let start = text.find(needle).expect("in the text");
        json!({"byteStart": start, "byteEnd": start + needle.len()})
    };
    let facets = json!([
        {"index": at(link), "features": [{"$type": "app.bsky.richtext.facet#link", "uri": link}]},
        {"index": at(tag), "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "釉薬glaze"}]},
        {"index": at(&mention), "features": [{"$type": "app.bsky.richtext.facet#mention", "did": friend.did}]},
    ]);
    (text, facets)
}

/// A record's facets, in text order.
fn facets(record: &Value) -> Value {
    let mut list = record["value"]["facets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    list.sort_by_key(|f| f["index"]["byteStart"].as_u64());
    Value::Array(list)
}

/// Checks an image of an images embed against its file.
fn assert_image(acc: &Accounts, image: &Value, file: &str, alt: &str, size: (u64, u64)) {
    assert_eq!(image["alt"], alt, "{image:#}");
    assert_eq!(
        image["aspectRatio"],
        json!({"width": size.0, "height": size.1}),
        "{file}"
    );
    assert_eq!(image["image"]["mimeType"], "image/jpeg", "{file}");
    let want = bytes(file);
    assert_eq!(image["image"]["size"], want.len(), "{file}");
    assert!(
        acc.blob(&image["image"]) == want,
        "{file}: blob bytes differ"
    );
}

pub(crate) fn yaml(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// A repo with one Bluesky account `sky` and five posts: rich text, an
/// image, four images, a video, a link card.
fn single_site(acc: &Accounts) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixtures().join("publish/media"), &root.join("media"));
    fs::copy(media("wide.jpg"), root.join("media/wide.jpg")).unwrap();
    fs::create_dir_all(root.join("posts")).unwrap();
    let config = format!(
        "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[api]\npoll_interval_ms = 20\nretry_base_ms = 10\n{}",
        acc.toml("sky")
    );
    fs::write(root.join("postwright.toml"), config).unwrap();
    let (text, _) = rich_text(&acc.friend);
    let posts = [
        (
            "1-text.yaml",
            format!(
                "publish_at: 2026-12-01 09:00\ncaption: {}\nbluesky:\n  langs: [en, ja]\n",
                yaml(&text)
            ),
        ),
        (
            "2-image.yaml",
            "publish_at: 2026-12-01 10:00\ncaption: One mug 🍵\nmedia:\n  - src: ../media/portrait.jpg\n    alt_text: A speckled blue mug on an oak desk\n".into(),
        ),
        (
            "3-four.yaml",
            "publish_at: 2026-12-01 11:00\ncaption: Four glazes\nmedia:\n  - src: ../media/square.jpg\n    alt_text: Celadon\n  - src: ../media/landscape.jpg\n    alt_text: Tenmoku\n  - src: ../media/portrait.jpg\n    alt_text: Shino\n  - ../media/wide.jpg\n".into(),
        ),
        (
            "4-video.yaml",
            "publish_at: 2026-12-01 12:00\ncaption: How a glaze goes on.\nmedia:\n  - src: ../media/reel.mp4\n    alt_text: Hands dipping a bowl in glaze\n".into(),
        ),
        (
            "5-card.yaml",
            "publish_at: 2026-12-01 13:00\ncaption: The spring glazes, all of them.\nbluesky:\n  link:\n    url: https://kiln.example/spring\n    title: Spring glazes\n    description: Eight new glazes, one kiln.\n    thumb: ../media/square.jpg\n".into(),
        ),
    ];
    for (name, body) in posts {
        fs::write(root.join("posts").join(name), body).unwrap();
    }
    dir
}

#[test]
fn apply_publishes_text_images_video_and_a_card_to_the_reference_pds() {
    let Some(acc) = Accounts::new() else { return };
    let site = single_site(&acc);
    let envs = [(PASSWORD_ENV, acc.password.as_str())];
    let run = |args: &[&str]| run_in(site.path(), &envs, args);
    let (code, report, out) = apply_with(&[], run);
    assert_eq!(code, 0, "{}\n{report:#}", out.stderr);
    assert!(!out.stdout.contains(&acc.password) && !out.stderr.contains(&acc.password));
    assert_eq!(acc.records().len(), 5, "{report:#}");

    let (text, want_facets) = rich_text(&acc.friend);
    let rich = acc.record(&text);
    assert_eq!(facets(&rich), want_facets, "{rich:#}");
    assert_eq!(rich["value"]["langs"], json!(["en", "ja"]));
    assert!(rich["value"].get("embed").is_none(), "{rich:#}");
    let created = rich["value"]["createdAt"].as_str().unwrap();
    assert!(
        created.ends_with('Z') && created.starts_with("20"),
        "{created}"
    );

    let one = acc.record("One mug 🍵");
    assert_eq!(one["value"]["embed"]["$type"], "app.bsky.embed.images");
    let images = one["value"]["embed"]["images"].as_array().unwrap();
    assert_eq!(images.len(), 1);
    assert_image(
        &acc,
        &images[0],
        "portrait.jpg",
        "A speckled blue mug on an oak desk",
        PORTRAIT,
    );

    let four = acc.record("Four glazes");
    let images = four["value"]["embed"]["images"].as_array().unwrap();
    assert_eq!(images.len(), 4);
    assert_image(&acc, &images[0], "square.jpg", "Celadon", SQUARE);
    assert_image(&acc, &images[1], "landscape.jpg", "Tenmoku", LANDSCAPE);
    assert_image(&acc, &images[2], "portrait.jpg", "Shino", PORTRAIT);
    // No alt text written: the lexicon's required field, empty.
    assert_image(&acc, &images[3], "wide.jpg", "", WIDE);

    let video = acc.record("How a glaze goes on.");
    let embed = &video["value"]["embed"];
    assert_eq!(embed["$type"], "app.bsky.embed.video", "{video:#}");
    assert_eq!(embed["alt"], "Hands dipping a bowl in glaze");
    assert_eq!(
        embed["aspectRatio"],
        json!({"width": REEL.0, "height": REEL.1})
    );
    assert_eq!(embed["video"]["mimeType"], "video/mp4");
    assert!(acc.blob(&embed["video"]) == bytes("reel.mp4"));

    let card = acc.record("The spring glazes, all of them.");
    let external = &card["value"]["embed"]["external"];
    assert_eq!(card["value"]["embed"]["$type"], "app.bsky.embed.external");
    assert_eq!(external["uri"], "https://kiln.example/spring");
    assert_eq!(external["title"], "Spring glazes");
    assert_eq!(external["description"], "Eight new glazes, one kiln.");
    assert!(acc.blob(&external["thumb"]) == bytes("square.jpg"));

    // The record per post: its at-uri and the post's page.
    let state: Value = serde_json::from_str(
        &fs::read_to_string(site.path().join(".postwright/state.json")).unwrap(),
    )
    .unwrap();
    let entry = &state["posts"]["4-video"]["sky"];
    assert_eq!(entry["status"], "published", "{state:#}");
    assert_eq!(entry["media_id"], video["uri"]);
    let rkey = video["uri"].as_str().unwrap().rsplit('/').next().unwrap();
    assert_eq!(
        entry["permalink"],
        format!("https://bsky.app/profile/{}/post/{rkey}", acc.poster.handle)
    );

    // Nothing left: a second run publishes nothing.
    let (code, report, out) = apply_with(&[], |args| run_in(site.path(), &envs, args));
    assert_eq!(code, 0, "{}", out.stderr);
    assert_eq!(report["summary"], json!({}), "{report:#}");
    assert_eq!(acc.records().len(), 5);
}

#[test]
fn one_post_file_reaches_instagram_threads_and_bluesky_in_one_apply() {
    let Some(acc) = Accounts::new() else { return };
    let site = Both::new("");
    for entry in fs::read_dir(site.path().join("posts")).unwrap() {
        fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let config = site.path().join("postwright.toml");
    let mut toml = fs::read_to_string(&config).unwrap();
    toml.push_str(&acc.toml("kiln-sky"));
    fs::write(&config, toml).unwrap();
    let caption = format!(
        "The Harbour mug ☕ is back: https://kiln.example/harbour #ceramics 日本語 e\u{301} thanks @{}",
        acc.friend.handle
    );
    fs::write(
        site.path().join("posts/1-all.yaml"),
        format!(
            "accounts: [kiln, kiln-threads, kiln-sky]\npublish_at: 2026-12-01 10:00\ncaption: {}\nmedia:\n  - src: ../media/portrait.jpg\n    alt_text: A speckled blue mug on an oak desk\nbluesky:\n  langs: [en]\n",
            yaml(&caption)
        ),
    )
    .unwrap();
    let envs = [
        ("KILN_TOKEN", TOKEN),
        ("KILN_THREADS_TOKEN", THREADS_TOKEN),
        (PASSWORD_ENV, acc.password.as_str()),
    ];
    let (code, report, out) = apply_with(&[], |args| run_in(site.path(), &envs, args));
    assert_eq!(code, 0, "{}\n{report:#}", out.stderr);

    // Instagram and Threads, each from its test server.
    let ig = site.graph.published();
    assert_eq!(ig.len(), 1, "{report:#}");
    assert_eq!(ig[0].caption.as_deref(), Some(caption.as_str()));
    let threads = site.threads_posts();
    assert_eq!(threads.len(), 1, "{report:#}");
    assert_eq!(threads[0].params.get("text"), Some(&caption));

    // Bluesky, from the reference PDS, byte for byte.
    let records = acc.records();
    assert_eq!(records.len(), 1, "{records:#?}");
    let record = &records[0];
    assert_eq!(record["value"]["text"], caption.as_str());
    let at = |needle: &str| {
        let start = caption.find(needle).unwrap();
        json!({"byteStart": start, "byteEnd": start + needle.len()})
    };
    let mention = format!("@{}", acc.friend.handle);
    assert_eq!(
        facets(record),
        json!([
            {"index": at("https://kiln.example/harbour"), "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://kiln.example/harbour"}]},
            {"index": at("#ceramics"), "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "ceramics"}]},
            {"index": at(&mention), "features": [{"$type": "app.bsky.richtext.facet#mention", "did": acc.friend.did}]},
        ])
    );
    assert_eq!(record["value"]["langs"], json!(["en"]));
    let images = record["value"]["embed"]["images"].as_array().unwrap();
    assert_eq!(images.len(), 1);
    assert_image(
        &acc,
        &images[0],
        "portrait.jpg",
        "A speckled blue mug on an oak desk",
        PORTRAIT,
    );

    // One record per target; a second run publishes nothing anywhere.
    let state: Value = serde_json::from_str(
        &fs::read_to_string(site.path().join(".postwright/state.json")).unwrap(),
    )
    .unwrap();
    let post = &state["posts"]["1-all"];
    for account in ["kiln", "kiln-threads", "kiln-sky"] {
        assert_eq!(post[account]["status"], "published", "{account}: {state:#}");
    }
    assert_eq!(post["kiln-sky"]["media_id"], record["uri"]);
    let (code, report, out) = apply_with(&[], |args| run_in(site.path(), &envs, args));
    assert_eq!(code, 0, "{}", out.stderr);
    assert_eq!(report["summary"], json!({}), "{report:#}");
    assert_eq!(acc.records().len(), 1);
    assert_eq!(site.graph.published().len(), 1);
    assert_eq!(site.threads.published().len(), 1);
    let plan = run_in(site.path(), &envs, &["plan", "--at", AT, "--offline"]);
    assert!(plan.stdout.contains("→ kiln-sky"), "{}", plan.stdout);
}

/// A repo with a Bluesky account and no PDS: validate and plan are offline.
fn offline_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixtures().join("publish/media"), &root.join("media"));
    fs::create_dir_all(root.join("posts")).unwrap();
    fs::write(
        root.join("postwright.toml"),
        "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[accounts.sky]\nplatform = \"bluesky\"\nhandle = \"kiln.bsky.social\"\n",
    )
    .unwrap();
    // A JPEG of 2,100,000 bytes: the fixture, padded after its end.
    let mut big = bytes("square.jpg");
    big.resize(2_100_000, 0);
    fs::write(root.join("media/big.jpg"), big).unwrap();
    let posts = [
        (
            "long.yaml",
            format!("publish_at: 2026-12-01 09:00\ncaption: {}\n", yaml(&"e\u{301}".repeat(312))),
        ),
        ("big.yaml", "publish_at: 2026-12-01 09:00\ncaption: big\nmedia:\n  - src: ../media/big.jpg\n    alt_text: A mug\n".into()),
        (
            "five.yaml",
            "publish_at: 2026-12-01 09:00\ncaption: five\nmedia:\n  - ../media/square.jpg\n  - ../media/portrait.jpg\n  - ../media/landscape.jpg\n  - ../media/story.jpg\n  - ../media/square.jpg\n".into(),
        ),
        ("story.yaml", "publish_at: 2026-12-01 09:00\ntype: story\nmedia:\n  - src: ../media/story.jpg\n    alt_text: A kiln\n".into()),
    ];
    for (name, body) in posts {
        fs::write(root.join("posts").join(name), body).unwrap();
    }
    dir
}

#[test]
fn validate_and_plan_name_each_bluesky_limit_at_its_file_and_line() {
    let site = offline_site();
    let (code, report) = validate_json(site.path(), &[]);
    assert_ne!(code, 0, "{report:#}");
    let errors: Vec<&Value> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "error")
        .collect();
    let find = |file: &str| -> &Value {
        let hits: Vec<&&Value> = errors.iter().filter(|p| p["file"] == file).collect();
        assert_eq!(hits.len(), 1, "{file}: {errors:#?}");
        hits[0]
    };
    let long = find("posts/long.yaml");
    assert_eq!(
        (long["rule"].as_str(), long["line"].as_u64()),
        (Some("text-too-long"), Some(2))
    );
    assert!(
        long["message"]
            .as_str()
            .unwrap()
            .starts_with("for Bluesky: 312 of 300 graphemes"),
        "{long:#}"
    );
    let big = find("posts/big.yaml");
    assert_eq!(
        (big["rule"].as_str(), big["line"].as_u64()),
        (Some("image-too-large"), Some(4))
    );
    assert!(
        big["message"].as_str().unwrap().contains("2,100,000 bytes"),
        "{big:#}"
    );
    assert!(
        big["help"]
            .as_str()
            .unwrap()
            .contains("resize or recompress under 2 MB"),
        "{big:#}"
    );
    let five = find("posts/five.yaml");
    assert_eq!(
        (five["rule"].as_str(), five["line"].as_u64()),
        (Some("media-count"), Some(8))
    );
    assert!(
        five["message"]
            .as_str()
            .unwrap()
            .contains("at most 4 images"),
        "{five:#}"
    );
    let story = find("posts/story.yaml");
    assert_eq!(
        (story["rule"].as_str(), story["line"].as_u64()),
        (Some("not-on-platform"), Some(2))
    );
    assert!(
        story["message"]
            .as_str()
            .unwrap()
            .contains("Bluesky has no stories"),
        "{story:#}"
    );
    // Images without alt text are a warning, not an error.
    assert!(report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["file"] == "posts/five.yaml"
            && p["rule"] == "alt-text-missing"
            && p["severity"] == "warning"));

    // plan says the same, at the same places, and publishes nothing.
    let plan = run_in(site.path(), &[], &["plan", "--at", AT, "--offline"]);
    assert_ne!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let both = format!("{}{}", plan.stdout, plan.stderr);
    for place in [
        "posts/long.yaml:2",
        "posts/big.yaml:4",
        "posts/five.yaml:8",
        "posts/story.yaml:2",
    ] {
        assert!(both.contains(place), "{place}: {both}");
    }
}
