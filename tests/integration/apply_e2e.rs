//! `postwright apply` end to end: the real binary against the test Graph API
//! server, one post of every type (tests/fixtures/publish), asserting what
//! Meta received, the publish order, the state afterwards, the first
//! comment, and that a second run publishes nothing.

use crate::common::{copy_dir, fixtures, postwright, root};
use crate::graph::{GraphServer, Login, Recorded, ServerConfig, TestAccount};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

pub(crate) const USER: &str = "17841400000000001";
/// The fixture's due posts as Instagram shows them, in publish order:
/// (caption, media_product_type).
pub(crate) const PUBLISH_ORDER: [(Option<&str>, &str); 5] = [
    (Some("Meet the Harbour mug. ☕ @oakandpaper"), "FEED"),
    (Some("A week at the wheel, in three pictures."), "FEED"),
    (Some("How a glaze goes on: dip, shake, wait."), "REELS"),
    (None, "STORY"),
    (None, "STORY"),
];
/// Recognisable, so a leak anywhere is easy to find.
pub(crate) const TOKEN: &str = "IGQWRtest-token-7f3a9c-SECRET";
/// The five posts of tests/fixtures/publish are due; one is scheduled.
pub(crate) const AT: &str = "2026-12-02T00:00:00Z";

pub(crate) fn account(login: Login) -> TestAccount {
    TestAccount {
        user_id: USER.into(),
        username: "kiln.co".into(),
        token: TOKEN.into(),
        login,
        scopes: match login {
            Login::Instagram => vec![
                "instagram_business_basic".into(),
                "instagram_business_content_publish".into(),
                "instagram_business_manage_comments".into(),
            ],
            Login::Facebook => vec![
                "instagram_basic".into(),
                "instagram_content_publish".into(),
                "pages_read_engagement".into(),
                "instagram_manage_comments".into(),
                "instagram_manage_contents".into(),
            ],
        },
        token_expires_at: None,
        // A month old: refreshable, and its data access (90 days from the
        // last login) far off.
        token_issued_at: crate::graph::unix_now() - 30 * 86_400,
    }
}

/// What a run of the binary left; a panic fails the test.
pub(crate) fn to_run(args: &[&str], out: std::process::Output) -> Run {
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    };
    assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
    run
}

/// `apply --at AT --format json EXTRA` through `run`: (exit code, report, run).
pub(crate) fn apply_with(extra: &[&str], run: impl Fn(&[&str]) -> Run) -> (i32, Value, Run) {
    let mut args = vec!["apply", "--at", AT, "--format", "json"];
    args.extend_from_slice(extra);
    let run = run(&args);
    let report = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "apply printed no JSON ({e}), exit {}: {}\nstderr: {}",
            run.code, run.stdout, run.stderr
        )
    });
    (run.code, report, run)
}

/// A copy of a content repo served by a test Graph API server.
pub(crate) struct Site {
    pub server: GraphServer,
    pub dir: tempfile::TempDir,
}

/// What a run of the binary left.
#[derive(Debug)]
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Site {
    /// `fixture` (a folder of tests/fixtures, or a path) copied, with its
    /// postwright.toml replaced: one account `kiln` on the server, media
    /// served from the copy, short waits.
    pub fn new(fixture: &Path, config: ServerConfig, login: Login, extra: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(fixture, dir.path());
        let server = GraphServer::start_blocking(ServerConfig {
            static_root: Some(dir.path().to_path_buf()),
            ..config
        });
        let login_name = match login {
            Login::Instagram => "instagram",
            Login::Facebook => "facebook",
        };
        let toml = format!(
            r#"content = ["posts"]
timezone = "Europe/Berlin"

[accounts.kiln]
user_id = "{USER}"
login = "{login_name}"
token_env = "KILN_TOKEN"

[api]
base_url = "{}"
upload_url = "{}"
poll_interval_ms = 20
max_wait_secs = 20
retry_base_ms = 10
{extra}
[media]
base_url = "{}/"
"#,
            server.base_url(),
            server.upload_url(),
            server.media_url(),
        );
        fs::write(dir.path().join("postwright.toml"), toml).unwrap();
        Site { server, dir }
    }

    pub fn publish_fixture(login: Login) -> Site {
        let config = ServerConfig {
            accounts: vec![account(login)],
            video_processing: Duration::from_millis(300),
            ..ServerConfig::default()
        };
        Site::new(&fixtures().join("publish"), config, login, "")
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[("KILN_TOKEN", TOKEN)])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = postwright(self.path());
        cmd.env_remove("POSTWRIGHT_APP_ID")
            .env_remove("POSTWRIGHT_APP_SECRET")
            .env_remove("KILN_TOKEN")
            .arg("--repo")
            .arg(self.path())
            .args(args)
            .timeout(Duration::from_secs(120));
        for (k, v) in env {
            cmd.env(k, v);
        }
        to_run(args, cmd.output().expect("runs"))
    }

    /// `apply --at AT --format json`: (exit code, report).
    pub fn apply(&self, extra: &[&str]) -> (i32, Value, Run) {
        apply_with(extra, |args| self.run(args))
    }

    pub fn state(&self) -> Value {
        let text = fs::read_to_string(self.path().join(".postwright/state.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// The URL the server sees for a repo file.
    pub fn url(&self, rel: &str) -> String {
        format!("{}/{rel}", self.server.media_url())
    }
}

/// `[media] video_upload = "resumable"`: local videos' bytes go to the
/// upload host.
pub(crate) fn send_videos_resumable(site: &Site) {
    let path = site.path().join("postwright.toml");
    let toml = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        toml.replace("[media]\n", "[media]\nvideo_upload = \"resumable\"\n"),
    )
    .unwrap();
}

/// The captions of the published media, in publish order.
pub(crate) fn captions(site: &Site) -> Vec<String> {
    site.server
        .published()
        .into_iter()
        .map(|m| m.caption.unwrap_or_default())
        .collect()
}

/// The form parameters of a request, without `appsecret_proof`.
pub(crate) fn params(r: &Recorded) -> BTreeMap<String, String> {
    r.params
        .iter()
        .filter(|(k, _)| k.as_str() != "appsecret_proof")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

pub(crate) fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Container creations, in the order they were made.
pub(crate) fn creations(server: &GraphServer) -> Vec<Recorded> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with(&format!("{USER}/media")))
        .collect()
}

pub(crate) fn publish_calls(server: &GraphServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/media_publish"))
        .count()
}

/// No request carried the token anywhere but the Authorization header.
pub(crate) fn assert_token_only_in_header(server: &GraphServer) {
    let requests = server.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert!(
            !r.path.contains(TOKEN) && !r.query.contains(TOKEN),
            "token in the URL of {} {}?{}",
            r.method,
            r.path,
            r.query
        );
        assert!(
            r.params.iter().all(|(_, v)| !v.contains(TOKEN)),
            "token in the parameters of {} {}",
            r.method,
            r.path
        );
        assert!(
            !r.query.contains("access_token"),
            "access_token parameter in {}?{}",
            r.path,
            r.query
        );
    }
}

#[test]
fn every_post_type_is_published_with_exactly_metas_parameters() {
    let site = Site::publish_fixture(Login::Facebook);
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(report["summary"], json!({"published": 5}), "{report:#}");

    let made = creations(&site.server);
    let got: Vec<BTreeMap<String, String>> = made.iter().map(params).collect();
    // Containers are created concurrently: compare them as a set, matched
    // by their media URL (or media_type for the carousel parent).
    let find = |pred: &dyn Fn(&BTreeMap<String, String>) -> bool| -> BTreeMap<String, String> {
        let hits: Vec<_> = got.iter().filter(|p| pred(p)).collect();
        assert_eq!(hits.len(), 1, "{got:#?}");
        hits[0].clone()
    };
    let with_url = |k: &str, url: String| {
        let k = k.to_string();
        find(&move |p: &BTreeMap<String, String>| p.get(&k) == Some(&url))
    };
    assert_eq!(
        got.len(),
        8,
        "5 containers, one per post, and 3 carousel items: {got:#?}"
    );

    assert_eq!(
        with_url("image_url", site.url("media/portrait.jpg")),
        map(&[
            ("image_url", &site.url("media/portrait.jpg")),
            ("caption", "Meet the Harbour mug. ☕ @oakandpaper"),
            ("alt_text", "A speckled blue mug on an oak desk"),
            (
                "user_tags",
                r#"[{"username":"oakandpaper","x":0.25,"y":0.75}]"#
            ),
            ("location_id", "110123456789"),
            ("collaborators", r#"["oakandpaper","kiln.friends"]"#),
        ])
    );
    let item1 = with_url("image_url", site.url("media/square.jpg"));
    assert_eq!(
        item1,
        map(&[
            ("image_url", &site.url("media/square.jpg")),
            ("is_carousel_item", "true"),
            ("alt_text", "Three mugs in a row"),
            ("user_tags", r#"[{"username":"glaze.lab","x":0.5,"y":0.5}]"#),
        ])
    );
    assert_eq!(
        with_url("video_url", site.url("media/square-video.mp4")),
        map(&[
            ("video_url", &site.url("media/square-video.mp4")),
            ("media_type", "VIDEO"),
            ("is_carousel_item", "true"),
        ])
    );
    assert_eq!(
        with_url("image_url", site.url("media/landscape.jpg")),
        map(&[
            ("image_url", &site.url("media/landscape.jpg")),
            ("is_carousel_item", "true"),
        ])
    );
    let parent = find(&|p| p.get("media_type").map(String::as_str) == Some("CAROUSEL"));
    let children: Vec<&str> = parent["children"].split(',').collect();
    assert_eq!(children.len(), 3);
    let containers = site.server.containers();
    let image_of = |id: &str| -> Option<String> {
        let c = containers.iter().find(|c| c.id == id)?;
        c.params
            .get("image_url")
            .or_else(|| c.params.get("video_url"))
            .cloned()
    };
    assert_eq!(
        children.iter().map(|c| image_of(c)).collect::<Vec<_>>(),
        vec![
            Some(site.url("media/square.jpg")),
            Some(site.url("media/square-video.mp4")),
            Some(site.url("media/landscape.jpg")),
        ],
        "children in file order"
    );
    let mut parent_rest = parent.clone();
    parent_rest.remove("children");
    assert_eq!(
        parent_rest,
        map(&[
            ("media_type", "CAROUSEL"),
            ("caption", "A week at the wheel, in three pictures."),
            ("location_id", "110123456789"),
            ("collaborators", r#"["glaze.lab"]"#),
        ])
    );
    assert_eq!(
        with_url("video_url", site.url("media/reel.mp4")),
        map(&[
            ("media_type", "REELS"),
            ("video_url", &site.url("media/reel.mp4")),
            ("caption", "How a glaze goes on: dip, shake, wait."),
            ("cover_url", &site.url("media/portrait.jpg")),
            ("thumb_offset", "1500"),
            ("share_to_feed", "false"),
            ("audio_name", "Kiln & Co. — studio sounds"),
            ("collaborators", r#"["glaze.lab"]"#),
        ])
    );
    assert_eq!(
        with_url("image_url", site.url("media/story.jpg")),
        map(&[
            ("media_type", "STORIES"),
            ("image_url", &site.url("media/story.jpg")),
            (
                "user_tags",
                r#"[{"username":"oakandpaper","x":0.5,"y":0.9}]"#
            ),
        ])
    );
    assert_eq!(
        with_url("video_url", site.url("media/story-video.mp4")),
        map(&[
            ("media_type", "STORIES"),
            ("video_url", &site.url("media/story-video.mp4")),
        ])
    );
    assert_token_only_in_header(&site.server);
    for r in site.server.requests() {
        assert_eq!(
            r.headers.get("authorization").map(String::as_str),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{} {}",
            r.method,
            r.path
        );
    }
}

#[test]
fn posts_go_out_in_plan_order_and_the_state_agrees_with_instagram() {
    let site = Site::publish_fixture(Login::Facebook);
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{}", run.stderr);

    let published = site.server.published();
    let order: Vec<(Option<&str>, &str)> = published
        .iter()
        .map(|m| (m.caption.as_deref(), m.media_product_type.as_str()))
        .collect();
    assert_eq!(order, PUBLISH_ORDER, "publish order is plan order");

    let state = site.state();
    let ids = [
        "1-image",
        "2-carousel",
        "3-reel",
        "4-story-image",
        "5-story-video",
    ];
    for (id, media) in ids.iter().zip(&published) {
        let e = &state["posts"][id]["kiln"];
        assert_eq!(e["status"], "published", "{id}: {e:#}");
        assert_eq!(e["media_id"], media.id.as_str(), "{id}");
        assert_eq!(e["permalink"], media.permalink.as_str(), "{id}");
        let result = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == *id)
            .unwrap();
        assert_eq!(result["result"], "published");
        assert_eq!(result["media_id"], media.id.as_str());
        assert_eq!(result["permalink"], media.permalink.as_str());
    }
    assert!(
        state["posts"].get("6-later").is_none(),
        "scheduled stays out"
    );

    // The first comment, once; comments off on the reel.
    let image = &published[0];
    let comments: Vec<String> = site
        .server
        .comments(&image.id)
        .into_iter()
        .map(|c| c.text)
        .collect();
    assert_eq!(comments, vec!["#ceramics #handmade".to_string()]);
    assert!(published[2..]
        .iter()
        .all(|m| site.server.comments(&m.id).is_empty()));
    assert!(!published[2].comment_enabled, "reel has comments: false");
    assert!(published[0].comment_enabled);

    // Nothing left: a second run makes no container, publish or comment.
    let before = site.server.requests().len();
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(report["summary"], json!({}), "{report:#}");
    let again: Vec<Recorded> = site.server.requests().into_iter().skip(before).collect();
    assert!(
        again.iter().all(|r| r.method == "GET"),
        "second apply wrote: {:#?}",
        again
            .iter()
            .filter(|r| r.method != "GET")
            .map(|r| &r.path)
            .collect::<Vec<_>>()
    );
    assert_eq!(site.server.published().len(), 5);
    assert_eq!(site.server.comments(&image.id).len(), 1);
    let plan = site.run(&["plan", "--at", AT, "--format", "json", "--offline"]);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(plan["summary"], json!({"published": 5, "scheduled": 1}));
}

#[test]
fn instagram_login_publishes_too_and_only_picked_posts_with_only() {
    let site = Site::publish_fixture(Login::Instagram);
    let (code, report, run) = site.apply(&["--only", "3-reel", "--only", "1-image"]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(report["summary"], json!({"published": 2}), "{report:#}");
    let captions = captions(&site);
    assert_eq!(
        captions,
        vec![
            "Meet the Harbour mug. ☕ @oakandpaper".to_string(),
            "How a glaze goes on: dip, shake, wait.".to_string()
        ]
    );
    assert_token_only_in_header(&site.server);
}

#[test]
fn example_content_publishes_completely() {
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        video_processing: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    // The example's postwright.toml, pointed at the test servers.
    let site = Site::new(&root().join("example-content"), config, Login::Facebook, "");
    let at = "2027-12-31T00:00:00Z";
    let plan = site.run(&["plan", "--at", at, "--format", "json", "--offline"]);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    // A year on, every post is long past its time: overdue, not published.
    assert!(plan["summary"].get("publish").is_none(), "{plan:#}");
    let due = plan["summary"]["overdue"].as_u64().unwrap();
    assert!(due >= 5, "{plan:#}");

    // Applied as the hourly cron would, a little after each publish_at.
    let mut times: Vec<String> = plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "overdue")
        .map(|e| e["publish_at"].as_str().unwrap().to_string())
        .collect();
    times.sort();
    times.dedup();
    let mut published = 0;
    for t in &times {
        let when: jiff::Timestamp = t.parse().unwrap();
        let at = (when + jiff::SignedDuration::from_mins(5)).to_string();
        let run = site.run(&["apply", "--at", &at, "--format", "json"]);
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        let report: Value = serde_json::from_str(&run.stdout).unwrap();
        published += report["summary"]["published"].as_u64().unwrap_or(0);
        assert!(report["summary"].get("failed").is_none(), "{report:#}");
    }
    assert_eq!(published, due);
    assert_eq!(site.server.published().len() as u64, due);
    let plan = site.run(&["plan", "--at", at, "--format", "json", "--offline"]);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(plan["summary"]["published"].as_u64(), Some(due), "{plan:#}");
    assert!(plan["summary"].get("publish").is_none());
}

#[test]
fn local_videos_go_through_the_resumable_upload_with_facebook_login() {
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        video_processing: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let site = Site::new(&fixtures().join("publish"), config, Login::Facebook, "");
    send_videos_resumable(&site);
    let (code, report, run) = site.apply(&["--only", "3-reel"]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    let reel = creations(&site.server)
        .into_iter()
        .map(|r| params(&r))
        .find(|p| p.get("media_type").map(String::as_str) == Some("REELS"))
        .unwrap();
    assert_eq!(
        reel.get("upload_type").map(String::as_str),
        Some("resumable")
    );
    assert!(!reel.contains_key("video_url"), "{reel:#?}");
    let uploads: Vec<Recorded> = site
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/ig-api-upload/"))
        .collect();
    assert_eq!(uploads.len(), 1, "{uploads:#?}");
    let up = &uploads[0];
    let size = fs::metadata(site.path().join("media/reel.mp4"))
        .unwrap()
        .len();
    assert_eq!(
        up.headers.get("authorization").map(String::as_str),
        Some(format!("OAuth {TOKEN}").as_str())
    );
    assert_eq!(up.headers.get("offset").map(String::as_str), Some("0"));
    assert_eq!(
        up.headers.get("file_size").map(String::as_str),
        Some(size.to_string().as_str())
    );
    assert_eq!(site.server.published().len(), 1);
}

#[test]
fn comment_toggles_renames_and_prune_after_publishing() {
    let site = Site::publish_fixture(Login::Facebook);
    let (code, _, run) = site.apply(&[]);
    assert_eq!(code, 0, "{}", run.stderr);
    let published = site.server.published();

    // Toggle comments on the reel back on: an update, not a new post.
    let reel = site.path().join("posts/3-reel.md");
    let text = fs::read_to_string(&reel).unwrap();
    fs::write(&reel, text.replace("comments: false\n", "")).unwrap();
    // Rename the image: the state is re-keyed, nothing posted.
    fs::rename(
        site.path().join("posts/1-image.md"),
        site.path().join("posts/1-image-renamed.md"),
    )
    .unwrap();
    // Delete the video story: removed; deleted on Instagram only with --prune.
    fs::remove_file(site.path().join("posts/5-story-video.yaml")).unwrap();

    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(
        report["summary"],
        json!({"updated": 1, "moved": 1}),
        "{report:#}"
    );
    let reel_media = site
        .server
        .published()
        .into_iter()
        .find(|m| m.id == published[2].id)
        .unwrap();
    assert!(reel_media.comment_enabled, "comments back on");
    let state = site.state();
    assert_eq!(
        state["posts"]["1-image-renamed"]["kiln"]["media_id"],
        published[0].id.as_str()
    );
    assert!(state["posts"].get("1-image").is_none());
    assert_eq!(
        state["posts"]["5-story-video"]["kiln"]["status"],
        "published"
    );
    assert_eq!(site.server.published().len(), 5, "nothing new");

    let (code, report, run) = site.apply(&["--prune"]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(report["summary"], json!({"deleted": 1}), "{report:#}");
    let story = site
        .server
        .published()
        .into_iter()
        .find(|m| m.id == published[4].id)
        .unwrap();
    assert!(story.deleted);
    assert!(site.state()["posts"].get("5-story-video").is_none());
    let deletes = site
        .server
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deletes, 1);
    let (_, report, _) = site.apply(&["--prune"]);
    assert_eq!(report["summary"], json!({}), "{report:#}");
}

#[test]
fn prune_with_instagram_login_says_it_is_not_supported() {
    let site = Site::publish_fixture(Login::Instagram);
    let (code, _, run) = site.apply(&["--only", "4-story-image"]);
    assert_eq!(code, 0, "{}", run.stderr);
    fs::remove_file(site.path().join("posts/4-story-image.yaml")).unwrap();
    let (code, report, _) = site.apply(&["--prune", "--only", "4-story-image"]);
    assert_eq!(code, 1, "{report:#}");
    let message = report["results"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("not supported with Instagram Login"),
        "{message}"
    );
    assert!(site.server.requests().iter().all(|r| r.method != "DELETE"));
}

/// Rewrites the `[media]` table of a site's config.
fn set_media(site: &Site, media: &str) {
    let path = site.path().join("postwright.toml");
    let toml = fs::read_to_string(&path).unwrap();
    let start = toml.find("[media]").unwrap();
    fs::write(&path, format!("{}[media]\n{media}\n", &toml[..start])).unwrap();
}

#[test]
fn upload_command_turns_each_file_into_the_url_it_prints() {
    let site = Site::publish_fixture(Login::Facebook);
    let log = site.path().join("uploads.log");
    fs::write(
        site.path().join("upload.sh"),
        format!(
            "#!/bin/sh\necho \"$1\" >> '{}'\necho \"uploading $1\" >&2\necho '{}/'\"$1\"\n",
            log.display(),
            site.server.media_url()
        ),
    )
    .unwrap();
    set_media(&site, "upload_command = \"sh upload.sh {path}\"");
    let (code, report, run) = site.apply(&["--only", "1-image"]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(fs::read_to_string(&log).unwrap(), "media/portrait.jpg\n");
    let made = creations(&site.server);
    assert_eq!(
        params(&made[0]).get("image_url"),
        Some(&site.url("media/portrait.jpg"))
    );
}

#[test]
fn media_meta_could_not_fetch_fails_before_any_container() {
    let site = Site::publish_fixture(Login::Facebook);
    set_media(
        &site,
        &format!("base_url = \"{}/not-pushed/\"", site.server.media_url()),
    );
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 1, "{report:#}\n{}", run.stderr);
    assert_eq!(report["summary"], json!({"failed": 5}), "{report:#}");
    let message = report["results"][0]["message"].as_str().unwrap();
    assert!(message.contains("HTTP 404"), "{message}");
    assert!(
        creations(&site.server).is_empty(),
        "nothing reached Instagram"
    );
}

#[test]
fn a_lost_state_record_does_not_publish_captioned_posts_again() {
    let site = Site::publish_fixture(Login::Facebook);
    let only = [
        "--only",
        "1-image",
        "--only",
        "2-carousel",
        "--only",
        "3-reel",
    ];
    let (code, _, run) = site.apply(&only);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(site.server.published().len(), 3);
    // The record is gone (a runner died before saving it, say).
    fs::remove_file(site.path().join(".postwright/state.json")).unwrap();
    let (code, report, run) = site.apply(&only);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(site.server.published().len(), 3, "nothing posted twice");
    assert_eq!(report["summary"], json!({"adopted": 3}), "{report:#}");
    for r in report["results"].as_array().unwrap() {
        assert!(
            r["message"]
                .as_str()
                .unwrap()
                .contains("adopted, not posted again"),
            "{r:#}"
        );
    }
    let state = site.state();
    for (id, m) in ["1-image", "2-carousel", "3-reel"]
        .iter()
        .zip(site.server.published())
    {
        assert_eq!(state["posts"][id]["kiln"]["media_id"], m.id.as_str());
    }
}

#[cfg(unix)]
#[test]
fn sigterm_stops_new_work_records_the_step_in_flight_and_says_what_to_rerun() {
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        // Long enough to signal while containers are processing.
        video_processing: Duration::from_secs(3),
        ..ServerConfig::default()
    };
    let site = Site::new(&fixtures().join("publish"), config, Login::Facebook, "");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("postwright"))
        .arg("--repo")
        .arg(site.path())
        .args(["apply", "--at", AT, "--format", "json"])
        .env("KILN_TOKEN", TOKEN)
        .env_remove("GITHUB_ACTIONS")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until containers exist, then ask it to stop.
    let start = std::time::Instant::now();
    while creations(&site.server).len() < 8 {
        assert!(start.elapsed() < Duration::from_secs(30), "no containers");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The shell's own `kill`: no procps needed.
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("Run `postwright apply` again"), "{stderr}");
    // The record loads and knows the containers; the rerun finishes the job.
    let state = site.state();
    let posts = state["posts"].as_object().unwrap();
    assert_eq!(posts.len(), 5, "{state:#}");
    assert!(
        posts
            .values()
            .all(|e| e["kiln"]["container_id"].is_string()),
        "every container is journaled: {state:#}"
    );
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(site.server.published().len(), 5);
    let (_, report, _) = site.apply(&[]);
    assert_eq!(report["summary"], json!({}));
}

/// `plan --at AT --format json` on a site: the plan.
fn site_plan(site: &Site) -> Value {
    let run = site.run(&["plan", "--at", AT, "--format", "json"]);
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("plan printed no JSON ({e}): {}\n{}", run.stdout, run.stderr))
}

#[test]
fn a_copy_of_a_live_post_is_never_published_without_allow_duplicate() {
    let site = Site::publish_fixture(Login::Facebook);
    let (code, _, run) = site.apply(&[]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(site.server.published().len(), 5);
    let state = site.state();
    let image = &state["posts"]["1-image"]["kiln"];
    assert!(image["media_hash"].as_str().unwrap().starts_with("sha256:"));
    assert!(image["caption_hash"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    let image_link = image["permalink"].as_str().unwrap().to_string();
    let posts = site.path().join("posts");

    // A copy under a new name; a rename with the caption edited.
    fs::copy(posts.join("1-image.md"), posts.join("1-image-copy.md")).unwrap();
    let carousel = fs::read_to_string(posts.join("2-carousel.md")).unwrap();
    fs::remove_file(posts.join("2-carousel.md")).unwrap();
    fs::write(
        posts.join("2-carousel-new.md"),
        carousel.replace("in three pictures.", "in three photos."),
    )
    .unwrap();
    let plan = site_plan(&site);
    let copy = crate::plan::entry(&plan, "1-image-copy");
    assert_eq!(copy["action"], "duplicate", "{plan:#}");
    assert_eq!(copy["duplicate_of"], "1-image");
    let reason = copy["reason"].as_str().unwrap();
    assert!(reason.contains("posts/1-image.md"), "{reason}");
    assert!(reason.contains(&image_link), "{reason}");
    assert!(reason.contains("allow_duplicate: true"), "{reason}");
    let renamed = crate::plan::entry(&plan, "2-carousel-new");
    assert_eq!(renamed["action"], "duplicate", "{plan:#}");
    assert_eq!(renamed["duplicate_of"], "2-carousel");
    assert!(
        renamed["reason"]
            .as_str()
            .unwrap()
            .starts_with("looks like posts/2-carousel.md renamed and edited (published, https://"),
        "{renamed:#}"
    );
    assert!(
        renamed["reason"].as_str().unwrap().ends_with(
            "set `id: 2-carousel` to keep it as that post, or set `allow_duplicate: true` to publish it as a new one"
        ),
        "{renamed:#}"
    );
    let exit = site.run(&["plan", "--at", AT, "--detailed-exitcode"]);
    assert_eq!(exit.code, 0, "duplicates are no work: {}", exit.stdout);

    let calls = publish_calls(&site.server);
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    // Held, and said: apply names each copy it leaves alone.
    assert_eq!(report["summary"], json!({"held": 2}), "{report:#}");
    assert_eq!(site.server.published().len(), 5, "nothing posted again");
    assert_eq!(publish_calls(&site.server), calls);
    assert!(site.state()["posts"].get("1-image-copy").is_none());

    // A record as older postwrights wrote it (no media or caption hash)
    // still loads, and still catches the copy, by its content hash. (The
    // rename with an edit is not caught without the media hash: see
    // src/plan/mod.rs.)
    let path = site.path().join(".postwright/state.json");
    let mut old = site.state();
    for (_, e) in old["posts"].as_object_mut().unwrap() {
        let e = e["kiln"].as_object_mut().unwrap();
        e.remove("media_hash").unwrap();
        e.remove("caption_hash").unwrap();
    }
    fs::write(&path, serde_json::to_string_pretty(&old).unwrap()).unwrap();
    let plan = site_plan(&site);
    assert_eq!(
        crate::plan::entry(&plan, "1-image-copy")["action"],
        "duplicate"
    );
    assert_eq!(
        crate::plan::entry(&plan, "1-image-copy")["duplicate_of"],
        "1-image"
    );
    fs::remove_file(posts.join("2-carousel-new.md")).unwrap();
    fs::write(posts.join("2-carousel.md"), carousel).unwrap();
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(site.server.published().len(), 5, "nothing posted again");

    // Meant: published as a new post.
    let text = fs::read_to_string(posts.join("1-image-copy.md")).unwrap();
    fs::write(
        posts.join("1-image-copy.md"),
        text.replacen("---\n", "---\nallow_duplicate: true\n", 1),
    )
    .unwrap();
    assert_eq!(
        crate::plan::entry(&site_plan(&site), "1-image-copy")["action"],
        "publish"
    );
    let (code, report, run) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{}", run.stderr);
    assert_eq!(report["summary"], json!({"published": 1}), "{report:#}");
    let published = site.server.published();
    assert_eq!(published.len(), 6);
    assert_eq!(published[5].caption, published[0].caption);
    let state = site.state();
    assert_eq!(
        state["posts"]["1-image-copy"]["kiln"]["status"],
        "published"
    );
    assert_ne!(
        state["posts"]["1-image-copy"]["kiln"]["media_id"],
        state["posts"]["1-image"]["kiln"]["media_id"]
    );
}
