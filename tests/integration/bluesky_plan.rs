//! `plan` for a Bluesky account against the fault server
//! (tests/integration/bluesky): with the app password set and not
//! `--offline`, plan resolves the due posts' mentions, each handle once,
//! and warns of each one that does not resolve (apply would fail that
//! post), naming the file and the handle; a PDS that cannot resolve them
//! is one warning; `--offline` calls nothing. The exit code is the same
//! either way: a warning is not an error.

use crate::apply_e2e::{to_run, Run};
use crate::bluesky::{BlueskyConfig, BlueskyServer, Fault};
use crate::common::postwright;
use std::fs;
use std::time::Duration;

const PASSWORD_ENV: &str = "KILN_SKY_PASSWORD";
const FRIEND: &str = "friend.bsky.social";
const FRIEND_DID: &str = "did:plc:friendfriendfriend00000000";
const NOBODY: &str = "nobody.test";
/// After every post's `publish_at`: all three are due.
const AT: &str = "2026-12-01T12:00:00Z";

struct Site {
    server: BlueskyServer,
    dir: tempfile::TempDir,
}

impl Site {
    /// Three due posts: two mention the friend, one @nobody.test.
    fn new() -> Site {
        let server = BlueskyServer::start_blocking(BlueskyConfig::default());
        server.add_handle(FRIEND, FRIEND_DID);
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("posts")).unwrap();
        let toml = format!(
            "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[accounts.sky]\nplatform = \"bluesky\"\nhandle = \"{}\"\npds = \"{}\"\npassword_env = \"{PASSWORD_ENV}\"\n\n[api]\nretry_base_ms = 10\n",
            server.handle(),
            server.url()
        );
        fs::write(dir.path().join("postwright.toml"), toml).unwrap();
        let site = Site { server, dir };
        site.post("1-hello", "09:00", &format!("Hello @{FRIEND} 👋"));
        site.post("2-ghost", "10:00", &format!("Say hi to @{NOBODY}"));
        site.post("3-again", "11:00", &format!("@{FRIEND} once more"));
        site
    }

    fn post(&self, id: &str, at: &str, text: &str) {
        let body = format!(
            "publish_at: 2026-12-01 {at}\ncaption: {}\n",
            serde_json::to_string(text).unwrap()
        );
        fs::write(self.dir.path().join(format!("posts/{id}.yaml")), body).unwrap();
    }

    fn plan(&self, extra: &[&str]) -> Run {
        let mut args = vec!["plan", "--at", AT];
        args.extend_from_slice(extra);
        let mut cmd = postwright(self.dir.path());
        cmd.env(PASSWORD_ENV, BlueskyConfig::default().password)
            .arg("--repo")
            .arg(self.dir.path())
            .args(&args)
            .timeout(Duration::from_secs(120));
        to_run(&args, cmd.output().expect("runs"))
    }

    /// The handles resolveHandle was asked for, in order.
    fn resolved(&self) -> Vec<String> {
        self.server
            .calls_to("resolveHandle")
            .into_iter()
            .map(|c| c.query.get("handle").cloned().unwrap_or_default())
            .collect()
    }
}

fn warnings(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect()
}

#[test]
fn plan_warns_of_a_mention_that_does_not_resolve_once_naming_file_and_handle() {
    let site = Site::new();
    let offline = site.plan(&["--offline"]);
    assert!(site.server.calls().is_empty(), "{:?}", site.server.calls());
    assert!(!offline.stderr.contains(NOBODY), "{}", offline.stderr);

    let run = site.plan(&[]);
    let found: Vec<&str> = warnings(&run)
        .into_iter()
        .filter(|w| w.contains("mention"))
        .collect();
    assert_eq!(found.len(), 1, "{}", run.stderr);
    let w = found[0];
    assert!(w.contains("account sky"), "{w}");
    assert!(w.contains("posts/2-ghost.yaml"), "{w}");
    assert!(w.contains(&format!("@{NOBODY} does not resolve")), "{w}");
    assert!(w.contains("apply will fail this post"), "{w}");
    assert!(!run.stderr.contains(&BlueskyConfig::default().password));
    // A warning, not an error: the exit code is the offline plan's.
    assert_eq!(run.code, offline.code, "{}\n{}", run.stdout, run.stderr);
    // The account's own handle (auth's check), then each mention once.
    let own = site.server.handle();
    assert_eq!(site.resolved(), [own.as_str(), FRIEND, NOBODY]);
}

#[test]
fn a_pds_that_cannot_resolve_the_mentions_is_one_warning() {
    let site = Site::new();
    let offline = site.plan(&["--offline"]);
    // auth's own resolveHandle goes through; every mention's fails.
    site.server.arm("resolveHandle", 1, 1000, Fault::Http500);
    let run = site.plan(&[]);
    let found: Vec<&str> = warnings(&run)
        .into_iter()
        .filter(|w| w.contains("mention"))
        .collect();
    assert_eq!(found.len(), 1, "{}", run.stderr);
    assert!(
        found[0].contains("could not check the posts' mentions"),
        "{}",
        found[0]
    );
    assert!(!run.stderr.contains(NOBODY), "{}", run.stderr);
    assert_eq!(run.code, offline.code, "{}\n{}", run.stdout, run.stderr);
}
