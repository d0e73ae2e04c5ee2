//! Each class of Graph API error, injected into the test server during a
//! real `apply`: what postwright does about it, and that no post is ever
//! published twice or dropped without a word.

use crate::apply_e2e::{account, publish_calls, Site, USER};
use crate::common::fixtures;
use crate::graph::{Fault, Login, ServerConfig};
use serde_json::{json, Value};
use std::time::Duration;

fn site() -> Site {
    Site::publish_fixture(Login::Facebook)
}

pub(crate) fn results<'a>(report: &'a Value, verdict: &str) -> Vec<&'a Value> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] == verdict)
        .collect()
}

/// Every post of the fixture exactly once on the server, and the state agrees.
fn assert_all_published_once(site: &Site) {
    let published = site.server.published();
    let mut captions: Vec<_> = published.iter().map(|m| m.caption.clone()).collect();
    captions.sort();
    captions.dedup();
    assert_eq!(published.len(), 5, "{published:#?}");
    assert_eq!(captions.len(), 4, "three captions and the stories' none");
    let state = site.state();
    for m in &published {
        let n = state["posts"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|targets| targets.as_object().unwrap().values())
            .filter(|e| e["media_id"] == m.id.as_str() && e["status"] == "published")
            .count();
        assert_eq!(n, 1, "media {} recorded once: {state:#}", m.id);
    }
}

/// Requests the server answered after the first one matching `pred`.
fn after_first(site: &Site, pred: impl Fn(&crate::graph::Recorded) -> bool) -> usize {
    let requests = site.server.requests();
    let first = requests.iter().position(pred).expect("the fault fired");
    requests.len() - first - 1
}

#[test]
fn server_errors_before_any_effect_are_retried() {
    let site = site();
    site.server.inject(Fault::Http500BeforeEffect {
        path_contains: format!("POST /v24.0/{USER}/media"),
    });
    site.server.inject(Fault::MetaError {
        path_contains: "content_publishing_limit".into(),
        code: 2,
        subcode: None,
        transient: true,
    });
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert!(site.server.requests().iter().any(|r| r.status == 500));
    assert_all_published_once(&site);
}

#[test]
fn a_publish_whose_answer_is_lost_is_resolved_by_reading_never_repeated() {
    let site = site();
    site.server.inject(Fault::DropAfterEffect {
        path_contains: "media_publish".into(),
    });
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_all_published_once(&site);
    assert_eq!(
        publish_calls(&site.server),
        5,
        "media_publish never sent twice"
    );
}

#[test]
fn a_lost_first_comment_answer_does_not_double_the_comment() {
    let site = site();
    site.server.inject(Fault::DropAfterEffect {
        path_contains: "POST */comments".into(),
    });
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert!(
        site.server
            .requests()
            .iter()
            .any(|r| r.dropped && r.method == "POST"),
        "the comment's answer was lost"
    );
    let image = &site.server.published()[0];
    assert_eq!(site.server.comments(&image.id).len(), 1);
    // The lost answer is a passing failure: the run looks again, finds the
    // comment and records it instead of commenting again.
    let recorded = &site.state()["posts"]["1-image"]["kiln"]["first_comment_id"];
    assert_eq!(recorded, site.server.comments(&image.id)[0].id.as_str());
    let (_, report, _) = site.apply(&[]);
    assert_eq!(report["summary"], json!({}), "{report:#}");
    assert_eq!(site.server.comments(&image.id).len(), 1);
}

#[test]
fn a_short_rate_limit_is_waited_out() {
    let site = site();
    site.server.inject(Fault::RateLimit {
        path_contains: "media_publish".into(),
        code: 4,
        usage_pct: 100,
        regain_minutes: 0,
    });
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_all_published_once(&site);
}

#[test]
fn a_long_rate_limit_stops_the_account_and_defers_its_posts() {
    let site = site();
    site.server.inject(Fault::RateLimit {
        path_contains: "media_publish".into(),
        code: 80002,
        usage_pct: 100,
        regain_minutes: 30,
    });
    let (code, report, run) = site.apply(&[]);
    assert_eq!(
        code, 0,
        "deferred is not failed: {report:#}\n{}",
        run.stderr
    );
    assert_eq!(report["summary"], json!({"deferred": 5}), "{report:#}");
    let first = &results(&report, "deferred")[0];
    assert!(
        first["message"].as_str().unwrap().contains("30 min"),
        "says when access returns: {first:#}"
    );
    assert_eq!(
        after_first(&site, |r| r.status == 400
            && r.path.ends_with("media_publish")),
        0,
        "no call after the block: calls while blocked extend it"
    );
    assert!(site.server.published().is_empty());
    // The next run (block lifted) publishes everything, once.
    site.server.advance(Duration::from_secs(31 * 60));
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_all_published_once(&site);
}

#[test]
fn auth_permission_and_block_errors_stop_the_account_at_once() {
    for (code, subcode, words) in [
        (190, Some(463), "token"),
        (10, None, "permission"),
        (368, None, "restricted"),
    ] {
        let site = site();
        site.server.inject(Fault::MetaError {
            path_contains: "media_publish".into(),
            code,
            subcode,
            transient: false,
        });
        let (exit, report, run) = site.apply(&[]);
        assert_eq!(exit, 1, "{code}: {report:#}\n{}", run.stderr);
        assert_eq!(
            report["summary"],
            json!({"failed": 5}),
            "{code}: {report:#}"
        );
        assert!(
            report["results"][1]["message"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(words),
            "{code}: {report:#}"
        );
        assert_eq!(
            after_first(&site, |r| r.status >= 400),
            0,
            "{code}: no call after the account stopped"
        );
        assert!(site.server.published().is_empty());
    }
}

#[test]
fn an_expired_token_fails_before_any_container_is_created() {
    let mut acct = account(Login::Facebook);
    acct.token_expires_at = Some(1_700_000_000);
    let config = ServerConfig {
        accounts: vec![acct],
        ..ServerConfig::default()
    };
    let site = Site::new(&fixtures().join("publish"), config, Login::Facebook, "");
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 1, "{report:#}\n{}", run.stderr);
    assert_eq!(report["summary"], json!({"failed": 5}), "{report:#}");
    assert!(
        site.server.requests().iter().all(|r| r.method == "GET"),
        "nothing created: {:#?}",
        site.server.requests()
    );
    assert!(run.stderr.contains("auth refresh"), "{}", run.stderr);
}

#[test]
fn an_early_publish_is_polled_then_published_once() {
    let site = site();
    site.server.inject(Fault::MetaError {
        path_contains: "media_publish".into(),
        code: 9007,
        subcode: Some(2207027),
        transient: false,
    });
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_all_published_once(&site);
}

#[test]
fn an_expired_container_is_rebuilt() {
    let site = site();
    site.server.inject(Fault::MetaError {
        path_contains: "media_publish".into(),
        code: -2,
        subcode: Some(2207020),
        transient: false,
    });
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_all_published_once(&site);
    let (_, report, _) = site.apply(&[]);
    assert_eq!(report["summary"], json!({}));
}

#[test]
fn a_content_error_fails_that_post_only() {
    let site = site();
    site.server.inject(Fault::MetaError {
        path_contains: format!("POST /v24.0/{USER}/media"),
        code: 36003,
        subcode: Some(2207009),
        transient: false,
    });
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 1, "{report:#}\n{}", run.stderr);
    let failed = results(&report, "failed");
    assert_eq!(failed.len(), 1, "{report:#}");
    assert!(failed[0]["message"].as_str().unwrap().contains("36003"));
    assert!(failed[0]["file"].as_str().unwrap().starts_with("posts/"));
    assert_eq!(results(&report, "published").len(), 4);
    assert_eq!(site.server.published().len(), 4);
    // Fixed (here: the fault is gone), the next run publishes it.
    let (code, report, _) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}");
    assert_all_published_once(&site);
}

#[test]
fn posts_beyond_the_publishing_quota_are_deferred() {
    let site = site();
    let total = ServerConfig::default().quota_total;
    site.server.set_quota_usage(USER, total - 2);
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(
        report["summary"],
        json!({"published": 2, "deferred": 3}),
        "{report:#}"
    );
    let captions = crate::apply_e2e::captions(&site);
    assert_eq!(
        captions,
        [
            "Meet the Harbour mug. ☕ @oakandpaper",
            "A week at the wheel, in three pictures."
        ],
        "the earliest go first"
    );
}

#[test]
fn a_video_that_fails_processing_fails_its_post_only() {
    let site = site();
    // A format Meta cannot process: the post's own fault.
    site.server
        .inject(Fault::ProcessingFails { subcode: 2207026 });
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 1, "{report:#}\n{}", run.stderr);
    assert_eq!(results(&report, "failed").len(), 1, "{report:#}");
    assert_eq!(site.server.published().len(), 4);
    // Instagram's server trouble (2207001) is passing: the posts after it
    // in grid order wait with it, so the grid keeps its order.
    let site = self::site();
    site.server.inject(Fault::ProcessingError);
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 1, "{report:#}\n{}", run.stderr);
    let failed = results(&report, "failed");
    assert_eq!(failed.len(), 1, "{report:#}");
    let message = failed[0]["message"].as_str().unwrap();
    assert!(message.contains("2207001"), "{message}");
    assert!(
        results(&report, "deferred")
            .iter()
            .all(|r| r["message"].as_str().unwrap().contains("waits for")),
        "{report:#}"
    );
}

/// A first comment whose answer was lost is found again among hundreds of
/// newer comments (paged), and a follower's comment with the same text is
/// not taken for ours.
#[test]
fn a_lost_first_comment_is_found_past_the_first_page_and_never_confused() {
    let site = site();
    site.server.inject(Fault::DropAfterEffect {
        path_contains: "POST */comments".into(),
    });
    // Busy post: while our comment's answer is lost, a follower echoes the
    // text, then 150 more comments come in before postwright looks again.
    let server = site.server.handle();
    site.server.set_after_effect_hook(move |e| {
        if let crate::graph::Effect::CommentCreated { media_id, .. } = e {
            server.add_comment(media_id, "a.follower", "#ceramics #handmade");
            for i in 0..150 {
                server.add_comment(media_id, "fan", &format!("lovely {i}"));
            }
        }
    });
    let (code, report, run) = site.apply(&["--only", "1-image"]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(report["summary"], json!({"published": 1}), "{report:#}");
    let image = site.server.published()[0].id.clone();
    let (code, report, _) = site.apply(&["--only", "1-image"]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"], json!({}), "nothing left: {report:#}");
    let ours: Vec<_> = site
        .server
        .comments(&image)
        .into_iter()
        .filter(|c| c.text == "#ceramics #handmade" && c.username == "kiln.co")
        .collect();
    assert_eq!(ours.len(), 1, "not posted again");
    assert_eq!(
        site.state()["posts"]["1-image"]["kiln"]["first_comment_id"],
        ours[0].id.as_str(),
        "ours recorded, not the follower's"
    );
}

/// The upload host failing mid-upload (its own error shape, or a proxy's
/// HTML 502): the bytes are resumed from what it has, and the reel goes out.
#[test]
fn a_broken_resumable_upload_is_resumed() {
    for fault in [
        Fault::Http500BeforeEffect {
            path_contains: "POST /ig-api-upload*".into(),
        },
        Fault::BareStatus {
            path_contains: "POST /ig-api-upload*".into(),
            status: 502,
        },
    ] {
        let site = site();
        crate::apply_e2e::send_videos_resumable(&site);
        site.server.inject(fault.clone());
        let (code, report, run) = site.apply(&["--only", "3-reel"]);
        assert_eq!(code, 0, "{fault:?}: {report:#}\n{}", run.stderr);
        assert_eq!(site.server.published().len(), 1);
        let uploads = site
            .server
            .requests()
            .iter()
            .filter(|r| r.path.contains("/ig-api-upload/"))
            .count();
        assert!(uploads >= 2, "{fault:?}: retried");
    }
}
