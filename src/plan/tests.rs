//! `plan::plan` is a pure function of the posts, the state record and the
//! time: each action from a small repo and a hand-written record.

use super::*;
use crate::config::Config;
use crate::state::{Record, State, Status};
use std::fs;

const JPEG: &[u8] = include_bytes!("../../tests/fixtures/media/square.jpg");
const CONFIG: &str = "timezone = \"Europe/Berlin\"\n\n[accounts.kiln]\nuser_id = \"17841400000000001\"\ntoken_env = \"KILN_TOKEN\"\n";

struct Repo {
    dir: tempfile::TempDir,
    config: Config,
}

impl Repo {
    fn new(posts: &[(&str, &str)]) -> Repo {
        Repo::with_config(posts, CONFIG)
    }

    fn with_config(posts: &[(&str, &str)], config: &str) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("posts")).unwrap();
        fs::create_dir_all(dir.path().join("media")).unwrap();
        fs::write(dir.path().join("media/a.jpg"), JPEG).unwrap();
        for (name, text) in posts {
            fs::write(dir.path().join("posts").join(name), text).unwrap();
        }
        let config = Config::parse(config, "postwright.toml").unwrap();
        Repo { dir, config }
    }

    fn plan(&self, state: &State, at: &str) -> Plan {
        let validation = crate::validate::validate_repo(self.dir.path(), &self.config, None);
        let hosting = Hosting::new(None, None, None, "");
        plan(&Inputs {
            repo: self.dir.path(),
            posts: &validation.posts,
            state,
            at: at.parse().unwrap(),
            hosting: &hosting,
            prune: false,
            tz: &self.config.timezone,
            accounts: &self.config.accounts,
            max_overdue: self.config.schedule.max_overdue(),
        })
    }
}

fn post(when: &str, caption: &str) -> String {
    format!("---\npublish_at: {when}\nmedia: [../media/a.jpg]\n---\n{caption}\n")
}

fn action(plan: &Plan, id: &str) -> Action {
    plan.entries
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("{id} in {:?}", plan.entries))
        .action
}

/// A record as apply leaves it after publishing `entry`.
fn published(entry: &Entry) -> Record {
    let mut r = Record::new(
        Status::Published,
        &entry.file,
        "kiln",
        entry.kind.unwrap(),
        entry.content_hash.as_deref().unwrap(),
    );
    r.media_id = Some("1790000000000001".into());
    r.media_hash = entry.media_hash.clone();
    r.caption_hash = entry.caption_hash.clone();
    r
}

#[test]
fn a_post_more_than_max_overdue_late_waits_unless_it_says_publish_overdue() {
    let repo = Repo::new(&[
        ("old.md", &post("2023-03-03 09:00", "From the archive.")),
        ("late.md", &post("2026-12-01 09:00", "A day late.")),
        (
            "meant.md",
            "---\npublish_at: 2023-03-03 09:00\npublish_overdue: true\nmedia: [../media/a.jpg]\n---\nMeant.\n",
        ),
    ]);
    // 08:00 UTC on 2 December: `late` is 23 h past its time, within the day.
    let p = repo.plan(&State::default(), "2026-12-02T07:59:00Z");
    assert_eq!(action(&p, "old"), Action::Overdue);
    assert_eq!(action(&p, "late"), Action::Publish);
    assert_eq!(action(&p, "meant"), Action::Publish);
    let old = p.entries.iter().find(|e| e.id == "old").unwrap();
    assert!(
        old.reason.starts_with(
            "due since 1369 days ago, more than [schedule] max_overdue_hours (24 h) late"
        ) && old.reason.contains("`publish_overdue: true`"),
        "{}",
        old.reason
    );
    // A minute past the day: `late` waits too; overdue is no work for apply.
    let p = repo.plan(&State::default(), "2026-12-02T08:01:00Z");
    assert_eq!(action(&p, "late"), Action::Overdue);
    assert_eq!(p.count(Action::Overdue), 2);
    // 0: no limit.
    let repo = Repo::with_config(
        &[("old.md", &post("2023-03-03 09:00", "From the archive."))],
        &format!("{CONFIG}\n[schedule]\nmax_overdue_hours = 0\n"),
    );
    assert_eq!(
        action(&repo.plan(&State::default(), "2026-12-02T00:00:00Z"), "old"),
        Action::Publish
    );
}

#[test]
fn new_posts_are_due_scheduled_or_drafts() {
    let repo = Repo::new(&[
        ("due.md", &post("2026-12-01 09:00", "Due.")),
        ("later.md", &post("2027-06-01 09:00", "Later.")),
        (
            "idea.md",
            "---\ndraft: true\nmedia: [../media/a.jpg]\n---\nSomeday.\n",
        ),
    ]);
    let p = repo.plan(&State::default(), "2026-12-02T00:00:00Z");
    assert_eq!(action(&p, "due"), Action::Publish);
    assert_eq!(action(&p, "later"), Action::Scheduled);
    assert_eq!(action(&p, "idea"), Action::Draft);
    assert!(p.needs_apply());
    // Before its time, the due post is scheduled too: the plan is a
    // function of the time given.
    let early = repo.plan(&State::default(), "2026-11-30T00:00:00Z");
    assert_eq!(action(&early, "due"), Action::Scheduled);
    assert!(!early.needs_apply());
}

#[test]
fn a_record_decides_published_changed_moved_resume_and_removed() {
    let repo = Repo::new(&[("a.md", &post("2026-12-01 09:00", "Hello."))]);
    let first = repo.plan(&State::default(), "2026-12-02T00:00:00Z");
    let entry = first.entries.iter().find(|e| e.id == "a").unwrap().clone();
    let mut state = State::default();
    state.insert("a", published(&entry));
    let p = repo.plan(&state, "2026-12-02T00:00:00Z");
    assert_eq!(action(&p, "a"), Action::Published);
    assert!(!p.needs_apply());

    // Edited after publishing: changed, never published again.
    fs::write(
        repo.dir.path().join("posts/a.md"),
        post("2026-12-01 09:00", "Hello, edited."),
    )
    .unwrap();
    assert_eq!(
        action(&repo.plan(&state, "2026-12-02T00:00:00Z"), "a"),
        Action::Changed
    );

    // Renamed, same content: moved (the state is re-keyed).
    fs::remove_file(repo.dir.path().join("posts/a.md")).unwrap();
    fs::write(
        repo.dir.path().join("posts/b.md"),
        post("2026-12-01 09:00", "Hello."),
    )
    .unwrap();
    let p = repo.plan(&state, "2026-12-02T00:00:00Z");
    assert_eq!(action(&p, "b"), Action::Moved);
    assert_eq!(
        p.entries
            .iter()
            .find(|e| e.id == "b")
            .unwrap()
            .moved_from
            .as_deref(),
        Some("a")
    );

    // Its file gone: removed (deleted on Instagram only with --prune).
    fs::remove_file(repo.dir.path().join("posts/b.md")).unwrap();
    let p = repo.plan(&state, "2026-12-02T00:00:00Z");
    assert_eq!(action(&p, "a"), Action::Removed);
    assert!(!p.needs_apply(), "without --prune");

    // An apply that stopped mid-publish: resume, first in the plan.
    fs::write(
        repo.dir.path().join("posts/a.md"),
        post("2026-12-01 09:00", "Hello."),
    )
    .unwrap();
    let mut half = published(&entry);
    half.status = Status::Publishing;
    half.media_id = None;
    half.container_id = Some("17900000000000099".into());
    state.insert("a", half);
    let p = repo.plan(&state, "2026-12-02T00:00:00Z");
    assert_eq!(p.entries[0].id, "a");
    assert_eq!(p.entries[0].action, Action::Resume);
}

#[test]
fn a_copy_of_a_published_post_is_a_duplicate() {
    let repo = Repo::new(&[
        ("a.md", &post("2026-12-01 09:00", "Hello.")),
        ("a-copy.md", &post("2026-12-03 09:00", "Hello.")),
    ]);
    let first = repo.plan(&State::default(), "2026-12-02T00:00:00Z");
    // Two new copies in one plan: the earlier goes out, the other waits.
    assert_eq!(action(&first, "a"), Action::Publish);
    let entry = first.entries.iter().find(|e| e.id == "a").unwrap().clone();
    let mut state = State::default();
    state.insert("a", published(&entry));
    let p = repo.plan(&state, "2026-12-04T00:00:00Z");
    assert_eq!(action(&p, "a-copy"), Action::Duplicate);
    let e = p.entries.iter().find(|e| e.id == "a-copy").unwrap();
    assert_eq!(e.duplicate_of.as_deref(), Some("a"));
}

#[test]
fn of_two_renamed_copies_the_first_file_takes_the_record_on_every_core() {
    // Enough posts for the judgement to run on several threads, the two
    // copies judged on different ones.
    let fillers: Vec<(String, String)> = (0..70)
        .map(|i| {
            (
                format!("m-{i:02}.md"),
                post("2026-12-01 09:00", &format!("Post {i}.")),
            )
        })
        .collect();
    let mut files: Vec<(&str, &str)> = fillers
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let original = post("2026-12-01 09:00", "Hello.");
    files.push(("a.md", &original));
    let repo = Repo::new(&files);
    let first = repo.plan(&State::default(), "2026-12-02T00:00:00Z");
    let entry = first.entries.iter().find(|e| e.id == "a").unwrap().clone();
    let mut state = State::default();
    state.insert("a", published(&entry));
    fs::remove_file(repo.dir.path().join("posts/a.md")).unwrap();
    fs::write(repo.dir.path().join("posts/b.md"), &original).unwrap();
    fs::write(repo.dir.path().join("posts/z.md"), &original).unwrap();
    for _ in 0..5 {
        let p = repo.plan(&state, "2026-12-02T00:00:00Z");
        assert_eq!(action(&p, "b"), Action::Moved);
        let z = p.entries.iter().find(|e| e.id == "z").unwrap();
        assert_eq!(
            (z.action, z.duplicate_of.as_deref()),
            (Action::Duplicate, Some("b"))
        );
        assert!(
            p.entries.iter().all(|e| e.id != "a"),
            "the record is b's now"
        );
    }
}

#[test]
fn an_overdue_copy_of_a_published_post_is_a_duplicate_first() {
    let repo = Repo::new(&[
        ("a.md", &post("2026-12-01 09:00", "Hello.")),
        ("a-copy.md", &post("2023-03-03 09:00", "Hello.")),
    ]);
    // `publish_overdue: true` would not make it go out: the stronger
    // reason is said, in one plan and once the original is live.
    let first = repo.plan(&State::default(), "2026-12-02T00:00:00Z");
    assert_eq!(action(&first, "a"), Action::Publish);
    assert_eq!(action(&first, "a-copy"), Action::Duplicate);
    let entry = first.entries.iter().find(|e| e.id == "a").unwrap().clone();
    let mut state = State::default();
    state.insert("a", published(&entry));
    let p = repo.plan(&state, "2026-12-02T00:00:00Z");
    assert_eq!(action(&p, "a-copy"), Action::Duplicate);
}

const TWO_PLATFORMS: &str = "timezone = \"Europe/Berlin\"\n\n[accounts.kiln]\nuser_id = \"17841400000000001\"\n\n[accounts.kiln-threads]\nplatform = \"threads\"\nuser_id = \"27000000000000001\"\n";

fn target<'p>(plan: &'p Plan, id: &str, account: &str) -> &'p Entry {
    plan.entries
        .iter()
        .find(|e| e.id == id && e.account.as_deref() == Some(account))
        .unwrap_or_else(|| panic!("{id} → {account} in {:#?}", plan.entries))
}

#[test]
fn a_post_to_two_platforms_is_two_targets_judged_apart() {
    let long = "word ".repeat(120);
    let repo = Repo::with_config(
        &[
            (
                "both.md",
                "---\npublish_at: 2026-12-01 09:00\naccounts: [kiln, kiln-threads]\nmedia: [../media/a.jpg]\n---\nHello.\n",
            ),
            (
                "long.md",
                &format!("---\npublish_at: 2026-12-01 09:00\naccounts: [kiln, kiln-threads]\nmedia: [../media/a.jpg]\n---\n{long}\n"),
            ),
        ],
        TWO_PLATFORMS,
    );
    let at = "2026-12-02T00:00:00Z";
    let p = repo.plan(&State::default(), at);
    assert_eq!(p.entries.len(), 4, "{:#?}", p.entries);
    let ig = target(&p, "both", "kiln");
    let th = target(&p, "both", "kiln-threads");
    assert_eq!((ig.action, th.action), (Action::Publish, Action::Publish));
    assert_eq!(
        ig.platform,
        Some(crate::platform::Platform::named("instagram").unwrap())
    );
    assert_eq!(
        th.platform,
        Some(crate::platform::Platform::named("threads").unwrap())
    );
    assert_ne!(ig.content_hash, th.content_hash, "each target its own hash");
    // 600 characters: fine for Instagram, too long for Threads only.
    assert_eq!(target(&p, "long", "kiln").action, Action::Publish);
    let bad = target(&p, "long", "kiln-threads");
    assert_eq!(bad.action, Action::Invalid);
    assert!(
        bad.problems
            .iter()
            .all(|p| p.message.starts_with("for Threads:")),
        "{:#?}",
        bad.problems
    );
    assert!(target(&p, "long", "kiln").problems.is_empty());

    // Instagram published: only Threads is left to publish.
    let mut state = State::default();
    state.insert("both", published(ig));
    let p = repo.plan(&state, at);
    assert_eq!(target(&p, "both", "kiln").action, Action::Published);
    assert_eq!(target(&p, "both", "kiln-threads").action, Action::Publish);

    // Dropping an account from `accounts` leaves its live post, removed.
    fs::write(
        repo.dir.path().join("posts/both.md"),
        "---\npublish_at: 2026-12-01 09:00\naccounts: [kiln-threads]\nmedia: [../media/a.jpg]\n---\nHello.\n",
    )
    .unwrap();
    let p = repo.plan(&state, at);
    let gone = target(&p, "both", "kiln");
    assert_eq!(gone.action, Action::Removed);
    assert!(
        gone.reason.contains("no longer lists account `kiln`"),
        "{}",
        gone.reason
    );
    assert!(
        gone.reason.contains("the Instagram post stays"),
        "{}",
        gone.reason
    );

    // A typo in `accounts`: nothing of the post reads as removed.
    fs::write(
        repo.dir.path().join("posts/both.md"),
        "---\npublish_at: 2026-12-01 09:00\naccounts: [kiln, kiln-thread]\nmedia: [../media/a.jpg]\n---\nHello.\n",
    )
    .unwrap();
    let p = repo.plan(&state, at);
    assert!(
        p.entries.iter().all(|e| e.action != Action::Removed),
        "{:#?}",
        p.entries
    );
    assert_eq!(action(&p, "both"), Action::Invalid);
}

#[test]
fn threads_versions_ignore_what_threads_is_not_sent() {
    let text = |extra: &str| {
        format!("---\npublish_at: 2026-12-01 09:00\naccount: kiln-threads\n{extra}---\nKiln day.\n")
    };
    let at = "2026-12-02T00:00:00Z";
    let hash = |extra: &str| {
        let repo = Repo::with_config(&[("t.md", &text(extra))], TWO_PLATFORMS);
        let p = repo.plan(&State::default(), at);
        let e = target(&p, "t", "kiln-threads").clone();
        assert_eq!(e.kind, Some(crate::content::PostType::Text), "{e:#?}");
        e.content_hash
    };
    let plain = hash("");
    assert_eq!(
        plain,
        hash("location_id: \"110123456789\"\n"),
        "not sent to Threads"
    );
    assert_ne!(
        plain,
        hash("threads:\n  reply_control: mentioned_only\n"),
        "sent to Threads"
    );
}

// A reel kept in Git LFS plans the same with its bytes in the work tree,
// with only the pointer (a pull request's checkout without LFS objects),
// and with the pointer and its object in the local store: one content
// hash and one media hash, so apply never takes it for an edited post.
#[test]
fn an_lfs_reel_hashes_the_same_with_or_without_its_object() {
    use sha2::{Digest, Sha256};
    let reel: &[u8] = include_bytes!("../../tests/fixtures/media/reel.mp4");
    let oid = crate::hex::hex(&Sha256::digest(reel));
    let pointer = format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {}\n",
        reel.len()
    );
    let repo = Repo::new(&[(
        "reel.md",
        "---\npublish_at: 2026-12-01 09:00\nmedia: [../media/reel.mp4]\n---\nGlaze.\n",
    )]);
    git2::Repository::init(repo.dir.path()).unwrap();
    let at = "2026-12-02T00:00:00Z";
    let plan_with = |bytes: &[u8]| {
        fs::write(repo.dir.path().join("media/reel.mp4"), bytes).unwrap();
        let plan = repo.plan(&State::default(), at);
        let e = plan.entries.into_iter().find(|e| e.id == "reel").unwrap();
        assert_eq!(e.action, Action::Publish, "{:?}", e.problems);
        assert_eq!(e.kind, Some(crate::content::PostType::Reel));
        e
    };
    let content = plan_with(reel);
    let absent = plan_with(pointer.as_bytes());
    let object = repo
        .dir
        .path()
        .join(".git/lfs/objects")
        .join(&oid[..2])
        .join(&oid[2..4])
        .join(&oid);
    fs::create_dir_all(object.parent().unwrap()).unwrap();
    fs::write(&object, reel).unwrap();
    let present = plan_with(pointer.as_bytes());
    for e in [&absent, &present] {
        assert_eq!(e.content_hash, content.content_hash);
        assert_eq!(e.media_hash, content.media_hash);
    }
    assert!(content.content_hash.is_some());
    let rules = |e: &Entry| e.problems.iter().map(|p| p.rule.id()).collect::<Vec<_>>();
    assert_eq!(rules(&absent), ["lfs-object-missing"]);
    assert!(rules(&present).is_empty(), "{:?}", present.problems);
    assert!(rules(&content).is_empty());
    // Another object under the same name is another post.
    let other = pointer.replace(&oid, &"0".repeat(64));
    assert_ne!(
        plan_with(other.as_bytes()).content_hash,
        content.content_hash
    );
}

const MASTO: &str = "timezone = \"UTC\"\n\n[accounts.kiln]\nplatform = \"mastodon\"\ninstance = \"https://m.example\"\nschedule = \"native\"\n";

fn text_post(when: &str, caption: &str) -> String {
    format!("---\npublish_at: {when}\n---\n{caption}\n")
}

/// A record of a post the platform holds for `at`.
fn held(entry: &Entry, at: &str) -> Record {
    let mut r = Record::new(
        Status::ScheduledOnPlatform,
        &entry.file,
        "kiln",
        entry.kind.unwrap(),
        entry.content_hash.as_deref().unwrap(),
    );
    r.scheduled_id = Some("s1".into());
    r.scheduled_at = Some(at.parse().unwrap());
    r
}

#[test]
fn native_accounts_hand_over_far_enough_ahead_within_what_the_platform_holds() {
    let repo = Repo::with_config(
        &[
            ("soon.md", &text_post("2026-12-01 09:09", "Soon.")),
            ("later.md", &text_post("2026-12-01 09:11", "Later.")),
        ],
        MASTO,
    );
    // 10 minutes (Mastodon's 5 plus the margin): 09:09 stays with the runs.
    let p = repo.plan(&State::default(), "2026-12-01T09:00:00Z");
    assert_eq!(action(&p, "soon"), Action::Scheduled);
    assert_eq!(action(&p, "later"), Action::Native);
    let later = p.entries.iter().find(|e| e.id == "later").unwrap();
    assert_eq!(
        later.native,
        Some(NativeStep::Schedule {
            at: "2026-12-01T09:11:00Z".parse().unwrap()
        })
    );

    // 300 held already (on other days): nothing more is handed over.
    let mut state = State::default();
    for i in 0..300 {
        let mut r = held(later, "2026-11-01T00:00:00Z");
        // Other posts: not this one renamed.
        r.content_hash = format!("sha256:other-{i}");
        r.scheduled_at = Some(
            "2027-01-01T00:00:00Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
                .checked_add(jiff::SignedDuration::from_hours(24 * (i / 20)))
                .unwrap(),
        );
        state.insert(&format!("other-{i}"), r);
    }
    let p = repo.plan(&state, "2026-12-01T09:00:00Z");
    let later = p.entries.iter().find(|e| e.id == "later").unwrap();
    assert_eq!(later.action, Action::Scheduled);
    assert!(
        later
            .reason
            .contains("Mastodon holds at most 300 posts at once"),
        "{}",
        later.reason
    );
}

#[test]
fn a_held_post_is_checked_moved_or_cancelled_as_its_file_says() {
    let repo = Repo::with_config(&[("a.md", &text_post("2026-12-01 12:00", "A."))], MASTO);
    let fresh = repo.plan(&State::default(), "2026-12-01T09:00:00Z");
    let entry = fresh.entries[0].clone();
    let mut state = State::default();
    state.insert("a", held(&entry, "2026-12-01T12:00:00Z"));
    let step = |p: &Plan| p.entries[0].native.clone();

    let p = repo.plan(&state, "2026-12-01T09:00:00Z");
    assert_eq!(action(&p, "a"), Action::OnPlatform);
    // Its time passed: apply asks what became of it.
    let p = repo.plan(&state, "2026-12-01T12:01:00Z");
    assert_eq!(step(&p), Some(NativeStep::Check));
    // The hand-over's answer was lost: looked for first.
    let mut lost = state.clone();
    lost.get_mut("a", "kiln").unwrap().scheduled_id = None;
    let p = repo.plan(&lost, "2026-12-01T09:00:00Z");
    assert_eq!(step(&p), Some(NativeStep::Check));

    // A new time: moved.
    fs::write(
        repo.dir.path().join("posts/a.md"),
        text_post("2026-12-01 13:00", "A."),
    )
    .unwrap();
    let p = repo.plan(&state, "2026-12-01T09:00:00Z");
    assert!(matches!(step(&p), Some(NativeStep::Move { .. })), "{p:?}");
    // A new time now due: cancelled, and published now.
    let p = repo.plan(&state, "2026-12-01T13:30:00Z");
    assert_eq!(step(&p), Some(NativeStep::Check), "its time came first");
    fs::write(
        repo.dir.path().join("posts/a.md"),
        text_post("2026-12-01 08:00", "A."),
    )
    .unwrap();
    let p = repo.plan(&state, "2026-12-01T09:00:00Z");
    assert_eq!(action(&p, "a"), Action::Publish);
    assert!(matches!(
        step(&p),
        Some(NativeStep::Cancel { then: None, .. })
    ));

    // Edited: cancelled and handed over anew.
    fs::write(
        repo.dir.path().join("posts/a.md"),
        text_post("2026-12-01 12:00", "A, edited."),
    )
    .unwrap();
    let p = repo.plan(&state, "2026-12-01T09:00:00Z");
    assert_eq!(
        step(&p),
        Some(NativeStep::Cancel {
            id: Some("s1".into()),
            then: Some("2026-12-01T12:00:00Z".parse().unwrap())
        })
    );

    // The file deleted: cancelled without --prune.
    fs::remove_file(repo.dir.path().join("posts/a.md")).unwrap();
    let p = repo.plan(&state, "2026-12-01T09:00:00Z");
    assert_eq!(action(&p, "a"), Action::Native);
    assert!(matches!(
        step(&p),
        Some(NativeStep::Cancel { then: None, .. })
    ));
    assert!(!p.prune);
}

#[test]
fn sorting_by_indices_gives_the_stable_sort_of_the_entries() {
    let actions = [
        Action::Publish,
        Action::Update,
        Action::Removed,
        Action::Scheduled,
        Action::Invalid,
    ];
    let at = |h: i64| jiff::Timestamp::from_second(1_800_000_000 + h * 3600).unwrap();
    // Repeated keys (same action, time, id and account) in several places:
    // their order must be the order they came in, told apart by `file`.
    let mut entries: Vec<Entry> = (0..600u64)
        .map(|i| {
            let k = i.wrapping_mul(2_654_435_761) % 97;
            let mut e = Entry::new(
                &format!("post-{}", k % 13),
                &format!("posts/{i}.md"),
                actions[(k % 5) as usize],
                String::new(),
            );
            e.account = Some(format!("acct-{}", k % 3));
            e.publish_at = (k % 4 != 0).then(|| at((k % 7) as i64));
            e
        })
        .collect();
    let mut expected = entries.clone();
    expected.sort_by(apply_order);
    sort_in_apply_order(&mut entries);
    let files = |v: &[Entry]| v.iter().map(|e| e.file.clone()).collect::<Vec<_>>();
    assert_eq!(files(&entries), files(&expected));
    // Already in order: left as it is.
    sort_in_apply_order(&mut entries);
    assert_eq!(files(&entries), files(&expected));
}
