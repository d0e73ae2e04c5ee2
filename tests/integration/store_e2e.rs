//! `[media] store` end to end: the real binary uploads the repo's media to a
//! real S3-protocol server that checks signatures (s3s-fs, see
//! [`crate::s3`]), and the test Graph server fetches every media URL from
//! it as Meta does, checking the bytes against the repo's files. Then the
//! ways it goes wrong: a bucket that does not exist, wrong credentials, a
//! store that hangs, a scheme postwright does not know, a presigned URL
//! that expired before Meta fetched it — each defers the post with a
//! reason naming it, publishes nothing twice, and prints no secret.

use crate::apply_e2e::{account, Run, Site, AT, TOKEN};
use crate::common::{copy_dir, fixtures};
use crate::graph::{GraphServer, Login, MediaCheck, ServerConfig};
use crate::s3::{files_under, Hang, S3Server, ACCESS_KEY, BUCKET, SECRET_KEY};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

/// The fixture's due posts use seven files (portrait.jpg twice: the
/// image post and the reel's cover).
const FILES: u64 = 7;

/// tests/fixtures/publish with `[media]` pointing at `store`, the Graph
/// server checking every fetch's bytes (after `fetch_delay`).
fn site(media: &str, fetch_delay: Duration) -> Site {
    site_of(&fixtures().join("publish"), media, fetch_delay)
}

/// The same for a copy of the fixture made by the test.
fn site_of(fixture: &Path, media: &str, fetch_delay: Duration) -> Site {
    let mut check = MediaCheck::of_dir(&fixture.join("media"));
    check.fetch_delay = fetch_delay;
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        video_processing: Duration::from_millis(300),
        media_check: Some(check),
        ..ServerConfig::default()
    };
    let site = Site::new(fixture, config, Login::Facebook, "");
    let path = site.path().join("postwright.toml");
    let toml = fs::read_to_string(&path).unwrap();
    let head = toml.split("[media]").next().unwrap();
    fs::write(&path, format!("{head}[media]\n{media}")).unwrap();
    site
}

fn media(s3: &S3Server, store: &str) -> String {
    format!(
        "store = \"{store}\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\n",
        s3.endpoint()
    )
}

/// `apply --at AT --format json` with the store's credentials.
fn apply(site: &Site, secret: &str, extra: &[&str]) -> (i32, Value, Run) {
    crate::apply_e2e::apply_with(extra, |args| {
        site.run_env(
            args,
            &[
                ("KILN_TOKEN", TOKEN),
                ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
                ("AWS_SECRET_ACCESS_KEY", secret),
            ],
        )
    })
}

/// No secret in any output, nor in any file the run left in the repo.
fn nothing_secret(site: &Site, runs: &[&Run]) {
    for run in runs {
        for text in [&run.stdout, &run.stderr] {
            for secret in [
                SECRET_KEY,
                "X-Amz-Signature",
                "X-Amz-Credential",
                "wrong-secret",
            ] {
                assert!(!text.contains(secret), "{secret} printed:\n{text}");
            }
        }
    }
    for file in files_under(site.path()) {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        for secret in [SECRET_KEY, "X-Amz-Signature", "X-Amz-Credential"] {
            assert!(!text.contains(secret), "{secret} in {}", file.display());
        }
    }
}

/// `apply --only 1-image`, which must defer the post (exit 0).
fn image_deferred(site: &Site) -> (Value, Run) {
    let (code, report, run) = apply(site, SECRET_KEY, &["--only", "1-image"]);
    assert_eq!(code, 0, "{}", run.stderr);
    let deferred = results(&report, "deferred");
    assert_eq!(deferred, ["posts/1-image.md"], "{report:#}");
    (report, run)
}

/// Meta fetched every item (at least `files`) of every post type from the
/// store, and got the file the key names.
pub(crate) fn every_type_fetched_from_the_store(server: &GraphServer, s3: &S3Server, files: u64) {
    let fetches = server.fetches();
    assert!(fetches.len() as u64 >= files, "{fetches:?}");
    for f in &fetches {
        assert!(f.ok, "{f:?}");
        assert!(
            f.url
                .starts_with(&format!("{}/{BUCKET}/feed/", s3.endpoint())),
            "{f:?}"
        );
    }
    let types: Vec<String> = server
        .published()
        .iter()
        .map(|m| format!("{}/{}", m.media_product_type, m.media_type))
        .collect();
    for t in [
        "FEED/IMAGE",
        "FEED/CAROUSEL_ALBUM",
        "REELS/VIDEO",
        "STORY/IMAGE",
        "STORY/VIDEO",
    ] {
        assert!(types.contains(&t.to_string()), "{t} not in {types:?}");
    }
}

fn results(report: &Value, verdict: &str) -> Vec<String> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] == verdict)
        .map(|r| r["file"].as_str().unwrap().to_string())
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    postwright::hex::hex(&sha2::Sha256::digest(bytes))
}

#[test]
fn store_uploads_each_file_once_and_meta_fetches_every_post_type_from_it() {
    let Some(s3) = S3Server::start() else { return };
    let site = site(&media(&s3, "s3://kiln-media/feed"), Duration::ZERO);

    // The plan shows where each file will be, never a presigned URL.
    let plan = site.run(&["plan", "--at", AT, "--format", "json"]);
    let portrait = sha256(&fs::read(site.path().join("media/portrait.jpg")).unwrap());
    let address = format!("s3://{BUCKET}/feed/{portrait}.jpg");
    assert!(plan.stdout.contains(&address), "{}", plan.stdout);
    assert!(!plan.stdout.contains("X-Amz"), "{}", plan.stdout);

    let (code, report, first) = apply(&site, SECRET_KEY, &[]);
    assert_eq!(code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(results(&report, "published").len(), 5, "{report:#}");
    assert_eq!(report["uploads"]["files"], FILES, "{report:#}");
    assert_eq!(report["uploads"]["present"], 0);
    assert!(first
        .stderr
        .contains(&format!("↑ media/portrait.jpg: uploaded to {address}")));

    // Each file once, under its content's name, with its bytes.
    let objects = s3.objects();
    assert_eq!(objects.len() as u64, FILES, "{objects:?}");
    for (key, size, _) in &objects {
        let bytes = s3.read(key);
        let (name, ext) = key.strip_prefix("feed/").unwrap().split_once('.').unwrap();
        assert_eq!(name, sha256(&bytes));
        assert!(["jpg", "mp4"].contains(&ext), "{key}");
        assert_eq!(*size, bytes.len() as u64);
    }
    let uploaded: u64 = objects.iter().map(|(_, n, _)| n).sum();
    assert_eq!(report["uploads"]["bytes"], uploaded);

    every_type_fetched_from_the_store(&site.server, &s3, FILES);

    // A new post using a file already there: nothing is uploaded again.
    fs::write(
        site.path().join("posts/7-again.md"),
        "---\npublish_at: 2026-12-01 12:00\nmedia: [../media/square.jpg]\nallow_duplicate: true\n---\nThe row again.\n",
    )
    .unwrap();
    let (code, report, second) = apply(&site, SECRET_KEY, &[]);
    assert_eq!(code, 0, "{}", second.stderr);
    assert_eq!(results(&report, "published"), ["posts/7-again.md"]);
    assert_eq!(report["uploads"]["files"], 0, "{report:#}");
    assert_eq!(report["uploads"]["present"], 1);
    assert_eq!(s3.objects(), objects, "the store was written again");
    assert_eq!(site.server.published().len(), 6, "a post published twice");
    nothing_secret(&site, &[&plan, &first, &second]);
}

#[test]
fn a_presigned_url_is_checked_with_a_ranged_get_because_head_is_refused() {
    let Some(s3) = S3Server::start() else { return };
    let site = site(&media(&s3, "s3://kiln-media/feed"), Duration::ZERO);
    let (code, _, run) = apply(&site, SECRET_KEY, &["--only", "1-image"]);
    assert_eq!(code, 0, "{}", run.stderr);
    let created = site.server.containers();
    let url = created[0].params["image_url"].clone();
    assert!(url.contains("X-Amz-Signature="), "not presigned");
    let size = fs::read(site.path().join("media/portrait.jpg"))
        .unwrap()
        .len();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (head, get, range) = rt.block_on(async {
        let http = reqwest::Client::new();
        let head = http.head(&url).send().await.unwrap().status().as_u16();
        let get = http
            .get(&url)
            .header("range", "bytes=0-0")
            .send()
            .await
            .unwrap();
        let range = get.headers()["content-range"].to_str().unwrap().to_string();
        (head, get.status().as_u16(), range)
    });
    assert_eq!(head, 403, "the method is part of the signature");
    assert_eq!((get, range), (206, format!("bytes 0-0/{size}")));
}

#[test]
fn a_bucket_that_does_not_exist_defers_every_post_then_they_publish_once() {
    let Some(s3) = S3Server::start() else { return };
    let site = site(&media(&s3, "s3://no-such-bucket/feed"), Duration::ZERO);
    let (code, report, run) = apply(&site, SECRET_KEY, &[]);
    assert_eq!(code, 0, "deferred, not failed: {}", run.stderr);
    assert_eq!(results(&report, "deferred").len(), 5, "{report:#}");
    let first = &report["results"][0];
    let message = first["message"].as_str().unwrap();
    assert!(message.contains("s3://no-such-bucket/feed"), "{message}");
    assert!(
        message.contains("the bucket does not exist (at this endpoint and region) (HTTP 404"),
        "{message}"
    );
    assert!(run
        .stderr
        .contains(&format!("⏸ {}: ", first["file"].as_str().unwrap())));
    assert!(site.server.containers().is_empty(), "Meta was called");
    let warning = report["warnings"][0].as_str().unwrap_or_default();
    assert!(
        warning.starts_with("the media store s3://no-such-bucket/feed could not take 5 files"),
        "{report:#}"
    );
    let state = site.state();
    assert!(state.to_string().contains("no-such-bucket"), "{state}");

    // The bucket made: each post goes out once.
    fs::create_dir(s3.dir().join("no-such-bucket")).unwrap();
    let (code, report, again) = apply(&site, SECRET_KEY, &[]);
    assert_eq!(code, 0, "{}", again.stderr);
    assert_eq!(results(&report, "published").len(), 5, "{report:#}");
    assert_eq!(site.server.published().len(), 5);
    nothing_secret(&site, &[&run, &again]);
}

#[test]
fn wrong_credentials_defer_every_post_and_are_never_printed() {
    let Some(s3) = S3Server::start() else { return };
    let site = site(&media(&s3, "s3://kiln-media/feed"), Duration::ZERO);
    let (code, report, run) = apply(&site, "wrong-secret", &[]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(results(&report, "deferred").len(), 5, "{report:#}");
    let message = report["results"][0]["message"].as_str().unwrap();
    assert!(message.contains("refused the credentials"), "{message}");
    assert!(message.contains("(HTTP 403"), "{message}");
    assert!(s3.objects().is_empty());
    assert!(site.server.containers().is_empty());
    let (_, report, again) = apply(&site, SECRET_KEY, &[]);
    assert_eq!(results(&report, "published").len(), 5, "{report:#}");
    assert_eq!(site.server.published().len(), 5);
    nothing_secret(&site, &[&run, &again]);
}

#[test]
fn a_store_that_hangs_defers_in_bounded_time() {
    let hang = Hang::start();
    let site = site(
        &format!(
            "store = \"s3://kiln-media/feed\"\nendpoint = \"http://127.0.0.1:{}\"\ntimeout_secs = 1\n",
            hang.port
        ),
        Duration::ZERO,
    );
    let started = Instant::now();
    let (code, report, run) = apply(&site, SECRET_KEY, &[]);
    let took = started.elapsed();
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(results(&report, "deferred").len(), 5, "{report:#}");
    assert!(took < Duration::from_secs(40), "took {took:?}");
    let message = report["results"][0]["message"].as_str().unwrap();
    assert!(message.contains("s3://kiln-media/feed"), "{message}");
    assert!(message.contains("did not answer in time"), "{message}");
    assert!(site.server.containers().is_empty());
    nothing_secret(&site, &[&run]);
}

#[test]
fn an_unknown_store_scheme_is_a_config_error_at_its_line() {
    let site = site(
        "video_upload = \"url\"\nstore = \"ftp://kiln/feed\"\n",
        Duration::ZERO,
    );
    for args in [&["validate"][..], &["apply", "--at", AT]] {
        let run = site.run(args);
        assert_ne!(run.code, 0, "{args:?}");
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(said.contains("unknown store scheme `ftp://`"), "{said}");
        let line = fs::read_to_string(site.path().join("postwright.toml"))
            .unwrap()
            .lines()
            .position(|l| l.starts_with("store"))
            .unwrap()
            + 1;
        assert!(said.contains(&format!("postwright.toml:{line}:")), "{said}");
    }
    assert!(site
        .server
        .requests()
        .iter()
        .all(|r| !r.path.ends_with("/media")));
}

#[test]
fn a_presigned_url_that_expired_before_meta_fetched_it_defers_the_post_redacted() {
    let Some(s3) = S3Server::start() else { return };
    let site = site(
        &format!("{}url_ttl_secs = 1\n", media(&s3, "s3://kiln-media/feed")),
        Duration::from_millis(2500),
    );
    let (report, run) = image_deferred(&site);
    let message = report["results"][0]["message"].as_str().unwrap();
    // Meta's 9004 quotes the URL: its key stays, its signature goes.
    assert!(message.contains("9004"), "{message}");
    assert!(
        message.contains("/kiln-media/feed/") && message.contains("?<redacted>"),
        "{message}"
    );
    let fetch = &site.server.fetches()[0];
    assert!(!fetch.ok && fetch.sha256.is_none(), "{fetch:?}");
    let record = site.state().to_string();
    assert!(record.contains("?<redacted>"), "{record}");
    assert!(site.server.published().is_empty());
    nothing_secret(&site, &[&run]);
}

#[test]
fn a_video_over_16_mib_goes_up_in_parts_and_meta_gets_every_byte() {
    let Some(s3) = S3Server::start() else { return };
    let fixture = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("publish"), fixture.path());
    let reel = fixture.path().join("media/reel.mp4");
    crate::store_cost::padded(
        &fixtures().join("publish/media/reel.mp4"),
        &reel,
        18_000_000,
        7,
    );
    let size = fs::metadata(&reel).unwrap().len();
    let site = site_of(
        fixture.path(),
        &media(&s3, "s3://kiln-media/feed"),
        Duration::ZERO,
    );
    let (code, report, run) = apply(&site, SECRET_KEY, &["--only", "3-reel"]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(
        results(&report, "published"),
        ["posts/3-reel.md"],
        "{report:#}"
    );
    // The reel and its cover.
    assert_eq!(report["uploads"]["files"], 2, "{report:#}");
    let key = format!("feed/{}.mp4", sha256(&fs::read(&reel).unwrap()));
    let objects = s3.objects();
    assert!(
        objects.iter().any(|(k, n, _)| *k == key && *n == size),
        "{objects:?}"
    );
    let fetched = site.server.fetches();
    assert!(
        fetched.iter().any(|f| f.ok && f.url.ends_with(&key)),
        "{fetched:?}"
    );
    assert!(fetched.iter().all(|f| f.ok), "{fetched:?}");
    nothing_secret(&site, &[&run]);
}

/// The Graph server's own check, which the tests above lean on: the bytes
/// it fetches must be a registered file, and the one a `<sha256>.<ext>`
/// name says — so a wrong key, or an LFS pointer served instead of the
/// video, fails the container as Meta fails a URL it cannot use.
#[tokio::test]
async fn the_graph_server_refuses_a_wrong_key_and_an_lfs_pointer() {
    use crate::graph_server::{FB_TOKEN, FB_USER, T};
    let root = tempfile::tempdir().unwrap();
    let media = fixtures().join("publish/media");
    let portrait = fs::read(media.join("portrait.jpg")).unwrap();
    let landscape = sha256(&fs::read(media.join("landscape.jpg")).unwrap());
    fs::write(root.path().join("plain.jpg"), &portrait).unwrap();
    fs::write(
        root.path().join(format!("{}.jpg", sha256(&portrait))),
        &portrait,
    )
    .unwrap();
    fs::write(root.path().join(format!("{landscape}.jpg")), &portrait).unwrap();
    let pointer = format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize {}\n",
        sha256(&portrait),
        portrait.len()
    );
    fs::write(root.path().join("pointer.jpg"), pointer).unwrap();
    let t = T::new(ServerConfig {
        static_root: Some(root.path().to_path_buf()),
        media_check: Some(MediaCheck::of_dir(&media)),
        ..crate::graph_server::config()
    })
    .await;
    let good = [
        format!("{}.jpg", sha256(&portrait)),
        "plain.jpg".to_string(),
    ];
    for name in &good {
        let r = t
            .create(FB_USER, FB_TOKEN, &[("image_url", &t.media(name))])
            .await;
        assert_eq!(r.status, 200, "{name}: {r:?}");
    }
    for name in [format!("{landscape}.jpg"), "pointer.jpg".to_string()] {
        let url = t.media(&name);
        let r = t.create(FB_USER, FB_TOKEN, &[("image_url", &url)]).await;
        assert_eq!(
            (r.code(), r.sub()),
            (Some(9004), Some(2207052)),
            "{name}: {r:?}"
        );
        // As Meta's does, the message quotes the URL.
        assert!(r.message().contains(&url), "{}", r.message());
    }
    let oks: Vec<bool> = t.s.fetches().iter().map(|f| f.ok).collect();
    assert_eq!(oks, [true, true, false, false]);
}

#[test]
fn with_public_url_meta_gets_the_cdn_url_checked_and_fetched_from_it() {
    let Some(s3) = S3Server::start() else { return };
    // A CDN in front of the bucket: another test server's static host
    // (GET, HEAD, ranges) serving s3s-fs's folder.
    let cdn = crate::graph::GraphServer::start_blocking(ServerConfig {
        static_root: Some(s3.dir().to_path_buf()),
        ..ServerConfig::default()
    });
    let base = format!("{}/{BUCKET}", cdn.media_url());
    let site = site(
        &format!(
            "{}public_url = \"{base}/{{key}}\"\n",
            media(&s3, "s3://kiln-media/feed")
        ),
        Duration::ZERO,
    );
    let (code, report, run) = apply(&site, SECRET_KEY, &["--only", "1-image"]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(
        results(&report, "published"),
        ["posts/1-image.md"],
        "{report:#}"
    );
    let sha = sha256(&fs::read(site.path().join("media/portrait.jpg")).unwrap());
    let url = site.server.containers()[0].params["image_url"].clone();
    assert_eq!(url, format!("{base}/feed/{sha}.jpg"));
    let fetched = site.server.fetches();
    assert!(
        !fetched.is_empty() && fetched.iter().all(|f| f.ok && f.url == url),
        "{fetched:?}"
    );
    nothing_secret(&site, &[&run]);
}

#[test]
fn a_url_that_does_not_answer_with_the_file_is_never_given_to_meta() {
    let Some(s3) = S3Server::start() else { return };
    let site = site(&media(&s3, "s3://kiln-media/feed"), Duration::ZERO);
    // A CDN that is not set up yet: every key answers 404.
    let toml = site.path().join("postwright.toml");
    let mut text = fs::read_to_string(&toml).unwrap();
    text.push_str(&format!(
        "public_url = \"{}/not-there/{{key}}\"\n",
        site.server.media_url()
    ));
    fs::write(&toml, text).unwrap();
    let (report, run) = image_deferred(&site);
    let message = report["results"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("cannot be fetched as Meta would"),
        "{message}"
    );
    assert!(message.contains("HTTP 404"), "{message}");
    assert!(
        site.server.containers().is_empty(),
        "Meta got an unchecked URL"
    );
    assert_eq!(report["uploads"]["files"], 1, "uploaded, then checked");
    nothing_secret(&site, &[&run]);
}
