//! `auth inspect` for a Mastodon account against the Mastodon test server:
//! who the token is, the server's version, and a refused token as an
//! error naming the variable; the token is never printed.

use crate::bluesky_e2e::run_in;
use crate::mastodon::{MastodonConfig, MastodonServer, TOKEN};
use serde_json::{json, Value};
use std::fs;

const VAR: &str = "MASTO_TOKEN_TEST";

#[test]
fn auth_inspect_says_who_the_token_is_and_never_prints_it() {
    let server = MastodonServer::start_blocking(MastodonConfig::default());
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("posts")).unwrap();
    fs::write(
        dir.path().join("postwright.toml"),
        format!(
            "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[accounts.masto]\nplatform = \"mastodon\"\ninstance = \"{}\"\ntoken_env = \"{VAR}\"\n",
            server.url()
        ),
    )
    .unwrap();
    let run = run_in(
        dir.path(),
        &[(VAR, TOKEN)],
        &["auth", "inspect", "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let a = &v["accounts"][0];
    assert_eq!(a["platform"], "mastodon", "{a:#}");
    assert_eq!(a["user_id"], server.account_id().as_str(), "{a:#}");
    assert!(
        a["username"].as_str().unwrap().starts_with("kiln@"),
        "{a:#}"
    );
    assert_eq!(a["token_env"], VAR);
    assert_eq!(a["never_expires"], true);
    assert_eq!(a["errors"], json!([]), "{a:#}");
    assert!(a["notes"].to_string().contains("4.4.0"), "{a:#}");
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));

    let wrong = "not-a-token-at-all";
    let run = run_in(
        dir.path(),
        &[(VAR, wrong)],
        &["auth", "inspect", "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let errors = v["accounts"][0]["errors"].to_string();
    assert!(errors.contains(VAR) && errors.contains("401"), "{errors}");
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(wrong));
    }
}
