//! `postwright plan` and `postwright status` through the life of a content
//! repo: the real binary on a copy of tests/fixtures/lifecycle, with the
//! state record written through the library as `apply` would write it, once
//! per state backend. The output formats of one mid-life state are pinned by
//! snapshots.

pub(crate) use crate::common::git;
use crate::common::{copy_dir, fixtures, postwright};
use postwright::config::Config;
use postwright::content::PostType;
use postwright::state::{self, Reach, Record, State, Status, Store};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};

/// Before anything is published: three posts due, four scheduled.
pub(crate) const EARLY: &str = "2026-12-01T12:00:00Z";
/// The reel (2026-12-05 18:00 Berlin) is due.
const LATE: &str = "2026-12-06T12:00:00Z";
/// The holiday post and the spring post are due too.
const SPRING: &str = "2027-03-02T12:00:00Z";
/// The moment of the pinned mid-life outputs.
const SNAPSHOT_AT: &str = "2027-03-05T12:00:00Z";

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const SPRING_ERROR: &str =
    "Meta could not fetch media/square.jpg (error 9004, subcode 2207052): is the commit pushed?";

/// Which state backend a content repo uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    File,
    Git,
}

/// What a run of the binary left.
#[derive(Debug)]
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A temporary copy of the lifecycle content repo.
pub(crate) struct Content {
    dir: tempfile::TempDir,
}

impl Content {
    /// Copies tests/fixtures/lifecycle; for the git backend the copy is
    /// configured for it and made a git repository with one commit.
    pub fn new(backend: Backend) -> Content {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixtures().join("lifecycle"), dir.path());
        let content = Content { dir };
        if backend == Backend::Git {
            let mut config = content.read("postwright.toml");
            config.push_str("\n[state]\nbackend = \"git\"\n");
            content.write("postwright.toml", &config);
            let p = content.path();
            git(p, &["init", "-q", "-b", "main"]);
            git(p, &["config", "user.name", "Test Author"]);
            git(p, &["config", "user.email", "test@example.com"]);
            git(p, &["config", "commit.gpgsign", "false"]);
            git(p, &["add", "-A"]);
            git(p, &["commit", "-q", "-m", "content"]);
        }
        content
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.file(rel)).unwrap()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.file(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// Replaces `from` (which must be there) by `to` in a file.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} lacks {from:?}");
        self.write(rel, &text.replacen(from, to, 1));
    }

    /// Runs the binary on this repo with GitHub's repo and commit set, so
    /// media URLs do not depend on where the test runs.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &Path)]) -> Run {
        let mut cmd = postwright(self.path());
        cmd.env("GITHUB_REPOSITORY", "kiln/feed")
            .env("GITHUB_SHA", SHA)
            .arg("--repo")
            .arg(self.path())
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("runs");
        let run = Run {
            code: out.status.code().expect("exit code"),
            stdout: String::from_utf8(out.stdout).expect("utf-8"),
            stderr: String::from_utf8(out.stderr).expect("utf-8"),
        };
        assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
        run
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// `plan --at AT --format json` plus `extra`: (exit code, plan).
    pub fn plan(&self, at: &str, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["plan", "--at", at, "--format", "json"];
        args.extend_from_slice(extra);
        let run = self.run(&args);
        let plan = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "plan {extra:?} printed no JSON ({e}): {}\nstderr: {}",
                run.stdout, run.stderr
            )
        });
        (run.code, plan)
    }

    /// The exit code of `plan --at AT` plus `extra`.
    pub fn exit_code(&self, at: &str, extra: &[&str]) -> i32 {
        let mut args = vec!["plan", "--at", at];
        args.extend_from_slice(extra);
        self.run(&args).code
    }

    /// The store the repo's config asks for.
    pub fn store(&self) -> Box<dyn Store> {
        let config = Config::load(&self.file("postwright.toml"), "postwright.toml").unwrap();
        state::open(self.path(), &config)
    }

    pub fn load(&self) -> State {
        self.store().load().unwrap()
    }

    pub fn save(&self, state: &State, message: &str) {
        self.store().save(state, message, Reach::Shared).unwrap();
    }

    /// Changes the record as a step of apply would.
    pub fn update(&self, message: &str, change: impl FnOnce(&mut State)) {
        let mut s = self.load();
        change(&mut s);
        self.save(&s, message);
    }
}

/// The plan entry of post `id`.
pub(crate) fn entry<'a>(plan: &'a Value, id: &str) -> &'a Value {
    plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("no entry {id}: {plan:#}"))
}

fn permalink(id: &str) -> String {
    format!("https://www.instagram.com/p/C{}/", id.replace('/', "-"))
}

fn media_id(id: &str) -> String {
    format!("1790000{:05}", id.bytes().map(u32::from).sum::<u32>())
}

/// A state entry for a post in `status`, made from its plan entry as apply
/// makes it (the content hash comes from the plan).
fn recorded(plan_entry: &Value, status: Status) -> Record {
    let kind: PostType = serde_json::from_value(plan_entry["type"].clone()).unwrap();
    let hash = plan_entry["content_hash"]
        .as_str()
        .unwrap_or_else(|| panic!("no content_hash: {plan_entry:#}"));
    Record::new(
        status,
        plan_entry["file"].as_str().unwrap(),
        plan_entry["account"].as_str().unwrap(),
        kind,
        hash,
    )
}

/// The state entry of a published post (published at its publish_at).
pub(crate) fn published(plan_entry: &Value) -> Record {
    let id = plan_entry["id"].as_str().unwrap();
    let mut e = recorded(plan_entry, Status::Published);
    e.journaled_at = plan_entry["publish_at"]
        .as_str()
        .map(|t| t.parse().unwrap());
    e.published_at = e.journaled_at;
    e.media_id = Some(media_id(id));
    e.permalink = Some(permalink(id));
    e.comments_enabled = Some(true);
    // As apply leaves it once the first comment (where the post has one) is
    // posted; without it the plan would ask apply to finish the comment.
    e.first_comment_id = Some(format!("{id}-first-comment"));
    e
}

/// Asserts every entry's action, in order, and the summary.
fn expect(plan: &Value, actions: &[(&str, &str)], summary: Value) {
    let got: Vec<(String, String)> = plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = actions
        .iter()
        .map(|(i, a)| (i.to_string(), a.to_string()))
        .collect();
    assert_eq!(got, want, "{plan:#}");
    assert_eq!(plan["summary"], summary, "{plan:#}");
}

/// The steady state after the three due posts are published, at EARLY.
fn steady(c: &Content, behind: &str) {
    let (code, p) = c.plan(EARLY, &[]);
    assert_eq!(code, 0);
    expect(
        &p,
        &[
            ("reel", "scheduled"),
            ("holiday", "scheduled"),
            ("spring", "scheduled"),
            ("summer", "scheduled"),
            ("drafts/idea", "draft"),
            ("zz-teaser", "published"),
            (behind, "published"),
            ("launch", "published"),
        ],
        json!({"draft": 1, "published": 3, "scheduled": 4}),
    );
    assert_eq!(c.exit_code(EARLY, &["--detailed-exitcode"]), 0);
}

fn lifecycle(backend: Backend) {
    let c = Content::new(backend);
    assert_eq!(
        c.load(),
        State::default(),
        "a missing record loads as empty"
    );

    // 1. Nothing published yet: the due posts in publish_at order (ties by
    //    id), then the scheduled ones, then the draft (due, but a draft).
    let (code, p) = c.plan(EARLY, &[]);
    assert_eq!(code, 0);
    assert_eq!(p["format_version"], 1);
    assert_eq!(p["at"], EARLY);
    expect(
        &p,
        &[
            ("zz-teaser", "publish"),
            ("behind", "publish"),
            ("launch", "publish"),
            ("reel", "scheduled"),
            ("holiday", "scheduled"),
            ("spring", "scheduled"),
            ("summer", "scheduled"),
            ("drafts/idea", "draft"),
        ],
        json!({"draft": 1, "publish": 3, "scheduled": 4}),
    );
    let due: Vec<&str> = p["entries"].as_array().unwrap()[..3]
        .iter()
        .map(|e| e["publish_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        due,
        [
            "2026-11-15T08:00:00Z",
            "2026-11-20T08:00:00Z",
            "2026-11-20T08:00:00Z"
        ]
    );
    let teaser = entry(&p, "zz-teaser");
    assert_eq!(teaser["file"], "posts/zz-teaser.md");
    assert_eq!(teaser["account"], "kiln");
    assert_eq!(teaser["type"], "image");
    assert_eq!(teaser["reason"], "due since 16 days ago");
    assert_eq!(
        teaser["media"],
        json!([format!(
            "https://raw.githubusercontent.com/kiln/feed/{SHA}/media/landscape.jpg"
        )])
    );
    assert_eq!(entry(&p, "behind")["type"], "carousel");
    assert_eq!(entry(&p, "behind")["media"].as_array().unwrap().len(), 2);
    assert_eq!(entry(&p, "drafts/idea")["reason"], "draft: true");
    for e in p["entries"].as_array().unwrap() {
        assert!(
            e["content_hash"].as_str().unwrap().starts_with("sha256:"),
            "{e:#}"
        );
        assert_eq!(e["problems"], json!([]));
        assert_eq!(e["media_id"], Value::Null);
        assert_eq!(e["permalink"], Value::Null);
    }
    assert_eq!(c.exit_code(EARLY, &["--detailed-exitcode"]), 2);

    // 2. Apply published the due ones.
    for id in ["zz-teaser", "behind", "launch"] {
        c.update(&format!("published {id}"), |s| {
            s.insert(id, published(entry(&p, id)));
        });
    }
    steady(&c, "behind");
    let (_, p) = c.plan(EARLY, &[]);
    for id in ["zz-teaser", "behind", "launch"] {
        let e = entry(&p, id);
        assert_eq!(e["media_id"], media_id(id), "{e:#}");
        assert_eq!(e["permalink"], permalink(id), "{e:#}");
    }
    assert_eq!(
        entry(&p, "zz-teaser")["reason"],
        "published 2026-11-15 09:00 CET"
    );

    // 3. Later the reel is due.
    let (code, p) = c.plan(LATE, &[]);
    assert_eq!(code, 0);
    expect(
        &p,
        &[
            ("reel", "publish"),
            ("holiday", "scheduled"),
            ("spring", "scheduled"),
            ("summer", "scheduled"),
            ("drafts/idea", "draft"),
            ("zz-teaser", "published"),
            ("behind", "published"),
            ("launch", "published"),
        ],
        json!({"draft": 1, "publish": 1, "published": 3, "scheduled": 3}),
    );
    assert_eq!(entry(&p, "reel")["reason"], "due since 19 h 0 min ago");
    assert_eq!(c.exit_code(LATE, &["--detailed-exitcode"]), 2);

    // 4. Edits after publishing. A new caption is a change apply cannot make.
    let launch = c.read("posts/launch.md");
    c.edit(
        "posts/launch.md",
        "Meet the Harbour mug.",
        "Meet the Harbour mug, now in sand.",
    );
    let (code, p) = c.plan(EARLY, &[]);
    assert_eq!(code, 0);
    expect(
        &p,
        &[
            ("launch", "changed"),
            ("reel", "scheduled"),
            ("holiday", "scheduled"),
            ("spring", "scheduled"),
            ("summer", "scheduled"),
            ("drafts/idea", "draft"),
            ("zz-teaser", "published"),
            ("behind", "published"),
        ],
        json!({"changed": 1, "draft": 1, "published": 2, "scheduled": 4}),
    );
    assert_eq!(entry(&p, "launch")["permalink"], permalink("launch"));
    assert_eq!(entry(&p, "launch")["media_id"], media_id("launch"));
    assert_eq!(
        c.exit_code(EARLY, &["--detailed-exitcode"]),
        0,
        "changed needs no apply"
    );
    c.write("posts/launch.md", &launch);
    steady(&c, "behind");

    // Layout and comments of the front matter are not content.
    let behind = c.read("posts/behind.md");
    c.write(
        "posts/behind.md",
        "---\n\
         # Reindented, with comments: nothing Instagram sees has changed.\n\
         publish_at:   2026-11-20 09:00   # Berlin time\n\
         media:\n    \
             - src:      ../media/square.jpg\n      \
               alt_text: Bowls drying on a shelf\n    \
             # the second photo\n    \
             - ../media/portrait.jpg\n\
         ---\n\
         Behind the scenes of the Harbour collection.\n\
         \n\
         Two weeks of throwing, trimming and glazing.\n",
    );
    c.edit(
        "posts/launch.md",
        "media: [../media/portrait.jpg]",
        "# one photo\nmedia:\n- ../media/portrait.jpg",
    );
    steady(&c, "behind");
    c.write("posts/behind.md", &behind);
    c.write("posts/launch.md", &launch);

    // New bytes under the same media file name are a change.
    let landscape = fs::read(c.file("media/landscape.jpg")).unwrap();
    fs::copy(
        fixtures().join("media/portrait.jpg"),
        c.file("media/landscape.jpg"),
    )
    .unwrap();
    let (_, p) = c.plan(EARLY, &[]);
    expect(
        &p,
        &[
            ("zz-teaser", "changed"),
            ("reel", "scheduled"),
            ("holiday", "scheduled"),
            ("spring", "scheduled"),
            ("summer", "scheduled"),
            ("drafts/idea", "draft"),
            ("behind", "published"),
            ("launch", "published"),
        ],
        json!({"changed": 1, "draft": 1, "published": 2, "scheduled": 4}),
    );
    fs::write(c.file("media/landscape.jpg"), &landscape).unwrap();
    steady(&c, "behind");

    // 5. Comments can be turned off (and on) after publishing.
    c.edit(
        "posts/launch.md",
        "first_comment:",
        "comments: false\nfirst_comment:",
    );
    let (code, p) = c.plan(EARLY, &[]);
    assert_eq!(code, 0);
    expect(
        &p,
        &[
            ("launch", "update"),
            ("reel", "scheduled"),
            ("holiday", "scheduled"),
            ("spring", "scheduled"),
            ("summer", "scheduled"),
            ("drafts/idea", "draft"),
            ("zz-teaser", "published"),
            ("behind", "published"),
        ],
        json!({"draft": 1, "published": 2, "scheduled": 4, "update": 1}),
    );
    let e = entry(&p, "launch");
    assert_eq!(e["comments_enabled"], false, "{e:#}");
    assert_eq!(e["reason"], "comments: on → off");
    assert_eq!(e["permalink"], permalink("launch"));
    assert_eq!(c.exit_code(EARLY, &["--detailed-exitcode"]), 2);
    c.update("comments off on launch", |s| {
        s.get_mut("launch", "kiln").unwrap().comments_enabled = Some(false);
    });
    let (_, p) = c.plan(EARLY, &[]);
    assert_eq!(entry(&p, "launch")["action"], "published");
    c.write("posts/launch.md", &launch);
    let (_, p) = c.plan(EARLY, &[]);
    let e = entry(&p, "launch");
    assert_eq!(e["action"], "update");
    assert_eq!(e["comments_enabled"], true, "{e:#}");
    assert_eq!(e["reason"], "comments: off → on");
    c.update("comments on on launch", |s| {
        s.get_mut("launch", "kiln").unwrap().comments_enabled = Some(true);
    });
    steady(&c, "behind");

    // 6. A renamed file with the same content is the same post.
    fs::rename(
        c.file("posts/behind.md"),
        c.file("posts/behind-the-scenes.md"),
    )
    .unwrap();
    let (code, p) = c.plan(EARLY, &[]);
    assert_eq!(code, 0);
    expect(
        &p,
        &[
            ("behind-the-scenes", "moved"),
            ("reel", "scheduled"),
            ("holiday", "scheduled"),
            ("spring", "scheduled"),
            ("summer", "scheduled"),
            ("drafts/idea", "draft"),
            ("zz-teaser", "published"),
            ("launch", "published"),
        ],
        json!({"draft": 1, "moved": 1, "published": 2, "scheduled": 4}),
    );
    let e = entry(&p, "behind-the-scenes");
    assert_eq!(e["moved_from"], "behind", "{e:#}");
    assert_eq!(e["file"], "posts/behind-the-scenes.md");
    assert_eq!(e["permalink"], permalink("behind"));
    assert_eq!(e["media_id"], media_id("behind"));
    assert!(
        e["reason"].as_str().unwrap().contains("posts/behind.md"),
        "{e:#}"
    );
    assert_eq!(c.exit_code(EARLY, &["--detailed-exitcode"]), 2);
    // Apply re-keys the record.
    c.update("moved behind → behind-the-scenes", |s| {
        let mut old = s.remove("behind", "kiln").unwrap();
        old.file = "posts/behind-the-scenes.md".into();
        s.insert("behind-the-scenes", old);
    });
    steady(&c, "behind-the-scenes");

    // 7. A deleted file: the live post stays unless --prune.
    let teaser = c.read("posts/zz-teaser.md");
    fs::remove_file(c.file("posts/zz-teaser.md")).unwrap();
    let (code, p) = c.plan(EARLY, &[]);
    assert_eq!(code, 0);
    expect(
        &p,
        &[
            ("zz-teaser", "removed"),
            ("reel", "scheduled"),
            ("holiday", "scheduled"),
            ("spring", "scheduled"),
            ("summer", "scheduled"),
            ("drafts/idea", "draft"),
            ("behind-the-scenes", "published"),
            ("launch", "published"),
        ],
        json!({"draft": 1, "published": 2, "removed": 1, "scheduled": 4}),
    );
    let e = entry(&p, "zz-teaser");
    assert_eq!(e["file"], "posts/zz-teaser.md");
    assert_eq!(e["permalink"], permalink("zz-teaser"));
    assert_eq!(e["media_id"], media_id("zz-teaser"));
    assert_eq!(
        e["reason"],
        "posts/zz-teaser.md was deleted; the Instagram post stays (apply --prune would delete it)"
    );
    assert_eq!(c.exit_code(EARLY, &["--detailed-exitcode"]), 0);
    assert_eq!(
        c.exit_code(EARLY, &["--prune", "--detailed-exitcode"]),
        2,
        "--prune makes a removed post work for apply"
    );
    let (_, p) = c.plan(EARLY, &["--prune"]);
    assert_eq!(
        entry(&p, "zz-teaser")["reason"],
        "posts/zz-teaser.md was deleted; the Instagram post stays until apply --prune deletes it"
    );
    c.write("posts/zz-teaser.md", &teaser);
    steady(&c, "behind-the-scenes");

    // 8. An apply stopped around media_publish: resume comes first.
    let (_, p) = c.plan(EARLY, &[]);
    let mut reel = recorded(entry(&p, "reel"), Status::Publishing);
    reel.container_id = Some("17900000000000042".into());
    reel.journaled_at = Some("2026-12-05T17:00:02Z".parse().unwrap());
    c.update("publishing reel", |s| {
        s.insert("reel", reel);
    });
    let (code, p) = c.plan(EARLY, &[]);
    assert_eq!(code, 0);
    expect(
        &p,
        &[
            ("reel", "resume"),
            ("holiday", "scheduled"),
            ("spring", "scheduled"),
            ("summer", "scheduled"),
            ("drafts/idea", "draft"),
            ("zz-teaser", "published"),
            ("behind-the-scenes", "published"),
            ("launch", "published"),
        ],
        json!({"draft": 1, "published": 3, "resume": 1, "scheduled": 3}),
    );
    assert_eq!(c.exit_code(EARLY, &["--detailed-exitcode"]), 2);

    // 9. A failed attempt is retried, and the plan says what went wrong.
    let (_, p) = c.plan(SPRING, &[]);
    let mut spring = recorded(entry(&p, "spring"), Status::Failed);
    spring.last_error = Some(SPRING_ERROR.into());
    let mut summer = recorded(entry(&p, "summer"), Status::Failed);
    summer.last_error = Some("the token expired".into());
    c.update("spring and summer failed", |s| {
        s.insert("spring", spring);
        s.insert("summer", summer);
    });
    let (code, p) = c.plan(SPRING, &[]);
    assert_eq!(code, 0);
    expect(
        &p,
        &[
            ("reel", "resume"),
            ("holiday", "publish"),
            ("spring", "publish"),
            ("summer", "scheduled"),
            ("drafts/idea", "draft"),
            ("zz-teaser", "published"),
            ("behind-the-scenes", "published"),
            ("launch", "published"),
        ],
        json!({"draft": 1, "publish": 2, "published": 3, "resume": 1, "scheduled": 1}),
    );
    assert_eq!(
        entry(&p, "spring")["reason"],
        format!("due since 1 day 4 h ago; the last attempt failed: {SPRING_ERROR}")
    );
    let summer_reason = entry(&p, "summer")["reason"].as_str().unwrap().to_string();
    assert!(
        summer_reason.ends_with("from now; the last attempt failed: the token expired"),
        "{summer_reason}"
    );
    assert!(!entry(&p, "holiday")["reason"]
        .as_str()
        .unwrap()
        .contains("failed"));
    assert_eq!(c.exit_code(SPRING, &["--detailed-exitcode"]), 2);

    // 10. Invalid files: exit 1, whatever the state says about them.
    c.edit(
        "posts/launch.md",
        "first_comment:",
        "captoin: oops\nfirst_comment:",
    );
    c.edit(
        "posts/drafts/idea.md",
        "publish_at: 2026-11-01 09:00",
        "publish_at: next tuesday",
    );
    let (code, p) = c.plan(EARLY, &[]);
    assert_eq!(code, 1);
    expect(
        &p,
        &[
            ("reel", "resume"),
            ("drafts/idea", "invalid"),
            ("launch", "invalid"),
            ("holiday", "scheduled"),
            ("spring", "scheduled"),
            ("summer", "scheduled"),
            ("zz-teaser", "published"),
            ("behind-the-scenes", "published"),
        ],
        json!({"invalid": 2, "published": 2, "resume": 1, "scheduled": 3}),
    );
    let e = entry(&p, "launch");
    assert_eq!(e["problems"][0]["rule"], "unknown-field", "{e:#}");
    assert_eq!(e["problems"][0]["file"], "posts/launch.md");
    assert_eq!(e["account"], "kiln");
    assert_eq!(e["permalink"], permalink("launch"));
    assert!(
        e["reason"].as_str().unwrap().contains("already published"),
        "{e:#}"
    );
    assert!(e.get("content_hash").is_none());
    let e = entry(&p, "drafts/idea");
    assert_eq!(e["problems"][0]["rule"], "publish-at-invalid", "{e:#}");
    assert_eq!(e["permalink"], Value::Null);
    assert_eq!(c.exit_code(EARLY, &["--detailed-exitcode"]), 1);
    assert_eq!(c.exit_code(EARLY, &["--prune", "--detailed-exitcode"]), 1);
    c.write(
        "posts/drafts/idea.md",
        &fs::read_to_string(fixtures().join("lifecycle/posts/drafts/idea.md")).unwrap(),
    );

    // A published post whose file no longer parses at all is still that
    // post: invalid, not removed (and not a candidate for a move).
    c.write(
        "posts/launch.md",
        "---\npublish_at: [2026-11-20 09:00\nmedia: [../media/portrait.jpg]\n---\nMeet the Harbour mug. ☕\n",
    );
    let (code, p) = c.plan(EARLY, &[]);
    assert_eq!(code, 1);
    expect(
        &p,
        &[
            ("reel", "resume"),
            ("launch", "invalid"),
            ("holiday", "scheduled"),
            ("spring", "scheduled"),
            ("summer", "scheduled"),
            ("drafts/idea", "draft"),
            ("zz-teaser", "published"),
            ("behind-the-scenes", "published"),
        ],
        json!({"draft": 1, "invalid": 1, "published": 2, "resume": 1, "scheduled": 3}),
    );
    let e = entry(&p, "launch");
    assert_eq!(e["problems"][0]["rule"], "yaml-syntax", "{e:#}");
    assert_eq!(e["permalink"], permalink("launch"));
    assert!(
        e["reason"].as_str().unwrap().contains("already published"),
        "{e:#}"
    );
    assert_eq!(c.exit_code(EARLY, &["--prune", "--detailed-exitcode"]), 1);

    // A file renamed while its publish was in flight: resumed under the new
    // id (the state re-keyed), never planned as a second publish.
    let reel = c.read("posts/reel.md");
    fs::remove_file(c.file("posts/reel.md")).unwrap();
    c.write("posts/reel-renamed.md", &reel);
    let (_, p) = c.plan(EARLY, &[]);
    let e = entry(&p, "reel-renamed");
    assert_eq!(e["action"], "resume", "{e:#}");
    assert_eq!(e["moved_from"], "reel", "{e:#}");
    assert!(
        p["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"] != "reel"),
        "{p:#}"
    );
}

#[test]
fn lifecycle_with_the_file_backend() {
    lifecycle(Backend::File);
}

#[test]
fn lifecycle_with_the_git_backend() {
    lifecycle(Backend::Git);
}

/// One state of each kind, at SNAPSHOT_AT: a resume, a retried failure, a
/// comments update, a move, a deleted file, an edit after publishing, a copy
/// of a published post, an invalid file, a scheduled post, a draft and an
/// unchanged published post.
pub(crate) fn mid_life(backend: Backend) -> Content {
    let c = Content::new(backend);
    c.write(
        "posts/broken.md",
        "---\ncaptoin: typo\npublish_at: 2027-02-30 09:00\nmedia: [../media/square.jpg]\n---\nBroken on purpose.\n",
    );
    // A copy of the published holiday post under a new name (its record is
    // as older postwrights wrote it, with no media hash).
    c.write("posts/holiday-copy.yaml", &c.read("posts/holiday.yaml"));
    // A file from an archive, years past its time.
    c.write(
        "posts/archive.md",
        "---\npublish_at: 2024-03-03 09:00\nmedia: [../media/landscape.jpg]\n---\nOur very first kiln, from the archive.\n",
    );
    let (_, p) = c.plan(SNAPSHOT_AT, &[]);
    let mut s = State::default();

    let mut teaser = published(entry(&p, "zz-teaser"));
    teaser.comments_enabled = Some(false);
    s.insert("zz-teaser", teaser);

    let mut behind = published(entry(&p, "behind"));
    behind.file = "posts/behind-old.md".into();
    behind.media_id = Some(media_id("behind-old"));
    behind.permalink = Some(permalink("behind-old"));
    s.insert("behind-old", behind);

    let mut launch = published(entry(&p, "launch"));
    launch.content_hash = format!("sha256:{}", "0".repeat(64));
    launch.first_comment_id = Some("17800000000000001".into());
    s.insert("launch", launch);

    let mut holiday = published(entry(&p, "holiday"));
    holiday.comments_enabled = Some(false);
    s.insert("holiday", holiday);

    let mut retired = Record::new(
        Status::Published,
        "posts/retired.md",
        "kiln",
        PostType::Image,
        &format!("sha256:{}", "1".repeat(64)),
    );
    retired.media_id = Some(media_id("retired"));
    retired.permalink = Some(permalink("retired"));
    retired.published_at = Some("2026-10-01T07:30:00Z".parse().unwrap());
    s.insert("retired", retired);

    let mut reel = recorded(entry(&p, "reel"), Status::Publishing);
    reel.container_id = Some("17900000000000042".into());
    reel.journaled_at = Some("2026-12-05T17:00:02Z".parse().unwrap());
    s.insert("reel", reel);

    let mut spring = recorded(entry(&p, "spring"), Status::Failed);
    spring.last_error = Some(SPRING_ERROR.into());
    s.insert("spring", spring);

    c.save(&s, "mid-life");
    c
}

fn mid_life_outputs(c: &Content) -> [String; 3] {
    ["human", "json", "markdown"].map(|format| {
        let run = c.run(&["plan", "--at", SNAPSHOT_AT, "--format", format]);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{format}");
        let tmp = c.path().to_string_lossy();
        assert!(!run.stdout.contains(tmp.as_ref()), "{}", run.stdout);
        run.stdout
    })
}

#[test]
fn mid_life_plan_has_one_of_each_action() {
    let c = mid_life(Backend::File);
    let (code, p) = c.plan(SNAPSHOT_AT, &[]);
    assert_eq!(code, 1);
    expect(
        &p,
        &[
            ("reel", "resume"),
            ("spring", "publish"),
            ("zz-teaser", "update"),
            ("behind", "moved"),
            ("retired", "removed"),
            ("launch", "changed"),
            ("holiday-copy", "duplicate"),
            ("archive", "overdue"),
            ("broken", "invalid"),
            ("summer", "scheduled"),
            ("drafts/idea", "draft"),
            ("holiday", "published"),
        ],
        json!({
            "changed": 1, "draft": 1, "duplicate": 1, "invalid": 1, "moved": 1, "overdue": 1,
            "publish": 1, "published": 1, "removed": 1, "resume": 1, "scheduled": 1, "update": 1
        }),
    );
    assert_eq!(entry(&p, "zz-teaser")["comments_enabled"], true);
    assert_eq!(entry(&p, "behind")["moved_from"], "behind-old");
    assert_eq!(entry(&p, "behind")["permalink"], permalink("behind-old"));
    assert_eq!(entry(&p, "broken")["problems"].as_array().unwrap().len(), 2);
    let copy = entry(&p, "holiday-copy");
    assert_eq!(copy["duplicate_of"], "holiday");
    assert_eq!(copy["permalink"], Value::Null, "the copy is not live");
}

#[test]
fn mid_life_outputs_are_pinned() {
    let c = mid_life(Backend::File);
    let [human, json, markdown] = mid_life_outputs(&c);
    insta::assert_snapshot!("mid_life_human", human);
    insta::assert_snapshot!("mid_life_json", json);
    insta::assert_snapshot!("mid_life_markdown", markdown);
}

#[test]
fn mid_life_outputs_do_not_depend_on_the_backend() {
    let file = mid_life_outputs(&mid_life(Backend::File));
    let git = mid_life_outputs(&mid_life(Backend::Git));
    for (f, g) in file.iter().zip(&git) {
        assert_eq!(f, g);
    }
}

#[test]
fn markdown_stays_under_the_comment_limit_with_3000_posts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("postwright.toml"),
        "timezone = \"Europe/Berlin\"\n[accounts.kiln]\nuser_id = \"17841400000000001\"\n",
    )
    .unwrap();
    fs::create_dir(root.join("posts")).unwrap();
    for i in 0..3000 {
        let (when, draft) = match i % 10 {
            0 => ("2027-05-01 09:00", "draft: true\n"),
            1..=4 => ("2026-12-01 09:00", ""),
            _ => ("2027-02-01 09:00", ""),
        };
        fs::write(
            root.join(format!("posts/post-{i:04}.md")),
            format!(
                "---\npublish_at: {when}\n{draft}media: [https://cdn.example.com/feed/post-{i:04}.jpg]\n---\n\
                 Post number {i} of a very long calendar, with a caption long enough to be cut short in the table preview.\n"
            ),
        )
        .unwrap();
    }
    let run = |format: &str| {
        let out = postwright(root)
            .args(["plan", "--at", EARLY, "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}");
        String::from_utf8(out.stdout).unwrap()
    };
    let plan: Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(
        plan["summary"],
        json!({"draft": 300, "publish": 1200, "scheduled": 1500})
    );
    let md = run("markdown");
    assert!(
        md.chars().count() < 65_000,
        "{} characters",
        md.chars().count()
    );
    assert!(md.len() < 65_000, "{} bytes", md.len());
    assert!(
        md.contains("**Plan: 1200 to publish, 1500 scheduled, 300 draft.**"),
        "{}",
        &md[..300]
    );

    let mut shown: std::collections::BTreeMap<String, u64> = Default::default();
    for line in md.lines().filter(|l| l.starts_with("| ")) {
        let action = line.split_whitespace().nth(2).unwrap();
        if action != "|" {
            *shown.entry(action.to_string()).or_default() += 1;
        }
    }
    let rows: u64 = shown.values().sum();
    assert!(rows > 100, "only {rows} rows shown");
    let note = md
        .lines()
        .find(|l| l.contains("more posts not shown"))
        .unwrap_or_else(|| panic!("no \"more posts not shown\" line"));
    let rest = note.strip_prefix("… and ").expect(note);
    let (n, rest) = rest.split_once(" more posts not shown (").expect(note);
    let not_shown: u64 = n.parse().expect(note);
    assert_eq!(rows + not_shown, 3000, "{note}");
    let list = rest.split_once(')').expect(note).0;
    let mut sum = 0;
    for part in list.split(", ") {
        let (count, action) = part.split_once(' ').expect(note);
        let count: u64 = count.parse().expect(note);
        sum += count;
        let total = plan["summary"][action].as_u64().expect(note);
        assert_eq!(
            shown.get(action).copied().unwrap_or(0) + count,
            total,
            "{action}: {note}"
        );
    }
    assert_eq!(sum, not_shown, "{note}");
}

#[test]
fn github_format_annotates_and_writes_the_job_summary() {
    let c = mid_life(Backend::File);
    let out_dir = tempfile::tempdir().unwrap();
    let summary = out_dir.path().join("summary.md");
    fs::write(&summary, "## an earlier step\n").unwrap();
    let run = c.run_env(
        &["plan", "--at", SNAPSHOT_AT, "--format", "github"],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let annotations: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 5, "{}", run.stdout);
    assert!(
        annotations[0]
            .starts_with("::error file=posts/broken.md,line=2,col=1,title=unknown-field::"),
        "{}",
        run.stdout
    );
    assert!(
        annotations[1]
            .starts_with("::error file=posts/broken.md,line=3,col=13,title=publish-at-invalid::"),
        "{}",
        run.stdout
    );
    assert!(
        annotations[2].starts_with(
            "::warning file=posts/launch.md,line=1,title=changed::edited after publishing"
        ),
        "{}",
        run.stdout
    );
    assert!(
        annotations[3].starts_with(
            "::warning file=posts/holiday-copy.yaml,line=1,title=duplicate::the same media and caption as `holiday`"
        ),
        "{}",
        run.stdout
    );
    assert!(
        annotations[4].starts_with(
            "::warning file=posts/archive.md,line=1,title=overdue::due since 1097 days ago, more than [schedule] max_overdue_hours (24 h) late"
        ),
        "{}",
        run.stdout
    );
    let human = c.run(&["plan", "--at", SNAPSHOT_AT, "--format", "human"]);
    assert!(run.stdout.ends_with(&human.stdout), "{}", run.stdout);
    let markdown = c.run(&["plan", "--at", SNAPSHOT_AT, "--format", "markdown"]);
    assert_eq!(
        fs::read_to_string(&summary).unwrap(),
        format!("## an earlier step\n{}", markdown.stdout)
    );
}

#[test]
fn out_writes_the_plan_to_a_file() {
    let c = Content::new(Backend::File);
    let out_dir = tempfile::tempdir().unwrap();
    for (format, code) in [("json", 0), ("markdown", 0), ("human", 0)] {
        let file = out_dir.path().join(format!("plan.{format}"));
        let expected = c.run(&["plan", "--at", EARLY, "--format", format]);
        let run = c.run(&[
            "plan",
            "--at",
            EARLY,
            "--format",
            format,
            "--out",
            file.to_str().unwrap(),
        ]);
        assert_eq!(run.code, code, "{format}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{format}");
        assert_eq!(fs::read_to_string(&file).unwrap(), expected.stdout);
        assert!(
            run.stderr
                .contains("Plan: 3 to publish, 4 scheduled, 1 draft."),
            "{}",
            run.stderr
        );
    }
    // Exit codes are those of the plan, wherever it is written.
    let file = out_dir.path().join("pending.json");
    let run = c.run(&[
        "plan",
        "--at",
        EARLY,
        "--detailed-exitcode",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    let c = mid_life(Backend::File);
    let file = out_dir.path().join("invalid.json");
    let run = c.run(&[
        "plan",
        "--at",
        SNAPSHOT_AT,
        "--format",
        "json",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    let plan: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(plan["summary"]["invalid"], 1);
}

#[test]
fn status_after_the_lifecycle() {
    for backend in [Backend::File, Backend::Git] {
        let c = mid_life(backend);
        let run = c.run(&["status", "--format", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let s: Value = serde_json::from_str(&run.stdout).unwrap();
        let ids = |key: &str| -> Vec<String> {
            s[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string())
                .collect()
        };
        // Newest first.
        assert_eq!(
            ids("published"),
            ["holiday", "behind-old", "launch", "zz-teaser", "retired"],
            "{s:#}"
        );
        let holiday = &s["published"][0];
        assert_eq!(holiday["permalink"], permalink("holiday"));
        assert_eq!(holiday["media_id"], media_id("holiday"));
        assert_eq!(holiday["published_at"], "2027-01-10T08:00:00Z");
        assert_eq!(holiday["file"], "posts/holiday.yaml");
        assert_eq!(holiday["type"], "image");
        assert_eq!(
            s["in_progress"],
            json!([{"id": "reel", "file": "posts/reel.md", "account": "kiln",
                    "status": "publishing", "container_id": "17900000000000042"}])
        );
        assert_eq!(
            s["failed"],
            json!([{"id": "spring", "file": "posts/spring.md", "account": "kiln", "error": SPRING_ERROR}])
        );
        // `status` plans at the real now: what is upcoming depends on the
        // date, that spring and summer are (and nothing else) does not.
        assert_eq!(ids("upcoming"), ["spring", "summer"], "{s:#}");
        for u in s["upcoming"].as_array().unwrap() {
            assert!(
                u["action"] == "publish" || u["action"] == "scheduled",
                "{u:#}"
            );
        }

        let run = c.run(&["status"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let text = run.stdout;
        assert!(text.starts_with("Published (5):\n"), "{text}");
        // Columns line up; a line is its words.
        let words = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
        let lines: Vec<String> = text.lines().map(words).collect();
        let has = |line: &str| lines.iter().any(|l| l == line);
        for line in [
            format!("2027-01-10 09:00 CET holiday {}", permalink("holiday")),
            format!("2026-10-01 09:30 CEST retired {}", permalink("retired")),
            "reel posts/reel.md (publishing)".to_string(),
            format!("spring posts/spring.md {SPRING_ERROR}"),
            "2027-06-01 09:00 CEST summer scheduled".to_string(),
        ] {
            assert!(has(&line), "{line}\n{text}");
        }
        assert!(
            text.contains("\nInterrupted, to resume at the next apply (1):\n"),
            "{text}"
        );
        assert!(text.contains("\nFailed last time (1):\n"), "{text}");
        assert!(text.contains("\nNext (2 due or scheduled):\n"), "{text}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("2027-03-01 09:00 CET spring ")),
            "{text}"
        );
        let column = |word: &str| {
            text.lines()
                .find(|l| l.contains(word))
                .and_then(|l| l.find(word))
                .unwrap()
        };
        assert_eq!(column("holiday"), column("retired"), "aligned: {text}");
    }
}

/// A post's problems come in the order of the file, as `validate` lists
/// them, in every output of `plan`; the reason names the first one.
#[test]
fn problems_of_a_post_are_listed_by_position() {
    let c = Content::new(Backend::File);
    c.write(
        "posts/typos.md",
        "---\npublish_at: 2027-02-30 09:00\nmedia: [../media/square.jpg]\ncaptoin: typo\n---\nTwo typos.\n",
    );
    let validate = c.run(&["validate", "--format", "json"]);
    let v: Value = serde_json::from_str(&validate.stdout).unwrap();
    let lines = |problems: &Value| -> Vec<u64> {
        problems
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["line"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(lines(&v["problems"]), [2, 4], "{v:#}");

    let (code, p) = c.plan(EARLY, &[]);
    assert_eq!(code, 1);
    let e = entry(&p, "typos");
    assert_eq!(lines(&e["problems"]), [2, 4], "{e:#}");
    assert_eq!(
        e["reason"],
        "2 errors: `2027-02-30 09:00` is not a date and time postwright can read"
    );
    let run = c.run(&["plan", "--at", EARLY, "--format", "github"]);
    let annotations: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 2, "{}", run.stdout);
    assert!(
        annotations[0].starts_with("::error file=posts/typos.md,line=2,"),
        "{}",
        run.stdout
    );
}

/// The duplicate guard with records as older postwrights wrote them (no
/// media hash: copies are found by content hash): a copy of a published post,
/// two copies of one new post in one plan, and `allow_duplicate: true`.
fn duplicates(backend: Backend) {
    let c = Content::new(backend);
    let (_, p) = c.plan(EARLY, &[]);
    c.update("published the due posts", |s| {
        for id in ["zz-teaser", "behind", "launch"] {
            s.insert(id, published(entry(&p, id)));
        }
    });
    c.write("posts/launch-again.md", &c.read("posts/launch.md"));
    c.write("posts/summer-2.md", &c.read("posts/summer.md"));

    let (code, p) = c.plan(EARLY, &[]);
    assert_eq!(code, 0);
    expect(
        &p,
        &[
            ("launch-again", "duplicate"),
            ("summer-2", "duplicate"),
            ("reel", "scheduled"),
            ("holiday", "scheduled"),
            ("spring", "scheduled"),
            ("summer", "scheduled"),
            ("drafts/idea", "draft"),
            ("zz-teaser", "published"),
            ("behind", "published"),
            ("launch", "published"),
        ],
        json!({"draft": 1, "duplicate": 2, "published": 3, "scheduled": 4}),
    );
    let again = entry(&p, "launch-again");
    assert_eq!(again["duplicate_of"], "launch");
    let reason = again["reason"].as_str().unwrap();
    for needle in [
        "`launch`",
        "posts/launch.md",
        &permalink("launch"),
        "set `allow_duplicate: true`",
    ] {
        assert!(reason.contains(needle), "{needle}: {reason}");
    }
    let second = entry(&p, "summer-2");
    assert_eq!(second["duplicate_of"], "summer");
    assert!(
        second["reason"]
            .as_str()
            .unwrap()
            .contains("as `summer` (posts/summer.md), which comes first in this plan"),
        "{second:#}"
    );
    assert_eq!(c.exit_code(EARLY, &["--detailed-exitcode"]), 0, "no work");

    let human = c.run(&["plan", "--at", EARLY]).stdout;
    assert!(
        human.contains("⧉ duplicate posts/launch-again.md"),
        "{human}"
    );
    assert!(human.contains("2 duplicate"), "{human}");
    assert!(human.contains(reason), "{human}");
    let markdown = c
        .run(&["plan", "--at", EARLY, "--format", "markdown"])
        .stdout;
    assert!(
        markdown
            .lines()
            .any(|l| l.starts_with("| ⧉ duplicate |") && l.contains("`posts/launch-again.md`")),
        "{markdown}"
    );
    let github = c.run(&["plan", "--at", EARLY, "--format", "github"]).stdout;
    for file in ["posts/launch-again.md", "posts/summer-2.md"] {
        assert!(
            github.contains(&format!("::warning file={file},line=1,title=duplicate::")),
            "{github}"
        );
    }

    // Meant: both are planned as usual.
    for file in ["posts/launch-again.md", "posts/summer-2.md"] {
        c.edit(file, "---\n", "---\nallow_duplicate: true\n");
    }
    let (code, p) = c.plan(EARLY, &[]);
    assert_eq!(code, 0);
    assert_eq!(entry(&p, "launch-again")["action"], "publish", "{p:#}");
    assert_eq!(entry(&p, "summer-2")["action"], "scheduled", "{p:#}");
    assert_eq!(p["summary"].get("duplicate"), None);
    assert_eq!(c.exit_code(EARLY, &["--detailed-exitcode"]), 2);
}

#[test]
fn duplicates_with_the_file_backend() {
    duplicates(Backend::File);
}

#[test]
fn duplicates_with_the_git_backend() {
    duplicates(Backend::Git);
}
