//! Apply's decisions against the in-process [`FakePublisher`]: no server,
//! every call logged. The end-to-end tests against the test Graph server
//! (tests/integration) cover the Instagram wire format.

use super::fake::{FakeError, FakePublisher, PublishAnswer};
use super::publish::MAX_NOT_READY_WAITS;
use super::*;
use crate::platform::Quota;
use crate::state::FileStore;

/// A content repo with one image post (media by URL: nothing to host).
struct Site {
    dir: tempfile::TempDir,
    config: Config,
}

const CAPTION: &str = "Meet the Harbour mug.";

fn site() -> Site {
    site_with("")
}

/// The site, with `extra` lines in the post's front matter.
fn site_with(extra: &str) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("postwright.toml"),
        "content = [\"posts\"]\ntimezone = \"UTC\"\n\n[accounts.kiln]\nuser_id = \"17841400000000001\"\ntoken_env = \"KILN_TOKEN\"\n",
    )
    .unwrap();
    std::fs::create_dir(root.join("posts")).unwrap();
    std::fs::write(
        root.join("posts/mug.md"),
        format!("---\npublish_at: {}\nmedia:\n  - https://cdn.example.com/mug.jpg\n{extra}---\n{CAPTION}\n", due().strftime("%Y-%m-%dT%H:%M:%SZ")),
    )
    .unwrap();
    let config = Config::load(&root.join("postwright.toml"), "postwright.toml").unwrap();
    Site { dir, config }
}

/// The post's publish_at: an hour ago, so it is due and not overdue.
fn due() -> Timestamp {
    let now = Timestamp::now().as_second();
    Timestamp::from_second(now - now % 60 - 3600).unwrap()
}

/// Progress lines, kept.
#[derive(Default)]
struct Lines(Vec<String>);

impl Progress for Lines {
    fn line(&mut self, text: &str) {
        self.0.push(text.to_string());
    }
}

/// What one run did.
struct Ran {
    outcomes: Vec<Outcome>,
    state: State,
    lines: Vec<String>,
}

/// Plans the site against `state` and runs the account through `fake`.
async fn run(site: &Site, state: State, fake: &FakePublisher) -> Ran {
    run_blocked(site, state, fake, HashMap::new()).await
}

/// [`run`] with [`Context::blocked`] set.
async fn run_blocked(
    site: &Site,
    state: State,
    fake: &FakePublisher,
    blocked: HashMap<(String, String), String>,
) -> Ran {
    let repo = site.dir.path();
    let validation = crate::validate::validate_repo(repo, &site.config, None);
    let hosting = Hosting::default();
    let plan = crate::plan::plan(&crate::plan::Inputs {
        repo,
        posts: &validation.posts,
        state: &state,
        at: Timestamp::now(),
        hosting: &hosting,
        prune: false,
        tz: &site.config.timezone,
        accounts: &site.config.accounts,
        max_overdue: site.config.schedule.max_overdue(),
    });
    let posts: HashMap<(&str, &str), &ValidPost> = validation
        .posts
        .iter()
        .flat_map(|c| &c.valid)
        .map(|v| ((v.post.id.as_str(), v.account.as_str()), v))
        .collect();
    assert_eq!(posts.len(), 1, "{:?}", validation.posts[0].problems);
    let store = FileStore::new(repo.join("state.json"), "state.json");
    let mut options = Options::from_config(&site.config, Vec::new(), false);
    options.poll_interval = Duration::from_millis(1);
    options.max_wait = Duration::from_secs(5);
    let ctx = Context {
        repo,
        config: &site.config,
        plan: &plan,
        posts,
        hosting: &hosting,
        media_store: None,
        store: &store,
        state: state.clone(),
        options,
        source: None,
        blocked,
    };
    let mut journal = Journal {
        state,
        store: &store,
        flight: Flight::default(),
        owed: None,
    };
    let mut outcomes = Vec::new();
    let mut lines = Lines::default();
    let entries: Vec<&PlanEntry> = plan.entries.iter().collect();
    let mut account = AccountRun {
        ctx: &ctx,
        account: site
            .config
            .accounts
            .keys()
            .next()
            .expect("an account")
            .clone(),
        publisher: fake.clone(),
        journal: &mut journal,
        outcomes: &mut outcomes,
        progress: &mut lines,
        stopped: None,
        recent: HashMap::new(),
        held: None,
        username: None,
    };
    account.run(&entries).await.unwrap();
    Ran {
        outcomes,
        state: journal.state,
        lines: lines.0,
    }
}

fn only(ran: &Ran) -> &Outcome {
    assert_eq!(ran.outcomes.len(), 1, "{:?}", ran.outcomes);
    &ran.outcomes[0]
}

fn record(ran: &Ran) -> &StateEntry {
    ran.state.records().next().expect("a record").1
}

#[tokio::test]
async fn a_due_post_is_built_waited_for_and_published_once() {
    let site = site();
    let fake = FakePublisher::default();
    fake.world().processing = vec![ContainerState::InProgress, ContainerState::InProgress];
    let ran = run(&site, State::default(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Published, "{:?}", ran.lines);
    assert_eq!(fake.count("prepare"), 1);
    assert_eq!(fake.count("publish"), 1);
    let r = record(&ran);
    assert_eq!(r.status, Status::Published);
    assert_eq!(r.media_id.as_deref(), Some("media-2"));
    assert_eq!(r.container_id.as_deref(), Some("c1"));
}

// A post whose Git LFS media could not be fetched fails alone, recorded
// with the reason, before anything reaches the platform.
#[tokio::test]
async fn a_post_whose_media_are_not_ready_fails_before_any_container() {
    let site = site();
    let fake = FakePublisher::default();
    let why = "its Git LFS media could not be fetched: git lfs pull failed";
    let blocked = HashMap::from([(("mug".to_string(), "kiln".to_string()), why.to_string())]);
    let ran = run_blocked(&site, State::default(), &fake, blocked).await;
    assert_eq!(only(&ran).result, Verdict::Failed, "{:?}", ran.lines);
    assert_eq!(only(&ran).message, why);
    assert_eq!(fake.count("prepare"), 0, "{:?}", fake.world().calls);
    assert_eq!(fake.count("publish"), 0);
    let r = record(&ran);
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.last_error.as_deref(), Some(why));
    assert!(
        ran.lines
            .iter()
            .any(|l| l == &format!("✗ posts/mug.md: {why}")),
        "{:?}",
        ran.lines
    );
}

#[tokio::test]
async fn a_lost_publish_answer_is_resolved_by_the_container_never_a_second_publish() {
    let site = site();
    let fake = FakePublisher::default();
    fake.world().publish.push_back(PublishAnswer::Lost);
    let ran = run(&site, State::default(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Published, "{:?}", ran.lines);
    assert_eq!(fake.count("publish"), 1, "{:?}", fake.world().calls);
    assert_eq!(record(&ran).media_id.as_deref(), Some("media-2"));
    assert!(
        only(&ran).message.contains("already live"),
        "{}",
        only(&ran).message
    );
}

/// A record left `publishing` by a run that died, for container `c-old`.
fn interrupted() -> State {
    let mut state = State::default();
    let mut entry = StateEntry::new(
        Status::Publishing,
        "posts/mug.md",
        "kiln",
        PostType::Image,
        "unknown",
    );
    entry.container_id = Some("c-old".into());
    entry.journaled_at = Some(Timestamp::now());
    state.insert("mug", entry);
    state
}

#[tokio::test]
async fn a_container_reading_published_is_adopted_not_published_again() {
    let site = site();
    let fake = FakePublisher::default();
    fake.add_container("c-old", &[ContainerState::Finished], CAPTION);
    // The earlier run's publish went through; its answer never came.
    fake.world().publish.push_back(PublishAnswer::Lost);
    let _ = fake.publish("c-old").await;
    fake.world().calls.clear();
    let ran = run(&site, interrupted(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Published, "{:?}", ran.lines);
    assert_eq!(fake.count("publish"), 0, "{:?}", fake.world().calls);
    assert_eq!(fake.count("prepare"), 0);
    assert_eq!(record(&ran).status, Status::Published);
    assert_eq!(record(&ran).media_id.as_deref(), Some("media-1"));
}

#[tokio::test]
async fn a_handle_whose_status_names_its_media_is_adopted_by_reading_that_media() {
    let site = site();
    let fake = FakePublisher::default();
    fake.add_container("c-old", &[ContainerState::Finished], CAPTION);
    fake.world().publish.push_back(PublishAnswer::Lost);
    let _ = fake.publish("c-old").await;
    fake.world().status_names_media = true;
    fake.world().calls.clear();
    let ran = run(&site, interrupted(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Published, "{:?}", ran.lines);
    assert_eq!(fake.count("publish"), 0, "{:?}", fake.world().calls);
    assert_eq!(fake.count("find_live"), 0, "{:?}", fake.world().calls);
    assert_eq!(fake.count("read media-1"), 1, "{:?}", fake.world().calls);
    assert_eq!(record(&ran).media_id.as_deref(), Some("media-1"));
}

#[tokio::test]
async fn an_interrupted_publish_whose_container_is_finished_is_published_with_it() {
    let site = site();
    let fake = FakePublisher::default();
    fake.add_container("c-old", &[ContainerState::Finished], CAPTION);
    let ran = run(&site, interrupted(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Published, "{:?}", ran.lines);
    assert_eq!(fake.count("prepare"), 0, "the same container");
    assert_eq!(fake.count("publish c-old"), 1, "{:?}", fake.world().calls);
}

#[tokio::test]
async fn an_expired_interrupted_container_is_rebuilt() {
    let site = site();
    let fake = FakePublisher::default();
    fake.add_container("c-old", &[ContainerState::Expired], CAPTION);
    let ran = run(&site, interrupted(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Published, "{:?}", ran.lines);
    assert_eq!(fake.count("prepare"), 1);
    assert_eq!(fake.count("publish c-old"), 0);
    assert_eq!(fake.count("publish"), 1);
}

#[tokio::test]
async fn not_ready_is_waited_out_and_published_once_it_goes_through() {
    let site = site();
    let fake = FakePublisher::default();
    for _ in 0..2 {
        fake.world()
            .publish
            .push_back(PublishAnswer::Refused(FakeError::new(ErrorClass::NotReady)));
    }
    let ran = run(&site, State::default(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Published, "{:?}", ran.lines);
    assert_eq!(fake.count("publish c1"), 3, "{:?}", fake.world().calls);
    assert_eq!(fake.count("prepare"), 1, "the same container throughout");
    assert_eq!(
        ran.lines.iter().filter(|l| l.contains("not ready")).count(),
        2,
        "{:?}",
        ran.lines
    );
}

#[tokio::test]
async fn not_ready_for_too_long_fails_and_keeps_the_journal_for_the_next_run() {
    let site = site();
    let fake = FakePublisher::default();
    for _ in 0..=MAX_NOT_READY_WAITS {
        fake.world()
            .publish
            .push_back(PublishAnswer::Refused(FakeError::new(ErrorClass::NotReady)));
    }
    let ran = run(&site, State::default(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Failed, "{:?}", ran.lines);
    assert_eq!(
        fake.count("publish c1"),
        1 + MAX_NOT_READY_WAITS as usize,
        "bounded"
    );
    assert_eq!(record(&ran).status, Status::Publishing, "asked next time");
}

#[tokio::test]
async fn make_a_new_container_rebuilds_once() {
    let site = site();
    let fake = FakePublisher::default();
    let rebuild = FakeError::new(ErrorClass::Rebuild);
    fake.world()
        .publish
        .push_back(PublishAnswer::Refused(rebuild));
    let ran = run(&site, State::default(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Published, "{:?}", ran.lines);
    assert_eq!(fake.count("prepare"), 2);
    assert_eq!(fake.count("publish c1"), 1);
    assert_eq!(fake.count("publish c2"), 1);
}

#[tokio::test]
async fn a_second_make_a_new_container_fails_and_may_check_the_token() {
    let site = site();
    let fake = FakePublisher::default();
    let mut suspect = FakeError::new(ErrorClass::Rebuild);
    suspect.suspect_token = true;
    for _ in 0..2 {
        fake.world()
            .publish
            .push_back(PublishAnswer::Refused(suspect.clone()));
    }
    let ran = run(&site, State::default(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Failed, "{:?}", ran.lines);
    assert_eq!(fake.count("prepare"), 2, "rebuilt once, not twice");
    assert_eq!(fake.count("publish"), 2);
    assert_eq!(fake.count("check_token"), 1, "{:?}", fake.world().calls);
    assert_eq!(record(&ran).status, Status::Failed);
}

#[tokio::test]
async fn a_used_up_quota_defers_before_any_container_is_made() {
    let site = site();
    let fake = FakePublisher::default();
    fake.world().quota = Some(Quota {
        used: 50,
        total: 50,
    });
    let ran = run(&site, State::default(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Deferred, "{:?}", ran.lines);
    assert_eq!(fake.count("prepare"), 0);
    assert_eq!(fake.count("publish"), 0);
}

#[tokio::test]
async fn a_quota_refusal_at_publish_defers_the_post() {
    let site = site();
    let fake = FakePublisher::default();
    fake.world()
        .publish
        .push_back(PublishAnswer::Refused(FakeError::new(
            ErrorClass::QuotaReached,
        )));
    let ran = run(&site, State::default(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Deferred, "{:?}", ran.lines);
    assert_eq!(fake.count("publish"), 1);
    let r = record(&ran);
    assert_eq!(r.status, Status::Failed);
    assert!(r.last_error.as_deref().unwrap().starts_with("deferred"));
}

#[tokio::test]
async fn a_post_already_live_though_the_record_lost_it_is_adopted() {
    let site = site();
    let fake = FakePublisher::default();
    fake.add_container("c-lost", &[ContainerState::Finished], CAPTION);
    let _ = fake.publish("c-lost").await;
    fake.world().calls.clear();
    let ran = run(&site, State::default(), &fake).await;
    assert_eq!(
        only(&ran).result,
        Verdict::Adopted,
        "never counted as published: {:?}",
        ran.lines
    );
    assert_eq!(fake.count("prepare"), 0);
    assert_eq!(fake.count("publish"), 0);
    assert!(
        only(&ran).message.contains("adopted"),
        "{}",
        only(&ran).message
    );
    assert_eq!(record(&ran).status, Status::Published);
}

/// A media with the post's caption, made in the app before the post was due.
fn hand_made(fake: &FakePublisher, t: Timestamp) {
    fake.world().live.push(LiveMedia {
        id: "media-app".into(),
        caption: Some(CAPTION.into()),
        permalink: Some("https://example.com/p/app".into()),
        timestamp: Some(t.to_string()),
        published: Some(t),
        comments_enabled: Some(true),
        kinds: vec![PostType::Image],
        items: Some(1),
    });
}

#[tokio::test]
async fn a_twin_live_before_publish_at_is_held_for_a_person_not_adopted() {
    let site = site();
    let fake = FakePublisher::default();
    // Made in the app three hours before the post was due.
    hand_made(&fake, due() - jiff::SignedDuration::from_hours(3));
    let ran = run(&site, State::default(), &fake).await;
    let o = only(&ran);
    assert_eq!(o.result, Verdict::Held, "{:?}", ran.lines);
    assert_eq!(o.why, Some(Why::PossibleTwin));
    assert!(o.needs_person());
    assert!(
        o.message.contains("postwright state adopt mug media-app")
            && o.message.contains("allow_duplicate: true")
            && o.message.contains("before this post was due"),
        "{}",
        o.message
    );
    assert_eq!(fake.count("prepare"), 0);
    assert_eq!(fake.count("publish"), 0);
    assert!(ran.state.get("mug", "kiln").is_none(), "nothing recorded");
}

#[tokio::test]
async fn allow_duplicate_publishes_despite_a_possible_twin() {
    let site = site_with("allow_duplicate: true\n");
    let fake = FakePublisher::default();
    hand_made(&fake, due() - jiff::SignedDuration::from_hours(3));
    let ran = run(&site, State::default(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Published, "{:?}", ran.lines);
    assert_eq!(fake.count("publish"), 1);
}

#[tokio::test]
async fn a_platform_without_comments_or_quota_is_not_asked_for_them() {
    let site = site_with("first_comment: \"#ceramics\"\n");
    let fake = FakePublisher::default();
    fake.world().capabilities = Some(crate::platform::Capabilities {
        comments: Some("no comments here".into()),
        ..crate::platform::Capabilities::default()
    });
    let ran = run(&site, State::default(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Published, "{:?}", ran.lines);
    let calls = fake.world().calls.clone();
    assert_eq!(fake.count("quota"), 0, "{calls:?}");
    assert_eq!(fake.count("comments"), 0, "{calls:?}");
    assert_eq!(fake.count("post_comment"), 0, "{calls:?}");
    assert!(
        ran.lines.iter().any(|l| l.contains("no comments here")),
        "{:?}",
        ran.lines
    );
}

#[tokio::test]
async fn a_first_comment_is_posted_once_after_publishing() {
    let site = site_with("first_comment: \"#ceramics\"\n");
    let fake = FakePublisher::default();
    let ran = run(&site, State::default(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Published, "{:?}", ran.lines);
    assert_eq!(fake.count("post_comment"), 1);
    assert_eq!(
        record(&ran).first_comment_id.as_deref(),
        Some("comment-on-media-2")
    );
}

#[tokio::test]
async fn a_first_comment_already_there_is_recorded_not_posted_again() {
    let site = site_with("first_comment: \"#ceramics\"\n");
    let fake = FakePublisher::default();
    fake.add_container("c-old", &[ContainerState::Finished], CAPTION);
    // The earlier run published and commented; both answers were lost.
    let media = fake.publish("c-old").await.unwrap();
    let _ = fake.post_comment(&media, "#ceramics").await;
    fake.world().calls.clear();
    let ran = run(&site, interrupted(), &fake).await;
    assert_eq!(only(&ran).result, Verdict::Published, "{:?}", ran.lines);
    assert_eq!(fake.count("publish"), 0, "{:?}", fake.world().calls);
    assert_eq!(fake.count("post_comment"), 0, "{:?}", fake.world().calls);
    assert_eq!(fake.count("comments"), 1);
    assert_eq!(
        record(&ran).first_comment_id.as_deref(),
        Some("comment-on-media-1")
    );
}

#[tokio::test]
async fn a_build_task_that_panics_fails_its_post_and_is_recorded_then_a_rerun_publishes_it_once() {
    let site = site();
    let fake = FakePublisher::default();
    fake.world().prepare_panics = 1;
    let ran = run(&site, State::default(), &fake).await;
    let o = only(&ran);
    assert_eq!(o.result, Verdict::Failed, "{:?}", ran.lines);
    assert!(o.message.contains("internal error"), "{}", o.message);
    assert!(o.message.contains("fake: prepare panics"), "{}", o.message);
    assert_eq!(record(&ran).status, Status::Failed);
    assert_eq!(fake.count("publish"), 0);
    // Nothing went live: the next run builds and publishes it, once.
    let again = run(&site, ran.state, &fake).await;
    assert_eq!(only(&again).result, Verdict::Published, "{:?}", again.lines);
    assert_eq!(fake.count("publish"), 1);
}

#[tokio::test]
async fn a_status_read_that_panics_fails_its_post_instead_of_reading_until_max_wait() {
    let site = site();
    let fake = FakePublisher::default();
    fake.world().status_panics = 1;
    let started = std::time::Instant::now();
    let ran = run(&site, State::default(), &fake).await;
    let o = only(&ran);
    assert_eq!(o.result, Verdict::Failed, "{:?}", ran.lines);
    assert!(
        o.message.contains("reading its prepared post's status"),
        "{}",
        o.message
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "waited for max_wait"
    );
    assert_eq!(fake.count("publish"), 0);
}

#[test]
fn a_record_missing_mid_run_is_an_error_naming_the_post_the_account_and_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("state.json"), "state.json");
    let mut journal = Journal {
        state: State::default(),
        store: &store,
        flight: Flight::default(),
        owed: None,
    };
    let err = journal.entry(("mug", "kiln")).unwrap_err().to_string();
    for said in ["state.json", "`mug`", "`kiln`", "Run apply again"] {
        assert!(err.contains(said), "{said}: {err}");
    }
}

#[test]
fn an_owed_change_is_written_by_the_next_write_or_by_settle_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let store = FileStore::new(path.clone(), "state.json");
    let mut journal = Journal {
        state: State::default(),
        store: &store,
        flight: Flight::default(),
        owed: None,
    };
    journal.owe("published a");
    assert!(!path.exists(), "owing writes nothing");
    journal.settle().unwrap();
    assert!(path.exists(), "settle writes what is owed");
    std::fs::remove_file(&path).unwrap();
    journal.settle().unwrap();
    assert!(!path.exists(), "nothing owed: settle writes nothing");
    journal.owe("published b");
    journal.checkpoint("publishing c").unwrap();
    assert!(path.exists(), "the checkpoint carries it");
    std::fs::remove_file(&path).unwrap();
    journal.settle().unwrap();
    assert!(!path.exists(), "the checkpoint paid what was owed");
}
