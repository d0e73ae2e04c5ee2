//! A record written by the previous release (format 2) is read, planned
//! from and written back as format 3 without publishing anything again.

use crate::apply_e2e::{Site, AT};
use crate::common::fixtures;
use crate::graph::Login;
use serde_json::json;
use std::fs;

#[test]
fn a_record_of_the_previous_release_migrates_and_plans_nothing_new() {
    let site = Site::publish_fixture(Login::Facebook);
    let old = fs::read_to_string(fixtures().join("release-record/state.json")).unwrap();
    let before: serde_json::Value = serde_json::from_str(&old).unwrap();
    assert_eq!(before["format_version"], 2, "the fixture is the old format");
    fs::create_dir_all(site.path().join(".postwright")).unwrap();
    fs::write(site.path().join(".postwright/state.json"), &old).unwrap();

    // Nothing new to publish: the five posts it published are published.
    let run = site.run(&["plan", "--at", AT, "--format", "json", "--offline"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        plan["summary"],
        json!({"published": 5, "scheduled": 1}),
        "{plan:#}"
    );
    for e in plan["entries"].as_array().unwrap() {
        if e["action"] == "published" {
            let id = e["id"].as_str().unwrap();
            assert_eq!(e["media_id"], before["posts"][id]["media_id"], "{id}");
            assert_eq!(e["account"], "kiln");
        }
    }

    // A rename makes apply save the record: as format 3, keyed by post and
    // account, and with nothing sent to Instagram.
    fs::rename(
        site.path().join("posts/1-image.md"),
        site.path().join("posts/1-image-renamed.md"),
    )
    .unwrap();
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{}\n{report:#}", run.stderr);
    assert!(
        site.server.published().is_empty(),
        "nothing is published again"
    );
    assert!(
        site.server.requests().iter().all(|r| r.method == "GET"),
        "{:#?}",
        site.server.requests()
    );
    let after = site.state();
    assert_eq!(after["format_version"], postwright::state::FORMAT_VERSION);
    assert_eq!(
        after["posts"]["1-image-renamed"]["kiln"]["media_id"],
        before["posts"]["1-image"]["media_id"]
    );
    assert!(after["posts"]["1-image-renamed"]["kiln"]
        .get("account")
        .is_none());
    for id in ["2-carousel", "3-reel", "4-story-image", "5-story-video"] {
        let mut was = before["posts"][id].clone();
        was.as_object_mut().unwrap().remove("account");
        assert_eq!(after["posts"][id]["kiln"], was, "{id} kept as it was");
    }
}
