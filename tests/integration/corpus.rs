//! The invalid-post corpus and the edge cases that must pass.
//!
//! - `tests/fixtures/corpus/`: one invalid post per file, named after the rule
//!   it is about (`caption-too-long-1.md`); every problem `validate` must
//!   report is listed in `corpus/expected.tsv` as FILE, RULE, LINE, COLUMN.
//!   The comparison is exact: a missing problem, an extra one, or one at
//!   another line or column fails, and the failure lists them all.
//! - `tests/fixtures/valid/`: posts at the edges of the rules (BOM + CRLF,
//!   exact aspect-ratio limits, ten carousel items, every reel field, …)
//!   that must validate with no problem at all.
//! - Hostile input (huge, deep, self-expanding, binary, alias bombs by bytes
//!   and by count) and media over the size limits are generated at test time
//!   into a temporary repo.

use crate::common::{fixtures, postwright, validate_json};
use postwright::diagnostic::Rule;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One problem as expected.tsv and the comparison see it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    file: String,
    rule: String,
    line: u64,
    column: u64,
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{} {}",
            self.file, self.line, self.column, self.rule
        )
    }
}

/// Rules the fixture repo cannot show: their fixtures would be media files
/// of 8 MiB to 300 MB. `media_limits_on_generated_files` covers them with
/// sparse files made at test time.
const GENERATED_RULES: &[&str] = &["image-too-large", "video-too-large"];

/// Rules the corpus need not cover: `config` (the fixture config is valid),
/// `not-a-post` (a warning; tested in hostile.rs), `image-width` (a warning;
/// the corpus has one case anyway), `file-not-regular` (symlinks and FIFOs
/// are never committed: hostile.rs makes them at test time).
/// `placeholder-id` is about postwright.toml, not a post: its case is
/// init::init_in_a_plain_folder_makes_a_repository_that_plans.
/// `off-schedule` is plan's, about the apply workflow's cron: plan.rs
/// tests it.
const EXEMPT_RULES: &[&str] = &[
    "off-schedule",
    "config",
    "not-a-post",
    "image-width",
    "file-not-regular",
    "placeholder-id",
];

/// The first file of each duplicate-id pair: the id is reported once, on
/// the second file, with a note at this one (`messages_name_the_fault`
/// checks the notes).
const NOTED_ONLY: &[&str] = &[
    "corpus/duplicate-id-1.md",
    "corpus/duplicate-id-3.md",
    "corpus/duplicate-id-5.yaml",
];

fn corpus_dir() -> PathBuf {
    fixtures().join("corpus")
}

/// Reads corpus/expected.tsv. Malformed or repeated lines fail the test.
fn expected() -> Vec<Found> {
    let path = corpus_dir().join("expected.tsv");
    let text = fs::read_to_string(&path).expect("corpus/expected.tsv is readable");
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, rule, l, c] = fields[..] else {
            panic!("expected.tsv:{n}: want FILE<TAB>RULE<TAB>LINE<TAB>COLUMN, got {line:?}");
        };
        let number = |s: &str| -> u64 {
            s.parse()
                .unwrap_or_else(|_| panic!("expected.tsv:{n}: {s:?} is not a number"))
        };
        let found = Found {
            file: file.to_string(),
            rule: rule.to_string(),
            line: number(l),
            column: number(c),
        };
        assert!(
            Rule::ALL.iter().any(|r| r.id() == rule),
            "expected.tsv:{n}: unknown rule id {rule:?}"
        );
        assert!(
            seen.insert(found.clone()),
            "expected.tsv:{n}: {found} is listed twice"
        );
        out.push(found);
    }
    out
}

/// The problems of a `validate --format json` result.
fn problems(json: &Value) -> Vec<&Value> {
    json["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no `problems` array in {json:#}"))
        .iter()
        .collect()
}

fn found(p: &Value) -> Found {
    Found {
        file: p["file"].as_str().expect("file").to_string(),
        rule: p["rule"].as_str().expect("rule").to_string(),
        line: p["line"].as_u64().expect("line"),
        column: p["column"].as_u64().expect("column"),
    }
}

/// Runs `validate --format json ARGS` in `dir`: exit code, JSON, stderr.
/// Never hangs the test suite: a run over a minute is killed and fails.
fn run_validate(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = postwright(dir)
        .args(["validate", "--format", "json"])
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "postwright panicked:\n{stderr}"
    );
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("killed (timeout or signal)\nstderr: {stderr}"));
    (code, json, stderr)
}

/// The post files of the corpus (expected.tsv and dotfiles left out).
fn corpus_files() -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(corpus_dir())
        .expect("corpus folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && n != "expected.tsv")
        .collect();
    files.sort();
    files
}

/// The rule a corpus file is named after: `caption-too-long-1.md` → `caption-too-long`.
fn rule_of_file_name(name: &str) -> Option<&str> {
    let stem = name
        .strip_suffix(".md")
        .or_else(|| name.strip_suffix(".yaml"))?;
    let (rule, n) = stem.rsplit_once('-')?;
    n.parse::<u32>().ok()?;
    Some(rule)
}

/// The (first) problem of `file` with `rule` in a result.
fn problem_of<'a>(json: &'a Value, file: &str, rule: &str) -> &'a Value {
    problems(json)
        .into_iter()
        .find(|p| p["file"] == file && p["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} problem for {file} in {json:#}"))
}

#[test]
fn corpus_problems_match_expected_tsv() {
    let (code, json, _) = run_validate(&fixtures(), &[]);
    let expected: BTreeSet<Found> = expected().into_iter().collect();
    let all = problems(&json);
    let actual: BTreeSet<Found> = all.iter().map(|p| found(p)).collect();

    let missing: Vec<&Found> = expected.difference(&actual).collect();
    let unexpected: Vec<&Found> = actual.difference(&expected).collect();
    if !missing.is_empty() || !unexpected.is_empty() {
        let mut report = String::new();
        let _ = writeln!(
            report,
            "validate disagrees with tests/fixtures/corpus/expected.tsv"
        );
        let _ = writeln!(
            report,
            "\nmissing (expected, not reported): {}",
            missing.len()
        );
        for f in &missing {
            // Show what was reported for that file instead, if anything.
            let instead: Vec<String> = actual
                .iter()
                .filter(|a| a.file == f.file && a.rule == f.rule)
                .map(|a| format!("{}:{}", a.line, a.column))
                .collect();
            if instead.is_empty() {
                let _ = writeln!(report, "  {f}");
            } else {
                let _ = writeln!(report, "  {f}   (reported at {})", instead.join(", "));
            }
        }
        let _ = writeln!(
            report,
            "\nunexpected (reported, not expected): {}",
            unexpected.len()
        );
        for f in &unexpected {
            let message = all
                .iter()
                .find(|p| found(p) == **f)
                .and_then(|p| p["message"].as_str())
                .unwrap_or_default();
            let _ = writeln!(report, "  {f}   {message}");
        }
        panic!("{report}");
    }
    assert_eq!(
        actual.len(),
        all.len(),
        "a problem is reported twice at the same place: {json:#}"
    );
    assert_eq!(code, 1, "invalid posts must make validate exit 1");
}

#[test]
fn corpus_is_complete_and_consistent() {
    let files = corpus_files();
    assert!(
        files.len() >= 40,
        "the corpus should hold at least 40 invalid posts, it has {}",
        files.len()
    );
    let expected = expected();
    let mut by_file: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for e in &expected {
        by_file
            .entry(e.file.clone())
            .or_default()
            .insert(e.rule.as_str());
    }

    let mut errors = Vec::new();
    for name in &files {
        let rel = format!("corpus/{name}");
        let Some(rule) = rule_of_file_name(name) else {
            errors.push(format!("{rel}: name is not <rule>-<n>.md|yaml"));
            continue;
        };
        if !Rule::ALL.iter().any(|r| r.id() == rule) {
            errors.push(format!("{rel}: `{rule}` is not a rule id"));
        }
        match by_file.get(&rel) {
            None if NOTED_ONLY.contains(&rel.as_str()) => {}
            None => errors.push(format!("{rel}: no expected problem in expected.tsv")),
            Some(rules) if !rules.contains(rule) => errors.push(format!(
                "{rel}: named after `{rule}` but expects only {rules:?}"
            )),
            Some(_) => {}
        }
    }
    for file in by_file.keys() {
        if file.starts_with("corpus/") && !fixtures().join(file).is_file() {
            errors.push(format!("expected.tsv names {file}, which does not exist"));
        }
        if !file.starts_with("corpus/") {
            errors.push(format!("expected.tsv names {file}, outside corpus/"));
        }
    }

    let covered: BTreeSet<&str> = expected
        .iter()
        .map(|e| e.rule.as_str())
        .chain(GENERATED_RULES.iter().copied())
        .collect();
    for rule in Rule::ALL {
        let id = rule.id();
        if !EXEMPT_RULES.contains(&id) && !covered.contains(id) {
            errors.push(format!("rule `{id}` has no case in expected.tsv"));
        }
    }
    for id in GENERATED_RULES {
        assert!(
            Rule::ALL.iter().any(|r| r.id() == *id),
            "GENERATED_RULES names `{id}`, which is not a rule"
        );
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn valid_folder_validates_cleanly() {
    // PATH arguments are relative to the current folder, which is the repo.
    let (code, json) = validate_json(&fixtures(), &["valid/"]);
    assert_eq!(json["problems"], serde_json::json!([]), "{json:#}");
    // Sixteen posts; README.md (no front matter), notes.txt and the dotfiles
    // are not posts and must not be counted or reported.
    assert_eq!(json["files"], 16, "{json:#}");
    assert_eq!(code, 0, "{json:#}");
}

#[test]
fn messages_name_the_fault() {
    let (_, json, _) = run_validate(&fixtures(), &[]);
    let message = |file: &str, rule: &str| -> Option<String> {
        let p = problems(&json)
            .into_iter()
            .find(|p| p["file"] == file && p["rule"] == rule)?;
        Some(format!(
            "{} | help: {}",
            p["message"].as_str().unwrap_or_default(),
            p["help"].as_str().unwrap_or_default()
        ))
    };
    let cases: &[(&str, &str, &str)] = &[
        // The duplicate names the other file of the pair.
        (
            "corpus/duplicate-id-2.yaml",
            "duplicate-id",
            "corpus/duplicate-id-1.md",
        ),
        (
            "corpus/duplicate-id-6.md",
            "duplicate-id",
            "corpus/duplicate-id-5.yaml",
        ),
        // Typos get the right suggestion, at every level.
        ("corpus/unknown-field-1.yaml", "unknown-field", "`caption`"),
        ("corpus/unknown-field-2.md", "unknown-field", "`alt_text`"),
        ("corpus/unknown-field-4.md", "unknown-field", "`publish_at`"),
        ("corpus/unknown-field-5.yaml", "unknown-field", "`alt_text`"),
        (
            "corpus/unknown-field-3.yaml",
            "unknown-field",
            "username, x, y",
        ),
        // A symlink is called a symlink, not a missing file.
        (
            "corpus/media-outside-repo-2.yaml",
            "media-outside-repo",
            "symlink",
        ),
        // Duplicate keys name the line of the first one, also in front
        // matter (where the YAML starts on line 2 of the file).
        ("corpus/yaml-syntax-4.yaml", "yaml-syntax", "line 2"),
        ("corpus/yaml-syntax-8.md", "yaml-syntax", "line 3"),
        ("corpus/yaml-syntax-5.md", "yaml-syntax", "never closed"),
        // Caption length counts characters, not bytes (2201 × "é").
        (
            "corpus/caption-too-long-4.md",
            "caption-too-long",
            "2201 characters",
        ),
        ("corpus/field-not-allowed-2.md", "field-not-allowed", "body"),
        ("corpus/collaborators-2.md", "collaborators", "write `ben`"),
        // Aspect ratio after EXIF orientation.
        (
            "corpus/aspect-ratio-3.md",
            "aspect-ratio",
            "1080×1920 as displayed",
        ),
        ("corpus/encoding-5.yaml", "encoding", "NUL"),
        (
            "corpus/publish-at-invalid-2.md",
            "publish-at-invalid",
            "no time",
        ),
    ];
    // A duplicate id is reported once, with a note at the other file's `id:`.
    for (file, other, at) in [
        (
            "corpus/duplicate-id-2.yaml",
            "corpus/duplicate-id-1.md",
            (2, 1),
        ),
        (
            "corpus/duplicate-id-4.md",
            "corpus/duplicate-id-3.md",
            (2, 1),
        ),
        (
            "corpus/duplicate-id-6.md",
            "corpus/duplicate-id-5.yaml",
            (2, 1),
        ),
    ] {
        let p = problem_of(&json, file, "duplicate-id");
        let note = &p["notes"][0];
        assert_eq!(note["file"], other, "{p:#}");
        assert_eq!(
            (note["line"].as_u64(), note["column"].as_u64()),
            (Some(at.0), Some(at.1)),
            "{p:#}"
        );
        assert!(
            !problems(&json)
                .iter()
                .any(|q| q["file"] == other && q["rule"] == "duplicate-id"),
            "{json:#}"
        );
    }
    let mut wrong = Vec::new();
    for (file, rule, needle) in cases {
        match message(file, rule) {
            Some(text) if text.contains(needle) => {}
            Some(text) => wrong.push(format!("{file} [{rule}]: want {needle:?} in {text:?}")),
            None => wrong.push(format!("{file}: no {rule} problem reported")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn duplicate_id_is_found_when_only_one_file_is_named() {
    // ids are compared across the whole repo even when one file is named.
    for (named, other) in [
        ("corpus/duplicate-id-1.md", "corpus/duplicate-id-2.yaml"),
        ("corpus/duplicate-id-2.yaml", "corpus/duplicate-id-1.md"),
    ] {
        let (code, json, _) = run_validate(&fixtures(), &[named]);
        let p = problem_of(&json, named, "duplicate-id");
        assert!(
            p["message"].as_str().unwrap_or_default().contains(other),
            "{json:#}"
        );
        assert_eq!(code, 1, "{json:#}");
    }
}

/// A tiny content repo in a temporary folder: postwright.toml and posts/.
fn tiny_repo() -> tempfile::TempDir {
    let dir = tempfile::TempDir::new().expect("temp dir");
    fs::write(
        dir.path().join("postwright.toml"),
        "content = [\"posts\"]\n\n[accounts.brand]\nuser_id = \"1\"\ntoken_env = \"BRAND_TOKEN\"\n",
    )
    .expect("write config");
    fs::create_dir(dir.path().join("posts")).expect("posts folder");
    dir
}

/// Deterministic pseudo-random bytes (xorshift64), so a failure repeats.
fn random_bytes(n: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(n);
    out
}

#[test]
fn hostile_input_is_rejected_fast_without_panic() {
    const MIB: usize = 1024 * 1024;
    let repo = tiny_repo();
    let posts = repo.path().join("posts");
    let front = "---\nmedia: [https://cdn.example.com/a.jpg]\n---\n";

    // (file, bytes, the one rule it must get)
    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();

    // 2 MiB: refused unread.
    let mut big = front.as_bytes().to_vec();
    big.resize(2 * MIB, b'a');
    cases.push(("big.md", big, "file-too-large"));

    // 200 nested flow lists.
    let nested = format!(
        "media: [https://cdn.example.com/a.jpg]\nfirst_comment: {}x{}\n",
        "[".repeat(200),
        "]".repeat(200)
    );
    cases.push(("nested.yaml", nested.into_bytes(), "file-too-large"));

    // Billion laughs: 9 levels of 9 aliases, 387 420 489 strings expanded.
    let mut laughs = String::from("l0: &l0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n");
    for i in 1..=9 {
        let refs = vec![format!("*l{}", i - 1); 9].join(", ");
        laughs.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    laughs.push_str("media: [https://cdn.example.com/a.jpg]\n");
    cases.push(("laughs.yaml", laughs.into_bytes(), "file-too-large"));

    // 64 KiB of random bytes.
    cases.push((
        "random.yaml",
        random_bytes(64 * 1024, 0x9E37_79B9_7F4A_7C15),
        "encoding",
    ));

    // A single-line caption just under the 1 MiB file limit, as a Markdown
    // body and as a YAML scalar.
    let mut long_md = front.as_bytes().to_vec();
    long_md.resize(MIB - 64, b'c');
    long_md.push(b'\n');
    cases.push(("long-body.md", long_md, "caption-too-long"));
    let mut long_yaml = b"media: [https://cdn.example.com/a.jpg]\ncaption: \"".to_vec();
    long_yaml.resize(MIB - 64, b'c');
    long_yaml.extend_from_slice(b"\"\n");
    cases.push(("long-scalar.yaml", long_yaml, "caption-too-long"));

    for (name, bytes, _) in &cases {
        fs::write(posts.join(name), bytes).expect("write hostile file");
    }
    assert!(fs::metadata(posts.join("long-body.md")).unwrap().len() <= MIB as u64);
    assert!(fs::metadata(posts.join("long-scalar.yaml")).unwrap().len() <= MIB as u64);

    let start = Instant::now();
    let (code, json, _) = run_validate(repo.path(), &[]);
    let elapsed = start.elapsed();
    eprintln!("hostile input validated in {elapsed:?}");

    let mut wrong = Vec::new();
    for (name, _, rule) in &cases {
        let file = format!("posts/{name}");
        let rules: Vec<&str> = problems(&json)
            .into_iter()
            .filter(|p| p["file"] == file.as_str())
            .filter_map(|p| p["rule"].as_str())
            .collect();
        if rules != [*rule] {
            wrong.push(format!("{file}: want exactly [{rule}], got {rules:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}\n{json:#}", wrong.join("\n"));
    assert_eq!(code, 1);
    // A guard against hangs and blow-ups, not a benchmark: the run takes
    // well under a second on a laptop, in a debug build.
    assert!(
        elapsed < Duration::from_secs(5),
        "hostile input took {elapsed:?} to validate"
    );
}

/// The alias bombs of issue 12: one scalar anchored once and aliased 20,000
/// times, so the node limit (20,000 values) is never reached but the bytes
/// are — 900 KB × 20,000 = 18 GB in a 980 KB file, 40 KB × 20,000 = 800 MB
/// in a 120 KB one — and, for contrast, 30,000 one-byte aliases, which stay
/// the node-count error.
#[test]
fn alias_bombs_by_bytes_and_by_count() {
    use postwright::content::yaml::{MAX_ALIAS_BYTES, MAX_NODES};
    let media = "media: [https://cdn.example.com/a.jpg]\n";
    // `first_comment: [*a, *a, …]`: alias k (1-based) starts at this column.
    let column = |k: usize| "first_comment: [".len() + 1 + (k - 1) * "*a, ".len();
    let bomb = |name: &str, scalar: usize, aliases: usize| {
        let refs = vec![format!("*{name}"); aliases].join(", ");
        format!(
            "{media}big: &{name} {}\nfirst_comment: [{refs}]\n",
            "c".repeat(scalar)
        )
    };
    let cases = [
        (
            "bytes-980k.yaml",
            bomb("a", 900_000, 20_000),
            980_000..1_000_000,
        ),
        (
            "bytes-120k.yaml",
            bomb("z", 40_000, 20_000),
            120_000..130_000,
        ),
        ("count.yaml", bomb("n", 1, 30_000), 90_000..130_000),
    ];
    for (name, text, size) in &cases {
        assert!(size.contains(&text.len()), "{name} is {} bytes", text.len());
        let repo = tiny_repo();
        fs::write(repo.path().join("posts").join(name), text).expect("write bomb");
        let start = Instant::now();
        let (code, json, _) = run_validate(repo.path(), &[]);
        let elapsed = start.elapsed();
        eprintln!("{name} ({} bytes) validated in {elapsed:?}", text.len());
        assert_eq!(code, 1, "{json:#}");
        let file = format!("posts/{name}");
        let all = problems(&json);
        assert_eq!(all.len(), 1, "{json:#}");
        let p = problem_of(&json, &file, "file-too-large");
        let message = p["message"].as_str().expect("message");
        let want = match *name {
            // The first alias that takes the expanded text past the limit.
            "bytes-980k.yaml" => format!(
                "the alias `*a` at line 3, column {} repeats 900000 bytes",
                column(MAX_ALIAS_BYTES / 900_000 + 1)
            ),
            "bytes-120k.yaml" => format!(
                "the alias `*z` at line 3, column {} repeats 40000 bytes",
                column(MAX_ALIAS_BYTES / 40_000 + 1)
            ),
            _ => format!("more than {MAX_NODES} values"),
        };
        assert!(message.starts_with(&want), "want {want:?}, got {message:?}");
        // Generous: a release build takes milliseconds, a debug build well under 1 s.
        assert!(
            elapsed < Duration::from_secs(10),
            "{name} took {elapsed:?} to validate"
        );
    }
}

#[test]
fn media_limits_on_generated_files() {
    // Real fixtures over 8 MiB / 100 MB / 300 MB would bloat the repo; the
    // checks read headers and the file size, so a real header followed by a
    // sparse hole is enough. Limits are inclusive: exactly 8 MiB, 300 MB and
    // 100 MB pass.
    let repo = tiny_repo();
    let media = repo.path().join("media");
    fs::create_dir(&media).expect("media folder");
    let sized = |from: &str, to: &str, len: u64| {
        fs::copy(fixtures().join("media").join(from), media.join(to)).expect("copy media");
        fs::OpenOptions::new()
            .write(true)
            .open(media.join(to))
            .and_then(|f| f.set_len(len))
            .expect("extend media");
    };
    const MIB: u64 = 1024 * 1024;
    sized("square.jpg", "big.jpg", 8 * MIB + 1);
    sized("square.jpg", "exact.jpg", 8 * MIB);
    sized("reel.mp4", "big-reel.mp4", 300_000_001);
    sized("reel.mp4", "exact-reel.mp4", 300_000_000);
    sized("story-video.mp4", "big-story.mp4", 100_000_001);
    sized("story-video.mp4", "exact-story.mp4", 100_000_000);

    // The same MP4 with its index (moov) moved behind the media data.
    let mp4 = fs::read(fixtures().join("media/reel.mp4")).expect("read reel.mp4");
    let mut boxes = Vec::new();
    let mut at = 0;
    while at + 8 <= mp4.len() {
        let size = u32::from_be_bytes(mp4[at..at + 4].try_into().unwrap()) as usize;
        assert!(size >= 8 && at + size <= mp4.len(), "reel.mp4 box at {at}");
        boxes.push(&mp4[at..at + size]);
        at += size;
    }
    let (moov, rest): (Vec<&[u8]>, Vec<&[u8]>) = boxes.iter().partition(|b| &b[4..8] == b"moov");
    assert_eq!(moov.len(), 1, "reel.mp4 has one moov box");
    fs::write(
        media.join("late-moov.mp4"),
        [rest.concat(), moov.concat()].concat(),
    )
    .expect("write late-moov.mp4");

    let posts = repo.path().join("posts");
    let write = |name: &str, text: &str| fs::write(posts.join(name), text).expect("write post");
    write("late-moov.yaml", "media:\n  - ../media/late-moov.mp4\n");
    write("image.yaml", "media:\n  - ../media/big.jpg\n");
    write("image-exact.yaml", "media:\n  - ../media/exact.jpg\n");
    write("reel.yaml", "media:\n  - ../media/big-reel.mp4\n");
    write("reel-exact.yaml", "media:\n  - ../media/exact-reel.mp4\n");
    write(
        "story.yaml",
        "type: story\nmedia:\n  - ../media/big-story.mp4\n",
    );
    write(
        "story-exact.yaml",
        "type: story\nmedia:\n  - ../media/exact-story.mp4\n",
    );

    let (code, json, _) = run_validate(repo.path(), &[]);
    let actual: BTreeSet<Found> = problems(&json).into_iter().map(found).collect();
    let want: BTreeSet<Found> = [
        ("posts/image.yaml", "image-too-large"),
        ("posts/reel.yaml", "video-too-large"),
        ("posts/story.yaml", "video-too-large"),
        ("posts/late-moov.yaml", "media-format"),
    ]
    .into_iter()
    .map(|(file, rule)| Found {
        file: file.to_string(),
        rule: rule.to_string(),
        // At the media item's src value.
        line: if file.ends_with("story.yaml") { 3 } else { 2 },
        column: 5,
    })
    .collect();
    assert_eq!(actual, want, "{json:#}");
    assert_eq!(code, 1);
}
