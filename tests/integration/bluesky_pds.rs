//! `auth inspect` and `apply --prune` for a Bluesky account, against the
//! reference PDS (skipped with a message without Node 22, mandatory under
//! POSTWRIGHT_REQUIRE_TOOLS=1).

use crate::apply_e2e::{apply_with, AT};
use crate::bluesky_e2e::{run_in, yaml, Accounts, PASSWORD_ENV};
use serde_json::{json, Value};
use std::fs;

/// A repo with one Bluesky account `sky` and one text post.
fn site(acc: &Accounts) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("posts")).unwrap();
    let config = format!(
        "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[api]\nretry_base_ms = 10\n{}",
        acc.toml("sky")
    );
    fs::write(dir.path().join("postwright.toml"), config).unwrap();
    fs::write(
        dir.path().join("posts/hello.yaml"),
        format!(
            "publish_at: 2026-12-01 09:00\ncaption: {}\n",
            yaml("Hello, PDS")
        ),
    )
    .unwrap();
    dir
}

#[test]
fn auth_inspect_says_who_the_app_password_signs_in_as_and_never_prints_it() {
    let Some(acc) = Accounts::new() else { return };
    let dir = site(&acc);
    let envs = [(PASSWORD_ENV, acc.password.as_str())];
    let run = run_in(dir.path(), &envs, &["auth", "inspect", "--format", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let a = &v["accounts"][0];
    assert_eq!(a["account"], "sky");
    assert_eq!(a["platform"], "bluesky");
    assert_eq!(a["user_id"], acc.poster.did.as_str(), "{a:#}");
    assert_eq!(a["username"], acc.poster.handle.as_str());
    assert_eq!(a["token_env"], PASSWORD_ENV);
    assert_eq!(a["never_expires"], true);
    assert_eq!(a["errors"], json!([]), "{a:#}");
    assert_eq!(a["warnings"], json!([]), "{a:#}");
    assert!(!run.stdout.contains(&acc.password) && !run.stderr.contains(&acc.password));

    // A wrong app password: an error naming the variable, exit 1, and
    // neither password printed.
    let wrong = "aaaa-bbbb-cccc-dddd";
    let run = run_in(
        dir.path(),
        &[(PASSWORD_ENV, wrong)],
        &["auth", "inspect", "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let errors = v["accounts"][0]["errors"].to_string();
    assert!(
        errors.contains(PASSWORD_ENV) && errors.contains("AuthenticationRequired"),
        "{errors}"
    );
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(wrong) && !text.contains(&acc.password));
    }
}

#[test]
fn apply_prune_deletes_the_record_of_a_removed_post() {
    let Some(acc) = Accounts::new() else { return };
    let dir = site(&acc);
    let envs = [(PASSWORD_ENV, acc.password.as_str())];
    let (code, report, run) = apply_with(&[], |args| run_in(dir.path(), &envs, args));
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);
    assert_eq!(acc.records().len(), 1);

    fs::remove_file(dir.path().join("posts/hello.yaml")).unwrap();
    let (code, report, run) = apply_with(&["--prune"], |args| run_in(dir.path(), &envs, args));
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);
    assert_eq!(report["results"][0]["result"], "deleted", "{report:#}");
    assert!(acc.records().is_empty(), "{report:#}");
    let plan = run_in(
        dir.path(),
        &envs,
        &["plan", "--at", AT, "--format", "json", "--offline"],
    );
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(plan["summary"], json!({}), "{plan:#}");
}
