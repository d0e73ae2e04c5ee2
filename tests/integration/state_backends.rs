//! The state record's two backends: what a write touches (the git backend
//! only its branch), what a corrupt or newer record does (an error, never a
//! silent reset), and that readers never see half a record.

use crate::plan::{git, Backend, Content, EARLY};
use postwright::content::PostType;
use postwright::state::{self, FileStore, Reach, Record, State, StateError, Status, Store};
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const BRANCH: &str = "refs/heads/postwright-state";

/// A record with `n` published posts.
fn record(n: usize) -> State {
    let mut s = State::default();
    for i in 0..n {
        let mut e = Record::new(
            Status::Published,
            &format!("posts/post-{i:04}.md"),
            "kiln",
            PostType::Image,
            &format!("sha256:{i:064}"),
        );
        e.media_id = Some(format!("17900000{i:05}"));
        e.permalink = Some(format!("https://www.instagram.com/p/C{i:05}/"));
        e.published_at = Some("2026-11-20T08:00:00Z".parse().unwrap());
        e.comments_enabled = Some(true);
        s.insert(&format!("post-{i:04}"), e);
    }
    s
}

fn location(backend: Backend) -> &'static str {
    match backend {
        Backend::File => ".postwright/state.json",
        Backend::Git => "branch postwright-state",
    }
}

/// Writes `text` as the record, behind the store's back.
fn plant(c: &Content, backend: Backend, text: &str) {
    match backend {
        Backend::File => c.write(".postwright/state.json", text),
        Backend::Git => commit_on_branch(c.path(), &[("state.json", text)]),
    }
}

/// Commits these files as the whole tree of the state branch.
fn commit_on_branch(dir: &Path, files: &[(&str, &str)]) {
    let repo = git2::Repository::open(dir).unwrap();
    let mut tree = repo.treebuilder(None).unwrap();
    for (name, text) in files {
        let blob = repo.blob(text.as_bytes()).unwrap();
        tree.insert(name, blob, 0o100644).unwrap();
    }
    let tree = repo.find_tree(tree.write().unwrap()).unwrap();
    let sig = git2::Signature::now("Someone", "someone@example.com").unwrap();
    let parent = repo
        .find_reference(BRANCH)
        .ok()
        .map(|r| r.peel_to_commit().unwrap());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some(BRANCH), &sig, &sig, "hand edit", &tree, &parents)
        .unwrap();
}

/// The record as it is stored (file bytes or branch tip), to show it was
/// left alone.
fn stored(c: &Content, backend: Backend) -> String {
    match backend {
        Backend::File => c.read(".postwright/state.json"),
        Backend::Git => git(c.path(), &["rev-parse", BRANCH]),
    }
}

fn index_fingerprint(dir: &Path) -> (Vec<u8>, std::time::SystemTime) {
    let index = dir.join(".git/index");
    (
        fs::read(&index).unwrap(),
        fs::metadata(&index).unwrap().modified().unwrap(),
    )
}

#[test]
fn git_backend_writes_only_its_branch() {
    let c = Content::new(Backend::Git);
    let dir = c.path();

    // Work in progress: an unstaged edit, a staged one, an untracked file.
    c.edit(
        "posts/launch.md",
        "Meet the Harbour mug.",
        "Meet the mug (WIP).",
    );
    c.edit("posts/spring.md", "moss, sand and sky", "moss and sand");
    git(dir, &["add", "posts/spring.md"]);
    c.write("notes.txt", "ideas\n");
    let launch = c.read("posts/launch.md");
    let status = git(dir, &["status", "--porcelain"]);
    assert_eq!(
        status, " M posts/launch.md\nM  posts/spring.md\n?? notes.txt\n",
        "the setup"
    );
    let head = git(dir, &["rev-parse", "HEAD"]);
    let head_ref = git(dir, &["symbolic-ref", "HEAD"]);
    let staged = git(dir, &["diff", "--cached"]);
    let index = index_fingerprint(dir);

    let store = c.store();
    assert_eq!(store.location(), "branch postwright-state");
    assert_eq!(store.load().unwrap(), State::default(), "no branch yet");
    assert_eq!(git(dir, &["branch", "--list", "postwright-state"]), "");

    let messages = [
        "publishing post-0000 (container 17900000000000001)",
        "published post-0000",
        "published post-0001\n\nmedia 17900000000001, https://www.instagram.com/p/C00001/",
    ];
    for (i, message) in messages.iter().enumerate() {
        let s = record(i + 1);
        store.save(&s, message, Reach::Shared).unwrap();
        assert_eq!(store.load().unwrap(), s, "save {i}");
        assert_eq!(
            git(dir, &["rev-list", "--count", "postwright-state"]),
            format!("{}\n", i + 1),
            "one commit per save"
        );
        assert_eq!(
            git(dir, &["log", "-1", "--format=%B", "postwright-state"]).trim_end(),
            *message
        );
        assert_eq!(
            git(dir, &["show", "postwright-state:state.json"]),
            state::render(&s)
        );
    }
    assert!(index == index_fingerprint(dir), "the index was rewritten");
    assert_eq!(
        git(dir, &["log", "--format=%s", "postwright-state"]),
        "published post-0001\npublished post-0000\npublishing post-0000 (container 17900000000000001)\n"
    );
    assert_eq!(
        git(dir, &["ls-tree", "--name-only", "postwright-state"]),
        "state.json\n"
    );
    assert_eq!(
        git(
            dir,
            &["log", "-1", "--format=%an <%ae>", "postwright-state"]
        ),
        "Test Author <test@example.com>\n",
        "the repo's identity"
    );

    // The content repo is exactly as it was.
    assert_eq!(git(dir, &["status", "--porcelain"]), status);
    assert_eq!(git(dir, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(dir, &["symbolic-ref", "HEAD"]), head_ref);
    assert_eq!(git(dir, &["diff", "--cached"]), staged);
    assert_eq!(c.read("posts/launch.md"), launch);
    assert_eq!(c.read("notes.txt"), "ideas\n");
    assert!(!dir.join(".postwright").exists());
    assert!(!dir.join("state.json").exists());

    // A fresh store (as the next run opens) reads the same record.
    assert_eq!(c.store().load().unwrap(), record(3));
}

#[test]
fn a_missing_record_loads_as_empty() {
    for backend in [Backend::File, Backend::Git] {
        let c = Content::new(backend);
        assert_eq!(c.store().load().unwrap(), State::default(), "{backend:?}");
        let (code, plan) = c.plan(EARLY, &[]);
        assert_eq!(code, 0, "{backend:?}");
        assert_eq!(plan["summary"]["publish"], 3, "{backend:?}");
        // Planning does not write a record.
        assert!(!c.file(".postwright").exists(), "{backend:?}");
        if backend == Backend::Git {
            assert_eq!(git(c.path(), &["branch", "--list", "postwright-state"]), "");
        }
    }
}

#[test]
fn git_backend_outside_a_git_repository_is_an_error() {
    let c = Content::new(Backend::File);
    let mut config = c.read("postwright.toml");
    config.push_str("\n[state]\nbackend = \"git\"\n");
    c.write("postwright.toml", &config);
    let err = c.store().load().unwrap_err();
    assert!(matches!(err, StateError::Git { .. }), "{err}");
    assert!(err.to_string().contains("not in a git repository"), "{err}");
    let run = c.run(&["plan", "--at", EARLY]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("not in a git repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn corrupt_or_newer_records_are_errors_never_a_reset() {
    let cases = [
        (
            "{\"format_version\": 1, \"posts\": {\"launch\": {",
            "corrupt",
        ),
        ("", "corrupt"),
        ("{\"posts\": {}}\n", "no format_version"),
        ("{\"format_version\": \"1\", \"posts\": {}}\n", "corrupt"),
        (
            "{\"format_version\": 1, \"posts\": {\"launch\": {\"status\": \"gone\"}}}\n",
            "corrupt",
        ),
        (
            "{\"format_version\": 5, \"posts\": {}}\n",
            "format_version 5",
        ),
    ];
    for backend in [Backend::File, Backend::Git] {
        for (text, needle) in cases {
            let c = Content::new(backend);
            plant(&c, backend, text);
            let what = format!("{backend:?} {text:?}");
            let err = c.store().load().unwrap_err();
            match needle {
                "format_version 5" => {
                    assert!(
                        matches!(err, StateError::TooNew { found: 5, .. }),
                        "{what}: {err}"
                    )
                }
                _ => assert!(matches!(err, StateError::Corrupt { .. }), "{what}: {err}"),
            }
            let message = err.to_string();
            assert!(message.contains(location(backend)), "{what}: {message}");
            assert!(message.contains(needle), "{what}: {message}");

            let before = stored(&c, backend);
            for args in [
                vec!["plan", "--at", EARLY],
                vec!["plan", "--at", EARLY, "--format", "json"],
                vec!["status"],
                vec!["apply", "--at", EARLY],
            ] {
                let run = c.run(&args);
                assert_eq!(run.code, 1, "{what} {args:?}: {}", run.stdout);
                assert!(
                    run.stderr.contains(location(backend)) && run.stderr.contains(needle),
                    "{what} {args:?}: {}",
                    run.stderr
                );
                assert!(
                    !run.stdout.contains("publish"),
                    "{what} {args:?} planned from an empty record: {}",
                    run.stdout
                );
            }
            assert_eq!(stored(&c, backend), before, "{what}: the record changed");
        }
    }
}

#[test]
fn a_state_branch_without_the_record_is_an_error() {
    let c = Content::new(Backend::Git);
    commit_on_branch(c.path(), &[("README.md", "not a record\n")]);
    let err = c.store().load().unwrap_err();
    assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("has no state.json"), "{err}");
    let run = c.run(&["plan", "--at", EARLY]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("branch postwright-state"),
        "{}",
        run.stderr
    );
}

#[test]
fn file_backend_record_is_readable_json_and_leaves_no_temp_files() {
    let c = Content::new(Backend::File);
    let store = c.store();
    assert_eq!(store.location(), ".postwright/state.json");
    for n in [1, 3, 2] {
        store
            .save(&record(n), &format!("{n} posts"), Reach::Shared)
            .unwrap();
    }
    let names: Vec<String> = fs::read_dir(c.file(".postwright"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["state.json"]);
    let text = c.read(".postwright/state.json");
    assert_eq!(text, state::render(&record(2)));
    assert!(
        text.starts_with("{\n  \"format_version\": 4,\n  \"posts\": {\n"),
        "{text}"
    );
    assert!(
        text.contains("\n        \"status\": \"published\",\n"),
        "{text}"
    );
    assert!(text.ends_with("}\n"), "{text}");
    assert!(text.lines().count() > 20, "{text}");
    assert_eq!(state::parse(&text, "x").unwrap(), record(2));
    assert_eq!(store.load().unwrap(), record(2));

    // Another path, in folders that do not exist yet.
    let mut config = c.read("postwright.toml");
    config.push_str("\n[state]\npath = \"records/kiln/state.json\"\n");
    c.write("postwright.toml", &config);
    let store = c.store();
    assert_eq!(store.location(), "records/kiln/state.json");
    assert_eq!(store.load().unwrap(), State::default());
    store.save(&record(1), "first", Reach::Shared).unwrap();
    let names: Vec<String> = fs::read_dir(c.file("records/kiln"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["state.json"]);
}

#[test]
fn file_backend_readers_never_see_a_partial_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let store = Arc::new(FileStore::new(path.clone(), "state.json"));
    let small = record(1);
    let big = record(1500);
    store.save(&small, "first", Reach::Shared).unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (store, done) = (store.clone(), done.clone());
        std::thread::spawn(move || {
            let mut reads = 0u32;
            while !done.load(Ordering::SeqCst) {
                let s = store
                    .load()
                    .unwrap_or_else(|e| panic!("read {reads} saw a torn record: {e}"));
                assert!(s.len() == 1 || s.len() == 1500);
                reads += 1;
            }
            reads
        })
    };
    for i in 0..150 {
        let s = if i % 2 == 0 { &big } else { &small };
        store.save(s, "again", Reach::Shared).unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let reads = reader.join().expect("the reader saw only whole records");
    assert!(reads > 10, "only {reads} reads");
    assert_eq!(store.load().unwrap(), small);
    let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "temporary files left behind");
}

/// A writer killed between creating and renaming libgit2's ref lock leaves
/// `refs/heads/postwright-state.lock` behind; the next writer (holding the
/// writer lock, so no live writer can own it) clears it instead of failing
/// every run from then on.
#[test]
fn git_backend_recovers_from_a_killed_writers_ref_lock() {
    let c = Content::new(Backend::Git);
    let store = c.store();
    let mut state = State::default();
    state.insert(
        "a",
        Record::new(
            Status::Creating,
            "posts/a.md",
            "kiln",
            PostType::Image,
            "sha256:x",
        ),
    );
    store.save(&state, "first", Reach::Shared).unwrap();
    let lock = c.path().join(".git/refs/heads/postwright-state.lock");
    std::fs::write(&lock, "0000000000000000000000000000000000000000\n").unwrap();
    state.get_mut("a", "kiln").unwrap().status = Status::Published;
    store.save(&state, "second", Reach::Shared).unwrap();
    assert!(!lock.exists());
    assert_eq!(store.load().unwrap(), state);
    let log = git(c.path(), &["log", "--format=%s", "postwright-state"]);
    assert_eq!(log, "second\nfirst\n");
}
