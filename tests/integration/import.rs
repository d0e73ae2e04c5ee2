//! `postwright import` end to end: the real binary against the test Graph
//! server holding an account with a past (images, a carousel, a reel, a
//! story, several pages), into an empty repo and one with some posts as
//! files, twice; then plan says `published` and apply publishes nothing.
//! Faults: a token that expires mid-import, a media deleted mid-import
//! (its CDN URL 404s), a throttled account. The CDN URLs are signed, and
//! the signature must reach no file, output or record.

use crate::apply_e2e::{account, Run, Site, TOKEN, USER};
use crate::common::fixtures;
use crate::graph::{Fault, Login, SeedItem, SeedKind, SeedPost, ServerConfig, CDN_SIGNATURE};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

/// Captions with what YAML reads as syntax.
const HARD_CAPTIONS: [&str; 5] = [
    "#ceramics #handmade: a mug",
    "key: value\n---\nnot a new document",
    "@kiln.friends made this with us",
    "- not a list\n  indented: line\n\nlast line\n",
    "  leading spaces and \"quotes\" and a tab\there",
];

fn media(name: &str) -> Vec<u8> {
    fs::read(fixtures().join("publish/media").join(name)).unwrap()
}

fn image(caption: &str, days: u64) -> SeedPost {
    SeedPost {
        kind: SeedKind::Image,
        caption: Some(caption.into()),
        age: Duration::from_secs(days * 86_400),
        items: vec![SeedItem {
            bytes: media("square.jpg"),
            video: false,
            alt_text: Some(format!("alt: {caption}")),
        }],
        comment_enabled: true,
    }
}

/// An empty content repo on a server whose listing pages hold `page`
/// media at most.
fn site(page: usize) -> Site {
    site_as(page, Login::Facebook)
}

/// The same under `login`.
fn site_as(page: usize, login: Login) -> Site {
    let empty = tempfile::tempdir().unwrap();
    fs::create_dir_all(empty.path().join("posts")).unwrap();
    fs::write(empty.path().join("posts/README.md"), "# Posts\n").unwrap();
    let config = ServerConfig {
        accounts: vec![account(login)],
        max_page: Some(page),
        usage_step_pct: 0,
        ..ServerConfig::default()
    };
    Site::new(empty.path(), config, login, "max_rate_wait_secs = 1\n")
}

/// Seeds one of each type plus the hard captions, oldest first: their ids
/// newest first, as the feed lists them.
fn seed_account(site: &Site) -> Vec<String> {
    let s = &site.server;
    let mut ids = Vec::new();
    let mut days = 400;
    for caption in HARD_CAPTIONS {
        ids.push(s.seed_post(USER, image(caption, days)));
        days -= 10;
    }
    ids.push(s.seed_post(
        USER,
        SeedPost {
            kind: SeedKind::Carousel,
            caption: Some("A week at the wheel, in three pictures.".into()),
            age: Duration::from_secs(30 * 86_400),
            items: vec![
                SeedItem {
                    bytes: media("portrait.jpg"),
                    video: false,
                    alt_text: Some("A mug on a desk".into()),
                },
                SeedItem {
                    bytes: media("square.jpg"),
                    video: false,
                    alt_text: None,
                },
            ],
            comment_enabled: false,
        },
    ));
    ids.push(s.seed_post(
        USER,
        SeedPost {
            kind: SeedKind::Reel,
            caption: Some("How a glaze goes on.".into()),
            age: Duration::from_secs(10 * 86_400),
            items: vec![SeedItem {
                bytes: media("reel.mp4"),
                video: true,
                alt_text: Some("not on a reel's file".into()),
            }],
            comment_enabled: true,
        },
    ));
    ids.push(s.seed_post(
        USER,
        SeedPost {
            kind: SeedKind::Story,
            caption: None,
            age: Duration::from_secs(3600),
            items: vec![SeedItem {
                bytes: media("story.jpg"),
                video: false,
                alt_text: Some("Meta reports it; a story file cannot say it".into()),
            }],
            comment_enabled: false,
        },
    ));
    ids.reverse();
    ids
}

fn import(site: &Site, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["import", "--account", "kiln", "--format", "json"];
    args.extend_from_slice(extra);
    let run = site.run(&args);
    let json = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}\nstderr: {}", run.stdout, run.stderr));
    (run, json)
}

/// Every file under the repo, with its bytes.
pub(crate) fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// No signed URL anywhere: files, output, the record.
fn assert_no_signature(site: &Site, runs: &[&Run]) {
    for (file, bytes) in tree(site.path()) {
        let text = String::from_utf8_lossy(&bytes);
        for needle in [CDN_SIGNATURE, "oh=", "_nc_sid", "/cdn/v/"] {
            assert!(!text.contains(needle), "{file} holds {needle}");
        }
    }
    for run in runs {
        for needle in [CDN_SIGNATURE, "oh=", "_nc_sid", TOKEN] {
            assert!(!run.stdout.contains(needle), "stdout holds {needle}");
            assert!(!run.stderr.contains(needle), "stderr holds {needle}");
        }
    }
}

/// Media ids recorded for account kiln, by post id.
fn recorded(site: &Site) -> BTreeMap<String, String> {
    let state = site.state();
    state["posts"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(id, accounts)| {
            let r = &accounts["kiln"];
            assert_eq!(r["status"], "published", "{id}");
            Some((id.clone(), r["media_id"].as_str()?.to_string()))
        })
        .collect()
}

fn plan_actions(site: &Site) -> Vec<(String, String)> {
    let run = site.run(&["plan", "--format", "json"]);
    let plan: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap_or("").to_string(),
                e["action"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn an_account_imports_into_an_empty_repo_once_and_apply_publishes_none_of_it() {
    let site = site(3);
    let ids = seed_account(&site);
    let published_before = site.server.published().len();
    let (first, report) = import(&site, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let written = report["written"].as_array().unwrap();
    assert_eq!(written.len(), ids.len(), "{report:#}");
    assert!(report["pages"].as_u64().unwrap() >= 4, "paged: {report:#}");
    assert!(
        first.stderr.contains("import: posts page 1"),
        "{}",
        first.stderr
    );
    // Every live post is recorded under its file, as published.
    let rec = recorded(&site);
    let mut got: Vec<&String> = rec.values().collect();
    got.sort();
    let mut want: Vec<&String> = ids.iter().collect();
    want.sort();
    assert_eq!(got, want);
    // Each file reads back with the live caption, type and media.
    let by_media: BTreeMap<&str, &Value> = written
        .iter()
        .map(|w| (w["media_id"].as_str().unwrap(), w))
        .collect();
    let live = site.server.published();
    for m in live.iter().filter(|m| ids.contains(&m.id)) {
        let w = by_media[m.id.as_str()];
        let text = fs::read_to_string(site.path().join(w["file"].as_str().unwrap())).unwrap();
        assert!(text.contains("publish_at: 20"), "{text}");
        assert!(text.contains("+00:00\n"), "{text}");
        let kind = match (m.media_type.as_str(), m.media_product_type.as_str()) {
            (_, "STORY") => "story",
            ("CAROUSEL_ALBUM", _) => "carousel",
            ("VIDEO", _) => "reel",
            _ => "image",
        };
        assert_eq!(w["type"], kind);
        assert!(text.contains(&format!("type: {kind}\n")), "{text}");
        // Comments off, said where a file may say it (not on a story).
        let off = !m.comment_enabled && kind != "story";
        assert_eq!(text.contains("comments: false\n"), off, "{text}");
        // Alt text only where Instagram takes it (images).
        if kind == "story" || kind == "reel" {
            assert!(!text.contains("alt_text"), "{text}");
        }
    }
    // Every file validates, and plan says each is published: its content
    // hash is the one recorded, so YAML-significant captions read back as
    // they are live.
    let validate = site.run(&["validate"]);
    assert_eq!(validate.code, 0, "{}\n{}", validate.stdout, validate.stderr);
    let actions = plan_actions(&site);
    assert_eq!(actions.len(), ids.len(), "{actions:?}");
    assert!(actions.iter().all(|(_, a)| a == "published"), "{actions:?}");
    // The downloaded media are the live bytes.
    let tree_after = tree(site.path());
    let carousel = tree_after
        .iter()
        .filter(|(f, _)| f.starts_with("media/imported/kiln/") && f.ends_with("-1.jpg"))
        .count();
    assert!(carousel >= 7, "{:?}", tree_after.keys().collect::<Vec<_>>());
    assert!(tree_after.values().any(|b| *b == media("reel.mp4")));
    // Twice: nothing written, and it says so.
    let (second, again) = import(&site, &[]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(again["written"].as_array().unwrap().len(), 0);
    assert_eq!(again["already_recorded"], ids.len());
    assert_eq!(
        tree(site.path()),
        tree_after,
        "the second import changed files"
    );
    let human = site.run(&["import", "--account", "kiln"]);
    assert!(
        human.stdout.contains("Nothing to import"),
        "{}",
        human.stdout
    );
    // apply publishes nothing imported.
    let (code, _, applied) = site.apply(&[]);
    assert_eq!(code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert_eq!(site.server.published().len(), published_before);
    assert!(site.server.containers().is_empty(), "apply made containers");
    assert_no_signature(&site, &[&first, &second, &human, &applied]);
    // The token only ever in the header: Meta's `paging.next` URL (which
    // carries it) is never followed; the cursor is sent instead.
    let requests = site.server.requests();
    assert!(requests.iter().all(|r| !r.token_in_params));
    let pages: Vec<_> = requests
        .iter()
        .filter(|r| r.path.ends_with("/media"))
        .collect();
    assert!(pages.iter().any(|r| r.params.contains_key("after")));
    assert!(pages
        .iter()
        .all(|r| r.params["fields"].contains("children{")));
}

#[test]
fn a_file_the_repo_has_for_a_live_post_is_linked_not_written_again() {
    let site = site(100);
    let ids = seed_account(&site);
    // The person's own file for the reel (same caption and type).
    fs::create_dir_all(site.path().join("media")).unwrap();
    fs::write(site.path().join("media/reel.mp4"), media("reel.mp4")).unwrap();
    fs::write(
        site.path().join("posts/glaze.md"),
        "---\ntype: reel\npublish_at: 2026-01-01 09:00\nmedia: [../media/reel.mp4]\n---\nHow a glaze goes on.\n",
    )
    .unwrap();
    let (run, report) = import(&site, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let linked = report["linked"].as_array().unwrap();
    assert_eq!(linked.len(), 1, "{report:#}");
    assert_eq!(linked[0]["file"], "posts/glaze.md");
    assert_eq!(report["written"].as_array().unwrap().len(), ids.len() - 1);
    let rec = recorded(&site);
    let reel = &ids[1];
    assert_eq!(rec.get("glaze"), Some(reel), "{rec:?}");
    assert!(
        !tree(site.path()).keys().any(|f| f.contains(reel.as_str())),
        "the reel was written again"
    );
    let actions = plan_actions(&site);
    assert!(actions.iter().all(|(_, a)| a == "published"), "{actions:?}");
}

#[test]
fn a_token_that_expires_mid_import_leaves_files_and_record_agreeing() {
    let site = site(2);
    let ids = seed_account(&site);
    site.server.revoke_after_pages(TOKEN, 2);
    let (run, report) = import(&site, &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("token"), "{}", run.stderr);
    let written = report["written"].as_array().unwrap();
    assert_eq!(written.len(), 4, "two pages of two: {report:#}");
    // Files and record agree: each written file is recorded, nothing else.
    let rec = recorded(&site);
    let files: Vec<String> = tree(site.path())
        .keys()
        .filter(|f| f.starts_with("posts/imported/"))
        .cloned()
        .collect();
    assert_eq!(files.len(), rec.len(), "{files:?} vs {rec:?}");
    for w in written {
        assert!(files.contains(&w["file"].as_str().unwrap().to_string()));
    }
    assert_no_signature(&site, &[&run]);
    // With a working token again, the next import goes on from there.
    site.server.add_token(
        USER,
        TOKEN,
        None,
        crate::graph::unix_now() - 86_400 * 30,
        account(Login::Facebook).scopes,
    );
    let (again, rest) = import(&site, &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(rest["written"].as_array().unwrap().len(), ids.len() - 4);
    assert_eq!(rest["already_recorded"], 4);
    assert_eq!(recorded(&site).len(), ids.len());
}

#[test]
fn a_media_deleted_mid_import_is_noted_in_its_file_and_the_import_goes_on() {
    let site = site(100);
    let ids = seed_account(&site);
    let gone = &ids[2];
    site.server.vanish_after_listing(gone);
    // The story stays live but its file is gone from the CDN.
    site.server.cdn_gone(&ids[0]);
    let (run, report) = import(&site, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(report["written"].as_array().unwrap().len(), ids.len());
    let w = report["written"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["media_id"] == gone.as_str())
        .unwrap();
    assert_eq!(w["missing_media"], 2, "the carousel's two items: {w}");
    assert!(
        w["invalid"].as_str().is_some(),
        "its file cannot validate: {w}"
    );
    let text = fs::read_to_string(site.path().join(w["file"].as_str().unwrap())).unwrap();
    assert!(
        text.contains("# not downloaded: the media server answered HTTP 404"),
        "{text}"
    );
    assert!(run.stderr.contains("not downloaded"), "{}", run.stderr);
    assert_no_signature(&site, &[&run]);
    // Recorded: a second import does not try it again.
    let (_, again) = import(&site, &[]);
    assert_eq!(again["written"].as_array().unwrap().len(), 0);
    // The record lost (a crash between files and record): the next import
    // links every file it finds for a live post, its own invalid ones
    // too, and writes none twice; the deleted post is no longer live.
    let files_before = tree(site.path());
    fs::remove_file(site.path().join(".postwright/state.json")).unwrap();
    let (run, relinked) = import(&site, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        relinked["written"].as_array().unwrap().len(),
        0,
        "{relinked:#}"
    );
    assert_eq!(relinked["linked"].as_array().unwrap().len(), ids.len() - 1);
    let mut after = tree(site.path());
    after.remove(".postwright/state.json");
    let mut before = files_before;
    before.remove(".postwright/state.json");
    assert_eq!(after, before, "files changed");
}

#[test]
fn link_refuses_signed_urls_and_limit_and_since_bound_the_import() {
    let site = site(100);
    seed_account(&site);
    let (run, report) = import(&site, &["--media", "link"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(report["written"].as_array().unwrap().len(), 0);
    let skipped = report["skipped"].as_array().unwrap();
    assert!(!skipped.is_empty());
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("signed URL that expires"),
        "{report:#}"
    );
    assert!(!site.path().join(".postwright/state.json").exists() || recorded(&site).is_empty());
    let (run, report) = import(&site, &["--limit", "2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(report["written"].as_array().unwrap().len(), 2);
    // The feed first, newest first: --limit 2 took the reel and the
    // carousel. Of the last 20 days only the story (in the stories list)
    // is left; the older posts are not even looked at.
    let types: Vec<&str> = report["written"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["reel", "carousel"]);
    let since = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(20 * 24))
        .strftime("%Y-%m-%d")
        .to_string();
    let (run, report) = import(&site, &["--since", &since]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = report["written"].as_array().unwrap();
    assert_eq!(written.len(), 1, "{report:#}");
    assert_eq!(written[0]["type"], "story");
    assert_eq!(report["already_recorded"], 1);
    assert_eq!(recorded(&site).len(), 3);
}

#[test]
fn a_throttled_account_stops_the_import_and_says_so() {
    let site = site(2);
    seed_account(&site);
    site.server.inject(Fault::RateLimit {
        path_contains: "GET */media".into(),
        code: 4,
        usage_pct: 100,
        regain_minutes: 30,
    });
    let (run, report) = import(&site, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("throttled"), "{}", run.stderr);
    assert!(report["stopped"].as_str().unwrap().contains("throttled"));
    assert_eq!(report["written"].as_array().unwrap().len(), 0);
}

#[test]
fn import_help_teaches_with_examples() {
    let site = site(100);
    let run = site.run(&["import", "--help"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .contains("postwright import --account kilnandco --since"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("--media"), "{}", run.stdout);
    let bad = site.run(&["import", "--account", "nobody"]);
    assert_eq!(bad.code, 64, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("has no such account (it has: kiln)"),
        "{}",
        bad.stderr
    );
}

/// BENCHMARKS.md, "`import`: 300 live posts": run with
/// `cargo test --test integration import::bench -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a test: BENCHMARKS.md"]
fn bench_import_300_live_posts() {
    let site = site(100);
    let kinds = [
        SeedKind::Image,
        SeedKind::Image,
        SeedKind::Carousel,
        SeedKind::Reel,
    ];
    for n in 0..300u64 {
        let kind = if n >= 290 {
            SeedKind::Story
        } else {
            kinds[n as usize % 4]
        };
        let items = match kind {
            SeedKind::Carousel => vec![
                SeedItem {
                    bytes: media("portrait.jpg"),
                    video: false,
                    alt_text: Some(format!("item {n}")),
                },
                SeedItem {
                    bytes: media("square.jpg"),
                    video: false,
                    alt_text: None,
                },
            ],
            SeedKind::Reel => vec![SeedItem {
                bytes: media("reel.mp4"),
                video: true,
                alt_text: None,
            }],
            _ => vec![SeedItem {
                bytes: media("square.jpg"),
                video: false,
                alt_text: None,
            }],
        };
        let age = if kind == SeedKind::Story {
            3600 * (300 - n)
        } else {
            86_400 * (300 - n)
        };
        site.server.seed_post(
            USER,
            SeedPost {
                kind,
                caption: (kind != SeedKind::Story)
                    .then(|| format!("Post {n}: #ceramics #handmade\n---\n@kiln")),
                age: Duration::from_secs(age),
                items,
                comment_enabled: n % 7 != 0,
            },
        );
    }
    let started = std::time::Instant::now();
    let (run, report) = import(&site, &[]);
    let took = started.elapsed();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(report["written"].as_array().unwrap().len(), 300);
    let graph = site.server.requests().len();
    let cdn = site
        .server
        .media_requests()
        .iter()
        .filter(|r| r.path.starts_with("/cdn/"))
        .count();
    let again = std::time::Instant::now();
    let (second, _) = import(&site, &[]);
    let took_again = again.elapsed();
    assert_eq!(second.code, 0);
    let plan = std::time::Instant::now();
    let actions = plan_actions(&site);
    let took_plan = plan.elapsed();
    let odd: Vec<_> = actions.iter().filter(|(_, a)| a != "published").collect();
    let invalid: Vec<&Value> = report["written"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w.get("invalid").is_some())
        .collect();
    assert!(odd.is_empty(), "{odd:?} {invalid:?}");
    println!(
        "import of 300: {took:.2?}, {graph} Graph calls, {cdn} CDN downloads, {} pages; second import {took_again:.2?} ({} Graph calls in all); plan {took_plan:.2?}",
        report["pages"],
        site.server.requests().len()
    );
}

#[test]
fn a_threads_profile_imports_page_by_page_with_its_media() {
    use crate::threads::{ThreadsItem, ThreadsSeed, THREADS_CDN_SIGNATURE};
    use crate::threads_e2e::{Both, THREADS_TOKEN};
    let both = Both::new("");
    let t = &both.threads;
    t.set_page_size(2);
    let text = "Threads: a text post\n---\n#kiln @friends";
    let mut ids = vec![t.seed(ThreadsSeed {
        media_type: "TEXT_POST",
        text: Some(text.into()),
        age: Duration::from_secs(40 * 86_400),
        items: Vec::new(),
    })];
    ids.push(t.seed(ThreadsSeed {
        media_type: "IMAGE",
        text: Some("An image on Threads".into()),
        age: Duration::from_secs(30 * 86_400),
        items: vec![ThreadsItem {
            bytes: media("square.jpg"),
            video: false,
            alt_text: Some("A mug".into()),
        }],
    }));
    ids.push(t.seed(ThreadsSeed {
        media_type: "CAROUSEL_ALBUM",
        text: Some("Two on Threads".into()),
        age: Duration::from_secs(20 * 86_400),
        items: vec![
            ThreadsItem {
                bytes: media("portrait.jpg"),
                video: false,
                alt_text: None,
            },
            ThreadsItem {
                bytes: media("square.jpg"),
                video: false,
                alt_text: Some("Another".into()),
            },
        ],
    }));
    ids.push(t.seed(ThreadsSeed {
        media_type: "VIDEO",
        text: Some("A video on Threads".into()),
        age: Duration::from_secs(10 * 86_400),
        items: vec![ThreadsItem {
            bytes: media("reel.mp4"),
            video: true,
            alt_text: None,
        }],
    }));
    t.cdn_gone(&ids[3]);
    let run = both.run(&["import", "--account", "kiln-threads", "--format", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let written = report["written"].as_array().unwrap();
    assert_eq!(written.len(), 4, "{report:#}");
    assert_eq!(report["pages"], 2, "two pages of two, no stories list");
    let kinds: Vec<&str> = written
        .iter()
        .map(|w| w["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reel", "carousel", "image", "text"]);
    assert_eq!(written[0]["missing_media"], 1, "the video's file is gone");
    let state = both.state();
    for id in &ids {
        let found = state["posts"]
            .as_object()
            .unwrap()
            .values()
            .any(|a| a["kiln-threads"]["media_id"] == id.as_str());
        assert!(found, "{id} not recorded");
    }
    let text_file =
        fs::read_to_string(both.path().join(written[3]["file"].as_str().unwrap())).unwrap();
    assert!(text_file.contains("type: text\n"), "{text_file}");
    assert!(!text_file.contains("media:"), "{text_file}");
    // The imported posts are published for plan; apply publishes none.
    let plan = both.plan();
    for e in plan["entries"].as_array().unwrap() {
        if e["file"].as_str().unwrap().starts_with("posts/imported/") {
            let ok = e["action"] == "published"
                || (e["action"] == "invalid" && e["file"] == written[0]["file"]);
            assert!(ok, "{e:#}");
        }
    }
    let again = both.run(&["import", "--account", "kiln-threads"]);
    assert!(
        again.stdout.contains("Nothing to import"),
        "{}",
        again.stdout
    );
    for (f, b) in tree(both.path()) {
        let s = String::from_utf8_lossy(&b);
        assert!(
            !s.contains(THREADS_CDN_SIGNATURE) && !s.contains("oh="),
            "{f}"
        );
    }
    for out in [&run.stdout, &run.stderr, &again.stdout, &again.stderr] {
        assert!(!out.contains(THREADS_CDN_SIGNATURE) && !out.contains(THREADS_TOKEN));
    }
}

#[test]
fn instagram_login_reads_the_same_fields() {
    // graph.instagram.com's media node has fewer fields: every one the
    // listing asks must be among them, or Meta answers code 100.
    let site = site_as(4, Login::Instagram);
    let ids = seed_account(&site);
    let (run, report) = import(&site, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(report["written"].as_array().unwrap().len(), ids.len());
    let actions = plan_actions(&site);
    assert!(actions.iter().all(|(_, a)| a == "published"), "{actions:?}");
}

/// After an import, what changed in the app shows at `plan --refresh`,
/// and the preview's grid is the live profile: the post made in the app
/// with its picture (fetched by content hash, no signature kept), the one
/// deleted in the app gone.
#[test]
fn after_import_refresh_shows_drift_and_the_preview_the_live_grid() {
    let site = site(4);
    let ids = seed_account(&site);
    let (run, _) = import(&site, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(site.path().join(".postwright/live/kiln.json").exists());

    let outside = site.server.seed_post(USER, image("Made in the app", 0));
    // The carousel: listed once more, then gone.
    let deleted = ids[2].clone();
    site.server.vanish_after_listing(&deleted);
    let first = site.run(&["plan", "--refresh"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let run = site.run(&["plan", "--refresh", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    let drift = crate::common::drift_of(&plan);
    assert_eq!(
        drift,
        [
            ("deleted".to_string(), deleted.clone()),
            ("outside".to_string(), outside.clone())
        ],
        "{plan:#}"
    );

    let out = site.path().join("site");
    let run = site.run(&["preview", "--out", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let grid = html
        .split_once("data-grid>")
        .unwrap()
        .1
        .split_once("<p class=legend")
        .map_or("", |(g, _)| g);
    assert!(
        html.contains("live, made outside postwright"),
        "the legend names the live tiles"
    );
    let tile = grid
        .split_once(&format!("data-media=\"{outside}\""))
        .unwrap_or_else(|| panic!("no tile for {outside}: {grid}"))
        .1;
    assert!(tile.contains("<img src=\"media/live-"), "{tile}");
    let deleted_post = recorded(&site)
        .into_iter()
        .find(|(_, m)| *m == deleted)
        .map(|(id, _)| id)
        .unwrap();
    assert!(
        !grid.contains(&format!("data-post=\"{deleted_post}\"")),
        "{grid}"
    );
    assert_no_signature(&site, &[&first, &run]);
}

/// Drift on Instagram: a caption edited and comments turned off in the
/// app show at `plan --refresh` (and `status --refresh`); apply re-publishes
/// nothing, and sets comments back as the file says.
#[test]
fn a_caption_edited_and_comments_toggled_in_the_app_are_drift_not_reposts() {
    let site = site(4);
    let ids = seed_account(&site);
    let (run, _) = import(&site, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let published = site.server.published().len();
    // The reel: its caption edited, its comments turned off.
    let reel = ids[1].clone();
    site.server
        .change_in_app(&reel, Some("How a glaze goes on (edited)"), Some(false));
    let run = site.run(&["plan", "--refresh", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    let drift = crate::common::drift_of(&plan);
    assert_eq!(
        drift,
        [
            ("caption-edited".to_string(), reel.clone()),
            ("comments".to_string(), reel.clone())
        ],
        "{plan:#}"
    );
    let status = site.run(&["status", "--refresh"]);
    assert!(
        status.stdout.contains("caption edited in the app"),
        "{}",
        status.stdout
    );
    let run = site.run(&["apply", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        site.server.published().len(),
        published,
        "nothing published again"
    );
}
