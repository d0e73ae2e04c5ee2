//! What `[media] store` costs a batch: 20 posts, each with media of its
//! own (18 photos of about 2 MB, 2 reels of about 24 MB that go up in
//! parts), applied against the test Graph API server with the media
//! uploaded to s3s-fs on 127.0.0.1 and fetched back by the Graph server;
//! then the same batch in a fresh repo with every file already in the
//! store, and without a store (the test server's static host through
//! `base_url`). A measurement, not a check of speed:
//!
//! ```sh
//! cargo test --release --test integration store_cost -- --ignored --nocapture
//! ```
//!
//! It asserts what it can know exactly: every post published once, each
//! file uploaded once, nothing uploaded when the files are there.

use crate::apply_e2e::{account, Site, AT, TOKEN};
use crate::graph::{Login, MediaCheck, ServerConfig};
use crate::s3::{S3Server, ACCESS_KEY, SECRET_KEY};
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

const PHOTOS: usize = 18;
const REELS: usize = 2;

/// `src` with `extra` bytes of its own after it: a JPEG's trailing data
/// (after its end marker) or an MP4's last box (`free`), so each copy is a
/// distinct file that still reads as the same picture or video.
pub(crate) fn padded(src: &Path, dst: &Path, extra: usize, seed: u64) {
    let mut bytes = fs::read(src).unwrap();
    let is_mp4 = bytes.get(4..8) == Some(b"ftyp");
    if is_mp4 {
        bytes.extend_from_slice(&u32::try_from(extra + 8).unwrap().to_be_bytes());
        bytes.extend_from_slice(b"free");
    }
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    bytes.extend((0..extra).map(|_| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        (x >> 33) as u8
    }));
    fs::write(dst, bytes).unwrap();
}

/// The batch, its media in `[media] store` under `prefix` (`None`: served
/// by the test server's static host through `base_url`, for comparison).
fn batch(s3: &S3Server, prefix: Option<&str>) -> Site {
    let fixture = tempfile::tempdir().unwrap();
    let (posts, media) = (fixture.path().join("posts"), fixture.path().join("media"));
    fs::create_dir_all(&posts).unwrap();
    fs::create_dir_all(&media).unwrap();
    let source = crate::common::fixtures().join("publish/media");
    for i in 0..PHOTOS + REELS {
        let reel = i >= PHOTOS;
        let (src, name, extra) = if reel {
            ("reel.mp4", format!("{i:02}.mp4"), 24_000_000)
        } else {
            ("portrait.jpg", format!("{i:02}.jpg"), 2_000_000)
        };
        // The same seed, the same bytes: every batch has the same files.
        padded(&source.join(src), &media.join(&name), extra, i as u64);
        let kind = if reel { "type: reel\n" } else { "" };
        fs::write(
            posts.join(format!("{i:02}.md")),
            format!("---\n{kind}publish_at: 2026-12-01 09:{i:02}\nmedia: [../media/{name}]\n---\nPost {i}\n"),
        )
        .unwrap();
    }
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        video_processing: Duration::from_millis(300),
        media_check: Some(MediaCheck::of_dir(&media)),
        ..ServerConfig::default()
    };
    let site = Site::new(fixture.path(), config, Login::Facebook, "");
    let Some(prefix) = prefix else { return site };
    let path = site.path().join("postwright.toml");
    let toml = fs::read_to_string(&path).unwrap();
    let head = toml.split("[media]").next().unwrap();
    fs::write(
        &path,
        format!(
            "{head}[media]\nstore = \"s3://kiln-media/{prefix}\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\n",
            s3.endpoint()
        ),
    )
    .unwrap();
    site
}

fn apply(site: &Site) -> (serde_json::Value, Duration) {
    let start = Instant::now();
    let run = site.run_env(
        &["apply", "--at", AT, "--format", "json"],
        &[
            ("KILN_TOKEN", TOKEN),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ],
    );
    let took = start.elapsed();
    assert_eq!(run.code, 0, "{}", run.stderr);
    (serde_json::from_str(&run.stdout).unwrap(), took)
}

#[test]
#[ignore = "a measurement: cargo test --release --test integration store_cost -- --ignored --nocapture"]
fn store_cost() {
    let Some(s3) = S3Server::start() else { return };
    let posts = PHOTOS + REELS;
    let (mut upload, mut present, mut plain) = (Vec::new(), Vec::new(), Vec::new());
    let mut bytes = 0;
    for round in 0..3 {
        // A prefix of its own: this batch uploads every file.
        let prefix = format!("round{round}");
        let site = batch(&s3, Some(&prefix));
        let (report, took) = apply(&site);
        assert_eq!(site.server.published().len(), posts);
        assert_eq!(report["uploads"]["files"], posts as u64);
        assert!(site.server.fetches().iter().all(|f| f.ok));
        bytes = report["uploads"]["bytes"].as_u64().unwrap();
        upload.push(took);
        // The same batch in a fresh repo: every file is in the store.
        let site = batch(&s3, Some(&prefix));
        let (report, took) = apply(&site);
        assert_eq!(site.server.published().len(), posts);
        assert_eq!(report["uploads"]["files"], 0);
        assert_eq!(report["uploads"]["present"], posts as u64);
        present.push(took);
        // Without a store: the test server's static host (base_url).
        let site = batch(&s3, None);
        let (report, took) = apply(&site);
        assert_eq!(site.server.published().len(), posts);
        assert!(report.get("uploads").is_none());
        plain.push(took);
    }
    let secs = |v: &[Duration]| {
        v.iter()
            .map(|d| format!("{:.2}", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    eprintln!(
        "{posts} posts ({PHOTOS} photos, {REELS} reels), {posts} files, {:.1} MB",
        bytes as f64 / 1e6
    );
    eprintln!("uploading every file: {} s", secs(&upload));
    eprintln!("every file already in the store: {} s", secs(&present));
    eprintln!(
        "no store (base_url, the test server's static host): {} s",
        secs(&plain)
    );
}
