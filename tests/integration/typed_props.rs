//! The typed fast path (src/content/typed.rs) against the generic one
//! (YAML to a JSON value, the JSON Schema, serde): on every generated post,
//! edited post and file of the fixtures, the fast path either gives up, and
//! then the outcome is the generic path's to the byte, or takes the file,
//! and then the schema accepts it and the typed post, its id and every
//! position are the generic path's. And it is taken for ordinary posts.

use postwright::config::Config;
use postwright::content::{self, Content, Load, Post, Syntax};
use postwright::validate::{self, preflight::Preflight, schema};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn post_file(rel: &str) -> content::PostFile {
    content::named_file(rel, &["corpus".to_string(), "posts".to_string()])
}

/// Loads `bytes` both ways and compares; true when the fast path took it.
fn compare(rel: &str, syntax: Syntax, bytes: &[u8]) -> bool {
    let fast = content::load_bytes_with(post_file(rel), syntax, bytes, true);
    let generic = content::load_bytes_with(post_file(rel), syntax, bytes, false);
    let typed = matches!(&fast, Load::Post(l) if matches!(l.content, Content::Typed(_)));
    if !typed {
        // Given up: the generic path ran, so the outcome is its own.
        same_outcome(rel, &fast, &generic);
        return false;
    }
    let (Load::Post(fast), Load::Post(generic)) = (fast, generic) else {
        panic!("{rel}: the fast path took a file the generic path does not load");
    };
    let Content::Value(value) = &generic.content else {
        panic!("{rel}: the generic path typed the file");
    };
    let problems = schema::check_post(rel, value, &generic.spans);
    assert!(
        problems.is_empty(),
        "{rel}: the fast path took a post the schema rejects: {problems:?}\n{}",
        String::from_utf8_lossy(bytes)
    );
    assert_eq!(fast.spans, generic.spans, "{rel}: positions differ");
    // The whole check, both ways: the same problems and targets.
    let checked = |loaded: &content::Loaded| {
        let repo = root().join("tests/fixtures");
        let config = Config::load(&repo.join("postwright.toml"), "postwright.toml").unwrap();
        let c = validate::check_post(loaded.clone(), &config, &mut Preflight::new(&repo));
        (format!("{:?}", c.problems), c.valid.len(), c.id, c.id_pos)
    };
    assert_eq!(checked(&fast), checked(&generic), "{rel}: checks differ");
    let a = Post::from_loaded(*fast).expect("fast post types");
    let b = Post::from_loaded(*generic).expect("generic post types");
    assert_eq!(a.fields, b.fields, "{rel}: typed fields differ");
    assert_eq!(a.id, b.id, "{rel}");
    assert_eq!(a.spans, b.spans, "{rel}");
    true
}

/// Two outcomes of the generic path are the same (the spans compared by
/// their lookups: their empties are a hash map, whose debug order varies).
fn same_outcome(rel: &str, a: &Load, b: &Load) {
    match (a, b) {
        (Load::Post(a), Load::Post(b)) => {
            let (Content::Value(x), Content::Value(y)) = (&a.content, &b.content) else {
                panic!("{rel}: a typed post where the generic path ran");
            };
            assert_eq!(x, y, "{rel}");
            assert_eq!(a.spans, b.spans, "{rel}");
            assert_eq!((&a.file, a.syntax), (&b.file, b.syntax), "{rel}");
        }
        (a, b) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{rel}"),
    }
}

/// Compares `yaml` as a `.yaml` post and as front matter, with and
/// without a body; how many of the four the fast path took.
fn compare_both(yaml: &str) -> usize {
    let md = format!("---\n{yaml}---\nThe body. #tag\n");
    let md_empty = format!("---\n{yaml}---\n");
    usize::from(compare("corpus/p.yaml", Syntax::Yaml, yaml.as_bytes()))
        + usize::from(compare("corpus/p.md", Syntax::Markdown, md.as_bytes()))
        + usize::from(compare(
            "corpus/q.md",
            Syntax::Markdown,
            md_empty.as_bytes(),
        ))
}

/// Values, right and wrong, for any key: every scalar style and the
/// core schema's corners, lists and maps of the post's shapes, tags,
/// anchors, aliases, empties.
const VALUES: &[&str] = &[
    "hello",
    "\"quoted\"",
    "'single'",
    "\"\"",
    "",
    "~",
    "null",
    "true",
    "false",
    "no",
    "12",
    "-3",
    "0x1F",
    "0o17",
    "1.5",
    "1e3",
    ".inf",
    "\"123\"",
    "123",
    "'0042'",
    "18446744073709551616",
    "image",
    "reel",
    "story",
    "carousel",
    "text",
    "video",
    "manual",
    "a/b.c-d_e",
    "-bad",
    "_ok",
    "!!str 12",
    "!!str",
    "&a x",
    "*a",
    "|\n  block text\n  two lines",
    ">-\n  folded\n  text",
    "2027-01-01 09:00",
    "\"#tag\"",
    "#comment",
    "日本",
    "x y z",
    "[]",
    "[a]",
    "[a, b]",
    "[\"\", x]",
    "[/media/a.jpg]",
    "[a.jpg, a.jpg]",
    "[{src: a.jpg, alt_text: x}]",
    "[{src: a.jpg, user_tags: [{username: u, x: 0.5, y: 1}]}]",
    "[{src: a.jpg, product_tags: [{product_id: 12, x: 0.1}]}]",
    "[{src: a.jpg, product_tags: []}]",
    "[{username: u, x: 0.5, y: 0.5}]",
    "[{username: u}]",
    "[{username: \"\"}]",
    "[{username: u, x: \"0.5\"}]",
    "[{product_id: \"12\"}]",
    "[{product_id: -1}]",
    "[{product_id: 1.0}]",
    "[{product_id: 7, y: 2}]",
    "[1, \"2\"]",
    "[\"1a\"]",
    "[{src: a.jpg, src: b.jpg}]",
    "[{alt_text: x}]",
    "[{src: a.jpg, extra: 1}]",
    "[{src: \"\"}]",
    "[[a]]",
    "[a, [b]]",
    "[~]",
    "\n  - a.jpg\n  - src: b.jpg\n    alt_text: y\n    user_tags:\n      - username: n\n        x: 0\n        y: 1",
    "\n  - one\n  - two",
    "\n  -\n  - two",
    "{graduation: manual}",
    "{graduation: performance}",
    "{graduation: never}",
    "{graduation: manual, other: 1}",
    "{}",
    "{caption: hi}",
    "\n  graduation: performance",
    "\n  caption: hi\n  media: [a.jpg]",
    "&l [a]",
    "!!seq [a]",
    "{a: 1}",
];

/// Keys: every field, platforms' maps, typos, a quoted key.
const KEYS: &[&str] = &[
    "id",
    "account",
    "accounts",
    "type",
    "media",
    "caption",
    "publish_at",
    "draft",
    "location_id",
    "user_tags",
    "alt_text",
    "collaborators",
    "first_comment",
    "comments",
    "cover",
    "thumb_offset",
    "share_to_feed",
    "audio_name",
    "trial",
    "product_tags",
    "paid_partnership",
    "sponsor_ids",
    "ai_generated",
    "allow_duplicate",
    "publish_overdue",
    "threads",
    "instagram",
    "captoin",
    "\"media\"",
    "'caption'",
];

/// A value the schema accepts for `key`, so that many posts are valid.
fn good(key: &str) -> Vec<&'static str> {
    match key {
        "id" => vec!["a/b.c-d_e", "\"x1\"", "_z", "post-1"],
        "account" => vec!["main", "'shop'"],
        "accounts" => vec!["[main]", "[main, shop]", "\n  - main"],
        "type" => vec!["image", "carousel", "reel", "story", "text", "\"reel\""],
        "media" => vec![
            "[/media/a.jpg]",
            "[a.jpg, b.mp4]",
            "[{src: a.jpg, alt_text: x}]",
            "\n  - a.jpg\n  - src: b.jpg\n    alt_text: y\n    user_tags:\n      - username: n\n        x: 0\n        y: 1",
            "[{src: a.jpg, product_tags: [{product_id: 12, x: 0.1}]}]",
            "[\"no\", '12']",
        ],
        "caption" | "publish_at" | "alt_text" => {
            vec!["hello", "\"12\"", "'x y'", "|\n  block\n  text", "2027-01-01 09:00", "\"\""]
        }
        "first_comment" | "cover" | "audio_name" => vec!["hello", "\"#ceramics\"", "a.jpg"],
        "location_id" => vec!["\"110123456789\"", "123", "0x1F", "18446744073709551616"],
        "user_tags" => vec!["[{username: u, x: 0.5, y: 0.5}]", "[]", "\n  - username: v"],
        "collaborators" => vec!["[a, b]", "[]"],
        "thumb_offset" => vec!["0", "1500"],
        "trial" => vec!["{graduation: manual}", "\n  graduation: performance"],
        "product_tags" => vec!["[{product_id: \"12\"}]", "[{product_id: 7, y: 2}]"],
        "sponsor_ids" => vec!["[1, \"2\"]", "[]"],
        _ => vec!["true", "false", "True"],
    }
}

/// A post: fields in any order, each with a good or any value.
fn post() -> impl Strategy<Value = String> {
    let entry = (
        0..KEYS.len(),
        any::<bool>(),
        0..VALUES.len(),
        any::<prop::sample::Index>(),
    );
    proptest::collection::vec(entry, 0..9).prop_map(|entries| {
        let mut text = String::new();
        for (k, wrong, v, pick) in entries {
            let key = KEYS[k];
            let value = if wrong {
                VALUES[v]
            } else {
                let g = good(key.trim_matches(['"', '\'']));
                g[pick.index(g.len())]
            };
            let sep = if value.starts_with('\n') { "" } else { " " };
            text.push_str(&format!("{key}:{sep}{value}\n"));
        }
        text
    })
}

const SEED: &str = "id: a\ntype: carousel\npublish_at: 2026-12-01 09:00\nmedia:\n  - src: /media/square.jpg\n    alt_text: x\n    user_tags: [{username: a, x: 0.5, y: 0.5}]\n  - /media/reel.mp4\ncollaborators: [a, b]\nlocation_id: \"12\"\ntrial: {graduation: manual}\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn generated_posts_agree(yaml in post()) {
        compare_both(&yaml);
    }

    #[test]
    fn edited_posts_agree(
        edits in proptest::collection::vec((0usize..SEED.len(), "[-:\\[\\]{}&*!|>'\" \n\t#@a-z0-9]{0,6}", 0usize..4), 1..6)
    ) {
        let mut text = SEED.to_string();
        for (at, insert, delete) in edits {
            let mut at = at.min(text.len());
            while !text.is_char_boundary(at) { at -= 1; }
            let mut end = (at + delete).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            text.replace_range(at..end, &insert);
        }
        compare_both(&text);
    }

    #[test]
    fn arbitrary_text_agrees(text in "\\PC{0,200}") {
        compare("corpus/p.yaml", Syntax::Yaml, text.as_bytes());
    }
}

#[test]
fn the_generators_reach_both_outcomes() {
    // A property that only ever sees the fast path give up proves nothing:
    // the generated posts must be taken often, and refused often.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut taken, mut total) = (0, 0);
    for _ in 0..400 {
        let yaml = post().new_tree(&mut runner).unwrap().current();
        taken += compare_both(&yaml);
        total += 3;
    }
    assert!(taken * 10 > total, "taken {taken} of {total}");
    assert!(taken * 10 < total * 9, "taken {taken} of {total}");
    assert_eq!(compare_both(SEED), 3, "the seed post is taken");
}

/// Every post file under `dir`.
fn posts_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            posts_under(&path, out);
        } else if Syntax::of(&path).is_some() {
            out.push(path);
        }
    }
}

#[test]
fn every_fixture_and_example_agrees() {
    let mut files = Vec::new();
    posts_under(&root().join("tests/fixtures"), &mut files);
    posts_under(&root().join("example-content"), &mut files);
    assert!(files.len() > 100, "{} files", files.len());
    let mut taken = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let rel = path.strip_prefix(root()).unwrap().to_string_lossy();
        let syntax = Syntax::of(path).unwrap();
        taken += usize::from(compare(&rel, syntax, &bytes));
    }
    assert!(taken > 20, "taken for {taken} of {} files", files.len());
}

#[test]
fn ordinary_posts_take_the_fast_path() {
    // example-content's posts (README.md is not a post).
    let mut files = Vec::new();
    posts_under(&root().join("example-content/posts"), &mut files);
    let mut n = 0;
    for path in files.iter().filter(|p| !p.ends_with("README.md")) {
        let bytes = std::fs::read(path).unwrap();
        let rel = path.strip_prefix(root()).unwrap().to_string_lossy();
        assert!(
            compare(&rel, Syntax::of(path).unwrap(), &bytes),
            "{rel} is not taken by the fast path"
        );
        n += 1;
    }
    assert!(n >= 6, "{n} example posts");
    // The posts of scripts/bench/gen.py (what plan's benchmark reads).
    let kinds = [
        "media: [/media/studio.jpg]\nalt_text: Shelves of bowls\nlocation_id: \"110123456789\"\n",
        "media:\n  - src: /media/mug-desk.jpg\n    alt_text: A mug\n    user_tags: [{username: a.b, x: 0.5, y: 0.5}]\n  - /media/mug-hand.jpg\n  - /media/kiln-timelapse.mp4\ncollaborators: [partner]\n",
        "type: reel\nmedia: [/media/glaze-reel.mp4]\ncover: /media/glaze-cover.jpg\nshare_to_feed: true\n",
    ];
    for kind in kinds {
        let md = format!("---\npublish_at: 2027-01-05T09:00:00+01:00\n{kind}first_comment: \"#ceramics\"\n---\nPost number 7. #handmade #stoneware @friend\n\nA second paragraph of caption text.\n");
        assert!(
            compare("posts/000/post-7.md", Syntax::Markdown, md.as_bytes()),
            "{kind}"
        );
    }
    let story = "type: story\npublish_at: 2027-01-04 09:00\nmedia: [/media/story-sale.jpg]\n";
    assert!(compare(
        "posts/000/story-3.yaml",
        Syntax::Yaml,
        story.as_bytes()
    ));
}
