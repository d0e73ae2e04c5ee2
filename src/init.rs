//! `postwright init`: scaffolds a content repo — config, a first post and its
//! image, the three GitHub workflows, and a page on how it all fits. It never
//! overwrites: every target is checked before anything is written.
//!
//! The workflows use postwright's own action pinned by full commit SHA, with
//! the version as a comment (`postwright/postwright@<40 hex> # v0.1.0`), the
//! form zizmor's default policy and SHA-pinning organisations require. The
//! commit is the one this binary was built from (build.rs: the release
//! workflow's `github.sha`, a crates.io package's `.cargo_vcs_info.json`, or
//! the source checkout's HEAD). A build that knows no commit writes the tag
//! form (`@v0.1.0`) and says on stderr that it is not SHA-pinned and how to
//! pin it. The templates keep the tag form, so they stay valid workflows.

use std::path::{Path, PathBuf};

/// The files `init` writes, relative to the target folder.
const FILES: &[(&str, &[u8])] = &[
    (
        "postwright.toml",
        include_bytes!("../templates/postwright.toml"),
    ),
    (
        "posts/welcome.md",
        include_bytes!("../templates/posts/welcome.md"),
    ),
    (
        "media/welcome.jpg",
        include_bytes!("../templates/media/welcome.jpg"),
    ),
    (
        ".github/workflows/postwright-plan.yml",
        include_bytes!("../templates/workflows/postwright-plan.yml"),
    ),
    (
        ".github/workflows/postwright-apply.yml",
        include_bytes!("../templates/workflows/postwright-apply.yml"),
    ),
    (
        ".github/workflows/postwright-token-refresh.yml",
        include_bytes!("../templates/workflows/postwright-token-refresh.yml"),
    ),
];

const GUIDE: &[u8] = include_bytes!("../templates/POSTWRIGHT.md");

/// Editor support, written only where no such file exists yet (a team's
/// own `.vscode/settings.json` is never replaced): the post schema (the
/// whole one, every platform's map in it: [`EDITOR_SCHEMA`]), and VS
/// Code's YAML extension told which files it describes.
const EDITOR_FILES: &[(&str, &[u8])] = &[
    (EDITOR_SCHEMA, b""),
    (
        ".vscode/settings.json",
        br#"{
  "yaml.schemas": {
    "./.postwright/post.schema.json": ["posts/**/*.yaml", "posts/**/*.yml"]
  }
}
"#,
    ),
];

/// Where the editor's copy of the post schema goes; its bytes are
/// `postwright schema post`'s, composed at run time.
const EDITOR_SCHEMA: &str = ".postwright/post.schema.json";

/// The action's repository, as the templates' `uses:` lines name it.
const ACTION: &str = "postwright/postwright";

/// The commit this binary was built from (40 lowercase hex), if known.
pub fn commit() -> Option<&'static str> {
    Some(env!("POSTWRIGHT_COMMIT")).filter(|c| !c.is_empty())
}

/// The reference init writes after `postwright/postwright@`: the commit with
/// the version as a comment, or the version's tag (with the warning to print)
/// when the commit is unknown.
fn action_ref(commit: Option<&str>) -> (String, Option<String>) {
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    match commit {
        Some(sha) => (format!("{sha} # {tag}"), None),
        None => {
            let warning = format!(
                "warning: this postwright build does not know the commit it was built from, so the \
                 workflows use {ACTION}@{tag}, a tag: the action is not SHA-pinned (zizmor's \
                 unpinned-uses audit and SHA-pinning policies reject it). To pin it, replace \
                 `@{tag}` in .github/workflows/postwright-*.yml with `@<commit> # {tag}`, where \
                 <commit> is the full SHA that `git ls-remote https://github.com/{ACTION} \
                 'refs/tags/{tag}*'` prints on the line ending in ^{{}} (the only line for a \
                 lightweight tag); a release binary writes the pin itself."
            );
            (tag, Some(warning))
        }
    }
}

/// A template with every `uses: postwright/postwright@…` line's reference
/// (and any comment after it) replaced by `reference`.
fn pin_action(template: &[u8], reference: &str) -> Vec<u8> {
    let text = std::str::from_utf8(template).expect("templates are UTF-8");
    let prefix = format!("uses: {ACTION}@");
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let content = body.trim_start().trim_start_matches("- ");
        if content.starts_with(&prefix) {
            let at = body.len() - content.len() + prefix.len();
            out.push_str(&body[..at]);
            out.push_str(reference);
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(line);
        }
    }
    out.into_bytes()
}

/// The files init would write that exist already (init then writes none).
pub fn in_the_way(dir: &Path) -> Vec<String> {
    let guide = if dir.join("README.md").exists() {
        "POSTWRIGHT.md"
    } else {
        "README.md"
    };
    FILES
        .iter()
        .map(|(rel, _)| *rel)
        .chain(std::iter::once(guide))
        .filter(|rel| dir.join(rel).symlink_metadata().is_ok())
        .map(str::to_string)
        .collect()
}

/// What init cannot see in the templates: set from flags and the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The repository is private: media go to `[media] store`, and the
    /// apply workflow gets the OIDC permission and the credential steps.
    pub private: bool,
    /// `.gitattributes` tracks files with Git LFS: the checkouts say how
    /// LFS objects are fetched.
    pub lfs: bool,
    /// The IANA zone written as `timezone` (the machine's own).
    pub timezone: String,
}

impl Options {
    /// For `dir`: LFS from its `.gitattributes`, the zone of this machine.
    pub fn for_dir(dir: &Path, private: bool) -> Options {
        Options {
            private,
            lfs: tracks_lfs(dir),
            timezone: local_zone(),
        }
    }
}

/// Whether `.gitattributes` in `dir` sends some files through Git LFS.
fn tracks_lfs(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join(".gitattributes")).is_ok_and(|text| {
        text.lines()
            .map(str::trim)
            .any(|l| !l.starts_with('#') && l.split_whitespace().any(|a| a == "filter=lfs"))
    })
}

/// This machine's IANA zone (`TZ`, else /etc/localtime), `UTC` when it has
/// no name.
fn local_zone() -> String {
    jiff::tz::TimeZone::try_system()
        .ok()
        .and_then(|tz| tz.iana_name().map(str::to_string))
        .filter(|name| jiff::tz::TimeZone::get(name).is_ok())
        .unwrap_or_else(|| "UTC".into())
}

/// The templates' variant lines: `#private: `, `#public: ` and `#lfs: `
/// prefixes (after the indentation) mark lines that only some repositories
/// get. They are comments, so the templates stay valid as they are; init
/// keeps a marked line without its marker where it applies and drops it
/// elsewhere. The zone replaces the template's `timezone` value.
pub fn variant(template: &[u8], options: &Options) -> Vec<u8> {
    let text = std::str::from_utf8(template).expect("templates are UTF-8");
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let content = line.trim_start();
        let indent = &line[..line.len() - content.len()];
        let marked = [
            ("#private: ", options.private),
            ("#public: ", !options.private),
            ("#lfs: ", options.lfs),
        ]
        .into_iter()
        .find_map(|(marker, on)| content.strip_prefix(marker).map(|rest| (rest, on)));
        match marked {
            Some((rest, true)) => {
                out.push_str(indent);
                out.push_str(rest);
            }
            Some((_, false)) => {}
            None if content.starts_with("timezone = ") => {
                let comment = content.find('#').map_or("\n", |i| &content[i..]);
                let value = format!("timezone = \"{}\"", options.timezone);
                out.push_str(&format!("{value:<28} {comment}"));
                if !comment.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str(line),
        }
    }
    out.into_bytes()
}

/// The templates publish from `main`; a repository whose default branch is
/// another gets its own name.
fn on_branch(template: &[u8], branch: &str) -> Vec<u8> {
    let text = std::str::from_utf8(template).expect("templates are UTF-8");
    text.replace("branches: [main]", &format!("branches: [{branch}]"))
        .into_bytes()
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{} already exist{}; init writes nothing over existing files (move them away, or add postwright by hand)", .0.join(", "), if .0.len() == 1 { "s" } else { "" })]
    Exists(Vec<String>),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Writes the scaffold into `dir` and returns the paths written (relative).
/// The guide goes to README.md, or to POSTWRIGHT.md when a README exists.
/// When this build knows no commit, prints on stderr that the action is not
/// SHA-pinned and how to pin it.
pub fn init(dir: &Path, branch: &str, options: &Options) -> Result<Vec<String>, InitError> {
    let (written, warning) = init_with(dir, commit(), branch, options)?;
    if let Some(warning) = warning {
        eprintln!("{warning}");
    }
    Ok(written)
}

/// [`init`] for a given commit: the paths written, and the warning to print.
/// `branch`: the repository's default branch, which the apply workflow
/// publishes from.
fn init_with(
    dir: &Path,
    commit: Option<&str>,
    branch: &str,
    options: &Options,
) -> Result<(Vec<String>, Option<String>), InitError> {
    let (reference, warning) = action_ref(commit);
    let guide = if dir.join("README.md").exists() {
        "POSTWRIGHT.md"
    } else {
        "README.md"
    };
    let files: Vec<(&str, Vec<u8>)> = FILES
        .iter()
        .map(|&(rel, bytes)| {
            let bytes = if rel.starts_with(".github/workflows/") {
                on_branch(&pin_action(&variant(bytes, options), &reference), branch)
            } else if rel.ends_with(".toml") {
                variant(bytes, options)
            } else {
                bytes.to_vec()
            };
            (rel, bytes)
        })
        .chain(std::iter::once((guide, GUIDE.to_vec())))
        .chain(
            EDITOR_FILES
                .iter()
                .filter(|(rel, _)| dir.join(rel).symlink_metadata().is_err())
                .map(|&(rel, bytes)| {
                    if rel == EDITOR_SCHEMA {
                        let schema = &crate::validate::compose::POST;
                        (rel, crate::validate::compose::text(schema).into_bytes())
                    } else {
                        (rel, bytes.to_vec())
                    }
                }),
        )
        .collect();
    let existing = in_the_way(dir);
    if !existing.is_empty() {
        return Err(InitError::Exists(existing));
    }
    let mut written = Vec::new();
    for (rel, bytes) in files {
        let path: PathBuf = dir.join(rel);
        let result = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
            })
            .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes));
        result.map_err(|source| InitError::Write {
            path: path.display().to_string(),
            source,
        })?;
        written.push(rel.to_string());
    }
    Ok((written, warning))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn public() -> Options {
        Options {
            private: false,
            lfs: false,
            timezone: "America/Chicago".into(),
        }
    }

    fn workflows() -> impl Iterator<Item = (&'static str, &'static [u8])> {
        FILES
            .iter()
            .copied()
            .filter(|(rel, _)| rel.starts_with(".github/workflows/"))
    }

    #[test]
    fn every_workflow_uses_the_action_and_gets_the_pin() {
        let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
        for (rel, template) in workflows() {
            let template = std::str::from_utf8(template).unwrap();
            let uses = template.matches("uses: postwright/postwright@").count();
            assert!(uses > 0, "{rel}");
            let pinned =
                String::from_utf8(pin_action(template.as_bytes(), &format!("{SHA} # {tag}")))
                    .unwrap();
            assert_eq!(
                pinned
                    .matches(&format!("uses: postwright/postwright@{SHA} # {tag}\n"))
                    .count(),
                uses,
                "{rel}"
            );
            assert!(!pinned.contains("postwright/postwright@v"), "{rel}");
            // Nothing else changes.
            assert_eq!(pinned.lines().count(), template.lines().count(), "{rel}");
            for (a, b) in pinned.lines().zip(template.lines()) {
                if !b.contains("uses: postwright/postwright@") {
                    assert_eq!(a, b, "{rel}");
                }
            }
        }
    }

    fn template(rel: &str) -> &'static str {
        let (_, bytes) = FILES.iter().find(|(r, _)| *r == rel).unwrap();
        std::str::from_utf8(bytes).unwrap()
    }

    fn made(rel: &str, options: &Options) -> String {
        String::from_utf8(variant(template(rel).as_bytes(), options)).unwrap()
    }

    #[test]
    fn a_public_repo_gets_raw_github_and_no_store_or_credentials() {
        let toml = made("postwright.toml", &public());
        assert!(
            toml.contains("\nbase_url = \"https://raw.githubusercontent.com/"),
            "{toml}"
        );
        assert!(!toml.contains("store ="), "{toml}");
        assert!(toml.contains("\ntimezone = \"America/Chicago\" "), "{toml}");
        let apply = made(".github/workflows/postwright-apply.yml", &public());
        assert!(
            !apply.contains("#private:") && !apply.contains("#lfs:"),
            "{apply}"
        );
        assert!(
            !apply.contains("id-token") && !apply.contains("lfs:"),
            "{apply}"
        );
        assert!(apply.contains("- cron: \"17 * * * *\""), "{apply}");
        assert!(apply.contains("about 730 job-minutes a month"), "{apply}");
        Config::parse(&toml, "postwright.toml").unwrap();
    }

    #[test]
    fn a_private_repo_gets_the_store_oidc_and_the_three_credential_setups() {
        let private = Options {
            private: true,
            lfs: true,
            ..public()
        };
        let toml = made("postwright.toml", &private);
        assert!(
            toml.contains("\nstore = \"s3://your-bucket/postwright\""),
            "{toml}"
        );
        assert!(!toml.contains("base_url ="), "{toml}");
        let apply = made(".github/workflows/postwright-apply.yml", &private);
        assert!(
            apply.contains("\n      id-token: write # GitHub OIDC"),
            "{apply}"
        );
        for setup in [
            "aws-actions/configure-aws-credentials@",
            "R2_SECRET_ACCESS_KEY",
            "GOOGLE_SERVICE_ACCOUNT_KEY",
        ] {
            assert!(apply.contains(setup), "{setup}: {apply}");
        }
        assert!(
            apply.contains("\n          lfs: false # postwright fetches only"),
            "{apply}"
        );
        let plan = made(".github/workflows/postwright-plan.yml", &private);
        assert!(
            plan.contains("\n          lfs: false # plan reads"),
            "{plan}"
        );
        assert!(!apply.contains("#private:") && !plan.contains("#lfs:"));
    }

    #[test]
    fn lfs_is_seen_in_gitattributes_and_the_zone_is_a_real_one() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!tracks_lfs(dir.path()));
        std::fs::write(
            dir.path().join(".gitattributes"),
            "# *.mp4 filter=lfs\n*.md text\n",
        )
        .unwrap();
        assert!(!tracks_lfs(dir.path()));
        std::fs::write(
            dir.path().join(".gitattributes"),
            "*.mp4 filter=lfs diff=lfs merge=lfs -text\n",
        )
        .unwrap();
        assert!(tracks_lfs(dir.path()));
        assert!(jiff::tz::TimeZone::get(&local_zone()).is_ok());
    }

    #[test]
    fn pin_replaces_any_reference_and_its_comment_and_keeps_line_endings() {
        let text = "steps:\r\n  - uses: postwright/postwright@main # old\r\n    uses: postwright/postwright@v9\n  - uses: actions/checkout@v4\n      - uses: postwright/postwright-other@v1\n";
        assert_eq!(
            String::from_utf8(pin_action(text.as_bytes(), "REF")).unwrap(),
            "steps:\r\n  - uses: postwright/postwright@REF\r\n    uses: postwright/postwright@REF\n  - uses: actions/checkout@v4\n      - uses: postwright/postwright-other@v1\n"
        );
    }

    #[test]
    fn a_known_commit_is_pinned_without_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let (written, warning) = init_with(dir.path(), Some(SHA), "main", &public()).unwrap();
        assert_eq!(warning, None);
        assert!(written.contains(&".github/workflows/postwright-apply.yml".to_string()));
        let apply =
            std::fs::read_to_string(dir.path().join(".github/workflows/postwright-apply.yml"))
                .unwrap();
        let line = format!(
            "uses: postwright/postwright@{SHA} # v{}\n",
            env!("CARGO_PKG_VERSION")
        );
        assert!(apply.contains(&line), "{apply}");
    }

    #[test]
    fn an_unknown_commit_writes_the_tag_and_warns_how_to_pin() {
        let dir = tempfile::tempdir().unwrap();
        let (_, warning) = init_with(dir.path(), None, "main", &public()).unwrap();
        let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
        let warning = warning.expect("a warning");
        assert!(warning.contains("not SHA-pinned"), "{warning}");
        assert!(warning.contains(&format!("refs/tags/{tag}")), "{warning}");
        for (rel, _) in workflows() {
            let text = std::fs::read_to_string(dir.path().join(rel)).unwrap();
            assert!(
                text.contains(&format!("uses: postwright/postwright@{tag}\n")),
                "{rel}: {text}"
            );
        }
    }

    #[test]
    fn the_commit_is_a_full_sha_when_known() {
        if let Some(sha) = commit() {
            assert_eq!(sha.len(), 40, "{sha}");
            assert!(
                sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "{sha}"
            );
        }
    }
}
