//! Checks every post: the JSON Schema, Instagram's rules, and a media
//! preflight. One pass over the files; one header read per media file.

pub mod compose;
mod post;
pub mod preflight;
pub mod private_repo;
pub mod schema;
pub mod targets;

pub use post::check_post;

use crate::config::Config;
use crate::content::{self, Load, Post, PostFile, PostType};
use crate::diagnostic::{Note, Pos, Problem, Rule};
use crate::platform::Platform;
use jiff::Timestamp;
use preflight::{Preflight, Resolved};
use std::collections::HashMap;
use std::path::Path;

/// A post that passed every check: what `plan` and `apply` work from.
#[derive(Debug, Clone)]
pub struct ValidPost {
    /// The post as this target gets it: the platform's `threads:` or
    /// `instagram:` caption and media already in its fields.
    pub post: Post,
    pub kind: PostType,
    pub account: String,
    pub platform: crate::platform::Platform,
    pub publish_at: Option<Timestamp>,
    pub media: Vec<Resolved>,
    pub cover: Option<Resolved>,
}

/// Tests' posts: a YAML post as a target of `platform` (account `a`), of
/// `kind`, without media; a test sets what else it needs by struct update.
#[cfg(test)]
impl ValidPost {
    pub(crate) fn from_yaml(yaml: &str, platform: Platform, kind: PostType) -> ValidPost {
        let f = content::named_file("posts/p.yaml", &["posts".to_string()]);
        let Load::Post(loaded) = content::load_bytes(f, content::Syntax::Yaml, yaml.as_bytes())
        else {
            panic!("not a post: {yaml}");
        };
        ValidPost {
            post: Post::from_loaded(*loaded).expect("typed"),
            kind,
            account: "a".into(),
            platform,
            publish_at: None,
            media: Vec::new(),
            cover: None,
        }
    }
}

/// A post as one platform gets it: its version (the platform's map's
/// caption and media in place, what it does not send cleared), the type
/// it has there, and its media resolved.
#[derive(Debug, Clone)]
pub struct Version {
    pub post: Post,
    pub kind: PostType,
    pub media: Vec<Resolved>,
    pub cover: Option<Resolved>,
}

/// What a platform's check of a post has beside the post
/// ([`crate::platform::PlatformSpec::check_post`]).
pub struct PostCheck<'a> {
    /// The post's accounts on this platform (their settings decide some
    /// rules, e.g. Instagram's login); empty when they are unknown.
    pub accounts: Vec<&'a crate::config::Account>,
    /// Every platform the post goes to, in the order its accounts are
    /// written.
    pub platforms: &'a [Platform],
    pub preflight: &'a mut Preflight,
}

/// The outcome for one post file.
#[derive(Debug, Clone)]
pub struct Checked {
    pub file: PostFile,
    /// Known once the file parses.
    pub id: Option<String>,
    /// Where the id is written (the `id:` key), or line 1 for a default id.
    pub id_pos: Pos,
    /// The accounts the post goes to (empty until they are known).
    pub accounts: Vec<Target>,
    /// Its targets that passed every check (a problem marked with a
    /// platform stops only that platform's targets).
    pub valid: Vec<ValidPost>,
    pub problems: Vec<Problem>,
}

/// One account a post goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub account: String,
    pub platform: Platform,
}

impl Checked {
    /// The target for `account` that passed every check.
    pub fn valid_for(&self, account: &str) -> Option<&ValidPost> {
        self.valid.iter().find(|v| v.account == account)
    }

    /// The problems of the post that concern a target on `platform`.
    pub fn problems_for(&self, platform: Option<Platform>) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(move |p| p.platform.is_none() || p.platform == platform)
    }
}

/// The outcome for a repo (or the files asked for).
#[derive(Debug, Clone, Default)]
pub struct Validation {
    /// Post files checked (files that turned out not to be posts excluded).
    pub posts: Vec<Checked>,
    /// Problems not tied to one post (a missing content folder, a file left out).
    pub general: Vec<Problem>,
    /// What the walk of the content folders found, per folder.
    pub scanned: Vec<FolderScan>,
}

/// One content folder as scanned: how many files, how many read as posts,
/// how many left out and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FolderScan {
    pub folder: String,
    pub files: usize,
    pub posts: usize,
    /// Reason → number of files left out for it.
    pub left_out: std::collections::BTreeMap<&'static str, usize>,
}

impl FolderScan {
    /// `scanned posts/ (12 files): 9 posts, 3 left out: 2 media, 1 other`.
    pub fn line(&self) -> String {
        let n: usize = self.left_out.values().sum();
        let mut line = format!(
            "scanned {}/ ({} {}): {} {}",
            self.folder,
            self.files,
            if self.files == 1 { "file" } else { "files" },
            self.posts,
            if self.posts == 1 { "post" } else { "posts" },
        );
        if n > 0 {
            let why: Vec<String> = self
                .left_out
                .iter()
                .map(|(reason, k)| format!("{k} {reason}"))
                .collect();
            line.push_str(&format!(", {n} left out: {}", why.join(", ")));
        }
        line
    }
}

impl Validation {
    /// Every problem, sorted by file and position. An id shared by several
    /// files is one problem (on the last of them, with notes at the
    /// others), though each file's own list has it: each file is invalid.
    pub fn problems(&self) -> Vec<&Problem> {
        let mut all: Vec<&Problem> = self
            .general
            .iter()
            .chain(self.posts.iter().flat_map(|c| &c.problems))
            .collect();
        all.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let mut groups = std::collections::HashSet::new();
        let mut kept: Vec<&Problem> = all
            .into_iter()
            .rev()
            .filter(|p| p.rule != Rule::DuplicateId || groups.insert(duplicate_group(p)))
            .collect();
        kept.reverse();
        kept
    }

    pub fn has_errors(&self) -> bool {
        self.problems().iter().any(|p| p.is_error())
    }
}

/// Validates the posts of `repo`. With `only`, checks those files (named on
/// the command line); ids are still compared across the whole repo so a
/// duplicate of a file not named is found.
pub fn validate_repo(repo: &Path, config: &Config, only: Option<&[PostFile]>) -> Validation {
    let mut scan = content::scan(repo, &config.content);
    let discovered = std::mem::take(&mut scan.files);
    let mut scanned: Vec<FolderScan> = scan
        .folders
        .iter()
        .map(|(folder, files)| FolderScan {
            folder: folder.clone(),
            files: *files,
            ..FolderScan::default()
        })
        .collect();
    let mut tally = |rel: &str, skip: Option<&content::Skip>| {
        let Some(folder) = scan.folder_of(rel) else {
            return;
        };
        if let Some(f) = scanned.iter_mut().find(|f| f.folder == folder) {
            match skip {
                Some(s) => *f.left_out.entry(s.label()).or_default() += 1,
                None => f.posts += 1,
            }
        }
    };
    let mut general = Vec::new();
    for (rel, skip) in &scan.left_out {
        tally(rel, Some(skip));
        let selected = only.is_none_or(|o| o.iter().any(|w| w.rel == *rel));
        if let (true, Some(p)) = (selected, skip.problem(rel)) {
            general.push(p);
        }
    }
    let missing = &scan.missing;
    for folder in missing {
        // At the folder's name in `content`; at line 1 when it is the default.
        let at = config
            .content
            .iter()
            .position(|f| f.trim_matches('/') == folder)
            .and_then(|i| config.content_at.get(i));
        let mut problem = Problem::new(
            Rule::Config,
            &config.file,
            at.map_or(Pos::START, |a| a.0),
            format!("content folder `{folder}` does not exist"),
        )
        .with_help(format!("create it, or fix `content` in {}", config.file));
        if let Some((_, end)) = at {
            problem = problem.with_end(*end);
        }
        general.push(problem);
    }
    // What each platform says of its accounts (an id still `init`'s
    // placeholder).
    for (name, account) in &config.accounts {
        general.extend(
            account
                .platform
                .spec()
                .account_problems(name, account, config),
        );
    }
    general.extend(private_repo::check(config, private_repo::repo_is_private()));
    let mut files = discovered;
    if let Some(only) = only {
        // A named file replaces its discovered twin: it carries `named`.
        files.retain(|d| !only.iter().any(|f| f.rel == d.rel));
        files.extend(only.iter().cloned());
        files.sort();
    }
    let mut posts: Vec<Checked> = Vec::with_capacity(files.len());
    let wanted = |f: &PostFile| only.is_none_or(|o| o.iter().any(|w| w.rel == f.rel));
    let jobs: Vec<(PostFile, bool)> = files
        .into_iter()
        .map(|f| {
            let selected = wanted(&f);
            (f, selected)
        })
        .collect();
    // Read and checked on every core; reported in the files' order.
    for step in read_all(repo, config, jobs) {
        match step {
            Step::NotAPost {
                file,
                skip,
                selected,
            } => {
                if !file.named {
                    tally(&file.rel, Some(&skip));
                }
                if let (true, Some(p)) = (selected, skip.problem(&file.rel)) {
                    general.push(p);
                } else if file.named && selected {
                    general.push(Problem::new(
                        Rule::NotAPost,
                        &file.rel,
                        Pos::START,
                        "this Markdown file has no front matter (a first line `---`), so it is not a post",
                    ));
                }
            }
            Step::Post(checked) => {
                if !checked.file.named {
                    tally(&checked.file.rel, None);
                }
                // A broken file outside the selection is left out.
                if checked.id.is_some() || wanted(&checked.file) {
                    posts.push(*checked);
                }
            }
        }
    }
    duplicate_ids(&mut posts);
    posts.retain(|c| wanted(&c.file));
    for c in &mut posts {
        c.problems.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }
    if only.is_some() {
        // The summary is of the whole scan: for named files it would mislead.
        scanned.clear();
    }
    Validation {
        posts,
        general,
        scanned,
    }
}

/// One file read and checked, on whichever thread.
enum Step {
    NotAPost {
        file: PostFile,
        skip: content::Skip,
        selected: bool,
    },
    Post(Box<Checked>),
}

/// Reads and checks `jobs` (file, whether selected) on every core, each
/// thread with its own media cache; the steps in the order of `jobs`.
/// Files are independent until the duplicate-id check, which runs after.
fn read_all(repo: &Path, config: &Config, jobs: Vec<(PostFile, bool)>) -> Vec<Step> {
    crate::par::map(
        jobs,
        || (Preflight::new(repo), content::safe::Inspector::new(repo)),
        |(preflight, inspector), (file, selected)| {
            step(inspector, config, file, selected, preflight)
        },
    )
}

/// One file: loaded, and checked when it is a selected post.
fn step(
    inspector: &mut content::safe::Inspector,
    config: &Config,
    file: PostFile,
    selected: bool,
    preflight: &mut Preflight,
) -> Step {
    match content::load_with(inspector, &file) {
        Load::NotAPost(skip) => Step::NotAPost {
            file,
            skip,
            selected,
        },
        Load::Broken(problem) => Step::Post(Box::new(Checked {
            // Only a selected broken file is reported (see checked_or_skipped).
            id: None,
            id_pos: Pos::START,
            accounts: Vec::new(),
            valid: Vec::new(),
            problems: if selected { vec![problem] } else { Vec::new() },
            file,
        })),
        Load::Post(loaded) if !selected => {
            // Files outside the selection are parsed only for their id.
            let id = loaded.id_field();
            let id = id.map_or_else(|| loaded.file.default_id.clone(), str::to_string);
            Step::Post(Box::new(Checked {
                file,
                id: Some(id),
                id_pos: id_pos(&loaded.spans),
                accounts: Vec::new(),
                valid: Vec::new(),
                problems: Vec::new(),
            }))
        }
        Load::Post(loaded) => {
            let mut checked = check_post(*loaded, config, preflight);
            if !checked.file.in_content {
                checked.problems.push(Problem::new(
                    Rule::NotAPost,
                    &checked.file.rel,
                    Pos::START,
                    format!(
                        "this file is outside the content folders ({}), so plan and apply will not see it",
                        config.content.join(", ")
                    ),
                ));
            }
            Step::Post(Box::new(checked))
        }
    }
}

/// Just past the `id` of the post's `id:` key; its start when the id comes
/// from the file name (at line 1, column 1: the file, no underline). An
/// `id:` written on line 1 with the default id counts as from the name:
/// the same id either way.
fn id_key_end(c: &Checked) -> Pos {
    let at = c.id_pos;
    if at == Pos::START && c.id.as_deref() == Some(c.file.default_id.as_str()) {
        at
    } else {
        Pos::new(at.line, at.column + "id".len())
    }
}

/// Where a post's `id:` key is, or line 1 when the id is the default.
pub(super) fn id_pos(spans: &content::Spans) -> Pos {
    spans
        .get("/id")
        .map_or(Pos::START, |l| l.key.unwrap_or(l.value))
}

/// The files of a duplicate-id problem: its own and its notes', sorted.
fn duplicate_group(p: &Problem) -> Vec<&str> {
    let mut files: Vec<&str> = p.notes.iter().map(|n| n.file.as_str()).collect();
    files.push(&p.file);
    files.sort_unstable();
    files
}

/// How many of the other files with its id a duplicate-id error names
/// (with a note at each): an id in up to eleven files is one problem with
/// a note at every other file, as [`Validation::problems`] reports it.
const NAMED_COPIES: usize = 10;

/// Every file of an id shared by several gets the problem, naming the
/// others (with a note at each), so validating any one of them alone finds
/// it; [`Validation::problems`] reports it once. Past [`NAMED_COPIES`]
/// others, each file names the first of them and counts the rest.
fn duplicate_ids(posts: &mut [Checked]) {
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in posts.iter().enumerate() {
        if let Some(id) = &c.id {
            by_id.entry(id.as_str()).or_default().push(i);
        }
    }
    let shared: Vec<(String, Vec<usize>)> = by_id
        .into_iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(id, files)| (id.to_string(), files))
        .collect();
    for (id, files) in shared {
        for &i in &files {
            // Each file names a few of the others, not all: a pull request
            // of thousands of copies would otherwise make a message and
            // notes per pair (3,000 copies: 68 s and 1.5 GB).
            // Only the named ones are collected: the whole list per file
            // would still be a pass over every pair.
            let named: Vec<usize> = files
                .iter()
                .copied()
                .filter(|&j| j != i)
                .take(NAMED_COPIES)
                .collect();
            let more = match (files.len() - 1).saturating_sub(NAMED_COPIES) {
                0 => String::new(),
                1 => " and 1 other file".to_string(),
                n => format!(" and {n} other files"),
            };
            let mut problem = Problem::new(
                Rule::DuplicateId,
                &posts[i].file.rel,
                posts[i].id_pos,
                format!(
                    "id `{id}` is also the id of {}{more}",
                    named
                        .iter()
                        .map(|&j| posts[j].file.rel.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_end(id_key_end(&posts[i]))
            .with_help("give one of them its own `id:`, or remove the copy");
            for &j in &named {
                let other = &posts[j];
                let said = if id_key_end(other) == other.id_pos {
                    format!("`{id}` is the id this file gets from its name")
                } else {
                    format!("`{id}` is also given here")
                };
                let mut note = Note::new(&other.file.rel, other.id_pos, said);
                note.end = Some(id_key_end(other)).filter(|e| *e > other.id_pos);
                problem = problem.with_note(note);
            }
            posts[i].problems.push(problem);
            posts[i].valid.clear();
        }
    }
}
