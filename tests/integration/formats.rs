//! Formats are honest: each command prints the formats it lists, refuses
//! the others as a usage error, and every JSON document carries
//! `format_version`.

use crate::apply_e2e::{Site, AT};
use crate::graph::Login;
use serde_json::Value;

#[test]
fn a_format_a_command_does_not_have_is_a_usage_error() {
    let site = Site::publish_fixture(Login::Facebook);
    for (args, says) in [
        (
            vec!["--format", "json", "init"],
            "`init` has no --format json: it prints human",
        ),
        (
            vec!["--format", "markdown", "schema", "post"],
            "`schema` has no --format markdown: it prints json",
        ),
        (
            vec!["--format", "markdown", "auth", "inspect"],
            "`auth` has no --format markdown",
        ),
        (
            vec!["--format", "github", "status"],
            "`status` has no --format github: it prints human, json, markdown",
        ),
        (
            vec!["--format", "markdown", "state", "show"],
            "`state` has no --format markdown",
        ),
    ] {
        let run = site.run(&args);
        assert_eq!(run.code, 64, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
    // In Actions the default is github where a command has it, its own
    // format where not.
    let run = site.run_env(&["status"], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("Published (0):"), "{}", run.stdout);
    let run = site.run_env(&["schema", "post"], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(serde_json::from_str::<Value>(&run.stdout).is_ok());
}

#[test]
fn every_json_document_has_a_format_version() {
    let site = Site::publish_fixture(Login::Facebook);
    let (code, report, _) = site.apply(&["--only", "1-image"]);
    assert_eq!(code, 0);
    assert_eq!(report["format_version"], 1, "apply: {report:#}");
    for args in [
        vec!["--format", "json", "validate"],
        vec!["--format", "json", "plan", "--at", AT, "--offline"],
        vec!["--format", "json", "status"],
        vec!["--format", "json", "state", "show"],
        vec!["--format", "json", "auth", "inspect"],
    ] {
        let run = site.run(&args);
        let v: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}\n{}", run.stdout, run.stderr));
        assert_eq!(v["format_version"], 1, "{args:?}: {v:#}");
    }
}

#[test]
fn status_in_markdown_and_apply_in_github_format_write_what_a_summary_needs() {
    let site = Site::publish_fixture(Login::Facebook);
    let summary = site.path().join("summary.md");
    let summary_env = summary.to_str().unwrap();
    let run = site.run_env(
        &[
            "--format", "github", "apply", "--at", AT, "--only", "1-image",
        ],
        &[
            ("KILN_TOKEN", crate::apply_e2e::TOKEN),
            ("GITHUB_STEP_SUMMARY", summary_env),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(written.starts_with("### postwright apply"), "{written}");
    assert!(written.contains("`posts/1-image.md`"), "{written}");
    let run = site.run(&["--format", "markdown", "status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("### postwright status"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("**Published (1)**"), "{}", run.stdout);
    assert!(run.stdout.contains("`1-image`"), "{}", run.stdout);
}

/// A file a command cannot write is an I/O failure (exit 1, as `--help`
/// documents), not a usage error (64); said once, and as an annotation in
/// GitHub's format. A bad flag value stays a usage error.
#[test]
fn a_file_that_cannot_be_written_exits_1_and_a_bad_value_64() {
    let site = Site::publish_fixture(Login::Facebook);
    let blocker = site.path().join("not-a-folder");
    std::fs::write(&blocker, "a file").unwrap();
    let plan_out = blocker.join("plan.md");
    let plan_out = plan_out.to_str().unwrap();
    let preview_out = blocker.to_str().unwrap();
    let run = site.run(&["plan", "--offline", "--at", AT, "--out", plan_out]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("error: --out").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("cannot write it"), "{}", run.stderr);
    let run = site.run(&["preview", "--at", AT, "--out", preview_out]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("error: --out"), "{}", run.stderr);
    let run = site.run(&[
        "--format",
        "github",
        "plan",
        "--offline",
        "--at",
        AT,
        "--out",
        plan_out,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("::error title=postwright::--out "),
        "{}",
        run.stdout
    );
    let run = site.run(&["plan", "--offline", "--at", "next tuesday"]);
    assert_eq!(run.code, 64, "{}", run.stderr);
}
