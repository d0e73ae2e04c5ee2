//! Finding post files and reading them into documents with source positions.
//!
//! How a file is recognised as a post (also in the README):
//! - it sits under one of the `content` folders of `postwright.toml`, in a
//!   folder whose name does not start with `.`, and its own name does not
//!   start with `.`;
//! - `.yaml` / `.yml` files are always posts;
//! - `.md` / `.markdown` files are posts when their first line is `---`
//!   (YAML front matter); others, such as a README, are not;
//! - every other file (images, videos, notes) is not a post.

pub mod frontmatter;
pub mod post;
pub mod yaml;

use crate::diagnostic::{Pos, Problem, Rule};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

pub use post::{MediaEntry, Post, PostFields, PostType, UserTag};
pub use yaml::{Document, Spans};

/// Post files larger than this are refused unread: no post needs 1 MiB of text.
pub const MAX_POST_BYTES: u64 = 1024 * 1024;

/// Which syntax a post file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Markdown,
    Yaml,
}

impl Syntax {
    /// The syntax a file name promises, if it is a candidate post at all.
    pub fn of(path: &Path) -> Option<Syntax> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(Syntax::Markdown),
            "yaml" | "yml" => Some(Syntax::Yaml),
            _ => None,
        }
    }
}

/// A candidate post file found in the repo.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PostFile {
    /// Path relative to the repo root, `/`-separated: how files are named everywhere.
    pub rel: String,
    /// The id the post gets without an `id:` field.
    pub default_id: String,
    /// Whether it lies inside a content folder (files named on the command
    /// line may not).
    pub in_content: bool,
    /// Named one by one on the command line (not found in a folder): such a
    /// file that is not a post deserves a word.
    pub named: bool,
}

/// Lists candidate post files under the content folders, sorted by path.
/// Missing content folders are reported, not fatal.
pub fn discover(repo: &Path, content: &[String]) -> (Vec<PostFile>, Vec<String>) {
    let mut found = BTreeMap::new();
    let mut missing = Vec::new();
    for folder in content {
        let folder = folder.trim_matches('/');
        let dir = repo.join(folder);
        if !dir.is_dir() {
            missing.push(folder.to_string());
            continue;
        }
        let mut stack = vec![dir];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                if name.to_string_lossy().starts_with('.') {
                    continue;
                }
                let path = entry.path();
                // Symlinked folders are not followed: they can loop, or leave the repo.
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    stack.push(path);
                } else if Syntax::of(&path).is_some() {
                    if let Some(rel) = relative(repo, &path) {
                        let default_id = default_id(&rel, folder);
                        found.entry(rel.clone()).or_insert(PostFile {
                            rel,
                            default_id,
                            in_content: true,
                            named: false,
                        });
                    }
                }
            }
        }
    }
    (found.into_values().collect(), missing)
}

/// The post file for a path named on the command line (relative to the repo).
pub fn named_file(rel: &str, content: &[String]) -> PostFile {
    let folder = content.iter().map(|f| f.trim_matches('/')).find(|f| {
        rel.strip_prefix(f)
            .is_some_and(|rest| rest.starts_with('/'))
    });
    PostFile {
        rel: rel.to_string(),
        default_id: default_id(rel, folder.unwrap_or("")),
        in_content: folder.is_some(),
        named: true,
    }
}

/// `posts/2026/launch.md` under `posts` → `2026/launch`.
fn default_id(rel: &str, folder: &str) -> String {
    let under = if folder.is_empty() {
        rel
    } else {
        rel.strip_prefix(folder)
            .map(|r| r.trim_start_matches('/'))
            .unwrap_or(rel)
    };
    match under.rfind('.') {
        Some(dot) if dot > under.rfind('/').map_or(0, |s| s + 1) => under[..dot].to_string(),
        _ => under.to_string(),
    }
}

/// `path` relative to `repo`, `/`-separated; None when outside it.
pub fn relative(repo: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(repo).ok()?;
    let parts: Vec<_> = rel
        .components()
        .map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Some(parts.join("/"))
}

/// A post file read and parsed, before any check of its fields.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub file: PostFile,
    pub syntax: Syntax,
    pub doc: Document,
}

/// The outcome of reading one candidate file.
#[derive(Debug)]
pub enum Load {
    /// A Markdown file without front matter: not a post.
    NotAPost,
    Post(Box<Loaded>),
    /// A post that cannot be parsed; the problem says why.
    Broken(Problem),
}

/// Reads and parses one candidate post file.
pub fn load(repo: &Path, file: &PostFile) -> Load {
    let path = repo.join(&file.rel);
    let broken = |rule, pos, msg: String| Load::Broken(Problem::new(rule, &file.rel, pos, msg));
    let size = match std::fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) => {
            return broken(
                Rule::YamlSyntax,
                Pos::START,
                format!("cannot read the file: {e}"),
            )
        }
    };
    if size > MAX_POST_BYTES {
        return broken(
            Rule::FileTooLarge,
            Pos::START,
            format!("the file is {size} bytes; a post file may be at most {MAX_POST_BYTES} bytes"),
        );
    }
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            return broken(
                Rule::YamlSyntax,
                Pos::START,
                format!("cannot read the file: {e}"),
            )
        }
    };
    let syntax = Syntax::of(&path).unwrap_or(Syntax::Yaml);
    load_bytes(file.clone(), syntax, &bytes)
}

/// Parses the bytes of a post file; never panics, whatever the bytes.
pub fn load_bytes(file: PostFile, syntax: Syntax, bytes: &[u8]) -> Load {
    let problem = |rule, pos, msg: String| Problem::new(rule, &file.rel, pos, msg);
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            if syntax == Syntax::Markdown && !bytes.starts_with(b"---") {
                return Load::NotAPost;
            }
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            // The prefix is valid UTF-8 by definition: count its characters.
            let col =
                std::str::from_utf8(&valid[line_start..]).map_or(1, |s| s.chars().count() + 1);
            return Load::Broken(
                problem(
                    Rule::Encoding,
                    Pos::new(line, col),
                    format!(
                        "the file is not UTF-8 text (invalid byte at offset {})",
                        e.valid_up_to()
                    ),
                )
                .with_help("save the file as UTF-8"),
            );
        }
    };
    let normalized;
    let text = if text.contains('\r') {
        normalized = text.replace("\r\n", "\n");
        normalized.as_str()
    } else {
        text
    };
    if text.contains('\0') {
        let offset = text.find('\0').unwrap_or(0);
        return Load::Broken(problem(
            Rule::Encoding,
            crate::config::offset_to_pos(text, offset),
            "the file contains a NUL byte: it is binary, not text".into(),
        ));
    }

    let (yaml, offset, body) = match syntax {
        Syntax::Yaml => (text, 0, None),
        Syntax::Markdown => match frontmatter::split(text) {
            Ok(None) => return Load::NotAPost,
            Ok(Some(s)) => (s.yaml, s.yaml_line_offset, Some((s.body, s.body_line))),
            Err(u) => {
                return Load::Broken(
                    problem(
                        Rule::YamlSyntax,
                        Pos::new(u.line, 1),
                        "the front matter opened here is never closed".into(),
                    )
                    .with_help("end it with a line holding only `---`"),
                )
            }
        },
    };
    let mut doc = match yaml::parse(yaml, offset) {
        Ok(d) => d,
        Err(e) => {
            return Load::Broken(match e.kind {
                yaml::YamlErrorKind::Syntax => problem(Rule::YamlSyntax, e.pos, e.message),
                // A limit is a property of the whole file; say where it was hit.
                yaml::YamlErrorKind::TooLarge => problem(
                    Rule::FileTooLarge,
                    Pos::START,
                    format!("{} (limit reached at line {})", e.message, e.pos.line),
                ),
            });
        }
    };
    if let Some((body, line)) = body {
        if !body.is_empty() {
            if let serde_json::Value::Object(map) = &mut doc.value {
                if map.contains_key("caption") {
                    let at = doc.spans.key("/caption");
                    return Load::Broken(
                        problem(
                            Rule::FieldNotAllowed,
                            at,
                            format!(
                                "`caption` is given here and as the Markdown body (line {line})"
                            ),
                        )
                        .with_help("keep one: the body is the caption of a Markdown post"),
                    );
                }
                map.insert(
                    "caption".into(),
                    serde_json::Value::String(body.to_string()),
                );
                doc.spans.insert("/caption", Pos::new(line, 1));
            }
        }
    }
    Load::Post(Box::new(Loaded { file, syntax, doc }))
}

/// Resolves a media path of a post to a repo-relative path, lexically.
///
/// Relative paths are relative to the post file's folder; a leading `/`
/// means the repo root. Returns None when the path climbs out of the repo.
pub fn resolve_media_path(post_rel: &str, src: &str) -> Option<String> {
    let mut parts: Vec<&str> = if src.starts_with('/') {
        Vec::new()
    } else {
        post_rel.split('/').collect::<Vec<_>>()
    };
    if !src.starts_with('/') {
        parts.pop(); // the post's own file name
    }
    for part in src.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.join("/"))
}

/// Absolute path of a repo-relative path.
pub fn absolute(repo: &Path, rel: &str) -> PathBuf {
    repo.join(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rel: &str) -> PostFile {
        named_file(rel, &["posts".to_string()])
    }

    #[test]
    fn default_ids() {
        assert_eq!(file("posts/2026/launch.md").default_id, "2026/launch");
        assert_eq!(file("posts/launch.v2.yaml").default_id, "launch.v2");
        assert_eq!(file("other/x.md").default_id, "other/x");
        assert!(!file("other/x.md").in_content);
        assert_eq!(file("posts/.x/noext").default_id, ".x/noext");
    }

    #[test]
    fn media_paths_resolve_relative_to_the_post() {
        assert_eq!(
            resolve_media_path("posts/a.md", "img/x.jpg").as_deref(),
            Some("posts/img/x.jpg")
        );
        assert_eq!(
            resolve_media_path("posts/a.md", "../media/x.jpg").as_deref(),
            Some("media/x.jpg")
        );
        assert_eq!(
            resolve_media_path("posts/a.md", "/media/x.jpg").as_deref(),
            Some("media/x.jpg")
        );
        assert_eq!(resolve_media_path("posts/a.md", "../../x.jpg"), None);
        assert_eq!(resolve_media_path("posts/a.md", "/../x.jpg"), None);
    }

    #[test]
    fn bom_and_crlf_are_handled() {
        let text = b"\xEF\xBB\xBF---\r\nmedia: [a.jpg]\r\n---\r\n\r\nHello\r\n";
        let Load::Post(p) = load_bytes(file("posts/a.md"), Syntax::Markdown, text) else {
            panic!("not loaded")
        };
        assert_eq!(p.doc.value["caption"], "Hello");
        assert_eq!(p.doc.spans.value("/caption"), Pos::new(5, 1));
        assert_eq!(p.doc.spans.key("/media"), Pos::new(2, 1));
    }

    #[test]
    fn markdown_without_front_matter_is_not_a_post() {
        assert!(matches!(
            load_bytes(file("posts/README.md"), Syntax::Markdown, b"# Notes\n"),
            Load::NotAPost
        ));
        assert!(matches!(
            load_bytes(file("posts/README.md"), Syntax::Markdown, b"\xff\xfe junk"),
            Load::NotAPost
        ));
    }

    #[test]
    fn binary_yaml_is_an_encoding_error() {
        let Load::Broken(p) = load_bytes(file("posts/a.yaml"), Syntax::Yaml, b"a: 1\nb: \xff\n")
        else {
            panic!()
        };
        assert_eq!((p.rule, p.line, p.column), (Rule::Encoding, 2, 4));
    }

    #[test]
    fn caption_twice_is_an_error() {
        let text = b"---\ncaption: a\nmedia: [x.jpg]\n---\nb\n";
        let Load::Broken(p) = load_bytes(file("posts/a.md"), Syntax::Markdown, text) else {
            panic!()
        };
        assert_eq!((p.rule, p.line), (Rule::FieldNotAllowed, 2));
    }
}
