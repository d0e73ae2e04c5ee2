//! What the record on the remote costs: 20 image posts applied against the
//! test Graph API server with the git backend, with the record kept in the
//! clone (`remote = ""`), and pushed before and after every publish to a
//! bare remote over file:// and over git:// (`git daemon` on 127.0.0.1). A
//! measurement, not a check of speed:
//!
//! ```sh
//! cargo test --release --test integration push_cost -- --ignored --nocapture
//! ```
//!
//! It asserts what it can know exactly: every post published once, and the
//! number of pushes the remote received.

use crate::apply_e2e::{account, Site, AT, TOKEN};
use crate::common::git;
use crate::graph::{Login, ServerConfig};
use crate::remote::harness::{daemon_available, GitRemote};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Where {
    Local,
    File,
    Daemon,
}

const POSTS: usize = 20;

fn site(place: Where) -> (Site, GitRemote) {
    let remote = place != Where::Local;
    let fixture = tempfile::tempdir().unwrap();
    let posts = fixture.path().join("posts");
    std::fs::create_dir_all(&posts).unwrap();
    std::fs::create_dir_all(fixture.path().join("media")).unwrap();
    std::fs::copy(
        crate::common::fixtures().join("publish/media/portrait.jpg"),
        fixture.path().join("media/portrait.jpg"),
    )
    .unwrap();
    for i in 0..POSTS {
        std::fs::write(
            posts.join(format!("{i:02}.md")),
            format!(
                "---\npublish_at: 2026-12-01 {:02}:{:02}\nmedia: [../media/portrait.jpg]\n---\nPost {i}\n",
                i / 60,
                i % 60
            ),
        )
        .unwrap();
    }
    let config = ServerConfig {
        accounts: vec![account(Login::Facebook)],
        ..ServerConfig::default()
    };
    let state = if remote {
        "\n[state]\nbackend = \"git\"\n"
    } else {
        "\n[state]\nbackend = \"git\"\nremote = \"\"\n"
    };
    let site = Site::new(fixture.path(), config, Login::Facebook, state);
    let p = site.path();
    git(p, &["init", "-q", "-b", "main"]);
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "content"]);
    let bare = match place {
        Where::Daemon => GitRemote::served(),
        _ => GitRemote::new(),
    };
    // Counts the pushes the remote receives.
    let hook = bare.bare().join("hooks/post-receive");
    std::fs::write(&hook, "#!/bin/sh\necho push >> \"$GIT_DIR/pushes\"\n").unwrap();
    make_executable(&hook);
    let url = match place {
        Where::Local => None,
        Where::File => Some(bare.file_url()),
        Where::Daemon => Some(bare.url()),
    };
    if let Some(url) = url {
        git(p, &["remote", "add", "origin", &url]);
    }
    (site, bare)
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn pushes(bare: &Path) -> usize {
    std::fs::read_to_string(bare.join("pushes"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

#[test]
#[ignore = "a measurement: cargo test --release --test integration push_cost -- --ignored --nocapture"]
fn push_cost() {
    let mut times = Vec::new();
    let mut places = vec![Where::Local, Where::File];
    if daemon_available("push_cost over git://") {
        places.push(Where::Daemon);
    }
    for place in places {
        let remote = place != Where::Local;
        let mut best = Duration::MAX;
        let mut counted = 0;
        for _ in 0..3 {
            let (site, bare) = site(place);
            let start = Instant::now();
            let run = site.run_env(
                &["apply", "--at", AT, "--format", "json"],
                &[("KILN_TOKEN", TOKEN)],
            );
            let took = start.elapsed();
            assert_eq!(run.code, 0, "{}", run.stderr);
            assert_eq!(site.server.published().len(), POSTS);
            best = best.min(took);
            counted = pushes(&bare.bare());
        }
        let what = match place {
            Where::Local => "local only",
            Where::File => "pushed to a file:// remote",
            Where::Daemon => "pushed to a git:// remote (git daemon on 127.0.0.1)",
        };
        eprintln!(
            "{POSTS} posts, {what}: best of 3 {:.2} s, {counted} pushes ({:.2} per post)",
            best.as_secs_f64(),
            counted as f64 / POSTS as f64
        );
        if remote {
            // The lease taken, then "publishing" and "published" per post,
            // then the release (which also sends the local-only steps).
            assert_eq!(counted, 2 * POSTS + 2);
        } else {
            assert_eq!(counted, 0);
        }
        times.push((what, best));
    }
    let local = times[0].1.as_secs_f64();
    for (what, t) in &times[1..] {
        let extra = t.as_secs_f64() - local;
        eprintln!(
            "{what}: adds {extra:.2} s to {POSTS} posts ({:.0} ms per post)",
            extra * 1000.0 / POSTS as f64
        );
    }
}
