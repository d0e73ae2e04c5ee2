//! The mistakes people make (issue 14), as `validate` explains them: the
//! real binary's human output on one fixture post per mistake
//! (`tests/fixtures/mistakes/`), pinned by snapshots, plus the
//! postwright.toml mistakes in temporary repos.

use crate::common::{fixtures, postwright, validate_json};
use crate::validate_cli::repo_with_config;

fn repo() -> std::path::PathBuf {
    fixtures().join("mistakes")
}

/// `validate ARGS` in the mistakes repo: its human output (exit code 1).
fn validate(args: &[&str]) -> String {
    validate_in(&repo(), args)
}

fn validate_in(dir: &std::path::Path, args: &[&str]) -> String {
    let out = postwright(dir).arg("validate").args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_tab_is_reported_on_its_line() {
    insta::assert_snapshot!(validate(&["posts/tab.md"]));
}

#[test]
fn a_colon_in_a_value_says_to_quote_it() {
    insta::assert_snapshot!(validate(&["posts/colon.md"]));
    let (_, json) = validate_json(&repo(), &["posts/colon.md"]);
    let p = &json["problems"][0];
    // The caret spans the whole value, `Note: a blue mug`.
    assert_eq!(
        (p["line"].as_u64(), p["column"].as_u64()),
        (Some(4), Some(11))
    );
    assert_eq!(
        p["end"],
        serde_json::json!({"line": 4, "column": 27}),
        "{p:#}"
    );
}

#[test]
fn hashtags_after_a_colon_are_a_comment() {
    insta::assert_snapshot!(validate(&["posts/hashtags.md"]));
}

/// `validate FILE` for each file, the outputs joined by `---` lines.
fn validate_each(files: &[&str]) -> String {
    let out: Vec<String> = files.iter().map(|f| validate(&[f])).collect();
    out.join("---\n")
}

#[test]
fn values_starting_with_reserved_characters() {
    insta::assert_snapshot!(validate_each(&[
        "posts/mention.yaml",
        "posts/alias.yaml",
        "posts/anchor.yaml",
    ]));
}

#[test]
fn quotes_brackets_colons_and_tabs() {
    insta::assert_snapshot!(validate_each(&[
        "posts/inner-quote.yaml",
        "posts/inner-apostrophe.yaml",
        "posts/unclosed.yaml",
        "posts/no-colon.yaml",
        "posts/tab-after-colon.yaml",
        "posts/item-on-key-line.yaml",
    ]));
}

#[test]
fn a_duplicate_id_is_reported_once_with_a_note() {
    let out = validate(&["posts/dup-a.md", "posts/dup-b.md"]);
    assert_eq!(out.matches("error[duplicate-id]").count(), 1, "{out}");
    insta::assert_snapshot!(out);
    // Named alone, either file still gets it.
    for (file, other) in [
        ("posts/dup-a.md", "posts/dup-b.md"),
        ("posts/dup-b.md", "posts/dup-a.md"),
    ] {
        let (_, json) = validate_json(&repo(), &[file]);
        let p = &json["problems"][0];
        assert_eq!(
            (&p["rule"], &p["file"]),
            (&"duplicate-id".into(), &file.into()),
            "{json:#}"
        );
        assert_eq!(p["notes"][0]["file"], other, "{json:#}");
    }
}

#[test]
fn the_eleventh_carousel_item_is_pointed_at() {
    insta::assert_snapshot!(validate(&["posts/carousel.yaml"]));
}

#[test]
fn missing_media_suggests_the_file_that_exists() {
    insta::assert_snapshot!(validate(&["posts/missing.md"]));
}

#[test]
fn config_mistakes() {
    let cases = [
        "timezon = \"Europe/Berlin\"\n[accounts.studio]\nuser_id = \"1\"\n",
        "timezone = Europe/Berlin\n[accounts.studio]\nuser_id = \"1\"\n",
        "[accounts.studio]\nuser_id = \"1\"\nlogin = instagram\n",
        "[accounts.studio]\nuser_id = 17841400000000002\n",
        "[accounts.studio]\nuser_id = \"1\"\n[state]\nbackend = \"gti\"\n",
        "timezone = \"Europe/Berlim\"\n[accounts.studio]\nuser_id = \"1\"\n",
        "# Where the posts are.\ncontent = [\"posts\", \"stories\"]\n[accounts.studio]\nuser_id = \"1\"\n",
    ];
    let out: Vec<String> = cases
        .iter()
        .map(|config| validate_in(repo_with_config(config).path(), &[]))
        .collect();
    insta::assert_snapshot!(out.join("---\n"));
}
