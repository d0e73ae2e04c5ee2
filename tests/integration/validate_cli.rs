//! `postwright validate` and `postwright schema` as users run them: output
//! formats (pinned by snapshots), exit codes, config errors, path selection.

use crate::common::{fixtures, postwright, root, validate_json};
use std::fs;

fn snapshot_repo() -> std::path::PathBuf {
    fixtures().join("snapshot")
}

fn stdout_of(cmd: &mut assert_cmd::Command) -> (i32, String) {
    let out = cmd.output().expect("runs");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "panic: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
    )
}

#[test]
fn example_content_validates_cleanly() {
    let (code, json) = validate_json(&root().join("example-content"), &[]);
    assert_eq!(json["problems"], serde_json::json!([]), "{json:#}");
    assert_eq!(json["files"], 6);
    assert_eq!(code, 0);
}

#[test]
fn human_output() {
    let (code, out) = stdout_of(postwright(&snapshot_repo()).arg("validate"));
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn json_output() {
    let (code, out) =
        stdout_of(postwright(&snapshot_repo()).args(["validate", "--format", "json"]));
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn github_output_is_the_default_in_actions() {
    let (code, out) = stdout_of(
        postwright(&snapshot_repo())
            .arg("validate")
            .env("GITHUB_ACTIONS", "true"),
    );
    assert_eq!(code, 1);
    // Messages escape `%` and newlines (the help follows on a new line).
    assert!(
        out.contains("title=publish-at-invalid::`tuesday, 9:00 (100%25)` is not a date and time postwright can read%0Awrite it like"),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn github_annotations_are_relative_to_the_workspace() {
    let (_, out) = stdout_of(
        postwright(&root())
            .args([
                "--repo",
                "tests/fixtures/snapshot",
                "validate",
                "--format",
                "github",
            ])
            .env("GITHUB_WORKSPACE", root()),
    );
    assert!(
        out.contains("::error file=tests/fixtures/snapshot/posts/bad.md,line=2,col=13,"),
        "{out}"
    );
}

#[test]
fn markdown_output() {
    let (code, out) =
        stdout_of(postwright(&snapshot_repo()).args(["validate", "--format", "markdown"]));
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn paths_select_files_and_name_non_posts() {
    let (code, json) = validate_json(&snapshot_repo(), &["posts/good.md"]);
    assert_eq!((code, json["files"].as_u64()), (0, Some(1)), "{json:#}");

    let (code, json) = validate_json(&snapshot_repo(), &["posts/README.md"]);
    assert_eq!(code, 0, "a warning alone does not fail: {json:#}");
    assert_eq!(json["problems"][0]["rule"], "not-a-post");
    assert_eq!(json["problems"][0]["severity"], "warning");

    // A folder selects the posts under it; paths are relative to the current folder.
    let (code, json) = validate_json(
        &root(),
        &[
            "--repo",
            "tests/fixtures/snapshot",
            "tests/fixtures/snapshot/posts",
        ],
    );
    assert_eq!((code, json["files"].as_u64()), (1, Some(3)), "{json:#}");
}

#[test]
fn usage_errors_exit_64() {
    for args in [
        vec!["validate", "--format", "yaml"],
        vec!["validate", "--no-such-flag"],
        vec!["validate", "posts/missing.md"],
        vec!["--repo", "/nonexistent/dir", "validate"],
        vec!["frobnicate"],
    ] {
        let out = postwright(&snapshot_repo()).args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(64),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stderr.is_empty(), "{args:?} says nothing");
    }
    let out = postwright(&snapshot_repo()).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("validate"));
}

#[test]
fn schema_command_prints_the_published_schemas() {
    // The files in schema/ are the base; the command prints them with
    // every platform's part added (a platform's map in a post, its keys in
    // an account).
    for (arg, file) in [
        ("post", "schema/post.schema.json"),
        ("config", "schema/config.schema.json"),
    ] {
        let (code, out) = stdout_of(postwright(&root()).args(["schema", arg]));
        assert_eq!(code, 0);
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            value["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        let base: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(root().join(file)).unwrap()).unwrap();
        for (key, spec) in base["properties"].as_object().unwrap() {
            if key != "accounts" {
                assert_eq!(&value["properties"][key], spec, "{arg}: {key}");
            }
        }
    }
    let (_, post) = stdout_of(postwright(&root()).args(["schema", "post"]));
    let post: serde_json::Value = serde_json::from_str(&post).unwrap();
    let (_, config) = stdout_of(postwright(&root()).args(["schema", "config"]));
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    let platforms =
        &config["properties"]["accounts"]["additionalProperties"]["properties"]["platform"]["enum"];
    for name in platforms.as_array().unwrap() {
        let name = name.as_str().unwrap();
        let map = &post["properties"][name];
        assert_eq!(map["additionalProperties"], false, "{name}: {map:#}");
        assert!(map["properties"]["caption"].is_object(), "{name}");
    }
    assert!(post["properties"]["threads"]["properties"]["reply_control"].is_object());
}

/// A repo holding `config` as postwright.toml and an empty posts/.
pub(crate) fn repo_with_config(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("postwright.toml"), config).unwrap();
    fs::create_dir(dir.path().join("posts")).unwrap();
    dir
}

#[test]
fn config_errors_point_at_the_line() {
    let cases = [
        (
            "[accounts.a]\nuser_id = \"1\"\ntoken_evn = \"X\"\n",
            3,
            "token_evn",
        ),
        (
            "timezone = \"Mars/Olympus\"\n[accounts.a]\nuser_id = \"1\"\n",
            1,
            "Mars/Olympus",
        ),
        ("timezone = \"UTC\"\n", 1, "no account"),
        ("content = [\"posts\"\n", 1, ""),
    ];
    for (config, line, needle) in cases {
        let dir = repo_with_config(config);
        let (code, json) = validate_json(dir.path(), &[]);
        assert_eq!(code, 1, "{config}");
        let p = &json["problems"][0];
        assert_eq!(p["rule"], "config", "{json:#}");
        assert_eq!(p["file"], "postwright.toml");
        assert_eq!(p["line"], line, "{config}: {json:#}");
        assert!(p["message"].as_str().unwrap().contains(needle), "{json:#}");
    }
    let dir = tempfile::tempdir().unwrap();
    let (code, json) = validate_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert!(json["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("no postwright.toml"));
}

#[test]
fn config_flag_and_missing_content_folder() {
    let dir =
        repo_with_config("content = [\"posts\", \"stories\"]\n[accounts.a]\nuser_id = \"1\"\n");
    fs::rename(
        dir.path().join("postwright.toml"),
        dir.path().join("other.toml"),
    )
    .unwrap();
    let (code, json) = validate_json(dir.path(), &["--config", "other.toml"]);
    assert_eq!(code, 1);
    assert_eq!(json["problems"][0]["rule"], "config");
    assert!(
        json["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`stories` does not exist"),
        "{json:#}"
    );
}

#[test]
fn readme_documents_every_rule_and_the_schema_every_field() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    for rule in postwright::diagnostic::Rule::ALL {
        assert!(
            readme.contains(&format!("| `{}` |", rule.id())),
            "README lacks rule {}",
            rule.id()
        );
    }
    let (_, schema) = stdout_of(postwright(&root()).args(["schema", "post"]));
    let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
    for (field, spec) in schema["properties"].as_object().unwrap() {
        assert!(
            readme.contains(&format!("| `{field}` |")),
            "README lacks field {field}"
        );
        assert!(
            spec["description"].is_string(),
            "schema field {field} has no description"
        );
    }
}

#[test]
fn a_true_mpo_is_named_with_its_mp_type_and_a_lossless_fix() {
    let (code, json) = validate_json(&fixtures(), &["corpus/media-format-2.yaml"]);
    assert_eq!(code, 1, "{json:#}");
    let problem = &json["problems"][0];
    assert_eq!(problem["rule"], "media-format", "{json:#}");
    let message = problem["message"].as_str().unwrap();
    assert!(
        message.contains("stereo (3D) MPO") && message.contains("0x020002"),
        "{message}"
    );
    assert!(
        problem["help"]
            .as_str()
            .unwrap()
            .contains("exiftool -MPF:all= -trailer:all= -o out.jpg in.jpg"),
        "{json:#}"
    );
}
