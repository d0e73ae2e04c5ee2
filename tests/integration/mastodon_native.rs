//! `schedule = "native"` against the Mastodon test server, whose virtual
//! clock the test moves (and the binary's `--at` with it): a post is handed
//! over as a scheduled status, moved when its `publish_at` changes,
//! cancelled and handed over anew when edited, cancelled when it becomes a
//! draft or its file is deleted, recorded when the server publishes it at
//! its time, held (never posted again) when it was cancelled in the app;
//! a lost hand-over answer is found among the scheduled statuses; the
//! server's 25-a-day limit leaves the rest to apply's runs.

use crate::bluesky_e2e::run_in;
use crate::mastodon::{repo, Fault, MastodonConfig, MastodonServer, TOKEN, VAR};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::time::Duration;

const MIN: i64 = 60_000;

struct Native {
    server: MastodonServer,
    dir: tempfile::TempDir,
    /// The virtual time the test started at, ms.
    t0: i64,
}

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

impl Native {
    fn new() -> Native {
        let server = MastodonServer::start_blocking(MastodonConfig::default());
        let dir = repo(&server.url(), "schedule = \"native\"\n");
        // Whole seconds: the record and the server compare to the second.
        let t0 = server.now_ms() / 1000 * 1000;
        Native { server, dir, t0 }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, caption: &str, at_ms: i64) {
        fs::write(
            self.root().join("posts").join(name),
            format!("publish_at: {}\ncaption: {caption}\n", iso(at_ms)),
        )
        .unwrap();
    }

    /// Runs `cmd --at <virtual now> --format json`.
    fn run(&self, cmd: &str) -> (i32, Value, String) {
        let at = iso(self.server.now_ms() / 1000 * 1000);
        let run = run_in(
            self.root(),
            &[(VAR, TOKEN)],
            &[cmd, "--at", &at, "--format", "json"],
        );
        let v = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
        (run.code, v, run.stderr)
    }

    fn record(&self, id: &str) -> Value {
        let text = fs::read_to_string(self.root().join(".postwright/state.json")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        v["posts"][id]["masto"].clone()
    }

    fn entry(plan: &Value, id: &str) -> Value {
        plan["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id}: {plan:#}"))
    }
}

fn result_of(report: &Value, id: &str) -> String {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .map(|r| r["result"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("{id}: {report:#}"))
}

#[test]
fn a_post_is_handed_over_moved_replaced_and_published_at_its_time() {
    let n = Native::new();
    let at = n.t0 + 60 * MIN;
    n.write("launch.yaml", "Kiln opens", at);

    let (code, plan, err) = n.run("plan");
    assert_eq!(code, 0, "{err}");
    let e = Native::entry(&plan, "launch");
    assert_eq!(e["action"], "native", "{e:#}");
    assert_eq!(e["native"]["step"], "schedule", "{e:#}");

    let (code, report, err) = n.run("apply");
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(result_of(&report, "launch"), "scheduled");
    let held = n.server.scheduled();
    assert_eq!(held.len(), 1, "{held:#?}");
    assert_eq!(held[0].scheduled_at, at);
    assert_eq!(held[0].params["text"], "Kiln opens");
    assert!(n.server.live_statuses().is_empty());
    let r = n.record("launch");
    assert_eq!(r["status"], "scheduled-on-platform", "{r:#}");
    assert_eq!(r["scheduled_id"], held[0].id.as_str());

    // Unchanged: nothing to do, the plan says who holds it.
    let (_, plan, _) = n.run("plan");
    assert_eq!(Native::entry(&plan, "launch")["action"], "on-platform");
    let at = iso(n.server.now_ms() / 1000 * 1000);
    let human = run_in(n.root(), &[(VAR, TOKEN)], &["plan", "--at", &at]);
    assert!(
        human
            .stdout
            .contains("held by Mastodon, which publishes it at"),
        "{}",
        human.stdout
    );
    let status = run_in(n.root(), &[(VAR, TOKEN)], &["status", "--format", "json"]);
    assert!(
        status.stdout.contains("\"on-platform\""),
        "{}",
        status.stdout
    );
    let (code, report, _) = n.run("apply");
    assert_eq!(code, 0);
    assert!(
        report["results"].as_array().unwrap().is_empty(),
        "{report:#}"
    );

    // A new publish_at moves it (PUT), the same scheduled status.
    let later = n.t0 + 120 * MIN;
    n.write("launch.yaml", "Kiln opens", later);
    let (_, plan, _) = n.run("plan");
    assert_eq!(Native::entry(&plan, "launch")["native"]["step"], "move");
    let (code, report, err) = n.run("apply");
    assert_eq!(code, 0, "{report:#}\n{err}");
    let moved = n.server.scheduled();
    assert_eq!(moved.len(), 1);
    assert_eq!(
        (moved[0].id.as_str(), moved[0].scheduled_at),
        (held[0].id.as_str(), later)
    );
    assert_eq!(n.server.calls_to("PUT /api/v1/scheduled_statuses").len(), 1);

    // An edit: cancelled and handed over anew with the new text.
    n.write("launch.yaml", "Kiln opens Friday", later);
    let (_, plan, _) = n.run("plan");
    let e = Native::entry(&plan, "launch");
    assert_eq!(e["native"]["step"], "cancel", "{e:#}");
    assert_eq!(e["native"]["then"], iso(later).as_str(), "{e:#}");
    let (code, report, err) = n.run("apply");
    assert_eq!(code, 0, "{report:#}\n{err}");
    let replaced = n.server.scheduled();
    assert_eq!(replaced.len(), 1, "{replaced:#?}");
    assert_ne!(replaced[0].id, held[0].id);
    assert_eq!(replaced[0].params["text"], "Kiln opens Friday");
    assert_eq!(n.record("launch")["scheduled_id"], replaced[0].id.as_str());

    // Its time comes: the server publishes it without a run; the next
    // apply records it, and a later one does nothing.
    n.server
        .advance(Duration::from_millis((later - n.t0 + MIN) as u64));
    let live = n.server.live_statuses();
    assert_eq!(live.len(), 1);
    let (_, plan, _) = n.run("plan");
    assert_eq!(Native::entry(&plan, "launch")["native"]["step"], "check");
    let (code, report, err) = n.run("apply");
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(result_of(&report, "launch"), "published");
    let r = n.record("launch");
    assert_eq!(r["status"], "published", "{r:#}");
    assert_eq!(r["media_id"], live[0].id.as_str());
    let (code, report, _) = n.run("apply");
    assert_eq!(code, 0);
    assert!(
        report["results"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    assert_eq!(n.server.live_statuses().len(), 1);
    assert_eq!(n.server.calls_to("POST /api/v1/statuses").len(), 2);
}

#[test]
fn drafts_deleted_files_and_too_close_times_cancel_and_nothing_is_posted() {
    let n = Native::new();
    n.write("a.yaml", "Post A", n.t0 + 60 * MIN);
    n.write("b.yaml", "Post B", n.t0 + 60 * MIN);
    n.write("c.yaml", "Post C", n.t0 + 60 * MIN);
    // Due in 8 minutes: too close to hand over (5 + 5 minutes), left to
    // apply's runs.
    n.write("soon.yaml", "Soon", n.t0 + 8 * MIN);
    let (code, report, err) = n.run("apply");
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(n.server.scheduled().len(), 3);
    let (_, plan, _) = n.run("plan");
    assert_eq!(Native::entry(&plan, "soon")["action"], "scheduled");

    // A becomes a draft, B's file is deleted, C moves to 6 minutes ahead.
    fs::write(
        n.root().join("posts/a.yaml"),
        format!(
            "publish_at: {}\ncaption: Post A\ndraft: true\n",
            iso(n.t0 + 60 * MIN)
        ),
    )
    .unwrap();
    fs::remove_file(n.root().join("posts/b.yaml")).unwrap();
    n.write("c.yaml", "Post C", n.t0 + 6 * MIN);
    let (_, plan, _) = n.run("plan");
    for id in ["a", "b", "c"] {
        let e = Native::entry(&plan, id);
        assert_eq!(e["native"]["step"], "cancel", "{e:#}");
        assert!(e["native"]["then"].is_null(), "{e:#}");
    }
    let (code, report, err) = n.run("apply");
    assert_eq!(code, 0, "{report:#}\n{err}");
    for id in ["a", "b", "c"] {
        assert_eq!(result_of(&report, id), "cancelled", "{report:#}");
        assert!(n.record(id).is_null(), "{id}");
    }
    assert!(n.server.scheduled().is_empty());
    assert_eq!(
        n.server.calls_to("DELETE /api/v1/scheduled_statuses").len(),
        3
    );
    // C is now an ordinary post, published by the run that sees it due.
    let (_, plan, _) = n.run("plan");
    assert_eq!(Native::entry(&plan, "c")["action"], "scheduled");
    n.server.advance(Duration::from_millis((7 * MIN) as u64));
    let (code, report, err) = n.run("apply");
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(result_of(&report, "c"), "published");
    let texts: Vec<String> = n
        .server
        .live_statuses()
        .into_iter()
        .map(|s| s.text)
        .collect();
    assert_eq!(texts, ["C"].map(|c| format!("Post {c}")));
}

#[test]
fn a_post_cancelled_in_the_app_is_held_and_never_posted_again() {
    let n = Native::new();
    n.write("gone.yaml", "Cancelled by hand", n.t0 + 30 * MIN);
    let (code, _, err) = n.run("apply");
    assert_eq!(code, 0, "{err}");
    let id = n.server.scheduled()[0].id.clone();
    n.server.cancel_in_app(&id);
    n.server.advance(Duration::from_millis((31 * MIN) as u64));
    for _ in 0..2 {
        let (code, report, err) = n.run("apply");
        assert_eq!(code, 0, "{report:#}\n{err}");
        assert_eq!(result_of(&report, "gone"), "held", "{report:#}");
        let message = report["results"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("cancelled or deleted in the app"),
            "{message}"
        );
    }
    assert!(n.server.live_statuses().is_empty());
    assert_eq!(n.server.calls_to("POST /api/v1/statuses").len(), 1);
}

#[test]
fn a_lost_hand_over_answer_is_found_among_the_scheduled_statuses() {
    let n = Native::new();
    n.write("lost.yaml", "Answer lost", n.t0 + 60 * MIN);
    n.server
        .arm("POST /api/v1/statuses", 0, 1, Fault::LostAnswer);
    let (code, report, err) = n.run("apply");
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(result_of(&report, "lost"), "deferred", "{report:#}");
    let r = n.record("lost");
    assert_eq!(r["status"], "scheduled-on-platform", "{r:#}");
    assert!(r["scheduled_id"].is_null(), "{r:#}");
    assert_eq!(n.server.scheduled().len(), 1);

    let (_, plan, _) = n.run("plan");
    assert_eq!(Native::entry(&plan, "lost")["native"]["step"], "check");
    let (code, report, err) = n.run("apply");
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(result_of(&report, "lost"), "scheduled", "{report:#}");
    let held = n.server.scheduled();
    assert_eq!(held.len(), 1, "one scheduled status, not two: {held:#?}");
    assert_eq!(n.record("lost")["scheduled_id"], held[0].id.as_str());
    assert_eq!(n.server.calls_to("POST /api/v1/statuses").len(), 1);
}

#[test]
fn the_servers_daily_limit_leaves_the_rest_to_applys_runs() {
    let n = Native::new();
    // 27 posts a minute apart on one UTC day (an hour ahead, or the next
    // day's start when that is too close to midnight).
    let day_ms = 24 * 60 * MIN;
    let mut start = n.t0 + 60 * MIN;
    if start % day_ms > day_ms - 40 * MIN {
        start = (start / day_ms + 1) * day_ms + 60 * MIN;
    }
    for i in 0..27 {
        n.write(
            &format!("p{i:02}.yaml"),
            &format!("Post {i}"),
            start + i * MIN,
        );
    }
    let (_, plan, _) = n.run("plan");
    let over: Vec<Value> = plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "scheduled")
        .cloned()
        .collect();
    assert_eq!(over.len(), 2, "{plan:#}");
    assert!(over[0]["reason"]
        .as_str()
        .unwrap()
        .contains("at most 25 posts for one day"));
    let (code, report, err) = n.run("apply");
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(n.server.scheduled().len(), 25);
}

/// The journal says "handed over", but the call never took effect (a 500
/// before anything happened, as after a crash right after the journal):
/// the next run finds nothing held and hands it over, once.
#[test]
fn a_hand_over_that_never_reached_the_server_is_made_once_by_the_next_run() {
    let n = Native::new();
    n.write("retry.yaml", "Second try", n.t0 + 60 * MIN);
    n.server.arm("POST /api/v1/statuses", 0, 1, Fault::Http500);
    let (code, report, err) = n.run("apply");
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(result_of(&report, "retry"), "deferred", "{report:#}");
    assert!(n.server.scheduled().is_empty());
    assert_eq!(n.record("retry")["status"], "scheduled-on-platform");

    let (code, report, err) = n.run("apply");
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(result_of(&report, "retry"), "scheduled", "{report:#}");
    let held = n.server.scheduled();
    assert_eq!(held.len(), 1, "{held:#?}");
    assert_eq!(n.record("retry")["scheduled_id"], held[0].id.as_str());
    // The lookup came before the second hand-over.
    let routes: Vec<String> = n.server.calls().iter().map(|c| c.route()).collect();
    let list = routes
        .iter()
        .position(|r| r.starts_with("GET /api/v1/scheduled_statuses"))
        .expect("listed");
    let second = routes
        .iter()
        .rposition(|r| r.starts_with("POST /api/v1/statuses"))
        .unwrap();
    assert!(list < second, "{routes:#?}");
}
