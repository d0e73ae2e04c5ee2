//! `postwright auth`, token expiry awareness in plan and apply, several
//! accounts in one repo, and the leak check: the token never shows up in
//! output, state, plans or request URLs.

use crate::apply_e2e::{account, assert_token_only_in_header, Site, AT, TOKEN, USER};
use crate::common::fixtures;
use crate::graph::{Login, ServerConfig, TestAccount};
use serde_json::{json, Value};
use std::fs;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const APP_ID: &str = "1234567890";
const APP_SECRET: &str = "app-secret-5b1e";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

const DAY: i64 = 86_400;

fn site_with(acct: TestAccount, login: Login) -> Site {
    let config = ServerConfig {
        accounts: vec![acct],
        app_id: Some(APP_ID.into()),
        app_secret: Some(APP_SECRET.into()),
        // Meta asks for appsecret_proof only when the app requires it; these
        // tests run with and without the secret in the environment.
        require_appsecret_proof: false,
        video_processing: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    Site::new(&fixtures().join("publish"), config, login, "")
}

#[test]
fn with_the_app_secret_every_call_carries_a_correct_appsecret_proof() {
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        app_id: Some(APP_ID.into()),
        app_secret: Some(APP_SECRET.into()),
        require_appsecret_proof: true,
        video_processing: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let site = Site::new(&fixtures().join("publish"), config, Login::Facebook, "");
    // Without the secret the server refuses the calls…
    let run = site.run(&["auth", "inspect"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    // …with it, apply goes through: every proof was right.
    let run = site.run_env(&["apply", "--at", AT, "--format", "json"], &with_app(&[]));
    assert_eq!(
        run.code, 0,
        "{}
{}",
        run.stdout, run.stderr
    );
    assert_eq!(site.server.published().len(), 5);
    assert_token_only_in_header_or_body(&site);
}

fn with_app<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![
        ("KILN_TOKEN", TOKEN),
        ("POSTWRIGHT_APP_ID", APP_ID),
        ("POSTWRIGHT_APP_SECRET", APP_SECRET),
    ];
    env.extend_from_slice(extra);
    env
}

#[test]
fn inspect_names_the_account_and_says_expiry_needs_the_app() {
    let site = site_with(account(Login::Instagram), Login::Instagram);
    let run = site.run(&["auth", "inspect"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains(&format!("acts for:  {USER} (@kiln.co)")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("POSTWRIGHT_APP_ID"), "{}", run.stdout);
    assert!(run.stdout.contains("can publish"));
    assert_token_only_in_header(&site.server);
}

#[test]
fn inspect_with_the_app_reads_type_scopes_and_expiry() {
    let mut acct = account(Login::Facebook);
    acct.token_expires_at = Some(now() + 30 * DAY);
    let site = site_with(acct, Login::Facebook);
    let run = site.run_env(&["auth", "inspect", "--format", "json"], &with_app(&[]));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let a = &v["accounts"][0];
    assert_eq!(a["account"], "kiln");
    assert_eq!(a["user_id"], USER);
    assert_eq!(a["username"], "kiln.co");
    assert_eq!(a["kind"], "USER");
    assert!(a["scopes"]
        .as_array()
        .unwrap()
        .contains(&json!("instagram_content_publish")));
    assert_eq!(a["errors"], json!([]));
    assert_eq!(a["warnings"], json!([]), "{a:#}");
    let expires: jiff::Timestamp = a["expires_at"].as_str().unwrap().parse().unwrap();
    assert!((expires.as_second() - (now() + 30 * DAY)).abs() < 5);
    // debug_token got the user token in a POST body, the app token in the header.
    let debug = site
        .server
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/debug_token"))
        .expect("debug_token called");
    assert_eq!(debug.method, "POST");
    assert_eq!(
        debug.headers.get("authorization").map(String::as_str),
        Some(format!("Bearer {APP_ID}|{APP_SECRET}").as_str())
    );
    assert_token_only_in_header_or_body(&site);
}

/// Like `assert_token_only_in_header`, but the token may travel in a POST
/// body where a token endpoint needs it as a parameter.
fn assert_token_only_in_header_or_body(site: &Site) {
    for r in site.server.requests() {
        assert!(
            !r.path.contains(TOKEN) && !r.query.contains(TOKEN),
            "token in the URL of {} {}",
            r.method,
            r.path
        );
        if r.params.iter().any(|(_, v)| v.contains(TOKEN)) {
            assert_eq!(r.method, "POST", "{}", r.path);
        }
    }
}

#[test]
fn a_missing_publishing_scope_is_an_error_and_an_optional_one_a_warning() {
    let mut acct = account(Login::Facebook);
    acct.scopes
        .retain(|s| s != "instagram_content_publish" && s != "instagram_manage_contents");
    let site = site_with(acct, Login::Facebook);
    let run = site.run_env(&["auth", "inspect"], &with_app(&[]));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "error:     the token lacks instagram_content_publish (needed for publishing)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("warning:   the token lacks instagram_manage_contents"),
        "{}",
        run.stdout
    );
    // apply fails early: nothing created.
    let run = site.run_env(&["apply", "--at", AT, "--format", "json"], &with_app(&[]));
    assert_eq!(run.code, 1);
    assert!(site
        .server
        .requests()
        .iter()
        .all(|r| r.method == "GET" || r.path.ends_with("debug_token")));
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["summary"], json!({"failed": 5}));
    assert!(v["results"][0]["message"]
        .as_str()
        .unwrap()
        .contains("instagram_content_publish"));
}

#[test]
fn a_token_expiring_within_a_week_is_a_warning_in_plan_and_apply() {
    let mut acct = account(Login::Facebook);
    acct.token_expires_at = Some(now() + 3 * DAY);
    let site = site_with(acct, Login::Facebook);
    let run = site.run_env(&["plan", "--at", AT], &with_app(&[]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: account kiln: the token in KILN_TOKEN expires"),
        "{}",
        run.stderr
    );
    let run = site.run_env(
        &["plan", "--at", AT, "--format", "github"],
        &with_app(&[("GITHUB_ACTIONS", "true")]),
    );
    assert!(
        run.stderr.contains(
            "::warning title=postwright token::account kiln: the token in KILN_TOKEN expires"
        ),
        "{}",
        run.stderr
    );
    let run = site.run_env(&["apply", "--at", AT, "--format", "github"], &with_app(&[]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("::warning title=postwright::account kiln: the token"),
        "{}",
        run.stdout
    );
    assert_eq!(site.server.published().len(), 5);
}

#[test]
fn an_expired_token_fails_plan_and_apply_early() {
    let mut acct = account(Login::Instagram);
    acct.token_expires_at = Some(now() - DAY);
    let site = site_with(acct, Login::Instagram);
    let run = site.run(&["plan", "--at", AT]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: account kiln: the token in KILN_TOKEN does not work"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("postwright auth refresh --account kiln"),
        "{}",
        run.stderr
    );
    // --offline: the plan itself is fine.
    assert_eq!(site.run(&["plan", "--at", AT, "--offline"]).code, 0);
    let run = site.run(&["apply", "--at", AT]);
    assert_eq!(run.code, 1);
    assert!(site.server.requests().iter().all(|r| r.method == "GET"));
}

#[test]
fn refresh_with_instagram_login_writes_a_private_file() {
    let mut acct = account(Login::Instagram);
    acct.token_issued_at = now() - 2 * DAY;
    acct.token_expires_at = Some(now() + 20 * DAY);
    let site = site_with(acct, Login::Instagram);
    let file = site.path().join("token.txt");
    let run = site.run(&["auth", "refresh", "--out", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "", "the token goes to the file only");
    assert!(run.stderr.contains("expires"), "{}", run.stderr);
    let new = fs::read_to_string(&file).unwrap().trim().to_string();
    assert!(!new.is_empty() && new != TOKEN);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let call = site
        .server
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("refresh_access_token"))
        .expect("refresh called");
    assert_eq!(call.query, "grant_type=ig_refresh_token");
    assert_token_only_in_header(&site.server);
    // The new token works.
    let run = site.run_env(&["auth", "inspect"], &[("KILN_TOKEN", new.as_str())]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    // In GitHub Actions the token printed to stdout is masked first.
    let run = site.run_env(
        &["auth", "refresh"],
        &[("KILN_TOKEN", TOKEN), ("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let printed = run.stdout.trim();
    assert!(
        run.stderr.contains(&format!("::add-mask::{printed}")),
        "{}",
        run.stderr
    );
}

#[test]
fn refresh_with_facebook_login_needs_the_app_and_sends_secrets_in_the_body() {
    let site = site_with(account(Login::Facebook), Login::Facebook);
    let run = site.run(&["auth", "refresh"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("POSTWRIGHT_APP_ID"), "{}", run.stderr);
    let run = site.run_env(&["auth", "refresh"], &with_app(&[]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let new = run.stdout.trim();
    assert!(!new.is_empty() && new != TOKEN);
    let call = site
        .server
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("oauth/access_token"))
        .expect("exchange called");
    assert_eq!(call.method, "POST");
    assert!(!call.query.contains(APP_SECRET) && !call.query.contains(TOKEN));
    assert_eq!(
        call.params.get("grant_type").map(String::as_str),
        Some("fb_exchange_token")
    );
    assert_token_only_in_header_or_body(&site);
}

#[test]
fn exchange_turns_a_short_lived_token_into_a_long_lived_one() {
    let site = site_with(account(Login::Instagram), Login::Instagram);
    let short = "IGQWR-short-lived-abc";
    site.server.add_token(
        USER,
        short,
        Some(now() + 3600),
        now(),
        account(Login::Instagram).scopes,
    );
    let run = site.run_env(&["auth", "exchange"], &with_app(&[("KILN_TOKEN", short)]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let long = run.stdout.trim().to_string();
    assert!(!long.is_empty() && long != short);
    assert!(
        run.stderr.contains("in 60 days") || run.stderr.contains("in 59 days"),
        "{}",
        run.stderr
    );
    let run = site.run_env(&["auth", "inspect"], &[("KILN_TOKEN", long.as_str())]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    for r in site.server.requests() {
        assert!(
            !r.query.contains(short) && !r.query.contains(APP_SECRET),
            "{}?{}",
            r.path,
            r.query
        );
    }
}

#[test]
fn one_accounts_dead_token_does_not_stop_the_other() {
    let mut dead = account(Login::Facebook);
    dead.user_id = "17841400000000002".into();
    dead.token = "IGQWR-other-dead".into();
    dead.token_expires_at = Some(now() - DAY);
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook), dead],
        video_processing: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let site = Site::new(&fixtures().join("publish"), config, Login::Facebook, "");
    let toml = format!(
        r#"content = ["posts"]
timezone = "Europe/Berlin"
default_account = "kiln"

[accounts.kiln]
user_id = "{USER}"
token_env = "KILN_TOKEN"

[accounts.shop]
user_id = "17841400000000002"
token_env = "SHOP_TOKEN"

[api]
base_url = "{}"
poll_interval_ms = 20
retry_base_ms = 10

[media]
base_url = "{}/"
"#,
        site.server.base_url(),
        site.server.media_url()
    );
    fs::write(site.path().join("postwright.toml"), toml).unwrap();
    // Two posts move to the other account.
    for f in ["posts/4-story-image.yaml", "posts/5-story-video.yaml"] {
        let p = site.path().join(f);
        let text = fs::read_to_string(&p).unwrap();
        fs::write(&p, format!("account: shop\n{text}")).unwrap();
    }
    let run = site.run_env(
        &["apply", "--at", AT, "--format", "json"],
        &[("KILN_TOKEN", TOKEN), ("SHOP_TOKEN", "IGQWR-other-dead")],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["summary"], json!({"published": 3, "failed": 2}), "{v:#}");
    assert_eq!(site.server.published().len(), 3);
    assert!(site
        .server
        .requests()
        .iter()
        .all(|r| !r.path.contains("17841400000000002/media")));
}

/// Every command, with a recognisable token, on success and failure paths:
/// the token never appears in stdout, stderr, the state, a plan file or a
/// request URL.
#[test]
fn the_token_never_leaks() {
    let mut acct = account(Login::Instagram);
    acct.token_issued_at = now() - 2 * DAY;
    let site = site_with(acct, Login::Instagram);
    let plan_file = site.path().join("plan.json");
    let plan_md = site.path().join("plan.md");
    let commands: Vec<Vec<&str>> = vec![
        vec!["validate"],
        vec![
            "plan",
            "--at",
            AT,
            "--format",
            "json",
            "--out",
            plan_file.to_str().unwrap(),
        ],
        vec![
            "plan",
            "--at",
            AT,
            "--format",
            "markdown",
            "--out",
            plan_md.to_str().unwrap(),
        ],
        vec!["plan", "--at", AT, "--format", "github"],
        vec!["apply", "--at", AT, "--format", "json"],
        vec!["apply", "--at", AT],
        vec!["status"],
        vec!["status", "--format", "json"],
        vec!["auth", "inspect"],
        vec!["auth", "inspect", "--format", "json"],
    ];
    let mut outputs = Vec::new();
    for args in &commands {
        for env in [with_app(&[]), vec![("KILN_TOKEN", TOKEN)]] {
            let run = site.run_env(args, &env);
            outputs.push((args.join(" "), run.stdout, run.stderr));
        }
    }
    // Failure paths: a rejected token, and no server at all.
    site.server.inject(crate::graph::Fault::MetaError {
        path_contains: USER.into(),
        code: 190,
        subcode: Some(467),
        transient: false,
    });
    let run = site.run(&["auth", "inspect"]);
    outputs.push(("auth inspect (190)".into(), run.stdout, run.stderr));
    let toml_path = site.path().join("postwright.toml");
    let toml = fs::read_to_string(&toml_path).unwrap();
    fs::write(
        &toml_path,
        toml.replace(&site.server.base_url(), "http://127.0.0.1:9"),
    )
    .unwrap();
    for args in [
        vec!["auth", "inspect"],
        vec!["auth", "refresh"],
        vec!["plan", "--at", AT],
    ] {
        let run = site.run(&args);
        outputs.push((
            format!("{} (no server)", args.join(" ")),
            run.stdout,
            run.stderr,
        ));
    }
    for (what, stdout, stderr) in &outputs {
        assert!(!stdout.contains(TOKEN), "{what}: stdout has the token");
        assert!(!stderr.contains(TOKEN), "{what}: stderr has the token");
        assert!(
            !stdout.contains(APP_SECRET) && !stderr.contains(APP_SECRET),
            "{what}: the app secret leaked"
        );
    }
    for file in [
        site.path().join(".postwright/state.json"),
        plan_file,
        plan_md,
    ] {
        let text = fs::read_to_string(&file).unwrap();
        assert!(!text.contains(TOKEN), "{} has the token", file.display());
    }
    assert!(!site.server.published().is_empty(), "apply ran for real");
    assert_token_only_in_header_or_body(&site);
}
