//! No input makes the loader or the checks panic: arbitrary bytes, and
//! near-valid posts with random edits.

use postwright::config::Config;
use postwright::content::{self, Load, Syntax};
use postwright::validate::{self, preflight::Preflight};
use proptest::prelude::*;

fn file(rel: &str) -> content::PostFile {
    content::named_file(rel, &["corpus".to_string()])
}

const SEED_POST: &str = "---\nid: a\ntype: carousel\npublish_at: 2026-12-01 09:00\nmedia:\n  - src: /media/square.jpg\n    alt_text: x\n    user_tags: [{username: a, x: 0.5, y: 0.5}]\n  - /media/reel.mp4\ncollaborators: [a, b]\n---\nHello #tag @name\n";

/// Loads and fully checks `bytes` as a post of the fixture repo.
fn check(bytes: &[u8], syntax: Syntax) {
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let config =
        Config::load(&repo.join("postwright.toml"), "postwright.toml").expect("fixture config");
    let rel = match syntax {
        Syntax::Markdown => "corpus/prop.md",
        Syntax::Yaml => "corpus/prop.yaml",
    };
    if let Load::Post(loaded) = content::load_bytes(file(rel), syntax, bytes) {
        let mut preflight = Preflight::new(&repo);
        let checked = validate::check_post(*loaded, &config, &mut preflight);
        for p in &checked.problems {
            assert!(p.line >= 1 && p.column >= 1, "{p:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes, Syntax::Yaml);
        let mut md = b"---\n".to_vec();
        md.extend_from_slice(&bytes);
        check(&md, Syntax::Markdown);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        check(text.as_bytes(), Syntax::Yaml);
        check(format!("---\n{text}\n---\nbody").as_bytes(), Syntax::Markdown);
    }

    #[test]
    fn edited_posts_never_panic(
        edits in proptest::collection::vec((0usize..SEED_POST.len(), "[-:\\[\\]{}&*!|>'\" \n\t#@a-z0-9]{0,6}", 0usize..4), 1..8)
    ) {
        let mut text = SEED_POST.to_string();
        for (at, insert, delete) in edits {
            let mut at = at.min(text.len());
            while !text.is_char_boundary(at) { at -= 1; }
            let mut end = (at + delete).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            text.replace_range(at..end, &insert);
        }
        check(text.as_bytes(), Syntax::Markdown);
        check(text.trim_start_matches("---\n").replace("\n---\n", "\ncaption: x\n").as_bytes(), Syntax::Yaml);
    }
}

#[test]
fn seed_post_is_valid() {
    // The mutations start from a valid post, or they would test little.
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let config = Config::load(&repo.join("postwright.toml"), "postwright.toml").unwrap();
    let Load::Post(loaded) = content::load_bytes(
        file("corpus/prop.md"),
        Syntax::Markdown,
        SEED_POST.as_bytes(),
    ) else {
        panic!("seed does not load")
    };
    let checked = validate::check_post(*loaded, &config, &mut Preflight::new(&repo));
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    assert_eq!(checked.valid.len(), 1);
}
