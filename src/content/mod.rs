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
pub mod safe;
mod scan;
mod typed;
pub mod yaml;
pub mod yaml_hints;

use crate::diagnostic::{Pos, Problem, Rule};
use std::path::{Component, Path, PathBuf};

pub use post::{
    Graduation, IdValue, MediaEntry, Overrides, Post, PostFields, PostType, ProductTag, Trial,
    UserTag,
};
pub use scan::{discover, scan, Scan, Skip};
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
        let ext = path.extension()?.to_str()?;
        let is = |name: &str| ext.eq_ignore_ascii_case(name);
        if is("md") || is("markdown") {
            Some(Syntax::Markdown)
        } else if is("yaml") || is("yml") {
            Some(Syntax::Yaml)
        } else {
            None
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
    /// The folder walk saw a regular file here, not a symlink: it is read
    /// without inspecting its metadata first
    /// ([`safe::Inspector::read_walked`], which still refuses anything
    /// else it finds when it opens it).
    pub walked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bom {
    Utf8,
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

impl Bom {
    fn name(self) -> &'static str {
        match self {
            Bom::Utf8 => "UTF-8",
            Bom::Utf16Le => "UTF-16 (little-endian)",
            Bom::Utf16Be => "UTF-16 (big-endian)",
            Bom::Utf32Le => "UTF-32 (little-endian)",
            Bom::Utf32Be => "UTF-32 (big-endian)",
        }
    }
}

/// The byte-order mark a file starts with, and its length.
fn bom(bytes: &[u8]) -> Option<(Bom, usize)> {
    if bytes.starts_with(b"\x00\x00\xFE\xFF") {
        Some((Bom::Utf32Be, 4))
    } else if bytes.starts_with(b"\xFF\xFE\x00\x00") {
        Some((Bom::Utf32Le, 4))
    } else if bytes.starts_with(b"\xEF\xBB\xBF") {
        Some((Bom::Utf8, 3))
    } else if bytes.starts_with(b"\xFF\xFE") {
        Some((Bom::Utf16Le, 2))
    } else if bytes.starts_with(b"\xFE\xFF") {
        Some((Bom::Utf16Be, 2))
    } else {
        None
    }
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
        walked: false,
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
    // Written in place: one string per file, not one per component.
    let mut out = String::with_capacity(rel.as_os_str().len());
    for c in rel.components() {
        let Component::Normal(s) = c else {
            return None;
        };
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(&s.to_string_lossy());
    }
    Some(out)
}

/// A post file read and parsed, before any check of its fields.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub file: PostFile,
    pub syntax: Syntax,
    pub content: Content,
    /// Where each key and value is in the file.
    pub spans: Spans,
}

/// What a post file's fields were read into.
#[derive(Debug, Clone)]
pub enum Content {
    /// The generic path: the document as a JSON value, for the schema to
    /// check and serde to type.
    Value(serde_json::Value),
    /// The typed fast path (`typed.rs`): the fields, of a post the schema
    /// accepts (the fast path takes nothing else).
    Typed(Box<PostFields>),
}

impl Loaded {
    /// The `id:` field, when it is text.
    pub fn id_field(&self) -> Option<&str> {
        match &self.content {
            Content::Value(v) => v.get("id").and_then(|v| v.as_str()),
            Content::Typed(f) => f.id.as_deref(),
        }
    }
}

/// The outcome of reading one candidate file.
#[derive(Debug)]
pub enum Load {
    /// Not a post (a Markdown file without front matter); says why.
    NotAPost(Skip),
    Post(Box<Loaded>),
    /// A post that cannot be parsed, or a file that may not be read; the
    /// problem says why.
    Broken(Problem),
}

/// Reads and parses one candidate post file: only a regular file inside
/// the repo (a symlink only when it resolves inside), and at most
/// [`MAX_POST_BYTES`] of it whatever its metadata says.
pub fn load(repo: &Path, file: &PostFile) -> Load {
    load_with(&mut safe::Inspector::new(repo), file)
}

/// [`load`] with an inspector kept across the files of one repo.
pub fn load_with(inspector: &mut safe::Inspector, file: &PostFile) -> Load {
    let walked = file
        .walked
        .then(|| inspector.read_walked(&file.rel, MAX_POST_BYTES))
        .flatten();
    let read = match walked {
        Some(read) => read,
        None => match inspect(inspector, file) {
            Ok(regular) => safe::read_bounded(&regular, MAX_POST_BYTES),
            Err(refused) => return refused,
        },
    };
    let broken = |rule, pos, msg: String| Load::Broken(Problem::new(rule, &file.rel, pos, msg));
    let bytes = match read {
        Ok(b) => b,
        Err(safe::ReadError::TooLarge(_)) => return too_large(file, "more than".into()),
        Err(safe::ReadError::NotRegular(kind)) => {
            return Load::Broken(Problem::new(
                Rule::FileNotRegular,
                &file.rel,
                Pos::START,
                format!("it is {kind}, not a regular file, so it is not read"),
            ))
        }
        Err(safe::ReadError::Io(e)) => {
            return broken(
                Rule::YamlSyntax,
                Pos::START,
                format!("cannot read the file: {e}"),
            )
        }
    };
    let syntax = Syntax::of(Path::new(&file.rel)).unwrap_or(Syntax::Yaml);
    load_bytes(file.clone(), syntax, &bytes)
}

/// A post file over [`MAX_POST_BYTES`].
fn too_large(file: &PostFile, size: String) -> Load {
    Load::Broken(Problem::new(
        Rule::FileTooLarge,
        &file.rel,
        Pos::START,
        format!("the file is {size} bytes; a post file may be at most {MAX_POST_BYTES} bytes"),
    ))
}

/// The file checked from its metadata to be a regular file inside the
/// repo, of at most [`MAX_POST_BYTES`]; what it is otherwise.
fn inspect(inspector: &mut safe::Inspector, file: &PostFile) -> Result<safe::Regular, Load> {
    let regular = inspector.inspect(&file.rel).map_err(|refused| {
        Load::Broken(match refused {
            safe::Refused::Unreadable(e) => Problem::new(
                Rule::YamlSyntax,
                &file.rel,
                Pos::START,
                format!("cannot read the file: {e}"),
            ),
            refused => Problem::new(
                Rule::FileNotRegular,
                &file.rel,
                Pos::START,
                refused.describe(),
            )
            .with_help(
                "a post must be a regular file inside the repository (a symlink only to one)",
            ),
        })
    })?;
    if regular.len > MAX_POST_BYTES {
        return Err(too_large(file, regular.len.to_string()));
    }
    Ok(regular)
}

/// Text with every line end made `\n`: CRLF, and lone CR (old Mac files),
/// which YAML and Markdown both count as line breaks.
pub fn normalize_line_ends(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Why a Markdown file without front matter is not a post: quiet when it
/// looks like a README, a warning when it looks like a post gone wrong.
fn markdown_skip(text: &str) -> Skip {
    let first = text.split('\n').next().unwrap_or("").trim_end();
    let looks = |message: &str, help: &str| Skip::LooksLikePost {
        message: message.into(),
        help: help.into(),
    };
    if first.trim_start() == "+++" {
        return looks(
            "this Markdown file opens with TOML front matter (`+++`), which postwright does not read, so it is not a post",
            "write the front matter in YAML between `---` lines",
        );
    }
    let first_filled = text.split('\n').map(str::trim).find(|l| !l.is_empty());
    if first_filled == Some("---") {
        return looks(
            "this Markdown file has a `---` line, but not as its very first line, so it is not a post",
            "front matter must start on line 1 with `---`: remove what comes before it (blank lines, spaces)",
        );
    }
    // Only a file that opens with fields: a README may mention them later.
    let post_key = first_filled.is_some_and(|l| {
        [
            "media:",
            "caption:",
            "publish_at:",
            "cover:",
            "id:",
            "type:",
        ]
        .iter()
        .any(|k| l.starts_with(k))
    });
    if post_key {
        return looks(
            "this Markdown file has lines like post fields (`media:`, `caption:`) but no front matter, so it is not a post",
            "put the fields between a first line `---` and a closing `---`",
        );
    }
    Skip::NoFrontMatter
}

/// Parses the bytes of a post file; never panics, whatever the bytes.
pub fn load_bytes(file: PostFile, syntax: Syntax, bytes: &[u8]) -> Load {
    load_bytes_with(file, syntax, bytes, true)
}

/// [`load_bytes`], trying the typed fast path first when `fast` (false:
/// the generic path only, which the property tests compare it with).
pub fn load_bytes_with(file: PostFile, syntax: Syntax, bytes: &[u8], fast: bool) -> Load {
    let problem = |rule, pos, msg: String| Problem::new(rule, &file.rel, pos, msg);
    match bom(bytes) {
        Some((b, _)) if b != Bom::Utf8 => {
            let message = format!(
                "this file is {} text; postwright reads UTF-8 only, so it is not read as a post",
                b.name()
            );
            let help = "save it as UTF-8 (without a byte-order mark)";
            return match syntax {
                Syntax::Markdown => Load::NotAPost(Skip::LooksLikePost {
                    message,
                    help: help.into(),
                }),
                Syntax::Yaml => {
                    Load::Broken(problem(Rule::Encoding, Pos::START, message).with_help(help))
                }
            };
        }
        _ => {}
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            if syntax == Syntax::Markdown && !bytes.starts_with(b"---") {
                return Load::NotAPost(Skip::Other);
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
    let normalized = normalize_line_ends(text);
    let text = normalized.as_ref();
    if text.contains('\0') {
        let offset = text.find('\0').unwrap_or(0);
        return Load::Broken(problem(
            Rule::Encoding,
            crate::diagnostic::offset_to_pos(text, offset),
            "the file contains a NUL byte: it is binary, not text".into(),
        ));
    }

    let (yaml, offset, body) = match syntax {
        Syntax::Yaml => (text, 0, None),
        Syntax::Markdown => match frontmatter::split(text) {
            Ok(None) => return Load::NotAPost(markdown_skip(text)),
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
    let typed = if fast {
        typed::parse(yaml, offset)
    } else {
        None
    };
    let file = match typed {
        Some((fields, spans)) => match typed_post(file, syntax, fields, spans, body) {
            Ok(loaded) => return Load::Post(Box::new(loaded)),
            Err(file) => file,
        },
        None => file,
    };
    generic_post(file, syntax, yaml, offset, body)
}

/// The generic path: the YAML as a JSON value with its positions, for the
/// schema to check (what the fast path gave up on, or all when it is off).
fn generic_post(
    file: PostFile,
    syntax: Syntax,
    yaml: &str,
    offset: usize,
    body: Option<(&str, usize)>,
) -> Load {
    let problem = |rule, pos, msg: String| Problem::new(rule, &file.rel, pos, msg);
    let mut doc = match yaml::parse(yaml, offset) {
        Ok(d) => d,
        Err(e) => {
            return Load::Broken(match e.kind {
                yaml::YamlErrorKind::Syntax => {
                    let mut p = problem(Rule::YamlSyntax, e.pos, e.message);
                    if let Some(end) = e.end {
                        p = p.with_end(end);
                    }
                    if let Some(help) = e.help {
                        p = p.with_help(help);
                    }
                    p
                }
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
    Load::Post(Box::new(Loaded {
        file,
        syntax,
        content: Content::Value(doc.value),
        spans: doc.spans,
    }))
}

/// The post the fast path read, with a Markdown body as its caption; the
/// file back when the caption is also a field (the generic path says so).
fn typed_post(
    file: PostFile,
    syntax: Syntax,
    mut fields: PostFields,
    mut spans: Spans,
    body: Option<(&str, usize)>,
) -> Result<Loaded, PostFile> {
    if let Some((body, line)) = body.filter(|(b, _)| !b.is_empty()) {
        if fields.caption.is_some() {
            return Err(file);
        }
        fields.caption = Some(body.to_string());
        spans.insert("/caption", Pos::new(line, 1));
    }
    Ok(Loaded {
        file,
        syntax,
        content: Content::Typed(Box::new(fields)),
        spans,
    })
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
    fn a_walked_file_loads_as_an_inspected_one_whatever_it_became() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("posts")).unwrap();
        std::fs::write(dir.path().join("secret.md"), "---\nid: s\n---\n").unwrap();
        std::fs::write(repo.join("posts/a.md"), "---\nid: a\n---\nHello\n").unwrap();
        std::fs::write(repo.join("posts/empty.yaml"), "").unwrap();
        let big = format!(
            "id: big\ncaption: {}\n",
            "x".repeat(MAX_POST_BYTES as usize)
        );
        std::fs::write(repo.join("posts/big.yaml"), big).unwrap();
        let link = |name: &str, to: &str| std::os::unix::fs::symlink(to, repo.join(name)).unwrap();
        link("posts/in.md", "a.md");
        link("posts/out.md", "../../secret.md");
        link("posts/gone.md", "nothing.md");
        let rels = [
            "posts/a.md",
            "posts/empty.yaml",
            "posts/big.yaml",
            "posts/in.md",
            "posts/out.md",
            "posts/gone.md",
            "posts/missing.md",
        ];
        for rel in rels {
            let inspected = load(&repo, &file(rel));
            let walked = PostFile {
                walked: true,
                ..file(rel)
            };
            let read = load(&repo, &walked);
            // The same outcome; only the file's own flag differs.
            let shown = format!("{inspected:?}");
            assert_eq!(
                format!("{read:?}").replace("walked: true", "walked: false"),
                shown,
                "{rel}"
            );
            assert!(!shown.contains("secret"), "{rel}: {shown}");
        }
        assert!(matches!(load(&repo, &file("posts/a.md")), Load::Post(_)));
        let too_large = format!("{:?}", load(&repo, &file("posts/big.yaml")));
        assert!(
            too_large.contains("the file is 1048594 bytes"),
            "{too_large}"
        );
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
        // Both paths: the fast one takes this post, the generic one is the reference.
        for fast in [true, false] {
            let Load::Post(p) = load_bytes_with(file("posts/a.md"), Syntax::Markdown, text, fast)
            else {
                panic!("not loaded")
            };
            let caption = match &p.content {
                Content::Value(v) => v["caption"].as_str().map(str::to_string),
                Content::Typed(f) => f.caption.clone(),
            };
            assert_eq!(matches!(p.content, Content::Typed(_)), fast);
            assert_eq!(caption.as_deref(), Some("Hello"));
            assert_eq!(p.spans.value("/caption"), Pos::new(5, 1));
            assert_eq!(p.spans.key("/media"), Pos::new(2, 1));
        }
    }

    #[test]
    fn markdown_without_front_matter_is_not_a_post() {
        assert!(matches!(
            load_bytes(file("posts/README.md"), Syntax::Markdown, b"# Notes\n"),
            Load::NotAPost(Skip::NoFrontMatter)
        ));
        assert!(matches!(
            load_bytes(file("posts/README.md"), Syntax::Markdown, b"\xff junk"),
            Load::NotAPost(Skip::Other)
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
