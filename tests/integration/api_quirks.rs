//! The Graph API as real accounts meet it (issue 13): both logins' usage
//! headers, the subcodes that mean "wait" or "make a new container", an
//! upgraded API version, numeric ids from `debug_token`, the ERROR text of
//! a container, and a first comment a passing failure interrupts. Each
//! test shows what a real `apply` does against the test Graph server.

use crate::apply_e2e::{account, creations, publish_calls, Site, AT, TOKEN, USER};
use crate::common::fixtures;
use crate::graph::{Fault, Login, Recorded, ServerConfig};
use serde_json::{json, Value};
use std::time::Duration;

fn site_with(login: Login, config: ServerConfig, extra: &str) -> Site {
    let config = ServerConfig {
        accounts: vec![account(login)],
        video_processing: Duration::from_millis(300),
        ..config
    };
    Site::new(&fixtures().join("publish"), config, login, extra)
}

fn fresh(login: Login) -> Site {
    site_with(login, ServerConfig::default(), "")
}

fn publishes(site: &Site) -> Vec<Recorded> {
    site.server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/media_publish"))
        .collect()
}

fn meta_error(path: &str, code: i64, subcode: i64) -> Fault {
    Fault::MetaError {
        path_contains: path.into(),
        code,
        subcode: Some(subcode),
        transient: false,
    }
}

fn result<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {report:#}"))
}

/// Gaps between consecutive Graph calls of one account, in ms.
fn gaps(site: &Site) -> Vec<u64> {
    let graph: Vec<u64> = site
        .server
        .requests()
        .into_iter()
        .filter(|r| r.user_id.as_deref() == Some(USER))
        .map(|r| r.at_ms)
        .collect();
    graph.windows(2).map(|w| w[1] - w[0]).collect()
}

#[test]
fn instagram_logins_usage_names_pace_apply_as_facebook_logins_do() {
    for login in [Login::Instagram, Login::Facebook] {
        // Every call reports 95 % or more of the limit used: postwright
        // must pause before each call (4 × retry_base = 40 ms here).
        let config = ServerConfig {
            usage_step_pct: 95,
            ..ServerConfig::default()
        };
        let site = site_with(login, config, "");
        let (code, report, run) = site.apply(&["--only", "1-image"]);
        assert_eq!(code, 0, "{login:?}: {report:#}\n{}", run.stderr);
        let header = &site.server.requests()[0];
        assert_eq!(header.user_id.as_deref(), Some(USER));
        let gaps = gaps(&site);
        assert!(gaps.len() >= 4, "{login:?}: {gaps:?}");
        // The first gap is between the token check's client and the run's,
        // which has not seen a header yet.
        assert!(
            gaps.iter().skip(1).all(|g| *g >= 35),
            "{login:?}: every call after a 95 % answer waits: {gaps:?} ms"
        );
    }
}

#[test]
fn usage_at_the_limit_beyond_max_rate_wait_defers_the_account_without_another_call() {
    let site = fresh(Login::Facebook);
    // The quota read succeeds, and says: 100 %, back in 10 minutes (more
    // than max_rate_wait_secs' 120 s).
    site.server.inject(Fault::HighUsage {
        path_contains: "content_publishing_limit".into(),
        usage_pct: 100,
        regain_minutes: 10,
    });
    let started = std::time::Instant::now();
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "deferred, not failed: {report:#}\n{}", run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "no sleeping: {:?}",
        started.elapsed()
    );
    let requests = site.server.requests();
    let quota = requests
        .iter()
        .position(|r| r.path.contains("content_publishing_limit"))
        .unwrap();
    assert_eq!(
        requests.len(),
        quota + 1,
        "no call after the quota read: {:?}",
        requests[quota..]
            .iter()
            .map(|r| &r.path)
            .collect::<Vec<_>>()
    );
    assert!(site.server.published().is_empty());
    assert_eq!(report["summary"], json!({"deferred": 5}), "{report:#}");
    assert!(
        run.stderr.contains("access back in 10 min"),
        "{}",
        run.stderr
    );
}

#[test]
fn not_ready_while_finished_is_waited_out_with_growing_pauses() {
    let site = fresh(Login::Facebook);
    site.server
        .inject_times(meta_error("media_publish", 9007, 2207027), 3);
    let (code, report, run) = site.apply(&["--only", "1-image"]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(site.server.published().len(), 1);
    let calls = publishes(&site);
    assert_eq!(calls.len(), 4, "three refusals, then the publish");
    // Two, four, eight poll intervals (20 ms here): seconds in real use.
    let gaps: Vec<u64> = calls.windows(2).map(|w| w[1].at_ms - w[0].at_ms).collect();
    for (gap, floor) in gaps.iter().zip([40, 80, 160]) {
        assert!(*gap >= floor, "pauses {gaps:?} ms, each at least {floor}");
    }
    assert!(
        run.stderr
            .contains("Meta says the media is not ready (9007/2207027)"),
        "{}",
        run.stderr
    );
}

#[test]
fn not_ready_without_end_stops_after_a_bounded_number_of_tries() {
    let site = fresh(Login::Facebook);
    site.server
        .inject_times(meta_error("media_publish", 9007, 2207027), 50);
    let (code, report, _) = site.apply(&["--only", "1-image"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(publishes(&site).len(), 6, "one try and five waits");
    assert!(site.server.published().is_empty());
    // Left as "publishing": the next run asks the container first.
    assert_eq!(
        site.state()["posts"]["1-image"]["kiln"]["status"],
        "publishing"
    );
}

#[test]
fn a_missing_container_is_tried_again_then_rebuilt() {
    // Once: the same container again, 30 poll intervals later.
    let site = fresh(Login::Facebook);
    site.server.inject(meta_error("media_publish", 24, 2207008));
    let (code, report, run) = site.apply(&["--only", "1-image"]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    let calls = publishes(&site);
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].params["creation_id"],
        calls[1].params["creation_id"]
    );
    assert!(calls[1].at_ms - calls[0].at_ms >= 600, "30 × 20 ms");
    assert_eq!(creations(&site.server).len(), 1, "no new container");
    assert_eq!(site.server.published().len(), 1);

    // Three times: two tries of the same container, then a new one.
    let site = fresh(Login::Facebook);
    site.server
        .inject_times(meta_error("media_publish", 24, 2207008), 3);
    let (code, report, run) = site.apply(&["--only", "1-image"]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    let calls = publishes(&site);
    assert_eq!(calls.len(), 4);
    assert_eq!(creations(&site.server).len(), 2, "one rebuild");
    assert_ne!(
        calls[2].params["creation_id"],
        calls[3].params["creation_id"]
    );
    assert_eq!(site.server.published().len(), 1);
}

#[test]
fn make_a_new_container_subcodes_rebuild_without_stopping_the_account() {
    for (code, subcode) in [(24, 2207006), (-1, 2207053), (-2, 2207020)] {
        let site = fresh(Login::Facebook);
        site.server.inject(meta_error(
            &format!("POST /v24.0/{USER}/media_publish"),
            code,
            subcode,
        ));
        let (exit, report, run) = site.apply(&[]);
        assert_eq!(exit, 0, "{code}/{subcode}: {report:#}\n{}", run.stderr);
        assert_eq!(site.server.published().len(), 5, "{code}/{subcode}");
        assert_eq!(publish_calls(&site.server), 6, "{code}/{subcode}");
        assert!(
            run.stderr
                .contains(&format!("({code}/{subcode}), preparing it again")),
            "{}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("re-authorize"),
            "{code}/{subcode} is not a permission error: {}",
            run.stderr
        );
    }
}

#[test]
fn media_not_found_twice_checks_the_token_and_fails_only_that_post() {
    let site = fresh(Login::Facebook);
    let publish = format!("POST /v24.0/{USER}/media_publish");
    site.server
        .inject_times(meta_error(&publish, 24, 2207006), 2);
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 1, "{report:#}\n{}", run.stderr);
    let failed = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] == "failed")
        .count();
    assert_eq!(failed, 1, "{report:#}");
    assert_eq!(site.server.published().len(), 4, "the others went out");
    // After the second refusal the token was asked who it is.
    let requests = site.server.requests();
    let second = requests
        .iter()
        .enumerate()
        .filter(|(_, r)| r.error_code == Some(24))
        .nth(1)
        .map(|(i, _)| i)
        .unwrap();
    assert!(
        requests[second..]
            .iter()
            .any(|r| r.method == "GET" && r.path.ends_with(&format!("/{USER}"))),
        "identity read after the second 2207006"
    );

    // With the token revoked, that check stops the account instead.
    let site = fresh(Login::Facebook);
    site.server
        .inject_times(meta_error(&publish, 24, 2207006), 2);
    let server = site.server.handle();
    let seen = std::sync::atomic::AtomicU32::new(0);
    site.server.set_after_effect_hook(move |e| {
        // The second container is the rebuild: the token dies with it.
        if matches!(e, crate::graph::Effect::ContainerCreated { .. })
            && seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1
        {
            server.revoke_token(TOKEN);
        }
    });
    let (code, report, run) = site.apply(&["--only", "1-image"]);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        run.stderr.contains("refresh it"),
        "a dead token says so: {}",
        run.stderr
    );
}

#[test]
fn a_containers_error_text_is_read_for_its_subcode() {
    for (subcode, words) in [
        (2207026, "ffmpeg -i"),
        (2207077, "Range"),
        (2207076, "206 Partial Content"),
        (2207085, "ffmpeg -i"),
    ] {
        let site = fresh(Login::Facebook);
        site.server.inject(Fault::ProcessingFails { subcode });
        let (code, report, run) = site.apply(&["--only", "3-reel"]);
        assert_eq!(code, 1, "{subcode}: {report:#}");
        let message = result(&report, "3-reel")["message"].as_str().unwrap();
        assert!(
            message.contains(&subcode.to_string()) && message.contains(words),
            "{subcode}: {message}\n{}",
            run.stderr
        );
    }
}

#[test]
fn an_upgraded_api_version_is_a_warning_naming_the_version_to_move_to() {
    let config = ServerConfig {
        upgrade: Some(("v21.0".into(), "v22.0".into())),
        ..ServerConfig::default()
    };
    let site = site_with(Login::Facebook, config, "version = \"v21.0\"\n");
    let run = site.run(&["plan", "--at", AT]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("answered with API v22.0")
            && run.stderr.contains("version = \"v22.0\""),
        "{}",
        run.stderr
    );
    let (code, report, _) = site.apply(&[]);
    assert_eq!(code, 0);
    assert!(
        report["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("v22.0")),
        "{report:#}"
    );
    // Asked for the live version: no warning.
    let site = site_with(Login::Facebook, ServerConfig::default(), "");
    let run = site.run(&["plan", "--at", AT]);
    assert!(!run.stderr.contains("answered with API"), "{}", run.stderr);
}

#[test]
fn instagram_login_identity_is_read_from_me_user_id() {
    let site = fresh(Login::Instagram);
    let run = site.run(&["auth", "inspect", "--format", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["accounts"][0]["user_id"], USER, "{v:#}");
    assert_eq!(v["accounts"][0]["errors"], json!([]), "{v:#}");
    let me = site
        .server
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/me"))
        .expect("asked /me");
    assert!(me.params["fields"].contains("user_id"), "{:?}", me.params);
    // The scoped id the server gives as `id` is not the account id: a
    // client comparing `id` would refuse the token.
    assert_ne!(crate::graph::scoped_id(USER), USER);
    let (code, report, _) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(site.server.published().len(), 5);
}

#[test]
fn a_first_comment_hit_by_a_passing_failure_is_tried_again_in_the_run() {
    let site = fresh(Login::Facebook);
    site.server.inject(Fault::Http500BeforeEffect {
        path_contains: "POST */comments".into(),
    });
    let (code, report, run) = site.apply(&["--only", "1-image"]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    let image = &site.server.published()[0];
    assert_eq!(site.server.comments(&image.id).len(), 1);
    assert!(
        !site.state()["posts"]["1-image"]["kiln"]["first_comment_id"].is_null(),
        "recorded in the same run"
    );
    assert!(result(&report, "1-image").get("pending").is_none());
}

#[test]
fn a_first_comment_still_failing_is_reported_pending_with_the_reason() {
    let site = fresh(Login::Facebook);
    site.server.inject_times(
        Fault::Http500BeforeEffect {
            path_contains: "POST */comments".into(),
        },
        3,
    );
    let (code, report, run) = site.apply(&["--only", "1-image"]);
    assert_eq!(code, 0, "published: {report:#}\n{}", run.stderr);
    let r = result(&report, "1-image");
    assert_eq!(r["result"], "published");
    let pending = r["pending"][0].as_str().unwrap();
    assert!(
        pending.starts_with("first comment: posting it failed: Meta error 1"),
        "{pending}"
    );
    assert!(pending.ends_with("the next apply posts it"), "{pending}");
    let human = site.run(&["status"]);
    assert_eq!(human.code, 0);
    // The next run finishes it, once.
    let (code, report, _) = site.apply(&["--only", "1-image"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"], json!({"updated": 1}), "{report:#}");
    let image = &site.server.published()[0];
    assert_eq!(site.server.comments(&image.id).len(), 1);
}

#[test]
fn numeric_ids_from_debug_token_still_give_expiry_and_scopes() {
    const APP_ID: &str = "1234567890";
    const APP_SECRET: &str = "app-secret-5b1e";
    let mut acct = account(Login::Facebook);
    let now = crate::graph::unix_now();
    acct.token_expires_at = Some(now + 30 * 86_400);
    // Data access lapses two days from now (90 days after the login).
    acct.token_issued_at = now - 88 * 86_400;
    let config = ServerConfig {
        accounts: vec![acct],
        app_id: Some(APP_ID.into()),
        app_secret: Some(APP_SECRET.into()),
        require_appsecret_proof: false,
        numeric_debug_ids: true,
        ..ServerConfig::default()
    };
    let site = Site::new(&fixtures().join("publish"), config, Login::Facebook, "");
    let env = [
        ("KILN_TOKEN", TOKEN),
        ("POSTWRIGHT_APP_ID", APP_ID),
        ("POSTWRIGHT_APP_SECRET", APP_SECRET),
    ];
    let run = site.run_env(&["auth", "inspect", "--format", "json"], &env);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let a = &v["accounts"][0];
    assert!(a["expires_at"].is_string(), "{a:#}");
    assert!(
        a["scopes"].as_array().is_some_and(|s| !s.is_empty()),
        "{a:#}"
    );
    let warnings = a["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .is_some_and(|w| w.contains("data access for the token in KILN_TOKEN ends"))),
        "{a:#}"
    );
}
